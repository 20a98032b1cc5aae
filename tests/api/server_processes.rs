//! Real server processes (the `maruntime` binary) on one PostgreSQL database and one memory
//! directory, as they run behind a load balancer: started, killed with SIGKILL, read by
//! their log lines.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::helpers::*;

/// One running server process and the lines it has logged.
pub struct ServerProcess {
    child: Child,
    pub url: String,
    lines: Arc<Mutex<Vec<String>>>,
}

impl ServerProcess {
    /// Starts the binary on `database_url` and `memory_dir` at a free port; waits until it
    /// listens.
    pub fn start(database_url: &str, memory_dir: &std::path::Path) -> ServerProcess {
        Self::start_with(database_url, memory_dir, &[])
    }

    /// As [`Self::start`], with more settings.
    pub fn start_with(
        database_url: &str,
        memory_dir: &std::path::Path,
        settings: &[(&str, &str)],
    ) -> ServerProcess {
        let mut child = Command::new(env!("CARGO_BIN_EXE_maruntime"))
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("DATABASE_URL", database_url)
            .env("MARUNTIME_MEMORY_DIR", memory_dir)
            .env("LEPTOS_SITE_ADDR", "127.0.0.1:0")
            .env("MARUNTIME_COOKIE_SECURE", "false")
            .env("RUST_LOG", "info,tower_http=warn,sqlx=warn")
            .env("NO_COLOR", "1")
            .envs(settings.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the maruntime binary starts");
        let lines = Arc::new(Mutex::new(Vec::new()));
        for stream in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let lines = lines.clone();
            // Read to the end, so the process never blocks on a full pipe.
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    lines.lock().unwrap().push(line);
                }
            });
        }
        let mut process = ServerProcess {
            child,
            url: String::new(),
            lines,
        };
        let line = process.wait_for_line("listening on http://", Duration::from_secs(60));
        let at = line.find("http://").unwrap();
        process.url = line[at..].split_whitespace().next().unwrap().to_string();
        process
    }

    /// Waits for a log line containing `text`; panics with the log after `timeout`.
    pub fn wait_for_line(&self, text: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(line) = self.lines.lock().unwrap().iter().find(|l| l.contains(text)) {
                return line.clone();
            }
            assert!(
                Instant::now() < deadline,
                "no log line with {text:?} within {timeout:?}: {:?}",
                self.lines.lock().unwrap()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn logged(&self, text: &str) -> bool {
        self.lines.lock().unwrap().iter().any(|l| l.contains(text))
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGTERM, as a rolling restart sends it.
    pub fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
    }

    /// Waits for the process to exit; panics after `timeout`.
    pub fn wait_exit(&mut self, timeout: Duration) -> std::process::ExitStatus {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "still running after {timeout:?}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGKILL: the process ends at once, with no chance to clean up.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A fresh PostgreSQL database and an empty memory directory for servers to share, or `None`
/// (these tests are ignored unless PostgreSQL is configured).
async fn fresh_postgres() -> (PgDatabase, tempfile::TempDir) {
    let admin = postgres_admin_url().unwrap_or_else(|| postgres_required());
    (
        PgDatabase::create(&admin).await,
        tempfile::tempdir().unwrap(),
    )
}

const JOBS_LINE: &str = "this process runs the instance's background jobs";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "PostgreSQL: runs when MARUNTIME_TEST_POSTGRES_URL is set (scripts/test.sh)"]
async fn the_background_jobs_move_on_when_their_process_is_killed() {
    let (db, memory) = fresh_postgres().await;
    let mut first = ServerProcess::start(&db.url, memory.path());
    first.wait_for_line(JOBS_LINE, Duration::from_secs(30));
    let second = ServerProcess::start(&db.url, memory.path());
    // The second process waits: the lease is taken.
    tokio::time::sleep(Duration::from_secs(6)).await;
    assert!(!second.logged(JOBS_LINE));
    let killed = Instant::now();
    first.kill();
    second.wait_for_line(JOBS_LINE, Duration::from_secs(30));
    println!(
        "background jobs taken over {:.1} s after SIGKILL",
        killed.elapsed().as_secs_f64()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "PostgreSQL: runs when MARUNTIME_TEST_POSTGRES_URL is set (scripts/test.sh)"]
async fn two_processes_serve_one_account_and_one_chat_in_one_order() {
    let (db, memory) = fresh_postgres().await;
    let a = ServerProcess::start(&db.url, memory.path());
    let b = ServerProcess::start(&db.url, memory.path());
    let client = new_client();
    let r = client
        .post(format!("{}/auth/register", a.url))
        .json(&json!({"login": "fay", "password": STRONG_PASSWORD, "display_name": "Fay"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    // The session made by one process works on the other.
    let chat: serde_json::Value = client
        .post(format!("{}/v1/chats", b.url))
        .json(&json!({"title": "Both"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let chat = chat["id"].as_str().unwrap().to_string();
    send_through_in_turn(&client, &[a.url.clone(), b.url.clone()], &chat, 80).await;
    // `maruntime memory verify`, as an operator runs it: the document holds the database's
    // 80 messages in the database's order.
    let out = Command::new(env!("CARGO_BIN_EXE_maruntime"))
        .args(["memory", "verify"])
        .env("DATABASE_URL", &db.url)
        .env("MARUNTIME_MEMORY_DIR", memory.path())
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    let document = client
        .get(format!("{}/v1/chats/{chat}/document", a.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(document.matches("message ").count(), 80, "{document}");
}

/// The stored replies of a SQLite database, oldest first, with their data.
async fn stored_replies(database_url: &str) -> Vec<(String, Option<String>)> {
    use sqlx::Row;
    sqlx::any::install_default_drivers();
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(database_url)
        .await
        .unwrap();
    sqlx::query("select content, data from messages where role = 'assistant' order by seq")
        .fetch_all(&mut conn)
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get("content"), r.get("data")))
        .collect()
}

/// Registers an account through `server` and starts a streamed completion; returns the
/// response once its first bytes arrived.
async fn streaming_completion(server: &ServerProcess) -> reqwest::Response {
    let client = new_client();
    let r = client
        .post(format!("{}/auth/register", server.url))
        .json(&json!({"login": "gus", "password": STRONG_PASSWORD, "display_name": "Gus"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let mut response = client
        .post(format!("{}/v1/chat/completions", server.url))
        .json(&json!({"model": "memory-agent", "stream": true,
                      "messages": [{"role": "user", "content": "tell me a long story"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let first = response.chunk().await.unwrap().unwrap();
    assert!(!first.is_empty());
    response
}

async fn rest_of(mut response: reqwest::Response) -> String {
    let mut body = String::new();
    while let Some(chunk) = response.chunk().await.unwrap() {
        body.push_str(&String::from_utf8_lossy(&chunk));
    }
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_a_running_answer_finish_and_store() {
    let fake = crate::fake_llm::FakeLlm::start(vec![crate::fake_llm::Script::Slow(
        (0..8).map(|i| format!("part{i} ")).collect(),
    )])
    .await;
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("db.sqlite").display());
    let mut server = ServerProcess::start_with(
        &db,
        &dir.path().join("memory"),
        &[("MARUNTIME_LLM_BASE_URL", &fake.base_url)],
    );
    let response = streaming_completion(&server).await;
    server.terminate();
    // The answer streams to its end (8 parts, 200 ms apart), then the process exits.
    let body = rest_of(response).await;
    assert!(
        body.contains("part7") && body.contains("data: [DONE]"),
        "{body}"
    );
    assert!(server.wait_exit(Duration::from_secs(20)).success());
    let replies = stored_replies(&db).await;
    assert_eq!(replies.len(), 1);
    assert!(replies[0].0.ends_with("part7 "), "{replies:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_an_answer_past_the_grace_and_stores_what_arrived() {
    let fake =
        crate::fake_llm::FakeLlm::start(vec![crate::fake_llm::Script::Endless { delay_ms: 50 }])
            .await;
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("db.sqlite").display());
    let mut server = ServerProcess::start_with(
        &db,
        &dir.path().join("memory"),
        &[
            ("MARUNTIME_LLM_BASE_URL", &fake.base_url),
            ("MARUNTIME_SHUTDOWN_GRACE_SECS", "1"),
        ],
    );
    let response = streaming_completion(&server).await;
    let stopping = Instant::now();
    server.terminate();
    let body = rest_of(response).await;
    assert!(body.contains("\"finish_reason\":\"stop\""), "{body}");
    assert!(server.wait_exit(Duration::from_secs(20)).success());
    assert!(stopping.elapsed() < Duration::from_secs(10));
    let replies = stored_replies(&db).await;
    assert_eq!(replies.len(), 1);
    assert!(replies[0].0.starts_with("la la"), "{replies:?}");
    assert!(
        replies[0]
            .1
            .as_deref()
            .unwrap_or_default()
            .contains("\"stopped\":true"),
        "{replies:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "PostgreSQL: runs when MARUNTIME_TEST_POSTGRES_URL is set (scripts/test.sh)"]
async fn a_run_whose_process_is_killed_ends_for_its_followers_and_the_chat_goes_on() {
    use crate::fake_llm::{FakeLlm, Script};
    let (db, memory) = fresh_postgres().await;
    let fake = FakeLlm::start(vec![Script::Endless { delay_ms: 30 }]).await;
    let settings = [("MARUNTIME_LLM_BASE_URL", fake.base_url.as_str())];
    let mut a = ServerProcess::start_with(&db.url, memory.path(), &settings);
    let b = ServerProcess::start_with(&db.url, memory.path(), &settings);
    let mut answer = streaming_completion(&a).await;
    let chat = answer.headers()["x-chat-id"].to_str().unwrap().to_string();
    answer.chunk().await.unwrap();
    let client = new_client();
    let login = client
        .post(format!("{}/auth/login", b.url))
        .json(&json!({"login": "gus", "password": STRONG_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);
    let mut follow = client
        .get(format!("{}/v1/chats/{chat}/run", b.url))
        .send()
        .await
        .unwrap();
    assert_eq!(follow.status(), 200);
    let killed = Instant::now();
    a.kill();
    let mut seen = String::new();
    while let Some(chunk) = follow.chunk().await.unwrap() {
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(seen.contains("\"type\":\"failed\""), "{seen}");
    println!(
        "a killed process's run ended for its follower after {:.1} s",
        killed.elapsed().as_secs_f64()
    );
    // The chat's next turn goes through the other process.
    fake.push(Script::text(&["still here"]));
    let next: serde_json::Value = client
        .post(format!("{}/v1/chat/completions", b.url))
        .json(&json!({"model": "memory-agent", "chat_id": chat,
                      "messages": [{"role": "user", "content": "are you there?"}]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        next["choices"][0]["message"]["content"], "still here",
        "{next}"
    );
}
