//! Hardening: text no engine can store gets the same clear answer on both; `next` is only
//! ever a path of this site.

use serde_json::{json, Value};

use crate::agent::{ask, complete, key_client, messages_of};
use crate::fake_llm::{app_and_fake_llm, FakeLlm, Script};
use crate::helpers::*;

on_both_engines! {
    async fn a_nul_character_is_refused_naming_the_field(app) {
        app.register("ann").await;
        let c = &app.client;
        let titled = c.post(app.url("/v1/chats")).json(&json!({"title": "a\u{0}b"})).send().await.unwrap();
        assert_eq!(titled.status(), 422);
        assert_eq!(error_of(titled).await.2.as_deref(), Some("title"));
        let chat = create_chat_titled(&app, c, None).await;
        let posted = c
            .post(app.url(&format!("/v1/chats/{chat}/messages")))
            .json(&json!({"content": "hello\u{0}"}))
            .send()
            .await
            .unwrap();
        assert_eq!(posted.status(), 422);
        assert_eq!(error_of(posted).await.2.as_deref(), Some("content"));
        let renamed = c.patch(app.url(&format!("/v1/chats/{chat}"))).json(&json!({"title": "\u{0}"})).send().await.unwrap();
        assert_eq!(renamed.status(), 422);
        let profile = c.put(app.url("/auth/profile")).json(&json!({"display_name": "Ann\u{0}"})).send().await.unwrap();
        assert_eq!(profile.status(), 422);
        assert_eq!(error_of(profile).await.2.as_deref(), Some("display_name"));
        let about = c.put(app.url("/auth/profile")).json(&json!({"about": "x\u{0}y"})).send().await.unwrap();
        assert_eq!(error_of(about).await.2.as_deref(), Some("about"));
        // Nothing was stored, and the account works as before.
        assert_eq!(c.get(app.url(&format!("/v1/chats/{chat}/messages"))).send().await.unwrap().json::<Value>().await.unwrap()["data"], json!([]));
        let register = app
            .other_client()
            .post(app.url("/auth/register"))
            .json(&json!({"login": "bob", "password": STRONG_PASSWORD, "display_name": "B\u{0}b"}))
            .send()
            .await
            .unwrap();
        assert_eq!(register.status(), 422);
        // A login or a search with one is simply not found.
        let login = app.login_with(&app.other_client(), "ann\u{0}", STRONG_PASSWORD).await;
        assert_eq!(login.status(), 401);
        let search = c.get(app.url("/v1/chats/search?q=a%00b")).send().await.unwrap();
        assert_eq!(search.status(), 200);
    }

    async fn next_is_only_ever_a_path_of_this_site(app) {
        app.register("ann").await;
        let tricks = [
            "//evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r/evil.example",
            "/ /evil.example",
            "/\\evil.example",
            "https://evil.example",
            "javascript:alert(1)",
        ];
        let no_redirects = || {
            reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap()
        };
        // The login form's own action (the server function's path carries a hash).
        let page = app.get(&app.other_client(), "/login").await.text().await.unwrap();
        let start = page.find("action=\"/api/login").expect("the login form posts to /api/login…") + 8;
        let action = &page[start..start + page[start..].find('"').unwrap()];
        for next in tricks.iter().chain(["/profile"].iter()) {
            // The login form posted without JavaScript answers with a redirect.
            let response = no_redirects()
                .post(app.url(action))
                .header("accept", "text/html")
                .form(&[("login", "ann"), ("password", STRONG_PASSWORD), ("next", next)])
                .send()
                .await
                .unwrap();
            assert!(response.status().is_redirection(), "{next:?}: {}", response.status());
            let location = response.headers()["location"].to_str().unwrap().to_string();
            let expected = if *next == "/profile" { "/profile" } else { "/chat" };
            assert_eq!(location, expected, "{next:?}");
        }
    }
}

on_both_engines! {
    setup = |engine| app_and_fake_llm(engine, &[]);
    async fn a_nul_from_the_gateway_is_refused_and_one_from_the_model_replaced((app, fake)) {
    let (ann, _) = key_client(&app, "ann").await;
    let refused = complete(&app, &ann, ask("hi\u{0}there")).await;
    assert_eq!(refused.status(), 400);
    let error: Value = refused.json().await.unwrap();
    assert_eq!(error["error"]["type"], "invalid_request_error");
    assert!(error["error"]["message"]
        .as_str()
        .unwrap()
        .contains("messages[0].content"));

    fake.push(Script::text(&["a\u{0}b"]));
    let response = complete(&app, &ann, ask("say something odd")).await;
    assert_eq!(response.status(), 200);
    let chat = response.headers()["x-chat-id"]
        .to_str()
        .unwrap()
        .to_string();
    let reply: Value = response.json().await.unwrap();
    assert_eq!(reply["choices"][0]["message"]["content"], "a\u{fffd}b");
    assert_eq!(
        messages_of(&app, &ann, &chat).await[1]["content"],
        "a\u{fffd}b"
    );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_models_own_error_text_is_not_shown_to_users() {
    let fake = FakeLlm::start(vec![
        Script::Status(400),
        Script::ErrorEvent("quota of account acct_secret exceeded".into()),
    ])
    .await;
    let url = fake.base_url.clone();
    let app = spawn_app_on(Engine::Sqlite, move |v| {
        v.insert("MARUNTIME_LLM_BASE_URL".into(), url);
    })
    .await
    .unwrap();
    let (ann, _) = key_client(&app, "ann").await;
    let r = complete(&app, &ann, ask("hello")).await;
    assert_eq!(r.status(), 502);
    let body: Value = r.json().await.unwrap();
    let message = body["error"]["message"].as_str().unwrap();
    assert!(!message.contains("fake error"), "{message}");
    assert!(
        message.contains("refused the request (status 400)"),
        "{message}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_memory_directory_that_cannot_be_made_is_named_at_start_up() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-directory");
    std::fs::write(&file, "x").unwrap();
    let mut values = base_values(&dir);
    values.insert(
        "MARUNTIME_MEMORY_DIR".into(),
        file.join("memory").display().to_string(),
    );
    let config = maruntime::server::config::Config::from_map(&values).unwrap();
    let error = match maruntime::server::startup::Application::build(config).await {
        Ok(_) => panic!("a memory directory under a file cannot be made"),
        Err(e) => e.to_string(),
    };
    assert!(error.starts_with("MARUNTIME_MEMORY_DIR "), "{error}");
    assert!(error.contains(&file.display().to_string()), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_server_on_one_sqlite_file_is_refused_with_the_reason() {
    let app = spawn_app(Engine::Sqlite).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut values = base_values(&dir);
    values.insert("DATABASE_URL".into(), app.database_url.clone());
    let config = maruntime::server::config::Config::from_map(&values).unwrap();
    let error = match maruntime::server::startup::Application::build(config).await {
        Ok(_) => panic!("two servers on one SQLite file"),
        Err(e) => e.to_string(),
    };
    assert!(
        error.contains("already serving the SQLite database"),
        "{error}"
    );
    assert!(error.contains("PostgreSQL"), "{error}");
    // The first one goes on serving.
    assert_eq!(app.get(&app.client, "/healthz").await.status(), 200);
}
