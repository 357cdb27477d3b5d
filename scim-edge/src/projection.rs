//! `attributes` / `excludedAttributes` (RFC 7644 §3.4.2.5, §3.9) applied to
//! rendered resources, honouring each attribute's `returned`
//! characteristic. The projection also tells handlers what not to load (a
//! group's members).
//!
//! Besides attribute paths, each list may name a whole extension by its
//! schema URN (`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`)
//! and value-filtered paths (`emails[type eq "work"]`,
//! `emails[type eq "work"].value`), which select only the matching values,
//! as other SCIM servers and Microsoft's test collection expect.

use serde_json::{Map, Value};

use crate::error::{ScimError, ScimResult, ScimType};
use crate::filter::{Filter, parse_patch_path};
use crate::patch::select;
use crate::schema::{self, Returned, SchemaDef, Scope};

/// Which attributes a response carries.
#[derive(Debug, Default, Clone)]
pub struct Projection {
    /// `attributes`: only these (plus those returned always).
    include: Option<Selection>,
    /// `excludedAttributes`: all but these (those returned always stay).
    exclude: Selection,
}

/// The entries of one list.
#[derive(Debug, Default, Clone)]
struct Selection {
    /// Attribute and sub-attribute paths.
    attrs: Vec<schema::Resolved>,
    /// Value-filtered paths: the attribute (with the sub-attribute after
    /// `]`, if any) and the condition on its elements.
    filtered: Vec<(schema::Resolved, Filter)>,
    /// Whole extensions, named by URN.
    extensions: Vec<&'static SchemaDef>,
}

impl Selection {
    fn is_empty(&self) -> bool {
        self.attrs.is_empty() && self.filtered.is_empty() && self.extensions.is_empty()
    }

    fn has_extension(&self, s: &SchemaDef) -> bool {
        self.extensions.iter().any(|e| std::ptr::eq(*e, s))
    }
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
        let list = |s: &str| -> ScimResult<Selection> {
            let mut out = Selection::default();
            for p in split_list(s) {
                match entry(scope, p) {
                    Some(Entry::Attr(r)) => out.attrs.push(r),
                    Some(Entry::Filtered(r, f)) => out.filtered.push((r, f)),
                    Some(Entry::Extension(s)) => out.extensions.push(s),
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
            Some(sel) => sel.attrs.iter().any(hit) || sel.filtered.iter().any(|(r, _)| hit(r)),
            None => !self.exclude.attrs.iter().any(|r| hit(r) && r.sub.is_none()),
        }
    }

    /// Whether `attributes` names extension `s` or one of its attributes.
    fn asks_for(&self, s: &SchemaDef) -> bool {
        let from = |r: &schema::Resolved| std::ptr::eq(r.schema, s);
        self.include.as_ref().is_some_and(|sel| {
            sel.has_extension(s) || sel.attrs.iter().any(from) || sel.filtered.iter().any(|(r, _)| from(r))
        })
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
            } else if let Some(key) = crate::convert::json::key_of(obj, schema_def.id) {
                // An extension `/ResourceTypes` does not list (the
                // draft groupMembers one, unless advertised) is shown only
                // when asked for: RFC-literal clients refuse undeclared ones.
                let advertised = scope.advertised_extensions().any(|s| std::ptr::eq(s, schema_def));
                if self.exclude.has_extension(schema_def) || (!advertised && !self.asks_for(schema_def)) {
                    obj.remove(&key);
                } else if let Some(Value::Object(ext)) = obj.get_mut(&key) {
                    self.filter_container(ext, schema_def, scope, false);
                    if ext.is_empty() {
                        obj.remove(&key);
                    }
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
        // A whole extension asked for in `attributes` shows as without a list.
        let include = self.include.as_ref().filter(|sel| !sel.has_extension(schema_def));
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
            match include {
                Some(sel) => {
                    let plain: Vec<&schema::Resolved> = sel.attrs.iter().filter(|x| same(x)).collect();
                    let filtered: Vec<&(schema::Resolved, Filter)> =
                        sel.filtered.iter().filter(|(x, _)| same(x)).collect();
                    if plain.is_empty() && filtered.is_empty() {
                        obj.remove(&key);
                        continue;
                    }
                    // Only the elements some filter selects, unless the
                    // attribute is also asked for without a filter.
                    if plain.is_empty() {
                        retain_elements(obj, &key, |e| filtered.iter().any(|(_, f)| select::matches(f, e, r.attr)));
                    }
                    let all = plain.iter().copied().chain(filtered.iter().map(|(x, _)| x));
                    if all.clone().all(|x| x.sub.is_some()) {
                        let subs: Vec<&str> = all.filter_map(|x| x.sub.map(|s| s.name)).collect();
                        keep_subs(obj.get_mut(&key), &subs, r.attr);
                    }
                }
                None => {
                    if returned == Returned::Request && self.include.is_none() {
                        obj.remove(&key);
                        continue;
                    }
                    if self.exclude.attrs.iter().any(|x| same(x) && x.sub.is_none()) {
                        obj.remove(&key);
                        continue;
                    }
                    let subs: Vec<&str> =
                        self.exclude.attrs.iter().filter(|x| same(x)).filter_map(|x| x.sub.map(|s| s.name)).collect();
                    if !subs.is_empty() {
                        drop_subs(obj.get_mut(&key), &subs);
                    }
                    for (x, f) in self.exclude.filtered.iter().filter(|(x, _)| same(x)) {
                        match x.sub {
                            None => retain_elements(obj, &key, |e| !select::matches(f, e, r.attr)),
                            Some(sub) => {
                                if let Some(Value::Array(items)) = obj.get_mut(&key) {
                                    items
                                        .iter_mut()
                                        .filter(|e| select::matches(f, e, r.attr))
                                        .for_each(|e| drop_subs(Some(e), &[sub.name]));
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// One parsed entry of a list.
enum Entry {
    Attr(schema::Resolved),
    Filtered(schema::Resolved, Filter),
    Extension(&'static SchemaDef),
}

/// Reads one entry: a whole extension URN, a value-filtered path on a
/// multi-valued attribute (whose filter names only its sub-attributes), or
/// an attribute path. `None` when it names nothing `scope` has.
fn entry(scope: Scope<'_>, p: &str) -> Option<Entry> {
    if let Some(ext) = scope.extension(p) {
        return Some(Entry::Extension(ext));
    }
    if !p.contains('[') {
        return schema::resolve_path(scope, p).map(Entry::Attr);
    }
    let path = parse_patch_path(p).ok()?;
    let filter = path.filter?;
    let attr = schema::resolve(scope, path.attr.urn.as_deref(), &path.attr.name, path.attr.sub_attr.as_deref())?;
    if attr.sub.is_some() || !attr.attr.multi_valued || !names_only_subs(&filter, attr.attr) {
        return None;
    }
    let target = match &path.sub_attr {
        None => attr,
        Some(sub) => schema::resolve_sub(&attr, sub)?,
    };
    Some(Entry::Filtered(target, filter))
}

/// Whether every attribute in `f` is a sub-attribute of `def`.
fn names_only_subs(f: &Filter, def: &schema::AttributeDef) -> bool {
    match f {
        Filter::And(list) | Filter::Or(list) => list.iter().all(|x| names_only_subs(x, def)),
        Filter::Not(inner) => names_only_subs(inner, def),
        Filter::Compare { path, .. } | Filter::Present(path) => {
            path.urn.is_none() && path.sub_attr.is_none() && def.sub_attribute(&path.name).is_some()
        }
        Filter::ValuePath { .. } => false,
    }
}

/// The entries of a comma-separated list; commas inside `[...]` or a quoted
/// string (`emails[value co ","]`) do not split.
fn split_list(s: &str) -> Vec<&str> {
    let (mut out, mut start, mut depth, mut quoted, mut escaped) = (Vec::new(), 0, 0usize, false, false);
    for (i, c) in s.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            '[' if !quoted => depth += 1,
            ']' if !quoted => depth = depth.saturating_sub(1),
            ',' if !quoted && depth == 0 => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out.into_iter().map(str::trim).filter(|p| !p.is_empty()).collect()
}

/// Keeps only the elements of multi-valued `obj[key]` that `keep` accepts;
/// an attribute left with none is removed.
fn retain_elements(obj: &mut Map<String, Value>, key: &str, keep: impl Fn(&Value) -> bool) {
    if let Some(Value::Array(items)) = obj.get_mut(key) {
        items.retain(|e| keep(e));
        if items.is_empty() {
            obj.remove(key);
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

    fn two_emails() -> Value {
        let mut u = user();
        u["emails"] = json!([{"value": "a@x", "type": "work", "primary": true}, {"value": "a@home", "type": "home"}]);
        u
    }

    #[test]
    fn a_whole_extension_urn_selects_or_drops_the_extension() -> Result<(), String> {
        let ext = schema::ENTERPRISE_USER_SCHEMA;
        let p = Projection::parse(ResourceKind::User.into(), Some(ext), None).map_err(|e| e.detail)?;
        let v = p.apply(ResourceKind::User.into(), user());
        assert_eq!(v[ext], json!({"department": "D"}));
        assert!(v.get("userName").is_none() && v.get("emails").is_none());
        assert_eq!(v["schemas"], json!([schema::USER_SCHEMA, ext]));
        let p = Projection::parse(ResourceKind::User.into(), None, Some(&ext.to_lowercase())).map_err(|e| e.detail)?;
        let v = p.apply(ResourceKind::User.into(), user());
        assert!(v.get(ext).is_none());
        assert_eq!((v["userName"].clone(), v["schemas"].clone()), (json!("a"), json!([schema::USER_SCHEMA])));
        Ok(())
    }

    #[test]
    fn a_value_filtered_path_selects_only_the_matching_values() -> Result<(), String> {
        let kind = ResourceKind::User;
        let p = Projection::parse(kind.into(), Some(r#"emails[type eq "work"]"#), None).map_err(|e| e.detail)?;
        let v = p.apply(kind.into(), two_emails());
        assert_eq!(v["emails"], json!([{"value": "a@x", "type": "work", "primary": true}]));
        let p = Projection::parse(kind.into(), Some(r#"emails[type eq "work"].value,userName"#), None)
            .map_err(|e| e.detail)?;
        let v = p.apply(kind.into(), two_emails());
        assert_eq!(v["emails"], json!([{"value": "a@x"}]));
        assert_eq!(v["userName"], "a");
        let p = Projection::parse(kind.into(), Some(r#"emails[type eq "other"]"#), None).map_err(|e| e.detail)?;
        assert!(p.apply(kind.into(), two_emails()).get("emails").is_none());
        Ok(())
    }

    #[test]
    fn an_excluded_value_filtered_path_drops_only_the_matching_values() -> Result<(), String> {
        let kind = ResourceKind::User;
        let p = Projection::parse(kind.into(), None, Some(r#"emails[type eq "work"]"#)).map_err(|e| e.detail)?;
        assert_eq!(p.apply(kind.into(), two_emails())["emails"], json!([{"value": "a@home", "type": "home"}]));
        let p = Projection::parse(kind.into(), None, Some(r#"emails[type eq "home"].value"#)).map_err(|e| e.detail)?;
        let v = p.apply(kind.into(), two_emails());
        assert_eq!(v["emails"][1], json!({"type": "home"}));
        assert_eq!(v["emails"][0]["value"], "a@x");
        Ok(())
    }

    #[test]
    fn commas_inside_a_value_filter_do_not_split_the_list() {
        assert_eq!(split_list(r#"emails[value co ","], userName ,,"#), [r#"emails[value co ","]"#, "userName"]);
        assert_eq!(split_list(r#"a[b eq "\",x"],c"#), [r#"a[b eq "\",x"]"#, "c"]);
    }

    #[test]
    fn value_filters_on_unknown_or_singular_attributes_are_refused() {
        for bad in [r#"userName[type eq "x"]"#, r#"emails[nope eq "x"]"#, r#"emails[type eq "x"].nope"#, "emails["] {
            let e = Projection::parse(ResourceKind::User.into(), Some(bad), None).err().and_then(|e| e.scim_type);
            assert_eq!(e, Some(ScimType::InvalidValue), "{bad}");
        }
    }

    #[test]
    fn an_extension_resource_types_do_not_list_is_shown_only_when_asked_for() -> Result<(), String> {
        let registry = schema::Registry::from_proto(&[], false);
        let scope = registry.scope(ResourceKind::Group);
        let ext = schema::GROUP_MEMBERS_EXTENSION;
        let group = json!({"schemas": [schema::GROUP_SCHEMA, ext], "id": "g", "displayName": "G",
            (ext): {"membersMetadata": {"policy": "inline", "memberCount": 0}}});
        let v = Projection::default().apply(scope, group.clone());
        assert!(v.get(ext).is_none());
        assert_eq!(v["schemas"], json!([schema::GROUP_SCHEMA]));
        for asked in [ext.to_owned(), format!("{ext}:membersMetadata")] {
            let p = Projection::parse(scope, Some(&asked), None).map_err(|e| e.detail)?;
            assert_eq!(p.apply(scope, group.clone())[ext]["membersMetadata"]["policy"], "inline", "{asked}");
        }
        let advertised = schema::Registry::from_proto(&[], true);
        assert!(Projection::default().apply(advertised.scope(ResourceKind::Group), group).get(ext).is_some());
        Ok(())
    }
}
