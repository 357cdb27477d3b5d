//! The schema as a deployment step: `migrate` applies pending migrations
//! under a database-level lock (MySQL `GET_LOCK`), so replicas or jobs that
//! start together take turns and all succeed; `pending` tells `serve`
//! whether the schema is behind this binary.

use std::collections::HashSet;

use migrations::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr, Statement};

use super::connect_options;
use crate::config::DbConfig;

/// The migrations' bookkeeping table (SeaORM's default name).
const MIGRATIONS_TABLE: &str = "seaql_migrations";
/// How long a run waits for another run's lock, in seconds.
const LOCK_WAIT_SECS: u32 = 600;

/// Applies pending migrations; returns the names of those it applied. On
/// MySQL the run holds `GET_LOCK` (named after the database) throughout, on
/// one connection, so a concurrent run waits, then finds nothing to do.
pub async fn migrate(config: &DbConfig) -> Result<Vec<String>, DbErr> {
    // One connection: GET_LOCK belongs to a session.
    let mut opts = connect_options(config);
    opts.max_connections(1).min_connections(1);
    let db = Database::connect(opts).await?;
    let locked = db.get_database_backend() == DbBackend::MySql;
    if locked {
        let got = db
            .query_one_raw(Statement::from_string(
                DbBackend::MySql,
                format!("SELECT GET_LOCK(CONCAT('identity-core-migrate:', DATABASE()), {LOCK_WAIT_SECS}) AS got"),
            ))
            .await?
            .and_then(|row| row.try_get::<Option<i64>>("", "got").ok().flatten());
        if got != Some(1) {
            return Err(DbErr::Custom(format!("another migration run held the lock for more than {LOCK_WAIT_SECS} s")));
        }
    }
    let outcome = async {
        let before = pending(&db).await?;
        if !before.is_empty() {
            tracing::info!(pending = %before.join(","), "applying migrations");
            Migrator::up(&db, None).await?;
        }
        Ok(before)
    }
    .await;
    if locked {
        // Closing the session would release it too; say so explicitly.
        let _ = db.execute_unprepared("SELECT RELEASE_LOCK(CONCAT('identity-core-migrate:', DATABASE()))").await;
    }
    let _ = db.close().await;
    outcome
}

/// Migrations this binary knows that the database has not applied. A
/// database ahead of the binary (a newer release migrated it) is not behind.
pub async fn pending(db: &DatabaseConnection) -> Result<Vec<String>, DbErr> {
    let applied: HashSet<String> = if has_table(db, MIGRATIONS_TABLE).await? {
        db.query_all_raw(Statement::from_string(
            db.get_database_backend(),
            format!("SELECT version FROM {MIGRATIONS_TABLE}"),
        ))
        .await?
        .into_iter()
        .filter_map(|row| row.try_get::<String>("", "version").ok())
        .collect()
    } else {
        HashSet::new()
    };
    Ok(Migrator::migrations().into_iter().map(|m| m.name().to_owned()).filter(|name| !applied.contains(name)).collect())
}

async fn has_table(db: &DatabaseConnection, table: &str) -> Result<bool, DbErr> {
    let sql = match db.get_database_backend() {
        DbBackend::MySql => format!(
            "SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = '{table}'"
        ),
        _ => format!("SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = '{table}'"),
    };
    let n = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await?
        .and_then(|row| row.try_get::<i64>("", "n").ok())
        .unwrap_or(0);
    Ok(n > 0)
}
