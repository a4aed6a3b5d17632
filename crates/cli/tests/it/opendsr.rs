//! OpenDSR end to end: an erasure sent to a processor, the processor's signed status callback
//! received on `/api/v1/opendsr/callback`, the task completed from the status it triggers.

use std::sync::Arc;

use dsrflow_app::systems::Systems;
use dsrflow_connectors::opendsr::{CallbackTrust, CertificateDer, TrustedProcessor, UnixTime};
use dsrflow_standins::opendsr::{OpendsrSeed, OpendsrState, SigningIdentity, opendsr};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose,
    date_time_ymd,
};
use serde_json::{Value, json};

use crate::support::{Backend, TestApp};

const DOMAIN: &str = "opendsr.processor.test";
const CALLBACK_PATH: &str = "/api/v1/opendsr/callback";

struct Pki {
    ca: CertificateDer<'static>,
    signer: SigningIdentity,
}

fn pki() -> Pki {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.distinguished_name
        .push(DnType::CommonName, "dsrflow test CA");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    ca.not_before = date_time_ymd(2024, 1, 1);
    ca.not_after = date_time_ymd(2032, 1, 1);
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca, ca_key);
    let leaf_key = KeyPair::generate().unwrap();
    let mut leaf = CertificateParams::new(vec![DOMAIN.to_owned()]).unwrap();
    leaf.distinguished_name.push(DnType::CommonName, DOMAIN);
    leaf.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    leaf.not_before = date_time_ymd(2025, 1, 1);
    leaf.not_after = date_time_ymd(2027, 1, 1);
    let leaf_pem = leaf.signed_by(&leaf_key, &issuer).unwrap().pem();
    Pki {
        ca: ca_cert.der().clone(),
        signer: SigningIdentity::from_pem(&leaf_pem, &leaf_key.serialize_pem()).unwrap(),
    }
}

async fn start(backend: Backend) -> Option<(TestApp, Arc<OpendsrState>)> {
    let pki = pki();
    let standin = opendsr(OpendsrSeed {
        domain: DOMAIN.to_owned(),
        polls_to_complete: 3,
        signer: Some(pki.signer),
        ..OpendsrSeed::default()
    });
    let state = standin.state.clone();
    let (addr, _server) = dsrflow_standins::serve(standin.router).await.unwrap();
    let base = format!("http://{addr}/v1");
    let toml = format!(
        r#"
[[system]]
name = "analytics"
kind = "opendsr"
description = "Product analytics (OpenDSR processor)"
[[system.purposes]]
name = "analytics"
legal_basis = "legitimate_interest"
[system.connection]
base_url = "{base}"
processor_domain = "{DOMAIN}"
controller_id = "hostodoo"
poll_secs = 3600
"#
    );
    let ca = pki.ca;
    let base2 = base.clone();
    let t = TestApp::start_full(
        backend,
        "2026-02-10T09:00:00Z",
        move |_| toml,
        Default::default(),
        move |systems: &mut Systems| {
            let processor = TrustedProcessor::new(DOMAIN, &base2).unwrap();
            systems.opendsr_trust = Some(
                CallbackTrust::new(
                    [processor],
                    std::slice::from_ref(&ca),
                    UnixTime::since_unix_epoch(std::time::Duration::ZERO),
                )
                .unwrap(),
            );
        },
    )
    .await?;
    Some((t, state))
}

async fn scenario(t: TestApp, state: Arc<OpendsrState>) {
    let created = t
        .create_vouched(json!({"kind": "erasure", "subject": {"email": "alice@example.com"}}))
        .await;
    let id = created["id"].as_str().unwrap();
    t.drain().await;
    let tasks = t.tasks(id).await;
    let task = &tasks[0];
    assert_eq!(task["status"], "running", "{task}");
    let subject_request_id = task["external_ref"].as_str().unwrap().to_owned();
    assert_eq!(state.request_ids(), vec![subject_request_id.clone()]);

    // Without a callback nothing happens before the next poll (an hour away).
    t.drain().await;
    assert_eq!(t.tasks(id).await[0]["status"], "running");

    // Each signed callback makes dsrflow ask the processor now; the third answer is completed.
    let url = t.url(CALLBACK_PATH);
    for _ in 0..3 {
        let status = state
            .send_callback(&subject_request_id, &url)
            .await
            .unwrap();
        assert_eq!(status, 202);
        t.drain().await;
    }
    let task = t.tasks(id).await[0].clone();
    assert_eq!(task["status"], "succeeded", "{task}");
    assert_eq!(t.request(id).await["status"], "awaiting_review");

    // A forged callback (body changed after signing) is refused with 403.
    let mut forged = state.callback(&subject_request_id, &url).unwrap();
    forged.body = forged
        .body
        .iter()
        .map(|b| if *b == b'c' { b'C' } else { *b })
        .collect();
    let mut req = t.client.post(&url).body(forged.body.clone());
    for (k, v) in &forged.headers {
        req = req.header(k, v);
    }
    assert_eq!(req.send().await.unwrap().status(), 403);
    // An unknown processor is refused with 401.
    let unknown = t
        .client
        .post(&url)
        .header("X-OpenDSR-Processor-Domain", "opendsr.evil.test")
        .header("X-OpenDSR-Signature", "AAAA")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 401);
    let body: Value = unknown.json().await.unwrap();
    assert!(body["error"]["message"].as_str().is_some());
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_opendsr_callback_moves_the_task_on_sqlite() {
    let (t, s) = start(Backend::Sqlite).await.unwrap();
    scenario(t, s).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: set DSRFLOW_TEST_POSTGRES_URL (.ci/run does)"]
async fn a_signed_opendsr_callback_moves_the_task_on_postgres() {
    let (t, s) = start(Backend::Postgres).await.expect("PostgreSQL");
    scenario(t, s).await;
}

/// A request withdrawn while the processor still has it: the processor is asked to drop it
/// (OpenDSR `DELETE /requests/{id}`), once, and the answer is audited.
async fn withdrawal(t: TestApp, state: Arc<OpendsrState>) {
    let created = t
        .create_vouched(json!({"kind": "erasure", "subject": {"email": "alice@example.com"}}))
        .await;
    let id = created["id"].as_str().unwrap();
    t.drain().await;
    let task = t.tasks(id).await[0].clone();
    assert_eq!(task["status"], "running", "{task}");
    let subject_request_id = task["external_ref"].as_str().unwrap().to_owned();
    let withdrawn = t
        .post(&format!("/api/v1/requests/{id}/withdraw"), &json!({}))
        .await;
    assert_eq!(withdrawn.status(), 200);
    assert_eq!(t.tasks(id).await[0]["status"], "skipped");
    // The reconciler's run asks the processor.
    let asked = dsrflow_app::work::cancel_at_processors(&t.app)
        .await
        .unwrap();
    assert_eq!(asked, 1);
    assert_eq!(
        state.request(&subject_request_id).unwrap().status,
        dsrflow_connectors::opendsr::RequestStatus::Cancelled
    );
    let task = t.tasks(id).await[0].clone();
    assert!(task["external_ref"].is_null(), "{task}");
    let rid: uuid::Uuid = id.parse().unwrap();
    let trail = dsrflow_store::audit::for_request(t.app.store.db(), rid)
        .await
        .unwrap();
    let cancelled = trail
        .iter()
        .find(|e| e.action == "task.cancelled_at_processor")
        .expect("the cancellation audited");
    assert!(
        cancelled.data.contains("\"accepted\":true"),
        "{}",
        cancelled.data
    );
    // Nothing left to ask.
    assert_eq!(
        dsrflow_app::work::cancel_at_processors(&t.app)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        state.calls("DELETE", &format!("/v1/requests/{subject_request_id}")),
        1
    );
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_withdrawn_request_is_cancelled_at_the_opendsr_processor_on_sqlite() {
    let (t, s) = start(Backend::Sqlite).await.unwrap();
    withdrawal(t, s).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: set DSRFLOW_TEST_POSTGRES_URL (.ci/run does)"]
async fn a_withdrawn_request_is_cancelled_at_the_opendsr_processor_on_postgres() {
    let (t, s) = start(Backend::Postgres).await.expect("PostgreSQL");
    withdrawal(t, s).await;
}
