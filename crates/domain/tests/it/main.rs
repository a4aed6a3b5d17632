//! The domain from the outside, through its public API only. One test binary for the crate.

#![expect(clippy::unwrap_used, reason = "tests")]
#![allow(missing_docs)]

mod deadline;
