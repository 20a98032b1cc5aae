//! The markdown memory directory: `users/{id}/user.md` profiles and `chats/{user}/{chat}.md`
//! chat documents.
//!
//! Only this module builds paths inside the memory directory, and only from parsed UUIDs.

pub mod chat_document;
mod chat_documents;
mod chat_memory;
mod user_memory;

pub use chat_documents::{ChatDocuments, DocumentsError, Finding, Problem};
pub use chat_memory::{header, ChatMemory, ChatMemoryError};
pub use user_memory::{ProfileSection, UserMemory, UserMemoryError};
