//! English rules.

use super::{
    Access, ConsentWithdrawal, EN, Erasure, KindRule, MARKETING, Objection, Portability,
    Rectification, Restriction, STRONG, WEAK, in_context, rule,
};

/// Verbs of removal: the blockers of an access question ("delete what you have on me").
macro_rules! erase_verbs {
    () => {
        "(delete*|erase*|wipe*|remove*|purge*|destroy*|scrub*|shred*|forget|expunge*|deletion|erasure)"
    };
}

/// What a person has with a company, as the object of a removal.
macro_rules! erase_objects {
    () => {
        "(data|account|acount|accounts|details|information|info|profile|profiles|records|record|everything|history|footprint)"
    };
}

/// Verbs of holding data.
macro_rules! hold_verbs {
    () => {
        "(hold|holds|held|holding|have|has|keep|keeps|kept|keeping|store|stores|stored|storing|process|processes|processing|collected|gathered|got|retain|retained|know|knows)"
    };
}

/// Advertising and contact, as the object of "stop", "no more", "don't want".
macro_rules! contact_nouns {
    () => {
        "(emails|email|mails|marketing|newsletters|newsletter|calls|texts|sms|promotions|promotional|promos|offers|mailings|spam|catalogues|catalogs|leaflets|flyers|letters|adverts|advertising|ads|messages|junk|brochures|mailshots|post)"
    };
}

/// Personal details that can be wrong.
macro_rules! fields {
    () => {
        "(name|surname|address|birth|dob|details|number|email|spelling|record|records|postcode|title|gender|phone)"
    };
}

/// The rules of this file.
pub static RULES: &[KindRule] = &[
    // --- Access (Art. 15) ---
    rule(
        Access,
        EN,
        STRONG,
        "access to .. (data|records|file|information|info|details|everything)",
    ),
    rule(
        Access,
        EN,
        STRONG,
        "(copy|copies|printout|list|summary|overview) of .. (data|information|info|everything|whatever)",
    ),
    rule(
        Access,
        EN,
        STRONG,
        "(copy|copies|printout|list|summary|overview) of my .. (details|records|file|profile|information|data)",
    ),
    // Not "data you hold about me" alone: erasure mails say "delete the data you hold about me".
    rule(
        Access,
        EN,
        STRONG,
        concat!(
            "!",
            erase_verbs!(),
            " (what|which) .. (data|information|info|details|records|personal) .. ",
            hold_verbs!()
        ),
    ),
    rule(
        Access,
        EN,
        STRONG,
        concat!(
            "!",
            erase_verbs!(),
            " (what|everything|anything|all) .. ",
            hold_verbs!(),
            " .. (on|about|of|regarding|concerning) me"
        ),
    ),
    rule(
        Access,
        EN,
        STRONG,
        concat!("!", erase_verbs!(), " what .. on file .. (about|for|on) me"),
    ),
    rule(
        Access,
        EN,
        STRONG,
        concat!(
            "!",
            erase_verbs!(),
            " (hold|have|keep|store|process) any .. (data|information|info|details|records) .. (about|on|of|concerning) me"
        ),
    ),
    rule(
        Access,
        EN,
        STRONG,
        "(where|how) (did|have|has) you .. (get|got|obtain|obtained|find|found|source|sourced|buy|bought|acquire|acquired|receive|received) .. (my|me)",
    ),
    rule(
        Access,
        EN,
        STRONG,
        "(where|how) you (got|obtained|found|bought|sourced|acquired) (my|it|this|them|these)",
    ),
    rule(
        Access,
        EN,
        STRONG,
        concat!(
            "!",
            erase_verbs!(),
            " (send|give|provide|show|email|forward) me .. (data|everything|whatever)"
        ),
    ),
    rule(
        Access,
        EN,
        STRONG,
        concat!(
            "!",
            erase_verbs!(),
            " (send|give|provide|show|email|forward) me .. (my|personal) (information|info|details|records|file)"
        ),
    ),
    rule(
        Access,
        EN,
        STRONG,
        concat!(
            "!",
            erase_verbs!(),
            " (all|any|every) .. (records|data|information|info|documents|emails|correspondence|notes|recordings) .. (relating|related|pertaining|referring) to me"
        ),
    ),
    rule(Access, EN, STRONG, "subject access"),
    rule(Access, EN, STRONG, "right of access"),
    rule(Access, EN, STRONG, "right to access"),
    rule(Access, EN, STRONG, "data access request"),
    rule(Access, EN, WEAK, "access request"),
    // --- Erasure (Art. 17) ---
    rule(
        Erasure,
        EN,
        STRONG,
        concat!(
            "!(mistake|accident|accidentally|error|restore|reactivate|recover|undo) ",
            "(delete|erase|wipe|purge|destroy|scrub|shred|remove|expunge) .. ",
            erase_objects!()
        ),
    ),
    rule(
        Erasure,
        EN,
        STRONG,
        "(delete|erase|wipe|purge|destroy|scrub|shred|remove) whatever .. (have|hold|keep|store|stored|kept|held)",
    ),
    rule(
        Erasure,
        EN,
        STRONG,
        concat!(
            "!(was|were|been|mistake|accident|accidentally|error|why|restore|reactivate|recover) ",
            erase_objects!(),
            " .. (deleted|erased|removed|wiped|purged|destroyed|gone|shredded|scrubbed|expunged)"
        ),
    ),
    rule(Erasure, EN, STRONG, "(delete|erase|forget) me"),
    rule(Erasure, EN, STRONG, "forget about me"),
    rule(
        Erasure,
        EN,
        STRONG,
        "(remove|delete|erase|take|wipe) me .. (database|databases|system|systems|records|files|crm|register)",
    ),
    rule(
        Erasure,
        EN,
        STRONG,
        "(data|details|information|info|name|number|everything) .. (out|off) .. (database|databases|system|systems|records|files|crm)",
    ),
    rule(
        Erasure,
        EN,
        STRONG,
        "(remove|delete|erase|wipe|take|get) .. (email|address|number|name|details|data|information|info) .. (out|off|from) .. (database|databases|system|systems|records|files|crm)",
    ),
    rule(
        Erasure,
        EN,
        STRONG,
        "(deletion|erasure|removal|destruction) of .. (data|account|information|details|records|profile|everything)",
    ),
    rule(
        Erasure,
        EN,
        STRONG,
        "(data|account|profile) (deletion|removal|erasure)",
    ),
    rule(Erasure, EN, STRONG, "deletion request"),
    rule(
        Erasure,
        EN,
        STRONG,
        "get rid of .. (data|details|information|info|account|records|everything|profile)",
    ),
    rule(
        Erasure,
        EN,
        STRONG,
        "none of my .. (data|details|information|info|records) .. (kept|stored|retained|held)",
    ),
    rule(
        Erasure,
        EN,
        STRONG,
        "!(safe|safely|secure|securely|private|confidential|up) (do|please) not (keep|store|retain|hold) .. (data|details|information|info|records)",
    ),
    rule(
        Erasure,
        EN,
        STRONG,
        "!(safe|safely|secure|securely|private|confidential|up) dont (keep|store|retain|hold) .. (data|details|information|info|records)",
    ),
    rule(
        Erasure,
        EN,
        STRONG,
        "!(safe|safely|secure|securely|private|confidential|up) no longer (keep|store|retain|hold) .. (data|details|information|info|records)",
    ),
    rule(
        Erasure,
        EN,
        STRONG,
        "!(safe|safely|secure|securely|private|confidential|up) don t (keep|store|retain|hold) .. (data|details|information|info|records)",
    ),
    rule(Erasure, EN, STRONG, "erasure"),
    rule(Erasure, EN, STRONG, "(right|want|wish) to be forgotten"),
    // --- Objection (Art. 21) ---
    rule(Objection, EN, STRONG, "object to"),
    rule(Objection, EN, STRONG, "objecting to"),
    rule(Objection, EN, STRONG, "i object"),
    rule(Objection, EN, WEAK, "objection"),
    rule(Objection, EN, STRONG, "unsubscrib*"),
    rule(Objection, EN, STRONG, "opt .. out"),
    rule(Objection, EN, STRONG, "take me off"),
    rule(
        Objection,
        EN,
        STRONG,
        "!(wish|wishlist|shopping|basket|cart|favourites|favorites|playlist) (remove|take|delete) .. (off|from) .. (list|lists|mailing|mailings|newsletter|newsletters|marketing|distribution)",
    ),
    rule(
        Objection,
        EN,
        STRONG,
        "(stop|quit|cease) (sending|emailing|calling|texting|contacting|messaging|spamming|mailing|phoning|bothering|pestering|harassing|ringing|targeting)",
    ),
    rule(Objection, EN, STRONG, concat!("stop .. ", contact_nouns!())),
    // A pattern starts at its negation ("don t", "do not", "no longer"): a negation before the
    // start of a match would cancel it.
    rule(
        Objection,
        EN,
        STRONG,
        concat!("don t (want|wish|need) .. ", contact_nouns!()),
    ),
    rule(
        Objection,
        EN,
        STRONG,
        concat!("do not (want|wish|need) .. ", contact_nouns!()),
    ),
    rule(
        Objection,
        EN,
        STRONG,
        concat!("dont (want|wish|need) .. ", contact_nouns!()),
    ),
    rule(
        Objection,
        EN,
        STRONG,
        concat!("no longer (want|wish|need) .. ", contact_nouns!()),
    ),
    rule(
        Objection,
        EN,
        STRONG,
        "don t (want|wish) to be (contacted|called|emailed|texted|phoned|bothered|spammed|targeted|marketed)",
    ),
    rule(
        Objection,
        EN,
        STRONG,
        "(not|dont) (want|wish) to be (contacted|called|emailed|texted|phoned|bothered|spammed|targeted|marketed)",
    ),
    rule(
        Objection,
        EN,
        STRONG,
        "no longer (want|wish) to be (contacted|called|emailed|texted|phoned|bothered|spammed|targeted|marketed)",
    ),
    rule(
        Objection,
        EN,
        STRONG,
        "don t (contact|call|email|text|mail|phone|ring|message|bother) me",
    ),
    rule(
        Objection,
        EN,
        STRONG,
        "do not (contact|call|email|text|mail|phone|ring|message|bother) me",
    ),
    rule(
        Objection,
        EN,
        STRONG,
        "(dont|never) (contact|call|email|text|mail|phone|ring|message|bother) me",
    ),
    rule(
        Objection,
        EN,
        STRONG,
        concat!("no (more|further) .. ", contact_nouns!()),
    ),
    rule(
        Objection,
        EN,
        STRONG,
        "no longer .. (receive|contact|email|call|text)",
    ),
    rule(Objection, EN, STRONG, "stop processing"),
    rule(
        Objection,
        EN,
        STRONG,
        "(stop|quit|cease) (sharing|selling|passing|using|disclosing) .. (data|details|information|info|number|email|address)",
    ),
    in_context(
        Objection,
        EN,
        "!(order|orders|delivery|payment|subscription|parcel|package|booking|transfer) stop (it|them|these|this|that)",
        MARKETING,
    ),
    in_context(
        Objection,
        EN,
        "!(order|orders|delivery|payment|subscription|parcel|package|booking|transfer) (this|it|that) (must|has|needs|got) .. stop",
        MARKETING,
    ),
    // --- Rectification (Art. 16) ---
    rule(Rectification, EN, STRONG, "rectify"),
    rule(Rectification, EN, STRONG, "rectified"),
    rule(
        Rectification,
        EN,
        STRONG,
        concat!(
            "(correct|fix|update|amend|change|edit) .. my .. ",
            "(name|surname|address|email|phone|number|birth|details|record|records|data|information|info|profile|title|spelling|postcode|gender)"
        ),
    ),
    rule(
        Rectification,
        EN,
        STRONG,
        "(correct|fix|update|amend) .. (record|records|details|data|information)",
    ),
    rule(
        Rectification,
        EN,
        STRONG,
        concat!(
            fields!(),
            " .. (wrong|wrongly|incorrect|incorrectly|inaccurate|misspelled|misspelt|outdated|mistake|incomplete|typo|error)"
        ),
    ),
    rule(
        Rectification,
        EN,
        STRONG,
        concat!(fields!(), " .. (not|isn|t) (correct|right|accurate|up)"),
    ),
    rule(
        Rectification,
        EN,
        STRONG,
        concat!(fields!(), " .. (has|have) changed"),
    ),
    rule(
        Rectification,
        EN,
        STRONG,
        "my (name|surname|address|email|number|postcode) (is|are) now",
    ),
    rule(
        Rectification,
        EN,
        STRONG,
        "(wrong|incorrect|outdated|old) (name|surname|address|email|number|phone|postcode|spelling|birth) (for|of) me",
    ),
    rule(
        Rectification,
        EN,
        STRONG,
        "(changed|updated) my (name|surname|address|email|number|phone|postcode)",
    ),
    rule(
        Rectification,
        EN,
        STRONG,
        "my new .. (address|email|number|surname|name|postcode)",
    ),
    rule(
        Rectification,
        EN,
        STRONG,
        "(have|has|show|shows|list|lists|say|says|got) my .. (name|surname|birth|address|email|number|title|gender|postcode) as",
    ),
    rule(Rectification, EN, STRONG, "change of (address|name)"),
    rule(
        Rectification,
        EN,
        STRONG,
        "misspel* .. (name|surname|address|email|details)",
    ),
    rule(Rectification, EN, WEAK, "inaccurate"),
    // --- Restriction (Art. 18) ---
    rule(Restriction, EN, WEAK, "restrict"),
    rule(Restriction, EN, WEAK, "restriction"),
    rule(
        Restriction,
        EN,
        STRONG,
        "(restrict|limit|freeze|suspend|pause|block|halt) .. (processing|use|usage|using)",
    ),
    rule(Restriction, EN, STRONG, "restriction of .. processing"),
    rule(Restriction, EN, STRONG, "limit .. use .. data"),
    rule(
        Restriction,
        EN,
        STRONG,
        "(do|don|please) (not|t) (use|process|share|disclose|pass|delete) .. (data|details|information|records) .. (until|while|whilst|pending)",
    ),
    // --- Portability (Art. 20) ---
    rule(Portability, EN, STRONG, "portability"),
    rule(Portability, EN, STRONG, "machine readable"),
    rule(Portability, EN, STRONG, "port my data"),
    rule(
        Portability,
        EN,
        STRONG,
        "export .. (data|history|information|everything|details|records)",
    ),
    rule(
        Portability,
        EN,
        STRONG,
        "(csv|json|xml|excel|xlsx|spreadsheet) .. (file|files|format|export|download)",
    ),
    rule(
        Portability,
        EN,
        STRONG,
        "(as|in) (csv|json|xml|spreadsheet)",
    ),
    rule(
        Portability,
        EN,
        STRONG,
        "(as|in) (a|an) (csv|json|xml|spreadsheet)",
    ),
    rule(
        Portability,
        EN,
        STRONG,
        "(transfer|transmit|port|move) .. (data|history|records) .. (another|new|directly|provider|competitor|supplier)",
    ),
    rule(
        Portability,
        EN,
        STRONG,
        "!(why|who|whom) send .. (data|history|records) .. (to|directly) .. (new|another|other) (bank|provider|supplier|insurer|company|service)",
    ),
    // --- Consent withdrawal (Art. 7(3)) ---
    rule(
        ConsentWithdrawal,
        EN,
        STRONG,
        "(withdraw*|revok*|cancel*|retract*|rescind*) .. (consent|permission|authorisation|authorization)",
    ),
    rule(
        ConsentWithdrawal,
        EN,
        STRONG,
        "(remove|removing) (my|the|our) consent",
    ),
    rule(ConsentWithdrawal, EN, STRONG, "withdrawal of .. consent"),
    rule(
        ConsentWithdrawal,
        EN,
        STRONG,
        "(take|taking|took) back .. (consent|permission)",
    ),
    rule(ConsentWithdrawal, EN, STRONG, "no longer consent"),
    rule(
        ConsentWithdrawal,
        EN,
        STRONG,
        "(consent|permission) .. (withdrawn|revoked|cancelled|canceled|retracted)",
    ),
];
