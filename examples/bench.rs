//! Load figures for the closing notes, against a running maruntime server (see
//! `scripts/bench.sh`, which starts the release build with a fresh database and runs this).
//!
//! Usage: bench --url http://127.0.0.1:3300 --pid <server pid> <auth|chats>

use std::time::{Duration, Instant};

use reqwest::Client;
use serde_json::{json, Value};

const PASSWORD: &str = "plum-orbit-sailcloth-42";

struct Args {
    url: String,
    pid: u32,
    what: String,
}

fn args() -> Args {
    let mut url = "http://127.0.0.1:3300".to_string();
    let mut pid = 0;
    let mut what = "auth".to_string();
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--url" => url = it.next().expect("--url value"),
            "--pid" => pid = it.next().expect("--pid value").parse().expect("pid"),
            other => what = other.to_string(),
        }
    }
    Args { url, pid, what }
}

fn client() -> Client {
    Client::builder()
        .cookie_store(true)
        .pool_max_idle_per_host(256)
        .build()
        .unwrap()
}

/// Resident memory of the server process, in MiB: (current, peak).
fn rss_mib(pid: u32) -> (f64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
            / 1024.0
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

/// One line of a load result: throughput and latency percentiles.
fn report(label: &str, unit: &str, count: usize, secs: u64, latencies: &[Duration]) {
    println!(
        "{label}, {secs} s: {:.0} {unit}/s, p50 {} p99 {}",
        count as f64 / secs as f64,
        ms(percentile(latencies, 0.5)),
        ms(percentile(latencies, 0.99))
    );
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

async fn register(c: &Client, url: &str, login: &str) {
    let r = c
        .post(format!("{url}/auth/register"))
        .json(&json!({"login": login, "password": PASSWORD, "display_name": login}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "register {login}: {}", r.status());
}

/// Runs `requests` with `concurrency` workers for `duration`; returns (count, latencies).
async fn load<F, Fut>(concurrency: usize, duration: Duration, make: F) -> (usize, Vec<Duration>)
where
    F: Fn() -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let deadline = Instant::now() + duration;
    let mut handles = Vec::new();
    for _ in 0..concurrency {
        let make = make.clone();
        handles.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            while Instant::now() < deadline {
                let t = Instant::now();
                assert!(make().await, "request failed under load");
                lat.push(t.elapsed());
            }
            lat
        }));
    }
    let mut all = Vec::new();
    for h in handles {
        all.extend(h.await.unwrap());
    }
    all.sort();
    (all.len(), all)
}

/// GETs `url` from `concurrency` workers for 10 s (each response read whole) and reports.
async fn get_load(c: &Client, url: String, accept: &'static str, concurrency: usize, label: &str) {
    let secs = 10;
    let (n, lat) = load(concurrency, Duration::from_secs(secs), {
        let c = c.clone();
        move || {
            let c = c.clone();
            let u = url.clone();
            async move {
                match c.get(&u).header("accept", accept).send().await {
                    Ok(r) if r.status() == 200 => r.bytes().await.is_ok(),
                    _ => false,
                }
            }
        }
    })
    .await;
    report(
        &format!("{label}, {concurrency} concurrent"),
        "req",
        n,
        secs,
        &lat,
    );
}

async fn bench_auth(a: &Args) {
    let url = a.url.clone();
    let c = client();
    register(&c, &url, "bench").await;

    // Login latency, one at a time (argon2id dominates).
    let mut lat = Vec::new();
    for _ in 0..60 {
        let fresh = client();
        let t = Instant::now();
        let r = fresh
            .post(format!("{url}/auth/login"))
            .json(&json!({"login": "bench", "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        lat.push(t.elapsed());
    }
    lat.sort();
    println!(
        "login latency (sequential, n=60): p50 {} p99 {}",
        ms(percentile(&lat, 0.5)),
        ms(percentile(&lat, 0.99))
    );

    // GET /auth/me at 64 concurrent connections.
    get_load(
        &c,
        format!("{url}/auth/me"),
        "application/json",
        64,
        "GET /auth/me",
    )
    .await;

    // Memory during a flood of 200 concurrent logins.
    let (before, _) = rss_mib(a.pid);
    let sampler_pid = a.pid;
    let sampling = tokio::spawn(async move {
        let mut peak: f64 = 0.0;
        for _ in 0..400 {
            peak = peak.max(rss_mib(sampler_pid).0);
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        peak
    });
    let t = Instant::now();
    let mut flood = Vec::new();
    for _ in 0..200 {
        let url = url.clone();
        flood.push(tokio::spawn(async move {
            client()
                .post(format!("{url}/auth/login"))
                .json(&json!({"login": "bench", "password": PASSWORD}))
                .send()
                .await
                .map(|r| r.status().as_u16())
                .unwrap_or(0)
        }));
    }
    let mut ok = 0;
    for f in flood {
        if f.await.unwrap() == 200 {
            ok += 1;
        }
    }
    let took = t.elapsed();
    sampling.abort();
    let (after, hwm) = rss_mib(a.pid);
    println!(
        "200 concurrent logins: {ok} ok in {:.2} s; server RSS before {before:.1} MiB, after {after:.1} MiB, peak (VmHWM) {hwm:.1} MiB",
        took.as_secs_f64()
    );
}

/// Peak memory and answers during 5,000 parallel login attempts with wrong passwords for
/// unknown logins (each would cost a hash), from one client address. First the same number of
/// parallel `GET /healthz`: what 5,000 connections cost the server without any login.
async fn bench_flood(a: &Args) {
    let url = a.url.clone();
    let c = Client::builder()
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_secs(600))
        .build()
        .unwrap();
    for (label, login) in [("GET /healthz", false), ("wrong logins", true)] {
        let (before, _) = rss_mib(a.pid);
        let t = Instant::now();
        let mut flood = Vec::new();
        for i in 0..5000 {
            let (c, url) = (c.clone(), url.clone());
            flood.push(tokio::spawn(async move {
                let t = Instant::now();
                let request = if login {
                    c.post(format!("{url}/auth/login"))
                        .json(&json!({"login": format!("nobody{i}"), "password": "wrong password"}))
                } else {
                    c.get(format!("{url}/healthz"))
                };
                let status = request
                    .send()
                    .await
                    .map(|r| r.status().as_u16())
                    .unwrap_or(0);
                (status, t.elapsed())
            }));
        }
        let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
        let mut lat = Vec::new();
        for f in flood {
            let (status, took) = f.await.unwrap();
            *statuses.entry(status).or_default() += 1;
            lat.push(took);
        }
        lat.sort();
        let (after, hwm) = rss_mib(a.pid);
        println!(
            "5,000 parallel {label} in {:.1} s: answers {statuses:?} (0 = connection failed), p50 {} p99 {}; server RSS before {before:.1} MiB, after {after:.1} MiB, peak so far (VmHWM) {hwm:.1} MiB",
            t.elapsed().as_secs_f64(),
            ms(percentile(&lat, 0.5)),
            ms(percentile(&lat, 0.99)),
        );
    }
}

async fn bench_chats(a: &Args) {
    let url = a.url.clone();
    let c = client();
    register(&c, &url, "chatty").await;
    let t = Instant::now();
    let mut big = String::new();
    for i in 0..500 {
        let chat: Value = c
            .post(format!("{url}/v1/chats"))
            .json(&json!({"title": format!("Chat number {i}")}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if i == 0 {
            big = chat["id"].as_str().unwrap().to_string();
        }
    }
    for i in 0..1000 {
        let r = c
            .post(format!("{url}/v1/chats/{big}/messages"))
            .json(&json!({"content": format!("Message {i}: some words about the Atlas project, the weather in Moscow and **markdown** with `code`.")}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
    }
    println!(
        "setup: 500 chats and 1,000 messages in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    for (label, path, accept) in [
        (
            "GET /chat/{id} (SSR page)",
            format!("/chat/{big}"),
            "text/html",
        ),
        ("GET /v1/chats", "/v1/chats".to_string(), "application/json"),
    ] {
        get_load(&c, format!("{url}{path}"), accept, 8, label).await;
    }
    let page = c
        .get(format!("{url}/chat/{big}"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    println!(
        "chat page size: {} KiB of HTML (the latest 50 messages and 50 chats)",
        page.len() / 1024
    );
}

/// A model that answers at once (three content chunks and [DONE]), or, when the question
/// says "slow", streams 400 pieces of 24 characters 10 ms apart (a run of 4 s).
async fn start_instant_llm(port: u16) {
    use axum::routing::post;
    fn piece(text: &str) -> String {
        format!(
            "data: {}\n\n",
            json!({"choices": [{"index": 0, "delta": {"content": text}}]})
        )
    }
    async fn answer(axum::Json(request): axum::Json<Value>) -> axum::response::Response {
        let slow = request["messages"]
            .as_array()
            .and_then(|m| m.last())
            .and_then(|m| m["content"].as_str())
            .is_some_and(|c| c.contains("slow"));
        let body = if slow {
            let stream = futures::stream::unfold(0, |i| async move {
                if i > 400 {
                    return None;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
                let text = if i == 400 {
                    "data: [DONE]\n\n".to_string()
                } else {
                    piece("twenty-four characters. ")
                };
                Some((Ok::<_, std::convert::Infallible>(text), i + 1))
            });
            axum::body::Body::from_stream(stream)
        } else {
            let mut body = String::new();
            for text in ["Instant ", "fake ", "reply."] {
                body.push_str(&piece(text));
            }
            body.push_str("data: [DONE]\n\n");
            axum::body::Body::from(body)
        };
        axum::response::Response::builder()
            .header("content-type", "text/event-stream")
            .body(body)
            .unwrap()
    }
    let app = axum::Router::new().route("/v1/chat/completions", post(answer));
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
}

/// Time from sending a streaming request to its first content delta.
async fn first_token(c: &Client, url: &str, body: &Value) -> Duration {
    let t = Instant::now();
    let mut r = c.post(url).json(body).send().await.unwrap();
    assert_eq!(r.status(), 200);
    loop {
        let chunk = r.chunk().await.unwrap().expect("a content chunk arrives");
        if String::from_utf8_lossy(&chunk).contains("\"content\":\"Instant") {
            return t.elapsed();
        }
    }
}

async fn bench_agent(a: &Args, llm_port: u16) {
    let url = a.url.clone();
    let c = client();
    register(&c, &url, "agentbench").await;
    let key: Value = c
        .post(format!("{url}/auth/api-keys"))
        .json(&json!({"name": "bench"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let key = key["key"].as_str().unwrap().to_string();
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("authorization", format!("Bearer {key}").parse().unwrap());
    let api = Client::builder()
        .default_headers(headers)
        .pool_max_idle_per_host(64)
        .build()
        .unwrap();

    // Time to first token: directly from the fake model, and through maruntime.
    let direct_url = format!("http://127.0.0.1:{llm_port}/v1/chat/completions");
    let gateway_url = format!("{url}/v1/chat/completions");
    let body = json!({"model": "memory-agent", "stream": true, "messages": [{"role": "user", "content": "hello"}]});
    let (mut direct, mut through) = (Vec::new(), Vec::new());
    for _ in 0..200 {
        direct.push(first_token(&api, &direct_url, &body).await);
        through.push(first_token(&api, &gateway_url, &body).await);
    }
    direct.sort();
    through.sort();
    println!(
        "first token, direct from the fake model: p50 {} p99 {}; through maruntime: p50 {} p99 {} (n=200 each)",
        ms(percentile(&direct, 0.5)), ms(percentile(&direct, 0.99)),
        ms(percentile(&through, 0.5)), ms(percentile(&through, 0.99))
    );
    println!(
        "runtime's added latency to first token: p50 {} p99 {}",
        ms(percentile(&through, 0.5).saturating_sub(percentile(&direct, 0.5))),
        ms(percentile(&through, 0.99).saturating_sub(percentile(&direct, 0.99)))
    );

    // Memory held per running run: 64 runs streaming at once (in 64 chats), RSS sampled
    // while all of them run, against the RSS just before.
    let pid = a.pid;
    let (before, _) = rss_mib(pid);
    let slow = json!({"model": "memory-agent", "stream": true, "messages": [{"role": "user", "content": "a slow one"}]});
    let mut open = Vec::new();
    for _ in 0..64 {
        let r = api.post(&gateway_url).json(&slow).send().await.unwrap();
        assert_eq!(
            r.status(),
            200,
            "raise MARUNTIME_RUNS_PER_USER for this benchmark"
        );
        open.push(r);
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let (during, _) = rss_mib(pid);
    for r in open {
        r.bytes().await.unwrap();
    }
    println!(
        "memory per running run: RSS {before:.1} MiB idle, {during:.1} MiB with 64 runs streaming: {:.0} KiB a run",
        (during - before) * 1024.0 / 64.0
    );
    // The throughput at 32 connections is measured with wrk by scripts/bench.sh; it needs the key.
    println!("API key: {key}");
}

/// What idle costs and what use adds: the server's RSS as it started, after 100 logins (one
/// at a time: a person's, not a flood's), then after 1,000 requests of each kind, one at a
/// time (pages, JSON routes, search, a static file, completions against the instant model).
async fn bench_memory(a: &Args, llm_port: u16) {
    let url = a.url.clone();
    let report = |label: &str| {
        let (now, peak) = rss_mib(a.pid);
        println!("RSS {now:6.1} MiB (peak {peak:6.1} MiB) {label}");
    };
    report("at start, 1 s after");
    let c = client();
    let r = c
        .post(format!("{url}/auth/register"))
        .json(&json!({"login": "memory", "password": PASSWORD, "display_name": "Memory"}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "register: {}", r.status());
    for _ in 0..100 {
        let r = c
            .post(format!("{url}/auth/login"))
            .json(&json!({"login": "memory", "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    report("after 100 logins");
    let chat: Value = c
        .post(format!("{url}/v1/chats"))
        .json(&json!({"title": "Memory"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let chat = chat["id"].as_str().unwrap().to_string();
    for i in 0..20 {
        c.post(format!("{url}/v1/chats/{chat}/messages"))
            .json(&json!({"content": format!("message {i} about queues and the Atlas project")}))
            .send()
            .await
            .unwrap();
    }
    let wasm = std::fs::read_dir("target/site/pkg")
        .ok()
        .and_then(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().to_string())
                .find(|n| n.ends_with(".wasm"))
        })
        .map(|n| format!("/pkg/{n}"));
    let mut kinds: Vec<(String, String, &str)> = vec![
        ("the landing page".into(), "/".into(), "text/html"),
        ("a chat page".into(), format!("/chat/{chat}"), "text/html"),
        ("the profile page".into(), "/profile".into(), "text/html"),
        ("GET /auth/me".into(), "/auth/me".into(), "application/json"),
        (
            "GET /v1/chats".into(),
            "/v1/chats".into(),
            "application/json",
        ),
        (
            "GET /v1/chats/{id}/messages".into(),
            format!("/v1/chats/{chat}/messages"),
            "application/json",
        ),
        (
            "search".into(),
            "/v1/chats/search?q=atlas+queues".into(),
            "application/json",
        ),
    ];
    if let Some(wasm) = wasm {
        kinds.push(("a WASM download (brotli)".into(), wasm, "*/*"));
    }
    for (label, path, accept) in kinds {
        for _ in 0..1000 {
            let r = c
                .get(format!("{url}{path}"))
                .header("accept", accept)
                .header("accept-encoding", "br")
                .send()
                .await
                .unwrap();
            assert!(r.status().is_success(), "{label}: {}", r.status());
            r.bytes().await.unwrap();
        }
        report(&format!("after 1,000 more: {label}"));
    }
    start_instant_llm(llm_port).await;
    for i in 0..1000 {
        let r = c
            .post(format!("{url}/v1/chat/completions"))
            .json(&json!({"model": "memory-agent", "messages": [{"role": "user", "content": format!("question {i}")}]}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        r.bytes().await.unwrap();
    }
    report("after 1,000 more: completions (each a new chat)");
    // Unused password-hash buffers are freed after a minute (src/server/auth/password.rs).
    tokio::time::sleep(Duration::from_secs(80)).await;
    report("80 s after the last request");
}

#[tokio::main]
async fn main() {
    let a = args();
    let llm_port = 3302;
    match a.what.as_str() {
        "auth" => bench_auth(&a).await,
        "chats" => bench_chats(&a).await,
        "flood" => bench_flood(&a).await,
        // The fake model, serving until killed (scripts/bench.sh keeps it up for wrk too).
        "llm" => {
            start_instant_llm(llm_port).await;
            std::future::pending::<()>().await
        }
        "agent" => bench_agent(&a, llm_port).await,
        "memory" => bench_memory(&a, llm_port).await,
        other => panic!("unknown benchmark {other}: use auth, chats, agent, memory or llm"),
    }
}
