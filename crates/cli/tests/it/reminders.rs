//! The deadline sweep: officer reminders before the deadline, escalations, the daily digest;
//! each once per request and threshold however often the sweep runs.

use dsrflow_app::Settings;
use dsrflow_app::reminders::NoticeState;
use dsrflow_domain::reminder::ReminderPolicy;
use serde_json::json;

use crate::support::{Backend, TestApp, t as at};

async fn start(backend: Backend) -> Option<TestApp> {
    TestApp::start_with(
        backend,
        "2026-02-01T09:00:00Z",
        |_| String::new(),
        Settings {
            officer_address: Some("dpo@hostodoo.example".to_owned()),
            ..Settings::default()
        },
    )
    .await
}

fn officer_mail(t: &TestApp) -> Vec<dsrflow_mail::Outgoing> {
    t.mail
        .sent()
        .into_iter()
        .map(|s| s.outgoing)
        .filter(|m| m.to == "dpo@hostodoo.example")
        .collect()
}

async fn sweep(t: &TestApp, when: &str) -> dsrflow_app::reminders::Sweep {
    t.clock.set(at(when));
    let s = dsrflow_app::reminders::sweep(&t.app, &ReminderPolicy::default(), at(when), false)
        .await
        .unwrap();
    t.drain().await;
    s
}

async fn scenario(t: TestApp) {
    let created = t
        .create(json!({
            "kind": "access",
            "subject": {"email": "alice@example.com", "name": "Alice Martin"},
            "received_at": "2026-01-31T12:00:00+01:00"
        }))
        .await;
    let reference = created["reference"].as_str().unwrap().to_owned();
    assert_eq!(created["deadline"], "2026-03-02");

    // Far from the deadline: only the digest.
    let s = sweep(&t, "2026-02-02T08:00:00Z").await;
    assert!(s.notices.is_empty());
    assert!(s.digest_queued);
    assert_eq!(officer_mail(&t).len(), 1);
    // The digest is daily: a second sweep the same day sends nothing.
    let s = sweep(&t, "2026-02-02T10:00:00Z").await;
    assert!(!s.digest_queued);
    assert_eq!(officer_mail(&t).len(), 1);

    // 14 days before: a dry run says it would send the reminder, and sends nothing.
    let dry = dsrflow_app::reminders::sweep(
        &t.app,
        &ReminderPolicy::default(),
        at("2026-02-16T07:00:00Z"),
        true,
    )
    .await
    .unwrap();
    assert_eq!(dry.notices.len(), 1);
    assert_eq!(dry.notices[0].state, NoticeState::WouldSend);
    assert!(!dry.notices[0].queued);
    // Then a reminder, once.
    let s = sweep(&t, "2026-02-16T08:00:00Z").await;
    assert_eq!(s.notices.len(), 1);
    assert!(s.notices[0].queued);
    assert_eq!(s.notices[0].state, NoticeState::Queued);
    let s = sweep(&t, "2026-02-16T12:00:00Z").await;
    assert!(!s.notices[0].queued, "the 14-day reminder goes out once");
    assert_eq!(s.notices[0].state, NoticeState::SentEarlier);
    let reminders: Vec<_> = officer_mail(&t)
        .into_iter()
        .filter(|m| m.subject.contains(&reference))
        .collect();
    assert_eq!(reminders.len(), 1);
    assert!(reminders[0].text.contains("14"), "{}", reminders[0].text);
    assert!(
        !reminders[0].text.contains("alice"),
        "no personal data to the officer"
    );

    // 3 days before: the 3-day reminder and the warning that the extension window closes.
    let s = sweep(&t, "2026-02-27T08:00:00Z").await;
    assert_eq!(s.notices.len(), 2, "{:?}", s.notices);
    assert!(s.notices.iter().all(|p| p.queued));

    // After the deadline: one escalation.
    let s = sweep(&t, "2026-03-03T08:00:00Z").await;
    assert_eq!(s.notices.len(), 1);
    let escalations: Vec<_> = officer_mail(&t)
        .into_iter()
        .filter(|m| m.subject.contains(&reference))
        .collect();
    assert_eq!(
        escalations.len(),
        4,
        "14-day, 3-day, extension window, overdue"
    );

    // A dry run lists and queues nothing.
    let before = t.mail.len();
    let dry = dsrflow_app::reminders::sweep(
        &t.app,
        &ReminderPolicy::default(),
        at("2026-03-04T08:00:00Z"),
        true,
    )
    .await
    .unwrap();
    assert_eq!(dry.notices.len(), 1);
    assert!(!dry.notices[0].queued);
    assert_eq!(dry.notices[0].state, NoticeState::SentEarlier, "{dry:?}");
    t.drain().await;
    assert_eq!(t.mail.len(), before);

    // Closed requests are not reminded about.
    let id = created["id"].as_str().unwrap();
    t.post(&format!("/api/v1/requests/{id}/withdraw"), &json!({}))
        .await;
    let s = sweep(&t, "2026-03-05T08:00:00Z").await;
    assert!(s.notices.is_empty());
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_officer_is_reminded_once_per_threshold_and_escalated_when_overdue_on_sqlite() {
    scenario(start(Backend::Sqlite).await.unwrap()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: set DSRFLOW_TEST_POSTGRES_URL (.ci/run does)"]
async fn the_officer_is_reminded_once_per_threshold_and_escalated_when_overdue_on_postgres() {
    let t = start(Backend::Postgres).await.expect("PostgreSQL");
    scenario(t).await;
}
