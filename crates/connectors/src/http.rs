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

mod definition;
mod pointer;
mod template;

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

/// Validates a definition's text (for `dsrflow` subcommands and editors); the error names the
/// place, e.g. `step[1] (delete).path: unknown template variable {var.idz}`.
pub fn validate_definition(text: &str) -> Result<(), String> {
    Definition::parse(text).map(|_| ())
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

/// A simple async token bucket: `burst` requests at once, then `per_second`.
#[derive(Debug)]
struct TokenBucket {
    per_second: f64,
    burst: f64,
    state: std::sync::Mutex<(f64, Instant)>,
}

impl TokenBucket {
    fn new(limit: RateLimit) -> Self {
        let burst = f64::from(limit.burst);
        Self {
            per_second: limit.per_second,
            burst,
            state: std::sync::Mutex::new((burst, Instant::now())),
        }
    }

    /// Waits for a token. Tokens may go negative: each waiter reserves its slot, so concurrent
    /// callers queue up instead of all waking at once.
    async fn acquire(&self) {
        let wait = {
            let mut s = self
                .state
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let now = Instant::now();
            let refill = now.saturating_duration_since(s.1).as_secs_f64() * self.per_second;
            s.0 = (s.0 + refill).min(self.burst) - 1.0;
            s.1 = now;
            if s.0 < 0.0 {
                Duration::from_secs_f64(-s.0 / self.per_second)
            } else {
                Duration::ZERO
            }
        };
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }
}

/// OAuth2 client credentials with the cached token.
#[derive(Debug)]
struct OAuth {
    token_url: Url,
    form: String,
    cache: tokio::sync::Mutex<Option<(String, Instant)>>,
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

/// One prepared request.
#[derive(Debug)]
struct Request {
    method: Method,
    url: Url,
    body: Option<RequestBody>,
}

#[derive(Debug)]
enum RequestBody {
    Json(Value),
    Form(String),
}

/// The state of one call: variables, the report being built, and what to mask in errors.
struct Run<'a> {
    action: Option<TaskAction>,
    subject: Option<&'a Subject>,
    task_id: Option<Uuid>,
    reference: Option<&'a str>,
    vars: HashMap<String, Value>,
    report: Report,
    notes: Vec<String>,
    masks: Vec<String>,
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

    /// The definition's name.
    pub fn definition_name(&self) -> &str {
        &self.def.name
    }

    fn what(&self, step: &str) -> String {
        format!("{} {step}", self.def.name)
    }

    fn host(&self) -> &str {
        self.base.host_str().unwrap_or("the processor")
    }

    fn network_error(&self, what: &str, e: &reqwest::Error) -> ConnectorError {
        // reqwest's own message holds the URL (and so possibly the subject's address in the
        // query): only the kind of failure is kept.
        let kind = if e.is_timeout() {
            "timed out"
        } else if e.is_connect() {
            "could not connect"
        } else if e.is_body() || e.is_decode() {
            "broke off while reading the answer"
        } else {
            "failed"
        };
        ConnectorError::transient(format!("{what}: the request to {} {kind}", self.host()))
    }

    async fn acquire(&self) {
        if let Some(l) = &self.limiter {
            l.acquire().await;
        }
    }

    fn masks(&self, subject: Option<&Subject>) -> Vec<String> {
        let mut masks: Vec<String> = self
            .secrets
            .values()
            .filter(|s| s.len() >= 4)
            .cloned()
            .collect();
        if let Some(s) = subject {
            masks.push(s.email.as_str().to_owned());
            masks.extend(s.name.as_ref().map(|n| n.as_str().to_owned()));
            masks.extend(s.account_id.as_ref().map(|a| a.as_str().to_owned()));
            masks.extend(s.phone.as_ref().map(|p| p.as_str().to_owned()));
        }
        masks
    }

    /// The OAuth2 token, fetched once and reused until shortly before it expires.
    async fn token(&self, oauth: &OAuth, masks: &[String]) -> Result<String, ConnectorError> {
        let mut cache = oauth.cache.lock().await;
        if let Some((token, until)) = cache.as_ref()
            && Instant::now() < *until
        {
            return Ok(token.clone());
        }
        let what = self.what("oauth2 token");
        self.acquire().await;
        let resp = self
            .client
            .post(oauth.token_url.clone())
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(oauth.form.clone())
            .send()
            .await
            .map_err(|e| self.network_error(&what, &e))?;
        let status = resp.status().as_u16();
        let retry_after = retry_after(resp.headers(), SystemTime::now());
        let bytes = self.read_body(resp, &what).await?;
        let json: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        if !(200..300).contains(&status) {
            return Err(status_error(&what, status, retry_after, &json, &[], masks));
        }
        let token = json
            .get("access_token")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                ConnectorError::permanent(format!("{what}: the answer has no access_token"))
            })?
            .to_owned();
        let lifetime = Duration::from_secs(
            json.get("expires_in")
                .and_then(Value::as_u64)
                .unwrap_or(3600),
        );
        // Renew a little early, so a token never expires between check and use.
        let margin = (lifetime / 10).min(Duration::from_secs(60));
        *cache = Some((token.clone(), Instant::now() + lifetime - margin));
        Ok(token)
    }

    async fn read_body(
        &self,
        mut resp: reqwest::Response,
        what: &str,
    ) -> Result<Vec<u8>, ConnectorError> {
        let mut buf = Vec::new();
        while let Some(chunk) = resp
            .chunk()
            .await
            .map_err(|e| self.network_error(what, &e))?
        {
            if buf.len() + chunk.len() > MAX_BODY {
                return Err(ConnectorError::permanent(format!(
                    "{what}: the answer is larger than {} MiB",
                    MAX_BODY / 1024 / 1024
                )));
            }
            buf.extend_from_slice(&chunk);
        }
        Ok(buf)
    }

    /// Sends a request; Ok(None) means a not-found status. An OAuth2 token the processor
    /// rejects is renewed once.
    async fn call(
        &self,
        step: &Step,
        req: &Request,
        masks: &[String],
    ) -> Result<Option<Value>, ConnectorError> {
        let what = self.what(&step.name);
        let mut renewed = false;
        loop {
            self.acquire().await;
            let mut rb = self
                .client
                .request(req.method.clone(), req.url.clone())
                .headers(self.headers.clone());
            if let Some(oauth) = &self.oauth {
                rb = rb.bearer_auth(self.token(oauth, masks).await?);
            }
            rb = match &req.body {
                None => rb,
                Some(RequestBody::Json(v)) => rb.json(v),
                Some(RequestBody::Form(f)) => rb
                    .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(f.clone()),
            };
            let resp = rb.send().await.map_err(|e| self.network_error(&what, &e))?;
            let status = resp.status().as_u16();
            if status == 401
                && !renewed
                && let Some(oauth) = &self.oauth
            {
                *oauth.cache.lock().await = None;
                renewed = true;
                continue;
            }
            let retry = retry_after(resp.headers(), SystemTime::now());
            let bytes = self.read_body(resp, &what).await?;
            let json: Option<Value> = if bytes.iter().all(u8::is_ascii_whitespace) {
                Some(Value::Null)
            } else {
                serde_json::from_slice(&bytes).ok()
            };
            if step.not_found.contains(&status) && !matches!(status, 429 | 500..=599) {
                return Ok(None);
            }
            let success = if step.success.is_empty() {
                (200..300).contains(&status)
            } else {
                step.success.contains(&status)
            };
            if !success {
                let extra: Vec<_> = self
                    .def
                    .response_error
                    .iter()
                    .flat_map(|r| r.message.iter())
                    .collect();
                return Err(status_error(
                    &what,
                    status,
                    retry,
                    json.as_ref().unwrap_or(&Value::Null),
                    &extra,
                    masks,
                ));
            }
            let Some(json) = json else {
                return Err(ConnectorError::permanent(format!(
                    "{what}: the answer (HTTP {status}) is not JSON"
                )));
            };
            if let Some(re) = &self.def.response_error
                && re.pointer.select_one(&json).is_some()
            {
                let reason = re
                    .message
                    .iter()
                    .find_map(|p| p.select_one(&json).map(value_text))
                    .map(|r| format!(": {}", sanitize(&r, masks)))
                    .unwrap_or_default();
                return Err(ConnectorError::permanent(format!(
                    "{what}: the processor answered with an error{reason}"
                )));
            }
            return Ok(Some(json));
        }
    }

    fn scope<'s>(
        &'s self,
        run: &'s Run<'_>,
        item: Option<&'s Value>,
        page: Option<u64>,
    ) -> Scope<'s> {
        Scope {
            subject: run.subject,
            secrets: &self.secrets,
            params: &self.params,
            vars: &run.vars,
            item,
            page,
            task_id: run.task_id,
            reference: run.reference,
        }
    }

    /// Renders a step's request; None when a value it needs is absent.
    fn build_request(
        &self,
        step: &Step,
        scope: &Scope<'_>,
        cursor: Option<&str>,
    ) -> Option<Request> {
        let path = step.path.render(scope, Escape::PathSegment)?;
        let mut url = join_path(&self.base, &path);
        let mut pairs = render_pairs(&step.query, scope)?;
        match &step.pagination {
            Some(Pagination::Cursor { param, .. }) => {
                if let Some(c) = cursor {
                    pairs.push((param.clone(), c.to_owned()));
                }
            }
            Some(Pagination::Page {
                param: Some(param), ..
            }) => pairs.push((param.clone(), scope.page?.to_string())),
            _ => {}
        }
        if !pairs.is_empty() {
            url.query_pairs_mut()
                .extend_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        }
        let body = match &step.body {
            None => None,
            Some(Body::Json(t)) => Some(RequestBody::Json(render_json(t, scope)?)),
            Some(Body::Form(fields)) => Some(RequestBody::Form(encode_form(&render_pairs(
                fields, scope,
            )?))),
        };
        Some(Request {
            method: step.method.clone(),
            url,
            body,
        })
    }

    /// Runs one step: its requests (per element and page), then its report item.
    async fn run_step(&self, step: &Step, run: &mut Run<'_>) -> Result<(), ConnectorError> {
        let what = self.what(&step.name);
        // A value the step needs is absent: skip it (the steps using its variables skip too).
        {
            let scope = self.scope(run, None, None);
            let unset = |v: &String| !run.vars.contains_key(v);
            if step.for_each.as_ref().is_some_and(unset)
                || step.if_nonempty.as_ref().is_some_and(unset)
                || step.templates.iter().any(|t| unresolvable(t, &scope))
            {
                tracing::debug!(step = %what, "skipped: a value it needs is absent");
                return Ok(());
            }
        }
        let collecting = run.action == Some(TaskAction::Access) && step.collect.is_some();
        let reportable = collecting || step.effect.is_some();
        let empty = |v: &String| {
            run.vars
                .get(v)
                .and_then(Value::as_array)
                .is_none_or(Vec::is_empty)
        };
        let items: Vec<Option<Value>> = match &step.for_each {
            Some(v) => run
                .vars
                .get(v)
                .and_then(Value::as_array)
                .map(|a| a.iter().cloned().map(Some).collect())
                .unwrap_or_default(),
            None => vec![None],
        };
        if items.is_empty()
            || step.if_nonempty.as_ref().is_some_and(empty)
            || step.list_vars.iter().any(empty)
        {
            if reportable {
                run.report.items.push(Item {
                    target: step.target.clone(),
                    effect: Effect::NotFound,
                    count: 0,
                    rule: None,
                });
            }
            return Ok(());
        }

        for (name, p) in &step.extract {
            if p.has_wildcard() {
                run.vars.insert(name.clone(), Value::Array(Vec::new()));
            }
        }
        let mut successes = 0u64;
        let mut counted = 0u64;
        let mut records = Vec::new();
        let mut truncated = false;
        for item in &items {
            let mut page = match &step.pagination {
                Some(Pagination::Page { start, .. }) => Some(*start),
                _ => None,
            };
            let mut cursor: Option<String> = None;
            let mut pages = 0u32;
            loop {
                let req = {
                    let scope = self.scope(run, item.as_ref(), page);
                    self.build_request(step, &scope, cursor.as_deref())
                };
                let Some(req) = req else {
                    break;
                };
                let Some(mut body) = self.call(step, &req, &run.masks).await? else {
                    break;
                };
                successes += 1;
                pages += 1;
                // Whether there is a next page is decided on the unfiltered answer.
                let next = match &step.pagination {
                    None => None,
                    Some(Pagination::Cursor { cursor: p, .. }) => p
                        .select_one(&body)
                        .map(value_text)
                        .filter(|c| !c.is_empty())
                        .map(Some),
                    Some(Pagination::Page { items, .. }) => items
                        .select_one(&body)
                        .and_then(Value::as_array)
                        .is_some_and(|a| !a.is_empty())
                        .then_some(None),
                };
                if let Some(f) = &step.filter {
                    let want = {
                        let scope = self.scope(run, item.as_ref(), page);
                        f.equals.render(&scope, Escape::None)
                    };
                    if let Some(Value::Array(elements)) = f.array.select_mut(&mut body) {
                        elements.retain(|e| match (&want, f.field.select_one(e)) {
                            (Some(w), Some(v)) => value_text(v).to_lowercase() == w.to_lowercase(),
                            _ => false,
                        });
                    }
                }
                for (name, p) in &step.extract {
                    if p.has_wildcard() {
                        let found: Vec<Value> = p.select(&body).into_iter().cloned().collect();
                        if let Some(Value::Array(list)) = run.vars.get_mut(name) {
                            list.extend(found);
                        }
                    } else if let Some(v) = p.select_one(&body) {
                        run.vars.insert(name.clone(), v.clone());
                    }
                }
                if collecting && let Some(c) = &step.collect {
                    records.extend(c.pointer.select(&body).into_iter().cloned());
                }
                if let Some(Count::Pointer(p)) = &step.count {
                    counted += p.select(&body).len() as u64;
                }
                if let Some(n) = &step.note
                    && let Some(v) = n.pointer.select_one(&body)
                {
                    run.notes.push(format!(
                        "{}{}",
                        n.label.as_deref().unwrap_or_default(),
                        value_text(v)
                    ));
                }
                match next {
                    None => break,
                    Some(_)
                        if step
                            .pagination
                            .as_ref()
                            .is_some_and(|p| pages >= p.max_pages()) =>
                    {
                        tracing::warn!(step = %what, pages, "stopped at the page guard (max_pages)");
                        truncated = true;
                        break;
                    }
                    Some(Some(c)) => cursor = Some(c),
                    Some(None) => page = page.map(|p| p + 1),
                }
            }
        }

        for r in &step.require {
            let present = run.vars.get(r).is_some_and(|v| match v {
                Value::Null | Value::Bool(false) => false,
                Value::String(s) => !s.is_empty(),
                Value::Array(a) => !a.is_empty(),
                _ => true,
            });
            if !present {
                return Err(ConnectorError::permanent(format!(
                    "{what}: the answer has no {r} (wrong credentials or parameters?)"
                )));
            }
        }

        if collecting && let Some(c) = &step.collect {
            let n = records.len() as u64;
            run.report.items.push(Item {
                target: c.dataset.clone(),
                effect: if n > 0 {
                    Effect::Found
                } else {
                    Effect::NotFound
                },
                count: n,
                rule: None,
            });
            if n > 0 {
                match run.report.data.iter_mut().find(|d| d.name == c.dataset) {
                    Some(d) => {
                        d.records.extend(records);
                        d.truncated |= truncated;
                    }
                    None => run.report.data.push(Dataset {
                        name: c.dataset.clone(),
                        records,
                        truncated,
                    }),
                }
            }
        } else if let Some(effect) = step.effect {
            let count = match &step.count {
                None => successes,
                Some(Count::Pointer(_)) => counted,
                Some(Count::Var(v)) if successes > 0 => run
                    .vars
                    .get(v)
                    .and_then(Value::as_array)
                    .map_or(0, |a| a.len() as u64),
                Some(Count::Var(_)) => 0,
            };
            run.report.items.push(Item {
                target: step.target.clone(),
                effect: if count > 0 { effect } else { Effect::NotFound },
                count,
                rule: None,
            });
        }
        Ok(())
    }

    fn manual_instructions(&self, action: TaskAction) -> String {
        let base = crate::manual::action_instructions(action);
        match self.def.manual.get(&action) {
            Some(extra) => format!("{}: {base}. {extra}.", self.system),
            None => format!(
                "{}: {base}; the {} connector does not do this by API.",
                self.system, self.def.name
            ),
        }
    }
}

/// Whether a placeholder of the template can never resolve in this call (all its
/// alternatives are subject fields or variables, and none is present).
fn unresolvable(t: &Template, scope: &Scope<'_>) -> bool {
    t.placeholders().any(|p| {
        p.alternatives.iter().all(|s| {
            matches!(
                s,
                Source::Subject(_) | Source::Var(_) | Source::TaskId | Source::RequestReference
            )
        }) && scope.resolve(p).is_none()
    })
}

/// Renders name/value pairs (a query or a form); a whole list placeholder repeats the name.
fn render_pairs(fields: &[(String, Template)], scope: &Scope<'_>) -> Option<Vec<(String, String)>> {
    let mut pairs = Vec::new();
    for (k, t) in fields {
        match t.whole().map(|p| scope.resolve(p)) {
            Some(None) => return None,
            Some(Some(Value::Array(items))) => {
                pairs.extend(items.iter().map(|i| (k.clone(), value_text(i))));
            }
            _ => pairs.push((k.clone(), t.render(scope, Escape::None)?)),
        }
    }
    Some(pairs)
}

fn render_json(t: &JsonTemplate, scope: &Scope<'_>) -> Option<Value> {
    Some(match t {
        JsonTemplate::Literal(v) => v.clone(),
        JsonTemplate::Text(t) => t.render_value(scope)?,
        JsonTemplate::Array(items) => Value::Array(
            items
                .iter()
                .map(|i| render_json(i, scope))
                .collect::<Option<_>>()?,
        ),
        JsonTemplate::Object(fields) => Value::Object(
            fields
                .iter()
                .map(|(k, v)| Some((k.clone(), render_json(v, scope)?)))
                .collect::<Option<_>>()?,
        ),
    })
}

/// The base URL with an (already encoded) path appended to its own path.
fn join_path(base: &Url, path: &str) -> Url {
    let mut url = base.clone();
    let prefix = base.path().trim_end_matches('/');
    url.set_path(&format!("{prefix}{path}"));
    url
}

fn list<'a>(names: impl Iterator<Item = &'a String>) -> String {
    let v: Vec<&str> = names.map(String::as_str).collect();
    if v.is_empty() {
        "none".to_owned()
    } else {
        v.join(", ")
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

/// The delay a `Retry-After` header asks for: seconds, or an HTTP date (compared with `now`).
fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let v = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = SystemTime::from(chrono::DateTime::parse_from_rfc2822(v).ok()?);
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Masks secrets, the subject's identifiers and anything that looks like an address, drops
/// control characters and keeps the text short.
fn sanitize(text: &str, masks: &[String]) -> String {
    let mut s = text.to_owned();
    for m in masks {
        if !m.is_empty() {
            s = s.replace(m.as_str(), "***");
        }
    }
    let s: String = s
        .split_whitespace()
        .map(|w| if w.contains('@') { "***" } else { w })
        .collect::<Vec<_>>()
        .join(" ");
    let s: String = s.chars().filter(|c| !c.is_control()).collect();
    if s.chars().count() > 160 {
        format!("{}…", s.chars().take(160).collect::<String>())
    } else {
        s
    }
}

/// The error for a status that is neither success nor not-found.
fn status_error(
    what: &str,
    status: u16,
    retry_after: Option<Duration>,
    body: &Value,
    extra_reasons: &[&pointer::Pointer],
    masks: &[String],
) -> ConnectorError {
    const REASONS: [&str; 9] = [
        "/error/message",
        "/error/data/message",
        "/error_description",
        "/errors/0/detail",
        "/errors/0/message",
        "/detail",
        "/message",
        "/reason",
        "/error",
    ];
    let reason = extra_reasons
        .iter()
        .find_map(|p| p.select_one(body).map(value_text))
        .or_else(|| {
            REASONS.iter().find_map(|p| {
                pointer::Pointer::parse(p)
                    .ok()?
                    .select_one(body)
                    .filter(|v| v.is_string())
                    .map(value_text)
            })
        })
        .map(|r| format!(": {}", sanitize(&r, masks)))
        .unwrap_or_default();
    match status {
        429 => ConnectorError::Transient {
            message: format!("{what}: HTTP 429 (rate limited){reason}"),
            retry_after,
        },
        408 | 500..=599 => ConnectorError::Transient {
            message: format!("{what}: HTTP {status} (the processor failed){reason}"),
            retry_after,
        },
        _ => {
            let hint = match status {
                300..=399 => "a redirect, which is not followed",
                400 | 422 => "the request was rejected",
                401 => "the credentials were rejected",
                403 => "the credentials lack a permission",
                404 => "not found",
                409 => "conflict",
                _ => "unexpected answer",
            };
            ConnectorError::permanent(format!("{what}: HTTP {status} ({hint}){reason}"))
        }
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
                instructions: self.manual_instructions(req.action),
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
