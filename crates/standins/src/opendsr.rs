//! OpenDSR 2.0 stand-in: an in-memory processor speaking the shapes of PROCESSORS.md §1, for
//! the `opendsr` connector's tests and for local runs (`dsrflow serve --demo`).
//!
//! Same conventions as the other stand-ins of this crate: [`opendsr`] returns a
//! [`Standin`] (routes + inspectable state), served with [`crate::serve`] on
//! `127.0.0.1:0`. Its routes live under `/v1` (OpenDSR versions its URLs, §3.4), so the
//! processor's base URL is `http://{addr}/v1`:
//!
//! * `GET /v1/discovery` — the seed's request and identity types, and `processor_certificate`
//!   pointing at its own `/v1/cert.pem`;
//! * `GET /v1/cert.pem` — the signing certificate chain (404 without a signer);
//! * `POST /v1/requests` — validates the required fields (§7.1.1), answers 201 with the §7.3
//!   body and the `X-OpenDSR-*` headers, and the seed's `duplicate_status` (409) for a known id;
//! * `GET /v1/requests/{id}` — the status, advancing `pending` → `in_progress` → `completed`
//!   with each poll (completed on poll number `polls_to_complete`);
//! * `DELETE /v1/requests/{id}` — 202 while `pending`, else a 400 error object.
//!
//! Faults ([`OpendsrState::fail_with_429`], [`OpendsrState::fail_with_500`],
//! [`OpendsrState::fail_with`]) apply to the `/requests` routes only. Answers are deterministic:
//! times come from the seed's `now`. [`OpendsrState::send_callback`] POSTs a signed status
//! callback (§8.5) to any URL, to test a callback endpoint end to end. Everything, including
//! the identities it was sent, stays in memory: do not point real data at it.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::{DateTime, TimeZone, Utc};
use rustls::SignatureScheme;
use rustls::pki_types::PrivateKeyDer;
use rustls::pki_types::pem::PemObject;
use serde_json::{Value, json};
use uuid::Uuid;

use dsrflow_connectors::opendsr::{DOMAIN_HEADER, RequestStatus, SIGNATURE_HEADER};

use crate::Standin;

/// A certificate chain (PEM, end entity first) and its private key, to sign answers and
/// callbacks with.
#[derive(Clone)]
pub struct SigningIdentity {
    cert_chain_pem: String,
    key: Arc<dyn rustls::sign::SigningKey>,
}

impl std::fmt::Debug for SigningIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningIdentity")
            .field("algorithm", &self.key.algorithm())
            .finish_non_exhaustive()
    }
}

impl SigningIdentity {
    /// From a PEM certificate chain and a PEM private key (PKCS#8, PKCS#1 or SEC1; RSA or
    /// ECDSA P-256).
    pub fn from_pem(cert_chain_pem: &str, key_pem: &str) -> Result<Self, String> {
        let der = PrivateKeyDer::from_pem_slice(key_pem.as_bytes())
            .map_err(|e| format!("not a PEM private key: {e}"))?;
        let key = rustls::crypto::ring::sign::any_supported_type(&der)
            .map_err(|e| format!("unsupported private key: {e}"))?;
        Ok(Self {
            cert_chain_pem: cert_chain_pem.to_owned(),
            key,
        })
    }

    /// The certificate chain served at `/cert.pem`.
    pub fn cert_chain_pem(&self) -> &str {
        &self.cert_chain_pem
    }

    /// Signs bytes: RSA PKCS#1 v1.5 or ECDSA P-256 (ASN.1), both over SHA-256.
    pub fn sign(&self, message: &[u8]) -> Option<Vec<u8>> {
        self.key
            .choose_scheme(&[
                SignatureScheme::RSA_PKCS1_SHA256,
                SignatureScheme::ECDSA_NISTP256_SHA256,
            ])?
            .sign(message)
            .ok()
    }
}

/// What the stand-in starts with.
#[derive(Debug, Clone)]
pub struct OpendsrSeed {
    /// Its `X-OpenDSR-Processor-Domain`.
    pub domain: String,
    /// The `controller_id` it files requests under.
    pub controller_id: String,
    /// The bearer token it requires on `/requests` (none: no authentication).
    pub token: Option<String>,
    /// `api_version` of its discovery document.
    pub api_version: String,
    /// `supported_subject_request_types`.
    pub request_types: Vec<String>,
    /// `supported_identities` as (type, format).
    pub identities: Vec<(String, String)>,
    /// The poll on which a request is completed (the first poll reports `pending`, the ones
    /// in between `in_progress`).
    pub polls_to_complete: u32,
    /// `results_count` of a completed access or portability request.
    pub results_count: u64,
    /// The answer to a duplicate `subject_request_id`: 409, or 400 with reason `Duplicate`.
    pub duplicate_status: u16,
    /// The time it answers with (`received_time`, `expected_completion_time` 30 days later).
    pub now: DateTime<Utc>,
    /// Signs answers and callbacks, and is served at `/cert.pem`.
    pub signer: Option<SigningIdentity>,
}

impl Default for OpendsrSeed {
    fn default() -> Self {
        Self {
            domain: "opendsr.standin.test".to_owned(),
            controller_id: "acme-hosting".to_owned(),
            token: None,
            api_version: "2.0".to_owned(),
            request_types: vec![
                "access".to_owned(),
                "portability".to_owned(),
                "erasure".to_owned(),
            ],
            identities: vec![
                ("email".to_owned(), "raw".to_owned()),
                ("email".to_owned(), "sha256".to_owned()),
                ("controller_customer_id".to_owned(), "raw".to_owned()),
            ],
            polls_to_complete: 3,
            results_count: 3,
            duplicate_status: 409,
            now: Utc
                .with_ymd_and_hms(2026, 3, 2, 10, 0, 0)
                .single()
                .unwrap_or_default(),
            signer: None,
        }
    }
}

/// A request the stand-in holds.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRequest {
    /// The body as received.
    pub body: Value,
    /// Its status.
    pub status: RequestStatus,
    /// Status polls so far.
    pub polls: u32,
}

impl StoredRequest {
    fn request_type(&self) -> &str {
        self.body
            .get("subject_request_type")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }
}

/// A request as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// The method.
    pub method: String,
    /// The path, e.g. `/v1/requests`.
    pub path: String,
    /// The `Authorization` header, if any.
    pub authorization: Option<String>,
}

/// A status callback as the processor sends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedCallback {
    /// `X-OpenDSR-Processor-Domain` and, with a signer, `X-OpenDSR-Signature`.
    pub headers: Vec<(String, String)>,
    /// The JSON body.
    pub body: Vec<u8>,
}

/// A fault to answer with instead of doing the work.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Fault {
    status: u16,
    retry_after: Option<u64>,
    message: String,
}

/// The stand-in's state.
#[derive(Debug)]
pub struct OpendsrState {
    seed: OpendsrSeed,
    signer: Mutex<Option<SigningIdentity>>,
    requests: Mutex<BTreeMap<String, StoredRequest>>,
    log: Mutex<Vec<Received>>,
    faults: Mutex<VecDeque<Fault>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl OpendsrState {
    /// Answer the next `times` calls to `/requests` with 429 and `Retry-After`.
    pub fn fail_with_429(&self, times: u32, retry_after_secs: u64) {
        let mut f = lock(&self.faults);
        for _ in 0..times {
            f.push_back(Fault {
                status: 429,
                retry_after: Some(retry_after_secs),
                message: "rate limit exceeded".to_owned(),
            });
        }
    }

    /// Answer the next `times` calls to `/requests` with 500.
    pub fn fail_with_500(&self, times: u32) {
        let mut f = lock(&self.faults);
        for _ in 0..times {
            f.push_back(Fault {
                status: 500,
                retry_after: None,
                message: "internal error".to_owned(),
            });
        }
    }

    /// Answer the next call to `/requests` with `status` and an error object carrying
    /// `message`.
    pub fn fail_with(&self, status: u16, message: &str) {
        lock(&self.faults).push_back(Fault {
            status,
            retry_after: None,
            message: message.to_owned(),
        });
    }

    /// Every request received, in order.
    pub fn received(&self) -> Vec<Received> {
        lock(&self.log).clone()
    }

    /// How many requests were received with this method and path.
    pub fn calls(&self, method: &str, path: &str) -> usize {
        lock(&self.log)
            .iter()
            .filter(|r| r.method == method && r.path == path)
            .count()
    }

    /// A request it holds.
    pub fn request(&self, id: &str) -> Option<StoredRequest> {
        lock(&self.requests).get(id).cloned()
    }

    /// The ids of the requests it holds.
    pub fn request_ids(&self) -> Vec<String> {
        lock(&self.requests).keys().cloned().collect()
    }

    /// Sets a request's status (e.g. `cancelled` by the processor).
    pub fn set_status(&self, id: &str, status: RequestStatus) -> bool {
        match lock(&self.requests).get_mut(id) {
            Some(r) => {
                r.status = status;
                true
            }
            None => false,
        }
    }

    /// Replaces the signing identity (a rotated certificate).
    pub fn set_signer(&self, signer: Option<SigningIdentity>) {
        *lock(&self.signer) = signer;
    }

    /// The base64 signature of `body`, if it has a signer.
    pub fn sign(&self, body: &[u8]) -> Option<String> {
        lock(&self.signer)
            .as_ref()
            .and_then(|s| s.sign(body))
            .map(|s| BASE64.encode(s))
    }

    /// The status callback (§8.5) for a request it holds, as headers and body, signed.
    pub fn callback(&self, id: &str, status_callback_url: &str) -> Option<SignedCallback> {
        let r = self.request(id)?;
        let mut body = json!({
            "controller_id": self.seed.controller_id,
            "expected_completion_time": rfc3339(self.expected_completion()),
            "status_callback_url": status_callback_url,
            "subject_request_id": id,
            "request_status": r.status.as_str(),
        });
        self.add_results(&r, id, &mut body, None);
        let bytes = serde_json::to_vec(&body).ok()?;
        let mut headers = vec![(DOMAIN_HEADER.to_owned(), self.seed.domain.clone())];
        if let Some(sig) = self.sign(&bytes) {
            headers.push((SIGNATURE_HEADER.to_owned(), sig));
        }
        Some(SignedCallback {
            headers,
            body: bytes,
        })
    }

    /// POSTs the signed status callback of a request to `url`; returns the HTTP status.
    pub async fn send_callback(&self, id: &str, url: &str) -> Result<u16, String> {
        let SignedCallback { headers, body } = self
            .callback(id, url)
            .ok_or_else(|| format!("no request {id}"))?;
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .build()
            .map_err(|e| e.to_string())?;
        let mut rb = client
            .post(url)
            .header(header::CONTENT_TYPE, "application/json")
            .body(body);
        for (n, v) in headers {
            rb = rb.header(n, v);
        }
        let resp = rb.send().await.map_err(|e| e.to_string())?;
        Ok(resp.status().as_u16())
    }

    fn expected_completion(&self) -> DateTime<Utc> {
        self.seed.now + chrono::Duration::days(30)
    }

    /// Adds `results_url`/`results_count` to a completed access or portability status.
    fn add_results(&self, r: &StoredRequest, id: &str, body: &mut Value, host: Option<&str>) {
        let access = matches!(r.request_type(), "access" | "portability");
        if r.status == RequestStatus::Completed
            && access
            && let Some(obj) = body.as_object_mut()
        {
            let host = host.unwrap_or(&self.seed.domain);
            obj.insert(
                "results_url".to_owned(),
                json!(format!("http://{host}/v1/results/{id}")),
            );
            obj.insert("results_count".to_owned(), json!(self.seed.results_count));
        }
    }

    fn record(&self, method: &str, path: &str, headers: &HeaderMap) {
        lock(&self.log).push(Received {
            method: method.to_owned(),
            path: path.to_owned(),
            authorization: headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
        });
    }

    /// The fault or authentication failure due, if any.
    fn refuse(&self, headers: &HeaderMap) -> Option<Response> {
        if let Some(f) = lock(&self.faults).pop_front() {
            let status =
                StatusCode::from_u16(f.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let mut resp = error(status, "Fault", &f.message);
            if let Some(secs) = f.retry_after
                && let Ok(v) = HeaderValue::from_str(&secs.to_string())
            {
                resp.headers_mut().insert(header::RETRY_AFTER, v);
            }
            return Some(resp);
        }
        if let Some(token) = &self.seed.token {
            let sent = headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "));
            if sent != Some(token.as_str()) {
                return Some(error(
                    StatusCode::UNAUTHORIZED,
                    "Authentication",
                    "missing or wrong API token",
                ));
            }
        }
        None
    }

    /// A JSON answer with the processor headers, signed when it has a signer.
    fn signed(&self, status: StatusCode, body: &Value) -> Response {
        let bytes = serde_json::to_vec(body).unwrap_or_default();
        let mut resp = (
            status,
            [(header::CONTENT_TYPE, "application/json")],
            bytes.clone(),
        )
            .into_response();
        if let Ok(v) = HeaderValue::from_str(&self.seed.domain) {
            resp.headers_mut().insert(DOMAIN_HEADER, v);
        }
        if let Some(sig) = self.sign(&bytes)
            && let Ok(v) = HeaderValue::from_str(&sig)
        {
            resp.headers_mut().insert(SIGNATURE_HEADER, v);
        }
        resp
    }

    fn status_body(&self, id: &str, r: &StoredRequest, host: Option<&str>) -> Value {
        let mut body = json!({
            "controller_id": self.seed.controller_id,
            "expected_completion_time": rfc3339(self.expected_completion()),
            "subject_request_id": id,
            "request_status": r.status.as_str(),
            "api_version": self.seed.api_version,
        });
        self.add_results(r, id, &mut body, host);
        body
    }
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// An OpenDSR error object (§7.6).
fn error(status: StatusCode, reason: &str, message: &str) -> Response {
    (
        status,
        Json(json!({
            "error": {
                "code": status.as_u16(),
                "message": message,
                "errors": [{"domain": "Validation", "reason": reason, "message": message}],
            }
        })),
    )
        .into_response()
}

fn host(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::HOST)?.to_str().ok()
}

async fn discovery(State(s): State<Arc<OpendsrState>>, headers: HeaderMap) -> Response {
    s.record("GET", "/v1/discovery", &headers);
    let host = host(&headers).unwrap_or(&s.seed.domain);
    Json(json!({
        "api_version": s.seed.api_version,
        "supported_identities": s.seed.identities.iter()
            .map(|(t, f)| json!({"identity_type": t, "identity_format": f}))
            .collect::<Vec<_>>(),
        "supported_subject_request_types": s.seed.request_types,
        "processor_certificate": format!("http://{host}/v1/cert.pem"),
    }))
    .into_response()
}

async fn certificate(State(s): State<Arc<OpendsrState>>, headers: HeaderMap) -> Response {
    s.record("GET", "/v1/cert.pem", &headers);
    match lock(&s.signer).as_ref() {
        Some(signer) => (
            [(header::CONTENT_TYPE, "application/x-pem-file")],
            signer.cert_chain_pem.clone(),
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "no certificate").into_response(),
    }
}

/// Checks the required fields of a request (§7.1.1); the message names the field.
fn validate(seed: &OpendsrSeed, body: &Value) -> Result<String, String> {
    let text = |k: &str| body.get(k).and_then(Value::as_str);
    match text("regulation") {
        Some("gdpr" | "ccpa") => {}
        _ => return Err("regulation must be gdpr or ccpa".to_owned()),
    }
    let id = text("subject_request_id").ok_or("subject_request_id field is required")?;
    let uuid = Uuid::parse_str(id).map_err(|_| "subject_request_id must be a UUID")?;
    if uuid.get_version_num() != 4 || id != uuid.to_string() {
        return Err("subject_request_id must be a lowercase UUID v4".to_owned());
    }
    let t = text("subject_request_type").ok_or("subject_request_type field is required")?;
    if !seed.request_types.iter().any(|s| s == t) {
        return Err(format!("subject_request_type {t} is not supported"));
    }
    let submitted = text("submitted_time").ok_or("submitted_time field is required")?;
    DateTime::parse_from_rfc3339(submitted).map_err(|_| "submitted_time must be RFC 3339")?;
    let identities = body
        .get("subject_identities")
        .and_then(Value::as_array)
        .filter(|a| !a.is_empty())
        .ok_or("subject_identities must be a non-empty array")?;
    for i in identities {
        let field = |k: &str| i.get(k).and_then(Value::as_str);
        let (Some(t), Some(_), Some(f)) = (
            field("identity_type"),
            field("identity_value"),
            field("identity_format"),
        ) else {
            return Err(
                "each identity needs identity_type, identity_value and identity_format".to_owned(),
            );
        };
        if !seed.identities.iter().any(|(st, sf)| st == t && sf == f) {
            return Err(format!("identity {t}/{f} is not supported"));
        }
    }
    if let Some(urls) = body.get("status_callback_urls")
        && !urls
            .as_array()
            .is_some_and(|a| a.iter().all(Value::is_string))
    {
        return Err("status_callback_urls must be an array of URLs".to_owned());
    }
    Ok(id.to_owned())
}

async fn create(State(s): State<Arc<OpendsrState>>, headers: HeaderMap, raw: Bytes) -> Response {
    s.record("POST", "/v1/requests", &headers);
    if let Some(r) = s.refuse(&headers) {
        return r;
    }
    let Ok(body) = serde_json::from_slice::<Value>(&raw) else {
        return error(
            StatusCode::BAD_REQUEST,
            "InvalidJson",
            "the body is not JSON",
        );
    };
    let id = match validate(&s.seed, &body) {
        Ok(id) => id,
        Err(m) => return error(StatusCode::BAD_REQUEST, "IllegalArgumentException", &m),
    };
    {
        let mut requests = lock(&s.requests);
        if requests.contains_key(&id) {
            let status =
                StatusCode::from_u16(s.seed.duplicate_status).unwrap_or(StatusCode::CONFLICT);
            return error(status, "Duplicate", "subject_request_id already exists");
        }
        requests.insert(
            id.clone(),
            StoredRequest {
                body,
                status: RequestStatus::Pending,
                polls: 0,
            },
        );
    }
    let answer = json!({
        "controller_id": s.seed.controller_id,
        "expected_completion_time": rfc3339(s.expected_completion()),
        "received_time": rfc3339(s.seed.now),
        "encoded_request": BASE64.encode(&raw),
        "subject_request_id": id,
    });
    s.signed(StatusCode::CREATED, &answer)
}

async fn status(
    State(s): State<Arc<OpendsrState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    s.record("GET", &format!("/v1/requests/{id}"), &headers);
    if let Some(r) = s.refuse(&headers) {
        return r;
    }
    let polls_to_complete = s.seed.polls_to_complete.max(1);
    let r = {
        let mut requests = lock(&s.requests);
        let Some(r) = requests.get_mut(&id) else {
            return error(
                StatusCode::NOT_FOUND,
                "NotFound",
                "unknown subject_request_id",
            );
        };
        r.polls += 1;
        if matches!(r.status, RequestStatus::Pending | RequestStatus::InProgress) {
            r.status = if r.polls >= polls_to_complete {
                RequestStatus::Completed
            } else if r.polls == 1 {
                RequestStatus::Pending
            } else {
                RequestStatus::InProgress
            };
        }
        r.clone()
    };
    let body = s.status_body(&id, &r, host(&headers));
    s.signed(StatusCode::OK, &body)
}

async fn cancel(
    State(s): State<Arc<OpendsrState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    s.record("DELETE", &format!("/v1/requests/{id}"), &headers);
    if let Some(r) = s.refuse(&headers) {
        return r;
    }
    let r = {
        let mut requests = lock(&s.requests);
        let Some(r) = requests.get_mut(&id) else {
            return error(
                StatusCode::NOT_FOUND,
                "NotFound",
                "unknown subject_request_id",
            );
        };
        if r.status != RequestStatus::Pending {
            return error(
                StatusCode::BAD_REQUEST,
                "InvalidState",
                &format!(
                    "the request is {}; only pending requests can be cancelled",
                    r.status.as_str()
                ),
            );
        }
        r.status = RequestStatus::Cancelled;
        r.clone()
    };
    let body = s.status_body(&id, &r, host(&headers));
    s.signed(StatusCode::ACCEPTED, &body)
}

/// The OpenDSR stand-in.
pub fn opendsr(seed: OpendsrSeed) -> Standin<OpendsrState> {
    let state = Arc::new(OpendsrState {
        signer: Mutex::new(seed.signer.clone()),
        seed,
        requests: Mutex::new(BTreeMap::new()),
        log: Mutex::new(Vec::new()),
        faults: Mutex::new(VecDeque::new()),
    });
    let routes = Router::new()
        .route("/v1/discovery", get(discovery))
        .route("/v1/cert.pem", get(certificate))
        .route("/v1/requests", axum::routing::post(create))
        .route("/v1/requests/{id}", get(status).delete(cancel))
        .with_state(Arc::clone(&state));
    Standin {
        router: routes,
        state,
    }
}
