//! How a form post or download answers, the way the REST handlers do: a handler returns
//! [`FormResult`] and uses `?`. What goes wrong is a [`FormError`]: back to the form's page
//! with a notice and what was typed ([`Goto`]), to the sign-in page, or the portal's own error
//! page in the reader's language ([`FormError::Page`], rendered inside the portal's layout by
//! [`render_error_pages`]). Database and portal errors convert with `?`; where the handler
//! knows its page, `.back_to(page)` sends fixable ones (busy, too many tries, changed meanwhile,
//! bad input) back there instead of to an error page.
use axum::extract::{FromRef, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::AppError;
use crate::notice::Notice;
use crate::routes;
use crate::scope::Client;
use crate::scope::{Perm, Principal, SessionContext};
use crate::state::AppState;

/// What a form handler answers: a redirect (see [`redirect`]) or a download.
pub type FormResult = Result<Response, FormError>;

/// A code a page turns into words (`?n=<code>`): the sign-in and account notices
/// ([`Notice`]) and each feature's own.
pub trait NoticeCode {
    fn code(&self) -> &'static str;
}

impl NoticeCode for Notice {
    fn code(&self) -> &'static str {
        Notice::code(*self)
    }
}

impl NoticeCode for &'static str {
    fn code(&self) -> &'static str {
        self
    }
}

/// Where a form's answer sends the browser (post/redirect/get): a page, with a notice
/// (`?n=<code>`), what was typed (never a password, so that the form comes back filled in), and
/// the session cookie when the session changed. Used for success and, inside
/// [`FormError::Back`], for what went wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Goto {
    page: String,
    notice: Option<&'static str>,
    kept: Vec<(&'static str, String)>,
    fragment: Option<String>,
    cookie: Option<HeaderValue>,
}

impl Goto {
    /// To `page` (a local path, with or without a query).
    pub fn page(page: impl Into<String>) -> Goto {
        Goto { page: page.into(), notice: None, kept: Vec::new(), fragment: None, cookie: None }
    }

    /// To `page` with a notice.
    pub fn to(page: impl Into<String>, notice: impl NoticeCode) -> Goto {
        Goto::page(page).notice(notice)
    }

    pub fn notice(mut self, notice: impl NoticeCode) -> Goto {
        self.notice = Some(notice.code());
        self
    }

    /// Keeps a typed value, to fill the field `name` in again (or a detail the page shows).
    pub fn keep(mut self, name: &'static str, value: impl Into<String>) -> Goto {
        self.kept.push((name, value.into()));
        self
    }

    /// The place on the page to show (`#fragment`), e.g. the widget just changed.
    pub fn at(mut self, fragment: Option<String>) -> Goto {
        self.fragment = fragment;
        self
    }

    /// Sets (or clears) the session cookie with the answer.
    pub fn cookie(mut self, cookie: HeaderValue) -> Goto {
        self.cookie = Some(cookie);
        self
    }

    /// The page's address with the notice and the kept values.
    pub fn url(&self) -> String {
        let mut url = self.page.clone();
        let mut sep = if url.contains('?') { '&' } else { '?' };
        let notice = self.notice.map(|n| ("n", n.to_string()));
        for (k, v) in notice.iter().chain(self.kept.iter()) {
            url.push(sep);
            url.push_str(k);
            url.push('=');
            url.push_str(&routes::encode_query_value(v));
            sep = '&';
        }
        if let Some(f) = &self.fragment {
            url.push('#');
            url.push_str(f);
        }
        url
    }
}

impl IntoResponse for Goto {
    fn into_response(self) -> Response {
        let mut res = redirect(&self.url());
        if let Some(c) = self.cookie {
            res.headers_mut().append(header::SET_COOKIE, c);
        }
        res
    }
}

impl From<Goto> for Response {
    fn from(g: Goto) -> Response {
        g.into_response()
    }
}

/// Why a form did not do what it was sent to do.
#[derive(Debug)]
pub enum FormError {
    /// Back to the form's page with a notice (and what was typed).
    Back(Box<Goto>),
    /// No complete sign-in (ended, or never made): to the sign-in page.
    SignIn,
    /// The portal's error page for this error, with its status: refused (403), not found (404),
    /// not accepted (422), busy (503), or broken (500, with a reference to quote).
    Page(AppError),
    /// A download's address whose query cannot be read (a bad filter): the error page, 400.
    BadQuery(AppError),
}

impl From<Goto> for FormError {
    fn from(g: Goto) -> FormError {
        FormError::Back(Box::new(g))
    }
}

impl From<AppError> for FormError {
    fn from(e: AppError) -> FormError {
        match e {
            AppError::Unauthenticated | AppError::MfaRequired => FormError::SignIn,
            other => FormError::Page(other),
        }
    }
}

impl From<sqlx::Error> for FormError {
    fn from(e: sqlx::Error) -> FormError {
        FormError::from(AppError::from(e))
    }
}

/// The notice that tells of an error on the form's own page, if it is one a person can act on
/// there (try again, wait, correct, or not theirs to do); `None` for those that need the error
/// page (not found, broken).
pub fn notice_of(e: &AppError) -> Option<Notice> {
    match e {
        AppError::Forbidden => Some(Notice::NotAllowed),
        AppError::Busy { .. } => Some(Notice::Busy),
        AppError::RateLimited { .. } => Some(Notice::RateLimited),
        AppError::Conflict { .. } => Some(Notice::ChangedMeanwhile),
        AppError::Validation { .. } => Some(Notice::BadInput),
        _ => None,
    }
}

/// `.back_to(page)`: errors a person can act on (see [`notice_of`]) go back to the form's page
/// with a notice; `.back_with(goto)` goes back with what was typed too. Errors already saying
/// where to go ([`FormError::Back`], [`FormError::SignIn`]) keep their way.
pub trait BackTo<T> {
    fn back_with(self, goto: Goto) -> Result<T, FormError>;

    fn back_to(self, page: &str) -> Result<T, FormError>
    where
        Self: Sized,
    {
        self.back_with(Goto::page(page))
    }
}

impl<T, E: Into<FormError>> BackTo<T> for Result<T, E> {
    fn back_with(self, goto: Goto) -> Result<T, FormError> {
        self.map_err(|e| e.into().back_with(goto))
    }
}

impl FormError {
    /// This error answered on the form's own page (see [`BackTo`]).
    pub fn back_with(self, goto: Goto) -> FormError {
        match self {
            FormError::Page(e) => match notice_of(&e) {
                Some(n) => FormError::from(goto.notice(n)),
                None => FormError::Page(e),
            },
            other => other,
        }
    }

    pub fn back_to(self, page: &str) -> FormError {
        self.back_with(Goto::page(page))
    }
}

/// A 303 redirect to `to` (post/redirect/get).
pub fn redirect(to: &str) -> Response {
    let to = HeaderValue::from_str(to).unwrap_or_else(|_| HeaderValue::from_static("/"));
    (StatusCode::SEE_OTHER, [(header::LOCATION, to)]).into_response()
}

/// The error an error page shows, handed from a handler's answer to [`render_error_pages`].
#[derive(Clone, Debug)]
pub struct ErrorPage(pub AppError);

impl IntoResponse for FormError {
    fn into_response(self) -> Response {
        match self {
            FormError::Back(g) => (*g).into_response(),
            FormError::SignIn => redirect(&format!("{}?n={}", routes::LOGIN, Notice::SessionExpired.code())),
            FormError::BadQuery(e) => error_page(StatusCode::BAD_REQUEST, e),
            FormError::Page(e) => {
                let status = StatusCode::from_u16(e.status_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                error_page(status, e)
            }
        }
    }
}

/// The answer carrying the error page for `e` with `status` (see [`render_error_pages`]).
fn error_page(status: StatusCode, e: AppError) -> Response {
    let mut res = (status, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], fallback_text(&e)).into_response();
    if let AppError::Busy { retry_after } | AppError::RateLimited { retry_after } = &e
        && let Ok(v) = HeaderValue::from_str(&retry_after.to_string())
    {
        res.headers_mut().insert(header::RETRY_AFTER, v);
    }
    res.extensions_mut().insert(ErrorPage(e));
    res
}

/// The words of an error page where the portal's layout is not at hand (English).
fn fallback_text(e: &AppError) -> String {
    let text = e.message(crate::i18n::Lang::En);
    match problem_fields(e) {
        Some(fields) => format!("{text} ({fields})"),
        None => text,
    }
}

/// What a refused request got wrong, field by field (`field:problem,…`), for the error page.
fn problem_fields(e: &AppError) -> Option<String> {
    match e {
        AppError::Validation { fields } if !fields.is_empty() => {
            Some(fields.iter().map(|f| format!("{}:{}", f.field, f.message)).collect::<Vec<_>>().join(","))
        }
        _ => None,
    }
}

/// The signed-in caller of a form (a complete sign-in). The route table has already checked
/// the route's permission ([`super::Access`]); [`Caller::require`] checks a further one a
/// handler needs.
pub struct Caller {
    pub p: Principal,
    pub client: Client,
}

impl Caller {
    /// A further permission (the route's own was checked before the handler): the error page
    /// "not allowed" when the role lacks it.
    pub fn require(&self, perm: Perm) -> Result<(), FormError> {
        if self.p.allows(perm) { Ok(()) } else { Err(FormError::Page(AppError::Forbidden)) }
    }
}

impl<S> FromRequestParts<S> for Caller
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = FormError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Caller, FormError> {
        let ctx = parts.extensions.get::<SessionContext>().cloned().unwrap_or_default();
        let p = crate::scope::guard::check(&ctx, Perm::Portal)?;
        let client = parts.extensions.get::<Client>().cloned().unwrap_or_default();
        Ok(Caller { p, client })
    }
}

/// Renders error pages inside the portal's layout: an answer carrying an [`ErrorPage`] gets,
/// instead of its plain text, the portal's page `/error` for that error, rendered by `app` for
/// the same request (the same session, language and address to go back to), with the
/// answer's status. Without the layer (or if rendering fails) the plain text stays.
pub async fn render_error_pages(app: axum::Router, req: Request, next: Next) -> Response {
    use tower::ServiceExt;
    let headers = req.headers().clone();
    let back = headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| r.find("://").map(|i| &r[i + 3..]))
        .and_then(|r| r.find('/').map(|i| r[i..].to_string()))
        .unwrap_or_else(|| routes::HOME.to_string());
    let res = next.run(req).await;
    let Some(ErrorPage(e)) = res.extensions().get::<ErrorPage>().cloned() else { return res };
    let status = res.status();
    let mut query = format!(
        "{}?code={}&back={}",
        routes::ERROR_PAGE,
        error_code(&e),
        routes::encode_query_value(routes::safe_local_path(&back))
    );
    if let Some(fields) = problem_fields(&e) {
        query.push_str("&fields=");
        query.push_str(&routes::encode_query_value(&fields));
    }
    let Ok(mut page) = Request::get(query).body(axum::body::Body::empty()) else { return res };
    for name in [header::COOKIE, header::ACCEPT_LANGUAGE, header::HOST] {
        if let Some(v) = headers.get(&name) {
            page.headers_mut().insert(name, v.clone());
        }
    }
    match app.oneshot(page).await {
        Ok(mut rendered) if rendered.status().is_success() => {
            *rendered.status_mut() = status;
            if let Some(v) = res.headers().get(header::RETRY_AFTER) {
                rendered.headers_mut().insert(header::RETRY_AFTER, v.clone());
            }
            rendered
        }
        _ => res,
    }
}

/// The `code` of `/error` for an error (the page turns it into words; a reference rides along).
pub fn error_code(e: &AppError) -> String {
    match e {
        AppError::Forbidden => "forbidden".into(),
        AppError::NotFound => "not_found".into(),
        AppError::Busy { .. } => "busy".into(),
        AppError::RateLimited { .. } => "rate_limited".into(),
        AppError::Conflict { .. } => "conflict".into(),
        AppError::Validation { .. } => "invalid".into(),
        AppError::Internal { ref_id } => format!("internal.{ref_id}"),
        _ => "internal".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn goto_carries_the_notice_and_what_was_typed() {
        let b = Goto::to("/users/invite", Notice::BadPhone).keep("name", "Ada L").keep("phone", "+39 347");
        assert_eq!(b.url(), "/users/invite?n=bad_phone&name=Ada%20L&phone=%2B39%20347");
        assert_eq!(Goto::to("/sims?status=activated", "saved").url(), "/sims?status=activated&n=saved");
        assert_eq!(Goto::page("/sims").url(), "/sims");
    }

    #[test]
    fn fixable_errors_go_back_to_the_page_others_to_the_error_page() {
        let busy: Result<(), AppError> = Err(AppError::Busy { retry_after: 2 });
        match busy.back_to("/sims/5") {
            Err(FormError::Back(b)) => assert_eq!(b.url(), "/sims/5?n=busy"),
            other => panic!("{other:?}"),
        }
        let gone: Result<(), AppError> = Err(AppError::NotFound);
        assert!(matches!(gone.back_to("/sims/5"), Err(FormError::Page(AppError::NotFound))));
        let res = FormError::Page(AppError::Forbidden).into_response();
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        assert!(res.extensions().get::<ErrorPage>().is_some());
        assert_eq!(
            FormError::from(AppError::Unauthenticated).into_response().headers()[header::LOCATION],
            "/login?n=session_expired"
        );
    }
}
