//! Pieces shared by pages.
pub mod layout;

use leptos::prelude::*;

use crate::i18n::{K, Lang};

/// The language of this render; provided by the server per request and read back from
/// `<html lang>` when hydrating.
pub fn use_lang() -> Lang {
    #[cfg(feature = "hydrate")]
    return use_context::<Lang>().unwrap_or_else(Lang::from_document);
    #[cfg(not(feature = "hydrate"))]
    use_context::<Lang>().unwrap_or_default()
}

/// Translated text for a key, in the current language.
pub fn t(key: K) -> &'static str {
    use_lang().t(key)
}

/// Whether the viewer of this render holds `perm`: pages hide what the server would refuse.
pub fn viewer_can(perm: crate::auth::Perm) -> bool {
    use_context::<crate::auth::ViewerCtx>().and_then(|v| v.0).is_some_and(|v| v.can(perm))
}
