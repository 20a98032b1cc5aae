//! `/v1/chats`: chats and messages for scripts and API clients (cookie or API key).

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;

use super::json::ApiJson;
use super::session_layer::RequireUser;
use crate::error::AppError;
use crate::model::{Chat, Message, Page, Role, SearchResult, SearchScope};
use crate::server::chats::MessageQuery;
use crate::server::ids::chat_id;
use crate::server::search::query::{parse_day, parse_from, Filters};
use crate::server::search::{SearchRequest, DEFAULT_LIMIT};
use crate::server::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(list_chats).post(create_chat))
        .route("/search", get(search_chats))
        .route(
            "/{id}",
            get(get_chat).patch(rename_chat).delete(delete_chat),
        )
        .route("/{id}/messages", get(list_messages).post(post_message))
        .route("/{id}/document", get(export_document))
        .merge(super::run_routes::chat_routes())
}

#[derive(Deserialize)]
struct ListQuery {
    limit: Option<i64>,
    before: Option<String>,
}

#[derive(Deserialize)]
struct CreateBody {
    title: Option<String>,
    agent: Option<String>,
}

#[derive(Deserialize)]
struct RenameBody {
    title: String,
}

#[derive(Deserialize)]
struct MessagesQuery {
    limit: Option<i64>,
    after: Option<String>,
    before: Option<String>,
}

#[derive(Deserialize)]
struct PostBody {
    content: String,
}

/// Query strings that do not parse are a 400 in our error shape, like bad JSON.
pub(super) fn query<T>(
    q: Result<Query<T>, axum::extract::rejection::QueryRejection>,
) -> Result<T, AppError> {
    q.map(|Query(v)| v)
        .map_err(|e| AppError::BadRequest(format!("Bad query string: {}", e.body_text())))
}

async fn list_chats(
    State(state): State<AppState>,
    RequireUser(who): RequireUser,
    q: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Page<Chat>>, AppError> {
    let q = query(q)?;
    Ok(Json(
        state
            .chats
            .list_chats(who.user.id, q.before.as_deref(), q.limit)
            .await?,
    ))
}

async fn create_chat(
    State(state): State<AppState>,
    RequireUser(who): RequireUser,
    ApiJson(body): ApiJson<CreateBody>,
) -> Result<(StatusCode, Json<Chat>), AppError> {
    let chat = state
        .chats
        .start_chat(&who.user, body.title.as_deref(), body.agent.as_deref())
        .await?;
    Ok((StatusCode::CREATED, Json(chat)))
}

async fn get_chat(
    State(state): State<AppState>,
    RequireUser(who): RequireUser,
    Path(id): Path<String>,
) -> Result<Json<Chat>, AppError> {
    Ok(Json(
        state.chats.get_chat(who.user.id, chat_id(&id)?).await?,
    ))
}

async fn rename_chat(
    State(state): State<AppState>,
    RequireUser(who): RequireUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<RenameBody>,
) -> Result<Json<Chat>, AppError> {
    let id = chat_id(&id)?;
    Ok(Json(
        state
            .chats
            .rename_chat(who.user.id, id, &body.title)
            .await?,
    ))
}

async fn delete_chat(
    State(state): State<AppState>,
    RequireUser(who): RequireUser,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    let id = chat_id(&id)?;
    state.agents.delete_chat(who.user.id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn list_messages(
    State(state): State<AppState>,
    RequireUser(who): RequireUser,
    Path(id): Path<String>,
    q: Result<Query<MessagesQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Page<Message>>, AppError> {
    let id = chat_id(&id)?;
    let q = query(q)?;
    let page = state
        .chats
        .list_messages(
            who.user.id,
            id,
            &MessageQuery {
                after: q.after,
                before: q.before,
                latest: false,
                limit: q.limit,
            },
        )
        .await?;
    Ok(Json(page))
}

/// Stores a user message (the agent's reply comes with the agent runtime).
async fn post_message(
    State(state): State<AppState>,
    RequireUser(who): RequireUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<PostBody>,
) -> Result<(StatusCode, Json<Message>), AppError> {
    let id = chat_id(&id)?;
    let (_, message) = state
        .chats
        .append_message(&who.user, id, Role::User, &body.content, None)
        .await?;
    Ok((StatusCode::CREATED, Json(message)))
}

#[derive(Deserialize)]
struct SearchQuery {
    #[serde(default)]
    q: String,
    scope: Option<SearchScope>,
    chat_id: Option<String>,
    limit: Option<i64>,
    from: Option<String>,
    before: Option<String>,
    after: Option<String>,
}

impl SearchQuery {
    /// The filter parameters, each refused with a 400 naming it when it cannot be read.
    fn filters(&self) -> Result<Filters, AppError> {
        let day = |field: &'static str, value: &Option<String>| {
            value
                .as_deref()
                .map(|v| {
                    parse_day(v).ok_or_else(|| {
                        AppError::validation(
                            field,
                            format!("{field} must be a date as YYYY-MM-DD."),
                        )
                    })
                })
                .transpose()
        };
        Ok(Filters {
            from: self
                .from
                .as_deref()
                .map(|v| {
                    parse_from(v).ok_or_else(|| {
                        AppError::validation("from", "from must be \"me\" or \"agent\".")
                    })
                })
                .transpose()?,
            before: day("before", &self.before)?,
            after: day("after", &self.after)?,
        })
    }
}

#[derive(serde::Serialize)]
struct SearchResults {
    data: Vec<SearchResult>,
}

/// `GET /v1/chats/search?q=&scope=all|current&chat_id=&limit=&from=&before=&after=`: the
/// user's messages, best first.
async fn search_chats(
    State(state): State<AppState>,
    RequireUser(who): RequireUser,
    q: Result<Query<SearchQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<SearchResults>, AppError> {
    let q = query(q)?;
    let filters = q.filters()?;
    let current = q.chat_id.as_deref().map(chat_id).transpose()?;
    if let Some(id) = current {
        // A chat that is not the user's is a 404, whatever the scope.
        state.chats.get_chat(who.user.id, id).await?;
    }
    let data = state
        .search
        .search_chats(&SearchRequest {
            user_id: who.user.id,
            query: &q.q,
            scope: q.scope.unwrap_or_default(),
            current_chat_id: current,
            limit: q.limit.unwrap_or(DEFAULT_LIMIT),
            exclude: None,
            filters,
        })
        .await?;
    Ok(Json(SearchResults { data }))
}

/// The chat's markdown document, as a download named after the chat.
async fn export_document(
    State(state): State<AppState>,
    RequireUser(who): RequireUser,
    Path(id): Path<String>,
) -> Result<impl axum::response::IntoResponse, AppError> {
    let (chat, text) = state
        .chats
        .chat_document(who.user.id, chat_id(&id)?)
        .await?;
    let disposition = format!(
        "attachment; filename=\"chat-{}.md\"; filename*=UTF-8''{}.md",
        chat.id,
        percent_encode(&chat.title)
    );
    Ok((
        [
            (
                axum::http::header::CONTENT_TYPE,
                "text/markdown; charset=utf-8".to_string(),
            ),
            (axum::http::header::CONTENT_DISPOSITION, disposition),
        ],
        text,
    ))
}

/// RFC 5987 encoding of a file name: unreserved characters stay, every other byte is `%XX`.
fn percent_encode(name: &str) -> String {
    name.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
