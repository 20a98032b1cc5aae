//! The page shell, the root component and the router.

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, MetaTags, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{path, SsrMode};

use crate::ui::auth_context::provide_auth_context;
use crate::ui::components::site_header::SiteHeader;
use crate::ui::pages::{
    landing::Landing, login::LoginPage, not_found::NotFound, profile::ProfilePage,
    register::RegisterPage,
};

/// The HTML document around every page.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light dark"/>
                <meta name="description" content="maruntime: a self-hosted AI chat that remembers."/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options=options.clone()/>
                <HashedStylesheet options id="leptos"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The root component: contexts, header and routes.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    provide_auth_context();
    // Routes render PartiallyBlocked (or Async): the blocking user resource is resolved in
    // place, so the page is complete HTML even before (or without) the WASM.
    // Set only in the browser, once the WASM runs: tests wait for it before interacting.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));

    view! {
        <Title formatter=|page: String| if page.is_empty() { "maruntime".to_string() } else { format!("{page} · maruntime") }/>
        <Router>
            <a class="skip-link" href="#main">"Skip to content"</a>
            <div class="app" data-hydrated=move || if hydrated.get() { "true" } else { "false" }>
                <SiteHeader/>
                <main id="main" class="main">
                    <Routes fallback=NotFound>
                        <Route path=path!("/") view=Landing ssr=SsrMode::PartiallyBlocked/>
                        <Route path=path!("/login") view=LoginPage ssr=SsrMode::PartiallyBlocked/>
                        <Route path=path!("/register") view=RegisterPage ssr=SsrMode::PartiallyBlocked/>
                        <Route path=path!("/profile") view=ProfilePage ssr=SsrMode::Async/>
                    </Routes>
                </main>
            </div>
        </Router>
    }
}
