//! The schema registry: RFC 7643 attribute definitions that drive discovery, filters and validation.
//!
//! Everything here is static data: the core User schema (RFC 7643 §4.1), the Enterprise User
//! extension (§4.3), the Group schema (§4.2), the common attributes `id`, `externalId` and `meta`
//! (§3.1), plus a case-insensitive resolver for attribute paths and the discovery documents
//! (`/Schemas`, `/ResourceTypes`, `/ServiceProviderConfig`).

mod common;
mod discovery;
mod enterprise;
mod group;
mod group_members;
mod resolve;
mod tenant;
mod user;
mod user_multi;

pub use common::COMMON;
pub use discovery::{Capabilities, resource_type_json, schema_json, service_provider_config_json};
pub use enterprise::ENTERPRISE_USER;
pub use group::GROUP;
pub use group_members::{GROUP_MEMBER, GROUP_MEMBER_SCHEMA, GROUP_MEMBERS, GROUP_MEMBERS_EXTENSION};
pub use resolve::{Resolved, resolve, resolve_path, resolve_sub};
pub use tenant::{Registry, Scope};
pub use user::USER;

/// Schema URN of the core User resource (RFC 7643 §4.1).
pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
/// Schema URN of the Enterprise User extension (RFC 7643 §4.3).
pub const ENTERPRISE_USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
/// Schema URN of the core Group resource (RFC 7643 §4.2).
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
/// Schema URN of the ServiceProviderConfig resource (RFC 7643 §5).
pub const SERVICE_PROVIDER_CONFIG: &str = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";
/// Schema URN of a ResourceType resource (RFC 7643 §6).
pub const RESOURCE_TYPE: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
/// Schema URN of a Schema resource (RFC 7643 §7).
pub const SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";
/// Message URN of a list response (RFC 7644 §3.4.2).
pub const LIST_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
/// Message URN of an error response (RFC 7644 §3.12).
pub const ERROR: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
/// Message URN of a PATCH request body (RFC 7644 §3.5.2).
pub const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
/// Message URN of a `POST .search` request body (RFC 7644 §3.4.3).
pub const SEARCH_REQUEST: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";
/// Message URN of a bulk request body (RFC 7644 §3.7).
pub const BULK_REQUEST: &str = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";
/// Message URN of a bulk response body (RFC 7644 §3.7).
pub const BULK_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:BulkResponse";

/// An attribute's data type (RFC 7643 §2.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AttrType {
    String,
    Boolean,
    Decimal,
    Integer,
    DateTime,
    Binary,
    Reference,
    Complex,
}

impl AttrType {
    /// The `type` value as spelled in a schema representation (RFC 7643 §7).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::String => "string",
            Self::Boolean => "boolean",
            Self::Decimal => "decimal",
            Self::Integer => "integer",
            Self::DateTime => "dateTime",
            Self::Binary => "binary",
            Self::Reference => "reference",
            Self::Complex => "complex",
        }
    }
}

/// Whether and how an attribute can be written (RFC 7643 §7 `mutability`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mutability {
    ReadOnly,
    ReadWrite,
    Immutable,
    WriteOnly,
}

impl Mutability {
    /// The `mutability` value as spelled in a schema representation (RFC 7643 §7).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::ReadOnly => "readOnly",
            Self::ReadWrite => "readWrite",
            Self::Immutable => "immutable",
            Self::WriteOnly => "writeOnly",
        }
    }
}

/// When an attribute appears in responses (RFC 7643 §7 `returned`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Returned {
    Always,
    Never,
    Default,
    Request,
}

impl Returned {
    /// The `returned` value as spelled in a schema representation (RFC 7643 §7).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Always => "always",
            Self::Never => "never",
            Self::Default => "default",
            Self::Request => "request",
        }
    }
}

/// The scope in which an attribute's values must be unique (RFC 7643 §7 `uniqueness`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Uniqueness {
    None,
    Server,
    Global,
}

impl Uniqueness {
    /// The `uniqueness` value as spelled in a schema representation (RFC 7643 §7).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Server => "server",
            Self::Global => "global",
        }
    }
}

/// One attribute definition with its characteristics (RFC 7643 §2.2, §7).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AttributeDef {
    pub name: &'static str,
    pub kind: AttrType,
    pub multi_valued: bool,
    pub required: bool,
    pub case_exact: bool,
    pub mutability: Mutability,
    pub returned: Returned,
    pub uniqueness: Uniqueness,
    pub canonical_values: &'static [&'static str],
    pub reference_types: &'static [&'static str],
    pub sub_attributes: &'static [AttributeDef],
    pub description: &'static str,
}

impl AttributeDef {
    /// The sub-attribute called `name` (case-insensitive), if this is a complex attribute.
    pub fn sub_attribute(&self, name: &str) -> Option<&'static AttributeDef> {
        find_attr(self.sub_attributes, name)
    }

    /// A singular, optional, readWrite attribute of `kind` with the RFC 7643 §2.2 defaults.
    const fn new(name: &'static str, kind: AttrType, description: &'static str) -> Self {
        Self {
            name,
            kind,
            multi_valued: false,
            required: false,
            case_exact: false,
            mutability: Mutability::ReadWrite,
            returned: Returned::Default,
            uniqueness: Uniqueness::None,
            canonical_values: &[],
            reference_types: &[],
            sub_attributes: &[],
            description,
        }
    }

    const fn string(name: &'static str, description: &'static str) -> Self {
        Self::new(name, AttrType::String, description)
    }

    const fn boolean(name: &'static str, description: &'static str) -> Self {
        Self::new(name, AttrType::Boolean, description)
    }

    const fn reference(
        name: &'static str,
        reference_types: &'static [&'static str],
        description: &'static str,
    ) -> Self {
        let mut a = Self::new(name, AttrType::Reference, description);
        a.reference_types = reference_types;
        a
    }

    const fn complex(name: &'static str, sub_attributes: &'static [AttributeDef], description: &'static str) -> Self {
        let mut a = Self::new(name, AttrType::Complex, description);
        a.sub_attributes = sub_attributes;
        a
    }

    const fn of_kind(mut self, kind: AttrType) -> Self {
        self.kind = kind;
        self
    }

    const fn multi(mut self) -> Self {
        self.multi_valued = true;
        self
    }

    const fn mandatory(mut self) -> Self {
        self.required = true;
        self
    }

    const fn exact(mut self) -> Self {
        self.case_exact = true;
        self
    }

    const fn mutable(mut self, mutability: Mutability) -> Self {
        self.mutability = mutability;
        self
    }

    const fn read_only(self) -> Self {
        self.mutable(Mutability::ReadOnly)
    }

    const fn returned_when(mut self, returned: Returned) -> Self {
        self.returned = returned;
        self
    }

    const fn unique(mut self, uniqueness: Uniqueness) -> Self {
        self.uniqueness = uniqueness;
        self
    }

    const fn canonical(mut self, values: &'static [&'static str]) -> Self {
        self.canonical_values = values;
        self
    }
}

/// A schema: its URN, name and top-level attributes (RFC 7643 §7).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SchemaDef {
    pub id: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    pub attributes: &'static [AttributeDef],
}

impl SchemaDef {
    /// The top-level attribute called `name` (case-insensitive). Common attributes are not
    /// part of any schema: use [`resolve`] to include them.
    pub fn attribute(&self, name: &str) -> Option<&'static AttributeDef> {
        find_attr(self.attributes, name)
    }
}

/// Case-insensitive lookup of an attribute by name in a static list.
fn find_attr(attrs: &'static [AttributeDef], name: &str) -> Option<&'static AttributeDef> {
    attrs.iter().find(|a| a.name.eq_ignore_ascii_case(name))
}

/// The resource types this server exposes (RFC 7643 §6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ResourceKind {
    User,
    Group,
    /// A direct membership (draft-zollner-scim-group-members).
    GroupMember,
}

static USER_EXTENSIONS: [&SchemaDef; 1] = [&ENTERPRISE_USER];
static GROUP_EXTENSIONS: [&SchemaDef; 1] = [&GROUP_MEMBERS];

impl ResourceKind {
    /// Every resource type, in discovery order.
    pub const ALL: [ResourceKind; 3] = [ResourceKind::User, ResourceKind::Group, ResourceKind::GroupMember];

    /// The resource type's `name` (and `id`): `"User"` or `"Group"`.
    pub const fn name(self) -> &'static str {
        match self {
            Self::User => "User",
            Self::Group => "Group",
            Self::GroupMember => "GroupMember",
        }
    }

    /// The endpoint relative to the base URL: `"/Users"` or `"/Groups"`.
    pub const fn endpoint(self) -> &'static str {
        match self {
            Self::User => "/Users",
            Self::Group => "/Groups",
            Self::GroupMember => "/GroupMembers",
        }
    }

    /// The resource type's core schema.
    pub fn schema(self) -> &'static SchemaDef {
        match self {
            Self::User => &USER,
            Self::Group => &GROUP,
            Self::GroupMember => &GROUP_MEMBER,
        }
    }

    /// The schema extensions this resource type accepts (all optional).
    pub fn extensions(self) -> &'static [&'static SchemaDef] {
        match self {
            Self::User => &USER_EXTENSIONS,
            Self::Group => &GROUP_EXTENSIONS,
            Self::GroupMember => &[],
        }
    }

    /// The core schema followed by the extensions.
    pub fn schemas(self) -> impl Iterator<Item = &'static SchemaDef> {
        std::iter::once(self.schema()).chain(self.extensions().iter().copied())
    }

    /// The resource type whose name (`"User"`, `"Group"`) matches, case-insensitively.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name().eq_ignore_ascii_case(name))
    }
}

/// Every schema this server publishes under `/Schemas`, in discovery order.
pub fn all_schemas() -> [&'static SchemaDef; 5] {
    [&USER, &ENTERPRISE_USER, &GROUP, &GROUP_MEMBERS, &GROUP_MEMBER]
}

/// The published schema with this URN (case-insensitive).
pub fn find_schema(id: &str) -> Option<&'static SchemaDef> {
    all_schemas().into_iter().find(|s| s.id.eq_ignore_ascii_case(id))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_unique_names(owner: &str, attrs: &[AttributeDef]) {
        for (i, a) in attrs.iter().enumerate() {
            assert!(
                !attrs[..i].iter().any(|b| b.name.eq_ignore_ascii_case(a.name)),
                "{owner}: duplicate attribute {}",
                a.name
            );
            assert_eq!(
                a.kind == AttrType::Complex,
                !a.sub_attributes.is_empty(),
                "{owner}: {} has sub-attributes iff complex",
                a.name
            );
            assert_eq!(
                a.kind == AttrType::Reference,
                !a.reference_types.is_empty(),
                "{owner}: {} has referenceTypes iff reference",
                a.name
            );
            assert_unique_names(a.name, a.sub_attributes);
        }
    }

    #[test]
    fn attribute_names_are_unique_and_well_formed_in_every_schema() {
        for s in all_schemas() {
            assert_unique_names(s.id, s.attributes);
        }
        assert_unique_names("common", COMMON);
    }

    #[test]
    fn common_attributes_do_not_collide_with_core_attributes() {
        for kind in ResourceKind::ALL {
            for c in COMMON {
                assert!(kind.schema().attribute(c.name).is_none(), "{}", c.name);
            }
        }
    }

    #[test]
    fn schema_urn_constants_match_the_definitions() {
        assert_eq!(USER.id, USER_SCHEMA);
        assert_eq!(ENTERPRISE_USER.id, ENTERPRISE_USER_SCHEMA);
        assert_eq!(GROUP.id, GROUP_SCHEMA);
    }

    #[test]
    fn find_schema_ignores_case() {
        let found = find_schema("URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER");
        assert_eq!(found.map(|s| s.id), Some(ENTERPRISE_USER_SCHEMA));
        assert!(find_schema("urn:ietf:params:scim:schemas:core:2.0:Device").is_none());
    }

    #[test]
    fn resource_kinds_know_their_schemas_and_extensions() {
        assert_eq!(ResourceKind::User.schema().id, USER_SCHEMA);
        assert_eq!(ResourceKind::User.extensions().len(), 1);
        assert_eq!(ResourceKind::User.extensions()[0].id, ENTERPRISE_USER_SCHEMA);
        assert_eq!(ResourceKind::Group.schema().id, GROUP_SCHEMA);
        assert_eq!(ResourceKind::Group.extensions()[0].id, GROUP_MEMBERS_EXTENSION);
        assert_eq!(ResourceKind::GroupMember.endpoint(), "/GroupMembers");
        assert!(ResourceKind::GroupMember.extensions().is_empty());
        assert_eq!(ResourceKind::from_name("group"), Some(ResourceKind::Group));
        assert_eq!(ResourceKind::Group.endpoint(), "/Groups");
    }

    #[test]
    fn only_password_is_write_only_and_never_returned() {
        let never: Vec<_> = USER
            .attributes
            .iter()
            .filter(|a| a.returned == Returned::Never || a.mutability == Mutability::WriteOnly)
            .map(|a| a.name)
            .collect();
        assert_eq!(never, ["password"]);
    }
}
