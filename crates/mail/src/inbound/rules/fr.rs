//! French rules.

use super::{
    Access, ConsentWithdrawal, Erasure, FR, KindRule, MARKETING, Objection, Portability,
    Rectification, Restriction, STRONG, WEAK, in_context, rule,
};

/// Verbs of removal: the blockers of an access question.
macro_rules! erase_verbs {
    () => {
        "(supprim*|effac*|détrui*|retir*|enlev*|suppression|effacement|oubli*)"
    };
}

/// What a person has with a company ("donnés" is a frequent misspelling).
macro_rules! data {
    () => {
        "(données|donnees|donnés|informations|infos|info|renseignements|coordonnées|dossier|fiche|profil)"
    };
}

/// Personal details that can be wrong or change.
macro_rules! fields {
    () => {
        "(adresse|nom|prénom|coordonnées|numéro|mail|email|courriel|téléphone|portable|informations|données|orthographe|naissance|fiche|profil|dossier)"
    };
}

/// Advertising and contact.
macro_rules! contact_nouns {
    () => {
        "(publicité*|pub|pubs|newsletter*|sms|appels|prospectus|catalogue*|courriers|courrier|mails|emails|courriels|offres|promotions|messages|prospection|démarchage|lettres)"
    };
}

/// The rules of this file.
pub static RULES: &[KindRule] = &[
    // --- Access (Art. 15) ---
    rule(Access, FR, STRONG, "droit d'accès"),
    rule(Access, FR, STRONG, "demande d'accès"),
    rule(Access, FR, STRONG, concat!("accès à .. ", data!())),
    rule(
        Access,
        FR,
        STRONG,
        "(copie|communication|liste|récapitulatif) (de|des) .. (données|donnees|donnés|informations|infos|renseignements|dossier|tout)",
    ),
    rule(
        Access,
        FR,
        STRONG,
        concat!(
            "!",
            erase_verbs!(),
            " (communiquer|envoyer|transmettre|fournir) .. (mes|ensemble) .. ",
            data!()
        ),
    ),
    rule(
        Access,
        FR,
        STRONG,
        "(quel|quels|quelle|quelles) .. (données|donnees|donnés|informations|infos|renseignements) .. (vous|détenez|avez|possédez|conservez|traitez|gardez|stockez)",
    ),
    rule(
        Access,
        FR,
        STRONG,
        concat!(
            "!",
            erase_verbs!(),
            " (données|donnees|donnés|informations|infos|renseignements|tout) .. (détenez|avez|possédez|conservez|gardez|stockez|traitez|savez|connaissez) .. (sur|me|mon) (moi|concernant|sujet|propos)"
        ),
    ),
    rule(Access, FR, STRONG, "(savez|connaissez) .. sur moi"),
    rule(
        Access,
        FR,
        STRONG,
        "d'où .. (viennent|vient|provien*|tenez|tient|avez|sortez|sort) .. (données|donnees|donnés|coordonnées|numéro|adresse|nom|informations|infos|mail|email|fichier)",
    ),
    rule(
        Access,
        FR,
        STRONG,
        "(données|donnees|donnés|coordonnées|numéro|adresse|informations|infos) .. d'où",
    ),
    rule(
        Access,
        FR,
        STRONG,
        "(comment|où) (avez|vous) .. (obtenu|eu|trouvé|récupéré|procuré) .. (numéro|adresse|coordonnées|données|nom|mail|email|informations)",
    ),
    rule(
        Access,
        FR,
        STRONG,
        "à qui .. (transmis|vendu|communiqué|cédé|donné|transféré)",
    ),
    // --- Erasure (Art. 17) ---
    rule(
        Erasure,
        FR,
        STRONG,
        concat!(
            "!(erreur|récupér*|restaur*|réactiv*|accident*|mégarde|inadvertance) (supprim*|effac*|détrui*) .. ",
            data!()
        ),
    ),
    rule(
        Erasure,
        FR,
        STRONG,
        "!(erreur|récupér*|restaur*|réactiv*|accident*|mégarde|inadvertance) (supprim*|effac*|détrui*) .. (compte|historique|ensemble|traces)",
    ),
    rule(
        Erasure,
        FR,
        STRONG,
        "(retir*|enlev*) .. (données|donnees|donnés|informations|infos|renseignements|coordonnées|profil|fiche)",
    ),
    rule(
        Erasure,
        FR,
        STRONG,
        "!(été|erreur|réactiv*|restaur*|récupér*|pourquoi) (données|donnees|donnés|informations|infos|renseignements|coordonnées|compte|profil|fiche|dossier) .. (supprim*|effac*|détrui*|retiré*)",
    ),
    rule(Erasure, FR, STRONG, "(supprim*|effac*|détrui*) tout"),
    rule(
        Erasure,
        FR,
        STRONG,
        "(supprim*|effac*) .. tout (ce|cela|ça|le|les)",
    ),
    rule(Erasure, FR, STRONG, "tout (effacer|supprimer|détruire)"),
    rule(
        Erasure,
        FR,
        STRONG,
        "(retir*|enlev*|ray*|supprim*|effac*|sortir|sortez) .. (de|des|du) .. (fichier*|base|bases|système*|bdd|registre*)",
    ),
    rule(
        Erasure,
        FR,
        STRONG,
        "suppression .. (données|donnees|donnés|compte|informations|coordonnées|profil|dossier)",
    ),
    rule(Erasure, FR, STRONG, "effacement"),
    rule(Erasure, FR, STRONG, "droit à l'oubli"),
    rule(Erasure, FR, STRONG, "oubliez moi"),
    // --- Objection (Art. 21) ---
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
        "ne plus .. (appeler|contacter|solliciter|démarcher|écrire|envoyer)",
    ),
    rule(
        Objection,
        FR,
        STRONG,
        "plus (être|etre) (appel*|contact*|démarch*|sollicit*|dérang*|harcel*|relanc*)",
    ),
    rule(
        Objection,
        FR,
        STRONG,
        "(appelez|contactez|écrivez|envoyez|sollicitez|démarchez|relancez) plus",
    ),
    rule(
        Objection,
        FR,
        STRONG,
        concat!(
            "(arrêt*|cess*|stop*) .. (envoyer|envoi|envois|appeler|appels|contacter|démarch*|écrire|harceler|relancer|solliciter|",
            "prospection|publicit*|sms|mails|emails|courriels|courriers|catalogues|newsletter*)"
        ),
    ),
    rule(
        Objection,
        FR,
        STRONG,
        "(retir*|enlev*|ray*|supprim*|sortir|sortez) .. (de|des|du) .. (liste|listes|listing|mailing*|newsletter*|diffusion)",
    ),
    rule(
        Objection,
        FR,
        STRONG,
        concat!("plus de .. ", contact_nouns!()),
    ),
    rule(
        Objection,
        FR,
        STRONG,
        concat!(
            "(veux|souhaite|désire) (pas|plus) (de|d) .. ",
            contact_nouns!()
        ),
    ),
    rule(
        Objection,
        FR,
        STRONG,
        concat!(
            "(veux|souhaite|désire) (aucun|aucune) .. ",
            contact_nouns!()
        ),
    ),
    in_context(
        Objection,
        FR,
        "!(commande|livraison|paiement|colis|abonnement|prélèvement) (arrêtez|cessez|stoppez) (ça|cela|ceci|immédiatement|maintenant|tout)",
        MARKETING,
    ),
    in_context(Objection, FR, "ça suffit", MARKETING),
    in_context(Objection, FR, "ça doit .. (cesser|arrêter)", MARKETING),
    // --- Rectification (Art. 16) ---
    rule(Rectification, FR, STRONG, "rectifier"),
    rule(
        Rectification,
        FR,
        STRONG,
        concat!(
            "(corrig*|rectifi*|modifi*|changer|actualis*) .. ",
            fields!()
        ),
    ),
    rule(
        Rectification,
        FR,
        STRONG,
        concat!("(mettre|mise) à jour .. ", fields!()),
    ),
    rule(Rectification, FR, STRONG, "(la|le|les) mettre à jour"),
    rule(
        Rectification,
        FR,
        STRONG,
        concat!(
            fields!(),
            " .. (erroné*|inexact*|incorrect*|faux|fausse*|périmé*|obsolète*|mauvais*|erreur)"
        ),
    ),
    rule(
        Rectification,
        FR,
        STRONG,
        concat!(
            fields!(),
            " .. (pas|plus) (correct*|juste|exact*|bon|bonne|la|le|à)"
        ),
    ),
    rule(
        Rectification,
        FR,
        STRONG,
        concat!(fields!(), " .. (a|ont) changé"),
    ),
    rule(
        Rectification,
        FR,
        STRONG,
        "(nouvelle|nouveau|nouvel) (adresse|numéro|nom|courriel)",
    ),
    rule(
        Rectification,
        FR,
        STRONG,
        "(erreur|faute|coquille) .. (nom|prénom|adresse|naissance|numéro|mail|email)",
    ),
    rule(Rectification, FR, STRONG, "mal (orthographi*|écrit*)"),
    rule(
        Rectification,
        FR,
        STRONG,
        "changement (de|du|d) .. (nom|numéro|adresse|mail|email|coordonnées)",
    ),
    // --- Restriction (Art. 18) ---
    rule(Restriction, FR, WEAK, "limitation"),
    rule(Restriction, FR, STRONG, "limitation .. traitement"),
    rule(
        Restriction,
        FR,
        STRONG,
        "(limiter|geler|gel|suspendre|suspension|bloquer) .. (traitement|utilisation|usage)",
    ),
    rule(Restriction, FR, STRONG, "droit à la limitation"),
    rule(
        Restriction,
        FR,
        STRONG,
        "(pas|plus) (utiliser|traiter|transmettre|communiquer) .. (pendant|tant|jusqu)",
    ),
    // --- Portability (Art. 20) ---
    rule(Portability, FR, STRONG, "portabilité"),
    rule(Portability, FR, STRONG, "lisible par (machine|ordinateur)"),
    rule(
        Portability,
        FR,
        STRONG,
        "format .. (structuré*|réutilisable|csv|json|xml|exploitable|excel)",
    ),
    rule(
        Portability,
        FR,
        STRONG,
        "(fichier|export|tableau|tableur) .. (csv|json|xml|excel)",
    ),
    rule(
        Portability,
        FR,
        STRONG,
        "(exporter|transférer) .. (données|donnees|donnés|historique)",
    ),
    // --- Consent withdrawal (Art. 7(3)) ---
    rule(
        ConsentWithdrawal,
        FR,
        STRONG,
        "(retir*|révoqu*|annul*) .. (consentement|autorisation)",
    ),
    rule(
        ConsentWithdrawal,
        FR,
        STRONG,
        "(retir*|révoqu*|annul*|reprend*) (mon|ma) (accord|autorisation|consentement)",
    ),
    rule(ConsentWithdrawal, FR, STRONG, "retrait .. consentement"),
];
