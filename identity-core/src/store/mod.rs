//! Storage: the only code in the workspace that runs SQL. Every query is
//! tenant-scoped (see [`scoped`]), every mutation runs in one transaction
//! that is retried whole on a deadlock or a Galera certification failure.

mod cluster;
mod entities;
mod filter;
pub mod groups;
pub mod memberships;
mod nesting;
mod paging;
mod retry;
pub mod schemas;
mod scoped;
pub mod tenants;
mod time;
pub mod users;

use std::sync::Arc;
use std::time::Duration;

use migrations::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ActiveValue::Set, ConnectOptions, Database, DatabaseConnection, DbBackend, EntityTrait};
use tokio::sync::OnceCell;

use crate::error::{Error, Result};

pub use cluster::is_transient;
pub use paging::{ListRequest, Listed};
pub use retry::in_tx;
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
}

impl Store {
    /// Connects to `url` (`sqlite://file.db?mode=rwc` or
    /// `mysql://user:pass@host/db`).
    pub async fn connect(url: &str) -> Result<Self, sea_orm::DbErr> {
        Self::connect_opts(Self::options(url)).await
    }

    /// The pool settings for `url`.
    fn options(url: &str) -> ConnectOptions {
        let mut opts = ConnectOptions::new(url.to_owned());
        opts.sqlx_logging(false)
            .max_connections(if url.starts_with("sqlite:") { 4 } else { 32 })
            .acquire_timeout(Duration::from_secs(10))
            .map_sqlx_sqlite_opts(|o| {
                // WAL lets readers run beside the writer; the busy timeout
                // lets `tenant create` work while `serve` runs; LIKE compares
                // bytes, as MySQL's utf8mb4_bin does.
                o.journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .busy_timeout(Duration::from_secs(10))
                    .pragma("case_sensitive_like", "ON")
                    .create_if_missing(true)
            });
        cluster::set_up_sessions(&mut opts);
        opts
    }

    async fn connect_opts(opts: ConnectOptions) -> Result<Self, sea_orm::DbErr> {
        let db = Database::connect(opts).await?;
        Ok(Self {
            db,
            cursor_key: Arc::new(OnceCell::new()),
            cursor_ttl: DEFAULT_CURSOR_TTL,
            sqlite_writer: Arc::new(tokio::sync::Mutex::new(())),
        })
    }

    /// The same store with page tokens valid for `ttl`.
    pub fn with_cursor_ttl(mut self, ttl: Duration) -> Self {
        self.cursor_ttl = ttl;
        self
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

    /// Applies pending migrations.
    pub async fn migrate(&self) -> Result<(), sea_orm::DbErr> {
        Migrator::up(&self.db, None).await
    }

    /// Holds SQLite's single writer slot for a write transaction (no-op on
    /// MySQL, whose row locks let writers run side by side).
    pub(crate) async fn writer(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        match self.backend() {
            DbBackend::Sqlite => Some(self.sqlite_writer.lock().await),
            _ => None,
        }
    }

    pub(crate) fn conn(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Which SQL dialect this store speaks.
    pub fn backend(&self) -> DbBackend {
        self.db.get_database_backend()
    }
}
