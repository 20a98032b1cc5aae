//! Runs for scripts: follow a chat's current run as SSE from its start, stop it, answer the
//! latest message again; and the user's token usage per day.

use std::convert::Infallible;

use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures::StreamExt;
use serde::Deserialize;
use serde_json::json;

use super::session_layer::RequireUser;
use crate::error::AppError;
use crate::model::UsageDay;
use crate::server::agent::shared_runs::FoundRun;
use crate::server::agent::{TurnInput, TurnRequest};
use crate::server::ids::{chat_id, parse_path_id};
use crate::server::state::AppState;

/// Routes under `/v1/chats`.
pub fn chat_routes() -> Router<AppState> {
    Router::new()
        .route("/{id}/run", get(follow_run))
        .route("/{id}/stop", post(stop_run))
        .route("/{id}/regenerate", post(regenerate))
        .route(
            "/{id}/messages/{message_id}",
            axum::routing::patch(edit_message),
        )
}

pub fn routes() -> Router<AppState> {
    Router::new().route("/v1/usage", get(usage))
}

/// The run's events as SSE (`data: {event JSON}`), every event from the start, ending after
/// the final one. Shared with the web UI's follow stream.
pub fn run_sse(run: &FoundRun) -> Response {
    let events = run.follow().map(|event| {
        let json = serde_json::to_string(&event).expect("events serialize");
        Ok::<_, Infallible>(Bytes::from(format!("data: {json}\n\n")))
    });
    // Fused: the response body may be polled again after its end.
    let mut response = Response::new(Body::from_stream(events.fuse()));
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(
        "x-run-id",
        HeaderValue::from_str(&run.id().to_string()).expect("uuid is a valid header"),
    );
    response
}

/// `GET /v1/chats/{id}/run`: 204 when nothing runs in the chat.
async fn follow_run(
    State(state): State<AppState>,
    RequireUser(who): RequireUser,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = chat_id(&id)?;
    // Someone else's chat is a 404, running or not.
    state.chats.get_chat(who.user.id, id).await?;
    match state
        .agents
        .registry()
        .find_current(who.user.id, id)
        .await?
    {
        Some(run) => Ok(run_sse(&run)),
        None => Ok(StatusCode::NO_CONTENT.into_response()),
    }
}

/// `POST /v1/chats/{id}/stop`: stops the running turn (not those waiting behind it).
async fn stop_run(
    State(state): State<AppState>,
    RequireUser(who): RequireUser,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, AppError> {
    let id = chat_id(&id)?;
    state.chats.get_chat(who.user.id, id).await?;
    let stopped = state
        .agents
        .registry()
        .stop_anywhere(who.user.id, id)
        .await?;
    Ok(Json(
        json!({"stopped": stopped.is_some(), "run_id": stopped}),
    ))
}

/// `POST /v1/chats/{id}/regenerate`: answers the latest user message again, replacing the
/// replies after it. 202 with the run; follow it on `/run`.
async fn regenerate(
    State(state): State<AppState>,
    RequireUser(who): RequireUser,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<serde_json::Value>), AppError> {
    accept_turn(&state, who.user, chat_id(&id)?, TurnInput::Retry).await
}

/// Starts a turn in an existing chat for a script: 202 with the run to follow on `/run`.
async fn accept_turn(
    state: &AppState,
    user: crate::model::User,
    id: uuid::Uuid,
    input: TurnInput,
) -> Result<(StatusCode, Json<serde_json::Value>), AppError> {
    let turn = state
        .agents
        .start_turn(TurnRequest {
            user,
            chat_id: Some(id),
            input,
            agent: None,
            options: Default::default(),
        })
        .await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({"run_id": turn.run.id, "chat_id": id, "message": turn.message})),
    ))
}

#[derive(Deserialize)]
struct EditBody {
    content: String,
}

/// `PATCH /v1/chats/{id}/messages/{message_id}` `{content}`: edits the latest user message
/// and answers it again; the old text and the replies after it are replaced. 202 with the
/// run; 409 for any message but the latest of yours.
async fn edit_message(
    State(state): State<AppState>,
    RequireUser(who): RequireUser,
    Path((id, message_id)): Path<(String, String)>,
    super::json::ApiJson(body): super::json::ApiJson<EditBody>,
) -> Result<(StatusCode, Json<serde_json::Value>), AppError> {
    let id = chat_id(&id)?;
    let message_id = parse_path_id(&message_id, "message")?;
    let input = TurnInput::Edit {
        message_id,
        content: body.content,
    };
    accept_turn(&state, who.user, id, input).await
}

#[derive(Deserialize)]
pub(super) struct UsageQuery {
    pub(super) days: Option<i64>,
}

/// `GET /v1/usage?days=N` (1–366, default 30): the user's tokens per UTC day, newest first.
async fn usage(
    State(state): State<AppState>,
    RequireUser(who): RequireUser,
    q: Result<Query<UsageQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<serde_json::Value>, AppError> {
    let q = super::chat_routes::query(q)?;
    let data: Vec<UsageDay> = state.usage.daily(Some(who.user.id), q.days).await?;
    Ok(Json(json!({"data": data})))
}
