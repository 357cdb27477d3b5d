//! Migrations as a deployment step, through the real binary: concurrent
//! `migrate` runs take turns, every step can be re-run, `serve` refuses a
//! MariaDB schema that is behind, and no CLI command creates a SQLite file
//! it was not asked to create.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use sea_orm::{ConnectionTrait, Database};
use support::*;

/// `identity-core migrate` on `url`, not yet waited for.
fn spawn_migrate(url: &str) -> std::process::Child {
    let mut cmd = command(core_bin());
    cmd.args(["migrate", "--database-url", url]).stdout(std::process::Stdio::null());
    cmd.stderr(std::process::Stdio::piped());
    cmd.spawn().expect("start identity-core migrate")
}

fn migrate(url: &str) -> std::process::Output {
    let mut cmd = command(core_bin());
    cmd.args(["migrate", "--database-url", url]);
    run(cmd)
}

/// Forgets every recorded migration, as if each had crashed after its DDL
/// but before it was recorded.
async fn forget_migrations(url: &str) {
    let db = Database::connect(url).await.unwrap();
    db.execute_unprepared("DELETE FROM seaql_migrations").await.unwrap();
    let _ = db.close().await;
}

#[tokio::test]
async fn two_migrate_runs_started_together_on_a_fresh_mariadb_database_both_succeed() {
    let Some(db) = MariaDb::create().await else { return };
    let url = db.url();
    let mut runs = [spawn_migrate(&url), spawn_migrate(&url)];
    let mut logs = Vec::new();
    for run in &mut runs {
        let status = wait_bounded(run, WAIT).expect("migrate finishes");
        let mut err = String::new();
        std::io::Read::read_to_string(run.stderr.as_mut().unwrap(), &mut err).unwrap();
        assert!(status.success(), "a concurrent migrate failed: {status}\n{err}");
        logs.push(err);
    }
    // They took turns: one applied the migrations, the other found none left.
    let applying = logs.iter().filter(|log| log.contains("applying migrations")).count();
    assert_eq!(applying, 1, "both runs applied migrations:\n{}", logs.join("\n----\n"));
    // The schema is complete: serve starts without --migrate.
    let mut core = Service::core(&url);
    core.wait_for_addr(CORE_LISTENING);
}

/// Migrates, forgets every recorded step, migrates again: each step must
/// find its own work done and carry on.
async fn migrate_twice_over_the_same_schema(url: &str) {
    let out = migrate(url);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    forget_migrations(url).await;
    let out = migrate(url);
    assert!(out.status.success(), "a re-run over an applied schema failed:\n{}", String::from_utf8_lossy(&out.stderr));
}

#[tokio::test]
async fn every_migration_can_run_again_over_its_own_work_on_mariadb() {
    let Some(db) = MariaDb::create().await else { return };
    migrate_twice_over_the_same_schema(&db.url()).await;
}

#[tokio::test]
async fn every_migration_can_run_again_over_its_own_work_on_sqlite() {
    let dir = TempDir::new();
    migrate_twice_over_the_same_schema(&dir.sqlite_url()).await;
}

#[tokio::test]
async fn serve_refuses_a_mariadb_schema_that_is_behind_and_says_what_to_run() {
    let Some(db) = MariaDb::create().await else { return };
    let url = db.url();
    let mut serve = command(core_bin());
    serve.args(["serve", "--database-url", &url, "--listen", "127.0.0.1:0"]);
    let out = run(serve);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "serve started on an empty database:\n{stderr}");
    assert!(stderr.contains("identity-core migrate") && stderr.contains("--migrate"), "unhelpful message:\n{stderr}");

    // A tenant command is refused the same way.
    let out = tenant_create(&url, "acme");
    assert!(!out.status.success(), "tenant create ran on an empty database");

    // With --migrate it migrates, then serves.
    let mut core = Service::core_with(&url, &["--migrate"]);
    core.wait_for_addr(CORE_LISTENING);
    new_token(&url, "acme");
}

#[test]
fn no_cli_command_creates_a_sqlite_file_it_was_not_asked_to_create() {
    let dir = TempDir::new();
    let file = dir.0.join("missing.db");
    let url = format!("sqlite://{}", file.display());
    for args in
        [&["tenant", "list"][..], &["tenant", "create", "acme"], &["migrate"], &["serve", "--listen", "127.0.0.1:0"]]
    {
        let mut cmd = command(core_bin());
        cmd.args(args).args(["--database-url", &url]);
        let out = run(cmd);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} succeeded without a database");
        assert!(
            stderr.contains("--database-url") && stderr.contains("mode=rwc"),
            "{args:?}: unhelpful message:\n{stderr}"
        );
        assert!(!file.exists(), "{args:?} created {}", file.display());
    }
}

#[test]
fn the_database_url_comes_from_the_flag_or_the_environment_for_every_subcommand() {
    let dir = TempDir::new();
    let url = dir.sqlite_url();
    // The variable, with the flag nowhere.
    let mut create = command(core_bin());
    create.args(["tenant", "create", "acme"]).env("IDENTITY_DATABASE_URL", &url);
    let out = run(create);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // The flag before the subcommand.
    let mut list = command(core_bin());
    list.args(["--database-url", &url, "tenant", "list"]);
    let out = run(list);
    let listed = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && listed.starts_with("acme\t"), "{listed}{}", String::from_utf8_lossy(&out.stderr));
    // The flag after it, on another subcommand.
    let mut schemas = command(core_bin());
    schemas.args(["schema", "list", "--tenant", "acme", "--database-url", &url]);
    let out = run(schemas);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}
