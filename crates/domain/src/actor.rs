//! Who did something: the actor named in every audit event and carried by every use case's
//! caller.

use std::fmt;

/// Who did something.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// An API token, by name (never the token itself).
    Token(String),
    /// The command line on the server.
    Cli,
    /// dsrflow itself (jobs, sweeps).
    System,
    /// The privacy@ mailbox (requests that arrived by mail).
    Mail,
    /// The public request form.
    Form,
    /// The data subject, through a link sent to them (verification, download).
    Subject,
    /// A person signed in to the dashboard, by account id (never their address).
    Account(String),
}

impl Actor {
    /// The stored form: `token:<name>`, `cli`, `system`, `mail`, `form`, `subject`.
    pub fn as_string(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Actor::Token(name) => write!(f, "token:{name}"),
            Actor::Cli => f.write_str("cli"),
            Actor::System => f.write_str("system"),
            Actor::Mail => f.write_str("mail"),
            Actor::Form => f.write_str("form"),
            Actor::Subject => f.write_str("subject"),
            Actor::Account(id) => write!(f, "account:{id}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actors_are_stored_by_kind_and_a_token_by_its_name() {
        assert_eq!(
            Actor::Token("billing-app".into()).as_string(),
            "token:billing-app"
        );
        assert_eq!(Actor::Cli.as_string(), "cli");
        assert_eq!(Actor::Subject.to_string(), "subject");
        assert_eq!(
            Actor::Account("00000000-0000-0000-0000-000000000000".into()).to_string(),
            "account:00000000-0000-0000-0000-000000000000"
        );
    }
}
