//! Settings > SIM fields: the administrator defines extra SIM info fields for the tree.
use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::{NoticeBanner, error_view};
use crate::components::{t, use_lang};
use crate::i18n::{K, Lang};
use crate::routes;
use crate::sims::api::sim_fields;

fn kind_label(lang: Lang, kind: &str) -> &'static str {
    lang.t(match kind {
        "number" => K::FieldsKindNumber,
        "choice" => K::FieldsKindChoice,
        _ => K::FieldsKindText,
    })
}

#[component]
pub fn SimFieldsPage() -> impl IntoView {
    let lang = use_lang();
    let data = Resource::new(|| (), |_| sim_fields());
    view! {
        <Title text=t(K::FieldsTitle)/>
        <h1>{t(K::FieldsTitle)}</h1>
        <NoticeBanner/>
        <p>{t(K::FieldsIntro)}</p>
        <Suspense fallback=|| view! { <p>{t(K::Loading)}</p> }>
            {move || Suspend::new(async move {
                let fields = match data.await {
                    Ok(f) => f,
                    Err(e) => return error_view(&e),
                };
                if fields.is_empty() {
                    return view! { <p>{lang.t(K::FieldsNone)}</p> }.into_any();
                }
                view! {
                    <div class="table-wrap" tabindex="0" role="region" aria-label=lang.t(K::FieldsTitle)><table>
                        <caption class="visually-hidden">{lang.t(K::FieldsTitle)}</caption>
                        <thead><tr>
                            <th scope="col">{lang.t(K::FieldsName)}</th>
                            <th scope="col">{lang.t(K::FieldsKind)}</th>
                            <th scope="col">{lang.t(K::FieldsDefinedBy)}</th>
                            <th scope="col">{lang.t(K::Actions)}</th>
                        </tr></thead>
                        <tbody>
                            {fields.into_iter().map(|f| {
                                let kind = if f.choices.is_empty() {
                                    kind_label(lang, &f.kind).to_string()
                                } else {
                                    format!("{}: {}", kind_label(lang, &f.kind), f.choices.join(", "))
                                };
                                let label = format!("{} {}", lang.t(K::FieldsDelete), f.name);
                                view! {
                                    <tr>
                                        <td>{f.name.clone()}</td>
                                        <td>{kind}</td>
                                        <td>{f.customer.clone()}</td>
                                        <td>
                                            {f.own.then(|| view! {
                                                <form method="post" action=routes::SETTINGS_SIM_FIELDS_DELETE>
                                                    <input type="hidden" name="id" value=f.id.to_string()/>
                                                    <button type="submit" class="danger" aria-label=label aria-describedby="delete-hint">{lang.t(K::FieldsDelete)}</button>
                                                </form>
                                            })}
                                        </td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table></div>
                    <p class="hint" id="delete-hint">{lang.t(K::FieldsDeleteHint)}</p>
                }.into_any()
            })}
        </Suspense>
        <h2>{t(K::FieldsAdd)}</h2>
        <form method="post" action=routes::SETTINGS_SIM_FIELDS_ADD class="stack">
            <div class="field">
                <label for="field-name">{t(K::FieldsName)}</label>
                <input id="field-name" name="name" required maxlength="40"/>
            </div>
            <div class="field">
                <label for="field-kind">{t(K::FieldsKind)}</label>
                <select id="field-kind" name="kind">
                    <option value="text">{t(K::FieldsKindText)}</option>
                    <option value="number">{t(K::FieldsKindNumber)}</option>
                    <option value="choice">{t(K::FieldsKindChoice)}</option>
                </select>
            </div>
            <div class="field">
                <label for="field-choices">{t(K::FieldsChoices)}</label>
                <textarea id="field-choices" name="choices" rows="4"></textarea>
            </div>
            <div><button type="submit" class="primary">{t(K::FieldsAdd)}</button></div>
        </form>
    }
}
