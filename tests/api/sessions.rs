//! Password changes, the sessions list, and protected pages.

use serde_json::{json, Value};

use crate::helpers::*;

on_both_engines! {
    async fn a_password_change_ends_every_other_session_but_this_one(app) {
        app.register("ann").await;
        let laptop = app.other_client();
        assert_eq!(app.login_with(&laptop, "ann", STRONG_PASSWORD).await.status(), 200);

        let response = app
            .client
            .put(app.url("/auth/password"))
            .json(&json!({"current_password": STRONG_PASSWORD, "new_password": "a-brand-new-passphrase"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 204);

        assert_eq!(app.get(&app.client, "/auth/me").await.status(), 200);
        assert_eq!(app.get(&laptop, "/auth/me").await.status(), 401);
        let fresh = app.other_client();
        assert_eq!(app.login_with(&fresh, "ann", STRONG_PASSWORD).await.status(), 401);
        assert_eq!(app.login_with(&fresh, "ann", "a-brand-new-passphrase").await.status(), 200);
    }

    async fn a_wrong_current_password_is_403_and_changes_nothing(app) {
        app.register("ann").await;
        let response = app
            .client
            .put(app.url("/auth/password"))
            .json(&json!({"current_password": "not-my-password", "new_password": "a-brand-new-passphrase"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 403);
        assert_eq!(app.login_with(&app.other_client(), "ann", STRONG_PASSWORD).await.status(), 200);
    }

    async fn the_sessions_list_marks_this_one_and_ends_others(app) {
        app.register("ann").await;
        let phone = app.other_client();
        phone
            .post(app.url("/auth/login"))
            .header("user-agent", "Mozilla/5.0 (iPhone) Safari")
            .json(&json!({"login": "ann", "password": STRONG_PASSWORD}))
            .send()
            .await
            .unwrap();
        let list: Value = app.get(&app.client, "/auth/sessions").await.json().await.unwrap();
        let sessions = list["data"].as_array().unwrap();
        assert_eq!(sessions.len(), 2);
        assert_eq!(sessions.iter().filter(|s| s["current"] == true).count(), 1);
        let other = sessions.iter().find(|s| s["current"] == false).unwrap();
        assert_eq!(other["user_agent"], "Mozilla/5.0 (iPhone) Safari");
        assert_eq!(other["ip"], "127.0.0.1");
        for key in ["id", "created_at", "last_seen_at"] {
            assert!(other.get(key).is_some(), "session lacks {key}");
        }

        let id = other["id"].as_str().unwrap();
        let ended = app.client.delete(app.url(&format!("/auth/sessions/{id}"))).send().await.unwrap();
        assert_eq!(ended.status(), 204);
        assert_eq!(app.get(&phone, "/auth/me").await.status(), 401);
    }

    async fn another_users_session_cannot_be_ended(app) {
        app.register("ann").await;
        let bob = app.other_client();
        assert_eq!(app.register_with(&bob, "bob", STRONG_PASSWORD).await.status(), 201);
        let list: Value = app.get(&bob, "/auth/sessions").await.json().await.unwrap();
        let bobs = list["data"][0]["id"].as_str().unwrap().to_string();
        let response = app.client.delete(app.url(&format!("/auth/sessions/{bobs}"))).send().await.unwrap();
        assert_eq!(response.status(), 404);
        let malformed = app.client.delete(app.url("/auth/sessions/not-a-uuid")).send().await.unwrap();
        assert_eq!(malformed.status(), 404);
        assert_eq!(app.get(&bob, "/auth/me").await.status(), 200);
    }

    async fn a_logged_out_visit_to_the_profile_page_redirects_to_login(app) {
        let response = app
            .get_page(&app.client, "/profile")
            .await;
        assert_eq!(response.status(), 303);
        assert_eq!(response.headers()["location"], "/login?next=/profile");
        let body = response.text().await.unwrap();
        assert!(!body.contains("API keys"));
    }

    async fn the_profile_page_renders_for_its_owner(app) {
        app.register("ann").await;
        let response = app.get_page(&app.client, "/profile").await;
        assert_eq!(response.status(), 200);
        let html = response.text().await.unwrap();
        assert!(html.contains("ann name"));
        assert!(html.contains("API keys"));
        assert!(html.contains("This session"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cookie_is_secure_when_configured() {
    let app = spawn_app_on(Engine::Sqlite, |v| {
        v.insert("MARUNTIME_COOKIE_SECURE".into(), "true".into());
    })
    .await
    .unwrap();
    let response = app.register_with(&app.client, "ann", STRONG_PASSWORD).await;
    let cookie = response.headers()["set-cookie"].to_str().unwrap();
    assert!(cookie.contains("; Secure"), "{cookie}");
}

/// Apps starting in this process while another serves pages (as the tests run, one app per
/// test): listing routes once suppressed every resource of the process (leptos#4773), and a
/// profile page that began meanwhile never finished. Each page must finish well inside the
/// client's minute.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_finish_while_other_apps_start_in_the_same_process() {
    let app = spawn_app(Engine::Sqlite).await.unwrap();
    app.register("ann").await;
    let starting = tokio::spawn(async {
        for _ in 0..12 {
            spawn_app(Engine::Sqlite).await.unwrap();
        }
    });
    for round in 0..40 {
        let page = async {
            let response = app.get_page(&app.client, "/profile").await;
            response.text().await.unwrap()
        };
        let html = tokio::time::timeout(std::time::Duration::from_secs(15), page)
            .await
            .unwrap_or_else(|_| panic!("the profile page (round {round}) never finished"));
        assert!(html.contains("tokens used today"), "round {round}");
    }
    starting.await.unwrap();
}
