//! Multi-row INSERTs: one prepared statement carries many rows, which is what makes loading
//! tens of millions of rows practical through a portable driver.
use sqlx::any::AnyArguments;
use sqlx::{AnyConnection, Arguments, AssertSqlSafe, Encode, Type};

use super::Engine;

/// Buffers rows for one table and flushes them in statements of `rows_per_statement` rows.
pub struct BulkInsert {
    engine: Engine,
    head: String,
    columns: usize,
    rows_per_statement: usize,
    tail: String,
    full_sql: String,
    args: AnyArguments,
    rows: usize,
    pub inserted: u64,
}

impl BulkInsert {
    /// `tail` follows the VALUES list, e.g. `ON CONFLICT DO NOTHING`.
    pub fn new(engine: Engine, table: &str, columns: &[&str], tail: &str) -> Self {
        let rows_per_statement = (engine.max_params() / columns.len()).min(1000);
        let head = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
        let mut me = BulkInsert {
            engine,
            head,
            columns: columns.len(),
            rows_per_statement,
            tail: tail.to_string(),
            full_sql: String::new(),
            args: AnyArguments::default(),
            rows: 0,
            inserted: 0,
        };
        me.full_sql = me.sql(rows_per_statement);
        me
    }

    fn sql(&self, rows: usize) -> String {
        let mut s = String::with_capacity(self.head.len() + rows * self.columns * 6);
        s.push_str(&self.head);
        let mut n = 1;
        for r in 0..rows {
            if r > 0 {
                s.push(',');
            }
            s.push('(');
            for c in 0..self.columns {
                if c > 0 {
                    s.push(',');
                }
                s.push_str(&self.engine.placeholder(n));
                n += 1;
            }
            s.push(')');
        }
        if !self.tail.is_empty() {
            s.push(' ');
            s.push_str(&self.tail);
        }
        s
    }

    /// Adds one value of the current row; call `columns` times, then [`BulkInsert::end_row`].
    pub fn push<'q, T: Encode<'q, sqlx::Any> + Type<sqlx::Any> + 'q>(&mut self, v: T) {
        self.args.add(v).expect("encoding a plain value cannot fail");
    }

    /// Closes the current row; flushes when a statement is full.
    pub async fn end_row(&mut self, conn: &mut AnyConnection) -> Result<(), sqlx::Error> {
        self.rows += 1;
        debug_assert_eq!(self.args.len(), self.rows * self.columns, "row has the wrong number of values");
        if self.rows == self.rows_per_statement {
            let args = std::mem::take(&mut self.args);
            let res = sqlx::query_with(AssertSqlSafe(self.full_sql.as_str()), args).execute(&mut *conn).await?;
            self.inserted += res.rows_affected();
            self.rows = 0;
        }
        Ok(())
    }

    /// Writes whatever is buffered.
    pub async fn finish(&mut self, conn: &mut AnyConnection) -> Result<u64, sqlx::Error> {
        if self.rows > 0 {
            let sql = self.sql(self.rows);
            let args = std::mem::take(&mut self.args);
            let res = sqlx::query_with(AssertSqlSafe(sql), args).execute(&mut *conn).await?;
            self.inserted += res.rows_affected();
            self.rows = 0;
        }
        Ok(self.inserted)
    }
}
