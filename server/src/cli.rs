//! The command line: serve, migrate, seed-demo, verify-journal.
use std::time::Instant;

use clap::{Parser, Subcommand};

use app::db::Db;
use app::mail::Mailer;

use crate::config::ServeConfig;
use crate::demo::{self, DemoOptions};
use crate::startup::{AuthOptions, ServerState, serve};

#[derive(Parser, Debug)]
#[command(name = "server", version, about = "IoT connectivity portal server")]
pub struct Cli {
    /// A file of KEY=VALUE lines (e.g. DATABASE_URL=...) read before the environment is parsed.
    #[arg(long, global = true, env = "PORTAL_CONFIG")]
    pub config: Option<std::path::PathBuf>,
    #[command(flatten)]
    pub serve: ServeConfig,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Apply migrations, then serve the portal (the default).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Fill the database with deterministic demo data.
    SeedDemo(SeedArgs),
    /// Walk the journal's hash chain and report the first entry that does not match (exit 1).
    VerifyJournal,
    /// Import usage records from a CSV file (header row first), in all-or-nothing batches
    /// through the same code as the ingest API. Re-running it adds nothing twice.
    Import(ImportArgs),
}

#[derive(clap::Args, Debug)]
pub struct ImportArgs {
    /// `cdrs` or `edrs`.
    #[arg(long)]
    pub kind: String,
    /// Records per batch (each batch is one transaction).
    #[arg(long, default_value_t = 10_000)]
    pub batch: usize,
    /// The CSV file, with the ingest API's column names in its header row.
    pub file: std::path::PathBuf,
}

#[derive(clap::Args, Debug)]
pub struct SeedArgs {
    /// Number of SIMs (customers, users and usage scale with it).
    #[arg(long, default_value_t = 5_000)]
    pub sims: u64,
    /// Days of usage history, ending today.
    #[arg(long, default_value_t = 90)]
    pub days: u32,
    /// Random seed: the same seed and date give the same data.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Do nothing if the database already holds demo data.
    #[arg(long)]
    pub if_empty: bool,
    /// Print demo sign-in names when done.
    #[arg(long)]
    pub quiet: bool,
}

pub async fn connect(cfg: &ServeConfig) -> Result<Db, String> {
    let db = Db::connect_waiting(&cfg.database_url, cfg.db_max_connections, cfg.write_wait())
        .await
        .map_err(|e| e.to_string())?;
    db.migrate().await.map_err(|e| e.to_string())?;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
    app::startup::prepare(&db, now).await.map_err(|e| e.to_string())?;
    Ok(db)
}

pub async fn run(cli: Cli) -> Result<(), String> {
    app::startup::wire();
    let cfg = cli.serve;
    app::rest::gate::set_per_minute(cfg.api_rate_per_minute);
    app::usage::retention::set_months(cfg.retention_months);
    app::sims::jobs::set_lease(cfg.job_lease_seconds);
    std::fs::create_dir_all(&cfg.data_dir)
        .map_err(|e| format!("data folder {} cannot be created: {e}", cfg.data_dir.display()))?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Migrate => {
            let db = connect(&cfg).await?;
            println!("migrations applied ({})", db.engine().name());
            Ok(())
        }
        Command::Import(args) => {
            let db = connect(&cfg).await?;
            import(&db, &args).await
        }
        Command::VerifyJournal => {
            use app::journal::chain::{Verdict, verify};
            let db = connect(&cfg).await?;
            let started = Instant::now();
            match verify(&db).await.map_err(|e| e.to_string())? {
                Verdict::Intact { entries } => {
                    println!(
                        "journal intact: {entries} entries chain correctly ({:.1} s)",
                        started.elapsed().as_secs_f64()
                    );
                    Ok(())
                }
                Verdict::Broken { id, checked } => Err(format!(
                    "journal broken at entry {id}: its hash does not match its content and the entry before it \
                     ({checked} entries before it are intact); it or the entry before it was changed, removed or inserted"
                )),
                Verdict::Truncated { last_id, entries, expected } => Err(format!(
                    "journal truncated: {entries} entries chain correctly up to entry {last_id}, but {expected} were \
                     written; entries after {last_id} were removed"
                )),
            }
        }
        Command::SeedDemo(args) => {
            let db = connect(&cfg).await?;
            if args.if_empty && demo::is_seeded(&db).await.map_err(|e| e.to_string())? {
                println!("demo data already present: nothing to do");
                demo::set_demo_passwords(&db, &cfg.data_dir).await?;
                if !args.quiet {
                    demo::print_sign_in_help(&cfg.data_dir);
                }
                return Ok(());
            }
            let opts = DemoOptions { sims: args.sims, days: args.days, seed: args.seed, now: demo::now() };
            let started = Instant::now();
            let report = demo::seed(&db, &opts, |msg| eprintln!("  {msg}")).await.map_err(|e| e.to_string())?;
            let secs = started.elapsed().as_secs_f64();
            println!(
                "seeded {} customers, {} users, {} SIMs, {} CDRs, {} EDRs, {} daily rollups in {:.1} s ({:.0} rows/s)",
                report.customers,
                report.users,
                report.sims,
                report.cdrs,
                report.edrs,
                report.rollups,
                secs,
                report.total_rows() as f64 / secs.max(1e-9)
            );
            demo::set_demo_passwords(&db, &cfg.data_dir).await?;
            if !args.quiet {
                demo::print_sign_in_help(&cfg.data_dir);
            }
            Ok(())
        }
        Command::Serve => {
            // Mail settings are checked before the database, so a bad value fails first and fast.
            let mailer = Mailer::new(cfg.smtp_url.as_deref(), cfg.data_dir.join("outbox"), &cfg.mail_from)
                .map_err(|e| e.to_string())?;
            let db = connect(&cfg).await?;
            if !cfg.site_root.join("pkg").is_dir() {
                tracing::warn!(site_root = %cfg.site_root.display(), "browser bundle not built: pages render without interactivity (run scripts/build.sh)");
            }
            tracing::info!(mail = %mailer.describe(), "outgoing mail");
            let sms = cfg.sms()?;
            let key = cfg.server_key()?;
            tracing::info!(sms = %sms.describe(), "text messages");
            let opts = AuthOptions {
                sms,
                key,
                clock: app::clock::Clock::system(),
                trust_proxy: cfg.trust_proxy,
                max_hashes: crate::startup::default_max_hashes(),
            };
            let state = ServerState::new(db, mailer, opts, cfg.site_root.clone(), cfg.public_url.clone(), cfg.addr);
            serve(state, cfg.addr).await
        }
    }
}

/// Files every CDR waiting in the inbox with its rollups, here rather than left to a server's
/// fold worker: an import may run with no server up.
async fn file_inbox(db: &Db) -> Result<(), String> {
    let mut pace = app::usage::db::FoldPace::for_engine(db.engine());
    pace.drain(db, demo::now()).await.map_err(|e| format!("filing the records failed: {e}"))?;
    Ok(())
}

/// `import`: the file in batches of `--batch` records, each sent through `rest::ingest::ingest`
/// as CSV with the file's header, with a progress line on stderr. The first bad record stops
/// the import with its line number in the file; the batches before it are stored, and running
/// the import again skips them (record ids). The CDRs are filed from the inbox before it ends.
async fn import(db: &Db, args: &ImportArgs) -> Result<(), String> {
    use std::io::{BufRead, Write};

    use app::rest::ingest::{Format, Kind, MAX_RECORDS, ingest};
    let kind = match args.kind.as_str() {
        "cdrs" => Kind::Cdrs,
        "edrs" => Kind::Edrs,
        other => return Err(format!("--kind must be cdrs or edrs, not {other}")),
    };
    if args.batch == 0 || args.batch > MAX_RECORDS {
        return Err(format!("--batch must be 1 to {MAX_RECORDS}"));
    }
    let file = std::fs::File::open(&args.file).map_err(|e| format!("{}: {e}", args.file.display()))?;
    let total = file.metadata().map(|m| m.len()).unwrap_or(0).max(1);
    let mut lines = std::io::BufReader::new(file).lines();
    let header = match lines.next() {
        Some(Ok(h)) => h,
        _ => return Err(format!("{}: no header row", args.file.display())),
    };
    let tenant = app::scope::Tenant::new("/");
    let started = Instant::now();
    let (mut read, mut sent, mut inserted, mut duplicates) = (header.len() as u64 + 1, 0u64, 0u64, 0u64);
    let mut body = String::new();
    let mut count = 0;
    // The file line of the batch's first record (the header is line 1).
    let mut first_line = 2;
    let mut next_line = 2;
    let mut eof = false;
    while !eof {
        match lines.next() {
            Some(Ok(line)) => {
                read += line.len() as u64 + 1;
                next_line += 1;
                // Blank lines stay in the batch (and are skipped there), so its line numbers map
                // to the file's.
                if !line.trim().is_empty() {
                    count += 1;
                }
                body.push_str(&line);
                body.push('\n');
            }
            Some(Err(e)) => return Err(format!("{}: {e}", args.file.display())),
            None => eof = true,
        }
        if count == args.batch || (eof && count > 0) {
            let text = format!("{header}\n{body}");
            let mut sent_once = ingest(db, &tenant, kind, Format::Csv, text.as_bytes(), demo::now()).await;
            // Filing behind (no server up to do it, or one too slow): file here, then send again.
            while sent_once.as_ref().is_err_and(|e| e.code == "busy") {
                file_inbox(db).await?;
                sent_once = ingest(db, &tenant, kind, Format::Csv, text.as_bytes(), demo::now()).await;
            }
            let receipt = match sent_once {
                Ok(receipt) => receipt,
                Err(e) => {
                    // What was stored before the bad record is filed, as at the end.
                    if kind == Kind::Cdrs {
                        file_inbox(db).await?;
                    }
                    // The batch's line numbers start at its header (line 1); the file's do not.
                    let at = e.line.map(|l| format!("line {}: ", first_line + l - 2)).unwrap_or_default();
                    let message = e.message.split_once(": ").map_or(e.message.as_str(), |(_, rest)| rest);
                    return Err(format!(
                        "{}: {at}{message} (records before this batch are stored)",
                        args.file.display()
                    ));
                }
            };
            sent += receipt.received as u64;
            inserted += receipt.inserted;
            duplicates += receipt.duplicates;
            body.clear();
            count = 0;
            first_line = next_line;
            let rate = sent as f64 / started.elapsed().as_secs_f64().max(1e-9);
            let done = (read * 40 / total).min(40) as usize;
            eprint!("\r[{}{}] {sent} records, {rate:.0}/s", "#".repeat(done), " ".repeat(40 - done));
            let _ = std::io::stderr().flush();
        }
    }
    eprintln!();
    if kind == Kind::Cdrs {
        file_inbox(db).await?;
    }
    println!(
        "imported {sent} records from {}: {inserted} new, {duplicates} already stored ({:.1} s)",
        args.file.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
