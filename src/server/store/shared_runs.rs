//! Queries on `runs` and `run_events` (PostgreSQL): agent runs every process serving the
//! database can see, follow and stop.

use sqlx::Row;
use uuid::Uuid;

use super::{parse_id, Store, StoreResult};

/// A shared run as another process sees it.
#[derive(Debug, Clone)]
pub struct SharedRunRow {
    pub id: Uuid,
    pub chat_id: Uuid,
    pub heartbeat_at_ms: i64,
    pub ended: bool,
}

/// What [`run_row`] reads.
const RUN_COLUMNS: &str = "id, chat_id, heartbeat_at, ended_at";

fn run_row(row: &sqlx::any::AnyRow) -> StoreResult<SharedRunRow> {
    Ok(SharedRunRow {
        id: parse_id(&row.try_get::<String, _>("id")?)?,
        chat_id: parse_id(&row.try_get::<String, _>("chat_id")?)?,
        heartbeat_at_ms: row.try_get("heartbeat_at")?,
        ended: row.try_get::<Option<i64>, _>("ended_at")?.is_some(),
    })
}

impl Store {
    /// Makes `run_id` the chat's live run unless another live one has a heartbeat after
    /// `stale_before_ms` (one whose process died is ended first). True when claimed.
    pub async fn claim_chat_turn(
        &self,
        run_id: Uuid,
        chat_id: Uuid,
        owner: Uuid,
        now_ms: i64,
        stale_before_ms: i64,
    ) -> StoreResult<bool> {
        sqlx::query(
            "update runs set ended_at = $1 \
             where chat_id = $2 and ended_at is null and heartbeat_at < $3",
        )
        .bind(now_ms)
        .bind(chat_id.to_string())
        .bind(stale_before_ms)
        .execute(self.pool())
        .await?;
        let inserted = sqlx::query(
            "insert into runs (id, chat_id, owner, started_at, heartbeat_at) \
             values ($1, $2, $3, $4, $4) \
             on conflict (chat_id) where ended_at is null do nothing",
        )
        .bind(run_id.to_string())
        .bind(chat_id.to_string())
        .bind(owner.to_string())
        .bind(now_ms)
        .execute(self.pool())
        .await?
        .rows_affected();
        Ok(inserted == 1)
    }

    /// Appends a run's next events (numbered from `first_seq`), beats its heart, and says
    /// whether someone asked it to stop; with `ended`, marks it ended.
    pub async fn publish_run_events(
        &self,
        run_id: Uuid,
        first_seq: usize,
        events: &[String],
        now_ms: i64,
        ended: bool,
    ) -> StoreResult<bool> {
        let mut tx = self.begin_write().await?;
        for (i, event) in events.iter().enumerate() {
            sqlx::query("insert into run_events (run_id, seq, event) values ($1, $2, $3)")
                .bind(run_id.to_string())
                .bind((first_seq + i) as i32)
                .bind(event)
                .execute(&mut *tx)
                .await?;
        }
        let row = sqlx::query(
            "update runs set heartbeat_at = $2, \
             ended_at = case when $3 then $2 else ended_at end \
             where id = $1 returning stop_requested",
        )
        .bind(run_id.to_string())
        .bind(now_ms)
        .bind(ended)
        .fetch_optional(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(match row {
            Some(row) => row.try_get("stop_requested")?,
            None => false,
        })
    }

    /// Ends a claimed run that never started (its turn was refused).
    pub async fn abandon_run(&self, run_id: Uuid, now_ms: i64) -> StoreResult<()> {
        sqlx::query("update runs set ended_at = $2 where id = $1 and ended_at is null")
            .bind(run_id.to_string())
            .bind(now_ms)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// The owner's live run in a chat, on whichever process it runs.
    pub async fn live_run(&self, owner: Uuid, chat_id: Uuid) -> StoreResult<Option<SharedRunRow>> {
        sqlx::query(&format!(
            "select {RUN_COLUMNS} from runs where chat_id = $1 and owner = $2 and ended_at is null"
        ))
        .bind(chat_id.to_string())
        .bind(owner.to_string())
        .fetch_optional(self.pool())
        .await?
        .as_ref()
        .map(run_row)
        .transpose()
    }

    /// One of the owner's runs by id (live, or ended and not yet purged).
    pub async fn shared_run(&self, owner: Uuid, run_id: Uuid) -> StoreResult<Option<SharedRunRow>> {
        sqlx::query(&format!(
            "select {RUN_COLUMNS} from runs where id = $1 and owner = $2"
        ))
        .bind(run_id.to_string())
        .bind(owner.to_string())
        .fetch_optional(self.pool())
        .await?
        .as_ref()
        .map(run_row)
        .transpose()
    }

    /// A run by id, whoever owns it (for its followers, who were checked when they found it).
    pub async fn shared_run_any(&self, run_id: Uuid) -> StoreResult<Option<SharedRunRow>> {
        sqlx::query(&format!("select {RUN_COLUMNS} from runs where id = $1"))
            .bind(run_id.to_string())
            .fetch_optional(self.pool())
            .await?
            .as_ref()
            .map(run_row)
            .transpose()
    }

    /// A run's events from `from_seq` on, in order.
    pub async fn run_events_from(&self, run_id: Uuid, from_seq: usize) -> StoreResult<Vec<String>> {
        let rows = sqlx::query(
            "select event from run_events where run_id = $1 and seq >= $2 order by seq",
        )
        .bind(run_id.to_string())
        .bind(from_seq as i32)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| Ok(r.try_get::<String, _>("event")?))
            .collect()
    }

    /// Asks the owner's live run in a chat to stop, wherever it runs; its id if there is one.
    pub async fn request_run_stop(&self, owner: Uuid, chat_id: Uuid) -> StoreResult<Option<Uuid>> {
        let row = sqlx::query(
            "update runs set stop_requested = true \
             where chat_id = $1 and owner = $2 and ended_at is null returning id",
        )
        .bind(chat_id.to_string())
        .bind(owner.to_string())
        .fetch_optional(self.pool())
        .await?;
        row.map(|r| parse_id(&r.try_get::<String, _>("id")?))
            .transpose()
    }

    /// Deletes runs (and their events) that ended before `before_ms`.
    pub async fn purge_ended_runs(&self, before_ms: i64) -> StoreResult<u64> {
        if self.engine() == super::Engine::Sqlite {
            return Ok(0); // runs live in the one process's memory
        }
        Ok(sqlx::query("delete from runs where ended_at < $1")
            .bind(before_ms)
            .execute(self.pool())
            .await?
            .rows_affected())
    }
}
