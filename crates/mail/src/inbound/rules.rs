//! The classifier's rule tables: phrases per request kind and language, the business words that
//! veto a rectification, and (re-exported from the cue tables) out-of-office subjects and text,
//! address cues, on-behalf, commercial and question cues.
//!
//! Rules are written with their accents, as people type them; they are folded the same way as
//! the text (lower case, no diacritics) before matching. See the [module docs](super) for the
//! pattern syntax (`*` word endings/beginnings, `(a|b)` alternatives, `..` and `...` gaps).

use std::sync::LazyLock;

use dsrflow_domain::RequestKind;
use dsrflow_domain::channel::Language;

pub use super::cues::{
    ADDRESS_CUES, AUTO_REPLY_SUBJECTS, AUTO_REPLY_TEXT, COMMERCIAL_CUES, ON_BEHALF_CUES,
    QUESTION_OPENERS, REPLY_PREFIXES,
};
pub use super::pattern::NEGATIONS;
use super::pattern::{Pattern, compile_all};

/// One phrase rule: when `pattern` occurs in the subject or new text, the mail asks for `kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KindRule {
    /// The right the phrase asks for.
    pub kind: RequestKind,
    /// The phrase's language; `None` for article numbers and terms used across languages.
    pub language: Option<Language>,
    /// The phrase, in the pattern syntax of the module docs.
    pub pattern: &'static str,
    /// True for a phrase or an unambiguous term, false for a single generic word.
    pub strong: bool,
}

const fn rule(
    kind: RequestKind,
    language: Option<Language>,
    strong: bool,
    pattern: &'static str,
) -> KindRule {
    KindRule {
        kind,
        language,
        pattern,
        strong,
    }
}

use Language::{De, En, Fr, Nl};
use RequestKind::{
    Access, ConsentWithdrawal, Erasure, Objection, Portability, Rectification, Restriction,
};

const ANY: Option<Language> = None;
const EN: Option<Language> = Some(En);
const FR: Option<Language> = Some(Fr);
const NL: Option<Language> = Some(Nl);
const DE: Option<Language> = Some(De);
const STRONG: bool = true;
const WEAK: bool = false;

/// Every phrase rule, grouped by kind then language.
pub static KIND_RULES: &[KindRule] = &[
    // --- Access (Art. 15) ---
    rule(Access, ANY, STRONG, "article 15"),
    rule(Access, ANY, STRONG, "art 15"),
    rule(Access, ANY, STRONG, "artikel 15"),
    rule(Access, ANY, STRONG, "dsar"),
    rule(Access, EN, STRONG, "access to .. (data|records|file)"),
    rule(Access, EN, WEAK, "access to my .. information"),
    rule(
        Access,
        EN,
        STRONG,
        "(copy|copies) of .. (data|information|info|records|file|details|everything)",
    ),
    // Not "data you hold about me" alone: erasure mails say "delete the data you hold about me".
    rule(
        Access,
        EN,
        STRONG,
        "what .. (data|information|info|details) .. (hold|have|keep|store|process|collected|holding|storing|keeping|processing)",
    ),
    rule(
        Access,
        EN,
        STRONG,
        "which .. (data|information) .. (hold|have|keep|store|process)",
    ),
    rule(Access, EN, STRONG, "what do you know about me"),
    rule(
        Access,
        EN,
        STRONG,
        "(where|how) did you (get|obtain|find) my",
    ),
    rule(
        Access,
        EN,
        STRONG,
        "(where|how) you (got|obtained|found) my",
    ),
    rule(Access, EN, STRONG, "send me .. (data|everything|whatever)"),
    rule(Access, EN, STRONG, "subject access"),
    rule(Access, EN, STRONG, "right of access"),
    rule(Access, EN, STRONG, "right to access"),
    rule(Access, EN, STRONG, "data access request"),
    rule(Access, EN, WEAK, "access request"),
    rule(Access, FR, STRONG, "droit d'accès"),
    rule(Access, FR, STRONG, "demande d'accès"),
    rule(
        Access,
        FR,
        STRONG,
        "accès à .. (données|informations|dossier)",
    ),
    rule(
        Access,
        FR,
        STRONG,
        "(copie|communication) de .. (données|informations|dossier|tout)",
    ),
    rule(
        Access,
        FR,
        STRONG,
        "me communiquer .. (données|informations)",
    ),
    rule(
        Access,
        FR,
        STRONG,
        "(quel|quels|quelle|quelles) .. (données|informations) .. (vous|détenez|avez|possédez|conservez|traitez)",
    ),
    rule(Access, FR, STRONG, "données que vous détenez"),
    rule(Access, FR, STRONG, "(savez|connaissez) .. sur moi"),
    rule(Access, FR, STRONG, "d'où .. (viennent|provien*)"),
    rule(Access, NL, WEAK, "inzage"),
    rule(Access, NL, STRONG, "inzageverzoek"),
    rule(Access, NL, STRONG, "inzagerecht"),
    rule(Access, NL, STRONG, "recht op inzage"),
    rule(Access, NL, STRONG, "verzoek om inzage"),
    rule(Access, NL, STRONG, "kopie .. *gegevens"),
    rule(Access, NL, STRONG, "overzicht .. *gegevens"),
    rule(Access, NL, STRONG, "welke .. (*gegevens|informatie|info)"),
    rule(
        Access,
        NL,
        STRONG,
        "wat .. over mij .. (weten|hebben|bewaren|opgeslagen|vastgelegd|verwerken)",
    ),
    rule(Access, DE, WEAK, "Auskunft"),
    rule(Access, DE, STRONG, "Auskunftsersuchen"),
    rule(Access, DE, STRONG, "Auskunftsanspruch"),
    rule(Access, DE, STRONG, "Auskunftsrecht"),
    rule(Access, DE, STRONG, "Auskunftsantrag"),
    rule(Access, DE, STRONG, "Datenauskunft"),
    rule(Access, DE, STRONG, "Auskunft* .. *Daten"),
    rule(Access, DE, STRONG, "(Kopie|Übersicht) .. *Daten"),
    rule(
        Access,
        DE,
        STRONG,
        "welche .. (*Daten|Informationen|Angaben) .. (gespeichert|haben|verarbeiten|vorliegen)",
    ),
    rule(Access, DE, WEAK, "welche .. *Daten"),
    rule(
        Access,
        DE,
        STRONG,
        "was .. über mich .. (gespeichert|gesammelt|wissen|haben|verarbeiten)",
    ),
    rule(Access, DE, STRONG, "woher haben Sie"),
    // --- Erasure (Art. 17) ---
    rule(Erasure, ANY, STRONG, "article 17"),
    rule(Erasure, ANY, STRONG, "art 17"),
    rule(Erasure, ANY, STRONG, "artikel 17"),
    rule(
        Erasure,
        EN,
        STRONG,
        "(delete|erase|wipe|purge|destroy|scrub) .. (data|account|acount|accounts|details|information|info|profile|records|everything|history)",
    ),
    rule(
        Erasure,
        EN,
        STRONG,
        "remove .. (data|account|accounts|details|information|profile|records|everything)",
    ),
    rule(
        Erasure,
        EN,
        STRONG,
        "(data|account|details|information|profile|records|everything) .. (deleted|erased|removed|wiped|purged|destroyed|gone)",
    ),
    rule(Erasure, EN, STRONG, "(delete|erase|forget) me"),
    rule(Erasure, EN, STRONG, "forget about me"),
    rule(
        Erasure,
        EN,
        STRONG,
        "(remove|delete|erase|take) me .. (database|databases|system|systems|records|files)",
    ),
    rule(
        Erasure,
        EN,
        STRONG,
        "deletion of .. (data|account|information|details)",
    ),
    rule(Erasure, EN, STRONG, "(data|account) deletion"),
    rule(Erasure, EN, STRONG, "deletion request"),
    rule(
        Erasure,
        EN,
        STRONG,
        "get rid of .. (data|details|information|account)",
    ),
    rule(Erasure, EN, STRONG, "erasure"),
    rule(Erasure, EN, STRONG, "right to be forgotten"),
    rule(
        Erasure,
        FR,
        STRONG,
        "supprim* .. (données|compte|informations|coordonnées|profil|fiche|dossier|tout)",
    ),
    rule(
        Erasure,
        FR,
        STRONG,
        "(données|compte|informations|coordonnées|profil) .. supprim*",
    ),
    rule(
        Erasure,
        FR,
        STRONG,
        "effac* .. (données|informations|compte|coordonnées|dossier|tout)",
    ),
    rule(Erasure, FR, STRONG, "(données|informations) .. effac*"),
    rule(
        Erasure,
        FR,
        STRONG,
        "suppression .. (données|compte|informations|coordonnées)",
    ),
    rule(Erasure, FR, STRONG, "tout (effacer|supprimer)"),
    rule(Erasure, FR, STRONG, "effacement"),
    rule(Erasure, FR, STRONG, "droit à l'oubli"),
    rule(
        Erasure,
        NL,
        STRONG,
        "verwijder* .. (*gegevens|account|profiel|alles|informatie|data)",
    ),
    rule(
        Erasure,
        NL,
        STRONG,
        "(*gegevens|account|profiel|informatie|data) .. verwijder*",
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
    rule(Erasure, NL, STRONG, "recht om vergeten te worden"),
    rule(Erasure, NL, STRONG, "recht op vergetelheid"),
    rule(Erasure, DE, STRONG, "Löschung"),
    rule(Erasure, DE, STRONG, "Loeschung"),
    rule(
        Erasure,
        DE,
        STRONG,
        "(Löschungs*|Loeschungs*|Löschbegehren|Löschantrag*|Löschanfrage*|Löschauftrag*)",
    ),
    rule(
        Erasure,
        DE,
        STRONG,
        "(lösch*|loesch*|entfern*) .. (*Daten|*Konto|Account|Profil|alles|Einträge|Angaben)",
    ),
    rule(
        Erasure,
        DE,
        STRONG,
        "(*Daten|*Konto|Account|Profil|alles|Einträge|Angaben) .. (lösch*|loesch*|gelöscht|entfern*)",
    ),
    rule(Erasure, DE, STRONG, "Recht auf Vergessenwerden"),
    rule(Erasure, DE, STRONG, "Recht auf Vergessen werden"),
    // --- Objection (Art. 21) ---
    rule(Objection, ANY, STRONG, "article 21"),
    rule(Objection, ANY, STRONG, "art 21"),
    rule(Objection, ANY, STRONG, "artikel 21"),
    rule(Objection, EN, STRONG, "object to"),
    rule(Objection, EN, STRONG, "i object"),
    rule(Objection, EN, WEAK, "objection"),
    rule(Objection, EN, STRONG, "unsubscrib*"),
    rule(Objection, EN, STRONG, "opt .. out"),
    rule(Objection, EN, STRONG, "take me off"),
    rule(
        Objection,
        EN,
        STRONG,
        "remove me from .. (list|lists|mailing|newsletter|newsletters|marketing)",
    ),
    rule(
        Objection,
        EN,
        STRONG,
        "stop (sending|emailing|calling|texting|contacting|messaging|spamming|mailing|phoning|bothering)",
    ),
    rule(
        Objection,
        EN,
        STRONG,
        "stop .. (marketing|newsletters|newsletter|emails|calls|texts|promotions|spam)",
    ),
    rule(
        Objection,
        EN,
        STRONG,
        "don t (want|wish) .. (emails|marketing|newsletters|newsletter|calls|texts|promotions|promotional|offers|mailings|spam|catalogues|catalogs)",
    ),
    rule(
        Objection,
        EN,
        STRONG,
        "dont (want|wish) .. (emails|marketing|newsletters|newsletter|calls|texts|promotions|promotional|offers|mailings|spam|catalogues|catalogs)",
    ),
    rule(
        Objection,
        EN,
        STRONG,
        "do not (want|wish) .. (emails|marketing|newsletters|newsletter|calls|texts|promotions|promotional|offers|mailings|spam|catalogues|catalogs)",
    ),
    rule(
        Objection,
        EN,
        STRONG,
        "do not (contact|call|email|text|mail|phone) me",
    ),
    rule(
        Objection,
        EN,
        STRONG,
        "(don|dont) t (contact|call|email|text|mail|phone) me",
    ),
    rule(
        Objection,
        EN,
        STRONG,
        "(dont|never) (contact|call|email|text|mail|phone) me",
    ),
    rule(Objection, EN, STRONG, "no more marketing"),
    rule(
        Objection,
        EN,
        STRONG,
        "no (more|further) .. (emails|newsletter*|marketing|calls|texts|promotions|offers|mailings)",
    ),
    rule(
        Objection,
        EN,
        STRONG,
        "no longer .. (receive|contact|email|call)",
    ),
    rule(Objection, EN, STRONG, "stop processing"),
    rule(Objection, FR, WEAK, "opposition"),
    rule(Objection, FR, STRONG, "droit d'opposition"),
    rule(Objection, FR, STRONG, "m'oppose"),
    rule(Objection, FR, STRONG, "désabonn*"),
    rule(Objection, FR, STRONG, "désinscri*"),
    rule(Objection, FR, STRONG, "ne plus recevoir"),
    rule(
        Objection,
        FR,
        STRONG,
        "(souhaite|veux|voudrais|désire) plus recevoir",
    ),
    rule(
        Objection,
        FR,
        STRONG,
        "ne plus .. (appeler|contacter|solliciter|démarcher)",
    ),
    rule(
        Objection,
        FR,
        STRONG,
        "(arrêt*|cess*) .. (envoyer|envoi|envois|appeler|appels|contacter|démarch*|prospection|publicit*|sms|mails|courriels|newsletter*)",
    ),
    rule(
        Objection,
        FR,
        STRONG,
        "(retirer|enlever|rayer) de .. (liste|listes|fichier|fichiers)",
    ),
    rule(
        Objection,
        FR,
        STRONG,
        "plus de .. (publicité*|pub|newsletter*|sms|appels|prospectus)",
    ),
    rule(Objection, NL, WEAK, "bezwaar"),
    rule(Objection, NL, STRONG, "bezwaar tegen"),
    rule(Objection, NL, STRONG, "maak bezwaar"),
    rule(Objection, NL, STRONG, "afmeld*"),
    rule(Objection, NL, STRONG, "uitschrijv*"),
    rule(Objection, NL, STRONG, "schrijf .. uit"),
    rule(Objection, NL, STRONG, "geen (reclame|marketing)"),
    rule(Objection, NL, STRONG, "geen .. nieuwsbrie*"),
    rule(
        Objection,
        NL,
        STRONG,
        "geen .. (mails|mailings|post|folders|sms|telefoontjes|aanbiedingen|berichten) .. meer",
    ),
    rule(
        Objection,
        NL,
        STRONG,
        "(bel|bellen|mail|mailen|sms|benader|contacteer) .. niet meer",
    ),
    rule(
        Objection,
        NL,
        STRONG,
        "haal .. uit .. (bestand|*bestand|lijst|*lijst)",
    ),
    rule(Objection, DE, WEAK, "Widerspruch"),
    rule(Objection, DE, STRONG, "Widerspruch gegen"),
    rule(Objection, DE, STRONG, "widerspreche*"),
    rule(Objection, DE, STRONG, "abmelden"),
    rule(Objection, DE, STRONG, "abbestellen"),
    rule(Objection, DE, STRONG, "austrag*"),
    rule(Objection, DE, STRONG, "keine Werbung"),
    rule(Objection, DE, STRONG, "keine .. (Werbe*|Newsletter)"),
    rule(
        Objection,
        DE,
        STRONG,
        "keine .. (Anrufe|Mails|Post|Zusendungen|Angebote) .. mehr",
    ),
    rule(
        Objection,
        DE,
        STRONG,
        "(unterlass*|Einstellung|einstellen|stoppen) .. (Werb*|Anruf*|Newsletter|Zusendung*)",
    ),
    // --- Rectification (Art. 16) ---
    rule(Rectification, ANY, STRONG, "article 16"),
    rule(Rectification, ANY, STRONG, "art 16"),
    rule(Rectification, ANY, STRONG, "artikel 16"),
    rule(Rectification, EN, STRONG, "rectify"),
    rule(Rectification, EN, STRONG, "rectification"),
    rule(
        Rectification,
        EN,
        STRONG,
        "(correct|fix|update|amend|change) .. my .. (name|surname|address|email|phone|number|birth|details|record|records|data|information|profile|title|spelling)",
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
        "(name|surname|address|birth|details|number|email|spelling|record|records) .. (wrong|incorrect|inaccurate|misspelled|misspelt|outdated|mistake|incomplete)",
    ),
    rule(Rectification, EN, STRONG, "change of address"),
    rule(Rectification, EN, WEAK, "inaccurate"),
    rule(Rectification, FR, STRONG, "rectification"),
    rule(Rectification, FR, STRONG, "rectifier"),
    rule(
        Rectification,
        FR,
        STRONG,
        "(corrig*|rectifi*|modifi*|changer) .. (adresse|nom|prénom|coordonnées|informations|données|numéro|orthographe|fiche|profil)",
    ),
    rule(
        Rectification,
        FR,
        STRONG,
        "mettre à jour .. (adresse|nom|prénom|coordonnées|informations|données|numéro|fiche|profil)",
    ),
    rule(Rectification, FR, STRONG, "(la|le|les) mettre à jour"),
    rule(
        Rectification,
        FR,
        STRONG,
        "(adresse|nom|prénom|coordonnées|numéro|informations) .. (erroné*|inexact*|incorrect*|faux|fausse*|périmé*)",
    ),
    rule(Rectification, FR, STRONG, "mal orthographi*"),
    rule(Rectification, FR, STRONG, "changement d'adresse"),
    rule(Rectification, NL, STRONG, "rectificatie"),
    rule(
        Rectification,
        NL,
        STRONG,
        "(aanpassen|wijzigen|corrigeren|verbeteren|veranderen) .. (adres|*naam|*gegevens|telefoonnummer|mailadres|geboortedatum|woonplaats)",
    ),
    rule(
        Rectification,
        NL,
        STRONG,
        "(adres|*naam|*gegevens|telefoonnummer|mailadres|geboortedatum|woonplaats) .. (aanpassen|wijzigen|corrigeren|verbeteren|veranderen|aangepast|gewijzigd|gecorrigeerd|verbeterd)",
    ),
    rule(
        Rectification,
        NL,
        STRONG,
        "(adres|*naam|*gegevens|telefoonnummer|mailadres|geboortedatum) .. (klopt|kloppen) niet",
    ),
    rule(
        Rectification,
        NL,
        STRONG,
        "(adres|*naam|*gegevens|telefoonnummer|mailadres|geboortedatum) .. (verkeerd|onjuist|fout|incorrect|verouderd)",
    ),
    rule(Rectification, NL, STRONG, "verkeerd gespeld"),
    rule(Rectification, NL, STRONG, "adreswijziging"),
    rule(Rectification, DE, STRONG, "Berichtigung"),
    rule(Rectification, DE, STRONG, "berichtigen"),
    rule(
        Rectification,
        DE,
        STRONG,
        "(ändern|korrigieren|berichtigen|aktualisieren) .. (Adresse|Anschrift|*name|*namen|Telefonnummer|Geburtsdatum|*Daten|Angaben)",
    ),
    rule(
        Rectification,
        DE,
        STRONG,
        "(Adresse|Anschrift|*name|*namen|Telefonnummer|Geburtsdatum|*Daten|Angaben) .. (ändern|geändert|korrigieren|korrigiert|berichtigen|aktualisieren)",
    ),
    rule(
        Rectification,
        DE,
        STRONG,
        "(Adresse|Anschrift|*name|Telefonnummer|Geburtsdatum|Angaben) .. (falsch|fehlerhaft|veraltet|unrichtig|inkorrekt)",
    ),
    rule(Rectification, DE, STRONG, "falsch geschrieben"),
    rule(Rectification, DE, STRONG, "(Adressänderung|Namensänderung)"),
    // --- Restriction (Art. 18) ---
    rule(Restriction, ANY, STRONG, "article 18"),
    rule(Restriction, ANY, STRONG, "art 18"),
    rule(Restriction, ANY, STRONG, "artikel 18"),
    rule(Restriction, EN, WEAK, "restrict"),
    rule(Restriction, EN, WEAK, "restriction"),
    rule(
        Restriction,
        EN,
        STRONG,
        "(restrict|limit|freeze) .. processing",
    ),
    rule(Restriction, EN, STRONG, "restriction of .. processing"),
    rule(Restriction, EN, STRONG, "limit .. use .. data"),
    rule(Restriction, FR, WEAK, "limitation"),
    rule(Restriction, FR, STRONG, "limitation .. traitement"),
    rule(Restriction, FR, STRONG, "(limiter|geler|gel) .. traitement"),
    rule(Restriction, FR, STRONG, "droit à la limitation"),
    rule(Restriction, NL, WEAK, "beperking"),
    rule(Restriction, NL, STRONG, "beperk* .. (verwerking|gebruik)"),
    rule(Restriction, NL, STRONG, "recht op beperking"),
    rule(Restriction, DE, WEAK, "Einschränkung"),
    rule(Restriction, DE, WEAK, "Einschraenkung"),
    rule(
        Restriction,
        DE,
        STRONG,
        "einschränk* .. (Verarbeitung|Nutzung)",
    ),
    rule(
        Restriction,
        DE,
        STRONG,
        "(Verarbeitung|Nutzung) .. einschränk*",
    ),
    rule(Restriction, DE, STRONG, "sperr* .. *Daten"),
    rule(Restriction, DE, STRONG, "*Daten .. sperr*"),
    rule(Restriction, DE, STRONG, "Recht auf Einschränkung"),
    // --- Portability (Art. 20) ---
    rule(Portability, ANY, STRONG, "article 20"),
    rule(Portability, ANY, STRONG, "art 20"),
    rule(Portability, ANY, STRONG, "artikel 20"),
    rule(Portability, EN, STRONG, "portability"),
    rule(Portability, EN, STRONG, "machine readable"),
    rule(Portability, EN, STRONG, "port my data"),
    rule(
        Portability,
        EN,
        STRONG,
        "export .. (data|history|information|everything)",
    ),
    rule(
        Portability,
        EN,
        STRONG,
        "(csv|json|xml) .. (file|format|export)",
    ),
    rule(
        Portability,
        EN,
        STRONG,
        "(transfer|transmit|port|move) .. data .. (another|new|directly|provider|competitor)",
    ),
    rule(Portability, FR, STRONG, "portabilité"),
    rule(Portability, FR, STRONG, "lisible par (machine|ordinateur)"),
    rule(
        Portability,
        FR,
        STRONG,
        "format .. (structuré*|réutilisable|csv|json|xml|exploitable)",
    ),
    rule(Portability, FR, STRONG, "(exporter|transférer) .. données"),
    rule(Portability, NL, STRONG, "overdraagbaarheid"),
    rule(Portability, NL, STRONG, "dataportabiliteit"),
    rule(Portability, NL, STRONG, "portabiliteit"),
    rule(Portability, NL, STRONG, "machineleesbaar*"),
    rule(
        Portability,
        NL,
        STRONG,
        "(csv|json|xml) .. (bestand|formaat|export)",
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
        "*gegevens .. (exporteren|overzetten|overdragen)",
    ),
    rule(Portability, DE, STRONG, "Datenübertragbarkeit"),
    rule(Portability, DE, STRONG, "Datenuebertragbarkeit"),
    rule(Portability, DE, STRONG, "Übertragbarkeit"),
    rule(Portability, DE, STRONG, "maschinenlesbar*"),
    rule(Portability, DE, STRONG, "(strukturiert*|gängig*) .. Format"),
    rule(
        Portability,
        DE,
        STRONG,
        "(csv|json|xml) .. (Datei|Format|Export)",
    ),
    rule(Portability, DE, STRONG, "Datenexport"),
    rule(Portability, DE, STRONG, "*Daten .. (exportieren|mitnehmen)"),
    // --- Consent withdrawal (Art. 7(3)) ---
    rule(ConsentWithdrawal, ANY, STRONG, "article 7(3)"),
    rule(ConsentWithdrawal, ANY, STRONG, "art 7(3)"),
    rule(ConsentWithdrawal, ANY, STRONG, "artikel 7(3)"),
    rule(
        ConsentWithdrawal,
        EN,
        STRONG,
        "(withdraw*|revok*|cancel*|retract*) .. (consent|permission|authorisation|authorization)",
    ),
    rule(ConsentWithdrawal, EN, STRONG, "withdrawal of .. consent"),
    rule(
        ConsentWithdrawal,
        EN,
        STRONG,
        "(take|taking|took) back .. consent",
    ),
    rule(ConsentWithdrawal, EN, STRONG, "no longer consent"),
    rule(
        ConsentWithdrawal,
        EN,
        STRONG,
        "consent .. (withdrawn|revoked|cancelled|canceled)",
    ),
    rule(
        ConsentWithdrawal,
        FR,
        STRONG,
        "(retir*|révoqu*|annul*) .. (consentement|autorisation)",
    ),
    rule(ConsentWithdrawal, FR, STRONG, "retrait .. consentement"),
    rule(
        ConsentWithdrawal,
        NL,
        STRONG,
        "(toestemming|instemming) .. intrek*",
    ),
    rule(
        ConsentWithdrawal,
        NL,
        STRONG,
        "(toestemming|instemming) .. in te trekken",
    ),
    rule(
        ConsentWithdrawal,
        NL,
        STRONG,
        "trek* .. (toestemming|instemming) ... in",
    ),
    rule(
        ConsentWithdrawal,
        NL,
        STRONG,
        "intrekking .. (toestemming|instemming)",
    ),
    rule(
        ConsentWithdrawal,
        DE,
        STRONG,
        "(Einwilligung|Zustimmung|Einverständnis*) .. widerruf*",
    ),
    rule(
        ConsentWithdrawal,
        DE,
        STRONG,
        "widerruf* .. (Einwilligung|Zustimmung|Einverständnis*)",
    ),
    rule(
        ConsentWithdrawal,
        DE,
        STRONG,
        "zieh* .. (Einwilligung|Zustimmung|Einverständnis*) ... zurück",
    ),
    rule(
        ConsentWithdrawal,
        DE,
        STRONG,
        "(Einwilligung|Zustimmung) .. zurück*",
    ),
];

/// Words that, in the same sentence as a match for the kind, cancel it: a rectification of an
/// invoice or an order is customer service, not a right over personal data.
pub static KIND_VETOES: &[(RequestKind, &str)] = &[(
    Rectification,
    "(invoice*|bill|receipt|factur*|factuur*|rechnung*|commande*|bestelling*|bestellung*|devis|offerte*|angebot*)",
)];

/// [`KIND_RULES`] with their compiled patterns, built once.
pub(crate) static COMPILED_KIND_RULES: LazyLock<Vec<(&'static KindRule, Pattern)>> =
    LazyLock::new(|| {
        KIND_RULES
            .iter()
            .map(|r| (r, Pattern::compile(r.pattern)))
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
        for (rule, pattern) in COMPILED_KIND_RULES.iter() {
            assert!(pattern.is_well_formed(rule.pattern), "{rule:?}");
        }
        for (kind, pattern) in KIND_VETOES {
            assert!(
                Pattern::compile(pattern).is_well_formed(pattern),
                "{kind:?}"
            );
        }
    }
}
