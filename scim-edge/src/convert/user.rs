//! User: SCIM JSON (RFC 7643 §4.1 + §4.3) <-> `identity.v1.User`.

use proto::v1::{Address, EnterpriseUser, GroupRef, Manager, MultiValue, Name, User};
use serde_json::{Map, Value, json};

use super::json::{array, as_bool, boolean, get, kind, object, put, string};
use super::{etag, rfc3339};
use crate::error::{ScimError, ScimResult};
use crate::schema::{ENTERPRISE_USER_SCHEMA, Scope, USER_SCHEMA};

/// A user as sent by a client, and its write-only password (never stored
/// by this version, never returned, never logged).
pub struct IncomingUser {
    pub user: User,
    pub password: Option<String>,
}

/// Reads a SCIM User body (POST, PUT, or the result of a PATCH). Read-only
/// attributes (`id`, `meta`, `groups`) are ignored. Absent `active` stays
/// absent (identity-core makes a new user active).
pub fn from_scim(scope: Scope<'_>, body: &Value) -> ScimResult<IncomingUser> {
    let obj = body.as_object().ok_or_else(|| ScimError::invalid_syntax("a User must be a JSON object"))?;
    let user_name = string(obj, "userName")?.filter(|s| !s.trim().is_empty());
    let user_name = user_name.ok_or_else(|| ScimError::invalid_value("userName is required"))?;
    let name = object(obj, "name")?.map(name_from).transpose()?;
    let enterprise = enterprise_from(obj)?;
    let user = User {
        id: String::new(),
        external_id: string(obj, "externalId")?,
        user_name,
        name: name.filter(|n| *n != Name::default()),
        display_name: string(obj, "displayName")?,
        nick_name: string(obj, "nickName")?,
        profile_url: string(obj, "profileUrl")?,
        title: string(obj, "title")?,
        user_type: string(obj, "userType")?,
        preferred_language: string(obj, "preferredLanguage")?,
        locale: string(obj, "locale")?,
        timezone: string(obj, "timezone")?,
        active: boolean(obj, "active")?,
        emails: multi(obj, "emails")?,
        phone_numbers: multi(obj, "phoneNumbers")?,
        ims: multi(obj, "ims")?,
        photos: multi(obj, "photos")?,
        addresses: addresses(obj)?,
        groups: Vec::new(),
        entitlements: multi(obj, "entitlements")?,
        roles: multi(obj, "roles")?,
        x509_certificates: multi(obj, "x509Certificates")?,
        enterprise,
        meta: None,
        extensions: super::extensions_from(scope, obj)?,
    };
    Ok(IncomingUser { user, password: string(obj, "password")? })
}

fn name_from(n: &Map<String, Value>) -> ScimResult<Name> {
    Ok(Name {
        formatted: string(n, "formatted")?,
        family_name: string(n, "familyName")?,
        given_name: string(n, "givenName")?,
        middle_name: string(n, "middleName")?,
        honorific_prefix: string(n, "honorificPrefix")?,
        honorific_suffix: string(n, "honorificSuffix")?,
    })
}

/// Elements of a multi-valued attribute with value/type/display/primary.
/// A bare string element is taken as its value.
fn multi(obj: &Map<String, Value>, key: &str) -> ScimResult<Vec<MultiValue>> {
    let mut out = Vec::new();
    for el in array(obj, key)? {
        let mv = match el {
            Value::String(s) => MultiValue { value: s.clone(), ..Default::default() },
            Value::Object(o) => MultiValue {
                value: match get(o, "value") {
                    None => String::new(),
                    Some(Value::String(s)) => s.clone(),
                    Some(v @ (Value::Number(_) | Value::Bool(_))) => v.to_string(),
                    Some(v) => {
                        return Err(ScimError::invalid_value(format!("{key}.value must be a string, not {}", kind(v))));
                    }
                },
                r#type: string(o, "type")?,
                display: string(o, "display")?,
                primary: primary(o, key)?,
            },
            other => {
                return Err(ScimError::invalid_value(format!(
                    "elements of {key} must be objects, not {}",
                    kind(other)
                )));
            }
        };
        if mv.value.is_empty() && mv.display.is_none() {
            continue;
        }
        out.push(mv);
    }
    single_primary(key, out.iter().filter(|m| m.primary).count())?;
    Ok(out)
}

fn primary(o: &Map<String, Value>, key: &str) -> ScimResult<bool> {
    match get(o, "primary") {
        None => Ok(false),
        Some(v) => as_bool(v).ok_or_else(|| ScimError::invalid_value(format!("{key}.primary must be a boolean"))),
    }
}

/// RFC 7643 §2.4: at most one element of a collection is primary.
fn single_primary(key: &str, count: usize) -> ScimResult<()> {
    if count > 1 {
        return Err(ScimError::invalid_value(format!("only one element of {key} may be primary")));
    }
    Ok(())
}

fn addresses(obj: &Map<String, Value>) -> ScimResult<Vec<Address>> {
    let mut out = Vec::new();
    for el in array(obj, "addresses")? {
        let o = el.as_object().ok_or_else(|| ScimError::invalid_value("elements of addresses must be objects"))?;
        out.push(Address {
            formatted: string(o, "formatted")?,
            street_address: string(o, "streetAddress")?,
            locality: string(o, "locality")?,
            region: string(o, "region")?,
            postal_code: string(o, "postalCode")?,
            country: string(o, "country")?,
            r#type: string(o, "type")?,
            primary: primary(o, "addresses")?,
        });
    }
    single_primary("addresses", out.iter().filter(|a| a.primary).count())?;
    Ok(out)
}

/// The enterprise extension object (keyed by its URN, any case). Entra may
/// send `manager` as a bare id or a one-element array.
fn enterprise_from(obj: &Map<String, Value>) -> ScimResult<Option<EnterpriseUser>> {
    let Some(ext) = object(obj, ENTERPRISE_USER_SCHEMA)? else {
        return Ok(None);
    };
    let manager = match get(ext, "manager") {
        None => None,
        Some(Value::String(id)) => Some(Manager { value: Some(id.clone()), display_name: None }),
        Some(Value::Array(a)) if a.len() <= 1 => match a.first() {
            Some(Value::Object(m)) => Some(manager_from(m)?),
            Some(Value::String(id)) => Some(Manager { value: Some(id.clone()), display_name: None }),
            None => None,
            Some(other) => {
                return Err(ScimError::invalid_value(format!("manager must be an object, not {}", kind(other))));
            }
        },
        Some(Value::Object(m)) => Some(manager_from(m)?),
        Some(other) => {
            return Err(ScimError::invalid_value(format!("manager must be an object, not {}", kind(other))));
        }
    };
    let e = EnterpriseUser {
        employee_number: string(ext, "employeeNumber")?,
        cost_center: string(ext, "costCenter")?,
        organization: string(ext, "organization")?,
        division: string(ext, "division")?,
        department: string(ext, "department")?,
        manager: manager.filter(|m| m.value.is_some()),
    };
    Ok((e != EnterpriseUser::default()).then_some(e))
}

fn manager_from(m: &Map<String, Value>) -> ScimResult<Manager> {
    // displayName is read-only (RFC 7643 §4.3): kept only as sent by the
    // provisioning client.
    Ok(Manager { value: string(m, "value")?, display_name: string(m, "displayName")? })
}

/// Renders a stored user as SCIM JSON; `base` is the SCIM base URL.
pub fn to_scim(u: &User, base: &str) -> Value {
    let User {
        id,
        external_id,
        user_name,
        name,
        display_name,
        nick_name,
        profile_url,
        title,
        user_type,
        preferred_language,
        locale,
        timezone,
        active,
        emails,
        phone_numbers,
        ims,
        photos,
        addresses,
        groups,
        entitlements,
        roles,
        x509_certificates,
        enterprise,
        meta,
        extensions,
    } = u;
    let mut schemas = vec![json!(USER_SCHEMA)];
    let mut o = Map::new();
    // `schemas` first, as RFC 7643 shows resources (filled in at the end;
    // the map keeps insertion order).
    o.insert("schemas".into(), Value::Null);
    o.insert("id".into(), json!(id));
    put(&mut o, "externalId", external_id.clone());
    o.insert("userName".into(), json!(user_name));
    if let Some(n) = name {
        let Name { formatted, family_name, given_name, middle_name, honorific_prefix, honorific_suffix } = n;
        let mut no = Map::new();
        put(&mut no, "formatted", formatted.clone());
        put(&mut no, "familyName", family_name.clone());
        put(&mut no, "givenName", given_name.clone());
        put(&mut no, "middleName", middle_name.clone());
        put(&mut no, "honorificPrefix", honorific_prefix.clone());
        put(&mut no, "honorificSuffix", honorific_suffix.clone());
        o.insert("name".into(), Value::Object(no));
    }
    put(&mut o, "displayName", display_name.clone());
    put(&mut o, "nickName", nick_name.clone());
    put(&mut o, "profileUrl", profile_url.clone());
    put(&mut o, "title", title.clone());
    put(&mut o, "userType", user_type.clone());
    put(&mut o, "preferredLanguage", preferred_language.clone());
    put(&mut o, "locale", locale.clone());
    put(&mut o, "timezone", timezone.clone());
    put(&mut o, "active", *active);
    for (key, list) in [
        ("emails", emails),
        ("phoneNumbers", phone_numbers),
        ("ims", ims),
        ("photos", photos),
        ("entitlements", entitlements),
        ("roles", roles),
        ("x509Certificates", x509_certificates),
    ] {
        if !list.is_empty() {
            o.insert(key.into(), Value::Array(list.iter().map(multi_to).collect()));
        }
    }
    if !addresses.is_empty() {
        o.insert("addresses".into(), Value::Array(addresses.iter().map(address_to).collect()));
    }
    if !groups.is_empty() {
        o.insert("groups".into(), Value::Array(groups.iter().map(|g| group_ref_to(g, base)).collect()));
    }
    if let Some(e) = enterprise {
        schemas.push(json!(ENTERPRISE_USER_SCHEMA));
        o.insert(ENTERPRISE_USER_SCHEMA.into(), enterprise_to(e, base));
    }
    super::extensions_into(&mut o, &mut schemas, extensions.as_ref());
    let meta = meta.clone().unwrap_or_default();
    o.insert(
        "meta".into(),
        json!({
            "resourceType": "User",
            "created": rfc3339(meta.created.as_ref()),
            "lastModified": rfc3339(meta.last_modified.as_ref()),
            "location": format!("{base}/Users/{id}"),
            "version": etag(&meta.version),
        }),
    );
    o.insert("schemas".into(), Value::Array(schemas));
    Value::Object(o)
}

fn multi_to(m: &MultiValue) -> Value {
    let MultiValue { value, r#type, display, primary } = m;
    let mut o = Map::new();
    o.insert("value".into(), json!(value));
    put(&mut o, "type", r#type.clone());
    put(&mut o, "display", display.clone());
    o.insert("primary".into(), json!(primary));
    Value::Object(o)
}

fn address_to(a: &Address) -> Value {
    let Address { formatted, street_address, locality, region, postal_code, country, r#type, primary } = a;
    let mut o = Map::new();
    put(&mut o, "formatted", formatted.clone());
    put(&mut o, "streetAddress", street_address.clone());
    put(&mut o, "locality", locality.clone());
    put(&mut o, "region", region.clone());
    put(&mut o, "postalCode", postal_code.clone());
    put(&mut o, "country", country.clone());
    put(&mut o, "type", r#type.clone());
    o.insert("primary".into(), json!(primary));
    Value::Object(o)
}

fn group_ref_to(g: &GroupRef, base: &str) -> Value {
    let GroupRef { value, display, r#type } = g;
    json!({ "value": value, "$ref": format!("{base}/Groups/{value}"), "display": display, "type": r#type })
}

fn enterprise_to(e: &EnterpriseUser, base: &str) -> Value {
    let EnterpriseUser { employee_number, cost_center, organization, division, department, manager } = e;
    let mut o = Map::new();
    put(&mut o, "employeeNumber", employee_number.clone());
    put(&mut o, "costCenter", cost_center.clone());
    put(&mut o, "organization", organization.clone());
    put(&mut o, "division", division.clone());
    put(&mut o, "department", department.clone());
    if let Some(Manager { value, display_name }) = manager {
        let mut m = Map::new();
        if let Some(v) = value {
            m.insert("value".into(), json!(v));
            m.insert("$ref".into(), json!(format!("{base}/Users/{v}")));
        }
        put(&mut m, "displayName", display_name.clone());
        o.insert("manager".into(), Value::Object(m));
    }
    Value::Object(o)
}

#[cfg(test)]
mod tests {
    use super::*;

    const U: Scope<'static> = Scope::builtin(crate::schema::ResourceKind::User);

    fn okta_create() -> Value {
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "jane@x.com",
            "name": {"givenName": "Jane", "familyName": "Doe"},
            "emails": [{"primary": true, "value": "jane@x.com", "type": "work"}],
            "displayName": "Jane Doe",
            "locale": "en-US",
            "externalId": "00u1",
            "groups": [],
            "password": "1mz050nq",
            "active": true
        })
    }

    #[test]
    fn okta_create_body_is_read_and_the_password_kept_apart() -> Result<(), String> {
        let u = from_scim(U, &okta_create()).map_err(|e| e.detail)?;
        assert_eq!(u.user.user_name, "jane@x.com");
        assert_eq!(u.user.emails.len(), 1);
        assert!(u.user.emails[0].primary);
        assert_eq!(u.password.as_deref(), Some("1mz050nq"));
        assert_eq!(u.user.name.and_then(|n| n.given_name).as_deref(), Some("Jane"));
        Ok(())
    }

    #[test]
    fn attribute_names_are_case_insensitive_and_string_booleans_accepted() -> Result<(), String> {
        let u = from_scim(U, &json!({"USERNAME": "a", "Active": "False"})).map_err(|e| e.detail)?;
        assert_eq!(u.user.user_name, "a");
        assert_eq!(u.user.active, Some(false));
        Ok(())
    }

    #[test]
    fn a_missing_user_name_is_an_invalid_value() {
        let e = from_scim(U, &json!({"displayName": "x"})).err().map(|e| e.scim_type);
        assert_eq!(e, Some(Some(crate::error::ScimType::InvalidValue)));
    }

    #[test]
    fn rendering_never_contains_the_password_and_round_trips() -> Result<(), String> {
        let mut u = from_scim(U, &okta_create()).map_err(|e| e.detail)?.user;
        u.id = "abc".into();
        let v = to_scim(&u, "http://h/scim/v2");
        assert!(v.get("password").is_none());
        assert_eq!(v["meta"]["location"], "http://h/scim/v2/Users/abc");
        let back = from_scim(U, &v).map_err(|e| e.detail)?.user;
        assert_eq!(back.user_name, u.user_name);
        assert_eq!(back.emails, u.emails);
        Ok(())
    }

    #[test]
    fn entra_manager_as_a_one_element_array_is_accepted() -> Result<(), String> {
        let body =
            json!({"userName": "a", ENTERPRISE_USER_SCHEMA: {"manager": [{"value": "m1"}], "department": "Sales"}});
        let u = from_scim(U, &body).map_err(|e| e.detail)?.user;
        let e = u.enterprise.unwrap_or_default();
        assert_eq!(e.manager.and_then(|m| m.value).as_deref(), Some("m1"));
        assert_eq!(e.department.as_deref(), Some("Sales"));
        Ok(())
    }
}
