//! CSRF defence: a state-changing request whose `Origin` (or, without it, `Referer`) names
//! another site is refused before any handler runs. Together with `SameSite=Lax` cookies and
//! no state changes on GET, a page elsewhere cannot act with a user's session.

use axum::extract::Request;
use axum::http::{header, HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::AppError;

pub async fn reject_cross_site(req: Request, next: Next) -> Response {
    let changes_state = matches!(
        *req.method(),
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    );
    if changes_state && is_cross_site(req.headers()) {
        tracing::warn!(path = %req.uri().path(), "cross-site request refused");
        return AppError::Forbidden("Cross-site request refused.".into()).into_response();
    }
    next.run(req).await
}

fn is_cross_site(headers: &HeaderMap) -> bool {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    let source = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER))
        .map(|v| v.to_str().unwrap_or("null"));
    match source {
        None => false,
        Some(url) => authority(url).is_none_or(|a| !a.eq_ignore_ascii_case(host)),
    }
}

/// `host[:port]` of an absolute http(s) URL; `None` for anything else (including "null").
fn authority(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    Some(&rest[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(
                header::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        h
    }

    #[test]
    fn same_site_and_headerless_requests_pass() {
        assert!(!is_cross_site(&headers(&[
            ("host", "a.test"),
            ("origin", "https://a.test")
        ])));
        assert!(!is_cross_site(&headers(&[
            ("host", "a.test"),
            ("referer", "http://a.test/x?y")
        ])));
        assert!(!is_cross_site(&headers(&[("host", "a.test")])));
    }

    #[test]
    fn other_origins_and_null_are_refused() {
        assert!(is_cross_site(&headers(&[
            ("host", "a.test"),
            ("origin", "https://evil.test")
        ])));
        assert!(is_cross_site(&headers(&[
            ("host", "a.test"),
            ("origin", "null")
        ])));
        assert!(is_cross_site(&headers(&[
            ("host", "a.test"),
            ("referer", "https://a.test.evil/")
        ])));
        assert!(is_cross_site(&headers(&[
            ("host", "a.test:3000"),
            ("origin", "http://a.test:4000")
        ])));
    }
}
