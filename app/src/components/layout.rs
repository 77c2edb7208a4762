//! The page frame: skip link, header with menu button and language switcher, navigation, main.
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_location;

use super::{t, use_lang};
use crate::i18n::{K, Lang};
use crate::routes;
use crate::scope::{Perm, ViewerCtx};

#[component]
pub fn Layout(children: Children) -> impl IntoView {
    let viewer = use_context::<ViewerCtx>().unwrap_or_default().0;

    view! {
        <a class="skip-link" href="#main">{t(K::ShellSkipToContent)}</a>
        <header class="site-header">
            <div class="header-inner">
                <a class="brand" href=routes::HOME>
                    <svg class="brand-mark" aria-hidden="true" viewBox="0 0 24 24" width="28" height="28">
                        <rect x="4" y="2" width="16" height="20" rx="3" fill="none" stroke="currentColor" stroke-width="2"></rect>
                        <rect x="8" y="9" width="8" height="8" rx="1" fill="currentColor"></rect>
                    </svg>
                    <span>{t(K::ShellBrand)}</span>
                </a>
                {viewer.clone().map(|_| view! { <MenuToggle/> })}
                <LangSwitcher/>
                {viewer.clone().map(|v| {
                    let label = use_lang().tf(K::NotifBell, &[("n", &v.unread.to_string())]);
                    let count = match v.unread {
                        0 => None,
                        n if n >= 100 => Some("99+".to_string()),
                        n => Some(n.to_string()),
                    };
                    view! {
                        <a class="bell" href=routes::NOTIFICATIONS aria-label=label.clone() title=label>
                            <svg aria-hidden="true" viewBox="0 0 24 24" width="22" height="22"><path d="M12 3a6 6 0 0 0-6 6v4l-2 3h16l-2-3V9a6 6 0 0 0-6-6zm-2 15a2 2 0 0 0 4 0" fill="none" stroke="currentColor" stroke-width="2" stroke-linejoin="round"></path></svg>
                            {count.map(|c| view! { <span class="bell-count">{c}</span> })}
                        </a>
                    }
                })}
                {viewer.clone().map(|v| view! {
                    <div class="user-box">
                        <span class="user-name">{v.name.clone()}</span>
                        <SignOut/>
                    </div>
                })}
            </div>
            {viewer.map(|v| view! {
            <nav id="site-nav" class="site-nav" aria-label=t(K::ShellNavLabel)>
                <ul>
                    {NAV
                        .iter()
                        .filter(|(_, _, perm)| v.can(*perm))
                        .map(|(path, key, _)| {
                            view! {
                                <li>
                                    <A href=*path>{t(*key)}</A>
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
            </nav>
            })}
        </header>
        <main id="main" tabindex="-1">
            {children()}
        </main>
        <footer class="site-footer">
            <p>{t(K::ShellFooter)}</p>
        </footer>
    }
}

/// The phone menu button: the one interactive piece of the frame, so the one shipped as wasm.
/// It opens and closes `#site-nav`; Escape closes it. Following a link loads the next page,
/// which starts with the menu closed.
#[island]
pub fn MenuToggle() -> impl IntoView {
    let (open, set_open) = signal(false);
    Effect::new(move |_| {
        let open = open.get();
        if let Some(nav) = document().get_element_by_id("site-nav") {
            let _ = nav.set_attribute("class", if open { "site-nav open" } else { "site-nav" });
        }
    });
    let handle = window_event_listener(leptos::ev::keydown, move |ev| {
        if ev.key() == "Escape" {
            set_open.set(false);
        }
    });
    on_cleanup(move || handle.remove());
    view! {
        <button
            type="button"
            class="menu-button"
            aria-controls="site-nav"
            aria-expanded=move || open.get().to_string()
            on:click=move |_| set_open.update(|o| *o = !*o)
        >
            <svg aria-hidden="true" viewBox="0 0 24 24" width="24" height="24">
                <path d="M3 6h18M3 12h18M3 18h18" stroke="currentColor" stroke-width="2" fill="none"></path>
            </svg>
            <span>{t(K::ShellMenu)}</span>
        </button>
    }
}

/// Plain links, so switching works before hydration and without JavaScript; `rel=external`
/// keeps the client router from intercepting them.
#[component]
fn LangSwitcher() -> impl IntoView {
    let current = use_lang();
    let location = use_location();
    let next = move || {
        let path = location.pathname.get();
        let search = location.search.get();
        let full = if search.is_empty() { path } else { format!("{path}?{search}") };
        routes::encode_query_value(&full)
    };
    view! {
        <ul class="lang-switcher" aria-label=t(K::ShellLanguage)>
            {Lang::ALL
                .into_iter()
                .map(|lang| {
                    let href = move || format!("{}/{}?next={}", routes::LANG, lang.code(), next());
                    view! {
                        <li>
                            <a
                                href=href
                                rel="external"
                                hreflang=lang.code()
                                lang=lang.code()
                                aria-current=(lang == current).then_some("true")
                                title=lang.native_name()
                            >
                                {lang.code().to_uppercase()}
                                <span class="visually-hidden">{format!(" {}", lang.native_name())}</span>
                            </a>
                        </li>
                    }
                })
                .collect_view()}
        </ul>
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

/// The main navigation, in menu order, with what each entry needs.
pub const NAV: &[(&str, K, Perm)] = &[
    (routes::DASHBOARDS, K::NavDashboards, Perm::Portal),
    (routes::SIMS, K::NavSims, Perm::SimsRead),
    (routes::CUSTOMERS, K::NavCustomers, Perm::SimsRead),
    (routes::USERS, K::NavUsers, Perm::UsersManage),
    (routes::ROLES, K::NavRoles, Perm::UsersManage),
    (routes::NOTIFICATIONS, K::NavNotifications, Perm::Portal),
    (routes::JOURNAL, K::NavJournal, Perm::JournalRead),
    (routes::PROFILE, K::NavProfile, Perm::Portal),
    (routes::HELP, K::NavHelp, Perm::Portal),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_nav_entry_is_a_known_page() {
        for (path, _, _) in NAV {
            assert!(routes::ALL_PAGES.contains(path), "{path}");
        }
    }
}
