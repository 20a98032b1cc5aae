//! `/auth/*`: accounts for scripts and non-browser clients. Each handler is a thin adapter
//! over [`crate::server::auth::AuthService`].

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use super::json::ApiJson;
use super::session_layer::{CurrentUser, RequireUser};
use crate::error::AppError;
use crate::model::User;
use crate::server::auth::{ClientInfo, LoggedIn, PasswordChange};
use crate::server::cookies::{clear_session_cookie, device_cookie, session_cookie};
use crate::server::ids::parse_path_id;
use crate::server::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/register", post(register))
        .route("/login", post(login))
        .route("/logout", post(logout))
        .route("/me", get(me).delete(delete_account))
        .route("/password", put(change_password))
        .route("/profile", put(update_profile))
        .route("/sessions", get(list_sessions))
        .route("/sessions/{id}", delete(end_session))
        .route("/api-keys", post(create_api_key).get(list_api_keys))
        .route("/api-keys/{id}", delete(revoke_api_key))
}

#[derive(Deserialize)]
struct RegisterBody {
    login: String,
    password: String,
    display_name: String,
    about: Option<String>,
    /// Required when `MARUNTIME_REGISTRATION=invite`.
    invite: Option<String>,
}

#[derive(Deserialize)]
struct LoginBody {
    login: String,
    password: String,
}

#[derive(Deserialize)]
struct PasswordBody {
    current_password: String,
    new_password: String,
    /// Also revoke every API key (default: keep them).
    #[serde(default)]
    revoke_api_keys: bool,
}

#[derive(Deserialize)]
struct ProfileBody {
    display_name: Option<String>,
    about: Option<String>,
    /// Absent: unchanged; `null`: follow the browser; `"en"` or `"ru"`.
    #[serde(default, deserialize_with = "present")]
    language: Option<Option<String>>,
}

/// A field that was sent, even as `null` (`Some(None)`), apart from one left out (`None`).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

#[derive(Deserialize)]
struct ApiKeyBody {
    name: String,
    /// The account's password: required.
    password: Option<String>,
    /// Days until the key stops working; absent or null: until revoked.
    expires_in_days: Option<u32>,
}

/// The user as JSON, with the new session's cookie and the browser's known-device cookie.
fn with_session_cookie(state: &AppState, status: StatusCode, logged_in: LoggedIn) -> Response {
    let secure = state.config.cookie_secure;
    let mut response = (status, Json(logged_in.user)).into_response();
    let headers = response.headers_mut();
    headers.append(header::SET_COOKIE, session_cookie(&logged_in.token, secure));
    headers.append(header::SET_COOKIE, device_cookie(&logged_in.device, secure));
    response
}

async fn register(
    State(state): State<AppState>,
    client: ClientInfo,
    ApiJson(body): ApiJson<RegisterBody>,
) -> Result<Response, AppError> {
    let logged_in = state
        .auth
        .accounts
        .register(
            &body.login,
            &body.password,
            &body.display_name,
            body.about.as_deref(),
            body.invite.as_deref(),
            &client,
        )
        .await?;
    Ok(with_session_cookie(&state, StatusCode::CREATED, logged_in))
}

async fn login(
    State(state): State<AppState>,
    client: ClientInfo,
    axum::Extension(CurrentUser(previous)): axum::Extension<CurrentUser>,
    ApiJson(body): ApiJson<LoginBody>,
) -> Result<Response, AppError> {
    let logged_in = state
        .auth
        .sessions
        .login(&body.login, &body.password, &client, previous.as_ref())
        .await?;
    Ok(with_session_cookie(&state, StatusCode::OK, logged_in))
}

/// Always clears the cookie; ends the server-side session when there is one.
async fn logout(
    State(state): State<AppState>,
    axum::Extension(CurrentUser(user)): axum::Extension<CurrentUser>,
) -> Result<Response, AppError> {
    if let Some(user) = user {
        state.auth.sessions.logout(&user).await?;
    }
    let cookie = clear_session_cookie(state.config.cookie_secure);
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, cookie)]).into_response())
}

pub async fn me(RequireUser(who): RequireUser) -> Json<User> {
    Json(who.user)
}

/// `PUT /auth/password`: every session ends; this one goes on under a new cookie.
async fn change_password(
    State(state): State<AppState>,
    RequireUser(who): RequireUser,
    client: ClientInfo,
    ApiJson(body): ApiJson<PasswordBody>,
) -> Result<Response, AppError> {
    let change = PasswordChange {
        current_password: &body.current_password,
        new_password: &body.new_password,
        revoke_api_keys: body.revoke_api_keys,
    };
    let token = state
        .auth
        .accounts
        .change_password(&who, change, &client)
        .await?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    if let Some(token) = token {
        response.headers_mut().append(
            header::SET_COOKIE,
            session_cookie(&token, state.config.cookie_secure),
        );
    }
    Ok(response)
}

#[derive(Deserialize)]
struct DeleteAccountBody {
    password: String,
}

/// `DELETE /auth/me` with `{"password"}`: the account and everything of it, for good.
async fn delete_account(
    State(state): State<AppState>,
    RequireUser(who): RequireUser,
    ApiJson(body): ApiJson<DeleteAccountBody>,
) -> Result<impl IntoResponse, AppError> {
    state
        .auth
        .accounts
        .delete_account(&who, &body.password)
        .await?;
    let cookie = clear_session_cookie(state.config.cookie_secure);
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, cookie)]))
}

async fn update_profile(
    State(state): State<AppState>,
    RequireUser(who): RequireUser,
    ApiJson(body): ApiJson<ProfileBody>,
) -> Result<Json<User>, AppError> {
    let accounts = &state.auth.accounts;
    let mut user = accounts
        .update_profile(&who, body.display_name.as_deref(), body.about.as_deref())
        .await?;
    if let Some(language) = &body.language {
        user = accounts.set_language(&who, language.as_deref()).await?;
    }
    Ok(Json(user))
}

async fn list_sessions(
    State(state): State<AppState>,
    RequireUser(who): RequireUser,
) -> Result<Json<serde_json::Value>, AppError> {
    Ok(Json(
        json!({ "data": state.auth.sessions.list(&who).await? }),
    ))
}

async fn end_session(
    State(state): State<AppState>,
    RequireUser(who): RequireUser,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    state
        .auth
        .sessions
        .end(&who, parse_path_id(&id, "session")?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn create_api_key(
    State(state): State<AppState>,
    RequireUser(who): RequireUser,
    ApiJson(body): ApiJson<ApiKeyBody>,
) -> Result<(StatusCode, Json<crate::model::NewApiKey>), AppError> {
    let key = state
        .auth
        .keys
        .create(
            &who,
            &body.name,
            body.password.as_deref(),
            body.expires_in_days,
        )
        .await?;
    Ok((StatusCode::CREATED, Json(key)))
}

async fn list_api_keys(
    State(state): State<AppState>,
    RequireUser(who): RequireUser,
) -> Result<Json<serde_json::Value>, AppError> {
    Ok(Json(json!({ "data": state.auth.keys.list(&who).await? })))
}

async fn revoke_api_key(
    State(state): State<AppState>,
    RequireUser(who): RequireUser,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    state
        .auth
        .keys
        .revoke(&who, parse_path_id(&id, "API key")?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
