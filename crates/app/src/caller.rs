//! Who calls a use case, and what they may do.

use dsrflow_domain::Actor;

/// Who is acting, and what they may do.
#[derive(Debug, Clone)]
pub struct Caller {
    /// For the audit trail.
    pub actor: Actor,
    /// Whether the caller may vouch for a subject's identity.
    pub can_vouch: bool,
}
