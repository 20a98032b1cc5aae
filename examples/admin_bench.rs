//! `GET /admin/users` with 10,000 accounts, for the closing notes: the real app in process on
//! a local port, asked over HTTP by an admin. One account in ten has chats, messages and
//! token usage, so the activity columns have rows to count.
//!
//! Usage: `scripts/bench.sh admin` (release build), or
//! `cargo run --release --features ssr --example admin_bench [-- --accounts N]`.
//! `DATABASE_URL` picks the engine (default: a fresh SQLite file in a temp directory).

use std::time::{Duration, Instant};

use maruntime::model::{Role, Usage, User};
use maruntime::server::store::RunUsage;
use serde_json::{json, Value};
use uuid::Uuid;

#[path = "support/bench_app.rs"]
mod bench_app;

const PASSWORD: &str = "plum-orbit-sailcloth-42";

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

/// `n` sequential GETs of `path` as the admin: (p50, p95, rows on the page).
async fn time_get(
    c: &reqwest::Client,
    base: &str,
    path: &str,
    n: usize,
) -> (Duration, Duration, usize) {
    let mut times = Vec::with_capacity(n);
    let mut rows = 0;
    for _ in 0..n {
        let t = Instant::now();
        let r = c
            .get(format!("{base}{path}"))
            .send()
            .await
            .expect("request");
        assert_eq!(r.status(), 200, "{path}");
        let body: Value = r.json().await.expect("json");
        times.push(t.elapsed());
        rows = body["data"].as_array().map_or(0, Vec::len);
    }
    times.sort();
    (percentile(&times, 0.5), percentile(&times, 0.95), rows)
}

#[tokio::main]
async fn main() {
    let mut accounts = 10_000usize;
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        match flag.as_str() {
            "--accounts" => accounts = it.next().and_then(|v| v.parse().ok()).expect("a number"),
            other => panic!("unknown flag {other}"),
        }
    }
    let (app, _dir) = bench_app::build().await;
    let state = app.state().clone();
    let base = format!("http://{}", app.local_addr());
    tokio::spawn(app.run_until_stopped(std::future::pending()));

    // The admin registers over HTTP: the first account of the instance.
    let admin = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let r = admin
        .post(format!("{base}/auth/register"))
        .json(&json!({"login": "owner", "password": PASSWORD, "display_name": "Owner"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let owner: Value = r.json().await.unwrap();
    assert_eq!(owner["role"], "admin");

    // The other accounts go straight into the store (one hash for all: argon2 for 10,000
    // accounts would take minutes and measure nothing here).
    let hash = state
        .store
        .user_by_login_key("owner")
        .await
        .expect("owner")
        .expect("owner exists")
        .password_hash;
    let started = Instant::now();
    for i in 1..accounts {
        let login = format!("user{i:05}");
        let user = User {
            id: Uuid::new_v4(),
            login: login.clone(),
            display_name: format!("Person {i}"),
            about: String::new(),
            created_at: chrono::Utc::now(),
            role: Default::default(),
            language: None,
        };
        state
            .store
            .insert_user(&user, &login, &hash)
            .await
            .expect("insert");
        if i % 10 == 0 {
            let chat = state
                .chats
                .start_chat(&user, None, None)
                .await
                .expect("chat");
            for m in 0..4 {
                let role = if m % 2 == 0 {
                    Role::User
                } else {
                    Role::Assistant
                };
                state
                    .chats
                    .append_message(&user, chat.id, role, "a few words of a chat", None)
                    .await
                    .expect("append");
            }
            let run = RunUsage {
                run_id: Uuid::new_v4(),
                usage: Usage {
                    prompt_tokens: 120,
                    completion_tokens: 80,
                    ..Default::default()
                },
            };
            state
                .store
                .record_usage(user.id, chat.id, chrono::Utc::now(), &run)
                .await
                .expect("usage");
        }
    }
    println!(
        "seeded {accounts} accounts ({} with a chat of 4 messages and a run) in {:.1} s",
        accounts / 10,
        started.elapsed().as_secs_f64()
    );

    // Warm up, then time each kind of page.
    time_get(&admin, &base, "/admin/users", 20).await;
    println!("\nGET /admin/users with {accounts} accounts, 200 sequential requests each:");
    for (label, path) in [
        ("first page (50)", "/admin/users".to_string()),
        ("page of 200", "/admin/users?limit=200".to_string()),
        (
            "last page (offset)",
            format!("/admin/users?offset={}", accounts.saturating_sub(50)),
        ),
        ("search q=user0421", "/admin/users?q=user0421".to_string()),
        (
            "search q=person (all match)",
            "/admin/users?q=person".to_string(),
        ),
    ] {
        let (p50, p95, rows) = time_get(&admin, &base, &path, 200).await;
        println!(
            "  {label:<28} p50 {:>9}  p95 {:>9}  ({rows} rows)",
            ms(p50),
            ms(p95)
        );
    }
}
