//! The session and known-device cookies: their names, reading one from a request, and the
//! `Set-Cookie` values both adapters (JSON routes and server functions) send.

use axum::http::{header, HeaderMap, HeaderValue};

pub const SESSION_COOKIE: &str = "session_token";
/// The known-device cookie (see `auth::devices`).
pub const DEVICE_COOKIE: &str = "maruntime_device";
/// A device cookie lives as long as browsers allow (400 days); each login issues a new one.
const DEVICE_MAX_AGE_SECS: u64 = 400 * 24 * 3600;

/// With `Secure`, cookies carry the `__Host-` prefix: the browser then refuses one set
/// without `Secure`, for another path or by a sibling domain, so no other site on the same
/// domain can plant or shadow it.
pub fn cookie_name(base: &'static str, secure: bool) -> String {
    if secure {
        format!("__Host-{base}")
    } else {
        base.to_string()
    }
}

/// The value of cookie `name`, from any `Cookie` header.
pub fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, v)| *k == name && !v.is_empty())
        .map(|(_, v)| v.to_string())
}

/// `Set-Cookie` for cookie `base` (prefixed when `secure`), HttpOnly, for the whole site.
fn cookie(base: &'static str, value: &str, max_age: u64, secure: bool) -> HeaderValue {
    let name = cookie_name(base, secure);
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; HttpOnly; SameSite=Lax; Path=/; Max-Age={max_age}{secure}"
    ))
    .expect("cookie values are URL-safe base64, dots and hex")
}

/// `Set-Cookie` for a session token. Max-Age matches the session's idle expiry.
pub fn session_cookie(token: &str, secure: bool) -> HeaderValue {
    cookie(
        SESSION_COOKIE,
        token,
        crate::server::auth::SESSION_IDLE_SECS,
        secure,
    )
}

/// `Set-Cookie` that removes the session cookie.
pub fn clear_session_cookie(secure: bool) -> HeaderValue {
    cookie(SESSION_COOKIE, "", 0, secure)
}

/// `Set-Cookie` for a known-device cookie; logging out leaves it in place.
pub fn device_cookie(value: &str, secure: bool) -> HeaderValue {
    cookie(DEVICE_COOKIE, value, DEVICE_MAX_AGE_SECS, secure)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            "a=1; session_token=tok; b=2".parse().unwrap(),
        );
        assert_eq!(
            cookie_value(&headers, SESSION_COOKIE).as_deref(),
            Some("tok")
        );
    }

    #[test]
    fn the_cookie_carries_the_safe_attributes() {
        let c = session_cookie("tok", true);
        let c = c.to_str().unwrap();
        for attr in [
            "HttpOnly",
            "SameSite=Lax",
            "Path=/",
            "Secure",
            "Max-Age=2592000",
        ] {
            assert!(c.contains(attr), "{c} lacks {attr}");
        }
        assert!(c.starts_with("__Host-session_token=tok;"), "{c}");
        let plain = session_cookie("tok", false);
        let plain = plain.to_str().unwrap();
        assert!(!plain.contains("Secure"));
        assert!(plain.starts_with("session_token=tok;"));
    }
}
