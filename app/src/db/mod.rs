//! The one data-access entry point for both engines. Queries are portable SQL run through
//! sqlx's `Any` driver with `$1` placeholders (SQLite accepts them too); whatever differs
//! between SQLite and PostgreSQL lives in [`dialect`], and schemas in `migrations/<engine>/`.
pub mod bulk;
pub mod copy;
pub mod csv;
pub mod dialect;
pub mod sql;

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, ConnectOptions};

pub use dialect::Engine;

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("DATABASE_URL is not a sqlite:// or postgres:// URL: {0}")]
    UnsupportedUrl(String),
    #[error("DATABASE_URL could not be parsed: {0}")]
    BadUrl(String),
    #[error("data folder {path} is not writable: {reason}")]
    Unwritable { path: PathBuf, reason: String },
    #[error("cannot connect to the database at {target}: {source}")]
    Connect { target: String, source: sqlx::Error },
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("building the usage rollups failed: {0}")]
    Rollups(#[from] sqlx::Error),
    #[error("hashing the journal's older entries failed: {0}")]
    Journal(sqlx::Error),
}

/// A pool plus the engine behind it. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Db {
    pool: AnyPool,
    engine: Engine,
    /// PostgreSQL: how to open a connection of its own (for `COPY`, see [`copy`]).
    pg: Option<std::sync::Arc<sqlx::postgres::PgConnectOptions>>,
}

impl Db {
    /// Connects, creating the SQLite file (and its folder) when needed. The URL is checked
    /// before anything is created so a typo fails with one clear line.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Db, DbError> {
        sqlx::any::install_default_drivers();
        let engine = Engine::from_url(url).ok_or_else(|| DbError::UnsupportedUrl(redact(url)))?;
        let mut url = url.to_string();
        if engine == Engine::Sqlite {
            let file = sqlite_file(&url);
            if let Some(file) = &file {
                ensure_writable_dir(file.parent().unwrap_or(Path::new(".")))?;
            }
            if !url.contains("mode=") && file.is_some() {
                url.push_str(if url.contains('?') { "&mode=rwc" } else { "?mode=rwc" });
            }
        }
        let opts = AnyConnectOptions::from_str(&url).map_err(|e| DbError::BadUrl(format!("{} ({e})", redact(&url))))?;
        let opts = opts.disable_statement_logging();
        let pool = AnyPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if engine == Engine::Sqlite {
                        // WAL lets readers run beside the writer; NORMAL sync is safe with WAL.
                        sqlx::raw_sql(
                            "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; \
                             PRAGMA synchronous = NORMAL; PRAGMA cache_size = -65536; PRAGMA temp_store = MEMORY;",
                        )
                        .execute(conn)
                        .await?;
                    }
                    Ok(())
                })
            })
            .connect_with(opts)
            .await
            .map_err(|source| DbError::Connect { target: redact(&url), source })?;
        let pg = match engine {
            Engine::Postgres => Some(std::sync::Arc::new(
                sqlx::postgres::PgConnectOptions::from_str(&url)
                    .map_err(|e| DbError::BadUrl(format!("{} ({e})", redact(&url))))?
                    .disable_statement_logging(),
            )),
            Engine::Sqlite => None,
        };
        Ok(Db { pool, engine, pg })
    }

    /// PostgreSQL's options for a connection of its own (`None` on SQLite).
    pub fn pg_options(&self) -> Option<&sqlx::postgres::PgConnectOptions> {
        self.pg.as_deref()
    }

    /// Applies the embedded migrations of this engine; already-applied ones are skipped.
    pub async fn migrate(&self) -> Result<(), DbError> {
        match self.engine {
            Engine::Sqlite => sqlx::migrate!("./migrations/sqlite").run(&self.pool).await?,
            Engine::Postgres => sqlx::migrate!("./migrations/postgres").run(&self.pool).await?,
        }
        // Data a migration cannot compute in SQL alone: the per-tree rollups (migration 0004)
        // for a database that already held usage.
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
        crate::usage::rollups::ensure_built(self, now).await?;
        // Journal entries from before the hash chain (migration 0005) join it once.
        crate::journal::chain::seal_unhashed(self).await.map_err(DbError::Journal)?;
        Ok(())
    }

    /// A transaction that will write. On SQLite it takes the write lock at once (waiting its
    /// turn under `busy_timeout`): a transaction that reads first and writes later cannot be
    /// upgraded while another writer is active, and would fail with "database is locked".
    pub async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        if self.engine == Engine::Sqlite {
            sqlx::query("UPDATE app_meta SET value = value WHERE 1 = 0").execute(&mut *tx).await?;
        }
        Ok(tx)
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub fn engine(&self) -> Engine {
        self.engine
    }

    /// A cheap round trip, for health checks.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT 1").execute(&self.pool).await.map(|_| ())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// The file a sqlite URL points at, or None for in-memory databases.
pub fn sqlite_file(url: &str) -> Option<PathBuf> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or("");
    if path.is_empty() || path == ":memory:" {
        return None;
    }
    Some(PathBuf::from(path))
}

fn ensure_writable_dir(dir: &Path) -> Result<(), DbError> {
    let fail = |reason: String| DbError::Unwritable { path: dir.to_path_buf(), reason };
    std::fs::create_dir_all(dir).map_err(|e| fail(e.to_string()))?;
    let probe = dir.join(".write-test");
    std::fs::write(&probe, b"").map_err(|e| fail(e.to_string()))?;
    let _ = std::fs::remove_file(probe);
    Ok(())
}

/// A URL fit for logs and error messages: the password, if any, replaced by `***`.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_passwords() {
        assert_eq!(redact("postgres://u:secret@h:5432/db"), "postgres://u:***@h:5432/db");
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact("sqlite://data/x.db"), "sqlite://data/x.db");
    }

    #[test]
    fn finds_the_sqlite_file() {
        assert_eq!(sqlite_file("sqlite://data/p.db?mode=rwc"), Some(PathBuf::from("data/p.db")));
        assert_eq!(sqlite_file("sqlite::memory:"), None);
        assert_eq!(sqlite_file("postgres://x"), None);
    }
}
