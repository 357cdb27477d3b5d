//! Tenants and their bearer tokens. Tokens are 256 random bits, shown once,
//! stored only as SHA-256 hashes (a fast hash suits random secrets).

use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, SqlErr};
use sha2::{Digest, Sha256};

use super::entities::{api_tokens, tenants};
use super::{Store, in_tx, time};
use crate::domain::{ResourceId, TenantId};
use crate::error::{Error, Result};

/// A stored tenant.
#[derive(Clone, Debug)]
pub struct Tenant {
    pub id: TenantId,
    pub name: String,
    pub created_us: i64,
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
    let tenant = Tenant { id: TenantId::from_db(id.as_str().to_owned()), name, created_us: now };
    Ok((tenant, token))
}

/// The tenant a bearer token belongs to.
pub async fn authenticate(store: &Store, token: &str) -> Result<Tenant> {
    let token = token.trim();
    if token.is_empty() {
        return Err(Error::Unauthenticated);
    }
    let Some(row) = api_tokens::Entity::find_by_id(hash_token(token)).one(store.conn()).await? else {
        return Err(Error::Unauthenticated);
    };
    let tenant = tenants::Entity::find()
        .filter(tenants::Column::Id.eq(row.tenant_id.as_str()))
        .one(store.conn())
        .await?
        .ok_or(Error::Unauthenticated)?;
    Ok(Tenant { id: TenantId::from_db(tenant.id), name: tenant.name, created_us: tenant.created_us })
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
