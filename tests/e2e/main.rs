//! End-to-end tests: both services, real gRPC, real HTTP, a real database.
//! Every test runs twice, on SQLite and on MariaDB (see `e2e!`). Requests
//! are raw SCIM JSON shaped the way Okta and Entra send them.

#![allow(clippy::unwrap_used)]

mod admin;
mod admin_audit;
mod adversarial;
mod audit;
mod auth;
mod bulk;
mod caps;
mod client;
mod credentials;
mod custom_schemas;
mod discovery;
mod errors;
mod group_scale;
mod groups;
mod grpc;
mod interop;
mod large_changes;
mod limits;
mod member_counts;
mod oauth;
mod query;
mod query_paging;
mod statement_budget;
mod strict;
mod users;
mod users_filter;
