//! Discovery documents: `/Schemas` entries (RFC 7643 §7), `/ResourceTypes` entries (§6) and
//! `/ServiceProviderConfig` (§5), rendered from the static registry.

use serde_json::{Map, Value, json};

use super::{AttrType, AttributeDef, RESOURCE_TYPE, SCHEMA, SERVICE_PROVIDER_CONFIG, SchemaDef, Scope};

/// The JSON representation of one schema (RFC 7643 §7), with `meta.location` under `base`
/// (an absolute base URL such as `https://host/scim/v2`).
pub fn schema_json(s: &SchemaDef, base: &str) -> Value {
    let attributes: Vec<Value> = s.attributes.iter().map(attribute_json).collect();
    json!({
        "schemas": [SCHEMA],
        "id": s.id,
        "name": s.name,
        "description": s.description,
        "attributes": attributes,
        "meta": {
            "resourceType": "Schema",
            "location": format!("{}/Schemas/{}", trim(base), s.id),
        },
    })
}

/// One attribute with every characteristic (RFC 7643 §7); `canonicalValues` only when there
/// are some, `referenceTypes` only for references, `subAttributes` only for complex attributes.
fn attribute_json(a: &AttributeDef) -> Value {
    let mut m = Map::new();
    m.insert("name".into(), a.name.into());
    m.insert("type".into(), a.kind.as_str().into());
    m.insert("multiValued".into(), a.multi_valued.into());
    m.insert("description".into(), a.description.into());
    m.insert("required".into(), a.required.into());
    if !a.canonical_values.is_empty() {
        m.insert("canonicalValues".into(), a.canonical_values.into());
    }
    m.insert("caseExact".into(), a.case_exact.into());
    m.insert("mutability".into(), a.mutability.as_str().into());
    m.insert("returned".into(), a.returned.as_str().into());
    m.insert("uniqueness".into(), a.uniqueness.as_str().into());
    if a.kind == AttrType::Reference {
        m.insert("referenceTypes".into(), a.reference_types.into());
    }
    if a.kind == AttrType::Complex {
        let subs: Vec<Value> = a.sub_attributes.iter().map(attribute_json).collect();
        m.insert("subAttributes".into(), subs.into());
    }
    Value::Object(m)
}

/// The JSON representation of a resource type (RFC 7643 §6); its `id` equals its `name`.
pub fn resource_type_json<'a>(scope: impl Into<Scope<'a>>, base: &str) -> Value {
    let scope = scope.into();
    let kind = scope.kind;
    let extensions: Vec<Value> =
        scope.advertised_extensions().map(|s| json!({ "schema": s.id, "required": false })).collect();
    json!({
        "schemas": [RESOURCE_TYPE],
        "id": kind.name(),
        "name": kind.name(),
        "endpoint": kind.endpoint(),
        "description": kind.schema().description,
        "schema": kind.schema().id,
        "schemaExtensions": extensions,
        "meta": {
            "resourceType": "ResourceType",
            "location": format!("{}/ResourceTypes/{}", trim(base), kind.name()),
        },
    })
}

/// What this deployment (or tenant) supports, as advertised in `/ServiceProviderConfig`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Capabilities {
    /// PATCH (RFC 7644 §3.5.2).
    pub patch: bool,
    /// Bulk (RFC 7644 §3.7) as `(maxOperations, maxPayloadSize)`; `None` when unsupported.
    pub bulk: Option<(u32, u64)>,
    /// The most resources a filtered list returns in one page.
    pub filter_max_results: u32,
    /// `sortBy` / `sortOrder` (RFC 7644 §3.4.2.3).
    pub sort: bool,
    /// ETags and conditional requests (RFC 7644 §3.14).
    pub etag: bool,
    /// Changing `password` through PUT/PATCH.
    pub change_password: bool,
    /// Whether this tenant runs the strict interoperability profile.
    pub interop_profile_conformant: bool,
    /// An HTTP-addressable page documenting the service.
    pub documentation_uri: Option<String>,
}

/// The service provider configuration (RFC 7643 §5) with `meta.location` under `base`.
pub fn service_provider_config_json(c: &Capabilities, base: &str) -> Value {
    let Capabilities {
        patch,
        bulk,
        filter_max_results,
        sort,
        etag,
        change_password,
        interop_profile_conformant,
        documentation_uri,
    } = c;
    let (max_operations, max_payload_size) = bulk.unwrap_or((0, 0));
    let mut doc = json!({
        "schemas": [SERVICE_PROVIDER_CONFIG],
        "patch": { "supported": patch },
        "bulk": {
            "supported": bulk.is_some(),
            "maxOperations": max_operations,
            "maxPayloadSize": max_payload_size,
        },
        "filter": { "supported": true, "maxResults": filter_max_results },
        "changePassword": { "supported": change_password },
        "sort": { "supported": sort },
        "etag": { "supported": etag },
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "OAuth Bearer Token",
            "description": "Authentication with a bearer token issued by the operator \
                            (Authorization: Bearer <token>)",
            "specUri": "https://www.rfc-editor.org/info/rfc6750",
            "primary": true,
        }],
        "meta": {
            "resourceType": "ServiceProviderConfig",
            "location": format!("{}/ServiceProviderConfig", trim(base)),
        },
    });
    // draft-zollner-scim-interop-profile: advertised when true, absent when
    // not (strict RFC 7643 validators reject the unknown key).
    if let (true, Some(obj)) = (interop_profile_conformant, doc.as_object_mut()) {
        obj.insert("interopProfileConformant".into(), true.into());
    }
    if let (Some(uri), Some(obj)) = (documentation_uri, doc.as_object_mut()) {
        obj.insert("documentationUri".into(), uri.as_str().into());
    }
    doc
}

/// `base` without a trailing slash, so locations never contain `//`.
fn trim(base: &str) -> &str {
    base.trim_end_matches('/')
}

#[cfg(test)]
mod tests {
    use super::super::{COMMON, ENTERPRISE_USER_SCHEMA, GROUP, USER, USER_SCHEMA, all_schemas};
    use super::*;
    use crate::schema::ResourceKind;

    const BASE: &str = "https://host/scim/v2";

    /// Checks that `json` (a list of attribute objects) describes exactly `defs`.
    fn assert_attributes_match(json: &Value, defs: &[AttributeDef]) {
        let Some(list) = json.as_array() else {
            panic!("attributes is an array: {json}");
        };
        assert_eq!(list.len(), defs.len());
        for (j, d) in list.iter().zip(defs) {
            let name = d.name;
            assert_eq!(j["name"], name);
            assert_eq!(j["type"], d.kind.as_str(), "{name}");
            assert_eq!(j["multiValued"], d.multi_valued, "{name}");
            assert_eq!(j["description"], d.description, "{name}");
            assert_eq!(j["required"], d.required, "{name}");
            assert_eq!(j["caseExact"], d.case_exact, "{name}");
            assert_eq!(j["mutability"], d.mutability.as_str(), "{name}");
            assert_eq!(j["returned"], d.returned.as_str(), "{name}");
            assert_eq!(j["uniqueness"], d.uniqueness.as_str(), "{name}");
            if d.canonical_values.is_empty() {
                assert!(j.get("canonicalValues").is_none(), "{name}");
            } else {
                assert_eq!(j["canonicalValues"], json!(d.canonical_values), "{name}");
            }
            if d.kind == AttrType::Reference {
                assert_eq!(j["referenceTypes"], json!(d.reference_types), "{name}");
            } else {
                assert!(j.get("referenceTypes").is_none(), "{name}");
            }
            if d.kind == AttrType::Complex {
                assert_attributes_match(&j["subAttributes"], d.sub_attributes);
            } else {
                assert!(j.get("subAttributes").is_none(), "{name}");
            }
        }
    }

    #[test]
    fn schema_json_of_user_contains_every_attribute_with_all_characteristics() {
        let doc = schema_json(&USER, BASE);
        assert_eq!(doc["schemas"], json!([SCHEMA]));
        assert_eq!(doc["id"], USER_SCHEMA);
        assert_eq!(doc["name"], "User");
        assert_eq!(doc["meta"]["resourceType"], "Schema");
        assert_eq!(doc["meta"]["location"], format!("{BASE}/Schemas/{USER_SCHEMA}"));
        assert_attributes_match(&doc["attributes"], USER.attributes);
        let names: Vec<&str> =
            doc["attributes"].as_array().into_iter().flatten().filter_map(|a| a["name"].as_str()).collect();
        for expected in [
            "userName",
            "name",
            "displayName",
            "nickName",
            "profileUrl",
            "title",
            "userType",
            "preferredLanguage",
            "locale",
            "timezone",
            "active",
            "password",
            "emails",
            "phoneNumbers",
            "ims",
            "photos",
            "addresses",
            "groups",
            "entitlements",
            "roles",
            "x509Certificates",
        ] {
            assert!(names.contains(&expected), "{expected} missing");
        }
        for common in COMMON {
            assert!(!names.contains(&common.name), "{} is a common attribute", common.name);
        }
    }

    #[test]
    fn schema_json_spells_characteristics_as_rfc_7643_section_7() {
        let doc = schema_json(&USER, BASE);
        let attrs = &doc["attributes"];
        let by_name =
            |n: &str| attrs.as_array().and_then(|l| l.iter().find(|a| a["name"] == n)).cloned().unwrap_or(Value::Null);
        let password = by_name("password");
        assert_eq!(password["mutability"], "writeOnly");
        assert_eq!(password["returned"], "never");
        let user_name = by_name("userName");
        assert_eq!(user_name["uniqueness"], "server");
        assert_eq!(user_name["required"], true);
        assert_eq!(by_name("groups")["mutability"], "readOnly");
        assert_eq!(by_name("profileUrl")["referenceTypes"], json!(["external"]));
        let x509 = by_name("x509Certificates");
        assert_eq!(x509["subAttributes"][0]["type"], "binary");
    }

    #[test]
    fn every_schema_renders_all_its_attributes() {
        for s in all_schemas() {
            let doc = schema_json(s, &format!("{BASE}/"));
            assert_attributes_match(&doc["attributes"], s.attributes);
            assert_eq!(doc["meta"]["location"], format!("{BASE}/Schemas/{}", s.id));
        }
        let group = schema_json(&GROUP, BASE);
        assert_eq!(group["attributes"][0]["name"], "displayName");
        assert_eq!(group["attributes"][0]["required"], true);
    }

    #[test]
    fn every_type_sub_attribute_of_user_contact_attributes_has_canonical_values() {
        for parent in ["emails", "phoneNumbers", "ims", "photos", "addresses"] {
            let Some(attr) = USER.attribute(parent) else {
                panic!("{parent} is defined");
            };
            let ty = attr.sub_attribute("type");
            assert!(ty.is_some_and(|t| !t.canonical_values.is_empty()), "{parent}.type has canonicalValues");
        }
        let emails = USER.attribute("emails").and_then(|a| a.sub_attribute("type"));
        assert_eq!(emails.map(|t| t.canonical_values), Some(&["work", "home", "other"][..]));
    }

    #[test]
    fn resource_type_id_equals_name() {
        for kind in ResourceKind::ALL {
            let doc = resource_type_json(kind, BASE);
            assert_eq!(doc["id"], doc["name"]);
            assert_eq!(doc["id"], kind.name());
            assert_eq!(doc["schemas"], json!([RESOURCE_TYPE]));
            assert_eq!(doc["endpoint"], kind.endpoint());
            assert_eq!(doc["schema"], kind.schema().id);
            assert_eq!(doc["meta"]["resourceType"], "ResourceType");
            let location = format!("{BASE}/ResourceTypes/{}", kind.name());
            assert_eq!(doc["meta"]["location"], location);
        }
    }

    #[test]
    fn the_user_resource_type_lists_the_optional_enterprise_extension() {
        let doc = resource_type_json(ResourceKind::User, BASE);
        let want = json!([{ "schema": ENTERPRISE_USER_SCHEMA, "required": false }]);
        assert_eq!(doc["schemaExtensions"], want);
        let doc = resource_type_json(ResourceKind::Group, BASE);
        assert_eq!(
            doc["schemaExtensions"],
            json!([{ "schema": super::super::GROUP_MEMBERS_EXTENSION, "required": false }])
        );
    }

    fn capabilities() -> Capabilities {
        Capabilities {
            patch: true,
            bulk: None,
            filter_max_results: 200,
            sort: true,
            etag: true,
            change_password: false,
            interop_profile_conformant: false,
            documentation_uri: None,
        }
    }

    #[test]
    fn service_provider_config_reports_zeros_for_unsupported_bulk() {
        let doc = service_provider_config_json(&capabilities(), BASE);
        assert_eq!(doc["schemas"], json!([SERVICE_PROVIDER_CONFIG]));
        assert_eq!(doc["bulk"], json!({ "supported": false, "maxOperations": 0, "maxPayloadSize": 0 }));
        assert_eq!(doc["filter"], json!({ "supported": true, "maxResults": 200 }));
        assert_eq!(doc["patch"]["supported"], true);
        assert_eq!(doc["changePassword"]["supported"], false);
        assert!(doc.get("interopProfileConformant").is_none());
        assert!(doc.get("documentationUri").is_none());
        assert_eq!(doc["authenticationSchemes"][0]["type"], "oauthbearertoken");
        assert_eq!(doc["authenticationSchemes"][0]["primary"], true);
        assert_eq!(doc["meta"]["resourceType"], "ServiceProviderConfig");
        assert_eq!(doc["meta"]["location"], format!("{BASE}/ServiceProviderConfig"));
    }

    #[test]
    fn service_provider_config_reports_bulk_limits_and_the_interop_profile() {
        let c = Capabilities {
            bulk: Some((1000, 1_048_576)),
            interop_profile_conformant: true,
            documentation_uri: Some("https://docs.example.com/scim".to_owned()),
            ..capabilities()
        };
        let doc = service_provider_config_json(&c, BASE);
        assert_eq!(doc["bulk"], json!({ "supported": true, "maxOperations": 1000, "maxPayloadSize": 1_048_576 }));
        assert_eq!(doc["interopProfileConformant"], true);
        assert_eq!(doc["documentationUri"], "https://docs.example.com/scim");
    }
}
