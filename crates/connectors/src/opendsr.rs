//! The `opendsr` connector: a processor speaking OpenDSR 2.0 (formerly OpenGDPR), and the
//! verification of the status callbacks such processors send back.
//!
//! # Requests
//! Access, portability and erasure are forwarded as OpenDSR subject requests
//! (`POST {base}/requests`, PROCESSORS.md §1.4) and then polled (`GET {base}/requests/{id}`,
//! §1.6) until the processor reports `completed` or `cancelled`. Other actions have no OpenDSR
//! request type and become manual tasks. The processor's discovery document (§1.3) is read once
//! per connector instance, before the first request, to refuse request and identity types the
//! processor does not support before anything personal leaves dsrflow.
//!
//! The `subject_request_id` is derived from the task id ([`subject_request_id`]), so every
//! attempt of a task, even after a crash between the POST and the commit of its result, sends
//! the same id; a processor answering that the id already exists has therefore already got
//! *this* request, and the connector carries on polling it.
//!
//! # Callbacks
//! [`verify_callback`] is the pure check the web layer runs on `POST {status_callback_url}`
//! (§1.7, the specification's §8.8 and `security_guidelines.md`): allow-listed processor domain,
//! a certificate chaining to a trusted root with the domain in its SAN, and a signature over the
//! raw body, all before the JSON is read. [`fetch_certificate`] and
//! [`verify_callback_fetching`] get the processor's certificate from its discovery document and
//! refresh it when verification fails (a rotated key).
//!
//! # Choices where the specification is ambiguous
//! * `regulation` is REQUIRED and only `"gdpr"` and `"ccpa"` are defined: CCPA requests say
//!   `"ccpa"`; every other regime (UK GDPR, VCDPA, LGPD, nFADP, Québec) says `"gdpr"`, whose
//!   rights are a superset of the three request types OpenDSR carries.
//! * `email_sha256` is the lowercase hex SHA-256 of the normalised (trimmed, lower-cased)
//!   address; the specification names the format but not the encoding.
//! * Any 2xx answers a create, 409 — or 400 whose error object says "duplicate"/"already
//!   exists" — means the id is known; 408, 429 and 5xx are transient; other 4xx and redirects
//!   (never followed, so the bearer token cannot leak) are permanent.
//! * Signatures are RSA PKCS#1 v1.5 with SHA-256 or ECDSA P-256 with SHA-256 over the raw
//!   bytes, chosen by the certificate's key (§4.2 only names FIPS 186-4).
//! * An invalid signature is refused with 403 (§8.8), not 400 (`security_guidelines.md`); a
//!   certificate that fails validation with 401 (`security_guidelines.md` 5.b).
//! * Response signatures of the create and status answers are not verified: TLS already
//!   authenticates the processor on those calls (opengdpr/OpenDSR#50).
//! * Revocation is not checked (no CRL or OCSP is fetched); a certificate that stops
//!   verifying is fetched again, at most once a minute per domain.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use dsrflow_domain::{Regime, RequestKind, TaskAction};
use reqwest::header::{AUTHORIZATION, HeaderMap, RETRY_AFTER};
use reqwest::{Method, StatusCode, Url};
use rustls::pki_types::pem::PemObject;
pub use rustls::pki_types::{CertificateDer, UnixTime};
use rustls::pki_types::{ServerName, TrustAnchor};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::config::{BuildError, Env, parse, resolve_secret};
use crate::{Connector, ConnectorError, Effect, Item, Outcome, Report, Subject, TaskRequest};

/// The OpenDSR version this connector speaks, sent as `api_version`.
pub const API_VERSION: &str = "2.0";
/// The header naming the processor's domain (§8.3).
pub const DOMAIN_HEADER: &str = "x-opendsr-processor-domain";
/// The header carrying the base64 signature (§8.3).
pub const SIGNATURE_HEADER: &str = "x-opendsr-signature";
/// The v1 name of [`DOMAIN_HEADER`], still honoured (§10.1).
pub const LEGACY_DOMAIN_HEADER: &str = "x-opengdpr-processor-domain";
/// The v1 name of [`SIGNATURE_HEADER`], still honoured (§10.1).
pub const LEGACY_SIGNATURE_HEADER: &str = "x-opengdpr-signature";

/// The longest processor error message quoted in a task error.
const MAX_MESSAGE: usize = 300;
/// The largest discovery document or certificate file read.
const MAX_DOCUMENT: usize = 256 * 1024;
/// How soon a certificate may be fetched again after a failed verification (a flood of forged
/// callbacks must not become a flood of requests to the processor).
const MIN_REFETCH: Duration = Duration::from_secs(60);

// ---------------------------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------------------------

fn default_poll_secs() -> u64 {
    3600
}

fn default_timeout_secs() -> u64 {
    30
}

fn default_identity_types() -> Vec<IdentityKind> {
    vec![IdentityKind::Email]
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OpendsrConfig {
    base_url: String,
    processor_domain: String,
    controller_id: String,
    #[serde(default)]
    callback_url: Option<String>,
    #[serde(default = "default_identity_types")]
    identity_types: Vec<IdentityKind>,
    #[serde(default = "default_poll_secs")]
    poll_secs: u64,
    #[serde(default = "default_timeout_secs")]
    timeout_secs: u64,
    #[serde(default)]
    secrets: SecretsConfig,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SecretsConfig {
    #[serde(default)]
    token: Option<String>,
}

/// A subject identifier the connector can send (`identity_types` in the configuration).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentityKind {
    /// The email address as is (`email`/`raw`).
    Email,
    /// The lowercase hex SHA-256 of the normalised email address (`email`/`sha256`).
    EmailSha256,
    /// The subject's account id (`controller_customer_id`/`raw`).
    ControllerCustomerId,
}

impl IdentityKind {
    /// The OpenDSR `identity_type`.
    pub fn identity_type(self) -> &'static str {
        match self {
            IdentityKind::Email | IdentityKind::EmailSha256 => "email",
            IdentityKind::ControllerCustomerId => "controller_customer_id",
        }
    }

    /// The OpenDSR `identity_format`.
    pub fn identity_format(self) -> &'static str {
        match self {
            IdentityKind::Email | IdentityKind::ControllerCustomerId => "raw",
            IdentityKind::EmailSha256 => "sha256",
        }
    }

    /// The value for a subject, if the subject has one.
    fn value(self, subject: &Subject) -> Option<String> {
        match self {
            IdentityKind::Email => Some(subject.email.as_str().to_owned()),
            IdentityKind::EmailSha256 => Some(hex::encode(Sha256::digest(
                subject.email.as_str().as_bytes(),
            ))),
            IdentityKind::ControllerCustomerId => {
                subject.account_id.as_ref().map(|a| a.as_str().to_owned())
            }
        }
    }
}

/// Parses an `http(s)` URL; plain `http` only to a loopback host (local stand-ins), since the
/// specification requires TLS (§3.3) and the bearer token travels with every request.
fn parse_url(raw: &str, key: &str) -> Result<Url, BuildError> {
    let url = Url::parse(raw).map_err(|e| BuildError::new(key, format!("not a URL: {e}")))?;
    let loopback = matches!(
        url.host_str(),
        Some("localhost" | "127.0.0.1" | "[::1]" | "::1")
    );
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        "http" => {
            return Err(BuildError::new(
                key,
                "must use https (OpenDSR requires TLS; http is accepted only for localhost)",
            ));
        }
        other => return Err(BuildError::new(key, format!("unsupported scheme {other}"))),
    }
    if url.host_str().is_none() {
        return Err(BuildError::new(key, "has no host"));
    }
    Ok(url)
}

/// Checks and lower-cases a processor domain.
fn parse_domain(raw: &str, key: &str) -> Result<String, BuildError> {
    let domain = raw.trim().trim_end_matches('.').to_ascii_lowercase();
    match ServerName::try_from(domain.as_str()) {
        Ok(ServerName::DnsName(_)) if domain.contains('.') => Ok(domain),
        _ => Err(BuildError::new(
            key,
            "must be the processor's DNS name, e.g. opendsr.processor.example",
        )),
    }
}

/// The base URL as text without a trailing slash, so `{base}/requests` joins cleanly.
fn base_text(url: &Url) -> String {
    url.as_str().trim_end_matches('/').to_owned()
}

// ---------------------------------------------------------------------------------------------
// Wire types
// ---------------------------------------------------------------------------------------------

/// An OpenDSR subject request type (§1.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubjectRequestType {
    /// Erasure (GDPR Art. 17).
    Erasure,
    /// Access (Art. 15).
    Access,
    /// Portability (Art. 20).
    Portability,
}

impl SubjectRequestType {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            SubjectRequestType::Erasure => "erasure",
            SubjectRequestType::Access => "access",
            SubjectRequestType::Portability => "portability",
        }
    }

    /// The request type for a task, or `None` when OpenDSR has none (objection, restriction,
    /// rectification, notification have no OpenDSR request type).
    pub fn for_task(action: TaskAction, kind: RequestKind) -> Option<Self> {
        match action {
            TaskAction::Access if kind == RequestKind::Portability => {
                Some(SubjectRequestType::Portability)
            }
            TaskAction::Access => Some(SubjectRequestType::Access),
            TaskAction::Erase => Some(SubjectRequestType::Erasure),
            TaskAction::OptOut
            | TaskAction::Restrict
            | TaskAction::Rectify
            | TaskAction::Notify
            | TaskAction::Decide => None,
        }
    }
}

/// The status of an OpenDSR request (§1.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestStatus {
    /// A well-formed request was received.
    Pending,
    /// The processor is acting on it.
    InProgress,
    /// Fulfilled.
    Completed,
    /// Cancelled (by the controller or the processor).
    Cancelled,
}

impl RequestStatus {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            RequestStatus::Pending => "pending",
            RequestStatus::InProgress => "in_progress",
            RequestStatus::Completed => "completed",
            RequestStatus::Cancelled => "cancelled",
        }
    }

    /// Parses a wire name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(RequestStatus::Pending),
            "in_progress" => Some(RequestStatus::InProgress),
            "completed" => Some(RequestStatus::Completed),
            "cancelled" => Some(RequestStatus::Cancelled),
            _ => None,
        }
    }
}

/// One `supported_identities` entry of a discovery document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupportedIdentity {
    /// `identity_type`, e.g. `email`.
    pub identity_type: String,
    /// `identity_format`, e.g. `raw`.
    pub identity_format: String,
}

/// A processor's discovery document (§1.3). Read leniently: missing lists are empty.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Discovery {
    /// The processor's API version.
    #[serde(default)]
    pub api_version: String,
    /// Identity type/format pairs it accepts.
    #[serde(default)]
    pub supported_identities: Vec<SupportedIdentity>,
    /// Request types it accepts.
    #[serde(default)]
    pub supported_subject_request_types: Vec<String>,
    /// Where its callback-signing certificate can be downloaded.
    #[serde(default)]
    pub processor_certificate: Option<String>,
}

impl Discovery {
    /// Whether the processor accepts a request type.
    pub fn supports_type(&self, t: SubjectRequestType) -> bool {
        self.supported_subject_request_types
            .iter()
            .any(|s| s.eq_ignore_ascii_case(t.as_str()))
    }

    /// Whether the processor accepts an identity type and format.
    pub fn supports_identity(&self, kind: IdentityKind) -> bool {
        self.supported_identities.iter().any(|i| {
            i.identity_type.eq_ignore_ascii_case(kind.identity_type())
                && i.identity_format
                    .eq_ignore_ascii_case(kind.identity_format())
        })
    }

    fn identities_text(&self) -> String {
        if self.supported_identities.is_empty() {
            return "none".to_owned();
        }
        self.supported_identities
            .iter()
            .map(|i| format!("{}/{}", clean(&i.identity_type), clean(&i.identity_format)))
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn types_text(&self) -> String {
        if self.supported_subject_request_types.is_empty() {
            return "none".to_owned();
        }
        self.supported_subject_request_types
            .iter()
            .map(|t| clean(t))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The fields of a 201 create answer we read. `encoded_request` is deliberately not a field:
/// the controller "MUST NOT log or store" it (§7.3), so it is dropped while parsing.
#[derive(Debug, Deserialize)]
struct CreateResponse {
    #[serde(default)]
    subject_request_id: Option<String>,
    #[serde(default)]
    controller_id: Option<String>,
}

/// A status answer (§8.3).
#[derive(Debug, Deserialize)]
struct StatusResponse {
    request_status: String,
    #[serde(default)]
    subject_request_id: Option<String>,
    #[serde(default)]
    controller_id: Option<String>,
    #[serde(default)]
    results_url: Option<String>,
    #[serde(default)]
    results_count: Option<u64>,
}

/// The error object (§7.6).
#[derive(Debug, Default, Deserialize)]
struct ErrorEnvelope {
    #[serde(default)]
    error: Option<ErrorObject>,
}

#[derive(Debug, Default, Deserialize)]
struct ErrorObject {
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    errors: Vec<ErrorDetail>,
}

#[derive(Debug, Default, Deserialize)]
struct ErrorDetail {
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

impl ErrorObject {
    /// Whether the processor says the id exists already.
    fn is_duplicate(&self) -> bool {
        let says = |s: &Option<String>| {
            s.as_deref().is_some_and(|s| {
                let s = s.to_ascii_lowercase();
                s.contains("duplicate") || s.contains("already exist")
            })
        };
        says(&self.message)
            || self
                .errors
                .iter()
                .any(|e| says(&e.reason) || says(&e.message))
    }

    /// The first message it carries.
    fn text(&self) -> Option<&str> {
        self.message
            .as_deref()
            .or_else(|| self.errors.iter().find_map(|e| e.message.as_deref()))
    }
}

/// Keeps processor-supplied text printable and short.
fn clean(s: &str) -> String {
    let mut out: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX_MESSAGE)
        .collect();
    if s.chars().count() > MAX_MESSAGE {
        out.push('…');
    }
    out
}

/// Replaces every occurrence of the identities we sent (any case) so a processor echoing the
/// subject's address never puts it in a task error.
fn redact(message: &str, values: &[String]) -> String {
    let mut out = message.to_owned();
    for v in values.iter().filter(|v| !v.is_empty()) {
        let lower = out.to_lowercase();
        let needle = v.to_lowercase();
        if lower.len() != out.len() {
            // Lower-casing changed byte offsets (non-ASCII text): replace exact matches only.
            out = out.replace(v.as_str(), "[redacted]");
            continue;
        }
        let mut result = String::with_capacity(out.len());
        let mut last = 0;
        for (start, _) in lower.match_indices(&needle) {
            if start < last {
                continue;
            }
            result.push_str(&out[last..start]);
            result.push_str("[redacted]");
            last = start + needle.len();
        }
        result.push_str(&out[last..]);
        out = result;
    }
    out
}

/// The `subject_request_id` of a task: a lowercase UUID v4 derived from the task id.
///
/// The task id's 16 bytes are kept and only the version nibble (set to 4) and the RFC 4122
/// variant bits are overwritten, so the same task always sends the same id — a retry after a
/// crash between the POST and the commit re-sends the request the processor already has, and
/// its "already exists" answer is taken as success. Task ids are UUID v4 or v7, whose version
/// and variant bits are fixed, so no two tasks share an id.
pub fn subject_request_id(task_id: Uuid) -> Uuid {
    uuid::Builder::from_random_bytes(task_id.into_bytes()).into_uuid()
}

/// The `regulation` of a request: `ccpa` for the CCPA, `gdpr` otherwise (the specification
/// defines only these two values; see the module documentation).
pub fn regulation(regime: Regime) -> &'static str {
    match regime {
        Regime::Ccpa => "ccpa",
        Regime::Gdpr
        | Regime::UkGdpr
        | Regime::Vcdpa
        | Regime::Lgpd
        | Regime::Nfadp
        | Regime::Quebec => "gdpr",
    }
}

/// Parses a `Retry-After` given in seconds (an HTTP date is ignored: there is no clock here).
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    headers
        .get(RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

/// Builds the HTTP client: ring as the TLS provider, a timeout, no redirects (a redirected
/// request would carry the bearer token somewhere the configuration did not name).
fn http_client(timeout: Duration) -> Result<reqwest::Client, reqwest::Error> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("dsrflow/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// An answer read in full.
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

/// Sends a request; network failures and timeouts are transient.
async fn send(
    client: &reqwest::Client,
    method: Method,
    url: &str,
    token: Option<&str>,
    body: Option<&Value>,
    what: &str,
) -> Result<Answer, ConnectorError> {
    let mut rb = client
        .request(method, url)
        .header(reqwest::header::ACCEPT, "application/json");
    if let Some(t) = token {
        rb = rb.header(AUTHORIZATION, format!("Bearer {t}"));
    }
    if let Some(b) = body {
        rb = rb.json(b);
    }
    let network = |e: reqwest::Error| {
        let kind = if e.is_timeout() {
            "timed out"
        } else if e.is_connect() {
            "could not connect"
        } else {
            "failed"
        };
        // The reqwest error names the URL only, never a body; still, keep it out of the message.
        ConnectorError::transient(format!("{what}: the call to the processor {kind}"))
    };
    let resp = rb.send().await.map_err(network)?;
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = resp.bytes().await.map_err(network)?.to_vec();
    Ok(Answer {
        status,
        headers,
        body,
    })
}

/// Turns an unsuccessful answer into an error: 408, 429 and 5xx are transient, everything else
/// permanent, quoting the error object's message with the identities removed.
fn http_error(answer: &Answer, what: &str, identities: &[String]) -> ConnectorError {
    let code = answer.status.as_u16();
    let object = serde_json::from_slice::<ErrorEnvelope>(&answer.body)
        .ok()
        .and_then(|e| e.error);
    let detail = object
        .as_ref()
        .and_then(ErrorObject::text)
        .map(|m| format!(": {}", clean(&redact(m, identities))))
        .unwrap_or_default();
    if code == 429 || code == 408 || answer.status.is_server_error() {
        let message = if code == 429 {
            format!("{what}: the processor is rate limiting (HTTP 429){detail}")
        } else {
            format!("{what}: the processor answered HTTP {code}{detail}")
        };
        return ConnectorError::Transient {
            message,
            retry_after: retry_after(&answer.headers),
        };
    }
    if answer.status.is_redirection() {
        return ConnectorError::permanent(format!(
            "{what}: the processor answered with a redirect (HTTP {code}); set base_url to the final address"
        ));
    }
    ConnectorError::permanent(format!(
        "{what}: the processor refused it (HTTP {code}){detail}"
    ))
}

// ---------------------------------------------------------------------------------------------
// Connector
// ---------------------------------------------------------------------------------------------

/// A connector to one OpenDSR processor.
pub struct OpendsrConnector {
    base: String,
    base_url: Url,
    domain: String,
    controller_id: String,
    callback_url: Option<String>,
    identities: Vec<IdentityKind>,
    poll: Duration,
    token: Option<String>,
    client: reqwest::Client,
    discovery: tokio::sync::RwLock<Option<Arc<Discovery>>>,
}

impl std::fmt::Debug for OpendsrConnector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpendsrConnector")
            .field("base", &self.base)
            .field("domain", &self.domain)
            .field("controller_id", &self.controller_id)
            .field("identities", &self.identities)
            .field("poll", &self.poll)
            .field("token", &self.token.as_ref().map(|_| "…"))
            .finish_non_exhaustive()
    }
}

impl OpendsrConnector {
    /// Builds it from the system's `connection` table:
    ///
    /// ```toml
    /// base_url = "https://opendsr.processor.example/v1"  # versioned base URL (§3.4)
    /// processor_domain = "opendsr.processor.example"     # its X-OpenDSR-Processor-Domain
    /// controller_id = "acme-hosting"                      # our id at the processor
    /// callback_url = "https://privacy.acme.example/api/v1/opendsr/callback"  # optional
    /// identity_types = ["email"]   # email | email_sha256 | controller_customer_id
    /// poll_secs = 3600             # between status checks (default 1 h)
    /// timeout_secs = 30            # per HTTP call (default 30 s)
    /// [secrets]
    /// token = "env:PROCESSOR_TOKEN"   # optional, sent as Authorization: Bearer
    /// ```
    pub fn from_config(value: &Value, env: Env<'_>) -> Result<Self, BuildError> {
        let c: OpendsrConfig = parse(value)?;
        let base_url = parse_url(&c.base_url, "base_url")?;
        let domain = parse_domain(&c.processor_domain, "processor_domain")?;
        if c.controller_id.trim().is_empty() {
            return Err(BuildError::new(
                "controller_id",
                "must be our id at the processor",
            ));
        }
        let callback_url = match &c.callback_url {
            Some(u) => Some(parse_url(u, "callback_url")?.to_string()),
            None => None,
        };
        if c.identity_types.is_empty() {
            return Err(BuildError::new(
                "identity_types",
                "must name at least one of email, email_sha256, controller_customer_id",
            ));
        }
        let mut identities = Vec::new();
        for k in c.identity_types {
            if identities.contains(&k) {
                return Err(BuildError::new("identity_types", "lists a type twice"));
            }
            identities.push(k);
        }
        if c.poll_secs == 0 {
            return Err(BuildError::new("poll_secs", "must be at least 1"));
        }
        if !(1..=300).contains(&c.timeout_secs) {
            return Err(BuildError::new("timeout_secs", "must be between 1 and 300"));
        }
        let token = match &c.secrets.token {
            Some(t) => Some(resolve_secret(t, "secrets.token", env)?),
            None => None,
        };
        let client = http_client(Duration::from_secs(c.timeout_secs))
            .map_err(|e| BuildError::new("", format!("cannot build the HTTP client: {e}")))?;
        Ok(Self {
            base: base_text(&base_url),
            base_url,
            domain,
            controller_id: c.controller_id,
            callback_url,
            identities,
            poll: Duration::from_secs(c.poll_secs),
            token,
            client,
            discovery: tokio::sync::RwLock::new(None),
        })
    }

    /// The processor's domain (its `X-OpenDSR-Processor-Domain`).
    pub fn processor_domain(&self) -> &str {
        &self.domain
    }

    /// What the callback endpoint needs to trust this processor's callbacks.
    pub fn trusted_processor(&self) -> TrustedProcessor {
        TrustedProcessor {
            domain: self.domain.clone(),
            base_url: self.base_url.clone(),
            token: self.token.clone(),
        }
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        what: &str,
    ) -> Result<Answer, ConnectorError> {
        let url = format!("{}{path}", self.base);
        send(
            &self.client,
            method,
            &url,
            self.token.as_deref(),
            body,
            what,
        )
        .await
    }

    /// Reads the discovery document from the processor (never from the cache).
    async fn fetch_discovery(&self) -> Result<Arc<Discovery>, ConnectorError> {
        let what = "OpenDSR discovery";
        let answer = self.call(Method::GET, "/discovery", None, what).await?;
        if !answer.status.is_success() {
            return Err(http_error(&answer, what, &[]));
        }
        let d: Discovery = serde_json::from_slice(&answer.body).map_err(|e| {
            ConnectorError::permanent(format!(
                "{what}: the processor's answer is not a discovery document ({e})"
            ))
        })?;
        let d = Arc::new(d);
        *self.discovery.write().await = Some(d.clone());
        Ok(d)
    }

    /// The discovery document, read once per connector instance.
    async fn discovery(&self) -> Result<Arc<Discovery>, ConnectorError> {
        if let Some(d) = self.discovery.read().await.clone() {
            return Ok(d);
        }
        self.fetch_discovery().await
    }

    /// The configured identity types the processor accepts, or why none is.
    fn usable_identities(&self, d: &Discovery) -> Result<Vec<IdentityKind>, ConnectorError> {
        let usable: Vec<IdentityKind> = self
            .identities
            .iter()
            .copied()
            .filter(|k| d.supports_identity(*k))
            .collect();
        if usable.is_empty() {
            let configured = self
                .identities
                .iter()
                .map(|k| format!("{}/{}", k.identity_type(), k.identity_format()))
                .collect::<Vec<_>>()
                .join(", ");
            return Err(ConnectorError::permanent(format!(
                "{} supports none of the configured identity types ({configured}); it supports: {}",
                self.domain,
                d.identities_text()
            )));
        }
        Ok(usable)
    }

    /// Creates the request (first attempt, or a retry that never got an answer).
    async fn create(
        &self,
        req: &TaskRequest<'_>,
        kind: SubjectRequestType,
    ) -> Result<Outcome, ConnectorError> {
        let discovery = self.discovery().await?;
        if !discovery.supports_type(kind) {
            return Err(ConnectorError::permanent(format!(
                "{} does not accept OpenDSR {} requests (it accepts: {})",
                self.domain,
                kind.as_str(),
                discovery.types_text()
            )));
        }
        let usable = self.usable_identities(&discovery)?;
        let mut identities = Vec::new();
        let mut values = Vec::new();
        for k in usable {
            if let Some(v) = k.value(req.subject) {
                identities.push(json!({
                    "identity_type": k.identity_type(),
                    "identity_value": v,
                    "identity_format": k.identity_format(),
                }));
                values.push(v);
            }
        }
        if identities.is_empty() {
            return Err(ConnectorError::permanent(format!(
                "the subject has no value for any identity type {} accepts (an account id is needed for controller_customer_id)",
                self.domain
            )));
        }
        let id = subject_request_id(req.task_id).to_string();
        let mut body = json!({
            "regulation": regulation(req.regime),
            "subject_request_id": id,
            "subject_request_type": kind.as_str(),
            "subject_identities": identities,
            // The time of the subject's own request, not of forwarding (§7.1.1).
            "submitted_time": req.received_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "api_version": API_VERSION,
        });
        if let (Some(cb), Some(obj)) = (&self.callback_url, body.as_object_mut()) {
            obj.insert("status_callback_urls".to_owned(), json!([cb]));
        }
        let what = format!("OpenDSR {} request", kind.as_str());
        let answer = self
            .call(Method::POST, "/requests", Some(&body), &what)
            .await?;
        if answer.status.is_success() {
            if let Ok(r) = serde_json::from_slice::<CreateResponse>(&answer.body) {
                if let Some(got) = &r.subject_request_id
                    && !got.eq_ignore_ascii_case(&id)
                {
                    return Err(ConnectorError::permanent(format!(
                        "{what}: the processor acknowledged another subject_request_id than the one sent"
                    )));
                }
                self.warn_controller(r.controller_id.as_deref());
            }
            tracing::info!(domain = %self.domain, subject_request_id = %id, "OpenDSR request created");
            return Ok(Outcome::Pending {
                external_ref: id,
                check_after: self.poll,
            });
        }
        let duplicate = answer.status == StatusCode::CONFLICT
            || (answer.status == StatusCode::BAD_REQUEST
                && serde_json::from_slice::<ErrorEnvelope>(&answer.body)
                    .ok()
                    .and_then(|e| e.error)
                    .is_some_and(|e| e.is_duplicate()));
        if duplicate {
            // The id is derived from the task id: a previous attempt created it (and crashed or
            // lost the answer before recording it). Carry on with that request.
            tracing::info!(domain = %self.domain, subject_request_id = %id, "OpenDSR request already exists; polling it");
            return Ok(Outcome::Pending {
                external_ref: id,
                check_after: self.poll,
            });
        }
        Err(http_error(&answer, &what, &values))
    }

    fn warn_controller(&self, got: Option<&str>) {
        if let Some(got) = got
            && got != self.controller_id
        {
            tracing::warn!(
                domain = %self.domain,
                expected = %self.controller_id,
                got = %clean(got),
                "the processor files our requests under another controller_id"
            );
        }
    }

    /// Asks the processor for the status of a request it has.
    async fn status(
        &self,
        external_ref: &str,
        kind: SubjectRequestType,
    ) -> Result<Outcome, ConnectorError> {
        let id = parse_request_id(external_ref)?;
        let what = format!("OpenDSR {} request {id}", kind.as_str());
        let answer = self
            .call(Method::GET, &format!("/requests/{id}"), None, &what)
            .await?;
        if !answer.status.is_success() {
            return Err(http_error(&answer, &what, &[]));
        }
        let s: StatusResponse = serde_json::from_slice(&answer.body).map_err(|e| {
            ConnectorError::permanent(format!(
                "{what}: the processor's answer is not an OpenDSR status ({e})"
            ))
        })?;
        if let Some(got) = &s.subject_request_id
            && !got.eq_ignore_ascii_case(&id)
        {
            return Err(ConnectorError::permanent(format!(
                "{what}: the processor answered about another subject_request_id"
            )));
        }
        self.warn_controller(s.controller_id.as_deref());
        match RequestStatus::parse(&s.request_status) {
            Some(RequestStatus::Pending | RequestStatus::InProgress) => Ok(Outcome::Pending {
                external_ref: id,
                check_after: self.poll,
            }),
            Some(RequestStatus::Completed) => Ok(Outcome::Done(self.report(
                &id,
                kind,
                s.results_url.as_deref(),
                s.results_count,
            ))),
            Some(RequestStatus::Cancelled) => Err(ConnectorError::permanent(format!(
                "{what}: cancelled by the processor"
            ))),
            None => Err(ConnectorError::permanent(format!(
                "{what}: the processor reported an unknown status {:?}",
                clean(&s.request_status)
            ))),
        }
    }

    /// The report of a completed request: one item for the processor.
    fn report(
        &self,
        id: &str,
        kind: SubjectRequestType,
        results_url: Option<&str>,
        results_count: Option<u64>,
    ) -> Report {
        let (effect, count) = match kind {
            SubjectRequestType::Erasure => (Effect::Deleted, 1),
            SubjectRequestType::Access | SubjectRequestType::Portability => {
                // No count but a results URL: one result set is waiting there.
                let count = results_count.unwrap_or(u64::from(results_url.is_some()));
                let effect = if count > 0 {
                    Effect::Found
                } else {
                    Effect::NotFound
                };
                (effect, count)
            }
        };
        let note = match results_url {
            Some(u) => format!(
                "{} completed OpenDSR request {id}; results: {}",
                self.domain,
                clean(u)
            ),
            None => format!("{} completed OpenDSR request {id}", self.domain),
        };
        Report {
            items: vec![Item {
                target: self.domain.clone(),
                effect,
                count,
                rule: None,
            }],
            data: Vec::new(),
            note: Some(note),
        }
    }

    /// Cancels a request the processor still has pending (`DELETE {base}/requests/{id}`, 202),
    /// for a request withdrawn by the subject. A processor refuses once work has started.
    pub async fn cancel(&self, subject_request_id: &str) -> Result<(), ConnectorError> {
        let id = parse_request_id(subject_request_id)?;
        let what = format!("cancelling OpenDSR request {id}");
        let answer = self
            .call(Method::DELETE, &format!("/requests/{id}"), None, &what)
            .await?;
        if answer.status.is_success() {
            return Ok(());
        }
        Err(http_error(&answer, &what, &[]))
    }
}

/// Checks an external reference is a subject request id before putting it in a path.
fn parse_request_id(raw: &str) -> Result<String, ConnectorError> {
    Uuid::parse_str(raw).map(|u| u.to_string()).map_err(|_| {
        ConnectorError::permanent("the stored OpenDSR subject_request_id is not a UUID")
    })
}

#[async_trait::async_trait]
impl Connector for OpendsrConnector {
    async fn check(&self) -> Result<String, ConnectorError> {
        let d = self.fetch_discovery().await?;
        let usable = self.usable_identities(&d)?;
        let usable = usable
            .iter()
            .map(|k| format!("{}/{}", k.identity_type(), k.identity_format()))
            .collect::<Vec<_>>()
            .join(", ");
        Ok(format!(
            "OpenDSR {} at {}: request types {}; identities {}; sending {usable}",
            clean(&d.api_version),
            self.domain,
            d.types_text(),
            d.identities_text()
        ))
    }

    async fn run(&self, req: &TaskRequest<'_>) -> Result<Outcome, ConnectorError> {
        let Some(kind) = SubjectRequestType::for_task(req.action, req.kind) else {
            return Ok(Outcome::Manual {
                instructions: format!(
                    "{}: OpenDSR has no request for this action; ask the processor by other means to {}.",
                    self.domain,
                    crate::manual::action_instructions(req.action)
                ),
            });
        };
        match req.external_ref {
            Some(id) => self.status(id, kind).await,
            None => self.create(req, kind).await,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Callbacks
// ---------------------------------------------------------------------------------------------

/// A processor whose callbacks are accepted: its domain (the allow-list entry) and where its
/// discovery document is.
#[derive(Clone)]
pub struct TrustedProcessor {
    /// The domain, lower-case.
    pub domain: String,
    /// The versioned base URL (`{base}/discovery`).
    pub base_url: Url,
    token: Option<String>,
}

impl std::fmt::Debug for TrustedProcessor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrustedProcessor")
            .field("domain", &self.domain)
            .field("base_url", &self.base_url.as_str())
            .finish_non_exhaustive()
    }
}

impl TrustedProcessor {
    /// A processor at `base_url` with `domain`, without an API token.
    pub fn new(domain: &str, base_url: &str) -> Result<Self, BuildError> {
        Ok(Self {
            domain: parse_domain(domain, "processor_domain")?,
            base_url: parse_url(base_url, "base_url")?,
            token: None,
        })
    }

    /// The processor of an `opendsr` system's `connection` table.
    pub fn from_config(connection: &Value, env: Env<'_>) -> Result<Self, BuildError> {
        OpendsrConnector::from_config(connection, env).map(|c| c.trusted_processor())
    }
}

/// A processor's certificate chain (end entity first) and when it was fetched.
#[derive(Debug, Clone)]
struct CachedCertificate {
    chain: Arc<Vec<CertificateDer<'static>>>,
    fetched_at: UnixTime,
}

/// Processors' callback-signing certificates by domain, shared between requests.
#[derive(Debug, Clone, Default)]
pub struct CertificateCache {
    inner: Arc<RwLock<HashMap<String, CachedCertificate>>>,
}

impl CertificateCache {
    /// Stores a PEM file for a domain: the end-entity certificate first, then any
    /// intermediates. Returns how many certificates it holds.
    pub fn insert_pem(
        &self,
        domain: &str,
        pem: &[u8],
        fetched_at: UnixTime,
    ) -> Result<usize, CallbackError> {
        let domain = domain.to_ascii_lowercase();
        let unavailable = |reason: String| CallbackError::CertificateUnavailable {
            domain: domain.clone(),
            reason,
        };
        let chain = CertificateDer::pem_slice_iter(pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| unavailable(format!("not a PEM certificate file ({e})")))?;
        if chain.is_empty() {
            return Err(unavailable("the file holds no certificate".to_owned()));
        }
        let n = chain.len();
        self.inner
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(
                domain.clone(),
                CachedCertificate {
                    chain: Arc::new(chain),
                    fetched_at,
                },
            );
        Ok(n)
    }

    /// Forgets a domain's certificate.
    pub fn remove(&self, domain: &str) {
        self.inner
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&domain.to_ascii_lowercase());
    }

    /// Whether a certificate is cached for a domain.
    pub fn contains(&self, domain: &str) -> bool {
        self.get(domain).is_some()
    }

    fn get(&self, domain: &str) -> Option<CachedCertificate> {
        self.inner
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&domain.to_ascii_lowercase())
            .cloned()
    }

    /// Whether a failed verification may fetch the certificate again now.
    fn may_refetch(&self, domain: &str, now: UnixTime) -> bool {
        self.get(domain).is_none_or(|c| {
            now.as_secs().saturating_sub(c.fetched_at.as_secs()) >= MIN_REFETCH.as_secs()
        })
    }
}

/// Why a [`CallbackTrust`] could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrustError {
    /// A configured root is not a usable trust anchor.
    #[error("trust root {index} is not a usable CA certificate: {reason}")]
    BadRoot {
        /// Its position.
        index: usize,
        /// Why.
        reason: String,
    },
    /// The HTTP client could not be built.
    #[error("cannot build the HTTP client: {0}")]
    Client(String),
}

/// What callback verification trusts: the allow-list of processors, the root CAs, the
/// certificate cache, and the time "now" is (certificates must be valid then).
///
/// Build one at start-up and derive a copy per callback with [`CallbackTrust::at`]; copies
/// share the cache.
#[derive(Clone)]
pub struct CallbackTrust {
    processors: Arc<BTreeMap<String, TrustedProcessor>>,
    roots: Arc<Vec<TrustAnchor<'static>>>,
    /// The processors' certificates.
    pub certs: CertificateCache,
    /// The time certificates must be valid at.
    pub now: UnixTime,
    client: reqwest::Client,
}

impl std::fmt::Debug for CallbackTrust {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallbackTrust")
            .field("processors", &self.processors.keys().collect::<Vec<_>>())
            .field("roots", &self.roots.len())
            .field("now", &self.now)
            .finish_non_exhaustive()
    }
}

impl CallbackTrust {
    /// Trusts these processors' callbacks, with certificates chaining to `roots`.
    pub fn new(
        processors: impl IntoIterator<Item = TrustedProcessor>,
        roots: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<Self, TrustError> {
        let anchors = roots
            .iter()
            .enumerate()
            .map(|(index, r)| {
                webpki::anchor_from_trusted_cert(r)
                    .map(|a| a.to_owned())
                    .map_err(|e| TrustError::BadRoot {
                        index,
                        reason: e.to_string(),
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Self::from_anchors(processors, anchors, now)
    }

    /// Trusts these processors' callbacks, with certificates chaining to the public web PKI
    /// (the Mozilla roots of `webpki-roots`).
    pub fn with_public_roots(
        processors: impl IntoIterator<Item = TrustedProcessor>,
        now: UnixTime,
    ) -> Result<Self, TrustError> {
        Self::from_anchors(processors, webpki_roots::TLS_SERVER_ROOTS.to_vec(), now)
    }

    fn from_anchors(
        processors: impl IntoIterator<Item = TrustedProcessor>,
        roots: Vec<TrustAnchor<'static>>,
        now: UnixTime,
    ) -> Result<Self, TrustError> {
        let client =
            http_client(Duration::from_secs(20)).map_err(|e| TrustError::Client(e.to_string()))?;
        Ok(Self {
            processors: Arc::new(
                processors
                    .into_iter()
                    .map(|p| (p.domain.clone(), p))
                    .collect(),
            ),
            roots: Arc::new(roots),
            certs: CertificateCache::default(),
            now,
            client,
        })
    }

    /// The same trust at another time (sharing the cache).
    pub fn at(&self, now: UnixTime) -> Self {
        Self {
            now,
            ..self.clone()
        }
    }

    /// Whether callbacks from a domain are accepted at all.
    pub fn is_allowed(&self, domain: &str) -> bool {
        self.processors.contains_key(&domain.to_ascii_lowercase())
    }
}

/// A verified status callback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Callback {
    /// The processor that sent it (allow-listed, and named in its certificate).
    pub processor_domain: String,
    /// The request it is about (our `external_ref`).
    pub subject_request_id: Uuid,
    /// The new status.
    pub request_status: RequestStatus,
    /// Where access results can be fetched.
    pub results_url: Option<String>,
    /// How many results.
    pub results_count: Option<u64>,
}

/// Why a callback was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallbackError {
    /// The processor domain header is missing or not on the allow-list.
    #[error("callback from a processor that is not configured ({0})")]
    UnknownProcessor(String),
    /// No certificate could be had for the processor.
    #[error("no certificate is available for {domain}: {reason}")]
    CertificateUnavailable {
        /// The processor domain.
        domain: String,
        /// Why.
        reason: String,
    },
    /// The processor's certificate is not acceptable (expired, untrusted, self-signed, not for
    /// this domain).
    #[error("the certificate of {domain} is not acceptable: {reason}")]
    BadCertificate {
        /// The processor domain.
        domain: String,
        /// Why.
        reason: String,
    },
    /// The signature is missing, malformed or does not verify over the body.
    #[error("the callback's signature does not verify")]
    BadSignature,
    /// The body is not an OpenDSR callback.
    #[error("the callback body is not a valid OpenDSR callback: {0}")]
    BadPayload(String),
    /// The callback names another `status_callback_url` than the one it reached.
    #[error("the callback was addressed to another status_callback_url")]
    WrongUrl,
}

impl CallbackError {
    /// The HTTP status the callback endpoint answers with: 401 for an unknown processor or a
    /// certificate that fails validation (`security_guidelines.md` 5.b), 403 for a bad
    /// signature (the specification's §8.8; `security_guidelines.md` says 400 — we follow the
    /// specification), 503 when no certificate could be fetched (the processor retries), 400
    /// for a malformed body or a callback meant for another URL.
    pub fn http_status(&self) -> u16 {
        match self {
            CallbackError::UnknownProcessor(_) | CallbackError::BadCertificate { .. } => 401,
            CallbackError::BadSignature => 403,
            CallbackError::CertificateUnavailable { .. } => 503,
            CallbackError::BadPayload(_) | CallbackError::WrongUrl => 400,
        }
    }
}

/// The values of a header (case-insensitive name), trimmed.
fn header_values<'a>(headers: &'a [(String, String)], names: &[&str]) -> Vec<&'a str> {
    headers
        .iter()
        .filter(|(n, _)| names.iter().any(|w| n.eq_ignore_ascii_case(w)))
        .map(|(_, v)| v.trim())
        .collect()
}

/// The processor domain a callback claims, or why it has none.
fn claimed_domain(headers: &[(String, String)]) -> Result<String, CallbackError> {
    let values = header_values(headers, &[DOMAIN_HEADER, LEGACY_DOMAIN_HEADER]);
    let Some(first) = values.first() else {
        return Err(CallbackError::UnknownProcessor(
            "no X-OpenDSR-Processor-Domain header".to_owned(),
        ));
    };
    let domain = first.trim_end_matches('.').to_ascii_lowercase();
    if values
        .iter()
        .any(|v| !v.trim_end_matches('.').eq_ignore_ascii_case(&domain))
    {
        return Err(CallbackError::UnknownProcessor(
            "conflicting processor domain headers".to_owned(),
        ));
    }
    Ok(domain)
}

/// Accepts any extended key usage: OpenDSR defines none, and processors commonly sign with a
/// TLS server certificate of their OpenDSR subdomain.
struct AnyPurpose;

impl webpki::ExtendedKeyUsageValidator for AnyPurpose {
    fn validate(&self, iter: webpki::KeyPurposeIdIter<'_, '_>) -> Result<(), webpki::Error> {
        for purpose in iter {
            purpose?;
        }
        Ok(())
    }
}

/// Validates a processor's certificate: not self-signed (§4.1), chaining to a trusted root and
/// valid at `now`, with the processor domain in its SAN.
fn check_certificate(
    chain: &[CertificateDer<'static>],
    domain: &str,
    roots: &[TrustAnchor<'static>],
    now: UnixTime,
) -> Result<(), CallbackError> {
    let bad = |reason: String| CallbackError::BadCertificate {
        domain: domain.to_owned(),
        reason,
    };
    let (leaf, intermediates) = chain
        .split_first()
        .ok_or_else(|| bad("no certificate".to_owned()))?;
    let ee = webpki::EndEntityCert::try_from(leaf)
        .map_err(|e| bad(format!("not a parseable certificate ({e})")))?;
    if ee.issuer() == ee.subject() {
        return Err(bad(
            "it is self-signed, which OpenDSR forbids (§4.1)".to_owned()
        ));
    }
    ee.verify_for_usage(
        webpki::ALL_VERIFICATION_ALGS,
        roots,
        intermediates,
        now,
        AnyPurpose,
        None,
        None,
    )
    .map_err(|e| bad(format!("it does not validate ({e})")))?;
    let name = ServerName::try_from(domain)
        .map_err(|_| bad("the processor domain is not a DNS name".to_owned()))?;
    ee.verify_is_valid_for_subject_name(&name).map_err(|_| {
        bad("the processor domain is not in its subject alternative names".to_owned())
    })?;
    Ok(())
}

/// Verifies a signature over the raw body with the end-entity certificate's key: RSA PKCS#1
/// v1.5 or ECDSA P-256, both with SHA-256.
fn check_signature(
    leaf: &CertificateDer<'_>,
    body: &[u8],
    signature: &[u8],
) -> Result<(), CallbackError> {
    let ee = webpki::EndEntityCert::try_from(leaf).map_err(|_| CallbackError::BadSignature)?;
    let algorithms: [&dyn rustls::pki_types::SignatureVerificationAlgorithm; 2] = [
        webpki::ring::RSA_PKCS1_2048_8192_SHA256,
        webpki::ring::ECDSA_P256_SHA256,
    ];
    if algorithms
        .iter()
        .any(|alg| ee.verify_signature(*alg, body, signature).is_ok())
    {
        Ok(())
    } else {
        Err(CallbackError::BadSignature)
    }
}

/// The callback body (§8.5), read after the signature verified.
#[derive(Debug, Deserialize)]
struct CallbackBody {
    status_callback_url: String,
    subject_request_id: String,
    request_status: String,
    #[serde(default)]
    results_url: Option<String>,
    #[serde(default)]
    results_count: Option<u64>,
}

/// Compares callback URLs as URLs (scheme and host case, default port), falling back to text.
fn same_url(a: &str, b: &str) -> bool {
    match (Url::parse(a.trim()), Url::parse(b.trim())) {
        (Ok(a), Ok(b)) => a == b,
        _ => a.trim() == b.trim(),
    }
}

/// Verifies a status callback (PROCESSORS.md §1.7) and returns what it says.
///
/// In order: the `X-OpenDSR-Processor-Domain` header must name an allow-listed processor
/// ([`CallbackError::UnknownProcessor`]); its cached certificate must not be self-signed, must
/// chain to a trusted root, be valid at `cfg.now` and name the domain in its SAN
/// ([`CallbackError::BadCertificate`]); the base64 `X-OpenDSR-Signature` must verify over the
/// raw body bytes ([`CallbackError::BadSignature`]) — only then is the body parsed
/// ([`CallbackError::BadPayload`]) and its `status_callback_url` compared with ours
/// ([`CallbackError::WrongUrl`]). The v1 `X-OpenGDPR-*` headers are honoured too (§10.1), and a
/// body that is base64 of the JSON (`security_guidelines.md` 4.a) is accepted.
///
/// Pure: no certificate is fetched here; without one in `cfg.certs` the answer is
/// [`CallbackError::CertificateUnavailable`] (see [`verify_callback_fetching`]).
pub fn verify_callback(
    cfg: &CallbackTrust,
    headers: &[(String, String)],
    body: &[u8],
    our_callback_url: &str,
) -> Result<Callback, CallbackError> {
    let domain = claimed_domain(headers)?;
    if !cfg.is_allowed(&domain) {
        return Err(CallbackError::UnknownProcessor(clean(&domain)));
    }
    let cached = cfg
        .certs
        .get(&domain)
        .ok_or_else(|| CallbackError::CertificateUnavailable {
            domain: domain.clone(),
            reason: "not fetched yet".to_owned(),
        })?;
    check_certificate(&cached.chain, &domain, &cfg.roots, cfg.now)?;
    let signatures = header_values(headers, &[SIGNATURE_HEADER, LEGACY_SIGNATURE_HEADER]);
    let [signature] = signatures.as_slice() else {
        return Err(CallbackError::BadSignature);
    };
    // The example in §7.4 wraps the base64 over several lines.
    let compact: String = signature
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    let signature = BASE64
        .decode(compact.as_bytes())
        .map_err(|_| CallbackError::BadSignature)?;
    let leaf = cached.chain.first().ok_or(CallbackError::BadSignature)?;
    check_signature(leaf, body, &signature)?;

    let parsed: CallbackBody = match serde_json::from_slice(body) {
        Ok(b) => b,
        Err(e) => {
            let decoded = BASE64
                .decode(body.trim_ascii())
                .map_err(|_| CallbackError::BadPayload(e.to_string()))?;
            serde_json::from_slice(&decoded)
                .map_err(|e| CallbackError::BadPayload(e.to_string()))?
        }
    };
    if !same_url(&parsed.status_callback_url, our_callback_url) {
        return Err(CallbackError::WrongUrl);
    }
    let subject_request_id = Uuid::parse_str(&parsed.subject_request_id)
        .map_err(|_| CallbackError::BadPayload("subject_request_id is not a UUID".to_owned()))?;
    let request_status = RequestStatus::parse(&parsed.request_status).ok_or_else(|| {
        CallbackError::BadPayload(format!(
            "unknown request_status {:?}",
            clean(&parsed.request_status)
        ))
    })?;
    Ok(Callback {
        processor_domain: domain,
        subject_request_id,
        request_status,
        results_url: parsed.results_url,
        results_count: parsed.results_count,
    })
}

/// Reads a body with a size cap.
async fn get_document(
    client: &reqwest::Client,
    url: &str,
    token: Option<&str>,
) -> Result<Vec<u8>, String> {
    let mut rb = client.get(url);
    if let Some(t) = token {
        rb = rb.header(AUTHORIZATION, format!("Bearer {t}"));
    }
    let resp = rb.send().await.map_err(|e| {
        if e.is_timeout() {
            "timed out".to_owned()
        } else {
            "could not be reached".to_owned()
        }
    })?;
    if !resp.status().is_success() {
        return Err(format!("answered HTTP {}", resp.status().as_u16()));
    }
    let body = resp.bytes().await.map_err(|_| "broke off".to_owned())?;
    if body.len() > MAX_DOCUMENT {
        return Err("answered with a document too large".to_owned());
    }
    Ok(body.to_vec())
}

/// Fetches a processor's callback-signing certificate into `trust.certs`: `GET
/// {base}/discovery`, then its `processor_certificate` URL (a PEM file, end entity first). The
/// certificate URL must be on the processor domain or the configured base URL's host (§6.3:
/// "the domain MUST match").
pub async fn fetch_certificate(trust: &CallbackTrust, domain: &str) -> Result<(), CallbackError> {
    let domain = domain.to_ascii_lowercase();
    let processor = trust
        .processors
        .get(&domain)
        .ok_or_else(|| CallbackError::UnknownProcessor(clean(&domain)))?;
    let unavailable = |reason: String| CallbackError::CertificateUnavailable {
        domain: domain.clone(),
        reason,
    };
    let discovery_url = format!("{}/discovery", base_text(&processor.base_url));
    let raw = get_document(&trust.client, &discovery_url, processor.token.as_deref())
        .await
        .map_err(|r| unavailable(format!("discovery {r}")))?;
    let discovery: Discovery = serde_json::from_slice(&raw)
        .map_err(|e| unavailable(format!("discovery is not a discovery document ({e})")))?;
    let cert_url = discovery
        .processor_certificate
        .ok_or_else(|| unavailable("discovery names no processor_certificate".to_owned()))?;
    let url = Url::parse(&cert_url)
        .map_err(|_| unavailable("processor_certificate is not a URL".to_owned()))?;
    let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
    let allowed_host = host == domain || Some(host.as_str()) == processor.base_url.host_str();
    if !matches!(url.scheme(), "https" | "http") || !allowed_host {
        return Err(unavailable(
            "processor_certificate is not on the processor's domain".to_owned(),
        ));
    }
    let pem = get_document(&trust.client, url.as_str(), None)
        .await
        .map_err(|r| unavailable(format!("the certificate URL {r}")))?;
    let n = trust.certs.insert_pem(&domain, &pem, trust.now)?;
    tracing::info!(%domain, certificates = n, "OpenDSR processor certificate fetched");
    Ok(())
}

/// [`verify_callback`], fetching the certificate when none is cached and fetching it again
/// once when the cached one fails (a rotated or renewed certificate; `security_guidelines.md`
/// 2.d.i) — at most once a minute per domain, so forged callbacks cannot make us hammer the
/// processor.
pub async fn verify_callback_fetching(
    trust: &CallbackTrust,
    headers: &[(String, String)],
    body: &[u8],
    our_callback_url: &str,
) -> Result<Callback, CallbackError> {
    match verify_callback(trust, headers, body, our_callback_url) {
        Err(
            first @ (CallbackError::CertificateUnavailable { .. }
            | CallbackError::BadCertificate { .. }
            | CallbackError::BadSignature),
        ) => {
            // The domain is allow-listed: verification got past that check.
            let domain = claimed_domain(headers)?;
            if !trust.certs.may_refetch(&domain, trust.now) {
                return Err(first);
            }
            if let Err(e) = fetch_certificate(trust, &domain).await {
                tracing::warn!(%domain, error = %e, "OpenDSR certificate fetch failed");
                return Err(match first {
                    CallbackError::CertificateUnavailable { .. } => e,
                    other => other,
                });
            }
            verify_callback(trust, headers, body, our_callback_url)
        }
        other => other,
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
    fn the_subject_request_id_is_a_stable_lowercase_v4_uuid() {
        let task = Uuid::now_v7();
        let a = subject_request_id(task);
        assert_eq!(a, subject_request_id(task));
        assert_eq!(a.get_version_num(), 4);
        assert_eq!(a.get_variant(), uuid::Variant::RFC4122);
        assert_eq!(a.to_string(), a.to_string().to_lowercase());
        assert_ne!(a, subject_request_id(Uuid::now_v7()));
    }

    #[test]
    fn redaction_removes_identities_in_any_case() {
        let out = redact(
            "unknown subject Jane@Example.com (jane@example.com)",
            &["jane@example.com".to_owned()],
        );
        assert_eq!(out, "unknown subject [redacted] ([redacted])");
    }

    #[test]
    fn only_ccpa_is_sent_as_ccpa() {
        assert_eq!(regulation(Regime::Ccpa), "ccpa");
        assert_eq!(regulation(Regime::UkGdpr), "gdpr");
        assert_eq!(regulation(Regime::Vcdpa), "gdpr");
    }

    #[test]
    fn a_duplicate_is_recognised_from_the_reason_or_the_message() {
        let e: ErrorEnvelope = serde_json::from_str(
            r#"{"error":{"code":400,"errors":[{"domain":"Validation","reason":"DuplicateRequest"}]}}"#,
        )
        .unwrap();
        assert!(e.error.unwrap().is_duplicate());
        let e: ErrorEnvelope =
            serde_json::from_str(r#"{"error":{"code":400,"message":"bad submitted_time"}}"#)
                .unwrap();
        assert!(!e.error.unwrap().is_duplicate());
    }
}
