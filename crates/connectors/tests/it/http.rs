//! The `http` connector and its shipped definitions against the in-memory stand-ins of each
//! processor (`dsrflow_standins`), served on `127.0.0.1:0`.
//!
//! Each test seeds a stand-in, builds the connector the way the app does (a `System` and the
//! `[system.connection]` table as JSON, secrets from an injected environment), runs one action
//! and then reads the stand-in's state — never the connector's own view — to see what happened.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use dsrflow_connectors::http::HttpConnector;
use dsrflow_connectors::{
    BuildError, Connector, ConnectorError, Dataset, Effect, Item, Outcome, Report, Subject,
    TaskRequest,
};
use dsrflow_domain::datamap::{ConnectorKind, System};
use dsrflow_domain::{Regime, RequestKind, SubjectEmail, SubjectName, TaskAction, TaskStatus};
use dsrflow_standins::crisp::{CrispConversation, CrispProfile, CrispSeed, crisp};
use dsrflow_standins::google_analytics::{GoogleAnalyticsSeed, google_analytics};
use dsrflow_standins::hotjar::{HotjarLookup, HotjarSeed, hotjar};
use dsrflow_standins::klaviyo::{KlaviyoProfile, KlaviyoSeed, klaviyo};
use dsrflow_standins::loki::{LokiSeed, loki};
use dsrflow_standins::meta::{MetaSeed, meta};
use dsrflow_standins::odoo::{OdooRecord, OdooSeed, odoo};
use dsrflow_standins::posthog::{PosthogPerson, PosthogSeed, posthog};
use dsrflow_standins::stripe::{StripeCustomer, StripeSeed, stripe};
use dsrflow_standins::{Common, Standin, serve};
use serde_json::{Value, json};
use tokio::task::JoinHandle;
use uuid::Uuid;

const JANE: &str = "jane.doe@example.com";
const OTHER: &str = "bob@example.com";
const UNKNOWN: &str = "nobody@example.com";
const TASK: Uuid = Uuid::from_u128(0x0123_4567_89ab_cdef_0123_4567_89ab_cdef);
const REFERENCE: &str = "DSR-2026-0042";

// ---------------------------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------------------------

/// A served stand-in; the server stops when this is dropped.
struct Served<S> {
    addr: SocketAddr,
    state: Arc<S>,
    server: JoinHandle<()>,
}

impl<S> Drop for Served<S> {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl<S> Served<S> {
    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

async fn start<S>(standin: Standin<S>) -> Served<S> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let (addr, server) = serve(standin.router).await.unwrap();
    Served {
        addr,
        state: standin.state,
        server,
    }
}

fn system() -> System {
    System {
        name: "processor".to_owned(),
        kind: ConnectorKind::Http,
        description: None,
        categories: vec!["contact".to_owned()],
        purposes: vec![],
        recipients: vec![],
        retention: vec![],
        notify: false,
        portable: None,
        source: None,
        transfers: None,
        automated_decisions: None,
        processor: None,
        backup_rotate_days: None,
    }
}

/// Builds a connector from a connection table, with `vars` as the environment.
fn connect(connection: Value, vars: &[(&str, &str)]) -> Result<HttpConnector, BuildError> {
    let vars: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let env = move |k: &str| vars.get(k).cloned();
    HttpConnector::from_config(&system(), &connection, &env)
}

fn subject(email: &str, name: Option<&str>) -> Subject {
    Subject {
        email: SubjectEmail::parse(email).unwrap(),
        name: name.map(|n| SubjectName::parse(n).unwrap()),
        account_id: None,
        phone: None,
        pseudonym: "0123456789abcdef0123456789abcdef".to_owned(),
    }
}

async fn run(
    c: &HttpConnector,
    action: TaskAction,
    subject: &Subject,
) -> Result<Outcome, ConnectorError> {
    run_for(c, action, RequestKind::Access, subject).await
}

async fn run_for(
    c: &HttpConnector,
    action: TaskAction,
    kind: RequestKind,
    subject: &Subject,
) -> Result<Outcome, ConnectorError> {
    let req = TaskRequest {
        corrections: &[],
        action,
        subject,
        task_id: TASK,
        reference: REFERENCE,
        kind,
        regime: Regime::Gdpr,
        received_at: Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap(),
        attempt: 1,
        external_ref: None,
    };
    c.run(&req).await
}

/// Runs an action that must finish with a report.
async fn report(c: &HttpConnector, action: TaskAction, subject: &Subject) -> Report {
    match run(c, action, subject).await {
        Ok(Outcome::Done(r)) => r,
        other => panic!("expected a report, got {other:?}"),
    }
}

/// Runs an action for a request of `kind` that must finish with a report.
async fn report_for(
    c: &HttpConnector,
    action: TaskAction,
    kind: RequestKind,
    subject: &Subject,
) -> Report {
    match run_for(c, action, kind, subject).await {
        Ok(Outcome::Done(r)) => r,
        other => panic!("expected a report, got {other:?}"),
    }
}

fn item<'r>(r: &'r Report, target: &str) -> &'r Item {
    r.items
        .iter()
        .find(|i| i.target == target)
        .unwrap_or_else(|| panic!("no item {target:?} in {:?}", r.items))
}

fn dataset<'r>(r: &'r Report, name: &str) -> &'r Dataset {
    r.data
        .iter()
        .find(|d| d.name == name)
        .unwrap_or_else(|| panic!("no dataset {name:?} in {:?}", r.data))
}

fn strings(records: &[Value], pointer: &str) -> Vec<String> {
    records
        .iter()
        .filter_map(|r| r.pointer(pointer))
        .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
        .collect()
}

fn permanent(result: Result<Outcome, ConnectorError>) -> String {
    match result {
        Err(ConnectorError::Permanent { message }) => message,
        other => panic!("expected a permanent error, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Connections of the shipped definitions
// ---------------------------------------------------------------------------------------------

fn stripe_connection(base: &str) -> Value {
    json!({"definition": "stripe", "base_url": base, "secrets": {"api_key": "env:STRIPE_KEY"}})
}

fn klaviyo_connection(base: &str) -> Value {
    json!({"definition": "klaviyo", "base_url": base, "secrets": {"api_key": "env:KLAVIYO_KEY"}})
}

fn posthog_connection(base: &str) -> Value {
    json!({
        "definition": "posthog", "base_url": base,
        "secrets": {"api_key": "env:POSTHOG_KEY"}, "params": {"project_id": "1"},
    })
}

fn hotjar_connection(base: &str) -> Value {
    json!({
        "definition": "hotjar", "base_url": base,
        "secrets": {"client_id": "env:HJ_ID", "client_secret": "env:HJ_SECRET"},
        "params": {"organization_id": "1"},
    })
}

fn ga_connection(base: &str) -> Value {
    json!({
        "definition": "google_analytics", "base_url": base,
        "secrets": {"access_token": "env:GA_TOKEN"}, "params": {"property_id": "123456789"},
    })
}

fn crisp_connection(base: &str) -> Value {
    json!({
        "definition": "crisp", "base_url": base,
        "secrets": {"identifier": "env:CRISP_ID", "key": "env:CRISP_KEY"},
        "params": {"website_id": "website-1"},
    })
}

fn odoo_connection(base: &str) -> Value {
    json!({
        "definition": "odoo", "base_url": base,
        "secrets": {"api_key": "env:ODOO_KEY"},
        "params": {"db": "standin", "login": "dsr-bot@example.com"},
    })
}

const STRIPE_ENV: [(&str, &str); 1] = [("STRIPE_KEY", "sk_test_standin")];
const KLAVIYO_ENV: [(&str, &str); 1] = [("KLAVIYO_KEY", "pk_standin")];
const POSTHOG_ENV: [(&str, &str); 1] = [("POSTHOG_KEY", "phx_standin")];
const HOTJAR_ENV: [(&str, &str); 2] = [("HJ_ID", "hj_client"), ("HJ_SECRET", "hj_secret_standin")];
const GA_ENV: [(&str, &str); 1] = [("GA_TOKEN", "ya29.standin")];
const META_ENV: [(&str, &str); 1] = [("META_TOKEN", "EAAB-standin")];
const LOKI_ENV: [(&str, &str); 1] = [("LOKI_TOKEN", "glc_standin")];

fn meta_connection(base: &str) -> Value {
    json!({
        "definition": "meta_audiences", "base_url": base,
        "secrets": {"access_token": "env:META_TOKEN"},
        "params": {"ad_account_id": "1234567890", "api_version": "v21.0"},
    })
}

fn loki_connection(base: &str) -> Value {
    json!({
        "definition": "grafana_loki", "base_url": base,
        "secrets": {"token": "env:LOKI_TOKEN"},
        "params": {"tenant_id": "123456", "selector": "{job=~\".+\"}", "since": "2020-01-01T00:00:00Z"},
    })
}

fn loki_seed() -> LokiSeed {
    LokiSeed {
        lines: vec![
            format!("level=info msg=\"login\" user={JANE} ip=192.0.2.10"),
            format!("level=info msg=\"invoice sent\" to={JANE}"),
            format!("level=info msg=\"login\" user={OTHER} ip=192.0.2.11"),
        ],
        ..LokiSeed::default()
    }
}
const CRISP_ENV: [(&str, &str); 2] = [
    ("CRISP_ID", "crisp-identifier"),
    ("CRISP_KEY", "crisp-key-standin"),
];
const ODOO_ENV: [(&str, &str); 1] = [("ODOO_KEY", "odoo-key-standin")];

/// One shipped definition served by its stand-in (seeded with Jane), with the action its
/// error tests run.
struct Any {
    name: &'static str,
    connector: HttpConnector,
    common: Arc<Common>,
    action: TaskAction,
    _server: Box<dyn std::any::Any + Send>,
}

/// Every shipped definition against its stand-in; `key_ok = false` configures a wrong key.
async fn every_definition(key_ok: bool) -> Vec<Any> {
    fn env<const N: usize>(
        good: [(&'static str, &'static str); N],
        ok: bool,
    ) -> Vec<(&'static str, &'static str)> {
        good.iter()
            .map(|(k, v)| (*k, if ok { *v } else { "wrong-key-0000" }))
            .collect()
    }
    let mut all = Vec::new();

    let s = start(stripe(StripeSeed {
        customers: vec![StripeCustomer::new("cus_1", JANE, "Jane Doe")],
        ..StripeSeed::default()
    }))
    .await;
    all.push(Any {
        name: "stripe",
        connector: connect(stripe_connection(&s.url()), &env(STRIPE_ENV, key_ok)).unwrap(),
        common: Arc::clone(&s.state.common),
        action: TaskAction::Access,
        _server: Box::new(s),
    });

    let s = start(klaviyo(KlaviyoSeed {
        profiles: vec![KlaviyoProfile::new("01K1", JANE, "Jane")],
        ..KlaviyoSeed::default()
    }))
    .await;
    all.push(Any {
        name: "klaviyo",
        connector: connect(klaviyo_connection(&s.url()), &env(KLAVIYO_ENV, key_ok)).unwrap(),
        common: Arc::clone(&s.state.common),
        action: TaskAction::Access,
        _server: Box::new(s),
    });

    let s = start(posthog(PosthogSeed {
        persons: vec![PosthogPerson::new("0190-jane", JANE)],
        ..PosthogSeed::default()
    }))
    .await;
    all.push(Any {
        name: "posthog",
        connector: connect(posthog_connection(&s.url()), &env(POSTHOG_ENV, key_ok)).unwrap(),
        common: Arc::clone(&s.state.common),
        action: TaskAction::Access,
        _server: Box::new(s),
    });

    let s = start(hotjar(HotjarSeed {
        users: vec![JANE.to_owned()],
        ..HotjarSeed::default()
    }))
    .await;
    // Only the client secret is wrong, so the token request itself is refused.
    let mut hj_env = env(HOTJAR_ENV, true);
    if !key_ok {
        hj_env[1].1 = "wrong-secret";
    }
    all.push(Any {
        name: "hotjar",
        connector: connect(hotjar_connection(&s.url()), &hj_env).unwrap(),
        common: Arc::clone(&s.state.common),
        action: TaskAction::Access,
        _server: Box::new(s),
    });

    let s = start(meta(MetaSeed::default())).await;
    all.push(Any {
        name: "meta_audiences",
        connector: connect(meta_connection(&s.url()), &env(META_ENV, key_ok)).unwrap(),
        common: Arc::clone(&s.state.common),
        action: TaskAction::Erase,
        _server: Box::new(s),
    });

    let s = start(loki(loki_seed())).await;
    all.push(Any {
        name: "grafana_loki",
        connector: connect(loki_connection(&s.url()), &env(LOKI_ENV, key_ok)).unwrap(),
        common: Arc::clone(&s.state.common),
        action: TaskAction::Access,
        _server: Box::new(s),
    });

    let s = start(google_analytics(GoogleAnalyticsSeed::default())).await;
    all.push(Any {
        name: "google_analytics",
        connector: connect(ga_connection(&s.url()), &env(GA_ENV, key_ok)).unwrap(),
        common: Arc::clone(&s.state.common),
        action: TaskAction::Erase,
        _server: Box::new(s),
    });

    let s = start(crisp(CrispSeed {
        profiles: vec![CrispProfile::new("p-jane", JANE, "Jane")],
        ..CrispSeed::default()
    }))
    .await;
    all.push(Any {
        name: "crisp",
        connector: connect(crisp_connection(&s.url()), &env(CRISP_ENV, key_ok)).unwrap(),
        common: Arc::clone(&s.state.common),
        action: TaskAction::Access,
        _server: Box::new(s),
    });

    let s = start(odoo(OdooSeed {
        records: vec![OdooRecord::new("res.partner", 7, "Jane Doe", JANE)],
        ..OdooSeed::default()
    }))
    .await;
    all.push(Any {
        name: "odoo",
        connector: connect(odoo_connection(&s.url()), &env(ODOO_ENV, key_ok)).unwrap(),
        common: Arc::clone(&s.state.common),
        action: TaskAction::Access,
        _server: Box::new(s),
    });

    all
}

// ---------------------------------------------------------------------------------------------
// Every definition: credentials, rate limiting by the processor, server errors
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn every_definition_reports_a_wrong_key_as_a_permanent_error() {
    let jane = subject(JANE, Some("Jane Doe"));
    for d in every_definition(false).await {
        let message = permanent(run(&d.connector, d.action, &jane).await);
        assert!(message.starts_with(d.name), "{}: {message}", d.name);
        assert!(
            !message.contains("wrong-key-0000") && !message.contains(JANE),
            "{}: the message leaks the key or the address: {message}",
            d.name
        );
    }
}

#[tokio::test]
async fn every_definition_reports_429_as_transient_with_the_retry_after_delay() {
    let jane = subject(JANE, Some("Jane Doe"));
    for d in every_definition(true).await {
        d.common.fail_with_429(1, 17);
        match run(&d.connector, d.action, &jane).await {
            Err(ConnectorError::Transient {
                message,
                retry_after,
            }) => {
                assert_eq!(retry_after, Some(Duration::from_secs(17)), "{}", d.name);
                assert!(message.contains("429"), "{}: {message}", d.name);
            }
            other => panic!("{}: expected a transient error, got {other:?}", d.name),
        }
        // The processor recovered: the same call now succeeds.
        let r = run(&d.connector, d.action, &jane).await;
        assert!(matches!(r, Ok(Outcome::Done(_))), "{}: {r:?}", d.name);
    }
}

#[tokio::test]
async fn every_definition_reports_500_as_transient() {
    let jane = subject(JANE, Some("Jane Doe"));
    for d in every_definition(true).await {
        d.common.fail_with_500(1);
        match run(&d.connector, d.action, &jane).await {
            Err(ConnectorError::Transient {
                message,
                retry_after,
            }) => {
                assert!(message.contains("HTTP 500"), "{}: {message}", d.name);
                assert_eq!(retry_after, None, "{}", d.name);
            }
            other => panic!("{}: expected a transient error, got {other:?}", d.name),
        }
    }
}

#[tokio::test]
async fn every_definition_passes_its_check_with_good_credentials_and_fails_with_bad_ones() {
    for d in every_definition(true).await {
        let summary = d.connector.check().await;
        assert!(summary.is_ok(), "{}: {summary:?}", d.name);
    }
    for d in every_definition(false).await {
        let result = d.connector.check().await;
        assert!(
            matches!(result, Err(ConnectorError::Permanent { .. })),
            "{}: {result:?}",
            d.name
        );
    }
}

#[tokio::test]
async fn an_unreachable_processor_is_a_transient_error() {
    // Bind a port, then free it: nothing listens there any more.
    let addr = {
        let l = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .unwrap();
        l.local_addr().unwrap()
    };
    let c = connect(stripe_connection(&format!("http://{addr}")), &STRIPE_ENV).unwrap();
    let jane = subject(JANE, None);
    match run(&c, TaskAction::Access, &jane).await {
        Err(ConnectorError::Transient { message, .. }) => {
            assert!(message.contains("could not connect"), "{message}");
            assert!(!message.contains(JANE), "{message}");
        }
        other => panic!("expected a transient error, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Stripe
// ---------------------------------------------------------------------------------------------

fn stripe_seed() -> StripeSeed {
    StripeSeed {
        customers: vec![
            StripeCustomer::new("cus_jane1", JANE, "Jane Doe"),
            StripeCustomer::new("cus_bob", OTHER, "Bob"),
            StripeCustomer::new("cus_jane2", JANE, "J. Doe"),
        ],
        ..StripeSeed::default()
    }
}

#[tokio::test]
async fn stripe_access_collects_the_subjects_customers_and_no_one_elses() {
    let s = start(stripe(stripe_seed())).await;
    let c = connect(stripe_connection(&s.url()), &STRIPE_ENV).unwrap();

    let r = report(&c, TaskAction::Access, &subject(JANE, None)).await;

    let customers = dataset(&r, "customers");
    assert_eq!(
        strings(&customers.records, "/id"),
        ["cus_jane1", "cus_jane2"]
    );
    assert_eq!(strings(&customers.records, "/email"), [JANE, JANE]);
    assert_eq!(item(&r, "customers").effect, Effect::Found);
    assert_eq!(item(&r, "customers").count, 2);
    assert_eq!(r.status(), TaskStatus::Succeeded);
    assert!(s.state.deleted().is_empty(), "access deleted something");
}

#[tokio::test]
async fn stripe_erase_deletes_the_subjects_customers_and_counts_them() {
    let s = start(stripe(stripe_seed())).await;
    let c = connect(stripe_connection(&s.url()), &STRIPE_ENV).unwrap();

    let r = report(&c, TaskAction::Erase, &subject(JANE, None)).await;

    assert!(s.state.live_customers(JANE).is_empty());
    assert_eq!(s.state.live_customers(OTHER), ["cus_bob"]);
    assert_eq!(s.state.deleted(), ["cus_jane1", "cus_jane2"]);
    assert_eq!(r.items.len(), 1, "{:?}", r.items);
    assert_eq!(item(&r, "customers").effect, Effect::Deleted);
    assert_eq!(item(&r, "customers").count, 2);
    assert!(r.data.is_empty(), "erasure returns no data");
    assert_eq!(r.status(), TaskStatus::Succeeded);
}

#[tokio::test]
async fn stripe_reports_an_unknown_subject_as_not_found() {
    let s = start(stripe(stripe_seed())).await;
    let c = connect(stripe_connection(&s.url()), &STRIPE_ENV).unwrap();
    let nobody = subject(UNKNOWN, None);

    let access = report(&c, TaskAction::Access, &nobody).await;
    let erase = report(&c, TaskAction::Erase, &nobody).await;

    assert_eq!(access.status(), TaskStatus::NotFound);
    assert!(access.data.is_empty());
    assert_eq!(erase.status(), TaskStatus::NotFound);
    assert_eq!(item(&erase, "customers").effect, Effect::NotFound);
    assert_eq!(item(&erase, "customers").count, 0);
    assert_eq!(s.state.deleted().len(), 0);
}

#[tokio::test]
async fn stripe_search_follows_the_next_page_cursor() {
    let s = start(stripe(StripeSeed {
        page_size: 1,
        ..stripe_seed()
    }))
    .await;
    let c = connect(stripe_connection(&s.url()), &STRIPE_ENV).unwrap();

    let r = report(&c, TaskAction::Access, &subject(JANE, None)).await;

    assert_eq!(dataset(&r, "customers").records.len(), 2);
    let searches = s.state.common.requests_to("/v1/customers/search");
    assert_eq!(searches.len(), 2);
    assert_eq!(searches[0].query_param("page"), None);
    assert_eq!(searches[1].query_param("page").as_deref(), Some("page_1"));
}

#[tokio::test]
async fn quotes_ampersands_and_plus_signs_reach_stripe_exactly() {
    let tricky = "o'brien&co+dsr@example.com";
    let s = start(stripe(StripeSeed {
        customers: vec![StripeCustomer::new("cus_ob", tricky, "O'Brien & Co")],
        ..StripeSeed::default()
    }))
    .await;
    let c = connect(stripe_connection(&s.url()), &STRIPE_ENV).unwrap();

    let r = report(&c, TaskAction::Access, &subject(tricky, None)).await;

    let search = &s.state.common.requests_to("/v1/customers/search")[0];
    assert_eq!(
        search.query_param("query").as_deref(),
        Some(r"email:'o\'brien&co+dsr@example.com'")
    );
    let raw = search.query.clone().unwrap_or_default();
    assert!(
        !raw.contains("&co") && !raw.contains('+') && !raw.contains('\''),
        "{raw}"
    );
    assert_eq!(
        strings(&dataset(&r, "customers").records, "/id"),
        ["cus_ob"]
    );
}

#[tokio::test]
async fn names_with_spaces_and_quotes_are_encoded_in_paths_and_queries() {
    let s = start(stripe(stripe_seed())).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("names.toml");
    std::fs::write(
        &file,
        r#"
name = "names"
base_url = "https://api.example.com"
[auth]
type = "bearer"
token = "{secret.api_key}"
[[step]]
name = "delete by name"
actions = ["erase"]
method = "DELETE"
path = "/v1/customers/{subject.name}"
query = { who = "{subject.name}", ref = "{request.reference}" }
not_found = [404]
effect = "deleted"
"#,
    )
    .unwrap();
    let c = connect(
        json!({"definition_file": file, "base_url": s.url(), "secrets": {"api_key": "env:STRIPE_KEY"}}),
        &STRIPE_ENV,
    )
    .unwrap();

    let r = report(
        &c,
        TaskAction::Erase,
        &subject(JANE, Some("Zoë O'Brien & Co")),
    )
    .await;

    let seen = &s.state.common.requests()[0];
    assert_eq!(seen.path, "/v1/customers/Zo%C3%AB%20O%27Brien%20%26%20Co");
    assert_eq!(seen.query_param("who").as_deref(), Some("Zoë O'Brien & Co"));
    assert_eq!(seen.query_param("ref").as_deref(), Some(REFERENCE));
    // The stand-in has no such customer: the declared 404 means "nothing there".
    assert_eq!(r.status(), TaskStatus::NotFound);
}

#[tokio::test]
async fn a_step_needing_a_missing_subject_field_is_skipped() {
    let s = start(stripe(stripe_seed())).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("phone.toml");
    std::fs::write(
        &file,
        r#"
name = "phone"
base_url = "https://api.example.com"
[auth]
type = "bearer"
token = "{secret.api_key}"
[[step]]
name = "find by phone"
actions = ["erase"]
method = "GET"
path = "/v1/customers/search"
query = { query = "phone:'{subject.phone}'" }
extract = { ids = "/data/*/id" }
[[step]]
name = "delete"
actions = ["erase"]
method = "DELETE"
path = "/v1/customers/{item}"
for_each = "ids"
effect = "deleted"
[[step]]
name = "delete by email"
actions = ["erase"]
method = "DELETE"
path = "/v1/customers/cus_jane1"
query = { email = "{subject.email}" }
effect = "deleted"
"#,
    )
    .unwrap();
    let c = connect(
        json!({"definition_file": file, "base_url": s.url(), "secrets": {"api_key": "env:STRIPE_KEY"}}),
        &STRIPE_ENV,
    )
    .unwrap();

    let r = report(&c, TaskAction::Erase, &subject(JANE, None)).await;

    // The phone lookup and the delete depending on it never ran; the last step did.
    let paths: Vec<String> = s
        .state
        .common
        .requests()
        .iter()
        .map(|r| r.path.clone())
        .collect();
    assert_eq!(paths, ["/v1/customers/cus_jane1"]);
    assert_eq!(r.items.len(), 1, "{:?}", r.items);
    assert_eq!(item(&r, "delete by email").effect, Effect::Deleted);
}

#[tokio::test]
async fn the_rate_limit_spaces_requests_to_the_processor() {
    let s = start(stripe(StripeSeed {
        customers: (1..=4)
            .map(|i| StripeCustomer::new(&format!("cus_{i}"), JANE, "Jane"))
            .collect(),
        ..StripeSeed::default()
    }))
    .await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("limited.toml");
    let text = dsrflow_connectors::http::shipped_definition("stripe")
        .unwrap()
        .replace(
            "rate_limit = { per_second = 10.0, burst = 5 }",
            "rate_limit = { per_second = 20.0, burst = 1 }",
        );
    assert!(text.contains("per_second = 20.0"));
    std::fs::write(&file, text).unwrap();
    let c = connect(
        json!({"definition_file": file, "base_url": s.url(), "secrets": {"api_key": "env:STRIPE_KEY"}}),
        &STRIPE_ENV,
    )
    .unwrap();

    report(&c, TaskAction::Erase, &subject(JANE, None)).await;

    // One search and four deletions, at most one every 50 ms. The bucket spaces the sends;
    // arrival times may shift by a few milliseconds each, hence the tolerance.
    let seen = s.state.common.requests();
    assert_eq!(seen.len(), 5);
    for pair in seen.windows(2) {
        let gap = pair[1].at.duration_since(pair[0].at);
        assert!(
            gap >= Duration::from_millis(30),
            "requests only {gap:?} apart"
        );
    }
    let span = seen[4].at.duration_since(seen[0].at);
    assert!(
        span >= Duration::from_millis(170),
        "five requests within {span:?}"
    );
}

#[tokio::test]
async fn actions_without_an_api_step_become_manual_tasks() {
    let s = start(stripe(stripe_seed())).await;
    let c = connect(stripe_connection(&s.url()), &STRIPE_ENV).unwrap();
    let jane = subject(JANE, None);

    for action in [TaskAction::Rectify, TaskAction::OptOut, TaskAction::Notify] {
        match run(&c, action, &jane).await {
            Ok(Outcome::Manual { instructions }) => {
                assert!(instructions.starts_with("processor: "), "{instructions}");
                assert!(
                    instructions.contains(action.instructions(RequestKind::Access)),
                    "{instructions}"
                );
            }
            other => panic!("{action}: expected a manual task, got {other:?}"),
        }
    }
    assert!(
        s.state.common.requests().is_empty(),
        "a manual action called the API"
    );
}

// ---------------------------------------------------------------------------------------------
// Klaviyo
// ---------------------------------------------------------------------------------------------

fn klaviyo_seed() -> KlaviyoSeed {
    KlaviyoSeed {
        profiles: vec![
            KlaviyoProfile::new("01JANE", JANE, "Jane"),
            KlaviyoProfile::new("01BOB", OTHER, "Bob"),
        ],
        ..KlaviyoSeed::default()
    }
}

#[tokio::test]
async fn klaviyo_access_collects_the_subjects_profile() {
    let s = start(klaviyo(klaviyo_seed())).await;
    let c = connect(klaviyo_connection(&s.url()), &KLAVIYO_ENV).unwrap();

    let r = report(&c, TaskAction::Access, &subject(JANE, None)).await;

    let profiles = dataset(&r, "profiles");
    assert_eq!(strings(&profiles.records, "/id"), ["01JANE"]);
    assert_eq!(strings(&profiles.records, "/attributes/email"), [JANE]);
    let seen = &s.state.common.requests()[0];
    assert_eq!(
        seen.query_param("filter").as_deref(),
        Some(r#"equals(email,"jane.doe@example.com")"#)
    );
}

#[tokio::test]
async fn klaviyo_erase_submits_a_deletion_job_for_the_address() {
    let s = start(klaviyo(klaviyo_seed())).await;
    let c = connect(klaviyo_connection(&s.url()), &KLAVIYO_ENV).unwrap();

    let r = report(&c, TaskAction::Erase, &subject(JANE, None)).await;

    assert_eq!(s.state.deletion_jobs(), [JANE]);
    assert_eq!(s.state.profiles_with(JANE), 0);
    assert_eq!(s.state.profiles_with(OTHER), 1);
    assert_eq!(item(&r, "profiles").effect, Effect::Requested);
    assert_eq!(item(&r, "profiles").count, 1);
    assert_eq!(r.status(), TaskStatus::Succeeded);
}

#[tokio::test]
async fn klaviyo_submits_no_deletion_job_for_an_unknown_subject() {
    let s = start(klaviyo(klaviyo_seed())).await;
    let c = connect(klaviyo_connection(&s.url()), &KLAVIYO_ENV).unwrap();

    let r = report(&c, TaskAction::Erase, &subject(UNKNOWN, None)).await;

    assert!(s.state.deletion_jobs().is_empty());
    assert_eq!(item(&r, "profiles").effect, Effect::NotFound);
    assert_eq!(r.status(), TaskStatus::NotFound);
    let access = report(&c, TaskAction::Access, &subject(UNKNOWN, None)).await;
    assert_eq!(access.status(), TaskStatus::NotFound);
}

#[tokio::test]
async fn klaviyo_opt_out_suppresses_the_address() {
    let s = start(klaviyo(klaviyo_seed())).await;
    let c = connect(klaviyo_connection(&s.url()), &KLAVIYO_ENV).unwrap();

    let r = report(&c, TaskAction::OptOut, &subject(JANE, None)).await;

    assert_eq!(s.state.suppressed(), [JANE]);
    assert_eq!(item(&r, "email suppression").effect, Effect::OptedOut);
    assert_eq!(r.status(), TaskStatus::Succeeded);
    assert_eq!(
        s.state.profiles_with(JANE),
        1,
        "suppression must not delete"
    );
}

// ---------------------------------------------------------------------------------------------
// PostHog
// ---------------------------------------------------------------------------------------------

fn posthog_seed() -> PosthogSeed {
    PosthogSeed {
        persons: vec![
            PosthogPerson::new("0190-jane-a", JANE),
            PosthogPerson::new("0190-jane-b", JANE),
            PosthogPerson::new("0190-bob", OTHER),
        ],
        ..PosthogSeed::default()
    }
}

#[tokio::test]
async fn posthog_access_collects_the_subjects_persons() {
    let s = start(posthog(posthog_seed())).await;
    let c = connect(posthog_connection(&s.url()), &POSTHOG_ENV).unwrap();

    let r = report(&c, TaskAction::Access, &subject(JANE, None)).await;

    let persons = dataset(&r, "persons");
    assert_eq!(
        strings(&persons.records, "/id"),
        ["0190-jane-a", "0190-jane-b"]
    );
    assert_eq!(item(&r, "persons").count, 2);
    assert_eq!(s.state.persons_with(JANE), 2);
}

#[tokio::test]
async fn posthog_erase_deletes_the_persons_with_their_events() {
    let s = start(posthog(posthog_seed())).await;
    let c = connect(posthog_connection(&s.url()), &POSTHOG_ENV).unwrap();

    let r = report(&c, TaskAction::Erase, &subject(JANE, None)).await;

    assert_eq!(s.state.persons_with(JANE), 0);
    assert_eq!(s.state.persons_with(OTHER), 1);
    assert_eq!(
        s.state.deleted(),
        [
            ("0190-jane-a".to_owned(), true),
            ("0190-jane-b".to_owned(), true)
        ]
    );
    assert_eq!(item(&r, "persons").effect, Effect::Deleted);
    assert_eq!(item(&r, "persons").count, 2);
    // Their session recordings with them.
    assert_eq!(s.state.recordings_deleted(), ["0190-jane-a", "0190-jane-b"]);
}

#[tokio::test]
async fn posthog_consent_withdrawal_deletes_the_session_recordings_and_keeps_the_person() {
    let s = start(posthog(posthog_seed())).await;
    let c = connect(posthog_connection(&s.url()), &POSTHOG_ENV).unwrap();

    let r = report_for(
        &c,
        TaskAction::OptOut,
        RequestKind::ConsentWithdrawal,
        &subject(JANE, None),
    )
    .await;

    assert_eq!(s.state.recordings_deleted(), ["0190-jane-a", "0190-jane-b"]);
    assert_eq!(s.state.persons_with(JANE), 2, "the person and events stay");
    assert!(s.state.deleted().is_empty());
    assert_eq!(item(&r, "session recordings").effect, Effect::Deleted);
    assert_eq!(item(&r, "session recordings").count, 2);
}

#[tokio::test]
async fn posthog_reports_an_unknown_subject_as_not_found() {
    let s = start(posthog(posthog_seed())).await;
    let c = connect(posthog_connection(&s.url()), &POSTHOG_ENV).unwrap();

    let access = report(&c, TaskAction::Access, &subject(UNKNOWN, None)).await;
    let erase = report(&c, TaskAction::Erase, &subject(UNKNOWN, None)).await;

    assert_eq!(access.status(), TaskStatus::NotFound);
    assert_eq!(erase.status(), TaskStatus::NotFound);
    assert!(s.state.deleted().is_empty());
}

// ---------------------------------------------------------------------------------------------
// Hotjar
// ---------------------------------------------------------------------------------------------

fn hotjar_seed() -> HotjarSeed {
    HotjarSeed {
        users: vec![JANE.to_owned(), OTHER.to_owned()],
        ..HotjarSeed::default()
    }
}

#[tokio::test]
async fn hotjar_access_requests_a_lookup_without_deleting() {
    let s = start(hotjar(hotjar_seed())).await;
    let c = connect(hotjar_connection(&s.url()), &HOTJAR_ENV).unwrap();

    let r = report(&c, TaskAction::Access, &subject(JANE, None)).await;

    assert_eq!(
        s.state.lookups(),
        [HotjarLookup {
            email: JANE.to_owned(),
            delete_all_hits: false
        }]
    );
    assert!(s.state.has_user(JANE));
    assert_eq!(item(&r, "user lookup").effect, Effect::Requested);
    assert_eq!(r.status(), TaskStatus::Succeeded);
}

#[tokio::test]
async fn hotjar_erase_asks_to_delete_all_hits() {
    let s = start(hotjar(hotjar_seed())).await;
    let c = connect(hotjar_connection(&s.url()), &HOTJAR_ENV).unwrap();

    let r = report(&c, TaskAction::Erase, &subject(JANE, None)).await;

    assert_eq!(
        s.state.lookups(),
        [HotjarLookup {
            email: JANE.to_owned(),
            delete_all_hits: true
        }]
    );
    assert!(!s.state.has_user(JANE));
    assert!(s.state.has_user(OTHER));
    assert_eq!(item(&r, "user data").effect, Effect::Requested);
    assert_eq!(item(&r, "user data").count, 1);
}

#[tokio::test]
async fn hotjar_consent_withdrawal_deletes_the_recordings_and_answers() {
    // Hotjar rests on consent: withdrawing it deletes what it recorded (Art. 7(3), 17(1)(b)).
    let s = start(hotjar(hotjar_seed())).await;
    let c = connect(hotjar_connection(&s.url()), &HOTJAR_ENV).unwrap();

    let r = report_for(
        &c,
        TaskAction::OptOut,
        RequestKind::ConsentWithdrawal,
        &subject(JANE, None),
    )
    .await;

    assert_eq!(
        s.state.lookups(),
        [HotjarLookup {
            email: JANE.to_owned(),
            delete_all_hits: true
        }]
    );
    assert!(!s.state.has_user(JANE));
    assert_eq!(item(&r, "user data").effect, Effect::Requested);
}

#[tokio::test]
async fn hotjar_cannot_tell_an_unknown_subject_apart_and_reports_the_request() {
    // Hotjar's answer does not say whether it held anything (see definitions/hotjar.toml), so
    // the honest result is "requested", not "not found".
    let s = start(hotjar(hotjar_seed())).await;
    let c = connect(hotjar_connection(&s.url()), &HOTJAR_ENV).unwrap();

    let r = report(&c, TaskAction::Erase, &subject(UNKNOWN, None)).await;

    assert_eq!(item(&r, "user data").effect, Effect::Requested);
    assert_eq!(s.state.lookups()[0].email, UNKNOWN);
}

#[tokio::test]
async fn hotjar_fetches_its_token_once_and_reuses_it() {
    let s = start(hotjar(hotjar_seed())).await;
    let c = connect(hotjar_connection(&s.url()), &HOTJAR_ENV).unwrap();

    report(&c, TaskAction::Access, &subject(JANE, None)).await;
    report(&c, TaskAction::Erase, &subject(OTHER, None)).await;

    assert_eq!(s.state.token_requests(), 1);
    assert_eq!(s.state.lookups().len(), 2);
    let token_posts = s.state.common.requests_to("/v1/oauth/token");
    assert_eq!(token_posts.len(), 1);
    assert!(
        token_posts[0]
            .body
            .contains("grant_type=client_credentials")
    );
}

#[tokio::test]
async fn hotjar_renews_an_expired_or_revoked_token() {
    let s = start(hotjar(HotjarSeed {
        token_lifetime_secs: 0,
        ..hotjar_seed()
    }))
    .await;
    let c = connect(hotjar_connection(&s.url()), &HOTJAR_ENV).unwrap();
    report(&c, TaskAction::Access, &subject(JANE, None)).await;
    report(&c, TaskAction::Access, &subject(JANE, None)).await;
    assert_eq!(s.state.token_requests(), 2, "an expired token was reused");

    let s = start(hotjar(hotjar_seed())).await;
    let c = connect(hotjar_connection(&s.url()), &HOTJAR_ENV).unwrap();
    report(&c, TaskAction::Access, &subject(JANE, None)).await;
    s.state.revoke_tokens();
    let r = report(&c, TaskAction::Access, &subject(JANE, None)).await;
    assert_eq!(s.state.token_requests(), 2);
    assert_eq!(item(&r, "user lookup").effect, Effect::Requested);
}

// ---------------------------------------------------------------------------------------------
// Google Analytics
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn google_analytics_erase_submits_the_normalised_address() {
    let s = start(google_analytics(GoogleAnalyticsSeed::default())).await;
    let c = connect(ga_connection(&s.url()), &GA_ENV).unwrap();

    let r = report(&c, TaskAction::Erase, &subject("Jane.Doe@GMail.com", None)).await;

    assert_eq!(
        s.state.deletions(),
        [(
            "userProvidedData".to_owned(),
            "janedoe@gmail.com".to_owned()
        )]
    );
    assert_eq!(
        s.state.common.requests()[0].path,
        "/v1alpha/properties/123456789:submitUserDeletion"
    );
    assert_eq!(item(&r, "user deletion request").effect, Effect::Requested);
    assert_eq!(r.status(), TaskStatus::Succeeded);
}

#[tokio::test]
async fn meta_removes_the_hashed_address_from_every_custom_audience() {
    let hash = "ff8d9819fc0e12bf0d24892e45987e249a28dce836a85cad60e28eaaa8c6d976";
    let s = start(meta(MetaSeed {
        audience_members: vec![hash.to_owned()],
        ..MetaSeed::default()
    }))
    .await;
    let c = connect(meta_connection(&s.url()), &META_ENV).unwrap();

    // The address is normalised (lower case) before it is hashed; only the hash leaves.
    let r = report(&c, TaskAction::Erase, &subject("Alice@Example.com", None)).await;

    assert_eq!(s.state.removals(), [hash]);
    assert!(!s.state.has_member(hash));
    let sent = &s.state.common.requests()[0];
    assert_eq!(sent.method, "DELETE");
    assert_eq!(sent.path, "/v21.0/act_1234567890/usersofanyaudience");
    assert!(!sent.body.contains("alice"), "{}", sent.body);
    assert_eq!(item(&r, "custom audiences").effect, Effect::Requested);
    // An objection to direct marketing removes the person too.
    let again = report_for(
        &c,
        TaskAction::OptOut,
        RequestKind::Objection,
        &subject("alice@example.com", None),
    )
    .await;
    assert_eq!(item(&again, "custom audiences").effect, Effect::Requested);
    // Meta keeps nothing the account can read back: access is a person's job, said so.
    match run(&c, TaskAction::Access, &subject(JANE, None)).await {
        Ok(Outcome::Manual { instructions }) => {
            assert!(instructions.contains("not searchable"), "{instructions}")
        }
        other => panic!("expected a manual task, got {other:?}"),
    }
}

#[tokio::test]
async fn loki_finds_the_log_lines_naming_the_person_and_deletes_them() {
    let s = start(loki(loki_seed())).await;
    let c = connect(loki_connection(&s.url()), &LOKI_ENV).unwrap();

    let access = report(&c, TaskAction::Access, &subject(JANE, None)).await;
    assert_eq!(item(&access, "log lines").count, 2);
    assert_eq!(dataset(&access, "log lines").records.len(), 2);
    let erase = report(&c, TaskAction::Erase, &subject(JANE, None)).await;

    assert_eq!(
        s.state.deletions(),
        [format!("{{job=~\".+\"}} |= \"{JANE}\"")]
    );
    assert_eq!(s.state.lines_with(JANE), 0);
    assert_eq!(s.state.lines_with(OTHER), 1);
    assert_eq!(item(&erase, "log lines").effect, Effect::Requested);
    let unknown = report(&c, TaskAction::Access, &subject(UNKNOWN, None)).await;
    assert_eq!(unknown.status(), TaskStatus::NotFound);
}

#[tokio::test]
async fn google_analytics_access_is_a_manual_task() {
    let s = start(google_analytics(GoogleAnalyticsSeed::default())).await;
    let c = connect(ga_connection(&s.url()), &GA_ENV).unwrap();

    match run(&c, TaskAction::Access, &subject(JANE, None)).await {
        Ok(Outcome::Manual { instructions }) => {
            assert!(
                instructions.contains("no data searchable by e-mail"),
                "{instructions}"
            );
        }
        other => panic!("expected a manual task, got {other:?}"),
    }
    assert!(s.state.common.requests().is_empty());
}

// ---------------------------------------------------------------------------------------------
// Crisp
// ---------------------------------------------------------------------------------------------

/// Jane's profile sits on the second page, behind two profiles whose addresses merely contain
/// hers (Crisp's search returns those too).
fn crisp_seed() -> CrispSeed {
    CrispSeed {
        page_size: 2,
        profiles: vec![
            CrispProfile::new("p-xjane", "xjane.doe@example.com", "X"),
            CrispProfile::new("p-ajane", "ajane.doe@example.com", "A"),
            CrispProfile::new("p-jane", JANE, "Jane"),
            CrispProfile::new("p-bob", OTHER, "Bob"),
        ],
        conversations: vec![
            CrispConversation::new("session_j1", "p-jane", &["Hello, my order?"]),
            CrispConversation::new("session_j2", "p-jane", &["Refund please"]),
            CrispConversation::new("session_j3", "p-jane", &["Thanks"]),
            CrispConversation::new("session_x1", "p-xjane", &["Not Jane"]),
        ],
        ..CrispSeed::default()
    }
}

#[tokio::test]
async fn crisp_access_pages_through_profiles_and_collects_only_exact_matches() {
    let s = start(crisp(crisp_seed())).await;
    let c = connect(crisp_connection(&s.url()), &CRISP_ENV).unwrap();

    let r = report(&c, TaskAction::Access, &subject(JANE, None)).await;

    let pages: Vec<String> = s
        .state
        .common
        .requests_to("/v1/website/website-1/people/profiles/")
        .iter()
        .map(|r| r.path.clone())
        .collect();
    assert_eq!(
        pages,
        [
            "/v1/website/website-1/people/profiles/1",
            "/v1/website/website-1/people/profiles/2",
            "/v1/website/website-1/people/profiles/3",
        ]
    );
    assert_eq!(
        strings(&dataset(&r, "profiles").records, "/people_id"),
        ["p-jane"]
    );
    // Jane's three conversations span two pages of her conversation list.
    assert_eq!(
        strings(&dataset(&r, "conversations").records, "/session_id"),
        ["session_j1", "session_j2", "session_j3"]
    );
    assert_eq!(
        strings(&dataset(&r, "messages").records, "/content"),
        ["Hello, my order?", "Refund please", "Thanks"]
    );
    assert_eq!(s.state.session_ids().len(), 4, "access deleted something");
}

#[tokio::test]
async fn crisp_erase_deletes_the_profile_and_its_conversations_only() {
    let s = start(crisp(crisp_seed())).await;
    let c = connect(crisp_connection(&s.url()), &CRISP_ENV).unwrap();

    let r = report(&c, TaskAction::Erase, &subject(JANE, None)).await;

    assert_eq!(
        s.state.profile_emails(),
        ["xjane.doe@example.com", "ajane.doe@example.com", OTHER]
    );
    assert_eq!(s.state.session_ids(), ["session_x1"]);
    assert_eq!(item(&r, "conversations").effect, Effect::Deleted);
    assert_eq!(item(&r, "conversations").count, 3);
    assert_eq!(item(&r, "profiles").effect, Effect::Deleted);
    assert_eq!(item(&r, "profiles").count, 1);
}

#[tokio::test]
async fn crisp_reports_an_unknown_subject_as_not_found() {
    let s = start(crisp(crisp_seed())).await;
    let c = connect(crisp_connection(&s.url()), &CRISP_ENV).unwrap();

    let access = report(&c, TaskAction::Access, &subject(UNKNOWN, None)).await;
    let erase = report(&c, TaskAction::Erase, &subject(UNKNOWN, None)).await;

    assert_eq!(access.status(), TaskStatus::NotFound);
    assert_eq!(erase.status(), TaskStatus::NotFound);
    assert_eq!(s.state.profile_emails().len(), 4);
}

// ---------------------------------------------------------------------------------------------
// Odoo
// ---------------------------------------------------------------------------------------------

fn odoo_seed() -> OdooSeed {
    OdooSeed {
        records: vec![
            OdooRecord::new("res.partner", 7, "Jane Doe", JANE),
            OdooRecord::new("crm.lead", 31, "Website enquiry", JANE),
            OdooRecord::new("res.partner", 8, "Bob", OTHER),
        ],
        ..OdooSeed::default()
    }
}

fn wizard_prefix() -> Vec<&'static str> {
    vec![
        "common.authenticate",
        "privacy.lookup.wizard.create",
        "privacy.lookup.wizard.action_lookup",
        "privacy.lookup.wizard.line.search_read",
    ]
}

#[tokio::test]
async fn odoo_access_runs_the_lookup_and_collects_its_lines() {
    let s = start(odoo(odoo_seed())).await;
    let c = connect(odoo_connection(&s.url()), &ODOO_ENV).unwrap();

    let r = report(&c, TaskAction::Access, &subject(JANE, Some("Jane Doe"))).await;

    assert_eq!(s.state.calls(), wizard_prefix());
    let lines = dataset(&r, "odoo records");
    assert_eq!(
        strings(&lines.records, "/res_model"),
        ["res.partner", "crm.lead"]
    );
    assert_eq!(strings(&lines.records, "/res_id"), ["7", "31"]);
    assert_eq!(item(&r, "odoo records").count, 2);
    assert_eq!(
        s.state.records_with(JANE).len(),
        2,
        "access changed records"
    );
    assert_eq!(r.note, None);
}

#[tokio::test]
async fn odoo_erase_runs_the_whole_wizard_and_notes_the_privacy_log() {
    let s = start(odoo(odoo_seed())).await;
    let c = connect(odoo_connection(&s.url()), &ODOO_ENV).unwrap();

    let r = report(&c, TaskAction::Erase, &subject(JANE, Some("Jane Doe"))).await;

    let mut expected = wizard_prefix();
    expected.extend([
        "privacy.lookup.wizard.line.action_unlink_all",
        "privacy.lookup.wizard.read",
        "privacy.log.write",
    ]);
    assert_eq!(s.state.calls(), expected);
    assert!(s.state.records_with(JANE).is_empty());
    assert_eq!(s.state.records_with(OTHER).len(), 1);
    assert_eq!(item(&r, "odoo records").effect, Effect::Deleted);
    assert_eq!(item(&r, "odoo records").count, 2);
    let logs = s.state.logs();
    assert_eq!(logs.len(), 1);
    assert_eq!(r.note, Some(format!("Odoo privacy.log #{}", logs[0].id)));
    assert_eq!(logs[0].anonymized_email, "j***.d**@e******.com");
    let note = logs[0].additional_note.clone().unwrap_or_default();
    assert!(
        note.contains(REFERENCE) && note.contains(&TASK.to_string()),
        "{note}"
    );
}

#[tokio::test]
async fn odoo_opt_out_archives_records_and_blacklists_the_address() {
    let s = start(odoo(odoo_seed())).await;
    let c = connect(odoo_connection(&s.url()), &ODOO_ENV).unwrap();

    let r = report(&c, TaskAction::OptOut, &subject(JANE, Some("Jane Doe"))).await;

    assert_eq!(s.state.blacklist(), [JANE]);
    let records = s.state.records_with(JANE);
    assert_eq!(records.len(), 2, "an objection must not delete");
    assert!(records.iter().all(|r| !r.active));
    assert_eq!(item(&r, "mail.blacklist").effect, Effect::OptedOut);
    assert_eq!(item(&r, "odoo records").effect, Effect::OptedOut);
    assert!(
        r.note
            .as_deref()
            .is_some_and(|n| n.starts_with("Odoo privacy.log #"))
    );

    // A second objection finds the address already listed: no duplicate, no error.
    report(&c, TaskAction::OptOut, &subject(JANE, Some("Jane Doe"))).await;
    assert_eq!(s.state.blacklist(), [JANE]);
}

#[tokio::test]
async fn odoo_json_rpc_errors_in_a_200_answer_are_permanent() {
    let s = start(odoo(odoo_seed())).await;
    s.state.fail_method("action_unlink_all");
    let c = connect(odoo_connection(&s.url()), &ODOO_ENV).unwrap();

    let message = permanent(run(&c, TaskAction::Erase, &subject(JANE, Some("Jane Doe"))).await);

    assert!(message.contains("odoo delete records"), "{message}");
    assert!(message.contains("odoo.exceptions.AccessError"), "{message}");
    assert_eq!(s.state.records_with(JANE).len(), 2);
    let last = s.state.common.requests().pop().unwrap();
    assert_eq!(last.path, "/jsonrpc");
}

#[tokio::test]
async fn odoo_reports_an_unknown_subject_as_not_found_without_a_log() {
    let s = start(odoo(odoo_seed())).await;
    let c = connect(odoo_connection(&s.url()), &ODOO_ENV).unwrap();
    let nobody = subject(UNKNOWN, Some("No Body"));

    let access = report(&c, TaskAction::Access, &nobody).await;
    let erase = report(&c, TaskAction::Erase, &nobody).await;

    assert_eq!(access.status(), TaskStatus::NotFound);
    assert_eq!(erase.status(), TaskStatus::NotFound);
    assert_eq!(erase.note, None);
    assert!(s.state.logs().is_empty());
    // Nothing to delete: the unlink call is not made, nor the log annotation.
    let calls = s.state.calls();
    assert!(
        !calls.iter().any(|c| c.ends_with("action_unlink_all")),
        "{calls:?}"
    );
    assert!(!calls.iter().any(|c| c == "privacy.log.write"), "{calls:?}");
}

#[tokio::test]
async fn odoo_uses_the_address_as_the_wizard_name_when_the_subject_gave_none() {
    let s = start(odoo(odoo_seed())).await;
    let c = connect(odoo_connection(&s.url()), &ODOO_ENV).unwrap();

    let r = report(&c, TaskAction::Access, &subject(JANE, None)).await;

    let create = s
        .state
        .common
        .requests()
        .into_iter()
        .map(|r| serde_json::from_str::<Value>(&r.body).unwrap())
        .find(|b| b.pointer("/params/args/4") == Some(&json!("create")))
        .unwrap();
    assert_eq!(
        create.pointer("/params/args/5/0"),
        Some(&json!({"name": JANE, "email": JANE}))
    );
    assert_eq!(
        create.pointer("/params/args/1"),
        Some(&json!(2)),
        "uid stays a number"
    );
    assert_eq!(item(&r, "odoo records").count, 2);
}

// ---------------------------------------------------------------------------------------------
// Configuration errors name the key
// ---------------------------------------------------------------------------------------------

fn build_error(connection: Value, vars: &[(&str, &str)]) -> BuildError {
    match connect(connection, vars) {
        Err(e) => e,
        Ok(c) => panic!("expected a configuration error, built {c:?}"),
    }
}

#[test]
fn an_unknown_definition_is_refused_and_the_shipped_ones_are_listed() {
    let e = build_error(json!({"definition": "strpie"}), &[]);
    assert_eq!(e.key, "definition");
    for name in [
        "stripe",
        "klaviyo",
        "posthog",
        "hotjar",
        "crisp",
        "google_analytics",
        "odoo",
        "meta_audiences",
        "grafana_loki",
    ] {
        assert!(e.message.contains(name), "{}", e.message);
    }
}

#[test]
fn a_secret_written_in_the_configuration_is_refused() {
    let e = build_error(
        json!({"definition": "stripe", "secrets": {"api_key": "sk_live_literal"}}),
        &[],
    );
    assert_eq!(e.key, "secrets.api_key");
    assert!(e.message.contains("env:"), "{}", e.message);
    assert!(!e.to_string().contains("sk_live_literal"), "{e}");
}

#[test]
fn a_missing_or_unset_secret_names_its_key() {
    let e = build_error(json!({"definition": "stripe"}), &[]);
    assert_eq!(e.key, "secrets.api_key");
    let e = build_error(
        json!({"definition": "stripe", "secrets": {"api_key": "env:NOT_SET"}}),
        &[],
    );
    assert_eq!(e.key, "secrets.api_key");
    assert!(e.message.contains("NOT_SET"), "{}", e.message);
}

#[test]
fn a_missing_parameter_and_an_unused_one_name_their_keys() {
    let e = build_error(
        json!({"definition": "posthog", "secrets": {"api_key": "env:K"}}),
        &[("K", "phx")],
    );
    assert_eq!(e.key, "params.project_id");
    let e = build_error(
        json!({"definition": "posthog", "secrets": {"api_key": "env:K"}, "params": {"project_id": "1", "projet": "2"}}),
        &[("K", "phx")],
    );
    assert_eq!(e.key, "params.projet");
    let e = build_error(
        json!({"definition": "stripe", "secrets": {"api_key": "env:K", "extra": "env:K"}}),
        &[("K", "sk")],
    );
    assert_eq!(e.key, "secrets.extra");
}

#[test]
fn unknown_template_variables_in_a_definition_file_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, path: &str| {
        let file = dir.path().join(name);
        std::fs::write(
            &file,
            format!(
                "name = \"t\"\nbase_url = \"https://x.example\"\n[[step]]\nname = \"s\"\nactions = [\"erase\"]\nmethod = \"DELETE\"\npath = \"{path}\"\neffect = \"deleted\"\n"
            ),
        )
        .unwrap();
        file
    };
    let e = build_error(
        json!({"definition_file": write("a.toml", "/x/{subject.mail}")}),
        &[],
    );
    assert_eq!(e.key, "definition_file");
    assert!(e.message.contains("step[0] (s).path"), "{}", e.message);
    assert!(
        e.message
            .contains("unknown template variable {subject.mail}"),
        "{}",
        e.message
    );
    let e = build_error(
        json!({"definition_file": write("b.toml", "/x/{var.ids}")}),
        &[],
    );
    assert_eq!(e.key, "definition_file");
    assert!(
        e.message.contains("not extracted by an earlier step"),
        "{}",
        e.message
    );
    let e = build_error(
        json!({"definition_file": dir.path().join("missing.toml")}),
        &[],
    );
    assert_eq!(e.key, "definition_file");
}

#[test]
fn a_bad_base_url_and_an_unknown_key_are_refused() {
    let e = build_error(
        json!({"definition": "stripe", "base_url": "ftp://x", "secrets": {"api_key": "env:K"}}),
        &[("K", "sk")],
    );
    assert_eq!(e.key, "base_url");
    let e = build_error(
        json!({"definition": "stripe", "secrets": {"api_key": "env:K"}, "definiton": "x"}),
        &[("K", "sk")],
    );
    assert!(e.message.contains("definiton"), "{}", e.message);
}

#[tokio::test]
async fn the_crate_builder_makes_http_connectors() {
    let s = start(stripe(stripe_seed())).await;
    let vars: HashMap<&str, &str> = STRIPE_ENV.into_iter().collect();
    let env = move |k: &str| vars.get(k).map(|v| (*v).to_owned());
    let c = dsrflow_connectors::build(&system(), &stripe_connection(&s.url()), &env).unwrap();

    let summary = c.check().await.unwrap();

    assert!(summary.contains("stripe"), "{summary}");
    assert_eq!(s.state.common.requests()[0].path, "/v1/customers");
}
