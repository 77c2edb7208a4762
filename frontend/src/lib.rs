//! The browser entry point. Pages are rendered on the server; only islands hydrate.
// Links the islands' exported hydration functions into this bundle.
#[allow(unused_imports)]
use app::*;
use wasm_bindgen::prelude::wasm_bindgen;

/// Prepares the reactive system; the bootstrap script in the page then hydrates each island
/// (`<leptos-island data-component=…>`) through the function wasm-bindgen exports for it, and
/// marks `<body data-hydrated="true">` when all are interactive.
#[wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
}
