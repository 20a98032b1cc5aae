//! Accounts: registration, login, sessions, passwords, profiles and API keys.
//!
//! The JSON routes and the server functions both call [`AuthService`]'s parts; neither holds
//! auth logic of its own. Every password check goes through [`credentials`], so no path
//! gets around a limit.

mod accounts;
mod api_keys;
mod common_passwords;
mod credentials;
mod devices;
mod identity;
mod limiter;
mod login_sessions;
mod password;
mod rate_limit;
mod tokens;

pub use accounts::{Accounts, PasswordChange};
pub use api_keys::{ApiKeys, API_KEY_MAX_DAYS};
pub use common_passwords::CommonPasswords;
pub use credentials::Credentials;
pub use devices::KnownDevices;
pub use identity::{Authenticated, ClientInfo, Credential, LoggedIn};
pub use login_sessions::{LoginSessions, SESSION_IDLE_SECS};
pub use password::{HashError, PasswordHasherPool};
pub use rate_limit::RateLimiter;
pub use tokens::{hash_token, new_invite_token, API_KEY_PREFIX};

use crate::error::AppError;
use crate::server::memory::{ChatMemory, UserMemory};
use crate::server::store::{Store, StoreError};

/// Everything about accounts, in three parts with one job each.
#[derive(Clone)]
pub struct AuthService {
    pub accounts: Accounts,
    pub sessions: LoginSessions,
    pub keys: ApiKeys,
    credentials: Credentials,
}

impl AuthService {
    /// Reads (or, on a new database, makes) the key that signs known-device cookies.
    pub async fn new(
        store: Store,
        memory: UserMemory,
        chat_memory: ChatMemory,
        hasher: PasswordHasherPool,
        login_limit: u32,
        register_limit: u32,
        registration: crate::server::config::Registration,
    ) -> Result<Self, StoreError> {
        let device_key = store
            .instance_secret("device_cookie_key", &tokens::new_secret())
            .await?;
        let credentials = Credentials::new(
            hasher,
            KnownDevices::new(&device_key),
            login_limit,
            register_limit,
            Some(&store),
        );
        let sessions = LoginSessions::new(store.clone(), credentials.clone());
        Ok(AuthService {
            accounts: Accounts::new(
                store.clone(),
                memory,
                chat_memory,
                credentials.clone(),
                sessions.clone(),
                registration,
            ),
            keys: ApiKeys::new(store, credentials.clone()),
            sessions,
            credentials,
        })
    }

    /// Housekeeping run every few minutes: old counters out of memory, expired sessions out
    /// of the database.
    /// Forgets expired failed-attempt counters (this process's own).
    pub fn prune_limiters(&self) {
        self.credentials.prune();
    }

    /// Deletes failed-attempt counters that every limit's window has passed (the shared
    /// ones, on PostgreSQL; one process does it).
    pub async fn purge_old_attempts(&self) -> Result<u64, AppError> {
        self.credentials.purge_old_attempts().await
    }

    /// Deletes expired sessions (for the whole instance: one process does it).
    pub async fn purge_expired_sessions(&self) -> Result<u64, AppError> {
        self.sessions.purge_expired().await
    }
}
