//! dsrflow's domain model: what a data-subject request is, who it is about, the lifecycle it
//! follows and the legal clock it runs against.
//!
//! Everything here is pure: no I/O, no clock reads (`now` is always passed in), no randomness.
//! Values from outside become types here through `parse`/`TryFrom`, so an invalid request kind,
//! address or regime cannot exist past the edge.

pub mod account;
pub mod actor;
pub mod audit;
pub mod calendar;
pub mod channel;
pub mod datamap;
pub mod deadline;
pub mod identity;
pub mod inbox;
pub mod kind;
pub mod lifecycle;
pub mod message;
pub mod rectification;
pub mod regime;
pub mod reminder;
mod strings;
pub mod task;

pub use actor::Actor;
pub use audit::AuditAction;
pub use calendar::{Calendar, CalendarCode};
pub use deadline::{Deadline, DeadlineError, DeadlineInput, PausePeriod};
pub use identity::{AccountId, IdentityError, PhoneNumber, SubjectEmail, SubjectName};
pub use kind::RequestKind;
pub use lifecycle::{Event, InvalidTransition, RequestStatus};
pub use rectification::Correction;
pub use regime::Regime;
pub use strings::Unknown;
pub use task::{TaskAction, TaskStatus};
