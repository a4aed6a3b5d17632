//! Scratch PostgreSQL databases, for the benchmarks: created on a server under a fresh name,
//! dropped afterwards with `DROP DATABASE … WITH (FORCE)` (PostgreSQL 13 or later). The role
//! needs the right to create databases.

use sea_orm::{ConnectionTrait, Database, DatabaseConnection};

use crate::StoreError;

/// A database created for one run.
#[derive(Debug)]
pub struct Scratch {
    admin: DatabaseConnection,
    name: String,
    url: String,
}

impl Scratch {
    /// Creates `dsrflow_bench_<uuid>` on the server of `admin_url`.
    pub async fn create(admin_url: &str) -> Result<Self, StoreError> {
        let admin = Database::connect(admin_url)
            .await
            .map_err(|e| StoreError::Connect(crate::connect_message(admin_url, &e)))?;
        let name = format!("dsrflow_bench_{}", uuid::Uuid::new_v4().simple());
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await?;
        let url = with_database(admin_url, &name);
        Ok(Self { admin, name, url })
    }

    /// Its URL (the server's URL with the database's name).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Its name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Drops it, closing whatever connections are still open on it.
    pub async fn drop_database(self) -> Result<(), StoreError> {
        self.admin
            .execute_unprepared(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .await?;
        Ok(())
    }
}

/// `url` with its database name replaced by `name` (its query kept).
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let root = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    if query.is_empty() {
        format!("{root}/{name}")
    } else {
        format!("{root}/{name}?{query}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_database_name_is_replaced_and_the_query_kept() {
        assert_eq!(
            with_database("postgres://u@h:5432/test", "x"),
            "postgres://u@h:5432/x"
        );
        assert_eq!(
            with_database("postgres://u@h/test?sslmode=disable", "x"),
            "postgres://u@h/x?sslmode=disable"
        );
        assert_eq!(with_database("postgres://u@h", "x"), "postgres://u@h/x");
    }
}
