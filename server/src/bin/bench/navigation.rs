//! Issue 20: how long a page change takes in Chromium over the menu tour, client-side against
//! full page loads of the same pages, on the large database. The browser side is a Playwright
//! script (end2end/bench/navigation.bench.ts) run against this process's portal.
use std::path::Path;

use super::api::serve;
use super::dashboards::cache_dir;
use super::sims::{big_db, router_for, session};

pub async fn run(site_root: &Path) {
    let sims: u64 = std::env::var("BENCH_BIG_SIMS").ok().and_then(|s| s.parse().ok()).unwrap_or(1_000_000);
    let file = cache_dir().join(format!("bench-{sims}.db"));
    let db = big_db(&format!("sqlite://{}", file.display()), sims, 90).await;
    let addr = serve(router_for(&db, site_root)).await;
    let (cookie, _) = session(&db, "sp.admin").await;
    println!("\n(menu tour in Chromium at {sims} SIMs, portal on {addr})");
    let end2end = Path::new(env!("CARGO_MANIFEST_DIR")).join("../end2end");
    // Waited for off the runtime's threads, which serve the portal meanwhile.
    let status = tokio::task::spawn_blocking(move || {
        std::process::Command::new("npx")
            .args(["playwright", "test", "--config", "bench.config.ts"])
            .current_dir(&end2end)
            .env("BASE_URL", format!("http://{addr}"))
            .env("BENCH_COOKIE", cookie)
            .status()
    })
    .await
    .unwrap();
    if !status.is_ok_and(|s| s.success()) {
        println!("(the browser benchmark failed: is Chromium at /usr/bin/chromium and `npm ci` done in end2end?)");
    }
    db.close().await;
}
