//! API keys: shown once, listed without the key, refused once revoked, scoped to the owner.

use serde_json::{json, Value};

use crate::helpers::*;

on_both_engines! {
    async fn a_key_works_on_v1_until_revoked(app) {
        let user = app.register("ann").await;
        let created = app.client.post(app.url("/auth/api-keys")).json(&json!({"name": "laptop", "password": STRONG_PASSWORD})).send().await.unwrap();
        assert_eq!(created.status(), 201);
        let created: Value = created.json().await.unwrap();
        let key = created["key"].as_str().unwrap().to_string();
        assert!(key.starts_with(created["prefix"].as_str().unwrap()));

        let script = reqwest::Client::new();
        let me = script.get(app.url("/v1/me")).bearer_auth(&key).send().await.unwrap();
        assert_eq!(me.status(), 200);
        assert_eq!(me.json::<Value>().await.unwrap()["id"], user["id"]);

        let listed: Value = app.get(&app.client, "/auth/api-keys").await.json().await.unwrap();
        let listed = &listed["data"][0];
        assert_eq!(listed["name"], "laptop");
        assert!(listed.get("key").is_none(), "the list never shows the key");
        assert!(!listed.to_string().contains(&key));
        assert!(listed["last_used_at"].is_string(), "use is recorded");

        let id = created["id"].as_str().unwrap();
        let revoked = app.client.delete(app.url(&format!("/auth/api-keys/{id}"))).send().await.unwrap();
        assert_eq!(revoked.status(), 204);
        let refused = script.get(app.url("/v1/me")).bearer_auth(&key).send().await.unwrap();
        assert_eq!(refused.status(), 401);
        // An explicit key is judged on its own, even next to a valid session cookie.
        let with_cookie = app.client.get(app.url("/v1/me")).bearer_auth(&key).send().await.unwrap();
        assert_eq!(with_cookie.status(), 401);
    }

    async fn keys_are_not_session_cookies_outside_v1(app) {
        app.register("ann").await;
        let created: Value = app.client.post(app.url("/auth/api-keys")).json(&json!({"name": "k", "password": STRONG_PASSWORD})).send().await.unwrap().json().await.unwrap();
        let key = created["key"].as_str().unwrap();
        let response = reqwest::Client::new().get(app.url("/auth/me")).bearer_auth(key).send().await.unwrap();
        assert_eq!(response.status(), 401);
    }

    async fn another_users_key_cannot_be_revoked_or_listed(app) {
        app.register("ann").await;
        let created: Value = app.client.post(app.url("/auth/api-keys")).json(&json!({"name": "k", "password": STRONG_PASSWORD})).send().await.unwrap().json().await.unwrap();
        let bob = app.other_client();
        app.register_with(&bob, "bob", STRONG_PASSWORD).await;
        let id = created["id"].as_str().unwrap();
        let response = bob.delete(app.url(&format!("/auth/api-keys/{id}"))).send().await.unwrap();
        assert_eq!(response.status(), 404);
        let bobs: Value = app.get(&bob, "/auth/api-keys").await.json().await.unwrap();
        assert_eq!(bobs["data"], json!([]));
        let key = created["key"].as_str().unwrap();
        assert_eq!(reqwest::Client::new().get(app.url("/v1/me")).bearer_auth(key).send().await.unwrap().status(), 200);
    }

    async fn a_key_needs_a_name(app) {
        app.register("ann").await;
        let response = app.client.post(app.url("/auth/api-keys")).json(&json!({"name": "  ", "password": STRONG_PASSWORD})).send().await.unwrap();
        assert_eq!(response.status(), 422);
        assert_eq!(error_of(response).await.2.as_deref(), Some("name"));
    }
}
