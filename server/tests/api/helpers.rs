use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use app::db::{Db, Engine};
use server::startup::{ServerState, build_router};

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
    pub clock: app::clock::Clock,
    pub outbox: PathBuf,
    /// The server's password hasher: how many argon2 runs it made (timing equality of answers).
    pub hasher: app::hashing::Hasher,
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
    fresh_db_at(engine).await.0
}

/// A fresh, migrated database of the engine, and its URL (for a server process of its own).
pub async fn fresh_db_at(engine: Engine) -> (Db, String) {
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
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&mut *admin_db.writer().await.unwrap())
                .await
                .unwrap();
            admin_db.close().await;
            let (base, _) = admin.rsplit_once('/').expect("TEST_DATABASE_URL ends in /database");
            format!("{base}/{name}")
        }
    };
    let db = Db::connect(&url, 8).await.expect("connect");
    db.migrate().await.expect("migrate");
    (db, url)
}

/// A site folder with a hashed bundle, as `scripts/build.sh` writes it.
fn fake_site() -> PathBuf {
    let dir = std::env::temp_dir().join(unique("portal-site"));
    std::fs::create_dir_all(dir.join("pkg")).unwrap();
    std::fs::write(dir.join("pkg/portal.0123456789abcdef.wasm"), b"\0asm\x01\0\0\0").unwrap();
    std::fs::write(dir.join("pkg/portal.0123456789abcdef.wasm.br"), b"br-bytes").unwrap();
    std::fs::write(dir.join("pkg/portal.0123456789abcdef.js"), b"export default function(){}").unwrap();
    std::fs::write(dir.join("pkg/portal.0123456789abcdef.css"), b"body{}").unwrap();
    std::fs::write(dir.join("pkg/navigate.0123456789abcdef.js"), b"export function start(){}").unwrap();
    std::fs::write(dir.join("favicon.svg"), b"<svg xmlns='http://www.w3.org/2000/svg'/>").unwrap();
    std::fs::write(
        dir.join("asset-manifest.json"),
        r#"{"js":"/pkg/portal.0123456789abcdef.js","wasm":"/pkg/portal.0123456789abcdef.wasm","css":"/pkg/portal.0123456789abcdef.css","nav":"/pkg/navigate.0123456789abcdef.js"}"#,
    )
    .unwrap();
    dir
}

pub async fn spawn_app(engine: Engine) -> TestApp {
    spawn_app_with(engine, None).await
}

/// What differs between test apps: where SMS and mail go, and whether the database (and clock)
/// is shared with another app, as several server processes share one.
#[derive(Default)]
pub struct Setup {
    pub sms_url: Option<String>,
    pub smtp_url: Option<String>,
    pub share: Option<(Db, app::clock::Clock)>,
}

pub async fn spawn_app_with(engine: Engine, sms_url: Option<String>) -> TestApp {
    spawn(engine, Setup { sms_url, ..Setup::default() }).await
}

/// An SMTP server that accepts every message and keeps the raw DATA of each.
pub async fn smtp_sink() -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let got = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("smtp://{}", listener.local_addr().unwrap());
    let store = got.clone();
    tokio::spawn(async move {
        loop {
            let Ok((socket, _)) = listener.accept().await else { return };
            let store = store.clone();
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                let _ = write.write_all(b"220 sink ESMTP\r\n").await;
                let (mut data, mut in_data) = (String::new(), false);
                while let Ok(Some(line)) = lines.next_line().await {
                    if in_data {
                        if line == "." {
                            in_data = false;
                            store.lock().unwrap().push(std::mem::take(&mut data));
                            let _ = write.write_all(b"250 queued\r\n").await;
                        } else {
                            data.push_str(&line);
                            data.push('\n');
                        }
                        continue;
                    }
                    let verb = line.split_whitespace().next().unwrap_or("").to_ascii_uppercase();
                    let reply: &[u8] = match verb.as_str() {
                        "EHLO" | "HELO" => b"250 sink\r\n",
                        "DATA" => {
                            in_data = true;
                            b"354 go ahead\r\n"
                        }
                        "QUIT" => {
                            let _ = write.write_all(b"221 bye\r\n").await;
                            return;
                        }
                        _ => b"250 ok\r\n",
                    };
                    let _ = write.write_all(reply).await;
                }
            });
        }
    });
    (url, got)
}

/// An SMS provider stand-in: a real HTTP server that keeps the bodies it receives.
pub async fn sms_sink() -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    let got = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let store = got.clone();
    let router = axum::Router::new().route(
        "/send",
        axum::routing::post(move |body: String| {
            let store = store.clone();
            async move {
                store.lock().unwrap().push(body);
                "queued"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/send", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (url, got)
}

pub async fn spawn(engine: Engine, setup: Setup) -> TestApp {
    server::telemetry::init();
    let (db, clock) = match setup.share {
        Some((db, clock)) => (db, clock),
        None => (fresh_db(engine).await, app::clock::Clock::manual(1_790_000_000)),
    };
    let sms_url = setup.sms_url;
    let site_root = fake_site();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    let mailer =
        app::mail::Mailer::new(setup.smtp_url.as_deref(), site_root.join("outbox"), "IoT Portal <no-reply@localhost>")
            .unwrap();
    let opts = server::startup::AuthOptions {
        sms: match sms_url {
            Some(url) => std::sync::Arc::new(
                app::sms::HttpSms::new(app::sms::HttpSmsConfig {
                    url,
                    username: Some("portal".into()),
                    password: Some("sms-secret".into()),
                    token: None,
                    body_template: r#"{"to":"{to}","text":"{text}"}"#.into(),
                    content_type: "application/json".into(),
                })
                .unwrap(),
            ),
            None => std::sync::Arc::new(app::sms::OutboxSms::new(site_root.join("outbox"))),
        },
        key: app::crypto::ServerKey::from_bytes([9; 32]),
        clock: clock.clone(),
        trust_proxy: false,
        max_hashes: 2,
    };
    // What a server runs before it serves (see `cli`), at the tests' time.
    app::startup::prepare(&db, clock.now()).await.expect("start-up steps");
    let state = ServerState::new(db.clone(), mailer, opts, site_root.clone(), format!("http://{addr}"), addr);
    let hasher = state.app.auth.hasher.clone();
    tokio::spawn(async move {
        axum::serve(listener, build_router(state).into_make_service_with_connect_info::<SocketAddr>()).await.unwrap()
    });
    // A request that never answers fails the test instead of hanging the run.
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .unwrap();
    TestApp { base: format!("http://{addr}"), db, client, clock, outbox: site_root.join("outbox"), hasher }
}

/// A browser: keeps the session cookie between requests and sends our Origin on posts.
pub struct Browser<'a> {
    pub app: &'a TestApp,
    pub cookie: Option<String>,
    pub origin: String,
}

pub fn location(res: &reqwest::Response) -> String {
    res.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or("").to_string()
}

impl<'a> Browser<'a> {
    fn absorb(&mut self, res: &reqwest::Response) {
        for v in res.headers().get_all("set-cookie") {
            let v = v.to_str().unwrap();
            let Some((name, rest)) = v.split_once('=') else { continue };
            if !name.ends_with("portal_session") {
                continue;
            }
            let value = rest.split(';').next().unwrap_or("");
            self.cookie =
                if value.is_empty() || v.contains("Max-Age=0") { None } else { Some(format!("{name}={value}")) };
        }
    }

    pub async fn get(&mut self, path: &str) -> reqwest::Response {
        self.get_with(path, &[]).await
    }

    /// A GET with extra headers; a `cookie` header is sent along with the session cookie.
    pub async fn get_with(&mut self, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
        let mut req = self.app.client.get(format!("{}{path}", self.app.base));
        let mut cookies: Vec<String> = self.cookie.iter().cloned().collect();
        for (k, v) in headers {
            if k.eq_ignore_ascii_case("cookie") {
                cookies.push(v.to_string());
            } else {
                req = req.header(*k, *v);
            }
        }
        if !cookies.is_empty() {
            req = req.header("cookie", cookies.join("; "));
        }
        let res = req.send().await.expect("request failed");
        self.absorb(&res);
        res
    }

    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        let body: String = form
            .iter()
            .map(|(k, v)| format!("{k}={}", app::routes::encode_query_value(v)))
            .collect::<Vec<_>>()
            .join("&");
        let mut req = self
            .app
            .client
            .post(format!("{}{path}", self.app.base))
            .header("origin", &self.origin)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        if let Some(c) = &self.cookie {
            req = req.header("cookie", c);
        }
        let res = req.send().await.expect("request failed");
        self.absorb(&res);
        res
    }

    /// Calls a server function the way the hydrated page does.
    pub async fn call(&mut self, path: &str, body: &str) -> reqwest::Response {
        let mut req = self
            .app
            .client
            .post(format!("{}{path}", self.app.base))
            .header("origin", &self.origin)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "application/json")
            .body(body.to_string());
        if let Some(c) = &self.cookie {
            req = req.header("cookie", c);
        }
        let res = req.send().await.expect("request failed");
        self.absorb(&res);
        res
    }
}

/// Customers of a test database: the provider, customer A with sub-customer A1, customer B.
pub struct Tenants {
    pub provider: i64,
    pub a: i64,
    pub a1: i64,
    pub b: i64,
}

pub const PASSWORD: &str = "violet anchor drifts north 27";

impl TestApp {
    /// Lets the notification worker catch up with the journal now (it follows it every second
    /// in the background): what journaled changes raise is then in the database.
    pub async fn settle(&self) {
        while app::notify::eval::follow_journal(&self.db, 1_000).await.unwrap() > 0 {}
    }

    pub fn browser(&self) -> Browser<'_> {
        Browser { app: self, cookie: None, origin: self.base.clone() }
    }

    async fn customer(&self, parent: Option<(i64, &str)>, name: &str, provider: bool) -> (i64, String) {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO customers (parent_id, path, name, account_number, is_provider, created_at) \
             VALUES ($1, '', $2, $3, $4, 0) RETURNING id",
        )
        .bind(parent.map(|p| p.0))
        .bind(name)
        .bind(unique("acct"))
        .bind(provider as i64)
        .fetch_one(&mut *self.db.writer().await.unwrap())
        .await
        .unwrap();
        let path = format!("{}{id}/", parent.map(|p| p.1).unwrap_or("/"));
        sqlx::query("UPDATE customers SET path = $1 WHERE id = $2")
            .bind(&path)
            .bind(id)
            .execute(&mut *self.db.writer().await.unwrap())
            .await
            .unwrap();
        (id, path)
    }

    pub async fn tenants(&self) -> Tenants {
        let (provider, _) = self.customer(None, "Provider", true).await;
        let (a, a_path) = self.customer(None, "Customer A", false).await;
        let (a1, _) = self.customer(Some((a, &a_path)), "Customer A1", false).await;
        let (b, _) = self.customer(None, "Customer B", false).await;
        Tenants { provider, a, a1, b }
    }

    /// An active user with a verified email and the password `password`.
    pub async fn user(&self, customer: i64, username: &str, role: &str, password: &str) -> i64 {
        let hash = app::hashing::Hasher::new(1).hash_secret(password).await.unwrap();
        sqlx::query_scalar(
            "INSERT INTO users (customer_id, username, email, name, role, status, lang, password_hash, \
               email_verified_at, created_at) VALUES ($1, $2, $3, $4, $5, 'active', 'en', $6, 1, 0) RETURNING id",
        )
        .bind(customer)
        .bind(username)
        .bind(format!("{username}@example.com"))
        .bind(format!("Name of {username}"))
        .bind(role)
        .bind(hash)
        .fetch_one(&mut *self.db.writer().await.unwrap())
        .await
        .unwrap()
    }

    /// The newest message in the outbox addressed to `to`, decoded from quoted-printable.
    pub fn last_mail(&self, to: &str) -> Option<String> {
        let needle = to.replace('@', "_");
        let mut files: Vec<_> = std::fs::read_dir(&self.outbox)
            .ok()?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.file_name().unwrap().to_string_lossy().contains(&needle))
            .collect();
        files.sort();
        let raw = std::fs::read_to_string(files.last()?).ok()?;
        Some(raw.replace("=\r\n", "").replace("=\n", "").replace("=3D", "="))
    }

    pub fn mail_count(&self, to: &str) -> usize {
        let needle = to.replace('@', "_");
        std::fs::read_dir(&self.outbox)
            .map(|d| d.filter_map(|e| e.ok()).filter(|e| e.file_name().to_string_lossy().contains(&needle)).count())
            .unwrap_or(0)
    }

    /// The six-digit code of the newest message to `to`.
    pub fn code_for(&self, to: &str) -> String {
        let mail = self.last_mail(to).unwrap_or_else(|| panic!("no mail to {to}"));
        let at = mail.find("code is ").unwrap_or_else(|| panic!("no code in mail to {to}: {mail}"));
        first_code(&mail[at..]).unwrap()
    }

    /// A provider administrator, signed in: sees every page.
    pub async fn root(&self) -> Browser<'_> {
        let t = self.tenants().await;
        self.user(t.provider, "root", "provider_admin", PASSWORD).await;
        self.sign_in("root", PASSWORD).await
    }

    /// Signs in with password and emailed code; returns the signed-in browser.
    pub async fn sign_in(&self, username: &str, password: &str) -> Browser<'_> {
        let mut b = self.browser();
        let res = b.post("/auth/login", &[("username", username), ("password", password)]).await;
        assert_eq!(res.status(), 303);
        assert!(location(&res).starts_with("/login/mfa"), "{}", location(&res));
        let code = self.code_for(&format!("{username}@example.com"));
        let res = b.post("/auth/mfa", &[("method", "email"), ("code", &code)]).await;
        assert_eq!(location(&res), "/", "signed in");
        b
    }
}

pub fn first_code(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    (0..bytes.len().saturating_sub(5)).find_map(|i| {
        let w = &bytes[i..i + 6];
        let boundary_before = i == 0 || !bytes[i - 1].is_ascii_digit();
        let boundary_after = bytes.get(i + 6).is_none_or(|b| !b.is_ascii_digit());
        (w.iter().all(u8::is_ascii_digit) && boundary_before && boundary_after).then(|| text[i..i + 6].to_string())
    })
}
