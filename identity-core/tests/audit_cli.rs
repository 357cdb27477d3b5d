//! `identity-core audit …` as an operator runs it, on the real binary: the
//! CLI's own writes are recorded (credential `cli`), `audit list --tenant A
//! [--since T]` prints only A's events, one JSON object per line, and
//! retention (`serve --audit-retention-days`, `audit purge`) deletes old
//! events only. On SQLite and on MariaDB.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};
use support::*;

/// Runs `identity-core ARGS --database-url URL`; stdout on success.
fn core(url: &str, args: &[&str]) -> Result<String, String> {
    let mut cmd = command(core_bin());
    cmd.args(args).args(["--database-url", url]);
    let out = run(cmd);
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    if out.status.success() { Ok(stdout.into_owned()) } else { Err(format!("{stdout}{stderr}")) }
}

/// `audit list --tenant NAME [EXTRA…]`, each line parsed as JSON.
fn audit_list(url: &str, tenant: &str, extra: &[&str]) -> Vec<Value> {
    let mut args = vec!["audit", "list", "--tenant", tenant];
    args.extend_from_slice(extra);
    let out = core(url, &args).unwrap_or_else(|e| panic!("audit list {extra:?}: {e}"));
    out.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not one JSON object: {l:?}: {e}"))).collect()
}

/// The id of the tenant named `name` (`tenant list`: name, id, mode).
fn tenant_id(url: &str, name: &str) -> String {
    let listed = core(url, &["tenant", "list"]).unwrap();
    let line = listed.lines().find(|l| l.starts_with(&format!("{name}\t"))).expect("the tenant is listed");
    line.split('\t').nth(1).unwrap().to_owned()
}

async fn list_filter_and_retain(url: &str) {
    let acme_token = new_token(url, "acme");
    new_token(url, "globex");
    let (acme, globex) = (tenant_id(url, "acme"), tenant_id(url, "globex"));

    // An event from 100 days ago, as if written then.
    let old_us = chrono::Utc::now().timestamp_micros() - 100 * 86_400 * 1_000_000;
    let db = Database::connect(url.replace("?mode=rwc", "")).await.unwrap();
    db.execute_unprepared(&format!(
        "INSERT INTO audit_events (time_us, tenant_id, credential_id, operation, resource_type, resource_id, \
         outcome, request_id) VALUES ({old_us}, '{acme}', 'tok_old', 'identity.v1.UserService/DeleteUser', 'User', \
         'old-user', 'OK', 'req-old')"
    ))
    .await
    .unwrap();
    let _ = db.close().await;

    let all = audit_list(url, "acme", &[]);
    assert_eq!(all.len(), 2, "{all:#?}");
    assert!(all.iter().all(|e| e["tenant_id"] == acme.as_str()), "only acme's events: {all:#?}");
    // Newest first by id: the back-dated row was inserted last.
    assert_eq!(all[0]["resource_id"], "old-user");
    let created = &all[1];
    assert_eq!(created["operation"], "identity.v1.AdminService/CreateTenant");
    assert_eq!(
        (&created["credential_id"], &created["resource_type"], &created["resource_id"], &created["outcome"]),
        (&json!("cli"), &json!("Tenant"), &json!(acme), &json!("OK"))
    );
    assert!(created["time"].as_str().unwrap().ends_with('Z') && created["id"].as_str().is_some());
    assert!(!all.iter().any(|e| e.to_string().contains(acme_token.trim_start_matches("idt_"))));
    let globex_events = audit_list(url, "globex", &[]);
    assert_eq!(globex_events.len(), 1);
    assert_eq!(globex_events[0]["tenant_id"], globex.as_str());
    assert_eq!(audit_list(url, &acme, &[]).len(), 2, "a tenant is named by id too");

    // --since: an age before now, or an RFC 3339 time.
    let recent = audit_list(url, "acme", &["--since", "1h"]);
    assert_eq!(recent.len(), 1, "{recent:#?}");
    assert_eq!(recent[0]["resource_type"], "Tenant");
    assert_eq!(audit_list(url, "acme", &["--since", "2000-01-01T00:00:00Z"]).len(), 2);
    assert!(audit_list(url, "acme", &["--since", "2999-01-01T00:00:00+01:00"]).is_empty());
    let bad = core(url, &["audit", "list", "--tenant", "acme", "--since", "yesterday"]).unwrap_err();
    assert!(bad.contains("RFC 3339"), "{bad}");
    assert!(core(url, &["audit", "list", "--tenant", "nobody"]).is_err(), "an unknown tenant fails");

    // serve deletes what is past retention when it starts (then hourly).
    let mut serve = Service::core_with(url, &["--audit-retention-days", "90"]);
    serve.wait_for_line("audit events past retention deleted");
    serve.terminate();
    let kept = audit_list(url, "acme", &[]);
    assert_eq!(kept.len(), 1, "the 100-day-old event is gone, the new one kept: {kept:#?}");

    // audit purge: by age, every tenant.
    let out = core(url, &["audit", "purge", "--older-than", "90d"]).unwrap();
    assert!(out.starts_with("0 audit events"), "{out}");
    let out = core(url, &["audit", "purge", "--older-than", "0s"]).unwrap();
    assert!(out.starts_with("2 audit events"), "{out}");
    assert!(audit_list(url, "acme", &[]).is_empty() && audit_list(url, "globex", &[]).is_empty());
    assert!(core(url, &["audit", "purge", "--older-than", "90"]).is_err(), "an age needs a unit");
}

#[tokio::test]
async fn audit_list_and_retention_on_sqlite() {
    let dir = TempDir::new();
    list_filter_and_retain(&dir.sqlite_url()).await;
}

#[tokio::test]
async fn audit_list_and_retention_on_mariadb() {
    let Some(db) = MariaDb::create().await else { return };
    core(&db.url(), &["migrate"]).unwrap();
    list_filter_and_retain(&db.url()).await;
}

#[test]
fn the_audit_commands_document_their_flags() {
    let list = core("sqlite::memory:", &["audit", "list", "--help"]).unwrap();
    assert!(list.contains("--tenant") && list.contains("--since") && list.contains("RFC 3339"), "{list}");
    let serve = core("sqlite::memory:", &["serve", "--help"]).unwrap();
    assert!(serve.contains("--audit-retention-days") && serve.contains("IDENTITY_AUDIT_RETENTION_DAYS"), "{serve}");
}
