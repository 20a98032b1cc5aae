//! The markdown memory directory: `users/{id}/user.md` profiles and `chats/{user}/{chat}.md`
//! chat documents.
//!
//! Only this module builds paths inside the memory directory, and only from parsed UUIDs.

/// Chat documents as files: appends, whole rewrites, a chat's lock.
mod document_files;
/// A chat document's format (plan 3.1): rendered, and parsed back.
pub mod document_format;
/// Chat documents kept in step with the database: written, rebuilt, verified.
mod document_sync;
mod user_memory;

pub use document_files::{header, ChatMemory, ChatMemoryError};
pub use document_sync::{ChatDocuments, DocumentsError, Finding, Problem};
pub use user_memory::{ProfileSection, UserMemory, UserMemoryError};
