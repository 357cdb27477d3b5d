//! draft-zollner-scim-group-members-01: the `GroupMember` resource (one
//! direct membership, served at `/GroupMembers`) and the Group extension
//! whose `membersMetadata` says how a group's members are served.

use super::{AttrType, AttributeDef, Mutability, SchemaDef};

/// Schema URN of the GroupMember resource.
pub const GROUP_MEMBER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:GroupMember";
/// Schema URN of the Group extension carrying `membersMetadata`.
pub const GROUP_MEMBERS_EXTENSION: &str = "urn:ietf:params:scim:schemas:extension:groupMembers:2.0:Group";

const GROUP_SUBS: &[AttributeDef] = &[
    AttributeDef::string("value", "The id of the Group.").mandatory().exact().mutable(Mutability::Immutable),
    AttributeDef::reference("$ref", &["Group"], "The URI of the Group.").read_only(),
    AttributeDef::string("display", "The Group's displayName.").read_only(),
];

const MEMBER_SUBS: &[AttributeDef] = &[
    AttributeDef::string("value", "The id of the member.").mandatory().exact().mutable(Mutability::Immutable),
    AttributeDef::reference("$ref", &["User", "Group"], "The URI of the member.").read_only(),
    AttributeDef::string("type", "The member's resource type, 'User' or 'Group'.")
        .mutable(Mutability::Immutable)
        .canonical(&["User", "Group"]),
    AttributeDef::string("display", "The member's userName or displayName.").read_only(),
];

const GROUP_MEMBER_ATTRIBUTES: &[AttributeDef] = &[
    AttributeDef::complex("group", GROUP_SUBS, "The Group of the membership.")
        .mandatory()
        .mutable(Mutability::Immutable),
    AttributeDef::complex("member", MEMBER_SUBS, "The member: a User or a Group.")
        .mandatory()
        .mutable(Mutability::Immutable),
];

/// The GroupMember schema.
pub static GROUP_MEMBER: SchemaDef = SchemaDef {
    id: GROUP_MEMBER_SCHEMA,
    name: "Group Member",
    description: "A direct membership of a User or Group in a Group",
    attributes: GROUP_MEMBER_ATTRIBUTES,
};

const METADATA_SUBS: &[AttributeDef] = &[
    AttributeDef::string(
        "policy",
        "How the members are served: inline (in members), external (only through /GroupMembers) or hybrid.",
    )
    .mandatory()
    .read_only()
    .canonical(&["inline", "external", "hybrid"]),
    AttributeDef::reference("ref", &["uri"], "The /GroupMembers URI that lists this group's members.")
        .mandatory()
        .read_only(),
    AttributeDef::string("memberCount", "The number of direct members.").of_kind(AttrType::Integer).read_only(),
];

const EXTENSION_ATTRIBUTES: &[AttributeDef] = &[AttributeDef::complex(
    "membersMetadata",
    METADATA_SUBS,
    "How this group's members are served and how many there are.",
)
.read_only()];

/// The Group extension with `membersMetadata`.
pub static GROUP_MEMBERS: SchemaDef = SchemaDef {
    id: GROUP_MEMBERS_EXTENSION,
    name: "GroupMembersMetadata",
    description: "Group membership metadata (draft-zollner-scim-group-members)",
    attributes: EXTENSION_ATTRIBUTES,
};
