//! What a dashboard gains once interactive, on top of server-rendered markup that already works
//! without it. The range switch needs no island: its links are marked `data-nav="keep"`, so the
//! client-side navigation fetches the dashboard in place (scroll and focus kept).
//! - [`ChartTips`]: tooltips for chart marks (`data-tip`), on hover and keyboard focus, and
//!   legend toggles that fade or hide a series (`data-series`), for the charts passed in;
//! - [`AutoRefresh`]: fetches the page in place every `minutes`;
//! - [`WidgetDrag`]: drag and drop of widgets on the edit page, by mouse or touch (pointer
//!   events), posting the same order form the "move up/down" buttons post.
use leptos::prelude::*;

/// A tooltip's words and where it shows (page coordinates).
#[derive(Clone, Debug, PartialEq)]
pub struct Tip {
    text: String,
    left: i32,
    top: i32,
}

#[island]
pub fn ChartTips(children: Children) -> impl IntoView {
    let tip = RwSignal::new(None::<Tip>);
    let over = move |ev: leptos::ev::PointerEvent| {
        #[cfg(feature = "hydrate")]
        tip.set(browser::pointed(&ev).or(tip.get_untracked()));
        #[cfg(not(feature = "hydrate"))]
        let _ = ev;
    };
    let out = move |ev: leptos::ev::PointerEvent| {
        #[cfg(feature = "hydrate")]
        if browser::pointed(&ev).is_some() {
            tip.set(None);
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = ev;
    };
    let focus = move |ev: leptos::ev::FocusEvent| {
        #[cfg(feature = "hydrate")]
        tip.set(browser::focused(&ev));
        #[cfg(not(feature = "hydrate"))]
        let _ = ev;
    };
    let click = move |ev: leptos::ev::MouseEvent| {
        #[cfg(feature = "hydrate")]
        browser::toggle_series(&ev);
        #[cfg(not(feature = "hydrate"))]
        let _ = ev;
    };
    let text = move || tip.get().map(|t| t.text);
    view! {
        <div class="chart-glue" on:pointerover=over on:pointerout=out on:focusin=focus on:click=click>{children()}</div>
        <div
            id="chart-tip"
            class="chart-tip"
            aria-hidden="true"
            hidden=move || tip.with(Option::is_none)
            style:left=move || tip.with(|t| t.as_ref().map(|t| format!("{}px", t.left)))
            style:top=move || tip.with(|t| t.as_ref().map(|t| format!("{}px", t.top)))
        >
            {text}
        </div>
    }
}

/// Fetches the page in place every few minutes, as long as the island is on the page; the
/// minutes come in its child's `data-minutes` (islands here take no props: see sims::ui::export).
#[island]
pub fn AutoRefresh(children: Children) -> impl IntoView {
    let here = NodeRef::<leptos::html::Span>::new();
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        let minutes: u64 = here
            .get_untracked()
            .and_then(|s| s.query_selector("[data-minutes]").ok().flatten())
            .and_then(|e| e.get_attribute("data-minutes")?.parse().ok())
            .unwrap_or(0);
        if minutes == 0 {
            return;
        }
        let handle = std::rc::Rc::new(std::cell::Cell::new(None::<IntervalHandle>));
        let tick = {
            let handle = handle.clone();
            move || {
                // The client-side navigation has moved on to another page: stop.
                if !here.get_untracked().is_some_and(|s| s.is_connected()) {
                    if let Some(h) = handle.take() {
                        h.clear();
                    }
                    return;
                }
                if let Ok(e) = web_sys::Event::new("portal:refresh") {
                    let _ = window().dispatch_event(&e);
                }
            }
        };
        handle.set(set_interval_with_handle(tick, std::time::Duration::from_secs(minutes * 60)).ok());
    });
    view! { <span node_ref=here hidden=true>{children()}</span> }
}

/// Drag and drop of the widgets of the list passed in (the edit page's `ol#dash-edit`): a
/// widget is picked up by its `.drag-handle`, moved among the others, and the new order is
/// posted with the layout form's `order` operation. The list carries where to post
/// (`data-action`), the dashboard's `data-version` and the words said once moved (`data-moved`).
#[island]
pub fn WidgetDrag(children: Children) -> impl IntoView {
    let form = NodeRef::<leptos::html::Form>::new();
    let version = NodeRef::<leptos::html::Input>::new();
    let order = NodeRef::<leptos::html::Input>::new();
    let said = RwSignal::new(String::new());
    #[cfg(feature = "hydrate")]
    let drag = std::rc::Rc::new(std::cell::RefCell::new(None::<browser::Drag>));
    let down = {
        #[cfg(feature = "hydrate")]
        let drag = drag.clone();
        move |ev: leptos::ev::PointerEvent| {
            #[cfg(feature = "hydrate")]
            drag.replace(browser::pick(&ev));
            #[cfg(not(feature = "hydrate"))]
            let _ = ev;
        }
    };
    let step = {
        #[cfg(feature = "hydrate")]
        let drag = drag.clone();
        move |ev: leptos::ev::PointerEvent| {
            #[cfg(feature = "hydrate")]
            if let Some(d) = drag.borrow().as_ref() {
                browser::step(d, &ev)
            }
            #[cfg(not(feature = "hydrate"))]
            let _ = ev;
        }
    };
    let up = {
        #[cfg(feature = "hydrate")]
        let drag = drag.clone();
        move |_| {
            #[cfg(feature = "hydrate")]
            if let Some(moved) = drag.take().and_then(browser::drop)
                && let (Some(form), Some(version), Some(order)) =
                    (form.get_untracked(), version.get_untracked(), order.get_untracked())
            {
                form.set_action(&moved.action);
                version.set_value(&moved.version);
                order.set_value(&moved.order);
                said.set(moved.said);
                let _ = form.request_submit();
            }
        }
    };
    let cancel = move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(d) = drag.take() {
            let _ = browser::drop(d);
        }
    };
    view! {
        <div class="widget-drag" on:pointerdown=down on:pointermove=step on:pointerup=up on:pointercancel=cancel>
            {children()}
        </div>
        <form method="post" node_ref=form hidden=true>
            <input type="hidden" name="op" value="order"/>
            <input type="hidden" name="version" node_ref=version/>
            <input type="hidden" name="order" node_ref=order/>
        </form>
        <p class="visually-hidden" id="dash-live" role="status">{move || said.get()}</p>
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use leptos::prelude::*;
    use wasm_bindgen::JsCast;
    use web_sys::{Element, Event, PointerEvent};

    use super::Tip;

    fn closest(e: &Event, selector: &str) -> Option<Element> {
        e.target()?.dyn_into::<Element>().ok()?.closest(selector).ok()?
    }

    /// Where a tip for `target` shows when the pointer is at (`x`, `y`) in the window.
    fn tip_at(target: &Element, x: f64, y: f64) -> Option<Tip> {
        let text = target.get_attribute("data-tip")?;
        let sx = window().scroll_x().unwrap_or(0.0);
        let sy = window().scroll_y().unwrap_or(0.0);
        let width = window().inner_width().ok().and_then(|w| w.as_f64()).unwrap_or(1024.0);
        // Keep the tip on screen on a narrow phone.
        let left = (x + 12.0).min(width - 180.0).max(4.0) + sx;
        Some(Tip { text, left: left as i32, top: (y + sy + 14.0) as i32 })
    }

    /// The tip of the mark under the pointer, if it has one.
    pub fn pointed(e: &PointerEvent) -> Option<Tip> {
        let target = closest(e, "[data-tip]")?;
        tip_at(&target, f64::from(e.client_x()), f64::from(e.client_y()))
    }

    /// The tip of a chart link reached by keyboard, below the link.
    pub fn focused(e: &web_sys::FocusEvent) -> Option<Tip> {
        let link = closest(e, "a")?;
        let mark = link.query_selector("[data-tip]").ok()??;
        let r = link.get_bounding_client_rect();
        tip_at(&mark, r.left(), r.bottom() - 10.0)
    }

    /// A legend button fades the marks of its series in the same widget (server-drawn SVG).
    pub fn toggle_series(e: &web_sys::MouseEvent) {
        let Some(button) = closest(e, "button.legend-toggle") else { return };
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

    /// A widget being dragged, and the order before.
    pub struct Drag {
        item: Element,
        before: Vec<u32>,
    }

    fn order_of(list: &Element) -> Vec<u32> {
        let children = list.children();
        (0..children.length()).filter_map(|i| children.item(i)?.get_attribute("data-w")?.parse().ok()).collect()
    }

    pub fn pick(e: &PointerEvent) -> Option<Drag> {
        let handle = closest(e, ".drag-handle")?;
        let item = handle.closest("li.widget").ok()??;
        let list = item.parent_element()?;
        let _ = handle.set_pointer_capture(e.pointer_id());
        e.prevent_default();
        let _ = item.class_list().add_1("dragging");
        Some(Drag { before: order_of(&list), item })
    }

    /// Moves the dragged widget before or after the one under the pointer.
    pub fn step(d: &Drag, e: &PointerEvent) {
        let (x, y) = (e.client_x() as f32, e.client_y() as f32);
        let Some(over) = document().element_from_point(x, y) else { return };
        let Ok(Some(target)) = over.closest("li.widget") else { return };
        let Some(list) = d.item.parent_element() else { return };
        if target == d.item || target.parent_element().as_ref() != Some(&list) {
            return;
        }
        let rect = target.get_bounding_client_rect();
        let after = f64::from(y) > rect.top() + rect.height() / 2.0
            || (f64::from(x) > rect.left() + rect.width() / 2.0 && f64::from(y) > rect.top());
        let reference = if after { target.next_element_sibling() } else { Some(target) };
        let _ = list.insert_before(&d.item, reference.as_ref().map(|r| r.unchecked_ref()));
    }

    /// A finished move: where to post it, for which version, the new order, what to say.
    pub struct Moved {
        pub action: String,
        pub version: String,
        pub order: String,
        pub said: String,
    }

    /// Ends a drag: the move, if the order changed.
    pub fn drop(d: Drag) -> Option<Moved> {
        let _ = d.item.class_list().remove_1("dragging");
        let list = d.item.parent_element()?;
        let now = order_of(&list);
        let data = |k: &str| list.get_attribute(k).unwrap_or_default();
        (now != d.before).then(|| Moved {
            action: data("data-action"),
            version: data("data-version"),
            order: now.iter().map(u32::to_string).collect::<Vec<_>>().join(","),
            said: data("data-moved"),
        })
    }
}
