//! The sign-in, account-security and user-administration pages. Forms post to the handlers in
//! `auth::handlers` and the answer comes back as a `?n=` notice (see `auth::notice`).
pub mod admin;
pub mod security;
pub mod signin;

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::auth::notice::{Notice, format_utc};
use crate::components::{t, use_lang};
use crate::error::AppError;
use crate::i18n::K;

/// The message of the last form post, if any: an alert for problems, a status for good news.
#[component]
pub fn NoticeBanner() -> impl IntoView {
    let query = use_query_map();
    let lang = use_lang();
    move || {
        let q = query.read();
        let notice = q.get("n").and_then(|c| Notice::parse(&c))?;
        let until = q.get("until").and_then(|u| u.parse::<i64>().ok()).map(format_utc);
        let text = notice.message(lang, until.as_deref());
        Some(if notice.is_error() {
            view! { <p class="notice error" role="alert">{text}</p> }.into_any()
        } else {
            view! { <p class="notice ok" role="status">{text}</p> }.into_any()
        })
    }
}

/// A load error shown in place of a page's data.
pub fn error_view(e: &AppError) -> AnyView {
    let lang = use_lang();
    view! { <p class="notice error" role="alert">{e.message(lang)}</p> }.into_any()
}

/// A hidden field.
#[component]
pub fn Hidden(name: &'static str, #[prop(into)] value: String) -> impl IntoView {
    view! { <input type="hidden" name=name value=value/> }
}

/// A labelled input: the label names the field for people and assistive technology.
#[component]
pub fn Field(
    id: &'static str,
    label: K,
    #[prop(default = "text")] kind: &'static str,
    #[prop(default = "")] autocomplete: &'static str,
    #[prop(default = true)] required: bool,
    #[prop(optional, into)] value: String,
    #[prop(optional)] hint: Option<K>,
    #[prop(default = "")] inputmode: &'static str,
) -> impl IntoView {
    let hint_id = format!("{id}-hint");
    let described = hint.map(|_| hint_id.clone());
    view! {
        <div class="field">
            <label for=id>{t(label)}</label>
            <input
                id=id
                name=id
                type=kind
                autocomplete=(!autocomplete.is_empty()).then_some(autocomplete)
                inputmode=(!inputmode.is_empty()).then_some(inputmode)
                required=required
                value=value
                aria-describedby=described
            />
            {hint.map(|h| view! { <p class="hint" id=hint_id>{t(h)}</p> })}
        </div>
    }
}

/// The sign-out button of the header (a form, so it works without JavaScript).
#[component]
pub fn SignOut() -> impl IntoView {
    view! {
        <form method="post" action="/auth/logout" class="sign-out">
            <button type="submit" class="link-button">{t(K::SignOut)}</button>
        </form>
    }
}
