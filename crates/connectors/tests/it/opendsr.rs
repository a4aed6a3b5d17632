//! The `opendsr` connector against the OpenDSR stand-in (a local axum processor implementing
//! the shapes of PROCESSORS.md §1), and callback verification against certificates issued by a
//! test CA made with rcgen for each test (an ECDSA P-256 CA; ECDSA and RSA leaves).
//!
//! Each test serves its own stand-in on `127.0.0.1:0`; the listener is bound before the server
//! task starts, so nothing waits for readiness. Time is fixed: the connector is given
//! `received_at`, the stand-in answers with its seed's `now`, and certificates are checked at
//! [`now`].

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use dsrflow_connectors::opendsr::{
    Callback, CallbackError, CallbackTrust, DOMAIN_HEADER, OpendsrConnector, RequestStatus,
    SIGNATURE_HEADER, TrustedProcessor, fetch_certificate, subject_request_id, verify_callback,
    verify_callback_fetching,
};
use dsrflow_connectors::{
    BuildError, Connector, ConnectorError, Effect, Item, Outcome, Subject, TaskRequest, build,
};
use dsrflow_domain::datamap::{ConnectorKind, System};
use dsrflow_domain::{AccountId, Regime, RequestKind, SubjectEmail, TaskAction, TaskStatus};
use dsrflow_standins::axum::body::Bytes;
use dsrflow_standins::axum::extract::State;
use dsrflow_standins::axum::http::{HeaderMap, StatusCode};
use dsrflow_standins::opendsr::{OpendsrSeed, OpendsrState, SigningIdentity, opendsr};
use dsrflow_standins::serve;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose,
    date_time_ymd,
};
use rustls::pki_types::{CertificateDer, UnixTime};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use uuid::Uuid;

const DOMAIN: &str = "opendsr.processor.test";
const CALLBACK_URL: &str = "https://privacy.acme.example/api/v1/opendsr/callback";
const TOKEN: &str = "odsr_test_token";
const EMAIL: &str = "jane.doe@example.com";

/// A 2048-bit RSA test key (PKCS#8), made with `openssl genpkey` for these tests only: ring,
/// the only crypto provider in the build, cannot generate RSA keys.
const RSA_KEY_PEM: &str = "-----BEGIN PRIVATE KEY-----
MIIEvAIBADANBgkqhkiG9w0BAQEFAASCBKYwggSiAgEAAoIBAQCeRZ8Ig88/ieuG
SJJqYvg/LeRgWRKLUxba7ABke7UROY16WmEb/1EvHIFH5nv3QsvgksP/LVQBdXx4
ZVD6/J1+N2lDEQfiELk77fcDTVLq2DOJuQkF/20LxT0Eu8RpLvf5aqh1pEidyAjv
TbZw87WaxzbdKrOznxmTO+HC8pGB0YwkjntEWE88hVN7i2lHyChUyp2/oc7L3HDq
i2SkjvLdTNEfoEurFxu4+Sb4wQOX+xSvmlWt+1KYIdoW2C6j4PauOPzbLm6+KBBD
CtLWceSXD0YlT960lqTT1fJO4n9kL8oYjQrjwEZHpFrdgpSgJfAq7vAktNJOSfcA
+gf97aqhAgMBAAECggEAPrGFVXIg3iJb0U1d8hZSD3S2ShP+bIH1Q7LIVQVLrA8I
I7c5UEXKesbnzvtVj5Q9/i8kxCfIZuuK6oX3lfQKzrxUTeSpIrtNJJgWiJBQkAYk
JCHPmTickVUH3qAiJSgdwgalxDPXL+jU4TX/Vq6y+SSAbwtDM5uKHfBSdU5wpOMk
orymcKldvpYFRbb6LQ2YsrCTaQYeSxkZtRIRkfwc/bPcKM2zbWybTORTPQtpZeut
Btr53/HbtRcSjWncoanXe9EQ5tQSOY2YDVqWuJ9kBYdtsJ/p7WkOViK/Sd0/tiS7
zyQoYms56+iFaKCrdNvTAX0fRz3HoFcfoanoOwL4IQKBgQDYkr2QE/fQTvvmkADp
YnU6iNlS8wccg021bP/axsIk1mAqNsiC6BaaZd1I+NjK0kZx99x+leGRayYh/Q1u
zKp3ctkdQ9AvHg86lZnsgXfbgLI3A9WmgeGeMaPeeTJzHknzIdL0Ah30O/pXPVHL
TDmbV1UIB/xsancli33uKA/nuwKBgQC7FcmR/X6RoBumjWHzbke/pJBGhftsS6Po
FOYeTG1vp+6G6bE+b4kOwr4k1HOjBliKjWCVlg1VL1KUytucnuZpZv7ezay7+vsT
vD8UX1R6Kv+zJNCALDVsQK0X5DzaJOCxS3Srmq0BvlPGFGpWF9DMxEuPjcyvHnOY
9ypuMymLUwKBgEnAfwmHo0au/x2fQJA51U4fuFKFLJDLLjVwbxjjws2kq470pQff
XYMq2Va2V62KOi8ph08cX3qUEKJWeLKYxBx1YfaTV1wUUn9S3t4poNWBWC9gAOv5
IwoqQXHLuCB32hsQE7TA286GdlQrL6WZyaxa6zwW7CFHiFeizznBLtltAoGANIXO
XEUdpoabnKuupyf7zqrFsnbk+idWMc7EOBde1e0AgzHSh+PKR7GWrkJS4J7kdqlw
Ry6kOZkahxlYhGT77PV0clqttuykVosP7olA7zdpKAMa4hEHQof50G5MQzX9Oukj
LRY0ofusCz0qCVeQUBx/1iKKJ1PWQkiJyfxlGm8CgYA4Ym3Qodr8kblPdNfNr8tx
7lYTuqvc+y+rObbCSPL5qPRM7YGo0/ueyhkaNtTktH7o3ZDGBQ/kkuOFFIRMGvdQ
3ZDCCphROwv7wXGgzWF7Ekbi+bX9HCTxPrj9fKSZ+zbl/YnDIItHLnHGhBvaToji
EivwZvPVyIgE4JKZFWPGyg==
-----END PRIVATE KEY-----
";

// ---------------------------------------------------------------------------------------------
// The processor and the connector
// ---------------------------------------------------------------------------------------------

/// The stand-in's default seed for these tests: our domain and token, completion on the third
/// poll.
fn seed() -> OpendsrSeed {
    OpendsrSeed {
        domain: DOMAIN.to_owned(),
        token: Some(TOKEN.to_owned()),
        ..OpendsrSeed::default()
    }
}

/// Serves a stand-in; returns its base URL (`http://127.0.0.1:…/v1`) and its state.
async fn processor(seed: OpendsrSeed) -> (String, Arc<OpendsrState>) {
    let standin = opendsr(seed);
    let (addr, _server) = serve(standin.router).await.unwrap();
    (format!("http://{addr}/v1"), standin.state)
}

fn system() -> System {
    System {
        name: "analytics".to_owned(),
        kind: ConnectorKind::Opendsr,
        description: Some("Product analytics processor".to_owned()),
        categories: vec!["usage".to_owned()],
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

fn connection(base: &str) -> Value {
    json!({
        "base_url": base,
        "processor_domain": DOMAIN,
        "controller_id": "acme-hosting",
        "callback_url": CALLBACK_URL,
        "identity_types": ["email", "email_sha256"],
        "poll_secs": 5,
        "secrets": { "token": "env:PROCESSOR_TOKEN" },
    })
}

fn env(name: &str) -> Option<String> {
    (name == "PROCESSOR_TOKEN").then(|| TOKEN.to_owned())
}

fn connector(connection: &Value) -> Arc<dyn Connector> {
    build(&system(), connection, &env).unwrap_or_else(|e| panic!("build: {e}"))
}

fn refused(connection: &Value) -> BuildError {
    match build(&system(), connection, &env) {
        Ok(_) => panic!("the configuration should be refused"),
        Err(e) => e,
    }
}

fn subject() -> Subject {
    Subject {
        email: SubjectEmail::parse(EMAIL).unwrap(),
        name: None,
        account_id: None,
        phone: None,
        pseudonym: "0123456789abcdef0123456789abcdef".to_owned(),
    }
}

fn received_at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 2, 27, 9, 30, 0).unwrap()
}

/// One task call.
struct Call {
    action: TaskAction,
    kind: RequestKind,
    regime: Regime,
    task_id: Uuid,
    subject: Subject,
}

impl Call {
    fn erase() -> Self {
        Self {
            action: TaskAction::Erase,
            kind: RequestKind::Erasure,
            regime: Regime::Gdpr,
            task_id: Uuid::now_v7(),
            subject: subject(),
        }
    }

    fn access() -> Self {
        Self {
            action: TaskAction::Access,
            kind: RequestKind::Access,
            ..Self::erase()
        }
    }

    async fn run(
        &self,
        connector: &dyn Connector,
        attempt: u32,
        external_ref: Option<&str>,
    ) -> Result<Outcome, ConnectorError> {
        connector
            .run(&TaskRequest {
                corrections: &[],
                action: self.action,
                subject: &self.subject,
                task_id: self.task_id,
                reference: "DSR-2026-0042",
                kind: self.kind,
                regime: self.regime,
                received_at: received_at(),
                attempt,
                external_ref,
            })
            .await
    }

    /// Creates the request; returns the subject request id it is pending under.
    async fn create(&self, connector: &dyn Connector) -> String {
        match self.run(connector, 1, None).await {
            Ok(Outcome::Pending { external_ref, .. }) => external_ref,
            other => panic!("expected pending, got {other:?}"),
        }
    }

    async fn poll(&self, connector: &dyn Connector, id: &str) -> Result<Outcome, ConnectorError> {
        self.run(connector, 2, Some(id)).await
    }
}

fn permanent(result: Result<Outcome, ConnectorError>) -> String {
    match result {
        Err(ConnectorError::Permanent { message }) => message,
        other => panic!("expected a permanent error, got {other:?}"),
    }
}

fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

// ---------------------------------------------------------------------------------------------
// Creating and polling
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_first_call_creates_the_request_and_waits_under_an_id_derived_from_the_task() {
    let (base, state) = processor(seed()).await;
    let c = connector(&connection(&base));
    let call = Call::erase();

    let outcome = call.run(c.as_ref(), 1, None).await.unwrap();

    let expected = subject_request_id(call.task_id).to_string();
    assert_eq!(
        outcome,
        Outcome::Pending {
            external_ref: expected.clone(),
            check_after: Duration::from_secs(5),
        }
    );
    let id = Uuid::parse_str(&expected).unwrap();
    assert_eq!(id.get_version_num(), 4);
    assert_eq!(expected, expected.to_lowercase());
    assert_eq!(state.request_ids(), vec![expected.clone()]);
    assert_eq!(
        state.request(&expected).unwrap().status,
        RequestStatus::Pending
    );
}

#[tokio::test]
async fn the_request_carries_regulation_type_times_identities_callback_and_token() {
    let (base, state) = processor(seed()).await;
    let c = connector(&connection(&base));
    let call = Call {
        regime: Regime::UkGdpr,
        ..Call::erase()
    };

    let id = call.create(c.as_ref()).await;

    let body = state.request(&id).unwrap().body;
    assert_eq!(body["regulation"], "gdpr");
    assert_eq!(body["subject_request_id"], id.as_str());
    assert_eq!(body["subject_request_type"], "erasure");
    assert_eq!(body["submitted_time"], "2026-02-27T09:30:00Z");
    assert_eq!(body["api_version"], "2.0");
    assert_eq!(body["status_callback_urls"], json!([CALLBACK_URL]));
    assert_eq!(
        body["subject_identities"],
        json!([
            {"identity_type": "email", "identity_value": EMAIL, "identity_format": "raw"},
            {"identity_type": "email", "identity_value": sha256_hex(EMAIL), "identity_format": "sha256"},
        ])
    );
    let post = state
        .received()
        .into_iter()
        .find(|r| r.method == "POST")
        .unwrap();
    assert_eq!(
        post.authorization.as_deref(),
        Some("Bearer odsr_test_token")
    );
}

#[tokio::test]
async fn a_ccpa_request_says_ccpa_and_a_customer_id_is_sent_when_configured() {
    let (base, state) = processor(seed()).await;
    let mut conn = connection(&base);
    conn["identity_types"] = json!(["controller_customer_id"]);
    let c = connector(&conn);
    let mut call = Call {
        regime: Regime::Ccpa,
        ..Call::erase()
    };
    call.subject.account_id = Some(AccountId::parse("CUST-0042").unwrap());

    let id = call.create(c.as_ref()).await;

    let body = state.request(&id).unwrap().body;
    assert_eq!(body["regulation"], "ccpa");
    assert_eq!(
        body["subject_identities"],
        json!([{"identity_type": "controller_customer_id", "identity_value": "CUST-0042", "identity_format": "raw"}])
    );
}

#[tokio::test]
async fn a_retry_sends_the_same_id_and_the_409_duplicate_still_counts_as_created() {
    let (base, state) = processor(seed()).await;
    let c = connector(&connection(&base));
    let call = Call::erase();

    let first = call.run(c.as_ref(), 1, None).await.unwrap();
    // The worker crashed before recording `first`: the task runs again from scratch.
    let second = call.run(c.as_ref(), 2, None).await.unwrap();

    assert_eq!(first, second);
    assert_eq!(state.calls("POST", "/v1/requests"), 2);
    assert_eq!(state.request_ids().len(), 1);
}

#[tokio::test]
async fn a_duplicate_answered_with_400_and_a_duplicate_reason_also_counts_as_created() {
    let (base, state) = processor(OpendsrSeed {
        duplicate_status: 400,
        ..seed()
    })
    .await;
    let c = connector(&connection(&base));
    let call = Call::erase();

    let first = call.run(c.as_ref(), 1, None).await.unwrap();
    let second = call.run(c.as_ref(), 2, None).await.unwrap();

    assert_eq!(first, second);
    assert_eq!(state.calls("POST", "/v1/requests"), 2);
}

#[tokio::test]
async fn polling_until_completed_gives_done_with_one_deletion_at_the_processor() {
    let (base, state) = processor(OpendsrSeed {
        polls_to_complete: 3,
        ..seed()
    })
    .await;
    let c = connector(&connection(&base));
    let call = Call::erase();
    let id = call.create(c.as_ref()).await;

    let pending = Outcome::Pending {
        external_ref: id.clone(),
        check_after: Duration::from_secs(5),
    };
    assert_eq!(call.poll(c.as_ref(), &id).await.unwrap(), pending);
    assert_eq!(state.request(&id).unwrap().status, RequestStatus::Pending);
    assert_eq!(call.poll(c.as_ref(), &id).await.unwrap(), pending);
    assert_eq!(
        state.request(&id).unwrap().status,
        RequestStatus::InProgress
    );
    let report = match call.poll(c.as_ref(), &id).await.unwrap() {
        Outcome::Done(r) => r,
        other => panic!("expected done, got {other:?}"),
    };

    assert_eq!(
        report.items,
        vec![Item {
            target: DOMAIN.to_owned(),
            effect: Effect::Deleted,
            count: 1,
            rule: None,
            until: None,
        }]
    );
    assert_eq!(report.status(), TaskStatus::Succeeded);
    let note = report.note.unwrap();
    assert!(note.contains(&id), "{note}");
    assert!(!note.contains(EMAIL), "{note}");
    assert_eq!(state.calls("GET", &format!("/v1/requests/{id}")), 3);
}

#[tokio::test]
async fn access_reports_the_results_count_and_puts_the_results_url_in_the_note() {
    let (base, _state) = processor(OpendsrSeed {
        polls_to_complete: 1,
        results_count: 7,
        ..seed()
    })
    .await;
    let c = connector(&connection(&base));
    let call = Call::access();
    let id = call.create(c.as_ref()).await;

    let report = match call.poll(c.as_ref(), &id).await.unwrap() {
        Outcome::Done(r) => r,
        other => panic!("expected done, got {other:?}"),
    };

    assert_eq!(
        report.items,
        vec![Item {
            target: DOMAIN.to_owned(),
            effect: Effect::Found,
            count: 7,
            rule: None,
            until: None,
        }]
    );
    let note = report.note.unwrap();
    assert!(note.contains(&format!("/v1/results/{id}")), "{note}");
    // The 201 answer's encoded_request (base64 of the body we sent) is never kept.
    assert!(!note.contains("encoded"), "{note}");
}

#[tokio::test]
async fn a_portability_request_is_sent_as_portability() {
    let (base, state) = processor(seed()).await;
    let c = connector(&connection(&base));
    let call = Call {
        kind: RequestKind::Portability,
        ..Call::access()
    };

    let id = call.create(c.as_ref()).await;

    assert_eq!(
        state.request(&id).unwrap().body["subject_request_type"],
        "portability"
    );
}

#[tokio::test]
async fn a_request_cancelled_by_the_processor_fails_permanently() {
    let (base, state) = processor(seed()).await;
    let c = connector(&connection(&base));
    let call = Call::erase();
    let id = call.create(c.as_ref()).await;
    assert!(state.set_status(&id, RequestStatus::Cancelled));

    let message = permanent(call.poll(c.as_ref(), &id).await);

    assert!(message.contains("cancelled by the processor"), "{message}");
}

#[tokio::test]
async fn an_unsupported_request_type_is_refused_before_anything_is_sent() {
    let (base, state) = processor(OpendsrSeed {
        request_types: vec!["erasure".to_owned()],
        ..seed()
    })
    .await;
    let c = connector(&connection(&base));

    let message = permanent(Call::access().run(c.as_ref(), 1, None).await);

    assert!(message.contains("access"), "{message}");
    assert!(message.contains(DOMAIN), "{message}");
    assert_eq!(state.calls("GET", "/v1/discovery"), 1);
    assert_eq!(state.calls("POST", "/v1/requests"), 0);
}

#[tokio::test]
async fn an_unsupported_identity_type_is_refused_before_anything_is_sent() {
    let (base, state) = processor(OpendsrSeed {
        identities: vec![("email".to_owned(), "sha256".to_owned())],
        ..seed()
    })
    .await;
    let mut conn = connection(&base);
    conn["identity_types"] = json!(["email"]);
    let c = connector(&conn);

    let message = permanent(Call::erase().run(c.as_ref(), 1, None).await);

    assert!(message.contains("email/raw"), "{message}");
    assert!(message.contains("email/sha256"), "{message}");
    assert_eq!(state.calls("POST", "/v1/requests"), 0);
}

#[tokio::test]
async fn a_subject_without_the_only_configured_identifier_is_refused_before_anything_is_sent() {
    let (base, state) = processor(seed()).await;
    let mut conn = connection(&base);
    conn["identity_types"] = json!(["controller_customer_id"]);
    let c = connector(&conn);

    let message = permanent(Call::erase().run(c.as_ref(), 1, None).await);

    assert!(message.contains("account id"), "{message}");
    assert_eq!(state.calls("POST", "/v1/requests"), 0);
}

#[tokio::test]
async fn discovery_is_read_once_per_connector() {
    let (base, state) = processor(seed()).await;
    let c = connector(&connection(&base));

    Call::erase().create(c.as_ref()).await;
    Call::access().create(c.as_ref()).await;

    assert_eq!(state.calls("GET", "/v1/discovery"), 1);
    assert_eq!(state.request_ids().len(), 2);
}

#[tokio::test]
async fn a_429_is_transient_with_the_processors_retry_after() {
    let (base, state) = processor(seed()).await;
    let c = connector(&connection(&base));
    state.fail_with_429(1, 120);
    let call = Call::erase();

    let result = call.run(c.as_ref(), 1, None).await;

    match result {
        Err(ConnectorError::Transient {
            retry_after,
            message,
        }) => {
            assert_eq!(retry_after, Some(Duration::from_secs(120)));
            assert!(message.contains("429"), "{message}");
        }
        other => panic!("expected a transient error, got {other:?}"),
    }
    assert!(state.request_ids().is_empty());
    // The retry goes through.
    assert!(matches!(
        call.run(c.as_ref(), 2, None).await,
        Ok(Outcome::Pending { .. })
    ));
}

#[tokio::test]
async fn a_500_while_polling_is_transient() {
    let (base, state) = processor(seed()).await;
    let c = connector(&connection(&base));
    let call = Call::erase();
    let id = call.create(c.as_ref()).await;
    state.fail_with_500(1);

    let result = call.poll(c.as_ref(), &id).await;

    match result {
        Err(ConnectorError::Transient {
            retry_after,
            message,
        }) => {
            assert_eq!(retry_after, None);
            assert!(message.contains("500"), "{message}");
        }
        other => panic!("expected a transient error, got {other:?}"),
    }
}

#[tokio::test]
async fn an_unreachable_processor_is_transient() {
    // A port that was free a moment ago and that nothing listens on now.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let c = connector(&connection(&format!("http://{addr}/v1")));

    let result = Call::erase().run(c.as_ref(), 1, None).await;

    assert!(
        matches!(result, Err(ConnectorError::Transient { .. })),
        "{result:?}"
    );
}

#[tokio::test]
async fn a_refusal_is_permanent_with_the_processors_message_but_never_the_identity() {
    let (base, state) = processor(seed()).await;
    let c = connector(&connection(&base));
    state.fail_with(400, "no user JANE.DOE@example.com in this workspace");

    let message = permanent(Call::erase().run(c.as_ref(), 1, None).await);

    assert!(
        message.contains("no user [redacted] in this workspace"),
        "{message}"
    );
    assert!(!message.to_lowercase().contains(EMAIL), "{message}");
    assert!(message.contains("400"), "{message}");
}

#[tokio::test]
async fn a_wrong_token_is_a_permanent_refusal() {
    let (base, state) = processor(OpendsrSeed {
        token: Some("another-token".to_owned()),
        ..seed()
    })
    .await;
    let c = connector(&connection(&base));

    let message = permanent(Call::erase().run(c.as_ref(), 1, None).await);

    assert!(message.contains("401"), "{message}");
    assert!(state.request_ids().is_empty());
}

#[tokio::test]
async fn other_actions_are_handed_to_a_person_without_calling_the_processor() {
    let (base, state) = processor(seed()).await;
    let c = connector(&connection(&base));
    let call = Call {
        action: TaskAction::OptOut,
        kind: RequestKind::Objection,
        ..Call::erase()
    };

    let outcome = call.run(c.as_ref(), 1, None).await.unwrap();

    match outcome {
        Outcome::Manual { instructions } => {
            assert!(instructions.contains(DOMAIN), "{instructions}");
            assert!(instructions.contains("marketing"), "{instructions}");
        }
        other => panic!("expected a manual task, got {other:?}"),
    }
    assert!(state.received().is_empty());
}

#[tokio::test]
async fn check_reports_the_api_version_and_what_the_processor_supports() {
    let (base, _state) = processor(OpendsrSeed {
        request_types: vec!["erasure".to_owned()],
        ..seed()
    })
    .await;
    let c = connector(&connection(&base));

    let summary = c.check().await.unwrap();

    assert!(summary.contains("OpenDSR 2.0"), "{summary}");
    assert!(summary.contains("request types erasure;"), "{summary}");
    assert!(summary.contains("email/sha256"), "{summary}");
}

#[tokio::test]
async fn check_fails_when_no_configured_identity_type_is_supported() {
    let (base, _state) = processor(OpendsrSeed {
        identities: vec![("email".to_owned(), "md5".to_owned())],
        ..seed()
    })
    .await;
    let c = connector(&connection(&base));

    let result = c.check().await;

    assert!(
        matches!(&result, Err(ConnectorError::Permanent { message }) if message.contains("email/md5")),
        "{result:?}"
    );
}

#[tokio::test]
async fn cancel_works_while_pending_and_is_refused_once_work_has_started() {
    let (base, state) = processor(seed()).await;
    let conn = connection(&base);
    let c = OpendsrConnector::from_config(&conn, &env).unwrap();
    let pending = Call::erase();
    let pending_id = pending.create(&c).await;
    let started = Call::erase();
    let started_id = started.create(&c).await;
    started.poll(&c, &started_id).await.unwrap();
    started.poll(&c, &started_id).await.unwrap();
    assert_eq!(
        state.request(&started_id).unwrap().status,
        RequestStatus::InProgress
    );

    c.cancel_request(&pending_id).await.unwrap();
    let refused = c.cancel_request(&started_id).await;

    assert_eq!(
        state.request(&pending_id).unwrap().status,
        RequestStatus::Cancelled
    );
    match refused {
        Err(ConnectorError::Permanent { message }) => {
            assert!(message.contains("only pending"), "{message}")
        }
        other => panic!("expected a permanent error, got {other:?}"),
    }
    assert_eq!(
        state.request(&started_id).unwrap().status,
        RequestStatus::InProgress
    );
}

#[tokio::test]
async fn plain_http_off_localhost_a_literal_token_and_unknown_identity_types_are_refused_at_build()
{
    let mut conn = connection("http://opendsr.processor.test/v1");
    assert_eq!(refused(&conn).key, "base_url");

    conn = connection("https://opendsr.processor.test/v1");
    conn["secrets"]["token"] = json!("odsr_live_secret");
    assert_eq!(refused(&conn).key, "secrets.token");

    conn = connection("https://opendsr.processor.test/v1");
    conn["identity_types"] = json!(["phone"]);
    assert!(refused(&conn).key.starts_with("identity_types"));

    conn = connection("https://opendsr.processor.test/v1");
    conn["processor_domain"] = json!("not a domain");
    assert_eq!(refused(&conn).key, "processor_domain");
}

// ---------------------------------------------------------------------------------------------
// Callbacks
// ---------------------------------------------------------------------------------------------

/// The time certificates are checked at: 2026-03-02T10:00:00Z.
fn now() -> UnixTime {
    let t = Utc.with_ymd_and_hms(2026, 3, 2, 10, 0, 0).unwrap();
    UnixTime::since_unix_epoch(Duration::from_secs(t.timestamp().try_into().unwrap()))
}

fn later(secs: u64) -> UnixTime {
    UnixTime::since_unix_epoch(Duration::from_secs(now().as_secs() + secs))
}

/// A test certificate authority.
struct Ca {
    der: CertificateDer<'static>,
    issuer: Issuer<'static, KeyPair>,
}

impl Ca {
    fn new(name: &str) -> Self {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        params.not_before = date_time_ymd(2024, 1, 1);
        params.not_after = date_time_ymd(2032, 1, 1);
        let cert = params.self_signed(&key).unwrap();
        Self {
            der: cert.der().clone(),
            issuer: Issuer::new(params, key),
        }
    }

    /// A leaf for `domain`, valid from 2025-01-01 to `not_after`.
    fn leaf(&self, domain: &str, key: &KeyPair, not_after: (i32, u8, u8)) -> String {
        leaf_params(domain, not_after)
            .signed_by(key, &self.issuer)
            .unwrap()
            .pem()
    }
}

fn leaf_params(domain: &str, not_after: (i32, u8, u8)) -> CertificateParams {
    let mut params = CertificateParams::new(vec![domain.to_owned()]).unwrap();
    params.distinguished_name = rcgen::DistinguishedName::new();
    params.distinguished_name.push(DnType::CommonName, domain);
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.not_before = date_time_ymd(2025, 1, 1);
    params.not_after = date_time_ymd(not_after.0, not_after.1, not_after.2);
    params
}

const VALID: (i32, u8, u8) = (2027, 1, 1);

fn ecdsa_key() -> KeyPair {
    KeyPair::generate().unwrap()
}

fn rsa_key() -> KeyPair {
    KeyPair::from_pem(RSA_KEY_PEM).unwrap()
}

/// A signer with a certificate and its key.
fn signer(cert_pem: &str, key: &KeyPair) -> SigningIdentity {
    SigningIdentity::from_pem(cert_pem, &key.serialize_pem()).unwrap()
}

/// Trust in our one processor, rooted at `ca`, with `cert_pem` cached for it.
fn trust_with(ca: &Ca, cert_pem: Option<&str>) -> CallbackTrust {
    let processor = TrustedProcessor::new(DOMAIN, "https://opendsr.processor.test/v1").unwrap();
    let trust = CallbackTrust::new([processor], std::slice::from_ref(&ca.der), now()).unwrap();
    if let Some(pem) = cert_pem {
        trust
            .certs
            .insert_pem(DOMAIN, pem.as_bytes(), now())
            .unwrap();
    }
    trust
}

fn callback_body(url: &str, id: &str, status: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "controller_id": "acme-hosting",
        "expected_completion_time": "2026-04-01T10:00:00Z",
        "status_callback_url": url,
        "subject_request_id": id,
        "request_status": status,
        "results_url": "https://opendsr.processor.test/v1/results/x",
        "results_count": 2,
    }))
    .unwrap()
}

fn signed_headers(signer: &SigningIdentity, domain: &str, body: &[u8]) -> Vec<(String, String)> {
    use base64::Engine as _;
    let sig = base64::engine::general_purpose::STANDARD.encode(signer.sign(body).unwrap());
    vec![
        ("X-OpenDSR-Processor-Domain".to_owned(), domain.to_owned()),
        ("X-OpenDSR-Signature".to_owned(), sig),
    ]
}

const REQUEST_ID: &str = "a7551968-d5d6-44b2-9831-815ac9017798";

#[test]
fn a_signed_callback_from_an_ecdsa_leaf_is_accepted() {
    let ca = Ca::new("dsrflow test CA");
    let key = ecdsa_key();
    let pem = ca.leaf(DOMAIN, &key, VALID);
    let trust = trust_with(&ca, Some(&pem));
    let body = callback_body(CALLBACK_URL, REQUEST_ID, "completed");
    let headers = signed_headers(&signer(&pem, &key), DOMAIN, &body);

    let callback = verify_callback(&trust, &headers, &body, CALLBACK_URL).unwrap();

    assert_eq!(
        callback,
        Callback {
            processor_domain: DOMAIN.to_owned(),
            subject_request_id: Uuid::parse_str(REQUEST_ID).unwrap(),
            request_status: RequestStatus::Completed,
            results_url: Some("https://opendsr.processor.test/v1/results/x".to_owned()),
            results_count: Some(2),
        }
    );
}

#[test]
fn a_signed_callback_from_an_rsa_leaf_is_accepted() {
    let ca = Ca::new("dsrflow test CA");
    let key = rsa_key();
    let pem = ca.leaf(DOMAIN, &key, VALID);
    let trust = trust_with(&ca, Some(&pem));
    let body = callback_body(CALLBACK_URL, REQUEST_ID, "in_progress");
    let headers = signed_headers(&signer(&pem, &key), DOMAIN, &body);

    let callback = verify_callback(&trust, &headers, &body, CALLBACK_URL).unwrap();

    assert_eq!(callback.request_status, RequestStatus::InProgress);
    assert_eq!(callback.processor_domain, DOMAIN);
}

#[test]
fn the_v1_opengdpr_headers_are_honoured() {
    let ca = Ca::new("dsrflow test CA");
    let key = ecdsa_key();
    let pem = ca.leaf(DOMAIN, &key, VALID);
    let trust = trust_with(&ca, Some(&pem));
    let body = callback_body(CALLBACK_URL, REQUEST_ID, "completed");
    let headers: Vec<(String, String)> = signed_headers(&signer(&pem, &key), DOMAIN, &body)
        .into_iter()
        .map(|(n, v)| (n.replace("OpenDSR", "OpenGDPR"), v))
        .collect();

    assert!(verify_callback(&trust, &headers, &body, CALLBACK_URL).is_ok());
}

#[test]
fn a_tampered_body_is_refused_as_a_bad_signature_with_403() {
    let ca = Ca::new("dsrflow test CA");
    let key = ecdsa_key();
    let pem = ca.leaf(DOMAIN, &key, VALID);
    let trust = trust_with(&ca, Some(&pem));
    let body = callback_body(CALLBACK_URL, REQUEST_ID, "completed");
    let headers = signed_headers(&signer(&pem, &key), DOMAIN, &body);
    let tampered = callback_body(CALLBACK_URL, REQUEST_ID, "cancelled");

    let err = verify_callback(&trust, &headers, &tampered, CALLBACK_URL).unwrap_err();

    assert_eq!(err, CallbackError::BadSignature);
    assert_eq!(err.http_status(), 403);
}

#[test]
fn a_signature_by_another_key_is_refused() {
    let ca = Ca::new("dsrflow test CA");
    let key = ecdsa_key();
    let pem = ca.leaf(DOMAIN, &key, VALID);
    let trust = trust_with(&ca, Some(&pem));
    let body = callback_body(CALLBACK_URL, REQUEST_ID, "completed");
    let other = ecdsa_key();
    let headers = signed_headers(&signer(&pem, &other), DOMAIN, &body);

    let err = verify_callback(&trust, &headers, &body, CALLBACK_URL).unwrap_err();

    assert_eq!(err, CallbackError::BadSignature);
}

#[test]
fn an_unknown_or_missing_processor_domain_is_refused_with_401() {
    let ca = Ca::new("dsrflow test CA");
    let key = ecdsa_key();
    let pem = ca.leaf("opendsr.evil.test", &key, VALID);
    let trust = trust_with(&ca, Some(&pem));
    let body = callback_body(CALLBACK_URL, REQUEST_ID, "completed");
    let headers = signed_headers(&signer(&pem, &key), "opendsr.evil.test", &body);

    let unknown = verify_callback(&trust, &headers, &body, CALLBACK_URL).unwrap_err();
    let missing = verify_callback(&trust, &headers[1..], &body, CALLBACK_URL).unwrap_err();

    assert!(
        matches!(unknown, CallbackError::UnknownProcessor(_)),
        "{unknown:?}"
    );
    assert_eq!(unknown.http_status(), 401);
    assert!(
        matches!(missing, CallbackError::UnknownProcessor(_)),
        "{missing:?}"
    );
}

fn bad_certificate(err: CallbackError) -> String {
    assert_eq!(err.http_status(), 401);
    match err {
        CallbackError::BadCertificate { reason, .. } => reason,
        other => panic!("expected a bad certificate, got {other:?}"),
    }
}

#[test]
fn a_certificate_for_another_domain_is_refused() {
    let ca = Ca::new("dsrflow test CA");
    let key = ecdsa_key();
    let pem = ca.leaf("opendsr.other.test", &key, VALID);
    let trust = trust_with(&ca, Some(&pem));
    let body = callback_body(CALLBACK_URL, REQUEST_ID, "completed");
    let headers = signed_headers(&signer(&pem, &key), DOMAIN, &body);

    let reason =
        bad_certificate(verify_callback(&trust, &headers, &body, CALLBACK_URL).unwrap_err());

    assert!(reason.contains("subject alternative names"), "{reason}");
}

#[test]
fn a_self_signed_leaf_is_refused_even_when_it_is_among_the_roots() {
    let ca = Ca::new("dsrflow test CA");
    let key = ecdsa_key();
    let self_signed = leaf_params(DOMAIN, VALID).self_signed(&key).unwrap();
    let processor = TrustedProcessor::new(DOMAIN, "https://opendsr.processor.test/v1").unwrap();
    let trust = CallbackTrust::new(
        [processor],
        &[ca.der.clone(), self_signed.der().clone()],
        now(),
    )
    .unwrap();
    trust
        .certs
        .insert_pem(DOMAIN, self_signed.pem().as_bytes(), now())
        .unwrap();
    let body = callback_body(CALLBACK_URL, REQUEST_ID, "completed");
    let headers = signed_headers(&signer(&self_signed.pem(), &key), DOMAIN, &body);

    let reason =
        bad_certificate(verify_callback(&trust, &headers, &body, CALLBACK_URL).unwrap_err());

    assert!(reason.contains("self-signed"), "{reason}");
}

#[test]
fn an_expired_certificate_is_refused() {
    let ca = Ca::new("dsrflow test CA");
    let key = ecdsa_key();
    let pem = ca.leaf(DOMAIN, &key, (2026, 1, 1));
    let trust = trust_with(&ca, Some(&pem));
    let body = callback_body(CALLBACK_URL, REQUEST_ID, "completed");
    let headers = signed_headers(&signer(&pem, &key), DOMAIN, &body);

    let reason =
        bad_certificate(verify_callback(&trust, &headers, &body, CALLBACK_URL).unwrap_err());

    assert!(reason.contains("does not validate"), "{reason}");
    // The same certificate was fine while it was valid.
    let before_expiry = trust.at(UnixTime::since_unix_epoch(Duration::from_secs(
        now().as_secs() - 90 * 24 * 3600,
    )));
    assert!(verify_callback(&before_expiry, &headers, &body, CALLBACK_URL).is_ok());
}

#[test]
fn a_certificate_from_an_untrusted_ca_is_refused() {
    let trusted = Ca::new("dsrflow test CA");
    let rogue = Ca::new("rogue CA");
    let key = ecdsa_key();
    let pem = rogue.leaf(DOMAIN, &key, VALID);
    let trust = trust_with(&trusted, Some(&pem));
    let body = callback_body(CALLBACK_URL, REQUEST_ID, "completed");
    let headers = signed_headers(&signer(&pem, &key), DOMAIN, &body);

    let reason =
        bad_certificate(verify_callback(&trust, &headers, &body, CALLBACK_URL).unwrap_err());

    assert!(reason.contains("does not validate"), "{reason}");
}

#[test]
fn a_callback_addressed_to_another_url_is_refused() {
    let ca = Ca::new("dsrflow test CA");
    let key = ecdsa_key();
    let pem = ca.leaf(DOMAIN, &key, VALID);
    let trust = trust_with(&ca, Some(&pem));
    let body = callback_body(
        "https://other-controller.example/cb",
        REQUEST_ID,
        "completed",
    );
    let headers = signed_headers(&signer(&pem, &key), DOMAIN, &body);

    let err = verify_callback(&trust, &headers, &body, CALLBACK_URL).unwrap_err();

    assert_eq!(err, CallbackError::WrongUrl);
}

#[test]
fn a_signed_body_that_is_not_a_callback_is_refused_as_a_bad_payload() {
    let ca = Ca::new("dsrflow test CA");
    let key = ecdsa_key();
    let pem = ca.leaf(DOMAIN, &key, VALID);
    let trust = trust_with(&ca, Some(&pem));
    let body = callback_body(CALLBACK_URL, REQUEST_ID, "denied");
    let headers = signed_headers(&signer(&pem, &key), DOMAIN, &body);

    let err = verify_callback(&trust, &headers, &body, CALLBACK_URL).unwrap_err();

    assert!(matches!(err, CallbackError::BadPayload(_)), "{err:?}");
    assert_eq!(err.http_status(), 400);
}

#[test]
fn without_a_cached_certificate_the_pure_check_asks_for_one() {
    let ca = Ca::new("dsrflow test CA");
    let key = ecdsa_key();
    let pem = ca.leaf(DOMAIN, &key, VALID);
    let trust = trust_with(&ca, None);
    let body = callback_body(CALLBACK_URL, REQUEST_ID, "completed");
    let headers = signed_headers(&signer(&pem, &key), DOMAIN, &body);

    let err = verify_callback(&trust, &headers, &body, CALLBACK_URL).unwrap_err();

    assert!(
        matches!(err, CallbackError::CertificateUnavailable { .. }),
        "{err:?}"
    );
    assert_eq!(err.http_status(), 503);
}

/// Trust in the stand-in at `base`, rooted at `ca`, nothing cached.
fn trust_in(ca: &Ca, base: &str) -> CallbackTrust {
    let processor = TrustedProcessor::new(DOMAIN, base).unwrap();
    CallbackTrust::new([processor], std::slice::from_ref(&ca.der), now()).unwrap()
}

#[tokio::test]
async fn the_certificate_is_fetched_through_discovery_and_fetched_again_after_a_rotation() {
    let ca = Ca::new("dsrflow test CA");
    let old_key = ecdsa_key();
    let old_pem = ca.leaf(DOMAIN, &old_key, VALID);
    let (base, state) = processor(OpendsrSeed {
        signer: Some(signer(&old_pem, &old_key)),
        ..seed()
    })
    .await;
    let id = Call::erase()
        .create(connector(&connection(&base)).as_ref())
        .await;
    let trust = trust_in(&ca, &base);

    let sent = state.callback(&id, CALLBACK_URL).unwrap();
    let first = verify_callback_fetching(&trust, &sent.headers, &sent.body, CALLBACK_URL)
        .await
        .unwrap();
    assert_eq!(first.subject_request_id.to_string(), id);
    assert_eq!(first.request_status, RequestStatus::Pending);
    assert_eq!(state.calls("GET", "/v1/cert.pem"), 1);

    // The processor renews its certificate with a new RSA key.
    let new_key = rsa_key();
    let new_pem = ca.leaf(DOMAIN, &new_key, (2028, 1, 1));
    state.set_signer(Some(signer(&new_pem, &new_key)));
    let sent = state.callback(&id, CALLBACK_URL).unwrap();

    // Within a minute of the last fetch, a failure does not fetch again.
    let soon = trust.at(later(10));
    let refused = verify_callback_fetching(&soon, &sent.headers, &sent.body, CALLBACK_URL).await;
    assert_eq!(refused, Err(CallbackError::BadSignature));
    assert_eq!(state.calls("GET", "/v1/cert.pem"), 1);

    let after = trust.at(later(120));
    let second = verify_callback_fetching(&after, &sent.headers, &sent.body, CALLBACK_URL).await;
    assert!(second.is_ok(), "{second:?}");
    assert_eq!(state.calls("GET", "/v1/cert.pem"), 2);
    // The new certificate is what the cache holds now.
    assert!(verify_callback(&after, &sent.headers, &sent.body, CALLBACK_URL).is_ok());
}

#[tokio::test]
async fn fetching_the_certificate_of_an_unlisted_processor_is_refused() {
    let ca = Ca::new("dsrflow test CA");
    let (base, state) = processor(seed()).await;
    let trust = trust_in(&ca, &base);

    let err = fetch_certificate(&trust, "opendsr.evil.test")
        .await
        .unwrap_err();

    assert!(matches!(err, CallbackError::UnknownProcessor(_)), "{err:?}");
    assert!(state.received().is_empty());
}

/// What the test's callback endpoint saw.
#[derive(Clone)]
struct Receiver {
    trust: CallbackTrust,
    url: Arc<Mutex<String>>,
    seen: Arc<Mutex<Vec<Result<Callback, CallbackError>>>>,
}

/// A callback endpoint as the web layer will write it: raw body, headers as pairs, 202 or the
/// error's status.
async fn receive(State(r): State<Receiver>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let pairs: Vec<(String, String)> = headers
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or_default().to_owned()))
        .collect();
    let url = r.url.lock().unwrap().clone();
    let result = verify_callback_fetching(&r.trust, &pairs, &body, &url).await;
    let status = match &result {
        Ok(_) => StatusCode::ACCEPTED,
        Err(e) => StatusCode::from_u16(e.http_status()).unwrap(),
    };
    r.seen.lock().unwrap().push(result);
    status
}

#[tokio::test]
async fn a_callback_posted_by_the_processor_is_verified_end_to_end() {
    let ca = Ca::new("dsrflow test CA");
    let key = rsa_key();
    let pem = ca.leaf(DOMAIN, &key, VALID);
    let (base, state) = processor(OpendsrSeed {
        signer: Some(signer(&pem, &key)),
        polls_to_complete: 1,
        ..seed()
    })
    .await;
    let c = connector(&connection(&base));
    let call = Call::access();
    let id = call.create(c.as_ref()).await;
    call.poll(c.as_ref(), &id).await.unwrap();
    let receiver = Receiver {
        trust: trust_in(&ca, &base),
        url: Arc::new(Mutex::new(String::new())),
        seen: Arc::new(Mutex::new(Vec::new())),
    };
    let app = dsrflow_standins::axum::Router::new()
        .route(
            "/api/v1/opendsr/callback",
            dsrflow_standins::axum::routing::post(receive),
        )
        .with_state(receiver.clone());
    let (addr, _server) = serve(app).await.unwrap();
    let url = format!("http://{addr}/api/v1/opendsr/callback");
    *receiver.url.lock().unwrap() = url.clone();

    let status = state.send_callback(&id, &url).await.unwrap();

    assert_eq!(status, 202);
    let seen = receiver.seen.lock().unwrap().clone();
    let callback = seen[0].clone().unwrap();
    assert_eq!(callback.request_status, RequestStatus::Completed);
    assert_eq!(callback.results_count, Some(3));
    assert_eq!(seen.len(), 1);
}

#[tokio::test]
async fn the_processor_signs_its_create_answer_with_its_certificate() {
    let ca = Ca::new("dsrflow test CA");
    let key = ecdsa_key();
    let pem = ca.leaf(DOMAIN, &key, VALID);
    let (base, _state) = processor(OpendsrSeed {
        signer: Some(signer(&pem, &key)),
        token: None,
        ..seed()
    })
    .await;
    let body = json!({
        "regulation": "gdpr",
        "subject_request_id": REQUEST_ID,
        "subject_request_type": "erasure",
        "submitted_time": "2026-02-27T09:30:00Z",
        "subject_identities": [{"identity_type": "email", "identity_value": EMAIL, "identity_format": "raw"}],
    });
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::new();

    let resp = client
        .post(format!("{base}/requests"))
        .json(&body)
        .send()
        .await
        .unwrap();

    assert_eq!(resp.status().as_u16(), 201);
    let headers: Vec<(String, String)> = resp
        .headers()
        .iter()
        .filter(|(n, _)| [DOMAIN_HEADER, SIGNATURE_HEADER].contains(&n.as_str()))
        .map(|(n, v)| (n.to_string(), v.to_str().unwrap().to_owned()))
        .collect();
    assert_eq!(headers.len(), 2);
    let bytes = resp.bytes().await.unwrap();
    let answer: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(answer["subject_request_id"], REQUEST_ID);
    assert_eq!(answer["received_time"], "2026-03-02T10:00:00Z");
    assert_eq!(answer["controller_id"], "acme-hosting");
    assert!(answer["encoded_request"].is_string());
    // The signature covers the answer's raw bytes, like a callback's: check it the same way
    // (the answer is no callback, so it fails only once the signature has been accepted).
    let trust = trust_with(&ca, Some(&pem));
    let err = verify_callback(&trust, &headers, &bytes, CALLBACK_URL).unwrap_err();
    assert!(matches!(err, CallbackError::BadPayload(_)), "{err:?}");
}
