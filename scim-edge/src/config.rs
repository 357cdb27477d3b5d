//! The edge's configuration, parsed once in `main` (or built by tests).

use std::path::PathBuf;

use clap::Parser;
pub use telemetry::LogFormat;

/// Longest --tenant-cache-secs: with identity-core's 2-second credential
/// cache, a revoked credential is refused within 2 + 2 < 5 seconds.
pub const MAX_TENANT_CACHE_SECS: u64 = 2;

/// scim-edge settings.
#[derive(Parser, Debug, Clone)]
#[command(name = "scim-edge", version, about = "Stateless SCIM 2.0 endpoint (/scim/v2) in front of identity-core")]
pub struct Config {
    /// identity-core's gRPC address: one or more http:// or https:// (TLS)
    /// URLs, comma-separated.
    /// Host names are resolved again every --core-resolve-secs, and calls are
    /// balanced across every address that reports SERVING.
    #[arg(long, env = "IDENTITY_CORE_URL", default_value = "http://127.0.0.1:50051")]
    pub core_url: String,
    /// How often host names in --core-url are resolved again, in seconds.
    #[arg(long, env = "SCIM_EDGE_CORE_RESOLVE_SECS", default_value_t = 5)]
    pub core_resolve_secs: u64,
    /// Address to listen on.
    #[arg(long, env = "SCIM_EDGE_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// Public base URL of the SCIM endpoint as clients see it (e.g.
    /// https://app.example.com/scim/v2), used in `meta.location` and
    /// `Location`. Without it the request's Host (and X-Forwarded-Proto;
    /// by default https when --tls-cert is set) decide.
    #[arg(long, env = "SCIM_EDGE_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Largest request body accepted, in bytes (larger: 413).
    #[arg(long, env = "SCIM_EDGE_MAX_BODY_BYTES", default_value_t = 1024 * 1024)]
    pub max_body_bytes: usize,
    /// List the GroupMember resource and the Group `membersMetadata`
    /// extension (draft-zollner-scim-group-members) in /ResourceTypes, for
    /// clients that know the draft. /GroupMembers, `membersMetadata` and
    /// both schemas in /Schemas are served either way. (The flag and variable
    /// keep their earlier names; only the default changed, to false.)
    #[arg(
        long = "group-members",
        alias = "advertise-group-members",
        env = "SCIM_EDGE_GROUP_MEMBERS",
        default_value_t = false,
        action = clap::ArgAction::Set
    )]
    pub advertise_group_members: bool,
    /// How long a tenant's mode and schemas are remembered, in seconds (0:
    /// ask identity-core on every request), at most 2. Requests that call
    /// identity-core have their credential checked there regardless; the
    /// ones the edge answers alone (/Schemas, /ResourceTypes,
    /// /ServiceProviderConfig) rely on this entry, so with identity-core's
    /// own 2-second cache a revoked token or a suspended tenant is refused
    /// everywhere within 5 seconds.
    #[arg(
        long,
        env = "SCIM_EDGE_TENANT_CACHE_SECS",
        default_value_t = 2,
        value_parser = clap::value_parser!(u64).range(0..=MAX_TENANT_CACHE_SECS)
    )]
    pub tenant_cache_secs: u64,
    /// Deadline of each call to identity-core, in seconds.
    #[arg(long, env = "SCIM_EDGE_CORE_TIMEOUT_SECS", default_value_t = 30)]
    pub core_timeout_secs: u64,
    /// Longest a SCIM request may take, in seconds; past it the answer is
    /// 503 with Retry-After.
    #[arg(long, env = "SCIM_EDGE_REQUEST_TIMEOUT_SECS", default_value_t = 60)]
    pub request_timeout_secs: u64,
    /// Largest request header block accepted, in bytes, counted as HTTP/2
    /// does (name + value + 32 per field); larger: 431.
    #[arg(long, env = "SCIM_EDGE_MAX_HEADER_BYTES", default_value_t = 32 * 1024)]
    pub max_header_bytes: usize,
    /// Serve Prometheus metrics at http://ADDR/metrics (off when unset).
    #[arg(long, env = "SCIM_EDGE_METRICS_LISTEN")]
    pub metrics_listen: Option<String>,
    /// Log line format on stderr.
    #[arg(long, env = "SCIM_EDGE_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// Serve HTTPS with this PEM certificate chain (off when unset; needs
    /// --tls-key). Read again when the file changes on disk.
    #[arg(long, env = "SCIM_EDGE_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, env = "SCIM_EDGE_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Trust identity-core's certificate when issued by this PEM CA
    /// (https:// --core-url; default: the webpki roots).
    #[arg(long, env = "SCIM_EDGE_CORE_CA")]
    pub core_ca: Option<PathBuf>,
    /// Client certificate (PEM chain) presented to identity-core, for its
    /// --tls-client-ca (mutual TLS); needs --core-client-key.
    #[arg(long, env = "SCIM_EDGE_CORE_CLIENT_CERT", requires = "core_client_key")]
    pub core_client_cert: Option<PathBuf>,
    /// The PEM private key of --core-client-cert.
    #[arg(long, env = "SCIM_EDGE_CORE_CLIENT_KEY", requires = "core_client_cert")]
    pub core_client_key: Option<PathBuf>,
}

impl Config {
    /// Defaults pointing at `core_url`: what tests and embedders start from.
    pub fn for_core(core_url: impl Into<String>) -> Self {
        Self {
            core_url: core_url.into(),
            listen: "127.0.0.1:0".to_owned(),
            public_url: None,
            max_body_bytes: 1024 * 1024,
            advertise_group_members: false,
            tenant_cache_secs: MAX_TENANT_CACHE_SECS,
            core_timeout_secs: 30,
            core_resolve_secs: 5,
            request_timeout_secs: 60,
            max_header_bytes: 32 * 1024,
            metrics_listen: None,
            log_format: LogFormat::Text,
            tls_cert: None,
            tls_key: None,
            core_ca: None,
            core_client_cert: None,
            core_client_key: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tenant_cache_cannot_outlive_a_revocation() {
        let parse = |extra: &[&str]| Config::try_parse_from([&["scim-edge"][..], extra].concat());
        assert_eq!(parse(&[]).map(|c| c.tenant_cache_secs).ok(), Some(2));
        assert_eq!(parse(&["--tenant-cache-secs", "0"]).map(|c| c.tenant_cache_secs).ok(), Some(0));
        assert!(parse(&["--tenant-cache-secs", "3"]).is_err(), "core 2 s + edge 3 s is 5 s: too late");
        assert_eq!(Config::for_core("http://x").tenant_cache_secs, MAX_TENANT_CACHE_SECS);
    }
}
