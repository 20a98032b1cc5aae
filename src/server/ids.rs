//! Ids in request paths, shared by both adapters (JSON routes and server functions).

use uuid::Uuid;

use crate::error::AppError;

/// A malformed id names nothing, so it is a 404 like any unknown id.
pub fn parse_path_id(id: &str, what: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(id).map_err(|_| AppError::NotFound(format!("No such {what}.")))
}

/// A chat's id in a path.
pub fn chat_id(id: &str) -> Result<Uuid, AppError> {
    parse_path_id(id, "chat")
}
