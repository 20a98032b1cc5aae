//! Chat documents on disk: `chats/{user_id}/{chat_id}.md` (plan section 3.2).
//!
//! A new message is appended to its document in one write at the end of the file, and the
//! header's fixed-width `Updated:` time is overwritten in place, so an append costs the same in
//! a chat of 5,000 messages as in a new one. Whole documents (new chats, rebuilds, edits) are
//! replaced through a temporary file and a rename. Writers of one chat take that chat's lock
//! (see [`ChatMemory::lock`]), so appends never interleave. A document that does not end the
//! way every write leaves it (a blank line) was torn by a crash mid-write: the next append
//! finds it and the document is rewritten from the database, which stays the source of truth
//! (`maruntime memory verify` / `rebuild` too).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use tokio::sync::{Mutex, MutexGuard};
use uuid::Uuid;

use super::document_format::{
    format_time, render_document, render_entry, updated_offset, DocumentHeader, Entry,
};

/// Locks are striped: chats hashing to the same stripe wait for each other, which is rare and
/// harmless, and memory stays fixed however many chats there are.
const LOCK_STRIPES: usize = 256;

#[derive(Debug, thiserror::Error)]
pub enum ChatMemoryError {
    #[error("chat document I/O failed at {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("chat document {0} is missing")]
    Missing(PathBuf),
    #[error("chat document {0} is not in the expected format")]
    Malformed(PathBuf),
}

#[derive(Clone, Debug)]
pub struct ChatMemory {
    root: PathBuf,
    locks: Arc<Vec<Mutex<()>>>,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ChatMemoryError + '_ {
    move |source| ChatMemoryError::Io {
        path: path.to_path_buf(),
        source,
    }
}

impl ChatMemory {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        ChatMemory {
            root: root.into(),
            locks: Arc::new((0..LOCK_STRIPES).map(|_| Mutex::new(())).collect()),
        }
    }

    /// The lock that orders every write of one chat's document (and, held by the chat service
    /// across the database insert, keeps the document in the database's order).
    pub async fn lock(&self, chat_id: Uuid) -> MutexGuard<'_, ()> {
        let stripe = (chat_id.as_u128() % LOCK_STRIPES as u128) as usize;
        self.locks[stripe].lock().await
    }

    /// The folder of one user's chat documents.
    pub fn user_dir(&self, user_id: Uuid) -> PathBuf {
        self.root.join("chats").join(user_id.to_string())
    }

    /// Paths are built only from parsed ids, never from text a person typed.
    pub fn path(&self, user_id: Uuid, chat_id: Uuid) -> PathBuf {
        self.user_dir(user_id).join(format!("{chat_id}.md"))
    }

    /// Writes the document of a new chat: the header and an empty conversation.
    /// The caller holds the chat's lock.
    pub async fn create_chat_document(
        &self,
        user_id: Uuid,
        header: &DocumentHeader,
    ) -> Result<(), ChatMemoryError> {
        let chat_id = Uuid::parse_str(&header.chat_id).expect("headers carry parsed ids");
        self.write(user_id, chat_id, &render_document(header, &[]))
            .await
    }

    /// Adds entries (in one write at the end) and moves `Updated:` to the last, in place.
    /// The caller holds the chat's lock.
    pub async fn append_entries(
        &self,
        user_id: Uuid,
        chat_id: Uuid,
        entries: &[Entry],
    ) -> Result<(), ChatMemoryError> {
        let Some(last) = entries.last() else {
            return Ok(());
        };
        let path = self.path(user_id, chat_id);
        let tail: String = entries.iter().map(render_entry).collect();
        let updated = format_time(last.at);
        let task_path = path.clone();
        tokio::task::spawn_blocking(move || append_in_place(&task_path, &tail, &updated))
            .await
            .map_err(|e| io(&path)(std::io::Error::other(e)))?
    }

    /// The document as stored, or `None` when there is none.
    pub async fn get_chat_history(
        &self,
        user_id: Uuid,
        chat_id: Uuid,
    ) -> Result<Option<String>, ChatMemoryError> {
        let path = self.path(user_id, chat_id);
        match tokio::fs::read_to_string(&path).await {
            Ok(text) => Ok(Some(text)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io(&path)(e)),
        }
    }

    /// Replaces a document whole (rebuilds). The caller holds the chat's lock.
    pub async fn write(
        &self,
        user_id: Uuid,
        chat_id: Uuid,
        text: &str,
    ) -> Result<(), ChatMemoryError> {
        let path = self.path(user_id, chat_id);
        let dir = self.user_dir(user_id);
        tokio::fs::create_dir_all(&dir).await.map_err(io(&dir))?;
        let tmp = dir.join(format!(".{chat_id}.{}.tmp", Uuid::new_v4().simple()));
        tokio::fs::write(&tmp, text).await.map_err(io(&tmp))?;
        if let Err(e) = tokio::fs::rename(&tmp, &path).await {
            let _ = tokio::fs::remove_file(&tmp).await;
            return Err(io(&path)(e));
        }
        Ok(())
    }

    pub async fn delete_chat_document(
        &self,
        user_id: Uuid,
        chat_id: Uuid,
    ) -> Result<(), ChatMemoryError> {
        let path = self.path(user_id, chat_id);
        match tokio::fs::remove_file(&path).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io(&path)(e)),
        }
    }

    /// The chat ids that have a document in the user's folder.
    pub async fn list_documents(&self, user_id: Uuid) -> Result<Vec<Uuid>, ChatMemoryError> {
        let names = names_in(&self.user_dir(user_id)).await?;
        Ok(names
            .iter()
            .filter_map(|n| n.strip_suffix(".md").and_then(|s| Uuid::parse_str(s).ok()))
            .collect())
    }

    /// The user ids that have a chat folder.
    pub async fn list_users(&self) -> Result<Vec<Uuid>, ChatMemoryError> {
        let names = names_in(&self.root.join("chats")).await?;
        Ok(names
            .iter()
            .filter_map(|n| Uuid::parse_str(n).ok())
            .collect())
    }

    /// Removes all of a user's chat documents. Every chat lock is taken first, so a write that
    /// began before the account's rows were deleted finishes before the folder goes (instead
    /// of re-creating it afterwards). Callers hold no chat lock.
    pub async fn delete_user(&self, user_id: Uuid) -> Result<(), ChatMemoryError> {
        let mut guards = Vec::with_capacity(self.locks.len());
        for lock in self.locks.iter() {
            guards.push(lock.lock().await);
        }
        let dir = self.user_dir(user_id);
        match tokio::fs::remove_dir_all(&dir).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io(&dir)(e)),
        }
    }
}

/// A document's header fits in its first bytes (fixed fields and two one-line names).
const HEAD_BYTES: usize = 8192;

/// Appends `tail` at the end of the document and writes `updated` over its `Updated:` time.
fn append_in_place(path: &Path, tail: &str, updated: &str) -> Result<(), ChatMemoryError> {
    use std::os::unix::fs::FileExt;
    let file = match std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
    {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(ChatMemoryError::Missing(path.to_path_buf()))
        }
        Err(e) => return Err(io(path)(e)),
    };
    let len = file.metadata().map_err(io(path))?.len();
    let mut head = vec![0u8; (len as usize).min(HEAD_BYTES)];
    file.read_exact_at(&mut head, 0).map_err(io(path))?;
    let malformed = || ChatMemoryError::Malformed(path.to_path_buf());
    let offset = updated_offset(&head).ok_or_else(malformed)?;
    // Every complete document ends with a blank line (after the header or an entry).
    let mut end = [0u8; 2];
    file.read_exact_at(&mut end, len.checked_sub(2).ok_or_else(malformed)?)
        .map_err(io(path))?;
    if &end != b"\n\n" {
        return Err(malformed());
    }
    // The entry first: a crash between the two writes leaves only `Updated:` behind.
    if let Err(e) = file.write_all_at(tail.as_bytes(), len) {
        // A partial entry (a full disk, say) is taken back, so the document stays whole.
        let _ = file.set_len(len);
        return Err(io(path)(e));
    }
    file.write_all_at(updated.as_bytes(), offset as u64)
        .map_err(io(path))?;
    Ok(())
}

/// The names in a folder (none when it does not exist).
async fn names_in(dir: &Path) -> Result<Vec<String>, ChatMemoryError> {
    let mut read = match tokio::fs::read_dir(dir).await {
        Ok(read) => read,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io(dir)(e)),
    };
    let mut names = Vec::new();
    while let Some(entry) = read.next_entry().await.map_err(io(dir))? {
        names.push(entry.file_name().to_string_lossy().into_owned());
    }
    Ok(names)
}

/// The header a chat document starts with.
pub fn header(
    chat_id: Uuid,
    user_id: Uuid,
    user_name: &str,
    agent_name: &str,
    created: DateTime<Utc>,
    updated: DateTime<Utc>,
) -> DocumentHeader {
    DocumentHeader {
        chat_id: chat_id.to_string(),
        user_id: user_id.to_string(),
        user_name: user_name.to_string(),
        agent_name: agent_name.to_string(),
        created,
        updated,
    }
}
