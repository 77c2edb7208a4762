//! The portal's error page: what a form or download was refused for (not allowed, not found,
//! busy, too many tries, changed meanwhile) or that something broke (with a reference to quote),
//! inside the layout, in the reader's language, with a way back. Form handlers answer with it
//! through `web::form::FormError::Page`; the server renders it for the same request.
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::components::{t, use_lang};
use crate::error::AppError;
use crate::i18n::K;
use crate::routes;

#[component]
pub fn ErrorPage() -> impl IntoView {
    let query = use_query_map();
    let lang = use_lang();
    let (code, back, fields) = query.with_untracked(|q| {
        (q.get("code").unwrap_or_default(), q.get("back").unwrap_or_default(), q.get("fields").unwrap_or_default())
    });
    // What was refused, field by field, as the API names it (`field: problem`).
    let fields: Vec<String> = fields
        .split(',')
        .filter_map(|f| f.split_once(':'))
        .take(20)
        .map(|(f, p)| format!("{}: {}", f.chars().take(40).collect::<String>(), p.chars().take(40).collect::<String>()))
        .collect();
    let back = routes::safe_local_path(&back).to_string();
    let (title, error) = match code.split_once('.').map_or(code.as_str(), |(c, _)| c) {
        "forbidden" => (K::ErrorPageForbidden, AppError::Forbidden),
        "not_found" => (K::ErrorPageNotFound, AppError::NotFound),
        "busy" => (K::ErrorPageBusy, AppError::Busy { retry_after: 2 }),
        "rate_limited" => (K::ErrorPageBusy, AppError::RateLimited { retry_after: 60 }),
        "conflict" => (K::ErrorPageConflict, AppError::Conflict { what: String::new() }),
        "invalid" => (K::ErrorPageInvalid, AppError::validation("request", "invalid")),
        _ => {
            let ref_id = code.split_once('.').map(|(_, r)| r).unwrap_or("-");
            let ref_id: String = ref_id.chars().filter(|c| c.is_ascii_alphanumeric()).take(32).collect();
            (K::ErrorPageInternal, AppError::Internal { ref_id })
        }
    };
    view! {
        <Title text=t(title)/>
        <section class="page">
            <h1>{t(title)}</h1>
            <p role="alert">{error.message(lang)}</p>
            {(!fields.is_empty()).then(|| view! {
                <ul class="problems">{fields.into_iter().map(|f| view! { <li><code>{f}</code></li> }).collect_view()}</ul>
            })}
            <p><a href=back>{t(K::ErrorPageBack)}</a></p>
        </section>
    }
}
