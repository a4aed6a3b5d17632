//! `POST /api/v1/opendsr/callback`: status callbacks from OpenDSR processors. Authenticated by
//! the processor's signature over the raw body (not by an API token): verified before the JSON
//! is read; 401 for an unknown processor or certificate, 403 for a bad signature.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use dsrflow_app::App;
use dsrflow_connectors::opendsr::{UnixTime, verify_callback_fetching};
use serde_json::json;

/// The path processors are given as `status_callback_url`.
pub const CALLBACK_PATH: &str = "/api/v1/opendsr/callback";

/// Receives a processor's status callback.
pub async fn callback(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(trust) = app.systems.opendsr_trust.as_ref() else {
        return error(StatusCode::NOT_FOUND, "no OpenDSR processor is configured");
    };
    let now = app.clock.now();
    let unix = UnixTime::since_unix_epoch(std::time::Duration::from_secs(
        u64::try_from(now.timestamp()).unwrap_or(0),
    ));
    let pairs: Vec<(String, String)> = headers
        .iter()
        .filter_map(|(k, v)| {
            v.to_str()
                .ok()
                .map(|v| (k.as_str().to_owned(), v.to_owned()))
        })
        .collect();
    let url = format!("{}{CALLBACK_PATH}", app.settings.public_url);
    match verify_callback_fetching(&trust.at(unix), &pairs, &body, &url).await {
        Ok(cb) => match dsrflow_app::work::opendsr_callback(&app, cb.subject_request_id).await {
            Ok(()) | Err(dsrflow_app::AppError::NotFound(_)) => {
                // Unknown ids are acknowledged too: nothing to do, and no oracle for probes.
                (StatusCode::ACCEPTED, Json(json!({"status": "accepted"}))).into_response()
            }
            Err(e) => crate::ApiError::from(e).into_response(),
        },
        Err(e) => {
            tracing::warn!(error = %e, "OpenDSR callback refused");
            let status = StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::BAD_REQUEST);
            error(status, &e.to_string())
        }
    }
}

fn error(status: StatusCode, message: &str) -> Response {
    (
        status,
        Json(json!({"error": {"code": status.as_u16(), "message": message}})),
    )
        .into_response()
}
