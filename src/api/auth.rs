//! Accounts for the web UI, over the same `AuthService` the `/auth/*` routes use.
//!
//! Login, register and logout answer plain form posts with a redirect, so the forms work
//! before the WASM has loaded.

use leptos::prelude::*;
use leptos::server_fn::codec::PostUrl;

use crate::api::codec::JsonText;
use crate::error::AppError;
use crate::model::{ApiKeyInfo, NewApiKey, RegistrationInfo, SessionInfo, User};

#[cfg(feature = "ssr")]
use crate::server::context::{
    app_state, client_info, current_user, redirect_form_post, rendering_page, require_user,
    respond, set_cookie, set_status,
};
#[cfg(feature = "ssr")]
use crate::server::cookies::{clear_session_cookie, device_cookie, session_cookie};
#[cfg(feature = "ssr")]
use crate::server::ids::parse_path_id;

/// Sets the cookies of a new session and the browser's known-device cookie.
#[cfg(feature = "ssr")]
fn set_login_cookies(logged_in: &crate::server::auth::LoggedIn, secure: bool) {
    set_cookie(session_cookie(&logged_in.token, secure));
    set_cookie(device_cookie(&logged_in.device, secure));
}

#[server(input = PostUrl, output = JsonText)]
pub async fn get_current_user() -> Result<Option<User>, AppError> {
    Ok(current_user().map(|a| a.user))
}

/// Who may register now. While the register page renders for a closed instance, the page
/// itself answers 403.
#[server(input = PostUrl, output = JsonText)]
pub async fn get_registration_info() -> Result<RegistrationInfo, AppError> {
    respond(
        async {
            let (mode, first_account) = app_state()?.auth.accounts.registration().await?;
            if mode == crate::server::config::Registration::Closed
                && !first_account
                && rendering_page()
            {
                set_status(403);
            }
            Ok(RegistrationInfo {
                mode: mode.as_str().to_string(),
                first_account,
            })
        }
        .await,
    )
}

#[server(input = PostUrl, output = JsonText)]
pub async fn login(
    login: String,
    password: String,
    next: Option<String>,
) -> Result<User, AppError> {
    respond(
        async {
            let state = app_state()?;
            let previous = current_user();
            let logged_in = state
                .auth
                .sessions
                .login(&login, &password, &client_info(), previous.as_ref())
                .await?;
            set_login_cookies(&logged_in, state.config.cookie_secure);
            redirect_form_post(&crate::validation::safe_next(next.as_deref()));
            Ok(logged_in.user)
        }
        .await,
    )
}

#[server(input = PostUrl, output = JsonText)]
pub async fn register(
    login: String,
    password: String,
    display_name: String,
    about: Option<String>,
    invite: Option<String>,
    next: Option<String>,
) -> Result<User, AppError> {
    respond(
        async {
            let state = app_state()?;
            let logged_in = state
                .auth
                .accounts
                .register(
                    &login,
                    &password,
                    &display_name,
                    about.as_deref(),
                    invite.as_deref(),
                    &client_info(),
                )
                .await?;
            set_login_cookies(&logged_in, state.config.cookie_secure);
            redirect_form_post(&crate::validation::safe_next(next.as_deref()));
            Ok(logged_in.user)
        }
        .await,
    )
}

#[server(input = PostUrl, output = JsonText)]
pub async fn logout() -> Result<(), AppError> {
    respond(
        async {
            let state = app_state()?;
            if let Some(who) = current_user() {
                state.auth.sessions.logout(&who).await?;
            }
            set_cookie(clear_session_cookie(state.config.cookie_secure));
            redirect_form_post("/login");
            Ok(())
        }
        .await,
    )
}

/// Deletes the account and everything of it (chats, documents, `user.md`), for good.
#[server(input = PostUrl, output = JsonText)]
pub async fn delete_account(password: String) -> Result<(), AppError> {
    respond(
        async {
            let who = require_user()?;
            let state = app_state()?;
            state.auth.accounts.delete_account(&who, &password).await?;
            set_cookie(clear_session_cookie(state.config.cookie_secure));
            redirect_form_post("/");
            Ok(())
        }
        .await,
    )
}

#[server(input = PostUrl, output = JsonText)]
pub async fn update_profile(display_name: String, about: String) -> Result<User, AppError> {
    respond(
        async {
            let who = require_user()?;
            app_state()?
                .auth
                .accounts
                .update_profile(&who, Some(&display_name), Some(&about))
                .await
        }
        .await,
    )
}

/// Sets the web UI's language of the account: "en", "ru", or "" to follow the browser.
#[server(input = PostUrl, output = JsonText)]
pub async fn set_language(language: String) -> Result<User, AppError> {
    respond(
        async {
            let who = require_user()?;
            let language = Some(language.as_str()).filter(|l| !l.is_empty());
            app_state()?
                .auth
                .accounts
                .set_language(&who, language)
                .await
        }
        .await,
    )
}

/// Changes the password; every other session ends and this one gets a new cookie. With
/// `revoke_api_keys` (a checkbox: present when ticked) every API key is revoked too.
#[server(input = PostUrl, output = JsonText)]
pub async fn change_password(
    current_password: String,
    new_password: String,
    revoke_api_keys: Option<String>,
) -> Result<(), AppError> {
    respond(
        async {
            let who = require_user()?;
            let state = app_state()?;
            let change = crate::server::auth::PasswordChange {
                current_password: &current_password,
                new_password: &new_password,
                revoke_api_keys: revoke_api_keys.is_some_and(|v| v != "false"),
            };
            let token = state
                .auth
                .accounts
                .change_password(&who, change, &client_info())
                .await?;
            if let Some(token) = token {
                set_cookie(session_cookie(&token, state.config.cookie_secure));
            }
            Ok(())
        }
        .await,
    )
}

#[server(input = PostUrl, output = JsonText)]
pub async fn list_sessions() -> Result<Vec<SessionInfo>, AppError> {
    respond(async { app_state()?.auth.sessions.list(&require_user()?).await }.await)
}

#[server(input = PostUrl, output = JsonText)]
pub async fn end_session(id: String) -> Result<(), AppError> {
    respond(
        async {
            let who = require_user()?;
            let id = parse_path_id(&id, "session")?;
            app_state()?.auth.sessions.end(&who, id).await
        }
        .await,
    )
}

#[server(input = PostUrl, output = JsonText)]
pub async fn list_api_keys() -> Result<Vec<ApiKeyInfo>, AppError> {
    respond(async { app_state()?.auth.keys.list(&require_user()?).await }.await)
}

/// A new API key, shown once. Needs the account's password; `expires_in_days` empty or
/// absent: the key works until revoked.
#[server(input = PostUrl, output = JsonText)]
pub async fn create_api_key(
    name: String,
    password: String,
    expires_in_days: Option<String>,
) -> Result<NewApiKey, AppError> {
    respond(
        async {
            let who = require_user()?;
            let days = match expires_in_days.as_deref().map(str::trim) {
                None | Some("") => None,
                Some(days) => Some(days.parse::<u32>().map_err(|_| {
                    AppError::validation("expires_in_days", "Choose how many days the key lasts.")
                })?),
            };
            app_state()?
                .auth
                .keys
                .create(&who, &name, Some(&password), days)
                .await
        }
        .await,
    )
}

#[server(input = PostUrl, output = JsonText)]
pub async fn revoke_api_key(id: String) -> Result<(), AppError> {
    respond(
        async {
            let who = require_user()?;
            let id = parse_path_id(&id, "API key")?;
            app_state()?.auth.keys.revoke(&who, id).await
        }
        .await,
    )
}
