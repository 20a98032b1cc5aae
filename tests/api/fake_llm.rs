//! A fake OpenAI-compatible model server, scripted per test.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::helpers::{spawn_app_on, Engine, TestApp};

/// What the fake answers to one request.
#[derive(Clone, Debug)]
pub enum Script {
    /// Streams these content deltas, then `[DONE]`.
    Text(Vec<String>),
    /// Streams one tool call whose arguments arrive in these pieces.
    ToolCall {
        name: String,
        argument_pieces: Vec<String>,
    },
    /// Streams several tool calls at once (id, name, arguments), as a parallel call.
    ToolCalls(Vec<(String, String, String)>),
    /// Answers "tool said: " and the content of the request's last `tool` message.
    EchoTool,
    /// Answers with this status and an OpenAI error body.
    Status(u16),
    /// Sends headers and one delta, then goes silent.
    Stall,
    /// Streams a line of broken JSON.
    Malformed,
    /// Streams an OpenAI-style error event (`{"error": {"message": …}}`) mid-stream.
    ErrorEvent(String),
    /// Streams these deltas slowly (one per 200 ms), for stopping.
    Slow(Vec<String>),
    /// Answers "echo: " and the request's last user message.
    Echo,
    /// Streams "la " forever, one delta per `delay_ms` (0: as fast as it can).
    Endless { delay_ms: u64 },
    /// Streams these deltas, then breaks the connection without an end.
    DieAfter(Vec<String>),
    /// Streams these deltas, then ends the body cleanly with neither a `finish_reason` nor
    /// `[DONE]` (a connection cut by a proxy between events).
    CutAfter(Vec<String>),
    /// Streams these deltas, then half of an event, then ends the body cleanly.
    CutInsideEvent(Vec<String>),
    /// Streams these deltas and a last chunk with `finish_reason: "stop"`, without `[DONE]`.
    FinishedWithoutDone(Vec<String>),
    /// Streams these deltas, then a broken JSON line.
    MalformedAfter(Vec<String>),
    /// Streams these deltas and reports this usage (prompt, completion) in a final chunk.
    WithUsage(Vec<String>, u64, u64),
    /// Streams one `data:` line that never ends.
    EndlessEvent,
    /// Streams "held ", then waits until the test notifies the gate, then ends.
    Held(std::sync::Arc<tokio::sync::Notify>),
}

impl Script {
    /// One call to a client's tool, `id` chosen by the test.
    pub fn client_call(id: &str, name: &str, arguments: &str) -> Self {
        Script::ToolCalls(vec![(id.into(), name.into(), arguments.into())])
    }

    pub fn text(pieces: &[&str]) -> Self {
        Script::Text(pieces.iter().map(|s| s.to_string()).collect())
    }

    pub fn tool(name: &str, argument_pieces: &[&str]) -> Self {
        Script::ToolCall {
            name: name.to_string(),
            argument_pieces: argument_pieces.iter().map(|s| s.to_string()).collect(),
        }
    }
}

#[derive(Clone, Default)]
struct Shared {
    scripts: Arc<Mutex<VecDeque<Script>>>,
    requests: Arc<Mutex<Vec<Value>>>,
}

pub struct FakeLlm {
    pub base_url: String,
    shared: Shared,
}

impl FakeLlm {
    pub async fn start(scripts: Vec<Script>) -> FakeLlm {
        let shared = Shared::default();
        shared.scripts.lock().unwrap().extend(scripts);
        let app = Router::new()
            .route("/v1/chat/completions", post(answer))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        FakeLlm {
            base_url: format!("http://{addr}/v1"),
            shared,
        }
    }

    /// Every request body received, in order.
    pub fn requests(&self) -> Vec<Value> {
        self.shared.requests.lock().unwrap().clone()
    }

    pub fn push(&self, script: Script) {
        self.shared.scripts.lock().unwrap().push_back(script);
    }
}

fn chunk(delta: Value) -> String {
    format!(
        "data: {}\n\n",
        json!({"id": "fake", "object": "chat.completion.chunk", "created": 0, "model": "fake",
               "choices": [{"index": 0, "delta": delta, "finish_reason": null}]})
    )
}

fn sse(parts: Vec<String>, delay: Duration, stall: bool) -> Response {
    let stream = futures::stream::unfold(
        (parts.into_iter(), false),
        move |(mut it, done)| async move {
            if done {
                if stall {
                    futures::future::pending::<()>().await;
                }
                return None;
            }
            match it.next() {
                Some(p) => {
                    if !delay.is_zero() {
                        tokio::time::sleep(delay).await;
                    }
                    Some((
                        Ok::<_, std::convert::Infallible>(Bytes::from(p)),
                        (it, false),
                    ))
                }
                None if stall => Some((Ok(Bytes::new()), (it, true))),
                None => None,
            }
        },
    );
    Response::builder()
        .header("content-type", "text/event-stream")
        .body(Body::from_stream(futures::StreamExt::fuse(stream)))
        .unwrap()
}

/// An endless body: `item` again and again, `delay` apart.
fn endless(item: String, delay: Duration) -> Response {
    let stream = futures::stream::unfold(item, move |item| async move {
        if delay.is_zero() {
            tokio::task::yield_now().await;
        } else {
            tokio::time::sleep(delay).await;
        }
        Some((
            Ok::<_, std::convert::Infallible>(Bytes::from(item.clone())),
            item,
        ))
    });
    Response::builder()
        .header("content-type", "text/event-stream")
        .body(Body::from_stream(stream))
        .unwrap()
}

/// These parts, then a broken connection (the body ends with an error).
fn dying(parts: Vec<String>) -> Response {
    let items: Vec<Result<Bytes, std::io::Error>> = parts
        .into_iter()
        .map(|p| Ok(Bytes::from(p)))
        .chain([Err(std::io::Error::other("the model died"))])
        .collect();
    let stream = futures::StreamExt::then(futures::stream::iter(items), |item| async move {
        tokio::time::sleep(Duration::from_millis(20)).await;
        item
    });
    Response::builder()
        .header("content-type", "text/event-stream")
        .body(Body::from_stream(stream))
        .unwrap()
}

fn text_chunks(pieces: &[String]) -> Vec<String> {
    pieces
        .iter()
        .map(|p| chunk(json!({"content": p})))
        .collect()
}

async fn answer(State(shared): State<Shared>, Json(body): Json<Value>) -> Response {
    let last_user = body["messages"]
        .as_array()
        .and_then(|m| m.iter().rev().find(|m| m["role"] == "user"))
        .and_then(|m| m["content"].as_str())
        .unwrap_or_default()
        .to_string();
    let last_tool = body["messages"]
        .as_array()
        .and_then(|m| m.iter().rev().find(|m| m["role"] == "tool"))
        .and_then(|m| m["content"].as_str())
        .unwrap_or_default()
        .to_string();
    shared.requests.lock().unwrap().push(body);
    let script = shared
        .scripts
        .lock()
        .unwrap()
        .pop_front()
        .unwrap_or_else(|| Script::text(&["(no script left)"]));
    let done = "data: [DONE]\n\n".to_string();
    match script {
        Script::Text(pieces) => {
            let mut parts: Vec<String> = pieces
                .iter()
                .map(|p| chunk(json!({"content": p})))
                .collect();
            parts.push(done);
            sse(parts, Duration::ZERO, false)
        }
        Script::Slow(pieces) => {
            let mut parts: Vec<String> = pieces
                .iter()
                .map(|p| chunk(json!({"content": p})))
                .collect();
            parts.push(done);
            sse(parts, Duration::from_millis(200), false)
        }
        Script::ToolCall {
            name,
            argument_pieces,
        } => {
            let mut parts = vec![chunk(
                json!({"tool_calls": [{"index": 0, "id": "call_1", "type": "function", "function": {"name": name, "arguments": ""}}]}),
            )];
            for piece in argument_pieces {
                parts.push(chunk(
                    json!({"tool_calls": [{"index": 0, "function": {"arguments": piece}}]}),
                ));
            }
            parts.push(done);
            sse(parts, Duration::ZERO, false)
        }
        Script::ToolCalls(calls) => {
            let mut parts = Vec::new();
            for (index, (id, name, arguments)) in calls.into_iter().enumerate() {
                parts.push(chunk(
                    json!({"tool_calls": [{"index": index, "id": id, "type": "function", "function": {"name": name, "arguments": ""}}]}),
                ));
                parts.push(chunk(
                    json!({"tool_calls": [{"index": index, "function": {"arguments": arguments}}]}),
                ));
            }
            parts.push(done);
            sse(parts, Duration::ZERO, false)
        }
        Script::EchoTool => sse(
            vec![
                chunk(json!({"content": format!("tool said: {last_tool}")})),
                done,
            ],
            Duration::ZERO,
            false,
        ),
        Script::Status(code) => (
            StatusCode::from_u16(code).unwrap(),
            Json(json!({"error": {"message": format!("fake error {code}"), "type": "fake"}})),
        )
            .into_response(),
        Script::Stall => sse(
            vec![chunk(json!({"content": "partial "}))],
            Duration::ZERO,
            true,
        ),
        Script::Malformed => sse(
            vec!["data: {not json\n\n".to_string()],
            Duration::ZERO,
            false,
        ),
        Script::ErrorEvent(message) => sse(
            vec![format!(
                "data: {}\n\n",
                json!({"error": {"message": message, "type": "server_error"}})
            )],
            Duration::ZERO,
            false,
        ),
        Script::Echo => sse(
            vec![
                chunk(json!({"content": format!("echo: {last_user}")})),
                done,
            ],
            Duration::ZERO,
            false,
        ),
        Script::Endless { delay_ms } => endless(
            chunk(json!({"content": "la "})),
            Duration::from_millis(delay_ms),
        ),
        Script::DieAfter(pieces) => dying(text_chunks(&pieces)),
        Script::CutAfter(pieces) => sse(text_chunks(&pieces), Duration::ZERO, false),
        Script::CutInsideEvent(pieces) => {
            let mut parts = text_chunks(&pieces);
            parts.push("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"ha".into());
            sse(parts, Duration::ZERO, false)
        }
        Script::FinishedWithoutDone(pieces) => {
            let mut parts = text_chunks(&pieces);
            parts.push(format!(
                "data: {}\n\n",
                json!({"id": "fake", "object": "chat.completion.chunk", "created": 0, "model": "fake",
                       "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
            ));
            sse(parts, Duration::ZERO, false)
        }
        Script::MalformedAfter(pieces) => {
            let mut parts = text_chunks(&pieces);
            parts.push("data: {not json\n\n".to_string());
            sse(parts, Duration::ZERO, false)
        }
        Script::WithUsage(pieces, prompt, completion) => {
            let mut parts = text_chunks(&pieces);
            parts.push(format!(
                "data: {}\n\n",
                json!({"id": "fake", "object": "chat.completion.chunk", "created": 0, "model": "fake",
                       "choices": [], "usage": {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}})
            ));
            parts.push(done);
            sse(parts, Duration::ZERO, false)
        }
        Script::Held(gate) => {
            let head = chunk(json!({"content": "held "}));
            let stream = futures::stream::unfold(0, move |step| {
                let (gate, head) = (gate.clone(), head.clone());
                async move {
                    let bytes = match step {
                        0 => head,
                        1 => {
                            gate.notified().await;
                            "data: [DONE]\n\n".to_string()
                        }
                        _ => return None,
                    };
                    Some((
                        Ok::<_, std::convert::Infallible>(Bytes::from(bytes)),
                        step + 1,
                    ))
                }
            });
            Response::builder()
                .header("content-type", "text/event-stream")
                .body(Body::from_stream(stream))
                .unwrap()
        }
        Script::EndlessEvent => {
            let head = futures::stream::once(async {
                Ok::<_, std::convert::Infallible>(Bytes::from_static(
                    b"data: {\"choices\":[{\"delta\":{\"content\":\"",
                ))
            });
            let tail = futures::stream::unfold((), |()| async {
                tokio::task::yield_now().await;
                Some((Ok(Bytes::from("x".repeat(4096))), ()))
            });
            Response::builder()
                .header("content-type", "text/event-stream")
                .body(Body::from_stream(futures::StreamExt::chain(head, tail)))
                .unwrap()
        }
    }
}

/// The app on `engine` answering through `fake` (a model call times out after 1 s), or `None`
/// when that engine is not available here.
pub async fn app_with_llm(engine: Engine, fake: &FakeLlm) -> Option<TestApp> {
    let url = fake.base_url.clone();
    spawn_app_on(engine, move |v| {
        v.insert("MARUNTIME_LLM_BASE_URL".into(), url);
        v.insert("MARUNTIME_LLM_MODEL".into(), "fake-model".into());
        v.insert("MARUNTIME_LLM_TIMEOUT_SECS".into(), "1".into());
    })
    .await
}

/// A fresh fake model and the app on `engine` answering through it, with `settings` on top of
/// [`app_with_llm`]'s: the setup of `on_both_engines!` for tests of the agent.
pub async fn app_and_fake_llm(
    engine: Engine,
    settings: &[(&str, &str)],
) -> Option<(TestApp, FakeLlm)> {
    let fake = FakeLlm::start(vec![]).await;
    let url = fake.base_url.clone();
    let settings: Vec<(String, String)> = settings
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let app = spawn_app_on(engine, move |v| {
        v.insert("MARUNTIME_LLM_BASE_URL".into(), url);
        v.insert("MARUNTIME_LLM_MODEL".into(), "fake-model".into());
        v.insert("MARUNTIME_LLM_TIMEOUT_SECS".into(), "1".into());
        v.extend(settings);
    })
    .await?;
    Some((app, fake))
}
