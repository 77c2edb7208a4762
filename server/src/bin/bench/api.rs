//! Issue 7: the REST API's SIM list at a million SIMs. The p95 of `GET /api/v1/sims` (and of
//! one SIM by ICCID) beside the same statements run directly on the database, and requests
//! per second over 64 keep-alive connections of a real TCP server beside a bare axum handler
//! returning the same bytes from memory, in the same run.
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{Request, header};
use axum::routing::get;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tower::ServiceExt;

use app::apikeys::{KeyKind, NewKey};
use app::db::Db;
use app::scope::{Role, Tenant};
use server::demo;

use crate::ms;
use crate::sims::{big_db, paired_p95, router_with_key};

/// Connections of the throughput figure.
const CONNECTIONS: usize = 64;

pub async fn run(site_root: &Path) {
    let sims: u64 = std::env::var("BENCH_BIG_SIMS").ok().and_then(|s| s.parse().ok()).unwrap_or(1_000_000);
    let cache =
        PathBuf::from(std::env::var("BENCH_BIG_DIR").unwrap_or_else(|_| {
            format!("{}/.cache/iot-portal", std::env::var("HOME").unwrap_or_else(|_| "/tmp".into()))
        }));
    println!("\n## Issue 7: REST API at {sims} SIMs\n");
    // The bench's load comes from one key: lift its rate limit for the run.
    app::rest::gate::set_per_minute(u32::MAX);
    let file = cache.join(format!("bench-{sims}.db"));
    let db = big_db(&format!("sqlite://{}", file.display()), sims, 90).await;
    figures(&db, site_root, "SQLite").await;
    db.close().await;
    if let Ok(pg) = std::env::var("TEST_DATABASE_URL") {
        let url = format!("{}/bench_big_{sims}", pg.rsplit_once('/').unwrap().0);
        let pdb = big_db(&url, sims, 90).await;
        figures(&pdb, site_root, "PostgreSQL").await;
        pdb.close().await;
    }
}

/// A new API key of `username` (its built-in role), revealed.
async fn key_of(db: &Db, sealer: &app::crypto::ServerKey, username: &str) -> (String, i64) {
    let (user, customer, role): (i64, i64, String) =
        sqlx::query_as("SELECT id, customer_id, role FROM users WHERE username = $1")
            .bind(username)
            .fetch_one(db.pool())
            .await
            .unwrap();
    let k = NewKey { name: "bench".into(), kind: KeyKind::Api, role: Role::parse(&role).unwrap(), days: Some(1) };
    let mut tx = db.write().await.unwrap();
    let id = app::apikeys::db::create(&mut tx, sealer, (user, username, customer), &k, demo::now()).await.unwrap();
    tx.commit().await.unwrap();
    (app::apikeys::db::take_reveal(db, sealer, user, id).await.unwrap().unwrap(), id)
}

async fn call(router: &Router, path: &str, key: &str) -> (Bytes, Duration) {
    let req = Request::get(path).header(header::AUTHORIZATION, format!("Bearer {key}")).body(Body::empty()).unwrap();
    let t = Instant::now();
    let res = router.clone().oneshot(req).await.unwrap();
    assert!(res.status().is_success(), "{path}: {}", res.status());
    let body = axum::body::to_bytes(res.into_body(), usize::MAX).await.unwrap();
    (body, t.elapsed())
}

async fn figures(db: &Db, site_root: &Path, engine: &str) {
    let sealer = app::crypto::ServerKey::from_bytes(app::crypto::random_bytes::<32>());
    let router = router_with_key(db, site_root, sealer.clone());
    let (provider, provider_key) = key_of(db, &sealer, "sp.admin").await;
    let (customer, customer_key) = key_of(db, &sealer, "demo.admin").await;
    let customer_path: String = sqlx::query_scalar(
        "SELECT c.path FROM customers c JOIN users u ON u.customer_id = c.id WHERE u.username = 'demo.admin'",
    )
    .fetch_one(db.pool())
    .await
    .unwrap();
    let iccid: String = sqlx::query_scalar("SELECT iccid FROM sims ORDER BY id LIMIT 1 OFFSET 500000")
        .fetch_one(db.pool())
        .await
        .unwrap();
    let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sims").fetch_one(db.pool()).await.unwrap();
    println!("### {engine}: {total} SIMs\n");
    println!(
        "| figure | p95 | baseline: the same statements run directly on the database | ratio |\n| --- | --- | --- | --- |"
    );
    let now = demo::now();
    let combos: [(&str, &str, bool); 6] = [
        ("first page, by ICCID", "limit=50", true),
        ("activated, 250 per page", "status=activated&limit=250", true),
        ("most data this cycle", "sort=data&dir=desc&limit=50", true),
        ("no session for 30 days", "idle=30&limit=50", true),
        ("customer's tree", "limit=50", false),
        ("customer's tree, activated by data", "status=activated&sort=data&dir=desc&limit=50", false),
    ];
    let mut worst = Duration::ZERO;
    for (name, query, as_provider) in combos {
        let key = if as_provider { &provider } else { &customer };
        let path = format!("/api/v1/sims?{query}");
        let tenant = Tenant::new(if as_provider { "/" } else { &customer_path });
        let q = app::rest::sims::parse_list(query).unwrap();
        let (api, direct) = paired_p95(
            100,
            || async { call(&router, &path, key).await.1 },
            || async {
                let t = Instant::now();
                app::sims::db::list(db, &tenant, &q, None, now).await.unwrap();
                t.elapsed()
            },
        )
        .await;
        worst = worst.max(api);
        let who = if as_provider { "provider" } else { "customer admin" };
        println!(
            "| GET /api/v1/sims: {name} ({who}) | {} | {} | {:.2} |",
            ms(api),
            ms(direct),
            api.as_secs_f64() / direct.as_secs_f64()
        );
    }
    let one = format!("/api/v1/sims/{iccid}");
    let (api, direct) = paired_p95(
        200,
        || async { call(&router, &one, &provider).await.1 },
        || async {
            let t = Instant::now();
            app::sims::db::sim_by_iccid(db, &Tenant::new("/"), &iccid).await.unwrap();
            t.elapsed()
        },
    )
    .await;
    println!(
        "| GET /api/v1/sims/{{iccid}} | {} | {} | {:.2} |",
        ms(api),
        ms(direct),
        api.as_secs_f64() / direct.as_secs_f64()
    );
    println!("| (target) | ≤ 30 ms for the list (worst here {}) | | |\n", ms(worst));

    // Throughput over real connections: the portal, then a bare handler with the same bytes.
    println!(
        "| requests per second, {CONNECTIONS} keep-alive connections, 5 s each | portal | bare axum handler, same bytes from memory | ratio |\n| --- | --- | --- | --- |"
    );
    for (name, path) in
        [("GET /api/v1/sims?limit=50", "/api/v1/sims?limit=50".to_string()), ("GET /api/v1/sims/{iccid}", one.clone())]
    {
        let (bytes, _) = call(&router, &path, &provider).await;
        let portal = serve(router.clone()).await;
        let bare_path = path.split('?').next().unwrap().to_string();
        let bare = serve(Router::new().route(
            &bare_path,
            get(move || {
                let b = bytes.clone();
                async move { ([(header::CONTENT_TYPE, "application/json")], b) }
            }),
        ))
        .await;
        let portal_rps = load(portal, &path, &provider).await;
        let bare_rps = load(bare, &path, &provider).await;
        println!("| {name} | {portal_rps:.0} | {bare_rps:.0} | {:.3} |", portal_rps / bare_rps);
    }
    // The bench's keys go again.
    for id in [provider_key, customer_key] {
        sqlx::query("DELETE FROM api_keys WHERE id = $1")
            .bind(id)
            .execute(&mut *db.writer().await.unwrap())
            .await
            .unwrap();
    }
}

/// Serves `router` on a free local port.
pub(crate) async fn serve(router: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>()).await.ok();
    });
    addr
}

/// Reads one HTTP/1.1 response off a keep-alive connection; its status.
async fn response(r: &mut BufReader<tokio::net::TcpStream>) -> u16 {
    let mut line = String::new();
    r.read_line(&mut line).await.unwrap();
    let status: u16 = line.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let (mut length, mut chunked) = (0usize, false);
    loop {
        line.clear();
        r.read_line(&mut line).await.unwrap();
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        let lower = l.to_ascii_lowercase();
        if let Some(v) = lower.strip_prefix("content-length:") {
            length = v.trim().parse().unwrap_or(0);
        }
        if lower.starts_with("transfer-encoding:") && lower.contains("chunked") {
            chunked = true;
        }
    }
    if chunked {
        loop {
            line.clear();
            r.read_line(&mut line).await.unwrap();
            let size = usize::from_str_radix(line.trim(), 16).unwrap_or(0);
            let mut chunk = vec![0; size + 2];
            r.read_exact(&mut chunk).await.unwrap();
            if size == 0 {
                break;
            }
        }
    } else {
        let mut body = vec![0; length];
        r.read_exact(&mut body).await.unwrap();
    }
    status
}

/// Requests per second of `path` at `addr` over [`CONNECTIONS`] connections for five seconds.
async fn load(addr: SocketAddr, path: &str, key: &str) -> f64 {
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let request = Arc::new(format!("GET {path} HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {key}\r\n\r\n"));
    let mut tasks = Vec::new();
    for _ in 0..CONNECTIONS {
        let (stop, done, request) = (stop.clone(), done.clone(), request.clone());
        tasks.push(tokio::spawn(async move {
            let mut conn = BufReader::new(tokio::net::TcpStream::connect(addr).await.unwrap());
            while !stop.load(Ordering::Relaxed) {
                conn.get_mut().write_all(request.as_bytes()).await.unwrap();
                assert_eq!(response(&mut conn).await, 200);
                done.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    // A second of warm-up, then five measured.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (start, at) = (done.load(Ordering::Relaxed), Instant::now());
    tokio::time::sleep(Duration::from_secs(5)).await;
    let n = done.load(Ordering::Relaxed) - start;
    let secs = at.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        t.await.ok();
    }
    n as f64 / secs
}
