//! Runs the real `identity-core` and `scim-edge` binaries the way an operator
//! does: help texts, `serve` + `tenant create` on one SQLite file, the same
//! flow on MariaDB, graceful SIGTERM, and the edge's 503 while the core is down.
//!
//! Every wait is bounded ([`WAIT`]); a child still running when a test ends
//! (or panics) is killed, and on failure its collected log is printed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::net::TcpListener;
use std::path::Path;

use reqwest::StatusCode;
use serde_json::json;
use support::*;

/// serve + two `tenant create` on the same database while it runs, then SCIM
/// through scim-edge with the printed token.
async fn serve_create_tenants_and_provision(database_url: &str) {
    let mut core = Service::core(database_url);
    let core_addr = core.wait_for_addr(CORE_LISTENING);
    assert_eq!(core_addr.ip().to_string(), "127.0.0.1");

    let acme = new_token(database_url, "acme");
    let globex = new_token(database_url, "globex");
    assert_ne!(acme, globex);

    let dup = tenant_create(database_url, "acme");
    let stderr = String::from_utf8_lossy(&dup.stderr);
    assert!(!dup.status.success(), "a second tenant named acme was created: {}", String::from_utf8_lossy(&dup.stdout));
    assert!(
        stderr.contains("already taken") && !stderr.contains("panicked"),
        "unclear error for a taken name:\n{stderr}"
    );

    let mut edge = Service::edge(&format!("http://{core_addr}"));
    let base = format!("http://{}/scim/v2", edge.wait_for_addr(EDGE_LISTENING));
    let client = http();

    let (status, _, body) = answer(client.get(format!("{base}/Users?startIndex=1&count=2")).bearer_auth(&acme)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["totalResults"], json!(0), "{body}");

    let create = client
        .post(format!("{base}/Users"))
        .bearer_auth(&acme)
        .header("content-type", SCIM_JSON)
        .body(json!({"userName": "a@x.com"}).to_string());
    let (status, _, body) = answer(create).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["userName"], json!("a@x.com"), "{body}");

    // The user is acme's: globex's token does not see it.
    let (_, _, body) = answer(client.get(format!("{base}/Users")).bearer_auth(&acme)).await;
    assert_eq!(body["totalResults"], json!(1), "{body}");
    let (_, _, body) = answer(client.get(format!("{base}/Users")).bearer_auth(&globex)).await;
    assert_eq!(body["totalResults"], json!(0), "{body}");
}

#[test]
fn both_binaries_document_their_interface_in_help() {
    let cases: [(&Path, &[&str], &[&str]); 4] = [
        (core_bin(), &["--help"], &["serve", "migrate", "tenant"]),
        (
            core_bin(),
            &["serve", "--help"],
            &["--database-url", "--listen", "IDENTITY_DATABASE_URL", "IDENTITY_CORE_LISTEN"],
        ),
        (core_bin(), &["tenant", "create", "--help"], &["--database-url", "IDENTITY_DATABASE_URL"]),
        (edge_bin(), &["--help"], &["--core-url", "--listen", "IDENTITY_CORE_URL", "SCIM_EDGE_LISTEN"]),
    ];
    for (bin, args, mentions) in cases {
        let mut cmd = command(bin);
        cmd.args(args);
        let out = run(cmd);
        let help = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{} {args:?}: {}\n{}",
            bin.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        for word in mentions {
            assert!(help.contains(word), "{} {args:?} does not mention {word}:\n{help}", bin.display());
        }
    }
}

#[tokio::test]
async fn tenant_create_works_while_serve_runs_on_the_same_sqlite_file() {
    let dir = TempDir::new();
    serve_create_tenants_and_provision(&dir.sqlite_url()).await;
}

#[tokio::test]
async fn the_same_flow_works_on_mariadb() {
    let Some(db) = MariaDb::create().await else { return };
    let mut migrate = command(core_bin());
    migrate.args(["migrate", "--database-url", &db.url()]);
    let out = run(migrate);
    assert!(out.status.success(), "migrate: {}\n{}", out.status, String::from_utf8_lossy(&out.stderr));
    serve_create_tenants_and_provision(&db.url()).await;
}

#[test]
fn sigterm_stops_both_services_gracefully() {
    let dir = TempDir::new();
    let mut core = Service::core(&dir.sqlite_url());
    let core_addr = core.wait_for_addr(CORE_LISTENING);
    let mut edge = Service::edge(&format!("http://{core_addr}"));
    edge.wait_for_addr(EDGE_LISTENING);

    let status = edge.terminate();
    assert!(status.success(), "scim-edge exited with {status} after SIGTERM");
    edge.wait_for_line("scim-edge stopped");

    let status = core.terminate();
    assert!(status.success(), "identity-core exited with {status} after SIGTERM");
    core.wait_for_line("identity-core stopped");
}

#[tokio::test]
async fn the_edge_answers_503_with_a_scim_error_while_the_core_is_down() {
    let dead = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let mut edge = Service::edge(&format!("http://{dead}"));
    let base = format!("http://{}/scim/v2", edge.wait_for_addr(EDGE_LISTENING));

    let (status, headers, body) = answer(http().get(format!("{base}/Users")).bearer_auth("any-token")).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    let content_type = headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default();
    assert!(content_type.starts_with(SCIM_JSON), "content-type {content_type:?}");
    assert_eq!(body["status"], json!("503"), "{body}");
    assert_eq!(body["schemas"], json!([SCIM_ERROR_SCHEMA]), "{body}");
    assert!(headers.contains_key("retry-after"), "no Retry-After in {headers:?}");
}

#[test]
fn operators_set_modes_and_declare_schemas_from_the_command_line() {
    let dir = TempDir::new();
    let url = dir.sqlite_url();
    new_token(&url, "acme");

    let mut set = command(core_bin());
    set.args(["tenant", "set-mode", "acme", "strict", "--database-url", &url]);
    let out = run(set);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut bad = command(core_bin());
    bad.args(["tenant", "set-mode", "acme", "sideways", "--database-url", &url]);
    assert!(!run(bad).status.success(), "an unknown mode is refused");
    let mut list = command(core_bin());
    list.args(["tenant", "list", "--database-url", &url]);
    let out = run(list);
    let listed = String::from_utf8_lossy(&out.stdout);
    assert!(listed.lines().any(|l| l.starts_with("acme\t") && l.ends_with("\tstrict")), "{listed}");

    let file = dir.0.join("acme.json");
    std::fs::write(
        &file,
        json!({
            "id": "urn:ietf:params:scim:schemas:extension:acme:2.0:User",
            "name": "AcmeUser",
            "attributes": [{"name": "badge", "type": "string"}, {"name": "level", "type": "integer", "multiValued": false}]
        })
        .to_string(),
    )
    .unwrap();
    let mut add = command(core_bin());
    add.args(["schema", "add", "--tenant", "acme"]).arg(&file).args(["--database-url", &url]);
    let out = run(add);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut again = command(core_bin());
    again.args(["schema", "add", "--tenant", "acme"]).arg(&file).args(["--database-url", &url]);
    assert!(!run(again).status.success(), "a schema is declared once");
    let mut list = command(core_bin());
    list.args(["schema", "list", "--tenant", "acme", "--database-url", &url]);
    let out = run(list);
    let listed = String::from_utf8_lossy(&out.stdout);
    assert!(listed.contains("urn:ietf:params:scim:schemas:extension:acme:2.0:User\tUser\tbadge,level"), "{listed}");
}
