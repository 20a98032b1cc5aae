//! A stolen session cannot become a lasting credential: keys need the password and can
//! expire, a password change rotates this session, ends the others and can revoke the keys,
//! and logging in ends the session the browser had.

use serde_json::{json, Value};

use crate::helpers::*;

async fn create_key(app: &TestApp, body: Value) -> reqwest::Response {
    app.client
        .post(app.url("/auth/api-keys"))
        .json(&body)
        .send()
        .await
        .unwrap()
}

/// `GET /auth/me` with exactly this session token and nothing else.
async fn me_with_token(app: &TestApp, token: &str) -> u16 {
    reqwest::Client::new()
        .get(app.url("/auth/me"))
        .header("cookie", format!("session_token={token}"))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn me_with_key(app: &TestApp, key: &str) -> u16 {
    reqwest::Client::new()
        .get(app.url("/v1/me"))
        .bearer_auth(key)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

on_both_engines! {
    async fn creating_a_key_needs_the_current_password(app) {
        app.register("ann").await;
        let without = create_key(&app, json!({"name": "stolen"})).await;
        assert_eq!(without.status(), 422);
        let (_, message, field) = error_of(without).await;
        assert_eq!(field.as_deref(), Some("password"));
        assert!(message.contains("password"), "{message}");
        let wrong = create_key(&app, json!({"name": "stolen", "password": "not my password"})).await;
        assert_eq!(wrong.status(), 403);
        let listed: Value = app.get(&app.client, "/auth/api-keys").await.json().await.unwrap();
        assert_eq!(listed["data"], json!([]), "no key was made");
        let right = create_key(&app, json!({"name": "mine", "password": STRONG_PASSWORD})).await;
        assert_eq!(right.status(), 201);
        let key: Value = right.json().await.unwrap();
        assert!(key["expires_at"].is_null(), "no expiry unless asked");
    }

    async fn a_key_may_expire(app) {
        app.register("ann").await;
        for (bad, status) in [(json!(0), 422), (json!(3651), 422), (json!("soon"), 400)] {
            let r = create_key(&app, json!({"name": "k", "password": STRONG_PASSWORD, "expires_in_days": bad})).await;
            assert_eq!(r.status(), status, "{bad}");
        }
        let r = create_key(&app, json!({"name": "k", "password": STRONG_PASSWORD, "expires_in_days": 30})).await;
        assert_eq!(r.status(), 201);
        let key: Value = r.json().await.unwrap();
        let created = chrono::DateTime::parse_from_rfc3339(key["created_at"].as_str().unwrap()).unwrap();
        let expires = chrono::DateTime::parse_from_rfc3339(key["expires_at"].as_str().unwrap()).unwrap();
        assert_eq!((expires - created).num_days(), 30);
        assert_eq!(me_with_key(&app, key["key"].as_str().unwrap()).await, 200);
        let listed: Value = app.get(&app.client, "/auth/api-keys").await.json().await.unwrap();
        assert_eq!(listed["data"][0]["expires_at"], key["expires_at"]);
        assert!(listed["data"][0]["last_used_at"].is_string(), "the list says when it was last used");
    }

    async fn a_password_change_rotates_this_session_ends_the_others_and_can_revoke_keys(app) {
        let first = app.register_with(&app.client, "ann", STRONG_PASSWORD).await;
        let old_token = session_token_of(&first).unwrap();
        let laptop = app.other_client();
        assert_eq!(app.login_with(&laptop, "ann", STRONG_PASSWORD).await.status(), 200);
        let key: Value = create_key(&app, json!({"name": "k", "password": STRONG_PASSWORD})).await.json().await.unwrap();
        let key = key["key"].as_str().unwrap().to_string();

        let changed = app
            .client
            .put(app.url("/auth/password"))
            .json(&json!({"current_password": STRONG_PASSWORD, "new_password": "second-long-passphrase-1"}))
            .send()
            .await
            .unwrap();
        assert_eq!(changed.status(), 204);
        let new_token = session_token_of(&changed).expect("this browser gets a new session");
        assert_ne!(new_token, old_token);
        assert_eq!(me_with_token(&app, &old_token).await, 401, "the old token is worth nothing");
        assert_eq!(me_with_token(&app, &new_token).await, 200);
        assert_eq!(app.get(&laptop, "/auth/me").await.status(), 401, "other sessions end");
        assert_eq!(me_with_key(&app, &key).await, 200, "keys stay unless asked");

        let changed = app
            .client
            .put(app.url("/auth/password"))
            .json(&json!({"current_password": "second-long-passphrase-1", "new_password": "third-long-passphrase-2", "revoke_api_keys": true}))
            .send()
            .await
            .unwrap();
        assert_eq!(changed.status(), 204);
        assert_eq!(me_with_key(&app, &key).await, 401, "keys revoked with the change");
        assert_eq!(app.get(&app.client, "/auth/me").await.status(), 200);
        let listed: Value = app.get(&app.client, "/auth/api-keys").await.json().await.unwrap();
        assert_eq!(listed["data"], json!([]));
    }

    async fn logging_in_ends_the_session_the_browser_had(app) {
        let registered = app.register_with(&app.client, "ann", STRONG_PASSWORD).await;
        let before = session_token_of(&registered).unwrap();
        let again = app.login_with(&app.client, "ann", STRONG_PASSWORD).await;
        assert_eq!(again.status(), 200);
        let after = session_token_of(&again).unwrap();
        assert_ne!(before, after);
        assert_eq!(me_with_token(&app, &before).await, 401);
        assert_eq!(me_with_token(&app, &after).await, 200);
        let sessions: Value = app.get(&app.client, "/auth/sessions").await.json().await.unwrap();
        assert_eq!(sessions["data"].as_array().unwrap().len(), 1);
    }
}

on_both_engines! {
    setup = |engine| async move { Some((fresh_store(engine).await?, engine)) };
    async fn an_expired_key_is_refused((test, engine)) {
    let store = &test.store;
    let user = maruntime::model::User {
        id: uuid::Uuid::new_v4(),
        login: "ann".into(),
        display_name: "Ann".into(),
        about: String::new(),
        created_at: chrono::Utc::now(),
        role: Default::default(),
        language: None,
    };
    store.insert_user(&user, "ann", "hash").await.unwrap();
    let now = chrono::Utc::now();
    for (name, expires_at, usable) in [
        ("past", Some(now - chrono::Duration::seconds(1)), false),
        ("future", Some(now + chrono::Duration::days(1)), true),
        ("never", None, true),
    ] {
        let info = maruntime::model::ApiKeyInfo {
            id: uuid::Uuid::new_v4(),
            name: name.into(),
            prefix: "mrt_".into(),
            created_at: now,
            last_used_at: None,
            expires_at,
        };
        assert!(store
            .insert_api_key(&info, user.id, name, "hash")
            .await
            .unwrap());
        let found = store
            .user_by_api_key_hash(name, now.timestamp_millis())
            .await
            .unwrap();
        assert_eq!(found.is_some(), usable, "{name} on {engine:?}");
    }
    }
}
