//! The journal overview: filters in the address (a plain GET form, so it works without
//! script), a page of entries newest first, "older entries" by keyset, and the CSV export of
//! the same filters.
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_location;

use super::api::journal_page;
use super::{ENTITIES, JournalQuery, Problem};
use crate::components::error_view;
use crate::components::{t, use_lang};
use crate::i18n::{K, Lang};
use crate::routes;
use crate::time::local;
use crate::util::parse_query;

fn problem_text(lang: Lang, field: &str, code: &str) -> String {
    let label = lang.t(match field {
        "user" => K::JournalUser,
        "entity" => K::JournalEntity,
        "target" => K::JournalTarget,
        "action" => K::JournalAction,
        "from" => K::LogFrom,
        "to" => K::LogTo,
        _ => K::JournalOlder,
    });
    let key = match code {
        c if c == Problem::Unknown.code() => K::JournalBadUnknown,
        c if c == Problem::TooLong.code() => K::JournalBadTooLong,
        c if c == Problem::NotADate.code() => K::JournalBadDate,
        c if c == Problem::Backwards.code() => K::JournalBadBackwards,
        _ => K::JournalBadNumber,
    };
    lang.tf(key, &[("field", label)])
}

#[component]
pub fn JournalPage() -> impl IntoView {
    let raw = use_location().search.get_untracked();
    let lang = use_lang();
    let parsed = JournalQuery::parse(&parse_query(&raw));
    let q = parsed.clone().unwrap_or_default();
    let data = Resource::new(move || raw.clone(), journal_page);
    let day = |d: Option<i64>| d.map(crate::time::iso_date).unwrap_or_default();
    let entity_now = q.entity.clone().unwrap_or_default();
    let entities =
        ENTITIES.iter().map(|e| view! { <option value=*e selected=*e == entity_now>{*e}</option> }).collect_view();
    let csv = q.href(routes::JOURNAL_CSV, None);
    let errors = parsed.err().map(|errors| {
        view! {
            <div class="notice error" role="alert">
                <ul>{errors.into_iter().map(|(f, p)| view! { <li>{problem_text(lang, &f, p.code())}</li> }).collect_view()}</ul>
            </div>
        }
    });
    view! {
        <Title text=t(K::NavJournal)/>
        <h1>{t(K::NavJournal)}</h1>
        <p>{t(K::JournalIntro)}</p>
        <form method="get" action=routes::JOURNAL class="filters" role="search" aria-label=lang.t(K::JournalFilters)>
            <div class="field">
                <label for="j-user">{t(K::JournalUser)}</label>
                <input id="j-user" name="user" value=q.user.clone().unwrap_or_default() maxlength="100" autocomplete="off"/>
            </div>
            <div class="field">
                <label for="j-entity">{t(K::JournalEntity)}</label>
                <select id="j-entity" name="entity">
                    <option value="">{t(K::All)}</option>
                    {entities}
                </select>
            </div>
            <div class="field">
                <label for="j-target">{t(K::JournalTarget)}</label>
                <input id="j-target" name="target" value=q.target.clone().unwrap_or_default() maxlength="200" autocomplete="off"/>
            </div>
            <div class="field">
                <label for="j-action">{t(K::JournalAction)}</label>
                <input id="j-action" name="action" value=q.action.clone().unwrap_or_default() maxlength="60" autocomplete="off" placeholder="sim.status"/>
            </div>
            <div class="field">
                <label for="j-from">{t(K::LogFrom)}</label>
                <input id="j-from" name="from" type="date" value=day(q.from)/>
            </div>
            <div class="field">
                <label for="j-to">{t(K::LogTo)}</label>
                <input id="j-to" name="to" type="date" value=day(q.to)/>
            </div>
            <button type="submit" class="primary">{t(K::Filter)}</button>
            <a class="button secondary" href=csv rel="external" download="">{t(K::ExportCsv)}</a>
        </form>
        {errors}
        <Suspense fallback=|| view! { <p>{t(K::Loading)}</p> }>
            {move || {
                let q = q.clone();
                Suspend::new(async move {
                    let page = match data.await {
                        Ok(p) => p,
                        // The filter errors are already listed above the table.
                        Err(crate::error::AppError::Validation { .. }) => return ().into_any(),
                        Err(e) => return error_view(&e),
                    };
                    if page.rows.is_empty() {
                        return view! { <p class="empty">{t(K::JournalEmpty)}</p> }.into_any();
                    }
                    let older = page.older.map(|id| q.href(routes::JOURNAL, Some(id)));
                    view! {
                        <div class="table-wrap" tabindex="0" role="region" aria-label=lang.t(K::NavJournal)>
                            <table class="journal">
                                <caption class="visually-hidden">{t(K::NavJournal)}</caption>
                                <thead><tr>
                                    <th scope="col">{t(K::LogTime)}</th>
                                    <th scope="col">{t(K::JournalUser)}</th>
                                    <th scope="col">{t(K::JournalAction)}</th>
                                    <th scope="col">{t(K::JournalTarget)}</th>
                                    <th scope="col">{t(K::JournalChange)}</th>
                                    <th scope="col">{t(K::JournalCustomer)}</th>
                                    <th scope="col">{t(K::SessionIp)}</th>
                                </tr></thead>
                                <tbody>
                                    {page.rows.into_iter().map(|r| view! {
                                        <tr>
                                            <td>{local(r.at)}</td>
                                            <td>{r.actor}</td>
                                            <td><code>{r.action}</code></td>
                                            <td>{r.target}</td>
                                            <td class="details"><code>{r.details}</code></td>
                                            <td>{r.customer}</td>
                                            <td>{r.ip}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                        {older.map(|href| view! { <p><a href=href>{t(K::OlderEntries)}</a></p> })}
                    }
                    .into_any()
                })
            }}
        </Suspense>
    }
}
