//! Builds the router (used by `main` and by tests on port 0) and runs the server.
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{FromRef, Path, Query, State};
use axum::http::{HeaderMap, Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use leptos::prelude::*;
use leptos_axum::{LeptosRoutes, generate_route_list};
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use app::auth::session;
use app::db::Db;
use app::i18n::{LANG_COOKIE, Lang};
use app::mail::Mailer;
use app::scope::{Stage, ViewerCtx};
use app::shell::{Assets, shell};
use app::state::{AppInner, AppState, AuthServices, SimsServices};
use app::{App, routes};

use crate::headers::{self, X_REQUEST_ID};

/// The router's state: what rendering needs (Leptos' options, the assets) and the portal's
/// state ([`AppState`]), which handlers take through `FromRef`.
#[derive(Clone)]
pub struct ServerState {
    pub leptos_options: LeptosOptions,
    pub db: Db,
    pub mailer: Mailer,
    pub assets: Assets,
    pub settings: Arc<Settings>,
    pub app: AppState,
}

/// The sign-in services that differ between production and tests.
pub struct AuthOptions {
    pub sms: app::sms::Sms,
    pub key: app::crypto::ServerKey,
    pub clock: app::clock::Clock,
    pub trust_proxy: bool,
    /// argon2 hashes run at once (19 MiB each); the rest queue.
    pub max_hashes: usize,
}

/// What handlers need to know about the deployment.
#[derive(Clone, Debug)]
pub struct Settings {
    pub site_root: PathBuf,
    pub public_url: String,
    /// Served over HTTPS (directly or behind a proxy): cookies get `Secure`.
    pub secure_cookies: bool,
}

impl FromRef<ServerState> for LeptosOptions {
    fn from_ref(s: &ServerState) -> Self {
        s.leptos_options.clone()
    }
}

/// How many argon2 hashes may run at once: all cores but one, so pages keep a core during a
/// sign-in flood.
pub fn default_max_hashes() -> usize {
    std::thread::available_parallelism().map(|n| n.get().saturating_sub(1)).unwrap_or(1).max(1)
}

impl FromRef<ServerState> for AppState {
    fn from_ref(s: &ServerState) -> Self {
        s.app.clone()
    }
}

impl ServerState {
    pub fn new(
        db: Db,
        mailer: Mailer,
        opts: AuthOptions,
        site_root: PathBuf,
        public_url: String,
        addr: SocketAddr,
    ) -> ServerState {
        let leptos_options = LeptosOptions::builder()
            .output_name("portal")
            .site_root(site_root.to_string_lossy().to_string())
            .site_pkg_dir("pkg")
            .site_addr(addr)
            .build();
        let assets = Assets::load(&site_root);
        let secure_cookies = public_url.starts_with("https://");
        ::app::startup::wire();
        let app = AppState(Arc::new(AppInner {
            db: db.clone(),
            mailer: mailer.clone(),
            clock: opts.clock,
            key: opts.key,
            public_url: public_url.clone(),
            secure_cookies,
            trust_proxy: opts.trust_proxy,
            auth: AuthServices { sms: opts.sms, hasher: app::hashing::Hasher::new(opts.max_hashes) },
            sims: SimsServices::default(),
        }));
        // Bulk jobs left unfinished by an earlier run (or another instance) resume here.
        tokio::spawn(::app::sims::jobs::worker(db.clone(), app.clock.clone(), app.sims.jobs.clone()));
        tokio::spawn(::app::sims::db::cycle_keeper(db.clone(), app.clock.clone()));
        // Ingested CDRs filed from the inbox (rollups, SIM rows, usage rules) as batches arrive.
        tokio::spawn(::app::usage::db::fold_worker(db.clone(), app.clock.clone()));
        // Partitions for the coming months, and the expiry of old CDRs and EDRs.
        tokio::spawn(::app::usage::retention::worker(db.clone(), app.clock.clone()));
        // Notification email queued by rules, and the sweep for SIMs without a session.
        tokio::spawn(::app::notify::eval::worker(db.clone(), mailer.clone(), app.clock.clone(), public_url.clone()));
        ServerState {
            leptos_options,
            db,
            mailer,
            assets,
            settings: Arc::new(Settings { site_root, public_url, secure_cookies }),
            app,
        }
    }
}

/// The language of a request: the cookie set by the switcher, else the browser's preference.
pub fn request_lang(headers: &HeaderMap) -> Lang {
    session::request_lang(headers)
}

pub fn build_router(state: ServerState) -> Router {
    let routes = generate_route_list(App);
    let ctx_state = state.clone();
    let context = move || {
        provide_context(ctx_state.db.clone());
        provide_context(ctx_state.mailer.clone());
        provide_context(ctx_state.assets.clone());
        provide_context(ctx_state.app.clone());
        leptos::nonce::provide_nonce();
        if let Some(parts) = use_context::<axum::http::request::Parts>() {
            provide_context(request_lang(&parts.headers));
            let active = parts
                .extensions
                .get::<app::scope::SessionContext>()
                .and_then(|c| c.0.as_ref())
                .filter(|p| p.stage == Stage::Active);
            provide_context(active.and_then(|p| app::time::Zone::named(&p.time_zone)).unwrap_or_default());
            provide_context(ViewerCtx(active.map(|p| p.viewer())));
        }
        if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
            res.insert_header(header::CACHE_CONTROL, headers::NO_CACHE);
            res.insert_header(header::VARY, axum::http::HeaderValue::from_static("cookie, accept-language"));
        }
    };
    let opts = state.leptos_options.clone();
    let render_not_found = leptos_axum::render_app_to_stream_with_context(context.clone(), move || shell(opts.clone()));

    let site_root = state.settings.site_root.clone();
    let hashed = site_root.join("asset-manifest.json").exists();
    let pkg = ServiceBuilder::new()
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            if hashed { headers::IMMUTABLE } else { headers::NO_CACHE },
        ))
        .service(ServeDir::new(site_root.join("pkg")).precompressed_br().precompressed_gzip());
    let public = ServiceBuilder::new()
        .layer(SetResponseHeaderLayer::if_not_present(header::CACHE_CONTROL, headers::PUBLIC_FILE))
        .service(
            ServeDir::new(&site_root)
                .precompressed_br()
                .precompressed_gzip()
                .append_index_html_on_directories(false)
                .fallback(axum::routing::any(render_not_found).with_state(())),
        );

    let auth = state.app.clone();
    // The REST API, behind its own gate (keys, never the session cookie).
    let api = app::rest::router::<ServerState>(auth.clone()).with_state(state.clone());
    let router = Router::new()
        .route(routes::HEALTHZ, get(healthz))
        // Every form post and download, from the one route table.
        .merge(app::site::router::<ServerState>())
        .route(&format!("{}/{{code}}", routes::LANG), get(set_lang))
        .leptos_routes_with_context(&state, routes, context, {
            let opts = state.leptos_options.clone();
            move || shell(opts.clone())
        })
        .nest_service("/pkg", pkg)
        .fallback_service(public)
        .with_state(state);
    // A form's refusal is shown as the portal's error page, rendered by the portal itself for
    // the same session (through the same gate).
    let pages = router.clone().layer(axum::middleware::from_fn_with_state(auth.clone(), session::layer));
    let mut router = router
        .layer(axum::middleware::from_fn(move |req, next| app::web::form::render_error_pages(pages.clone(), req, next)))
        // Every page, form, server function and file passes the one session gate.
        .layer(axum::middleware::from_fn_with_state(auth, session::layer))
        .merge(api)
        // Bodies that are not UTF-8 are refused (400) before anything reads them.
        .layer(axum::middleware::from_fn(app::web::encoding::layer));

    for (name, value) in headers::security_headers() {
        router = router.layer(SetResponseHeaderLayer::if_not_present(name, value));
    }
    let router = router.layer(
        ServiceBuilder::new()
            .layer(SetRequestIdLayer::new(X_REQUEST_ID, headers::MakeShortId))
            .layer(
                TraceLayer::new_for_http()
                    .make_span_with(|req: &Request<_>| {
                        let id = req.headers().get(X_REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-");
                        tracing::info_span!("request", id = %id, method = %req.method(), path = %req.uri().path())
                    })
                    .on_response(
                        tower_http::trace::DefaultOnResponse::new()
                            .level(tracing::Level::INFO)
                            .latency_unit(tower_http::LatencyUnit::Micros),
                    ),
            )
            .layer(PropagateRequestIdLayer::new(X_REQUEST_ID))
            .layer(CatchPanicLayer::custom(panic_response))
            .layer(CompressionLayer::new()),
    );
    crate::stalled_render::wrap(router)
}

/// A handler that panicked: log it, answer with a plain page and a reference, nothing more.
pub fn panic_response(err: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let detail = err
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| err.downcast_ref::<&str>().copied())
        .unwrap_or("panic");
    let ref_id = app::util::short_id();
    tracing::error!(ref_id = %ref_id, panic = %detail, "handler panicked");
    let body = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Error · IoT Portal</title></head>\
         <body><main><h1>Something went wrong on our side</h1><p>Quote reference {ref_id} to support.</p>\
         <p><a href=\"/\">Go to the start page</a></p></main></body></html>"
    );
    (StatusCode::INTERNAL_SERVER_ERROR, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response()
}

async fn healthz(State(state): State<ServerState>) -> Response {
    match tokio::time::timeout(Duration::from_secs(2), state.db.ping()).await {
        Ok(Ok(())) => Json(serde_json::json!({ "status": "ok", "database": state.db.engine().name() })).into_response(),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "health check: database unreachable");
            (StatusCode::SERVICE_UNAVAILABLE, Json(serde_json::json!({ "status": "unavailable", "database": "error" })))
                .into_response()
        }
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(serde_json::json!({ "status": "unavailable", "database": "timeout" })),
        )
            .into_response(),
    }
}

#[derive(serde::Deserialize)]
struct LangQuery {
    next: Option<String>,
}

/// Remembers the language in a cookie and goes back to the page the switcher was used on.
async fn set_lang(State(state): State<ServerState>, Path(code): Path<String>, Query(q): Query<LangQuery>) -> Response {
    let Some(lang) = Lang::parse(&code) else {
        return (
            StatusCode::BAD_REQUEST,
            format!("Unknown language {:?}. Choose one of: en, es, it.", code.chars().take(16).collect::<String>()),
        )
            .into_response();
    };
    let next = routes::safe_local_path(q.next.as_deref().unwrap_or(routes::HOME)).to_string();
    let secure = if state.settings.secure_cookies { "; Secure" } else { "" };
    let cookie = format!("{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax{secure}", lang.code());
    (StatusCode::SEE_OTHER, [(header::LOCATION, next), (header::SET_COOKIE, cookie)]).into_response()
}

/// Binds, serves until SIGTERM or Ctrl-C, then lets requests in flight finish.
pub async fn serve(state: ServerState, addr: SocketAddr) -> Result<(), String> {
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| match e.kind() {
        std::io::ErrorKind::AddrInUse => format!("port {} is already in use (set PORTAL_ADDR or --addr)", addr.port()),
        _ => format!("cannot listen on {addr}: {e}"),
    })?;
    let db = state.db.clone();
    tracing::info!(%addr, "listening");
    axum::serve(listener, build_router(state).into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown_signal())
        .await
        .map_err(|e| format!("server error: {e}"))?;
    db.close().await;
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down");
}
