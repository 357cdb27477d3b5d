//! Storage: the only code in the workspace that runs SQL. Every query is
//! tenant-scoped (see [`scoped`]), every mutation runs in one transaction
//! that is retried whole on a deadlock or a Galera certification failure.

pub mod audit;
mod auth_cache;
mod batch;
mod cluster;
mod counters;
pub mod credentials;
mod entities;
mod filter;
pub mod groups;
mod large_changes;
pub mod limits;
mod members;
pub mod memberships;
mod migrate;
mod nesting;
pub mod oauth;
mod paging;
pub mod purge;
pub mod read_limit;
pub mod request_ids;
mod retry;
pub mod schemas;
mod scoped;
mod stats;
pub mod tenants;
mod time;
pub mod users;

use std::sync::Arc;
use std::time::Duration;

use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ActiveValue::Set, ConnectOptions, Database, DatabaseConnection, DbBackend, EntityTrait};
use tokio::sync::OnceCell;

use crate::config::DbConfig;
use crate::error::{Error, Result};

pub use cluster::is_transient;
pub use migrate::migrate;
pub use paging::{ListRequest, Listed, Page};
pub use retry::in_tx;
pub use stats::counted;
pub use time::to_proto as timestamp;

/// Name of the page-token signing key in `secrets`.
const CURSOR_KEY: &str = "cursor_hmac";
/// How long a page token stays valid by default (RFC 9865 `cursorTimeout`).
pub const DEFAULT_CURSOR_TTL: Duration = Duration::from_secs(3600);

/// A handle on the database, cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    db: DatabaseConnection,
    cursor_key: Arc<OnceCell<Vec<u8>>>,
    cursor_ttl: Duration,
    /// SQLite allows one writer at a time: write transactions of this
    /// process queue here instead of failing with BUSY / BUSY_SNAPSHOT
    /// (other processes, like `tenant create`, wait on the busy timeout).
    sqlite_writer: Arc<tokio::sync::Mutex<()>>,
    /// Statements sent (the statement budget tests and metrics read it).
    stats: Arc<stats::Stats>,
    /// Token -> tenant, briefly (see [`auth_cache`]).
    auth: Arc<auth_cache::AuthCache>,
    /// When each credential's last use was written (see [`auth_cache::LastUsed`]).
    last_used: Arc<auth_cache::LastUsed>,
    /// Where recent index pages ended (see [`paging::Boundaries`]).
    boundaries: Arc<paging::Boundaries>,
    /// OAuth issuer -> tenant, briefly (see [`oauth::IssuerCache`]).
    oauth: Arc<oauth::IssuerCache>,
    /// Most matches a filtered index-paged list counts.
    max_counted: u64,
    /// Time limit of a list or filter read (see [`read_limit`]).
    read_timeout: Option<Duration>,
}

impl Store {
    /// Connects to `url` (`sqlite://file.db?mode=rwc` or
    /// `mysql://user:pass@host/db`) with the default settings.
    pub async fn connect(url: &str) -> Result<Self, sea_orm::DbErr> {
        Self::connect_with(&DbConfig::for_url(url)).await
    }

    /// Connects as `config` says. A SQLite file is created only when the URL
    /// asks for it (`?mode=rwc`).
    pub async fn connect_with(config: &DbConfig) -> Result<Self, sea_orm::DbErr> {
        Self::connect_opts(connect_options(config), config).await
    }

    async fn connect_opts(opts: ConnectOptions, config: &DbConfig) -> Result<Self, sea_orm::DbErr> {
        let mut db = Database::connect(opts).await?;
        let stats = Arc::new(stats::Stats::default());
        db.set_metric_callback(stats::callback(stats.clone()));
        Ok(Self {
            db,
            stats,
            auth: Arc::new(auth_cache::AuthCache::default()),
            last_used: Arc::new(auth_cache::LastUsed::default()),
            boundaries: Arc::new(paging::Boundaries::default()),
            oauth: Arc::new(oauth::IssuerCache::default()),
            max_counted: paging::MAX_COUNTED,
            read_timeout: Some(read_limit::DEFAULT),
            cursor_key: Arc::new(OnceCell::new()),
            cursor_ttl: config.cursor_ttl(),
            sqlite_writer: Arc::new(tokio::sync::Mutex::new(())),
        })
    }

    /// The same store with page tokens valid for `ttl`.
    pub fn with_cursor_ttl(mut self, ttl: Duration) -> Self {
        self.cursor_ttl = ttl;
        self
    }

    /// The same store counting at most `n` matches of a filtered list
    /// (beyond: TOO_MANY_MATCHES); the default is [`paging::MAX_COUNTED`].
    pub fn with_max_counted(mut self, n: u64) -> Self {
        self.max_counted = n;
        self
    }

    /// The same store with list and filter reads limited to `limit` on
    /// MariaDB (None: no limit); see [`read_limit`].
    pub fn with_read_timeout(mut self, limit: Option<Duration>) -> Self {
        self.read_timeout = limit;
        self
    }

    pub(crate) fn read_timeout(&self) -> Option<Duration> {
        self.read_timeout
    }

    pub(crate) fn max_counted(&self) -> u64 {
        self.max_counted
    }

    /// How long page tokens stay valid.
    pub fn cursor_ttl(&self) -> Duration {
        self.cursor_ttl
    }

    /// The key that signs page tokens: one per database, shared by every
    /// replica, created by whichever replica needs it first.
    pub(crate) async fn cursor_key(&self) -> Result<Vec<u8>> {
        self.cursor_key
            .get_or_try_init(|| async {
                let mut fresh = [0u8; 32];
                getrandom::fill(&mut fresh).map_err(|_| Error::Internal("the system has no randomness"))?;
                entities::secrets::Entity::insert(entities::secrets::ActiveModel {
                    name: Set(CURSOR_KEY.to_owned()),
                    value: Set(hex::encode(fresh)),
                    created_us: Set(time::now_us()),
                })
                .on_conflict_do_nothing()
                .exec_without_returning(&self.db)
                .await?;
                let row = entities::secrets::Entity::find_by_id(CURSOR_KEY)
                    .one(&self.db)
                    .await?
                    .ok_or(Error::Internal("the cursor key is missing"))?;
                hex::decode(row.value).map_err(|_| Error::Internal("the cursor key is not hex"))
            })
            .await
            .cloned()
    }

    /// Migrations this binary has that the database lacks (see [`migrate`]).
    pub async fn pending_migrations(&self) -> Result<Vec<String>, sea_orm::DbErr> {
        migrate::pending(&self.db).await
    }

    /// Whether the database answers a trivial query (health checks).
    pub async fn ping(&self) -> bool {
        self.db.ping().await.is_ok()
    }

    /// Holds SQLite's single writer slot for a write transaction (no-op on
    /// MySQL, whose row locks let writers run side by side).
    pub(crate) async fn writer(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        match self.backend() {
            DbBackend::Sqlite => Some(self.sqlite_writer.lock().await),
            _ => None,
        }
    }

    /// Statements this store has sent the database (BEGIN and COMMIT
    /// included), across all its clones.
    pub fn statements(&self) -> u64 {
        self.stats.statements()
    }

    /// Transactions waiting now for a connection (or, on SQLite, for the
    /// single writer slot).
    pub fn waiting_for_connection(&self) -> u64 {
        self.stats.waiting_now()
    }

    /// Starts (or stops) keeping the text of every statement sent, for
    /// tests that check what a request writes; see [`Store::recorded`].
    pub fn record_statements(&self, on: bool) {
        self.stats.record(on);
    }

    /// The statements sent since [`Store::record_statements`] (at most 256).
    pub fn recorded(&self) -> Vec<String> {
        self.stats.recorded()
    }

    pub(crate) fn stats(&self) -> &stats::Stats {
        &self.stats
    }

    pub(crate) fn boundaries(&self) -> &paging::Boundaries {
        &self.boundaries
    }

    pub(crate) fn auth_cache(&self) -> &auth_cache::AuthCache {
        &self.auth
    }

    pub(crate) fn oauth_cache(&self) -> &oauth::IssuerCache {
        &self.oauth
    }

    pub(crate) fn last_used(&self) -> &auth_cache::LastUsed {
        &self.last_used
    }

    pub(crate) fn conn(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Which SQL dialect this store speaks.
    pub fn backend(&self) -> DbBackend {
        self.db.get_database_backend()
    }
}

/// Pool and session options for `config`: WAL, a busy timeout and byte-wise
/// LIKE on SQLite (as MySQL's utf8mb4_bin compares).
fn connect_options(config: &DbConfig) -> ConnectOptions {
    let busy = config.busy_timeout();
    let mut opts = ConnectOptions::new(config.database_url.clone());
    opts.sqlx_logging(false)
        .max_connections(config.max_connections())
        .acquire_timeout(config.acquire_timeout())
        // No ping before every checkout: a broken connection fails its
        // statement, and the transaction is retried or answered 503.
        .test_before_acquire(false)
        .map_sqlx_sqlite_opts(move |o| {
            // WAL lets readers run beside the writer; the busy timeout lets
            // `tenant create` work while `serve` runs.
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(busy)
                .pragma("case_sensitive_like", "ON")
        });
    cluster::set_up_sessions(&mut opts);
    opts
}
