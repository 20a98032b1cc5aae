//! History search: quality on a small fixed corpus in Russian and English, scope, isolation,
//! safety of any query, and an index that follows renames, deletes and reindexing.

use reqwest::Client;
use serde_json::{json, Value};

use crate::helpers::*;

async fn chat_with(app: &TestApp, client: &Client, title: &str, messages: &[&str]) -> String {
    let id = create_chat_titled(app, client, Some(title)).await;
    for m in messages {
        post_message(app, client, &id, m).await;
    }
    id
}

async fn search_raw(app: &TestApp, client: &Client, query: &[(&str, &str)]) -> reqwest::Response {
    client
        .get(app.url("/v1/chats/search"))
        .query(query)
        .send()
        .await
        .unwrap()
}

/// The results' snippets with the marks taken out, best first.
async fn found(app: &TestApp, client: &Client, q: &str) -> Vec<Value> {
    let r = search_raw(app, client, &[("q", q)]).await;
    assert_eq!(r.status(), 200, "searching {q:?}");
    let body: Value = r.json().await.unwrap();
    body["data"].as_array().unwrap().clone()
}

fn plain(result: &Value) -> String {
    maruntime::model::snippet_parts(result["snippet"].as_str().unwrap())
        .into_iter()
        .map(|(t, _)| t)
        .collect()
}

async fn top(app: &TestApp, client: &Client, q: &str) -> Option<String> {
    found(app, client, q).await.first().map(plain)
}

async fn corpus(app: &TestApp) -> (String, String) {
    app.register("ann").await;
    let c = &app.client;
    let weather = chat_with(
        app,
        c,
        "Погода",
        &[
            "Какая погода сегодня в Москве?",
            "Завтра ожидается снег и сильный мороз",
        ],
    )
    .await;
    chat_with(
        app,
        c,
        "Sport",
        &[
            "I went running in the park this morning",
            "The marathon training plan starts on Monday",
        ],
    )
    .await;
    let atlas = chat_with(
        app,
        c,
        "Atlas",
        &[
            "The Atlas launch moved to Friday",
            "Friday dinner with the team is cancelled",
            "Atlas documentation is ready for review",
        ],
    )
    .await;
    chat_with(
        app,
        c,
        "Flowers",
        &[
            "Мы обсуждали красные розы в Париже",
            "Red roses are my favourite flowers",
            "The roses in the garden are red",
        ],
    )
    .await;
    (weather, atlas)
}

on_both_engines! {
    async fn search_finds_what_a_person_means_in_russian_and_english(app) {
        corpus(&app).await;
        let c = &app.client;
        // Word forms, both languages, any case.
        assert_eq!(top(&app, c, "погоды").await.as_deref(), Some("Какая погода сегодня в Москве?"));
        assert_eq!(top(&app, c, "МОРОЗЫ").await.as_deref(), Some("Завтра ожидается снег и сильный мороз"));
        assert_eq!(top(&app, c, "run").await.as_deref(), Some("I went running in the park this morning"));
        assert_eq!(top(&app, c, "розами").await.as_deref(), Some("Мы обсуждали красные розы в Париже"));

        // Every word ranks above some of them, and the match is marked.
        let results = found(&app, c, "atlas friday").await;
        assert_eq!(plain(&results[0]), "The Atlas launch moved to Friday");
        assert_eq!(results[0]["snippet"], "The **Atlas** launch moved to **Friday**");
        assert_eq!(results.len(), 3);
        assert!(results[0]["score"].as_f64() > results[1]["score"].as_f64());
        assert_eq!(results[0]["chat_title"], "Atlas");
        assert_eq!(results[0]["role"], "user");

        // A quoted phrase matches those words together, in that order.
        let phrase: Vec<String> = found(&app, c, "\"red roses\"").await.iter().map(plain).collect();
        assert_eq!(phrase, vec!["Red roses are my favourite flowers"]);
        assert_eq!(found(&app, c, "red roses").await.len(), 2);

        // Nothing exact: partial words and typos still find it.
        assert_eq!(top(&app, c, "marat").await.as_deref(), Some("The marathon training plan starts on Monday"));
        assert_eq!(top(&app, c, "погда").await.as_deref(), Some("Какая погода сегодня в Москве?"));
        assert_eq!(top(&app, c, "documantation").await.as_deref(), Some("Atlas documentation is ready for review"));
        assert!(found(&app, c, "zeppelin").await.is_empty());

        // Any characters are safe.
        for q in ["\"", ") AND OR NOT * NEAR(", "'; drop table messages; --", "{stems}: x*", "", "   ", "a:b -c ^d"] {
            let r = search_raw(&app, c, &[("q", q)]).await;
            assert_eq!(r.status(), 200, "{q:?}");
        }
    }

    async fn search_is_scoped_to_the_user_and_the_chat(app) {
        let (weather, atlas) = corpus(&app).await;
        let c = &app.client;
        let current = search_raw(&app, c, &[("q", "friday"), ("scope", "current"), ("chat_id", &atlas)]).await;
        let current: Value = current.json().await.unwrap();
        assert_eq!(current["data"].as_array().unwrap().len(), 2);
        let none: Value = search_raw(&app, c, &[("q", "friday"), ("scope", "current"), ("chat_id", &weather)]).await.json().await.unwrap();
        assert_eq!(none["data"], json!([]));
        let limited: Value = search_raw(&app, c, &[("q", "friday"), ("limit", "1")]).await.json().await.unwrap();
        assert_eq!(limited["data"].as_array().unwrap().len(), 1);

        let r = search_raw(&app, c, &[("q", "friday"), ("scope", "current")]).await;
        assert_eq!(r.status(), 422);
        assert_eq!(error_of(r).await.2.as_deref(), Some("chat_id"));
        assert_eq!(search_raw(&app, c, &[("q", "x"), ("scope", "everywhere")]).await.status(), 400);
        assert_eq!(search_raw(&app, c, &[("q", "x"), ("limit", "0")]).await.status(), 422);
        assert_eq!(search_raw(&app, c, &[("q", &"x".repeat(501))]).await.status(), 422);
        assert_eq!(search_raw(&app, &app.other_client(), &[("q", "friday")]).await.status(), 401);

        let bob = app.other_client();
        assert_eq!(app.register_with(&bob, "bob", STRONG_PASSWORD).await.status(), 201);
        assert!(found(&app, &bob, "atlas").await.is_empty(), "never another user's messages");
        assert!(found(&app, &bob, "atla").await.is_empty());
        let foreign = search_raw(&app, &bob, &[("q", "atlas"), ("scope", "current"), ("chat_id", &atlas)]).await;
        assert_eq!(foreign.status(), 404);
    }

    async fn the_index_follows_renames_deletes_and_reindexing(app) {
        let (_, atlas) = corpus(&app).await;
        let c = &app.client;
        let r = c.patch(app.url(&format!("/v1/chats/{atlas}"))).json(&json!({"title": "Project Atlas"})).send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(found(&app, c, "launch").await[0]["chat_title"], "Project Atlas");

        let before: Vec<String> = found(&app, c, "roses").await.iter().map(plain).collect();
        let n = app.state.store.reindex(maruntime::server::search::terms_to_index, 3).await.unwrap();
        assert_eq!(n, 10);
        let after: Vec<String> = found(&app, c, "roses").await.iter().map(plain).collect();
        assert_eq!(before, after);
        assert_eq!(top(&app, c, "погда").await.as_deref(), Some("Какая погода сегодня в Москве?"), "the typo vocabulary is rebuilt too");

        let r = c.delete(app.url(&format!("/v1/chats/{atlas}"))).send().await.unwrap();
        assert!(r.status().is_success());
        assert!(found(&app, c, "launch").await.is_empty());
        assert!(found(&app, c, "documentation").await.is_empty());
        if !app.database_url.starts_with("sqlite") {
            // PostgreSQL's word postings go with their messages too.
            let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&app.database_url).await.unwrap();
            let orphans: i64 = sqlx::query_scalar("select count(*) from search_postings p where not exists (select 1 from messages m where m.seq = p.seq)")
                .fetch_one(&mut conn).await.unwrap();
            assert_eq!(orphans, 0);
            let left: i64 = sqlx::query_scalar("select count(*) from search_postings").fetch_one(&mut conn).await.unwrap();
            assert!(left > 0, "the other chats keep theirs");
        }
    }
}

on_both_engines! {
    async fn a_database_from_before_the_index_is_indexed(app) {
        corpus(&app).await;
        assert!(!app.state.store.index_is_missing().await.unwrap());
        // What a database from before the index looks like: messages, no index entries.
        let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&app.database_url).await.unwrap();
        let clear = if app.database_url.starts_with("sqlite") { "delete from message_fts" } else { "delete from message_search" };
        sqlx::query(clear).execute(&mut conn).await.unwrap();
        assert!(app.state.store.index_is_missing().await.unwrap());
        assert!(found(&app, &app.client, "documentation").await.is_empty());
        app.state.store.reindex(maruntime::server::search::terms_to_index, 4).await.unwrap();
        assert!(!app.state.store.index_is_missing().await.unwrap());
        assert_eq!(found(&app, &app.client, "documentation").await.len(), 1);
        if !app.database_url.starts_with("sqlite") {
            // A PostgreSQL database from before the word postings: indexed again.
            sqlx::query("delete from search_postings").execute(&mut conn).await.unwrap();
            assert!(app.state.store.index_is_missing().await.unwrap());
            app.state.store.reindex(maruntime::server::search::terms_to_index, 4).await.unwrap();
            assert!(!app.state.store.index_is_missing().await.unwrap());
            let top: Vec<String> = found(&app, &app.client, "documentation").await.iter().map(plain).collect();
            assert_eq!(top.len(), 1, "{top:?}");
        }
    }
}

// Two chats of one person written at once, each transaction adding the same new words to the
// typo vocabulary in the other order: PostgreSQL deadlocked and one append was lost.
on_both_engines! {
    async fn one_person_writing_two_chats_at_once_loses_nothing(app) {
        app.register("ann").await;
        let user = app.user("ann").await;
        let rounds = 12;
        let mut writers = Vec::new();
        let start = std::sync::Arc::new(tokio::sync::Barrier::new(2));
        for w in 0..2 {
            let (chats, user, start) = (app.state.chats.clone(), user.clone(), start.clone());
            writers.push(tokio::spawn(async move {
                let chat = chats.start_chat(&user, Some("Parallel"), None).await.unwrap();
                for r in 0..rounds {
                    // Words no earlier round wrote, so both writers add them new.
                    let first = format!("alpha{r}one alpha{r}two alpha{r}three");
                    let second = format!("omega{r}one omega{r}two omega{r}three");
                    let (a, b) = if w == 0 { (&first, &second) } else { (&second, &first) };
                    // A writer that failed never arrives: the other stops waiting for it.
                    let wait = tokio::time::timeout(std::time::Duration::from_secs(10), start.wait());
                    wait.await.unwrap_or_else(|_| panic!("writer {w}: the other writer stopped"));
                    chats
                        .append_messages(&user, chat.id, &[(maruntime::model::Role::User, a.as_str(), None), (maruntime::model::Role::Assistant, b.as_str(), None)])
                        .await
                        .unwrap_or_else(|e| panic!("writer {w}, round {r}: {e:?}"));
                }
                chat.id
            }));
        }
        let mut chats = Vec::new();
        let mut failures = Vec::new();
        for writer in writers {
            match writer.await {
                Ok(chat) => chats.push(chat),
                Err(e) => failures.push(e.into_panic().downcast::<String>().map(|m| *m).unwrap_or_default()),
            }
        }
        assert!(failures.is_empty(), "{failures:?}");
        for chat in chats {
            let window = maruntime::server::store::MessageWindow::After(0);
            let stored = app.state.store.list_messages(user.id, chat, window, 100).await.unwrap();
            assert_eq!(stored.len(), 2 * rounds, "every message of chat {chat}");
        }
        let found = app.state.store.similar_terms(user.id, "omega11thre", 5).await.unwrap();
        assert!(found.contains(&"omega11three".to_string()), "the vocabulary has the words: {found:?}");
    }
}
