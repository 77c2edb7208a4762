//! The sign-in, account-security and user-administration pages. Forms post to the handlers in
//! `auth::forms` and the answer comes back as a `?n=` notice (see `auth::notice`).
pub mod admin;
pub mod security;
pub mod signin;

use leptos::prelude::*;

use crate::components::t;
use crate::i18n::K;

pub use crate::components::{NoticeBanner, error_view};

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
