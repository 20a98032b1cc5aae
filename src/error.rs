//! The one error type the client may see.
//!
//! Every failure that leaves the server, from a JSON route or a server function, is one of
//! these variants. Server-side causes (SQL, I/O, hashing) are logged where they are converted
//! into [`AppError::Internal`] and never travel to the client.

use serde::{Deserialize, Serialize};

/// What went wrong, in terms a client can act on. One variant per HTTP status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// 400: the request could not be read (malformed JSON, wrong types).
    #[error("{0}")]
    BadRequest(String),
    /// 401: not logged in, or wrong credentials.
    #[error("{0}")]
    Unauthorized(String),
    /// 403: logged in, but this action is refused (wrong current password, cross-site request).
    #[error("{0}")]
    Forbidden(String),
    /// 404: no such thing, or it belongs to someone else (the two are indistinguishable).
    #[error("{0}")]
    NotFound(String),
    /// 410: it existed and is used up or expired (an invite).
    #[error("{0}")]
    Gone(String),
    /// 409: the value is already taken, or the change would break a rule of the instance.
    #[error("{message}")]
    Conflict { field: String, message: String },
    /// 413: the request body is larger than the server accepts.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// 415: the body (an uploaded file) is of a kind the route does not take.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// 422: a field failed validation.
    #[error("{message}")]
    Validation { field: String, message: String },
    /// 429: too many attempts; try again after the given number of seconds.
    #[error("Too many attempts. Try again in {}.", human_wait(*retry_after_secs))]
    RateLimited { retry_after_secs: u64 },
    /// 429: the server is busy for this user or chat (runs at once, a full queue); try
    /// again after the given number of seconds.
    #[error("{message}")]
    Busy {
        message: String,
        retry_after_secs: u64,
    },
    /// 429: the account used its tokens for the day; new runs wait for the next UTC day.
    #[error("{0}")]
    QuotaExceeded(String),
    /// 503: a dependency (the database) is unreachable.
    #[error("{0}")]
    Unavailable(String),
    /// 500: something failed on the server; the detail is in the server log only.
    #[error("Something went wrong on our side. Please try again.")]
    Internal,
    /// The request never reached the server or its answer could not be read (client side
    /// only). The detail is for debugging; people see a plain sentence.
    #[error("Could not reach the server. Check your connection and try again.")]
    Transport(String),
}

fn human_wait(secs: u64) -> String {
    if secs < 60 {
        format!("{secs} seconds")
    } else {
        format!("{} minutes", secs.div_ceil(60))
    }
}

impl AppError {
    /// Seconds a client should wait before trying again, for the errors that have one.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            AppError::RateLimited { retry_after_secs }
            | AppError::Busy {
                retry_after_secs, ..
            } => Some(*retry_after_secs),
            _ => None,
        }
    }

    /// A validation failure on one field.
    pub fn validation(field: &str, message: impl Into<String>) -> Self {
        AppError::Validation {
            field: field.to_string(),
            message: message.into(),
        }
    }

    /// The field this error is about, when it is about one.
    pub fn field(&self) -> Option<&str> {
        match self {
            AppError::Validation { field, .. } | AppError::Conflict { field, .. } => Some(field),
            _ => None,
        }
    }

    /// The sentence this error carries, for rewording it (in the page's language); `None` for
    /// the errors whose words are fixed by their variant.
    pub fn message_mut(&mut self) -> Option<&mut String> {
        match self {
            AppError::BadRequest(m)
            | AppError::Unauthorized(m)
            | AppError::Forbidden(m)
            | AppError::NotFound(m)
            | AppError::Gone(m)
            | AppError::PayloadTooLarge(m)
            | AppError::UnsupportedMediaType(m)
            | AppError::QuotaExceeded(m)
            | AppError::Unavailable(m)
            | AppError::Conflict { message: m, .. }
            | AppError::Validation { message: m, .. }
            | AppError::Busy { message: m, .. } => Some(m),
            AppError::RateLimited { .. } | AppError::Internal | AppError::Transport(_) => None,
        }
    }

    /// The HTTP status this error maps to.
    pub fn status(&self) -> u16 {
        match self {
            AppError::BadRequest(_) => 400,
            AppError::Unauthorized(_) => 401,
            AppError::Forbidden(_) => 403,
            AppError::NotFound(_) => 404,
            AppError::Conflict { .. } => 409,
            AppError::Gone(_) => 410,
            AppError::PayloadTooLarge(_) => 413,
            AppError::UnsupportedMediaType(_) => 415,
            AppError::Validation { .. } => 422,
            AppError::RateLimited { .. } | AppError::Busy { .. } | AppError::QuotaExceeded(_) => {
                429
            }
            AppError::Unavailable(_) => 503,
            AppError::Internal | AppError::Transport(_) => 500,
        }
    }

    /// A stable machine-readable code for the JSON error body.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::BadRequest(_) => "bad_request",
            AppError::Unauthorized(_) => "unauthorized",
            AppError::Forbidden(_) => "forbidden",
            AppError::NotFound(_) => "not_found",
            AppError::Conflict { .. } => "conflict",
            AppError::Gone(_) => "gone",
            AppError::PayloadTooLarge(_) => "payload_too_large",
            AppError::UnsupportedMediaType(_) => "unsupported_media_type",
            AppError::Validation { .. } => "validation_failed",
            AppError::RateLimited { .. } => "rate_limited",
            AppError::Busy { .. } => "busy",
            AppError::QuotaExceeded(_) => "insufficient_quota",
            AppError::Unavailable(_) => "unavailable",
            AppError::Internal => "internal",
            AppError::Transport(_) => "transport",
        }
    }
}

/// Server functions return `AppError` directly, so the UI sees the same variants as JSON clients.
impl leptos::server_fn::error::FromServerFnError for AppError {
    type Encoder = crate::api::codec::JsonTextEncoding;

    fn from_server_fn_error(value: leptos::server_fn::error::ServerFnErrorErr) -> Self {
        use leptos::server_fn::error::ServerFnErrorErr as E;
        match value {
            E::Request(m) => AppError::Transport(m),
            E::Args(_) | E::MissingArg(_) => {
                AppError::BadRequest("The form was incomplete or malformed.".into())
            }
            E::Deserialization(m) | E::Serialization(m) => AppError::Transport(m),
            _ => AppError::Internal,
        }
    }

    /// Every server function's error reaches the browser through here: the one place that
    /// sees a session end, whatever the page was doing.
    fn de(data: leptos::server_fn::Bytes) -> Self {
        use leptos::server_fn::error::IntoAppError;
        use leptos::server_fn::Decodes;
        let error = <Self::Encoder as Decodes<Self>>::decode(data).unwrap_or_else(|e| {
            leptos::server_fn::error::ServerFnErrorErr::Deserialization(e.to_string())
                .into_app_error()
        });
        #[cfg(feature = "hydrate")]
        if matches!(error, AppError::Unauthorized(_)) {
            crate::login_paths::session_ended();
        }
        error
    }
}
