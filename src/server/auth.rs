//! Accounts: registration, login, sessions, passwords, profiles and API keys.
//!
//! The JSON routes and the server functions both call [`AuthService`]; neither holds auth
//! logic of its own.

mod common_passwords;
mod password;
mod rate_limit;
mod service;
mod tokens;

pub use common_passwords::CommonPasswords;
pub use password::{HashError, PasswordHasherPool};
pub use rate_limit::RateLimiter;
pub use service::{
    AuthService, Authenticated, ClientInfo, Credential, LoggedIn, SESSION_IDLE_SECS,
};
pub use tokens::{hash_token, API_KEY_PREFIX};
