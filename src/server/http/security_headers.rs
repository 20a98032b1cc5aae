//! Headers a browser enforces, on every answer.
//!
//! Pages get a Content-Security-Policy whose scripts are those of this site carrying the
//! request's nonce (leptos renders it into the hydration scripts): an injected inline script
//! does not run. No page may be framed (clickjacking), no answer is content-sniffed, a URL
//! (which names chats) is never sent to another site as a referrer, and with `Secure` cookies
//! browsers are told to use HTTPS only.

use axum::http::{header, HeaderName, HeaderValue};
use axum::response::Response;
use axum::Router;
use tower_http::set_header::SetResponseHeaderLayer;

/// The policy of a server-rendered page: scripts from this site with this request's nonce
/// (and WebAssembly compilation for the hydration code), nothing inline without the nonce.
/// `live_reload` adds the websocket `cargo leptos watch` uses in development.
pub fn page_policy(nonce: &str, live_reload: Option<u32>) -> String {
    let reload = live_reload
        .map(|port| format!(" ws://localhost:{port} ws://127.0.0.1:{port}"))
        .unwrap_or_default();
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'{reload}; \
         object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// For an HTML answer that no page rendered (an error page): no script at all.
const NO_SCRIPT_POLICY: &str = "default-src 'none'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Adds the headers to every answer of `router`. Plain header layers (no middleware future per
/// request): the JSON routes are the hot path.
pub fn with_security_headers<S: Clone + Send + Sync + 'static>(
    router: Router<S>,
    https: bool,
) -> Router<S> {
    let fixed: [(HeaderName, &'static str); 3] = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "same-origin"),
        (header::X_FRAME_OPTIONS, "DENY"),
    ];
    let mut router = router.layer(SetResponseHeaderLayer::if_not_present(
        header::CONTENT_SECURITY_POLICY,
        |response: &Response| is_html(response).then(|| HeaderValue::from_static(NO_SCRIPT_POLICY)),
    ));
    for (name, value) in fixed {
        router = router.layer(SetResponseHeaderLayer::overriding(
            name,
            HeaderValue::from_static(value),
        ));
    }
    if https {
        router = router.layer(SetResponseHeaderLayer::overriding(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        ));
    }
    router
}

fn is_html(response: &Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"))
}

/// Called while a page renders: puts its nonce's policy on the response.
pub fn set_page_policy() {
    use leptos::prelude::use_context;
    let (Some(nonce), Some(response)) = (
        leptos::nonce::use_nonce(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) else {
        return;
    };
    // `cargo leptos watch` sets LEPTOS_WATCH and serves live reload on LEPTOS_RELOAD_PORT.
    let live_reload = std::env::var_os("LEPTOS_WATCH").map(|_| {
        std::env::var("LEPTOS_RELOAD_PORT")
            .ok()
            .and_then(|p| p.parse().ok())
            .unwrap_or(3001)
    });
    if let Ok(value) = HeaderValue::from_str(&page_policy(&nonce, live_reload)) {
        response.insert_header(header::CONTENT_SECURITY_POLICY, value);
    }
    // One person's page (or the administration) is kept by no cache, not even for the back
    // button after logging out on a shared computer.
    let personal = use_context::<axum::http::request::Parts>()
        .is_some_and(|p| crate::login_paths::needs_login(p.uri.path()));
    if personal {
        response.insert_header(header::CACHE_CONTROL, HeaderValue::from_static(NO_STORE));
    }
}

/// `Cache-Control` of personal pages and of the administration's answers.
pub const NO_STORE: &str = "no-store";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_policy_allows_no_inline_script_without_the_nonce() {
        let policy = page_policy("abc", None);
        let scripts = policy
            .split(';')
            .find(|d| d.trim().starts_with("script-src"))
            .unwrap();
        assert!(scripts.contains("'nonce-abc'"));
        assert!(!scripts.contains("unsafe-inline"));
        assert!(policy.contains("frame-ancestors 'none'"));
    }

    #[tokio::test]
    async fn html_without_a_policy_gets_one_that_runs_no_script() {
        use axum::routing::get;
        use tower::ServiceExt;
        let app = |https| {
            with_security_headers(
                Router::new()
                    .route("/page", get(|| async { axum::response::Html("<p>hi</p>") }))
                    .route("/json", get(|| async { "{}" })),
                https,
            )
        };
        let call = |router: Router, path: &'static str| async move {
            router
                .oneshot(
                    axum::http::Request::get(path)
                        .body(axum::body::Body::empty())
                        .unwrap(),
                )
                .await
                .unwrap()
        };
        let page = call(app(true), "/page").await;
        let headers = page.headers();
        assert_eq!(headers[header::CONTENT_SECURITY_POLICY], NO_SCRIPT_POLICY);
        assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert!(headers.contains_key(header::STRICT_TRANSPORT_SECURITY));
        let plain = call(app(false), "/json").await;
        assert!(!plain
            .headers()
            .contains_key(header::STRICT_TRANSPORT_SECURITY));
        assert!(!plain
            .headers()
            .contains_key(header::CONTENT_SECURITY_POLICY));
        assert_eq!(plain.headers()[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    }
}
