//! Chats belong to users: the chat list, messages, titles, isolation.

use reqwest::Client;
use serde_json::{json, Value};

use crate::helpers::*;

async fn create_chat(app: &TestApp, client: &Client, body: Value) -> Value {
    let r = client
        .post(app.url("/v1/chats"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    r.json().await.unwrap()
}

async fn post(app: &TestApp, client: &Client, chat: &str, content: &str) -> reqwest::Response {
    client
        .post(app.url(&format!("/v1/chats/{chat}/messages")))
        .json(&json!({ "content": content }))
        .send()
        .await
        .unwrap()
}

on_both_engines! {
    async fn a_new_chat_has_the_defaults_and_the_first_message_names_it(app) {
        app.register("ann").await;
        let chat = create_chat(&app, &app.client, json!({})).await;
        assert_eq!(chat["title"], "New Chat");
        assert_eq!(chat["agent"], "memory-agent");
        let id = chat["id"].as_str().unwrap();

        let text = "Какая погода сегодня в Москве и что надеть на прогулку вечером после работы";
        assert_eq!(post(&app, &app.client, id, text).await.status(), 201);
        let chat = json_of(app.get(&app.client, &format!("/v1/chats/{id}")).await).await;
        assert_eq!(chat["title"], "Какая погода сегодня в Москве и что надеть на прогулку");

        // Later messages do not rename it, and neither does a rename get undone.
        post(&app, &app.client, id, "second message").await;
        let renamed = app.client.patch(app.url(&format!("/v1/chats/{id}"))).json(&json!({"title": "  Weather  "})).send().await.unwrap();
        assert_eq!(json_of(renamed).await["title"], "Weather");
        post(&app, &app.client, id, "third").await;
        assert_eq!(json_of(app.get(&app.client, &format!("/v1/chats/{id}")).await).await["title"], "Weather");
    }

    async fn the_chat_list_is_newest_activity_first_and_pages_with_a_cursor(app) {
        app.register("ann").await;
        let mut ids = Vec::new();
        for i in 0..5 {
            let chat = create_chat(&app, &app.client, json!({"title": format!("chat {i}")})).await;
            ids.push(chat["id"].as_str().unwrap().to_string());
            tokio::time::sleep(std::time::Duration::from_millis(3)).await;
        }
        // Activity in the oldest chat moves it to the top.
        post(&app, &app.client, &ids[0], "bump").await;

        let first = json_of(app.get(&app.client, "/v1/chats?limit=2").await).await;
        let titles: Vec<_> = first["data"].as_array().unwrap().iter().map(|c| c["title"].as_str().unwrap().to_string()).collect();
        assert_eq!(titles, ["chat 0", "chat 4"]);
        let next = first["next"].as_str().unwrap();
        let second = json_of(app.get(&app.client, &format!("/v1/chats?limit=2&before={next}")).await).await;
        let titles: Vec<_> = second["data"].as_array().unwrap().iter().map(|c| c["title"].as_str().unwrap().to_string()).collect();
        assert_eq!(titles, ["chat 3", "chat 2"]);
        let third = json_of(app.get(&app.client, &format!("/v1/chats?limit=2&before={}", second["next"].as_str().unwrap())).await).await;
        assert_eq!(third["data"].as_array().unwrap().len(), 1);
        assert!(third["next"].is_null());

        let bad = app.get(&app.client, "/v1/chats?before=garbage").await;
        assert_eq!(bad.status(), 400);
        let bad = app.get(&app.client, "/v1/chats?limit=0").await;
        assert_eq!(bad.status(), 422);
    }

    async fn messages_come_oldest_first_and_page_forward(app) {
        app.register("ann").await;
        let chat = create_chat(&app, &app.client, json!({})).await;
        let id = chat["id"].as_str().unwrap();
        for i in 0..7 {
            assert_eq!(post(&app, &app.client, id, &format!("m{i}")).await.status(), 201);
        }
        let mut seen = Vec::new();
        let mut url = format!("/v1/chats/{id}/messages?limit=3");
        loop {
            let page = json_of(app.get(&app.client, &url).await).await;
            for m in page["data"].as_array().unwrap() {
                assert_eq!(m["role"], "user");
                assert!(m["id"].is_string() && m["created_at"].is_string());
                seen.push(m["content"].as_str().unwrap().to_string());
            }
            match page["next"].as_str() {
                Some(next) => url = format!("/v1/chats/{id}/messages?limit=3&after={next}"),
                None => break,
            }
        }
        assert_eq!(seen, ["m0", "m1", "m2", "m3", "m4", "m5", "m6"]);
    }

    async fn another_users_chat_is_a_404_on_every_route(app) {
        app.register("ann").await;
        let chat = create_chat(&app, &app.client, json!({"title": "Ann's secret"})).await;
        let id = chat["id"].as_str().unwrap();
        post(&app, &app.client, id, "private words").await;

        let bob = app.other_client();
        app.register_with(&bob, "bob", STRONG_PASSWORD).await;
        let list = json_of(app.get(&bob, "/v1/chats").await).await;
        assert_eq!(list["data"], json!([]));
        let attempts = [
            bob.get(app.url(&format!("/v1/chats/{id}"))),
            bob.patch(app.url(&format!("/v1/chats/{id}"))).json(&json!({"title": "mine now"})),
            bob.delete(app.url(&format!("/v1/chats/{id}"))),
            bob.get(app.url(&format!("/v1/chats/{id}/messages"))),
            bob.post(app.url(&format!("/v1/chats/{id}/messages"))).json(&json!({"content": "hi"})),
        ];
        for attempt in attempts {
            let r = attempt.send().await.unwrap();
            assert_eq!(r.status(), 404);
            assert_eq!(error_of(r).await.1, "No such chat.");
        }
        // Nothing changed for Ann.
        let chat = json_of(app.get(&app.client, &format!("/v1/chats/{id}")).await).await;
        assert_eq!(chat["title"], "Ann's secret");
        let messages = json_of(app.get(&app.client, &format!("/v1/chats/{id}/messages")).await).await;
        assert_eq!(messages["data"].as_array().unwrap().len(), 1);
        // And a chat id that does not exist looks exactly the same.
        let unknown = app.get(&bob, &format!("/v1/chats/{}", uuid::Uuid::new_v4())).await;
        assert_eq!(unknown.status(), 404);
        assert_eq!(error_of(unknown).await.1, "No such chat.");
    }

    async fn chats_need_a_login_cookie_or_api_key(app) {
        let r = app.get(&app.client, "/v1/chats").await;
        assert_eq!(r.status(), 401);
        app.register("ann").await;
        let key = new_api_key(&app, &app.client, "k").await;
        let script = reqwest::Client::new();
        let created = script.post(app.url("/v1/chats")).bearer_auth(&key).json(&json!({"title": "from a script"})).send().await.unwrap();
        assert_eq!(created.status(), 201);
        let list = json_of(app.get(&app.client, "/v1/chats").await).await;
        assert_eq!(list["data"][0]["title"], "from a script");
    }

    async fn deleting_a_chat_deletes_its_messages(app) {
        app.register("ann").await;
        let chat = create_chat(&app, &app.client, json!({})).await;
        let id = chat["id"].as_str().unwrap();
        post(&app, &app.client, id, "hello").await;
        let r = app.client.delete(app.url(&format!("/v1/chats/{id}"))).send().await.unwrap();
        assert_eq!(r.status(), 204);
        assert_eq!(app.get(&app.client, &format!("/v1/chats/{id}")).await.status(), 404);
        assert_eq!(app.get(&app.client, &format!("/v1/chats/{id}/messages")).await.status(), 404);
        let id = uuid::Uuid::parse_str(id).unwrap();
        let user_id = app.user("ann").await.id;
        let left = app.state.store.list_messages(user_id, id, maruntime::server::store::MessageWindow::After(0), 10).await.unwrap();
        assert!(left.is_empty());
    }

    async fn unicode_round_trips_exactly(app) {
        app.register("ann").await;
        let title = "Заметки 📝 עברית ✓";
        let chat = create_chat(&app, &app.client, json!({"title": title})).await;
        assert_eq!(chat["title"], title);
        let id = chat["id"].as_str().unwrap();
        let content = "Привет! 👋🏽 مرحبا\n\n```rust\nfn main() {}\n```\n\u{200f}rtl\ttab";
        assert_eq!(post(&app, &app.client, id, content).await.status(), 201);
        let messages = json_of(app.get(&app.client, &format!("/v1/chats/{id}/messages")).await).await;
        assert_eq!(messages["data"][0]["content"], content);
    }

    async fn bad_input_gets_clear_errors(app) {
        app.register("ann").await;
        let chat = create_chat(&app, &app.client, json!({})).await;
        let id = chat["id"].as_str().unwrap();
        let too_long = "я".repeat(32_001);
        let r = post(&app, &app.client, id, &too_long).await;
        assert_eq!(r.status(), 422);
        let (_, message, field) = error_of(r).await;
        assert_eq!(field.as_deref(), Some("content"));
        assert!(message.contains("32000"), "{message}");
        assert_eq!(post(&app, &app.client, id, &"я".repeat(32_000)).await.status(), 201);
        assert_eq!(post(&app, &app.client, id, "   ").await.status(), 422);

        let r = app.client.patch(app.url(&format!("/v1/chats/{id}"))).json(&json!({"title": " "})).send().await.unwrap();
        assert_eq!(r.status(), 422);
        let r = app.client.patch(app.url(&format!("/v1/chats/{id}"))).json(&json!({"title": "x".repeat(256)})).send().await.unwrap();
        assert_eq!(r.status(), 422);
        let r = app.client.post(app.url("/v1/chats")).json(&json!({"agent": "no-such-agent"})).send().await.unwrap();
        assert_eq!(r.status(), 422);

        for path in ["/v1/chats/not-a-uuid", "/v1/chats/123/messages", "/v1/chats/%27%3B%20drop%20table%20chats"] {
            let r = app.get(&app.client, path).await;
            assert_eq!(r.status(), 404, "{path}");
        }
        let huge = "x".repeat(1024 * 1024 + 1);
        let r = post(&app, &app.client, id, &huge).await;
        assert_eq!(r.status(), 413);
    }

    async fn the_chat_page_is_server_rendered_with_sidebar_and_messages(app) {
        app.register("ann").await;
        let other = create_chat(&app, &app.client, json!({"title": "Another chat"})).await;
        let chat = create_chat(&app, &app.client, json!({})).await;
        let id = chat["id"].as_str().unwrap();
        post(&app, &app.client, id, "Hello <b>there</b> & welcome").await;
        let r = app.get_page(&app.client, &format!("/chat/{id}")).await;
        assert_eq!(r.status(), 200);
        let html = r.text().await.unwrap();
        assert!(html.contains("Another chat"), "the sidebar is rendered");
        assert!(html.contains(other["id"].as_str().unwrap()));
        assert!(html.contains("Hello &lt;b&gt;there&lt;/b&gt; &amp; welcome"), "the message is rendered, escaped");
        // Nowhere in the page, hydration data included, can a message close a script.
        let evil = "</script><script>alert(1)</script>";
        post(&app, &app.client, id, evil).await;
        let html = app.get_page(&app.client, &format!("/chat/{id}")).await.text().await.unwrap();
        assert!(!html.contains("<script>alert(1)"), "{html}");

        // Nor can a title close the document's <title>.
        let titled = create_chat(&app, &app.client, json!({"title": "</title><script>alert(2)</script>"})).await;
        let html = app.get_page(&app.client, &format!("/chat/{}", titled["id"].as_str().unwrap())).await.text().await.unwrap();
        assert!(!html.contains("<script>alert(2)"), "{html}");
    }

    async fn the_chat_page_of_another_user_or_a_bad_id_is_404(app) {
        app.register("ann").await;
        let chat = create_chat(&app, &app.client, json!({"title": "Ann's diary"})).await;
        let id = chat["id"].as_str().unwrap();
        let bob = app.other_client();
        app.register_with(&bob, "bob", STRONG_PASSWORD).await;
        for path in [format!("/chat/{id}"), "/chat/not-a-uuid".to_string()] {
            let r = app.get_page(&bob, &path).await;
            assert_eq!(r.status(), 404, "{path}");
            let html = r.text().await.unwrap();
            assert!(!html.contains("Ann&#x27;s diary") && !html.contains("Ann's diary"));
            assert!(html.contains("This chat does not exist"));
        }
        let logged_out = app.get_page(&app.other_client(), &format!("/chat/{id}")).await;
        assert_eq!(logged_out.status(), 303);
        assert_eq!(logged_out.headers()["location"], format!("/login?next=/chat/{id}"));
    }
}
