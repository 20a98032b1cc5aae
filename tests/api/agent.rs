//! The agent runtime and the OpenAI-compatible gateway, against a scripted fake model.

use reqwest::Client;
use serde_json::{json, Value};

use crate::fake_llm::{app_and_fake_llm, app_with_llm, FakeLlm, Script};
use crate::helpers::*;

// The gateway's request helpers live with the others; the agent's tests are their first users.
pub(crate) use crate::helpers::{ask, complete, key_client};

/// The answer text of a non-streamed completion.
async fn reply_text(app: &TestApp, client: &Client, body: Value) -> String {
    let reply: Value = complete(app, client, body).await.json().await.unwrap();
    reply["choices"][0]["message"]["content"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

pub(crate) async fn messages_of(app: &TestApp, client: &Client, chat: &str) -> Vec<Value> {
    let page: Value = client
        .get(app.url(&format!("/v1/chats/{chat}/messages?limit=500")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    page["data"].as_array().unwrap().clone()
}

/// The content deltas and the final line of an SSE body.
pub(crate) fn parse_sse(body: &str) -> (String, Vec<Value>, bool) {
    let mut text = String::new();
    let mut chunks = Vec::new();
    let mut done = false;
    for data in body.split("\n\n").filter_map(|e| e.strip_prefix("data: ")) {
        if data == "[DONE]" {
            done = true;
            continue;
        }
        let v: Value = serde_json::from_str(data).expect("every event is JSON");
        if let Some(t) = v["choices"][0]["delta"]["content"].as_str() {
            text.push_str(t);
        }
        chunks.push(v);
    }
    (text, chunks, done)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gateway_requires_authentication_in_openai_shape() {
    let fake = FakeLlm::start(vec![]).await;
    let app = app_with_llm(Engine::Sqlite, &fake).await.unwrap();
    for response in [
        complete(&app, &Client::new(), ask("hi")).await,
        Client::new()
            .get(app.url("/v1/models"))
            .send()
            .await
            .unwrap(),
        Client::new()
            .post(app.url("/v1/chat/completions"))
            .bearer_auth("mrt_not-a-key")
            .json(&ask("hi"))
            .send()
            .await
            .unwrap(),
    ] {
        assert_eq!(response.status(), 401);
        let body: Value = response.json().await.unwrap();
        assert!(body["error"]["message"].is_string());
        assert_eq!(body["error"]["type"], "invalid_request_error");
        assert_eq!(body["error"]["code"], "invalid_api_key");
    }
    assert!(fake.requests().is_empty(), "nothing reached the model");
}

on_both_engines! {
    setup = |engine| app_and_fake_llm(engine, &[]);
    async fn a_completion_answers_in_openai_format_and_appears_as_a_chat((app, fake)) {
        fake.push(Script::text(&["Hello", ", ", "Ann!"]));
        let (client, _) = key_client(&app, "ann").await;
        let models: Value = client
            .get(app.url("/v1/models"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(models["object"], "list");
        assert_eq!(models["data"][0]["id"], "memory-agent");
        assert_eq!(models["data"][0]["object"], "model");

        let mut body = ask("Say hello");
        body["temperature"] = json!(0.2);
        body["some_future_field"] = json!({"x": 1});
        let response = complete(&app, &client, body).await;
        assert_eq!(response.status(), 200);
        let chat_id = response.headers()["x-chat-id"]
            .to_str()
            .unwrap()
            .to_string();
        let reply: Value = response.json().await.unwrap();
        assert_eq!(reply["object"], "chat.completion");
        assert_eq!(reply["choices"][0]["message"]["role"], "assistant");
        assert_eq!(reply["choices"][0]["message"]["content"], "Hello, Ann!");
        assert_eq!(reply["choices"][0]["finish_reason"], "stop");
        assert!(reply["created"].as_i64().unwrap() > 1_700_000_000);

        // The model saw the system prompt with the profile, then the question.
        let sent = &fake.requests()[0];
        assert_eq!(sent["model"], "fake-model");
        assert_eq!(sent["stream"], true);
        assert_eq!(sent["messages"][0]["role"], "system");
        assert!(sent["messages"][0]["content"]
            .as_str()
            .unwrap()
            .contains("ann name"));
        assert!(sent["messages"][0]["content"]
            .as_str()
            .unwrap()
            .contains("# User Profile"));
        assert_eq!(
            sent["messages"][1],
            json!({"role": "user", "content": "Say hello"})
        );
        assert!(sent["tools"].as_array().unwrap().len() == 2);

        // The exchange is a chat of this user, as the web UI lists it.
        let chats: Value = client
            .get(app.url("/v1/chats"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(chats["data"][0]["id"], chat_id);
        let stored = messages_of(&app, &client, &chat_id).await;
        let pairs: Vec<_> = stored
            .iter()
            .map(|m| {
                (
                    m["role"].as_str().unwrap().to_string(),
                    m["content"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        assert_eq!(
            pairs,
            [
                ("user".to_string(), "Say hello".to_string()),
                ("assistant".to_string(), "Hello, Ann!".to_string())
            ]
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streaming_sends_chunks_and_done() {
    let fake = FakeLlm::start(vec![Script::text(&["Привет", " 👋", " world"])]).await;
    let app = app_with_llm(Engine::Sqlite, &fake).await.unwrap();
    let (client, _) = key_client(&app, "ann").await;
    let mut body = ask("stream please");
    body["stream"] = json!(true);
    let response = complete(&app, &client, body).await;
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/event-stream"));
    assert!(response.headers().contains_key("x-chat-id"));
    let text = response.text().await.unwrap();
    let (content, chunks, done) = parse_sse(&text);
    assert_eq!(content, "Привет 👋 world");
    assert!(done, "ends with data: [DONE]");
    assert!(chunks
        .iter()
        .all(|c| c["object"] == "chat.completion.chunk"));
    assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
    assert_eq!(
        chunks.last().unwrap()["choices"][0]["finish_reason"],
        "stop"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_get_openai_errors() {
    let fake = FakeLlm::start(vec![]).await;
    let app = app_with_llm(Engine::Sqlite, &fake).await.unwrap();
    let (client, _) = key_client(&app, "ann").await;
    let unknown = complete(
        &app,
        &client,
        json!({"model": "gpt-9", "messages": [{"role": "user", "content": "hi"}]}),
    )
    .await;
    assert_eq!(unknown.status(), 404);
    assert_eq!(
        unknown.json::<Value>().await.unwrap()["error"]["code"],
        "model_not_found"
    );
    for bad in [
        json!({"model": "memory-agent", "messages": []}),
        json!({"model": "memory-agent", "messages": "hi"}),
        json!({"model": "memory-agent", "messages": [{"role": "user", "content": 5}]}),
        json!({"model": "memory-agent", "messages": [{"role": "wizard", "content": "hi"}]}),
        json!({"model": "memory-agent", "messages": [{"role": "user", "content": "hi"}], "stream": "yes"}),
        json!({"messages": [{"role": "user", "content": "hi"}]}),
    ] {
        let r = complete(&app, &client, bad.clone()).await;
        assert_eq!(r.status(), 400, "{bad}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"]["type"], "invalid_request_error", "{bad}");
    }
    let r = client
        .post(app.url("/v1/chat/completions"))
        .header("content-type", "application/json")
        .body("{nope")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(fake.requests().is_empty());
}

on_both_engines! {
    setup = |engine| app_and_fake_llm(engine, &[]);
    async fn a_chat_id_continues_that_chat_and_only_that_users((app, fake)) {
        fake.push(Script::text(&["First answer"]));
        fake.push(Script::text(&["Second answer"]));
        let (ann, _) = key_client(&app, "ann").await;
        let first = complete(&app, &ann, ask("First question")).await;
        let chat = first.headers()["x-chat-id"].to_str().unwrap().to_string();

        let mut next = json!({"model": "memory-agent", "chat_id": chat, "messages": [
            {"role": "user", "content": "ignored old text"},
            {"role": "user", "content": "Second question"}]});
        let second = complete(&app, &ann, next.clone()).await;
        assert_eq!(second.status(), 200);
        assert_eq!(second.headers()["x-chat-id"].to_str().unwrap(), chat);
        let history: Vec<_> = fake.requests()[1]["messages"].as_array().unwrap()[1..]
            .iter()
            .map(|m| m["content"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(
            history,
            ["First question", "First answer", "Second question"]
        );
        assert_eq!(messages_of(&app, &ann, &chat).await.len(), 4);

        // The header works as well as the field.
        fake.push(Script::text(&["Third answer"]));
        let by_header = ann
            .post(app.url("/v1/chat/completions"))
            .header("x-chat-id", &chat)
            .json(&ask("Third"))
            .send()
            .await
            .unwrap();
        assert_eq!(by_header.headers()["x-chat-id"].to_str().unwrap(), chat);
        assert_eq!(messages_of(&app, &ann, &chat).await.len(), 6);

        // Bob cannot continue Ann's chat, nor learn that it exists.
        let (bob, _) = key_client(&app, "bob").await;
        next["messages"] = json!([{"role": "user", "content": "let me in"}]);
        let refused = complete(&app, &bob, next.clone()).await;
        assert_eq!(refused.status(), 404);
        next["chat_id"] = json!(uuid::Uuid::new_v4().to_string());
        assert_eq!(complete(&app, &bob, next).await.status(), 404);
        assert_eq!(
            messages_of(&app, &ann, &chat).await.len(),
            6,
            "nothing was written"
        );
        assert_eq!(fake.requests().len(), 3);
    }
}

on_both_engines! {
    setup = |engine| app_and_fake_llm(engine, &[]);
    async fn tool_calls_run_and_their_steps_are_stored((app, fake)) {
        let (ann, _) = key_client(&app, "ann").await;
        fake.push(Script::text(&["Noted."]));
        let earlier = complete(&app, &ann, ask("The Atlas launch moved to Friday")).await;
        let earlier_chat = earlier.headers()["x-chat-id"].to_str().unwrap().to_string();

        fake.push(Script::tool(
            "chat_history_search",
            &["{\"que", "ry\": \"Atl", "as\", \"scope\": \"all\"}"],
        ));
        fake.push(Script::text(&["It moved to Friday."]));
        assert_eq!(
            reply_text(&app, &ann, ask("What did we say about Atlas?")).await,
            "It moved to Friday."
        );

        let requests = fake.requests();
        let follow_up = requests.last().unwrap()["messages"].as_array().unwrap();
        let call = &follow_up[follow_up.len() - 2];
        assert_eq!(
            call["tool_calls"][0]["function"]["arguments"],
            "{\"query\": \"Atlas\", \"scope\": \"all\"}"
        );
        let result = follow_up.last().unwrap();
        assert_eq!(result["role"], "tool");
        assert_eq!(result["tool_call_id"], "call_1");
        let found: Value = serde_json::from_str(result["content"].as_str().unwrap()).unwrap();
        assert_eq!(
            found["results"][0]["text"],
            "The **Atlas** launch moved to Friday"
        );
        assert_eq!(found["results"][0]["chat_id"], earlier_chat);

        let chats: Value = ann
            .get(app.url("/v1/chats"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let chat = chats["data"][0]["id"].as_str().unwrap();
        let stored = messages_of(&app, &ann, chat).await;
        let step_data = app
            .state
            .store
            .list_messages(
                app.user("ann").await.id,
                uuid::Uuid::parse_str(chat).unwrap(),
                maruntime::server::store::MessageWindow::After(0),
                10,
            )
            .await
            .unwrap();
        assert_eq!(stored.len(), 2);
        let data: Value = serde_json::from_str(step_data[1].data.as_deref().unwrap()).unwrap();
        assert_eq!(data["steps"][0]["tool"], "chat_history_search");
        assert!(
            data["steps"][0]["summary"]
                .as_str()
                .unwrap()
                .starts_with("Searched your chats for 'Atlas': "),
            "{data}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tools_only_see_the_calling_users_data() {
    let fake = FakeLlm::start(vec![]).await;
    let app = app_with_llm(Engine::Sqlite, &fake).await.unwrap();
    let (ann, _) = key_client(&app, "ann").await;
    fake.push(Script::text(&["ok"]));
    complete(&app, &ann, ask("My Atlas password hint is violet")).await;

    let (bob, _) = key_client(&app, "bob").await;
    fake.push(Script::tool(
        "chat_history_search",
        &["{\"query\": \"Atlas violet\", \"scope\": \"all\", \"user_id\": \"ann\"}"],
    ));
    fake.push(Script::text(&["Nothing."]));
    complete(&app, &bob, ask("search Atlas")).await;
    let tool_result = fake.requests().last().unwrap()["messages"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()["content"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(!tool_result.contains("violet"), "{tool_result}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_tool_is_reported_to_the_model_and_the_run_goes_on() {
    let fake = FakeLlm::start(vec![
        Script::tool("chat_history_search", &["{broken"]),
        Script::tool("delete_everything", &["{}"]),
        Script::text(&["Sorry, search failed."]),
    ])
    .await;
    let app = app_with_llm(Engine::Sqlite, &fake).await.unwrap();
    let (ann, _) = key_client(&app, "ann").await;
    assert_eq!(
        reply_text(&app, &ann, ask("find it")).await,
        "Sorry, search failed."
    );
    let requests = fake.requests();
    let second = requests[1]["messages"].as_array().unwrap();
    assert!(second.last().unwrap()["content"]
        .as_str()
        .unwrap()
        .starts_with("error: invalid arguments"));
    let third = requests[2]["messages"].as_array().unwrap();
    assert!(third.last().unwrap()["content"]
        .as_str()
        .unwrap()
        .contains("not available"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_step_limit_ends_with_a_call_without_tools() {
    let call = || Script::tool("chat_history_search", &["{\"query\": \"x\"}"]);
    let fake = FakeLlm::start(vec![
        call(),
        call(),
        call(),
        call(),
        Script::text(&["Final."]),
    ])
    .await;
    let app = app_with_llm(Engine::Sqlite, &fake).await.unwrap();
    let (ann, _) = key_client(&app, "ann").await;
    assert_eq!(reply_text(&app, &ann, ask("loop")).await, "Final.");
    let requests = fake.requests();
    assert_eq!(requests.len(), 5);
    assert!(requests[..4].iter().all(|r| r["tools"].is_array()));
    assert!(
        requests[4].get("tools").is_none(),
        "the last call offers no tools"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn model_errors_are_classified_and_the_message_survives() {
    let fake = FakeLlm::start(vec![
        Script::Status(500),
        Script::Status(503), // retried once, then fails
        Script::Status(429),
        Script::text(&["recovered"]), // one retry succeeds
        Script::Status(401),
        Script::Stall,
        Script::Malformed,
    ])
    .await;
    let app = app_with_llm(Engine::Sqlite, &fake).await.unwrap();
    let (ann, _) = key_client(&app, "ann").await;

    let failed = complete(&app, &ann, ask("first")).await;
    assert_eq!(failed.status(), 502);
    let chat = failed.headers()["x-chat-id"].to_str().unwrap().to_string();
    let body: Value = failed.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("could not be reached"),
        "{body}"
    );
    let stored = messages_of(&app, &ann, &chat).await;
    assert_eq!(stored.len(), 1, "the user's message is kept");
    assert_eq!(stored[0]["content"], "first");

    let ok: Value = complete(&app, &ann, ask("second"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(ok["choices"][0]["message"]["content"], "recovered");

    for (question, expected) in [
        ("third", "credentials"),
        ("fourth", "stopped responding"),
        ("fifth", "could not use"),
    ] {
        let r = complete(&app, &ann, ask(question)).await;
        assert_eq!(r.status(), 502, "{question}");
        let body: Value = r.json().await.unwrap();
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains(expected),
            "{question}: {body}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_agent_can_save_a_preference_to_user_md() {
    let fake = FakeLlm::start(vec![
        Script::tool(
            "update_user_preferences",
            &["{\"preference\": \"Prefers metric units\"}"],
        ),
        Script::text(&["Got it."]),
    ])
    .await;
    let app = app_with_llm(Engine::Sqlite, &fake).await.unwrap();
    let (ann, _) = key_client(&app, "ann").await;
    complete(&app, &ann, ask("Always use metric units")).await;
    let user = app.user("ann").await;
    let profile = std::fs::read_to_string(
        app.memory_dir
            .join("users")
            .join(user.id.to_string())
            .join("user.md"),
    )
    .unwrap();
    assert!(
        profile.ends_with("## Preferences\n- Prefers metric units\n"),
        "{profile}"
    );
}

on_both_engines! {
    async fn without_a_model_the_memory_agent_recalls_earlier_chats(app) {
        let (ann, _) = key_client(&app, "ann").await;
        let browser_chat: Value = ann.post(app.url("/v1/chats")).json(&json!({"title": "Launch planning"})).send().await.unwrap().json().await.unwrap();
        let id = browser_chat["id"].as_str().unwrap();
        ann.post(app.url(&format!("/v1/chats/{id}/messages"))).json(&json!({"content": "The Atlas launch is on Friday at 10:00"})).send().await.unwrap();

        let text = reply_text(&app, &ann, ask("What did we say about Atlas?")).await;
        assert!(text.starts_with("ann name, here is what I found"), "{text}");
        assert!(text.contains("**Launch planning**"), "{text}");
        assert!(text.contains("“The **Atlas** launch is on Friday at 10:00”"), "{text}");
        assert!(text.contains(&format!("(/chat/{id}?m=")), "{text}");
        assert!(text.contains("MARUNTIME_LLM_BASE_URL"), "{text}");

        let text = reply_text(&app, &ann, ask("Anything about zeppelins?")).await;
        assert!(text.contains("found nothing about"), "{text}");

        // Asked again, it quotes the chats (and the earlier question), never its own answers.
        let text = reply_text(&app, &ann, ask("What did we say about Atlas?")).await;
        assert_eq!(text.matches("here is what I found").count(), 1, "{text}");
        assert_eq!(text.matches("No language model is connected").count(), 1, "{text}");
        assert!(!text.contains("found nothing"), "{text}");
        assert!(text.contains("“The **Atlas** launch is on Friday at 10:00”"), "{text}");
        // The message and the first question; the first answer (which quoted it) is not a hit.
        assert_eq!(text.matches("[Open the chat]").count(), 2, "{text}");

        // Another user's chats are not searched.
        let (bob, _) = key_client(&app, "bob").await;
        assert!(reply_text(&app, &bob, ask("What did we say about Atlas?")).await.contains("found nothing"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_run_keeps_what_arrived_and_says_so() {
    let fake = FakeLlm::start(vec![Script::Slow(
        (0..50).map(|i| format!("w{i} ")).collect(),
    )])
    .await;
    let app = app_with_llm(Engine::Sqlite, &fake).await.unwrap();
    let (ann, _) = key_client(&app, "ann").await;
    let chat: Value = ann
        .post(app.url("/v1/chats"))
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let chat_id = uuid::Uuid::parse_str(chat["id"].as_str().unwrap()).unwrap();
    ann.post(app.url(&format!("/v1/chats/{chat_id}/messages")))
        .json(&json!({"content": "a long story please"}))
        .send()
        .await
        .unwrap();
    let user = app.user("ann").await;

    let turn = app
        .state
        .agents
        .start_turn(maruntime::server::agent::TurnRequest {
            user: user.clone(),
            chat_id: Some(chat_id),
            input: maruntime::server::agent::TurnInput::Retry,
            agent: None,
            options: Default::default(),
        })
        .await
        .unwrap();
    let mut events = std::pin::pin!(turn.run.follow());
    let registry = app.state.agents.registry();
    let mut deltas = 0;
    let finished = loop {
        use futures::StreamExt;
        match events.next().await.expect("the run reports its end") {
            maruntime::model::RunEvent::Delta { .. } => {
                deltas += 1;
                if deltas == 3 {
                    // Only the owner can stop it.
                    assert!(registry.stop(uuid::Uuid::new_v4(), chat_id).is_none());
                    assert_eq!(registry.stop(user.id, chat_id), Some(turn.run.id));
                }
            }
            maruntime::model::RunEvent::Stopped { message } => break message,
            maruntime::model::RunEvent::Started { .. }
            | maruntime::model::RunEvent::Usage { .. } => {}
            other => panic!("unexpected {other:?}"),
        }
    };
    assert!(
        finished.content.starts_with("w0 w1 w2"),
        "{}",
        finished.content
    );
    assert!(!finished.content.contains("w49"));
    let data: Value = serde_json::from_str(finished.data.as_deref().unwrap()).unwrap();
    assert_eq!(data["stopped"], true);
    assert_eq!(messages_of(&app, &ann, &chat_id.to_string()).await.len(), 2);
}
