//! Queries for the instance's administration: accounts with their activity, roles, disabled
//! accounts, limits, and invites.

use sqlx::Row;
use uuid::Uuid;

use super::{from_millis, parse_id, Store, StoreResult};
use crate::model::{AccountRole, AdminUser, InviteInfo};

/// What stops a role change or a disable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminChange {
    Done,
    NoSuchUser,
    /// It would leave the instance without an enabled admin.
    LastAdmin,
}

/// Whether an invite's token can still be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InviteState {
    Usable,
    Used,
    Expired,
}

/// `WHERE` clause shared by the changes that must leave an enabled admin behind: true when the
/// account ($id) is not an enabled admin, or another enabled admin exists.
pub(super) const LEAVES_AN_ADMIN: &str = "(role <> 'admin' or disabled <> 0 or \
     (select count(*) from users o where o.role = 'admin' and o.disabled = 0 and o.id <> $1) > 0)";

/// An account with its activity; `$1` is the start of the 30 days whose tokens count.
const ADMIN_USER_SELECT: &str = "select u.id, u.login, u.display_name, u.role, u.disabled, \
     u.created_at, u.daily_token_limit, \
     (select max(s.last_seen_at) from auth_sessions s where s.user_id = u.id) as last_session, \
     (select max(k.last_used_at) from api_keys k where k.user_id = u.id) as last_key, \
     (select count(*) from chats c where c.user_id = u.id) as chats, \
     (select count(*) from messages m join chats c on c.id = m.chat_id where c.user_id = u.id) as messages, \
     (select cast(coalesce(sum(r.prompt_tokens + r.completion_tokens), 0) as bigint) \
        from run_usage r where r.owner = u.id and r.at >= $1) as tokens_30d \
     from users u";

impl Store {
    /// One page of accounts, oldest first, whose login or display name contains `search`.
    pub async fn admin_users(
        &self,
        search: &str,
        limit: i64,
        offset: i64,
        since_ms: i64,
    ) -> StoreResult<Vec<AdminUser>> {
        let pattern = format!(
            "%{}%",
            search
                .to_lowercase()
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        // The page's ids first, so the activity columns are counted for its rows only.
        let rows = sqlx::query(&format!(
            "{ADMIN_USER_SELECT} join (select p.id from users p \
               where $2 = '%%' or p.login_key like $2 escape '\\' \
                  or lower(p.display_name) like $2 escape '\\' \
               order by p.created_at, p.id limit $3 offset $4) page on page.id = u.id \
             order by u.created_at, u.id"
        ))
        .bind(since_ms)
        .bind(pattern)
        .bind(limit)
        .bind(offset)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(admin_user_from_row).collect()
    }

    pub async fn admin_user(&self, user_id: Uuid, since_ms: i64) -> StoreResult<Option<AdminUser>> {
        let row = sqlx::query(&format!("{ADMIN_USER_SELECT} where u.id = $2"))
            .bind(since_ms)
            .bind(user_id.to_string())
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(admin_user_from_row).transpose()
    }

    /// Sets the role, refusing to demote the last enabled admin.
    pub async fn set_role(&self, user_id: Uuid, role: AccountRole) -> StoreResult<AdminChange> {
        let mut tx = self.begin_write().await?;
        self.lock_admins(&mut tx, user_id).await?;
        let done = sqlx::query(&format!(
            "update users set role = $2 where id = $1 and ($2 = 'admin' or {LEAVES_AN_ADMIN})"
        ))
        .bind(user_id.to_string())
        .bind(role.as_str())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        self.change_outcome(user_id, done.rows_affected()).await
    }

    /// Disables an account and, in the same transaction, ends all its sessions and revokes
    /// its API keys (its next request is 401); or enables it again. The last enabled admin
    /// cannot be disabled.
    pub async fn set_disabled(&self, user_id: Uuid, disabled: bool) -> StoreResult<AdminChange> {
        let mut tx = self.begin_write().await?;
        self.lock_admins(&mut tx, user_id).await?;
        let sql = if disabled {
            format!("update users set disabled = 1 where id = $1 and {LEAVES_AN_ADMIN}")
        } else {
            "update users set disabled = 0 where id = $1".to_string()
        };
        let done = sqlx::query(&sql)
            .bind(user_id.to_string())
            .execute(&mut *tx)
            .await?;
        if disabled && done.rows_affected() == 1 {
            for table in ["auth_sessions", "api_keys"] {
                sqlx::query(&format!("delete from {table} where user_id = $1"))
                    .bind(user_id.to_string())
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await?;
        self.change_outcome(user_id, done.rows_affected()).await
    }

    /// Two admins demoting, disabling or deleting each other at once must not both succeed.
    /// SQLite runs one writer at a time, and each change counts the other admins inside its
    /// own write. PostgreSQL runs them side by side, each counting in its own snapshot: there
    /// a change to an enabled admin first locks the enabled admins' rows (in one order, and
    /// `no key update`, so inserts that only reference a user are not held up), and the
    /// second change waits for the first and counts after it.
    pub(super) async fn lock_admins(
        &self,
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        target: Uuid,
    ) -> StoreResult<()> {
        if self.engine() == super::Engine::Postgres {
            sqlx::query(
                "select id from users where role = 'admin' and disabled = 0 \
                   and exists (select 1 from users t \
                     where t.id = $1 and t.role = 'admin' and t.disabled = 0) \
                 order by id for no key update",
            )
            .bind(target.to_string())
            .fetch_all(&mut **tx)
            .await?;
        }
        Ok(())
    }

    /// Sets (or, with `None`, clears) an account's own daily token limit.
    pub async fn set_daily_token_limit(
        &self,
        user_id: Uuid,
        limit: Option<i64>,
    ) -> StoreResult<bool> {
        let done = sqlx::query("update users set daily_token_limit = $2 where id = $1")
            .bind(user_id.to_string())
            .bind(limit)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() == 1)
    }

    pub(super) async fn change_outcome(
        &self,
        user_id: Uuid,
        changed: u64,
    ) -> StoreResult<AdminChange> {
        Ok(if changed == 1 {
            AdminChange::Done
        } else if self.user_by_id(user_id).await?.is_some() {
            AdminChange::LastAdmin
        } else {
            AdminChange::NoSuchUser
        })
    }

    pub async fn insert_invite(
        &self,
        id: Uuid,
        token_hash: &str,
        created_by: Uuid,
        created_at_ms: i64,
        expires_at_ms: i64,
    ) -> StoreResult<()> {
        sqlx::query(
            "insert into invites (id, token_hash, created_by, created_at, expires_at) \
             values ($1, $2, $3, $4, $5)",
        )
        .bind(id.to_string())
        .bind(token_hash)
        .bind(created_by.to_string())
        .bind(created_at_ms)
        .bind(expires_at_ms)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Every invite, newest first.
    pub async fn list_invites(&self) -> StoreResult<Vec<InviteInfo>> {
        let rows = sqlx::query(
            "select id, created_at, expires_at, used_at from invites order by created_at desc, id",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(InviteInfo {
                    id: parse_id(&row.try_get::<String, _>("id")?)?,
                    created_at: from_millis(row.try_get("created_at")?)?,
                    expires_at: from_millis(row.try_get("expires_at")?)?,
                    used_at: row
                        .try_get::<Option<i64>, _>("used_at")?
                        .map(from_millis)
                        .transpose()?,
                })
            })
            .collect()
    }

    pub async fn delete_invite(&self, id: Uuid) -> StoreResult<bool> {
        let done = sqlx::query("delete from invites where id = $1")
            .bind(id.to_string())
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The state of the invite with this token hash; `None` when there is none.
    pub async fn invite_state(
        &self,
        token_hash: &str,
        now_ms: i64,
    ) -> StoreResult<Option<InviteState>> {
        let row = sqlx::query("select expires_at, used_at from invites where token_hash = $1")
            .bind(token_hash)
            .fetch_optional(self.pool())
            .await?;
        let Some(row) = row else { return Ok(None) };
        let used: Option<i64> = row.try_get("used_at")?;
        let expires: i64 = row.try_get("expires_at")?;
        Ok(Some(if used.is_some() {
            InviteState::Used
        } else if expires <= now_ms {
            InviteState::Expired
        } else {
            InviteState::Usable
        }))
    }
}

fn admin_user_from_row(row: &sqlx::any::AnyRow) -> StoreResult<AdminUser> {
    let role: String = row.try_get("role")?;
    let last_session: Option<i64> = row.try_get("last_session")?;
    let last_key: Option<i64> = row.try_get("last_key")?;
    Ok(AdminUser {
        id: parse_id(&row.try_get::<String, _>("id")?)?,
        login: row.try_get("login")?,
        display_name: row.try_get("display_name")?,
        role: AccountRole::parse(&role).unwrap_or_default(),
        disabled: row.try_get::<i64, _>("disabled")? != 0,
        created_at: from_millis(row.try_get("created_at")?)?,
        last_active_at: last_session.max(last_key).map(from_millis).transpose()?,
        chats: row.try_get("chats")?,
        messages: row.try_get("messages")?,
        tokens_30d: row.try_get("tokens_30d")?,
        daily_token_limit: row.try_get("daily_token_limit")?,
    })
}
