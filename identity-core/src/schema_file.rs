//! Reads an extension schema written the way RFC 7643 §7 represents schemas
//! (what `/Schemas` returns), for `identity-core schema add`.

use proto::v1::{AttributeDefinition, AttributeType, Mutability, ResourceType, Returned, Schema};
use serde_json::Value;

/// Parses `json` into a Schema extending `resource_type`.
pub fn parse(json: &str, resource_type: ResourceType) -> Result<Schema, String> {
    let v: Value = serde_json::from_str(json).map_err(|e| format!("not JSON: {e}"))?;
    let text = |o: &Value, k: &str| o.get(k).and_then(Value::as_str).unwrap_or_default().to_owned();
    let flag = |o: &Value, k: &str| o.get(k).and_then(Value::as_bool).unwrap_or(false);
    let attrs = v.get("attributes").and_then(Value::as_array).ok_or("\"attributes\" must be an array")?;
    let mut attributes = Vec::with_capacity(attrs.len());
    for a in attrs {
        let name = text(a, "name");
        if a.get("subAttributes").is_some() || text(a, "type") == "complex" {
            return Err(format!("{name}: complex attributes are not supported in extension schemas"));
        }
        let r#type = match text(a, "type").as_str() {
            "string" => AttributeType::String,
            "boolean" => AttributeType::Boolean,
            "integer" => AttributeType::Integer,
            "decimal" => AttributeType::Decimal,
            "dateTime" => AttributeType::DateTime,
            "reference" => AttributeType::Reference,
            other => return Err(format!("{name}: unsupported type {other:?}")),
        };
        let mutability = match text(a, "mutability").as_str() {
            "" | "readWrite" => Mutability::ReadWrite,
            "readOnly" => Mutability::ReadOnly,
            "immutable" => Mutability::Immutable,
            "writeOnly" => Mutability::WriteOnly,
            other => return Err(format!("{name}: unknown mutability {other:?}")),
        };
        let returned = match text(a, "returned").as_str() {
            "" | "default" => Returned::Default,
            "always" => Returned::Always,
            "never" => Returned::Never,
            "request" => Returned::Request,
            other => return Err(format!("{name}: unknown returned {other:?}")),
        };
        let canonical_values = a
            .get("canonicalValues")
            .and_then(Value::as_array)
            .map(|l| l.iter().filter_map(Value::as_str).map(str::to_owned).collect())
            .unwrap_or_default();
        attributes.push(AttributeDefinition {
            name,
            r#type: r#type as i32,
            multi_valued: flag(a, "multiValued"),
            required: flag(a, "required"),
            case_exact: flag(a, "caseExact"),
            mutability: mutability as i32,
            returned: returned as i32,
            canonical_values,
            description: text(a, "description"),
        });
    }
    Ok(Schema {
        id: text(&v, "id"),
        name: text(&v, "name"),
        description: text(&v, "description"),
        resource_type: resource_type as i32,
        attributes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_rfc_7643_schema_document_is_read() {
        let s = parse(
            r#"{"id": "urn:ietf:params:scim:schemas:extension:acme:2.0:User", "name": "Acme",
                "attributes": [{"name": "badge", "type": "string", "caseExact": true},
                               {"name": "level", "type": "integer", "required": true, "returned": "request"}]}"#,
            ResourceType::User,
        );
        let s = s.ok().unwrap_or_default();
        assert_eq!(s.attributes.len(), 2);
        assert!(s.attributes[0].case_exact);
        assert_eq!(s.attributes[1].returned, Returned::Request as i32);
    }

    #[test]
    fn complex_attributes_are_refused() {
        let s = parse(
            r#"{"id": "urn:x:y", "attributes": [{"name": "a", "type": "complex", "subAttributes": []}]}"#,
            ResourceType::User,
        );
        assert!(s.is_err());
    }
}
