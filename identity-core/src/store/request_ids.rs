//! Idempotent creates (AIP-155): the first call with a request id reserves
//! it (one row per tenant and id), runs, and stores its response; a retry
//! with the same id gets that response back instead of creating again.
//!
//! The reservation is written before the create runs, so two concurrent
//! calls with one id cannot both create: the second sees the reservation
//! and is told to retry (ABORTED / REQUEST_IN_PROGRESS with RetryInfo). A
//! failed create removes its reservation, so a retry runs again. A
//! reservation left by a crashed process is taken over after
//! [`ABANDONED_AFTER`].

use std::future::Future;
use std::time::Duration;

use prost::Message;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use sha2::{Digest, Sha256};

use super::entities::request_ids;
use super::scoped::Scoped;
use super::{Store, time};
use crate::domain::TenantId;
use crate::error::{Error, Result};

/// How long a request id is remembered.
pub const TTL: Duration = Duration::from_secs(24 * 3600);
/// A reservation without a response this old belongs to a call that died.
const ABANDONED_AFTER: Duration = Duration::from_secs(60);
/// Longest request id accepted.
const MAX_LEN: usize = 128;

/// A create, named for its request id.
pub struct Once<'a> {
    pub tenant: &'a TenantId,
    /// "" when the caller sent none: the create simply runs.
    pub request_id: &'a str,
    /// The RPC, e.g. "CreateUser": one id cannot serve two methods.
    pub method: &'static str,
    /// The request with its request id cleared (a retry must send the same).
    pub request: &'a [u8],
}

/// Runs `create` at most once per (tenant, request id); see the module doc.
pub async fn once<T, F, Fut>(store: &Store, call: Once<'_>, create: F) -> Result<T>
where
    T: Message + Default,
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<T>>,
{
    let Once { tenant, request_id, method, request } = call;
    if request_id.is_empty() {
        return create().await;
    }
    if request_id.len() > MAX_LEN || request_id.chars().any(char::is_control) {
        return Err(Error::invalid("request_id", format!("must be at most {MAX_LEN} printable characters")));
    }
    let fingerprint = hex::encode(Sha256::digest(request));
    let now = time::now_us();
    let ttl_us = i64::try_from(TTL.as_micros()).unwrap_or(i64::MAX);
    let conn = store.conn();
    // A tenant's expired ids go as new ones come (an index on (tenant,
    // created) keeps this cheap).
    request_ids::Entity::delete_in(tenant).filter(request_ids::Column::CreatedUs.lt(now - ttl_us)).exec(conn).await?;
    // A plain INSERT: a duplicate key is the signal (MySQL counts a no-op
    // upsert as an affected row, so ON CONFLICT DO NOTHING cannot tell).
    let reserved = match request_ids::Entity::insert(request_ids::ActiveModel {
        tenant_id: Set(tenant.as_str().to_owned()),
        request_id: Set(request_id.to_owned()),
        method: Set(method.to_owned()),
        fingerprint: Set(fingerprint.clone()),
        response: Set(None),
        created_us: Set(now),
    })
    .exec_without_returning(conn)
    .await
    {
        Ok(_) => true,
        Err(e) if matches!(e.sql_err(), Some(sea_orm::SqlErr::UniqueConstraintViolation(_))) => false,
        Err(e) => return Err(e.into()),
    };
    if !reserved {
        let row = request_ids::Entity::find_in(tenant)
            .filter(request_ids::Column::RequestId.eq(request_id))
            .one(conn)
            .await?
            .ok_or_else(|| Error::RequestInProgress(request_id.to_owned()))?;
        if row.method != method || row.fingerprint != fingerprint {
            return Err(Error::RequestIdReused(request_id.to_owned()));
        }
        if let Some(bytes) = row.response {
            return T::decode(bytes.as_slice()).map_err(|_| Error::Internal("a stored response does not decode"));
        }
        let abandoned_us = i64::try_from(ABANDONED_AFTER.as_micros()).unwrap_or(i64::MAX);
        if now - row.created_us < abandoned_us {
            return Err(Error::RequestInProgress(request_id.to_owned()));
        }
        // Take the abandoned reservation over, unless another retry just did.
        let taken = request_ids::Entity::update_in(tenant)
            .col_expr(request_ids::Column::CreatedUs, sea_orm::sea_query::Expr::value(now))
            .filter(request_ids::Column::RequestId.eq(request_id))
            .filter(request_ids::Column::CreatedUs.eq(row.created_us))
            .filter(request_ids::Column::Response.is_null())
            .exec(conn)
            .await?;
        if taken.rows_affected == 0 {
            return Err(Error::RequestInProgress(request_id.to_owned()));
        }
    }
    match create().await {
        Ok(created) => {
            request_ids::Entity::update_in(tenant)
                .col_expr(request_ids::Column::Response, sea_orm::sea_query::Expr::value(created.encode_to_vec()))
                .filter(request_ids::Column::RequestId.eq(request_id))
                .exec(conn)
                .await?;
            Ok(created)
        }
        Err(e) => {
            request_ids::Entity::delete_in(tenant)
                .filter(request_ids::Column::RequestId.eq(request_id))
                .exec(conn)
                .await?;
            Err(e)
        }
    }
}
