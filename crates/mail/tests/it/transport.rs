//! The file and memory transports, and what the mailer refuses before any transport is involved.

use dsrflow_domain::channel::Language;
use dsrflow_mail::{
    Email, MailError, Mailer, Outgoing, Rendered, Templates, Transport, TransportKind, message_id,
    parse_mailbox,
};
use mail_parser::{MessageParser, MimeHeaders};
use uuid::Uuid;

use crate::support::{self, REFERENCE, STATUS_URL};

pub fn rendered() -> Rendered {
    let t = Templates::embedded().unwrap();
    support::acknowledgement(support::name("Zoë <b>Dupont</b>"))
        .render(&t, Language::Fr)
        .unwrap()
}

pub fn outgoing(to: &str) -> Outgoing {
    Outgoing::new(to, message_id("example.com", Uuid::nil()), rendered())
        .with_to_name("Zoë Dupont")
        .automatic(REFERENCE)
        .in_reply_to("<CAF=abc123@mail.example.org>")
        .with_date(support::instant("2026-03-03T09:30:00Z"))
}

pub fn mailer(transport: Transport) -> Mailer {
    Mailer::new(
        transport,
        parse_mailbox("Example Hosting privacy team <privacy@example.com>").unwrap(),
    )
    .with_reply_to(parse_mailbox("privacy+replies@example.com").unwrap())
}

/// Checks a formatted message as a mail client would read it.
pub fn assert_delivered(raw: &[u8], to: &str) {
    let msg = MessageParser::default().parse(raw).unwrap();
    let from = msg.from().unwrap().first().unwrap();
    assert_eq!(from.address(), Some("privacy@example.com"));
    assert_eq!(from.name(), Some("Example Hosting privacy team"));
    assert_eq!(msg.to().unwrap().first().unwrap().address(), Some(to));
    assert_eq!(
        msg.to().unwrap().first().unwrap().name(),
        Some("Zoë Dupont")
    );
    assert_eq!(
        msg.reply_to().unwrap().first().unwrap().address(),
        Some("privacy+replies@example.com")
    );
    let subject = msg.subject().unwrap();
    assert!(subject.starts_with(&format!("[{REFERENCE}] ")), "{subject}");
    assert_eq!(subject, rendered().subject);
    assert_eq!(
        msg.message_id(),
        Some("dsr-00000000-0000-0000-0000-000000000000@example.com")
    );
    assert_eq!(
        msg.in_reply_to().as_text(),
        Some("CAF=abc123@mail.example.org")
    );
    assert_eq!(
        msg.header("Auto-Submitted").and_then(|h| h.as_text()),
        Some("auto-generated")
    );
    assert_eq!(
        msg.header("X-DSRflow-Reference").and_then(|h| h.as_text()),
        Some(REFERENCE)
    );
    assert_eq!(
        msg.header("Content-Language").and_then(|h| h.as_text()),
        Some("fr")
    );
    assert_eq!(
        msg.date().map(|d| d.to_rfc3339()),
        Some("2026-03-03T09:30:00Z".to_owned())
    );

    // multipart/alternative: the text part first, then the HTML part.
    let content_type = msg.root_part().content_type().unwrap();
    assert_eq!(content_type.ctype(), "multipart");
    assert_eq!(content_type.subtype(), Some("alternative"));
    assert_eq!(msg.text_body_count(), 1);
    assert_eq!(msg.html_body_count(), 1);
    let text = msg.body_text(0).unwrap();
    let html = msg.body_html(0).unwrap();
    assert!(text.contains("Zoë <b>Dupont</b>"), "{text}");
    assert!(text.contains(STATUS_URL), "{text}");
    assert!(
        html.contains("Zoë &lt;b&gt;Dupont&lt;&#x2f;b&gt;"),
        "{html}"
    );
    let html_url = STATUS_URL.replace('&', "&amp;");
    assert!(html.contains(&format!("href=\"{html_url}\"")), "{html}");
    assert!(html.contains("Nous avons bien reçu"), "{html}");
}

#[tokio::test]
async fn the_file_transport_writes_a_parseable_eml_with_both_parts_and_the_headers() {
    let dir = tempfile::tempdir().unwrap();
    let outbox = dir.path().join("outbox/not-yet-created");
    let m = mailer(Transport::File(outbox.clone()));

    let info = m.send(&outgoing("zoe@example.org")).await.unwrap();

    assert_eq!(info.transport, TransportKind::File);
    assert_eq!(
        info.message_id,
        "<dsr-00000000-0000-0000-0000-000000000000@example.com>"
    );
    let files: Vec<_> = std::fs::read_dir(&outbox)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    assert_eq!(
        files[0].file_name().unwrap(),
        "dsr-00000000-0000-0000-0000-000000000000_example.com.eml"
    );
    assert_eq!(info.detail, files[0].display().to_string());
    assert_delivered(&std::fs::read(&files[0]).unwrap(), "zoe@example.org");
}

#[tokio::test]
async fn sending_the_same_message_twice_to_files_leaves_one_copy() {
    let dir = tempfile::tempdir().unwrap();
    let m = mailer(Transport::File(dir.path().to_owned()));
    let msg = outgoing("zoe@example.org");
    m.send(&msg).await.unwrap();
    m.send(&msg).await.unwrap();
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[tokio::test]
async fn the_memory_transport_records_what_was_sent() {
    let (transport, outbox) = Transport::memory();
    let m = mailer(transport);
    assert!(outbox.is_empty());

    let info = m.send(&outgoing("zoe@example.org")).await.unwrap();

    assert_eq!(info.transport, TransportKind::Memory);
    let sent = outbox.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].outgoing, outgoing("zoe@example.org"));
    assert_eq!(
        sent[0].envelope_from.as_deref(),
        Some("privacy@example.com")
    );
    assert_eq!(sent[0].envelope_to, vec!["zoe@example.org".to_owned()]);
    assert_delivered(&sent[0].raw, "zoe@example.org");
    assert!(
        !format!("{:?}", sent[0]).contains("zoe@"),
        "Debug shows the address"
    );
    assert_eq!(outbox.take().len(), 1);
    assert!(outbox.is_empty());
}

#[tokio::test]
async fn a_message_without_html_is_plain_text() {
    let (transport, outbox) = Transport::memory();
    let mut msg = outgoing("zoe@example.org");
    msg.html = None;
    mailer(transport).send(&msg).await.unwrap();
    let raw = outbox.take().remove(0).raw;
    let parsed = MessageParser::default().parse(&raw).unwrap();
    let content_type = parsed.root_part().content_type().unwrap();
    assert_eq!(
        (content_type.ctype(), content_type.subtype()),
        ("text", Some("plain"))
    );
    assert!(
        parsed
            .body_text(0)
            .unwrap()
            .contains("Nous avons bien reçu")
    );
}

#[tokio::test]
async fn an_invalid_recipient_is_a_permanent_error_that_does_not_repeat_the_address() {
    let (transport, outbox) = Transport::memory();
    let m = mailer(transport);
    for bad in [
        "not an address",
        "alice@@example.com",
        "alice@exa mple.com",
        "",
        "<alice@example.com>\r\nBcc: x@y.z",
    ] {
        let err = m.send(&outgoing(bad)).await.unwrap_err();
        assert!(
            matches!(err, MailError::Permanent { code: None, .. }),
            "{bad:?}: {err}"
        );
        assert!(!err.to_string().contains("alice@"), "{err}");
    }
    assert!(outbox.is_empty());
}

#[test]
fn message_ids_embed_the_uuid_and_the_domain() {
    let id = Uuid::parse_str("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b").unwrap();
    assert_eq!(
        message_id("mail.example.com", id),
        "<dsr-0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b@mail.example.com>"
    );
}

#[test]
fn templates_and_mailers_can_be_shared_between_tasks() {
    fn shareable<T: Send + Sync + 'static>() {}
    shareable::<Templates>();
    shareable::<Mailer>();
    shareable::<Outgoing>();
}
