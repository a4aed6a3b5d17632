//! Identity verification: the single-use link mailed for every request nobody vouched for, its
//! expiry and renewal, the optional clock pause, closing requests never confirmed, the stronger
//! check for access requests, and the one-time code that guards a download.

use std::time::Duration;

use dsrflow_app::Settings;
use dsrflow_app::settings::{AccessCheck, VerificationSettings};
use dsrflow_app::verification::{
    self as v, CodeCheck, CodeSent, Confirmed, LinkState, Renewed, check_download_code,
    confirm_link, renew_link, send_download_code, view_link,
};
use serde_json::{Value, json};

use crate::support::{Backend, TestApp, sqlite_target};

const CRM_SCHEMA: &[&str] = &[
    "CREATE TABLE customer (id INTEGER PRIMARY KEY, email TEXT, name TEXT, zip TEXT)",
    "INSERT INTO customer (email, name, zip) VALUES ('alice@example.com', 'Alice Martin', '1000 BX'), ('bob@example.org', 'Bob', '9000')",
];

fn crm(dir: &std::path::Path) -> String {
    format!(
        r#"
[[system]]
name = "crm"
kind = "sql"
description = "Customers"
[[system.purposes]]
name = "customer care"
legal_basis = "contract"
[system.connection]
url = "sqlite://{}"
[[system.connection.table]]
name = "customer"
match = {{ email = "email" }}
erase = "delete"
"#,
        dir.join("crm.db").display()
    )
}

async fn start_with(
    backend: Backend,
    now: &str,
    verification: VerificationSettings,
) -> Option<TestApp> {
    let t = TestApp::start_with(
        backend,
        now,
        crm,
        Settings {
            verification,
            ..Settings::default()
        },
    )
    .await?;
    sqlite_target(&t.dir.path().join("crm.db"), CRM_SCHEMA).await;
    Some(t)
}

/// The confirmation link's token in the latest verification mail to `to`.
fn token_in_mail(t: &TestApp, to: &str) -> String {
    let mail = t
        .mail
        .sent()
        .into_iter()
        .rev()
        .map(|s| s.outgoing)
        .find(|m| m.to == to && m.text.contains("/verify/"))
        .expect("a verification mail");
    let start = mail.text.find("/verify/").unwrap() + "/verify/".len();
    mail.text[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

/// The six-digit code on a line of its own in a code mail.
fn code_in(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .find(|l| l.len() == 6 && l.chars().all(|c| c.is_ascii_digit()))
        .expect("a code")
        .to_owned()
}

async fn status(t: &TestApp, id: &str) -> String {
    t.request(id).await["status"].as_str().unwrap().to_owned()
}

async fn link_confirms_every_request_made_together_once(backend: Backend) {
    let t = start_with(
        backend,
        "2026-03-02T09:00:00Z",
        VerificationSettings::default(),
    )
    .await
    .expect("a database");
    let caller = dsrflow_app::requests::Caller {
        actor: dsrflow_domain::Actor::Form,
        can_vouch: false,
    };
    let new = |kind| dsrflow_app::requests::NewRequest {
        kind,
        email: dsrflow_domain::SubjectEmail::parse("alice@example.com").unwrap(),
        name: None,
        account_id: None,
        phone: None,
        regime: None,
        received_at: None,
        channel: dsrflow_domain::channel::Channel::Form,
        language: dsrflow_domain::channel::Language::Nl,
        details: None,
        corrections: Vec::new(),
        identity_verified: false,
    };
    let made = dsrflow_app::requests::create_batch(
        &t.app,
        &caller,
        vec![
            new(dsrflow_domain::RequestKind::Access),
            new(dsrflow_domain::RequestKind::Objection),
        ],
    )
    .await
    .unwrap();
    let ids: Vec<String> = made
        .iter()
        .map(|d| d.record.request.id.to_string())
        .collect();
    t.drain().await;
    for id in &ids {
        assert_eq!(status(&t, id).await, "awaiting_verification");
    }
    // Two acknowledgements and one link, in the request's language, naming both requests.
    let verify: Vec<_> = t
        .mail
        .sent()
        .into_iter()
        .map(|s| s.outgoing)
        .filter(|m| m.text.contains("/verify/"))
        .collect();
    assert_eq!(verify.len(), 1);
    assert!(
        verify[0].subject.contains("Bevestig"),
        "{}",
        verify[0].subject
    );
    assert!(
        verify[0]
            .text
            .contains(made[1].record.request.reference.as_str()),
        "{}",
        verify[0].text
    );
    assert_eq!(t.mail.len(), 3);

    let token = token_in_mail(&t, "alice@example.com");
    let view = view_link(&t.app, &token).await.unwrap();
    assert_eq!(view.state, LinkState::Open);
    assert_eq!(view.kinds.len(), 2);
    assert_eq!(view.detail_label, None);
    // Looking does not use it up; a tampered token is unknown.
    let mut tampered = token.clone();
    tampered.replace_range(40..41, if &token[40..41] == "A" { "B" } else { "A" });
    assert!(matches!(
        view_link(&t.app, &tampered).await,
        Err(dsrflow_app::AppError::NotFound(_))
    ));
    assert!(matches!(
        confirm_link(&t.app, &tampered, None).await,
        Err(dsrflow_app::AppError::NotFound(_))
    ));

    let done = confirm_link(&t.app, &token, None).await.unwrap();
    assert!(matches!(done, Confirmed::Done { .. }), "{done:?}");
    for id in &ids {
        assert_eq!(status(&t, id).await, "in_progress");
        let audit = dsrflow_store::audit::for_request(t.app.store.db(), id.parse().unwrap())
            .await
            .unwrap();
        assert!(
            audit
                .iter()
                .any(|e| e.action == "request.verified" && e.actor == "subject"),
            "{audit:?}"
        );
    }
    // Single use.
    assert_eq!(
        confirm_link(&t.app, &token, None).await.unwrap(),
        Confirmed::Refused(LinkState::Used)
    );
    assert_eq!(
        view_link(&t.app, &token).await.unwrap().state,
        LinkState::Used
    );
    // The work fanned out.
    t.drain().await;
    assert!(!t.tasks(&ids[0]).await.is_empty());
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_link_confirms_every_request_made_together_once_on_sqlite() {
    link_confirms_every_request_made_together_once(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: set DSRFLOW_TEST_POSTGRES_URL (.ci/run does)"]
async fn one_link_confirms_every_request_made_together_once_on_postgres() {
    link_confirms_every_request_made_together_once(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_link_can_be_renewed_a_few_times_and_the_old_one_stops_working() {
    let t = start_with(
        Backend::Sqlite,
        "2026-03-02T09:00:00Z",
        VerificationSettings::default(),
    )
    .await
    .unwrap();
    let created = t
        .create(json!({"kind": "erasure", "subject": {"email": "alice@example.com"}}))
        .await;
    let id = created["id"].as_str().unwrap();
    t.drain().await;
    let first = token_in_mail(&t, "alice@example.com");
    // 72 hours later the link has expired.
    t.clock.set(crate::support::t("2026-03-05T09:00:01Z"));
    assert_eq!(
        view_link(&t.app, &first).await.unwrap().state,
        LinkState::Expired
    );
    assert_eq!(
        confirm_link(&t.app, &first, None).await.unwrap(),
        Confirmed::Refused(LinkState::Expired)
    );
    assert_eq!(renew_link(&t.app, &first).await.unwrap(), Renewed::Sent);
    t.drain().await;
    let second = token_in_mail(&t, "alice@example.com");
    assert_ne!(first, second);
    assert_eq!(
        view_link(&t.app, &first).await.unwrap().state,
        LinkState::Used
    );
    // Three new links a day, then no more.
    assert_eq!(renew_link(&t.app, &second).await.unwrap(), Renewed::Sent);
    t.drain().await;
    let fourth = token_in_mail(&t, "alice@example.com");
    assert_eq!(renew_link(&t.app, &fourth).await.unwrap(), Renewed::Sent);
    t.drain().await;
    let third = token_in_mail(&t, "alice@example.com");
    assert_eq!(renew_link(&t.app, &third).await.unwrap(), Renewed::TooMany);
    assert_eq!(
        view_link(&t.app, &fourth).await.unwrap().state,
        LinkState::Used
    );
    assert_eq!(
        confirm_link(&t.app, &second, None).await.unwrap(),
        Confirmed::Refused(LinkState::Used)
    );
    assert!(matches!(
        confirm_link(&t.app, &third, None).await.unwrap(),
        Confirmed::Done { .. }
    ));
    assert_eq!(status(&t, id).await, "in_progress");
    assert_eq!(
        renew_link(&t.app, &third).await.unwrap(),
        Renewed::NotWaiting
    );
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiting_for_the_link_pauses_the_clock_only_when_configured() {
    let t = start_with(
        Backend::Sqlite,
        "2026-03-02T09:00:00Z",
        VerificationSettings {
            link_pauses_clock: true,
            ..VerificationSettings::default()
        },
    )
    .await
    .unwrap();
    let created = t
        .create(
            json!({"kind": "erasure", "subject": {"email": "alice@example.com"},
            "received_at": "2026-03-02T09:00:00+01:00"}),
        )
        .await;
    let id = created["id"].as_str().unwrap();
    assert_eq!(created["paused"], true);
    assert_eq!(created["deadline"], "2026-04-02");
    t.drain().await;
    let token = token_in_mail(&t, "alice@example.com");
    // Confirmed two days later (asked on the 2nd, answered on the 4th): two days credited.
    t.clock.set(crate::support::t("2026-03-04T10:00:00Z"));
    confirm_link(&t.app, &token, None).await.unwrap();
    let after = t.request(id).await;
    assert_eq!(after["paused"], false);
    assert_eq!(after["deadline"], "2026-04-07", "{after}");
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_never_confirmed_are_closed_as_unidentified_with_a_mail() {
    let t = start_with(
        Backend::Sqlite,
        "2026-03-02T09:00:00Z",
        VerificationSettings::default(),
    )
    .await
    .unwrap();
    let created = t
        .create(
            json!({"kind": "erasure", "language": "fr", "subject": {"email": "alice@example.com"}}),
        )
        .await;
    let id = created["id"].as_str().unwrap();
    let vouched = t
        .create_vouched(json!({"kind": "objection", "subject": {"email": "bob@example.org"}}))
        .await;
    t.drain().await;
    let before = t.mail.len();
    // 13 days: still open.
    t.clock.set(crate::support::t("2026-03-15T09:00:00Z"));
    assert_eq!(v::close_lapsed(&t.app).await.unwrap(), 0);
    // 14 days: closed, once.
    t.clock.set(crate::support::t("2026-03-16T09:00:01Z"));
    assert_eq!(v::close_lapsed(&t.app).await.unwrap(), 1);
    assert_eq!(v::close_lapsed(&t.app).await.unwrap(), 0);
    let closed = t.request(id).await;
    assert_eq!(closed["status"], "closed_unidentified");
    assert_ne!(
        t.request(vouched["id"].as_str().unwrap()).await["status"],
        "closed_unidentified"
    );
    t.drain().await;
    let sent: Vec<_> = t
        .mail
        .sent()
        .into_iter()
        .skip(before)
        .map(|s| s.outgoing)
        .collect();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].to, "alice@example.com");
    assert!(sent[0].text.contains("clôturée"), "{}", sent[0].text);
    assert!(sent[0].text.contains("/request"), "{}", sent[0].text);
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_access_request_must_also_confirm_a_detail_held_in_the_chosen_system() {
    let t = start_with(
        Backend::Sqlite,
        "2026-03-02T09:00:00Z",
        VerificationSettings {
            access_check: Some(AccessCheck {
                system: "crm".to_owned(),
                field: "zip".to_owned(),
                label: "the postcode of your billing address".to_owned(),
                portability_too: false,
            }),
            ..VerificationSettings::default()
        },
    )
    .await
    .unwrap();
    let created = t
        .create(json!({"kind": "access", "subject": {"email": "alice@example.com"}}))
        .await;
    let id = created["id"].as_str().unwrap();
    t.drain().await;
    let token = token_in_mail(&t, "alice@example.com");
    let view = view_link(&t.app, &token).await.unwrap();
    assert_eq!(
        view.detail_label.as_deref(),
        Some("the postcode of your billing address")
    );
    assert_eq!(
        confirm_link(&t.app, &token, None).await.unwrap(),
        Confirmed::DetailNeeded
    );
    // Bob's postcode is not Alice's.
    assert_eq!(
        confirm_link(&t.app, &token, Some("9000")).await.unwrap(),
        Confirmed::DetailWrong { attempts_left: 4 }
    );
    assert_eq!(status(&t, id).await, "awaiting_verification");
    // Case and spaces do not matter.
    assert!(matches!(
        confirm_link(&t.app, &token, Some(" 1000bx")).await.unwrap(),
        Confirmed::Done { .. }
    ));
    assert_eq!(status(&t, id).await, "in_progress");

    // An erasure needs no detail; too many wrong answers lock an access link.
    let other = t
        .create(json!({"kind": "access", "subject": {"email": "bob@example.org"}}))
        .await;
    t.drain().await;
    let bob = token_in_mail(&t, "bob@example.org");
    for left in (1..=4).rev() {
        assert_eq!(
            confirm_link(&t.app, &bob, Some("1000 BX")).await.unwrap(),
            Confirmed::DetailWrong {
                attempts_left: left
            }
        );
    }
    assert_eq!(
        confirm_link(&t.app, &bob, Some("1000 BX")).await.unwrap(),
        Confirmed::Refused(LinkState::Locked)
    );
    assert_eq!(
        confirm_link(&t.app, &bob, Some("9000")).await.unwrap(),
        Confirmed::Refused(LinkState::Locked)
    );
    assert_eq!(renew_link(&t.app, &bob).await.unwrap(), Renewed::NotWaiting);
    assert_eq!(
        status(&t, other["id"].as_str().unwrap()).await,
        "awaiting_verification"
    );
    let audit = dsrflow_store::audit::for_request(
        t.app.store.db(),
        other["id"].as_str().unwrap().parse().unwrap(),
    )
    .await
    .unwrap();
    let mismatches = audit
        .iter()
        .filter(|e| e.action == "verification.detail_mismatch")
        .count();
    assert_eq!(mismatches, 5);
    assert!(
        audit.iter().all(|e| !e.data.contains("1000")),
        "no answer in the audit trail"
    );
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_download_needs_a_one_time_code_sent_by_mail() {
    let t = start_with(
        Backend::Sqlite,
        "2026-03-02T09:00:00Z",
        VerificationSettings {
            code_ttl: Duration::from_secs(15 * 60),
            ..VerificationSettings::default()
        },
    )
    .await
    .unwrap();
    let created = t
        .create_vouched(json!({"kind": "access", "subject": {"email": "alice@example.com"}}))
        .await;
    let id = created["id"].as_str().unwrap();
    t.drain().await;
    assert_eq!(status(&t, id).await, "awaiting_review");
    let approved: Value = t
        .post(&format!("/api/v1/requests/{id}/approve"), &json!({}))
        .await
        .json()
        .await
        .unwrap();
    let url = approved["download_url"].as_str().unwrap();
    let token = &url[url.find("/download/").unwrap() + "/download/".len()..];
    t.drain().await;

    // No code asked for yet.
    assert_eq!(
        check_download_code(&t.app, token, "123456").await.unwrap(),
        CodeCheck::NoCode
    );
    assert_eq!(
        send_download_code(&t.app, token).await.unwrap(),
        CodeSent::Sent
    );
    t.drain().await;
    let mail = t
        .mail
        .sent()
        .into_iter()
        .map(|s| s.outgoing)
        .rev()
        .find(|m| m.subject.contains("download code"))
        .expect("a code mail");
    assert_eq!(mail.to, "alice@example.com");
    let code = code_in(&mail.text);
    assert!(
        !mail.subject.contains(&code),
        "the code is not in the subject (kept as proof)"
    );
    assert_eq!(code.len(), 6);
    let wrong = if code == "000000" { "111111" } else { "000000" };
    assert_eq!(
        check_download_code(&t.app, token, wrong).await.unwrap(),
        CodeCheck::Wrong { attempts_left: 4 }
    );
    assert_eq!(
        check_download_code(&t.app, token, "abc").await.unwrap(),
        CodeCheck::Wrong { attempts_left: 3 }
    );
    assert_eq!(
        check_download_code(&t.app, token, &format!("{} {}", &code[..3], &code[3..]))
            .await
            .unwrap(),
        CodeCheck::Valid
    );
    // Used up.
    assert_eq!(
        check_download_code(&t.app, token, &code).await.unwrap(),
        CodeCheck::NoCode
    );
    // An expired code does not work.
    assert_eq!(
        send_download_code(&t.app, token).await.unwrap(),
        CodeSent::Sent
    );
    t.drain().await;
    t.clock.set(crate::support::t("2026-03-02T09:16:00Z"));
    let late = code_in(
        &t.mail
            .sent()
            .into_iter()
            .map(|s| s.outgoing)
            .rev()
            .find(|m| m.subject.contains("download code"))
            .unwrap()
            .text,
    );
    assert_eq!(
        check_download_code(&t.app, token, &late).await.unwrap(),
        CodeCheck::NoCode
    );
    // At most three codes an hour.
    assert_eq!(
        send_download_code(&t.app, token).await.unwrap(),
        CodeSent::Sent
    );
    assert_eq!(
        send_download_code(&t.app, token).await.unwrap(),
        CodeSent::TooMany
    );
    // An unknown download link is not found.
    assert!(send_download_code(&t.app, "nope").await.is_err());
    t.stop().await;
}

async fn post_form(t: &TestApp, path: &str, body: &str) -> reqwest::Response {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(t.url(path))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.to_owned())
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_link_page_confirms_only_on_the_button_and_refuses_a_second_use() {
    let t = start_with(
        Backend::Sqlite,
        "2026-03-02T09:00:00Z",
        VerificationSettings::default(),
    )
    .await
    .unwrap();
    let created = t
        .create(
            json!({"kind": "erasure", "language": "nl", "subject": {"email": "alice@example.com"}}),
        )
        .await;
    let id = created["id"].as_str().unwrap();
    t.drain().await;
    let token = token_in_mail(&t, "alice@example.com");
    // The mail's link carries the request's language.
    assert!(
        t.mail.sent().iter().any(|m| m
            .outgoing
            .text
            .contains(&format!("/verify/{token}?lang=nl"))),
        "the link opens in Dutch"
    );
    let page = t
        .client
        .get(t.url(&format!("/verify/{token}?lang=nl")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("Bevestig uw verzoek"), "{html}");
    assert!(html.contains(created["reference"].as_str().unwrap()));
    assert!(html.contains("<form method=\"post\""));
    // Opening the page (as a mail scanner would) confirms nothing.
    assert_eq!(status(&t, id).await, "awaiting_verification");

    let done = post_form(&t, &format!("/verify/{token}"), "").await;
    assert_eq!(done.status(), 303);
    let location = done.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.contains("/status/"), "{location}");
    assert_eq!(status(&t, id).await, "in_progress");
    let status_page = t
        .client
        .get(&location)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(status_page.contains("In progress"), "{status_page}");

    // A second use is refused with a clear page.
    let again = post_form(&t, &format!("/verify/{token}"), "").await;
    assert_eq!(again.status(), 200);
    let html = again.text().await.unwrap();
    assert!(html.contains("Already confirmed"), "{html}");
    // A made-up token is unknown.
    let unknown = t
        .client
        .get(t.url(&format!("/verify/{}", "A".repeat(59))))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    let bad = post_form(&t, "/verify/not-a-token", "").await;
    assert_eq!(bad.status(), 404);
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_link_page_offers_a_new_link_and_a_wrong_detail_is_shown_next_to_the_field() {
    let t = start_with(
        Backend::Sqlite,
        "2026-03-02T09:00:00Z",
        VerificationSettings {
            access_check: Some(AccessCheck {
                system: "crm".to_owned(),
                field: "zip".to_owned(),
                label: "the postcode of your billing address".to_owned(),
                portability_too: false,
            }),
            ..VerificationSettings::default()
        },
    )
    .await
    .unwrap();
    t.create(json!({"kind": "access", "subject": {"email": "alice@example.com"}}))
        .await;
    t.drain().await;
    let token = token_in_mail(&t, "alice@example.com");
    let html = t
        .client
        .get(t.url(&format!("/verify/{token}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("the postcode of your billing address"),
        "{html}"
    );
    assert!(html.contains("name=\"detail\""));
    let missing = post_form(&t, &format!("/verify/{token}"), "detail=").await;
    assert_eq!(missing.status(), 422);
    let html = missing.text().await.unwrap();
    assert!(html.contains("aria-invalid=\"true\""), "{html}");
    assert!(html.contains("Please give the postcode"), "{html}");
    let wrong = post_form(&t, &format!("/verify/{token}"), "detail=9000").await;
    assert_eq!(wrong.status(), 422);
    let html = wrong.text().await.unwrap();
    assert!(html.contains("4 more tries"), "{html}");
    assert!(html.contains("value=\"9000\""), "the answer is kept");

    // Three days later the link has expired: the page offers a new one.
    t.clock.set(crate::support::t("2026-03-05T10:00:00Z"));
    let expired = t
        .client
        .get(t.url(&format!("/verify/{token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(expired.status(), 410);
    let html = expired.text().await.unwrap();
    assert!(html.contains("Send me a new link"), "{html}");
    let before = t.mail.len();
    let renewed = post_form(&t, &format!("/verify/{token}/renew"), "").await;
    assert_eq!(renewed.status(), 200);
    t.drain().await;
    assert_eq!(t.mail.len(), before + 1);
    assert_ne!(token_in_mail(&t, "alice@example.com"), token);
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_download_page_serves_the_file_only_with_the_mailed_code() {
    let t = start_with(
        Backend::Sqlite,
        "2026-03-02T09:00:00Z",
        VerificationSettings::default(),
    )
    .await
    .unwrap();
    let created = t
        .create_vouched(
            json!({"kind": "access", "language": "fr", "subject": {"email": "alice@example.com"}}),
        )
        .await;
    let id = created["id"].as_str().unwrap();
    t.drain().await;
    let approved: Value = t
        .post(&format!("/api/v1/requests/{id}/approve"), &json!({}))
        .await
        .json()
        .await
        .unwrap();
    let url = approved["download_url"].as_str().unwrap();
    let path = url[url.find("/download/").unwrap()..].to_owned();
    t.drain().await;
    let page = t
        .client
        .get(t.url(&format!("{path}?lang=fr")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("Téléchargez vos données personnelles"),
        "{html}"
    );
    assert!(html.contains(created["reference"].as_str().unwrap()));
    // No file without a code, and a wrong code says how many tries are left.
    let none = post_form(&t, &path, "code=123456").await;
    assert_eq!(none.status(), 422);
    assert!(none.text().await.unwrap().contains("ask for a new one"));
    assert_eq!(
        post_form(&t, &format!("{path}/code"), "").await.status(),
        200
    );
    t.drain().await;
    let code = code_in(
        &t.mail
            .sent()
            .into_iter()
            .map(|s| s.outgoing)
            .rev()
            .find(|m| m.subject.contains("code"))
            .unwrap()
            .text,
    );
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let bad = post_form(&t, &path, &format!("code={wrong}")).await;
    assert_eq!(bad.status(), 422);
    assert!(bad.text().await.unwrap().contains("4 more tries"));
    let file = post_form(&t, &path, &format!("code={code}")).await;
    assert_eq!(file.status(), 200);
    assert_eq!(file.headers()["content-type"], "application/zip");
    assert!(!file.bytes().await.unwrap().is_empty());
    // Codes are limited: three an hour.
    assert_eq!(
        post_form(&t, &format!("{path}/code"), "").await.status(),
        200
    );
    assert_eq!(
        post_form(&t, &format!("{path}/code"), "").await.status(),
        200
    );
    let limited = post_form(&t, &format!("{path}/code"), "").await;
    assert_eq!(limited.status(), 429);
    assert_eq!(limited.headers()["retry-after"], "3600");
    let audit = dsrflow_store::audit::for_request(t.app.store.db(), id.parse().unwrap())
        .await
        .unwrap();
    assert_eq!(
        audit
            .iter()
            .filter(|e| e.action == "package.downloaded" && e.actor == "subject")
            .count(),
        1
    );
    // An unknown link is a clear 404 page.
    assert_eq!(
        t.client
            .get(t.url("/download/nope"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_a_token_that_may_vouch_can_mark_a_requester_verified() {
    let t = start_with(
        Backend::Sqlite,
        "2026-03-02T09:00:00Z",
        VerificationSettings::default(),
    )
    .await
    .unwrap();
    let created = t
        .create(json!({"kind": "erasure", "subject": {"email": "alice@example.com"}}))
        .await;
    let id = created["id"].as_str().unwrap();
    let refused = t
        .post(&format!("/api/v1/requests/{id}/verify"), &json!({}))
        .await;
    assert_eq!(refused.status(), 403);
    assert_eq!(status(&t, id).await, "awaiting_verification");
    let ok = t
        .client
        .post(t.url(&format!("/api/v1/requests/{id}/verify")))
        .bearer_auth(&t.vouch_token)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(status(&t, id).await, "in_progress");
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_closed_without_an_answer_drops_its_collected_data_and_package() {
    let t = start_with(
        Backend::Sqlite,
        "2026-03-02T09:00:00Z",
        VerificationSettings::default(),
    )
    .await
    .unwrap();
    let created = t
        .create_vouched(json!({"kind": "access", "subject": {"email": "alice@example.com"}}))
        .await;
    let id = created["id"].as_str().unwrap();
    t.drain().await;
    assert_eq!(status(&t, id).await, "awaiting_review");
    let uuid: uuid::Uuid = id.parse().unwrap();
    let package = dsrflow_store::packages::for_request(t.app.store.db(), uuid)
        .await
        .unwrap()
        .expect("a package");
    assert!(package.deleted_at.is_none());
    // The requester withdraws before the answer is sent.
    let withdrawn = t
        .post(&format!("/api/v1/requests/{id}/withdraw"), &json!({}))
        .await;
    assert_eq!(withdrawn.status(), 200);
    let package = dsrflow_store::packages::for_request(t.app.store.db(), uuid)
        .await
        .unwrap()
        .unwrap();
    assert!(package.deleted_at.is_some(), "the package is deleted");
    assert_eq!(
        t.get(&format!("/api/v1/requests/{id}/package"))
            .await
            .status(),
        409
    );
    let audit = dsrflow_store::audit::for_request(t.app.store.db(), uuid)
        .await
        .unwrap();
    assert!(
        audit
            .iter()
            .any(|e| e.action == "request.withdrawn" && e.data.contains("package_deleted"))
    );
    t.stop().await;
}
