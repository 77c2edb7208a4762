//! Browser sessions: the cookie, its expiry rules, and the request layer every route passes
//! through. The layer resolves the session, refuses cross-site form posts, and lets a request
//! reach a non-public route only with a complete sign-in (password and second factor).
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method as HttpMethod, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::db::{self as q, SessionRow};
use super::limits;
use crate::crypto;
use crate::error::AppError;
use crate::routes;
use crate::scope::Client;
use crate::scope::{Perms, Principal, Role, SessionContext, Stage};
use crate::state::AppState;

/// The principal of a stored session (None for a role or stage this build does not know).
fn principal_of(r: SessionRow) -> Option<Principal> {
    let role = Role::parse(&r.role)?;
    let perms = match &r.custom_perms {
        Some(codes) => role.perms().and(Perms::from_codes(codes)),
        None => role.perms(),
    };
    // Customers are roots of their own trees; the provider's administrators see all of them.
    let customer_path = if role == Role::ProviderAdmin { "/".to_string() } else { r.customer_path };
    Some(Principal {
        session_id: r.id,
        user_id: r.user_id,
        stage: Stage::parse(&r.stage)?,
        remember: r.remember != 0,
        mfa_method: r.mfa_method,
        username: r.username,
        name: r.name,
        email: r.email,
        role,
        customer_id: r.customer_id,
        customer_path,
        unread: r.unread,
        role_id: r.role_id,
        perms,
        custom_role: r.custom_role,
        time_zone: r.time_zone,
    })
}

pub fn cookie_name(secure: bool) -> &'static str {
    if secure { "__Host-portal_session" } else { "portal_session" }
}

/// The session cookie: HttpOnly, SameSite=Lax, Secure and `__Host-` over HTTPS; persistent
/// only with "Remember me".
pub fn set_cookie(token: &str, remember: bool, secure: bool) -> HeaderValue {
    let max_age = if remember { format!("; Max-Age={}", limits::REMEMBER_ME) } else { String::new() };
    let secure_attr = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{}={token}; Path=/; HttpOnly; SameSite=Lax{secure_attr}{max_age}",
        cookie_name(secure)
    ))
    .expect("tokens are URL-safe")
}

pub fn clear_cookie(secure: bool) -> HeaderValue {
    let secure_attr = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!("{}=; Path=/; HttpOnly; SameSite=Lax{secure_attr}; Max-Age=0", cookie_name(secure)))
        .expect("static cookie")
}

pub fn read_cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// When a session of this kind ends: remember-me 30 days, otherwise 12 hours at most; a sign-in
/// left half-way is dropped sooner.
pub fn expiry(stage: Stage, remember: bool, created_at: i64) -> i64 {
    match (stage, remember) {
        (Stage::Active, true) => created_at + limits::REMEMBER_ME,
        (Stage::Active, false) => created_at + limits::ABSOLUTE_TIMEOUT,
        _ => created_at + limits::PENDING_TTL,
    }
}

/// Whether a stored session is still valid at `now`: before its absolute end, and (without
/// remember-me) used within the idle timeout.
pub fn is_live(row: &SessionRow, now: i64) -> bool {
    if now >= row.expires_at {
        return false;
    }
    row.remember != 0 && row.stage == Stage::Active.code() || now - row.last_seen_at < limits::IDLE_TIMEOUT
}

/// Looks up the session of a request. Expired sessions are deleted on sight.
pub async fn resolve(app: &AppState, headers: &HeaderMap) -> Result<(Option<Principal>, bool), AppError> {
    let Some(token) = read_cookie(headers, cookie_name(app.secure_cookies)) else { return Ok((None, false)) };
    if token.is_empty() || token.len() > 100 {
        return Ok((None, true));
    }
    let Some(row) = q::session_by_token(&app.db, &crypto::token_hash(token)).await? else {
        return Ok((None, true));
    };
    let now = app.now();
    if !is_live(&row, now) {
        // Gone for this request at once; the row goes when the writer is free.
        let (db, id) = (app.db.clone(), row.id);
        tokio::spawn(async move {
            if let Err(e) = q::delete_session(&db, id).await {
                tracing::debug!(error = %e, "expired session left for the next sight");
            }
        });
        return Ok((None, true));
    }
    // Writing on every request would make each page view a write: a minute is fine-grained
    // enough for a 30-minute idle rule. A page view waits at most 50 ms for the writer for it
    // (see `touch_session`): one missed is harmless.
    if now - row.last_seen_at >= 60
        && let Err(e) = q::touch_session(&app.db, row.id, now).await
    {
        tracing::debug!(error = %e, "session not touched this time");
    }
    Ok((principal_of(row), false))
}

pub fn client(app: &AppState, headers: &HeaderMap, peer: Option<std::net::SocketAddr>) -> Client {
    let forwarded = app
        .trust_proxy
        .then(|| headers.get("x-forwarded-for").and_then(|v| v.to_str().ok()))
        .flatten()
        .and_then(|v| v.split(',').next())
        .map(|s| s.trim().to_string());
    let ip = forwarded.or_else(|| peer.map(|p| p.ip().to_string())).unwrap_or_else(|| "unknown".into());
    let user_agent =
        headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("").chars().take(300).collect();
    Client { ip, user_agent, lang: crate::i18n::Lang::default() }
}

/// The language of a request: the cookie set by the switcher, else the browser's preference.
pub fn request_lang(headers: &HeaderMap) -> crate::i18n::Lang {
    use crate::i18n::{LANG_COOKIE, Lang};
    read_cookie(headers, LANG_COOKIE)
        .and_then(Lang::parse)
        .or_else(|| {
            headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).and_then(Lang::from_accept_language)
        })
        .unwrap_or_default()
}

/// The origin (`scheme://host[:port]`) a URL belongs to.
fn origin_of(url: &str) -> Option<&str> {
    let scheme_end = url.find("://")? + 3;
    let rest = &url[scheme_end..];
    let end = rest.find(['/', '?', '#']).map(|i| scheme_end + i).unwrap_or(url.len());
    Some(&url[..end])
}

/// A state-changing request must come from our own pages: its Origin (or, lacking one, its
/// Referer) must be the configured public origin or the origin the request was addressed to.
pub fn same_origin(headers: &HeaderMap, public_url: &str) -> bool {
    let claimed = headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .filter(|o| *o != "null")
        .or_else(|| headers.get(header::REFERER).and_then(|v| v.to_str().ok()).and_then(origin_of));
    let Some(claimed) = claimed else { return false };
    if Some(claimed) == origin_of(public_url) {
        return true;
    }
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
    !host.is_empty() && claimed.split_once("://").is_some_and(|(_, h)| h == host)
}

fn is_page_request(method: &HttpMethod, path: &str) -> bool {
    (method == HttpMethod::GET || method == HttpMethod::HEAD) && !path.starts_with("/api/")
}

/// The one gate: cross-site check, session lookup, and sign-in requirement for every route but
/// the public sign-in pages. Permissions are then checked per server function by `guard::require`.
pub async fn layer(State(app): State<AppState>, mut req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let method = req.method().clone();
    let safe = method == HttpMethod::GET || method == HttpMethod::HEAD || method == HttpMethod::OPTIONS;
    if !safe && !same_origin(req.headers(), &app.public_url) {
        tracing::warn!(%path, "cross-site request refused");
        return (StatusCode::FORBIDDEN, "This form was sent from another site and was refused.").into_response();
    }
    let (principal, clear) = match resolve(&app, req.headers()).await {
        Ok(found) => found,
        Err(e) => return error_response(&e),
    };
    let peer = req.extensions().get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|c| c.0);
    let mut who = client(&app, req.headers(), peer);
    who.lang = request_lang(req.headers());
    let ip = who.ip.clone();
    req.extensions_mut().insert(who);
    req.extensions_mut().insert(SessionContext(principal.clone()));

    let static_file = path.starts_with("/pkg/") || (routes::is_public(&path) && path.contains('.'));
    let public = routes::is_public(&path) || routes::PUBLIC_API.contains(&path.as_str());
    let step_pages = [routes::LOGIN_VERIFY_EMAIL, routes::LOGIN_CODE, routes::LOGIN_NEW_PASSWORD, routes::LOGIN_MFA];
    // Journal entries written while serving the request record its address.
    let mut res = crate::journal::chain::with_ip(ip, async move {
        if step_pages.contains(&path.as_str()) && is_page_request(&method, &path) {
            // A step page only makes sense at its own step of a sign-in in progress.
            match &principal {
                Some(p) if p.stage.page() == path => next.run(req).await,
                Some(p) => redirect(p.stage.page()),
                None => redirect(routes::LOGIN),
            }
        } else if public {
            next.run(req).await
        } else {
            match &principal {
                Some(p) if p.stage == Stage::Active => next.run(req).await,
                Some(p) if is_page_request(&method, &path) => redirect(p.stage.page()),
                Some(_) => error_response(&AppError::MfaRequired),
                None if is_page_request(&method, &path) => {
                    let next_path = match req.uri().query() {
                        Some(q) => format!("{path}?{q}"),
                        None => path.clone(),
                    };
                    let notice = if clear { "&n=session_expired" } else { "" };
                    redirect(&format!("{}?next={}{notice}", routes::LOGIN, routes::encode_query_value(&next_path)))
                }
                None => error_response(&AppError::Unauthenticated),
            }
        }
    })
    .await;
    if !static_file {
        // Pages and answers may hold personal data: never stored by browsers or proxies.
        res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    // A stale cookie is cleared, unless the answer sets a new one (a sign-in made with the
    // stale cookie still in the browser): clearing after setting would undo the sign-in.
    let name = cookie_name(app.secure_cookies);
    let sets_session = res
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.strip_prefix(name).is_some_and(|rest| rest.starts_with('=')));
    if clear && !sets_session {
        res.headers_mut().append(header::SET_COOKIE, clear_cookie(app.secure_cookies));
    }
    res
}

pub fn redirect(to: &str) -> Response {
    let to = HeaderValue::from_str(to).unwrap_or_else(|_| HeaderValue::from_static("/"));
    (StatusCode::SEE_OTHER, [(header::LOCATION, to)]).into_response()
}

/// An `AppError` as server functions encode it, with its status.
pub fn error_response(e: &AppError) -> Response {
    use leptos::server_fn::error::FromServerFnError;
    let status = StatusCode::from_u16(e.status_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, [(header::CONTENT_TYPE, "application/json")], e.ser()).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(stage: &str, remember: bool, last_seen: i64, expires: i64) -> SessionRow {
        SessionRow {
            id: 1,
            user_id: 1,
            stage: stage.into(),
            remember: remember as i64,
            mfa_method: None,
            created_at: 0,
            last_seen_at: last_seen,
            expires_at: expires,
            username: "u".into(),
            name: "U".into(),
            email: "u@example.com".into(),
            role: "read_only".into(),
            customer_id: 1,
            customer_path: "/1/".into(),
            unread: 0,
            role_id: None,
            custom_role: None,
            custom_perms: None,
            time_zone: "UTC".into(),
        }
    }

    #[test]
    fn sessions_end_after_thirty_idle_minutes_unless_remembered() {
        let exp = expiry(Stage::Active, false, 0);
        assert!(is_live(&row("active", false, 0, exp), 29 * 60));
        assert!(!is_live(&row("active", false, 0, exp), 30 * 60));
        let exp = expiry(Stage::Active, true, 0);
        assert!(is_live(&row("active", true, 0, exp), 29 * 24 * 3600));
        assert!(!is_live(&row("active", true, 0, exp), 30 * 24 * 3600));
    }

    #[test]
    fn sessions_end_after_twelve_hours_even_when_busy() {
        let exp = expiry(Stage::Active, false, 0);
        assert!(!is_live(&row("active", false, 12 * 3600 - 10, exp), 12 * 3600));
    }

    #[test]
    fn cookies_are_http_only_and_host_prefixed_over_https() {
        let c = set_cookie("tok", true, true);
        let c = c.to_str().unwrap();
        assert!(c.starts_with("__Host-portal_session=tok; Path=/; HttpOnly; SameSite=Lax; Secure"), "{c}");
        assert!(c.contains("Max-Age=2592000"));
        let plain = set_cookie("tok", false, false);
        assert!(!plain.to_str().unwrap().contains("Max-Age") && !plain.to_str().unwrap().contains("Secure"));
    }

    #[test]
    fn cross_site_posts_are_recognised() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_static("portal.example.com"));
        assert!(!same_origin(&h, "https://portal.example.com"), "no Origin, no Referer");
        h.insert(header::ORIGIN, HeaderValue::from_static("https://evil.example"));
        assert!(!same_origin(&h, "https://portal.example.com"));
        h.insert(header::ORIGIN, HeaderValue::from_static("https://portal.example.com"));
        assert!(same_origin(&h, "https://portal.example.com/"));
        h.remove(header::ORIGIN);
        h.insert(header::REFERER, HeaderValue::from_static("https://portal.example.com/login?x=1"));
        assert!(same_origin(&h, "https://portal.example.com"));
        h.insert(header::REFERER, HeaderValue::from_static("https://portal.example.com.evil.example/login"));
        assert!(!same_origin(&h, "https://portal.example.com"));
    }
}
