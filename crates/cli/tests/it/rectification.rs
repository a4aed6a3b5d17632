//! Rectification (Art. 16): the corrections asked for reach every system — applied where a
//! `sql` table declares the column, shown to the person or processor doing it by hand, passed
//! on to the recipients (Art. 19) — and the subject is told what was corrected where.

use serde_json::{Value, json};

use crate::support::{Backend, TestApp, sqlite_column, sqlite_target};

const CRM_SCHEMA: &[&str] = &[
    "CREATE TABLE partner (id INTEGER PRIMARY KEY, name TEXT, email TEXT, street TEXT)",
    "INSERT INTO partner (id, name, email, street) VALUES (1, 'Alice Lidell', 'alice@example.com', '1 Wrong Street'), (2, 'Bob', 'bob@example.org', '2 Bob Street')",
];

fn systems(dir: &std::path::Path) -> String {
    format!(
        r#"
[[recipient]]
name = "fidu"
label = "Accounting firm Fidu & Co"
kind = "email"
[recipient.connection]
address = "privacy@fidu.example"
name = "Fidu & Co"

[[system]]
name = "crm"
kind = "sql"
description = "Customer accounts"
recipients = ["fidu"]
[[system.purposes]]
name = "invoicing"
legal_basis = "contract"
[system.connection]
url = "sqlite://{crm}"
[[system.connection.table]]
name = "partner"
match = {{ email = "email" }}
erase = "delete"
rectify = {{ name = "name", postal_address = "street" }}

[[system]]
name = "support-mailbox"
kind = "manual"
description = "Support mailbox"
[[system.purposes]]
name = "support"
legal_basis = "legitimate_interest"
[system.connection]
owner = "Support team"
"#,
        crm = dir.join("crm.db").display()
    )
}

async fn start(backend: Backend) -> Option<TestApp> {
    let t =
        TestApp::start_with(backend, "2026-02-10T09:00:00Z", systems, Default::default()).await?;
    sqlite_target(&t.dir.path().join("crm.db"), CRM_SCHEMA).await;
    Some(t)
}

fn task<'a>(tasks: &'a [Value], system: &str, action: &str) -> &'a Value {
    tasks
        .iter()
        .find(|t| t["system"] == system && t["action"] == action)
        .unwrap_or_else(|| panic!("no {system}/{action} task in {tasks:?}"))
}

async fn corrections_are_applied_shown_passed_on_and_told(t: TestApp) {
    let created = t
        .create_vouched(json!({
            "kind": "rectification",
            "subject": {"email": "alice@example.com"},
            "corrections": [
                {"field": "name", "value": "Alice Liddell"},
                {"field": "postal_address", "value": "12 Rue Haute, 1000 Brussels"},
                {"field": "date_of_birth", "value": "1852-05-04"}
            ]
        }))
        .await;
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(created["corrections"][1]["field"], "postal_address");
    t.drain().await;

    // The database: Alice's row corrected, Bob's untouched.
    let url = format!("sqlite://{}", t.dir.path().join("crm.db").display());
    assert_eq!(
        sqlite_column(
            &url,
            "SELECT name || ' / ' || street FROM partner ORDER BY id"
        )
        .await,
        vec![
            Some("Alice Liddell / 12 Rue Haute, 1000 Brussels".to_owned()),
            Some("Bob / 2 Bob Street".to_owned())
        ]
    );
    let tasks = t.tasks(&id).await;
    let crm = task(&tasks, "crm", "rectify");
    assert_eq!(crm["status"], "succeeded", "{crm}");
    assert_eq!(crm["outcome"]["items"][0]["effect"], "corrected");
    // A detail no table holds is said so, not claimed as corrected.
    assert!(
        crm["outcome"]["note"]
            .as_str()
            .unwrap()
            .contains("date_of_birth"),
        "{crm}"
    );
    // The person doing it by hand is given the corrections themselves.
    let mailbox = task(&tasks, "support-mailbox", "rectify");
    assert_eq!(mailbox["status"], "awaiting_manual");
    let instructions = mailbox["instructions"].as_str().unwrap();
    assert!(
        instructions.contains("postal_address: 12 Rue Haute, 1000 Brussels"),
        "{instructions}"
    );
    let tid = mailbox["id"].as_str().unwrap();
    let done = t
        .post(
            &format!("/api/v1/tasks/{tid}/complete"),
            &json!({"status": "not_found", "note": "No mail from this address"}),
        )
        .await;
    assert_eq!(done.status(), 200);
    t.drain().await;

    // The recipient is told after the work, with the corrections to apply to its copy.
    let tasks = t.tasks(&id).await;
    assert_eq!(task(&tasks, "fidu", "notify")["status"], "succeeded");
    let notice = t
        .mail
        .sent()
        .into_iter()
        .map(|s| s.outgoing)
        .find(|m| m.to == "privacy@fidu.example")
        .expect("the recipient's notice");
    assert!(notice.text.contains("corrected"), "{}", notice.text);
    assert!(
        notice.text.contains("name: Alice Liddell"),
        "{}",
        notice.text
    );

    assert_eq!(t.request(&id).await["status"], "awaiting_review");
    let approved = t
        .post(&format!("/api/v1/requests/{id}/approve"), &json!({}))
        .await;
    assert_eq!(approved.status(), 200);
    t.drain().await;
    let answer = t
        .mail
        .sent()
        .into_iter()
        .map(|s| s.outgoing)
        .rfind(|m| m.to == "alice@example.com")
        .unwrap();
    for expected in [
        "We corrected your data as you asked (GDPR Art. 16).",
        "- Name: Alice Liddell",
        "- Postal address: 12 Rue Haute, 1000 Brussels",
        "This applies to: Customer accounts.",
        "Accounting firm Fidu & Co",
    ] {
        assert!(
            answer.text.contains(expected),
            "{expected:?} in:\n{}",
            answer.text
        );
    }
    // The mailbox held nothing: it is not named as corrected.
    assert!(!answer.text.contains("Support mailbox"), "{}", answer.text);
    t.stop().await;
}

async fn corrections_are_refused_when_malformed_or_for_another_kind(t: TestApp) {
    for (body, key) in [
        (
            json!({"kind": "erasure", "subject": {"email": "alice@example.com"},
                   "corrections": [{"field": "name", "value": "A"}]}),
            "corrections",
        ),
        (
            json!({"kind": "rectification", "subject": {"email": "alice@example.com"},
                   "corrections": [{"field": "Postal Address", "value": "x"}]}),
            "corrections[0].field",
        ),
        (
            json!({"kind": "rectification", "subject": {"email": "alice@example.com"},
                   "corrections": [{"field": "name", "value": ""}]}),
            "corrections[0].value",
        ),
    ] {
        let resp = t.post("/api/v1/requests", &body).await;
        assert_eq!(resp.status(), 422, "{body}");
        let err: Value = resp.json().await.unwrap();
        assert!(
            err["error"]["fields"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["field"] == key),
            "{key}: {err}"
        );
        // The value is never echoed back.
        assert!(!err.to_string().contains("alice@"), "{err}");
    }
    let list: Value = t.get("/api/v1/requests").await.json().await.unwrap();
    assert_eq!(list["total"], 0, "nothing stored: {list}");
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
    a_rectification_applies_its_corrections_and_says_what_was_corrected_where,
    corrections_are_applied_shown_passed_on_and_told
);
both!(
    bad_corrections_are_refused_and_nothing_is_stored,
    corrections_are_refused_when_malformed_or_for_another_kind
);
