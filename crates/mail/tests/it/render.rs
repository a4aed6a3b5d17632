//! Rendering: every message in every language, escaping, fallback, the override folder.

use dsrflow_domain::channel::Language;
use dsrflow_mail::messages::subject::Acknowledgement;
use dsrflow_mail::templates::{FILES, MESSAGES};
use dsrflow_mail::{Email, TemplateError, Templates};

use crate::support::{self, Audience, REFERENCE, STATUS_URL};

const LANGS: [Language; 3] = [Language::En, Language::Fr, Language::Nl];

#[test]
fn every_message_renders_in_english_french_and_dutch_with_no_leftover_markup() {
    let t = Templates::embedded().unwrap();
    let mut count = 0;
    for lang in LANGS {
        for (name, audience, r) in
            support::render_all(&t, lang, support::name("Alice Liddell")).unwrap()
        {
            count += 1;
            for (part, body) in [
                ("subject", &r.subject),
                ("text", &r.text),
                ("html", &r.html),
            ] {
                for marker in ["{{", "}}", "{%", "%}", "{#", "#}"] {
                    assert!(
                        !body.contains(marker),
                        "{name} {lang} {part} has {marker}:\n{body}"
                    );
                }
                assert!(!body.trim().is_empty(), "{name} {lang} {part} is empty");
            }
            assert_eq!(r.language, lang, "{name} {lang}");
            assert!(!r.subject.contains('\n'), "{name} {lang}");
            assert!(r.html.starts_with("<!DOCTYPE html>"), "{name} {lang}");
            assert!(
                r.html.contains(&format!("<html lang=\"{lang}\">")),
                "{name} {lang}"
            );
            assert!(r.html.trim_end().ends_with("</html>"), "{name} {lang}");
            // The text part is plain text: nothing escaped, no tags.
            for entity in ["&amp;", "&lt;", "&gt;", "&#", "<p>", "<br>"] {
                assert!(!r.text.contains(entity), "{name} {lang} text has {entity}");
            }
            if audience != Audience::Officer {
                assert!(
                    r.subject.starts_with(&format!("[{REFERENCE}]")),
                    "{name} {lang}: {}",
                    r.subject
                );
            }
            if audience == Audience::Officer {
                assert!(!r.text.contains("Alice"), "{name} {lang} names the subject");
            }
        }
    }
    assert_eq!(count, MESSAGES.len() * LANGS.len());
}

#[test]
fn consent_withdrawal_and_restriction_answers_state_what_was_done_under_which_article() {
    let t = Templates::embedded().unwrap();
    for (lang, consent, restriction) in [
        (
            Language::En,
            "We stopped every use of your data that relied on your consent (GDPR Art. 7(3)).",
            "(GDPR Art. 18). We will tell you before we lift the restriction.",
        ),
        (
            Language::Fr,
            "fondée sur votre consentement (RGPD, art. 7, §\u{a0}3).",
            "(RGPD, art. 18). Nous vous préviendrons avant de lever cette limitation.",
        ),
        (
            Language::Nl,
            "dat op uw toestemming berustte stopgezet (AVG, art. 7, lid 3).",
            "(AVG, art. 18). Wij laten het u weten voordat wij de beperking opheffen.",
        ),
    ] {
        let c = support::other_done(
            &t,
            lang,
            dsrflow_domain::RequestKind::ConsentWithdrawal,
            dsrflow_domain::Regime::Gdpr,
        );
        assert!(c.text.contains(consent), "{lang}: {}", c.text);
        assert!(c.text.contains("Session recordings (Hotjar)"), "{lang}");
        let r = support::other_done(
            &t,
            lang,
            dsrflow_domain::RequestKind::Restriction,
            dsrflow_domain::Regime::Gdpr,
        );
        assert!(r.text.contains(restriction), "{lang}: {}", r.text);
        for m in [&c, &r] {
            assert!(
                m.text.contains(match lang {
                    Language::Fr => "recours juridictionnel",
                    Language::Nl => "beroep in te stellen",
                    _ => "judicial remedy",
                }),
                "{lang}: {}",
                m.text
            );
        }
    }
}

#[test]
fn an_answer_cites_the_law_of_the_requests_regime_or_none() {
    use dsrflow_domain::Regime;
    let t = Templates::embedded().unwrap();
    let consent = dsrflow_domain::RequestKind::ConsentWithdrawal;
    for (lang, regime, expected) in [
        (Language::En, Regime::UkGdpr, Some("(UK GDPR Art. 7(3))")),
        (Language::En, Regime::Lgpd, Some("(LGPD, Art. 8, § 5)")),
        (Language::Fr, Regime::Lgpd, Some("(LGPD, Art. 8, § 5)")),
        (
            Language::Nl,
            Regime::UkGdpr,
            Some("(UK GDPR, art. 7, lid 3)"),
        ),
        // A law without this right's provision is not cited at all, rather than wrongly.
        (Language::En, Regime::Ccpa, None),
        (Language::Fr, Regime::Quebec, None),
    ] {
        let m = support::other_done(&t, lang, consent, regime);
        match expected {
            Some(cite) => assert!(m.text.contains(cite), "{lang} {regime:?}: {}", m.text),
            None => assert!(
                !m.text.contains("Art.") && !m.text.contains("art. 7"),
                "{lang} {regime:?}: {}",
                m.text
            ),
        }
        // Never the GDPR's own articles for another law.
        if !matches!(regime, Regime::Gdpr) {
            for gdpr in ["GDPR Art. 7", "RGPD, art. 7", "AVG, art. 7"] {
                assert!(
                    !m.text.contains(gdpr) || regime == Regime::UkGdpr,
                    "{lang} {regime:?}: {}",
                    m.text
                );
            }
        }
    }
}

#[test]
fn a_rectification_answer_lists_each_correction_by_its_name_in_every_language() {
    let t = Templates::embedded().unwrap();
    for (lang, heading, address) in [
        (Language::En, "The corrections made:", "Postal address"),
        (
            Language::Fr,
            "Les corrections apportées :",
            "Adresse postale",
        ),
        (Language::Nl, "De aangebrachte correcties:", "Postadres"),
    ] {
        let r = support::rectification_done(&t, lang);
        // French sets a space before the colon.
        let colon = if lang == Language::Fr { " :" } else { ":" };
        for expected in [
            heading,
            &format!("- {address}{colon} 12 Rue Haute, 1000 Brussels"),
            // A detail the templates have no name for is shown by its own.
            &format!("- shoe size{colon} 42"),
            "Customer accounts and invoices",
            "Accounting firm Fidu & Co",
        ] {
            assert!(
                r.text.contains(expected),
                "{lang}: {expected:?} in\n{}",
                r.text
            );
        }
        assert!(
            r.html
                .contains(&format!("<strong>{address}</strong>{colon} 12 Rue Haute")),
            "{lang}: {}",
            r.html
        );
        if std::env::var_os("DSRFLOW_PRINT_MAIL").is_some() {
            println!("--- rectification, {lang}\n{}", r.text);
        }
    }
}

#[test]
fn french_and_dutch_are_real_translations_not_copies_of_the_english() {
    let t = Templates::embedded().unwrap();
    let en = support::render_all(&t, Language::En, None).unwrap();
    for lang in [Language::Fr, Language::Nl] {
        let other = support::render_all(&t, lang, None).unwrap();
        for ((name, _, e), (_, _, o)) in en.iter().zip(&other) {
            assert_ne!(e.subject, o.subject, "{name} subject in {lang}");
            assert_ne!(e.text, o.text, "{name} text in {lang}");
            assert_ne!(e.html, o.html, "{name} html in {lang}");
        }
    }
}

#[test]
fn every_escalation_reason_renders_in_every_language() {
    let t = Templates::embedded().unwrap();
    for lang in LANGS {
        let rendered = support::escalations(&t, lang);
        assert_eq!(rendered.len(), 2);
        assert_ne!(rendered[0].subject, rendered[1].subject);
        for r in rendered {
            assert!(r.subject.starts_with(&format!("[{REFERENCE}]")));
            assert!(!r.text.contains("{{"));
        }
    }
}

#[test]
fn html_escapes_a_hostile_name_but_the_text_part_keeps_it_verbatim() {
    let t = Templates::embedded().unwrap();
    let hostile = "<script>alert(1)</script> & Co";
    for lang in LANGS {
        let r = support::acknowledgement(support::name(hostile))
            .render(&t, lang)
            .unwrap();
        assert!(!r.html.contains("<script>"), "{lang}");
        assert!(
            r.html
                .contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt; &amp; Co"),
            "{lang}:\n{}",
            r.html
        );
        assert!(r.text.contains(hostile), "{lang}:\n{}", r.text);
    }
}

#[test]
fn links_are_absolute_and_readable_in_both_parts() {
    let t = Templates::embedded().unwrap();
    let r = support::acknowledgement(None)
        .render(&t, Language::En)
        .unwrap();
    assert!(r.text.contains(STATUS_URL), "{}", r.text);
    // In HTML only `&` is escaped; slashes stay as they are.
    let html_url = STATUS_URL.replace('&', "&amp;");
    assert!(
        r.html.contains(&format!("href=\"{html_url}\"")),
        "{}",
        r.html
    );
}

#[test]
fn a_link_that_is_not_absolute_http_is_refused_without_quoting_it() {
    let t = Templates::embedded().unwrap();
    for bad in [
        "javascript:alert(1)",
        "/status/tok_secret",
        "https://exa mple.com/tok_secret",
    ] {
        let mut ctx = support::acknowledgement(None);
        ctx.status_url = bad.into();
        let err = ctx.render(&t, Language::En).unwrap_err();
        assert!(matches!(err, TemplateError::Render { .. }), "{bad}: {err}");
        assert!(!err.to_string().contains("tok_secret"), "{err}");
    }
}

#[test]
fn dates_are_written_in_the_language_of_the_message() {
    let t = Templates::embedded().unwrap();
    let ack = support::acknowledgement(None);
    let expect = [
        (Language::En, "3 March 2026", "3 April 2026"),
        (Language::Fr, "3 mars 2026", "3 avril 2026"),
        (Language::Nl, "3 maart 2026", "3 april 2026"),
    ];
    for (lang, received, deadline) in expect {
        let r = ack.render(&t, lang).unwrap();
        assert!(r.text.contains(received), "{lang}:\n{}", r.text);
        assert!(r.text.contains(deadline), "{lang}:\n{}", r.text);
    }
}

#[test]
fn german_falls_back_to_english() {
    let t = Templates::embedded().unwrap();
    let ack = support::acknowledgement(support::name("Jürgen Müller"));
    let de = ack.render(&t, Language::De).unwrap();
    let en = ack.render(&t, Language::En).unwrap();
    assert_eq!(de, en);
    assert_eq!(de.language, Language::En);
    assert!(de.html.contains("<html lang=\"en\">"));
}

#[test]
fn the_authority_is_named_in_the_language_of_the_message() {
    let t = Templates::embedded().unwrap();
    let names = [
        (Language::En, "Belgian Data Protection Authority"),
        (Language::Fr, "Autorité de protection des données (APD)"),
        (Language::Nl, "Gegevensbeschermingsautoriteit (GBA)"),
    ];
    for (lang, authority) in names {
        let all = support::render_all(&t, lang, None).unwrap();
        let (_, _, refusal) = all.iter().find(|(n, _, _)| *n == "refusal").unwrap();
        assert!(
            refusal.text.contains(authority),
            "{lang}:\n{}",
            refusal.text
        );
        assert!(refusal.html.contains(authority), "{lang}");
    }
}

fn write(dir: &std::path::Path, name: &str, body: &str) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, body).unwrap();
}

#[test]
fn an_override_folder_wins_and_can_add_a_language() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "acknowledgement/fr/subject.txt.j2",
        "[{{ reference }}] Accusé de réception (version de la marque)",
    );
    for file in FILES {
        write(
            dir.path(),
            &format!("acknowledgement/de/{file}"),
            &format!(
                "{{# {file} #}}Hallo {{{{ reference }}}}, eingegangen am {{{{ received_on|date }}}}"
            ),
        );
    }
    write(dir.path(), "README.md", "not a template, ignored");
    let t = Templates::with_override_dir(dir.path()).unwrap();
    assert_eq!(t.overridden().len(), 4);

    let ack = support::acknowledgement(None);
    let fr = ack.render(&t, Language::Fr).unwrap();
    assert_eq!(
        fr.subject,
        format!("[{REFERENCE}] Accusé de réception (version de la marque)")
    );
    // Only the overridden file changed: the body is still the embedded French one.
    assert_eq!(
        fr.text,
        ack.render(&Templates::embedded().unwrap(), Language::Fr)
            .unwrap()
            .text
    );
    let de = ack.render(&t, Language::De).unwrap();
    assert_eq!(de.language, Language::De);
    assert_eq!(
        de.subject,
        format!("Hallo {REFERENCE}, eingegangen am 3. März 2026")
    );
    let en = ack.render(&t, Language::En).unwrap();
    assert_eq!(
        en,
        ack.render(&Templates::embedded().unwrap(), Language::En)
            .unwrap()
    );
}

#[test]
fn a_misspelt_override_file_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "acknowledgment/fr/subject.txt.j2", "x");
    let err = Templates::with_override_dir(dir.path()).unwrap_err();
    assert!(
        matches!(err, TemplateError::UnexpectedFile(ref n) if n == "acknowledgment/fr/subject.txt.j2"),
        "{err}"
    );
}

#[test]
fn an_override_that_does_not_parse_is_refused_at_start_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "refusal/nl/body.txt.j2",
        "{% if reasons %}unterminated",
    );
    let err = Templates::with_override_dir(dir.path()).unwrap_err();
    assert!(
        matches!(err, TemplateError::Syntax { ref name, .. } if name == "refusal/nl/body.txt.j2"),
        "{err}"
    );
}

#[test]
fn a_missing_override_folder_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let err = Templates::with_override_dir(dir.path().join("nope")).unwrap_err();
    assert!(matches!(err, TemplateError::Io { .. }), "{err}");
}

#[test]
fn every_message_exists_in_english_french_and_dutch() {
    let t = Templates::embedded().unwrap();
    let names: Vec<&str> = t.names().collect();
    for message in MESSAGES {
        for file in FILES {
            for prefix in [String::new(), "fr/".into(), "nl/".into()] {
                let name = format!("{message}/{prefix}{file}");
                assert!(names.contains(&name.as_str()), "{name} missing");
            }
        }
    }
}

#[test]
fn an_unknown_message_name_is_an_error() {
    let t = Templates::embedded().unwrap();
    let err = t
        .render("welcome", Language::En, &support::acknowledgement(None))
        .unwrap_err();
    assert!(matches!(err, TemplateError::UnknownMessage(_)));
    assert_eq!(<Acknowledgement as Email>::NAME, "acknowledgement");
}

/// The completion messages state what the law asks of them, in each language: an objection's
/// decisions with the grounds of a refusal (Art. 21(1), 12(4)), data kept after an erasure with
/// its rule and period (Art. 17(3)), a deletion only requested from a processor, the remedies.
/// A withdrawal is confirmed; a forwarded request tells its controller that the answer is
/// theirs. `DSRFLOW_PRINT_MAIL=1` prints the texts for review.
#[test]
fn completion_messages_state_decisions_kept_data_and_remedies_in_every_language() {
    let t = Templates::embedded().unwrap();
    let cases = [
        (
            Language::En,
            [
                "we upheld your objection",
                "we did not uphold your objection",
                "compelling legitimate grounds",
                "GDPR Art. 12(4)",
                "is lifted now that you have this answer (GDPR Art. 18(3))",
            ],
            [
                "Kept: invoice, for 10 years (until 14 February 2036), under a legal obligation: Belgian VAT Code art. 60",
                "Erasure requested from the processor",
                "GDPR Art. 17(3)",
                "judicial remedy",
            ],
        ),
        (
            Language::Fr,
            [
                "nous avons fait droit à votre opposition",
                "nous n’avons pas fait droit à votre opposition",
                "motifs légitimes et impérieux",
                "RGPD, art. 12, §\u{a0}4",
                "est levée maintenant que vous avez cette réponse (RGPD, art. 18, §\u{a0}3)",
            ],
            [
                "Conservé : invoice, pendant 10 ans (jusqu’au 14 février 2036), sur la base d’une obligation légale : Belgian VAT Code art. 60",
                "Effacement demandé au sous-traitant",
                "RGPD, art. 17, §\u{a0}3",
                "recours juridictionnel",
            ],
        ),
        (
            Language::Nl,
            [
                "wij hebben uw bezwaar ingewilligd",
                "wij hebben uw bezwaar niet ingewilligd",
                "dwingende gerechtvaardigde gronden",
                "AVG, art. 12, lid 4",
                "wordt opgeheven nu u dit antwoord hebt (AVG, art. 18, lid 3)",
            ],
            [
                "Bewaard: invoice, gedurende 10 jaar (tot 14 februari 2036), op grond van een wettelijke verplichting: Belgian VAT Code art. 60",
                "Wissing gevraagd aan de verwerker",
                "AVG, art. 17, lid 3",
                "beroep in te stellen bij de bevoegde rechter",
            ],
        ),
    ];
    for (lang, objection, erasure) in cases {
        let all = support::render_all(&t, lang, None).unwrap();
        let text = |name: &str| {
            all.iter()
                .find(|(n, _, _)| *n == name)
                .map(|(_, _, r)| r.text.clone())
                .unwrap()
        };
        let withdrawn: &[&str] = match lang {
            Language::Fr => &["Plus rien ne sera fait pour cette demande"],
            Language::Nl => &["Voor dit verzoek wordt niets meer gedaan"],
            _ => &["Nothing further will be done on this request"],
        };
        let forward: &[&str] = match lang {
            Language::Fr => &[
                "il vous appartient donc de répondre à cette demande (RGPD, art. 12 et art. 28, §\u{a0}3, e))",
                "Brasserie Dupont SPRL",
            ],
            Language::Nl => &[
                "het is aan u om het verzoek te beantwoorden (AVG, art. 12 en art. 28, lid 3, e))",
                "Brasserie Dupont SPRL",
            ],
            _ => &[
                "it is for you to answer the request (GDPR Art. 12 and Art. 28(3)(e))",
                "Brasserie Dupont SPRL",
            ],
        };
        for (name, expected) in [
            ("completed_other", objection.as_slice()),
            ("completed_erasure", erasure.as_slice()),
            ("withdrawn", withdrawn),
            ("forward_request", forward),
        ] {
            let body = text(name);
            if std::env::var_os("DSRFLOW_PRINT_MAIL").is_some() {
                eprintln!("==== {name} {lang}\n{body}");
            }
            for e in expected {
                assert!(body.contains(e), "{name} {lang}: {e:?} missing in:\n{body}");
            }
            // The grounds of the refusal are quoted as the officer wrote them.
            if name == "completed_other" {
                assert!(
                    body.contains("We need the sign-up log to detect fraud"),
                    "{body}"
                );
            }
        }
    }
}

/// The acknowledgement states the period of the request's own regime, in each language: its
/// law, its article and its number of days or months (never the GDPR's month for a CCPA
/// request).
#[test]
fn the_acknowledgement_states_the_period_of_the_requests_regime() {
    use dsrflow_domain::regime::Regime;
    let t = Templates::embedded().unwrap();
    let expected = |regime: Regime, lang: Language| -> [&'static str; 2] {
        match (regime, lang) {
            (Regime::Gdpr, Language::Fr) => ["RGPD, art. 12, §\u{a0}3", "un mois"],
            (Regime::Gdpr, Language::Nl) => ["AVG, art. 12, lid 3", "één maand"],
            (Regime::Gdpr, _) => ["GDPR, Art. 12(3)", "one month"],
            (Regime::UkGdpr, Language::Fr) => ["UK GDPR, art. 12, §\u{a0}3", "un mois"],
            (Regime::UkGdpr, Language::Nl) => ["UK GDPR, art. 12, lid 3", "één maand"],
            (Regime::UkGdpr, _) => ["UK GDPR, Art. 12(3)", "one month"],
            (Regime::Ccpa, Language::Fr) => ["CCPA", "45 jours civils"],
            (Regime::Ccpa, Language::Nl) => ["CCPA", "45 kalenderdagen"],
            (Regime::Ccpa, _) => ["CCPA", "45 calendar days"],
            (Regime::Vcdpa, Language::Fr) => ["Va. Code", "45 jours"],
            (Regime::Vcdpa, Language::Nl) => ["Va. Code", "45 dagen"],
            (Regime::Vcdpa, _) => ["Va. Code", "45 days"],
            (Regime::Lgpd, Language::Fr) => ["LGPD, art. 19, II", "15 jours"],
            (Regime::Lgpd, Language::Nl) => ["LGPD, art. 19, II", "15 dagen"],
            (Regime::Lgpd, _) => ["LGPD, Art. 19, II", "15 days"],
            (Regime::Nfadp, Language::Fr) => ["LPD, art. 25", "30 jours"],
            (Regime::Nfadp, Language::Nl) => ["DSG, art. 25", "30 dagen"],
            (Regime::Nfadp, _) => ["FADP, Art. 25", "30 days"],
            (Regime::Quebec, Language::Fr) => ["Québec (art. 32)", "30 jours"],
            (Regime::Quebec, Language::Nl) => ["Québec", "30 dagen"],
            (Regime::Quebec, _) => ["Quebec", "30 days"],
        }
    };
    for regime in Regime::ALL {
        for lang in LANGS {
            let mut ack = support::acknowledgement(None);
            ack.regime = regime;
            let r = ack.render(&t, lang).unwrap();
            for e in expected(regime, lang) {
                assert!(
                    r.text.contains(e),
                    "{regime} {lang}: {e:?} missing in:\n{}",
                    r.text
                );
                assert!(
                    r.html.contains(e),
                    "{regime} {lang}: {e:?} missing in the HTML"
                );
            }
            if regime != Regime::Gdpr && regime != Regime::UkGdpr {
                for month in ["one month", "un mois", "één maand", "Art. 12(3)"] {
                    assert!(
                        !r.text.contains(month),
                        "{regime} {lang}: {month:?} in:\n{}",
                        r.text
                    );
                }
            }
        }
    }
}

/// The extension notice states the extension rule of the request's regime (those that allow
/// one), in each language.
#[test]
fn the_extension_notice_states_the_rule_of_the_requests_regime() {
    use dsrflow_domain::regime::Regime;
    let t = Templates::embedded().unwrap();
    for regime in Regime::ALL.into_iter().filter(|r| r.allows_extension()) {
        for lang in LANGS {
            let mut notice = support::extension_notice();
            notice.regime = regime;
            let r = notice.render(&t, lang).unwrap();
            let expected: &[&str] = match (regime, lang) {
                (Regime::Gdpr, Language::Fr) => &["deux mois", "RGPD, art. 12, §\u{a0}3"],
                (Regime::Gdpr, Language::Nl) => &["twee maanden", "AVG, art. 12, lid 3"],
                (Regime::Gdpr, _) => &["two months", "GDPR Art. 12(3)"],
                (Regime::UkGdpr, _) => &["UK GDPR"],
                (Regime::Ccpa, Language::Fr) => &["45 jours de plus", "§\u{a0}7021"],
                (Regime::Ccpa, Language::Nl) => &["45 dagen extra", "§ 7021"],
                (Regime::Ccpa, _) => &["45 more days", "§ 7021"],
                (Regime::Vcdpa, _) => &["59.1-577"],
                (Regime::Nfadp, Language::Fr) => &["30 jours", "OPDo, art. 18"],
                (Regime::Nfadp, Language::Nl) => &["30 dagen", "DSV, art. 18"],
                (Regime::Nfadp, _) => &["30 days", "DPO, Art. 18"],
                (Regime::Lgpd | Regime::Quebec, _) => unreachable!("no extension"),
            };
            for e in expected {
                assert!(
                    r.text.contains(e),
                    "{regime} {lang}: {e:?} missing in:\n{}",
                    r.text
                );
            }
            if !matches!(regime, Regime::Gdpr | Regime::UkGdpr) {
                assert!(
                    !r.text.contains("Art. 12(3)") && !r.text.contains("two months"),
                    "{regime} {lang}:\n{}",
                    r.text
                );
            }
        }
    }
}
