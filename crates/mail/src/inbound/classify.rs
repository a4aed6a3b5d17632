//! What to do with an inbound message: drop an auto-reply, attach a reply to its request,
//! create requests, or hand it to the officer. The rules are described in the
//! [module docs](super).

use dsrflow_domain::channel::Language;
use dsrflow_domain::{RequestKind, SubjectEmail, SubjectName};
use uuid::Uuid;

use super::language::detect_language;
use super::message::Inbound;
use super::rules::{COMPILED_KIND_RULES, KindRule, is_auto_reply_subject};
use super::text::{MAX_SCAN_BYTES, address_in_text, fold, tokens, truncate_at_char};

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
/// about data-protection services, not a person exercising a right.
pub const COMMERCIAL: &str = "reads like a commercial message, not a request";

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
        return Classification::Unclassified {
            reason: BODY_UNREADABLE.to_owned(),
        };
    }

    let body = msg.new_text();
    let body = truncate_at_char(&body, MAX_SCAN_BYTES);
    let subject = msg.subject().unwrap_or_default();
    let matched = matching_rules(subject, body);
    let mut kinds: Vec<RequestKind> = matched.iter().map(|r| r.kind).collect();
    kinds.sort();
    kinds.dedup();
    if kinds.is_empty() {
        return Classification::Unclassified {
            reason: NO_KIND.to_owned(),
        };
    }
    // A wrongly created request is worse than a mail a person reads: rights named for someone
    // else, or in a sales pitch, go to review.
    let folded = fold(&format!("{subject}\n{body}"));
    if super::rules::ON_BEHALF_CUES
        .iter()
        .any(|c| folded.contains(c))
    {
        return Classification::Unclassified {
            reason: ON_BEHALF.to_owned(),
        };
    }
    if super::rules::COMMERCIAL_CUES
        .iter()
        .any(|c| folded.contains(c))
    {
        return Classification::Unclassified {
            reason: COMMERCIAL.to_owned(),
        };
    }
    let (email, email_source) = match (
        address_in_text(body, super::rules::ADDRESS_CUES),
        msg.from(),
    ) {
        (Some(e), _) => (e, AddressSource::Text),
        (None, Some(e)) => (e, AddressSource::From),
        (None, None) => {
            return Classification::Unclassified {
                reason: NO_ADDRESS.to_owned(),
            };
        }
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
/// two), in [`KIND_RULES`](super::rules::KIND_RULES) order.
fn matching_rules(subject: &str, body: &str) -> Vec<KindRule> {
    let subject = fold(subject);
    let body = fold(body);
    let subject_tokens = tokens(&subject);
    let body_tokens = tokens(&body);
    COMPILED_KIND_RULES
        .iter()
        .filter(|(_, p)| p.is_found_in(&subject_tokens) || p.is_found_in(&body_tokens))
        .map(|(r, _)| **r)
        .collect()
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
    use super::*;

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
