//! The public site: page templates (embedded at build time, with an operator override folder
//! that wins file by file), message catalogues per language (overridable key by key), the theme,
//! and rendering into responses that carry the security headers every public page needs.
//!
//! Layout of `templates/pages` (and of an override folder):
//!
//! ```text
//! _layout.html.j2        shared layout: skip link, header (logo, organisation, languages),
//!                        <main>, footer with the privacy contact
//! message.html.j2        a simple page: title, paragraphs, an optional button or link
//! form.html.j2           the request form (GET|POST /request)
//! status.html.j2         a request's progress (GET /status/{token})
//! i18n/<lang>.toml       message catalogues: key = "text", nested tables give dotted keys
//! ```
//!
//! Templates see `t("key", name=value)`, which looks `key` up in the page's language (falling
//! back to English) and replaces `{name}` placeholders; the `date` filter writes a
//! `YYYY-MM-DD` date the way the page's language does. Every page is HTML-escaped
//! automatically, inline CSS only, no script, no external resource (the logo excepted, when
//! the operator gives an absolute URL).

use std::fmt;
use std::sync::Arc;

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use dsrflow_app::settings::{ControllerSettings, FormSettings};
use minijinja::value::Value;
use minijinja::{Environment, context};
use rand::RngCore;

pub mod csrf;
pub mod lang;

use crate::site::lang::PageLang;
pub use dsrflow_render::catalogue::DEFAULT_LANGUAGE;
pub use dsrflow_render::{Catalogue, Catalogues, fill};
use dsrflow_render::{Links, Setup, Undefined};

include!(concat!(env!("OUT_DIR"), "/page_templates.rs"));

/// The languages whose catalogues must hold every key of the English one.
pub const REQUIRED_LANGUAGES: [&str; 3] = ["en", "fr", "nl"];

/// The templates the site cannot work without.
pub const REQUIRED_TEMPLATES: [&str; 4] = [
    "_layout.html.j2",
    "message.html.j2",
    "form.html.j2",
    "status.html.j2",
];

/// Shown when a page itself cannot be rendered (a broken override template): no template, no
/// catalogue, so nothing that could fail again.
const FALLBACK_ERROR_PAGE: &str = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>Error</title></head><body><main><h1>Something went wrong</h1><p>This page cannot be shown right now. Please try again later.</p></main></body></html>";

/// Why the site could not be built. Its text names the setting to fix (`form.templates_dir`,
/// `form.logo_url`, …), or says the built-in pages are at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteError {
    /// The `[form]` key to fix; None when the embedded pages themselves are wrong.
    pub key: Option<&'static str>,
    /// What is wrong.
    pub message: String,
}

impl SiteError {
    fn new(key: Option<&'static str>, message: impl Into<String>) -> Self {
        Self {
            key,
            message: message.into(),
        }
    }
}

impl fmt::Display for SiteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.key {
            Some(key) => write!(f, "form.{key}: {}", self.message),
            None => write!(f, "built-in pages: {}", self.message),
        }
    }
}

impl std::error::Error for SiteError {}

/// What the header, footer and accent colour show.
#[derive(Debug, Clone)]
struct Theme {
    organisation: Option<String>,
    logo_url: Option<String>,
    primary_color: String,
    /// `img-src` of the Content-Security-Policy: the site itself, data URLs, and the logo's
    /// origin when it is elsewhere.
    img_src: String,
    contact: String,
    /// A configured authority, named as given; None: the Belgian one, named per language.
    authority: Option<String>,
}

/// The origin (`https://host[:port]`) of an absolute URL.
fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let host = rest.split(['/', '?', '#']).next()?;
    (!host.is_empty()).then(|| format!("{}://{host}", scheme.to_ascii_lowercase()))
}

/// A simple page: a title, paragraphs and an optional button or link, every text a catalogue
/// key. Build one with [`MessagePage::new`] and render it with [`Site::message_page`].
#[derive(Debug, Clone)]
pub struct MessagePage {
    status: StatusCode,
    title: String,
    paragraphs: Vec<String>,
    args: Vec<(String, String)>,
    action: Option<Action>,
}

/// The button or link under a message.
#[derive(Debug, Clone)]
pub struct Action {
    /// `post` (a form with a button) or `get` (a link styled as a button).
    pub method: ActionMethod,
    /// Where it goes; empty for "this page" (a form posting to its own URL).
    pub url: String,
    /// The catalogue key of its label.
    pub label: String,
    /// Hidden form fields (name, value), for `post`.
    pub hidden: Vec<(String, String)>,
}

/// How an [`Action`] is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionMethod {
    /// A link.
    Get,
    /// A form with one button.
    Post,
}

impl MessagePage {
    /// A page with this status and the title under catalogue key `title`.
    pub fn new(status: StatusCode, title: impl Into<String>) -> Self {
        Self {
            status,
            title: title.into(),
            paragraphs: Vec::new(),
            args: Vec::new(),
            action: None,
        }
    }

    /// Adds a paragraph (a catalogue key).
    pub fn paragraph(mut self, key: impl Into<String>) -> Self {
        self.paragraphs.push(key.into());
        self
    }

    /// Sets a `{name}` placeholder's value for every text of the page (escaped on output).
    pub fn arg(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.args.push((name.into(), value.into()));
        self
    }

    /// Adds a form with one button posting to `url` (empty: this page's own URL).
    pub fn post_button(mut self, url: impl Into<String>, label: impl Into<String>) -> Self {
        self.action = Some(Action {
            method: ActionMethod::Post,
            url: url.into(),
            label: label.into(),
            hidden: Vec::new(),
        });
        self
    }

    /// Adds a hidden field to the button's form (no effect without [`MessagePage::post_button`]).
    pub fn hidden(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        if let Some(a) = &mut self.action {
            a.hidden.push((name.into(), value.into()));
        }
        self
    }

    /// Adds a link styled as a button.
    pub fn link(mut self, url: impl Into<String>, label: impl Into<String>) -> Self {
        self.action = Some(Action {
            method: ActionMethod::Get,
            url: url.into(),
            label: label.into(),
            hidden: Vec::new(),
        });
        self
    }

    /// The page's HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }
}

/// The public site, built once at start-up and shared (it is `Send + Sync`).
pub struct Site {
    /// The compiled pages; None for [`Site::empty`].
    env: Option<Environment<'static>>,
    catalogues: Arc<Catalogues>,
    theme: Theme,
    overridden: Vec<String>,
    secure_cookies: bool,
}

impl fmt::Debug for Site {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Site")
            .field("languages", &self.catalogues.languages())
            .field("overridden", &self.overridden)
            .finish_non_exhaustive()
    }
}

impl Site {
    /// Builds the site from the embedded pages, the override folder (`form.templates_dir`) and
    /// the theme; every template is compiled and every catalogue parsed, so a broken override
    /// is reported here (naming the key) rather than on a visitor's page.
    pub fn load(settings: &FormSettings) -> Result<Site, SiteError> {
        let (files, overridden) =
            dsrflow_render::layered(EMBEDDED, settings.templates_dir.as_deref(), |name| {
                name.ends_with(".j2") || name.ends_with(".toml")
            })
            .map_err(|e| SiteError::new(Some("templates_dir"), e.to_string()))?;
        if let Some(name) = overridden
            .iter()
            .find(|n| n.ends_with(".toml") && !is_catalogue(n))
        {
            return Err(SiteError::new(
                Some("templates_dir"),
                format!("{name}: catalogues belong in i18n/<lang>.toml"),
            ));
        }
        let origin = |name: &str| {
            if overridden.iter().any(|o| o == name) {
                Some("templates_dir")
            } else {
                None
            }
        };

        // Catalogues: the embedded ones first, then the override folder's, key by key.
        let mut catalogues = Catalogues::default();
        for (name, source) in EMBEDDED.iter().filter(|(n, _)| is_catalogue(n)) {
            catalogues
                .merge(name, source)
                .map_err(|m| SiteError::new(None, m))?;
        }
        for name in &overridden {
            if is_catalogue(name)
                && let Some(source) = files.get(name)
            {
                catalogues
                    .merge(name, source)
                    .map_err(|m| SiteError::new(Some("templates_dir"), m))?;
            }
        }
        for lang in REQUIRED_LANGUAGES {
            let missing = catalogues.missing_keys(lang);
            if !catalogues.has(lang) || !missing.is_empty() {
                return Err(SiteError::new(
                    None,
                    format!(
                        "the {lang} catalogue lacks {}",
                        missing.into_iter().take(5).collect::<Vec<_>>().join(", ")
                    ),
                ));
            }
        }
        let catalogues = Arc::new(catalogues);

        // `{% if x %}` on a missing key is allowed, for optional parts such as field errors;
        // printing an undefined value fails (a typo shows up in the render check).
        let templates: Vec<(String, String)> = files
            .iter()
            .filter(|(n, _)| n.ends_with(".j2"))
            .map(|(n, s)| (n.clone(), s.clone()))
            .collect();
        let env = dsrflow_render::environment(
            Setup {
                undefined: Undefined::Lenient,
                links: Links::Site,
                catalogues: Some(catalogues.clone()),
            },
            templates,
        )
        .map_err(|e| match &e {
            dsrflow_render::RenderError::Syntax { name, .. } => {
                SiteError::new(origin(name), e.to_string())
            }
            dsrflow_render::RenderError::Io { .. } => SiteError::new(None, e.to_string()),
        })?;
        for name in REQUIRED_TEMPLATES {
            if env.get_template(name).is_err() {
                return Err(SiteError::new(None, format!("{name} is missing")));
            }
        }

        check_primary_color(&settings.primary_color)?;
        let img_src = match &settings.logo_url {
            Some(logo) => {
                dsrflow_app::settings::check_logo_url(logo)
                    .map_err(|m| SiteError::new(Some("logo_url"), m))?;
                match origin_of(logo) {
                    Some(o) => format!("'self' data: {o}"),
                    None => "'self' data:".to_owned(),
                }
            }
            None => "'self' data:".to_owned(),
        };
        let defaults = ControllerSettings::default();
        let site = Site {
            env: Some(env),
            catalogues,
            theme: Theme {
                organisation: settings.organisation.clone(),
                logo_url: settings.logo_url.clone(),
                primary_color: settings.primary_color.clone(),
                img_src,
                contact: defaults.contact,
                authority: None,
            },
            overridden,
            secure_cookies: false,
        };
        site.check_renders(&crate::sample_contexts())?;
        Ok(site)
    }

    /// A site without pages: every render answers with a plain error page. Only for when even
    /// the built-in pages cannot load (a defective build).
    pub fn empty() -> Site {
        let defaults = ControllerSettings::default();
        Site {
            env: None,
            catalogues: Arc::default(),
            theme: Theme {
                organisation: None,
                logo_url: None,
                primary_color: dsrflow_app::settings::DEFAULT_PRIMARY_COLOR.to_owned(),
                img_src: "'self'".to_owned(),
                contact: defaults.contact,
                authority: None,
            },
            overridden: Vec::new(),
            secure_cookies: false,
        }
    }

    /// Names the controller in the header (unless `form.organisation` is set), the footer
    /// (its contact) and refusals (its supervisory authority).
    pub fn with_controller(mut self, controller: &ControllerSettings) -> Self {
        if self.theme.organisation.is_none() {
            self.theme.organisation = Some(controller.name.clone());
        }
        self.theme.contact = controller.contact.clone();
        self.theme.authority = (controller.authority != ControllerSettings::default().authority)
            .then(|| controller.authority.clone());
        self
    }

    /// Marks cookies `Secure` (set it when the public URL is `https://`).
    pub fn with_secure_cookies(mut self, secure: bool) -> Self {
        self.secure_cookies = secure;
        self
    }

    /// Whether cookies are marked `Secure`.
    pub fn secure_cookies(&self) -> bool {
        self.secure_cookies
    }

    /// The catalogues.
    pub fn catalogues(&self) -> &Catalogues {
        &self.catalogues
    }

    /// The page languages, English first.
    pub fn languages(&self) -> Vec<&str> {
        self.catalogues.languages()
    }

    /// Files that came from the override folder.
    pub fn overridden(&self) -> &[String] {
        &self.overridden
    }

    /// The text of `key` in `lang` (English when missing) with `{name}` placeholders filled;
    /// a key missing everywhere is logged and shown as itself, so a page still renders.
    pub fn text(&self, lang: &str, key: &str, args: &[(&str, &str)]) -> String {
        match self.catalogues.lookup(lang, key) {
            Some(t) => fill(t, args),
            None => {
                tracing::warn!(key, "no catalogue key");
                key.to_owned()
            }
        }
    }

    /// Renders a page template in the visitor's language and wraps it in a response with the
    /// security headers (and the language cookie when the visitor just chose a language).
    pub fn render(
        &self,
        lang: &PageLang,
        status: StatusCode,
        template: &str,
        ctx: Value,
    ) -> Response {
        let nonce = new_nonce();
        let result = self.render_string(lang, template, ctx, &nonce);
        match result {
            Ok(html) => self.respond(lang, status, html, &nonce),
            Err(e) => {
                tracing::error!(template, error = %e, "page could not be rendered");
                self.respond(
                    lang,
                    StatusCode::INTERNAL_SERVER_ERROR,
                    FALLBACK_ERROR_PAGE.to_owned(),
                    &nonce,
                )
            }
        }
    }

    /// Renders a [`MessagePage`] with `message.html.j2`.
    pub fn message_page(&self, lang: &PageLang, page: MessagePage) -> Response {
        let code = lang.code();
        let args: Vec<(&str, &str)> = page
            .args
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let action = page.action.as_ref().map(|a| {
            context! {
                method => match a.method { ActionMethod::Get => "get", ActionMethod::Post => "post" },
                url => a.url.clone(),
                label => self.text(code, &a.label, &args),
                hidden => a.hidden.iter().map(|(n, v)| context! { name => n, value => v }).collect::<Vec<_>>(),
            }
        });
        let ctx = context! {
            title => self.text(code, &page.title, &args),
            paragraphs => page.paragraphs.iter().map(|k| self.text(code, k, &args)).collect::<Vec<_>>(),
            action => action,
        };
        self.render(lang, page.status, "message.html.j2", ctx)
    }

    /// The standard "not found" page.
    pub fn not_found(&self, lang: &PageLang) -> Response {
        self.message_page(
            lang,
            MessagePage::new(StatusCode::NOT_FOUND, "error.not_found.title")
                .paragraph("error.not_found.body"),
        )
    }

    /// The standard "something went wrong" page (the cause is logged by the caller).
    pub fn internal_error(&self, lang: &PageLang) -> Response {
        self.message_page(
            lang,
            MessagePage::new(StatusCode::INTERNAL_SERVER_ERROR, "error.internal.title")
                .paragraph("error.internal.body"),
        )
    }

    fn render_string(
        &self,
        lang: &PageLang,
        template: &str,
        ctx: Value,
        nonce: &str,
    ) -> Result<String, minijinja::Error> {
        let code = lang.code();
        let languages: Vec<Value> = self
            .catalogues
            .languages()
            .into_iter()
            .map(|l| {
                context! {
                    code => l,
                    name => self.catalogues.lookup(l, "language.name").unwrap_or(l),
                    url => format!("{}?lang={l}", lang.path()),
                    current => l == code,
                }
            })
            .collect();
        let contact = &self.theme.contact;
        let contact_href = if contact.starts_with("https://") || contact.starts_with("http://") {
            Some(contact.clone())
        } else if contact.contains('@') && !contact.contains(char::is_whitespace) {
            Some(format!("mailto:{contact}"))
        } else {
            None
        };
        let authority_name = self
            .theme
            .authority
            .clone()
            .unwrap_or_else(|| self.text(code, "authority.name", &[]));
        let authority_website = if self.theme.authority.is_some() {
            String::new()
        } else {
            self.text(code, "authority.website", &[])
        };
        let site = context! {
            lang => code,
            languages => languages,
            organisation => self.theme.organisation.clone().unwrap_or_else(|| ControllerSettings::default().name),
            logo_url => self.theme.logo_url.clone(),
            primary_color => self.theme.primary_color.clone(),
            contact => contact,
            contact_href => contact_href,
            authority_name => authority_name,
            authority_website => authority_website,
            csp_nonce => nonce,
        };
        let Some(env) = &self.env else {
            return Err(minijinja::Error::new(
                minijinja::ErrorKind::TemplateNotFound,
                "the site has no pages",
            ));
        };
        env.get_template(template)?
            .render(context! { ..site, ..ctx })
    }

    fn respond(&self, lang: &PageLang, status: StatusCode, html: String, nonce: &str) -> Response {
        let mut resp = (status, Html(html)).into_response();
        let headers = resp.headers_mut();
        let csp = format!(
            "default-src 'none'; style-src 'nonce-{nonce}'; img-src {}; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
            self.theme.img_src
        );
        if let Ok(v) = HeaderValue::from_str(&csp) {
            headers.insert(header::CONTENT_SECURITY_POLICY, v);
        }
        insert_security_headers(headers);
        headers.insert(
            header::CONTENT_LANGUAGE,
            HeaderValue::from_str(lang.code()).unwrap_or(HeaderValue::from_static("en")),
        );
        if lang.remember()
            && let Ok(v) = HeaderValue::from_str(&format!(
                "lang={}; Path=/; Max-Age=31536000; SameSite=Lax{}",
                lang.code(),
                if self.secure_cookies { "; Secure" } else { "" }
            ))
        {
            headers.append(header::SET_COOKIE, v);
        }
        resp
    }

    /// Renders every page in every required language with sample data, so a template that
    /// refers to a missing key or variable fails at start-up, not in front of a visitor.
    fn check_renders(&self, samples: &[(&'static str, Value)]) -> Result<(), SiteError> {
        for lang in self.catalogues.languages() {
            let page_lang = PageLang::new(lang, "/request");
            for (template, ctx) in samples.iter().cloned() {
                self.render_string(&page_lang, template, ctx, "check")
                    .map_err(|e| {
                        // The embedded pages render (their tests say so): an override broke it.
                        let key = (!self.overridden.is_empty()).then_some("templates_dir");
                        SiteError::new(key, format!("{template} in {lang}: {e:#}"))
                    })?;
            }
        }
        Ok(())
    }
}

/// The headers every public response carries: no caching (pages show personal data), no
/// referrer (links carry tokens), no MIME sniffing, no framing.
pub fn insert_security_headers(headers: &mut HeaderMap) {
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'; base-uri 'none'"),
        );
    }
}

fn check_primary_color(raw: &str) -> Result<(), SiteError> {
    dsrflow_app::settings::check_primary_color(raw)
        .map_err(|m| SiteError::new(Some("primary_color"), m))
}

/// Sample contexts of the shared templates (each area of pages adds its own: see
/// [`crate::sample_contexts`]).
pub(crate) fn sample_contexts() -> Vec<(&'static str, Value)> {
    vec![(
        "message.html.j2",
        context! {
            title => "Title",
            paragraphs => vec!["One", "Two"],
            action => context! { method => "post", url => "", label => "Go", hidden => vec![context! { name => "a", value => "b" }] },
        },
    )]
}

fn new_nonce() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

fn is_catalogue(name: &str) -> bool {
    name.starts_with("i18n/") && name.ends_with(".toml")
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    fn site() -> Site {
        Site::load(&FormSettings::default()).unwrap()
    }

    #[test]
    fn every_catalogue_key_exists_in_english_french_and_dutch() {
        let mut cats = Catalogues::default();
        for (name, source) in EMBEDDED.iter().filter(|(n, _)| is_catalogue(n)) {
            cats.merge(name, source).unwrap();
        }
        assert!(cats.get("en").is_some_and(|c| c.len() > 50));
        for lang in REQUIRED_LANGUAGES {
            assert!(cats.has(lang), "no {lang} catalogue");
            assert_eq!(cats.missing_keys(lang), Vec::<&str>::new(), "{lang}");
            // And no language has keys English lacks (a typo would never be shown).
            let extra: Vec<&String> = cats
                .get(lang)
                .unwrap()
                .keys()
                .filter(|k| !cats.get("en").unwrap().contains_key(*k))
                .collect();
            assert!(extra.is_empty(), "{lang} has keys English lacks: {extra:?}");
            for (k, v) in cats.get(lang).unwrap() {
                assert!(!v.trim().is_empty(), "{lang}: {k} is empty");
            }
        }
    }

    #[test]
    fn a_missing_key_is_found_by_the_completeness_check() {
        let mut cats = Catalogues::default();
        cats.merge("i18n/en.toml", "a = \"A\"\n[b]\nc = \"C\"\n")
            .unwrap();
        cats.merge("i18n/fr.toml", "a = \"A fr\"\n").unwrap();
        assert_eq!(cats.missing_keys("fr"), vec!["b.c"]);
        assert_eq!(cats.lookup("fr", "b.c"), Some("C"), "falls back to English");
        assert!(cats.merge("i18n/nl.toml", "a = 3\n").is_err());
    }

    #[test]
    fn the_embedded_site_loads_and_renders_every_page_in_every_language() {
        let s = site();
        assert_eq!(s.languages(), vec!["en", "fr", "nl"]);
        for lang in ["en", "fr", "nl"] {
            let html = s
                .render_string(
                    &PageLang::new(lang, "/request"),
                    "form.html.j2",
                    crate::public::form::sample_context(true),
                    "n",
                )
                .unwrap();
            assert!(html.contains(&format!("<html lang=\"{lang}\"")), "{html}");
            assert!(html.contains("nonce=\"n\""));
        }
    }

    #[test]
    fn placeholders_are_filled_and_unknown_ones_kept() {
        assert_eq!(fill("Hello {name}!", &[("name", "Ann")]), "Hello Ann!");
        assert_eq!(fill("{a} {b} {", &[("a", "1")]), "1 {b} {");
        assert_eq!(fill("no braces", &[]), "no braces");
        assert_eq!(fill("{not valid}", &[]), "{not valid}");
    }

    #[test]
    fn message_pages_are_translated_and_carry_the_security_headers() {
        let s = site();
        let resp = s.message_page(
            &PageLang::new("fr", "/x"),
            MessagePage::new(StatusCode::NOT_FOUND, "error.not_found.title")
                .paragraph("error.not_found.body")
                .post_button("", "error.not_found.title"),
        );
        assert_eq!(resp.status(), StatusCode::NOT_FOUND);
        let h = resp.headers();
        assert_eq!(h[header::CACHE_CONTROL], "no-store");
        assert_eq!(h[header::X_FRAME_OPTIONS], "DENY");
        assert_eq!(h[header::CONTENT_LANGUAGE], "fr");
        let csp = h[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'") && !csp.contains("script-src"));
        assert!(
            s.text("fr", "error.not_found.title", &[])
                != s.text("en", "error.not_found.title", &[])
        );
    }

    #[test]
    fn an_override_folder_replaces_keys_and_templates_and_adds_languages() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("i18n")).unwrap();
        std::fs::write(
            dir.path().join("i18n/fr.toml"),
            "[error.not_found]\ntitle = \"Introuvable, désolé\"\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("i18n/de.toml"),
            "[language]\nname = \"Deutsch\"\n[error.not_found]\ntitle = \"Nicht gefunden\"\n",
        )
        .unwrap();
        let settings = FormSettings {
            templates_dir: Some(dir.path().to_owned()),
            ..FormSettings::default()
        };
        let s = Site::load(&settings).unwrap();
        assert_eq!(s.languages(), vec!["en", "de", "fr", "nl"]);
        assert_eq!(
            s.text("fr", "error.not_found.title", &[]),
            "Introuvable, désolé"
        );
        assert_eq!(s.text("de", "error.not_found.title", &[]), "Nicht gefunden");
        // Keys the new language lacks fall back to English.
        assert_eq!(
            s.text("de", "error.not_found.body", &[]),
            s.text("en", "error.not_found.body", &[])
        );

        std::fs::write(dir.path().join("message.html.j2"), "{% extends \"_layout.html.j2\" %}{% block content %}{{ undefined_thing.x }}{% endblock %}").unwrap();
        let err = Site::load(&settings).unwrap_err();
        assert_eq!(err.key, Some("templates_dir"), "{err}");
        assert!(
            err.to_string()
                .starts_with("form.templates_dir: message.html.j2"),
            "{err}"
        );

        std::fs::write(dir.path().join("message.html.j2"), "{% block content %").unwrap();
        let err = Site::load(&settings).unwrap_err();
        assert!(err.to_string().starts_with("form.templates_dir: "), "{err}");

        let err = Site::load(&FormSettings {
            templates_dir: Some(dir.path().join("missing")),
            ..FormSettings::default()
        })
        .unwrap_err();
        assert_eq!(err.key, Some("templates_dir"), "{err}");
    }

    #[test]
    fn a_bad_theme_is_named_by_its_key() {
        let err = Site::load(&FormSettings {
            primary_color: "#eeeeee".to_owned(),
            ..FormSettings::default()
        })
        .unwrap_err();
        assert_eq!(err.key, Some("primary_color"));
        let err = Site::load(&FormSettings {
            logo_url: Some("javascript:alert(1)".to_owned()),
            ..FormSettings::default()
        })
        .unwrap_err();
        assert_eq!(err.key, Some("logo_url"));
        let s = Site::load(&FormSettings {
            logo_url: Some("https://cdn.example.org/logo.svg".to_owned()),
            ..FormSettings::default()
        })
        .unwrap();
        assert_eq!(s.theme.img_src, "'self' data: https://cdn.example.org");
    }
}
