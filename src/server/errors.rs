//! Server-side failures become [`AppError::Internal`] here, logged once with their detail.

use crate::error::AppError;

/// Logs `e` with `context` and returns the opaque internal error.
pub fn internal(context: &str, e: impl std::fmt::Display) -> AppError {
    tracing::error!("{context}: {e}");
    AppError::Internal
}

impl From<super::store::StoreError> for AppError {
    fn from(e: super::store::StoreError) -> Self {
        internal("storage", e)
    }
}

impl From<super::auth::HashError> for AppError {
    fn from(e: super::auth::HashError) -> Self {
        match e {
            // A flood of logins: refused at once, and nothing was checked or counted.
            super::auth::HashError::Busy => AppError::Busy {
                message: "The server is busy checking passwords. Try again in a moment.".into(),
                retry_after_secs: 1,
            },
            e => internal("password hashing", e),
        }
    }
}
