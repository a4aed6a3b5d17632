//! The officer's dashboard: signing in and out, and the queue of open requests.

use dsrflow_domain::Actor;
use dsrflow_domain::account::Role;
use reqwest::StatusCode;
use reqwest::header;
use serde_json::json;

use crate::form::{input_value, no_redirects, set_cookie};
use crate::support::{Backend, TestApp};

fn form_body(pairs: &[(&str, &str)]) -> String {
    let mut body = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        body.append_pair(k, v);
    }
    body.finish()
}

async fn sign_in(t: &TestApp, email: &str, password: &str) -> reqwest::Response {
    let client = no_redirects();
    let page = client
        .get(t.url("/login?next=%2Fdashboard"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let csrf = set_cookie(page.headers(), "dsrflow_csrf").unwrap();
    let html = page.text().await.unwrap();
    let token = input_value(&html, "csrf_token");
    let next = input_value(&html, "next");
    client
        .post(t.url("/login"))
        .header(header::COOKIE, csrf)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(form_body(&[
            ("csrf_token", token.as_str()),
            ("next", next.as_str()),
            ("email", email),
            ("password", password),
        ]))
        .send()
        .await
        .unwrap()
}

/// An account with `role` and its signed-in session cookie.
async fn signed_in_as(t: &TestApp, email: &str, role: Role) -> String {
    dsrflow_app::accounts::add(
        &t.app,
        Actor::Cli,
        email,
        role,
        dsrflow_app::accounts::NewPassword::Chosen("a long enough passphrase"),
    )
    .await
    .unwrap();
    set_cookie(
        sign_in(t, email, "a long enough passphrase")
            .await
            .headers(),
        "dsrflow_session",
    )
    .unwrap()
}

async fn signing_in_shows_the_queue_by_deadline_and_signing_out_ends_it(t: TestApp) {
    dsrflow_app::accounts::add(
        &t.app,
        Actor::Cli,
        "officer@hostodoo.example",
        Role::Officer,
        dsrflow_app::accounts::NewPassword::Chosen("a long enough passphrase"),
    )
    .await
    .unwrap();
    let early = t
        .create(json!({"kind": "access", "received_at": "2026-01-05T10:00:00Z", "subject": {"email": "alice@example.com"}}))
        .await;
    let late = t
        .create(json!({"kind": "erasure", "subject": {"email": "bob@example.org"}}))
        .await;
    let client = no_redirects();

    // No session: to the sign-in page, coming back afterwards.
    let anon = client.get(t.url("/dashboard")).send().await.unwrap();
    assert_eq!(anon.status(), StatusCode::SEE_OTHER);
    assert_eq!(anon.headers()[header::LOCATION], "/login?next=%2Fdashboard");

    // A wrong password and an unknown address get the same generic answer.
    for (email, password) in [
        ("officer@hostodoo.example", "not the passphrase"),
        ("nobody@hostodoo.example", "a long enough passphrase"),
    ] {
        let wrong = sign_in(&t, email, password).await;
        assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
        let html = wrong.text().await.unwrap();
        assert!(html.contains("Wrong e-mail address or password."), "{html}");
    }

    let ok = sign_in(&t, "Officer@Hostodoo.example", "a long enough passphrase").await;
    assert_eq!(ok.status(), StatusCode::SEE_OTHER);
    assert_eq!(ok.headers()[header::LOCATION], "/dashboard");
    let raw_cookie = ok
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|v| v.starts_with("dsrflow_session="))
        .unwrap();
    assert!(
        raw_cookie.contains("HttpOnly") && raw_cookie.contains("SameSite=Lax"),
        "{raw_cookie}"
    );
    let session = set_cookie(ok.headers(), "dsrflow_session").unwrap();

    let queue = client
        .get(t.url("/dashboard"))
        .header(header::COOKIE, &session)
        .send()
        .await
        .unwrap();
    assert_eq!(queue.status(), StatusCode::OK);
    assert_eq!(queue.headers()[header::CACHE_CONTROL], "no-store");
    let html = queue.text().await.unwrap();
    let (a, b) = (
        html.find(early["reference"].as_str().unwrap()).unwrap(),
        html.find(late["reference"].as_str().unwrap()).unwrap(),
    );
    assert!(a < b, "nearest deadline first");
    assert!(
        html.contains("officer@hostodoo.example (officer)"),
        "{html}"
    );
    assert!(!html.contains("alice@example.com"), "addresses are masked");
    assert!(
        html.contains("days overdue") || html.contains("days left"),
        "{html}"
    );

    // The summary strip counts the views; a filter in the URL narrows the queue.
    assert!(html.contains("<strong>2</strong> open"), "{html}");
    assert!(html.contains("<strong>1</strong> overdue"), "{html}");
    assert!(html.contains("href=\"/dashboard?due=overdue\""), "{html}");
    let erasures = client
        .get(t.url("/dashboard?kind=erasure"))
        .header(header::COOKIE, &session)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(erasures.contains(late["reference"].as_str().unwrap()));
    assert!(
        !erasures.contains(early["reference"].as_str().unwrap()),
        "{erasures}"
    );
    assert!(
        erasures.contains("<option value=\"erasure\" selected>"),
        "{erasures}"
    );
    let overdue = client
        .get(t.url("/dashboard?due=overdue&kind=nonsense"))
        .header(header::COOKIE, &session)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    // 2026-01-05 + one month is past on 2026-02-10; the other request is not yet due.
    assert!(
        overdue.contains(early["reference"].as_str().unwrap()),
        "{overdue}"
    );
    assert!(
        !overdue.contains(late["reference"].as_str().unwrap()),
        "{overdue}"
    );

    // Each row opens the request: its legal clock in words, citing the rule, and its timeline.
    let link = format!("/dashboard/requests/{}", early["id"].as_str().unwrap());
    assert!(html.contains(&format!("href=\"{link}\"")), "{html}");
    let detail = client
        .get(t.url(&link))
        .header(header::COOKIE, &session)
        .send()
        .await
        .unwrap();
    assert_eq!(detail.status(), StatusCode::OK);
    let page = detail.text().await.unwrap();
    for expected in [
        "Received on 2026-01-05: that day is not counted.",
        "One month from receipt (GDPR Art. 12(3), Regulation 1182",
        "the notice with reasons must be sent by 2026-02-05",
        "request.created",
    ] {
        assert!(page.contains(expected), "{expected:?} in {page}");
    }
    assert!(!page.contains("alice@example.com"), "masked");
    let unknown = client
        .get(t.url("/dashboard/requests/00000000-0000-7000-8000-000000000000"))
        .header(header::COOKIE, &session)
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    let anon = client.get(t.url(&link)).send().await.unwrap();
    assert_eq!(anon.status(), StatusCode::SEE_OTHER);

    // Signing out needs the session's CSRF token, then ends the session.
    let token = input_value(&html, "csrf_token");
    let forged = client
        .post(t.url("/logout"))
        .header(header::COOKIE, &session)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(form_body(&[("csrf_token", "0.bad")]))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let out = client
        .post(t.url("/logout"))
        .header(header::COOKIE, &session)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(form_body(&[("csrf_token", token.as_str())]))
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    let after = client
        .get(t.url("/dashboard"))
        .header(header::COOKIE, &session)
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), StatusCode::SEE_OTHER, "the session is gone");

    // Each sign-in, refused sign-in and sign-out is audited, naming no address.
    use dsrflow_store::sea_orm::{EntityTrait, QueryOrder};
    let events = dsrflow_store::entity::audit_event::Entity::find()
        .order_by_asc(dsrflow_store::entity::audit_event::Column::Seq)
        .all(t.app.store.db())
        .await
        .unwrap();
    let actions: Vec<String> = events
        .iter()
        .filter(|e| e.action.as_str().starts_with("account.sign"))
        .map(|e| e.action.to_string())
        .collect();
    assert_eq!(
        actions,
        [
            "account.sign_in_failed",
            "account.sign_in_failed",
            "account.signed_in",
            "account.signed_out"
        ]
    );
    assert!(events.iter().all(|e| !e.data.contains("hostodoo.example")));
    t.stop().await;
}

mod signing_in_shows_the_queue_by_deadline_and_signing_out_ends_it {
    use super::*;
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        signing_in_shows_the_queue_by_deadline_and_signing_out_ends_it(
            TestApp::start(Backend::Sqlite, "2026-02-10T09:00:00Z")
                .await
                .unwrap(),
        )
        .await;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[ignore = "needs PostgreSQL: set DSRFLOW_TEST_POSTGRES_URL (.ci/run does)"]
    async fn postgres() {
        signing_in_shows_the_queue_by_deadline_and_signing_out_ends_it(
            TestApp::start(Backend::Postgres, "2026-02-10T09:00:00Z")
                .await
                .expect("PostgreSQL"),
        )
        .await;
    }
}

async fn an_officer_acts_on_a_request_and_a_viewer_cannot(t: TestApp) {
    for (email, role) in [
        ("officer@hostodoo.example", Role::Officer),
        ("viewer@hostodoo.example", Role::Viewer),
    ] {
        dsrflow_app::accounts::add(
            &t.app,
            Actor::Cli,
            email,
            role,
            dsrflow_app::accounts::NewPassword::Chosen("a long enough passphrase"),
        )
        .await
        .unwrap();
    }
    let created = t
        .create_vouched(json!({"kind": "access", "subject": {"email": "alice@example.com"}}))
        .await;
    let id = created["id"].as_str().unwrap();
    let client = no_redirects();
    let session_of =
        |resp: &reqwest::Response| set_cookie(resp.headers(), "dsrflow_session").unwrap();
    let officer =
        session_of(&sign_in(&t, "officer@hostodoo.example", "a long enough passphrase").await);
    let viewer =
        session_of(&sign_in(&t, "viewer@hostodoo.example", "a long enough passphrase").await);
    let page = |session: String| {
        let client = client.clone();
        let url = t.url(&format!("/dashboard/requests/{id}"));
        async move {
            client
                .get(url)
                .header(header::COOKIE, session)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        }
    };
    // A viewer sees no actions, and an action posted anyway is refused.
    let viewer_page = page(viewer.clone()).await;
    assert!(!viewer_page.contains("/extend\""), "{viewer_page}");
    let officer_page = page(officer.clone()).await;
    let officer_token = input_value(&officer_page, "csrf_token");
    let post = |session: String, action: &'static str, fields: Vec<(&'static str, String)>| {
        let client = client.clone();
        let url = t.url(&format!("/dashboard/requests/{id}/{action}"));
        async move {
            let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            client
                .post(url)
                .header(header::COOKIE, session)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(form_body(&pairs))
                .send()
                .await
                .unwrap()
        }
    };
    // The viewer's own session token (from the queue's sign-out form), valid, still cannot act.
    let queue = client
        .get(t.url("/dashboard"))
        .header(header::COOKIE, viewer.clone())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let viewer_token = input_value(&queue, "csrf_token");
    let refused = post(
        viewer.clone(),
        "extend",
        vec![
            ("csrf_token", viewer_token.clone()),
            ("reason", "More time".to_owned()),
        ],
    )
    .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    // Anyone signed in may see the address, and each look is recorded under their account.
    assert!(!viewer_page.contains("alice@example.com"));
    let revealed = post(
        viewer.clone(),
        "reveal",
        vec![("csrf_token", viewer_token.clone())],
    )
    .await;
    assert_eq!(revealed.status(), StatusCode::OK);
    let shown = revealed.text().await.unwrap();
    assert!(shown.contains("alice@example.com"), "{shown}");
    assert!(shown.contains("this was recorded"), "{shown}");
    // The officer: a missing reason is said, a wrong token refused, a valid extension done.
    let no_reason = post(
        officer.clone(),
        "extend",
        vec![("csrf_token", officer_token.clone())],
    )
    .await;
    assert_eq!(no_reason.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(no_reason.text().await.unwrap().contains("reason"));
    let forged = post(
        officer.clone(),
        "extend",
        vec![
            ("csrf_token", "0.bad".to_owned()),
            ("reason", "x y z".to_owned()),
        ],
    )
    .await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let no_token = post(
        officer.clone(),
        "extend",
        vec![("reason", "x y z".to_owned())],
    )
    .await;
    assert_eq!(no_token.status(), StatusCode::FORBIDDEN);
    let extended = post(
        officer.clone(),
        "extend",
        vec![
            ("csrf_token", officer_token.clone()),
            (
                "reason",
                "Twenty systems to search, two of them by hand".to_owned(),
            ),
        ],
    )
    .await;
    assert_eq!(extended.status(), StatusCode::SEE_OTHER);
    assert_eq!(t.request(id).await["extended"], true);
    // Approving before the work is done is refused in words.
    let early = post(
        officer.clone(),
        "approve",
        vec![("csrf_token", officer_token)],
    )
    .await;
    assert_eq!(early.status(), StatusCode::CONFLICT);
    assert!(
        early
            .text()
            .await
            .unwrap()
            .contains("This could not be done")
    );
    // The extension is audited under the officer's account, not an address.
    let uid: uuid::Uuid = id.parse().unwrap();
    let events = dsrflow_store::audit::for_request(t.app.store.db(), uid)
        .await
        .unwrap();
    let ext = events
        .iter()
        .find(|e| e.action.as_str() == "request.extended")
        .unwrap();
    assert!(ext.actor.starts_with("account:"), "{}", ext.actor);
    let reveal = events
        .iter()
        .find(|e| e.action.as_str() == "subject.revealed")
        .unwrap();
    assert!(reveal.actor.starts_with("account:"), "{}", reveal.actor);
    t.stop().await;
}

mod an_officer_acts_on_a_request_and_a_viewer_cannot {
    use super::*;
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        an_officer_acts_on_a_request_and_a_viewer_cannot(
            TestApp::start(Backend::Sqlite, "2026-02-10T09:00:00Z")
                .await
                .unwrap(),
        )
        .await;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[ignore = "needs PostgreSQL: set DSRFLOW_TEST_POSTGRES_URL (.ci/run does)"]
    async fn postgres() {
        an_officer_acts_on_a_request_and_a_viewer_cannot(
            TestApp::start(Backend::Postgres, "2026-02-10T09:00:00Z")
                .await
                .expect("PostgreSQL"),
        )
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_officer_forwards_to_a_hosted_customer_and_records_a_withdrawal() {
    let settings = dsrflow_app::Settings {
        customers: dsrflow_app::settings::customers::validate(&[
            dsrflow_app::settings::customers::CustomerSection {
                name: "brasserie-dupont".to_owned(),
                label: "Brasserie Dupont SRL".to_owned(),
                contact_email: "privacy@dupont.example".to_owned(),
                workspace: None,
            },
        ])
        .unwrap(),
        ..dsrflow_app::Settings::default()
    };
    let t = TestApp::start_with(
        Backend::Sqlite,
        "2026-02-10T09:00:00Z",
        |_| String::new(),
        settings,
    )
    .await
    .unwrap();
    let session = signed_in_as(&t, "officer@hostodoo.example", Role::Officer).await;
    let client = no_redirects();
    let hosted = t
        .create(json!({"kind": "erasure", "subject": {"email": "guest@example.com"}}))
        .await;
    let withdrawn = t
        .create(json!({"kind": "access", "subject": {"email": "carol@example.com"}}))
        .await;
    let page = client
        .get(t.url(&format!(
            "/dashboard/requests/{}",
            hosted["id"].as_str().unwrap()
        )))
        .header(header::COOKIE, &session)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("<option value=\"brasserie-dupont\">Brasserie Dupont SRL</option>"));
    let token = input_value(&page, "csrf_token");
    for (id, action, extra) in [
        (
            hosted["id"].as_str().unwrap(),
            "forward",
            ("customer", "brasserie-dupont"),
        ),
        (
            withdrawn["id"].as_str().unwrap(),
            "withdraw",
            ("reason", "Asked by phone to drop it"),
        ),
    ] {
        let resp = client
            .post(t.url(&format!("/dashboard/requests/{id}/{action}")))
            .header(header::COOKIE, &session)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(form_body(&[("csrf_token", token.as_str()), extra]))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::SEE_OTHER, "{action}");
    }
    let f = t.request(hosted["id"].as_str().unwrap()).await;
    assert_eq!(f["status"], "completed");
    assert_eq!(f["forwarded_to"], "Brasserie Dupont SRL");
    assert_eq!(
        t.request(withdrawn["id"].as_str().unwrap()).await["status"],
        "withdrawn"
    );
    t.drain().await;
    assert!(
        t.mail
            .sent()
            .iter()
            .any(|m| m.outgoing.to == "privacy@dupont.example"),
        "the controller got the request"
    );
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_officer_records_the_work_of_a_manual_task_from_the_request_page() {
    let systems = |_: &std::path::Path| {
        r#"
[[system]]
name = "support-mailbox"
kind = "manual"
description = "The shared support mailbox"
[[system.purposes]]
name = "support"
legal_basis = "contract"
[system.connection]
owner = "Support team"
"#
        .to_owned()
    };
    let t = TestApp::start_with(
        Backend::Sqlite,
        "2026-02-10T09:00:00Z",
        systems,
        Default::default(),
    )
    .await
    .unwrap();
    let session = signed_in_as(&t, "officer@hostodoo.example", Role::Officer).await;
    let created = t
        .create_vouched(json!({"kind": "erasure", "subject": {"email": "alice@example.com"}}))
        .await;
    let id = created["id"].as_str().unwrap();
    t.drain().await;
    let client = no_redirects();
    let page = client
        .get(t.url(&format!("/dashboard/requests/{id}")))
        .header(header::COOKIE, &session)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let marker = "action=\"/dashboard/tasks/";
    let start = page.find(marker).expect("a form for the waiting task") + "action=\"".len();
    let action: String = page[start..].chars().take_while(|c| *c != '"').collect();
    assert!(page.contains("Support team"), "the instructions are shown");
    let token = input_value(&page, "csrf_token");
    let post = |fields: Vec<(&'static str, &'static str)>| {
        let client = client.clone();
        let url = t.url(&action);
        let session = session.clone();
        let token = token.clone();
        async move {
            let mut pairs = vec![("csrf_token", token.as_str())];
            pairs.extend(fields);
            client
                .post(url)
                .header(header::COOKIE, session)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(form_body(&pairs))
                .send()
                .await
                .unwrap()
        }
    };
    // A note is required, and a kept status needs its rule: said in words, nothing changed.
    let no_note = post(vec![("status", "succeeded")]).await;
    assert_eq!(no_note.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let no_rule = post(vec![("status", "retained"), ("note", "Kept the invoices")]).await;
    assert_eq!(no_rule.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(no_rule.text().await.unwrap().contains("rule"));
    let done = post(vec![("status", "succeeded"), ("note", "Deleted 3 threads")]).await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        done.headers()[header::LOCATION],
        format!("/dashboard/requests/{id}")
    );
    t.drain().await;
    assert_eq!(t.request(id).await["status"], "awaiting_review");
    let tasks = t.tasks(id).await;
    assert_eq!(tasks[0]["note"], "Deleted 3 threads");
    assert!(
        tasks[0]["completed_by"]
            .as_str()
            .unwrap()
            .starts_with("account:")
    );
    t.stop().await;
}
