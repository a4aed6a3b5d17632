//! Status callbacks from processors (§1.7, §8.8): the trust list, certificates (fetched from the discovery document and cached) and the signature check, all before the JSON is read.

use super::*;

/// A processor whose callbacks are accepted: its domain (the allow-list entry) and where its
/// discovery document is.
#[derive(Clone)]
pub struct TrustedProcessor {
    /// The domain, lower-case.
    pub domain: String,
    /// The versioned base URL (`{base}/discovery`).
    pub base_url: Url,
    pub(super) token: Option<String>,
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
pub(super) struct CachedCertificate {
    pub(super) chain: Arc<Vec<CertificateDer<'static>>>,
    pub(super) fetched_at: UnixTime,
}

/// Processors' callback-signing certificates by domain, shared between requests.
#[derive(Debug, Clone, Default)]
pub struct CertificateCache {
    pub(super) inner: Arc<RwLock<HashMap<String, CachedCertificate>>>,
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

    pub(super) fn get(&self, domain: &str) -> Option<CachedCertificate> {
        self.inner
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&domain.to_ascii_lowercase())
            .cloned()
    }

    /// Whether a failed verification may fetch the certificate again now.
    pub(super) fn may_refetch(&self, domain: &str, now: UnixTime) -> bool {
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
    pub(super) processors: Arc<BTreeMap<String, TrustedProcessor>>,
    pub(super) roots: Arc<Vec<TrustAnchor<'static>>>,
    /// The processors' certificates.
    pub certs: CertificateCache,
    /// The time certificates must be valid at.
    pub now: UnixTime,
    pub(super) client: reqwest::Client,
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

    pub(super) fn from_anchors(
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
pub(super) fn header_values<'a>(headers: &'a [(String, String)], names: &[&str]) -> Vec<&'a str> {
    headers
        .iter()
        .filter(|(n, _)| names.iter().any(|w| n.eq_ignore_ascii_case(w)))
        .map(|(_, v)| v.trim())
        .collect()
}

/// The processor domain a callback claims, or why it has none.
pub(super) fn claimed_domain(headers: &[(String, String)]) -> Result<String, CallbackError> {
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
pub(super) struct AnyPurpose;

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
pub(super) fn check_certificate(
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
pub(super) fn check_signature(
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
pub(super) struct CallbackBody {
    pub(super) status_callback_url: String,
    pub(super) subject_request_id: String,
    pub(super) request_status: String,
    #[serde(default)]
    pub(super) results_url: Option<String>,
    #[serde(default)]
    pub(super) results_count: Option<u64>,
}

/// Compares callback URLs as URLs (scheme and host case, default port), falling back to text.
pub(super) fn same_url(a: &str, b: &str) -> bool {
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
pub(super) async fn get_document(
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
