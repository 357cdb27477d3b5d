//! What the store sends the database, counted: every statement the pool
//! executes (reported by SeaORM's metric callback), the BEGIN, COMMIT
//! and ROLLBACK of each transaction (see [`super::retry`]) and, on Galera,
//! its savepoint and release (see [`super::cluster`]; the callback does not
//! see them). Per store, so
//! two stores in one process (tests) never mix their counts.

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

tokio::task_local! {
    /// Statements of the call in progress (see [`counted`]).
    static CALL: std::cell::Cell<u64>;
}

/// Runs `call`, counting the statements it sends (on any store): for the
/// statements-per-call metric.
pub async fn counted<F: std::future::Future>(call: F) -> (F::Output, u64) {
    CALL.scope(std::cell::Cell::new(0), async move {
        let out = call.await;
        (out, CALL.try_with(std::cell::Cell::get).unwrap_or(0))
    })
    .await
}

/// Most statement texts kept while recording.
const LOG_CAPACITY: usize = 256;

/// Counters shared by every clone of a store.
#[derive(Debug, Default)]
pub struct Stats {
    statements: AtomicU64,
    /// Transactions waiting to begin (for a pooled connection, or on SQLite
    /// for the single writer slot).
    waiting: AtomicI64,
    /// While set, the text of each statement is kept (tests read it).
    recording: AtomicBool,
    log: Mutex<Vec<String>>,
}

impl Stats {
    /// Counts one statement.
    pub fn statement(&self) {
        self.statements.fetch_add(1, Ordering::Relaxed);
        let _ = CALL.try_with(|c| c.set(c.get() + 1));
    }

    /// Counts a transaction as waiting until the guard is dropped.
    pub fn waiting(&self) -> Waiting<'_> {
        self.waiting.fetch_add(1, Ordering::Relaxed);
        Waiting(&self.waiting)
    }

    /// Transactions waiting to begin now.
    pub fn waiting_now(&self) -> u64 {
        u64::try_from(self.waiting.load(Ordering::Relaxed)).unwrap_or(0)
    }

    /// Statements sent since the store was opened.
    pub fn statements(&self) -> u64 {
        self.statements.load(Ordering::Relaxed)
    }

    /// Starts (clearing the log) or stops keeping statement texts.
    pub fn record(&self, on: bool) {
        if let Ok(mut log) = self.log.lock() {
            log.clear();
        }
        self.recording.store(on, Ordering::Relaxed);
    }

    /// The statements kept since [`Stats::record`] (SQL, then values).
    pub fn recorded(&self) -> Vec<String> {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }

    /// Counts (and, while recording, keeps) a statement sent without
    /// SeaORM's metric callback seeing it: `execute_unprepared` reports
    /// nothing to the callback.
    pub fn unprepared(&self, sql: &str) {
        self.statement();
        self.keep_with(|| sql.to_owned());
    }

    fn keep(&self, stmt: &sea_orm::Statement) {
        self.keep_with(|| format!("{} {:?}", stmt.sql, stmt.values));
    }

    fn keep_with(&self, text: impl FnOnce() -> String) {
        if self.recording.load(Ordering::Relaxed)
            && let Ok(mut log) = self.log.lock()
            && log.len() < LOG_CAPACITY
        {
            log.push(text());
        }
    }
}

/// A transaction waiting to begin; stops counting when dropped.
pub struct Waiting<'a>(&'a AtomicI64);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The callback SeaORM calls after each statement.
pub fn callback(stats: Arc<Stats>) -> impl Fn(&sea_orm::metric::Info<'_>) + Send + Sync + 'static {
    move |info| {
        stats.statement();
        stats.keep(info.statement);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_waiting_transaction_counts_until_its_guard_drops() {
        let stats = Stats::default();
        let a = stats.waiting();
        let b = stats.waiting();
        assert_eq!(stats.waiting_now(), 2);
        drop(a);
        assert_eq!(stats.waiting_now(), 1);
        drop(b);
        assert_eq!(stats.waiting_now(), 0);
    }
}
