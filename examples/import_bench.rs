//! Importing a generated ChatGPT data export (a zip of `conversations.json`, about 200 MB of
//! JSON in 10,000 conversations with edits and regenerations, text of 6,000 words per language
//! by Zipf's law, a third Russian) through `POST /v1/imports` on
//! the real app: the time to upload and import, the process's peak memory while it runs, and
//! then the search latency over the imported corpus over HTTP.
//! Usage: scripts/bench.sh import [--conversations N] [--keep FILE]
//! (`DATABASE_URL=postgres://…` imports into PostgreSQL.)

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use maruntime::server::auth::ClientInfo;
use serde_json::{json, Value};

#[path = "support/bench_app.rs"]
mod bench_app;

const PASSWORD: &str = "plum-orbit-sailcloth-42";

/// A small deterministic generator, so every run imports the same export.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Words of two languages, used by Zipf's law as people's text is: a few very common, most
/// rare. Made of syllables, so the stemmers see word-like forms.
struct Words {
    en: Vec<String>,
    ru: Vec<String>,
    /// Cumulative Zipf weights over ranks.
    cumulative: Vec<f64>,
}

impl Words {
    fn new(size: usize) -> Self {
        let make = |syllables: &[&str], seed: u64| {
            let mut rng = Rng(seed);
            let mut seen = std::collections::HashSet::new();
            let mut words = Vec::with_capacity(size);
            while words.len() < size {
                let n = 1 + rng.below(3);
                let w: String = (0..n)
                    .map(|_| syllables[rng.below(syllables.len())])
                    .collect();
                if seen.insert(w.clone()) {
                    words.push(w);
                }
            }
            words
        };
        let en = make(
            &[
                "the", "ar", "on", "ing", "ter", "al", "ver", "ca", "mo", "ri", "sen", "pol",
                "dex", "que", "lin", "gar", "tra", "bu", "ker", "ne", "sto", "plan", "vi", "co",
                "fe",
            ],
            11,
        );
        let ru = make(
            &[
                "по", "ра", "ко", "ни", "ство", "ла", "ми", "ска", "те", "вер", "го", "ду", "ча",
                "ре", "сло", "во", "да", "бе", "ны", "ль", "же", "зи", "мо", "ту", "ёл",
            ],
            13,
        );
        let mut cumulative = Vec::with_capacity(size);
        let mut total = 0.0;
        for rank in 1..=size {
            total += 1.0 / rank as f64;
            cumulative.push(total);
        }
        Words { en, ru, cumulative }
    }

    fn pick<'a>(&'a self, rng: &mut Rng, russian: bool) -> &'a str {
        let total = *self.cumulative.last().unwrap();
        let x = (rng.next() as f64 / (1u64 << 31) as f64) * total;
        let rank = self
            .cumulative
            .partition_point(|c| *c < x)
            .min(self.cumulative.len() - 1);
        if russian {
            &self.ru[rank]
        } else {
            &self.en[rank]
        }
    }
}

fn sentence(words: &Words, rng: &mut Rng, bytes: usize) -> String {
    let russian = rng.below(3) == 0;
    let mut text = String::with_capacity(bytes + 16);
    while text.len() < bytes {
        if !text.is_empty() {
            text.push(' ');
        }
        text.push_str(words.pick(rng, russian));
        if rng.below(12) == 0 {
            text.push('.');
        }
    }
    text
}

fn node(id: &str, parent: Option<&str>, children: Vec<String>, message: Option<Value>) -> Value {
    json!({"id": id, "parent": parent, "children": children, "message": message})
}

fn message(id: &str, role: &str, text: String, time: f64) -> Value {
    json!({
        "id": id, "author": {"role": role, "name": null, "metadata": {}},
        "create_time": time, "update_time": null,
        "content": {"content_type": "text", "parts": [text]},
        "status": "finished_successfully", "end_turn": true, "weight": 1.0,
        "metadata": {"model_slug": "gpt-4o", "finish_details": {"type": "stop"}},
        "recipient": "all"
    })
}

/// One conversation: a null root, then `turns` questions and answers, every fourth answer
/// regenerated once (the older branch is in the export but not what the person saw).
fn conversation(
    words: &Words,
    rng: &mut Rng,
    n: usize,
    turns: usize,
    answer_bytes: usize,
) -> Value {
    let start = 1_600_000_000.0 + n as f64 * 3_000.0;
    let mut mapping = serde_json::Map::new();
    let mut parent = "root".to_string();
    let mut root_children = Vec::new();
    let mut nodes: Vec<(String, Option<String>, Value)> = Vec::new();
    let mut t = start;
    for turn in 0..turns {
        let q = format!("c{n}-q{turn}");
        let a = format!("c{n}-a{turn}");
        nodes.push((
            q.clone(),
            Some(parent.clone()),
            message(&q, "user", sentence(words, rng, 200), t),
        ));
        t += 7.5;
        if turn % 4 == 1 {
            let old = format!("c{n}-a{turn}-old");
            nodes.push((
                old.clone(),
                Some(q.clone()),
                message(&old, "assistant", sentence(words, rng, answer_bytes / 2), t),
            ));
        }
        nodes.push((
            a.clone(),
            Some(q.clone()),
            message(&a, "assistant", sentence(words, rng, answer_bytes), t),
        ));
        t += 60.0;
        parent = a;
    }
    for (id, parent_id, _) in &nodes {
        if parent_id.as_deref() == Some("root") {
            root_children.push(id.clone());
        }
    }
    mapping.insert("root".into(), node("root", None, root_children, None));
    for (id, parent_id, msg) in &nodes {
        let children: Vec<String> = nodes
            .iter()
            .filter(|(_, p, _)| p.as_deref() == Some(id.as_str()))
            .map(|(c, _, _)| c.clone())
            .collect();
        mapping.insert(
            id.clone(),
            node(id, parent_id.as_deref(), children, Some(msg.clone())),
        );
    }
    json!({
        "title": sentence(words, rng, 30), "create_time": start, "update_time": t,
        "mapping": mapping, "current_node": parent, "conversation_id": format!("conv-{n}"),
        "id": format!("conv-{n}"), "moderation_results": [], "is_archived": false
    })
}

/// Writes the export zip; returns (JSON bytes, zip bytes, messages the person saw).
fn generate(path: &Path, conversations: usize) -> (u64, u64, usize) {
    let file = std::fs::File::create(path).expect("create the export");
    let mut zip = zip::ZipWriter::new(std::io::BufWriter::new(file));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(true);
    zip.start_file("conversations.json", options).unwrap();
    let words = Words::new(6_000);
    let mut rng = Rng(7);
    let mut json_bytes = 0u64;
    let mut seen = 0;
    zip.write_all(b"[").unwrap();
    for n in 0..conversations {
        let turns = 4 + rng.below(5);
        let text = conversation(&words, &mut rng, n, turns, 1_900).to_string();
        if n > 0 {
            zip.write_all(b",").unwrap();
        }
        zip.write_all(text.as_bytes()).unwrap();
        json_bytes += text.len() as u64 + 1;
        seen += turns * 2;
    }
    zip.write_all(b"]").unwrap();
    zip.start_file("user.json", options).unwrap();
    zip.write_all(b"{\"email\": \"ann@example.com\"}").unwrap();
    zip.finish().unwrap();
    (json_bytes, std::fs::metadata(path).unwrap().len(), seen)
}

/// A memory figure of this process from `/proc/self/status`, in MiB: `VmRSS` now, `VmHWM`
/// its peak.
fn memory_mib(field: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

struct Args {
    conversations: usize,
    keep: Option<PathBuf>,
    /// Where the app keeps its database and memory: a second run on it measures search only.
    dir: Option<PathBuf>,
}

fn args() -> Args {
    let mut args = Args {
        conversations: 10_000,
        keep: None,
        dir: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--conversations" => args.conversations = it.next().unwrap().parse().unwrap(),
            "--keep" => args.keep = Some(PathBuf::from(it.next().unwrap())),
            "--dir" => args.dir = Some(PathBuf::from(it.next().unwrap())),
            other => panic!("unknown argument {other}"),
        }
    }
    args
}

async fn import(http: &reqwest::Client, base: &str, cookie: &str, export: &Path, size: u64) {
    // Peak memory from here on: the server's share of the process is all that moves.
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let before = memory_mib("VmRSS:");
    let started = Instant::now();
    let (send, receive) = tokio::sync::mpsc::channel::<Vec<u8>>(4);
    let path = export.to_path_buf();
    std::thread::spawn(move || {
        let mut file = std::fs::File::open(path).unwrap();
        loop {
            let mut chunk = vec![0u8; 256 * 1024];
            let n = std::io::Read::read(&mut file, &mut chunk).unwrap();
            if n == 0 {
                break;
            }
            chunk.truncate(n);
            if send.blocking_send(chunk).is_err() {
                break;
            }
        }
    });
    let body = futures::stream::unfold(receive, |mut r| async move {
        r.recv().await.map(|b| (Ok::<_, std::io::Error>(b), r))
    });
    let part = reqwest::multipart::Part::stream_with_length(reqwest::Body::wrap_stream(body), size)
        .file_name("export.zip");
    let response = http
        .post(format!("{base}/v1/imports"))
        .header("cookie", cookie)
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .expect("upload");
    let status = response.status();
    let summary: Value = response.json().await.expect("summary");
    let took = started.elapsed();
    assert_eq!(status, 201, "{summary}");
    println!(
        "\nimport over HTTP: {:.1} s for {:.1} MB zipped: {} chats, {} messages, {} skipped \
         ({:.0} messages/s)",
        took.as_secs_f64(),
        size as f64 / 1e6,
        summary["imported"],
        summary["messages"],
        summary["skipped"],
        summary["messages"].as_f64().unwrap_or(0.0) / took.as_secs_f64()
    );
    println!(
        "memory (the server and this client in one process): {before:.1} MiB before, peak \
         {:.1} MiB during the import, {:.1} MiB after",
        memory_mib("VmHWM:"),
        memory_mib("VmRSS:")
    );
}

#[tokio::main]
async fn main() {
    let args = args();
    // RUST_LOG=maruntime::server::search=debug shows each search's tiers.
    maruntime::server::telemetry::init();
    let dir = tempfile::tempdir().expect("temp dir");
    let export = args
        .keep
        .clone()
        .unwrap_or_else(|| dir.path().join("export.zip"));
    if export.exists() {
        println!("export: {} (kept)", export.display());
    } else {
        let started = Instant::now();
        let (json_bytes, zip_bytes, seen) = generate(&export, args.conversations);
        println!(
            "generated {} conversations: {:.1} MB of JSON, {:.1} MB zipped, {} messages on the \
             branches seen, in {:.1} s",
            args.conversations,
            json_bytes as f64 / 1e6,
            zip_bytes as f64 / 1e6,
            seen,
            started.elapsed().as_secs_f64()
        );
    }
    let size = std::fs::metadata(&export).unwrap().len();

    let (app, _guard, imported) = match &args.dir {
        Some(dir) => {
            let imported = dir.join("memory/chats").is_dir();
            (bench_app::build_in(dir).await, None, imported)
        }
        None => {
            let (app, guard) = bench_app::build().await;
            (app, Some(guard), false)
        }
    };
    let state = app.state().clone();
    let base = format!("http://{}", app.local_addr());
    tokio::spawn(app.run_until_stopped(std::future::pending()));
    let done = if imported {
        state
            .auth
            .sessions
            .login("ann", PASSWORD, &ClientInfo::default(), None)
            .await
            .expect("log in to the kept account")
    } else {
        state
            .auth
            .accounts
            .register("ann", PASSWORD, "Ann", None, None, &ClientInfo::default())
            .await
            .expect("register")
    };
    let prefix = if state.config.cookie_secure {
        "__Host-"
    } else {
        ""
    };
    let cookie = format!("{prefix}session_token={}", done.token);
    let http = reqwest::Client::new();

    if !imported {
        import(&http, &base, &cookie, &export, size).await;
    }

    // Search over what came in, as the sidebar asks.
    let words = Words::new(6_000);
    let mut rng = Rng(99);
    let mut queries: Vec<String> = Vec::new();
    for i in 0..300 {
        let n = 1 + i % 3;
        let q: Vec<&str> = (0..n).map(|_| words.pick(&mut rng, i % 2 == 1)).collect();
        queries.push(q.join(" "));
    }
    let search = |q: String| {
        let (http, base, cookie) = (http.clone(), base.clone(), cookie.clone());
        async move {
            let started = Instant::now();
            let r = http
                .get(format!("{base}/v1/chats/search"))
                .query(&[("q", q.as_str())])
                .header("cookie", cookie)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
            let body: Value = r.json().await.unwrap();
            (
                started.elapsed(),
                body["data"].as_array().map_or(0, Vec::len),
            )
        }
    };
    for q in queries.iter().take(20) {
        search(q.clone()).await;
    }
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "search over HTTP after the import, 100 queries per class (half EN, half RU), \
         milliseconds:"
    );
    for words in 1..=3 {
        let mut times = Vec::new();
        let mut results = Vec::new();
        for q in queries.iter().skip(words - 1).step_by(3) {
            let (t, n) = search(q.clone()).await;
            times.push(t);
            results.push(n);
        }
        times.sort();
        results.sort();
        println!(
            "  {words} word{}: p50 {:.2}, p95 {:.2}, max {:.2} (median results {})",
            if words == 1 { " " } else { "s" },
            ms(percentile(&times, 0.5)),
            ms(percentile(&times, 0.95)),
            ms(*times.last().unwrap()),
            results[results.len() / 2]
        );
    }
}
