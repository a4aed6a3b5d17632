//! The `sql` connector: a PostgreSQL, MySQL/MariaDB or SQLite database.
//!
//! Tables are declared with the column(s) that identify the subject, or as children joined to a
//! parent table through a foreign key. Per table, erasure deletes, anonymises (columns set to
//! fixed values, `{key}` templates or NULL) or retains under a retention rule of the data map.
//! Access selects the rows as JSON. Every value is a bound parameter; identifiers are checked
//! against a strict pattern at start-up and quoted. All work on one system runs in one
//! transaction, children before parents.

use std::collections::BTreeMap;
use std::str::FromStr;
use std::time::Duration;

use dsrflow_domain::TaskAction;
use dsrflow_domain::datamap::System;
use serde::Deserialize;
use sqlx::mysql::{MySqlConnectOptions, MySqlPool, MySqlPoolOptions};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions};
use sqlx::{AssertSqlSafe, Column, Row, TypeInfo, ValueRef};

use crate::config::{BuildError, Env, parse, resolve};
use crate::{
    Connector, ConnectorError, Dataset, Effect, Item, Outcome, Report, Subject, SubjectField,
    TaskRequest,
};

mod tables;
mod values;

use self::tables::*;
use self::values::*;

fn default_max_rows() -> usize {
    50_000
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SqlConfig {
    url: String,
    #[serde(default = "default_max_rows")]
    max_rows: usize,
    #[serde(rename = "table")]
    tables: Vec<TableConfig>,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
enum EraseMode {
    Delete,
    Anonymise,
    Retain,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ColumnSet {
    column: String,
    value: serde_json::Value,
    /// For `restrict`: the value that lifts the restriction again.
    #[serde(default)]
    lifted: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TableConfig {
    name: String,
    #[serde(default)]
    key: Option<String>,
    #[serde(default, rename = "match")]
    matches: BTreeMap<SubjectField, String>,
    #[serde(default)]
    parent: Option<String>,
    #[serde(default)]
    foreign_key: Option<String>,
    erase: EraseMode,
    #[serde(default)]
    anonymise: BTreeMap<String, serde_json::Value>,
    #[serde(default)]
    nullify: Vec<String>,
    #[serde(default)]
    retain: Option<String>,
    /// The column holding each kept record's date (an invoice date): the report then says
    /// until when the newest is kept.
    #[serde(default)]
    retain_from: Option<String>,
    #[serde(default)]
    opt_out: Option<ColumnSet>,
    #[serde(default)]
    restrict: Option<ColumnSet>,
    /// Which column holds each correctable detail: `{ name = "name", postal_address = "street" }`.
    #[serde(default)]
    rectify: BTreeMap<String, String>,
}

/// A bound value.
#[derive(Debug, Clone, PartialEq)]
enum Bind {
    Null,
    Text(String),
    Int(i64),
    Float(f64),
    Bool(bool),
}

impl Bind {
    fn from_json(v: &serde_json::Value) -> Option<Bind> {
        match v {
            serde_json::Value::Null => Some(Bind::Null),
            serde_json::Value::String(s) => Some(Bind::Text(s.clone())),
            serde_json::Value::Bool(b) => Some(Bind::Bool(*b)),
            serde_json::Value::Number(n) => n
                .as_i64()
                .map(Bind::Int)
                .or_else(|| n.as_f64().map(Bind::Float)),
            _ => None,
        }
    }
}

/// A replacement for one column when anonymising.
#[derive(Debug, Clone)]
enum Replacement {
    Value(Bind),
    /// Literal text around the row's key: `anonymised-{key}@example.invalid`.
    KeyTemplate(Vec<String>),
    /// Literal text around the subject's pseudonym: `erased-{subject}@invalid.example`. The
    /// row stays findable by a later request of the same subject (what a retention rule keeps
    /// linked to it), by no one else.
    SubjectTemplate(String, String),
}

#[derive(Debug, Clone)]
enum Erase {
    Delete,
    Anonymise(Vec<(String, Replacement)>),
    Retain {
        rule: String,
        /// The rule's period and the date column it runs from, when declared.
        from: Option<(dsrflow_domain::datamap::Period, String)>,
    },
}

#[derive(Debug, Clone)]
struct Table {
    name: String,
    key: String,
    matches: Vec<(SubjectField, String)>,
    parent: Option<(usize, String)>,
    erase: Erase,
    opt_out: Option<(String, Bind)>,
    restrict: Option<(String, Bind)>,
    /// What lifting the restriction sets (the restrict column, its `lifted` value).
    lift: Option<(String, Bind)>,
    /// (detail, column) pairs a rectification may set.
    rectify: Vec<(String, String)>,
    depth: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dialect {
    Sqlite,
    Postgres,
    MySql,
}

impl Dialect {
    fn quote(self, ident: &str) -> String {
        let q = if self == Dialect::MySql { '`' } else { '"' };
        ident
            .split('.')
            .map(|part| format!("{q}{part}{q}"))
            .collect::<Vec<_>>()
            .join(".")
    }

    fn placeholder(self, n: usize) -> String {
        if self == Dialect::Postgres {
            format!("${n}")
        } else {
            "?".to_owned()
        }
    }

    fn as_text(self, expr: &str) -> String {
        if self == Dialect::MySql {
            format!("CAST({expr} AS CHAR)")
        } else {
            format!("CAST({expr} AS TEXT)")
        }
    }

    fn concat(self, parts: &[String]) -> String {
        if self == Dialect::MySql {
            format!("CONCAT({})", parts.join(", "))
        } else {
            parts.join(" || ")
        }
    }
}

/// A statement with its parameters.
#[derive(Debug, Clone)]
struct Stmt {
    sql: String,
    binds: Vec<Bind>,
}

impl Stmt {
    fn push_bind(&mut self, d: Dialect, b: Bind) -> String {
        self.binds.push(b);
        d.placeholder(self.binds.len())
    }
}

enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
    MySql(MySqlPool),
}

/// A connector to one SQL database.
pub struct SqlConnector {
    pool: Pool,
    /// SQLite allows one writer per file: tasks on the same file queue here, in memory, instead
    /// of colliding and sleeping in SQLite's busy handler.
    sqlite_writer: tokio::sync::Mutex<()>,
    dialect: Dialect,
    tables: Vec<Table>,
    max_rows: usize,
}

impl std::fmt::Debug for SqlConnector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqlConnector")
            .field("dialect", &self.dialect)
            .field("tables", &self.tables.len())
            .finish()
    }
}

impl SqlConnector {
    /// Builds the connector (the pool connects lazily, so a database that is down does not stop
    /// the start; `dsrflow connector check` tests it).
    pub fn from_config(
        system: &System,
        value: &serde_json::Value,
        env: Env<'_>,
    ) -> Result<Self, BuildError> {
        let cfg: SqlConfig = parse(value)?;
        let url = resolve(&cfg.url, "url", env)?;
        if !cfg.url.starts_with("env:") && url_has_password(&url) {
            return Err(BuildError::new(
                "url",
                "the URL contains a password: give it as env:VARIABLE",
            ));
        }
        if cfg.tables.is_empty() {
            return Err(BuildError::new("table", "declare at least one table"));
        }
        if cfg.max_rows == 0 {
            return Err(BuildError::new("max_rows", "must be at least 1"));
        }
        let (pool, dialect) = connect_lazy(&url)?;
        let tables = build_tables(system, &cfg.tables)?;
        Ok(Self {
            pool,
            sqlite_writer: tokio::sync::Mutex::new(()),
            dialect,
            tables,
            max_rows: cfg.max_rows,
        })
    }

    /// The WHERE condition selecting the subject's rows of table `t`, or None when the subject
    /// has none of the identifiers the table is matched by.
    fn condition(&self, t: usize, subject: &Subject, stmt: &mut Stmt) -> Option<String> {
        let d = self.dialect;
        let table = &self.tables[t];
        if let Some((p, fk)) = &table.parent {
            let parent = &self.tables[*p];
            let inner = self.condition(*p, subject, stmt)?;
            return Some(format!(
                "{} IN (SELECT {} FROM {} WHERE {inner})",
                d.quote(fk),
                d.quote(&parent.key),
                d.quote(&parent.name)
            ));
        }
        let mut ors = Vec::new();
        for (field, column) in &table.matches {
            let Some(value) = subject.field(*field) else {
                continue;
            };
            let ph = stmt.push_bind(d, Bind::Text(value.to_owned()));
            ors.push(match field {
                SubjectField::Email | SubjectField::Name => {
                    format!("LOWER({}) = LOWER({ph})", d.quote(column))
                }
                _ => format!("{} = {ph}", d.quote(column)),
            });
        }
        // Rows an earlier erasure anonymised under the subject's pseudonym (kept linked to
        // retained rows) are still theirs.
        if let Erase::Anonymise(sets) = &table.erase {
            for (column, rep) in sets {
                if let Replacement::SubjectTemplate(before, after) = rep {
                    let ph = stmt.push_bind(
                        d,
                        Bind::Text(format!("{before}{}{after}", subject.pseudonym)),
                    );
                    ors.push(format!("{} = {ph}", d.quote(column)));
                }
            }
        }
        (!ors.is_empty()).then(|| format!("({})", ors.join(" OR ")))
    }

    fn select(&self, t: usize, subject: &Subject) -> Option<Stmt> {
        let d = self.dialect;
        let mut stmt = Stmt {
            sql: String::new(),
            binds: vec![],
        };
        let cond = self.condition(t, subject, &mut stmt)?;
        let table = d.quote(&self.tables[t].name);
        // One row more than the limit tells us the set was cut.
        let limit = self.max_rows + 1;
        stmt.sql = match d {
            Dialect::Postgres => format!(
                "SELECT row_to_json(t)::text AS row_json FROM (SELECT * FROM {table} WHERE {cond} LIMIT {limit}) t"
            ),
            _ => format!("SELECT * FROM {table} WHERE {cond} LIMIT {limit}"),
        };
        Some(stmt)
    }

    /// Counts the subject's rows; with `latest`, also the newest value of that (date) column,
    /// as text.
    fn count(&self, t: usize, subject: &Subject, latest: Option<&str>) -> Option<Stmt> {
        let d = self.dialect;
        let mut stmt = Stmt {
            sql: String::new(),
            binds: vec![],
        };
        let cond = self.condition(t, subject, &mut stmt)?;
        let latest = latest
            .map(|c| format!(", {} AS latest", d.as_text(&format!("MAX({})", d.quote(c)))))
            .unwrap_or_default();
        stmt.sql = format!(
            "SELECT COUNT(*) AS n{latest} FROM {} WHERE {cond}",
            d.quote(&self.tables[t].name)
        );
        Some(stmt)
    }

    fn delete(&self, t: usize, subject: &Subject) -> Option<Stmt> {
        let mut stmt = Stmt {
            sql: String::new(),
            binds: vec![],
        };
        let cond = self.condition(t, subject, &mut stmt)?;
        stmt.sql = format!(
            "DELETE FROM {} WHERE {cond}",
            self.dialect.quote(&self.tables[t].name)
        );
        Some(stmt)
    }

    fn update(&self, t: usize, subject: &Subject, sets: &[(String, Replacement)]) -> Option<Stmt> {
        let d = self.dialect;
        let table = &self.tables[t];
        let mut stmt = Stmt {
            sql: String::new(),
            binds: vec![],
        };
        let mut assignments = Vec::new();
        for (col, rep) in sets {
            let expr = match rep {
                // A literal NULL: a bound NULL would carry a type (text) that PostgreSQL refuses
                // for date or numeric columns.
                Replacement::Value(Bind::Null) => "NULL".to_owned(),
                Replacement::Value(b) => stmt.push_bind(d, b.clone()),
                Replacement::SubjectTemplate(before, after) => stmt.push_bind(
                    d,
                    Bind::Text(format!("{before}{}{after}", subject.pseudonym)),
                ),
                Replacement::KeyTemplate(parts) => {
                    let mut pieces = Vec::new();
                    for (i, lit) in parts.iter().enumerate() {
                        if i > 0 {
                            pieces.push(d.as_text(&d.quote(&table.key)));
                        }
                        if !lit.is_empty() {
                            pieces.push(stmt.push_bind(d, Bind::Text(lit.clone())));
                        }
                    }
                    d.concat(&pieces)
                }
            };
            assignments.push(format!("{} = {expr}", d.quote(col)));
        }
        let cond = self.condition(t, subject, &mut stmt)?;
        stmt.sql = format!(
            "UPDATE {} SET {} WHERE {cond}",
            d.quote(&table.name),
            assignments.join(", ")
        );
        Some(stmt)
    }

    /// The statements of one action, children before parents.
    fn plan(
        &self,
        action: TaskAction,
        subject: &Subject,
        corrections: &[dsrflow_domain::Correction],
    ) -> Vec<(usize, Op)> {
        let mut order: Vec<usize> = (0..self.tables.len()).collect();
        order.sort_by_key(|&t| std::cmp::Reverse(self.tables[t].depth));
        let mut ops = Vec::new();
        for t in order {
            let table = &self.tables[t];
            let op = match action {
                TaskAction::Access => self.select(t, subject).map(Op::Select),
                TaskAction::Erase => match &table.erase {
                    Erase::Delete => self
                        .delete(t, subject)
                        .map(|s| Op::Write(s, Effect::Deleted)),
                    Erase::Anonymise(sets) => self
                        .update(t, subject, sets)
                        .map(|s| Op::Write(s, Effect::Anonymised)),
                    Erase::Retain { rule, from } => self
                        .count(t, subject, from.as_ref().map(|(_, c)| c.as_str()))
                        .map(|s| Op::Retained(s, rule.clone(), from.as_ref().map(|(p, _)| *p))),
                },
                TaskAction::OptOut => table.opt_out.as_ref().and_then(|(c, v)| {
                    self.update(t, subject, &[(c.clone(), Replacement::Value(v.clone()))])
                        .map(|s| Op::Write(s, Effect::OptedOut))
                }),
                TaskAction::Restrict => table.restrict.as_ref().and_then(|(c, v)| {
                    self.update(t, subject, &[(c.clone(), Replacement::Value(v.clone()))])
                        .map(|s| Op::Write(s, Effect::Restricted))
                }),
                TaskAction::Rectify => {
                    let sets: Vec<(String, Replacement)> = table
                        .rectify
                        .iter()
                        .filter_map(|(field, column)| {
                            corrections.iter().find(|c| &c.field == field).map(|c| {
                                (
                                    column.clone(),
                                    Replacement::Value(Bind::Text(c.value.clone())),
                                )
                            })
                        })
                        .collect();
                    if sets.is_empty() {
                        None
                    } else {
                        self.update(t, subject, &sets)
                            .map(|s| Op::Write(s, Effect::Corrected))
                    }
                }
                TaskAction::Lift => table.lift.as_ref().and_then(|(c, v)| {
                    self.update(t, subject, &[(c.clone(), Replacement::Value(v.clone()))])
                        .map(|s| Op::Write(s, Effect::Lifted))
                }),
                TaskAction::Notify | TaskAction::Decide => None,
            };
            if let Some(op) = op {
                ops.push((t, op));
            }
        }
        ops
    }
}

enum Op {
    Select(Stmt),
    /// The rows kept under a rule; with the rule's period, the count's statement also reads
    /// the newest record's date.
    Retained(Stmt, String, Option<dsrflow_domain::datamap::Period>),
    Write(Stmt, Effect),
}

/// The day the newest kept record may go: its date (the first ten characters of the column's
/// text, `YYYY-MM-DD`) plus the rule's period.
fn kept_until(
    latest: Option<String>,
    period: Option<dsrflow_domain::datamap::Period>,
) -> Option<chrono::NaiveDate> {
    let day = chrono::NaiveDate::parse_from_str(latest?.get(..10)?, "%Y-%m-%d").ok()?;
    period?.after(day)
}

fn url_has_password(url: &str) -> bool {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => url[s + 3..at].contains(':'),
        _ => false,
    }
}

fn connect_lazy(url: &str) -> Result<(Pool, Dialect), BuildError> {
    let bad = |e: sqlx::Error| BuildError::new("url", format!("invalid database URL: {e}"));
    if url.starts_with("sqlite:") {
        let opts = SqliteConnectOptions::from_str(url)
            .map_err(bad)?
            .create_if_missing(false)
            .busy_timeout(Duration::from_secs(5))
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(2)
            .acquire_timeout(Duration::from_secs(10))
            .connect_lazy_with(opts);
        Ok((Pool::Sqlite(pool), Dialect::Sqlite))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let opts = PgConnectOptions::from_str(url).map_err(bad)?;
        let pool = PgPoolOptions::new()
            .max_connections(4)
            .acquire_timeout(Duration::from_secs(10))
            .connect_lazy_with(opts);
        Ok((Pool::Postgres(pool), Dialect::Postgres))
    } else if url.starts_with("mysql://") || url.starts_with("mariadb://") {
        let url = url.replacen("mariadb://", "mysql://", 1);
        let opts = MySqlConnectOptions::from_str(&url).map_err(bad)?;
        let pool = MySqlPoolOptions::new()
            .max_connections(4)
            .acquire_timeout(Duration::from_secs(10))
            .connect_lazy_with(opts);
        Ok((Pool::MySql(pool), Dialect::MySql))
    } else {
        Err(BuildError::new(
            "url",
            "must start with sqlite:, postgres://, mysql:// or mariadb://",
        ))
    }
}

macro_rules! run_ops {
    ($pool:expr, $db:ty, $ops:expr, $self:expr, $row_json:expr) => {{
        let mut tx = $pool.begin().await.map_err(db_error)?;
        let mut report = Report::default();
        for (t, op) in $ops {
            let table = &$self.tables[t];
            match op {
                Op::Select(stmt) => {
                    let rows = bind!($db, stmt)
                        .fetch_all(&mut *tx)
                        .await
                        .map_err(|e| on_table(&table.name, e))?;
                    let truncated = rows.len() > $self.max_rows;
                    let records: Vec<serde_json::Value> = rows
                        .iter()
                        .take($self.max_rows)
                        .map(|r| $row_json(r))
                        .collect();
                    report.items.push(Item {
                        target: table.name.clone(),
                        effect: if records.is_empty() {
                            Effect::NotFound
                        } else {
                            Effect::Found
                        },
                        count: records.len() as u64,
                        rule: None,
                        until: None,
                    });
                    if !records.is_empty() {
                        report.data.push(Dataset {
                            name: table.name.clone(),
                            records,
                            truncated,
                        });
                    }
                }
                Op::Retained(stmt, rule, period) => {
                    let row = bind!($db, stmt)
                        .fetch_one(&mut *tx)
                        .await
                        .map_err(|e| on_table(&table.name, e))?;
                    let n: i64 = row.try_get(0).map_err(|e| on_table(&table.name, e))?;
                    let latest: Option<String> = if period.is_some() {
                        row.try_get(1).map_err(|e| on_table(&table.name, e))?
                    } else {
                        None
                    };
                    report.items.push(Item {
                        target: table.name.clone(),
                        effect: Effect::Retained,
                        count: n.max(0) as u64,
                        rule: (n > 0).then_some(rule),
                        until: if n > 0 {
                            kept_until(latest, period)
                        } else {
                            None
                        },
                    });
                }
                Op::Write(stmt, effect) => {
                    let n = bind!($db, stmt)
                        .execute(&mut *tx)
                        .await
                        .map_err(|e| on_table(&table.name, e))?
                        .rows_affected();
                    report.items.push(Item {
                        target: table.name.clone(),
                        effect,
                        count: n,
                        rule: None,
                        until: None,
                    });
                }
            }
        }
        tx.commit().await.map_err(db_error)?;
        Ok::<Report, ConnectorError>(report)
    }};
}

macro_rules! bind {
    ($db:ty, $stmt:expr) => {{
        let mut q = sqlx::query::<$db>(AssertSqlSafe($stmt.sql.clone()));
        for b in &$stmt.binds {
            q = match b {
                Bind::Null => q.bind(None::<String>),
                Bind::Text(s) => q.bind(s.clone()),
                Bind::Int(n) => q.bind(*n),
                Bind::Float(f) => q.bind(*f),
                Bind::Bool(v) => q.bind(*v),
            };
        }
        q
    }};
}

#[async_trait::async_trait]
impl Connector for SqlConnector {
    async fn check(&self) -> Result<String, ConnectorError> {
        // Counting zero rows of every table proves the connection and that each table exists.
        let d = self.dialect;
        // A SQLite file that is not there is named as such (the first table's query would only
        // say "unable to open database file"); it is never created.
        if let Pool::Sqlite(p) = &self.pool {
            let opts = p.connect_options();
            let file = opts.get_filename();
            let name = file.to_string_lossy();
            let in_memory = name.starts_with("file:") || name.contains(":memory:");
            if !name.is_empty() && !in_memory && !file.is_file() {
                return Err(ConnectorError::permanent(format!(
                    "the SQLite file {} does not exist",
                    file.display()
                )));
            }
        }
        let mut checked = 0;
        for t in &self.tables {
            let sql = format!("SELECT COUNT(*) FROM {} WHERE 1 = 0", d.quote(&t.name));
            let res = match &self.pool {
                Pool::Sqlite(p) => sqlx::query(AssertSqlSafe(sql)).execute(p).await.map(|_| ()),
                Pool::Postgres(p) => sqlx::query(AssertSqlSafe(sql)).execute(p).await.map(|_| ()),
                Pool::MySql(p) => sqlx::query(AssertSqlSafe(sql)).execute(p).await.map(|_| ()),
            };
            res.map_err(|e| {
                let e = db_error(e);
                ConnectorError::permanent(format!("table {}: {e}", t.name))
            })?;
            checked += 1;
        }
        Ok(format!("connected; {checked} tables reachable"))
    }

    async fn run(&self, req: &TaskRequest<'_>) -> Result<Outcome, ConnectorError> {
        let ops = self.plan(req.action, req.subject, req.corrections);
        // The details a rectification asks for that no table declares: not held here.
        let not_held: Vec<&str> = req
            .corrections
            .iter()
            .filter(|c| {
                !self
                    .tables
                    .iter()
                    .any(|t| t.rectify.iter().any(|(f, _)| *f == c.field))
            })
            .map(|c| c.field.as_str())
            .collect();
        let has_action_config = match req.action {
            TaskAction::OptOut => self.tables.iter().any(|t| t.opt_out.is_some()),
            TaskAction::Restrict => self.tables.iter().any(|t| t.restrict.is_some()),
            TaskAction::Access | TaskAction::Erase => true,
            // Corrections the tables can apply; none (or only free text) goes to a person.
            TaskAction::Rectify => not_held.len() < req.corrections.len(),
            TaskAction::Lift => self.tables.iter().any(|t| t.lift.is_some()),
            TaskAction::Notify | TaskAction::Decide => false,
        };
        if !has_action_config {
            return Ok(Outcome::Manual {
                instructions: format!(
                    "{}; this database has no configuration for it",
                    req.action.instructions(req.kind)
                ),
            });
        }
        let report = match &self.pool {
            Pool::Sqlite(p) => {
                let _writer = self.sqlite_writer.lock().await;
                run_ops!(p, sqlx::Sqlite, ops, self, sqlite_row)
            }
            Pool::Postgres(p) => run_ops!(p, sqlx::Postgres, ops, self, pg_row),
            Pool::MySql(p) => run_ops!(p, sqlx::MySql, ops, self, mysql_row),
        }?;
        let report = if req.action == TaskAction::Rectify && !not_held.is_empty() {
            Report {
                note: Some(format!(
                    "not held in this system (no column declared): {}",
                    not_held.join(", ")
                )),
                ..report
            }
        } else {
            report
        };
        Ok(Outcome::Done(report))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_strict() {
        assert!(valid_ident("res_partner"));
        assert!(valid_ident("public.res_partner"));
        assert!(!valid_ident("res partner"));
        assert!(!valid_ident("x; DROP TABLE y"));
        assert!(!valid_ident("a.b.c"));
        assert!(!valid_ident("1abc"));
        assert!(!valid_ident("\"quoted\""));
    }

    #[test]
    fn quoting_follows_the_dialect() {
        assert_eq!(Dialect::Postgres.quote("public.t"), "\"public\".\"t\"");
        assert_eq!(Dialect::MySql.quote("t"), "`t`");
        assert_eq!(Dialect::Postgres.placeholder(3), "$3");
        assert_eq!(Dialect::Sqlite.placeholder(3), "?");
        assert_eq!(
            Dialect::MySql.concat(&["?".to_owned(), "x".to_owned()]),
            "CONCAT(?, x)"
        );
    }

    #[test]
    fn passwords_in_literal_urls_are_detected() {
        assert!(url_has_password("postgres://app:secret@db/x"));
        assert!(!url_has_password("postgres://app@db/x"));
        assert!(!url_has_password("sqlite:///tmp/x.db"));
    }
}
