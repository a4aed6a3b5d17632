//! The `http` connector: a REST (or JSON-RPC) processor described declaratively by a
//! *definition*, run by a small step interpreter.
//!
//! # Configuration
//!
//! ```toml
//! [system.connection]
//! definition = "stripe"                   # a shipped definition, or:
//! # definition_file = "/etc/dsrflow/acme.toml"
//! base_url = "http://127.0.0.1:9999"      # optional: overrides the definition's (EU hosts, tests)
//! rate_limit = 2.0                        # optional: requests per second, overrides the
//!                                         #   definition's (its burst stays)
//! timeout_secs = 20                       # optional: overrides the definition
//! [system.connection.secrets]             # every value must be env:VARIABLE
//! api_key = "env:STRIPE_SECRET_KEY"
//! [system.connection.params]              # plain values the definition refers to
//! project_id = "12345"
//! ```
//!
//! Start-up fails with a [`BuildError`] naming the key when the definition is unknown or
//! invalid (`definition`, `definition_file`), a secret or parameter the definition uses is
//! missing, written literally or unused (`secrets.NAME`, `params.NAME`), or the base URL is bad
//! (`base_url`).
//!
//! # Definition format
//!
//! A definition is a TOML file. Shipped ones live in `crates/connectors/definitions/` and are
//! compiled in ([`shipped_definitions`]).
//!
//! ```toml
//! name = "stripe"                         # lower case, digits, _
//! description = "…"                       # optional
//! base_url = "https://api.stripe.com"
//! timeout_secs = 30                       # per request, default 30
//! rate_limit = { per_second = 10.0, burst = 5 }   # optional token bucket per connector
//! [headers]                               # fixed headers (templates: secret.*/param.* only)
//! Stripe-Version = "2025-09-30.clover"
//! [auth]                                  # one of:
//! type = "bearer"                         #   token = "{secret.api_key}"
//! # type = "basic"                        #   username = "…", password = "…"
//! # type = "header"                       #   name = "Authorization", value = "Klaviyo-API-Key {secret.api_key}"
//! # type = "oauth2_client_credentials"    #   token_url = "/v1/oauth/token" (or absolute),
//! #                                       #   client_id, client_secret, scope (optional);
//! #                                       #   the token is cached until shortly before expires_in
//! # type = "none"                         #   (the default)
//! [response_error]                        # optional: JSON-RPC style errors in a 2xx answer
//! pointer = "/error"                      #   present (not null/false) ⇒ permanent failure
//! message = ["/error/data/name", "/error/message"]   # where to read a short reason
//! [manual]                                # optional: extra instructions for actions done by hand
//! access = "…"
//! [check]                                 # optional: one cheap authenticated request (a step
//! name = "list one customer"              #   without actions, subject values or for_each)
//! method = "GET"
//! path = "/v1/customers"
//!
//! [[step]]                                # steps run in order, those listing the action
//! name = "search customers"               # unique; used in errors and as the default target
//! actions = ["access", "erase"]           # access, erase, opt_out, restrict
//! method = "GET"                          # GET, POST, PUT, PATCH, DELETE
//! path = "/v1/customers/search"           # template; values are percent-encoded per segment
//! query = { query = "email:'{subject.email|escape_quotes}'" }   # templates; URL-encoded
//! body = { … }                            # JSON with templates in strings (optional)
//! body_format = "json"                    # or "form" (a flat table)
//! for_each = "customer_ids"               # repeat the request per element of a list variable
//! if_nonempty = "customer_ids"            # run once, only when the list has elements
//! extract = { customer_ids = "/data/*/id" }          # variables from the answer (JSON pointer,
//!                                                    #   `*` = every element ⇒ a list variable)
//! require = ["uid"]                       # extracted variables that must be present (else fail)
//! collect = { dataset = "customers", pointer = "/data/*" }   # access only: records to return
//! filter = { array = "/data", field = "/email", equals = "{subject.email}" }   # keep exact matches
//! pagination = { kind = "cursor", cursor = "/next_page", param = "page", max_pages = 10 }
//! # pagination = { kind = "page", param = "page", start = 1, items = "/data", max_pages = 10 }
//! #   (without param, the path holds {page}); an empty `items` array or a missing cursor ends
//! not_found = [404]                       # statuses meaning "nothing there" (count 0)
//! success = [200, 202]                    # statuses meaning success (default: any 2xx)
//! effect = "deleted"                      # found, deleted, anonymised, opted_out, restricted,
//!                                         #   requested (async processor job)
//! target = "customers"                    # report target (default: dataset or step name)
//! count = "var.customer_ids"              # count: a list's length, or a "/pointer" summed over
//!                                         #   answers (default: successful requests)
//! note = { pointer = "/result/0/log_id/0", label = "Odoo privacy.log #" }   # into Report.note
//! ```
//!
//! **Templates.** `{subject.email}`, `{subject.name}`, `{subject.account_id}`,
//! `{subject.phone}`, `{secret.NAME}`, `{param.NAME}`, `{var.NAME}`, `{item}` / `{item.FIELD}`
//! (inside `for_each`), `{page}`, `{task.id}`, `{request.reference}`; alternatives with ` or `
//! (`{subject.name or subject.email}`), filters after `|` (`escape_quotes`, `lower`,
//! `strip_gmail_dots`); `{{`/`}}` for literal braces. A template that is exactly one placeholder
//! keeps the value's JSON type: a list variable becomes a JSON array (or a repeated query
//! parameter), a number stays a number. List variables cannot be spliced into text or paths.
//! Every name is checked when the definition is loaded, including that each `{var.X}` is
//! extracted by an earlier step running for the same actions.
//!
//! **Running.** For an action, the steps listing it run in order. A step whose template needs a
//! subject field the request lacks (or a variable an earlier skipped step would have set) is
//! skipped, and so are the steps depending on it. A step whose `for_each`, `if_nonempty` or
//! whole-value list variable is empty has nothing to do and reports `not_found` with count 0.
//! Steps with `collect` (in access) or `effect` add one [`Item`] each; lookups without either
//! only feed variables. Actions no step lists, and `rectify`, `notify`, `decide`, become
//! [`Outcome::Manual`].
//!
//! **Errors.** Network errors, timeouts, 408 and 5xx are transient; 429 is transient with the
//! `Retry-After` delay (seconds or HTTP date); other statuses that are neither success nor
//! not-found are permanent, with the status and a short reason from the answer. Messages never
//! hold request URLs, secrets or the subject's identifiers (words with `@` are masked).
//! Redirects are not followed (they would carry the credentials elsewhere).

mod call;
mod definition;
mod pointer;
mod step;
mod template;

use self::call::*;
use self::step::*;

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant, SystemTime};

use base64::Engine as _;
use dsrflow_domain::TaskAction;
use dsrflow_domain::datamap::System;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderValue, RETRY_AFTER};
use reqwest::{Method, Url};
use serde::Deserialize;
use serde_json::Value;
use uuid::Uuid;

use self::definition::{
    API_ACTIONS, Auth, Body, Count, Definition, JsonTemplate, Pagination, RateLimit, SHIPPED, Step,
};
use self::template::{Escape, Scope, Source, Template, encode_form, value_text};
use crate::config::{BuildError, Env, parse, resolve, resolve_secret};
use crate::{
    Connector, ConnectorError, Dataset, Effect, Item, Outcome, Report, Subject, TaskRequest,
};

/// Largest answer read (anything bigger is refused rather than buffered).
const MAX_BODY: usize = 16 * 1024 * 1024;

/// The names of the shipped definitions.
pub fn shipped_definitions() -> impl Iterator<Item = &'static str> {
    SHIPPED.iter().map(|(name, _)| *name)
}

/// The text of a shipped definition.
pub fn shipped_definition(name: &str) -> Option<&'static str> {
    SHIPPED.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HttpConfig {
    #[serde(default)]
    definition: Option<String>,
    #[serde(default)]
    definition_file: Option<String>,
    #[serde(default)]
    base_url: Option<String>,
    #[serde(default)]
    secrets: BTreeMap<String, String>,
    #[serde(default)]
    params: BTreeMap<String, Value>,
    #[serde(default)]
    rate_limit: Option<f64>,
    #[serde(default)]
    timeout_secs: Option<u64>,
}

/// A connector driven by a definition.
pub struct HttpConnector {
    system: String,
    def: Definition,
    base: Url,
    client: reqwest::Client,
    secrets: BTreeMap<String, String>,
    params: BTreeMap<String, Value>,
    headers: HeaderMap,
    oauth: Option<OAuth>,
    limiter: Option<TokenBucket>,
}

impl std::fmt::Debug for HttpConnector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Secrets and resolved headers stay out of debug output.
        f.debug_struct("HttpConnector")
            .field("system", &self.system)
            .field("definition", &self.def.name)
            .field("base_url", &self.base.as_str())
            .finish_non_exhaustive()
    }
}

impl HttpConnector {
    /// Builds the connector from a system's `connection` table, validating the definition, the
    /// secrets and the parameters.
    pub fn from_config(system: &System, value: &Value, env: Env<'_>) -> Result<Self, BuildError> {
        // reqwest is built without a default crypto provider; installing ring is idempotent.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let cfg: HttpConfig = parse(value)?;
        let def = load_definition(&cfg)?;

        let base_text = match &cfg.base_url {
            Some(b) => resolve(b, "base_url", env)?,
            None => def.base_url.clone(),
        };
        let base =
            definition::check_base_url(&base_text).map_err(|e| BuildError::new("base_url", e))?;
        let loopback = matches!(base.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
        if base.scheme() == "http" && !loopback {
            tracing::warn!(
                system = %system.name,
                "the http connector's base URL is not https: credentials travel in clear text"
            );
        }

        let mut secrets = BTreeMap::new();
        for name in &def.secrets {
            let key = format!("secrets.{name}");
            let raw = cfg.secrets.get(name).ok_or_else(|| {
                BuildError::new(
                    &key,
                    format!(
                        "the {} definition needs this secret (give it as env:VARIABLE)",
                        def.name
                    ),
                )
            })?;
            secrets.insert(name.clone(), resolve_secret(raw, &key, env)?);
        }
        if let Some(extra) = cfg.secrets.keys().find(|k| !def.secrets.contains(*k)) {
            return Err(BuildError::new(
                format!("secrets.{extra}"),
                format!(
                    "not used by the {} definition (it uses: {})",
                    def.name,
                    list(def.secrets.iter())
                ),
            ));
        }
        let mut params = BTreeMap::new();
        for name in &def.params {
            let key = format!("params.{name}");
            let v = cfg.params.get(name).ok_or_else(|| {
                BuildError::new(
                    &key,
                    format!("the {} definition needs this parameter", def.name),
                )
            })?;
            let v = match v {
                Value::String(s) => Value::String(resolve(s, &key, env)?),
                Value::Number(_) | Value::Bool(_) => v.clone(),
                _ => {
                    return Err(BuildError::new(key, "must be text, a number or a boolean"));
                }
            };
            params.insert(name.clone(), v);
        }
        if let Some(extra) = cfg.params.keys().find(|k| !def.params.contains(*k)) {
            return Err(BuildError::new(
                format!("params.{extra}"),
                format!(
                    "not used by the {} definition (it uses: {})",
                    def.name,
                    list(def.params.iter())
                ),
            ));
        }

        let rate_limit = match cfg.rate_limit {
            None => def.rate_limit,
            Some(r) if r.is_finite() && r > 0.0 => Some(RateLimit {
                per_second: r,
                burst: def.rate_limit.map_or(1, |l| l.burst),
            }),
            Some(_) => {
                return Err(BuildError::new(
                    "rate_limit",
                    "must be a positive number of requests per second",
                ));
            }
        };
        let timeout = match cfg.timeout_secs {
            None => def.timeout,
            Some(t) if (1..=300).contains(&t) => Duration::from_secs(t),
            Some(_) => {
                return Err(BuildError::new("timeout_secs", "must be between 1 and 300"));
            }
        };

        let vars = HashMap::new();
        let scope = Scope {
            subject: None,
            secrets: &secrets,
            params: &params,
            vars: &vars,
            item: None,
            page: None,
            task_id: None,
            reference: None,
        };
        let render = |t: &Template| t.render(&scope, Escape::None).unwrap_or_default();
        let header_value = |text: String, key: &str| {
            let mut v = HeaderValue::from_str(&text).map_err(|_| {
                BuildError::new(
                    key,
                    "a secret or parameter has characters not allowed in HTTP headers",
                )
            })?;
            v.set_sensitive(true);
            Ok::<_, BuildError>(v)
        };
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        for (name, t) in &def.headers {
            headers.insert(name.clone(), header_value(render(t), "params")?);
        }
        let mut oauth = None;
        match &def.auth {
            Auth::None => {}
            Auth::Bearer(t) => {
                headers.insert(
                    AUTHORIZATION,
                    header_value(format!("Bearer {}", render(t)), "secrets")?,
                );
            }
            Auth::Basic(user, password) => {
                let pair = format!("{}:{}", render(user), render(password));
                let encoded = base64::engine::general_purpose::STANDARD.encode(pair);
                headers.insert(
                    AUTHORIZATION,
                    header_value(format!("Basic {encoded}"), "secrets")?,
                );
            }
            Auth::Header(name, t) => {
                headers.insert(name.clone(), header_value(render(t), "secrets")?);
            }
            Auth::OAuth2 {
                token_url,
                client_id,
                client_secret,
                scope: oauth_scope,
            } => {
                let token_url = if token_url.starts_with('/') {
                    join_path(&base, token_url)
                } else {
                    definition::check_base_url(token_url).map_err(|e| {
                        BuildError::new("definition", format!("auth.token_url: {e}"))
                    })?
                };
                let mut pairs = vec![
                    ("grant_type".to_owned(), "client_credentials".to_owned()),
                    ("client_id".to_owned(), render(client_id)),
                    ("client_secret".to_owned(), render(client_secret)),
                ];
                if let Some(s) = oauth_scope {
                    pairs.push(("scope".to_owned(), render(s)));
                }
                oauth = Some(OAuth {
                    token_url,
                    form: encode_form(&pairs),
                    cache: tokio::sync::Mutex::new(None),
                });
            }
        }

        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("dsrflow/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| BuildError::new("", format!("cannot build the HTTP client: {e}")))?;

        Ok(Self {
            system: system.name.clone(),
            limiter: rate_limit.map(TokenBucket::new),
            def,
            base,
            client,
            secrets,
            params,
            headers,
            oauth,
        })
    }
}

fn load_definition(cfg: &HttpConfig) -> Result<Definition, BuildError> {
    let shipped = || shipped_definitions().collect::<Vec<_>>().join(", ");
    match (&cfg.definition, &cfg.definition_file) {
        (Some(name), None) => {
            let text = shipped_definition(name).ok_or_else(|| {
                BuildError::new(
                    "definition",
                    format!(
                        "unknown definition {name:?}; shipped definitions: {}",
                        shipped()
                    ),
                )
            })?;
            Definition::parse(text).map_err(|e| BuildError::new("definition", e))
        }
        (None, Some(path)) => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                BuildError::new("definition_file", format!("cannot read {path}: {e}"))
            })?;
            Definition::parse(&text).map_err(|e| BuildError::new("definition_file", e))
        }
        _ => Err(BuildError::new(
            "definition",
            format!(
                "give either definition = \"NAME\" (shipped: {}) or definition_file = \"/path/to/definition.toml\"",
                shipped()
            ),
        )),
    }
}

#[async_trait::async_trait]
impl Connector for HttpConnector {
    async fn check(&self) -> Result<String, ConnectorError> {
        let masks = self.masks(None);
        if let Some(step) = &self.def.check {
            let mut run = Run {
                action: None,
                subject: None,
                task_id: None,
                reference: None,
                vars: HashMap::new(),
                report: Report::default(),
                notes: Vec::new(),
                masks,
            };
            self.run_step(step, &mut run).await?;
            return Ok(format!(
                "{}: {} succeeded at {}",
                self.def.name,
                step.name,
                self.host()
            ));
        }
        if let Some(oauth) = &self.oauth {
            self.token(oauth, &masks).await?;
            return Ok(format!(
                "{}: OAuth2 token obtained from {}",
                self.def.name,
                self.host()
            ));
        }
        self.acquire().await;
        let what = self.what("check");
        let resp = self
            .client
            .get(self.base.clone())
            .send()
            .await
            .map_err(|e| self.network_error(&what, &e))?;
        Ok(format!(
            "{}: {} answers (HTTP {}); secrets resolved",
            self.def.name,
            self.host(),
            resp.status().as_u16()
        ))
    }

    async fn run(&self, req: &TaskRequest<'_>) -> Result<Outcome, ConnectorError> {
        if !API_ACTIONS.contains(&req.action) || !self.def.covers(req.action) {
            return Ok(Outcome::Manual {
                instructions: self.manual_instructions(req.action, req.kind),
            });
        }
        let mut run = Run {
            action: Some(req.action),
            subject: Some(req.subject),
            task_id: Some(req.task_id),
            reference: Some(req.reference),
            vars: HashMap::new(),
            report: Report::default(),
            notes: Vec::new(),
            masks: self.masks(Some(req.subject)),
        };
        for step in self
            .def
            .steps
            .iter()
            .filter(|s| s.actions.contains(&req.action))
        {
            self.run_step(step, &mut run).await?;
        }
        let mut report = run.report;
        if !run.notes.is_empty() {
            report.note = Some(run.notes.join("; "));
        }
        Ok(Outcome::Done(report))
    }
}

#[cfg(test)]
#[expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on a broken fixture"
)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, HeaderValue::from_static("7"));
        assert_eq!(
            retry_after(&h, SystemTime::UNIX_EPOCH),
            Some(Duration::from_secs(7))
        );
        h.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Thu, 01 Jan 1970 00:01:40 GMT"),
        );
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(40);
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(60)));
        let later = SystemTime::UNIX_EPOCH + Duration::from_secs(400);
        assert_eq!(retry_after(&h, later), Some(Duration::ZERO));
        h.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&h, now), None);
    }

    #[test]
    fn error_reasons_are_masked_and_short() {
        let masks = vec!["sk_live_secret".to_owned(), "Jane Doe".to_owned()];
        let s = sanitize(
            "No customer jane@example.com for Jane Doe (key sk_live_secret)\n",
            &masks,
        );
        assert_eq!(s, "No customer *** for *** (key ***)");
        assert!(sanitize(&"x".repeat(500), &[]).chars().count() <= 161);
    }

    #[test]
    fn statuses_map_to_transient_or_permanent() {
        let body = json!({"error": {"message": "Invalid API Key provided: sk_****"}});
        match status_error("stripe x", 401, None, &body, &[], &[]) {
            ConnectorError::Permanent { message } => {
                assert!(message.contains("HTTP 401"), "{message}");
                assert!(message.contains("Invalid API Key"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            status_error("x", 503, None, &Value::Null, &[], &[]),
            ConnectorError::Transient { .. }
        ));
        assert!(matches!(
            status_error("x", 429, Some(Duration::from_secs(3)), &Value::Null, &[], &[]),
            ConnectorError::Transient { retry_after: Some(d), .. } if d == Duration::from_secs(3)
        ));
    }

    #[test]
    fn paths_join_onto_base_paths() {
        let base = Url::parse("https://h.example/api/").unwrap();
        assert_eq!(
            join_path(&base, "/x/a%20b").as_str(),
            "https://h.example/api/x/a%20b"
        );
    }

    #[tokio::test]
    async fn the_token_bucket_allows_a_burst_then_spaces_requests() {
        let b = TokenBucket::new(RateLimit {
            per_second: 50.0,
            burst: 2,
        });
        let start = Instant::now();
        for _ in 0..4 {
            b.acquire().await;
        }
        // Two immediately, then two more at 20 ms intervals.
        assert!(start.elapsed() >= Duration::from_millis(38));
    }
}
