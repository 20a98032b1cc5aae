//! Queries on `auth_sessions`: login sessions looked up by the hash of their token.

use sqlx::Row;
use uuid::Uuid;

use super::users::{user_from_row, UserRow, USER_COLUMNS};
use super::{from_millis, parse_id, Store, StoreResult};

/// What is written when a session starts.
#[derive(Debug, Clone)]
pub struct NewSession<'a> {
    pub id: Uuid,
    pub user_id: Uuid,
    pub token_hash: &'a str,
    pub now_ms: i64,
    pub expires_at_ms: i64,
    pub absolute_expires_at_ms: i64,
    pub user_agent: Option<&'a str>,
    pub ip: Option<&'a str>,
}

/// A session as listed for its owner.
#[derive(Debug, Clone)]
pub struct SessionRow {
    pub id: Uuid,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub last_seen_at: chrono::DateTime<chrono::Utc>,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
}

/// A live session together with its user, as the middleware needs them.
#[derive(Debug, Clone)]
pub struct SessionUserRow {
    pub session_id: Uuid,
    pub last_seen_at_ms: i64,
    pub absolute_expires_at_ms: i64,
    pub user: UserRow,
}

impl Store {
    pub async fn insert_session(&self, s: &NewSession<'_>) -> StoreResult<()> {
        let mut conn = self.pool().acquire().await?;
        insert_session_on(&mut conn, s).await
    }

    /// Inserts a login's session only while the account's password hash is still the one the
    /// login checked and the account is enabled: a login that verified the old password while
    /// the password changed (which ends every session) gets no session. False when it did not.
    pub async fn insert_session_if_password(
        &self,
        s: &NewSession<'_>,
        password_hash: &str,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "insert into auth_sessions (id, user_id, token_hash, created_at, last_seen_at, expires_at, absolute_expires_at, user_agent, ip) \
             select $1, $2, $3, $4, $4, $5, $6, $7, $8 \
             where exists (select 1 from users where id = $2 and password_hash = $9 and disabled = 0)",
        )
        .bind(s.id.to_string())
        .bind(s.user_id.to_string())
        .bind(s.token_hash)
        .bind(s.now_ms)
        .bind(s.expires_at_ms)
        .bind(s.absolute_expires_at_ms)
        .bind(s.user_agent)
        .bind(s.ip)
        .bind(password_hash)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The unexpired session with this token hash, and its user.
    pub async fn live_session_by_token_hash(
        &self,
        token_hash: &str,
        now_ms: i64,
    ) -> StoreResult<Option<SessionUserRow>> {
        let row = sqlx::query(&format!(
            "select auth_sessions.id as session_id, auth_sessions.last_seen_at, auth_sessions.absolute_expires_at, {USER_COLUMNS} \
             from auth_sessions join users on users.id = auth_sessions.user_id \
             where auth_sessions.token_hash = $1 and auth_sessions.expires_at > $2 and auth_sessions.absolute_expires_at > $2 \
             and users.disabled = 0"
        ))
        .bind(token_hash)
        .bind(now_ms)
        .fetch_optional(self.pool())
        .await?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(SessionUserRow {
            session_id: parse_id(&row.try_get::<String, _>("session_id")?)?,
            last_seen_at_ms: row.try_get("last_seen_at")?,
            absolute_expires_at_ms: row.try_get("absolute_expires_at")?,
            user: user_from_row(&row)?,
        }))
    }

    /// Moves a session's sliding expiry forward.
    pub async fn touch_session(
        &self,
        session_id: Uuid,
        now_ms: i64,
        expires_at_ms: i64,
    ) -> StoreResult<()> {
        sqlx::query("update auth_sessions set last_seen_at = $1, expires_at = $2 where id = $3")
            .bind(now_ms)
            .bind(expires_at_ms)
            .bind(session_id.to_string())
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// The owner's live sessions, most recently used first.
    pub async fn list_sessions(&self, user_id: Uuid, now_ms: i64) -> StoreResult<Vec<SessionRow>> {
        let rows = sqlx::query(
            "select id, created_at, last_seen_at, user_agent, ip from auth_sessions \
             where user_id = $1 and expires_at > $2 and absolute_expires_at > $2 \
             order by last_seen_at desc, id",
        )
        .bind(user_id.to_string())
        .bind(now_ms)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(SessionRow {
                    id: parse_id(&row.try_get::<String, _>("id")?)?,
                    created_at: from_millis(row.try_get("created_at")?)?,
                    last_seen_at: from_millis(row.try_get("last_seen_at")?)?,
                    user_agent: row.try_get("user_agent")?,
                    ip: row.try_get("ip")?,
                })
            })
            .collect()
    }

    /// Ends one session of this owner; false when it is not theirs or does not exist.
    pub async fn delete_session(&self, user_id: Uuid, session_id: Uuid) -> StoreResult<bool> {
        let done = sqlx::query("delete from auth_sessions where id = $1 and user_id = $2")
            .bind(session_id.to_string())
            .bind(user_id.to_string())
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Removes every session past either expiry; returns how many went.
    pub async fn purge_expired_sessions(&self, now_ms: i64) -> StoreResult<u64> {
        let done = sqlx::query(
            "delete from auth_sessions where expires_at <= $1 or absolute_expires_at <= $1",
        )
        .bind(now_ms)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected())
    }
}

/// Inserts a session on `conn` (a pooled connection, or a transaction).
pub(super) async fn insert_session_on(
    conn: &mut sqlx::AnyConnection,
    s: &NewSession<'_>,
) -> StoreResult<()> {
    sqlx::query(
        "insert into auth_sessions (id, user_id, token_hash, created_at, last_seen_at, expires_at, absolute_expires_at, user_agent, ip) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(s.id.to_string())
    .bind(s.user_id.to_string())
    .bind(s.token_hash)
    .bind(s.now_ms)
    .bind(s.now_ms)
    .bind(s.expires_at_ms)
    .bind(s.absolute_expires_at_ms)
    .bind(s.user_agent)
    .bind(s.ip)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
