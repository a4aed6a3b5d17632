//! Integration tests of dsrflow-mail: every message in every language, the override folder,
//! the file and memory transports, a real SMTP server (aiosmtpd) when Python has it, and inbound
//! mail parsing and classification.

#![expect(clippy::unwrap_used, reason = "tests")]

mod corpus;
mod inbound;
mod render;
mod smtp;
mod support;
mod transport;
