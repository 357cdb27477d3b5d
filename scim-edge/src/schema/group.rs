//! The core Group schema `urn:ietf:params:scim:schemas:core:2.0:Group`
//! (RFC 7643 §4.2, representation §8.7.1).

use super::{AttributeDef, GROUP_SCHEMA, Mutability, SchemaDef};

const MEMBERS_SUBS: &[AttributeDef] = &[
    AttributeDef::string("value", "Identifier of the member of this Group.").mutable(Mutability::Immutable),
    AttributeDef::reference(
        "$ref",
        &["User", "Group"],
        "The URI corresponding to a SCIM resource that is a member of this Group.",
    )
    .mutable(Mutability::Immutable),
    // RFC 7643 §4.2 names `display`; §8.7.1 omits it, and so do we: it would be derived from the
    // member, not what the client stored, and clients compare members as they sent them.
    AttributeDef::string("type", "A label indicating the type of resource, e.g., 'User' or 'Group'.")
        .mutable(Mutability::Immutable)
        .canonical(&["User", "Group"]),
];

const ATTRIBUTES: &[AttributeDef] = &[
    AttributeDef::string("displayName", "A human-readable name for the Group.  REQUIRED.").mandatory(),
    AttributeDef::complex("members", MEMBERS_SUBS, "A list of members of the Group.").multi(),
];

/// The core Group schema.
pub static GROUP: SchemaDef =
    SchemaDef { id: GROUP_SCHEMA, name: "Group", description: "Group", attributes: ATTRIBUTES };
