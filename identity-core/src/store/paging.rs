//! Sorting and paging of lists. A page starts after a signed page token
//! (keyset on the sort key, then id) or at the start, skips `skip` rows and
//! holds up to `size`; a full page that is not the last gets the next
//! page's token. A total is counted only when asked for (index paging, as
//! SCIM's `startIndex` + `totalResults` need); such pages remember where
//! they ended, so the next page of a walk seeks instead of skipping.
//!
//! A page token carries the last row's sort key and id and when it was
//! issued; it is HMAC-SHA256-signed with a key stored in the database (so
//! every replica accepts every other's tokens) over the tenant, a
//! fingerprint of the query (resource, filter, sort) and the payload. A
//! token is useless to another tenant or another query, and cannot be
//! forged or altered.

use hmac::{Hmac, KeyInit, Mac};
use prost::Message;
use proto::v1::{Filter, Sort};
use sea_orm::sea_query::{Alias, Condition, Expr, ExprTrait, Query};
use sea_orm::{ConnectionTrait, EntityTrait, Order, QueryFilter, QueryOrder, QuerySelect, Select};

use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use super::Store;
use super::filter::{self, KeyKind, Resource};
use crate::domain::TenantId;
use crate::error::{Error, Result};

/// Largest page a List call returns; larger requests are clamped.
pub const MAX_PAGE_SIZE: u32 = 1000;
/// Page size when the caller sends none.
pub const DEFAULT_PAGE_SIZE: u32 = 100;
/// Most matches a filtered index-paged list counts for `totalResults`;
/// beyond it the list is refused with TOO_MANY_MATCHES (RFC 7644 `tooMany`)
/// instead of scanning without bound. Cursor paging never counts.
pub const MAX_COUNTED: u64 = 100_000;
/// How long a page boundary is remembered for the next page of a walk.
const BOUNDARY_TTL: std::time::Duration = std::time::Duration::from_secs(600);
/// Most page boundaries remembered at once.
const BOUNDARY_CAPACITY: usize = 10_000;

type HmacSha256 = Hmac<Sha256>;

/// What a List call asks for.
#[derive(Clone, Copy, Default)]
pub struct ListRequest<'a> {
    pub filter: Option<&'a Filter>,
    pub sort: Option<&'a Sort>,
    pub page: Page<'a>,
}

/// The paging fields of a List request, validated.
#[derive(Clone, Copy, Debug)]
pub struct Page<'a> {
    /// Rows on the page (1..=[`MAX_PAGE_SIZE`]).
    pub size: u64,
    /// "" for the first page, else a `next_page_token`.
    pub token: &'a str,
    /// Rows to skip after the token's position.
    pub skip: u64,
    /// Whether the total is counted.
    pub total: bool,
}

impl Default for Page<'_> {
    fn default() -> Self {
        Self { size: u64::from(DEFAULT_PAGE_SIZE), token: "", skip: 0, total: false }
    }
}

impl<'a> Page<'a> {
    /// From the wire fields (AIP-132, AIP-158): a size of 0 is the default,
    /// sizes above the maximum are clamped, negative values are refused.
    pub fn parse(page_size: i32, token: &'a str, skip: i64, total: bool) -> Result<Self> {
        let size = match u32::try_from(page_size) {
            Err(_) => return Err(Error::InvalidPage { field: "page_size", reason: "must not be negative" }),
            Ok(0) => DEFAULT_PAGE_SIZE,
            Ok(n) => Ord::min(n, MAX_PAGE_SIZE),
        };
        let skip =
            u64::try_from(skip).map_err(|_| Error::InvalidPage { field: "skip", reason: "must not be negative" })?;
        Ok(Self { size: u64::from(size), token, skip, total })
    }
}

/// One page of a list.
pub struct Listed<T> {
    pub items: Vec<T>,
    /// Matches across all pages, when asked for.
    pub total: Option<u64>,
    /// The next page's token, empty on the last page.
    pub next_token: String,
}

/// Runs a list of `E` rows for `resource`: the filter compiled to SQL
/// (with the tenant's extension schemas when it names them), one page in
/// the plan's order, and the total where index paging needs one:
/// - unfiltered: the tenant's counter ([`super::counters`]), never a scan;
/// - a page that is not full tells the total itself (no `COUNT`);
/// - otherwise a `COUNT` bounded by [`MAX_COUNTED`].
///
/// An index page that continues a walk (`startIndex` 1, 101, 201, … with
/// the same filter and sort) seeks from where the previous page ended
/// instead of skipping rows with `OFFSET`: every page costs the same.
pub async fn page<E>(
    store: &Store,
    tenant: &TenantId,
    resource: Resource,
    req: ListRequest<'_>,
    id: E::Column,
    id_of: impl Fn(&E::Model) -> &str,
) -> Result<Listed<E::Model>>
where
    E: EntityTrait + super::scoped::Scoped,
    E::Model: Send + Sync,
{
    let mut plan = ListPlan::new(store, tenant, resource, req.filter, req.sort, &req.page).await?;
    let mut query = E::find_in(tenant);
    if let Some(f) = req.filter {
        let rt = match resource {
            Resource::User => proto::v1::ResourceType::User,
            Resource::Group => proto::v1::ResourceType::Group,
        };
        let custom = if filter::mentions_custom(f) {
            super::schemas::Custom::load(store.conn(), tenant, rt).await?
        } else {
            super::schemas::Custom::default()
        };
        query = query.filter(filter::compile(resource, tenant, &custom, f)?);
    }
    let counter = match resource {
        Resource::User => super::counters::USERS,
        Resource::Group => super::counters::GROUPS,
    };
    let Mode::Index { offset, limit, .. } = plan.mode else {
        // Without a total nothing is counted (RFC 9865): each page costs
        // the page alone, whatever the table's size.
        let rows = super::read_limit::all(store, plan.apply(query, id)).await?;
        let (items, next_token) = plan.finish(store.conn(), store, tenant, rows, id_of).await?;
        return Ok(Listed { items, total: None, next_token });
    };
    let count = |query: Select<E>| async move {
        if req.filter.is_none() {
            return super::counters::total(store.conn(), tenant, counter).await;
        }
        let cap = store.max_counted();
        let n = super::read_limit::count(store, query.limit(cap + 1)).await?;
        if n > cap {
            return Err(Error::TooMany { limit: cap });
        }
        Ok(n)
    };
    if let Some(pos) = store.boundaries().get(tenant, &plan.fingerprint, offset) {
        plan.mode = Mode::Index { offset, limit, after: Some(pos) };
    }
    let rows = super::read_limit::all(store, plan.apply(query.clone(), id)).await?;
    let got = u64::try_from(rows.len()).unwrap_or(u64::MAX);
    let total = if req.filter.is_some() && got < limit && (got > 0 || offset == 0) {
        offset + got
    } else {
        count(query).await?
    };
    let mut next_token = String::new();
    if got == limit
        && offset + got < total
        && let Some(last) = rows.last()
    {
        let id = id_of(last).to_owned();
        let key = match &plan.ordering.key {
            None => None,
            Some((expr, kind)) => Some(plan.read_key(store.conn(), tenant, &id, expr, *kind).await?),
        };
        let pos = Position { key, id };
        next_token = encode(store, tenant, &plan.fingerprint, &pos).await?;
        store.boundaries().put(tenant, plan.fingerprint, offset + got, pos);
    }
    Ok(Listed { items: rows, total: Some(total), next_token })
}

/// Where recent index pages ended, per (tenant, query, offset): the next
/// page of a walk starts there with a keyset condition instead of an
/// `OFFSET`. Per process (a replica that never saw the previous page falls
/// back to `OFFSET`: slower, same rows), bounded in size and age.
#[derive(Debug, Default)]
pub struct Boundaries {
    entries: Mutex<HashMap<BoundaryKey, (Position, Instant)>>,
}

/// (tenant, query fingerprint, offset of the page that starts there).
type BoundaryKey = (String, [u8; 32], u64);

impl Boundaries {
    fn get(&self, tenant: &TenantId, fingerprint: &[u8; 32], offset: u64) -> Option<Position> {
        if offset == 0 {
            return None;
        }
        let entries = self.entries.lock().ok()?;
        let (pos, at) = entries.get(&(tenant.as_str().to_owned(), *fingerprint, offset))?;
        (at.elapsed() < BOUNDARY_TTL).then(|| pos.clone())
    }

    fn put(&self, tenant: &TenantId, fingerprint: [u8; 32], offset: u64, pos: Position) {
        let Ok(mut entries) = self.entries.lock() else { return };
        if entries.len() >= BOUNDARY_CAPACITY {
            entries.retain(|_, (_, at)| at.elapsed() < BOUNDARY_TTL);
            if entries.len() >= BOUNDARY_CAPACITY {
                entries.clear();
            }
        }
        entries.insert((tenant.as_str().to_owned(), fingerprint, offset), (pos, Instant::now()));
    }
}

/// How one list request pages.
pub enum Mode {
    /// `after`: where the page before ended, when a walk remembered it
    /// (the page then seeks instead of skipping `offset` rows).
    Index { offset: u64, limit: u64, after: Option<Position> },
    /// `after`: where the previous page ended (None: first page); `skip`
    /// rows after it are skipped.
    Cursor { after: Option<Position>, skip: u64, limit: u64 },
}

/// The sort order of a list request, compiled.
#[derive(Clone)]
pub struct Ordering {
    /// The sort expression over the resource's table (None: id order).
    key: Option<(Expr, KeyKind)>,
    descending: bool,
}

/// A sort key value, as read from the last row of a page.
#[derive(Clone, Debug, PartialEq)]
pub enum Key {
    Null,
    Str(String),
    Bool(bool),
    Int(i64),
}

/// Where a page ended.
#[derive(Clone, Debug, PartialEq)]
pub struct Position {
    key: Option<Key>,
    id: String,
}

impl Position {
    /// A position in a list ordered by (`key`, `id`), for lists outside
    /// [`page`] (memberships).
    pub fn new(key: Option<String>, id: String) -> Self {
        Self { key: key.map(Key::Str), id }
    }

    /// The string key and the id.
    pub fn into_parts(self) -> (Option<String>, String) {
        let key = match self.key {
            Some(Key::Str(s)) => Some(s),
            _ => None,
        };
        (key, self.id)
    }
}

/// A query fingerprint for lists outside [`page`]: a label and the
/// query's parts.
pub fn fingerprint_of(parts: &[&str]) -> [u8; 32] {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0]);
    }
    h.finalize().into()
}

/// Signs `pos` as a page token of the query `fingerprint`.
pub async fn token_for(store: &Store, tenant: &TenantId, fingerprint: &[u8; 32], pos: &Position) -> Result<String> {
    encode(store, tenant, fingerprint, pos).await
}

/// Verifies a page token of the query `fingerprint`; `keyed`: whether the
/// position carries a string key besides the id.
pub async fn position_of(
    store: &Store,
    tenant: &TenantId,
    fingerprint: &[u8; 32],
    token: &str,
    keyed: bool,
) -> Result<Position> {
    decode(store, tenant, fingerprint, token, keyed.then_some(KeyKind::Str)).await
}

/// Everything a list needs: its query fingerprint, order and paging mode.
pub struct ListPlan {
    pub ordering: Ordering,
    pub mode: Mode,
    pub fingerprint: [u8; 32],
    resource: Resource,
}

impl ListPlan {
    /// Validates sort and page (decoding and verifying a page token).
    pub async fn new(
        store: &Store,
        tenant: &TenantId,
        resource: Resource,
        filter: Option<&Filter>,
        sort: Option<&Sort>,
        page: &Page<'_>,
    ) -> Result<Self> {
        let ordering = match sort.filter(|s| !s.attribute.is_empty()) {
            None => Ordering { key: None, descending: false },
            Some(s) => Ordering { key: Some(filter::sort_key(resource, &s.attribute)?), descending: s.descending },
        };
        let fingerprint = fingerprint(resource, filter, sort);
        let Page { size: limit, token, skip, total } = *page;
        let mode = if !token.is_empty() {
            let after = decode(store, tenant, &fingerprint, token, ordering.key.as_ref().map(|k| k.1)).await?;
            if total {
                // A total counts from the start; a token starts mid-list.
                return Err(Error::InvalidPage {
                    field: "include_total_size",
                    reason: "is only supported on the first page (without page_token)",
                });
            }
            Mode::Cursor { after: Some(after), skip, limit }
        } else if total {
            Mode::Index { offset: skip, limit, after: None }
        } else {
            Mode::Cursor { after: None, skip, limit }
        };
        Ok(Self { ordering, mode, fingerprint, resource })
    }

    /// Adds order, keyset condition and limit to `select`. In cursor mode one
    /// extra row is fetched, to know whether there is a next page.
    pub fn apply<E: EntityTrait>(&self, mut select: Select<E>, id: E::Column) -> Select<E> {
        let table = Alias::new(self.resource.table());
        let id_expr = Expr::col((table, Alias::new("id")));
        let dir = if self.ordering.descending { Order::Desc } else { Order::Asc };
        if let Mode::Cursor { after: Some(pos), .. } | Mode::Index { after: Some(pos), .. } = &self.mode {
            select = select.filter(self.ordering.after(pos, id_expr));
        }
        if let Some((expr, _)) = &self.ordering.key {
            select = select.order_by(expr.clone(), dir);
        }
        select = select.order_by_asc(id);
        match &self.mode {
            Mode::Index { after: Some(_), limit, .. } => select.limit(*limit),
            Mode::Index { offset, limit, .. } => select.offset(*offset).limit(*limit),
            Mode::Cursor { skip: 0, limit, .. } => select.limit(limit + 1),
            Mode::Cursor { skip, limit, .. } => select.offset(*skip).limit(limit + 1),
        }
    }

    /// Trims the extra row of a cursor page and signs the token of the next
    /// page (empty when this page is the last).
    pub async fn finish<T, C: ConnectionTrait>(
        &self,
        conn: &C,
        store: &Store,
        tenant: &TenantId,
        mut rows: Vec<T>,
        id_of: impl Fn(&T) -> &str,
    ) -> Result<(Vec<T>, String)> {
        let Mode::Cursor { limit, .. } = self.mode else { return Ok((rows, String::new())) };
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        if rows.len() <= limit {
            return Ok((rows, String::new()));
        }
        rows.truncate(limit);
        let Some(last) = rows.last() else { return Ok((rows, String::new())) };
        let id = id_of(last).to_owned();
        let key = match &self.ordering.key {
            None => None,
            Some((expr, kind)) => Some(self.read_key(conn, tenant, &id, expr, *kind).await?),
        };
        let token = encode(store, tenant, &self.fingerprint, &Position { key, id }).await?;
        Ok((rows, token))
    }

    /// The sort key of row `id`, read with the very expression that orders.
    async fn read_key<C: ConnectionTrait>(
        &self,
        conn: &C,
        tenant: &TenantId,
        id: &str,
        expr: &Expr,
        kind: KeyKind,
    ) -> Result<Key> {
        let table = Alias::new(self.resource.table());
        let stmt = Query::select()
            .expr(expr.clone())
            .from(table.clone())
            .and_where(Expr::col((table.clone(), Alias::new("tenant_id"))).eq(tenant.as_str()))
            .and_where(Expr::col((table, Alias::new("id"))).eq(id))
            .to_owned();
        let Some(row) = conn.query_one(&stmt).await? else { return Ok(Key::Null) };
        Ok(match kind {
            KeyKind::Str => row.try_get_by_index::<Option<String>>(0)?.map_or(Key::Null, Key::Str),
            KeyKind::Bool => row.try_get_by_index::<Option<bool>>(0)?.map_or(Key::Null, Key::Bool),
            KeyKind::Int => row.try_get_by_index::<Option<i64>>(0)?.map_or(Key::Null, Key::Int),
        })
    }
}

impl Ordering {
    /// Rows strictly after `pos` in (key, id) order. NULL keys sort first
    /// ascending and last descending, on MySQL and SQLite alike; ties are
    /// broken by ascending id in both directions.
    fn after(&self, pos: &Position, id: Expr) -> Condition {
        let id_after = id.gt(pos.id.clone());
        let Some((expr, _)) = &self.key else { return Condition::all().add(id_after) };
        let value = |k: &Key| -> sea_orm::Value {
            match k {
                Key::Str(s) => s.clone().into(),
                Key::Bool(b) => (*b).into(),
                Key::Int(i) => (*i).into(),
                Key::Null => sea_orm::Value::String(None),
            }
        };
        let key = pos.key.clone().unwrap_or(Key::Null);
        let same = |e: &Expr| Condition::all().add(e.clone().eq(value(&key))).add(id_after.clone());
        match (self.descending, &key) {
            (false, Key::Null) => Condition::any()
                .add(Condition::all().add(expr.clone().is_null()).add(id_after.clone()))
                .add(expr.clone().is_not_null()),
            (false, k) => Condition::any().add(expr.clone().gt(value(k))).add(same(expr)),
            (true, Key::Null) => Condition::all().add(expr.clone().is_null()).add(id_after.clone()),
            (true, k) => Condition::any().add(expr.clone().lt(value(k))).add(same(expr)).add(expr.clone().is_null()),
        }
    }
}

/// What a token is bound to besides the tenant: the resource, the filter
/// and the sort (prost encoding is deterministic).
fn fingerprint(resource: Resource, filter: Option<&Filter>, sort: Option<&Sort>) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(resource.table().as_bytes());
    h.update([0]);
    if let Some(f) = filter {
        h.update(f.encode_to_vec());
    }
    h.update([0]);
    if let Some(s) = sort {
        h.update(s.encode_to_vec());
    }
    h.finalize().into()
}

/// The MAC of a token payload, keyed by the server key, over the tenant and
/// the query fingerprint too.
fn mac(key: &[u8], tenant: &TenantId, fingerprint: &[u8; 32], payload: &[u8]) -> Result<HmacSha256> {
    let mut m = HmacSha256::new_from_slice(key).map_err(|_| Error::Internal("cursor key unusable"))?;
    m.update(tenant.as_str().as_bytes());
    m.update(&[0]);
    m.update(fingerprint);
    m.update(payload);
    Ok(m)
}

/// Bytes of the (truncated) MAC carried in a token.
const TAG_BYTES: usize = 16;

/// `hex(issued_ms|id|key) . hex(mac)`.
async fn encode(store: &Store, tenant: &TenantId, fingerprint: &[u8; 32], pos: &Position) -> Result<String> {
    let key = match &pos.key {
        None => "-".to_owned(),
        Some(Key::Null) => "n".to_owned(),
        Some(Key::Str(s)) => format!("s{}", hex::encode(s)),
        Some(Key::Bool(b)) => format!("b{}", u8::from(*b)),
        Some(Key::Int(i)) => format!("i{i}"),
    };
    let payload = format!("{}|{}|{key}", chrono::Utc::now().timestamp_millis(), pos.id);
    let tag = mac(&store.cursor_key().await?, tenant, fingerprint, payload.as_bytes())?.finalize().into_bytes();
    Ok(format!("{}.{}", hex::encode(payload), hex::encode(&tag[..TAG_BYTES])))
}

/// Verifies and decodes a token; `kind`: the sort key's kind (None: id order).
async fn decode(
    store: &Store,
    tenant: &TenantId,
    fingerprint: &[u8; 32],
    token: &str,
    kind: Option<KeyKind>,
) -> Result<Position> {
    let invalid = || Error::InvalidPageToken;
    let (payload_hex, tag_hex) = token.split_once('.').ok_or_else(invalid)?;
    let payload = hex::decode(payload_hex).map_err(|_| invalid())?;
    let tag = hex::decode(tag_hex).map_err(|_| invalid())?;
    if tag.len() != TAG_BYTES {
        return Err(invalid());
    }
    // Constant-time check of the truncated tag.
    mac(&store.cursor_key().await?, tenant, fingerprint, &payload)?
        .verify_truncated_left(&tag)
        .map_err(|_| invalid())?;
    let text = String::from_utf8(payload).map_err(|_| invalid())?;
    let mut parts = text.splitn(3, '|');
    let (Some(issued), Some(id), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(invalid());
    };
    let issued: i64 = issued.parse().map_err(|_| invalid())?;
    let age_ms = chrono::Utc::now().timestamp_millis().saturating_sub(issued);
    if u128::try_from(age_ms).unwrap_or(0) >= store.cursor_ttl().as_millis() {
        return Err(Error::ExpiredPageToken);
    }
    let key = match (key, kind) {
        ("-", None) => None,
        ("n", Some(_)) => Some(Key::Null),
        (k, Some(KeyKind::Str)) if k.starts_with('s') => {
            Some(Key::Str(String::from_utf8(hex::decode(&k[1..]).map_err(|_| invalid())?).map_err(|_| invalid())?))
        }
        ("b0", Some(KeyKind::Bool)) => Some(Key::Bool(false)),
        ("b1", Some(KeyKind::Bool)) => Some(Key::Bool(true)),
        (k, Some(KeyKind::Int)) if k.starts_with('i') => Some(Key::Int(k[1..].parse().map_err(|_| invalid())?)),
        _ => return Err(invalid()),
    };
    Ok(Position { key, id: id.to_owned() })
}
