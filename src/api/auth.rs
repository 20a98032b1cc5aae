//! Accounts for the web UI, over the same `AuthService` the `/auth/*` routes use.
//!
//! Login, register and logout answer plain form posts with a redirect, so the forms work
//! before the WASM has loaded.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::{ApiKeyInfo, NewApiKey, SessionInfo, User};

#[cfg(feature = "ssr")]
use crate::server::context::{
    app_state, client_info, current_user, redirect_form_post, require_user, respond, set_cookie,
};
#[cfg(feature = "ssr")]
use crate::server::http::{clear_session_cookie, parse_path_id, session_cookie};

#[server]
pub async fn get_current_user() -> Result<Option<User>, AppError> {
    Ok(current_user().map(|a| a.user))
}

#[server]
pub async fn login(
    login: String,
    password: String,
    next: Option<String>,
) -> Result<User, AppError> {
    respond(
        async {
            let state = app_state()?;
            let logged_in = state.auth.login(&login, &password, &client_info()).await?;
            set_cookie(session_cookie(&logged_in.token, state.config.cookie_secure));
            redirect_form_post(&crate::validation::safe_next(next.as_deref()));
            Ok(logged_in.user)
        }
        .await,
    )
}

#[server]
pub async fn register(
    login: String,
    password: String,
    display_name: String,
    about: Option<String>,
    next: Option<String>,
) -> Result<User, AppError> {
    respond(
        async {
            let state = app_state()?;
            let logged_in = state
                .auth
                .register(
                    &login,
                    &password,
                    &display_name,
                    about.as_deref(),
                    &client_info(),
                )
                .await?;
            set_cookie(session_cookie(&logged_in.token, state.config.cookie_secure));
            redirect_form_post(&crate::validation::safe_next(next.as_deref()));
            Ok(logged_in.user)
        }
        .await,
    )
}

#[server]
pub async fn logout() -> Result<(), AppError> {
    respond(
        async {
            let state = app_state()?;
            if let Some(who) = current_user() {
                state.auth.logout(&who).await?;
            }
            set_cookie(clear_session_cookie(state.config.cookie_secure));
            redirect_form_post("/login");
            Ok(())
        }
        .await,
    )
}

/// Deletes the account and everything of it (chats, documents, `user.md`), for good.
#[server]
pub async fn delete_account(password: String) -> Result<(), AppError> {
    respond(
        async {
            let who = require_user()?;
            let state = app_state()?;
            state.auth.delete_account(&who, &password).await?;
            set_cookie(clear_session_cookie(state.config.cookie_secure));
            redirect_form_post("/");
            Ok(())
        }
        .await,
    )
}

#[server]
pub async fn update_profile(display_name: String, about: String) -> Result<User, AppError> {
    respond(
        async {
            let who = require_user()?;
            app_state()?
                .auth
                .update_profile(&who, Some(&display_name), Some(&about))
                .await
        }
        .await,
    )
}

#[server]
pub async fn change_password(
    current_password: String,
    new_password: String,
) -> Result<(), AppError> {
    respond(
        async {
            let who = require_user()?;
            app_state()?
                .auth
                .change_password(&who, &current_password, &new_password)
                .await
        }
        .await,
    )
}

#[server]
pub async fn list_sessions() -> Result<Vec<SessionInfo>, AppError> {
    respond(async { app_state()?.auth.list_sessions(&require_user()?).await }.await)
}

#[server]
pub async fn end_session(id: String) -> Result<(), AppError> {
    respond(
        async {
            let who = require_user()?;
            let id = parse_path_id(&id, "session")?;
            app_state()?.auth.end_session(&who, id).await
        }
        .await,
    )
}

#[server]
pub async fn list_api_keys() -> Result<Vec<ApiKeyInfo>, AppError> {
    respond(async { app_state()?.auth.list_api_keys(&require_user()?).await }.await)
}

#[server]
pub async fn create_api_key(name: String) -> Result<NewApiKey, AppError> {
    respond(
        async {
            let who = require_user()?;
            app_state()?.auth.create_api_key(&who, &name).await
        }
        .await,
    )
}

#[server]
pub async fn revoke_api_key(id: String) -> Result<(), AppError> {
    respond(
        async {
            let who = require_user()?;
            let id = parse_path_id(&id, "API key")?;
            app_state()?.auth.revoke_api_key(&who, id).await
        }
        .await,
    )
}
