//! Progress for the SIM list's "Export CSV" link. Without JavaScript the link is a plain
//! download (the browser shows the bytes as they come). With it, this island adds a token to
//! the download so the server keeps its figures, and shows a progress bar fed by polling them:
//! rows written out of the list's count, then "finished". The link takes the filter from the
//! address, which the live filter keeps current, so it sits outside the results it swaps.
//!
//! The island works on the server-rendered markup directly (no reactive view): that keeps the
//! wasm it adds to a few kilobytes.
use leptos::prelude::*;

use super::group;
use crate::i18n::{K, Lang};

/// How often the figures are asked for, in milliseconds.
pub const POLL_MS: u64 = 500;

/// The link, the (empty) status line the island fills in, and the island. The status line
/// carries the island's words in the page's language (`{done}` and `{total}` filled in).
pub fn export_link(lang: Lang, href: String) -> impl IntoView {
    view! {
        <a class="button secondary export-link" href=href rel="external" download="">{lang.t(K::ExportCsv)}</a>
        <span class="export-progress" role="status"
            data-bar=lang.t(K::SimsExportBar)
            data-running=lang.t(K::SimsExportRunning)
            data-open=lang.t(K::SimsExportRunningOpen)
            data-finished=lang.t(K::SimsExportFinished)></span>
        <ExportFollow/>
    }
}

#[island]
pub fn ExportFollow() -> impl IntoView {
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| browser::attach());
    view! { <span class="export-follow" hidden=true></span> }
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
    use std::cell::Cell;
    use std::rc::Rc;
    use std::time::Duration;

    use leptos::prelude::*;
    use leptos::task::spawn_local;
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_futures::JsFuture;
    use web_sys::{Element, Response};

    use crate::routes;

    /// Polls without an answer before the bar gives up (the export may run in another process).
    const MAX_MISSES: u32 = 20;

    /// A fresh token for one download: 12 random bytes in hex.
    fn token() -> Option<String> {
        let mut bytes = [0u8; 12];
        window().crypto().ok()?.get_random_values_with_u8_array(&mut bytes).ok()?;
        Some(bytes.iter().map(|b| format!("{b:02x}")).collect())
    }

    async fn figures(url: &str) -> Result<Option<String>, JsValue> {
        let res: Response = JsFuture::from(window().fetch_with_str(url)).await?.dyn_into()?;
        if !res.ok() {
            return Ok(None);
        }
        Ok(JsFuture::from(res.text()?).await?.as_string())
    }

    /// Shows figures in the status line: a bar and the words.
    fn show(status: &Element, figures: &str) -> Option<bool> {
        let word = |k: &str| status.get_attribute(k).unwrap_or_default();
        let (max, value, text) =
            super::describe(figures, &word("data-running"), &word("data-open"), &word("data-finished"))?;
        let doc = document();
        let bar = doc.create_element("progress").ok()?;
        bar.set_attribute("aria-label", &word("data-bar")).ok()?;
        bar.set_attribute("max", &max.to_string()).ok()?;
        if let Some(v) = value {
            bar.set_attribute("value", &v.to_string()).ok()?;
        }
        let words = doc.create_element("span").ok()?;
        words.set_text_content(Some(&text));
        status.set_text_content(None);
        status.append_child(&bar).ok()?;
        status.append_child(&words).ok()?;
        Some(figures.split_whitespace().nth(2) == Some("1"))
    }

    /// Points the clicked link at a followed download (before the browser follows it), then
    /// polls its figures until it ends.
    fn start(link: &Element, status: Element) {
        let Some(token) = token() else { return };
        let search = window().location().search().unwrap_or_default();
        let sep = if search.is_empty() { "?" } else { "&" };
        if link.set_attribute("href", &format!("{}{search}{sep}progress={token}", routes::SIMS_CSV)).is_err() {
            return;
        }
        show(&status, "0 - 0");
        let poll = format!("{}?token={token}", routes::SIMS_EXPORT_PROGRESS);
        let misses = Rc::new(Cell::new(0u32));
        let handle = Rc::new(Cell::new(None::<IntervalHandle>));
        let busy = Rc::new(Cell::new(false));
        let tick = {
            let handle = handle.clone();
            move || {
                if busy.replace(true) {
                    return; // the previous poll has not answered yet
                }
                let (poll, misses, handle, busy, status) =
                    (poll.clone(), misses.clone(), handle.clone(), busy.clone(), status.clone());
                spawn_local(async move {
                    let stop = match figures(&poll).await {
                        Ok(Some(f)) => show(&status, &f).unwrap_or(true),
                        _ => {
                            misses.set(misses.get() + 1);
                            let give_up = misses.get() >= MAX_MISSES;
                            if give_up {
                                status.set_text_content(None);
                            }
                            give_up
                        }
                    };
                    if stop && let Some(h) = handle.take() {
                        h.clear();
                    }
                    busy.set(false);
                });
            }
        };
        handle.set(set_interval_with_handle(tick, Duration::from_millis(super::POLL_MS)).ok());
    }

    pub fn attach() {
        let doc = document();
        let (Ok(Some(link)), Ok(Some(status))) =
            (doc.query_selector("a.export-link"), doc.query_selector(".export-progress"))
        else {
            return;
        };
        let on_click = {
            let link = link.clone();
            Closure::<dyn FnMut(web_sys::Event)>::new(move |_: web_sys::Event| start(&link, status.clone()))
        };
        let _ = link.add_event_listener_with_callback("click", on_click.as_ref().unchecked_ref());
        // The listener lives as long as the page.
        on_click.forget();
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
