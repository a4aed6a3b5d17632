//! What to do with an inbound message: drop an auto-reply, attach a reply to its request,
//! create requests, or hand it to the officer. The rules are described in the
//! [module docs](super).

use dsrflow_domain::channel::Language;
use dsrflow_domain::{RequestKind, SubjectEmail, SubjectName};
use uuid::Uuid;

use super::cues::{
    ADDRESS_CUES, COMPILED_AUTO_REPLY_TEXT, COMPILED_COMMERCIAL, COMPILED_ON_BEHALF,
    COMPILED_OPENERS, is_auto_reply_subject, is_reply_subject,
};
use super::language::detect_language;
use super::message::Inbound;
use super::pattern::Pattern;
use super::rules::{COMPILED_KIND_RULES, COMPILED_VETOES, KindRule};
use super::text::{
    MAX_SCAN_BYTES, Token, address_in_text, fold, tokens, truncate_at_char, with_article_lists,
};

/// The longest new text (in bytes) that an out-of-office phrase alone makes an automatic reply;
/// a longer mail without a right goes to review.
const MAX_AUTO_REPLY_TEXT_BYTES: usize = 1500;

/// Where a request's address came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressSource {
    /// The `From` header.
    From,
    /// The text, where the writer gave it as their own ("my email is …"). The sender has not
    /// proven it: identity verification must go to this address.
    Text,
}

/// How sure the classifier is of the kinds it found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confidence {
    /// Every kind rests on at least one strong rule (a phrase, an article number, an
    /// unambiguous term).
    High,
    /// Some kind rests only on a weak rule (one generic word such as "Auskunft" or
    /// "opposition"); worth a look by the officer.
    Low,
}

/// The outcome of [`classify`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Classification {
    /// Sent automatically (out-of-office, bounce, delivery or read report): never a request.
    AutoReply {
        /// Which signal gave it away, e.g. `"Auto-Submitted header"`.
        reason: &'static str,
    },
    /// A reply to a mail dsrflow sent: it belongs to an existing request.
    Reply {
        /// The request reference found in the subject, e.g. `DSR-7K3QXPMA`.
        reference: Option<String>,
        /// The dsrflow message ids found in `In-Reply-To`/`References`, without angle brackets.
        in_reply_to: Vec<String>,
    },
    /// A new request for one or more rights, all received at the message's receipt time.
    Request {
        /// The rights asked for, in [`RequestKind::ALL`] order, each once.
        kinds: Vec<RequestKind>,
        /// The requester's address.
        email: SubjectEmail,
        /// Where [`Classification::Request::email`] came from.
        email_source: AddressSource,
        /// The requester's name, from the `From` display name.
        name: Option<SubjectName>,
        /// The language to answer in.
        language: Language,
        /// How sure the kinds are.
        confidence: Confidence,
        /// The rules that matched, for the audit trail and the officer.
        matched: Vec<KindRule>,
    },
    /// Neither of the above: the officer's review queue, with the original kept by the caller.
    Unclassified {
        /// Why, without personal data.
        reason: String,
    },
}

/// Why a message was not classified as a request: no kind matched.
pub const NO_KIND: &str = "no request kind recognised";
/// Why a message was not classified as a request: no usable address.
pub const NO_ADDRESS: &str = "no valid sender address, in From or in the text";
/// Why a message was not classified as a request: its body could not be parsed (see
/// [`Inbound::body_unreadable`]).
pub const BODY_UNREADABLE: &str = "the message body could not be parsed";
/// Why a message naming rights was not made a request: it is written for someone else, whose
/// authority to ask a person must check.
pub const ON_BEHALF: &str = "written on someone else's behalf: check the writer's authority";
/// Why a message naming rights was not made a request: it reads like a commercial message
/// (a sales pitch about data-protection services, a newsletter or spam footer), not a person
/// exercising a right.
pub const COMMERCIAL: &str = "reads like a commercial or bulk message, not a request";
/// Why a message naming rights was not made a request: it came through a mailing list or bulk
/// sender (`List-Id` or `List-Unsubscribe`).
pub const BULK: &str = "a mailing-list or bulk message (List-Id or List-Unsubscribe header)";
/// Why a message naming rights was not made a request: its text reads like an out-of-office
/// reply.
pub const AUTO_REPLY_TEXT_WITH_KINDS: &str = "reads like an automatic reply";
/// Every reason an [`Classification::Unclassified`] outcome can give.
pub const REVIEW_REASONS: &[&str] = &[
    NO_KIND,
    NO_ADDRESS,
    BODY_UNREADABLE,
    ON_BEHALF,
    COMMERCIAL,
    BULK,
    AUTO_REPLY_TEXT_WITH_KINDS,
];

fn unclassified(reason: &str) -> Classification {
    Classification::Unclassified {
        reason: reason.to_owned(),
    }
}

/// Classifies a parsed message. Pure and total: every message gets exactly one outcome.
pub fn classify(msg: &Inbound) -> Classification {
    if let Some(reason) = auto_reply_reason(msg) {
        return Classification::AutoReply { reason };
    }
    let dsr_ids: Vec<String> = msg
        .in_reply_to()
        .into_iter()
        .filter(|id| is_dsrflow_id(id))
        .collect();
    let reference = msg.subject().and_then(subject_reference);
    if !dsr_ids.is_empty() || reference.is_some() {
        return Classification::Reply {
            reference,
            in_reply_to: dsr_ids,
        };
    }

    if msg.body_unreadable() {
        return unclassified(BODY_UNREADABLE);
    }

    let body = msg.new_text();
    let body = truncate_at_char(&body, MAX_SCAN_BYTES);
    let subject = msg.subject().unwrap_or_default();
    // The subject of a reply or a forward was written by the other side; a subject that asks
    // ("Unsubscribe?") names a topic, not a request.
    let own_subject = if is_reply_subject(subject) || subject.trim_end().ends_with('?') {
        ""
    } else {
        subject
    };
    let matched = matching_rules(own_subject, subject, body);
    let mut kinds: Vec<RequestKind> = matched.iter().map(|r| r.kind).collect();
    kinds.sort();
    kinds.dedup();
    let folded = fold(&format!("{subject}\n{body}"));
    let all_tokens = tokens(&folded);
    let any_cue = |cues: &[Pattern]| cues.iter().any(|c| c.occurs_in(&all_tokens));
    let reads_automatic = any_cue(&COMPILED_AUTO_REPLY_TEXT);
    if kinds.is_empty() {
        if reads_automatic && body.len() <= MAX_AUTO_REPLY_TEXT_BYTES {
            return Classification::AutoReply {
                reason: "out-of-office text",
            };
        }
        return unclassified(NO_KIND);
    }
    // A wrongly created request is worse than a mail a person reads: rights named for someone
    // else, in a sales pitch or a newsletter, or in what reads like an automatic reply, go to
    // review.
    if any_cue(&COMPILED_ON_BEHALF) {
        return unclassified(ON_BEHALF);
    }
    if msg.auto.list_mail {
        return unclassified(BULK);
    }
    if any_cue(&COMPILED_COMMERCIAL) {
        return unclassified(COMMERCIAL);
    }
    if reads_automatic {
        return unclassified(AUTO_REPLY_TEXT_WITH_KINDS);
    }
    let (email, email_source) = match (address_in_text(body, ADDRESS_CUES), msg.from()) {
        (Some(e), _) => (e, AddressSource::Text),
        (None, Some(e)) => (e, AddressSource::From),
        (None, None) => return unclassified(NO_ADDRESS),
    };
    let confidence = if kinds
        .iter()
        .all(|k| matched.iter().any(|r| r.kind == *k && r.strong))
    {
        Confidence::High
    } else {
        Confidence::Low
    };
    Classification::Request {
        kinds,
        email,
        email_source,
        name: msg.from_name(),
        language: detect_language(&format!("{subject}\n{body}")),
        confidence,
        matched,
    }
}

/// The rules found in the subject or the body (matched separately, so a gap never joins the
/// two), in [`KIND_RULES`](super::rules::KIND_RULES) order. `own_subject` is the subject when it
/// may name rights (empty otherwise); a rule's context is looked for in the whole subject and
/// body.
fn matching_rules(own_subject: &str, subject: &str, body: &str) -> Vec<KindRule> {
    let own_subject = fold(own_subject);
    let body = fold(body);
    let subject_tokens = with_article_lists(&tokens(&own_subject));
    let body_tokens = with_article_lists(&tokens(&body));
    let context = fold(&format!("{subject}\n{body}"));
    let context_tokens = tokens(&context);
    let (body_segments, body_asks) = outside_questions(&body_tokens);
    // A body that asks how to do something makes its subject a topic too ("Newsletter" over
    // "How do I unsubscribe from your newsletter?").
    let subject_segments = if body_asks {
        Vec::new()
    } else {
        outside_questions(&subject_tokens).0
    };
    COMPILED_KIND_RULES
        .iter()
        .filter(|(r, p, context)| {
            context
                .as_ref()
                .is_none_or(|c| c.occurs_in(&context_tokens))
                && subject_segments
                    .iter()
                    .chain(&body_segments)
                    .any(|segment| found_unvetoed(r.kind, p, segment))
        })
        .map(|(r, _, _)| **r)
        .collect()
}

/// True when `pattern` matches in `tokens` at a place whose sentence holds no veto word of
/// `kind` ([`KIND_VETOES`](super::rules::KIND_VETOES)).
fn found_unvetoed(kind: RequestKind, pattern: &Pattern, tokens: &[Token<'_>]) -> bool {
    pattern.starts_in(tokens).into_iter().any(|start| {
        let sentence = tokens[start].sentence;
        let same: Vec<Token<'_>> = tokens
            .iter()
            .filter(|t| t.sentence == sentence)
            .copied()
            .collect();
        !COMPILED_VETOES
            .iter()
            .any(|(k, veto)| *k == kind && veto.occurs_in(&same))
    })
}

/// The runs of tokens outside how-to questions: a sentence in which a clause starts with a
/// [`QUESTION_OPENERS`](super::rules::QUESTION_OPENERS) phrase is dropped from that clause to
/// the sentence's end ("Hello, how do I unsubscribe?"). True when something was dropped.
fn outside_questions<'a>(tokens: &[Token<'a>]) -> (Vec<Vec<Token<'a>>>, bool) {
    let mut segments = vec![Vec::new()];
    let mut skipping: Option<u32> = None;
    let mut asks = false;
    for (i, t) in tokens.iter().enumerate() {
        if skipping.is_some_and(|s| s != t.sentence) {
            skipping = None;
            segments.push(Vec::new());
        }
        let clause_start = i == 0 || tokens[i - 1].clause != t.clause;
        if skipping.is_none()
            && clause_start
            && COMPILED_OPENERS.iter().any(|o| o.matches_at(tokens, i))
        {
            skipping = Some(t.sentence);
            asks = true;
        }
        if skipping.is_none()
            && let Some(segment) = segments.last_mut()
        {
            segment.push(*t);
        }
    }
    (segments, asks)
}

fn auto_reply_reason(msg: &Inbound) -> Option<&'static str> {
    let a = &msg.auto;
    // RFC 3834 §5: any value but "no" marks an automatic message.
    if a.auto_submitted.as_deref().is_some_and(|v| v != "no") {
        return Some("Auto-Submitted header");
    }
    if a.x_autoreply {
        return Some("X-Autoreply or X-Autorespond header");
    }
    if a.precedence
        .as_deref()
        .is_some_and(|p| matches!(p, "bulk" | "junk" | "auto_reply"))
    {
        return Some("Precedence header");
    }
    if a.report_type.as_deref() == Some("delivery-status") {
        return Some("delivery status report");
    }
    // RFC 6522: every multipart/report (read receipts, feedback reports) is machine-made.
    if a.report_type.is_some() || a.status_part {
        return Some("report message");
    }
    if a.daemon_sender {
        return Some("mailer-daemon or postmaster sender");
    }
    if a.null_return_path {
        return Some("null return path");
    }
    if msg.subject().is_some_and(is_auto_reply_subject) {
        return Some("out-of-office or bounce subject");
    }
    None
}

/// True for a `Message-ID` dsrflow made: `dsr-{uuid}@host` (see
/// [`message_id`](crate::message_id)), with or without angle brackets.
pub(crate) fn is_dsrflow_id(id: &str) -> bool {
    let id = id.trim().trim_matches(['<', '>']);
    let Some((local, host)) = id.split_once('@') else {
        return false;
    };
    let Some(uuid) = local
        .get(..4)
        .filter(|p| p.eq_ignore_ascii_case("dsr-"))
        .and_then(|_| local.get(4..))
    else {
        return false;
    };
    !host.is_empty() && uuid.len() == 36 && Uuid::try_parse(uuid).is_ok()
}

/// Crockford base32 without I, L, O and U, as dsrflow's references use.
fn is_reference_char(b: u8) -> bool {
    matches!(b, b'0'..=b'9' | b'A'..=b'H' | b'J' | b'K' | b'M' | b'N' | b'P'..=b'T' | b'V'..=b'Z')
}

/// The first `DSR-XXXXXXXX` reference in a subject, upper-cased, when it stands as its own word.
pub(crate) fn subject_reference(subject: &str) -> Option<String> {
    let upper = subject.to_ascii_uppercase();
    let bytes = upper.as_bytes();
    for (i, _) in upper.match_indices("DSR-") {
        let before_ok = i == 0 || !bytes[i - 1].is_ascii_alphanumeric();
        let Some(code) = bytes.get(i + 4..i + 12) else {
            continue;
        };
        let after_ok = bytes.get(i + 12).is_none_or(|b| !b.is_ascii_alphanumeric());
        if before_ok && after_ok && code.iter().all(|b| is_reference_char(*b)) {
            return Some(format!("DSR-{}", String::from_utf8_lossy(code)));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::super::message::parse;
    use super::*;

    fn classified(subject: &str, body: &str) -> Classification {
        let raw = format!(
            "From: Ana <ana@example.org>\r\nTo: privacy@example.com\r\nSubject: {subject}\r\n\r\n{body}\r\n"
        );
        match parse(raw.as_bytes(), None) {
            Ok(msg) => classify(&msg),
            Err(e) => panic!("{e}"),
        }
    }

    fn kinds_and_language(c: &Classification) -> Option<(Vec<RequestKind>, Language)> {
        match c {
            Classification::Request {
                kinds, language, ..
            } => Some((kinds.clone(), *language)),
            _ => None,
        }
    }

    #[test]
    fn each_article_of_a_list_is_a_right() {
        let c = classified(
            "Formal request",
            "Please treat this as a request under Articles 15, 16 and 17 of the GDPR.",
        );
        assert_eq!(
            kinds_and_language(&c),
            Some((
                vec![
                    RequestKind::Access,
                    RequestKind::Erasure,
                    RequestKind::Rectification
                ],
                Language::En
            ))
        );
    }

    #[test]
    fn spanish_and_italian_requests_are_created_and_answered_in_english() {
        let es = classified(
            "Baja",
            "Quiero que borren mi cuenta y todos mis datos. Gracias.",
        );
        assert_eq!(
            kinds_and_language(&es),
            Some((vec![RequestKind::Erasure], Language::En))
        );
        let it = classified("Dati", "Vorrei sapere quali dati avete su di me. Grazie");
        assert_eq!(
            kinds_and_language(&it),
            Some((vec![RequestKind::Access], Language::En))
        );
    }

    #[test]
    fn a_supplier_questionnaire_about_rights_is_not_a_request() {
        let c = classified(
            "Lieferantenbewertung 2026",
            "Bitte füllen Sie den Fragebogen aus. Wie bearbeiten Sie Auskunftsersuchen?",
        );
        assert!(matches!(c, Classification::Unclassified { .. }), "{c:?}");
    }

    #[test]
    fn a_report_of_a_deletion_is_not_a_request() {
        let c = classified(
            "Account",
            "My account was deleted by mistake, can you restore it?",
        );
        assert_eq!(c, unclassified(NO_KIND));
    }

    #[test]
    fn dsrflow_message_ids_are_recognised() {
        let id = crate::message_id("privacy.example", Uuid::nil());
        assert!(is_dsrflow_id(&id));
        assert!(is_dsrflow_id(
            "DSR-00000000-0000-0000-0000-000000000000@x.example"
        ));
        assert!(!is_dsrflow_id("dsr-123@x.example"));
        assert!(!is_dsrflow_id("dsr-00000000-0000-0000-0000-000000000000@"));
        assert!(!is_dsrflow_id(
            "abc-00000000-0000-0000-0000-000000000000@x.example"
        ));
        assert!(!is_dsrflow_id("dé"));
    }

    #[test]
    fn references_in_subjects_use_the_crockford_alphabet() {
        assert_eq!(
            subject_reference("Re: [DSR-7K3QXPMA] Please confirm").as_deref(),
            Some("DSR-7K3QXPMA")
        );
        assert_eq!(
            subject_reference("re: dsr-7k3qxpma").as_deref(),
            Some("DSR-7K3QXPMA")
        );
        // I, L, O and U are not in the alphabet.
        assert_eq!(subject_reference("DSR-7K3QXPMO"), None);
        // Too long, too short, glued to another word.
        assert_eq!(subject_reference("DSR-7K3QXPMAA"), None);
        assert_eq!(subject_reference("DSR-7K3QX"), None);
        assert_eq!(subject_reference("XDSR-7K3QXPMA"), None);
        assert_eq!(
            subject_reference("DSR-1 and DSR-ABCDEFGH").as_deref(),
            Some("DSR-ABCDEFGH")
        );
    }
}
