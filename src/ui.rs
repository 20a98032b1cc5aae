//! Components and pages. They reach the server only through [`crate::api`] server functions.

pub mod agent_run;
pub mod auth_context;
pub mod chat_list;
pub mod components;
#[cfg(feature = "hydrate")]
pub mod other_parts;
pub mod page_load;
pub mod pages;
pub mod shortcuts;
pub mod text;

#[cfg(feature = "ssr")]
use chrono::{Datelike, Timelike};

use crate::i18n::Locale;
use crate::model::Timestamp;

/// A moment in the reader's language, compact and unambiguous across time zones:
/// "2026-01-08 14:30 UTC", "08.01.2026 14:30 UTC".
pub fn format_time(t: Timestamp, locale: Locale) -> String {
    format!(
        "{} {:02}:{:02} UTC",
        format_date(t, locale),
        t.hour(),
        t.minute()
    )
}

/// A day in the reader's language: "2026-01-08", "08.01.2026".
pub fn format_date(t: Timestamp, locale: Locale) -> String {
    // Written out rather than through strftime, which would put chrono's formatter in the
    // WASM (see `crate::model::Timestamp`).
    let (year, month, day) = (t.year(), t.month(), t.day());
    match locale {
        Locale::ru => format!("{day:02}.{month:02}.{year:04}"),
        Locale::en => format!("{year:04}-{month:02}-{day:02}"),
    }
}
