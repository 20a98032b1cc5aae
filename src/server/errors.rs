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
        internal("password hashing", e)
    }
}
