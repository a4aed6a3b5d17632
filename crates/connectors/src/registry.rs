//! Building each system's connector from its configuration (the one place that knows every
//! kind), and the registry of the built connectors by system name.

use std::collections::BTreeMap;
use std::sync::Arc;

use dsrflow_domain::datamap::{ConnectorKind, System};

use crate::Connector;
use crate::config::{BuildError, Env};

/// Builds the connector of a system.
pub fn build(
    system: &System,
    connection: &serde_json::Value,
    env: Env<'_>,
) -> Result<Arc<dyn Connector>, BuildError> {
    match system.kind {
        ConnectorKind::Manual => Ok(Arc::new(crate::manual::ManualConnector::from_config(
            connection,
        )?)),
        ConnectorKind::Email => Ok(Arc::new(crate::email::EmailConnector::from_config(
            connection,
        )?)),
        ConnectorKind::Sql => Ok(Arc::new(crate::sql::SqlConnector::from_config(
            system, connection, env,
        )?)),
        ConnectorKind::Http => Ok(Arc::new(crate::http::HttpConnector::from_config(
            system, connection, env,
        )?)),
        ConnectorKind::Opendsr => Ok(Arc::new(crate::opendsr::OpendsrConnector::from_config(
            connection, env,
        )?)),
    }
}

/// Every configured connector by system name.
#[derive(Clone, Default)]
pub struct Registry {
    connectors: BTreeMap<String, Arc<dyn Connector>>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.connectors.keys()).finish()
    }
}

impl Registry {
    /// Adds a connector.
    pub fn insert(&mut self, system: impl Into<String>, connector: Arc<dyn Connector>) {
        self.connectors.insert(system.into(), connector);
    }

    /// The connector of a system.
    pub fn get(&self, system: &str) -> Option<Arc<dyn Connector>> {
        self.connectors.get(system).cloned()
    }

    /// System names.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.connectors.keys().map(String::as_str)
    }
}
