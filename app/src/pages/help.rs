//! Help: an IoT glossary, the SIM overview terms, and what each error message means.
use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::t;
use crate::i18n::K;
use crate::routes;

#[component]
pub fn HelpIndex() -> impl IntoView {
    view! {
        <Title text=t(K::HelpTitle)/>
        <section class="page">
            <h1>{t(K::HelpTitle)}</h1>
            <p>{t(K::HelpIntro)}</p>
            <ul class="card-list">
                <li>
                    <a href=routes::HELP_GLOSSARY>{t(K::HelpGlossaryTitle)}</a>
                    <p>{t(K::HelpGlossarySummary)}</p>
                </li>
                <li>
                    <a href=routes::HELP_SIM_TERMS>{t(K::HelpSimtermsTitle)}</a>
                    <p>{t(K::HelpSimtermsSummary)}</p>
                </li>
                <li>
                    <a href=routes::HELP_TROUBLESHOOTING>{t(K::HelpTroubleTitle)}</a>
                    <p>{t(K::HelpTroubleSummary)}</p>
                </li>
                <li>
                    <a href=routes::HELP_API>{t(K::ApiRefTitle)}</a>
                    <p>{t(K::ApiRefSummary)}</p>
                </li>
            </ul>
        </section>
    }
}

fn term_list(items: &'static [(K, K)]) -> impl IntoView {
    view! {
        <dl class="terms">
            {items
                .iter()
                .map(|(term, def)| view! {
                    <div class="term">
                        <dt>{t(*term)}</dt>
                        <dd>{t(*def)}</dd>
                    </div>
                })
                .collect_view()}
        </dl>
    }
}

const GLOSSARY: &[(K, K)] = &[
    (K::HelpGlossaryApnTerm, K::HelpGlossaryApnDef),
    (K::HelpGlossaryBillingCycleTerm, K::HelpGlossaryBillingCycleDef),
    (K::HelpGlossaryCdrTerm, K::HelpGlossaryCdrDef),
    (K::HelpGlossaryEdrTerm, K::HelpGlossaryEdrDef),
    (K::HelpGlossaryEidTerm, K::HelpGlossaryEidDef),
    (K::HelpGlossaryEsimTerm, K::HelpGlossaryEsimDef),
    (K::HelpGlossaryIccidTerm, K::HelpGlossaryIccidDef),
    (K::HelpGlossaryImeiTerm, K::HelpGlossaryImeiDef),
    (K::HelpGlossaryImsiTerm, K::HelpGlossaryImsiDef),
    (K::HelpGlossaryLteMTerm, K::HelpGlossaryLteMDef),
    (K::HelpGlossaryMccMncTerm, K::HelpGlossaryMccMncDef),
    (K::HelpGlossaryMfaTerm, K::HelpGlossaryMfaDef),
    (K::HelpGlossaryMsisdnTerm, K::HelpGlossaryMsisdnDef),
    (K::HelpGlossaryNbIotTerm, K::HelpGlossaryNbIotDef),
    (K::HelpGlossaryPdpContextTerm, K::HelpGlossaryPdpContextDef),
    (K::HelpGlossaryPoolTerm, K::HelpGlossaryPoolDef),
    (K::HelpGlossaryRatTerm, K::HelpGlossaryRatDef),
    (K::HelpGlossaryRatePlanTerm, K::HelpGlossaryRatePlanDef),
    (K::HelpGlossaryRoamingTerm, K::HelpGlossaryRoamingDef),
    (K::HelpGlossarySimTerm, K::HelpGlossarySimDef),
];

#[component]
pub fn Glossary() -> impl IntoView {
    view! {
        <Title text=t(K::HelpGlossaryTitle)/>
        <section class="page">
            <h1>{t(K::HelpGlossaryTitle)}</h1>
            <p>{t(K::HelpGlossarySummary)}</p>
            {term_list(GLOSSARY)}
        </section>
    }
}

const SIM_COLUMNS: &[(K, K)] = &[
    (K::HelpSimtermsColIccidTerm, K::HelpSimtermsColIccidDef),
    (K::HelpSimtermsColMsisdnTerm, K::HelpSimtermsColMsisdnDef),
    (K::HelpSimtermsColImsiTerm, K::HelpSimtermsColImsiDef),
    (K::HelpSimtermsColImeiTerm, K::HelpSimtermsColImeiDef),
    (K::HelpSimtermsColLabelTerm, K::HelpSimtermsColLabelDef),
    (K::HelpSimtermsColStatusTerm, K::HelpSimtermsColStatusDef),
    (K::HelpSimtermsColCustomerTerm, K::HelpSimtermsColCustomerDef),
    (K::HelpSimtermsColRatePlanTerm, K::HelpSimtermsColRatePlanDef),
    (K::HelpSimtermsColDataUsedTerm, K::HelpSimtermsColDataUsedDef),
    (K::HelpSimtermsColSmsUsedTerm, K::HelpSimtermsColSmsUsedDef),
    (K::HelpSimtermsColVoiceUsedTerm, K::HelpSimtermsColVoiceUsedDef),
    (K::HelpSimtermsColLastSessionTerm, K::HelpSimtermsColLastSessionDef),
    (K::HelpSimtermsColActivationDateTerm, K::HelpSimtermsColActivationDateDef),
];

const SIM_STATUSES: &[(K, K)] = &[
    (K::HelpSimtermsStatusInventoryTerm, K::HelpSimtermsStatusInventoryDef),
    (K::HelpSimtermsStatusTestReadyTerm, K::HelpSimtermsStatusTestReadyDef),
    (K::HelpSimtermsStatusActivatedTerm, K::HelpSimtermsStatusActivatedDef),
    (K::HelpSimtermsStatusSuspendedTerm, K::HelpSimtermsStatusSuspendedDef),
    (K::HelpSimtermsStatusDeactivatedTerm, K::HelpSimtermsStatusDeactivatedDef),
    (K::HelpSimtermsStatusRetiredTerm, K::HelpSimtermsStatusRetiredDef),
];

#[component]
pub fn SimTerms() -> impl IntoView {
    view! {
        <Title text=t(K::HelpSimtermsTitle)/>
        <section class="page">
            <h1>{t(K::HelpSimtermsTitle)}</h1>
            <p>{t(K::HelpSimtermsSummary)}</p>
            <h2>{t(K::HelpSimtermsColumnsHeading)}</h2>
            {term_list(SIM_COLUMNS)}
            <h2>{t(K::HelpSimtermsStatusesHeading)}</h2>
            {term_list(SIM_STATUSES)}
        </section>
    }
}

const TROUBLES: &[(K, K, K)] = &[
    (K::HelpTroubleUnauthenticatedTitle, K::HelpTroubleUnauthenticatedCause, K::HelpTroubleUnauthenticatedFix),
    (K::HelpTroubleMfaRequiredTitle, K::HelpTroubleMfaRequiredCause, K::HelpTroubleMfaRequiredFix),
    (K::HelpTroubleForbiddenTitle, K::HelpTroubleForbiddenCause, K::HelpTroubleForbiddenFix),
    (K::HelpTroubleNotFoundTitle, K::HelpTroubleNotFoundCause, K::HelpTroubleNotFoundFix),
    (K::HelpTroubleValidationTitle, K::HelpTroubleValidationCause, K::HelpTroubleValidationFix),
    (K::HelpTroubleConflictTitle, K::HelpTroubleConflictCause, K::HelpTroubleConflictFix),
    (K::HelpTroubleRateLimitedTitle, K::HelpTroubleRateLimitedCause, K::HelpTroubleRateLimitedFix),
    (K::HelpTroubleInternalTitle, K::HelpTroubleInternalCause, K::HelpTroubleInternalFix),
    (K::HelpTroubleNetworkTitle, K::HelpTroubleNetworkCause, K::HelpTroubleNetworkFix),
];

#[component]
pub fn Troubleshooting() -> impl IntoView {
    view! {
        <Title text=t(K::HelpTroubleTitle)/>
        <section class="page">
            <h1>{t(K::HelpTroubleTitle)}</h1>
            <p>{t(K::HelpTroubleSummary)}</p>
            {TROUBLES
                .iter()
                .map(|(title, cause, fix)| view! {
                    <article class="trouble">
                        <h2>{t(*title)}</h2>
                        <p>
                            <strong>{t(K::HelpTroubleCauseLabel)}</strong>
                            " "
                            {t(*cause)}
                        </p>
                        <p>
                            <strong>{t(K::HelpTroubleFixLabel)}</strong>
                            " "
                            {t(*fix)}
                        </p>
                    </article>
                })
                .collect_view()}
        </section>
    }
}
