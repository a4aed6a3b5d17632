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

/// How the days a requester took to identify themselves count, by regime: the closed and open
/// waits (`asked`..`answered`, an open one answered today) become the input's `pauses` and
/// `identity_received`.
///
/// - `gdpr`: each wait suspends the clock (EDPB Guidelines 01/2022 §5.3).
/// - `uk-gdpr`: the clock starts when the identity information arrives (Art. 12A): the last
///   answer restarts it.
/// - The calendar-day regimes: verification does not stop the clock.
pub fn identity_waits(
    regime: Regime,
    waits: Vec<PausePeriod>,
) -> (Vec<PausePeriod>, Option<NaiveDate>) {
    match regime {
        Regime::Gdpr => (waits, None),
        Regime::UkGdpr => (Vec::new(), waits.iter().map(|p| p.answered).max()),
        Regime::Ccpa | Regime::Vcdpa | Regime::Lgpd | Regime::Nfadp | Regime::Quebec => {
            (Vec::new(), None)
        }
    }
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
mod tests {
    use super::*;

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
}
