//! Inbound mail: parsing and classifying what reaches the privacy@ mailbox.
//!
//! Everything here is pure: no I/O, no clock. The caller fetches a message (IMAP, a maildir, a
//! test fixture), passes its raw bytes and, when it has one, the IMAP `INTERNALDATE` to
//! [`parse`], then acts on [`classify`]. The raw bytes stay the caller's to keep: an
//! [`Classification::Unclassified`] message goes to the officer's review queue with the original
//! attached, and nothing here throws it away.
//!
//! # Parsing ([`parse`], [`Inbound`])
//!
//! The MIME work is done by `mail-parser`: plain, HTML-only and multipart messages,
//! quoted-printable and base64, RFC 2047 encoded headers, and every common charset (ISO-8859-*,
//! windows-125x, KOI8, the CJK sets, UTF-7/16) decoded to UTF-8. On top of it:
//!
//! - **Message ids** are returned *without* angle brackets (`dsr-…@privacy.example`), as
//!   `mail-parser` gives them; compare with [`message_id`](crate::message_id)`(…)
//!   .trim_matches(['<', '>'])`. [`Inbound::dedup_key`] is the `Message-ID` or, when the header is
//!   missing, `sha256:<hex of the raw bytes>`, for "processed once" bookkeeping.
//! - **`received_at`** (the GDPR clock starts when the mail reached the mailbox, not when dsrflow
//!   read it): the IMAP `INTERNALDATE` when given; else the date of the top-most `Received`
//!   header that has a valid one (the last hop, added by the receiving server); else `Date:`.
//! - **Text**: the `text/plain` body parts; when there are none, the HTML parts converted to text
//!   (tags stripped, `style`/`script`/`head` dropped, entities decoded, block elements and `<br>`
//!   kept as line breaks, `<blockquote>` content prefixed with `> ` so it counts as quoted).
//! - **Attachments**: name, content type and decoded size, never the content.
//! - [`parse`] never panics. It refuses only empty input and input in which no header can be
//!   found ([`InboundError`]); a damaged message still parses as far as it goes. Should the MIME
//!   parser itself panic on a hostile body (a debug assertion of `mail-parser` 0.11.9 can), the
//!   panic is contained, the headers alone are read and [`Inbound::body_unreadable`] is set.
//!
//! # Classification ([`classify`])
//!
//! The first rule that applies wins, in this order:
//!
//! 1. **Auto-replies** never create requests ([`Classification::AutoReply`]):
//!    `Auto-Submitted` other than `no` (RFC 3834); `X-Autoreply` or `X-Autorespond` present;
//!    `Precedence: bulk | junk | auto_reply`; a `multipart/report` message (RFC 6522:
//!    delivery-status reports, read receipts) or a `message/delivery-status` part; a
//!    `MAILER-DAEMON` or `postmaster` sender, or a null `Return-Path: <>`; a subject *starting*
//!    with a typical out-of-office or bounce phrase in English, French, Dutch or German ("Out of
//!    office", "Automatic reply", "Réponse automatique", "Absence :", "Afwezig",
//!    "Automatisch antwoord", "Abwesenheitsnotiz", "Automatische Antwort", "Undeliverable",
//!    "Unzustellbar", … see [`rules::AUTO_REPLY_SUBJECTS`]). A subject only counts at its start,
//!    so "Access to my absence records" is not an auto-reply.
//! 2. **Replies** to a dsrflow mail attach to the existing request instead of creating one
//!    ([`Classification::Reply`]): `In-Reply-To` or `References` holds a dsrflow `Message-ID`
//!    (`dsr-{uuid}@host`, see [`message_id`](crate::message_id)), or the subject holds a
//!    reference `DSR-XXXXXXXX` (8 characters of Crockford base32: `0-9 A-H J K M N P-T V-Z`).
//! 3. **Requests** ([`Classification::Request`]): the phrase rules below find one or more request
//!    kinds, and a valid requester address exists. One mail can exercise several rights; the
//!    caller creates one request per kind, all with the same receipt time.
//! 4. Anything else is [`Classification::Unclassified`] and goes to the officer's review queue:
//!    an unreadable body, no kind recognised, no valid address (neither `From` nor one given in
//!    the text), or rights named in a mail written for someone else ([`ON_BEHALF`],
//!    `rules::ON_BEHALF_CUES`: their authority must be checked) or in a commercial message
//!    ([`COMMERCIAL`], `rules::COMMERCIAL_CUES`). A wrongly created request is worse than a
//!    mail a person reads. `tests/it/corpus.rs` runs a labelled corpus and prints precision,
//!    recall and the confusion table.
//!
//! ## What the rules read
//!
//! The subject and the *new* text of the body, i.e. [`Inbound::new_text`]: lines starting with
//! `>` are dropped, and the text is cut at the first reply attribution ("On … wrote:",
//! "Le … a écrit :", "Op … schreef …:", "Am … schrieb …:"), forwarded or original-message marker
//! ("---------- Forwarded message ---------", "Message transféré", "Doorgestuurd bericht",
//! "Weitergeleitete Nachricht", "-----Original Message-----", …), Outlook header block
//! ("From: … Sent: …", "De : … Envoyé : …", "Van: … Verzonden: …", "Von: … Gesendet: …") or
//! signature delimiter (`-- `). So a kind is never invented from quoted or forwarded text: an
//! "unsubscribe" link in the footer of a forwarded newsletter does not add an objection. Only the
//! first [`MAX_SCAN_BYTES`] of that text are read.
//!
//! Matching is case- and accent-insensitive (`Löschung`, `loschung` and `LÖSCHUNG` are the same
//! word) and works on whole words: `*` at the end of a rule word matches any ending
//! (`désabonn*` matches "désabonner" and "désabonnement"), `*` at its start any beginning
//! (`*gegevens` matches "persoonsgegevens"), and `..` allows up to four other words in between
//! (`delete .. data` matches "delete all my personal data"). A match is ignored when a negation
//! ("not", "don't", "never", "pas", "niet", "geen", "nicht", "kein", …) stands in the three words
//! before it in the same clause: "I do not want my account deleted" is not an erasure request.
//!
//! The rules, per right and language (the full list is [`rules::KIND_RULES`]):
//!
//! | Right | Any language | English | French | Dutch | German |
//! |---|---|---|---|---|---|
//! | access (Art. 15) | "Article 15", "Art. 15", "Artikel 15", "DSAR" | "access to .. data", "copy of .. data", "what .. data .. you hold", "subject access", "right of access" | "droit d'accès", "accès à .. données", "copie de .. données", "quelles .. données .. vous" | "inzage", "inzageverzoek", "kopie van .. *gegevens", "welke .. *gegevens" | "Auskunft", "Auskunftsersuchen", "Kopie meiner .. *Daten", "welche .. *Daten .. gespeichert" |
//! | erasure (Art. 17) | "Article 17", … | "delete .. data/account/profile", "erasure", "erase .. data", "right to be forgotten", "remove my account" | "supprim* .. données/compte", "effacement", "droit à l'oubli" | "verwijder* .. *gegevens/account", "*gegevens .. wissen", "recht om vergeten te worden" | "Löschung", "lösch* .. *Daten/*Konto", "Recht auf Vergessenwerden" |
//! | objection (Art. 21) | "Article 21", … | "object to", "I object", "stop sending", "unsubscribe", "no more marketing", "opt out" | "opposition", "je m'oppose", "désabonn*", "désinscri*", "ne plus recevoir" | "bezwaar", "afmelden", "uitschrijven", "geen reclame" | "Widerspruch", "widerspreche*", "abmelden", "abbestellen", "keine Werbung" |
//! | rectification (Art. 16) | "Article 16", … | "correct my", "rectify", "rectification", "update my .. address" | "rectification", "rectifier", "corriger" | "rectificatie", "corrigeren", "*gegevens .. verbeteren" | "Berichtigung", "berichtigen", "korrigieren" |
//! | restriction (Art. 18) | "Article 18", … | "restrict", "restriction of .. processing" | "limitation", "limiter .. traitement" | "beperking", "recht op beperking" | "Einschränkung", "einschränk* .. Verarbeitung" |
//! | portability (Art. 20) | "Article 20", … | "portability", "machine-readable" | "portabilité", "lisible par machine" | "overdraagbaarheid", "dataportabiliteit" | "Datenübertragbarkeit", "maschinenlesbar*" |
//! | consent withdrawal (Art. 7(3)) | "Article 7(3)", … | "withdraw .. consent", "revoke .. consent" | "retir* .. consentement", "retrait .. consentement" | "toestemming .. intrek*", "toestemming .. in te trekken" | "Einwilligung .. widerruf*", "widerruf* .. Einwilligung" |
//!
//! Kinds come out in [`RequestKind::ALL`](dsrflow_domain::RequestKind::ALL) order, each once.
//! Each rule is *strong* (a phrase or an unambiguous term) or *weak* (one generic word such as
//! "Auskunft", "bezwaar", "opposition", "restrict"); [`Confidence::High`] means every kind found
//! rests on at least one strong rule, [`Confidence::Low`] that some kind rests on weak words only,
//! which the caller may route to the officer for a look.
//!
//! ## Who the request is for, and in which language
//!
//! The requester's address is one the text gives as the person's own ("my email is …",
//! "please use my address …", "mon adresse …", "mijn e-mailadres …", "meine E-Mail-Adresse …",
//! see [`rules::ADDRESS_CUES`]; the first valid address within 200 bytes after the cue), else the
//! `From` address. [`Classification::Request::email_source`] says which, because an address
//! taken from the text is not proven by the sender: identity verification must go to it. The
//! name is the `From` display name when it is a usable name.
//!
//! The language ([`detect_language`]) is a stop-word vote over the subject and new text in
//! English, French, Dutch and German; a tie or no vote gives English.

mod classify;
mod cues;
mod html;
mod language;
mod message;
mod pattern;
pub mod rules;
mod text;

pub use classify::{
    AUTO_REPLY_TEXT_WITH_KINDS, AddressSource, BODY_UNREADABLE, BULK, COMMERCIAL, Classification,
    Confidence, NO_ADDRESS, NO_KIND, ON_BEHALF, REVIEW_REASONS, classify,
};
pub use language::detect_language;
pub use message::{AttachmentInfo, Inbound, InboundError, parse};
pub use rules::KindRule;
pub use text::MAX_SCAN_BYTES;
