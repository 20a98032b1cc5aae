//! Queries on `api_keys`: keys looked up by the hash of the key.

use sqlx::Row;
use uuid::Uuid;

use super::users::{user_from_row, UserRow, USER_COLUMNS};
use super::{from_millis, parse_id, Store, StoreResult};
use crate::model::ApiKeyInfo;

impl Store {
    /// Inserts a key, only while the owner's password hash is still `password_hash` (the one
    /// just checked): a key confirmed with a password that changed meanwhile is not made.
    /// False when it was not.
    pub async fn insert_api_key(
        &self,
        key: &ApiKeyInfo,
        user_id: Uuid,
        key_hash: &str,
        password_hash: &str,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "insert into api_keys (id, user_id, name, key_hash, prefix, created_at, expires_at) \
             select $1, $2, $3, $4, $5, $6, $7 \
             where exists (select 1 from users where id = $2 and password_hash = $8 and disabled = 0)",
        )
        .bind(key.id.to_string())
        .bind(user_id.to_string())
        .bind(&key.name)
        .bind(key_hash)
        .bind(&key.prefix)
        .bind(super::to_millis(key.created_at))
        .bind(key.expires_at.map(super::to_millis))
        .bind(password_hash)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The owner's keys, newest first.
    pub async fn list_api_keys(&self, user_id: Uuid) -> StoreResult<Vec<ApiKeyInfo>> {
        let rows = sqlx::query(
            "select id, name, prefix, created_at, last_used_at, expires_at from api_keys \
             where user_id = $1 order by created_at desc, id",
        )
        .bind(user_id.to_string())
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(ApiKeyInfo {
                    id: parse_id(&row.try_get::<String, _>("id")?)?,
                    name: row.try_get("name")?,
                    prefix: row.try_get("prefix")?,
                    created_at: from_millis(row.try_get("created_at")?)?,
                    last_used_at: row
                        .try_get::<Option<i64>, _>("last_used_at")?
                        .map(from_millis)
                        .transpose()?,
                    expires_at: row
                        .try_get::<Option<i64>, _>("expires_at")?
                        .map(from_millis)
                        .transpose()?,
                })
            })
            .collect()
    }

    /// Revokes one key of this owner; false when it is not theirs or does not exist.
    pub async fn delete_api_key(&self, user_id: Uuid, key_id: Uuid) -> StoreResult<bool> {
        let done = sqlx::query("delete from api_keys where id = $1 and user_id = $2")
            .bind(key_id.to_string())
            .bind(user_id.to_string())
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The user owning the unexpired key with this hash, with the key's id and last use.
    pub async fn user_by_api_key_hash(
        &self,
        key_hash: &str,
        now_ms: i64,
    ) -> StoreResult<Option<(Uuid, Option<i64>, UserRow)>> {
        let row = sqlx::query(&format!(
            "select api_keys.id as key_id, api_keys.last_used_at, {USER_COLUMNS} \
             from api_keys join users on users.id = api_keys.user_id \
             where api_keys.key_hash = $1 and (api_keys.expires_at is null or api_keys.expires_at > $2) \
             and users.disabled = 0"
        ))
        .bind(key_hash)
        .bind(now_ms)
        .fetch_optional(self.pool())
        .await?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some((
            parse_id(&row.try_get::<String, _>("key_id")?)?,
            row.try_get("last_used_at")?,
            user_from_row(&row)?,
        )))
    }

    pub async fn touch_api_key(&self, key_id: Uuid, now_ms: i64) -> StoreResult<()> {
        sqlx::query("update api_keys set last_used_at = $1 where id = $2")
            .bind(now_ms)
            .bind(key_id.to_string())
            .execute(self.pool())
            .await?;
        Ok(())
    }
}
