//! Inbound mail: hand-written `.eml` fixtures in `tests/fixtures/inbound` go through the real
//! parser and classifier; a proptest and hand-made malformed inputs show neither panics.

use std::path::Path;

use chrono::{DateTime, Utc};
use dsrflow_domain::RequestKind::{
    Access, ConsentWithdrawal, Erasure, Objection, Portability, Rectification,
};
use dsrflow_domain::channel::Language;
use dsrflow_domain::{RequestKind, SubjectEmail, SubjectName};
use dsrflow_mail::inbound::{
    AUTO_REPLY_TEXT_WITH_KINDS, AddressSource, AttachmentInfo, BODY_UNREADABLE, BULK,
    Classification, Confidence, Inbound, InboundError, KindRule, NO_ADDRESS, NO_KIND, ON_BEHALF,
    REVIEW_REASONS, classify, parse,
};
use proptest::prelude::*;

use crate::support;

const DSR_ID: &str = "dsr-0195a3c4-7e1f-7a2b-9c3d-4e5f6a7b8c9d@privacy.example";

fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/inbound")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn load(name: &str) -> Inbound {
    parse(&fixture(name), None).unwrap()
}

/// The parts of a `Request` the tests look at.
#[derive(Debug)]
struct Req {
    kinds: Vec<RequestKind>,
    email: SubjectEmail,
    email_source: AddressSource,
    name: Option<SubjectName>,
    language: Language,
    confidence: Confidence,
    matched: Vec<KindRule>,
}

fn request(msg: &Inbound) -> Req {
    match classify(msg) {
        Classification::Request {
            kinds,
            email,
            email_source,
            name,
            language,
            confidence,
            matched,
        } => Req {
            kinds,
            email,
            email_source,
            name,
            language,
            confidence,
            matched,
        },
        other => panic!("expected a request, got {other:?}"),
    }
}

fn inline(raw: &str) -> Inbound {
    parse(raw.as_bytes(), None).unwrap()
}

/// A minimal valid message with extra headers and a body.
fn message(headers: &str, body: &str) -> Inbound {
    inline(&format!(
        "From: Alex Martin <alex@example.org>\r\nTo: privacy@privacy.example\r\nDate: Mon, 2 Mar 2026 10:00:00 +0000\r\n{headers}Content-Type: text/plain; charset=utf-8\r\n\r\n{body}"
    ))
}

// --- Fixtures: requests -------------------------------------------------------------------

#[test]
fn a_plain_english_erasure_mail_is_one_erasure_request_from_the_sender() {
    let msg = load("en_erasure_plain.eml");

    let req = request(&msg);

    assert_eq!(req.kinds, [Erasure]);
    assert_eq!(req.email.as_str(), "jane.doe@example.org");
    assert_eq!(req.email_source, AddressSource::From);
    assert_eq!(req.name.unwrap().as_str(), "Jane Doe");
    assert_eq!(req.language, Language::En);
    assert_eq!(req.confidence, Confidence::High);
    assert!(req.matched.iter().any(|r| r.pattern == "article 17"));
    assert_eq!(msg.message_id(), Some("CAF7d1a2b3c4@mail.example.org"));
    assert_eq!(msg.subject(), Some("Please delete my account"));
}

#[test]
fn the_signature_of_a_mail_adds_no_kind() {
    let msg = load("en_erasure_plain.eml");

    // The signature says "Unsubscribe"; the text still holds it, the rules do not read it.
    assert!(msg.text().contains("Unsubscribe from my jokes list"));
    assert!(!msg.new_text().contains("Unsubscribe"));
    assert!(!request(&msg).kinds.contains(&Objection));
}

#[test]
fn a_french_access_request_in_quoted_printable_latin1_is_decoded_and_classified() {
    let msg = load("fr_access_qp_latin1.eml");

    let req = request(&msg);

    assert_eq!(msg.subject(), Some("Demande d'accès à mes données"));
    assert_eq!(msg.from_name().unwrap().as_str(), "Renée Lefèvre");
    let text = msg.text();
    assert!(text.contains("mon droit d'accès"), "{text}");
    // A soft line break inside a word is joined.
    assert!(text.contains("communiquées."), "{text}");
    assert_eq!(req.kinds, [Access]);
    assert_eq!(req.language, Language::Fr);
    assert_eq!(req.email.as_str(), "renee.lefevre@exemple.fr");
}

#[test]
fn a_dutch_objection_in_base64_utf8_is_decoded_and_classified() {
    let msg = load("nl_objection_base64.eml");

    let req = request(&msg);

    assert!(msg.text().contains("Joëlle Van den Broeck"));
    assert_eq!(msg.from_name().unwrap().as_str(), "Joëlle Van den Broeck");
    assert_eq!(req.kinds, [Objection]);
    assert_eq!(req.language, Language::Nl);
    assert_eq!(req.confidence, Confidence::High);
}

#[test]
fn a_german_mail_asking_for_access_and_erasure_gives_two_kinds() {
    let msg = load("de_access_and_erasure.eml");

    let req = request(&msg);

    assert_eq!(req.kinds, [Access, Erasure]);
    assert_eq!(req.language, Language::De);
    assert_eq!(msg.subject(), Some("Auskunft und Löschung nach DSGVO"));
    assert!(msg.text().contains("die Löschung meiner Daten"));
    let patterns: Vec<&str> = req.matched.iter().map(|r| r.pattern).collect();
    assert!(patterns.contains(&"article 15"), "{patterns:?}");
    assert!(patterns.contains(&"Löschung"), "{patterns:?}");
    assert_eq!(req.name.unwrap().as_str(), "Jürgen Müller");
}

#[test]
fn an_html_only_mail_is_read_as_text_and_its_quoted_footer_is_ignored() {
    let msg = load("html_only_portability.eml");

    let text = msg.text();
    let req = request(&msg);

    assert!(text.contains("I\u{2019}d like to exercise"), "{text}");
    assert!(text.contains("(Article 20)"), "{text}");
    assert!(text.contains("Thanks & regards,\nAna"), "{text}");
    assert!(
        text.contains("> To stop receiving these emails, unsubscribe here."),
        "{text}"
    );
    assert!(!text.contains("<p>") && !text.contains("<div"), "{text}");
    assert!(
        !text.contains("ignored title") && !text.contains("margin"),
        "{text}"
    );
    assert_eq!(req.kinds, [Portability]);
    assert!(msg.attachments().is_empty());
}

#[test]
fn a_multipart_mail_lists_its_attachment_and_reads_the_plain_part() {
    let msg = load("multipart_alternative_with_id_card.eml");

    let req = request(&msg);

    assert_eq!(
        msg.attachments(),
        [AttachmentInfo {
            name: Some("id-card.pdf".into()),
            content_type: "application/pdf".into(),
            size: 142,
        }]
    );
    let text = msg.text();
    assert!(text.contains("Tom Peeters (plain text part)"), "{text}");
    assert!(!text.contains("HTML part"), "{text}");
    // "A copy of my ID card is attached" is not an access request.
    assert_eq!(req.kinds, [Rectification]);
}

#[test]
fn a_windows_1252_mail_keeps_its_euro_sign_and_curly_quotes() {
    let msg = load("windows1252_consent_withdrawal.eml");

    let text = msg.text();
    let req = request(&msg);

    for expected in [
        "l\u{2019}envoi",
        "« partenaires »",
        "9,99 €",
        "\u{201C}premium\u{201D}",
        "Élodie Martin",
    ] {
        assert!(text.contains(expected), "{expected:?} missing from {text}");
    }
    assert_eq!(
        msg.subject(),
        Some("Retrait de mon consentement \u{2013} offres partenaires")
    );
    assert_eq!(req.kinds, [ConsentWithdrawal]);
    assert_eq!(req.language, Language::Fr);
}

#[test]
fn an_address_given_in_the_text_wins_over_the_sender() {
    let msg = load("other_address_in_text.eml");

    let req = request(&msg);

    assert_eq!(req.email.as_str(), "jane.private@example.net");
    assert_eq!(req.email_source, AddressSource::Text);
    assert_eq!(msg.from().unwrap().as_str(), "jane.doe@work.example");
    assert_eq!(req.name.unwrap().as_str(), "Jane Doe");
    assert_eq!(req.kinds, [Access]);
}

#[test]
fn a_forwarded_newsletter_footer_adds_no_kind_to_an_erasure_request() {
    let msg = load("forwarded_newsletter.eml");

    let req = request(&msg);

    // The footer says "Unsubscribe", "Object to", "Update my address", "Withdraw your consent".
    assert!(msg.text().contains("Withdraw your consent"));
    assert_eq!(req.kinds, [Erasure]);
}

#[test]
fn a_mail_without_any_request_goes_to_the_review_queue() {
    let msg = load("no_kind.eml");

    assert_eq!(
        classify(&msg),
        Classification::Unclassified {
            reason: NO_KIND.to_owned()
        }
    );
}

// --- Fixtures: auto-replies and replies ----------------------------------------------------

#[test]
fn an_out_of_office_reply_never_creates_a_request_even_with_request_words() {
    let msg = load("out_of_office.eml");

    assert_eq!(
        classify(&msg),
        Classification::AutoReply {
            reason: "Auto-Submitted header"
        }
    );
}

#[test]
fn a_bounce_report_from_the_mailer_daemon_is_an_auto_reply() {
    let msg = load("bounce_delivery_status.eml");

    assert_eq!(
        classify(&msg),
        Classification::AutoReply {
            reason: "delivery status report"
        }
    );
    let types: Vec<String> = msg
        .attachments()
        .into_iter()
        .map(|a| a.content_type)
        .collect();
    assert!(
        types.contains(&"message/delivery-status".to_owned()),
        "{types:?}"
    );
}

#[test]
fn a_reply_to_a_dsrflow_message_id_attaches_to_its_request() {
    let msg = load("reply_in_reply_to.eml");

    assert_eq!(
        classify(&msg),
        Classification::Reply {
            reference: None,
            in_reply_to: vec![DSR_ID.to_owned()],
        }
    );
    assert_eq!(
        msg.in_reply_to(),
        [
            DSR_ID.to_owned(),
            "CAF7d1a2b3c4@mail.example.org".to_owned()
        ]
    );
}

#[test]
fn a_reply_with_only_the_reference_in_its_subject_attaches_to_its_request() {
    let msg = load("reply_subject_reference.eml");

    assert!(msg.in_reply_to().is_empty());
    assert_eq!(
        classify(&msg),
        Classification::Reply {
            reference: Some(support::REFERENCE.to_owned()),
            in_reply_to: vec![],
        }
    );
}

// --- Receipt time ------------------------------------------------------------------------

#[test]
fn received_at_is_the_imap_internaldate_when_given() {
    let internal = support::instant("2026-03-03T08:15:05Z");

    let msg = parse(&fixture("en_erasure_plain.eml"), Some(internal)).unwrap();

    assert_eq!(msg.received_at(), Some(internal));
}

#[test]
fn received_at_is_the_top_received_header_without_internaldate() {
    let msg = load("en_erasure_plain.eml");

    // Top: 09:15:02 +0100; the next hop says 08:14:58Z and Date says 08:14:31Z.
    assert_eq!(
        msg.received_at(),
        Some(support::instant("2026-03-03T08:15:02Z"))
    );
}

#[test]
fn received_at_is_the_date_header_without_received_headers() {
    let msg = load("no_kind.eml");

    assert_eq!(
        msg.received_at(),
        Some(support::instant("2026-03-19T16:45:00Z"))
    );
}

#[test]
fn received_at_is_unknown_without_any_date() {
    let msg = inline("From: a@example.org\r\n\r\nhello");

    assert_eq!(msg.received_at(), None::<DateTime<Utc>>);
}

// --- Inline messages: the rules one by one ------------------------------------------------

#[test]
fn each_automatic_signal_alone_makes_an_auto_reply() {
    let cases = [
        (
            "Auto-Submitted: auto-generated\r\n",
            "Auto-Submitted header",
        ),
        (
            "X-Autoreply: yes\r\n",
            "X-Autoreply or X-Autorespond header",
        ),
        (
            "X-Autorespond: on\r\n",
            "X-Autoreply or X-Autorespond header",
        ),
        ("Precedence: bulk\r\n", "Precedence header"),
        ("Precedence: junk\r\n", "Precedence header"),
        ("Return-Path: <>\r\n", "null return path"),
        (
            "Subject: Out of Office: back on Monday\r\n",
            "out-of-office or bounce subject",
        ),
        (
            "Subject: Réponse automatique : absent\r\n",
            "out-of-office or bounce subject",
        ),
        ("Subject: Afwezig\r\n", "out-of-office or bounce subject"),
        (
            "Subject: Automatisch antwoord: vakantie\r\n",
            "out-of-office or bounce subject",
        ),
        (
            "Subject: Abwesenheitsnotiz: Urlaub\r\n",
            "out-of-office or bounce subject",
        ),
        (
            "Subject: Automatische Antwort: Urlaub\r\n",
            "out-of-office or bounce subject",
        ),
    ];
    for (headers, reason) in cases {
        let msg = message(headers, "Please delete my data.");

        assert_eq!(
            classify(&msg),
            Classification::AutoReply { reason },
            "{headers}"
        );
    }
}

#[test]
fn a_postmaster_sender_is_an_auto_reply() {
    let msg =
        inline("From: postmaster@mx.example.org\r\nSubject: hi\r\n\r\nPlease delete my data.");

    assert_eq!(
        classify(&msg),
        Classification::AutoReply {
            reason: "mailer-daemon or postmaster sender"
        }
    );
}

#[test]
fn auto_submitted_no_and_precedence_list_are_ordinary_mail() {
    let msg = message(
        "Auto-Submitted: no\r\nPrecedence: list\r\n",
        "Please delete my data.",
    );

    assert_eq!(request(&msg).kinds, [Erasure]);
}

#[test]
fn a_reply_to_someone_elses_message_is_a_new_request() {
    let msg = message(
        "In-Reply-To: <CAF123@mail.example.org>\r\nSubject: Re: your newsletter\r\n",
        "Please unsubscribe me.",
    );

    assert_eq!(request(&msg).kinds, [Objection]);
}

#[test]
fn a_request_without_any_valid_address_goes_to_the_review_queue() {
    let msg =
        inline("From: undisclosed-recipients:;\r\nSubject: Delete\r\n\r\nPlease delete my data.");

    assert_eq!(
        classify(&msg),
        Classification::Unclassified {
            reason: NO_ADDRESS.to_owned()
        }
    );
}

#[test]
fn kinds_only_in_quoted_text_do_not_make_a_request() {
    let msg = message(
        "Subject: Re: hello\r\n",
        "Thanks, see you soon.\r\n\r\n> Please delete my data and unsubscribe me.\r\n",
    );

    assert_eq!(
        classify(&msg),
        Classification::Unclassified {
            reason: NO_KIND.to_owned()
        }
    );
}

#[test]
fn a_negated_right_is_not_requested() {
    let msg = message(
        "Subject: Newsletter\r\n",
        "I do not want my account deleted. I only want to unsubscribe from the newsletter.",
    );

    assert_eq!(request(&msg).kinds, [Objection]);
}

#[test]
fn every_right_is_found_in_one_english_mail_in_a_stable_order() {
    let msg = message(
        "Subject: All my rights\r\n",
        "I withdraw my consent. Restrict the processing of my data. Send my data in a machine-readable format. Correct my name. Stop sending me offers. Delete my data. What personal data do you hold?",
    );

    assert_eq!(request(&msg).kinds, RequestKind::ALL);
}

#[test]
fn a_single_generic_word_gives_low_confidence() {
    let msg = message("Subject: Frage\r\n", "Ich bitte um Auskunft.");

    let req = request(&msg);

    assert_eq!(req.kinds, [Access]);
    assert_eq!(req.confidence, Confidence::Low);
    assert_eq!(req.language, Language::De);
}

#[test]
fn a_kind_in_the_subject_alone_is_enough() {
    let msg = message(
        "Subject: Recht op inzage (artikel 15 AVG)\r\n",
        "Zie bijlage.",
    );

    assert_eq!(request(&msg).kinds, [Access]);
}

#[test]
fn a_how_to_question_names_no_right() {
    let msg = message(
        "Subject: Newsletter\r\n",
        "Hello, how do I unsubscribe from your newsletter? There is no link.",
    );

    assert_eq!(
        classify(&msg),
        Classification::Unclassified {
            reason: NO_KIND.to_owned()
        }
    );
}

#[test]
fn the_subject_of_a_reply_names_no_right() {
    let msg = message(
        "Subject: Re: your request to delete your data\r\n",
        "Thanks, all sorted!",
    );

    assert_eq!(
        classify(&msg),
        Classification::Unclassified {
            reason: NO_KIND.to_owned()
        }
    );
}

#[test]
fn a_mailing_list_message_never_becomes_a_request() {
    let msg = message(
        "Subject: Your rights\r\nList-Unsubscribe: <mailto:u@list.example>\r\n",
        "You can delete your account or get a copy of your data at any time.",
    );

    assert_eq!(
        classify(&msg),
        Classification::Unclassified {
            reason: BULK.to_owned()
        }
    );
}

#[test]
fn out_of_office_text_without_headers_is_an_auto_reply_unless_it_names_a_right() {
    let ooo = message(
        "Subject: Re: privacy notice\r\n",
        "Thank you for your message. I am currently out of the office until 20 March.",
    );
    let with_right = message(
        "Subject: Before I leave\r\n",
        "I am out of the office from Monday, so please delete my account today.",
    );

    assert!(matches!(classify(&ooo), Classification::AutoReply { .. }));
    assert_eq!(
        classify(&with_right),
        Classification::Unclassified {
            reason: AUTO_REPLY_TEXT_WITH_KINDS.to_owned()
        }
    );
}

#[test]
fn rights_asked_for_a_child_go_to_review() {
    let msg = message(
        "Subject: account\r\n",
        "My daughter (13) opened an account. Please delete her account and data.",
    );

    assert_eq!(
        classify(&msg),
        Classification::Unclassified {
            reason: ON_BEHALF.to_owned()
        }
    );
}

// --- Malformed input ---------------------------------------------------------------------

#[test]
fn input_without_headers_is_refused() {
    assert_eq!(parse(b"", None).unwrap_err(), InboundError::Empty);
    let err = parse(
        b"jane@example.org: no, this is just a sentence without a header block\n",
        None,
    );
    // Whatever mail-parser makes of it, an error never repeats the content.
    if let Err(e) = err {
        assert!(!e.to_string().contains("jane"));
    }
    assert!(matches!(
        parse(b"\x00\x01\x02 not a mail", None),
        Err(InboundError::NoHeaders { .. })
    ));
}

#[test]
fn a_message_with_only_headers_parses_to_empty_text() {
    let msg = inline("From: Alex <alex@example.org>\r\nSubject: nothing\r\n");

    assert_eq!(msg.text(), "");
    assert_eq!(msg.subject(), Some("nothing"));
    assert_eq!(
        classify(&msg),
        Classification::Unclassified {
            reason: NO_KIND.to_owned()
        }
    );
}

#[test]
fn broken_mime_boundaries_still_parse() {
    let raw = "From: alex@example.org\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\nPlease delete my data.\r\n--b2\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n%%%not base64%%%\r\n";

    let msg = inline(raw);

    assert!(msg.text().contains("Please delete my data."), "{msg:?}");
    assert_eq!(request(&msg).kinds, [Erasure]);
}

#[test]
fn a_boundary_that_never_appears_does_not_panic() {
    let msg = inline(
        "From: alex@example.org\r\nContent-Type: multipart/alternative; boundary=nowhere\r\n\r\nDelete my data.\r\n",
    );

    let _ = classify(&msg);
    assert_eq!(msg.from().unwrap().as_str(), "alex@example.org");
}

#[test]
fn a_nested_message_in_a_broken_multipart_is_contained() {
    // Found by the proptest below: this trips a debug assertion inside mail-parser 0.11.9. In a
    // debug build the panic is contained and only the headers are read; a release build parses
    // the body (the assertion is compiled out).
    let raw = "From: Alex <alex@example.org>\r\nSubject: delete my data\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: message/rfc822\r\n\r\nContent-Type: message/rfc822\r\n\r\nContent-Type: text/html; charset=windows-1252\r\n\r\n--b--\r\n";

    let msg = parse(raw.as_bytes(), None).unwrap();

    assert_eq!(msg.from().unwrap().as_str(), "alex@example.org");
    assert_eq!(msg.subject(), Some("delete my data"));
    if msg.body_unreadable() {
        assert_eq!(msg.text(), "");
        assert_eq!(
            classify(&msg),
            Classification::Unclassified {
                reason: BODY_UNREADABLE.to_owned()
            }
        );
    } else {
        assert_eq!(request(&msg).kinds, [Erasure]);
    }
}

/// Deterministic pseudo-random bytes (xorshift), so a failure reproduces.
fn garbage(len: usize, mut seed: u64) -> Vec<u8> {
    (0..len)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed.to_le_bytes()[0]
        })
        .collect()
}

#[test]
fn a_megabyte_of_garbage_neither_panics_nor_hangs() {
    let raw = garbage(1 << 20, 0x9E37_79B9_7F4A_7C15);
    if let Ok(msg) = parse(&raw, None) {
        let _ = classify(&msg);
    }

    let mut glued =
        b"From: alex@example.org\r\nSubject: x\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
            .to_vec();
    glued.extend(garbage(1 << 20, 42));
    let msg = parse(&glued, None).unwrap();
    assert_eq!(msg.raw_size(), glued.len());
    let _ = classify(&msg);
}

#[test]
fn a_megabyte_of_text_is_classified_from_its_beginning() {
    let body = format!(
        "Please delete my data.\n{}",
        "lorem ipsum dolor sit amet\n".repeat(40_000)
    );
    let msg = message("Subject: big\r\n", &body);

    assert!(msg.text().len() > 1_000_000);
    assert_eq!(request(&msg).kinds, [Erasure]);
}

// --- Property: never panics ----------------------------------------------------------------

fn check_total(raw: &[u8]) -> Result<(), TestCaseError> {
    match parse(raw, None) {
        Ok(msg) => {
            prop_assert_eq!(msg.raw_size(), raw.len());
            prop_assert!(!msg.dedup_key().is_empty());
            match classify(&msg) {
                Classification::Unclassified { reason } => {
                    prop_assert!(REVIEW_REASONS.contains(&reason.as_str()), "{}", reason);
                }
                Classification::Request { kinds, .. } => {
                    prop_assert!(!kinds.is_empty());
                    prop_assert!(kinds.windows(2).all(|w| w[0] < w[1]));
                }
                Classification::AutoReply { reason } => prop_assert!(!reason.is_empty()),
                Classification::Reply {
                    reference,
                    in_reply_to,
                } => prop_assert!(reference.is_some() || !in_reply_to.is_empty()),
            }
        }
        Err(InboundError::Empty) => prop_assert!(raw.iter().all(u8::is_ascii_whitespace)),
        Err(InboundError::NoHeaders { size } | InboundError::Unparseable { size }) => {
            prop_assert_eq!(size, raw.len());
        }
    }
    Ok(())
}

const HEADER_BLOCK: &str = "From: =?utf-8?q?Zo=C3=AB?= <zoe@example.org>\r\nTo: privacy@privacy.example\r\nSubject: =?iso-8859-1?q?Demande_d'acc=E8s?=\r\nDate: Tue, 3 Mar 2026 09:00:00 +0100\r\nMIME-Version: 1.0\r\n";

fn mime_fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("Content-Type: multipart/mixed; boundary=b\r\n\r\n".to_owned()),
        Just("Content-Type: multipart/alternative; boundary=b\r\n\r\n".to_owned()),
        Just(
            "Content-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n"
                .to_owned()
        ),
        Just("--b\r\n".to_owned()),
        Just("--b--\r\n".to_owned()),
        Just("Content-Type: text/html; charset=windows-1252\r\n\r\n".to_owned()),
        Just("Content-Type: text/plain; charset=x-unknown\r\n\r\n".to_owned()),
        Just("Content-Transfer-Encoding: base64\r\n".to_owned()),
        Just("Content-Transfer-Encoding: quoted-printable\r\n".to_owned()),
        Just("Content-Type: message/rfc822\r\n\r\n".to_owned()),
        Just("<blockquote><p>&#x1F600;&eacute;<br>".to_owned()),
        Just("On Mon, 2 Mar 2026, x wrote:\r\n> quoted\r\n".to_owned()),
        Just("my email is a@b.example, delete my data\r\n".to_owned()),
        Just("=C3=A9=\r\n".to_owned()),
        "[ -~]{0,40}\r\n",
        any::<String>(),
    ]
}

proptest! {
    // 512 cases, more with PROPTEST_CASES. No regression file: a failing case becomes a
    // hand-made test above instead.
    #![proptest_config(ProptestConfig {
        cases: ProptestConfig::default().cases.max(512),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn parse_and_classify_are_total_on_arbitrary_bytes(
        raw in proptest::collection::vec(any::<u8>(), 0..4096)
    ) {
        check_total(&raw)?;
    }

    #[test]
    fn parse_and_classify_are_total_on_arbitrary_bytes_after_valid_headers(
        tail in proptest::collection::vec(any::<u8>(), 0..4096)
    ) {
        let mut raw = HEADER_BLOCK.as_bytes().to_vec();
        raw.extend(tail);
        prop_assert!(parse(&raw, None).is_ok());
        check_total(&raw)?;
    }

    #[test]
    fn parse_and_classify_are_total_on_mime_shaped_noise(
        fragments in proptest::collection::vec(mime_fragment(), 0..40)
    ) {
        let raw = format!("{HEADER_BLOCK}{}", fragments.concat());
        prop_assert!(parse(raw.as_bytes(), None).is_ok());
        check_total(raw.as_bytes())?;
    }
}
