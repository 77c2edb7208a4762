//! The demo's accounts: one shared password, generated once per install and kept in the data
//! folder, and the words that tell how to sign in.
use std::path::Path;

use app::db::Db;

use super::{DEMO_USERS, now};

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
