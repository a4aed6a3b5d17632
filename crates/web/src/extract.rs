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
            .map(|ct| {
                let mime = ct.split(';').next().unwrap_or_default().trim();
                mime.eq_ignore_ascii_case("application/json")
                    || (mime.starts_with("application/") && mime.ends_with("+json"))
            })
            .unwrap_or(false);
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
        let has_body = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .is_none_or(|v| v != "0");
        let has_type = req.headers().contains_key(header::CONTENT_TYPE);
        if !has_type {
            let bytes = Bytes::from_request(req, app)
                .await
                .map_err(body_rejection)?;
            return if bytes.iter().all(u8::is_ascii_whitespace) {
                Ok(OptionalJson(None))
            } else {
                Err(ApiError::UnsupportedMediaType)
            };
        }
        if !has_body {
            return Ok(OptionalJson(None));
        }
        let ApiJson(v) = ApiJson::<T>::from_request(req, app).await?;
        Ok(OptionalJson(Some(v)))
    }
}

fn body_rejection(r: BytesRejection) -> ApiError {
    if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::PayloadTooLarge
    } else {
        ApiError::BadRequest("the body could not be read".to_owned())
    }
}

/// Parses JSON, telling syntax errors (400) from shape errors (422 with the field path).
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
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
