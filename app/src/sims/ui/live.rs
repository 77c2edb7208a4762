//! Live filtering of the SIM list. The filter form works as a plain GET form; with JavaScript,
//! this island wraps it and sends it as the user types or ticks (after a pause of 300 ms). The
//! form is marked `data-nav="keep"`, so the client-side navigation fetches the list in place:
//! the address follows the filter (shareable, a reload shows the same), the field being typed
//! in keeps its text and focus, and the list itself is still rendered by the server.
use leptos::prelude::*;

/// Waiting time after the last keystroke before the list is fetched.
pub const DEBOUNCE_MS: u64 = 300;

#[island]
pub fn LiveFilter(children: Children) -> impl IntoView {
    // A plain cell, not a StoredValue: its arena code would cost the bundle more than this.
    let pending = std::rc::Rc::new(std::cell::Cell::new(None::<TimeoutHandle>));
    let on_change = {
        let pending = pending.clone();
        move |ev: leptos::ev::Event| {
            if let Some(h) = pending.take() {
                h.clear();
            }
            #[cfg(feature = "hydrate")]
            {
                use wasm_bindgen::JsCast;
                let form = ev
                    .target()
                    .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                    .and_then(|e| e.closest("form").ok().flatten())
                    .and_then(|f| f.dyn_into::<web_sys::HtmlFormElement>().ok());
                if let Some(form) = form {
                    let send = move || {
                        let _ = form.request_submit();
                    };
                    pending.set(set_timeout_with_handle(send, std::time::Duration::from_millis(DEBOUNCE_MS)).ok());
                }
            }
            #[cfg(not(feature = "hydrate"))]
            let _ = ev;
        }
    };
    // Sent by hand (Enter, "Apply filters"): nothing is left to send later.
    let on_submit = move |_| {
        if let Some(h) = pending.take() {
            h.clear();
        }
    };
    view! { <div class="live-filter" on:input=on_change.clone() on:change=on_change on:submit=on_submit>{children()}</div> }
}
