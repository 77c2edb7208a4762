//! Bulk changes: the confirmation page ("change 1,234 SIMs?"), a job's progress page (which
//! refreshes itself while the job runs, with or without JavaScript) and the list of jobs.
use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use leptos_router::hooks::{use_location, use_params_map};

use super::group;
use super::status_label;
use crate::components::{NoticeBanner, error_view};
use crate::components::{t, use_lang};
use crate::i18n::{K, Lang};
use crate::routes;
use crate::sims::api::{bulk_job, bulk_jobs, bulk_preview};
use crate::sims::model::{BulkAction, JobInfo};
use crate::time::local;

fn action_text(lang: Lang, a: &BulkAction, describe: &str) -> String {
    match a {
        BulkAction::Status { to, reason } => {
            let mut s = lang.tf(K::SimsBulkStatusTo, &[("to", lang.t(status_label(*to)))]);
            if !reason.is_empty() {
                s.push_str(&format!(" ({}: {reason})", lang.t(K::SimsReason)));
            }
            s
        }
        BulkAction::Service { .. } => lang.tf(K::SimsBulkServiceTo, &[("to", describe)]),
        BulkAction::Assign { .. } => lang.tf(K::SimsBulkAssignTo, &[("to", describe)]),
    }
}

#[component]
pub fn BulkConfirmPage() -> impl IntoView {
    let raw = use_location().search.get_untracked();
    let lang = use_lang();
    let data = Resource::new(move || raw.clone(), bulk_preview);
    view! {
        <Title text=t(K::SimsBulkTitle)/>
        <h1>{t(K::SimsBulkTitle)}</h1>
        <Suspense fallback=|| view! { <p>{t(K::Loading)}</p> }>
            {move || Suspend::new(async move {
                let p = match data.await {
                    Ok(p) => p,
                    Err(e) => return view! {
                        {error_view(&e)}
                        <p class="notice error" role="alert">{t(K::SimsBulkIncomplete)}</p>
                        <p><a href=routes::SIMS>{t(K::SimsBackToList)}</a></p>
                    }.into_any(),
                };
                let back = if p.query.is_empty() { routes::SIMS.to_string() } else { format!("{}?{}", routes::SIMS, p.query) };
                let what = action_text(lang, &p.action, &p.describe);
                let question = lang.tf(K::SimsBulkQuestion, &[("what", &what), ("n", &group(p.count))]);
                let (to, reason, service, customer, action) = match &p.action {
                    BulkAction::Status { to, reason } => (to.code().to_string(), reason.clone(), String::new(), String::new(), "status"),
                    BulkAction::Service { service } => (String::new(), String::new(), service.to_string(), String::new(), "service"),
                    BulkAction::Assign { customer, service } => (String::new(), String::new(), service.map(|s| s.to_string()).unwrap_or_default(), customer.to_string(), "assign"),
                };
                view! {
                    <section class="panel confirm" aria-labelledby="bulk-q">
                        <h2 id="bulk-q">{lang.t(K::SimsConfirmTitle)}</h2>
                        <p>{question}</p>
                        <p class="hint">{lang.t(K::SimsBulkSkipHint)}</p>
                        {if p.count == 0 {
                            view! { <p><a class="button secondary" href=back.clone()>{lang.t(K::SimsBackToList)}</a></p> }.into_any()
                        } else {
                            view! {
                                <form method="post" action=routes::SIMS_BULK_START class="actions">
                                    <input type="hidden" name="action" value=action/>
                                    <input type="hidden" name="to" value=to/>
                                    <input type="hidden" name="reason" value=reason/>
                                    <input type="hidden" name="service" value=service/>
                                    <input type="hidden" name="customer" value=customer/>
                                    <input type="hidden" name="query" value=p.query.clone()/>
                                    {match p.ids.clone() {
                                        Some(ids) => ids.into_iter().map(|id| view! { <input type="hidden" name="sim" value=id.to_string()/> }).collect_view().into_any(),
                                        None => view! { <input type="hidden" name="all" value="1"/> }.into_any(),
                                    }}
                                    <button type="submit" class="primary">{lang.t(K::SimsConfirm)}</button>
                                    <a class="button secondary" href=back.clone()>{lang.t(K::SimsCancel)}</a>
                                </form>
                            }.into_any()
                        }}
                    </section>
                }.into_any()
            })}
        </Suspense>
    }
}

#[component]
pub fn JobPage() -> impl IntoView {
    let id = use_params_map().read_untracked().get("id").and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
    let lang = use_lang();
    let data = Resource::new(move || id, bulk_job);
    view! {
        <Suspense fallback=|| view! { <p>{t(K::Loading)}</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(j) => job_view(lang, j),
                    Err(e) => view! {
                        <Title text=t(K::SimsJobsTitle)/>
                        <h1>{t(K::SimsJobsTitle)}</h1>
                        {error_view(&e)}
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

fn state_text(lang: Lang, state: &str) -> &'static str {
    lang.t(match state {
        "queued" => K::SimsJobQueued,
        "running" => K::SimsJobRunning,
        "done" => K::SimsJobDone,
        _ => K::SimsJobCancelled,
    })
}

fn job_view(lang: Lang, j: JobInfo) -> AnyView {
    let title = format!("{} #{}", lang.t(K::SimsJobTitle), j.id);
    let running = j.state == "queued" || j.state == "running";
    let handled = j.done + j.skipped;
    let percent = if j.total > 0 { handled * 100 / j.total } else { 100 };
    let back = if j.query.is_empty() { routes::SIMS.to_string() } else { format!("{}?{}", routes::SIMS, j.query) };
    view! {
        <Title text=title.clone()/>
        // While the job runs the page reloads itself every two seconds; it needs no script.
        {running.then(|| view! { <Meta http_equiv="refresh" content="2"/> })}
        <h1>{title}</h1>
        <NoticeBanner/>
        <p>{action_text(lang, &j.action, &j.describe)}</p>
        <p>
            <label for="job-progress">{format!("{} — {percent} %", state_text(lang, &j.state))}</label>
            <progress id="job-progress" max=j.total.max(1).to_string() value=handled.to_string()>{format!("{percent} %")}</progress>
        </p>
        <dl class="facts" aria-live="polite">
            <dt>{lang.t(K::SimsJobTotal)}</dt><dd>{group(j.total)}</dd>
            <dt>{lang.t(K::SimsJobChanged)}</dt><dd>{group(j.done)}</dd>
            <dt>{lang.t(K::SimsJobSkipped)}</dt><dd>{group(j.skipped)}</dd>
            <dt>{lang.t(K::SimsJobBy)}</dt><dd>{j.creator.clone()}</dd>
            <dt>{lang.t(K::SimsCreated)}</dt><dd>{local(j.created_at)}</dd>
            <dt>{lang.t(K::SimsJobFinished)}</dt><dd>{j.finished_at.map(local).unwrap_or_default()}</dd>
        </dl>
        {(!j.skipped_items.is_empty()).then(|| view! {
            <h2>{lang.t(K::SimsJobSkippedTitle)}</h2>
            <div class="table-wrap" tabindex="0" role="region" aria-label=lang.t(K::SimsJobSkippedTitle)><table>
                <caption class="visually-hidden">{lang.t(K::SimsJobSkippedTitle)}</caption>
                <thead><tr>
                    <th scope="col">{lang.t(K::HelpSimtermsColIccidTerm)}</th>
                    <th scope="col">{lang.t(K::SimsReason)}</th>
                </tr></thead>
                <tbody>
                    {j.skipped_items.iter().map(|(iccid, why)| view! {
                        <tr><td>{iccid.clone()}</td><td>{skip_reason(lang, why)}</td></tr>
                    }).collect_view()}
                </tbody>
            </table></div>
        })}
        <p class="actions">
            <a class="button secondary" href=back>{lang.t(K::SimsBackToList)}</a>
            <a class="button secondary" href=routes::SIMS_JOBS>{lang.t(K::SimsJobsTitle)}</a>
        </p>
    }
    .into_any()
}

fn skip_reason(lang: Lang, why: &str) -> String {
    match why.split_once(':') {
        Some(("not_allowed", from)) => {
            let from = crate::sims::SimStatus::parse(from).map(|s| lang.t(status_label(s))).unwrap_or(from);
            lang.tf(K::SimsSkipNotAllowed, &[("from", from)])
        }
        _ => lang
            .t(match why {
                "unchanged" => K::SimsSkipUnchanged,
                "not_found" => K::SimsSkipNotFound,
                "stale" => K::SimsSkipStale,
                _ => K::SimsSkipInvalid,
            })
            .to_string(),
    }
}

#[component]
pub fn JobsPage() -> impl IntoView {
    let lang = use_lang();
    let data = Resource::new(|| (), |_| bulk_jobs());
    view! {
        <Title text=t(K::SimsJobsTitle)/>
        <h1>{t(K::SimsJobsTitle)}</h1>
        <Suspense fallback=|| view! { <p>{t(K::Loading)}</p> }>
            {move || Suspend::new(async move {
                let jobs = match data.await {
                    Ok(j) => j,
                    Err(e) => return error_view(&e),
                };
                if jobs.is_empty() {
                    return view! { <p>{lang.t(K::SimsNoJobs)}</p> }.into_any();
                }
                view! {
                    <div class="table-wrap" tabindex="0" role="region" aria-label=lang.t(K::SimsJobsTitle)><table>
                        <caption class="visually-hidden">{lang.t(K::SimsJobsTitle)}</caption>
                        <thead><tr>
                            <th scope="col">"#"</th>
                            <th scope="col">{lang.t(K::SimsCreated)}</th>
                            <th scope="col">{lang.t(K::SimsKind)}</th>
                            <th scope="col">{lang.t(K::HelpSimtermsColStatusTerm)}</th>
                            <th scope="col">{lang.t(K::SimsJobChanged)}</th>
                            <th scope="col">{lang.t(K::SimsJobSkipped)}</th>
                            <th scope="col">{lang.t(K::SimsJobTotal)}</th>
                        </tr></thead>
                        <tbody>
                            {jobs.into_iter().map(|j| view! {
                                <tr>
                                    <td><a href=routes::job_page(j.id)>{format!("#{}", j.id)}</a></td>
                                    <td>{local(j.created_at)}</td>
                                    <td>{j.kind.clone()}</td>
                                    <td>{state_text(lang, &j.state)}</td>
                                    <td class="num">{group(j.done)}</td>
                                    <td class="num">{group(j.skipped)}</td>
                                    <td class="num">{group(j.total)}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table></div>
                }.into_any()
            })}
        </Suspense>
    }
}
