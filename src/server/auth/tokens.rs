//! Random secrets (session tokens, API keys) and the hashes under which they are stored.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// Every API key starts with this, so leaked keys are easy to recognise and scan for.
pub const API_KEY_PREFIX: &str = "mrt_";
/// How many characters of a key are kept visible for the user to tell keys apart.
pub const API_KEY_VISIBLE: usize = 12;

/// 256 bits from the operating system's secure generator, URL-safe base64.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// An invite token: as random as a session token, and URL-safe for the link.
pub fn new_invite_token() -> String {
    new_secret()
}

pub fn new_api_key() -> String {
    format!("{API_KEY_PREFIX}{}", new_secret())
}

/// The SHA-256 of a token, hex-encoded: what the database stores. A fast hash is right here
/// because the tokens are long random values, not guessable passwords.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_long_and_distinct() {
        let a = new_secret();
        assert_eq!(a.len(), 43);
        assert_ne!(a, new_secret());
        assert!(new_api_key().starts_with("mrt_"));
    }

    #[test]
    fn token_hash_is_sha256_hex() {
        assert_eq!(
            hash_token("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
