//! Runs across processes (PostgreSQL). The process running a turn claims the chat's turn in
//! the `runs` table (so turns sent through other processes wait behind it), writes the run's
//! events there as they come (batched), beats its heart, and reads Stop requests from any
//! process. A process without the run follows it from the table. A run whose heartbeat
//! stops (its process died) ends for its followers with a failure, and the chat's next turn
//! takes the turn over.

use std::sync::Arc;
use std::time::Duration;

use futures::stream::BoxStream;
use futures::StreamExt;
use uuid::Uuid;

use super::runs::Run;
use crate::error::AppError;
use crate::model::RunEvent;
use crate::server::store::{now, SharedRunRow, Store};

/// How often a running turn's process beats its heart at least (more often while events
/// come), and how long without one makes a run's process count as dead.
const HEARTBEAT: Duration = Duration::from_secs(1);
const STALE_AFTER: Duration = Duration::from_secs(10);
/// Events are written in batches this far apart at most, and followers elsewhere poll this
/// often: the latency another process sees.
const BATCH: Duration = Duration::from_millis(40);
const POLL: Duration = Duration::from_millis(80);
/// How long a turn waits between tries for a chat whose turn another process holds.
const CLAIM_RETRY: Duration = Duration::from_millis(50);

#[derive(Clone, Debug)]
pub struct SharedRuns {
    store: Store,
}

/// A run found by chat or id: running here, or on another process.
pub enum FoundRun {
    Here(Arc<Run>),
    Elsewhere { store: Store, row: SharedRunRow },
}

impl FoundRun {
    pub fn id(&self) -> Uuid {
        match self {
            FoundRun::Here(run) => run.id,
            FoundRun::Elsewhere { row, .. } => row.id,
        }
    }

    pub fn chat_id(&self) -> Uuid {
        match self {
            FoundRun::Here(run) => run.chat_id,
            FoundRun::Elsewhere { row, .. } => row.chat_id,
        }
    }

    /// Every event from the start, then the live ones, ending after the final event.
    pub fn follow(&self) -> BoxStream<'static, RunEvent> {
        match self {
            FoundRun::Here(run) => run.follow().boxed(),
            FoundRun::Elsewhere { store, row } => follow_elsewhere(store.clone(), row.id).boxed(),
        }
    }
}

fn now_ms() -> i64 {
    now().timestamp_millis()
}

impl SharedRuns {
    pub fn new(store: Store) -> Self {
        SharedRuns { store }
    }

    /// Waits until the chat's turn is free on every process, then holds it for `run_id`.
    /// A caller that goes away while waiting claims nothing.
    pub async fn claim(&self, run_id: Uuid, chat_id: Uuid, owner: Uuid) -> Result<(), AppError> {
        loop {
            let now = now_ms();
            let stale = now - STALE_AFTER.as_millis() as i64;
            if self
                .store
                .claim_chat_turn(run_id, chat_id, owner, now, stale)
                .await?
            {
                return Ok(());
            }
            tokio::time::sleep(CLAIM_RETRY).await;
        }
    }

    /// Gives back a claimed turn whose run never started.
    pub fn abandon(&self, run_id: Uuid) {
        let store = self.store.clone();
        tokio::spawn(async move {
            if let Err(e) = store.abandon_run(run_id, now_ms()).await {
                tracing::error!(%run_id, "giving back a chat's turn: {e}");
            }
        });
    }

    /// Writes the run's events for other processes until its end, beats its heart, and stops
    /// it when someone asks through the database.
    pub fn publish(&self, run: Arc<Run>) {
        let store = self.store.clone();
        tokio::spawn(async move {
            let mut progress = run.progress_signal();
            let mut published = 0;
            loop {
                tokio::select! {
                    _ = progress.changed() => tokio::time::sleep(BATCH).await,
                    _ = tokio::time::sleep(HEARTBEAT) => {}
                }
                let (events, ended) = run.events_from(published);
                let texts: Vec<String> = events
                    .iter()
                    .map(|e| serde_json::to_string(e).expect("events serialize"))
                    .collect();
                match store
                    .publish_run_events(run.id, published, &texts, now_ms(), ended)
                    .await
                {
                    Ok(stop) => {
                        published += texts.len();
                        if stop {
                            run.stop();
                        }
                        if ended {
                            return;
                        }
                    }
                    // Tried again with the next batch; followers elsewhere wait meanwhile.
                    Err(e) => tracing::warn!(run_id = %run.id, "publishing run events: {e}"),
                }
            }
        });
    }

    pub async fn live_run(&self, owner: Uuid, chat_id: Uuid) -> Result<Option<FoundRun>, AppError> {
        Ok(self
            .store
            .live_run(owner, chat_id)
            .await?
            .map(|row| FoundRun::Elsewhere {
                store: self.store.clone(),
                row,
            }))
    }

    pub async fn run(&self, owner: Uuid, run_id: Uuid) -> Result<Option<FoundRun>, AppError> {
        Ok(self
            .store
            .shared_run(owner, run_id)
            .await?
            .map(|row| FoundRun::Elsewhere {
                store: self.store.clone(),
                row,
            }))
    }

    /// Asks the owner's live run in the chat to stop, wherever it runs.
    pub async fn stop(&self, owner: Uuid, chat_id: Uuid) -> Result<Option<Uuid>, AppError> {
        Ok(self.store.request_run_stop(owner, chat_id).await?)
    }
}

/// A run on another process, read from the database: its events in order; a failure if its
/// process stops beating its heart before the end.
fn follow_elsewhere(store: Store, run_id: Uuid) -> impl futures::Stream<Item = RunEvent> + Send {
    futures::stream::unfold(
        (store, 0usize, false),
        move |(store, next, done)| async move {
            if done {
                return None;
            }
            // The final event is written in the same transaction that ends the run: a run seen
            // ended is read once more before it counts as ended without one.
            let mut seen_ended = false;
            loop {
                let texts = match store.run_events_from(run_id, next).await {
                    Ok(texts) => texts,
                    Err(e) => {
                        tracing::warn!(%run_id, "following a run: {e}");
                        Vec::new()
                    }
                };
                if !texts.is_empty() {
                    let events: Vec<RunEvent> = texts
                        .iter()
                        .filter_map(|t| serde_json::from_str(t).ok())
                        .collect();
                    let ended = events.iter().any(RunEvent::is_final);
                    return Some((events, (store, next + texts.len(), ended)));
                }
                // Nothing new: the run may have ended (its events are all read) or died.
                let owner_gone = match store.shared_run_any(run_id).await {
                    Ok(Some(row)) if row.ended => {
                        if !seen_ended {
                            seen_ended = true;
                            continue;
                        }
                        true
                    }
                    Ok(Some(row)) => {
                        row.heartbeat_at_ms < now_ms() - STALE_AFTER.as_millis() as i64
                    }
                    Ok(None) => true,
                    Err(_) => false,
                };
                if owner_gone {
                    let failed = RunEvent::Failed {
                        error: "The server running this answer stopped; send your message again."
                            .into(),
                        message: None,
                    };
                    return Some((vec![failed], (store, next, true)));
                }
                tokio::time::sleep(POLL).await;
            }
        },
    )
    .flat_map(futures::stream::iter)
}
