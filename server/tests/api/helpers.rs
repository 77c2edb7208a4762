use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use app::db::{Db, Engine};
use server::startup::{AppState, build_router};

/// Runs a test body once per engine: `both_engines!(name, |app| async move { ... });`
#[macro_export]
macro_rules! both_engines {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app = $crate::helpers::spawn_app(app::db::Engine::Sqlite).await;
                ($body)(app).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let app = $crate::helpers::spawn_app(app::db::Engine::Postgres).await;
                ($body)(app).await;
            }
        }
    };
}

pub struct TestApp {
    pub base: String,
    pub db: Db,
    pub client: reqwest::Client,
}

impl TestApp {
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(format!("{}{path}", self.base)).send().await.expect("request failed")
    }
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

pub fn unique(prefix: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{prefix}_{}_{}_{n}", std::process::id(), app::util::short_id())
}

/// A fresh, migrated database of the engine.
pub async fn fresh_db(engine: Engine) -> Db {
    let url = match engine {
        Engine::Sqlite => {
            let dir = std::env::temp_dir().join(unique("portal-test"));
            std::fs::create_dir_all(&dir).unwrap();
            format!("sqlite://{}/portal.db", dir.display())
        }
        Engine::Postgres => {
            let admin = std::env::var("TEST_DATABASE_URL").expect(
                "TEST_DATABASE_URL is not set: PostgreSQL tests need a server (scripts/test.sh starts one and sets it)",
            );
            let name = unique("t").to_lowercase();
            let admin_db = Db::connect(&admin, 1).await.expect("cannot reach TEST_DATABASE_URL");
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(admin_db.pool()).await.unwrap();
            admin_db.close().await;
            let (base, _) = admin.rsplit_once('/').expect("TEST_DATABASE_URL ends in /database");
            format!("{base}/{name}")
        }
    };
    let db = Db::connect(&url, 8).await.expect("connect");
    db.migrate().await.expect("migrate");
    db
}

/// A site folder with a hashed bundle, as `scripts/build.sh` writes it.
fn fake_site() -> PathBuf {
    let dir = std::env::temp_dir().join(unique("portal-site"));
    std::fs::create_dir_all(dir.join("pkg")).unwrap();
    std::fs::write(dir.join("pkg/portal.0123456789abcdef.wasm"), b"\0asm\x01\0\0\0").unwrap();
    std::fs::write(dir.join("pkg/portal.0123456789abcdef.wasm.br"), b"br-bytes").unwrap();
    std::fs::write(dir.join("pkg/portal.0123456789abcdef.js"), b"export default function(){}").unwrap();
    std::fs::write(dir.join("pkg/portal.0123456789abcdef.css"), b"body{}").unwrap();
    std::fs::write(dir.join("favicon.svg"), b"<svg xmlns='http://www.w3.org/2000/svg'/>").unwrap();
    std::fs::write(
        dir.join("asset-manifest.json"),
        r#"{"js":"/pkg/portal.0123456789abcdef.js","wasm":"/pkg/portal.0123456789abcdef.wasm","css":"/pkg/portal.0123456789abcdef.css"}"#,
    )
    .unwrap();
    dir
}

pub async fn spawn_app(engine: Engine) -> TestApp {
    server::telemetry::init();
    let db = fresh_db(engine).await;
    let site_root = fake_site();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    let mailer = app::mail::Mailer::new(None, site_root.join("outbox"), "IoT Portal <no-reply@localhost>").unwrap();
    let state = AppState::new(db.clone(), mailer, site_root.clone(), format!("http://{addr}"), addr);
    tokio::spawn(async move { axum::serve(listener, build_router(state)).await.unwrap() });
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    TestApp { base: format!("http://{addr}"), db, client }
}
