//! The one error type the client may see.
//!
//! Every failure that leaves the server, from a JSON route or a server function, is one of
//! these variants. Server-side causes (SQL, I/O, hashing) are logged where they are converted
//! into [`AppError::Internal`] and never travel to the client.

use serde::{Deserialize, Serialize};

/// What went wrong, in terms a client can act on. One variant per HTTP status.
///
/// Between server and browser (server functions) it travels as one flat [`WireError`], whose
/// decoder is a fraction of the code serde derives for an enum of fifteen variants: that code
/// was in every page's WASM.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(into = "WireError", from = "WireError")]
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

/// [`AppError`] on the wire: its [`AppError::code`] and whichever parts the variant has.
#[derive(Serialize, Deserialize)]
struct WireError {
    code: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    message: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    field: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    retry_after_secs: Option<u64>,
}

impl From<AppError> for WireError {
    fn from(error: AppError) -> WireError {
        let code = error.code().to_string();
        let retry_after_secs = error.retry_after();
        let (message, field) = match error {
            AppError::Conflict { field, message } | AppError::Validation { field, message } => {
                (message, field)
            }
            AppError::Busy { message, .. } | AppError::Transport(message) => {
                (message, String::new())
            }
            mut other => (
                other.message_mut().map(std::mem::take).unwrap_or_default(),
                String::new(),
            ),
        };
        WireError {
            code,
            message,
            field,
            retry_after_secs,
        }
    }
}

impl From<WireError> for AppError {
    fn from(wire: WireError) -> AppError {
        let WireError {
            code,
            message: m,
            field,
            retry_after_secs,
        } = wire;
        let retry_after_secs = retry_after_secs.unwrap_or(1);
        match code.as_str() {
            "bad_request" => AppError::BadRequest(m),
            "unauthorized" => AppError::Unauthorized(m),
            "forbidden" => AppError::Forbidden(m),
            "not_found" => AppError::NotFound(m),
            "conflict" => AppError::Conflict { field, message: m },
            "gone" => AppError::Gone(m),
            "payload_too_large" => AppError::PayloadTooLarge(m),
            "unsupported_media_type" => AppError::UnsupportedMediaType(m),
            "validation_failed" => AppError::Validation { field, message: m },
            "rate_limited" => AppError::RateLimited { retry_after_secs },
            "busy" => AppError::Busy {
                message: m,
                retry_after_secs,
            },
            "insufficient_quota" => AppError::QuotaExceeded(m),
            "unavailable" => AppError::Unavailable(m),
            "transport" => AppError::Transport(m),
            _ => AppError::Internal,
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

#[cfg(test)]
mod tests {
    use super::AppError;

    #[test]
    fn every_error_comes_back_from_the_wire_as_it_left() {
        let all = [
            AppError::BadRequest("b".into()),
            AppError::Unauthorized("u".into()),
            AppError::Forbidden("f".into()),
            AppError::NotFound("n".into()),
            AppError::Gone("g".into()),
            AppError::Conflict {
                field: "login".into(),
                message: "taken".into(),
            },
            AppError::PayloadTooLarge("p".into()),
            AppError::UnsupportedMediaType("m".into()),
            AppError::validation("password", "too short"),
            AppError::RateLimited {
                retry_after_secs: 42,
            },
            AppError::Busy {
                message: "busy".into(),
                retry_after_secs: 7,
            },
            AppError::QuotaExceeded("q".into()),
            AppError::Unavailable("d".into()),
            AppError::Internal,
            AppError::Transport("t".into()),
        ];
        for error in all {
            let wire = serde_json::to_string(&error).unwrap();
            let back: AppError = serde_json::from_str(&wire).unwrap();
            assert_eq!(back, error, "{wire}");
        }
        let unknown: AppError = serde_json::from_str(r#"{"code":"from_the_future"}"#).unwrap();
        assert_eq!(unknown, AppError::Internal);
    }
}
