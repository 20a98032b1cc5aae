//! Resolves the user behind every request (session cookie, or an API key on `/v1/*`) and
//! records it, with the client's address, in the request's extensions for handlers, pages and
//! server functions alike. A logged-out request for a personal page ends here with a 303.

use axum::extract::{FromRequestParts, Request, State};
use axum::http::{header, request::Parts, HeaderMap};
use axum::middleware::Next;
use axum::response::Response;

use super::client::{client_info, peer_addr};
use crate::error::AppError;
use crate::server::auth::{Authenticated, ClientInfo};
use crate::server::cookies::{
    cookie_name, cookie_value, session_cookie, DEVICE_COOKIE, SESSION_COOKIE,
};
use crate::server::state::AppState;

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
