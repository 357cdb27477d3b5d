//! Where each filterable attribute lives: the map from canonical SCIM
//! attribute names to columns (and how they compare).

use super::{CI, ENTERPRISE, Kind, Target};

pub(super) fn user_target(attribute: &str) -> Option<Target> {
    use Target::Column as C;
    let t = match attribute {
        "id" => C("id", Kind::ExactString),
        "externalId" => C("external_id", Kind::ExactString),
        "userName" => C("user_name", Kind::CiString { lower: Some("user_name_lower") }),
        "displayName" => C("display_name", CI),
        "nickName" => C("nick_name", CI),
        "profileUrl" => C("profile_url", CI),
        "title" => C("title", CI),
        "userType" => C("user_type", CI),
        "preferredLanguage" => C("preferred_language", CI),
        "locale" => C("locale", CI),
        "timezone" => C("timezone", CI),
        "active" => C("active", Kind::Bool),
        "name" => Target::Complex(&[
            "name_formatted",
            "name_family_name",
            "name_given_name",
            "name_middle_name",
            "name_honorific_prefix",
            "name_honorific_suffix",
        ]),
        "name.formatted" => C("name_formatted", CI),
        "name.familyName" => C("name_family_name", CI),
        "name.givenName" => C("name_given_name", CI),
        "name.middleName" => C("name_middle_name", CI),
        "name.honorificPrefix" => C("name_honorific_prefix", CI),
        "name.honorificSuffix" => C("name_honorific_suffix", CI),
        "meta.created" => C("created_us", Kind::DateTime),
        "meta.lastModified" => C("modified_us", Kind::DateTime),
        "groups" | "groups.value" => Target::UserGroup,
        other => {
            if let Some(ext) = other.strip_prefix(ENTERPRISE) {
                match ext {
                    "employeeNumber" => C("employee_number", CI),
                    "costCenter" => C("cost_center", CI),
                    "organization" => C("organization", CI),
                    "division" => C("division", CI),
                    "department" => C("department", CI),
                    "manager" => Target::Complex(&["manager_value", "manager_display_name"]),
                    "manager.value" => C("manager_value", Kind::ExactString),
                    "manager.displayName" => C("manager_display_name", CI),
                    _ => return None,
                }
            } else {
                let (attr, sub) = other.split_once('.').unwrap_or((other, "value"));
                let attr = multi_valued(attr)?;
                return element_target(attr, sub);
            }
        }
    };
    Some(t)
}

pub(super) fn group_target(attribute: &str) -> Option<Target> {
    use Target::Column as C;
    Some(match attribute {
        "id" => C("id", Kind::ExactString),
        "externalId" => C("external_id", Kind::ExactString),
        "displayName" => C("display_name", Kind::CiString { lower: Some("display_name_lower") }),
        "meta.created" => C("created_us", Kind::DateTime),
        "meta.lastModified" => C("modified_us", Kind::DateTime),
        "members" | "members.value" => Target::Member { col: "member_id" },
        "members.type" => Target::Member { col: "member_type" },
        _ => return None,
    })
}

pub(super) fn member_target(sub: &str) -> Option<Target> {
    match sub {
        "value" => Some(Target::Member { col: "member_id" }),
        "type" => Some(Target::Member { col: "member_type" }),
        _ => None,
    }
}

/// The canonical name of a multi-valued user attribute stored in `user_values`.
pub(super) fn multi_valued(attr: &str) -> Option<&'static str> {
    use crate::store::users::rows::*;
    [EMAILS, PHONE_NUMBERS, IMS, PHOTOS, ADDRESSES, ENTITLEMENTS, ROLES, X509_CERTIFICATES]
        .into_iter()
        .find(|a| *a == attr)
}

pub(super) fn element_target(attr: &'static str, sub: &str) -> Option<Target> {
    use crate::store::users::rows::{ADDRESSES, PHOTOS, X509_CERTIFICATES};
    let value_kind = if attr == PHOTOS || attr == X509_CERTIFICATES {
        Kind::ExactString
    } else {
        Kind::CiString { lower: Some("value_lower") }
    };
    let (col, kind) = match (attr == ADDRESSES, sub) {
        (_, "type") => ("kind", CI),
        (_, "primary") => ("is_primary", Kind::Bool),
        (false, "value") => ("value", value_kind),
        (false, "display") => ("display", CI),
        (true, "formatted") => ("formatted", CI),
        (true, "streetAddress") => ("street_address", CI),
        (true, "locality") => ("locality", CI),
        (true, "region") => ("region", CI),
        (true, "postalCode") => ("postal_code", CI),
        (true, "country") => ("country", CI),
        _ => return None,
    };
    Some(Target::Element { attr, col, kind })
}
