//! What a dashboard gains once its script has loaded, on top of server-rendered markup that
//! already works without it:
//! - tooltips for chart marks (`data-tip`), on hover and keyboard focus;
//! - legend toggles that fade or hide a series (`data-series`);
//! - the time-range switch fetches the widget instead of reloading the page;
//! - auto-refresh of all widgets every `data-refresh` minutes;
//! - drag and drop of widgets on the edit page, by mouse or touch (pointer events), posting
//!   the same order form the "move up/down" buttons post.
//!
//! Like the SIM list's glue, it works on the DOM directly (no reactive view), which keeps the
//! wasm it adds small; listeners sit on the document, so swapped-in markup needs no rewiring.
use leptos::prelude::*;

#[island]
pub fn DashboardGlue() -> impl IntoView {
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| browser::attach());
    view! { <span class="dashboard-glue" hidden=true></span> }
}

#[cfg(feature = "hydrate")]
mod browser {
    use std::cell::RefCell;
    use std::rc::Rc;

    use leptos::prelude::{document, window};
    use leptos::task::spawn_local;
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_futures::JsFuture;
    use web_sys::{Element, Event, HtmlElement, PointerEvent, Response};

    fn closest(e: &Event, selector: &str) -> Option<Element> {
        e.target()?.dyn_into::<Element>().ok()?.closest(selector).ok()?
    }

    async fn fetch_text(url: &str) -> Result<Option<(String, String)>, JsValue> {
        let res: Response = JsFuture::from(window().fetch_with_str(url)).await?.dyn_into()?;
        if !res.ok() {
            return Ok(None);
        }
        let final_url = res.url();
        Ok(JsFuture::from(res.text()?).await?.as_string().map(|t| (t, final_url)))
    }

    /// Replaces the inside of element `id` with the same element of the fetched page.
    fn swap(html: &str, ids: &[&str]) -> Result<(), JsValue> {
        let scratch = document().create_element("div")?;
        scratch.set_inner_html(html);
        for id in ids {
            if let (Some(fresh), Some(current)) =
                (scratch.query_selector(&format!("#{id}"))?, document().get_element_by_id(id))
            {
                current.set_inner_html(&fresh.inner_html());
            }
        }
        Ok(())
    }

    fn tooltip() -> Option<HtmlElement> {
        if let Some(t) = document().get_element_by_id("chart-tip") {
            return t.dyn_into().ok();
        }
        let t: HtmlElement = document().create_element("div").ok()?.dyn_into().ok()?;
        t.set_id("chart-tip");
        t.set_class_name("chart-tip");
        t.set_attribute("aria-hidden", "true").ok()?;
        t.set_hidden(true);
        document().body()?.append_child(&t).ok()?;
        Some(t)
    }

    fn show_tip(target: &Element, x: f64, y: f64) {
        let (Some(tip), Some(text)) = (tooltip(), target.get_attribute("data-tip")) else { return };
        tip.set_text_content(Some(&text));
        tip.set_hidden(false);
        let sx = window().scroll_x().unwrap_or(0.0);
        let sy = window().scroll_y().unwrap_or(0.0);
        let width = window().inner_width().ok().and_then(|w| w.as_f64()).unwrap_or(1024.0);
        // Keep the tip on screen on a narrow phone.
        let left = (x + 12.0).min(width - 180.0).max(4.0);
        let style = tip.style();
        let _ = style.set_property("left", &format!("{}px", left + sx));
        let _ = style.set_property("top", &format!("{}px", y + sy + 14.0));
    }

    fn hide_tip() {
        if let Some(t) = document().get_element_by_id("chart-tip").and_then(|t| t.dyn_into::<HtmlElement>().ok()) {
            t.set_hidden(true);
        }
    }

    fn on(target: &web_sys::EventTarget, event: &str, f: impl FnMut(Event) + 'static) {
        let c = Closure::<dyn FnMut(Event)>::new(f);
        let _ = target.add_event_listener_with_callback(event, c.as_ref().unchecked_ref());
        // The listeners live as long as the page.
        c.forget();
    }

    fn toggle_series(button: &Element) {
        let on = button.get_attribute("aria-pressed").as_deref() != Some("false");
        let _ = button.set_attribute("aria-pressed", if on { "false" } else { "true" });
        let (Some(series), Ok(Some(widget))) = (button.get_attribute("data-series"), button.closest(".widget")) else {
            return;
        };
        if let Ok(marks) = widget.query_selector_all(&format!("[data-series=\"{series}\"]:not(button)")) {
            for i in 0..marks.length() {
                if let Some(m) = marks.item(i).and_then(|n| n.dyn_into::<Element>().ok()) {
                    let _ = m.class_list().toggle_with_force("series-off", on);
                }
            }
        }
    }

    fn switch_range(link: &Element) {
        let (Some(href), Some(w)) = (link.get_attribute("href"), link.get_attribute("data-w")) else { return };
        let path = window().location().pathname().unwrap_or_default();
        let url = format!("{path}{href}");
        spawn_local(async move {
            if let Ok(Some((html, _))) = fetch_text(&url).await
                && swap(&html, &[&format!("w-{w}")]).is_ok()
                && let Ok(h) = window().history()
            {
                let _ = h.replace_state_with_url(&JsValue::NULL, "", Some(&url));
            }
        });
    }

    fn auto_refresh() {
        let Some(grid) = document().get_element_by_id("dashboard") else { return };
        let minutes: i32 = grid.get_attribute("data-refresh").and_then(|m| m.parse().ok()).unwrap_or(0);
        if minutes <= 0 {
            return;
        }
        let tick = Closure::<dyn FnMut()>::new(move || {
            let url = window().location().href().unwrap_or_default();
            spawn_local(async move {
                if let Ok(Some((html, _))) = fetch_text(&url).await {
                    let _ = swap(&html, &["dashboard", "dash-updated"]);
                }
            });
        });
        let _ = window()
            .set_interval_with_callback_and_timeout_and_arguments_0(tick.as_ref().unchecked_ref(), minutes * 60_000);
        tick.forget();
    }

    fn order_of(list: &Element) -> Vec<u32> {
        let mut out = Vec::new();
        let children = list.children();
        for i in 0..children.length() {
            if let Some(w) = children.item(i).and_then(|c| c.get_attribute("data-w")).and_then(|w| w.parse().ok()) {
                out.push(w);
            }
        }
        out
    }

    /// Posts the new order as the layout form does, then shows the page the server answers with.
    fn post_order(list: &Element, order: &[u32]) {
        let (Some(action), Some(version)) = (list.get_attribute("data-action"), list.get_attribute("data-version"))
        else {
            return;
        };
        let ids: Vec<String> = order.iter().map(u32::to_string).collect();
        let body = format!("op=order&version={version}&order={}", ids.join("%2C"));
        let init = web_sys::RequestInit::new();
        init.set_method("POST");
        init.set_body(&JsValue::from_str(&body));
        let headers = web_sys::Headers::new().ok();
        if let Some(h) = &headers {
            let _ = h.set("content-type", "application/x-www-form-urlencoded");
            init.set_headers(h);
        }
        spawn_local(async move {
            let Ok(req) = web_sys::Request::new_with_str_and_init(&action, &init) else { return };
            if let Ok(res) = JsFuture::from(window().fetch_with_request(&req)).await
                && let Ok(res) = res.dyn_into::<Response>()
            {
                let _ = window().location().replace(&res.url());
            }
        });
    }

    struct Drag {
        item: Element,
        before: Vec<u32>,
    }

    fn attach_drag() {
        let Some(list) = document().get_element_by_id("dash-edit") else { return };
        let drag: Rc<RefCell<Option<Drag>>> = Rc::new(RefCell::new(None));
        {
            let (drag, list2) = (drag.clone(), list.clone());
            on(&list, "pointerdown", move |e| {
                let Some(handle) = closest(&e, ".drag-handle") else { return };
                let Ok(Some(item)) = handle.closest("li.widget") else { return };
                if let Some(pe) = e.dyn_ref::<PointerEvent>() {
                    let _ = handle.set_pointer_capture(pe.pointer_id());
                }
                e.prevent_default();
                let _ = item.class_list().add_1("dragging");
                *drag.borrow_mut() = Some(Drag { item, before: order_of(&list2) });
            });
        }
        {
            let (drag, list2) = (drag.clone(), list.clone());
            on(&list, "pointermove", move |e| {
                let d = drag.borrow();
                let (Some(d), Some(pe)) = (d.as_ref(), e.dyn_ref::<PointerEvent>()) else { return };
                let (x, y) = (pe.client_x() as f32, pe.client_y() as f32);
                let Some(over) = document().element_from_point(x, y) else { return };
                let Ok(Some(target)) = over.closest("li.widget") else { return };
                if target == d.item {
                    return;
                }
                let rect = target.get_bounding_client_rect();
                let after = f64::from(y) > rect.top() + rect.height() / 2.0
                    || (f64::from(x) > rect.left() + rect.width() / 2.0 && f64::from(y) > rect.top());
                let reference = if after { target.next_element_sibling() } else { Some(target) };
                let _ = list2.insert_before(&d.item, reference.as_ref().map(|r| r.unchecked_ref()));
            });
        }
        {
            let (drag, list2) = (drag.clone(), list.clone());
            on(&list, "pointerup", move |_| {
                let Some(d) = drag.borrow_mut().take() else { return };
                let _ = d.item.class_list().remove_1("dragging");
                let now = order_of(&list2);
                if now != d.before {
                    if let Some(live) = document().get_element_by_id("dash-live") {
                        live.set_text_content(list2.get_attribute("data-moved").as_deref());
                    }
                    post_order(&list2, &now);
                }
            });
        }
        on(&list, "pointercancel", move |_| {
            if let Some(d) = drag.borrow_mut().take() {
                let _ = d.item.class_list().remove_1("dragging");
            }
        });
    }

    pub fn attach() {
        let doc: web_sys::EventTarget = document().into();
        on(&doc, "pointerover", |e| {
            if let (Some(t), Some(pe)) = (closest(&e, "[data-tip]"), e.dyn_ref::<PointerEvent>()) {
                show_tip(&t, f64::from(pe.client_x()), f64::from(pe.client_y()));
            }
        });
        on(&doc, "pointerout", |e| {
            if closest(&e, "[data-tip]").is_some() {
                hide_tip();
            }
        });
        on(&doc, "focusin", |e| match closest(&e, "a") {
            Some(a) => match a.query_selector("[data-tip]").ok().flatten() {
                Some(t) => {
                    let r = a.get_bounding_client_rect();
                    show_tip(&t, r.left(), r.bottom() - 10.0);
                }
                None => hide_tip(),
            },
            None => hide_tip(),
        });
        on(&doc, "click", |e| {
            if let Some(b) = closest(&e, "button.legend-toggle") {
                toggle_series(&b);
            } else if let Some(a) = closest(&e, ".range-switch a[data-w]") {
                e.prevent_default();
                switch_range(&a);
            }
        });
        auto_refresh();
        attach_drag();
    }
}
