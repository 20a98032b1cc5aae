//! What a server function or a server-rendered page can learn about its request.
//!
//! leptos_axum puts the request's `Parts` into the reactive context; the session middleware
//! already resolved the user into their extensions, so nothing here touches the database.

use axum::http::{header, request::Parts, HeaderValue};
use leptos::prelude::use_context;
use leptos_axum::ResponseOptions;

use super::auth::{Authenticated, ClientInfo};
use super::errors::internal;
use super::http::CurrentUser;
use super::state::AppState;
use crate::error::AppError;

pub fn app_state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| internal("context", "AppState is not provided"))
}

/// The logged-in user of this request, if any.
pub fn current_user() -> Option<Authenticated> {
    use_context::<Parts>()?
        .extensions
        .get::<CurrentUser>()?
        .0
        .clone()
}

/// The logged-in user, or 401.
pub fn require_user() -> Result<Authenticated, AppError> {
    current_user().ok_or_else(|| AppError::Unauthorized("You need to log in.".into()))
}

pub fn client_info() -> ClientInfo {
    use_context::<Parts>()
        .and_then(|p| p.extensions.get::<ClientInfo>().cloned())
        .unwrap_or_default()
}

/// Adds a `Set-Cookie` header to the response of this server function.
pub fn set_cookie(value: HeaderValue) {
    if let Some(response) = use_context::<ResponseOptions>() {
        response.append_header(header::SET_COOKIE, value);
    }
}
