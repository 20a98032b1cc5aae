//! The storage contract: the same behaviour from SQLite and PostgreSQL.

use chrono::Utc;
use maruntime::model::{ApiKeyInfo, User};
use maruntime::server::store::{NewSession, Store, StoreError};
use uuid::Uuid;

use crate::helpers::*;

fn user(login: &str) -> User {
    User {
        id: Uuid::new_v4(),
        login: login.into(),
        display_name: "Юлия 🌸".into(),
        about: "שלום".into(),
        created_at: chrono::DateTime::from_timestamp_millis(Utc::now().timestamp_millis()).unwrap(),
        role: Default::default(),
        language: None,
    }
}

async fn insert(store: &Store, login: &str) -> User {
    let mut u = user(login);
    u.role = store
        .insert_user(&u, &login.to_lowercase(), "hash")
        .await
        .unwrap();
    u
}

fn session(user_id: Uuid, token_hash: &str, now: i64, expires: i64) -> NewSession<'_> {
    NewSession {
        id: Uuid::new_v4(),
        user_id,
        token_hash,
        now_ms: now,
        expires_at_ms: expires,
        absolute_expires_at_ms: expires + 1000,
        user_agent: Some("test"),
        ip: None,
    }
}

on_both_engines! {
    setup = fresh_store;

    async fn users_round_trip_and_logins_are_unique_by_key(app) {
        let store = &app.store;
        let u = insert(store, "Ann").await;
        let found = store.user_by_login_key("ann").await.unwrap().unwrap();
        assert_eq!(found.user, u);
        assert_eq!(found.password_hash, "hash");
        let dup = store.insert_user(&user("ANN"), "ann", "h").await;
        assert!(matches!(dup, Err(StoreError::Conflict)));
        assert!(store.user_by_login_key("bob").await.unwrap().is_none());
    }

    async fn expired_sessions_are_not_live_and_get_purged(app) {
        let store = &app.store;
        let u = insert(store, "ann").await;
        let now = Utc::now().timestamp_millis();
        store.insert_session(&session(u.id, "live", now, now + 60_000)).await.unwrap();
        store.insert_session(&session(u.id, "dead", now - 120_000, now - 60_000)).await.unwrap();
        assert!(store.live_session_by_token_hash("live", now).await.unwrap().is_some());
        assert!(store.live_session_by_token_hash("dead", now).await.unwrap().is_none());
        assert_eq!(store.list_sessions(u.id, now).await.unwrap().len(), 1);
        assert_eq!(store.purge_expired_sessions(now).await.unwrap(), 1);
        assert_eq!(store.purge_expired_sessions(now).await.unwrap(), 0);
    }

    async fn deletes_are_scoped_to_the_owner(app) {
        let store = &app.store;
        let ann = insert(store, "ann").await;
        let bob = insert(store, "bob").await;
        let now = Utc::now().timestamp_millis();
        let s = session(ann.id, "t", now, now + 60_000);
        store.insert_session(&s).await.unwrap();
        assert!(!store.delete_session(bob.id, s.id).await.unwrap());
        assert!(store.delete_session(ann.id, s.id).await.unwrap());

        let key = ApiKeyInfo { id: Uuid::new_v4(), name: "k".into(), prefix: "mrt_abc".into(), created_at: ann.created_at, last_used_at: None, expires_at: None };
        assert!(store.insert_api_key(&key, ann.id, "khash", "hash").await.unwrap());
        assert!(store.list_api_keys(bob.id).await.unwrap().is_empty());
        assert!(!store.delete_api_key(bob.id, key.id).await.unwrap());
        assert_eq!(store.list_api_keys(ann.id).await.unwrap(), vec![key.clone()]);
        assert!(store.delete_api_key(ann.id, key.id).await.unwrap());
    }

    async fn deleting_a_user_removes_their_sessions_and_keys(app) {
        let store = &app.store;
        let ann = insert(store, "ann").await;
        let now = Utc::now().timestamp_millis();
        store.insert_session(&session(ann.id, "t", now, now + 60_000)).await.unwrap();
        let key = ApiKeyInfo { id: Uuid::new_v4(), name: "k".into(), prefix: "mrt_abc".into(), created_at: ann.created_at, last_used_at: None, expires_at: None };
        assert!(store.insert_api_key(&key, ann.id, "khash", "hash").await.unwrap());
        assert_eq!(store.delete_user(ann.id).await.unwrap(), maruntime::server::store::AdminChange::Done);
        assert!(store.live_session_by_token_hash("t", now).await.unwrap().is_none());
        assert!(store.user_by_api_key_hash("khash", 0).await.unwrap().is_none());
    }
}
