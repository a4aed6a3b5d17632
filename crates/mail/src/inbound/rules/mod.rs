//! The classifier's rule tables: phrases per request kind and language (one file per language:
//! [`any`] for article numbers and terms shared by every language, then `en`, `fr`, `nl`, `de`
//! and `es_it`), the words that veto a kind in a sentence, and (re-exported from the cue tables)
//! out-of-office subjects and text, address cues, on-behalf, commercial and question cues.
//!
//! Rules are written with their accents, as people type them; they are folded the same way as
//! the text (lower case, no diacritics) before matching. See the [module docs](super) for the
//! pattern syntax (`*` word endings/beginnings, `(a|b)` alternatives, `..` and `...` gaps, a
//! leading `!(a|b)` for words that block a match in its clauses).
//!
//! The rules are built from *families*, not from sentences: the words a language uses for a
//! person's data (data, information, details, records, everything…), for removing it (delete,
//! erase, remove, wipe, destroy, get rid of…), for stopping contact, for a detail being wrong or
//! having changed, each written once per file as a macro and combined.

use std::sync::LazyLock;

use dsrflow_domain::RequestKind;

pub use super::cues::{
    ADDRESS_CUES, AUTO_REPLY_SUBJECTS, AUTO_REPLY_TEXT, COMMERCIAL_CUES, ON_BEHALF_CUES,
    QUESTION_OPENERS, REPLY_PREFIXES,
};
pub use super::pattern::NEGATIONS;
use super::pattern::{Pattern, compile_all};

pub mod any;
pub mod de;
pub mod en;
pub mod es_it;
pub mod fr;
pub mod nl;

/// One phrase rule: when `pattern` occurs in the subject or new text (and `context`, when
/// given, anywhere in the subject or new text), the mail asks for `kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KindRule {
    /// The right the phrase asks for.
    pub kind: RequestKind,
    /// The phrase's language (ISO 639-1: `en`, `fr`, `nl`, `de`, `es`, `it`); `None` for
    /// article numbers and terms used across languages.
    pub language: Option<&'static str>,
    /// The phrase, in the pattern syntax of the module docs.
    pub pattern: &'static str,
    /// True for a phrase or an unambiguous term, false for a single generic word.
    pub strong: bool,
    /// A pattern that must also occur somewhere in the subject or new text, negated or not:
    /// "Please stop them" or "Das muss aufhören" objects only in a mail that speaks of
    /// advertising ([`MARKETING`]).
    pub context: Option<&'static str>,
}

const fn rule(
    kind: RequestKind,
    language: Option<&'static str>,
    strong: bool,
    pattern: &'static str,
) -> KindRule {
    KindRule {
        kind,
        language,
        pattern,
        strong,
        context: None,
    }
}

/// A rule that counts only in a mail where `context` occurs too.
const fn in_context(
    kind: RequestKind,
    language: Option<&'static str>,
    pattern: &'static str,
    context: &'static str,
) -> KindRule {
    KindRule {
        kind,
        language,
        pattern,
        strong: true,
        context: Some(context),
    }
}

use RequestKind::{
    Access, ConsentWithdrawal, Erasure, Objection, Portability, Rectification, Restriction,
};

const ANY: Option<&str> = None;
const EN: Option<&str> = Some("en");
const FR: Option<&str> = Some("fr");
const NL: Option<&str> = Some("nl");
const DE: Option<&str> = Some("de");
const ES: Option<&str> = Some("es");
const IT: Option<&str> = Some("it");
const STRONG: bool = true;
const WEAK: bool = false;

/// Words of advertising in every language, not in a clause about an order, a delivery or an
/// invoice: the context in which a bare "stop it", "arrêtez ça", "hou ermee op" or "Das muss
/// aufhören" is an objection.
pub const MARKETING: &str = "!(order|orders|delivery|invoice|payment|commande|facture|bestelling|factuur|Bestellung|Rechnung|pedido|ordine) (marketing|sale|sales|newsletter*|promotion*|promotional|promo|promos|offers|adverts|advert|advertising|ads|spam|catalogue*|catalog*|leaflet*|flyer*|brochure*|junk|mailshot*|telemarketing|publicit*|pub|pubs|prospection|démarchage|prospectus|offres|reclame*|folder*|nieuwsbrie*|aanbieding*|acquisitie|Werb*|Prospekt*|Reklame|Katalog*|Angebote|publicidad|promociones|ofertas|pubblicit*|promozion*|offerte)";

/// Every phrase rule, one table per language file; within a table grouped by kind.
pub static KIND_RULES: &[&[KindRule]] = &[
    any::RULES,
    en::RULES,
    fr::RULES,
    nl::RULES,
    de::RULES,
    es_it::RULES,
];

/// Every rule of [`KIND_RULES`], in order.
pub fn kind_rules() -> impl Iterator<Item = &'static KindRule> {
    KIND_RULES.iter().flat_map(|table| table.iter())
}

/// Words that, in the same sentence as a match for the kind, cancel it: a rectification of an
/// invoice, an amount or a password is customer service; deleting an attachment, a duplicate
/// or cookies is not an erasure; access to an account one cannot log into is not a right of
/// access; a question about how long data is kept asks for neither.
pub static KIND_VETOES: &[(RequestKind, &str)] = &[
    (
        Rectification,
        "(invoice*|bill|receipt|amount|balance|price|payment|vat|password|username|factur*|montant|tva|prix|paiement|factuur*|bedrag|btw|wachtwoord|korting|rechnung*|betrag|gutschrift|mwst|passwort|kennwort|commande*|bestelling*|bestellung*|devis|offerte*|angebot*|importe|pedido|contraseña|nif|cif|fattura|importo|ordine)",
    ),
    (
        Rectification,
        "(my|the|your|this|our|an) (order|orders|delivery)",
    ),
    (Rectification, "mot de passe"),
    (
        Erasure,
        "(attachment*|attached|duplicate*|doublon*|cookie*|cache|basket|cart|bijlage*|dubbel*|winkelwagen*|anhang|anhänge*|duplikat*|warenkorb|allegat*|adjunt*|carrello|carrito|panier)",
    ),
    (Erasure, "pièce* jointe*"),
    (
        Access,
        "(password|login|log|logged|locked|attachment*|attached|wachtwoord|inloggen|ingelogd|passwort|kennwort|einloggen|connexion|connecter|contraseña)",
    ),
    (Access, "mot de passe"),
    (Access, "how long"),
    (Erasure, "how long"),
    (Access, "combien de temps"),
    (Erasure, "combien de temps"),
    (Access, "hoe lang"),
    (Erasure, "hoe lang"),
    (Access, "wie lange"),
    (Erasure, "wie lange"),
    (Access, "(cuánto|cuanto) tiempo"),
    (Erasure, "(cuánto|cuanto) tiempo"),
    (Access, "quanto tempo"),
    (Erasure, "quanto tempo"),
];

/// [`KIND_RULES`] with their compiled patterns and contexts, built once.
pub(crate) static COMPILED_KIND_RULES: LazyLock<
    Vec<(&'static KindRule, Pattern, Option<Pattern>)>,
> = LazyLock::new(|| {
    kind_rules()
        .map(|r| {
            (
                r,
                Pattern::compile(r.pattern),
                r.context.map(Pattern::compile),
            )
        })
        .collect()
});

/// [`KIND_VETOES`] compiled, built once.
pub(crate) static COMPILED_VETOES: LazyLock<Vec<(RequestKind, Pattern)>> = LazyLock::new(|| {
    let patterns: Vec<&str> = KIND_VETOES.iter().map(|(_, p)| *p).collect();
    KIND_VETOES
        .iter()
        .map(|(k, _)| *k)
        .zip(compile_all(&patterns))
        .collect()
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_and_veto_is_well_formed() {
        for (rule, pattern, context) in COMPILED_KIND_RULES.iter() {
            assert!(pattern.is_well_formed(rule.pattern), "{rule:?}");
            if let (Some(source), Some(context)) = (rule.context, context) {
                assert!(context.is_well_formed(source), "{rule:?}");
            }
        }
        for (kind, pattern) in KIND_VETOES {
            assert!(
                Pattern::compile(pattern).is_well_formed(pattern),
                "{kind:?}"
            );
        }
    }

    #[test]
    fn no_rule_is_written_twice() {
        let mut seen = std::collections::HashSet::new();
        for rule in kind_rules() {
            assert!(seen.insert((rule.kind, rule.pattern)), "{rule:?}");
        }
    }
}
