//! Shown for any path no route matches (served with status 404).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::i18n::*;

#[component]
pub fn NotFound() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <Title text=t_string!(i18n, common.page_not_found)/>
        <section class="centered">
            <h1>{tx!(i18n, common.page_not_found)}</h1>
            <p>{tx!(i18n, common.page_not_found_text)}</p>
            <A href="/" attr:class="button">{tx!(i18n, common.go_to_start)}</A>
        </section>
    }
}

/// Marks a server-rendered page as 404 (no effect in the browser).
#[component]
pub fn NotFoundStatus() -> impl IntoView {
    #[cfg(feature = "ssr")]
    crate::server::context::set_status(404);
}
