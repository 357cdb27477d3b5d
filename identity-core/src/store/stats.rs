//! What the store sends the database, counted: every statement the pool
//! executes (reported by SeaORM's metric callback) plus the BEGIN, COMMIT
//! and ROLLBACK of each transaction (see [`super::retry`]). Per store, so
//! two stores in one process (tests) never mix their counts.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Counters shared by every clone of a store.
#[derive(Debug, Default)]
pub struct Stats {
    statements: AtomicU64,
}

impl Stats {
    /// Counts one statement.
    pub fn statement(&self) {
        self.statements.fetch_add(1, Ordering::Relaxed);
    }

    /// Statements sent since the store was opened.
    pub fn statements(&self) -> u64 {
        self.statements.load(Ordering::Relaxed)
    }
}

/// The callback SeaORM calls after each statement.
pub fn callback(stats: Arc<Stats>) -> impl Fn(&sea_orm::metric::Info<'_>) + Send + Sync + 'static {
    move |_info| stats.statement()
}
