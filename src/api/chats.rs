//! Chats for the web UI, over the same `ChatService` the `/v1/chats` routes use.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::model::{Chat, Message, Page};

#[cfg(feature = "ssr")]
use crate::server::chats::MessageQuery;
#[cfg(feature = "ssr")]
use crate::server::context::{app_state, require_user, respond};
#[cfg(feature = "ssr")]
use crate::server::http::parse_path_id;

/// A chat with its latest messages, as the chat page opens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatView {
    pub chat: Chat,
    /// The latest messages, oldest first; `next` reaches further back.
    pub messages: Page<Message>,
}

/// What sending a message returns: the message as stored and the chat as it now is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sent {
    pub chat: Chat,
    pub message: Message,
}

#[server]
pub async fn list_chats(before: Option<String>) -> Result<Page<Chat>, AppError> {
    respond(
        async {
            let who = require_user()?;
            app_state()?
                .chats
                .list_chats(who.user.id, before.as_deref(), None)
                .await
        }
        .await,
    )
}

#[server]
pub async fn get_chat_view(id: String) -> Result<ChatView, AppError> {
    respond(
        async {
            let who = require_user()?;
            let id = parse_path_id(&id, "chat")?;
            let chats = app_state()?.chats;
            let chat = chats.get_chat(who.user.id, id).await?;
            let query = MessageQuery {
                latest: true,
                ..MessageQuery::default()
            };
            let messages = chats.list_messages(who.user.id, id, &query).await?;
            Ok(ChatView { chat, messages })
        }
        .await,
    )
}

#[server]
pub async fn older_messages(id: String, before: String) -> Result<Page<Message>, AppError> {
    respond(
        async {
            let who = require_user()?;
            let id = parse_path_id(&id, "chat")?;
            let query = MessageQuery {
                before: Some(before),
                ..MessageQuery::default()
            };
            app_state()?
                .chats
                .list_messages(who.user.id, id, &query)
                .await
        }
        .await,
    )
}

/// Sends a user message; without `chat_id` it starts a new chat first.
#[server]
pub async fn send_message(chat_id: Option<String>, content: String) -> Result<Sent, AppError> {
    respond(
        async {
            let who = require_user()?;
            let chats = app_state()?.chats;
            crate::validation::validate_message(&content)?;
            let id = match chat_id.filter(|s| !s.is_empty()) {
                Some(id) => parse_path_id(&id, "chat")?,
                None => chats.start_chat(&who.user, None, None).await?.id,
            };
            let (chat, message) = chats
                .append_message(&who.user, id, crate::model::Role::User, &content, None)
                .await?;
            Ok(Sent { chat, message })
        }
        .await,
    )
}

#[server]
pub async fn rename_chat(id: String, title: String) -> Result<Chat, AppError> {
    respond(
        async {
            let who = require_user()?;
            let id = parse_path_id(&id, "chat")?;
            app_state()?
                .chats
                .rename_chat(who.user.id, id, &title)
                .await
        }
        .await,
    )
}

#[server]
pub async fn delete_chat(id: String) -> Result<(), AppError> {
    respond(
        async {
            let who = require_user()?;
            let id = parse_path_id(&id, "chat")?;
            app_state()?.chats.delete_chat(who.user.id, id).await
        }
        .await,
    )
}
