//! Cross-site requests and rate limits.

use serde_json::json;

use crate::helpers::*;

on_both_engines! {
    async fn a_cross_site_post_is_refused(app) {
        app.register("ann").await;
        let response = app
            .client
            .post(app.url("/auth/api-keys"))
            .header("origin", "https://evil.example")
            .json(&json!({"name": "stolen", "password": STRONG_PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 403);
        let listed: serde_json::Value = app.get(&app.client, "/auth/api-keys").await.json().await.unwrap();
        assert_eq!(listed["data"], json!([]), "nothing was created");

        let same_site = app
            .client
            .post(app.url("/auth/api-keys"))
            .header("origin", format!("http://{}", app.addr))
            .json(&json!({"name": "mine", "password": STRONG_PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(same_site.status(), 201);
    }

    async fn a_cross_site_server_function_call_is_refused(app) {
        app.register("ann").await;
        let response = app
            .client
            .post(app.url("/api/logout"))
            .header("referer", "https://evil.example/page")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 403);
        assert_eq!(app.get(&app.client, "/auth/me").await.status(), 200);
    }

    async fn the_eleventh_failed_login_gets_429_with_retry_after(app) {
        app.register("ann").await;
        let client = app.other_client();
        for attempt in 1..=10 {
            let r = app.login_with(&client, "ann", "wrong-password-x").await;
            assert_eq!(r.status(), 401, "attempt {attempt}");
        }
        let r = app.login_with(&client, "ann", "wrong-password-x").await;
        assert_eq!(r.status(), 429);
        let retry: u64 = r.headers()["retry-after"].to_str().unwrap().parse().unwrap();
        assert!((1..=300).contains(&retry));
        assert_eq!(error_of(r).await.0, "rate_limited");
        // The limit never locks the account for an existing session.
        assert_eq!(app.get(&app.client, "/auth/me").await.status(), 200);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registrations_are_limited_per_address() {
    let app = spawn_app_on(Engine::Sqlite, |v| {
        v.insert("MARUNTIME_REGISTER_LIMIT".into(), "2".into());
    })
    .await
    .unwrap();
    app.register("one").await;
    app.register("two").await;
    let r = app
        .register_with(&app.other_client(), "three", STRONG_PASSWORD)
        .await;
    assert_eq!(r.status(), 429);
    assert!(r.headers().contains_key("retry-after"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_login_limit_is_configurable() {
    let app = spawn_app_on(Engine::Sqlite, |v| {
        v.insert("MARUNTIME_LOGIN_LIMIT".into(), "2".into());
    })
    .await
    .unwrap();
    let client = app.other_client();
    assert_eq!(
        app.login_with(&client, "ghost", "whatever-1")
            .await
            .status(),
        401
    );
    assert_eq!(
        app.login_with(&client, "ghost", "whatever-1")
            .await
            .status(),
        401
    );
    assert_eq!(
        app.login_with(&client, "ghost", "whatever-1")
            .await
            .status(),
        429
    );
}
