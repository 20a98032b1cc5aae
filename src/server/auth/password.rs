//! Password hashing with argon2id, off the async threads and bounded in parallelism.
//!
//! Each hash needs ~19 MiB of working memory and tens of milliseconds of CPU. A semaphore
//! caps how many run at once, and each running hash borrows one of at most that many buffers,
//! made when first needed and kept for the next: a login flood queues instead of growing
//! memory (the allocator would otherwise keep a freed 19 MiB block per thread arena, measured
//! at 460 MiB for 200 logins). Buffers no hash has used for a minute are freed and the
//! allocator asked to return the memory, so an idle server holds none.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use argon2::password_hash::{
    rand_core::OsRng, Output, ParamsString, PasswordHash, Salt, SaltString,
};
use argon2::{Algorithm, Argon2, Block, Params, Version, ARGON2ID_IDENT};
use tokio::sync::Semaphore;

/// OWASP's minimum for argon2id: 19 MiB, two passes, one lane.
const MEMORY_KIB: u32 = 19 * 1024;
const ITERATIONS: u32 = 2;
const PARALLELISM: u32 = 1;
const OUTPUT_LEN: usize = 32;

fn params() -> Params {
    Params::new(MEMORY_KIB, ITERATIONS, PARALLELISM, Some(OUTPUT_LEN))
        .expect("argon2 parameters are valid constants")
}

/// Hashes and verifies passwords. Holds the dummy hash used for unknown logins.
#[derive(Clone)]
pub struct PasswordHasherPool {
    permits: Arc<Semaphore>,
    /// Hashes running or waiting for a permit, and how many may (running + queue): past it a
    /// request is refused at once instead of holding its connection and memory in a queue.
    in_flight: Arc<AtomicUsize>,
    max_in_flight: usize,
    /// Working memory for the hashes in flight; never more buffers than permits.
    buffers: Arc<Mutex<Buffers>>,
    dummy_hash: Arc<str>,
}

/// The buffers no hash is using, and when one was last given back.
struct Buffers {
    idle: Vec<Vec<Block>>,
    last_used: Instant,
}

/// How long an unused buffer is kept for the next hash.
const KEEP_IDLE: Duration = Duration::from_secs(60);

#[derive(Debug, thiserror::Error)]
pub enum HashError {
    #[error("hashing failed: {0}")]
    Hash(String),
    #[error("hashing task failed: {0}")]
    Join(#[from] tokio::task::JoinError),
    /// Every hash slot and queue place is taken.
    #[error("too many passwords being checked")]
    Busy,
}

/// Counts one hash, waiting or running, until it ends (it moves into the hashing task).
struct InFlight(Arc<AtomicUsize>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

fn hash_error(e: impl std::fmt::Display) -> HashError {
    HashError::Hash(e.to_string())
}

/// The argon2 output for `password` under `params` and `salt`, computed in `memory`.
fn compute(
    password: &[u8],
    params: Params,
    salt: Salt<'_>,
    len: usize,
    memory: &mut Vec<Block>,
) -> Result<Output, HashError> {
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt.decode_b64(&mut salt_bytes).map_err(hash_error)?;
    let blocks = params.block_count();
    if memory.len() != blocks {
        // Only hashes stored with other parameters (an older policy) need a buffer of their own size.
        memory.resize(blocks, Block::default());
    }
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
    Output::init_with(len, |out| {
        argon2
            .hash_password_into_with_memory(password, salt_bytes, out, &mut memory[..])
            .map_err(|_| argon2::password_hash::Error::Crypto)
    })
    .map_err(hash_error)
}

/// The hash unknown logins are checked against, so their check costs what a real one does:
/// our parameters, a random salt and a random output (no password has it). Nothing is
/// computed: verifying costs the same whatever the output holds.
fn dummy_hash() -> Result<String, HashError> {
    use argon2::password_hash::rand_core::RngCore;
    let salt = SaltString::generate(&mut OsRng);
    let mut output = [0u8; OUTPUT_LEN];
    OsRng.fill_bytes(&mut output);
    Ok(PasswordHash {
        algorithm: ARGON2ID_IDENT,
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params()).map_err(hash_error)?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&output).map_err(hash_error)?),
    }
    .to_string())
}

/// Frees the pool's buffers once none was used for [`KEEP_IDLE`]; ends with the pool.
fn spawn_reaper(buffers: Weak<Mutex<Buffers>>) {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(KEEP_IDLE / 4).await;
            let Some(buffers) = buffers.upgrade() else {
                return;
            };
            release_if_idle(&buffers, Instant::now());
        }
    });
}

/// Frees the unused buffers when none was used since `now - KEEP_IDLE`; returns how many.
fn release_if_idle(buffers: &Mutex<Buffers>, now: Instant) -> usize {
    let freed = {
        let mut pool = buffers.lock().expect("buffer pool lock");
        if now.saturating_duration_since(pool.last_used) < KEEP_IDLE {
            return 0;
        }
        std::mem::take(&mut pool.idle)
    };
    let count = freed.len();
    drop(freed);
    if count > 0 {
        return_freed_memory();
    }
    count
}

/// Asks glibc to give freed memory back to the system: a freed 19 MiB buffer otherwise stays
/// in its thread's arena (glibc raises its thresholds for blocks of that size).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn return_freed_memory() {
    // SAFETY: malloc_trim only releases memory the allocator holds free; it takes no pointers.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn return_freed_memory() {}

impl PasswordHasherPool {
    /// At most `max_concurrent` hashes run and `max_queued` wait; more are refused (`Busy`).
    /// Nothing is hashed and no buffer is allocated until the first password comes: an idle
    /// server does not hold a hash's 19 MiB.
    pub async fn new(max_concurrent: usize, max_queued: usize) -> Result<Self, HashError> {
        let buffers = Arc::new(Mutex::new(Buffers {
            idle: Vec::new(),
            last_used: Instant::now(),
        }));
        spawn_reaper(Arc::downgrade(&buffers));
        Ok(PasswordHasherPool {
            permits: Arc::new(Semaphore::new(max_concurrent.max(1))),
            in_flight: Arc::default(),
            max_in_flight: max_concurrent.max(1) + max_queued,
            buffers,
            dummy_hash: Arc::from(dummy_hash()?),
        })
    }

    /// Runs `work` on a blocking thread with a permit and a working buffer. The permit, the
    /// in-flight count and the buffer move into the blocking task: a hash whose request went
    /// away still runs to its end, and still counts, so the bounds hold.
    async fn with_buffer<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Vec<Block>) -> Result<T, HashError> + Send + 'static,
    ) -> Result<T, HashError> {
        let in_flight = self.enter()?;
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .expect("semaphore is never closed");
        let buffers = self.buffers.clone();
        tokio::task::spawn_blocking(move || {
            let _held = (permit, in_flight);
            let mut buffer = buffers
                .lock()
                .expect("buffer pool lock")
                .idle
                .pop()
                .unwrap_or_else(|| vec![Block::default(); params().block_count()]);
            let result = work(&mut buffer);
            let mut pool = buffers.lock().expect("buffer pool lock");
            pool.idle.push(buffer);
            pool.last_used = Instant::now();
            result
        })
        .await?
    }

    fn enter(&self) -> Result<InFlight, HashError> {
        let before = self.in_flight.fetch_add(1, Ordering::AcqRel);
        let guard = InFlight(self.in_flight.clone());
        if before >= self.max_in_flight {
            return Err(HashError::Busy);
        }
        Ok(guard)
    }

    /// A PHC-format argon2id hash with a fresh random salt.
    pub async fn hash(&self, password: &str) -> Result<String, HashError> {
        let password = password.to_owned();
        self.with_buffer(move |memory| {
            let salt = SaltString::generate(&mut OsRng);
            let output = compute(
                password.as_bytes(),
                params(),
                salt.as_salt(),
                OUTPUT_LEN,
                memory,
            )?;
            Ok(PasswordHash {
                algorithm: ARGON2ID_IDENT,
                version: Some(Version::V0x13.into()),
                params: ParamsString::try_from(&params()).map_err(hash_error)?,
                salt: Some(salt.as_salt()),
                hash: Some(output),
            }
            .to_string())
        })
        .await
    }

    /// True when `password` matches `hash`. With `hash` = `None` (unknown login) it verifies
    /// against the dummy hash and returns false, taking the same time.
    pub async fn verify(&self, password: &str, hash: Option<&str>) -> Result<bool, HashError> {
        let known = hash.is_some();
        let hash = hash.unwrap_or(&self.dummy_hash).to_owned();
        let password = password.to_owned();
        let matched = self
            .with_buffer(move |memory| {
                let parsed = PasswordHash::new(&hash).map_err(hash_error)?;
                if parsed.algorithm != ARGON2ID_IDENT {
                    return Err(HashError::Hash(format!(
                        "unexpected algorithm {}",
                        parsed.algorithm
                    )));
                }
                let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
                    return Err(HashError::Hash("stored hash lacks salt or output".into()));
                };
                let stored_params = Params::try_from(&parsed).map_err(hash_error)?;
                let computed = compute(
                    password.as_bytes(),
                    stored_params,
                    salt,
                    expected.len(),
                    memory,
                )?;
                // `Output` compares in constant time.
                Ok(computed == expected)
            })
            .await?;
        Ok(known && matched)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::PasswordVerifier;

    #[tokio::test]
    async fn a_hash_verifies_only_its_own_password() {
        let pool = PasswordHasherPool::new(2, 8).await.unwrap();
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

    #[tokio::test]
    async fn hashes_interoperate_with_the_reference_implementation() {
        let pool = PasswordHasherPool::new(1, 8).await.unwrap();
        // Ours verifies with the argon2 crate's own verifier...
        let ours = pool.hash("пароль с пробелами").await.unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(Argon2::default()
            .verify_password("пароль с пробелами".as_bytes(), &parsed)
            .is_ok());
        // ...and a hash made by it (even with other parameters) verifies with ours.
        let theirs = {
            use argon2::PasswordHasher;
            let salt = SaltString::generate(&mut OsRng);
            let other = Params::new(8 * 1024, 3, 1, None).unwrap();
            Argon2::new(Algorithm::Argon2id, Version::V0x13, other)
                .hash_password(b"old policy", &salt)
                .unwrap()
                .to_string()
        };
        assert!(pool.verify("old policy", Some(&theirs)).await.unwrap());
        assert!(!pool.verify("new policy", Some(&theirs)).await.unwrap());
    }

    #[tokio::test]
    async fn an_unknown_login_is_checked_against_a_hash_of_our_parameters() {
        let pool = PasswordHasherPool::new(1, 8).await.unwrap();
        assert!(
            pool.buffers.lock().unwrap().idle.is_empty(),
            "nothing allocated before use"
        );
        // The same parameters as every stored hash: the check costs what a real one does.
        let dummy = PasswordHash::new(&pool.dummy_hash).unwrap();
        assert_eq!(Params::try_from(&dummy).unwrap(), params());
        assert_eq!(dummy.hash.unwrap().len(), OUTPUT_LEN);
        assert!(!pool.verify("guess", None).await.unwrap());
        assert_eq!(
            pool.buffers.lock().unwrap().idle.len(),
            1,
            "the buffer kept for the next"
        );
        // Kept while in use; freed once unused for a minute.
        let soon = Instant::now() + KEEP_IDLE / 2;
        assert_eq!(release_if_idle(&pool.buffers, soon), 0);
        assert_eq!(pool.buffers.lock().unwrap().idle.len(), 1);
        let later = Instant::now() + KEEP_IDLE * 2;
        assert_eq!(release_if_idle(&pool.buffers, later), 1);
        assert!(pool.buffers.lock().unwrap().idle.is_empty());
        // And made again when the next password comes.
        assert!(!pool.verify("guess", None).await.unwrap());
        assert_eq!(pool.buffers.lock().unwrap().idle.len(), 1);
    }

    #[tokio::test]
    async fn hashes_past_the_queue_are_refused_at_once() {
        let pool = PasswordHasherPool::new(1, 2).await.unwrap();
        let results = futures::future::join_all((0..10).map(|_| pool.verify("guess", None))).await;
        let busy = results
            .iter()
            .filter(|r| matches!(r, Err(HashError::Busy)))
            .count();
        assert_eq!(busy, 7, "one running and two waiting; the rest refused");
        // Once they are done, the pool takes hashes again.
        assert!(!pool.verify("guess", None).await.unwrap());
    }
}
