//! Reading back the `.eml` files the file transport writes (`dsrflow mail read`): when no SMTP
//! relay is configured — the demo, a local trial — every message dsrflow sends is one of these
//! files, and its text is quoted-printable. This decodes the headers a person looks for and the
//! plain-text part.

use std::path::{Path, PathBuf};

use mail_parser::MessageParser;

use crate::outgoing::REFERENCE_HEADER;

/// One message file, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmlMessage {
    /// The file it was read from.
    pub file: PathBuf,
    /// `From`, as written.
    pub from: String,
    /// `To`, as written.
    pub to: String,
    /// `Subject`.
    pub subject: String,
    /// `Date`, as written.
    pub date: String,
    /// The request reference (`X-DSRflow-Reference`), when the message is about one.
    pub reference: Option<String>,
    /// The plain-text part, decoded.
    pub text: String,
}

/// The `.eml` files in `dir`, newest first (by modification time, then name).
pub fn list(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files: Vec<(std::time::SystemTime, PathBuf)> = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "eml") {
            let modified = std::fs::metadata(&path)?
                .modified()
                .unwrap_or(std::time::UNIX_EPOCH);
            files.push((modified, path));
        }
    }
    files.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| b.1.cmp(&a.1)));
    Ok(files.into_iter().map(|(_, p)| p).collect())
}

/// Reads and decodes one message file; an error names the file.
pub fn read(path: &Path) -> Result<EmlMessage, String> {
    let raw = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    // mail-parser is not meant to panic, but has on hostile input (see `inbound::parse`).
    let parsed = std::panic::catch_unwind(|| {
        let m = MessageParser::default().parse(&raw)?;
        let addresses = |a: Option<&mail_parser::Address<'_>>| {
            a.map(|a| {
                a.iter()
                    .map(|addr| match (addr.name(), addr.address()) {
                        (Some(n), Some(e)) => format!("{n} <{e}>"),
                        (None, Some(e)) => e.to_owned(),
                        (Some(n), None) => n.to_owned(),
                        (None, None) => String::new(),
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default()
        };
        Some(EmlMessage {
            file: path.to_path_buf(),
            from: addresses(m.from()),
            to: addresses(m.to()),
            subject: m.subject().unwrap_or_default().to_owned(),
            date: m.date().map(|d| d.to_rfc822()).unwrap_or_default(),
            reference: m
                .header(REFERENCE_HEADER)
                .and_then(|h| h.as_text())
                .map(|t| t.trim().to_owned()),
            text: m.body_text(0).map(|t| t.into_owned()).unwrap_or_default(),
        })
    });
    match parsed {
        Ok(Some(m)) => Ok(m),
        _ => Err(format!("{} is not a readable message", path.display())),
    }
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    #[test]
    fn a_quoted_printable_message_reads_back_with_its_long_link_in_one_piece() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.eml");
        std::fs::write(
            &path,
            "From: \"Hostodoo SRL\" <privacy@hostodoo.example>\r\nTo: alice@example.com\r\n\
             Subject: [DSR-9W5BCWER] Please confirm\r\nX-DSRflow-Reference: DSR-9W5BCWER\r\n\
             Date: Mon, 07 Dec 2026 16:21:59 +0000\r\nMIME-Version: 1.0\r\n\
             Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n\
             Bonjour Al=C3=AFce,\r\nhttp://127.0.0.1:8080/verify/6bdea3853561cba5ad3a4c75a874ed71a5a306df142368=\r\n41a0d7c4dca72dc304\r\n",
        )
        .unwrap();
        let m = read(&path).unwrap();
        assert_eq!(m.from, "Hostodoo SRL <privacy@hostodoo.example>");
        assert_eq!(m.to, "alice@example.com");
        assert_eq!(m.subject, "[DSR-9W5BCWER] Please confirm");
        assert_eq!(m.reference.as_deref(), Some("DSR-9W5BCWER"));
        assert!(m.text.contains("Bonjour Alïce"), "{}", m.text);
        assert!(
            m.text.contains(
                "/verify/6bdea3853561cba5ad3a4c75a874ed71a5a306df14236841a0d7c4dca72dc304"
            ),
            "{}",
            m.text
        );
        assert_eq!(list(dir.path()).unwrap(), vec![path]);
    }

    #[test]
    fn a_file_that_is_not_a_message_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("empty.eml");
        std::fs::write(&path, "").unwrap();
        assert!(read(&path).unwrap_err().contains("empty.eml"));
        assert!(
            read(&dir.path().join("none.eml"))
                .unwrap_err()
                .contains("none.eml")
        );
    }
}
