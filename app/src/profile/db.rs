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

/// Every role the user holds: the account's own first, then those given at other customers.
pub async fn roles_of(db: &crate::db::Db, user: i64) -> R<Vec<(String, crate::scope::Role, String)>> {
    use sqlx::Row;
    let rows = sqlx::query(
        "SELECT 'own' AS role_key, u.role, c.name AS customer, 0 AS ord FROM users u \
         JOIN customers c ON c.id = u.customer_id WHERE u.id = $1 \
         UNION ALL SELECT CAST(r.id AS TEXT), r.role, c.name, r.id FROM user_roles r \
         JOIN customers c ON c.id = r.customer_id WHERE r.user_id = $1 ORDER BY 4",
    )
    .bind(user)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .iter()
        .filter_map(|r| {
            let role = crate::scope::Role::parse(&r.get::<String, _>("role"))?;
            Some((r.get::<String, _>("role_key"), role, r.get::<String, _>("customer")))
        })
        .collect())
}
