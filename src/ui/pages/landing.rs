//! `/`: what maruntime is.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::i18n::*;
use crate::ui::auth_context::use_auth;

#[component]
pub fn Landing() -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    let details_open = RwSignal::new(false);
    view! {
        <Title text=""/>
        <section class="hero">
            <h1>{tx!(i18n, auth.hero_title)}</h1>
            <p class="lead">{tx!(i18n, auth.hero_lead)}</p>
            <div class="hero-actions">
                {move || match auth.current_user() {
                        Some(user) => view! {
                            <p class="welcome">{t!(i18n, auth.welcome_back, name = user.display_name)}</p>
                            <A href="/chat" attr:class="button">{tx!(i18n, auth.open_your_chats)}</A>
                            <A href="/profile" attr:class="button secondary">{tx!(i18n, auth.your_profile)}</A>
                        }
                        .into_any(),
                        None => view! {
                            <A href="/register" attr:class="button">{tx!(i18n, auth.create_an_account)}</A>
                            <A href="/login" attr:class="button secondary">{tx!(i18n, auth.log_in)}</A>
                        }
                        .into_any(),
                }}
            </div>
        </section>
        <section class="features" aria-label=tx!(i18n, auth.what_you_get)>
            <article>
                <h2>{tx!(i18n, auth.feature_memory_title)}</h2>
                <p>{tx!(i18n, auth.feature_memory_text)}</p>
            </article>
            <article>
                <h2>{tx!(i18n, auth.feature_models_title)}</h2>
                <p>{tx!(i18n, auth.feature_models_text)}</p>
            </article>
            <article>
                <h2>{tx!(i18n, auth.feature_safe_title)}</h2>
                <p>{tx!(i18n, auth.feature_safe_text)}</p>
            </article>
        </section>
        <section class="details">
            <button
                type="button"
                class="disclosure"
                aria-expanded=move || details_open.get().to_string()
                aria-controls="how-it-works"
                on:click=move |_| details_open.update(|o| *o = !*o)
            >
                {move || if details_open.get() { t_string!(i18n, auth.hide_how_it_works) } else { t_string!(i18n, auth.how_it_works) }}
            </button>
            <div id="how-it-works" class="disclosure-body" hidden=move || !details_open.get()>
                <p>
                    {tx!(i18n, auth.how_it_works_before)}
                    <code>"/v1/chat/completions"</code>
                    {tx!(i18n, auth.how_it_works_after)}
                </p>
            </div>
        </section>
    }
}
