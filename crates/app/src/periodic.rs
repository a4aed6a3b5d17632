//! The periodic work: which use cases run on a schedule, how often, and the claim that makes
//! each run once per period across every node (a row per job and period in `periodic_run`;
//! the first node to insert it runs the job, the others see the row and skip).
//!
//! A new periodic job is one variant here: its name, its period and what it runs. The
//! worker's cron tick walks [`PeriodicJob::ALL`].

use chrono::{DateTime, TimeDelta, Utc};

use crate::{App, AppError};

/// A job that runs once per period across the cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeriodicJob {
    /// Re-enqueues what a crash left behind, deletes expired packages, closes requests whose
    /// requester never confirmed, forgets old claims.
    Reconcile,
    /// The officer's deadline sweep: reminders, escalations, the daily digest.
    Reminders,
    /// Reads the privacy@ mailbox (only with `[inbox]` configured).
    Inbox,
    /// Deletes finished rows of the job queue (the worker does it: it owns the queue).
    QueuePrune,
}

impl PeriodicJob {
    /// Every periodic job, in the order the tick runs them.
    pub const ALL: [PeriodicJob; 4] = [
        PeriodicJob::Reconcile,
        PeriodicJob::Reminders,
        PeriodicJob::Inbox,
        PeriodicJob::QueuePrune,
    ];

    /// The stable name stored with each claim.
    pub fn name(self) -> &'static str {
        match self {
            PeriodicJob::Reconcile => "reconcile",
            PeriodicJob::Reminders => "reminders",
            PeriodicJob::Inbox => "inbox",
            PeriodicJob::QueuePrune => "queue-prune",
        }
    }

    /// How often it runs; None when it is not configured (no `[inbox]`).
    pub fn period(self, app: &App) -> Option<TimeDelta> {
        match self {
            PeriodicJob::Reconcile => Some(TimeDelta::seconds(30)),
            PeriodicJob::Reminders => Some(TimeDelta::minutes(15)),
            PeriodicJob::Inbox => app
                .settings
                .inbox
                .as_ref()
                .map(|i| TimeDelta::from_std(i.poll_interval).unwrap_or(TimeDelta::seconds(60))),
            PeriodicJob::QueuePrune => Some(TimeDelta::hours(1)),
        }
    }
}

/// The start of the period `now` falls in.
pub fn period_start(now: DateTime<Utc>, period: TimeDelta) -> DateTime<Utc> {
    let secs = period.num_seconds().max(1);
    DateTime::<Utc>::from_timestamp(now.timestamp().div_euclid(secs) * secs, 0).unwrap_or(now)
}

/// Claims the current period of `job` for `node`: true when this node is the first (and so
/// must run it), false when another node has, or the job is not configured.
pub async fn claim(app: &App, job: PeriodicJob, node: &str) -> Result<bool, AppError> {
    let Some(period) = job.period(app) else {
        return Ok(false);
    };
    let now = app.clock.now();
    let tick = period_start(now, period)
        .format("%Y-%m-%dT%H:%M:%S")
        .to_string();
    Ok(dsrflow_store::tasks::claim_tick(app.store.db(), job.name(), &tick, node, now).await?)
}

/// Runs a claimed job's use cases. [`PeriodicJob::QueuePrune`] does nothing here: the worker
/// prunes its own queue. Each part of [`PeriodicJob::Reconcile`] runs whatever the others did;
/// their failures are logged and retried at the next period.
pub async fn run(app: &App, job: PeriodicJob) -> Result<(), AppError> {
    match job {
        PeriodicJob::Reconcile => {
            if let Err(e) = crate::work::reconcile(app).await {
                tracing::warn!(error = %e, "reconciler failed");
            }
            // Delivered packages are deleted once their link expires (Art. 5(1)(e)).
            if let Err(e) = crate::package::purge_expired(app).await {
                tracing::warn!(error = %e, "package purge failed");
            }
            // Processors still holding work for a closed request are asked to drop it.
            if let Err(e) = crate::work::cancel_at_processors(app).await {
                tracing::warn!(error = %e, "cancelling at processors failed");
            }
            // Requests never confirmed by their requester are closed (Art. 12(2), 11(2)).
            if let Err(e) = crate::verification::close_lapsed(app).await {
                tracing::warn!(error = %e, "closing unconfirmed requests failed");
            }
            // Keep the bookkeeping small.
            dsrflow_store::tasks::prune_ticks(app.store.db(), app.clock.now() - TimeDelta::days(2))
                .await?;
            Ok(())
        }
        PeriodicJob::Reminders => {
            let policy = app.settings.reminders.clone();
            crate::reminders::sweep(app, &policy, app.clock.now(), false).await?;
            Ok(())
        }
        PeriodicJob::Inbox => {
            if let Some(settings) = app.settings.inbox.clone() {
                crate::inbox::poll(app, &settings).await?;
            }
            Ok(())
        }
        PeriodicJob::QueuePrune => Ok(()),
    }
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    #[test]
    fn a_period_starts_on_a_multiple_of_its_length() {
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        assert_eq!(
            period_start(at("2026-03-02T10:07:44Z"), TimeDelta::minutes(15)),
            at("2026-03-02T10:00:00Z")
        );
        assert_eq!(
            period_start(at("2026-03-02T10:07:44Z"), TimeDelta::seconds(30)),
            at("2026-03-02T10:07:30Z")
        );
    }

    #[test]
    fn every_job_has_its_own_name() {
        let mut names: Vec<&str> = PeriodicJob::ALL.iter().map(|j| j.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), PeriodicJob::ALL.len());
    }
}
