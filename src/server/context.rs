//! What a server function or a server-rendered page can learn about its request.
//!
//! leptos_axum puts the request's `Parts` into the reactive context; the session middleware
//! already resolved the user into their extensions, so nothing here touches the database.

use axum::http::StatusCode;
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

/// The logged-in admin; 404 for any other account (nothing says administration exists), 401
/// for nobody.
pub fn require_admin() -> Result<Authenticated, AppError> {
    let who = require_user()?;
    if who.user.role == crate::model::AccountRole::Admin {
        Ok(who)
    } else {
        Err(AppError::NotFound("There is nothing here.".into()))
    }
}

/// `scheme://host` of this instance as the browser sees it, for links it hands out.
pub fn request_origin(secure: bool) -> String {
    let host = use_context::<Parts>().and_then(|p| {
        p.headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .map(str::to_string)
    });
    super::http::origin(secure, host.as_deref())
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

/// How this server function was called: `Some(true)` for a plain HTML form post (no WASM
/// yet), `Some(false)` for a call from the hydrated page, `None` when it runs inside a
/// server-rendered page (a GET), where the page decides its own status.
fn form_post() -> Option<bool> {
    let parts = use_context::<Parts>()?;
    (parts.method == axum::http::Method::POST).then(|| {
        parts
            .headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/html"))
    })
}

/// True while a page is being server-rendered (a GET), not while a server function answers a
/// call (those are POSTs).
pub fn rendering_page() -> bool {
    use_context::<Parts>().is_some_and(|p| p.method == axum::http::Method::GET)
}

fn is_form_post() -> bool {
    form_post() == Some(true)
}

/// Gives a server function's error its real HTTP status (403, 422, ...) instead of a blanket
/// 500. Plain form posts keep leptos's redirect back to the form, which carries the error.
/// The error's message is put in the page's language: server functions answer the web UI.
pub fn respond<T>(result: Result<T, AppError>) -> Result<T, AppError> {
    if let (Err(e), Some(false)) = (&result, form_post()) {
        set_status(e.status());
    }
    result.map_err(|e| crate::server::error_language::localize(e, request_locale()))
}

/// Sets the HTTP status of the response being built (a server function's, or a page's).
pub fn set_status(code: u16) {
    if let Some(response) = use_context::<ResponseOptions>() {
        response
            .set_status(StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR));
    }
}

/// Sends a plain form post on to `path` after success. Hydrated pages navigate themselves
/// (with a full page load, so every part of the page sees the new login state).
pub fn redirect_form_post(path: &str) {
    if is_form_post() {
        leptos_axum::redirect(path);
    }
}

/// The web UI's language for this request: the account's choice, else the best of the
/// browser's `Accept-Language` we speak, else English.
pub fn request_locale() -> crate::i18n::Locale {
    match use_context::<Parts>() {
        Some(parts) => locale_of(&parts.extensions, &parts.headers),
        None => Default::default(),
    }
}

/// [`request_locale`] from a request's extensions (its [`CurrentUser`]) and headers.
pub fn locale_of(
    extensions: &axum::http::Extensions,
    headers: &axum::http::HeaderMap,
) -> crate::i18n::Locale {
    use leptos_i18n::Locale as _;
    let chosen = extensions
        .get::<CurrentUser>()
        .and_then(|u| u.0.as_ref())
        .and_then(|a| a.user.language.clone());
    let accepted = match chosen {
        Some(language) => vec![language],
        None => headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .map(accepted_languages)
            .unwrap_or_default(),
    };
    crate::i18n::Locale::find_locale(&accepted)
}

/// `Accept-Language` as language tags, most wanted first (`q=0` means "not this").
fn accepted_languages(header: &str) -> Vec<String> {
    let mut weighted: Vec<(f32, usize, String)> = header
        .split(',')
        .enumerate()
        .filter_map(|(order, item)| {
            let mut fields = item.split(';');
            let tag = fields.next()?.trim();
            let q = fields
                .find_map(|f| f.trim().strip_prefix("q="))
                .map_or(Some(1.0), |q| q.trim().parse::<f32>().ok())?;
            (!tag.is_empty() && tag != "*" && q > 0.0).then(|| (q, order, tag.to_string()))
        })
        .collect();
    weighted.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    weighted.into_iter().map(|(_, _, tag)| tag).collect()
}

#[cfg(test)]
mod tests {
    use super::accepted_languages;

    #[test]
    fn accept_language_is_read_in_order_of_preference() {
        assert_eq!(
            accepted_languages("en;q=0.5, ru-RU, ru;q=0.9, de;q=0, *"),
            ["ru-RU", "ru", "en"]
        );
        assert!(accepted_languages("").is_empty());
        assert_eq!(accepted_languages("fr;q=abc, en"), ["en"]);
    }
}
