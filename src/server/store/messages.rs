//! Queries on `messages`. A message is reachable only through a chat its owner owns.

use sqlx::Row;
use uuid::Uuid;

use super::search::title_words;
use super::{from_millis, parse_id, role_of, to_millis, Store, StoreResult};
use crate::model::{Chat, Message, Role};
use crate::server::search::text::IndexTerms;

/// What is written for a new message.
#[derive(Debug, Clone)]
pub struct NewMessage<'a> {
    pub id: Uuid,
    pub role: Role,
    pub content: &'a str,
    pub data: Option<&'a str>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// The name the chat document gives the writer.
    pub author: &'a str,
    /// What the search index learns from it (`None`: not searchable, e.g. tool output).
    pub index: Option<&'a IndexTerms>,
    /// The message's id in the export it was imported from.
    pub source_id: Option<&'a str>,
}

/// Which slice of a chat's messages to read.
#[derive(Debug, Clone, Copy)]
pub enum MessageWindow {
    /// The oldest messages after this position.
    After(i64),
    /// The newest messages before this position (`i64::MAX`: the latest).
    Before(i64),
}

fn message_from_row(row: &sqlx::any::AnyRow) -> StoreResult<Message> {
    Ok(Message {
        id: parse_id(&row.try_get::<String, _>("id")?)?,
        role: role_of(row)?,
        content: row.try_get("content")?,
        data: row.try_get("data")?,
        created_at: from_millis(row.try_get("created_at")?)?,
        cursor: row.try_get::<i64, _>("seq")?.to_string(),
        html: None,
        shortened: false,
    })
}

/// What [`message_from_row`] reads, for the queries that hand out messages.
const MESSAGE_COLUMNS: &str = "messages.seq, messages.id, messages.role, messages.content, \
     messages.data, messages.created_at";

impl Store {
    /// Appends a message to the owner's chat and moves the chat's activity time; a user
    /// message also replaces a still-default title with `auto_title`. Returns the chat as it
    /// now is, or `None` (nothing written) when the chat is not the owner's.
    pub async fn append_message(
        &self,
        user_id: Uuid,
        chat_id: Uuid,
        message: &NewMessage<'_>,
        default_title: &str,
        auto_title: Option<&str>,
    ) -> StoreResult<Option<(Chat, Message)>> {
        Ok(self
            .append_messages(
                user_id,
                chat_id,
                std::slice::from_ref(message),
                default_title,
                auto_title,
                None,
            )
            .await?
            .map(|(chat, mut messages)| (chat, messages.remove(0))))
    }

    /// Appends messages in order, in one transaction (a chat imported whole costs one commit),
    /// with the usage of the run that wrote them, if any. `messages` must not be empty.
    /// `None` (nothing written) when the chat is not the owner's.
    pub async fn append_messages(
        &self,
        user_id: Uuid,
        chat_id: Uuid,
        messages: &[NewMessage<'_>],
        default_title: &str,
        auto_title: Option<&str>,
        usage: Option<&super::RunUsage>,
    ) -> StoreResult<Option<(Chat, Vec<Message>)>> {
        let Some(last) = messages.last() else {
            return Ok(None);
        };
        let mut tx = self.begin_write().await?;
        // Updating first both checks ownership and takes SQLite's write lock at once.
        let updated = sqlx::query(
            "update chats set updated_at = $1, \
             title = case when title = $2 and $3 <> '' then $3 else title end, \
             title_words = case when title = $2 and $3 <> '' then $6 else title_words end \
             where id = $4 and user_id = $5",
        )
        .bind(to_millis(last.created_at))
        .bind(default_title)
        .bind(auto_title.unwrap_or(""))
        .bind(chat_id.to_string())
        .bind(user_id.to_string())
        .bind(title_words(auto_title.unwrap_or("")))
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() == 0 {
            return Ok(None);
        }
        let mut stored = Vec::with_capacity(messages.len());
        let mut vocabulary = super::search::Vocabulary::new();
        for message in messages {
            let row = sqlx::query(
                "insert into messages (id, chat_id, role, content, data, created_at, author, \
                 source_id) values ($1, $2, $3, $4, $5, $6, $7, $8) returning seq",
            )
            .bind(message.id.to_string())
            .bind(chat_id.to_string())
            .bind(message.role.as_str())
            .bind(message.content)
            .bind(message.data)
            .bind(to_millis(message.created_at))
            .bind(message.author)
            .bind(message.source_id)
            .fetch_one(&mut *tx)
            .await?;
            let seq: i64 = row.try_get("seq")?;
            if let Some(terms) = message.index {
                Self::index_message(self.engine(), &mut tx, user_id, chat_id, seq, terms).await?;
                vocabulary.extend(terms.vocabulary.iter().map(|t| (user_id, t.clone())));
            }
            stored.push(Message {
                id: message.id,
                role: message.role,
                content: message.content.to_string(),
                data: message.data.map(str::to_string),
                created_at: message.created_at,
                cursor: seq.to_string(),
                html: None,
                shortened: false,
            });
        }
        Self::add_vocabulary(&mut tx, &vocabulary).await?;
        if let Some(usage) = usage {
            Self::insert_usage(&mut tx, user_id, chat_id, last.created_at, usage).await?;
        }
        let chat =
            sqlx::query("select id, title, agent, created_at, updated_at from chats where id = $1")
                .bind(chat_id.to_string())
                .fetch_one(&mut *tx)
                .await?;
        tx.commit().await?;
        let chat = Chat {
            id: chat_id,
            title: chat.try_get("title")?,
            agent: chat.try_get("agent")?,
            created_at: from_millis(chat.try_get("created_at")?)?,
            updated_at: from_millis(chat.try_get("updated_at")?)?,
        };
        Ok(Some((chat, stored)))
    }

    /// Deletes the owner's messages after position `seq` (their index entries go with them).
    /// Returns how many went.
    pub async fn delete_messages_after(
        &self,
        user_id: Uuid,
        chat_id: Uuid,
        seq: i64,
    ) -> StoreResult<u64> {
        let done = sqlx::query(
            "delete from messages where chat_id = $1 and seq > $2 \
             and chat_id in (select id from chats where id = $1 and user_id = $3)",
        )
        .bind(chat_id.to_string())
        .bind(seq)
        .bind(user_id.to_string())
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected())
    }

    /// A window of the owner's chat, always returned oldest first; `limit` rows.
    pub async fn list_messages(
        &self,
        user_id: Uuid,
        chat_id: Uuid,
        window: MessageWindow,
        limit: i64,
    ) -> StoreResult<Vec<Message>> {
        let (condition, order, position) = match window {
            MessageWindow::After(seq) => ("messages.seq > $3", "asc", seq),
            MessageWindow::Before(seq) => ("messages.seq < $3", "desc", seq),
        };
        let rows = sqlx::query(&format!(
            "select {MESSAGE_COLUMNS} from messages join chats on chats.id = messages.chat_id \
             where messages.chat_id = $1 and chats.user_id = $2 and {condition} \
             order by messages.seq {order} limit $4"
        ))
        .bind(chat_id.to_string())
        .bind(user_id.to_string())
        .bind(position)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        let mut messages = rows
            .iter()
            .map(message_from_row)
            .collect::<StoreResult<Vec<_>>>()?;
        if matches!(window, MessageWindow::Before(_)) {
            messages.reverse();
        }
        Ok(messages)
    }
}

/// A message as the chat document records it.
#[derive(Debug, Clone)]
pub struct DocumentMessage {
    pub seq: i64,
    pub role: Role,
    pub author: Option<String>,
    pub content: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

impl Store {
    /// All user and assistant messages of a chat, oldest first (the caller owns the chat).
    pub async fn document_messages(&self, chat_id: Uuid) -> StoreResult<Vec<DocumentMessage>> {
        let rows = sqlx::query(
            "select seq, role, author, content, created_at from messages \
             where chat_id = $1 and role in ('user', 'assistant') order by seq",
        )
        .bind(chat_id.to_string())
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(DocumentMessage {
                    seq: row.try_get("seq")?,
                    role: role_of(row)?,
                    author: row.try_get("author")?,
                    content: row.try_get("content")?,
                    created_at: from_millis(row.try_get("created_at")?)?,
                })
            })
            .collect()
    }

    /// One message of the owner's chat, or `None` when it is not there.
    pub async fn get_message(
        &self,
        user_id: Uuid,
        chat_id: Uuid,
        message_id: Uuid,
    ) -> StoreResult<Option<Message>> {
        let row = sqlx::query(&format!(
            "select {MESSAGE_COLUMNS} from messages join chats on chats.id = messages.chat_id \
             where messages.id = $1 and messages.chat_id = $2 and chats.user_id = $3"
        ))
        .bind(message_id.to_string())
        .bind(chat_id.to_string())
        .bind(user_id.to_string())
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(message_from_row).transpose()
    }

    /// The position of a message in the owner's chat, or `None` when it is not there.
    pub async fn message_seq(
        &self,
        user_id: Uuid,
        chat_id: Uuid,
        message_id: Uuid,
    ) -> StoreResult<Option<i64>> {
        let row = sqlx::query(
            "select messages.seq from messages join chats on chats.id = messages.chat_id \
             where messages.id = $1 and messages.chat_id = $2 and chats.user_id = $3",
        )
        .bind(message_id.to_string())
        .bind(chat_id.to_string())
        .bind(user_id.to_string())
        .fetch_optional(self.pool())
        .await?;
        row.map(|r| r.try_get("seq").map_err(super::StoreError::from))
            .transpose()
    }
}
