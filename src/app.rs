//! The page shell, the root component and the router.

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, MetaTags, Title};
use leptos_router::components::{Router, Routes};
use leptos_router::hooks::use_location;
use leptos_router::MatchNestedRoutes;
use leptos_router::{components::Route, path, SsrMode};

use crate::i18n::*;
use crate::ui::auth_context::AuthProvider;
use crate::ui::components::site_header::SiteHeader;
use crate::ui::pages::not_found::NotFound;
use crate::ui::shortcuts::KeyboardShortcuts;

/// The language the server chose for this page (the account's, else the browser's), read by
/// the shell for `<html lang>` and by [`App`] for every word on the page.
#[derive(Clone, Copy)]
struct PageLocale(Locale);

/// The HTML document around every page.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    // The page's Content-Security-Policy names the nonce leptos puts on its scripts.
    #[cfg(feature = "ssr")]
    crate::server::http::set_page_policy();
    #[cfg(feature = "ssr")]
    let locale = crate::server::context::request_locale();
    #[cfg(not(feature = "ssr"))]
    let locale = Locale::default();
    provide_context(PageLocale(locale));
    view! {
        <!DOCTYPE html>
        // The browser's copy of the app reads its language from here: no flash of another.
        <html lang=locale.as_str()>
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light dark"/>
                <meta name="description" content=td_string!(locale, common.description)/>
                <AutoReload options=options.clone()/>
                {hydration_scripts(options.clone())}
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

/// The script that starts the browser's copy of the app: on the server, the page's part's own
/// bundle where the release build made one (src/page_bundle.rs).
fn hydration_scripts(options: LeptosOptions) -> AnyView {
    #[cfg(feature = "ssr")]
    return crate::server::http::hydration_scripts(options);
    #[cfg(not(feature = "ssr"))]
    view! { <HydrationScripts options/> }.into_any()
}

/// The root component: contexts, header and routes.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Routes render PartiallyBlocked (or Async): the blocking user resource is resolved in
    // place, so the page is complete HTML even before (or without) the WASM.
    // Set only in the browser, once the WASM runs: tests wait for it before interacting.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    // The page's language is the server's choice (cookies play no part); in the browser it is
    // read back from `<html lang>`, which [`LangAttribute`] then keeps up to date. (The
    // generated `<I18nContextProvider>` would add an empty `<script>` without the page's nonce.)
    let i18n = leptos_i18n::context::init_i18n_context_with_options::<Locale>(
        leptos_i18n::context::I18nContextOptions::default()
            .enable_cookie(false)
            .ssr_lang_header_getter(page_language()),
    );
    provide_context(i18n);

    view! {
        <LangAttribute/>
        <Title formatter=page_title/>
        <Router>
          <AuthProvider>
            <SkipLink/>
            <KeyboardShortcuts/>
            <div class="app" data-hydrated=move || if hydrated.get() { "true" } else { "false" }>
                <PageHeader/>
                <Main>
                    <Routes fallback=NotFound><CarriedRoutes/></Routes>
                </Main>
            </div>
          </AuthProvider>
        </Router>
    }
}

// Each part of the site's routes, compiled in where the build carries the part
// (src/page_bundle.rs). A link into a part the build does not carry is a page load
// (`crate::ui::other_parts`), so the router never looks for one.

/// The routes this build carries: every part's, or those of the one part its bundle is for.
#[component(transparent)]
fn CarriedRoutes() -> impl MatchNestedRoutes + Clone {
    // `(public_routes(), chat_routes(), …)`, or the one part's: written by build.rs from the
    // page-* features in Cargo.toml.
    let routes = include!(concat!(env!("OUT_DIR"), "/carried_routes.rs"));
    maybe_erased(routes)
}

/// A development build (cargo-leptos passes `--cfg erase_components`) makes the `component`
/// macro declare [`CarriedRoutes`] as returning `AnyNestedRoute`, so the routes are erased to
/// that type there; elsewhere they keep their own type (faster hydration, see Cargo.toml).
#[cfg(erase_components)]
fn maybe_erased(
    routes: impl MatchNestedRoutes + Send + Clone + 'static,
) -> leptos_router::any_nested_route::AnyNestedRoute {
    use leptos_router::any_nested_route::IntoAnyNestedRoute;
    routes.into_any_nested_route()
}

#[cfg(not(erase_components))]
fn maybe_erased<R>(routes: R) -> R {
    routes
}

#[cfg(carries_public)]
fn public_routes() -> impl MatchNestedRoutes + Clone {
    use crate::ui::pages::{landing::Landing, login::LoginPage, register::RegisterPage};
    view! {
        <Route path=path!("/") view=Landing ssr=SsrMode::PartiallyBlocked/>
        <Route path=path!("/login") view=LoginPage ssr=SsrMode::PartiallyBlocked/>
        <Route path=path!("/register") view=RegisterPage ssr=SsrMode::PartiallyBlocked/>
    }
    .into_inner()
}

#[cfg(carries_chat)]
fn chat_routes() -> impl MatchNestedRoutes + Clone {
    use crate::ui::pages::chat::{ChatLayout, ChatView, NewChatView};
    use leptos_router::components::ParentRoute;
    view! {
        <ParentRoute path=path!("/chat") view=ChatLayout ssr=SsrMode::Async>
            <Route path=path!("") view=NewChatView ssr=SsrMode::Async/>
            <Route path=path!(":id") view=ChatView ssr=SsrMode::Async/>
        </ParentRoute>
    }
    .into_inner()
}

#[cfg(carries_profile)]
fn profile_routes() -> impl MatchNestedRoutes + Clone {
    use crate::ui::pages::profile::ProfilePage;
    view! { <Route path=path!("/profile") view=ProfilePage ssr=SsrMode::Async/> }.into_inner()
}

#[cfg(carries_admin)]
fn admin_routes() -> impl MatchNestedRoutes + Clone {
    use crate::ui::pages::admin::AdminPage;
    view! { <Route path=path!("/admin") view=AdminPage ssr=SsrMode::PartiallyBlocked/> }
        .into_inner()
}

/// Tells leptos_i18n the page's language on the server, where it would otherwise read
/// `Accept-Language` itself and miss the account's choice.
fn page_language() -> leptos_use::UseLocalesOptions {
    let options = leptos_use::UseLocalesOptions::default();
    match use_context::<PageLocale>() {
        Some(PageLocale(locale)) => {
            options.ssr_lang_header_getter(move || Some(locale.as_str().to_string()))
        }
        None => options,
    }
}

#[component]
fn SkipLink() -> impl IntoView {
    let i18n = use_i18n();
    view! { <a class="skip-link" href="#main">{tx!(i18n, common.skip_to_content)}</a> }
}

/// Keeps `<html lang>` equal to the page's language when it changes in the browser (the
/// language choice on the profile page), so screen readers pronounce the words right.
#[component]
fn LangAttribute() -> impl IntoView {
    let i18n = use_i18n();
    Effect::new(move |_| {
        let lang = i18n.get_locale().as_str();
        if let Some(root) = document().document_element() {
            let _ = root.set_attribute("lang", lang);
        }
    });
}

/// The site header everywhere but the chat pages, which carry their own (plan section 5.1).
#[component]
fn PageHeader() -> impl IntoView {
    let location = use_location();
    move || (!location.pathname.get().starts_with("/chat")).then(|| view! { <SiteHeader/> })
}

/// The main landmark; the chat pages use the full width, the administration's tables more.
#[component]
fn Main(children: Children) -> impl IntoView {
    let location = use_location();
    view! {
        <main
            id="main"
            class="main"
            class:wide=move || location.pathname.get().starts_with("/chat")
            class:roomy=move || location.pathname.get().starts_with("/admin")
        >
            {children()}
        </main>
    }
}

/// "{page} · maruntime". leptos_meta 0.8 writes the server-rendered `<title>` without
/// escaping it, so a chat titled `</title><script>…` would run script; the server escapes
/// here. In the browser the title is set as plain text and must not be escaped.
fn page_title(page: String) -> String {
    let full = if page.is_empty() {
        "maruntime".to_string()
    } else {
        format!("{page} · maruntime")
    };
    if cfg!(feature = "ssr") {
        full.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    } else {
        full
    }
}
