//! End-to-end tests of dsrflow: the HTTP API against a real server and database, and the CLI
//! binary. One test binary for the crate (see the workspace's test conventions).

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod support;

mod accounts;
mod api_intake;
mod api_lifecycle;
mod audit;
mod browser;
pub(crate) mod cli;
mod dashboard;
mod demo;
mod email_connector;
mod fanout;
pub(crate) mod form;
mod imap;
mod inbox;
mod mail;
mod opendsr;
mod operate;
mod readme;
mod rectification;
mod reminders;
mod verification;
