//! Known-device cookies, after OWASP's "device cookie" design: a browser that once logged in
//! to an account carries a signed `{user id}.{nonce}.{signature}` cookie, and its login
//! attempts for that account are counted against that device only. Strangers guessing the
//! password fill the account's and their address's buckets, never the owner's device's, so
//! they cannot lock the owner out.
//!
//! The cookie survives logging out (it is no credential: it only changes which bucket a
//! wrong password fills). The key that signs it is made on first start and kept in the
//! database, so every process on that database accepts the same cookies.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use uuid::Uuid;

use super::tokens::new_secret;

/// A verified device cookie: whose account it was issued for, and its own id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownDevice {
    pub user_id: Uuid,
    pub nonce: String,
}

/// Issues and verifies device cookies with the instance's signing key.
#[derive(Clone)]
pub struct KnownDevices {
    key: std::sync::Arc<[u8]>,
}

impl KnownDevices {
    pub fn new(key: &str) -> Self {
        KnownDevices {
            key: key.as_bytes().into(),
        }
    }

    fn mac(&self, user_id: Uuid, nonce: &str) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes any key");
        mac.update(format!("device|{user_id}|{nonce}").as_bytes());
        mac
    }

    /// A new cookie value for a browser that just logged in to `user_id`.
    pub fn issue(&self, user_id: Uuid) -> String {
        let nonce = new_secret();
        let signature = URL_SAFE_NO_PAD.encode(self.mac(user_id, &nonce).finalize().into_bytes());
        format!("{user_id}.{nonce}.{signature}")
    }

    /// The device behind `cookie`, when this instance signed it.
    pub fn verify(&self, cookie: &str) -> Option<KnownDevice> {
        let mut parts = cookie.splitn(3, '.');
        let user_id = Uuid::parse_str(parts.next()?).ok()?;
        let nonce = parts.next()?;
        let signature = URL_SAFE_NO_PAD.decode(parts.next()?).ok()?;
        // `verify_slice` compares in constant time.
        self.mac(user_id, nonce).verify_slice(&signature).ok()?;
        Some(KnownDevice {
            user_id,
            nonce: nonce.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_issued_cookie_verifies_for_its_user_only_under_its_key() {
        let devices = KnownDevices::new("key one");
        let user = Uuid::new_v4();
        let cookie = devices.issue(user);
        let device = devices.verify(&cookie).expect("own cookie verifies");
        assert_eq!(device.user_id, user);
        assert!(KnownDevices::new("key two").verify(&cookie).is_none());
        // Another user id under the same signature is refused.
        let (_, rest) = cookie.split_once('.').unwrap();
        assert!(devices
            .verify(&format!("{}.{rest}", Uuid::new_v4()))
            .is_none());
        assert!(devices.verify("garbage").is_none());
        assert!(devices.verify("").is_none());
    }
}
