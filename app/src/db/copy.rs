//! PostgreSQL's `COPY … TO STDOUT`, for the large exports: the server streams the rows of one
//! statement without a round trip per chunk, as `psql` does. COPY takes no bound parameters,
//! so the statement's values are written in as literals by [`Sql::inline`](super::sql::Sql::inline).
//! The rows come in COPY's text format, one text column per row (a CSV line built by the
//! database, see `db::csv`); [`CopyText`] turns them back into the lines, each ended by CRLF.
use futures::StreamExt;
use sqlx::Connection;
use sqlx::postgres::{PgConnectOptions, PgConnection};

/// Undoes COPY's text-format escapes of one text column (`\\`, `\n`, `\r`, `\t`, `\b`, `\f`,
/// `\v`) and ends each row with CRLF. Keeps its state between the pieces of the stream.
#[derive(Debug, Default)]
pub struct CopyText {
    escaped: bool,
}

impl CopyText {
    /// Decodes `input` onto `out`; returns the number of rows it ended.
    pub fn decode(&mut self, input: &[u8], out: &mut Vec<u8>) -> i64 {
        let mut rows = 0;
        out.reserve(input.len() + input.len() / 16);
        for &b in input {
            if self.escaped {
                self.escaped = false;
                out.push(match b {
                    b'n' => b'\n',
                    b'r' => b'\r',
                    b't' => b'\t',
                    b'b' => 8,
                    b'f' => 12,
                    b'v' => 11,
                    other => other,
                });
            } else if b == b'\\' {
                self.escaped = true;
            } else if b == b'\n' {
                out.extend_from_slice(b"\r\n");
                rows += 1;
            } else {
                out.push(b);
            }
        }
        rows
    }
}

/// Runs `COPY (<query>) TO STDOUT` on a connection of its own and hands the decoded lines to
/// `each` in pieces of about 64 KB with the rows they end; stops early when `each` says so.
pub async fn copy_lines<F, Fut>(opts: &PgConnectOptions, query: &str, mut each: F) -> Result<(), sqlx::Error>
where
    F: FnMut(Vec<u8>, i64) -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let mut conn = PgConnection::connect_with(opts).await?;
    // Literals are written with `'` doubled, which means exactly the text only with standard
    // strings (the default since PostgreSQL 9.1): make sure of it on this connection.
    sqlx::raw_sql("SET standard_conforming_strings = on").execute(&mut conn).await?;
    let mut decoder = CopyText::default();
    let mut buf = Vec::with_capacity(80 * 1024);
    let mut rows = 0;
    {
        let mut stream = conn.copy_out_raw(&format!("COPY ({query}) TO STDOUT")).await?;
        while let Some(piece) = stream.next().await {
            rows += decoder.decode(&piece?, &mut buf);
            if buf.len() >= 64 * 1024 {
                let full = std::mem::replace(&mut buf, Vec::with_capacity(80 * 1024));
                if !each(full, std::mem::take(&mut rows)).await {
                    return Ok(()); // the connection is dropped with the rest unread
                }
            }
        }
    }
    if !buf.is_empty() || rows > 0 {
        each(buf, rows).await;
    }
    conn.close().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_text_turns_back_into_crlf_lines_across_pieces() {
        let mut d = CopyText::default();
        let mut out = Vec::new();
        let rows = d.decode(b"a,\"x\\\\y\",\"tab\\t\"\nline\\", &mut out) + d.decode(b"nbreak\n", &mut out);
        assert_eq!(rows, 2);
        assert_eq!(out, b"a,\"x\\y\",\"tab\t\"\r\nline\nbreak\r\n");
    }
}
