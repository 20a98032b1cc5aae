//! One import, from an uploaded file to chats: the file is checked whole first (so a broken
//! or foreign file imports nothing), then read again conversation by conversation on a
//! blocking thread and handed over a small channel to the writer, which stores each as a
//! chat. Memory stays bounded by the largest conversation, whatever the file's size. The
//! counters are written to the database as the import goes, for every process to read.

use std::path::PathBuf;
use std::sync::atomic::{AtomicI64, AtomicU64, AtomicU8, Ordering};
use std::sync::Arc;
use std::time::Duration;

use uuid::Uuid;

use super::file::{each_conversation_in, FileError};
use super::reader::{Budget, ReadError};
use super::ImportedChat;
use crate::error::AppError;
use crate::model::{ImportSummary, User};
use crate::server::chats::{ChatService, ImportOutcome};
use crate::server::store::{ImportProgress, Store};

/// The largest conversation read: its JSON sits in memory whole while it is read.
pub const MAX_CONVERSATION_BYTES: u64 = 64 << 20;
/// How much larger than the upload limit a zip may unpack to (exports compress about 5 to 10
/// times; a zip bomb far more).
const UNPACK_FACTOR: u64 = 16;
/// How often the counters are written while they move; also the heartbeat that tells other
/// processes this import is alive.
const REPORT_EVERY: Duration = Duration::from_millis(400);
/// A running import not heard from for this long belongs to a process that died.
pub const STALE_AFTER: Duration = Duration::from_secs(60);

const RECEIVING: u8 = 0;
const CHECKING: u8 = 1;
const IMPORTING: u8 = 2;

/// An import's counters, shared by the upload, the reading thread and the writer.
#[derive(Debug, Default)]
pub struct Progress {
    phase: AtomicU8,
    /// -1: unknown.
    bytes_total: AtomicI64,
    pub bytes_done: AtomicU64,
    /// -1: not yet counted.
    conversations_total: AtomicI64,
    conversations_done: AtomicU64,
    imported: AtomicU64,
    skipped: AtomicU64,
    messages: AtomicU64,
}

impl Progress {
    pub fn new(bytes_total: Option<u64>) -> Arc<Self> {
        let progress = Progress::default();
        progress
            .bytes_total
            .store(bytes_total.map_or(-1, |n| n as i64), Ordering::Relaxed);
        progress.conversations_total.store(-1, Ordering::Relaxed);
        Arc::new(progress)
    }

    pub fn snapshot(&self) -> ImportProgress {
        let known = |n: i64| (n >= 0).then_some(n);
        ImportProgress {
            phase: match self.phase.load(Ordering::Relaxed) {
                RECEIVING => "receiving",
                CHECKING => "checking",
                _ => "importing",
            },
            bytes_total: known(self.bytes_total.load(Ordering::Relaxed)),
            bytes_done: self.bytes_done.load(Ordering::Relaxed) as i64,
            conversations_total: known(self.conversations_total.load(Ordering::Relaxed)),
            conversations_done: self.conversations_done.load(Ordering::Relaxed) as i64,
            imported: self.imported.load(Ordering::Relaxed) as i64,
            skipped: self.skipped.load(Ordering::Relaxed) as i64,
            messages: self.messages.load(Ordering::Relaxed) as i64,
        }
    }

    /// A new phase reading a file of `bytes` from its start.
    fn start_phase(&self, phase: u8, bytes: u64) {
        self.bytes_total.store(bytes as i64, Ordering::Relaxed);
        self.bytes_done.store(0, Ordering::Relaxed);
        self.conversations_done.store(0, Ordering::Relaxed);
        self.phase.store(phase, Ordering::Relaxed);
    }
}

/// Writes an import's counters to the database while they move, until dropped.
pub struct Reporter {
    task: tokio::task::JoinHandle<()>,
}

impl Reporter {
    pub fn start(store: Store, import_id: Uuid, progress: Arc<Progress>) -> Self {
        let task = tokio::spawn(async move {
            let mut last = None;
            let mut quiet = 0u32;
            loop {
                tokio::time::sleep(REPORT_EVERY).await;
                let now = progress.snapshot();
                quiet += 1;
                // Unchanged counters are written now and then all the same: the write is
                // the heartbeat.
                if last.as_ref() == Some(&now) && quiet < 10 {
                    continue;
                }
                if let Err(e) = store.record_import_progress(import_id, &now).await {
                    tracing::warn!(%import_id, "recording import progress: {e}");
                }
                last = Some(now);
                quiet = 0;
            }
        });
        Reporter { task }
    }
}

impl Drop for Reporter {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Imports the export at `path` (a file this import owns) as `user`'s chats. `max_bytes`
/// is the upload limit, which also bounds how much a zip may unpack to.
pub async fn import_file(
    chats: &ChatService,
    user: &User,
    path: PathBuf,
    max_bytes: u64,
    progress: &Arc<Progress>,
) -> Result<ImportSummary, AppError> {
    let size = tokio::fs::metadata(&path)
        .await
        .map_err(|e| crate::server::errors::internal("reading an uploaded export", e))?
        .len();
    let total = max_bytes.saturating_mul(UNPACK_FACTOR);

    // Check: the whole file reads, and holds conversations.
    progress.start_phase(CHECKING, size);
    let found = {
        let (path, progress) = (path.clone(), progress.clone());
        tokio::task::spawn_blocking(move || {
            let budget = Budget::new(MAX_CONVERSATION_BYTES, total);
            let mut found = 0u64;
            let elements = each_conversation_in(&path, &budget, &progress.bytes_done, |c| {
                found += u64::from(c.is_some());
                progress.conversations_done.fetch_add(1, Ordering::Relaxed);
                Ok(())
            })?;
            Ok::<_, FileError>((elements, found))
        })
        .await
        .map_err(|e| crate::server::errors::internal("checking an export", e))?
    };
    let (elements, found) = found.map_err(refusal)?;
    if found == 0 {
        return Err(AppError::validation(
            "file",
            "The file holds no conversations from ChatGPT, Claude, Open WebUI or LibreChat.",
        ));
    }

    // Import: the reading thread hands conversations to this task, a few at a time.
    progress.start_phase(IMPORTING, size);
    progress
        .conversations_total
        .store(elements as i64, Ordering::Relaxed);
    let (send, mut receive) = tokio::sync::mpsc::channel::<Option<ImportedChat>>(8);
    let reading = {
        let progress = progress.clone();
        tokio::task::spawn_blocking(move || {
            let budget = Budget::new(MAX_CONVERSATION_BYTES, total);
            each_conversation_in(&path, &budget, &progress.bytes_done, |c| {
                send.blocking_send(c)
                    .map_err(|_| "the import stopped".to_string())
            })
        })
    };
    let mut summary = ImportSummary {
        imported: 0,
        skipped: 0,
        messages: 0,
        chats: Vec::new(),
    };
    let mut failed = None;
    while let Some(conversation) = receive.recv().await {
        let outcome = match conversation {
            None => Ok(ImportOutcome::AlreadyThere),
            Some(chat) => chats.import_chat(user, &chat).await,
        };
        match outcome {
            Ok(ImportOutcome::Written { chat, messages }) => {
                summary.imported += 1;
                summary.messages += messages as i64;
                summary.chats.push(chat);
                progress.imported.fetch_add(1, Ordering::Relaxed);
                progress
                    .messages
                    .fetch_add(messages as u64, Ordering::Relaxed);
            }
            Ok(ImportOutcome::AlreadyThere) => {
                summary.skipped += 1;
                progress.skipped.fetch_add(1, Ordering::Relaxed);
            }
            Err(e) => {
                failed = Some(e);
                break;
            }
        }
        progress.conversations_done.fetch_add(1, Ordering::Relaxed);
    }
    // Stops the reading thread when the writer failed (its next send fails).
    drop(receive);
    let read = reading
        .await
        .map_err(|e| crate::server::errors::internal("reading an export", e))?;
    if let Some(e) = failed {
        return Err(e);
    }
    read.map_err(refusal)?;
    Ok(summary)
}

/// What a person is told about a file that cannot be imported.
fn refusal(e: FileError) -> AppError {
    const FORMATS: &str = "Choose conversations.json or the .zip exported from ChatGPT, Claude, \
                           Open WebUI or LibreChat.";
    match e {
        FileError::NotAnExport => AppError::UnsupportedMediaType(format!(
            "The file is neither a .zip nor a .json export. {FORMATS}"
        )),
        FileError::BrokenZip(why) => AppError::BadRequest(format!(
            "The zip file is broken ({why}). Download the export again."
        )),
        FileError::NoConversations => AppError::validation(
            "file",
            format!("The zip file holds no conversations.json. {FORMATS}"),
        ),
        FileError::Read(ReadError::Json(why)) => {
            AppError::BadRequest(format!("The file is not valid JSON: {why}."))
        }
        FileError::Read(ReadError::Io(why)) => {
            AppError::BadRequest(format!("The file could not be read: {why}."))
        }
        FileError::Read(ReadError::NotConversations) => AppError::validation(
            "file",
            format!("The file is JSON but not a list of conversations. {FORMATS}"),
        ),
        FileError::Read(ReadError::TooLarge(over)) => {
            AppError::PayloadTooLarge(format!("The import stopped: {over}."))
        }
        FileError::Read(ReadError::Stopped(why)) => {
            crate::server::errors::internal("importing an export", why)
        }
        FileError::Io(e) => crate::server::errors::internal("reading an uploaded export", e),
    }
}
