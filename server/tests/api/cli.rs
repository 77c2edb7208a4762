//! The real binary: a bad setting stops start-up with one clear line.
use std::process::{Command, Output};

fn server(args: &[&str], env: &[(&str, &str)]) -> Output {
    let dir = std::env::temp_dir().join(crate::helpers::unique("portal-cli"));
    std::fs::create_dir_all(&dir).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_server"));
    cmd.args(args).current_dir(&dir).env_remove("DATABASE_URL").env_remove("PORTAL_CONFIG").env("RUST_LOG", "error");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn one_error_line(out: &Output) -> String {
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr).trim().to_string();
    assert_eq!(err.lines().count(), 1, "one line, got: {err}");
    assert!(err.starts_with("error: "), "{err}");
    err
}

#[test]
fn an_unsupported_database_url_is_named() {
    let out = server(&["migrate"], &[("DATABASE_URL", "mysql://root:hunter2@db/portal")]);
    let err = one_error_line(&out);
    assert!(err.contains("DATABASE_URL") && err.contains("mysql://root:***@db/portal"), "{err}");
    assert!(!err.contains("hunter2"), "the password is never printed");
}

#[test]
fn an_unusable_smtp_url_is_named_without_its_password() {
    let out =
        server(&["serve"], &[("SMTP_URL", "ftp://mailer:topsecret@mail.example"), ("PORTAL_ADDR", "127.0.0.1:0")]);
    let err = one_error_line(&out);
    assert!(err.contains("SMTP_URL") && err.contains("mailer:***@mail.example"), "{err}");
    assert!(!err.contains("topsecret"));
}

#[test]
fn an_unwritable_data_folder_is_named() {
    let out = server(&["migrate"], &[("DATABASE_URL", "sqlite:///proc/portal/portal.db")]);
    let err = one_error_line(&out);
    assert!(err.contains("/proc/portal") && err.contains("not writable"), "{err}");
}

#[test]
fn a_port_in_use_is_named() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let out =
        server(&["serve"], &[("PORTAL_ADDR", &format!("127.0.0.1:{port}")), ("DATABASE_URL", "sqlite://data/p.db")]);
    let err = one_error_line(&out);
    assert!(err.contains(&format!("port {port} is already in use")), "{err}");
}

#[test]
fn an_unparsable_address_is_refused_by_the_argument_parser() {
    let out = server(&["serve"], &[("PORTAL_ADDR", "not-an-address")]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not-an-address"), "{err}");
}

#[test]
fn settings_come_from_a_config_file() {
    let dir = std::env::temp_dir().join(crate::helpers::unique("portal-cfg"));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("portal.env");
    std::fs::write(&file, "# comment\nDATABASE_URL=mysql://from-file/x\n").unwrap();
    let out = server(&["--config", file.to_str().unwrap(), "migrate"], &[]);
    let err = one_error_line(&out);
    assert!(err.contains("mysql://from-file/x"), "the file's DATABASE_URL was used: {err}");
}

#[test]
fn help_lists_every_setting() {
    let out = server(&["--help"], &[]);
    let text = String::from_utf8_lossy(&out.stdout);
    for var in [
        "DATABASE_URL",
        "PORTAL_ADDR",
        "PORTAL_DATA_DIR",
        "PORTAL_PUBLIC_URL",
        "PORTAL_CONFIG",
        "SMTP_URL",
        "MAIL_FROM",
        "seed-demo",
    ] {
        assert!(text.contains(var), "--help mentions {var}");
    }
}

#[test]
fn import_loads_a_csv_in_batches_through_the_ingest_path_and_adds_nothing_twice() {
    let dir = std::env::temp_dir().join(crate::helpers::unique("portal-import"));
    std::fs::create_dir_all(&dir).unwrap();
    let db = format!("sqlite://{}/portal.db", dir.display());
    let env = [("DATABASE_URL", db.as_str()), ("PORTAL_DATA_DIR", dir.to_str().unwrap())];
    assert!(server(&["seed-demo", "--sims", "50", "--days", "1", "--quiet"], &env).status.success());
    // Two SIMs of the demo, by ICCID, straight from the database.
    let iccids: Vec<String> = tokio::runtime::Runtime::new().unwrap().block_on(async {
        let db = app::db::Db::connect(&db, 1).await.unwrap();
        sqlx::query("SELECT iccid FROM sims ORDER BY id LIMIT 2")
            .fetch_all(db.pool())
            .await
            .unwrap()
            .iter()
            .map(|r| sqlx::Row::get(r, 0))
            .collect()
    });
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64 - 3_600;
    let mut csv = String::from("record_id,iccid,kind,started_at,bytes_up,bytes_down,mcc_mnc,rat\n");
    for i in 0..25 {
        csv.push_str(&format!("imp-{i},{},data,{},100,200,26201,4G\n", iccids[i % 2], now + i as i64));
    }
    let file = dir.join("cdrs.csv");
    std::fs::write(&file, &csv).unwrap();
    let path = file.to_str().unwrap();
    let out = server(&["import", "--kind", "cdrs", "--batch", "10", path], &env);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(said.contains("imported 25 records") && said.contains("25 new"), "{said}");
    let again = server(&["import", "--kind", "cdrs", path], &env);
    assert!(String::from_utf8_lossy(&again.stdout).contains("0 new, 25 already stored"));
    // A bad record is named by its line in the file.
    std::fs::write(&file, format!("{csv}imp-x,{},data,{now},-1,0,26201,4G\n", iccids[0])).unwrap();
    let bad = server(&["import", "--kind", "cdrs", "--batch", "10", path], &env);
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(!bad.status.success() && err.contains("line 27: bytes_up"), "{err}");
}
