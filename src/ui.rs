//! Components and pages. They reach the server only through [`crate::api`] server functions.

pub mod agent_run;
pub mod auth_context;
pub mod chat_list;
pub mod components;
pub mod pages;

/// "2026-01-08 14:30 UTC": compact and unambiguous across time zones.
pub fn format_time(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}
