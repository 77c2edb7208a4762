//! What each widget shows, read from the rollups and counters (never from the CDRs), scoped
//! to the viewer's tree like every other read. Every figure comes with the address of the SIM
//! list that explains it, built from the same query type the list parses.
use sqlx::Row;

use super::render::{Place, TopRow, Unit, Why, WidgetData};
use super::{Metric, TimeRange, Widget, WidgetKind};
use crate::db::Db;
use crate::routes;
use crate::scope::{Perm, Tenant};
use crate::sims::SimStatus;
use crate::sims::columns::Column;
use crate::sims::db as q;
use crate::sims::query::{Dir, SimQuery};
use crate::time::day_of;
use crate::usage::rollups::{self, FACET_NET, FACET_SERVICE, Usage};
use crate::usage::{cycle_start, mcc_country};

type R<T> = Result<T, sqlx::Error>;

/// The viewer a dashboard is drawn for.
pub struct Viewer<'a> {
    pub db: &'a Db,
    pub tenant: &'a Tenant,
    pub user_id: i64,
    pub perms: crate::scope::Perms,
    pub now: i64,
}

/// Data of one widget; `range` replaces the stored range (the range switch).
pub async fn load(v: &Viewer<'_>, w: &Widget, range: Option<TimeRange>) -> R<WidgetData> {
    // The scope is checked against the viewer, not the dashboard's owner: a shared dashboard
    // never shows the viewer more than their own tree.
    let (tree, path) = match w.scope {
        Some(id) => match q::customer_path_in(v.db, v.tenant, id).await? {
            Some(p) => (id, p),
            None => return Ok(WidgetData::Unavailable(Why::OutOfScope)),
        },
        None => (rollups::tree_of(v.tenant.path()), v.tenant.path().to_string()),
    };
    let today = day_of(v.now);
    let list = |f: &dyn Fn(&mut SimQuery)| {
        let mut q = SimQuery { customer: w.scope, ..SimQuery::default() };
        f(&mut q);
        q.href_with(routes::SIMS, |_| {})
    };
    let metric = w.metric.unwrap_or(Metric::Active);
    Ok(match w.kind {
        WidgetKind::Kpi => match metric {
            Metric::Active | Metric::Status(_) => {
                let status = if let Metric::Status(s) = metric { s } else { SimStatus::Activated };
                let counts = status_counts(v.db, &path).await?;
                let value = counts.iter().find(|(s, _)| *s == status).map_or(0, |c| c.1);
                WidgetData::Figure {
                    value,
                    unit: Unit::Sims,
                    previous: None,
                    href: list(&|q| q.statuses = vec![status]),
                }
            }
            Metric::Data | Metric::Sms | Metric::Voice => {
                let cycle = cycle_start(today);
                let last_cycle = cycle_start(cycle - 1);
                // The same number of days into the previous cycle, so the change compares like with like.
                let prev_end = (last_cycle + (today - cycle)).min(cycle - 1);
                let (now_s, prev_s) = tokio::try_join!(
                    rollups::usage_series(v.db, tree, false, cycle, today),
                    rollups::usage_series(v.db, tree, false, last_cycle, prev_end),
                )?;
                let pick = |u: &Usage| match metric {
                    Metric::Data => u.data_bytes,
                    Metric::Sms => u.sms,
                    _ => u.voice_seconds,
                };
                let sort = match metric {
                    Metric::Data => Column::Data,
                    Metric::Sms => Column::Sms,
                    _ => Column::Voice,
                };
                WidgetData::Figure {
                    value: now_s.iter().map(|(_, u)| pick(u)).sum(),
                    unit: unit_of(metric),
                    previous: Some(prev_s.iter().map(|(_, u)| pick(u)).sum()),
                    href: list(&|q| {
                        q.sort = sort;
                        q.dir = Dir::Desc;
                    }),
                }
            }
            _ => WidgetData::Unavailable(Why::Metric),
        },
        WidgetKind::StatusDonut => {
            let counts = status_counts(v.db, &path).await?;
            let hrefs = counts.iter().map(|(s, _)| list(&|q| q.statuses = vec![*s])).collect();
            WidgetData::Statuses { counts, hrefs, href: list(&|_| {}) }
        }
        WidgetKind::DataUsage | WidgetKind::SmsVoice => {
            let range = range.unwrap_or(w.range);
            let (first, last) = range.days(today);
            let hourly = range.hourly();
            let (from, to) = if hourly { (first * 24, v.now.div_euclid(3_600)) } else { (first, last) };
            let points = rollups::usage_series(v.db, tree, hourly, from, to).await?;
            WidgetData::Series { hourly, first: from, last: to, points, range }
        }
        WidgetKind::TopSims => {
            let sort = match metric {
                Metric::Sms => Column::Sms,
                Metric::Voice => Column::Voice,
                _ => Column::Data,
            };
            let query =
                SimQuery { customer: w.scope, sort, dir: Dir::Desc, size: u32::from(w.top), ..SimQuery::default() };
            let page = q::list(v.db, v.tenant, &query, w.scope.map(|_| path.as_str()), v.now).await?;
            let rows = page
                .rows
                .into_iter()
                .map(|r| TopRow {
                    href: routes::sim_page(r.id),
                    value: match metric {
                        Metric::Sms => r.sms,
                        Metric::Voice => r.voice_seconds,
                        _ => r.data_bytes,
                    },
                    iccid: r.iccid,
                    label: r.label,
                })
                .filter(|r| r.value > 0)
                .collect();
            WidgetData::Top { unit: unit_of(metric), rows, href: query.href_with(routes::SIMS, |q| q.size = 50) }
        }
        WidgetKind::Places => {
            let nets = rollups::facet_counts(v.db, tree, FACET_NET).await?;
            let mut merged: Vec<(String, i64)> = Vec::new();
            for (net, n) in nets {
                let key = if metric == Metric::Country {
                    mcc_country(net.get(..3).unwrap_or("")).unwrap_or("??").to_string()
                } else {
                    net
                };
                match merged.iter_mut().find(|(k, _)| *k == key) {
                    Some(e) => e.1 += n,
                    None => merged.push((key, n)),
                }
            }
            merged.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            let other: i64 = merged.iter().skip(usize::from(w.top)).map(|e| e.1).sum();
            merged.truncate(usize::from(w.top));
            let rows = merged
                .into_iter()
                .map(|(key, n)| {
                    let href = if metric == Metric::Country {
                        list(&|q| q.country = Some(key.clone()))
                    } else {
                        let op = crate::ids::MccMnc::parse(&key).ok();
                        list(&|q| q.operator = op.clone())
                    };
                    Place { label: key, n, href }
                })
                .collect();
            WidgetData::Places { rows, other }
        }
        WidgetKind::IdleSims => {
            let days = w.threshold.max(1);
            let query = SimQuery {
                customer: w.scope,
                statuses: vec![SimStatus::Activated],
                idle_days: Some(i64::from(days)),
                ..SimQuery::default()
            };
            let count = q::count_of(v.db, v.tenant, &query, w.scope.map(|_| path.as_str()), v.now).await?;
            WidgetData::Idle { count, days, href: query.href_with(routes::SIMS, |_| {}) }
        }
        WidgetKind::Allowance => {
            let cycle = cycle_start(today);
            let (services, used) = tokio::try_join!(
                rollups::facet_counts(v.db, tree, FACET_SERVICE),
                rollups::usage_series(v.db, tree, false, cycle, today),
            )?;
            let allowance = allowance_of(v.db, &services, metric).await?;
            let used = used
                .iter()
                .map(|(_, u)| match metric {
                    Metric::Sms => u.sms,
                    Metric::Voice => u.voice_seconds,
                    _ => u.data_bytes,
                })
                .sum();
            let sort = match metric {
                Metric::Sms => Column::Sms,
                Metric::Voice => Column::Voice,
                _ => Column::Data,
            };
            WidgetData::Gauge {
                unit: unit_of(metric),
                used,
                allowance,
                warn: w.threshold,
                href: list(&|q| {
                    q.statuses = vec![SimStatus::Activated];
                    q.sort = sort;
                    q.dir = Dir::Desc;
                }),
            }
        }
        WidgetKind::Notifications => {
            let (rows, unread) = super::db::recent_notifications(v.db, v.user_id, i64::from(w.top)).await?;
            WidgetData::Notifications { rows, unread }
        }
        WidgetKind::Journal => {
            if !v.perms.has(Perm::JournalRead) {
                WidgetData::Unavailable(Why::NotForRole)
            } else {
                WidgetData::Journal { rows: super::db::recent_journal(v.db, &path, i64::from(w.top)).await? }
            }
        }
    })
}

fn unit_of(m: Metric) -> Unit {
    match m {
        Metric::Data => Unit::Bytes,
        Metric::Sms => Unit::Messages,
        Metric::Voice => Unit::Seconds,
        _ => Unit::Sims,
    }
}

/// SIMs per status in a customer tree, from the per-customer counters, in lifecycle order.
pub async fn status_counts(db: &Db, path: &str) -> R<Vec<(SimStatus, i64)>> {
    let mut sql =
        crate::db::sql::Sql::new("SELECT sc.status, CAST(SUM(sc.n) AS BIGINT) AS n FROM sim_counts sc WHERE 1 = 1");
    Tenant::new(path).clause(&mut sql, "sc.customer_id");
    sql.push(" GROUP BY sc.status");
    let rows = sql.query().fetch_all(db.pool()).await?;
    let mut out: Vec<(SimStatus, i64)> = SimStatus::ALL.iter().map(|s| (*s, 0)).collect();
    for r in rows {
        if let Some(s) = SimStatus::parse(&r.get::<String, _>("status")) {
            out.iter_mut().filter(|(x, _)| *x == s).for_each(|e| e.1 += r.get::<i64, _>("n"));
        }
    }
    Ok(out)
}

/// The allowance of the activated SIMs per service: SIMs × the plan's allowance.
async fn allowance_of(db: &Db, services: &[(String, i64)], m: Metric) -> R<i64> {
    if services.is_empty() {
        return Ok(0);
    }
    let col = match m {
        Metric::Sms => "rp.sms",
        Metric::Voice => "rp.voice_seconds",
        _ => "rp.data_bytes",
    };
    let mut sql = crate::db::sql::Sql::new(&format!(
        "SELECT cs.id, {col} AS per_sim FROM customer_services cs JOIN rate_plans rp ON rp.id = cs.rate_plan_id \
         WHERE cs.id IN ("
    ));
    for (i, (id, _)) in services.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.bind(id.parse::<i64>().unwrap_or(0));
    }
    sql.push(")");
    let plans = sql.query().fetch_all(db.pool()).await?;
    let mut total = 0i64;
    for r in plans {
        let id: i64 = r.get("id");
        let per_sim: i64 = r.get("per_sim");
        let n = services.iter().find(|(s, _)| s.parse::<i64>().ok() == Some(id)).map_or(0, |s| s.1);
        total = total.saturating_add(per_sim.saturating_mul(n));
    }
    Ok(total)
}
