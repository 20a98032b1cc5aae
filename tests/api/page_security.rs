//! Pages behind a login redirect before any body exists; every page carries headers a
//! browser enforces; with `Secure` cookies the session cookie is `__Host-` prefixed.

use crate::helpers::*;

on_both_engines! {
    async fn a_logged_out_page_request_is_a_303_to_the_login(app) {
        for (path, next) in [
            ("/profile", "/profile"),
            ("/chat", "/chat"),
            ("/chat/0d8f5f4e-8a43-4c4e-9d7e-1a2b3c4d5e6f", "/chat/0d8f5f4e-8a43-4c4e-9d7e-1a2b3c4d5e6f"),
            ("/chat/abc?q=a%20b&x=1", "/chat/abc%3Fq%3Da%2520b%26x%3D1"),
        ] {
            let r = app.get_page(&app.client, path).await;
            assert_eq!(r.status(), 303, "{path}");
            assert_eq!(r.headers()["location"], format!("/login?next={next}"), "{path}");
            assert!(r.text().await.unwrap().is_empty(), "no page body for {path}");
        }
        // Public pages render for anyone; a signed-in user gets the page itself.
        assert_eq!(app.get_page(&app.client, "/login").await.status(), 200);
        app.register("ann").await;
        assert_eq!(app.get_page(&app.client, "/profile").await.status(), 200);
    }

    async fn pages_carry_a_nonce_policy_and_the_headers_browsers_enforce(app) {
        let r = app.get_page(&app.client, "/login").await;
        assert_eq!(r.status(), 200);
        let headers = r.headers().clone();
        let policy = headers["content-security-policy"].to_str().unwrap().to_string();
        let nonce = policy
            .split("'nonce-")
            .nth(1)
            .and_then(|rest| rest.split('\'').next())
            .expect("a nonce in script-src")
            .to_string();
        let scripts = policy.split(';').find(|d| d.trim().starts_with("script-src")).unwrap();
        assert!(!scripts.contains("unsafe-inline"), "{policy}");
        assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert_eq!(headers["referrer-policy"], "same-origin");
        assert!(!headers.contains_key("strict-transport-security"), "no HSTS without Secure cookies");
        let html = r.text().await.unwrap();
        assert!(html.contains(&format!("nonce=\"{nonce}\"")), "the hydration scripts carry the nonce");
        // Every inline or module script of the page carries it.
        let without_nonce = html.match_indices("<script").filter(|(i, _)| {
            let tag_end = html[*i..].find('>').map_or(html.len(), |e| i + e);
            !html[*i..tag_end].contains(&nonce)
        });
        assert_eq!(without_nonce.count(), 0);
        // A new nonce for every answer.
        let again = app.get_page(&app.client, "/login").await;
        assert_ne!(again.headers()["content-security-policy"].to_str().unwrap(), policy);
        // JSON answers get the plain headers too.
        let json = app.get(&app.client, "/healthz").await;
        assert_eq!(json.headers()["x-content-type-options"], "nosniff");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_secure_cookies_the_session_cookie_is_host_prefixed_and_hsts_is_sent() {
    let app = spawn_app_on(Engine::Sqlite, |v| {
        v.insert("MARUNTIME_COOKIE_SECURE".into(), "true".into());
    })
    .await
    .unwrap();
    let r = app
        .register_with(&app.other_client(), "ann", STRONG_PASSWORD)
        .await;
    assert_eq!(r.status(), 201);
    let cookies: Vec<String> = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect();
    let session = cookies
        .iter()
        .find(|c| c.starts_with("__Host-session_token="))
        .expect("prefixed session cookie");
    for attr in ["Secure", "Path=/", "HttpOnly"] {
        assert!(session.contains(attr), "{session}");
    }
    assert!(!session.contains("Domain"), "{session}");
    assert!(cookies
        .iter()
        .any(|c| c.starts_with("__Host-maruntime_device=")));
    let hsts = r.headers()["strict-transport-security"].to_str().unwrap();
    assert!(hsts.contains("max-age="));
    // The prefixed cookie is the one that signs in.
    let token = session
        .strip_prefix("__Host-session_token=")
        .unwrap()
        .split(';')
        .next()
        .unwrap();
    let me = reqwest::Client::new()
        .get(app.url("/auth/me"))
        .header("cookie", format!("__Host-session_token={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
}
