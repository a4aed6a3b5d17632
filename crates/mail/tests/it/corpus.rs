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
//! Three sets, each reported on its own:
//!
//! - `<lang>-<what>.eml` (`en`, `fr`, `nl`, `de`, `es`, `it`): the tuned corpus, the mails the
//!   rules were written from;
//! - `holdout-<lang>-<what>.eml`: 33 mails written after the first round of rules, which showed
//!   how badly they generalised (recall 0.21); the second round was allowed to learn from them;
//! - `holdout2-<lang>-<what>.eml`: 45 mails written (and committed) before the second round of
//!   rules and never tuned on: the check that the rules generalise to mail they were not written
//!   from. Its recall is reported, not held. Its writer also wrote the second round of rules, so
//!   it is not an independent sample: see `docs/mail.md` for what that means for its figures.
//!
//! Each carries its label in an `X-Corpus-Expect` header, which the test removes from the bytes
//! before parsing, so the classifier never sees it:
//!
//! - `access`, `erasure+objection`, …: requests for these rights ([`RequestKind::as_str`]
//!   names joined by `+`);
//! - `review`: the officer's review queue (not a request, ambiguous, or for someone else);
//! - `auto_reply`: dropped as machine-sent (out-of-office, bounce, read receipt, bulk mail);
//! - `reply`: a reply to a dsrflow mail.
//!
//! Spanish and Italian mails are labelled with what they truly ask.
//!
//! In every set, no mail that is not the sender's own request becomes one, and no request
//! carries a right not asked for: a wrongly created request fails the test wherever it is, and
//! is fixed by making the rules more conservative. An auto-reply of `holdout2` that the rules
//! miss goes to review (the safe side) and is reported, not failed; recall floors hold on the
//! tuned and first held-out sets only.

use std::collections::BTreeMap;
use std::path::Path;

use dsrflow_domain::RequestKind;
use dsrflow_mail::inbound::{Classification, classify, parse};

/// The label header; removed before parsing.
const EXPECT_HEADER: &str = "x-corpus-expect:";

/// The floor of recall over every right asked in the tuned corpus, set just under the achieved
/// figure (132 of 133 rights found, 0.992; Spanish and Italian included).
const RECALL_FLOOR_TUNED: f64 = 0.98;

/// The floor of recall over every right asked in the first held-out set (`holdout-*`), which
/// the second round of rules learnt from (19 of 19 found).
const RECALL_FLOOR_HOLDOUT: f64 = 0.95;

/// Which set a corpus file belongs to, by its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Set {
    /// `<lang>-…`: the mails the rules were written from.
    Tuned,
    /// `holdout-…`: written after the first round of rules; the second round learnt from them.
    Holdout,
    /// `holdout2-…`: written before the second round of rules, never tuned on.
    Holdout2,
}

impl Set {
    const ALL: [Set; 3] = [Set::Tuned, Set::Holdout, Set::Holdout2];

    fn of(file: &str) -> (Set, &str) {
        if let Some(rest) = file.strip_prefix("holdout2-") {
            (Set::Holdout2, rest)
        } else if let Some(rest) = file.strip_prefix("holdout-") {
            (Set::Holdout, rest)
        } else {
            (Set::Tuned, file)
        }
    }

    fn title(self) -> &'static str {
        match self {
            Set::Tuned => "tuned corpus",
            Set::Holdout => "first held-out set (holdout-*, tuned on in the second round)",
            Set::Holdout2 => "second held-out set (holdout2-*, never tuned on)",
        }
    }
}

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
    set: Set,
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
            let (set, rest) = Set::of(&label);
            let language = rest.split('-').next().unwrap().to_owned();
            assert!(
                ["en", "fr", "nl", "de", "es", "it"].contains(&language.as_str()),
                "{label}: unknown language"
            );
            Mail {
                label,
                language,
                set,
                expected: Outcome::parse_label(&expect),
                raw,
            }
        })
        .collect()
}

/// What the classifier made of a mail, and the review reason or the answer language.
fn outcome(c: &Classification) -> (Outcome, Option<String>) {
    match c {
        Classification::Request {
            kinds, language, ..
        } => (Outcome::Requests(kinds.clone()), Some(language.to_string())),
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
    /// Requests answered in another language than the mail's (Spanish and Italian are answered
    /// in English).
    wrong_language: Vec<String>,
    mails: u32,
    exact: u32,
}

impl Report {
    fn add(&mut self, mail: &Mail, got: &Outcome, reason: Option<&str>) {
        let expected = &mail.expected;
        if let (Outcome::Requests(_), Some(language)) = (got, reason) {
            let answer = match mail.language.as_str() {
                "es" | "it" => "en",
                other => other,
            };
            if language != answer {
                self.wrong_language
                    .push(format!("{}: answered in {language}", mail.label));
            }
        }
        let reason = reason.filter(|_| !matches!(got, Outcome::Requests(_)));
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
        // The never-tuned set is reported, not held: a missed one went to review, the safe side.
        if matches!(expected, Outcome::AutoReply | Outcome::Reply)
            && got != expected
            && mail.set != Set::Holdout2
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

    /// Recall over every right asked.
    fn recall(&self) -> f64 {
        let (found, asked) = self
            .per_language
            .values()
            .fold((0, 0), |(f, a), v| (f + v.2, a + v.3));
        f64::from(found) / f64::from(asked.max(1))
    }

    fn print(&self, title: &str) {
        println!(
            "\n=== {title}: {} mails, {} exactly right, {} wrongly created ===",
            self.mails,
            self.exact,
            self.wrongly_created.len() + self.wrong_kinds.len()
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
        for m in &self.wrong_language {
            println!("  wrong answer language: {m}");
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
    let mut reports: BTreeMap<Set, Report> = BTreeMap::new();
    for mail in &corpus {
        let msg = parse(&mail.raw, None).unwrap_or_else(|e| panic!("{}: {e}", mail.label));
        assert!(
            !msg.text().contains("X-Corpus-Expect") && msg.subject().is_some(),
            "{}",
            mail.label
        );
        let (got, reason) = outcome(&classify(&msg));
        reports
            .entry(mail.set)
            .or_default()
            .add(mail, &got, reason.as_deref());
    }
    let report = |set: Set| &reports[&set];
    for set in Set::ALL {
        assert!(reports.contains_key(&set), "no {set:?} mails");
        report(set).print(set.title());
    }

    let tuned = report(Set::Tuned);
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
            !tuned
                .mistakes
                .iter()
                .any(|m| m.starts_with(&format!("{must}:"))),
            "{must}: {:?}",
            tuned.mistakes
        );
    }
    // Recall floors on the sets the rules learnt from; the never-tuned set is reported only.
    for (set, floor) in [
        (Set::Tuned, RECALL_FLOOR_TUNED),
        (Set::Holdout, RECALL_FLOOR_HOLDOUT),
    ] {
        let r = report(set);
        let recall = r.recall();
        assert!(
            recall >= floor,
            "{set:?}: recall {recall:.3} below {floor}: {:?}",
            r.mistakes
        );
    }

    // Every set, the never-tuned one included (last, so the others' failures show first): no
    // wrongly created request.
    for set in Set::ALL {
        let r = report(set);
        assert!(
            r.wrongly_created.is_empty(),
            "{set:?}: mails that are not the sender's own request became requests: {:?}",
            r.wrongly_created
        );
        assert!(
            r.wrong_kinds.is_empty(),
            "{set:?}: requests were created for rights not asked for: {:?}",
            r.wrong_kinds
        );
        assert!(
            r.missed_auto.is_empty(),
            "{set:?}: auto-replies or replies not recognised: {:?}",
            r.missed_auto
        );
        assert!(
            set == Set::Holdout2 || r.wrong_language.is_empty(),
            "{set:?}: {:?}",
            r.wrong_language
        );
    }
}
