//! The people who work in the dashboard, and what each may do.

use crate::strings::string_enum;

string_enum! {
    /// What an account may do, checked on the server for every page and action.
    pub enum Role("role") {
        /// Users, API tokens and settings views, and everything an officer does.
        Admin = "admin",
        /// Every request action.
        Officer = "officer",
        /// Read only; addresses masked unless revealed, and every reveal audited.
        Viewer = "viewer",
    }
}

impl Role {
    /// Whether this role may act on requests (not only read them).
    pub fn may_act(self) -> bool {
        matches!(self, Role::Admin | Role::Officer)
    }

    /// Whether this role may manage accounts and tokens.
    pub fn may_administer(self) -> bool {
        self == Role::Admin
    }
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    #[test]
    fn roles_parse_by_name_and_grant_nested_rights() {
        assert_eq!("officer".parse::<Role>().unwrap(), Role::Officer);
        let err = "root".parse::<Role>().unwrap_err().to_string();
        assert_eq!(err, "unknown role \"root\"");
        assert!(Role::Admin.may_act() && Role::Admin.may_administer());
        assert!(Role::Officer.may_act() && !Role::Officer.may_administer());
        assert!(!Role::Viewer.may_act() && !Role::Viewer.may_administer());
    }
}
