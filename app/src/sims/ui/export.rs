//! The SIM list's "Export CSV" link. Without JavaScript it is a plain download (the browser
//! shows the bytes as they come). With it, this island adds a token to the download so the
//! server keeps its figures, and shows a progress bar fed by polling them: rows written out of
//! the list's count, then "finished". The link takes the filter from the address, which the live
//! filter keeps current, so it can sit outside the results it swaps.
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// The island's words, in the page's language (`{done}` and `{total}` are filled in).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportTexts {
    pub label: String,
    pub bar: String,
    pub running: String,
    pub running_open: String,
    pub finished: String,
}

/// How often the figures are asked for, in milliseconds.
pub const POLL_MS: u64 = 500;

#[island]
pub fn ExportLink(href: String, texts: ExportTexts) -> impl IntoView {
    // (rows written, expected total, finished)
    let (state, set_state) = signal(None::<(i64, Option<i64>, bool)>);
    let on_click = move |ev: leptos::ev::MouseEvent| {
        #[cfg(feature = "hydrate")]
        browser::start(ev, set_state);
        #[cfg(not(feature = "hydrate"))]
        let _ = (ev, set_state);
    };
    let label = texts.label.clone();
    view! {
        <a class="button secondary export-link" href=href rel="external" download="" on:click=on_click>{label}</a>
        <span class="export-progress" role="status">
            {move || state.get().map(|(done, total, finished)| {
                let fill = |s: &str| {
                    s.replace("{done}", &super::list::group(done))
                        .replace("{total}", &total.map(super::list::group).unwrap_or_default())
                };
                let text = if finished {
                    fill(&texts.finished)
                } else if total.is_some() {
                    fill(&texts.running)
                } else {
                    fill(&texts.running_open)
                };
                // Without a total the bar is indefinite (no value) until the end.
                let max = total.map(|t| t.max(done).max(1));
                let value = if finished { Some(max.unwrap_or(1)) } else { total.map(|_| done) };
                view! {
                    <progress aria-label=texts.bar.clone() max=max.unwrap_or(1).to_string()
                        value=value.map(|v| v.to_string())></progress>
                    " "
                    <span>{text}</span>
                }
            })}
        </span>
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use std::cell::Cell;
    use std::rc::Rc;
    use std::time::Duration;

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

    async fn figures(url: &str) -> Result<Option<(i64, Option<i64>, bool)>, JsValue> {
        let res: Response = JsFuture::from(window().fetch_with_str(url)).await?.dyn_into()?;
        if !res.ok() {
            return Ok(None);
        }
        let text = JsFuture::from(res.text()?).await?.as_string().unwrap_or_default();
        let mut parts = text.split_whitespace();
        let done = parts.next().and_then(|d| d.parse().ok());
        let total = parts.next().map(|t| t.parse().ok());
        let finished = parts.next() == Some("1");
        Ok(done.zip(total).map(|(d, t)| (d, t, finished)))
    }

    /// Points the clicked link at a followed download (before the browser follows it), then
    /// polls its figures until it ends.
    pub fn start(ev: leptos::ev::MouseEvent, set: WriteSignal<Option<(i64, Option<i64>, bool)>>) {
        let Some(token) = token() else { return };
        let search = window().location().search().unwrap_or_default();
        let sep = if search.is_empty() { "?" } else { "&" };
        let url = format!("{}{search}{sep}progress={token}", routes::SIMS_CSV);
        let Some(link) = ev.current_target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()) else { return };
        if link.set_attribute("href", &url).is_err() {
            return;
        }
        set.set(Some((0, None, false)));
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
                let (poll, misses, handle, busy) = (poll.clone(), misses.clone(), handle.clone(), busy.clone());
                spawn_local(async move {
                    let stop = match figures(&poll).await {
                        Ok(Some(f)) => {
                            set.set(Some(f));
                            f.2
                        }
                        _ => {
                            misses.set(misses.get() + 1);
                            let give_up = misses.get() >= MAX_MISSES;
                            if give_up {
                                set.set(None);
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
}
