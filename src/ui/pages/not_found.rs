//! Shown for any path no route matches (served with status 404).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

#[component]
pub fn NotFound() -> impl IntoView {
    view! {
        <Title text="Page not found"/>
        <section class="centered">
            <h1>"Page not found"</h1>
            <p>"There is nothing at this address. It may have moved, or the link may be mistyped."</p>
            <A href="/" attr:class="button">"Go to the start page"</A>
        </section>
    }
}

/// Marks a server-rendered page as 404 (no effect in the browser).
#[component]
pub fn NotFoundStatus() -> impl IntoView {
    #[cfg(feature = "ssr")]
    crate::server::context::set_status(404);
}
