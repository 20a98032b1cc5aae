//! Password hashing with argon2id, off the async threads and bounded in parallelism.
//!
//! Each hash takes ~19 MiB and tens of milliseconds of CPU; a semaphore caps how many run at
//! once so a flood of logins queues instead of exhausting memory.

use std::sync::Arc;

use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, SaltString};
use argon2::{Algorithm, Argon2, Params, PasswordVerifier, Version};
use tokio::sync::Semaphore;

/// OWASP's minimum for argon2id: 19 MiB, two passes, one lane.
const MEMORY_KIB: u32 = 19 * 1024;
const ITERATIONS: u32 = 2;
const PARALLELISM: u32 = 1;

fn argon2() -> Argon2<'static> {
    let params = Params::new(MEMORY_KIB, ITERATIONS, PARALLELISM, None)
        .expect("argon2 parameters are valid constants");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes and verifies passwords. Holds the dummy hash used for unknown logins.
#[derive(Clone)]
pub struct PasswordHasherPool {
    permits: Arc<Semaphore>,
    dummy_hash: Arc<str>,
}

#[derive(Debug, thiserror::Error)]
pub enum HashError {
    #[error("hashing failed: {0}")]
    Hash(String),
    #[error("hashing task failed: {0}")]
    Join(#[from] tokio::task::JoinError),
}

impl PasswordHasherPool {
    /// Computes the dummy hash once, so verifying an unknown login costs what a real one does.
    pub async fn new(max_concurrent: usize) -> Result<Self, HashError> {
        let pool = PasswordHasherPool {
            permits: Arc::new(Semaphore::new(max_concurrent.max(1))),
            dummy_hash: Arc::from(""),
        };
        let dummy_hash = pool
            .hash("no user has this password, it only costs time")
            .await?;
        Ok(PasswordHasherPool {
            dummy_hash: Arc::from(dummy_hash),
            ..pool
        })
    }

    /// A PHC-format argon2id hash with a fresh random salt.
    pub async fn hash(&self, password: &str) -> Result<String, HashError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .expect("semaphore is never closed");
        let password = password.to_owned();
        tokio::task::spawn_blocking(move || {
            let salt = SaltString::generate(&mut OsRng);
            argon2()
                .hash_password(password.as_bytes(), &salt)
                .map(|h| h.to_string())
                .map_err(|e| HashError::Hash(e.to_string()))
        })
        .await?
    }

    /// True when `password` matches `hash`. With `hash` = `None` (unknown login) it verifies
    /// against the dummy hash and returns false, taking the same time.
    pub async fn verify(&self, password: &str, hash: Option<&str>) -> Result<bool, HashError> {
        let known = hash.is_some();
        let hash = hash.unwrap_or(&self.dummy_hash).to_owned();
        let password = password.to_owned();
        let _permit = self
            .permits
            .acquire()
            .await
            .expect("semaphore is never closed");
        let matched = tokio::task::spawn_blocking(move || {
            let parsed = PasswordHash::new(&hash).map_err(|e| HashError::Hash(e.to_string()))?;
            Ok::<_, HashError>(
                argon2()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok(),
            )
        })
        .await??;
        Ok(known && matched)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_only_its_own_password() {
        let pool = PasswordHasherPool::new(2).await.unwrap();
        let hash = pool.hash("correct horse battery").await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(pool
            .verify("correct horse battery", Some(&hash))
            .await
            .unwrap());
        assert!(!pool
            .verify("Correct horse battery", Some(&hash))
            .await
            .unwrap());
        assert!(!pool.verify("correct horse battery", None).await.unwrap());
    }
}
