//! Several servers on one PostgreSQL database, in this test process: what they must agree on
//! goes through the database, not through one server's memory (each app shares nothing in
//! memory with the other, as a second process would). Real processes: `server_processes`.

use serde_json::json;

use crate::helpers::*;
use maruntime::server::store::Job;

/// Two servers on one fresh PostgreSQL database (these tests are ignored unless PostgreSQL is
/// configured).
async fn two_on_postgres(
    tweak: impl Fn(&mut std::collections::HashMap<String, String>) + Clone,
) -> (TestApp, TestApp) {
    let first = spawn_app_on(Engine::Postgres, tweak.clone())
        .await
        .unwrap_or_else(|| postgres_required());
    let second = first.sibling(tweak).await;
    (first, second)
}

/// A new account registered through `app`, and the client holding its session (cookies
/// belong to the host, not the port: the session goes to every server).
async fn signed_in(app: &TestApp, login: &str) -> reqwest::Client {
    let client = app.other_client();
    assert_eq!(
        app.register_with(&client, login, STRONG_PASSWORD)
            .await
            .status(),
        201
    );
    client
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "PostgreSQL: runs when MARUNTIME_TEST_POSTGRES_URL is set (scripts/test.sh)"]
async fn the_failed_login_limit_holds_across_servers() {
    let (a, b) = two_on_postgres(|v| {
        v.insert("MARUNTIME_LOGIN_LIMIT".into(), "4".into());
    })
    .await;
    a.register("ann").await;
    // Four wrong passwords, alternating between the servers, use up the login's limit...
    for (i, app) in [&a, &b, &a, &b].into_iter().enumerate() {
        let r = app
            .login_with(&app.other_client(), "ann", "wrong-password-here")
            .await;
        assert_eq!(r.status(), 401, "attempt {i}");
    }
    // ...on both: the fifth is refused wherever it goes, even with the right password.
    for app in [&a, &b] {
        let r = app
            .login_with(&app.other_client(), "ann", STRONG_PASSWORD)
            .await;
        assert_eq!(r.status(), 429);
        assert!(r.headers().contains_key("retry-after"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "PostgreSQL: runs when MARUNTIME_TEST_POSTGRES_URL is set (scripts/test.sh)"]
async fn a_correct_login_on_one_server_is_not_counted_on_the_other() {
    let (a, b) = two_on_postgres(|v| {
        v.insert("MARUNTIME_LOGIN_LIMIT".into(), "3".into());
    })
    .await;
    a.register("bob").await;
    let wrong = |app: &TestApp| {
        let (app_url, client) = (app.url("/auth/login"), app.other_client());
        async move {
            client
                .post(app_url)
                .json(&json!({"login": "bob", "password": "wrong-password-here"}))
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(wrong(&a).await, 401);
    // A success gives its count back (its address's count is shared by both servers).
    assert_eq!(
        b.login_with(&b.other_client(), "bob", STRONG_PASSWORD)
            .await
            .status(),
        200
    );
    assert_eq!(wrong(&a).await, 401);
    assert_eq!(wrong(&b).await, 401);
    // Now the address has its three failures, on both servers.
    assert_eq!(wrong(&a).await, 429);
    assert_eq!(wrong(&b).await, 429);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "PostgreSQL: runs when MARUNTIME_TEST_POSTGRES_URL is set (scripts/test.sh)"]
async fn a_session_made_on_one_server_works_on_the_other() {
    let (a, b) = two_on_postgres(|_| {}).await;
    let client = signed_in(&a, "cat").await;
    let chat = client
        .post(a.url("/v1/chats"))
        .json(&json!({"title": "Shared"}))
        .send()
        .await
        .unwrap();
    assert_eq!(chat.status(), 201);
    // The same cookie, sent to the other server.
    let me = client.get(b.url("/auth/me")).send().await.unwrap();
    // (Cookies belong to a host, not a port: the client sends the session to both.)
    assert_eq!(me.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "PostgreSQL: runs when MARUNTIME_TEST_POSTGRES_URL is set (scripts/test.sh)"]
async fn one_server_holds_the_background_job_lease() {
    let (a, b) = two_on_postgres(|_| {}).await;
    // Each server tries for the lease as it starts serving: one holds it, the other waits.
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&a.database_url)
        .await
        .unwrap();
    let holders = || {
        sqlx::query_scalar::<_, i64>(
            "select count(*) from pg_locks where locktype = 'advisory' and granted \
             and database = (select oid from pg_database where datname = current_database()) \
             and ((classid::bigint << 32) | objid::bigint) = $1",
        )
        .bind(Job::Housekeeping.key())
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while holders().fetch_one(&mut conn).await.unwrap() == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "nobody took the lease"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(holders().fetch_one(&mut conn).await.unwrap(), 1);
    for app in [&a, &b] {
        assert!(app
            .state
            .store
            .try_lease(Job::Housekeeping)
            .await
            .unwrap()
            .is_none());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "PostgreSQL: runs when MARUNTIME_TEST_POSTGRES_URL is set (scripts/test.sh)"]
async fn servers_started_at_once_on_an_empty_database_all_come_up() {
    let admin = postgres_admin_url().unwrap_or_else(|| postgres_required());
    let db = PgDatabase::create(&admin).await;
    let dirs: Vec<_> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let builds = dirs.iter().map(|dir| {
        let mut values = base_values(dir);
        values.insert("DATABASE_URL".into(), db.url.clone());
        let config = maruntime::server::config::Config::from_map(&values).unwrap();
        maruntime::server::startup::Application::build(config)
    });
    // Migrations, the instance's secrets: whoever comes first makes them, the others agree.
    let apps: Vec<_> = futures::future::join_all(builds)
        .await
        .into_iter()
        .map(|built| built.expect("every server comes up"))
        .collect();
    let urls: Vec<String> = apps
        .into_iter()
        .map(|app| {
            let url = format!("http://{}", app.local_addr());
            tokio::spawn(app.run_until_stopped(std::future::pending()));
            url
        })
        .collect();
    let client = new_client();
    let register = client
        .post(format!("{}/auth/register", urls[0]))
        .json(&json!({"login": "dan", "password": STRONG_PASSWORD, "display_name": "Dan"}))
        .send()
        .await
        .unwrap();
    assert_eq!(register.status(), 201);
    let login = client
        .post(format!("{}/auth/login", urls[2]))
        .json(&json!({"login": "dan", "password": STRONG_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);
    let me: serde_json::Value = client
        .get(format!("{}/auth/me", urls[1]))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // The first account is the instance's admin, whichever server it came through.
    assert_eq!(me["role"], "admin");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "PostgreSQL: runs when MARUNTIME_TEST_POSTGRES_URL is set (scripts/test.sh)"]
async fn messages_sent_through_both_servers_keep_one_order_in_database_and_document() {
    let (a, b) = two_on_postgres(|v| {
        v.insert("MARUNTIME_REGISTER_LIMIT".into(), "100".into());
    })
    .await;
    let client = signed_in(&a, "eve").await;
    let chat = create_chat_titled(&a, &client, Some("Busy")).await;
    send_through_in_turn(&client, &[a.url(""), b.url("")], &chat, 80).await;
    let stored: serde_json::Value = client
        .get(a.url(&format!("/v1/chats/{chat}/messages?limit=200")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stored["data"].as_array().unwrap().len(), 80);
    // The document holds the same 80 entries in the database's order, whichever server
    // wrote each one (`memory verify` compares it with a rendering from the database).
    for app in [&a, &b] {
        let findings = app.state.chats.documents().verify(None).await.unwrap();
        assert!(findings.is_empty(), "{findings:?}");
    }
}

/// Two servers on one PostgreSQL database, both answering with the fake model.
async fn two_with_model(fake: &crate::fake_llm::FakeLlm) -> (TestApp, TestApp) {
    let url = fake.base_url.clone();
    two_on_postgres(move |v| {
        v.insert("MARUNTIME_LLM_BASE_URL".into(), url.clone());
        v.insert("MARUNTIME_LLM_MODEL".into(), "fake-model".into());
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "PostgreSQL: runs when MARUNTIME_TEST_POSTGRES_URL is set (scripts/test.sh)"]
async fn a_run_started_on_one_server_is_followed_and_stopped_from_the_other() {
    use crate::fake_llm::{FakeLlm, Script};
    let fake = FakeLlm::start(vec![Script::Endless { delay_ms: 30 }]).await;
    let (a, b) = two_with_model(&fake).await;
    let client = signed_in(&a, "hal").await;
    let mut answer = client
        .post(a.url("/v1/chat/completions"))
        .json(&json!({"model": "memory-agent", "stream": true,
                      "messages": [{"role": "user", "content": "sing"}]}))
        .send()
        .await
        .unwrap();
    let chat = answer.headers()["x-chat-id"].to_str().unwrap().to_string();
    answer.chunk().await.unwrap();
    // The other server follows the run from its start...
    let mut follow = client
        .get(b.url(&format!("/v1/chats/{chat}/run")))
        .send()
        .await
        .unwrap();
    assert_eq!(follow.status(), 200);
    let mut seen = String::new();
    while !seen.contains("\"type\":\"delta\"") {
        seen.push_str(&String::from_utf8_lossy(
            &follow.chunk().await.unwrap().unwrap(),
        ));
    }
    assert!(seen.starts_with("data: {\"type\":\"started\""), "{seen}");
    // ...and stops it.
    let stopped: serde_json::Value = client
        .post(b.url(&format!("/v1/chats/{chat}/stop")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stopped["stopped"], true, "{stopped}");
    let mut rest = String::new();
    while let Some(chunk) = answer.chunk().await.unwrap() {
        rest.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(rest.contains("\"finish_reason\":\"stop\""), "{rest}");
    while let Some(chunk) = follow.chunk().await.unwrap() {
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(seen.contains("\"type\":\"stopped\""), "{seen}");
    // Nothing runs any more, on either server.
    for app in [&a, &b] {
        let r = client
            .get(app.url(&format!("/v1/chats/{chat}/run")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 204);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "PostgreSQL: runs when MARUNTIME_TEST_POSTGRES_URL is set (scripts/test.sh)"]
async fn turns_sent_through_both_servers_take_turns_in_one_chat() {
    use crate::fake_llm::{FakeLlm, Script};
    let fake = FakeLlm::start(vec![Script::Slow(vec!["first ".into(), "answer".into()])]).await;
    let (a, b) = two_with_model(&fake).await;
    let client = signed_in(&a, "ivy").await;
    let first = client
        .post(a.url("/v1/chat/completions"))
        .json(&json!({"model": "memory-agent", "messages": [{"role": "user", "content": "q0"}]}))
        .send()
        .await
        .unwrap();
    let chat = first.headers()["x-chat-id"].to_str().unwrap().to_string();
    assert_eq!(first.status(), 200);
    for _ in 0..6 {
        fake.push(Script::Slow(vec!["echo ".into(), "back".into()]));
    }
    // Six turns at once, alternating between the servers: each waits for the one before.
    let turns = (1..=6).map(|i| {
        let (url, client, chat) = (
            if i % 2 == 0 { a.url("") } else { b.url("") },
            client.clone(),
            chat.clone(),
        );
        async move {
            let r = client
                .post(format!("{url}/v1/chat/completions"))
                .json(&json!({"model": "memory-agent", "chat_id": chat,
                              "messages": [{"role": "user", "content": format!("q{i}")}]}))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200, "turn {i}");
        }
    });
    futures::future::join_all(turns).await;
    let stored: serde_json::Value = client
        .get(a.url(&format!("/v1/chats/{chat}/messages?limit=100")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let roles: Vec<&str> = stored["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["role"].as_str().unwrap())
        .collect();
    // Question, answer, question, answer: never two runs at once in the chat.
    assert_eq!(roles.len(), 14, "{roles:?}");
    for pair in roles.chunks(2) {
        assert_eq!(pair, ["user", "assistant"], "{roles:?}");
    }
    // The last turn's model saw the whole history, whichever server stored each part.
    let last = fake.requests().last().unwrap()["messages"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(last, 1 + 13, "the system prompt and thirteen messages");
    for app in [&a, &b] {
        let findings = app.state.chats.documents().verify(None).await.unwrap();
        assert!(findings.is_empty(), "{findings:?}");
    }
}
