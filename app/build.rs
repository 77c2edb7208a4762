//! Turns `locales/<lang>/*.txt` (`key = value` lines) into a typed key enum and one string table
//! per language, so a misspelt key is a compile error and no parsing happens in the browser.
//! Keys missing from a language fall back to English and are listed in `MISSING`, which a unit
//! test requires to be empty.
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::{env, fs, path::Path};

const LANGS: [&str; 3] = ["en", "es", "it"];

fn load(dir: &Path) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    let mut files: Vec<_> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    files.sort();
    for file in files {
        println!("cargo:rerun-if-changed={}", file.display());
        let text = fs::read_to_string(&file).unwrap();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (k, v) =
                line.split_once('=').unwrap_or_else(|| panic!("{}:{}: expected `key = value`", file.display(), n + 1));
            let (k, v) = (k.trim().to_string(), v.trim().replace("\\n", "\n"));
            assert!(
                k.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '_'),
                "{}:{}: key `{k}` may use a-z, 0-9, `.` and `_` only",
                file.display(),
                n + 1
            );
            if map.insert(k.clone(), v).is_some() {
                panic!("{}:{}: duplicate key `{k}`", file.display(), n + 1);
            }
        }
    }
    map
}

fn ident(key: &str) -> String {
    key.split(['.', '_'])
        .filter(|s| !s.is_empty())
        .map(|s| {
            let mut c = s.chars();
            c.next().map(|f| f.to_ascii_uppercase().to_string() + c.as_str()).unwrap_or_default()
        })
        .collect()
}

fn main() {
    let root = Path::new(&env::var("CARGO_MANIFEST_DIR").unwrap()).join("locales");
    println!("cargo:rerun-if-changed={}", root.display());
    let tables: Vec<_> = LANGS.iter().map(|l| load(&root.join(l))).collect();
    let en = &tables[0];
    let mut out = String::new();
    out.push_str("/// Every translatable string, named after its key in `locales/en/*.txt`.\n");
    out.push_str(
        "#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]\n#[allow(clippy::enum_variant_names)]\npub enum K {\n",
    );
    for k in en.keys() {
        writeln!(out, "    /// `{k}`\n    {},", ident(k)).unwrap();
    }
    out.push_str("}\n\n");
    writeln!(out, "pub const KEY_COUNT: usize = {};", en.len()).unwrap();
    out.push_str("#[allow(dead_code)]\npub const KEYS: &[&str] = &[\n");
    for k in en.keys() {
        writeln!(out, "    {k:?},").unwrap();
    }
    out.push_str("];\n");
    let mut missing = Vec::new();
    let mut extra = Vec::new();
    for (lang, table) in LANGS.iter().zip(&tables) {
        writeln!(out, "pub const {}: [&str; KEY_COUNT] = [", lang.to_uppercase()).unwrap();
        for (k, v) in en {
            let s = table.get(k).unwrap_or_else(|| {
                missing.push(format!("({lang:?}, {k:?})"));
                v
            });
            writeln!(out, "    {s:?},").unwrap();
        }
        out.push_str("];\n");
        for k in table.keys().filter(|k| !en.contains_key(*k)) {
            extra.push(format!("({lang:?}, {k:?})"));
        }
    }
    writeln!(out, "#[allow(dead_code)]\npub const MISSING: &[(&str, &str)] = &[{}];", missing.join(", ")).unwrap();
    writeln!(out, "#[allow(dead_code)]\npub const EXTRA: &[(&str, &str)] = &[{}];", extra.join(", ")).unwrap();
    fs::write(Path::new(&env::var("OUT_DIR").unwrap()).join("i18n.rs"), out).unwrap();
}
