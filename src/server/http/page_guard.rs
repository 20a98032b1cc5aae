//! Pages that show one person's data (`/profile`, `/chat`, `/chat/{id}`) or the
//! administration (`/admin`) are never rendered for nobody: a logged-out request gets a real
//! `303 See Other` to `/login?next=…` before any page body exists, so it works the same
//! without WASM and leaks nothing.

use axum::http::{header, request::Parts, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::login_paths::{login_url, needs_login};

/// The redirect for a logged-out request of a personal page; `None` for anything else.
/// Called by the session middleware, which already knows whether there is a user.
pub fn login_redirect(parts: &Parts, logged_in: bool) -> Option<Response> {
    let is_read = matches!(parts.method, Method::GET | Method::HEAD);
    if logged_in || !is_read || !needs_login(parts.uri.path()) {
        return None;
    }
    let here = parts.uri.path_and_query().map_or("/chat", |p| p.as_str());
    let to = login_url(here);
    let location = HeaderValue::from_str(&to).ok()?;
    Some((StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response())
}
