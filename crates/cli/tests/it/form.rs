//! The public request form, driven over HTTP as a browser would: GET the form (which sets the
//! CSRF cookie and field), POST it back, follow the redirect; and the status page in three
//! languages.

use chrono::Duration;
use dsrflow_app::Settings;
use dsrflow_app::settings::FormSettings;
use reqwest::StatusCode;
use reqwest::header::{self, HeaderMap};
use serde_json::{Value, json};

use crate::on_both;
use crate::support::{Backend, TestApp, t as instant};

const NOW: &str = "2026-02-10T09:00:00Z";

/// What a GET of the form gave: the page, the cookie to send back and the hidden token.
struct FormPage {
    status: StatusCode,
    headers: HeaderMap,
    html: String,
    cookie: String,
    token: String,
}

pub(crate) fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The `name=value` part of the `Set-Cookie` header for `name`.
pub(crate) fn set_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(|v| v.split(';').next().unwrap().to_owned())
}

/// The value of the first `name="field" value="…"` input.
pub(crate) fn input_value(html: &str, field: &str) -> String {
    let marker = format!("name=\"{field}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no {field} input"))
        + marker.len();
    html[start..].chars().take_while(|c| *c != '"').collect()
}

async fn open_form_with(t: &TestApp, query: &str, headers: &[(&str, &str)]) -> FormPage {
    let mut req = t.client.get(t.url(&format!("/request{query}")));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let html = resp.text().await.unwrap();
    let cookie = set_cookie(&headers, "dsrflow_csrf").unwrap_or_default();
    let token = if status == StatusCode::OK {
        input_value(&html, "csrf_token")
    } else {
        String::new()
    };
    FormPage {
        status,
        headers,
        html,
        cookie,
        token,
    }
}

async fn open_form(t: &TestApp) -> FormPage {
    open_form_with(t, "", &[]).await
}

/// POSTs the form with `fields` (in order, repeated keys allowed), the given cookie header and
/// client headers, without following the redirect.
async fn post_form(
    t: &TestApp,
    cookie: Option<&str>,
    fields: &[(&str, &str)],
    extra: &[(&str, &str)],
) -> reqwest::Response {
    let mut body = form_urlencoded::Serializer::new(String::new());
    for (k, v) in fields {
        body.append_pair(k, v);
    }
    let mut req = no_redirects()
        .post(t.url("/request"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(body.finish());
    if let Some(c) = cookie {
        req = req.header(header::COOKIE, c);
    }
    for (k, v) in extra {
        req = req.header(*k, *v);
    }
    req.send().await.unwrap()
}

/// A valid submission for `email` with the page's token, asking for access and erasure.
fn valid_fields<'a>(page: &'a FormPage, email: &'a str, lang: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf_token", page.token.as_str()),
        ("lang", lang),
        ("kind", "access"),
        ("kind", "erasure"),
        ("email", email),
        ("name", "Alice Martin"),
        ("account_id", "CUST-0042"),
        ("details", "Please include my support tickets."),
        ("website", ""),
    ]
}

async fn all_requests(t: &TestApp) -> Vec<Value> {
    let v: Value = t
        .get("/api/v1/requests?per_page=200")
        .await
        .json()
        .await
        .unwrap();
    v["items"].as_array().unwrap().clone()
}

fn settings_with(form: FormSettings) -> Settings {
    Settings {
        form,
        ..Settings::default()
    }
}

async fn start_with_form(form: FormSettings) -> TestApp {
    TestApp::start_with(Backend::Sqlite, NOW, |_| String::new(), settings_with(form))
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_form_renders_in_english_french_and_dutch_with_every_contract_field() {
    let t = TestApp::start(Backend::Sqlite, NOW).await.unwrap();
    let en = open_form(&t).await;
    let fr = open_form_with(&t, "", &[("accept-language", "fr-BE,fr;q=0.9,en;q=0.5")]).await;
    let nl = open_form_with(&t, "?lang=nl", &[("accept-language", "fr")]).await;
    let weighted =
        open_form_with(&t, "", &[("accept-language", "de;q=1, nl;q=0.4, fr;q=0.6")]).await;
    let remembered = open_form_with(&t, "", &[("cookie", "lang=nl")]).await;

    for (page, lang, title) in [
        (&en, "en", "Make a request about your personal data"),
        (
            &fr,
            "fr",
            "Faire une demande concernant vos données personnelles",
        ),
        (&nl, "nl", "Een verzoek indienen over uw persoonsgegevens"),
        (&weighted, "fr", "Faire une demande"),
        (&remembered, "nl", "Een verzoek indienen"),
    ] {
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.html.contains(&format!("<html lang=\"{lang}\"")),
            "{lang}: {}",
            &page.html[..200]
        );
        assert!(page.html.contains(title), "{lang}");
        assert_eq!(page.headers[header::CONTENT_LANGUAGE], lang);
        // No agreement is asked for: handling a request rests on a legal obligation, and the
        // form says so (GDPR Art. 12, Art. 6(1)(c)).
        assert!(!page.html.contains("name=\"consent\""), "{lang}");
        let (notice, basis) = match lang {
            "fr" => (
                "Vous n’avez rien à accepter.",
                "RGPD, art. 12 et art. 6, §\u{a0}1er, c)",
            ),
            "nl" => (
                "U hoeft nergens mee in te stemmen.",
                "AVG, art. 12 en art. 6, lid 1, c)",
            ),
            _ => (
                "You need not agree to anything.",
                "GDPR Art. 12 and Art. 6(1)(c)",
            ),
        };
        assert!(
            page.html.contains(notice) && page.html.contains(basis),
            "{lang}"
        );
        for kind in [
            "access",
            "erasure",
            "objection",
            "rectification",
            "restriction",
            "portability",
            "consent_withdrawal",
        ] {
            assert!(
                page.html.contains(&format!(
                    "type=\"checkbox\" id=\"kind-{kind}\" name=\"kind\" value=\"{kind}\""
                )),
                "{lang}: {kind}"
            );
        }
        for field in [
            "name=\"email\"",
            "name=\"name\"",
            "name=\"account_id\"",
            "name=\"details\"",
            "name=\"csrf_token\"",
            "name=\"website\" value=\"\" tabindex=\"-1\" autocomplete=\"off\"",
            "<label for=\"email\">",
            "<label for=\"website\">",
            "href=\"#main\"",
        ] {
            assert!(page.html.contains(field), "{lang}: {field}");
        }
        assert!(page.cookie.starts_with("dsrflow_csrf="), "{lang}");
        assert!(page.token.contains('.'), "{lang}: {}", page.token);
    }
    assert!(en.html.contains("GDPR Art. 17") && fr.html.contains("RGPD, art. 17"));
    assert!(nl.html.contains("AVG, art. 17"));
    // The switcher's choice is remembered; a negotiated language is not.
    assert_eq!(set_cookie(&nl.headers, "lang").as_deref(), Some("lang=nl"));
    assert_eq!(set_cookie(&fr.headers, "lang"), None);
    let csrf_cookie = en
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|v| v.starts_with("dsrflow_csrf="))
        .unwrap();
    assert!(
        csrf_cookie.contains("HttpOnly")
            && csrf_cookie.contains("SameSite=Strict")
            && csrf_cookie.contains("Path=/request"),
        "{csrf_cookie}"
    );
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_pages_carry_the_security_headers_and_forbid_scripts() {
    let t = TestApp::start(Backend::Sqlite, NOW).await.unwrap();
    let page = open_form(&t).await;
    let h = &page.headers;
    assert_eq!(h[header::CACHE_CONTROL], "no-store");
    assert_eq!(h[header::REFERRER_POLICY], "no-referrer");
    assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert_eq!(h[header::X_FRAME_OPTIONS], "DENY");
    let csp = h[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(csp.starts_with("default-src 'none'"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'") && csp.contains("form-action 'self'"));
    assert!(
        !csp.contains("script-src") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    // The inline style is allowed by its nonce, and there is no script at all.
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|s| s.split('\'').next())
        .unwrap();
    assert!(page.html.contains(&format!("<style nonce=\"{nonce}\">")));
    assert!(!page.html.contains("<script"));
    // The status page and the API get them too.
    let status = t.client.get(t.url("/status/abc")).send().await.unwrap();
    assert_eq!(status.status(), 404);
    assert_eq!(status.headers()[header::X_FRAME_OPTIONS], "DENY");
    let api = t.get("/api/v1/requests").await;
    assert_eq!(api.headers()[header::CACHE_CONTROL], "no-store");
    t.stop().await;
}

on_both!(
    a_valid_submission_creates_one_request_per_right_in_the_page_language_and_mails_it,
    "2026-02-10T09:00:00Z",
    |t| {
        let page = open_form_with(t, "?lang=fr", &[]).await;
        let resp = post_form(
            t,
            Some(&page.cookie),
            &valid_fields(&page, "alice@example.com", "fr"),
            &[],
        )
        .await;
        assert_eq!(resp.status(), StatusCode::SEE_OTHER);
        let location = resp.headers()[header::LOCATION]
            .to_str()
            .unwrap()
            .to_owned();
        assert_eq!(location, "/request/sent?lang=fr");

        let sent = t.client.get(t.url(&location)).send().await.unwrap();
        assert_eq!(sent.status(), 200);
        let html = sent.text().await.unwrap();
        assert!(
            html.contains("Consultez votre boîte de réception"),
            "{html}"
        );
        assert!(!html.contains("alice@example.com") && !html.contains("DSR-"));

        let requests = all_requests(t).await;
        let mut kinds: Vec<&str> = requests
            .iter()
            .map(|r| r["kind"].as_str().unwrap())
            .collect();
        kinds.sort_unstable();
        assert_eq!(kinds, vec!["access", "erasure"]);
        for r in &requests {
            assert_eq!(r["channel"], "form");
            assert_eq!(r["language"], "fr");
            assert_eq!(r["created_by"], "form");
            assert_eq!(r["identity_verified"], false);
            assert_eq!(r["subject"]["email"], "alice@example.com");
            assert_eq!(r["subject"]["name"], "Alice Martin");
            assert_eq!(r["subject"]["account_id"], "CUST-0042");
            assert_eq!(r["details"], "Please include my support tickets.");
            assert_eq!(r["received_at"], "2026-02-10T09:00:00Z");
        }

        t.drain().await;
        let mails = t.mail.sent();
        assert_eq!(
            mails.len(),
            3,
            "one acknowledgement per request, one link for both"
        );
        let (links, acks): (Vec<_>, Vec<_>) = mails
            .iter()
            .partition(|m| m.outgoing.text.contains("/verify/"));
        assert_eq!(links.len(), 1);
        assert_eq!(links[0].outgoing.to, "alice@example.com");
        for m in &acks {
            assert_eq!(m.outgoing.to, "alice@example.com");
            assert!(
                m.outgoing
                    .subject
                    .contains("Nous avons bien reçu votre demande"),
                "{}",
                m.outgoing.subject
            );
        }
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_submission_without_or_with_a_wrong_csrf_token_is_refused_and_stores_nothing() {
    let t = TestApp::start(Backend::Sqlite, NOW).await.unwrap();
    let page = open_form(&t).await;
    let other = open_form_with(&t, "", &[("cookie", "lang=en")]).await;
    assert_ne!(
        page.cookie, other.cookie,
        "each visitor gets a secret of its own"
    );

    let mut tampered = page.token.clone();
    let last = tampered.pop().unwrap();
    tampered.push(if last == '0' { '1' } else { '0' });
    let (ts, mac) = page.token.split_once('.').unwrap();
    let moved_in_time = format!("{}.{mac}", ts.parse::<i64>().unwrap() + 60);

    let base = valid_fields(&page, "alice@example.com", "en");
    let without_token: Vec<(&str, &str)> = base
        .iter()
        .copied()
        .filter(|(k, _)| *k != "csrf_token")
        .collect();
    let with_token = |token: &str| -> Vec<(String, String)> {
        base.iter()
            .map(|(k, v)| {
                let v = if *k == "csrf_token" { token } else { v };
                ((*k).to_owned(), v.to_owned())
            })
            .collect()
    };
    type Case<'a> = (&'a str, Option<&'a str>, Vec<(String, String)>);
    let cases: Vec<Case> = vec![
        ("no cookie, no field", None, with_token("")),
        ("field without its cookie", None, with_token(&page.token)),
        (
            "tampered MAC",
            Some(page.cookie.as_str()),
            with_token(&tampered),
        ),
        (
            "moved timestamp",
            Some(page.cookie.as_str()),
            with_token(&moved_in_time),
        ),
        (
            "another visitor's cookie",
            Some(other.cookie.as_str()),
            with_token(&page.token),
        ),
        (
            "garbage",
            Some(page.cookie.as_str()),
            with_token("not-a-token"),
        ),
    ];
    for (what, cookie, fields) in &cases {
        let borrowed: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let resp = post_form(&t, *cookie, &borrowed, &[]).await;
        assert_eq!(resp.status(), StatusCode::FORBIDDEN, "{what}");
        let html = resp.text().await.unwrap();
        assert!(html.contains("This form has expired"), "{what}: {html}");
    }
    let resp = post_form(&t, Some(&page.cookie), &without_token, &[]).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN, "missing field");

    // The refusal is translated too.
    let fr = post_form(&t, None, &[("lang", "fr"), ("kind", "access")], &[]).await;
    assert_eq!(fr.status(), StatusCode::FORBIDDEN);
    assert!(fr.text().await.unwrap().contains("Ce formulaire a expiré"));

    // A token older than two hours is refused even with its own cookie.
    t.clock
        .set(instant(NOW) + Duration::hours(2) + Duration::seconds(1));
    let expired = post_form(&t, Some(&page.cookie), &base, &[]).await;
    assert_eq!(expired.status(), StatusCode::FORBIDDEN);

    assert_eq!(t.count_requests().await, 0);
    t.drain().await;
    assert!(t.mail.is_empty());

    // The same submission with its own cookie, in time, is accepted (the cases above failed
    // for the reason they test, not for another).
    t.clock.set(instant(NOW));
    let ok = post_form(&t, Some(&page.cookie), &base, &[]).await;
    assert_eq!(ok.status(), StatusCode::SEE_OTHER);
    assert_eq!(t.count_requests().await, 2);
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_filled_honeypot_looks_like_success_but_stores_nothing() {
    let t = TestApp::start(Backend::Sqlite, NOW).await.unwrap();
    let page = open_form_with(&t, "?lang=nl", &[]).await;
    let mut fields = valid_fields(&page, "bot@example.com", "nl");
    fields.retain(|(k, _)| *k != "website");
    fields.push(("website", "https://spam.example"));
    let resp = post_form(&t, Some(&page.cookie), &fields, &[]).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(resp.headers()[header::LOCATION], "/request/sent?lang=nl");
    assert_eq!(t.count_requests().await, 0);
    t.drain().await;
    assert!(t.mail.is_empty());
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_shows_the_form_again_with_an_error_next_to_each_field_and_keeps_the_input() {
    let t = TestApp::start(Backend::Sqlite, NOW).await.unwrap();
    let page = open_form(&t).await;
    let long = "x".repeat(10_001);
    let resp = post_form(
        &t,
        Some(&page.cookie),
        &[
            ("csrf_token", &page.token),
            ("lang", "en"),
            ("email", "alice-at-example.com"),
            ("name", "Alice <Martin>"),
            ("account_id", "CUST-0042"),
            ("details", &long),
            ("website", ""),
        ],
        &[],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = resp.text().await.unwrap();

    // A summary at the top links to each bad field, in the form's order.
    let summary = &html[html.find("class=\"error-summary\"").unwrap()..html.find("<h1>").unwrap()];
    let links: Vec<&str> = summary
        .match_indices("href=\"#")
        .map(|(i, _)| summary[i + 7..].split('"').next().unwrap())
        .collect();
    assert_eq!(links, vec!["kind-access", "email", "details"]);
    assert!(html.contains("<title>Error: "));

    // Each message sits between the field's label and its input, which points at it.
    for (field, input, message) in [
        (
            "email",
            "<input type=\"email\" id=\"email\"",
            "Enter an e-mail address in the right format",
        ),
        (
            "details",
            "<textarea id=\"details\"",
            "Use at most 10000 characters.",
        ),
    ] {
        let error = html
            .find(&format!("<p class=\"field-error\" id=\"{field}-error\">"))
            .unwrap_or_else(|| panic!("no error for {field}"));
        let input_at = html.find(input).unwrap();
        assert!(
            error < input_at,
            "{field}: the message comes before the input"
        );
        assert!(html[error..input_at].contains(message), "{field}");
        let tag = &html[input_at..input_at + html[input_at..].find('>').unwrap()];
        assert!(tag.contains("aria-invalid=\"true\""), "{field}: {tag}");
        assert!(tag.contains(&format!("{field}-error\"")), "{field}: {tag}");
    }
    let kind_error = html.find("id=\"kind-error\"").unwrap();
    assert!(html[kind_error..].contains("Choose at least one request."));
    assert!(html.contains("aria-describedby=\"kind-hint kind-error\""));
    // The name with angle brackets is acceptable and comes back escaped, with the rest.
    assert!(!html.contains("id=\"name-error\""));
    assert!(html.contains("value=\"Alice &lt;Martin&gt;\""));
    assert!(html.contains("value=\"alice-at-example.com\""));
    assert!(html.contains("value=\"CUST-0042\""));
    assert!(html.contains(&format!(">{long}</textarea>")));
    // A fresh token to send the corrected form with.
    assert!(!input_value(&html, "csrf_token").is_empty());

    // Only one bad field: only its message, the chosen rights stay ticked.
    let mut fields = valid_fields(&page, "alice@example.com", "fr");
    fields.retain(|(k, _)| *k != "name");
    let resp = post_form(&t, Some(&page.cookie), &fields, &[]).await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = resp.text().await.unwrap();
    assert!(html.contains("<html lang=\"fr\""));
    assert!(html.contains("id=\"name-error\"") && html.contains("Veuillez remplir ce champ."));
    assert!(!html.contains("id=\"email-error\"") && !html.contains("id=\"kind-error\""));
    assert!(html.contains("value=\"erasure\" aria-describedby=\"kind-erasure-hint\" checked"));
    assert!(html.contains("value=\"objection\" aria-describedby=\"kind-objection-hint\">"));

    // Unknown rights are refused, not ignored.
    let mut fields = valid_fields(&page, "alice@example.com", "en");
    fields.push(("kind", "delete_everything"));
    let resp = post_form(&t, Some(&page.cookie), &fields, &[]).await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        resp.text()
            .await
            .unwrap()
            .contains("Choose among the requests listed.")
    );

    assert_eq!(t.count_requests().await, 0);
    t.drain().await;
    assert!(t.mail.is_empty());
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_address_limit_answers_429_with_retry_after_and_stores_nothing_more() {
    let t = start_with_form(FormSettings {
        rate_limit_per_ip_per_hour: 3,
        ..FormSettings::default()
    })
    .await;
    let page = open_form(&t).await;
    // A refused POST counts as much as an accepted one.
    let refused = post_form(&t, None, &[("kind", "access")], &[]).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    for email in ["a@example.com", "b@example.com"] {
        let resp = post_form(
            &t,
            Some(&page.cookie),
            &valid_fields(&page, email, "en"),
            &[],
        )
        .await;
        assert_eq!(resp.status(), StatusCode::SEE_OTHER, "{email}");
    }
    // Refused before the body is read: the page speaks the browser's language.
    let limited = post_form(
        &t,
        Some(&page.cookie),
        &valid_fields(&page, "c@example.com", "en"),
        &[("accept-language", "nl-BE")],
    )
    .await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limited.headers()[header::RETRY_AFTER], "3600");
    assert!(limited.text().await.unwrap().contains("Te veel verzoeken"));
    assert_eq!(t.count_requests().await, 4, "two submissions of two rights");

    // Showing the form is not limited, and an hour later submitting works again.
    assert_eq!(open_form(&t).await.status, StatusCode::OK);
    t.clock.set(instant(NOW) + Duration::hours(1));
    let page = open_form(&t).await;
    let again = post_form(
        &t,
        Some(&page.cookie),
        &valid_fields(&page, "c@example.com", "en"),
        &[],
    )
    .await;
    assert_eq!(again.status(), StatusCode::SEE_OTHER);
    assert_eq!(t.count_requests().await, 6);
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_forwarded_client_address_is_used_only_when_trusted() {
    for (trust, expected) in [
        (false, StatusCode::TOO_MANY_REQUESTS),
        (true, StatusCode::SEE_OTHER),
    ] {
        let t = start_with_form(FormSettings {
            rate_limit_per_ip_per_hour: 1,
            trust_forwarded_for: trust,
            ..FormSettings::default()
        })
        .await;
        let page = open_form(&t).await;
        let first = post_form(
            &t,
            Some(&page.cookie),
            &valid_fields(&page, "a@example.com", "en"),
            &[("x-forwarded-for", "203.0.113.1, 10.0.0.1")],
        )
        .await;
        assert_eq!(first.status(), StatusCode::SEE_OTHER);
        let second = post_form(
            &t,
            Some(&page.cookie),
            &valid_fields(&page, "b@example.com", "en"),
            &[("x-forwarded-for", "203.0.113.2, 10.0.0.1")],
        )
        .await;
        assert_eq!(second.status(), expected, "trust_forwarded_for = {trust}");
        t.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_subject_address_limit_counts_accepted_submissions_per_day() {
    let t = start_with_form(FormSettings {
        rate_limit_per_address_per_day: 2,
        ..FormSettings::default()
    })
    .await;
    let page = open_form(&t).await;
    // An invalid submission for the address does not use up its allowance.
    let mut invalid = valid_fields(&page, "alice@example.com", "en");
    invalid.retain(|(k, _)| *k != "name");
    let resp = post_form(&t, Some(&page.cookie), &invalid, &[]).await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    for email in ["alice@example.com", "Alice@Example.com"] {
        let resp = post_form(
            &t,
            Some(&page.cookie),
            &valid_fields(&page, email, "en"),
            &[],
        )
        .await;
        assert_eq!(resp.status(), StatusCode::SEE_OTHER, "{email}");
    }
    let limited = post_form(
        &t,
        Some(&page.cookie),
        &valid_fields(&page, "ALICE@example.com", "en"),
        &[],
    )
    .await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limited.headers()[header::RETRY_AFTER], "86400");
    assert!(limited.text().await.unwrap().contains("Too many requests"));
    assert_eq!(t.count_requests().await, 4);
    // Another address is not affected.
    let bob = post_form(
        &t,
        Some(&page.cookie),
        &valid_fields(&page, "bob@example.com", "en"),
        &[],
    )
    .await;
    assert_eq!(bob.status(), StatusCode::SEE_OTHER);
    assert_eq!(t.count_requests().await, 6);
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disabled_form_is_not_found_but_the_status_page_still_works() {
    let t = start_with_form(FormSettings {
        enabled: false,
        ..FormSettings::default()
    })
    .await;
    assert_eq!(open_form(&t).await.status, StatusCode::NOT_FOUND);
    let post = post_form(&t, None, &[("kind", "access")], &[]).await;
    assert_eq!(post.status(), StatusCode::NOT_FOUND);
    let sent = t.client.get(t.url("/request/sent")).send().await.unwrap();
    assert_eq!(sent.status(), StatusCode::NOT_FOUND);
    t.create(json!({"kind": "access", "subject": {"email": "alice@example.com"}}))
        .await;
    t.drain().await;
    let link = status_link(&t.mail.sent()[0].outgoing.text);
    assert_eq!(t.client.get(&link).send().await.unwrap().status(), 200);
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_theme_shows_the_organisation_logo_and_colour() {
    let t = start_with_form(FormSettings {
        organisation: Some("Hostodoo SRL".to_owned()),
        logo_url: Some("https://cdn.hostodoo.example/logo.svg".to_owned()),
        primary_color: "#0b5d1e".to_owned(),
        ..FormSettings::default()
    })
    .await;
    let page = open_form(&t).await;
    assert!(page.html.contains("--primary: #0b5d1e;"));
    assert!(
        page.html
            .contains("<img src=\"https://cdn.hostodoo.example/logo.svg\" alt=\"Hostodoo SRL\">")
    );
    assert!(page.html.contains("— Hostodoo SRL</title>"));
    let csp = page.headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap();
    assert!(
        csp.contains("img-src 'self' data: https://cdn.hostodoo.example;"),
        "{csp}"
    );
    t.stop().await;
}

/// The status link in an acknowledgement's text.
fn status_link(text: &str) -> String {
    let at = text.find("/status/").expect("a status link");
    let start = text[..at].rfind("http://").expect("an absolute link");
    text[start..]
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != '>' && *c != ')')
        .collect()
}

on_both!(
    the_status_page_shows_progress_and_deadline_in_three_languages,
    "2026-02-10T09:00:00Z",
    |t| {
        let created = t
            .create(json!({"kind": "erasure", "subject": {"email": "alice@example.com"}}))
            .await;
        assert_eq!(created["deadline"], "2026-03-10");
        let reference = created["reference"].as_str().unwrap().to_owned();
        t.drain().await;
        let link = status_link(&t.mail.sent()[0].outgoing.text);

        for (query, accept, lang, state, deadline) in [
            ("", None, "en", "Waiting for you", "10 March 2026"),
            (
                "?lang=fr",
                None,
                "fr",
                "En attente de votre confirmation",
                "10 mars 2026",
            ),
            (
                "",
                Some("nl-BE"),
                "nl",
                "Wacht op uw bevestiging",
                "10 maart 2026",
            ),
        ] {
            let mut req = t.client.get(format!("{link}{query}"));
            if let Some(a) = accept {
                req = req.header("accept-language", a);
            }
            let resp = req.send().await.unwrap();
            assert_eq!(resp.status(), 200);
            assert_eq!(resp.headers()[header::CACHE_CONTROL], "no-store");
            let html = resp.text().await.unwrap();
            assert!(html.contains(&format!("<html lang=\"{lang}\"")), "{lang}");
            assert!(
                html.contains(&format!("<strong>{state}</strong>")),
                "{lang}: {html}"
            );
            assert!(html.contains(deadline), "{lang}: {deadline}");
            assert!(html.contains(&reference));
            assert!(
                !html.contains("alice@example.com"),
                "no personal data on the page"
            );
        }

        // A refusal gives the reasons, the authority and the right to go to court.
        let id = created["id"].as_str().unwrap();
        let denied = t
            .post(
                &format!("/api/v1/requests/{id}/deny"),
                &json!({"reason": "Nous ne détenons aucune donnée à votre sujet."}),
            )
            .await;
        assert_eq!(denied.status(), 200);
        let fr = t
            .client
            .get(format!("{link}?lang=fr"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(fr.contains("<strong>Refusée</strong>"));
        assert!(fr.contains("Nous ne détenons aucune donnée à votre sujet."));
        assert!(fr.contains("Autorité de protection des données (APD)"));
        assert!(fr.contains("recours juridictionnel"));
        let nl = t
            .client
            .get(format!("{link}?lang=nl"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(nl.contains("Gegevensbeschermingsautoriteit (GBA)"));
        assert!(nl.contains("beroep instellen bij de rechtbank"));

        let unknown = t
            .client
            .get(t.url("/status/0000?lang=nl"))
            .send()
            .await
            .unwrap();
        assert_eq!(unknown.status(), 404);
        assert!(unknown.text().await.unwrap().contains("Onbekende link"));
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_address_the_mail_relay_cannot_reach_is_refused_on_the_form_saying_why() {
    let t = TestApp::start_with(
        Backend::Sqlite,
        NOW,
        |_| String::new(),
        Settings {
            mail_utf8_local_parts: false,
            ..Settings::default()
        },
    )
    .await
    .unwrap();
    for (lang, message) in [
        (
            "en",
            "We cannot send e-mail to an address with accented or non-Latin letters before the @.",
        ),
        (
            "fr",
            "Nous ne pouvons pas envoyer d&#x27;e-mail à une adresse qui contient des lettres accentuées ou non latines avant le @.",
        ),
        (
            "nl",
            "Wij kunnen geen e-mail sturen naar een adres met letters met accenten of niet-Latijnse letters vóór de @.",
        ),
    ] {
        let page = open_form_with(&t, &format!("?lang={lang}"), &[]).await;
        let fields = valid_fields(&page, "jürgen@example.de", lang);
        let resp = post_form(&t, Some(&page.cookie), &fields, &[]).await;
        assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY, "{lang}");
        let html = resp.text().await.unwrap();
        assert!(html.contains(message), "{lang}: {message:?} not in\n{html}");
    }
    assert!(all_requests(&t).await.is_empty(), "nothing stored");
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corrections_go_with_the_rectification_and_are_refused_without_it() {
    let t = start_with_form(FormSettings::default()).await;
    // Without "correct your data" ticked, the rows are refused, saying why, in each language.
    for (lang, message) in [
        ("en", "Tick “Correct your data” to send corrections"),
        (
            "fr",
            "Cochez « Faire corriger vos données » pour envoyer des corrections",
        ),
        (
            "nl",
            "Vink „Uw gegevens laten verbeteren” aan om correcties te sturen",
        ),
    ] {
        let page = open_form_with(&t, &format!("?lang={lang}"), &[]).await;
        let mut fields = valid_fields(&page, "alice@example.com", lang);
        fields.extend([
            ("correction_field", "postal_address"),
            ("correction_value", "12 Rue Haute, 1000 Brussels"),
        ]);
        let resp = post_form(&t, Some(&page.cookie), &fields, &[]).await;
        assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY, "{lang}");
        let html = resp.text().await.unwrap();
        assert!(html.contains(message), "{lang}: {message:?} not in\n{html}");
        // What was typed is shown again.
        assert!(
            html.contains("value=\"12 Rue Haute, 1000 Brussels\""),
            "{lang}"
        );
        assert!(
            html.contains("<option value=\"postal_address\" selected>"),
            "{lang}"
        );
    }
    assert!(all_requests(&t).await.is_empty(), "nothing stored");

    // With it: the rectification carries the corrections, the other request does not.
    let page = open_form(&t).await;
    let fields = vec![
        ("csrf_token", page.token.as_str()),
        ("lang", "en"),
        ("kind", "access"),
        ("kind", "rectification"),
        ("email", "alice@example.com"),
        ("name", "Alice Martin"),
        ("correction_field", "name"),
        ("correction_value", "Alice Liddell"),
        ("correction_field", "postal_address"),
        ("correction_value", "12 Rue Haute, 1000 Brussels"),
        ("correction_field", "name"),
        ("correction_value", ""),
        ("website", ""),
    ];
    let resp = post_form(&t, Some(&page.cookie), &fields, &[]).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let all = all_requests(&t).await;
    assert_eq!(all.len(), 2);
    let rect = all.iter().find(|r| r["kind"] == "rectification").unwrap();
    assert_eq!(
        rect["corrections"],
        serde_json::json!([
            {"field": "name", "value": "Alice Liddell"},
            {"field": "postal_address", "value": "12 Rue Haute, 1000 Brussels"}
        ])
    );
    let access = all.iter().find(|r| r["kind"] == "access").unwrap();
    assert!(access["corrections"].is_null(), "{access}");
    t.stop().await;
}
