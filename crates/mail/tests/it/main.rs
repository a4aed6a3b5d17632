//! Integration tests of dsrflow-mail: every message in every language, the override folder,
//! the file and memory transports, and a real SMTP server (aiosmtpd) when Python has it.

#![expect(clippy::unwrap_used, reason = "tests")]

mod render;
mod smtp;
mod support;
mod transport;
