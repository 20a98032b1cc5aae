//! OpenAI's wire shapes: its error body, a completion, and the chunks of a streamed one.

use std::convert::Infallible;

use axum::body::Bytes;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use futures::StreamExt;
use serde_json::{json, Value};

use crate::error::AppError;
use crate::model::{Message, RunEvent, ToolCallData, Usage};

/// An error as OpenAI sends it: `{"error":{"message","type","param","code"}}`.
#[derive(Debug)]
pub(super) struct OpenAiError {
    pub status: StatusCode,
    pub message: String,
    pub kind: &'static str,
    pub code: Option<&'static str>,
    /// The request parameter the error is about.
    pub param: Option<String>,
    pub retry_after: Option<u64>,
}

impl IntoResponse for OpenAiError {
    fn into_response(self) -> Response {
        let mut response = (
            self.status,
            Json(json!({"error": {"message": self.message, "type": self.kind, "code": self.code, "param": self.param}})),
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

pub(super) fn error(
    status: StatusCode,
    message: impl Into<String>,
    kind: &'static str,
) -> OpenAiError {
    OpenAiError {
        status,
        message: message.into(),
        kind,
        code: None,
        param: None,
        retry_after: None,
    }
}

/// 400 about the request as a whole.
pub(super) fn invalid(message: impl Into<String>) -> OpenAiError {
    error(StatusCode::BAD_REQUEST, message, "invalid_request_error")
}

/// 400 about one parameter, named in `param` as OpenAI does.
pub(super) fn invalid_param(param: &str, message: impl Into<String>) -> OpenAiError {
    OpenAiError {
        code: Some("invalid_value"),
        param: Some(param.to_string()),
        ..invalid(message)
    }
}

/// 404 for a model id no agent has.
pub(super) fn model_not_found(model: &str) -> OpenAiError {
    OpenAiError {
        code: Some("model_not_found"),
        param: Some("model".into()),
        ..error(
            StatusCode::NOT_FOUND,
            format!("The model `{model}` does not exist. See GET /v1/models."),
            "invalid_request_error",
        )
    }
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
            param: e.field().map(str::to_string),
            retry_after: e.retry_after(),
        }
    }
}

/// `usage` as OpenAI sends it (and `estimated`, ours, when the model reported none).
pub(super) fn usage_json(usage: &Usage) -> Value {
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

fn client_calls(message: &Message) -> Vec<ToolCallData> {
    message.reply_data().tool_calls
}

fn call_json(call: &ToolCallData) -> Value {
    json!({"id": call.id, "type": "function", "function": {"name": call.name, "arguments": call.arguments}})
}

/// How a run ended, for a client waiting for the whole completion.
pub(super) struct Ended {
    pub message: Message,
    pub finish_reason: String,
    pub usage: Usage,
}

impl Ended {
    /// The assistant message: its text (`null` when it only calls tools) and its calls.
    pub fn message_json(&self) -> Value {
        let calls = client_calls(&self.message);
        if calls.is_empty() {
            return json!({"role": "assistant", "content": self.message.content, "refusal": null});
        }
        let content = (!self.message.content.is_empty()).then_some(&self.message.content);
        json!({"role": "assistant", "content": content, "refusal": null,
               "tool_calls": calls.iter().map(call_json).collect::<Vec<_>>()})
    }
}

/// Waits for the run's stored reply.
pub(super) async fn collect(
    events: impl futures::Stream<Item = RunEvent>,
) -> Result<Ended, String> {
    let mut events = std::pin::pin!(events);
    let mut usage = Usage::default();
    while let Some(event) = events.next().await {
        match event {
            RunEvent::Usage { usage: u } => usage = u,
            RunEvent::Finished {
                message,
                finish_reason,
            } => {
                return Ok(Ended {
                    message,
                    finish_reason,
                    usage,
                })
            }
            RunEvent::Stopped { message } => {
                return Ok(Ended {
                    message,
                    finish_reason: "stop".into(),
                    usage,
                })
            }
            RunEvent::Failed { error, .. } => return Err(error),
            _ => {}
        }
    }
    Err("The agent stopped without an answer.".into())
}

/// What every chunk of one streamed completion repeats.
pub(super) struct Completion {
    pub id: String,
    pub created: i64,
    pub model: String,
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

    /// The whole completion, as the answer to a request without `stream`.
    pub fn whole(&self, ended: &Ended) -> Value {
        json!({
            "id": self.id, "object": "chat.completion", "created": self.created, "model": self.model,
            "choices": [{"index": 0, "message": ended.message_json(), "finish_reason": ended.finish_reason, "logprobs": null}],
            "usage": usage_json(&ended.usage),
        })
    }

    /// The end of a stream: the client tool calls as `delta.tool_calls` fragments (the
    /// call's id and name, then its arguments), the finish reason, and usage when asked.
    fn ending(&self, message: Option<&Message>, finish: &str, usage: Option<&Usage>) -> Vec<Bytes> {
        let mut out = Vec::new();
        for (index, call) in message
            .map(client_calls)
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            out.push(self.chunk(
                json!({"tool_calls": [{"index": index, "id": call.id, "type": "function",
                        "function": {"name": call.name, "arguments": ""}}]}),
                None,
            ));
            out.push(self.chunk(
                json!({"tool_calls": [{"index": index, "function": {"arguments": call.arguments}}]}),
                None,
            ));
        }
        out.push(self.chunk(json!({}), Some(finish)));
        if let Some(usage) = usage {
            out.push(self.usage_chunk(usage));
        }
        out
    }
}

/// The run as `chat.completion.chunk` events ending in `data: [DONE]`; a failure is an
/// `error` event before the end (OpenAI's clients raise it).
pub(super) fn sse_stream(
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
            RunEvent::Finished {
                finish_reason,
                message,
            } => Some(completion.ending(
                Some(&message),
                &finish_reason,
                include_usage.then_some(&usage),
            )),
            RunEvent::Stopped { .. } => {
                Some(completion.ending(None, "stop", include_usage.then_some(&usage)))
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
