//! The HTML document around the app, rendered on the server only.
use leptos::prelude::*;
use leptos_meta::MetaTags;

use crate::App;
use crate::i18n::Lang;

/// Hashed names of the browser bundle, read from `asset-manifest.json` that the build writes.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
pub struct Assets {
    pub js: String,
    pub wasm: String,
    pub css: String,
    /// The client-side navigation (`public/navigate.js`).
    pub nav: String,
}

impl Default for Assets {
    /// The unhashed layout that `cargo leptos watch` produces.
    fn default() -> Self {
        Assets {
            js: "/pkg/portal.js".into(),
            wasm: "/pkg/portal.wasm".into(),
            css: "/pkg/portal.css".into(),
            nav: "/navigate.js".into(),
        }
    }
}

impl Assets {
    pub fn load(site_root: &std::path::Path) -> Assets {
        std::fs::read_to_string(site_root.join("asset-manifest.json"))
            .ok()
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or_default()
    }
}

/// The Content-Security-Policy of an HTML page: scripts only from this origin plus the one
/// inline bootstrap carrying this response's nonce; wasm compilation allowed.
/// `live_reload` is the websocket of `cargo leptos watch`, allowed only while it runs.
pub fn content_security_policy(nonce: Option<&str>, live_reload: Option<&str>) -> String {
    let nonce = nonce.map(|n| format!(" 'nonce-{n}'")).unwrap_or_default();
    let reload = live_reload.map(|ws| format!(" {ws}")).unwrap_or_default();
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{nonce}; style-src 'self'{nonce}; \
         img-src 'self' data:; connect-src 'self'{reload}; font-src 'self'; object-src 'none'; base-uri 'self'; \
         form-action 'self'; frame-ancestors 'none'; manifest-src 'self'"
    )
}

pub fn shell(options: LeptosOptions) -> impl IntoView {
    let lang = use_context::<Lang>().unwrap_or_default();
    let assets = use_context::<Assets>().unwrap_or_default();
    let nonce = leptos::nonce::use_nonce();
    if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
        // `cargo leptos watch` sets LEPTOS_WATCH and serves live reload on its own port.
        let reload = std::env::var_os("LEPTOS_WATCH")
            .map(|_| format!("ws://{}:{}", options.site_addr.ip(), options.reload_port));
        let csp = content_security_policy(nonce.as_ref().map(|n| n.to_string()).as_deref(), reload.as_deref());
        if let Ok(v) = axum::http::HeaderValue::from_str(&csp) {
            res.insert_header(axum::http::header::CONTENT_SECURITY_POLICY, v);
        }
    }
    // Hydrates every island on the page, marks the body for people and tests, then hands links
    // and forms to the client-side navigation (which hydrates the islands of later pages).
    let boot = format!(
        "import init, * as m from '{}'; await init({{ module_or_path: '{}' }}); m.hydrate(); \
         for (const el of document.querySelectorAll('leptos-island')) {{ const f = m[el.dataset.component]; if (f) f(el); }} \
         document.body.dataset.hydrated = 'true'; (await import('{}')).start(m);",
        assets.js, assets.wasm, assets.nav
    );
    view! {
        <!DOCTYPE html>
        <html lang=lang.code()>
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light dark"/>
                <meta name="theme-color" content="#0b5cad"/>
                <meta name="description" content="IoT connectivity portal"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <link rel="manifest" href="/manifest.webmanifest"/>
                <link rel="stylesheet" href=assets.css.clone()/>
                <link rel="modulepreload" href=assets.js.clone()/>
                <link rel="modulepreload" href=assets.nav.clone()/>
                <link rel="preload" href=assets.wasm.clone() r#as="fetch" r#type="application/wasm" crossorigin="anonymous"/>
                <script type="module" nonce=nonce>{boot}</script>
                <AutoReload options=options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}
