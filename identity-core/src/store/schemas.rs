//! Per-tenant extension schemas and the values of their attributes.
//!
//! A schema is declared once per tenant (`SchemaService.CreateSchema`, or
//! `identity-core schema add`) and stored protobuf-encoded. Values arrive in
//! `User.extensions` / `Group.extensions` (a Struct keyed by schema URN),
//! are checked against the declaration, and are stored one row per value in
//! `custom_values`, with typed columns that filters compare.

use std::collections::{BTreeMap, HashMap};

use prost::Message;
use prost_types::value::Kind as PV;
use prost_types::{ListValue, Struct, Value as PValue};
use proto::v1::{AttributeDefinition, AttributeType, ResourceType, Schema};
use sea_orm::ActiveValue::Set;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, SqlErr,
};

use super::entities::{custom_values, tenant_schemas};
use super::scoped::Scoped;
use super::{Store, audit, in_tx, time};
use crate::domain::TenantId;
use crate::domain::limits::{
    self, IN_CHUNK, MAX_ATTRIBUTE_KEY_CHARS as MAX_KEY, MAX_ATTRIBUTES_PER_SCHEMA, MAX_EXTENSION_VALUES as MAX_VALUES,
    MAX_SCHEMA_BYTES, MAX_SCHEMA_URN_CHARS as MAX_URN, MAX_SCHEMAS_PER_TENANT, MAX_TEXT_BYTES,
};
use crate::error::{Error, Result};

/// URNs a tenant may not declare: the RFC's own.
const RESERVED: [&str; 2] =
    ["urn:ietf:params:scim:schemas:core:", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:user"];

fn resource_name(rt: ResourceType) -> &'static str {
    match rt {
        ResourceType::Group => "Group",
        _ => "User",
    }
}

/// Declares `schema` for `tenant` (in a transaction with its audit event).
pub async fn create(store: &Store, tenant: &TenantId, schema: Schema) -> Result<Schema> {
    let schema = validate_definition(schema)?;
    let rt = ResourceType::try_from(schema.resource_type).unwrap_or(ResourceType::Unspecified);
    let declared = tenant_schemas::Entity::find()
        .filter(tenant_schemas::Column::TenantId.eq(tenant.as_str()))
        .count(store.conn())
        .await?;
    if usize::try_from(declared).unwrap_or(usize::MAX) >= MAX_SCHEMAS_PER_TENANT {
        return Err(Error::invalid("id", format!("a tenant declares at most {MAX_SCHEMAS_PER_TENANT} schemas")));
    }
    let row = tenant_schemas::ActiveModel {
        tenant_id: Set(tenant.as_str().to_owned()),
        urn: Set(schema.id.clone()),
        resource_type: Set(resource_name(rt).to_owned()),
        definition: Set(schema.encode_to_vec()),
        created_us: Set(time::now_us()),
    };
    in_tx(store, |txn| {
        let (tenant, row, urn) = (tenant.clone(), row.clone(), schema.id.clone());
        Box::pin(async move {
            audit::wrote(txn, &tenant, "Schema", &urn).await?;
            tenant_schemas::Entity::insert(row).exec_without_returning(txn).await.map_err(|e| match e.sql_err() {
                Some(SqlErr::UniqueConstraintViolation(_)) => Error::Uniqueness { field: "schema id" },
                _ => Error::Database(e),
            })
        })
    })
    .await?;
    Ok(schema)
}

/// The tenant's extension schemas, by id.
pub async fn all(store: &Store, tenant: &TenantId) -> Result<Vec<Schema>> {
    list(store.conn(), tenant).await
}

/// [`all`], on any connection or transaction.
pub(crate) async fn list<C: ConnectionTrait>(conn: &C, tenant: &TenantId) -> Result<Vec<Schema>> {
    let rows = tenant_schemas::Entity::find()
        .filter(tenant_schemas::Column::TenantId.eq(tenant.as_str()))
        .order_by_asc(tenant_schemas::Column::Urn)
        .all(conn)
        .await?;
    rows.into_iter()
        .map(|r| {
            Schema::decode(r.definition.as_slice()).map_err(|_| Error::Internal("a stored schema does not decode"))
        })
        .collect()
}

/// Removes the declaration of the schema `urn` (case-insensitive) from
/// `tenant`; returns its canonical URN, None when there was none. Its stored
/// values are purged separately, in batches ([`super::purge::schema_values`]).
pub async fn delete(store: &Store, tenant: &TenantId, urn: &str) -> Result<Option<String>> {
    let Some(schema) = all(store, tenant).await?.into_iter().find(|s| s.id.eq_ignore_ascii_case(urn.trim())) else {
        return Ok(None);
    };
    in_tx(store, |txn| {
        let (tenant, urn) = (tenant.clone(), schema.id.clone());
        Box::pin(async move {
            audit::wrote(txn, &tenant, "Schema", &urn).await?;
            tenant_schemas::Entity::delete_many()
                .filter(tenant_schemas::Column::TenantId.eq(tenant.as_str()))
                .filter(tenant_schemas::Column::Urn.eq(urn.as_str()))
                .exec(txn)
                .await?;
            Ok(())
        })
    })
    .await?;
    Ok(Some(schema.id))
}

/// The extension schemas of one resource type of one tenant.
#[derive(Clone, Debug, Default)]
pub struct Custom {
    schemas: Vec<Schema>,
}

impl Custom {
    /// Loads the tenant's schemas for `rt`.
    pub async fn load<C: ConnectionTrait>(conn: &C, tenant: &TenantId, rt: ResourceType) -> Result<Self> {
        let schemas = list(conn, tenant).await?.into_iter().filter(|s| s.resource_type == rt as i32).collect();
        Ok(Self { schemas })
    }

    fn schema(&self, urn: &str) -> Option<&Schema> {
        self.schemas.iter().find(|s| s.id.eq_ignore_ascii_case(urn))
    }

    /// The definition behind `<urn>:<name>` (case-insensitive), and its
    /// canonical key.
    pub fn lookup(&self, key: &str) -> Option<(String, &AttributeDefinition)> {
        let (urn, name) = key.rsplit_once(':')?;
        let schema = self.schema(urn)?;
        let attr = schema.attributes.iter().find(|a| a.name.eq_ignore_ascii_case(name))?;
        Some((format!("{}:{}", schema.id, attr.name), attr))
    }

    /// Checks `ext` against the declarations and returns its rows; with
    /// `require`, every required attribute must have a value.
    pub fn rows(
        &self,
        tenant: &TenantId,
        resource_id: &str,
        ext: Option<&Struct>,
        require: bool,
    ) -> Result<Vec<custom_values::ActiveModel>> {
        let mut rows = Vec::new();
        let mut present = Vec::new();
        for (urn, attrs) in ext.map(|e| &e.fields).into_iter().flatten() {
            let schema =
                self.schema(urn).ok_or_else(|| Error::invalid(urn, "no such extension schema in this tenant"))?;
            let Some(PV::StructValue(attrs)) = &attrs.kind else {
                return Err(Error::invalid(urn, "an extension holds an object of attributes"));
            };
            for (name, value) in &attrs.fields {
                let attr = schema
                    .attributes
                    .iter()
                    .find(|a| a.name.eq_ignore_ascii_case(name))
                    .ok_or_else(|| Error::invalid(format!("{urn}:{name}"), "no such attribute in the schema"))?;
                let key = format!("{}:{}", schema.id, attr.name);
                let values = values_of(&key, attr, value)?;
                if !values.is_empty() {
                    present.push(key.clone());
                }
                for (ordinal, v) in values.into_iter().enumerate() {
                    rows.push(row(tenant, resource_id, &key, ordinal, attr, v)?);
                }
            }
        }
        if require {
            for s in &self.schemas {
                for a in s.attributes.iter().filter(|a| a.required) {
                    let key = format!("{}:{}", s.id, a.name);
                    if ext.is_some_and(|e| e.fields.keys().any(|u| u.eq_ignore_ascii_case(&s.id)))
                        && !present.contains(&key)
                    {
                        return Err(Error::invalid(key, "is required"));
                    }
                }
            }
        }
        Ok(rows)
    }
}

/// The single values of `value` (a list for multi-valued attributes; a lone
/// value is taken as a list of one).
fn values_of<'v>(key: &str, attr: &AttributeDefinition, value: &'v PValue) -> Result<Vec<&'v PValue>> {
    let values: Vec<&PValue> = match &value.kind {
        None | Some(PV::NullValue(_)) => Vec::new(),
        Some(PV::ListValue(ListValue { values })) => {
            if !attr.multi_valued {
                return Err(Error::invalid(key, "is single-valued"));
            }
            values.iter().filter(|v| !matches!(v.kind, None | Some(PV::NullValue(_)))).collect()
        }
        Some(_) => vec![value],
    };
    if values.len() > MAX_VALUES {
        return Err(Error::invalid(key, format!("holds more than {MAX_VALUES} values")));
    }
    Ok(values)
}

/// One value row, type-checked.
fn row(
    tenant: &TenantId,
    resource_id: &str,
    key: &str,
    ordinal: usize,
    attr: &AttributeDefinition,
    v: &PValue,
) -> Result<custom_values::ActiveModel> {
    let ty = AttributeType::try_from(attr.r#type).unwrap_or(AttributeType::Unspecified);
    let wrong = |what: &str| Error::invalid(key, format!("expects {what}"));
    let mut m = custom_values::ActiveModel {
        tenant_id: Set(tenant.as_str().to_owned()),
        resource_id: Set(resource_id.to_owned()),
        attr_key: Set(key.to_owned()),
        ordinal: Set(i32::try_from(ordinal).unwrap_or(i32::MAX)),
        value_json: Set(String::new()),
        str_value: Set(None),
        str_lower: Set(None),
        num_value: Set(None),
        bool_value: Set(None),
        time_us: Set(None),
    };
    let json = match (ty, &v.kind) {
        (AttributeType::String | AttributeType::Reference, Some(PV::StringValue(s))) => {
            if !attr.canonical_values.is_empty() && !attr.canonical_values.iter().any(|c| c.eq_ignore_ascii_case(s)) {
                return Err(Error::invalid(key, format!("{s:?} is not one of {:?}", attr.canonical_values)));
            }
            limits::text(key, s)?;
            m.str_lower = Set(Some(s.to_lowercase().chars().take(255).collect()));
            m.str_value = Set(Some(s.clone()));
            serde_json::Value::String(s.clone())
        }
        (AttributeType::Boolean, Some(PV::BoolValue(b))) => {
            m.bool_value = Set(Some(*b));
            serde_json::Value::Bool(*b)
        }
        (AttributeType::Integer, Some(PV::NumberValue(n))) => {
            if n.fract() != 0.0 || !n.is_finite() {
                return Err(wrong("an integer"));
            }
            m.num_value = Set(Some(*n));
            #[allow(clippy::cast_possible_truncation)]
            serde_json::Value::from(*n as i64)
        }
        (AttributeType::Decimal, Some(PV::NumberValue(n))) => {
            m.num_value = Set(Some(*n));
            serde_json::Number::from_f64(*n).map(serde_json::Value::Number).ok_or_else(|| wrong("a finite number"))?
        }
        (AttributeType::DateTime, Some(PV::StringValue(s))) => {
            let us = time::parse_rfc3339(s).ok_or_else(|| wrong("an RFC 3339 dateTime"))?;
            m.time_us = Set(Some(us));
            m.str_value = Set(Some(s.clone()));
            serde_json::Value::String(s.clone())
        }
        (AttributeType::String | AttributeType::Reference, _) => return Err(wrong("a string")),
        (AttributeType::Boolean, _) => return Err(wrong("a boolean")),
        (AttributeType::Integer | AttributeType::Decimal, _) => return Err(wrong("a number")),
        (AttributeType::DateTime, _) => return Err(wrong("a dateTime string")),
        (AttributeType::Unspecified, _) => return Err(Error::Internal("a stored schema has an untyped attribute")),
    };
    let json = json.to_string();
    if json.len() > MAX_TEXT_BYTES {
        return Err(Error::invalid(key, format!("longer than {MAX_TEXT_BYTES} bytes once JSON-encoded")));
    }
    m.value_json = Set(json);
    Ok(m)
}

/// Replaces the extension values of `resource_id` with `ext` (checked
/// against the tenant's declarations; required attributes enforced).
pub async fn write(
    txn: &DatabaseTransaction,
    tenant: &TenantId,
    rt: ResourceType,
    resource_id: &str,
    ext: Option<&Struct>,
) -> Result<()> {
    forget(txn, tenant, resource_id).await?;
    insert(txn, tenant, rt, resource_id, ext).await
}

/// Stores the extension values of a resource that has none yet (a new
/// one): nothing to delete, and no statement at all without values.
pub async fn insert(
    txn: &DatabaseTransaction,
    tenant: &TenantId,
    rt: ResourceType,
    resource_id: &str,
    ext: Option<&Struct>,
) -> Result<()> {
    if ext.is_none_or(|e| e.fields.is_empty()) {
        return Ok(());
    }
    let custom = Custom::load(txn, tenant, rt).await?;
    let rows = custom.rows(tenant, resource_id, ext, true)?;
    super::batch::insert(txn, &rows).await
}

/// Rewrites only the named extension attributes (`<urn>:<attr>`, field-mask
/// paths `extensions.<urn>:<attr>` of an update), each from `ext` (absent
/// there: the attribute is cleared). Required attributes are not enforced
/// here: an update names what it changes.
pub async fn write_attrs(
    txn: &DatabaseTransaction,
    tenant: &TenantId,
    rt: ResourceType,
    resource_id: &str,
    keys: &[String],
    ext: Option<&Struct>,
) -> Result<()> {
    let custom = Custom::load(txn, tenant, rt).await?;
    let mut canonical = Vec::new();
    let mut given = Struct::default();
    for key in keys {
        let (key, _) = custom.lookup(key).ok_or_else(|| Error::invalid(key.clone(), "no such extension attribute"))?;
        let Some((urn, attr)) = key.rsplit_once(':') else { continue };
        let value = ext
            .and_then(|e| e.fields.iter().find(|(u, _)| u.eq_ignore_ascii_case(urn)))
            .and_then(|(_, v)| match &v.kind {
                Some(PV::StructValue(s)) => s.fields.iter().find(|(a, _)| a.eq_ignore_ascii_case(attr)),
                _ => None,
            })
            .map(|(_, v)| v.clone());
        if let Some(v) = value {
            let entry = given
                .fields
                .entry(urn.to_owned())
                .or_insert_with(|| PValue { kind: Some(PV::StructValue(Struct::default())) });
            if let Some(PV::StructValue(s)) = &mut entry.kind {
                s.fields.insert(attr.to_owned(), v);
            }
        }
        canonical.push(key);
    }
    for part in canonical.chunks(IN_CHUNK) {
        custom_values::Entity::delete_in(tenant)
            .filter(custom_values::Column::ResourceId.eq(resource_id))
            .filter(custom_values::Column::AttrKey.is_in(part.iter().cloned()))
            .exec(txn)
            .await?;
    }
    let rows = custom.rows(tenant, resource_id, Some(&given), false)?;
    super::batch::insert(txn, &rows).await
}

/// Deletes the extension values of `resource_id`.
pub async fn forget(txn: &DatabaseTransaction, tenant: &TenantId, resource_id: &str) -> Result<()> {
    custom_values::Entity::delete_in(tenant)
        .filter(custom_values::Column::ResourceId.eq(resource_id))
        .exec(txn)
        .await?;
    Ok(())
}

/// The extension values of each of `ids` (one query; the schemas are read
/// only when some resource has values).
pub async fn read<C: ConnectionTrait>(
    conn: &C,
    tenant: &TenantId,
    rt: ResourceType,
    ids: &[String],
) -> Result<HashMap<String, Struct>> {
    let mut rows = Vec::new();
    for part in ids.chunks(IN_CHUNK) {
        let found = custom_values::Entity::find_in(tenant)
            .filter(custom_values::Column::ResourceId.is_in(part.iter().cloned()))
            .all(conn)
            .await?;
        rows.extend(found.into_iter().map(|r| (r.resource_id, r.attr_key, i64::from(r.ordinal), r.value_json)));
    }
    from_rows(conn, tenant, rt, rows).await
}

/// Extension values from their rows (resource id, attribute key, ordinal,
/// JSON value), in any order; the schemas are read only when there are
/// rows (they tell single from multi-valued).
pub async fn from_rows<C: ConnectionTrait>(
    conn: &C,
    tenant: &TenantId,
    rt: ResourceType,
    mut rows: Vec<(String, String, i64, String)>,
) -> Result<HashMap<String, Struct>> {
    if rows.is_empty() {
        return Ok(HashMap::new());
    }
    rows.sort();
    let custom = Custom::load(conn, tenant, rt).await?;
    let mut by_resource: HashMap<String, Vec<(String, String)>> = HashMap::new();
    for (resource, key, _, json) in rows {
        by_resource.entry(resource).or_default().push((key, json));
    }
    Ok(by_resource.into_iter().filter_map(|(id, rows)| to_struct(rows, &custom).map(|s| (id, s))).collect())
}

/// Rebuilds the `extensions` Struct from a resource's rows (ordered by key
/// and ordinal); multi-valued attributes come back as lists.
fn to_struct(rows: Vec<(String, String)>, custom: &Custom) -> Option<Struct> {
    let mut by_schema: BTreeMap<String, BTreeMap<String, Vec<PValue>>> = BTreeMap::new();
    for (attr_key, value_json) in rows {
        let Some((urn, name)) = attr_key.rsplit_once(':') else { continue };
        let json: serde_json::Value = serde_json::from_str(&value_json).unwrap_or(serde_json::Value::Null);
        by_schema.entry(urn.to_owned()).or_default().entry(name.to_owned()).or_default().push(to_prost(json));
    }
    if by_schema.is_empty() {
        return None;
    }
    let fields = by_schema
        .into_iter()
        .map(|(urn, attrs)| {
            let attrs = attrs
                .into_iter()
                .map(|(name, mut values)| {
                    let multi = custom.lookup(&format!("{urn}:{name}")).is_some_and(|(_, a)| a.multi_valued);
                    let v = if multi || values.len() > 1 {
                        PValue { kind: Some(PV::ListValue(ListValue { values })) }
                    } else {
                        values.pop().unwrap_or(PValue { kind: Some(PV::NullValue(0)) })
                    };
                    (name, v)
                })
                .collect();
            (urn, PValue { kind: Some(PV::StructValue(Struct { fields: attrs })) })
        })
        .collect();
    Some(Struct { fields })
}

fn to_prost(v: serde_json::Value) -> PValue {
    let kind = match v {
        serde_json::Value::Null => PV::NullValue(0),
        serde_json::Value::Bool(b) => PV::BoolValue(b),
        serde_json::Value::Number(n) => PV::NumberValue(n.as_f64().unwrap_or(0.0)),
        serde_json::Value::String(s) => PV::StringValue(s),
        other => PV::StringValue(other.to_string()),
    };
    PValue { kind: Some(kind) }
}

/// Checks a declaration and fills defaults (name from the URN).
fn validate_definition(mut s: Schema) -> Result<Schema> {
    let urn = s.id.trim().to_owned();
    let lower = urn.to_ascii_lowercase();
    if !lower.starts_with("urn:") || urn.len() > MAX_URN || urn.chars().any(char::is_whitespace) || urn.ends_with(':') {
        return Err(Error::invalid("id", format!("a schema id is a URN of at most {MAX_URN} characters")));
    }
    if RESERVED.iter().any(|r| lower.starts_with(r)) {
        return Err(Error::invalid("id", "the RFC 7643 schemas cannot be redeclared"));
    }
    if ResourceType::try_from(s.resource_type).unwrap_or(ResourceType::Unspecified) == ResourceType::Unspecified {
        return Err(Error::invalid("resource_type", "User or Group"));
    }
    if s.attributes.is_empty() {
        return Err(Error::invalid("attributes", "a schema declares at least one attribute"));
    }
    if s.attributes.len() > MAX_ATTRIBUTES_PER_SCHEMA {
        return Err(Error::invalid("attributes", format!("a schema declares at most {MAX_ATTRIBUTES_PER_SCHEMA}")));
    }

    let mut seen: Vec<String> = Vec::new();
    for a in &s.attributes {
        let valid = a.name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && a.name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !valid {
            return Err(Error::invalid("attributes", format!("{:?} is not a SCIM attribute name", a.name)));
        }
        if seen.iter().any(|n| n.eq_ignore_ascii_case(&a.name)) {
            return Err(Error::invalid("attributes", format!("{} is declared twice", a.name)));
        }
        if AttributeType::try_from(a.r#type).unwrap_or(AttributeType::Unspecified) == AttributeType::Unspecified {
            return Err(Error::invalid("attributes", format!("{} needs a type", a.name)));
        }
        if urn.len() + 1 + a.name.len() > MAX_KEY {
            return Err(Error::invalid("attributes", format!("{urn}:{} is longer than {MAX_KEY} characters", a.name)));
        }
        seen.push(a.name.clone());
    }
    s.id = urn;
    if s.name.trim().is_empty() {
        s.name = s.id.rsplit(':').next().unwrap_or_default().to_owned();
    }
    // What is stored, as stored.
    if s.encoded_len() > MAX_SCHEMA_BYTES {
        return Err(Error::invalid("schema", format!("the definition is larger than {MAX_SCHEMA_BYTES} bytes")));
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attr(name: &str, t: AttributeType) -> AttributeDefinition {
        AttributeDefinition { name: name.into(), r#type: t as i32, ..Default::default() }
    }

    fn schema() -> Schema {
        Schema {
            id: "urn:ietf:params:scim:schemas:extension:acme:2.0:User".into(),
            resource_type: ResourceType::User as i32,
            attributes: vec![attr("badge", AttributeType::String), attr("level", AttributeType::Integer)],
            ..Default::default()
        }
    }

    #[test]
    fn a_valid_declaration_gets_its_name_from_the_urn() {
        let s = validate_definition(schema()).ok();
        assert_eq!(s.map(|s| s.name), Some("User".to_owned()));
    }

    #[test]
    fn rfc_schemas_and_bad_names_cannot_be_declared() {
        let mut core = schema();
        core.id = "urn:ietf:params:scim:schemas:core:2.0:User".into();
        assert!(validate_definition(core).is_err());
        let mut bad = schema();
        bad.attributes.push(attr("9lives", AttributeType::String));
        assert!(validate_definition(bad).is_err());
        let mut twice = schema();
        twice.attributes.push(attr("BADGE", AttributeType::String));
        assert!(validate_definition(twice).is_err());
    }

    #[test]
    fn values_are_type_checked() {
        let custom = Custom { schemas: vec![schema()] };
        let t = TenantId::from_db("t".into());
        let ext = |v: PValue| Struct {
            fields: [(
                "urn:ietf:params:scim:schemas:extension:acme:2.0:User".to_owned(),
                PValue {
                    kind: Some(PV::StructValue(Struct { fields: [("level".to_owned(), v)].into_iter().collect() })),
                },
            )]
            .into_iter()
            .collect(),
        };
        let ok = ext(PValue { kind: Some(PV::NumberValue(3.0)) });
        assert_eq!(custom.rows(&t, "u", Some(&ok), true).map(|r| r.len()).ok(), Some(1));
        let fraction = ext(PValue { kind: Some(PV::NumberValue(3.5)) });
        assert!(custom.rows(&t, "u", Some(&fraction), true).is_err());
        let text = ext(PValue { kind: Some(PV::StringValue("3".into())) });
        assert!(custom.rows(&t, "u", Some(&text), true).is_err());
    }
}
