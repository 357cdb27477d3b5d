//! One edge over two identity-core replicas, through the real binaries:
//! calls reach both, and when one is killed with SIGKILL under load the
//! other keeps serving; only calls in flight at the kill may fail, with 503.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use reqwest::StatusCode;
use serde_json::json;
use support::*;

/// Concurrent SCIM clients.
const WORKERS: usize = 4;
/// Requests each client sends after the kill.
const AFTER_KILL: usize = 25;

async fn calls_served(metrics_url: &str) -> f64 {
    let text = http().get(metrics_url).send().await.unwrap().text().await.unwrap();
    text.lines()
        .filter(|l| l.starts_with("identity_core_grpc_calls_total{method=\"/identity.v1.UserService/"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

async fn one_edge_over_two_cores_survives_a_kill(url: &str) {
    let mut a = Service::core_with(url, &["--metrics-listen", "127.0.0.1:0"]);
    let a_metrics = format!("http://{}/metrics", a.wait_for_addr("metrics listening addr="));
    let a_addr = a.wait_for_addr(CORE_LISTENING);
    let mut b = Service::core_with(url, &["--metrics-listen", "127.0.0.1:0"]);
    let b_metrics = format!("http://{}/metrics", b.wait_for_addr("metrics listening addr="));
    let b_addr = b.wait_for_addr(CORE_LISTENING);
    // B by host name: resolved (and re-resolved) by the edge.
    let mut edge = Service::edge(&format!("http://{a_addr},http://localhost:{}", b_addr.port()));
    let base = format!("http://{}/scim/v2", edge.wait_for_addr(EDGE_LISTENING));
    let token = new_token(url, "acme");

    let sent = Arc::new(AtomicUsize::new(0));
    let killed = Arc::new(AtomicBool::new(false));
    let mut workers = Vec::new();
    for w in 0..WORKERS {
        let (base, token, sent, killed) = (base.clone(), token.clone(), sent.clone(), killed.clone());
        workers.push(tokio::spawn(async move {
            let client = http();
            let (mut before, mut after) = (Vec::new(), Vec::new());
            let mut i = 0;
            while after.len() < AFTER_KILL {
                i += 1;
                let status = client
                    .post(format!("{base}/Users"))
                    .bearer_auth(&token)
                    .header("content-type", SCIM_JSON)
                    .body(json!({"userName": format!("w{w}-{i}@x.com")}).to_string())
                    .send()
                    .await
                    .map(|r| r.status())
                    .unwrap_or(StatusCode::BAD_GATEWAY);
                sent.fetch_add(1, Ordering::SeqCst);
                // The flag is set before the kill: a call that completed
                // with it unset was over before the kill.
                let was_killed = killed.load(Ordering::SeqCst);
                if was_killed {
                    after.push(status)
                } else {
                    before.push(status)
                }
                // Before the kill, run until told; never more than a bound.
                if !was_killed && before.len() > 2_000 {
                    break;
                }
            }
            (before, after)
        }));
    }

    // Both replicas take calls before the kill.
    let deadline = std::time::Instant::now() + WAIT;
    while calls_served(&a_metrics).await < 5.0 || calls_served(&b_metrics).await < 5.0 {
        assert!(std::time::Instant::now() < deadline, "calls did not reach both replicas");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    killed.store(true, Ordering::SeqCst);
    a.child.kill().unwrap(); // SIGKILL
    let _ = a.child.wait();

    let mut failed_after = Vec::new();
    for worker in workers {
        let (before, after) = tokio::time::timeout(WAIT * 2, worker).await.expect("workers finish").unwrap();
        assert!(before.iter().all(|s| *s == StatusCode::CREATED), "a call failed before the kill: {before:?}");
        assert_eq!(after.len(), AFTER_KILL);
        // Calls in flight at the kill may fail, with 503; everything sent
        // once the edge noticed goes to the survivor.
        let failed: Vec<_> = after.iter().filter(|s| **s != StatusCode::CREATED).copied().collect();
        assert!(failed.iter().all(|s| *s == StatusCode::SERVICE_UNAVAILABLE), "failures other than 503: {after:?}");
        // One call in flight per client at the kill: at most one failure.
        assert!(failed.len() <= 1, "more than the call in flight failed: {after:?}");
        failed_after.extend(failed);
    }
    assert!(failed_after.len() <= WORKERS, "more failures than calls in flight: {failed_after:?}");
    assert!(calls_served(&b_metrics).await >= (WORKERS * AFTER_KILL) as f64 / 2.0);
    drop(b);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_edge_over_two_cores_survives_a_kill_on_sqlite() {
    let dir = TempDir::new();
    one_edge_over_two_cores_survives_a_kill(&dir.sqlite_url()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_edge_over_two_cores_survives_a_kill_on_mariadb() {
    let Some(db) = MariaDb::create().await else { return };
    let mut migrate = command(core_bin());
    migrate.args(["migrate", "--database-url", &db.url()]);
    assert!(run(migrate).status.success());
    one_edge_over_two_cores_survives_a_kill(&db.url()).await;
}
