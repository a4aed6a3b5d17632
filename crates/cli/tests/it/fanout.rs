//! Fan-out: a request in progress reaches every system of the data map through its connector;
//! the answer is settled when every task is final.

use serde_json::{Value, json};

use crate::support::{Backend, TestApp, sqlite_column, sqlite_target};

const ODOO_SCHEMA: &[&str] = &[
    "CREATE TABLE res_partner (id INTEGER PRIMARY KEY, name TEXT, email TEXT, phone TEXT, newsletter INTEGER NOT NULL DEFAULT 1)",
    "CREATE TABLE account_move (id INTEGER PRIMARY KEY, partner_id INTEGER NOT NULL REFERENCES res_partner(id), name TEXT, amount REAL)",
    "CREATE TABLE mail_message (id INTEGER PRIMARY KEY, author_id INTEGER REFERENCES res_partner(id), body TEXT)",
    "INSERT INTO res_partner (id, name, email, phone) VALUES (1, 'Alice Liddell', 'Alice@Example.com', '+32470123456'), (2, 'Bob', 'bob@example.org', NULL)",
    "INSERT INTO account_move (partner_id, name, amount) VALUES (1, 'INV/2026/0001', 121.0), (2, 'INV/2026/0002', 50.0)",
    "INSERT INTO mail_message (author_id, body) VALUES (1, 'Hello, please cancel'), (1, 'Thanks'), (2, 'Hi')",
];

fn systems(dir: &std::path::Path) -> String {
    format!(
        r#"
[[system]]
name = "odoo"
kind = "sql"
description = "Billing and CRM"
categories = ["contact", "billing"]
backups = {{ rotate_days = 30 }}
portable = ["res_partner", "mail_message"]
[[system.purposes]]
name = "invoicing"
legal_basis = "contract"
[[system.purposes]]
name = "newsletter"
legal_basis = "direct_marketing"
[[system.retention]]
category = "invoice"
period = "10 years"
basis = "legal_obligation"
rule = "Belgian VAT Code art. 60"
[system.connection]
url = "sqlite://{odoo}"
[[system.connection.table]]
name = "res_partner"
match = {{ email = "email" }}
erase = "anonymise"
anonymise = {{ name = "Anonymised customer", email = "anon-{{key}}@invalid.example" }}
nullify = ["phone"]
opt_out = {{ column = "newsletter", value = 0 }}
rectify = {{ name = "name", phone = "phone" }}
[[system.connection.table]]
name = "account_move"
parent = "res_partner"
foreign_key = "partner_id"
erase = "retain"
retain = "invoice"
[[system.connection.table]]
name = "mail_message"
parent = "res_partner"
foreign_key = "author_id"
erase = "delete"

[[system]]
name = "support-mailbox"
kind = "manual"
notify = true
[[system.purposes]]
name = "support"
legal_basis = "legitimate_interest"
[system.connection]
owner = "Support team"
instructions = "Search the shared mailbox for the subject's address."
"#,
        odoo = dir.join("odoo.db").display()
    )
}

async fn start(backend: Backend, now: &str) -> Option<TestApp> {
    let t = TestApp::start_with(backend, now, systems, Default::default()).await?;
    sqlite_target(&t.dir.path().join("odoo.db"), ODOO_SCHEMA).await;
    Some(t)
}

fn task<'a>(tasks: &'a [Value], system: &str, action: &str) -> &'a Value {
    tasks
        .iter()
        .find(|t| t["system"] == system && t["action"] == action)
        .unwrap_or_else(|| panic!("no {system}/{action} task in {tasks:?}"))
}

macro_rules! on_both_fanout {
    ($name:ident, $now:expr, |$t:ident| $body:block) => {
        mod $name {
            use super::*;
            async fn body($t: &TestApp) $body
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let t = start(Backend::Sqlite, $now).await.expect("sqlite");
                body(&t).await;
                t.stop().await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[ignore = "needs PostgreSQL: set DSRFLOW_TEST_POSTGRES_URL (.ci/run does)"]
            async fn postgres() {
                let t = start(Backend::Postgres, $now).await.expect("PostgreSQL");
                body(&t).await;
                t.stop().await;
            }
        }
    };
}

on_both_fanout!(
    erasure_keeps_invoices_under_tax_retention,
    "2026-02-10T09:00:00Z",
    |t| {
        let created = t
            .create_vouched(json!({"kind": "erasure", "subject": {"email": "alice@example.com"}}))
            .await;
        let id = created["id"].as_str().unwrap();
        assert_eq!(created["status"], "in_progress");
        t.drain().await;

        let tasks = t.tasks(id).await;
        assert_eq!(tasks.len(), 2, "{tasks:?}");
        let odoo = task(&tasks, "odoo", "erase");
        assert_eq!(odoo["status"], "succeeded", "{odoo}");
        assert_eq!(odoo["attempts"], 1);
        let items = odoo["outcome"]["items"].as_array().unwrap();
        let item = |target: &str| {
            items
                .iter()
                .find(|i| i["target"] == target)
                .unwrap()
                .clone()
        };
        assert_eq!(item("res_partner")["effect"], "anonymised");
        assert_eq!(item("res_partner")["count"], 1);
        assert_eq!(item("mail_message")["effect"], "deleted");
        assert_eq!(item("mail_message")["count"], 2);
        assert_eq!(item("account_move")["effect"], "retained");
        assert_eq!(item("account_move")["count"], 1);
        assert!(
            item("account_move")["rule"]
                .as_str()
                .unwrap()
                .contains("Belgian VAT Code art. 60")
        );
        // The mailbox is a person's job, and an Art. 19 notice is due to it as a recipient.
        let mailbox = task(&tasks, "support-mailbox", "erase");
        assert_eq!(mailbox["status"], "awaiting_manual");
        assert!(
            mailbox["instructions"]
                .as_str()
                .unwrap()
                .contains("Support team")
        );
        // Its Art. 19 notice waits for the work it tells of.
        assert!(
            !tasks.iter().any(|t| t["action"] == "notify"),
            "a notice before the erasure is done: {tasks:?}"
        );

        // The target database: Alice anonymised, her invoice kept, her messages gone, Bob untouched.
        let odoo_url = format!("sqlite://{}", t.dir.path().join("odoo.db").display());
        assert_eq!(
            sqlite_column(&odoo_url, "SELECT email FROM res_partner ORDER BY id").await,
            vec![
                Some("anon-1@invalid.example".to_owned()),
                Some("bob@example.org".to_owned())
            ]
        );
        assert_eq!(
            sqlite_column(&odoo_url, "SELECT phone FROM res_partner WHERE id = 1").await,
            vec![None]
        );
        assert_eq!(
            sqlite_column(&odoo_url, "SELECT name FROM account_move ORDER BY id")
                .await
                .len(),
            2
        );
        assert_eq!(
            sqlite_column(&odoo_url, "SELECT body FROM mail_message").await,
            vec![Some("Hi".to_owned())]
        );
        assert_eq!(t.request(id).await["status"], "in_progress");

        // The people do their part: the erasure, then the notice it calls for; the request
        // settles for review.
        for action in ["erase", "notify"] {
            let tasks = t.tasks(id).await;
            let tid = task(&tasks, "support-mailbox", action)["id"]
                .as_str()
                .unwrap()
                .to_owned();
            let resp = t
                .post(
                    &format!("/api/v1/tasks/{tid}/complete"),
                    &json!({"status": "succeeded", "note": "Done in the shared mailbox"}),
                )
                .await;
            assert_eq!(resp.status(), 200);
            t.drain().await;
            if action == "erase" {
                assert_eq!(t.request(id).await["status"], "in_progress");
                assert_eq!(
                    task(&t.tasks(id).await, "support-mailbox", "notify")["status"],
                    "awaiting_manual"
                );
            }
        }
        assert_eq!(t.request(id).await["status"], "awaiting_review");
        let approved = t
            .post(&format!("/api/v1/requests/{id}/approve"), &json!({}))
            .await;
        assert_eq!(approved.status(), 200);
        assert_eq!(t.request(id).await["status"], "completed");
        // The answer tells Alice, per system, what was erased and what was kept and why.
        t.drain().await;
        let answer = t
            .mail
            .sent()
            .into_iter()
            .map(|m| m.outgoing)
            .find(|m| m.text.contains("Belgian VAT Code art. 60"))
            .expect("an erasure report to the subject");
        assert_eq!(answer.to, "alice@example.com");
        // The system by its display name, not its internal one.
        assert!(
            answer.text.contains("Billing and CRM") && !answer.text.contains("odoo"),
            "{}",
            answer.text
        );

        let report = dsrflow_store::audit::verify(t.app.store.db())
            .await
            .unwrap();
        assert_eq!(report.first_break, None);

        // Erased subjects are suppressed by keyed hash: marketing imports can check, the
        // address itself is not stored.
        let check: Value = t
            .post(
                "/api/v1/suppressions/check",
                &json!({"emails": ["ALICE@example.com", "bob@example.org"]}),
            )
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(check["results"][0]["suppressed"], true);
        assert_eq!(check["results"][0]["scope"], "all");
        assert_eq!(check["results"][1]["suppressed"], false);
        let bad = t
            .post(
                "/api/v1/suppressions/check",
                &json!({"emails": ["ok@example.com", "nope"]}),
            )
            .await;
        assert_eq!(bad.status(), 422);
        let body: Value = bad.json().await.unwrap();
        assert_eq!(body["error"]["fields"][0]["field"], "emails[1]");
    }
);

on_both_fanout!(
    access_collects_every_row_and_stores_it_sealed,
    "2026-02-10T09:00:00Z",
    |t| {
        let created = t
            .create_vouched(json!({"kind": "access", "subject": {"email": "ALICE@example.com"}}))
            .await;
        let id = created["id"].as_str().unwrap();
        t.drain().await;
        let tasks = t.tasks(id).await;
        let odoo = task(&tasks, "odoo", "access");
        assert_eq!(odoo["status"], "succeeded");
        let counts: Vec<(String, u64)> = odoo["outcome"]["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| {
                (
                    i["target"].as_str().unwrap().to_owned(),
                    i["count"].as_u64().unwrap(),
                )
            })
            .collect();
        assert!(counts.contains(&("res_partner".to_owned(), 1)));
        assert!(counts.contains(&("account_move".to_owned(), 1)));
        assert!(counts.contains(&("mail_message".to_owned(), 2)));
        // The collected rows are stored sealed: no address in the clear.
        let tid: uuid::Uuid = odoo["id"].as_str().unwrap().parse().unwrap();
        let sealed = dsrflow_store::tasks::result(t.app.store.db(), tid)
            .await
            .unwrap()
            .expect("collected data");
        assert!(!sealed.windows(5).any(|w| w == b"Alice"));
        let plain = t
            .app
            .settings
            .data_key
            .open(tid.as_bytes(), &sealed)
            .unwrap();
        let text = String::from_utf8(plain).unwrap();
        assert!(
            text.contains("INV/2026/0001") && text.contains("Alice Liddell"),
            "{text}"
        );
        assert!(
            !text.contains("INV/2026/0002"),
            "another customer's invoice leaked: {text}"
        );
    }
);

on_both_fanout!(
    an_objection_stops_marketing_and_asks_the_officer_to_weigh_the_rest,
    "2026-02-10T09:00:00Z",
    |t| {
        let created = t
            .create_vouched(json!({"kind": "objection", "subject": {"email": "alice@example.com"}}))
            .await;
        let id = created["id"].as_str().unwrap();
        t.drain().await;
        let tasks = t.tasks(id).await;
        assert_eq!(task(&tasks, "odoo", "opt_out")["status"], "succeeded");
        let odoo_url = format!("sqlite://{}", t.dir.path().join("odoo.db").display());
        assert_eq!(
            sqlite_column(
                &odoo_url,
                "SELECT CAST(newsletter AS TEXT) FROM res_partner ORDER BY id"
            )
            .await,
            vec![Some("0".to_owned()), Some("1".to_owned())]
        );
        let decide = task(&tasks, "support-mailbox", "decide");
        assert_eq!(decide["status"], "awaiting_manual");
        let did = decide["id"].as_str().unwrap();
        // A decision needs a decision, not a status.
        let bad = t
            .post(
                &format!("/api/v1/tasks/{did}/complete"),
                &json!({"status": "succeeded", "note": "ok"}),
            )
            .await;
        assert_eq!(bad.status(), 422);
        let upheld = t
        .post(
            &format!("/api/v1/tasks/{did}/complete"),
            &json!({"decision": "uphold", "note": "No compelling grounds to keep support history"}),
        )
        .await;
        assert_eq!(upheld.status(), 200);
        let restrict = task(&tasks, "support-mailbox", "restrict")["id"]
            .as_str()
            .unwrap()
            .to_owned();
        t.post(
            &format!("/api/v1/tasks/{restrict}/complete"),
            &json!({"status": "succeeded", "note": "Flagged as restricted"}),
        )
        .await;
        t.drain().await;
        let tasks = t.tasks(id).await;
        // Upholding created an erasure task for that system.
        let erase = task(&tasks, "support-mailbox", "erase");
        assert_eq!(erase["status"], "awaiting_manual");
        assert_eq!(
            task(&tasks, "support-mailbox", "decide")["outcome"]["decision"],
            "upheld"
        );
    }
);

on_both_fanout!(
    closing_a_request_skips_its_open_tasks,
    "2026-02-10T09:00:00Z",
    |t| {
        let created = t
            .create_vouched(json!({"kind": "erasure", "subject": {"email": "alice@example.com"}}))
            .await;
        let id = created["id"].as_str().unwrap();
        // Fan out only; the connector jobs stay queued.
        let job = t.queue.pop_due(t.clock_now()).unwrap();
        dsrflow_app::work::run_job(&t.app, job).await.unwrap();
        let resp = t
            .post(&format!("/api/v1/requests/{id}/withdraw"), &json!({}))
            .await;
        assert_eq!(resp.status(), 200);
        t.drain().await;
        let tasks = t.tasks(id).await;
        assert!(tasks.iter().all(|t| t["status"] == "skipped"), "{tasks:?}");
        // Nothing was erased.
        let odoo_url = format!("sqlite://{}", t.dir.path().join("odoo.db").display());
        assert_eq!(
            sqlite_column(&odoo_url, "SELECT email FROM res_partner WHERE id = 1").await,
            vec![Some("Alice@Example.com".to_owned())]
        );
    }
);

on_both_fanout!(
    approval_needs_a_reason_when_a_system_failed,
    "2026-02-10T09:00:00Z",
    |t| {
        let created = t
            .create_vouched(json!({"kind": "erasure", "subject": {"email": "alice@example.com"}}))
            .await;
        let id = created["id"].as_str().unwrap();
        // Break the target: the table disappears.
        let odoo_url = format!("sqlite://{}", t.dir.path().join("odoo.db").display());
        sqlite_target(&t.dir.path().join("odoo.db"), &["DROP TABLE mail_message"]).await;
        t.drain().await;
        let tasks = t.tasks(id).await;
        let odoo = task(&tasks, "odoo", "erase");
        assert_eq!(odoo["status"], "failed", "{odoo}");
        assert!(odoo["error"].as_str().unwrap().contains("mail_message"));
        // Nothing half-done: the transaction rolled back.
        assert_eq!(
            sqlite_column(&odoo_url, "SELECT email FROM res_partner WHERE id = 1").await,
            vec![Some("Alice@Example.com".to_owned())]
        );
        // The mailbox's erasure done by hand and (it is marked `notify`) its notice too.
        complete_manual_tasks(t, id).await;
        assert_eq!(t.request(id).await["status"], "awaiting_review");
        let refused = t
            .post(&format!("/api/v1/requests/{id}/approve"), &json!({}))
            .await;
        assert_eq!(refused.status(), 409);
        let body: Value = refused.json().await.unwrap();
        assert!(body["error"]["message"].as_str().unwrap().contains("odoo"));

        // Repair and retry: the request goes back to work and completes.
        sqlite_target(
            &t.dir.path().join("odoo.db"),
            &["CREATE TABLE mail_message (id INTEGER PRIMARY KEY, author_id INTEGER, body TEXT)"],
        )
        .await;
        let tid = odoo["id"].as_str().unwrap();
        let retried = t
            .post(&format!("/api/v1/tasks/{tid}/retry"), &json!({}))
            .await;
        assert_eq!(retried.status(), 200);
        assert_eq!(t.request(id).await["status"], "in_progress");
        t.drain().await;
        assert_eq!(
            task(&t.tasks(id).await, "odoo", "erase")["status"],
            "succeeded"
        );
        assert_eq!(t.request(id).await["status"], "awaiting_review");
        let ok = t
            .post(&format!("/api/v1/requests/{id}/approve"), &json!({}))
            .await;
        assert_eq!(ok.status(), 200);
    }
);

on_both_fanout!(
    an_interrupted_attempt_is_taken_over_once_its_lease_expires,
    "2026-02-10T09:00:00Z",
    |t| {
        let created = t
            .create_vouched(json!({"kind": "erasure", "subject": {"email": "alice@example.com"}}))
            .await;
        let id = created["id"].as_str().unwrap();
        let job = t.queue.pop_due(t.clock_now()).unwrap();
        dsrflow_app::work::run_job(&t.app, job).await.unwrap();
        // A worker claimed the odoo task, erased, and died before recording the outcome.
        let tasks = t.tasks(id).await;
        let odoo_id = task(&tasks, "odoo", "erase")["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let db = t.app.store.db();
        let mut row = dsrflow_store::tasks::find(db, odoo_id.parse().unwrap())
            .await
            .unwrap()
            .unwrap();
        row.status = dsrflow_domain::TaskStatus::Running;
        row.attempts = 1;
        row.lease_until = Some(crate::support::t("2026-02-10T09:15:00Z"));
        dsrflow_store::tasks::update(db, row).await.unwrap();
        sqlite_target(
        &t.dir.path().join("odoo.db"),
        &[
            "DELETE FROM mail_message WHERE author_id = 1",
            "UPDATE res_partner SET email = 'anon-1@invalid.example', name = 'Anonymised customer', phone = NULL WHERE id = 1",
        ],
    )
    .await;
        // Within the lease nobody touches it.
        t.drain().await;
        assert_eq!(
            task(&t.tasks(id).await, "odoo", "erase")["status"],
            "running"
        );
        // After the lease, the reconciler wakes it and the next attempt reports the truth.
        t.clock.set(crate::support::t("2026-02-10T09:20:00Z"));
        let found = dsrflow_app::work::reconcile(&t.app).await.unwrap();
        assert!(found.tasks >= 1);
        t.drain().await;
        let odoo = task(&t.tasks(id).await, "odoo", "erase").clone();
        assert_eq!(odoo["status"], "succeeded", "{odoo}");
        assert_eq!(odoo["attempts"], 2);
        assert!(
            odoo["outcome"]["note"]
                .as_str()
                .unwrap()
                .contains("interrupted")
        );
    }
);

fn odoo_only(dir: &std::path::Path) -> String {
    let full = systems(dir);
    full[..full.find("[[system]]\nname = \"support-mailbox\"").unwrap()].to_owned()
}

/// The real queue: apalis on the app's own database, workers running as in `dsrflow serve`.
async fn run_with_real_workers(backend: Backend) {
    let mut t = TestApp::start_with(
        backend,
        "2026-02-10T09:00:00Z",
        odoo_only,
        Default::default(),
    )
    .await
    .expect("a database");
    sqlite_target(&t.dir.path().join("odoo.db"), ODOO_SCHEMA).await;
    let queues = dsrflow_worker::Queues::setup(&t.app).await.unwrap();
    if let Some(file) = t.app.store.sqlite_file() {
        use dsrflow_store::sea_orm::ConnectionTrait;
        // The queue has its own file, without apalis' `lock_by` index (it made acknowledging
        // slow down with the table's size).
        let queue_file = file.with_file_name(format!(
            "{}-queue.db",
            file.file_stem().unwrap().to_string_lossy()
        ));
        let q =
            dsrflow_store::sea_orm::Database::connect(format!("sqlite://{}", queue_file.display()))
                .await
                .unwrap();
        let indexes = q
            .query_all_raw(dsrflow_store::sea_orm::Statement::from_string(
                dsrflow_store::sea_orm::DbBackend::Sqlite,
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'Jobs'",
            ))
            .await
            .unwrap();
        let names: Vec<String> = indexes
            .iter()
            .map(|r| r.try_get::<String>("", "name").unwrap())
            .collect();
        assert!(!names.is_empty(), "the queue's tables exist: {names:?}");
        assert!(!names.iter().any(|n| n == "LIdx"), "{names:?}");
        q.close().await.unwrap();
    }
    let housekeeping = queues.clone();
    t.app = t.app.clone().with_jobs(dsrflow_worker::job_queue(&queues));
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let workers = tokio::spawn(dsrflow_worker::run_workers(
        t.app.clone(),
        queues,
        4,
        async {
            let _ = stop_rx.await;
        },
    ));
    // Intake through the use case with the app that enqueues into apalis.
    let caller = dsrflow_app::requests::Caller {
        actor: dsrflow_domain::Actor::Cli,
        can_vouch: true,
    };
    let created = dsrflow_app::requests::create(
        &t.app,
        &caller,
        dsrflow_app::requests::NewRequest {
            kind: dsrflow_domain::RequestKind::Erasure,
            email: dsrflow_domain::SubjectEmail::parse("alice@example.com").unwrap(),
            name: None,
            account_id: None,
            phone: None,
            regime: None,
            received_at: None,
            channel: dsrflow_domain::channel::Channel::Api,
            language: Default::default(),
            details: None,
            corrections: Vec::new(),
            identity_verified: true,
        },
    )
    .await
    .unwrap();
    let id = created.record.request.id.to_string();
    // Wait for the workers (a condition with a deadline, not a fixed sleep).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        if t.request(&id).await["status"] == "awaiting_review" {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "workers did not finish: {:?}",
            t.tasks(&id).await
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let tasks = t.tasks(&id).await;
    assert_eq!(task(&tasks, "odoo", "erase")["status"], "succeeded");
    assert_eq!(task(&tasks, "odoo", "erase")["attempts"], 1);
    // Every job (fan-out, task, settle, the acknowledgement's delivery) is acknowledged by
    // removing its row: dsrflow acknowledges its own jobs, and apalis would keep them all.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while housekeeping.depth().await.unwrap() > 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "jobs left in the queue: {}",
            housekeeping.depth().await.unwrap()
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let _ = stop_tx.send(());
    workers.await.unwrap().unwrap();
    // Rows of finished jobs that apalis itself marked (earlier versions) are pruned once old;
    // nothing recent goes.
    #[expect(
        clippy::disallowed_methods,
        reason = "the queue stamps rows with the wall clock"
    )]
    let wall = chrono::Utc::now();
    assert_eq!(
        housekeeping
            .prune_finished(wall - chrono::TimeDelta::hours(1))
            .await
            .unwrap(),
        0
    );
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_apalis_workers_carry_an_erasure_to_review_on_sqlite() {
    run_with_real_workers(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: set DSRFLOW_TEST_POSTGRES_URL (.ci/run does)"]
async fn the_apalis_workers_carry_an_erasure_to_review_on_postgres() {
    run_with_real_workers(Backend::Postgres).await;
}

fn unzip(bytes: &[u8]) -> std::collections::BTreeMap<String, String> {
    use std::io::Read;
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut out = std::collections::BTreeMap::new();
    for i in 0..archive.len() {
        let mut f = archive.by_index(i).unwrap();
        let mut s = String::new();
        f.read_to_string(&mut s).unwrap();
        let name = f.name().unwrap().to_string();
        out.insert(name, s);
    }
    out
}

on_both_fanout!(
    an_access_request_yields_a_package_with_every_system_and_the_art15_information,
    "2026-02-10T09:00:00Z",
    |t| {
        let created = t
            .create_vouched(json!({"kind": "access", "subject": {"email": "alice@example.com"}}))
            .await;
        let id = created["id"].as_str().unwrap();
        t.drain().await;
        // No package before every system answered.
        assert_eq!(
            t.get(&format!("/api/v1/requests/{id}/package"))
                .await
                .status(),
            404
        );
        let tasks = t.tasks(id).await;
        let manual = task(&tasks, "support-mailbox", "access")["id"]
            .as_str()
            .unwrap()
            .to_owned();
        t.post(
            &format!("/api/v1/tasks/{manual}/complete"),
            &json!({"status": "not_found", "note": "No mail from this address"}),
        )
        .await;
        t.drain().await;
        assert_eq!(t.request(id).await["status"], "awaiting_review");

        let resp = t.get(&format!("/api/v1/requests/{id}/package")).await;
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.headers()["content-type"], "application/zip");
        let bytes = resp.bytes().await.unwrap();
        let files = unzip(&bytes);
        let names: Vec<&str> = files.keys().map(String::as_str).collect();
        assert_eq!(
            names,
            vec![
                "art15.json",
                "summary.html",
                "systems/odoo.json",
                "systems/odoo/account_move.csv",
                "systems/odoo/mail_message.csv",
                "systems/odoo/res_partner.csv",
            ]
        );
        let odoo: Value = serde_json::from_str(&files["systems/odoo.json"]).unwrap();
        let partner = odoo["datasets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["name"] == "res_partner")
            .unwrap();
        assert_eq!(partner["records"][0]["name"], "Alice Liddell");
        assert!(files["systems/odoo/account_move.csv"].contains("INV/2026/0001"));
        assert!(!files["systems/odoo/account_move.csv"].contains("INV/2026/0002"));
        let art15: Value = serde_json::from_str(&files["art15.json"]).unwrap();
        let odoo_info = art15["systems"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == "odoo")
            .unwrap();
        assert_eq!(odoo_info["purposes"][0]["legal_basis"], "contract");
        assert!(
            odoo_info["retention"][0]
                .as_str()
                .unwrap()
                .contains("10 years")
        );
        let html = &files["summary.html"];
        assert!(html.contains(created["reference"].as_str().unwrap()));
        assert!(html.contains("Art. 6(1)(b) GDPR"));
        assert!(html.contains("supervisory authority"));
        // Once packaged, the raw collected data is gone.
        let odoo_task: uuid::Uuid = task(&tasks, "odoo", "access")["id"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!(
            dsrflow_store::tasks::result(t.app.store.db(), odoo_task)
                .await
                .unwrap()
                .is_none()
        );

        // Approval delivers a download link, shown once.
        let approved: Value = t
            .post(&format!("/api/v1/requests/{id}/approve"), &json!({}))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(approved["status"], "completed");
        let url = approved["download_url"].as_str().unwrap();
        assert_eq!(approved["download_expires_at"], "2026-03-12T09:00:00Z");
        assert!(t.request(id).await.get("download_url").is_none());
        let path = &url[url.find("/download/").unwrap()..];
        // The completion mail carries the same link and the package's checksum.
        t.drain().await;
        let done = t
            .mail
            .sent()
            .into_iter()
            .map(|m| m.outgoing)
            .find(|m| m.text.contains("/download/"))
            .expect("a completion mail with the download link");
        assert!(done.text.contains(url), "{}", done.text);
        // The link shows a page; the file comes with a one-time code sent by mail.
        let link = t.client.get(t.url(path)).send().await.unwrap();
        assert_eq!(link.status(), 200);
        assert!(
            link.text()
                .await
                .unwrap()
                .contains(created["reference"].as_str().unwrap())
        );
        let sent = t
            .client
            .post(t.url(&format!("{path}/code")))
            .send()
            .await
            .unwrap();
        assert_eq!(sent.status(), 200);
        t.drain().await;
        let code: String = t
            .mail
            .sent()
            .into_iter()
            .map(|m| m.outgoing)
            .rev()
            .find(|m| m.subject.contains("download code"))
            .expect("a code mail")
            .text
            .lines()
            .map(str::trim)
            .find(|l| l.len() == 6 && l.chars().all(|c| c.is_ascii_digit()))
            .expect("the code")
            .to_owned();
        let file = t
            .client
            .post(t.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("code={code}"))
            .send()
            .await
            .unwrap();
        assert_eq!(file.status(), 200);
        assert_eq!(file.headers()["content-type"], "application/zip");
        assert_eq!(file.bytes().await.unwrap(), bytes);
        assert_eq!(
            t.client
                .get(t.url("/download/not-a-token"))
                .send()
                .await
                .unwrap()
                .status(),
            404
        );

        // After the expiry the link is refused, and the purge deletes the content.
        t.clock.set(crate::support::t("2026-03-12T09:00:01Z"));
        assert_eq!(
            t.client.get(t.url(path)).send().await.unwrap().status(),
            410
        );
        assert_eq!(
            dsrflow_app::package::purge_expired(&t.app).await.unwrap(),
            1
        );
        assert_eq!(
            t.get(&format!("/api/v1/requests/{id}/package"))
                .await
                .status(),
            409
        );
        let report = dsrflow_store::audit::verify(t.app.store.db())
            .await
            .unwrap();
        assert_eq!(report.first_break, None);
    }
);

on_both_fanout!(
    a_portability_answer_carries_only_what_the_subject_provided,
    "2026-02-10T09:00:00Z",
    |t| {
        let created = t
            .create_vouched(
                json!({"kind": "portability", "subject": {"email": "alice@example.com"}}),
            )
            .await;
        let id = created["id"].as_str().unwrap();
        t.drain().await;
        // The mailbox rests on legitimate interest: no portability there (Art. 20(1)(a)).
        let tasks = t.tasks(id).await;
        assert_eq!(tasks.len(), 1, "{tasks:?}");
        assert_eq!(t.request(id).await["status"], "awaiting_review");
        let resp = t.get(&format!("/api/v1/requests/{id}/package")).await;
        assert_eq!(resp.status(), 200);
        let files = unzip(&resp.bytes().await.unwrap());
        let names: Vec<&str> = files.keys().map(String::as_str).collect();
        // Her account and messages, not the invoice we made (the data map's `portable`).
        assert_eq!(
            names,
            vec![
                "art15.json",
                "summary.html",
                "systems/odoo.json",
                "systems/odoo/mail_message.csv",
                "systems/odoo/res_partner.csv",
            ]
        );
        assert!(!files["systems/odoo.json"].contains("INV/2026/0001"));
        let html = &files["summary.html"];
        assert!(html.contains("Article 20"), "{html}");
        assert!(html.contains("machine-readable"), "{html}");
        assert!(
            html.contains(
                "Left out, as not provided by you nor produced by your use: account_move"
            ),
            "{html}"
        );
        assert!(
            !html.contains("for access to your\npersonal data (Article 15"),
            "{html}"
        );
        // An access request still gets everything.
        let access = t
            .create_vouched(json!({"kind": "access", "subject": {"email": "alice@example.com"}}))
            .await;
        let aid = access["id"].as_str().unwrap();
        t.drain().await;
        complete_manual_tasks(t, aid).await;
        let files = unzip(
            &t.get(&format!("/api/v1/requests/{aid}/package"))
                .await
                .bytes()
                .await
                .unwrap(),
        );
        assert!(files["systems/odoo/account_move.csv"].contains("INV/2026/0001"));
        assert!(!files["summary.html"].contains("Left out"));
    }
);

on_both_fanout!(
    what_a_person_found_by_hand_is_in_the_access_answer,
    "2026-02-10T09:00:00Z",
    |t| {
        let created = t
            .create_vouched(json!({"kind": "access", "subject": {"email": "alice@example.com"}}))
            .await;
        let id = created["id"].as_str().unwrap();
        t.drain().await;
        let tasks = t.tasks(id).await;
        let manual = task(&tasks, "support-mailbox", "access")["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let path = format!("/api/v1/tasks/{manual}/complete");
        // Records are JSON objects, for a succeeded access task only.
        for bad in [
            json!({"status": "succeeded", "note": "Found two threads", "found": ["just text"]}),
            json!({"status": "not_found", "note": "Nothing", "found": [{"a": 1}]}),
        ] {
            let resp = t.post(&path, &bad).await;
            assert_eq!(resp.status(), 422, "{bad}");
        }
        let done = t
            .post(
                &path,
                &json!({"status": "succeeded", "note": "Two threads in the shared mailbox", "found": [
                    {"date": "2026-01-12", "subject": "Question about my invoice"},
                    {"date": "2026-01-20", "subject": "Thanks for the quick fix"}
                ]}),
            )
            .await;
        assert_eq!(done.status(), 200);
        t.drain().await;
        let files = unzip(
            &t.get(&format!("/api/v1/requests/{id}/package"))
                .await
                .bytes()
                .await
                .unwrap(),
        );
        let mailbox: Value = serde_json::from_str(&files["systems/support-mailbox.json"]).unwrap();
        assert_eq!(mailbox["datasets"][0]["name"], "found by hand");
        assert_eq!(
            mailbox["datasets"][0]["records"][0]["subject"],
            "Question about my invoice"
        );
        let html = &files["summary.html"];
        assert!(html.contains("found by hand: 2 entries"), "{html}");
    }
);

on_both_fanout!(
    a_replayed_fan_out_adds_nothing_and_suppression_only_widens,
    "2026-02-10T09:00:00Z",
    |t| {
        async fn scope(t: &TestApp) -> Value {
            let check: Value = t
                .post(
                    "/api/v1/suppressions/check",
                    &json!({"emails": ["alice@example.com"]}),
                )
                .await
                .json()
                .await
                .unwrap();
            check["results"][0]["scope"].clone()
        }

        // An objection lists the address for marketing only.
        let objection = t
            .create_vouched(json!({"kind": "objection", "subject": {"email": "alice@example.com"}}))
            .await;
        t.drain().await;
        assert!(!t.tasks(objection["id"].as_str().unwrap()).await.is_empty());
        assert_eq!(scope(t).await, "marketing");

        // An erasure widens it to everything; its fan-out, replayed (a second wake-up, a
        // restarted worker), creates no second set of tasks and no second event.
        let erasure = t
            .create_vouched(json!({"kind": "erasure", "subject": {"email": "alice@example.com"}}))
            .await;
        let id: uuid::Uuid = erasure["id"].as_str().unwrap().parse().unwrap();
        dsrflow_app::work::fan_out(&t.app, id).await.unwrap();
        dsrflow_app::work::fan_out(&t.app, id).await.unwrap();
        t.drain().await;
        let tasks = t.tasks(&id.to_string()).await;
        assert_eq!(tasks.len(), 2, "{tasks:?}");
        assert!(
            tasks.iter().all(|x| x["status"] != "pending"),
            "every task ran: {tasks:?}"
        );
        assert_eq!(scope(t).await, "all");
        let fanned = dsrflow_store::audit::for_request(t.app.store.db(), id)
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.action == "request.fanned_out")
            .count();
        assert_eq!(fanned, 1);

        // A later objection does not narrow it back.
        t.create_vouched(json!({"kind": "objection", "subject": {"email": "alice@example.com"}}))
            .await;
        t.drain().await;
        assert_eq!(scope(t).await, "all");
    }
);

on_both_fanout!(
    requests_of_one_subject_fanned_out_together_all_get_their_tasks,
    "2026-02-10T09:00:00Z",
    |t| {
        // Fan-outs of the same moment share one statement on PostgreSQL; these list the same
        // address twice, which one statement cannot upsert twice: each still gets its tasks.
        let mut ids = Vec::new();
        for kind in ["erasure", "objection", "erasure"] {
            let created = t
                .create_vouched(json!({"kind": kind, "subject": {"email": "carol@example.com"}}))
                .await;
            ids.push(
                created["id"]
                    .as_str()
                    .unwrap()
                    .parse::<uuid::Uuid>()
                    .unwrap(),
            );
        }
        let (a, b, c) = tokio::join!(
            dsrflow_app::work::fan_out(&t.app, ids[0]),
            dsrflow_app::work::fan_out(&t.app, ids[1]),
            dsrflow_app::work::fan_out(&t.app, ids[2]),
        );
        a.unwrap();
        b.unwrap();
        c.unwrap();
        t.drain().await;
        for id in &ids {
            assert!(!t.tasks(&id.to_string()).await.is_empty(), "{id}");
        }
        let check: Value = t
            .post(
                "/api/v1/suppressions/check",
                &json!({"emails": ["carol@example.com"]}),
            )
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(check["results"][0]["scope"], "all");
        let report = dsrflow_store::audit::verify(t.app.store.db())
            .await
            .unwrap();
        assert_eq!(report.first_break, None);
    }
);

/// The completion mail sent to `to`, the last one.
fn completion_to(t: &TestApp, to: &str) -> dsrflow_mail::Outgoing {
    t.mail
        .sent()
        .into_iter()
        .map(|s| s.outgoing)
        .rfind(|m| m.to.eq_ignore_ascii_case(to))
        .unwrap_or_else(|| panic!("no mail to {to}"))
}

/// Completes every task waiting for a person (but decisions), and those that follow them (the
/// Art. 19 notices planned once the work has ended).
async fn complete_manual_tasks(t: &TestApp, id: &str) {
    loop {
        let waiting: Vec<Value> = t
            .tasks(id)
            .await
            .into_iter()
            .filter(|tk| tk["status"] == "awaiting_manual" && tk["action"] != "decide")
            .collect();
        if waiting.is_empty() {
            return;
        }
        for tk in waiting {
            let tid = tk["id"].as_str().unwrap();
            let done = t
                .post(
                    &format!("/api/v1/tasks/{tid}/complete"),
                    &json!({"status": "succeeded", "note": "done by hand"}),
                )
                .await;
            assert_eq!(done.status(), 200);
        }
        t.drain().await;
    }
}

on_both_fanout!(
    a_rejected_objection_is_told_as_refused_with_its_grounds_and_the_remedies,
    "2026-02-10T09:00:00Z",
    |t| {
        // (language, refused, grounds intro, remedies, the marketing line)
        let cases = [
            (
                "en",
                "did not uphold your objection",
                "compelling legitimate grounds",
                "judicial remedy",
                "We stopped using your data for direct marketing",
            ),
            (
                "fr",
                "pas fait droit à votre opposition",
                "motifs légitimes et impérieux",
                "recours juridictionnel",
                "Nous avons cessé d’utiliser vos données à des fins de prospection",
            ),
            (
                "nl",
                "uw bezwaar niet ingewilligd",
                "dwingende gerechtvaardigde gronden",
                "beroep in te stellen bij de bevoegde rechter",
                "Wij gebruiken uw gegevens niet meer voor direct marketing",
            ),
        ];
        let email = "alice@example.com";
        for (lang, refused, grounds, remedy, marketing) in cases {
            let created = t
                .create_vouched(
                    json!({"kind": "objection", "language": lang, "subject": {"email": email}}),
                )
                .await;
            let id = created["id"].as_str().unwrap();
            t.drain().await;
            let tasks = t.tasks(id).await;
            let did = task(&tasks, "support-mailbox", "decide")["id"]
                .as_str()
                .unwrap()
                .to_owned();
            let rejected = t
                .post(
                    &format!("/api/v1/tasks/{did}/complete"),
                    &json!({"decision": "reject", "note": "We need the support history to defend pending legal claims."}),
                )
                .await;
            assert_eq!(rejected.status(), 200);
            complete_manual_tasks(t, id).await;
            assert_eq!(t.request(id).await["status"], "awaiting_review");
            // A refused part makes the answer partial by itself: the reasons are the decision's.
            let approved = t
                .post(&format!("/api/v1/requests/{id}/approve"), &json!({}))
                .await;
            assert_eq!(approved.status(), 200, "{lang}");
            t.drain().await;
            assert_eq!(
                t.request(id).await["status"],
                "partially_completed",
                "{lang}"
            );
            let mail = completion_to(t, email);
            let text = &mail.text;
            for expected in [
                refused,
                grounds,
                remedy,
                marketing,
                "We need the support history to defend pending legal claims.",
            ] {
                assert!(
                    text.contains(expected),
                    "{lang}: {expected:?} missing in:\n{text}"
                );
            }
            // Systems by their display name, each once; no internal names.
            assert_eq!(
                text.matches("Billing and CRM").count(),
                1,
                "{lang}:\n{text}"
            );
            assert!(!text.contains("odoo"), "{lang}:\n{text}");
            if lang != "en" {
                assert!(
                    !text.contains("We stopped") && !text.contains("This applies to"),
                    "{lang}:\n{text}"
                );
            }
            // The restriction applied while the objection was weighed is lifted only now,
            // after the answer told the subject so (Art. 18(3)): the mailbox's owner is asked.
            let lifted = [
                ("en", "(GDPR Art. 18(3))"),
                ("fr", "(RGPD, art. 18, §\u{a0}3)"),
                ("nl", "(AVG, art. 18, lid 3)"),
            ];
            let art18 = lifted.iter().find(|(l, _)| *l == lang).unwrap().1;
            assert!(text.contains(art18), "{lang}:\n{text}");
            let tasks = t.tasks(id).await;
            let lift = task(&tasks, "support-mailbox", "lift");
            assert_eq!(lift["status"], "awaiting_manual", "{lift}");
            assert!(
                lift["instructions"]
                    .as_str()
                    .unwrap()
                    .contains("GDPR Art. 18(3)"),
                "{lift}"
            );
            // Done by hand on the answered request: recorded, the request stays answered.
            let lid = lift["id"].as_str().unwrap();
            let done = t
                .post(
                    &format!("/api/v1/tasks/{lid}/complete"),
                    &json!({"status": "succeeded", "note": "Restriction flag removed"}),
                )
                .await;
            assert_eq!(done.status(), 200, "{lang}");
            t.drain().await;
            assert_eq!(
                t.request(id).await["status"],
                "partially_completed",
                "{lang}"
            );
        }
    }
);

on_both_fanout!(
    an_upheld_objection_is_told_as_granted_and_the_answer_is_complete,
    "2026-02-10T09:00:00Z",
    |t| {
        let created = t
            .create_vouched(json!({"kind": "objection", "subject": {"email": "alice@example.com"}}))
            .await;
        let id = created["id"].as_str().unwrap();
        t.drain().await;
        let tasks = t.tasks(id).await;
        let did = task(&tasks, "support-mailbox", "decide")["id"]
            .as_str()
            .unwrap()
            .to_owned();
        t.post(
            &format!("/api/v1/tasks/{did}/complete"),
            &json!({"decision": "uphold", "note": "No compelling grounds"}),
        )
        .await;
        t.drain().await;
        complete_manual_tasks(t, id).await;
        let approved = t
            .post(&format!("/api/v1/requests/{id}/approve"), &json!({}))
            .await;
        assert_eq!(approved.status(), 200);
        t.drain().await;
        assert_eq!(t.request(id).await["status"], "completed");
        let text = completion_to(t, "alice@example.com").text;
        assert!(text.contains("we upheld your objection"), "{text}");
        assert!(!text.contains("did not uphold"), "{text}");
    }
);

on_both_fanout!(
    an_erasure_report_says_what_was_kept_under_which_rule_and_the_remedies,
    "2026-02-10T09:00:00Z",
    |t| {
        // (language, kept, the Art. 17(3) paragraph, remedies)
        let cases = [
            (
                "en",
                "Kept",
                "GDPR Art. 17(3)",
                "judicial remedy",
                "Copies in our backups are overwritten by 12 March 2026.",
            ),
            (
                "fr",
                "Conservé",
                "RGPD, art. 17, §\u{a0}3",
                "recours juridictionnel",
                "Les copies dans nos sauvegardes sont écrasées au plus tard le 12 mars 2026.",
            ),
            (
                "nl",
                "Bewaard",
                "AVG, art. 17, lid 3",
                "beroep in te stellen bij de bevoegde rechter",
                "Kopieën in onze back-ups zijn uiterlijk op 12 maart 2026 overschreven.",
            ),
        ];
        for (lang, kept, art17, remedy, backups) in cases {
            // Each language erases Alice from a fresh copy of the billing database.
            let odoo = t.dir.path().join("odoo.db");
            sqlite_target(
                &odoo,
                &[
                    "DROP TABLE mail_message",
                    "DROP TABLE account_move",
                    "DROP TABLE res_partner",
                ],
            )
            .await;
            sqlite_target(&odoo, ODOO_SCHEMA).await;
            let created = t
                .create_vouched(json!({"kind": "erasure", "language": lang, "subject": {"email": "alice@example.com"}}))
                .await;
            let id = created["id"].as_str().unwrap();
            t.drain().await;
            complete_manual_tasks(t, id).await;
            let approved = t
                .post(&format!("/api/v1/requests/{id}/approve"), &json!({}))
                .await;
            assert_eq!(approved.status(), 200, "{lang}");
            t.drain().await;
            let text = completion_to(t, "alice@example.com").text;
            // The customer was anonymised and the invoice kept: both said, with the rule.
            for expected in [kept, "Belgian VAT Code art. 60", art17, remedy, backups] {
                assert!(
                    text.contains(expected),
                    "{lang}: {expected:?} missing in:\n{text}"
                );
            }
            assert!(!text.contains("odoo"), "{lang}:\n{text}");
        }
    }
);

on_both_fanout!(
    a_withdrawn_request_is_confirmed_to_the_subject_in_their_language,
    "2026-02-10T09:00:00Z",
    |t| {
        let cases = [
            (
                "en",
                "[{ref}] Your request has been withdrawn",
                "we have withdrawn it on 10 February 2026",
                "Nothing further will be done",
            ),
            (
                "fr",
                "[{ref}] Votre demande a été retirée",
                "nous l’avons retirée le 10 février 2026",
                "Plus rien ne sera fait",
            ),
            (
                "nl",
                "[{ref}] Uw verzoek is ingetrokken",
                "op 10 februari 2026 ingetrokken",
                "wordt niets meer gedaan",
            ),
        ];
        for (lang, subject, when, nothing) in cases {
            let created = t
                .create_vouched(json!({"kind": "erasure", "language": lang, "subject": {"email": "alice@example.com"}}))
                .await;
            let id = created["id"].as_str().unwrap();
            let reference = created["reference"].as_str().unwrap();
            let resp = t
                .post(&format!("/api/v1/requests/{id}/withdraw"), &json!({}))
                .await;
            assert_eq!(resp.status(), 200);
            t.drain().await;
            let mail = completion_to(t, "alice@example.com");
            assert_eq!(mail.subject, subject.replace("{ref}", reference), "{lang}");
            for expected in [when, nothing] {
                assert!(
                    mail.text.contains(expected),
                    "{lang}: {expected:?} missing in:\n{}",
                    mail.text
                );
            }
        }
    }
);

on_both_fanout!(
    the_acknowledgement_states_the_period_of_the_requests_regime,
    "2026-02-10T09:00:00Z",
    |t| {
        t.create_vouched(
            json!({"kind": "access", "regime": "ccpa", "subject": {"email": "carol@example.com"}}),
        )
        .await;
        t.drain().await;
        let ack = t
            .mail
            .sent()
            .into_iter()
            .map(|s| s.outgoing)
            .find(|m| m.to == "carol@example.com")
            .expect("an acknowledgement");
        assert!(ack.text.contains("45 calendar days"), "{}", ack.text);
        assert!(
            !ack.text.contains("one month") && !ack.text.contains("GDPR"),
            "{}",
            ack.text
        );
    }
);

on_both_fanout!(
    a_refusal_names_the_authority_of_the_requests_regime,
    "2026-02-10T09:00:00Z",
    |t| {
        for (regime, authority) in [
            ("gdpr", "Belgian Data Protection Authority"),
            ("uk-gdpr", "Information Commissioner's Office (ICO)"),
            ("ccpa", "California Privacy Protection Agency (CPPA)"),
        ] {
            let created = t
                .create_vouched(json!({"kind": "access", "regime": regime, "subject": {"email": "dave@example.com"}}))
                .await;
            let id = created["id"].as_str().unwrap();
            let denied = t
                .post(
                    &format!("/api/v1/requests/{id}/deny"),
                    &json!({"reason": "We hold no account for this address and cannot confirm who you are."}),
                )
                .await;
            assert_eq!(denied.status(), 200, "{regime}");
            t.drain().await;
            let text = completion_to(t, "dave@example.com").text;
            assert!(
                text.contains(authority),
                "{regime}: {authority:?} missing in:\n{text}"
            );
            if regime != "gdpr" {
                assert!(
                    !text.contains("Belgian Data Protection Authority"),
                    "{regime}:\n{text}"
                );
            }
        }
    }
);
