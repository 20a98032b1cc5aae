//! SQLite serves one process. A second server on the same database file would keep its own
//! turn order, limits and runs beside the first one's, so the first to serve holds an
//! exclusive lock on a file beside the database and a second is refused at start-up with
//! the reason. Maintenance commands (`maruntime users …`) do not take it and still work.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::PathBuf;

/// Held while the server serves; dropping it lets another process serve.
#[derive(Debug)]
pub struct ServingLock {
    _file: File,
}

/// The database file of a SQLite URL (`None` for PostgreSQL and in-memory databases).
fn sqlite_file(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    (!path.is_empty() && path != ":memory:").then(|| PathBuf::from(path))
}

/// Claims the right to serve `url`'s database: `Ok(None)` where no claim is needed
/// (PostgreSQL), an error naming the problem when another process serves the same file.
pub fn claim(url: &str) -> Result<Option<ServingLock>, String> {
    let Some(db) = sqlite_file(url) else {
        return Ok(None);
    };
    let mut name = db.file_name().unwrap_or_default().to_os_string();
    name.push(".serving.lock");
    let path = db.with_file_name(name);
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(Some(ServingLock { _file: file })),
        Err(TryLockError::WouldBlock) => Err(format!(
            "another maruntime process is already serving the SQLite database {}. SQLite serves \
             one process; to run several, use PostgreSQL (DATABASE_URL=postgres://…), see \
             \"Running several instances\" in the README",
            db.display()
        )),
        Err(TryLockError::Error(e)) => Err(format!("cannot lock {}: {e}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_server_per_sqlite_file() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("db.sqlite").display()
        );
        let first = claim(&url).unwrap();
        assert!(first.is_some());
        let refused = claim(&url).unwrap_err();
        assert!(refused.contains("already serving"), "{refused}");
        drop(first);
        assert!(claim(&url).unwrap().is_some());
        assert!(claim("postgres://postgres@127.0.0.1/x").unwrap().is_none());
        assert!(claim("sqlite::memory:").unwrap().is_none());
    }
}
