//! The most common passwords, refused at registration and password change.
//!
//! `common_passwords.txt` holds the 8,450 entries of at least eight characters from the
//! 20,000-password list Django ships (BSD licence, compiled by Royce Williams from breach
//! data); shorter ones are already refused by the length rule.

use std::collections::HashSet;
use std::sync::Arc;

const LIST: &str = include_str!("common_passwords.txt");

/// A lookup set built once at start-up and shared through the app state.
#[derive(Clone)]
pub struct CommonPasswords(Arc<HashSet<&'static str>>);

impl CommonPasswords {
    pub fn load() -> Self {
        CommonPasswords(Arc::new(LIST.lines().filter(|l| !l.is_empty()).collect()))
    }

    /// Compared without case: "Password1" is as guessable as "password1".
    pub fn contains(&self, password: &str) -> bool {
        self.0.contains(password.to_lowercase().as_str())
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_is_large_and_catches_common_choices() {
        let list = CommonPasswords::load();
        assert!(list.len() >= 1_000);
        assert!(list.contains("password"));
        assert!(list.contains("Password1"));
        assert!(list.contains("qwertyuiop"));
        assert!(!list.contains("plum-orbit-sailcloth-42"));
    }
}
