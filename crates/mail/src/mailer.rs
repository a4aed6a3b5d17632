//! The mailer: turns an [`Outgoing`] into a MIME message and hands it to the [`Transport`].

use std::time::SystemTime;

use lettre::Address;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};

use crate::error::{ConfigError, MailError};
use crate::mask::mask_address;
use crate::outgoing::Outgoing;
use crate::transport::{Transport, TransportKind};

/// Headers the mailer sets itself; an [`Outgoing`] cannot add them as extra headers.
const RESERVED_HEADERS: [&str; 15] = [
    "From",
    "Sender",
    "To",
    "Cc",
    "Bcc",
    "Reply-To",
    "Subject",
    "Date",
    "Message-ID",
    "In-Reply-To",
    "References",
    "MIME-Version",
    "Content-Type",
    "Content-Transfer-Encoding",
    "Return-Path",
];

/// `jürgen@bücher.example` → `jürgen@xn--bcher-kva.example`: a domain in its ASCII form (RFC
/// 5890), which every relay takes. Only a non-ASCII part before the `@` still needs SMTPUTF8.
pub fn ascii_domain(address: &str) -> String {
    match address.rsplit_once('@') {
        Some((local, domain)) if !domain.is_ascii() => match idna::domain_to_ascii(domain) {
            Ok(ascii) => format!("{local}@{ascii}"),
            Err(_) => address.to_owned(),
        },
        _ => address.to_owned(),
    }
}

/// Parses a configured mailbox such as `Privacy team <privacy@example.com>`.
pub fn parse_mailbox(raw: &str) -> Result<Mailbox, ConfigError> {
    raw.trim()
        .parse::<Mailbox>()
        .map_err(|e| ConfigError::Mailbox {
            mailbox: mask_address(
                raw.trim()
                    .trim_end_matches('>')
                    .rsplit('<')
                    .next()
                    .unwrap_or(raw),
            ),
            reason: e.to_string(),
        })
}

/// What happened to a message that was handed over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentInfo {
    /// The message's `Message-ID`.
    pub message_id: String,
    /// The transport that took it.
    pub transport: TransportKind,
    /// The SMTP server's reply (addresses masked), or the file written, or the memory count.
    pub detail: String,
}

/// Sends messages from one sender through one transport.
#[derive(Debug, Clone)]
pub struct Mailer {
    /// Where messages go.
    pub transport: Transport,
    /// The `From` mailbox (and envelope sender).
    pub from: Mailbox,
    /// The `Reply-To` mailbox, e.g. the privacy@ inbox whose replies are matched to requests.
    pub reply_to: Option<Mailbox>,
}

impl Mailer {
    /// A mailer sending as `from` through `transport`.
    pub fn new(transport: Transport, from: Mailbox) -> Self {
        Self {
            transport,
            from,
            reply_to: None,
        }
    }

    /// Sets the `Reply-To` mailbox.
    pub fn with_reply_to(mut self, reply_to: Mailbox) -> Self {
        self.reply_to = Some(reply_to);
        self
    }

    /// Builds the MIME message without sending it (what [`Mailer::send`] hands over). Every
    /// problem here is [`MailError::Permanent`]: the same input will never build.
    pub fn build(&self, msg: &Outgoing) -> Result<lettre::Message, MailError> {
        let masked = msg.masked_to();
        let address: Address = ascii_domain(msg.to.trim()).parse().map_err(|e| {
            MailError::permanent(None, format!("invalid recipient address {masked}: {e}"))
        })?;
        let name = msg
            .to_name
            .as_deref()
            .map(|n| n.chars().filter(|c| !c.is_control()).collect::<String>())
            .map(|n| n.trim().to_owned())
            .filter(|n| !n.is_empty());
        let to = Mailbox::new(name, address);

        check_message_id("Message-ID", &msg.message_id)?;
        let mut builder = lettre::Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(msg.subject.split_whitespace().collect::<Vec<_>>().join(" "))
            .message_id(Some(msg.message_id.clone()));
        if let Some(reply_to) = &self.reply_to {
            builder = builder.reply_to(reply_to.clone());
        }
        if let Some(id) = &msg.in_reply_to {
            check_message_id("In-Reply-To", id)?;
            builder = builder.in_reply_to(id.clone());
        }
        if !msg.references.is_empty() {
            for id in &msg.references {
                check_message_id("References", id)?;
            }
            builder = builder.references(msg.references.join(" "));
        }
        if let Some(date) = msg.date {
            builder = builder.date(SystemTime::from(date));
        }
        for (name, value) in &msg.headers {
            builder = builder.raw_header(extra_header(name, value)?);
        }
        let built = match &msg.html {
            Some(html) => builder.multipart(MultiPart::alternative_plain_html(
                msg.text.clone(),
                html.clone(),
            )),
            None => builder
                .header(ContentType::TEXT_PLAIN)
                .body(msg.text.clone()),
        };
        built.map_err(|e| MailError::permanent(None, format!("cannot build the message: {e}")))
    }

    /// Builds and sends a message. Logs carry the message id and the masked recipient, never
    /// the address.
    pub async fn send(&self, msg: &Outgoing) -> Result<SentInfo, MailError> {
        let to = msg.masked_to();
        let transport = self.transport.kind();
        let result = match self.build(msg) {
            Ok(message) => {
                let raw = message.formatted();
                self.transport
                    .deliver(msg, message.envelope(), raw)
                    .await
                    .map(|detail| SentInfo {
                        message_id: msg.message_id.clone(),
                        transport,
                        detail,
                    })
            }
            Err(e) => Err(e),
        };
        match &result {
            Ok(info) => tracing::info!(
                message_id = %msg.message_id,
                to = %to,
                transport = %transport,
                detail = %info.detail,
                "mail sent"
            ),
            Err(e) => tracing::warn!(
                message_id = %msg.message_id,
                to = %to,
                transport = %transport,
                permanent = e.is_permanent(),
                error = %e,
                "mail not sent"
            ),
        }
        result
    }
}

/// `<left@right>` with no spaces or controls (RFC 5322 msg-id, loosely).
/// Whether `id` can go in a `Message-ID`, `In-Reply-To` or `References` header as is:
/// `<left@right>`, no spaces, controls or nested brackets, at most 250 bytes.
pub fn is_message_id(id: &str) -> bool {
    let inner = id.strip_prefix('<').and_then(|s| s.strip_suffix('>'));
    inner.is_some_and(|s| {
        s.split_once('@')
            .is_some_and(|(l, r)| !l.is_empty() && !r.is_empty() && !r.contains('@'))
            && !s
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>')
    }) && id.len() <= 250
}

fn check_message_id(header: &str, id: &str) -> Result<(), MailError> {
    if is_message_id(id) {
        Ok(())
    } else {
        Err(MailError::permanent(
            None,
            format!("{header} must look like <id@domain>"),
        ))
    }
}

fn extra_header(name: &str, value: &str) -> Result<HeaderValue, MailError> {
    if RESERVED_HEADERS
        .iter()
        .any(|r| r.eq_ignore_ascii_case(name))
    {
        return Err(MailError::permanent(
            None,
            format!("header {name} is set by the mailer and cannot be added"),
        ));
    }
    let header_name = HeaderName::new_from_ascii(name.to_owned())
        .ok()
        .filter(|_| name.chars().all(|c| c.is_ascii_graphic()))
        .ok_or_else(|| MailError::permanent(None, "a header name is not valid"))?;
    if value.chars().any(char::is_control) {
        return Err(MailError::permanent(
            None,
            format!("header {name} has a control character (line break) in its value"),
        ));
    }
    Ok(HeaderValue::new(header_name, value.to_owned()))
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;
    use crate::templates::Rendered;
    use dsrflow_domain::channel::Language;

    fn outgoing(to: &str) -> Outgoing {
        Outgoing::new(
            to,
            "<dsr-1@example.com>",
            Rendered {
                subject: "[DSR-7K3QXPMA] Hello".into(),
                text: "text".into(),
                html: "<p>html</p>".into(),
                language: Language::En,
            },
        )
    }

    fn mailer() -> Mailer {
        Mailer::new(
            Transport::memory().0,
            parse_mailbox("Privacy <privacy@example.com>").unwrap(),
        )
    }

    #[test]
    fn reserved_and_injected_headers_are_refused() {
        let m = mailer();
        for (name, value) in [
            ("Bcc", "x@example.com"),
            ("subject", "x"),
            ("X-Evil", "a\r\nBcc: x@example.com"),
            ("Bad Name", "x"),
        ] {
            let err = m
                .build(&outgoing("a@example.com").with_header(name, value))
                .unwrap_err();
            assert!(err.is_permanent(), "{name}");
        }
    }

    #[test]
    fn malformed_message_ids_are_refused() {
        let m = mailer();
        for id in ["dsr-1@example.com", "<dsr-1>", "<a b@c>", "<@c>"] {
            let mut msg = outgoing("a@example.com");
            msg.message_id = id.into();
            assert!(m.build(&msg).unwrap_err().is_permanent(), "{id}");
        }
    }

    #[test]
    fn an_internationalised_domain_is_sent_in_its_ascii_form() {
        assert_eq!(
            ascii_domain("jürgen@bücher.example"),
            "jürgen@xn--bcher-kva.example"
        );
        assert_eq!(ascii_domain("alice@example.com"), "alice@example.com");
        assert_eq!(ascii_domain("no-at-sign"), "no-at-sign");
    }

    #[test]
    fn a_bad_sender_mailbox_is_a_config_error_without_the_address() {
        let err = parse_mailbox("Privacy <privacy@@example.com>").unwrap_err();
        assert!(!err.to_string().contains("privacy@"), "{err}");
    }
}
