//! `user.md`: written at registration, kept in step with profile edits.

use serde_json::{json, Value};

use crate::helpers::*;

fn profile_path(app: &TestApp, user: &Value) -> std::path::PathBuf {
    app.memory_dir
        .join("users")
        .join(user["id"].as_str().unwrap())
        .join("user.md")
}

on_both_engines! {
    async fn registration_writes_the_profile_in_the_plan_format(app) {
        let body = json!({"login": "ann", "password": STRONG_PASSWORD, "display_name": "Ann", "about": "I write Rust."});
        let user: Value = app.client.post(app.url("/auth/register")).json(&body).send().await.unwrap().json().await.unwrap();
        let text = std::fs::read_to_string(profile_path(&app, &user)).unwrap();
        let id = user["id"].as_str().unwrap();
        assert!(text.starts_with(&format!(
            "# User Profile\n\n## Identity\n- **ID:** {id}\n- **Login:** ann\n- **Display Name:** Ann\n- **Registered:** "
        )));
        assert!(text.contains("\n\n## About\nI write Rust.\n\n## Preferences\n"));
    }

    async fn a_profile_edit_updates_identity_and_about_but_not_preferences(app) {
        let user = app.register("ann").await;
        let path = profile_path(&app, &user);
        let text = std::fs::read_to_string(&path).unwrap();
        let learned = text.replace(
            "(Reserved for future use - agent can learn preferences from conversations)",
            "- Prefers short answers",
        );
        std::fs::write(&path, learned).unwrap();

        let response = app.client.put(app.url("/auth/profile")).json(&json!({"display_name": " Annie ", "about": "Now in Tbilisi."})).send().await.unwrap();
        assert_eq!(response.status(), 200);
        let updated: Value = response.json().await.unwrap();
        assert_eq!(updated["display_name"], "Annie");

        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("- **Display Name:** Annie\n"));
        assert!(text.contains("## About\nNow in Tbilisi.\n"));
        assert!(text.ends_with("## Preferences\n- Prefers short answers\n"));
    }

    async fn a_bad_profile_edit_is_422_and_changes_nothing(app) {
        app.register("ann").await;
        let response = app.client.put(app.url("/auth/profile")).json(&json!({"display_name": ""})).send().await.unwrap();
        assert_eq!(response.status(), 422);
        let me: Value = app.get(&app.client, "/auth/me").await.json().await.unwrap();
        assert_eq!(me["display_name"], "ann name");
    }

    async fn registration_fails_cleanly_when_the_profile_cannot_be_written(app) {
        // A file where the users folder should be makes every profile write fail.
        std::fs::write(app.memory_dir.join("users"), "not a folder").unwrap();
        let response = app.register_with(&app.client, "ann", STRONG_PASSWORD).await;
        assert_eq!(response.status(), 500);
        let (code, message, _) = error_of(response).await;
        assert_eq!(code, "internal");
        assert!(!message.contains("users"), "no path leaks: {message}");
        assert_eq!(app.login_with(&app.other_client(), "ann", STRONG_PASSWORD).await.status(), 401);

        std::fs::remove_file(app.memory_dir.join("users")).unwrap();
        assert_eq!(app.register_with(&app.other_client(), "ann", STRONG_PASSWORD).await.status(), 201);
    }
}
