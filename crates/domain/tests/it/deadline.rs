//! The deadline engine from the outside: every worked example of `shared/legal/DEADLINES.md`,
//! each regime's rules, and properties over thousands of receipt instants and time zones.

use chrono::{DateTime, Datelike, Days, NaiveDate, Utc, Weekday};
use chrono_tz::Tz;
use dsrflow_domain::calendar::{Calendar, CalendarCode};
use dsrflow_domain::deadline::*;
use dsrflow_domain::regime::Regime;
use proptest::prelude::*;

/// The local calendar day of an instant.
fn local_date(instant: DateTime<Utc>, tz: Tz) -> Option<NaiveDate> {
    Some(instant.with_timezone(&tz).date_naive())
}

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
    input.calendar = Some(Calendar::new(CalendarCode::Be).with_extra_holidays([date(2026, 4, 10)]));
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
            prop_assert!(!matches!(ack.weekday(), Weekday::Sat | Weekday::Sun));
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

/// The days a requester took to identify themselves: they suspend the EU clock, restart the UK
/// one at the last answer, and do not count under the calendar-day regimes.
#[test]
fn identity_waits_count_by_regime() {
    use dsrflow_domain::deadline::identity_waits;
    let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date");
    let waits = vec![
        PausePeriod {
            asked: d("2026-03-02"),
            answered: d("2026-03-05"),
        },
        PausePeriod {
            asked: d("2026-03-09"),
            answered: d("2026-03-10"),
        },
    ];
    assert_eq!(
        identity_waits(Regime::Gdpr, waits.clone()),
        (waits.clone(), None)
    );
    assert_eq!(
        identity_waits(Regime::UkGdpr, waits.clone()),
        (Vec::new(), Some(d("2026-03-10")))
    );
    for regime in [
        Regime::Ccpa,
        Regime::Vcdpa,
        Regime::Lgpd,
        Regime::Nfadp,
        Regime::Quebec,
    ] {
        assert_eq!(
            identity_waits(regime, waits.clone()),
            (Vec::new(), None),
            "{regime}"
        );
    }
}
