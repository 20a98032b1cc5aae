//! Imports a hostile account cannot turn against the server: memory bounded by what an import
//! keeps (not by how its JSON is shaped), skipped elements that cost little, imports that
//! can be stopped (by their owner, by the account's deletion, at shutdown), and giant
//! messages that are kept but bounded. Memory and CPU are read from a real server process.

use std::time::{Duration, Instant};

use reqwest::multipart::{Form, Part};
use reqwest::{Client, Response};
use serde_json::{json, Value};

use crate::helpers::*;
use crate::server_processes::ServerProcess;

fn claude(id: &str, text: &str) -> Value {
    json!({
        "uuid": id, "name": "A talk", "created_at": "2024-03-01T09:00:00.000000Z",
        "chat_messages": [
            {"uuid": format!("{id}-q"), "sender": "human", "text": "Tell me", "created_at": "2024-03-01T09:00:00.000000Z"},
            {"uuid": format!("{id}-a"), "sender": "assistant", "text": text, "created_at": "2024-03-01T09:00:01.000000Z"}
        ]
    })
}

/// One conversation of `bytes` of tiny objects: `[{"x":[{"":0},{"":0},…]}]`.
fn tiny_objects(bytes: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes + 16);
    out.extend_from_slice(b"[{\"x\":[");
    while out.len() < bytes {
        out.extend_from_slice(b"{\"\":0},");
    }
    out.extend_from_slice(b"{\"\":0}]}]");
    out
}

/// One real conversation, then `bytes` of `0,` (elements of no known format, all skipped);
/// with how many of those there are.
fn one_then_zeros(bytes: usize) -> (Vec<u8>, usize) {
    let mut out = format!("[{},", claude("real", "a real answer")).into_bytes();
    let zeros = bytes / 2;
    out.reserve(bytes + 2);
    for _ in 0..zeros {
        out.extend_from_slice(b"0,");
    }
    out.extend_from_slice(b"0]");
    (out, zeros + 1)
}

async fn upload(base: &str, client: &Client, name: &str, bytes: Vec<u8>) -> Response {
    let form = Form::new().part("file", Part::bytes(bytes).file_name(name.to_string()));
    client
        .post(format!("{base}/v1/imports"))
        .multipart(form)
        .send()
        .await
        .expect("request")
}

async fn register(base: &str, login: &str) -> Client {
    let client = new_client();
    let r = client
        .post(format!("{base}/auth/register"))
        .json(&json!({"login": login, "password": STRONG_PASSWORD, "display_name": login}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "registering {login}");
    client
}

/// One of the process's memory figures (`VmRSS:` now, `VmHWM:` its peak), in bytes.
fn memory(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with(field)).unwrap();
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib * 1024
}

/// CPU time the process has used (user and system).
fn cpu(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // Fields after the command name (which is in parentheses and may hold spaces).
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    let per_second: u64 = String::from_utf8(
        std::process::Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap()
    .trim()
    .parse()
    .unwrap();
    Duration::from_millis(ticks * 1000 / per_second)
}

fn sqlite_server(settings: &[(&str, &str)]) -> (ServerProcess, tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("db.sqlite").display());
    let server = ServerProcess::start_with(&db, &dir.path().join("memory"), settings);
    (server, dir, db)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hostile_imports_at_once_stay_within_300_mb_and_are_refused() {
    let (server, _dir, _) = sqlite_server(&[]);
    let ann = register(&server.url, "ann").await;
    let bob = register(&server.url, "bob").await;
    // 16 MiB of tiny objects zips to about 25 KB.
    let hostile = zip_of(&[("conversations.json", &tiny_objects(16 << 20))]);
    assert!(hostile.len() < 100_000, "{} bytes zipped", hostile.len());
    tokio::time::sleep(Duration::from_millis(500)).await;
    let pid = server.pid();
    let idle = memory(pid, "VmRSS:");
    // The kernel's peak of the process's resident memory, from now on.
    std::fs::write(format!("/proc/{pid}/clear_refs"), "5").unwrap();
    let (a, b) = tokio::join!(
        upload(&server.url, &ann, "export.zip", hostile.clone()),
        upload(&server.url, &bob, "export.zip", hostile.clone()),
    );
    let peak = memory(pid, "VmHWM:");
    for response in [a, b] {
        assert_eq!(response.status(), 413);
        let (_, message, _) = error_of(response).await;
        assert!(message.contains("memory"), "{message}");
    }
    let above = peak.saturating_sub(idle);
    println!(
        "two hostile imports at once: idle {} MB, peak {} MB ({} MB above idle)",
        idle >> 20,
        peak >> 20,
        above >> 20
    );
    assert!(above < 300 << 20, "{} MB above idle", above >> 20);
    // A real import still works afterwards.
    let fine = zip_of(&[(
        "conversations.json",
        json!([claude("ok", "fine")]).to_string().as_bytes(),
    )]);
    let r = upload(&server.url, &ann, "export.zip", fine).await;
    assert_eq!(r.status(), 201);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixteen_mib_of_skipped_elements_cost_little_cpu() {
    let (server, _dir, _) = sqlite_server(&[]);
    let ann = register(&server.url, "ann").await;
    let (file, skipped) = one_then_zeros(16 << 20);
    let zipped = zip_of(&[("conversations.json", &file)]);
    let before = cpu(server.pid());
    let started = Instant::now();
    let r = upload(&server.url, &ann, "export.zip", zipped).await;
    let spent = cpu(server.pid()) - before;
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["imported"], 1, "{body}");
    assert_eq!(body["skipped"], skipped as i64, "{body}");
    println!(
        "one conversation and {} skipped elements: {:.1} s CPU, {:.1} s",
        skipped,
        spent.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    assert!(spent < Duration::from_secs(15), "{spent:?} of CPU");
}

/// A zip of millions of skipped elements: checking it takes seconds, long enough to stop it.
fn long_import() -> Vec<u8> {
    let (file, _) = one_then_zeros(64 << 20);
    zip_of(&[("conversations.json", &file)])
}

async fn latest(base: &str, client: &Client) -> Value {
    client
        .get(format!("{base}/v1/imports/latest"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Waits (20 s at most) until the latest import is in `phase`.
async fn wait_for_phase(base: &str, client: &Client, phase: &str) -> Value {
    for _ in 0..200 {
        let seen = latest(base, client).await;
        if seen["state"] == "running" && seen["phase"] == phase {
            return seen;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "the import never reached {phase}: {}",
        latest(base, client).await
    );
}

on_both_engines! {
    async fn an_import_is_stopped_by_its_owner_and_by_the_accounts_deletion(app) {
        app.register("ann").await;
        let base = format!("http://{}", app.addr);
        let file = long_import();
        // Nothing to stop yet.
        let r = app.client.delete(app.url("/v1/imports/latest")).send().await.unwrap();
        assert_eq!(r.status(), 404);

        let (client, body) = (app.client.clone(), file.clone());
        let running = {
            let base = base.clone();
            tokio::spawn(async move { upload(&base, &client, "export.zip", body).await })
        };
        wait_for_phase(&base, &app.client, "checking").await;
        let asked = Instant::now();
        let r = app.client.delete(app.url("/v1/imports/latest")).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let stopped: Value = r.json().await.unwrap();
        assert_eq!(stopped["state"], "failed", "{stopped}");
        assert!(stopped["error"].as_str().unwrap().contains("stopped"), "{stopped}");
        let answer = running.await.unwrap();
        assert_eq!(answer.status(), 409);
        println!("stopped by its owner in {:.2} s", asked.elapsed().as_secs_f64());
        assert!(asked.elapsed() < Duration::from_secs(5));

        // The account goes while its import runs: the import stops with it.
        let bob = app.other_client();
        assert_eq!(app.register_with(&bob, "bob", STRONG_PASSWORD).await.status(), 201);
        let running = {
            let (base, bob) = (base.clone(), bob.clone());
            tokio::spawn(async move { upload(&base, &bob, "export.zip", file).await })
        };
        wait_for_phase(&base, &bob, "checking").await;
        let deleting = Instant::now();
        let r = bob.delete(app.url("/auth/me")).json(&json!({"password": STRONG_PASSWORD})).send().await.unwrap();
        assert_eq!(r.status(), 204);
        let answer = tokio::time::timeout(Duration::from_secs(10), running).await.expect("the import ends").unwrap();
        assert_ne!(answer.status(), 201);
        println!("stopped with its account in {:.2} s", deleting.elapsed().as_secs_f64());
    }

    async fn a_giant_imported_message_is_cut_and_its_page_stays_small(app) {
        app.register("ann").await;
        let giant = "Lorem ipsum dolor sit amet. ".repeat(300_000); // 8.4 MB
        let file = json!([claude("giant", &giant)]).to_string().into_bytes();
        let r = upload(&format!("http://{}", app.addr), &app.client, "conversations.json", file).await;
        let body: Value = r.json().await.unwrap();
        assert_eq!((body["imported"].as_i64(), body["truncated"].as_i64()), (Some(1), Some(1)), "{body}");
        let latest: Value = app.get(&app.client, "/v1/imports/latest").await.json().await.unwrap();
        assert_eq!(latest["truncated"], 1, "{latest}");
        let chat = body["chats"][0]["id"].as_str().unwrap().to_string();
        let messages: Value = app.get(&app.client, &format!("/v1/chats/{chat}/messages")).await.json().await.unwrap();
        let answer = messages["data"][1]["content"].as_str().unwrap().to_string();
        assert!(answer.len() <= (256 << 10) + 200, "{} bytes kept", answer.len());
        assert!(answer.starts_with("Lorem ipsum"));
        assert!(answer.ends_with("[… cut on import: the message was 8204 KB; its first 256 KB are kept]"), "{}", &answer[answer.len() - 100..]);

        // The page renders the first 32,000 characters and offers the rest.
        let started = Instant::now();
        let page = app.get_page(&app.client, &format!("/chat/{chat}")).await;
        assert_eq!(page.status(), 200);
        let html = page.text().await.unwrap();
        let took = started.elapsed();
        println!("a chat page with a 256 KB message: {} KB of HTML in {:.0} ms", html.len() >> 10, took.as_secs_f64() * 1000.0);
        assert!(took < Duration::from_secs(1), "{took:?}");
        assert!(html.len() < 200_000, "{} bytes of HTML", html.len());
        assert!(html.contains("Show the whole message"));
        assert!(!html.contains("cut on import"), "the end of the message is not on the page");

        // The whole message, as the page's button loads it.
        use leptos::server_fn::ServerFn;
        let message_id = messages["data"][1]["id"].as_str().unwrap();
        let r = app
            .client
            .post(app.url(maruntime::api::chats::WholeMessage::PATH))
            .header("origin", format!("http://{}", app.addr))
            .header("accept", "application/json")
            .form(&[("chat_id", chat.as_str()), ("message_id", message_id)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let whole: Value = r.json().await.unwrap();
        assert_eq!(whole["content"].as_str().unwrap(), answer);
        assert!(whole["html"].as_str().unwrap().contains("cut on import"));
        // Someone else's message is not found.
        let eve = app.other_client();
        app.register_with(&eve, "eve", STRONG_PASSWORD).await;
        let r = eve
            .post(app.url(maruntime::api::chats::WholeMessage::PATH))
            .header("origin", format!("http://{}", app.addr))
            .header("accept", "application/json")
            .form(&[("chat_id", chat.as_str()), ("message_id", message_id)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_during_an_import_stops_it_within_the_grace_and_marks_it_failed() {
    let (mut server, dir, db) = sqlite_server(&[("MARUNTIME_SHUTDOWN_GRACE_SECS", "1")]);
    let ann = register(&server.url, "ann").await;
    let running = {
        let (base, ann) = (server.url.clone(), ann.clone());
        tokio::spawn(async move { upload(&base, &ann, "export.zip", long_import()).await })
    };
    wait_for_phase(&server.url, &ann, "checking").await;
    let stopping = Instant::now();
    server.terminate();
    assert!(server.wait_exit(Duration::from_secs(20)).success());
    let took = stopping.elapsed();
    println!(
        "SIGTERM during an import: exited after {:.2} s (grace 1 s)",
        took.as_secs_f64()
    );
    assert!(took < Duration::from_secs(4), "{took:?}");
    let answer = running.await.unwrap();
    assert_eq!(answer.status(), 503);
    // The next process finds the import failed, saying why.
    let next = ServerProcess::start(&db, &dir.path().join("memory"));
    let r = ann
        .post(format!("{}/auth/login", next.url))
        .json(&json!({"login": "ann", "password": STRONG_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let seen = latest(&next.url, &ann).await;
    assert_eq!(seen["state"], "failed", "{seen}");
    assert!(
        seen["error"].as_str().unwrap().contains("shut down"),
        "{seen}"
    );
}
