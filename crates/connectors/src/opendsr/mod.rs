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

mod callback;
mod config;
mod wire;

pub use callback::*;
use config::*;
pub use wire::*;

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
                until: None,
            }],
            data: Vec::new(),
            note: Some(note),
        }
    }

    /// Cancels a request the processor still has pending (`DELETE {base}/requests/{id}`, 202),
    /// for a request withdrawn by the subject. A processor refuses once work has started.
    pub async fn cancel_request(&self, subject_request_id: &str) -> Result<(), ConnectorError> {
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
    async fn cancel(&self, external_ref: &str) -> Result<bool, ConnectorError> {
        self.cancel_request(external_ref).await.map(|()| true)
    }

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
                    req.action.instructions(req.kind)
                ),
            });
        };
        match req.external_ref {
            Some(id) => self.status(id, kind).await,
            None => self.create(req, kind).await,
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
