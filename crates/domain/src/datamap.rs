//! The data map: which systems hold personal data, for what purposes and on which legal bases,
//! who receives it, how long it is kept and why. It decides which tasks a request creates and
//! feeds the Art. 15(1)(a)–(h) information of an access package.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::kind::RequestKind;
use crate::task::{TaskAction, TaskStatus};

/// The legal basis of a purpose (Art. 6(1)), plus direct marketing, which Art. 21(2)–(3) treats
/// apart: an objection to it is absolute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum LegalBasis {
    /// Art. 6(1)(a).
    Consent,
    /// Art. 6(1)(b).
    Contract,
    /// Art. 6(1)(c).
    LegalObligation,
    /// Art. 6(1)(d).
    VitalInterests,
    /// Art. 6(1)(e).
    PublicTask,
    /// Art. 6(1)(f).
    LegitimateInterest,
    /// Direct marketing (on consent or legitimate interest); objection is absolute (Art. 21(3)).
    DirectMarketing,
}

impl LegalBasis {
    /// Every basis.
    pub const ALL: [LegalBasis; 7] = [
        LegalBasis::Consent,
        LegalBasis::Contract,
        LegalBasis::LegalObligation,
        LegalBasis::VitalInterests,
        LegalBasis::PublicTask,
        LegalBasis::LegitimateInterest,
        LegalBasis::DirectMarketing,
    ];

    /// The configuration name.
    pub fn as_str(self) -> &'static str {
        match self {
            LegalBasis::Consent => "consent",
            LegalBasis::Contract => "contract",
            LegalBasis::LegalObligation => "legal_obligation",
            LegalBasis::VitalInterests => "vital_interests",
            LegalBasis::PublicTask => "public_task",
            LegalBasis::LegitimateInterest => "legitimate_interest",
            LegalBasis::DirectMarketing => "direct_marketing",
        }
    }

    /// The article, for the access report.
    pub fn article(self) -> &'static str {
        match self {
            LegalBasis::Consent => "Art. 6(1)(a) GDPR (consent)",
            LegalBasis::Contract => "Art. 6(1)(b) GDPR (contract)",
            LegalBasis::LegalObligation => "Art. 6(1)(c) GDPR (legal obligation)",
            LegalBasis::VitalInterests => "Art. 6(1)(d) GDPR (vital interests)",
            LegalBasis::PublicTask => "Art. 6(1)(e) GDPR (public task)",
            LegalBasis::LegitimateInterest => "Art. 6(1)(f) GDPR (legitimate interests)",
            LegalBasis::DirectMarketing => "Art. 6(1)(a)/(f) GDPR (direct marketing)",
        }
    }
}

impl fmt::Display for LegalBasis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for LegalBasis {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        LegalBasis::ALL
            .into_iter()
            .find(|b| b.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "unknown legal basis {s:?}; expected one of consent, contract, legal_obligation, vital_interests, public_task, legitimate_interest, direct_marketing"
                )
            })
    }
}

/// The kind of connector that reaches a system.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnectorKind {
    /// A database reached with SQL.
    Sql,
    /// A REST processor described declaratively.
    Http,
    /// A processor speaking OpenDSR 2.0.
    Opendsr,
    /// A processor without an API, asked by mail.
    Email,
    /// A task for a named person.
    Manual,
}

impl ConnectorKind {
    /// The configuration name.
    pub fn as_str(self) -> &'static str {
        match self {
            ConnectorKind::Sql => "sql",
            ConnectorKind::Http => "http",
            ConnectorKind::Opendsr => "opendsr",
            ConnectorKind::Email => "email",
            ConnectorKind::Manual => "manual",
        }
    }
}

impl fmt::Display for ConnectorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why something is processed, on which basis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Purpose {
    /// Short name, e.g. `invoicing`.
    pub name: String,
    /// The legal basis.
    pub legal_basis: LegalBasis,
    /// Plain-language description for the access report.
    pub description: Option<String>,
}

/// A retention period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Period {
    /// N days.
    Days(u32),
    /// N months.
    Months(u32),
    /// N years.
    Years(u32),
}

impl Period {
    /// The day this period after `day` ends (a month or year from 31 January ends on the last
    /// day of February); None past the calendar's end.
    pub fn after(self, day: chrono::NaiveDate) -> Option<chrono::NaiveDate> {
        match self {
            Period::Days(n) => day.checked_add_days(chrono::Days::new(u64::from(n))),
            Period::Months(n) => day.checked_add_months(chrono::Months::new(n)),
            Period::Years(n) => day.checked_add_months(chrono::Months::new(n.checked_mul(12)?)),
        }
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (n, unit) = match self {
            Period::Days(n) => (n, "day"),
            Period::Months(n) => (n, "month"),
            Period::Years(n) => (n, "year"),
        };
        write!(f, "{n} {unit}{}", if *n == 1 { "" } else { "s" })
    }
}

impl FromStr for Period {
    type Err = String;
    /// Parses `10 years`, `6 months`, `30 days` (singular or plural).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err =
            || format!("{s:?} is not a period such as \"10 years\", \"6 months\" or \"30 days\"");
        let mut parts = s.split_whitespace();
        let n: u32 = parts.next().ok_or_else(err)?.parse().map_err(|_| err())?;
        let unit = parts.next().ok_or_else(err)?;
        if parts.next().is_some() || n == 0 {
            return Err(err());
        }
        match unit.trim_end_matches('s') {
            "day" => Ok(Period::Days(n)),
            "month" => Ok(Period::Months(n)),
            "year" => Ok(Period::Years(n)),
            _ => Err(err()),
        }
    }
}

/// A rule that keeps data despite an erasure request (Art. 17(3)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetentionRule {
    /// The category it covers, e.g. `invoice`.
    pub category: String,
    /// How long.
    pub period: Period,
    /// Why it may be kept.
    pub basis: LegalBasis,
    /// The legal text, e.g. `Belgian VAT Code art. 60`.
    pub rule: String,
}

impl RetentionRule {
    /// One line for reports: `invoice: kept 10 years (legal_obligation, Belgian VAT Code art. 60)`.
    pub fn describe(&self) -> String {
        format!(
            "{}: kept {} ({}, {})",
            self.category, self.period, self.basis, self.rule
        )
    }
}

/// One system of the data map (without its connection, which the connectors crate owns).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct System {
    /// Unique name, e.g. `odoo`, `stripe`.
    pub name: String,
    /// How it is reached.
    pub kind: ConnectorKind,
    /// Plain-language description.
    pub description: Option<String>,
    /// Data categories held, e.g. `contact`, `billing`.
    pub categories: Vec<String>,
    /// Purposes with legal bases.
    pub purposes: Vec<Purpose>,
    /// Who runs the system for us as our processor (Art. 28), e.g. `Stripe, Inc.`; a
    /// recipient of the data too (Art. 4(9), Art. 15(1)(c)).
    pub processor: Option<String>,
    /// How many days a copy lives in the system's backups before it is overwritten, when it
    /// has backups: erased data is gone from them that many days after the erasure.
    pub backup_rotate_days: Option<u32>,
    /// The recipients the data is disclosed to (names of the data map's [`Recipient`]s), for
    /// Art. 15(1)(c) and the notices of Art. 19.
    pub recipients: Vec<String>,
    /// Retention rules.
    pub retention: Vec<RetentionRule>,
    /// Whether this system must itself be told of an erasure, rectification or restriction once
    /// its own task has settled (Art. 19), as a recipient is.
    pub notify: bool,
    /// The datasets (tables, API collections: as named in an access package) that hold data
    /// the subject provided or that was observed from their use, the only ones a portability
    /// answer carries (Art. 20(1)); None when everything the system holds is such data.
    pub portable: Option<Vec<String>>,
    /// Where the data came from when not from the subject (Art. 15(1)(g)).
    pub source: Option<String>,
    /// Transfers outside the EEA and their safeguards (Art. 15(2)).
    pub transfers: Option<String>,
    /// Automated decisions, with their logic (Art. 15(1)(h)); None when there are none.
    pub automated_decisions: Option<String>,
}

impl System {
    /// Whether any purpose has this basis.
    pub fn has_basis(&self, basis: LegalBasis) -> bool {
        self.purposes.iter().any(|p| p.legal_basis == basis)
    }

    /// Whether a dataset of this system belongs in a portability answer (Art. 20(1): data the
    /// subject provided, or observed from their use).
    pub fn portable(&self, dataset: &str) -> bool {
        self.portable
            .as_ref()
            .is_none_or(|list| list.iter().any(|d| d == dataset))
    }

    /// The retention rule for a category.
    pub fn retention_for(&self, category: &str) -> Option<&RetentionRule> {
        self.retention.iter().find(|r| r.category == category)
    }
}

/// A party the data is disclosed to (Art. 4(9)), told of every erasure, rectification and
/// restriction of the data it received (Art. 19), and named to the subject (Art. 15(1)(c),
/// Art. 19 second sentence).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recipient {
    /// Unique name (shared with the systems' names), e.g. `fidu`.
    pub name: String,
    /// The name a person reads, e.g. `Accounting firm Fidu & Co`.
    pub label: String,
    /// How it is told: `email`, `opendsr` or `manual`.
    pub kind: ConnectorKind,
    /// What it receives and why, for the access report (e.g. `invoices, for the statutory
    /// bookkeeping`).
    pub receives: Option<String>,
}

/// One task to create for a request.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct PlannedTask {
    /// The system's name.
    pub system: String,
    /// What to do there.
    pub action: TaskAction,
}

/// The systems of the data map, in configuration order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataMap {
    /// The systems.
    pub systems: Vec<System>,
    /// The recipients the systems name.
    #[serde(default)]
    pub recipients: Vec<Recipient>,
}

/// Why a data map is invalid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("system {system:?}: {key}: {message}")]
pub struct DataMapError {
    /// The system's name (or index when unnamed).
    pub system: String,
    /// The key, e.g. `purposes[0].legal_basis`.
    pub key: String,
    /// What is wrong.
    pub message: String,
}

/// A configuration name: 1–64 characters of a-z, 0-9, '-' or '_'.
fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

impl DataMap {
    /// Checks names and cross-references.
    pub fn validate(&self) -> Result<(), DataMapError> {
        let mut seen = BTreeSet::new();
        for (i, s) in self.systems.iter().enumerate() {
            let err = |key: &str, message: String| DataMapError {
                system: if s.name.is_empty() {
                    format!("#{i}")
                } else {
                    s.name.clone()
                },
                key: key.to_owned(),
                message,
            };
            if !valid_name(&s.name) {
                return Err(err(
                    "name",
                    "must be 1–64 characters of a-z, 0-9, '-' or '_'".to_owned(),
                ));
            }
            if !seen.insert(s.name.as_str()) {
                return Err(err("name", "is used by another system".to_owned()));
            }
            for (j, r) in s.recipients.iter().enumerate() {
                if self.recipient(r).is_none() {
                    return Err(err(
                        &format!("recipients[{j}]"),
                        format!(
                            "no [[recipient]] is named {:?}: declare it (name, label, kind and how to reach it)",
                            r.chars().take(64).collect::<String>()
                        ),
                    ));
                }
            }
            let mut cats = BTreeSet::new();
            for (j, r) in s.retention.iter().enumerate() {
                if r.rule.trim().is_empty() {
                    return Err(err(
                        &format!("retention[{j}].rule"),
                        "must cite the rule that requires keeping the data".to_owned(),
                    ));
                }
                if !cats.insert(r.category.as_str()) {
                    return Err(err(
                        &format!("retention[{j}].category"),
                        format!("{:?} has two retention rules", r.category),
                    ));
                }
            }
        }
        for (i, r) in self.recipients.iter().enumerate() {
            let err = |key: &str, message: String| DataMapError {
                system: if r.name.is_empty() {
                    format!("recipient #{i}")
                } else {
                    format!("recipient {}", r.name)
                },
                key: key.to_owned(),
                message,
            };
            if !valid_name(&r.name) {
                return Err(err(
                    "name",
                    "must be 1–64 characters of a-z, 0-9, '-' or '_'".to_owned(),
                ));
            }
            if !seen.insert(r.name.as_str()) {
                return Err(err(
                    "name",
                    "is used by another system or recipient".to_owned(),
                ));
            }
            if r.label.trim().is_empty() {
                return Err(err(
                    "label",
                    "must give the name a person reads, e.g. \"Accounting firm Fidu & Co\""
                        .to_owned(),
                ));
            }
            if !matches!(
                r.kind,
                ConnectorKind::Email | ConnectorKind::Opendsr | ConnectorKind::Manual
            ) {
                return Err(err(
                    "kind",
                    "a recipient is told by email, opendsr or manual".to_owned(),
                ));
            }
        }
        Ok(())
    }

    /// The system with this name.
    pub fn system(&self, name: &str) -> Option<&System> {
        self.systems.iter().find(|s| s.name == name)
    }

    /// The recipient with this name.
    pub fn recipient(&self, name: &str) -> Option<&Recipient> {
        self.recipients.iter().find(|r| r.name == name)
    }

    /// The name a person reads for a system or recipient: a recipient's label, a system's
    /// description, else the configuration name.
    pub fn label<'a>(&'a self, name: &'a str) -> &'a str {
        if let Some(r) = self.recipient(name) {
            return &r.label;
        }
        self.system(name)
            .and_then(|s| s.description.as_deref())
            .unwrap_or(name)
    }

    /// The Art. 19 notices a request of `kind` owes once its systems' own tasks have settled
    /// (`settled`: each task's system, action and status), that are not among them yet: for
    /// erasure, rectification and restriction, each recipient of a system whose own task
    /// ended holding or changing data (succeeded or retained; a system that held nothing
    /// disclosed nothing), and each such system marked `notify`; each once.
    ///
    /// They come after the work, not with it: a recipient is told what was done, not what is
    /// about to be.
    pub fn notices<'a>(
        &self,
        kind: RequestKind,
        settled: impl IntoIterator<Item = (&'a str, TaskAction, TaskStatus)> + Clone,
    ) -> Vec<PlannedTask> {
        let own = match kind {
            RequestKind::Erasure => TaskAction::Erase,
            RequestKind::Rectification => TaskAction::Rectify,
            RequestKind::Restriction => TaskAction::Restrict,
            RequestKind::Access
            | RequestKind::Portability
            | RequestKind::Objection
            | RequestKind::ConsentWithdrawal => return Vec::new(),
        };
        let planned = |name: &str| {
            settled
                .clone()
                .into_iter()
                .any(|(s, a, _)| s == name && a == TaskAction::Notify)
        };
        let mut out: Vec<PlannedTask> = Vec::new();
        for (system, action, status) in settled.clone() {
            if action != own || !matches!(status, TaskStatus::Succeeded | TaskStatus::Retained) {
                continue;
            }
            let Some(s) = self.system(system) else {
                continue;
            };
            let names = s
                .recipients
                .iter()
                .map(String::as_str)
                .chain(s.notify.then_some(s.name.as_str()));
            for name in names {
                if !planned(name) && !out.iter().any(|p| p.system == name) {
                    out.push(PlannedTask {
                        system: name.to_owned(),
                        action: TaskAction::Notify,
                    });
                }
            }
        }
        out
    }

    /// The tasks a request of `kind` creates, in configuration order.
    ///
    /// - access: every system (Art. 15 reaches all of them).
    /// - portability: systems processing on consent or contract (Art. 20(1)(a)).
    /// - erasure, rectification, restriction: every system; the notices of Art. 19 follow once
    ///   the work has settled ([`DataMap::notices`]).
    /// - objection: opt-out where the purpose is direct marketing (absolute, Art. 21(3));
    ///   restriction meanwhile and an officer decision where it is legitimate interest
    ///   (Art. 21(1), Art. 18(1)(d)).
    /// - consent withdrawal: opt-out where the purpose rests on consent (Art. 7(3)).
    pub fn plan(&self, kind: RequestKind) -> Vec<PlannedTask> {
        let mut out = Vec::new();
        let mut push = |s: &System, action| {
            out.push(PlannedTask {
                system: s.name.clone(),
                action,
            })
        };
        for s in &self.systems {
            match kind {
                RequestKind::Access => push(s, TaskAction::Access),
                RequestKind::Portability => {
                    if s.has_basis(LegalBasis::Consent) || s.has_basis(LegalBasis::Contract) {
                        push(s, TaskAction::Access);
                    }
                }
                RequestKind::Erasure | RequestKind::Rectification | RequestKind::Restriction => {
                    let action = match kind {
                        RequestKind::Erasure => TaskAction::Erase,
                        RequestKind::Rectification => TaskAction::Rectify,
                        _ => TaskAction::Restrict,
                    };
                    push(s, action);
                }
                RequestKind::Objection => {
                    if s.has_basis(LegalBasis::DirectMarketing) {
                        push(s, TaskAction::OptOut);
                    }
                    if s.has_basis(LegalBasis::LegitimateInterest) {
                        push(s, TaskAction::Restrict);
                        push(s, TaskAction::Decide);
                    }
                }
                RequestKind::ConsentWithdrawal => {
                    if s.has_basis(LegalBasis::Consent) || s.has_basis(LegalBasis::DirectMarketing)
                    {
                        push(s, TaskAction::OptOut);
                    }
                }
            }
        }
        out
    }
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    fn sys(name: &str, bases: &[LegalBasis], notify: bool) -> System {
        System {
            name: name.to_owned(),
            kind: ConnectorKind::Manual,
            description: None,
            categories: vec![],
            purposes: bases
                .iter()
                .map(|b| Purpose {
                    name: b.as_str().to_owned(),
                    legal_basis: *b,
                    description: None,
                })
                .collect(),
            recipients: vec![],
            retention: vec![],
            notify,
            portable: None,
            source: None,
            transfers: None,
            automated_decisions: None,
            processor: None,
            backup_rotate_days: None,
        }
    }

    fn map() -> DataMap {
        DataMap {
            systems: vec![
                sys(
                    "odoo",
                    &[LegalBasis::Contract, LegalBasis::LegalObligation],
                    false,
                ),
                sys("klaviyo", &[LegalBasis::DirectMarketing], true),
                sys("posthog", &[LegalBasis::LegitimateInterest], false),
                sys("crisp", &[LegalBasis::Consent], false),
            ],
            recipients: vec![],
        }
    }

    fn plan(kind: RequestKind) -> Vec<(String, TaskAction)> {
        map()
            .plan(kind)
            .into_iter()
            .map(|p| (p.system, p.action))
            .collect()
    }

    #[test]
    fn access_reaches_every_system() {
        assert_eq!(plan(RequestKind::Access).len(), 4);
    }

    #[test]
    fn erasure_plans_the_work_and_its_article_19_notices_follow_it() {
        let p = plan(RequestKind::Erasure);
        assert_eq!(p.iter().filter(|(_, a)| *a == TaskAction::Erase).count(), 4);
        assert_eq!(p.len(), 4, "no notice before the work is done: {p:?}");

        let mut m = map();
        m.recipients.push(Recipient {
            name: "fidu".to_owned(),
            label: "Accounting firm Fidu & Co".to_owned(),
            kind: ConnectorKind::Email,
            receives: None,
        });
        m.systems[0].recipients = vec!["fidu".to_owned()];
        m.systems[2].recipients = vec!["fidu".to_owned()];
        m.validate().unwrap();
        use TaskStatus::*;
        let notices = |settled: &[(&'static str, TaskAction, TaskStatus)]| {
            m.notices(RequestKind::Erasure, settled.iter().copied())
                .into_iter()
                .map(|p| (p.system, p.action))
                .collect::<Vec<_>>()
        };
        // odoo kept the invoice, posthog erased: fidu once, klaviyo (notify) itself.
        let settled = [
            ("odoo", TaskAction::Erase, Retained),
            ("klaviyo", TaskAction::Erase, Succeeded),
            ("posthog", TaskAction::Erase, Succeeded),
            ("crisp", TaskAction::Erase, NotFound),
        ];
        assert_eq!(
            notices(&settled),
            vec![
                ("fidu".to_owned(), TaskAction::Notify),
                ("klaviyo".to_owned(), TaskAction::Notify)
            ]
        );
        // Held nothing, or failed: nothing to tell (a failed task is settled by the officer,
        // and the notices are owed once it is).
        assert!(notices(&[("odoo", TaskAction::Erase, NotFound)]).is_empty());
        assert!(notices(&[("odoo", TaskAction::Erase, Failed)]).is_empty());
        // Once planned, not again.
        assert!(
            notices(&[
                ("odoo", TaskAction::Erase, Succeeded),
                ("fidu", TaskAction::Notify, Succeeded)
            ])
            .is_empty()
        );
        // Rectification and restriction owe them too; access never does.
        assert_eq!(
            m.notices(
                RequestKind::Rectification,
                [("odoo", TaskAction::Rectify, Succeeded)]
            )
            .len(),
            1
        );
        assert!(
            m.notices(
                RequestKind::Access,
                [("odoo", TaskAction::Access, Succeeded)]
            )
            .is_empty()
        );
        assert_eq!(m.label("fidu"), "Accounting firm Fidu & Co");
        assert_eq!(m.label("odoo"), "odoo");
    }

    #[test]
    fn a_recipient_must_be_declared_named_and_reachable() {
        let mut m = map();
        m.systems[0].recipients = vec!["Fidu & Co".to_owned()];
        let e = m.validate().unwrap_err();
        assert_eq!(e.key, "recipients[0]");
        assert!(e.message.contains("[[recipient]]"), "{e}");
        let mut m = map();
        m.recipients.push(Recipient {
            name: "odoo".to_owned(),
            label: "Odoo".to_owned(),
            kind: ConnectorKind::Email,
            receives: None,
        });
        assert!(m.validate().unwrap_err().message.contains("another"));
        m.recipients[0].name = "fidu".to_owned();
        m.recipients[0].kind = ConnectorKind::Sql;
        assert_eq!(m.validate().unwrap_err().key, "kind");
        m.recipients[0].kind = ConnectorKind::Manual;
        m.recipients[0].label = " ".to_owned();
        assert_eq!(m.validate().unwrap_err().key, "label");
    }

    #[test]
    fn objection_opts_out_of_marketing_and_asks_the_officer_about_legitimate_interest() {
        let p = plan(RequestKind::Objection);
        assert_eq!(
            p,
            vec![
                ("klaviyo".to_owned(), TaskAction::OptOut),
                ("posthog".to_owned(), TaskAction::Restrict),
                ("posthog".to_owned(), TaskAction::Decide),
            ]
        );
    }

    #[test]
    fn portability_only_covers_consent_and_contract() {
        let p = plan(RequestKind::Portability);
        let systems: Vec<&str> = p.iter().map(|(s, _)| s.as_str()).collect();
        assert_eq!(systems, vec!["odoo", "crisp"]);
    }

    #[test]
    fn consent_withdrawal_stops_consent_based_processing() {
        let p = plan(RequestKind::ConsentWithdrawal);
        let systems: Vec<&str> = p.iter().map(|(s, _)| s.as_str()).collect();
        assert_eq!(systems, vec!["klaviyo", "crisp"]);
    }

    #[test]
    fn duplicate_names_and_uncited_retention_are_refused() {
        let mut m = map();
        m.systems.push(sys("odoo", &[], false));
        assert!(
            m.validate()
                .unwrap_err()
                .to_string()
                .contains("another system")
        );
        let mut m = map();
        m.systems[0].retention.push(RetentionRule {
            category: "invoice".to_owned(),
            period: Period::Years(10),
            basis: LegalBasis::LegalObligation,
            rule: " ".to_owned(),
        });
        let e = m.validate().unwrap_err();
        assert_eq!(e.key, "retention[0].rule");
    }

    #[test]
    fn periods_parse_in_singular_and_plural() {
        assert_eq!("10 years".parse::<Period>().unwrap(), Period::Years(10));
        assert_eq!("1 month".parse::<Period>().unwrap(), Period::Months(1));
        assert_eq!(Period::Years(1).to_string(), "1 year");
        assert!("ten years".parse::<Period>().is_err());
        assert!("0 days".parse::<Period>().is_err());
        assert!("3 weeks".parse::<Period>().is_err());
    }
}
