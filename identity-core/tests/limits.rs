//! Limits and faults through the real binaries: the limit flags in the help
//! texts, `tenant set-limits` / `get-limits` applied by a running `serve`,
//! and the edge's 503 + Retry-After (never 500) when identity-core is
//! killed, or loses its database, while a request is in flight.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::process::Output;
use std::time::Duration;

use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Database, DatabaseTransaction, TransactionTrait};
use serde_json::{Value, json};
use support::*;

fn cli(database_url: &str, args: &[&str]) -> Output {
    let mut cmd = command(core_bin());
    cmd.args(args).args(["--database-url", database_url]);
    run(cmd)
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// identity-core (with `core_args`) on `database_url` and scim-edge in
/// front of it; returns both and the SCIM base URL.
fn stack(database_url: &str, core_args: &[&str]) -> (Service, Service, String) {
    let mut core = Service::core_with(database_url, core_args);
    let core_addr = core.wait_for_addr(CORE_LISTENING);
    let mut edge = Service::edge(&format!("http://{core_addr}"));
    let base = format!("http://{}/scim/v2", edge.wait_for_addr(EDGE_LISTENING));
    (core, edge, base)
}

/// A fresh, migrated MariaDB database with the tenant acme; its token.
async fn mariadb_with_acme() -> Option<(MariaDb, String)> {
    let db = MariaDb::create().await?;
    let migrate = cli(&db.url(), &["migrate"]);
    assert!(migrate.status.success(), "{}", stderr(&migrate));
    let token = new_token(&db.url(), "acme");
    Some((db, token))
}

/// A 503 the way IdPs retry it: an integer Retry-After and a SCIM error.
fn assert_retryable_503(status: StatusCode, headers: &reqwest::header::HeaderMap, body: &Value) {
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    let retry_after = headers.get("retry-after").and_then(|v| v.to_str().ok()).expect("a Retry-After");
    assert!(retry_after.parse::<u64>().is_ok_and(|s| s >= 1), "Retry-After {retry_after:?}");
    assert_eq!(body["schemas"], json!([SCIM_ERROR_SCHEMA]), "{body}");
    assert_eq!(body["status"], json!("503"), "{body}");
}

/// Creates a user through the edge; returns its id.
async fn create_user(base: &str, token: &str, user_name: &str) -> String {
    let req =
        http().post(format!("{base}/Users")).bearer_auth(token).header("content-type", SCIM_JSON).body(
            json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": user_name}).to_string(),
        );
    let (status, _, body) = answer(req).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["id"].as_str().unwrap().to_owned()
}

/// Holds the user's row (SQLite: the database's write lock) on a connection
/// of the test's own, so a write to it waits inside identity-core.
async fn hold_row(database_url: &str, id: &str) -> DatabaseTransaction {
    let db = Database::connect(database_url).await.unwrap();
    let lock = db.begin().await.unwrap();
    lock.execute_unprepared(&format!("UPDATE users SET user_name = user_name WHERE id = '{id}'")).await.unwrap();
    lock
}

/// Sends DELETE /Users/{id} in the background and checks, after a moment,
/// that it is still waiting (inside identity-core).
async fn delete_in_flight(
    base: &str,
    token: &str,
    id: &str,
) -> tokio::task::JoinHandle<(StatusCode, reqwest::header::HeaderMap, Value)> {
    let req = http().delete(format!("{base}/Users/{id}")).bearer_auth(token);
    let call = tokio::spawn(answer(req));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(!call.is_finished(), "the delete should be waiting on the held row");
    call
}

#[test]
fn the_limit_flags_and_commands_are_in_the_help() {
    let cases: [(&std::path::Path, &[&str], &[&str]); 3] = [
        (
            core_bin(),
            &["serve", "--help"],
            &[
                "--tenant-rps",
                "IDENTITY_TENANT_RPS",
                "--tenant-burst",
                "IDENTITY_TENANT_BURST",
                "--tenant-concurrency",
                "IDENTITY_TENANT_CONCURRENCY",
                "--request-timeout-secs",
                "IDENTITY_CORE_REQUEST_TIMEOUT_SECS",
                "--max-header-bytes",
                "IDENTITY_CORE_MAX_HEADER_BYTES",
                "--db-read-timeout-secs",
                "IDENTITY_DB_READ_TIMEOUT_SECS",
            ],
        ),
        (core_bin(), &["tenant", "--help"], &["set-limits", "get-limits"]),
        (
            edge_bin(),
            &["--help"],
            &[
                "--request-timeout-secs",
                "SCIM_EDGE_REQUEST_TIMEOUT_SECS",
                "--max-header-bytes",
                "SCIM_EDGE_MAX_HEADER_BYTES",
            ],
        ),
    ];
    for (bin, args, mentions) in cases {
        let mut cmd = command(bin);
        cmd.args(args);
        let out = run(cmd);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        let help = stdout(&out);
        for word in mentions {
            assert!(help.contains(word), "{} {args:?} does not mention {word}:\n{help}", bin.display());
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operators_override_a_tenants_limits_from_the_command_line() {
    let dir = TempDir::new();
    let url = dir.sqlite_url();
    let acme = new_token(&url, "acme");
    let globex = new_token(&url, "globex");

    let set = cli(&url, &["tenant", "set-limits", "acme", "--rps", "1", "--burst", "3"]);
    assert!(set.status.success(), "{}", stderr(&set));
    assert!(stdout(&set).contains("rps=1 burst=3 concurrency=default"), "{}", stdout(&set));
    let got = cli(&url, &["tenant", "get-limits", "acme"]);
    assert_eq!(stdout(&got).trim(), "acme\trps=1 burst=3 concurrency=default");
    let got = cli(&url, &["tenant", "get-limits", "globex"]);
    assert_eq!(stdout(&got).trim(), "globex\trps=default burst=default concurrency=default");

    let unknown = cli(&url, &["tenant", "set-limits", "nobody", "--rps", "1"]);
    assert!(!unknown.status.success());
    assert!(stderr(&unknown).contains("not found") && !stderr(&unknown).contains("panicked"), "{}", stderr(&unknown));
    let negative = cli(&url, &["tenant", "set-limits", "acme", "--rps=-5"]);
    assert!(!negative.status.success());
    assert!(stderr(&negative).contains("between 0"), "{}", stderr(&negative));

    let (_core, _edge, base) = stack(&url, &[]);
    let get = |token: &str| answer(http().get(format!("{base}/Users")).bearer_auth(token));

    // One call for the edge to learn the tenant, then ten at once.
    assert_eq!(get(&acme).await.0, StatusCode::OK);
    let answers = futures_util::future::join_all((0..10).map(|_| get(&acme))).await;
    let limited: Vec<_> = answers.iter().filter(|(s, _, _)| *s == StatusCode::TOO_MANY_REQUESTS).collect();
    assert!(limited.len() >= 5, "{:?}", answers.iter().map(|a| a.0).collect::<Vec<_>>());
    for (_, headers, body) in limited {
        let retry_after = headers.get("retry-after").and_then(|v| v.to_str().ok()).unwrap_or_default();
        assert!(retry_after.parse::<u64>().is_ok_and(|s| s >= 1), "Retry-After {retry_after:?}");
        assert_eq!(body["status"], json!("429"), "{body}");
    }
    for (status, _, body) in futures_util::future::join_all((0..5).map(|_| get(&globex))).await {
        assert_eq!(status, StatusCode::OK, "globex keeps its defaults: {body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_the_core_mid_request_gives_503_with_retry_after_not_500() {
    let dir = TempDir::new();
    let url = dir.sqlite_url();
    let token = new_token(&url, "acme");
    let (mut core, _edge, base) = stack(&url, &["--db-busy-timeout-secs", "60"]);
    let id = create_user(&base, &token, "kill@example.com").await;

    let lock = hold_row(&url, &id).await;
    let call = delete_in_flight(&base, &token, &id).await;
    core.child.kill().unwrap(); // SIGKILL
    core.child.wait().unwrap();
    let (status, headers, body) = call.await.unwrap();
    assert_retryable_503(status, &headers, &body);
    lock.rollback().await.unwrap();

    // Nothing was acknowledged, nothing was lost: the user is still there.
    let (_core, _edge, base) = stack(&url, &[]);
    let (status, _, body) = answer(http().get(format!("{base}/Users/{id}")).bearer_auth(&token)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn losing_the_database_mid_request_gives_503_with_retry_after_not_500() {
    let Some((db, token)) = mariadb_with_acme().await else { return };
    let proxy = Proxy::to(db.host_port()).await;
    let (_core, _edge, base) = stack(&db.url_through(proxy.addr), &["--db-acquire-timeout-secs", "1"]);
    let id = create_user(&base, &token, "lost@example.com").await;

    let lock = hold_row(&db.url(), &id).await;
    let call = delete_in_flight(&base, &token, &id).await;
    proxy.cut().await;
    let (status, headers, body) = call.await.unwrap();
    assert_retryable_503(status, &headers, &body);
    // And while the database stays unreachable.
    let (status, headers, body) = answer(http().get(format!("{base}/Users")).bearer_auth(&token)).await;
    assert_retryable_503(status, &headers, &body);
    lock.rollback().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_statement_killed_by_mariadb_mid_request_gives_503_not_500() {
    let Some((db, token)) = mariadb_with_acme().await else { return };
    let (_core, _edge, base) = stack(&db.url(), &[]);
    let id = create_user(&base, &token, "killed@example.com").await;

    let lock = hold_row(&db.url(), &id).await;
    let call = delete_in_flight(&base, &token, &id).await;
    // What a server shutdown or an operator's KILL QUERY does to the
    // statement waiting inside identity-core (ER_QUERY_INTERRUPTED, 1317).
    let name = db.url().rsplit('/').next().unwrap().to_owned();
    let admin = Database::connect(db.url()).await.unwrap();
    let waiting = admin
        .query_one_raw(sea_orm::Statement::from_string(
            admin.get_database_backend(),
            format!(
                "SELECT id FROM information_schema.processlist WHERE db = '{name}' AND command IN ('Query', 'Execute') \
                 AND id <> CONNECTION_ID() AND info NOT LIKE '%processlist%'"
            ),
        ))
        .await
        .unwrap()
        .expect("identity-core's statement waits on the held row");
    let conn: i64 = waiting.try_get("", "id").unwrap();
    admin.execute_unprepared(&format!("KILL QUERY {conn}")).await.unwrap();
    let (status, headers, body) = call.await.unwrap();
    assert_retryable_503(status, &headers, &body);
    lock.rollback().await.unwrap();
}
