//! Extractors: the bearer token and a JSON body whose errors use [`ApiError`].

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{StatusCode, header, request::Parts};
use dsrflow_app::requests::Caller;
use dsrflow_app::{App, FieldError};
use serde::de::DeserializeOwned;

use crate::ApiError;

/// The authenticated API caller.
pub struct ApiCaller(pub Caller);

impl FromRequestParts<App> for ApiCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                let (scheme, rest) = v.split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
            })
            .ok_or(ApiError::Unauthorized)?;
        dsrflow_app::tokens::authenticate(app, token)
            .await?
            .map(ApiCaller)
            .ok_or(ApiError::Unauthorized)
    }
}

/// A JSON body: 415 unless JSON, 413 when too large, 400 when not valid JSON, 422 (naming the
/// field) when the JSON does not fit the expected shape.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned> FromRequest<App> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, app: &App) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(is_json);
        if !is_json {
            return Err(ApiError::UnsupportedMediaType);
        }
        let bytes = Bytes::from_request(req, app)
            .await
            .map_err(body_rejection)?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// An optional JSON body: an empty body is `None`, anything else must be valid JSON.
pub struct OptionalJson<T>(pub Option<T>);

impl<T: DeserializeOwned> FromRequest<App> for OptionalJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, app: &App) -> Result<Self, Self::Rejection> {
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let bytes = Bytes::from_request(req, app)
            .await
            .map_err(body_rejection)?;
        // No body at all (whatever the Content-Type says) is the same as `{}`.
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(OptionalJson(None));
        }
        if !content_type.as_deref().is_some_and(is_json) {
            return Err(ApiError::UnsupportedMediaType);
        }
        parse_json(&bytes).map(|v| OptionalJson(Some(v)))
    }
}

/// Whether a Content-Type is JSON (`application/json` or `application/*+json`).
fn is_json(content_type: &str) -> bool {
    let mime = content_type.split(';').next().unwrap_or_default().trim();
    mime.eq_ignore_ascii_case("application/json")
        || (mime.starts_with("application/") && mime.ends_with("+json"))
}

fn body_rejection(r: BytesRejection) -> ApiError {
    if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::PayloadTooLarge
    } else {
        ApiError::BadRequest("the body could not be read".to_owned())
    }
}

/// Parses JSON, telling syntax errors (400) from shape errors (422 with the field path). Every
/// body of the API is an object: anything else (an array, a number) is a 422 saying so.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if first != Some(&b'{') {
        return Err(
            match serde_json::from_slice::<serde::de::IgnoredAny>(bytes) {
                Ok(_) => ApiError::Validation(vec![FieldError::new(
                    "body",
                    "the body must be a JSON object",
                )]),
                Err(e) => ApiError::BadRequest(format!("the body is not valid JSON: {e}")),
            },
        );
    }
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data => {
                let field = if path == "." { "body".to_owned() } else { path };
                ApiError::Validation(vec![FieldError::new(field, strip_position(&inner))])
            }
            _ => ApiError::BadRequest(format!("the body is not valid JSON: {inner}")),
        }
    })
}

/// A shape error without the offending value (it may be personal data) and without serde's
/// "at line X column Y" (the field path says more).
fn strip_position(err: &serde_json::Error) -> String {
    let s = err.to_string();
    let s = match s.find(" at line ") {
        Some(i) => &s[..i],
        None => s.as_str(),
    };
    if s.starts_with("invalid type")
        || s.starts_with("invalid value")
        || s.starts_with("invalid length")
    {
        match s.rfind(", expected ") {
            Some(i) => format!("must be {}", &s[i + ", expected ".len()..]),
            None => "has the wrong type".to_owned(),
        }
    } else {
        s.to_owned()
    }
}
