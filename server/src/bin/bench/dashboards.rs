//! Issue 5: the default dashboard (8 widgets) at a million SIMs, on SQLite and PostgreSQL; its
//! growth from 3 to 30 million CDRs; and the first load's transfer size on a phone.
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use app::db::Db;
use app::scope::{Role, Tenant};

use crate::sims::{big_db, get, paired_p95, router_for, session};
use crate::{kb, ms};

/// The widget data of the user's default dashboard read directly (no HTTP, no rendering):
/// the baseline of the page.
async fn direct(db: &Db, user: i64, path: &str, role: Role) -> Duration {
    let t = Instant::now();
    let id: i64 = sqlx::query_scalar("SELECT id FROM dashboards WHERE owner_id = $1 AND is_default = 1")
        .bind(user)
        .fetch_one(db.pool())
        .await
        .unwrap();
    let d = app::dashboards::db::get(db, id).await.unwrap().unwrap();
    let tenant = Tenant::new(path);
    let v = app::dashboards::data::Viewer {
        db,
        tenant: &tenant,
        user_id: user,
        perms: role.perms(),
        now: server::demo::now(),
    };
    futures::future::try_join_all(d.widgets.iter().map(|w| app::dashboards::data::load(&v, w, None))).await.unwrap();
    t.elapsed()
}

/// p95 of the default dashboard and of its baseline for the provider and a customer admin.
async fn measure(db: &Db, site_root: &Path, n: usize) -> Vec<(String, Duration, Duration, usize)> {
    let router = router_for(db, site_root);
    let mut out = Vec::new();
    for (who, username, role) in [
        ("provider (whole fleet)", "sp.admin", Role::ProviderAdmin),
        ("customer admin (largest customer)", "demo.admin", Role::CustomerAdmin),
    ] {
        let (cookie, user) = session(db, username).await;
        let path: String =
            sqlx::query_scalar("SELECT c.path FROM customers c JOIN users u ON u.customer_id = c.id WHERE u.id = $1")
                .bind(user)
                .fetch_one(db.pool())
                .await
                .unwrap();
        // The provider's session sees the whole fleet ("/"), whatever customer the account sits in.
        let path = if role == Role::ProviderAdmin { "/".to_string() } else { path };
        // The first visit creates the default dashboard (the starter layout: 8 widgets).
        let (bytes, _) = get(&router, "/", &cookie).await;
        let (p, b) = paired_p95(
            n,
            || async { get(&router, "/", &cookie).await.1 },
            || async { direct(db, user, &path, role).await },
        )
        .await;
        out.push((who.to_string(), p, b, bytes));
    }
    out
}

pub(crate) fn cache_dir() -> PathBuf {
    let dir =
        PathBuf::from(std::env::var("BENCH_BIG_DIR").unwrap_or_else(|_| {
            format!("{}/.cache/iot-portal", std::env::var("HOME").unwrap_or_else(|_| "/tmp".into()))
        }));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn cdr_count(db: &Db) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM cdrs").fetch_one(db.pool()).await.unwrap()
}

pub async fn run(site_root: &Path) {
    let sims: u64 = std::env::var("BENCH_BIG_SIMS").ok().and_then(|s| s.parse().ok()).unwrap_or(1_000_000);
    let n = 40;
    let cache = cache_dir();
    println!("\n## Issue 5: dashboards at {sims} SIMs\n");
    println!("Server time to the full HTML of the default dashboard (8 widgets), p95 over {n} requests, each beside");
    println!("its baseline: the same widgets' data read directly (no HTTP, no rendering), in turns.\n");
    println!(
        "| engine | CDRs | viewer | page p95 | baseline p95 | ratio | HTML |\n| --- | --- | --- | --- | --- | --- | --- |"
    );
    let mut growth: Vec<(String, String, Duration)> = Vec::new();
    // 90 days of history: about 34 million CDRs; 9 days: about 3.4 million, same SIMs.
    for days in [90u32, 9] {
        let file = cache.join(if days == 90 { format!("bench-{sims}.db") } else { format!("bench-{sims}-d{days}.db") });
        let db = big_db(&format!("sqlite://{}", file.display()), sims, days).await;
        let cdrs = cdr_count(&db).await;
        for (who, p, b, bytes) in measure(&db, site_root, n).await {
            println!(
                "| SQLite | {cdrs} | {who} | {} | {} | {:.2} | {} |",
                ms(p),
                ms(b),
                p.as_secs_f64() / b.as_secs_f64(),
                kb(bytes as u64)
            );
            growth.push(("SQLite".into(), format!("{who}@{days}"), p));
        }
        db.close().await;
    }
    if let Ok(pg) = std::env::var("TEST_DATABASE_URL") {
        let admin = Db::connect(&pg, 1).await.unwrap();
        for days in [90u32, 9] {
            let name = if days == 90 { format!("bench_big_{sims}") } else { format!("bench_big_{sims}_d{days}") };
            let url = format!("{}/{name}", pg.rsplit_once('/').unwrap().0);
            let exists = sqlx::query("SELECT 1 FROM pg_database WHERE datname = $1")
                .bind(&name)
                .fetch_optional(admin.pool())
                .await
                .unwrap()
                .is_some();
            if !exists && days == 90 {
                // 34 million CDRs take long to generate: the issue 4 bench makes that one.
                println!("| PostgreSQL | - | run BENCH_ONLY=4 first to generate {name} | | | | |");
                continue;
            }
            if !exists {
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&mut *admin.writer().await.unwrap())
                    .await
                    .unwrap();
            }
            let db = big_db(&url, sims, days).await;
            let cdrs = cdr_count(&db).await;
            for (who, p, b, bytes) in measure(&db, site_root, n).await {
                println!(
                    "| PostgreSQL | {cdrs} | {who} | {} | {} | {:.2} | {} |",
                    ms(p),
                    ms(b),
                    p.as_secs_f64() / b.as_secs_f64(),
                    kb(bytes as u64)
                );
                growth.push(("PostgreSQL".into(), format!("{who}@{days}"), p));
            }
            db.close().await;
        }
    }
    println!(
        "\nGrowth (target ≤ 1.2): p95 with 34 million CDRs against p95 with 3.4 million, same SIMs and customers.\n"
    );
    println!("| engine | viewer | ratio |\n| --- | --- | --- |");
    for (engine, key, p) in growth.iter().filter(|g| g.1.ends_with("@90")) {
        let who = key.trim_end_matches("@90");
        if let Some((_, _, small)) = growth.iter().find(|g| g.0 == *engine && g.1 == format!("{who}@9")) {
            println!("| {engine} | {who} | {:.2} |", p.as_secs_f64() / small.as_secs_f64());
        }
    }
    transfer(site_root, &cache, sims).await;
}

/// The first load of the dashboard on a phone: HTML, CSS, JS and wasm as the server sends them
/// with brotli.
async fn transfer(site_root: &Path, cache: &Path, sims: u64) {
    let Ok(manifest) = std::fs::read_to_string(site_root.join("asset-manifest.json")) else {
        println!("\n(first-load size: build the release site first: scripts/build.sh)");
        return;
    };
    let manifest: serde_json::Value = serde_json::from_str(&manifest).unwrap();
    let file = |k: &str| site_root.join(manifest[k].as_str().unwrap().trim_start_matches('/'));
    let br = |p: PathBuf| std::fs::metadata(format!("{}.br", p.display())).map(|m| m.len()).unwrap_or(0);
    let db = big_db(&format!("sqlite://{}", cache.join(format!("bench-{sims}.db")).display()), sims, 90).await;
    let router = router_for(&db, site_root);
    let (cookie, _) = session(&db, "demo.admin").await;
    let req = axum::http::Request::get("/")
        .header(axum::http::header::COOKIE, &cookie)
        .header(axum::http::header::ACCEPT_ENCODING, "br")
        .body(axum::body::Body::empty())
        .unwrap();
    let res = tower::ServiceExt::oneshot(router, req).await.unwrap();
    let html = axum::body::to_bytes(res.into_body(), usize::MAX).await.unwrap().len() as u64;
    let (css, js, wasm) = (br(file("css")), br(file("js")) + br(file("nav")), br(file("wasm")));
    let icon = std::fs::metadata(site_root.join("favicon.svg.br")).map(|m| m.len()).unwrap_or(0);
    println!("\n| first load of the default dashboard on a phone, brotli | size |\n| --- | --- |");
    println!("| HTML (8 widgets, customer admin) | {} |", kb(html));
    println!(
        "| CSS + JS (glue and navigation) + wasm + icon | {} + {} + {} + {} |",
        kb(css),
        kb(js),
        kb(wasm),
        kb(icon)
    );
    println!("| total (budget 150 KB, issue 20) | {} |", kb(html + css + js + wasm + icon));
    db.close().await;
}
