//! A failed-attempt limit, counted where every process serving the database sees it: in
//! memory on SQLite (one process), in the `attempts` table on PostgreSQL (any number).

use std::time::Duration;

use uuid::Uuid;

use super::rate_limit::{RateLimiter, Reservation};
use crate::error::AppError;
use crate::server::store::{now, Engine, Store};

#[derive(Clone)]
pub enum Limiter {
    Local(RateLimiter),
    Shared {
        store: Store,
        limit: u32,
        window: Duration,
    },
}

/// An attempt counted by [`Limiter::reserve`]: kept as a failure, or released.
#[must_use = "a reservation is either kept (a failure) or released (a success)"]
pub enum Held {
    Local(Reservation),
    Shared(Uuid),
}

impl Limiter {
    /// In the database when several processes may serve it (PostgreSQL), else in memory.
    pub fn new(store: Option<&Store>, limit: u32, window: Duration) -> Self {
        match store {
            Some(store) if store.engine() == Engine::Postgres => Limiter::Shared {
                store: store.clone(),
                limit,
                window,
            },
            _ => Limiter::Local(RateLimiter::new(limit, window)),
        }
    }

    /// Counts one attempt in every bucket, or refuses it (429 with the wait).
    pub async fn reserve(&self, buckets: &[&str]) -> Result<Held, AppError> {
        let refused = |retry_after_secs| AppError::RateLimited { retry_after_secs };
        match self {
            Limiter::Local(limiter) => limiter.reserve(buckets).map(Held::Local).map_err(refused),
            Limiter::Shared {
                store,
                limit,
                window,
            } => {
                let id = Uuid::new_v4();
                let window_ms = window.as_millis() as i64;
                let now_ms = now().timestamp_millis();
                match store
                    .reserve_attempt(id, buckets, *limit, window_ms, now_ms)
                    .await?
                {
                    Ok(()) => Ok(Held::Shared(id)),
                    Err(wait) => Err(refused(wait)),
                }
            }
        }
    }

    /// Takes back an attempt (it succeeded, or was never checked).
    pub async fn release(&self, held: Held) {
        match (self, held) {
            (Limiter::Local(limiter), Held::Local(reservation)) => limiter.release(reservation),
            (Limiter::Shared { store, .. }, Held::Shared(id)) => {
                if let Err(e) = store.release_attempt(id).await {
                    tracing::error!("releasing a counted attempt: {e}");
                }
            }
            _ => unreachable!("a reservation goes back to the limiter that made it"),
        }
    }

    /// Forgets a bucket (a successful login clears that login's failures).
    pub async fn clear(&self, bucket: &str) {
        match self {
            Limiter::Local(limiter) => limiter.clear(bucket),
            Limiter::Shared { store, .. } => {
                if let Err(e) = store.clear_attempts(bucket).await {
                    tracing::error!("clearing counted attempts: {e}");
                }
            }
        }
    }

    /// Deletes shared counters older than `age` (nothing to do in memory: see `prune`).
    pub async fn purge_older_than(&self, age: Duration) -> Result<u64, AppError> {
        match self {
            Limiter::Local(_) => Ok(0),
            Limiter::Shared { store, .. } => Ok(store
                .purge_attempts(now().timestamp_millis() - age.as_millis() as i64)
                .await?),
        }
    }

    /// Old counters out of memory (the shared table is purged by the housekeeping job).
    pub fn prune(&self) {
        if let Limiter::Local(limiter) = self {
            limiter.prune();
        }
    }
}
