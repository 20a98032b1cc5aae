//! The page's words as values that follow its language (see the `tx!` macro).

use leptos_i18n::I18nContext;

use crate::i18n::Locale;

/// `text` in the page's language, read again when the language changes. Every call returns
/// the same closure type, so the view and attribute code for it exists once in the WASM.
pub fn tr(
    i18n: I18nContext<Locale>,
    text: fn(Locale) -> &'static str,
) -> impl Fn() -> &'static str + Copy + Send + Sync + 'static {
    move || text(i18n.get_locale())
}
