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
        // Shown by the client-side navigation (public/navigate.js) while a page takes a moment.
        <div id="nav-progress" class="nav-progress" hidden=true></div>
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
                    let lang = use_lang();
                    let label = lang.tf(K::NotifBell, &[("n", &v.unread.to_string())]);
                    view! {
                        <Bell>
                            <a class="bell" href=routes::NOTIFICATIONS aria-label=label.clone() title=label data-label=lang.t(K::NotifBell)>
                                <svg aria-hidden="true" viewBox="0 0 24 24" width="22" height="22"><path d="M12 3a6 6 0 0 0-6 6v4l-2 3h16l-2-3V9a6 6 0 0 0-6-6zm-2 15a2 2 0 0 0 4 0" fill="none" stroke="currentColor" stroke-width="2" stroke-linejoin="round"></path></svg>
                                <span class="bell-count" hidden=v.unread == 0>{badge(v.unread)}</span>
                            </a>
                        </Bell>
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
        // Names each page the client-side navigation shows, for screen readers.
        <div id="nav-status" class="visually-hidden" aria-live="polite" aria-atomic="true"></div>
    }
}

/// The phone menu button: the one interactive piece of the frame, so the one shipped as wasm.
/// It opens and closes `#site-nav`; Escape closes it, and so does moving to another page (the
/// client-side navigation patches the menu's class back to closed).
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
    let moved =
        window_event_listener(leptos::ev::Custom::<leptos::web_sys::Event>::new("portal:navigated"), move |_| {
            set_open.set(false)
        });
    on_cleanup(move || {
        handle.remove();
        moved.remove();
    });
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

/// The bell's count, kept current between page changes: the server-rendered bell is passed in,
/// and every 30 seconds while the tab is visible, and when the window regains focus, the island
/// asks the server ([`routes::NOTIFICATIONS_UNREAD`]) and shows the answer in it. A page change
/// patches the bell with the server's count anyway.
#[island]
pub fn Bell(children: Children) -> impl IntoView {
    let root = NodeRef::<leptos::html::Span>::new();
    #[cfg(feature = "hydrate")]
    {
        let unread = RwSignal::new(None::<i64>);
        Effect::new(move |_| {
            if let (Some(n), Some(root)) = (unread.get(), root.get_untracked()) {
                bell::show(&root, n);
            }
        });
        let ask = move || {
            leptos::task::spawn_local(async move {
                if let Some(n) = bell::ask().await {
                    unread.set(Some(n));
                }
            })
        };
        let every = set_interval_with_handle(
            move || {
                // Gone with the header (signed out): nothing to ask for.
                let shown = root.get_untracked().is_some_and(|r| r.is_connected());
                if shown && document().visibility_state() == web_sys::VisibilityState::Visible {
                    ask();
                }
            },
            std::time::Duration::from_secs(30),
        );
        let focus = window_event_listener(leptos::ev::focus, move |_| ask());
        on_cleanup(move || {
            if let Ok(h) = every {
                h.clear();
            }
            focus.remove();
        });
    }
    view! { <span class="bell-box" node_ref=root>{children()}</span> }
}

#[cfg(feature = "hydrate")]
mod bell {
    use leptos::prelude::window;
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;

    use crate::routes;

    /// The caller's unread count, as the server says it now.
    pub async fn ask() -> Option<i64> {
        let res: web_sys::Response =
            JsFuture::from(window().fetch_with_str(routes::NOTIFICATIONS_UNREAD)).await.ok()?.dyn_into().ok()?;
        if !res.ok() {
            return None;
        }
        JsFuture::from(res.text().ok()?).await.ok()?.as_string()?.trim().parse().ok()
    }

    /// Shows `n` in the bell: its badge (hidden at 0, "99+" past 99) and its label, made from
    /// the bell's `data-label` (`{n}` filled in).
    pub fn show(root: &web_sys::Element, n: i64) {
        let Ok(Some(bell)) = root.query_selector("a.bell") else { return };
        if let Some(words) = bell.get_attribute("data-label") {
            let label = words.replace("{n}", &n.to_string());
            let _ = bell.set_attribute("aria-label", &label);
            let _ = bell.set_attribute("title", &label);
        }
        if let Ok(Some(badge)) = bell.query_selector(".bell-count") {
            badge.set_text_content(Some(&super::badge(n)));
            let _ = badge.toggle_attribute_with_force("hidden", n == 0);
        }
    }
}

/// The bell's badge for `n` unread notifications ("99+" past 99; empty at 0, then hidden).
pub fn badge(n: i64) -> String {
    match n {
        0 => String::new(),
        n if n > 99 => "99+".into(),
        n => n.to_string(),
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
