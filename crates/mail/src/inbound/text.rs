//! Text helpers for the classifier: accent folding, word tokens, cutting quoted and forwarded
//! text, and finding an address the writer gives as their own.

use dsrflow_domain::SubjectEmail;

/// How much of a message's new text (after the subject) the rules read. A request is written at
/// the top of a mail; reading a bounded prefix keeps classification fast on huge or hostile input.
pub const MAX_SCAN_BYTES: usize = 64 * 1024;

/// How far after an address cue ("my email is") the address may start, in bytes.
const ADDRESS_WINDOW: usize = 200;

/// The longest line that can be a reply attribution ("On … wrote:"); longer lines are text.
const MAX_ATTRIBUTION_CHARS: usize = 300;

/// Appends `c` lower-cased and without diacritics: `É` → `e`, `ß` → `ss`, `œ` → `oe`; curly
/// apostrophes become `'` and a no-break space a space. Combining marks (decomposed accents) are
/// dropped.
fn fold_char(c: char, out: &mut String) {
    for lc in c.to_lowercase() {
        match lc {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => out.push('a'),
            'æ' => out.push_str("ae"),
            'ç' | 'ć' | 'č' => out.push('c'),
            'ď' | 'đ' => out.push('d'),
            'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ė' | 'ę' | 'ě' => out.push('e'),
            'ì' | 'í' | 'î' | 'ï' | 'ī' | 'į' | 'ı' => out.push('i'),
            'ĳ' => out.push_str("ij"),
            'ł' => out.push('l'),
            'ñ' | 'ń' | 'ň' => out.push('n'),
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ő' => out.push('o'),
            'œ' => out.push_str("oe"),
            'ř' => out.push('r'),
            'ś' | 'š' | 'ş' => out.push('s'),
            'ß' => out.push_str("ss"),
            'ť' | 'ţ' => out.push('t'),
            'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ů' | 'ű' | 'ų' => out.push('u'),
            'ý' | 'ÿ' => out.push('y'),
            'ź' | 'ż' | 'ž' => out.push('z'),
            '\u{2018}' | '\u{2019}' | '\u{02BC}' | '\u{00B4}' | '`' => out.push('\''),
            '\u{00A0}' | '\u{202F}' => out.push(' '),
            '\u{0300}'..='\u{036F}' => {}
            other => out.push(other),
        }
    }
}

/// Lower-cases and strips diacritics (see [`fold_char`]).
pub(crate) fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        fold_char(c, &mut out);
    }
    out
}

/// [`fold`], plus, for every byte of the folded text, the byte offset in `s` of the character it
/// came from (and one past the end), so a match in the folded text maps back to the original.
fn fold_with_map(s: &str) -> (String, Vec<usize>) {
    let mut out = String::with_capacity(s.len());
    let mut map = Vec::with_capacity(s.len() + 1);
    for (i, c) in s.char_indices() {
        let before = out.len();
        fold_char(c, &mut out);
        map.resize(map.len() + (out.len() - before), i);
    }
    map.push(s.len());
    (out, map)
}

/// A word of folded text, the clause it belongs to (clauses end at `.`, `,`, `;`, `:`, `!`, `?`
/// and line breaks), so a negation only reaches words of its own clause, and its sentence
/// (sentences end at `.`, `!`, `?` and blank lines), so a question covers its own words only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Token<'a> {
    pub word: &'a str,
    pub clause: u32,
    pub sentence: u32,
}

/// Splits folded text into words (runs of letters and digits).
pub(crate) fn tokens(folded: &str) -> Vec<Token<'_>> {
    let mut out = Vec::new();
    let mut clause = 0u32;
    let mut sentence = 0u32;
    let mut start: Option<usize> = None;
    // Only spaces since the last line break: a second line break makes a blank line.
    let mut blank_line = false;
    for (i, c) in folded.char_indices() {
        if c.is_alphanumeric() {
            if start.is_none() {
                start = Some(i);
            }
            blank_line = false;
            continue;
        }
        if let Some(s) = start.take() {
            out.push(Token {
                word: &folded[s..i],
                clause,
                sentence,
            });
        }
        if matches!(c, '.' | ',' | ';' | ':' | '!' | '?' | '\n') {
            clause = clause.saturating_add(1);
        }
        if matches!(c, '.' | '!' | '?') || (c == '\n' && blank_line) {
            sentence = sentence.saturating_add(1);
        }
        if c == '\n' {
            blank_line = true;
        } else if !c.is_whitespace() {
            blank_line = false;
        }
    }
    if let Some(s) = start {
        out.push(Token {
            word: &folded[s..],
            clause,
            sentence,
        });
    }
    out
}

/// Words that name an article of a law, folded ("Art.", "Artikel", "artículos", "artt.").
const ARTICLE_WORDS: &[&str] = &[
    "article",
    "articles",
    "art",
    "arts",
    "artt",
    "artikel",
    "artikelen",
    "artikels",
    "articulo",
    "articulos",
    "articolo",
    "articoli",
];

/// Words that join the numbers of a list of articles ("15, 16 and 17", "15 und 17").
const ARTICLE_JOINERS: &[&str] = &[
    "and", "und", "et", "en", "e", "y", "or", "ou", "of", "oder", "o", "sowie", "as", "well",
];

/// Words before a paragraph number ("Art. 7 Abs. 3", "artikel 7 lid 3").
const PARAGRAPH_WORDS: &[&str] = &[
    "abs",
    "absatz",
    "lid",
    "par",
    "para",
    "paragraph",
    "paragraphe",
    "al",
    "alinea",
    "comma",
    "apartado",
    "paragrafo",
];

fn is_article_number(word: &str) -> bool {
    (1..=3).contains(&word.len()) && word.bytes().all(|b| b.is_ascii_digit())
}

/// The tokens with every list of articles spelt out, so that a rule for `article 17` finds
/// each article of "Articles 15, 16 and 17" or "Art. 15 und 17 DSGVO": every article word reads
/// `article`, and each further number of its list gets an `article` of its own. A number that
/// follows another in the same clause without a joiner ("7(3)"), or after a paragraph word
/// ("Art. 7 Abs. 3", which reads `article 7 3`), is that article's paragraph.
pub(crate) fn with_article_lists<'a>(tokens: &[Token<'a>]) -> Vec<Token<'a>> {
    let mut out = Vec::with_capacity(tokens.len());
    let mut i = 0;
    while let Some(t) = tokens.get(i) {
        i += 1;
        if !ARTICLE_WORDS.contains(&t.word) {
            out.push(*t);
            continue;
        }
        out.push(Token {
            word: "article",
            ..*t
        });
        let mut last_number_clause: Option<u32> = None;
        let mut joined = false;
        let mut paragraph = false;
        while let Some(n) = tokens.get(i) {
            if is_article_number(n.word) {
                if let Some(clause) = last_number_clause
                    && !paragraph
                    && (joined || clause != n.clause)
                {
                    out.push(Token {
                        word: "article",
                        ..*n
                    });
                }
                out.push(*n);
                last_number_clause = Some(n.clause);
                joined = false;
                paragraph = false;
            } else if last_number_clause.is_some() && PARAGRAPH_WORDS.contains(&n.word) {
                paragraph = true;
            } else if last_number_clause.is_some()
                && (ARTICLE_JOINERS.contains(&n.word) || n.word.len() == 1)
            {
                joined = joined || ARTICLE_JOINERS.contains(&n.word);
                out.push(*n);
            } else {
                break;
            }
            i += 1;
        }
    }
    out
}

/// The longest prefix of `s` of at most `max` bytes that ends on a character boundary.
pub(crate) fn truncate_at_char(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while end > 0 && !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Markers that start a forwarded or original message, matched at the start of a folded line
/// after leading dashes, underscores and spaces.
const FORWARD_MARKERS: &[&str] = &[
    "forwarded message",
    "begin forwarded message",
    "original message",
    "message transfere",
    "message d'origine",
    "debut du message reexpedie",
    "doorgestuurd bericht",
    "begin doorgestuurd bericht",
    "oorspronkelijk bericht",
    "weitergeleitete nachricht",
    "anfang der weitergeleiteten nachricht",
    "ursprungliche nachricht",
    "urspruengliche nachricht",
];

/// First lines of an Outlook-style quoted header block ("From: …" then "Sent: …").
const HEADER_BLOCK_FROM: &[&str] = &["from:", "de:", "de :", "van:", "von:"];
const HEADER_BLOCK_NEXT: &[&str] = &[
    "sent:",
    "date:",
    "envoye:",
    "envoye :",
    "date :",
    "verzonden:",
    "datum:",
    "gesendet:",
];

/// True when a folded, trimmed line reads like a reply attribution in en/fr/nl/de.
fn is_attribution(f: &str) -> bool {
    if f.chars().count() > MAX_ATTRIBUTION_CHARS || !f.ends_with(':') {
        return false;
    }
    (f.starts_with("on ") && f.contains("wrote"))
        || (f.starts_with("le ") && f.contains("a ecrit"))
        || (f.starts_with("op ") && (f.contains("schreef") || f.contains("geschreven")))
        || (f.starts_with("am ") && f.contains("schrieb"))
}

fn is_forward_marker(f: &str) -> bool {
    let stripped = f.trim_start_matches(['-', '_', ' ', '*', '=']);
    FORWARD_MARKERS.iter().any(|m| stripped.starts_with(m))
}

fn starts_header_block(lines: &[&str], i: usize) -> bool {
    let first = fold(lines[i].trim());
    if !HEADER_BLOCK_FROM.iter().any(|p| first.starts_with(p)) {
        return false;
    }
    lines.iter().skip(i + 1).take(4).any(|l| {
        let f = fold(l.trim());
        HEADER_BLOCK_NEXT.iter().any(|p| f.starts_with(p))
    })
}

/// True when line `i` starts quoted material: an attribution (possibly wrapped over two lines),
/// a forward marker, an Outlook header block or a signature delimiter.
fn starts_quoted(lines: &[&str], i: usize) -> bool {
    let line = lines[i];
    if line.trim_end() == "--" {
        return true;
    }
    let f = fold(line.trim());
    if is_attribution(&f) || is_forward_marker(&f) || starts_header_block(lines, i) {
        return true;
    }
    // Gmail wraps long attributions: "On Tue, 3 Mar 2026 at 10:00, Jane Doe <jane@…>\nwrote:".
    if let Some(next) = lines.get(i + 1) {
        let both = fold(&format!("{} {}", line.trim(), next.trim()));
        if is_attribution(&both) {
            return true;
        }
    }
    false
}

/// The text without quoted replies (`>` lines), everything from the first attribution, forward
/// marker, Outlook header block or signature delimiter on, and surrounding blank lines.
pub(crate) fn new_text(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut kept: Vec<&str> = Vec::new();
    for i in 0..lines.len() {
        if lines[i].trim_start().starts_with('>') {
            continue;
        }
        if starts_quoted(&lines, i) {
            break;
        }
        kept.push(lines[i]);
    }
    kept.join("\n").trim().to_owned()
}

fn is_local_char(c: char) -> bool {
    c.is_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c)
}

fn is_domain_char(c: char) -> bool {
    c.is_alphanumeric() || c == '.' || c == '-'
}

/// The first valid address in `text` (an `@` with an address-shaped token around it).
pub(crate) fn first_address(text: &str) -> Option<SubjectEmail> {
    for (at, _) in text.match_indices('@') {
        let before = &text[..at];
        let after = &text[at + 1..];
        let local_len: usize = before
            .chars()
            .rev()
            .take_while(|c| is_local_char(*c))
            .map(char::len_utf8)
            .sum();
        let domain_len: usize = after
            .chars()
            .take_while(|c| is_domain_char(*c))
            .map(char::len_utf8)
            .sum();
        let local = before[before.len() - local_len..].trim_start_matches(['.', '\'']);
        let domain = after[..domain_len].trim_end_matches(['.', '-']);
        if let Ok(email) = SubjectEmail::parse(&format!("{local}@{domain}")) {
            return Some(email);
        }
    }
    None
}

/// An address the writer gives as their own: the first valid address within
/// [`ADDRESS_WINDOW`] bytes after one of `cues` (folded phrases: "my email is", "mon adresse",
/// …, see `rules::ADDRESS_CUES`), taking the cue that appears first in the text.
pub(crate) fn address_in_text(text: &str, cues: &[&str]) -> Option<SubjectEmail> {
    let (folded, map) = fold_with_map(text);
    let mut best: Option<(usize, SubjectEmail)> = None;
    for cue in cues {
        for (pos, _) in folded.match_indices(cue) {
            if best.as_ref().is_some_and(|(p, _)| *p <= pos) {
                break;
            }
            let at_word_start = folded[..pos]
                .chars()
                .next_back()
                .is_none_or(|c| !c.is_alphanumeric());
            if !at_word_start {
                continue;
            }
            let Some(&start) = map.get(pos + cue.len()) else {
                continue;
            };
            let window = truncate_at_char(&text[start..], ADDRESS_WINDOW);
            if let Some(email) = first_address(window) {
                best = Some((pos, email));
                break;
            }
        }
    }
    best.map(|(_, email)| email)
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::super::rules::ADDRESS_CUES;
    use super::*;

    #[test]
    fn folding_removes_case_and_accents() {
        assert_eq!(fold("LÖSCHUNG"), "loschung");
        assert_eq!(fold("Droit d’accès à l'oubli"), "droit d'acces a l'oubli");
        assert_eq!(fold("Straße œuvre"), "strasse oeuvre");
        // "é" written as "e" + combining acute accent.
        assert_eq!(fold("donne\u{301}es"), "donnees");
    }

    #[test]
    fn the_fold_map_points_back_to_the_original_characters() {
        let (folded, map) = fold_with_map("Größe é");
        assert_eq!(folded, "grosse e");
        // "o" comes from "ö" at byte 2; both bytes of "ss" from "ß" at byte 4.
        assert_eq!(map[2], 2);
        assert_eq!(map[3], 4);
        assert_eq!(map[4], 4);
        assert_eq!(map[5], 6);
        assert_eq!(*map.last().unwrap(), "Größe é".len());
    }

    #[test]
    fn tokens_split_on_punctuation_and_count_clauses() {
        let t = tokens("i'm not happy, delete my data");
        let words: Vec<&str> = t.iter().map(|t| t.word).collect();
        assert_eq!(words, ["i", "m", "not", "happy", "delete", "my", "data"]);
        assert_eq!(t[2].clause, 0);
        assert_eq!(t[4].clause, 1);
    }

    #[test]
    fn quoted_lines_and_attributions_are_cut() {
        let text = "Please delete my data.\n\nOn Tue, 3 Mar 2026 at 10:00, Shop <news@shop.example>\nwrote:\n> unsubscribe here\nmore quoted";
        assert_eq!(new_text(text), "Please delete my data.");
        let fr = "Merci.\nLe mar. 3 mars 2026 à 10:00, Shop <a@b.example> a écrit :\nvieux texte";
        assert_eq!(new_text(fr), "Merci.");
        let nl = "Dank.\nOp di 3 mrt 2026 om 10:00 schreef Shop <a@b.example>:\noud";
        assert_eq!(new_text(nl), "Dank.");
        let de = "Danke.\nAm Di., 3. März 2026 um 10:00 Uhr schrieb Shop <a@b.example>:\nalt";
        assert_eq!(new_text(de), "Danke.");
    }

    #[test]
    fn forwarded_blocks_outlook_headers_and_signatures_are_cut() {
        let fwd =
            "Delete me please.\n---------- Forwarded message ---------\nFrom: Shop\nUnsubscribe";
        assert_eq!(new_text(fwd), "Delete me please.");
        let outlook =
            "Bitte löschen.\n\nVon: Shop <a@b.example>\nGesendet: Dienstag\nAn: mich\nabmelden";
        assert_eq!(new_text(outlook), "Bitte löschen.");
        let sig = "Hello\n-- \nJane, unsubscribe from my jokes";
        assert_eq!(new_text(sig), "Hello");
        let inline_quote = "> quoted\nnew line\n> more quoted\nlast";
        assert_eq!(new_text(inline_quote), "new line\nlast");
    }

    #[test]
    fn a_line_starting_with_from_is_text_without_a_sent_line() {
        let text = "From: now on I want no marketing.\nThanks";
        assert_eq!(new_text(text), text);
    }

    #[test]
    fn addresses_after_a_cue_are_found_and_others_ignored() {
        let text =
            "Reply to team@work.example. Please use my address Jane.Private@Example.NET for this.";
        assert_eq!(
            address_in_text(text, ADDRESS_CUES).unwrap().as_str(),
            "jane.private@example.net"
        );
        assert_eq!(
            address_in_text("Write to team@work.example.", ADDRESS_CUES),
            None
        );
        assert_eq!(
            address_in_text("Mon adresse e-mail est : <jean@exemple.fr>.", ADDRESS_CUES)
                .unwrap()
                .as_str(),
            "jean@exemple.fr"
        );
        assert_eq!(
            address_in_text(
                "Meine E-Mail-Adresse lautet mailto:jürgen@bücher.de",
                ADDRESS_CUES
            )
            .unwrap()
            .as_str(),
            "jürgen@bücher.de"
        );
    }

    #[test]
    fn a_cue_inside_another_word_does_not_count() {
        assert_eq!(
            address_in_text("dummy email is x@y.example", ADDRESS_CUES),
            None
        );
    }

    fn spelt(text: &str) -> String {
        let folded = fold(text);
        with_article_lists(&tokens(&folded))
            .iter()
            .map(|t| t.word)
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn lists_of_articles_are_spelt_out() {
        assert_eq!(
            spelt("under Articles 15, 16 and 17 of the GDPR"),
            "under article 15 article 16 and article 17 of the gdpr"
        );
        assert_eq!(
            spelt("Art. 15 und 17 DSGVO"),
            "article 15 und article 17 dsgvo"
        );
        assert_eq!(spelt("artt. 15 e 17"), "article 15 e article 17");
        assert_eq!(spelt("art. 7(3) GDPR"), "article 7 3 gdpr");
        assert_eq!(spelt("Art. 7 Abs. 3 DSGVO"), "article 7 3 dsgvo");
        assert_eq!(spelt("artículo 15 del RGPD"), "article 15 del rgpd");
        assert_eq!(spelt("art. 21 AVG"), "article 21 avg");
        assert_eq!(spelt("Article 17(1)(a) applies"), "article 17 1 a applies");
        // No number after it: the word alone is kept.
        assert_eq!(spelt("an art gallery"), "an article gallery");
    }

    #[test]
    fn truncation_respects_character_boundaries() {
        assert_eq!(truncate_at_char("aé", 2), "a");
        assert_eq!(truncate_at_char("abc", 10), "abc");
    }
}
