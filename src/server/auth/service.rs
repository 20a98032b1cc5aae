//! The account rules, one method per action.

use std::net::IpAddr;
use std::time::Duration;

use chrono::Utc;
use uuid::Uuid;

use super::password::PasswordHasherPool;
use super::rate_limit::RateLimiter;
use super::tokens::{hash_token, new_api_key, new_secret, API_KEY_VISIBLE};
use super::CommonPasswords;
use crate::error::AppError;
use crate::model::{ApiKeyInfo, NewApiKey, SessionInfo, User};
use crate::server::errors::internal;
use crate::server::memory::{ChatMemory, UserMemory};
use crate::server::store::{now, NewSession, Store, StoreError};
use crate::validation::{
    login_key, validate_about, validate_api_key_name, validate_display_name, validate_login,
    validate_password_length, PASSWORD_MAX,
};

/// A session stays alive this long after its last use...
pub const SESSION_IDLE_SECS: u64 = 30 * 24 * 3600;
const SESSION_IDLE: Duration = Duration::from_secs(SESSION_IDLE_SECS);
/// ...but never longer than this after login.
const SESSION_ABSOLUTE: Duration = Duration::from_secs(90 * 24 * 3600);
/// Sliding expiry is written at most this often per session, to keep reads cheap.
const TOUCH_EVERY: Duration = Duration::from_secs(60);
const LOGIN_WINDOW: Duration = Duration::from_secs(5 * 60);
const REGISTER_WINDOW: Duration = Duration::from_secs(3600);

const BAD_CREDENTIALS: &str = "Invalid login or password";

fn ms(d: Duration) -> i64 {
    d.as_millis() as i64
}

/// Who is asking: recorded with the session and used for rate limits.
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    pub ip: Option<IpAddr>,
    pub user_agent: Option<String>,
}

/// How a request proved who it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credential {
    Session(Uuid),
    ApiKey(Uuid),
}

/// The user behind a request.
#[derive(Debug, Clone)]
pub struct Authenticated {
    pub user: User,
    pub credential: Credential,
    /// Set when the session's sliding expiry moved, so the cookie can be renewed.
    pub renewed: bool,
}

impl Authenticated {
    pub fn session_id(&self) -> Option<Uuid> {
        match self.credential {
            Credential::Session(id) => Some(id),
            Credential::ApiKey(_) => None,
        }
    }
}

/// A successful login or registration: the user and the new session's token.
#[derive(Debug, Clone)]
pub struct LoggedIn {
    pub user: User,
    pub token: String,
}

/// Registration, login and everything an account owner can change.
#[derive(Clone)]
pub struct AuthService {
    store: Store,
    memory: UserMemory,
    chat_memory: ChatMemory,
    hasher: PasswordHasherPool,
    common: CommonPasswords,
    login_failures: RateLimiter,
    registrations: RateLimiter,
}

impl AuthService {
    pub fn new(
        store: Store,
        memory: UserMemory,
        chat_memory: ChatMemory,
        hasher: PasswordHasherPool,
        login_limit: u32,
        register_limit: u32,
    ) -> Self {
        AuthService {
            store,
            memory,
            chat_memory,
            hasher,
            common: CommonPasswords::load(),
            login_failures: RateLimiter::new(login_limit, LOGIN_WINDOW),
            registrations: RateLimiter::new(register_limit, REGISTER_WINDOW),
        }
    }

    fn check_new_password(&self, field: &str, password: &str, login: &str) -> Result<(), AppError> {
        validate_password_length(field, password)?;
        if self.common.contains(password) {
            return Err(AppError::validation(
                field,
                "This password is one of the most common ones. Choose one that is harder to guess.",
            ));
        }
        if password.eq_ignore_ascii_case(login) {
            return Err(AppError::validation(
                field,
                "The password must not be your login.",
            ));
        }
        Ok(())
    }

    /// Creates an account, its `user.md`, and a first session.
    pub async fn register(
        &self,
        login: &str,
        password: &str,
        display_name: &str,
        about: Option<&str>,
        client: &ClientInfo,
    ) -> Result<LoggedIn, AppError> {
        let login = login.trim();
        validate_login(login)?;
        let display_name = validate_display_name(display_name)?;
        let about = validate_about(about.unwrap_or(""))?;
        self.check_new_password("password", password, login)?;

        let ip_key = format!("register:{}", ip_text(client));
        self.registrations
            .check(&ip_key)
            .map_err(|retry_after_secs| AppError::RateLimited { retry_after_secs })?;
        self.registrations.record(&ip_key);

        let key = login_key(login);
        if self.store.user_by_login_key(&key).await?.is_some() {
            return Err(login_taken());
        }
        let hash = self.hasher.hash(password).await?;
        let user = User {
            id: Uuid::new_v4(),
            login: login.to_string(),
            display_name,
            about,
            created_at: now(),
        };
        match self.store.insert_user(&user, &key, &hash).await {
            Ok(()) => {}
            Err(StoreError::Conflict) => return Err(login_taken()),
            Err(e) => return Err(e.into()),
        }
        if let Err(e) = self.memory.create_user_profile(&user).await {
            // Undo the row so a failed registration leaves nothing behind.
            let _ = self.memory.delete_user(user.id).await;
            if let Err(undo) = self.store.delete_user(user.id).await {
                tracing::error!("could not undo registration of {}: {undo}", user.id);
            }
            return Err(internal("writing user.md", e));
        }
        tracing::info!(user_id = %user.id, "user registered");
        let token = self.start_session(user.id, client).await?;
        Ok(LoggedIn { user, token })
    }

    /// Checks credentials; the same answer and the same work for an unknown login and a
    /// wrong password.
    pub async fn login(
        &self,
        login: &str,
        password: &str,
        client: &ClientInfo,
    ) -> Result<LoggedIn, AppError> {
        if password.chars().count() > PASSWORD_MAX {
            return Err(AppError::Unauthorized(BAD_CREDENTIALS.into()));
        }
        let key = login_key(login.trim());
        let login_bucket = format!("login:{key}");
        let ip_bucket = format!("login-ip:{}", ip_text(client));
        for bucket in [&login_bucket, &ip_bucket] {
            self.login_failures
                .check(bucket)
                .map_err(|retry_after_secs| AppError::RateLimited { retry_after_secs })?;
        }
        // Text that can be no login (too long, a NUL PostgreSQL cannot even compare) is looked
        // up nowhere: it is an unknown login, answered the same way.
        let row = match validate_login(&key) {
            Ok(()) => self.store.user_by_login_key(&key).await?,
            Err(_) => None,
        };
        let ok = self
            .hasher
            .verify(password, row.as_ref().map(|r| r.password_hash.as_str()))
            .await?;
        let Some(row) = row.filter(|_| ok) else {
            self.login_failures.record(&login_bucket);
            self.login_failures.record(&ip_bucket);
            return Err(AppError::Unauthorized(BAD_CREDENTIALS.into()));
        };
        self.login_failures.clear(&login_bucket);
        let token = self.start_session(row.user.id, client).await?;
        Ok(LoggedIn {
            user: row.user,
            token,
        })
    }

    async fn start_session(&self, user_id: Uuid, client: &ClientInfo) -> Result<String, AppError> {
        let token = new_secret();
        let now = Utc::now().timestamp_millis();
        let ip = client.ip.map(|ip| ip.to_string());
        let user_agent = client
            .user_agent
            .as_deref()
            .map(|ua| ua.chars().take(300).collect::<String>());
        self.store
            .insert_session(&NewSession {
                id: Uuid::new_v4(),
                user_id,
                token_hash: &hash_token(&token),
                now_ms: now,
                expires_at_ms: now + ms(SESSION_IDLE),
                absolute_expires_at_ms: now + ms(SESSION_ABSOLUTE),
                user_agent: user_agent.as_deref(),
                ip: ip.as_deref(),
            })
            .await?;
        Ok(token)
    }

    /// The user behind a session token, moving its sliding expiry forward.
    pub async fn authenticate_session(
        &self,
        token: &str,
    ) -> Result<Option<Authenticated>, AppError> {
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

    /// The user behind an API key.
    pub async fn authenticate_api_key(&self, key: &str) -> Result<Option<Authenticated>, AppError> {
        let Some((key_id, last_used, row)) =
            self.store.user_by_api_key_hash(&hash_token(key)).await?
        else {
            return Ok(None);
        };
        let now = Utc::now().timestamp_millis();
        if last_used.is_none_or(|t| now - t >= ms(TOUCH_EVERY)) {
            self.store.touch_api_key(key_id, now).await?;
        }
        Ok(Some(Authenticated {
            user: row.user,
            credential: Credential::ApiKey(key_id),
            renewed: false,
        }))
    }

    /// Ends the session behind `token`; unknown tokens are ignored.
    pub async fn logout(&self, who: &Authenticated) -> Result<(), AppError> {
        if let Some(session_id) = who.session_id() {
            self.store.delete_session(who.user.id, session_id).await?;
        }
        Ok(())
    }

    /// Changes the password after checking the current one; ends every other session.
    pub async fn change_password(
        &self,
        who: &Authenticated,
        current_password: &str,
        new_password: &str,
    ) -> Result<(), AppError> {
        let row = self
            .confirm_password(who, current_password, "The current password is incorrect.")
            .await?;
        self.check_new_password("new_password", new_password, &row.user.login)?;
        let hash = self.hasher.hash(new_password).await?;
        self.store
            .update_password_ending_other_sessions(
                row.user.id,
                &hash,
                who.session_id(),
                Utc::now().timestamp_millis(),
            )
            .await?;
        tracing::info!(user_id = %row.user.id, "password changed; other sessions ended");
        Ok(())
    }

    /// The account's row once `password` is proven right (403 with `wrong` otherwise). Failures
    /// count against the same limit as logins, so this is no way around it.
    async fn confirm_password(
        &self,
        who: &Authenticated,
        password: &str,
        wrong: &str,
    ) -> Result<crate::server::store::UserRow, AppError> {
        let row = self
            .store
            .user_by_id(who.user.id)
            .await?
            .ok_or_else(|| AppError::Unauthorized("Please log in.".into()))?;
        let bucket = format!("login:{}", login_key(&row.user.login));
        self.login_failures
            .check(&bucket)
            .map_err(|retry_after_secs| AppError::RateLimited { retry_after_secs })?;
        let ok = password.chars().count() <= PASSWORD_MAX
            && self
                .hasher
                .verify(password, Some(&row.password_hash))
                .await?;
        if !ok {
            self.login_failures.record(&bucket);
            return Err(AppError::Forbidden(wrong.into()));
        }
        Ok(row)
    }

    /// Deletes the account for good, after the password is confirmed: the user, their
    /// sessions, keys, chats, messages and index entries (by cascade), then their `user.md`
    /// and chat documents.
    pub async fn delete_account(
        &self,
        who: &Authenticated,
        password: &str,
    ) -> Result<(), AppError> {
        let row = self
            .confirm_password(who, password, "The password is incorrect.")
            .await?;
        self.store.delete_user(row.user.id).await?;
        // The account is gone; documents left behind would only be unreachable copies, so a
        // failure here is logged (and `memory verify` lists them) rather than undoing it.
        if let Err(e) = self.memory.delete_user(row.user.id).await {
            tracing::error!(user_id = %row.user.id, "deleting user.md: {e}");
        }
        if let Err(e) = self.chat_memory.delete_user(row.user.id).await {
            tracing::error!(user_id = %row.user.id, "deleting chat documents: {e}");
        }
        tracing::info!(user_id = %row.user.id, "account deleted");
        Ok(())
    }

    /// Updates display name and/or about, and the Identity and About sections of `user.md`.
    pub async fn update_profile(
        &self,
        who: &Authenticated,
        display_name: Option<&str>,
        about: Option<&str>,
    ) -> Result<User, AppError> {
        let mut user = self
            .store
            .user_by_id(who.user.id)
            .await?
            .ok_or_else(|| AppError::Unauthorized("Please log in.".into()))?
            .user;
        if let Some(name) = display_name {
            user.display_name = validate_display_name(name)?;
        }
        if let Some(about) = about {
            user.about = validate_about(about)?;
        }
        self.store
            .update_user_profile(
                user.id,
                &user.display_name,
                &user.about,
                Utc::now().timestamp_millis(),
            )
            .await?;
        self.memory
            .sync_identity(&user)
            .await
            .map_err(|e| internal("updating user.md", e))?;
        Ok(user)
    }

    pub async fn list_sessions(&self, who: &Authenticated) -> Result<Vec<SessionInfo>, AppError> {
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

    pub async fn end_session(&self, who: &Authenticated, session_id: Uuid) -> Result<(), AppError> {
        if self.store.delete_session(who.user.id, session_id).await? {
            Ok(())
        } else {
            Err(AppError::NotFound("No such session.".into()))
        }
    }

    pub async fn create_api_key(
        &self,
        who: &Authenticated,
        name: &str,
    ) -> Result<NewApiKey, AppError> {
        let name = validate_api_key_name(name)?;
        let key = new_api_key();
        let info = ApiKeyInfo {
            id: Uuid::new_v4(),
            name,
            prefix: key.chars().take(API_KEY_VISIBLE).collect(),
            created_at: now(),
            last_used_at: None,
        };
        self.store
            .insert_api_key(&info, who.user.id, &hash_token(&key))
            .await?;
        Ok(NewApiKey {
            id: info.id,
            name: info.name,
            prefix: info.prefix,
            key,
            created_at: info.created_at,
        })
    }

    pub async fn list_api_keys(&self, who: &Authenticated) -> Result<Vec<ApiKeyInfo>, AppError> {
        Ok(self.store.list_api_keys(who.user.id).await?)
    }

    pub async fn revoke_api_key(&self, who: &Authenticated, key_id: Uuid) -> Result<(), AppError> {
        if self.store.delete_api_key(who.user.id, key_id).await? {
            Ok(())
        } else {
            Err(AppError::NotFound("No such API key.".into()))
        }
    }

    /// Housekeeping run periodically: expired sessions out of the database, old counters out
    /// of memory.
    pub async fn purge_expired(&self) -> Result<u64, AppError> {
        self.login_failures.prune();
        self.registrations.prune();
        Ok(self
            .store
            .purge_expired_sessions(Utc::now().timestamp_millis())
            .await?)
    }
}

fn login_taken() -> AppError {
    AppError::Conflict {
        field: "login".into(),
        message: "That login is already taken.".into(),
    }
}

fn ip_text(client: &ClientInfo) -> String {
    client
        .ip
        .map(|ip| ip.to_string())
        .unwrap_or_else(|| "unknown".into())
}
