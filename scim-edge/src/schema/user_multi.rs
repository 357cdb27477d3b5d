//! The multi-valued attributes of the core User schema (RFC 7643 §4.1.2, representation §8.7.1):
//! emails, phoneNumbers, ims, photos, addresses, groups, entitlements, roles, x509Certificates.

use super::{AttrType, AttributeDef};

const DISPLAY: AttributeDef =
    AttributeDef::string("display", "A human-readable name, primarily used for display purposes.  READ-ONLY.");

const fn primary(description: &'static str) -> AttributeDef {
    AttributeDef::boolean("primary", description)
}

const PRIMARY_GENERIC: AttributeDef = primary(
    "A Boolean value indicating the 'primary' or preferred attribute value for this \
     attribute.  The primary attribute value 'true' MUST appear no more than once.",
);

const TYPE_GENERIC: AttributeDef = AttributeDef::string("type", "A label indicating the attribute's function.");

const EMAILS_SUBS: &[AttributeDef] = &[
    AttributeDef::string(
        "value",
        "Email addresses for the user.  The value SHOULD be canonicalized by the service \
         provider, e.g., 'bjensen@example.com' instead of 'bjensen@EXAMPLE.COM'.  Canonical \
         type values of 'work', 'home', and 'other'.",
    ),
    DISPLAY,
    AttributeDef::string("type", "A label indicating the attribute's function, e.g., 'work' or 'home'.")
        .canonical(&["work", "home", "other"]),
    primary(
        "A Boolean value indicating the 'primary' or preferred attribute value for this \
         attribute, e.g., the preferred mailing address or primary email address.  The \
         primary attribute value 'true' MUST appear no more than once.",
    ),
];

pub(super) const EMAILS: AttributeDef = AttributeDef::complex(
    "emails",
    EMAILS_SUBS,
    "Email addresses for the user.  The value SHOULD be canonicalized by the service provider, \
     e.g., 'bjensen@example.com' instead of 'bjensen@EXAMPLE.COM'.  Canonical type values of \
     'work', 'home', and 'other'.",
)
.multi();

const PHONE_NUMBERS_SUBS: &[AttributeDef] = &[
    AttributeDef::string("value", "Phone number of the User."),
    DISPLAY,
    AttributeDef::string("type", "A label indicating the attribute's function, e.g., 'work', 'home', 'mobile'.")
        .canonical(&["work", "home", "mobile", "fax", "pager", "other"]),
    primary(
        "A Boolean value indicating the 'primary' or preferred attribute value for this \
         attribute, e.g., the preferred phone number or primary phone number.  The primary \
         attribute value 'true' MUST appear no more than once.",
    ),
];

pub(super) const PHONE_NUMBERS: AttributeDef = AttributeDef::complex(
    "phoneNumbers",
    PHONE_NUMBERS_SUBS,
    "Phone numbers for the User.  The value SHOULD be canonicalized by the service provider \
     according to the format specified in RFC 3966, e.g., 'tel:+1-201-555-0123'.  Canonical \
     type values of 'work', 'home', 'mobile', 'fax', 'pager', and 'other'.",
)
.multi();

const IMS_SUBS: &[AttributeDef] = &[
    AttributeDef::string("value", "Instant messaging address for the User."),
    DISPLAY,
    AttributeDef::string("type", "A label indicating the attribute's function, e.g., 'aim', 'gtalk', 'xmpp'.")
        .canonical(&["aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo"]),
    primary(
        "A Boolean value indicating the 'primary' or preferred attribute value for this \
         attribute, e.g., the preferred messenger or primary messenger.  The primary \
         attribute value 'true' MUST appear no more than once.",
    ),
];

pub(super) const IMS: AttributeDef =
    AttributeDef::complex("ims", IMS_SUBS, "Instant messaging addresses for the User.").multi();

const PHOTOS_SUBS: &[AttributeDef] = &[
    AttributeDef::reference("value", &["external"], "URL of a photo of the User."),
    DISPLAY,
    AttributeDef::string("type", "A label indicating the attribute's function, i.e., 'photo' or 'thumbnail'.")
        .canonical(&["photo", "thumbnail"]),
    primary(
        "A Boolean value indicating the 'primary' or preferred attribute value for this \
         attribute, e.g., the preferred photo or thumbnail.  The primary attribute value \
         'true' MUST appear no more than once.",
    ),
];

pub(super) const PHOTOS: AttributeDef =
    AttributeDef::complex("photos", PHOTOS_SUBS, "URLs of photos of the User.").multi();

const ADDRESSES_SUBS: &[AttributeDef] = &[
    AttributeDef::string(
        "formatted",
        "The full mailing address, formatted for display or use with a mailing label.  This \
         attribute MAY contain newlines.",
    ),
    AttributeDef::string(
        "streetAddress",
        "The full street address component, which may include house number, street name, \
         P.O. box, and multi-line extended street address information.  This attribute MAY \
         contain newlines.",
    ),
    AttributeDef::string("locality", "The city or locality component."),
    AttributeDef::string("region", "The state or region component."),
    AttributeDef::string("postalCode", "The zip code or postal code component."),
    AttributeDef::string("country", "The country name component."),
    AttributeDef::string("type", "A label indicating the attribute's function, e.g., 'work' or 'home'.")
        .canonical(&["work", "home", "other"]),
    // RFC 7643 §4.1.2 gives addresses a `primary`; the §8.7.1 listing leaves it out.
    primary(
        "A Boolean value indicating the 'primary' or preferred attribute value for this \
         attribute, e.g., the preferred mailing address.  The primary attribute value 'true' \
         MUST appear no more than once.",
    ),
];

pub(super) const ADDRESSES: AttributeDef = AttributeDef::complex(
    "addresses",
    ADDRESSES_SUBS,
    "A physical mailing address for this User.  Canonical type values of 'work', 'home', and \
     'other'.  This attribute is a complex type with the following sub-attributes.",
)
.multi();

const GROUPS_SUBS: &[AttributeDef] = &[
    AttributeDef::string("value", "The identifier of the User's group.").read_only(),
    AttributeDef::reference(
        "$ref",
        &["User", "Group"],
        "The URI of the corresponding 'Group' resource to which the user belongs.",
    )
    .read_only(),
    DISPLAY.read_only(),
    AttributeDef::string("type", "A label indicating the attribute's function, e.g., 'direct' or 'indirect'.")
        .canonical(&["direct", "indirect"])
        .read_only(),
];

pub(super) const GROUPS: AttributeDef = AttributeDef::complex(
    "groups",
    GROUPS_SUBS,
    "A list of groups to which the user belongs, either through direct membership, through \
     nested groups, or dynamically calculated.",
)
.multi()
.read_only();

const ENTITLEMENTS_SUBS: &[AttributeDef] =
    &[AttributeDef::string("value", "The value of an entitlement."), DISPLAY, TYPE_GENERIC, PRIMARY_GENERIC];

pub(super) const ENTITLEMENTS: AttributeDef = AttributeDef::complex(
    "entitlements",
    ENTITLEMENTS_SUBS,
    "A list of entitlements for the User that represent a thing the User has.",
)
.multi();

const ROLES_SUBS: &[AttributeDef] =
    &[AttributeDef::string("value", "The value of a role."), DISPLAY, TYPE_GENERIC, PRIMARY_GENERIC];

pub(super) const ROLES: AttributeDef = AttributeDef::complex(
    "roles",
    ROLES_SUBS,
    "A list of roles for the User that collectively represent who the User is, e.g., \
     'Student', 'Faculty'.",
)
.multi();

const X509_SUBS: &[AttributeDef] = &[
    AttributeDef::string("value", "The value of an X.509 certificate.").of_kind(AttrType::Binary),
    DISPLAY,
    TYPE_GENERIC,
    PRIMARY_GENERIC,
];

pub(super) const X509_CERTIFICATES: AttributeDef =
    AttributeDef::complex("x509Certificates", X509_SUBS, "A list of certificates issued to the User.").multi();
