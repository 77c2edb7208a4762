//! Languages and translated strings. The tables are generated at build time from `locales/`.
use serde::{Deserialize, Serialize};

use crate::codes::code_enum;

mod generated {
    include!(concat!(env!("OUT_DIR"), "/i18n.rs"));
}
pub use generated::K;

code_enum! {
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
    pub enum Lang {
        #[default]
        En = "en",
        Es = "es",
        It = "it",
    }
    // Below: region subtags and any case are accepted.
    parse = by_hand;
}

impl Lang {
    /// The language's own name for itself, as a switcher shows it.
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Es => "Español",
            Lang::It => "Italiano",
        }
    }

    /// Parses a language code such as `es`, `es-ES` or `IT`.
    pub fn parse(code: &str) -> Option<Lang> {
        let primary = code.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        Lang::ALL.into_iter().find(|l| l.code() == primary)
    }

    /// Picks the first supported language of an `Accept-Language` header, honouring q-values.
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        let mut best: Option<(f32, Lang)> = None;
        for part in header.split(',') {
            let mut it = part.split(';');
            let Some(lang) = it.next().and_then(Lang::parse) else { continue };
            let q = it.find_map(|p| p.trim().strip_prefix("q=")).and_then(|q| q.parse::<f32>().ok()).unwrap_or(1.0);
            if q > 0.0 && best.is_none_or(|(bq, _)| q > bq) {
                best = Some((q, lang));
            }
        }
        best.map(|(_, l)| l)
    }

    pub fn t(self, key: K) -> &'static str {
        let table = match self {
            Lang::En => &generated::EN,
            Lang::Es => &generated::ES,
            Lang::It => &generated::IT,
        };
        table[key as usize]
    }

    /// Translates and fills `{name}` placeholders.
    pub fn tf(self, key: K, args: &[(&str, &str)]) -> String {
        let mut s = self.t(key).to_string();
        for (name, value) in args {
            s = s.replace(&format!("{{{name}}}"), value);
        }
        s
    }

    /// The language the server rendered the page in, read back from `<html lang>` when hydrating.
    #[cfg(feature = "hydrate")]
    pub fn from_document() -> Lang {
        leptos::prelude::document()
            .document_element()
            .and_then(|e| e.get_attribute("lang"))
            .and_then(|l| Lang::parse(&l))
            .unwrap_or_default()
    }
}

/// The name of the cookie that remembers the language choice in this browser.
pub const LANG_COOKIE: &str = "lang";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_is_translated_in_every_language() {
        assert!(generated::MISSING.is_empty(), "missing translations (lang, key): {:?}", generated::MISSING);
    }

    #[test]
    fn no_language_has_keys_english_lacks() {
        assert!(generated::EXTRA.is_empty(), "keys not in English (lang, key): {:?}", generated::EXTRA);
    }

    #[test]
    fn no_translation_is_empty() {
        for lang in Lang::ALL {
            for (i, key) in generated::KEYS.iter().enumerate() {
                let table = match lang {
                    Lang::En => &generated::EN,
                    Lang::Es => &generated::ES,
                    Lang::It => &generated::IT,
                };
                assert!(!table[i].is_empty(), "{key} is empty in {lang:?}");
            }
        }
    }

    #[test]
    fn placeholders_match_across_languages() {
        fn holes(s: &str) -> Vec<&str> {
            let mut v: Vec<&str> = s.split('{').skip(1).filter_map(|p| p.split_once('}').map(|(h, _)| h)).collect();
            v.sort();
            v
        }
        for (i, key) in generated::KEYS.iter().enumerate() {
            let en = holes(generated::EN[i]);
            assert_eq!(en, holes(generated::ES[i]), "placeholders of {key} differ in es");
            assert_eq!(en, holes(generated::IT[i]), "placeholders of {key} differ in it");
        }
    }

    #[test]
    fn parses_language_codes_and_accept_language() {
        assert_eq!(Lang::parse("es-ES"), Some(Lang::Es));
        assert_eq!(Lang::parse("IT"), Some(Lang::It));
        assert_eq!(Lang::parse("de"), None);
        assert_eq!(Lang::from_accept_language("de-DE,it;q=0.8,es;q=0.9"), Some(Lang::Es));
        assert_eq!(Lang::from_accept_language("fr, de;q=0.5"), None);
        assert_eq!(Lang::from_accept_language("en;q=0, it;q=0.1"), Some(Lang::It));
    }

    #[test]
    fn fills_placeholders() {
        assert_eq!(Lang::En.tf(K::NotFoundPath, &[("path", "/x")]), "There is no page at /x.");
    }
}
