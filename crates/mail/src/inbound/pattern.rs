//! The word matcher behind every rule table: patterns compiled into words, prefixes, suffixes,
//! alternatives and gaps, matched on the tokens of folded text, with negations.
//!
//! Syntax (see the [module docs](super) for examples): pieces separated by spaces; `*` at the
//! end of a piece matches any ending, at its start any beginning; `(a|b*|*c)` matches any one of
//! its single-word alternatives; `..` skips up to [`MAX_GAP`] words; `...` skips up to
//! [`MAX_LONG_GAP`] words of the same clause (for the separable verbs of Dutch and German: "ich
//! *ziehe* meine Zustimmung zur Weitergabe meiner Daten *zurück*"). A gap never skips a negation
//! word: "bitte mein Konto *nicht* löschen" does not match `*konto .. lösch*`. A leading
//! `!(a|b*)` names blockers: the match is ignored when one of them stands anywhere in a clause
//! the match touches (`!(delete*|erase*) what .. (hold|have) .. me` is an access question, but
//! not in "delete what you have on me").

use super::text::{Token, fold};

/// Words that cancel a match: in the five words before it in the same clause, or
/// skipped by one of its gaps ("I do *not* want my account deleted"). French "ne" is left out on
/// purpose: "je ne souhaite plus recevoir" is an objection, not a negated one.
pub static NEGATIONS: &[&str] = &[
    "not", "no", "never", "nothing", "don", "dont", "doesn", "didn", "t", "without", "pas",
    "jamais", "sans", "rien", "niet", "geen", "nooit", "zonder", "niets", "nicht", "kein", "keine",
    "keinen", "niemals", "ohne", "nichts",
];

/// How many other words `..` allows between two pattern words.
pub const MAX_GAP: usize = 4;

/// How many other words `...` allows between two pattern words of the same clause.
pub const MAX_LONG_GAP: usize = 12;

/// How many words before a match are checked for a negation ("I'm *not* asking you to stop
/// emailing me": four words).
const NEGATION_WINDOW: usize = 5;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Element {
    Word(String),
    Prefix(String),
    Suffix(String),
    /// Any one of these (each a word, prefix or suffix).
    Any(Vec<Element>),
    /// `..`
    Gap,
    /// `...`
    LongGap,
}

impl Element {
    fn matches(&self, word: &str) -> bool {
        match self {
            Element::Word(w) => word == w,
            Element::Prefix(p) => word.starts_with(p.as_str()),
            Element::Suffix(s) => word.ends_with(s.as_str()),
            Element::Any(alternatives) => alternatives.iter().any(|a| a.matches(word)),
            Element::Gap | Element::LongGap => true,
        }
    }

    fn is_gap(&self) -> bool {
        matches!(self, Element::Gap | Element::LongGap)
    }
}

fn is_negation(word: &str) -> bool {
    NEGATIONS.contains(&word)
}

/// The words of one piece of a pattern, folded, with `*` turned into a prefix or suffix.
fn piece_words(piece: &str) -> Vec<Element> {
    let suffix = piece.starts_with('*');
    let prefix = piece.ends_with('*');
    let folded = fold(piece.trim_matches('*'));
    let words: Vec<&str> = folded
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let last = words.len().saturating_sub(1);
    words
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let w = (*w).to_owned();
            if i == 0 && suffix {
                Element::Suffix(w)
            } else if i == last && prefix {
                Element::Prefix(w)
            } else {
                Element::Word(w)
            }
        })
        .collect()
}

/// A compiled pattern: its elements, and the words that block a match in its clauses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pattern {
    elements: Vec<Element>,
    blockers: Option<Element>,
}

/// The alternatives of a `(a|b*|*c)` piece, each reduced to its first word.
fn alternatives(piece: &str) -> Element {
    Element::Any(
        piece
            .trim_start_matches('!')
            .trim_start_matches('(')
            .trim_end_matches(')')
            .split('|')
            .filter_map(|a| piece_words(a).into_iter().next())
            .collect(),
    )
}

impl Pattern {
    /// Compiles a pattern (syntax in the module docs). A piece with inner punctuation
    /// (`d'accès`, `7(3)`) becomes several words, as the text would; an alternative keeps only
    /// its first word.
    pub(crate) fn compile(pattern: &str) -> Self {
        let mut elements = Vec::new();
        let mut blockers = None;
        for (i, piece) in pattern.split_whitespace().enumerate() {
            match piece {
                ".." => elements.push(Element::Gap),
                "..." => elements.push(Element::LongGap),
                _ if i == 0 && piece.starts_with("!(") && piece.ends_with(')') => {
                    blockers = Some(alternatives(piece));
                }
                _ if piece.starts_with('(') && piece.ends_with(')') && piece.len() > 2 => {
                    elements.push(alternatives(piece));
                }
                _ => elements.extend(piece_words(piece)),
            }
        }
        Self { elements, blockers }
    }

    /// True when every alternative of the pattern is one word and it neither starts nor ends
    /// with a gap (checked by the tests of every table).
    #[cfg(test)]
    pub(crate) fn is_well_formed(&self, source: &str) -> bool {
        let alternatives_ok = source
            .split_whitespace()
            .filter(|p| p.starts_with('(') || p.starts_with("!("))
            .all(|p| {
                p.trim_start_matches('!')
                    .trim_matches(['(', ')'])
                    .split('|')
                    .all(|a| piece_words(a).len() == 1)
            });
        let blocker_first = source
            .split_whitespace()
            .skip(1)
            .all(|p| !p.starts_with('!'));
        alternatives_ok
            && blocker_first
            && self.elements.first().is_some_and(|e| !e.is_gap())
            && self.elements.last().is_some_and(|e| !e.is_gap())
    }

    /// The index one past the last token of a match of elements `ei..` starting at token `ti`.
    fn match_from(&self, tokens: &[Token<'_>], ti: usize, ei: usize) -> Option<usize> {
        let Some(element) = self.elements.get(ei) else {
            return Some(ti);
        };
        if element.is_gap() {
            let long = *element == Element::LongGap;
            let max = if long { MAX_LONG_GAP } else { MAX_GAP };
            let clause = ti
                .checked_sub(1)
                .and_then(|p| tokens.get(p))
                .map(|t| t.clause);
            for skip in 0..=max {
                if skip > 0 {
                    let skipped = tokens.get(ti + skip - 1)?;
                    if is_negation(skipped.word) {
                        return None;
                    }
                }
                if long && tokens.get(ti + skip).map(|t| t.clause) != clause {
                    return None;
                }
                if let Some(end) = self.match_from(tokens, ti + skip, ei + 1) {
                    return Some(end);
                }
            }
            return None;
        }
        match tokens.get(ti) {
            Some(t) if element.matches(t.word) => self.match_from(tokens, ti + 1, ei + 1),
            _ => None,
        }
    }

    /// True when the pattern matches at token `i`, negations before it aside.
    pub(crate) fn matches_at(&self, tokens: &[Token<'_>], i: usize) -> bool {
        self.match_from(tokens, i, 0).is_some()
    }

    /// The token indices where the pattern starts a match not preceded by a negation in the
    /// same clause, and with no blocker in the clauses it touches.
    pub(crate) fn starts_in(&self, tokens: &[Token<'_>]) -> Vec<usize> {
        let Some(first) = self.elements.first() else {
            return Vec::new();
        };
        (0..tokens.len())
            .filter(|&i| {
                first.matches(tokens[i].word)
                    && !negated(tokens, i)
                    && self
                        .match_from(tokens, i, 0)
                        .is_some_and(|end| !self.blocked(tokens, i, end))
            })
            .collect()
    }

    /// True when a blocker stands in a clause of the match `start..end`.
    fn blocked(&self, tokens: &[Token<'_>], start: usize, end: usize) -> bool {
        let Some(blockers) = &self.blockers else {
            return false;
        };
        let first = tokens[start].clause;
        let last = tokens[end.saturating_sub(1).max(start)].clause;
        tokens
            .iter()
            .filter(|t| (first..=last).contains(&t.clause))
            .any(|t| blockers.matches(t.word))
    }

    /// True when the pattern occurs in `tokens` at a position not preceded by a negation in
    /// the same clause.
    #[cfg(test)]
    pub(crate) fn is_found_in(&self, tokens: &[Token<'_>]) -> bool {
        !self.starts_in(tokens).is_empty()
    }

    /// True when the pattern occurs anywhere, negated or not (for cues such as "on behalf of"),
    /// with no blocker in the clauses it touches.
    pub(crate) fn occurs_in(&self, tokens: &[Token<'_>]) -> bool {
        (0..tokens.len()).any(|i| {
            self.match_from(tokens, i, 0)
                .is_some_and(|end| !self.blocked(tokens, i, end))
        })
    }
}

fn negated(tokens: &[Token<'_>], start: usize) -> bool {
    let clause = tokens[start].clause;
    tokens[start.saturating_sub(NEGATION_WINDOW)..start]
        .iter()
        .any(|t| t.clause == clause && is_negation(t.word))
}

/// Compiles a table of patterns.
pub(crate) fn compile_all(patterns: &[&str]) -> Vec<Pattern> {
    patterns.iter().map(|p| Pattern::compile(p)).collect()
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
    fn alternatives_match_any_one_word() {
        assert!(found("delete .. (data|account*)", "delete my accounts"));
        assert!(found("delete .. (data|account*)", "delete all data"));
        assert!(!found("delete .. (data|account*)", "delete my review"));
        assert!(found(
            "(lösch*|entfern*) .. *daten",
            "Entfernen Sie meine Kundendaten"
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
    fn long_gaps_stay_in_their_clause() {
        let p = "zieh* .. zustimmung ... zurück";
        assert!(found(
            p,
            "ich ziehe meine Zustimmung zur Weitergabe meiner Daten an Partnerunternehmen zurück"
        ));
        assert!(!found(
            p,
            "ich ziehe meine Zustimmung in Betracht. Zurück zum Thema"
        ));
    }

    #[test]
    fn accents_and_apostrophes_are_folded_in_patterns_and_text() {
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
    fn a_gap_never_skips_a_negation() {
        assert!(!found("*konto .. lösch*", "bitte mein Konto NICHT löschen"));
        assert!(found("*konto .. lösch*", "bitte mein Konto sofort löschen"));
        // A negation that is a word of the pattern itself is no negation of it.
        assert!(found(
            "don t want .. emails",
            "I just don't want the emails"
        ));
    }

    #[test]
    fn a_blocker_anywhere_in_the_clauses_of_a_match_cancels_it() {
        let p = "!(delete|erase*) what .. (have|hold) .. me";
        assert!(found(p, "Tell me what you have on me."));
        assert!(!found(p, "Please delete what you have on me."));
        assert!(!found(p, "what you hold about me must be erased"));
        assert!(found(p, "Tell me what you hold about me. Then delete it."));
        assert!(Pattern::compile(p).is_well_formed(p));
        assert!(!Pattern::compile("what !(a|b)").is_well_formed("what !(a|b)"));
    }

    #[test]
    fn occurs_in_ignores_negations() {
        let folded = fold("I am not writing on behalf of anyone");
        assert!(Pattern::compile("on behalf").occurs_in(&tokens(&folded)));
    }
}
