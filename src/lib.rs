//! maruntime: a self-hosted, multi-user AI chat runtime.
//!
//! The crate builds twice: with `ssr` as the server (everything under [`server`]) and with
//! `hydrate` as the WASM that makes server-rendered pages interactive. Code outside
//! [`server`] is shared by both.

// Leptos view types nest deeply; the release WASM build needs more room than the default.
#![recursion_limit = "512"]

/// A word or sentence of the page, in its language, following it when it changes: a view
/// (`{tx!(i18n, chat.send)}`) or an attribute value (`aria-label=tx!(i18n, chat.send)`).
///
/// leptos_i18n's own `t!` makes a new view type at every call: hundreds of them cost about
/// 600 KB of WASM. Every `tx!` is the same type ([`ui::text::tr`]), rendered by one copy of
/// the code. Keys with variables still use `t!`.
macro_rules! tx {
    ($i18n:expr, $($key:tt)+) => {
        $crate::ui::text::tr($i18n, |locale| $crate::i18n::td_string!(locale, $($key)+))
    };
}

pub mod api;
pub mod app;
pub mod error;
pub mod login_paths;
pub mod model;
pub mod page_bundle;
pub mod ui;
pub mod validation;

#[cfg(feature = "ssr")]
pub mod server;

/// The UI's words in English and Russian, generated from `src/locales/{en,ru}.json`:
/// `use crate::i18n::*` brings `use_i18n`, `t!`, `t_string!` and `Locale`.
///
/// leptos_i18n 0.6 deprecates `load_locales!` in favour of a build script. That script's
/// build dependencies (ICU's data exporter, a TLS stack to download CLDR: about 200 crates)
/// would be compiled for every profile of every CI run, for the same generated module.
#[allow(deprecated)]
mod locales {
    leptos_i18n::load_locales!();
}
pub use locales::i18n;

/// The browser entry point: attaches to the server-rendered page.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    ui::other_parts::load_other_parts_fully();
    leptos::mount::hydrate_body(app::App);
}
