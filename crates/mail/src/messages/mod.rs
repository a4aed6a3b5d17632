//! The messages dsrflow sends, one typed context per message.
//!
//! Each context is a plain struct that serialises into the template's variables; its
//! [`Email::NAME`] is the folder under `templates/email`. Render with
//! [`Email::render`], then wrap the result in an [`Outgoing`](crate::Outgoing).
//!
//! - to the data subject ([`subject`]): acknowledgement, identity check, extension, refusal,
//!   completions, forwarding, closure;
//! - to processors and recipients ([`processor`]): requests, reminders, Art. 19 notices;
//! - to the privacy officer ([`officer`]): reminders, escalations, the daily digest. These carry
//!   request references and links only, never a subject's name or address.
//!
//! Dates are `NaiveDate` (a calendar day, shown as `3 March 2026`) or `DateTime<Utc>` (an
//! instant, shown in UTC); they are always passed in, never read from a clock.

pub mod officer;
pub mod processor;
pub mod subject;

use std::fmt;

use dsrflow_domain::channel::Language;
use serde::{Deserialize, Serialize};

use crate::error::TemplateError;
use crate::templates::{Rendered, Templates};

pub use officer::{DailyDigest, DigestItem, Escalation, EscalationReason, Reminder};
pub use processor::{
    ForwardRequest, NoticeAction, ProcessorReminder, ProcessorRequest, RecipientNotice,
};
pub use subject::{
    Acknowledgement, ClosedUnidentified, CompletedAccess, CompletedErasure, CompletedOther,
    DownloadCode, ErasureLine, ErasureOutcome, ExtensionNotice, Forwarded, Kept, KeptFor,
    ObjectionDecision, PeriodUnit, Refusal, RequestLine, VerifyIdentity, Withdrawn,
};

/// A message context that renders through its template folder.
pub trait Email: Serialize {
    /// The template folder under `templates/email`, e.g. `"acknowledgement"`.
    const NAME: &'static str;

    /// Renders the subject, text and HTML in `lang` (English where a translation is missing).
    fn render(&self, templates: &Templates, lang: Language) -> Result<Rendered, TemplateError> {
        templates.render(Self::NAME, lang, self)
    }
}

/// The organisation answering the request (the controller), as named in mails.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Controller {
    /// Its name, e.g. `Example Hosting SRL`.
    pub name: String,
    /// Where people can write about their data, e.g. `privacy@example.com`.
    pub contact_email: String,
}

/// The supervisory authority a subject may complain to (GDPR Art. 77). Configurable; its name
/// is given in the language of the message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupervisoryAuthority {
    /// The authority's name in the message's language.
    pub name: String,
    /// Its website, where complaints are filed.
    pub website: String,
}

impl SupervisoryAuthority {
    /// The authority that hears complaints under a regime other than the EU GDPR (whose
    /// authority is the controller's lead authority, configured), named in `lang` where it
    /// has an official name in it. None for the EU GDPR.
    pub fn for_regime(regime: dsrflow_domain::regime::Regime, lang: Language) -> Option<Self> {
        use dsrflow_domain::regime::Regime;
        let fr = lang == Language::Fr;
        let (name, website) = match regime {
            Regime::Gdpr => return None,
            Regime::UkGdpr => (
                "Information Commissioner's Office (ICO)",
                "https://ico.org.uk/make-a-complaint/",
            ),
            Regime::Ccpa => (
                "California Privacy Protection Agency (CPPA)",
                "https://cppa.ca.gov/webapplications/complaint",
            ),
            Regime::Vcdpa => (
                "Office of the Attorney General of Virginia",
                "https://www.oag.state.va.us/consumer-protection/",
            ),
            Regime::Lgpd => (
                "Autoridade Nacional de Proteção de Dados (ANPD)",
                "https://www.gov.br/anpd/",
            ),
            Regime::Nfadp if fr => (
                "Préposé fédéral à la protection des données et à la transparence (PFPDT)",
                "https://www.edoeb.admin.ch/fr",
            ),
            Regime::Nfadp => (
                "Federal Data Protection and Information Commissioner (FDPIC)",
                "https://www.edoeb.admin.ch/en",
            ),
            Regime::Quebec => (
                "Commission d’accès à l’information du Québec (CAI)",
                "https://www.cai.gouv.qc.ca/",
            ),
        };
        Some(Self {
            name: name.to_owned(),
            website: website.to_owned(),
        })
    }

    /// The Belgian authority, named in `lang`: Belgian Data Protection Authority, Autorité de
    /// protection des données (APD), Gegevensbeschermingsautoriteit (GBA). German messages fall
    /// back to English templates, so German gets the English name.
    pub fn belgium(lang: Language) -> Self {
        let (name, website) = match lang {
            Language::Fr => (
                "Autorité de protection des données (APD)",
                "https://www.autoriteprotectiondonnees.be",
            ),
            Language::Nl => (
                "Gegevensbeschermingsautoriteit (GBA)",
                "https://www.gegevensbeschermingsautoriteit.be",
            ),
            Language::En | Language::De => (
                "Belgian Data Protection Authority",
                "https://www.dataprotectionauthority.be",
            ),
        };
        Self {
            name: name.to_owned(),
            website: website.to_owned(),
        }
    }
}

/// What kind of identifier is given to a processor or recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentifierKind {
    /// An email address.
    Email,
    /// A name.
    Name,
    /// A phone number.
    Phone,
    /// A customer or account number in the processor's or our systems.
    AccountId,
}

/// One way to find the subject in a processor's or recipient's systems. `Debug` masks the value.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identifier {
    /// What the value is.
    pub kind: IdentifierKind,
    /// The value, in full (it is what the processor searches for).
    pub value: String,
}

impl fmt::Debug for Identifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let head: String = self.value.chars().take(1).collect();
        write!(f, "Identifier({:?}, {head}***)", self.kind)
    }
}
