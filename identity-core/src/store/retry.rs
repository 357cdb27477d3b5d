//! One transaction per mutation, retried whole when the database asks for it
//! (MySQL 1213 deadlock / Galera certification failure, 1205 lock wait
//! timeout, SQLite BUSY).

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use sea_orm::{DatabaseTransaction, DbErr, RuntimeErr, TransactionTrait};

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
/// retry can cure. `work` must therefore be repeatable.
pub async fn in_tx<T, F>(store: &Store, work: F) -> Result<T>
where
    T: Send,
    F: for<'c> Fn(&'c DatabaseTransaction) -> TxFuture<'c, T> + Send + Sync,
{
    let mut attempt = 0;
    loop {
        attempt += 1;
        let outcome = async {
            let _writer = store.writer().await;
            let txn = store.conn().begin().await?;
            cluster::mark(&txn).await?;
            match work(&txn).await {
                Ok(v) => {
                    cluster::check_mark(&txn).await?;
                    txn.commit().await?;
                    Ok(v)
                }
                Err(e) => {
                    // A transaction the cluster silently rolled back fails
                    // in odd ways (a row it just wrote is "not found"):
                    // that is a conflict, retried.
                    let e = if !retryable(&e) && matches!(cluster::check_mark(&txn).await, Err(Error::Conflict)) {
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
        .await;
        match outcome {
            Err(ref e) if attempt < MAX_ATTEMPTS && retryable(e) => {
                tracing::debug!(attempt, error = ?e, "transaction conflict, retrying");
                tokio::time::sleep(backoff(attempt)).await;
            }
            other => return other,
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
    match err {
        Error::Conflict => true,
        Error::Database(db) => is_retryable(db),
        _ => false,
    }
}

/// Whether the database error is a transient conflict.
pub fn is_retryable(err: &DbErr) -> bool {
    let (DbErr::Exec(RuntimeErr::SqlxError(e))
    | DbErr::Query(RuntimeErr::SqlxError(e))
    | DbErr::Conn(RuntimeErr::SqlxError(e))) = err
    else {
        return false;
    };
    let sea_orm::sqlx::Error::Database(db) = &**e else {
        return false;
    };
    if let Some(my) = db.try_downcast_ref::<sea_orm::sqlx::mysql::MySqlDatabaseError>() {
        // 1213: deadlock, also Galera's certification failure; 1205: lock
        // wait timeout.
        return matches!(my.number(), 1213 | 1205);
    }
    // SQLite: SQLITE_BUSY (5) and its extended codes (e.g. 517 BUSY_SNAPSHOT),
    // SQLITE_LOCKED (6).
    match db.code().and_then(|c| c.parse::<i32>().ok()) {
        Some(code) => matches!(code & 0xff, 5 | 6),
        None => false,
    }
}
