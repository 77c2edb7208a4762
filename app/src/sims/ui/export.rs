//! Progress for the SIM list's "Export CSV" link. Without JavaScript the link is a plain
//! download (the browser shows the bytes as they come). With it, this island adds a token to
//! the download as it is clicked, so the server keeps figures for it, and shows a progress bar
//! fed by polling them: rows written out of the list's count, then "finished". The link
//! carries the list's filter; a new filter renders a new link.
//!
//! Islands take no props here: props travel as JSON, and reading them would add serde_json to
//! the browser bundle (about 10 KB brotli). The island's words ride on the server-rendered
//! link as `data-*` attributes instead, read when it is clicked.
use leptos::prelude::*;

use super::group;
use crate::i18n::{K, Lang};

/// How often the figures are asked for, in milliseconds.
pub const POLL_MS: u64 = 500;

/// The link (with the island's words, `{done}` and `{total}` to fill in) and its status line.
pub fn export_link(lang: Lang, href: String) -> impl IntoView {
    view! {
        <ExportLink>
            <a class="button secondary export-link" href=href.clone() data-href=href rel="external" download=""
                data-bar=lang.t(K::SimsExportBar)
                data-running=lang.t(K::SimsExportRunning)
                data-open=lang.t(K::SimsExportRunningOpen)
                data-finished=lang.t(K::SimsExportFinished)>{lang.t(K::ExportCsv)}</a>
        </ExportLink>
    }
}

/// What the status line says: the bar's label and the words of each state.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ExportWords {
    pub bar: String,
    pub running: String,
    pub open: String,
    pub finished: String,
}

#[island]
pub fn ExportLink(children: Children) -> impl IntoView {
    // The words of the link last clicked, and the latest figures of its download.
    let words = RwSignal::new(ExportWords::default());
    let figures = RwSignal::new(None::<String>);
    let on_click = move |ev: leptos::ev::MouseEvent| {
        #[cfg(feature = "hydrate")]
        if let Some((token, said)) = browser::start(&ev) {
            words.set(said);
            figures.set(Some("0 - 0".into()));
            browser::follow(token, figures);
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = ev;
    };
    let status = move || {
        let w = words.read();
        let (max, value, text) = describe(&figures.get()?, &w.running, &w.open, &w.finished)?;
        Some(view! { <progress aria-label=w.bar.clone() max=max value=value></progress><span>{text}</span> })
    };
    view! {
        <span class="export" on:click=on_click>{children()}</span>
        <span class="export-progress" role="status">{status}</span>
    }
}

/// The status line for figures read from the server (`done total finished`, `-` for an
/// unknown total): the bar's `max` and `value` (none: indefinite) and the words.
pub fn describe(figures: &str, running: &str, open: &str, finished: &str) -> Option<(i64, Option<i64>, String)> {
    let mut parts = figures.split_whitespace();
    let done: i64 = parts.next()?.parse().ok()?;
    let total: Option<i64> = match parts.next()? {
        "-" => None,
        t => Some(t.parse().ok()?),
    };
    let ended = parts.next()? == "1";
    let words = if ended {
        finished
    } else if total.is_some() {
        running
    } else {
        open
    };
    let text = words.replace("{done}", &group(done)).replace("{total}", &total.map(group).unwrap_or_default());
    let max = total.unwrap_or(done).max(done).max(1);
    let value = if ended { Some(max) } else { total.map(|_| done) };
    Some((max, value, text))
}

#[cfg(feature = "hydrate")]
mod browser {
    use leptos::prelude::*;
    use leptos::task::spawn_local;
    use wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_futures::JsFuture;
    use web_sys::Response;

    use crate::routes;

    /// Polls without an answer before the bar gives up (the export may run in another process).
    const MAX_MISSES: u32 = 20;

    /// A fresh token for one download: 12 random bytes in hex.
    fn token() -> Option<String> {
        let mut bytes = [0u8; 12];
        window().crypto().ok()?.get_random_values_with_u8_array(&mut bytes).ok()?;
        Some(bytes.iter().map(|b| format!("{b:02x}")).collect())
    }

    async fn sleep(ms: u64) {
        let wait = js_sys::Promise::new(&mut |done, _| {
            let _ = window().set_timeout_with_callback_and_timeout_and_arguments_0(&done, ms as i32);
        });
        let _ = JsFuture::from(wait).await;
    }

    async fn figures(url: &str) -> Result<Option<String>, JsValue> {
        let res: Response = JsFuture::from(window().fetch_with_str(url)).await?.dyn_into()?;
        if !res.ok() {
            return Ok(None);
        }
        Ok(JsFuture::from(res.text()?).await?.as_string())
    }

    /// Points the clicked link at a followed download (before the browser follows it): its
    /// token and the words of its status line.
    pub fn start(ev: &web_sys::MouseEvent) -> Option<(String, super::ExportWords)> {
        let link = ev.target()?.dyn_into::<web_sys::Element>().ok()?.closest("a.export-link").ok()??;
        let word = |k: &str| link.get_attribute(k).unwrap_or_default();
        let token = token()?;
        let href = word("data-href");
        let sep = if href.contains('?') { '&' } else { '?' };
        link.set_attribute("href", &format!("{href}{sep}progress={token}")).ok()?;
        let words = super::ExportWords {
            bar: word("data-bar"),
            running: word("data-running"),
            open: word("data-open"),
            finished: word("data-finished"),
        };
        Some((token, words))
    }

    /// Polls the figures of the download with `token` until it ends.
    pub fn follow(token: String, shown: RwSignal<Option<String>>) {
        let poll = format!("{}?token={token}", routes::SIMS_EXPORT_PROGRESS);
        spawn_local(async move {
            let mut misses = 0;
            loop {
                sleep(super::POLL_MS).await;
                match figures(&poll).await {
                    Ok(Some(f)) => {
                        let ended = f.split_whitespace().nth(2) == Some("1");
                        shown.set(Some(f));
                        if ended {
                            break;
                        }
                    }
                    _ => {
                        misses += 1;
                        if misses >= MAX_MISSES {
                            shown.set(None);
                            break;
                        }
                    }
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_status_line_says_how_far_and_how_far_to_go() {
        let (r, o, f) = ("{done} of {total}", "{done} so far", "done: {done}");
        assert_eq!(describe("2000 56000 0", r, o, f), Some((56_000, Some(2_000), "2,000 of 56,000".into())));
        assert_eq!(describe("2000 - 0", r, o, f), Some((2_000, None, "2,000 so far".into())));
        assert_eq!(describe("56426 56000 1", r, o, f), Some((56_426, Some(56_426), "done: 56,426".into())));
        assert_eq!(describe("nonsense", r, o, f), None);
    }
}
