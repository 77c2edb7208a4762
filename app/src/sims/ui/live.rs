//! Live filtering of the SIM list. The filter form works as a plain GET form; with JavaScript,
//! this island also fetches the list as the user types or ticks (after a pause of 300 ms),
//! swaps the results in and keeps the address in step, so the list stays shareable and a
//! reload shows the same. Only the small glue ships as wasm: the list itself is still
//! rendered by the server.
use leptos::prelude::*;

/// Waiting time after the last keystroke before the list is fetched.
pub const DEBOUNCE_MS: i32 = 300;

#[island]
pub fn LiveFilter() -> impl IntoView {
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| browser::attach());
    view! { <span class="live-filter" hidden=true></span> }
}

#[cfg(feature = "hydrate")]
mod browser {
    use std::cell::Cell;
    use std::rc::Rc;

    use leptos::prelude::{document, window};
    use leptos::task::spawn_local;
    use wasm_bindgen::JsCast;
    use wasm_bindgen::JsValue;
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen_futures::JsFuture;
    use web_sys::{FormData, HtmlFormElement, Response, UrlSearchParams};

    /// The list's address for the form's current values (blank fields left out).
    fn address(form: &HtmlFormElement) -> Option<String> {
        let data = FormData::new_with_form(form).ok()?;
        let params = UrlSearchParams::new_with_str_sequence_sequence(&data).ok()?;
        let all: String = params.to_string().into();
        let kept: Vec<&str> = all.split('&').filter(|p| !p.is_empty() && !p.ends_with('=')).collect();
        Some(if kept.is_empty() { "/sims".to_string() } else { format!("/sims?{}", kept.join("&")) })
    }

    /// Fetches the list at `url` and swaps its results in, unless a newer request was made.
    async fn refresh(url: String, seq: Rc<Cell<u32>>, mine: u32) -> Result<(), JsValue> {
        let res: Response = JsFuture::from(window().fetch_with_str(&url)).await?.dyn_into()?;
        if !res.ok() && res.status() != 422 {
            return Ok(()); // leave the list as it is; the form still submits normally
        }
        let text = JsFuture::from(res.text()?).await?.as_string().unwrap_or_default();
        if seq.get() != mine {
            return Ok(());
        }
        let scratch = document().create_element("div")?;
        scratch.set_inner_html(&text);
        let (Some(fresh), Some(current)) =
            (scratch.query_selector("#sim-results")?, document().get_element_by_id("sim-results"))
        else {
            return Ok(());
        };
        current.set_inner_html(&fresh.inner_html());
        window().history()?.replace_state_with_url(&JsValue::NULL, "", Some(&url))?;
        Ok(())
    }

    pub fn attach() {
        let Some(form) = document().get_element_by_id("sim-filters").and_then(|f| f.dyn_into::<HtmlFormElement>().ok())
        else {
            return;
        };
        let seq = Rc::new(Cell::new(0u32));
        let timer = Rc::new(Cell::new(None::<i32>));
        let fire = {
            let (form, seq) = (form.clone(), seq.clone());
            Closure::<dyn FnMut()>::new(move || {
                let Some(url) = address(&form) else { return };
                let mine = seq.get().wrapping_add(1);
                seq.set(mine);
                let seq = seq.clone();
                spawn_local(async move {
                    let _ = refresh(url, seq, mine).await;
                });
            })
        };
        let on_change = {
            let timer = timer.clone();
            Closure::<dyn FnMut(web_sys::Event)>::new(move |_: web_sys::Event| {
                if let Some(t) = timer.take() {
                    window().clear_timeout_with_handle(t);
                }
                let id = window()
                    .set_timeout_with_callback_and_timeout_and_arguments_0(
                        fire.as_ref().unchecked_ref(),
                        super::DEBOUNCE_MS,
                    )
                    .ok();
                timer.set(id);
            })
        };
        for event in ["input", "change"] {
            let _ = form.add_event_listener_with_callback(event, on_change.as_ref().unchecked_ref());
        }
        // The listeners live as long as the page.
        on_change.forget();
    }
}
