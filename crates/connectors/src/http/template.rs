//! Templates: text with `{…}` placeholders, parsed once when a definition is loaded and rendered
//! per request.
//!
//! A placeholder names one or more sources separated by ` or ` (the first one present wins) and
//! optional filters after `|`: `{subject.name or subject.email}`, `{subject.email|escape_quotes}`.
//! `{{` and `}}` stand for literal braces. Rendering never splices a value into a URL unescaped:
//! the caller says where the text goes ([`Escape`]), and query strings are built by the URL
//! encoder, not by hand.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use serde_json::Value;
use uuid::Uuid;

use crate::{Subject, SubjectField};

/// Where a placeholder's value comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// `subject.email`, `subject.name`, `subject.account_id`, `subject.phone`.
    Subject(SubjectField),
    /// `secret.NAME`: a value of the connection's `[secrets]`.
    Secret(String),
    /// `param.NAME`: a value of the connection's `[params]`.
    Param(String),
    /// `var.NAME`: a value extracted from an earlier response.
    Var(String),
    /// `item` (the current element of `for_each`) or `item.FIELD` (a field of it).
    Item(Option<String>),
    /// `page`: the page number of page-numbered pagination.
    Page,
    /// `task.id`: the task id (stable across retries).
    TaskId,
    /// `request.reference`: the request's human reference.
    RequestReference,
}

/// A transformation applied to a placeholder's value (the result is text).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filter {
    /// `escape_quotes`: a backslash before `\`, `'` and `"` (for quoted strings inside query
    /// languages, e.g. Stripe's `email:'…'`).
    EscapeQuotes,
    /// `lower`: lower case.
    Lower,
    /// `strip_gmail_dots`: removes the dots before `@` of gmail.com and googlemail.com
    /// addresses (the normalisation Google asks for in `userProvidedData`).
    StripGmailDots,
    /// `sha256`: the SHA-256 of the text, in lower-case hex (how ad platforms take an address:
    /// normalise first, e.g. `{subject.email|lower|sha256}`).
    Sha256,
}

/// One `{…}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placeholder {
    /// The sources, tried in order.
    pub alternatives: Vec<Source>,
    /// The filters, applied in order.
    pub filters: Vec<Filter>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(String),
    Placeholder(Placeholder),
}

/// A parsed template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    parts: Vec<Part>,
}

/// How rendered values are escaped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Escape {
    /// As is (headers, bodies, query values: the URL encoder escapes those).
    None,
    /// Percent-encoded as one URL path segment (everything but `A–Z a–z 0–9 - . _ ~`).
    PathSegment,
}

/// The values a template can refer to during one call.
#[derive(Debug, Clone, Copy)]
pub struct Scope<'a> {
    /// The subject (absent for `check` and auth).
    pub subject: Option<&'a Subject>,
    /// Resolved secrets.
    pub secrets: &'a BTreeMap<String, String>,
    /// Parameters.
    pub params: &'a BTreeMap<String, Value>,
    /// Variables extracted so far.
    pub vars: &'a HashMap<String, Value>,
    /// The current `for_each` element.
    pub item: Option<&'a Value>,
    /// The current page number.
    pub page: Option<u64>,
    /// The task id.
    pub task_id: Option<Uuid>,
    /// The request reference.
    pub reference: Option<&'a str>,
}

impl Scope<'_> {
    /// The value of a source, if present (`null` counts as absent).
    pub fn lookup(&self, source: &Source) -> Option<Value> {
        let v = match source {
            Source::Subject(f) => self
                .subject
                .and_then(|s| s.field(*f))
                .map(|s| Value::String(s.to_owned())),
            Source::Secret(n) => self.secrets.get(n).map(|s| Value::String(s.clone())),
            Source::Param(n) => self.params.get(n).cloned(),
            Source::Var(n) => self.vars.get(n).cloned(),
            Source::Item(None) => self.item.cloned(),
            Source::Item(Some(field)) => self.item.and_then(|i| i.get(field)).cloned(),
            Source::Page => self.page.map(Value::from),
            Source::TaskId => self.task_id.map(|t| Value::String(t.to_string())),
            Source::RequestReference => self.reference.map(|r| Value::String(r.to_owned())),
        };
        v.filter(|v| !v.is_null())
    }

    /// The value of a placeholder: the first present alternative, filtered.
    pub fn resolve(&self, p: &Placeholder) -> Option<Value> {
        let value = p.alternatives.iter().find_map(|s| self.lookup(s))?;
        if p.filters.is_empty() {
            return Some(value);
        }
        let mut text = value_text(&value);
        for f in &p.filters {
            text = apply(*f, &text);
        }
        Some(Value::String(text))
    }
}

/// A value as text: strings as they are, other scalars in JSON notation, lists and objects as
/// compact JSON.
pub fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn apply(f: Filter, text: &str) -> String {
    match f {
        Filter::EscapeQuotes => {
            let mut out = String::with_capacity(text.len());
            for c in text.chars() {
                if matches!(c, '\\' | '\'' | '"') {
                    out.push('\\');
                }
                out.push(c);
            }
            out
        }
        Filter::Lower => text.to_lowercase(),
        Filter::StripGmailDots => match text.rsplit_once('@') {
            Some((local, domain))
                if domain.eq_ignore_ascii_case("gmail.com")
                    || domain.eq_ignore_ascii_case("googlemail.com") =>
            {
                format!("{}@{domain}", local.replace('.', ""))
            }
            _ => text.to_owned(),
        },
        Filter::Sha256 => {
            use sha2::Digest as _;
            sha2::Sha256::digest(text.trim().as_bytes()).iter().fold(
                String::with_capacity(64),
                |mut out, b| {
                    let _ = write!(out, "{b:02x}");
                    out
                },
            )
        }
    }
}

/// Percent-encodes one path segment.
pub fn encode_segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// Encodes pairs as `application/x-www-form-urlencoded`.
pub fn encode_form(pairs: &[(String, String)]) -> String {
    fn enc(out: &mut String, s: &str) {
        for b in s.bytes() {
            if b.is_ascii_alphanumeric() || matches!(b, b'*' | b'-' | b'.' | b'_') {
                out.push(char::from(b));
            } else if b == b' ' {
                out.push('+');
            } else {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
    let mut out = String::new();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        enc(&mut out, k);
        out.push('=');
        enc(&mut out, v);
    }
    out
}

fn valid_name(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn parse_source(s: &str) -> Result<Source, String> {
    let named = |prefix: &str, make: fn(String) -> Source| -> Option<Result<Source, String>> {
        s.strip_prefix(prefix).map(|n| {
            if valid_name(n) {
                Ok(make(n.to_owned()))
            } else {
                Err(format!(
                    "{{{s}}}: {n:?} is not a valid name (letters, digits, _)"
                ))
            }
        })
    };
    match s {
        "subject.email" => return Ok(Source::Subject(SubjectField::Email)),
        "subject.name" => return Ok(Source::Subject(SubjectField::Name)),
        "subject.account_id" => return Ok(Source::Subject(SubjectField::AccountId)),
        "subject.phone" => return Ok(Source::Subject(SubjectField::Phone)),
        "item" => return Ok(Source::Item(None)),
        "page" => return Ok(Source::Page),
        "task.id" => return Ok(Source::TaskId),
        "request.reference" => return Ok(Source::RequestReference),
        _ => {}
    }
    if let Some(r) = named("secret.", Source::Secret)
        .or_else(|| named("param.", Source::Param))
        .or_else(|| named("var.", Source::Var))
        .or_else(|| named("item.", |f| Source::Item(Some(f))))
    {
        return r;
    }
    Err(format!(
        "unknown template variable {{{s}}} (expected subject.email, subject.name, subject.account_id, subject.phone, secret.NAME, param.NAME, var.NAME, item, item.FIELD, page, task.id or request.reference)"
    ))
}

fn parse_filter(s: &str) -> Result<Filter, String> {
    match s {
        "escape_quotes" => Ok(Filter::EscapeQuotes),
        "lower" => Ok(Filter::Lower),
        "strip_gmail_dots" => Ok(Filter::StripGmailDots),
        "sha256" => Ok(Filter::Sha256),
        other => Err(format!(
            "unknown filter |{other} (expected escape_quotes, lower, strip_gmail_dots or sha256)"
        )),
    }
}

fn parse_placeholder(inner: &str) -> Result<Placeholder, String> {
    let mut pieces = inner.split('|');
    let expr = pieces.next().unwrap_or_default();
    let alternatives = expr
        .split(" or ")
        .map(|a| parse_source(a.trim()))
        .collect::<Result<Vec<_>, _>>()?;
    let filters = pieces
        .map(|f| parse_filter(f.trim()))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Placeholder {
        alternatives,
        filters,
    })
}

impl Template {
    /// Parses a template.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut chars = text.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            match c {
                '{' if chars.peek().map(|(_, c)| *c) == Some('{') => {
                    chars.next();
                    literal.push('{');
                }
                '}' if chars.peek().map(|(_, c)| *c) == Some('}') => {
                    chars.next();
                    literal.push('}');
                }
                '{' => {
                    let rest = &text[i + 1..];
                    let Some(end) = rest.find('}') else {
                        return Err(format!(
                            "{text:?}: a {{ is not closed (write {{{{ for a literal brace)"
                        ));
                    };
                    let inner = &rest[..end];
                    if inner.contains('{') {
                        return Err(format!("{text:?}: placeholders cannot be nested"));
                    }
                    if !literal.is_empty() {
                        parts.push(Part::Literal(std::mem::take(&mut literal)));
                    }
                    parts.push(Part::Placeholder(parse_placeholder(inner)?));
                    // Skip the placeholder's characters and its closing brace.
                    for _ in 0..inner.chars().count() + 1 {
                        chars.next();
                    }
                }
                '}' => {
                    return Err(format!(
                        "{text:?}: a }} without {{ (write }}}} for a literal brace)"
                    ));
                }
                c => literal.push(c),
            }
        }
        if !literal.is_empty() {
            parts.push(Part::Literal(literal));
        }
        Ok(Self { parts })
    }

    /// The placeholders.
    pub fn placeholders(&self) -> impl Iterator<Item = &Placeholder> {
        self.parts.iter().filter_map(|p| match p {
            Part::Placeholder(p) => Some(p),
            Part::Literal(_) => None,
        })
    }

    /// Every source any placeholder may read.
    pub fn sources(&self) -> impl Iterator<Item = &Source> {
        self.placeholders().flat_map(|p| p.alternatives.iter())
    }

    /// The placeholder when the template is exactly one placeholder without filters (its
    /// value then keeps its JSON type: a list stays a list, a number a number).
    pub fn whole(&self) -> Option<&Placeholder> {
        match self.parts.as_slice() {
            [Part::Placeholder(p)] if p.filters.is_empty() => Some(p),
            _ => None,
        }
    }

    /// The literal text of the template (placeholders left out).
    pub fn literal_text(&self) -> String {
        self.parts
            .iter()
            .filter_map(|p| match p {
                Part::Literal(l) => Some(l.as_str()),
                Part::Placeholder(_) => None,
            })
            .collect()
    }

    /// Renders as text; None when a placeholder has no value.
    pub fn render(&self, scope: &Scope<'_>, escape: Escape) -> Option<String> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Literal(l) => out.push_str(l),
                Part::Placeholder(p) => {
                    let text = value_text(&scope.resolve(p)?);
                    match escape {
                        Escape::None => out.push_str(&text),
                        Escape::PathSegment => out.push_str(&encode_segment(&text)),
                    }
                }
            }
        }
        Some(out)
    }

    /// Renders as a JSON value: a whole placeholder keeps its type, anything else is text.
    pub fn render_value(&self, scope: &Scope<'_>) -> Option<Value> {
        match self.whole() {
            Some(p) => scope.resolve(p),
            None => self.render(scope, Escape::None).map(Value::String),
        }
    }
}

#[cfg(test)]
#[expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on a broken fixture"
)]
mod tests {
    use super::*;
    use dsrflow_domain::{SubjectEmail, SubjectName};
    use serde_json::json;

    fn subject() -> Subject {
        Subject {
            email: SubjectEmail::parse("o'brien&co@gmail.com").unwrap(),
            name: Some(SubjectName::parse("Zoë O'Brien").unwrap()),
            account_id: None,
            phone: None,
            pseudonym: "0123456789abcdef0123456789abcdef".to_owned(),
        }
    }

    fn with_scope<R>(f: impl FnOnce(&Scope<'_>) -> R) -> R {
        let s = subject();
        let secrets = BTreeMap::from([("api_key".to_owned(), "sk_1".to_owned())]);
        let params = BTreeMap::from([("project".to_owned(), json!(42))]);
        let vars = HashMap::from([("ids".to_owned(), json!(["a", "b"]))]);
        let item = json!({"id": "x y"});
        let scope = Scope {
            subject: Some(&s),
            secrets: &secrets,
            params: &params,
            vars: &vars,
            item: Some(&item),
            page: Some(3),
            task_id: None,
            reference: Some("DSR-1"),
        };
        f(&scope)
    }

    #[test]
    fn placeholders_render_with_alternatives_and_filters() {
        with_scope(|s| {
            let t = Template::parse("email:'{subject.email|escape_quotes}'").unwrap();
            assert_eq!(
                t.render(s, Escape::None).unwrap(),
                r"email:'o\'brien&co@gmail.com'"
            );
            let t = Template::parse("{subject.phone or subject.name}").unwrap();
            assert_eq!(t.render(s, Escape::None).unwrap(), "Zoë O'Brien");
            let t = Template::parse("{subject.phone}").unwrap();
            assert_eq!(t.render(s, Escape::None), None);
            let t = Template::parse("{{literal}} {page}").unwrap();
            assert_eq!(t.render(s, Escape::None).unwrap(), "{literal} 3");
        });
    }

    #[test]
    fn path_segments_are_percent_encoded() {
        with_scope(|s| {
            let t = Template::parse("/x/{item.id}/{subject.email}").unwrap();
            assert_eq!(
                t.render(s, Escape::PathSegment).unwrap(),
                "/x/x%20y/o%27brien%26co%40gmail.com"
            );
        });
    }

    #[test]
    fn whole_placeholders_keep_their_json_type() {
        with_scope(|s| {
            let t = Template::parse("{var.ids}").unwrap();
            assert_eq!(t.render_value(s).unwrap(), json!(["a", "b"]));
            let t = Template::parse("{param.project}").unwrap();
            assert_eq!(t.render_value(s).unwrap(), json!(42));
            let t = Template::parse("p{param.project}").unwrap();
            assert_eq!(t.render_value(s).unwrap(), json!("p42"));
        });
    }

    #[test]
    fn sha256_hashes_the_normalised_text_in_hex() {
        // The SHA-256 of "alice@example.com", as ad platforms expect it.
        assert_eq!(
            apply(Filter::Sha256, "alice@example.com"),
            "ff8d9819fc0e12bf0d24892e45987e249a28dce836a85cad60e28eaaa8c6d976"
        );
    }

    #[test]
    fn gmail_dots_are_stripped_only_for_gmail() {
        assert_eq!(
            apply(Filter::StripGmailDots, "j.doe@gmail.com"),
            "jdoe@gmail.com"
        );
        assert_eq!(
            apply(Filter::StripGmailDots, "j.doe@example.com"),
            "j.doe@example.com"
        );
    }

    #[test]
    fn bad_templates_are_rejected_with_the_reason() {
        assert!(
            Template::parse("{var.x")
                .unwrap_err()
                .contains("not closed")
        );
        assert!(
            Template::parse("{subject.mail}")
                .unwrap_err()
                .contains("unknown template variable {subject.mail}")
        );
        assert!(
            Template::parse("{var.x|upper}")
                .unwrap_err()
                .contains("unknown filter")
        );
        assert!(Template::parse("a}b").is_err());
    }

    #[test]
    fn forms_are_encoded() {
        let pairs = vec![
            ("grant_type".to_owned(), "client_credentials".to_owned()),
            ("client_secret".to_owned(), "a b&c=d".to_owned()),
        ];
        assert_eq!(
            encode_form(&pairs),
            "grant_type=client_credentials&client_secret=a+b%26c%3Dd"
        );
    }
}
