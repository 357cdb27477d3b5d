//! Administration, one implementation for the `identity-core` CLI commands
//! and for AdminService ([`crate::grpc`]): tenants, credentials, OAuth
//! issuers, limits, extension schemas and the audit trail. Each operation
//! takes the acting principal (the CLI acts as `cli`, with admin scope) so
//! the audit trail names who did it.

pub mod audit;
pub mod credentials;
pub mod limits;
pub mod oauth;
pub mod schemas;
pub mod tenants;
