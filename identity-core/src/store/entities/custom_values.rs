//! `custom_values`: one row per value of an extension-schema attribute of a
//! user or group. `value_json` keeps the value as sent; the typed columns
//! are what filters compare.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "custom_values")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub resource_id: String,
    /// `<schema urn>:<attribute name>`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub attr_key: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub ordinal: i32,
    pub value_json: String,
    pub str_value: Option<String>,
    /// Lower-cased `str_value`, cut to 255 characters: the indexed key.
    pub str_lower: Option<String>,
    pub num_value: Option<f64>,
    pub bool_value: Option<bool>,
    pub time_us: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
