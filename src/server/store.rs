//! The storage interface: one [`Store`] over SQLite or PostgreSQL, chosen by the URL's scheme.
//!
//! All SQL in the product lives under this module. Ids are stored as text and times as
//! milliseconds since the epoch in `bigint` columns, so one set of portable queries serves
//! both engines through sqlx's `Any` driver; each engine keeps its own migrations for the
//! parts that differ.

mod admin;
mod api_keys;
mod attempts;
mod auth_sessions;
mod chat_locks;
mod chats;
mod imports;
mod instance_secrets;
mod leases;
mod messages;
mod search;
pub mod serving_lock;
mod shared_runs;
mod usage;
mod users;

pub use admin::{AdminChange, InviteState};
pub use auth_sessions::{NewSession, SessionRow, SessionUserRow};
pub use chat_locks::ChatWriteLock;
pub use chats::{ChatCursor, DocumentChat};
pub use imports::{ImportProgress, ImportWanted, ImportedBefore};
pub use leases::{Job, Lease};
pub use messages::{DocumentMessage, MessageWindow, NewMessage};
pub use search::{Column, SearchExpr, SearchFilter, SearchRow};
pub use shared_runs::SharedRunRow;
pub use usage::{Reservation, RunUsage, UsageDayRow};
pub use users::{Admission, Refusal, UserRow};

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, ConnectOptions, Executor};

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// Which database engine a [`Store`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// A storage failure. Callers map `Conflict` to a user-facing error; everything else is internal.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique constraint refused the write.
    #[error("unique constraint violated")]
    Conflict,
    #[error("database error: {0}")]
    Database(sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("could not prepare the database location: {0}")]
    Io(#[from] std::io::Error),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

impl From<sqlx::Error> for StoreError {
    /// Unique violations are told apart by kind, never by matching error text.
    fn from(e: sqlx::Error) -> Self {
        match e.as_database_error().map(|d| d.kind()) {
            Some(sqlx::error::ErrorKind::UniqueViolation) => StoreError::Conflict,
            _ => StoreError::Database(e),
        }
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// The handle every service holds; cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    engine: Engine,
    /// Bounds the chat write locks one process holds at once (see `chat_locks`).
    chat_lock_permits: std::sync::Arc<tokio::sync::Semaphore>,
}

impl Store {
    /// Connects to `url`, creating a SQLite file (and its folders) when missing, and applies
    /// the engine's migrations.
    pub async fn connect(url: &str) -> StoreResult<Store> {
        sqlx::any::install_default_drivers();
        let (engine, url) = if let Some(path) = url.strip_prefix("sqlite://") {
            (Engine::Sqlite, sqlite_url(path)?)
        } else if let Some(path) = url.strip_prefix("sqlite:") {
            (Engine::Sqlite, sqlite_url(path)?)
        } else {
            (Engine::Postgres, url.to_string())
        };
        let options = AnyConnectOptions::from_str(&url)?
            .log_slow_statements(tracing::log::LevelFilter::Warn, Duration::from_millis(500));
        let pool_size = match engine {
            Engine::Sqlite => 8,
            Engine::Postgres => 16,
        };
        let pool = AnyPoolOptions::new()
            .max_connections(pool_size)
            .acquire_timeout(Duration::from_secs(5))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if engine == Engine::Sqlite {
                        // WAL lets readers run beside the one writer; busy_timeout makes
                        // writers queue instead of failing under load.
                        conn.execute("pragma journal_mode = wal").await?;
                        conn.execute("pragma synchronous = normal").await?;
                        conn.execute("pragma foreign_keys = on").await?;
                        conn.execute("pragma busy_timeout = 10000").await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        let store = Store {
            pool,
            engine,
            chat_lock_permits: chat_locks::lock_permits(pool_size),
        };
        store.migrate().await?;
        Ok(store)
    }

    async fn migrate(&self) -> StoreResult<()> {
        match self.engine {
            Engine::Sqlite => SQLITE_MIGRATIONS.run(&self.pool).await?,
            Engine::Postgres => POSTGRES_MIGRATIONS.run(&self.pool).await?,
        }
        Ok(())
    }

    pub fn engine(&self) -> Engine {
        self.engine
    }

    /// The health query: succeeds only when the database answers.
    pub async fn ping(&self) -> StoreResult<()> {
        sqlx::query("select 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Closes every connection; used at shutdown and by tests.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// A transaction that writes. On SQLite it takes the write lock when it begins
    /// (`BEGIN IMMEDIATE`, waiting under `busy_timeout`): a deferred transaction that read
    /// first and then writes after another writer committed fails at once with "database is
    /// locked" (SQLITE_BUSY_SNAPSHOT), which no timeout helps, and two admins deleting each
    /// other answered 500.
    async fn begin_write(&self) -> StoreResult<sqlx::Transaction<'static, sqlx::Any>> {
        Ok(match self.engine {
            Engine::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Engine::Postgres => self.pool.begin().await?,
        })
    }
}

/// Turns the path of a `sqlite://` URL into one sqlx accepts, creating the parent folders and
/// asking sqlx to create the file (`mode=rwc`) unless the URL already chose a mode.
fn sqlite_url(path_and_query: &str) -> StoreResult<String> {
    let (path, query) = match path_and_query.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (path_and_query, None),
    };
    if path != ":memory:" {
        if let Some(parent) = Path::new(path).parent() {
            if !parent.as_os_str().is_empty() {
                std::fs::create_dir_all(parent)?;
            }
        }
    }
    let query = match query {
        Some(q) if q.contains("mode=") => q.to_string(),
        Some(q) => format!("{q}&mode=rwc"),
        None => "mode=rwc".to_string(),
    };
    Ok(format!("sqlite://{path}?{query}"))
}

/// The current time at the precision the database keeps (milliseconds), so what a call
/// returns equals what a later read returns.
pub fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_millis(chrono::Utc::now().timestamp_millis())
        .expect("the current time is in range")
}

/// Milliseconds since the epoch: how every time is stored.
pub fn to_millis(t: chrono::DateTime<chrono::Utc>) -> i64 {
    t.timestamp_millis()
}

pub fn from_millis(ms: i64) -> StoreResult<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::from_timestamp_millis(ms)
        .ok_or_else(|| StoreError::Corrupt(format!("timestamp out of range: {ms}")))
}

/// The `role` column of a message row.
pub fn role_of(row: &sqlx::any::AnyRow) -> StoreResult<crate::model::Role> {
    use sqlx::Row;
    let role: String = row.try_get("role")?;
    crate::model::Role::parse(&role)
        .ok_or_else(|| StoreError::Corrupt(format!("unknown role {role}")))
}

pub fn parse_id(s: &str) -> StoreResult<uuid::Uuid> {
    uuid::Uuid::parse_str(s).map_err(|_| StoreError::Corrupt(format!("bad id: {s}")))
}
