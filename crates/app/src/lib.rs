//! dsrflow's use cases. Each state-changing use case is one write transaction that changes the
//! rows, appends its audit event and commits; callers (HTTP, CLI, jobs) never touch the store's
//! transactions themselves.

pub mod accounts;
pub mod caller;
pub mod clock;
pub mod crypto;
pub mod error;
pub mod identity_link;
pub mod inbox;
pub mod jobs;
pub mod mailtask;
pub mod notify;
pub mod outbox;
pub mod package;
pub mod periodic;
pub mod reminders;
pub mod requests;
pub mod sessions;
pub mod settings;
pub mod suppression;
pub mod systems;
pub mod tokens;
pub mod verification;
pub mod work;

use std::sync::Arc;

pub use clock::{Clock, FixedClock, SystemClock};
pub use dsrflow_store::Store;
pub use error::{AppError, FieldError};
pub use settings::Settings;

/// Everything a use case needs, built once at start-up and shared.
#[derive(Clone)]
pub struct App {
    /// The database.
    pub store: Store,
    /// The source of `now`.
    pub clock: Arc<dyn Clock>,
    /// Validated configuration.
    pub settings: Arc<Settings>,
    /// Recently checked API tokens.
    pub token_cache: Arc<tokens::TokenCache>,
    /// The data map and connectors.
    pub systems: Arc<systems::Systems>,
    /// Where wake-ups for background work go.
    pub jobs: Arc<dyn jobs::JobQueue>,
    /// How outbox messages leave.
    pub mailer: Arc<dyn outbox::MailSender>,
    /// Mail templates (embedded, or with an override folder); None only if the embedded set
    /// failed to load, which the start-up check reports.
    pub templates: Option<Arc<dsrflow_mail::Templates>>,
    /// Requests being settled in this process (see [`work::settle`]).
    pub settling: Arc<work::Settling>,
}

impl App {
    /// Builds the application context.
    pub fn new(store: Store, clock: Arc<dyn Clock>, settings: Settings) -> Self {
        Self {
            store,
            clock,
            settings: Arc::new(settings),
            token_cache: Arc::default(),
            systems: Arc::default(),
            jobs: Arc::new(jobs::NoQueue),
            mailer: Arc::new(outbox::NoMail),
            templates: dsrflow_mail::Templates::embedded().ok().map(Arc::new),
            settling: Arc::default(),
        }
    }

    /// Uses these templates (e.g. with an override folder).
    pub fn with_templates(mut self, templates: dsrflow_mail::Templates) -> Self {
        self.templates = Some(Arc::new(templates));
        self
    }

    /// Sends outbox messages through this transport.
    pub fn with_mailer(mut self, mailer: Arc<dyn outbox::MailSender>) -> Self {
        self.mailer = mailer;
        self
    }

    /// Uses these systems.
    pub fn with_systems(mut self, systems: systems::Systems) -> Self {
        self.systems = Arc::new(systems);
        self
    }

    /// Sends wake-ups to this queue.
    pub fn with_jobs(mut self, jobs: Arc<dyn jobs::JobQueue>) -> Self {
        self.jobs = jobs;
        self
    }

    /// Enqueues a wake-up after a commit. A failure is only logged: the reconciler finds the
    /// work again from the rows.
    pub async fn wake(&self, job: jobs::Job, at: Option<chrono::DateTime<chrono::Utc>>) {
        if let Err(e) = self.jobs.enqueue(job, at).await {
            tracing::warn!(?job, error = %e, "enqueue failed; the reconciler will pick it up");
        }
    }

    /// Wakes several jobs at once (see [`jobs::JobQueue::enqueue_many`]).
    pub async fn wake_many(&self, jobs: Vec<jobs::Job>) {
        if jobs.is_empty() {
            return;
        }
        let n = jobs.len();
        if let Err(e) = self.jobs.enqueue_many(jobs).await {
            tracing::warn!(jobs = n, error = %e, "enqueue failed; the reconciler will pick it up");
        }
    }
}
