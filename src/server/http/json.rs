//! A JSON body extractor whose rejections are [`AppError`]s with messages a person can act on.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use serde::de::DeserializeOwned;

use crate::error::AppError;

/// Like `axum::Json`, but a bad body is 400 (or 413 when too large) in our error shape.
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(rejection_to_error(rejection)),
        }
    }
}

fn rejection_to_error(rejection: JsonRejection) -> AppError {
    if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        return AppError::PayloadTooLarge("The request body is larger than 1 MiB.".into());
    }
    match rejection {
        JsonRejection::MissingJsonContentType(_) => {
            AppError::BadRequest("Send a JSON body with Content-Type: application/json.".into())
        }
        JsonRejection::JsonSyntaxError(_) => {
            AppError::BadRequest("The body is not valid JSON.".into())
        }
        // serde's message names the field and the expected type; it holds no server detail.
        JsonRejection::JsonDataError(e) => AppError::BadRequest(format!(
            "The JSON body does not have the expected shape: {}",
            e.body_text()
                .trim_start_matches("Failed to deserialize the JSON body into the target type: ")
        )),
        other => AppError::BadRequest(other.body_text()),
    }
}
