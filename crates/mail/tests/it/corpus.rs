//! A corpus of realistic mails to the privacy mailbox, one raw RFC 5322 message per file in
//! `tests/fixtures/corpus/`, each labelled with what it should become. The test runs the real
//! parser and classifier on every mail, prints precision and recall per right, accuracy per
//! language, the confusion table and every mistake, and holds the rules that matter most: a mail
//! that is not a request, or is one on someone else's behalf, never becomes a request; a created
//! request never carries a right that was not asked for; every auto-reply is recognised; the
//! mails listed in issue 13 come out right; recall stays above its floor.
//!
//! # The files
//!
//! `<lang>-<what>.eml` (`en`, `fr`, `nl`, `de`, `es`, `it`), and `holdout-<lang>-<what>.eml` for
//! the mails written after the rules were last changed (the check that they generalise to mail
//! nobody tuned them on). Each carries its label in an `X-Corpus-Expect` header, which the test
//! removes from the bytes before parsing, so the classifier never sees it:
//!
//! - `access`, `erasure+objection`, …: requests for these rights ([`RequestKind::as_str`]
//!   names joined by `+`);
//! - `review`: the officer's review queue (not a request, ambiguous, or for someone else);
//! - `auto_reply`: dropped as machine-sent (out-of-office, bounce, read receipt, bulk mail);
//! - `reply`: a reply to a dsrflow mail.
//!
//! Spanish and Italian mails are labelled with what they truly ask, although the rules read
//! neither language: their requests go to review, and recall shows the gap.
//!
//! Every assertion holds on the held-out mails too, but one: an auto-reply among them that the
//! rules miss goes to review (the safe side) and is reported, not failed; the rules were only
//! made more conservative after the held-out mails were written.

use std::collections::BTreeMap;
use std::path::Path;

use dsrflow_domain::RequestKind;
use dsrflow_mail::inbound::{Classification, classify, parse};

/// The label header; removed before parsing.
const EXPECT_HEADER: &str = "x-corpus-expect:";

/// The floor of recall over every right asked in the corpus, held-out mails included, set from
/// the achieved figure (124 of 152 rights found, 0.816). Spanish and Italian requests count as
/// misses.
const RECALL_FLOOR: f64 = 0.80;

/// The floor of recall over the English, French, Dutch and German mails, the languages the
/// rules read, held-out mails included (123 of 138, 0.891).
const RECALL_FLOOR_RULE_LANGUAGES: f64 = 0.88;

/// What a mail should become, or became.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    /// Requests for these rights, in `RequestKind::ALL` order.
    Requests(Vec<RequestKind>),
    /// The officer's review queue.
    Review,
    /// Dropped as machine-sent.
    AutoReply,
    /// Attached to an existing request.
    Reply,
}

impl Outcome {
    fn name(&self) -> String {
        match self {
            Outcome::Requests(kinds) => kinds
                .iter()
                .map(|k| k.as_str())
                .collect::<Vec<_>>()
                .join("+"),
            Outcome::Review => "review".to_owned(),
            Outcome::AutoReply => "auto_reply".to_owned(),
            Outcome::Reply => "reply".to_owned(),
        }
    }

    fn kinds(&self) -> &[RequestKind] {
        match self {
            Outcome::Requests(kinds) => kinds,
            _ => &[],
        }
    }

    fn parse_label(label: &str) -> Outcome {
        match label {
            "review" => Outcome::Review,
            "auto_reply" => Outcome::AutoReply,
            "reply" => Outcome::Reply,
            kinds => {
                let mut kinds: Vec<RequestKind> = kinds
                    .split('+')
                    .map(|k| {
                        k.trim()
                            .parse()
                            .unwrap_or_else(|_| panic!("unknown kind {k:?} in label {label:?}"))
                    })
                    .collect();
                kinds.sort();
                kinds.dedup();
                Outcome::Requests(kinds)
            }
        }
    }
}

/// One corpus file.
struct Mail {
    /// The file name without `.eml`.
    label: String,
    /// `en`, `fr`, `nl`, `de`, `es` or `it`.
    language: String,
    holdout: bool,
    expected: Outcome,
    /// The message without its label header.
    raw: Vec<u8>,
}

/// Splits off the label header: returns the label and the bytes without that header line.
fn strip_label(raw: &[u8]) -> Option<(String, Vec<u8>)> {
    let mut out = Vec::with_capacity(raw.len());
    let mut label = None;
    let mut in_headers = true;
    for line in raw.split_inclusive(|b| *b == b'\n') {
        if in_headers && (line == b"\n" || line == b"\r\n") {
            in_headers = false;
        }
        let is_label = in_headers
            && line.len() >= EXPECT_HEADER.len()
            && line[..EXPECT_HEADER.len()].eq_ignore_ascii_case(EXPECT_HEADER.as_bytes());
        if is_label {
            let value = String::from_utf8_lossy(&line[EXPECT_HEADER.len()..]);
            label = Some(value.trim().to_owned());
        } else {
            out.extend_from_slice(line);
        }
    }
    label.map(|l| (l, out))
}

fn load_corpus() -> Vec<Mail> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/corpus");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "eml"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let label = path.file_stem().unwrap().to_string_lossy().into_owned();
            let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{label}: {e}"));
            let (expect, raw) =
                strip_label(&bytes).unwrap_or_else(|| panic!("{label}: no X-Corpus-Expect"));
            let holdout = label.starts_with("holdout-");
            let language = label
                .trim_start_matches("holdout-")
                .split('-')
                .next()
                .unwrap()
                .to_owned();
            assert!(
                ["en", "fr", "nl", "de", "es", "it"].contains(&language.as_str()),
                "{label}: unknown language"
            );
            Mail {
                label,
                language,
                holdout,
                expected: Outcome::parse_label(&expect),
                raw,
            }
        })
        .collect()
}

/// What the classifier made of a mail, and the review reason when there is one.
fn outcome(c: &Classification) -> (Outcome, Option<String>) {
    match c {
        Classification::Request { kinds, .. } => (Outcome::Requests(kinds.clone()), None),
        Classification::Unclassified { reason } => (Outcome::Review, Some(reason.clone())),
        Classification::AutoReply { reason } => (Outcome::AutoReply, Some((*reason).to_owned())),
        Classification::Reply { .. } => (Outcome::Reply, None),
    }
}

/// True positives, false positives and false negatives.
#[derive(Default, Clone, Copy)]
struct Counts {
    tp: u32,
    fp: u32,
    fn_: u32,
}

fn ratio(a: u32, b: u32) -> String {
    if a + b == 0 {
        "—".to_owned()
    } else {
        format!("{:.2}", f64::from(a) / f64::from(a + b))
    }
}

/// The figures of one run over a set of mails.
#[derive(Default)]
struct Report {
    per_kind: BTreeMap<RequestKind, Counts>,
    /// Per language: (mails with the exact expected outcome, mails, kinds found, kinds asked).
    per_language: BTreeMap<String, (u32, u32, u32, u32)>,
    confusion: BTreeMap<(String, String), u32>,
    mistakes: Vec<String>,
    wrongly_created: Vec<String>,
    wrong_kinds: Vec<String>,
    missed_auto: Vec<String>,
    mails: u32,
    exact: u32,
}

impl Report {
    fn add(&mut self, mail: &Mail, got: &Outcome, reason: Option<&str>) {
        let expected = &mail.expected;
        self.mails += 1;
        *self
            .confusion
            .entry((expected.name(), got.name()))
            .or_default() += 1;
        let (want, have) = (expected.kinds(), got.kinds());
        let lang = self.per_language.entry(mail.language.clone()).or_default();
        lang.1 += 1;
        lang.3 += u32::try_from(want.len()).unwrap();
        lang.2 += u32::try_from(want.iter().filter(|k| have.contains(k)).count()).unwrap();
        if got == expected {
            self.exact += 1;
            lang.0 += 1;
        } else {
            let why = reason.map(|r| format!(" ({r})")).unwrap_or_default();
            self.mistakes.push(format!(
                "{}: expected {}, got {}{why}",
                mail.label,
                expected.name(),
                got.name()
            ));
        }
        if !matches!(expected, Outcome::Requests(_)) && matches!(got, Outcome::Requests(_)) {
            self.wrongly_created.push(mail.label.clone());
        }
        if matches!(expected, Outcome::Requests(_)) && have.iter().any(|k| !want.contains(k)) {
            self.wrong_kinds.push(mail.label.clone());
        }
        // Held-out mails are reported, not held: a missed one went to review, the safe side.
        if matches!(expected, Outcome::AutoReply | Outcome::Reply)
            && got != expected
            && !mail.holdout
        {
            self.missed_auto.push(mail.label.clone());
        }
        for kind in RequestKind::ALL {
            let c = self.per_kind.entry(kind).or_default();
            match (want.contains(&kind), have.contains(&kind)) {
                (true, true) => c.tp += 1,
                (false, true) => c.fp += 1,
                (true, false) => c.fn_ += 1,
                (false, false) => {}
            }
        }
    }

    /// Recall over every right asked, in the given languages (all when `None`).
    fn recall(&self, languages: Option<&[&str]>) -> f64 {
        let (found, asked) = self
            .per_language
            .iter()
            .filter(|(l, _)| languages.is_none_or(|ls| ls.contains(&l.as_str())))
            .fold((0, 0), |(f, a), (_, v)| (f + v.2, a + v.3));
        f64::from(found) / f64::from(asked.max(1))
    }

    fn print(&self, title: &str) {
        println!(
            "\n=== {title}: {} mails, {} exactly right ===",
            self.mails, self.exact
        );
        println!("kind                precision  recall   (tp fp fn)");
        let mut all = Counts::default();
        for (kind, c) in &self.per_kind {
            all.tp += c.tp;
            all.fp += c.fp;
            all.fn_ += c.fn_;
            println!(
                "{:<19} {:>9}  {:>6}   ({} {} {})",
                kind.as_str(),
                ratio(c.tp, c.fp),
                ratio(c.tp, c.fn_),
                c.tp,
                c.fp,
                c.fn_
            );
        }
        println!(
            "{:<19} {:>9}  {:>6}   ({} {} {})",
            "all kinds",
            ratio(all.tp, all.fp),
            ratio(all.tp, all.fn_),
            all.tp,
            all.fp,
            all.fn_
        );
        println!("\nlanguage  accuracy  (right/mails)  kind recall (found/asked)");
        for (lang, (right, mails, found, asked)) in &self.per_language {
            println!(
                "{lang:<9} {:>8}  ({right}/{mails}){:>10}  {:>6} ({found}/{asked})",
                ratio(*right, mails - right),
                "",
                ratio(*found, asked - found)
            );
        }
        println!("\nconfusion (expected → got):");
        for ((want, got), n) in &self.confusion {
            let mark = if want == got { " " } else { "✗" };
            println!("  {mark} {want:<40} → {got:<40} {n}");
        }
        for m in &self.mistakes {
            println!("  mistake: {m}");
        }
    }
}

#[test]
fn the_label_header_is_removed_before_parsing() {
    let raw = b"X-Corpus-Expect: access\r\nFrom: a@example.org\r\nSubject: x\r\n\r\nX-Corpus-Expect: in the body stays\r\n";
    let (label, rest) = strip_label(raw).unwrap();
    assert_eq!(label, "access");
    assert_eq!(
        rest,
        b"From: a@example.org\r\nSubject: x\r\n\r\nX-Corpus-Expect: in the body stays\r\n"
    );
}

#[test]
fn the_classifier_on_the_corpus_creates_no_wrong_request_and_keeps_its_recall() {
    let corpus = load_corpus();
    assert!(corpus.len() >= 200, "{} mails", corpus.len());
    let mut all = Report::default();
    let mut holdout = Report::default();
    for mail in &corpus {
        let msg = parse(&mail.raw, None).unwrap_or_else(|e| panic!("{}: {e}", mail.label));
        assert!(
            !msg.text().contains("X-Corpus-Expect") && msg.subject().is_some(),
            "{}",
            mail.label
        );
        let (got, reason) = outcome(&classify(&msg));
        all.add(mail, &got, reason.as_deref());
        if mail.holdout {
            holdout.add(mail, &got, reason.as_deref());
        }
    }
    all.print("whole corpus");
    if holdout.mails > 0 {
        holdout.print("held-out mails only");
    }

    assert!(
        all.wrongly_created.is_empty(),
        "mails that are not the sender's own request became requests: {:?}",
        all.wrongly_created
    );
    assert!(
        all.wrong_kinds.is_empty(),
        "requests were created for rights not asked for: {:?}",
        all.wrong_kinds
    );
    assert!(
        all.missed_auto.is_empty(),
        "auto-replies or replies not recognised: {:?}",
        all.missed_auto
    );
    for must in [
        "en-erase-everything",
        "en-copy-then-erase",
        "en-vendor-pitch",
    ] {
        assert!(
            corpus.iter().any(|m| m.label == must),
            "{must} is missing from the corpus"
        );
        assert!(
            !all.mistakes
                .iter()
                .any(|m| m.starts_with(&format!("{must}:"))),
            "{must}: {:?}",
            all.mistakes
        );
    }
    let recall = all.recall(None);
    assert!(
        recall >= RECALL_FLOOR,
        "recall {recall:.3} below {RECALL_FLOOR}: {:?}",
        all.mistakes
    );
    let ruled = all.recall(Some(&["en", "fr", "nl", "de"]));
    assert!(
        ruled >= RECALL_FLOOR_RULE_LANGUAGES,
        "recall in en/fr/nl/de {ruled:.3} below {RECALL_FLOOR_RULE_LANGUAGES}: {:?}",
        all.mistakes
    );
}
