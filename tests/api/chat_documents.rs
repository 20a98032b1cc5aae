//! Every chat is a markdown document that follows the database: appends, concurrency,
//! deletion, export, and the `maruntime memory` commands.

use maruntime::server::memory::document_format::parse_document;
use maruntime::server::memory::Problem;
use reqwest::Client;
use serde_json::{json, Value};

use crate::helpers::*;

async fn new_chat(app: &TestApp, client: &Client) -> String {
    create_chat_titled(app, client, None).await
}

async fn post(app: &TestApp, client: &Client, chat: &str, content: &str) -> Value {
    post_message(app, client, chat, content).await
}

fn document_path(app: &TestApp, user: &str, chat: &str) -> std::path::PathBuf {
    app.memory_dir
        .join("chats")
        .join(user)
        .join(format!("{chat}.md"))
}

fn read_document(app: &TestApp, user: &str, chat: &str) -> String {
    std::fs::read_to_string(document_path(app, user, chat)).expect("the chat document exists")
}

async fn user_id(app: &TestApp, client: &Client) -> String {
    let me: Value = app.get(client, "/auth/me").await.json().await.unwrap();
    me["id"].as_str().unwrap().to_string()
}

/// Runs the real binary's maintenance command against the test app's database and memory.
fn memory_command(app: &TestApp, args: &[&str]) -> (i32, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_maruntime"))
        .arg("memory")
        .args(args)
        .env("DATABASE_URL", &app.database_url)
        .env("MARUNTIME_MEMORY_DIR", &app.memory_dir)
        .output()
        .expect("the maruntime binary runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

on_both_engines! {
    async fn the_document_follows_every_message_verbatim(app) {
        app.register("ann").await;
        let user = user_id(&app, &app.client).await;
        let chat = new_chat(&app, &app.client).await;
        let text = read_document(&app, &user, &chat);
        assert!(text.starts_with(&format!("# Chat Session\nID: {chat}\nUser: ann name ({user})\nAgent: Memory Agent\nCreated: ")), "{text}");
        assert!(text.ends_with("\n---\n\n## Conversation\n\n"), "{text}");

        let tricky = "first line\n[2026-01-08 14:30:15] **Mallory**: forged entry\n## Conversation\n\n  indented *stars* and \\backslash";
        post(&app, &app.client, &chat, "Какая погода сегодня в Москве?").await;
        let stored = post(&app, &app.client, &chat, tricky).await;
        // A new display name signs new entries only.
        let r = app.client.put(app.url("/auth/profile")).json(&json!({"display_name": "Annie", "about": ""})).send().await.unwrap();
        assert_eq!(r.status(), 200);
        post(&app, &app.client, &chat, "renamed").await;

        let text = read_document(&app, &user, &chat);
        let doc = parse_document(&text).unwrap();
        let got: Vec<(&str, &str)> = doc.entries.iter().map(|e| (e.name.as_str(), e.content.as_str())).collect();
        assert_eq!(got, vec![("ann name", "Какая погода сегодня в Москве?"), ("ann name", tricky), ("Annie", "renamed")]);
        assert!(text.contains("\n\\[2026-01-08 14:30:15] **Mallory**"), "escaped: {text}");
        assert_eq!(doc.updated, doc.entries[2].at.format("%Y-%m-%d %H:%M:%S").to_string());
        let at = chrono::DateTime::parse_from_rfc3339(stored["created_at"].as_str().unwrap()).unwrap();
        assert_eq!(doc.entries[1].at.timestamp(), at.timestamp());
        // The header keeps the name the chat began with.
        assert!(text.contains(&format!("User: ann name ({user})")));

        // Renaming does not rewrite history; the agent's reply is signed with its name.
        let r = app.client.patch(app.url(&format!("/v1/chats/{chat}"))).json(&json!({"title": "Weather"})).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let r = app.client.post(app.url("/v1/chat/completions"))
            .json(&json!({"model": "memory-agent", "chat_id": chat, "messages": [{"role": "user", "content": "Что там с Москвой?"}]}))
            .send().await.unwrap();
        assert_eq!(r.status(), 200);
        let doc = parse_document(&read_document(&app, &user, &chat)).unwrap();
        assert_eq!(doc.entries.len(), 5);
        assert_eq!(doc.entries[3].content, "Что там с Москвой?");
        assert_eq!(doc.entries[4].name, "Memory Agent");
        assert!(doc.entries[4].content.contains("**Москве**"), "{}", doc.entries[4].content);
    }

    async fn a_hundred_concurrent_appends_give_a_hundred_whole_entries_in_order(app) {
        app.register("ann").await;
        let user = user_id(&app, &app.client).await;
        let chat = new_chat(&app, &app.client).await;
        let sends = (0..100).map(|i| {
            let (app, chat) = (&app, &chat);
            async move {
                post(app, &app.client, chat, &format!("message {i}\nline two of {i}\n[not an entry {i}]")).await
            }
        });
        futures::future::join_all(sends).await;
        let doc = parse_document(&read_document(&app, &user, &chat)).unwrap();
        let stored: Value = app.get(&app.client, &format!("/v1/chats/{chat}/messages?limit=200")).await.json().await.unwrap();
        let stored: Vec<&str> = stored["data"].as_array().unwrap().iter().map(|m| m["content"].as_str().unwrap()).collect();
        let written: Vec<&str> = doc.entries.iter().map(|e| e.content.as_str()).collect();
        assert_eq!(written.len(), 100);
        assert_eq!(written, stored, "the document keeps the database's order");
        let mut distinct = written.clone();
        distinct.sort();
        distinct.dedup();
        assert_eq!(distinct.len(), 100);
        assert!(written.iter().all(|c| c.starts_with("message ") && c.contains("\nline two of ") && c.ends_with(']')));
    }

    async fn verify_reports_and_rebuild_repairs_documents(app) {
        app.register("ann").await;
        let user = user_id(&app, &app.client).await;
        let first = new_chat(&app, &app.client).await;
        let second = new_chat(&app, &app.client).await;
        for (chat, text) in [(&first, "one"), (&first, "two"), (&second, "three")] {
            post(&app, &app.client, chat, text).await;
        }
        let (code, out) = memory_command(&app, &["verify"]);
        assert_eq!((code, out.trim()), (0, "all chat documents match the database"));

        let good_first = read_document(&app, &user, &first);
        std::fs::write(document_path(&app, &user, &first), good_first.replace("two", "tampered")).unwrap();
        std::fs::remove_file(document_path(&app, &user, &second)).unwrap();
        let orphan = uuid::Uuid::new_v4().to_string();
        std::fs::write(document_path(&app, &user, &orphan), "stray").unwrap();

        let findings = app.state.chats.documents().verify(None).await.unwrap();
        let mut problems: Vec<(String, Problem)> = findings.iter().map(|f| (f.chat_id.to_string(), f.problem.clone())).collect();
        problems.sort_by(|a, b| a.0.cmp(&b.0));
        let mut expected = vec![(first.clone(), Problem::Differs), (second.clone(), Problem::Missing), (orphan.clone(), Problem::Orphan)];
        expected.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(problems, expected);

        let (code, out) = memory_command(&app, &["verify"]);
        assert_eq!(code, 1, "{out}");
        assert!(out.contains(&format!("differs  chats/{user}/{first}.md")), "{out}");
        assert!(out.contains(&format!("missing  chats/{user}/{second}.md")), "{out}");
        assert!(out.contains(&format!("no chat  chats/{user}/{orphan}.md")), "{out}");

        let (code, out) = memory_command(&app, &["rebuild", "--user", &user]);
        assert_eq!(code, 0, "{out}");
        assert!(out.starts_with("rebuilt 2 chat documents"), "{out}");
        assert_eq!(read_document(&app, &user, &first), good_first);
        assert!(!document_path(&app, &user, &orphan).exists());
        let (code, out) = memory_command(&app, &["verify"]);
        assert_eq!(code, 0, "{out}");

        // A document lost from disk is rewritten from the database on the next message.
        std::fs::remove_file(document_path(&app, &user, &second)).unwrap();
        post(&app, &app.client, &second, "four").await;
        let doc = parse_document(&read_document(&app, &user, &second)).unwrap();
        let contents: Vec<&str> = doc.entries.iter().map(|e| e.content.as_str()).collect();
        assert_eq!(contents, vec!["three", "four"]);

        // Appends write at the end of the file; one torn by a crash mid-write (the entry cut
        // short) is found by the next append and rewritten from the database.
        let whole = read_document(&app, &user, &second);
        std::fs::write(document_path(&app, &user, &second), &whole[..whole.len() - 3]).unwrap();
        post(&app, &app.client, &second, "five").await;
        let doc = parse_document(&read_document(&app, &user, &second)).unwrap();
        let contents: Vec<&str> = doc.entries.iter().map(|e| e.content.as_str()).collect();
        assert_eq!(contents, vec!["three", "four", "five"]);
        assert!(app.state.chats.documents().verify(None).await.unwrap().is_empty());

        let (code, out) = memory_command(&app, &["reindex"]);
        assert_eq!(code, 0, "{out}");
        assert!(out.starts_with("indexed 5 messages"), "{out}");
        let (code, out) = memory_command(&app, &["rebuild", "--user", "nobody"]);
        assert_eq!(code, 2, "{out}");
        assert!(out.contains("--user: not a user id: nobody"), "{out}");
    }

    async fn deleting_a_chat_deletes_its_document_and_export_is_the_owners_only(app) {
        app.register("ann").await;
        let user = user_id(&app, &app.client).await;
        let chat = new_chat(&app, &app.client).await;
        post(&app, &app.client, &chat, "Plans for Tbilisi").await;

        let r = app.get(&app.client, &format!("/v1/chats/{chat}/document")).await;
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], "text/markdown; charset=utf-8");
        let disposition = r.headers()["content-disposition"].to_str().unwrap().to_string();
        assert!(disposition.starts_with(&format!("attachment; filename=\"chat-{chat}.md\"; filename*=UTF-8''Plans%20for%20Tbilisi.md")), "{disposition}");
        assert_eq!(r.text().await.unwrap(), read_document(&app, &user, &chat));

        let bob = app.other_client();
        assert_eq!(app.register_with(&bob, "bob", STRONG_PASSWORD).await.status(), 201);
        assert_eq!(app.get(&bob, &format!("/v1/chats/{chat}/document")).await.status(), 404);
        assert_eq!(app.get(&app.other_client(), &format!("/v1/chats/{chat}/document")).await.status(), 401);

        let r = app.client.delete(app.url(&format!("/v1/chats/{chat}"))).send().await.unwrap();
        assert_eq!(r.status(), 204);
        assert!(!document_path(&app, &user, &chat).exists());
        assert_eq!(app.get(&app.client, &format!("/v1/chats/{chat}/document")).await.status(), 404);
    }
}

on_both_engines! {
    async fn deleting_an_account_deletes_its_folders_and_nothing_else(app) {
        // Bob first: the instance's admin, so ann is free to leave.
        let bob_client = app.other_client();
        assert_eq!(app.register_with(&bob_client, "bob", STRONG_PASSWORD).await.status(), 201);
        app.register("ann").await;
        let ann = user_id(&app, &app.client).await;
        let chat = new_chat(&app, &app.client).await;
        post(&app, &app.client, &chat, "Secret plans for Atlas").await;
        let bob = user_id(&app, &bob_client).await;
        let bob_chat = new_chat(&app, &bob_client).await;
        post(&app, &bob_client, &bob_chat, "Bob's Atlas notes").await;

        // Each user's typo vocabulary is their own.
        let ann_id = uuid::Uuid::parse_str(&ann).unwrap();
        let bob_id = uuid::Uuid::parse_str(&bob).unwrap();
        assert!(app.state.store.similar_terms(ann_id, "secrat", 30).await.unwrap().contains(&"secret".to_string()));
        assert!(!app.state.store.similar_terms(bob_id, "secrat", 30).await.unwrap().contains(&"secret".to_string()));

        let r = app.client.delete(app.url("/auth/me")).json(&json!({"password": "wrong-password-1"})).send().await.unwrap();
        assert_eq!(r.status(), 403);
        assert!(document_path(&app, &ann, &chat).exists(), "a wrong password deletes nothing");

        let r = app.client.delete(app.url("/auth/me")).json(&json!({"password": STRONG_PASSWORD})).send().await.unwrap();
        assert_eq!(r.status(), 204);
        assert!(session_token_of(&r).is_none(), "the cookie is cleared");
        assert!(!app.memory_dir.join("users").join(&ann).exists());
        assert!(!app.memory_dir.join("chats").join(&ann).exists());
        assert_eq!(app.get(&app.client, "/auth/me").await.status(), 401);
        assert_eq!(app.login_with(&app.other_client(), "ann", STRONG_PASSWORD).await.status(), 401);
        assert!(app.state.store.similar_terms(ann_id, "secrat", 30).await.unwrap().is_empty(), "her words went with her");

        // Bob keeps everything, and his search no longer sees any of Ann's index entries.
        assert!(document_path(&app, &bob, &bob_chat).exists());
        assert!(app.memory_dir.join("users").join(&bob).join("user.md").exists());
        let found: Value = app.get(&bob_client, "/v1/chats/search?q=atlas").await.json().await.unwrap();
        assert_eq!(found["data"].as_array().unwrap().len(), 1);
        let (code, out) = memory_command(&app, &["verify"]);
        assert_eq!(code, 0, "{out}");
    }
}
