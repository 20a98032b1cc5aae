//! An account's one running import: taken before the upload is read (so a second one is
//! refused before it sends hundreds of megabytes), reported while it runs, and always ended:
//! done, failed with the reason, or, when dropped unfinished (a cut upload), failed as
//! interrupted.

use std::sync::Arc;

use uuid::Uuid;

use super::job::{Progress, Reporter, STALE_AFTER};
use crate::error::AppError;
use crate::server::store::{now, Store};

pub struct ImportSlot {
    store: Store,
    id: Uuid,
    progress: Arc<Progress>,
    _reporter: Reporter,
    finished: bool,
}

impl ImportSlot {
    /// Takes the user's import slot; 409 while another import of theirs runs.
    pub async fn take(
        store: &Store,
        user_id: Uuid,
        bytes_total: Option<u64>,
    ) -> Result<Self, AppError> {
        let stale_before = now()
            - chrono::Duration::from_std(STALE_AFTER).expect("a minute fits a chrono duration");
        let id = store
            .begin_import(user_id, bytes_total.map(|n| n as i64), stale_before)
            .await?
            .ok_or_else(|| AppError::Conflict {
                field: "file".into(),
                message: "An import of yours is already running. Wait for it to finish.".into(),
            })?;
        let progress = Progress::new(bytes_total);
        Ok(ImportSlot {
            _reporter: Reporter::start(store.clone(), id, progress.clone()),
            store: store.clone(),
            id,
            progress,
            finished: false,
        })
    }

    pub fn id(&self) -> Uuid {
        self.id
    }

    pub fn progress(&self) -> &Arc<Progress> {
        &self.progress
    }

    /// Records how the import ended (`error`: why it failed), with its last counters.
    pub async fn finish(mut self, error: Option<&AppError>) {
        self.finished = true;
        let error = error.map(|e| match e {
            AppError::Internal => "The import failed on the server. Try again; chats imported \
                                   so far are kept and are not imported twice."
                .to_string(),
            e => e.to_string(),
        });
        let counters = self.progress.snapshot();
        let done = self
            .store
            .finish_import_at(self.id, &counters, error.as_deref());
        if let Err(e) = done.await {
            tracing::error!(import_id = %self.id, "recording the end of an import: {e}");
        }
    }
}

impl Drop for ImportSlot {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        let (store, id) = (self.store.clone(), self.id);
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                let why = "The import was interrupted before it finished.";
                if let Err(e) = store.finish_import(id, Some(why)).await {
                    tracing::error!(import_id = %id, "recording an interrupted import: {e}");
                }
            });
        }
    }
}
