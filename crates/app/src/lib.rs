//! dsrflow's use cases. Each state-changing use case is one write transaction that changes the
//! rows, appends its audit event and commits; callers (HTTP, CLI, jobs) never touch the store's
//! transactions themselves.

pub mod clock;
pub mod error;
pub mod requests;
pub mod settings;
pub mod tokens;

use std::sync::Arc;

pub use clock::{Clock, FixedClock, SystemClock};
pub use dsrflow_store as store;
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
}

impl App {
    /// Builds the application context.
    pub fn new(store: Store, clock: Arc<dyn Clock>, settings: Settings) -> Self {
        Self {
            store,
            clock,
            settings: Arc::new(settings),
            token_cache: Arc::default(),
        }
    }
}
