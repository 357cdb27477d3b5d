//! `attributes` / `excludedAttributes` (RFC 7644 §3.4.2.5, §3.9) applied to
//! rendered resources, honouring each attribute's `returned`
//! characteristic. The projection also tells handlers what not to load (a
//! group's members).

use serde_json::{Map, Value};

use crate::error::{ScimError, ScimResult, ScimType};
use crate::schema::{self, Returned, Scope};

/// Which attributes a response carries.
#[derive(Debug, Default, Clone)]
pub struct Projection {
    /// `attributes`: only these (plus those returned always).
    include: Option<Vec<schema::Resolved>>,
    /// `excludedAttributes`: all but these (those returned always stay).
    exclude: Vec<schema::Resolved>,
}

impl Projection {
    /// Parses the comma-separated lists; unknown attributes are
    /// `invalidValue` (RFC 7644 §3.4.2.5 leaves it open; a typo should not
    /// silently return everything).
    pub fn parse(scope: Scope<'_>, attributes: Option<&str>, excluded: Option<&str>) -> ScimResult<Self> {
        Self::build(scope, attributes, excluded, true)
    }

    /// Like [`Projection::parse`], but names `kind` does not have are
    /// skipped: for `POST /.search`, whose lists span several resource types.
    pub fn parse_known(scope: Scope<'_>, attributes: Option<&str>, excluded: Option<&str>) -> Self {
        Self::build(scope, attributes, excluded, false).unwrap_or_default()
    }

    fn build(scope: Scope<'_>, attributes: Option<&str>, excluded: Option<&str>, strict: bool) -> ScimResult<Self> {
        let list = |s: &str| -> ScimResult<Vec<schema::Resolved>> {
            let mut out = Vec::new();
            for p in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                match schema::resolve_path(scope, p) {
                    Some(r) => out.push(r),
                    None if strict => {
                        return Err(ScimError::bad_request(
                            ScimType::InvalidValue,
                            format!("unknown attribute {p:?} in attributes/excludedAttributes"),
                        ));
                    }
                    None => {}
                }
            }
            Ok(out)
        };
        let include = attributes.map(list).transpose()?.filter(|l| !l.is_empty());
        let exclude = excluded.map(list).transpose()?.unwrap_or_default();
        Ok(Self { include, exclude })
    }

    /// Whether the client asked to shape the response at all.
    pub fn is_explicit(&self) -> bool {
        self.include.is_some() || !self.exclude.is_empty()
    }

    /// Whether top-level attribute `name` (core schema) will be shown.
    pub fn shows(&self, name: &str) -> bool {
        let hit = |r: &schema::Resolved| !r.is_extension() && r.attr.name.eq_ignore_ascii_case(name);
        match &self.include {
            Some(list) => list.iter().any(hit),
            None => !self.exclude.iter().any(|r| hit(r) && r.sub.is_none()),
        }
    }

    /// Applies the projection to a rendered resource of `kind`.
    pub fn apply(&self, scope: Scope<'_>, mut doc: Value) -> Value {
        let Some(obj) = doc.as_object_mut() else {
            return doc;
        };
        for schema_def in scope.schemas() {
            let is_core = std::ptr::eq(schema_def, scope.kind.schema());
            if is_core {
                self.filter_container(obj, schema_def, scope, true);
            } else if let Some(key) = crate::convert::json::key_of(obj, schema_def.id)
                && let Some(Value::Object(ext)) = obj.get_mut(&key)
            {
                self.filter_container(ext, schema_def, scope, false);
                if ext.is_empty() {
                    obj.remove(&key);
                }
            }
        }
        // Keep `schemas` truthful: drop extension URNs no longer present.
        let present: Vec<String> = obj.keys().filter(|k| k.starts_with("urn:")).cloned().collect();
        if let Some(Value::Array(s)) = obj.get_mut("schemas") {
            s.retain(|u| u.as_str().is_some_and(|u| u == scope.kind.schema().id || present.iter().any(|p| p == u)));
        }
        doc
    }

    fn filter_container(
        &self,
        obj: &mut Map<String, Value>,
        schema_def: &'static schema::SchemaDef,
        scope: Scope<'_>,
        is_core: bool,
    ) {
        let keys: Vec<String> = obj.keys().cloned().collect();
        for key in keys {
            if key == "schemas" || key.starts_with("urn:") {
                continue;
            }
            let resolved = if is_core {
                schema::resolve(scope, None, &key, None)
            } else {
                schema::resolve(scope, Some(schema_def.id), &key, None)
            };
            let Some(r) = resolved else { continue };
            let returned = r.attr.returned;
            if returned == Returned::Never {
                obj.remove(&key);
                continue;
            }
            if returned == Returned::Always {
                continue;
            }
            let same = |x: &schema::Resolved| std::ptr::eq(x.attr, r.attr);
            match &self.include {
                Some(list) => {
                    let matching: Vec<&schema::Resolved> = list.iter().filter(|x| same(x)).collect();
                    if matching.is_empty() {
                        if returned != Returned::Always {
                            obj.remove(&key);
                        }
                    } else if matching.iter().all(|x| x.sub.is_some()) {
                        let subs: Vec<&str> = matching.iter().filter_map(|x| x.sub.map(|s| s.name)).collect();
                        keep_subs(obj.get_mut(&key), &subs, r.attr);
                    }
                }
                None => {
                    if returned == Returned::Request {
                        obj.remove(&key);
                        continue;
                    }
                    if self.exclude.iter().any(|x| same(x) && x.sub.is_none()) {
                        obj.remove(&key);
                        continue;
                    }
                    let subs: Vec<&str> =
                        self.exclude.iter().filter(|x| same(x)).filter_map(|x| x.sub.map(|s| s.name)).collect();
                    if !subs.is_empty() {
                        drop_subs(obj.get_mut(&key), &subs);
                    }
                }
            }
        }
    }
}

/// Keeps only `subs` (and always-returned sub-attributes) of a complex value
/// or of each element of a multi-valued one.
fn keep_subs(v: Option<&mut Value>, subs: &[&str], def: &schema::AttributeDef) {
    let keep = |o: &mut Map<String, Value>| {
        o.retain(|k, _| {
            subs.iter().any(|s| s.eq_ignore_ascii_case(k))
                || def.sub_attribute(k).is_some_and(|d| d.returned == Returned::Always)
        });
    };
    match v {
        Some(Value::Object(o)) => keep(o),
        Some(Value::Array(a)) => a.iter_mut().filter_map(Value::as_object_mut).for_each(keep),
        _ => {}
    }
}

fn drop_subs(v: Option<&mut Value>, subs: &[&str]) {
    let drop = |o: &mut Map<String, Value>| o.retain(|k, _| !subs.iter().any(|s| s.eq_ignore_ascii_case(k)));
    match v {
        Some(Value::Object(o)) => drop(o),
        Some(Value::Array(a)) => a.iter_mut().filter_map(Value::as_object_mut).for_each(drop),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::ResourceKind;
    use serde_json::json;

    fn user() -> Value {
        json!({
            "schemas": [schema::USER_SCHEMA, schema::ENTERPRISE_USER_SCHEMA],
            "id": "1", "userName": "a", "displayName": "A",
            "name": {"givenName": "G", "familyName": "F"},
            "emails": [{"value": "a@x", "type": "work"}],
            "meta": {"resourceType": "User"},
            (schema::ENTERPRISE_USER_SCHEMA): {"department": "D"}
        })
    }

    #[test]
    fn attributes_keeps_the_asked_and_the_always_returned() -> Result<(), String> {
        let p = Projection::parse(ResourceKind::User.into(), Some("name.givenName,displayName"), None)
            .map_err(|e| e.detail)?;
        let v = p.apply(ResourceKind::User.into(), user());
        assert_eq!(v["id"], "1");
        assert_eq!(v["displayName"], "A");
        assert_eq!(v["name"], json!({"givenName": "G"}));
        assert!(v.get("emails").is_none() && v.get(schema::ENTERPRISE_USER_SCHEMA).is_none());
        assert_eq!(v["schemas"], json!([schema::USER_SCHEMA]));
        Ok(())
    }

    #[test]
    fn excluded_attributes_drop_only_those() -> Result<(), String> {
        let p =
            Projection::parse(ResourceKind::User.into(), None, Some("emails,name.familyName")).map_err(|e| e.detail)?;
        let v = p.apply(ResourceKind::User.into(), user());
        assert!(v.get("emails").is_none());
        assert_eq!(v["name"], json!({"givenName": "G"}));
        assert_eq!(v["userName"], "a");
        Ok(())
    }

    #[test]
    fn members_are_not_shown_when_excluded_or_not_asked() -> Result<(), String> {
        let ex = Projection::parse(ResourceKind::Group.into(), None, Some("members")).map_err(|e| e.detail)?;
        assert!(!ex.shows("members"));
        let only_id = Projection::parse(ResourceKind::Group.into(), Some("id"), None).map_err(|e| e.detail)?;
        assert!(!only_id.shows("members"));
        assert!(Projection::default().shows("members"));
        Ok(())
    }
}
