//! Messages caused by state changes: written to the outbox in the same transaction, delivered
//! by a job, never twice, with the address and body cleared once sent.

use std::sync::Arc;

use dsrflow_app::outbox::{MailSender, OutgoingMail, SendError};
use futures::future::BoxFuture;
use serde_json::{Value, json};

use crate::on_both;

fn link_in(text: &str, path: &str) -> String {
    let start = text.find("http://").expect("an absolute link");
    let url: String = text[start..]
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != '>' && *c != ')')
        .collect();
    assert!(url.contains(path), "{url} is not a {path} link");
    url
}

on_both!(
    an_acknowledgement_with_the_deadline_and_a_working_status_link_is_sent_once,
    "2026-02-10T09:00:00Z",
    |t| {
        let created = t
            .create(json!({
                "kind": "erasure",
                "subject": {"email": "alice@example.com", "name": "Alice Martin"},
                "received_at": "2026-01-31T12:00:00+01:00"
            }))
            .await;
        let reference = created["reference"].as_str().unwrap();
        assert!(t.mail.is_empty(), "sent before the job ran");
        t.drain().await;
        let sent = t.mail.sent();
        // The acknowledgement, and the link to confirm the request.
        assert_eq!(sent.len(), 2, "{sent:?}");
        let ack = &sent
            .iter()
            .find(|s| !s.outgoing.text.contains("/verify/"))
            .expect("an acknowledgement")
            .outgoing;
        assert_eq!(ack.to, "alice@example.com");
        assert!(
            ack.subject.contains(&format!("[{reference}]")),
            "{}",
            ack.subject
        );
        assert!(ack.text.contains("2 March 2026"), "{}", ack.text);
        assert!(ack.html.as_deref().unwrap().contains("Alice Martin"));
        let status = link_in(&ack.text, "/status/");
        let page = t.client.get(&status).send().await.unwrap();
        assert_eq!(page.status(), 200);
        let html = page.text().await.unwrap();
        assert!(html.contains(reference), "{html}");
        assert!(html.contains("2 March 2026"));
        // Draining again sends nothing more: the message is marked sent.
        t.drain().await;
        assert!(dsrflow_app::work::reconcile(&t.app).await.unwrap().mails == 0);
        t.drain().await;
        assert_eq!(t.mail.len(), 2);
        assert_eq!(
            t.client
                .get(t.url("/status/0000"))
                .send()
                .await
                .unwrap()
                .status(),
            404
        );
    }
);

on_both!(
    a_sent_message_keeps_proof_but_not_the_address_or_body,
    "2026-02-10T09:00:00Z",
    |t| {
        let created = t
            .create(json!({"kind": "access", "subject": {"email": "alice@example.com"}}))
            .await;
        t.drain().await;
        let id: uuid::Uuid = created["id"].as_str().unwrap().parse().unwrap();
        let rows = dsrflow_store::outbox::for_request(t.app.store.db(), id)
            .await
            .unwrap();
        assert_eq!(rows.len(), 2, "acknowledgement and confirmation link");
        let row = rows
            .iter()
            .find(|r| r.template == "acknowledgement")
            .unwrap();
        assert_eq!(row.status.as_str(), "sent");
        assert_eq!(row.to_address, None);
        assert_eq!(row.body, None);
        assert_eq!(row.to_masked, "a***@e***.com");
        assert!(row.sent_at.is_some());
        let audit = dsrflow_store::audit::for_request(t.app.store.db(), id)
            .await
            .unwrap();
        assert!(
            audit
                .iter()
                .any(|e| e.action == "mail.sent" && !e.data.contains("alice"))
        );
    }
);

on_both!(
    a_refusal_states_reasons_and_the_right_to_complain,
    "2026-02-10T09:00:00Z",
    |t| {
        let created = t
        .create(json!({"kind": "erasure", "language": "fr", "subject": {"email": "alice@example.com"}}))
        .await;
        let id = created["id"].as_str().unwrap();
        t.post(
        &format!("/api/v1/requests/{id}/deny"),
        &json!({"reason": "Demande manifestement excessive: cinquième demande identique ce mois-ci"}),
    )
    .await;
        t.drain().await;
        let sent = t.mail.sent();
        assert_eq!(sent.len(), 3, "acknowledgement, confirmation link, refusal");
        let refusal = &sent[2].outgoing;
        assert!(
            refusal.text.contains("cinquième demande identique"),
            "{}",
            refusal.text
        );
        assert!(
            refusal.text.contains("Autorité de protection des données"),
            "{}",
            refusal.text
        );
    }
);

on_both!(
    an_extension_notice_gives_the_new_deadline_and_reasons,
    "2026-02-10T09:00:00Z",
    |t| {
        let created = t
        .create(json!({"kind": "access", "subject": {"email": "bob@example.org"}, "received_at": "2026-01-31T12:00:00+01:00"}))
        .await;
        let id = created["id"].as_str().unwrap();
        t.post(
            &format!("/api/v1/requests/{id}/extend"),
            &json!({"reason": "Your data is spread over eleven systems"}),
        )
        .await;
        t.drain().await;
        let sent = t.mail.sent();
        let notice = &sent.last().unwrap().outgoing;
        assert!(notice.text.contains("30 April 2026"), "{}", notice.text);
        assert!(notice.text.contains("eleven systems"));
        let _ = link_in(&notice.text, "/status/");
    }
);

struct Failing(SendError);

impl MailSender for Failing {
    fn send<'a>(&'a self, _mail: &'a OutgoingMail) -> BoxFuture<'a, Result<(), SendError>> {
        let e = self.0.clone();
        Box::pin(async move { Err(e) })
    }
}

on_both!(
    a_temporary_failure_is_retried_later_and_a_permanent_one_is_marked_failed,
    "2026-02-10T09:00:00Z",
    |t| {
        let created = t
            .create(json!({"kind": "access", "subject": {"email": "alice@example.com"}}))
            .await;
        let id: uuid::Uuid = created["id"].as_str().unwrap().parse().unwrap();
        let down = t
            .app
            .clone()
            .with_mailer(Arc::new(Failing(SendError::Transient(
                "421 try later".to_owned(),
            ))));
        dsrflow_app::work::drain(&down, &t.queue).await.unwrap();
        let row = dsrflow_store::outbox::for_request(t.app.store.db(), id)
            .await
            .unwrap()
            .remove(0);
        assert_eq!(row.status.as_str(), "pending");
        assert_eq!(row.attempts, 1);
        assert!(row.next_attempt_at.unwrap() > t.clock_now());
        assert!(row.to_address.is_some(), "kept until sent");
        // Not due yet: nothing is sent; once due, it goes out.
        t.drain().await;
        assert!(t.mail.is_empty());
        t.clock.set(crate::support::t("2026-02-10T09:05:00Z"));
        dsrflow_app::work::reconcile(&t.app).await.unwrap();
        t.drain().await;
        assert_eq!(t.mail.len(), 2, "acknowledgement and confirmation link");

        let other = t
            .create(json!({"kind": "access", "subject": {"email": "bob@example.org"}}))
            .await;
        let other: uuid::Uuid = other["id"].as_str().unwrap().parse().unwrap();
        let rejected = t
            .app
            .clone()
            .with_mailer(Arc::new(Failing(SendError::Permanent(
                "550 no such mailbox".to_owned(),
            ))));
        dsrflow_app::work::drain(&rejected, &t.queue).await.unwrap();
        let row = dsrflow_store::outbox::for_request(t.app.store.db(), other)
            .await
            .unwrap()
            .remove(0);
        assert_eq!(row.status.as_str(), "failed");
        assert!(row.last_error.unwrap().contains("550"));
        let value: Value = json!(row.attempts);
        assert_eq!(value, 1);
    }
);

on_both!(
    a_failed_message_is_listed_masked_and_resent_once_asked,
    "2026-02-10T09:00:00Z",
    |t| {
        let created = t
            .create(json!({"kind": "access", "subject": {"email": "alice@example.com"}}))
            .await;
        let id: uuid::Uuid = created["id"].as_str().unwrap().parse().unwrap();
        let rejected = t
            .app
            .clone()
            .with_mailer(Arc::new(Failing(SendError::Permanent(
                "550 5.1.1 <alice@example.com>: Recipient address rejected".to_owned(),
            ))));
        dsrflow_app::work::drain(&rejected, &t.queue).await.unwrap();

        // The API lists what failed, without the address.
        let listed: Value = t
            .get("/api/v1/mail?status=failed")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(listed["total"], 2, "{listed}");
        let text = listed.to_string();
        assert!(!text.contains("alice@example.com"), "{text}");
        let first = &listed["items"][0];
        assert_eq!(first["status"], "failed");
        assert_eq!(first["request_id"], id.to_string());
        assert!(
            first["last_error"]
                .as_str()
                .unwrap()
                .contains("550 5.1.1 <a***@e***.com>"),
            "{first}"
        );
        let bad = t.get("/api/v1/mail?status=lost").await;
        assert_eq!(bad.status(), 422);
        let bad = t.get("/api/v1/mail?page=184467440737095518").await;
        assert_eq!(bad.status(), 422);

        // The CLI sees the same, and refuses to resend a message that is not failed.
        let url = t.db_url().to_owned();
        let cli = |args: &[&str]| {
            let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_dsrflow"));
            cmd.current_dir(t.dir.path())
                .args(["--database-url", &url])
                .args(args);
            for (key, _) in std::env::vars_os() {
                if key.to_string_lossy().starts_with("DSRFLOW_") {
                    cmd.env_remove(key);
                }
            }
            cmd.output().unwrap()
        };
        if url.starts_with("sqlite:") {
            let out = cli(&["mail", "list", "--failed"]);
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(out.status.success(), "{text}");
            assert_eq!(text.matches(" failed ").count(), 2, "{text}");
            assert!(
                text.contains("a***@e***.com") && !text.contains("alice@"),
                "{text}"
            );
        }

        // Resending puts it back in the queue; the next delivery sends it.
        let mail_id = first["id"].as_str().unwrap();
        let resent = t
            .post(&format!("/api/v1/mail/{mail_id}/resend"), &json!({}))
            .await;
        assert_eq!(resent.status(), 200);
        let body: Value = resent.json().await.unwrap();
        assert_eq!(body["status"], "pending");
        assert_eq!(body["attempts"], 0);
        t.drain().await;
        assert_eq!(t.mail.len(), 1, "only the resent message goes out");
        let again = t
            .post(&format!("/api/v1/mail/{mail_id}/resend"), &json!({}))
            .await;
        assert_eq!(again.status(), 409, "a sent message is not sent twice");
        let unknown = t
            .post(
                "/api/v1/mail/0190f3c2-0000-7000-8000-000000000000/resend",
                &json!({}),
            )
            .await;
        assert_eq!(unknown.status(), 404);
        let events = dsrflow_store::audit::for_request(t.app.store.db(), id)
            .await
            .unwrap();
        assert!(
            events.iter().any(|e| e.action == "mail.resend"),
            "the resend is audited"
        );
        if url.starts_with("sqlite:") {
            let out = cli(&["mail", "resend", mail_id]);
            assert_eq!(
                out.status.code(),
                Some(2),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(
                String::from_utf8_lossy(&out.stderr)
                    .contains("only a failed message can be resent; this one is sent"),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_address_the_relay_cannot_reach_is_refused_at_intake_and_an_international_domain_is_not()
{
    let t = crate::support::TestApp::start_with(
        crate::support::Backend::Sqlite,
        "2026-02-10T09:00:00Z",
        |_| String::new(),
        dsrflow_app::Settings {
            mail_utf8_local_parts: false,
            ..dsrflow_app::Settings::default()
        },
    )
    .await
    .unwrap();
    let resp = t
        .post(
            "/api/v1/requests",
            &json!({"kind": "access", "subject": {"email": "jürgen@example.de"}}),
        )
        .await;
    assert_eq!(resp.status(), 422);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(
        body["error"]["fields"][0]["field"], "subject.email",
        "{body}"
    );
    assert!(
        body["error"]["fields"][0]["message"]
            .as_str()
            .unwrap()
            .contains("cannot deliver"),
        "{body}"
    );
    let listed: Value = t.get("/api/v1/requests").await.json().await.unwrap();
    assert_eq!(listed["total"], 0, "nothing stored");

    let resp = t
        .post(
            "/api/v1/requests",
            &json!({"kind": "access", "subject": {"email": "alice@bücher.example"}}),
        )
        .await;
    assert_eq!(resp.status(), 201);
    t.drain().await;
    let sent = t.mail.sent();
    assert!(!sent.is_empty());
    assert!(
        sent.iter()
            .all(|s| s.envelope_to == vec!["alice@xn--bcher-kva.example".to_owned()]),
        "the domain goes out in its ASCII form: {:?}",
        sent.iter().map(|s| &s.envelope_to).collect::<Vec<_>>()
    );
    t.stop().await;
}
