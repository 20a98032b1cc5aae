//! Appending one message (database, search index and chat document) into a chat of 5,000
//! messages and into new chats: the cost of an append should not grow with the chat.
//! In process through the real services; `DATABASE_URL=postgres://…` runs it on PostgreSQL.
//! Usage: scripts/bench.sh append

use std::time::{Duration, Instant};

use maruntime::model::{Role, User};
use maruntime::server::auth::ClientInfo;
use maruntime::server::state::AppState;

#[path = "support/bench_app.rs"]
mod bench_app;

const LONG_CHAT: usize = 5_000;
const SAMPLES: usize = 500;

fn text(i: usize) -> String {
    format!(
        "message {i}: the queue worker retries a failed delivery with backoff and records every attempt in the ledger"
    )
}

async fn register(state: &AppState, login: &str) -> User {
    let client = ClientInfo::default();
    state
        .auth
        .accounts
        .register(login, "plum-orbit-sailcloth-42", login, None, None, &client)
        .await
        .expect("register")
        .user
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn report(label: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let ms = |d: Duration| format!("{:.2} ms", d.as_secs_f64() * 1000.0);
    println!(
        "{label}, n={}: p50 {}, p99 {}",
        samples.len(),
        ms(percentile(&samples, 0.5)),
        ms(percentile(&samples, 0.99))
    );
}

#[tokio::main]
async fn main() {
    let (app, _dir) = bench_app::build().await;
    let state = app.state().clone();
    let ann = register(&state, &format!("append{}", std::process::id())).await;

    // A long chat, filled through the real append path.
    let long = state
        .chats
        .start_chat(&ann, None, None)
        .await
        .expect("chat");
    let started = Instant::now();
    for i in 0..LONG_CHAT {
        let role = if i % 2 == 0 {
            Role::User
        } else {
            Role::Assistant
        };
        state
            .chats
            .append_message(&ann, long.id, role, &text(i), None)
            .await
            .expect("append");
    }
    println!(
        "filled a chat with {LONG_CHAT} messages in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let mut into_long = Vec::with_capacity(SAMPLES);
    for i in 0..SAMPLES {
        let t = Instant::now();
        state
            .chats
            .append_message(&ann, long.id, Role::User, &text(LONG_CHAT + i), None)
            .await
            .expect("append");
        into_long.push(t.elapsed());
    }
    let mut into_new = Vec::with_capacity(SAMPLES);
    for i in 0..SAMPLES {
        let chat = state
            .chats
            .start_chat(&ann, None, None)
            .await
            .expect("chat");
        let t = Instant::now();
        state
            .chats
            .append_message(&ann, chat.id, Role::User, &text(i), None)
            .await
            .expect("append");
        into_new.push(t.elapsed());
    }
    report(
        &format!("append into a chat of {LONG_CHAT}+ messages"),
        into_long,
    );
    report("append the first message of a new chat", into_new);
    let findings = state
        .chats
        .documents()
        .verify(Some(ann.id))
        .await
        .expect("verify");
    println!("memory verify after the run: {} findings", findings.len());
}
