//! History search figures for the closing notes: a generated corpus of one user with 2,000
//! chats and 100,000 messages, searched through the real services in process and over HTTP
//! (`GET /v1/chats/search` on the same app), against a plain scan of the same markdown files
//! (the plan's grep) in the same run; then a second user with as many messages, to show that
//! scoping costs nothing; the index's size on disk; append latency; reindex time.
//!
//! Two corpora: `uniform` draws every content word from ~100 per language alike (each in about
//! one message in ten); `zipf` draws from 6,000 words per language by Zipf's law, 14 content
//! words a message, so the most common word is in about half of the messages, as in real text.
//!
//! Usage: `scripts/bench.sh search [--corpus zipf|uniform] [--chats N --per-chat M]` (release
//! build), or `cargo run --release --features ssr --example search_bench -- ...`.
//! `DATABASE_URL` picks the engine (default: a fresh SQLite file in a temp directory).
//! `--keep DIR` keeps the memory (and the SQLite file) in `DIR`: a later run with the same
//! `DIR` and database measures the corpus already there, without generating it again, and
//! stops after the searches.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use maruntime::model::{Role, SearchScope, User};
use maruntime::server::auth::ClientInfo;
use maruntime::server::search::{terms_to_index, SearchRequest};
use maruntime::server::state::AppState;

#[path = "support/bench_app.rs"]
mod bench_app;

const EN: &[&str] = &[
    "weather",
    "forecast",
    "rain",
    "snow",
    "train",
    "ticket",
    "station",
    "meeting",
    "project",
    "launch",
    "deadline",
    "budget",
    "report",
    "invoice",
    "client",
    "server",
    "database",
    "backup",
    "garden",
    "flowers",
    "roses",
    "recipe",
    "dinner",
    "lunch",
    "coffee",
    "market",
    "apples",
    "running",
    "marathon",
    "training",
    "doctor",
    "appointment",
    "holiday",
    "flight",
    "hotel",
    "museum",
    "concert",
    "guitar",
    "lesson",
    "homework",
    "birthday",
    "present",
    "family",
    "cousin",
    "mountain",
    "river",
    "bridge",
    "ferry",
    "island",
    "beach",
    "library",
    "novel",
    "chapter",
    "painting",
    "camera",
    "battery",
    "charger",
    "keyboard",
    "monitor",
    "printer",
    "network",
    "password",
    "account",
    "payment",
    "salary",
    "contract",
    "lawyer",
    "insurance",
    "car",
    "tyres",
    "engine",
    "repair",
    "kitchen",
    "window",
    "heating",
    "plumber",
    "neighbour",
    "parcel",
    "delivery",
    "courier",
    "schedule",
    "calendar",
    "reminder",
    "question",
    "answer",
    "idea",
    "plan",
    "weekend",
    "morning",
    "evening",
    "yesterday",
    "tomorrow",
    "important",
    "quickly",
    "carefully",
    "finished",
    "started",
    "moved",
    "cancelled",
    "booked",
    "ordered",
    "paid",
];
const EN_GLUE: &[&str] = &[
    "the", "a", "to", "and", "of", "in", "for", "with", "on", "is", "was", "we", "I", "you", "it",
    "that", "this", "at", "be", "will",
];
const RU: &[&str] = &[
    "погода",
    "погоды",
    "прогноз",
    "дождь",
    "снег",
    "поезд",
    "билет",
    "вокзал",
    "встреча",
    "встречи",
    "проект",
    "проекта",
    "запуск",
    "срок",
    "бюджет",
    "отчёт",
    "счёт",
    "клиент",
    "сервер",
    "база",
    "резервная",
    "копия",
    "сад",
    "цветы",
    "розы",
    "рецепт",
    "ужин",
    "обед",
    "кофе",
    "рынок",
    "яблоки",
    "бег",
    "марафон",
    "тренировка",
    "врач",
    "приём",
    "отпуск",
    "самолёт",
    "гостиница",
    "музей",
    "концерт",
    "гитара",
    "урок",
    "домашнее",
    "задание",
    "день",
    "рождения",
    "подарок",
    "семья",
    "брат",
    "горы",
    "река",
    "мост",
    "паром",
    "остров",
    "пляж",
    "библиотека",
    "роман",
    "глава",
    "картина",
    "камера",
    "батарея",
    "зарядка",
    "клавиатура",
    "монитор",
    "принтер",
    "сеть",
    "пароль",
    "аккаунт",
    "оплата",
    "зарплата",
    "договор",
    "юрист",
    "страховка",
    "машина",
    "шины",
    "двигатель",
    "ремонт",
    "кухня",
    "окно",
    "отопление",
    "сантехник",
    "сосед",
    "посылка",
    "доставка",
    "курьер",
    "расписание",
    "календарь",
    "напоминание",
    "вопрос",
    "ответ",
    "идея",
    "план",
    "выходные",
    "утром",
    "вечером",
    "вчера",
    "завтра",
    "важно",
    "быстро",
    "закончили",
    "начали",
    "перенесли",
    "отменили",
    "забронировали",
    "заказали",
    "оплатили",
];
const RU_GLUE: &[&str] = &[
    "и", "в", "на", "с", "что", "мы", "я", "ты", "это", "по", "для", "к", "у", "не", "но", "как",
    "уже", "ещё", "там", "тут",
];

/// A small deterministic generator: the corpus is the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, words: &[&'a str]) -> &'a str {
        words[self.below(words.len())]
    }
    /// A number in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Words of one language ranked by frequency, with Zipf's law over the ranks.
struct Zipf {
    words: Vec<String>,
    /// Cumulative weights, ending at 1.
    cumulative: Vec<f64>,
}

/// Words per language in the Zipf corpus, and content words per message.
const ZIPF_WORDS: usize = 6_000;
const ZIPF_PER_MESSAGE: usize = 14;

impl Zipf {
    /// The language's real words first (the most common), then made-up words of two to four
    /// syllables; the exponent is set so that the top word is in `top_share` of messages.
    fn new(russian: bool, top_share: f64) -> Zipf {
        let (real, consonants, vowels): (&[&str], &[&str], &[&str]) = if russian {
            (
                RU,
                &[
                    "б", "в", "г", "д", "з", "к", "л", "м", "н", "п", "р", "с", "т", "ф",
                ],
                &["а", "е", "и", "о", "у", "я"],
            )
        } else {
            (
                EN,
                &[
                    "b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z",
                ],
                &["a", "e", "i", "o", "u"],
            )
        };
        let mut words: Vec<String> = real.iter().map(|w| w.to_string()).collect();
        let mut seen: std::collections::HashSet<String> = words.iter().cloned().collect();
        let mut rng = Rng(if russian { 77 } else { 55 });
        while words.len() < ZIPF_WORDS {
            let syllables = 2 + rng.below(3);
            let word: String = (0..syllables)
                .map(|_| format!("{}{}", rng.pick(consonants), rng.pick(vowels)))
                .collect();
            if seen.insert(word.clone()) {
                words.push(word);
            }
        }
        // P(top word in a message) = 1 - (1 - p1)^n, so p1 = 1 - (1 - share)^(1/n), and the
        // exponent s makes 1 / H(s) = p1, found by bisection.
        let p1 = 1.0 - (1.0 - top_share).powf(1.0 / ZIPF_PER_MESSAGE as f64);
        let harmonic = |s: f64| (1..=ZIPF_WORDS).map(|r| (r as f64).powf(-s)).sum::<f64>();
        let (mut lo, mut hi) = (0.1, 3.0);
        for _ in 0..60 {
            let mid = (lo + hi) / 2.0;
            if 1.0 / harmonic(mid) < p1 {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        let s = (lo + hi) / 2.0;
        let total = harmonic(s);
        let mut acc = 0.0;
        let cumulative = (1..=ZIPF_WORDS)
            .map(|r| {
                acc += (r as f64).powf(-s) / total;
                acc
            })
            .collect();
        Zipf { words, cumulative }
    }

    fn draw(&self, rng: &mut Rng) -> &str {
        let u = rng.unit();
        let i = self.cumulative.partition_point(|c| *c < u);
        &self.words[i.min(self.words.len() - 1)]
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Corpus {
    Uniform,
    Zipf,
}

/// What one message is made of.
struct Writer {
    corpus: Corpus,
    zipf: Option<(Zipf, Zipf)>,
}

impl Writer {
    fn new(corpus: Corpus) -> Writer {
        // Nine chats in ten are English: the most common English word is then in about half of
        // all messages (0.9 × 0.55), the most common Russian word in half of the Russian ones.
        let zipf = (corpus == Corpus::Zipf).then(|| (Zipf::new(false, 0.55), Zipf::new(true, 0.5)));
        Writer { corpus, zipf }
    }

    fn russian_chat(&self, chat: usize) -> bool {
        match self.corpus {
            Corpus::Uniform => chat % 2 == 1,
            Corpus::Zipf => chat % 10 == 9,
        }
    }

    fn sentence(&self, rng: &mut Rng, russian: bool) -> String {
        let Some((en, ru)) = &self.zipf else {
            return sentence(rng, russian);
        };
        let (zipf, glue) = if russian {
            (ru, RU_GLUE)
        } else {
            (en, EN_GLUE)
        };
        let mut words: Vec<&str> = (0..ZIPF_PER_MESSAGE).map(|_| zipf.draw(rng)).collect();
        for _ in 0..4 {
            let at = rng.below(words.len() + 1);
            words.insert(at, rng.pick(glue));
        }
        capitalized(words.join(" ") + ".")
    }

    /// `n` queries of `words` distinct words each, drawn as the corpus draws them.
    fn queries(&self, rng: &mut Rng, words: usize, russian: bool, n: usize) -> Vec<String> {
        (0..n)
            .map(|_| {
                let mut picked: Vec<String> = Vec::new();
                while picked.len() < words {
                    let w = match &self.zipf {
                        Some((en, ru)) => (if russian { ru } else { en }).draw(rng).to_string(),
                        None => rng.pick(if russian { RU } else { EN }).to_string(),
                    };
                    if !picked.contains(&w) {
                        picked.push(w);
                    }
                }
                picked.join(" ")
            })
            .collect()
    }

    /// The query classes measured: 1, 2 and 3 words in each language, and (Zipf) the most
    /// common word alone.
    fn classes(&self, rng: &mut Rng) -> Vec<(String, Vec<String>)> {
        let mut classes = Vec::new();
        for russian in [false, true] {
            let lang = if russian { "RU" } else { "EN" };
            for words in 1..=3 {
                let label = format!("{words} word{} {lang}", if words > 1 { "s" } else { "" });
                classes.push((label, self.queries(rng, words, russian, 200)));
            }
            if let Some((en, ru)) = &self.zipf {
                let top = (if russian { ru } else { en }).words[0].clone();
                classes.push((format!("top word {lang}"), vec![top; 200]));
            }
        }
        classes
    }
}

fn capitalized(s: String) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

fn sentence(rng: &mut Rng, russian: bool) -> String {
    let (content, glue) = if russian {
        (RU, RU_GLUE)
    } else {
        (EN, EN_GLUE)
    };
    let n = 6 + rng.below(25);
    let mut words = Vec::with_capacity(n);
    for _ in 0..n {
        words.push(if rng.below(5) < 2 {
            rng.pick(glue)
        } else {
            rng.pick(content)
        });
    }
    capitalized(words.join(" ") + ".")
}

struct Args {
    chats: usize,
    per_chat: usize,
    corpus: Corpus,
    keep: Option<PathBuf>,
}

fn args() -> Args {
    let mut a = Args {
        chats: 2_000,
        per_chat: 50,
        corpus: Corpus::Uniform,
        keep: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().expect("a value after the flag");
        match flag.as_str() {
            "--chats" => a.chats = value.parse().expect("a number"),
            "--per-chat" => a.per_chat = value.parse().expect("a number"),
            "--keep" => a.keep = Some(PathBuf::from(value)),
            "--corpus" => {
                a.corpus = match value.as_str() {
                    "zipf" => Corpus::Zipf,
                    "uniform" => Corpus::Uniform,
                    other => panic!("unknown corpus {other} (zipf or uniform)"),
                }
            }
            other => panic!("unknown flag {other}"),
        }
    }
    a
}

const PASSWORD: &str = "plum-orbit-sailcloth-42";

/// The account `login` and a session token: registered, or (`existing`) logged in to.
async fn account(state: &AppState, login: &str, existing: bool) -> (User, String) {
    let client = ClientInfo::default();
    let done = if existing {
        state
            .auth
            .sessions
            .login(login, PASSWORD, &client, None)
            .await
            .expect("log in to the kept corpus's account")
    } else {
        state
            .auth
            .accounts
            .register(login, PASSWORD, login, None, None, &client)
            .await
            .expect("register")
    };
    (done.user, done.token)
}

/// Fills `chats` chats of `per_chat` messages for `user` through the real append path
/// (database, index and document), a chat at a time, four writers at once.
async fn generate(state: &AppState, user: &User, seed: u64, args: &Args, writer: &Arc<Writer>) {
    let started = Instant::now();
    let writers = 4;
    let mut tasks = Vec::new();
    for w in 0..writers {
        let (state, user, writer) = (state.clone(), user.clone(), writer.clone());
        let (chats, per_chat) = (args.chats, args.per_chat);
        tasks.push(tokio::spawn(async move {
            let mut rng = Rng(seed * 7919 + w as u64 + 1);
            for c in (w..chats).step_by(writers) {
                let russian = writer.russian_chat(c);
                let chat = state
                    .chats
                    .start_chat(&user, None, None)
                    .await
                    .expect("chat");
                // One chat's messages in one transaction: the search is measured, not this.
                let texts: Vec<String> = (0..per_chat)
                    .map(|_| writer.sentence(&mut rng, russian))
                    .collect();
                let batch: Vec<(Role, &str, Option<&str>)> = texts
                    .iter()
                    .enumerate()
                    .map(|(m, t)| {
                        let role = if m % 2 == 0 {
                            Role::User
                        } else {
                            Role::Assistant
                        };
                        (role, t.as_str(), None)
                    })
                    .collect();
                state
                    .chats
                    .append_messages(&user, chat.id, &batch)
                    .await
                    .expect("append");
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    println!(
        "generated {} chats, {} messages for {} in {:.0} s",
        args.chats,
        args.chats * args.per_chat,
        user.login,
        started.elapsed().as_secs_f64()
    );
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// p50, p95 and max of a sorted sample.
struct Spread {
    p50: Duration,
    p95: Duration,
    max: Duration,
}

impl Spread {
    fn of(mut times: Vec<Duration>) -> Spread {
        times.sort();
        Spread {
            p50: percentile(&times, 0.5),
            p95: percentile(&times, 0.95),
            max: *times.last().unwrap(),
        }
    }
}

impl std::fmt::Display for Spread {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:>8} {:>8} {:>8}",
            ms(self.p50),
            ms(self.p95),
            ms(self.max)
        )
    }
}

/// The index search in process, and how many results the median query had.
async fn time_search(state: &AppState, user: &User, qs: &[String]) -> (Spread, usize) {
    let mut times = Vec::new();
    let mut counts = Vec::new();
    for q in qs {
        let started = Instant::now();
        let found = state
            .search
            .search_chats(&SearchRequest {
                user_id: user.id,
                query: q,
                scope: SearchScope::All,
                current_chat_id: None,
                limit: 10,
                exclude: None,
                filters: Default::default(),
            })
            .await
            .expect("search");
        times.push(started.elapsed());
        counts.push(found.len());
    }
    counts.sort();
    (Spread::of(times), counts[counts.len() / 2])
}

/// The same searches as a client makes them: `GET /v1/chats/search` with the session cookie.
async fn time_http(http: &reqwest::Client, base: &str, cookie: &str, qs: &[String]) -> Spread {
    let mut times = Vec::new();
    for q in qs {
        let started = Instant::now();
        let response = http
            .get(format!("{base}/v1/chats/search"))
            .query(&[("q", q.as_str()), ("limit", "10")])
            .header("cookie", cookie)
            .send()
            .await
            .expect("search over HTTP");
        assert!(response.status().is_success(), "{}", response.status());
        std::hint::black_box(response.bytes().await.expect("body"));
        times.push(started.elapsed());
    }
    Spread::of(times)
}

/// The plan's grep: read every markdown file of the user and keep the lines containing every
/// query word, without case.
fn scan(dir: &Path, query: &str) -> usize {
    let words: Vec<String> = query.split_whitespace().map(str::to_lowercase).collect();
    let mut hits = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path())
            .unwrap()
            .to_lowercase();
        hits += text
            .lines()
            .filter(|line| words.iter().all(|w| line.contains(w.as_str())))
            .count();
    }
    hits
}

fn time_scan(dir: &Path, qs: &[String]) -> Spread {
    Spread::of(
        qs.iter()
            .map(|q| {
                let started = Instant::now();
                std::hint::black_box(scan(dir, q));
                started.elapsed()
            })
            .collect(),
    )
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1e3)
}

#[tokio::main]
async fn main() {
    // Internal errors are logged, not returned: RUST_LOG=error shows them.
    maruntime::server::telemetry::init();
    let args = args();
    let (app, dir, _guard) = match &args.keep {
        Some(kept) => {
            std::fs::create_dir_all(kept).expect("create the kept directory");
            let kept = std::fs::canonicalize(kept).expect("the kept directory");
            (bench_app::build_in(&kept).await, kept, None)
        }
        None => {
            let (app, guard) = bench_app::build().await;
            (app, guard.path().to_path_buf(), Some(guard))
        }
    };
    let state = app.state().clone();
    // A kept corpus is measured as it is, both users stored.
    let reused = args.keep.is_some() && dir.join("memory/chats").is_dir();
    let base = format!("http://{}", app.local_addr());
    tokio::spawn(app.run_until_stopped(std::future::pending()));
    let http = reqwest::Client::new();
    let writer = Arc::new(Writer::new(args.corpus));

    let (ann, token) = account(&state, "ann", reused).await;
    // The session cookie as a browser sends it (`__Host-` prefixed when cookies are Secure).
    let prefix = if state.config.cookie_secure {
        "__Host-"
    } else {
        ""
    };
    let token = format!("{prefix}session_token={token}");
    if !reused {
        generate(&state, &ann, 1, &args, &writer).await;
    }
    let ann_dir = dir.join("memory/chats").join(ann.id.to_string());

    let mut rng = Rng(42);
    let classes = writer.classes(&mut rng);
    if let Some((en, ru)) = &writer.zipf {
        for (lang, zipf) in [("EN", en), ("RU", ru)] {
            let top = &zipf.words[0];
            let found = scan(&ann_dir, top);
            println!("most common {lang} word \"{top}\": on {found} lines of the documents");
        }
    }
    // Warm the caches for both sides alike.
    time_search(&state, &ann, &classes[0].1[..20]).await;
    time_http(&http, &base, &token, &classes[0].1[..20]).await;
    time_scan(&ann_dir, &classes[0].1[..2]);

    println!(
        "\nsearch, one user with {} messages, milliseconds (p50 p95 max; results of the median query):",
        args.chats * args.per_chat
    );
    println!(
        "{:<12} {:>26} {:>26} {:>26}",
        "query", "in process", "HTTP", "markdown scan (grep -l)"
    );
    let mut alone = Vec::new();
    for (label, qs) in &classes {
        let (inside, n) = time_search(&state, &ann, qs).await;
        let outside = time_http(&http, &base, &token, qs).await;
        // The scan takes far longer; 20 queries per class are enough for its spread.
        let scanned = time_scan(&ann_dir, &qs[..20]);
        println!("{label:<12} {inside}   {outside}   {scanned}   ({n} results)");
        alone.push(outside);
    }

    if reused {
        println!("(a kept corpus: bob's messages are stored as well)");
    } else {
        let (bob, _) = account(&state, "bob", false).await;
        generate(&state, &bob, 2, &args, &writer).await;
        println!(
            "\nthe same searches for ann over HTTP with bob's {} messages also stored:",
            args.chats * args.per_chat
        );
        for ((label, qs), before) in classes.iter().zip(&alone) {
            let after = time_http(&http, &base, &token, qs).await;
            println!("{label:<12} {after}   (alone: {before})");
        }
    }
    let (index, vocabulary) = state.store.index_size_bytes().await.expect("index size");
    println!(
        "\nindex on disk for {} messages: {:.1} MB messages' terms, {:.1} MB vocabulary",
        2 * args.chats * args.per_chat,
        index as f64 / 1e6,
        vocabulary as f64 / 1e6
    );
    if reused {
        return;
    }

    // Appending: a user message into an existing chat (database, index, document).
    let chat = state.chats.start_chat(&ann, None, None).await.unwrap();
    let mut times = Vec::new();
    for i in 0..500 {
        let text = writer.sentence(&mut rng, i % 2 == 0);
        let started = Instant::now();
        state
            .chats
            .append_message(&ann, chat.id, Role::User, &text, None)
            .await
            .unwrap();
        times.push(started.elapsed());
    }
    times.sort();
    println!(
        "\nappend one message (database + index + document), n=500: p50 {} ms, p99 {} ms",
        ms(percentile(&times, 0.5)),
        ms(percentile(&times, 0.99))
    );

    let started = Instant::now();
    let n = state.store.reindex(terms_to_index, 2_000).await.unwrap();
    println!(
        "reindex: {n} messages in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let started = Instant::now();
    let docs = state.chats.documents().rebuild(None).await.unwrap();
    println!(
        "rebuild documents: {docs} documents in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}
