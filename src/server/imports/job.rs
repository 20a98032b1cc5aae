//! One import, from an uploaded file to chats: the file is checked whole first (so a broken
//! or foreign file imports nothing), then read again conversation by conversation on a
//! blocking thread and handed over a small channel to the writer, which stores each as a
//! chat. Memory stays bounded by the largest conversation, whatever the file's size. The
//! counters are written to the database as the import goes, for every process to read.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicU8, Ordering};
use std::sync::Arc;
use std::time::Duration;

use uuid::Uuid;

use super::file::{each_conversation_in, FileError};
use super::reader::{Budget, ReadError};
use super::ImportedChat;
use crate::error::AppError;
use crate::model::{ImportSummary, User};
use crate::server::chats::{ChatService, ImportOutcome};
use crate::server::store::{ImportProgress, ImportWanted, Store};

/// The largest conversation read: its JSON sits in memory whole while it is read.
pub const MAX_CONVERSATION_BYTES: u64 = 64 << 20;
/// The most memory one conversation's tree may take while it is read (its texts, and every
/// object and list: a conversation of millions of tiny parts is refused here). Real ones take
/// a few MiB; with `MARUNTIME_IMPORTS_AT_ONCE` imports at once, this bounds their memory.
pub const MAX_CONVERSATION_MEMORY: u64 = 64 << 20;
/// The JSON an export may unpack to, at least: a heavy ChatGPT user's conversations.json is
/// hundreds of MiB. An upload limit set higher raises it to that limit.
const MIN_UNPACK_BYTES: u64 = 1 << 30;
/// How often the counters are written while they move; also the heartbeat that tells other
/// processes this import is alive.
const REPORT_EVERY: Duration = Duration::from_millis(400);
/// A running import not heard from for this long belongs to a process that died.
pub const STALE_AFTER: Duration = Duration::from_secs(60);

const RECEIVING: u8 = 0;
const CHECKING: u8 = 1;
const IMPORTING: u8 = 2;
const WAITING: u8 = 3;

/// Why an import was stopped before it finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum StopReason {
    /// Its owner asked (`DELETE /v1/imports/latest`).
    Owner = 1,
    /// The account was deleted, or the import's row is gone.
    AccountGone = 2,
    /// The server is shutting down and the grace period is over.
    Shutdown = 3,
}

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
    truncated: AtomicU64,
    /// Set to stop the import: the reading threads and the writer look at it often.
    stop: Arc<AtomicBool>,
    /// A [`StopReason`] once stopped.
    stop_reason: AtomicU8,
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
                WAITING => "waiting",
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
            truncated: self.truncated.load(Ordering::Relaxed) as i64,
        }
    }

    /// Stops the import (the first reason given is the one it keeps).
    pub fn stop(&self, reason: StopReason) {
        let _ = self.stop_reason.compare_exchange(
            0,
            reason as u8,
            Ordering::Relaxed,
            Ordering::Relaxed,
        );
        self.stop.store(true, Ordering::Relaxed);
    }

    pub fn stopped(&self) -> Option<StopReason> {
        if !self.stop.load(Ordering::Relaxed) {
            return None;
        }
        Some(match self.stop_reason.load(Ordering::Relaxed) {
            1 => StopReason::Owner,
            2 => StopReason::AccountGone,
            _ => StopReason::Shutdown,
        })
    }

    /// The error a stopped import ends with.
    pub fn stopped_error(&self) -> Option<AppError> {
        Some(match self.stopped()? {
            StopReason::Owner | StopReason::AccountGone => AppError::Conflict {
                field: "file".into(),
                message: "The import was stopped before it finished. Chats imported so far \
                          are kept; importing the file again adds only what is missing."
                    .into(),
            },
            StopReason::Shutdown => AppError::Unavailable(
                "The server shut down during the import. Chats imported so far are kept; \
                 importing the file again adds only what is missing."
                    .into(),
            ),
        })
    }

    pub fn set_waiting(&self) {
        self.phase.store(WAITING, Ordering::Relaxed);
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
            loop {
                tokio::time::sleep(REPORT_EVERY).await;
                // Written every time: the write is the heartbeat, and its answer says whether
                // the import is still wanted (its owner may have asked, on any process, to
                // stop it, or the account may be gone).
                match store
                    .record_import_progress(import_id, &progress.snapshot())
                    .await
                {
                    Ok(ImportWanted::Yes) => {}
                    Ok(ImportWanted::StopAsked) => progress.stop(StopReason::Owner),
                    Ok(ImportWanted::Gone) => progress.stop(StopReason::AccountGone),
                    Err(e) => tracing::warn!(%import_id, "recording import progress: {e}"),
                }
                if progress.stopped().is_some() {
                    return;
                }
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
/// is the upload limit, which also bounds how much a zip may unpack to; a message longer
/// than `max_message_bytes` is cut there.
pub async fn import_file(
    chats: &ChatService,
    user: &User,
    path: PathBuf,
    max_bytes: u64,
    max_message_bytes: usize,
    progress: &Arc<Progress>,
) -> Result<ImportSummary, AppError> {
    let size = tokio::fs::metadata(&path)
        .await
        .map_err(|e| crate::server::errors::internal("reading an uploaded export", e))?
        .len();
    let total = max_bytes.max(MIN_UNPACK_BYTES);

    // Check: the whole file reads, and holds conversations.
    progress.start_phase(CHECKING, size);
    let found = {
        let (path, progress) = (path.clone(), progress.clone());
        tokio::task::spawn_blocking(move || {
            let budget = budget(total, &progress);
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
    let (elements, found) = found.map_err(|e| refusal(e, progress))?;
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
    // Two conversations in flight at most: each holds its whole text.
    let (send, mut receive) = tokio::sync::mpsc::channel::<ImportedChat>(1);
    let reading = {
        let progress = progress.clone();
        tokio::task::spawn_blocking(move || {
            let budget = budget(total, &progress);
            each_conversation_in(&path, &budget, &progress.bytes_done, |c| match c {
                // Elements of no known format are counted here, not handed over: a file of
                // millions of them costs the reading alone.
                None => {
                    progress.skipped.fetch_add(1, Ordering::Relaxed);
                    progress.conversations_done.fetch_add(1, Ordering::Relaxed);
                    Ok(())
                }
                Some(chat) => send
                    .blocking_send(chat)
                    .map_err(|_| "the import stopped".to_string()),
            })
        })
    };
    let mut summary = ImportSummary {
        imported: 0,
        skipped: 0,
        messages: 0,
        truncated: 0,
        chats: Vec::new(),
    };
    let mut failed = None;
    while let Some(conversation) = receive.recv().await {
        if progress.stopped().is_some() {
            break;
        }
        match chats
            .import_chat(user, &conversation, max_message_bytes)
            .await
        {
            Ok(ImportOutcome::Written {
                chat,
                messages,
                truncated,
            }) => {
                summary.truncated += truncated as i64;
                progress
                    .truncated
                    .fetch_add(truncated as u64, Ordering::Relaxed);
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
    if let Some(e) = progress.stopped_error() {
        return Err(e);
    }
    if let Some(e) = failed {
        return Err(e);
    }
    read.map_err(|e| refusal(e, progress))?;
    // Elements of no known format were counted by the reading thread.
    summary.skipped = progress.skipped.load(Ordering::Relaxed) as i64;
    Ok(summary)
}

/// The reading's budget: per conversation, in all, and stopped with the import.
fn budget(total: u64, progress: &Progress) -> Budget {
    Budget::new(MAX_CONVERSATION_BYTES, MAX_CONVERSATION_MEMORY, total)
        .stopped_by(progress.stop.clone())
}

/// What a person is told about a file that cannot be imported (or an import stopped).
fn refusal(e: FileError, progress: &Progress) -> AppError {
    if let Some(stopped) = progress.stopped_error() {
        return stopped;
    }
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
        FileError::Read(ReadError::Cancelled) => AppError::Conflict {
            field: "file".into(),
            message: "The import was stopped before it finished.".into(),
        },
        FileError::TooManyEntries(max) => AppError::validation(
            "file",
            format!("The zip file holds more than {max} files; an export has far fewer. {FORMATS}"),
        ),
        FileError::Io(e) => crate::server::errors::internal("reading an uploaded export", e),
    }
}
