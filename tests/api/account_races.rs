//! Accounts changed by several requests at once: each outcome is one a person could get from
//! the requests in some order (never a 500), and the instance always has its owner row.

use serde_json::{json, Value};

use crate::helpers::*;

on_both_engines! {
    setup = by_invite;

    async fn registrations_racing_for_one_invite_get_one_account_and_410s(app) {
        let (owner, _) = account(&app, "owner").await;
        let invite: Value = owner.post(app.url("/admin/invites")).send().await.unwrap().json().await.unwrap();
        let token = invite["token"].as_str().unwrap().to_string();
        let sends = (0..6).map(|i| {
            let body = json!({"login": format!("racer{i}"), "password": STRONG_PASSWORD,
                              "display_name": "racer", "invite": token});
            let url = app.url("/auth/register");
            async move { new_client().post(url).json(&body).send().await.unwrap() }
        });
        let mut statuses: Vec<u16> = futures::future::join_all(sends)
            .await
            .iter()
            .map(|r| r.status().as_u16())
            .collect();
        statuses.sort();
        assert_eq!(statuses, [201, 410, 410, 410, 410, 410]);
    }
}

on_both_engines! {
    async fn two_admins_deleting_each_other_at_once_get_204_and_409(app) {
        for round in 0..5 {
            let (owner, _) = account(&app, &format!("owner{round}")).await;
            let (second, user) = account(&app, &format!("second{round}")).await;
            let second_id = user["id"].as_str().unwrap().to_string();
            let owner_id = app.user(&format!("owner{round}")).await.id.to_string();
            let r = owner
                .patch(app.url(&format!("/admin/users/{second_id}")))
                .json(&json!({"role": "admin"}))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
            let (a, b) = tokio::join!(
                owner.delete(app.url(&format!("/admin/users/{second_id}"))).send(),
                second.delete(app.url(&format!("/admin/users/{owner_id}"))).send(),
            );
            let statuses = [a.unwrap().status().as_u16(), b.unwrap().status().as_u16()];
            // One goes first; the other finds itself deleted (401), its target gone (404) or
            // the last admin (409). Never "database is locked".
            assert!(statuses.contains(&204), "round {round}: {statuses:?}");
            assert!(
                statuses.iter().all(|s| [204, 401, 404, 409].contains(s)),
                "round {round}: {statuses:?}"
            );
            // Whoever is left deletes itself, so the next round starts on an empty instance.
            for (client, login) in [(&owner, format!("owner{round}")), (&second, format!("second{round}"))] {
                let me = app.get(client, "/auth/me").await;
                if me.status() == 200 {
                    let r = client.delete(app.url("/auth/me")).json(&json!({"password": STRONG_PASSWORD})).send().await.unwrap();
                    assert_eq!(r.status(), 204, "{login}");
                }
            }
        }
    }

    async fn the_last_account_leaving_while_one_registers_leaves_an_owner(app) {
        for round in 0..8 {
            let (solo, _) = account(&app, &format!("solo{round}")).await;
            let leave = solo
                .delete(app.url("/auth/me"))
                .json(&json!({"password": STRONG_PASSWORD}))
                .send();
            let (late_client, late_login) = (app.other_client(), format!("late{round}"));
            let late = app.register_with(&late_client, &late_login, STRONG_PASSWORD);
            let (left, joined) = tokio::join!(leave, late);
            let left = left.unwrap().status().as_u16();
            assert_eq!(joined.status(), 201, "round {round}");
            let me: Value = joined.json().await.unwrap();
            match left {
                // solo went first: late is the only account, the instance's owner and admin.
                204 => assert_eq!(me["role"], "admin", "round {round}: {me}"),
                // late got in first: solo is the last admin of an instance with accounts.
                409 => assert_eq!(me["role"], "user", "round {round}: {me}"),
                other => panic!("round {round}: deleting the last account answered {other}"),
            }
            assert!(app.state.store.has_owner().await.unwrap(), "round {round}");
            // The next round starts on an empty instance: the user first, the admin last.
            for login in [format!("late{round}"), format!("solo{round}")] {
                if let Some(row) = app.state.store.user_by_login_key(&login).await.unwrap() {
                    app.state.store.delete_user(row.user.id).await.unwrap();
                }
            }
            assert!(!app.state.store.has_owner().await.unwrap());
        }
    }
}
