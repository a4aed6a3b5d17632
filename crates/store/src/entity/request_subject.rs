//! The `request_subject` table: who a request is about. Kept apart from the request so the
//! identifiers can be replaced by a keyed hash once the proof-retention period ends.

use dsrflow_domain::{AccountId, PhoneNumber, SubjectEmail, SubjectName};
use sea_orm::entity::prelude::*;

/// A subject row.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "request_subject")]
pub struct Model {
    /// The request (one subject per request).
    #[sea_orm(primary_key, auto_increment = false)]
    pub request_id: Uuid,
    /// Email address.
    pub email: SubjectEmail,
    /// Name, when given.
    pub name: Option<SubjectName>,
    /// Customer/account id, when given.
    pub account_id: Option<AccountId>,
    /// Phone number, when given.
    pub phone: Option<PhoneNumber>,
}

/// Relations of a subject.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The request.
    #[sea_orm(
        belongs_to = "super::request::Entity",
        from = "Column::RequestId",
        to = "super::request::Column::Id"
    )]
    Request,
}

impl Related<super::request::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Request.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
