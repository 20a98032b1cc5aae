//! Queries on `imports` (each import's progress, read by every process) and on what a chat
//! remembers of its source. Every query takes the owner's id and filters by it.

use std::collections::HashSet;

use sqlx::Row;
use uuid::Uuid;

use super::{from_millis, now, parse_id, to_millis, Store, StoreError, StoreResult};
use crate::model::ImportStatus;

/// An import's counters, written as it goes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportProgress {
    pub phase: &'static str,
    pub bytes_total: Option<i64>,
    pub bytes_done: i64,
    pub conversations_total: Option<i64>,
    pub conversations_done: i64,
    pub imported: i64,
    pub skipped: i64,
    pub messages: i64,
    pub truncated: i64,
}

/// Whether a running import should go on, as its row says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportWanted {
    Yes,
    /// Its owner asked to stop it (on any process).
    StopAsked,
    /// The row is gone (the account was deleted) or no longer running.
    Gone,
}

/// A chat imported before from the same source: its id and the source ids of its messages.
#[derive(Debug, Clone)]
pub struct ImportedBefore {
    pub chat_id: Uuid,
    pub title: String,
    pub message_ids: HashSet<String>,
}

const STATUS_COLUMNS: &str = "id, state, phase, bytes_total, bytes_done, conversations_total, \
     conversations_done, imported, skipped, messages, truncated, error, started_at, updated_at";

fn status_from_row(row: &sqlx::any::AnyRow) -> StoreResult<ImportStatus> {
    Ok(ImportStatus {
        id: parse_id(&row.try_get::<String, _>("id")?)?,
        state: row.try_get("state")?,
        phase: row.try_get("phase")?,
        bytes_total: row.try_get("bytes_total")?,
        bytes_done: row.try_get("bytes_done")?,
        conversations_total: row.try_get("conversations_total")?,
        conversations_done: row.try_get("conversations_done")?,
        imported: row.try_get("imported")?,
        skipped: row.try_get("skipped")?,
        messages: row.try_get("messages")?,
        truncated: row.try_get("truncated")?,
        error: row.try_get("error")?,
        started_at: from_millis(row.try_get("started_at")?)?,
        updated_at: from_millis(row.try_get("updated_at")?)?,
    })
}

impl Store {
    /// Starts an import for the user: `None` while another of theirs is running. A running
    /// import whose progress stopped moving before `stale_before` (its process died) is
    /// marked failed first; finished imports before this one are forgotten.
    pub async fn begin_import(
        &self,
        user_id: Uuid,
        bytes_total: Option<i64>,
        stale_before: chrono::DateTime<chrono::Utc>,
    ) -> StoreResult<Option<Uuid>> {
        let at = to_millis(now());
        sqlx::query(
            "update imports set state = 'failed', \
             error = 'The import stopped: the server handling it went away.', updated_at = $1 \
             where user_id = $2 and state = 'running' and updated_at < $3",
        )
        .bind(at)
        .bind(user_id.to_string())
        .bind(to_millis(stale_before))
        .execute(self.pool())
        .await?;
        let id = Uuid::new_v4();
        let inserted = sqlx::query(
            "insert into imports (id, user_id, state, phase, bytes_total, started_at, updated_at) \
             values ($1, $2, 'running', 'receiving', $3, $4, $4)",
        )
        .bind(id.to_string())
        .bind(user_id.to_string())
        .bind(bytes_total)
        .bind(at)
        .execute(self.pool())
        .await;
        match inserted {
            Ok(_) => {}
            Err(e) => {
                return match StoreError::from(e) {
                    StoreError::Conflict => Ok(None),
                    other => Err(other),
                }
            }
        }
        sqlx::query("delete from imports where user_id = $1 and state <> 'running'")
            .bind(user_id.to_string())
            .execute(self.pool())
            .await?;
        Ok(Some(id))
    }

    /// Records how far a running import got (and that its process is alive); says whether
    /// the import is still wanted.
    pub async fn record_import_progress(
        &self,
        import_id: Uuid,
        progress: &ImportProgress,
    ) -> StoreResult<ImportWanted> {
        if self.write_progress(import_id, progress, false).await? == 1 {
            return Ok(ImportWanted::Yes);
        }
        let row = sqlx::query("select state, stop_requested from imports where id = $1")
            .bind(import_id.to_string())
            .fetch_optional(self.pool())
            .await?;
        Ok(match row {
            Some(row)
                if row.try_get::<String, _>("state")? == "running"
                    && row.try_get::<i64, _>("stop_requested")? != 0 =>
            {
                ImportWanted::StopAsked
            }
            _ => ImportWanted::Gone,
        })
    }

    /// Writes a running import's counters; unless `stopping` too, only while no stop was
    /// asked. Returns the rows written (0 or 1).
    async fn write_progress(
        &self,
        import_id: Uuid,
        progress: &ImportProgress,
        stopping: bool,
    ) -> StoreResult<u64> {
        let done = sqlx::query(
            "update imports set phase = $1, bytes_total = $2, bytes_done = $3, \
             conversations_total = $4, conversations_done = $5, imported = $6, skipped = $7, \
             messages = $8, truncated = $9, updated_at = $10 \
             where id = $11 and state = 'running' and (stop_requested = 0 or $12 = 1)",
        )
        .bind(progress.phase)
        .bind(progress.bytes_total)
        .bind(progress.bytes_done)
        .bind(progress.conversations_total)
        .bind(progress.conversations_done)
        .bind(progress.imported)
        .bind(progress.skipped)
        .bind(progress.messages)
        .bind(progress.truncated)
        .bind(to_millis(now()))
        .bind(import_id.to_string())
        .bind(i64::from(stopping))
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected())
    }

    /// Asks the user's running import to stop (its process sees it at its next report);
    /// `false` when none is running.
    pub async fn request_import_stop(&self, user_id: Uuid) -> StoreResult<bool> {
        let done = sqlx::query(
            "update imports set stop_requested = 1 where user_id = $1 and state = 'running'",
        )
        .bind(user_id.to_string())
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Ends a running import with its last counters (written even when a stop was asked:
    /// the row then says how far the import got).
    pub async fn finish_import_at(
        &self,
        import_id: Uuid,
        progress: &ImportProgress,
        error: Option<&str>,
    ) -> StoreResult<()> {
        self.write_progress(import_id, progress, true).await?;
        self.finish_import(import_id, error).await
    }

    /// Ends a running import: done (`error` is `None`) or failed with a message for a person.
    pub async fn finish_import(&self, import_id: Uuid, error: Option<&str>) -> StoreResult<()> {
        sqlx::query(
            "update imports set state = $1, error = $2, updated_at = $3 \
             where id = $4 and state = 'running'",
        )
        .bind(if error.is_some() { "failed" } else { "done" })
        .bind(error)
        .bind(to_millis(now()))
        .bind(import_id.to_string())
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The user's running import, else the latest finished one.
    pub async fn latest_import(&self, user_id: Uuid) -> StoreResult<Option<ImportStatus>> {
        let row = sqlx::query(&format!(
            "select {STATUS_COLUMNS} from imports where user_id = $1 \
             order by case when state = 'running' then 0 else 1 end, started_at desc limit 1"
        ))
        .bind(user_id.to_string())
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(status_from_row).transpose()
    }

    /// The owner's chat imported before from `source` (`chatgpt:<id>` …), if any.
    pub async fn imported_chat(
        &self,
        user_id: Uuid,
        source: &str,
    ) -> StoreResult<Option<ImportedBefore>> {
        let Some(chat) =
            sqlx::query("select id, title from chats where user_id = $1 and source = $2")
                .bind(user_id.to_string())
                .bind(source)
                .fetch_optional(self.pool())
                .await?
        else {
            return Ok(None);
        };
        let chat_id: String = chat.try_get("id")?;
        let rows = sqlx::query(
            "select source_id from messages where chat_id = $1 and source_id is not null",
        )
        .bind(&chat_id)
        .fetch_all(self.pool())
        .await?;
        Ok(Some(ImportedBefore {
            chat_id: parse_id(&chat_id)?,
            title: chat.try_get("title")?,
            message_ids: rows
                .iter()
                .map(|r| r.try_get("source_id"))
                .collect::<Result<_, _>>()?,
        }))
    }
}
