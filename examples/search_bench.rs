//! History search figures for the closing notes: a generated corpus of one user with 2,000
//! chats and 100,000 messages, searched through the real services in process (no HTTP), against
//! a plain scan of the same markdown files (the plan's grep) in the same run; then a second user
//! with as many messages, to show that scoping costs nothing; append latency; reindex time.
//!
//! Usage: `scripts/bench.sh search` (release build), or
//! `cargo run --release --features ssr --example search_bench [-- --chats N --per-chat M]`.
//! `DATABASE_URL` picks the engine (default: a fresh SQLite file in a temp directory).

use std::path::Path;
use std::time::{Duration, Instant};

use maruntime::model::{Role, SearchScope, User};
use maruntime::server::auth::ClientInfo;
use maruntime::server::search::{text::index_terms, SearchRequest};
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
    let mut s = words.join(" ");
    s.push('.');
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

struct Args {
    chats: usize,
    per_chat: usize,
}

fn args() -> Args {
    let mut a = Args {
        chats: 2_000,
        per_chat: 50,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it
            .next()
            .and_then(|v| v.parse().ok())
            .expect("a number after the flag");
        match flag.as_str() {
            "--chats" => a.chats = value,
            "--per-chat" => a.per_chat = value,
            other => panic!("unknown flag {other}"),
        }
    }
    a
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

/// Fills `chats` chats of `per_chat` messages for `user` through the real append path
/// (database, index and document), four writers at a time.
async fn generate(state: &AppState, user: &User, seed: u64, args: &Args) {
    let started = Instant::now();
    let writers = 4;
    let mut tasks = Vec::new();
    for w in 0..writers {
        let (state, user) = (state.clone(), user.clone());
        let (chats, per_chat) = (args.chats, args.per_chat);
        tasks.push(tokio::spawn(async move {
            let mut rng = Rng(seed * 7919 + w as u64 + 1);
            for c in (w..chats).step_by(writers) {
                let russian = c % 2 == 1;
                let chat = state
                    .chats
                    .start_chat(&user, None, None)
                    .await
                    .expect("chat");
                for m in 0..per_chat {
                    let role = if m % 2 == 0 {
                        Role::User
                    } else {
                        Role::Assistant
                    };
                    let text = sentence(&mut rng, russian);
                    state
                        .chats
                        .append_message(&user, chat.id, role, &text, None)
                        .await
                        .expect("append");
                }
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

fn queries(rng: &mut Rng, words: usize, russian: bool, n: usize) -> Vec<String> {
    let vocabulary = if russian { RU } else { EN };
    (0..n)
        .map(|_| {
            (0..words)
                .map(|_| rng.pick(vocabulary))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

/// p50 and p95 of the index search, and how many results the median query had.
async fn time_search(state: &AppState, user: &User, qs: &[String]) -> (Duration, Duration, usize) {
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
            })
            .await
            .expect("search");
        times.push(started.elapsed());
        counts.push(found.len());
    }
    times.sort();
    counts.sort();
    (
        percentile(&times, 0.5),
        percentile(&times, 0.95),
        counts[counts.len() / 2],
    )
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

fn time_scan(dir: &Path, qs: &[String]) -> (Duration, Duration) {
    let mut times: Vec<Duration> = qs
        .iter()
        .map(|q| {
            let started = Instant::now();
            std::hint::black_box(scan(dir, q));
            started.elapsed()
        })
        .collect();
    times.sort();
    (percentile(&times, 0.5), percentile(&times, 0.95))
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

#[tokio::main]
async fn main() {
    let args = args();
    let (app, dir) = bench_app::build().await;
    let state = app.state().clone();

    let ann = register(&state, "ann").await;
    generate(&state, &ann, 1, &args).await;
    let ann_dir = dir.path().join("memory/chats").join(ann.id.to_string());

    let mut rng = Rng(42);
    let mut classes = Vec::new();
    for russian in [false, true] {
        for words in 1..=3 {
            classes.push((words, russian, queries(&mut rng, words, russian, 200)));
        }
    }
    // Warm the caches for both sides alike.
    time_search(&state, &ann, &classes[0].2[..20]).await;
    time_scan(&ann_dir, &classes[0].2[..2]);

    println!(
        "\nsearch, one user with {} messages (p50 / p95; results of the median query):",
        args.chats * args.per_chat
    );
    println!(
        "{:<14} {:>22} {:>22} {:>9}",
        "query", "index", "markdown scan", "speed-up"
    );
    let mut alone = Vec::new();
    for (words, russian, qs) in &classes {
        let (p50, p95, n) = time_search(&state, &ann, qs).await;
        // The scan takes far longer; 20 queries per class are enough for its median.
        let (s50, s95) = time_scan(&ann_dir, &qs[..20]);
        let label = format!(
            "{words} word{} {}",
            if *words > 1 { "s" } else { "" },
            if *russian { "RU" } else { "EN" }
        );
        println!(
            "{label:<14} {:>10} / {:>9} {:>10} / {:>9} {:>8.0}x   ({n} results)",
            ms(p50),
            ms(p95),
            ms(s50),
            ms(s95),
            s50.as_secs_f64() / p50.as_secs_f64()
        );
        alone.push((label, p50, p95));
    }

    let bob = register(&state, "bob").await;
    generate(&state, &bob, 2, &args).await;
    println!(
        "\nthe same searches for ann with bob's {} messages also stored:",
        args.chats * args.per_chat
    );
    for ((_, _, qs), (label, before50, before95)) in classes.iter().zip(&alone) {
        let (p50, p95, _) = time_search(&state, &ann, qs).await;
        println!(
            "{label:<14} {:>10} / {:>9}   (alone: {} / {})",
            ms(p50),
            ms(p95),
            ms(*before50),
            ms(*before95)
        );
    }

    // Appending: a user message into an existing chat (database, index, document).
    let chat = state.chats.start_chat(&ann, None, None).await.unwrap();
    let mut times = Vec::new();
    for i in 0..500 {
        let text = sentence(&mut rng, i % 2 == 0);
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
        "\nappend one message (database + index + document), n=500: p50 {}, p99 {}",
        ms(percentile(&times, 0.5)),
        ms(percentile(&times, 0.99))
    );

    let started = Instant::now();
    let n = state.store.reindex(index_terms, 2_000).await.unwrap();
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
