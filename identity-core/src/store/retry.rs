//! One transaction per mutation, retried whole when the database asks for it
//! (MySQL 1213 deadlock / Galera certification failure, 1205 lock wait
//! timeout, SQLite BUSY).

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use sea_orm::{DatabaseTransaction, DbErr, RuntimeErr, TransactionTrait};

use super::Store;
use crate::error::{Error, Result};

const MAX_ATTEMPTS: u32 = 6;

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
            // BEGIN, COMMIT and ROLLBACK are statements too (the metric
            // callback sees only the ones in between).
            store.stats().statement();
            let txn = store.conn().begin().await?;
            let result = work(&txn).await;
            store.stats().statement();
            match result {
                Ok(v) => {
                    txn.commit().await?;
                    Ok(v)
                }
                Err(e) => {
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
                tracing::debug!(attempt, error = %e, "transaction conflict, retrying");
                tokio::time::sleep(Duration::from_millis(5 * u64::from(attempt * attempt))).await;
            }
            other => return other,
        }
    }
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
