//! `dsrflow deadline`: the deadline engine by hand, so an officer can check a date.

use std::process::ExitCode;

use anyhow::{Context, anyhow, bail};
use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use clap::Args;
use dsrflow_domain::deadline::{self, DeadlineInput, PausePeriod};
use dsrflow_domain::{CalendarCode, Regime};

use crate::config::Config;

/// Options of `deadline`.
#[derive(Debug, Args)]
pub struct DeadlineArgs {
    /// gdpr, uk-gdpr, ccpa, vcdpa, lgpd, nfadp or quebec.
    #[arg(long)]
    pub regime: String,
    /// When the request was received: RFC 3339 (2026-01-31T12:00:00+01:00), or a local date
    /// (2026-01-31) in the controller's time zone.
    #[arg(long, value_name = "RFC3339|DATE")]
    pub received: String,
    /// Holiday calendar: BE (default for gdpr) or GB-EAW (default for uk-gdpr).
    #[arg(long, value_name = "CODE")]
    pub calendar: Option<String>,
    /// The controller's IANA time zone (default: the regime's, e.g. Europe/Brussels for gdpr).
    #[arg(long, value_name = "TZ")]
    pub time_zone: Option<String>,
    /// The deadline was extended (Art. 12(3): +2 months from receipt, then rolled).
    #[arg(long)]
    pub extended: bool,
    /// A pause: identity information asked FROM and received TO (local dates, repeatable).
    #[arg(long = "pause", value_name = "FROM..TO")]
    pub pauses: Vec<String>,
    /// uk-gdpr: the day requested identity information arrived (the clock restarts).
    #[arg(long, value_name = "DATE")]
    pub identity_received: Option<String>,
    /// Print a JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

fn parse_date(s: &str, what: &str) -> anyhow::Result<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| anyhow!("{what}: {s:?} is not a date (YYYY-MM-DD)"))
}

/// Computes and prints the deadline.
pub fn run(cfg: &Config, args: DeadlineArgs) -> anyhow::Result<ExitCode> {
    let regime: Regime = args.regime.parse().map_err(|e| anyhow!("--regime: {e}"))?;
    let controller = &cfg.settings.controller;
    let time_zone: Tz = match &args.time_zone {
        Some(tz) => tz.parse().map_err(|_| {
            anyhow!("--time-zone: {tz:?} is not an IANA time zone such as Europe/Brussels")
        })?,
        None => controller.time_zone_for(regime),
    };
    let received_at: DateTime<Utc> = match DateTime::parse_from_rfc3339(args.received.trim()) {
        Ok(t) => t.with_timezone(&Utc),
        Err(_) => {
            let day = parse_date(&args.received, "--received").map_err(|_| {
                anyhow!(
                    "--received: {:?} is neither an RFC 3339 date-time (2026-01-31T12:00:00+01:00) nor a date (2026-01-31)",
                    args.received
                )
            })?;
            let noon = day.and_time(NaiveTime::from_hms_opt(12, 0, 0).unwrap_or_default());
            time_zone
                .from_local_datetime(&noon)
                .earliest()
                .context("--received: that local time does not exist")?
                .with_timezone(&Utc)
        }
    };
    let calendar = match &args.calendar {
        Some(code) => {
            let code: CalendarCode = code.parse().map_err(|e| anyhow!("--calendar: {e}"))?;
            Some(controller.calendar_with_extras(code))
        }
        None => controller.calendar_for(regime),
    };
    let mut pauses = Vec::new();
    for p in &args.pauses {
        let (from, to) = p
            .split_once("..")
            .ok_or_else(|| anyhow!("--pause: {p:?} must look like 2026-03-03..2026-03-12"))?;
        pauses.push(PausePeriod {
            asked: parse_date(from, "--pause")?,
            answered: parse_date(to, "--pause")?,
        });
    }
    let identity_received = args
        .identity_received
        .as_deref()
        .map(|d| parse_date(d, "--identity-received"))
        .transpose()?;
    let dl = deadline::compute(&DeadlineInput {
        regime,
        received_at,
        time_zone,
        calendar,
        extended: args.extended,
        pauses,
        identity_received,
    })
    .map_err(|e| anyhow!("{e}"))?;

    if args.json {
        let mut v = serde_json::to_value(&dl)?;
        if let Some(obj) = v.as_object_mut() {
            obj.insert("received_at".to_owned(), serde_json::json!(received_at));
        }
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(ExitCode::SUCCESS);
    }
    let wd = |d: NaiveDate| d.format("%Y-%m-%d (%A)").to_string();
    println!("regime:               {}", dl.regime);
    println!(
        "time zone, calendar:  {}, {}",
        dl.time_zone,
        dl.calendar
            .map(|c| c.to_string())
            .unwrap_or_else(|| "calendar days (no roll-forward)".to_owned())
    );
    println!("received:             {}", received_at.to_rfc3339());
    println!("receipt day:          {} — not counted", wd(dl.receipt_day));
    if dl.clock_start != dl.receipt_day {
        println!("clock restarted:      {}", wd(dl.clock_start));
    }
    if dl.credited_days > 0 {
        println!("paused days credited: {}", dl.credited_days);
    }
    println!("deadline:             {}", wd(dl.deadline));
    println!(
        "period ends:          {} (end of the deadline day, local time)",
        dl.deadline_end.to_rfc3339()
    );
    if let Some(n) = dl.extension_notice_by {
        println!("extension notice by:  {}", wd(n));
    }
    match (dl.extended, dl.deadline_if_extended) {
        (true, _) => println!(
            "extended:             yes (unextended deadline {})",
            wd(dl.base_deadline)
        ),
        (false, Some(e)) => println!("if extended:          {}", wd(e)),
        (false, None) => println!("extension:            not available under {}", dl.regime),
    }
    if let Some(a) = dl.acknowledge_by {
        println!("acknowledge by:       {}", wd(a));
    }
    if dl.deadline < dl.receipt_day {
        bail!("internal error: deadline before receipt");
    }
    Ok(ExitCode::SUCCESS)
}
