//! Background jobs. Each process prunes its own in-memory limiter counters; the jobs that
//! act on the whole instance (purging expired sessions, indexing stored messages at first
//! start) run in one process at a time, the one holding their lease. Another process tries
//! for the lease every few seconds, so when the holder dies its jobs move on within
//! [`LEASE_TRY_EVERY`] (plus the time PostgreSQL takes to notice the closed connection).

use std::time::{Duration, Instant};

use super::auth::AuthService;
use super::store::{Job, Lease, Store};

/// How often a process without the lease tries for it (and the holder checks it still has it).
pub const LEASE_TRY_EVERY: Duration = Duration::from_secs(5);
/// Limiter counters and expired sessions are cleared this often (the limiters' window is
/// five minutes, so their memory follows recent activity closely).
const HOUSEKEEPING_EVERY: Duration = Duration::from_secs(3 * 60);

/// Runs the jobs until the task is aborted.
pub fn spawn(store: Store, auth: AuthService) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(LEASE_TRY_EVERY);
        let mut lease: Option<Lease> = None;
        let mut last_prune = Instant::now();
        let mut last_purge: Option<Instant> = None;
        loop {
            tick.tick().await;
            if last_prune.elapsed() >= HOUSEKEEPING_EVERY {
                auth.prune_limiters();
                last_prune = Instant::now();
            }
            if let Some(held) = &mut lease {
                if !held.is_held().await {
                    tracing::warn!("lost the background-job lease (database connection closed)");
                    lease = None;
                }
            }
            if lease.is_none() {
                match store.try_lease(Job::Housekeeping).await {
                    Ok(Some(taken)) => {
                        tracing::info!("this process runs the instance's background jobs");
                        lease = Some(taken);
                        last_purge = None;
                        index_if_missing(&store).await;
                    }
                    Ok(None) => continue,
                    Err(e) => {
                        tracing::warn!("trying for the background-job lease: {e}");
                        continue;
                    }
                }
            }
            if last_purge.is_none_or(|at| at.elapsed() >= HOUSEKEEPING_EVERY) {
                match auth.purge_expired_sessions().await {
                    Ok(n) if n > 0 => tracing::info!("purged {n} expired sessions"),
                    Ok(_) => {}
                    Err(e) => tracing::warn!("session purge failed: {e}"),
                }
                let ended_before = crate::server::store::now().timestamp_millis() - 60_000;
                if let Err(e) = store.purge_ended_runs(ended_before).await {
                    tracing::warn!("purging ended runs failed: {e}");
                }
                if let Err(e) = auth.purge_old_attempts().await {
                    tracing::warn!("purging old failed-attempt counters failed: {e}");
                }
                last_purge = Some(Instant::now());
            }
        }
    })
}

/// A database from before the search index has messages but no index entries: index them
/// (search finds more as it goes; new messages are indexed as they come). Titles from before
/// titles were searchable get their words.
async fn index_if_missing(store: &Store) {
    match store.index_is_missing().await {
        Ok(false) => {}
        Ok(true) => {
            tracing::info!("indexing stored messages for search (first start with the index)");
            match store.reindex(super::search::terms_to_index, 2_000).await {
                Ok(n) => tracing::info!("indexed {n} messages"),
                Err(e) => tracing::error!("indexing stored messages: {e}"),
            }
        }
        Err(e) => tracing::error!("checking the search index: {e}"),
    }
    match store.fill_title_words(500).await {
        Ok(0) => {}
        Ok(n) => tracing::info!("made {n} chat titles searchable"),
        Err(e) => tracing::error!("making chat titles searchable: {e}"),
    }
}
