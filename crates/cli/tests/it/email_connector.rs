//! The `email` connector: processors without an API are asked by mail, reminded, escalated,
//! and complete through their confirmation link; recipients get Art. 19 notices once the
//! erasure is done.

use dsrflow_app::Settings;
use serde_json::{Value, json};

use crate::support::{Backend, TestApp, t as at};

fn systems(_dir: &std::path::Path) -> String {
    r#"
[[system]]
name = "payroll-bureau"
kind = "email"
description = "Payroll bureau (processor without an API)"
recipients = ["accountant"]
[[system.purposes]]
name = "payroll"
legal_basis = "contract"
[system.connection]
address = "dpo@payroll.example"
name = "Payroll Bureau SRL"
language = "fr"
remind_after_days = 7
max_reminders = 2

[[recipient]]
name = "accountant"
label = "Fidu & Co, statutory accountant"
receives = "payslips, for the statutory bookkeeping"
kind = "email"
[recipient.connection]
address = "office@fidu.example"
name = "Fidu & Co"
"#
    .to_owned()
}

async fn start(backend: Backend) -> Option<TestApp> {
    let settings = Settings {
        officer_address: Some("dpo@hostodoo.example".to_owned()),
        ..Settings::default()
    };
    TestApp::start_with(backend, "2026-02-10T09:00:00Z", systems, settings).await
}

fn task<'a>(tasks: &'a [Value], system: &str, action: &str) -> &'a Value {
    tasks
        .iter()
        .find(|t| t["system"] == system && t["action"] == action)
        .unwrap_or_else(|| panic!("no {system}/{action} task in {tasks:?}"))
}

fn mails_to(t: &TestApp, to: &str) -> Vec<dsrflow_mail::Outgoing> {
    t.mail
        .sent()
        .into_iter()
        .map(|s| s.outgoing)
        .filter(|m| m.to == to)
        .collect()
}

async fn erasure(t: &TestApp) -> String {
    let created = t
        .create_vouched(json!({"kind": "erasure", "subject": {"email": "alice@example.com", "name": "Alice Martin"}}))
        .await;
    t.drain().await;
    created["id"].as_str().unwrap().to_owned()
}

async fn reminders_then_escalation(t: TestApp) {
    let id = erasure(&t).await;
    let tasks = t.tasks(&id).await;
    let payroll = task(&tasks, "payroll-bureau", "erase");
    assert_eq!(payroll["status"], "running");
    assert_eq!(payroll["external_ref"], "mail:0");
    let asked = mails_to(&t, "dpo@payroll.example");
    assert_eq!(asked.len(), 1);
    // In French, with the subject's identifiers and a confirmation link.
    assert!(
        asked[0].text.contains("alice@example.com"),
        "{}",
        asked[0].text
    );
    assert!(asked[0].text.contains("/confirm/"));
    assert_eq!(
        asked[0]
            .headers
            .iter()
            .find(|(k, _)| k == "Content-Language")
            .map(|(_, v)| v.as_str()),
        Some("fr")
    );
    // The accountant, a recipient of the payroll data, is told once the erasure is done.
    assert!(
        !tasks.iter().any(|t| t["system"] == "accountant"),
        "{tasks:?}"
    );
    assert!(mails_to(&t, "office@fidu.example").is_empty());

    for (day, expected) in [("2026-02-17T09:00:01Z", 2), ("2026-02-24T09:00:02Z", 3)] {
        t.clock.set(at(day));
        dsrflow_app::work::reconcile(&t.app).await.unwrap();
        t.drain().await;
        assert_eq!(
            mails_to(&t, "dpo@payroll.example").len(),
            expected,
            "reminder by {day}"
        );
    }
    assert_eq!(
        task(&t.tasks(&id).await, "payroll-bureau", "erase")["external_ref"],
        "mail:2"
    );
    // After the last reminder: the officer takes over.
    t.clock.set(at("2026-03-03T09:00:03Z"));
    dsrflow_app::work::reconcile(&t.app).await.unwrap();
    t.drain().await;
    let payroll = task(&t.tasks(&id).await, "payroll-bureau", "erase").clone();
    assert_eq!(payroll["status"], "awaiting_manual");
    assert!(
        payroll["instructions"]
            .as_str()
            .unwrap()
            .contains("Payroll Bureau SRL")
    );
    // The silent processor is escalated, once.
    let officer = mails_to(&t, "dpo@hostodoo.example");
    assert_eq!(officer.len(), 1);
    assert!(
        officer
            .iter()
            .any(|m| m.text.contains("Payroll Bureau SRL"))
    );
    assert!(
        officer.iter().all(|m| !m.text.contains("alice")),
        "the officer mail carries no personal data"
    );
    t.stop().await;
}

async fn the_confirmation_link_completes_the_task(t: TestApp) {
    let id = erasure(&t).await;
    let asked = mails_to(&t, "dpo@payroll.example");
    let text = &asked[0].text;
    let start = text.find("http://").unwrap();
    let link: String = text[start..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .collect();
    assert!(link.contains("/confirm/"), "{link}");
    // The processor's language: the page opens in French, as the mail was.
    assert!(link.ends_with("?lang=fr"), "{link}");
    // Following the link shows a button; it does not confirm by itself (mail scanners).
    let page = t.client.get(&link).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("<form method=\"post\""));
    assert!(html.contains("<html lang=\"fr\""), "{html}");
    assert_eq!(
        task(&t.tasks(&id).await, "payroll-bureau", "erase")["status"],
        "running"
    );
    let done = t.client.post(&link).send().await.unwrap();
    assert_eq!(done.status(), 200);
    t.drain().await;
    let tasks = t.tasks(&id).await;
    let payroll = task(&tasks, "payroll-bureau", "erase");
    assert_eq!(payroll["status"], "succeeded");
    assert_eq!(payroll["completed_by"], "processor:payroll-bureau");
    // The erasure done, the accountant is told (Art. 19) in its own mail, and then the
    // request settles for review; the subject's answer names the accountant.
    let tasks = t.tasks(&id).await;
    let notice = task(&tasks, "accountant", "notify");
    assert_eq!(notice["status"], "succeeded", "{notice}");
    assert!(notice["started_at"].as_str() >= payroll["finished_at"].as_str());
    let told = mails_to(&t, "office@fidu.example");
    assert_eq!(told.len(), 1, "one notice, no erase request");
    assert!(
        told[0].text.contains("Dear Fidu & Co team"),
        "{}",
        told[0].text
    );
    assert!(told[0].text.contains("alice@example.com"));
    assert!(told[0].text.contains("GDPR Art. 19"));
    // The recipient may acknowledge it through its own link: evidence that it arrived.
    let text = &told[0].text;
    let start = text.find("http://").unwrap();
    let ack: String = text[start..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .collect();
    assert!(ack.contains("/confirm/"), "{ack}");
    let page = t.client.get(&ack).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("GDPR Art. 19"), "{html}");
    assert!(html.contains("I acknowledge the notice"), "{html}");
    let done = t.client.post(&ack).send().await.unwrap();
    assert_eq!(done.status(), 200);
    let notice = task(&t.tasks(&id).await, "accountant", "notify").clone();
    assert_eq!(notice["completed_by"], "recipient:accountant");
    let uid: uuid::Uuid = id.parse().unwrap();
    let events = dsrflow_store::audit::for_request(t.app.store.db(), uid)
        .await
        .unwrap();
    assert!(
        events
            .iter()
            .any(|e| e.action == "task.acknowledged_by_recipient"),
        "the acknowledgement is evidence in the audit trail"
    );
    assert_eq!(
        t.client.post(&ack).send().await.unwrap().status(),
        404,
        "acknowledged once"
    );
    assert_eq!(t.request(&id).await["status"], "awaiting_review");
    let approved = t
        .post(&format!("/api/v1/requests/{id}/approve"), &json!({}))
        .await;
    assert_eq!(approved.status(), 200);
    t.drain().await;
    let answer = mails_to(&t, "alice@example.com");
    let answer = answer.last().unwrap();
    assert!(
        answer.text.contains("Fidu & Co, statutory accountant"),
        "{}",
        answer.text
    );
    let again = t.client.post(&link).send().await.unwrap();
    assert_eq!(
        again.status(),
        404,
        "a used link is not a second confirmation"
    );
    let bad = t
        .client
        .get(t.url("/confirm/deadbeef"))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 404);
    t.stop().await;
}

macro_rules! both {
    ($name:ident, $f:ident) => {
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                $f(start(Backend::Sqlite).await.unwrap()).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[ignore = "needs PostgreSQL: set DSRFLOW_TEST_POSTGRES_URL (.ci/run does)"]
            async fn postgres() {
                $f(start(Backend::Postgres).await.expect("PostgreSQL")).await;
            }
        }
    };
}

both!(
    a_silent_processor_is_reminded_then_escalated_to_the_officer,
    reminders_then_escalation
);
both!(
    a_processor_confirms_through_its_link,
    the_confirmation_link_completes_the_task
);

async fn the_officer_records_a_processors_answer_given_otherwise(t: TestApp) {
    let id = erasure(&t).await;
    let payroll = task(&t.tasks(&id).await, "payroll-bureau", "erase").clone();
    assert_eq!(payroll["status"], "running");
    let tid = payroll["id"].as_str().unwrap();
    let done = t
        .post(
            &format!("/api/v1/tasks/{tid}/complete"),
            &json!({"status": "succeeded", "note": "The bureau confirmed the erasure by phone on 12 February."}),
        )
        .await;
    assert_eq!(done.status(), 200);
    t.drain().await;
    let payroll = task(&t.tasks(&id).await, "payroll-bureau", "erase").clone();
    assert_eq!(payroll["status"], "succeeded");
    assert_eq!(
        payroll["note"],
        "The bureau confirmed the erasure by phone on 12 February."
    );
    // No reminder goes out any more, and the processor's link no longer confirms anything.
    let asked = mails_to(&t, "dpo@payroll.example");
    t.clock.set(at("2026-02-17T09:00:01Z"));
    dsrflow_app::work::reconcile(&t.app).await.unwrap();
    t.drain().await;
    assert_eq!(mails_to(&t, "dpo@payroll.example").len(), asked.len());
}

both!(
    an_officer_completes_a_task_that_waits_for_a_processors_mail,
    the_officer_records_a_processors_answer_given_otherwise
);
