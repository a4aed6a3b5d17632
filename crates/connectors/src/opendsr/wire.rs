//! OpenDSR 2.0 on the wire: request and status bodies, discovery, error objects, and sending a call.

use super::*;

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
    /// rectification, and the notice of a rectification or restriction have no OpenDSR
    /// request type).
    pub fn for_task(action: TaskAction, kind: RequestKind) -> Option<Self> {
        match action {
            TaskAction::Access if kind == RequestKind::Portability => {
                Some(SubjectRequestType::Portability)
            }
            TaskAction::Access => Some(SubjectRequestType::Access),
            TaskAction::Erase => Some(SubjectRequestType::Erasure),
            // A recipient reached through OpenDSR is told of an erasure by being asked to
            // erase too (what Art. 19's notice is for); it confirms through its callbacks.
            TaskAction::Notify if kind == RequestKind::Erasure => Some(SubjectRequestType::Erasure),
            TaskAction::OptOut
            | TaskAction::Restrict
            | TaskAction::Rectify
            | TaskAction::Notify
            | TaskAction::Decide
            | TaskAction::Lift => None,
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

    pub(super) fn identities_text(&self) -> String {
        if self.supported_identities.is_empty() {
            return "none".to_owned();
        }
        self.supported_identities
            .iter()
            .map(|i| format!("{}/{}", clean(&i.identity_type), clean(&i.identity_format)))
            .collect::<Vec<_>>()
            .join(", ")
    }

    pub(super) fn types_text(&self) -> String {
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
pub(super) struct CreateResponse {
    #[serde(default)]
    pub(super) subject_request_id: Option<String>,
    #[serde(default)]
    pub(super) controller_id: Option<String>,
}

/// A status answer (§8.3).
#[derive(Debug, Deserialize)]
pub(super) struct StatusResponse {
    pub(super) request_status: String,
    #[serde(default)]
    pub(super) subject_request_id: Option<String>,
    #[serde(default)]
    pub(super) controller_id: Option<String>,
    #[serde(default)]
    pub(super) results_url: Option<String>,
    #[serde(default)]
    pub(super) results_count: Option<u64>,
}

/// The error object (§7.6).
#[derive(Debug, Default, Deserialize)]
pub(super) struct ErrorEnvelope {
    #[serde(default)]
    pub(super) error: Option<ErrorObject>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct ErrorObject {
    #[serde(default)]
    pub(super) message: Option<String>,
    #[serde(default)]
    pub(super) errors: Vec<ErrorDetail>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct ErrorDetail {
    #[serde(default)]
    pub(super) reason: Option<String>,
    #[serde(default)]
    pub(super) message: Option<String>,
}

impl ErrorObject {
    /// Whether the processor says the id exists already.
    pub(super) fn is_duplicate(&self) -> bool {
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
    pub(super) fn text(&self) -> Option<&str> {
        self.message
            .as_deref()
            .or_else(|| self.errors.iter().find_map(|e| e.message.as_deref()))
    }
}

/// Keeps processor-supplied text printable and short.
pub(super) fn clean(s: &str) -> String {
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
pub(super) fn redact(message: &str, values: &[String]) -> String {
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
pub(super) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
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
pub(super) fn http_client(timeout: Duration) -> Result<reqwest::Client, reqwest::Error> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("dsrflow/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// An answer read in full.
pub(super) struct Answer {
    pub(super) status: StatusCode,
    pub(super) headers: HeaderMap,
    pub(super) body: Vec<u8>,
}

/// Sends a request; network failures and timeouts are transient.
pub(super) async fn send(
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
pub(super) fn http_error(answer: &Answer, what: &str, identities: &[String]) -> ConnectorError {
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
