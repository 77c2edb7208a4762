//! Everything that differs between SQLite and PostgreSQL, in one place.
use sqlx::AnyConnection;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

impl Engine {
    pub fn from_url(url: &str) -> Option<Engine> {
        if url.starts_with("sqlite:") {
            Some(Engine::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Engine::Postgres)
        } else {
            None
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Engine::Sqlite => "SQLite",
            Engine::Postgres => "PostgreSQL",
        }
    }

    /// Most bind parameters one statement may carry (SQLite 32766, PostgreSQL 65535).
    pub fn max_params(self) -> usize {
        match self {
            Engine::Sqlite => 32_766,
            Engine::Postgres => 65_535,
        }
    }

    /// Bind parameter number `n` (from 1) of a statement whose parameters are all used once and
    /// in order. SQLite gets anonymous `?`: sqlx asks SQLite for each parameter's name, and SQLite
    /// finds a `$n` or `?n` name by walking a list, which makes binding a statement with thousands
    /// of parameters quadratic (97 % of a bulk load's time, measured).
    pub fn placeholder(self, n: usize) -> String {
        match self {
            Engine::Sqlite => "?".to_string(),
            Engine::Postgres => format!("${n}"),
        }
    }

    /// After rows were inserted with explicit ids, moves PostgreSQL's identity sequence past
    /// them (SQLite's rowid needs nothing).
    pub async fn sync_id_sequence(self, conn: &mut AnyConnection, table: &'static str) -> Result<(), sqlx::Error> {
        if self == Engine::Postgres {
            let sql = format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
            );
            sqlx::query(sqlx::AssertSqlSafe(sql)).execute(conn).await?;
        }
        Ok(())
    }
}
