use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::t;
use crate::i18n::K;
use crate::routes;

/// A plain placeholder for an area that is not built yet: never a broken link.
#[component]
pub fn ComingSoon(title: K) -> impl IntoView {
    view! {
        <Title text=t(title)/>
        <section class="page">
            <h1>{t(title)}</h1>
            <p class="coming-soon">{t(K::ComingSoonBody)}</p>
            <p>
                <a href=routes::HELP>{t(K::ComingSoonHelpLink)}</a>
            </p>
        </section>
    }
}
