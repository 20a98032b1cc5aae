//! Queries on `chats`. Every query takes the owner's id and filters by it.

use sqlx::Row;
use uuid::Uuid;

use super::search::title_words;
use super::{from_millis, parse_id, to_millis, Store, StoreResult};
use crate::model::Chat;

const CHAT_COLUMNS: &str = "id, title, agent, created_at, updated_at";

fn chat_from_row(row: &sqlx::any::AnyRow) -> StoreResult<Chat> {
    Ok(Chat {
        id: parse_id(&row.try_get::<String, _>("id")?)?,
        title: row.try_get("title")?,
        agent: row.try_get("agent")?,
        created_at: from_millis(row.try_get("created_at")?)?,
        updated_at: from_millis(row.try_get("updated_at")?)?,
    })
}

/// A position in the chat list: newest activity first, ties broken by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChatCursor {
    pub updated_at_ms: i64,
    pub id: Uuid,
}

impl Store {
    /// `user_name`: the owner's display name now, which the chat document keeps; `source`:
    /// where an imported chat came from (`chatgpt:<id>` …), unique per owner.
    pub async fn insert_chat(
        &self,
        user_id: Uuid,
        user_name: &str,
        chat: &Chat,
        source: Option<&str>,
    ) -> StoreResult<()> {
        sqlx::query(
            "insert into chats (id, user_id, title, agent, created_at, updated_at, user_name, \
             title_words, source) values ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(chat.id.to_string())
        .bind(user_id.to_string())
        .bind(&chat.title)
        .bind(&chat.agent)
        .bind(to_millis(chat.created_at))
        .bind(to_millis(chat.updated_at))
        .bind(user_name)
        .bind(title_words(&chat.title))
        .bind(source)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The owner's chats after `before` (exclusive), newest activity first; `limit` rows.
    pub async fn list_chats(
        &self,
        user_id: Uuid,
        before: Option<ChatCursor>,
        limit: i64,
    ) -> StoreResult<Vec<Chat>> {
        let rows = match before {
            None => {
                sqlx::query(&format!(
                    "select {CHAT_COLUMNS} from chats where user_id = $1 \
                     order by updated_at desc, id desc limit $2"
                ))
                .bind(user_id.to_string())
                .bind(limit)
                .fetch_all(self.pool())
                .await?
            }
            Some(cursor) => {
                sqlx::query(&format!(
                    "select {CHAT_COLUMNS} from chats where user_id = $1 \
                     and (updated_at < $2 or (updated_at = $2 and id < $3)) \
                     order by updated_at desc, id desc limit $4"
                ))
                .bind(user_id.to_string())
                .bind(cursor.updated_at_ms)
                .bind(cursor.id.to_string())
                .bind(limit)
                .fetch_all(self.pool())
                .await?
            }
        };
        rows.iter().map(chat_from_row).collect()
    }

    pub async fn get_chat(&self, user_id: Uuid, chat_id: Uuid) -> StoreResult<Option<Chat>> {
        let row = sqlx::query(&format!(
            "select {CHAT_COLUMNS} from chats where id = $1 and user_id = $2"
        ))
        .bind(chat_id.to_string())
        .bind(user_id.to_string())
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(chat_from_row).transpose()
    }

    /// Renames the owner's chat; `None` when it is not theirs or does not exist.
    pub async fn rename_chat(
        &self,
        user_id: Uuid,
        chat_id: Uuid,
        title: &str,
    ) -> StoreResult<Option<Chat>> {
        let done = sqlx::query(
            "update chats set title = $1, title_words = $4 where id = $2 and user_id = $3",
        )
        .bind(title)
        .bind(chat_id.to_string())
        .bind(user_id.to_string())
        .bind(title_words(title))
        .execute(self.pool())
        .await?;
        if done.rows_affected() == 0 {
            return Ok(None);
        }
        self.get_chat(user_id, chat_id).await
    }

    /// Deletes the owner's chat and (by cascade) its messages.
    pub async fn delete_chat(&self, user_id: Uuid, chat_id: Uuid) -> StoreResult<bool> {
        let done = sqlx::query("delete from chats where id = $1 and user_id = $2")
            .bind(chat_id.to_string())
            .bind(user_id.to_string())
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() == 1)
    }
}

/// A chat as the chat document's header describes it.
#[derive(Debug, Clone)]
pub struct DocumentChat {
    pub id: Uuid,
    pub user_id: Uuid,
    /// The display name when the chat began, or the current one for chats from before that
    /// was recorded.
    pub user_name: String,
    pub agent: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

impl Store {
    /// Every chat (of one user, or of all), for rebuilding and verifying documents.
    pub async fn document_chats(&self, user_id: Option<Uuid>) -> StoreResult<Vec<DocumentChat>> {
        let scope = if user_id.is_some() {
            "where chats.user_id = $1"
        } else {
            ""
        };
        let sql = format!(
            "select chats.id, chats.user_id, coalesce(chats.user_name, users.display_name) as user_name, \
             chats.agent, chats.created_at from chats join users on users.id = chats.user_id {scope} \
             order by chats.user_id, chats.created_at"
        );
        let mut query = sqlx::query(&sql);
        if let Some(user) = user_id {
            query = query.bind(user.to_string());
        }
        let rows = query.fetch_all(self.pool()).await?;
        rows.iter()
            .map(|row| {
                Ok(DocumentChat {
                    id: parse_id(&row.try_get::<String, _>("id")?)?,
                    user_id: parse_id(&row.try_get::<String, _>("user_id")?)?,
                    user_name: row.try_get("user_name")?,
                    agent: row.try_get("agent")?,
                    created_at: from_millis(row.try_get("created_at")?)?,
                })
            })
            .collect()
    }
}
