//! Leases for the jobs one process runs for the whole instance (the expired-session purge,
//! indexing stored messages at first start). On PostgreSQL a lease is a session-level
//! advisory lock held on a connection of its own, outside the pool: when its process dies,
//! the database closes the connection, the lock goes with it, and another process takes
//! the lease on its next try. SQLite serves one process, which always holds every lease.

use sqlx::AnyConnection;
use sqlx::{Connection, Row};

use super::{Engine, Store, StoreResult};

/// An instance-wide job's lease, held while it exists.
pub struct Lease {
    /// The connection holding the advisory lock (PostgreSQL only).
    conn: Option<AnyConnection>,
}

impl Lease {
    /// Whether the lease is still held: its connection still answers (a restarted database
    /// or a cut connection has dropped the lock).
    pub async fn is_held(&mut self) -> bool {
        match &mut self.conn {
            None => true,
            Some(conn) => conn.ping().await.is_ok(),
        }
    }
}

/// Advisory lock keys: fixed numbers, one per kind of job ("mrt" and a job number).
#[derive(Debug, Clone, Copy)]
pub enum Job {
    /// Every periodic instance-wide job (the session purge) and first-start indexing.
    Housekeeping = 1,
}

const KEY_BASE: i64 = 0x6d72_7400_0000;

impl Job {
    /// The advisory lock key (PostgreSQL shows it in `pg_locks` as `classid`, `objid`).
    pub fn key(self) -> i64 {
        KEY_BASE + self as i64
    }
}

impl Store {
    /// Takes `job`'s lease when no other process holds it (`None` then).
    pub async fn try_lease(&self, job: Job) -> StoreResult<Option<Lease>> {
        if self.engine() == Engine::Sqlite {
            return Ok(Some(Lease { conn: None }));
        }
        // Its own connection: the lock must live exactly as long as the lease, never be
        // handed back to the pool with it.
        let mut conn = self.pool().acquire().await?.detach();
        let taken: bool = sqlx::query("select pg_try_advisory_lock($1) as taken")
            .bind(job.key())
            .fetch_one(&mut conn)
            .await?
            .try_get("taken")?;
        if taken {
            Ok(Some(Lease { conn: Some(conn) }))
        } else {
            let _ = conn.close().await;
            Ok(None)
        }
    }
}
