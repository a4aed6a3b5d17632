//! The legal deadline engine: from a request's receipt instant, regime, controller time zone,
//! calendar, pauses, identity restart and extension flag to the dates the controller must meet
//! (answer, extension notice, CCPA acknowledgement) and the exact UTC instant the answer period
//! ends.
//!
//! Pure and deterministic: no clock, no I/O. Every rule cites `shared/legal/DEADLINES.md`; the
//! conventions chosen are documented in `docs/deadlines.md`.

use chrono::{
    DateTime, Datelike, Days, LocalResult, Months, NaiveDate, NaiveDateTime, Offset, TimeZone, Utc,
};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::calendar::{Calendar, CalendarCode, is_weekend};
use crate::regime::Regime;

/// A period during which the controller waited for the data subject, as local calendar dates in
/// the controller's time zone.
///
/// For `gdpr` it is an identity pause (Art. 12(6), EDPB 01/2022 §5.3): `answered − asked` days are
/// credited. For `uk-gdpr` it is a clarification pause: both days are excluded, so
/// `answered − asked + 1` days are credited. Other regimes reject pauses.
///
/// Ordered by the day asked, then the day answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PausePeriod {
    /// The local date the controller asked the data subject.
    pub asked: NaiveDate,
    /// The local date the answer (identity information or clarification) arrived.
    pub answered: NaiveDate,
}

/// Everything the deadline of one request depends on.
#[derive(Clone, Debug, PartialEq)]
pub struct DeadlineInput {
    /// The regime the request is answered under.
    pub regime: Regime,
    /// When the request first reached any of the controller's channels.
    pub received_at: DateTime<Utc>,
    /// The controller's time zone; callers pass [`Regime::default_time_zone`] unless configured.
    pub time_zone: Tz,
    /// The controller's calendar. `None` means [`Regime::default_calendar`] for `gdpr` and
    /// `uk-gdpr`; it must be `None` for the regimes that count calendar days.
    pub calendar: Option<Calendar>,
    /// Whether the controller extended the period (an error for regimes without extension).
    pub extended: bool,
    /// Closed pauses (see [`PausePeriod`]); only `gdpr` and `uk-gdpr` accept them.
    pub pauses: Vec<PausePeriod>,
    /// `uk-gdpr` only: the local date requested identity information (or a permitted fee)
    /// arrived; the clock restarts from it.
    pub identity_received: Option<NaiveDate>,
}

impl DeadlineInput {
    /// An input with the regime's default time zone and calendar, no extension, no pauses and no
    /// identity restart.
    pub fn new(regime: Regime, received_at: DateTime<Utc>) -> Self {
        DeadlineInput {
            regime,
            received_at,
            time_zone: regime.default_time_zone(),
            calendar: None,
            extended: false,
            pauses: Vec::new(),
            identity_received: None,
        }
    }
}

/// The computed deadlines of one request.
///
/// Serialises with snake_case field names, dates as `YYYY-MM-DD`, instants as RFC 3339 UTC
/// (`2026-03-02T23:00:00Z`), the regime and calendar as their codes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deadline {
    /// The regime the deadline was computed under.
    pub regime: Regime,
    /// The controller's time zone (IANA name) the dates are local to.
    pub time_zone: String,
    /// The calendar used to roll forward; `None` for calendar-day regimes, which never roll.
    pub calendar: Option<CalendarCode>,
    /// The local date of receipt (a weekend or holiday receipt still counts as that day).
    pub receipt_day: NaiveDate,
    /// The day the period runs from: the receipt day, or the `uk-gdpr` identity restart day.
    pub clock_start: NaiveDate,
    /// Days credited by pauses.
    pub credited_days: i64,
    /// The deadline without extension (rolled forward where the regime rolls).
    pub base_deadline: NaiveDate,
    /// What an extension gives (whether or not it was taken); `None` where none exists.
    pub deadline_if_extended: Option<NaiveDate>,
    /// Whether the extension was taken.
    pub extended: bool,
    /// The deadline in force: `base_deadline`, or `deadline_if_extended` when extended.
    pub deadline: NaiveDate,
    /// The instant the period ends: the start of the local day after `deadline`, as UTC.
    pub deadline_end: DateTime<Utc>,
    /// The last local day to send the extension notice with reasons; `None` where no extension
    /// exists.
    pub extension_notice_by: Option<NaiveDate>,
    /// `ccpa` only: the last day to acknowledge the request (10 business days, Mon–Fri).
    pub acknowledge_by: Option<NaiveDate>,
}

/// Why a deadline cannot be computed from an input.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DeadlineError {
    /// An extension was asked for under a regime that has none.
    #[error("extension not available for regime {regime}")]
    ExtensionNotAvailable {
        /// The regime.
        regime: Regime,
    },
    /// A calendar was given for a regime that counts calendar days and never rolls forward.
    #[error(
        "calendar {calendar} given for regime {regime}, which counts calendar days and never rolls forward over holidays"
    )]
    CalendarNotApplicable {
        /// The regime.
        regime: Regime,
        /// The calendar that was given.
        calendar: CalendarCode,
    },
    /// Pauses were given for a regime whose period cannot be paused.
    #[error("pauses do not apply to regime {regime}{}", pause_hint(*.regime))]
    PausesNotApplicable {
        /// The regime.
        regime: Regime,
    },
    /// A pause was answered before it was asked.
    #[error("pause ends before it starts: answered {answered} before asked {asked}")]
    PauseEndsBeforeStart {
        /// The local date asked.
        asked: NaiveDate,
        /// The local date answered.
        answered: NaiveDate,
    },
    /// A pause was asked before the request was received.
    #[error("pause asked on {asked}, before the request was received on {receipt_day}")]
    PauseBeforeReceipt {
        /// The local date asked.
        asked: NaiveDate,
        /// The local receipt day.
        receipt_day: NaiveDate,
    },
    /// Two pauses share days (for `uk-gdpr` a shared boundary day counts as shared).
    #[error(
        "overlapping pauses: {}..{} and {}..{}",
        .first.asked, .first.answered, .second.asked, .second.answered
    )]
    OverlappingPauses {
        /// The earlier pause.
        first: PausePeriod,
        /// The pause that starts inside it.
        second: PausePeriod,
    },
    /// An identity restart was given for a regime other than `uk-gdpr`.
    #[error(
        "identity_received (a clock restart) only applies to uk-gdpr, not to {regime}{}",
        identity_hint(*.regime)
    )]
    IdentityRestartNotApplicable {
        /// The regime.
        regime: Regime,
    },
    /// The identity information arrived before the request itself.
    #[error(
        "identity received on {identity_received}, before the request was received on {receipt_day}"
    )]
    IdentityBeforeReceipt {
        /// The local date identity information arrived.
        identity_received: NaiveDate,
        /// The local receipt day.
        receipt_day: NaiveDate,
    },
    /// A date fell outside the supported years (see [`SUPPORTED_YEARS`]).
    #[error("date out of range: dsrflow computes deadlines for dates in years 1 to 9999")]
    OutOfRange,
}

fn pause_hint(regime: Regime) -> &'static str {
    match regime {
        Regime::Ccpa => " (verification does not pause the 45-day period)",
        Regime::Gdpr | Regime::UkGdpr => "",
        Regime::Vcdpa | Regime::Lgpd | Regime::Nfadp | Regime::Quebec => {
            " (its period runs in calendar days from receipt)"
        }
    }
}

fn identity_hint(regime: Regime) -> &'static str {
    match regime {
        Regime::Gdpr => " (record an identity request as a pause)",
        _ => "",
    }
}

/// How a regime counts its period (DEADLINES.md). The single table of numbers; `tests` checks it
/// agrees with the facts [`Regime`] exposes.
#[derive(Clone, Copy, Debug)]
enum Counting {
    /// One month, clamped and rolled; extension to three months from the start.
    Months {
        default_calendar: CalendarCode,
        pauses: PauseCounting,
        identity_restart: bool,
    },
    /// Calendar days from the receipt day, never rolled.
    Days {
        answer: u64,
        extended: Option<u64>,
        acknowledge_business_days: Option<u64>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PauseCounting {
    /// EU: credited = answered − asked; pauses are half-open `[asked, answered)`.
    DaysBetween,
    /// UK: both the day asked and the day answered are excluded; pauses are closed intervals.
    BothEndsExcluded,
}

fn counting(regime: Regime) -> Counting {
    match regime {
        Regime::Gdpr => Counting::Months {
            default_calendar: CalendarCode::Be,
            pauses: PauseCounting::DaysBetween,
            identity_restart: false,
        },
        Regime::UkGdpr => Counting::Months {
            default_calendar: CalendarCode::GbEaw,
            pauses: PauseCounting::BothEndsExcluded,
            identity_restart: true,
        },
        // 11 CCR §7021: acknowledge within 10 business days, answer within 45 days, one
        // extension of 45 more with notice inside the first 45.
        Regime::Ccpa => Counting::Days {
            answer: 45,
            extended: Some(90),
            acknowledge_business_days: Some(10),
        },
        Regime::Vcdpa => Counting::Days {
            answer: 45,
            extended: Some(90),
            acknowledge_business_days: None,
        },
        // Art. 19 II: full access statement within 15 days.
        Regime::Lgpd => Counting::Days {
            answer: 15,
            extended: None,
            acknowledge_business_days: None,
        },
        // Convention: the nFADP lets the controller name a later date; dsrflow takes 60 days.
        Regime::Nfadp => Counting::Days {
            answer: 30,
            extended: Some(60),
            acknowledge_business_days: None,
        },
        // Law 25, s. 32.
        Regime::Quebec => Counting::Days {
            answer: 30,
            extended: None,
            acknowledge_business_days: None,
        },
    }
}

/// The years every date of a computed [`Deadline`] lies in; outside them [`compute`] answers
/// [`DeadlineError::OutOfRange`] (RFC 3339 has four-digit years).
pub const SUPPORTED_YEARS: std::ops::RangeInclusive<i32> = 1..=9999;

/// Computes the deadlines of one request.
///
/// # Errors
/// A [`DeadlineError`] when the input contradicts the regime (extension, pauses, calendar or
/// identity restart where the regime has none), when pauses are malformed, or when a date cannot
/// be represented.
pub fn compute(input: &DeadlineInput) -> Result<Deadline, DeadlineError> {
    let regime = input.regime;
    if input.extended && !regime.allows_extension() {
        return Err(DeadlineError::ExtensionNotAvailable { regime });
    }
    // DEADLINES.md EU rule 1: the local date in the controller's zone, whatever the weekday.
    let receipt_day =
        local_date(input.received_at, input.time_zone).ok_or(DeadlineError::OutOfRange)?;
    if let Some(identity_received) = input.identity_received {
        let restarts = matches!(
            counting(regime),
            Counting::Months {
                identity_restart: true,
                ..
            }
        );
        if !restarts {
            return Err(DeadlineError::IdentityRestartNotApplicable { regime });
        }
        if identity_received < receipt_day {
            return Err(DeadlineError::IdentityBeforeReceipt {
                identity_received,
                receipt_day,
            });
        }
    }

    let dates = match counting(regime) {
        Counting::Months {
            default_calendar,
            pauses,
            ..
        } => {
            let calendar = input
                .calendar
                .clone()
                .unwrap_or_else(|| Calendar::new(default_calendar));
            month_dates(input, receipt_day, &calendar, pauses)?
        }
        Counting::Days {
            answer,
            extended,
            acknowledge_business_days,
        } => {
            if let Some(calendar) = &input.calendar {
                return Err(DeadlineError::CalendarNotApplicable {
                    regime,
                    calendar: calendar.code(),
                });
            }
            if !input.pauses.is_empty() {
                return Err(DeadlineError::PausesNotApplicable { regime });
            }
            day_dates(receipt_day, answer, extended, acknowledge_business_days)?
        }
    };

    let deadline = match (input.extended, dates.if_extended) {
        (true, Some(extended)) => extended,
        (true, None) => return Err(DeadlineError::ExtensionNotAvailable { regime }),
        (false, _) => dates.base,
    };
    // DEADLINES.md EU rule 4: the period ends at the end of the deadline day, local time.
    let deadline_end = local_day_end(deadline, input.time_zone).ok_or(DeadlineError::OutOfRange)?;
    // Keep every output a plain RFC 3339 / ISO 8601 date: the latest date is the local day
    // after the latest deadline, the earliest is the receipt day.
    let latest = dates.if_extended.unwrap_or(dates.base).max(deadline);
    let in_range = |day: NaiveDate| SUPPORTED_YEARS.contains(&day.year());
    if !in_range(receipt_day) || !latest.succ_opt().is_some_and(in_range) {
        return Err(DeadlineError::OutOfRange);
    }

    Ok(Deadline {
        regime,
        time_zone: input.time_zone.name().to_owned(),
        calendar: dates.calendar,
        receipt_day,
        clock_start: dates.clock_start,
        credited_days: dates.credited_days,
        base_deadline: dates.base,
        deadline_if_extended: dates.if_extended,
        extended: input.extended,
        deadline,
        deadline_end,
        extension_notice_by: dates.extension_notice_by,
        acknowledge_by: dates.acknowledge_by,
    })
}

/// The regime-specific part of a [`Deadline`].
struct Dates {
    calendar: Option<CalendarCode>,
    clock_start: NaiveDate,
    credited_days: i64,
    base: NaiveDate,
    if_extended: Option<NaiveDate>,
    extension_notice_by: Option<NaiveDate>,
    acknowledge_by: Option<NaiveDate>,
}

/// EU and UK GDPR: one month, clamped, plus credited pause days, rolled forward.
fn month_dates(
    input: &DeadlineInput,
    receipt_day: NaiveDate,
    calendar: &Calendar,
    pause_counting: PauseCounting,
) -> Result<Dates, DeadlineError> {
    // UK Art. 12A: the clock starts at the latest of receipt and identity (a restart, not a
    // pause). `compute` has already rejected a restart for the EU.
    let clock_start = input
        .identity_received
        .map_or(receipt_day, |identity| identity.max(receipt_day));
    let credited = credited_days(&input.pauses, receipt_day, clock_start, pause_counting)?;
    let credit = Days::new(u64::try_from(credited).map_err(|_| DeadlineError::OutOfRange)?);

    // EU rules 2, 3, 6: same date next month (clamped), plus credited days, then roll.
    let unrolled = add_months_clamped(clock_start, 1)
        .and_then(|date| date.checked_add_days(credit))
        .ok_or(DeadlineError::OutOfRange)?;
    let base = calendar
        .checked_roll_forward(unrolled)
        .ok_or(DeadlineError::OutOfRange)?;
    // EU rule 5: start + 3 months, never the rolled one-month date + 2 months.
    let extended = add_months_clamped(clock_start, 3)
        .and_then(|date| date.checked_add_days(credit))
        .and_then(|date| calendar.checked_roll_forward(date))
        .ok_or(DeadlineError::OutOfRange)?;

    Ok(Dates {
        calendar: Some(calendar.code()),
        clock_start,
        credited_days: credited,
        base,
        if_extended: Some(extended),
        // Art. 12(3): the extension notice is due within the first month, i.e. by the one-month
        // deadline, which already includes the pauses (EU rule 6: it moves by the same days).
        extension_notice_by: Some(base),
        acknowledge_by: None,
    })
}

/// Calendar-day regimes: N days from the receipt day, never rolled (a conservative convention).
fn day_dates(
    receipt_day: NaiveDate,
    answer: u64,
    extended: Option<u64>,
    acknowledge_business_days: Option<u64>,
) -> Result<Dates, DeadlineError> {
    let plus = |days: u64| {
        receipt_day
            .checked_add_days(Days::new(days))
            .ok_or(DeadlineError::OutOfRange)
    };
    let base = plus(answer)?;
    let if_extended = extended.map(plus).transpose()?;
    let acknowledge_by = acknowledge_business_days
        .map(|days| add_business_days(receipt_day, days).ok_or(DeadlineError::OutOfRange))
        .transpose()?;
    Ok(Dates {
        calendar: None,
        clock_start: receipt_day,
        credited_days: 0,
        base,
        if_extended,
        // The notice of the later date is due within the first period.
        extension_notice_by: if_extended.map(|_| base),
        acknowledge_by,
    })
}

/// Validates pauses and sums the days they credit.
fn credited_days(
    pauses: &[PausePeriod],
    receipt_day: NaiveDate,
    clock_start: NaiveDate,
    counting: PauseCounting,
) -> Result<i64, DeadlineError> {
    for pause in pauses {
        if pause.answered < pause.asked {
            return Err(DeadlineError::PauseEndsBeforeStart {
                asked: pause.asked,
                answered: pause.answered,
            });
        }
        if pause.asked < receipt_day {
            return Err(DeadlineError::PauseBeforeReceipt {
                asked: pause.asked,
                receipt_day,
            });
        }
    }

    let mut sorted = pauses.to_vec();
    sorted.sort_by_key(|pause| (pause.asked, pause.answered));
    // Sorted by start, any overlap shows up between neighbours.
    for pair in sorted.windows(2) {
        let (first, second) = (pair[0], pair[1]);
        let overlaps = match counting {
            PauseCounting::DaysBetween => second.asked < first.answered,
            PauseCounting::BothEndsExcluded => second.asked <= first.answered,
        };
        if overlaps {
            return Err(DeadlineError::OverlappingPauses { first, second });
        }
    }

    sorted.iter().try_fold(0i64, |total, pause| {
        let days = match counting {
            // EU rule 6 (convention): the day asked counts, the day answered does not.
            PauseCounting::DaysBetween => (pause.answered - pause.asked).num_days(),
            // UK: both days excluded. The clock does not run before the identity restart, so a
            // clarification still pending at the restart only credits from the restart day on
            // (convention; see docs/deadlines.md).
            PauseCounting::BothEndsExcluded => {
                if pause.answered < clock_start {
                    0
                } else {
                    (pause.answered - pause.asked.max(clock_start)).num_days() + 1
                }
            }
        };
        total.checked_add(days).ok_or(DeadlineError::OutOfRange)
    })
}

/// `date` plus `months` calendar months; when the day does not exist in the target month, the last
/// day of that month (31 Jan + 1 → 28/29 Feb; 31 Mar + 1 → 30 Apr). `None` out of chrono's range.
pub fn add_months_clamped(date: NaiveDate, months: u32) -> Option<NaiveDate> {
    // chrono clamps to the end of the month, which is exactly DEADLINES.md EU rule 2.
    date.checked_add_months(Months::new(months))
}

/// The first instant of the local day after `date` in `time_zone`, as UTC: when a period ending
/// on `date` is over (DEADLINES.md EU rule 4). DST-correct; if local midnight does not exist (a
/// gap at midnight), the first instant of that day. `None` out of chrono's range.
pub fn local_day_end(date: NaiveDate, time_zone: Tz) -> Option<DateTime<Utc>> {
    local_day_start(date.succ_opt()?, time_zone)
}

/// The first instant of local day `date` in `time_zone`, as UTC. When local midnight occurs
/// twice (clocks set back across it) the earlier; when it does not exist, the instant the clocks
/// jump into the day. `None` out of chrono's range.
pub fn local_day_start(date: NaiveDate, time_zone: Tz) -> Option<DateTime<Utc>> {
    let midnight = date.and_hms_opt(0, 0, 0)?;
    match time_zone.from_local_datetime(&midnight) {
        LocalResult::Single(start) => Some(start.with_timezone(&Utc)),
        LocalResult::Ambiguous(first, second) => Some(first.min(second).with_timezone(&Utc)),
        LocalResult::None => first_instant_at_or_after(midnight, time_zone),
    }
}

/// The earliest UTC instant whose local time in `time_zone` is at or after `local`, found by
/// bisection over whole seconds (transitions happen on whole seconds). Used only when `local`
/// falls in a DST gap.
fn first_instant_at_or_after(local: NaiveDateTime, time_zone: Tz) -> Option<DateTime<Utc>> {
    // UTC offsets stay well within ±36 hours, so the answer lies in this window.
    const WINDOW: i64 = 36 * 3600;
    let reached = |timestamp: i64| -> Option<bool> {
        let instant = DateTime::from_timestamp(timestamp, 0)?;
        Some(local_time(instant, time_zone)? >= local)
    };
    let guess = local.and_utc().timestamp();
    let (mut before, mut after) = (guess.checked_sub(WINDOW)?, guess.checked_add(WINDOW)?);
    if reached(before)? || !reached(after)? {
        return None;
    }
    // Invariant: `before` has not reached `local`, `after` has.
    while after - before > 1 {
        let middle = before + (after - before) / 2;
        if reached(middle)? {
            after = middle;
        } else {
            before = middle;
        }
    }
    DateTime::from_timestamp(after, 0)
}

/// The local wall-clock time of `instant`, checked (chrono's own conversion panics at the edges
/// of its range).
fn local_time(instant: DateTime<Utc>, time_zone: Tz) -> Option<NaiveDateTime> {
    let utc = instant.naive_utc();
    utc.checked_add_offset(time_zone.offset_from_utc_datetime(&utc).fix())
}

/// The local calendar date of `instant` in `time_zone`.
fn local_date(instant: DateTime<Utc>, time_zone: Tz) -> Option<NaiveDate> {
    local_time(instant, time_zone).map(|local| local.date())
}

/// `days` business days (Monday to Friday; holidays are not skipped, which can only make the date
/// earlier) after `start`.
fn add_business_days(start: NaiveDate, days: u64) -> Option<NaiveDate> {
    let mut date = start;
    let mut left = days;
    while left > 0 {
        date = date.succ_opt()?;
        if !is_weekend(date) {
            left -= 1;
        }
    }
    Some(date)
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn at(rfc3339: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(rfc3339)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn pause(asked: NaiveDate, answered: NaiveDate) -> PausePeriod {
        PausePeriod { asked, answered }
    }

    fn deadline_of(regime: Regime, received: &str) -> Deadline {
        compute(&DeadlineInput::new(regime, at(received))).unwrap()
    }

    /// A midnight in the controller's zone, as UTC (for date-only examples).
    fn local_midnight(day: NaiveDate, tz: Tz) -> DateTime<Utc> {
        local_day_start(day, tz).unwrap()
    }

    // --- Worked examples of DEADLINES.md, one test each ---

    #[test]
    fn gdpr_request_received_10_march_is_due_10_april() {
        let d = deadline_of(Regime::Gdpr, "2026-03-10T10:00:00+01:00");
        assert_eq!(d.receipt_day, date(2026, 3, 10));
        assert_eq!(d.deadline, date(2026, 4, 10));
        assert_eq!(d.calendar, Some(CalendarCode::Be));
        assert_eq!(d.time_zone, "Europe/Brussels");
    }

    #[test]
    fn gdpr_deadline_on_saturday_3_october_rolls_to_monday_5_october() {
        let d = deadline_of(Regime::Gdpr, "2026-09-03T09:00:00+02:00");
        assert_eq!(d.deadline, date(2026, 10, 5));
    }

    #[test]
    fn gdpr_31_january_clamps_to_saturday_28_february_then_rolls_to_2_march() {
        let d = deadline_of(Regime::Gdpr, "2026-01-31T12:00:00+01:00");
        assert_eq!(d.deadline, date(2026, 3, 2));
    }

    #[test]
    fn gdpr_31_january_in_a_leap_year_is_due_29_february() {
        let d = deadline_of(Regime::Gdpr, "2028-01-31T12:00:00+01:00");
        assert_eq!(d.deadline, date(2028, 2, 29));
    }

    #[test]
    fn gdpr_31_march_clamps_to_30_april() {
        let d = deadline_of(Regime::Gdpr, "2026-03-31T12:00:00+02:00");
        assert_eq!(d.deadline, date(2026, 4, 30));
    }

    #[test]
    fn gdpr_deadline_on_easter_monday_rolls_to_tuesday_7_april() {
        let d = deadline_of(Regime::Gdpr, "2026-03-06T12:00:00+01:00");
        assert_eq!(d.deadline, date(2026, 4, 7));
    }

    #[test]
    fn gdpr_deadline_on_christmas_friday_rolls_past_the_weekend_to_28_december() {
        let d = deadline_of(Regime::Gdpr, "2026-11-25T12:00:00+01:00");
        assert_eq!(d.deadline, date(2026, 12, 28));
    }

    #[test]
    fn gdpr_receipt_day_is_the_brussels_date_not_the_utc_date() {
        let d = deadline_of(Regime::Gdpr, "2026-03-09T23:30:00Z");
        assert_eq!(d.receipt_day, date(2026, 3, 10));
        assert_eq!(d.deadline, date(2026, 4, 10));
    }

    #[test]
    fn gdpr_extension_runs_three_months_from_receipt_with_notice_due_at_the_one_month_deadline() {
        let mut input = DeadlineInput::new(Regime::Gdpr, at("2026-01-31T12:00:00+01:00"));
        input.extended = true;
        let d = compute(&input).unwrap();
        assert_eq!(d.deadline, date(2026, 4, 30));
        assert_eq!(d.base_deadline, date(2026, 3, 2));
        assert_eq!(d.deadline_if_extended, Some(date(2026, 4, 30)));
        assert_eq!(d.extension_notice_by, Some(date(2026, 3, 2)));
        assert!(d.extended);
    }

    #[test]
    fn gdpr_identity_pause_from_3_to_12_march_moves_the_deadline_to_13_april() {
        // 2 Apr + 9 credited days = Sat 11 Apr → Mon 13 Apr.
        let mut input = DeadlineInput::new(Regime::Gdpr, at("2026-03-02T09:00:00+01:00"));
        input.pauses = vec![pause(date(2026, 3, 3), date(2026, 3, 12))];
        let d = compute(&input).unwrap();
        assert_eq!(d.credited_days, 9);
        assert_eq!(d.deadline, date(2026, 4, 13));
    }

    #[test]
    fn uk_gdpr_deadline_on_saturday_3_october_rolls_to_monday_5_october() {
        let d = deadline_of(Regime::UkGdpr, "2026-09-03T09:00:00+01:00");
        assert_eq!(d.deadline, date(2026, 10, 5));
        assert_eq!(d.calendar, Some(CalendarCode::GbEaw));
        assert_eq!(d.time_zone, "Europe/London");
    }

    #[test]
    fn uk_gdpr_identity_received_10_february_restarts_the_clock_to_10_march() {
        let mut input = DeadlineInput::new(Regime::UkGdpr, at("2026-01-31T09:00:00Z"));
        input.identity_received = Some(date(2026, 2, 10));
        let d = compute(&input).unwrap();
        assert_eq!(d.receipt_day, date(2026, 1, 31));
        assert_eq!(d.clock_start, date(2026, 2, 10));
        assert_eq!(d.deadline, date(2026, 3, 10));
    }

    #[test]
    fn ccpa_request_received_9_january_in_los_angeles_is_due_23_february() {
        let received = local_midnight(date(2026, 1, 9), chrono_tz::America::Los_Angeles);
        let d = compute(&DeadlineInput::new(Regime::Ccpa, received)).unwrap();
        assert_eq!(d.receipt_day, date(2026, 1, 9));
        assert_eq!(d.deadline, date(2026, 2, 23));
        assert_eq!(d.calendar, None);
    }

    // --- GDPR details ---

    #[test]
    fn gdpr_weekend_receipt_still_counts_from_that_day() {
        // Sunday 8 March → Wednesday 8 April.
        let d = deadline_of(Regime::Gdpr, "2026-03-08T15:00:00+01:00");
        assert_eq!(d.receipt_day, date(2026, 3, 8));
        assert_eq!(d.deadline, date(2026, 4, 8));
    }

    #[test]
    fn gdpr_extended_deadline_is_not_computed_from_the_rolled_one_month_date() {
        // Base: Sat 3 Oct → Mon 5 Oct. Extended: 3 Dec (Thu), not 5 Dec.
        let mut input = DeadlineInput::new(Regime::Gdpr, at("2026-09-03T09:00:00+02:00"));
        input.extended = true;
        let d = compute(&input).unwrap();
        assert_eq!(d.base_deadline, date(2026, 10, 5));
        assert_eq!(d.deadline, date(2026, 12, 3));
    }

    #[test]
    fn gdpr_unextended_deadline_still_reports_what_an_extension_would_give() {
        let d = deadline_of(Regime::Gdpr, "2026-03-10T10:00:00+01:00");
        assert!(!d.extended);
        assert_eq!(d.deadline, d.base_deadline);
        assert_eq!(d.deadline_if_extended, Some(date(2026, 6, 10)));
        assert_eq!(d.extension_notice_by, Some(date(2026, 4, 10)));
        assert_eq!(d.acknowledge_by, None);
    }

    #[test]
    fn gdpr_pauses_add_up_and_move_the_extension_notice_and_the_extended_deadline() {
        // 10 Mar + 1 month = 10 Apr, + (4 + 6) days = Mon 20 Apr.
        let mut input = DeadlineInput::new(Regime::Gdpr, at("2026-03-10T10:00:00+01:00"));
        input.pauses = vec![
            pause(date(2026, 3, 20), date(2026, 3, 26)),
            pause(date(2026, 3, 11), date(2026, 3, 15)),
        ];
        input.extended = true;
        let d = compute(&input).unwrap();
        assert_eq!(d.credited_days, 10);
        assert_eq!(d.base_deadline, date(2026, 4, 20));
        assert_eq!(d.extension_notice_by, Some(date(2026, 4, 20)));
        // 10 Jun + 10 = Sat 20 Jun → Mon 22 Jun.
        assert_eq!(d.deadline, date(2026, 6, 22));
    }

    #[test]
    fn gdpr_pause_answered_the_day_it_was_asked_credits_nothing() {
        let mut input = DeadlineInput::new(Regime::Gdpr, at("2026-03-10T10:00:00+01:00"));
        input.pauses = vec![pause(date(2026, 3, 12), date(2026, 3, 12))];
        let d = compute(&input).unwrap();
        assert_eq!(d.credited_days, 0);
        assert_eq!(d.deadline, date(2026, 4, 10));
    }

    #[test]
    fn gdpr_pauses_that_only_touch_do_not_overlap() {
        let mut input = DeadlineInput::new(Regime::Gdpr, at("2026-03-10T10:00:00+01:00"));
        input.pauses = vec![
            pause(date(2026, 3, 11), date(2026, 3, 15)),
            pause(date(2026, 3, 15), date(2026, 3, 16)),
        ];
        assert_eq!(compute(&input).unwrap().credited_days, 5);
    }

    #[test]
    fn gdpr_uses_a_configured_calendar_and_its_extra_holidays() {
        // 10 Apr 2026 made a one-off holiday: Fri 10 → Mon 13.
        let mut input = DeadlineInput::new(Regime::Gdpr, at("2026-03-10T10:00:00+01:00"));
        input.calendar =
            Some(Calendar::new(CalendarCode::Be).with_extra_holidays([date(2026, 4, 10)]));
        assert_eq!(compute(&input).unwrap().deadline, date(2026, 4, 13));
        // Under GB-EAW, 3 Apr 2026 (Good Friday) is a holiday; in Belgium it is not.
        let mut input = DeadlineInput::new(Regime::Gdpr, at("2026-03-03T10:00:00+01:00"));
        assert_eq!(compute(&input).unwrap().deadline, date(2026, 4, 3));
        input.calendar = Some(Calendar::new(CalendarCode::GbEaw));
        let d = compute(&input).unwrap();
        assert_eq!(d.deadline, date(2026, 4, 7));
        assert_eq!(d.calendar, Some(CalendarCode::GbEaw));
    }

    #[test]
    fn gdpr_receipt_day_follows_a_configured_time_zone() {
        let mut input = DeadlineInput::new(Regime::Gdpr, at("2026-03-09T23:30:00Z"));
        input.time_zone = chrono_tz::Europe::Lisbon;
        let d = compute(&input).unwrap();
        assert_eq!(d.receipt_day, date(2026, 3, 9));
        assert_eq!(d.deadline, date(2026, 4, 9));
        assert_eq!(d.time_zone, "Europe/Lisbon");
    }

    // --- UK GDPR details ---

    #[test]
    fn uk_gdpr_clarification_pause_excludes_both_the_day_asked_and_the_day_answered() {
        // Same pause, EU vs UK: 8 vs 9 credited days.
        let received = at("2026-03-02T09:00:00Z");
        let pauses = vec![pause(date(2026, 3, 3), date(2026, 3, 11))];
        let mut eu = DeadlineInput::new(Regime::Gdpr, received);
        eu.pauses = pauses.clone();
        let mut uk = DeadlineInput::new(Regime::UkGdpr, received);
        uk.pauses = pauses;
        let eu = compute(&eu).unwrap();
        let uk = compute(&uk).unwrap();
        assert_eq!(eu.credited_days, 8);
        assert_eq!(eu.deadline, date(2026, 4, 10));
        assert_eq!(uk.credited_days, 9);
        // 2 Apr + 9 = Sat 11 Apr → Mon 13 Apr.
        assert_eq!(uk.deadline, date(2026, 4, 13));
    }

    #[test]
    fn uk_gdpr_pauses_sharing_a_day_overlap() {
        let mut input = DeadlineInput::new(Regime::UkGdpr, at("2026-03-02T09:00:00Z"));
        let first = pause(date(2026, 3, 3), date(2026, 3, 5));
        let second = pause(date(2026, 3, 5), date(2026, 3, 9));
        input.pauses = vec![second, first];
        assert_eq!(
            compute(&input),
            Err(DeadlineError::OverlappingPauses { first, second })
        );
    }

    #[test]
    fn uk_gdpr_extension_runs_three_months_from_the_clock_start() {
        let mut input = DeadlineInput::new(Regime::UkGdpr, at("2026-01-31T09:00:00Z"));
        input.identity_received = Some(date(2026, 2, 10));
        input.extended = true;
        let d = compute(&input).unwrap();
        // 10 May 2026 is a Sunday → Mon 11 May.
        assert_eq!(d.deadline, date(2026, 5, 11));
        assert_eq!(d.extension_notice_by, Some(date(2026, 3, 10)));
    }

    #[test]
    fn uk_gdpr_identity_received_on_the_receipt_day_changes_nothing() {
        let mut input = DeadlineInput::new(Regime::UkGdpr, at("2026-03-10T09:00:00Z"));
        input.identity_received = Some(date(2026, 3, 10));
        let d = compute(&input).unwrap();
        assert_eq!(d.clock_start, date(2026, 3, 10));
        assert_eq!(d.deadline, date(2026, 4, 10));
    }

    #[test]
    fn uk_gdpr_clarification_pending_at_the_identity_restart_credits_only_from_the_restart() {
        // Asked 3 Mar together with identity; identity 10 Mar; clarification 12 Mar.
        // Clock starts 10 Mar; 10, 11, 12 Mar are excluded: 10 Apr + 3 = Mon 13 Apr.
        let mut input = DeadlineInput::new(Regime::UkGdpr, at("2026-03-02T09:00:00Z"));
        input.identity_received = Some(date(2026, 3, 10));
        input.pauses = vec![
            pause(date(2026, 3, 2), date(2026, 3, 4)),
            pause(date(2026, 3, 5), date(2026, 3, 12)),
        ];
        let d = compute(&input).unwrap();
        assert_eq!(d.clock_start, date(2026, 3, 10));
        assert_eq!(d.credited_days, 3);
        assert_eq!(d.deadline, date(2026, 4, 13));
    }

    #[test]
    fn uk_gdpr_deadline_rolls_over_a_substitute_bank_holiday() {
        // 27 Nov 2027 + 1 month = Mon 27 Dec 2027, Christmas substitute; Tue 28 too → Wed 29.
        let d = deadline_of(Regime::UkGdpr, "2027-11-27T10:00:00Z");
        assert_eq!(d.deadline, date(2027, 12, 29));
    }

    // --- Calendar-day regimes ---

    #[test]
    fn ccpa_extension_gives_90_days_with_notice_within_the_first_45() {
        let received = local_midnight(date(2026, 1, 9), chrono_tz::America::Los_Angeles);
        let mut input = DeadlineInput::new(Regime::Ccpa, received);
        input.extended = true;
        let d = compute(&input).unwrap();
        assert_eq!(d.base_deadline, date(2026, 2, 23));
        assert_eq!(d.deadline, date(2026, 4, 9));
        assert_eq!(d.extension_notice_by, Some(date(2026, 2, 23)));
    }

    #[test]
    fn ccpa_acknowledgement_is_due_10_business_days_after_receipt() {
        // Fri 9 Jan: Mon 12 … Fri 16, Mon 19 … Fri 23.
        let received = local_midnight(date(2026, 1, 9), chrono_tz::America::Los_Angeles);
        let d = compute(&DeadlineInput::new(Regime::Ccpa, received)).unwrap();
        assert_eq!(d.acknowledge_by, Some(date(2026, 1, 23)));
        // A Saturday receipt gives the same Friday.
        let received = local_midnight(date(2026, 1, 10), chrono_tz::America::Los_Angeles);
        let d = compute(&DeadlineInput::new(Regime::Ccpa, received)).unwrap();
        assert_eq!(d.acknowledge_by, Some(date(2026, 1, 23)));
    }

    #[test]
    fn ccpa_deadline_on_a_saturday_does_not_roll() {
        let d = deadline_of(Regime::Ccpa, "2026-01-07T10:00:00-08:00");
        assert_eq!(d.deadline, date(2026, 2, 21));
    }

    #[test]
    fn ccpa_receipt_day_is_the_los_angeles_date() {
        // 07:30 UTC on 10 Jan is still 9 Jan in California.
        let d = deadline_of(Regime::Ccpa, "2026-01-10T07:30:00Z");
        assert_eq!(d.receipt_day, date(2026, 1, 9));
        assert_eq!(d.time_zone, "America/Los_Angeles");
    }

    #[test]
    fn ccpa_rejects_pauses_because_verification_does_not_pause_the_clock() {
        let mut input = DeadlineInput::new(Regime::Ccpa, at("2026-01-09T10:00:00-08:00"));
        input.pauses = vec![pause(date(2026, 1, 10), date(2026, 1, 12))];
        let err = compute(&input).unwrap_err();
        assert_eq!(
            err,
            DeadlineError::PausesNotApplicable {
                regime: Regime::Ccpa
            }
        );
        assert_eq!(
            err.to_string(),
            "pauses do not apply to regime ccpa (verification does not pause the 45-day period)"
        );
    }

    #[test]
    fn vcdpa_is_45_days_extendable_to_90_with_notice_within_45() {
        let mut input = DeadlineInput::new(Regime::Vcdpa, at("2026-01-09T10:00:00-05:00"));
        let d = compute(&input).unwrap();
        assert_eq!(d.deadline, date(2026, 2, 23));
        assert_eq!(d.acknowledge_by, None);
        input.extended = true;
        let d = compute(&input).unwrap();
        assert_eq!(d.deadline, date(2026, 4, 9));
        assert_eq!(d.extension_notice_by, Some(date(2026, 2, 23)));
        assert_eq!(d.time_zone, "America/New_York");
    }

    #[test]
    fn lgpd_is_15_days_without_extension() {
        let d = deadline_of(Regime::Lgpd, "2026-03-10T10:00:00-03:00");
        assert_eq!(d.deadline, date(2026, 3, 25));
        assert_eq!(d.deadline_if_extended, None);
        assert_eq!(d.extension_notice_by, None);
        assert_eq!(d.time_zone, "America/Sao_Paulo");
    }

    #[test]
    fn nfadp_is_30_days_with_a_conventional_later_date_of_60_days() {
        let mut input = DeadlineInput::new(Regime::Nfadp, at("2026-03-10T10:00:00+01:00"));
        let d = compute(&input).unwrap();
        assert_eq!(d.deadline, date(2026, 4, 9));
        input.extended = true;
        let d = compute(&input).unwrap();
        assert_eq!(d.deadline, date(2026, 5, 9));
        assert_eq!(d.extension_notice_by, Some(date(2026, 4, 9)));
        assert_eq!(d.time_zone, "Europe/Zurich");
    }

    #[test]
    fn quebec_is_30_days_without_extension() {
        let d = deadline_of(Regime::Quebec, "2026-03-10T10:00:00-04:00");
        assert_eq!(d.deadline, date(2026, 4, 9));
        assert_eq!(d.deadline_if_extended, None);
        assert_eq!(d.time_zone, "America/Toronto");
    }

    #[test]
    fn calendar_day_regimes_never_report_a_calendar_or_credited_days() {
        for regime in Regime::ALL
            .into_iter()
            .filter(|r| !r.counts_calendar_months())
        {
            let d = deadline_of(regime, "2026-03-10T12:00:00Z");
            assert_eq!(d.calendar, None, "{regime}");
            assert_eq!(d.credited_days, 0, "{regime}");
            assert_eq!(d.clock_start, d.receipt_day, "{regime}");
        }
    }

    // --- Errors ---

    #[test]
    fn extension_is_refused_for_lgpd_and_quebec() {
        for regime in [Regime::Lgpd, Regime::Quebec] {
            let mut input = DeadlineInput::new(regime, at("2026-03-10T12:00:00Z"));
            input.extended = true;
            let err = compute(&input).unwrap_err();
            assert_eq!(err, DeadlineError::ExtensionNotAvailable { regime });
            assert_eq!(
                err.to_string(),
                format!("extension not available for regime {regime}")
            );
        }
    }

    #[test]
    fn calendar_day_regimes_reject_an_explicit_calendar() {
        for regime in [
            Regime::Ccpa,
            Regime::Vcdpa,
            Regime::Lgpd,
            Regime::Nfadp,
            Regime::Quebec,
        ] {
            let mut input = DeadlineInput::new(regime, at("2026-03-10T12:00:00Z"));
            input.calendar = Some(Calendar::new(CalendarCode::Be));
            assert_eq!(
                compute(&input),
                Err(DeadlineError::CalendarNotApplicable {
                    regime,
                    calendar: CalendarCode::Be
                })
            );
        }
    }

    #[test]
    fn pauses_are_rejected_for_every_calendar_day_regime() {
        for regime in [Regime::Vcdpa, Regime::Lgpd, Regime::Nfadp, Regime::Quebec] {
            let mut input = DeadlineInput::new(regime, at("2026-03-10T12:00:00Z"));
            input.pauses = vec![pause(date(2026, 3, 11), date(2026, 3, 12))];
            assert_eq!(
                compute(&input),
                Err(DeadlineError::PausesNotApplicable { regime })
            );
        }
    }

    #[test]
    fn a_pause_answered_before_it_was_asked_is_rejected() {
        let mut input = DeadlineInput::new(Regime::Gdpr, at("2026-03-10T12:00:00Z"));
        input.pauses = vec![pause(date(2026, 3, 15), date(2026, 3, 12))];
        let err = compute(&input).unwrap_err();
        assert_eq!(
            err,
            DeadlineError::PauseEndsBeforeStart {
                asked: date(2026, 3, 15),
                answered: date(2026, 3, 12)
            }
        );
        assert_eq!(
            err.to_string(),
            "pause ends before it starts: answered 2026-03-12 before asked 2026-03-15"
        );
    }

    #[test]
    fn a_pause_asked_before_receipt_is_rejected() {
        let mut input = DeadlineInput::new(Regime::UkGdpr, at("2026-03-10T12:00:00Z"));
        input.pauses = vec![pause(date(2026, 3, 9), date(2026, 3, 12))];
        assert_eq!(
            compute(&input),
            Err(DeadlineError::PauseBeforeReceipt {
                asked: date(2026, 3, 9),
                receipt_day: date(2026, 3, 10)
            })
        );
    }

    #[test]
    fn overlapping_gdpr_pauses_are_rejected() {
        let mut input = DeadlineInput::new(Regime::Gdpr, at("2026-03-10T12:00:00Z"));
        let first = pause(date(2026, 3, 11), date(2026, 3, 20));
        let second = pause(date(2026, 3, 19), date(2026, 3, 25));
        input.pauses = vec![first, second];
        let err = compute(&input).unwrap_err();
        assert_eq!(err, DeadlineError::OverlappingPauses { first, second });
        assert_eq!(
            err.to_string(),
            "overlapping pauses: 2026-03-11..2026-03-20 and 2026-03-19..2026-03-25"
        );
    }

    #[test]
    fn identity_restart_is_rejected_outside_uk_gdpr() {
        for regime in Regime::ALL.into_iter().filter(|r| *r != Regime::UkGdpr) {
            let mut input = DeadlineInput::new(regime, at("2026-03-10T12:00:00Z"));
            input.identity_received = Some(date(2026, 3, 12));
            assert_eq!(
                compute(&input),
                Err(DeadlineError::IdentityRestartNotApplicable { regime })
            );
        }
    }

    #[test]
    fn identity_received_before_the_request_is_rejected() {
        let mut input = DeadlineInput::new(Regime::UkGdpr, at("2026-03-10T12:00:00Z"));
        input.identity_received = Some(date(2026, 3, 9));
        assert_eq!(
            compute(&input),
            Err(DeadlineError::IdentityBeforeReceipt {
                identity_received: date(2026, 3, 9),
                receipt_day: date(2026, 3, 10)
            })
        );
    }

    #[test]
    fn requests_outside_years_1_to_9999_are_out_of_range() {
        // Every output date counts, including what an extension would give.
        let input = DeadlineInput::new(Regime::Gdpr, at("9999-09-15T12:00:00Z"));
        assert_eq!(
            compute(&input).unwrap().deadline_if_extended,
            Some(date(9999, 12, 15))
        );
        let input = DeadlineInput::new(Regime::Gdpr, at("9999-10-15T12:00:00Z"));
        assert_eq!(compute(&input), Err(DeadlineError::OutOfRange));
        let input = DeadlineInput::new(Regime::Ccpa, at("0000-12-31T12:00:00Z"));
        assert_eq!(compute(&input), Err(DeadlineError::OutOfRange));
        let input = DeadlineInput::new(Regime::Ccpa, at("0001-01-01T12:00:00Z"));
        assert!(compute(&input).is_ok());
    }

    #[test]
    fn instants_at_the_edges_of_chrono_range_are_out_of_range_not_a_panic() {
        for regime in Regime::ALL {
            for instant in [DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC] {
                let input = DeadlineInput::new(regime, instant);
                assert_eq!(compute(&input), Err(DeadlineError::OutOfRange), "{regime}");
            }
        }
    }

    // --- add_months_clamped ---

    #[test]
    fn adding_months_clamps_to_the_end_of_a_shorter_month() {
        assert_eq!(
            add_months_clamped(date(2026, 1, 31), 1),
            Some(date(2026, 2, 28))
        );
        assert_eq!(
            add_months_clamped(date(2028, 1, 31), 1),
            Some(date(2028, 2, 29))
        );
        assert_eq!(
            add_months_clamped(date(2026, 3, 31), 1),
            Some(date(2026, 4, 30))
        );
        assert_eq!(
            add_months_clamped(date(2025, 11, 30), 3),
            Some(date(2026, 2, 28))
        );
        assert_eq!(
            add_months_clamped(date(2026, 12, 15), 1),
            Some(date(2027, 1, 15))
        );
        assert_eq!(
            add_months_clamped(date(2026, 5, 10), 0),
            Some(date(2026, 5, 10))
        );
        assert_eq!(add_months_clamped(NaiveDate::MAX, 1), None);
    }

    // --- deadline_end and DST ---

    #[test]
    fn deadline_end_before_the_spring_dst_change_in_brussels_is_23_00_utc() {
        // Sat 28 Mar 2026 ends at local midnight of Sun 29 Mar, still CET (+01:00).
        assert_eq!(
            local_day_end(date(2026, 3, 28), chrono_tz::Europe::Brussels),
            Some(at("2026-03-28T23:00:00Z"))
        );
        // Sun 29 Mar (the 23-hour day) ends at midnight CEST (+02:00).
        assert_eq!(
            local_day_end(date(2026, 3, 29), chrono_tz::Europe::Brussels),
            Some(at("2026-03-29T22:00:00Z"))
        );
    }

    #[test]
    fn deadline_end_around_the_autumn_dst_change_in_brussels() {
        // Sat 24 Oct 2026 ends at midnight of Sun 25 Oct, still CEST.
        assert_eq!(
            local_day_end(date(2026, 10, 24), chrono_tz::Europe::Brussels),
            Some(at("2026-10-24T22:00:00Z"))
        );
        // Sun 25 Oct (the 25-hour day) ends at midnight CET.
        assert_eq!(
            local_day_end(date(2026, 10, 25), chrono_tz::Europe::Brussels),
            Some(at("2026-10-25T23:00:00Z"))
        );
    }

    #[test]
    fn deadline_end_around_the_dst_changes_in_london() {
        let london = chrono_tz::Europe::London;
        assert_eq!(
            local_day_end(date(2026, 3, 28), london),
            Some(at("2026-03-29T00:00:00Z"))
        );
        assert_eq!(
            local_day_end(date(2026, 3, 29), london),
            Some(at("2026-03-29T23:00:00Z"))
        );
        assert_eq!(
            local_day_end(date(2026, 10, 24), london),
            Some(at("2026-10-24T23:00:00Z"))
        );
        assert_eq!(
            local_day_end(date(2026, 10, 25), london),
            Some(at("2026-10-26T00:00:00Z"))
        );
    }

    #[test]
    fn computed_deadline_end_is_the_start_of_the_next_brussels_day() {
        // lgpd counted in a configured Brussels zone: 13 Mar + 15 days = Sat 28 Mar.
        let mut input = DeadlineInput::new(Regime::Lgpd, at("2026-03-13T10:00:00Z"));
        input.time_zone = chrono_tz::Europe::Brussels;
        let d = compute(&input).unwrap();
        assert_eq!(d.deadline, date(2026, 3, 28));
        assert_eq!(d.deadline_end, at("2026-03-28T23:00:00Z"));

        let d = deadline_of(Regime::Gdpr, "2026-01-31T12:00:00+01:00");
        assert_eq!(d.deadline_end, at("2026-03-02T23:00:00Z"));
        let d = deadline_of(Regime::Gdpr, "2026-09-03T09:00:00+02:00");
        assert_eq!(d.deadline_end, at("2026-10-05T22:00:00Z"));
    }

    #[test]
    fn deadline_end_when_local_midnight_does_not_exist_is_the_first_instant_of_the_day() {
        // São Paulo, 4 Nov 2018: clocks jumped from 00:00 (-03:00) to 01:00 (-02:00).
        assert_eq!(
            local_day_end(date(2018, 11, 3), chrono_tz::America::Sao_Paulo),
            Some(at("2018-11-04T03:00:00Z"))
        );
    }

    #[test]
    fn deadline_end_when_local_midnight_happens_twice_is_the_first_of_the_two() {
        // Havana, 2 Nov 2025: clocks went back from 01:00 (-04:00) to 00:00 (-05:00).
        assert_eq!(
            local_day_end(date(2025, 11, 1), chrono_tz::America::Havana),
            Some(at("2025-11-02T04:00:00Z"))
        );
    }

    #[test]
    fn a_day_skipped_entirely_ends_where_the_next_existing_day_begins() {
        // Samoa skipped 30 Dec 2011: 29 Dec 23:59:59 (-10:00) was followed by 31 Dec 00:00 (+14:00).
        let apia = chrono_tz::Pacific::Apia;
        assert_eq!(
            local_day_end(date(2011, 12, 29), apia),
            Some(at("2011-12-30T10:00:00Z"))
        );
        assert_eq!(
            local_day_start(date(2011, 12, 31), apia),
            Some(at("2011-12-30T10:00:00Z"))
        );
    }

    // --- Serialisation ---

    #[test]
    fn deadline_serialises_with_snake_case_fields_iso_dates_and_utc_instants() {
        let mut input = DeadlineInput::new(Regime::Gdpr, at("2026-01-31T12:00:00+01:00"));
        input.extended = true;
        let json = serde_json::to_value(compute(&input).unwrap()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "regime": "gdpr",
                "time_zone": "Europe/Brussels",
                "calendar": "BE",
                "receipt_day": "2026-01-31",
                "clock_start": "2026-01-31",
                "credited_days": 0,
                "base_deadline": "2026-03-02",
                "deadline_if_extended": "2026-04-30",
                "extended": true,
                "deadline": "2026-04-30",
                "deadline_end": "2026-04-30T22:00:00Z",
                "extension_notice_by": "2026-03-02",
                "acknowledge_by": null,
            })
        );
    }

    #[test]
    fn the_counting_table_agrees_with_the_regime_facts() {
        for regime in Regime::ALL {
            match counting(regime) {
                Counting::Months {
                    default_calendar,
                    identity_restart,
                    ..
                } => {
                    assert!(regime.counts_calendar_months(), "{regime}");
                    assert!(regime.allows_extension(), "{regime}");
                    assert_eq!(regime.default_calendar(), Some(default_calendar));
                    assert_eq!(identity_restart, regime == Regime::UkGdpr);
                }
                Counting::Days { extended, .. } => {
                    assert!(!regime.counts_calendar_months(), "{regime}");
                    assert_eq!(regime.default_calendar(), None, "{regime}");
                    assert_eq!(extended.is_some(), regime.allows_extension(), "{regime}");
                }
            }
        }
    }

    // --- Properties ---

    /// 1900-01-01T00:00:00Z ..= 2200-12-31T23:59:59Z.
    fn received_1900_to_2200() -> impl Strategy<Value = DateTime<Utc>> {
        (-2_208_988_800i64..=7_289_654_399).prop_map(|s| DateTime::from_timestamp(s, 0).unwrap())
    }

    fn zones() -> impl Strategy<Value = Tz> {
        prop::sample::select(vec![
            chrono_tz::Europe::Brussels,
            chrono_tz::Europe::London,
            chrono_tz::Europe::Dublin,
            chrono_tz::America::Sao_Paulo,
            chrono_tz::America::St_Johns,
            chrono_tz::America::Havana,
            chrono_tz::Asia::Kathmandu,
            chrono_tz::Australia::Lord_Howe,
            chrono_tz::Pacific::Apia,
            chrono_tz::Pacific::Kiritimati,
        ])
    }

    fn calendars() -> impl Strategy<Value = Option<CalendarCode>> {
        prop::option::of(prop::sample::select(CalendarCode::ALL.to_vec()))
    }

    /// (days after the previous pause or receipt, length) pairs.
    fn pause_shapes() -> impl Strategy<Value = Vec<(u64, u64)>> {
        prop::collection::vec((0u64..40, 0u64..30), 0..4)
    }

    /// Non-overlapping pauses laid out from `start`; `closed` leaves a day between them.
    fn lay_out(start: NaiveDate, shapes: &[(u64, u64)], closed: bool) -> Vec<PausePeriod> {
        let mut next = start;
        let mut pauses = Vec::new();
        for (gap, length) in shapes {
            let asked = next + Days::new(*gap);
            let answered = asked + Days::new(*length);
            pauses.push(pause(asked, answered));
            next = answered + Days::new(u64::from(closed));
        }
        pauses
    }

    fn check_month_regime_properties(
        input: &DeadlineInput,
        calendar: &Calendar,
    ) -> Result<(), TestCaseError> {
        let d = compute(input).unwrap();
        let extended = d.deadline_if_extended.unwrap();
        let notice_by = d.extension_notice_by.unwrap();
        let unrolled =
            add_months_clamped(d.clock_start, 1).unwrap() + Days::new(d.credited_days as u64);

        prop_assert!(d.deadline >= d.receipt_day + Days::new(28));
        prop_assert!(calendar.is_working_day(d.deadline));
        prop_assert!(calendar.is_working_day(d.base_deadline));
        prop_assert!(calendar.is_working_day(extended));
        prop_assert!(d.deadline_end > input.received_at);
        prop_assert!(extended >= d.base_deadline);
        prop_assert!(notice_by <= d.deadline);
        prop_assert_eq!(notice_by, d.base_deadline);
        prop_assert_eq!(
            d.deadline,
            if input.extended {
                extended
            } else {
                d.base_deadline
            }
        );
        // Rolling only moves forward, and stops at the first working day.
        prop_assert!(d.base_deadline >= unrolled);
        let mut day = unrolled;
        while day < d.base_deadline {
            prop_assert!(!calendar.is_working_day(day));
            day = day.succ_opt().unwrap();
        }
        // deadline_end is the first instant of the local day after the deadline.
        let tz = input.time_zone;
        let end_local = local_date(d.deadline_end, tz).unwrap();
        let just_before = local_date(d.deadline_end - chrono::TimeDelta::seconds(1), tz).unwrap();
        prop_assert_eq!(end_local, d.deadline.succ_opt().unwrap());
        prop_assert!(just_before <= d.deadline);
        Ok(())
    }

    proptest! {
        #[test]
        fn gdpr_deadlines_hold_their_invariants(
            received_at in received_1900_to_2200(),
            time_zone in zones(),
            code in calendars(),
            extra in prop::collection::vec(0u64..120, 0..6),
            shapes in pause_shapes(),
            extended in any::<bool>(),
        ) {
            let receipt_day = local_date(received_at, time_zone).unwrap();
            let calendar = Calendar::new(code.unwrap_or(CalendarCode::Be))
                .with_extra_holidays(extra.iter().map(|d| receipt_day + Days::new(*d)));
            let input = DeadlineInput {
                regime: Regime::Gdpr,
                received_at,
                time_zone,
                calendar: code.map(|_| calendar.clone()),
                extended,
                pauses: lay_out(receipt_day, &shapes, false),
                identity_received: None,
            };
            let effective = if code.is_some() { calendar } else { Calendar::new(CalendarCode::Be) };
            check_month_regime_properties(&input, &effective)?;
            let d = compute(&input).unwrap();
            let credited: i64 = input.pauses.iter().map(|p| (p.answered - p.asked).num_days()).sum();
            prop_assert_eq!(d.credited_days, credited);
            prop_assert_eq!(d.clock_start, d.receipt_day);
        }

        #[test]
        fn uk_gdpr_deadlines_hold_their_invariants(
            received_at in received_1900_to_2200(),
            time_zone in zones(),
            code in calendars(),
            extra in prop::collection::vec(0u64..180, 0..6),
            identity_after in prop::option::of(0u64..60),
            shapes in pause_shapes(),
            extended in any::<bool>(),
        ) {
            let receipt_day = local_date(received_at, time_zone).unwrap();
            let calendar = Calendar::new(code.unwrap_or(CalendarCode::GbEaw))
                .with_extra_holidays(extra.iter().map(|d| receipt_day + Days::new(*d)));
            let identity_received = identity_after.map(|d| receipt_day + Days::new(d));
            let input = DeadlineInput {
                regime: Regime::UkGdpr,
                received_at,
                time_zone,
                calendar: code.map(|_| calendar.clone()),
                extended,
                pauses: lay_out(receipt_day, &shapes, true),
                identity_received,
            };
            let effective = if code.is_some() { calendar } else { Calendar::new(CalendarCode::GbEaw) };
            check_month_regime_properties(&input, &effective)?;
            let d = compute(&input).unwrap();
            prop_assert_eq!(d.clock_start, identity_received.unwrap_or(receipt_day));
            prop_assert!(d.credited_days >= 0);
            // Without pauses, a restart never makes the deadline earlier than counting from
            // receipt (month addition and rolling are monotonic).
            let mut restarted = input.clone();
            restarted.pauses.clear();
            let mut from_receipt = restarted.clone();
            from_receipt.identity_received = None;
            prop_assert!(
                compute(&restarted).unwrap().deadline >= compute(&from_receipt).unwrap().deadline
            );
        }

        #[test]
        fn calendar_day_regimes_count_plain_days_from_the_local_receipt_day(
            received_at in received_1900_to_2200(),
            time_zone in zones(),
            regime in prop::sample::select(vec![
                Regime::Ccpa, Regime::Vcdpa, Regime::Lgpd, Regime::Nfadp, Regime::Quebec,
            ]),
            extended in any::<bool>(),
        ) {
            let mut input = DeadlineInput::new(regime, received_at);
            input.time_zone = time_zone;
            input.extended = extended && regime.allows_extension();
            let d = compute(&input).unwrap();
            let days = (d.base_deadline - d.receipt_day).num_days();
            prop_assert_eq!(days, match regime { Regime::Lgpd => 15, Regime::Ccpa | Regime::Vcdpa => 45, _ => 30 });
            prop_assert!(d.deadline_end > received_at);
            if let Some(later) = d.deadline_if_extended {
                prop_assert!(later > d.base_deadline);
                prop_assert_eq!(d.extension_notice_by, Some(d.base_deadline));
            }
            if let Some(ack) = d.acknowledge_by {
                prop_assert!(ack > d.receipt_day && ack < d.base_deadline);
                prop_assert!(!is_weekend(ack));
                prop_assert_eq!((ack - d.receipt_day).num_days().clamp(12, 16), (ack - d.receipt_day).num_days());
            }
        }

        #[test]
        fn compute_never_panics_on_any_instant_chrono_can_hold(
            seconds in DateTime::<Utc>::MIN_UTC.timestamp()..=DateTime::<Utc>::MAX_UTC.timestamp(),
            regime in prop::sample::select(Regime::ALL.to_vec()),
            time_zone in zones(),
        ) {
            let mut input = DeadlineInput::new(regime, DateTime::from_timestamp(seconds, 0).unwrap());
            input.time_zone = time_zone;
            input.extended = regime.allows_extension();
            match compute(&input) {
                Ok(d) => prop_assert!(d.deadline >= d.receipt_day),
                Err(e) => prop_assert_eq!(e, DeadlineError::OutOfRange),
            }
        }
    }
}
