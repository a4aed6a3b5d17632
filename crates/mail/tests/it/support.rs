//! Sample contexts for every message, and helpers shared by the tests.

use chrono::{DateTime, NaiveDate, Utc};
use dsrflow_domain::channel::Language;
use dsrflow_domain::regime::Regime;
use dsrflow_domain::{RequestKind, SubjectName};
use dsrflow_mail::messages::officer::{
    DailyDigest, DigestItem, Escalation, EscalationReason, Reminder,
};
use dsrflow_mail::messages::processor::{
    NoticeAction, ProcessorReminder, ProcessorRequest, RecipientNotice,
};
use dsrflow_mail::messages::subject::{
    Acknowledgement, ClosedUnidentified, CompletedAccess, CompletedErasure, CompletedOther,
    DownloadCode, ErasureLine, ErasureOutcome, ExtensionNotice, Forwarded, Kept, KeptFor,
    ObjectionDecision, PeriodUnit, Refusal, RequestLine, VerifyIdentity, Withdrawn,
};
use dsrflow_mail::messages::{
    Controller, ForwardRequest, Identifier, IdentifierKind, SupervisoryAuthority,
};
use dsrflow_mail::{Email, Rendered, TemplateError, Templates};

pub const REFERENCE: &str = "DSR-7K3QXPMA";
pub const STATUS_URL: &str = "https://privacy.example.com/status/tok_status?lang=en&x=1";
pub const VERIFY_URL: &str = "https://privacy.example.com/verify/tok_verify";
pub const DOWNLOAD_URL: &str = "https://privacy.example.com/download/tok_download";
pub const CONFIRM_URL: &str = "https://privacy.example.com/confirm/tok_confirm";
pub const SHA256: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

pub fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

pub fn instant(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

pub fn controller() -> Controller {
    Controller {
        name: "Example Hosting SRL".into(),
        contact_email: "privacy@example.com".into(),
    }
}

pub fn name(raw: &str) -> Option<SubjectName> {
    Some(SubjectName::parse(raw).unwrap())
}

pub fn acknowledgement(subject_name: Option<SubjectName>) -> Acknowledgement {
    Acknowledgement {
        reference: REFERENCE.into(),
        kind: RequestKind::Access,
        subject_name,
        received_on: day(2026, 3, 3),
        deadline: day(2026, 4, 3),
        regime: dsrflow_domain::regime::Regime::Gdpr,
        status_url: STATUS_URL.into(),
        verification_needed: true,
        controller: controller(),
    }
}

/// A sample extension notice (GDPR).
pub fn extension_notice() -> ExtensionNotice {
    ExtensionNotice {
        reference: REFERENCE.into(),
        kind: RequestKind::Access,
        subject_name: None,
        received_on: day(2026, 3, 3),
        original_deadline: day(2026, 4, 3),
        new_deadline: day(2026, 6, 3),
        regime: dsrflow_domain::regime::Regime::Gdpr,
        reasons: "Your data is spread over eleven systems, two of which are archived.".into(),
        status_url: STATUS_URL.into(),
        controller: controller(),
    }
}

fn identifiers() -> Vec<Identifier> {
    vec![
        Identifier {
            kind: IdentifierKind::Email,
            value: "alice@example.org".into(),
        },
        Identifier {
            kind: IdentifierKind::AccountId,
            value: "cus_NffrFeUfNV2Hib".into(),
        },
    ]
}

fn item(reference: &str, kind: RequestKind, days_left: i64, note: Option<&str>) -> DigestItem {
    DigestItem {
        reference: reference.into(),
        kind,
        deadline: day(2026, 4, 3),
        days_left,
        note: note.map(Into::into),
        url: format!("https://privacy.example.com/dashboard/requests/{reference}"),
    }
}

/// Who a message goes to, which decides what its subject must carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    Subject,
    Processor,
    Officer,
}

/// Renders one sample of every message in `lang`, with `subject_name` where a message greets the
/// subject by name.
pub fn render_all(
    t: &Templates,
    lang: Language,
    subject_name: Option<SubjectName>,
) -> Result<Vec<(&'static str, Audience, Rendered)>, TemplateError> {
    let authority = SupervisoryAuthority::belgium(lang);
    let n = subject_name;
    let mut out = Vec::new();
    let mut push =
        |name, audience, r: Result<Rendered, TemplateError>| -> Result<(), TemplateError> {
            out.push((name, audience, r?));
            Ok(())
        };
    use Audience::{Officer, Processor, Subject};
    push(
        "acknowledgement",
        Subject,
        acknowledgement(n.clone()).render(t, lang),
    )?;
    push(
        "verify_identity",
        Subject,
        VerifyIdentity {
            reference: REFERENCE.into(),
            kind: RequestKind::Erasure,
            subject_name: n.clone(),
            verify_url: VERIFY_URL.into(),
            expires_at: instant("2026-03-05T14:00:00Z"),
            also: vec![RequestLine {
                reference: "DSR-AAAAAAAA".into(),
                kind: RequestKind::Access,
            }],
            controller: controller(),
        }
        .render(t, lang),
    )?;
    push(
        "download_code",
        Subject,
        DownloadCode {
            reference: REFERENCE.into(),
            subject_name: n.clone(),
            code: "493817".into(),
            expires_at: instant("2026-03-05T14:00:00Z"),
            controller: controller(),
        }
        .render(t, lang),
    )?;
    push(
        "extension_notice",
        Subject,
        ExtensionNotice {
            subject_name: n.clone(),
            ..extension_notice()
        }
        .render(t, lang),
    )?;
    push(
        "refusal",
        Subject,
        Refusal {
            regime: Regime::Gdpr,
            reference: REFERENCE.into(),
            kind: RequestKind::Erasure,
            subject_name: n.clone(),
            received_on: day(2026, 3, 3),
            reasons: "The invoices are needed for a pending court case.".into(),
            authority: authority.clone(),
            controller: controller(),
        }
        .render(t, lang),
    )?;
    push(
        "completed_access",
        Subject,
        CompletedAccess {
            regime: Regime::Gdpr,
            reference: REFERENCE.into(),
            kind: RequestKind::Access,
            subject_name: n.clone(),
            received_on: day(2026, 3, 3),
            download_url: DOWNLOAD_URL.into(),
            expires_at: instant("2026-04-17T23:59:00Z"),
            package_file_name: "DSR-7K3QXPMA.zip".into(),
            package_sha256: SHA256.into(),
            controller: controller(),
        }
        .render(t, lang),
    )?;
    push(
        "completed_erasure",
        Subject,
        CompletedErasure {
            regime: Regime::Gdpr,
            reference: REFERENCE.into(),
            subject_name: n.clone(),
            received_on: day(2026, 3, 3),
            systems: vec![
                ErasureLine {
                    system: "Newsletter (Klaviyo)".into(),
                    outcome: ErasureOutcome::Requested,
                    kept: vec![],
                    backups_until: None,
                },
                ErasureLine {
                    system: "Product analytics (PostHog)".into(),
                    outcome: ErasureOutcome::Anonymised,
                    kept: vec![],
                    backups_until: None,
                },
                ErasureLine {
                    system: "Chat (Crisp)".into(),
                    outcome: ErasureOutcome::NothingHeld,
                    kept: vec![],
                    backups_until: None,
                },
                ErasureLine {
                    system: "Invoicing (Odoo)".into(),
                    outcome: ErasureOutcome::Anonymised,
                    kept: vec![Kept {
                        what: Some("invoice".into()),
                        period: Some(KeptFor {
                            count: 10,
                            unit: PeriodUnit::Years,
                        }),
                        basis: Some("legal_obligation".into()),
                        rule: "Belgian VAT Code art. 60".into(),
                        until: Some(day(2036, 2, 14)),
                    }],
                    backups_until: Some(day(2026, 4, 2)),
                },
            ],
            recipients_notified: vec!["Klaviyo".into(), "Stripe".into()],
            suppression_kept: true,
            authority: authority.clone(),
            controller: controller(),
        }
        .render(t, lang),
    )?;
    push(
        "completed_other",
        Subject,
        CompletedOther {
            regime: Regime::Gdpr,
            reference: REFERENCE.into(),
            kind: RequestKind::Objection,
            subject_name: n.clone(),
            received_on: day(2026, 3, 3),
            systems: vec!["Klaviyo".into(), "Google Analytics".into()],
            decisions: vec![
                ObjectionDecision {
                    system: "Support mailbox".into(),
                    upheld: true,
                    grounds: Some("No compelling grounds to keep the support history.".into()),
                    restriction_lifted: false,
                },
                ObjectionDecision {
                    system: "Fraud prevention".into(),
                    upheld: false,
                    grounds: Some(
                        "We need the sign-up log to detect fraud against our customers.".into(),
                    ),
                    restriction_lifted: true,
                },
            ],
            corrections: vec![],
            recipients_notified: vec![],
            authority: authority.clone(),
            controller: controller(),
        }
        .render(t, lang),
    )?;

    push(
        "forwarded",
        Subject,
        Forwarded {
            reference: REFERENCE.into(),
            kind: RequestKind::Access,
            subject_name: n.clone(),
            received_on: day(2026, 3, 3),
            forwarded_on: day(2026, 3, 4),
            forwarded_to: "Boulangerie Dupont SPRL".into(),
            forwarded_to_contact: Some("privacy@dupont.example".into()),
            reason: Some("Your data is in the online shop we host for Boulangerie Dupont.".into()),
            controller: controller(),
        }
        .render(t, lang),
    )?;
    push(
        "closed_unidentified",
        Subject,
        ClosedUnidentified {
            regime: Regime::Gdpr,
            reference: REFERENCE.into(),
            kind: RequestKind::Access,
            subject_name: n.clone(),
            received_on: day(2026, 3, 3),
            reason: Some("The confirmation link was not opened within 14 days.".into()),
            new_request_url: Some("https://privacy.example.com/request".into()),
            authority: authority.clone(),
            controller: controller(),
        }
        .render(t, lang),
    )?;
    push(
        "withdrawn",
        Subject,
        Withdrawn {
            reference: REFERENCE.into(),
            kind: RequestKind::Erasure,
            subject_name: n.clone(),
            received_on: day(2026, 3, 3),
            withdrawn_on: day(2026, 3, 5),
            work_started: true,
            new_request_url: Some("https://privacy.example.com/request".into()),
            controller: controller(),
        }
        .render(t, lang),
    )?;
    push(
        "processor_request",
        Processor,
        ProcessorRequest {
            reference: REFERENCE.into(),
            kind: RequestKind::Erasure,
            processor_name: "Acme Mailing".into(),
            identifiers: identifiers(),
            details: Some("Including the archived campaign lists.".into()),
            confirm_url: CONFIRM_URL.into(),
            respond_by: day(2026, 3, 20),
            controller: controller(),
        }
        .render(t, lang),
    )?;
    push(
        "forward_request",
        Processor,
        ForwardRequest {
            reference: REFERENCE.into(),
            kind: RequestKind::Access,
            controller_name: "Brasserie Dupont SPRL".into(),
            received_on: day(2026, 3, 3),
            identifiers: identifiers(),
            controller: controller(),
        }
        .render(t, lang),
    )?;
    push(
        "processor_reminder",
        Processor,
        ProcessorReminder {
            reference: REFERENCE.into(),
            kind: RequestKind::Erasure,
            processor_name: "Acme Mailing".into(),
            first_sent_on: day(2026, 3, 4),
            respond_by: day(2026, 3, 20),
            confirm_url: CONFIRM_URL.into(),
            reminder_number: 2,
            controller: controller(),
        }
        .render(t, lang),
    )?;
    push(
        "recipient_notice",
        Processor,
        RecipientNotice {
            reference: REFERENCE.into(),
            action: NoticeAction::Rectification,
            recipient_name: "Acme Logistics".into(),
            identifiers: identifiers(),
            details: Some("Delivery address: Rue de la Loi 16, 1000 Brussels.".into()),
            carried_out_on: day(2026, 3, 10),
            confirm_url: Some(CONFIRM_URL.into()),
            controller: controller(),
        }
        .render(t, lang),
    )?;
    push(
        "reminder",
        Officer,
        Reminder {
            reference: REFERENCE.into(),
            kind: RequestKind::Access,
            received_on: day(2026, 3, 3),
            deadline: day(2026, 4, 3),
            days_left: 5,
            extended: false,
            request_url: "https://privacy.example.com/dashboard/requests/1".into(),
        }
        .render(t, lang),
    )?;
    push(
        "escalation",
        Officer,
        Escalation {
            reference: REFERENCE.into(),
            kind: RequestKind::Erasure,
            deadline: day(2026, 4, 3),
            reason: EscalationReason::ProcessorSilent {
                processor: "Acme Mailing".into(),
                sent_on: day(2026, 3, 4),
                reminders_sent: 2,
            },
            request_url: "https://privacy.example.com/dashboard/requests/1".into(),
        }
        .render(t, lang),
    )?;
    push(
        "daily_digest",
        Officer,
        DailyDigest {
            day: day(2026, 3, 30),
            overdue: vec![item("DSR-AAAAAAAA", RequestKind::Erasure, -2, None)],
            due_soon: vec![
                item("DSR-BBBBBBBB", RequestKind::Access, 4, None),
                item("DSR-CCCCCCCC", RequestKind::Objection, 1, None),
            ],
            blocked: vec![item(
                "DSR-DDDDDDDD",
                RequestKind::Erasure,
                9,
                Some("waiting for Acme Mailing"),
            )],
            review_waiting: 3,
            review_url: "https://privacy.example.com/api/v1/inbox/review".into(),
            dashboard_url: "https://privacy.example.com/dashboard".into(),
        }
        .render(t, lang),
    )?;
    Ok(out)
}

/// The other variants of the escalation, rendered for coverage of every branch.
pub fn escalations(t: &Templates, lang: Language) -> Vec<Rendered> {
    [
        EscalationReason::Overdue { days_overdue: 3 },
        EscalationReason::ExtensionWindowClosing {
            notice_by: day(2026, 4, 3),
            days_left: 2,
        },
    ]
    .into_iter()
    .map(|reason| {
        Escalation {
            reference: REFERENCE.into(),
            kind: RequestKind::Access,
            deadline: day(2026, 4, 3),
            reason,
            request_url: "https://privacy.example.com/dashboard/requests/1".into(),
        }
        .render(t, lang)
        .unwrap()
    })
    .collect()
}

/// The answer to a request of `kind` handled in one system, without corrections.
pub fn other_done(t: &Templates, lang: Language, kind: RequestKind, regime: Regime) -> Rendered {
    CompletedOther {
        regime,
        reference: REFERENCE.into(),
        kind,
        subject_name: None,
        received_on: day(2026, 3, 3),
        systems: vec!["Session recordings (Hotjar)".into()],
        decisions: vec![],
        corrections: vec![],
        recipients_notified: vec![],
        authority: SupervisoryAuthority::belgium(lang),
        controller: controller(),
    }
    .render(t, lang)
    .unwrap()
}

/// A rectification's answer, with two corrections (one of a detail the templates do not name).
pub fn rectification_done(t: &Templates, lang: Language) -> Rendered {
    CompletedOther {
        regime: Regime::Gdpr,
        reference: REFERENCE.into(),
        kind: RequestKind::Rectification,
        subject_name: None,
        received_on: day(2026, 3, 3),
        systems: vec!["Customer accounts and invoices".into()],
        decisions: vec![],
        corrections: vec![
            dsrflow_domain::Correction {
                field: "postal_address".into(),
                value: "12 Rue Haute, 1000 Brussels".into(),
            },
            dsrflow_domain::Correction {
                field: "shoe_size".into(),
                value: "42".into(),
            },
        ],
        recipients_notified: vec!["Accounting firm Fidu & Co".into()],
        authority: SupervisoryAuthority::belgium(lang),
        controller: controller(),
    }
    .render(t, lang)
    .unwrap()
}
