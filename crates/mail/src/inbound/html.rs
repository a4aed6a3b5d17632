//! HTML to plain text, for messages without a `text/plain` part.
//!
//! Tags are dropped, the content of `head`, `style`, `script`, `title` and `template` is
//! skipped, entities are decoded, `<br>` and block elements (`p`, `div`, `li`, `tr`, headings, …)
//! become line breaks, and lines inside `<blockquote>` are prefixed with `> ` so the quote
//! stripping of the classifier treats them like quoted plain text. A `<` that does not open a
//! tag (`a < b`) is kept as text.

/// Elements whose content is not text.
const SKIPPED: &[&str] = &["head", "style", "script", "title", "template"];

/// Elements that start and end a line.
const BLOCKS: &[&str] = &[
    "p", "div", "li", "ul", "ol", "tr", "table", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "pre",
    "section", "article", "header", "footer", "center", "address", "dd", "dt", "dl", "form",
];

/// The longest entity name looked up (`&…;`).
const MAX_ENTITY_LEN: usize = 32;

/// Named entities worth knowing in en/fr/nl/de mail; numeric ones are always decoded.
fn named_entity(name: &str) -> Option<char> {
    Some(match name {
        "amp" | "AMP" => '&',
        "lt" | "LT" => '<',
        "gt" | "GT" => '>',
        "quot" | "QUOT" => '"',
        "apos" => '\'',
        "nbsp" => '\u{A0}',
        "shy" => '\u{AD}',
        "copy" => '©',
        "reg" => '®',
        "euro" => '€',
        "pound" => '£',
        "laquo" => '«',
        "raquo" => '»',
        "lsquo" => '\u{2018}',
        "rsquo" => '\u{2019}',
        "ldquo" => '\u{201C}',
        "rdquo" => '\u{201D}',
        "bdquo" => '\u{201E}',
        "ndash" => '\u{2013}',
        "mdash" => '\u{2014}',
        "hellip" => '\u{2026}',
        "bull" => '\u{2022}',
        "middot" => '·',
        "agrave" => 'à',
        "aacute" => 'á',
        "acirc" => 'â',
        "auml" => 'ä',
        "aring" => 'å',
        "aelig" => 'æ',
        "ccedil" => 'ç',
        "egrave" => 'è',
        "eacute" => 'é',
        "ecirc" => 'ê',
        "euml" => 'ë',
        "igrave" => 'ì',
        "iacute" => 'í',
        "icirc" => 'î',
        "iuml" => 'ï',
        "ntilde" => 'ñ',
        "ograve" => 'ò',
        "oacute" => 'ó',
        "ocirc" => 'ô',
        "ouml" => 'ö',
        "oslash" => 'ø',
        "oelig" => 'œ',
        "ugrave" => 'ù',
        "uacute" => 'ú',
        "ucirc" => 'û',
        "uuml" => 'ü',
        "yuml" => 'ÿ',
        "szlig" => 'ß',
        "Agrave" => 'À',
        "Aacute" => 'Á',
        "Acirc" => 'Â',
        "Auml" => 'Ä',
        "Ccedil" => 'Ç',
        "Egrave" => 'È',
        "Eacute" => 'É',
        "Ecirc" => 'Ê',
        "Euml" => 'Ë',
        "Icirc" => 'Î',
        "Iuml" => 'Ï',
        "Ocirc" => 'Ô',
        "Ouml" => 'Ö',
        "OElig" => 'Œ',
        "Ugrave" => 'Ù',
        "Ucirc" => 'Û',
        "Uuml" => 'Ü',
        _ => return None,
    })
}

/// Decodes the entity starting at `s` (which starts with `&`): the character and the number of
/// bytes it used, or `None` when it is not a known, well-formed entity.
fn entity(s: &str) -> Option<(char, usize)> {
    let body = s.get(1..)?;
    let end = body
        .char_indices()
        .take(MAX_ENTITY_LEN + 1)
        .find(|(_, c)| *c == ';')
        .map(|(i, _)| i)?;
    let name = &body[..end];
    let c = if let Some(num) = name.strip_prefix('#') {
        let code = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => num.parse::<u32>().ok()?,
        };
        char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER)
    } else {
        named_entity(name)?
    };
    Some((c, end + 2))
}

/// Collects text, collapsing whitespace and tracking the blockquote depth of each line.
#[derive(Default)]
struct TextOut {
    lines: Vec<String>,
    current: String,
    current_depth: usize,
    pending_space: bool,
    depth: usize,
}

impl TextOut {
    fn push_text(&mut self, text: &str) {
        let mut rest = text;
        while let Some(c) = rest.chars().next() {
            let mut used = c.len_utf8();
            let c = if c == '&' {
                match entity(rest) {
                    Some((decoded, len)) => {
                        used = len;
                        decoded
                    }
                    None => c,
                }
            } else {
                c
            };
            rest = &rest[used..];
            self.push_char(c);
        }
    }

    fn push_char(&mut self, c: char) {
        if c == '\u{AD}' {
            return;
        }
        if c.is_whitespace() {
            self.pending_space = !self.current.is_empty();
            return;
        }
        if self.current.is_empty() {
            self.current_depth = self.depth;
        } else if self.pending_space {
            self.current.push(' ');
        }
        self.pending_space = false;
        self.current.push(c);
    }

    /// Ends the current line; `force` also records an empty line (`<br>`).
    fn line_break(&mut self, force: bool) {
        if self.current.is_empty() && !force {
            return;
        }
        let line = std::mem::take(&mut self.current);
        let prefix = "> ".repeat(self.current_depth);
        self.lines.push(if line.is_empty() {
            String::new()
        } else {
            format!("{prefix}{line}")
        });
        self.pending_space = false;
        self.current_depth = self.depth;
    }

    fn finish(mut self) -> String {
        self.line_break(false);
        let mut out = String::new();
        let mut blank_run = 0;
        for line in self.lines {
            let line = line.trim_end();
            if line.is_empty() {
                blank_run += 1;
                if blank_run > 1 || out.is_empty() {
                    continue;
                }
            } else {
                blank_run = 0;
            }
            out.push_str(line);
            out.push('\n');
        }
        out.trim_end().to_owned()
    }
}

/// Converts an HTML body to plain text (see the module docs).
pub(crate) fn html_to_text(html: &str) -> String {
    // ASCII lower-casing keeps byte offsets, so positions found in `lower` index `html`.
    let lower = html.to_ascii_lowercase();
    let mut out = TextOut::default();
    let mut i = 0;
    while i < html.len() {
        let rest = &html[i..];
        let rest_lower = &lower[i..];
        if rest_lower.starts_with("<!--") {
            i += rest_lower.find("-->").map_or(rest.len(), |p| p + 3);
            continue;
        }
        let opens_tag = rest.starts_with('<')
            && rest[1..]
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || matches!(c, '/' | '!' | '?'));
        if !opens_tag {
            let first = rest.chars().next().map_or(1, char::len_utf8);
            let end = rest[first..].find('<').map_or(rest.len(), |p| p + first);
            out.push_text(&rest[..end]);
            i += end;
            continue;
        }
        let tag_len = rest.find('>').map_or(rest.len(), |p| p + 1);
        let inner = rest_lower[1..tag_len]
            .trim_end_matches('>')
            .trim_end_matches('/');
        let closing = inner.starts_with('/');
        let name: String = inner
            .trim_start_matches('/')
            .chars()
            .take_while(char::is_ascii_alphanumeric)
            .collect();
        i += tag_len;
        if !closing && SKIPPED.contains(&name.as_str()) {
            let close = format!("</{name}");
            i = match lower[i..].find(&close) {
                Some(p) => {
                    let after = i + p;
                    after
                        + lower[after..]
                            .find('>')
                            .map_or(lower.len() - after, |q| q + 1)
                }
                None => html.len(),
            };
            continue;
        }
        match name.as_str() {
            "br" => out.line_break(true),
            "blockquote" => {
                out.line_break(false);
                out.depth = if closing {
                    out.depth.saturating_sub(1)
                } else {
                    out.depth.saturating_add(1)
                };
                out.current_depth = out.depth;
            }
            "p" if closing => {
                out.line_break(false);
                out.line_break(true);
            }
            n if BLOCKS.contains(&n) => out.line_break(false),
            "td" | "th" => out.push_char(' '),
            _ => {}
        }
    }
    out.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_stripped_and_block_elements_break_lines() {
        let html = "<html><head><title>T</title><style>p{color:red}</style></head><body><p>Hello <b>there</b>,</p><div>line&nbsp;two<br>line three</div><ul><li>a</li><li>b</li></ul></body></html>";
        assert_eq!(
            html_to_text(html),
            "Hello there,\n\nline two\nline three\na\nb"
        );
    }

    #[test]
    fn entities_are_decoded() {
        assert_eq!(
            html_to_text("caf&eacute; &amp; th&#233; &#x20AC;5 &rsquo; &unknown; &amp"),
            "café & thé €5 \u{2019} &unknown; &amp"
        );
    }

    #[test]
    fn scripts_comments_and_stray_brackets_are_handled() {
        assert_eq!(
            html_to_text("a <!-- hidden --> b<script>var x = '<p>';</script> 1 < 2"),
            "a b 1 < 2"
        );
    }

    #[test]
    fn blockquote_lines_are_marked_as_quoted() {
        let html = "<p>Delete my data.</p><blockquote><p>Newsletter</p><p>Unsubscribe</p></blockquote><p>Thanks</p>";
        assert_eq!(
            html_to_text(html),
            "Delete my data.\n\n> Newsletter\n\n> Unsubscribe\n\nThanks"
        );
    }

    #[test]
    fn unterminated_markup_does_not_panic() {
        for html in [
            "<",
            "<a",
            "<style>x",
            "&#",
            "&#x;",
            "&#99999999999;",
            "<!--",
            "<p>é<",
        ] {
            let _ = html_to_text(html);
        }
        assert_eq!(html_to_text("&#1114112;x"), "\u{FFFD}x");
    }
}
