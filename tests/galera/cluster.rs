//! The loopback Galera cluster of `scripts/galera.sh`: its three nodes, SQL
//! on each of them (with `wsrep_sync_wait`, so a read sees every committed
//! write), their conflict counters, and the script itself (`kill`, `up`).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use sea_orm::sqlx::mysql::MySqlConnection;
use sea_orm::sqlx::{self, AssertSqlSafe, Connection, Executor};
use tokio::sync::{Mutex, MutexGuard};

/// SQL ports of nodes 1, 2 and 3.
pub const NODES: [u16; 3] = [3311, 3312, 3313];

/// One test at a time on the cluster: the node-loss test kills a node, and
/// the conflict counters are cluster-wide.
static CLUSTER: Mutex<()> = Mutex::const_new(());

/// `None` (the test is skipped, loudly) unless `GALERA_TEST=1`; otherwise
/// the cluster, held until the guard drops, after checking it is healthy.
pub async fn claim(test: &str) -> Option<MutexGuard<'static, ()>> {
    if std::env::var("GALERA_TEST").ok().as_deref() != Some("1") {
        eprintln!(
            "SKIPPED {test}: set GALERA_TEST=1 with a cluster from scripts/galera.sh up (.ci/galera.sh does both)"
        );
        return None;
    }
    let guard = CLUSTER.lock().await;
    wait_all_synced(Duration::from_secs(60)).await;
    Some(guard)
}

/// `mysql://` URL of the node on `port`, database `db`.
pub fn url(port: u16, db: &str) -> String {
    format!("mysql://root@127.0.0.1:{port}/{db}")
}

/// The workspace root (scripts/ lives there).
pub fn workspace() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the tests crate sits in the workspace")
}

/// target/<profile>/ of this test binary (target/<profile>/deps/galera-…).
pub fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    exe.parent().and_then(Path::parent).expect("target/<profile>/deps/<test>").to_path_buf()
}

/// One connection to a node; its reads wait until the node has applied
/// every write the cluster committed before them.
pub async fn connect(port: u16, db: &str) -> MySqlConnection {
    let mut conn = MySqlConnection::connect(&url(port, db))
        .await
        .unwrap_or_else(|e| panic!("cannot connect to node 127.0.0.1:{port}: {e}"));
    conn.execute("SET SESSION wsrep_sync_wait = 1").await.expect("set wsrep_sync_wait");
    conn
}

/// A single integer from `sql`.
pub async fn int(conn: &mut MySqlConnection, sql: &str) -> i64 {
    sqlx::query_scalar::<_, i64>(AssertSqlSafe(sql.to_owned()))
        .fetch_one(conn)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// Rows of two strings from `sql`.
pub async fn pairs(conn: &mut MySqlConnection, sql: &str) -> Vec<(String, String)> {
    sqlx::query_as::<_, (String, String)>(AssertSqlSafe(sql.to_owned()))
        .fetch_all(conn)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// A global status variable of the node on `port`, `None` when it does not answer.
pub async fn status(port: u16, name: &str) -> Option<String> {
    show(port, "STATUS", name).await
}

async fn show(port: u16, what: &str, name: &str) -> Option<String> {
    let attempt = async {
        let mut conn = MySqlConnection::connect(&format!("mysql://root@127.0.0.1:{port}")).await.ok()?;
        let row: Option<(String, String)> = sqlx::query_as(AssertSqlSafe(format!("SHOW GLOBAL {what} LIKE '{name}'")))
            .fetch_optional(&mut conn)
            .await
            .ok()?;
        let _ = conn.close().await;
        row.map(|(_, v)| v)
    };
    tokio::time::timeout(Duration::from_secs(5), attempt).await.ok().flatten()
}

/// Galera's conflict counters, summed over the nodes: local transactions
/// that failed certification, and local transactions aborted by a
/// replicated one (brute-force aborts). Both are retried by identity-core.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Conflicts {
    pub cert_failures: u64,
    pub bf_aborts: u64,
}

impl Conflicts {
    pub async fn now() -> Self {
        let mut sum = Self::default();
        for port in NODES {
            let read = async |name| status(port, name).await.and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
            sum.cert_failures += read("wsrep_local_cert_failures").await;
            sum.bf_aborts += read("wsrep_local_bf_aborts").await;
        }
        sum
    }

    pub fn since(self, before: Self) -> Self {
        Self {
            cert_failures: self.cert_failures.saturating_sub(before.cert_failures),
            bf_aborts: self.bf_aborts.saturating_sub(before.bf_aborts),
        }
    }

    pub fn total(self) -> u64 {
        self.cert_failures + self.bf_aborts
    }
}

/// Waits until every node is Synced in a three-node primary component.
pub async fn wait_all_synced(timeout: Duration) {
    let deadline = Instant::now() + timeout;
    loop {
        let mut seen = Vec::new();
        for port in NODES {
            seen.push((
                port,
                status(port, "wsrep_local_state_comment").await,
                status(port, "wsrep_cluster_size").await,
            ));
        }
        if seen.iter().all(|(_, state, size)| state.as_deref() == Some("Synced") && size.as_deref() == Some("3")) {
            return;
        }
        assert!(Instant::now() < deadline, "the cluster is not 3 Synced nodes (scripts/galera.sh up): {seen:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Runs `scripts/galera.sh ARGS` (bounded); returns its output.
pub async fn script(args: &[&str]) -> String {
    let mut cmd = Command::new(workspace().join("scripts/galera.sh"));
    cmd.args(args);
    let desc = format!("scripts/galera.sh {}", args.join(" "));
    let run = tokio::task::spawn_blocking(move || cmd.output());
    let out = tokio::time::timeout(Duration::from_secs(120), run)
        .await
        .unwrap_or_else(|_| panic!("{desc} took more than 120 s"))
        .expect("the script's thread")
        .unwrap_or_else(|e| panic!("cannot run {desc}: {e}"));
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{desc} failed ({}):\n{text}", out.status);
    text
}

/// Nothing half-written on the node: every user has exactly two emails (the
/// suite creates users with two), and no email outlives its user.
pub async fn assert_users_whole(conn: &mut MySqlConnection, port: u16) {
    let partial = int(
        conn,
        "SELECT COUNT(*) FROM users u WHERE (SELECT COUNT(*) FROM user_values v \
         WHERE v.user_id = u.id AND v.attr = 'emails') <> 2",
    )
    .await;
    assert_eq!(partial, 0, "users without exactly two emails on node {port}");
    let orphans =
        int(conn, "SELECT COUNT(*) FROM user_values v LEFT JOIN users u ON u.id = v.user_id WHERE u.id IS NULL").await;
    assert_eq!(orphans, 0, "emails of no user on node {port}");
}
