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
        let mut child = Command::new(env!("CARGO_BIN_EXE_maruntime"))
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("DATABASE_URL", database_url)
            .env("MARUNTIME_MEMORY_DIR", memory_dir)
            .env("LEPTOS_SITE_ADDR", "127.0.0.1:0")
            .env("MARUNTIME_COOKIE_SECURE", "false")
            .env("RUST_LOG", "info,tower_http=warn,sqlx=warn")
            .env("NO_COLOR", "1")
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

const JOBS_LINE: &str = "this process runs the instance's background jobs";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_background_jobs_move_on_when_their_process_is_killed() {
    let Some(admin) = postgres_admin_url() else {
        report_postgres_skipped();
        return;
    };
    let db = PgDatabase::create(&admin).await;
    let memory = tempfile::tempdir().unwrap();
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
async fn two_processes_serve_one_account_and_one_chat_in_one_order() {
    let Some(admin) = postgres_admin_url() else {
        report_postgres_skipped();
        return;
    };
    let db = PgDatabase::create(&admin).await;
    let memory = tempfile::tempdir().unwrap();
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
    let sends = (0..80).map(|i| {
        let (url, client, chat) = (
            if i % 2 == 0 { &a.url } else { &b.url },
            client.clone(),
            chat.clone(),
        );
        async move {
            let r = client
                .post(format!("{url}/v1/chats/{chat}/messages"))
                .json(&json!({"content": format!("message {i}")}))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 201, "message {i}");
        }
    });
    futures::future::join_all(sends).await;
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
