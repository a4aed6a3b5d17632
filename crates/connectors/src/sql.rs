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
    #[serde(default)]
    opt_out: Option<ColumnSet>,
    #[serde(default)]
    restrict: Option<ColumnSet>,
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
}

#[derive(Debug, Clone)]
enum Erase {
    Delete,
    Anonymise(Vec<(String, Replacement)>),
    Retain { rule: String },
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

fn valid_ident(s: &str) -> bool {
    let part_ok = |p: &str| {
        let mut chars = p.chars();
        matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
            && p.len() <= 63
    };
    let parts: Vec<&str> = s.split('.').collect();
    (1..=2).contains(&parts.len()) && parts.iter().all(|p| part_ok(p))
}

fn ident(s: &str, key: &str) -> Result<String, BuildError> {
    if valid_ident(s) {
        Ok(s.to_owned())
    } else {
        Err(BuildError::new(
            key,
            format!(
                "{s:?} is not a plain SQL identifier (letters, digits, _; optionally schema.name)"
            ),
        ))
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

    fn count(&self, t: usize, subject: &Subject) -> Option<Stmt> {
        let mut stmt = Stmt {
            sql: String::new(),
            binds: vec![],
        };
        let cond = self.condition(t, subject, &mut stmt)?;
        stmt.sql = format!(
            "SELECT COUNT(*) AS n FROM {} WHERE {cond}",
            self.dialect.quote(&self.tables[t].name)
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
    fn plan(&self, action: TaskAction, subject: &Subject) -> Vec<(usize, Op)> {
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
                    Erase::Retain { rule } => self
                        .count(t, subject)
                        .map(|s| Op::Count(s, Effect::Retained, Some(rule.clone()))),
                },
                TaskAction::OptOut => table.opt_out.as_ref().and_then(|(c, v)| {
                    self.update(t, subject, &[(c.clone(), Replacement::Value(v.clone()))])
                        .map(|s| Op::Write(s, Effect::OptedOut))
                }),
                TaskAction::Restrict => table.restrict.as_ref().and_then(|(c, v)| {
                    self.update(t, subject, &[(c.clone(), Replacement::Value(v.clone()))])
                        .map(|s| Op::Write(s, Effect::Restricted))
                }),
                TaskAction::Rectify | TaskAction::Notify | TaskAction::Decide => None,
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
    Count(Stmt, Effect, Option<String>),
    Write(Stmt, Effect),
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

fn build_tables(system: &System, cfgs: &[TableConfig]) -> Result<Vec<Table>, BuildError> {
    let index: BTreeMap<&str, usize> = cfgs
        .iter()
        .enumerate()
        .map(|(i, t)| (t.name.as_str(), i))
        .collect();
    if index.len() != cfgs.len() {
        return Err(BuildError::new("table", "a table is declared twice"));
    }
    let mut tables = Vec::with_capacity(cfgs.len());
    for (i, c) in cfgs.iter().enumerate() {
        let k = |key: &str| format!("table[{i}].{key}");
        let name = ident(&c.name, &k("name"))?;
        let key = ident(c.key.as_deref().unwrap_or("id"), &k("key"))?;
        let mut matches = Vec::new();
        for (field, col) in &c.matches {
            matches.push((*field, ident(col, &k("match"))?));
        }
        let parent = match (&c.parent, &c.foreign_key) {
            (Some(p), Some(fk)) => {
                let pi = *index.get(p.as_str()).ok_or_else(|| {
                    BuildError::new(k("parent"), format!("{p:?} is not a declared table"))
                })?;
                if pi == i {
                    return Err(BuildError::new(
                        k("parent"),
                        "a table cannot be its own parent",
                    ));
                }
                Some((pi, ident(fk, &k("foreign_key"))?))
            }
            (None, None) => None,
            _ => {
                return Err(BuildError::new(
                    k("parent"),
                    "parent and foreign_key go together",
                ));
            }
        };
        if parent.is_some() != matches.is_empty() {
            return Err(BuildError::new(
                k("match"),
                "a table is found either by match columns or through a parent (not both, not neither)",
            ));
        }
        let erase = match c.erase {
            EraseMode::Delete => Erase::Delete,
            EraseMode::Retain => {
                let cat = c.retain.as_deref().ok_or_else(|| {
                    BuildError::new(
                        k("retain"),
                        "erase = \"retain\" needs the retention category of the data map",
                    )
                })?;
                let rule = system.retention_for(cat).ok_or_else(|| {
                    BuildError::new(
                        k("retain"),
                        format!("{cat:?} has no retention rule in this system's data map"),
                    )
                })?;
                Erase::Retain {
                    rule: rule.describe(),
                }
            }
            EraseMode::Anonymise => {
                let mut sets = Vec::new();
                for (col, v) in &c.anonymise {
                    let col = ident(col, &k("anonymise"))?;
                    let rep = match v {
                        serde_json::Value::String(s) if s.contains("{key}") => {
                            Replacement::KeyTemplate(s.split("{key}").map(str::to_owned).collect())
                        }
                        other => Replacement::Value(Bind::from_json(other).ok_or_else(|| {
                            BuildError::new(
                                k("anonymise"),
                                "values must be text, numbers or booleans",
                            )
                        })?),
                    };
                    sets.push((col, rep));
                }
                for col in &c.nullify {
                    let col = ident(col, &k("nullify"))?;
                    if sets.iter().any(|(c, _)| *c == col) {
                        return Err(BuildError::new(
                            k("nullify"),
                            format!("{col} is also in anonymise: give each column one replacement"),
                        ));
                    }
                    sets.push((col, Replacement::Value(Bind::Null)));
                }
                if sets.is_empty() {
                    return Err(BuildError::new(
                        k("anonymise"),
                        "erase = \"anonymise\" needs columns to overwrite (anonymise or nullify)",
                    ));
                }
                Erase::Anonymise(sets)
            }
        };
        if c.erase != EraseMode::Retain && c.retain.is_some() {
            return Err(BuildError::new(
                k("retain"),
                "only used with erase = \"retain\"",
            ));
        }
        let column_set =
            |cs: &Option<ColumnSet>, key: &str| -> Result<Option<(String, Bind)>, BuildError> {
                cs.as_ref()
                    .map(|s| {
                        Ok((
                            ident(&s.column, &k(key))?,
                            Bind::from_json(&s.value).ok_or_else(|| {
                                BuildError::new(k(key), "value must be text, a number or a boolean")
                            })?,
                        ))
                    })
                    .transpose()
            };
        tables.push(Table {
            name,
            key,
            matches,
            parent,
            erase,
            opt_out: column_set(&c.opt_out, "opt_out")?,
            restrict: column_set(&c.restrict, "restrict")?,
            depth: 0,
        });
    }
    // Depths, rejecting cycles.
    for i in 0..tables.len() {
        let mut depth = 0;
        let mut cur = i;
        while let Some((p, _)) = &tables[cur].parent {
            depth += 1;
            cur = *p;
            if depth > tables.len() {
                return Err(BuildError::new(
                    format!("table[{i}].parent"),
                    "the parent links form a cycle",
                ));
            }
        }
        tables[i].depth = depth;
    }
    // A deleted parent would take (or be blocked by) a retained child.
    for (i, t) in tables.iter().enumerate() {
        if let (Erase::Retain { .. }, Some((p, _))) = (&t.erase, &t.parent)
            && matches!(tables[*p].erase, Erase::Delete)
        {
            return Err(BuildError::new(
                format!("table[{i}].erase"),
                format!(
                    "{} is retained but its parent {} is deleted: anonymise the parent instead",
                    t.name, tables[*p].name
                ),
            ));
        }
    }
    Ok(tables)
}

fn db_error(e: sqlx::Error) -> ConnectorError {
    match &e {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => {
            ConnectorError::transient(format!("database unreachable: {e}"))
        }
        sqlx::Error::Database(db) => {
            // Deadlocks, serialisation failures and lock timeouts are worth another attempt;
            // anything else (missing table, constraint) needs a person.
            let code = db.code().map(|c| c.to_string()).unwrap_or_default();
            let transient = matches!(
                code.as_str(),
                "40001" | "40P01" | "55P03" | "1213" | "1205" | "5" | "6"
            );
            let msg = format!("database error {code}: {}", db.message());
            if transient {
                ConnectorError::transient(msg)
            } else {
                ConnectorError::permanent(msg)
            }
        }
        _ => ConnectorError::permanent(format!("database error: {e}")),
    }
}

/// A database error, with the configured table it happened on.
fn on_table(table: &str, e: sqlx::Error) -> ConnectorError {
    match db_error(e) {
        ConnectorError::Transient {
            message,
            retry_after,
        } => ConnectorError::Transient {
            message: format!("table {table}: {message}"),
            retry_after,
        },
        ConnectorError::Permanent { message } => ConnectorError::Permanent {
            message: format!("table {table}: {message}"),
        },
    }
}

fn sqlite_value(row: &sqlx::sqlite::SqliteRow, i: usize) -> serde_json::Value {
    use serde_json::Value as J;
    let Ok(raw) = row.try_get_raw(i) else {
        return J::Null;
    };
    if raw.is_null() {
        return J::Null;
    }
    match raw.type_info().name() {
        "INTEGER" | "BOOLEAN" => row.try_get::<i64, _>(i).map(J::from).unwrap_or(J::Null),
        "REAL" => row.try_get::<f64, _>(i).map(J::from).unwrap_or(J::Null),
        "BLOB" => row
            .try_get::<Vec<u8>, _>(i)
            .map(|b| J::from(base64_encode(&b)))
            .unwrap_or(J::Null),
        _ => row.try_get::<String, _>(i).map(J::from).unwrap_or(J::Null),
    }
}

fn mysql_value(row: &sqlx::mysql::MySqlRow, i: usize) -> serde_json::Value {
    use serde_json::Value as J;
    let Ok(raw) = row.try_get_raw(i) else {
        return J::Null;
    };
    if raw.is_null() {
        return J::Null;
    }
    let ty = raw.type_info().name().to_ascii_uppercase();
    if ty.contains("UNSIGNED") {
        return row.try_get::<u64, _>(i).map(J::from).unwrap_or(J::Null);
    }
    match ty.as_str() {
        "BOOLEAN" => row.try_get::<bool, _>(i).map(J::from).unwrap_or(J::Null),
        "TINYINT" | "SMALLINT" | "MEDIUMINT" | "INT" | "BIGINT" | "YEAR" => {
            row.try_get::<i64, _>(i).map(J::from).unwrap_or(J::Null)
        }
        "FLOAT" | "DOUBLE" => row.try_get::<f64, _>(i).map(J::from).unwrap_or(J::Null),
        "DATETIME" => row
            .try_get::<chrono::NaiveDateTime, _>(i)
            .map(|t| J::from(t.to_string()))
            .unwrap_or(J::Null),
        "TIMESTAMP" => row
            .try_get::<chrono::DateTime<chrono::Utc>, _>(i)
            .map(|t| J::from(t.to_rfc3339()))
            .unwrap_or(J::Null),
        "DATE" => row
            .try_get::<chrono::NaiveDate, _>(i)
            .map(|t| J::from(t.to_string()))
            .unwrap_or(J::Null),
        "BLOB" | "TINYBLOB" | "MEDIUMBLOB" | "LONGBLOB" | "BINARY" | "VARBINARY" => row
            .try_get::<Vec<u8>, _>(i)
            .map(|b| J::from(base64_encode(&b)))
            .unwrap_or(J::Null),
        "JSON" => row.try_get::<serde_json::Value, _>(i).unwrap_or(J::Null),
        _ => row.try_get::<String, _>(i).map(J::from).unwrap_or(J::Null),
    }
}

fn base64_encode(b: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(b)
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
                    });
                    if !records.is_empty() {
                        report.data.push(Dataset {
                            name: table.name.clone(),
                            records,
                            truncated,
                        });
                    }
                }
                Op::Count(stmt, effect, rule) => {
                    let n: i64 = bind!($db, stmt)
                        .fetch_one(&mut *tx)
                        .await
                        .map_err(|e| on_table(&table.name, e))?
                        .try_get(0)
                        .map_err(|e| on_table(&table.name, e))?;
                    report.items.push(Item {
                        target: table.name.clone(),
                        effect,
                        count: n.max(0) as u64,
                        rule: if n > 0 { rule } else { None },
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

fn pg_row(row: &sqlx::postgres::PgRow) -> serde_json::Value {
    row.try_get::<String, _>(0)
        .ok()
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or(serde_json::Value::Null)
}

fn sqlite_row(row: &sqlx::sqlite::SqliteRow) -> serde_json::Value {
    let mut m = serde_json::Map::new();
    for (i, c) in row.columns().iter().enumerate() {
        m.insert(c.name().to_owned(), sqlite_value(row, i));
    }
    serde_json::Value::Object(m)
}

fn mysql_row(row: &sqlx::mysql::MySqlRow) -> serde_json::Value {
    let mut m = serde_json::Map::new();
    for (i, c) in row.columns().iter().enumerate() {
        m.insert(c.name().to_owned(), mysql_value(row, i));
    }
    serde_json::Value::Object(m)
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
        let ops = self.plan(req.action, req.subject);
        let has_action_config = match req.action {
            TaskAction::OptOut => self.tables.iter().any(|t| t.opt_out.is_some()),
            TaskAction::Restrict => self.tables.iter().any(|t| t.restrict.is_some()),
            TaskAction::Access | TaskAction::Erase => true,
            TaskAction::Rectify | TaskAction::Notify | TaskAction::Decide => false,
        };
        if !has_action_config {
            return Ok(Outcome::Manual {
                instructions: format!(
                    "{}; this database has no configuration for it",
                    crate::manual::action_instructions(req.action)
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
