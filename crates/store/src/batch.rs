//! Several writes in one round trip.
//!
//! - **SQLite**: every statement sqlx runs is a message to the connection's own thread and
//!   back; under load that hand-off, not SQLite, is most of a small write's cost (measured on the
//!   intake benchmark: about a third of the CPU time in the scheduler). sqlx runs a text of
//!   several statements, with their parameters in order, in one hand-off, and stops at the
//!   first that fails (those before it have taken effect).
//! - **PostgreSQL**: the statements become the common table expressions of one statement
//!   (`WITH s0 AS (… RETURNING 1), s1 AS (…) SELECT …`), their parameters renumbered: one round
//!   trip, and all or nothing. Foreign keys are checked at the end of the statement, so a row
//!   and the rows that refer to it can go together.

use sea_orm::{ConnectionTrait, DbBackend, Statement};

use crate::StoreError;

/// Inserts, updates or deletes run together (see the module documentation).
#[derive(Debug, Default)]
pub struct Batch {
    statements: Vec<Statement>,
}

impl Extend<Statement> for Batch {
    fn extend<I: IntoIterator<Item = Statement>>(&mut self, iter: I) {
        self.statements.extend(iter);
    }
}

impl Batch {
    /// Adds an insert, update or delete (on SQLite sqlx counts each statement's rows from
    /// SQLite's `changes()`, which other statements do not reset).
    pub fn push(&mut self, stmt: Statement) {
        self.statements.push(stmt);
    }

    /// Runs the statements in one round trip, in the caller's write transaction; the rows they
    /// changed, in all. If one fails on SQLite, those before it have taken effect: the caller
    /// drops the transaction.
    pub async fn run(self, conn: &impl ConnectionTrait) -> Result<u64, StoreError> {
        if self.statements.is_empty() {
            return Ok(0);
        }
        match conn.get_database_backend() {
            DbBackend::Postgres => {
                let mut ctes = Vec::with_capacity(self.statements.len());
                let mut counts = Vec::with_capacity(self.statements.len());
                let mut values = Vec::new();
                for (i, stmt) in self.statements.into_iter().enumerate() {
                    ctes.push(format!(
                        "s{i} AS ({} RETURNING 1)",
                        shift_placeholders(&stmt.sql, values.len())
                    ));
                    counts.push(format!("(SELECT count(*) FROM s{i})"));
                    values.extend(stmt.values.map(|v| v.0).unwrap_or_default());
                }
                let sql = format!(
                    "WITH {} SELECT ({})::int8 AS n",
                    ctes.join(", "),
                    counts.join(" + ")
                );
                let row = conn
                    .query_one_raw(Statement::from_sql_and_values(
                        DbBackend::Postgres,
                        sql,
                        values,
                    ))
                    .await?
                    .ok_or_else(|| {
                        StoreError::Corrupt("a statement batch returned nothing".to_owned())
                    })?;
                let n: i64 = row.try_get("", "n")?;
                Ok(u64::try_from(n).unwrap_or(0))
            }
            DbBackend::Sqlite => {
                let mut sql = String::new();
                let mut values = Vec::new();
                for stmt in self.statements {
                    if !sql.is_empty() {
                        sql.push_str("; ");
                    }
                    sql.push_str(&stmt.sql);
                    values.extend(stmt.values.map(|v| v.0).unwrap_or_default());
                }
                let res = conn
                    .execute_raw(Statement::from_sql_and_values(
                        DbBackend::Sqlite,
                        sql,
                        values,
                    ))
                    .await?;
                Ok(res.rows_affected())
            }
            other => Err(StoreError::Corrupt(format!(
                "statement batches do not run on {other:?}"
            ))),
        }
    }
}

/// `sql` with its PostgreSQL parameters `$n` renumbered `$(n + offset)` (outside quoted text
/// and identifiers), to put several statements' parameters in one list.
pub(crate) fn shift_placeholders(sql: &str, offset: usize) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut quote: Option<char> = None;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match quote {
            Some(q) => {
                out.push(c);
                if c == q {
                    quote = None;
                }
            }
            None if c == '\'' || c == '"' => {
                quote = Some(c);
                out.push(c);
            }
            None if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) => {
                let mut digits = String::new();
                while let Some(d) = chars.peek().copied().filter(char::is_ascii_digit) {
                    digits.push(d);
                    chars.next();
                }
                let n: usize = digits.parse().unwrap_or(0);
                out.push('$');
                out.push_str(&(n + offset).to_string());
            }
            None => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_renumbered_outside_quotes_only() {
        assert_eq!(
            shift_placeholders(r#"UPDATE "t$1" SET a = $1, b = '$2' WHERE c = $12"#, 3),
            r#"UPDATE "t$1" SET a = $4, b = '$2' WHERE c = $15"#
        );
        assert_eq!(shift_placeholders("SELECT $", 3), "SELECT $");
    }
}
