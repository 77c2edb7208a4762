//! A page whose server render stalls is rendered once more.
//!
//! Leptos 0.8's async server rendering can, rarely, miss the wake-up of a resource that has
//! finished: the render then waits forever with every thread idle (seen about once in a few
//! thousand page loads under the test suite's load, with a thread dump showing nothing running;
//! upstream reports of the same shape: leptos-rs/leptos#4851, #4673). Pages render in
//! milliseconds, so one that has not answered within [`STALL`] is dropped and rendered again
//! rather than leaving the browser waiting. Only page loads are retried: GET and HEAD (no body,
//! no side effects), not the REST API, CSV exports, files or anything streamed.
use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request};
use axum::http::Method;
use axum::response::Response;
use tower::ServiceExt;

/// How long a page may take before it is rendered again.
pub const STALL: Duration = Duration::from_secs(5);

/// `inner` behind the retry.
pub fn wrap(inner: Router) -> Router {
    Router::new().fallback(move |req: Request| render(inner.clone(), req))
}

async fn render(inner: Router, req: Request) -> Response {
    let Some(again) = copy_of_page_load(&req) else {
        return infallible(inner.oneshot(req).await);
    };
    let path = req.uri().path().to_string();
    match tokio::time::timeout(STALL, inner.clone().oneshot(req)).await {
        Ok(res) => infallible(res),
        Err(_) => {
            tracing::warn!(path = %path, "a page render stalled; rendering it again");
            infallible(inner.oneshot(again).await)
        }
    }
}

fn infallible(res: Result<Response, std::convert::Infallible>) -> Response {
    match res {
        Ok(res) => res,
        Err(never) => match never {},
    }
}

/// A second copy of a page load (method, address, headers and client address), or `None` for
/// anything else.
fn copy_of_page_load(req: &Request) -> Option<Request> {
    if !matches!(*req.method(), Method::GET | Method::HEAD) || !is_page(req.uri().path()) {
        return None;
    }
    let mut copy = Request::builder().method(req.method().clone()).uri(req.uri().clone()).version(req.version());
    *copy.headers_mut()? = req.headers().clone();
    let mut copy = copy.body(Body::empty()).ok()?;
    if let Some(addr) = req.extensions().get::<ConnectInfo<SocketAddr>>() {
        copy.extensions_mut().insert(*addr);
    }
    Some(copy)
}

/// Pages, as opposed to the API, files (a dot in the last segment: `.csv`, `.wasm`, …), the
/// export progress and the health check.
fn is_page(path: &str) -> bool {
    let last = path.rsplit('/').next().unwrap_or("");
    !(path.starts_with("/api/")
        || path.starts_with("/pkg/")
        || path == app::routes::HEALTHZ
        || path == app::routes::SIMS_EXPORT_PROGRESS
        || last.contains('.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_retried_and_files_api_and_exports_are_not() {
        for page in ["/", "/sims", "/sims/12", "/dashboards/1/edit", "/profile/api-keys"] {
            assert!(is_page(page), "{page}");
        }
        for other in [
            "/api/v1/sims",
            "/pkg/portal.0123.wasm",
            "/sims.csv",
            "/customers/2/cdrs.csv",
            "/healthz",
            "/sims/export-progress",
        ] {
            assert!(!is_page(other), "{other}");
        }
    }
}
