//! identity-core's typed configuration: every setting a flag and an
//! environment variable, parsed and checked once in `main`, then passed down.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

/// The embedded default: a SQLite file under ./data/. It is opened, never
/// created: add `?mode=rwc` to create it (the quickstart does).
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/identity.db";

/// How to reach the database; the same for every subcommand.
#[derive(Args, Debug, Clone)]
pub struct DbConfig {
    /// Database URL: sqlite://path.db (add ?mode=rwc to create the file) or
    /// mysql://user:pass@host:3306/db.
    #[arg(long, env = "IDENTITY_DATABASE_URL", default_value = DEFAULT_DATABASE_URL, global = true, hide_env_values = true)]
    pub database_url: String,
    /// Largest number of open database connections [default: 32 on MySQL, 4 on SQLite].
    #[arg(long, env = "IDENTITY_DB_MAX_CONNECTIONS", global = true)]
    pub db_max_connections: Option<u32>,
    /// How long a call waits for a free connection before failing (503 at the edge).
    #[arg(long, env = "IDENTITY_DB_ACQUIRE_TIMEOUT_SECS", default_value_t = 10, global = true)]
    pub db_acquire_timeout_secs: u64,
    /// How long a SQLite writer waits for another process's write (busy timeout).
    #[arg(long, env = "IDENTITY_DB_BUSY_TIMEOUT_SECS", default_value_t = 10, global = true)]
    pub db_busy_timeout_secs: u64,
    /// How long a list cursor (RFC 9865 page token) stays valid.
    #[arg(long, env = "IDENTITY_CURSOR_TTL_SECS", default_value_t = 3600, global = true)]
    pub cursor_ttl_secs: u64,
}

impl DbConfig {
    /// Defaults for `url` (what the flags default to).
    pub fn for_url(url: impl Into<String>) -> Self {
        Self {
            database_url: url.into(),
            db_max_connections: None,
            db_acquire_timeout_secs: 10,
            db_busy_timeout_secs: 10,
            cursor_ttl_secs: 3600,
        }
    }

    /// Whether the URL names a SQLite database.
    pub fn is_sqlite(&self) -> bool {
        self.database_url.starts_with("sqlite:")
    }

    pub fn max_connections(&self) -> u32 {
        self.db_max_connections.unwrap_or(if self.is_sqlite() { 4 } else { 32 }).max(1)
    }

    pub fn acquire_timeout(&self) -> Duration {
        Duration::from_secs(self.db_acquire_timeout_secs)
    }

    pub fn busy_timeout(&self) -> Duration {
        Duration::from_secs(self.db_busy_timeout_secs)
    }

    pub fn cursor_ttl(&self) -> Duration {
        Duration::from_secs(self.cursor_ttl_secs)
    }
}

/// `serve`'s own settings.
#[derive(Args, Debug, Clone)]
pub struct ServeConfig {
    /// Address to listen on (gRPC).
    #[arg(long, env = "IDENTITY_CORE_LISTEN", default_value = "127.0.0.1:50051")]
    pub listen: String,
    /// Apply pending migrations before serving (always done on SQLite). On
    /// MySQL, prefer running `identity-core migrate` once per release.
    #[arg(long, env = "IDENTITY_CORE_MIGRATE")]
    pub migrate: bool,
    /// Serve gRPC server reflection (grpc.reflection.v1), for grpcurl and
    /// similar tools; `--reflection false` turns it off.
    #[arg(long, env = "IDENTITY_CORE_REFLECTION", default_value_t = true, action = clap::ArgAction::Set)]
    pub reflection: bool,
    /// Serve Prometheus metrics at http://ADDR/metrics (off when unset).
    #[arg(long, env = "IDENTITY_CORE_METRICS_LISTEN")]
    pub metrics_listen: Option<String>,
    /// Another node of the same Galera cluster (mysql://...), used while the
    /// --database-url node is down; repeatable, tried in order.
    #[arg(long = "database-fallback-url", env = "IDENTITY_DATABASE_FALLBACK_URLS", value_delimiter = ',')]
    pub database_fallback_urls: Vec<String>,
    /// Serve gRPC over TLS with this PEM certificate chain (off when unset;
    /// needs --tls-key). Read again when the file changes on disk.
    #[arg(long, env = "IDENTITY_CORE_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, env = "IDENTITY_CORE_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Require client certificates issued by this PEM CA (mutual TLS; needs
    /// --tls-cert and --tls-key).
    #[arg(long, env = "IDENTITY_CORE_TLS_CLIENT_CA", requires = "tls_cert")]
    pub tls_client_ca: Option<PathBuf>,
    /// Days of audit events kept; older ones are deleted hourly, in bounded
    /// batches (0: keep forever).
    #[arg(long, env = "IDENTITY_AUDIT_RETENTION_DAYS", default_value_t = crate::admin::audit::DEFAULT_RETENTION_DAYS)]
    pub audit_retention_days: u32,
    #[command(flatten)]
    pub limits: LimitsConfig,
}

/// Per-tenant request limits (the defaults; `identity-core tenant
/// set-limits` overrides them per tenant) and the server's own bounds on a
/// call. Enforced by each replica on its own: see [`crate::limits`].
#[derive(Args, Debug, Clone)]
pub struct LimitsConfig {
    /// Sustained calls per second one tenant may make to this replica.
    #[arg(long, env = "IDENTITY_TENANT_RPS", default_value_t = 200)]
    pub tenant_rps: u32,
    /// Calls one tenant may make at once above the sustained rate (the token
    /// bucket's size; the default lets a full SCIM Bulk request through).
    #[arg(long, env = "IDENTITY_TENANT_BURST", default_value_t = 1000)]
    pub tenant_burst: u32,
    /// Calls of one tenant in flight at once on this replica (keep it well
    /// below --db-max-connections, so one tenant cannot hold them all).
    #[arg(long, env = "IDENTITY_TENANT_CONCURRENCY", default_value_t = 8)]
    pub tenant_concurrency: u32,
    /// Longest a call may run, in seconds; a shorter `grpc-timeout` from the
    /// caller wins. Past it the call is cancelled (CANCELLED).
    #[arg(long, env = "IDENTITY_CORE_REQUEST_TIMEOUT_SECS", default_value_t = 30)]
    pub request_timeout_secs: u64,
    /// Largest header block (HTTP/2 SETTINGS_MAX_HEADER_LIST_SIZE) a call
    /// may carry, in bytes.
    #[arg(long, env = "IDENTITY_CORE_MAX_HEADER_BYTES", default_value_t = 64 * 1024)]
    pub max_header_bytes: u32,
    /// Longest a list or filter read may run on MariaDB, in seconds (0: no
    /// limit); past it the call answers UNAVAILABLE (503 + Retry-After).
    #[arg(long, env = "IDENTITY_DB_READ_TIMEOUT_SECS", default_value_t = 10)]
    pub db_read_timeout_secs: u64,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        Self {
            tenant_rps: 200,
            tenant_burst: 1000,
            tenant_concurrency: 8,
            request_timeout_secs: 30,
            max_header_bytes: 64 * 1024,
            db_read_timeout_secs: 10,
        }
    }
}

impl LimitsConfig {
    pub fn request_timeout(&self) -> Duration {
        Duration::from_secs(self.request_timeout_secs.max(1))
    }

    /// The read limit; None when turned off.
    pub fn db_read_timeout(&self) -> Option<Duration> {
        (self.db_read_timeout_secs > 0).then(|| Duration::from_secs(self.db_read_timeout_secs))
    }
}

impl ServeConfig {
    /// The TLS files, when TLS is on.
    pub fn tls(&self) -> anyhow::Result<Option<identity_tls::ServerTls>> {
        identity_tls::ServerTls::from_flags(
            self.tls_cert.as_deref(),
            self.tls_key.as_deref(),
            self.tls_client_ca.as_deref(),
        )
    }
}
