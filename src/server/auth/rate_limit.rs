//! Sliding-window counters for failed logins, password confirmations and registrations.
//!
//! An attempt is *reserved* before any password is hashed: the check and the count happen
//! under one lock, so a thousand parallel guesses can never slip past a limit of ten while the
//! first hashes are still running. A successful attempt gives its reservation back.
//!
//! Memory is bounded: keys are short (validated logins, addresses, ids), at most
//! [`MAX_KEYS`] are kept, and expired ones are pruned every few minutes. At capacity the key
//! idle longest *below its limit* makes room; a key at its limit is never dropped early (an
//! attacker could otherwise flood new keys to reset a victim's count), so when every key is
//! at its limit a new key is refused until one expires.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Keys kept per limiter (each a few dozen bytes and at most `limit` instants).
pub const MAX_KEYS: usize = 100_000;

/// Counts events per key inside a window.
#[derive(Clone)]
pub struct RateLimiter {
    limit: u32,
    window: Duration,
    max_keys: usize,
    events: Arc<Mutex<HashMap<String, VecDeque<Instant>>>>,
}

/// Attempts counted by [`RateLimiter::reserve`]; [`RateLimiter::release`] takes them back.
#[must_use = "a reservation is either kept (a failure) or released (a success)"]
#[derive(Debug)]
pub struct Reservation {
    keys: Vec<String>,
    at: Instant,
}

impl RateLimiter {
    pub fn new(limit: u32, window: Duration) -> Self {
        Self::with_capacity(limit, window, MAX_KEYS)
    }

    pub fn with_capacity(limit: u32, window: Duration, max_keys: usize) -> Self {
        RateLimiter {
            limit,
            window,
            max_keys: max_keys.max(1),
            events: Arc::default(),
        }
    }

    /// Counts one attempt against every key in `keys`, or none of them: `Err(seconds)` when
    /// any key has used its allowance, with the wait until that key frees a slot.
    pub fn reserve(&self, keys: &[&str]) -> Result<Reservation, u64> {
        let now = Instant::now();
        let mut events = self.events.lock().expect("rate limiter lock poisoned");
        let mut wait = 0;
        for key in keys {
            if let Some(queue) = events.get_mut(*key) {
                self.expire(queue, now);
                if queue.len() as u32 >= self.limit {
                    let oldest = *queue.front().expect("queue is non-empty at its limit");
                    let left = (oldest + self.window).saturating_duration_since(now);
                    wait = wait.max(left.as_secs().max(1));
                }
            }
        }
        if wait > 0 {
            return Err(wait);
        }
        let new_keys = keys.iter().filter(|k| !events.contains_key(**k)).count();
        if events.len() + new_keys > self.max_keys {
            self.make_room(&mut events, now, new_keys);
            if events.len() + new_keys > self.max_keys {
                return Err(self.window.as_secs().max(1));
            }
        }
        for key in keys {
            events.entry((*key).to_string()).or_default().push_back(now);
        }
        Ok(Reservation {
            keys: keys.iter().map(|k| k.to_string()).collect(),
            at: now,
        })
    }

    /// Takes back the attempt `reservation` counted (it succeeded, or was never checked).
    pub fn release(&self, reservation: Reservation) {
        let mut events = self.events.lock().expect("rate limiter lock poisoned");
        for key in &reservation.keys {
            if let Some(queue) = events.get_mut(key) {
                if let Some(i) = queue.iter().rposition(|t| *t == reservation.at) {
                    queue.remove(i);
                }
                if queue.is_empty() {
                    events.remove(key);
                }
            }
        }
    }

    /// Forgets `key` (a successful login clears that login's failures).
    pub fn clear(&self, key: &str) {
        self.events
            .lock()
            .expect("rate limiter lock poisoned")
            .remove(key);
    }

    /// Drops keys whose events all expired, so memory stays bounded by recent activity.
    pub fn prune(&self) {
        let now = Instant::now();
        let mut events = self.events.lock().expect("rate limiter lock poisoned");
        self.prune_locked(&mut events, now);
    }

    pub fn len(&self) -> usize {
        self.events
            .lock()
            .expect("rate limiter lock poisoned")
            .len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn prune_locked(&self, events: &mut HashMap<String, VecDeque<Instant>>, now: Instant) {
        events.retain(|_, queue| {
            self.expire(queue, now);
            !queue.is_empty()
        });
    }

    /// At capacity: expired keys go first; then the keys idle longest among those below
    /// their limit, never one at its limit.
    fn make_room(
        &self,
        events: &mut HashMap<String, VecDeque<Instant>>,
        now: Instant,
        needed: usize,
    ) {
        self.prune_locked(events, now);
        let excess = (events.len() + needed).saturating_sub(self.max_keys);
        if excess == 0 {
            return;
        }
        let mut below_limit: Vec<(Instant, String)> = events
            .iter()
            .filter(|(_, q)| (q.len() as u32) < self.limit)
            .filter_map(|(k, q)| q.back().map(|t| (*t, k.clone())))
            .collect();
        below_limit.sort_unstable();
        for (_, key) in below_limit.into_iter().take(excess) {
            events.remove(&key);
        }
    }

    fn expire(&self, queue: &mut VecDeque<Instant>, now: Instant) {
        while queue
            .front()
            .is_some_and(|t| now.duration_since(*t) >= self.window)
        {
            queue.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_attempt_past_the_limit_is_refused_with_a_wait() {
        let limiter = RateLimiter::new(2, Duration::from_secs(300));
        let _a = limiter.reserve(&["k"]).unwrap();
        let _b = limiter.reserve(&["k"]).unwrap();
        let wait = limiter.reserve(&["k"]).unwrap_err();
        assert!((299..=300).contains(&wait));
        assert!(limiter.reserve(&["other"]).is_ok());
    }

    #[test]
    fn a_refused_reservation_counts_against_no_key() {
        let limiter = RateLimiter::new(1, Duration::from_secs(300));
        let _full = limiter.reserve(&["full"]).unwrap();
        assert!(limiter.reserve(&["free", "full"]).is_err());
        // "free" was not charged by the refused attempt.
        assert!(limiter.reserve(&["free"]).is_ok());
    }

    #[test]
    fn a_released_reservation_frees_its_slot() {
        let limiter = RateLimiter::new(1, Duration::from_secs(300));
        let r = limiter.reserve(&["k", "ip"]).unwrap();
        assert!(limiter.reserve(&["k"]).is_err());
        limiter.release(r);
        assert!(limiter.reserve(&["k"]).is_ok());
        assert!(limiter.reserve(&["ip"]).is_ok());
    }

    #[test]
    fn parallel_reservations_never_pass_the_limit() {
        let limiter = RateLimiter::new(10, Duration::from_secs(300));
        let granted: usize = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8)
                .map(|_| {
                    s.spawn(|| {
                        (0..50)
                            .filter(|_| limiter.reserve(&["victim"]).is_ok())
                            .count()
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).sum()
        });
        assert_eq!(granted, 10);
    }

    #[test]
    fn events_expire_after_the_window() {
        let limiter = RateLimiter::new(1, Duration::from_millis(20));
        let _r = limiter.reserve(&["k"]).unwrap();
        assert!(limiter.reserve(&["k"]).is_err());
        std::thread::sleep(Duration::from_millis(30));
        assert!(limiter.reserve(&["k"]).is_ok());
        std::thread::sleep(Duration::from_millis(30));
        limiter.prune();
        assert!(limiter.is_empty());
    }

    #[test]
    fn memory_stays_bounded_in_keys() {
        let limiter = RateLimiter::with_capacity(3, Duration::from_secs(300), 100);
        for i in 0..1000 {
            let _r = limiter.reserve(&[&format!("login{i}")]).unwrap();
        }
        assert_eq!(limiter.len(), 100);
        // The newest keys are the ones kept.
        assert!(limiter.events.lock().unwrap().contains_key("login999"));
    }

    #[test]
    fn a_flood_of_new_keys_never_resets_a_full_bucket() {
        let limiter = RateLimiter::with_capacity(2, Duration::from_secs(300), 10);
        let _a = limiter.reserve(&["victim"]).unwrap();
        let _b = limiter.reserve(&["victim"]).unwrap();
        for i in 0..1000 {
            let _ = limiter.reserve(&[&format!("flood{i}")]);
        }
        assert!(
            limiter.reserve(&["victim"]).is_err(),
            "the victim's count survived"
        );
        assert!(limiter.len() <= 10);
        // With every key at its limit, a new key waits instead of pushing one out.
        let full = RateLimiter::with_capacity(1, Duration::from_secs(300), 2);
        let _x = full.reserve(&["x"]).unwrap();
        let _y = full.reserve(&["y"]).unwrap();
        assert!(full.reserve(&["z"]).is_err());
        assert!(full.reserve(&["x"]).is_err());
    }
}
