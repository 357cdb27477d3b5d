//! Tenants and their bearer tokens. Tokens are 256 random bits, shown once,
//! stored only as SHA-256 hashes (a fast hash suits random secrets).

use sea_orm::sea_query::ExprTrait;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, SqlErr};
use sha2::{Digest, Sha256};

use super::entities::{api_tokens, tenants};
use super::{Store, audit, in_tx, time};
use crate::domain::{ResourceId, TenantId};
use crate::error::{Error, Result};

/// A stored tenant.
#[derive(Clone, Debug)]
pub struct Tenant {
    pub id: TenantId,
    pub name: String,
    pub created_us: i64,
    pub mode: Mode,
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

impl From<tenants::Model> for Tenant {
    fn from(t: tenants::Model) -> Self {
        let tenants::Model { id, name, mode, created_us } = t;
        Self { id: TenantId::from_db(id), name, created_us, mode: Mode::from_db(&mode) }
    }
}

/// Creates a tenant named `name` and its first token; returns both. The
/// token is not recoverable afterwards.
pub async fn create(store: &Store, name: &str) -> Result<(Tenant, String)> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 255 {
        return Err(Error::invalid("name", "a tenant name has 1 to 255 characters"));
    }
    let token = new_token()?;
    let hash = hash_token(&token);
    let id = ResourceId::generate();
    let now = time::now_us();
    let name = name.to_owned();
    in_tx(store, |txn| {
        let (id, name, hash) = (id.clone(), name.clone(), hash.clone());
        Box::pin(async move {
            audit::wrote(txn, &TenantId::from_db(id.as_str().to_owned()), "Tenant", id.as_str()).await?;
            tenants::Entity::insert(tenants::ActiveModel {
                id: Set(id.as_str().to_owned()),
                name: Set(name),
                mode: Set("lenient".to_owned()),
                created_us: Set(now),
            })
            .exec_without_returning(txn)
            .await
            .map_err(|e| match e.sql_err() {
                Some(SqlErr::UniqueConstraintViolation(_)) => Error::Uniqueness { field: "name" },
                _ => Error::Database(e),
            })?;
            api_tokens::Entity::insert(api_tokens::ActiveModel {
                token_hash: Set(hash),
                tenant_id: Set(id.as_str().to_owned()),
                created_us: Set(now),
            })
            .exec_without_returning(txn)
            .await?;
            Ok(())
        })
    })
    .await?;
    let tenant = Tenant { id: TenantId::from_db(id.as_str().to_owned()), name, created_us: now, mode: Mode::Lenient };
    Ok((tenant, token))
}

/// The tenant a bearer token belongs to.
pub async fn authenticate(store: &Store, token: &str) -> Result<Tenant> {
    let token = token.trim();
    if token.is_empty() {
        return Err(Error::Unauthenticated);
    }
    let hash = hash_token(token);
    if let Some(tenant) = store.auth_cache().get(&hash) {
        return Ok(tenant);
    }
    // One statement, two primary-key lookups.
    let owner = sea_orm::sea_query::Query::select()
        .column(api_tokens::Column::TenantId)
        .from(api_tokens::Entity)
        .and_where(sea_orm::sea_query::Expr::col(api_tokens::Column::TokenHash).eq(hash.clone()))
        .to_owned();
    let tenant = tenants::Entity::find()
        .filter(tenants::Column::Id.in_subquery(owner))
        .one(store.conn())
        .await?
        .ok_or(Error::Unauthenticated)?;
    let tenant = Tenant::from(tenant);
    store.auth_cache().put(hash, tenant.clone());
    Ok(tenant)
}

/// The id of a tenant token as the audit trail names it: never the secret.
pub fn token_id(token: &str) -> String {
    format!("tok_{}", &hash_token(token.trim())[..16])
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

/// The tenant whose id or name is `id_or_name` (AdminService requests
/// name a tenant either way).
pub async fn find(store: &Store, id_or_name: &str) -> Result<Tenant> {
    let row = tenants::Entity::find()
        .filter(tenants::Column::Id.eq(id_or_name).or(tenants::Column::Name.eq(id_or_name)))
        .one(store.conn())
        .await?;
    row.map(Tenant::from).ok_or_else(|| Error::NotFound { kind: "Tenant", id: id_or_name.to_owned() })
}

/// Every tenant, by name.
pub async fn list(store: &Store) -> Result<Vec<Tenant>> {
    use sea_orm::QueryOrder;
    let rows = tenants::Entity::find().order_by_asc(tenants::Column::Name).all(store.conn()).await?;
    Ok(rows.into_iter().map(Tenant::from).collect())
}

/// 256 random bits, hex-encoded, with a recognisable prefix (so secret
/// scanners can spot leaked tokens).
fn new_token() -> Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|_| Error::Internal("the system has no randomness"))?;
    Ok(format!("idt_{}", hex::encode(bytes)))
}

fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_carry_256_random_bits() {
        let (a, b) = (new_token().ok(), new_token().ok());
        assert_eq!(a.as_ref().map(String::len), Some(4 + 64));
        assert_ne!(a, b);
    }

    #[test]
    fn the_hash_is_hex_sha256() {
        assert_eq!(hash_token("abc").len(), 64);
        assert_eq!(hash_token("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
