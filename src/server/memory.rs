//! The markdown memory directory: `users/{id}/user.md` profiles (and, later, chat documents).
//!
//! Only this module builds paths inside the memory directory, and only from parsed UUIDs.

mod user_memory;

pub use user_memory::{UserMemory, UserMemoryError};
