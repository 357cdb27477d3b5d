//! A time limit for the costly reads (the list and filter queries and
//! their bounded counts): on MariaDB each such SELECT runs as
//! `SET STATEMENT max_statement_time=N FOR SELECT …`, written as an
//! executable comment (`/*M!100300 … */`) that only MariaDB (10.3+) runs:
//! another MySQL server reads a comment and runs the bare SELECT. Writes
//! get no limit (a session-wide `max_statement_time` would cut them too).
//! A read over the limit fails with ER_STATEMENT_TIMEOUT, which the gRPC
//! border answers UNAVAILABLE with a RetryInfo (503 + Retry-After at the
//! edge): the database was too busy for it now.
//!
//! SQLite has no such limit: a read there is bounded by the call's
//! timeout (`--request-timeout-secs`) and by the per-tenant concurrency
//! limit (see [`crate::limits`]); SQLite serves one node's small
//! deployments.
//!
//! MariaDB: <https://mariadb.com/kb/en/set-statement/>,
//! <https://mariadb.com/kb/en/aborting-statements/>.

use std::time::Duration;

use sea_orm::sqlx::mysql::MySqlDatabaseError;
use sea_orm::{ConnectionTrait, DbBackend, DbErr, EntityTrait, QueryTrait, RuntimeErr, Select, Statement};

use super::Store;
use crate::error::Result;

/// The default limit of a list or filter read.
pub const DEFAULT: Duration = Duration::from_secs(10);

/// `sql` with the store's read limit, on MySQL-family backends.
fn limited(store: &Store, sql: String) -> String {
    match (store.backend(), store.read_timeout()) {
        (DbBackend::MySql, Some(limit)) => {
            format!("/*M!100300 SET STATEMENT max_statement_time={:.6} FOR */ {sql}", limit.as_secs_f64())
        }
        _ => sql,
    }
}

/// The rows of `select`, within the read limit.
pub async fn all<E: EntityTrait>(store: &Store, select: Select<E>) -> Result<Vec<E::Model>> {
    let mut stmt = select.build(store.backend());
    stmt.sql = limited(store, stmt.sql);
    Ok(E::find().from_raw_sql(stmt).all(store.conn()).await?)
}

/// How many rows `select` gives, within the read limit (the form
/// SeaORM's `count` sends: a COUNT over the query as a subquery).
pub async fn count<E: EntityTrait>(store: &Store, select: Select<E>) -> Result<u64> {
    let inner = select.build(store.backend());
    let sql = limited(store, format!("SELECT COUNT(*) AS num_items FROM ({}) AS sub_query", inner.sql));
    let stmt = Statement { sql, values: inner.values, db_backend: inner.db_backend };
    let row = store.conn().query_one_raw(stmt).await?;
    let n: i64 = match row {
        Some(row) => row.try_get("", "num_items")?,
        None => 0,
    };
    Ok(u64::try_from(n).unwrap_or(0))
}

/// Whether the server interrupted a statement: a read past the time limit
/// (MariaDB 1969 ER_STATEMENT_TIMEOUT, MySQL 3024 ER_QUERY_TIMEOUT), or a
/// statement killed by the server or an operator (1317
/// ER_QUERY_INTERRUPTED: `KILL QUERY`, a shutdown in progress). Nothing of
/// it was applied; the same request may succeed later.
pub fn is_interrupted(err: &DbErr) -> bool {
    let (DbErr::Query(RuntimeErr::SqlxError(e)) | DbErr::Exec(RuntimeErr::SqlxError(e))) = err else { return false };
    match &**e {
        sea_orm::sqlx::Error::Database(db) => {
            db.try_downcast_ref::<MySqlDatabaseError>().is_some_and(|my| matches!(my.number(), 1317 | 1969 | 3024))
        }
        _ => false,
    }
}
