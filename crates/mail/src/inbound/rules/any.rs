//! Rules in every language: article numbers (a list such as "Articles 15, 16 and 17" or
//! "Art. 15 und 17 DSGVO" is spelt out before matching, see the module docs) and terms used
//! across languages.

use super::{
    ANY, Access, ConsentWithdrawal, Erasure, KindRule, Objection, Portability, Rectification,
    Restriction, STRONG, rule,
};

/// The rules of this file.
pub static RULES: &[KindRule] = &[
    rule(Access, ANY, STRONG, "article 15"),
    rule(Access, ANY, STRONG, "dsar"),
    rule(Rectification, ANY, STRONG, "article 16"),
    rule(Rectification, ANY, STRONG, "rectification"),
    rule(Erasure, ANY, STRONG, "article 17"),
    rule(Restriction, ANY, STRONG, "article 18"),
    rule(Portability, ANY, STRONG, "article 20"),
    rule(Objection, ANY, STRONG, "article 21"),
    rule(ConsentWithdrawal, ANY, STRONG, "article 7(3)"),
];
