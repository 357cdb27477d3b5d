//! The edge's configuration, parsed once in `main` (or built by tests).

use std::path::PathBuf;

use clap::Parser;
pub use telemetry::LogFormat;

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
    /// ask identity-core on every request). Credentials are checked by
    /// identity-core on every call regardless.
    #[arg(long, env = "SCIM_EDGE_TENANT_CACHE_SECS", default_value_t = 5)]
    pub tenant_cache_secs: u64,
    /// Deadline of each call to identity-core, in seconds.
    #[arg(long, env = "SCIM_EDGE_CORE_TIMEOUT_SECS", default_value_t = 30)]
    pub core_timeout_secs: u64,
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
            tenant_cache_secs: 5,
            core_timeout_secs: 30,
            core_resolve_secs: 5,
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
