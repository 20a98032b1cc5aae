//! The OpenAI-compatible gateway: `GET /v1/models`, `GET /v1/models/{id}` and
//! `POST /v1/chat/completions`. Same runner as the web UI; the request's own tools and
//! parameters go to the model; errors in OpenAI's shape so official clients understand them.

mod openai;
mod request;

use axum::body::{Body, Bytes};
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use serde_json::{json, Value};
use uuid::Uuid;

use self::openai::{
    collect, error, invalid, invalid_param, model_not_found, Completion, OpenAiError,
};
use super::session_layer::CurrentUser;
use crate::error::AppError;
use crate::model::User;
use crate::server::agent::agents::Agent;
use crate::server::agent::TurnRequest;
use crate::server::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/models", get(models))
        .route("/v1/models/{id}", get(model))
        .route("/v1/chat/completions", post(completions))
}

fn require(user: Option<crate::server::auth::Authenticated>) -> Result<User, OpenAiError> {
    user.map(|a| a.user).ok_or(OpenAiError {
        code: Some("invalid_api_key"),
        ..error(
            StatusCode::UNAUTHORIZED,
            "You need to authenticate: send Authorization: Bearer <your maruntime API key>, or a session cookie.",
            "invalid_request_error",
        )
    })
}

/// An agent as an OpenAI model object.
fn model_json(agent: &Agent) -> Value {
    json!({"id": agent.id, "object": "model", "created": 0, "owned_by": "maruntime", "name": agent.name, "description": agent.description})
}

async fn models(
    State(state): State<AppState>,
    Extension(CurrentUser(user)): Extension<CurrentUser>,
) -> Result<Json<Value>, OpenAiError> {
    require(user)?;
    let data: Vec<Value> = state
        .agents
        .catalog()
        .all()
        .iter()
        .map(model_json)
        .collect();
    Ok(Json(json!({"object": "list", "data": data})))
}

async fn model(
    State(state): State<AppState>,
    Extension(CurrentUser(user)): Extension<CurrentUser>,
    Path(id): Path<String>,
) -> Result<Json<Value>, OpenAiError> {
    require(user)?;
    let agent = state
        .agents
        .catalog()
        .get(&id)
        .ok_or_else(|| model_not_found(&id))?;
    Ok(Json(model_json(agent)))
}

/// A body the server would not read, in OpenAI's shape: an OpenAI client shows its
/// `message` (axum's own rejection is plain text).
fn body_refused(rejection: BytesRejection) -> OpenAiError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        OpenAiError {
            code: Some("request_too_large"),
            ..error(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!(
                    "The request body is larger than {} MiB.",
                    crate::server::startup::MAX_BODY_BYTES / (1024 * 1024)
                ),
                "invalid_request_error",
            )
        }
    } else {
        invalid("The request body could not be read.")
    }
}

async fn completions(
    State(state): State<AppState>,
    Extension(CurrentUser(user)): Extension<CurrentUser>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, OpenAiError> {
    let user = require(user)?;
    let body = body.map_err(body_refused)?;
    let request: Value =
        serde_json::from_slice(&body).map_err(|_| invalid("The body is not valid JSON."))?;
    if !request.is_object() {
        return Err(invalid("The body must be a JSON object."));
    }
    let model = request["model"]
        .as_str()
        .ok_or_else(|| {
            invalid_param(
                "model",
                "model must be a string naming one of GET /v1/models",
            )
        })?
        .to_string();
    if state.agents.catalog().get(&model).is_none() {
        return Err(model_not_found(&model));
    }
    let max_messages = state.agents.registry().limits().gateway_max_messages;
    if request["messages"]
        .as_array()
        .is_some_and(|l| l.len() > max_messages)
    {
        return Err(OpenAiError {
            param: Some("messages".into()),
            ..error(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("A request may carry at most {max_messages} messages (MARUNTIME_GATEWAY_MAX_MESSAGES); continue a long chat with chat_id instead of resending it."),
                "invalid_request_error",
            )
        });
    }
    let messages = request::parse_messages(&request["messages"])?;
    let mut options = request::run_options(&request)?;
    options.instructions = request::instructions(&messages);
    let stream = match &request["stream"] {
        Value::Null => false,
        Value::Bool(b) => *b,
        _ => return Err(invalid_param("stream", "stream must be true or false")),
    };
    let include_usage = request["stream_options"]["include_usage"].as_bool() == Some(true);
    let chat_id = match request["chat_id"].as_str().map(str::to_string).or_else(|| {
        headers
            .get("x-chat-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }) {
        Some(id) => Some(
            Uuid::parse_str(id.trim())
                .map_err(|_| OpenAiError::from(AppError::NotFound("No such chat.".into())))?,
        ),
        None => None,
    };
    let input = request::turn_input(messages, chat_id.is_some())?;
    let turn = state
        .agents
        .start_turn(TurnRequest {
            user,
            chat_id,
            input,
            agent: Some(model.clone()),
            options,
        })
        .await?;
    let chat_id = turn.chat.id;
    let completion = Completion {
        id: format!("chatcmpl-{}", Uuid::new_v4().simple()),
        created: chrono::Utc::now().timestamp(),
        model,
    };
    let chat_header = HeaderValue::from_str(&chat_id.to_string()).expect("uuid is a valid header");
    let events = turn.run.follow();
    if stream {
        // Fused: the response body may be polled again after its end.
        let body = Body::from_stream(futures::StreamExt::fuse(openai::sse_stream(
            events,
            completion,
            include_usage,
        )));
        let mut response = Response::new(body);
        let h = response.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/event-stream"),
        );
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        h.insert("x-chat-id", chat_header);
        return Ok(response);
    }
    let mut response = match collect(events).await {
        Ok(ended) => Json(completion.whole(&ended)).into_response(),
        // The user's message (and any partial reply) is stored: the client can retry in
        // the same chat.
        Err(message) => OpenAiError {
            code: Some("model_error"),
            ..error(StatusCode::BAD_GATEWAY, message, "server_error")
        }
        .into_response(),
    };
    response.headers_mut().insert("x-chat-id", chat_header);
    Ok(response)
}
