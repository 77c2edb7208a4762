//! Deterministic demo data shaped like real IoT fleets: many customers with 50–500 SIMs, a few
//! with tens of thousands, sub-customers, customer services over shared rate plans, 90 days of
//! CDRs and EDRs, and the daily rollups those records imply.
mod catalog;
mod rng;

use std::path::Path;
use std::time::Instant;

use sqlx::AnyConnection;

use app::customers::{child_path, root_path};
use app::db::Db;
use app::db::bulk::BulkInsert;
use app::ids::luhn_check_digit;
use app::sims::SimStatus;
use app::time::{SECONDS_PER_DAY, day_of};
use app::usage::cycle_start;

use catalog::{COUNTRIES, CUSTOMER_WORDS, DeviceClass, INDUSTRIES, PLANS};
pub use rng::Rng;

/// Demo users every seed creates, as (username, role, what they see).
pub const DEMO_USERS: &[(&str, &str, &str)] = &[
    ("sp.admin", "provider_admin", "the whole service provider"),
    ("demo.admin", "customer_admin", "the largest customer and its sub-customers"),
    ("demo.user", "customer_user", "the largest customer"),
    ("demo.viewer", "read_only", "the largest customer, read only"),
];

#[derive(Clone, Debug)]
pub struct DemoOptions {
    pub sims: u64,
    pub days: u32,
    pub seed: u64,
    /// Unix seconds the history ends at.
    pub now: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DemoReport {
    pub customers: u64,
    pub services: u64,
    pub users: u64,
    pub sims: u64,
    pub cdrs: u64,
    pub edrs: u64,
    pub rollups: u64,
}

impl DemoReport {
    pub fn total_rows(&self) -> u64 {
        self.customers + self.services + self.users + self.sims + self.cdrs + self.edrs + self.rollups
    }
}

pub fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

/// True when the database already holds customers (demo or real): seeding would collide.
pub async fn is_seeded(db: &Db) -> Result<bool, sqlx::Error> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM customers").fetch_one(db.pool()).await?;
    Ok(n > 0)
}

/// Where the demo accounts' shared password is kept (owner-only), under the data folder.
pub const DEMO_PASSWORD_FILE: &str = "demo-password.txt";

/// Gives every seeded account without a password the install's demo password (generated once,
/// kept in the data folder), so the demo can be signed into. Real accounts come by invitation.
pub async fn set_demo_passwords(db: &Db, data_dir: &Path) -> Result<u64, String> {
    let file = data_dir.join(DEMO_PASSWORD_FILE);
    let password = match std::fs::read_to_string(&file) {
        Ok(p) if !p.trim().is_empty() => p.trim().to_string(),
        _ => {
            let p = app::crypto::temp_password();
            write_private(&file, &format!("{p}\n")).map_err(|e| format!("cannot write {}: {e}", file.display()))?;
            p
        }
    };
    let hash = app::hashing::Hasher::new(1).hash_secret(&password).await.map_err(|e| e.to_string())?;
    let now = now();
    let done = sqlx::query(
        "UPDATE users SET password_hash = $1, password_changed_at = $2, email_verified_at = $2 \
         WHERE password_hash IS NULL AND status = 'active'",
    )
    .bind(&hash)
    .bind(now)
    .execute(&mut *db.writer().await.map_err(|e| e.to_string())?)
    .await
    .map_err(|e| e.to_string())?;
    Ok(done.rows_affected())
}

#[cfg(unix)]
fn write_private(file: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(file)?;
    f.write_all(text.as_bytes())
}

#[cfg(not(unix))]
fn write_private(file: &Path, text: &str) -> std::io::Result<()> {
    std::fs::write(file, text)
}

pub fn print_sign_in_help(data_dir: &Path) {
    println!("Demo accounts (usernames):");
    for (user, role, scope) in DEMO_USERS {
        println!("  {user:<12} {role:<15} sees {scope}");
    }
    println!("Their password is in {}", data_dir.join(DEMO_PASSWORD_FILE).display());
    println!("Sign-in codes and invitations (email and SMS) are written to {}/outbox/", data_dir.display());
}

struct Customer {
    id: i64,
    name: String,
    path: String,
    country: usize,
    classes: [DeviceClass; 2],
    /// (service id, plan index) of the top-level customer's services.
    services: Vec<(i64, usize)>,
    sims: u64,
}

/// Fills an empty database. Rows go in chunks of SIMs with everything they imply, each chunk
/// in its own transaction, through multi-row INSERTs.
pub async fn seed(db: &Db, opts: &DemoOptions, progress: impl Fn(&str)) -> Result<DemoReport, sqlx::Error> {
    if is_seeded(db).await? {
        return Err(sqlx::Error::Protocol(
            "the database is not empty: seed-demo only fills an empty database (use --if-empty to skip)".into(),
        ));
    }
    let engine = db.engine();
    let root = Rng::new(opts.seed);
    let mut report = DemoReport::default();
    let today = day_of(opts.now);
    let first_day = today - opts.days as i64 + 1;
    let mut conn = db.writer().await?;
    let conn: &mut AnyConnection = &mut conn;

    // Catalogue: rate plans.
    sqlx::query("BEGIN").execute(&mut *conn).await?;
    let mut plans = BulkInsert::new(
        engine,
        "rate_plans",
        &["id", "name", "data_bytes", "sms", "voice_seconds", "monthly_fee_cents"],
        "",
    );
    for (i, p) in PLANS.iter().enumerate() {
        plans.push(i as i64 + 1);
        plans.push(p.name);
        plans.push(p.data_bytes);
        plans.push(p.sms);
        plans.push(p.voice_seconds);
        plans.push(p.fee_cents);
        plans.end_row(conn).await?;
    }
    plans.finish(conn).await?;

    // Customers: the provider (who keeps the SIM inventory), then a skewed fleet of customers.
    let customers = plan_customers(opts.sims, &mut root.fork(1));
    let mut cust = BulkInsert::new(
        engine,
        "customers",
        &["id", "parent_id", "path", "name", "account_number", "is_provider", "contact_email", "country", "created_at"],
        "",
    );
    let mut svc = BulkInsert::new(engine, "customer_services", &["id", "customer_id", "rate_plan_id", "name"], "");
    let mut users = BulkInsert::new(
        engine,
        "users",
        &["customer_id", "username", "email", "name", "role", "status", "lang", "created_at"],
        "",
    );
    let created = opts.now - 400 * SECONDS_PER_DAY;
    let mut service_id = 0i64;
    let mut service_rows: Vec<(i64, i64, i64, String)> = Vec::new();
    let mut user_rows: Vec<(i64, String, String, &str, &str)> = Vec::new();
    let mut all: Vec<Customer> = Vec::new();
    for (idx, spec) in customers.iter().enumerate() {
        let id = idx as i64 + 1;
        let mut r = root.fork(1000 + id as u64);
        let (parent_id, path, country) = match spec.parent {
            None => (None, root_path(id), r.range(0, COUNTRIES.len() as u64) as usize),
            Some(p) => (Some(all[p].id), child_path(&all[p].path, id), all[p].country),
        };
        let c = &COUNTRIES[country];
        let name = if idx == 0 {
            "Orbit Connect (service provider)".to_string()
        } else if let Some(p) = spec.parent {
            format!("{} – {}", all[p].name, r.pick(catalog::DIVISIONS))
        } else {
            format!("{} {} {}", r.pick(CUSTOMER_WORDS), r.pick(INDUSTRIES).0, c.legal_suffix)
        };
        let classes = match spec.parent {
            Some(p) => all[p].classes,
            None => {
                let ind = r.pick(INDUSTRIES);
                [ind.1, ind.2]
            }
        };
        cust.push(id);
        cust.push(parent_id);
        cust.push(path.clone());
        cust.push(name.clone());
        cust.push(format!("C{id:07}"));
        cust.push(i64::from(idx == 0));
        cust.push(format!("ops{id}@example.com"));
        cust.push(c.code);
        cust.push(created);
        cust.end_row(conn).await?;
        report.customers += 1;

        // Services belong to top-level customers; sub-customers use their parent's.
        let services = if let Some(p) = spec.parent {
            all[p].services.clone()
        } else if idx == 0 {
            Vec::new()
        } else {
            let n = r.range(1, 4) as usize;
            let mut v = Vec::new();
            for k in 0..n {
                let class = classes[k % 2];
                let plan = class.plans()[k % class.plans().len()];
                if v.iter().any(|(_, p)| *p == plan) {
                    continue;
                }
                service_id += 1;
                service_rows.push((service_id, id, plan as i64 + 1, format!("{} {}", PLANS[plan].short, c.region)));
                v.push((service_id, plan));
            }
            v
        };

        // Users: an admin per top-level customer, plus the named demo accounts.
        if spec.parent.is_none() {
            let accounts: Vec<(String, &str)> = match idx {
                0 => vec![("sp.admin".into(), "provider_admin")],
                1 => vec![
                    ("demo.admin".into(), "customer_admin"),
                    ("demo.user".into(), "customer_user"),
                    ("demo.viewer".into(), "read_only"),
                ],
                _ => vec![(format!("c{id}.admin"), "customer_admin")],
            };
            for (username, role) in accounts {
                let name = display_name(&mut r, &username);
                user_rows.push((id, username, name, role, c.lang));
            }
        }
        all.push(Customer { id, name, path, country, classes, services, sims: spec.sims });
    }
    // Customers are all written before the rows that point at them.
    cust.finish(conn).await?;
    for (sid, customer_id, plan_id, name) in service_rows {
        svc.push(sid);
        svc.push(customer_id);
        svc.push(plan_id);
        svc.push(name);
        svc.end_row(conn).await?;
    }
    report.services = svc.finish(conn).await?;
    for (customer_id, username, name, role, lang) in user_rows {
        users.push(customer_id);
        users.push(username.clone());
        users.push(format!("{username}@example.com"));
        users.push(name);
        users.push(role);
        users.push("active");
        users.push(lang);
        users.push(created);
        users.end_row(conn).await?;
    }
    report.users = users.finish(conn).await?;
    sqlx::query("COMMIT").execute(&mut *conn).await?;
    progress(&format!("{} customers, {} services, {} users", report.customers, report.services, report.users));

    // SIMs with their usage, chunk by chunk.
    let mut sims = BulkInsert::new(
        engine,
        "sims",
        &[
            "id",
            "iccid",
            "imsi",
            "msisdn",
            "imei",
            "eid",
            "label",
            "status",
            "customer_id",
            "service_id",
            "activated_at",
            "last_session_at",
            "last_country",
            "last_mcc_mnc",
            "last_rat",
            "cycle_start_day",
            "cycle_data_bytes",
            "cycle_sms",
            "cycle_voice_seconds",
            "created_at",
            "updated_at",
        ],
        "",
    );
    let mut cdrs = BulkInsert::new(
        engine,
        "cdrs",
        &[
            "record_id",
            "sim_id",
            "customer_id",
            "kind",
            "started_at",
            "ended_at",
            "bytes_up",
            "bytes_down",
            "units",
            "mcc_mnc",
            "rat",
        ],
        "",
    );
    let mut edrs = BulkInsert::new(
        engine,
        "edrs",
        &["record_id", "sim_id", "customer_id", "event_type", "occurred_at", "mcc_mnc", "details"],
        "",
    );
    let mut rollups = BulkInsert::new(
        engine,
        "usage_daily",
        &["sim_id", "day", "customer_id", "data_bytes", "sms", "voice_seconds", "sessions"],
        "",
    );
    let cycle = cycle_start(today);
    let mut usage = UsageGen { cdr_seq: 0, edr_seq: 0 };
    let mut sim_id = 0i64;
    let mut batch: Vec<SimGen> = Vec::with_capacity(CHUNK);
    let started = Instant::now();
    let mut last_report = Instant::now();
    for c in &all {
        for n in 0..c.sims {
            sim_id += 1;
            let mut r = root.fork(10_000_000 + sim_id as u64);
            batch.push(usage.sim(&mut r, sim_id, n, c, first_day, today, opts.now));
            if batch.len() == CHUNK {
                sqlx::query("BEGIN").execute(&mut *conn).await?;
                write_chunk(conn, &mut batch, cycle, &mut sims, &mut cdrs, &mut edrs, &mut rollups, &mut report)
                    .await?;
                sqlx::query("COMMIT").execute(&mut *conn).await?;
                if last_report.elapsed().as_secs() >= 5 {
                    let rows = report.sims + report.cdrs + report.edrs + report.rollups;
                    progress(&format!(
                        "{} / {} SIMs, {} CDRs ({:.0} rows/s)",
                        report.sims,
                        opts.sims,
                        report.cdrs,
                        rows as f64 / started.elapsed().as_secs_f64()
                    ));
                    last_report = Instant::now();
                }
            }
        }
    }
    sqlx::query("BEGIN").execute(&mut *conn).await?;
    write_chunk(conn, &mut batch, cycle, &mut sims, &mut cdrs, &mut edrs, &mut rollups, &mut report).await?;
    report.cdrs = cdrs.finish(conn).await?;
    report.edrs = edrs.finish(conn).await?;
    report.rollups = rollups.finish(conn).await?;
    for table in ["rate_plans", "customers", "customer_services", "users", "sims"] {
        engine.sync_id_sequence(conn, table).await?;
    }
    let marker = format!("sims={} days={} seed={} at={}", opts.sims, opts.days, opts.seed, opts.now);
    sqlx::query("INSERT INTO app_meta (key, value) VALUES ('demo_seed', $1)").bind(marker).execute(&mut *conn).await?;
    // The SIMs went in directly, past the code that keeps the per-status counts.
    app::sims::db::rebuild_counts(conn).await?;
    app::usage::rollups::rebuild(conn, engine, opts.now).await?;
    // Some fleets lock their SIMs to their devices: one SIM in seven with a device, and a few
    // armed to bind to the next device the network reports.
    sqlx::query("UPDATE sims SET imei_lock = 'locked', lock_imei = imei WHERE imei IS NOT NULL AND id % 7 = 0")
        .execute(&mut *conn)
        .await?;
    sqlx::query("UPDATE sims SET imei_lock = 'armed' WHERE imei IS NULL AND id % 7 = 0 AND status = 'activated'")
        .execute(&mut *conn)
        .await?;
    sqlx::query("COMMIT").execute(&mut *conn).await?;
    // Fresh planner statistics for the tables just filled. On PostgreSQL, not beside a server
    // attaching a month's partition (which takes the same lock): the two would deadlock.
    if engine == app::db::Engine::Postgres {
        sqlx::query("BEGIN").execute(&mut *conn).await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(app::usage::db::INGEST_LOCK).execute(&mut *conn).await?;
        sqlx::query("ANALYZE").execute(&mut *conn).await?;
        sqlx::query("COMMIT").execute(&mut *conn).await?;
    } else {
        sqlx::query("ANALYZE").execute(&mut *conn).await?;
    }
    Ok(report)
}

const CHUNK: usize = 2_000;

#[allow(clippy::too_many_arguments)]
async fn write_chunk(
    conn: &mut AnyConnection,
    batch: &mut Vec<SimGen>,
    cycle: i64,
    sims: &mut BulkInsert,
    cdrs: &mut BulkInsert,
    edrs: &mut BulkInsert,
    rollups: &mut BulkInsert,
    report: &mut DemoReport,
) -> Result<(), sqlx::Error> {
    // SIM rows first and flushed, so every usage row below finds its SIM.
    for s in batch.iter() {
        let (mut data, mut sms, mut voice) = (0i64, 0i64, 0i64);
        for d in s.days.iter().filter(|d| d.day >= cycle) {
            data += d.data_bytes;
            sms += d.sms;
            voice += d.voice_seconds;
        }
        sims.push(s.id);
        sims.push(s.iccid.clone());
        sims.push(s.imsi.clone());
        sims.push(s.msisdn.clone());
        sims.push(s.imei.clone());
        sims.push(s.eid.clone());
        sims.push(s.label.clone());
        sims.push(s.status.code());
        sims.push(s.customer_id);
        sims.push(s.service_id);
        sims.push(s.activated_at);
        sims.push(s.last.as_ref().map(|l| l.at));
        sims.push(s.last.as_ref().map(|l| l.country));
        sims.push(s.last.as_ref().map(|l| l.mcc_mnc));
        sims.push(s.last.as_ref().map(|l| l.rat));
        sims.push(cycle);
        sims.push(data);
        sims.push(sms);
        sims.push(voice);
        sims.push(s.created_at);
        sims.push(s.created_at);
        sims.end_row(conn).await?;
    }
    report.sims = sims.finish(conn).await?;
    for s in batch.drain(..) {
        for c in &s.cdrs {
            cdrs.push(format!("CDR{:012}", c.seq));
            cdrs.push(s.id);
            cdrs.push(s.customer_id);
            cdrs.push(c.kind);
            cdrs.push(c.started_at);
            cdrs.push(c.ended_at);
            cdrs.push(c.bytes_up);
            cdrs.push(c.bytes_down);
            cdrs.push(c.units);
            cdrs.push(c.mcc_mnc);
            cdrs.push(c.rat);
            cdrs.end_row(conn).await?;
        }
        report.cdrs = cdrs.inserted;
        for e in &s.edrs {
            edrs.push(format!("EDR{:012}", e.seq));
            edrs.push(s.id);
            edrs.push(s.customer_id);
            edrs.push(e.kind);
            edrs.push(e.at);
            edrs.push(e.mcc_mnc);
            edrs.push(e.details.clone());
            edrs.end_row(conn).await?;
        }
        report.edrs = edrs.inserted;
        for d in &s.days {
            rollups.push(s.id);
            rollups.push(d.day);
            rollups.push(s.customer_id);
            rollups.push(d.data_bytes);
            rollups.push(d.sms);
            rollups.push(d.voice_seconds);
            rollups.push(d.sessions);
            rollups.end_row(conn).await?;
        }
        report.rollups = rollups.inserted;
    }
    Ok(())
}

struct CustomerSpec {
    parent: Option<usize>,
    sims: u64,
}

/// Splits the SIMs: 8 % stay in the provider's inventory; about 40 % go to a few large
/// customers (tens of thousands each at full scale, split over regional sub-customers); the
/// rest to many customers of 50–500 SIMs, skewed towards the small end.
fn plan_customers(total: u64, r: &mut Rng) -> Vec<CustomerSpec> {
    let mut specs = vec![CustomerSpec { parent: None, sims: total * 8 / 100 }];
    let mut left = total - specs[0].sims;
    let large_share = left * 40 / 100;
    let n_large = ((large_share as f64 / 40_000.0).round() as u64).max(1);
    for k in 0..n_large {
        let size = if k + 1 == n_large { large_share - (large_share / n_large) * k } else { large_share / n_large };
        let size = size.min(left);
        left -= size;
        let top = specs.len();
        // A large customer keeps a quarter and splits the rest over three divisions.
        specs.push(CustomerSpec { parent: None, sims: size - 3 * (size / 4) });
        for _ in 0..3 {
            specs.push(CustomerSpec { parent: Some(top), sims: size / 4 });
        }
    }
    while left > 0 {
        let u = r.f64();
        let size = (50.0 + 450.0 * u * u) as u64;
        let size = if left < size + 50 { left } else { size };
        left -= size;
        let top = specs.len();
        if r.chance(0.15) && size >= 100 {
            specs.push(CustomerSpec { parent: None, sims: size - size / 2 });
            specs.push(CustomerSpec { parent: Some(top), sims: size / 2 });
        } else {
            specs.push(CustomerSpec { parent: None, sims: size });
        }
    }
    specs
}

fn display_name(r: &mut Rng, username: &str) -> String {
    const FIRST: &[&str] = &["Alex", "Giulia", "Marco", "Lucía", "Sven", "Anna", "Pablo", "Chiara", "Jonas", "Elena"];
    const LAST: &[&str] = &["Rossi", "García", "Müller", "Bianchi", "Lindqvist", "Martín", "Kowalski", "Dubois"];
    match username {
        "sp.admin" => "Sam Provider".into(),
        "demo.admin" => "Dana Admin".into(),
        "demo.user" => "Uma User".into(),
        "demo.viewer" => "Vic Viewer".into(),
        _ => format!("{} {}", r.pick(FIRST), r.pick(LAST)),
    }
}

struct CdrGen {
    seq: u64,
    kind: &'static str,
    started_at: i64,
    ended_at: i64,
    bytes_up: i64,
    bytes_down: i64,
    units: i64,
    mcc_mnc: &'static str,
    rat: &'static str,
}

struct EdrGen {
    seq: u64,
    kind: &'static str,
    at: i64,
    mcc_mnc: Option<&'static str>,
    details: String,
}

struct DayGen {
    day: i64,
    data_bytes: i64,
    sms: i64,
    voice_seconds: i64,
    sessions: i64,
}

struct LastSession {
    at: i64,
    country: &'static str,
    mcc_mnc: &'static str,
    rat: &'static str,
}

struct SimGen {
    id: i64,
    iccid: String,
    imsi: String,
    msisdn: String,
    imei: Option<String>,
    eid: Option<String>,
    label: String,
    status: SimStatus,
    customer_id: i64,
    service_id: Option<i64>,
    activated_at: Option<i64>,
    created_at: i64,
    last: Option<LastSession>,
    cdrs: Vec<CdrGen>,
    edrs: Vec<EdrGen>,
    days: Vec<DayGen>,
}

struct UsageGen {
    cdr_seq: u64,
    edr_seq: u64,
}

fn with_luhn(payload: String) -> String {
    let d = luhn_check_digit(&payload);
    format!("{payload}{d}")
}

impl UsageGen {
    #[allow(clippy::too_many_arguments)]
    fn sim(&mut self, r: &mut Rng, id: i64, n: u64, c: &Customer, first_day: i64, today: i64, now: i64) -> SimGen {
        let is_inventory = c.id == 1;
        let status = if is_inventory {
            if r.chance(0.1) { SimStatus::TestReady } else { SimStatus::Inventory }
        } else {
            let x = r.f64();
            match x {
                x if x < 0.78 => SimStatus::Activated,
                x if x < 0.83 => SimStatus::Suspended,
                x if x < 0.86 => SimStatus::TestReady,
                x if x < 0.97 => SimStatus::Deactivated,
                _ => SimStatus::Retired,
            }
        };
        let class = c.classes[(r.next_u64() % 3).min(1) as usize];
        let iccid = with_luhn(format!("8988247{id:011}"));
        let imsi = format!("90170{id:010}");
        let msisdn = format!("+88235{id:09}");
        let eid = r.chance(0.3).then(|| {
            app::ids::Eid::with_check_digits(&format!("89049032{id:022}")).map(String::from).unwrap_or_default()
        });
        let created_at = now - r.range(200, 700) as i64 * SECONDS_PER_DAY;
        let used =
            matches!(status, SimStatus::Activated | SimStatus::Suspended | SimStatus::Deactivated | SimStatus::Retired);
        let activated_day = if used {
            // Most SIMs were live before the window; some were activated during it.
            if r.chance(0.85) {
                first_day - r.range(1, 300) as i64
            } else {
                first_day + r.range(0, (today - first_day).max(1) as u64) as i64
            }
        } else {
            i64::MAX
        };
        let end_day = match status {
            SimStatus::Activated => today,
            SimStatus::Suspended | SimStatus::Deactivated => {
                let d = today - r.range(1, 120) as i64;
                d.max(activated_day)
            }
            SimStatus::Retired => first_day - r.range(1, 100) as i64,
            _ => i64::MIN,
        };
        let imei = (used && r.chance(0.92)).then(|| with_luhn(format!("{}{:06}", class.tac(), r.range(0, 1_000_000))));
        let country = &COUNTRIES[c.country];
        let roams = r.chance(0.12);
        let roam_country = &COUNTRIES[r.range(0, COUNTRIES.len() as u64) as usize];
        let rats = class.rats();
        let rat = *r.pick(rats);
        let service_id = if c.services.is_empty() { None } else { Some(r.pick(&c.services).0) };

        let mut sim = SimGen {
            id,
            iccid,
            imsi,
            msisdn,
            imei,
            eid,
            label: format!("{}-{:05}", class.label(), n + 1),
            status,
            customer_id: c.id,
            service_id,
            activated_at: used.then(|| activated_day * SECONDS_PER_DAY + r.range(28_800, 64_800) as i64),
            created_at,
            last: None,
            cdrs: Vec::new(),
            edrs: Vec::new(),
            days: Vec::new(),
        };
        if let Some(at) = sim.activated_at.filter(|_| activated_day >= first_day) {
            self.edr(&mut sim, "status_change", at, None, "inventory -> activated".into());
        }
        let from = first_day.max(activated_day);
        let to = end_day.min(today);
        let mut attached = false;
        for day in from..=to {
            let p = class.p_active();
            if !r.chance(p) {
                continue;
            }
            let (net, net_country) = if roams && r.chance(0.3) {
                (*r.pick(roam_country.networks), roam_country.code)
            } else {
                (*r.pick(country.networks), country.code)
            };
            let day_start = day * SECONDS_PER_DAY;
            let latest = if day == today { (now - day_start).clamp(60, SECONDS_PER_DAY) } else { SECONDS_PER_DAY };
            let dur = r.range(20, class.max_session_secs()) as i64;
            let start = day_start + r.range(0, (latest - dur.min(latest - 1)).max(1) as u64) as i64;
            let total = r.log_uniform(class.bytes_lo(), class.bytes_hi()) as i64;
            let up = total * r.range(15, 45) as i64 / 100;
            if !attached || r.chance(0.03) {
                self.edr(&mut sim, "attach", start - 2, Some(net), format!("rat={rat}"));
                self.edr(&mut sim, "pdp_context_create", start - 1, Some(net), "apn=iot.orbit".into());
                attached = true;
            }
            if net_country != country.code && r.chance(0.5) {
                self.edr(&mut sim, "location_update", start - 1, Some(net), format!("country={net_country}"));
            }
            self.cdr(&mut sim, "data", start, start + dur, up, total - up, 0, net, rat);
            sim.last = Some(LastSession { at: start + dur, country: net_country, mcc_mnc: net, rat });
            let mut d = DayGen { day, data_bytes: total, sms: 0, voice_seconds: 0, sessions: 1 };
            if r.chance(class.p_sms()) {
                let kind = if r.chance(0.6) { "sms_mo" } else { "sms_mt" };
                let at = day_start + r.range(0, latest as u64) as i64;
                self.cdr(&mut sim, kind, at, at, 0, 0, 1, net, rat);
                d.sms += 1;
            }
            if r.chance(class.p_voice()) {
                let kind = if r.chance(0.5) { "voice_mo" } else { "voice_mt" };
                let secs = r.range(10, 600) as i64;
                let at = day_start + r.range(0, (latest - secs).max(1) as u64) as i64;
                self.cdr(&mut sim, kind, at, at + secs, 0, 0, secs, net, rat);
                d.voice_seconds += secs;
            }
            sim.days.push(d);
        }
        if sim.imei.is_some() && r.chance(0.01) && to >= from {
            let at = (from + (to - from) / 2) * SECONDS_PER_DAY + 43_200;
            self.edr(&mut sim, "imei_change", at, None, "device swapped".into());
        }
        if matches!(status, SimStatus::Suspended | SimStatus::Deactivated) && end_day >= first_day {
            let at = (end_day * SECONDS_PER_DAY + 72_000).min(now);
            self.edr(&mut sim, "pdp_context_delete", at - 2, None, "apn=iot.orbit".into());
            self.edr(&mut sim, "detach", at - 1, None, "network initiated".into());
            self.edr(&mut sim, "status_change", at, None, format!("activated -> {}", status.code()));
        }
        sim.edrs.sort_by_key(|e| e.at);
        sim
    }

    #[allow(clippy::too_many_arguments)]
    fn cdr(
        &mut self,
        sim: &mut SimGen,
        kind: &'static str,
        s: i64,
        e: i64,
        up: i64,
        down: i64,
        units: i64,
        net: &'static str,
        rat: &'static str,
    ) {
        self.cdr_seq += 1;
        sim.cdrs.push(CdrGen {
            seq: self.cdr_seq,
            kind,
            started_at: s,
            ended_at: e,
            bytes_up: up,
            bytes_down: down,
            units,
            mcc_mnc: net,
            rat,
        });
    }

    fn edr(&mut self, sim: &mut SimGen, kind: &'static str, at: i64, net: Option<&'static str>, details: String) {
        self.edr_seq += 1;
        sim.edrs.push(EdrGen { seq: self.edr_seq, kind, at, mcc_mnc: net, details });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn customer_plan_is_skewed_and_adds_up() {
        let specs = plan_customers(1_000_000, &mut Rng::new(42));
        let total: u64 = specs.iter().map(|s| s.sims).sum();
        assert_eq!(total, 1_000_000);
        let tops: Vec<u64> = specs
            .iter()
            .enumerate()
            .filter(|(_, s)| s.parent.is_none())
            .map(|(i, s)| s.sims + specs.iter().filter(|c| c.parent == Some(i)).map(|c| c.sims).sum::<u64>())
            .skip(1)
            .collect();
        let large = tops.iter().filter(|&&n| n >= 10_000).count();
        let small = tops.iter().filter(|&&n| (50..=600).contains(&n)).count();
        assert!((5..=20).contains(&large), "a few large customers, got {large}");
        assert!(small > 1000, "many small customers, got {small}");
    }

    #[test]
    fn default_demo_has_one_large_customer_and_many_small() {
        let specs = plan_customers(5_000, &mut Rng::new(42));
        assert_eq!(specs.iter().map(|s| s.sims).sum::<u64>(), 5_000);
        assert!(specs.iter().filter(|s| s.parent.is_none()).count() >= 8);
    }
}
