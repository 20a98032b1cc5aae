//! Every page of the site rendered many times at 50 requests at once, mixed with what the rest
//! of the suite does at the same time (logins, sends through the agent, other apps starting in
//! this process): no page may fail, stay unfinished, or take over a second. A hang here would be
//! a page that never loads for a person. `MARUNTIME_PAGE_RENDERS` sets the renders per page
//! (default 60: seconds on both engines; `MARUNTIME_PAGE_RENDERS=2000` for the full run).
//!
//! Its own test binary, so that cargo runs it alone, after the other tests: a second's bound
//! measures this load, not whatever else the suite runs meanwhile. The engines take turns.

#![allow(dead_code)] // the shared helpers serve the other test binary too

#[path = "api/fake_llm.rs"]
mod fake_llm;
#[path = "api/helpers.rs"]
mod helpers;

use std::time::{Duration, Instant};

use futures::StreamExt;
use reqwest::Client;

use crate::fake_llm::app_and_fake_llm;
use crate::helpers::*;

/// One engine's run at a time (the two tests of `on_both_engines!` would run at once).
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

const AT_ONCE: usize = 50;
const SLOWEST_ALLOWED: Duration = Duration::from_secs(1);

fn renders_per_page() -> usize {
    std::env::var("MARUNTIME_PAGE_RENDERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(60)
}

/// One unit of the mixed load.
#[derive(Clone)]
enum Job {
    Page(String, u16),
    Login,
    Send,
    StartAnotherApp,
}

on_both_engines! {
    setup = |engine| async move {
        let settings = [("MARUNTIME_RUNS_PER_USER", "64")];
        Some((app_and_fake_llm(engine, &settings).await?, engine))
    };
    async fn every_page_renders_in_time_under_mixed_load(((app, _fake), engine)) {
        let _alone = ONE_AT_A_TIME.lock().await;
        // The owner (admin) browses every page; ann sends through the gateway meanwhile.
        app.register("owner").await;
        let owner = app.client.clone();
        let (ann, _) = key_client(&app, "ann").await;
        let first = complete(&app, &ann, ask("hello")).await;
        assert_eq!(first.status(), 200);
        let chat: serde_json::Value = owner
            .post(app.url("/v1/chats"))
            .json(&serde_json::json!({"title": "Load"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let chat_id = chat["id"].as_str().unwrap();
        post_message(&app, &owner, chat_id, "a message to render").await;

        let pages = [
            ("/".to_string(), 200),
            ("/login".into(), 200),
            ("/register".into(), 200),
            ("/chat".into(), 200),
            (format!("/chat/{chat_id}"), 200),
            ("/profile".into(), 200),
            ("/admin".into(), 200),
            ("/no-such-page".into(), 404),
        ];
        let per_page = renders_per_page();
        let mut jobs = Vec::new();
        for i in 0..per_page {
            for (path, status) in &pages {
                jobs.push(Job::Page(path.clone(), *status));
            }
            if i % 10 == 0 {
                jobs.push(Job::Login);
            }
            if i % 4 == 0 {
                jobs.push(Job::Send);
            }
            if i % 30 == 0 {
                jobs.push(Job::StartAnotherApp);
            }
        }
        let began = Instant::now();
        let results: Vec<(Job, Duration)> = futures::stream::iter(jobs)
            .map(|job| {
                let (app, owner, ann) = (&app, owner.clone(), ann.clone());
                async move {
                    let started = Instant::now();
                    run(app, &owner, &ann, &job, engine).await;
                    (job, started.elapsed())
                }
            })
            .buffer_unordered(AT_ONCE)
            .collect()
            .await;
        let mut renders: Vec<Duration> = results
            .iter()
            .filter(|(job, _)| matches!(job, Job::Page(..)))
            .map(|(_, took)| *took)
            .collect();
        renders.sort();
        let slowest = *renders.last().unwrap();
        let p99 = renders[renders.len() * 99 / 100];
        println!(
            "{engine:?}: {} page renders ({} per page) with {} other jobs, {AT_ONCE} at once, in {:.1} s: p99 {p99:?}, slowest {slowest:?}",
            renders.len(),
            per_page,
            results.len() - renders.len(),
            began.elapsed().as_secs_f64()
        );
        assert!(slowest < SLOWEST_ALLOWED, "a page took {slowest:?}");
    }
}

async fn run(app: &TestApp, owner: &Client, ann: &Client, job: &Job, engine: Engine) {
    match job {
        Job::Page(path, status) => {
            let r = app.get_page(owner, path).await;
            assert_eq!(r.status().as_u16(), *status, "{path}");
            let html = r.text().await.unwrap();
            // The whole body arrived (a streamed page's resolved data follows `</html>`).
            assert!(html.contains("</html>"), "{path} ended early: {html}");
        }
        Job::Login => {
            let r = app
                .login_with(&app.other_client(), "owner", STRONG_PASSWORD)
                .await;
            assert_eq!(r.status(), 200, "login");
        }
        Job::Send => {
            let r = complete(app, ann, ask("a question")).await;
            assert_eq!(r.status(), 200, "send");
            r.bytes().await.unwrap();
        }
        Job::StartAnotherApp => {
            // As the suite does: another app of this process builds its router and serves.
            let other = spawn_app_on(engine, |_| {}).await.unwrap();
            assert_eq!(other.get_page(&other.client, "/").await.status(), 200);
        }
    }
}
