use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_location;

use crate::components::{t, use_lang};
use crate::i18n::K;
use crate::routes;

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
        res.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    let path = use_location().pathname;
    let lang = use_lang();
    view! {
        <Title text=t(K::NotFoundTitle)/>
        <section class="page">
            <h1>{t(K::NotFoundTitle)}</h1>
            <p>{move || lang.tf(K::NotFoundPath, &[("path", &path.get())])}</p>
            <p>
                <a href=routes::HOME>{t(K::NotFoundHome)}</a>
            </p>
        </section>
    }
}
