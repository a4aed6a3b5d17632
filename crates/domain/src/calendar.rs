//! Holiday calendars: which local dates are working days for a controller, and rolling a deadline
//! forward to the next working day (DEADLINES.md, EU rule 3).
//!
//! A calendar is a rule set ([`CalendarCode`]) plus one-off holidays from configuration. Holidays
//! are computed from their rules for any year (Easter by the Gregorian computus), never read from
//! a table of dates, so the calendar never "runs out". Rules are today's rules applied to every
//! year; historical changes (e.g. England's early-May bank holiday only exists since 1978) and
//! proclaimed one-offs or moved days are not modelled, except that one-offs can be added with
//! [`Calendar::with_extra_holidays`].
//!
//! All date arithmetic is checked: no year chrono can represent makes this module panic.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate, Weekday};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Name reported for a holiday that comes from configuration rather than from a rule.
pub const EXTRA_HOLIDAY: &str = "extra holiday";

/// A holiday rule set.
///
/// Serialised (serde, `Display`, [`CalendarCode::as_str`]) as its code: `BE`, `GB-EAW`. Parsing
/// ([`FromStr`], serde) ignores ASCII case and surrounding whitespace.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(
    feature = "persistence",
    derive(sea_orm::DeriveActiveEnum, sea_orm::EnumIter)
)]
#[cfg_attr(
    feature = "persistence",
    sea_orm(
        rs_type = "String",
        db_type = "String(sea_orm::sea_query::StringLen::N(16))"
    )
)]
pub enum CalendarCode {
    /// Belgian public holidays (the ten statutory days; no weekend substitution).
    #[cfg_attr(feature = "persistence", sea_orm(string_value = "BE"))]
    Be,
    /// Bank holidays of England and Wales, with weekend substitution.
    #[cfg_attr(feature = "persistence", sea_orm(string_value = "GB-EAW"))]
    GbEaw,
}

impl CalendarCode {
    /// Every calendar, in a stable order.
    pub const ALL: [CalendarCode; 2] = [CalendarCode::Be, CalendarCode::GbEaw];

    /// The code used in configuration, the CLI and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            CalendarCode::Be => "BE",
            CalendarCode::GbEaw => "GB-EAW",
        }
    }

    /// A human-readable description, for listings.
    pub fn description(self) -> &'static str {
        match self {
            CalendarCode::Be => "Belgium: public holidays",
            CalendarCode::GbEaw => "United Kingdom, England and Wales: bank holidays",
        }
    }
}

impl fmt::Display for CalendarCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A string that names no [`CalendarCode`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown calendar `{value}`; expected one of: {}", valid_calendars())]
pub struct CalendarParseError {
    /// The rejected input, as given.
    pub value: String,
}

fn valid_calendars() -> String {
    CalendarCode::ALL
        .iter()
        .map(|code| code.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

impl FromStr for CalendarCode {
    type Err = CalendarParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim();
        CalendarCode::ALL
            .into_iter()
            .find(|code| code.as_str().eq_ignore_ascii_case(wanted))
            .ok_or_else(|| CalendarParseError {
                value: s.to_owned(),
            })
    }
}

impl Serialize for CalendarCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for CalendarCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        raw.parse().map_err(serde::de::Error::custom)
    }
}

/// A controller's working-day calendar: a rule set plus one-off holidays from configuration.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Calendar {
    code: CalendarCode,
    #[serde(default)]
    extra_holidays: BTreeSet<NaiveDate>,
}

impl Calendar {
    /// The calendar of a rule set, without one-off holidays.
    pub fn new(code: CalendarCode) -> Self {
        Calendar {
            code,
            extra_holidays: BTreeSet::new(),
        }
    }

    /// Adds one-off holidays from configuration (e.g. a proclaimed bank holiday). They are
    /// holidays as given: they do not trigger or shift weekend substitution.
    #[must_use]
    pub fn with_extra_holidays(mut self, days: impl IntoIterator<Item = NaiveDate>) -> Self {
        self.extra_holidays.extend(days);
        self
    }

    /// The rule set.
    pub fn code(&self) -> CalendarCode {
        self.code
    }

    /// The one-off holidays added from configuration.
    pub fn extra_holidays(&self) -> &BTreeSet<NaiveDate> {
        &self.extra_holidays
    }

    /// The name of the holiday on `date`, or `None` on an ordinary day. Configured one-offs are
    /// named [`EXTRA_HOLIDAY`]; when two rules fall on the same day the first listed wins.
    pub fn holiday_name(&self, date: NaiveDate) -> Option<&'static str> {
        rule_holidays(self.code, date.year())
            .into_iter()
            .find(|(day, _)| *day == date)
            .map(|(_, name)| name)
            .or_else(|| self.extra_holidays.contains(&date).then_some(EXTRA_HOLIDAY))
    }

    /// Whether `date` is a working day: neither a Saturday, a Sunday nor a holiday.
    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        !is_weekend(date) && self.holiday_name(date).is_none()
    }

    /// `date` itself if it is a working day, otherwise the next working day (DEADLINES.md, EU
    /// rule 3).
    ///
    /// Only at the very end of chrono's range (year 262143), where no later working day can be
    /// represented, is `date` returned unchanged; [`Calendar::checked_roll_forward`] reports that
    /// case as `None`.
    pub fn roll_forward(&self, date: NaiveDate) -> NaiveDate {
        self.checked_roll_forward(date).unwrap_or(date)
    }

    /// Like [`Calendar::roll_forward`], but `None` when no working day on or after `date` can be
    /// represented.
    pub fn checked_roll_forward(&self, date: NaiveDate) -> Option<NaiveDate> {
        let mut day = date;
        while !self.is_working_day(day) {
            day = day.succ_opt()?;
        }
        Some(day)
    }

    /// Every holiday of `year`, sorted by date, configured one-offs included (named
    /// [`EXTRA_HOLIDAY`] unless a rule already names that day). Weekend holidays are listed too;
    /// in GB-EAW their substitute days follow as separate entries. A date can appear twice when
    /// two rules coincide (BE 2008: Labour Day and Ascension on 1 May).
    pub fn holidays(&self, year: i32) -> Vec<(NaiveDate, &'static str)> {
        let mut days = rule_holidays(self.code, year);
        let extra: Vec<(NaiveDate, &'static str)> = self
            .extra_holidays
            .iter()
            .filter(|day| day.year() == year && !days.iter().any(|(d, _)| d == *day))
            .map(|day| (*day, EXTRA_HOLIDAY))
            .collect();
        days.extend(extra);
        // Stable: equal dates keep their rule order.
        days.sort_by_key(|(day, _)| *day);
        days
    }
}

/// Easter Sunday of `year` in the Gregorian calendar, by the anonymous Gregorian algorithm
/// (Meeus/Jones/Butcher), valid for every year.
///
/// Years outside chrono's range (beyond ±262 143) are clamped to it; within it the result is
/// exact (see [`checked_easter_sunday`]).
pub fn easter_sunday(year: i32) -> NaiveDate {
    let year = year.clamp(NaiveDate::MIN.year(), NaiveDate::MAX.year());
    // Easter is in March or April, which chrono can represent for every year it supports, so the
    // fallback is unreachable; it only avoids a panic path.
    checked_easter_sunday(year).unwrap_or(NaiveDate::MIN)
}

/// Easter Sunday of `year`, or `None` if chrono cannot represent that date.
pub fn checked_easter_sunday(year: i32) -> Option<NaiveDate> {
    // Anonymous Gregorian algorithm. Euclidean division keeps it right for years <= 0 (the
    // computus is periodic), and i64 keeps every intermediate product in range.
    let y = i64::from(year);
    let a = y.rem_euclid(19);
    let b = y.div_euclid(100);
    let c = y.rem_euclid(100);
    let d = b.div_euclid(4);
    let e = b.rem_euclid(4);
    let f = (b + 8).div_euclid(25);
    let g = (b - f + 1).div_euclid(3);
    let h = (19 * a + b - d - g + 15).rem_euclid(30);
    let i = c.div_euclid(4);
    let k = c.rem_euclid(4);
    let l = (32 + 2 * e + 2 * i - h - k).rem_euclid(7);
    let m = (a + 11 * h + 22 * l).div_euclid(451);
    let n = h + l - 7 * m + 114;
    let month = u32::try_from(n.div_euclid(31)).ok()?;
    let day = u32::try_from(n.rem_euclid(31) + 1).ok()?;
    NaiveDate::from_ymd_opt(year, month, day)
}

/// Whether `date` is a Saturday or a Sunday.
pub(crate) fn is_weekend(date: NaiveDate) -> bool {
    matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

/// The holidays a rule set defines for `year`, sorted by date (stable for equal dates).
fn rule_holidays(code: CalendarCode, year: i32) -> Vec<(NaiveDate, &'static str)> {
    let mut days = match code {
        CalendarCode::Be => belgium(year),
        CalendarCode::GbEaw => england_and_wales(year),
    };
    days.sort_by_key(|(day, _)| *day);
    days
}

/// Belgian public holidays (DEADLINES.md, EU rule 8). Good Friday and 26 December are working
/// days; there is no substitution when a holiday falls on a weekend.
fn belgium(year: i32) -> Vec<(NaiveDate, &'static str)> {
    let easter = checked_easter_sunday(year);
    let after_easter = |days: u64| easter.and_then(|e| e.checked_add_days(chrono::Days::new(days)));
    [
        (fixed(year, 1, 1), "New Year's Day"),
        (after_easter(1), "Easter Monday"),
        (fixed(year, 5, 1), "Labour Day"),
        (after_easter(39), "Ascension Day"),
        (after_easter(50), "Whit Monday"),
        (fixed(year, 7, 21), "National Day"),
        (fixed(year, 8, 15), "Assumption Day"),
        (fixed(year, 11, 1), "All Saints' Day"),
        (fixed(year, 11, 11), "Armistice Day"),
        (fixed(year, 12, 25), "Christmas Day"),
    ]
    .into_iter()
    .filter_map(|(day, name)| day.map(|day| (day, name)))
    .collect()
}

/// Bank holidays of England and Wales (Banking and Financial Dealings Act 1971, Sch. 1, and the
/// annual proclamations' standing pattern): a fixed-date holiday on a weekend is substituted by
/// the next weekday that is not already a holiday.
fn england_and_wales(year: i32) -> Vec<(NaiveDate, &'static str)> {
    let easter = checked_easter_sunday(year);
    let good_friday = easter.and_then(|e| e.checked_sub_days(chrono::Days::new(2)));
    let easter_monday = easter.and_then(|e| e.checked_add_days(chrono::Days::new(1)));
    let new_year = fixed(year, 1, 1);
    let christmas = fixed(year, 12, 25);
    let boxing_day = fixed(year, 12, 26);

    let mut days: Vec<(NaiveDate, &'static str)> = [
        (new_year, "New Year's Day"),
        (good_friday, "Good Friday"),
        (easter_monday, "Easter Monday"),
        (
            NaiveDate::from_weekday_of_month_opt(year, 5, Weekday::Mon, 1),
            "Early May bank holiday",
        ),
        (
            last_weekday_of_month(year, 5, Weekday::Mon),
            "Spring bank holiday",
        ),
        (
            last_weekday_of_month(year, 8, Weekday::Mon),
            "Summer bank holiday",
        ),
        (christmas, "Christmas Day"),
        (boxing_day, "Boxing Day"),
    ]
    .into_iter()
    .filter_map(|(day, name)| day.map(|day| (day, name)))
    .collect();

    // In date order, so Christmas takes the first free weekday before Boxing Day does
    // (Christmas Sat → Mon 27, Boxing Day Sun → Tue 28; Christmas Sun → Tue 27).
    let substitutable = [
        (new_year, "New Year's Day (substitute day)"),
        (christmas, "Christmas Day (substitute day)"),
        (boxing_day, "Boxing Day (substitute day)"),
    ];
    for (holiday, substitute_name) in substitutable {
        let Some(holiday) = holiday.filter(|day| is_weekend(*day)) else {
            continue;
        };
        let mut candidate = holiday.succ_opt();
        while let Some(day) = candidate {
            if !is_weekend(day) && !days.iter().any(|(d, _)| *d == day) {
                days.push((day, substitute_name));
                break;
            }
            candidate = day.succ_opt();
        }
    }
    days
}

fn fixed(year: i32, month: u32, day: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(year, month, day)
}

fn last_weekday_of_month(year: i32, month: u32, weekday: Weekday) -> Option<NaiveDate> {
    let first_of_next = if month == 12 {
        NaiveDate::from_ymd_opt(year.checked_add(1)?, 1, 1)?
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)?
    };
    let last = first_of_next.pred_opt()?;
    let back = (7 + last.weekday().num_days_from_monday() - weekday.num_days_from_monday()) % 7;
    last.checked_sub_days(chrono::Days::new(u64::from(back)))
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn dates(list: &[(NaiveDate, &'static str)]) -> Vec<NaiveDate> {
        list.iter().map(|(d, _)| *d).collect()
    }

    #[test]
    fn easter_sunday_matches_known_dates() {
        let known = [
            (1818, 3, 22), // earliest possible
            (1900, 4, 15),
            (1943, 4, 25), // latest possible
            (2000, 4, 23),
            (2008, 3, 23),
            (2019, 4, 21),
            (2024, 3, 31),
            (2025, 4, 20),
            (2026, 4, 5),
            (2027, 3, 28),
            (2038, 4, 25),
            (2100, 3, 28),
            (2285, 3, 22),
        ];
        for (y, m, d) in known {
            assert_eq!(easter_sunday(y), date(y, m, d), "Easter {y}");
        }
    }

    #[test]
    fn easter_sunday_never_panics_at_the_edges_of_chrono_range() {
        for year in [
            i32::MIN,
            NaiveDate::MIN.year(),
            -1,
            0,
            NaiveDate::MAX.year(),
            i32::MAX,
        ] {
            let easter = easter_sunday(year);
            assert_eq!(easter.weekday(), Weekday::Sun, "{year}");
            assert!(matches!(easter.month(), 3 | 4), "{year}");
        }
        assert_eq!(easter_sunday(i32::MAX).year(), NaiveDate::MAX.year());
    }

    #[test]
    fn belgian_holidays_2026_follow_easter_on_5_april() {
        let be = Calendar::new(CalendarCode::Be);
        let list = be.holidays(2026);
        assert_eq!(
            list,
            vec![
                (date(2026, 1, 1), "New Year's Day"),
                (date(2026, 4, 6), "Easter Monday"),
                (date(2026, 5, 1), "Labour Day"),
                (date(2026, 5, 14), "Ascension Day"),
                (date(2026, 5, 25), "Whit Monday"),
                (date(2026, 7, 21), "National Day"),
                (date(2026, 8, 15), "Assumption Day"),
                (date(2026, 11, 1), "All Saints' Day"),
                (date(2026, 11, 11), "Armistice Day"),
                (date(2026, 12, 25), "Christmas Day"),
            ]
        );
    }

    #[test]
    fn belgian_holidays_2027_follow_easter_on_28_march() {
        let list = Calendar::new(CalendarCode::Be).holidays(2027);
        assert!(list.contains(&(date(2027, 3, 29), "Easter Monday")));
        assert!(list.contains(&(date(2027, 5, 6), "Ascension Day")));
        assert!(list.contains(&(date(2027, 5, 17), "Whit Monday")));
        assert_eq!(list.len(), 10);
    }

    #[test]
    fn belgian_good_friday_and_26_december_are_working_days() {
        let be = Calendar::new(CalendarCode::Be);
        assert!(be.is_working_day(date(2026, 4, 3)), "Good Friday 2026");
        assert!(
            be.is_working_day(date(2029, 12, 26)),
            "Wednesday 26 Dec 2029"
        );
        assert!(!be.is_working_day(date(2026, 4, 6)), "Easter Monday 2026");
    }

    #[test]
    fn belgian_holiday_on_a_sunday_is_not_substituted() {
        // 1 Nov 2026 is a Sunday; Monday 2 Nov is an ordinary working day in Belgium.
        let be = Calendar::new(CalendarCode::Be);
        assert_eq!(be.holiday_name(date(2026, 11, 1)), Some("All Saints' Day"));
        assert!(be.is_working_day(date(2026, 11, 2)));
    }

    #[test]
    fn belgian_labour_day_and_ascension_can_coincide_and_are_both_listed() {
        // Easter 2008 was 23 March, so Ascension (Easter + 39) fell on 1 May.
        let be = Calendar::new(CalendarCode::Be);
        let on_first_may: Vec<&str> = be
            .holidays(2008)
            .into_iter()
            .filter(|(d, _)| *d == date(2008, 5, 1))
            .map(|(_, name)| name)
            .collect();
        assert_eq!(on_first_may, ["Labour Day", "Ascension Day"]);
        assert_eq!(be.holiday_name(date(2008, 5, 1)), Some("Labour Day"));
    }

    #[test]
    fn england_and_wales_bank_holidays_2026() {
        let gb = Calendar::new(CalendarCode::GbEaw);
        assert_eq!(
            gb.holidays(2026),
            vec![
                (date(2026, 1, 1), "New Year's Day"),
                (date(2026, 4, 3), "Good Friday"),
                (date(2026, 4, 6), "Easter Monday"),
                (date(2026, 5, 4), "Early May bank holiday"),
                (date(2026, 5, 25), "Spring bank holiday"),
                (date(2026, 8, 31), "Summer bank holiday"),
                (date(2026, 12, 25), "Christmas Day"),
                (date(2026, 12, 26), "Boxing Day"),
                (date(2026, 12, 28), "Boxing Day (substitute day)"),
            ]
        );
    }

    #[test]
    fn england_and_wales_christmas_on_saturday_gives_monday_and_tuesday_substitutes() {
        let gb = Calendar::new(CalendarCode::GbEaw);
        let list = gb.holidays(2027);
        assert!(list.contains(&(date(2027, 12, 27), "Christmas Day (substitute day)")));
        assert!(list.contains(&(date(2027, 12, 28), "Boxing Day (substitute day)")));
        assert!(!gb.is_working_day(date(2027, 12, 27)));
        assert!(!gb.is_working_day(date(2027, 12, 28)));
        assert!(gb.is_working_day(date(2027, 12, 29)));
        assert_eq!(gb.roll_forward(date(2027, 12, 25)), date(2027, 12, 29));
    }

    #[test]
    fn england_and_wales_christmas_on_sunday_is_substituted_on_tuesday_after_boxing_day() {
        let gb = Calendar::new(CalendarCode::GbEaw);
        let list = gb.holidays(2022);
        assert_eq!(
            dates(&list),
            [
                date(2022, 1, 1),
                date(2022, 1, 3),
                date(2022, 4, 15),
                date(2022, 4, 18),
                date(2022, 5, 2),
                date(2022, 5, 30),
                date(2022, 8, 29),
                date(2022, 12, 25),
                date(2022, 12, 26),
                date(2022, 12, 27),
            ]
        );
        assert_eq!(gb.holiday_name(date(2022, 12, 26)), Some("Boxing Day"));
        assert_eq!(
            gb.holiday_name(date(2022, 12, 27)),
            Some("Christmas Day (substitute day)")
        );
        assert_eq!(
            gb.holiday_name(date(2022, 1, 3)),
            Some("New Year's Day (substitute day)")
        );
    }

    #[test]
    fn england_and_wales_new_year_on_sunday_is_substituted_on_monday() {
        let gb = Calendar::new(CalendarCode::GbEaw);
        assert_eq!(
            gb.holiday_name(date(2023, 1, 2)),
            Some("New Year's Day (substitute day)")
        );
    }

    #[test]
    fn england_and_wales_spring_and_summer_holidays_are_last_mondays() {
        let gb = Calendar::new(CalendarCode::GbEaw);
        // 2021: 31 May and 30 August are the last Mondays.
        assert_eq!(
            gb.holiday_name(date(2021, 5, 31)),
            Some("Spring bank holiday")
        );
        assert_eq!(
            gb.holiday_name(date(2021, 8, 30)),
            Some("Summer bank holiday")
        );
        assert_eq!(
            gb.holiday_name(date(2021, 5, 3)),
            Some("Early May bank holiday")
        );
        assert_eq!(gb.holiday_name(date(2021, 5, 24)), None);
    }

    #[test]
    fn extra_holidays_from_configuration_are_not_working_days() {
        // The 2023 coronation bank holiday was a one-off proclamation.
        let gb = Calendar::new(CalendarCode::GbEaw).with_extra_holidays([date(2023, 5, 8)]);
        assert_eq!(gb.holiday_name(date(2023, 5, 8)), Some(EXTRA_HOLIDAY));
        assert!(!gb.is_working_day(date(2023, 5, 8)));
        assert!(
            gb.holidays(2023)
                .contains(&(date(2023, 5, 8), EXTRA_HOLIDAY))
        );
        assert!(!gb.holidays(2024).iter().any(|(_, n)| *n == EXTRA_HOLIDAY));
        assert!(
            Calendar::new(CalendarCode::GbEaw).is_working_day(date(2023, 5, 8)),
            "without configuration it is an ordinary Monday"
        );
    }

    #[test]
    fn an_extra_holiday_on_a_rule_holiday_keeps_the_rule_name_and_is_listed_once() {
        let be = Calendar::new(CalendarCode::Be).with_extra_holidays([date(2026, 12, 25)]);
        assert_eq!(be.holiday_name(date(2026, 12, 25)), Some("Christmas Day"));
        assert_eq!(be.holidays(2026).len(), 10);
    }

    #[test]
    fn roll_forward_keeps_a_working_day_and_skips_weekends_and_holidays() {
        let be = Calendar::new(CalendarCode::Be);
        assert_eq!(be.roll_forward(date(2026, 4, 2)), date(2026, 4, 2));
        // Sat 4 Apr, Sun 5 Apr, Easter Monday 6 Apr.
        assert_eq!(be.roll_forward(date(2026, 4, 4)), date(2026, 4, 7));
    }

    #[test]
    fn roll_forward_at_the_end_of_chrono_range_does_not_panic() {
        // Made a holiday so that it cannot be a working day whatever its weekday; no later
        // date exists to roll to.
        let last = NaiveDate::MAX;
        let be = Calendar::new(CalendarCode::Be).with_extra_holidays([last]);
        assert_eq!(be.checked_roll_forward(last), None);
        assert_eq!(be.roll_forward(last), last);
        assert!(be.holidays(NaiveDate::MAX.year()).len() >= 9);
        assert!(!be.holidays(NaiveDate::MIN.year()).is_empty());
    }

    #[test]
    fn calendar_codes_parse_case_insensitively_and_serialise_as_codes() {
        assert_eq!(
            "gb-eaw".parse::<CalendarCode>().unwrap(),
            CalendarCode::GbEaw
        );
        assert_eq!("be".parse::<CalendarCode>().unwrap(), CalendarCode::Be);
        assert_eq!(CalendarCode::GbEaw.to_string(), "GB-EAW");
        assert_eq!(
            serde_json::to_string(&CalendarCode::GbEaw).unwrap(),
            "\"GB-EAW\""
        );
        assert_eq!(
            serde_json::from_str::<CalendarCode>("\"BE\"").unwrap(),
            CalendarCode::Be
        );
        let err = "FR".parse::<CalendarCode>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown calendar `FR`; expected one of: BE, GB-EAW"
        );
    }

    #[test]
    fn a_calendar_deserialises_from_its_code_and_optional_extra_holidays() {
        let plain: Calendar = serde_json::from_str(r#"{"code":"BE"}"#).unwrap();
        assert_eq!(plain, Calendar::new(CalendarCode::Be));
        let extra: Calendar =
            serde_json::from_str(r#"{"code":"GB-EAW","extra_holidays":["2023-05-08"]}"#).unwrap();
        assert_eq!(extra.code(), CalendarCode::GbEaw);
        assert!(extra.extra_holidays().contains(&date(2023, 5, 8)));
    }

    fn any_code() -> impl Strategy<Value = CalendarCode> {
        prop::sample::select(CalendarCode::ALL.to_vec())
    }

    proptest! {
        #[test]
        fn easter_is_a_sunday_between_22_march_and_25_april(year in 1583i32..=4099) {
            let easter = easter_sunday(year);
            prop_assert_eq!(easter.weekday(), Weekday::Sun);
            prop_assert_eq!(easter.year(), year);
            prop_assert!(easter >= date(year, 3, 22) && easter <= date(year, 4, 25));
        }

        #[test]
        fn holiday_lists_are_sorted_and_every_entry_is_a_holiday(
            year in 1900i32..=2200,
            code in any_code(),
        ) {
            let calendar = Calendar::new(code);
            let list = calendar.holidays(year);
            prop_assert!(list.windows(2).all(|w| w[0].0 <= w[1].0));
            prop_assert!(list.iter().all(|(d, _)| d.year() == year));
            for (day, _) in &list {
                prop_assert!(calendar.holiday_name(*day).is_some());
                prop_assert!(!calendar.is_working_day(*day));
            }
        }

        #[test]
        fn belgium_has_ten_holidays_on_nine_or_ten_dates(year in 1900i32..=2200) {
            let list = Calendar::new(CalendarCode::Be).holidays(year);
            prop_assert_eq!(list.len(), 10);
            let mut distinct = dates(&list);
            distinct.dedup();
            prop_assert!(distinct.len() >= 9);
        }

        #[test]
        fn england_and_wales_always_gives_eight_weekday_bank_holidays(year in 1900i32..=2200) {
            // Substitution turns every weekend holiday into exactly one weekday off.
            let list = Calendar::new(CalendarCode::GbEaw).holidays(year);
            let weekdays = list.iter().filter(|(d, _)| !is_weekend(*d)).count();
            prop_assert_eq!(weekdays, 8);
            let mut distinct = dates(&list);
            distinct.dedup();
            prop_assert_eq!(distinct.len(), list.len());
        }

        #[test]
        fn roll_forward_returns_the_first_working_day_on_or_after_the_date(
            days_since_1900 in 0u64..(301 * 366),
            code in any_code(),
            extra in prop::collection::vec(0u64..20, 0..8),
        ) {
            let start = date(1900, 1, 1) + chrono::Days::new(days_since_1900);
            let calendar = Calendar::new(code)
                .with_extra_holidays(extra.iter().map(|d| start + chrono::Days::new(*d)));
            let rolled = calendar.roll_forward(start);
            prop_assert!(rolled >= start);
            prop_assert!(calendar.is_working_day(rolled));
            let mut day = start;
            while day < rolled {
                prop_assert!(!calendar.is_working_day(day));
                day = day.succ_opt().unwrap();
            }
        }
    }
}
