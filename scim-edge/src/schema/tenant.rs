//! The schemas one tenant sees: RFC 7643's, plus the extension schemas its
//! operator declared in identity-core (Okta custom attributes).
//!
//! Tenant schemas arrive as `identity.v1.Schema` messages and become
//! [`SchemaDef`]s like the built-in ones, so one resolver, one validator and
//! one discovery renderer serve both. A declaration never changes once made,
//! so each distinct one is converted once and kept for the life of the
//! process (interned): memory grows with the number of schemas ever declared,
//! not with requests.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

use prost::Message;
use proto::v1 as pb;

use super::{AttrType, AttributeDef, Mutability, ResourceKind, Returned, SchemaDef, Uniqueness};

/// A resource type as one tenant sees it: its core schema and extensions.
#[derive(Clone, Copy, Debug)]
pub struct Scope<'a> {
    pub kind: ResourceKind,
    custom: &'a [(ResourceKind, &'static SchemaDef)],
    /// Whether the Group `membersMetadata` extension is listed in the
    /// Group resource type's `schemaExtensions` (it is served either way).
    advertise_group_members: bool,
    /// Whether the tenant runs the strict interop profile (filters must
    /// quote their string values).
    strict: bool,
}

impl Scope<'static> {
    /// The RFC 7643 schemas alone.
    pub const fn builtin(kind: ResourceKind) -> Self {
        Self { kind, custom: &[], advertise_group_members: true, strict: false }
    }
}

impl From<ResourceKind> for Scope<'static> {
    fn from(kind: ResourceKind) -> Self {
        Self::builtin(kind)
    }
}

impl<'a> Scope<'a> {
    /// The extension schemas: the built-in ones, then the tenant's.
    pub fn extensions(self) -> impl Iterator<Item = &'static SchemaDef> + 'a {
        let kind = self.kind;
        kind.extensions().iter().copied().chain(self.custom.iter().filter(move |(k, _)| *k == kind).map(|(_, s)| *s))
    }

    /// The extensions listed in `/ResourceTypes`: all of them, but the
    /// read-only groupMembers one only when advertised (see `Registry`).
    pub fn advertised_extensions(self) -> impl Iterator<Item = &'static SchemaDef> + 'a {
        let advertise = self.advertise_group_members;
        self.extensions().filter(move |s| advertise || s.id != super::GROUP_MEMBERS_EXTENSION)
    }

    /// The core schema, then the extensions.
    pub fn schemas(self) -> impl Iterator<Item = &'static SchemaDef> + 'a {
        std::iter::once(self.kind.schema()).chain(self.extensions())
    }

    /// The extension with this URN (case-insensitive).
    pub fn extension(self, urn: &str) -> Option<&'static SchemaDef> {
        self.extensions().find(|s| s.id.eq_ignore_ascii_case(urn))
    }

    /// Whether the tenant runs the strict interop profile.
    pub fn is_strict(self) -> bool {
        self.strict
    }

    /// Whether `schema` is one of the tenant's own (not RFC 7643's).
    pub fn is_custom(self, schema: &SchemaDef) -> bool {
        self.custom.iter().any(|(_, s)| std::ptr::eq(*s, schema))
    }
}

/// The tenant's own schemas.
///
/// The GroupMember resource (`/GroupMembers`) and the Group `membersMetadata`
/// extension (draft-zollner-scim-group-members-01) are always served, and
/// their schemas are always in `/Schemas`. `/ResourceTypes` lists them only
/// when `advertise_group_members` is set: RFC 7644 gives a resource type no
/// way to say "POST, GET and DELETE only, referencing resources that exist",
/// or an extension "read-only as a whole", so a client that reads
/// `/ResourceTypes` literally (scim2-tester) would PUT and PATCH them.
#[derive(Clone, Debug, Default)]
pub struct Registry {
    custom: Vec<(ResourceKind, &'static SchemaDef)>,
    advertise_group_members: bool,
    strict: bool,
}

impl Registry {
    /// From identity-core's declarations; `advertise_group_members`: whether
    /// `/ResourceTypes` lists the GroupMember resource and the Group
    /// `membersMetadata` extension.
    pub fn from_proto(schemas: &[pb::Schema], advertise_group_members: bool) -> Self {
        let custom = schemas
            .iter()
            .map(|s| {
                let kind = match pb::ResourceType::try_from(s.resource_type) {
                    Ok(pb::ResourceType::Group) => ResourceKind::Group,
                    _ => ResourceKind::User,
                };
                (kind, intern(s))
            })
            .collect();
        Self { custom, advertise_group_members, strict: false }
    }

    /// The same, for a tenant in the strict interop profile (`strict`).
    pub fn strict(self, strict: bool) -> Self {
        Self { strict, ..self }
    }

    /// `kind` as this tenant sees it.
    pub fn scope(&self, kind: ResourceKind) -> Scope<'_> {
        Scope { kind, custom: &self.custom, advertise_group_members: self.advertise_group_members, strict: self.strict }
    }

    /// The resource types listed in `/ResourceTypes`.
    pub fn kinds(&self) -> Vec<ResourceKind> {
        ResourceKind::ALL
            .into_iter()
            .filter(|k| self.advertise_group_members || *k != ResourceKind::GroupMember)
            .collect()
    }

    /// Every schema this tenant can see, for `/Schemas`.
    pub fn all_schemas(&self) -> Vec<&'static SchemaDef> {
        super::all_schemas().into_iter().chain(self.custom.iter().map(|(_, s)| *s)).collect()
    }

    /// The schema with this URN (case-insensitive).
    pub fn find_schema(&self, id: &str) -> Option<&'static SchemaDef> {
        self.all_schemas().into_iter().find(|s| s.id.eq_ignore_ascii_case(id))
    }
}

static INTERNED: LazyLock<Mutex<HashMap<Vec<u8>, &'static SchemaDef>>> = LazyLock::new(Default::default);

/// The `SchemaDef` of a declaration, converted once per distinct one.
fn intern(s: &pb::Schema) -> &'static SchemaDef {
    let key = s.encode_to_vec();
    let mut map = INTERNED.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(def) = map.get(&key) {
        return def;
    }
    let def: &'static SchemaDef = Box::leak(Box::new(convert(s)));
    map.insert(key, def);
    def
}

fn leak(s: &str) -> &'static str {
    Box::leak(s.to_owned().into_boxed_str())
}

fn convert(s: &pb::Schema) -> SchemaDef {
    let attributes: Vec<AttributeDef> = s.attributes.iter().map(attribute).collect();
    SchemaDef {
        id: leak(&s.id),
        name: leak(&s.name),
        description: leak(&s.description),
        attributes: Box::leak(attributes.into_boxed_slice()),
    }
}

fn attribute(a: &pb::AttributeDefinition) -> AttributeDef {
    let kind = match pb::AttributeType::try_from(a.r#type).unwrap_or(pb::AttributeType::String) {
        pb::AttributeType::Boolean => AttrType::Boolean,
        pb::AttributeType::Integer => AttrType::Integer,
        pb::AttributeType::Decimal => AttrType::Decimal,
        pb::AttributeType::DateTime => AttrType::DateTime,
        pb::AttributeType::Reference => AttrType::Reference,
        pb::AttributeType::String | pb::AttributeType::Unspecified => AttrType::String,
    };
    let canonical: Vec<&'static str> = a.canonical_values.iter().map(|v| leak(v)).collect();
    AttributeDef {
        name: leak(&a.name),
        kind,
        multi_valued: a.multi_valued,
        required: a.required,
        case_exact: a.case_exact,
        mutability: match pb::Mutability::try_from(a.mutability).unwrap_or(pb::Mutability::ReadWrite) {
            pb::Mutability::ReadOnly => Mutability::ReadOnly,
            pb::Mutability::Immutable => Mutability::Immutable,
            pb::Mutability::WriteOnly => Mutability::WriteOnly,
            pb::Mutability::ReadWrite | pb::Mutability::Unspecified => Mutability::ReadWrite,
        },
        returned: match pb::Returned::try_from(a.returned).unwrap_or(pb::Returned::Default) {
            pb::Returned::Always => Returned::Always,
            pb::Returned::Never => Returned::Never,
            pb::Returned::Request => Returned::Request,
            pb::Returned::Default | pb::Returned::Unspecified => Returned::Default,
        },
        uniqueness: Uniqueness::None,
        canonical_values: Box::leak(canonical.into_boxed_slice()),
        reference_types: if kind == AttrType::Reference { &["external"] } else { &[] },
        sub_attributes: &[],
        description: leak(&a.description),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acme() -> pb::Schema {
        pb::Schema {
            id: "urn:ietf:params:scim:schemas:extension:acme:2.0:User".into(),
            name: "Acme".into(),
            resource_type: pb::ResourceType::User as i32,
            attributes: vec![pb::AttributeDefinition {
                name: "badge".into(),
                r#type: pb::AttributeType::String as i32,
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    #[test]
    fn a_declared_schema_resolves_like_a_built_in_one() {
        let r = Registry::from_proto(&[acme()], true);
        let got = super::super::resolve(
            r.scope(ResourceKind::User),
            Some("URN:ietf:params:scim:schemas:extension:ACME:2.0:User"),
            "BADGE",
            None,
        );
        assert_eq!(
            got.map(|g| g.canonical).as_deref(),
            Some("urn:ietf:params:scim:schemas:extension:acme:2.0:User:badge")
        );
        assert!(super::super::resolve(r.scope(ResourceKind::Group), Some(&acme().id), "badge", None).is_none());
    }

    #[test]
    fn the_same_declaration_is_converted_once() {
        let (a, b) = (Registry::from_proto(&[acme()], true), Registry::from_proto(&[acme()], true));
        assert!(std::ptr::eq(a.custom[0].1, b.custom[0].1));
    }
}
