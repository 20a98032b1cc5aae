//! Chats for the web UI, over the same `ChatService` the `/v1/chats` routes use.

use leptos::prelude::*;
use leptos::server_fn::codec::PostUrl;
use serde::{Deserialize, Serialize};

use crate::api::codec::JsonText;
use crate::error::AppError;
use crate::model::{Chat, Message, Page};

#[cfg(feature = "ssr")]
use crate::server::chats::MessageQuery;
#[cfg(feature = "ssr")]
use crate::server::context::{app_state, request_locale, require_user, respond};
#[cfg(feature = "ssr")]
use crate::server::ids::parse_path_id;
#[cfg(feature = "ssr")]
use crate::server::markdown::{render_messages, render_whole};

/// A chat with its latest messages, as the chat page opens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatView {
    pub chat: Chat,
    /// The latest messages, oldest first; `next` reaches further back.
    pub messages: Page<Message>,
    /// The run going in the chat when the page was read: the page follows it.
    pub run: Option<uuid::Uuid>,
}

/// What sending a message returns: the message as stored, the chat as it now is, and the
/// run that answers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sent {
    pub chat: Chat,
    pub message: Message,
    pub run: uuid::Uuid,
}

#[server(input = PostUrl, output = JsonText)]
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

/// Messages shown before a message the chat is opened at.
#[cfg(feature = "ssr")]
const CONTEXT_BEFORE: i64 = 20;
/// Messages loaded after it (the rest of the chat, for all but the longest chats).
#[cfg(feature = "ssr")]
const AT_MOST_AFTER: i64 = 500;

/// The chat with its latest messages, or, with `around` (a message id from a search result),
/// with the messages from a little before that one onwards.
#[server(input = PostUrl, output = JsonText)]
pub async fn get_chat_view(id: String, around: Option<String>) -> Result<ChatView, AppError> {
    respond(
        async {
            let who = require_user()?;
            let id = parse_path_id(&id, "chat")?;
            let chats = app_state()?.chats.clone();
            let chat = chats.get_chat(who.user.id, id).await?;
            // The run is looked up before the messages: a run that ends in between has its
            // reply among them, and following it replays to the same reply (shown once).
            let run = app_state()?
                .agents
                .registry()
                .find_current(who.user.id, id)
                .await?
                .map(|r| r.id());
            // A stale or foreign message id just opens the chat as usual.
            let around = around.and_then(|m| uuid::Uuid::parse_str(&m).ok());
            let position = match around {
                Some(m) => chats.message_position(who.user.id, id, m).await.ok(),
                None => None,
            };
            let Some(seq) = position else {
                let query = MessageQuery {
                    latest: true,
                    ..MessageQuery::default()
                };
                let mut messages = chats.list_messages(who.user.id, id, &query).await?;
                render_messages(&mut messages.data, request_locale());
                return Ok(ChatView {
                    chat,
                    messages,
                    run,
                });
            };
            let before = MessageQuery {
                before: Some((seq + 1).to_string()),
                limit: Some(CONTEXT_BEFORE),
                ..MessageQuery::default()
            };
            let mut messages = chats.list_messages(who.user.id, id, &before).await?;
            let after = MessageQuery {
                after: Some(seq.to_string()),
                limit: Some(AT_MOST_AFTER),
                ..MessageQuery::default()
            };
            let later = chats.list_messages(who.user.id, id, &after).await?;
            messages.data.extend(later.data);
            render_messages(&mut messages.data, request_locale());
            Ok(ChatView {
                chat,
                messages,
                run,
            })
        }
        .await,
    )
}

/// History search for the sidebar: all of the user's chats, best first.
#[server(input = PostUrl, output = JsonText)]
pub async fn search_chats(query: String) -> Result<Vec<crate::model::SearchResult>, AppError> {
    respond(
        async {
            let who = require_user()?;
            app_state()?
                .search
                .search_chats(&crate::server::search::SearchRequest {
                    user_id: who.user.id,
                    query: &query,
                    scope: crate::model::SearchScope::All,
                    current_chat_id: None,
                    limit: 20,
                    exclude: None,
                    filters: Default::default(),
                })
                .await
        }
        .await,
    )
}

#[server(input = PostUrl, output = JsonText)]
pub async fn older_messages(id: String, before: String) -> Result<Page<Message>, AppError> {
    respond(
        async {
            let who = require_user()?;
            let id = parse_path_id(&id, "chat")?;
            let query = MessageQuery {
                before: Some(before),
                ..MessageQuery::default()
            };
            let mut page = app_state()?
                .chats
                .list_messages(who.user.id, id, &query)
                .await?;
            render_messages(&mut page.data, request_locale());
            Ok(page)
        }
        .await,
    )
}

/// One message whole, for a page that got it shortened (see `Message::shortened`).
#[server(input = PostUrl, output = JsonText)]
pub async fn whole_message(chat_id: String, message_id: String) -> Result<Message, AppError> {
    respond(
        async {
            let who = require_user()?;
            let chat_id = parse_path_id(&chat_id, "chat")?;
            let message_id = parse_path_id(&message_id, "message")?;
            let mut message = app_state()?
                .chats
                .get_message(who.user.id, chat_id, message_id)
                .await?;
            render_whole(std::slice::from_mut(&mut message), request_locale());
            Ok(message)
        }
        .await,
    )
}

/// Sends a user message (without `chat_id`, into a new chat) and starts the agent's answer:
/// one turn, waiting behind a run already going in the chat.
#[server(input = PostUrl, output = JsonText)]
pub async fn send_message(chat_id: Option<String>, content: String) -> Result<Sent, AppError> {
    respond(
        async {
            use crate::server::agent::{TurnInput, TurnRequest};
            let who = require_user()?;
            let chat_id = match chat_id.filter(|s| !s.is_empty()) {
                Some(id) => Some(parse_path_id(&id, "chat")?),
                None => None,
            };
            let turn = app_state()?
                .agents
                .start_turn(TurnRequest {
                    user: who.user,
                    chat_id,
                    input: TurnInput::Message(content),
                    agent: None,
                    options: Default::default(),
                })
                .await?;
            Ok(Sent {
                chat: turn.chat,
                message: turn.message,
                run: turn.run.id,
            })
        }
        .await,
    )
}

#[server(input = PostUrl, output = JsonText)]
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

#[server(input = PostUrl, output = JsonText)]
pub async fn delete_chat(id: String) -> Result<(), AppError> {
    respond(
        async {
            let who = require_user()?;
            let id = parse_path_id(&id, "chat")?;
            let state = app_state()?;
            state.agents.delete_chat(who.user.id, id).await
        }
        .await,
    )
}
