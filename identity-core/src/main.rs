//! The `identity-core` binary: `serve`, `migrate`, `tenant …`, `token …`,
//! `service-account …`, `schema …`, `audit …`; configuration in
//! [`identity_core::config`]. The administration commands run
//! [`identity_core::admin`], as AdminService does, acting as the `cli`
//! principal.

use std::future::Future;
use std::path::Path;

use anyhow::Context;
use clap::{Parser, Subcommand};
use identity_core::Store;
use identity_core::admin;
use identity_core::admin::audit as admin_audit;
use identity_core::admin::oauth;
use identity_core::auth::{Principal, Scope};
use identity_core::config::{DbConfig, ServeConfig};
use identity_core::schema_file;
use identity_core::store::audit::{self, Call};
use identity_core::store::credentials::{AccountInfo, TokenInfo};
use identity_core::store::{self, Page, tenants};
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
    /// A tenant's bearer tokens (its SCIM client's credentials).
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Service accounts: credentials of internal gRPC callers (never
    /// accepted by the SCIM edge).
    ServiceAccount {
        #[command(subcommand)]
        command: AccountCommand,
    },
    /// A tenant's extension schemas (custom attributes, e.g. Okta's).
    Schema {
        #[command(subcommand)]
        command: SchemaCommand,
    },
    /// The audit trail: who changed what.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
}

#[derive(Subcommand, Debug)]
enum AuditCommand {
    /// Prints a tenant's audit events, newest first, one JSON object per line.
    List {
        /// The tenant's name (or id).
        #[arg(long)]
        tenant: String,
        /// Only events at or after T: an RFC 3339 time (2026-12-01T09:00:00Z)
        /// or an age before now (30m, 1h, 7d).
        #[arg(long, value_name = "T")]
        since: Option<String>,
    },
    /// Deletes the events (of every tenant) older than an age; prints how many went.
    Purge {
        /// An age: 90d, 12h, 2w.
        #[arg(long, value_name = "AGE")]
        older_than: String,
    },
}

#[derive(Subcommand, Debug)]
enum TokenCommand {
    /// Issues another token; prints it alone on the last line (shown once).
    Issue {
        /// The tenant's name (or id).
        #[arg(long)]
        tenant: String,
        /// A label to recognise the token by in `token list`.
        #[arg(long, default_value = "")]
        label: String,
        /// Lifetime: a number and s, m, h or d (e.g. 90d); no expiry when unset.
        #[arg(long)]
        expires_in: Option<String>,
    },
    /// Lists a tenant's tokens, one per line: id, label, created, expires,
    /// last used, state (never a secret).
    List {
        #[arg(long)]
        tenant: String,
    },
    /// Revokes a token by its id (every replica refuses it within 5 s).
    Revoke {
        #[arg(long)]
        tenant: String,
        /// The token's id (tok_…), as `token list` shows it.
        id: String,
    },
}

#[derive(Subcommand, Debug)]
enum AccountCommand {
    /// Creates a service account; prints its credential alone on the last
    /// line (shown once).
    Create {
        /// A name to recognise it by.
        name: String,
        /// read (Get and List), write (every user, group and schema call) or
        /// admin (write, plus AdminService).
        #[arg(long)]
        scope: String,
        /// Bind it to this tenant (name or id); unset: it names the tenant
        /// of each call in the x-tenant-id metadata.
        #[arg(long)]
        tenant: Option<String>,
    },
    /// Lists service accounts (of one tenant with --tenant), one per line:
    /// id, name, scope, tenant, created, last used, state.
    List {
        #[arg(long)]
        tenant: Option<String>,
    },
    /// Revokes a service account by its id (sa_…).
    Revoke { id: String },
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
    /// Deletes an extension schema and every value stored under it.
    Delete {
        #[arg(long)]
        tenant: String,
        /// The schema's URN.
        urn: String,
    },
}

#[derive(Subcommand, Debug)]
enum TenantCommand {
    /// Creates a tenant and its bearer token; prints the token alone on the last line.
    Create {
        /// Unique tenant name.
        name: String,
        /// Label of the first token.
        #[arg(long, default_value = "")]
        label: String,
    },
    /// Sets a tenant's SCIM compatibility mode: lenient (default: what Okta and
    /// Entra send) or strict (the SCIM interoperability profile).
    SetMode {
        /// The tenant's name.
        name: String,
        /// lenient or strict.
        mode: String,
    },
    /// Lists tenants: name, id, mode (and `suspended` for a suspended tenant).
    List,
    /// Accepts OAuth 2.0 JWT access tokens (RFC 9068) from an issuer for the
    /// tenant (Okta OIN and Entra gallery apps), besides its bearer tokens;
    /// or, with --disable, stops accepting them.
    SetOauth {
        /// The tenant's name (or id).
        name: String,
        /// The `iss` the tokens carry, e.g. https://acme.okta.com/oauth2/default.
        #[arg(long, required_unless_present = "disable")]
        issuer: Option<String>,
        /// The `aud` the tokens must carry.
        #[arg(long, required_unless_present = "disable")]
        audience: Option<String>,
        /// Where the issuer publishes its JWKS (fetched again on an unknown `kid`).
        #[arg(long, required_unless_present_any = ["disable", "jwks_file"], conflicts_with = "jwks_file")]
        jwks_url: Option<String>,
        /// A JWKS document (RFC 7517), for keys configured by hand.
        #[arg(long)]
        jwks_file: Option<std::path::PathBuf>,
        /// Stop accepting OAuth access tokens for the tenant.
        #[arg(long, conflicts_with_all = ["issuer", "audience", "jwks_url", "jwks_file"])]
        disable: bool,
    },
    /// Overrides a tenant's request limits on every identity-core replica
    /// (applied within seconds). A flag left out, or 0, means the server's
    /// default (serve's --tenant-rps, --tenant-burst, --tenant-concurrency).
    SetLimits {
        /// The tenant's name or id.
        name: String,
        /// Sustained requests per second.
        #[arg(long, default_value_t = 0)]
        rps: i64,
        /// Requests allowed at once above the rate.
        #[arg(long, default_value_t = 0)]
        burst: i64,
        /// Requests in flight at once (per replica).
        #[arg(long, default_value_t = 0)]
        concurrency: i64,
    },
    /// Shows a tenant's limit overrides ("default": the server's).
    GetLimits {
        /// The tenant's name or id.
        name: String,
    },
    /// Refuses every credential of the tenant (SCIM 403, gRPC
    /// PERMISSION_DENIED) until resumed; nothing is deleted.
    Suspend { name: String },
    /// Lifts a suspension.
    Resume { name: String },
    /// Deletes the tenant and every row it owns, in bounded batches; run it
    /// again to finish an interrupted delete.
    Delete { name: String },
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
            let store = open_with_fallbacks(db, serve.migrate, &serve.database_fallback_urls)
                .await?
                .with_read_timeout(serve.limits.db_read_timeout());
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
            let retention = tokio::spawn(admin_audit::retain(store.clone(), serve.audit_retention_days));
            let options = identity_core::ServeOptions { reflection: serve.reflection, limits: serve.limits, tls };
            let served = identity_core::run_with(listener, store, options, shutdown).await;
            retention.abort();
            served?;
            tracing::info!("identity-core stopped");
        }
        Command::Migrate => {
            check_sqlite_file(db)?;
            let applied = store::migrate(db).await.context("cannot apply migrations")?;
            tracing::info!(applied = applied.len(), "migrations applied");
        }
        Command::Tenant { command: TenantCommand::Create { name, label } } => {
            let store = open(db, false).await?;
            let cli = Principal::cli();
            let created = admin::tenants::create(&store, &cli, &name, &label);
            let (tenant, _, token) = audit::scope(Call::cli("identity.v1.AdminService/CreateTenant"), created).await?;
            println!("tenant {} created with id {}", tenant.name, tenant.id);
            println!("bearer token (shown once; send it as 'Authorization: Bearer <token>'):");
            println!("{token}");
        }
        Command::Tenant { command: TenantCommand::SetMode { name, mode } } => {
            let mode = tenants::Mode::parse(&mode)?;
            let store = open(db, false).await?;
            let cli = Principal::cli();
            let updated = admin::tenants::update(&store, &cli, &name, None, Some(mode));
            let tenant = audit::scope(Call::cli("identity.v1.AdminService/UpdateTenant"), updated).await?;
            println!("tenant {} is now {}", tenant.name, tenant.mode.as_str());
        }
        Command::Tenant {
            command: TenantCommand::SetOauth { name, issuer, audience, jwks_url, jwks_file, disable },
        } => {
            let jwks_json = match &jwks_file {
                Some(f) => std::fs::read_to_string(f).with_context(|| format!("cannot read {}", f.display()))?,
                None => String::new(),
            };
            let change = oauth::OauthChange {
                issuer: if disable { String::new() } else { issuer.unwrap_or_default() },
                audience: audience.unwrap_or_default(),
                jwks_url: jwks_url.unwrap_or_default(),
                jwks_json,
            };
            let store = open(db, false).await?;
            let cli = Principal::cli();
            let set = oauth::set_tenant_oauth(&store, &cli, &name, &change);
            let (tenant, config) = audit::scope(Call::cli("identity.v1.AdminService/SetTenantOauth"), set).await?;
            match config {
                Some(c) => println!(
                    "tenant {} accepts OAuth 2.0 access tokens from issuer {} for audience {}",
                    tenant.name, c.issuer, c.audience
                ),
                None => println!("tenant {} accepts no OAuth 2.0 access tokens", tenant.name),
            }
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
            let cli = Principal::cli();
            let added = admin::schemas::add(&store, &cli, &tenant, schema);
            let s = audit::scope(Call::cli("identity.v1.AdminService/AddSchema"), added).await?;
            println!("schema {} ({} attributes) added to tenant {tenant}", s.id, s.attributes.len());
        }
        Command::Schema { command: SchemaCommand::List { tenant } } => {
            let store = open(db, false).await?;
            for s in admin::schemas::list(&store, &Principal::cli(), &tenant).await? {
                let names: Vec<&str> = s.attributes.iter().map(|a| a.name.as_str()).collect();
                println!(
                    "{}\t{}\t{}",
                    s.id,
                    if s.resource_type == ResourceType::Group as i32 { "Group" } else { "User" },
                    names.join(",")
                );
            }
        }
        Command::Audit { command: AuditCommand::List { tenant, since } } => {
            let since_us = since.as_deref().map(admin_audit::parse_since).transpose()?;
            let store = open(db, false).await?;
            let listing = admin_audit::Listing { tenant, since_us, ..Default::default() };
            let mut token = String::new();
            loop {
                let page = Page::parse(0, &token, 0, false)?;
                let listed = admin_audit::list(&store, &Principal::cli(), listing.clone(), &page).await?;
                for e in &listed.items {
                    println!("{}", admin_audit::to_json(e));
                }
                if listed.next_token.is_empty() {
                    break;
                }
                token = listed.next_token;
            }
        }
        Command::Audit { command: AuditCommand::Purge { older_than } } => {
            let age = admin_audit::parse_age(&older_than)?;
            let store = open(db, false).await?;
            let n = admin_audit::purge(&store, &Principal::cli(), age).await?;
            println!("{n} audit events older than {older_than} deleted");
        }
        Command::Tenant { command: TenantCommand::SetLimits { name, rps, burst, concurrency } } => {
            let store = open(db, false).await?;
            let requested = admin::limits::Requested { rps, burst, concurrency };
            let cli = Principal::cli();
            let set = admin::limits::set(&store, &cli, &name, requested);
            let (t, o) = audit::scope(Call::cli("identity.v1.AdminService/SetTenantLimits"), set).await?;
            println!("tenant {} limits set: {}", t.name, show_limits(o));
        }
        Command::Tenant { command: TenantCommand::GetLimits { name } } => {
            let store = open(db, false).await?;
            let (t, o) = admin::limits::get(&store, &Principal::cli(), &name).await?;
            println!("{}\t{}", t.name, show_limits(o));
        }
        Command::Schema { command: SchemaCommand::Delete { tenant, urn } } => {
            let store = open(db, false).await?;
            let cli = Principal::cli();
            let deleted = admin::schemas::delete(&store, &cli, &tenant, &urn);
            let values = audit::scope(Call::cli("identity.v1.AdminService/DeleteSchema"), deleted).await?;
            println!("schema {urn} deleted from tenant {tenant} with {values} stored values");
        }
        Command::Tenant { command: TenantCommand::List } => {
            let store = open(db, false).await?;
            let mut after: Option<String> = None;
            loop {
                let (page, next) = admin::tenants::list(&store, &Principal::cli(), 0, after.as_deref()).await?;
                for t in page {
                    // A fourth column only for a suspended tenant: scripts
                    // reading name, id, mode keep working.
                    match t.state {
                        tenants::State::Active => println!("{}\t{}\t{}", t.name, t.id, t.mode.as_str()),
                        other => println!("{}\t{}\t{}\t{}", t.name, t.id, t.mode.as_str(), other.as_str()),
                    }
                }
                match next {
                    Some(n) => after = Some(n),
                    None => break,
                }
            }
        }
        Command::Tenant { command: TenantCommand::Suspend { name } } => {
            let store = open(db, false).await?;
            let cli = Principal::cli();
            let suspended = admin::tenants::suspend(&store, &cli, &name);
            let t = audit::scope(Call::cli("identity.v1.AdminService/SuspendTenant"), suspended).await?;
            println!("tenant {} is suspended: every credential is refused until `tenant resume`", t.name);
        }
        Command::Tenant { command: TenantCommand::Resume { name } } => {
            let store = open(db, false).await?;
            let cli = Principal::cli();
            let resumed = admin::tenants::resume(&store, &cli, &name);
            let t = audit::scope(Call::cli("identity.v1.AdminService/ResumeTenant"), resumed).await?;
            println!("tenant {} is active again", t.name);
        }
        Command::Tenant { command: TenantCommand::Delete { name } } => {
            let store = open(db, false).await?;
            let cli = Principal::cli();
            let deleted = admin::tenants::delete(&store, &cli, &name);
            let rows = audit::scope(Call::cli("identity.v1.AdminService/DeleteTenant"), deleted).await?;
            println!("tenant {name} deleted ({rows} rows)");
        }
        Command::Token { command: TokenCommand::Issue { tenant, label, expires_in } } => {
            let lifetime = match expires_in {
                Some(s) => admin::credentials::parse_lifetime(&s)?,
                None => None,
            };
            let store = open(db, false).await?;
            let cli = Principal::cli();
            let issued = admin::credentials::issue_token(&store, &cli, &tenant, &label, lifetime);
            let (t, secret) = audit::scope(Call::cli("identity.v1.AdminService/IssueToken"), issued).await?;
            println!("token {} issued for tenant {tenant}{}", t.id, expiry_note(t.expires_us));
            println!("bearer token (shown once; send it as 'Authorization: Bearer <token>'):");
            println!("{secret}");
        }
        Command::Token { command: TokenCommand::List { tenant } } => {
            let store = open(db, false).await?;
            for t in admin::credentials::list_tokens(&store, &Principal::cli(), &tenant).await? {
                println!("{}", token_line(&t));
            }
        }
        Command::Token { command: TokenCommand::Revoke { tenant, id } } => {
            let store = open(db, false).await?;
            let cli = Principal::cli();
            let revoked = admin::credentials::revoke_token(&store, &cli, &tenant, &id);
            let t = audit::scope(Call::cli("identity.v1.AdminService/RevokeToken"), revoked).await?;
            println!("token {} revoked; every replica refuses it within 5 seconds", t.id);
        }
        Command::ServiceAccount { command: AccountCommand::Create { name, scope, tenant } } => {
            let scope = Scope::parse(&scope)?;
            let store = open(db, false).await?;
            let cli = Principal::cli();
            let created = admin::credentials::create_service_account(&store, &cli, &name, scope, tenant.as_deref());
            let (a, secret) = audit::scope(Call::cli("identity.v1.AdminService/CreateServiceAccount"), created).await?;
            match &tenant {
                Some(t) => {
                    println!("service account {} ({}) created with scope {} for tenant {t}", a.name, a.id, a.scope)
                }
                None => println!(
                    "service account {} ({}) created with scope {}, bound to no tenant: name the tenant of each call \
                     in the x-tenant-id metadata",
                    a.name, a.id, a.scope
                ),
            }
            println!("credential (shown once; send it as 'authorization: Bearer <credential>'):");
            println!("{secret}");
        }
        Command::ServiceAccount { command: AccountCommand::List { tenant } } => {
            let store = open(db, false).await?;
            for a in admin::credentials::list_service_accounts(&store, &Principal::cli(), tenant.as_deref()).await? {
                println!("{}", account_line(&a));
            }
        }
        Command::ServiceAccount { command: AccountCommand::Revoke { id } } => {
            let store = open(db, false).await?;
            let cli = Principal::cli();
            let revoked = admin::credentials::revoke_service_account(&store, &cli, &id);
            let a = audit::scope(Call::cli("identity.v1.AdminService/RevokeServiceAccount"), revoked).await?;
            println!("service account {} revoked", a.id);
        }
    }
    Ok(())
}

/// `rps=N burst=default concurrency=N`: a tenant's overrides.
fn show_limits(o: store::limits::Overrides) -> String {
    let v = |v: Option<u32>| v.map_or_else(|| "default".to_owned(), |v| v.to_string());
    format!("rps={} burst={} concurrency={}", v(o.rps), v(o.burst), v(o.concurrency))
}

/// An optional time for a listing: RFC 3339, or `-`.
fn when(us: Option<i64>) -> String {
    us.and_then(chrono::DateTime::from_timestamp_micros)
        .map_or_else(|| "-".to_owned(), |t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

/// `, expires <time>` when the credential expires.
fn expiry_note(expires_us: Option<i64>) -> String {
    expires_us.map(|e| format!(", expires {}", when(Some(e)))).unwrap_or_default()
}

/// One `token list` line: id, label, created, expires, last used, state.
fn token_line(t: &TokenInfo) -> String {
    let state = match (t.revoked_us, t.expires_us) {
        (Some(_), _) => "revoked",
        (None, Some(e)) if e <= chrono::Utc::now().timestamp_micros() => "expired",
        _ => "active",
    };
    let label = if t.label.is_empty() { "-" } else { t.label.as_str() };
    format!(
        "{}\t{label}\tcreated={}\texpires={}\tlast_used={}\t{state}",
        t.id,
        when(Some(t.created_us)),
        when(t.expires_us),
        when(t.last_used_us)
    )
}

/// One `service-account list` line.
fn account_line(a: &AccountInfo) -> String {
    let tenant = a.tenant_id.as_ref().map_or_else(|| "-".to_owned(), ToString::to_string);
    let state = if a.revoked_us.is_some() { "revoked" } else { "active" };
    format!(
        "{}\t{}\t{}\ttenant={tenant}\tcreated={}\tlast_used={}\t{state}",
        a.id,
        a.name,
        a.scope,
        when(Some(a.created_us)),
        when(a.last_used_us)
    )
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
