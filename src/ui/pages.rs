//! One page per file.

pub mod admin;
pub mod chat;
pub mod landing;
pub mod login;
pub mod not_found;
pub mod profile;
pub mod register;
