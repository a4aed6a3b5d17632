//! The privacy@ intake: messages become requests (one per right, sharing the receipt time),
//! replies attach to their request, auto-replies are ignored, the rest waits for review; each
//! message is processed once.

use dsrflow_app::inbox::{Ingested, ingest};
use serde_json::{Value, json};

use crate::on_both;

const DE_TWO_RIGHTS: &[u8] =
    include_bytes!("../../../mail/tests/fixtures/inbound/de_access_and_erasure.eml");
const OUT_OF_OFFICE: &[u8] =
    include_bytes!("../../../mail/tests/fixtures/inbound/out_of_office.eml");
const BOUNCE: &[u8] =
    include_bytes!("../../../mail/tests/fixtures/inbound/bounce_delivery_status.eml");
const NO_KIND: &[u8] = include_bytes!("../../../mail/tests/fixtures/inbound/no_kind.eml");
const FR_ACCESS: &[u8] =
    include_bytes!("../../../mail/tests/fixtures/inbound/fr_access_qp_latin1.eml");

on_both!(
    one_mail_asking_two_rights_becomes_two_requests_received_together,
    "2026-03-20T09:00:00Z",
    |t| {
        let out = ingest(&t.app, DE_TWO_RIGHTS, None, None).await.unwrap();
        let Ingested::Created { requests } = out else {
            panic!("expected requests, got {out:?}");
        };
        let kinds: Vec<String> = requests.iter().map(|r| r.kind.to_string()).collect();
        assert_eq!(kinds, vec!["access", "erasure"]);
        let a = t.request(&requests[0].id.to_string()).await;
        let b = t.request(&requests[1].id.to_string()).await;
        assert_eq!(a["received_at"], b["received_at"], "one receipt time");
        assert_ne!(
            a["received_at"], "2026-03-20T09:00:00Z",
            "the mail's time, not ours"
        );
        assert_eq!(a["channel"], "email");
        assert_eq!(a["status"], "awaiting_verification");
        assert_eq!(a["created_by"], "mail");
        // Processed once.
        let again = ingest(&t.app, DE_TWO_RIGHTS, None, None).await.unwrap();
        assert_eq!(
            again,
            Ingested::Ignored {
                reason: "already processed".to_owned()
            }
        );
        assert_eq!(t.count_requests().await, 2);
        // Each got its acknowledgement.
        t.drain().await;
        assert_eq!(
            t.mail.len(),
            3,
            "two acknowledgements, one confirmation link"
        );
        // All three thread under Marie's mail.
        for sent in t.mail.sent() {
            assert_eq!(
                sent.outgoing.in_reply_to.as_deref(),
                Some("<5f3e2d1c@beispiel.de>"),
                "{}",
                sent.outgoing.subject
            );
            assert!(
                sent.outgoing
                    .references
                    .contains(&"<5f3e2d1c@beispiel.de>".to_owned())
            );
        }
    }
);

on_both!(
    auto_replies_and_bounces_never_become_requests,
    "2026-03-20T09:00:00Z",
    |t| {
        for raw in [OUT_OF_OFFICE, BOUNCE] {
            let out = ingest(&t.app, raw, None, None).await.unwrap();
            assert!(matches!(out, Ingested::Ignored { .. }), "{out:?}");
        }
        assert_eq!(t.count_requests().await, 0);
        t.drain().await;
        assert!(t.mail.is_empty(), "no acknowledgement to a robot");
    }
);

on_both!(
    an_unclassifiable_mail_waits_for_the_officer_with_the_original_kept,
    "2026-03-20T09:00:00Z",
    |t| {
        let out = ingest(&t.app, NO_KIND, None, None).await.unwrap();
        let Ingested::Review { review_item_id, .. } = out else {
            panic!("expected review, got {out:?}");
        };
        let queue: Value = t.get("/api/v1/inbox/review").await.json().await.unwrap();
        assert_eq!(queue["items"].as_array().unwrap().len(), 1);
        assert!(queue["items"][0]["from"].as_str().unwrap().contains("***"));
        assert!(
            queue["items"][0].get("text").is_none(),
            "the list does not show content"
        );
        let item: Value = t
            .get(&format!("/api/v1/inbox/review/{review_item_id}"))
            .await
            .json()
            .await
            .unwrap();
        assert!(
            item["text"]
                .as_str()
                .unwrap()
                .to_lowercase()
                .contains("opening hours"),
            "{item}"
        );
        // The officer reads it as an access request after all.
        let bad = t
            .post(
                &format!("/api/v1/inbox/review/{review_item_id}/requests"),
                &json!({"kinds": ["lookup"], "email": "nope"}),
            )
            .await;
        assert_eq!(bad.status(), 422);
        let made: Value = t
            .post(
                &format!("/api/v1/inbox/review/{review_item_id}/requests"),
                &json!({"kinds": ["access"], "email": "visitor@example.net", "name": "A Visitor"}),
            )
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(made["requests"][0]["kind"], "access");
        let queue: Value = t.get("/api/v1/inbox/review").await.json().await.unwrap();
        assert!(queue["items"].as_array().unwrap().is_empty());
        // The kept original is dropped once the officer has dealt with it.
        let row = dsrflow_store::inbox::find(t.app.store.db(), review_item_id)
            .await
            .unwrap()
            .unwrap();
        assert!(row.raw.is_none());
        let twice = t
            .post(
                &format!("/api/v1/inbox/review/{review_item_id}/dismiss"),
                &json!({}),
            )
            .await;
        assert_eq!(twice.status(), 404);
    }
);

on_both!(
    a_reply_to_a_dsrflow_mail_attaches_to_its_request,
    "2026-03-20T09:00:00Z",
    |t| {
        let created = t
            .create(json!({"kind": "access", "subject": {"email": "marie@example.be"}}))
            .await;
        t.drain().await;
        let ack = t.mail.sent().remove(0).outgoing;
        let reply = format!(
            "From: Marie <marie@example.be>\r\nTo: privacy@hostodoo.example\r\nSubject: Re: {}\r\nMessage-ID: <reply-1@example.be>\r\nIn-Reply-To: {}\r\nDate: Fri, 20 Mar 2026 08:30:00 +0100\r\n\r\nHere is the information you asked for.\r\n",
            ack.subject, ack.message_id
        );
        let out = ingest(&t.app, reply.as_bytes(), None, None).await.unwrap();
        assert_eq!(
            out,
            Ingested::Attached {
                request_id: created["id"].as_str().unwrap().parse().unwrap()
            }
        );
        // Only the reference in the subject (the mail client dropped the headers).
        let reference = created["reference"].as_str().unwrap();
        let bare = format!(
            "From: marie@example.be\r\nTo: privacy@hostodoo.example\r\nSubject: About [{reference}]\r\nMessage-ID: <reply-2@example.be>\r\nDate: Fri, 20 Mar 2026 08:31:00 +0100\r\n\r\nAny news?\r\n"
        );
        let out = ingest(&t.app, bare.as_bytes(), None, None).await.unwrap();
        assert!(matches!(out, Ingested::Attached { .. }), "{out:?}");
        assert_eq!(t.count_requests().await, 1);
        let id: uuid::Uuid = created["id"].as_str().unwrap().parse().unwrap();
        let audit = dsrflow_store::audit::for_request(t.app.store.db(), id)
            .await
            .unwrap();
        assert_eq!(
            audit
                .iter()
                .filter(|e| e.action == "inbox.reply_attached")
                .count(),
            2
        );
    }
);

on_both!(
    the_imap_internaldate_is_the_receipt_time_and_the_uid_is_processed_once,
    "2026-03-20T09:00:00Z",
    |t| {
        let internal = crate::support::t("2026-03-01T23:30:00Z");
        let source = Some("imap:INBOX:1:42".to_owned());
        let out = ingest(&t.app, FR_ACCESS, Some(internal), source.clone())
            .await
            .unwrap();
        let Ingested::Created { requests } = out else {
            panic!("{out:?}")
        };
        let r = t.request(&requests[0].id.to_string()).await;
        assert_eq!(r["received_at"], "2026-03-01T23:30:00Z");
        // Already 2 March in Brussels.
        assert_eq!(r["receipt_day"], "2026-03-02");
        assert_eq!(r["language"], "fr");
        let again = ingest(
            &t.app,
            b"From: x@y.example\r\nSubject: other\r\n\r\nbody",
            None,
            source,
        )
        .await
        .unwrap();
        assert!(
            matches!(again, Ingested::Ignored { .. }),
            "same UID: {again:?}"
        );
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_daily_digest_counts_the_mail_waiting_for_review() {
    let t = crate::support::TestApp::start_with(
        crate::support::Backend::Sqlite,
        "2026-03-20T09:00:00Z",
        |_| String::new(),
        dsrflow_app::Settings {
            officer_address: Some("dpo@hostodoo.example".to_owned()),
            ..dsrflow_app::Settings::default()
        },
    )
    .await
    .unwrap();
    ingest(&t.app, NO_KIND, None, None).await.unwrap();
    let now = t.clock_now();
    dsrflow_app::reminders::sweep(
        &t.app,
        &dsrflow_domain::reminder::ReminderPolicy::default(),
        now,
        false,
    )
    .await
    .unwrap();
    t.drain().await;
    let digest = t
        .mail
        .sent()
        .into_iter()
        .map(|s| s.outgoing)
        .find(|m| m.to == "dpo@hostodoo.example")
        .expect("a digest");
    assert!(
        digest.text.contains("Mail waiting in the review queue: 1"),
        "{}",
        digest.text
    );
    assert!(
        digest.text.contains("/api/v1/inbox/review"),
        "{}",
        digest.text
    );
    t.stop().await;
}

/// `examples/mail/` (used by the README's walkthrough) does what its README says.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sample_mails_in_examples_become_what_their_readme_says() {
    let t = crate::support::TestApp::start(crate::support::Backend::Sqlite, "2026-12-07T09:00:00Z")
        .await
        .unwrap();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/mail");
    let readme = std::fs::read_to_string(dir.join("README.md")).unwrap();
    for (file, kind, language) in [
        ("erasure-en.eml", "erasure", "en"),
        ("access-fr.eml", "access", "fr"),
    ] {
        assert!(
            readme.contains(&format!("`{file}` | creates an {kind} request")),
            "{readme}"
        );
        let raw = std::fs::read(dir.join(file)).unwrap();
        let out = ingest(&t.app, &raw, None, None).await.unwrap();
        let Ingested::Created { requests } = out else {
            panic!("{file}: expected a request, got {out:?}");
        };
        assert_eq!(requests.len(), 1, "{file}");
        assert_eq!(requests[0].kind.to_string(), kind, "{file}");
        let r = t.request(&requests[0].id.to_string()).await;
        assert_eq!(r["language"], language, "{file}");
        let again = ingest(&t.app, &raw, None, None).await.unwrap();
        assert!(
            matches!(again, Ingested::Ignored { .. }),
            "{file}: {again:?}"
        );
    }
    let raw = std::fs::read(dir.join("out-of-office.eml")).unwrap();
    let out = ingest(&t.app, &raw, None, None).await.unwrap();
    assert!(matches!(out, Ingested::Ignored { .. }), "{out:?}");
    assert!(readme.contains("`out-of-office.eml` | ignores it"));
    assert_eq!(t.count_requests().await, 2);
    t.stop().await;
}
