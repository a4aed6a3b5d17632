//! `[[customer]]`: the hosting provider's customers whose databases it processes as their
//! processor (Art. 28). A request about data in such a database belongs to that controller and
//! is forwarded to it with one action (`forward` with `customer`).

use serde::{Deserialize, Serialize};

use super::ConfigError;

/// A `[[customer]]` entry as written.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerSection {
    /// Unique name, `a-z 0-9 - _`.
    pub name: String,
    /// The controller's name as people read it.
    pub label: String,
    /// Its address for data-subject requests.
    pub contact_email: String,
    /// The workspace we host for it (e.g. `dupont.odoo.example`), shown to the officer.
    #[serde(default)]
    pub workspace: Option<String>,
}

/// A hosted customer, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostedCustomer {
    /// Unique name.
    pub name: String,
    /// The controller's name.
    pub label: String,
    /// Its address for data-subject requests.
    pub contact_email: String,
    /// The workspace we host for it.
    pub workspace: Option<String>,
}

/// Checks the entries; an error names the entry and key.
pub fn validate(entries: &[CustomerSection]) -> Result<Vec<HostedCustomer>, ConfigError> {
    let mut out: Vec<HostedCustomer> = Vec::new();
    for (i, c) in entries.iter().enumerate() {
        let key = |k: &str| format!("customer[{i}].{k}");
        let name_ok = !c.name.is_empty()
            && c.name.len() <= 64
            && c.name
                .chars()
                .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-' || ch == '_');
        if !name_ok {
            return Err(ConfigError::new(
                key("name"),
                "must be 1–64 characters of a-z, 0-9, '-' or '_'",
            ));
        }
        if out.iter().any(|o| o.name == c.name) {
            return Err(ConfigError::new(key("name"), "is used by another customer"));
        }
        let label = c.label.split_whitespace().collect::<Vec<_>>().join(" ");
        if label.chars().count() < 2 || label.chars().count() > 200 {
            return Err(ConfigError::new(
                key("label"),
                "must name the controller (2–200 characters)",
            ));
        }
        let contact = dsrflow_domain::SubjectEmail::parse(&c.contact_email).map_err(|_| {
            ConfigError::new(
                key("contact_email"),
                "must be the controller's address for data-subject requests",
            )
        })?;
        out.push(HostedCustomer {
            name: c.name.clone(),
            label,
            contact_email: contact.as_str().to_owned(),
            workspace: c.workspace.clone(),
        });
    }
    Ok(out)
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    fn entry(name: &str, contact: &str) -> CustomerSection {
        CustomerSection {
            name: name.to_owned(),
            label: "Brasserie  Dupont SRL".to_owned(),
            contact_email: contact.to_owned(),
            workspace: None,
        }
    }

    #[test]
    fn customers_need_a_name_a_label_and_a_reachable_contact() {
        let ok = validate(&[entry("dupont", "privacy@dupont.example")]).unwrap();
        assert_eq!(ok[0].label, "Brasserie Dupont SRL");
        assert_eq!(
            validate(&[entry("Dupont", "privacy@dupont.example")])
                .unwrap_err()
                .to_string(),
            "invalid configuration: customer[0].name: must be 1–64 characters of a-z, 0-9, '-' or '_'"
        );
        assert!(
            validate(&[entry("dupont", "not an address")])
                .unwrap_err()
                .to_string()
                .contains("contact_email")
        );
        assert!(
            validate(&[entry("a", "x@a.example"), entry("a", "y@a.example")])
                .unwrap_err()
                .to_string()
                .contains("another customer")
        );
    }
}
