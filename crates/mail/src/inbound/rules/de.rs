//! German rules (Austrian and Swiss usage included).

use super::{
    Access, ConsentWithdrawal, DE, Erasure, KindRule, MARKETING, Objection, Portability,
    Rectification, Restriction, STRONG, WEAK, in_context, rule,
};

/// Verbs of removal: the blockers of an access question.
macro_rules! erase_verbs {
    () => {
        "(lösch*|loesch*|gelöscht|entfern*|vernicht*|tilg*|getilgt)"
    };
}

/// What a person has with a company.
macro_rules! data {
    () => {
        "(*Daten|*Konto|Account|Profil|alles|Einträge|Angaben|Informationen|Infos|Datensatz|Datensätze)"
    };
}

/// Personal details that can be wrong or change.
macro_rules! fields {
    () => {
        "(Adresse|Anschrift|*name|*namen|Telefonnummer|Handynummer|Nummer|Geburtsdatum|*Daten|Angaben|Mailadresse|Wohnort|Postleitzahl)"
    };
}

/// Advertising and contact.
macro_rules! contact_nouns {
    () => {
        "(Werbung|Werbe*|Newsletter|Anrufe|Mails|Post|Zusendungen|Angebote|Briefe|SMS|Prospekte|Kataloge|Reklame|Flyer)"
    };
}

/// The rules of this file.
pub static RULES: &[KindRule] = &[
    // --- Access (Art. 15) ---
    rule(Access, DE, WEAK, "Auskunft"),
    rule(Access, DE, STRONG, "Auskunftsersuchen"),
    rule(Access, DE, STRONG, "Auskunftsanspruch"),
    rule(Access, DE, STRONG, "Auskunftsrecht"),
    rule(Access, DE, STRONG, "Auskunftsantrag"),
    rule(Access, DE, STRONG, "Datenauskunft"),
    rule(
        Access,
        DE,
        STRONG,
        "Auskunft* .. (*Daten|Angaben|Informationen)",
    ),
    rule(
        Access,
        DE,
        STRONG,
        "(Kopie|Übersicht|Auflistung|Aufstellung) .. (*Daten|Angaben|Informationen)",
    ),
    rule(
        Access,
        DE,
        STRONG,
        concat!(
            "!",
            erase_verbs!(),
            " welche .. (*Daten|Informationen|Angaben|Infos) .. (gespeichert|haben|hat|verarbeiten|verarbeitet|vorliegen|speichern|besitzen|gesammelt)"
        ),
    ),
    rule(
        Access,
        DE,
        WEAK,
        concat!("!", erase_verbs!(), " welche .. *Daten"),
    ),
    rule(
        Access,
        DE,
        STRONG,
        concat!(
            "!",
            erase_verbs!(),
            " was .. (über|von) (mich|mir) .. (gespeichert|gesammelt|wissen|weiß|haben|hat|verarbeiten|vorliegt|steht|stehen)"
        ),
    ),
    rule(
        Access,
        DE,
        STRONG,
        concat!(
            "!",
            erase_verbs!(),
            " was .. (wissen|weiß|haben|hat|speichern|verarbeiten) .. (über|von) (mich|mir)"
        ),
    ),
    rule(Access, DE, STRONG, "woher haben Sie"),
    rule(
        Access,
        DE,
        STRONG,
        "woher .. (*Daten|Adresse|Anschrift|Nummer|Telefonnummer|Handynummer|Namen|Mailadresse|Angaben)",
    ),
    rule(
        Access,
        DE,
        STRONG,
        "(wen|wem) .. (weitergegeben|übermittelt|verkauft|weitergeleitet)",
    ),
    // --- Erasure (Art. 17) ---
    rule(Erasure, DE, STRONG, "Löschung"),
    rule(Erasure, DE, STRONG, "Loeschung"),
    rule(
        Erasure,
        DE,
        STRONG,
        "(Löschungs*|Loeschungs*|Löschbegehren|Löschantrag*|Löschanfrage*|Löschauftrag*|Löschverlangen)",
    ),
    rule(
        Erasure,
        DE,
        STRONG,
        concat!(
            "!(versehentlich|irrtümlich|Versehen|wiederherstell*|rückgängig) ",
            "(lösch*|loesch*|entfern*|vernicht*|tilg*) .. ",
            data!()
        ),
    ),
    rule(
        Erasure,
        DE,
        STRONG,
        concat!(
            "!(versehentlich|irrtümlich|Versehen|warum|wiederherstell*|wurde|wurden) ",
            data!(),
            " .. (lösch*|loesch*|gelöscht|entfern*|vernicht*|getilgt|tilgen)"
        ),
    ),
    rule(
        Erasure,
        DE,
        STRONG,
        "(nehmen|entfernen|streichen|löschen|austragen) .. aus .. (System|Systemen|Datenbank|Datenbanken|Kundendatei|Dateien|Datenbestand)",
    ),
    rule(Erasure, DE, STRONG, "Recht auf Vergessenwerden"),
    rule(Erasure, DE, STRONG, "Recht auf Vergessen werden"),
    rule(
        Erasure,
        DE,
        STRONG,
        "(möchte|will|wünsche) .. vergessen werden",
    ),
    // --- Objection (Art. 21) ---
    rule(Objection, DE, WEAK, "Widerspruch"),
    rule(Objection, DE, STRONG, "Widerspruch gegen"),
    rule(Objection, DE, STRONG, "widerspreche*"),
    rule(Objection, DE, STRONG, "abmelden"),
    rule(Objection, DE, STRONG, "abbestellen"),
    rule(Objection, DE, STRONG, "austrag*"),
    // Not a report ("ich bekomme keine Newsletter mehr, obwohl ich angemeldet bin").
    rule(
        Objection,
        DE,
        STRONG,
        "!(bekomme|erhalte|kriege|obwohl|angemeldet) keine Werbung",
    ),
    rule(
        Objection,
        DE,
        STRONG,
        "!(bekomme|erhalte|kriege|obwohl|angemeldet) keine .. (Werbe*|Newsletter|Prospekte|Reklame|Kataloge)",
    ),
    rule(
        Objection,
        DE,
        STRONG,
        concat!(
            "!(bekomme|erhalte|kriege|obwohl|angemeldet) keine .. ",
            contact_nouns!(),
            " .. mehr"
        ),
    ),
    rule(
        Objection,
        DE,
        STRONG,
        "(unterlass*|Einstellung|einstellen|stoppen|aufhören) .. (Werb*|Anruf*|Newsletter|Zusendung*|Prospekt*|Kataloge)",
    ),
    rule(
        Objection,
        DE,
        STRONG,
        "nicht mehr .. (Werb*|Marketing*|Reklame)",
    ),
    rule(
        Objection,
        DE,
        STRONG,
        "nicht mehr (anrufen|anschreiben|kontaktieren|belästigen|angerufen|kontaktiert|angeschrieben|belästigt)",
    ),
    in_context(
        Objection,
        DE,
        "!(Bestellung|Lieferung|Zahlung|Paket|Abo|Abonnement|Lastschrift) (das|dies|es) (muss|soll|sollte) .. aufhören",
        MARKETING,
    ),
    in_context(Objection, DE, "(hören|hört) Sie .. auf", MARKETING),
    // --- Rectification (Art. 16) ---
    rule(Rectification, DE, STRONG, "Berichtigung"),
    rule(Rectification, DE, STRONG, "berichtigen"),
    rule(
        Rectification,
        DE,
        STRONG,
        concat!(
            "(ändern|korrigieren|berichtigen|aktualisieren|anpassen|richtigstellen|abändern) .. ",
            fields!()
        ),
    ),
    rule(
        Rectification,
        DE,
        STRONG,
        concat!(
            fields!(),
            " .. (ändern|geändert|korrigieren|korrigiert|berichtigen|aktualisieren|aktualisiert|anpassen|angepasst|richtigstellen)"
        ),
    ),
    rule(
        Rectification,
        DE,
        STRONG,
        "(Adresse|Anschrift|*name|Telefonnummer|Handynummer|Nummer|Geburtsdatum|Angaben|Mailadresse) .. (falsch|fehlerhaft|veraltet|unrichtig|inkorrekt|unvollständig)",
    ),
    rule(
        Rectification,
        DE,
        STRONG,
        "(Adresse|Anschrift|*name|Telefonnummer|Handynummer|Nummer|Geburtsdatum|Angaben|Mailadresse) .. (stimmt|stimmen) nicht",
    ),
    rule(
        Rectification,
        DE,
        STRONG,
        "(Adresse|Anschrift|*name|Telefonnummer|Handynummer|Nummer|Geburtsdatum|Angaben|Mailadresse) .. nicht .. (korrekt|richtig|aktuell)",
    ),
    rule(
        Rectification,
        DE,
        STRONG,
        "(neue|neuen) (Adresse|Anschrift|Telefonnummer|Handynummer|Mailadresse|Nachname|Wohnadresse)",
    ),
    rule(Rectification, DE, STRONG, "falsch geschrieben"),
    rule(
        Rectification,
        DE,
        STRONG,
        "(Adressänderung|Namensänderung|Adressaenderung)",
    ),
    rule(Rectification, DE, STRONG, "(bin|sind) umgezogen"),
    // --- Restriction (Art. 18) ---
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
    rule(Portability, DE, STRONG, "Datenübertragbarkeit"),
    rule(Portability, DE, STRONG, "Datenuebertragbarkeit"),
    rule(Portability, DE, STRONG, "Übertragbarkeit"),
    rule(Portability, DE, STRONG, "maschinenlesbar*"),
    rule(Portability, DE, STRONG, "(strukturiert*|gängig*) .. Format"),
    rule(
        Portability,
        DE,
        STRONG,
        "(csv|json|xml|excel) .. (Datei|Format|Export)",
    ),
    rule(Portability, DE, STRONG, "Datenexport"),
    rule(Portability, DE, STRONG, "*Daten .. (exportieren|mitnehmen)"),
    // --- Consent withdrawal (Art. 7(3)) ---
    rule(
        ConsentWithdrawal,
        DE,
        STRONG,
        "(Einwilligung|Zustimmung|Einverständnis*|Erlaubnis) .. widerruf*",
    ),
    rule(
        ConsentWithdrawal,
        DE,
        STRONG,
        "widerruf* .. (Einwilligung|Zustimmung|Einverständnis*|Erlaubnis)",
    ),
    rule(
        ConsentWithdrawal,
        DE,
        STRONG,
        "(zieh*|nehm*) .. (Einwilligung|Zustimmung|Einverständnis*|Erlaubnis) ... zurück",
    ),
    rule(
        ConsentWithdrawal,
        DE,
        STRONG,
        "(Einwilligung|Zustimmung|Einverständnis*|Erlaubnis) .. zurück*",
    ),
];
