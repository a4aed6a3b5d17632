//! A parsed inbound message ([`Inbound`]): the headers and text dsrflow needs, extracted once
//! from `mail-parser`'s view of the raw bytes.

use std::fmt;

use chrono::{DateTime, Utc};
use dsrflow_domain::{SubjectEmail, SubjectName};
use mail_parser::{Addr, HeaderValue, Message, MessageParser, MessagePart, MimeHeaders, PartType};
use sha2::{Digest, Sha256};

use super::html::html_to_text;
use super::text::new_text;

/// Why raw bytes could not be read as a mail. It carries no content of the message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InboundError {
    /// No bytes, or only whitespace.
    #[error("the message is empty")]
    Empty,
    /// Not a single header field could be found: this is not an RFC 5322 message.
    #[error("no mail header found: not an RFC 5322 message ({size} bytes)")]
    NoHeaders {
        /// The input's size in bytes.
        size: usize,
    },
    /// The MIME parser failed even on the header block alone (a parser bug, contained here).
    #[error("the message could not be parsed ({size} bytes)")]
    Unparseable {
        /// The input's size in bytes.
        size: usize,
    },
}

/// What a message says about one attachment. The content itself is not kept.
#[derive(Clone, PartialEq, Eq)]
pub struct AttachmentInfo {
    /// The file name from `Content-Disposition` or `Content-Type`, when given.
    pub name: Option<String>,
    /// The lower-cased MIME type, e.g. `application/pdf`.
    pub content_type: String,
    /// The decoded size in bytes.
    pub size: usize,
}

impl fmt::Debug for AttachmentInfo {
    /// Shows the file name's extension only: a name like `passport-jane-doe.pdf` is personal
    /// data.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let extension = self
            .name
            .as_deref()
            .and_then(|n| n.rsplit_once('.'))
            .map(|(_, ext)| format!("***.{ext}"));
        f.debug_struct("AttachmentInfo")
            .field("name", &extension)
            .field("content_type", &self.content_type)
            .field("size", &self.size)
            .finish()
    }
}

/// The headers that mark a message as sent automatically (see [`classify`](super::classify)).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct AutoSignals {
    /// `Auto-Submitted`, lower-cased, parameters removed.
    pub auto_submitted: Option<String>,
    /// `X-Autoreply` or `X-Autorespond` is present.
    pub x_autoreply: bool,
    /// `Precedence`, lower-cased.
    pub precedence: Option<String>,
    /// The root is `multipart/report`; its `report-type`, lower-cased (empty when missing).
    pub report_type: Option<String>,
    /// A `message/delivery-status` (or global / disposition-notification) part exists.
    pub status_part: bool,
    /// The sender's address or name is `MAILER-DAEMON` or `postmaster`.
    pub daemon_sender: bool,
    /// `Return-Path: <>`, the null sender of bounces (RFC 5321 §4.5.5).
    pub null_return_path: bool,
    /// `List-Id` or `List-Unsubscribe` is present: a mailing-list or bulk message (RFC 2919,
    /// RFC 2369). Not automatic by itself, but never a person's own request.
    pub list_mail: bool,
}

/// A parsed inbound message. Build it with [`parse`]; everything is extracted up front, so the
/// accessors are cheap and never fail.
///
/// `Debug` shows sizes and flags, never an address, a subject or text.
#[derive(Clone)]
pub struct Inbound {
    message_id: Option<String>,
    raw_sha256: String,
    raw_size: usize,
    in_reply_to: Vec<String>,
    subject: Option<String>,
    from: Option<SubjectEmail>,
    from_name: Option<SubjectName>,
    received_at: Option<DateTime<Utc>>,
    text: String,
    attachments: Vec<AttachmentInfo>,
    body_unreadable: bool,
    pub(crate) auto: AutoSignals,
}

impl fmt::Debug for Inbound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Inbound")
            .field("has_message_id", &self.message_id.is_some())
            .field("raw_size", &self.raw_size)
            .field("in_reply_to", &self.in_reply_to.len())
            .field("from", &self.from)
            .field("received_at", &self.received_at)
            .field("text_chars", &self.text.chars().count())
            .field("attachments", &self.attachments)
            .field("body_unreadable", &self.body_unreadable)
            .field("auto", &self.auto)
            .finish_non_exhaustive()
    }
}

impl Inbound {
    /// The `Message-ID`, without angle brackets, when the message has one.
    pub fn message_id(&self) -> Option<&str> {
        self.message_id.as_deref()
    }

    /// A stable key for "processed once" bookkeeping: the `Message-ID` (without angle
    /// brackets) or, when it is missing, `sha256:` and the hex SHA-256 of the raw bytes.
    pub fn dedup_key(&self) -> String {
        match &self.message_id {
            Some(id) => id.clone(),
            None => format!("sha256:{}", self.raw_sha256),
        }
    }

    /// The hex SHA-256 of the raw bytes, e.g. to check the kept original.
    pub fn raw_sha256(&self) -> &str {
        &self.raw_sha256
    }

    /// The size of the raw message in bytes.
    pub fn raw_size(&self) -> usize {
        self.raw_size
    }

    /// The message ids of `In-Reply-To` then `References`, without angle brackets, each once.
    pub fn in_reply_to(&self) -> Vec<String> {
        self.in_reply_to.clone()
    }

    /// The decoded subject, when present and not blank.
    pub fn subject(&self) -> Option<&str> {
        self.subject.as_deref()
    }

    /// The first `From` address, when it is a valid address.
    pub fn from(&self) -> Option<SubjectEmail> {
        self.from.clone()
    }

    /// The first `From` display name, when it is a usable name (not an address).
    pub fn from_name(&self) -> Option<SubjectName> {
        self.from_name.clone()
    }

    /// When the message reached the mailbox: the IMAP `INTERNALDATE` given to [`parse`], else
    /// the top-most `Received` header with a valid date, else `Date:`.
    pub fn received_at(&self) -> Option<DateTime<Utc>> {
        self.received_at
    }

    /// The best plain text: the `text/plain` body parts, else the HTML parts as text.
    pub fn text(&self) -> String {
        self.text.clone()
    }

    /// The text the classifier reads: [`Inbound::text`] without quoted replies, forwarded
    /// messages and the signature (see the [module docs](super)).
    pub fn new_text(&self) -> String {
        new_text(&self.text)
    }

    /// The attachments: name, content type and size.
    pub fn attachments(&self) -> Vec<AttachmentInfo> {
        self.attachments.clone()
    }

    /// True when the MIME parser failed on the body and only the headers were read: the text
    /// is empty and the attachments unknown, so the message needs the officer's eyes.
    pub fn body_unreadable(&self) -> bool {
        self.body_unreadable
    }
}

/// Parses a raw message. `internal_date` is the IMAP `INTERNALDATE`, when the caller has it.
///
/// Never panics. Fails only on empty input and on input without a single header field; a
/// damaged message (broken boundaries, bad encodings, unknown charsets) parses as far as it
/// goes.
///
/// `mail-parser` is meant never to panic, but hostile input has found debug assertions in it
/// (a `message/rfc822` part nested in a broken multipart trips one in 0.11.9). So the parse runs
/// under [`std::panic::catch_unwind`]: when the full parse panics, the header block alone is
/// parsed and the message is marked [`Inbound::body_unreadable`]; when that panics too, the
/// result is [`InboundError::Unparseable`]. The panic message still reaches stderr through the
/// default hook; it carries positions, never message content.
pub fn parse(raw: &[u8], internal_date: Option<DateTime<Utc>>) -> Result<Inbound, InboundError> {
    if raw.iter().all(u8::is_ascii_whitespace) {
        return Err(InboundError::Empty);
    }
    match std::panic::catch_unwind(|| parse_with(raw, internal_date, false)) {
        Ok(parsed) => parsed,
        Err(_) => match std::panic::catch_unwind(|| parse_with(raw, internal_date, true)) {
            Ok(parsed) => parsed,
            Err(_) => Err(InboundError::Unparseable { size: raw.len() }),
        },
    }
}

/// The parse proper; `headers_only` skips the MIME body entirely.
fn parse_with(
    raw: &[u8],
    internal_date: Option<DateTime<Utc>>,
    headers_only: bool,
) -> Result<Inbound, InboundError> {
    let parser = MessageParser::default();
    let parsed = if headers_only {
        parser.parse_headers(raw)
    } else {
        parser.parse(raw)
    };
    let msg = parsed
        .filter(|m| !m.parts.is_empty() && has_real_header(m))
        .ok_or(InboundError::NoHeaders { size: raw.len() })?;

    let message_id = msg.message_id().map(clean_id).filter(|id| !id.is_empty());
    let first_from = msg.from().and_then(|a| a.first());
    let (from, from_name) = sender(first_from);
    let (text, attachments) = if headers_only {
        (String::new(), Vec::new())
    } else {
        (
            best_text(&msg),
            msg.attachments().map(attachment_info).collect(),
        )
    };

    Ok(Inbound {
        message_id,
        raw_sha256: format!("{:x}", Sha256::digest(raw)),
        raw_size: raw.len(),
        in_reply_to: reply_ids(&msg),
        subject: msg
            .subject()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty()),
        from,
        from_name,
        received_at: internal_date.or_else(|| received_date(&msg)),
        text,
        attachments,
        body_unreadable: headers_only,
        auto: auto_signals(&msg, first_from),
    })
}

/// True when at least one top-level header is a real field: an RFC 5322 field name (printable
/// ASCII without `:`) followed by a colon. `mail-parser` also reads a lone line of text as a
/// header name, which would make any text a "message".
fn has_real_header(msg: &Message<'_>) -> bool {
    msg.headers().iter().any(|h| {
        let name = h.name.as_str();
        let start = h.offset_field as usize + name.len();
        !name.is_empty()
            && name.bytes().all(|b| b.is_ascii_graphic() && b != b':')
            && msg
                .raw_message
                .get(start..)
                .unwrap_or_default()
                .iter()
                .find(|b| !matches!(b, b' ' | b'\t'))
                == Some(&b':')
    })
}

fn clean_id(id: &str) -> String {
    id.trim().trim_matches(['<', '>']).trim().to_owned()
}

fn header_ids(value: &HeaderValue<'_>) -> Vec<String> {
    match value {
        HeaderValue::Text(id) => vec![clean_id(id)],
        HeaderValue::TextList(ids) => ids.iter().map(|id| clean_id(id)).collect(),
        _ => Vec::new(),
    }
}

fn reply_ids(msg: &Message<'_>) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    for id in header_ids(msg.in_reply_to())
        .into_iter()
        .chain(header_ids(msg.references()))
    {
        if !id.is_empty() && !ids.contains(&id) {
            ids.push(id);
        }
    }
    ids
}

fn sender(addr: Option<&Addr<'_>>) -> (Option<SubjectEmail>, Option<SubjectName>) {
    let Some(addr) = addr else {
        return (None, None);
    };
    let email = addr.address().and_then(|a| SubjectEmail::parse(a).ok());
    let name = addr
        .name()
        .map(|n| n.trim().trim_matches(['"', '\'']))
        .filter(|n| !n.contains('@'))
        .and_then(|n| SubjectName::parse(n).ok());
    (email, name)
}

fn to_utc(dt: &mail_parser::DateTime) -> Option<DateTime<Utc>> {
    if !dt.is_valid() {
        return None;
    }
    DateTime::from_timestamp(dt.to_timestamp(), 0)
}

fn received_date(msg: &Message<'_>) -> Option<DateTime<Utc>> {
    msg.received_all()
        .find_map(|r| r.date.as_ref().and_then(to_utc))
        .or_else(|| msg.date().and_then(to_utc))
}

fn part_text(part: &MessagePart<'_>) -> Option<String> {
    match &part.body {
        PartType::Text(text) => Some(text.to_string()),
        PartType::Html(html) => Some(html_to_text(html)),
        _ => None,
    }
}

/// The `text/plain` body parts, else the HTML ones converted. (`mail-parser` lists the HTML
/// part of an HTML-only message among the text bodies too, hence the filters on the part type.)
fn best_text(msg: &Message<'_>) -> String {
    let collect = |parts: &mut dyn Iterator<Item = &MessagePart<'_>>, html: bool| {
        let mut out: Vec<String> = Vec::new();
        for part in parts.filter(|p| matches!(p.body, PartType::Html(_)) == html) {
            let Some(text) = part_text(part) else {
                continue;
            };
            let text = text.replace("\r\n", "\n").trim().to_owned();
            if !text.is_empty() && !out.contains(&text) {
                out.push(text);
            }
        }
        out
    };
    let mut parts = collect(&mut msg.text_bodies(), false);
    if parts.is_empty() {
        parts = collect(&mut msg.html_bodies(), true);
    }
    if parts.is_empty() {
        parts = collect(&mut msg.text_bodies(), true);
    }
    // A multipart message whose closing boundary is missing leaves its text part among the
    // attachments; an unnamed, non-"attachment" text part is still the body.
    let mut inline_text = msg.attachments().filter(|p| {
        p.attachment_name().is_none()
            && !p
                .content_disposition()
                .is_some_and(|d| d.ctype().eq_ignore_ascii_case("attachment"))
    });
    if parts.is_empty() {
        parts = collect(&mut inline_text, false);
    }
    if parts.is_empty() {
        parts = collect(&mut inline_text, true);
    }
    parts.join("\n\n")
}

fn mime_type(part: &MessagePart<'_>) -> String {
    match part.content_type() {
        Some(ct) => match ct.subtype() {
            Some(sub) => format!("{}/{}", ct.ctype(), sub),
            None => ct.ctype().to_owned(),
        }
        .to_ascii_lowercase(),
        None => match part.body {
            PartType::Text(_) => "text/plain".to_owned(),
            PartType::Html(_) => "text/html".to_owned(),
            PartType::Message(_) => "message/rfc822".to_owned(),
            PartType::Multipart(_) => "multipart/mixed".to_owned(),
            PartType::Binary(_) | PartType::InlineBinary(_) => {
                "application/octet-stream".to_owned()
            }
        },
    }
}

/// The decoded size of a part. `MessagePart::len` is avoided: for a nested message it indexes
/// the nested message's first part, which a damaged message may not have.
fn part_size(part: &MessagePart<'_>) -> usize {
    match &part.body {
        PartType::Text(text) | PartType::Html(text) => text.len(),
        PartType::Binary(bytes) | PartType::InlineBinary(bytes) => bytes.len(),
        PartType::Message(message) => message.raw_message.len(),
        PartType::Multipart(_) => 0,
    }
}

fn attachment_info(part: &MessagePart<'_>) -> AttachmentInfo {
    AttachmentInfo {
        name: part
            .attachment_name()
            .map(|n| n.trim().to_owned())
            .filter(|n| !n.is_empty()),
        content_type: mime_type(part),
        size: part_size(part),
    }
}

/// The raw values of a top-level header, unfolded and trimmed (header names compare
/// case-insensitively). Reads the raw bytes with bounds checks.
fn raw_header(msg: &Message<'_>, name: &str) -> Option<String> {
    msg.headers()
        .iter()
        .find(|h| h.name.as_str().eq_ignore_ascii_case(name))
        .map(|h| {
            let bytes = msg
                .raw_message
                .get(h.offset_start as usize..h.offset_end as usize)
                .unwrap_or_default();
            String::from_utf8_lossy(bytes)
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        })
}

fn is_daemon(s: &str) -> bool {
    let s = s.trim().to_ascii_lowercase();
    let local = s.rsplit_once('@').map_or(s.as_str(), |(l, _)| l);
    matches!(local, "mailer-daemon" | "postmaster")
}

fn auto_signals(msg: &Message<'_>, from: Option<&Addr<'_>>) -> AutoSignals {
    let lower_value = |name: &str| {
        raw_header(msg, name).map(|v| {
            v.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        })
    };
    let report_type = msg
        .root_part()
        .content_type()
        .filter(|ct| {
            ct.ctype().eq_ignore_ascii_case("multipart")
                && ct
                    .subtype()
                    .is_some_and(|s| s.eq_ignore_ascii_case("report"))
        })
        .map(|ct| {
            ct.attribute("report-type")
                .unwrap_or_default()
                .to_ascii_lowercase()
        });
    let status_part = msg.parts.iter().any(|p| {
        matches!(
            mime_type(p).as_str(),
            "message/delivery-status"
                | "message/global-delivery-status"
                | "message/disposition-notification"
        )
    });
    let daemon_sender = from
        .is_some_and(|a| a.address().is_some_and(is_daemon) || a.name().is_some_and(is_daemon))
        || raw_header(msg, "From").is_some_and(|f| {
            let f = f.to_ascii_lowercase();
            f.contains("mailer-daemon") || f.contains("postmaster@")
        });
    AutoSignals {
        auto_submitted: lower_value("Auto-Submitted"),
        x_autoreply: raw_header(msg, "X-Autoreply").is_some()
            || raw_header(msg, "X-Autorespond").is_some(),
        precedence: lower_value("Precedence"),
        report_type,
        status_part,
        daemon_sender,
        null_return_path: raw_header(msg, "Return-Path").is_some_and(|v| v.trim() == "<>"),
        list_mail: raw_header(msg, "List-Id").is_some()
            || raw_header(msg, "List-Unsubscribe").is_some(),
    }
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    #[test]
    fn empty_and_headerless_input_is_refused_without_content_in_the_error() {
        assert_eq!(parse(b"", None).unwrap_err(), InboundError::Empty);
        assert_eq!(parse(b" \r\n\t", None).unwrap_err(), InboundError::Empty);
        let err = parse(b"jane@example.org wants her data deleted", None);
        if let Err(e) = err {
            assert!(!e.to_string().contains("jane"));
        }
    }

    #[test]
    fn message_ids_lose_their_angle_brackets() {
        let m = parse(
            b"Message-ID: <abc@x.example>\r\nIn-Reply-To: <dsr-1@p.example>\r\nReferences: <r0@x.example> <dsr-1@p.example>\r\n\r\nhi",
            None,
        )
        .unwrap();
        assert_eq!(m.message_id(), Some("abc@x.example"));
        assert_eq!(m.dedup_key(), "abc@x.example");
        assert_eq!(m.in_reply_to(), ["dsr-1@p.example", "r0@x.example"]);
    }

    #[test]
    fn a_missing_message_id_gets_a_key_from_the_raw_bytes() {
        let a = parse(b"Subject: a\r\n\r\nbody", None).unwrap();
        let b = parse(b"Subject: a\r\n\r\nbody", None).unwrap();
        let c = parse(b"Subject: b\r\n\r\nbody", None).unwrap();
        assert_eq!(a.message_id(), None);
        assert!(a.dedup_key().starts_with("sha256:"));
        assert_eq!(a.dedup_key().len(), "sha256:".len() + 64);
        assert_eq!(a.dedup_key(), b.dedup_key());
        assert_ne!(a.dedup_key(), c.dedup_key());
    }

    #[test]
    fn a_from_name_that_is_an_address_is_not_a_name() {
        let m = parse(
            b"From: \"jane@example.org\" <jane@example.org>\r\n\r\nhi",
            None,
        )
        .unwrap();
        assert_eq!(m.from().unwrap().as_str(), "jane@example.org");
        assert_eq!(m.from_name(), None);
    }

    #[test]
    fn debug_shows_no_personal_data() {
        let m = parse(
            b"From: Jane Doe <jane@example.org>\r\nSubject: Delete Jane\r\n\r\nI am Jane",
            None,
        )
        .unwrap();
        let shown = format!("{m:?}");
        assert!(
            !shown.contains("Jane") && !shown.contains("jane"),
            "{shown}"
        );
        let a = AttachmentInfo {
            name: Some("passport-jane.pdf".into()),
            content_type: "application/pdf".into(),
            size: 3,
        };
        assert!(!format!("{a:?}").contains("jane"));
    }
}
