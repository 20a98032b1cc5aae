//! Queries on `run_usage`: the tokens of each agent run, summed per day for the owner.

use sqlx::Row;
use uuid::Uuid;

use super::{to_millis, Store, StoreResult};
use crate::model::Usage;

/// One UTC day of an owner's runs (`day`: days since the epoch).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageDayRow {
    pub day: i64,
    pub runs: i64,
    pub prompt_tokens: i64,
    pub completion_tokens: i64,
    pub estimated_runs: i64,
}

const DAY_MS: i64 = 86_400_000;

/// What one run used, written with its reply (or alone when the run stored no reply).
#[derive(Debug, Clone, Copy)]
pub struct RunUsage {
    pub run_id: Uuid,
    pub usage: Usage,
}

impl Store {
    pub async fn record_usage(
        &self,
        owner: Uuid,
        chat_id: Uuid,
        at: chrono::DateTime<chrono::Utc>,
        run: &RunUsage,
    ) -> StoreResult<()> {
        let mut conn = self.pool().acquire().await?;
        Self::insert_usage(&mut conn, owner, chat_id, at, run).await
    }

    pub(super) async fn insert_usage(
        conn: &mut sqlx::AnyConnection,
        owner: Uuid,
        chat_id: Uuid,
        at: chrono::DateTime<chrono::Utc>,
        run: &RunUsage,
    ) -> StoreResult<()> {
        sqlx::query(
            "insert into run_usage (run_id, owner, chat_id, at, prompt_tokens, completion_tokens, estimated) \
             values ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(run.run_id.to_string())
        .bind(owner.to_string())
        .bind(chat_id.to_string())
        .bind(to_millis(at))
        .bind(run.usage.prompt_tokens as i64)
        .bind(run.usage.completion_tokens as i64)
        .bind(i64::from(run.usage.estimated))
        .execute(conn)
        .await?;
        Ok(())
    }

    /// Usage per UTC day from `since` on, newest day first: one owner's, or with `None` the
    /// whole instance's (for its admins).
    pub async fn usage_by_day(
        &self,
        owner: Option<Uuid>,
        since: chrono::DateTime<chrono::Utc>,
    ) -> StoreResult<Vec<UsageDayRow>> {
        // `$1` is bound either way, so both statements take the same parameters.
        let whose = if owner.is_some() {
            "owner = $1"
        } else {
            "$1 = ''"
        };
        let rows = sqlx::query(&format!(
            "select cast(at / {DAY_MS} as bigint) as day, cast(count(*) as bigint) as runs, \
             cast(sum(prompt_tokens) as bigint) as prompt, \
             cast(sum(completion_tokens) as bigint) as completion, \
             cast(sum(estimated) as bigint) as estimated \
             from run_usage where {whose} and at >= $2 \
             group by cast(at / {DAY_MS} as bigint) order by day desc"
        ))
        .bind(owner.map(|o| o.to_string()).unwrap_or_default())
        .bind(to_millis(since))
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(UsageDayRow {
                    day: r.try_get("day")?,
                    runs: r.try_get("runs")?,
                    prompt_tokens: r.try_get("prompt")?,
                    completion_tokens: r.try_get("completion")?,
                    estimated_runs: r.try_get("estimated")?,
                })
            })
            .collect()
    }
}

impl Store {
    /// An account's own daily token limit (if an admin set one) and the tokens its runs used
    /// since `since_ms` (the start of the UTC day).
    pub async fn daily_tokens(
        &self,
        user_id: Uuid,
        since_ms: i64,
    ) -> StoreResult<(Option<i64>, i64)> {
        let row = sqlx::query(
            "select u.daily_token_limit, \
               (select cast(coalesce(sum(r.prompt_tokens + r.completion_tokens), 0) as bigint) \
                  from run_usage r where r.owner = u.id and r.at >= $2) as used \
             from users u where u.id = $1",
        )
        .bind(user_id.to_string())
        .bind(since_ms)
        .fetch_optional(self.pool())
        .await?;
        match row {
            Some(row) => Ok((row.try_get("daily_token_limit")?, row.try_get("used")?)),
            None => Ok((None, 0)),
        }
    }
}

/// What [`Store::reserve_tokens`] decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reservation {
    /// The account has no daily limit: nothing was reserved.
    Unlimited,
    /// The estimate is held until [`Store::release_tokens`] (or its expiry).
    Held,
    /// Used and reserved tokens already reach this daily limit.
    Refused { limit: i64 },
}

impl Store {
    /// Admits a run against the account's daily limit (its own, else `default_limit`): while
    /// the tokens used since `since_ms` plus those reserved by runs in flight stay under the
    /// limit, `tokens` more are reserved under `id`. Decided in one transaction that holds the
    /// account's row (PostgreSQL) or the write lock (SQLite), so two requests at once, on any
    /// process, cannot both take the last of the day.
    #[allow(clippy::too_many_arguments)]
    pub async fn reserve_tokens(
        &self,
        owner: Uuid,
        id: Uuid,
        tokens: i64,
        default_limit: Option<i64>,
        since_ms: i64,
        now_ms: i64,
        expires_ms: i64,
    ) -> StoreResult<Reservation> {
        let mut tx = self.begin_write().await?;
        let lock = match self.engine() {
            super::Engine::Postgres => " for update",
            super::Engine::Sqlite => "",
        };
        let Some(row) = sqlx::query(&format!(
            "select daily_token_limit from users where id = $1{lock}"
        ))
        .bind(owner.to_string())
        .fetch_optional(&mut *tx)
        .await?
        else {
            return Ok(Reservation::Unlimited);
        };
        let own: Option<i64> = row.try_get("daily_token_limit")?;
        let Some(limit) = own.or(default_limit) else {
            return Ok(Reservation::Unlimited);
        };
        let row = sqlx::query(
            "select \
               (select cast(coalesce(sum(prompt_tokens + completion_tokens), 0) as bigint) \
                  from run_usage where owner = $1 and at >= $2) as used, \
               (select cast(coalesce(sum(tokens), 0) as bigint) \
                  from token_reservations where owner = $1 and expires_at > $3) as reserved",
        )
        .bind(owner.to_string())
        .bind(since_ms)
        .bind(now_ms)
        .fetch_one(&mut *tx)
        .await?;
        let (used, reserved): (i64, i64) = (row.try_get("used")?, row.try_get("reserved")?);
        if used.saturating_add(reserved) >= limit {
            return Ok(Reservation::Refused { limit });
        }
        sqlx::query(
            "insert into token_reservations (id, owner, tokens, expires_at) values ($1, $2, $3, $4)",
        )
        .bind(id.to_string())
        .bind(owner.to_string())
        .bind(tokens)
        .bind(expires_ms)
        .execute(&mut *tx)
        .await?;
        // Rows of runs a dead process left behind, once they count no more.
        sqlx::query("delete from token_reservations where owner = $1 and expires_at <= $2")
            .bind(owner.to_string())
            .bind(now_ms)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Reservation::Held)
    }

    /// Ends a reservation (the run's usage is recorded by now).
    pub async fn release_tokens(&self, id: Uuid) -> StoreResult<()> {
        sqlx::query("delete from token_reservations where id = $1")
            .bind(id.to_string())
            .execute(self.pool())
            .await?;
        Ok(())
    }
}
