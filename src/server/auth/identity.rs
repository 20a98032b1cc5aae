//! Who is asking and how they proved it: the types every part of `auth` shares.

use std::net::IpAddr;

use uuid::Uuid;

use crate::model::User;

/// Who is asking: recorded with the session and used for the limits.
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    pub ip: Option<IpAddr>,
    pub user_agent: Option<String>,
    /// The browser's known-device cookie, if it sent one (checked where it is used).
    pub device: Option<String>,
}

impl ClientInfo {
    pub fn ip_text(&self) -> String {
        self.ip
            .map(|ip| ip.to_string())
            .unwrap_or_else(|| "unknown".into())
    }
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

/// A successful login, registration or password change: the user, the new session's token,
/// and a new known-device cookie when the browser had none for this account.
#[derive(Debug, Clone)]
pub struct LoggedIn {
    pub user: User,
    pub token: String,
    pub device: Option<String>,
}
