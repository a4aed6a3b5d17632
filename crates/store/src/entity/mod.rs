//! sea-orm entities. Columns hold domain types where one exists, so a row read back is already
//! valid; request/response bodies never use these types directly.

pub mod access_package;
pub mod account;
pub mod account_session;
pub mod api_token;
pub mod audit_event;
pub mod audit_head;
pub mod download_token;
pub mod inbound_message;
pub mod outbox;
pub mod package_chunk;
pub mod periodic_run;
pub mod request;
pub mod request_pause;
pub mod request_subject;
pub mod suppression;
pub mod task;
pub mod task_result;
pub mod verification;
