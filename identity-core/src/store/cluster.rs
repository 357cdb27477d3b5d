//! Running on a MariaDB Galera cluster. Every MySQL session of a Galera node
//! waits for causality on reads (`wsrep_sync_wait`), so a read through one
//! node sees every write the cluster acknowledged before it, whichever node
//! took it. A store given fallback URLs moves its new connections to a
//! surviving node when its primary stops answering, and back to the primary
//! once it is Synced again. Database errors that pass ([`is_transient`]: the
//! node is gone, or a conflict outlasted every retry) become gRPC
//! `UNAVAILABLE`, which the edge answers with 503 + Retry-After. On Galera
//! every transaction carries a savepoint that proves, before COMMIT, that
//! the cluster did not roll it back silently ([`check_mark`]).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use sea_orm::sqlx::mysql::{MySqlConnectOptions, MySqlConnection, MySqlDatabaseError, MySqlPool};
use sea_orm::sqlx::{self, ConnectOptions as _, Connection as _, Executor as _};
use sea_orm::{ConnAcquireErr, ConnectOptions, ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, RuntimeErr};

use super::Store;
use super::stats::Stats;
use crate::config::DbConfig;
use crate::error::{Error, Result};

/// How often the node in use (and, after a failover, the primary) is probed.
const PROBE_INTERVAL: Duration = Duration::from_secs(1);
/// How long a probe may take before the node counts as down.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// Whether a session is on a Galera node (`@@wsrep_on`; an error on a
/// server without wsrep at all).
const IS_GALERA: &str = "SELECT CAST(@@wsrep_on AS SIGNED)";
/// `wsrep_sync_wait` bit 1: SELECT, SHOW and BEGIN first wait until this node
/// has applied every write set committed in the cluster before them. Writes
/// need no wait: certification orders them whatever a node has applied.
const SESSION_SETUP: &str = "SET SESSION wsrep_sync_wait = 1";

/// Set once this process has connected to a Galera node: transactions then
/// carry the savepoint of [`mark`]. Process-wide because the pool gives
/// connections no state of their own; a process talks to one database, and
/// the savepoint is harmless (one more statement) elsewhere.
static ON_GALERA: AtomicBool = AtomicBool::new(false);

/// Sets up every new MySQL connection for Galera (nothing happens on a
/// server that is not a Galera node).
pub(super) fn set_up_sessions(opts: &mut ConnectOptions) {
    opts.map_sqlx_mysql_pool_opts(|pool| {
        pool.after_connect(|conn, _meta| {
            Box::pin(async move {
                let on: Option<i64> = sqlx::query_scalar(IS_GALERA).fetch_one(&mut *conn).await.ok();
                if on == Some(1) {
                    ON_GALERA.store(true, Ordering::Relaxed);
                    conn.execute(SESSION_SETUP).await?;
                }
                Ok(())
            })
        })
    });
}

/// The savepoint that proves a transaction is still the one we began.
const MARK: &str = "in_tx";
/// MySQL's "SAVEPOINT does not exist".
const ER_SP_DOES_NOT_EXIST: u16 = 1305;

/// Sets a savepoint at the start of a transaction on Galera (see [`check_mark`]).
/// Both statements are counted in `stats`, like every other statement.
pub(super) async fn mark(txn: &DatabaseTransaction, stats: &Stats) -> Result<()> {
    if on_galera(txn) {
        let sql = format!("SAVEPOINT {MARK}");
        stats.unprepared(&sql);
        txn.execute_unprepared(&sql).await?;
    }
    Ok(())
}

/// Fails with [`Error::Conflict`] (retried) when the savepoint of [`mark`] is
/// gone, i.e. the transaction was rolled back under us (without an error,
/// or with one already reported).
/// Galera does that: a transaction aborted by a replicated write set while
/// the client sends a prepared-statement command (MariaDB 10.11.19 with
/// Galera 26.4.23) sometimes loses its deadlock error; the next statements
/// run outside it and COMMIT "succeeds" with the earlier work gone.
/// The cluster suite (tests/galera) caught it as acknowledged writes that no
/// node held.
pub(super) async fn check_mark(txn: &DatabaseTransaction, stats: &Stats) -> Result<()> {
    if !on_galera(txn) {
        return Ok(());
    }
    let sql = format!("RELEASE SAVEPOINT {MARK}");
    stats.unprepared(&sql);
    match txn.execute_unprepared(&sql).await {
        Ok(_) => Ok(()),
        Err(e) if mysql_number(&e) == Some(ER_SP_DOES_NOT_EXIST) => {
            tracing::warn!("transaction rolled back by the cluster without an error; retrying it");
            Err(Error::Conflict)
        }
        Err(e) => Err(e.into()),
    }
}

fn on_galera(txn: &DatabaseTransaction) -> bool {
    txn.get_database_backend() == DbBackend::MySql && ON_GALERA.load(Ordering::Relaxed)
}

/// The MySQL error number of a database error.
fn mysql_number(err: &DbErr) -> Option<u16> {
    let (DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e))) = err else {
        return None;
    };
    match &**e {
        sqlx::Error::Database(db) => db.try_downcast_ref::<MySqlDatabaseError>().map(MySqlDatabaseError::number),
        _ => None,
    }
}

/// Whether the same request may succeed later: the node is unavailable, or
/// a conflict (deadlock, certification failure, busy) outlasted the retries.
pub fn is_transient(err: &DbErr) -> bool {
    is_unavailable(err) || super::retry::is_retryable(err)
}

/// Whether the error means the database node cannot be reached or cannot
/// serve (gone, shutting down, or a Galera node outside the primary
/// component): the request may succeed on retry, through another node.
pub fn is_unavailable(err: &DbErr) -> bool {
    let e = match err {
        DbErr::ConnectionAcquire(ConnAcquireErr::Timeout | ConnAcquireErr::ConnectionClosed) => return true,
        DbErr::Conn(RuntimeErr::SqlxError(e))
        | DbErr::Exec(RuntimeErr::SqlxError(e))
        | DbErr::Query(RuntimeErr::SqlxError(e)) => e,
        DbErr::Conn(_) => return true,
        _ => return false,
    };
    match &**e {
        sqlx::Error::Io(_) | sqlx::Error::Tls(_) | sqlx::Error::Protocol(_) => true,
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => db.try_downcast_ref::<MySqlDatabaseError>().is_some_and(|my| {
            // 1047: WSREP has not yet prepared node for application use;
            // 1053: server shutdown in progress; 1927: connection killed;
            // 2006 / 2013: server gone away / lost connection.
            matches!(my.number(), 1047 | 1053 | 1927 | 2006 | 2013)
        }),
        _ => false,
    }
}

impl Store {
    /// Connects to `primary` (a `mysql://` URL of one Galera node) or, while
    /// it is down, to the first of `fallbacks` (other nodes of the same
    /// cluster) that is Synced; keeps watching, moves new connections to a
    /// surviving node when the one in use fails and back to the primary when
    /// it returns. Without fallbacks this is [`Store::connect`].
    pub async fn connect_with_fallbacks(config: &DbConfig, fallbacks: &[String]) -> Result<Self, DbErr> {
        if fallbacks.is_empty() {
            return Self::connect_with(config).await;
        }
        let nodes = Arc::new(Nodes::parse(&config.database_url, fallbacks)?);
        let first = nodes.first_ready(None).await.unwrap_or(0);
        nodes.current.store(first, Ordering::Relaxed);
        let mut opts =
            super::connect_options(&DbConfig { database_url: nodes.url(first).to_owned(), ..config.clone() });
        let watched = Arc::clone(&nodes);
        opts.map_sqlx_mysql_before_acquire(move |_conn, meta| {
            // A connection opened before the last switch leads to the node
            // left behind: drop it, the pool opens one to the new node.
            let fresh = watched.opened_since_switch(meta.age);
            Box::pin(async move { Ok(fresh) })
        });
        let store = Self::connect_opts(opts, config).await?;
        if first != 0 {
            tracing::warn!(node = %nodes.name(first), "primary database node unavailable; using a fallback");
        }
        tokio::spawn(watch(nodes, store.conn().get_mysql_connection_pool().clone()));
        Ok(store)
    }
}

/// The nodes a store may use (the primary first) and the one that new
/// connections go to.
#[derive(Debug)]
struct Nodes {
    urls: Vec<String>,
    opts: Vec<MySqlConnectOptions>,
    current: AtomicUsize,
    switched: Mutex<Instant>,
}

impl Nodes {
    fn parse(primary: &str, fallbacks: &[String]) -> Result<Self, DbErr> {
        let urls: Vec<String> = std::iter::once(primary.to_owned()).chain(fallbacks.iter().cloned()).collect();
        let opts = urls
            .iter()
            .map(|url| {
                if !url.starts_with("mysql://") {
                    return Err(DbErr::Custom("database fallback URLs are for MySQL / MariaDB (mysql://) only".into()));
                }
                url.parse::<MySqlConnectOptions>()
                    .map(|o| o.disable_statement_logging())
                    .map_err(|e| DbErr::Custom(format!("invalid database URL: {e}")))
            })
            .collect::<Result<_, _>>()?;
        Ok(Self { urls, opts, current: AtomicUsize::new(0), switched: Mutex::new(Instant::now()) })
    }

    fn url(&self, i: usize) -> &str {
        &self.urls[i]
    }

    /// host:port of node `i`, for logs (never the credentials).
    fn name(&self, i: usize) -> String {
        format!("{}:{}", self.opts[i].get_host(), self.opts[i].get_port())
    }

    fn opened_since_switch(&self, age: Duration) -> bool {
        age < self.switched.lock().unwrap_or_else(PoisonError::into_inner).elapsed()
    }

    /// The first node, in order, that is ready (skipping `except`).
    async fn first_ready(&self, except: Option<usize>) -> Option<usize> {
        for i in 0..self.opts.len() {
            if Some(i) != except && ready(&self.opts[i]).await {
                return Some(i);
            }
        }
        None
    }

    /// Points new connections of `pool` at node `to`.
    fn switch(&self, to: usize, pool: &MySqlPool) {
        let from = self.current.swap(to, Ordering::Relaxed);
        pool.set_connect_options(self.opts[to].clone());
        *self.switched.lock().unwrap_or_else(PoisonError::into_inner) = Instant::now();
        if to == 0 {
            tracing::info!(from = %self.name(from), to = %self.name(to), "database primary is back; switched to it");
        } else {
            tracing::warn!(from = %self.name(from), to = %self.name(to), "database node unavailable; failed over");
        }
    }
}

/// Probes the node in use every second (and the primary, after a failover)
/// until the pool closes.
async fn watch(nodes: Arc<Nodes>, pool: MySqlPool) {
    let mut tick = tokio::time::interval(PROBE_INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if pool.is_closed() {
            return;
        }
        let current = nodes.current.load(Ordering::Relaxed);
        let target = if current != 0 && ready(&nodes.opts[0]).await {
            Some(0)
        } else if ready(&nodes.opts[current]).await {
            None
        } else {
            let next = nodes.first_ready(Some(current)).await;
            if next.is_none() {
                tracing::warn!(node = %nodes.name(current), "database node unavailable and no fallback is ready");
            }
            next
        };
        if let Some(to) = target.filter(|&to| to != current) {
            nodes.switch(to, &pool);
        }
    }
}

/// Whether the node answers and, when it is a Galera node, is in the primary
/// component and Synced (or a donor, which still serves).
async fn ready(opts: &MySqlConnectOptions) -> bool {
    let probe = async {
        let mut conn = MySqlConnection::connect_with(opts).await?;
        let rows: Vec<(String, String)> =
            sqlx::query_as("SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_ready', 'wsrep_local_state')")
                .fetch_all(&mut conn)
                .await?;
        let on: Option<i64> = sqlx::query_scalar(IS_GALERA).fetch_one(&mut conn).await.ok();
        let _ = conn.close().await;
        let value = |name: &str| rows.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str());
        // 4: Synced, 2: Donor/Desynced; a server without wsrep is ready.
        Ok::<_, sqlx::Error>(
            on != Some(1)
                || (value("wsrep_ready") == Some("ON") && matches!(value("wsrep_local_state"), Some("4" | "2"))),
        )
    };
    matches!(tokio::time::timeout(PROBE_TIMEOUT, probe).await, Ok(Ok(true)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fallback_urls_must_be_mysql_urls() {
        let err = Nodes::parse("mysql://root@127.0.0.1:3311/db", &["sqlite://x.db".to_owned()]);
        assert!(matches!(err, Err(DbErr::Custom(m)) if m.contains("mysql://")));
    }

    #[test]
    fn node_names_show_host_and_port_but_never_the_password() {
        let nodes = Nodes::parse("mysql://root:secret@127.0.0.1:3311/db", &["mysql://u:pw@db2:3312/db".to_owned()])
            .expect("valid urls");
        assert_eq!(nodes.name(0), "127.0.0.1:3311");
        assert_eq!(nodes.name(1), "db2:3312");
    }

    #[test]
    fn a_connection_opened_before_the_last_switch_is_dropped() {
        let nodes = Nodes::parse("mysql://root@127.0.0.1:3311/db", &["mysql://root@127.0.0.1:3312/db".to_owned()])
            .expect("valid urls");
        *nodes.switched.lock().expect("not poisoned") = Instant::now() - Duration::from_secs(10);
        assert!(nodes.opened_since_switch(Duration::from_secs(3)));
        assert!(!nodes.opened_since_switch(Duration::from_secs(30)));
    }

    #[test]
    fn a_lost_connection_is_unavailable_but_a_duplicate_key_is_not() {
        let io = sqlx::Error::Io(std::io::Error::from(std::io::ErrorKind::ConnectionReset));
        assert!(is_unavailable(&DbErr::Exec(RuntimeErr::SqlxError(Arc::new(io)))));
        assert!(is_unavailable(&DbErr::ConnectionAcquire(ConnAcquireErr::Timeout)));
        assert!(!is_unavailable(&DbErr::RecordNotFound("user".into())));
        assert!(!is_unavailable(&DbErr::Exec(RuntimeErr::SqlxError(Arc::new(sqlx::Error::RowNotFound)))));
    }
}
