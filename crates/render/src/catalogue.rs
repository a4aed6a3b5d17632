//! Translations of the pages: one TOML catalogue per language (`i18n/<lang>.toml`, nested
//! tables flattened to dotted keys), looked up by `t("key", name=value)` in templates.

use std::collections::BTreeMap;

use minijinja::value::{Kwargs, Value};
use minijinja::{ErrorKind, State};

/// The language every catalogue falls back to.
pub const DEFAULT_LANGUAGE: &str = "en";

/// One language's texts, by dotted key.
pub type Catalogue = BTreeMap<String, String>;

/// Every catalogue, by language code.
#[derive(Debug, Clone, Default)]
pub struct Catalogues {
    by_lang: BTreeMap<String, Catalogue>,
}

impl Catalogues {
    /// The languages that have a catalogue, English first, then by code.
    pub fn languages(&self) -> Vec<&str> {
        let mut out: Vec<&str> = self.by_lang.keys().map(String::as_str).collect();
        out.sort_by_key(|l| (*l != DEFAULT_LANGUAGE, *l));
        out
    }

    /// Whether `lang` has a catalogue.
    pub fn has(&self, lang: &str) -> bool {
        self.by_lang.contains_key(lang)
    }

    /// One language's catalogue.
    pub fn get(&self, lang: &str) -> Option<&Catalogue> {
        self.by_lang.get(lang)
    }

    /// The text of `key` in `lang`, or in English when `lang` lacks it.
    pub fn lookup(&self, lang: &str, key: &str) -> Option<&str> {
        self.by_lang
            .get(lang)
            .and_then(|c| c.get(key))
            .or_else(|| self.by_lang.get(DEFAULT_LANGUAGE).and_then(|c| c.get(key)))
            .map(String::as_str)
    }

    /// Keys of the English catalogue missing from `lang` (empty when complete).
    pub fn missing_keys(&self, lang: &str) -> Vec<&str> {
        let Some(en) = self.by_lang.get(DEFAULT_LANGUAGE) else {
            return Vec::new();
        };
        let other = self.by_lang.get(lang);
        en.keys()
            .filter(|k| other.is_none_or(|c| !c.contains_key(*k)))
            .map(String::as_str)
            .collect()
    }

    /// Parses `i18n/<lang>.toml` (`name` is that path) and lays its keys over what `lang`
    /// already has; an error names the file and the key.
    pub fn merge(&mut self, name: &str, source: &str) -> Result<(), String> {
        let lang = name
            .strip_prefix("i18n/")
            .and_then(|n| n.strip_suffix(".toml"))
            .unwrap_or_default();
        if lang.len() < 2
            || lang.len() > 8
            || !lang.chars().all(|c| c.is_ascii_lowercase() || c == '-')
        {
            return Err(format!(
                "{name}: a catalogue is named by its language code, e.g. i18n/de.toml"
            ));
        }
        let table: toml::Table = toml::from_str(source).map_err(|e| format!("{name}: {e}"))?;
        let mut flat = Catalogue::new();
        flatten("", &table, &mut flat).map_err(|k| format!("{name}: {k} must be a string"))?;
        self.by_lang
            .entry(lang.to_owned())
            .or_default()
            .extend(flat);
        Ok(())
    }
}

fn flatten(prefix: &str, table: &toml::Table, out: &mut Catalogue) -> Result<(), String> {
    for (k, v) in table {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            toml::Value::String(s) => {
                out.insert(key, s.clone());
            }
            toml::Value::Table(t) => flatten(&key, t, out)?,
            _ => return Err(key),
        }
    }
    Ok(())
}

/// Replaces `{name}` placeholders with `args`; unknown placeholders stay as they are.
pub fn fill(text: &str, args: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close)
                if after[..close]
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_') =>
            {
                let name = &after[..close];
                match args.iter().find(|(k, _)| *k == name) {
                    Some((_, v)) => out.push_str(v),
                    None => {
                        out.push('{');
                        out.push_str(name);
                        out.push('}');
                    }
                }
                rest = &after[close + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// `t("key", name=value)`: the text of `key` in the render's language (the context's `lang`,
/// any catalogue's code), placeholders filled; an unknown key fails the render.
pub(crate) fn translate(
    cats: &Catalogues,
    state: &State,
    key: &str,
    kwargs: &Kwargs,
) -> Result<String, minijinja::Error> {
    let lang = state
        .lookup("lang")
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| DEFAULT_LANGUAGE.to_owned());
    let text = cats.lookup(&lang, key).ok_or_else(|| {
        minijinja::Error::new(
            ErrorKind::UndefinedError,
            format!("no catalogue key {key:?}"),
        )
    })?;
    let mut args: Vec<(String, String)> = Vec::new();
    for name in kwargs.args() {
        let v: Value = kwargs.get(name)?;
        args.push((name.to_owned(), v.to_string()));
    }
    let borrowed: Vec<(&str, &str)> = args.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    Ok(fill(text, &borrowed))
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    #[test]
    fn catalogues_flatten_merge_and_fall_back_to_english() {
        let mut cats = Catalogues::default();
        cats.merge("i18n/en.toml", "a = \"A\"\n[b]\nc = \"C {x}\"\n")
            .unwrap();
        cats.merge("i18n/fr.toml", "a = \"A fr\"\n").unwrap();
        assert_eq!(cats.lookup("fr", "a"), Some("A fr"));
        assert_eq!(cats.lookup("fr", "b.c"), Some("C {x}"));
        assert_eq!(cats.missing_keys("fr"), vec!["b.c"]);
        assert_eq!(cats.languages(), vec!["en", "fr"]);
        assert!(
            cats.merge("i18n/nl.toml", "a = 3\n")
                .unwrap_err()
                .contains("a must be a string")
        );
        assert!(cats.merge("i18n/../x.toml", "").is_err());
        assert_eq!(fill("C {x} {y}", &[("x", "1")]), "C 1 {y}");
    }
}
