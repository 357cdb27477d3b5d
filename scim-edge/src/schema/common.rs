//! The common attributes every resource carries, `id`, `externalId` and `meta` (RFC 7643 §3.1).
//!
//! They belong to no schema, so `/Schemas` does not list them, but filters, sorting and
//! `attributes=` still resolve them through [`super::resolve`].

use super::{AttrType, AttributeDef, Returned, Uniqueness};

const META_SUBS: &[AttributeDef] = &[
    AttributeDef::string("resourceType", "The name of the resource type of the resource.").exact().read_only(),
    AttributeDef::new(
        "created",
        AttrType::DateTime,
        "The DateTime that the resource was added to the service provider.",
    )
    .read_only(),
    AttributeDef::new(
        "lastModified",
        AttrType::DateTime,
        "The most recent DateTime that the details of this resource were updated at the \
         service provider.",
    )
    .read_only(),
    AttributeDef::reference("location", &["uri"], "The URI of the resource being returned.").exact().read_only(),
    AttributeDef::string("version", "The version of the resource being returned, the same as its ETag.")
        .exact()
        .read_only(),
];

/// `id`, `externalId` and `meta`, with the characteristics RFC 7643 §3.1 gives them.
pub static COMMON: &[AttributeDef] = &[
    AttributeDef::string("id", "A unique identifier for a SCIM resource as defined by the service provider.")
        .exact()
        .read_only()
        .returned_when(Returned::Always)
        .unique(Uniqueness::Server),
    AttributeDef::string(
        "externalId",
        "A String that is an identifier for the resource as defined by the provisioning client.",
    )
    .exact(),
    AttributeDef::complex("meta", META_SUBS, "A complex attribute containing resource metadata.").read_only(),
];
