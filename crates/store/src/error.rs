//! The store's error type.

/// What can go wrong in the persistence layer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database could not be reached.
    #[error("{0}")]
    Connect(String),
    /// A read-only command was pointed at a SQLite file that does not exist (nothing was
    /// created).
    #[error(
        "no database at {0}: check --database-url / DSRFLOW_DATABASE_URL (`dsrflow migrate` or `dsrflow serve` creates one)"
    )]
    Missing(String),
    /// A query failed.
    #[error("database error: {0}")]
    Db(#[from] sea_orm::DbErr),
    /// A unique constraint was violated (e.g. a token name already taken).
    #[error("{0} already exists")]
    Conflict(&'static str),
    /// A row changed under us (optimistic concurrency).
    #[error("the record was changed by someone else; retry")]
    Concurrent,
    /// A grouped write's shared transaction could not be opened or committed.
    #[error("database error: {0}")]
    Batch(String),
    /// Data in the database is not what the code expects.
    #[error("corrupt data: {0}")]
    Corrupt(String),
}

impl StoreError {
    /// Whether this error is a unique-constraint violation.
    pub fn is_unique_violation(err: &sea_orm::DbErr) -> bool {
        matches!(
            err.sql_err(),
            Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
        )
    }
}
