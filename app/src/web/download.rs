//! Downloads: CSV files, small ones built in memory ([`csv_file`]) and large ones streamed
//! chunk by chunk ([`csv_stream`], [`stream_lines`]) so memory stays flat for any size.
use axum::body::{Body, Bytes};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use futures::StreamExt;

use crate::db::Db;
use crate::db::sql::Sql;

/// A CSV cell: quoted, with cells a spreadsheet would run as a formula neutralised.
pub fn csv_cell(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{s}") } else { s.to_string() };
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// A CSV download of `text` (header and lines, CRLF-terminated) named `file_name`.
pub fn csv_file(file_name: &str, text: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{file_name}\"")),
        ],
        text,
    )
        .into_response()
}

/// Where a streamed export's producer sends its chunks of CSV text.
pub type CsvSender = tokio::sync::mpsc::Sender<Result<Bytes, std::io::Error>>;

/// A CSV download whose body `produce` writes chunk by chunk after the header line. The
/// channel holds a few chunks: the producer waits while the browser is slow, so memory stays
/// flat for any size. A failure ends the download with an error (never a silent short file).
pub fn csv_stream<F, Fut>(file_name: &str, header: String, produce: F) -> Response
where
    F: FnOnce(CsvSender) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Result<(), sqlx::Error>> + Send + 'static,
{
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    tokio::spawn(async move {
        if tx.send(Ok(Bytes::from(format!("{header}\r\n")))).await.is_err() {
            return;
        }
        if let Err(e) = produce(tx.clone()).await {
            tracing::error!(error = %e, "CSV export stopped");
            let _ = tx.send(Err(std::io::Error::other("export failed"))).await;
        }
    });
    // Fused: the compression layer may poll again after the end.
    let stream = futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|x| (x, rx)) }).fuse();
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{file_name}\"")),
        ],
        Body::from_stream(stream),
    )
        .into_response()
}

/// Streams the CSV lines `sql` selects (one text column named `line`, built by the database;
/// see `db::csv`) as a download.
pub fn stream_lines(db: &Db, file_name: &str, header: String, sql: Sql) -> Response {
    let db = db.clone();
    csv_stream(file_name, header, move |tx| async move {
        use sqlx::Row;
        let mut buf = String::with_capacity(64 * 1024);
        let mut rows = sql.query().fetch(db.pool());
        while let Some(row) = rows.next().await {
            buf.push_str(row?.try_get::<&str, _>("line")?);
            buf.push_str("\r\n");
            if buf.len() >= 60 * 1024 {
                let chunk = Bytes::from(std::mem::replace(&mut buf, String::with_capacity(64 * 1024)));
                if tx.send(Ok(chunk)).await.is_err() {
                    return Ok(()); // the browser went away
                }
            }
        }
        let _ = tx.send(Ok(Bytes::from(buf))).await;
        Ok(())
    })
}

/// Streams the lines `sql` selects through PostgreSQL's COPY to `tx`, reporting rows to `step`.
pub async fn copy_to(
    pg: &sqlx::postgres::PgConnectOptions,
    sql: &Sql,
    tx: &CsvSender,
    step: impl Fn(i64),
) -> Result<(), sqlx::Error> {
    crate::db::copy::copy_lines(pg, &sql.inline(), |piece, rows| {
        step(rows);
        let tx = tx.clone();
        async move { tx.send(Ok(Bytes::from(piece))).await.is_ok() }
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_cannot_become_formulas() {
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_cell("+1"), "\"'+1\"");
        assert_eq!(csv_cell("ada"), "\"ada\"");
    }
}
