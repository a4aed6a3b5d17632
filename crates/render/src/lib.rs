//! dsrflow's one template engine: every minijinja [`Environment`] (the mail, the public pages,
//! the access package's report) is built by [`environment`], with the same rules:
//!
//! - `*.html.j2` templates are HTML-escaped, every other one is not; block tags trim their line
//!   (`trim_blocks`, `lstrip_blocks`);
//! - the filters `date` and `datetime` write a day or an instant out in the render's language
//!   (the context's `lang`), and `url` lets only safe links through (see [`Links`]);
//! - with [`Catalogues`], `t("key", name=value)` gives a text in the render's language.
//!
//! [`layered`] reads an override folder over the embedded files, so an operator can replace a
//! template or a translation file by file.

pub mod catalogue;
mod filters;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use catalogue::{Catalogue, Catalogues, fill};
pub use filters::{format_date, format_datetime, render_language};
pub use minijinja::{Environment, Value, context};

/// What printing an undefined value does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Undefined {
    /// An error: a misspelt variable fails the render (mail, whose every variable is known).
    Strict,
    /// An error when printed, but `{% if x %}` on a missing key is false (pages with optional
    /// parts, such as field errors).
    Lenient,
}

/// Which links the `url` filter lets through (anything else fails the render, so no
/// `javascript:` link can ever be written).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Links {
    /// Absolute `http(s)://` URLs only (mail: a link must work outside the site).
    Absolute,
    /// Also `mailto:`, `data:image/…` and links on the same site (`/…`) (pages).
    Site,
}

/// How an environment is set up.
#[derive(Debug, Clone)]
pub struct Setup {
    /// What an undefined value does.
    pub undefined: Undefined,
    /// What the `url` filter allows.
    pub links: Links,
    /// The texts `t("key")` looks up; None: no `t` function.
    pub catalogues: Option<Arc<Catalogues>>,
}

/// A template that does not compile, or a folder that cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// A template has a syntax error.
    #[error("{name}: {source}")]
    Syntax {
        /// The template's name (its path under the templates folder).
        name: String,
        /// What minijinja says.
        source: minijinja::Error,
    },
    /// A file or folder of an override folder cannot be read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// Builds an environment with `files` (name → source) compiled; the only place dsrflow makes
/// one.
pub fn environment(
    setup: Setup,
    files: impl IntoIterator<Item = (String, String)>,
) -> Result<Environment<'static>, RenderError> {
    let mut env = Environment::new();
    env.set_syntax(
        minijinja::syntax::SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .build()
            .map_err(|source| RenderError::Syntax {
                name: "(syntax configuration)".to_owned(),
                source,
            })?,
    );
    env.set_undefined_behavior(match setup.undefined {
        Undefined::Strict => minijinja::UndefinedBehavior::Strict,
        Undefined::Lenient => minijinja::UndefinedBehavior::SemiStrict,
    });
    env.set_auto_escape_callback(|name| {
        if name.ends_with(".html.j2") {
            minijinja::AutoEscape::Html
        } else {
            minijinja::AutoEscape::None
        }
    });
    env.add_filter("date", filters::date);
    env.add_filter("datetime", filters::datetime);
    let links = setup.links;
    env.add_filter("url", move |state: &minijinja::State, value: String| {
        filters::url(state, links, value)
    });
    if let Some(cats) = setup.catalogues {
        env.add_function(
            "t",
            move |state: &minijinja::State, key: &str, kwargs: minijinja::value::Kwargs| {
                catalogue::translate(&cats, state, key, &kwargs)
            },
        );
    }
    for (name, source) in files {
        env.add_template_owned(name.clone(), source)
            .map_err(|source| RenderError::Syntax { name, source })?;
    }
    Ok(env)
}

/// The embedded files with the files of `dir` (those `keep` accepts, by relative path) laid
/// over them; returns the merged files and the names that came from `dir`.
pub fn layered(
    embedded: &[(&str, &str)],
    dir: Option<&Path>,
    keep: impl Fn(&str) -> bool,
) -> Result<(BTreeMap<String, String>, Vec<String>), RenderError> {
    let mut files: BTreeMap<String, String> = embedded
        .iter()
        .map(|(n, s)| ((*n).to_owned(), (*s).to_owned()))
        .collect();
    let mut overridden = Vec::new();
    if let Some(dir) = dir {
        let mut found = Vec::new();
        read_folder(dir, dir, &keep, &mut found)?;
        for (name, source) in found {
            overridden.push(name.clone());
            files.insert(name, source);
        }
    }
    Ok((files, overridden))
}

fn read_folder(
    root: &Path,
    dir: &Path,
    keep: &impl Fn(&str) -> bool,
    out: &mut Vec<(String, String)>,
) -> Result<(), RenderError> {
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| RenderError::Io { path, source }
    };
    let mut entries = std::fs::read_dir(dir)
        .map_err(io(dir))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(io(dir))?;
    entries.sort_by_key(std::fs::DirEntry::file_name);
    for entry in entries {
        let path = entry.path();
        if entry.file_type().map_err(io(&path))?.is_dir() {
            read_folder(root, &path, keep, out)?;
            continue;
        }
        let relative = path
            .strip_prefix(root)
            .unwrap_or(&path)
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/");
        if keep(&relative) {
            let source = std::fs::read_to_string(&path).map_err(io(&path))?;
            out.push((relative, source));
        }
    }
    Ok(())
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    fn env(links: Links) -> Environment<'static> {
        environment(
            Setup {
                undefined: Undefined::Strict,
                links,
                catalogues: None,
            },
            [
                (
                    "a.html.j2".to_owned(),
                    "<a href=\"{{ u|url }}\">{{ x }}</a>".to_owned(),
                ),
                ("a.txt.j2".to_owned(), "{{ x }} {{ u|url }}".to_owned()),
                ("d.txt.j2".to_owned(), "{{ d|date }}".to_owned()),
            ],
        )
        .unwrap()
    }

    #[test]
    fn html_templates_are_escaped_and_text_templates_are_not() {
        let e = env(Links::Absolute);
        let ctx = context! { x => "<b>", u => "https://example.org/a?b=1&c=2" };
        assert_eq!(
            e.get_template("a.html.j2").unwrap().render(&ctx).unwrap(),
            "<a href=\"https://example.org/a?b=1&amp;c=2\">&lt;b&gt;</a>"
        );
        assert_eq!(
            e.get_template("a.txt.j2").unwrap().render(&ctx).unwrap(),
            "<b> https://example.org/a?b=1&c=2"
        );
    }

    #[test]
    fn the_url_filter_refuses_scripts_and_follows_the_link_policy() {
        let render = |links, u: &str| {
            env(links)
                .get_template("a.html.j2")
                .unwrap()
                .render(context! { x => "x", u => u })
        };
        assert!(render(Links::Absolute, "javascript:alert(1)").is_err());
        assert!(render(Links::Site, "javascript:alert(1)").is_err());
        assert!(render(Links::Absolute, "/request").is_err());
        assert!(render(Links::Site, "/request").is_ok());
        assert!(render(Links::Site, "//evil.example/").is_err());
        assert!(render(Links::Site, "mailto:privacy@example.org").is_ok());
    }

    #[test]
    fn dates_are_written_in_the_language_of_the_render() {
        let e = env(Links::Absolute);
        let t = e.get_template("d.txt.j2").unwrap();
        assert_eq!(
            t.render(context! { d => "2026-03-01", lang => "fr" })
                .unwrap(),
            "1er mars 2026"
        );
        assert_eq!(
            t.render(context! { d => "2026-03-02", lang => "nl" })
                .unwrap(),
            "2 maart 2026"
        );
        assert_eq!(
            t.render(context! { d => "2026-03-02" }).unwrap(),
            "2 March 2026"
        );
        assert!(t.render(context! { d => "soon" }).is_err());
    }

    #[test]
    fn a_syntax_error_names_the_template() {
        let err = environment(
            Setup {
                undefined: Undefined::Strict,
                links: Links::Site,
                catalogues: None,
            },
            [("broken.html.j2".to_owned(), "{% if %}".to_owned())],
        )
        .unwrap_err();
        assert!(err.to_string().starts_with("broken.html.j2: "), "{err}");
    }

    #[test]
    fn an_override_folder_wins_file_by_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("sub")).unwrap();
        std::fs::write(dir.path().join("sub/a.j2"), "mine").unwrap();
        std::fs::write(dir.path().join("notes.md"), "ignored").unwrap();
        let (files, overridden) = layered(
            &[("sub/a.j2", "theirs"), ("b.j2", "kept")],
            Some(dir.path()),
            |name| name.ends_with(".j2"),
        )
        .unwrap();
        assert_eq!(files["sub/a.j2"], "mine");
        assert_eq!(files["b.j2"], "kept");
        assert_eq!(overridden, vec!["sub/a.j2".to_owned()]);
        let missing = layered(&[], Some(&dir.path().join("none")), |_| true).unwrap_err();
        assert!(missing.to_string().contains("none"), "{missing}");
    }
}
