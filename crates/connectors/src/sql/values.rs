//! Reading what a database answers: each column as JSON, whatever its type and dialect, and
//! database errors as connector errors that name the table, never a value.

use super::*;

pub(super) fn db_error(e: sqlx::Error) -> ConnectorError {
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
pub(super) fn on_table(table: &str, e: sqlx::Error) -> ConnectorError {
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

pub(super) fn sqlite_value(row: &sqlx::sqlite::SqliteRow, i: usize) -> serde_json::Value {
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

pub(super) fn mysql_value(row: &sqlx::mysql::MySqlRow, i: usize) -> serde_json::Value {
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

pub(super) fn base64_encode(b: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(b)
}

pub(super) fn pg_row(row: &sqlx::postgres::PgRow) -> serde_json::Value {
    row.try_get::<String, _>(0)
        .ok()
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or(serde_json::Value::Null)
}

pub(super) fn sqlite_row(row: &sqlx::sqlite::SqliteRow) -> serde_json::Value {
    let mut m = serde_json::Map::new();
    for (i, c) in row.columns().iter().enumerate() {
        m.insert(c.name().to_owned(), sqlite_value(row, i));
    }
    serde_json::Value::Object(m)
}

pub(super) fn mysql_row(row: &sqlx::mysql::MySqlRow) -> serde_json::Value {
    let mut m = serde_json::Map::new();
    for (i, c) in row.columns().iter().enumerate() {
        m.insert(c.name().to_owned(), mysql_value(row, i));
    }
    serde_json::Value::Object(m)
}
