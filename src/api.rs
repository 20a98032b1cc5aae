//! Server functions: the web UI's way to the services. Each is a thin adapter: take the user
//! from the request, call a service, return its result or its [`crate::error::AppError`].

pub mod admin;
pub mod agent;
pub mod auth;
pub mod chats;
pub mod codec;
pub mod imports;
pub mod memory;
