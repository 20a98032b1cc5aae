//! Failed-attempt limits under a parallel attack, and an owner a stranger cannot lock out.

use reqwest::Client;
use serde_json::json;

use crate::helpers::*;

/// The `maruntime_device` cookie a response set, if any.
fn device_cookie_of(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix("maruntime_device="))
        .map(|rest| rest.split(';').next().unwrap_or("").to_string())
}

/// The app behind a trusted proxy (the test itself), so each request can come from its own
/// address and the per-login limit is tested on its own, not through the per-address one.
async fn behind_proxy(engine: Engine) -> Option<TestApp> {
    spawn_app_on(engine, |v| {
        v.insert("MARUNTIME_TRUSTED_PROXIES".into(), "127.0.0.1".into());
    })
    .await
}

/// A client address of its own for attempt `i`.
fn address(i: usize) -> String {
    format!("198.51.{}.{}", i / 250, i % 250 + 1)
}

/// Sends `n` logins for `login` with a wrong password all at once, each from a new client
/// and a new address; returns how many were checked (401) and how many refused (429).
async fn parallel_wrong_logins(app: &TestApp, login: &str, n: usize) -> (usize, usize) {
    let attempts = (0..n).map(|i| {
        let client = new_client();
        let url = app.url("/auth/login");
        let login = login.to_string();
        async move {
            client
                .post(url)
                .header("x-forwarded-for", address(i))
                .json(&json!({"login": login, "password": format!("wrong guess {i}")}))
                .send()
                .await
                .map(|r| r.status().as_u16())
                .unwrap_or(0)
        }
    });
    let statuses = futures::future::join_all(attempts).await;
    let checked = statuses.iter().filter(|s| **s == 401).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!(
        checked + refused,
        n,
        "every attempt is answered 401 or 429: {statuses:?}"
    );
    (checked, refused)
}

on_both_engines! {
    setup = behind_proxy;

    async fn parallel_wrong_passwords_check_at_most_the_limit(app) {
        app.register("ann").await;
        let (checked, refused) = parallel_wrong_logins(&app, "ann", 150).await;
        assert!(checked <= 10, "{checked} of 150 parallel guesses were checked; the limit is 10");
        assert!(refused >= 140);
        // The limit holds afterwards too, even for the right password from a stranger.
        let r = app.login_with(&app.other_client(), "ann", STRONG_PASSWORD).await;
        assert_eq!(r.status(), 429);
    }

    async fn the_owner_logs_in_from_a_known_device_while_a_stranger_is_refused(app) {
        let owner = app.other_client();
        let registered = app.register_with(&owner, "ann", STRONG_PASSWORD).await;
        assert_eq!(registered.status(), 201);
        let device = device_cookie_of(&registered).expect("a device cookie on registration");
        assert!(!device.is_empty());
        // Logging out keeps the device cookie.
        let out = owner.post(app.url("/auth/logout")).send().await.unwrap();
        assert_eq!(out.status(), 204);
        assert!(device_cookie_of(&out).is_none(), "logout leaves the device cookie alone");

        // Strangers, each from an address of their own, fill the account's bucket...
        let (checked, _) = parallel_wrong_logins(&app, "ann", 12).await;
        assert_eq!(checked, 10);
        assert_eq!(app.login_with(&app.other_client(), "ann", STRONG_PASSWORD).await.status(), 429);
        // ...and the owner's browser logs in all the same, from the same address.
        let r = app.login_with(&owner, "ann", STRONG_PASSWORD).await;
        assert_eq!(r.status(), 200);
        assert!(device_cookie_of(&r).is_some_and(|d| d != device), "a new device cookie on every login");
        assert_eq!(app.get(&owner, "/auth/me").await.status(), 200);

        // A forged or foreign device cookie is no way around the limit.
        let forged = Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let (id, _) = device.split_once('.').unwrap();
        let r = forged
            .post(app.url("/auth/login"))
            .header("cookie", format!("maruntime_device={id}.bogus.c2lnbmF0dXJl"))
            .json(&json!({"login": "ann", "password": STRONG_PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 429);
    }

    async fn a_signed_in_owner_can_change_the_password_while_strangers_are_refused(app) {
        app.register("ann").await;
        let stranger = app.other_client();
        for _ in 0..11 {
            app.login_with(&stranger, "ann", "wrong guess").await;
        }
        let r = app
            .client
            .put(app.url("/auth/password"))
            .json(&json!({"current_password": STRONG_PASSWORD, "new_password": "a-new-long-passphrase-7"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 204);
    }

    async fn password_confirmations_are_limited_per_account(app) {
        app.register("ann").await;
        for _ in 0..10 {
            let r = app.client.delete(app.url("/auth/me")).json(&json!({"password": "not it"})).send().await.unwrap();
            assert_eq!(r.status(), 403);
        }
        let r = app.client.delete(app.url("/auth/me")).json(&json!({"password": STRONG_PASSWORD})).send().await.unwrap();
        assert_eq!(r.status(), 429);
        assert_eq!(app.get(&app.client, "/auth/me").await.status(), 200, "the account is still there");
    }

    async fn an_overlong_login_is_answered_like_an_unknown_one(app) {
        let long = "x".repeat(100_000);
        let r = app.login_with(&app.other_client(), &long, "whatever").await;
        assert_eq!(r.status(), 401);
        assert_eq!(error_of(r).await.1, "Invalid login or password");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_past_the_hash_queue_is_refused_at_once() {
    let app = spawn_app_on(Engine::Sqlite, |v| {
        v.insert("MARUNTIME_LOGIN_LIMIT".into(), "1000".into());
        v.insert("MARUNTIME_HASH_CONCURRENCY".into(), "1".into());
        v.insert("MARUNTIME_HASH_QUEUE".into(), "2".into());
    })
    .await
    .unwrap();
    let attempts = (0..40).map(|i| {
        let client = new_client();
        let url = app.url("/auth/login");
        async move {
            let r = client
                .post(url)
                .json(&json!({"login": format!("nobody{i}"), "password": "wrong guess"}))
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.headers().contains_key("retry-after"))
        }
    });
    let answers = futures::future::join_all(attempts).await;
    let busy = answers
        .iter()
        .filter(|(s, retry)| *s == 429 && *retry)
        .count();
    let checked = answers.iter().filter(|(s, _)| *s == 401).count();
    assert_eq!(busy + checked, 40, "{answers:?}");
    assert!(
        busy > 0,
        "with one hash running and two waiting, a flood of 40 is partly refused"
    );
    assert!(checked >= 3);
    // Refused attempts were never checked, so they count against no limit.
    app.register("ann").await;
    assert_eq!(
        app.login_with(&app.other_client(), "ann", STRONG_PASSWORD)
            .await
            .status(),
        200
    );
}
