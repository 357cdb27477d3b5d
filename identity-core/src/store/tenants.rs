//! Tenants: their names, SCIM compatibility modes and states. Their
//! credentials live in [`super::credentials`].

use sea_orm::{ActiveValue::Set, ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect, SqlErr};

use super::credentials::{self, TokenInfo};
use super::entities::{api_tokens, tenants};
use super::{Store, audit, in_tx};
use crate::domain::{ResourceId, TenantId};
use crate::error::{Error, Result};

/// A stored tenant.
#[derive(Clone, Debug)]
pub struct Tenant {
    pub id: TenantId,
    pub name: String,
    pub created_us: i64,
    pub mode: Mode,
    pub state: State,
}

/// A tenant's SCIM compatibility mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Accepts what real identity providers send (the default).
    Lenient,
    /// The interoperability profile (draft-zollner-scim-interop-profile-01).
    Strict,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Lenient => "lenient",
            Self::Strict => "strict",
        }
    }

    /// Parses `lenient` / `strict`.
    pub fn parse(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "lenient" => Ok(Self::Lenient),
            "strict" => Ok(Self::Strict),
            other => Err(Error::invalid("mode", format!("{other:?} is neither lenient nor strict"))),
        }
    }

    fn from_db(s: &str) -> Self {
        if s == "strict" { Self::Strict } else { Self::Lenient }
    }
}

/// Whether a tenant's credentials work.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Active,
    /// Every credential refused (PERMISSION_DENIED) until resumed.
    Suspended,
    /// Being purged (`tenant delete`): every credential refused as unknown.
    Deleting,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Suspended => "suspended",
            Self::Deleting => "deleting",
        }
    }

    fn from_db(s: &str) -> Self {
        match s {
            "suspended" => Self::Suspended,
            "deleting" => Self::Deleting,
            _ => Self::Active,
        }
    }
}

impl From<tenants::Model> for Tenant {
    fn from(t: tenants::Model) -> Self {
        let tenants::Model { id, name, mode, created_us, state } = t;
        Self { id: TenantId::from_db(id), name, created_us, mode: Mode::from_db(&mode), state: State::from_db(&state) }
    }
}

/// Checks a tenant name: 1 to 255 characters once trimmed.
fn valid_name(name: &str) -> Result<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 255 {
        return Err(Error::invalid("name", "a tenant name has 1 to 255 characters"));
    }
    Ok(name.to_owned())
}

/// Creates a tenant named `name` and its first token (unlabelled); returns
/// both. The token is not recoverable afterwards.
pub async fn create(store: &Store, name: &str) -> Result<(Tenant, String)> {
    let (tenant, _, secret) = create_labelled(store, name, "").await?;
    Ok((tenant, secret))
}

/// Creates a tenant and its first token, labelled `label`; returns the
/// tenant, the token's metadata and its secret (shown once).
pub async fn create_labelled(store: &Store, name: &str, label: &str) -> Result<(Tenant, TokenInfo, String)> {
    let name = valid_name(name)?;
    let id = ResourceId::generate();
    let tenant_id = TenantId::from_db(id.as_str().to_owned());
    let (token, secret, row) = credentials::new_token_row(&tenant_id, label, None)?;
    let now = token.created_us;
    in_tx(store, |txn| {
        let (id, name, row) = (id.clone(), name.clone(), row.clone());
        Box::pin(async move {
            audit::wrote(txn, &TenantId::from_db(id.as_str().to_owned()), "Tenant", id.as_str()).await?;
            tenants::Entity::insert(tenants::ActiveModel {
                id: Set(id.as_str().to_owned()),
                name: Set(name),
                mode: Set("lenient".to_owned()),
                created_us: Set(now),
                state: Set(State::Active.as_str().to_owned()),
            })
            .exec_without_returning(txn)
            .await
            .map_err(|e| match e.sql_err() {
                Some(SqlErr::UniqueConstraintViolation(_)) => Error::Uniqueness { field: "name" },
                _ => Error::Database(e),
            })?;
            api_tokens::Entity::insert(row).exec_without_returning(txn).await?;
            Ok(())
        })
    })
    .await?;
    let tenant = Tenant { id: tenant_id, name, created_us: now, mode: Mode::Lenient, state: State::Active };
    Ok((tenant, token, secret))
}

/// The tenant whose id or name is `reference` (an id wins over a name);
/// NOT_FOUND when there is none, or it is being deleted (unless
/// `deleting` asks for those too).
pub async fn resolve(store: &Store, reference: &str, deleting: bool) -> Result<Tenant> {
    let not_found = || Error::NotFound { kind: "Tenant", id: reference.to_owned() };
    let reference = reference.trim();
    if reference.is_empty() {
        return Err(Error::MissingField { field: "tenant" });
    }
    let rows = tenants::Entity::find()
        .filter(Condition::any().add(tenants::Column::Id.eq(reference)).add(tenants::Column::Name.eq(reference)))
        .limit(2)
        .all(store.conn())
        .await?;
    let row = rows.iter().find(|t| t.id == reference).or_else(|| rows.first()).cloned().ok_or_else(not_found)?;
    let tenant = Tenant::from(row);
    if tenant.state == State::Deleting && !deleting {
        return Err(not_found());
    }
    Ok(tenant)
}

/// [`resolve`] through the authentication cache: what a service account's
/// `x-tenant-id` names, at no statement in steady state.
pub async fn resolve_cached(store: &Store, reference: &str) -> Result<Tenant> {
    if let Some(t) = store.auth_cache().tenant(reference) {
        return Ok(t);
    }
    let tenant = resolve(store, reference, true).await?;
    store.auth_cache().put_tenant(reference.to_owned(), tenant.clone());
    Ok(tenant)
}

/// Renames a tenant and/or changes its mode (in a transaction with its
/// audit event).
pub async fn update(store: &Store, tenant: &TenantId, name: Option<&str>, mode: Option<Mode>) -> Result<()> {
    if name.is_none() && mode.is_none() {
        return Ok(());
    }
    let name = name.map(valid_name).transpose()?;
    in_tx(store, |txn| {
        let (name, tenant) = (name.clone(), tenant.clone());
        Box::pin(async move {
            audit::wrote(txn, &tenant, "Tenant", tenant.as_str()).await?;
            let mut update = tenants::Entity::update_many().filter(tenants::Column::Id.eq(tenant.as_str()));
            if let Some(name) = name {
                update = update.col_expr(tenants::Column::Name, sea_orm::sea_query::Expr::value(name));
            }
            if let Some(mode) = mode {
                update = update.col_expr(tenants::Column::Mode, sea_orm::sea_query::Expr::value(mode.as_str()));
            }
            update.exec(txn).await.map_err(|e| match e.sql_err() {
                Some(SqlErr::UniqueConstraintViolation(_)) => Error::Uniqueness { field: "name" },
                _ => Error::Database(e),
            })?;
            Ok(())
        })
    })
    .await?;
    store.auth_cache().forget_tenant(tenant.as_str());
    Ok(())
}

/// Sets a tenant's state (in a transaction with its audit event); this
/// process forgets its cached credentials at once (other replicas within
/// the cache's TTL).
pub async fn set_state(store: &Store, tenant: &TenantId, state: State) -> Result<()> {
    in_tx(store, |txn| {
        let tenant = tenant.clone();
        Box::pin(async move {
            audit::wrote(txn, &tenant, "Tenant", tenant.as_str()).await?;
            tenants::Entity::update_many()
                .col_expr(tenants::Column::State, sea_orm::sea_query::Expr::value(state.as_str()))
                .filter(tenants::Column::Id.eq(tenant.as_str()))
                .exec(txn)
                .await?;
            Ok(())
        })
    })
    .await?;
    store.auth_cache().forget_tenant(tenant.as_str());
    Ok(())
}

/// Deletes the tenant row itself (after [`super::purge::tenant`]).
pub async fn delete_row(store: &Store, tenant: &TenantId) -> Result<u64> {
    let done =
        tenants::Entity::delete_many().filter(tenants::Column::Id.eq(tenant.as_str())).exec(store.conn()).await?;
    store.auth_cache().forget_tenant(tenant.as_str());
    Ok(done.rows_affected)
}

/// Tenants by name, after `after` (exclusive), at most `limit`; tenants
/// being deleted are left out.
pub async fn page(store: &Store, after: Option<&str>, limit: u64) -> Result<Vec<Tenant>> {
    let mut q = tenants::Entity::find().filter(tenants::Column::State.ne(State::Deleting.as_str()));
    if let Some(after) = after {
        q = q.filter(tenants::Column::Name.gt(after));
    }
    let rows = q.order_by_asc(tenants::Column::Name).limit(limit).all(store.conn()).await?;
    Ok(rows.into_iter().map(Tenant::from).collect())
}

/// Sets the compatibility mode of the tenant named `name`.
pub async fn set_mode(store: &Store, name: &str, mode: Mode) -> Result<Tenant> {
    let updated = tenants::Entity::update_many()
        .col_expr(tenants::Column::Mode, sea_orm::sea_query::Expr::value(mode.as_str()))
        .filter(tenants::Column::Name.eq(name))
        .exec(store.conn())
        .await?;
    if updated.rows_affected == 0 {
        return Err(Error::NotFound { kind: "Tenant", id: name.to_owned() });
    }
    let row = tenants::Entity::find().filter(tenants::Column::Name.eq(name)).one(store.conn()).await?;
    let tenant = row.map(Tenant::from).ok_or_else(|| Error::NotFound { kind: "Tenant", id: name.to_owned() })?;
    store.auth_cache().forget_tenant(tenant.id.as_str());
    Ok(tenant)
}

/// The tenant named `name`.
pub async fn find_by_name(store: &Store, name: &str) -> Result<Tenant> {
    let row = tenants::Entity::find().filter(tenants::Column::Name.eq(name)).one(store.conn()).await?;
    row.map(Tenant::from).ok_or_else(|| Error::NotFound { kind: "Tenant", id: name.to_owned() })
}

/// Every tenant, by name.
pub async fn list(store: &Store) -> Result<Vec<Tenant>> {
    let rows = tenants::Entity::find().order_by_asc(tenants::Column::Name).all(store.conn()).await?;
    Ok(rows.into_iter().map(Tenant::from).collect())
}
