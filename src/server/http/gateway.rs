//! The OpenAI-compatible gateway: `GET /v1/models` and `POST /v1/chat/completions`.
//! Same runner as the web UI; errors in OpenAI's shape so official clients understand them.

use std::convert::Infallible;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use serde_json::{json, Value};
use tokio::sync::mpsc;
use uuid::Uuid;

use super::session_layer::CurrentUser;
use crate::error::AppError;
use crate::model::{Role, RunEvent, User};
use crate::server::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/models", get(models))
        .route("/v1/chat/completions", post(completions))
}

/// An error as OpenAI sends it: `{"error":{"message","type","code"}}`.
struct OpenAiError {
    status: StatusCode,
    message: String,
    kind: &'static str,
    code: Option<&'static str>,
}

impl IntoResponse for OpenAiError {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(json!({"error": {"message": self.message, "type": self.kind, "code": self.code, "param": null}})),
        )
            .into_response()
    }
}

fn invalid(message: impl Into<String>) -> OpenAiError {
    OpenAiError {
        status: StatusCode::BAD_REQUEST,
        message: message.into(),
        kind: "invalid_request_error",
        code: None,
    }
}

impl From<AppError> for OpenAiError {
    fn from(e: AppError) -> Self {
        let (kind, code) = match &e {
            AppError::Unauthorized(_) => ("invalid_request_error", Some("invalid_api_key")),
            AppError::NotFound(_) => ("invalid_request_error", Some("not_found")),
            AppError::Internal | AppError::Unavailable(_) | AppError::Transport(_) => {
                ("server_error", None)
            }
            _ => ("invalid_request_error", None),
        };
        // Validation failures are request errors for OpenAI clients.
        let status = match e {
            AppError::Validation { .. } => StatusCode::BAD_REQUEST,
            ref other => {
                StatusCode::from_u16(other.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
            }
        };
        OpenAiError {
            status,
            message: e.to_string(),
            kind,
            code,
        }
    }
}

fn require(user: Option<crate::server::auth::Authenticated>) -> Result<User, OpenAiError> {
    user.map(|a| a.user).ok_or(OpenAiError {
        status: StatusCode::UNAUTHORIZED,
        message: "You need to authenticate: send Authorization: Bearer <your maruntime API key>, or a session cookie.".into(),
        kind: "invalid_request_error",
        code: Some("invalid_api_key"),
    })
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
        .map(|a| json!({"id": a.id, "object": "model", "created": 0, "owned_by": "maruntime", "name": a.name, "description": a.description}))
        .collect();
    Ok(Json(json!({"object": "list", "data": data})))
}

/// A message of the request, checked.
struct Incoming {
    role: Role,
    content: String,
}

fn parse_messages(value: &Value) -> Result<Vec<Incoming>, OpenAiError> {
    let list = value
        .as_array()
        .filter(|l| !l.is_empty())
        .ok_or_else(|| invalid("messages must be a non-empty array"))?;
    list.iter()
        .enumerate()
        .map(|(i, m)| {
            let role = match m["role"].as_str() {
                Some("user") => Role::User,
                Some("assistant") => Role::Assistant,
                Some("system") | Some("developer") => Role::System,
                Some("tool") | Some("function") => Role::Tool,
                _ => {
                    return Err(invalid(format!(
                    "messages[{i}].role must be one of system, developer, user, assistant, tool"
                )))
                }
            };
            let content = match &m["content"] {
                Value::String(s) => s.clone(),
                Value::Null => String::new(),
                Value::Array(parts) => parts
                    .iter()
                    .map(|p| {
                        p["text"].as_str().map(str::to_string).ok_or_else(|| {
                            invalid(format!("messages[{i}].content parts must be text"))
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?
                    .join("\n"),
                _ => {
                    return Err(invalid(format!(
                        "messages[{i}].content must be a string or an array of text parts"
                    )))
                }
            };
            Ok(Incoming { role, content })
        })
        .collect()
}

async fn completions(
    State(state): State<AppState>,
    Extension(CurrentUser(user)): Extension<CurrentUser>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, OpenAiError> {
    let user = require(user)?;
    let request: Value =
        serde_json::from_slice(&body).map_err(|_| invalid("The body is not valid JSON."))?;
    let model = request["model"]
        .as_str()
        .ok_or_else(|| invalid("model must be a string naming one of GET /v1/models"))?
        .to_string();
    if state.agents.catalog().get(&model).is_none() {
        return Err(OpenAiError {
            status: StatusCode::NOT_FOUND,
            message: format!("The model `{model}` does not exist. See GET /v1/models."),
            kind: "invalid_request_error",
            code: Some("model_not_found"),
        });
    }
    let messages = parse_messages(&request["messages"])?;
    let stream = match &request["stream"] {
        Value::Null => false,
        Value::Bool(b) => *b,
        _ => return Err(invalid("stream must be true or false")),
    };
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
    let last_user = messages
        .iter()
        .rposition(|m| m.role == Role::User && !m.content.trim().is_empty())
        .ok_or_else(|| invalid("messages must include a user message with content"))?;

    let chats = &state.chats;
    let chat_id = match chat_id {
        Some(id) => {
            // Continuing: the stored history is used; only the newest user message is added
            // (and only to a chat of this user: anything else is a 404 with nothing written).
            chats
                .append_message(&user, id, Role::User, &messages[last_user].content, None)
                .await?;
            id
        }
        None => {
            let chat = chats.start_chat(&user, None, Some(&model)).await?;
            for m in messages.iter().filter(|m| {
                matches!(m.role, Role::User | Role::Assistant) && !m.content.trim().is_empty()
            }) {
                chats
                    .append_message(&user, chat.id, m.role, &m.content, None)
                    .await?;
            }
            chat.id
        }
    };
    let events = state.agents.start(user, chat_id).await?;
    let id = format!("chatcmpl-{}", Uuid::new_v4().simple());
    let created = chrono::Utc::now().timestamp();
    let chat_header = HeaderValue::from_str(&chat_id.to_string()).expect("uuid is a valid header");
    if stream {
        // Fused: the response body may be polled again after its end.
        let body = Body::from_stream(futures::StreamExt::fuse(sse_stream(
            events, id, created, model,
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
    let content = match collect(events).await {
        Ok(content) => content,
        Err(error) => {
            let mut response = OpenAiError {
                status: StatusCode::BAD_GATEWAY,
                message: error,
                kind: "server_error",
                code: Some("model_error"),
            }
            .into_response();
            // The user's message is stored: the client can retry in the same chat.
            response.headers_mut().insert("x-chat-id", chat_header);
            return Ok(response);
        }
    };
    let mut response = Json(json!({
        "id": id, "object": "chat.completion", "created": created, "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop", "logprobs": null}],
    }))
    .into_response();
    response.headers_mut().insert("x-chat-id", chat_header);
    Ok(response)
}

/// Waits for the run's stored reply.
async fn collect(mut events: mpsc::Receiver<RunEvent>) -> Result<String, String> {
    while let Some(event) = events.recv().await {
        match event {
            RunEvent::Finished { message } => return Ok(message.content),
            RunEvent::Failed { error } => return Err(error),
            RunEvent::Step { .. } | RunEvent::Delta { .. } => {}
        }
    }
    Err("The agent stopped without an answer.".into())
}

/// The run as `chat.completion.chunk` events ending in `data: [DONE]`.
fn sse_stream(
    events: mpsc::Receiver<RunEvent>,
    id: String,
    created: i64,
    model: String,
) -> impl futures::Stream<Item = Result<Bytes, Infallible>> + Send {
    let chunk = move |delta: Value, finish: Option<&str>| {
        let value = json!({"id": id, "object": "chat.completion.chunk", "created": created, "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": null}]});
        Bytes::from(format!("data: {value}\n\n"))
    };
    let first = chunk(json!({"role": "assistant", "content": ""}), None);
    futures::stream::unfold((Some(events), Some(first)), move |(events, pending)| {
        let chunk = chunk.clone();
        async move {
            if let Some(bytes) = pending {
                return Some((Ok(bytes), (events, None)));
            }
            let mut events = events?;
            loop {
                match events.recv().await {
                    Some(RunEvent::Delta { text }) => {
                        return Some((
                            Ok(chunk(json!({"content": text}), None)),
                            (Some(events), None),
                        ))
                    }
                    Some(RunEvent::Step { .. }) => continue,
                    Some(RunEvent::Finished { .. }) => {
                        let end = chunk(json!({}), Some("stop"));
                        return Some((
                            Ok(end),
                            (None, Some(Bytes::from_static(b"data: [DONE]\n\n"))),
                        ));
                    }
                    failed => {
                        let message = match failed {
                            Some(RunEvent::Failed { error }) => error,
                            _ => "The agent stopped without an answer.".to_string(),
                        };
                        // OpenAI's clients raise an error for an `error` event in the stream.
                        let error = json!({"error": {"message": message, "type": "server_error", "code": "model_error"}});
                        return Some((
                            Ok(Bytes::from(format!("data: {error}\n\n"))),
                            (None, Some(Bytes::from_static(b"data: [DONE]\n\n"))),
                        ));
                    }
                }
            }
        }
    })
}
