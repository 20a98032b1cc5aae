//! Every password check, and the limits around it: the only place a password is hashed or
//! verified, so no path can skip a limit.
//!
//! An attempt is reserved in its buckets before its hash starts (see `rate_limit`), and the
//! hash queue is bounded: parallel guesses can check at most the limit, and a flood is
//! refused at once instead of queueing memory.

use std::time::Duration;

use uuid::Uuid;

use super::devices::KnownDevices;
use super::identity::ClientInfo;
use super::limiter::{Held, Limiter};
use super::password::PasswordHasherPool;
use super::CommonPasswords;
use crate::error::AppError;
use crate::server::store::{Store, UserRow};
use crate::validation::{validate_password_length, PASSWORD_MAX};

const LOGIN_WINDOW: Duration = Duration::from_secs(5 * 60);
const REGISTER_WINDOW: Duration = Duration::from_secs(3600);

/// Hashing, the common-password list, the failure limits and the known-device key.
#[derive(Clone)]
pub struct Credentials {
    hasher: PasswordHasherPool,
    common: CommonPasswords,
    /// Failed logins: per login and per address for strangers, per device for known devices.
    login_failures: Limiter,
    /// Failed password confirmations of a signed-in user (password change, account delete,
    /// new API key), per account: only someone already signed in can fill it.
    confirmations: Limiter,
    registrations: Limiter,
    devices: KnownDevices,
}

/// How a login attempt was counted, so it can be released or kept.
struct LoginAttempt {
    reservation: Held,
    /// The login's bucket (strangers only), cleared by a success.
    login_bucket: Option<String>,
}

impl Credentials {
    /// Counts failures in `store` when it is PostgreSQL (several processes may serve it),
    /// in memory otherwise.
    pub fn new(
        hasher: PasswordHasherPool,
        devices: KnownDevices,
        login_limit: u32,
        register_limit: u32,
        store: Option<&Store>,
    ) -> Self {
        Credentials {
            hasher,
            common: CommonPasswords::load(),
            login_failures: Limiter::new(store, login_limit, LOGIN_WINDOW),
            confirmations: Limiter::new(store, login_limit, LOGIN_WINDOW),
            registrations: Limiter::new(store, register_limit, REGISTER_WINDOW),
            devices,
        }
    }

    pub fn devices(&self) -> &KnownDevices {
        &self.devices
    }

    /// A new password must be long enough, not a common one and not the login.
    pub fn check_new_password(
        &self,
        field: &str,
        password: &str,
        login: &str,
    ) -> Result<(), AppError> {
        validate_password_length(field, password)?;
        if self.common.contains(password) {
            return Err(AppError::validation(
                field,
                "This password is one of the most common ones. Choose one that is harder to guess.",
            ));
        }
        if password.eq_ignore_ascii_case(login) {
            return Err(AppError::validation(
                field,
                "The password must not be your login.",
            ));
        }
        Ok(())
    }

    pub async fn hash(&self, password: &str) -> Result<String, AppError> {
        Ok(self.hasher.hash(password).await?)
    }

    /// Counts one registration from this address (successful or not), or refuses it.
    pub async fn reserve_registration(&self, client: &ClientInfo) -> Result<(), AppError> {
        let bucket = format!("register:{}", client.ip_text());
        let _counted = self.registrations.reserve(&[&bucket]).await?;
        Ok(())
    }

    /// Checks a login's password. `login_key` is `None` for text that can be no login (it
    /// fills only the address's bucket); `row` is the account it names, if any. Unknown
    /// logins cost the same hash as known ones and get the same answer.
    pub async fn verify_login(
        &self,
        login_key: Option<&str>,
        row: Option<&UserRow>,
        password: &str,
        client: &ClientInfo,
    ) -> Result<bool, AppError> {
        let attempt = self.reserve_login(login_key, row, client).await?;
        let verified = if password.chars().count() > PASSWORD_MAX {
            Ok(false)
        } else {
            self.hasher
                .verify(password, row.map(|r| r.password_hash.as_str()))
                .await
        };
        match verified {
            Ok(true) => {
                self.login_failures.release(attempt.reservation).await;
                if let Some(bucket) = attempt.login_bucket {
                    self.login_failures.clear(&bucket).await;
                }
                Ok(true)
            }
            // The reservation stays: it is the recorded failure.
            Ok(false) => Ok(false),
            Err(e) => {
                // Never checked (the queue was full, or hashing failed): not a failure.
                self.login_failures.release(attempt.reservation).await;
                Err(e.into())
            }
        }
    }

    async fn reserve_login(
        &self,
        login_key: Option<&str>,
        row: Option<&UserRow>,
        client: &ClientInfo,
    ) -> Result<LoginAttempt, AppError> {
        let device = client
            .device
            .as_deref()
            .and_then(|cookie| self.devices.verify(cookie))
            .filter(|d| row.is_some_and(|r| r.user.id == d.user_id));
        if let Some(device) = device {
            let bucket = format!("device:{}", device.nonce);
            let reservation = self.login_failures.reserve(&[&bucket]).await?;
            return Ok(LoginAttempt {
                reservation,
                login_bucket: None,
            });
        }
        let ip_bucket = format!("ip:{}", client.ip_text());
        let login_bucket = login_key.map(|k| format!("login:{k}"));
        let mut buckets = vec![ip_bucket.as_str()];
        buckets.extend(login_bucket.as_deref());
        let reservation = self.login_failures.reserve(&buckets).await?;
        Ok(LoginAttempt {
            reservation,
            login_bucket,
        })
    }

    /// Proves a signed-in user's password (403 with `wrong` otherwise), counted per account.
    pub async fn confirm(
        &self,
        user_id: Uuid,
        password_hash: &str,
        password: &str,
        wrong: &str,
    ) -> Result<(), AppError> {
        let bucket = format!("confirm:{user_id}");
        let reservation = self.confirmations.reserve(&[&bucket]).await?;
        let verified = if password.chars().count() > PASSWORD_MAX {
            Ok(false)
        } else {
            self.hasher.verify(password, Some(password_hash)).await
        };
        match verified {
            Ok(true) => {
                self.confirmations.release(reservation).await;
                Ok(())
            }
            Ok(false) => Err(AppError::Forbidden(wrong.into())),
            Err(e) => {
                self.confirmations.release(reservation).await;
                Err(e.into())
            }
        }
    }

    /// Shared counters older than the longest window out of the database (one process
    /// does it for the instance).
    pub async fn purge_old_attempts(&self) -> Result<u64, AppError> {
        // Every limiter shares the table; the registrations' window is the longest.
        self.registrations.purge_older_than(REGISTER_WINDOW).await
    }

    /// Old counters out of memory (run every few minutes).
    pub fn prune(&self) {
        self.login_failures.prune();
        self.confirmations.prune();
        self.registrations.prune();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn text_that_can_be_no_login_counts_only_against_the_address() {
        let credentials = Credentials::new(
            PasswordHasherPool::new(1, 4).await.unwrap(),
            KnownDevices::new("key"),
            10,
            10,
            None,
        );
        let client = ClientInfo::default();
        assert!(!credentials
            .verify_login(None, None, "guess", &client)
            .await
            .unwrap());
        let Limiter::Local(failures) = &credentials.login_failures else {
            panic!("no store: counted in memory")
        };
        assert_eq!(failures.len(), 1, "only the address's bucket");
        assert!(failures.reserve(&["ip:unknown"]).is_ok());
    }
}
