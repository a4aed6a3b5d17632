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

use super::pointer::Pointer;
use super::template::{Source, Template};
use crate::Effect;

/// The definitions shipped with dsrflow, by name.
pub const SHIPPED: [(&str, &str); 7] = [
    ("crisp", include_str!("../../definitions/crisp.toml")),
    (
        "google_analytics",
        include_str!("../../definitions/google_analytics.toml"),
    ),
    ("hotjar", include_str!("../../definitions/hotjar.toml")),
    ("klaviyo", include_str!("../../definitions/klaviyo.toml")),
    ("odoo", include_str!("../../definitions/odoo.toml")),
    ("posthog", include_str!("../../definitions/posthog.toml")),
    ("stripe", include_str!("../../definitions/stripe.toml")),
];

/// The actions a definition can perform by API.
pub const API_ACTIONS: [TaskAction; 4] = [
    TaskAction::Access,
    TaskAction::Erase,
    TaskAction::OptOut,
    TaskAction::Restrict,
];

fn default_timeout() -> u64 {
    30
}
fn default_burst() -> u32 {
    1
}
fn default_max_pages() -> u32 {
    10
}
fn default_start() -> u64 {
    1
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDefinition {
    name: String,
    #[serde(default)]
    #[expect(dead_code, reason = "documentation for readers of the file")]
    description: Option<String>,
    base_url: String,
    #[serde(default = "default_timeout")]
    timeout_secs: u64,
    #[serde(default)]
    rate_limit: Option<RawRateLimit>,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    #[serde(default)]
    auth: Option<RawAuth>,
    #[serde(default)]
    response_error: Option<RawResponseError>,
    #[serde(default)]
    manual: BTreeMap<TaskAction, String>,
    #[serde(default)]
    check: Option<RawStep>,
    #[serde(default, rename = "step")]
    steps: Vec<RawStep>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRateLimit {
    per_second: f64,
    #[serde(default = "default_burst")]
    burst: u32,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
enum RawAuth {
    None,
    Bearer {
        token: String,
    },
    Basic {
        username: String,
        password: String,
    },
    Header {
        name: String,
        value: String,
    },
    Oauth2ClientCredentials {
        token_url: String,
        client_id: String,
        client_secret: String,
        #[serde(default)]
        scope: Option<String>,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawResponseError {
    pointer: String,
    #[serde(default)]
    message: Vec<String>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
enum RawMethod {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
enum RawBodyFormat {
    #[default]
    Json,
    Form,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
enum RawEffect {
    Found,
    Deleted,
    Anonymised,
    OptedOut,
    Restricted,
    Requested,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCollect {
    dataset: String,
    pointer: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFilter {
    array: String,
    field: String,
    equals: String,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
enum RawPagination {
    Cursor {
        cursor: String,
        param: String,
        #[serde(default = "default_max_pages")]
        max_pages: u32,
    },
    Page {
        #[serde(default)]
        param: Option<String>,
        #[serde(default = "default_start")]
        start: u64,
        items: String,
        #[serde(default = "default_max_pages")]
        max_pages: u32,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNote {
    pointer: String,
    #[serde(default)]
    label: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    name: String,
    #[serde(default)]
    actions: Vec<TaskAction>,
    method: RawMethod,
    path: String,
    #[serde(default)]
    query: BTreeMap<String, String>,
    #[serde(default)]
    body: Option<Value>,
    #[serde(default)]
    body_format: RawBodyFormat,
    #[serde(default)]
    for_each: Option<String>,
    #[serde(default)]
    if_nonempty: Option<String>,
    #[serde(default)]
    extract: BTreeMap<String, String>,
    #[serde(default)]
    require: Vec<String>,
    #[serde(default)]
    collect: Option<RawCollect>,
    #[serde(default)]
    filter: Option<RawFilter>,
    #[serde(default)]
    pagination: Option<RawPagination>,
    #[serde(default)]
    not_found: Vec<u16>,
    #[serde(default)]
    success: Vec<u16>,
    #[serde(default)]
    effect: Option<RawEffect>,
    #[serde(default)]
    target: Option<String>,
    #[serde(default)]
    count: Option<String>,
    #[serde(default)]
    note: Option<RawNote>,
}

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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum VarKind {
    Scalar,
    List,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    Path,
    Query,
    Body,
    Other,
}

struct Ctx<'a> {
    loc: &'a str,
    actions: &'a [TaskAction],
    subject: bool,
    item: bool,
    page: bool,
}

#[derive(Default)]
struct Validator {
    secrets: BTreeSet<String>,
    params: BTreeSet<String>,
    vars: HashMap<String, (VarKind, BTreeSet<TaskAction>)>,
}

fn name_ok(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && s.len() <= 64
}

fn pointer(text: &str, loc: &str, field: &str) -> Result<Pointer, String> {
    Pointer::parse(text).map_err(|e| format!("{loc}.{field}: {e}"))
}

fn single_pointer(text: &str, loc: &str, field: &str) -> Result<Pointer, String> {
    let p = pointer(text, loc, field)?;
    if p.has_wildcard() {
        return Err(format!("{loc}.{field}: {text:?} must not contain *"));
    }
    Ok(p)
}

fn template(text: &str, loc: &str, field: &str) -> Result<Template, String> {
    Template::parse(text).map_err(|e| format!("{loc}.{field}: {e}"))
}

impl Validator {
    fn var(&self, name: &str, ctx: &Ctx<'_>, field: &str) -> Result<VarKind, String> {
        let loc = ctx.loc;
        let Some((kind, actions)) = self.vars.get(name) else {
            return Err(format!(
                "{loc}.{field}: {{var.{name}}} is not extracted by an earlier step"
            ));
        };
        if let Some(a) = ctx.actions.iter().find(|a| !actions.contains(a)) {
            return Err(format!(
                "{loc}.{field}: {{var.{name}}} is not extracted by an earlier step that runs for {a}"
            ));
        }
        Ok(*kind)
    }

    fn list_var(&self, name: &str, ctx: &Ctx<'_>, field: &str) -> Result<(), String> {
        match self.var(name, ctx, field)? {
            VarKind::List => Ok(()),
            VarKind::Scalar => Err(format!(
                "{}.{field}: {name} is a single value; it must be extracted with a * pointer",
                ctx.loc
            )),
        }
    }

    /// Checks every source of a template; returns the list variables it uses as whole values.
    fn check(
        &mut self,
        t: &Template,
        place: Place,
        ctx: &Ctx<'_>,
        field: &str,
    ) -> Result<Vec<String>, String> {
        let loc = ctx.loc;
        let mut lists = Vec::new();
        for p in t.placeholders() {
            for s in &p.alternatives {
                match s {
                    Source::Subject(_) | Source::TaskId | Source::RequestReference
                        if !ctx.subject =>
                    {
                        return Err(format!(
                            "{loc}.{field}: subject, task and request values cannot be used here (only secret.* and param.*)"
                        ));
                    }
                    Source::Subject(_) | Source::TaskId | Source::RequestReference => {}
                    Source::Secret(n) => {
                        self.secrets.insert(n.clone());
                    }
                    Source::Param(n) => {
                        self.params.insert(n.clone());
                    }
                    Source::Var(n) if !ctx.subject => {
                        return Err(format!(
                            "{loc}.{field}: {{var.{n}}} cannot be used here (only secret.* and param.*)"
                        ));
                    }
                    Source::Var(n) => {
                        if self.var(n, ctx, field)? == VarKind::List {
                            let whole = t.whole() == Some(p) && p.alternatives.len() == 1;
                            if !whole || !matches!(place, Place::Query | Place::Body) {
                                return Err(format!(
                                    "{loc}.{field}: {{var.{n}}} is a list; it can only be a whole query or body value (or the for_each of a step)"
                                ));
                            }
                            lists.push(n.clone());
                        }
                    }
                    Source::Item(_) if !ctx.item => {
                        return Err(format!(
                            "{loc}.{field}: {{item}} is only available in a step with for_each"
                        ));
                    }
                    Source::Page if !ctx.page => {
                        return Err(format!(
                            "{loc}.{field}: {{page}} is only available in a step with page pagination"
                        ));
                    }
                    Source::Item(_) | Source::Page => {}
                }
            }
        }
        Ok(lists)
    }

    fn json(
        &mut self,
        v: &Value,
        ctx: &Ctx<'_>,
        lists: &mut Vec<String>,
        templates: &mut Vec<Template>,
    ) -> Result<JsonTemplate, String> {
        Ok(match v {
            Value::String(s) => {
                let t = template(s, ctx.loc, "body")?;
                if t.placeholders().next().is_none() {
                    JsonTemplate::Literal(Value::String(t.literal_text()))
                } else {
                    lists.extend(self.check(&t, Place::Body, ctx, "body")?);
                    templates.push(t.clone());
                    JsonTemplate::Text(t)
                }
            }
            Value::Array(items) => JsonTemplate::Array(
                items
                    .iter()
                    .map(|i| self.json(i, ctx, lists, templates))
                    .collect::<Result<_, _>>()?,
            ),
            Value::Object(map) => JsonTemplate::Object(
                map.iter()
                    .map(|(k, v)| Ok((k.clone(), self.json(v, ctx, lists, templates)?)))
                    .collect::<Result<_, String>>()?,
            ),
            other => JsonTemplate::Literal(other.clone()),
        })
    }

    fn step(&mut self, index: Option<usize>, raw: RawStep) -> Result<Step, String> {
        let check = index.is_none();
        let loc = match index {
            Some(i) => format!("step[{i}] ({})", raw.name),
            None => "check".to_owned(),
        };
        let loc = loc.as_str();
        if raw.name.trim().is_empty() {
            return Err(format!("{loc}.name: must not be empty"));
        }
        if check {
            if !raw.actions.is_empty() {
                return Err(format!("{loc}.actions: the check step has no actions"));
            }
            if raw.for_each.is_some() || raw.pagination.is_some() || raw.if_nonempty.is_some() {
                return Err(format!(
                    "{loc}: the check step is one request (no for_each, if_nonempty or pagination)"
                ));
            }
        } else {
            if raw.actions.is_empty() {
                return Err(format!(
                    "{loc}.actions: name the actions the step runs for (access, erase, opt_out, restrict)"
                ));
            }
            for a in &raw.actions {
                if !API_ACTIONS.contains(a) {
                    return Err(format!(
                        "{loc}.actions: {a} is not done by API (only access, erase, opt_out, restrict)"
                    ));
                }
            }
            let unique: BTreeSet<_> = raw.actions.iter().collect();
            if unique.len() != raw.actions.len() {
                return Err(format!("{loc}.actions: an action is listed twice"));
            }
        }
        let pagination = match raw.pagination {
            None => None,
            Some(RawPagination::Cursor {
                cursor,
                param,
                max_pages,
            }) => Some(Pagination::Cursor {
                cursor: single_pointer(&cursor, loc, "pagination.cursor")?,
                param,
                max_pages,
            }),
            Some(RawPagination::Page {
                param,
                start,
                items,
                max_pages,
            }) => Some(Pagination::Page {
                param,
                start,
                items: single_pointer(&items, loc, "pagination.items")?,
                max_pages,
            }),
        };
        if let Some(p) = &pagination
            && !(1..=1000).contains(&p.max_pages())
        {
            return Err(format!(
                "{loc}.pagination.max_pages: must be between 1 and 1000"
            ));
        }
        let ctx = Ctx {
            loc,
            actions: &raw.actions,
            subject: !check,
            item: raw.for_each.is_some(),
            page: matches!(pagination, Some(Pagination::Page { .. })),
        };
        let mut lists = Vec::new();
        let mut templates = Vec::new();

        if let Some(var) = &raw.for_each {
            self.list_var(var, &ctx, "for_each")?;
        }
        if let Some(var) = &raw.if_nonempty {
            self.list_var(var, &ctx, "if_nonempty")?;
        }

        if !raw.path.starts_with('/') {
            return Err(format!("{loc}.path: must start with /"));
        }
        let path = template(&raw.path, loc, "path")?;
        if path.literal_text().contains(['?', '#']) {
            return Err(format!(
                "{loc}.path: put query parameters in the step's query table, not in the path"
            ));
        }
        lists.extend(self.check(&path, Place::Path, &ctx, "path")?);
        templates.push(path.clone());
        if let Some(Pagination::Page { param: None, .. }) = &pagination
            && !path.sources().any(|s| *s == Source::Page)
        {
            return Err(format!(
                "{loc}.pagination: without a param, the path must contain {{page}}"
            ));
        }

        let mut query = Vec::new();
        for (k, v) in &raw.query {
            if k.is_empty() {
                return Err(format!("{loc}.query: a parameter name is empty"));
            }
            let t = template(v, loc, &format!("query.{k}"))?;
            lists.extend(self.check(&t, Place::Query, &ctx, &format!("query.{k}"))?);
            templates.push(t.clone());
            query.push((k.clone(), t));
        }

        let body = match (raw.body, raw.body_format) {
            (None, RawBodyFormat::Form) => {
                return Err(format!("{loc}.body_format: form needs a body table"));
            }
            (None, RawBodyFormat::Json) => None,
            (Some(v), RawBodyFormat::Json) => Some(Body::Json(self.json(
                &v,
                &ctx,
                &mut lists,
                &mut templates,
            )?)),
            (Some(Value::Object(map)), RawBodyFormat::Form) => {
                let mut pairs = Vec::new();
                for (k, v) in map {
                    let text = match v {
                        Value::String(s) => s,
                        Value::Number(_) | Value::Bool(_) => v.to_string(),
                        _ => {
                            return Err(format!(
                                "{loc}.body.{k}: form values are text, numbers or booleans"
                            ));
                        }
                    };
                    let t = template(&text, loc, &format!("body.{k}"))?;
                    lists.extend(self.check(&t, Place::Body, &ctx, &format!("body.{k}"))?);
                    templates.push(t.clone());
                    pairs.push((k, t));
                }
                Some(Body::Form(pairs))
            }
            (Some(_), RawBodyFormat::Form) => {
                return Err(format!("{loc}.body: a form body must be a table"));
            }
        };

        let filter = match raw.filter {
            None => None,
            Some(f) => {
                let equals = template(&f.equals, loc, "filter.equals")?;
                self.check(&equals, Place::Other, &ctx, "filter.equals")?;
                templates.push(equals.clone());
                Some(Filter {
                    array: single_pointer(&f.array, loc, "filter.array")?,
                    field: single_pointer(&f.field, loc, "filter.field")?,
                    equals,
                })
            }
        };

        let mut extract = Vec::new();
        let mut own: HashMap<String, VarKind> = HashMap::new();
        for (name, p) in &raw.extract {
            if !name_ok(name) {
                return Err(format!(
                    "{loc}.extract.{name}: variable names are lower case letters, digits and _"
                ));
            }
            let p = pointer(p, loc, &format!("extract.{name}"))?;
            own.insert(
                name.clone(),
                if p.has_wildcard() {
                    VarKind::List
                } else {
                    VarKind::Scalar
                },
            );
            extract.push((name.clone(), p));
        }
        for r in &raw.require {
            if !own.contains_key(r) {
                return Err(format!("{loc}.require: {r} is not extracted by this step"));
            }
        }

        let collect = match raw.collect {
            None => None,
            Some(c) => {
                if c.dataset.trim().is_empty() {
                    return Err(format!("{loc}.collect.dataset: must not be empty"));
                }
                Some(Collect {
                    pointer: pointer(&c.pointer, loc, "collect.pointer")?,
                    dataset: c.dataset,
                })
            }
        };

        for code in raw.not_found.iter().chain(&raw.success) {
            if !(100..=599).contains(code) {
                return Err(format!("{loc}: {code} is not an HTTP status"));
            }
        }
        if let Some(code) = raw.not_found.iter().find(|c| raw.success.contains(c)) {
            return Err(format!("{loc}.not_found: {code} is also listed as success"));
        }

        let count = match raw.count {
            None => None,
            Some(c) => match c.strip_prefix("var.") {
                Some(var) => {
                    match own.get(var) {
                        Some(VarKind::List) => {}
                        Some(VarKind::Scalar) => {
                            return Err(format!("{loc}.count: {var} is not a list"));
                        }
                        None => self.list_var(var, &ctx, "count")?,
                    }
                    Some(Count::Var(var.to_owned()))
                }
                None => Some(Count::Pointer(pointer(&c, loc, "count")?)),
            },
        };

        let note = match raw.note {
            None => None,
            Some(n) => Some(Note {
                pointer: single_pointer(&n.pointer, loc, "note.pointer")?,
                label: n.label,
            }),
        };

        let effect = raw.effect.map(|e| match e {
            RawEffect::Found => Effect::Found,
            RawEffect::Deleted => Effect::Deleted,
            RawEffect::Anonymised => Effect::Anonymised,
            RawEffect::OptedOut => Effect::OptedOut,
            RawEffect::Restricted => Effect::Restricted,
            RawEffect::Requested => Effect::Requested,
        });

        // Register what this step extracts, for the steps after it.
        for (name, kind) in own {
            let entry = self
                .vars
                .entry(name.clone())
                .or_insert((kind, BTreeSet::new()));
            if entry.0 != kind {
                return Err(format!(
                    "{loc}.extract.{name}: extracted elsewhere as a {} value",
                    if entry.0 == VarKind::List {
                        "list"
                    } else {
                        "single"
                    }
                ));
            }
            entry.1.extend(raw.actions.iter().copied());
        }

        lists.sort();
        lists.dedup();
        let target = raw
            .target
            .or_else(|| collect.as_ref().map(|c| c.dataset.clone()))
            .unwrap_or_else(|| raw.name.clone());
        Ok(Step {
            name: raw.name,
            actions: raw.actions,
            method: match raw.method {
                RawMethod::Get => Method::GET,
                RawMethod::Post => Method::POST,
                RawMethod::Put => Method::PUT,
                RawMethod::Patch => Method::PATCH,
                RawMethod::Delete => Method::DELETE,
            },
            path,
            query,
            body,
            for_each: raw.for_each,
            if_nonempty: raw.if_nonempty,
            extract,
            require: raw.require,
            collect,
            filter,
            pagination,
            not_found: raw.not_found,
            success: raw.success,
            effect,
            target,
            count,
            note,
            list_vars: lists,
            templates,
        })
    }
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
