//! SIM info fields: their definitions per customer and the SIMs' values.
use super::*;

/// The values of `fields` for `sims`: (SIM id, field id, value); a SIM without a value has
/// no row.
pub async fn field_values(db: &Db, sims: &[i64], fields: &[i64]) -> R<Vec<(i64, i64, String)>> {
    let mut sql = Sql::new("SELECT sim_id, field_id, value FROM sim_field_values WHERE sim_id IN (");
    for (i, id) in sims.iter().enumerate() {
        sql.push(if i > 0 { ", " } else { "" }).bind(*id);
    }
    sql.push(") AND field_id IN (");
    for (i, id) in fields.iter().enumerate() {
        sql.push(if i > 0 { ", " } else { "" }).bind(*id);
    }
    sql.push(")");
    let rows = sql.query().fetch_all(db.pool()).await?;
    rows.iter().map(|r| Ok((r.try_get("sim_id")?, r.try_get("field_id")?, r.try_get("value")?))).collect()
}

/// Fields that apply inside the tenant's tree: those defined by its customers and by the
/// ancestors of its top, by name.
pub async fn fields_of_tree(
    db: &Db,
    tenant: &Tenant,
    own_customer: i64,
    limit: i64,
) -> R<Vec<crate::sims::model::FieldDef>> {
    let mut sql = Sql::new(
        "SELECT f.id, f.name, f.kind, f.choices, c.name AS customer, f.customer_id FROM sim_fields f \
         JOIN customers c ON c.id = f.customer_id",
    );
    if !tenant.is_everything() {
        sql.push(" WHERE (c.path >= ").bind(tenant.path()).push(" AND c.path < ").bind(prefix_upper(tenant.path()));
        sql.push(" OR substr(").bind(tenant.path()).push(", 1, length(c.path)) = c.path)");
    }
    sql.push(" ORDER BY f.name, f.id LIMIT ").bind(limit);
    sql.query()
        .fetch_all(db.pool())
        .await?
        .iter()
        .map(|r| {
            let choices: String = r.try_get("choices")?;
            Ok(crate::sims::model::FieldDef {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
                kind: r.try_get("kind")?,
                choices: choices.lines().map(str::to_string).filter(|c| !c.is_empty()).collect(),
                customer: r.try_get("customer")?,
                own: r.try_get::<i64, _>("customer_id")? == own_customer,
            })
        })
        .collect()
}

/// Defines a SIM info field for `customer` (and so its whole tree); a name already taken there
/// is a conflict.
pub async fn insert_field(
    tx: &mut crate::db::WriteTx,
    customer: i64,
    name: &str,
    kind: &str,
    choices: &[String],
    now: i64,
) -> R<()> {
    sqlx::query("INSERT INTO sim_fields (customer_id, name, kind, choices, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(customer)
        .bind(name)
        .bind(kind)
        .bind(choices.join("\n"))
        .bind(now)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Deletes `customer`'s own field `id` with every SIM's value of it; its name, or `None` when
/// it is not that customer's (or was deleted meanwhile).
pub async fn delete_field(tx: &mut crate::db::WriteTx, customer: i64, id: i64) -> R<Option<String>> {
    let name: Option<String> = sqlx::query_scalar("SELECT name FROM sim_fields WHERE id = $1 AND customer_id = $2")
        .bind(id)
        .bind(customer)
        .fetch_optional(&mut **tx)
        .await?;
    let Some(name) = name else { return Ok(None) };
    sqlx::query("DELETE FROM sim_field_values WHERE field_id = $1").bind(id).execute(&mut **tx).await?;
    let gone = sqlx::query("DELETE FROM sim_fields WHERE id = $1").bind(id).execute(&mut **tx).await?.rows_affected();
    Ok((gone > 0).then_some(name))
}
