//! Dutch rules (Flemish included).

use super::{
    Access, ConsentWithdrawal, Erasure, KindRule, MARKETING, NL, Objection, Portability,
    Rectification, Restriction, STRONG, WEAK, in_context, rule,
};

/// Verbs of removal: the blockers of an access question.
macro_rules! erase_verbs {
    () => {
        "(verwijder*|wis|wissen|gewist|vernietig*|schrap*)"
    };
}

/// What a person has with a company.
macro_rules! data {
    () => {
        "(*gegevens|account|profiel|informatie|info|data|dossier)"
    };
}

/// Personal details that can be wrong or change.
macro_rules! fields {
    () => {
        "(adres|*naam|*gegevens|telefoonnummer|nummer|mailadres|emailadres|geboortedatum|woonplaats|postcode)"
    };
}

/// Advertising and contact.
macro_rules! contact_nouns {
    () => {
        "(reclame|marketing|mails|mailtjes|mailings|post|folders|sms|smsjes|telefoontjes|aanbiedingen|berichten|nieuwsbrief|nieuwsbrieven|brieven|catalogus|reclamepost)"
    };
}

/// The rules of this file.
pub static RULES: &[KindRule] = &[
    // --- Access (Art. 15) ---
    rule(Access, NL, WEAK, "inzage"),
    rule(Access, NL, STRONG, "inzageverzoek"),
    rule(Access, NL, STRONG, "inzagerecht"),
    rule(Access, NL, STRONG, "recht op inzage"),
    rule(Access, NL, STRONG, "verzoek om inzage"),
    rule(
        Access,
        NL,
        STRONG,
        "(kopie|overzicht|lijst) .. (*gegevens|informatie|data|dossier)",
    ),
    rule(
        Access,
        NL,
        STRONG,
        concat!(
            "!",
            erase_verbs!(),
            " welke .. (*gegevens|informatie|info|data)"
        ),
    ),
    rule(
        Access,
        NL,
        STRONG,
        concat!(
            "!",
            erase_verbs!(),
            " wat .. (over|van) mij .. (weten|weet|hebben|heeft|bewaren|bewaard|opgeslagen|vastgelegd|verwerken|verwerkt|bijhouden|staan|staat|geregistreerd)"
        ),
    ),
    rule(
        Access,
        NL,
        STRONG,
        concat!(
            "!",
            erase_verbs!(),
            " (alles|informatie|info|*gegevens) .. (wat|die|dat) .. (over|van) mij"
        ),
    ),
    rule(
        Access,
        NL,
        STRONG,
        concat!(
            "!",
            erase_verbs!(),
            " wat .. (weten|weet|hebben|heeft|bewaren|bewaart|verwerken|verwerkt) .. (over|van) mij"
        ),
    ),
    rule(
        Access,
        NL,
        STRONG,
        "waar .. (*gegevens|adres|nummer|telefoonnummer|naam|mailadres|emailadres) .. vandaan",
    ),
    rule(
        Access,
        NL,
        STRONG,
        "(aan|met) wie .. (*gegevens|adres|nummer|informatie) .. (gegeven|verkocht|gedeeld|doorgegeven|verstrekt)",
    ),
    // --- Erasure (Art. 17) ---
    rule(
        Erasure,
        NL,
        STRONG,
        concat!(
            "!(ongeluk|abuis|herstel*|terugkrijgen|terugzetten) (verwijder*|vernietig*|schrap*) .. ",
            data!()
        ),
    ),
    rule(
        Erasure,
        NL,
        STRONG,
        "(verwijder*|vernietig*|schrap*) .. alles",
    ),
    rule(
        Erasure,
        NL,
        STRONG,
        "!(ongeluk|abuis|fout|waarom|herstel*|terugzetten) (*gegevens|account|profiel|informatie|info|data|alles) .. (verwijder*|vernietig*|geschrapt)",
    ),
    rule(
        Erasure,
        NL,
        STRONG,
        "(wis|wissen) .. (*gegevens|account|profiel)",
    ),
    rule(
        Erasure,
        NL,
        STRONG,
        "(*gegevens|account|profiel) .. (wissen|gewist)",
    ),
    // Not "alles wissen" alone: German "ich will alles wissen" means "I want to know everything".
    rule(
        Erasure,
        NL,
        STRONG,
        "(mogen|moeten|kunnen|kunt|kun|wilt|laten|graag) .. alles .. (wissen|gewist|verwijderen)",
    ),
    rule(
        Erasure,
        NL,
        STRONG,
        "(verwijder*|haal|halen|gehaald|schrap*) .. uit .. (systeem|systemen|database|databases|databank|administratie|bestanden|klantenbestand)",
    ),
    rule(Erasure, NL, STRONG, "vergeten te worden"),
    rule(Erasure, NL, STRONG, "vergeten worden"),
    rule(Erasure, NL, STRONG, "recht op vergetelheid"),
    // --- Objection (Art. 21) ---
    rule(Objection, NL, WEAK, "bezwaar"),
    rule(Objection, NL, STRONG, "bezwaar tegen"),
    rule(Objection, NL, STRONG, "maak bezwaar"),
    rule(Objection, NL, STRONG, "afmeld*"),
    rule(Objection, NL, STRONG, "uitschrijv*"),
    rule(Objection, NL, STRONG, "schrijf .. uit"),
    // Not a report ("ik ontvang geen nieuwsbrief meer, kunnen jullie dat nakijken?").
    rule(
        Objection,
        NL,
        STRONG,
        "!(ontvang|krijg|kreeg|ontving|aangemeld) geen (reclame|marketing)",
    ),
    rule(
        Objection,
        NL,
        STRONG,
        "!(ontvang|krijg|kreeg|ontving|aangemeld) geen .. nieuwsbrie*",
    ),
    rule(
        Objection,
        NL,
        STRONG,
        concat!(
            "!(ontvang|krijg|kreeg|ontving|aangemeld) geen .. ",
            contact_nouns!(),
            " .. meer"
        ),
    ),
    rule(
        Objection,
        NL,
        STRONG,
        "(bel|bellen|mail|mailen|sms|benader|benaderen|contacteer|stuur|sturen|app|appen) ... niet meer",
    ),
    rule(
        Objection,
        NL,
        STRONG,
        "niet (meer|langer) (gebeld|benaderd|gemaild|gecontacteerd|lastiggevallen)",
    ),
    rule(
        Objection,
        NL,
        STRONG,
        concat!(
            contact_nouns!(),
            " .. niet (meer|langer) (ontvangen|krijgen)"
        ),
    ),
    rule(
        Objection,
        NL,
        STRONG,
        "(stop|stoppen|ophouden) .. (bellen|mailen|sturen|sms*|benaderen|lastigvallen|toesturen|reclame|mails|folders)",
    ),
    rule(
        Objection,
        NL,
        STRONG,
        "haal .. uit .. (bestand|*bestand|lijst|*lijst)",
    ),
    rule(
        Objection,
        NL,
        STRONG,
        "(verwijder*|schrap*) .. uit .. (*lijst|mailing*|nieuwsbrie*)",
    ),
    in_context(
        Objection,
        NL,
        "!(bestelling|levering|betaling|pakket|abonnement|incasso) (stop|stoppen|hou|houd|houden) (ermee|hiermee|daarmee|nu|onmiddellijk)",
        MARKETING,
    ),
    in_context(
        Objection,
        NL,
        "(dit|het) moet .. (stoppen|ophouden|afgelopen)",
        MARKETING,
    ),
    // --- Rectification (Art. 16) ---
    rule(Rectification, NL, STRONG, "rectificatie"),
    rule(
        Rectification,
        NL,
        STRONG,
        concat!(
            "(aanpassen|wijzigen|corrigeren|verbeteren|veranderen|bijwerken|rechtzetten) .. ",
            fields!()
        ),
    ),
    rule(
        Rectification,
        NL,
        STRONG,
        concat!(
            fields!(),
            " .. (aanpassen|wijzigen|corrigeren|verbeteren|veranderen|bijwerken|rechtzetten|aangepast|gewijzigd|gecorrigeerd|verbeterd|veranderd|bijgewerkt)"
        ),
    ),
    rule(
        Rectification,
        NL,
        STRONG,
        concat!(fields!(), " .. (klopt|kloppen) niet"),
    ),
    rule(
        Rectification,
        NL,
        STRONG,
        concat!(
            fields!(),
            " .. (verkeerd|onjuist|fout|foutief|incorrect|verouderd|achterhaald)"
        ),
    ),
    rule(
        Rectification,
        NL,
        STRONG,
        concat!(fields!(), " .. niet .. (juist|correct|goed|actueel)"),
    ),
    rule(
        Rectification,
        NL,
        STRONG,
        "(nieuw|nieuwe) (adres|telefoonnummer|mailadres|emailadres|achternaam|woonadres)",
    ),
    rule(Rectification, NL, STRONG, "verkeerd gespeld"),
    rule(Rectification, NL, STRONG, "(adreswijziging|naamswijziging)"),
    rule(Rectification, NL, STRONG, "(ben|zijn) verhuisd"),
    // --- Restriction (Art. 18) ---
    rule(Restriction, NL, WEAK, "beperking"),
    rule(Restriction, NL, STRONG, "beperk* .. (verwerking|gebruik)"),
    rule(Restriction, NL, STRONG, "recht op beperking"),
    rule(
        Restriction,
        NL,
        STRONG,
        "(verwerking|gebruik) .. (opschorten|stopzetten|bevriezen|blokkeren)",
    ),
    rule(
        Restriction,
        NL,
        STRONG,
        "(opschorten|stopzetten|bevriezen|blokkeren) .. (verwerking|gebruik)",
    ),
    // --- Portability (Art. 20) ---
    rule(Portability, NL, STRONG, "overdraagbaarheid"),
    rule(Portability, NL, STRONG, "dataportabiliteit"),
    rule(Portability, NL, STRONG, "portabiliteit"),
    rule(Portability, NL, STRONG, "machineleesbaar*"),
    rule(
        Portability,
        NL,
        STRONG,
        "(csv|json|xml|excel) .. (bestand|formaat|export)",
    ),
    rule(
        Portability,
        NL,
        STRONG,
        "(leesbaar|gestructureerd|gangbaar) .. formaat",
    ),
    rule(
        Portability,
        NL,
        STRONG,
        "(exporteren|overzetten|overdragen) .. *gegevens",
    ),
    rule(
        Portability,
        NL,
        STRONG,
        "*gegevens .. (exporteren|overzetten|overdragen|meenemen)",
    ),
    // --- Consent withdrawal (Art. 7(3)) ---
    rule(
        ConsentWithdrawal,
        NL,
        STRONG,
        "(toestemming|instemming|akkoord) .. (intrek*|terugtrek*|ingetrokken|teruggetrokken)",
    ),
    rule(
        ConsentWithdrawal,
        NL,
        STRONG,
        "(toestemming|instemming) .. (in|terug) te trekken",
    ),
    rule(
        ConsentWithdrawal,
        NL,
        STRONG,
        "trek* .. (toestemming|instemming|akkoord) ... (in|terug)",
    ),
    rule(
        ConsentWithdrawal,
        NL,
        STRONG,
        "intrekking .. (toestemming|instemming)",
    ),
];
