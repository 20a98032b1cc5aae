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
    /// The address a limit counts against: an IPv4 address, or an IPv6 address's /64 (one
    /// subscriber usually holds a whole /64, so single addresses would cost an attacker
    /// nothing).
    pub fn ip_text(&self) -> String {
        match self.ip {
            Some(IpAddr::V6(v6)) if v6.to_ipv4_mapped().is_none() => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
            Some(IpAddr::V6(v6)) => v6.to_ipv4_mapped().expect("checked").to_string(),
            Some(ip) => ip.to_string(),
            None => "unknown".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_clients_count_by_their_64() {
        let of = |ip: &str| {
            ClientInfo {
                ip: Some(ip.parse().unwrap()),
                ..Default::default()
            }
            .ip_text()
        };
        assert_eq!(of("2001:db8:1:2:aaaa::1"), of("2001:db8:1:2:bbbb::2"));
        assert_ne!(of("2001:db8:1:2::1"), of("2001:db8:1:3::1"));
        assert_eq!(of("203.0.113.9"), "203.0.113.9");
        assert_eq!(of("::ffff:203.0.113.9"), "203.0.113.9");
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

/// A successful login or registration: the user, the new session's token, and the browser's
/// new known-device cookie.
#[derive(Debug, Clone)]
pub struct LoggedIn {
    pub user: User,
    pub token: String,
    pub device: String,
}
