//! dsrflow's persistence layer: the database connection (SQLite by default, PostgreSQL for
//! production), migrations, sea-orm entities, queries, and the hash-chained audit trail.
//!
//! Every state change goes through [`Store::write`], which opens a write transaction; the use
//! case writes its rows and its audit event in it and commits once.

pub mod accounts;
pub mod audit;
mod audited;
mod batch;
mod coalesce;
pub mod entity;
pub mod error;
mod group;
pub mod inbox;
pub mod intake;
pub mod outbox;
pub mod packages;
pub mod requests;
pub mod scratch;
pub mod suppressions;
pub mod tasks;
pub mod tokens;
pub mod verifications;
pub mod work;

use std::sync::Arc;
use std::time::Duration;

use dsrflow_migrations::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};
use tokio::sync::{Mutex, OwnedMutexGuard};

pub use error::StoreError;
pub use sea_orm;

/// The default database: a SQLite file in the working directory.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://dsrflow.db";

/// A handle to the database, cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    db: DatabaseConnection,
    /// SQLite allows one writer at a time. Queuing writers here, in memory, avoids SQLite's
    /// sleeping busy handler (which would add milliseconds of latency under concurrency).
    write_gate: Option<Arc<Mutex<()>>>,
    /// The SQLite file, when the database is one (not in memory).
    sqlite_file: Option<std::path::PathBuf>,
    /// Writes that share a transaction ([`Store::grouped`]).
    group: Arc<group::Group>,
    /// Audited changes that commit on their own ([`Store::audited_change`]).
    audited: Arc<audited::Batcher>,
    /// Audited changes with companion statements (fan-outs), batched apart from the others:
    /// mixed, every batch would be a statement of a new shape, prepared and planned anew.
    audited_with: Arc<audited::Batcher>,
    /// Reads that workers make at the same moment ([`work`]).
    reads: Arc<work::Reads>,
}

impl Store {
    /// Connects to `url` (`sqlite://path`, `sqlite::memory:`, or `postgres://…`).
    ///
    /// SQLite files are created if missing and run in WAL mode with `synchronous=NORMAL` on every
    /// pooled connection, foreign keys on and a 5 s busy timeout for other processes.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Self::connect_with(url, true).await
    }

    /// Connects to a database that must already exist: a missing SQLite file is
    /// [`StoreError::Missing`] and nothing is created (for commands that only read).
    pub async fn open_existing(url: &str) -> Result<Self, StoreError> {
        backend_of(url)?;
        if let Some(path) = sqlite_file_of(url)
            && !path.is_file()
        {
            return Err(StoreError::Missing(path.display().to_string()));
        }
        Self::connect_with(url, false).await
    }

    async fn connect_with(url: &str, create: bool) -> Result<Self, StoreError> {
        let backend = backend_of(url)?;
        let mut opts = ConnectOptions::new(url.to_owned());
        opts.max_connections(if backend == DbBackend::Sqlite { 12 } else { 16 })
            .min_connections(1)
            .connect_timeout(Duration::from_secs(10))
            .acquire_timeout(Duration::from_secs(10))
            .sqlx_logging(false);
        if backend == DbBackend::Sqlite {
            opts.map_sqlx_sqlite_opts(move |o| {
                o.create_if_missing(create)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(5))
            });
        } else {
            let url = url.to_owned();
            opts.map_sqlx_postgres_opts(move |o| {
                let loopback = o.get_socket().is_some() || is_loopback(o.get_host());
                if loopback && !names_ssl_mode(&url, std::env::var("PGSSLMODE").ok().as_deref()) {
                    o.ssl_mode(sea_orm::sqlx::postgres::PgSslMode::Disable)
                } else {
                    o
                }
            });
        }
        let db = Database::connect(opts)
            .await
            .map_err(|e| StoreError::Connect(connect_message(url, &e)))?;
        let write_gate = (backend == DbBackend::Sqlite).then(|| Arc::new(Mutex::new(())));
        Ok(Self {
            db,
            write_gate,
            sqlite_file: sqlite_file_of(url),
            group: Arc::default(),
            audited: Arc::default(),
            audited_with: Arc::default(),
            reads: Arc::default(),
        })
    }

    /// The SQLite database file, when the database is a SQLite file.
    pub fn sqlite_file(&self) -> Option<&std::path::Path> {
        self.sqlite_file.as_deref()
    }

    /// Applies pending migrations (idempotent).
    pub async fn migrate(&self) -> Result<(), StoreError> {
        Migrator::up(&self.db, None).await?;
        Ok(())
    }

    /// The names of the migrations this database still lacks; reads only (creates not even
    /// the migrations table).
    pub async fn pending_migrations(&self) -> Result<Vec<String>, StoreError> {
        Ok(Migrator::get_pending_migrations_read_only(&self.db)
            .await?
            .iter()
            .map(|m| m.name().to_owned())
            .collect())
    }

    /// The connection pool, for reads.
    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    /// The database kind.
    pub fn backend(&self) -> DbBackend {
        self.db.get_database_backend()
    }

    /// Opens a write transaction. On SQLite it is `BEGIN IMMEDIATE` (the write lock is taken at
    /// once, so a read-then-write never fails with a stale snapshot) behind the in-process gate.
    pub async fn write(&self) -> Result<WriteTx, StoreError> {
        let guard = match &self.write_gate {
            Some(gate) => Some(gate.clone().lock_owned().await),
            None => None,
        };
        let txn = self
            .db
            .begin_with_options(TransactionOptions {
                sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                ..Default::default()
            })
            .await?;
        Ok(WriteTx { txn, _guard: guard })
    }

    /// Runs `f` while holding the SQLite write gate (no-op on PostgreSQL): for writes made
    /// outside [`Store::write`] on the same database (the job queue's), so they do not collide
    /// with a write transaction and sleep in SQLite's busy handler.
    pub async fn gated<T>(&self, f: impl std::future::Future<Output = T>) -> T {
        match &self.write_gate {
            Some(gate) => {
                let _guard = gate.lock().await;
                f.await
            }
            None => f.await,
        }
    }

    /// Closes the pool.
    pub async fn close(self) -> Result<(), StoreError> {
        self.db.close().await?;
        Ok(())
    }

    /// Checks that the database answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.db.ping().await?;
        Ok(())
    }
}

/// An open write transaction; dropped without [`WriteTx::commit`] it rolls back.
pub struct WriteTx {
    txn: DatabaseTransaction,
    _guard: Option<OwnedMutexGuard<()>>,
}

impl WriteTx {
    /// Commits the transaction.
    pub async fn commit(self) -> Result<(), StoreError> {
        self.txn.commit().await?;
        Ok(())
    }
}

impl std::ops::Deref for WriteTx {
    type Target = DatabaseTransaction;
    fn deref(&self) -> &DatabaseTransaction {
        &self.txn
    }
}

/// `sqlite://path/name.db?mode=rwc` → `path/name.db`; None for memory databases and others.
fn sqlite_file_of(url: &str) -> Option<std::path::PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty() && !path.contains(":memory:") && !path.starts_with("file::memory"))
        .then(|| std::path::PathBuf::from(path))
}

fn backend_of(url: &str) -> Result<DbBackend, StoreError> {
    if url.starts_with("sqlite:") {
        Ok(DbBackend::Sqlite)
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(DbBackend::Postgres)
    } else {
        Err(StoreError::Connect(
            "database URL must start with sqlite:// or postgres://".to_owned(),
        ))
    }
}

/// Whether a PostgreSQL host is this machine (a name or address of the loopback interface).
/// Connections to it skip TLS unless the URL or `PGSSLMODE` asks for a mode: on loopback TLS
/// protects nothing and costs a fifth of the CPU of a busy queue (docs/benchmarks.md).
fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host.starts_with('/')
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Whether the TLS mode was chosen: an `sslmode` parameter in the URL, or `PGSSLMODE`.
fn names_ssl_mode(url: &str, env: Option<&str>) -> bool {
    let in_url = url.split_once('?').is_some_and(|(_, query)| {
        query
            .split('&')
            .any(|pair| pair.split('=').next() == Some("sslmode"))
    });
    in_url || env.is_some_and(|v| !v.trim().is_empty())
}

/// A connection error without the password that the URL may contain.
fn connect_message(url: &str, err: &sea_orm::DbErr) -> String {
    format!("cannot connect to {}: {err}", redact_url(url))
}

/// The URL with any password (in the user part or a `password=` parameter) replaced by `***`,
/// for logs and messages.
pub fn redact_url(url: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let base = match (base.find("://"), base.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let creds = &base[scheme_end + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &base[..scheme_end + 3], &base[at..]),
                None => base.to_owned(),
            }
        }
        _ => base.to_owned(),
    };
    match query {
        None => base,
        Some(q) => {
            let params: Vec<String> = q
                .split('&')
                .map(|p| match p.split_once('=') {
                    Some((k, _))
                        if k.eq_ignore_ascii_case("password")
                            || k.eq_ignore_ascii_case("sslpassword") =>
                    {
                        format!("{k}=***")
                    }
                    _ => p.to_owned(),
                })
                .collect();
            format!("{base}?{}", params.join("&"))
        }
    }
}

/// Runs a statement that works the same way on both backends.
pub(crate) async fn exec(
    conn: &impl ConnectionTrait,
    sql: &str,
    values: Vec<sea_orm::Value>,
) -> Result<sea_orm::ExecResult, StoreError> {
    let stmt = sea_orm::Statement::from_sql_and_values(conn.get_database_backend(), sql, values);
    Ok(conn.execute_raw(stmt).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_postgres_skips_tls_unless_a_mode_is_named() {
        for host in [
            "localhost",
            "LOCALHOST",
            "127.0.0.1",
            "127.1.2.3",
            "::1",
            "[::1]",
            "/run/postgresql",
        ] {
            assert!(is_loopback(host), "{host}");
        }
        for host in [
            "db.example.com",
            "10.0.0.5",
            "192.168.1.2",
            "::2",
            "localhost.example.com",
        ] {
            assert!(!is_loopback(host), "{host}");
        }
        assert!(!names_ssl_mode("postgres://u@127.0.0.1/db", None));
        assert!(!names_ssl_mode(
            "postgres://u@127.0.0.1/db?application_name=x",
            Some("")
        ));
        assert!(names_ssl_mode(
            "postgres://u@127.0.0.1/db?sslmode=require",
            None
        ));
        assert!(names_ssl_mode(
            "postgres://u@127.0.0.1/db?a=b&sslmode=prefer",
            None
        ));
        assert!(!names_ssl_mode(
            "postgres://u@127.0.0.1/db?xsslmode=require",
            None
        ));
        assert!(names_ssl_mode(
            "postgres://u@127.0.0.1/db",
            Some("verify-full")
        ));
    }

    #[test]
    fn passwords_are_redacted_from_urls() {
        assert_eq!(
            redact_url("postgres://app:s3cret@db:5432/dsr"),
            "postgres://app:***@db:5432/dsr"
        );
        assert_eq!(redact_url("sqlite://dsrflow.db"), "sqlite://dsrflow.db");
        assert_eq!(
            redact_url("postgres://db/dsr?user=app&password=s3cret&sslmode=require"),
            "postgres://db/dsr?user=app&password=***&sslmode=require"
        );
        assert_eq!(
            redact_url("postgres://postgres@127.0.0.1/test"),
            "postgres://postgres@127.0.0.1/test"
        );
    }
}
