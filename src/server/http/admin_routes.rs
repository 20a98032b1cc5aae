//! `/admin/*`: the instance's administration, for admins only. Anyone else gets what an
//! unknown route gives (404) when signed in, or 401 when not: nothing says it exists.

use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::{header, request::Parts, StatusCode};
use axum::routing::{delete, get};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::json::ApiJson;
use super::run_routes::UsageQuery;
use super::session_layer::CurrentUser;
use crate::error::AppError;
use crate::model::{AccountRole, AdminUser, NewInvite};
use crate::server::admin::UserChange;
use crate::server::auth::Authenticated;
use crate::server::ids::parse_path_id;
use crate::server::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/users", get(list_users))
        .route("/users/{id}", delete(delete_user).patch(change_user))
        .route("/invites", get(list_invites).post(create_invite))
        .route("/invites/{id}", delete(delete_invite))
        .route("/usage", get(usage))
        // Every account of the instance: kept by no cache.
        .layer(tower_http::set_header::SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            axum::http::HeaderValue::from_static(super::security_headers::NO_STORE),
        ))
}

/// Extractor: the signed-in admin; 404 for any other account, 401 for nobody.
pub struct RequireAdmin(pub Authenticated);

impl<S: Send + Sync> FromRequestParts<S> for RequireAdmin {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        match parts.extensions.get::<CurrentUser>() {
            Some(CurrentUser(Some(user))) if user.user.role == AccountRole::Admin => {
                Ok(RequireAdmin(user.clone()))
            }
            Some(CurrentUser(Some(_))) => Err(AppError::NotFound("No such API route.".into())),
            _ => Err(AppError::Unauthorized("You need to log in.".into())),
        }
    }
}

#[derive(Deserialize)]
struct UsersQuery {
    q: Option<String>,
    limit: Option<i64>,
    offset: Option<i64>,
}

/// `GET /admin/users?q=&limit=&offset=`: `{"data": [...], "next_offset"}` (null on the last page).
async fn list_users(
    State(state): State<AppState>,
    RequireAdmin(_): RequireAdmin,
    Query(query): Query<UsersQuery>,
) -> Result<Json<Value>, AppError> {
    let (users, next) = state
        .admin
        .users(
            query.q.as_deref().unwrap_or(""),
            query.limit.unwrap_or(50),
            query.offset.unwrap_or(0),
        )
        .await?;
    Ok(Json(json!({ "data": users, "next_offset": next })))
}

/// `PATCH /admin/users/{id}` with any of `disabled`, `role`, `daily_token_limit`.
async fn change_user(
    State(state): State<AppState>,
    RequireAdmin(_): RequireAdmin,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<Map<String, Value>>,
) -> Result<Json<AdminUser>, AppError> {
    let id = parse_path_id(&id, "account")?;
    let change = user_change(&body)?;
    Ok(Json(state.admin.change_user(id, change).await?))
}

/// Reads the fields of a user change; `daily_token_limit: null` is a change too.
fn user_change(body: &Map<String, Value>) -> Result<UserChange, AppError> {
    let mut change = UserChange::default();
    for (key, value) in body {
        match key.as_str() {
            "disabled" => {
                change.disabled = Some(value.as_bool().ok_or_else(|| {
                    AppError::validation("disabled", "disabled is true or false.")
                })?)
            }
            "role" => {
                change.role =
                    Some(value.as_str().and_then(AccountRole::parse).ok_or_else(|| {
                        AppError::validation("role", "role is \"admin\" or \"user\".")
                    })?)
            }
            "daily_token_limit" => {
                change.daily_token_limit = Some(match value {
                    Value::Null => None,
                    v => Some(v.as_i64().ok_or_else(|| {
                        AppError::validation(
                            "daily_token_limit",
                            "daily_token_limit is a whole number of tokens, or null.",
                        )
                    })?),
                })
            }
            other => {
                return Err(AppError::validation(
                    other,
                    format!(
                        "{other} cannot be changed here: use disabled, role or daily_token_limit."
                    ),
                ))
            }
        }
    }
    Ok(change)
}

async fn delete_user(
    State(state): State<AppState>,
    RequireAdmin(_): RequireAdmin,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    state
        .admin
        .delete_user(parse_path_id(&id, "account")?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, Default)]
struct InviteBody {
    expires_in_hours: Option<u32>,
}

/// `POST /admin/invites` `{"expires_in_hours"?}` → 201 `{id, token, url, expires_at}`.
async fn create_invite(
    State(state): State<AppState>,
    RequireAdmin(admin): RequireAdmin,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<NewInvite>), AppError> {
    // The body is optional: no body is a default invite.
    let body: InviteBody = if body.iter().all(u8::is_ascii_whitespace) {
        InviteBody::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| {
            AppError::BadRequest(format!(
                "The JSON body does not have the expected shape: {e}"
            ))
        })?
    };
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let invite = state
        .admin
        .create_invite(
            &admin,
            body.expires_in_hours,
            &origin(state.config.cookie_secure, host),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(invite)))
}

async fn list_invites(
    State(state): State<AppState>,
    RequireAdmin(_): RequireAdmin,
) -> Result<Json<Value>, AppError> {
    Ok(Json(json!({ "data": state.admin.invites().await? })))
}

async fn delete_invite(
    State(state): State<AppState>,
    RequireAdmin(_): RequireAdmin,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    state
        .admin
        .delete_invite(parse_path_id(&id, "invite")?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /admin/usage?days=N` (1–366, default 30): the instance's tokens per UTC day, newest
/// first, in the shape of `GET /v1/usage`.
async fn usage(
    State(state): State<AppState>,
    RequireAdmin(_): RequireAdmin,
    q: Result<Query<UsageQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, AppError> {
    let q = super::chat_routes::query(q)?;
    Ok(Json(
        json!({ "data": state.usage.daily(None, q.days).await? }),
    ))
}

/// `scheme://host` of this instance as the client addressed it, for the links it hands out
/// (the scheme follows the secure-cookie setting: behind TLS, both are on).
pub fn origin(secure: bool, host: Option<&str>) -> String {
    let scheme = if secure { "https" } else { "http" };
    format!("{scheme}://{}", host.unwrap_or("localhost"))
}
