//! dsrflow's outgoing mail.
//!
//! - [`templates`]: the `templates/email` tree, embedded at build time, with an optional
//!   override folder; English, French and Dutch, falling back to English.
//! - [`messages`]: one typed context per message (acknowledgement, refusal, processor request,
//!   officer digest, …), each rendering to a subject, a text body and an HTML body.
//! - [`Outgoing`], [`Mailer`] and [`Transport`]: build a multipart message with a caller-chosen
//!   `Message-ID` and hand it to SMTP, a folder of `.eml` files, or memory.
//!
//! This crate never touches the database: the outbox row, the retry schedule and the audit event
//! belong to the caller, which retries [`MailError::Transient`] and stops on
//! [`MailError::Permanent`]. Logs and errors never contain a full address.

pub mod eml;
pub mod error;
pub mod imap;
pub mod inbound;
pub mod mailer;
pub mod mask;
pub mod messages;
pub mod outgoing;
pub mod templates;
pub mod transport;

pub use error::{ConfigError, MailError, TemplateError};
pub use inbound::{
    AddressSource, AttachmentInfo, Classification, Confidence, Inbound, InboundError,
};
pub use lettre::message::Mailbox;
pub use mailer::{Mailer, SentInfo, parse_mailbox};
pub use mask::mask_address;
pub use messages::Email;
pub use outgoing::{Outgoing, REFERENCE_HEADER, message_id};
pub use templates::{Rendered, Templates};
pub use transport::{MemoryOutbox, Sent, SmtpRelay, Transport, TransportKind};
