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
