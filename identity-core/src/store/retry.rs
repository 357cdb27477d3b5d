//! One transaction per mutation, retried whole when the database asks for it
//! (MySQL 1213 deadlock / Galera certification failure, 1205 lock wait
//! timeout, SQLite BUSY).

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use sea_orm::{DatabaseTransaction, DbErr, RuntimeErr, TransactionTrait};
use tracing::Instrument;

use super::{Store, cluster};
use crate::error::{Error, Result};

/// Enough for a hot row written through several Galera nodes at once (each
/// node's writers lose certification to the others' in turn).
const MAX_ATTEMPTS: u32 = 10;
/// The longest pause between two attempts.
const MAX_BACKOFF_MS: u64 = 200;

/// A boxed future borrowing the transaction.
pub type TxFuture<'c, T> = Pin<Box<dyn Future<Output = Result<T>> + Send + 'c>>;

/// Runs `work` in a transaction: commit on Ok, roll back on Err, and start
/// over (up to a few times, with a short backoff) when the failure is one a
/// retry can cure. `work` must therefore be repeatable. Each attempt runs
/// in a `db_transaction` span (inside the call's `grpc` span).
pub async fn in_tx<T, F>(store: &Store, work: F) -> Result<T>
where
    T: Send,
    F: for<'c> Fn(&'c DatabaseTransaction) -> TxFuture<'c, T> + Send + Sync,
{
    let mut attempt = 0;
    loop {
        attempt += 1;
        let outcome = async {
            let waiting = store.stats().waiting();
            let _writer = store.writer().await;
            // BEGIN, COMMIT and ROLLBACK are statements too (the metric
            // callback sees only the ones in between).
            store.stats().statement();
            let txn = store.conn().begin().await?;
            drop(waiting);
            cluster::mark(&txn, store.stats()).await?;
            let result = work(&txn).await;
            store.stats().statement();
            match result {
                Ok(v) => {
                    cluster::check_mark(&txn, store.stats()).await?;
                    txn.commit().await?;
                    Ok(v)
                }
                Err(e) => {
                    // A transaction the cluster silently rolled back fails
                    // in odd ways (a row it just wrote is "not found"):
                    // that is a conflict, retried.
                    let e = if !retryable(&e)
                        && matches!(cluster::check_mark(&txn, store.stats()).await, Err(Error::Conflict))
                    {
                        Error::Conflict
                    } else {
                        e
                    };
                    // Dropping the transaction rolls it back as well; an
                    // explicit rollback returns the connection sooner.
                    let _ = txn.rollback().await;
                    Err(e)
                }
            }
        }
        .instrument(tracing::info_span!("db_transaction", attempt))
        .await;
        let cause = match &outcome {
            Err(e) if attempt < MAX_ATTEMPTS => retry_cause(e),
            _ => None,
        };
        match (outcome, cause) {
            (Err(e), Some(cause)) => {
                crate::metrics::metrics().retry(cause);
                tracing::debug!(attempt, cause, error = ?e, "transaction conflict, retrying");
                tokio::time::sleep(backoff(attempt)).await;
            }
            (outcome, _) => return outcome,
        }
    }
}

/// The pause after failed attempt `attempt`: growing, capped, and jittered
/// (0.5x to 1.5x) so that writers who collided do not collide again in step.
fn backoff(attempt: u32) -> Duration {
    let base = (5 * u64::from(attempt * attempt)).min(MAX_BACKOFF_MS);
    let jitter = u64::from(getrandom::u32().unwrap_or(u32::MAX / 2) % 1000);
    Duration::from_micros(base * (500 + jitter))
}

/// Whether a retry of the whole transaction may succeed.
fn retryable(err: &Error) -> bool {
    retry_cause(err).is_some()
}

/// Whether a database error is a transient conflict (deadlock, Galera
/// certification failure, lock wait timeout, SQLite BUSY).
pub fn is_retryable(err: &DbErr) -> bool {
    db_retry_cause(err).is_some()
}

/// Why a retry of the whole transaction may succeed (the metrics label), or
/// `None` when it cannot.
fn retry_cause(err: &Error) -> Option<&'static str> {
    match err {
        Error::Conflict => Some("conflict"),
        Error::Database(db) => db_retry_cause(db),
        _ => None,
    }
}

/// `deadlock` (1213), `lock_wait_timeout` (1205) or `busy` (SQLite BUSY /
/// LOCKED) for a transient conflict.
fn db_retry_cause(err: &DbErr) -> Option<&'static str> {
    let (DbErr::Exec(RuntimeErr::SqlxError(e))
    | DbErr::Query(RuntimeErr::SqlxError(e))
    | DbErr::Conn(RuntimeErr::SqlxError(e))) = err
    else {
        return None;
    };
    let sea_orm::sqlx::Error::Database(db) = &**e else {
        return None;
    };
    if let Some(my) = db.try_downcast_ref::<sea_orm::sqlx::mysql::MySqlDatabaseError>() {
        // 1213: deadlock, also Galera's certification failure; 1205: lock
        // wait timeout.
        return match my.number() {
            1213 => Some("deadlock"),
            1205 => Some("lock_wait_timeout"),
            _ => None,
        };
    }
    // SQLite: SQLITE_BUSY (5) and its extended codes (e.g. 517 BUSY_SNAPSHOT),
    // SQLITE_LOCKED (6).
    match db.code().and_then(|c| c.parse::<i32>().ok()) {
        Some(code) if matches!(code & 0xff, 5 | 6) => Some("busy"),
        _ => None,
    }
}
