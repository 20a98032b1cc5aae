//! The OpenAI-compatible chat completions client: streaming, tool calls assembled from
//! streamed deltas, timeouts for connecting and for silence, one retry before any token.

use std::time::Duration;

use serde::Serialize;
use serde_json::{json, Value};
use tokio::sync::mpsc;

use super::options::RunOptions;
use super::sse::SseParser;
use crate::server::config::{LlmConfig, RunLimits};

/// A message as the model sees it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct WireMessage {
    pub role: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_call_id: Option<String>,
}

impl WireMessage {
    pub fn text(role: &'static str, content: impl Into<String>) -> Self {
        WireMessage {
            role,
            content: Some(content.into()),
            tool_calls: Vec::new(),
            tool_call_id: None,
        }
    }
}

/// One tool call the model asked for.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolCall {
    pub id: String,
    pub name: String,
    /// JSON text, as the model wrote it.
    pub arguments: String,
}

impl ToolCall {
    /// The call as it goes back into the conversation.
    pub fn to_wire(&self) -> Value {
        json!({"id": self.id, "type": "function", "function": {"name": self.name, "arguments": self.arguments}})
    }
}

/// What the stream yields.
#[derive(Debug, Clone, PartialEq)]
pub enum Chunk {
    Text(String),
    /// The end of one completion: the tool calls it made (possibly none) and its token usage.
    Done {
        tool_calls: Vec<ToolCall>,
        usage: Option<(u64, u64)>,
        /// The model's own `finish_reason` (`length` when it hit `max_tokens`).
        finish_reason: Option<String>,
    },
}

/// Why the model could not answer, in words a user understands.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LlmError {
    #[error("The language model could not be reached ({0}).")]
    Unreachable(String),
    #[error("The language model refused our credentials; check MARUNTIME_LLM_API_KEY.")]
    Auth,
    #[error("The language model is rate limiting us; try again in a moment.")]
    RateLimited,
    #[error("The language model stopped responding (no data for {0} seconds).")]
    Timeout(u64),
    #[error("The language model sent a response we could not use: {0}")]
    BadResponse(String),
    /// Its own error text goes to the server log only: it can name the provider's account,
    /// quota or internals, and it is not ours to show.
    #[error("The language model refused the request (status {0}); the server log has its reason.")]
    Refused(u16),
    /// The body ended with neither a `finish_reason` nor `data: [DONE]`: the connection was
    /// cut (a proxy's timeout, a restart), and the text so far is only part of an answer.
    #[error("The language model's answer broke off before it was finished (the connection closed early).")]
    Cut,
    #[error(
        "The language model sent one event larger than {0} bytes (MARUNTIME_LLM_MAX_EVENT_BYTES)."
    )]
    TooLarge(usize),
}

/// A completion as it streams in. Dropping it closes the connection to the model at once,
/// even while the model is silent.
pub struct ChunkStream {
    rx: mpsc::Receiver<Result<Chunk, LlmError>>,
    reader: tokio::task::JoinHandle<()>,
}

impl ChunkStream {
    /// The next chunk; `None` after the end.
    pub async fn recv(&mut self) -> Option<Result<Chunk, LlmError>> {
        self.rx.recv().await
    }
}

impl Drop for ChunkStream {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

#[derive(Clone)]
pub struct LlmClient {
    http: reqwest::Client,
    url: String,
    api_key: Option<String>,
    pub model: String,
    idle_timeout: Duration,
    /// Sent as `max_tokens`.
    max_tokens: u32,
    /// The largest SSE event or error body read.
    max_event_bytes: usize,
}

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(60);

impl LlmClient {
    /// `None` when no endpoint is configured (the recall agent answers instead).
    pub fn from_config(config: &LlmConfig, limits: &RunLimits) -> Option<Self> {
        let base = config.base_url.as_deref()?.trim_end_matches('/');
        Some(LlmClient {
            http: reqwest::Client::builder()
                .connect_timeout(CONNECT_TIMEOUT)
                .build()
                .expect("HTTP client builds"),
            url: format!("{base}/chat/completions"),
            api_key: config.api_key.as_ref().map(|k| k.expose().to_string()),
            model: config.model.clone().unwrap_or_else(|| "default".into()),
            idle_timeout: config
                .idle_timeout_secs
                .map_or(DEFAULT_IDLE_TIMEOUT, Duration::from_secs),
            max_tokens: limits.max_reply_tokens,
            max_event_bytes: limits.max_event_bytes,
        })
    }

    /// Starts a streamed completion. Errors before the first byte (including one retry on
    /// 429/5xx or a failed connection) come back here; later ones arrive in the stream.
    /// `options` are the request's own (the gateway client's parameters and tool choice);
    /// `first` says whether this is the run's first call.
    pub async fn stream(
        &self,
        messages: &[WireMessage],
        tools: &[Value],
        options: &RunOptions,
        first: bool,
    ) -> Result<ChunkStream, LlmError> {
        let body = self.body(messages, tools, options, first);
        let response = self.send_with_retry(&body).await?;
        let (tx, rx) = mpsc::channel(64);
        let (idle, max_event) = (self.idle_timeout, self.max_event_bytes);
        let reader = tokio::spawn(async move {
            if let Err(e) = read_stream(response, idle, max_event, &tx).await {
                let _ = tx.send(Err(e)).await;
            }
        });
        Ok(ChunkStream { rx, reader })
    }

    fn body(
        &self,
        messages: &[WireMessage],
        tools: &[Value],
        options: &RunOptions,
        first: bool,
    ) -> Value {
        let mut body = json!({"model": self.model, "messages": messages});
        options.apply(&mut body, !tools.is_empty(), first, self.max_tokens);
        if !tools.is_empty() {
            body["tools"] = json!(tools);
        }
        // Ours whatever the client asked: the reply streams in and reports its usage.
        body["stream"] = json!(true);
        body["stream_options"] = json!({"include_usage": true});
        body
    }

    async fn send_with_retry(&self, body: &Value) -> Result<reqwest::Response, LlmError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let (error, wait) = match self.send_once(body).await {
                Ok(response) => return Ok(response),
                Err(Failure::Final(e)) => return Err(e),
                Err(Failure::Retryable(e, wait)) => (e, wait),
            };
            if attempt >= 2 {
                return Err(error);
            }
            tracing::warn!("LLM request failed ({error}); retrying once in {wait:?}");
            tokio::time::sleep(wait).await;
        }
    }

    async fn send_once(&self, body: &Value) -> Result<reqwest::Response, Failure> {
        let mut request = self.http.post(&self.url).json(body);
        if let Some(key) = &self.api_key {
            request = request.bearer_auth(key);
        }
        let response = match tokio::time::timeout(self.idle_timeout, request.send()).await {
            Err(_) => {
                return Err(Failure::Retryable(
                    LlmError::Timeout(self.idle_timeout.as_secs()),
                    BACKOFF,
                ))
            }
            Ok(Err(e)) => {
                return Err(Failure::Retryable(
                    LlmError::Unreachable(describe(&e)),
                    BACKOFF,
                ))
            }
            Ok(Ok(r)) => r,
        };
        if response.status().is_success() {
            return Ok(response);
        }
        let status = response.status().as_u16();
        let wait = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok())
            .map_or(BACKOFF, |s| Duration::from_secs(s.min(5)));
        let text = read_limited(response, self.max_event_bytes, self.idle_timeout).await;
        tracing::warn!("LLM answered {status}: {}", error_message(&text, status));
        Err(match status {
            401 | 403 => Failure::Final(LlmError::Auth),
            429 => Failure::Retryable(LlmError::RateLimited, wait),
            500..=599 => Failure::Retryable(
                LlmError::Unreachable(format!("it answered with status {status}")),
                wait,
            ),
            _ => Failure::Final(LlmError::Refused(status)),
        })
    }
}

/// Wait before the one retry when the server gives no `Retry-After`.
const BACKOFF: Duration = Duration::from_millis(500);

enum Failure {
    Final(LlmError),
    Retryable(LlmError, Duration),
}

fn describe(e: &reqwest::Error) -> String {
    if e.is_connect() {
        "connection refused or host not found".into()
    } else if e.is_timeout() {
        "timed out".into()
    } else {
        "network error".into()
    }
}

/// At most `limit` bytes of a body (an error body can be as long as the server likes).
async fn read_limited(mut response: reqwest::Response, limit: usize, idle: Duration) -> String {
    let mut body = Vec::new();
    while body.len() < limit {
        match tokio::time::timeout(idle, response.chunk()).await {
            Ok(Ok(Some(bytes))) => {
                body.extend_from_slice(&bytes[..bytes.len().min(limit - body.len())])
            }
            _ => break,
        }
    }
    String::from_utf8_lossy(&body).into_owned()
}

/// The `error.message` of an OpenAI-style error body, or the status.
fn error_message(body: &str, status: u16) -> String {
    serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|v| v["error"]["message"].as_str().map(str::to_string))
        .unwrap_or_else(|| format!("status {status}"))
}

/// A tool call being assembled from deltas.
#[derive(Default)]
struct PartialCall {
    id: String,
    name: String,
    arguments: String,
}

#[derive(Default)]
struct StreamState {
    calls: Vec<PartialCall>,
    usage: Option<(u64, u64)>,
    finish_reason: Option<String>,
}

impl StreamState {
    fn done(&mut self) -> Chunk {
        Chunk::Done {
            tool_calls: self
                .calls
                .drain(..)
                .enumerate()
                .filter(|(_, c)| !c.name.is_empty())
                .map(|(i, c)| ToolCall {
                    id: if c.id.is_empty() {
                        format!("call_{i}")
                    } else {
                        c.id
                    },
                    name: c.name,
                    arguments: if c.arguments.trim().is_empty() {
                        "{}".into()
                    } else {
                        c.arguments
                    },
                })
                .collect(),
            usage: self.usage,
            finish_reason: self.finish_reason.take(),
        }
    }

    /// Applies one event's data; `Ok(Some(chunk))` to pass on, `Err` for a broken stream.
    fn apply(&mut self, data: &str) -> Result<Option<Chunk>, LlmError> {
        let value: Value = serde_json::from_str(data)
            .map_err(|_| LlmError::BadResponse("the stream held malformed JSON".into()))?;
        if let Some(message) = value["error"]["message"].as_str() {
            // Its own words stay in the log, as for an error status.
            tracing::warn!("LLM sent an error event: {message}");
            return Err(LlmError::BadResponse(
                "it sent an error in the middle of its answer (the server log has it)".into(),
            ));
        }
        if let (Some(p), Some(c)) = (
            value["usage"]["prompt_tokens"].as_u64(),
            value["usage"]["completion_tokens"].as_u64(),
        ) {
            self.usage = Some((p, c));
        }
        if let Some(reason) = value["choices"][0]["finish_reason"].as_str() {
            self.finish_reason = Some(reason.to_string());
        }
        let delta = &value["choices"][0]["delta"];
        if let Some(calls) = delta["tool_calls"].as_array() {
            for (position, call) in calls.iter().enumerate() {
                let index = call["index"].as_u64().map_or(position, |i| i as usize);
                if index > 64 {
                    return Err(LlmError::BadResponse("too many tool calls".into()));
                }
                if self.calls.len() <= index {
                    self.calls.resize_with(index + 1, PartialCall::default);
                }
                let slot = &mut self.calls[index];
                if let Some(id) = call["id"].as_str() {
                    slot.id = id.to_string();
                }
                if let Some(name) = call["function"]["name"].as_str() {
                    slot.name.push_str(name);
                }
                if let Some(args) = call["function"]["arguments"].as_str() {
                    slot.arguments.push_str(args);
                }
            }
        }
        Ok(delta["content"]
            .as_str()
            .filter(|t| !t.is_empty())
            .map(|t| Chunk::Text(t.to_string())))
    }
}

async fn read_stream(
    mut response: reqwest::Response,
    idle: Duration,
    max_event: usize,
    tx: &mpsc::Sender<Result<Chunk, LlmError>>,
) -> Result<(), LlmError> {
    let mut parser = SseParser::new(max_event);
    let mut state = StreamState::default();
    let mut text = Utf8Decoder::default();
    loop {
        let bytes = match tokio::time::timeout(idle, response.chunk()).await {
            Err(_) => return Err(LlmError::Timeout(idle.as_secs())),
            Ok(Err(e)) => return Err(LlmError::Unreachable(describe(&e))),
            Ok(Ok(None)) => break,
            Ok(Ok(Some(bytes))) => bytes,
        };
        let events = parser
            .push(&text.decode(&bytes))
            .map_err(|e| LlmError::TooLarge(e.0))?;
        for data in events {
            if data == "[DONE]" {
                let _ = tx.send(Ok(state.done())).await;
                return Ok(());
            }
            if let Some(chunk) = state.apply(&data)? {
                if tx.send(Ok(chunk)).await.is_err() {
                    return Ok(()); // the run was cancelled
                }
            }
        }
    }
    // The body ended without `[DONE]`. An event the body cut off before its blank line is
    // still read when it is whole JSON (a server that ends its last event with one newline);
    // a half event means the connection was cut inside it.
    for data in parser.finish() {
        if data == "[DONE]" {
            continue;
        }
        match state.apply(&data) {
            Ok(Some(chunk)) => {
                let _ = tx.send(Ok(chunk)).await;
            }
            Ok(None) => {}
            Err(LlmError::BadResponse(_)) if state.finish_reason.is_none() => {
                return Err(LlmError::Cut)
            }
            Err(e) => return Err(e),
        }
    }
    // A server that said why it finished may end the body without `[DONE]`; one that said
    // neither was cut off, and what arrived is only part of an answer.
    if state.finish_reason.is_none() {
        return Err(LlmError::Cut);
    }
    let _ = tx.send(Ok(state.done())).await;
    Ok(())
}

/// Bytes to text across network chunks: a character split between chunks waits for its
/// end (at most 3 bytes); a byte that can never be UTF-8 becomes U+FFFD at once.
#[derive(Default)]
struct Utf8Decoder {
    pending: Vec<u8>,
}

impl Utf8Decoder {
    fn decode(&mut self, bytes: &[u8]) -> String {
        self.pending.extend_from_slice(bytes);
        let mut out = String::new();
        let mut rest: &[u8] = &self.pending;
        loop {
            match std::str::from_utf8(rest) {
                Ok(s) => {
                    out.push_str(s);
                    rest = &[];
                    break;
                }
                Err(e) => {
                    let (valid, after) = rest.split_at(e.valid_up_to());
                    out.push_str(std::str::from_utf8(valid).expect("valid prefix"));
                    match e.error_len() {
                        Some(bad) => {
                            out.push(char::REPLACEMENT_CHARACTER);
                            rest = &after[bad..];
                        }
                        // An incomplete character at the end: keep it for the next chunk.
                        None => {
                            rest = after;
                            break;
                        }
                    }
                }
            }
        }
        self.pending = rest.to_vec();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tool_call_arguments_are_assembled_from_deltas() {
        let mut state = StreamState::default();
        let events = [
            r#"{"choices":[{"delta":{"tool_calls":[{"index":0,"id":"c1","function":{"name":"chat_history_search","arguments":""}}]}}]}"#,
            r#"{"choices":[{"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"query\":"}}]}}]}"#,
            r#"{"choices":[{"delta":{"tool_calls":[{"index":0,"function":{"arguments":"\"Atlas\"}"}}]}}]}"#,
        ];
        for e in events {
            assert_eq!(state.apply(e).unwrap(), None);
        }
        let Chunk::Done { tool_calls, .. } = state.done() else {
            panic!()
        };
        assert_eq!(
            tool_calls,
            vec![ToolCall {
                id: "c1".into(),
                name: "chat_history_search".into(),
                arguments: r#"{"query":"Atlas"}"#.into()
            }]
        );
    }

    #[test]
    fn invalid_utf8_is_replaced_and_split_characters_wait() {
        let mut d = Utf8Decoder::default();
        let snow = "é".as_bytes();
        assert_eq!(d.decode(&[b'a', snow[0]]), "a");
        assert_eq!(d.decode(&[snow[1], 0xff, b'b']), "é\u{fffd}b");
        // A stream of invalid bytes never accumulates.
        for _ in 0..1000 {
            assert_eq!(d.decode(&[0xff; 64]).chars().count(), 64);
        }
        assert!(d.pending.is_empty());
    }

    #[test]
    fn malformed_json_is_a_bad_response() {
        let mut state = StreamState::default();
        assert!(matches!(
            state.apply("{nope"),
            Err(LlmError::BadResponse(_))
        ));
    }
}
