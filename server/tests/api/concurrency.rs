//! Writes under load. Every write endpoint — each form post of the route table the router is
//! built from, each REST write of the API's endpoint list, each server function — takes 16
//! parallel callers on different rows and 16 on one row. Nothing answers 5xx; each change is
//! applied exactly once with its journal entry, or refused with a message (a notice on the page
//! it returns to, or a 4xx with a body). A route the fixtures below do not know fails the test,
//! so a new endpoint cannot be missed. The same runs again while a bulk job over 5,000 SIMs and
//! an ingest of 50,000 CDRs write beside it.
use std::collections::BTreeMap;
use std::time::Duration;

use futures::future::join_all;
use serde_json::{Value, json};
use sqlx::Row;

use crate::both_engines;
use crate::helpers::{PASSWORD, TestApp, location, unique};
use crate::sims::{Fleet, fleet};

/// Parallel callers of each case.
const N: usize = 16;

/// What came back.
#[derive(Clone, Debug)]
struct Res {
    status: u16,
    location: String,
    body: String,
    cookie: Option<String>,
}

/// A session cookie and what to send with it.
#[derive(Clone, Debug)]
struct Call {
    cookie: Option<String>,
    path: String,
    form: Vec<(String, String)>,
}

fn call(cookie: &Option<String>, path: &str, form: &[(&str, String)]) -> Call {
    Call {
        cookie: cookie.clone(),
        path: path.to_string(),
        form: form.iter().map(|(k, v)| (k.to_string(), v.clone())).collect(),
    }
}

/// Clients sending from 32 loopback addresses in turn: hundreds of sign-ins from one address
/// would meet the per-address sign-in limit, which is not what these tests are about.
fn client() -> reqwest::Client {
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicUsize, Ordering};
    static CLIENTS: OnceLock<Vec<reqwest::Client>> = OnceLock::new();
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let all = CLIENTS.get_or_init(|| {
        (0..32u8)
            .map(|i| {
                reqwest::Client::builder()
                    .local_address(std::net::IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 10 + i)))
                    .redirect(reqwest::redirect::Policy::none())
                    .timeout(Duration::from_secs(60))
                    .build()
                    .unwrap()
            })
            .collect()
    });
    all[NEXT.fetch_add(1, Ordering::Relaxed) % all.len()].clone()
}

/// A form post as a browser sends it.
async fn post(app: &TestApp, c: &Call) -> Res {
    let body: String =
        c.form.iter().map(|(k, v)| format!("{k}={}", app::routes::encode_query_value(v))).collect::<Vec<_>>().join("&");
    let mut req = client()
        .post(format!("{}{}", app.base, c.path))
        .header("origin", &app.base)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body);
    if let Some(cookie) = &c.cookie {
        req = req.header("cookie", cookie);
    }
    let res = req.send().await.expect("request failed");
    read(res).await
}

async fn read(res: reqwest::Response) -> Res {
    let status = res.status().as_u16();
    let location = location(&res);
    let cookie = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("portal_session=") && !v.contains("Max-Age=0"))
        .map(|v| v.split(';').next().unwrap_or("").to_string());
    let body = res.text().await.unwrap_or_default();
    Res { status, location, body, cookie }
}

/// A JSON call of the API with a key.
async fn api(app: &TestApp, key: &str, path: impl Into<String>, body: Value) -> Res {
    let path: String = path.into();
    let res = app
        .client
        .post(format!("{}{path}", app.base))
        .bearer_auth(key)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .expect("request failed");
    read(res).await
}

async fn ingest(app: &TestApp, key: &str, path: &str, lines: String) -> Res {
    let res = app
        .client
        .post(format!("{}{path}", app.base))
        .bearer_auth(key)
        .header("content-type", "application/x-ndjson")
        .body(lines)
        .send()
        .await
        .expect("request failed");
    read(res).await
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string())).fetch_one(app.db.pool()).await.unwrap()
}

async fn journal(app: &TestApp, action: &str) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM journal WHERE action = $1")
        .bind(action)
        .fetch_one(app.db.pool())
        .await
        .unwrap()
}

/// A refusal a person can read: back to a page with a notice, or a 4xx that says why.
fn is_clear_refusal(r: &Res) -> bool {
    match r.status {
        303 | 302 => ["n=", "errors=", "/login"].iter().any(|m| r.location.contains(m)),
        400..=499 => !r.body.trim().is_empty(),
        _ => false,
    }
}

/// How a case is judged.
struct Expect {
    applied: Box<dyn Fn(&Res) -> bool + Send + Sync>,
    /// The journal action each applied call writes once.
    journal: Option<&'static str>,
    /// At most this many may be applied (one row, one change).
    at_most: Option<usize>,
}

fn expect(applied: impl Fn(&Res) -> bool + Send + Sync + 'static, journal: Option<&'static str>) -> Expect {
    Expect { applied: Box::new(applied), journal, at_most: None }
}

fn to(needle: &'static str) -> impl Fn(&Res) -> bool + Send + Sync + 'static {
    move |r: &Res| r.status == 303 && r.location.contains(needle)
}

fn once(mut e: Expect) -> Expect {
    e.at_most = Some(1);
    e
}

/// Runs the calls all at once and checks what came back. Returns the answers.
async fn run(app: &TestApp, name: &str, calls: Vec<Call>, e: &Expect) -> Vec<Res> {
    let before = match e.journal {
        Some(a) => journal(app, a).await,
        None => 0,
    };
    let answers = join_all(calls.iter().map(|c| post(app, c))).await;
    judge(app, name, &answers, e, before).await;
    answers
}

async fn judge(app: &TestApp, name: &str, answers: &[Res], e: &Expect, before: i64) {
    let mut applied = 0;
    for r in answers {
        assert!(r.status < 500, "{name}: answered {} ({})", r.status, r.body.chars().take(300).collect::<String>());
        if (e.applied)(r) {
            applied += 1;
        } else {
            assert!(is_clear_refusal(r), "{name}: neither applied nor refused with a message: {r:?}");
        }
    }
    // A fixture whose calls are all refused tests nothing: it must be fixed.
    assert!(applied >= 1, "{name}: none of {} applied: {:?}", answers.len(), answers.first());
    if let Some(max) = e.at_most {
        assert!(applied <= max, "{name}: {applied} applied on one row");
    }
    if let Some(action) = e.journal {
        // Journal entries are written in the transaction of the change: exactly one each.
        let after = journal(app, action).await;
        assert_eq!(after - before, applied as i64, "{name}: {applied} applied, journal {action} +{}", after - before);
    }
}

/// Users of one shared password, created directly (one argon2 hash for all).
struct People {
    hash: String,
}

impl People {
    async fn new() -> People {
        People { hash: app::hashing::Hasher::new(1).hash_secret(PASSWORD).await.unwrap() }
    }

    async fn create(&self, app: &TestApp, customer: i64, role: &str, prefix: &str, n: usize) -> Vec<(i64, String)> {
        let mut out = Vec::new();
        let mut w = app.db.writer().await.unwrap();
        for i in 0..n {
            let username = format!("{prefix}{i}");
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO users (customer_id, username, email, name, role, status, lang, password_hash, \
                   email_verified_at, created_at) VALUES ($1, $2, $3, $4, $5, 'active', 'en', $6, 1, 0) RETURNING id",
            )
            .bind(customer)
            .bind(&username)
            .bind(format!("{username}@example.com"))
            .bind(format!("Name of {username}"))
            .bind(role)
            .bind(&self.hash)
            .fetch_one(&mut *w)
            .await
            .unwrap();
            out.push((id, username));
        }
        out
    }

    /// `n` users signed in (password and emailed code), their session cookies.
    async fn signed_in(
        &self,
        app: &TestApp,
        customer: i64,
        role: &str,
        n: usize,
    ) -> Vec<(i64, String, Option<String>)> {
        let prefix = format!("{}_", unique("u").replace('_', "").chars().rev().take(8).collect::<String>());
        let users = self.create(app, customer, role, &prefix, n).await;
        let signed = join_all(users.iter().map(|(_, u)| sign_in(app, u))).await;
        users.into_iter().zip(signed).map(|((id, u), c)| (id, u, c)).collect()
    }

    /// `n` users half-way: password given, the emailed code waiting.
    async fn pending(&self, app: &TestApp, customer: i64, n: usize) -> Vec<(String, Option<String>)> {
        let prefix = format!("{}_", unique("p").replace('_', "").chars().rev().take(8).collect::<String>());
        let users = self.create(app, customer, "customer_user", &prefix, n).await;
        let cookies = join_all(users.iter().map(|(_, u)| login(app, u))).await;
        users.into_iter().map(|(_, u)| u).zip(cookies).collect()
    }
}

async fn login(app: &TestApp, username: &str) -> Option<String> {
    let c = call(&None, "/auth/login", &[("username", username.to_string()), ("password", PASSWORD.to_string())]);
    let r = post(app, &c).await;
    assert!(r.location.starts_with("/login/mfa"), "{username}: {r:?}");
    r.cookie
}

async fn sign_in(app: &TestApp, username: &str) -> Option<String> {
    let cookie = login(app, username).await;
    let code = app.code_for(&format!("{username}@example.com"));
    let r = post(app, &call(&cookie, "/auth/mfa", &[("method", "email".into()), ("code", code)])).await;
    assert_eq!(r.location, "/", "{username} signed in: {r:?}");
    r.cookie
}

/// Activated SIMs of `customer`, created in one statement, with their ids and ICCIDs.
pub async fn add_sims(app: &TestApp, customer: i64, n: i64, tag: u32) -> Vec<(i64, String)> {
    let now = app.clock.now();
    let mut w = app.db.writer().await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < {n}) \
         INSERT INTO sims (iccid, imsi, msisdn, label, status, customer_id, activated_at, cycle_start_day, \
           cycle_data_bytes, cycle_sms, cycle_voice_seconds, created_at, updated_at) \
         SELECT '8977{tag:03}' || substr('000000000000' || CAST(i AS TEXT), length(CAST(i AS TEXT)) + 1), \
           '9077{tag:03}' || substr('00000000' || CAST(i AS TEXT), length(CAST(i AS TEXT)) + 1), \
           '+4977{tag:03}' || substr('000000' || CAST(i AS TEXT), length(CAST(i AS TEXT)) + 1), 'Bulk ' || CAST(i AS TEXT), \
           'activated', {customer}, {now}, 1, 0, 0, 0, {now}, {now} FROM k"
    )))
    .execute(&mut *w)
    .await
    .unwrap();
    app::sims::db::rebuild_counts(&mut w).await.unwrap();
    drop(w);
    sqlx::query(sqlx::AssertSqlSafe(format!("SELECT id, iccid FROM sims WHERE iccid LIKE '8977{tag:03}%' ORDER BY id")))
        .fetch_all(app.db.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get("id"), r.get("iccid")))
        .collect()
}

/// Everything the fixtures share.
struct World {
    f: Fleet,
    people: People,
    /// Customer A's administrators, signed in (the 16 callers on different rows).
    admins: Vec<(i64, String, Option<String>)>,
    /// Activated SIMs of customer A not used yet.
    sims: Vec<(i64, String)>,
    /// Keys for the API: one of kind "api", one "ingest" (the provider's).
    api_key: String,
    ingest_key: String,
    service2: i64,
    field: i64,
}

impl World {
    fn take_sims(&mut self, n: usize) -> Vec<(i64, String)> {
        assert!(self.sims.len() >= n, "not enough SIMs left for the fixtures");
        self.sims.split_off(self.sims.len() - n)
    }
}

async fn new_key(app: &TestApp, cookie: &Option<String>, kind: &str, role: &str) -> String {
    let r = post(
        app,
        &call(
            cookie,
            "/account/api-keys",
            &[
                ("name", format!("{kind} key")),
                ("kind", kind.into()),
                ("role", role.into()),
                ("current", PASSWORD.into()),
            ],
        ),
    )
    .await;
    assert!(r.location.starts_with("/profile/api-keys?new="), "{r:?}");
    let page = app
        .client
        .get(format!("{}{}", app.base, r.location))
        .header("cookie", cookie.clone().unwrap())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let at = page.find("iotp_").expect("the new key is shown");
    page[at..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-').collect()
}

async fn world(app: &TestApp) -> World {
    let f = fleet(app).await;
    let people = People::new().await;
    let root = people.signed_in(app, f.t.provider, "provider_admin", 1).await.remove(0).2;
    let admins = people.signed_in(app, f.t.a, "customer_admin", N).await;
    let sims = add_sims(app, f.t.a, 400, 1).await;
    let api_key = new_key(app, &root, "api", "provider_admin").await;
    let ingest_key = new_key(app, &root, "ingest", "provider_admin").await;
    let mut w = app.db.writer().await.unwrap();
    let service2: i64 = sqlx::query_scalar(
        "INSERT INTO customer_services (customer_id, rate_plan_id, name) VALUES ($1, $2, 'A second plan') RETURNING id",
    )
    .bind(f.t.a)
    .bind(f.plan)
    .fetch_one(&mut *w)
    .await
    .unwrap();
    let field: i64 = sqlx::query_scalar(
        "INSERT INTO sim_fields (customer_id, name, kind, choices, created_at) \
         VALUES ($1, 'Colour', 'choice', 'Red\nGreen', 0) RETURNING id",
    )
    .bind(f.t.a)
    .fetch_one(&mut *w)
    .await
    .unwrap();
    drop(w);
    World { f, people, admins, sims, api_key, ingest_key, service2, field }
}

/// The newest mail to `to` that contains `needle`, waited for (some mail is sent after the answer).
async fn mail_with(app: &TestApp, to: &str, needle: &str) -> String {
    for _ in 0..100 {
        if let Some(m) = app.last_mail(to).filter(|m| m.contains(needle)) {
            return m;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no mail to {to} with {needle:?}");
}

fn after<'a>(text: &'a str, marker: &str) -> &'a str {
    let at = text.find(marker).unwrap_or_else(|| panic!("{marker:?} not in {text}")) + marker.len();
    &text[at..]
}

/// The latest SMS code sent to `phone` (digits only in the file name).
async fn sms_code(app: &TestApp, phone: &str) -> String {
    let who: String = phone.chars().filter(|c| c.is_ascii_digit()).collect();
    for _ in 0..100 {
        let mut files: Vec<_> = std::fs::read_dir(&app.outbox)
            .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        files.retain(|p: &std::path::PathBuf| {
            p.file_name().unwrap().to_string_lossy().ends_with(&format!("-sms-{who}.txt"))
        });
        files.sort();
        if let Some(last) = files.last() {
            return crate::helpers::first_code(&std::fs::read_to_string(last).unwrap()).unwrap();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no SMS to {phone}");
}

pub fn base32_decode(s: &str) -> Vec<u8> {
    const ALPHA: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let (mut bits, mut n, mut out) = (0u64, 0, Vec::new());
    for c in s.bytes() {
        bits = (bits << 5) | ALPHA.iter().position(|a| *a == c).expect("base32") as u64;
        n += 5;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
            bits &= (1 << n) - 1;
        }
    }
    out
}

/// Calls a server function with a session, as the hydrated page does.
async fn server_fn(app: &TestApp, cookie: &Option<String>, path: &str, args: &str) -> Res {
    let mut req = client()
        .post(format!("{}{path}", app.base))
        .header("origin", &app.base)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "application/json")
        .body(args.to_string());
    if let Some(c) = cookie {
        req = req.header("cookie", c);
    }
    read(req.send().await.unwrap()).await
}

/// The form posts: for each route of the table, 16 callers on different rows, then 16 on one.
async fn every_form_route(app: &TestApp, w: &mut World) -> Vec<&'static str> {
    let mut done = Vec::new();
    let routes: Vec<(&'static str, app::web::Access)> = app::site::routes::<app::state::AppState>()
        .into_iter()
        .filter(|r| r.writes())
        .map(|r| (r.path, r.access))
        .collect();
    // Sign-in steps first: each counts against the address's sign-in limit, whose window the
    // (test) clock then moves past.
    let mut ordered: Vec<_> = routes.iter().filter(|(p, _)| p.starts_with("/auth/")).collect();
    ordered.extend(routes.iter().filter(|(p, _)| !p.starts_with("/auth/")));
    for (path, _) in ordered {
        form_case(app, w, path).await;
        done.push(*path);
    }
    done
}

async fn form_case(app: &TestApp, w: &mut World, path: &'static str) {
    eprintln!("concurrency: POST {path}");
    let admins: Vec<Option<String>> = w.admins.iter().map(|a| a.2.clone()).collect();
    let a0 = admins[0].clone();
    let s = |v: &str| v.to_string();
    let a = w.f.t.a;
    match path {
        "/auth/login" => {
            let users = w.people.create(app, a, "customer_user", &format!("{}l", short()), N).await;
            let calls = users
                .iter()
                .map(|(_, u)| call(&None, path, &[("username", s(u)), ("password", s(PASSWORD))]))
                .collect();
            run(app, "login, 16 users", calls, &expect(to("/login/mfa"), None)).await;
            let calls = (0..N)
                .map(|_| call(&None, path, &[("username", users[0].1.clone()), ("password", s(PASSWORD))]))
                .collect();
            run(app, "login, one user", calls, &expect(to("/login/mfa"), None)).await;
        }
        "/auth/mfa" => {
            let pending = w.people.pending(app, a, N + 1).await;
            let calls = pending[..N]
                .iter()
                .map(|(u, c)| {
                    call(c, path, &[("method", s("email")), ("code", app.code_for(&format!("{u}@example.com")))])
                })
                .collect();
            run(app, "second factor, 16 users", calls, &expect(|r: &Res| r.location == "/", None)).await;
            let (u, c) = &pending[N];
            let code = app.code_for(&format!("{u}@example.com"));
            let calls = (0..N).map(|_| call(c, path, &[("method", s("email")), ("code", code.clone())])).collect();
            run(app, "second factor, one code", calls, &once(expect(|r: &Res| r.location == "/", None))).await;
        }
        "/auth/mfa/send" | "/auth/code/resend" => {
            let pending = w.people.pending(app, a, N).await;
            // The code sent at sign-in is 30 s old: a new one may go.
            app.clock.advance(31);
            let calls = pending.iter().map(|(_, c)| call(c, path, &[("method", s("email"))])).collect();
            run(app, path, calls, &expect(to("n=code_sent"), None)).await;
            app.clock.advance(31);
            let calls = (0..N).map(|_| call(&pending[0].1, path, &[("method", s("email"))])).collect();
            run(app, path, calls, &expect(to("n=code_sent"), None)).await;
        }
        "/auth/forgot" => {
            let users = w.people.create(app, a, "customer_user", &format!("{}f", short()), N).await;
            let form = |u: &str| vec![("username", s(u)), ("email", format!("{u}@example.com"))];
            let calls = users.iter().map(|(_, u)| call(&None, path, &form(u))).collect();
            run(app, "forgot, 16 users", calls, &expect(to("n=reset_sent"), None)).await;
            let calls = (0..N).map(|_| call(&None, path, &form(&users[0].1))).collect();
            run(app, "forgot, one user", calls, &expect(to("n=reset_sent"), None)).await;
        }
        "/auth/reset" => {
            let users = w.people.create(app, a, "customer_user", &format!("{}r", short()), N + 1).await;
            let mut tokens = Vec::new();
            for (_, u) in &users {
                let email = format!("{u}@example.com");
                post(app, &call(&None, "/auth/forgot", &[("username", s(u)), ("email", email.clone())])).await;
                let mail = mail_with(app, &email, "reset-password?token=").await;
                let token: String = after(&mail, "reset-password?token=")
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                    .collect();
                tokens.push(token);
            }
            let pw = "an entirely new passphrase 77";
            let form = |t: &str| vec![("token", s(t)), ("password", s(pw)), ("confirm", s(pw))];
            let calls = tokens[..N].iter().map(|t| call(&None, path, &form(t))).collect();
            run(app, "reset, 16 links", calls, &expect(to("n=reset_done"), Some("password.reset"))).await;
            let calls = (0..N).map(|_| call(&None, path, &form(&tokens[N]))).collect();
            run(app, "reset, one link", calls, &once(expect(to("n=reset_done"), Some("password.reset")))).await;
        }
        "/auth/logout" => {
            let pending = w.people.pending(app, a, N).await;
            let calls = pending.iter().map(|(_, c)| call(c, path, &[])).collect();
            run(app, "sign out, 16 sessions", calls, &expect(to("n=signed_out"), None)).await;
            let pending = w.people.pending(app, a, 1).await;
            let calls = (0..N).map(|_| call(&pending[0].1, path, &[])).collect();
            run(app, "sign out, one session", calls, &expect(to("n=signed_out"), None)).await;
        }
        "/auth/code" | "/auth/new-password" => {} // with the first step
        "/auth/verify-email" => {
            // An invitation's first sign-in, step by step: 16 invited users at each step.
            let prefix = format!("{}i", short());
            for i in 0..N {
                let form = [
                    ("name", format!("Invited {i}")),
                    ("username", format!("{prefix}{i}")),
                    ("email", format!("{prefix}{i}@example.com")),
                    ("role", s("customer_user")),
                    ("customer", a.to_string()),
                ];
                assert!(post(app, &call(&a0, "/admin/invite", &form)).await.location.contains("invitation_sent"));
            }
            let mut sessions = Vec::new();
            for i in 0..N {
                let email = format!("{prefix}{i}@example.com");
                let mail = mail_with(app, &email, "Temporary password: ").await;
                let temp: String =
                    after(&mail, "Temporary password: ").chars().take_while(|c| !c.is_whitespace()).collect();
                let r =
                    post(app, &call(&None, "/auth/login", &[("username", format!("{prefix}{i}")), ("password", temp)]))
                        .await;
                assert_eq!(r.location, app::routes::LOGIN_VERIFY_EMAIL, "{r:?}");
                sessions.push((email, r.cookie));
            }
            type Applied = fn(&Res) -> bool;
            let steps: [(&str, Applied); 3] = [
                ("/auth/verify-email", |r| r.location.starts_with("/login/code")),
                ("/auth/code", |r| r.location.starts_with("/login/new-password")),
                ("/auth/new-password", |r| r.location == "/" || r.location.contains("validate_phone")),
            ];
            for (step, applied) in steps {
                let calls = sessions
                    .iter()
                    .map(|(email, c)| match step {
                        "/auth/verify-email" => call(c, step, &[("email", email.clone())]),
                        "/auth/code" => call(c, step, &[("code", app.code_for(email))]),
                        _ => call(
                            c,
                            step,
                            &[("password", s("my own passphrase 2026")), ("confirm", s("my own passphrase 2026"))],
                        ),
                    })
                    .collect();
                let journal = (step == "/auth/new-password").then_some("password.set");
                let answers = run(app, step, calls, &expect(applied, journal)).await;
                // Each step rotates the session token.
                for ((_, c), r) in sessions.iter_mut().zip(answers) {
                    if r.cookie.is_some() {
                        *c = r.cookie;
                    }
                }
            }
        }
        "/account/profile" | "/account/language" | "/account/time-zone" => {
            let (field, values, action): (&str, [&str; 2], &'static str) = match path {
                "/account/profile" => ("name", ["Ada Example", "Grace Example"], "user.name_changed"),
                "/account/language" => ("lang", ["es", "it"], "user.language_changed"),
                _ => ("time_zone", ["Europe/Rome", "America/New_York"], "user.time_zone_changed"),
            };
            let calls = admins.iter().map(|c| call(c, path, &[(field, s(values[0]))])).collect();
            run(app, path, calls, &expect(to("n=saved"), Some(action))).await;
            let calls = (0..N).map(|i| call(&a0, path, &[(field, s(values[i % 2]))])).collect();
            run(app, path, calls, &expect(to("n=saved"), Some(action))).await;
        }
        "/account/active-role" => {
            let calls = admins.iter().map(|c| call(c, path, &[("role", s("own"))])).collect();
            run(app, path, calls, &expect(to("n=saved"), Some("session.role_switched"))).await;
            let calls = (0..N).map(|_| call(&a0, path, &[("role", s("own"))])).collect();
            run(app, path, calls, &expect(to("n=saved"), Some("session.role_switched"))).await;
        }
        "/account/default-dashboard" => {
            let mut calls = Vec::new();
            for (id, _, c) in &w.admins {
                let board: i64 = count(app, &format!("SELECT MIN(id) FROM dashboards WHERE owner_id = {id}")).await;
                calls.push(call(c, path, &[("dashboard", board.to_string())]));
            }
            let same = calls[0].clone();
            run(app, path, calls, &expect(to("n=saved"), Some("dashboard.default"))).await;
            run(app, path, vec![same; N], &expect(to("n=saved"), Some("dashboard.default"))).await;
        }
        "/account/api-keys" => {
            let form = [("name", s("ERP")), ("kind", s("api")), ("role", s("read_only")), ("current", s(PASSWORD))];
            let calls = admins.iter().map(|c| call(c, path, &form)).collect();
            run(app, "new keys", calls, &expect(to("?new="), Some("api_key.created"))).await;
            let calls = (0..N).map(|_| call(&a0, path, &form)).collect();
            run(app, "new keys, one user", calls, &expect(to("?new="), Some("api_key.created"))).await;
        }
        "/account/api-keys/{id}/revoke" => {
            let keys: Vec<(i64, i64)> = sqlx::query(
                "SELECT k.id AS id, k.user_id AS user_id FROM api_keys k JOIN users u ON u.id = k.user_id \
                 WHERE u.customer_id = $1 AND k.revoked_at IS NULL ORDER BY k.id",
            )
            .bind(a)
            .fetch_all(app.db.pool())
            .await
            .unwrap()
            .iter()
            .map(|r| (r.get("id"), r.get("user_id")))
            .collect();
            let mut calls = Vec::new();
            for (id, cookie) in w.admins.iter().map(|a| (a.0, &a.2)) {
                let key = keys.iter().find(|k| k.1 == id).expect("each admin made a key").0;
                calls.push(call(cookie, &format!("/account/api-keys/{key}/revoke"), &[]));
            }
            run(app, "revoke, 16 keys", calls, &expect(to("revoked"), Some("api_key.revoked"))).await;
            let mine = keys.iter().filter(|k| k.1 == w.admins[0].0).map(|k| k.0).nth(1).unwrap();
            let calls = (0..N).map(|_| call(&a0, &format!("/account/api-keys/{mine}/revoke"), &[])).collect();
            run(app, "revoke, one key", calls, &once(expect(to("revoked"), Some("api_key.revoked")))).await;
        }
        "/account/password" => {
            let group = w.people.signed_in(app, a, "customer_user", N + 1).await;
            let pw = "a completely different passphrase 9";
            let form = [("current", s(PASSWORD)), ("password", s(pw)), ("confirm", s(pw))];
            let calls = group[..N].iter().map(|g| call(&g.2, path, &form)).collect();
            run(app, "password, 16 users", calls, &expect(to("n=password_changed"), Some("password.changed"))).await;
            let calls = (0..N).map(|_| call(&group[N].2, path, &form)).collect();
            run(app, "password, one user", calls, &once(expect(to("n=password_changed"), Some("password.changed"))))
                .await;
        }
        "/account/email" | "/account/email/verify" => {
            if path == "/account/email/verify" {
                return; // with its first step
            }
            let group = w.people.signed_in(app, a, "customer_user", N + 1).await;
            let new = |u: &str| format!("new.{u}@example.net");
            let calls = group[..N]
                .iter()
                .map(|g| call(&g.2, path, &[("current", s(PASSWORD)), ("email", new(&g.1))]))
                .collect();
            run(app, "email change, 16 users", calls, &expect(to("n=email_code_sent"), None)).await;
            let (u, c) = (&group[N].1, &group[N].2);
            let calls = (0..N).map(|_| call(c, path, &[("current", s(PASSWORD)), ("email", new(u))])).collect();
            run(app, "email change, one user", calls, &expect(to("n=email_code_sent"), None)).await;
            let verify = "/account/email/verify";
            let calls = group[..N].iter().map(|g| call(&g.2, verify, &[("code", app.code_for(&new(&g.1)))])).collect();
            run(app, "email confirmed, 16 users", calls, &expect(to("n=saved"), Some("email.changed"))).await;
            // Racing requests may each have sent a code: one more, alone, makes the newest mail
            // the one code that counts.
            app.clock.advance(31);
            post(app, &call(c, path, &[("current", s(PASSWORD)), ("email", new(u))])).await;
            let code = app.code_for(&new(u));
            let calls = (0..N).map(|_| call(c, verify, &[("code", code.clone())])).collect();
            run(app, "email confirmed, one code", calls, &once(expect(to("n=saved"), Some("email.changed")))).await;
        }
        "/account/phone" | "/account/phone/verify" | "/account/phone/remove" => {
            if path != "/account/phone" {
                return; // with the first step
            }
            let group = w.people.signed_in(app, a, "customer_user", N + 1).await;
            let phone = |i: usize| format!("+39347{:07}", 1000 + i);
            let calls =
                (0..N).map(|i| call(&group[i].2, path, &[("current", s(PASSWORD)), ("phone", phone(i))])).collect();
            run(app, "phone, 16 users", calls, &expect(to("n=phone_code_sent"), None)).await;
            let verify = "/account/phone/verify";
            let mut calls = Vec::new();
            for (i, g) in group[..N].iter().enumerate() {
                calls.push(call(&g.2, verify, &[("code", sms_code(app, &phone(i)).await)]));
            }
            run(app, "phone verified, 16 users", calls, &expect(to("n=phone_verified"), Some("phone.verified"))).await;
            let one = &group[N].2;
            post(app, &call(one, path, &[("current", s(PASSWORD)), ("phone", phone(N))])).await;
            let code = sms_code(app, &phone(N)).await;
            let calls = (0..N).map(|_| call(one, verify, &[("code", code.clone())])).collect();
            run(app, "phone verified, one code", calls, &once(expect(to("n=phone_verified"), Some("phone.verified"))))
                .await;
            let remove = "/account/phone/remove";
            let calls = group[..N].iter().map(|g| call(&g.2, remove, &[("current", s(PASSWORD))])).collect();
            run(app, "phone removed, 16 users", calls, &expect(to("n=saved"), Some("phone.removed"))).await;
            let calls = (0..N).map(|_| call(one, remove, &[("current", s(PASSWORD))])).collect();
            run(app, "phone removed, one user", calls, &expect(to("n=saved"), Some("phone.removed"))).await;
        }
        "/account/totp" | "/account/totp/remove" => {
            if path != "/account/totp" {
                return;
            }
            let group = w.people.signed_in(app, a, "customer_user", N + 1).await;
            let mut calls = Vec::new();
            for g in &group {
                let r = server_fn(app, &g.2, "/api/totp_enrolment", "").await;
                let body: Value = serde_json::from_str(&r.body).unwrap();
                let secret = base32_decode(&body["secret"].as_str().unwrap().replace(' ', ""));
                calls.push(call(
                    &g.2,
                    path,
                    &[
                        ("code", app::auth::totp::code_at(&secret, app.clock.now())),
                        ("name", s("Phone")),
                        ("current", s(PASSWORD)),
                    ],
                ));
            }
            let one = calls.pop().unwrap();
            let answers =
                run(app, "authenticator, 16 users", calls, &expect(to("n=device_added"), Some("mfa.device_added")))
                    .await;
            let one_cookie = one.cookie.clone();
            run(
                app,
                "authenticator, one code",
                vec![one; N],
                &once(expect(to("n=device_added"), Some("mfa.device_added"))),
            )
            .await;
            // Adding a factor rotates the session.
            let cookies: Vec<Option<String>> = answers.into_iter().map(|r| r.cookie).collect();
            let remove = "/account/totp/remove";
            let mut calls = Vec::new();
            for (g, c) in group[..N].iter().zip(&cookies) {
                let id: i64 = sqlx::query_scalar("SELECT id FROM totp_devices WHERE user_id = $1")
                    .bind(g.0)
                    .fetch_one(app.db.pool())
                    .await
                    .unwrap();
                calls.push(call(c, remove, &[("current", s(PASSWORD)), ("id", id.to_string())]));
            }
            run(
                app,
                "authenticator removed, 16 users",
                calls,
                &expect(to("n=device_removed"), Some("mfa.device_removed")),
            )
            .await;
            let _ = one_cookie;
        }
        "/account/recovery-codes" | "/account/email-codes" | "/account/default-method" => {
            let (form, applied, action): (Vec<(&str, String)>, &'static str, Option<&'static str>) = match path {
                "/account/recovery-codes" => {
                    (vec![("current", s(PASSWORD))], "/recovery-codes", Some("mfa.recovery_codes_generated"))
                }
                "/account/email-codes" => {
                    (vec![("current", s(PASSWORD)), ("on", s("1"))], "n=saved", Some("mfa.email_on"))
                }
                _ => (vec![("method", s("email"))], "n=saved", None),
            };
            let calls = admins.iter().map(|c| call(c, path, &form)).collect();
            run(app, path, calls, &expect(to(applied), action)).await;
            let calls = (0..N).map(|_| call(&a0, path, &form)).collect();
            run(app, path, calls, &expect(to(applied), action)).await;
        }
        "/account/sessions/end" => {
            // Each user signs in once more elsewhere and ends that session from here.
            let group = w.people.signed_in(app, a, "customer_user", N).await;
            let mut calls = Vec::new();
            for (id, u, c) in &group {
                sign_in(app, u).await;
                let other: i64 = sqlx::query_scalar("SELECT MAX(id) FROM sessions WHERE user_id = $1")
                    .bind(id)
                    .fetch_one(app.db.pool())
                    .await
                    .unwrap();
                calls.push(call(c, path, &[("id", other.to_string()), ("current", s(PASSWORD))]));
            }
            let same = calls[0].clone();
            run(app, "sessions ended, 16 users", calls, &expect(to("n=session_ended"), None)).await;
            run(app, "session ended, one session", vec![same; N], &expect(to("n=session_ended"), None)).await;
        }
        "/admin/invite" => {
            let prefix = format!("{}v", short());
            let form = |i: usize| {
                vec![
                    ("name", format!("Invited {i}")),
                    ("username", format!("{prefix}{i}")),
                    ("email", format!("{prefix}{i}@example.com")),
                    ("role", s("customer_user")),
                    ("customer", a.to_string()),
                ]
            };
            let calls = (0..N).map(|i| call(&admins[i], path, &form(i))).collect();
            run(app, "invite, 16 users", calls, &expect(to("n=invitation_sent"), Some("user.invited"))).await;
            let calls = (0..N).map(|_| call(&a0, path, &form(N))).collect();
            run(app, "invite, one username", calls, &once(expect(to("n=invitation_sent"), Some("user.invited")))).await;
        }
        "/admin/users/resend" | "/admin/users/unlock" | "/admin/users/{id}" => {
            let targets = w.people.create(app, a, "customer_user", &format!("{}t", short()), N).await;
            let invited: Vec<i64> =
                sqlx::query_scalar("SELECT id FROM users WHERE status = 'invited' AND customer_id = $1 ORDER BY id")
                    .bind(a)
                    .fetch_all(app.db.pool())
                    .await
                    .unwrap();
            let (calls, same, e): (Vec<Call>, Call, Expect) = match path {
                "/admin/users/resend" => (
                    invited.iter().take(N).map(|id| call(&a0, path, &[("id", id.to_string())])).collect(),
                    call(&a0, path, &[("id", invited[0].to_string())]),
                    expect(to("n=invitation_sent"), Some("user.invitation_resent")),
                ),
                "/admin/users/unlock" => (
                    targets.iter().map(|(id, _)| call(&a0, path, &[("id", id.to_string())])).collect(),
                    call(&a0, path, &[("id", targets[0].0.to_string())]),
                    expect(to("n=unlocked"), Some("account.unlocked")),
                ),
                _ => {
                    let form = |i: usize| {
                        vec![
                            ("op", s("edit")),
                            ("name", format!("Edited {i}")),
                            ("role", s("customer_user")),
                            ("customer", a.to_string()),
                        ]
                    };
                    (
                        targets
                            .iter()
                            .enumerate()
                            .map(|(i, (id, _))| call(&admins[i], &format!("/admin/users/{id}"), &form(i)))
                            .collect(),
                        call(&a0, &format!("/admin/users/{}", targets[0].0), &form(99)),
                        expect(to("n=edit"), Some("user.edited")),
                    )
                }
            };
            assert!(calls.len() >= 4, "{path}: fixtures");
            run(app, path, calls, &e).await;
            run(app, path, vec![same; N], &e).await;
        }
        "/admin/mfa-policy" => {
            let calls = (0..N)
                .map(|i| call(&admins[i], path, &[("customer", [a, w.f.t.a1][i % 2].to_string()), ("on", s("1"))]))
                .collect();
            run(app, path, calls, &expect(to("n=saved"), Some("policy.mfa_on"))).await;
            let calls = (0..N)
                .map(|_| call(&a0, path, &[("customer", w.f.t.a1.to_string()), ("current", s(PASSWORD))]))
                .collect();
            run(app, path, calls, &expect(to("n=saved"), Some("policy.mfa_off"))).await;
        }
        "/account/confirm" => {
            let form = [("current", s(PASSWORD)), ("next", s("/profile/api-keys"))];
            let calls = admins.iter().map(|c| call(c, path, &form)).collect();
            run(app, "confirm, 16 users", calls, &expect(to("n=confirmed"), None)).await;
            let calls = (0..N).map(|_| call(&a0, path, &form)).collect();
            run(app, "confirm, one session", calls, &expect(to("n=confirmed"), None)).await;
        }
        "/admin/sms-countries" => {
            let subs = sub_customers(app, w).await;
            let calls = (0..N)
                .map(|i| {
                    call(
                        &admins[i],
                        path,
                        &[("customer", subs[i].to_string()), ("countries", s("IT, ES")), ("current", s(PASSWORD))],
                    )
                })
                .collect();
            run(app, path, calls, &expect(to("n=saved"), Some("policy.sms_countries"))).await;
            let calls = (0..N)
                .map(|i| {
                    call(
                        &a0,
                        path,
                        &[("customer", a.to_string()), ("countries", s(["IT", "DE"][i % 2])), ("current", s(PASSWORD))],
                    )
                })
                .collect();
            run(app, path, calls, &expect(to("n=saved"), Some("policy.sms_countries"))).await;
        }
        "/admin/roles" | "/admin/roles/{id}" => {
            if path != "/admin/roles" {
                return;
            }
            let form = |name: String| vec![("name", name), ("base", s("customer_user")), ("perm", s("sims_read"))];
            let calls = (0..N).map(|i| call(&admins[i], path, &form(format!("Role {i} {}", short())))).collect();
            run(app, "custom roles, 16", calls, &expect(to("n=created"), Some("role.created"))).await;
            let name = format!("One role {}", short());
            let calls = (0..N).map(|_| call(&a0, path, &form(name.clone()))).collect();
            run(app, "custom roles, one name", calls, &expect(to("n=created"), Some("role.created"))).await;
            let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM custom_roles WHERE customer_id = $1 ORDER BY id")
                .bind(a)
                .fetch_all(app.db.pool())
                .await
                .unwrap();
            let save = |id: i64, i: usize| {
                let mut f = form(format!("Renamed {id} {i}"));
                f.insert(0, ("op", s("save")));
                call(&a0, &format!("/admin/roles/{id}"), &f)
            };
            let calls = ids.iter().take(N).enumerate().map(|(i, id)| save(*id, i)).collect();
            run(app, "custom roles saved, 16", calls, &expect(to("n=saved"), Some("role.updated"))).await;
            let calls = (0..N).map(|i| save(ids[0], i)).collect();
            run(app, "custom roles saved, one", calls, &expect(to("n=saved"), Some("role.updated"))).await;
        }
        "/sims/{id}/status"
        | "/sims/{id}/label"
        | "/sims/{id}/service"
        | "/sims/{id}/field"
        | "/sims/{id}/imei-lock" => {
            let sims = w.take_sims(N + 1);
            let (form, applied, action): (Vec<(&str, String)>, &'static str, &'static str) = match path {
                "/sims/{id}/status" => (
                    vec![("to", s("suspended")), ("from", s("activated")), ("reason", s("parallel"))],
                    "n=status_changed",
                    "sim.status",
                ),
                "/sims/{id}/label" => (vec![("label", s("Parallel")), ("from", s("Bulk"))], "n=changed", "sim.label"),
                "/sims/{id}/service" => (vec![("service", w.service2.to_string())], "n=changed", "sim.service"),
                "/sims/{id}/field" => {
                    (vec![("field", w.field.to_string()), ("value", s("Green"))], "n=changed", "sim.field")
                }
                _ => (vec![("op", s("arm"))], "n=changed", "sim.imei_lock"),
            };
            // The labels of the added SIMs are "Bulk <n>": the stale check needs the one shown.
            let form_for = |sim: &(i64, String)| {
                let mut f = form.clone();
                if path.ends_with("label") {
                    f[1].1 = format!("Bulk {}", sim.1[7..].trim_start_matches('0'));
                }
                f
            };
            let calls = sims[..N]
                .iter()
                .enumerate()
                .map(|(i, sim)| call(&admins[i], &path.replace("{id}", &sim.0.to_string()), &form_for(sim)))
                .collect();
            run(app, path, calls, &expect(to(applied), Some(action))).await;
            let one = &sims[N];
            let calls =
                (0..N).map(|i| call(&admins[i], &path.replace("{id}", &one.0.to_string()), &form_for(one))).collect();
            run(app, path, calls, &once(expect(to(applied), Some(action)))).await;
        }
        "/sims/columns" => {
            let form = [("col", s("iccid")), ("col", s("status")), ("back", s("/sims"))];
            let calls = admins.iter().map(|c| call(c, path, &form)).collect();
            let shown = |r: &Res| r.status == 303 && r.location.starts_with("/sims");
            run(app, path, calls, &expect(shown, None)).await;
            let calls = (0..N).map(|_| call(&a0, path, &form)).collect();
            run(app, path, calls, &expect(shown, None)).await;
        }
        "/sims/filters" | "/sims/filters/delete" => {
            if path != "/sims/filters" {
                return;
            }
            let calls = (0..N)
                .map(|i| call(&admins[i], path, &[("name", format!("Mine {i}")), ("query", s("status=activated"))]))
                .collect();
            run(app, "saved filters", calls, &expect(to("n=filter_saved"), None)).await;
            let calls = (0..N)
                .map(|i| call(&a0, path, &[("name", format!("Shared {i}")), ("query", s("status=suspended"))]))
                .collect();
            run(app, "saved filters, one user", calls, &expect(to("n=filter_saved"), None)).await;
            let mut calls = Vec::new();
            for (id, _, c) in &w.admins {
                let f: i64 = sqlx::query_scalar("SELECT MIN(id) FROM saved_filters WHERE user_id = $1")
                    .bind(id)
                    .fetch_one(app.db.pool())
                    .await
                    .unwrap();
                calls.push(call(c, "/sims/filters/delete", &[("id", f.to_string())]));
            }
            let mine = w.admins[0].0;
            run(app, "filters deleted", calls, &expect(to("n=filter_deleted"), None)).await;
            let f: i64 = sqlx::query_scalar("SELECT MIN(id) FROM saved_filters WHERE user_id = $1")
                .bind(mine)
                .fetch_one(app.db.pool())
                .await
                .unwrap();
            let calls = (0..N).map(|_| call(&a0, "/sims/filters/delete", &[("id", f.to_string())])).collect();
            run(app, "one filter deleted", calls, &once(expect(to("n=filter_deleted"), None))).await;
        }
        "/sims/bulk/start" => {
            let sims = w.take_sims(N * 2);
            let calls = (0..N)
                .map(|i| {
                    call(
                        &admins[i],
                        path,
                        &[
                            ("action", s("service")),
                            ("service", w.service2.to_string()),
                            ("sim", sims[i].0.to_string()),
                        ],
                    )
                })
                .collect();
            run(app, "bulk jobs, 16", calls, &expect(to("/sims/jobs/"), None)).await;
            let calls = (0..N)
                .map(|i| {
                    call(
                        &a0,
                        path,
                        &[
                            ("action", s("service")),
                            ("service", w.service2.to_string()),
                            ("sim", sims[N + i].0.to_string()),
                        ],
                    )
                })
                .collect();
            run(app, "bulk jobs, one user", calls, &expect(to("/sims/jobs/"), None)).await;
            wait_for_jobs(app).await;
        }
        "/settings/sim-fields/add" | "/settings/sim-fields/delete" => {
            if path != "/settings/sim-fields/add" {
                return;
            }
            let calls = (0..N)
                .map(|i| call(&admins[i], path, &[("name", format!("Field {i}")), ("kind", s("text"))]))
                .collect();
            run(app, "fields, 16", calls, &expect(to("n=saved"), Some("sim_field.create"))).await;
            let calls = (0..N).map(|_| call(&a0, path, &[("name", s("One field")), ("kind", s("text"))])).collect();
            run(app, "fields, one name", calls, &once(expect(to("n=saved"), Some("sim_field.create")))).await;
            let ids: Vec<i64> = sqlx::query_scalar(
                "SELECT id FROM sim_fields WHERE customer_id = $1 AND name LIKE 'Field %' ORDER BY id",
            )
            .bind(a)
            .fetch_all(app.db.pool())
            .await
            .unwrap();
            let del = "/settings/sim-fields/delete";
            let calls =
                ids.iter().enumerate().map(|(i, id)| call(&admins[i], del, &[("id", id.to_string())])).collect();
            run(app, "fields deleted", calls, &expect(to("n=saved"), Some("sim_field.delete"))).await;
            let one: i64 =
                count(app, &format!("SELECT id FROM sim_fields WHERE customer_id = {a} AND name = 'One field'")).await;
            let calls = (0..N).map(|_| call(&a0, del, &[("id", one.to_string())])).collect();
            run(app, "field deleted once", calls, &once(expect(to("n=saved"), Some("sim_field.delete")))).await;
        }
        "/dashboards/new" => {
            let calls = (0..N)
                .map(|i| call(&admins[i], path, &[("name", format!("Board {i}")), ("start", s("blank"))]))
                .collect();
            run(app, "dashboards, 16", calls, &expect(to("n=created"), Some("dashboard.create"))).await;
            let calls =
                (0..N).map(|i| call(&a0, path, &[("name", format!("Mine {i}")), ("start", s("blank"))])).collect();
            run(app, "dashboards, one user", calls, &expect(to("n=created"), Some("dashboard.create"))).await;
        }
        "/dashboards/templates" => {
            let subs = sub_customers(app, w).await;
            let calls = (0..N)
                .map(|i| {
                    call(
                        &admins[i],
                        path,
                        &[("customer", subs[i].to_string()), ("role", s("customer_user")), ("name", format!("T{i}"))],
                    )
                })
                .collect();
            run(app, "templates, 16 customers", calls, &expect(to("n=created"), Some("dashboard.template_create")))
                .await;
            let calls = (0..N)
                .map(|_| call(&a0, path, &[("customer", a.to_string()), ("role", s("read_only")), ("name", s("T"))]))
                .collect();
            run(app, "templates, one", calls, &once(expect(to("n=created"), Some("dashboard.template_create")))).await;
        }
        "/dashboards/{id}/manage" | "/dashboards/{id}/layout" => {
            let boards: Vec<(i64, i64, i64)> = sqlx::query(
                "SELECT d.id AS id, d.owner_id AS owner_id, d.version AS version FROM dashboards d \
                 WHERE d.owner_id IS NOT NULL ORDER BY d.id",
            )
            .fetch_all(app.db.pool())
            .await
            .unwrap()
            .iter()
            .map(|r| (r.get("id"), r.get("owner_id"), r.get("version")))
            .collect();
            let mut calls = Vec::new();
            for (id, _, c) in &w.admins {
                let (board, _, version) = *boards.iter().find(|b| b.1 == *id).expect("each admin has a board");
                calls.push(board_call(c, path, board, version));
            }
            let action = if path.ends_with("manage") { "dashboard.settings" } else { "dashboard.layout" };
            run(app, path, calls, &expect(to("n=saved"), Some(action))).await;
            let boards: Vec<(i64, i64)> =
                sqlx::query("SELECT id, version FROM dashboards WHERE owner_id = $1 ORDER BY id")
                    .bind(w.admins[0].0)
                    .fetch_all(app.db.pool())
                    .await
                    .unwrap()
                    .iter()
                    .map(|r| (r.get("id"), r.get("version")))
                    .collect();
            let (board, version) = boards[0];
            let calls = (0..N).map(|_| board_call(&a0, path, board, version)).collect();
            // One version: the first change wins, the others are told it changed meanwhile.
            run(app, path, calls, &once(expect(to("n=saved"), Some(action)))).await;
        }
        "/notifications/read" => {
            let calls = admins.iter().map(|c| call(c, path, &[("all", s("1"))])).collect();
            let back = |r: &Res| r.status == 303 && r.location.starts_with("/notifications");
            run(app, path, calls, &expect(back, None)).await;
            let calls = (0..N).map(|_| call(&a0, path, &[("all", s("1"))])).collect();
            run(app, path, calls, &expect(back, None)).await;
        }
        "/notifications/rules" | "/notifications/rules/{id}" => {
            if path != "/notifications/rules" {
                return;
            }
            let rule = |name: String| {
                vec![
                    ("name", name),
                    ("customer", a.to_string()),
                    ("kind", s("status")),
                    ("roles", s("customer_admin")),
                    ("in_app", s("1")),
                ]
            };
            let calls = (0..N).map(|i| call(&admins[i], path, &rule(format!("Rule {i}")))).collect();
            run(app, "rules, 16", calls, &expect(to("n=created"), Some("notification_rule.create"))).await;
            let ids: Vec<i64> =
                sqlx::query_scalar("SELECT id FROM notification_rules WHERE name LIKE 'Rule %' ORDER BY id")
                    .fetch_all(app.db.pool())
                    .await
                    .unwrap();
            let calls = ids
                .iter()
                .map(|id| call(&a0, &format!("/notifications/rules/{id}"), &[("op", s("disable"))]))
                .collect();
            run(app, "rules disabled, 16", calls, &expect(to("n=saved"), None)).await;
            let calls = (0..N)
                .map(|_| call(&a0, &format!("/notifications/rules/{}", ids[0]), &[("op", s("delete"))]))
                .collect();
            run(app, "rule deleted", calls, &expect(to("n=deleted"), None)).await;
        }
        other => panic!("no concurrency fixture for POST {other}: add one to server/tests/api/concurrency.rs"),
    }
}

fn short() -> String {
    app::util::short_id().to_lowercase().chars().filter(|c| c.is_ascii_alphanumeric()).take(6).collect()
}

fn board_call(cookie: &Option<String>, path: &str, board: i64, version: i64) -> Call {
    let path = path.replace("{id}", &board.to_string());
    if path.ends_with("manage") {
        call(
            cookie,
            &path,
            &[
                ("op", "settings".into()),
                ("name", "Renamed".into()),
                ("refresh", "0".into()),
                ("version", version.to_string()),
            ],
        )
    } else {
        call(cookie, &path, &[("op", "add".into()), ("kind", "kpi".into()), ("version", version.to_string())])
    }
}

async fn sub_customers(app: &TestApp, w: &World) -> Vec<i64> {
    let path: String = sqlx::query_scalar("SELECT path FROM customers WHERE id = $1")
        .bind(w.f.t.a)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    let mut out = Vec::new();
    let mut conn = app.db.writer().await.unwrap();
    for i in 0..N {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO customers (parent_id, path, name, account_number, is_provider, created_at) \
             VALUES ($1, '', $2, $3, 0, 0) RETURNING id",
        )
        .bind(w.f.t.a)
        .bind(format!("Branch {i}"))
        .bind(unique("acct"))
        .fetch_one(&mut *conn)
        .await
        .unwrap();
        sqlx::query("UPDATE customers SET path = $1 WHERE id = $2")
            .bind(format!("{path}{id}/"))
            .bind(id)
            .execute(&mut *conn)
            .await
            .unwrap();
        out.push(id);
    }
    out
}

async fn wait_for_jobs(app: &TestApp) {
    for _ in 0..600 {
        if count(app, "SELECT COUNT(*) FROM bulk_jobs WHERE state NOT IN ('done', 'cancelled')").await == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("bulk jobs did not finish");
}

/// The API's writes, from the endpoint list the router is built from.
async fn every_api_write(app: &TestApp, w: &mut World) -> Vec<&'static str> {
    let mut done = Vec::new();
    for (e, _) in app::rest::endpoints::<app::state::AppState>() {
        if e.method != "post" {
            continue;
        }
        api_case(app, w, e.path).await;
        done.push(e.path);
    }
    done
}

async fn api_case(app: &TestApp, w: &mut World, path: &'static str) {
    let key = w.api_key.clone();
    let ok = |r: &Res| r.status == 200 || r.status == 202;
    match path {
        "/api/v1/sims/{iccid}/status" | "/api/v1/sims/{iccid}/service" => {
            let sims = w.take_sims(N + 1);
            let (body, action) = if path.ends_with("status") {
                (json!({ "to": "suspended", "reason": "api", "expected": "activated" }), "sim.status")
            } else {
                (json!({ "service_id": w.service2 }), "sim.service")
            };
            let changed = |r: &Res| r.status == 200 && r.body.contains("\"changed\":true");
            let e = Expect {
                applied: Box::new(move |r: &Res| {
                    changed(r) || (r.status == 200 && r.body.contains("\"changed\":false"))
                }),
                journal: None,
                at_most: None,
            };
            let before = journal(app, action).await;
            let answers =
                join_all(sims[..N].iter().map(|s| api(app, &key, path.replace("{iccid}", &s.1), body.clone()))).await;
            judge(app, path, &answers, &e, before).await;
            let applied = answers.iter().filter(|r| changed(r)).count() as i64;
            assert_eq!(applied, N as i64, "{path}: each SIM changed");
            assert_eq!(journal(app, action).await - before, applied, "{path}: one journal entry each");
            let before = journal(app, action).await;
            let one = &sims[N].1;
            let answers = join_all((0..N).map(|_| api(app, &key, path.replace("{iccid}", one), body.clone()))).await;
            judge(app, path, &answers, &e, before).await;
            assert_eq!(answers.iter().filter(|r| changed(r)).count(), 1, "{path}: one SIM, one change");
            assert_eq!(journal(app, action).await - before, 1, "{path}: one journal entry");
        }
        "/api/v1/bulk-jobs" => {
            let sims = w.take_sims(N * 2);
            let e = expect(ok, None);
            let body =
                |iccid: &str| json!({ "action": { "kind": "service", "service": w.service2 }, "iccids": [iccid] });
            let answers = join_all(sims[..N].iter().map(|s| api(app, &key, path, body(&s.1)))).await;
            judge(app, path, &answers, &e, 0).await;
            let answers = join_all(sims[N..].iter().map(|s| api(app, &key, path, body(&s.1)))).await;
            judge(app, path, &answers, &e, 0).await;
            wait_for_jobs(app).await;
        }
        "/api/v1/notifications/read" => {
            let e = expect(ok, None);
            let answers = join_all((0..N).map(|_| api(app, &key, path, json!({})))).await;
            judge(app, path, &answers, &e, 0).await;
        }
        "/api/v1/ingest/cdrs" | "/api/v1/ingest/edrs" => {
            let key = w.ingest_key.clone();
            let now = app.clock.now();
            let sims = w.f.iccids_of(&[w.f.t.a]);
            let line = |batch: usize, i: usize| {
                let iccid = &sims[i % sims.len()];
                if path.ends_with("cdrs") {
                    format!(
                        "{{\"record_id\":\"par-{batch}-{i}\",\"iccid\":\"{iccid}\",\"kind\":\"data\",\"started_at\":{},\"bytes_down\":1000,\"mcc_mnc\":\"22210\",\"rat\":\"4G\"}}\n",
                        now - 600
                    )
                } else {
                    format!(
                        "{{\"record_id\":\"pare-{batch}-{i}\",\"iccid\":\"{iccid}\",\"event_type\":\"attach\",\"occurred_at\":{}}}\n",
                        now - 600
                    )
                }
            };
            let batch = |b: usize| (0..100).map(|i| line(b, i)).collect::<String>();
            let e = expect(ok, None);
            let answers = join_all((0..N).map(|b| ingest(app, &key, path, batch(b)))).await;
            judge(app, path, &answers, &e, 0).await;
            let inserted: i64 = answers
                .iter()
                .map(|r| serde_json::from_str::<Value>(&r.body).unwrap()["inserted"].as_i64().unwrap())
                .sum();
            assert_eq!(inserted, (N * 100) as i64, "{path}: every record of 16 batches, once");
            let same = batch(1_000);
            let answers = join_all((0..N).map(|_| ingest(app, &key, path, same.clone()))).await;
            judge(app, path, &answers, &e, 0).await;
            let inserted: i64 = answers
                .iter()
                .filter(|r| r.status == 200)
                .map(|r| serde_json::from_str::<Value>(&r.body).unwrap()["inserted"].as_i64().unwrap())
                .sum();
            assert_eq!(inserted, 100, "{path}: one batch sent 16 times is stored once");
        }
        other => panic!("no concurrency fixture for POST {other}: add one to server/tests/api/concurrency.rs"),
    }
}

/// Every server function, 16 at once, with arguments each accepts.
async fn every_server_fn(app: &TestApp, w: &World) {
    const ARGS: &str = "query=&form=action%3Dstatus%26to%3Dactivated%26sim%3D1&id=1&days=30&edr=false";
    for f in app::site::server_fns() {
        let path = f.path();
        let answers = join_all((0..N).map(|i| server_fn(app, &w.admins[i].2, &path, ARGS))).await;
        for r in &answers {
            assert!(r.status < 500, "{path}: {} {}", r.status, r.body);
        }
        let answers = join_all((0..N).map(|_| server_fn(app, &w.admins[0].2, &path, ARGS))).await;
        for r in &answers {
            assert!(r.status < 500, "{path}: {} {}", r.status, r.body);
        }
    }
}

both_engines!(every_write_endpoint_takes_sixteen_parallel_callers_without_an_error, |app: TestApp| async move {
    let mut w = world(&app).await;
    let forms = every_form_route(&app, &mut w).await;
    assert!(forms.len() >= 40, "the route table lists the form posts ({})", forms.len());
    let apis = every_api_write(&app, &mut w).await;
    assert!(apis.len() >= 6, "{apis:?}");
    every_server_fn(&app, &w).await;
    assert_no_half_writes(&app).await;
});

/// Nothing half-written: every SIM's status history ends where the SIM is, and the per-customer
/// status counts match the SIMs.
async fn assert_no_half_writes(app: &TestApp) {
    let bad = count(
        app,
        "SELECT COUNT(*) FROM sims s WHERE EXISTS (SELECT 1 FROM sim_status_history h WHERE h.sim_id = s.id) \
         AND s.status <> (SELECT h.to_status FROM sim_status_history h WHERE h.sim_id = s.id ORDER BY h.id DESC LIMIT 1)",
    )
    .await;
    assert_eq!(bad, 0, "a SIM's last status change is its status");
    let drift = count(
        app,
        "SELECT COUNT(*) FROM (SELECT customer_id, status, COUNT(*) AS n FROM sims GROUP BY customer_id, status) s \
         LEFT JOIN sim_counts c ON c.customer_id = s.customer_id AND c.status = s.status \
         WHERE COALESCE(c.n, 0) <> s.n",
    )
    .await;
    assert_eq!(drift, 0, "status counts match the SIMs");
    let chain = app::journal::chain::verify(&app.db).await.unwrap();
    assert!(matches!(chain, app::journal::chain::Verdict::Intact { .. }), "{chain:?}");
}

both_engines!(
    writes_stay_correct_while_a_bulk_job_over_5000_sims_and_an_ingest_of_50000_cdrs_run,
    |app: TestApp| async move {
        let mut w = world(&app).await;
        let big = add_sims(&app, w.f.t.a, 5_000, 2).await;
        // The bulk job: every one of the 5,000 SIMs to the second plan.
        let answer = api(
            &app,
            &w.api_key,
            "/api/v1/bulk-jobs",
            json!({ "action": { "kind": "service", "service": w.service2 }, "filter": "q=Bulk" }),
        )
        .await;
        assert_eq!(answer.status, 202, "{answer:?}");
        // The ingest: 50,000 CDRs in ten batches, sent alongside.
        let now = app.clock.now();
        let key = w.ingest_key.clone();
        let batches: Vec<String> = (0..10)
            .map(|b| {
                (0..5_000)
                    .map(|i| {
                        let iccid = &big[(b * 5_000 + i) % big.len()].1;
                        format!(
                            "{{\"record_id\":\"load-{b}-{i}\",\"iccid\":\"{iccid}\",\"kind\":\"data\",\"started_at\":{},\"bytes_down\":{},\"mcc_mnc\":\"22210\",\"rat\":\"4G\"}}\n",
                            now - 3_600 + (i as i64 % 3_000),
                            1_000 + i
                        )
                    })
                    .collect()
            })
            .collect();
        let app = &app;
        let ingest_all = async {
            let mut codes = BTreeMap::new();
            for b in &batches {
                let r = ingest(app, &key, "/api/v1/ingest/cdrs", b.clone()).await;
                *codes.entry(r.status).or_insert(0) += 1;
            }
            codes
        };
        let people_writes = async move {
            // Meanwhile, people change SIMs through the forms and the API, 16 at a time.
            for path in ["/sims/{id}/status", "/sims/{id}/label", "/sims/{id}/field", "/sims/{id}/imei-lock"] {
                form_case(app, &mut w, path).await;
            }
            api_case(app, &mut w, "/api/v1/sims/{iccid}/status").await;
            w
        };
        let (codes, w) = tokio::join!(ingest_all, people_writes);
        assert_eq!(codes.get(&200), Some(&10), "every batch accepted: {codes:?}");
        wait_for_jobs(app).await;
        let moved = count(
            app,
            &format!("SELECT COUNT(*) FROM sims WHERE iccid LIKE '8977002%' AND service_id = {}", w.service2),
        )
        .await;
        assert_eq!(moved, 5_000, "the job changed every SIM");
        let once = count(
            app,
            "SELECT COUNT(*) FROM (SELECT target FROM journal WHERE action = 'sim.service' AND target LIKE 'sim:8977002%' \
             GROUP BY target HAVING COUNT(*) <> 1) x",
        )
        .await;
        assert_eq!(once, 0, "each SIM changed once, journaled once");
        // Filing the inbox finishes too, exactly.
        for _ in 0..600 {
            if count(app, "SELECT COUNT(*) FROM cdr_inbox").await == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(count(app, "SELECT COUNT(*) FROM cdrs WHERE record_id LIKE 'load-%'").await, 50_000);
        assert_no_half_writes(app).await;
    }
);

both_engines!(a_write_that_waits_too_long_is_refused_as_busy_and_writes_nothing, |app: TestApp| async move {
    let w = world(&app).await;
    let sim = &w.sims[0];
    // Every writer's turn of this process is taken (SQLite has one; PostgreSQL half the pool)…
    let mut held = Vec::new();
    loop {
        app.db.set_write_wait(Duration::from_millis(100));
        match tokio::spawn({
            let db = app.db.clone();
            async move { db.write().await }
        })
        .await
        .unwrap()
        {
            Ok(tx) => held.push(tx),
            Err(e) => {
                assert!(app::db::is_busy(&e), "{e}");
                break;
            }
        }
        assert!(held.len() <= 16, "the turns are bounded");
    }
    // …so a person's change waits its bounded time and is told to try again, nothing written.
    let page = format!("/sims/{}", sim.0);
    let form = [("to", "suspended".to_string()), ("from", "activated".into()), ("reason", "busy test".into())];
    let r = post(&app, &call(&w.admins[0].2, &format!("{page}/status"), &form)).await;
    assert_eq!(r.status, 303, "{r:?}");
    assert_eq!(r.location, format!("{page}?n=busy"), "back to the page with the busy notice");
    let r =
        api(&app, &w.api_key, format!("/api/v1/sims/{}/status", sim.1), json!({ "to": "suspended", "reason": "x" }))
            .await;
    assert_eq!(r.status, 503, "{r:?}");
    assert!(r.body.contains("\"code\":\"busy\""), "{}", r.body);
    let retry = app
        .client
        .post(format!("{}/api/v1/sims/{}/status", app.base, sim.1))
        .bearer_auth(&w.api_key)
        .header("content-type", "application/json")
        .body(r#"{"to":"suspended","reason":"x"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(retry.status(), 503);
    assert!(retry.headers().get("retry-after").is_some(), "503 says when to retry");
    let status: String =
        sqlx::query_scalar("SELECT status FROM sims WHERE id = $1").bind(sim.0).fetch_one(app.db.pool()).await.unwrap();
    assert_eq!(status, "activated", "nothing was written");
    drop(held);
    // Once the writer is free, the same change goes through.
    app.db.set_write_wait(Duration::from_secs(5));
    let r = post(&app, &call(&w.admins[0].2, &format!("{page}/status"), &form)).await;
    assert_eq!(r.location, format!("{page}?n=status_changed"));
});
