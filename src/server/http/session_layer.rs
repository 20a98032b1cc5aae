//! Resolves the user behind every request (session cookie, or an API key on `/v1/*`) and
//! records it, with the client's address, in the request's extensions for handlers, pages and
//! server functions alike. A logged-out request for a personal page ends here with a 303.

use axum::extract::{FromRequestParts, Request, State};
use axum::http::{header, request::Parts, HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

use super::client::{client_info, peer_addr};
use crate::error::AppError;
use crate::server::auth::{Authenticated, ClientInfo};
use crate::server::state::AppState;

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

/// The resolved user of this request, if any.
#[derive(Clone, Debug)]
pub struct CurrentUser(pub Option<Authenticated>);

/// Middleware: resolves the user once per request.
pub async fn resolve_user(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let (mut parts, body) = req.into_parts();
    let secure = state.config.cookie_secure;
    let mut client = client_info(
        &parts.headers,
        peer_addr(&parts),
        &state.config.trusted_proxies,
    );
    client.device = cookie_value(&parts.headers, &cookie_name(DEVICE_COOKIE, secure));
    let user = authenticate(&state, &parts).await;
    if let Some(redirect) = super::page_guard::login_redirect(&parts, user.is_some()) {
        return redirect;
    }
    let renew_token = user
        .as_ref()
        .filter(|u| u.renewed)
        .and_then(|_| cookie_value(&parts.headers, &cookie_name(SESSION_COOKIE, secure)));
    parts.extensions.insert(client);
    parts.extensions.insert(CurrentUser(user));
    let mut response = next.run(Request::from_parts(parts, body)).await;
    // Sliding expiry: the browser's copy of the cookie lives as long as the server's session,
    // unless the handler already set or cleared the cookie (login, logout).
    if let Some(token) = renew_token {
        if !response.headers().contains_key(header::SET_COOKIE) {
            response
                .headers_mut()
                .append(header::SET_COOKIE, session_cookie(&token, secure));
        }
    }
    response
}

async fn authenticate(state: &AppState, parts: &Parts) -> Option<Authenticated> {
    // On /v1/* an explicit API key wins over an ambient cookie: a script that sends a
    // revoked key must be refused even from a browser that is logged in.
    let bearer = parts
        .uri
        .path()
        .starts_with("/v1/")
        .then(|| bearer_token(&parts.headers))
        .flatten();
    let session_cookie = cookie_name(SESSION_COOKIE, state.config.cookie_secure);
    let result = if let Some(key) = bearer {
        state.auth.keys.authenticate(key).await
    } else if let Some(token) = cookie_value(&parts.headers, &session_cookie) {
        state.auth.sessions.authenticate(&token).await
    } else {
        Ok(None)
    };
    // A storage failure here fails closed: the request goes on as logged out (already logged).
    result.unwrap_or(None)
}

fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
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

/// Extractor for handlers that need a logged-in user: 401 otherwise.
pub struct RequireUser(pub Authenticated);

impl<S: Send + Sync> FromRequestParts<S> for RequireUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        match parts.extensions.get::<CurrentUser>() {
            Some(CurrentUser(Some(user))) => Ok(RequireUser(user.clone())),
            _ => Err(AppError::Unauthorized("You need to log in.".into())),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ClientInfo {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<ClientInfo>()
            .cloned()
            .unwrap_or_default())
    }
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
