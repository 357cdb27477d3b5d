//! SeaORM entities: the row types. Private to the storage module; nothing
//! outside `store` sees a row.

pub mod api_tokens;
pub mod audit_events;
pub mod custom_values;
pub mod group_members;
pub mod groups;
pub mod request_ids;
pub mod secrets;
pub mod service_accounts;
pub mod tenant_counters;
pub mod tenant_limits;
pub mod tenant_oauth;
pub mod tenant_schemas;
pub mod tenants;
pub mod user_values;
pub mod users;
