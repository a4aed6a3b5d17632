//! The deadline sweep: reminders to the compliance officer at configured points before each
//! open request's deadline, an escalation once it is overdue or when the last day to announce
//! an extension is near (GDPR Art. 12(3)), and a daily digest. Run by the scheduler every 15
//! minutes across the cluster, and on demand (`dsrflow reminders run`). Every notice has a
//! dedupe key per request and threshold, so it goes out once however often the sweep runs and
//! however many workers run it.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use dsrflow_domain::reminder::{self, Notice, ReminderPolicy, RequestDates};
use dsrflow_domain::{RequestStatus, TaskStatus};
use dsrflow_mail::messages::{self as m, DigestItem, EscalationReason};
use dsrflow_store::entity::request;
use dsrflow_store::requests::{ListFilter, list};
use serde::Serialize;
use uuid::Uuid;

use crate::notify;
use crate::outbox::Audience;
use crate::{App, AppError};

/// One notice the sweep found due.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Planned {
    /// The request's reference.
    pub reference: String,
    /// The notice.
    pub notice: Notice,
    /// Whether it was queued now (false: sent earlier, a dry run, or nobody to send it to).
    pub queued: bool,
    /// What became of it, in one word.
    pub state: NoticeState,
}

/// What a sweep did with a notice that is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeState {
    /// Queued for the officer by this run.
    Queued,
    /// Sent (queued) by an earlier run; never sent twice.
    SentEarlier,
    /// A dry run: a real run would send it.
    WouldSend,
    /// No officer address is configured (`mail.officer_address`): nothing can be sent.
    NoRecipient,
}

impl NoticeState {
    /// The state in words, for the command line.
    pub fn words(self) -> &'static str {
        match self {
            NoticeState::Queued => "queued",
            NoticeState::SentEarlier => "sent earlier",
            NoticeState::WouldSend => "would send",
            NoticeState::NoRecipient => "not sent: no officer address",
        }
    }
}

/// What one sweep did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Sweep {
    /// Notices due.
    pub notices: Vec<Planned>,
    /// Whether the daily digest was queued by this run.
    pub digest_queued: bool,
    /// Outbox messages to deliver.
    #[serde(skip)]
    pub outbox: Vec<Uuid>,
}

fn local_day(now: DateTime<Utc>, tz: &str) -> NaiveDate {
    tz.parse::<Tz>()
        .map(|tz| now.with_timezone(&tz).date_naive())
        .unwrap_or_else(|_| now.date_naive())
}

async fn open_requests(app: &App) -> Result<Vec<request::Model>, AppError> {
    let mut out = Vec::new();
    let mut page = 1;
    loop {
        let (rows, total) = list(
            app.store.db(),
            &ListFilter {
                open_only: true,
                page,
                per_page: 200,
                ..Default::default()
            },
        )
        .await?;
        let n = rows.len();
        out.extend(rows);
        if n < 200 || out.len() as u64 >= total {
            return Ok(out);
        }
        page += 1;
    }
}

/// Runs the sweep as of `now`. With `dry_run`, nothing is queued.
pub async fn sweep(
    app: &App,
    policy: &ReminderPolicy,
    now: DateTime<Utc>,
    dry_run: bool,
) -> Result<Sweep, AppError> {
    let mut result = Sweep::default();
    let officer = app.settings.officer_address.clone();
    let requests = open_requests(app).await?;
    let (mut overdue, mut due_soon, mut blocked) = (Vec::new(), Vec::new(), Vec::new());
    for r in &requests {
        let today = local_day(now, &r.time_zone);
        let extension_possible = r.extended_at.is_none() && r.regime.allows_extension();
        let dates = RequestDates {
            deadline: r.deadline,
            due_at: r.due_at,
            extension_notice_by: if extension_possible {
                r.extension_notice_by
            } else {
                None
            },
        };
        let days_left = (r.deadline - today).num_days();
        let url = notify::link(app, &format!("/api/v1/requests/{}", r.id));
        let item = DigestItem {
            reference: r.reference.clone(),
            kind: r.kind,
            deadline: r.deadline,
            days_left,
            note: None,
            url: url.clone(),
        };
        if now >= r.due_at {
            overdue.push(item.clone());
        } else if days_left <= 7 {
            due_soon.push(item.clone());
        }
        if r.status == RequestStatus::InProgress {
            let tasks = dsrflow_store::tasks::for_request(app.store.db(), r.id).await?;
            let stuck: Vec<String> = tasks
                .iter()
                .filter(|t| matches!(t.status, TaskStatus::Failed | TaskStatus::AwaitingManual))
                .map(|t| format!("{} ({})", t.system, t.status))
                .collect();
            if !stuck.is_empty() {
                blocked.push(DigestItem {
                    note: Some(stuck.join(", ")),
                    ..item
                });
            }
        }
        for notice in reminder::due(policy, &dates, today, now) {
            let mut queued = false;
            let key = format!("officer:{}:{}", r.id, notice.dedupe_suffix());
            let mut state = if officer.is_none() {
                NoticeState::NoRecipient
            } else if dsrflow_store::outbox::dedupe_key_taken(app.store.db(), &key).await? {
                NoticeState::SentEarlier
            } else if dry_run {
                NoticeState::WouldSend
            } else {
                NoticeState::Queued
            };
            if let (NoticeState::Queued, Some(to)) = (state, &officer) {
                let key = Some(key);
                let tx = app.store.write().await?;
                let id = match notice {
                    Notice::Reminder { days_left, .. } => {
                        notify::queue(
                            app,
                            &*tx,
                            &m::Reminder {
                                reference: r.reference.clone(),
                                kind: r.kind,
                                received_on: r.receipt_day,
                                deadline: r.deadline,
                                days_left,
                                extended: r.extended_at.is_some(),
                                request_url: url.clone(),
                            },
                            dsrflow_domain::channel::Language::En,
                            Audience::Officer,
                            to,
                            Some(r),
                            None,
                            key,
                        )
                        .await?
                    }
                    Notice::Overdue { days_over } => {
                        escalate(
                            app,
                            &*tx,
                            r,
                            to,
                            &url,
                            EscalationReason::Overdue {
                                days_overdue: days_over,
                            },
                            key,
                        )
                        .await?
                    }
                    Notice::ExtensionWindowClosing { days_left } => {
                        escalate(
                            app,
                            &*tx,
                            r,
                            to,
                            &url,
                            EscalationReason::ExtensionWindowClosing {
                                notice_by: r.extension_notice_by.unwrap_or(r.deadline),
                                days_left,
                            },
                            key,
                        )
                        .await?
                    }
                };
                tx.commit().await?;
                if let Some(id) = id {
                    queued = true;
                    result.outbox.push(id);
                } else {
                    // Another worker queued it between the check and the write.
                    state = NoticeState::SentEarlier;
                }
            }
            result.notices.push(Planned {
                reference: r.reference.clone(),
                notice,
                queued,
                state,
            });
        }
    }
    if let (false, Some(to)) = (dry_run, &officer) {
        let day = now.date_naive();
        let review_waiting = dsrflow_store::inbox::review_count(app.store.db()).await?;
        let tx = app.store.write().await?;
        let id = notify::queue(
            app,
            &*tx,
            &m::DailyDigest {
                day,
                overdue,
                due_soon,
                blocked,
                review_waiting,
                review_url: notify::link(app, "/api/v1/inbox/review"),
                dashboard_url: notify::link(app, "/api/v1/requests?open=true"),
            },
            dsrflow_domain::channel::Language::En,
            Audience::Officer,
            to,
            None,
            None,
            Some(format!("officer:digest:{day}")),
        )
        .await?;
        tx.commit().await?;
        if let Some(id) = id {
            result.digest_queued = true;
            result.outbox.push(id);
        }
    }
    for id in &result.outbox {
        app.wake(crate::jobs::Job::Deliver(*id), None).await;
    }
    Ok(result)
}

async fn escalate(
    app: &App,
    conn: &impl sea_orm::ConnectionTrait,
    r: &request::Model,
    to: &str,
    url: &str,
    reason: EscalationReason,
    key: Option<String>,
) -> Result<Option<Uuid>, AppError> {
    notify::queue(
        app,
        conn,
        &m::Escalation {
            reference: r.reference.clone(),
            kind: r.kind,
            deadline: r.deadline,
            reason,
            request_url: url.to_owned(),
        },
        dsrflow_domain::channel::Language::En,
        Audience::Officer,
        to,
        Some(r),
        None,
        key,
    )
    .await
}
