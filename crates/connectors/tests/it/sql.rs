//! SQL connector tests (being written).
