//! The cue tables around the kind rules: what marks a mail as automatic, as written for someone
//! else, as commercial or bulk, as a how-to question, as a reply, and where a writer gives their
//! own address. Patterns use the syntax of the [module docs](super); plain strings are folded
//! phrases.

use std::sync::LazyLock;

use super::pattern::{Pattern, compile_all};
use super::text::fold;

/// Subject beginnings of out-of-office replies and bounces, folded (lower case, no accents),
/// with punctuation other than `:` and `'` read as a space and no space before `:`. A subject
/// matches when it starts with one of them followed by the end, a non-letter or a colon.
pub static AUTO_REPLY_SUBJECTS: &[&str] = &[
    // English
    "out of office",
    "out of the office",
    "automatic reply",
    "automatic response",
    "automated reply",
    "automated response",
    "auto reply",
    "autoreply",
    "auto response",
    "autoresponse",
    "away from the office",
    "away:",
    "undeliverable",
    "undelivered mail",
    "delivery status notification",
    "delivery delayed",
    "mail delivery failed",
    "mail delivery failure",
    "delivery failure",
    "failure notice",
    "returned mail",
    "message not delivered",
    // French
    "reponse automatique",
    "absence du bureau",
    "absent du bureau",
    "absente du bureau",
    "absence:",
    "absent:",
    "absente:",
    "message d'absence",
    "non remis",
    "non distribuable",
    // Dutch
    "afwezig",
    "automatisch antwoord",
    "automatische antwoord",
    "automatisch bericht",
    "buiten kantoor",
    "niet op kantoor",
    "onbestelbaar",
    "niet bezorgd",
    // German
    "abwesenheitsnotiz",
    "automatische antwort",
    "abwesend",
    "abwesenheit:",
    "nicht im buro",
    "unzustellbar",
    "nicht zustellbar",
    // Spanish
    "respuesta automatica",
    "fuera de la oficina",
    "fuera de oficina",
    "ausente:",
    "no entregado",
    // Italian
    "risposta automatica",
    "fuori ufficio",
    "fuori sede",
    "assente:",
    "non recapitabile",
];

/// Phrases of an out-of-office text, for automatic replies that carry no header and no telling
/// subject. Read only in the new text of a short mail (see the module docs).
pub static AUTO_REPLY_TEXT: &[&str] = &[
    // English
    "(am|m|be|currently) .. out of .. office",
    "on annual leave",
    "(automated|automatic) (response|reply|message)",
    "automatically generated",
    "auto reply",
    "limited access to .. (email|emails|mail)",
    "(i|am) .. (on|away) (holiday|vacation|leave)",
    "(am|m) away (until|till|from|on)",
    // French
    "je suis .. absent*",
    "absent* du bureau",
    "(reponse|message) automatique",
    "en conge*",
    // Dutch
    "ik ben .. (afwezig|vakantie)",
    "(niet op|buiten) kantoor",
    "automatisch (bericht|antwoord|gegenereerd*|verzonden)",
    // German
    "nicht im Büro",
    "außer Haus",
    "ich bin .. (Urlaub|abwesend)",
    "wieder erreichbar",
    "automatisch* (generiert*|erstellt*|Antwort|Nachricht)",
    // Spanish, Italian
    "fuera de la oficina",
    "respuesta automatica",
    "fuori (ufficio|sede)",
    "risposta automatica",
    "saro assente",
];

/// Phrases of a mail written for someone else: their authority to ask must be checked by a
/// person. Patterns, matched negated or not.
pub static ON_BEHALF_CUES: &[&str] = &[
    // English
    "behalf",
    "my (mother|mum|mom|father|dad|son|daughter|child|children|kids|wife|husband|partner|brother|sister|grandmother|grandfather|grandma|grandpa|granny|nan|nana|grandson|granddaughter|client|clients|aunt|uncle|ward|stepson|stepdaughter|fiance|fiancee|girlfriend|boyfriend)",
    "my late",
    "our (client|clients)",
    "(we|i) (represent|act)",
    "(am|are) acting",
    "acting for",
    "for a (friend|colleague|neighbour|neighbor|relative)",
    "power of attorney",
    "(letter|form) of authority",
    "(signed|written) authority",
    "authority to act",
    "(are|am|been|were) instructed",
    "instructed by",
    "guardian*",
    "(his|her|their) (data|account|accounts|details|information|profile|records|personal|file|email)",
    "(he|she) (wants|asks|asked)",
    "(he|she) would like",
    "(he|she) has asked",
    "deceased",
    "passed away",
    // French
    "au nom de",
    "pour le compte",
    "agissant pour",
    "en qualité de",
    "mon (client|père|fils|mari|époux|conjoint|frère|enfant|compagnon|grand|petit|oncle)",
    "ma (cliente|mère|fille|femme|épouse|conjointe|sœur|compagne|grand|petite|tante)",
    "mes (enfants|parents)",
    "notre (client|cliente)",
    "(son|sa|ses) (compte|données|informations|dossier|profil|coordonnées)",
    "(le|la) concernant",
    "(tuteur|tutrice|tutelle|curateur|curatrice|curatelle|mandataire|procuration)",
    "décédé*",
    // Dutch
    "namens",
    "in naam van",
    "mijn (moeder|vader|zoon|dochter|kind|kinderen|man|vrouw|partner|broer|zus|zuster|opa|oma|cliënt|cliënte|echtgenoot|echtgenote)",
    "onze (cliënt|cliënte)",
    "(haar|zijn) (account|gegevens|persoonsgegevens|profiel|data)",
    "(machtiging|volmacht|gemachtigde|bewindvoerder|voogd)",
    "overleden",
    // German
    "im Namen",
    "im Auftrag",
    "Mandant*",
    "Vollmacht",
    "bevollmächtig*",
    "(Betreuer*|Betreuung|Vormund*)",
    "gesetzlich* Vertret*",
    "mein (Sohn|Vater|Mann|Ehemann|Bruder|Kind|Enkel|Opa|Großvater|Partner|Onkel)",
    "meine (Mutter|Tochter|Frau|Ehefrau|Schwester|Kinder|Eltern|Oma|Großmutter|Enkelin|Partnerin|Tante)",
    "(meines|meiner) (Sohnes|Vaters|Mannes|Kindes|Mutter|Tochter|Frau)",
    "(sein|seine|seines|seiner|seinen) (Konto|Daten|Account|Profil)",
    "(verstorben*|Erbe|Erben|Erbschein)",
    // Spanish, Italian
    "en nombre",
    "en representación",
    "mi (cliente|madre|padre|hijo|hija|esposa|marido|mujer|esposo|pareja|abuela|abuelo|hermano|hermana)",
    "(su|sus) (cuenta|datos|información|perfil)",
    "(fallecid*|difunt*)",
    "per conto",
    "a nome di",
    "(mio|mia) (cliente|madre|padre|figlio|figlia|moglie|marito|nonna|nonno|fratello|sorella|compagno|compagna)",
    "(suo|sua|suoi|sue) (account|dati|profilo|informazioni)",
    "(deceduto|deceduta|defunto|defunta|scomparso|scomparsa)",
    "(è|e) (mancato|mancata)",
];

/// Phrases of a commercial or bulk message (a sales pitch names every right without asking for
/// any; a newsletter footer says "unsubscribe"). Patterns, matched negated or not.
pub static COMMERCIAL_CUES: &[&str] = &[
    // English
    "(book|request|schedule) a demo",
    "free trial",
    "our (platform|solution|solutions|software|tool|product|products|customers|pricing)",
    "we help",
    "case study",
    "(quick|short|minute) (call|chat)",
    "webinar",
    "whitepaper",
    "click here",
    "unsubscribe here",
    "you (are|were) receiving this",
    "you received this",
    "this (email|message) was sent",
    "view .. in (your|a) browser",
    "(manage|update) your (preferences|subscription)",
    "claim your prize",
    "you have won",
    // Rights as a topic of business: "deletion requests", "does your product support …".
    "(access|deletion|erasure|portability|rectification|objection|restriction|subject|privacy|gdpr|dsar|data) requests",
    "does your (product|platform|software|tool|solution|service|system|api) (support|handle|offer|allow)",
    "(evaluating|comparing) .. (vendors|suppliers|providers|tools|solutions)",
    "procurement",
    // Questionnaires and audits: rights as a process a supplier is asked about.
    "(questionnaire|questionnaires|cuestionario|questionario|vragenlijst|Fragebogen|Fragebögen)",
    "due diligence",
    "(supplier|vendor|processor) (review|assessment|audit|evaluation|risk)",
    "(Lieferantenbewertung|Lieferantenprüfung|Lieferantenaudit|Lieferantenbefragung|Lieferantenerklärung)",
    "(leveranciersbeoordeling|leveranciersaudit|leveranciersevaluatie)",
    "(audit|évaluation) .. fournisseur*",
    // French
    "notre (solution|plateforme|logiciel|offre|outil|cabinet|expertise)",
    "nos (tarifs|clients|solutions)",
    "nous accompagnons",
    "une démonstration",
    "essai gratuit",
    "cliquez ici",
    "vous recevez (cet|ce|cette)",
    "(échange|appel) de .. minutes",
    // Dutch
    "onze (oplossing|software|tool|klanten|diensten|dienstverlening|producten)",
    "ons platform",
    "(wij|we) helpen",
    "vraag een demo",
    "gratis (proefperiode|demo)",
    "kennismaking*",
    "klik hier",
    "(u|je|jij) ontvangt deze",
    // German
    "(unsere|unserer|unseren) (Lösung|Plattform|Software|Kunden|Produkte|Dienstleistung*)",
    "kostenlos* (testen|Demo|Test)",
    "unverbindlich*",
    "Sie erhalten diese*",
    "hier abmelden",
    "klicken Sie hier",
    "hier klicken",
    "(Gewinnspiel|Gewinn)",
    // Spanish, Italian
    "haga clic",
    "(nuestra|nuestro) (plataforma|solución|software|empresa)",
    "(demostración|dimostrazione)",
    "(la|nostra) (piattaforma|soluzione)",
    "clicca qui",
];

/// The openers of a how-to question ("How do I unsubscribe?", "Comment faire pour …",
/// "Hoe kan ik …", "Wie kann ich …"): a rule matched in a sentence with one at the start of a
/// clause is ignored, as the writer asks how to do it, not that it be done.
pub static QUESTION_OPENERS: &[&str] = &[
    "how (do|can|could|should|would|does|may) (i|we|one|you)",
    "how to",
    "where (do|can|could|should) (i|we)",
    "is there a way",
    "comment (puis|dois|peut|peux|faire|fait|me|se)",
    "comment je (peux|dois|fais)",
    "comment (traitez|gérez|procédez|assurez|documentez)",
    "où (puis|peut|peux|dois)",
    "y a t il un moyen",
    "hoe (kan|moet|kun|kunnen) (ik|je|men|u|we)",
    "hoe (meld|schrijf|verwijder|zeg|doe) ik",
    "waar (kan|moet) ik",
    "is er een manier",
    "hoe (gaan|behandelen|verwerken|registreren) (jullie|u|julie)",
    "wie (kann|muss|soll|könnte) (ich|man)",
    "wie (bearbeiten|behandeln|handhaben|dokumentieren|erfassen|verarbeiten) (Sie|ihr)",
    "wie werden",
    "wie (melde|lösche|kündige) ich",
    "wo (kann|muss) ich",
    "gibt es eine Möglichkeit",
    "(cómo|como) (puedo|me|se|hago)",
    "(dónde|donde) puedo",
    "come (posso|faccio|si)",
    "dove posso",
];

/// Subject prefixes of a reply or a forward, folded, before the colon (`Re:`, `AW:`, `TR:`,
/// `Fwd:`, …). The subject of a reply was written by the other side: it names no right.
pub static REPLY_PREFIXES: &[&str] = &[
    "re", "aw", "antw", "antwort", "r", "rif", "rv", "res", "sv", "vs", "tr", "ref", "fw", "fwd",
    "wg", "doorst", "enc",
];

/// Phrases after which a writer gives their own address, folded (lower case, no accents).
pub static ADDRESS_CUES: &[&str] = &[
    // English
    "my email is",
    "my e-mail is",
    "my email address",
    "my e-mail address",
    "my address is",
    "use my address",
    "use my email",
    "use my e-mail",
    "my account email",
    "registered under",
    "registered with the address",
    "registered email",
    "contact me at",
    "reach me at",
    // French
    "mon adresse",
    "mon e-mail",
    "mon email",
    "mon mail",
    "mon courriel",
    // Dutch
    "mijn e-mailadres",
    "mijn emailadres",
    "mijn mailadres",
    "mijn e-mail",
    "mijn email",
    "mijn adres",
    // German
    "meine e-mail-adresse",
    "meine e-mail adresse",
    "meine emailadresse",
    "meine mailadresse",
    "meine e-mail",
    "meine email",
    "meine adresse",
];

/// The pattern tables compiled once.
pub(crate) static COMPILED_AUTO_REPLY_TEXT: LazyLock<Vec<Pattern>> =
    LazyLock::new(|| compile_all(AUTO_REPLY_TEXT));
pub(crate) static COMPILED_ON_BEHALF: LazyLock<Vec<Pattern>> =
    LazyLock::new(|| compile_all(ON_BEHALF_CUES));
pub(crate) static COMPILED_COMMERCIAL: LazyLock<Vec<Pattern>> =
    LazyLock::new(|| compile_all(COMMERCIAL_CUES));
pub(crate) static COMPILED_OPENERS: LazyLock<Vec<Pattern>> =
    LazyLock::new(|| compile_all(QUESTION_OPENERS));

/// Folds a subject for [`AUTO_REPLY_SUBJECTS`]: lower case, no accents, punctuation other than
/// `:` and `'` as spaces, single spaces, no space before `:`.
fn normalise_subject(subject: &str) -> String {
    let folded: String = fold(subject)
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == ':' || c == '\'' {
                c
            } else {
                ' '
            }
        })
        .collect();
    folded
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace(" :", ":")
}

/// True when `subject` starts like an out-of-office reply or a bounce.
pub(crate) fn is_auto_reply_subject(subject: &str) -> bool {
    let s = normalise_subject(subject);
    AUTO_REPLY_SUBJECTS.iter().any(|p| {
        s.strip_prefix(p).is_some_and(|rest| {
            p.ends_with(':') || rest.chars().next().is_none_or(|c| !c.is_alphanumeric())
        })
    })
}

/// True when `subject` starts with a reply or forward prefix ([`REPLY_PREFIXES`], also with a
/// count such as `RE[2]:` or `Re^2:`).
pub(crate) fn is_reply_subject(subject: &str) -> bool {
    let s = fold(subject.trim_start());
    let Some((head, _)) = s.split_once(':') else {
        return false;
    };
    let head: String = head
        .trim()
        .trim_end_matches(|c: char| c.is_ascii_digit() || matches!(c, '[' | ']' | '^' | '(' | ')'))
        .trim()
        .to_owned();
    REPLY_PREFIXES.contains(&head.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_cue_pattern_is_well_formed() {
        for table in [
            AUTO_REPLY_TEXT,
            ON_BEHALF_CUES,
            COMMERCIAL_CUES,
            QUESTION_OPENERS,
        ] {
            for p in table {
                assert!(Pattern::compile(p).is_well_formed(p), "{p}");
            }
        }
    }

    #[test]
    fn auto_reply_subjects_count_only_at_the_start() {
        assert!(is_auto_reply_subject(
            "Automatic reply: [DSR-7K3QXPMA] Your request"
        ));
        assert!(is_auto_reply_subject("Réponse automatique : votre demande"));
        assert!(is_auto_reply_subject("Absence : retour le 10 mars"));
        assert!(is_auto_reply_subject("AFWEZIG"));
        assert!(is_auto_reply_subject("Abwesenheitsnotiz: Ihre Anfrage"));
        assert!(is_auto_reply_subject("Out-of-office"));
        assert!(is_auto_reply_subject("Fuori sede: aggiornamento"));
        assert!(!is_auto_reply_subject("Access to my absence records"));
        assert!(!is_auto_reply_subject(
            "Absence records: please send a copy"
        ));
        assert!(!is_auto_reply_subject("Afwezigheidsregistratie"));
    }

    #[test]
    fn reply_subjects_are_recognised_in_many_languages() {
        for s in [
            "Re: your request",
            "RE: x",
            "AW: Ihre Daten",
            "TR : Votre commande",
            "Fwd: newsletter",
            "RE[2]: x",
            "Antw: ja",
        ] {
            assert!(is_reply_subject(s), "{s}");
        }
        for s in [
            "Request: delete my data",
            "Retour: x",
            "Delete my data",
            "Art. 15: access",
        ] {
            assert!(!is_reply_subject(s), "{s}");
        }
    }
}
