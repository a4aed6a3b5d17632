//! HTTP connector tests (being written).
