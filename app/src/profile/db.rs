//! The SQL of the profile's own settings.
use crate::db::WriteTx;

type R<T> = Result<T, sqlx::Error>;

/// A setting of the account that its holder changes on the profile page.
#[derive(Clone, Copy, Debug)]
pub enum Own {
    Name,
    Lang,
    TimeZone,
}

impl Own {
    fn column(self) -> &'static str {
        match self {
            Own::Name => "name",
            Own::Lang => "lang",
            Own::TimeZone => "time_zone",
        }
    }
}

pub async fn set_own(tx: &mut WriteTx, user: i64, what: Own, value: &str) -> R<()> {
    sqlx::query(sqlx::AssertSqlSafe(format!("UPDATE users SET {} = $1 WHERE id = $2", what.column())))
        .bind(value)
        .bind(user)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The role a session acts in (`None`: the user's own).
pub async fn set_session_role(tx: &mut WriteTx, session: i64, role_id: Option<i64>) -> R<()> {
    sqlx::query("UPDATE sessions SET role_id = $1 WHERE id = $2")
        .bind(role_id)
        .bind(session)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
