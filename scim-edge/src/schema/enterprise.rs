//! The Enterprise User extension `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`
//! (RFC 7643 §4.3, representation §8.7.1).

use super::{AttributeDef, ENTERPRISE_USER_SCHEMA, SchemaDef};

const MANAGER_SUBS: &[AttributeDef] = &[
    AttributeDef::string("value", "The id of the SCIM resource representing the User's manager.  REQUIRED."),
    AttributeDef::reference(
        "$ref",
        &["User"],
        "The URI of the SCIM resource representing the User's manager.  REQUIRED.",
    ),
    AttributeDef::string("displayName", "The displayName of the User's manager.  OPTIONAL and READ-ONLY.").read_only(),
];

const ATTRIBUTES: &[AttributeDef] = &[
    AttributeDef::string(
        "employeeNumber",
        "Numeric or alphanumeric identifier assigned to a person, typically based on order of \
         hire or association with an organization.",
    ),
    AttributeDef::string("costCenter", "Identifies the name of a cost center."),
    AttributeDef::string("organization", "Identifies the name of an organization."),
    AttributeDef::string("division", "Identifies the name of a division."),
    AttributeDef::string("department", "Identifies the name of a department."),
    AttributeDef::complex(
        "manager",
        MANAGER_SUBS,
        "The User's manager.  A complex type that optionally allows service providers to \
         represent organizational hierarchy by referencing the 'id' attribute of another User.",
    ),
];

/// The Enterprise User extension schema.
pub static ENTERPRISE_USER: SchemaDef = SchemaDef {
    id: ENTERPRISE_USER_SCHEMA,
    name: "EnterpriseUser",
    description: "Enterprise User",
    attributes: ATTRIBUTES,
};
