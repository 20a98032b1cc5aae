//! The real app for the in-process benchmarks: a local port, a fresh memory directory, and
//! the database `DATABASE_URL` names (default: a fresh SQLite file beside the memory).

use std::collections::HashMap;

use maruntime::server::config::Config;
use maruntime::server::startup::Application;

/// Builds the app (not yet serving). The temp directory lives as long as the returned guard.
pub async fn build() -> (Application, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut values = HashMap::new();
    values.insert("LEPTOS_SITE_ADDR".to_string(), "127.0.0.1:0".to_string());
    values.insert(
        "MARUNTIME_MEMORY_DIR".to_string(),
        dir.path().join("memory").display().to_string(),
    );
    let url = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| format!("sqlite://{}", dir.path().join("bench.db").display()));
    println!("engine: {}", url.split(':').next().unwrap_or("?"));
    values.insert("DATABASE_URL".to_string(), url);
    let config = Config::from_map(&values).expect("config");
    let app = Application::build(config).await.expect("app");
    (app, dir)
}
