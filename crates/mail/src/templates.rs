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

use std::collections::BTreeSet;
use std::path::Path;

use dsrflow_domain::channel::Language;
use dsrflow_render::{Links, Setup, Undefined};
pub use dsrflow_render::{format_date, format_datetime};
use minijinja::value::{Serde, Value};
use minijinja::{Environment, context};
use serde::Serialize;

use crate::error::TemplateError;

include!(concat!(env!("OUT_DIR"), "/email_templates.rs"));

/// The name of every message dsrflow sends; each is a folder of `templates/email`.
pub const MESSAGES: [&str; 18] = [
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
    "withdrawn",
    "processor_request",
    "forward_request",
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
        Self::layered(None)
    }

    /// The embedded templates with the files of `dir` layered on top: a file there with the same
    /// relative path (e.g. `acknowledgement/fr/body.txt.j2` or `_layout.html.j2`) replaces the
    /// embedded one, and new translations (e.g. `acknowledgement/de/…`) are added. Files not
    /// ending in `.j2` are ignored; a `.j2` file at a path that matches no message is an error,
    /// so a misspelt folder does not silently do nothing.
    pub fn with_override_dir(dir: impl AsRef<Path>) -> Result<Self, TemplateError> {
        Self::layered(Some(dir.as_ref()))
    }

    fn layered(dir: Option<&Path>) -> Result<Self, TemplateError> {
        let (files, overridden) =
            dsrflow_render::layered(EMBEDDED, dir, |name| name.ends_with(".j2"))
                .map_err(render_error)?;
        for name in files.keys() {
            check_path(name)?;
        }
        let names: BTreeSet<String> = files.keys().cloned().collect();
        // Every variable of a message is known: a misspelt one fails the render check.
        let env = dsrflow_render::environment(
            Setup {
                undefined: Undefined::Strict,
                links: Links::Absolute,
                catalogues: None,
            },
            files,
        )
        .map_err(render_error)?;
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

fn render_error(e: dsrflow_render::RenderError) -> TemplateError {
    match e {
        dsrflow_render::RenderError::Syntax { name, source } => {
            TemplateError::Syntax { name, source }
        }
        dsrflow_render::RenderError::Io { path, source } => TemplateError::Io { path, source },
    }
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

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
