//! Logging in and out, and the sessions a login starts: their tokens, sliding expiry, list
//! and end.

use std::time::Duration;

use chrono::Utc;
use uuid::Uuid;

use super::credentials::Credentials;
use super::identity::{Authenticated, ClientInfo, Credential, LoggedIn};
use super::tokens::{hash_token, new_secret};
use crate::error::AppError;
use crate::model::SessionInfo;
use crate::server::store::{NewSession, Store};
use crate::validation::{login_key, validate_login};

/// A session stays alive this long after its last use...
pub const SESSION_IDLE_SECS: u64 = 30 * 24 * 3600;
const SESSION_IDLE: Duration = Duration::from_secs(SESSION_IDLE_SECS);
/// ...but never longer than this after login.
const SESSION_ABSOLUTE: Duration = Duration::from_secs(90 * 24 * 3600);
/// Sliding expiry is written at most this often per session, to keep reads cheap.
pub(super) const TOUCH_EVERY: Duration = Duration::from_secs(60);

const BAD_CREDENTIALS: &str = "Invalid login or password";

pub(super) fn ms(d: Duration) -> i64 {
    d.as_millis() as i64
}

/// A session about to be stored, with the token only its browser will hold.
pub struct SessionToStore {
    pub token: String,
    token_hash: String,
    id: Uuid,
    user_id: Uuid,
    now_ms: i64,
    ip: Option<String>,
    user_agent: Option<String>,
}

impl SessionToStore {
    pub fn new(user_id: Uuid, client: &ClientInfo) -> Self {
        let token = new_secret();
        SessionToStore {
            token_hash: hash_token(&token),
            token,
            id: Uuid::new_v4(),
            user_id,
            now_ms: Utc::now().timestamp_millis(),
            ip: client.ip.map(|ip| ip.to_string()),
            user_agent: client
                .user_agent
                .as_deref()
                .map(|ua| ua.chars().take(300).collect()),
        }
    }

    pub fn row(&self) -> NewSession<'_> {
        NewSession {
            id: self.id,
            user_id: self.user_id,
            token_hash: &self.token_hash,
            now_ms: self.now_ms,
            expires_at_ms: self.now_ms + ms(SESSION_IDLE),
            absolute_expires_at_ms: self.now_ms + ms(SESSION_ABSOLUTE),
            user_agent: self.user_agent.as_deref(),
            ip: self.ip.as_deref(),
        }
    }
}

/// Logins, logouts and the sessions between them.
#[derive(Clone)]
pub struct LoginSessions {
    store: Store,
    credentials: Credentials,
}

impl LoginSessions {
    pub fn new(store: Store, credentials: Credentials) -> Self {
        LoginSessions { store, credentials }
    }

    /// Checks credentials (the same answer and the same work for an unknown login and a wrong
    /// password) and starts a session. The session the browser had (`previous`) ends: one
    /// browser holds one session.
    pub async fn login(
        &self,
        login: &str,
        password: &str,
        client: &ClientInfo,
        previous: Option<&Authenticated>,
    ) -> Result<LoggedIn, AppError> {
        let key = login_key(login.trim());
        // Text that can be no login (too long, a NUL PostgreSQL cannot even compare) is looked
        // up nowhere and never becomes a limiter key: an unknown login, answered the same way.
        let key = validate_login(&key).is_ok().then_some(key);
        let row = match &key {
            Some(key) => self.store.user_by_login_key(key).await?,
            None => None,
        };
        let ok = self
            .credentials
            .verify_login(key.as_deref(), row.as_ref(), password, client)
            .await?;
        let Some(row) = row.filter(|_| ok) else {
            return Err(AppError::Unauthorized(BAD_CREDENTIALS.into()));
        };
        // Said only to someone who proved the password: a guesser learns nothing from it.
        if row.disabled {
            return Err(AppError::Forbidden(
                "This account is disabled. Ask the administrator of this instance.".into(),
            ));
        }
        let session = SessionToStore::new(row.user.id, client);
        let started = self
            .store
            .insert_session_if_password(&session.row(), &row.password_hash)
            .await?;
        if !started {
            // The password changed (or the account was disabled) while this one was checked.
            return Err(AppError::Unauthorized(BAD_CREDENTIALS.into()));
        }
        let token = session.token;
        if let Some(previous) = previous {
            self.logout(previous).await?;
        }
        Ok(LoggedIn {
            device: self.device_cookie_for(row.user.id),
            user: row.user,
            token,
        })
    }

    /// A fresh known-device cookie for the browser that just logged in to `user_id`: issued
    /// on every login, so a device in use never ages out (and a new nonce starts a new count).
    pub fn device_cookie_for(&self, user_id: Uuid) -> String {
        self.credentials.devices().issue(user_id)
    }

    /// Starts a session for `user_id` and returns its token.
    pub async fn start(&self, user_id: Uuid, client: &ClientInfo) -> Result<String, AppError> {
        let session = SessionToStore::new(user_id, client);
        self.store.insert_session(&session.row()).await?;
        Ok(session.token)
    }

    /// The user behind a session token, moving its sliding expiry forward.
    pub async fn authenticate(&self, token: &str) -> Result<Option<Authenticated>, AppError> {
        let now = Utc::now().timestamp_millis();
        let Some(found) = self
            .store
            .live_session_by_token_hash(&hash_token(token), now)
            .await?
        else {
            return Ok(None);
        };
        let renewed = now - found.last_seen_at_ms >= ms(TOUCH_EVERY);
        if renewed {
            let expires = (now + ms(SESSION_IDLE)).min(found.absolute_expires_at_ms);
            self.store
                .touch_session(found.session_id, now, expires)
                .await?;
        }
        Ok(Some(Authenticated {
            user: found.user.user,
            credential: Credential::Session(found.session_id),
            renewed,
        }))
    }

    /// Ends the session the request came with; an API key has none.
    pub async fn logout(&self, who: &Authenticated) -> Result<(), AppError> {
        if let Some(session_id) = who.session_id() {
            self.store.delete_session(who.user.id, session_id).await?;
        }
        Ok(())
    }

    pub async fn list(&self, who: &Authenticated) -> Result<Vec<SessionInfo>, AppError> {
        let rows = self
            .store
            .list_sessions(who.user.id, Utc::now().timestamp_millis())
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| SessionInfo {
                current: who.session_id() == Some(r.id),
                id: r.id,
                created_at: r.created_at,
                last_seen_at: r.last_seen_at,
                user_agent: r.user_agent,
                ip: r.ip,
            })
            .collect())
    }

    pub async fn end(&self, who: &Authenticated, session_id: Uuid) -> Result<(), AppError> {
        if self.store.delete_session(who.user.id, session_id).await? {
            Ok(())
        } else {
            Err(AppError::NotFound("No such session.".into()))
        }
    }

    /// Expired sessions out of the database.
    pub async fn purge_expired(&self) -> Result<u64, AppError> {
        Ok(self
            .store
            .purge_expired_sessions(Utc::now().timestamp_millis())
            .await?)
    }
}
