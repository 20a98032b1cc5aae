//! The cross-process half of a chat's write lock (PostgreSQL). Writers of one chat take the
//! process's own lock first (see `ChatMemory::lock`), then this one, and hold both across the
//! database insert and the document append, so every process writes a chat's messages into
//! its document in the database's order. It is a transaction-level advisory lock on a
//! transaction of its own: however the holder ends (released, dropped on an error path), the
//! transaction rolls back and the lock goes with it. SQLite serves one process and needs none.

use std::sync::Arc;

use sqlx::Any;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use uuid::Uuid;

use super::{Engine, Store, StoreResult};

/// Held while a chat is written; dropping it releases the chat.
pub struct ChatWriteLock {
    /// Declared first: the transaction (and the lock) ends before the permit is returned.
    _tx: Option<sqlx::Transaction<'static, Any>>,
    _permit: Option<OwnedSemaphorePermit>,
}

/// A chat's advisory lock key: the first 8 bytes of its id.
fn chat_key(chat_id: Uuid) -> i64 {
    let bytes = chat_id.as_bytes();
    i64::from_be_bytes(bytes[..8].try_into().expect("8 bytes"))
}

/// Chat locks held at once by one process: each holds a pooled connection while its writer
/// needs a second one for the insert, so at most a quarter of the pool is held this way and
/// writers can never wait on each other for connections.
pub(super) fn lock_permits(pool_size: u32) -> Arc<Semaphore> {
    Arc::new(Semaphore::new((pool_size as usize / 4).max(1)))
}

impl Store {
    /// Takes `chat_id`'s write lock for the whole instance (waits while another process
    /// writes that chat).
    pub async fn lock_chat_writes(&self, chat_id: Uuid) -> StoreResult<ChatWriteLock> {
        if self.engine() == Engine::Sqlite {
            return Ok(ChatWriteLock {
                _tx: None,
                _permit: None,
            });
        }
        let permit = self
            .chat_lock_permits
            .clone()
            .acquire_owned()
            .await
            .expect("the semaphore is never closed");
        let mut tx = self.pool().begin().await?;
        sqlx::query("select pg_advisory_xact_lock($1)::text as locked")
            .bind(chat_key(chat_id))
            .fetch_one(&mut *tx)
            .await?;
        Ok(ChatWriteLock {
            _tx: Some(tx),
            _permit: Some(permit),
        })
    }
}
