//! Storage: the only code in the workspace that runs SQL. Every query is
//! tenant-scoped (see [`scoped`]), every mutation runs in one transaction
//! that is retried whole on a deadlock or a Galera certification failure.

mod entities;
mod filter;
pub mod groups;
mod retry;
mod scoped;
pub mod tenants;
mod time;
pub mod users;

use std::time::Duration;

use migrations::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbBackend};

pub use retry::in_tx;
pub use time::to_proto as timestamp;

/// A handle on the database, cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    db: DatabaseConnection,
}

impl Store {
    /// Connects to `url` (`sqlite://file.db?mode=rwc` or
    /// `mysql://user:pass@host/db`).
    pub async fn connect(url: &str) -> Result<Self, sea_orm::DbErr> {
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
        let db = Database::connect(opts).await?;
        Ok(Self { db })
    }

    /// Applies pending migrations.
    pub async fn migrate(&self) -> Result<(), sea_orm::DbErr> {
        Migrator::up(&self.db, None).await
    }

    pub(crate) fn conn(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Which SQL dialect this store speaks.
    pub fn backend(&self) -> DbBackend {
        self.db.get_database_backend()
    }
}
