//! The `sql` connector against real databases: a SQLite file in a temporary directory, and the
//! machine's PostgreSQL and MariaDB through `DSRFLOW_TEST_POSTGRES_URL` / `DSRFLOW_TEST_MYSQL_URL`
//! (those variants are ignored unless asked for, with `--run-ignored all` as `.ci/run`
//! does; asked for without their URL, they fail saying so).
//!
//! Every scenario is written once and runs on the three databases, each in a fresh database of
//! its own (a new SQLite file, a new PostgreSQL schema, a new MariaDB database), so the tests run
//! in parallel. The connector is built the way the app builds it: a data-map `System` and the
//! system's `[system.connection]` table as JSON, through `dsrflow_connectors::build`.
//! Setup and read-back use sqlx directly, never the connector under test.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use dsrflow_connectors::{
    BuildError, Connector, ConnectorError, Effect, Item, Outcome, Report, Subject, TaskRequest,
    build,
};
use dsrflow_domain::datamap::{ConnectorKind, LegalBasis, Purpose, RetentionRule, System};
use dsrflow_domain::{Regime, RequestKind, SubjectEmail, TaskAction, TaskStatus};
use serde_json::{Value, json};
use sqlx::{AssertSqlSafe, Connection, Row};
use uuid::Uuid;

/// The text a retained item carries: the data map's rule, described.
const INVOICE_RULE: &str = "invoice: kept 10 years (legal_obligation, Belgian VAT Code art. 60)";

// ---------------------------------------------------------------------------------------------
// Databases
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Backend {
    Sqlite,
    Postgres,
    MariaDb,
}

enum Pool {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
    MySql(sqlx::MySqlPool),
}

/// What to drop when the test ends: a PostgreSQL schema or a MariaDB database.
struct Cleanup {
    backend: Backend,
    admin_url: String,
    name: String,
}

/// A fresh database for one test.
struct Db {
    /// The URL the connector is configured with.
    url: String,
    /// PostgreSQL: the test's schema, which qualifies every table name.
    schema: Option<String>,
    pool: Pool,
    cleanup: Option<Cleanup>,
    _dir: Option<tempfile::TempDir>,
}

/// Reads every column of a row as JSON (integers, text or NULL: read-back queries turn booleans
/// into 0/1 with CASE so the three databases answer alike).
macro_rules! cells {
    ($row:expr) => {{
        let row = $row;
        (0..row.len())
            .map(|i| {
                if let Ok(v) = row.try_get::<Option<i64>, _>(i) {
                    return json!(v);
                }
                if let Ok(v) = row.try_get::<Option<i32>, _>(i) {
                    return json!(v);
                }
                if let Ok(v) = row.try_get::<Option<String>, _>(i) {
                    return json!(v);
                }
                panic!("column {i} has a type these tests do not read back")
            })
            .collect::<Vec<Value>>()
    }};
}

/// `url` with its database (path) replaced by `database`, keeping any query string.
fn with_database(url: &str, database: &str) -> String {
    let authority_start = url.find("://").map_or(0, |i| i + 3);
    let (scheme, rest) = url.split_at(authority_start);
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let query = path.find('?').map_or("", |i| &path[i..]);
    format!("{scheme}{authority}/{database}{query}")
}

impl Db {
    /// A fresh, empty database on `backend`; a missing URL fails the test, naming it.
    async fn open(backend: Backend) -> Option<Db> {
        let name = format!("t_{}", Uuid::new_v4().simple());
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                let url = format!("sqlite://{}", dir.path().join("crm.db").display());
                let pool = sqlx::SqlitePool::connect(&format!("{url}?mode=rwc"))
                    .await
                    .unwrap();
                Some(Db {
                    url,
                    schema: None,
                    pool: Pool::Sqlite(pool),
                    cleanup: None,
                    _dir: Some(dir),
                })
            }
            Backend::Postgres => {
                let admin_url = std::env::var("DSRFLOW_TEST_POSTGRES_URL").expect(
                    "this test needs PostgreSQL: set DSRFLOW_TEST_POSTGRES_URL (.ci/run does)",
                );
                let pool = sqlx::postgres::PgPoolOptions::new()
                    .max_connections(2)
                    .connect(&admin_url)
                    .await
                    .unwrap();
                sqlx::query(AssertSqlSafe(format!("CREATE SCHEMA {name}")))
                    .execute(&pool)
                    .await
                    .unwrap();
                Some(Db {
                    url: admin_url.clone(),
                    schema: Some(name.clone()),
                    pool: Pool::Postgres(pool),
                    cleanup: Some(Cleanup {
                        backend,
                        admin_url,
                        name,
                    }),
                    _dir: None,
                })
            }
            Backend::MariaDb => {
                let admin_url = std::env::var("DSRFLOW_TEST_MYSQL_URL").expect(
                    "this test needs MariaDB or MySQL: set DSRFLOW_TEST_MYSQL_URL (.ci/run does)",
                );
                let mut admin = sqlx::MySqlConnection::connect(&admin_url).await.unwrap();
                sqlx::query(AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&mut admin)
                    .await
                    .unwrap();
                admin.close().await.unwrap();
                let url = with_database(&admin_url, &name);
                let pool = sqlx::mysql::MySqlPoolOptions::new()
                    .max_connections(2)
                    .connect(&url)
                    .await
                    .unwrap();
                Some(Db {
                    url,
                    schema: None,
                    pool: Pool::MySql(pool),
                    cleanup: Some(Cleanup {
                        backend,
                        admin_url,
                        name,
                    }),
                    _dir: None,
                })
            }
        }
    }

    /// A fresh database holding the CRM fixture (see [`Db::seed`]).
    async fn seeded(backend: Backend) -> Option<Db> {
        let db = Db::open(backend).await?;
        db.seed().await;
        Some(db)
    }

    /// The name of a table as SQL and the connector configuration refer to it.
    fn table(&self, name: &str) -> String {
        match &self.schema {
            Some(schema) => format!("{schema}.{name}"),
            None => name.to_owned(),
        }
    }

    async fn exec(&self, sql: &str) {
        let q = AssertSqlSafe(sql.to_owned());
        let res = match &self.pool {
            Pool::Sqlite(p) => sqlx::query(q).execute(p).await.map(|_| ()),
            Pool::Postgres(p) => sqlx::query(q).execute(p).await.map(|_| ()),
            Pool::MySql(p) => sqlx::query(q).execute(p).await.map(|_| ()),
        };
        res.unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    async fn rows(&self, sql: &str) -> Vec<Vec<Value>> {
        let q = AssertSqlSafe(sql.to_owned());
        let res = match &self.pool {
            Pool::Sqlite(p) => sqlx::query(q)
                .fetch_all(p)
                .await
                .map(|rows| rows.iter().map(|r| cells!(r)).collect()),
            Pool::Postgres(p) => sqlx::query(q)
                .fetch_all(p)
                .await
                .map(|rows| rows.iter().map(|r| cells!(r)).collect()),
            Pool::MySql(p) => sqlx::query(q)
                .fetch_all(p)
                .await
                .map(|rows| rows.iter().map(|r| cells!(r)).collect()),
        };
        res.unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// The CRM fixture: Alice (stored with a mixed-case address on purpose) with one invoice and
    /// two messages (one without a body), Bob with one of each.
    async fn seed(&self) {
        let [partner, invoice, message] = ["partner", "invoice", "message"].map(|t| self.table(t));
        self.exec(&format!(
            "CREATE TABLE {partner} (id INTEGER PRIMARY KEY, name VARCHAR(255) NOT NULL, \
             email VARCHAR(255), phone VARCHAR(32), newsletter BOOLEAN NOT NULL, \
             restricted BOOLEAN NOT NULL)"
        ))
        .await;
        self.exec(&format!(
            "CREATE TABLE {invoice} (id INTEGER PRIMARY KEY, partner_id INTEGER NOT NULL, \
             number VARCHAR(32) NOT NULL, amount INTEGER NOT NULL, \
             FOREIGN KEY (partner_id) REFERENCES {partner} (id))"
        ))
        .await;
        self.exec(&format!(
            "CREATE TABLE {message} (id INTEGER PRIMARY KEY, author_id INTEGER NOT NULL, \
             body VARCHAR(255), FOREIGN KEY (author_id) REFERENCES {partner} (id))"
        ))
        .await;
        self.exec(&format!(
            "INSERT INTO {partner} (id, name, email, phone, newsletter, restricted) VALUES \
             (1, 'Alice Martin', 'Alice@Example.com', '+32470000001', TRUE, FALSE), \
             (2, 'Bob Peeters', 'bob@example.com', '+32470000002', TRUE, FALSE)"
        ))
        .await;
        self.exec(&format!(
            "INSERT INTO {invoice} (id, partner_id, number, amount) VALUES \
             (10, 1, 'INV-2024-0001', 12100), (11, 2, 'INV-2024-0002', 4999)"
        ))
        .await;
        self.exec(&format!(
            "INSERT INTO {message} (id, author_id, body) VALUES \
             (100, 1, 'Where is my order?'), (101, 1, NULL), (102, 2, 'Thanks!')"
        ))
        .await;
    }

    /// A partner row as `[id, name, email, phone, newsletter, restricted]` (booleans as 0/1).
    async fn partner(&self, id: i64) -> Vec<Value> {
        let rows = self
            .rows(&format!(
                "SELECT id, name, email, phone, \
                 CASE WHEN newsletter THEN 1 ELSE 0 END, CASE WHEN restricted THEN 1 ELSE 0 END \
                 FROM {} WHERE id = {id}",
                self.table("partner")
            ))
            .await;
        assert_eq!(rows.len(), 1, "partner {id} should exist");
        rows.into_iter().next().unwrap()
    }

    /// The ids of a table, in order.
    async fn ids(&self, table: &str) -> Vec<i64> {
        self.rows(&format!("SELECT id FROM {} ORDER BY id", self.table(table)))
            .await
            .iter()
            .map(|r| r[0].as_i64().unwrap())
            .collect()
    }

    /// Every row of the fixture's tables, to show that something changed nothing.
    async fn snapshot(&self) -> Vec<Vec<Value>> {
        let mut all = Vec::new();
        for id in self.ids("partner").await {
            all.push(self.partner(id).await);
        }
        for (table, columns) in [
            ("invoice", "id, partner_id, number, amount"),
            ("message", "id, author_id, body"),
        ] {
            all.extend(
                self.rows(&format!(
                    "SELECT {columns} FROM {} ORDER BY id",
                    self.table(table)
                ))
                .await,
            );
        }
        all
    }

    /// The partner and invoice rows (for a test that dropped the message table).
    async fn snapshot_without_messages(&self) -> Vec<Vec<Value>> {
        let mut all = Vec::new();
        for id in self.ids("partner").await {
            all.push(self.partner(id).await);
        }
        all.extend(
            self.rows(&format!(
                "SELECT id, partner_id, number, amount FROM {} ORDER BY id",
                self.table("invoice")
            ))
            .await,
        );
        all
    }

    /// Drops the test's schema or database (call at the end of every test; a panicking test
    /// falls back to `Drop`).
    async fn finish(mut self) {
        match &self.pool {
            Pool::Sqlite(p) => p.close().await,
            Pool::Postgres(p) => p.close().await,
            Pool::MySql(p) => p.close().await,
        }
        if let Some(c) = self.cleanup.take() {
            c.run().await;
        }
    }
}

impl Cleanup {
    async fn run(self) {
        let res = match self.backend {
            Backend::Sqlite => Ok(()),
            Backend::Postgres => {
                async {
                    let mut c = sqlx::PgConnection::connect(&self.admin_url).await?;
                    sqlx::query("SET lock_timeout = '10s'")
                        .execute(&mut c)
                        .await?;
                    sqlx::query(AssertSqlSafe(format!(
                        "DROP SCHEMA IF EXISTS {} CASCADE",
                        self.name
                    )))
                    .execute(&mut c)
                    .await?;
                    c.close().await
                }
                .await
            }
            Backend::MariaDb => {
                async {
                    let mut c = sqlx::MySqlConnection::connect(&self.admin_url).await?;
                    sqlx::query("SET SESSION lock_wait_timeout = 10")
                        .execute(&mut c)
                        .await?;
                    sqlx::query(AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS {}",
                        self.name
                    )))
                    .execute(&mut c)
                    .await?;
                    c.close().await
                }
                .await
            }
        };
        if let Err(e) = res {
            eprintln!("could not drop test database {}: {e}", self.name);
        }
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        // Only reached when a test panicked before `finish`: clean up on a thread of its own,
        // since the test's runtime is unwinding.
        if let Some(c) = self.cleanup.take() {
            let _ = std::thread::spawn(move || {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap()
                    .block_on(c.run());
            })
            .join();
        }
    }
}

/// The tests of one scenario, one per database: `<scenario>::{sqlite, postgres, mariadb}`, each
/// with its own attributes (e.g. an ignore attribute, with its reason, for a bug seen on one database only).
macro_rules! variants {
    ($scenario:ident: $($(#[$attr:meta])* $test:ident => $backend:ident),* $(,)?) => {
        mod $scenario {
            use super::Backend;
            $(
                $(#[$attr])*
                #[tokio::test]
                async fn $test() {
                    super::$scenario(Backend::$backend).await;
                }
            )*
        }
    };
}

/// Runs each scenario on SQLite, PostgreSQL and MariaDB.
macro_rules! on_every_database {
    ($($scenario:ident;)*) => {$(
        variants!($scenario:
            sqlite => Sqlite,
            #[ignore = "needs PostgreSQL: set DSRFLOW_TEST_POSTGRES_URL (.ci/run does)"]
            postgres => Postgres,
            #[ignore = "needs MariaDB: set DSRFLOW_TEST_MYSQL_URL (.ci/run does)"]
            mariadb => MariaDb,
        );
    )*};
}

// ---------------------------------------------------------------------------------------------
// The system and its connector
// ---------------------------------------------------------------------------------------------

/// The CRM as the data map describes it: invoices are kept 10 years under Belgian VAT law.
fn system() -> System {
    System {
        name: "crm".to_owned(),
        kind: ConnectorKind::Sql,
        description: Some("Customer records, invoices and support messages".to_owned()),
        categories: vec!["contact".to_owned(), "billing".to_owned()],
        purposes: vec![Purpose {
            name: "invoicing".to_owned(),
            legal_basis: LegalBasis::Contract,
            description: None,
        }],
        recipients: vec![],
        retention: vec![RetentionRule {
            category: "invoice".to_owned(),
            period: "10 years".parse().unwrap(),
            basis: LegalBasis::LegalObligation,
            rule: "Belgian VAT Code art. 60".to_owned(),
        }],
        notify: false,
        portable: None,
        source: None,
        transfers: None,
        automated_decisions: None,
        processor: None,
        backup_rotate_days: None,
    }
}

/// The connection table of the CRM: partners found by email and anonymised, invoices retained,
/// messages deleted; newsletter opt-out and restriction flags on the partner.
fn crm_connection(db: &Db) -> Value {
    json!({
        "url": db.url,
        "table": [
            {
                "name": db.table("partner"),
                "key": "id",
                "match": { "email": "email" },
                "erase": "anonymise",
                "anonymise": { "name": "Anonymised", "email": "anon-{key}@invalid.example" },
                "nullify": ["phone"],
                "opt_out": { "column": "newsletter", "value": false },
                "restrict": { "column": "restricted", "value": true },
            },
            {
                "name": db.table("invoice"),
                "parent": db.table("partner"),
                "foreign_key": "partner_id",
                "erase": "retain",
                "retain": "invoice",
            },
            {
                "name": db.table("message"),
                "parent": db.table("partner"),
                "foreign_key": "author_id",
                "erase": "delete",
            },
        ],
    })
}

fn no_env(_: &str) -> Option<String> {
    None
}

fn connector(connection: &Value) -> Arc<dyn Connector> {
    build(&system(), connection, &no_env).unwrap_or_else(|e| panic!("build: {e}"))
}

fn refused(connection: &Value) -> BuildError {
    match build(&system(), connection, &no_env) {
        Ok(_) => panic!("the configuration should be refused"),
        Err(e) => e,
    }
}

fn subject(email: &str) -> Subject {
    Subject {
        email: SubjectEmail::parse(email).unwrap(),
        name: None,
        account_id: None,
        phone: None,
        pseudonym: format!(
            "{:032x}",
            email.to_lowercase().bytes().fold(7u128, |a, b| a
                .wrapping_mul(131)
                .wrapping_add(u128::from(b)))
        ),
    }
}

async fn run(
    connector: &dyn Connector,
    action: TaskAction,
    email: &str,
) -> Result<Outcome, ConnectorError> {
    let subject = subject(email);
    let kind = match action {
        TaskAction::Access => RequestKind::Access,
        TaskAction::Erase => RequestKind::Erasure,
        TaskAction::OptOut => RequestKind::Objection,
        TaskAction::Restrict => RequestKind::Restriction,
        TaskAction::Rectify => RequestKind::Rectification,
        TaskAction::Notify => RequestKind::Erasure,
        TaskAction::Decide | TaskAction::Lift => RequestKind::Objection,
    };
    let received_at: DateTime<Utc> = "2025-03-03T09:30:00Z".parse().unwrap();
    connector
        .run(&TaskRequest {
            corrections: &[],
            action,
            subject: &subject,
            task_id: Uuid::new_v4(),
            reference: "DSR-TEST",
            kind,
            regime: Regime::Gdpr,
            received_at,
            attempt: 1,
            external_ref: None,
        })
        .await
}

/// The report of a finished call.
async fn done(connector: &dyn Connector, action: TaskAction, email: &str) -> Report {
    match run(connector, action, email).await {
        Ok(Outcome::Done(report)) => report,
        other => panic!("{action:?} should finish, got {other:?}"),
    }
}

fn item(target: String, effect: Effect, count: u64) -> Item {
    Item {
        target,
        effect,
        count,
        rule: None,
        until: None,
    }
}

/// The records of a dataset, sorted by id.
fn records(report: &Report, name: &str) -> Vec<Value> {
    let set = report
        .data
        .iter()
        .find(|d| d.name == name)
        .unwrap_or_else(|| panic!("no dataset {name}"));
    assert!(!set.truncated, "{name} should not be cut");
    let mut records = set.records.clone();
    records.sort_by_key(|r| r["id"].as_i64());
    records
}

// ---------------------------------------------------------------------------------------------
// Scenarios
// ---------------------------------------------------------------------------------------------

on_every_database! {
    erasure_anonymises_the_partner_deletes_messages_and_keeps_invoices_under_their_rule;
    access_returns_the_subjects_rows_of_every_table_as_typed_json;
    the_email_match_ignores_case;
    an_unknown_subject_is_not_found_and_nothing_changes;
    opt_out_and_restriction_set_their_flag_for_the_subject_only;
    an_action_without_configuration_is_handed_to_a_person;
    a_failing_statement_fails_the_task_permanently_naming_the_table;
    a_failure_after_a_write_rolls_the_whole_system_back;
    a_quote_in_the_subjects_address_is_bound_not_spliced;
    identifiers_that_are_not_plain_names_are_refused_at_build;
    check_passes_on_a_good_database_and_names_a_missing_table;
    what_an_erasure_kept_is_still_found_by_a_later_access_request;
    kept_records_are_reported_with_the_day_the_newest_may_go;
}

variants!(erasure_nullifies_columns_whatever_their_type:
    sqlite => Sqlite,
    #[ignore = "needs PostgreSQL: set DSRFLOW_TEST_POSTGRES_URL (.ci/run does)"]
    postgres => Postgres,
    #[ignore = "needs MariaDB: set DSRFLOW_TEST_MYSQL_URL (.ci/run does)"]
    mariadb => MariaDb,
);

variants!(a_failing_write_names_its_table_and_rolls_back:
    sqlite => Sqlite,
    #[ignore = "needs PostgreSQL: set DSRFLOW_TEST_POSTGRES_URL (.ci/run does)"]
    postgres => Postgres,
    #[ignore = "needs MariaDB: set DSRFLOW_TEST_MYSQL_URL (.ci/run does)"]
    mariadb => MariaDb,
);

async fn erasure_anonymises_the_partner_deletes_messages_and_keeps_invoices_under_their_rule(
    backend: Backend,
) {
    let db = Db::seeded(backend).await.expect("a database");
    let crm = connector(&crm_connection(&db));
    let bob_before = db.partner(2).await;

    let report = done(&*crm, TaskAction::Erase, "alice@example.com").await;

    // Children before the parent, in configuration order.
    assert_eq!(
        report.items,
        vec![
            Item {
                rule: Some(INVOICE_RULE.to_owned()),
                ..item(db.table("invoice"), Effect::Retained, 1)
            },
            item(db.table("message"), Effect::Deleted, 2),
            item(db.table("partner"), Effect::Anonymised, 1),
        ]
    );
    assert_eq!(report.status(), TaskStatus::Succeeded);
    assert!(report.data.is_empty(), "erasure collects no data");
    assert_eq!(
        db.partner(1).await,
        vec![
            json!(1),
            json!("Anonymised"),
            json!("anon-1@invalid.example"),
            Value::Null,
            json!(1),
            json!(0)
        ]
    );
    assert_eq!(db.partner(2).await, bob_before);
    assert_eq!(db.ids("message").await, vec![102]);
    assert_eq!(db.ids("invoice").await, vec![10, 11]);
    db.finish().await;
}

async fn access_returns_the_subjects_rows_of_every_table_as_typed_json(backend: Backend) {
    let db = Db::seeded(backend).await.expect("a database");
    let crm = connector(&crm_connection(&db));
    let before = db.snapshot().await;

    let report = done(&*crm, TaskAction::Access, "alice@example.com").await;

    assert_eq!(
        report.items,
        vec![
            item(db.table("invoice"), Effect::Found, 1),
            item(db.table("message"), Effect::Found, 2),
            item(db.table("partner"), Effect::Found, 1),
        ]
    );
    assert_eq!(report.status(), TaskStatus::Succeeded);
    let names: Vec<&str> = report.data.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(
        names,
        [
            db.table("invoice"),
            db.table("message"),
            db.table("partner")
        ]
    );
    assert_eq!(
        records(&report, &db.table("invoice")),
        vec![json!({ "id": 10, "partner_id": 1, "number": "INV-2024-0001", "amount": 12100 })]
    );
    assert_eq!(
        records(&report, &db.table("message")),
        vec![
            json!({ "id": 100, "author_id": 1, "body": "Where is my order?" }),
            json!({ "id": 101, "author_id": 1, "body": null }),
        ]
    );
    let partner = records(&report, &db.table("partner"));
    assert_eq!(partner.len(), 1);
    let alice = partner[0].as_object().unwrap();
    let mut columns: Vec<&str> = alice.keys().map(String::as_str).collect();
    columns.sort_unstable();
    assert_eq!(
        columns,
        ["email", "id", "name", "newsletter", "phone", "restricted"]
    );
    assert_eq!(alice["id"], json!(1));
    assert_eq!(alice["name"], json!("Alice Martin"));
    assert_eq!(alice["email"], json!("Alice@Example.com"));
    assert_eq!(alice["phone"], json!("+32470000001"));
    // Booleans come through as the database stores them: true/false, or 1/0 in SQLite.
    assert!(
        [json!(true), json!(1)].contains(&alice["newsletter"]),
        "newsletter: {}",
        alice["newsletter"]
    );
    assert!(
        [json!(false), json!(0)].contains(&alice["restricted"]),
        "restricted: {}",
        alice["restricted"]
    );
    assert_eq!(db.snapshot().await, before, "access changes nothing");
    db.finish().await;
}

async fn the_email_match_ignores_case(backend: Backend) {
    let db = Db::seeded(backend).await.expect("a database");
    // Stored as Alice@Example.com; asked as ALICE@EXAMPLE.COM.
    db.exec(&format!(
        "UPDATE {} SET email = 'BOB@example.COM' WHERE id = 2",
        db.table("partner")
    ))
    .await;
    let crm = connector(&crm_connection(&db));

    let alice = done(&*crm, TaskAction::Access, "ALICE@EXAMPLE.COM").await;
    let bob = done(&*crm, TaskAction::Access, "bob@example.com").await;

    assert_eq!(
        records(&alice, &db.table("partner"))[0]["email"],
        json!("Alice@Example.com")
    );
    assert_eq!(records(&alice, &db.table("message")).len(), 2);
    assert_eq!(
        records(&bob, &db.table("partner"))[0]["email"],
        json!("BOB@example.COM")
    );
    assert_eq!(records(&bob, &db.table("message")).len(), 1);
    db.finish().await;
}

async fn an_unknown_subject_is_not_found_and_nothing_changes(backend: Backend) {
    let db = Db::seeded(backend).await.expect("a database");
    let crm = connector(&crm_connection(&db));
    let before = db.snapshot().await;

    let erased = done(&*crm, TaskAction::Erase, "nobody@example.com").await;
    let accessed = done(&*crm, TaskAction::Access, "nobody@example.com").await;

    assert_eq!(
        erased.items,
        vec![
            item(db.table("invoice"), Effect::Retained, 0),
            item(db.table("message"), Effect::Deleted, 0),
            item(db.table("partner"), Effect::Anonymised, 0),
        ],
        "zero counts, and no retention rule quoted for nothing kept"
    );
    assert_eq!(erased.status(), TaskStatus::NotFound);
    assert!(
        accessed
            .items
            .iter()
            .all(|i| i.effect == Effect::NotFound && i.count == 0)
    );
    assert_eq!(accessed.items.len(), 3);
    assert!(accessed.data.is_empty());
    assert_eq!(accessed.status(), TaskStatus::NotFound);
    assert_eq!(db.snapshot().await, before);
    db.finish().await;
}

async fn opt_out_and_restriction_set_their_flag_for_the_subject_only(backend: Backend) {
    let db = Db::seeded(backend).await.expect("a database");
    let crm = connector(&crm_connection(&db));
    let bob_before = db.partner(2).await;

    let opted_out = done(&*crm, TaskAction::OptOut, "alice@example.com").await;
    // A retry (the worker repeats a task whose result was lost) still finds the subject.
    let opted_out_again = done(&*crm, TaskAction::OptOut, "alice@example.com").await;
    let restricted = done(&*crm, TaskAction::Restrict, "alice@example.com").await;

    assert_eq!(
        opted_out.items,
        vec![item(db.table("partner"), Effect::OptedOut, 1)]
    );
    assert_eq!(opted_out.status(), TaskStatus::Succeeded);
    assert_eq!(opted_out_again.items, opted_out.items);
    assert_eq!(
        restricted.items,
        vec![item(db.table("partner"), Effect::Restricted, 1)]
    );
    assert_eq!(restricted.status(), TaskStatus::Succeeded);
    let alice = db.partner(1).await;
    assert_eq!((&alice[4], &alice[5]), (&json!(0), &json!(1)));
    assert_eq!(alice[1], json!("Alice Martin"), "nothing else changes");
    assert_eq!(db.partner(2).await, bob_before);
    assert_eq!(db.ids("message").await, vec![100, 101, 102]);

    // Lifting needs its value; declared, it sets it back for the subject only (Art. 18(3)).
    let no_lift = run(&*crm, TaskAction::Lift, "alice@example.com").await;
    assert!(matches!(no_lift, Ok(Outcome::Manual { .. })), "{no_lift:?}");
    let mut connection = crm_connection(&db);
    connection["table"][0]["restrict"]["lifted"] = json!(false);
    let lifted = done(
        &*connector(&connection),
        TaskAction::Lift,
        "alice@example.com",
    )
    .await;
    assert_eq!(
        lifted.items,
        vec![item(db.table("partner"), Effect::Lifted, 1)]
    );
    assert_eq!(db.partner(1).await[5], json!(0));
    assert_eq!(db.partner(2).await, bob_before);
    db.finish().await;
}

async fn an_action_without_configuration_is_handed_to_a_person(backend: Backend) {
    let db = Db::seeded(backend).await.expect("a database");
    let mut connection = crm_connection(&db);
    let partner = connection["table"][0].as_object_mut().unwrap();
    partner.remove("opt_out");
    partner.remove("restrict");
    let crm = connector(&connection);
    let before = db.snapshot().await;

    let opt_out = run(&*crm, TaskAction::OptOut, "alice@example.com").await;
    let restrict = run(&*crm, TaskAction::Restrict, "alice@example.com").await;

    match opt_out {
        Ok(Outcome::Manual { instructions }) => {
            assert!(
                instructions.contains("stop all direct marketing"),
                "{instructions}"
            );
        }
        other => panic!("opt-out should be manual, got {other:?}"),
    }
    assert!(
        matches!(restrict, Ok(Outcome::Manual { .. })),
        "{restrict:?}"
    );
    assert_eq!(db.snapshot().await, before);
    db.finish().await;
}

async fn a_failing_statement_fails_the_task_permanently_naming_the_table(backend: Backend) {
    let db = Db::seeded(backend).await.expect("a database");
    let crm = connector(&crm_connection(&db));
    db.exec(&format!("DROP TABLE {}", db.table("message")))
        .await;
    let before = db.snapshot_without_messages().await;

    let result = run(&*crm, TaskAction::Erase, "alice@example.com").await;

    match result {
        Err(ConnectorError::Permanent { message }) => {
            assert!(message.contains(&db.table("message")), "{message}");
            assert!(!message.contains("alice"), "no personal data: {message}");
        }
        other => panic!("a missing table is a permanent error, got {other:?}"),
    }
    assert_eq!(db.snapshot_without_messages().await, before);
    assert_eq!(db.partner(1).await[2], json!("Alice@Example.com"));
    db.finish().await;
}

async fn a_failure_after_a_write_rolls_the_whole_system_back(backend: Backend) {
    let db = Db::seeded(backend).await.expect("a database");
    // Messages declared before invoices: their DELETE runs, then the invoice count fails.
    let mut connection = crm_connection(&db);
    connection["table"].as_array_mut().unwrap().swap(1, 2);
    let crm = connector(&connection);
    db.exec(&format!("DROP TABLE {}", db.table("invoice")))
        .await;
    let partners_before = (db.partner(1).await, db.partner(2).await);

    let result = run(&*crm, TaskAction::Erase, "alice@example.com").await;

    match result {
        Err(ConnectorError::Permanent { message }) => {
            assert!(message.contains(&db.table("invoice")), "{message}");
        }
        other => panic!("a missing table is a permanent error, got {other:?}"),
    }
    assert_eq!(
        db.ids("message").await,
        vec![100, 101, 102],
        "Alice's messages are back: one transaction per system"
    );
    assert_eq!((db.partner(1).await, db.partner(2).await), partners_before);
    db.finish().await;
}

async fn erasure_nullifies_columns_whatever_their_type(backend: Backend) {
    let db = Db::seeded(backend).await.expect("a database");
    let partner = db.table("partner");
    db.exec(&format!("ALTER TABLE {partner} ADD COLUMN birthdate DATE"))
        .await;
    db.exec(&format!(
        "ALTER TABLE {partner} ADD COLUMN loyalty_points INTEGER"
    ))
    .await;
    db.exec(&format!(
        "UPDATE {partner} SET birthdate = '1990-04-01', loyalty_points = 120"
    ))
    .await;
    let mut connection = crm_connection(&db);
    connection["table"][0]["nullify"] = json!(["phone", "birthdate", "loyalty_points"]);
    let crm = connector(&connection);
    let nulls = |id: i64| {
        format!(
            "SELECT CASE WHEN phone IS NULL THEN 1 ELSE 0 END, \
             CASE WHEN birthdate IS NULL THEN 1 ELSE 0 END, \
             CASE WHEN loyalty_points IS NULL THEN 1 ELSE 0 END FROM {partner} WHERE id = {id}"
        )
    };

    let result = run(&*crm, TaskAction::Erase, "alice@example.com").await;

    match result {
        Ok(Outcome::Done(report)) => assert_eq!(
            report.items.last(),
            Some(&item(db.table("partner"), Effect::Anonymised, 1))
        ),
        other => panic!("erasure should finish, got {other:?}"),
    }
    assert_eq!(
        db.rows(&nulls(1)).await,
        vec![vec![json!(1), json!(1), json!(1)]]
    );
    assert_eq!(
        db.rows(&nulls(2)).await,
        vec![vec![json!(0), json!(0), json!(0)]]
    );
    db.finish().await;
}

async fn a_failing_write_names_its_table_and_rolls_back(backend: Backend) {
    let db = Db::seeded(backend).await.expect("a database");
    // A configuration mistake: `name` is NOT NULL, so the partner UPDATE fails, after the
    // messages were deleted.
    let mut connection = crm_connection(&db);
    connection["table"][0]["anonymise"] = json!({ "email": "anon-{key}@invalid.example" });
    connection["table"][0]["nullify"] = json!(["phone", "name"]);
    let crm = connector(&connection);
    let before = db.snapshot().await;

    let result = run(&*crm, TaskAction::Erase, "alice@example.com").await;

    assert_eq!(
        db.snapshot().await,
        before,
        "the message DELETE is rolled back"
    );
    match result {
        Err(ConnectorError::Permanent { message }) => {
            assert!(
                message.contains(&db.table("partner")),
                "the officer must learn which table failed: {message}"
            );
        }
        other => panic!("a constraint violation is a permanent error, got {other:?}"),
    }
    db.finish().await;
}

async fn a_quote_in_the_subjects_address_is_bound_not_spliced(backend: Backend) {
    let db = Db::seeded(backend).await.expect("a database");
    db.exec(&format!(
        "INSERT INTO {} (id, name, email, phone, newsletter, restricted) VALUES \
         (3, 'Seán O''Brien', 'o''brien@example.ie', NULL, TRUE, FALSE)",
        db.table("partner")
    ))
    .await;
    db.exec(&format!(
        "INSERT INTO {} (id, author_id, body) VALUES (103, 3, 'Dia duit')",
        db.table("message")
    ))
    .await;
    let crm = connector(&crm_connection(&db));
    let others_before = (db.partner(1).await, db.partner(2).await);

    let accessed = done(&*crm, TaskAction::Access, "o'brien@example.ie").await;
    let erased = done(&*crm, TaskAction::Erase, "o'brien@example.ie").await;

    let partner = records(&accessed, &db.table("partner"));
    assert_eq!(partner.len(), 1);
    assert_eq!(partner[0]["email"], json!("o'brien@example.ie"));
    assert_eq!(partner[0]["name"], json!("Seán O'Brien"));
    assert_eq!(
        erased.items,
        vec![
            item(db.table("invoice"), Effect::Retained, 0),
            item(db.table("message"), Effect::Deleted, 1),
            item(db.table("partner"), Effect::Anonymised, 1),
        ]
    );
    assert_eq!(db.partner(3).await[2], json!("anon-3@invalid.example"));
    assert_eq!((db.partner(1).await, db.partner(2).await), others_before);
    assert_eq!(db.ids("message").await, vec![100, 101, 102]);
    assert_eq!(db.ids("invoice").await, vec![10, 11]);
    db.finish().await;
}

async fn what_an_erasure_kept_is_still_found_by_a_later_access_request(backend: Backend) {
    let db = Db::seeded(backend).await.expect("a database");
    // Anonymised under the subject's pseudonym rather than the row's key: the kept invoice
    // stays linked to a row only this subject's later requests match.
    let mut connection = crm_connection(&db);
    connection["table"][0]["anonymise"] =
        json!({ "name": "Anonymised", "email": "erased-{subject}@invalid.example" });
    let crm = connector(&connection);
    let alice = subject("alice@example.com");
    done(&*crm, TaskAction::Erase, "alice@example.com").await;
    assert_eq!(
        db.partner(1).await[2],
        json!(format!("erased-{}@invalid.example", alice.pseudonym))
    );

    let again = done(&*crm, TaskAction::Access, "Alice@Example.com").await;
    assert_eq!(
        again.items,
        vec![
            item(db.table("invoice"), Effect::Found, 1),
            item(db.table("message"), Effect::NotFound, 0),
            item(db.table("partner"), Effect::Found, 1),
        ]
    );
    let invoices = records(&again, &db.table("invoice"));
    assert_eq!(invoices[0]["id"], json!(10));
    assert_eq!(
        records(&again, &db.table("partner"))[0]["name"],
        json!("Anonymised")
    );
    // Nobody else reaches it.
    let bob = done(&*crm, TaskAction::Access, "bob@example.com").await;
    assert!(
        records(&bob, &db.table("invoice"))
            .iter()
            .all(|r| r["id"] != json!(10))
    );
    // A template that would mix the pseudonym with the row key is refused at build.
    connection["table"][0]["anonymise"] =
        json!({ "email": "erased-{subject}-{key}@invalid.example" });
    assert!(refused(&connection).message.contains("{subject}"));
    db.finish().await;
}

async fn kept_records_are_reported_with_the_day_the_newest_may_go(backend: Backend) {
    let db = Db::seeded(backend).await.expect("a database");
    let invoice = db.table("invoice");
    db.exec(&format!("ALTER TABLE {invoice} ADD issued_on DATE"))
        .await;
    db.exec(&format!(
        "UPDATE {invoice} SET issued_on = '2024-03-31' WHERE id = 10"
    ))
    .await;
    let mut connection = crm_connection(&db);
    connection["table"][1]["retain_from"] = json!("issued_on");
    let crm = connector(&connection);
    let report = done(&*crm, TaskAction::Erase, "alice@example.com").await;
    let kept = &report.items[0];
    assert_eq!(kept.effect, Effect::Retained);
    assert_eq!(kept.count, 1);
    // Ten years (the data map's rule) after the newest invoice's date.
    assert_eq!(
        kept.until,
        Some(chrono::NaiveDate::from_ymd_opt(2034, 3, 31).unwrap())
    );
    // Only with erase = "retain".
    connection["table"][0]["retain_from"] = json!("email");
    assert_eq!(refused(&connection).key, "table[0].retain_from");
    db.finish().await;
}

async fn identifiers_that_are_not_plain_names_are_refused_at_build(backend: Backend) {
    let db = Db::seeded(backend).await.expect("a database");
    let mut bad_table = crm_connection(&db);
    bad_table["table"][0]["name"] = json!("partner; DROP TABLE invoice");
    let mut bad_column = crm_connection(&db);
    bad_column["table"][0]["match"]["email"] = json!("email) OR (1=1");

    let table_error = refused(&bad_table);
    let column_error = refused(&bad_column);

    assert_eq!(table_error.key, "table[0].name");
    assert!(
        table_error.message.contains("not a plain SQL identifier"),
        "{table_error}"
    );
    assert!(
        table_error
            .to_string()
            .starts_with("connection.table[0].name: "),
        "{table_error}"
    );
    assert_eq!(column_error.key, "table[0].match");
    assert_eq!(db.ids("invoice").await, vec![10, 11]);
    db.finish().await;
}

async fn check_passes_on_a_good_database_and_names_a_missing_table(backend: Backend) {
    let db = Db::seeded(backend).await.expect("a database");
    let good = connector(&crm_connection(&db));
    let mut connection = crm_connection(&db);
    connection["table"].as_array_mut().unwrap().push(json!({
        "name": db.table("ledger"),
        "parent": db.table("partner"),
        "foreign_key": "partner_id",
        "erase": "delete",
    }));
    let missing = connector(&connection);

    let good_check = good.check().await;
    let missing_check = missing.check().await;

    assert_eq!(good_check, Ok("connected; 3 tables reachable".to_owned()));
    match missing_check {
        Err(ConnectorError::Permanent { message }) => {
            assert!(
                message.starts_with(&format!("table {}:", db.table("ledger"))),
                "{message}"
            );
        }
        other => panic!("a missing table fails the check, got {other:?}"),
    }
    db.finish().await;
}

// ---------------------------------------------------------------------------------------------
// Configuration errors (refused by `build`, whatever the database: SQLite is enough)
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_retained_child_under_a_deleted_parent_is_refused() {
    let db = Db::seeded(Backend::Sqlite).await.unwrap();
    let mut connection = crm_connection(&db);
    connection["table"][0]["erase"] = json!("delete");
    for key in ["anonymise", "nullify"] {
        connection["table"][0].as_object_mut().unwrap().remove(key);
    }

    let error = refused(&connection);

    assert_eq!(error.key, "table[1].erase");
    assert!(
        error
            .message
            .contains("invoice is retained but its parent partner is deleted"),
        "{error}"
    );
    db.finish().await;
}

#[tokio::test]
async fn retaining_under_a_category_without_a_rule_is_refused() {
    let db = Db::seeded(Backend::Sqlite).await.unwrap();
    let mut connection = crm_connection(&db);
    connection["table"][1]["retain"] = json!("payroll");

    let error = refused(&connection);

    assert_eq!(error.key, "table[1].retain");
    assert!(error.message.contains("\"payroll\""), "{error}");
    db.finish().await;
}

#[tokio::test]
async fn a_column_both_anonymised_and_nullified_is_refused() {
    let db = Db::seeded(Backend::Sqlite).await.unwrap();
    let mut connection = crm_connection(&db);
    connection["table"][0]["nullify"] = json!(["phone", "name"]);

    let result = build(&system(), &connection, &no_env);

    let Err(error) = result else {
        panic!("`name` is both set to a value and nullified: the configuration should be refused")
    };
    assert_eq!(error.key, "table[0].nullify");
    assert!(error.message.contains("name"), "{error}");
    db.finish().await;
}

#[tokio::test]
async fn a_password_in_a_literal_url_is_refused_while_env_references_resolve() {
    let db = Db::seeded(Backend::Sqlite).await.unwrap();
    let with_url = |url: &str| {
        let mut connection = crm_connection(&db);
        connection["url"] = json!(url);
        connection
    };
    let db_url = db.url.clone();
    let env = move |var: &str| match var {
        "CRM_DATABASE_URL" => Some(db_url.clone()),
        "CRM_REMOTE_URL" => Some("postgres://u:s3cr3t@127.0.0.1:1/db".to_owned()),
        _ => None,
    };

    let literal = build(&system(), &with_url("postgres://u:s3cr3t@h/db"), &env);
    let from_env = build(&system(), &with_url("env:CRM_DATABASE_URL"), &env);
    let secret_from_env = build(&system(), &with_url("env:CRM_REMOTE_URL"), &env);
    let unset = build(&system(), &with_url("env:CRM_UNSET_URL"), &env);

    let Err(literal) = literal else {
        panic!("a literal URL with a password should be refused")
    };
    assert_eq!(literal.key, "url");
    assert!(literal.message.contains("env:VARIABLE"), "{literal}");
    assert!(!literal.to_string().contains("s3cr3t"), "no secret echoed");
    let from_env = from_env.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        from_env.check().await,
        Ok("connected; 3 tables reachable".to_owned()),
        "the env reference reached the SQLite file"
    );
    assert!(
        secret_from_env.is_ok(),
        "a password is fine when it comes from the environment"
    );
    let Err(unset) = unset else {
        panic!("an unset variable should be refused")
    };
    assert_eq!(unset.key, "url");
    assert!(unset.message.contains("CRM_UNSET_URL"), "{unset}");
    db.finish().await;
}

#[tokio::test]
async fn check_on_a_missing_sqlite_file_names_the_file_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("no-such.db");
    let connection = json!({
        "url": format!("sqlite://{}", path.display()),
        "table": [{"name": "res_partner", "match": {"email": "email"}, "erase": "delete"}],
    });
    let err = connector(&connection).check().await.unwrap_err();
    assert!(
        err.to_string().contains(&format!(
            "the SQLite file {} does not exist",
            path.display()
        )),
        "{err}"
    );
    assert!(!err.to_string().contains("res_partner"), "{err}");
    assert!(!path.exists(), "check created the file");
}
