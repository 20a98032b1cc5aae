//! Components and pages. They reach the server only through [`crate::api`] server functions.

pub mod agent_run;
pub mod auth_context;
pub mod chat_list;
pub mod components;
#[cfg(feature = "hydrate")]
pub mod other_parts;
pub mod pages;
pub mod shortcuts;
pub mod text;

use chrono::{DateTime, Utc};

use crate::i18n::Locale;

/// A moment in the reader's language, compact and unambiguous across time zones:
/// "2026-01-08 14:30 UTC", "08.01.2026 14:30 UTC".
pub fn format_time(t: DateTime<Utc>, locale: Locale) -> String {
    let pattern = match locale {
        Locale::ru => "%d.%m.%Y %H:%M UTC",
        Locale::en => "%Y-%m-%d %H:%M UTC",
    };
    t.format(pattern).to_string()
}

/// A day in the reader's language: "2026-01-08", "08.01.2026".
pub fn format_date(t: DateTime<Utc>, locale: Locale) -> String {
    let pattern = match locale {
        Locale::ru => "%d.%m.%Y",
        Locale::en => "%Y-%m-%d",
    };
    t.format(pattern).to_string()
}
