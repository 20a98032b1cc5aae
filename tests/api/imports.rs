//! `POST /v1/imports`: ChatGPT, Claude, Open WebUI and LibreChat exports become chats with
//! their own times, documents and search hits; re-imports add only what is new; bad files
//! import nothing; one import per account; `maruntime import` does the same.

use reqwest::multipart::{Form, Part};
use reqwest::{Client, Response};
use serde_json::{json, Value};

use crate::helpers::*;

const ROOT: &str = "00000000-0000-0000-0000-000000000000";

/// A ChatGPT node: `message` with the role, parts and time (no metadata at all when `model`
/// is `None`, as some exports have it).
fn gpt_node(
    id: &str,
    parent: Option<&str>,
    children: &[&str],
    message: Option<(&str, Value, Option<f64>, Option<&str>)>,
) -> Value {
    let message = message.map(|(role, parts, time, model)| {
        let mut m = json!({
            "id": id,
            "author": {"role": role},
            "content": {"content_type": "text", "parts": parts},
            "create_time": time,
        });
        if let Some(model) = model {
            m["metadata"] = json!({"model_slug": model});
        }
        m
    });
    json!({"id": id, "parent": parent, "children": children, "message": message})
}

/// A ChatGPT conversation in Russian with an edit, a regeneration, a hidden system message,
/// a null root, a node without metadata and a picture among the parts.
fn borscht() -> Value {
    let mut mapping = serde_json::Map::new();
    for node in [
        gpt_node("root", None, &["sys"], None),
        gpt_node(
            "sys",
            Some("root"),
            &["q1", "q1-edited"],
            Some(("system", json!([""]), None, Some("gpt-4o"))),
        ),
        gpt_node(
            "q1",
            Some("sys"),
            &["a-old"],
            Some((
                "user",
                json!(["Как варить борщ? (первый вариант)"]),
                Some(1_700_000_000.5),
                None,
            )),
        ),
        gpt_node(
            "a-old",
            Some("q1"),
            &[],
            Some((
                "assistant",
                json!(["Ответ на вопрос, который отредактировали"]),
                Some(1_700_000_001.0),
                Some("gpt-4o"),
            )),
        ),
        gpt_node(
            "q1-edited",
            Some("sys"),
            &["a1-regenerated", "a1"],
            Some((
                "user",
                json!(["Как варить борщ со свёклой?"]),
                Some(1_700_000_010.0),
                Some("gpt-4o"),
            )),
        ),
        gpt_node(
            "a1-regenerated",
            Some("q1-edited"),
            &[],
            Some((
                "assistant",
                json!(["Старый ответ до перегенерации"]),
                Some(1_700_000_011.0),
                Some("gpt-4o"),
            )),
        ),
        gpt_node(
            "a1",
            Some("q1-edited"),
            &["q2"],
            Some((
                "assistant",
                json!(["Свёклу тушат отдельно с уксусом, чтобы борщ был красным."]),
                Some(1_700_000_020.0),
                Some("gpt-4o"),
            )),
        ),
        gpt_node(
            "q2",
            Some("a1"),
            &["a2"],
            Some(("user", json!(["А капусту когда класть?"]), None, None)),
        ),
        gpt_node(
            "a2",
            Some("q2"),
            &[],
            Some((
                "assistant",
                json!([
                    "Капусту кладут за десять минут до конца.",
                    {"content_type": "image_asset_pointer", "asset_pointer": "file-service://x"}
                ]),
                Some(1_700_000_040.0),
                Some("gpt-4o"),
            )),
        ),
    ] {
        mapping.insert(node["id"].as_str().unwrap().to_string(), node);
    }
    json!({
        "id": "conv-borscht",
        "conversation_id": "conv-borscht",
        "title": "Борщ",
        "create_time": 1_699_999_999.0,
        "update_time": 1_700_000_040.0,
        "current_node": "a2",
        "mapping": mapping,
    })
}

fn gpt_simple(id: &str, title: &str, question: &str, answer: &str, at: f64) -> Value {
    json!({
        "id": id, "title": title, "create_time": at, "current_node": "a",
        "mapping": {
            "q": gpt_node("q", None, &["a"], Some(("user", json!([question]), Some(at), None))),
            "a": gpt_node("a", Some("q"), &[], Some(("assistant", json!([answer]), Some(at + 5.0), Some("o3")))),
        }
    })
}

fn claude(id: &str, messages: &[(&str, &str, &str)]) -> Value {
    let mut parent = ROOT.to_string();
    let messages: Vec<Value> = messages
        .iter()
        .map(|(uuid, sender, text)| {
            let m = json!({
                "uuid": uuid, "sender": sender, "parent_message_uuid": parent,
                "text": "", "created_at": "2024-03-01T09:00:00.000000Z",
                "content": [
                    {"type": "thinking", "thinking": "private reasoning"},
                    {"type": "text", "text": text}
                ]
            });
            parent = uuid.to_string();
            m
        })
        .collect();
    json!({
        "uuid": id, "name": "Claude talk", "created_at": "2024-03-01T09:00:00.000000Z",
        "chat_messages": messages
    })
}

async fn upload(app: &TestApp, client: &Client, name: &str, bytes: Vec<u8>) -> Response {
    let form = Form::new().part("file", Part::bytes(bytes).file_name(name.to_string()));
    client
        .post(app.url("/v1/imports"))
        .multipart(form)
        .send()
        .await
        .expect("request")
}

async fn import_ok(app: &TestApp, client: &Client, name: &str, bytes: Vec<u8>) -> Value {
    let r = upload(app, client, name, bytes).await;
    let status = r.status();
    let body: Value = r.json().await.unwrap();
    assert_eq!(status, 201, "importing {name}: {body}");
    body
}

async fn chats_of(app: &TestApp, client: &Client) -> Vec<Value> {
    let list: Value = app.get(client, "/v1/chats").await.json().await.unwrap();
    list["data"].as_array().unwrap().clone()
}

async fn messages_of(app: &TestApp, client: &Client, chat: &str) -> Vec<Value> {
    let list: Value = app
        .get(client, &format!("/v1/chats/{chat}/messages?limit=500"))
        .await
        .json()
        .await
        .unwrap();
    list["data"].as_array().unwrap().clone()
}

fn texts(messages: &[Value]) -> Vec<String> {
    messages
        .iter()
        .map(|m| m["content"].as_str().unwrap().to_string())
        .collect()
}

async fn search(app: &TestApp, client: &Client, q: &str) -> Vec<Value> {
    let r = client
        .get(app.url("/v1/chats/search"))
        .query(&[("q", q)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    body["data"].as_array().unwrap().clone()
}

async fn user_id(app: &TestApp, client: &Client) -> String {
    let me: Value = app.get(client, "/auth/me").await.json().await.unwrap();
    me["id"].as_str().unwrap().to_string()
}

/// An upload of `length` bytes whose body is sent as the test hands it chunks: the request
/// runs in its own task until the sender is dropped (or the task is aborted).
fn slow_upload(
    app: &TestApp,
    length: u64,
) -> (
    tokio::sync::mpsc::Sender<Vec<u8>>,
    tokio::task::JoinHandle<reqwest::Result<Response>>,
) {
    let (send, receive) = tokio::sync::mpsc::channel::<Vec<u8>>(4);
    let stream = futures::stream::unfold(receive, |mut r| async move {
        r.recv().await.map(|b| (Ok::<_, std::io::Error>(b), r))
    });
    let part = Part::stream_with_length(reqwest::Body::wrap_stream(stream), length)
        .file_name("conversations.json");
    let (client, url) = (app.client.clone(), app.url("/v1/imports"));
    let task = tokio::spawn(async move {
        client
            .post(url)
            .multipart(Form::new().part("file", part))
            .send()
            .await
    });
    (send, task)
}

/// Polls the latest import until `done` holds for it (10 s at most); returns the last seen.
async fn latest_until(app: &TestApp, done: impl Fn(&Value) -> bool) -> Value {
    let mut seen = Value::Null;
    for _ in 0..100 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        seen = app
            .get(&app.client, "/v1/imports/latest")
            .await
            .json()
            .await
            .unwrap();
        if done(&seen) {
            break;
        }
    }
    seen
}

on_both_engines! {
    async fn a_chatgpt_export_becomes_chats_with_their_times_documents_and_search_hits(app) {
        app.register("ann").await;
        let zip = zip_of(&[
            ("conversations-001.json", json!([gpt_simple("conv-2", "Later", "What is a B-tree?", "A balanced search tree.", 1_710_000_000.0)]).to_string()),
            ("chat.html", "<html></html>".into()),
            // A folder entry has no mapping: skipped and counted, never a failure.
            ("conversations-000.json", json!([borscht(), {"id": "folder-1", "title": "Recipes", "is_folder": true}]).to_string()),
        ]);
        let body = import_ok(&app, &app.client, "export.zip", zip).await;
        assert_eq!(body["imported"], 2, "{body}");
        assert_eq!(body["skipped"], 1, "{body}");
        assert_eq!(body["messages"], 6, "{body}");
        let listed = body["chats"].as_array().unwrap();
        assert_eq!(listed[0]["title"], "Борщ");
        assert_eq!(listed[0]["source"], "chatgpt:conv-borscht");
        assert_eq!(listed[1]["source"], "chatgpt:conv-2");

        // Listed by their own last activity: the newer conversation first.
        let chats = chats_of(&app, &app.client).await;
        let titles: Vec<&str> = chats.iter().map(|c| c["title"].as_str().unwrap()).collect();
        assert_eq!(titles, ["Later", "Борщ"]);
        let borscht_chat = listed[0]["id"].as_str().unwrap();
        let chat = &chats[1];
        assert_eq!(chat["id"], borscht_chat);
        assert_eq!(chat["created_at"], "2023-11-14T22:13:19Z");
        assert_eq!(chat["updated_at"], "2023-11-14T22:14:00Z");

        // Only the branch the person saw: the edited question and the chosen answer.
        let messages = messages_of(&app, &app.client, borscht_chat).await;
        assert_eq!(texts(&messages), [
            "Как варить борщ со свёклой?",
            "Свёклу тушат отдельно с уксусом, чтобы борщ был красным.",
            "А капусту когда класть?",
            "Капусту кладут за десять минут до конца.",
        ]);
        let roles: Vec<&str> = messages.iter().map(|m| m["role"].as_str().unwrap()).collect();
        assert_eq!(roles, ["user", "assistant", "user", "assistant"]);
        assert_eq!(messages[0]["created_at"], "2023-11-14T22:13:30Z");
        // A message without a time takes the one before it.
        assert_eq!(messages[2]["created_at"], "2023-11-14T22:13:40Z");

        // The document carries the times, the person's name and the model's.
        let user = user_id(&app, &app.client).await;
        let document = std::fs::read_to_string(
            app.memory_dir.join("chats").join(&user).join(format!("{borscht_chat}.md")),
        ).unwrap();
        assert!(document.contains("ann name"), "{document}");
        assert!(document.contains("gpt-4o"), "{document}");
        assert!(document.contains("2023-11-14"), "{document}");
        assert!(document.contains("Капусту кладут"), "{document}");
        assert!(!document.contains("перегенерации"), "{document}");

        // Search finds the imported Russian text by other forms of its words.
        for (query, expected) in [("свёкла", "Свёклу"), ("капуста", "Капусту"), ("красный борщ", "красным")] {
            let hits = search(&app, &app.client, query).await;
            assert!(
                hits.iter().any(|h| h["chat_id"] == borscht_chat && h["snippet"].as_str().unwrap().contains(expected)),
                "{query}: {hits:?}"
            );
        }
        assert!(search(&app, &app.client, "перегенерации").await.is_empty(), "other branches are not kept");
    }

    async fn importing_again_adds_only_what_is_new(app) {
        app.register("ann").await;
        let first = json!([claude("c-1", &[("m1", "human", "Plan a trip to Kazan"), ("m2", "assistant", "Start at the Kremlin.")])]);
        let body = import_ok(&app, &app.client, "conversations.json", first.to_string().into_bytes()).await;
        assert_eq!((body["imported"].as_i64(), body["skipped"].as_i64(), body["messages"].as_i64()), (Some(1), Some(0), Some(2)));
        let chat = body["chats"][0]["id"].as_str().unwrap().to_string();

        let again = import_ok(&app, &app.client, "conversations.json", first.to_string().into_bytes()).await;
        assert_eq!(again, json!({"imported": 0, "skipped": 1, "messages": 0, "truncated": 0, "chats": []}));

        // A newer export: the conversation grew, and there is a new one.
        let grown = json!([
            claude("c-1", &[("m1", "human", "Plan a trip to Kazan"), ("m2", "assistant", "Start at the Kremlin."),
                             ("m3", "human", "And in the evening?"), ("m4", "assistant", "Walk along Bauman Street.")]),
            claude("c-2", &[("n1", "human", "Hello")]),
        ]);
        let body = import_ok(&app, &app.client, "conversations.json", grown.to_string().into_bytes()).await;
        assert_eq!((body["imported"].as_i64(), body["skipped"].as_i64(), body["messages"].as_i64()), (Some(2), Some(0), Some(3)));
        assert_eq!(body["chats"][0]["id"], chat.as_str(), "the grown conversation is the same chat");
        let messages = messages_of(&app, &app.client, &chat).await;
        assert_eq!(texts(&messages), ["Plan a trip to Kazan", "Start at the Kremlin.", "And in the evening?", "Walk along Bauman Street."]);
        assert!(!texts(&messages).concat().contains("private reasoning"), "thinking is left out");
        assert_eq!(chats_of(&app, &app.client).await.len(), 2);

        // The document holds each message once.
        let user = user_id(&app, &app.client).await;
        let document = std::fs::read_to_string(app.memory_dir.join("chats").join(&user).join(format!("{chat}.md"))).unwrap();
        assert_eq!(document.matches("Start at the Kremlin.").count(), 1, "{document}");
        assert_eq!(document.matches("Walk along Bauman Street.").count(), 1, "{document}");
    }

    async fn files_that_cannot_be_imported_say_why_and_import_nothing(app) {
        app.register("ann").await;
        let good = claude("c-ok", &[("m1", "human", "This must not be imported")]);
        let cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
            ("picture.png", b"\x89PNG\r\n\x1a\n binary".to_vec(), 415, "neither a .zip nor a .json"),
            // Cut short after a good conversation: the check reads the whole file first.
            ("conversations.json", format!("[{good}, {{\"uuid\": \"c-2\", \"chat_mess").into_bytes(), 400, "not valid JSON"),
            ("broken.zip", b"PK\x03\x04 and nothing a zip needs".to_vec(), 400, "zip file is broken"),
            ("numbers.json", b"[1, 2, 3]".to_vec(), 422, "no conversations"),
            ("other.json", br#"{"settings": {"theme": "dark"}}"#.to_vec(), 422, "no conversations"),
            ("scalar.json", b"42".to_vec(), 422, "not a list of conversations"),
            ("photos.zip", zip_of(&[("photo.txt", "hello")]), 422, "no conversations.json"),
            ("empty.json", Vec::new(), 422, "empty"),
        ];
        for (name, bytes, status, says) in cases {
            let r = upload(&app, &app.client, name, bytes).await;
            assert_eq!(r.status(), status, "{name}");
            let (_, message, _) = error_of(r).await;
            assert!(message.contains(says), "{name}: {message}");
        }
        // No multipart body, or no `file` field.
        let r = app.client.post(app.url("/v1/imports")).json(&json!([good])).send().await.unwrap();
        assert_eq!(r.status(), 415);
        let form = Form::new().text("note", "no file here");
        let r = app.client.post(app.url("/v1/imports")).multipart(form).send().await.unwrap();
        assert_eq!(r.status(), 422);
        assert_eq!(error_of(r).await.2.as_deref(), Some("file"));
        assert!(chats_of(&app, &app.client).await.is_empty(), "nothing was imported");

        // Signed out: 401, nothing read.
        let stranger = app.other_client();
        let r = upload(&app, &stranger, "conversations.json", json!([good]).to_string().into_bytes()).await;
        assert_eq!(r.status(), 401);

        // The last import's state says why it failed.
        let latest: Value = app.get(&app.client, "/v1/imports/latest").await.json().await.unwrap();
        assert_eq!(latest["state"], "failed", "{latest}");
        assert!(latest["error"].as_str().unwrap().contains("file"), "{latest}");
    }

    async fn each_account_imports_into_its_own_chats(app) {
        app.register("ann").await;
        let file = json!([
            {"id": "w-1", "title": "Trip", "chat": {"history": {"currentId": "a2", "messages": {
                "q": {"id": "q", "parentId": null, "role": "user", "content": "Where to go in May?", "timestamp": 1_700_000_000},
                "a1": {"id": "a1", "parentId": "q", "role": "assistant", "content": "Oslo", "model": "llama3"},
                "a2": {"id": "a2", "parentId": "q", "role": "assistant", "content": "Kazan in May is lovely", "model": "qwen2", "timestamp": 1_700_000_009}
            }}}},
            {"conversationId": "l-1", "title": "Cats", "messages": [
                {"messageId": "c1", "parentMessageId": ROOT, "isCreatedByUser": true, "text": "Name a cat", "createdAt": "2024-05-01T10:00:00.000Z"},
                {"messageId": "c2", "parentMessageId": "c1", "isCreatedByUser": false, "sender": "GPT-4", "text": "Tom", "createdAt": "2024-05-01T10:00:01.000Z"},
                {"messageId": "c3", "parentMessageId": "c1", "isCreatedByUser": false, "sender": "GPT-4", "text": "Murka", "createdAt": "2024-05-01T10:00:09.000Z"}
            ]}
        ]).to_string();
        let ann = import_ok(&app, &app.client, "export.json", file.clone().into_bytes()).await;
        assert_eq!(ann["imported"], 2, "{ann}");

        // Bob imports the same file with an API key: his own chats, nothing of ann's.
        let bob = app.other_client();
        assert_eq!(app.register_with(&bob, "bob", STRONG_PASSWORD).await.status(), 201);
        let key = new_api_key(&app, &bob, "script").await;
        let script = reqwest::Client::new();
        let form = Form::new().part("file", Part::bytes(file.into_bytes()).file_name("export.json"));
        let r = script.post(app.url("/v1/imports")).bearer_auth(&key).multipart(form).send().await.unwrap();
        assert_eq!(r.status(), 201);
        let bobs: Value = r.json().await.unwrap();
        assert_eq!((bobs["imported"].as_i64(), bobs["skipped"].as_i64()), (Some(2), Some(0)), "{bobs}");
        for (a, b) in ann["chats"].as_array().unwrap().iter().zip(bobs["chats"].as_array().unwrap()) {
            assert_ne!(a["id"], b["id"]);
            assert_eq!(a["source"], b["source"]);
        }
        let anns_chat = ann["chats"][0]["id"].as_str().unwrap();
        assert_eq!(app.get(&bob, &format!("/v1/chats/{anns_chat}")).await.status(), 404);
        assert_eq!(chats_of(&app, &bob).await.len(), 2);
        assert_eq!(chats_of(&app, &app.client).await.len(), 2);
        let trip = messages_of(&app, &app.client, anns_chat).await;
        assert_eq!(texts(&trip), ["Where to go in May?", "Kazan in May is lovely"]);
        let cats = messages_of(&app, &app.client, ann["chats"][1]["id"].as_str().unwrap()).await;
        assert_eq!(texts(&cats), ["Name a cat", "Murka"]);
        // Ann's latest import is hers alone.
        let latest: Value = app.get(&bob, "/v1/imports/latest").await.json().await.unwrap();
        assert_eq!((latest["state"].as_str(), latest["imported"].as_i64()), (Some("done"), Some(2)));
    }

    async fn progress_is_on_the_server_and_one_import_runs_at_a_time(app) {
        app.register("ann").await;
        assert_eq!(app.get(&app.client, "/v1/imports/latest").await.status(), 404);
        let file = json!([claude("c-slow", &[("m1", "human", "Sent slowly")])]).to_string().into_bytes();
        let (send, upload_task) = slow_upload(&app, file.len() as u64);
        send.send(file[..10].to_vec()).await.unwrap();
        // The server reports what it received while the upload goes on.
        let seen = latest_until(&app, |s| s["bytes_done"].as_i64() == Some(10)).await;
        assert_eq!(seen["state"], "running", "{seen}");
        assert_eq!(seen["phase"], "receiving", "{seen}");
        assert_eq!(seen["bytes_done"], 10, "{seen}");
        // A second import meanwhile: 409, before its body is read.
        let second = upload(&app, &app.client, "conversations.json", b"[]".to_vec()).await;
        assert_eq!(second.status(), 409);
        send.send(file[10..].to_vec()).await.unwrap();
        drop(send);
        let done = upload_task.await.unwrap().unwrap();
        assert_eq!(done.status(), 201);
        let latest: Value = app.get(&app.client, "/v1/imports/latest").await.json().await.unwrap();
        assert_eq!(latest["state"], "done", "{latest}");
        assert_eq!((latest["imported"].as_i64(), latest["messages"].as_i64()), (Some(1), Some(1)), "{latest}");
        assert_eq!(latest["conversations_total"], 1);
        // And a new import may start.
        let body = import_ok(&app, &app.client, "conversations.json", json!([claude("c-3", &[("x", "human", "Next")])]).to_string().into_bytes()).await;
        assert_eq!(body["imported"], 1);
    }

    async fn a_cut_upload_ends_its_import_and_frees_the_slot(app) {
        app.register("ann").await;
        let (send, upload_task) = slow_upload(&app, 10_000);
        send.send(b"[{\"uuid\": ".to_vec()).await.unwrap();
        let seen = latest_until(&app, |s| s["bytes_done"].as_i64() == Some(10)).await;
        assert_eq!(seen["state"], "running", "{seen}");
        // The client goes away mid-upload.
        upload_task.abort();
        drop(send);
        let latest = latest_until(&app, |s| s["state"] != "running").await;
        assert_eq!(latest["state"], "failed", "{latest}");
        assert!(!latest["error"].as_str().unwrap().is_empty(), "{latest}");
        // Nothing half-read was imported, and the next import is not refused.
        let body = import_ok(&app, &app.client, "conversations.json", json!([claude("c-next", &[("x", "human", "After the cut")])]).to_string().into_bytes()).await;
        assert_eq!(body["imported"], 1);
        assert_eq!(chats_of(&app, &app.client).await.len(), 1);
    }

    async fn a_dead_import_is_taken_over(app) {
        app.register("ann").await;
        let ann = app.user("ann").await;
        let store = &app.state.store;
        let now = maruntime::server::store::now();
        assert!(store.begin_import(ann.id, None, now).await.unwrap().is_some());
        let fresh = now - chrono::Duration::seconds(60);
        assert!(store.begin_import(ann.id, None, fresh).await.unwrap().is_none(), "a live import holds the slot");
        let r = upload(&app, &app.client, "conversations.json", b"[]".to_vec()).await;
        assert_eq!(r.status(), 409);
        // Not heard from since before `stale_before`: its process died.
        let later = now + chrono::Duration::seconds(1);
        assert!(store.begin_import(ann.id, None, later).await.unwrap().is_some());
    }

    async fn the_command_line_imports_too(app) {
        app.register("ann").await;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("export.zip");
        std::fs::write(&path, zip_of(&[("conversations.json", json!([gpt_simple("g-1", "From the shell", "Ping?", "Pong.", 1_720_000_000.0)]).to_string())])).unwrap();
        let run = |args: &[&str]| {
            let out = std::process::Command::new(env!("CARGO_BIN_EXE_maruntime"))
                .args(args)
                .env("DATABASE_URL", &app.database_url)
                .env("MARUNTIME_MEMORY_DIR", &app.memory_dir)
                .output()
                .expect("the maruntime binary runs");
            (out.status.code(), String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr))
        };
        let path = path.to_str().unwrap();
        let (code, out) = run(&["import", "--user", "ann", path]);
        assert_eq!(code, Some(0), "{out}");
        assert!(out.contains("imported 1 chats (2 messages), skipped 0"), "{out}");
        let chats = chats_of(&app, &app.client).await;
        assert_eq!(chats.len(), 1);
        assert_eq!(chats[0]["title"], "From the shell");
        let (code, out) = run(&["import", "--user", "ann", path]);
        assert_eq!(code, Some(0), "{out}");
        assert!(out.contains("imported 0 chats (0 messages), skipped 1"), "{out}");
        let (code, out) = run(&["import", "--user", "nobody", path]);
        assert_eq!(code, Some(1), "{out}");
        assert!(out.contains("no account with the login nobody"), "{out}");
    }
}

on_both_engines! {
    setup = small_upload_limit;

    async fn the_upload_limit_is_the_imports_own(app) {
        app.register("ann").await;
        // Over the 1 MiB every other route keeps, under this import limit (1.5 MiB).
        let long = "слово ".repeat(110_000);
        let file = json!([claude("big", &[("m1", "human", &long)])]).to_string().into_bytes();
        assert!(file.len() > 1 << 20);
        let body = import_ok(&app, &app.client, "conversations.json", file).await;
        assert_eq!(body["imported"], 1);
        // Just over the limit, so the server stops it as it arrives (the header said less
        // than the limit with framing).
        let over = json!([claude("bigger", &[("m1", "human", &"x".repeat((3 << 19) + 1000))])]).to_string().into_bytes();
        let r = upload(&app, &app.client, "conversations.json", over).await;
        assert_eq!(r.status(), 413);
        let (_, message, _) = error_of(r).await;
        assert!(message.contains("MARUNTIME_IMPORT_MAX_BYTES"), "{message}");
        assert_eq!(chats_of(&app, &app.client).await.len(), 1);
    }
}

async fn small_upload_limit(engine: Engine) -> Option<TestApp> {
    spawn_app_on(engine, |values| {
        values.insert("MARUNTIME_IMPORT_MAX_BYTES".into(), (3 << 19).to_string());
    })
    .await
}
