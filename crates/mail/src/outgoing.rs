//! One message to send: recipient, rendered content, threading headers and extra headers.

use std::fmt;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::mask::mask_address;
use crate::templates::Rendered;

/// Header naming the request a message belongs to, e.g. `X-DSRflow-Reference: DSR-7K3QXPMA`.
pub const REFERENCE_HEADER: &str = "X-DSRflow-Reference";

/// A `Message-ID` for a message dsrflow sends: `<dsr-{id}@{domain}>`. Store it with the outbox
/// row: replies quote it in `In-Reply-To`/`References`, which is how they are matched later.
/// `domain` should be the sender's domain (e.g. `example.com`).
pub fn message_id(domain: &str, id: Uuid) -> String {
    let domain = domain.trim().trim_matches(['<', '>']);
    format!("<dsr-{id}@{domain}>")
}

/// A message ready to send. Build it with [`Outgoing::new`] and the `with_…` methods.
///
/// `Debug` masks the recipient; the full address is only used to build the envelope.
#[derive(Clone, PartialEq, Eq)]
pub struct Outgoing {
    /// The recipient's address. Validated when sending; an invalid one is a permanent error.
    pub to: String,
    /// The recipient's display name, if any.
    pub to_name: Option<String>,
    /// The subject line.
    pub subject: String,
    /// The plain-text body.
    pub text: String,
    /// The HTML body; when present the message is `multipart/alternative` (text first).
    pub html: Option<String>,
    /// The `Message-ID`, angle brackets included (see [`message_id`]).
    pub message_id: String,
    /// The `In-Reply-To` message id, when answering a message.
    pub in_reply_to: Option<String>,
    /// The `References` message ids, oldest first.
    pub references: Vec<String>,
    /// The `Date` header; the transport's clock is used when `None`.
    pub date: Option<DateTime<Utc>>,
    /// Extra headers, in order (e.g. [`REFERENCE_HEADER`], `Auto-Submitted`).
    pub headers: Vec<(String, String)>,
}

impl Outgoing {
    /// A message to `to` with the rendered subject and bodies. Its `Content-Language` is the
    /// language the body was rendered in.
    pub fn new(to: impl Into<String>, message_id: impl Into<String>, rendered: Rendered) -> Self {
        Self {
            to: to.into(),
            to_name: None,
            subject: rendered.subject,
            text: rendered.text,
            html: Some(rendered.html),
            message_id: message_id.into(),
            in_reply_to: None,
            references: Vec::new(),
            date: None,
            headers: vec![(
                "Content-Language".to_owned(),
                rendered.language.as_str().to_owned(),
            )],
        }
    }

    /// Sets the recipient's display name.
    pub fn with_to_name(mut self, name: impl Into<String>) -> Self {
        self.to_name = Some(name.into());
        self
    }

    /// Marks the message as a reply to `message_id` (sets `In-Reply-To` and adds it to
    /// `References`).
    pub fn in_reply_to(mut self, message_id: impl Into<String>) -> Self {
        let id = message_id.into();
        if !self.references.contains(&id) {
            self.references.push(id.clone());
        }
        self.in_reply_to = Some(id);
        self
    }

    /// Adds message ids to `References` (oldest first), e.g. a processor reminder referencing
    /// the first request.
    pub fn with_references(mut self, ids: impl IntoIterator<Item = String>) -> Self {
        for id in ids {
            if !self.references.contains(&id) {
                self.references.push(id);
            }
        }
        self
    }

    /// Sets the `Date` header (normally the injected clock's `now`).
    pub fn with_date(mut self, date: DateTime<Utc>) -> Self {
        self.date = Some(date);
        self
    }

    /// Adds a header. Names that the mailer sets itself (From, To, Subject, Message-ID, …) are
    /// refused when sending.
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Marks the message as sent automatically about request `reference`:
    /// `X-DSRflow-Reference: <reference>` and `Auto-Submitted: auto-generated` (RFC 3834, so
    /// well-behaved auto-responders do not answer it).
    pub fn automatic(self, reference: impl Into<String>) -> Self {
        self.with_header(REFERENCE_HEADER, reference)
            .with_header("Auto-Submitted", "auto-generated")
    }

    /// The recipient, masked for logs.
    pub fn masked_to(&self) -> String {
        mask_address(&self.to)
    }
}

impl fmt::Debug for Outgoing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Outgoing")
            .field("to", &self.masked_to())
            .field("message_id", &self.message_id)
            .field("subject_chars", &self.subject.chars().count())
            .field("html", &self.html.is_some())
            .field("headers", &self.headers.len())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dsrflow_domain::channel::Language;

    fn rendered() -> Rendered {
        Rendered {
            subject: "s".into(),
            text: "t".into(),
            html: "<p>h</p>".into(),
            language: Language::Fr,
        }
    }

    #[test]
    fn message_ids_are_bracketed_and_carry_the_uuid() {
        let id = Uuid::nil();
        assert_eq!(
            message_id("example.com", id),
            "<dsr-00000000-0000-0000-0000-000000000000@example.com>"
        );
    }

    #[test]
    fn automatic_messages_carry_the_reference_and_auto_submitted() {
        let m = Outgoing::new("alice@example.com", "<a@b>", rendered()).automatic("DSR-7K3QXPMA");
        assert!(
            m.headers
                .contains(&(REFERENCE_HEADER.into(), "DSR-7K3QXPMA".into()))
        );
        assert!(
            m.headers
                .contains(&("Auto-Submitted".into(), "auto-generated".into()))
        );
        assert!(
            m.headers
                .contains(&("Content-Language".into(), "fr".into()))
        );
    }

    #[test]
    fn debug_masks_the_recipient() {
        let m = Outgoing::new("alice@example.com", "<a@b>", rendered());
        let shown = format!("{m:?}");
        assert!(shown.contains("a***@e***.com"));
        assert!(!shown.contains("alice"));
    }

    #[test]
    fn replies_set_in_reply_to_and_references() {
        let m = Outgoing::new("p@example.com", "<b@x>", rendered())
            .with_references(["<first@x>".to_owned()])
            .in_reply_to("<a@x>");
        assert_eq!(m.in_reply_to.as_deref(), Some("<a@x>"));
        assert_eq!(
            m.references,
            vec!["<first@x>".to_owned(), "<a@x>".to_owned()]
        );
    }
}
