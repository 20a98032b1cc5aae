//! The web UI's language: the account's choice, else the browser's `Accept-Language`, else
//! English, in the server-rendered page itself. The JSON API's messages stay English.

use reqwest::Client;
use serde_json::{json, Value};

use crate::helpers::*;

/// The `<html …>` tag of a page, as the server rendered it, and the page without the
/// hydration markers (`<!>`, comments) a development build puts between texts.
async fn html_tag(
    app: &TestApp,
    client: &Client,
    path: &str,
    accept_language: &str,
) -> (String, String) {
    let page = client
        .get(app.url(path))
        .header("accept", "text/html")
        .header("accept-language", accept_language)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let start = page.find("<html").expect("an <html> tag");
    let end = start + page[start..].find('>').unwrap();
    (page[start..=end].to_string(), without_comments(&page))
}

/// The `action` of the form on `page` that posts to the server function `prefix…`.
async fn form_action(app: &TestApp, page: &str, prefix: &str) -> String {
    let html = app
        .get(&app.other_client(), page)
        .await
        .text()
        .await
        .unwrap();
    let start = html
        .find(&format!("action=\"{prefix}"))
        .expect("the form's action")
        + 8;
    html[start..start + html[start..].find('"').unwrap()].to_string()
}

on_both_engines! {
    async fn the_page_speaks_the_accounts_language_else_the_browsers(app) {
        let visitor = app.other_client();
        let (tag, page) = html_tag(&app, &visitor, "/login", "").await;
        assert!(tag.contains("lang=\"en\""), "{tag}");
        assert!(page.contains("Log in</h1>"));
        let (tag, page) = html_tag(&app, &visitor, "/login", "ru-RU,ru;q=0.9,en;q=0.8").await;
        assert!(tag.contains("lang=\"ru\""), "{tag}");
        assert!(page.contains("Вход</h1>"), "the login page in Russian");
        // The best language we speak, by preference; one we do not speak falls back to English.
        let (tag, _) = html_tag(&app, &visitor, "/login", "de-DE, ru;q=0.5, en;q=0.4").await;
        assert!(tag.contains("lang=\"ru\""), "{tag}");
        let (tag, _) = html_tag(&app, &visitor, "/login", "de-DE,de;q=0.9").await;
        assert!(tag.contains("lang=\"en\""), "{tag}");

        // The account's choice wins over the browser's, and travels with the user.
        app.register("ann").await;
        let me: Value = app.get(&app.client, "/auth/me").await.json().await.unwrap();
        assert_eq!(me["language"], Value::Null);
        let response = app.client.put(app.url("/auth/profile")).json(&json!({"language": "ru"})).send().await.unwrap();
        assert_eq!(response.status(), 200);
        let user: Value = response.json().await.unwrap();
        assert_eq!(user["language"], "ru");
        assert_eq!(user["display_name"], "ann name", "the rest of the profile is unchanged");
        let (tag, page) = html_tag(&app, &app.client, "/chat", "en-US,en;q=0.9").await;
        assert!(tag.contains("lang=\"ru\""), "{tag}");
        assert!(page.contains("Новый чат"), "the chat page in Russian");
        // Another edit of the profile leaves the language alone.
        let user: Value = app.client.put(app.url("/auth/profile")).json(&json!({"about": "Hi."})).send().await.unwrap().json().await.unwrap();
        assert_eq!(user["language"], "ru");

        // A language we do not speak: 422 on the field, in English; nothing changes.
        let response = app.client.put(app.url("/auth/profile")).json(&json!({"language": "de"})).send().await.unwrap();
        assert_eq!(response.status(), 422);
        let (code, message, field) = error_of(response).await;
        assert_eq!((code.as_str(), field.as_deref()), ("validation_failed", Some("language")));
        assert!(message.starts_with("Language must be one of: en, ru"), "{message}");
        let me: Value = app.get(&app.client, "/auth/me").await.json().await.unwrap();
        assert_eq!(me["language"], "ru");

        // null follows the browser again.
        let user: Value = app.client.put(app.url("/auth/profile")).json(&json!({"language": null})).send().await.unwrap().json().await.unwrap();
        assert_eq!(user["language"], Value::Null);
        let (tag, _) = html_tag(&app, &app.client, "/chat", "en").await;
        assert!(tag.contains("lang=\"en\""), "{tag}");
    }

    async fn the_web_uis_errors_are_in_its_language_the_json_apis_stay_english(app) {
        app.register("ann").await;
        let visitor = app.other_client();
        // The login form's server function, as the hydrated page calls it (its path carries
        // a hash: read it from the form).
        let login_path = form_action(&app, "/login", "/api/login").await;
        let register_path = form_action(&app, "/register", "/api/register").await;
        let call = |language: &'static str| {
            visitor
                .post(app.url(&login_path))
                .header("origin", format!("http://{}", app.addr))
                .header("accept", "application/json")
                .header("accept-language", language)
                .form(&[("login", "ann"), ("password", "not-her-password")])
                .send()
        };
        let response = call("ru-RU,ru;q=0.9").await.unwrap();
        assert_eq!(response.status(), 401);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["code"], "unauthorized", "{body}");
        let message = body["message"].as_str().expect("a message").to_string();
        assert_eq!(message, "Неверный логин или пароль", "{body}");
        let response = call("en").await.unwrap();
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["message"], "Invalid login or password", "{body}");

        // A validation message with a number in it, through its pattern.
        let response = visitor
            .post(app.url(&register_path))
            .header("origin", format!("http://{}", app.addr))
            .header("accept", "application/json")
            .header("accept-language", "ru")
            .form(&[("login", "a"), ("password", STRONG_PASSWORD), ("display_name", "A"), ("about", "")])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 422);
        let body: Value = response.json().await.unwrap();
        assert_eq!((&body["code"], &body["field"]), (&json!("validation_failed"), &json!("login")), "{body}");
        let message = body["message"].as_str().unwrap_or_default();
        assert!(message.chars().any(|c| ('а'..='я').contains(&c)), "Russian: {body}");
        assert!(message.contains(" 3 ") && message.contains("50"), "the numbers kept: {body}");

        // The JSON API answers programs: English whatever the Accept-Language.
        let response = visitor
            .post(app.url("/auth/login"))
            .header("accept-language", "ru")
            .json(&json!({"login": "ann", "password": "not-her-password"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401);
        let (_, message, _) = error_of(response).await;
        assert_eq!(message, "Invalid login or password");
    }
}
