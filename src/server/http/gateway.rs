//! The OpenAI-compatible gateway: `GET /v1/models` and `POST /v1/chat/completions`.
//! Same runner as the web UI; errors in OpenAI's shape so official clients understand them.

use std::convert::Infallible;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use futures::StreamExt;
use serde_json::{json, Value};
use uuid::Uuid;

use super::session_layer::CurrentUser;
use crate::error::AppError;
use crate::model::{Role, RunEvent, Usage, User};
use crate::server::agent::{TurnInput, TurnRequest};
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
    retry_after: Option<u64>,
}

impl IntoResponse for OpenAiError {
    fn into_response(self) -> Response {
        let mut response = (
            self.status,
            Json(json!({"error": {"message": self.message, "type": self.kind, "code": self.code, "param": null}})),
        )
            .into_response();
        if let Some(secs) = self.retry_after {
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from_str(&secs.to_string()).expect("digits are valid"),
            );
        }
        response
    }
}

fn error(status: StatusCode, message: impl Into<String>, kind: &'static str) -> OpenAiError {
    OpenAiError {
        status,
        message: message.into(),
        kind,
        code: None,
        retry_after: None,
    }
}

fn invalid(message: impl Into<String>) -> OpenAiError {
    error(StatusCode::BAD_REQUEST, message, "invalid_request_error")
}

impl From<AppError> for OpenAiError {
    fn from(e: AppError) -> Self {
        let (kind, code) = match &e {
            AppError::Unauthorized(_) => ("invalid_request_error", Some("invalid_api_key")),
            AppError::NotFound(_) => ("invalid_request_error", Some("not_found")),
            AppError::Busy { .. } | AppError::RateLimited { .. } => {
                ("requests", Some("rate_limit_exceeded"))
            }
            AppError::QuotaExceeded(_) => ("insufficient_quota", Some("insufficient_quota")),
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
            retry_after: e.retry_after(),
        }
    }
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
            if content.contains('\0') {
                return Err(invalid(format!(
                    "messages[{i}].content contains a NUL character (U+0000), which cannot be stored."
                )));
            }
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
            code: Some("model_not_found"),
            ..error(
                StatusCode::NOT_FOUND,
                format!("The model `{model}` does not exist. See GET /v1/models."),
                "invalid_request_error",
            )
        });
    }
    let max_messages = state.agents.registry().limits().gateway_max_messages;
    if request["messages"]
        .as_array()
        .is_some_and(|l| l.len() > max_messages)
    {
        return Err(error(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("A request may carry at most {max_messages} messages (MARUNTIME_GATEWAY_MAX_MESSAGES); continue a long chat with chat_id instead of resending it."),
            "invalid_request_error",
        ));
    }
    let messages = parse_messages(&request["messages"])?;
    let stream = match &request["stream"] {
        Value::Null => false,
        Value::Bool(b) => *b,
        _ => return Err(invalid("stream must be true or false")),
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
    let last_user = messages
        .iter()
        .rposition(|m| m.role == Role::User && !m.content.trim().is_empty())
        .ok_or_else(|| invalid("messages must include a user message with content"))?;
    // Continuing a chat: its stored history is used and only the newest user message is
    // added. A new chat keeps the conversation the client sent (user and assistant turns).
    let input = match chat_id {
        Some(_) => TurnInput::Message(messages[last_user].content.clone()),
        None => TurnInput::History(
            messages
                .into_iter()
                .filter(|m| {
                    matches!(m.role, Role::User | Role::Assistant) && !m.content.trim().is_empty()
                })
                .map(|m| (m.role, m.content))
                .collect(),
        ),
    };
    let turn = state
        .agents
        .start_turn(TurnRequest {
            user,
            chat_id,
            input,
            agent: Some(model.clone()),
        })
        .await?;
    let chat_id = turn.chat.id;
    let id = format!("chatcmpl-{}", Uuid::new_v4().simple());
    let created = chrono::Utc::now().timestamp();
    let chat_header = HeaderValue::from_str(&chat_id.to_string()).expect("uuid is a valid header");
    let events = turn.run.follow();
    if stream {
        // Fused: the response body may be polled again after its end.
        let body = Body::from_stream(futures::StreamExt::fuse(sse_stream(
            events,
            Completion { id, created, model },
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
    let (content, finish_reason, usage) = match collect(events).await {
        Ok(done) => done,
        Err(message) => {
            let mut response = OpenAiError {
                code: Some("model_error"),
                ..error(StatusCode::BAD_GATEWAY, message, "server_error")
            }
            .into_response();
            // The user's message (and any partial reply) is stored: the client can retry in
            // the same chat.
            response.headers_mut().insert("x-chat-id", chat_header);
            return Ok(response);
        }
    };
    let mut response = Json(json!({
        "id": id, "object": "chat.completion", "created": created, "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": finish_reason, "logprobs": null}],
        "usage": usage_json(&usage),
    }))
    .into_response();
    response.headers_mut().insert("x-chat-id", chat_header);
    Ok(response)
}

/// `usage` as OpenAI sends it (and `estimated`, ours, when the model reported none).
fn usage_json(usage: &Usage) -> Value {
    let mut value = json!({
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "total_tokens": usage.total_tokens,
    });
    if usage.estimated {
        value["estimated"] = json!(true);
    }
    value
}

/// Waits for the run's stored reply: its text, finish reason and usage.
async fn collect(
    events: impl futures::Stream<Item = RunEvent>,
) -> Result<(String, String, Usage), String> {
    let mut events = std::pin::pin!(events);
    let mut usage = Usage::default();
    while let Some(event) = events.next().await {
        match event {
            RunEvent::Usage { usage: u } => usage = u,
            RunEvent::Finished {
                message,
                finish_reason,
            } => return Ok((message.content, finish_reason, usage)),
            RunEvent::Stopped { message } => return Ok((message.content, "stop".into(), usage)),
            RunEvent::Failed { error, .. } => return Err(error),
            _ => {}
        }
    }
    Err("The agent stopped without an answer.".into())
}

/// What every chunk of one streamed completion repeats.
struct Completion {
    id: String,
    created: i64,
    model: String,
}

impl Completion {
    fn chunk(&self, delta: Value, finish: Option<&str>) -> Bytes {
        let value = json!({"id": self.id, "object": "chat.completion.chunk", "created": self.created, "model": self.model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": null}]});
        Bytes::from(format!("data: {value}\n\n"))
    }

    /// The last chunk of a stream that asked for usage: no choices, only `usage`.
    fn usage_chunk(&self, usage: &Usage) -> Bytes {
        let value = json!({"id": self.id, "object": "chat.completion.chunk", "created": self.created, "model": self.model,
            "choices": [], "usage": usage_json(usage)});
        Bytes::from(format!("data: {value}\n\n"))
    }
}

/// The run as `chat.completion.chunk` events ending in `data: [DONE]`; a failure is an
/// `error` event before the end (OpenAI's clients raise it).
fn sse_stream(
    events: impl futures::Stream<Item = RunEvent> + Send + 'static,
    completion: Completion,
    include_usage: bool,
) -> impl futures::Stream<Item = Result<Bytes, Infallible>> + Send {
    let first = completion.chunk(json!({"role": "assistant", "content": ""}), None);
    let mut usage = Usage::default();
    let body = events.filter_map(move |event| {
        let out: Option<Vec<Bytes>> = match event {
            RunEvent::Delta { text } => Some(vec![completion.chunk(json!({"content": text}), None)]),
            RunEvent::Usage { usage: u } => {
                usage = u;
                None
            }
            RunEvent::Finished { finish_reason, .. } => {
                let mut out = vec![completion.chunk(json!({}), Some(&finish_reason))];
                if include_usage {
                    out.push(completion.usage_chunk(&usage));
                }
                Some(out)
            }
            RunEvent::Stopped { .. } => {
                let mut out = vec![completion.chunk(json!({}), Some("stop"))];
                if include_usage {
                    out.push(completion.usage_chunk(&usage));
                }
                Some(out)
            }
            RunEvent::Failed { error, .. } => {
                let error = json!({"error": {"message": error, "type": "server_error", "code": "model_error"}});
                Some(vec![Bytes::from(format!("data: {error}\n\n"))])
            }
            RunEvent::Started { .. } | RunEvent::ToolCall { .. } | RunEvent::Step { .. } => None,
        };
        std::future::ready(out)
    });
    futures::stream::once(std::future::ready(vec![first]))
        .chain(body)
        .chain(futures::stream::once(std::future::ready(vec![
            Bytes::from_static(b"data: [DONE]\n\n"),
        ])))
        .flat_map(|chunks| futures::stream::iter(chunks.into_iter().map(Ok)))
}
