//! Every limit on input, in one place. identity-core enforces them itself
//! (gRPC callers do not pass through the edge), on every path that writes:
//! create, replace (SCIM PUT), update (SCIM PATCH), import, and so SCIM Bulk,
//! which is made of those. Beyond a limit the answer is INVALID_ARGUMENT
//! naming the field (SCIM 400 `invalidValue`, RFC 7644 §3.12), never a
//! database error.
//!
//! Lengths are what the columns hold on both backends: MySQL's `VARCHAR(255)`
//! for indexed keys, and `TEXT`/`BLOB` (65,535 bytes) for the rest, which
//! SQLite would accept longer; checking here makes both answer the same.
//! The README's "Limits on input" table lists [`ALL`] (a test keeps the two
//! in step).

use proto::v1::{Address, EnterpriseUser, Manager, MultiValue, Name, User};

use crate::error::{Error, Result};

/// Longest userName, externalId, group displayName or manager.value (after
/// lower-casing too): they are indexed, and MySQL bounds index keys.
pub const MAX_KEY_CHARS: usize = 255;
/// Longest other string attribute: a `TEXT` column holds 65,535 bytes, and
/// a utf8mb4 character takes up to 4.
pub const MAX_TEXT_CHARS: usize = 16_383;
/// Most bytes of one stored extension value, once JSON-encoded (`TEXT`).
pub const MAX_TEXT_BYTES: usize = 65_535;
/// Most values of one multi-valued User attribute (emails, phoneNumbers,
/// ims, photos, addresses, entitlements, roles, x509Certificates).
pub const MAX_MULTI_VALUES: usize = 100;
/// Most values of one multi-valued extension attribute.
pub const MAX_EXTENSION_VALUES: usize = 1_000;
/// Most member references in one group write (all its member changes).
pub const MAX_MEMBERS_PER_REQUEST: usize = 10_000;
/// Most extension schemas one tenant may declare.
pub const MAX_SCHEMAS_PER_TENANT: usize = 50;
/// Most attributes one extension schema may declare.
pub const MAX_ATTRIBUTES_PER_SCHEMA: usize = 200;
/// Largest stored schema definition (protobuf-encoded, a `BLOB`).
pub const MAX_SCHEMA_BYTES: usize = 65_535;
/// Longest schema URN (an attribute key is URN + ':' + name).
pub const MAX_SCHEMA_URN_CHARS: usize = 190;
/// Longest extension attribute key, `<urn>:<name>`.
pub const MAX_ATTRIBUTE_KEY_CHARS: usize = 255;
/// Most entries of `User.groups` (direct and indirect) one user shows.
pub const MAX_GROUPS_PER_USER: usize = 1_000;
/// Most `User.groups` entries one page of users carries in total; each user
/// of a page of `n` gets at most `MAX_GROUP_REFS_PER_PAGE / n`. An entry is
/// up to ~300 bytes on the wire: the page's groups stay within 3 MB, under
/// gRPC's default 4 MB message.
pub const MAX_GROUP_REFS_PER_PAGE: usize = 10_000;
/// Most placeholders in one statement: SQLite's default (MySQL allows 65,535).
pub const MAX_PLACEHOLDERS: usize = 32_766;
/// Most values in one `IN (…)` list built from request data.
pub const IN_CHUNK: usize = 500;

/// Every limit, by the name the README's table gives it.
pub const ALL: &[(&str, usize)] = &[
    ("MAX_KEY_CHARS", MAX_KEY_CHARS),
    ("MAX_TEXT_CHARS", MAX_TEXT_CHARS),
    ("MAX_TEXT_BYTES", MAX_TEXT_BYTES),
    ("MAX_MULTI_VALUES", MAX_MULTI_VALUES),
    ("MAX_EXTENSION_VALUES", MAX_EXTENSION_VALUES),
    ("MAX_MEMBERS_PER_REQUEST", MAX_MEMBERS_PER_REQUEST),
    ("MAX_SCHEMAS_PER_TENANT", MAX_SCHEMAS_PER_TENANT),
    ("MAX_ATTRIBUTES_PER_SCHEMA", MAX_ATTRIBUTES_PER_SCHEMA),
    ("MAX_SCHEMA_BYTES", MAX_SCHEMA_BYTES),
    ("MAX_SCHEMA_URN_CHARS", MAX_SCHEMA_URN_CHARS),
    ("MAX_ATTRIBUTE_KEY_CHARS", MAX_ATTRIBUTE_KEY_CHARS),
    ("MAX_GROUPS_PER_USER", MAX_GROUPS_PER_USER),
    ("MAX_GROUP_REFS_PER_PAGE", MAX_GROUP_REFS_PER_PAGE),
    ("MAX_PLACEHOLDERS", MAX_PLACEHOLDERS),
    ("IN_CHUNK", IN_CHUNK),
];

/// Fails when `value` is longer than [`MAX_TEXT_CHARS`].
pub fn text(field: &str, value: &str) -> Result<()> {
    // Bytes bound characters from above: count only when it may matter.
    if value.len() > MAX_TEXT_CHARS && value.chars().count() > MAX_TEXT_CHARS {
        return Err(Error::invalid(field, format!("longer than {MAX_TEXT_CHARS} characters")));
    }
    Ok(())
}

/// [`text`] on an optional value.
pub fn opt_text(field: &str, value: Option<&String>) -> Result<()> {
    value.map_or(Ok(()), |v| text(field, v))
}

/// Fails when `n` items exceed `max`.
pub fn count(field: &str, n: usize, max: usize) -> Result<()> {
    if n > max {
        return Err(Error::invalid(field, format!("holds {n} values, more than {max}")));
    }
    Ok(())
}

/// Rows of `columns` columns per multi-row INSERT within [`MAX_PLACEHOLDERS`].
pub const fn rows_per_insert(columns: usize) -> usize {
    let rows = MAX_PLACEHOLDERS / if columns == 0 { 1 } else { columns };
    if rows == 0 { 1 } else { rows }
}

/// Checks every string of a User except the keys (`domain` checks those)
/// and the count of each multi-valued attribute. Exhaustive: a new User
/// field breaks the build here until it is bounded.
pub fn user(u: &User) -> Result<()> {
    let User {
        id: _,
        external_id: _,
        user_name: _,
        name,
        display_name,
        nick_name,
        profile_url,
        title,
        user_type,
        preferred_language,
        locale,
        timezone,
        active: _,
        emails,
        phone_numbers,
        ims,
        photos,
        addresses,
        groups: _,
        entitlements,
        roles,
        x509_certificates,
        enterprise,
        meta: _,
        extensions: _,
    } = u;
    for (field, v) in [
        ("displayName", display_name),
        ("nickName", nick_name),
        ("profileUrl", profile_url),
        ("title", title),
        ("userType", user_type),
        ("preferredLanguage", preferred_language),
        ("locale", locale),
        ("timezone", timezone),
    ] {
        opt_text(field, v.as_ref())?;
    }
    if let Some(Name { formatted, family_name, given_name, middle_name, honorific_prefix, honorific_suffix }) = name {
        for (field, v) in [
            ("name.formatted", formatted),
            ("name.familyName", family_name),
            ("name.givenName", given_name),
            ("name.middleName", middle_name),
            ("name.honorificPrefix", honorific_prefix),
            ("name.honorificSuffix", honorific_suffix),
        ] {
            opt_text(field, v.as_ref())?;
        }
    }
    if let Some(EnterpriseUser { employee_number, cost_center, organization, division, department, manager }) =
        enterprise
    {
        for (field, v) in [
            ("employeeNumber", employee_number),
            ("costCenter", cost_center),
            ("organization", organization),
            ("division", division),
            ("department", department),
        ] {
            opt_text(field, v.as_ref())?;
        }
        if let Some(Manager { value: _, display_name }) = manager {
            opt_text("manager.displayName", display_name.as_ref())?;
        }
    }
    for (field, list) in [
        ("emails", emails),
        ("phoneNumbers", phone_numbers),
        ("ims", ims),
        ("photos", photos),
        ("entitlements", entitlements),
        ("roles", roles),
        ("x509Certificates", x509_certificates),
    ] {
        count(field, list.len(), MAX_MULTI_VALUES)?;
        for MultiValue { value, r#type, display, primary: _ } in list {
            text(&format!("{field}.value"), value)?;
            opt_text(&format!("{field}.type"), r#type.as_ref())?;
            opt_text(&format!("{field}.display"), display.as_ref())?;
        }
    }
    count("addresses", addresses.len(), MAX_MULTI_VALUES)?;
    for Address { formatted, street_address, locality, region, postal_code, country, r#type, primary: _ } in addresses {
        for (field, v) in [
            ("addresses.formatted", formatted),
            ("addresses.streetAddress", street_address),
            ("addresses.locality", locality),
            ("addresses.region", region),
            ("addresses.postalCode", postal_code),
            ("addresses.country", country),
            ("addresses.type", r#type),
        ] {
            opt_text(field, v.as_ref())?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_limit_is_accepted_at_its_value_and_refused_beyond() {
        assert!(text("title", &"é".repeat(MAX_TEXT_CHARS)).is_ok());
        assert!(text("title", &"é".repeat(MAX_TEXT_CHARS + 1)).is_err());
        let emails = |n: usize| User {
            emails: vec![MultiValue { value: "a@x.com".into(), ..Default::default() }; n],
            ..Default::default()
        };
        assert!(user(&emails(MAX_MULTI_VALUES)).is_ok());
        assert!(
            matches!(user(&emails(MAX_MULTI_VALUES + 1)), Err(Error::InvalidValue { field, .. }) if field == "emails")
        );
    }

    #[test]
    fn every_statement_stays_under_the_placeholder_limit() {
        assert!(rows_per_insert(15) * 15 <= MAX_PLACEHOLDERS);
        assert_eq!(rows_per_insert(0), MAX_PLACEHOLDERS);
        const { assert!(IN_CHUNK * 4 < MAX_PLACEHOLDERS) };
    }

    #[test]
    fn the_readme_documents_every_limit_with_its_value() {
        let readme = include_str!("../../../README.md");
        let section = readme.split("## Limits on input").nth(1).unwrap_or_default();
        for (name, value) in ALL {
            let row = section.lines().find(|l| l.contains(&format!("`{name}`"))).unwrap_or_default();
            let digits = value.to_string();
            let groups: Vec<String> =
                digits.as_bytes().rchunks(3).rev().map(|c| String::from_utf8_lossy(c).into_owned()).collect();
            let shown = groups.join(",");
            assert!(row.contains(&shown), "README's Limits on input table lacks {name} = {shown}");
        }
    }
}
