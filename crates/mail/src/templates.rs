//! Mail templates: the embedded `templates/email` tree, an optional override folder, language
//! fallback and rendering into a subject, a plain-text body and an HTML body.
//!
//! Layout of the tree (paths relative to `templates/email`):
//!
//! ```text
//! _layout.html.j2                      shared HTML layout (header, content, footer blocks)
//! _i18n/{en,fr,nl}.j2                  shared wording: request kinds, outcomes, labels, footers
//! <message>/subject.txt.j2             English
//! <message>/body.txt.j2
//! <message>/body.html.j2               extends "_layout.html.j2"
//! <message>/{fr,nl}/<same three files> translations
//! ```
//!
//! Every file is looked up in the requested language first (`<message>/<lang>/<file>`) and falls
//! back to English (`<message>/<file>`) when that translation is missing, file by file; German
//! has no translation in the tree, so it renders in English unless an override folder adds
//! `<message>/de/…`. Files ending in `.html.j2` are HTML-escaped automatically; text files are not.
//!
//! Each render sees the message's own context plus two variables: `lang` (the language of the
//! file actually used, e.g. `"en"` for a German request that fell back) and `i18n` (the name of
//! the shared wording file for that language, to `{% import i18n as t %}`). Three filters are
//! available: `date` and `datetime` (localised to `lang`) and `url` (refuses anything that is
//! not an absolute `http(s)` URL and keeps `/` readable in HTML attributes).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc};
use dsrflow_domain::channel::Language;
use minijinja::value::{Serde, Value};
use minijinja::{AutoEscape, Environment, ErrorKind, State, UndefinedBehavior, context};
use serde::Serialize;

use crate::error::TemplateError;

include!(concat!(env!("OUT_DIR"), "/email_templates.rs"));

/// The name of every message dsrflow sends; each is a folder of `templates/email`.
pub const MESSAGES: [&str; 16] = [
    "acknowledgement",
    "verify_identity",
    "download_code",
    "extension_notice",
    "refusal",
    "completed_access",
    "completed_erasure",
    "completed_other",
    "forwarded",
    "closed_unidentified",
    "processor_request",
    "processor_reminder",
    "recipient_notice",
    "reminder",
    "escalation",
    "daily_digest",
];

/// The three files of a message folder (and of each of its translation folders).
pub const FILES: [&str; 3] = ["subject.txt.j2", "body.txt.j2", "body.html.j2"];

/// The languages every message must exist in (English is the base folder itself).
pub const REQUIRED_LANGUAGES: [Language; 3] = [Language::En, Language::Fr, Language::Nl];

/// The shared HTML layout every `body.html.j2` extends.
pub const LAYOUT: &str = "_layout.html.j2";

/// A rendered message, ready to become an [`Outgoing`](crate::Outgoing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The subject line, on one line with whitespace collapsed.
    pub subject: String,
    /// The plain-text body.
    pub text: String,
    /// The HTML body.
    pub html: String,
    /// The language the body was actually rendered in (after fallback).
    pub language: Language,
}

/// The compiled templates, validated. Build once at start-up and share it (it is `Send + Sync`).
pub struct Templates {
    env: Environment<'static>,
    names: BTreeSet<String>,
    overridden: Vec<String>,
}

impl std::fmt::Debug for Templates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Templates")
            .field("templates", &self.names.len())
            .field("overridden", &self.overridden)
            .finish()
    }
}

impl Templates {
    /// The templates embedded in the binary at build time, validated.
    pub fn embedded() -> Result<Self, TemplateError> {
        Self::build(embedded_files(), Vec::new())
    }

    /// The embedded templates with the files of `dir` layered on top: a file there with the same
    /// relative path (e.g. `acknowledgement/fr/body.txt.j2` or `_layout.html.j2`) replaces the
    /// embedded one, and new translations (e.g. `acknowledgement/de/…`) are added. Files not
    /// ending in `.j2` are ignored; a `.j2` file at a path that matches no message is an error,
    /// so a misspelt folder does not silently do nothing.
    pub fn with_override_dir(dir: impl AsRef<Path>) -> Result<Self, TemplateError> {
        let dir = dir.as_ref();
        let mut files = embedded_files();
        let mut overridden = Vec::new();
        let mut found = Vec::new();
        read_dir_recursive(dir, dir, &mut found)?;
        for (name, source) in found {
            overridden.push(name.clone());
            files.insert(name, source);
        }
        Self::build(files, overridden)
    }

    fn build(
        files: BTreeMap<String, String>,
        overridden: Vec<String>,
    ) -> Result<Self, TemplateError> {
        for name in files.keys() {
            check_path(name)?;
        }
        let mut env = Environment::new();
        env.set_syntax(
            minijinja::syntax::SyntaxConfig::builder()
                .trim_blocks(true)
                .lstrip_blocks(true)
                .build()
                .map_err(|source| TemplateError::Syntax {
                    name: "(syntax configuration)".to_owned(),
                    source,
                })?,
        );
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_auto_escape_callback(|name| {
            if name.ends_with(".html.j2") {
                AutoEscape::Html
            } else {
                AutoEscape::None
            }
        });
        env.add_filter("date", filter_date);
        env.add_filter("datetime", filter_datetime);
        env.add_filter("url", filter_url);

        let names: BTreeSet<String> = files.keys().cloned().collect();
        for (name, source) in files {
            env.add_template_owned(name.clone(), source)
                .map_err(|source| TemplateError::Syntax { name, source })?;
        }
        let templates = Self {
            env,
            names,
            overridden,
        };
        templates.check_complete()?;
        Ok(templates)
    }

    /// Every message has its three files in every required language, and the shared files exist.
    fn check_complete(&self) -> Result<(), TemplateError> {
        let mut required: Vec<String> = vec![LAYOUT.to_owned()];
        for lang in REQUIRED_LANGUAGES {
            required.push(i18n_name(lang));
            for message in MESSAGES {
                for file in FILES {
                    required.push(localized_name(message, lang, file));
                }
            }
        }
        match required.into_iter().find(|n| !self.names.contains(n)) {
            Some(name) => Err(TemplateError::Missing { name }),
            None => Ok(()),
        }
    }

    /// The names (relative paths) of every loaded template.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.names.iter().map(String::as_str)
    }

    /// The templates that came from the override folder, if any.
    pub fn overridden(&self) -> &[String] {
        &self.overridden
    }

    /// The template used for `file` of `message` in `lang`, and the language it is written in.
    pub fn resolve(&self, message: &str, lang: Language, file: &str) -> Option<(String, Language)> {
        [lang, Language::En]
            .into_iter()
            .map(|l| (localized_name(message, l, file), l))
            .find(|(name, _)| self.names.contains(name))
    }

    /// Renders `message` in `lang` (falling back to English file by file) with `ctx`.
    pub fn render<C: Serialize + ?Sized>(
        &self,
        message: &str,
        lang: Language,
        ctx: &C,
    ) -> Result<Rendered, TemplateError> {
        if !MESSAGES.contains(&message) {
            return Err(TemplateError::UnknownMessage(message.to_owned()));
        }
        let base = Value::from(Serde(ctx));
        let render_file = |file: &str| -> Result<(String, Language), TemplateError> {
            let (name, used) =
                self.resolve(message, lang, file)
                    .ok_or_else(|| TemplateError::Missing {
                        name: localized_name(message, lang, file),
                    })?;
            let i18n = if self.names.contains(&i18n_name(used)) {
                i18n_name(used)
            } else {
                i18n_name(Language::En)
            };
            let ctx = context! { lang => used.as_str(), i18n => i18n, ..base.clone() };
            let rendered = self
                .env
                .get_template(&name)
                .and_then(|t| t.render(ctx))
                .map_err(|source| TemplateError::Render {
                    name: name.clone(),
                    source,
                })?;
            Ok((rendered, used))
        };
        let (subject, _) = render_file("subject.txt.j2")?;
        let (text, language) = render_file("body.txt.j2")?;
        let (html, _) = render_file("body.html.j2")?;
        Ok(Rendered {
            subject: subject.split_whitespace().collect::<Vec<_>>().join(" "),
            text: tidy_text(&text),
            html,
            language,
        })
    }
}

/// Removes trailing spaces and runs of more than one blank line that conditionals leave behind,
/// and ends the text with exactly one newline.
fn tidy_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank = 0;
    for line in text.lines() {
        let line = line.trim_end();
        if line.is_empty() {
            blank += 1;
            if blank > 1 || out.is_empty() {
                continue;
            }
        } else {
            blank = 0;
        }
        out.push_str(line);
        out.push('\n');
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

fn embedded_files() -> BTreeMap<String, String> {
    EMBEDDED
        .iter()
        .map(|(name, source)| ((*name).to_owned(), (*source).to_owned()))
        .collect()
}

fn localized_name(message: &str, lang: Language, file: &str) -> String {
    match lang {
        Language::En => format!("{message}/{file}"),
        other => format!("{message}/{}/{file}", other.as_str()),
    }
}

fn i18n_name(lang: Language) -> String {
    format!("_i18n/{}.j2", lang.as_str())
}

/// Accepts shared files (any path whose first segment starts with `_`) and the files of known
/// messages in known languages; anything else is most likely a typo in an override folder.
fn check_path(name: &str) -> Result<(), TemplateError> {
    let segments: Vec<&str> = name.split('/').collect();
    let ok = match segments.as_slice() {
        [first, ..] if first.starts_with('_') => true,
        [message, file] => MESSAGES.contains(message) && FILES.contains(file),
        [message, lang, file] => {
            MESSAGES.contains(message)
                && FILES.contains(file)
                && Language::ALL
                    .iter()
                    .any(|l| *l != Language::En && l.as_str() == *lang)
        }
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(TemplateError::UnexpectedFile(name.to_owned()))
    }
}

fn read_dir_recursive(
    root: &Path,
    dir: &Path,
    out: &mut Vec<(String, String)>,
) -> Result<(), TemplateError> {
    let io_err = |path: &Path| {
        let path: PathBuf = path.to_owned();
        move |source| TemplateError::Io { path, source }
    };
    let mut entries = std::fs::read_dir(dir)
        .map_err(io_err(dir))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(io_err(dir))?;
    entries.sort_by_key(std::fs::DirEntry::file_name);
    for entry in entries {
        let path = entry.path();
        let file_type = entry.file_type().map_err(io_err(&path))?;
        if file_type.is_dir() {
            read_dir_recursive(root, &path, out)?;
        } else if path.extension().is_some_and(|e| e == "j2") {
            let relative = path
                .strip_prefix(root)
                .unwrap_or(&path)
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            let source = std::fs::read_to_string(&path).map_err(io_err(&path))?;
            out.push((relative, source));
        }
    }
    Ok(())
}

fn current_lang(state: &State) -> Language {
    state
        .lookup("lang")
        .and_then(|v| v.as_str().and_then(|s| s.parse().ok()))
        .unwrap_or_default()
}

fn month_name(lang: Language, month: u32) -> &'static str {
    const EN: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    const FR: [&str; 12] = [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ];
    const NL: [&str; 12] = [
        "januari",
        "februari",
        "maart",
        "april",
        "mei",
        "juni",
        "juli",
        "augustus",
        "september",
        "oktober",
        "november",
        "december",
    ];
    const DE: [&str; 12] = [
        "Januar",
        "Februar",
        "März",
        "April",
        "Mai",
        "Juni",
        "Juli",
        "August",
        "September",
        "Oktober",
        "November",
        "Dezember",
    ];
    let table = match lang {
        Language::En => &EN,
        Language::Fr => &FR,
        Language::Nl => &NL,
        Language::De => &DE,
    };
    let index = usize::try_from(month.saturating_sub(1))
        .unwrap_or(0)
        .min(11);
    table[index]
}

/// A day written out the way each language does: `3 March 2026`, `1er mars 2026`,
/// `3 maart 2026`, `3. März 2026`.
pub fn format_date(lang: Language, day: NaiveDate) -> String {
    let month = month_name(lang, day.month());
    match lang {
        Language::Fr if day.day() == 1 => format!("1er {month} {}", day.year()),
        Language::De => format!("{}. {month} {}", day.day(), day.year()),
        _ => format!("{} {month} {}", day.day(), day.year()),
    }
}

/// An instant written out in UTC, e.g. `3 March 2026 at 14:05 UTC` or `3 mars 2026 à 14:05 UTC`.
pub fn format_datetime(lang: Language, at: DateTime<Utc>) -> String {
    let day = format_date(lang, at.date_naive());
    let word = match lang {
        Language::En => "at",
        Language::Fr => "à",
        Language::Nl => "om",
        Language::De => "um",
    };
    format!("{day} {word} {:02}:{:02} UTC", at.hour(), at.minute())
}

fn bad_value(what: &str) -> minijinja::Error {
    minijinja::Error::new(ErrorKind::InvalidOperation, what.to_owned())
}

/// `{{ day|date }}`: a `YYYY-MM-DD` string (how `NaiveDate` serialises) or an RFC 3339 instant.
fn filter_date(state: &State, value: String) -> Result<String, minijinja::Error> {
    let day = NaiveDate::parse_from_str(&value, "%Y-%m-%d")
        .ok()
        .or_else(|| {
            DateTime::parse_from_rfc3339(&value)
                .ok()
                .map(|d| d.with_timezone(&Utc).date_naive())
        })
        .ok_or_else(|| bad_value("the date filter needs a YYYY-MM-DD date"))?;
    Ok(format_date(current_lang(state), day))
}

/// `{{ instant|datetime }}`: an RFC 3339 instant (how `DateTime<Utc>` serialises), shown in UTC.
fn filter_datetime(state: &State, value: String) -> Result<String, minijinja::Error> {
    let at = DateTime::parse_from_rfc3339(&value)
        .map_err(|_| bad_value("the datetime filter needs an RFC 3339 instant"))?
        .with_timezone(&Utc);
    Ok(format_datetime(current_lang(state), at))
}

/// `{{ link|url }}`: only absolute `http`/`https` URLs without spaces pass (so no
/// `javascript:` link can be rendered). In HTML the value is escaped for an attribute but `/`
/// is left alone, so the link stays readable and identical to the text part's.
fn filter_url(state: &State, value: String) -> Result<Value, minijinja::Error> {
    let lower = value.to_ascii_lowercase();
    let absolute = (lower.starts_with("https://") || lower.starts_with("http://"))
        && value.len() > "https://".len()
        && !value.chars().any(|c| c.is_whitespace() || c.is_control());
    if !absolute {
        // The URL itself is not in the message: links carry tokens.
        return Err(bad_value("a link is not an absolute http(s) URL"));
    }
    if matches!(state.auto_escape(), AutoEscape::None) {
        return Ok(Value::from(value));
    }
    let mut escaped = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            other => escaped.push(other),
        }
    }
    Ok(Value::from_safe_string(escaped))
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    #[test]
    fn dates_are_written_the_way_each_language_writes_them() {
        let d = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
        assert_eq!(format_date(Language::En, d), "1 March 2026");
        assert_eq!(format_date(Language::Fr, d), "1er mars 2026");
        assert_eq!(format_date(Language::Nl, d), "1 maart 2026");
        assert_eq!(format_date(Language::De, d), "1. März 2026");
        let at = DateTime::parse_from_rfc3339("2026-08-14T09:05:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            format_datetime(Language::Fr, at),
            "14 août 2026 à 09:05 UTC"
        );
    }

    #[test]
    fn override_paths_outside_the_known_layout_are_refused() {
        assert!(check_path("acknowledgement/fr/body.txt.j2").is_ok());
        assert!(check_path("acknowledgement/de/body.html.j2").is_ok());
        assert!(check_path("_layout.html.j2").is_ok());
        assert!(check_path("_i18n/de.j2").is_ok());
        assert!(check_path("acknowledgment/body.txt.j2").is_err());
        assert!(check_path("acknowledgement/es/body.txt.j2").is_err());
        assert!(check_path("acknowledgement/en/body.txt.j2").is_err());
        assert!(check_path("acknowledgement/body.text.j2").is_err());
    }

    #[test]
    fn tidy_text_collapses_blank_runs_and_ends_with_one_newline() {
        assert_eq!(tidy_text("\n\na  \n\n\n\nb\n\n"), "a\n\nb\n");
    }

    #[test]
    fn the_embedded_tree_is_complete_and_parses() {
        let t = Templates::embedded().unwrap();
        assert!(t.names().count() >= MESSAGES.len() * FILES.len() * 3);
        assert!(t.overridden().is_empty());
    }
}
