//! The session service of the plan: chats and their messages, always scoped to the owner.
//! Another user's chat behaves exactly like one that does not exist.

mod imported;

use std::sync::Arc;

use uuid::Uuid;

use super::errors::internal;
use super::memory::document_format::Entry;
use super::memory::{header, ChatDocuments};
use super::search::terms_to_index;
use super::store::{now, ChatCursor, MessageWindow, NewMessage, RunUsage, Store};
use crate::error::AppError;
use crate::model::{Chat, Message, Page, Role, ToolCallData, User};
use crate::validation::{
    title_from_message, validate_message, validate_title, DEFAULT_AGENT, DEFAULT_TITLE,
};

pub use imported::ImportOutcome;

pub const DEFAULT_PAGE: i64 = 50;
const MAX_CHAT_PAGE: i64 = 200;
const MAX_MESSAGE_PAGE: i64 = 500;

fn not_found() -> AppError {
    AppError::NotFound("No such chat.".into())
}

fn bad_cursor() -> AppError {
    AppError::BadRequest("The cursor is not one this server gave out.".into())
}

/// Which messages to read: the first page, after a cursor, or the latest before one.
#[derive(Debug, Clone, Default)]
pub struct MessageQuery {
    pub after: Option<String>,
    pub before: Option<String>,
    /// With neither cursor: `true` reads the latest messages instead of the oldest.
    pub latest: bool,
    pub limit: Option<i64>,
}

/// Chats in the database, each mirrored by its markdown document: every write here commits
/// to the database first and then updates the document, holding the chat's document lock
/// across both so the document keeps the database's order.
#[derive(Clone)]
pub struct ChatService {
    store: Store,
    agents: Arc<Vec<String>>,
    documents: ChatDocuments,
}

impl ChatService {
    /// `agents`: the ids a chat may name.
    pub fn new(store: Store, agents: Vec<String>, documents: ChatDocuments) -> Self {
        ChatService {
            store,
            agents: Arc::new(agents),
            documents,
        }
    }

    pub fn documents(&self) -> &ChatDocuments {
        &self.documents
    }

    pub async fn start_chat(
        &self,
        user: &User,
        title: Option<&str>,
        agent: Option<&str>,
    ) -> Result<Chat, AppError> {
        self.start_chat_with_id(user, Uuid::new_v4(), title, agent)
            .await
    }

    /// The agent a new chat would get (checked), for callers that reserve the id first.
    pub fn check_agent(&self, agent: Option<&str>) -> Result<String, AppError> {
        let agent = agent.unwrap_or(DEFAULT_AGENT).trim();
        if !self.agents.iter().any(|a| a == agent) {
            return Err(AppError::validation(
                "agent",
                format!("Unknown agent. Available: {}.", self.agents.join(", ")),
            ));
        }
        Ok(agent.to_string())
    }

    /// Starts a chat whose id the caller chose (a turn reserves the chat's run slot first).
    pub async fn start_chat_with_id(
        &self,
        user: &User,
        id: Uuid,
        title: Option<&str>,
        agent: Option<&str>,
    ) -> Result<Chat, AppError> {
        let title = match title {
            Some(t) => validate_title(t)?,
            None => DEFAULT_TITLE.to_string(),
        };
        let agent = self.check_agent(agent)?;
        let now = now();
        let chat = Chat {
            id,
            title,
            agent,
            created_at: now,
            updated_at: now,
        };
        let _guard = self.documents.lock(chat.id).await?;
        self.store
            .insert_chat(user.id, &user.display_name, &chat, None)
            .await?;
        let head = header(
            chat.id,
            user.id,
            &user.display_name,
            &self.documents.agent_name(&chat.agent),
            chat.created_at,
            chat.created_at,
        );
        if let Err(e) = self
            .documents
            .memory()
            .create_chat_document(user.id, &head)
            .await
        {
            // The chat is stored; the next append rewrites the document from the database.
            tracing::error!(chat_id = %chat.id, "writing a new chat document: {e}");
        }
        Ok(chat)
    }

    pub async fn list_chats(
        &self,
        user_id: Uuid,
        before: Option<&str>,
        limit: Option<i64>,
    ) -> Result<Page<Chat>, AppError> {
        let limit = clamp_limit(limit, MAX_CHAT_PAGE)?;
        let before = before.map(parse_chat_cursor).transpose()?;
        let mut chats = self.store.list_chats(user_id, before, limit + 1).await?;
        let next = if chats.len() as i64 > limit {
            chats.truncate(limit as usize);
            chats.last().map(chat_cursor)
        } else {
            None
        };
        Ok(Page { data: chats, next })
    }

    pub async fn get_chat(&self, user_id: Uuid, chat_id: Uuid) -> Result<Chat, AppError> {
        self.store
            .get_chat(user_id, chat_id)
            .await?
            .ok_or_else(not_found)
    }

    pub async fn rename_chat(
        &self,
        user_id: Uuid,
        chat_id: Uuid,
        title: &str,
    ) -> Result<Chat, AppError> {
        let title = validate_title(title)?;
        self.store
            .rename_chat(user_id, chat_id, &title)
            .await?
            .ok_or_else(not_found)
    }

    /// Deletes the chat, its messages (and their index entries, by cascade) and its document.
    pub async fn delete_chat(&self, user_id: Uuid, chat_id: Uuid) -> Result<(), AppError> {
        let _guard = self.documents.lock(chat_id).await?;
        if !self.store.delete_chat(user_id, chat_id).await? {
            return Err(not_found());
        }
        if let Err(e) = self
            .documents
            .memory()
            .delete_chat_document(user_id, chat_id)
            .await
        {
            tracing::error!(%chat_id, "deleting a chat document: {e}");
        }
        Ok(())
    }

    /// Stores a message (indexed for search in the same transaction), then appends it to the
    /// chat document; the first user message of an untitled chat also names the chat.
    /// The user's entry carries their display name now, the agent's the agent's name.
    pub async fn append_message(
        &self,
        user: &User,
        chat_id: Uuid,
        role: Role,
        content: &str,
        data: Option<&str>,
    ) -> Result<(Chat, Message), AppError> {
        let (chat, mut messages) = self
            .append_messages(user, chat_id, &[(role, content, data)])
            .await?;
        Ok((chat, messages.remove(0)))
    }

    /// Stores what a run ended with, together with its usage (one transaction): an agent's
    /// reply (`Role::Assistant`, appended to the document), or its calls to a gateway
    /// client's tools (`Role::Tool`, the calls in `data`; not a document entry, which keeps
    /// what people and agents said).
    pub async fn append_reply(
        &self,
        user: &User,
        chat_id: Uuid,
        role: Role,
        content: &str,
        data: Option<&str>,
        usage: Option<&RunUsage>,
    ) -> Result<Message, AppError> {
        let (_, mut messages) = self
            .append_with_usage(user, chat_id, &[(role, content, data)], usage)
            .await?;
        Ok(messages.remove(0))
    }

    /// The client tool calls of the chat's latest turn that have no result yet.
    pub async fn pending_tool_calls(
        &self,
        user: &User,
        chat_id: Uuid,
    ) -> Result<Vec<ToolCallData>, AppError> {
        let recent = self
            .store
            .list_messages(user.id, chat_id, MessageWindow::Before(i64::MAX), 50)
            .await?;
        if recent.is_empty() {
            self.get_chat(user.id, chat_id).await?;
        }
        let mut answered = Vec::new();
        for message in recent.iter().rev() {
            if message.role != Role::Tool {
                break;
            }
            let data = message.reply_data();
            if let Some(id) = data.tool_call_id {
                answered.push(id);
            } else if !data.tool_calls.is_empty() {
                let mut calls = data.tool_calls;
                calls.retain(|c| !answered.contains(&c.id));
                return Ok(calls);
            }
        }
        Ok(Vec::new())
    }

    /// Stores several messages in order, in one transaction and one document write (a new
    /// gateway chat's history). Each is checked as [`Self::append_message`] checks one.
    pub async fn append_messages(
        &self,
        user: &User,
        chat_id: Uuid,
        messages: &[(Role, &str, Option<&str>)],
    ) -> Result<(Chat, Vec<Message>), AppError> {
        self.append_with_usage(user, chat_id, messages, None).await
    }

    async fn append_with_usage(
        &self,
        user: &User,
        chat_id: Uuid,
        messages: &[(Role, &str, Option<&str>)],
        usage: Option<&RunUsage>,
    ) -> Result<(Chat, Vec<Message>), AppError> {
        if messages.is_empty() {
            return Err(AppError::validation(
                "content",
                "There is no message to store.",
            ));
        }
        for (role, content, _) in messages {
            // People's messages have a size limit; an agent's reply is kept whole.
            if *role == Role::User {
                validate_message(content)?;
            } else if *role != Role::Tool && content.trim().is_empty() {
                return Err(AppError::validation("content", "Message is empty."));
            }
        }
        let auto_title = messages
            .iter()
            .find(|(role, ..)| *role == Role::User)
            .map(|(_, content, _)| title_from_message(content));
        let terms: Vec<_> = messages
            .iter()
            .map(|(role, content, data)| terms_to_index(*role, content, *data))
            .collect();
        let _guard = self.documents.lock(chat_id).await?;
        let agent_name = if messages.iter().any(|(role, ..)| *role != Role::User) {
            let chat = self.get_chat(user.id, chat_id).await?;
            self.documents.agent_name(&chat.agent)
        } else {
            String::new()
        };
        let authors: Vec<&str> = messages
            .iter()
            .map(|(role, ..)| match role {
                Role::User => user.display_name.as_str(),
                _ => agent_name.as_str(),
            })
            .collect();
        let at = now();
        let rows: Vec<NewMessage> = messages
            .iter()
            .zip(&terms)
            .zip(&authors)
            .map(|(((role, content, data), terms), author)| NewMessage {
                id: Uuid::new_v4(),
                role: *role,
                content,
                data: *data,
                created_at: at,
                author,
                index: terms.as_ref(),
                source_id: None,
            })
            .collect();
        let (chat, stored) = self
            .store
            .append_messages(
                user.id,
                chat_id,
                &rows,
                DEFAULT_TITLE,
                auto_title.as_deref(),
                usage,
            )
            .await?
            .ok_or_else(not_found)?;
        let entries: Vec<Entry> = stored
            .iter()
            .zip(&authors)
            .filter(|(m, _)| matches!(m.role, Role::User | Role::Assistant))
            .map(|(m, author)| Entry {
                at: m.created_at,
                name: author.to_string(),
                content: m.content.clone(),
            })
            .collect();
        if !entries.is_empty() {
            if let Err(e) = self.documents.append(user.id, chat_id, &entries).await {
                // Stored and indexed: the messages are safe; `memory verify` will report the
                // document and `memory rebuild` repairs it.
                tracing::error!(%chat_id, "appending to a chat document: {e}");
            }
        }
        Ok((chat, stored))
    }

    /// Takes back the replies after the chat's latest user message (to answer it again), in
    /// the database, the search index and the document. Returns that user message; 422 when
    /// the chat has none.
    pub async fn reopen_last_turn(&self, user: &User, chat_id: Uuid) -> Result<Message, AppError> {
        let _guard = self.documents.lock(chat_id).await?;
        let question = self.check_latest_user_message(user, chat_id, None).await?;
        let seq = parse_seq(&question.cursor)?;
        self.drop_messages_after(user, chat_id, seq).await?;
        Ok(question)
    }

    /// Deletes the chat's messages after position `seq` (their index entries go by cascade)
    /// and rewrites the document when any went. The caller holds the chat's lock.
    async fn drop_messages_after(
        &self,
        user: &User,
        chat_id: Uuid,
        seq: i64,
    ) -> Result<(), AppError> {
        if self
            .store
            .delete_messages_after(user.id, chat_id, seq)
            .await?
            > 0
        {
            if let Err(e) = self.documents.rebuild_chat(user.id, chat_id).await {
                tracing::error!(%chat_id, "rewriting a chat document: {e}");
            }
        }
        Ok(())
    }

    /// The chat's latest user message: 404 for a chat that is not the user's, 422 when it
    /// has none; with `expected`, 404 when that message is not in the chat and 409 when it
    /// is not the latest.
    pub async fn check_latest_user_message(
        &self,
        user: &User,
        chat_id: Uuid,
        expected: Option<Uuid>,
    ) -> Result<Message, AppError> {
        if let Some(id) = expected {
            self.message_position(user.id, chat_id, id).await?;
        }
        let recent = self
            .store
            .list_messages(user.id, chat_id, MessageWindow::Before(i64::MAX), 50)
            .await?;
        if recent.is_empty() {
            self.get_chat(user.id, chat_id).await?;
        }
        let latest = recent
            .into_iter()
            .rev()
            .find(|m| m.role == Role::User)
            .ok_or_else(|| {
                AppError::validation("content", "This chat has no message to answer yet.")
            })?;
        if expected.is_some_and(|id| id != latest.id) {
            return Err(AppError::Conflict {
                field: "message_id".into(),
                message: "Only your latest message can be edited.".into(),
            });
        }
        Ok(latest)
    }

    /// Takes back the chat's latest user message (which must be `message_id`) and the replies
    /// after it, so an edited version can be sent in its place. 409 when it is not the latest.
    pub async fn take_back_last_message(
        &self,
        user: &User,
        chat_id: Uuid,
        message_id: Uuid,
    ) -> Result<(), AppError> {
        let _guard = self.documents.lock(chat_id).await?;
        let latest = self
            .check_latest_user_message(user, chat_id, Some(message_id))
            .await?;
        let seq = parse_seq(&latest.cursor)?;
        self.drop_messages_after(user, chat_id, seq - 1).await
    }

    /// The chat's markdown document, for export (rewritten from the database if missing).
    pub async fn chat_document(
        &self,
        user_id: Uuid,
        chat_id: Uuid,
    ) -> Result<(Chat, String), AppError> {
        let chat = self.get_chat(user_id, chat_id).await?;
        let _guard = self.documents.lock(chat_id).await?;
        let stored = self
            .documents
            .memory()
            .get_chat_history(user_id, chat_id)
            .await
            .map_err(|e| internal("chat document", e))?;
        let text = match stored {
            Some(text) => text,
            None => self
                .documents
                .render_chat(user_id, chat_id)
                .await
                .map_err(|e| internal("chat document", e))?
                .ok_or_else(not_found)?,
        };
        Ok((chat, text))
    }

    /// One of the owner's messages, whole.
    pub async fn get_message(
        &self,
        user_id: Uuid,
        chat_id: Uuid,
        message_id: Uuid,
    ) -> Result<Message, AppError> {
        self.store
            .get_message(user_id, chat_id, message_id)
            .await?
            .ok_or_else(|| AppError::NotFound("No such message in this chat.".into()))
    }

    /// The position of one of the owner's messages, for opening a chat at it.
    pub async fn message_position(
        &self,
        user_id: Uuid,
        chat_id: Uuid,
        message_id: Uuid,
    ) -> Result<i64, AppError> {
        self.store
            .message_seq(user_id, chat_id, message_id)
            .await?
            .ok_or_else(|| AppError::NotFound("No such message in this chat.".into()))
    }

    /// A page of messages, oldest first. `next` continues in the direction asked: later
    /// messages after `after`, earlier ones for `before`/`latest`.
    pub async fn list_messages(
        &self,
        user_id: Uuid,
        chat_id: Uuid,
        query: &MessageQuery,
    ) -> Result<Page<Message>, AppError> {
        let limit = clamp_limit(query.limit, MAX_MESSAGE_PAGE)?;
        let window = match (&query.after, &query.before) {
            (Some(_), Some(_)) => {
                return Err(AppError::BadRequest(
                    "Use either after or before, not both.".into(),
                ))
            }
            (Some(a), None) => MessageWindow::After(parse_seq(a)?),
            (None, Some(b)) => MessageWindow::Before(parse_seq(b)?),
            (None, None) if query.latest => MessageWindow::Before(i64::MAX),
            (None, None) => MessageWindow::After(0),
        };
        let mut messages = self
            .store
            .list_messages(user_id, chat_id, window, limit + 1)
            .await?;
        let more = messages.len() as i64 > limit;
        if messages.is_empty() {
            // An empty page of someone else's chat must look like a missing chat.
            self.get_chat(user_id, chat_id).await?;
        }
        let next = match window {
            MessageWindow::After(_) if more => {
                messages.truncate(limit as usize);
                messages.last().map(|m| m.cursor.clone())
            }
            MessageWindow::Before(_) if more => {
                messages.remove(0);
                messages.first().map(|m| m.cursor.clone())
            }
            _ => None,
        };
        Ok(Page {
            data: messages,
            next,
        })
    }
}

fn clamp_limit(limit: Option<i64>, max: i64) -> Result<i64, AppError> {
    match limit {
        None => Ok(DEFAULT_PAGE.min(max)),
        Some(n) if (1..=max).contains(&n) => Ok(n),
        Some(_) => Err(AppError::validation(
            "limit",
            format!("limit must be between 1 and {max}."),
        )),
    }
}

fn chat_cursor(chat: &Chat) -> String {
    format!("{}_{}", chat.updated_at.timestamp_millis(), chat.id)
}

fn parse_chat_cursor(s: &str) -> Result<ChatCursor, AppError> {
    let (at, id) = s.split_once('_').ok_or_else(bad_cursor)?;
    Ok(ChatCursor {
        updated_at_ms: at.parse().map_err(|_| bad_cursor())?,
        id: Uuid::parse_str(id).map_err(|_| bad_cursor())?,
    })
}

fn parse_seq(s: &str) -> Result<i64, AppError> {
    s.parse::<i64>()
        .ok()
        .filter(|n| *n >= 0)
        .ok_or_else(bad_cursor)
}
