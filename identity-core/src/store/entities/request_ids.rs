//! `request_ids`: the first result of a create with a request id.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "request_ids")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub request_id: String,
    /// The full RPC name, e.g. "CreateUser".
    pub method: String,
    /// Hex SHA-256 of the request without its request id.
    pub fingerprint: String,
    /// The encoded response; None while the first call runs.
    pub response: Option<Vec<u8>>,
    pub created_us: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
