//! Accounts for the web UI, over the same [`AuthService`] the `/auth/*` routes use.
//!
//! Login, register and logout answer plain form posts with a redirect, so the forms work
//! before the WASM has loaded.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::{ApiKeyInfo, NewApiKey, SessionInfo, User};

#[cfg(feature = "ssr")]
use crate::server::context::{app_state, client_info, require_user, set_cookie};

/// The user of this request, or `None` when logged out.
#[server]
pub async fn get_current_user() -> Result<Option<User>, AppError> {
    Ok(crate::server::context::current_user().map(|a| a.user))
}

#[server]
pub async fn login(
    login: String,
    password: String,
    next: Option<String>,
) -> Result<User, AppError> {
    let state = app_state()?;
    let logged_in = state.auth.login(&login, &password, &client_info()).await?;
    set_cookie(crate::server::http::session_cookie(
        &logged_in.token,
        state.config.cookie_secure,
    ));
    leptos_axum::redirect(&crate::validation::safe_next(next.as_deref()));
    Ok(logged_in.user)
}

#[server]
pub async fn register(
    login: String,
    password: String,
    display_name: String,
    about: Option<String>,
    next: Option<String>,
) -> Result<User, AppError> {
    let state = app_state()?;
    let logged_in = state
        .auth
        .register(&login, &password, &display_name, about.as_deref(), &client_info())
        .await?;
    set_cookie(crate::server::http::session_cookie(
        &logged_in.token,
        state.config.cookie_secure,
    ));
    leptos_axum::redirect(&crate::validation::safe_next(next.as_deref()));
    Ok(logged_in.user)
}

#[server]
pub async fn logout() -> Result<(), AppError> {
    let state = app_state()?;
    if let Some(who) = crate::server::context::current_user() {
        state.auth.logout(&who).await?;
    }
    set_cookie(crate::server::http::clear_session_cookie(
        state.config.cookie_secure,
    ));
    leptos_axum::redirect("/login");
    Ok(())
}

#[server]
pub async fn update_profile(display_name: String, about: String) -> Result<User, AppError> {
    let who = require_user()?;
    app_state()?
        .auth
        .update_profile(&who, Some(&display_name), Some(&about))
        .await
}

#[server]
pub async fn change_password(
    current_password: String,
    new_password: String,
) -> Result<(), AppError> {
    let who = require_user()?;
    app_state()?
        .auth
        .change_password(&who, &current_password, &new_password)
        .await
}

#[server]
pub async fn list_sessions() -> Result<Vec<SessionInfo>, AppError> {
    let who = require_user()?;
    app_state()?.auth.list_sessions(&who).await
}

#[server]
pub async fn end_session(id: String) -> Result<(), AppError> {
    let who = require_user()?;
    let id = uuid::Uuid::parse_str(&id).map_err(|_| AppError::NotFound("No such session.".into()))?;
    app_state()?.auth.end_session(&who, id).await
}

#[server]
pub async fn list_api_keys() -> Result<Vec<ApiKeyInfo>, AppError> {
    let who = require_user()?;
    app_state()?.auth.list_api_keys(&who).await
}

#[server]
pub async fn create_api_key(name: String) -> Result<NewApiKey, AppError> {
    let who = require_user()?;
    app_state()?.auth.create_api_key(&who, &name).await
}

#[server]
pub async fn revoke_api_key(id: String) -> Result<(), AppError> {
    let who = require_user()?;
    let id = uuid::Uuid::parse_str(&id).map_err(|_| AppError::NotFound("No such API key.".into()))?;
    app_state()?.auth.revoke_api_key(&who, id).await
}
