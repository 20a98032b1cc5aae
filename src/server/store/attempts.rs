//! Queries on `attempts` (PostgreSQL): failed-attempt counters every process shares, so a
//! limit is the limit however many processes serve. A reservation's check and insert run in
//! one transaction holding a lock per bucket, so parallel guesses through any number of
//! processes cannot slip past it.

use sqlx::Row;
use uuid::Uuid;

use super::{Store, StoreResult};

impl Store {
    /// Counts one attempt at `now_ms` in every bucket, or in none: `Ok(Err(seconds))` when a
    /// bucket already holds `limit` attempts in the window, with the wait until its oldest
    /// one leaves it.
    pub async fn reserve_attempt(
        &self,
        id: Uuid,
        buckets: &[&str],
        limit: u32,
        window_ms: i64,
        now_ms: i64,
    ) -> StoreResult<Result<(), u64>> {
        let mut sorted: Vec<&str> = buckets.to_vec();
        // One order for every transaction, so two never wait on each other's locks.
        sorted.sort_unstable();
        sorted.dedup();
        let mut tx = self.begin_write().await?;
        let mut wait_ms = 0i64;
        for bucket in &sorted {
            sqlx::query("select pg_advisory_xact_lock(hashtextextended($1, 7321))::text as locked")
                .bind(*bucket)
                .fetch_one(&mut *tx)
                .await?;
            let row = sqlx::query(
                "select count(*) as n, coalesce(min(at), 0) as oldest from attempts \
                 where bucket = $1 and at > $2",
            )
            .bind(*bucket)
            .bind(now_ms - window_ms)
            .fetch_one(&mut *tx)
            .await?;
            let n: i64 = row.try_get("n")?;
            if n >= i64::from(limit) {
                let oldest: i64 = row.try_get("oldest")?;
                wait_ms = wait_ms.max(oldest + window_ms - now_ms);
            }
        }
        if wait_ms > 0 {
            tx.rollback().await?;
            return Ok(Err((wait_ms as u64).div_ceil(1000).max(1)));
        }
        for bucket in &sorted {
            sqlx::query("insert into attempts (id, bucket, at) values ($1, $2, $3)")
                .bind(id.to_string())
                .bind(*bucket)
                .bind(now_ms)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(Ok(()))
    }

    /// Takes back a reservation's attempts (it succeeded, or was never checked).
    pub async fn release_attempt(&self, id: Uuid) -> StoreResult<()> {
        sqlx::query("delete from attempts where id = $1")
            .bind(id.to_string())
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Forgets a bucket's attempts (a successful login clears that login's failures).
    pub async fn clear_attempts(&self, bucket: &str) -> StoreResult<()> {
        sqlx::query("delete from attempts where bucket = $1")
            .bind(bucket)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Deletes attempts older than `before_ms` (outside every window).
    pub async fn purge_attempts(&self, before_ms: i64) -> StoreResult<u64> {
        Ok(sqlx::query("delete from attempts where at < $1")
            .bind(before_ms)
            .execute(self.pool())
            .await?
            .rows_affected())
    }
}
