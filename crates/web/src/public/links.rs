//! The pages behind the links mailed to data subjects: confirming a request
//! (`/verify/{token}`) and downloading an access package with a one-time code
//! (`/download/{token}`). Opening a link never changes anything: every action is a button (a
//! POST), so mail scanners that fetch links can neither confirm a request nor send a code. The
//! token in the path is the secret that authorises the POST (no other cookie or field is
//! needed, and a cross-site page cannot know it).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use dsrflow_app::verification::{
    self as v, CodeCheck, CodeSent, Confirmed, LinkState, LinkView, Renewed,
};
use dsrflow_app::{App, AppError};
use minijinja::context;

use crate::site::lang::PageLang;
use crate::site::{MessagePage, Site};

/// Most bytes of a form posted to these pages (a code or a short detail).
pub const MAX_LINK_FORM_BYTES: usize = 4 * 1024;

fn field(body: &[u8], name: &str) -> Option<String> {
    form_urlencoded::parse(body)
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.chars().take(200).collect())
}

fn unknown_link(site: &Site, lang: &PageLang) -> Response {
    site.message_page(
        lang,
        MessagePage::new(StatusCode::NOT_FOUND, "verify.unknown.title")
            .paragraph("verify.unknown.body"),
    )
}

fn organisation(app: &App) -> String {
    app.settings
        .form
        .organisation
        .clone()
        .unwrap_or_else(|| app.settings.controller.name.clone())
}

fn verify_form(
    app: &App,
    site: &Site,
    lang: &PageLang,
    status: StatusCode,
    view: &LinkView,
    detail: &str,
    error: Option<String>,
) -> Response {
    site.render(
        lang,
        status,
        "verify.html.j2",
        context! {
            reference => view.reference.clone(),
            kinds => view.kinds.iter().map(|k| k.as_str()).collect::<Vec<_>>(),
            organisation => organisation(app),
            detail_label => view.detail_label.clone(),
            detail => detail,
            error => error,
        },
    )
}

fn state_page(site: &Site, lang: &PageLang, state: LinkState, status_url: &str) -> Response {
    match state {
        LinkState::Open => site.not_found(lang),
        LinkState::Used => site.message_page(
            lang,
            MessagePage::new(StatusCode::OK, "verify.used.title")
                .paragraph("verify.used.body")
                .link(status_url, "verify.used.button"),
        ),
        LinkState::NotWaiting => site.message_page(
            lang,
            MessagePage::new(StatusCode::OK, "verify.not_waiting.title")
                .paragraph("verify.not_waiting.body")
                .link(status_url, "verify.used.button"),
        ),
        LinkState::Expired => site.message_page(
            lang,
            MessagePage::new(StatusCode::GONE, "verify.expired.title")
                .paragraph("verify.expired.body")
                .post_button(format!("{}/renew", lang.path()), "verify.expired.button"),
        ),
        LinkState::Locked => site.message_page(
            lang,
            MessagePage::new(StatusCode::FORBIDDEN, "verify.locked.title")
                .paragraph("verify.locked.body"),
        ),
    }
}

/// `GET /verify/{token}`: what the link confirms, and the button (with the detail field when
/// stronger verification applies).
pub async fn verify_page(
    State(app): State<App>,
    State(site): State<Arc<Site>>,
    lang: PageLang,
    Path(token): Path<String>,
) -> Response {
    match v::view_link(&app, &token).await {
        Ok(view) if view.state == LinkState::Open => {
            verify_form(&app, &site, &lang, StatusCode::OK, &view, "", None)
        }
        Ok(view) => state_page(&site, &lang, view.state, &view.status_url),
        Err(AppError::NotFound(_)) => unknown_link(&site, &lang),
        Err(e) => {
            tracing::error!(error = %e, "verification page failed");
            site.internal_error(&lang)
        }
    }
}

/// `POST /verify/{token}`: confirms the request(s); on success, the status page.
pub async fn verify_submit(
    State(app): State<App>,
    State(site): State<Arc<Site>>,
    lang: PageLang,
    Path(token): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let detail = field(&body, "detail").unwrap_or_default();
    let view = match v::view_link(&app, &token).await {
        Ok(view) => view,
        Err(AppError::NotFound(_)) => return unknown_link(&site, &lang),
        Err(e) => {
            tracing::error!(error = %e, "verification failed");
            return site.internal_error(&lang);
        }
    };
    let code = lang.code().to_owned();
    let label = view.detail_label.clone().unwrap_or_default();
    match v::confirm_link(&app, &token, Some(detail.as_str())).await {
        Ok(Confirmed::Done { status_url }) => Redirect::to(&status_url).into_response(),
        Ok(Confirmed::Refused(state)) => state_page(&site, &lang, state, &view.status_url),
        Ok(Confirmed::DetailNeeded) => {
            let msg = site.text(&code, "verify.detail_needed", &[("label", &label)]);
            verify_form(
                &app,
                &site,
                &lang,
                StatusCode::UNPROCESSABLE_ENTITY,
                &view,
                "",
                Some(msg),
            )
        }
        Ok(Confirmed::DetailWrong { attempts_left }) => {
            let left = attempts_left.to_string();
            let msg = site.text(&code, "verify.detail_wrong", &[("left", &left)]);
            verify_form(
                &app,
                &site,
                &lang,
                StatusCode::UNPROCESSABLE_ENTITY,
                &view,
                &detail,
                Some(msg),
            )
        }
        Ok(Confirmed::DetailUnavailable) => site.message_page(
            &lang,
            MessagePage::new(StatusCode::SERVICE_UNAVAILABLE, "verify.unavailable_title")
                .paragraph("verify.unavailable_body"),
        ),
        Err(AppError::NotFound(_)) => unknown_link(&site, &lang),
        Err(e) => {
            tracing::error!(error = %e, "verification failed");
            site.internal_error(&lang)
        }
    }
}

/// `POST /verify/{token}/renew`: mails a new link.
pub async fn verify_renew(
    State(app): State<App>,
    State(site): State<Arc<Site>>,
    lang: PageLang,
    Path(token): Path<String>,
) -> Response {
    match v::renew_link(&app, &token).await {
        Ok(Renewed::Sent) => site.message_page(
            &lang,
            MessagePage::new(StatusCode::OK, "verify.renewed.title")
                .paragraph("verify.renewed.body"),
        ),
        Ok(Renewed::TooMany) => {
            let mut resp = site.message_page(
                &lang,
                MessagePage::new(StatusCode::TOO_MANY_REQUESTS, "verify.too_many.title")
                    .paragraph("verify.too_many.body"),
            );
            resp.headers_mut().insert(
                header::RETRY_AFTER,
                header::HeaderValue::from_static("86400"),
            );
            resp
        }
        Ok(Renewed::NotWaiting) => match v::view_link(&app, &token).await {
            Ok(view) => state_page(&site, &lang, LinkState::NotWaiting, &view.status_url),
            Err(_) => unknown_link(&site, &lang),
        },
        Err(AppError::NotFound(_)) => unknown_link(&site, &lang),
        Err(e) => {
            tracing::error!(error = %e, "link renewal failed");
            site.internal_error(&lang)
        }
    }
}

fn download_gone(site: &Site, lang: &PageLang, e: &AppError) -> Option<Response> {
    match e {
        AppError::NotFound(_) => Some(
            site.message_page(
                lang,
                MessagePage::new(StatusCode::NOT_FOUND, "download.unknown.title")
                    .paragraph("download.unknown.body"),
            ),
        ),
        AppError::Gone(_) => Some(
            site.message_page(
                lang,
                MessagePage::new(StatusCode::GONE, "download.expired.title")
                    .paragraph("download.expired.body"),
            ),
        ),
        _ => None,
    }
}

#[derive(Default)]
struct DownloadNotice {
    sent: bool,
    too_many: bool,
    error: Option<String>,
}

async fn download_form(
    app: &App,
    site: &Site,
    lang: &PageLang,
    token: &str,
    status: StatusCode,
    notice: DownloadNotice,
) -> Response {
    let package = match dsrflow_app::package::by_download_token(app, token).await {
        Ok(p) => p,
        Err(e) => {
            return download_gone(site, lang, &e).unwrap_or_else(|| {
                tracing::error!(error = %e, "download page failed");
                site.internal_error(lang)
            });
        }
    };
    let reference = match dsrflow_app::requests::get(app, package.request_id).await {
        Ok(r) => r.record.request.reference,
        Err(e) => {
            tracing::error!(error = %e, "download page failed");
            return site.internal_error(lang);
        }
    };
    let expires = package
        .expires_at
        .map(|t| dsrflow_render::format_date(lang.language(), t.date_naive()))
        .unwrap_or_default();
    site.render(
        lang,
        status,
        "download.html.j2",
        context! {
            reference => reference,
            expires => expires,
            minutes => app.settings.verification.code_ttl.as_secs() / 60,
            sent => notice.sent,
            too_many => notice.too_many,
            error => notice.error,
            code_action => format!("{}/code", lang.path()),
        },
    )
}

/// `GET /download/{token}`: the download page (ask for a code, enter it).
pub async fn download_page(
    State(app): State<App>,
    State(site): State<Arc<Site>>,
    lang: PageLang,
    Path(token): Path<String>,
) -> Response {
    download_form(
        &app,
        &site,
        &lang,
        &token,
        StatusCode::OK,
        DownloadNotice::default(),
    )
    .await
}

/// `POST /download/{token}/code`: mails a one-time code.
pub async fn download_send_code(
    State(app): State<App>,
    State(site): State<Arc<Site>>,
    lang: PageLang,
    Path(token): Path<String>,
) -> Response {
    let page = PageLang::new(
        lang.code(),
        lang.path().strip_suffix("/code").unwrap_or(lang.path()),
    );
    match v::send_download_code(&app, &token).await {
        Ok(CodeSent::Sent) => {
            download_form(
                &app,
                &site,
                &page,
                &token,
                StatusCode::OK,
                DownloadNotice {
                    sent: true,
                    ..DownloadNotice::default()
                },
            )
            .await
        }
        Ok(CodeSent::TooMany) => {
            let mut resp = download_form(
                &app,
                &site,
                &page,
                &token,
                StatusCode::TOO_MANY_REQUESTS,
                DownloadNotice {
                    too_many: true,
                    ..DownloadNotice::default()
                },
            )
            .await;
            resp.headers_mut().insert(
                header::RETRY_AFTER,
                header::HeaderValue::from_static("3600"),
            );
            resp
        }
        Err(e) => download_gone(&site, &page, &e).unwrap_or_else(|| {
            tracing::error!(error = %e, "download code failed");
            site.internal_error(&page)
        }),
    }
}

/// `POST /download/{token}`: with the right code, the file.
pub async fn download_submit(
    State(app): State<App>,
    State(site): State<Arc<Site>>,
    lang: PageLang,
    Path(token): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let code = field(&body, "code").unwrap_or_default();
    let text = |key: &str, args: &[(&str, &str)]| site.text(lang.code(), key, args);
    match v::check_download_code(&app, &token, &code).await {
        Ok(CodeCheck::Valid) => {
            let package = match dsrflow_app::package::by_download_token(&app, &token).await {
                Ok(p) => p,
                Err(e) => {
                    return download_gone(&site, &lang, &e)
                        .unwrap_or_else(|| site.internal_error(&lang));
                }
            };
            let counted = dsrflow_app::package::count_download(&app, &token).await;
            let audited = dsrflow_app::package::audit_download(
                &app,
                &package,
                "link",
                dsrflow_domain::Actor::Subject,
            )
            .await;
            if let Err(e) = counted.and(audited) {
                tracing::error!(error = %e, "download could not be recorded");
                return site.internal_error(&lang);
            }
            crate::api::requests::zip_response(&app, &package, "personal-data.zip")
        }
        Ok(CodeCheck::Wrong { attempts_left }) => {
            let left = attempts_left.to_string();
            let error = Some(text("download.code_wrong", &[("left", &left)]));
            download_form(
                &app,
                &site,
                &lang,
                &token,
                StatusCode::UNPROCESSABLE_ENTITY,
                DownloadNotice {
                    error,
                    ..DownloadNotice::default()
                },
            )
            .await
        }
        Ok(CodeCheck::NoCode) => {
            let error = Some(text("download.code_missing", &[]));
            download_form(
                &app,
                &site,
                &lang,
                &token,
                StatusCode::UNPROCESSABLE_ENTITY,
                DownloadNotice {
                    error,
                    ..DownloadNotice::default()
                },
            )
            .await
        }
        Err(e) => download_gone(&site, &lang, &e).unwrap_or_else(|| {
            tracing::error!(error = %e, "download failed");
            site.internal_error(&lang)
        }),
    }
}

/// Sample contexts for the start-up render check.
pub fn sample_contexts() -> Vec<(&'static str, minijinja::Value)> {
    vec![
        (
            "verify.html.j2",
            context! {
                reference => "DSR-7K3QXPMA",
                kinds => vec!["access", "erasure"],
                organisation => "Hostodoo",
                detail_label => "the postcode of your billing address",
                detail => "1000",
                error => "This does not match.",
            },
        ),
        (
            "verify.html.j2",
            context! {
                reference => "DSR-7K3QXPMA",
                kinds => vec!["objection"],
                organisation => "Hostodoo",
                detail_label => None::<String>,
                detail => "",
                error => None::<String>,
            },
        ),
        (
            "download.html.j2",
            context! {
                reference => "DSR-7K3QXPMA",
                expires => "12 March 2026",
                minutes => 15,
                sent => true,
                too_many => false,
                error => "This code is not right.",
                code_action => "/download/x/code",
            },
        ),
    ]
}
