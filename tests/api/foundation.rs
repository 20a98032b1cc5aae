//! The app builder, health, pages and the error shape.

use crate::helpers::*;

on_both_engines! {
    async fn health_reports_the_database(app) {
        let response = app.get(&app.client, "/healthz").await;
        assert_eq!(response.status(), 200);
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body, serde_json::json!({"status": "ok", "database": "ok"}));
    }

    async fn health_is_503_when_the_database_is_unreachable(app) {
        app.state.store.close().await;
        let response = app.get(&app.client, "/healthz").await;
        assert_eq!(response.status(), 503);
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["database"], "unreachable");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_landing_page_is_server_rendered_and_compressed() {
    let app = spawn_app(Engine::Sqlite).await.unwrap();
    let response = app
        .client
        .get(app.url("/"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-encoding"], "gzip");
    // reqwest without the gzip feature hands back the raw bytes: decompress by hand.
    let bytes = response.bytes().await.unwrap();
    let html = gunzip(&bytes);
    assert!(html.contains("An AI chat that remembers"));
    assert!(
        html.contains("\"maruntime\""),
        "the hydration script names the bundle"
    );
    assert!(html.contains("href=\"/pkg/maruntime.css\""));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_page_is_404_html_and_an_unknown_api_route_is_404_json() {
    let app = spawn_app(Engine::Sqlite).await.unwrap();
    let page = app.get(&app.client, "/no/such/page").await;
    assert_eq!(page.status(), 404);
    assert!(page.text().await.unwrap().contains("Page not found"));

    let api = app.get(&app.client, "/v1/no-such-thing").await;
    assert_eq!(api.status(), 404);
    let (code, message, _) = error_of(api).await;
    assert_eq!(code, "not_found");
    assert!(!message.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_over_one_mebibyte_is_413() {
    let app = spawn_app(Engine::Sqlite).await.unwrap();
    let huge = "x".repeat(1024 * 1024 + 10);
    let response = app
        .client
        .post(app.url("/auth/login"))
        .header("content-type", "application/json")
        .body(format!("{{\"login\":\"{huge}\",\"password\":\"x\"}}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    assert_eq!(error_of(response).await.0, "payload_too_large");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_built_file_is_a_404_no_browser_keeps() {
    let app = spawn_app(Engine::Sqlite).await.unwrap();
    let response = app
        .get(&app.client, "/pkg/maruntime.0123456789abcdef.wasm")
        .await;
    assert_eq!(response.status(), 404);
    assert_eq!(response.headers()["cache-control"], "no-store");
}

fn gunzip(bytes: &[u8]) -> String {
    use std::io::Read;
    let mut out = String::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_string(&mut out)
        .expect("valid gzip");
    out
}
