//! The real app for the in-process benchmarks: a local port, a fresh memory directory, and
//! the database `DATABASE_URL` names (default: a fresh SQLite file beside the memory).

use std::collections::HashMap;
use std::path::Path;

use maruntime::server::config::Config;
use maruntime::server::startup::Application;

/// Builds the app (not yet serving). The temp directory lives as long as the returned guard.
pub async fn build() -> (Application, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let app = build_in(dir.path()).await;
    (app, dir)
}

/// Builds the app with its memory (and, without `DATABASE_URL`, its SQLite file) in `dir`,
/// which outlives the run: a later run on the same `dir` finds what this one stored.
pub async fn build_in(dir: &Path) -> Application {
    let mut values = HashMap::new();
    values.insert("LEPTOS_SITE_ADDR".to_string(), "127.0.0.1:0".to_string());
    values.insert(
        "MARUNTIME_MEMORY_DIR".to_string(),
        dir.join("memory").display().to_string(),
    );
    let url = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| format!("sqlite://{}", dir.join("bench.db").display()));
    println!("engine: {}", url.split(':').next().unwrap_or("?"));
    values.insert("DATABASE_URL".to_string(), url);
    let config = Config::from_map(&values).expect("config");
    Application::build(config).await.expect("app")
}
