//! The chat-completions dialect agent frameworks speak: the client's own tools next to the
//! agent's, request parameters reaching the model, refusals in OpenAI's shape, and
//! `GET /v1/models/{id}`. Against the scripted fake model, on both engines.

use reqwest::Client;
use serde_json::{json, Value};

use crate::agent::{complete, key_client, messages_of, parse_sse};
use crate::fake_llm::{app_and_fake_llm, Script};
use crate::helpers::*;

fn weather_tool() -> Value {
    json!({"type": "function", "function": {
        "name": "get_weather", "description": "Current weather in a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}})
}

const QUESTION: &str = "What is the weather where I live?";
const ARGUMENTS: &str = "{\"city\":\"Zzyzx\"}";

/// The assistant message a client sends back, and its tool result.
fn round_trip(id: &str, result: &str) -> Vec<Value> {
    vec![
        json!({"role": "user", "content": QUESTION}),
        json!({"role": "assistant", "content": null, "tool_calls": [
            {"id": id, "type": "function", "function": {"name": "get_weather", "arguments": ARGUMENTS}}]}),
        json!({"role": "tool", "tool_call_id": id, "content": result}),
    ]
}

/// The tool calls of a streamed completion, put together from its `delta.tool_calls`
/// fragments as OpenAI's clients do, and its finish reason.
fn streamed_calls(chunks: &[Value]) -> (Vec<(String, String, String)>, String) {
    let mut calls: Vec<(String, String, String)> = Vec::new();
    let mut finish = String::new();
    for chunk in chunks {
        let choice = &chunk["choices"][0];
        if let Some(reason) = choice["finish_reason"].as_str() {
            finish = reason.to_string();
        }
        for part in choice["delta"]["tool_calls"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let index = part["index"].as_u64().unwrap() as usize;
            if calls.len() <= index {
                calls.resize(index + 1, Default::default());
            }
            if let Some(id) = part["id"].as_str() {
                calls[index].0 = id.to_string();
            }
            if let Some(name) = part["function"]["name"].as_str() {
                calls[index].1.push_str(name);
            }
            if let Some(args) = part["function"]["arguments"].as_str() {
                calls[index].2.push_str(args);
            }
        }
    }
    (calls, finish)
}

/// The fake model's view of one request: the names of the tools it was offered.
fn offered(request: &Value) -> Vec<String> {
    request["tools"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| t["function"]["name"].as_str().unwrap().to_string())
        .collect()
}

on_both_engines! {
    setup = |engine| app_and_fake_llm(engine, &[]);
    async fn a_client_tool_round_trip_without_a_chat_id((app, fake)) {
        let (ann, _) = key_client(&app, "ann").await;
        fake.push(Script::client_call("call_w1", "get_weather", ARGUMENTS));
        let first = complete(
            &app,
            &ann,
            json!({"model": "memory-agent", "messages": [{"role": "user", "content": QUESTION}],
                   "tools": [weather_tool()]}),
        )
        .await;
        assert_eq!(first.status(), 200);
        let first = json_of(first).await;
        let choice = &first["choices"][0];
        assert_eq!(choice["finish_reason"], "tool_calls");
        assert_eq!(choice["message"]["content"], Value::Null);
        assert_eq!(choice["message"]["role"], "assistant");
        let call = &choice["message"]["tool_calls"][0];
        assert_eq!(call["id"], "call_w1");
        assert_eq!(call["type"], "function");
        assert_eq!(call["function"]["name"], "get_weather");
        assert_eq!(call["function"]["arguments"], ARGUMENTS);
        // The model saw the agent's own tools and the client's together.
        let tools = offered(&fake.requests()[0]);
        assert!(tools.contains(&"get_weather".to_string()), "{tools:?}");
        assert!(
            tools.contains(&"chat_history_search".to_string()),
            "{tools:?}"
        );

        // The client runs the tool and sends the conversation again, as every client does.
        fake.push(Script::EchoTool);
        let second = json_of(
            complete(
                &app,
                &ann,
                json!({"model": "memory-agent", "messages": round_trip("call_w1", "sunny, 21 C"),
                       "tools": [weather_tool()]}),
            )
            .await,
        )
        .await;
        assert_eq!(second["choices"][0]["finish_reason"], "stop");
        assert_eq!(
            second["choices"][0]["message"]["content"],
            "tool said: sunny, 21 C"
        );
        // The model got the call and its result in its context, in OpenAI's order.
        let sent = fake.requests()[1]["messages"].as_array().unwrap().clone();
        let n = sent.len();
        assert_eq!(sent[n - 2]["role"], "assistant");
        assert_eq!(sent[n - 2]["tool_calls"][0]["id"], "call_w1");
        assert_eq!(
            sent[n - 2]["tool_calls"][0]["function"]["arguments"],
            ARGUMENTS
        );
        assert_eq!(sent[n - 1]["role"], "tool");
        assert_eq!(sent[n - 1]["tool_call_id"], "call_w1");
        assert_eq!(sent[n - 1]["content"], "sunny, 21 C");
    }
}

on_both_engines! {
    setup = |engine| app_and_fake_llm(engine, &[]);
    async fn a_streamed_client_tool_round_trip_in_one_chat((app, fake)) {
        let (ann, _) = key_client(&app, "ann").await;
        fake.push(Script::ToolCalls(vec![
            ("call_a".into(), "get_weather".into(), ARGUMENTS.into()),
            ("call_b".into(), "get_weather".into(), "{\"city\":\"Oslo\"}".into()),
        ]));
        let response = complete(
            &app,
            &ann,
            json!({"model": "memory-agent", "stream": true, "tools": [weather_tool()],
                   "messages": [{"role": "user", "content": QUESTION}]}),
        )
        .await;
        assert_eq!(response.status(), 200);
        let chat = response.headers()["x-chat-id"].to_str().unwrap().to_string();
        let (text, chunks, done) = parse_sse(&response.text().await.unwrap());
        assert!(done);
        assert_eq!(text, "");
        let (calls, finish) = streamed_calls(&chunks);
        assert_eq!(finish, "tool_calls");
        assert_eq!(
            calls,
            vec![
                ("call_a".to_string(), "get_weather".to_string(), ARGUMENTS.to_string()),
                ("call_b".to_string(), "get_weather".to_string(), "{\"city\":\"Oslo\"}".to_string()),
            ]
        );

        // Results for calls this chat never made are refused, and nothing is stored.
        let wrong = complete(
            &app,
            &ann,
            json!({"model": "memory-agent", "chat_id": chat, "tools": [weather_tool()],
                   "messages": round_trip("call_zz", "rain")}),
        )
        .await;
        assert_eq!(wrong.status(), 400);
        let wrong = json_of(wrong).await;
        assert_eq!(wrong["error"]["param"], "messages", "{wrong}");
        assert_eq!(messages_of(&app, &ann, &chat).await.len(), 2);

        // Both results come back with chat_id; the stored history is the context.
        fake.push(Script::EchoTool);
        let mut messages = round_trip("call_a", "sunny");
        messages[1]["tool_calls"]
            .as_array_mut()
            .unwrap()
            .push(json!({"id": "call_b", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Oslo\"}"}}));
        messages.push(json!({"role": "tool", "tool_call_id": "call_b", "content": "snow"}));
        let response = complete(
            &app,
            &ann,
            json!({"model": "memory-agent", "chat_id": chat, "stream": true, "tools": [weather_tool()],
                   "messages": messages}),
        )
        .await;
        assert_eq!(response.status(), 200);
        let (text, chunks, _) = parse_sse(&response.text().await.unwrap());
        assert_eq!(text, "tool said: snow");
        assert_eq!(streamed_calls(&chunks).1, "stop");
        let sent = fake.requests()[1]["messages"].as_array().unwrap().clone();
        let roles: Vec<&str> = sent.iter().map(|m| m["role"].as_str().unwrap()).collect();
        assert_eq!(roles, ["system", "user", "assistant", "tool", "tool"]);
        assert_eq!(sent[2]["tool_calls"].as_array().unwrap().len(), 2);

        // The calls and results are stored with the chat, in order, for the web UI's reload;
        // the markdown document keeps the question and the answer only.
        let stored = messages_of(&app, &ann, &chat).await;
        let roles: Vec<&str> = stored.iter().map(|m| m["role"].as_str().unwrap()).collect();
        assert_eq!(roles, ["user", "tool", "tool", "tool", "assistant"]);
        let calls: Value = serde_json::from_str(stored[1]["data"].as_str().unwrap()).unwrap();
        assert_eq!(calls["tool_calls"][1]["id"], "call_b");
        let result: Value = serde_json::from_str(stored[3]["data"].as_str().unwrap()).unwrap();
        assert_eq!(result["tool_call_id"], "call_b");
        assert_eq!(stored[3]["content"], "snow");
        let document = ann
            .get(app.url(&format!("/v1/chats/{chat}/document")))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(document.contains(QUESTION) && document.contains("tool said: snow"), "{document}");
        assert!(!document.contains("Zzyzx") && !document.contains("sunny"), "{document}");

        // Answered calls cannot be answered again.
        let again = complete(
            &app,
            &ann,
            json!({"model": "memory-agent", "chat_id": chat, "tools": [weather_tool()],
                   "messages": round_trip("call_a", "sunny")}),
        )
        .await;
        assert_eq!(again.status(), 400);
    }
}

on_both_engines! {
    setup = |engine| app_and_fake_llm(engine, &[]);
    async fn a_server_tool_and_a_client_tool_in_one_run((app, fake)) {
        let (ann, _) = key_client(&app, "ann").await;
        fake.push(Script::text(&["Noted."]));
        complete(
            &app,
            &ann,
            json!({"model": "memory-agent", "messages": [{"role": "user", "content": "I live in Zzyzx"}]}),
        )
        .await;
        // The model searches the history (the agent's tool), then asks the client's tool.
        fake.push(Script::tool("chat_history_search", &["{\"query\": \"live\"}"]));
        fake.push(Script::client_call("call_w", "get_weather", ARGUMENTS));
        let first = complete(
            &app,
            &ann,
            json!({"model": "memory-agent", "tools": [weather_tool()],
                   "messages": [{"role": "user", "content": QUESTION}]}),
        )
        .await;
        let chat = first.headers()["x-chat-id"].to_str().unwrap().to_string();
        let first = json_of(first).await;
        assert_eq!(first["choices"][0]["finish_reason"], "tool_calls", "{first}");
        // Only the client's call goes to the client.
        let calls = first["choices"][0]["message"]["tool_calls"].as_array().unwrap();
        assert_eq!(calls.len(), 1);
        assert_eq!(calls[0]["function"]["name"], "get_weather");
        // The search ran on the server and its result reached the model.
        let sent = fake.requests()[2]["messages"].as_array().unwrap().clone();
        let search_result = sent.last().unwrap();
        assert_eq!(search_result["role"], "tool");
        assert!(search_result["content"].as_str().unwrap().contains("Zzyzx"), "{search_result}");
        let stored = messages_of(&app, &ann, &chat).await;
        let data: Value = serde_json::from_str(stored[1]["data"].as_str().unwrap()).unwrap();
        assert_eq!(data["steps"][0]["tool"], "chat_history_search");
        assert_eq!(data["tool_calls"][0]["name"], "get_weather");

        fake.push(Script::EchoTool);
        let second = json_of(
            complete(
                &app,
                &ann,
                json!({"model": "memory-agent", "chat_id": chat, "tools": [weather_tool()],
                       "messages": round_trip("call_w", "hot")}),
            )
            .await,
        )
        .await;
        assert_eq!(second["choices"][0]["message"]["content"], "tool said: hot");
        // Usage was counted for both runs.
        assert!(second["usage"]["total_tokens"].as_u64().unwrap() > 0);
    }
}

on_both_engines! {
    setup = |engine| app_and_fake_llm(engine, &[]);
    async fn request_parameters_reach_the_model((app, fake)) {
        let (ann, _) = key_client(&app, "ann").await;
        fake.push(Script::text(&["{}"]));
        let response = complete(
            &app,
            &ann,
            json!({"model": "memory-agent", "messages": [
                       {"role": "developer", "content": "Answer in JSON."},
                       {"role": "user", "content": "JSON please"}],
                   "temperature": 0.3, "top_p": 0.9, "stop": ["END"], "seed": 42,
                   "presence_penalty": 0.5, "frequency_penalty": -0.5,
                   "response_format": {"type": "json_object"}, "user": "end-user-7",
                   "max_tokens": 50, "n": 1, "logprobs": false,
                   "tools": [weather_tool()], "tool_choice": {"type": "function", "function": {"name": "get_weather"}},
                   "parallel_tool_calls": false}),
        )
        .await;
        assert_eq!(response.status(), 200);
        let sent = &fake.requests()[0];
        assert_eq!(sent["temperature"], 0.3);
        assert_eq!(sent["top_p"], 0.9);
        assert_eq!(sent["stop"], json!(["END"]));
        assert_eq!(sent["seed"], 42);
        assert_eq!(sent["presence_penalty"], 0.5);
        assert_eq!(sent["frequency_penalty"], -0.5);
        assert_eq!(sent["response_format"], json!({"type": "json_object"}));
        assert_eq!(sent["user"], "end-user-7");
        assert_eq!(sent["max_tokens"], 50);
        assert_eq!(sent["tool_choice"]["function"]["name"], "get_weather");
        assert_eq!(sent["parallel_tool_calls"], false);
        // The client's instructions follow the agent's own system prompt.
        assert_eq!(sent["messages"][0]["role"], "system");
        assert_eq!(sent["messages"][1], json!({"role": "system", "content": "Answer in JSON."}));
        assert_eq!(sent["messages"][2]["content"], "JSON please");
        // The model is ours: the client cannot turn streaming off or rename the model.
        assert_eq!(sent["model"], "fake-model");
        assert_eq!(sent["stream"], true);

        // max_completion_tokens is honoured too, never above the server's own limit.
        fake.push(Script::text(&["ok"]));
        complete(
            &app,
            &ann,
            json!({"model": "memory-agent", "messages": [{"role": "user", "content": "hi"}],
                   "max_completion_tokens": 4_000_000_000u64}),
        )
        .await;
        let limit = app.state.agents.registry().limits().max_reply_tokens;
        assert_eq!(fake.requests()[1]["max_tokens"], limit);
        assert!(fake.requests()[1].get("temperature").is_none());
    }
}

async fn refused(app: &TestApp, client: &Client, extra: Value) -> (u16, Value) {
    let mut body =
        json!({"model": "memory-agent", "messages": [{"role": "user", "content": "hi"}]});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let response = complete(app, client, body).await;
    (response.status().as_u16(), json_of(response).await)
}

on_both_engines! {
    setup = |engine| app_and_fake_llm(engine, &[]);
    async fn what_the_gateway_cannot_honour_is_refused_in_openai_shape((app, fake)) {
        let (ann, _) = key_client(&app, "ann").await;
        let cases = [
            (json!({"n": 2}), "n"),
            (json!({"logprobs": true}), "logprobs"),
            (json!({"top_logprobs": 3}), "top_logprobs"),
            (json!({"temperature": 2.5}), "temperature"),
            (json!({"top_p": "high"}), "top_p"),
            (json!({"presence_penalty": -3}), "presence_penalty"),
            (json!({"max_tokens": 0}), "max_tokens"),
            (json!({"stop": ["a", "b", "c", "d", "e"]}), "stop"),
            (json!({"response_format": {"type": "yaml"}}), "response_format.type"),
            (json!({"functions": [{"name": "f"}]}), "functions"),
            (json!({"tools": [{"type": "function", "function": {"name": "chat_history_search"}}]}), "tools"),
            (json!({"tools": [{"type": "retrieval"}]}), "tools[0].type"),
            (json!({"tools": [weather_tool(), weather_tool()]}), "tools[1].function.name"),
            (json!({"tool_choice": {"type": "function", "function": {"name": "nope"}}}), "tool_choice"),
        ];
        for (extra, param) in cases {
            let (status, body) = refused(&app, &ann, extra.clone()).await;
            assert_eq!(status, 400, "{extra}: {body}");
            assert_eq!(body["error"]["param"], param, "{extra}: {body}");
            assert_eq!(body["error"]["type"], "invalid_request_error", "{body}");
            assert!(!body["error"]["message"].as_str().unwrap().is_empty());
        }
        // Nothing was stored and the model was never asked.
        let chats = json_of(ann.get(app.url("/v1/chats")).send().await.unwrap()).await;
        assert_eq!(chats["data"].as_array().unwrap().len(), 0);
        assert!(fake.requests().is_empty());
    }
}

on_both_engines! {
    setup = |engine| app_and_fake_llm(engine, &[]);
    async fn a_model_is_retrieved_by_its_id((app, _fake)) {
        let (ann, _) = key_client(&app, "ann").await;
        let found = ann
            .get(app.url("/v1/models/memory-agent"))
            .send()
            .await
            .unwrap();
        assert_eq!(found.status(), 200);
        let found = json_of(found).await;
        assert_eq!(found["id"], "memory-agent");
        assert_eq!(found["object"], "model");
        assert_eq!(found["owned_by"], "maruntime");
        let missing = ann.get(app.url("/v1/models/gpt-17")).send().await.unwrap();
        assert_eq!(missing.status(), 404);
        let missing = json_of(missing).await;
        assert_eq!(missing["error"]["code"], "model_not_found");
        assert!(missing["error"]["message"]
            .as_str()
            .unwrap()
            .contains("gpt-17"));
        let anonymous = app
            .other_client()
            .get(app.url("/v1/models/memory-agent"))
            .send()
            .await
            .unwrap();
        assert_eq!(anonymous.status(), 401);
    }
}
