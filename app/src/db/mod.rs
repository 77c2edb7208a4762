//! The one data-access entry point for both engines. Queries are portable SQL run through
//! sqlx's `Any` driver with `$1` placeholders (SQLite accepts them too); whatever differs
//! between SQLite and PostgreSQL lives in [`dialect`], and schemas in `migrations/<engine>/`.
pub mod bulk;
pub mod copy;
pub mod csv;
pub mod dialect;
pub mod sql;
pub mod write;

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{Any, AnyPool, ConnectOptions, Executor};

pub use dialect::Engine;
pub use write::{ReadTx, WriteConn, WriteTx, is_busy};

/// How long a write waits for the database's writer before it is refused as busy.
pub const WRITE_WAIT: Duration = Duration::from_secs(5);

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
    #[error("the migration lock {path} cannot be taken: {reason}")]
    MigrateLock { path: PathBuf, reason: String },
}

/// The pools plus the engine behind them. Cheap to clone.
///
/// Reads go through [`Db::pool`] (single statements) or [`Db::read`] (a snapshot); writes only
/// through [`Db::write`] (a transaction) or [`Db::writer`] (single statements). On SQLite the
/// reading connections are `query_only` and writers take turns (see [`write`]); PostgreSQL
/// writers share the one pool and queue on row locks as usual.
#[derive(Clone, Debug)]
pub struct Db {
    read: AnyPool,
    write: AnyPool,
    engine: Engine,
    /// The turns of this process's writers.
    gate: Arc<write::Gate>,
    /// PostgreSQL: how to open a connection of its own (for `COPY`, see [`copy`]).
    pg: Option<Arc<sqlx::postgres::PgConnectOptions>>,
    /// SQLite: the database file (for the migration lock).
    file: Option<PathBuf>,
}

impl Db {
    /// Connects, creating the SQLite file (and its folder) when needed. The URL is checked
    /// before anything is created so a typo fails with one clear line.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Db, DbError> {
        Db::connect_waiting(url, max_connections, WRITE_WAIT).await
    }

    /// The same, with how long a write waits for its turn and the database's locks before it is
    /// refused as busy (`DATABASE_WRITE_WAIT_MS`).
    pub async fn connect_waiting(url: &str, max_connections: u32, write_wait: Duration) -> Result<Db, DbError> {
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
        let turns = match engine {
            Engine::Sqlite => 1,
            // Writers hold at most half the pool, so one that reads beside its transaction
            // always finds a connection.
            Engine::Postgres => (max_connections as usize / 2).max(1),
        };
        let gate = Arc::new(write::Gate::new(write_wait, turns));
        let connect = |max: u32, query_only: bool| {
            let gate = gate.clone();
            AnyPoolOptions::new()
                .max_connections(max)
                .acquire_timeout(Duration::from_secs(10))
                .after_connect(move |conn, _| {
                    // A write waits for the database's locks as long as for its turn (the wait
                    // in force when the connection opens); then it is refused as busy.
                    let wait = gate.wait().as_millis();
                    Box::pin(async move {
                        match engine {
                            Engine::Sqlite => {
                                // WAL lets readers run beside the writer; NORMAL sync is safe with
                                // WAL. The busy timeout covers writers of other processes (this
                                // process's writers queue at the gate first).
                                sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                                    "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = {wait}; \
                                     PRAGMA synchronous = NORMAL; PRAGMA cache_size = -65536; PRAGMA temp_store = MEMORY;"
                                )))
                                .execute(&mut *conn)
                                .await?;
                                if query_only {
                                    sqlx::raw_sql("PRAGMA query_only = ON;").execute(conn).await?;
                                }
                            }
                            Engine::Postgres => {
                                sqlx::raw_sql(sqlx::AssertSqlSafe(format!("SET lock_timeout = {wait}")))
                                    .execute(conn)
                                    .await?;
                            }
                        }
                        Ok(())
                    })
                })
                .connect_with(opts.clone())
        };
        let fail = |source| DbError::Connect { target: redact(&url), source };
        let (read, write) = match engine {
            Engine::Sqlite => {
                // One writing connection, taken in turns; the rest of the pool only reads.
                let write = connect(1, false).await.map_err(fail)?;
                let read = connect(max_connections.max(2) - 1, true).await.map_err(fail)?;
                (read, write)
            }
            Engine::Postgres => {
                let pool = connect(max_connections.max(2), false).await.map_err(fail)?;
                (pool.clone(), pool)
            }
        };
        let pg = match engine {
            Engine::Postgres => Some(Arc::new(
                sqlx::postgres::PgConnectOptions::from_str(&url)
                    .map_err(|e| DbError::BadUrl(format!("{} ({e})", redact(&url))))?
                    .disable_statement_logging(),
            )),
            Engine::Sqlite => None,
        };
        Ok(Db { read, write, engine, gate, pg, file: sqlite_file(&url) })
    }

    /// PostgreSQL's options for a connection of its own (`None` on SQLite).
    pub fn pg_options(&self) -> Option<&sqlx::postgres::PgConnectOptions> {
        self.pg.as_deref()
    }

    /// Applies the embedded migrations of this engine; already-applied ones are skipped. Only
    /// migrates: what start-up computes from the data is `crate::startup`'s. Several processes
    /// starting at once take turns (PostgreSQL: sqlx's advisory lock; SQLite: a lock file
    /// beside the database).
    pub async fn migrate(&self) -> Result<(), DbError> {
        match self.engine {
            Engine::Sqlite => {
                let _lock = match &self.file {
                    Some(file) => {
                        let path = file.with_extension("migrate-lock");
                        let taken = tokio::task::spawn_blocking(move || lock_file(&path)).await;
                        Some(taken.map_err(|e| DbError::MigrateLock { path: file.clone(), reason: e.to_string() })??)
                    }
                    None => None,
                };
                let mut conn = self.writer().await.map_err(sqlx::migrate::MigrateError::from)?;
                sqlx::migrate!("./migrations/sqlite").run_direct(None, &mut *conn, false).await?
            }
            Engine::Postgres => sqlx::migrate!("./migrations/postgres").run(&self.write).await?,
        }
        Ok(())
    }

    /// A write transaction: on SQLite it waits for this process's turn (at most the configured
    /// wait) and then takes the write lock at once (`BEGIN IMMEDIATE`), so it never fails
    /// half-way for want of the lock. Commit it; dropped, it rolls back.
    #[track_caller]
    pub fn write(&self) -> impl Future<Output = Result<WriteTx, sqlx::Error>> + Send + '_ {
        let at = std::panic::Location::caller();
        async move {
            let turn = self.gate.enter(at).await?;
            let tx = match self.engine {
                Engine::Sqlite => self.write.begin_with("BEGIN IMMEDIATE").await?,
                Engine::Postgres => self.write.begin().await?,
            };
            Ok(WriteTx::new(tx, Some(turn)))
        }
    }

    /// A connection for single write statements, each its own transaction (SQLite: holding this
    /// process's turn until dropped, so keep it for one statement or a few).
    #[track_caller]
    pub fn writer(&self) -> impl Future<Output = Result<WriteConn, sqlx::Error>> + Send + '_ {
        let at = std::panic::Location::caller();
        async move {
            let turn = self.gate.enter(at).await?;
            Ok(WriteConn::new(self.write.acquire().await?, Some(turn)))
        }
    }

    /// A writer for bookkeeping that may be skipped (a session's last-seen time): waits at most
    /// `wait` for its turn, `None` when busy.
    #[track_caller]
    pub fn writer_if_free(&self, wait: Duration) -> impl Future<Output = Option<WriteConn>> + Send + '_ {
        let at = std::panic::Location::caller();
        async move {
            let turn = self.gate.enter_within(at, wait).await.ok()?;
            Some(WriteConn::new(self.write.acquire().await.ok()?, Some(turn)))
        }
    }

    /// A read transaction: several statements over one snapshot.
    pub async fn read(&self) -> Result<ReadTx, sqlx::Error> {
        Ok(ReadTx::new(self.read.begin().await?))
    }

    /// The pool that reads, for single statements. It opens no transactions (that is
    /// [`Db::write`] and [`Db::read`]), and on SQLite it cannot write.
    pub fn pool(&self) -> impl Executor<'static, Database = Any> + Copy + '_ {
        &self.read
    }

    /// How long a write waits for its turn before it is refused as busy.
    pub fn set_write_wait(&self, wait: Duration) {
        self.gate.set_wait(wait);
    }

    /// How long each writer held its turn, longest first.
    pub fn write_stats(&self) -> write::GateStats {
        self.gate.stats()
    }

    pub fn reset_write_stats(&self) {
        self.gate.reset_stats();
    }

    /// Resolves once a write transaction of this process commits (see [`write::Gate::committed`]).
    pub async fn committed(&self) {
        self.gate.committed().await
    }

    /// Writers of this process waiting for their turn now.
    pub fn writers_waiting(&self) -> usize {
        self.gate.waiting()
    }

    pub fn engine(&self) -> Engine {
        self.engine
    }

    /// A cheap round trip, for health checks.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT 1").execute(&self.read).await.map(|_| ())
    }

    pub async fn close(&self) {
        self.read.close().await;
        self.write.close().await;
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

/// An exclusive lock on `path` (created if missing), held until the file is dropped; waits for
/// another process holding it.
fn lock_file(path: &Path) -> Result<std::fs::File, DbError> {
    let fail = |e: std::io::Error| DbError::MigrateLock { path: path.to_path_buf(), reason: e.to_string() };
    let f = std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(path).map_err(fail)?;
    f.lock().map_err(fail)?;
    Ok(f)
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
