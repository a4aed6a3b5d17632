//! The public request form: `GET /request` shows it, `POST /request` takes it in (one request
//! per chosen right, all or none), `GET /request/sent` thanks the visitor.
//!
//! Defences, in the order a submission meets them: the per-client-address limit (every POST
//! counts), the body size and type, the signed double-submit CSRF token ([`crate::site::csrf`]), the
//! honeypot (a filled one gets the success answer and nothing is stored), validation into
//! domain types (422 with a message next to each bad field), the per-subject-address limit
//! (accepted submissions only), then one transaction. Nothing about the visitor is logged.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, FromRef, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use dsrflow_app::requests::{Caller, MAX_DETAILS_CHARS, NewRequest};
use dsrflow_app::{App, AppError};
use dsrflow_domain::Actor;
use dsrflow_domain::channel::Channel;
use dsrflow_domain::{AccountId, IdentityError, RequestKind, SubjectEmail, SubjectName};
use minijinja::context;
use minijinja::value::Value;

use crate::WebState;
use crate::public::ratelimit::{Limited, address_key, ip_key};
use crate::site::csrf;
use crate::site::lang::{PageLang, cookie_value};
use crate::site::{MessagePage, Site};

/// Largest form body: 10 000 characters of details, each up to 4 UTF-8 bytes that
/// percent-encoding triples, plus the other fields.
pub const MAX_FORM_BYTES: usize = MAX_DETAILS_CHARS * 12 + 16 * 1024;

/// The honeypot field's name: hidden from people, filled in by naive bots.
pub const HONEYPOT_FIELD: &str = "website";

/// The order fields appear in (and so their errors in the summary).
const FIELD_ORDER: [&str; 6] = [
    "kind",
    "email",
    "name",
    "account_id",
    "corrections",
    "details",
];

/// The details a visitor can name in a correction, in the form's order.
pub const CORRECTION_FIELDS: [&str; 6] = [
    "name",
    "email",
    "phone",
    "postal_address",
    "date_of_birth",
    "other",
];

/// How many correction rows the form shows.
pub const CORRECTION_ROWS: usize = 3;

/// The client's address: the socket peer, or with `form.trust_forwarded_for` the first
/// `X-Forwarded-For` hop (set by the operator's proxy).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

impl<S> FromRequestParts<S> for ClientIp
where
    App: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let app = App::from_ref(state);
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        let forwarded = app
            .settings
            .form
            .trust_forwarded_for
            .then(|| first_forwarded_hop(&parts.headers))
            .flatten();
        // Without connection info (a router driven in-process) every client shares one key.
        Ok(ClientIp(
            forwarded
                .or(peer)
                .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED)),
        ))
    }
}

/// The first address of the first `X-Forwarded-For` header.
pub fn first_forwarded_hop(headers: &HeaderMap) -> Option<IpAddr> {
    headers
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .and_then(|hop| hop.trim().parse().ok())
}

/// What a visitor typed, as received (kept to re-show the form after an error).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FormInput {
    /// Every `kind` value, in order.
    pub kinds: Vec<String>,
    /// `email`.
    pub email: String,
    /// `name`.
    pub name: String,
    /// `account_id`.
    pub account_id: String,
    /// `details`, line breaks normalised to `\n`.
    pub details: String,
    /// The `correction_field` values, in order (one per row).
    pub correction_fields: Vec<String>,
    /// The `correction_value` values, in order (one per row).
    pub correction_values: Vec<String>,
    /// `csrf_token`.
    pub csrf_token: Option<String>,
    /// The honeypot.
    pub honeypot: String,
    /// The hidden `lang` field: the language the form was read in.
    pub lang: Option<String>,
}

impl FormInput {
    /// Reads an `application/x-www-form-urlencoded` body. Repeated `kind` keys are collected
    /// (serde_urlencoded, behind axum's `Form`, cannot do that); for other fields the first
    /// value counts; unknown fields are ignored.
    pub fn parse(body: &[u8]) -> Self {
        let mut input = FormInput::default();
        let mut seen = std::collections::BTreeSet::new();
        for (k, v) in form_urlencoded::parse(body) {
            if k == "kind" {
                if input.kinds.len() < RequestKind::ALL.len() * 2 {
                    input.kinds.push(v.trim().to_owned());
                }
                continue;
            }
            if k == "correction_field" || k == "correction_value" {
                let list = if k == "correction_field" {
                    &mut input.correction_fields
                } else {
                    &mut input.correction_values
                };
                if list.len() < CORRECTION_ROWS {
                    list.push(v.trim().to_owned());
                }
                continue;
            }
            if !seen.insert(k.clone().into_owned()) {
                continue;
            }
            let v = v.into_owned();
            match k.as_ref() {
                "email" => input.email = v,
                "name" => input.name = v,
                "account_id" => input.account_id = v,
                "details" => input.details = v.replace("\r\n", "\n").replace('\r', "\n"),
                csrf::FIELD => input.csrf_token = Some(v),
                HONEYPOT_FIELD => input.honeypot = v,
                "lang" => input.lang = Some(v),
                _ => {}
            }
        }
        input
    }
}

/// A field's problem: the catalogue key of its message and the message's arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    /// The form field (`kind`, `email`, …).
    pub field: &'static str,
    /// The catalogue key of the message.
    pub key: &'static str,
    /// `{name}` values for the message.
    pub args: Vec<(&'static str, String)>,
}

impl FieldProblem {
    fn new(field: &'static str, key: &'static str) -> Self {
        Self {
            field,
            key,
            args: Vec::new(),
        }
    }
}

fn identity_problem(field: &'static str, e: &IdentityError) -> FieldProblem {
    match e {
        IdentityError::Empty => FieldProblem::new(field, "error.required"),
        IdentityError::TooLong { max } => FieldProblem {
            field,
            key: "error.too_long",
            args: vec![("max", max.to_string())],
        },
        IdentityError::InvalidEmail(_) => FieldProblem::new(field, "error.email_invalid"),
        _ => FieldProblem::new(field, "error.invalid_characters"),
    }
}

/// The parsed submission, one request per chosen right.
#[derive(Debug, Clone)]
pub struct Submission {
    /// The rights chosen, without repeats, in the form's order.
    pub kinds: Vec<RequestKind>,
    /// The subject's address.
    pub email: SubjectEmail,
    /// The subject's name.
    pub name: SubjectName,
    /// The account id, when given.
    pub account_id: Option<AccountId>,
    /// The details, when given.
    pub details: Option<String>,
    /// The corrections, for the rectification request.
    pub corrections: Vec<dsrflow_domain::Correction>,
}

/// Checks every field; returns every problem at once.
pub fn validate(input: &FormInput) -> Result<Submission, Vec<FieldProblem>> {
    let mut problems = Vec::new();
    let mut kinds = Vec::new();
    for raw in &input.kinds {
        match raw.parse::<RequestKind>() {
            Ok(k) if !kinds.contains(&k) => kinds.push(k),
            Ok(_) => {}
            Err(_) => {
                problems.push(FieldProblem::new("kind", "error.kind_unknown"));
                break;
            }
        }
    }
    if kinds.is_empty() && problems.is_empty() {
        problems.push(FieldProblem::new("kind", "error.kind_required"));
    }
    kinds.sort_by_key(|k| RequestKind::ALL.iter().position(|a| a == k));
    let email = SubjectEmail::parse(&input.email)
        .map_err(|e| problems.push(identity_problem("email", &e)))
        .ok();
    let name = SubjectName::parse(&input.name)
        .map_err(|e| problems.push(identity_problem("name", &e)))
        .ok();
    let account_id = if input.account_id.trim().is_empty() {
        None
    } else {
        AccountId::parse(&input.account_id)
            .map_err(|e| problems.push(identity_problem("account_id", &e)))
            .ok()
    };
    // Correction rows: a value makes the row count; its detail must be one the form offers.
    let mut corrections: Vec<dsrflow_domain::Correction> = Vec::new();
    for (i, value) in input.correction_values.iter().enumerate() {
        if value.is_empty() {
            continue;
        }
        let field = input.correction_fields.get(i).map_or("", String::as_str);
        if !CORRECTION_FIELDS.contains(&field) {
            problems.push(FieldProblem::new("corrections", "error.correction_field"));
            break;
        }
        if value.chars().count() > dsrflow_domain::rectification::MAX_VALUE_CHARS
            || value.chars().any(char::is_control)
        {
            problems.push(FieldProblem {
                field: "corrections",
                key: "error.too_long",
                args: vec![(
                    "max",
                    dsrflow_domain::rectification::MAX_VALUE_CHARS.to_string(),
                )],
            });
            break;
        }
        if corrections.iter().any(|c| c.field == field) {
            problems.push(FieldProblem::new("corrections", "error.correction_twice"));
            break;
        }
        corrections.push(dsrflow_domain::Correction {
            field: field.to_owned(),
            value: value.clone(),
        });
    }
    if !corrections.is_empty() && !kinds.is_empty() && !kinds.contains(&RequestKind::Rectification)
    {
        problems.push(FieldProblem::new(
            "corrections",
            "error.corrections_need_rectification",
        ));
    }
    if input.details.chars().count() > MAX_DETAILS_CHARS {
        problems.push(FieldProblem {
            field: "details",
            key: "error.too_long",
            args: vec![("max", MAX_DETAILS_CHARS.to_string())],
        });
    }
    match (email, name) {
        (Some(email), Some(name)) if problems.is_empty() => Ok(Submission {
            kinds,
            email,
            name,
            account_id,
            details: Some(input.details.trim().to_owned()).filter(|d| !d.is_empty()),
            corrections,
        }),
        _ => Err(problems),
    }
}

/// The id of the element an error summary links to.
fn anchor(field: &str) -> &'static str {
    match field {
        "kind" => "kind-access",
        "email" => "email",
        "name" => "name",
        "account_id" => "account_id",
        "corrections" => "correction_value_0",
        _ => "details",
    }
}

/// The form's template context: the input to show again, the translated errors, the token.
fn form_context(
    site: &Site,
    lang: &PageLang,
    input: &FormInput,
    problems: &[FieldProblem],
    csrf_token: &str,
) -> Value {
    let code = lang.code();
    let mut errors: BTreeMap<&str, String> = BTreeMap::new();
    for p in problems {
        let args: Vec<(&str, &str)> = p.args.iter().map(|(k, v)| (*k, v.as_str())).collect();
        errors
            .entry(p.field)
            .or_insert_with(|| site.text(code, p.key, &args));
    }
    let summary: Vec<Value> = FIELD_ORDER
        .iter()
        .filter_map(|f| {
            errors.get(f).map(|m| {
                context! {
                    anchor => anchor(f),
                    label => site.text(code, &format!("form.{f}.short"), &[]),
                    message => m,
                }
            })
        })
        .collect();
    let kinds: Vec<Value> = RequestKind::ALL
        .iter()
        .map(|k| {
            context! {
                value => k.as_str(),
                checked => input.kinds.iter().any(|v| v == k.as_str()),
            }
        })
        .collect();
    context! {
        values => context! {
            email => &input.email,
            name => &input.name,
            account_id => &input.account_id,
            details => &input.details,
        },
        corrections => correction_rows(input),
        correction_fields => CORRECTION_FIELDS,
        kinds => kinds,
        errors => errors,
        error_summary => summary,
        csrf_field => csrf::FIELD,
        csrf_token => csrf_token,
        honeypot_field => HONEYPOT_FIELD,
        max_details => MAX_DETAILS_CHARS,
    }
}

/// The correction rows to show: what was typed, padded to [`CORRECTION_ROWS`].
fn correction_rows(input: &FormInput) -> Vec<Value> {
    (0..CORRECTION_ROWS)
        .map(|i| {
            context! {
                field => input.correction_fields.get(i).map_or("", String::as_str),
                value => input.correction_values.get(i).map_or("", String::as_str),
            }
        })
        .collect()
}

/// A context for the start-up render check: with every error shown, or a fresh form.
pub(crate) fn sample_context(with_errors: bool) -> Value {
    let problems: Vec<FieldProblem> = if with_errors {
        FIELD_ORDER
            .iter()
            .map(|f| FieldProblem::new(f, "error.required"))
            .collect()
    } else {
        Vec::new()
    };
    let input = FormInput {
        kinds: vec!["access".to_owned()],
        email: "a@example.org".to_owned(),
        ..FormInput::default()
    };
    // Built without a Site: messages are placeholders, which is all the check needs.
    let errors: BTreeMap<&str, String> = problems
        .iter()
        .map(|p| (p.field, p.key.to_owned()))
        .collect();
    let summary: Vec<Value> = problems
        .iter()
        .map(|p| context! { anchor => anchor(p.field), label => p.field, message => p.key })
        .collect();
    context! {
        values => context! { email => &input.email, name => "", account_id => "", details => "" },
        corrections => correction_rows(&input),
        correction_fields => CORRECTION_FIELDS,
        kinds => RequestKind::ALL.iter().map(|k| context! { value => k.as_str(), checked => *k == RequestKind::Access }).collect::<Vec<_>>(),
        errors => errors,
        error_summary => summary,
        csrf_field => csrf::FIELD,
        csrf_token => "0.00",
        honeypot_field => HONEYPOT_FIELD,
        max_details => MAX_DETAILS_CHARS,
    }
}

/// Renders the form with the CSRF cookie (reusing the visitor's secret when it has one, so two
/// open tabs both stay valid).
fn render_form(
    state: &WebState,
    lang: &PageLang,
    headers: &HeaderMap,
    status: StatusCode,
    input: &FormInput,
    problems: &[FieldProblem],
) -> Response {
    let app = &state.app;
    let secret = csrf::secret_of(headers);
    let token = csrf::token(&app.settings.data_key, &secret, app.clock.now());
    let ctx = form_context(&state.site, lang, input, problems, &token);
    let mut resp = state.site.render(lang, status, "form.html.j2", ctx);
    if let Ok(v) = HeaderValue::from_str(&csrf::set_cookie(&secret, state.site.secure_cookies())) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

fn too_many(site: &Site, lang: &PageLang, limited: Limited) -> Response {
    let minutes = limited.retry_after_secs.div_ceil(60).max(1);
    let mut resp = site.message_page(
        lang,
        MessagePage::new(StatusCode::TOO_MANY_REQUESTS, "form.limited.title")
            .paragraph("form.limited.body")
            .arg("minutes", minutes.to_string()),
    );
    resp.headers_mut().insert(
        header::RETRY_AFTER,
        HeaderValue::from(limited.retry_after_secs),
    );
    resp
}

fn sent_redirect(lang: &PageLang) -> Response {
    Redirect::to(&format!("/request/sent?lang={}", lang.code())).into_response()
}

/// `GET /request`: the form.
pub async fn show(State(state): State<WebState>, lang: PageLang, headers: HeaderMap) -> Response {
    if !state.app.settings.form.enabled {
        return state.site.not_found(&lang);
    }
    render_form(
        &state,
        &lang,
        &headers,
        StatusCode::OK,
        &FormInput::default(),
        &[],
    )
}

/// `POST /request`: takes the request in, or shows the form again with what is wrong.
pub async fn submit(
    State(state): State<WebState>,
    lang: PageLang,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let app = &state.app;
    let site = &state.site;
    if !app.settings.form.enabled {
        return site.not_found(&lang);
    }
    let now = app.clock.now();
    if let Err(limited) = state.limiter.per_ip.hit(&ip_key(ip), now) {
        tracing::info!("form submission refused: client address over its hourly limit");
        return too_many(site, &lang, limited);
    }
    let body = match body {
        Ok(b) => b,
        Err(r) if r.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return site.message_page(
                &lang,
                MessagePage::new(StatusCode::PAYLOAD_TOO_LARGE, "form.too_large.title")
                    .paragraph("form.too_large.body"),
            );
        }
        Err(_) => {
            return site.message_page(
                &lang,
                MessagePage::new(StatusCode::BAD_REQUEST, "form.bad_request.title")
                    .paragraph("form.bad_request.body"),
            );
        }
    };
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| {
            m.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    if !is_form {
        return site.message_page(
            &lang,
            MessagePage::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "form.bad_request.title")
                .paragraph("form.bad_request.body"),
        );
    }
    let input = FormInput::parse(&body);
    let lang = lang.with_choice(site, input.lang.as_deref());

    if let Err(e) = csrf::verify(
        &app.settings.data_key,
        cookie_value(&headers, csrf::COOKIE),
        input.csrf_token.as_deref(),
        now,
    ) {
        tracing::info!(reason = %e, "form submission refused: CSRF check failed");
        return site.message_page(
            &lang,
            MessagePage::new(StatusCode::FORBIDDEN, "form.csrf.title")
                .paragraph("form.csrf.body")
                .link("/request", "form.csrf.again"),
        );
    }

    if !input.honeypot.is_empty() {
        // Answer as if accepted, so a bot learns nothing; keep nothing.
        tracing::info!("form submission discarded: honeypot field filled");
        return sent_redirect(&lang);
    }

    let submission = match validate(&input) {
        Ok(s) => s,
        Err(problems) => {
            let fields: Vec<&str> = problems.iter().map(|p| p.field).collect();
            tracing::info!(?fields, "form submission has invalid fields");
            return render_form(
                &state,
                &lang,
                &headers,
                StatusCode::UNPROCESSABLE_ENTITY,
                &input,
                &problems,
            );
        }
    };

    let address = address_key(submission.email.as_str());
    if let Err(limited) = state.limiter.per_address.hit(&address, now) {
        tracing::info!("form submission refused: subject address over its daily limit");
        return too_many(site, &lang, limited);
    }
    let new: Vec<NewRequest> = submission
        .kinds
        .iter()
        .map(|kind| NewRequest {
            kind: *kind,
            email: submission.email.clone(),
            name: Some(submission.name.clone()),
            account_id: submission.account_id.clone(),
            phone: None,
            regime: None,
            received_at: None,
            channel: Channel::Form,
            language: lang.language(),
            details: submission.details.clone(),
            // The corrections belong to the rectification request only.
            corrections: if *kind == RequestKind::Rectification {
                submission.corrections.clone()
            } else {
                Vec::new()
            },
            identity_verified: false,
        })
        .collect();
    let caller = Caller {
        actor: Actor::Form,
        can_vouch: false,
    };
    match dsrflow_app::requests::create_batch(app, &caller, new).await {
        Ok(created) => {
            tracing::info!(requests = created.len(), "form submission accepted");
            sent_redirect(&lang)
        }
        Err(AppError::Validation(fields)) => {
            state.limiter.per_address.undo(&address);
            let problems: Vec<FieldProblem> = fields
                .iter()
                .map(|f| match f.field.as_str() {
                    "details" => FieldProblem {
                        field: "details",
                        key: "error.too_long",
                        args: vec![("max", MAX_DETAILS_CHARS.to_string())],
                    },
                    "kind" => FieldProblem::new("kind", "error.kind_required"),
                    f if f.starts_with("corrections") => {
                        FieldProblem::new("corrections", "error.correction_field")
                    }
                    // The mail relay could not reach this address (see `[mail] smtputf8`).
                    "subject.email" => FieldProblem::new("email", "error.email_unreachable"),
                    _ => FieldProblem::new("email", "error.invalid_characters"),
                })
                .collect();
            render_form(
                &state,
                &lang,
                &headers,
                StatusCode::UNPROCESSABLE_ENTITY,
                &input,
                &problems,
            )
        }
        Err(e) => {
            state.limiter.per_address.undo(&address);
            // AppError texts name no subject data; the request id is on the span.
            tracing::error!(error = %e, "form submission could not be stored");
            site.internal_error(&lang)
        }
    }
}

/// `GET /request/sent`: the thank-you page. It shows no reference and no personal data: the
/// status link arrives by mail, and this page may be reloaded by anyone at this screen.
pub async fn sent(
    State(site): State<Arc<Site>>,
    State(app): State<App>,
    lang: PageLang,
) -> Response {
    if !app.settings.form.enabled {
        return site.not_found(&lang);
    }
    site.message_page(
        &lang,
        MessagePage::new(StatusCode::OK, "form.sent.title")
            .paragraph("form.sent.body")
            .paragraph("form.sent.link")
            .paragraph("form.sent.spam"),
    )
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    fn valid() -> FormInput {
        FormInput::parse(
            b"kind=access&kind=erasure&kind=access&email=alice%40example.com&name=Alice+Martin&consent=yes&details=Line+1%0D%0ALine+2",
        )
    }

    #[test]
    fn repeated_kinds_are_collected_and_line_breaks_normalised() {
        let input = valid();
        assert_eq!(input.kinds, vec!["access", "erasure", "access"]);
        assert_eq!(input.details, "Line 1\nLine 2");
        assert_eq!(input.email, "alice@example.com");
        let s = validate(&input).unwrap_or_else(|p| panic!("{p:?}"));
        assert_eq!(s.kinds, vec![RequestKind::Access, RequestKind::Erasure]);
    }

    #[test]
    fn every_bad_field_is_reported_at_once() {
        let input = FormInput::parse(b"kind=delete&email=not-an-address&name=&account_id=a%00b");
        let problems = validate(&input).unwrap_err();
        let fields: Vec<&str> = problems.iter().map(|p| p.field).collect();
        assert_eq!(fields, vec!["kind", "email", "name", "account_id"]);
        assert_eq!(problems[0].key, "error.kind_unknown");
        assert_eq!(problems[1].key, "error.email_invalid");
        assert_eq!(problems[2].key, "error.required");
    }

    #[test]
    fn details_longer_than_the_limit_are_refused() {
        let mut input = valid();
        input.details = "é".repeat(MAX_DETAILS_CHARS);
        assert!(
            validate(&input).is_ok(),
            "the limit counts characters, not bytes"
        );
        input.details.push('x');
        let problems = validate(&input).unwrap_err();
        assert_eq!(problems[0].field, "details");
        assert_eq!(problems[0].args, vec![("max", "10000".to_owned())]);
    }

    #[test]
    fn only_the_first_forwarded_hop_is_the_client() {
        let mut h = HeaderMap::new();
        h.insert(
            "x-forwarded-for",
            HeaderValue::from_static("203.0.113.9, 10.0.0.1"),
        );
        assert_eq!(first_forwarded_hop(&h), "203.0.113.9".parse().ok());
        h.insert("x-forwarded-for", HeaderValue::from_static("garbage"));
        assert_eq!(first_forwarded_hop(&h), None);
    }
}
