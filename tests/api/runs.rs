//! Agent runs a person can trust: one run per chat with a bounded queue, followed and stopped
//! from anywhere, bounded by limits, failures that keep what arrived, usage, regenerate.

use std::time::{Duration, Instant};

use reqwest::Client;
use serde_json::{json, Value};

use crate::agent::{ask, complete, key_client, messages_of, parse_sse};
use crate::fake_llm::{app_and_fake_llm, FakeLlm, Script};
use crate::helpers::*;

/// The app against a fake model whose calls time out after 2 s, with these settings on top.
async fn runs_app(engine: Engine, settings: &[(&str, &str)]) -> Option<(TestApp, FakeLlm)> {
    let mut all = vec![("MARUNTIME_LLM_TIMEOUT_SECS", "2")];
    all.extend_from_slice(settings);
    app_and_fake_llm(engine, &all).await
}

fn chat_of(response: &reqwest::Response) -> String {
    response.headers()["x-chat-id"]
        .to_str()
        .unwrap()
        .to_string()
}

/// Starts a chat through the gateway (answered at once) and returns its id.
async fn new_chat(app: &TestApp, fake: &FakeLlm, client: &Client) -> String {
    fake.push(Script::text(&["hello"]));
    let response = complete(app, client, ask("hi")).await;
    assert_eq!(response.status(), 200);
    chat_of(&response)
}

fn in_chat(chat: &str, content: &str) -> Value {
    json!({"model": "memory-agent", "chat_id": chat, "messages": [{"role": "user", "content": content}]})
}

fn data_of(message: &Value) -> Value {
    message["data"]
        .as_str()
        .map(|d| serde_json::from_str(d).unwrap())
        .unwrap_or(Value::Null)
}

/// Reads an SSE body until the server closes it, with a limit on the wait.
async fn read_all(response: reqwest::Response) -> String {
    tokio::time::timeout(Duration::from_secs(20), response.text())
        .await
        .expect("the stream ends")
        .unwrap()
}

on_both_engines! {
    setup = |engine| runs_app(engine, &[]);
    async fn concurrent_turns_in_one_chat_run_one_at_a_time_never_interleaved((app, fake)) {
        let (ann, _) = key_client(&app, "ann").await;
        let chat = new_chat(&app, &fake, &ann).await;
        for _ in 0..24 {
            fake.push(Script::Echo);
        }
        let sends = (0..24).map(|i| {
            let (app, ann, chat) = (&app, ann.clone(), chat.clone());
            async move {
                let response = complete(app, &ann, in_chat(&chat, &format!("question {i}"))).await;
                assert_eq!(response.status(), 200);
                let reply: Value = response.json().await.unwrap();
                let text = reply["choices"][0]["message"]["content"]
                    .as_str()
                    .unwrap()
                    .to_string();
                assert_eq!(
                    text,
                    format!("echo: question {i}"),
                    "each turn answers its own message"
                );
            }
        });
        futures::future::join_all(sends).await;
        let messages = messages_of(&app, &ann, &chat).await;
        assert_eq!(messages.len(), 2 + 48);
        // Question, its answer, question, its answer: never two questions in a row.
        for pair in messages[2..].chunks(2) {
            assert_eq!(pair[0]["role"], "user");
            assert_eq!(pair[1]["role"], "assistant");
            assert_eq!(
                pair[1]["content"].as_str().unwrap(),
                format!("echo: {}", pair[0]["content"].as_str().unwrap())
            );
        }
        // Every request the model got was made with the chat's history complete so far.
        let requests = fake.requests();
        for request in &requests[1..] {
            let sent = request["messages"].as_array().unwrap();
            let users = sent.iter().filter(|m| m["role"] == "user").count();
            let assistants = sent.iter().filter(|m| m["role"] == "assistant").count();
            assert_eq!(users, assistants + 1);
        }
        let verify = app.state.chats.documents().verify(None).await.unwrap();
        assert!(verify.is_empty(), "{verify:?}");
    }
}

on_both_engines! {
    setup = |engine| runs_app(engine, &[("MARUNTIME_QUEUE_PER_CHAT", "16")]);
    async fn the_queue_of_a_chat_is_bounded((app, fake)) {
        let (ann, _) = key_client(&app, "ann").await;
        let chat = new_chat(&app, &fake, &ann).await;
        // The running turn is held by the model until the queue has filled.
        let gate = std::sync::Arc::new(tokio::sync::Notify::new());
        fake.push(Script::Held(gate.clone()));
        let mut body = in_chat(&chat, "hold on");
        body["stream"] = json!(true);
        let held = complete(&app, &ann, body).await;
        assert_eq!(held.status(), 200);
        for _ in 0..16 {
            fake.push(Script::Echo);
        }
        let chat_id = uuid::Uuid::parse_str(&chat).unwrap();
        let sends: Vec<_> = (0..19)
            .map(|i| {
                let (url, ann, chat) = (app.url("/v1/chat/completions"), ann.clone(), chat.clone());
                tokio::spawn(async move {
                    let response = ann
                        .post(url)
                        .json(&in_chat(&chat, &format!("q{i}")))
                        .send()
                        .await
                        .unwrap();
                    let status = response.status().as_u16();
                    let retry = response.headers().get("retry-after").cloned();
                    let body: Value = response.json().await.unwrap();
                    (status, retry, body)
                })
            })
            .collect();
        // Sixteen wait; the other three are refused at once. Only then is the gate opened
        // (a request still on its way would otherwise find a place as the queue moves).
        let registry = app.state.agents.registry();
        for _ in 0..500 {
            let refused = sends.iter().filter(|s| s.is_finished()).count();
            if registry.waiting(chat_id) == 16 && refused == 3 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(registry.waiting(chat_id), 16);
        assert_eq!(sends.iter().filter(|s| s.is_finished()).count(), 3);
        gate.notify_one();
        assert_eq!(parse_sse(&read_all(held).await).0, "held ");
        let mut results = Vec::new();
        for send in sends {
            results.push(send.await.unwrap());
        }
        let refused: Vec<_> = results.iter().filter(|(s, ..)| *s == 429).collect();
        let answered = results.iter().filter(|(s, ..)| *s == 200).count();
        assert_eq!((answered, refused.len()), (16, 3), "{results:?}");
        for (_, retry, body) in refused {
            assert!(retry.is_some(), "Retry-After");
            assert_eq!(body["error"]["code"], "rate_limit_exceeded");
            assert!(body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("waiting"));
        }
        // Refused turns stored nothing: the first exchange, the held one, sixteen more.
        assert_eq!(messages_of(&app, &ann, &chat).await.len(), 2 + 2 + 32);
    }
}

on_both_engines! {
    setup = |engine| runs_app(engine, &[]);
    async fn a_run_is_followed_from_its_start_and_stopped_from_another_client((app, fake)) {
        let (ann, _) = key_client(&app, "ann").await;
        // The same user in a browser: a second client with a session cookie.
        let browser = app.other_client();
        assert_eq!(
            app.login_with(&browser, "ann", STRONG_PASSWORD)
                .await
                .status(),
            200
        );
        let (bob, _) = key_client(&app, "bob").await;
        let chat = new_chat(&app, &fake, &ann).await;
        assert_eq!(
            browser
                .get(app.url(&format!("/v1/chats/{chat}/run")))
                .send()
                .await
                .unwrap()
                .status(),
            204,
            "nothing runs"
        );
        fake.push(Script::Slow((0..40).map(|i| format!("w{i} ")).collect()));
        let mut body = in_chat(&chat, "tell me a long story");
        body["stream"] = json!(true);
        let started = complete(&app, &ann, body).await;
        assert_eq!(started.status(), 200);
        tokio::time::sleep(Duration::from_millis(700)).await;

        // The follower joins late and still sees the run from its start.
        let follow = browser
            .get(app.url(&format!("/v1/chats/{chat}/run")))
            .send()
            .await
            .unwrap();
        assert_eq!(follow.status(), 200);
        assert_eq!(follow.headers()["content-type"], "text/event-stream");
        let follower = tokio::spawn(read_all(follow));
        tokio::time::sleep(Duration::from_millis(300)).await;
        // Someone else cannot stop it; the owner can, from anywhere.
        let foreign = bob
            .post(app.url(&format!("/v1/chats/{chat}/stop")))
            .send()
            .await
            .unwrap();
        assert_eq!(foreign.status(), 404);
        let stop: Value = browser
            .post(app.url(&format!("/v1/chats/{chat}/stop")))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(stop["stopped"], true);

        let (streamed, chunks, done) = parse_sse(&read_all(started).await);
        assert!(done);
        assert_eq!(
            chunks.last().unwrap()["choices"][0]["finish_reason"],
            "stop"
        );
        let events: Vec<Value> = follower
            .await
            .unwrap()
            .split("\n\n")
            .filter_map(|e| e.strip_prefix("data: "))
            .map(|d| serde_json::from_str(d).unwrap())
            .collect();
        assert_eq!(events[0]["type"], "started");
        assert_eq!(events[0]["question"]["content"], "tell me a long story");
        assert_eq!(events.last().unwrap()["type"], "stopped");
        let followed: String = events
            .iter()
            .filter(|e| e["type"] == "delta")
            .map(|e| e["text"].as_str().unwrap())
            .collect();
        assert!(followed.starts_with("w0 w1 "), "from the start: {followed}");
        assert_eq!(followed, streamed);
        let messages = messages_of(&app, &ann, &chat).await;
        let reply = messages.last().unwrap();
        assert_eq!(reply["content"].as_str().unwrap(), streamed);
        assert_eq!(data_of(reply)["stopped"], true);
        assert!(!streamed.contains("w39"));
    }
}

on_both_engines! {
    setup = |engine| runs_app(engine, &[("MARUNTIME_MAX_REPLY_TOKENS", "50")]);
    async fn a_model_that_never_stops_is_cut_and_the_reply_kept((app, fake)) {
        let (ann, _) = key_client(&app, "ann").await;
        fake.push(Script::Endless { delay_ms: 0 });
        let began = Instant::now();
        let response = complete(&app, &ann, ask("sing forever")).await;
        assert_eq!(response.status(), 200);
        let chat = chat_of(&response);
        let reply: Value = response.json().await.unwrap();
        assert!(began.elapsed() < Duration::from_secs(10));
        assert_eq!(reply["choices"][0]["finish_reason"], "length");
        let text = reply["choices"][0]["message"]["content"].as_str().unwrap();
        // 50 tokens at most 6 characters each.
        assert_eq!(text.chars().count(), 300);
        assert_eq!(fake.requests()[0]["max_tokens"], 50);
        assert_eq!(fake.requests()[0]["stream_options"]["include_usage"], true);
        let messages = messages_of(&app, &ann, &chat).await;
        assert_eq!(messages.last().unwrap()["content"], text);
        assert_eq!(data_of(messages.last().unwrap())["cut"], true);
        // The chat stays usable.
        fake.push(Script::text(&["fine"]));
        let next: Value = complete(&app, &ann, in_chat(&chat, "and now?"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(next["choices"][0]["message"]["content"], "fine");
    }
}

on_both_engines! {
    setup = |engine| runs_app(engine, &[
            ("MARUNTIME_RUN_TIMEOUT_SECS", "2"),
            ("MARUNTIME_LLM_MAX_EVENT_BYTES", "65536"),
        ]);
    async fn a_run_is_cut_at_its_time_limit_and_one_endless_event_is_refused((app, fake)) {
        let (ann, _) = key_client(&app, "ann").await;
        fake.push(Script::Endless { delay_ms: 50 });
        let began = Instant::now();
        let mut body = ask("take your time");
        body["stream"] = json!(true);
        let response = complete(&app, &ann, body).await;
        let chat = chat_of(&response);
        let (text, chunks, done) = parse_sse(&read_all(response).await);
        let took = began.elapsed();
        assert!(
            took >= Duration::from_secs(2) && took < Duration::from_secs(6),
            "{took:?}"
        );
        assert!(done && text.starts_with("la la"));
        assert_eq!(
            chunks.last().unwrap()["choices"][0]["finish_reason"],
            "length"
        );
        assert_eq!(
            messages_of(&app, &ann, &chat).await.last().unwrap()["content"],
            text
        );

        fake.push(Script::EndlessEvent);
        let response = complete(&app, &ann, ask("one huge event")).await;
        assert_eq!(response.status(), 502);
        let error: Value = response.json().await.unwrap();
        assert!(
            error["error"]["message"]
                .as_str()
                .unwrap()
                .contains("MARUNTIME_LLM_MAX_EVENT_BYTES"),
            "{error}"
        );
    }
}

on_both_engines! {
    setup = |engine| runs_app(engine, &[]);
    /// A body that ends with neither a `finish_reason` nor `[DONE]` was cut off: the gateway
    /// answers 502 and the partial text is kept, marked failed. A `finish_reason` alone is an end.
    async fn a_stream_cut_off_without_an_end_is_a_failure_not_an_answer((app, fake)) {
        let (ann, _) = key_client(&app, "ann").await;
        fake.push(Script::CutAfter(vec![
            "one ".into(),
            "two ".into(),
            "three".into(),
        ]));
        let response = complete(&app, &ann, ask("count to ten")).await;
        assert_eq!(response.status(), 502);
        let chat = chat_of(&response);
        let error: Value = response.json().await.unwrap();
        assert_eq!(error["error"]["type"], "server_error", "{error}");
        assert!(
            error["error"]["message"]
                .as_str()
                .unwrap()
                .contains("broke off"),
            "{error}"
        );
        let messages = messages_of(&app, &ann, &chat).await;
        assert_eq!(messages.len(), 2);
        assert_eq!(messages[1]["content"], "one two three");
        assert!(data_of(&messages[1])["failed"]
            .as_str()
            .unwrap()
            .contains("broke off"));

        // Cut inside an event: the half event is dropped, the run fails the same way.
        fake.push(Script::CutInsideEvent(vec!["half ".into()]));
        let response = complete(&app, &ann, in_chat(&chat, "again")).await;
        assert_eq!(response.status(), 502);
        let messages = messages_of(&app, &ann, &chat).await;
        assert_eq!(messages[3]["content"], "half ");
        assert!(data_of(&messages[3])["failed"].is_string());

        // Streamed to the client: an error event, then the end of the SSE.
        fake.push(Script::CutAfter(vec!["streamed ".into()]));
        let mut body = in_chat(&chat, "stream it");
        body["stream"] = json!(true);
        let raw = read_all(complete(&app, &ann, body).await).await;
        assert!(raw.contains("broke off"), "{raw}");
        assert!(raw.trim_end().ends_with("data: [DONE]"));

        // A finish_reason without [DONE] is a whole answer.
        fake.push(Script::FinishedWithoutDone(vec![
            "all ".into(),
            "done".into(),
        ]));
        let response = complete(&app, &ann, in_chat(&chat, "finish")).await;
        assert_eq!(response.status(), 200);
        let reply: Value = response.json().await.unwrap();
        assert_eq!(reply["choices"][0]["message"]["content"], "all done");
        assert_eq!(reply["choices"][0]["finish_reason"], "stop");
        let messages = messages_of(&app, &ann, &chat).await;
        let last = messages.last().unwrap();
        assert_eq!(last["content"], "all done");
        assert!(data_of(last)["failed"].is_null(), "{last}");
    }
}

on_both_engines! {
    setup = |engine| runs_app(engine, &[]);
    async fn a_model_that_fails_midway_leaves_the_partial_reply_and_retry_replaces_it((app, fake)) {
        let (ann, _) = key_client(&app, "ann").await;
        fake.push(Script::DieAfter(vec!["partial ".into(), "answer".into()]));
        let response = complete(&app, &ann, ask("explain queues")).await;
        assert_eq!(response.status(), 502);
        let chat = chat_of(&response);
        let error: Value = response.json().await.unwrap();
        assert_eq!(error["error"]["type"], "server_error");
        let messages = messages_of(&app, &ann, &chat).await;
        assert_eq!(messages.len(), 2);
        assert_eq!(messages[1]["content"], "partial answer");
        assert!(data_of(&messages[1])["failed"]
            .as_str()
            .unwrap()
            .contains("could not be reached"));

        // A stream that breaks with malformed JSON after text: an error event before the end.
        fake.push(Script::MalformedAfter(vec!["half ".into()]));
        let mut body = in_chat(&chat, "again, streamed");
        body["stream"] = json!(true);
        let raw = read_all(complete(&app, &ann, body).await).await;
        assert!(raw.contains("\"error\""), "{raw}");
        assert!(raw.trim_end().ends_with("data: [DONE]"));
        let messages = messages_of(&app, &ann, &chat).await;
        assert_eq!(messages.len(), 4);
        assert_eq!(messages[3]["content"], "half ");

        // Regenerate replaces the failed reply; the question is not repeated.
        fake.push(Script::text(&["a whole answer"]));
        let regenerated = ann
            .post(app.url(&format!("/v1/chats/{chat}/regenerate")))
            .send()
            .await
            .unwrap();
        assert_eq!(regenerated.status(), 202);
        let run: Value = regenerated.json().await.unwrap();
        assert_eq!(run["message"]["content"], "again, streamed");
        // The failed reply is gone at once; the new one follows.
        let messages = settled(&app, &ann, &chat, 4).await;
        let contents: Vec<&str> = messages
            .iter()
            .map(|m| m["content"].as_str().unwrap())
            .collect();
        assert_eq!(
            contents,
            [
                "explain queues",
                "partial answer",
                "again, streamed",
                "a whole answer"
            ]
        );
        let verify = app.state.chats.documents().verify(None).await.unwrap();
        assert!(verify.is_empty(), "{verify:?}");
        let hits: Value = ann
            .get(app.url("/v1/chats/search?q=half"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(
            hits["data"].as_array().unwrap().len(),
            0,
            "the replaced reply left the index"
        );
    }
}

on_both_engines! {
    setup = |engine| runs_app(engine, &[]);
    async fn usage_is_reported_streamed_and_not_and_summed_per_day((app, fake)) {
        let (ann, _) = key_client(&app, "ann").await;
        fake.push(Script::WithUsage(vec!["counted".into()], 11, 7));
        let reply: Value = complete(&app, &ann, ask("count me"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(
            reply["usage"],
            json!({"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18})
        );

        fake.push(Script::WithUsage(vec!["streamed".into()], 20, 5));
        let mut body = ask("stream and count");
        body["stream"] = json!(true);
        body["stream_options"] = json!({"include_usage": true});
        let (_, chunks, done) = parse_sse(&read_all(complete(&app, &ann, body).await).await);
        assert!(done);
        let last = chunks.last().unwrap();
        assert_eq!(last["choices"], json!([]));
        assert_eq!(last["usage"]["total_tokens"], 25);
        assert_eq!(
            chunks[chunks.len() - 2]["choices"][0]["finish_reason"],
            "stop"
        );

        // Without include_usage, no usage chunk; a model without usage gets an estimate.
        fake.push(Script::text(&["no figures here"]));
        let mut body = ask("estimate me");
        body["stream"] = json!(true);
        let (_, chunks, _) = parse_sse(&read_all(complete(&app, &ann, body).await).await);
        assert!(chunks.iter().all(|c| c.get("usage").is_none()));
        fake.push(Script::text(&["no figures here"]));
        let reply: Value = complete(&app, &ann, ask("estimate me"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(reply["usage"]["estimated"], true);
        assert!(reply["usage"]["prompt_tokens"].as_u64().unwrap() > 0);
        assert_eq!(reply["usage"]["completion_tokens"], 4); // 15 characters

        let usage: Value = ann
            .get(app.url("/v1/usage?days=7"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let today = &usage["data"][0];
        assert_eq!(
            today["date"],
            chrono::Utc::now().format("%Y-%m-%d").to_string()
        );
        // Runs that straddled midnight UTC fall on two days: then only the day is checked.
        let days = usage["data"].as_array().unwrap().len();
        assert!(days <= 2);
        if days == 2 {
            return;
        }
        assert_eq!(today["runs"], 4);
        assert_eq!(today["estimated_runs"], 2);
        assert!(today["total_tokens"].as_u64().unwrap() > 18 + 25);
        // Another user's usage is theirs.
        let (bob, _) = key_client(&app, "bob").await;
        let theirs: Value = bob
            .get(app.url("/v1/usage"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(theirs["data"], json!([]));
        assert_eq!(
            bob.get(app.url("/v1/usage?days=0"))
                .send()
                .await
                .unwrap()
                .status(),
            422
        );
    }
}

on_both_engines! {
    setup = |engine| runs_app(engine, &[("MARUNTIME_RUNS_PER_USER", "1")]);
    async fn runs_at_once_per_user_are_limited((app, fake)) {
        let (ann, _) = key_client(&app, "ann").await;
        fake.push(Script::Slow(vec!["slow ".into(); 10]));
        let mut body = ask("first, slowly");
        body["stream"] = json!(true);
        let first = complete(&app, &ann, body).await;
        let chat = chat_of(&first);
        let second = complete(&app, &ann, ask("a second chat at once")).await;
        assert_eq!(second.status(), 429);
        assert!(second.headers().get("retry-after").is_some());
        let error: Value = second.json().await.unwrap();
        assert_eq!(error["error"]["code"], "rate_limit_exceeded");
        // Someone else is not held up.
        let (bob, _) = key_client(&app, "bob").await;
        fake.push(Script::text(&["hi bob"]));
        assert_eq!(complete(&app, &bob, ask("hello")).await.status(), 200);
        // When the first run is stopped, Ann may run again.
        ann.post(app.url(&format!("/v1/chats/{chat}/stop")))
            .send()
            .await
            .unwrap();
        read_all(first).await;
        fake.push(Script::text(&["now"]));
        assert_eq!(complete(&app, &ann, ask("and now")).await.status(), 200);
    }
}

on_both_engines! {
    setup = |engine| runs_app(engine, &[("MARUNTIME_GATEWAY_MAX_MESSAGES", "100")]);
    async fn a_gateway_request_has_a_message_limit_and_history_is_stored_in_one_go((app, fake)) {
        let (ann, _) = key_client(&app, "ann").await;
        let history = |n: usize| -> Vec<Value> {
            (0..n)
                .map(|i| json!({"role": if i % 2 == 0 { "user" } else { "assistant" }, "content": format!("m{i}")}))
                .collect()
        };
        let response = complete(&app, &ann, json!({"model": "memory-agent", "messages": history(101)})).await;
        assert_eq!(response.status(), 413);
        let error: Value = response.json().await.unwrap();
        assert!(error["error"]["message"].as_str().unwrap().contains("100"));
        assert!(response_chats(&app, &ann).await.is_empty(), "nothing stored");

        // A body over the 1 MiB limit: 413 in OpenAI's error shape, which its SDKs read.
        let huge = json!({"model": "memory-agent", "messages": [{"role": "user", "content": "x".repeat(1024 * 1024)}]});
        let response = complete(&app, &ann, huge).await;
        assert_eq!(response.status(), 413);
        let error: Value = response.json().await.unwrap();
        assert_eq!(error["error"]["type"], "invalid_request_error", "{error}");
        assert_eq!(error["error"]["code"], "request_too_large", "{error}");
        assert!(error["error"]["message"].as_str().unwrap().contains("1 MiB"), "{error}");

        fake.push(Script::text(&["read it all"]));
        let response = complete(&app, &ann, json!({"model": "memory-agent", "messages": history(99)})).await;
        assert_eq!(response.status(), 200);
        let chat = chat_of(&response);
        let messages = messages_of(&app, &ann, &chat).await;
        assert_eq!(messages.len(), 100);
        assert_eq!(messages[98]["content"], "m98");
        let verify = app.state.chats.documents().verify(None).await.unwrap();
        assert!(verify.is_empty(), "{verify:?}");
    }
}

async fn response_chats(app: &TestApp, client: &Client) -> Vec<Value> {
    let page: Value = client
        .get(app.url("/v1/chats"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    page["data"].as_array().unwrap().clone()
}

/// Waits until nothing runs in the chat (its reply and document are written by then), and
/// checks that it has `n` messages, the last an answer.
async fn settled(app: &TestApp, client: &Client, chat: &str, n: usize) -> Vec<Value> {
    for _ in 0..200 {
        let run = client
            .get(app.url(&format!("/v1/chats/{chat}/run")))
            .send()
            .await
            .unwrap();
        if run.status() == 204 {
            let messages = messages_of(app, client, chat).await;
            assert_eq!(messages.len(), n);
            assert_eq!(messages[n - 1]["role"], "assistant");
            return messages;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the chat's run did not end");
}

on_both_engines! {
    setup = |engine| runs_app(engine, &[]);
    async fn the_latest_message_can_be_edited_and_the_latest_answer_regenerated((app, fake)) {
        let (ann, _) = key_client(&app, "ann").await;
        fake.push(Script::text(&["first answer"]));
        let response = complete(&app, &ann, ask("tell me about pelicans")).await;
        let chat = chat_of(&response);
        fake.push(Script::text(&["second answer"]));
        complete(&app, &ann, in_chat(&chat, "and about herons")).await;
        let messages = messages_of(&app, &ann, &chat).await;
        let (first, latest) = (
            messages[0]["id"].as_str().unwrap(),
            messages[2]["id"].as_str().unwrap(),
        );

        let edit = |id: &str, content: &str| {
            ann.patch(app.url(&format!("/v1/chats/{chat}/messages/{id}")))
                .json(&json!({ "content": content }))
                .send()
        };
        assert_eq!(edit(first, "about storks").await.unwrap().status(), 409);
        assert_eq!(edit(latest, "   ").await.unwrap().status(), 422);
        let (bob, _) = key_client(&app, "bob").await;
        let foreign = bob
            .patch(app.url(&format!("/v1/chats/{chat}/messages/{latest}")))
            .json(&json!({"content": "mine now"}))
            .send()
            .await
            .unwrap();
        assert_eq!(foreign.status(), 404);

        fake.push(Script::Echo);
        let edited = edit(latest, "and about flamingos").await.unwrap();
        assert_eq!(edited.status(), 202);
        let messages = settled(&app, &ann, &chat, 4).await;
        let contents: Vec<&str> = messages
            .iter()
            .map(|m| m["content"].as_str().unwrap())
            .collect();
        assert_eq!(
            contents,
            [
                "tell me about pelicans",
                "first answer",
                "and about flamingos",
                "echo: and about flamingos"
            ]
        );

        fake.push(Script::text(&["a fresh take on flamingos"]));
        let regenerated = ann
            .post(app.url(&format!("/v1/chats/{chat}/regenerate")))
            .send()
            .await
            .unwrap();
        assert_eq!(regenerated.status(), 202);
        // The old answer is gone at once; the new one follows.
        let messages = settled(&app, &ann, &chat, 4).await;
        assert_eq!(messages[3]["content"], "a fresh take on flamingos");

        // The document and the index follow.
        let verify = app.state.chats.documents().verify(None).await.unwrap();
        assert!(verify.is_empty(), "{verify:?}");
        let document = ann
            .get(app.url(&format!("/v1/chats/{chat}/document")))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(document.contains("flamingos") && !document.contains("herons"));
        for (query, hits) in [("herons", 0), ("flamingos", 2)] {
            let found: Value = ann
                .get(app.url(&format!("/v1/chats/search?q={query}")))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            assert_eq!(found["data"].as_array().unwrap().len(), hits, "{query}");
        }
    }
}

on_both_engines! {
    setup = |engine| runs_app(engine, &[]);
    async fn deleting_a_chat_stops_its_run_and_what_was_spent_stays_counted((app, fake)) {
        let (ann, _) = key_client(&app, "ann").await;
        fake.push(Script::Slow((0..50).map(|i| format!("w{i} ")).collect()));
        let mut body = ask("a long story");
        body["stream"] = json!(true);
        let began = Instant::now();
        let response = complete(&app, &ann, body).await;
        let chat = chat_of(&response);
        tokio::time::sleep(Duration::from_millis(500)).await;
        let deleted = ann
            .delete(app.url(&format!("/v1/chats/{chat}")))
            .send()
            .await
            .unwrap();
        assert_eq!(deleted.status(), 204);
        let raw = read_all(response).await;
        // Stopped at once (50 words would take 10 s); the reply had no chat to go to.
        assert!(began.elapsed() < Duration::from_secs(5));
        assert!(raw.contains("\"error\""), "{raw}");
        let usage: Value = ann
            .get(app.url("/v1/usage"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(usage["data"][0]["runs"], 1, "{usage}");
    }
}

on_both_engines! {
    setup = |engine| {
        runs_app(
            engine,
            &[
                ("MARUNTIME_USER_DAILY_TOKENS", "600"),
                ("MARUNTIME_RUNS_PER_USER", "32"),
            ],
        )
    };
    /// Twenty requests at once against a small daily quota: each admitted run reserves what it
    /// may spend, so the burst spends at most the limit and one run's worth, and the rest are
    /// refused with 429 `insufficient_quota` before the model is called.
    async fn a_burst_against_a_small_quota_spends_at_most_the_limit_and_one_run((app, fake)) {
        let (ann, _) = key_client(&app, "ann").await;
        for _ in 0..20 {
            fake.push(Script::WithUsage(vec!["an answer".into()], 100, 200));
        }
        let sends = (0..20).map(|i| complete(&app, &ann, ask(&format!("question {i}"))));
        let responses = futures::future::join_all(sends).await;
        let mut answered = 0;
        for response in responses {
            match response.status().as_u16() {
                200 => answered += 1,
                429 => {
                    let body: Value = response.json().await.unwrap();
                    assert_eq!(body["error"]["code"], "insufficient_quota", "{body}");
                }
                other => panic!("unexpected status {other}"),
            }
        }
        let usage: Value = app.get(&ann, "/v1/usage").await.json().await.unwrap();
        let spent = usage["data"][0]["total_tokens"].as_u64().unwrap();
        println!(
            "a burst of 20 against 600 tokens a day: {answered} answered, {spent} tokens spent"
        );
        assert!(answered >= 1, "the first run is admitted");
        assert!(spent <= 600 + 300, "spent {spent} in {answered} runs");
        assert_eq!(spent, 300 * answered, "{usage}");
        assert_eq!(
            fake.requests().len() as u64,
            answered,
            "refused runs never reach the model"
        );

        // Once the runs ended their reservations are gone: with tokens left, a run starts.
        let left = 600u64.saturating_sub(spent);
        let next = complete(&app, &ann, ask("one more")).await.status();
        assert_eq!(next == 200, left > 0, "{spent} spent, then {next}");
    }
}
