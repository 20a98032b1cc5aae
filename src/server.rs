//! Everything that runs only on the server. The browser build never sees this tree.

pub mod admin;
pub mod agent;
pub mod auth;
pub mod chats;
pub mod cli;
pub mod config;
pub mod context;
pub mod cookies;
pub mod error_language;
pub mod errors;
pub mod http;
pub mod ids;
pub mod imports;
pub mod jobs;
pub mod markdown;
pub mod memory;
pub mod search;
pub mod site;
pub mod startup;
pub mod state;
pub mod store;
pub mod telemetry;
pub mod usage;
