//! The page language: `?lang=xx` (the language switcher's links), then the `lang` cookie the
//! switcher set, then the browser's `Accept-Language` (q-values honoured), then English.

use std::convert::Infallible;
use std::sync::Arc;

use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use dsrflow_domain::channel::Language;

use crate::site::{DEFAULT_LANGUAGE, Site};

/// The name of the cookie that remembers the visitor's choice of language.
pub const LANG_COOKIE: &str = "lang";

/// The language a page is shown in, and the path it is shown at (for the switcher's links).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageLang {
    code: String,
    path: String,
    remember: bool,
}

impl PageLang {
    /// A page in `code` at `path` (the code is taken as given: callers pass a known one).
    pub fn new(code: &str, path: &str) -> Self {
        Self {
            code: code.to_owned(),
            path: path.to_owned(),
            remember: false,
        }
    }

    /// The language code, e.g. `fr`.
    pub fn code(&self) -> &str {
        &self.code
    }

    /// The path of the page (no query).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Whether the visitor chose the language on this request (`?lang=`), so the response
    /// sets the `lang` cookie.
    pub fn remember(&self) -> bool {
        self.remember
    }

    /// The language to answer a request in (mail): the page language when dsrflow's mail
    /// speaks it, else English (a language added only to the pages has no mail templates).
    pub fn language(&self) -> Language {
        self.code.parse().unwrap_or_default()
    }

    /// The same page in `code` when the site has that language (e.g. the form's hidden
    /// `lang` field, which says in which language the visitor read the form).
    pub fn with_choice(mut self, site: &Site, code: Option<&str>) -> Self {
        if let Some(c) = code.map(str::trim).map(str::to_ascii_lowercase)
            && site.catalogues().has(&c)
        {
            self.code = c;
        }
        self
    }
}

impl<S> FromRequestParts<S> for PageLang
where
    Arc<Site>: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let site = Arc::<Site>::from_ref(state);
        let query = parts.uri.query().and_then(|q| {
            form_urlencoded::parse(q.as_bytes())
                .find(|(k, _)| k == "lang")
                .map(|(_, v)| v.into_owned())
        });
        let accept = parts
            .headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok());
        let cookie = cookie_value(&parts.headers, LANG_COOKIE);
        let (code, from_query) = negotiate(
            |l| site.catalogues().has(l),
            query.as_deref(),
            cookie,
            accept,
        );
        Ok(PageLang {
            code,
            path: parts.uri.path().to_owned(),
            remember: from_query,
        })
    }
}

/// Chooses the page language among those `available` says the site has. Returns the code and
/// whether it came from the query (the visitor's explicit choice, to be remembered).
pub fn negotiate(
    available: impl Fn(&str) -> bool,
    query: Option<&str>,
    cookie: Option<&str>,
    accept_language: Option<&str>,
) -> (String, bool) {
    let normal = |s: &str| s.trim().to_ascii_lowercase();
    if let Some(q) = query.map(normal)
        && available(&q)
    {
        return (q, true);
    }
    if let Some(c) = cookie.map(normal)
        && available(&c)
    {
        return (c, false);
    }
    if let Some(header) = accept_language {
        for (tag, _) in parse_accept_language(header) {
            if available(&tag) {
                return (tag, false);
            }
            // `fr-BE` also matches a `fr` catalogue.
            if let Some((primary, _)) = tag.split_once('-')
                && available(primary)
            {
                return (primary.to_owned(), false);
            }
        }
    }
    (DEFAULT_LANGUAGE.to_owned(), false)
}

/// The language ranges of an `Accept-Language` header, most preferred first (RFC 9110 §12.5.4):
/// lowercased, without `*` and ranges with `q=0`; equal weights keep their order.
pub fn parse_accept_language(header: &str) -> Vec<(String, f32)> {
    let mut out: Vec<(String, f32)> = header
        .split(',')
        .take(32)
        .filter_map(|item| {
            let mut parts = item.split(';');
            let tag = parts.next()?.trim().to_ascii_lowercase();
            if tag.is_empty()
                || tag == "*"
                || tag.len() > 35
                || !tag.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            {
                return None;
            }
            let mut q = 1.0_f32;
            for p in parts {
                if let Some((k, v)) = p.split_once('=')
                    && k.trim().eq_ignore_ascii_case("q")
                {
                    q = v
                        .trim()
                        .parse()
                        .ok()
                        .filter(|q: &f32| (0.0..=1.0).contains(q))?;
                }
            }
            (q > 0.0).then_some((tag, q))
        })
        .collect();
    out.sort_by(|a, b| b.1.total_cmp(&a.1));
    out
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub fn cookie_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim_matches('"'))
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    fn three(l: &str) -> bool {
        matches!(l, "en" | "fr" | "nl")
    }

    #[test]
    fn the_query_wins_over_the_cookie_and_the_browser() {
        assert_eq!(
            negotiate(three, Some("nl"), Some("fr"), Some("fr")),
            ("nl".to_owned(), true)
        );
        assert_eq!(
            negotiate(three, Some("FR"), None, None),
            ("fr".to_owned(), true)
        );
    }

    #[test]
    fn an_unknown_query_falls_through_to_the_cookie_then_the_browser() {
        assert_eq!(
            negotiate(three, Some("xx"), Some("fr"), Some("nl")),
            ("fr".to_owned(), false)
        );
        assert_eq!(
            negotiate(three, Some("xx"), Some("yy"), Some("nl-BE")),
            ("nl".to_owned(), false)
        );
    }

    #[test]
    fn accept_language_weights_are_honoured() {
        assert_eq!(
            negotiate(three, None, None, Some("de;q=0.9, nl;q=0.5, fr;q=0.8")),
            ("fr".to_owned(), false)
        );
        assert_eq!(
            negotiate(three, None, None, Some("fr;q=0, nl;q=0.1")),
            ("nl".to_owned(), false),
            "q=0 means not acceptable"
        );
        assert_eq!(
            negotiate(three, None, None, Some("fr-BE,fr;q=0.9,en;q=0.8")),
            ("fr".to_owned(), false)
        );
    }

    #[test]
    fn nothing_usable_gives_english() {
        assert_eq!(
            negotiate(three, None, None, Some("de-DE, es;q=0.5, *;q=0.1")),
            ("en".to_owned(), false)
        );
        assert_eq!(negotiate(three, None, None, None), ("en".to_owned(), false));
        assert_eq!(
            negotiate(three, None, None, Some(";;;,q=abc")),
            ("en".to_owned(), false)
        );
    }

    #[test]
    fn malformed_accept_language_items_are_skipped() {
        let parsed = parse_accept_language("nl;q=2, fr;q=x, en;q=0.3, <script>");
        assert_eq!(parsed, vec![("en".to_owned(), 0.3)]);
    }

    #[test]
    fn cookies_are_found_among_several() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            "a=1; lang=nl; dsrflow_csrf=abc".parse().unwrap(),
        );
        assert_eq!(cookie_value(&h, "lang"), Some("nl"));
        assert_eq!(cookie_value(&h, "dsrflow_csrf"), Some("abc"));
        assert_eq!(cookie_value(&h, "missing"), None);
    }
}
