//! Form endpoints of the SIM pages (plain HTML posts answered with a redirect): the list's
//! columns and saved filters, changes to one SIM, bulk changes, and the SIM info fields. The
//! route table checks each route's permission first; the exports are in [`super::exports`].
use axum::Form;
use axum::body::Bytes;
use axum::extract::{FromRef, Path, State};
use axum::routing::{get, post};
use serde::Deserialize;

use super::SimStatus;
use super::changes::{self, Outcome};
use super::jobs;
use crate::error::AppError;
use crate::notice::Notice;
use crate::routes;
use crate::scope::{Perm, Principal, Tenant};
use crate::sims::columns::Shown;
use crate::sims::db as q;
use crate::sims::query::SimQuery;
use crate::state::AppState;
use crate::web::{BackTo, Caller, FormError, FormResult, FormRoute, Goto};

/// The SIM pages' forms and exports.
pub fn routes<S>() -> Vec<FormRoute<S>>
where
    S: Clone + Send + Sync + 'static,
    AppState: FromRef<S>,
{
    use super::exports;
    use crate::web::Access::Signed;
    vec![
        FormRoute::post(routes::SIMS_COLUMNS, Signed(Perm::SimsRead), post(save_columns)),
        FormRoute::post(routes::SIMS_FILTERS, Signed(Perm::SimsRead), post(save_filter)),
        FormRoute::post(routes::SIMS_FILTERS_DELETE, Signed(Perm::SimsRead), post(delete_filter)),
        FormRoute::get(routes::SIMS_CSV, Signed(Perm::SimsExport), get(exports::sims_csv)),
        FormRoute::get(routes::SIMS_EXPORT_PROGRESS, Signed(Perm::SimsExport), get(exports::progress)),
        FormRoute::get(routes::SIMS_CDRS_CSV, Signed(Perm::SimsExport), get(exports::cdrs_of_filter)),
        FormRoute::post(routes::SIMS_BULK_START, Signed(Perm::SimsBulk), post(start_bulk)),
        FormRoute::post(routes::SETTINGS_SIM_FIELDS_ADD, Signed(Perm::SimFields), post(add_field)),
        FormRoute::post(routes::SETTINGS_SIM_FIELDS_DELETE, Signed(Perm::SimFields), post(delete_field)),
        FormRoute::post("/sims/{id}/status", Signed(Perm::SimsWrite), post(change_status)),
        FormRoute::post("/sims/{id}/label", Signed(Perm::SimsWrite), post(change_label)),
        FormRoute::post("/sims/{id}/service", Signed(Perm::SimsPlan), post(change_service)),
        FormRoute::post("/sims/{id}/field", Signed(Perm::SimsWrite), post(change_field)),
        FormRoute::post("/sims/{id}/imei-lock", Signed(Perm::SimsWrite), post(change_imei_lock)),
        FormRoute::get("/sims/{id}/cdrs.csv", Signed(Perm::SimsExport), get(exports::sim_cdrs)),
        FormRoute::get("/sims/{id}/edrs.csv", Signed(Perm::SimsExport), get(exports::sim_edrs)),
    ]
}

/// A `back=` target: a path of the SIM list, nothing else.
fn list_target(back: &str) -> &str {
    let back = routes::safe_local_path(back);
    if back == routes::SIMS || back.starts_with("/sims?") { back } else { routes::SIMS }
}

/// The SIM list showing `query` (a normal-form query string, possibly empty).
fn list_of(query: &str) -> String {
    if query.is_empty() { routes::SIMS.to_string() } else { format!("{}?{query}", routes::SIMS) }
}

/// Saves the ticked columns in the order given; a `move=up:<col>` or `move=down:<col>` button
/// moves one column first. Repeated `col` fields are read from the raw body.
async fn save_columns(State(app): State<AppState>, caller: Caller, body: Bytes) -> FormResult {
    let pairs = crate::util::parse_query(&String::from_utf8_lossy(&body));
    let back = pairs.iter().find(|(k, _)| k == "back").map_or("", |(_, v)| v.as_str());
    // Field ids are kept as sent: the list shows only those of the caller's tree.
    let mut cols: Vec<Shown> = Vec::new();
    for c in pairs.iter().filter(|(k, _)| k == "col").filter_map(|(_, v)| Shown::parse(v)) {
        if !cols.contains(&c) && cols.len() < crate::sims::columns::MAX_SHOWN {
            cols.push(c);
        }
    }
    if let Some((dir, key)) = pairs.iter().find(|(k, _)| k == "move").and_then(|(_, v)| v.split_once(':'))
        && let Some(i) = Shown::parse(key).and_then(|c| cols.iter().position(|x| *x == c))
    {
        match dir {
            "up" if i > 0 => cols.swap(i, i - 1),
            "down" if i + 1 < cols.len() => cols.swap(i, i + 1),
            _ => {}
        }
    }
    if cols.is_empty() {
        cols = Shown::defaults();
    }
    q::set_setting(&app.db, caller.p.user_id, q::SETTING_COLUMNS, &Shown::list_key(&cols))
        .await
        .back_to(list_target(back))?;
    Ok(Goto::page(list_target(back)).into())
}

#[derive(Deserialize)]
struct FilterForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    query: String,
}

async fn save_filter(State(app): State<AppState>, caller: Caller, Form(f): Form<FilterForm>) -> FormResult {
    let name = f.name.trim();
    // Only a query the list can show is kept, in its normal form.
    let query = SimQuery::parse(&crate::util::parse_query(&f.query))
        .map_err(|_| Goto::to(routes::SIMS, Notice::BadInput))?
        .to_query();
    let target = list_of(&query);
    if name.is_empty() || name.chars().count() > 60 {
        return Err(Goto::to(target, Notice::BadFilterName).into());
    }
    q::save_filter(&app.db, caller.p.user_id, name, &query, app.now()).await.back_to(&target)?;
    Ok(Goto::to(target, Notice::FilterSaved).into())
}

#[derive(Deserialize)]
struct DeleteFilterForm {
    id: i64,
    #[serde(default)]
    back: String,
}

async fn delete_filter(State(app): State<AppState>, caller: Caller, Form(f): Form<DeleteFilterForm>) -> FormResult {
    let page = list_target(&f.back);
    // Only the caller's own filter: another user's id deletes nothing.
    if !q::delete_filter(&app.db, caller.p.user_id, f.id).await.back_to(page)? {
        return Err(Goto::to(page, Notice::NotAllowed).into());
    }
    Ok(Goto::to(page, Notice::FilterDeleted).into())
}

// ---------------------------------------------------------------- changes to one SIM

/// A change to one SIM, made on a write transaction with its journal entry.
type Change = Box<
    dyn for<'c> FnOnce(
            &'c mut crate::db::WriteTx,
            changes::Actor<'c>,
        )
            -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<Outcome, sqlx::Error>> + Send + 'c>>
        + Send,
>;

/// Runs one change in a transaction (committed only if it changed something) and answers with
/// the SIM's page and a notice saying what happened (`changed`: the notice of a change).
async fn apply(app: &AppState, p: &Principal, sim: i64, changed: Notice, change: Change) -> FormResult {
    let page = routes::sim_page(sim);
    let tenant = Tenant::new(&p.customer_path);
    let mut tx = app.db.write().await.back_to(&page)?;
    let actor = changes::Actor { user_id: p.user_id, tenant: &tenant, now: app.now(), job: None };
    let notice = match change(&mut tx, actor).await.back_to(&page)? {
        Outcome::Changed => {
            tx.commit().await.back_to(&page)?;
            changed
        }
        Outcome::Unchanged => Notice::NothingChanged,
        // Unknown and foreign SIMs look the same: not found.
        Outcome::NotFound => return Err(AppError::NotFound.into()),
        Outcome::NotAllowed { .. } | Outcome::Stale => Notice::TransitionRefused,
        Outcome::Invalid => Notice::BadInput,
    };
    Ok(Goto::to(page, notice).into())
}

/// The SIM page with a notice of a form it could not read.
fn bad_input(sim: i64, n: Notice) -> FormError {
    FormError::from(Goto::to(routes::sim_page(sim), n))
}

#[derive(Deserialize)]
struct StatusForm {
    to: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    reason: String,
}

async fn change_status(
    State(app): State<AppState>,
    caller: Caller,
    Path(sim): Path<i64>,
    Form(f): Form<StatusForm>,
) -> FormResult {
    let to = SimStatus::parse(&f.to).ok_or_else(|| bad_input(sim, Notice::BadInput))?;
    if to == SimStatus::Suspended && f.reason.trim().is_empty() {
        return Err(bad_input(sim, Notice::ReasonRequired));
    }
    let expected = SimStatus::parse(&f.from);
    let change: Change = Box::new(move |tx, actor| {
        Box::pin(async move { changes::change_status(tx, actor, sim, expected, to, &f.reason).await })
    });
    apply(&app, &caller.p, sim, Notice::StatusChanged, change).await
}

#[derive(Deserialize)]
struct LabelForm {
    label: String,
    #[serde(default)]
    from: String,
}

async fn change_label(
    State(app): State<AppState>,
    caller: Caller,
    Path(sim): Path<i64>,
    Form(f): Form<LabelForm>,
) -> FormResult {
    let change: Change = Box::new(move |tx, actor| {
        Box::pin(async move { changes::change_label(tx, actor, sim, &f.from, &f.label).await })
    });
    apply(&app, &caller.p, sim, Notice::Changed, change).await
}

#[derive(Deserialize)]
struct ServiceForm {
    service: String,
}

async fn change_service(
    State(app): State<AppState>,
    caller: Caller,
    Path(sim): Path<i64>,
    Form(f): Form<ServiceForm>,
) -> FormResult {
    let service = f.service.trim().parse::<i64>().map_err(|_| bad_input(sim, Notice::BadInput))?;
    let change: Change =
        Box::new(move |tx, actor| Box::pin(async move { changes::change_service(tx, actor, sim, service).await }));
    apply(&app, &caller.p, sim, Notice::Changed, change).await
}

#[derive(Deserialize)]
struct FieldForm {
    field: String,
    #[serde(default)]
    value: String,
}

async fn change_field(
    State(app): State<AppState>,
    caller: Caller,
    Path(sim): Path<i64>,
    Form(f): Form<FieldForm>,
) -> FormResult {
    let field = f.field.trim().parse::<i64>().map_err(|_| bad_input(sim, Notice::BadInput))?;
    let change: Change = Box::new(move |tx, actor| {
        Box::pin(async move { changes::change_field(tx, actor, sim, field, &f.value).await })
    });
    apply(&app, &caller.p, sim, Notice::Changed, change).await
}

#[derive(Deserialize)]
struct LockForm {
    #[serde(default)]
    op: String,
}

/// Arms, locks, accepts or releases a SIM's IMEI lock.
async fn change_imei_lock(
    State(app): State<AppState>,
    caller: Caller,
    Path(sim): Path<i64>,
    Form(f): Form<LockForm>,
) -> FormResult {
    let op = super::imei_lock::LockOp::parse(f.op.trim()).ok_or_else(|| bad_input(sim, Notice::BadInput))?;
    let change: Change =
        Box::new(move |tx, actor| Box::pin(async move { super::devices::change(tx, actor, sim, op).await }));
    apply(&app, &caller.p, sim, Notice::Changed, change).await
}

// ---------------------------------------------------------------- bulk changes

/// Starts a confirmed bulk change as a background job and shows its progress page.
async fn start_bulk(State(app): State<AppState>, caller: Caller, body: Bytes) -> FormResult {
    use super::bulk::{BulkProblem, Chosen, parse};
    let pairs = crate::util::parse_query(&String::from_utf8_lossy(&body));
    let raw_query = pairs.iter().find(|(k, _)| k == "query").map(|(_, v)| v.clone()).unwrap_or_default();
    let req = parse(&pairs).map_err(|problem| {
        let n = if problem == BulkProblem::ReasonRequired { Notice::ReasonRequired } else { Notice::BadInput };
        Goto::to(list_of(&raw_query), n)
    })?;
    // The change's own permission, beyond the route's.
    caller.require(super::api::bulk_perm(&req.action))?;
    let p = &caller.p;
    let list = list_of(&req.query);
    let refused = || Goto::to(&list, Notice::BadInput);
    let tenant = Tenant::new(&p.customer_path);
    if let super::model::BulkAction::Assign { customer, .. } = &req.action {
        q::customer_path_in(&app.db, &tenant, *customer).await.back_to(&list)?.ok_or_else(refused)?;
    }
    let now = app.now();
    let (id, _) = match &req.chosen {
        Chosen::Ids(ids) => {
            let sel = jobs::Selection::Ids(ids);
            jobs::create(&app.db, &tenant, p.user_id, p.customer_id, &req.action, sel, &req.query, now).await
        }
        Chosen::Filter(query) => {
            let customer_path = match query.customer {
                Some(id) => Some(q::customer_path_in(&app.db, &tenant, id).await.back_to(&list)?.ok_or_else(refused)?),
                None => None,
            };
            let sel = jobs::Selection::Filter(query, customer_path.as_deref());
            jobs::create(&app.db, &tenant, p.user_id, p.customer_id, &req.action, sel, &req.query, now).await
        }
    }
    .back_to(&list)?;
    app.sims.jobs.notify_one();
    Ok(Goto::to(routes::job_page(id), Notice::JobStarted).into())
}

// ---------------------------------------------------------------- SIM info fields

#[derive(Deserialize)]
struct FieldDefForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    choices: String,
}

/// Defines a SIM info field for the administrator's customer (and so for its whole tree).
async fn add_field(State(app): State<AppState>, caller: Caller, Form(f): Form<FieldDefForm>) -> FormResult {
    let (p, page) = (&caller.p, routes::SETTINGS_SIM_FIELDS);
    let (name, choices) =
        super::fields::parse_definition(&f.name, &f.kind, &f.choices).map_err(|_| Goto::to(page, Notice::BadInput))?;
    let now = app.now();
    let mut tx = app.db.write().await.back_to(page)?;
    match q::insert_field(&mut tx, p.customer_id, &name, &f.kind, &choices, now).await.map_err(AppError::from) {
        Err(AppError::Conflict { .. }) => return Err(Goto::to(page, Notice::FieldExists).into()),
        other => other.back_to(page)?,
    }
    let entry = crate::journal::JournalEntry::new(now, p.user_id, p.customer_id, "sim_field.create", &name)
        .with(serde_json::json!({ "kind": f.kind, "choices": choices }));
    crate::journal::record(&mut tx, entry);
    tx.commit().await.back_to(page)?;
    Ok(Goto::to(page, Notice::Saved).into())
}

#[derive(Deserialize)]
struct FieldIdForm {
    id: i64,
}

/// Deletes one of the administrator's own customer's fields with every SIM's value of it.
async fn delete_field(State(app): State<AppState>, caller: Caller, Form(f): Form<FieldIdForm>) -> FormResult {
    let (p, page) = (&caller.p, routes::SETTINGS_SIM_FIELDS);
    let mut tx = app.db.write().await.back_to(page)?;
    // Not theirs, or gone meanwhile (a request racing this one deleted it): nothing to journal.
    let Some(name) = q::delete_field(&mut tx, p.customer_id, f.id).await.back_to(page)? else {
        return Err(Goto::to(page, Notice::NotAllowed).into());
    };
    let entry = crate::journal::JournalEntry::new(app.now(), p.user_id, p.customer_id, "sim_field.delete", &name);
    crate::journal::record(&mut tx, entry);
    tx.commit().await.back_to(page)?;
    Ok(Goto::to(page, Notice::Saved).into())
}
