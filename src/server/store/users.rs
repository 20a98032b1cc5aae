//! Queries on `users`.

use sqlx::Row;
use uuid::Uuid;

use super::admin::{AdminChange, LEAVES_AN_ADMIN};
use super::{from_millis, parse_id, Store, StoreError, StoreResult};
use crate::model::{AccountRole, User};

/// A user row including the password hash; never leaves the server.
#[derive(Debug, Clone)]
pub struct UserRow {
    pub user: User,
    pub password_hash: String,
    pub disabled: bool,
    pub daily_token_limit: Option<i64>,
}

pub(super) const USER_COLUMNS: &str = "users.id, users.login, users.display_name, users.about, \
     users.created_at, users.password_hash, users.role, users.disabled, users.daily_token_limit, \
     users.language";

pub(super) fn user_from_row(row: &sqlx::any::AnyRow) -> StoreResult<UserRow> {
    let role: String = row.try_get("role")?;
    Ok(UserRow {
        user: User {
            id: parse_id(&row.try_get::<String, _>("id")?)?,
            login: row.try_get("login")?,
            display_name: row.try_get("display_name")?,
            about: row.try_get("about")?,
            created_at: from_millis(row.try_get("created_at")?)?,
            role: AccountRole::parse(&role)
                .ok_or_else(|| StoreError::Corrupt(format!("unknown role {role:?}")))?,
            language: row.try_get("language")?,
        },
        password_hash: row.try_get("password_hash")?,
        disabled: row.try_get::<i64, _>("disabled")? != 0,
        daily_token_limit: row.try_get("daily_token_limit")?,
    })
}

/// Who may create an account now (`MARUNTIME_REGISTRATION`). The first account of an empty
/// instance is always admitted, and becomes its admin.
#[derive(Debug, Clone, Copy)]
pub enum Admission<'a> {
    Open,
    Closed,
    /// With the hash of the invite's token, used up by this registration.
    Invite(Option<&'a str>),
}

/// Why an account was not admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    Closed,
    /// No invite, or one that is unknown, used or expired.
    NoUsableInvite,
}

impl Store {
    /// Inserts a user with open registration (tests and tools); see [`Store::admit_user`].
    pub async fn insert_user(
        &self,
        user: &User,
        login_key: &str,
        password_hash: &str,
    ) -> StoreResult<AccountRole> {
        match self
            .admit_user(user, login_key, password_hash, Admission::Open)
            .await?
        {
            Ok(role) => Ok(role),
            Err(refusal) => Err(StoreError::Corrupt(format!(
                "open registration refused: {refusal:?}"
            ))),
        }
    }

    /// Inserts a user if `admission` lets them in, all in one transaction: the first account
    /// of the instance claims it (and is admin, whatever the admission); an invite is used
    /// up. A login whose lowercased form exists already gives `StoreError::Conflict`.
    pub async fn admit_user(
        &self,
        user: &User,
        login_key: &str,
        password_hash: &str,
        admission: Admission<'_>,
    ) -> StoreResult<Result<AccountRole, Refusal>> {
        let now = super::to_millis(user.created_at);
        let mut tx = self.begin_write().await?;
        // Claims the instance, or locks its owner row until this account is committed: an
        // upsert that conflicts takes the row's lock (a plain `do nothing` would not), so a
        // deletion of the last account waits for it (see `delete_user`), and one that went
        // first has removed the row, so this account claims the instance.
        let owner: String = sqlx::query(
            "insert into instance_owner (id, user_id, claimed_at) values (1, $1, $2) \
             on conflict (id) do update set claimed_at = instance_owner.claimed_at \
             returning user_id",
        )
        .bind(user.id.to_string())
        .bind(now)
        .fetch_one(&mut *tx)
        .await?
        .try_get("user_id")?;
        let first = owner == user.id.to_string();
        if !first && matches!(admission, Admission::Closed) {
            return Ok(Err(Refusal::Closed));
        }
        let role = if first {
            AccountRole::Admin
        } else {
            AccountRole::User
        };
        sqlx::query(
            "insert into users (id, login, login_key, password_hash, display_name, about, created_at, updated_at, role) \
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(user.id.to_string())
        .bind(&user.login)
        .bind(login_key)
        .bind(password_hash)
        .bind(&user.display_name)
        .bind(&user.about)
        .bind(now)
        .bind(now)
        .bind(role.as_str())
        .execute(&mut *tx)
        .await?;
        if let (false, Admission::Invite(token_hash)) = (first, admission) {
            let used = sqlx::query(
                "update invites set used_at = $1, used_by = $2 \
                 where token_hash = $3 and used_at is null and expires_at > $1",
            )
            .bind(now)
            .bind(user.id.to_string())
            .bind(token_hash.unwrap_or(""))
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if used != 1 {
                return Ok(Err(Refusal::NoUsableInvite));
            }
        }
        tx.commit().await?;
        Ok(Ok(role))
    }

    /// True once any account exists (the first one claimed the instance).
    pub async fn has_owner(&self) -> StoreResult<bool> {
        let row = sqlx::query("select count(*) as n from instance_owner")
            .fetch_one(self.pool())
            .await?;
        Ok(row.try_get::<i64, _>("n")? > 0)
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

    /// Sets the web UI's language (`None`: the browser's); returns false when the user does
    /// not exist.
    pub async fn set_user_language(
        &self,
        user_id: Uuid,
        language: Option<&str>,
        now_ms: i64,
    ) -> StoreResult<bool> {
        let done = sqlx::query("update users set language = $1, updated_at = $2 where id = $3")
            .bind(language)
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
        let mut tx = self.begin_write().await?;
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

    /// Deletes a user; sessions and keys go with it by cascade. The last enabled admin stays
    /// while other accounts exist (someone must run the instance); when the last account goes,
    /// the instance is empty again and its next account is the admin.
    pub async fn delete_user(&self, user_id: Uuid) -> StoreResult<AdminChange> {
        let mut tx = self.begin_write().await?;
        // The owner row first: a registration in flight holds it (see `admit_user`), so
        // "no account is left" is decided after it commits, never beside it.
        if self.engine() == super::Engine::Postgres {
            sqlx::query("select user_id from instance_owner where id = 1 for update")
                .fetch_optional(&mut *tx)
                .await?;
        }
        self.lock_admins(&mut tx, user_id).await?;
        let done = sqlx::query(&format!(
            "delete from users where id = $1 and ({LEAVES_AN_ADMIN} \
               or not exists (select 1 from users o where o.id <> $1))"
        ))
        .bind(user_id.to_string())
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 1 {
            sqlx::query("delete from instance_owner where not exists (select 1 from users)")
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        self.change_outcome(user_id, done.rows_affected()).await
    }
}
