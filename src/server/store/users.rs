//! Queries on `users`.

use sqlx::Row;
use uuid::Uuid;

use super::{from_millis, parse_id, Store, StoreResult};
use crate::model::User;

/// A user row including the password hash; never leaves the server.
#[derive(Debug, Clone)]
pub struct UserRow {
    pub user: User,
    pub password_hash: String,
}

pub(super) const USER_COLUMNS: &str =
    "users.id, users.login, users.display_name, users.about, users.created_at, users.password_hash";

pub(super) fn user_from_row(row: &sqlx::any::AnyRow) -> StoreResult<UserRow> {
    Ok(UserRow {
        user: User {
            id: parse_id(&row.try_get::<String, _>("id")?)?,
            login: row.try_get("login")?,
            display_name: row.try_get("display_name")?,
            about: row.try_get("about")?,
            created_at: from_millis(row.try_get("created_at")?)?,
        },
        password_hash: row.try_get("password_hash")?,
    })
}

impl Store {
    /// Inserts a user; a login whose lowercased form exists already gives `StoreError::Conflict`.
    pub async fn insert_user(
        &self,
        user: &User,
        login_key: &str,
        password_hash: &str,
    ) -> StoreResult<()> {
        let now = super::to_millis(user.created_at);
        sqlx::query(
            "insert into users (id, login, login_key, password_hash, display_name, about, created_at, updated_at) \
             values ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(user.id.to_string())
        .bind(&user.login)
        .bind(login_key)
        .bind(password_hash)
        .bind(&user.display_name)
        .bind(&user.about)
        .bind(now)
        .bind(now)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn user_by_login_key(&self, login_key: &str) -> StoreResult<Option<UserRow>> {
        let row = sqlx::query(&format!(
            "select {USER_COLUMNS} from users where login_key = $1"
        ))
        .bind(login_key)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    pub async fn user_by_id(&self, user_id: Uuid) -> StoreResult<Option<UserRow>> {
        let row = sqlx::query(&format!("select {USER_COLUMNS} from users where id = $1"))
            .bind(user_id.to_string())
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    /// Updates display name and about; returns false when the user does not exist.
    pub async fn update_user_profile(
        &self,
        user_id: Uuid,
        display_name: &str,
        about: &str,
        now_ms: i64,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "update users set display_name = $1, about = $2, updated_at = $3 where id = $4",
        )
        .bind(display_name)
        .bind(about)
        .bind(now_ms)
        .bind(user_id.to_string())
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Sets a new password hash and, in the same transaction, ends every session of the user
    /// (the browser that asked gets `new_session` in its place) and, if asked, revokes every API key.
    pub async fn change_password(
        &self,
        user_id: Uuid,
        password_hash: &str,
        new_session: Option<&super::NewSession<'_>>,
        revoke_api_keys: bool,
        now_ms: i64,
    ) -> StoreResult<()> {
        let mut tx = self.pool().begin().await?;
        sqlx::query("update users set password_hash = $1, updated_at = $2 where id = $3")
            .bind(password_hash)
            .bind(now_ms)
            .bind(user_id.to_string())
            .execute(&mut *tx)
            .await?;
        sqlx::query("delete from auth_sessions where user_id = $1")
            .bind(user_id.to_string())
            .execute(&mut *tx)
            .await?;
        if revoke_api_keys {
            sqlx::query("delete from api_keys where user_id = $1")
                .bind(user_id.to_string())
                .execute(&mut *tx)
                .await?;
        }
        if let Some(session) = new_session {
            super::auth_sessions::insert_session_on(&mut tx, session).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Deletes a user; sessions and keys go with it by cascade.
    pub async fn delete_user(&self, user_id: Uuid) -> StoreResult<bool> {
        let done = sqlx::query("delete from users where id = $1")
            .bind(user_id.to_string())
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() == 1)
    }
}
