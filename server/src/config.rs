//! Configuration from the command line, environment variables and an optional `KEY=VALUE` file.
use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Args;

/// Settings the server needs to serve. Every flag has an environment variable; values in the
/// file named by `--config`/`PORTAL_CONFIG` fill in whatever the environment leaves unset.
#[derive(Args, Clone, Debug)]
pub struct ServeConfig {
    /// Address and port to listen on.
    #[arg(long, env = "PORTAL_ADDR", default_value = "127.0.0.1:3000")]
    pub addr: SocketAddr,
    /// sqlite://path/to/file.db or postgres://user:password@host:port/database
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://data/portal.db")]
    pub database_url: String,
    /// Folder for the SQLite database, the development mail outbox and generated keys.
    #[arg(long, env = "PORTAL_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
    /// Folder with the built browser bundle and public files.
    #[arg(long, env = "LEPTOS_SITE_ROOT", default_value = "target/site")]
    pub site_root: PathBuf,
    /// Public base URL used in links sent by email.
    #[arg(long, env = "PORTAL_PUBLIC_URL", default_value = "http://127.0.0.1:3000")]
    pub public_url: String,
    /// smtp://user:password@host:587?tls=required (STARTTLS) or smtps://…; unset: mail is written
    /// to the development outbox under the data folder.
    #[arg(long, env = "SMTP_URL")]
    pub smtp_url: Option<String>,
    /// Sender of every email.
    #[arg(long, env = "MAIL_FROM", default_value = "IoT Portal <no-reply@localhost>")]
    pub mail_from: String,
    /// 64 hexadecimal characters: the key that seals TOTP secrets and keys code hashes. Unset: a
    /// key is generated once into `<data folder>/secret.key`.
    #[arg(long, env = "PORTAL_SECRET_KEY", hide_env_values = true)]
    pub secret_key: Option<String>,
    /// The SMS provider's HTTP endpoint; unset: text messages go to the development outbox.
    #[arg(long, env = "SMS_URL")]
    pub sms_url: Option<String>,
    /// Basic-auth user name for SMS_URL.
    #[arg(long, env = "SMS_USERNAME")]
    pub sms_username: Option<String>,
    /// Basic-auth password for SMS_URL.
    #[arg(long, env = "SMS_PASSWORD", hide_env_values = true)]
    pub sms_password: Option<String>,
    /// Bearer token for SMS_URL (instead of user name and password).
    #[arg(long, env = "SMS_TOKEN", hide_env_values = true)]
    pub sms_token: Option<String>,
    /// Request body with {to} and {text} placeholders.
    #[arg(long, env = "SMS_BODY", default_value = r#"{"to":"{to}","text":"{text}"}"#)]
    pub sms_body: String,
    /// Content type of the SMS request body.
    #[arg(long, env = "SMS_CONTENT_TYPE", default_value = "application/json")]
    pub sms_content_type: String,
    /// Take client addresses from X-Forwarded-For (set only behind a proxy you run).
    #[arg(long, env = "PORTAL_TRUST_PROXY", default_value_t = false)]
    pub trust_proxy: bool,
    /// Requests each API key may make per minute (per server process).
    #[arg(long, env = "PORTAL_API_RATE_PER_MINUTE", default_value_t = app::rest::gate::PER_MINUTE)]
    pub api_rate_per_minute: u32,
    /// Months of CDRs and EDRs kept (rollups are kept for good); 0 keeps records for good.
    #[arg(long, env = "PORTAL_RETENTION_MONTHS", default_value_t = 13)]
    pub retention_months: u32,
    /// Largest number of database connections this process opens.
    #[arg(long, env = "DATABASE_MAX_CONNECTIONS", default_value_t = 16)]
    pub db_max_connections: u32,
    /// Milliseconds a change waits for the database's writer before it is refused as busy
    /// ("try again"; the API answers 503 with Retry-After). SQLite only: PostgreSQL writers do
    /// not queue behind one another.
    #[arg(long, env = "DATABASE_WRITE_WAIT_MS", default_value_t = 5_000,
          value_parser = clap::value_parser!(u64).range(10..=600_000))]
    pub write_wait_ms: u64,
    /// Seconds a bulk job stays with the server running it without news; past that another
    /// server takes it over (after a crash).
    #[arg(long, env = "PORTAL_JOB_LEASE_SECONDS", default_value_t = 60,
          value_parser = clap::value_parser!(i64).range(2..=3600))]
    pub job_lease_seconds: i64,
}

impl ServeConfig {
    pub fn write_wait(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.write_wait_ms)
    }

    /// The SMS gateway: the HTTP provider when `SMS_URL` is set, else the development outbox.
    pub fn sms(&self) -> Result<app::sms::Sms, String> {
        use app::sms::{HttpSms, HttpSmsConfig, OutboxSms};
        match self.sms_url.as_deref().filter(|u| !u.trim().is_empty()) {
            Some(url) => Ok(std::sync::Arc::new(
                HttpSms::new(HttpSmsConfig {
                    url: url.to_string(),
                    username: self.sms_username.clone(),
                    password: self.sms_password.clone(),
                    token: self.sms_token.clone(),
                    body_template: self.sms_body.clone(),
                    content_type: self.sms_content_type.clone(),
                })
                .map_err(|e| e.to_string())?,
            )),
            None => Ok(std::sync::Arc::new(OutboxSms::new(self.data_dir.join("outbox")))),
        }
    }

    /// The server key: from `PORTAL_SECRET_KEY`, or generated once into the data folder.
    pub fn server_key(&self) -> Result<app::crypto::ServerKey, String> {
        use app::crypto::ServerKey;
        match self.secret_key.as_deref().filter(|k| !k.trim().is_empty()) {
            Some(hex) => ServerKey::from_hex(hex).map_err(|e| e.to_string()),
            None => ServerKey::load_or_create(&self.data_dir.join("secret.key")).map_err(|e| e.to_string()),
        }
    }
}

/// Reads `--config FILE` (or `PORTAL_CONFIG`) before argument parsing and exports its
/// `KEY=VALUE` lines as environment variables that are not already set.
pub fn load_config_file(args: &[String]) -> Result<Option<PathBuf>, String> {
    let from_args = args.windows(2).find(|w| w[0] == "--config").map(|w| w[1].clone());
    let from_eq = args.iter().find_map(|a| a.strip_prefix("--config=").map(str::to_string));
    let Some(path) = from_args.or(from_eq).or_else(|| std::env::var("PORTAL_CONFIG").ok()) else {
        return Ok(None);
    };
    let text = std::fs::read_to_string(&path).map_err(|e| format!("cannot read config file {path}: {e}"))?;
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (k, v) =
            line.split_once('=').ok_or_else(|| format!("config file {path}, line {}: expected KEY=VALUE", n + 1))?;
        let (k, v) = (k.trim(), v.trim().trim_matches('"'));
        if std::env::var_os(k).is_none() {
            set_env(k, v);
        }
    }
    Ok(Some(PathBuf::from(path)))
}

#[allow(unsafe_code)]
fn set_env(k: &str, v: &str) {
    // SAFETY: `set_var` races only with other threads reading the environment; this runs in
    // `main` before the async runtime or any other thread exists.
    unsafe { std::env::set_var(k, v) }
}
