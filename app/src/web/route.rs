//! One row of the route table, and the router built from the rows.
use std::collections::BTreeMap;

use axum::Router;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::MethodRouter;

use crate::scope::{Perm, SessionContext, guard};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
        }
    }
}

/// Who may call a route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Anyone: the sign-in steps, each of which checks the sign-in in progress itself.
    Public,
    /// A complete sign-in (password and second factor) whose role grants the permission.
    /// Checked before the handler runs; a handler may demand more (e.g. the permission of the
    /// change a bulk job makes), never less.
    Signed(Perm),
}

/// A form post or download: method, path (axum's pattern, `{id}` for a number), who may call
/// it, and the handler.
pub struct FormRoute<S> {
    pub method: Method,
    pub path: &'static str,
    pub access: Access,
    pub handler: MethodRouter<S>,
}

impl<S> FormRoute<S> {
    pub fn post(path: &'static str, access: Access, handler: MethodRouter<S>) -> FormRoute<S> {
        FormRoute { method: Method::Post, path, access, handler }
    }

    pub fn get(path: &'static str, access: Access, handler: MethodRouter<S>) -> FormRoute<S> {
        FormRoute { method: Method::Get, path, access, handler }
    }

    /// Whether the route changes something (every post does; downloads do not).
    pub fn writes(&self) -> bool {
        self.method == Method::Post
    }
}

/// The check of `access` before the handler: a caller lacking the permission is refused here.
/// (No session, or an unfinished second factor, is refused earlier by the session layer.)
async fn check(access: Access, req: Request, next: Next) -> Response {
    if let Access::Signed(perm) = access {
        let ctx = req.extensions().get::<SessionContext>().cloned().unwrap_or_default();
        if let Err(e) = guard::check(&ctx, perm) {
            // Not the caller's to do: the portal's error page (403), whatever the form.
            return super::FormError::from(e).into_response();
        }
    }
    next.run(req).await
}

/// The router of `routes`; routes sharing a path share one method router.
pub fn build<S>(routes: Vec<FormRoute<S>>) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    let mut by_path: BTreeMap<&'static str, MethodRouter<S>> = BTreeMap::new();
    for r in routes {
        let access = r.access;
        let guarded =
            r.handler.route_layer(axum::middleware::from_fn(move |req: Request, next: Next| check(access, req, next)));
        let merged = match by_path.remove(r.path) {
            Some(m) => m.merge(guarded),
            None => guarded,
        };
        by_path.insert(r.path, merged);
    }
    by_path.into_iter().fold(Router::new(), |router, (path, m)| router.route(path, m))
}
