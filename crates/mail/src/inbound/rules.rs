//! The classifier's rule tables: phrases per request kind and language, out-of-office subjects,
//! address cues and negations, and the word matcher that applies them.
//!
//! Rules are written with their accents, as people type them; they are folded the same way as
//! the text (lower case, no diacritics) before matching. See the [module docs](super) for the
//! pattern syntax (`*` word endings/beginnings, `..` gaps).

use std::sync::LazyLock;

use dsrflow_domain::RequestKind;
use dsrflow_domain::channel::Language;

use super::text::{Token, fold};

/// One phrase rule: when `pattern` occurs in the subject or new text, the mail asks for `kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KindRule {
    /// The right the phrase asks for.
    pub kind: RequestKind,
    /// The phrase's language; `None` for article numbers and terms used across languages.
    pub language: Option<Language>,
    /// The phrase, in the pattern syntax of the module docs.
    pub pattern: &'static str,
    /// True for a phrase or an unambiguous term, false for a single generic word.
    pub strong: bool,
}

const fn rule(
    kind: RequestKind,
    language: Option<Language>,
    strong: bool,
    pattern: &'static str,
) -> KindRule {
    KindRule {
        kind,
        language,
        pattern,
        strong,
    }
}

use Language::{De, En, Fr, Nl};
use RequestKind::{
    Access, ConsentWithdrawal, Erasure, Objection, Portability, Rectification, Restriction,
};

const ANY: Option<Language> = None;
const EN: Option<Language> = Some(En);
const FR: Option<Language> = Some(Fr);
const NL: Option<Language> = Some(Nl);
const DE: Option<Language> = Some(De);
const STRONG: bool = true;
const WEAK: bool = false;

/// Every phrase rule, grouped by kind then language.
pub static KIND_RULES: &[KindRule] = &[
    // --- Access (Art. 15) ---
    rule(Access, ANY, STRONG, "article 15"),
    rule(Access, ANY, STRONG, "art 15"),
    rule(Access, ANY, STRONG, "artikel 15"),
    rule(Access, ANY, STRONG, "dsar"),
    rule(Access, EN, STRONG, "access to .. data"),
    rule(Access, EN, WEAK, "access to my .. information"),
    rule(Access, EN, STRONG, "copy of .. data"),
    rule(Access, EN, STRONG, "copy of .. personal information"),
    rule(Access, EN, STRONG, "what .. data .. you hold"),
    rule(Access, EN, STRONG, "what .. data .. you have"),
    rule(Access, EN, STRONG, "which .. data .. you hold"),
    rule(Access, EN, STRONG, "what .. information .. you hold"),
    // Not "data you hold about me" alone: erasure mails say "delete the data you hold about me".
    rule(Access, EN, STRONG, "subject access"),
    rule(Access, EN, STRONG, "right of access"),
    rule(Access, EN, STRONG, "right to access"),
    rule(Access, EN, WEAK, "access request"),
    rule(Access, FR, STRONG, "droit d'accès"),
    rule(Access, FR, STRONG, "accès à .. données"),
    rule(Access, FR, STRONG, "copie de .. données"),
    rule(Access, FR, STRONG, "quelles .. données .. vous"),
    rule(Access, FR, STRONG, "données que vous détenez"),
    rule(Access, FR, STRONG, "demande d'accès"),
    rule(Access, NL, WEAK, "inzage"),
    rule(Access, NL, STRONG, "inzageverzoek"),
    rule(Access, NL, STRONG, "inzagerecht"),
    rule(Access, NL, STRONG, "recht op inzage"),
    rule(Access, NL, STRONG, "verzoek om inzage"),
    rule(Access, NL, STRONG, "kopie van .. *gegevens"),
    rule(Access, NL, STRONG, "welke .. *gegevens"),
    rule(Access, DE, WEAK, "Auskunft"),
    rule(Access, DE, STRONG, "Auskunftsersuchen"),
    rule(Access, DE, STRONG, "Auskunftsanspruch"),
    rule(Access, DE, STRONG, "Auskunftsrecht"),
    rule(Access, DE, STRONG, "Auskunftsantrag"),
    rule(Access, DE, STRONG, "Auskunft* .. *Daten"),
    rule(Access, DE, STRONG, "Kopie meiner .. *Daten"),
    rule(Access, DE, STRONG, "welche .. *Daten .. gespeichert"),
    rule(Access, DE, WEAK, "welche .. *Daten"),
    // --- Erasure (Art. 17) ---
    rule(Erasure, ANY, STRONG, "article 17"),
    rule(Erasure, ANY, STRONG, "art 17"),
    rule(Erasure, ANY, STRONG, "artikel 17"),
    rule(Erasure, EN, STRONG, "delete .. data"),
    rule(Erasure, EN, STRONG, "delete .. account"),
    rule(Erasure, EN, STRONG, "delete .. profile"),
    rule(Erasure, EN, STRONG, "delete my .. information"),
    rule(Erasure, EN, STRONG, "delete my .. details"),
    rule(Erasure, EN, STRONG, "delete me"),
    rule(Erasure, EN, STRONG, "data .. deleted"),
    rule(Erasure, EN, STRONG, "account .. deleted"),
    rule(Erasure, EN, STRONG, "deletion of .. data"),
    rule(Erasure, EN, STRONG, "deletion request"),
    rule(Erasure, EN, STRONG, "erasure"),
    rule(Erasure, EN, STRONG, "erase .. data"),
    rule(Erasure, EN, STRONG, "erase .. account"),
    rule(Erasure, EN, STRONG, "erase me"),
    rule(Erasure, EN, STRONG, "erase everything"),
    rule(Erasure, EN, STRONG, "delete everything"),
    rule(Erasure, EN, STRONG, "right to be forgotten"),
    rule(Erasure, EN, STRONG, "remove my account"),
    rule(Erasure, EN, STRONG, "remove my .. data"),
    rule(Erasure, FR, STRONG, "supprim* .. données"),
    rule(Erasure, FR, STRONG, "supprim* .. compte"),
    rule(Erasure, FR, STRONG, "effacement"),
    rule(Erasure, FR, STRONG, "effac* .. données"),
    rule(Erasure, FR, STRONG, "droit à l'oubli"),
    rule(Erasure, NL, STRONG, "verwijder* .. *gegevens"),
    rule(Erasure, NL, STRONG, "*gegevens .. verwijder*"),
    rule(Erasure, NL, STRONG, "verwijder* .. account"),
    rule(Erasure, NL, STRONG, "verwijder* .. profiel"),
    rule(Erasure, NL, STRONG, "wis .. *gegevens"),
    rule(Erasure, NL, STRONG, "wissen .. *gegevens"),
    rule(Erasure, NL, STRONG, "*gegevens .. wissen"),
    rule(Erasure, NL, STRONG, "*gegevens .. gewist"),
    rule(Erasure, NL, STRONG, "recht om vergeten te worden"),
    rule(Erasure, NL, STRONG, "recht op vergetelheid"),
    rule(Erasure, DE, STRONG, "Löschung"),
    rule(Erasure, DE, STRONG, "Loeschung"),
    rule(Erasure, DE, STRONG, "lösch* .. *Daten"),
    rule(Erasure, DE, STRONG, "*Daten .. lösch*"),
    rule(Erasure, DE, STRONG, "loesch* .. *Daten"),
    rule(Erasure, DE, STRONG, "*Daten .. loesch*"),
    rule(Erasure, DE, STRONG, "lösch* .. *Konto"),
    rule(Erasure, DE, STRONG, "*Konto .. lösch*"),
    rule(Erasure, DE, STRONG, "*Daten .. gelöscht"),
    rule(Erasure, DE, STRONG, "Recht auf Vergessenwerden"),
    rule(Erasure, DE, STRONG, "Recht auf Vergessen werden"),
    // --- Objection (Art. 21) ---
    rule(Objection, ANY, STRONG, "article 21"),
    rule(Objection, ANY, STRONG, "art 21"),
    rule(Objection, ANY, STRONG, "artikel 21"),
    rule(Objection, EN, STRONG, "object to"),
    rule(Objection, EN, STRONG, "i object"),
    rule(Objection, EN, WEAK, "objection"),
    rule(Objection, EN, STRONG, "stop sending"),
    rule(Objection, EN, STRONG, "unsubscribe"),
    rule(Objection, EN, STRONG, "no more marketing"),
    rule(Objection, EN, STRONG, "no more .. emails"),
    rule(Objection, EN, STRONG, "no more .. newsletter*"),
    rule(Objection, EN, STRONG, "no longer .. receive"),
    rule(Objection, EN, STRONG, "opt out"),
    rule(Objection, EN, STRONG, "remove me from .. list"),
    rule(Objection, EN, STRONG, "stop .. marketing"),
    rule(Objection, EN, STRONG, "stop processing"),
    rule(Objection, FR, WEAK, "opposition"),
    rule(Objection, FR, STRONG, "droit d'opposition"),
    rule(Objection, FR, STRONG, "m'oppose"),
    rule(Objection, FR, STRONG, "désabonn*"),
    rule(Objection, FR, STRONG, "désinscri*"),
    rule(Objection, FR, STRONG, "ne plus recevoir"),
    rule(Objection, FR, STRONG, "souhaite plus recevoir"),
    rule(Objection, FR, STRONG, "veux plus recevoir"),
    rule(Objection, NL, WEAK, "bezwaar"),
    rule(Objection, NL, STRONG, "bezwaar tegen"),
    rule(Objection, NL, STRONG, "maak bezwaar"),
    rule(Objection, NL, STRONG, "afmelden"),
    rule(Objection, NL, STRONG, "afmelding"),
    rule(Objection, NL, STRONG, "uitschrijven"),
    rule(Objection, NL, STRONG, "geen reclame"),
    rule(Objection, NL, STRONG, "geen marketing"),
    rule(Objection, NL, STRONG, "geen .. nieuwsbrie*"),
    rule(Objection, NL, STRONG, "geen .. mails meer"),
    rule(Objection, DE, WEAK, "Widerspruch"),
    rule(Objection, DE, STRONG, "Widerspruch gegen"),
    rule(Objection, DE, STRONG, "widerspreche*"),
    rule(Objection, DE, STRONG, "abmelden"),
    rule(Objection, DE, STRONG, "abbestellen"),
    rule(Objection, DE, STRONG, "keine Werbung"),
    rule(Objection, DE, STRONG, "keine .. Werbe*"),
    rule(Objection, DE, STRONG, "keine .. Newsletter"),
    // --- Rectification (Art. 16) ---
    rule(Rectification, ANY, STRONG, "article 16"),
    rule(Rectification, ANY, STRONG, "art 16"),
    rule(Rectification, ANY, STRONG, "artikel 16"),
    rule(Rectification, EN, STRONG, "correct my"),
    rule(Rectification, EN, STRONG, "rectify"),
    rule(Rectification, EN, STRONG, "rectification"),
    rule(Rectification, EN, STRONG, "update my .. address"),
    rule(Rectification, EN, STRONG, "change my .. address"),
    rule(Rectification, EN, STRONG, "update my .. name"),
    rule(Rectification, EN, WEAK, "inaccurate"),
    rule(Rectification, FR, STRONG, "rectification"),
    rule(Rectification, FR, STRONG, "rectifier"),
    rule(Rectification, FR, STRONG, "corriger"),
    rule(Rectification, FR, STRONG, "modifier mon .. adresse"),
    rule(Rectification, NL, STRONG, "rectificatie"),
    rule(Rectification, NL, STRONG, "corrigeren"),
    rule(Rectification, NL, STRONG, "*gegevens .. verbeteren"),
    rule(Rectification, NL, STRONG, "verbeteren .. *gegevens"),
    rule(Rectification, DE, STRONG, "Berichtigung"),
    rule(Rectification, DE, STRONG, "berichtigen"),
    rule(Rectification, DE, STRONG, "korrigieren"),
    // --- Restriction (Art. 18) ---
    rule(Restriction, ANY, STRONG, "article 18"),
    rule(Restriction, ANY, STRONG, "art 18"),
    rule(Restriction, ANY, STRONG, "artikel 18"),
    rule(Restriction, EN, WEAK, "restrict"),
    rule(Restriction, EN, WEAK, "restriction"),
    rule(Restriction, EN, STRONG, "restrict .. processing"),
    rule(Restriction, EN, STRONG, "restriction of .. processing"),
    rule(Restriction, FR, WEAK, "limitation"),
    rule(Restriction, FR, STRONG, "limitation .. traitement"),
    rule(Restriction, FR, STRONG, "limiter .. traitement"),
    rule(Restriction, FR, STRONG, "droit à la limitation"),
    rule(Restriction, NL, WEAK, "beperking"),
    rule(Restriction, NL, STRONG, "beperk* .. verwerking"),
    rule(Restriction, NL, STRONG, "recht op beperking"),
    rule(Restriction, DE, WEAK, "Einschränkung"),
    rule(Restriction, DE, WEAK, "Einschraenkung"),
    rule(Restriction, DE, STRONG, "einschränk* .. Verarbeitung"),
    rule(Restriction, DE, STRONG, "Verarbeitung .. einschränk*"),
    rule(Restriction, DE, STRONG, "Recht auf Einschränkung"),
    // --- Portability (Art. 20) ---
    rule(Portability, ANY, STRONG, "article 20"),
    rule(Portability, ANY, STRONG, "art 20"),
    rule(Portability, ANY, STRONG, "artikel 20"),
    rule(Portability, EN, STRONG, "portability"),
    rule(Portability, EN, STRONG, "machine readable"),
    rule(Portability, EN, STRONG, "port my data"),
    rule(Portability, FR, STRONG, "portabilité"),
    rule(Portability, FR, STRONG, "lisible par machine"),
    rule(Portability, FR, STRONG, "lisible par ordinateur"),
    rule(Portability, NL, STRONG, "overdraagbaarheid"),
    rule(Portability, NL, STRONG, "dataportabiliteit"),
    rule(Portability, NL, STRONG, "portabiliteit"),
    rule(Portability, NL, STRONG, "machineleesbaar"),
    rule(Portability, DE, STRONG, "Datenübertragbarkeit"),
    rule(Portability, DE, STRONG, "Datenuebertragbarkeit"),
    rule(Portability, DE, STRONG, "Übertragbarkeit"),
    rule(Portability, DE, STRONG, "maschinenlesbar*"),
    // --- Consent withdrawal (Art. 7(3)) ---
    rule(ConsentWithdrawal, ANY, STRONG, "article 7(3)"),
    rule(ConsentWithdrawal, ANY, STRONG, "art 7(3)"),
    rule(ConsentWithdrawal, ANY, STRONG, "artikel 7(3)"),
    rule(ConsentWithdrawal, EN, STRONG, "withdraw .. consent"),
    rule(ConsentWithdrawal, EN, STRONG, "withdrawing .. consent"),
    rule(ConsentWithdrawal, EN, STRONG, "withdrawal of .. consent"),
    rule(ConsentWithdrawal, EN, STRONG, "revoke .. consent"),
    rule(ConsentWithdrawal, EN, STRONG, "revoking .. consent"),
    rule(ConsentWithdrawal, EN, STRONG, "consent .. withdrawn"),
    rule(ConsentWithdrawal, EN, STRONG, "consent .. revoked"),
    rule(ConsentWithdrawal, FR, STRONG, "retir* .. consentement"),
    rule(ConsentWithdrawal, FR, STRONG, "retrait .. consentement"),
    rule(ConsentWithdrawal, FR, STRONG, "révoqu* .. consentement"),
    rule(ConsentWithdrawal, NL, STRONG, "toestemming .. intrek*"),
    rule(
        ConsentWithdrawal,
        NL,
        STRONG,
        "toestemming .. in te trekken",
    ),
    rule(ConsentWithdrawal, NL, STRONG, "trek* .. toestemming .. in"),
    rule(ConsentWithdrawal, NL, STRONG, "intrekking .. toestemming"),
    rule(ConsentWithdrawal, DE, STRONG, "Einwilligung .. widerruf*"),
    rule(ConsentWithdrawal, DE, STRONG, "widerruf* .. Einwilligung"),
    rule(ConsentWithdrawal, DE, STRONG, "Zustimmung .. widerruf*"),
    rule(ConsentWithdrawal, DE, STRONG, "widerruf* .. Zustimmung"),
];

/// Subject beginnings of out-of-office replies and bounces, folded (lower case, no accents),
/// with punctuation other than `:` and `'` read as a space and no space before `:`. A subject
/// matches when it starts with one of them followed by the end, a non-letter or a colon.
pub static AUTO_REPLY_SUBJECTS: &[&str] = &[
    // English
    "out of office",
    "out of the office",
    "automatic reply",
    "automatic response",
    "auto reply",
    "autoreply",
    "auto response",
    "autoresponse",
    "away from the office",
    "undeliverable",
    "undelivered mail",
    "delivery status notification",
    "mail delivery failed",
    "delivery failure",
    "returned mail",
    // French
    "reponse automatique",
    "absence du bureau",
    "absence:",
    "absent:",
    "message d'absence",
    "non remis",
    "non distribuable",
    // Dutch
    "afwezig",
    "automatisch antwoord",
    "automatische antwoord",
    "automatisch bericht",
    "onbestelbaar",
    "niet bezorgd",
    // German
    "abwesenheitsnotiz",
    "automatische antwort",
    "abwesend",
    "abwesenheit:",
    "unzustellbar",
    "nicht zustellbar",
];

/// Phrases of a mail written for someone else (their authority to ask must be checked by a
/// person), folded (lower case, no accents).
pub static ON_BEHALF_CUES: &[&str] = &[
    // English
    "on behalf of",
    "on his behalf",
    "on her behalf",
    "on their behalf",
    "my mother",
    "my father",
    "my son",
    "my daughter",
    "my wife",
    "my husband",
    "my late ",
    // French
    "au nom de",
    "pour le compte de",
    "ma mere",
    "mon pere",
    // Dutch
    " namens ",
    "in naam van",
    "mijn moeder",
    "mijn vader",
    // German
    "im namen",
    "im auftrag",
    "mein mandant",
    "meine mandantin",
    "meine mutter",
    "mein vater",
];

/// Phrases of a commercial message about data-protection services (a sales pitch names every
/// right without asking for any), folded.
pub static COMMERCIAL_CUES: &[&str] = &[
    // English
    "book a demo",
    "request a demo",
    "schedule a demo",
    "free trial",
    "our platform",
    "our solution",
    "our software",
    "webinar",
    // French
    "notre solution",
    "notre plateforme",
    "notre logiciel",
    "une demonstration",
    "essai gratuit",
    // Dutch
    "onze oplossing",
    "ons platform",
    "onze software",
    "vraag een demo",
    "gratis proefperiode",
    // German
    "unsere losung",
    "unsere plattform",
    "unsere software",
    "kostenlos testen",
];

/// Phrases after which a writer gives their own address, folded (lower case, no accents).
pub static ADDRESS_CUES: &[&str] = &[
    // English
    "my email is",
    "my e-mail is",
    "my email address",
    "my e-mail address",
    "my address is",
    "use my address",
    "use my email",
    "use my e-mail",
    "my account email",
    "registered under",
    "registered with the address",
    "registered email",
    "contact me at",
    "reach me at",
    // French
    "mon adresse",
    "mon e-mail",
    "mon email",
    "mon mail",
    "mon courriel",
    // Dutch
    "mijn e-mailadres",
    "mijn emailadres",
    "mijn mailadres",
    "mijn e-mail",
    "mijn email",
    "mijn adres",
    // German
    "meine e-mail-adresse",
    "meine e-mail adresse",
    "meine emailadresse",
    "meine mailadresse",
    "meine e-mail",
    "meine email",
    "meine adresse",
];

/// Words that, in the three words before a match in the same clause, cancel it ("I do *not*
/// want my account deleted"). French "ne" is left out on purpose: "je ne souhaite plus
/// recevoir" is an objection, not a negated one.
pub static NEGATIONS: &[&str] = &[
    "not", "no", "never", "don", "dont", "doesn", "didn", "t", "without", "pas", "jamais", "sans",
    "niet", "geen", "nooit", "zonder", "nicht", "kein", "keine", "keinen", "niemals", "ohne",
];

/// How many other words `..` allows between two rule words.
const MAX_GAP: usize = 4;

/// How many words before a match are checked for a negation.
const NEGATION_WINDOW: usize = 3;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Element {
    Word(String),
    Prefix(String),
    Suffix(String),
    Gap,
}

impl Element {
    fn matches(&self, word: &str) -> bool {
        match self {
            Element::Word(w) => word == w,
            Element::Prefix(p) => word.starts_with(p.as_str()),
            Element::Suffix(s) => word.ends_with(s.as_str()),
            Element::Gap => true,
        }
    }
}

/// A rule pattern compiled into words, prefixes, suffixes and gaps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pattern(Vec<Element>);

impl Pattern {
    /// Compiles a pattern: pieces separated by spaces; `..` is a gap; a leading or trailing `*`
    /// makes the piece's first word a suffix or its last word a prefix; a piece with inner
    /// punctuation (`d'accès`, `7(3)`) becomes several words, as the text would.
    pub(crate) fn compile(pattern: &str) -> Self {
        let mut elements = Vec::new();
        for piece in pattern.split_whitespace() {
            if piece == ".." {
                elements.push(Element::Gap);
                continue;
            }
            let suffix = piece.starts_with('*');
            let prefix = piece.ends_with('*');
            let folded = fold(piece.trim_matches('*'));
            let words: Vec<&str> = folded
                .split(|c: char| !c.is_alphanumeric())
                .filter(|w| !w.is_empty())
                .collect();
            let last = words.len().saturating_sub(1);
            for (i, w) in words.iter().enumerate() {
                let w = (*w).to_owned();
                elements.push(if i == 0 && suffix {
                    Element::Suffix(w)
                } else if i == last && prefix {
                    Element::Prefix(w)
                } else {
                    Element::Word(w)
                });
            }
        }
        Self(elements)
    }

    fn match_from(&self, tokens: &[Token<'_>], ti: usize, ei: usize) -> bool {
        let Some(element) = self.0.get(ei) else {
            return true;
        };
        if *element == Element::Gap {
            return (0..=MAX_GAP)
                .take_while(|skip| ti + skip <= tokens.len())
                .any(|skip| self.match_from(tokens, ti + skip, ei + 1));
        }
        match tokens.get(ti) {
            Some(t) if element.matches(t.word) => self.match_from(tokens, ti + 1, ei + 1),
            _ => false,
        }
    }

    /// True when the pattern occurs in `tokens` at a position not preceded by a negation in
    /// the same clause.
    pub(crate) fn is_found_in(&self, tokens: &[Token<'_>]) -> bool {
        let Some(first) = self.0.first() else {
            return false;
        };
        tokens.iter().enumerate().any(|(i, t)| {
            first.matches(t.word) && self.match_from(tokens, i, 0) && !negated(tokens, i)
        })
    }
}

fn negated(tokens: &[Token<'_>], start: usize) -> bool {
    let clause = tokens[start].clause;
    tokens[start.saturating_sub(NEGATION_WINDOW)..start]
        .iter()
        .any(|t| t.clause == clause && NEGATIONS.contains(&t.word))
}

/// [`KIND_RULES`] with their compiled patterns, built once.
pub(crate) static COMPILED_KIND_RULES: LazyLock<Vec<(&'static KindRule, Pattern)>> =
    LazyLock::new(|| {
        KIND_RULES
            .iter()
            .map(|r| (r, Pattern::compile(r.pattern)))
            .collect()
    });

/// Folds a subject for [`AUTO_REPLY_SUBJECTS`]: lower case, no accents, punctuation other than
/// `:` and `'` as spaces, single spaces, no space before `:`.
fn normalise_subject(subject: &str) -> String {
    let folded: String = fold(subject)
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == ':' || c == '\'' {
                c
            } else {
                ' '
            }
        })
        .collect();
    folded
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace(" :", ":")
}

/// True when `subject` starts like an out-of-office reply or a bounce.
pub(crate) fn is_auto_reply_subject(subject: &str) -> bool {
    let s = normalise_subject(subject);
    AUTO_REPLY_SUBJECTS.iter().any(|p| {
        s.strip_prefix(p).is_some_and(|rest| {
            p.ends_with(':') || rest.chars().next().is_none_or(|c| !c.is_alphanumeric())
        })
    })
}

#[cfg(test)]
mod tests {
    use super::super::text::tokens;
    use super::*;

    fn found(pattern: &str, text: &str) -> bool {
        let folded = fold(text);
        Pattern::compile(pattern).is_found_in(&tokens(&folded))
    }

    #[test]
    fn words_match_whole_words_only() {
        assert!(found("erasure", "I request erasure."));
        assert!(!found("erasure", "erasures"));
        assert!(found("art 15", "under Art. 15 DSGVO"));
        assert!(!found("art 15", "Art. 150"));
    }

    #[test]
    fn stars_match_word_endings_and_beginnings() {
        assert!(found("désabonn*", "je veux me DESABONNER"));
        assert!(found(
            "verwijder* .. *gegevens",
            "verwijdering van mijn persoonsgegevens"
        ));
        assert!(!found(
            "verwijder* .. *gegevens",
            "verwijder de gegevensbank"
        ));
    }

    #[test]
    fn gaps_allow_up_to_four_words() {
        assert!(found("delete .. data", "delete data"));
        assert!(found("delete .. data", "delete all of my personal data"));
        assert!(!found(
            "delete .. data",
            "delete this mail and all of my data"
        ));
    }

    #[test]
    fn accents_and_apostrophes_are_folded_in_rules_and_text() {
        assert!(found("droit d'accès", "Mon DROIT D’ACCES"));
        assert!(found("Löschung", "die loschung"));
        assert!(found("article 7(3)", "per Article 7 (3) GDPR"));
    }

    #[test]
    fn a_negation_in_the_same_clause_cancels_a_match() {
        assert!(!found(
            "account .. deleted",
            "I do not want my account deleted"
        ));
        assert!(found("delete .. data", "I'm not happy, delete my data"));
        assert!(!found(
            "supprim* .. données",
            "je ne veux pas supprimer mes données"
        ));
        assert!(found(
            "ne plus recevoir",
            "Je souhaite ne plus recevoir vos offres"
        ));
    }

    #[test]
    fn every_rule_compiles_to_at_least_one_word() {
        for (rule, pattern) in COMPILED_KIND_RULES.iter() {
            assert!(
                matches!(
                    pattern.0.first(),
                    Some(Element::Word(_) | Element::Prefix(_) | Element::Suffix(_))
                ),
                "{rule:?}"
            );
            assert!(
                !matches!(pattern.0.last(), Some(Element::Gap)),
                "{rule:?} ends with a gap"
            );
        }
    }

    #[test]
    fn auto_reply_subjects_count_only_at_the_start() {
        assert!(is_auto_reply_subject(
            "Automatic reply: [DSR-7K3QXPMA] Your request"
        ));
        assert!(is_auto_reply_subject("Réponse automatique : votre demande"));
        assert!(is_auto_reply_subject("Absence : retour le 10 mars"));
        assert!(is_auto_reply_subject("AFWEZIG"));
        assert!(is_auto_reply_subject("Abwesenheitsnotiz: Ihre Anfrage"));
        assert!(is_auto_reply_subject("Out-of-office"));
        assert!(!is_auto_reply_subject("Access to my absence records"));
        assert!(!is_auto_reply_subject(
            "Absence records: please send a copy"
        ));
        assert!(!is_auto_reply_subject("Afwezigheidsregistratie"));
    }
}
