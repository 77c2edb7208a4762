//! Pieces shared by pages.
pub mod layout;

use leptos::prelude::*;

use crate::i18n::{K, Lang};

/// The language of this render; provided by the server per request and read back from
/// `<html lang>` when hydrating.
pub fn use_lang() -> Lang {
    #[cfg(feature = "hydrate")]
    return use_context::<Lang>().unwrap_or_else(Lang::from_document);
    #[cfg(not(feature = "hydrate"))]
    use_context::<Lang>().unwrap_or_default()
}

/// Translated text for a key, in the current language.
pub fn t(key: K) -> &'static str {
    use_lang().t(key)
}

/// Whether the viewer of this render holds `perm`: pages hide what the server would refuse.
pub fn viewer_can(perm: crate::scope::Perm) -> bool {
    use_context::<crate::scope::ViewerCtx>().and_then(|v| v.0).is_some_and(|v| v.can(perm))
}

/// What a page says after a form post (`?n=<code>`, see `web::form::Goto`): the page's own
/// words for its codes (`own`: whether it is a problem, and the text), else the portal's
/// notices known on every page (busy, not allowed, changed meanwhile, sign-in notices, …).
pub fn notice_of(lang: Lang, search: &str, own: impl Fn(&str) -> Option<(bool, String)>) -> Option<(bool, String)> {
    use crate::notice::Notice;
    use crate::time::format_utc;
    let pairs = crate::util::parse_query(search);
    let value = |key: &str| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
    let code = value("n")?;
    own(code).or_else(|| {
        let notice = Notice::parse(code)?;
        let until = value("until").and_then(|u| u.parse::<i64>().ok()).map(format_utc);
        Some((notice.is_error(), notice.message(lang, until.as_deref())))
    })
}

/// A notice: a problem is announced at once (an alert), good news politely (a status).
pub fn notice_line((problem, text): (bool, String)) -> AnyView {
    if problem {
        view! { <p class="notice error" role="alert">{text}</p> }.into_any()
    } else {
        view! { <p class="notice ok" role="status">{text}</p> }.into_any()
    }
}

/// [`notice_of`], shown.
pub fn notice_view(lang: Lang, search: &str, own: impl Fn(&str) -> Option<(bool, String)>) -> Option<AnyView> {
    notice_of(lang, search, own).map(notice_line)
}

/// The notice of the last form post, for pages whose notices are all the portal's own.
#[component]
pub fn NoticeBanner() -> impl IntoView {
    let search = leptos_router::hooks::use_location().search;
    let lang = use_lang();
    move || notice_view(lang, &search.get(), |_| None)
}

/// A load error shown in place of a page's data.
pub fn error_view(e: &crate::error::AppError) -> AnyView {
    let lang = use_lang();
    view! { <p class="notice error" role="alert">{e.message(lang)}</p> }.into_any()
}
