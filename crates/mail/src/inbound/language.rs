//! Which language a mail is written in: a stop-word vote over English, French, Dutch and German,
//! in which Spanish and Italian vote too, so that a mail in either is answered in English rather
//! than in the language it shares most words with (French).

use dsrflow_domain::channel::Language;

use super::text::{fold, tokens, truncate_at_char};

/// How much text the vote reads; a few paragraphs decide it.
const MAX_LANGUAGE_BYTES: usize = 16 * 1024;

/// Frequent words of each language, folded, that are rare in the other three. Words shared
/// between them ("de", "die", "en", "is", "of", "des", "hallo", "me") are left out on purpose.
const STOP_WORDS: [(Language, &[&str]); 4] = [
    (
        Language::En,
        &[
            "the", "and", "you", "your", "my", "i", "to", "please", "would", "like", "have",
            "with", "this", "that", "for", "what", "do", "hold", "about", "thank", "thanks",
            "regards", "dear", "hello", "hi", "are", "want", "from", "all", "any", "it", "be",
        ],
    ),
    (
        Language::Fr,
        &[
            "le",
            "la",
            "les",
            "du",
            "et",
            "est",
            "je",
            "vous",
            "votre",
            "vos",
            "mes",
            "mon",
            "ma",
            "pour",
            "que",
            "qui",
            "pas",
            "une",
            "avec",
            "sur",
            "bonjour",
            "merci",
            "cordialement",
            "donnees",
            "souhaite",
            "suis",
            "au",
            "aux",
            "ce",
            "cette",
            "mais",
            "sont",
            "madame",
            "monsieur",
            "nous",
            "tout",
            "toutes",
            "j",
            "d",
            "l",
            "moi",
            "svp",
            "ne",
        ],
    ),
    (
        Language::Nl,
        &[
            "het",
            "een",
            "ik",
            "mijn",
            "jullie",
            "uw",
            "niet",
            "wil",
            "graag",
            "met",
            "voor",
            "van",
            "dat",
            "zijn",
            "heb",
            "gegevens",
            "bedankt",
            "groet",
            "groeten",
            "dank",
            "alstublieft",
            "beste",
            "ook",
            "maar",
            "naar",
            "om",
            "te",
            "deze",
            "wat",
            "hoe",
            "kunnen",
            "u",
            "geachte",
            "mij",
            "vriendelijke",
        ],
    ),
    (
        Language::De,
        &[
            "der",
            "das",
            "und",
            "ich",
            "sie",
            "ihre",
            "ihr",
            "ihnen",
            "mein",
            "meine",
            "meiner",
            "meinen",
            "nicht",
            "mit",
            "fur",
            "bitte",
            "danke",
            "daten",
            "ist",
            "ein",
            "eine",
            "einen",
            "von",
            "zu",
            "mir",
            "mich",
            "sehr",
            "geehrte",
            "geehrter",
            "grussen",
            "freundlichen",
            "auf",
            "auch",
            "dass",
            "wie",
            "uber",
            "wir",
            "sind",
            "den",
            "dem",
        ],
    ),
];

/// Frequent words of Spanish and Italian, folded, that are rare in the four languages above.
/// dsrflow does not answer in either: a mail they win is answered in English.
const OTHER_STOP_WORDS: [&[&str]; 2] = [
    &[
        "el", "los", "las", "por", "para", "con", "mis", "sus", "gracias", "hola", "quiero",
        "datos", "mi", "su", "del", "una", "favor", "solicito", "saludos", "buenos", "buenas",
        "tienen", "ustedes", "nunca", "como", "esta", "estoy", "mas",
    ],
    &[
        "gli",
        "di",
        "per",
        "che",
        "sono",
        "vostri",
        "vostro",
        "vostra",
        "miei",
        "mie",
        "dati",
        "grazie",
        "buongiorno",
        "salve",
        "vorrei",
        "non",
        "della",
        "dei",
        "mio",
        "mia",
        "alla",
        "dalla",
        "nel",
        "chiedo",
        "cordiali",
        "saluti",
        "avete",
        "essere",
        "piu",
    ],
];

/// The language `text` is most likely written in, by counting each language's stop words.
/// No stop word, or a tie with English, gives English; other ties go to the language listed
/// first in [`Language::ALL`]. Text in which Spanish or Italian words outvote the four gives
/// English.
pub fn detect_language(text: &str) -> Language {
    let folded = fold(truncate_at_char(text, MAX_LANGUAGE_BYTES));
    let mut scores = [0usize; 4];
    let mut other = [0usize; 2];
    for token in tokens(&folded) {
        for (i, (_, words)) in STOP_WORDS.iter().enumerate() {
            if words.contains(&token.word) {
                scores[i] += 1;
            }
        }
        for (i, words) in OTHER_STOP_WORDS.iter().enumerate() {
            if words.contains(&token.word) {
                other[i] += 1;
            }
        }
    }
    let mut best = (Language::En, 0);
    for (i, (language, _)) in STOP_WORDS.iter().enumerate() {
        if scores[i] > best.1 {
            best = (*language, scores[i]);
        }
    }
    if other.iter().any(|o| *o > best.1) {
        return Language::En;
    }
    best.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_language_is_recognised_from_a_short_request() {
        assert_eq!(
            detect_language("Hello, please delete all the data you hold about me. Thanks"),
            Language::En
        );
        assert_eq!(
            detect_language("Bonjour, je souhaite obtenir une copie de mes données. Merci"),
            Language::Fr
        );
        assert_eq!(
            detect_language(
                "Beste, ik wil graag een kopie van mijn gegevens. Met vriendelijke groet"
            ),
            Language::Nl
        );
        assert_eq!(
            detect_language("Sehr geehrte Damen und Herren, bitte löschen Sie meine Daten."),
            Language::De
        );
    }

    #[test]
    fn spanish_and_italian_are_answered_in_english() {
        assert_eq!(
            detect_language("Hola, por favor borren todos mis datos de la base. Gracias"),
            Language::En
        );
        assert_eq!(
            detect_language("Buongiorno, vorrei la cancellazione dei miei dati. Grazie"),
            Language::En
        );
        // A French mail with a Spanish word stays French.
        assert_eq!(
            detect_language("Bonjour, je souhaite la suppression de mes données. Gracias"),
            Language::Fr
        );
    }

    #[test]
    fn text_without_stop_words_is_english() {
        assert_eq!(detect_language(""), Language::En);
        assert_eq!(detect_language("DSAR 12345 !!!"), Language::En);
    }
}
