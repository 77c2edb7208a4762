//! Bad encodings are the caller's mistake: a form post or server-function call whose body is
//! not UTF-8, or whose `%`-escapes decode to something that is not, is answered 400 with a line
//! saying so, before any handler or server function sees it (those would otherwise fail
//! deeper, as internal errors). The REST API checks its own bodies (`rest::body`).
use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Largest body read here (forms and server-function calls are small).
pub const MAX_BODY: usize = 2 * 1024 * 1024;

/// Whether `body` (`application/x-www-form-urlencoded`) is UTF-8 as sent and once decoded.
pub fn is_valid_form(body: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(body) else { return false };
    text.split('&').flat_map(|pair| pair.splitn(2, '=')).all(|part| decode(part).is_some())
}

/// `%XX` and `+` decoded; `None` when the result is not UTF-8.
fn decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(v) => {
                        out.push(v);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

fn refuse(status: StatusCode, json: bool, message: &str) -> Response {
    if json {
        let body = serde_json::json!({ "Validation": { "fields": [{ "field": "request", "message": message }] } });
        (status, [(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
    } else {
        (status, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], message.to_string()).into_response()
    }
}

/// The layer: form-encoded (or untyped) bodies of every post outside `/api/v1/` are checked.
pub async fn layer(req: Request, next: Next) -> Response {
    let checked = req.method() != Method::GET
        && req.method() != Method::HEAD
        && !req.uri().path().starts_with(crate::routes::API_V1)
        && req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_none_or(|ct| ct.starts_with("application/x-www-form-urlencoded") || ct.starts_with("text/plain"));
    if !checked {
        return next.run(req).await;
    }
    let json = req.uri().path().starts_with("/api/");
    let (parts, body) = req.into_parts();
    let bytes: Bytes = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        Err(_) => return refuse(StatusCode::PAYLOAD_TOO_LARGE, json, "The request is too large."),
    };
    if !is_valid_form(&bytes) {
        return refuse(StatusCode::BAD_REQUEST, json, "The request is not valid UTF-8 text; nothing was changed.");
    }
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_bodies_must_be_utf8_as_sent_and_decoded() {
        assert!(is_valid_form(b"name=Ada+Lovelace&city=Z%C3%BCrich"));
        assert!(is_valid_form(b"a=100%&b=%zz"), "stray percent signs are kept as text");
        assert!(!is_valid_form(b"name=\xff\xfe"), "raw bytes");
        assert!(!is_valid_form(b"name=%FF%FE"), "escaped bytes");
        assert!(!is_valid_form(b"%C3=x"), "a key that decodes to half a character");
        assert!(is_valid_form(b""));
    }
}
