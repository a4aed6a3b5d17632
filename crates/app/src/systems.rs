//! The configured systems: the data map (what each holds and why) and the connector that reaches
//! each, built from the `[[system]]` entries of the configuration file.

use dsrflow_connectors::Registry;
use dsrflow_connectors::config::Env;
use dsrflow_domain::datamap::{
    ConnectorKind, DataMap, LegalBasis, Period, Purpose, Recipient, RetentionRule, System,
};
use serde::{Deserialize, Serialize};

/// The data map and its connectors, built once at start-up.
#[derive(Debug, Clone, Default)]
pub struct Systems {
    /// What each system holds, why, for how long, and who receives it.
    pub map: DataMap,
    /// How each system is reached.
    pub registry: Registry,
    /// Whose OpenDSR status callbacks are accepted (the configured `opendsr` systems), with
    /// their certificates; None when no such system is configured.
    pub opendsr_trust: Option<dsrflow_connectors::opendsr::CallbackTrust>,
}

/// A `[[system]]` entry as written in the configuration file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SystemConfig {
    /// Unique name.
    pub name: String,
    /// `sql`, `http`, `opendsr`, `email` or `manual`.
    pub kind: ConnectorKind,
    /// Plain-language description.
    #[serde(default)]
    pub description: Option<String>,
    /// Data categories held.
    #[serde(default)]
    pub categories: Vec<String>,
    /// Purposes with their legal basis.
    #[serde(default)]
    pub purposes: Vec<PurposeConfig>,
    /// Who runs the system for us as our processor (a recipient, Art. 4(9)).
    #[serde(default)]
    pub processor: Option<String>,
    /// Its backups: `{ rotate_days = 30 }`, how long a copy lives in them.
    #[serde(default)]
    pub backups: Option<BackupsConfig>,
    /// The recipients the data is disclosed to: names of `[[recipient]]` entries.
    #[serde(default)]
    pub recipients: Vec<String>,
    /// Retention rules.
    #[serde(default)]
    pub retention: Vec<RetentionConfig>,
    /// Must be told of erasure, rectification and restriction (Art. 19).
    #[serde(default)]
    pub notify: bool,
    /// The datasets holding data the subject provided or that was observed from their use:
    /// the only ones a portability answer carries (all when absent).
    #[serde(default)]
    pub portable: Option<Vec<String>>,
    /// Where the data comes from when not from the subject.
    #[serde(default)]
    pub source: Option<String>,
    /// Transfers outside the EEA and their safeguards.
    #[serde(default)]
    pub transfers: Option<String>,
    /// Automated decisions and their logic.
    #[serde(default)]
    pub automated_decisions: Option<String>,
    /// How to reach it (depends on `kind`; see docs/connectors.md).
    #[serde(default = "empty_table")]
    pub connection: serde_json::Value,
}

fn empty_table() -> serde_json::Value {
    serde_json::Value::Object(serde_json::Map::new())
}

/// A `[[recipient]]` entry: a party the data is disclosed to, told of erasures,
/// rectifications and restrictions (Art. 19).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecipientConfig {
    /// Unique name (systems and recipients share one namespace).
    pub name: String,
    /// The name a person reads.
    pub label: String,
    /// `email`, `opendsr` or `manual`.
    pub kind: ConnectorKind,
    /// What it receives and why.
    #[serde(default)]
    pub receives: Option<String>,
    /// How to reach it (as for a system of the same kind; see docs/connectors.md).
    #[serde(default = "empty_table")]
    pub connection: serde_json::Value,
}

/// A purpose entry.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PurposeConfig {
    /// Short name.
    pub name: String,
    /// `consent`, `contract`, `legal_obligation`, `vital_interests`, `public_task`,
    /// `legitimate_interest` or `direct_marketing`.
    pub legal_basis: String,
    /// Plain-language description.
    #[serde(default)]
    pub description: Option<String>,
}

/// A system's backups.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackupsConfig {
    /// Days after which a backup is overwritten (1 to 3650).
    pub rotate_days: u32,
}

/// A retention entry.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionConfig {
    /// The category kept, e.g. `invoice`.
    pub category: String,
    /// How long, e.g. `10 years`.
    pub period: String,
    /// The legal basis for keeping it.
    pub basis: String,
    /// The legal text, e.g. `Belgian VAT Code art. 60`.
    pub rule: String,
}

/// A configuration error naming the system and the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("system {system:?}: {key}: {message}")]
pub struct SystemConfigError {
    /// The system.
    pub system: String,
    /// The key inside its entry.
    pub key: String,
    /// What is wrong.
    pub message: String,
}

impl Systems {
    /// Validates the entries and builds every connector (secrets resolved through `env`).
    pub fn from_config(
        entries: &[SystemConfig],
        recipients: &[RecipientConfig],
        env: Env<'_>,
    ) -> Result<Self, SystemConfigError> {
        let mut map = DataMap {
            recipients: recipients
                .iter()
                .map(|r| Recipient {
                    name: r.name.clone(),
                    label: r.label.clone(),
                    kind: r.kind,
                    receives: r.receives.clone(),
                })
                .collect(),
            ..DataMap::default()
        };
        for (i, e) in entries.iter().enumerate() {
            let err = |key: String, message: String| SystemConfigError {
                system: if e.name.is_empty() {
                    format!("#{i}")
                } else {
                    e.name.clone()
                },
                key,
                message,
            };
            let mut purposes = Vec::new();
            for (j, p) in e.purposes.iter().enumerate() {
                let basis: LegalBasis = p
                    .legal_basis
                    .parse()
                    .map_err(|m| err(format!("purposes[{j}].legal_basis"), m))?;
                purposes.push(Purpose {
                    name: p.name.clone(),
                    legal_basis: basis,
                    description: p.description.clone(),
                });
            }
            let mut retention = Vec::new();
            for (j, r) in e.retention.iter().enumerate() {
                retention.push(RetentionRule {
                    category: r.category.clone(),
                    period: r
                        .period
                        .parse::<Period>()
                        .map_err(|m| err(format!("retention[{j}].period"), m))?,
                    basis: r
                        .basis
                        .parse()
                        .map_err(|m| err(format!("retention[{j}].basis"), m))?,
                    rule: r.rule.clone(),
                });
            }
            map.systems.push(System {
                name: e.name.clone(),
                kind: e.kind,
                description: e.description.clone(),
                categories: e.categories.clone(),
                purposes,
                recipients: e.recipients.clone(),
                retention,
                notify: e.notify,
                portable: e.portable.clone(),
                source: e.source.clone(),
                transfers: e.transfers.clone(),
                automated_decisions: e.automated_decisions.clone(),
                processor: e.processor.clone(),
                backup_rotate_days: match &e.backups {
                    Some(b) if !(1..=3650).contains(&b.rotate_days) => {
                        return Err(err(
                            "backups.rotate_days".to_owned(),
                            "must be between 1 and 3650 days".to_owned(),
                        ));
                    }
                    b => b.as_ref().map(|b| b.rotate_days),
                },
            });
        }
        map.validate().map_err(|e| SystemConfigError {
            system: e.system,
            key: e.key,
            message: e.message,
        })?;
        let mut processors = Vec::new();
        for (system, entry) in map.systems.iter().zip(entries) {
            if system.kind == ConnectorKind::Opendsr {
                processors.push(
                    dsrflow_connectors::opendsr::TrustedProcessor::from_config(
                        &entry.connection,
                        env,
                    )
                    .map_err(|e| SystemConfigError {
                        system: system.name.clone(),
                        key: format!("connection.{}", e.key),
                        message: e.message,
                    })?,
                );
            }
        }
        let mut registry = Registry::default();
        for (system, entry) in map.systems.iter().zip(entries) {
            let connector =
                dsrflow_connectors::build(system, &entry.connection, env).map_err(|e| {
                    SystemConfigError {
                        system: system.name.clone(),
                        key: format!("connection.{}", e.key)
                            .trim_end_matches('.')
                            .to_owned(),
                        message: e.message,
                    }
                })?;
            registry.insert(system.name.clone(), connector);
        }
        for (recipient, entry) in map.recipients.iter().zip(recipients) {
            let err = |key: String, message: String| SystemConfigError {
                system: format!("recipient {}", recipient.name),
                key: key.trim_end_matches('.').to_owned(),
                message,
            };
            let as_system = System {
                name: recipient.name.clone(),
                kind: recipient.kind,
                description: Some(recipient.label.clone()),
                categories: Vec::new(),
                purposes: Vec::new(),
                processor: None,
                backup_rotate_days: None,
                recipients: Vec::new(),
                retention: Vec::new(),
                notify: false,
                portable: None,
                source: None,
                transfers: None,
                automated_decisions: None,
            };
            if recipient.kind == ConnectorKind::Opendsr {
                // Its status callbacks are trusted as a system's are.
                processors.push(
                    dsrflow_connectors::opendsr::TrustedProcessor::from_config(
                        &entry.connection,
                        env,
                    )
                    .map_err(|e| err(format!("connection.{}", e.key), e.message))?,
                );
            }
            let connector = dsrflow_connectors::build(&as_system, &entry.connection, env)
                .map_err(|e| err(format!("connection.{}", e.key), e.message))?;
            registry.insert(recipient.name.clone(), connector);
        }
        let opendsr_trust = if processors.is_empty() {
            None
        } else {
            // The time is set per callback (`CallbackTrust::at`) from the app clock.
            let epoch = rustls_pki_types_epoch();
            Some(
                dsrflow_connectors::opendsr::CallbackTrust::with_public_roots(processors, epoch)
                    .map_err(|e| SystemConfigError {
                        system: "opendsr".to_owned(),
                        key: "connection".to_owned(),
                        message: e.to_string(),
                    })?,
            )
        };
        Ok(Self {
            map,
            registry,
            opendsr_trust,
        })
    }
}

fn rustls_pki_types_epoch() -> dsrflow_connectors::opendsr::UnixTime {
    dsrflow_connectors::opendsr::UnixTime::since_unix_epoch(std::time::Duration::ZERO)
}
