//! Calling a processor: the rate limit, OAuth tokens, reading answers and turning HTTP
//! statuses into outcomes and errors (nothing in an error names a URL, a secret or the subject).

use super::*;

/// A simple async token bucket: `burst` requests at once, then `per_second`.
#[derive(Debug)]
pub(super) struct TokenBucket {
    pub(super) per_second: f64,
    pub(super) burst: f64,
    pub(super) state: std::sync::Mutex<(f64, Instant)>,
}

impl TokenBucket {
    pub(super) fn new(limit: RateLimit) -> Self {
        let burst = f64::from(limit.burst);
        Self {
            per_second: limit.per_second,
            burst,
            state: std::sync::Mutex::new((burst, Instant::now())),
        }
    }

    /// Waits for a token. Tokens may go negative: each waiter reserves its slot, so concurrent
    /// callers queue up instead of all waking at once.
    pub(super) async fn acquire(&self) {
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
pub(super) struct OAuth {
    pub(super) token_url: Url,
    pub(super) form: String,
    pub(super) cache: tokio::sync::Mutex<Option<(String, Instant)>>,
}

/// One prepared request.
#[derive(Debug)]
pub(super) struct Request {
    pub(super) method: Method,
    pub(super) url: Url,
    pub(super) body: Option<RequestBody>,
}

#[derive(Debug)]
pub(super) enum RequestBody {
    Json(Value),
    Form(String),
}

/// The delay a `Retry-After` header asks for: seconds, or an HTTP date (compared with `now`).
pub(super) fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let v = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = SystemTime::from(chrono::DateTime::parse_from_rfc2822(v).ok()?);
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Masks secrets, the subject's identifiers and anything that looks like an address, drops
/// control characters and keeps the text short.
pub(super) fn sanitize(text: &str, masks: &[String]) -> String {
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
pub(super) fn status_error(
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

impl HttpConnector {
    pub(super) fn what(&self, step: &str) -> String {
        format!("{} {step}", self.def.name)
    }

    pub(super) fn host(&self) -> &str {
        self.base.host_str().unwrap_or("the processor")
    }

    pub(super) fn network_error(&self, what: &str, e: &reqwest::Error) -> ConnectorError {
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

    pub(super) async fn acquire(&self) {
        if let Some(l) = &self.limiter {
            l.acquire().await;
        }
    }

    pub(super) fn masks(&self, subject: Option<&Subject>) -> Vec<String> {
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
    pub(super) async fn token(
        &self,
        oauth: &OAuth,
        masks: &[String],
    ) -> Result<String, ConnectorError> {
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

    pub(super) async fn read_body(
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
    pub(super) async fn call(
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
}
