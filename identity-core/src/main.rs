//! The `identity-core` binary: `serve`, `migrate`, `tenant …`, `schema …`;
//! configuration in [`identity_core::config`].

use std::future::Future;
use std::path::Path;

use anyhow::Context;
use clap::{Parser, Subcommand};
use identity_core::Store;
use identity_core::config::{DbConfig, ServeConfig};
use identity_core::schema_file;
use identity_core::store::{self, schemas, tenants};
use proto::v1::ResourceType;
use telemetry::LogFormat;
use tokio::net::TcpListener;

#[derive(Parser, Debug)]
#[command(name = "identity-core", version, about = "Owns tenants, users and groups; serves identity.v1 over gRPC")]
struct Cli {
    #[command(flatten)]
    db: DbConfig,
    /// Log line format on stderr.
    #[arg(long, env = "IDENTITY_CORE_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serves gRPC until SIGTERM or SIGINT. Migrates first on SQLite or with
    /// --migrate; otherwise refuses a schema that is behind.
    Serve {
        #[command(flatten)]
        serve: ServeConfig,
    },
    /// Applies pending migrations and exits. Concurrent runs take turns.
    Migrate,
    /// Tenant administration.
    Tenant {
        #[command(subcommand)]
        command: TenantCommand,
    },
    /// A tenant's extension schemas (custom attributes, e.g. Okta's).
    Schema {
        #[command(subcommand)]
        command: SchemaCommand,
    },
}

#[derive(Subcommand, Debug)]
enum SchemaCommand {
    /// Declares an extension schema, read from an RFC 7643 schema document
    /// (JSON, as /Schemas shows schemas; simple attribute types only).
    Add {
        /// The tenant's name.
        #[arg(long)]
        tenant: String,
        /// The resource it extends: User or Group.
        #[arg(long, default_value = "User")]
        resource_type: String,
        /// The schema document.
        file: std::path::PathBuf,
    },
    /// Lists a tenant's extension schemas.
    List {
        #[arg(long)]
        tenant: String,
    },
}

#[derive(Subcommand, Debug)]
enum TenantCommand {
    /// Creates a tenant and its bearer token; prints the token alone on the last line.
    Create {
        /// Unique tenant name.
        name: String,
    },
    /// Sets a tenant's SCIM compatibility mode: lenient (default: what Okta and
    /// Entra send) or strict (the SCIM interoperability profile).
    SetMode {
        /// The tenant's name.
        name: String,
        /// lenient or strict.
        mode: String,
    },
    /// Lists tenants: name, id, mode.
    List,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let _telemetry = telemetry::init("identity-core", cli.log_format, "info,sqlx=warn,sea_orm=warn")?;
    let db = &cli.db;
    match cli.command {
        Command::Serve { serve } => {
            // Bad TLS files stop the process here, before anything starts.
            let tls = match serve.tls()? {
                Some(tls) => Some(tls.server_config(identity_tls::ALPN_H2).context("cannot set up TLS")?),
                None => None,
            };
            let store = open_with_fallbacks(db, serve.migrate, &serve.database_fallback_urls).await?;
            let shutdown = shutdown_signal()?;
            let listener =
                TcpListener::bind(&serve.listen).await.with_context(|| format!("cannot listen on {}", serve.listen))?;
            if let Some(addr) = &serve.metrics_listen {
                let metrics = TcpListener::bind(addr).await.with_context(|| format!("cannot listen on {addr}"))?;
                tracing::info!(addr = %metrics.local_addr()?, "metrics listening");
                let store = store.clone();
                tokio::spawn(async move {
                    if let Err(e) = identity_core::metrics::serve(metrics, store).await {
                        tracing::error!(error = %e, "metrics listener failed");
                    }
                });
            }
            match &tls {
                None => tracing::info!(addr = %listener.local_addr()?, "identity-core listening"),
                Some(_) => tracing::info!(
                    addr = %listener.local_addr()?,
                    mutual = serve.tls_client_ca.is_some(),
                    "identity-core listening over TLS"
                ),
            }
            let options = identity_core::ServeOptions { reflection: serve.reflection, tls };
            identity_core::run_with(listener, store, options, shutdown).await?;
            tracing::info!("identity-core stopped");
        }
        Command::Migrate => {
            check_sqlite_file(db)?;
            let applied = store::migrate(db).await.context("cannot apply migrations")?;
            tracing::info!(applied = applied.len(), "migrations applied");
        }
        Command::Tenant { command: TenantCommand::Create { name } } => {
            let store = open(db, false).await?;
            let (tenant, token) = tenants::create(&store, &name).await?;
            println!("tenant {} created with id {}", tenant.name, tenant.id);
            println!("bearer token (shown once; send it as 'Authorization: Bearer <token>'):");
            println!("{token}");
        }
        Command::Tenant { command: TenantCommand::SetMode { name, mode } } => {
            let mode = tenants::Mode::parse(&mode)?;
            let store = open(db, false).await?;
            let tenant = tenants::set_mode(&store, &name, mode).await?;
            println!("tenant {} is now {}", tenant.name, tenant.mode.as_str());
        }
        Command::Schema { command: SchemaCommand::Add { tenant, resource_type, file } } => {
            let rt = match resource_type.to_ascii_lowercase().as_str() {
                "user" => ResourceType::User,
                "group" => ResourceType::Group,
                other => anyhow::bail!("--resource-type is User or Group, not {other:?}"),
            };
            let json = std::fs::read_to_string(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let schema = schema_file::parse(&json, rt).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            let store = open(db, false).await?;
            let t = tenants::find_by_name(&store, &tenant).await?;
            let s = schemas::create(&store, &t.id, schema).await?;
            println!("schema {} ({} attributes) added to tenant {}", s.id, s.attributes.len(), t.name);
        }
        Command::Schema { command: SchemaCommand::List { tenant } } => {
            let store = open(db, false).await?;
            let t = tenants::find_by_name(&store, &tenant).await?;
            for s in schemas::all(&store, &t.id).await? {
                let names: Vec<&str> = s.attributes.iter().map(|a| a.name.as_str()).collect();
                println!(
                    "{}\t{}\t{}",
                    s.id,
                    if s.resource_type == ResourceType::Group as i32 { "Group" } else { "User" },
                    names.join(",")
                );
            }
        }
        Command::Tenant { command: TenantCommand::List } => {
            let store = open(db, false).await?;
            for t in tenants::list(&store).await? {
                println!("{}\t{}\t{}", t.name, t.id, t.mode.as_str());
            }
        }
    }
    Ok(())
}

/// Connects. SQLite (one process owns the file) and `--migrate` apply
/// pending migrations first; otherwise a schema behind this binary is an
/// error that says what to run.
async fn open(db: &DbConfig, migrate: bool) -> anyhow::Result<Store> {
    open_with_fallbacks(db, migrate, &[]).await
}

/// [`open`], with other Galera nodes to fail over to.
async fn open_with_fallbacks(db: &DbConfig, migrate: bool, fallbacks: &[String]) -> anyhow::Result<Store> {
    check_sqlite_file(db)?;
    if migrate || db.is_sqlite() {
        store::migrate(db).await.context("cannot apply migrations")?;
    }
    let store = Store::connect_with_fallbacks(db, fallbacks).await.context("cannot connect to the database")?;
    let pending = store.pending_migrations().await.context("cannot read the schema version")?;
    if !pending.is_empty() {
        anyhow::bail!(
            "the database schema is behind this binary ({} pending: {}); run `identity-core migrate` \
             with the same --database-url first, or start `serve` with --migrate",
            pending.len(),
            pending.join(", ")
        );
    }
    Ok(store)
}

/// A SQLite file is opened, never created, unless the URL asks for it with
/// `?mode=rwc` (then its directory is created too): a forgotten
/// `--database-url` must not quietly start an empty database.
fn check_sqlite_file(db: &DbConfig) -> anyhow::Result<()> {
    let Some(path) = sqlite_path(&db.database_url) else { return Ok(()) };
    let path = Path::new(path);
    if db.database_url.contains("mode=rwc") {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        }
        return Ok(());
    }
    if !path.exists() {
        anyhow::bail!(
            "no database at {}: pass --database-url (or IDENTITY_DATABASE_URL), \
             or add ?mode=rwc to the sqlite URL to create a new file",
            path.display()
        );
    }
    Ok(())
}

/// The file path of a `sqlite:` URL.
fn sqlite_path(url: &str) -> Option<&str> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty() && path != ":memory:").then_some(path)
}

/// Resolves on SIGTERM or SIGINT. The handlers are installed by this call,
/// before the service announces itself, so a signal that arrives right
/// after the "listening" line still stops it gracefully.
fn shutdown_signal() -> anyhow::Result<impl Future<Output = ()> + Send + 'static> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
        tracing::info!("shutdown signal received, finishing requests in flight");
    })
}
