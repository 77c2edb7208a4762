//! Response headers every answer carries: security headers, request ids, caching rules.
use axum::http::{HeaderName, HeaderValue, Request, header};
use tower_http::request_id::{MakeRequestId, RequestId};

pub const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Headers added to every response unless the handler set its own (HTML pages set a CSP with
/// their nonce; everything else gets the strict default).
pub fn security_headers() -> Vec<(HeaderName, HeaderValue)> {
    vec![
        (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
        (header::REFERRER_POLICY, HeaderValue::from_static("strict-origin-when-cross-origin")),
        (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
        (HeaderName::from_static("cross-origin-opener-policy"), HeaderValue::from_static("same-origin")),
        (
            HeaderName::from_static("permissions-policy"),
            HeaderValue::from_static("camera=(), microphone=(), geolocation=(), payment=(), usb=()"),
        ),
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_str(&app::shell::content_security_policy(None, None))
                .expect("static CSP is a valid header"),
        ),
    ]
}

/// Request ids that are unique across processes and restarts without a UUID dependency.
#[derive(Clone, Default)]
pub struct MakeShortId;

impl MakeRequestId for MakeShortId {
    fn make_request_id<B>(&mut self, _req: &Request<B>) -> Option<RequestId> {
        HeaderValue::from_str(&app::util::short_id()).ok().map(RequestId::new)
    }
}

/// Hashed bundle files never change under the same name; everything else is revalidated.
pub const IMMUTABLE: HeaderValue = HeaderValue::from_static("public, max-age=31536000, immutable");
pub const PUBLIC_FILE: HeaderValue = HeaderValue::from_static("public, max-age=3600");
pub const NO_CACHE: HeaderValue = HeaderValue::from_static("no-cache");
