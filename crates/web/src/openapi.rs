//! The OpenAPI document, generated from the handlers and DTOs.

use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::api::{inbox, mail, requests, suppressions, tasks};
use crate::error;

/// The API description.
#[derive(OpenApi)]
#[openapi(
    info(title = "dsrflow API", description = "GDPR data-subject-request workflow engine"),
    paths(
        requests::create,
        requests::list,
        requests::get_one,
        requests::extend,
        requests::deny,
        requests::approve,
        requests::withdraw,
        requests::verify,
        requests::forward,
        requests::package,
        tasks::list,
        tasks::complete,
        tasks::retry,
        suppressions::check,
        inbox::list,
        inbox::get_one,
        inbox::resolve,
        inbox::dismiss,
        mail::list,
        mail::resend,
    ),
    components(schemas(
        requests::CreateRequestBody,
        requests::SubjectBody,
        requests::RequestBody,
        requests::SubjectOut,
        requests::RequestPage,
        requests::ActionBody,
        tasks::TaskBody,
        tasks::TaskList,
        tasks::CompleteBody,
        suppressions::CheckBody,
        suppressions::CheckResult,
        suppressions::CheckResults,
        inbox::ResolveBody,
        inbox::Created,
        mail::MailBody,
        mail::MailPage,
        error::ErrorBody,
        error::ErrorDetail,
        error::FieldErrorBody,
    )),
    modifiers(&BearerAuth),
    tags(
        (name = "requests", description = "Data-subject requests"),
        (name = "tasks", description = "Per-system work of a request"),
        (name = "suppressions", description = "Keyed-hash list of subjects to keep out of marketing"),
        (name = "inbox", description = "Mail from the privacy@ mailbox awaiting review"),
        (name = "mail", description = "Outgoing mail: what failed, and sending it again")
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// `GET /api/openapi.json`.
pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
