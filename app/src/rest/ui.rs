//! The REST API's reference at `/help/api`: every endpoint with its permission, parameters,
//! body, answer and error statuses, and every type, read from the OpenAPI document the API
//! serves (built on the server; no script needed).
use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::{t, use_lang};
use crate::i18n::K;
use crate::routes;

use super::model::{RefField, RefOp};

fn field_table(caption: K, fields: Vec<RefField>) -> impl IntoView {
    let lang = use_lang();
    view! {
        <div class="table-wrap" tabindex="0" role="region" aria-label=lang.t(caption)>
            <table>
                <thead>
                    <tr>
                        <th scope="col">{t(K::ApiRefField)}</th>
                        <th scope="col">{t(K::ApiRefType)}</th>
                        <th scope="col">{t(K::ApiRefDescription)}</th>
                    </tr>
                </thead>
                <tbody>
                    {fields
                        .into_iter()
                        .map(|f| view! {
                            <tr>
                                <td>
                                    <code>{f.name}</code>
                                    {f.required.then(|| view! { " " <small>"("{t(K::ApiRefRequired)}")"</small> })}
                                </td>
                                <td>
                                    <code>{f.kind}</code>
                                    {(!f.rules.is_empty()).then(|| view! { <br/><small><code>{f.rules}</code></small> })}
                                </td>
                                <td>{f.doc}</td>
                            </tr>
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}

/// A type's words, linked to the type's entry when it names one.
fn type_link(words: String, schemas: &[String]) -> AnyView {
    let bare = words.trim_start_matches("array of ").to_string();
    if schemas.contains(&bare) {
        view! { <a href=format!("#type-{bare}")><code>{words}</code></a> }.into_any()
    } else {
        view! { <code>{words}</code> }.into_any()
    }
}

#[component]
pub fn ApiReferencePage() -> impl IntoView {
    #[cfg(feature = "ssr")]
    let r = crate::rest::reference::build();
    #[cfg(not(feature = "ssr"))]
    let r = super::model::ApiReference::default();
    let names: Vec<String> = r.schemas.iter().map(|s| s.name.clone()).collect();
    let mut tags: Vec<String> = Vec::new();
    for op in &r.ops {
        if !tags.contains(&op.tag) {
            tags.push(op.tag.clone());
        }
    }
    let groups = tags
        .into_iter()
        .map(|tag| {
            let ops: Vec<RefOp> = r.ops.iter().filter(|o| o.tag == tag).cloned().collect();
            let names = names.clone();
            view! {
                <h3>{tag}</h3>
                {ops
                    .into_iter()
                    .map(|op| {
                        let names = names.clone();
                        view! {
                            <article class="card api-op" id=op.id.clone()>
                                <h4><code>{op.method}" "{op.path}</code></h4>
                                <p><strong>{op.summary}</strong></p>
                                {op.doc.split("\n\n").map(|p| view! { <p>{p.to_string()}</p> }).collect_view()}
                                {op.needs.map(|(key, perm)| {
                                    let key = if key == "ingest" { K::ApiRefKeyIngest } else { K::ApiRefKeyApi };
                                    view! { <p>{t(K::ApiRefNeeds)}" "{t(key)}" "{t(K::ApiRefPermission)}" "<code>{perm}</code>"."</p> }
                                })}
                                {(!op.params.is_empty()).then(|| view! {
                                    <h5>{t(K::ApiRefParams)}</h5>
                                    {field_table(K::ApiRefParams, op.params)}
                                })}
                                {op.body.map(|b| view! {
                                    <h5>{t(K::ApiRefBody)}</h5>
                                    <p>{type_link(b, &names)}</p>
                                })}
                                <h5>{t(K::ApiRefResponse)}</h5>
                                <p>{op.ok}" "{type_link(op.response, &names)}</p>
                                {(!op.errors.is_empty()).then(|| view! {
                                    <p>{t(K::ApiRefErrors)}": "<a href="#type-ErrorBody">{op.errors.join(", ")}</a></p>
                                })}
                                <details class="api-examples">
                                    <summary>{t(K::ApiRefExampleRequest)}</summary>
                                    <pre class="api-example" tabindex="0"><code>{op.example_request}</code></pre>
                                    <p><strong>{t(K::ApiRefExampleResponse)}</strong></p>
                                    <pre class="api-example" tabindex="0"><code>{op.example_response}</code></pre>
                                </details>
                            </article>
                        }
                    })
                    .collect_view()}
            }
        })
        .collect_view();
    let schemas = r
        .schemas
        .into_iter()
        .map(|s| {
            let id = format!("type-{}", s.name);
            view! {
                <article class="card api-type" id=id>
                    <h4><code>{s.name}</code></h4>
                    {(!s.doc.is_empty()).then(|| view! { <p>{s.doc}</p> })}
                    {(!s.values.is_empty()).then(|| view! { <p>{t(K::ApiRefValues)}": "<code>{s.values.join(" | ")}</code></p> })}
                    {(!s.fields.is_empty()).then(|| field_table(K::ApiRefSchemas, s.fields))}
                </article>
            }
        })
        .collect_view();
    view! {
        <Title text=t(K::ApiRefTitle)/>
        <section class="page api-reference">
            <h1>{t(K::ApiRefTitle)}</h1>
            <p>{t(K::ApiRefIntro)}</p>
            <p>{t(K::ApiRefConventions)}</p>
            <ul>
                <li><a href=routes::API_V1_OPENAPI>{t(K::ApiRefDocument)}</a></li>
                <li><a href=routes::PROFILE_API_KEYS>{t(K::ApiRefKeys)}</a></li>
            </ul>
            <pre class="api-example"><code>"curl -H 'Authorization: Bearer iotp_…' '/api/v1/sims?status=activated&limit=100'"</code></pre>
            <h2>{t(K::ApiRefEndpoints)}</h2>
            {groups}
            <h2>{t(K::ApiRefSchemas)}</h2>
            {schemas}
        </section>
    }
}
