//! The instance owner is in control: the first account is admin, registration can be closed
//! or by invite, admins see and manage accounts, and nobody else sees any of it.

use serde_json::{json, Value};

use crate::helpers::*;

async fn closed(engine: Engine) -> Option<TestApp> {
    with_registration(engine, "closed").await
}

async fn patch_user(
    app: &TestApp,
    admin: &reqwest::Client,
    id: &str,
    body: Value,
) -> reqwest::Response {
    admin
        .patch(app.url(&format!("/admin/users/{id}")))
        .json(&body)
        .send()
        .await
        .unwrap()
}

on_both_engines! {
    async fn the_first_account_is_admin_and_the_others_users(app) {
        let (owner, first) = account(&app, "owner").await;
        assert_eq!(first["role"], "admin");
        let (bob, second) = account(&app, "bob").await;
        assert_eq!(second["role"], "user");
        let me: Value = app.get(&owner, "/auth/me").await.json().await.unwrap();
        assert_eq!(me["role"], "admin");
        let me: Value = app.get(&bob, "/v1/me").await.json().await.unwrap();
        assert_eq!(me["role"], "user");
    }

    async fn administration_is_404_for_users_and_401_for_nobody(app) {
        let (owner, _) = account(&app, "owner").await;
        let (bob, _) = account(&app, "bob").await;
        for (method, path) in [
            ("GET", "/admin/users"),
            ("PATCH", "/admin/users/00000000-0000-0000-0000-000000000000"),
            ("DELETE", "/admin/users/00000000-0000-0000-0000-000000000000"),
            ("GET", "/admin/invites"),
            ("POST", "/admin/invites"),
            ("DELETE", "/admin/invites/00000000-0000-0000-0000-000000000000"),
            ("GET", "/admin/usage"),
        ] {
            let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
            let as_bob = bob.request(m.clone(), app.url(path)).json(&json!({})).send().await.unwrap();
            assert_eq!(as_bob.status(), 404, "{method} {path} as a user");
            let as_nobody = app.other_client().request(m, app.url(path)).json(&json!({})).send().await.unwrap();
            assert_eq!(as_nobody.status(), 401, "{method} {path} logged out");
        }
        assert_eq!(app.get(&owner, "/admin/users").await.status(), 200);
    }

    async fn the_users_list_shows_activity_and_never_a_secret(app) {
        let (owner, _) = account(&app, "owner").await;
        let (bob, _) = account(&app, "bob").await;
        let chat = create_chat_titled(&app, &bob, Some("Bob's chat")).await;
        post_message(&app, &bob, &chat, "hello").await;
        let listed = app.get(&owner, "/admin/users?limit=1").await;
        assert_eq!(listed.status(), 200);
        let text = listed.text().await.unwrap();
        for secret in ["argon2", "password", "token_hash", "hash"] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
        let page: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(page["data"].as_array().unwrap().len(), 1);
        assert_eq!(page["data"][0]["login"], "owner");
        assert_eq!(page["next_offset"], 1);
        let page: Value = app.get(&owner, "/admin/users?limit=1&offset=1").await.json().await.unwrap();
        let row = &page["data"][0];
        assert_eq!(row["login"], "bob");
        assert_eq!(row["role"], "user");
        assert_eq!(row["disabled"], false);
        assert_eq!(row["chats"], 1);
        assert_eq!(row["messages"], 1);
        assert_eq!(row["tokens_30d"], 0);
        assert!(row["last_active_at"].is_string());
        assert!(page["next_offset"].is_null());
        let found: Value = app.get(&owner, "/admin/users?q=BO").await.json().await.unwrap();
        assert_eq!(found["data"].as_array().unwrap().len(), 1);
        // The largest page still says whether there is another.
        let all: Value = app.get(&owner, "/admin/users?limit=500").await.json().await.unwrap();
        assert_eq!(all["data"].as_array().unwrap().len(), 2);
        assert!(all["next_offset"].is_null());
    }

    async fn disabling_ends_sessions_and_keys_at_once_and_blocks_login_until_enabled(app) {
        let (owner, _) = account(&app, "owner").await;
        let (bob, user) = account(&app, "bob").await;
        let id = user["id"].as_str().unwrap();
        let key = new_api_key(&app, &bob, "k").await;

        let r = patch_user(&app, &owner, id, json!({"disabled": true})).await;
        assert_eq!(r.status(), 200);
        assert_eq!(r.json::<Value>().await.unwrap()["disabled"], true);
        assert_eq!(app.get(&bob, "/auth/me").await.status(), 401, "the session ended");
        let with_key = reqwest::Client::new().get(app.url("/v1/me")).bearer_auth(&key).send().await.unwrap();
        assert_eq!(with_key.status(), 401, "the key is revoked");
        let login = app.login_with(&app.other_client(), "bob", STRONG_PASSWORD).await;
        assert_eq!(login.status(), 403);
        assert!(error_of(login).await.1.contains("disabled"));
        // A wrong password is still just a wrong password: nothing tells a guesser more.
        assert_eq!(app.login_with(&app.other_client(), "bob", "not the password").await.status(), 401);

        let r = patch_user(&app, &owner, id, json!({"disabled": false})).await;
        assert_eq!(r.status(), 200);
        assert_eq!(app.login_with(&app.other_client(), "bob", STRONG_PASSWORD).await.status(), 200);
    }

    async fn the_last_enabled_admin_can_be_neither_demoted_nor_disabled_nor_deleted(app) {
        let (owner, me) = account(&app, "owner").await;
        let (_, bob) = account(&app, "bob").await;
        let id = me["id"].as_str().unwrap();
        for body in [json!({"role": "user"}), json!({"disabled": true})] {
            let r = patch_user(&app, &owner, id, body.clone()).await;
            assert_eq!(r.status(), 409, "{body}");
        }
        let r = owner.delete(app.url(&format!("/admin/users/{id}"))).send().await.unwrap();
        assert_eq!(r.status(), 409);
        // With a second admin, the first may step down.
        let bob_id = bob["id"].as_str().unwrap();
        let r = patch_user(&app, &owner, bob_id, json!({"role": "admin"})).await;
        assert_eq!(r.json::<Value>().await.unwrap()["role"], "admin");
        let r = patch_user(&app, &owner, id, json!({"role": "user"})).await;
        assert_eq!(r.status(), 200);
        assert_eq!(app.get(&owner, "/admin/users").await.status(), 404, "no longer an admin");
    }

    async fn two_admins_demoting_each_other_at_once_leave_one_admin(app) {
        let (owner, me) = account(&app, "owner").await;
        let (bob, user) = account(&app, "bob").await;
        let (owner_id, bob_id) = (me["id"].as_str().unwrap(), user["id"].as_str().unwrap());
        for round in 0..8 {
            let r = patch_user(&app, &owner, bob_id, json!({"role": "admin"})).await;
            assert_eq!(r.status(), 200, "round {round}");
            let (a, b) = tokio::join!(
                patch_user(&app, &owner, bob_id, json!({"role": "user"})),
                patch_user(&app, &bob, owner_id, json!({"role": "user"})),
            );
            let mut statuses = [a.status().as_u16(), b.status().as_u16()];
            statuses.sort();
            // One wins. The other is refused as the last admin, or, when the winner finished
            // before it was even signed in, is no admin any more.
            assert!(
                statuses == [200, 409] || statuses == [200, 404],
                "round {round}: {statuses:?}"
            );
            let owner_is_admin = app.get(&owner, "/admin/users").await.status() == 200;
            let bob_is_admin = app.get(&bob, "/admin/users").await.status() == 200;
            assert!(owner_is_admin != bob_is_admin, "round {round}: exactly one admin");
            if bob_is_admin {
                let r = patch_user(&app, &bob, owner_id, json!({"role": "admin"})).await;
                assert_eq!(r.status(), 200);
            }
        }
    }

    async fn the_last_admin_cannot_delete_their_own_account_while_others_remain(app) {
        let (owner, _) = account(&app, "owner").await;
        let (bob, _) = account(&app, "bob").await;
        let delete_own = |client: &reqwest::Client| {
            client
                .delete(app.url("/auth/me"))
                .json(&json!({"password": STRONG_PASSWORD}))
                .send()
        };
        let r = delete_own(&owner).await.unwrap();
        assert_eq!(r.status(), 409);
        assert!(error_of(r).await.1.contains("last enabled admin"));
        assert_eq!(delete_own(&bob).await.unwrap().status(), 204, "a user may leave");
        // The only account left may go: the instance is empty again, and its next account
        // is its admin.
        assert_eq!(delete_own(&owner).await.unwrap().status(), 204);
        let (_, next) = account(&app, "newcomer").await;
        assert_eq!(next["role"], "admin");
    }

    async fn bad_changes_are_refused_and_an_admin_can_delete_an_account(app) {
        let (owner, _) = account(&app, "owner").await;
        let (_, bob) = account(&app, "bob").await;
        let id = bob["id"].as_str().unwrap();
        for (body, field) in [
            (json!({"role": "root"}), "role"),
            (json!({"disabled": "yes"}), "disabled"),
            (json!({"daily_token_limit": -1}), "daily_token_limit"),
            (json!({"login": "mallory"}), "login"),
        ] {
            let r = patch_user(&app, &owner, id, body.clone()).await;
            assert_eq!(r.status(), 422, "{body}");
            assert_eq!(error_of(r).await.2.as_deref(), Some(field));
        }
        let r = patch_user(&app, &owner, id, json!({"daily_token_limit": 5000})).await;
        assert_eq!(r.json::<Value>().await.unwrap()["daily_token_limit"], 5000);
        let r = patch_user(&app, &owner, id, json!({"daily_token_limit": null})).await;
        assert!(r.json::<Value>().await.unwrap()["daily_token_limit"].is_null());
        assert_eq!(patch_user(&app, &owner, "00000000-0000-0000-0000-000000000000", json!({"disabled": true})).await.status(), 404);

        let r = owner.delete(app.url(&format!("/admin/users/{id}"))).send().await.unwrap();
        assert_eq!(r.status(), 204);
        assert_eq!(app.login_with(&app.other_client(), "bob", STRONG_PASSWORD).await.status(), 401);
        let users: Value = app.get(&owner, "/admin/users").await.json().await.unwrap();
        assert_eq!(users["data"].as_array().unwrap().len(), 1);
    }
}

/// The register page as a browser without JavaScript gets it: (status, HTML).
async fn register_page(app: &TestApp, query: &str) -> (u16, String) {
    let r = app
        .get_page(&new_client(), &format!("/register{query}"))
        .await;
    (r.status().as_u16(), r.text().await.unwrap())
}

on_both_engines! {
    setup = closed;

    async fn the_register_page_says_who_may_register(app) {
        let (status, html) = register_page(&app, "").await;
        assert_eq!(status, 200);
        assert!(html.contains("will be its administrator"), "an empty instance says so");
        account(&app, "owner").await;
        let (status, html) = register_page(&app, "").await;
        assert_eq!(status, 403, "a closed instance's page answers 403");
        assert!(html.contains("Registration is closed"));
    }

    async fn closed_registration_admits_only_the_first_account(app) {
        let (_, owner) = account(&app, "owner").await;
        assert_eq!(owner["role"], "admin");
        let r = app.register_with(&app.other_client(), "bob", STRONG_PASSWORD).await;
        assert_eq!(r.status(), 403);
        assert!(error_of(r).await.1.contains("Registration is closed"));
    }
}

on_both_engines! {
    setup = by_invite;

    async fn the_register_page_tells_whether_an_invite_is_needed(app) {
        account(&app, "owner").await;
        let (status, html) = register_page(&app, "").await;
        assert_eq!(status, 200);
        assert!(html.contains("needs an invite link"));
        let (_, html) = register_page(&app, "?invite=abc").await;
        assert!(html.contains("You were invited"));
        assert!(html.contains("name=\"invite\" value=\"abc\""), "the form carries the invite");
    }

    async fn invite_registration_needs_a_usable_invite_used_once(app) {
        let (owner, _) = account(&app, "owner").await;
        let register = |login: &'static str, invite: Option<String>| {
            let url = app.url("/auth/register");
            async move {
                let mut body = json!({"login": login, "password": STRONG_PASSWORD, "display_name": login});
                if let Some(invite) = invite {
                    body["invite"] = json!(invite);
                }
                new_client().post(url).json(&body).send().await.unwrap()
            }
        };
        let r = register("bob", None).await;
        assert_eq!(r.status(), 403);
        assert!(error_of(r).await.1.contains("needs an invite"));
        assert_eq!(register("bob", Some("not-an-invite".into())).await.status(), 403);

        let created = owner.post(app.url("/admin/invites")).send().await.unwrap();
        assert_eq!(created.status(), 201);
        let invite: Value = created.json().await.unwrap();
        let token = invite["token"].as_str().unwrap().to_string();
        assert!(invite["url"].as_str().unwrap().ends_with(&format!("/register?invite={token}")));
        let expires = chrono::DateTime::parse_from_rfc3339(invite["expires_at"].as_str().unwrap()).unwrap();
        let days = (expires.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_hours();
        assert!((167..=168).contains(&days), "a week by default: {days} h");

        let r = register("bob", Some(token.clone())).await;
        assert_eq!(r.status(), 201);
        let r = register("carol", Some(token.clone())).await;
        assert_eq!(r.status(), 410, "single use");
        assert!(error_of(r).await.1.contains("already used"));

        let listed: Value = app.get(&owner, "/admin/invites").await.json().await.unwrap();
        assert_eq!(listed["data"].as_array().unwrap().len(), 1);
        assert!(listed["data"][0]["used_at"].is_string());
        assert!(!listed.to_string().contains(&token), "the list never shows a token");

        // A withdrawn invite no longer works.
        let second: Value = owner.post(app.url("/admin/invites")).json(&json!({"expires_in_hours": 1})).send().await.unwrap().json().await.unwrap();
        let id = second["id"].as_str().unwrap();
        assert_eq!(owner.delete(app.url(&format!("/admin/invites/{id}"))).send().await.unwrap().status(), 204);
        assert_eq!(register("dave", second["token"].as_str().map(String::from)).await.status(), 403);
        let bad = owner.post(app.url("/admin/invites")).json(&json!({"expires_in_hours": 0})).send().await.unwrap();
        assert_eq!(bad.status(), 422);
    }
}

on_both_engines! {
    setup = |engine| async move { Some((by_invite(engine).await?, engine)) };
    async fn an_expired_invite_is_refused_with_410((app, engine)) {
    let (owner, _) = account(&app, "owner").await;
    let invite: Value = owner
        .post(app.url("/admin/invites"))
        .json(&json!({"expires_in_hours": 1}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // Age it in the database, as the clock would.
    let token = invite["token"].as_str().unwrap();
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&app.database_url)
        .await
        .unwrap();
    let aged = sqlx::query("update invites set expires_at = $1 where token_hash = $2")
        .bind(chrono::Utc::now().timestamp_millis() - 1)
        .bind(maruntime::server::auth::hash_token(token))
        .execute(&mut conn)
        .await
        .unwrap();
    assert_eq!(aged.rows_affected(), 1);
    let r = new_client()
        .post(app.url("/auth/register"))
        .json(&json!({"login": "late", "password": STRONG_PASSWORD, "display_name": "Late", "invite": token}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 410, "{engine:?}");
    assert!(error_of(r).await.1.contains("expired"));
    }
}

on_both_engines! {
    setup = |engine| async move {
        let settings = [("MARUNTIME_USER_DAILY_TOKENS", "10")];
        Some((crate::fake_llm::app_and_fake_llm(engine, &settings).await?, engine))
    };
    async fn a_spent_daily_quota_refuses_new_runs_while_other_accounts_still_chat(((app, fake), engine)) {
        use crate::agent::{ask, complete, key_client};
        use crate::fake_llm::Script;
    let (owner, _) = account(&app, "owner").await;
    let (ann, _) = key_client(&app, "ann").await;
    let (bob, _) = key_client(&app, "bob").await;

    fake.push(Script::WithUsage(vec!["first answer".into()], 8, 5));
    assert_eq!(complete(&app, &ann, ask("one")).await.status(), 200);
    let calls = fake.requests().len();
    let refused = complete(&app, &ann, ask("two")).await;
    assert_eq!(refused.status(), 429, "{engine:?}");
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["type"], "insufficient_quota");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("10 tokens"));
    assert_eq!(fake.requests().len(), calls, "the model was not called");

    fake.push(Script::text(&["bob's answer"]));
    assert_eq!(
        complete(&app, &bob, ask("hello")).await.status(),
        200,
        "bob is untouched"
    );

    // An admin gives ann a limit of her own.
    let users: Value = app
        .get(&owner, "/admin/users?q=ann")
        .await
        .json()
        .await
        .unwrap();
    let id = users["data"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(users["data"][0]["tokens_30d"], 13);
    let r = patch_user(&app, &owner, &id, json!({"daily_token_limit": 1000})).await;
    assert_eq!(r.status(), 200);
    fake.push(Script::text(&["more"]));
    assert_eq!(complete(&app, &ann, ask("three")).await.status(), 200);

    // The instance's usage per day counts every account's runs, for admins only.
    let usage: Value = app.get(&owner, "/admin/usage").await.json().await.unwrap();
    let today = &usage["data"][0];
    assert_eq!(today["runs"], 3, "{usage}");
    let total = today["total_tokens"].as_u64().unwrap();
    let own: Value = app.get(&owner, "/v1/usage").await.json().await.unwrap();
    assert!(
        own["data"].as_array().unwrap().is_empty(),
        "the owner ran nothing"
    );
    assert!(total > 13, "{usage}");
    let (dan, _) = account(&app, "dan").await;
    assert_eq!(app.get(&dan, "/admin/usage").await.status(), 404);
    let r = app.get(&owner, "/admin/usage?days=0").await;
    assert_eq!(r.status(), 422);
    }
}

/// `/admin` as a browser without JavaScript gets it: (status, HTML).
async fn admin_page(app: &TestApp, client: &reqwest::Client) -> (u16, String) {
    let r = app.get_page(client, "/admin").await;
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_page_is_for_admins_and_a_404_page_for_everyone_else() {
    let app = spawn_app_on(Engine::Sqlite, |_| {}).await.unwrap();
    let (owner, _) = account(&app, "owner").await;
    let (bob, _) = account(&app, "bob").await;
    let page = app.get_page(&owner, "/admin").await;
    assert_eq!(page.headers()["cache-control"], "no-store");
    let listed = app.get(&owner, "/admin/users").await;
    assert_eq!(listed.headers()["cache-control"], "no-store");
    let (status, html) = admin_page(&app, &owner).await;
    assert_eq!(status, 200);
    for text in [
        "Administration",
        "Accounts",
        "Invites",
        "Usage per day",
        "bob",
    ] {
        assert!(html.contains(text), "{text} on the admin's page");
    }
    let (status, html) = admin_page(&app, &bob).await;
    assert_eq!(status, 404);
    assert!(html.contains("Page not found"));
    for text in ["Administration", "Invites", "owner"] {
        assert!(!html.contains(text), "{text} on a user's page");
    }
    let r = app.get_page(&new_client(), "/admin").await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/login?next=/admin");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_profile_page_shows_todays_tokens_and_the_limit() {
    let app = spawn_app_on(Engine::Sqlite, |v| {
        v.insert("MARUNTIME_USER_DAILY_TOKENS".into(), "500".into());
    })
    .await
    .unwrap();
    let (ann, _) = account(&app, "ann").await;
    let html = app.get_page(&ann, "/profile").await.text().await.unwrap();
    let html = without_comments(&html);
    assert!(html.contains("0 of your 500 tokens used today"), "{html}");
}
