//! Registration, login, logout, password rules.

use serde_json::json;

use crate::helpers::*;

on_both_engines! {
    async fn registering_logs_you_in_and_never_returns_a_hash(app) {
        let response = app.register_with(&app.client, "ann", STRONG_PASSWORD).await;
        assert_eq!(response.status(), 201);
        let cookie = response.headers()["set-cookie"].to_str().unwrap().to_string();
        for attr in ["session_token=", "HttpOnly", "SameSite=Lax", "Path=/"] {
            assert!(cookie.contains(attr), "cookie {cookie} lacks {attr}");
        }
        let user: serde_json::Value = response.json().await.unwrap();
        let mut keys: Vec<_> = user.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        assert_eq!(keys, ["about", "created_at", "display_name", "id", "language", "login", "role"]);

        let me: serde_json::Value = app.get(&app.client, "/auth/me").await.json().await.unwrap();
        assert_eq!(me, user);
    }

    async fn unknown_login_and_wrong_password_get_the_same_401(app) {
        app.register("ann").await;
        let client = app.other_client();
        let wrong_password = app.login_with(&client, "ann", "not-the-password-1").await;
        assert_eq!(wrong_password.status(), 401);
        let unknown_login = app.login_with(&client, "nobody", "not-the-password-1").await;
        assert_eq!(unknown_login.status(), 401);
        let a = error_of(wrong_password).await;
        let b = error_of(unknown_login).await;
        assert_eq!(a, b);
        assert_eq!(a.1, "Invalid login or password");
    }

    async fn long_passwords_work_and_are_never_truncated(app) {
        let long = "ü".repeat(1024);
        let response = app.register_with(&app.client, "longpw", &long).await;
        assert_eq!(response.status(), 201);
        assert_eq!(app.login_with(&app.other_client(), "longpw", &long).await.status(), 200);

        let too_long = "x".repeat(1025);
        let response = app.register_with(&app.other_client(), "toolong", &too_long).await;
        assert_eq!(response.status(), 422);
        assert_eq!(error_of(response).await.2.as_deref(), Some("password"));

        // bcrypt would silently ignore everything after byte 72.
        let p73 = format!("{}Z", "k".repeat(72));
        assert_eq!(p73.len(), 73);
        assert_eq!(app.register_with(&app.other_client(), "bytes73", &p73).await.status(), 201);
        let p72 = &p73[..72];
        assert_eq!(app.login_with(&app.other_client(), "bytes73", p72).await.status(), 401);
        assert_eq!(app.login_with(&app.other_client(), "bytes73", &p73).await.status(), 200);
    }

    async fn logins_collide_regardless_of_case(app) {
        app.register("Ann.Smith").await;
        let response = app.register_with(&app.other_client(), "ann.smith", STRONG_PASSWORD).await;
        assert_eq!(response.status(), 409);
        assert_eq!(error_of(response).await.2.as_deref(), Some("login"));
        let response = app.login_with(&app.other_client(), "ANN.SMITH", STRONG_PASSWORD).await;
        assert_eq!(response.status(), 200);
        let user: serde_json::Value = response.json().await.unwrap();
        assert_eq!(user["login"], "Ann.Smith");
    }

    async fn of_two_concurrent_registrations_of_one_login_exactly_one_succeeds(app) {
        let (a, b) = (app.other_client(), app.other_client());
        let (ra, rb) = tokio::join!(
            app.register_with(&a, "race", STRONG_PASSWORD),
            app.register_with(&b, "RACE", STRONG_PASSWORD),
        );
        let mut statuses = [ra.status().as_u16(), rb.status().as_u16()];
        statuses.sort();
        assert_eq!(statuses, [201, 409]);
    }

    async fn a_token_is_useless_after_logout(app) {
        let response = app.register_with(&app.client, "ann", STRONG_PASSWORD).await;
        let token = session_token_of(&response).expect("cookie set");
        let logout = app.client.post(app.url("/auth/logout")).send().await.unwrap();
        assert_eq!(logout.status(), 204);
        assert!(logout.headers()["set-cookie"].to_str().unwrap().contains("Max-Age=0"));
        let replay = app
            .other_client()
            .get(app.url("/auth/me"))
            .header("cookie", format!("session_token={token}"))
            .send()
            .await
            .unwrap();
        assert_eq!(replay.status(), 401);
    }

    async fn every_login_issues_a_new_token(app) {
        let first = session_token_of(&app.register_with(&app.client, "ann", STRONG_PASSWORD).await).unwrap();
        let second = session_token_of(&app.login_with(&app.other_client(), "ann", STRONG_PASSWORD).await).unwrap();
        assert_ne!(first, second);
        assert!(first.len() >= 22, "at least 128 bits");
    }

    async fn bad_registrations_name_the_field(app) {
        let cases = [
            (json!({"login": "ab", "password": STRONG_PASSWORD, "display_name": "A"}), "login"),
            (json!({"login": "has space", "password": STRONG_PASSWORD, "display_name": "A"}), "login"),
            (json!({"login": "ann", "password": "short", "display_name": "A"}), "password"),
            (json!({"login": "ann", "password": "password123", "display_name": "A"}), "password"),
            (json!({"login": "ann", "password": STRONG_PASSWORD, "display_name": "   "}), "display_name"),
            (json!({"login": "ann", "password": STRONG_PASSWORD, "display_name": "A", "about": "x".repeat(4001)}), "about"),
        ];
        for (body, field) in cases {
            let response = app.client.post(app.url("/auth/register")).json(&body).send().await.unwrap();
            assert_eq!(response.status(), 422, "{body}");
            let (code, message, got) = error_of(response).await;
            assert_eq!(code, "validation_failed");
            assert_eq!(got.as_deref(), Some(field), "{message}");
        }
        // Nothing was created by the refused attempts.
        assert_eq!(app.register_with(&app.other_client(), "ann", STRONG_PASSWORD).await.status(), 201);
    }

    async fn malformed_bodies_are_400_and_never_leak_internals(app) {
        let response = app
            .client
            .post(app.url("/auth/login"))
            .header("content-type", "application/json")
            .body("{not json")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400);
        let response = app.client.post(app.url("/auth/login")).json(&json!({"login": 5})).send().await.unwrap();
        assert_eq!(response.status(), 400);
        let (_, message, _) = error_of(response).await;
        assert!(!message.to_lowercase().contains("sql"));
    }

    async fn me_without_a_session_is_401(app) {
        let response = app.get(&app.client, "/auth/me").await;
        assert_eq!(response.status(), 401);
        assert_eq!(error_of(response).await.0, "unauthorized");
    }

    async fn unicode_profiles_round_trip(app) {
        let body = json!({"login": "maria", "password": STRONG_PASSWORD, "display_name": "Мария 🌸 مريم", "about": "Люблю чай.\nשלום"});
        let response = app.client.post(app.url("/auth/register")).json(&body).send().await.unwrap();
        assert_eq!(response.status(), 201);
        let me: serde_json::Value = app.get(&app.client, "/auth/me").await.json().await.unwrap();
        assert_eq!(me["display_name"], "Мария 🌸 مريم");
        assert_eq!(me["about"], "Люблю чай.\nשלום");
    }
}
