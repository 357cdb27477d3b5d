//! The credential and administration commands through the real binaries:
//! what they print (a secret alone on the last line; listings never show
//! one), a revoked token refused by two edges over two cores within 5
//! seconds, and a tenant delete interrupted midway and finished by running
//! it again.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::process::Output;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use support::*;

/// How soon every replica must refuse a revoked token.
const WITHIN: Duration = Duration::from_secs(5);

/// Runs `identity-core ARGS --database-url URL`.
fn cli(url: &str, args: &[&str]) -> Output {
    let mut cmd = command(core_bin());
    cmd.args(args).args(["--database-url", url]);
    run(cmd)
}

/// Runs a command that must succeed; returns its stdout.
fn ok(url: &str, args: &[&str]) -> String {
    let out = cli(url, args);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{args:?}: {}\n{stdout}{}", out.status, String::from_utf8_lossy(&out.stderr));
    stdout
}

/// The last stdout line, checked to be a lone secret with `prefix`.
fn last_line_secret(stdout: &str, prefix: &str) -> String {
    let last = stdout.lines().last().unwrap_or_default().to_owned();
    assert!(last.starts_with(prefix) && last.len() >= 64 && !last.contains(char::is_whitespace), "{stdout}");
    last
}

#[test]
fn the_cli_prints_secrets_alone_on_the_last_line_and_lists_never_show_one() {
    let dir = TempDir::new();
    let url = dir.sqlite_url();
    let first = new_token(&url, "acme");

    let issued = ok(&url, &["token", "issue", "--tenant", "acme", "--label", "okta-2027", "--expires-in", "90d"]);
    let second = last_line_secret(&issued, "idt_");
    let listed = ok(&url, &["token", "list", "--tenant", "acme"]);
    let lines: Vec<&str> = listed.lines().collect();
    assert_eq!(lines.len(), 2, "{listed}");
    assert!(lines.iter().all(|l| l.starts_with("tok_") && l.ends_with("\tactive")), "{listed}");
    assert!(lines[1].contains("\tokta-2027\t") && !lines[1].contains("expires=-"), "{listed}");
    assert!(!listed.contains(&first) && !listed.contains(&second), "a listing shows a secret:\n{listed}");
    let first_id = lines[0].split('\t').next().unwrap();
    assert!(!first.contains(&first_id[4..]), "the id is no part of the secret");

    ok(&url, &["token", "revoke", "--tenant", "acme", first_id]);
    let listed = ok(&url, &["token", "list", "--tenant", "acme"]);
    assert!(listed.lines().any(|l| l.starts_with(first_id) && l.ends_with("\trevoked")), "{listed}");

    let account = ok(&url, &["service-account", "create", "sync", "--scope", "read", "--tenant", "acme"]);
    let sa_secret = last_line_secret(&account, "idsa_");
    let unbound = ok(&url, &["service-account", "create", "ops", "--scope", "admin"]);
    let unbound_secret = last_line_secret(&unbound, "idsa_");
    assert!(unbound.contains("x-tenant-id"), "says how to name the tenant:\n{unbound}");
    let accounts = ok(&url, &["service-account", "list"]);
    assert_eq!(accounts.lines().count(), 2, "{accounts}");
    assert!(accounts.lines().all(|l| l.starts_with("sa_")), "{accounts}");
    assert!(!accounts.contains(&sa_secret) && !accounts.contains(&unbound_secret), "{accounts}");
    assert_eq!(ok(&url, &["service-account", "list", "--tenant", "acme"]).lines().count(), 1);
    let sa_id = accounts.lines().next().unwrap().split('\t').next().unwrap().to_owned();
    ok(&url, &["service-account", "revoke", &sa_id]);
    assert!(ok(&url, &["service-account", "list"]).lines().any(|l| l.starts_with(&sa_id) && l.ends_with("\trevoked")));

    // Bad input: a clear message, a failure status, nothing written.
    for (args, says) in [
        (&["token", "issue", "--tenant", "acme", "--expires-in", "3w"][..], "expires-in"),
        (&["token", "issue", "--tenant", "nope"], "not found"),
        (&["token", "revoke", "--tenant", "acme", "tok_nope"], "not found"),
        (&["service-account", "create", "x", "--scope", "root"], "scope"),
        (&["schema", "delete", "--tenant", "acme", "urn:nope"], "not found"),
    ] {
        let out = cli(&url, args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success() && err.contains(says), "{args:?}: {}\n{err}", out.status);
    }
    assert_eq!(ok(&url, &["token", "list", "--tenant", "acme"]).lines().count(), 2);

    assert!(ok(&url, &["tenant", "suspend", "acme"]).contains("suspended"));
    assert!(ok(&url, &["tenant", "list"]).lines().any(|l| l.starts_with("acme\t") && l.ends_with("\tsuspended")));
    ok(&url, &["tenant", "resume", "acme"]);
    assert!(ok(&url, &["tenant", "list"]).lines().any(|l| l.starts_with("acme\t") && l.ends_with("\tlenient")));
    ok(&url, &["tenant", "delete", "acme"]);
    assert_eq!(ok(&url, &["tenant", "list"]), "");
}

/// Polls `GET {base}{path}` with `token` until 401; how long it took.
async fn until_refused(base: &str, token: &str, path: &str, since: Instant) -> Duration {
    loop {
        let status = http().get(format!("{base}{path}")).bearer_auth(token).send().await.unwrap().status();
        if status == StatusCode::UNAUTHORIZED {
            return since.elapsed();
        }
        assert_eq!(status, StatusCode::OK, "{base}{path}");
        assert!(since.elapsed() < WITHIN * 3, "{base}{path} still accepts the revoked token");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Two cores and two edges on one database: a token revoked through the CLI
/// is refused by every edge, on endpoints that call the core and on those
/// the edge answers alone, within 5 seconds, while the new token works.
async fn revocation_reaches_every_replica(url: &str) {
    let mut cores = [Service::core(url), Service::core(url)];
    let addrs: Vec<_> = cores.iter_mut().map(|c| c.wait_for_addr(CORE_LISTENING)).collect();
    // Each edge balances over both cores.
    let core_urls = format!("http://{},http://{}", addrs[0], addrs[1]);
    let mut edges = [Service::edge(&core_urls), Service::edge(&core_urls)];
    let bases: Vec<String> =
        edges.iter_mut().map(|e| format!("http://{}/scim/v2", e.wait_for_addr(EDGE_LISTENING))).collect();
    let old = new_token(url, "acme");
    let new = last_line_secret(&ok(url, &["token", "issue", "--tenant", "acme", "--label", "next"]), "idt_");
    let old_id =
        ok(url, &["token", "list", "--tenant", "acme"]).lines().next().unwrap().split('\t').next().unwrap().to_owned();

    // Keep every cache warm with the old token, as a busy IdP does.
    let paths = ["/Users", "/ServiceProviderConfig", "/Schemas"];
    for _ in 0..10 {
        for base in &bases {
            for path in paths {
                let status = http().get(format!("{base}{path}")).bearer_auth(&old).send().await.unwrap().status();
                assert_eq!(status, StatusCode::OK, "{base}{path}");
            }
        }
    }
    let revoked_at = Instant::now();
    let out = ok(url, &["token", "revoke", "--tenant", "acme", &old_id]);
    assert!(out.contains(&old_id), "{out}");
    let mut polls = Vec::new();
    for base in &bases {
        for path in paths {
            let (base, old) = (base.clone(), old.clone());
            polls.push(tokio::spawn(async move {
                (format!("{base}{path}"), until_refused(&base, &old, path, revoked_at).await)
            }));
        }
    }
    for poll in polls {
        let (what, took) = poll.await.unwrap();
        assert!(took < WITHIN, "{what} refused the revoked token only after {took:?}");
    }
    for base in &bases {
        let status = http().get(format!("{base}/Users")).bearer_auth(&new).send().await.unwrap().status();
        assert_eq!(status, StatusCode::OK, "the new token works at {base}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_token_is_refused_by_two_edges_over_two_cores_within_5s_on_sqlite() {
    let dir = TempDir::new();
    let url = dir.sqlite_url();
    ok(&url, &["migrate"]);
    revocation_reaches_every_replica(&url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_token_is_refused_by_two_edges_over_two_cores_within_5s_on_mariadb() {
    let Some(db) = MariaDb::create().await else { return };
    ok(&db.url(), &["migrate"]);
    revocation_reaches_every_replica(&db.url()).await;
}

#[test]
fn an_interrupted_tenant_delete_finishes_when_run_again() {
    let dir = TempDir::new();
    let url = dir.sqlite_url();
    let token = new_token(&url, "acme");
    new_token(&url, "globex");
    ok(&url, &["service-account", "create", "sync", "--scope", "read", "--tenant", "acme"]);

    // Killed while it waits for the replicas to notice: marked, not purged.
    let mut delete = command(core_bin());
    delete.args(["tenant", "delete", "acme", "--database-url", &url]);
    delete.stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null());
    let mut child = delete.spawn().unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    assert!(child.try_wait().unwrap().is_none(), "the delete finished before it could be interrupted");
    child.kill().unwrap();
    let _ = child.wait();

    let listed = ok(&url, &["tenant", "list"]);
    assert!(!listed.contains("acme") && listed.contains("globex"), "a tenant being deleted is not listed:\n{listed}");
    let issue = cli(&url, &["token", "issue", "--tenant", "acme"]);
    assert!(!issue.status.success(), "a tenant being deleted takes no new token");
    let out = ok(&url, &["tenant", "delete", "acme"]);
    // Its token, its service account, and the tenant row.
    assert!(out.contains("(3 rows)"), "{out}");
    let again = cli(&url, &["tenant", "delete", "acme"]);
    assert!(!again.status.success() && String::from_utf8_lossy(&again.stderr).contains("not found"));
    assert!(ok(&url, &["tenant", "list"]).contains("globex"));
    assert!(!token.is_empty());
}

/// Tokens without an id (made before the credentials migration, or by the
/// previous release during a rollout: it inserts no id) are listed and
/// revoked by the id the migration's backfill gives them, and the unique
/// index on ids lets the previous release create several.
async fn tokens_without_ids_get_the_backfilled_id(url: &str) {
    use sea_orm::{ConnectionTrait, Database};
    use sha2::{Digest, Sha256};
    ok(url, &["migrate"]);
    let db = Database::connect(url).await.unwrap();
    db.execute_unprepared(
        "INSERT INTO tenants (id, name, mode, created_us) VALUES ('00000000-0000-4000-8000-000000000001', 'old', 'lenient', 1)",
    )
    .await
    .unwrap();
    let secrets: Vec<String> = (0..2).map(|i| format!("idt_{}", format!("{i:x}").repeat(64))).collect();
    let hashes: Vec<String> = secrets.iter().map(|s| hex::encode(Sha256::digest(s.as_bytes()))).collect();
    for h in &hashes {
        db.execute_unprepared(&format!(
            "INSERT INTO api_tokens (token_hash, tenant_id, created_us) VALUES ('{h}', '00000000-0000-4000-8000-000000000001', 2)"
        ))
        .await
        .unwrap();
    }
    let listed = ok(url, &["token", "list", "--tenant", "old"]);
    let expected: Vec<String> = hashes.iter().map(|h| format!("tok_{}", &h[..24])).collect();
    for id in &expected {
        assert!(listed.lines().any(|l| l.starts_with(&format!("{id}\t"))), "{id} in\n{listed}");
    }
    ok(url, &["token", "revoke", "--tenant", "old", &expected[0]]);
    assert!(
        ok(url, &["token", "list", "--tenant", "old"])
            .lines()
            .any(|l| l.starts_with(&expected[0]) && l.ends_with("revoked"))
    );

    // The migration's own backfill derives the same ids.
    db.execute_unprepared("UPDATE api_tokens SET id = NULL").await.unwrap();
    db.execute_unprepared("DELETE FROM seaql_migrations").await.unwrap();
    ok(url, &["migrate"]);
    let rows = db
        .query_all_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT id FROM api_tokens ORDER BY id",
        ))
        .await
        .unwrap();
    let ids: Vec<String> = rows.iter().map(|r| r.try_get::<String>("", "id").unwrap()).collect();
    let mut want = expected.clone();
    want.sort();
    assert_eq!(ids, want);
    let _ = db.close().await;
}

#[tokio::test]
async fn tokens_without_ids_get_the_backfilled_id_on_sqlite() {
    let dir = TempDir::new();
    tokens_without_ids_get_the_backfilled_id(&dir.sqlite_url()).await;
}

#[tokio::test]
async fn tokens_without_ids_get_the_backfilled_id_on_mariadb() {
    let Some(db) = MariaDb::create().await else { return };
    tokens_without_ids_get_the_backfilled_id(&db.url()).await;
}
