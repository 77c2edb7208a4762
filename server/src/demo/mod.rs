//! Deterministic demo data shaped like real IoT fleets: many customers with 50–500 SIMs, a few
//! with tens of thousands, sub-customers, customer services over shared rate plans, 90 days of
//! CDRs and EDRs, and the daily rollups those records imply.
mod accounts;
mod catalog;
mod rng;
mod usage_gen;

use std::time::Instant;

use sqlx::AnyConnection;

use app::customers::{child_path, root_path};
use app::db::Db;
use app::db::bulk::BulkInsert;
use app::ids::luhn_check_digit;
use app::sims::SimStatus;
use app::time::{SECONDS_PER_DAY, day_of};
use app::usage::cycle_start;

pub use accounts::{DEMO_PASSWORD_FILE, print_sign_in_help, set_demo_passwords};
use catalog::{COUNTRIES, CUSTOMER_WORDS, DeviceClass, INDUSTRIES, PLANS};
pub use rng::Rng;
use usage_gen::{SimGen, UsageGen};

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
