//! The imports this process runs: at most `MARUNTIME_IMPORTS_AT_ONCE` read at once (the others
//! wait their turn, so many accounts importing cannot multiply an import's memory and CPU),
//! and each can be stopped, all of them at shutdown.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use uuid::Uuid;

use super::job::{Progress, StopReason};
use crate::error::AppError;

#[derive(Clone)]
pub struct RunningImports {
    permits: Arc<Semaphore>,
    running: Arc<Mutex<HashMap<Uuid, Arc<Progress>>>>,
}

/// An import's turn to read; it leaves the list when dropped.
pub struct ImportTurn {
    _permit: OwnedSemaphorePermit,
    _listed: Listed,
}

/// An import known to the process (to be stopped at shutdown), from its upload on.
pub struct Listed {
    running: Arc<Mutex<HashMap<Uuid, Arc<Progress>>>>,
    id: Uuid,
}

impl Drop for Listed {
    fn drop(&mut self) {
        self.running.lock().expect("imports").remove(&self.id);
    }
}

/// How often a waiting import looks whether it was stopped.
const STOP_POLL: Duration = Duration::from_millis(200);

impl RunningImports {
    pub fn new(at_once: usize) -> Self {
        RunningImports {
            permits: Arc::new(Semaphore::new(at_once.max(1))),
            running: Arc::default(),
        }
    }

    /// Lists the import for [`stop_all`](Self::stop_all) while it runs.
    pub fn list(&self, id: Uuid, progress: Arc<Progress>) -> Listed {
        self.running.lock().expect("imports").insert(id, progress);
        Listed {
            running: self.running.clone(),
            id,
        }
    }

    /// Waits for the import's turn to read (its phase says `waiting` meanwhile); ends early
    /// with the import's stop error when it is stopped while waiting.
    pub async fn turn(&self, listed: Listed, progress: &Progress) -> Result<ImportTurn, AppError> {
        let permit = match self.permits.clone().try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => {
                progress.set_waiting();
                let acquire = self.permits.clone().acquire_owned();
                tokio::pin!(acquire);
                loop {
                    tokio::select! {
                        permit = &mut acquire => break permit.expect("never closed"),
                        _ = tokio::time::sleep(STOP_POLL) => {
                            if let Some(e) = progress.stopped_error() {
                                return Err(e);
                            }
                        }
                    }
                }
            }
        };
        Ok(ImportTurn {
            _permit: permit,
            _listed: listed,
        })
    }

    /// Stops every import of this process (at shutdown, once the grace period is over).
    pub fn stop_all(&self) -> usize {
        let running = self.running.lock().expect("imports");
        for progress in running.values() {
            progress.stop(StopReason::Shutdown);
        }
        running.len()
    }

    /// Imports this process runs now.
    pub fn count(&self) -> usize {
        self.running.lock().expect("imports").len()
    }
}
