//! The core User schema `urn:ietf:params:scim:schemas:core:2.0:User`
//! (RFC 7643 §4.1, representation §8.7.1); multi-valued attributes live in `user_multi`.

use super::user_multi::{
    ADDRESSES, EMAILS, ENTITLEMENTS, GROUPS, IMS, PHONE_NUMBERS, PHOTOS, ROLES, X509_CERTIFICATES,
};
use super::{AttributeDef, Mutability, Returned, SchemaDef, USER_SCHEMA, Uniqueness};

const NAME_SUBS: &[AttributeDef] = &[
    AttributeDef::string(
        "formatted",
        "The full name, including all middle names, titles, and suffixes as appropriate, \
         formatted for display (e.g., 'Ms. Barbara J Jensen, III').",
    ),
    AttributeDef::string(
        "familyName",
        "The family name of the User, or last name in most Western languages (e.g., 'Jensen' \
         given the full name 'Ms. Barbara J Jensen, III').",
    ),
    AttributeDef::string(
        "givenName",
        "The given name of the User, or first name in most Western languages (e.g., \
         'Barbara' given the full name 'Ms. Barbara J Jensen, III').",
    ),
    AttributeDef::string(
        "middleName",
        "The middle name(s) of the User (e.g., 'Jane' given the full name 'Ms. Barbara J \
         Jensen, III').",
    ),
    AttributeDef::string(
        "honorificPrefix",
        "The honorific prefix(es) of the User, or title in most Western languages (e.g., \
         'Ms.' given the full name 'Ms. Barbara J Jensen, III').",
    ),
    AttributeDef::string(
        "honorificSuffix",
        "The honorific suffix(es) of the User, or suffix in most Western languages (e.g., \
         'III' given the full name 'Ms. Barbara J Jensen, III').",
    ),
];

const ATTRIBUTES: &[AttributeDef] = &[
    AttributeDef::string(
        "userName",
        "Unique identifier for the User, typically used by the user to directly authenticate \
         to the service provider.  Each User MUST include a non-empty userName value.  This \
         identifier MUST be unique across the service provider's entire set of Users.  \
         REQUIRED.",
    )
    .mandatory()
    .unique(Uniqueness::Server),
    AttributeDef::complex(
        "name",
        NAME_SUBS,
        "The components of the user's real name.  Providers MAY return just the full name as \
         a single string in the formatted sub-attribute, or they MAY return just the \
         individual component attributes using the other sub-attributes, or they MAY return \
         both.  If both variants are returned, they SHOULD be describing the same name, with \
         the formatted name indicating how the component attributes should be combined.",
    ),
    AttributeDef::string(
        "displayName",
        "The name of the User, suitable for display to end-users.  The name SHOULD be the full \
         name of the User being described, if known.",
    ),
    AttributeDef::string(
        "nickName",
        "The casual way to address the user in real life, e.g., 'Bob' or 'Bobby' instead of \
         'Robert'.  This attribute SHOULD NOT be used to represent a User's username (e.g., \
         'bjensen' or 'mpepperidge').",
    ),
    AttributeDef::reference(
        "profileUrl",
        &["external"],
        "A fully qualified URL pointing to a page representing the User's online profile.",
    ),
    AttributeDef::string("title", "The user's title, such as \"Vice President.\""),
    AttributeDef::string(
        "userType",
        "Used to identify the relationship between the organization and the user.  Typical \
         values used might be 'Contractor', 'Employee', 'Intern', 'Temp', 'External', and \
         'Unknown', but any value may be used.",
    ),
    AttributeDef::string(
        "preferredLanguage",
        "Indicates the User's preferred written or spoken language.  Generally used for \
         selecting a localized user interface; e.g., 'en_US' specifies the language English \
         and country US.",
    ),
    AttributeDef::string(
        "locale",
        "Used to indicate the User's default location for purposes of localizing items such \
         as currency, date time format, or numerical representations.",
    ),
    AttributeDef::string(
        "timezone",
        "The User's time zone in the 'Olson' time zone database format, e.g., \
         'America/Los_Angeles'.",
    ),
    AttributeDef::boolean("active", "A Boolean value indicating the User's administrative status."),
    AttributeDef::string(
        "password",
        "The User's cleartext password.  This attribute is intended to be used as a means to \
         specify an initial password when creating a new User or to reset an existing User's \
         password.",
    )
    .mutable(Mutability::WriteOnly)
    .returned_when(Returned::Never),
    EMAILS,
    PHONE_NUMBERS,
    IMS,
    PHOTOS,
    ADDRESSES,
    GROUPS,
    ENTITLEMENTS,
    ROLES,
    X509_CERTIFICATES,
];

/// The core User schema.
pub static USER: SchemaDef =
    SchemaDef { id: USER_SCHEMA, name: "User", description: "User Account", attributes: ATTRIBUTES };
