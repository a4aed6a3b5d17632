//! Connector tests against real peers: SQL databases (SQLite file, the machine's PostgreSQL and
//! MariaDB) and local HTTP servers implementing each processor's documented shapes.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod http;
mod opendsr;
mod sql;
