//! Definitions: the TOML format described in the [`super`] module documentation, parsed with
//! serde and then validated into a [`Definition`] whose templates, pointers and variable flow
//! are known to be consistent (so running it cannot meet an unknown name).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

use dsrflow_domain::TaskAction;
use reqwest::header::HeaderName;
use reqwest::{Method, Url};
use serde::Deserialize;
use serde_json::Value;

mod raw;
mod validate;

use self::raw::*;
use self::validate::*;
use super::pointer::Pointer;
use super::template::{Source, Template};
use crate::Effect;

/// The definitions shipped with dsrflow, by name.
pub const SHIPPED: [(&str, &str); 9] = [
    ("crisp", include_str!("../../../definitions/crisp.toml")),
    (
        "google_analytics",
        include_str!("../../../definitions/google_analytics.toml"),
    ),
    (
        "grafana_loki",
        include_str!("../../../definitions/grafana_loki.toml"),
    ),
    ("hotjar", include_str!("../../../definitions/hotjar.toml")),
    ("klaviyo", include_str!("../../../definitions/klaviyo.toml")),
    (
        "meta_audiences",
        include_str!("../../../definitions/meta_audiences.toml"),
    ),
    ("odoo", include_str!("../../../definitions/odoo.toml")),
    ("posthog", include_str!("../../../definitions/posthog.toml")),
    ("stripe", include_str!("../../../definitions/stripe.toml")),
];

/// The actions a definition can perform by API.
pub const API_ACTIONS: [TaskAction; 4] = [
    TaskAction::Access,
    TaskAction::Erase,
    TaskAction::OptOut,
    TaskAction::Restrict,
];

/// A checked definition.
#[derive(Debug)]
pub struct Definition {
    /// Its name.
    pub name: String,
    /// The default base URL.
    pub base_url: String,
    /// The request timeout.
    pub timeout: Duration,
    /// The rate limit.
    pub rate_limit: Option<RateLimit>,
    /// Fixed headers.
    pub headers: Vec<(HeaderName, Template)>,
    /// Authentication.
    pub auth: Auth,
    /// JSON-RPC style error detection.
    pub response_error: Option<ResponseError>,
    /// Extra instructions per action for the person doing it by hand.
    pub manual: BTreeMap<TaskAction, String>,
    /// The `check` step.
    pub check: Option<Step>,
    /// The steps, in order.
    pub steps: Vec<Step>,
    /// Every secret the definition refers to.
    pub secrets: BTreeSet<String>,
    /// Every parameter the definition refers to.
    pub params: BTreeSet<String>,
}

/// A rate limit (token bucket).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    /// Sustained requests per second.
    pub per_second: f64,
    /// Requests allowed at once.
    pub burst: u32,
}

/// How requests authenticate.
#[derive(Debug)]
pub enum Auth {
    /// No authentication (or credentials travel in the body, as in Odoo's JSON-RPC).
    None,
    /// `Authorization: Bearer <token>`.
    Bearer(Template),
    /// `Authorization: Basic base64(user:password)`.
    Basic(Template, Template),
    /// A header with a templated value.
    Header(HeaderName, Template),
    /// OAuth2 client credentials; the token is cached until shortly before it expires.
    OAuth2 {
        /// Absolute URL, or a path relative to the base URL.
        token_url: String,
        /// Client id.
        client_id: Template,
        /// Client secret.
        client_secret: Template,
        /// Optional scope.
        scope: Option<Template>,
    },
}

/// A response pointer that, when present, means the call failed (JSON-RPC `error`).
#[derive(Debug)]
pub struct ResponseError {
    /// The pointer.
    pub pointer: Pointer,
    /// Pointers to a short reason, tried in order.
    pub message: Vec<Pointer>,
}

/// A JSON body with templates in its strings.
#[derive(Debug, Clone)]
pub enum JsonTemplate {
    /// A value without placeholders.
    Literal(Value),
    /// A templated string (a whole placeholder keeps the value's JSON type).
    Text(Template),
    /// An array.
    Array(Vec<JsonTemplate>),
    /// An object.
    Object(Vec<(String, JsonTemplate)>),
}

/// A request body.
#[derive(Debug, Clone)]
pub enum Body {
    /// JSON.
    Json(JsonTemplate),
    /// `application/x-www-form-urlencoded`; a whole list placeholder repeats the key.
    Form(Vec<(String, Template)>),
}

/// Records for the access package.
#[derive(Debug, Clone)]
pub struct Collect {
    /// The dataset name.
    pub dataset: String,
    /// The records' pointer.
    pub pointer: Pointer,
}

/// Keeps only the elements of a response array whose field equals a value (case-insensitive),
/// for APIs whose search also returns near matches.
#[derive(Debug, Clone)]
pub struct Filter {
    /// The array.
    pub array: Pointer,
    /// The field, relative to an element.
    pub field: Pointer,
    /// The value it must equal.
    pub equals: Template,
}

/// Pagination.
#[derive(Debug, Clone)]
pub enum Pagination {
    /// The next cursor is read from the response and sent in a query parameter.
    Cursor {
        /// Response pointer to the next cursor; absent or empty ends.
        cursor: Pointer,
        /// Query parameter.
        param: String,
        /// Page guard.
        max_pages: u32,
    },
    /// Page numbers from `start`, in a query parameter or as `{page}` in the path; an empty page
    /// ends.
    Page {
        /// Query parameter (None: `{page}` in the path).
        param: Option<String>,
        /// First page number.
        start: u64,
        /// The array whose emptiness ends the pages.
        items: Pointer,
        /// Page guard.
        max_pages: u32,
    },
}

impl Pagination {
    /// The page guard.
    pub fn max_pages(&self) -> u32 {
        match self {
            Pagination::Cursor { max_pages, .. } | Pagination::Page { max_pages, .. } => *max_pages,
        }
    }
}

/// What the count of a step's item is.
#[derive(Debug, Clone)]
pub enum Count {
    /// The length of a list variable.
    Var(String),
    /// The number of values a pointer selects, summed over responses.
    Pointer(Pointer),
}

/// A note for the report.
#[derive(Debug, Clone)]
pub struct Note {
    /// Where the value is.
    pub pointer: Pointer,
    /// Text before it.
    pub label: Option<String>,
}

/// One request (or one per `for_each` element and page).
#[derive(Debug, Clone)]
pub struct Step {
    /// Name (in errors and as the default target).
    pub name: String,
    /// Actions it runs for.
    pub actions: Vec<TaskAction>,
    /// Method.
    pub method: Method,
    /// Path template.
    pub path: Template,
    /// Query templates.
    pub query: Vec<(String, Template)>,
    /// Body.
    pub body: Option<Body>,
    /// List variable to iterate.
    pub for_each: Option<String>,
    /// List variable that must be non-empty.
    pub if_nonempty: Option<String>,
    /// Variables to extract.
    pub extract: Vec<(String, Pointer)>,
    /// Variables that must have a value afterwards.
    pub require: Vec<String>,
    /// Records for access.
    pub collect: Option<Collect>,
    /// Response filter.
    pub filter: Option<Filter>,
    /// Pagination.
    pub pagination: Option<Pagination>,
    /// Statuses meaning "nothing there".
    pub not_found: Vec<u16>,
    /// Statuses meaning success (empty: any 2xx).
    pub success: Vec<u16>,
    /// The effect to report.
    pub effect: Option<Effect>,
    /// The report target.
    pub target: String,
    /// The count rule.
    pub count: Option<Count>,
    /// The note.
    pub note: Option<Note>,
    /// List variables used as whole values (an empty one leaves nothing to do).
    pub list_vars: Vec<String>,
    /// Every placeholder of the step outside `for_each`/pagination context must resolve, or the
    /// step is skipped; these are the templates to test.
    pub templates: Vec<Template>,
}

/// Checks that a URL is an absolute http(s) URL without query or fragment.
pub fn check_base_url(text: &str) -> Result<Url, String> {
    let url = Url::parse(text).map_err(|e| format!("{text:?} is not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(format!("{text:?} must be an http:// or https:// URL"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!("{text:?} must not have a query or fragment"));
    }
    Ok(url)
}

impl Definition {
    /// Parses and validates a definition. Errors name the place (`step[2] (delete).path: …`).
    pub fn parse(text: &str) -> Result<Self, String> {
        let raw: RawDefinition = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut v = Validator::default();
        if !name_ok(&raw.name) {
            return Err("name: lower case letters, digits and _".to_owned());
        }
        check_base_url(&raw.base_url).map_err(|e| format!("base_url: {e}"))?;
        if !(1..=300).contains(&raw.timeout_secs) {
            return Err("timeout_secs: must be between 1 and 300".to_owned());
        }
        let rate_limit = match raw.rate_limit {
            None => None,
            Some(r) => {
                if !(r.per_second.is_finite() && r.per_second > 0.0) || r.burst == 0 {
                    return Err(
                        "rate_limit: per_second must be positive and burst at least 1".to_owned(),
                    );
                }
                Some(RateLimit {
                    per_second: r.per_second,
                    burst: r.burst,
                })
            }
        };
        let no_subject = Ctx {
            loc: "",
            actions: &[],
            subject: false,
            item: false,
            page: false,
        };
        let header_name = |n: &str, field: &str| {
            HeaderName::from_bytes(n.as_bytes())
                .map_err(|_| format!("{field}: {n:?} is not a valid header name"))
        };
        let mut headers = Vec::new();
        for (name, value) in &raw.headers {
            let t = template(value, "headers", name)?;
            v.check(
                &t,
                Place::Other,
                &Ctx {
                    loc: "headers",
                    ..no_subject
                },
                name,
            )?;
            headers.push((header_name(name, "headers")?, t));
        }
        let mut auth_template = |text: &str, field: &str| -> Result<Template, String> {
            let t = template(text, "auth", field)?;
            v.check(
                &t,
                Place::Other,
                &Ctx {
                    loc: "auth",
                    ..no_subject
                },
                field,
            )?;
            Ok(t)
        };
        let auth = match raw.auth.unwrap_or(RawAuth::None) {
            RawAuth::None => Auth::None,
            RawAuth::Bearer { token } => Auth::Bearer(auth_template(&token, "token")?),
            RawAuth::Basic { username, password } => Auth::Basic(
                auth_template(&username, "username")?,
                auth_template(&password, "password")?,
            ),
            RawAuth::Header { name, value } => Auth::Header(
                header_name(&name, "auth.name")?,
                auth_template(&value, "value")?,
            ),
            RawAuth::Oauth2ClientCredentials {
                token_url,
                client_id,
                client_secret,
                scope,
            } => {
                if !token_url.starts_with('/') {
                    check_base_url(&token_url).map_err(|e| format!("auth.token_url: {e}"))?;
                }
                Auth::OAuth2 {
                    token_url,
                    client_id: auth_template(&client_id, "client_id")?,
                    client_secret: auth_template(&client_secret, "client_secret")?,
                    scope: scope.map(|s| auth_template(&s, "scope")).transpose()?,
                }
            }
        };
        let response_error = match raw.response_error {
            None => None,
            Some(r) => Some(ResponseError {
                pointer: single_pointer(&r.pointer, "response_error", "pointer")?,
                message: r
                    .message
                    .iter()
                    .map(|m| single_pointer(m, "response_error", "message"))
                    .collect::<Result<_, _>>()?,
            }),
        };
        let check = raw.check.map(|c| v.step(None, c)).transpose()?;
        // The check step's variables are its own: the steps start afresh.
        v.vars.clear();
        if raw.steps.is_empty() {
            return Err("step: declare at least one [[step]]".to_owned());
        }
        let mut names = BTreeSet::new();
        let mut steps = Vec::new();
        for (i, s) in raw.steps.into_iter().enumerate() {
            if !names.insert(s.name.clone()) {
                return Err(format!("step[{i}].name: {:?} is used twice", s.name));
            }
            steps.push(v.step(Some(i), s)?);
        }
        Ok(Self {
            name: raw.name,
            base_url: raw.base_url,
            timeout: Duration::from_secs(raw.timeout_secs),
            rate_limit,
            headers,
            auth,
            response_error,
            manual: raw.manual,
            check,
            steps,
            secrets: v.secrets,
            params: v.params,
        })
    }

    /// Whether any step runs for an action.
    pub fn covers(&self, action: TaskAction) -> bool {
        self.steps.iter().any(|s| s.actions.contains(&action))
    }
}

#[cfg(test)]
#[expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on a broken fixture"
)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_definition_is_valid() {
        for (name, text) in SHIPPED {
            let d = Definition::parse(text).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(d.name, name);
        }
    }

    const MINIMAL: &str = r#"
name = "t"
base_url = "https://api.example.com"
[auth]
type = "bearer"
token = "{secret.key}"
[[step]]
name = "find"
actions = ["access", "erase"]
method = "GET"
path = "/people"
query = { email = "{subject.email}" }
extract = { ids = "/data/*/id" }
[[step]]
name = "delete"
actions = ["erase"]
method = "DELETE"
path = "/people/{item}"
for_each = "ids"
effect = "deleted"
"#;

    #[test]
    fn a_minimal_definition_lists_its_secrets() {
        let d = Definition::parse(MINIMAL).unwrap();
        assert_eq!(d.secrets, BTreeSet::from(["key".to_owned()]));
        assert!(d.covers(TaskAction::Erase));
        assert!(!d.covers(TaskAction::OptOut));
    }

    #[test]
    fn variables_must_come_from_an_earlier_step_for_the_same_action() {
        let bad = MINIMAL.replace(
            r#"actions = ["access", "erase"]"#,
            r#"actions = ["access"]"#,
        );
        let e = Definition::parse(&bad).unwrap_err();
        assert!(e.contains("step[1] (delete).for_each"), "{e}");
        assert!(e.contains("runs for erase"), "{e}");
    }

    #[test]
    fn list_variables_cannot_be_spliced_into_paths() {
        let bad = MINIMAL.replace("/people/{item}", "/people/{var.ids}");
        let e = Definition::parse(&bad).unwrap_err();
        assert!(e.contains("is a list"), "{e}");
    }

    #[test]
    fn subject_values_are_refused_in_auth() {
        let bad = MINIMAL.replace("{secret.key}", "{subject.email}");
        let e = Definition::parse(&bad).unwrap_err();
        assert!(e.starts_with("auth.token"), "{e}");
    }

    #[test]
    fn misspelt_keys_are_refused() {
        let bad = MINIMAL.replace("token = ", "tokn = ");
        assert!(Definition::parse(&bad).is_err());
        let bad = MINIMAL.replace("effect = ", "efect = ");
        assert!(Definition::parse(&bad).unwrap_err().contains("efect"));
    }

    #[test]
    fn queries_in_paths_and_items_outside_for_each_are_refused() {
        let bad = MINIMAL.replace(r#"path = "/people""#, r#"path = "/people?x=1""#);
        assert!(Definition::parse(&bad).unwrap_err().contains("query table"));
        let bad = MINIMAL.replace(r#"path = "/people""#, r#"path = "/people/{item}""#);
        assert!(Definition::parse(&bad).unwrap_err().contains("for_each"));
    }
}
