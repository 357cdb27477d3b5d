//! Case-insensitive resolution of attribute paths to definitions (RFC 7643 §2.1, RFC 7644
//! §3.10), producing the canonical spelling that filters, sorting and PATCH work with.

use super::{AttrType, AttributeDef, COMMON, SchemaDef, Scope, find_attr};

/// A resolved attribute: the definition(s) and the canonical path string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolved {
    /// The schema the attribute belongs to; for the common attributes (`id`, `externalId`,
    /// `meta`) the resource type's core schema.
    pub schema: &'static SchemaDef,
    /// The top-level attribute.
    pub attr: &'static AttributeDef,
    /// The sub-attribute, for paths like `name.familyName`.
    pub sub: Option<&'static AttributeDef>,
    /// `"userName"`, `"name.familyName"`, `"meta.lastModified"`, or for extension attributes
    /// `"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value"`.
    pub canonical: String,
}

impl Resolved {
    /// The innermost definition: the sub-attribute if there is one, else the attribute.
    pub fn def(&self) -> &'static AttributeDef {
        self.sub.unwrap_or(self.attr)
    }

    /// Whether this is one of the common attributes `id`, `externalId`, `meta` (RFC 7643 §3.1).
    pub fn is_common(&self) -> bool {
        COMMON.iter().any(|c| std::ptr::eq(c, self.attr))
    }

    /// Whether the attribute belongs to a schema extension rather than the core schema.
    pub fn is_extension(&self) -> bool {
        self.canonical.starts_with("urn:")
    }
}

/// Case-insensitive lookup. `urn`: optional schema URN (must be one of the resource's schemas,
/// case-insensitive); `name`; optional sub-attribute.
///
/// Core attributes qualified with the core URN resolve to the unqualified canonical name; so do
/// the common attributes. Extension attributes must be qualified with their extension's URN.
pub fn resolve<'a>(scope: impl Into<Scope<'a>>, urn: Option<&str>, name: &str, sub: Option<&str>) -> Option<Resolved> {
    let scope = scope.into();
    let core = scope.kind.schema();
    let schema = match urn {
        None => core,
        Some(urn) => scope.schemas().find(|s| s.id.eq_ignore_ascii_case(urn))?,
    };
    let is_core = std::ptr::eq(schema, core);
    let attr = if is_core {
        find_attr(COMMON, name).or_else(|| find_attr(schema.attributes, name))?
    } else {
        find_attr(schema.attributes, name)?
    };
    let canonical = if is_core { attr.name.to_owned() } else { format!("{}:{}", schema.id, attr.name) };
    let parent = Resolved { schema, attr, sub: None, canonical };
    match sub {
        None => Some(parent),
        Some(sub) => resolve_sub(&parent, sub),
    }
}

/// Resolve a sub-attribute of a complex attribute relative to it, for value filters such as
/// `emails[type eq "work"]`: `emails` + `type` gives canonical `"emails.type"`.
///
/// `None` when the parent is not complex, already names a sub-attribute, or has no such
/// sub-attribute.
pub fn resolve_sub(parent: &Resolved, name: &str) -> Option<Resolved> {
    if parent.sub.is_some() || parent.attr.kind != AttrType::Complex {
        return None;
    }
    let sub = parent.attr.sub_attribute(name)?;
    Some(Resolved {
        schema: parent.schema,
        attr: parent.attr,
        sub: Some(sub),
        canonical: format!("{}.{}", parent.canonical, sub.name),
    })
}

/// Resolve a whole attribute path as it appears in `attributes=`, `sortBy` or a PATCH `path`
/// without a value filter: `userName`, `name.familyName`, or URN-qualified
/// `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value`.
pub fn resolve_path<'a>(scope: impl Into<Scope<'a>>, path: &str) -> Option<Resolved> {
    let scope = scope.into();
    let (urn, rest) = split_urn(scope, path)?;
    let (name, sub) = match rest.split_once('.') {
        Some((name, sub)) => (name, Some(sub)),
        None => (rest, None),
    };
    resolve(scope, urn, name, sub)
}

/// Split a leading schema URN of `kind` (matched case-insensitively, since URNs contain dots)
/// from the attribute part. `None` for an unknown URN or a bare URN with no attribute.
fn split_urn<'p>(scope: Scope<'_>, path: &'p str) -> Option<(Option<&'p str>, &'p str)> {
    let is_urn = path.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("urn:"));
    if !is_urn {
        return Some((None, path));
    }
    scope.schemas().find_map(|s| {
        let (urn, rest) = (path.get(..s.id.len())?, path.get(s.id.len()..)?);
        let attr = rest.strip_prefix(':')?;
        (urn.eq_ignore_ascii_case(s.id) && !attr.is_empty()).then_some((Some(urn), attr))
    })
}

#[cfg(test)]
mod tests {
    use super::super::{ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, Mutability, ResourceKind, USER_SCHEMA};
    use super::*;

    fn canonical(r: Option<Resolved>) -> Option<String> {
        r.map(|r| r.canonical)
    }

    #[test]
    fn resolve_ignores_the_case_of_attribute_names() {
        let r = resolve(ResourceKind::User, None, "USERNAME", None);
        assert_eq!(canonical(r), Some("userName".to_owned()));
    }

    #[test]
    fn resolve_ignores_the_case_of_sub_attribute_names() {
        let r = resolve(ResourceKind::User, None, "name", Some("FamilyName"));
        assert_eq!(canonical(r), Some("name.familyName".to_owned()));
    }

    #[test]
    fn core_attributes_qualified_with_the_core_urn_resolve_unqualified() {
        let urn = USER_SCHEMA.to_uppercase();
        let r = resolve(ResourceKind::User, Some(&urn), "username", None);
        assert_eq!(canonical(r), Some("userName".to_owned()));
        let r = resolve(ResourceKind::User, Some(USER_SCHEMA), "emails", Some("VALUE"));
        assert_eq!(canonical(r), Some("emails.value".to_owned()));
    }

    #[test]
    fn enterprise_attributes_resolve_with_the_full_urn() {
        let urn = ENTERPRISE_USER_SCHEMA.to_lowercase();
        let r = resolve(ResourceKind::User, Some(&urn), "DEPARTMENT", None);
        let want = format!("{ENTERPRISE_USER_SCHEMA}:department");
        assert_eq!(canonical(r), Some(want));
        let r = resolve(ResourceKind::User, Some(&urn), "manager", Some("Value"));
        let want = format!("{ENTERPRISE_USER_SCHEMA}:manager.value");
        assert_eq!(canonical(r), Some(want));
    }

    #[test]
    fn an_enterprise_attribute_qualified_with_the_core_urn_is_unknown() {
        assert!(resolve(ResourceKind::User, Some(USER_SCHEMA), "department", None).is_none());
        assert!(resolve(ResourceKind::User, None, "department", None).is_none());
    }

    #[test]
    fn common_attributes_resolve_for_every_resource_type() {
        for kind in ResourceKind::ALL {
            let r = resolve(kind, None, "meta", Some("LASTMODIFIED"));
            assert_eq!(canonical(r), Some("meta.lastModified".to_owned()));
            let id = resolve(kind, None, "ID", None);
            assert!(id.as_ref().is_some_and(|r| r.is_common() && r.attr.case_exact));
            assert_eq!(canonical(id), Some("id".to_owned()));
            let r = resolve(kind, None, "externalid", None);
            assert!(r.is_some_and(|r| r.attr.case_exact && r.schema.id == kind.schema().id));
        }
    }

    #[test]
    fn unknown_attributes_and_schemas_do_not_resolve() {
        assert!(resolve(ResourceKind::User, None, "nope", None).is_none());
        assert!(resolve(ResourceKind::User, None, "name", Some("nope")).is_none());
        assert!(resolve(ResourceKind::User, None, "userName", Some("value")).is_none());
        assert!(resolve(ResourceKind::User, Some(GROUP_SCHEMA), "displayName", None).is_none());
        assert!(resolve(ResourceKind::Group, Some(ENTERPRISE_USER_SCHEMA), "division", None).is_none());
        assert!(resolve(ResourceKind::Group, None, "userName", None).is_none());
    }

    #[test]
    fn resolve_sub_resolves_relative_to_a_multi_valued_parent() {
        let Some(emails) = resolve(ResourceKind::User, None, "EMAILS", None) else {
            panic!("emails resolves");
        };
        let r = resolve_sub(&emails, "Type");
        assert_eq!(r.as_ref().map(|r| r.canonical.as_str()), Some("emails.type"));
        assert_eq!(r.map(|r| r.def().canonical_values.len()), Some(3));
        assert!(resolve_sub(&emails, "nope").is_none());
    }

    #[test]
    fn resolve_sub_keeps_the_extension_urn_and_rejects_simple_parents() {
        let Some(manager) = resolve(ResourceKind::User, Some(ENTERPRISE_USER_SCHEMA), "manager", None) else {
            panic!("manager resolves");
        };
        let r = resolve_sub(&manager, "displayname");
        assert!(r.as_ref().is_some_and(|r| r.is_extension()));
        assert_eq!(r.as_ref().map(|r| r.def().mutability), Some(Mutability::ReadOnly));
        assert_eq!(canonical(r), Some(format!("{ENTERPRISE_USER_SCHEMA}:manager.displayName")));
        let Some(user_name) = resolve(ResourceKind::User, None, "userName", None) else {
            panic!("userName resolves");
        };
        assert!(resolve_sub(&user_name, "value").is_none());
        let Some(given) = resolve(ResourceKind::User, None, "name", Some("givenName")) else {
            panic!("name.givenName resolves");
        };
        assert!(resolve_sub(&given, "value").is_none());
    }

    #[test]
    fn group_members_resolve_with_their_characteristics() {
        let r = resolve(ResourceKind::Group, None, "members", Some("value"));
        assert_eq!(r.as_ref().map(|r| r.def().mutability), Some(Mutability::Immutable));
        assert_eq!(canonical(r), Some("members.value".to_owned()));
        let r = resolve(ResourceKind::Group, None, "displayname", None);
        assert!(r.is_some_and(|r| r.attr.required && !r.attr.case_exact));
    }

    #[test]
    fn resolve_path_splits_urns_and_sub_attributes() {
        let path = "URN:ietf:params:scim:schemas:extension:enterprise:2.0:User:Manager.Value";
        let want = format!("{ENTERPRISE_USER_SCHEMA}:manager.value");
        assert_eq!(canonical(resolve_path(ResourceKind::User, path)), Some(want));
        let path = "urn:ietf:params:scim:schemas:core:2.0:User:name.givenName";
        let r = resolve_path(ResourceKind::User, path);
        assert_eq!(canonical(r), Some("name.givenName".to_owned()));
        let r = resolve_path(ResourceKind::User, "meta.created");
        assert_eq!(canonical(r), Some("meta.created".to_owned()));
    }

    #[test]
    fn resolve_path_rejects_unknown_urns_bare_urns_and_deep_paths() {
        let k = ResourceKind::User;
        assert!(resolve_path(k, ENTERPRISE_USER_SCHEMA).is_none());
        assert!(resolve_path(k, &format!("{ENTERPRISE_USER_SCHEMA}:")).is_none());
        assert!(resolve_path(k, "urn:example:custom:1.0:User:department").is_none());
        assert!(resolve_path(k, "name.familyName.x").is_none());
        assert!(resolve_path(k, "urn:ietf:params:scim:schemas:core:2.0:Group:displayName").is_none());
        assert!(resolve_path(k, "").is_none());
        assert!(resolve_path(k, "ürn:é").is_none());
    }
}
