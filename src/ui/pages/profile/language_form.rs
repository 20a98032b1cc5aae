//! The web UI's language: the browser's, English or Russian, kept with the account. The page
//! changes language at once; the server renders every later page in it (and the next login).

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::auth::set_language;
use crate::i18n::*;
use crate::ui::auth_context::use_auth;
use crate::ui::text::error_text;

#[component]
pub fn LanguageForm() -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    let chosen = move || {
        auth.user
            .with(|u| u.as_ref().and_then(|u| u.language.clone()))
            .unwrap_or_default()
    };
    // The browser's languages, for "Automatic" (the server reads the same from its header).
    let browser_languages = leptos_use::use_locales();
    let saved = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let on_change = move |event| {
        let language = event_target_value(&event);
        saved.set(false);
        error.set(None);
        let locale = match language.as_str() {
            "" => Locale::find_locale(&browser_languages.get_untracked()),
            other => Locale::find_locale(&[other]),
        };
        i18n.set_locale(locale);
        spawn_local(async move {
            match set_language(language).await {
                Ok(user) => {
                    auth.user.set(Some(user));
                    saved.set(true);
                }
                Err(e) => error.set(Some(error_text(&e))),
            }
        });
    };
    view! {
        <section class="card" aria-labelledby="language-heading">
            <h2 id="language-heading">{tx!(i18n, common.language_title)}</h2>
            <div class="form">
                <div class="field">
                    <label for="language-select">{tx!(i18n, common.language_label)}</label>
                    <select id="language-select" name="language" on:change=on_change>
                        <option value="" selected=move || chosen().is_empty()>
                            {tx!(i18n, common.language_auto)}
                        </option>
                        // Each language is named in itself, so anyone finds their own.
                        <option value="en" lang="en" selected=move || chosen() == "en">"English"</option>
                        <option value="ru" lang="ru" selected=move || chosen() == "ru">"Русский"</option>
                    </select>
                </div>
                <span class="success" role="status">
                    {move || saved.get().then_some(t_string!(i18n, common.saved))}
                </span>
                {move || error.get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
            </div>
        </section>
    }
}
