//! The `identity-core` binary: `serve`, `migrate`, `tenant create`.

use std::path::Path;

use std::future::Future;
use std::io::IsTerminal;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use identity_core::Store;
use identity_core::schema_file;
use identity_core::store::{schemas, tenants};
use proto::v1::ResourceType;
use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;

/// The embedded default: a SQLite file under ./data/.
const DEFAULT_DATABASE_URL: &str = "sqlite://data/identity.db?mode=rwc";

#[derive(Parser, Debug)]
#[command(name = "identity-core", version, about = "Owns tenants, users and groups; serves identity.v1 over gRPC")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Debug, Clone)]
struct Db {
    /// Database URL: sqlite://path.db?mode=rwc (the default, under ./data/) or mysql://user:pass@host:3306/db.
    #[arg(long, env = "IDENTITY_DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    database_url: String,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Applies migrations, then serves gRPC until SIGTERM or SIGINT.
    Serve {
        #[command(flatten)]
        db: Db,
        /// Address to listen on.
        #[arg(long, env = "IDENTITY_CORE_LISTEN", default_value = "127.0.0.1:50051")]
        listen: String,
        /// Another node of the same Galera cluster (mysql://...), used while the --database-url node is down; repeatable, tried in order.
        #[arg(long = "database-fallback-url", env = "IDENTITY_DATABASE_FALLBACK_URLS", value_delimiter = ',')]
        database_fallback_urls: Vec<String>,
    },
    /// Applies pending migrations and exits.
    Migrate {
        #[command(flatten)]
        db: Db,
    },
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
        #[command(flatten)]
        db: Db,
    },
    /// Lists a tenant's extension schemas.
    List {
        #[arg(long)]
        tenant: String,
        #[command(flatten)]
        db: Db,
    },
}

#[derive(Subcommand, Debug)]
enum TenantCommand {
    /// Creates a tenant and its bearer token; prints the token alone on the last line.
    Create {
        /// Unique tenant name.
        name: String,
        #[command(flatten)]
        db: Db,
    },
    /// Sets a tenant's SCIM compatibility mode: lenient (default: what Okta and
    /// Entra send) or strict (the SCIM interoperability profile).
    SetMode {
        /// The tenant's name.
        name: String,
        /// lenient or strict.
        mode: String,
        #[command(flatten)]
        db: Db,
    },
    /// Lists tenants: name, id, mode.
    List {
        #[command(flatten)]
        db: Db,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    match Cli::parse().command {
        Command::Serve { db, listen, database_fallback_urls } => {
            let store = open_with_fallbacks(&db, &database_fallback_urls).await?;
            let shutdown = shutdown_signal()?;
            let listener = TcpListener::bind(&listen).await.with_context(|| format!("cannot listen on {listen}"))?;
            tracing::info!(addr = %listener.local_addr()?, "identity-core listening");
            identity_core::run(listener, store, shutdown).await?;
            tracing::info!("identity-core stopped");
        }
        Command::Migrate { db } => {
            open(&db).await?;
            tracing::info!("migrations applied");
        }
        Command::Tenant { command: TenantCommand::Create { name, db } } => {
            let store = open(&db).await?;
            let (tenant, token) = tenants::create(&store, &name).await?;
            println!("tenant {} created with id {}", tenant.name, tenant.id);
            println!("bearer token (shown once; send it as 'Authorization: Bearer <token>'):");
            println!("{token}");
        }
        Command::Tenant { command: TenantCommand::SetMode { name, mode, db } } => {
            let mode = tenants::Mode::parse(&mode)?;
            let store = open(&db).await?;
            let tenant = tenants::set_mode(&store, &name, mode).await?;
            println!("tenant {} is now {}", tenant.name, tenant.mode.as_str());
        }
        Command::Schema { command: SchemaCommand::Add { tenant, resource_type, file, db } } => {
            let rt = match resource_type.to_ascii_lowercase().as_str() {
                "user" => ResourceType::User,
                "group" => ResourceType::Group,
                other => anyhow::bail!("--resource-type is User or Group, not {other:?}"),
            };
            let json = std::fs::read_to_string(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let schema = schema_file::parse(&json, rt).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            let store = open(&db).await?;
            let t = tenants::find_by_name(&store, &tenant).await?;
            let s = schemas::create(&store, &t.id, schema).await?;
            println!("schema {} ({} attributes) added to tenant {}", s.id, s.attributes.len(), t.name);
        }
        Command::Schema { command: SchemaCommand::List { tenant, db } } => {
            let store = open(&db).await?;
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
        Command::Tenant { command: TenantCommand::List { db } } => {
            let store = open(&db).await?;
            for t in tenants::list(&store).await? {
                println!("{}\t{}\t{}", t.name, t.id, t.mode.as_str());
            }
        }
    }
    Ok(())
}

/// Connects (creating the SQLite directory if needed) and migrates.
async fn open(db: &Db) -> anyhow::Result<Store> {
    open_with_fallbacks(db, &[]).await
}

/// [`open`], with other Galera nodes to fail over to.
async fn open_with_fallbacks(db: &Db, fallbacks: &[String]) -> anyhow::Result<Store> {
    let dir =
        sqlite_path(&db.database_url).and_then(|path| Path::new(path).parent()).filter(|d| !d.as_os_str().is_empty());
    if let Some(dir) = dir {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let store =
        Store::connect_with_fallbacks(&db.database_url, fallbacks).await.context("cannot connect to the database")?;
    store.migrate().await.context("cannot apply migrations")?;
    Ok(store)
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
