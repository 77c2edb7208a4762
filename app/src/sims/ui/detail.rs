//! The details page of one SIM: every field, its status history, usage charts from the daily
//! rollups, latest CDRs and EDRs, and the changes the caller's role allows. A change is asked
//! for with a GET form and confirmed with a POST, so it works without JavaScript and nothing
//! changes by accident.
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::chart::daily_bars;
use super::{format_bytes, format_minutes, status_label};
use crate::components::{NoticeBanner, error_view};
use crate::components::{t, use_lang};
use crate::i18n::{K, Lang};
use crate::routes;
use crate::sims::SimStatus;
use crate::sims::api::{CHART_DAYS, sim_detail};
use crate::sims::model::SimDetail;
use crate::time::{iso_date, local};

#[component]
pub fn SimDetailPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let lang = use_lang();
    let id = params.read_untracked().get("id").and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
    let q = query.read_untracked();
    let days = q.get("days").and_then(|d| d.parse::<i64>().ok()).unwrap_or(30);
    let confirm: Vec<(String, String)> = ["confirm", "to", "reason", "label", "service", "field", "value"]
        .iter()
        .filter_map(|k| q.get(k).map(|v| (k.to_string(), v)))
        .collect();
    drop(q);
    let data = Resource::new(move || (id, days), |(id, days)| sim_detail(id, days));
    view! {
        <Suspense fallback=|| view! { <p>{t(K::Loading)}</p> }>
            {
                let confirm = confirm.clone();
                move || {
                    let confirm = confirm.clone();
                    Suspend::new(async move {
                        match data.await {
                            Ok(d) => detail_view(lang, d, days, &confirm),
                            Err(e) => view! {
                                <Title text=t(K::NavSims)/>
                                <h1>{t(K::SimsDetailTitle)}</h1>
                                {error_view(&e)}
                                <p><a href=routes::SIMS>{t(K::SimsBackToList)}</a></p>
                            }.into_any(),
                        }
                    })
                }
            }
        </Suspense>
    }
}

fn detail_view(lang: Lang, d: SimDetail, days: i64, confirm: &[(String, String)]) -> AnyView {
    let s = d.sim.clone();
    let page = routes::sim_page(s.id);
    let export = crate::components::viewer_can(crate::scope::Perm::SimsExport);
    let status = SimStatus::parse(&s.status);
    let title = format!("{} {}", lang.t(K::SimsDetailTitle), s.iccid);
    let mb = |v: f64| format_bytes(v as i64);
    let data_points: Vec<(i64, f64)> = d.usage.iter().map(|u| (u.day, u.data_bytes as f64)).collect();
    let sms_points: Vec<(i64, f64)> = d.usage.iter().map(|u| (u.day, u.sms as f64)).collect();
    let voice_points: Vec<(i64, f64)> = d.usage.iter().map(|u| (u.day, u.voice_seconds as f64)).collect();
    let total = |f: fn(&crate::sims::model::DayUsage) -> i64| d.usage.iter().map(f).sum::<i64>();
    let (data_total, sms_total, voice_total) = (total(|u| u.data_bytes), total(|u| u.sms), total(|u| u.voice_seconds));
    let period = lang.tf(K::SimsLastDays, &[("n", &days.to_string())]);
    let data_label = format!("{} ({period}): {}", lang.t(K::SimsDailyData), format_bytes(data_total));
    let data_svg = daily_bars(&data_points, d.first_day, d.last_day, &mb, &data_label);
    let sms_label = format!("{} ({period}): {sms_total}", lang.t(K::SimsDailySms));
    let sms_svg = daily_bars(&sms_points, d.first_day, d.last_day, &|v| format!("{v:.0}"), &sms_label);
    let voice_label = format!("{} ({period}): {}", lang.t(K::SimsDailyVoice), format_minutes(voice_total));
    let voice_svg = daily_bars(&voice_points, d.first_day, d.last_day, &|v| format_minutes(v as i64), &voice_label);
    let allowance =
        d.allowance.map(|(data, sms, voice)| format!("{} · {} SMS · {} min", format_bytes(data), sms, voice / 60));
    let confirm_panel = confirm_view(lang, &d, confirm);
    let usage_rows = d.usage.clone();
    view! {
        <Title text=title.clone()/>
        <p class="breadcrumb"><a href=routes::SIMS>{lang.t(K::SimsBackToList)}</a></p>
        <h1>{title}</h1>
        <NoticeBanner/>
        {confirm_panel}
        <section class="panel" aria-labelledby="sim-facts">
            <h2 id="sim-facts">{lang.t(K::SimsFacts)}</h2>
            <dl class="facts">
                <dt>{lang.t(K::HelpSimtermsColIccidTerm)}</dt><dd>{s.iccid.clone()}</dd>
                <dt>{lang.t(K::HelpSimtermsColMsisdnTerm)}</dt><dd>{s.msisdn.clone()}</dd>
                <dt>{lang.t(K::HelpSimtermsColImsiTerm)}</dt><dd>{s.imsi.clone()}</dd>
                <dt>{lang.t(K::HelpSimtermsColImeiTerm)}</dt><dd>{s.imei.clone().unwrap_or_default()}</dd>
                <dt>"EID"</dt><dd>{d.eid.clone().unwrap_or_default()}</dd>
                <dt>{lang.t(K::HelpSimtermsColLabelTerm)}</dt><dd>{s.label.clone()}</dd>
                <dt>{lang.t(K::HelpSimtermsColStatusTerm)}</dt>
                <dd><span class=format!("status status-{}", s.status)>{status.map(|st| lang.t(status_label(st))).unwrap_or("")}</span></dd>
                <dt>{lang.t(K::HelpSimtermsColCustomerTerm)}</dt><dd>{format!("{} ({})", s.customer, d.customer_account)}</dd>
                <dt>{lang.t(K::HelpSimtermsColRatePlanTerm)}</dt>
                <dd>{s.service.clone().unwrap_or_default()}{d.rate_plan.clone().map(|p| format!(" — {p}"))}{allowance.map(|a| format!(" ({a})"))}</dd>
                <dt>{lang.t(K::HelpSimtermsColDataUsedTerm)}</dt><dd>{format_bytes(s.data_bytes)}</dd>
                <dt>{lang.t(K::HelpSimtermsColSmsUsedTerm)}</dt><dd>{s.sms.to_string()}</dd>
                <dt>{lang.t(K::HelpSimtermsColVoiceUsedTerm)}</dt><dd>{format_minutes(s.voice_seconds)}</dd>
                <dt>{lang.t(K::HelpSimtermsColLastSessionTerm)}</dt>
                <dd>{s.last_session_at.map(|at| format!("{} {} {}", local(at), s.last_country.clone().unwrap_or_default(), s.last_mcc_mnc.clone().unwrap_or_default())).unwrap_or_else(|| lang.t(K::SimsNever).to_string())}</dd>
                <dt>{lang.t(K::HelpSimtermsColActivationDateTerm)}</dt><dd>{s.activated_at.map(|a| iso_date(a.div_euclid(86_400))).unwrap_or_default()}</dd>
                <dt>{lang.t(K::ImeiLockTitle)}</dt><dd>{lang.t(d.imei_lock.state.label())}</dd>
                <dt>{lang.t(K::SimsCreated)}</dt><dd>{local(d.created_at)}</dd>
                <dt>{lang.t(K::SimsUpdated)}</dt><dd>{local(d.updated_at)}</dd>
                {d.fields.iter().map(|f| view! { <dt>{f.name.clone()}</dt><dd>{f.value.clone().unwrap_or_default()}</dd> }).collect_view()}
            </dl>
        </section>
        {d.can_write.then(|| actions_view(lang, &d))}
        <section aria-labelledby="sim-usage">
            <h2 id="sim-usage">{lang.t(K::SimsUsage)}</h2>
            <nav class="actions" aria-label=lang.t(K::SimsChartPeriod)>
                {CHART_DAYS.into_iter().map(|n| {
                    let href = format!("{page}?days={n}");
                    let text = lang.tf(K::SimsLastDays, &[("n", &n.to_string())]);
                    let current = (n == days).then_some("page");
                    view! { <a class="button secondary" href=href aria-current=current>{text}</a> }
                }).collect_view()}
            </nav>
            <h3>{data_label.clone()}</h3>
            <div class="chart-box" inner_html=data_svg></div>
            <h3>{sms_label.clone()}</h3>
            <div class="chart-box small" inner_html=sms_svg></div>
            <h3>{voice_label.clone()}</h3>
            <div class="chart-box small" inner_html=voice_svg></div>
            <details>
                <summary>{lang.t(K::SimsUsageTable)}</summary>
                <div class="table-wrap" tabindex="0" role="region" aria-label=lang.t(K::SimsUsageTable)>
                    <table>
                        <caption class="visually-hidden">{lang.t(K::SimsUsageTable)}</caption>
                        <thead><tr>
                            <th scope="col">{lang.t(K::SimsDay)}</th>
                            <th scope="col">{lang.t(K::HelpSimtermsColDataUsedTerm)}</th>
                            <th scope="col">"SMS"</th>
                            <th scope="col">{lang.t(K::HelpSimtermsColVoiceUsedTerm)}</th>
                        </tr></thead>
                        <tbody>
                            {usage_rows.into_iter().rev().map(|u| view! {
                                <tr>
                                    <td>{iso_date(u.day)}</td>
                                    <td class="num">{format_bytes(u.data_bytes)}</td>
                                    <td class="num">{u.sms.to_string()}</td>
                                    <td class="num">{format_minutes(u.voice_seconds)}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            </details>
        </section>
        <section aria-labelledby="sim-history">
            <h2 id="sim-history">{lang.t(K::SimsStatusHistory)}</h2>
            {if d.history.is_empty() {
                view! { <p>{lang.t(K::SimsNoHistory)}</p> }.into_any()
            } else {
                view! {
                    <div class="table-wrap" tabindex="0" role="region" aria-label=lang.t(K::SimsStatusHistory)><table>
                        <caption class="visually-hidden">{lang.t(K::SimsStatusHistory)}</caption>
                        <thead><tr>
                            <th scope="col">{lang.t(K::LogTime)}</th>
                            <th scope="col">{lang.t(K::SimsFromStatus)}</th>
                            <th scope="col">{lang.t(K::SimsToStatus)}</th>
                            <th scope="col">{lang.t(K::SimsReason)}</th>
                            <th scope="col">{lang.t(K::SimsBy)}</th>
                        </tr></thead>
                        <tbody>
                            {d.history.iter().map(|h| {
                                let name = |c: &str| SimStatus::parse(c).map(|s| lang.t(status_label(s)).to_string()).unwrap_or_default();
                                view! {
                                    <tr>
                                        <td>{local(h.at)}</td>
                                        <td>{h.from.as_deref().map(name).unwrap_or_default()}</td>
                                        <td>{name(&h.to)}</td>
                                        <td>{h.reason.clone()}</td>
                                        <td>{h.actor.clone().unwrap_or_default()}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table></div>
                }.into_any()
            }}
        </section>
        <section aria-labelledby="sim-cdrs">
            <h2 id="sim-cdrs">{lang.t(K::SimsLatestCdrs)}</h2>
            <div class="table-wrap" tabindex="0" role="region" aria-label=lang.t(K::SimsLatestCdrs)><table>
                <caption class="visually-hidden">{lang.t(K::SimsLatestCdrs)}</caption>
                <thead><tr>
                    <th scope="col">{lang.t(K::SimsStarted)}</th>
                    <th scope="col">{lang.t(K::SimsKind)}</th>
                    <th scope="col">{lang.t(K::SimsAmount)}</th>
                    <th scope="col">{lang.t(K::SimsNetwork)}</th>
                </tr></thead>
                <tbody>
                    {d.cdrs.iter().map(|c| {
                        let amount = if c.kind == "data" { format_bytes(c.bytes) } else if c.kind.starts_with("voice") { format_minutes(c.units) } else { c.units.to_string() };
                        view! {
                            <tr>
                                <td>{local(c.started_at)}</td>
                                <td>{c.kind.clone()}</td>
                                <td class="num">{amount}</td>
                                <td>{format!("{} {}", c.mcc_mnc, c.rat)}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table></div>
            {export.then(|| view! { <p class="actions">
                <a class="button secondary" href=format!("{page}/cdrs.csv") rel="external" download="">{lang.t(K::SimsExportCdrs)}</a>
            </p> })}
        </section>
        <section aria-labelledby="sim-edrs">
            <h2 id="sim-edrs">{lang.t(K::SimsLatestEdrs)}</h2>
            <div class="table-wrap" tabindex="0" role="region" aria-label=lang.t(K::SimsLatestEdrs)><table>
                <caption class="visually-hidden">{lang.t(K::SimsLatestEdrs)}</caption>
                <thead><tr>
                    <th scope="col">{lang.t(K::LogTime)}</th>
                    <th scope="col">{lang.t(K::SimsEvent)}</th>
                    <th scope="col">{lang.t(K::SimsNetwork)}</th>
                    <th scope="col">{lang.t(K::SimsDetails)}</th>
                </tr></thead>
                <tbody>
                    {d.edrs.iter().map(|e| view! {
                        <tr>
                            <td>{local(e.occurred_at)}</td>
                            <td>{e.event_type.clone()}</td>
                            <td>{e.mcc_mnc.clone().unwrap_or_default()}</td>
                            <td>{e.details.clone()}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table></div>
            {export.then(|| view! { <p class="actions">
                <a class="button secondary" href=format!("{page}/edrs.csv") rel="external" download="">{lang.t(K::SimsExportEdrs)}</a>
            </p> })}
        </section>
    }
    .into_any()
}

/// The change forms: each GETs this page with `confirm=…`, which then asks to confirm.
fn actions_view(lang: Lang, d: &SimDetail) -> AnyView {
    let page = routes::sim_page(d.sim.id);
    let next: Vec<SimStatus> = SimStatus::parse(&d.sim.status).map(|s| s.allowed_next().to_vec()).unwrap_or_default();
    let current_service = d.sim.service_id;
    view! {
        <section class="panel" aria-labelledby="sim-actions">
            <h2 id="sim-actions">{lang.t(K::SimsChanges)}</h2>
            {(!next.is_empty()).then(|| view! {
                <form method="get" action=page.clone() class="stack">
                    <input type="hidden" name="confirm" value="status"/>
                    <div class="field">
                        <label for="to">{lang.t(K::SimsNewStatus)}</label>
                        <select id="to" name="to">
                            {next.iter().map(|s| view! { <option value=s.code()>{lang.t(status_label(*s))}</option> }).collect_view()}
                        </select>
                    </div>
                    <div class="field">
                        <label for="reason">{lang.t(K::SimsReason)}</label>
                        <input id="reason" name="reason" maxlength="200" aria-describedby="reason-hint"/>
                        <p class="hint" id="reason-hint">{lang.t(K::SimsReasonHint)}</p>
                    </div>
                    <div><button type="submit" class="secondary">{lang.t(K::SimsChangeStatus)}</button></div>
                </form>
            })}
            {imei_lock_view(lang, d)}
            <form method="get" action=page.clone() class="stack">
                <input type="hidden" name="confirm" value="label"/>
                <div class="field">
                    <label for="label">{lang.t(K::HelpSimtermsColLabelTerm)}</label>
                    <input id="label" name="label" maxlength="100" value=d.sim.label.clone()/>
                </div>
                <div><button type="submit" class="secondary">{lang.t(K::SimsChangeLabel)}</button></div>
            </form>
            {(d.can_plan && !d.services.is_empty()).then(|| view! {
                <form method="get" action=page.clone() class="stack">
                    <input type="hidden" name="confirm" value="service"/>
                    <div class="field">
                        <label for="service">{lang.t(K::HelpSimtermsColRatePlanTerm)}</label>
                        <select id="service" name="service">
                            {d.services.iter().map(|(id, name)| view! {
                                <option value=id.to_string() selected=current_service == Some(*id)>{name.clone()}</option>
                            }).collect_view()}
                        </select>
                    </div>
                    <div><button type="submit" class="secondary">{lang.t(K::SimsChangePlan)}</button></div>
                </form>
            })}
            {d.fields.iter().map(|f| {
                let id = format!("field-{}", f.id);
                let for_id = id.clone();
                let input = if f.kind == "choice" {
                    let cur = f.value.clone().unwrap_or_default();
                    view! {
                        <select id=id name="value">
                            <option value="">"—"</option>
                            {f.choices.iter().map(|c| view! { <option value=c.clone() selected=*c == cur>{c.clone()}</option> }).collect_view()}
                        </select>
                    }.into_any()
                } else {
                    let kind = if f.kind == "number" { "number" } else { "text" };
                    view! { <input id=id name="value" type=kind step="any" maxlength="100" value=f.value.clone().unwrap_or_default()/> }.into_any()
                };
                view! {
                    <form method="get" action=page.clone() class="stack">
                        <input type="hidden" name="confirm" value="field"/>
                        <input type="hidden" name="field" value=f.id.to_string()/>
                        <div class="field">
                            <label for=for_id>{f.name.clone()}</label>
                            {input}
                        </div>
                        <div><button type="submit" class="secondary">{lang.t(K::SimsChangeField)}</button></div>
                    </form>
                }
            }).collect_view()}
        </section>
    }
    .into_any()
}

/// The IMEI lock: its state, the bound device, and the operations open now (plain posts).
fn imei_lock_view(lang: Lang, d: &SimDetail) -> impl IntoView + use<> {
    use crate::sims::imei_lock::{LockOp, LockState};
    let b = &d.imei_lock;
    let action = format!("{}/imei-lock", routes::sim_page(d.sim.id));
    let state = match (b.state, &b.bound, &b.seen) {
        (LockState::Differed, Some(bound), Some(seen)) => {
            lang.tf(K::ImeiLockDifferedText, &[("imei", bound), ("seen", seen)])
        }
        (LockState::Locked, Some(bound), _) => lang.tf(K::ImeiLockLockedText, &[("imei", bound)]),
        (s, _, _) => lang.t(s.label()).to_string(),
    };
    let ops = LockOp::open(b.state, d.sim.imei.is_some());
    view! {
        <div class="field imei-lock">
            <p><strong>{lang.t(K::ImeiLockTitle)}": "</strong><span data-lock=b.state.code()>{state}</span></p>
            <div class="row-actions">
                {ops.into_iter().map(|op| view! {
                    <form method="post" action=action.clone()>
                        <input type="hidden" name="op" value=op.code()/>
                        <button type="submit" class="secondary">{lang.t(op.label())}</button>
                    </form>
                }).collect_view()}
            </div>
        </div>
    }
}

/// "Change X from A to B?" with the confirming POST form, when the page was asked with
/// `confirm=…`.
fn confirm_view(lang: Lang, d: &SimDetail, confirm: &[(String, String)]) -> Option<AnyView> {
    let get = |k: &str| confirm.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone()).unwrap_or_default();
    let page = routes::sim_page(d.sim.id);
    let (question, action, fields): (String, String, Vec<(&'static str, String)>) = match get("confirm").as_str() {
        "status" => {
            let to = SimStatus::parse(&get("to"))?;
            let from = SimStatus::parse(&d.sim.status)?;
            let q = lang
                .tf(K::SimsConfirmStatus, &[("from", lang.t(status_label(from))), ("to", lang.t(status_label(to)))]);
            (
                q,
                format!("{page}/status"),
                vec![("to", to.code().into()), ("from", from.code().into()), ("reason", get("reason"))],
            )
        }
        "label" => {
            let q = lang.tf(K::SimsConfirmLabel, &[("from", &d.sim.label), ("to", get("label").trim())]);
            (q, format!("{page}/label"), vec![("label", get("label")), ("from", d.sim.label.clone())])
        }
        "service" => {
            d.can_plan.then_some(())?;
            let id: i64 = get("service").parse().ok()?;
            let name = d.services.iter().find(|(s, _)| *s == id).map(|(_, n)| n.clone())?;
            let q = lang.tf(K::SimsConfirmPlan, &[("from", &d.sim.service.clone().unwrap_or_default()), ("to", &name)]);
            (q, format!("{page}/service"), vec![("service", id.to_string())])
        }
        "field" => {
            let id: i64 = get("field").parse().ok()?;
            let f = d.fields.iter().find(|f| f.id == id)?;
            let q = lang.tf(
                K::SimsConfirmField,
                &[("field", &f.name), ("from", &f.value.clone().unwrap_or_default()), ("to", get("value").trim())],
            );
            (q, format!("{page}/field"), vec![("field", id.to_string()), ("value", get("value"))])
        }
        _ => return None,
    };
    let reason = get("reason");
    Some(
        view! {
            <section class="panel confirm" role="region" aria-labelledby="confirm-title">
                <h2 id="confirm-title">{lang.t(K::SimsConfirmTitle)}</h2>
                <p>{question}</p>
                {(!reason.trim().is_empty()).then(|| view! { <p>{format!("{}: {}", lang.t(K::SimsReason), reason.trim())}</p> })}
                <form method="post" action=action class="actions">
                    {fields.into_iter().map(|(k, v)| view! { <input type="hidden" name=k value=v/> }).collect_view()}
                    <button type="submit" class="primary" autofocus>{lang.t(K::SimsConfirm)}</button>
                    <a class="button secondary" href=page.clone()>{lang.t(K::SimsCancel)}</a>
                </form>
            </section>
        }
        .into_any(),
    )
}
