//! The test harness: the real app on port 0 with a fresh database and memory directory.

use std::collections::HashMap;
use std::net::SocketAddr;

use maruntime::server::config::Config;
use maruntime::server::startup::Application;
use maruntime::server::state::AppState;
use reqwest::{Client, Response};
use serde_json::{json, Value};
use tempfile::TempDir;

/// Which database a test runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// Where the PostgreSQL tests connect to create their databases, if anywhere.
pub fn postgres_admin_url() -> Option<String> {
    std::env::var("MARUNTIME_TEST_POSTGRES_URL")
        .ok()
        .filter(|v| !v.is_empty())
}

/// A PostgreSQL test (ignored unless asked for) was run without a server to run on: that is a
/// failure, never a pass.
pub fn postgres_required() -> ! {
    panic!(
        "this PostgreSQL test needs MARUNTIME_TEST_POSTGRES_URL (for example \
         postgres://postgres@127.0.0.1:5432/postgres); scripts/test.sh runs the PostgreSQL tests \
         when it is set"
    )
}

/// A fresh PostgreSQL database for one test, dropped when the test ends.
pub struct PgDatabase {
    admin_url: String,
    name: String,
    pub url: String,
}

impl PgDatabase {
    pub async fn create(admin_url: &str) -> PgDatabase {
        use sqlx::Connection;
        let name = format!("maruntime_test_{}", uuid::Uuid::new_v4().simple());
        let mut conn = sqlx::PgConnection::connect(admin_url)
            .await
            .expect("connect to MARUNTIME_TEST_POSTGRES_URL");
        sqlx::query(&format!("create database {name}"))
            .execute(&mut conn)
            .await
            .expect("create test database");
        let base = admin_url.rsplit_once('/').map_or(admin_url, |(b, _)| b);
        PgDatabase {
            admin_url: admin_url.to_string(),
            url: format!("{base}/{name}"),
            name,
        }
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let name = self.name.clone();
        // Drop runs outside async; a short-lived runtime on its own thread does the cleanup.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                use sqlx::Connection;
                if let Ok(mut conn) = sqlx::PgConnection::connect(&admin_url).await {
                    let _ = sqlx::query(&format!("drop database if exists {name} with (force)"))
                        .execute(&mut conn)
                        .await;
                }
            });
        })
        .join();
    }
}

/// A running app and a cookie-keeping client pointed at it.
pub struct TestApp {
    pub addr: SocketAddr,
    pub client: Client,
    pub state: AppState,
    pub memory_dir: std::path::PathBuf,
    pub database_url: String,
    _dir: TempDir,
    _pg: Option<PgDatabase>,
}

pub fn base_values(dir: &TempDir) -> HashMap<String, String> {
    let mut values = HashMap::new();
    values.insert("LEPTOS_SITE_ADDR".into(), "127.0.0.1:0".into());
    values.insert(
        "MARUNTIME_MEMORY_DIR".into(),
        dir.path().join("memory").display().to_string(),
    );
    values.insert(
        "DATABASE_URL".into(),
        format!("sqlite://{}", dir.path().join("db/maruntime.db").display()),
    );
    values.insert("MARUNTIME_COOKIE_SECURE".into(), "false".into());
    values
}

/// Starts the app on `engine`, or returns `None` (after saying why) when that engine is not
/// available here.
pub async fn spawn_app_on(
    engine: Engine,
    tweak: impl FnOnce(&mut HashMap<String, String>),
) -> Option<TestApp> {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut values = base_values(&dir);
    let pg = match engine {
        Engine::Sqlite => None,
        Engine::Postgres => {
            let admin = postgres_admin_url()?;
            let db = PgDatabase::create(&admin).await;
            values.insert("DATABASE_URL".into(), db.url.clone());
            Some(db)
        }
    };
    tweak(&mut values);
    let config = Config::from_map(&values).expect("test config is valid");
    let memory_dir = config.memory_dir.clone();
    let database_url = config.database_url.clone();
    let app = Application::build(config).await.expect("app builds");
    let addr = app.local_addr();
    let state = app.state().clone();
    tokio::spawn(app.run_until_stopped(std::future::pending()));
    Some(TestApp {
        addr,
        client: new_client(),
        state,
        memory_dir,
        database_url,
        _dir: dir,
        _pg: pg,
    })
}

impl TestApp {
    /// Another server on this app's database and memory directory, as a second process
    /// would be: it shares nothing in memory with the first (which must outlive it).
    pub async fn sibling(&self, tweak: impl FnOnce(&mut HashMap<String, String>)) -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut values = base_values(&dir);
        values.insert("DATABASE_URL".into(), self.database_url.clone());
        values.insert(
            "MARUNTIME_MEMORY_DIR".into(),
            self.memory_dir.display().to_string(),
        );
        tweak(&mut values);
        let config = Config::from_map(&values).expect("test config is valid");
        let app = Application::build(config)
            .await
            .expect("the sibling builds");
        let addr = app.local_addr();
        let state = app.state().clone();
        tokio::spawn(app.run_until_stopped(std::future::pending()));
        TestApp {
            addr,
            client: new_client(),
            state,
            memory_dir: self.memory_dir.clone(),
            database_url: self.database_url.clone(),
            _dir: dir,
            _pg: None,
        }
    }
}

pub async fn spawn_app(engine: Engine) -> Option<TestApp> {
    spawn_app_on(engine, |_| {}).await
}

pub fn new_client() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        // A stalled response fails its test instead of hanging the suite. The page renders
        // once seen to pass 15 s here were pages that never finished (leptos#4773, see
        // `ROUTES` in src/server/startup.rs); 60 s still leaves room for two busy cores.
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .expect("client")
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// A second browser: its own cookie jar.
    pub fn other_client(&self) -> Client {
        new_client()
    }

    pub async fn register_with(&self, client: &Client, login: &str, password: &str) -> Response {
        client
            .post(self.url("/auth/register"))
            .json(&json!({"login": login, "password": password, "display_name": format!("{login} name")}))
            .send()
            .await
            .expect("request")
    }

    /// The stored account of `login` (registered before), for tests that call the services.
    pub async fn user(&self, login: &str) -> maruntime::model::User {
        self.state
            .store
            .user_by_login_key(&login.to_lowercase())
            .await
            .expect("look up the account")
            .unwrap_or_else(|| panic!("{login} is registered"))
            .user
    }

    pub async fn register(&self, login: &str) -> Value {
        let response = self
            .register_with(&self.client, login, STRONG_PASSWORD)
            .await;
        assert_eq!(response.status(), 201, "registering {login}");
        response.json().await.unwrap()
    }

    pub async fn login_with(&self, client: &Client, login: &str, password: &str) -> Response {
        client
            .post(self.url("/auth/login"))
            .json(&json!({"login": login, "password": password}))
            .send()
            .await
            .expect("request")
    }

    pub async fn get(&self, client: &Client, path: &str) -> Response {
        client.get(self.url(path)).send().await.expect("request")
    }

    /// A page, as a browser without JavaScript asks for it.
    pub async fn get_page(&self, client: &Client, path: &str) -> Response {
        client
            .get(self.url(path))
            .header("accept", "text/html")
            .send()
            .await
            .expect("request")
    }
}

pub const STRONG_PASSWORD: &str = "plum-orbit-sailcloth-42";

/// The error body's parts: (code, message, field).
pub async fn error_of(response: Response) -> (String, String, Option<String>) {
    let body: Value = response.json().await.expect("JSON error body");
    let error = &body["error"];
    (
        error["code"].as_str().unwrap_or_default().to_string(),
        error["message"].as_str().unwrap_or_default().to_string(),
        error["field"].as_str().map(str::to_string),
    )
}

/// The `session_token` value a response set, if any.
pub fn session_token_of(response: &Response) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix("session_token="))
        .map(|rest| rest.split(';').next().unwrap_or("").to_string())
        .filter(|t| !t.is_empty())
}

/// A fresh, migrated store with no app running beside it (no housekeeping to race with).
pub struct TestStore {
    pub store: maruntime::server::store::Store,
    _dir: TempDir,
    _pg: Option<PgDatabase>,
}

pub async fn fresh_store(engine: Engine) -> Option<TestStore> {
    let dir = tempfile::tempdir().expect("temp dir");
    let (url, pg) = match engine {
        Engine::Sqlite => (
            format!("sqlite://{}", dir.path().join("store.db").display()),
            None,
        ),
        Engine::Postgres => {
            let admin = postgres_admin_url()?;
            let db = PgDatabase::create(&admin).await;
            (db.url.clone(), Some(db))
        }
    };
    let store = maruntime::server::store::Store::connect(&url)
        .await
        .expect("store connects");
    Some(TestStore {
        store,
        _dir: dir,
        _pg: pg,
    })
}

/// The one way to run a test on both engines: defines it twice, `name::sqlite` and
/// `name::postgres`. The PostgreSQL half is `#[ignore]`d, so without a server cargo's own
/// summary counts it as ignored, not passed; `scripts/test.sh` runs it (`--include-ignored`)
/// when `MARUNTIME_TEST_POSTGRES_URL` is set, and run without the variable it fails. The test
/// receives what `setup` (default: the running app) returns for that engine; `setup` may be a
/// function or a closure taking the [`Engine`].
macro_rules! on_both_engines {
    ($($(#[$meta:meta])* async fn $name:ident($app:pat) $body:block)*) => {
        $crate::helpers::on_both_engines!(setup = $crate::helpers::spawn_app; $($(#[$meta])* async fn $name($app) $body)*);
    };
    (setup = $setup:expr; $($(#[$meta:meta])* async fn $name:ident($app:pat) $body:block)*) => {
        $(
            $(#[$meta])*
            mod $name {
                #[allow(unused_imports)]
                use super::*;

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    let $app = ($setup)($crate::helpers::Engine::Sqlite).await.unwrap();
                    $body
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                #[ignore = "PostgreSQL: runs when MARUNTIME_TEST_POSTGRES_URL is set (scripts/test.sh)"]
                async fn postgres() {
                    let $app = ($setup)($crate::helpers::Engine::Postgres)
                        .await
                        .unwrap_or_else(|| $crate::helpers::postgres_required());
                    $body
                }
            }
        )*
    };
}
pub(crate) use on_both_engines;

/// Creates a chat for `client` through `/v1/chats` and returns its id.
pub async fn create_chat_titled(app: &TestApp, client: &Client, title: Option<&str>) -> String {
    let r = client
        .post(app.url("/v1/chats"))
        .json(&json!({ "title": title }))
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), 201, "creating a chat");
    let chat: Value = r.json().await.expect("chat JSON");
    chat["id"].as_str().expect("chat id").to_string()
}

/// Stores a user message through `/v1/chats/{id}/messages` and returns it.
pub async fn post_message(app: &TestApp, client: &Client, chat: &str, content: &str) -> Value {
    let r = client
        .post(app.url(&format!("/v1/chats/{chat}/messages")))
        .json(&json!({ "content": content }))
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), 201, "posting {content:?}");
    r.json().await.expect("message JSON")
}

/// Sends `count` messages ("message 0", "message 1", …) into `chat` at once, each through the
/// next of `base_urls` in turn (servers sharing one database), and checks each is stored.
pub async fn send_through_in_turn(client: &Client, base_urls: &[String], chat: &str, count: usize) {
    let sends = (0..count).map(|i| {
        let url = format!(
            "{}/v1/chats/{chat}/messages",
            base_urls[i % base_urls.len()]
        );
        let client = client.clone();
        async move {
            let r = client
                .post(url)
                .json(&serde_json::json!({"content": format!("message {i}")}))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 201, "message {i}");
        }
    });
    futures::future::join_all(sends).await;
}

/// A page's HTML without its comments: the server marks text nodes that hydrate separately
/// (a sentence with numbers in it) with `<!>` between them.
pub fn without_comments(html: &str) -> String {
    let html = html.replace("<!>", "");
    let mut out = String::with_capacity(html.len());
    let mut rest = html.as_str();
    while let Some(start) = rest.find("<!--") {
        out.push_str(&rest[..start]);
        rest = match rest[start..].find("-->") {
            Some(end) => &rest[start + end + 3..],
            None => "",
        };
    }
    out.push_str(rest);
    out
}

/// A new API key for the account `client` is logged in as (whose password is STRONG_PASSWORD).
pub async fn new_api_key(app: &TestApp, client: &Client, name: &str) -> String {
    let created = client
        .post(app.url("/auth/api-keys"))
        .json(&json!({"name": name, "password": STRONG_PASSWORD}))
        .send()
        .await
        .unwrap();
    json_of(created).await["key"].as_str().unwrap().to_string()
}

/// Registers `login` and returns a client that sends its API key (no cookies).
pub async fn key_client(app: &TestApp, login: &str) -> (Client, String) {
    let browser = app.other_client();
    assert_eq!(
        app.register_with(&browser, login, STRONG_PASSWORD)
            .await
            .status(),
        201
    );
    let key = new_api_key(app, &browser, "sdk").await;
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("authorization", format!("Bearer {key}").parse().unwrap());
    (
        Client::builder()
            .default_headers(headers)
            .timeout(std::time::Duration::from_secs(15))
            .build()
            .unwrap(),
        key,
    )
}

pub async fn complete(app: &TestApp, client: &Client, body: Value) -> reqwest::Response {
    client
        .post(app.url("/v1/chat/completions"))
        .json(&body)
        .send()
        .await
        .unwrap()
}

/// A user message to the default agent, as an OpenAI client sends it.
pub fn ask(content: &str) -> Value {
    json!({"model": "memory-agent", "messages": [{"role": "user", "content": content}]})
}

/// The app with `MARUNTIME_REGISTRATION` set to `mode` (`open`, `invite` or `closed`).
pub async fn with_registration(engine: Engine, mode: &'static str) -> Option<TestApp> {
    spawn_app_on(engine, move |v| {
        v.insert("MARUNTIME_REGISTRATION".into(), mode.into());
    })
    .await
}

/// The app where an account needs an admin's invite.
pub async fn by_invite(engine: Engine) -> Option<TestApp> {
    with_registration(engine, "invite").await
}

/// Registers `login` with its own client and returns (client, user JSON).
pub async fn account(app: &TestApp, login: &str) -> (Client, Value) {
    let client = app.other_client();
    let r = app.register_with(&client, login, STRONG_PASSWORD).await;
    assert_eq!(r.status(), 201, "registering {login}");
    (client, r.json().await.unwrap())
}

/// A response's JSON body.
pub async fn json_of(response: Response) -> Value {
    response.json().await.unwrap()
}

/// `files` zipped, as an export is (deflate at level 1: tests zip tens of megabytes).
pub fn zip_of(files: &[(&str, impl AsRef<[u8]>)]) -> Vec<u8> {
    use std::io::Write;
    let mut bytes = std::io::Cursor::new(Vec::new());
    {
        let mut zip = zip::ZipWriter::new(&mut bytes);
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .compression_level(Some(1));
        for (name, data) in files {
            zip.start_file(*name, options).unwrap();
            zip.write_all(data.as_ref()).unwrap();
        }
        zip.finish().unwrap();
    }
    bytes.into_inner()
}
