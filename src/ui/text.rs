//! The page's words as values that follow its language (see the `tx!` macro).

use leptos_i18n::I18nContext;

use crate::error::AppError;
use crate::i18n::{td_string, Locale};

/// `text` in the page's language, read again when the language changes. Every call returns
/// the same closure type, so the view and attribute code for it exists once in the WASM.
pub fn tr(
    i18n: I18nContext<Locale>,
    text: fn(Locale) -> &'static str,
) -> impl Fn() -> &'static str + Copy + Send + Sync + 'static {
    move || text(i18n.get_locale())
}

/// What the person reads for `error`, in the page's language (see [`error_text_in`]).
pub fn error_text(error: &AppError) -> String {
    error_text_in(error, page_locale())
}

/// The page's language where a component can see it, else English (a task spawned from an
/// event handler may run without the component's context: read this before spawning).
fn page_locale() -> Locale {
    leptos::prelude::use_context::<I18nContext<Locale>>()
        .map(|i18n| i18n.get_locale_untracked())
        .unwrap_or_default()
}

/// What the person reads for `error` in `locale`. Server functions word their errors in the
/// page's language already; the few the browser words itself (no connection, a server
/// fault, too many attempts) are worded here.
pub fn error_text_in(error: &AppError, locale: Locale) -> String {
    match error {
        AppError::Internal => td_string!(locale, common.error_internal).to_string(),
        AppError::Transport(_) => td_string!(locale, common.error_transport).to_string(),
        AppError::RateLimited { retry_after_secs } if *retry_after_secs < 60 => {
            td_string!(locale, common.error_too_many_seconds)
                .replace("{}", &retry_after_secs.to_string())
        }
        AppError::RateLimited { retry_after_secs } => {
            td_string!(locale, common.error_too_many_minutes)
                .replace("{}", &retry_after_secs.div_ceil(60).to_string())
        }
        other => other.to_string(),
    }
}
