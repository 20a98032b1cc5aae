//! Sliding-window counters for failed logins and registrations.
//!
//! Limits slow an attacker down without ever locking an account: they expire on their own,
//! and a victim's login can always be tried again after the window.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Counts events per key inside a window.
#[derive(Clone)]
pub struct RateLimiter {
    limit: u32,
    window: Duration,
    events: Arc<Mutex<HashMap<String, VecDeque<Instant>>>>,
}

impl RateLimiter {
    pub fn new(limit: u32, window: Duration) -> Self {
        RateLimiter {
            limit,
            window,
            events: Arc::default(),
        }
    }

    /// `Err(seconds)` when `key` has used its allowance, with the wait until a slot frees.
    pub fn check(&self, key: &str) -> Result<(), u64> {
        let now = Instant::now();
        let mut events = self.events.lock().expect("rate limiter lock poisoned");
        let Some(queue) = events.get_mut(key) else {
            return Ok(());
        };
        self.expire(queue, now);
        if queue.len() as u32 >= self.limit {
            let oldest = *queue.front().expect("queue is non-empty at its limit");
            let wait = (oldest + self.window).saturating_duration_since(now);
            return Err(wait.as_secs().max(1));
        }
        Ok(())
    }

    /// Records one event for `key`.
    pub fn record(&self, key: &str) {
        let now = Instant::now();
        let mut events = self.events.lock().expect("rate limiter lock poisoned");
        let queue = events.entry(key.to_string()).or_default();
        self.expire(queue, now);
        queue.push_back(now);
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
        events.retain(|_, queue| {
            self.expire(queue, now);
            !queue.is_empty()
        });
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
    fn the_event_past_the_limit_is_refused_with_a_wait() {
        let limiter = RateLimiter::new(2, Duration::from_secs(300));
        limiter.record("k");
        assert!(limiter.check("k").is_ok());
        limiter.record("k");
        let wait = limiter.check("k").unwrap_err();
        assert!((299..=300).contains(&wait));
        assert!(limiter.check("other").is_ok());
    }

    #[test]
    fn events_expire_after_the_window() {
        let limiter = RateLimiter::new(1, Duration::from_millis(20));
        limiter.record("k");
        assert!(limiter.check("k").is_err());
        std::thread::sleep(Duration::from_millis(30));
        assert!(limiter.check("k").is_ok());
        limiter.prune();
        assert!(limiter.events.lock().unwrap().is_empty());
    }
}
