//! Queries on `instance_secrets`: server-wide keys made once and shared by every process.

use sqlx::Row;

use super::{Store, StoreResult};

impl Store {
    /// The secret stored under `name`; the first caller's `candidate` becomes it, so processes
    /// starting together on one database all end up with the same value.
    pub async fn instance_secret(&self, name: &str, candidate: &str) -> StoreResult<String> {
        sqlx::query(
            "insert into instance_secrets (name, value) values ($1, $2) \
             on conflict (name) do nothing",
        )
        .bind(name)
        .bind(candidate)
        .execute(self.pool())
        .await?;
        let row = sqlx::query("select value from instance_secrets where name = $1")
            .bind(name)
            .fetch_one(self.pool())
            .await?;
        Ok(row.try_get("value")?)
    }
}
