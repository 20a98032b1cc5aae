//! The web UI's built files (`/pkg`: WASM, JS, CSS) and the public ones (`public/`, copied to
//! the site root: the favicon, …), served straight from disk. A release build's files are
//! answered from memory before this (see `static_memory`); this serves a development build's,
//! which change while the server runs, and any file added after start-up.
//!
//! A release build (`cargo leptos build --release --precompress`) writes a brotli (`.br`) and a
//! gzip (`.gz`) file beside each of them, once. Here the file a browser accepts is picked by
//! `Accept-Encoding` and sent as it is: no request compresses anything (the response compressor
//! leaves answers that already carry a `Content-Encoding` alone). Without those files (a
//! development build) the plain file goes out and the compressor handles it as before.

use std::convert::Infallible;

use axum::body::Body;
use axum::http::{header, HeaderValue, Request};
use axum::response::Response;
use axum::Router;
use leptos::prelude::LeptosOptions;
use tower::Service;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

/// `router` with `/pkg` and the site root's files; any other path goes to `not_found`.
pub fn with_static_files<S, F>(
    router: Router<S>,
    options: &LeptosOptions,
    not_found: F,
) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    F: Service<Request<Body>, Response = Response, Error = Infallible>
        + Clone
        + Send
        + Sync
        + 'static,
    F::Future: Send + 'static,
{
    let root = options.site_root.to_string();
    let pkg_dir = format!("{root}/{}", options.site_pkg_dir);
    // Hashed file names change with their content, so browsers may keep them for a year.
    let pkg_cache = if options.hash_files {
        super::static_memory::IMMUTABLE
    } else {
        super::static_memory::REVALIDATE
    };
    let pkg = tower::ServiceBuilder::new()
        .map_response(cache_found_files(pkg_cache))
        .layer(vary_on_encoding())
        .service(precompressed(ServeDir::new(pkg_dir)));
    // The public files keep their names across builds: a browser revalidates them
    // (ServeDir answers `If-Modified-Since` with 304).
    let public = tower::ServiceBuilder::new()
        .layer(vary_on_encoding())
        .service(
            precompressed(ServeDir::new(root))
                // Any method on an unknown path gets the app's not-found page, not a bare 405.
                .call_fallback_on_method_not_allowed(true)
                .fallback(not_found),
        );
    router
        .nest_service(&format!("/{}", options.site_pkg_dir), pkg)
        .fallback_service(public)
}

/// `Cache-Control` for a file that was found; anything else (a 404 for a bundle of another
/// build, a 416) is `no-store`, so a browser never keeps a missing file's answer for a year.
fn cache_found_files<B>(
    found: &'static str,
) -> impl Fn(http::Response<B>) -> http::Response<B> + Clone {
    move |mut response| {
        let status = response.status();
        let value = if status.is_success() || status == http::StatusCode::NOT_MODIFIED {
            found
        } else {
            "no-store"
        };
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
        response
    }
}

fn precompressed<F>(dir: ServeDir<F>) -> ServeDir<F> {
    dir.precompressed_br().precompressed_gzip()
}

/// The same URL answers differently by `Accept-Encoding`; shared caches must know it.
fn vary_on_encoding() -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::appending(header::VARY, HeaderValue::from_static("accept-encoding"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_found_file_may_be_kept_by_the_browser() {
        let cache = cache_found_files::<()>(super::super::static_memory::IMMUTABLE);
        for (status, expected) in [
            (200, super::super::static_memory::IMMUTABLE),
            (304, super::super::static_memory::IMMUTABLE),
            (404, "no-store"),
            (416, "no-store"),
            (500, "no-store"),
        ] {
            let response = http::Response::builder().status(status).body(()).unwrap();
            let response = cache(response);
            assert_eq!(
                response.headers()[header::CACHE_CONTROL],
                expected,
                "{status}"
            );
        }
    }
}
