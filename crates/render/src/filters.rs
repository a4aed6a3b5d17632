//! The filters every template has: `date`, `datetime`, `url`; and dates written out per
//! language.

use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc};
use dsrflow_domain::channel::Language;
use minijinja::value::Value;
use minijinja::{AutoEscape, ErrorKind, State};

use crate::Links;

/// The language a render is in: the context's `lang` (`"en"`, `"fr"`, …); English when it is
/// missing or names a language without calendar words.
pub fn render_language(state: &State) -> Language {
    state
        .lookup("lang")
        .and_then(|v| v.as_str().and_then(|s| s.parse().ok()))
        .unwrap_or_default()
}

fn bad_value(what: &str) -> minijinja::Error {
    minijinja::Error::new(ErrorKind::InvalidOperation, what.to_owned())
}

/// `{{ day|date }}`: a `YYYY-MM-DD` string (how `NaiveDate` serialises) or an RFC 3339 instant
/// (its UTC day).
pub(crate) fn date(state: &State, value: String) -> Result<String, minijinja::Error> {
    let day = NaiveDate::parse_from_str(&value, "%Y-%m-%d")
        .ok()
        .or_else(|| {
            DateTime::parse_from_rfc3339(&value)
                .ok()
                .map(|d| d.with_timezone(&Utc).date_naive())
        })
        .ok_or_else(|| bad_value("the date filter needs a YYYY-MM-DD date"))?;
    Ok(format_date(render_language(state), day))
}

/// `{{ instant|datetime }}`: an RFC 3339 instant (how `DateTime<Utc>` serialises), shown in UTC.
pub(crate) fn datetime(state: &State, value: String) -> Result<String, minijinja::Error> {
    let at = DateTime::parse_from_rfc3339(&value)
        .map_err(|_| bad_value("the datetime filter needs an RFC 3339 instant"))?
        .with_timezone(&Utc);
    Ok(format_datetime(render_language(state), at))
}

/// `{{ link|url }}`: a link that may be rendered under `links` (never `javascript:`). In HTML
/// the value is escaped for an attribute but `/` stays readable, so the link reads the same as
/// in the text part. The URL itself is never in the error: links carry tokens.
pub(crate) fn url(state: &State, links: Links, value: String) -> Result<Value, minijinja::Error> {
    let lower = value.to_ascii_lowercase();
    let absolute = (lower.starts_with("https://") || lower.starts_with("http://"))
        && value.len() > "https://".len();
    let allowed = match links {
        Links::Absolute => absolute,
        Links::Site => {
            absolute
                || lower.starts_with("mailto:")
                || lower.starts_with("data:image/")
                || (lower.starts_with('/') && !lower.starts_with("//"))
        }
    };
    let clean = !value.chars().any(|c| c.is_whitespace() || c.is_control());
    if !allowed || !clean {
        return Err(bad_value(match links {
            Links::Absolute => "a link is not an absolute http(s) URL",
            Links::Site => "a link must be http(s), mailto, data:image or start with /",
        }));
    }
    if matches!(state.auto_escape(), AutoEscape::None) {
        return Ok(Value::from(value));
    }
    let mut escaped = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            other => escaped.push(other),
        }
    }
    Ok(Value::from_safe_string(escaped))
}

fn month_name(lang: Language, month: u32) -> &'static str {
    const EN: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    const FR: [&str; 12] = [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ];
    const NL: [&str; 12] = [
        "januari",
        "februari",
        "maart",
        "april",
        "mei",
        "juni",
        "juli",
        "augustus",
        "september",
        "oktober",
        "november",
        "december",
    ];
    const DE: [&str; 12] = [
        "Januar",
        "Februar",
        "März",
        "April",
        "Mai",
        "Juni",
        "Juli",
        "August",
        "September",
        "Oktober",
        "November",
        "Dezember",
    ];
    let table = match lang {
        Language::En => &EN,
        Language::Fr => &FR,
        Language::Nl => &NL,
        Language::De => &DE,
    };
    let index = usize::try_from(month.saturating_sub(1))
        .unwrap_or(0)
        .min(11);
    table[index]
}

/// A day written out the way each language does: `3 March 2026`, `1er mars 2026`,
/// `3 maart 2026`, `3. März 2026`.
pub fn format_date(lang: Language, day: NaiveDate) -> String {
    let month = month_name(lang, day.month());
    match lang {
        Language::Fr if day.day() == 1 => format!("1er {month} {}", day.year()),
        Language::De => format!("{}. {month} {}", day.day(), day.year()),
        _ => format!("{} {month} {}", day.day(), day.year()),
    }
}

/// An instant written out in UTC, e.g. `3 March 2026 at 14:05 UTC` or `3 mars 2026 à 14:05 UTC`.
pub fn format_datetime(lang: Language, at: DateTime<Utc>) -> String {
    let day = format_date(lang, at.date_naive());
    let word = match lang {
        Language::En => "at",
        Language::Fr => "à",
        Language::Nl => "om",
        Language::De => "um",
    };
    format!("{day} {word} {:02}:{:02} UTC", at.hour(), at.minute())
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    #[test]
    fn dates_are_written_the_way_each_language_writes_them() {
        let d = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
        assert_eq!(format_date(Language::En, d), "1 March 2026");
        assert_eq!(format_date(Language::Fr, d), "1er mars 2026");
        assert_eq!(format_date(Language::Nl, d), "1 maart 2026");
        assert_eq!(format_date(Language::De, d), "1. März 2026");
        let at = DateTime::parse_from_rfc3339("2026-08-14T09:05:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            format_datetime(Language::Fr, at),
            "14 août 2026 à 09:05 UTC"
        );
    }
}
