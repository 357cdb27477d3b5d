//! Conversion between a protobuf `User` and its rows (`users` +
//! `user_values`). Exhaustive destructuring: a new User field breaks the build
//! here until it is stored.

use std::collections::HashMap;

use proto::v1::{Address, EnterpriseUser, GroupRef, Manager, MultiValue, Name, ResourceMeta, User};
use sea_orm::ActiveValue::Set;

use super::super::entities::{user_values, users};
use super::super::time;
use crate::domain::{ValidUser, version_string};

/// The multi-valued attributes stored in `user_values`, by SCIM name.
pub const EMAILS: &str = "emails";
pub const PHONE_NUMBERS: &str = "phoneNumbers";
pub const IMS: &str = "ims";
pub const PHOTOS: &str = "photos";
pub const ADDRESSES: &str = "addresses";
pub const ENTITLEMENTS: &str = "entitlements";
pub const ROLES: &str = "roles";
pub const X509_CERTIFICATES: &str = "x509Certificates";

/// Longest prefix of a value kept in the indexed `value_lower` column.
pub const VALUE_KEY_CHARS: usize = 255;

/// The lookup key of a multi-valued `value`: lower-cased, cut to the index.
pub fn value_key(v: &str) -> String {
    v.to_lowercase().chars().take(VALUE_KEY_CHARS).collect()
}

/// The `users` row of `user` (all columns set).
pub fn user_row(
    tenant: &str,
    id: &str,
    user: &ValidUser,
    version: i64,
    created_us: i64,
    modified_us: i64,
) -> users::ActiveModel {
    let User {
        id: _,
        external_id,
        user_name,
        name,
        display_name,
        nick_name,
        profile_url,
        title,
        user_type,
        preferred_language,
        locale,
        timezone,
        active,
        emails: _,
        phone_numbers: _,
        ims: _,
        photos: _,
        addresses: _,
        groups: _,
        entitlements: _,
        roles: _,
        x509_certificates: _,
        enterprise,
        meta: _,
        extensions: _,
    } = user.get().clone();
    let Name { formatted, family_name, given_name, middle_name, honorific_prefix, honorific_suffix } =
        name.unwrap_or_default();
    let EnterpriseUser { employee_number, cost_center, organization, division, department, manager } =
        enterprise.unwrap_or_default();
    let Manager { value: manager_value, display_name: manager_display_name } = manager.unwrap_or_default();
    users::ActiveModel {
        tenant_id: Set(tenant.to_owned()),
        id: Set(id.to_owned()),
        user_name_lower: Set(user.user_name_lower()),
        user_name: Set(user_name),
        external_id: Set(external_id),
        display_name: Set(display_name),
        nick_name: Set(nick_name),
        profile_url: Set(profile_url),
        title: Set(title),
        user_type: Set(user_type),
        preferred_language: Set(preferred_language),
        locale: Set(locale),
        timezone: Set(timezone),
        active: Set(active),
        name_formatted: Set(formatted),
        name_family_name: Set(family_name),
        name_given_name: Set(given_name),
        name_middle_name: Set(middle_name),
        name_honorific_prefix: Set(honorific_prefix),
        name_honorific_suffix: Set(honorific_suffix),
        employee_number: Set(employee_number),
        cost_center: Set(cost_center),
        organization: Set(organization),
        division: Set(division),
        department: Set(department),
        manager_value: Set(manager_value),
        manager_display_name: Set(manager_display_name),
        version: Set(version),
        created_us: Set(created_us),
        modified_us: Set(modified_us),
    }
}

/// The `user_values` rows of `user`.
pub fn value_rows(tenant: &str, id: &str, user: &ValidUser) -> Vec<user_values::ActiveModel> {
    let u = user.get();
    let mut rows = Vec::new();
    let lists: [(&str, &[MultiValue]); 7] = [
        (EMAILS, &u.emails),
        (PHONE_NUMBERS, &u.phone_numbers),
        (IMS, &u.ims),
        (PHOTOS, &u.photos),
        (ENTITLEMENTS, &u.entitlements),
        (ROLES, &u.roles),
        (X509_CERTIFICATES, &u.x509_certificates),
    ];
    for (attr, values) in lists {
        for (i, mv) in values.iter().enumerate() {
            let MultiValue { value, r#type, display, primary } = mv.clone();
            let mut row = blank(tenant, id, attr, i);
            row.value_lower = Set(Some(value_key(&value)));
            row.value = Set(Some(value));
            row.kind = Set(r#type);
            row.display = Set(display);
            row.is_primary = Set(primary);
            rows.push(row);
        }
    }
    for (i, a) in u.addresses.iter().enumerate() {
        let Address { formatted, street_address, locality, region, postal_code, country, r#type, primary } = a.clone();
        let mut row = blank(tenant, id, ADDRESSES, i);
        row.kind = Set(r#type);
        row.is_primary = Set(primary);
        row.formatted = Set(formatted);
        row.street_address = Set(street_address);
        row.locality = Set(locality);
        row.region = Set(region);
        row.postal_code = Set(postal_code);
        row.country = Set(country);
        rows.push(row);
    }
    rows
}

fn blank(tenant: &str, id: &str, attr: &str, ordinal: usize) -> user_values::ActiveModel {
    user_values::ActiveModel {
        tenant_id: Set(tenant.to_owned()),
        user_id: Set(id.to_owned()),
        attr: Set(attr.to_owned()),
        ordinal: Set(i32::try_from(ordinal).unwrap_or(i32::MAX)),
        value: Set(None),
        value_lower: Set(None),
        kind: Set(None),
        display: Set(None),
        is_primary: Set(false),
        formatted: Set(None),
        street_address: Set(None),
        locality: Set(None),
        region: Set(None),
        postal_code: Set(None),
        country: Set(None),
    }
}

/// Assembles a `User` from its rows. `values` must be ordered by attr,
/// ordinal.
pub fn to_proto(
    row: users::Model,
    values: Vec<user_values::Model>,
    groups: Vec<GroupRef>,
    extensions: Option<prost_types::Struct>,
) -> User {
    let users::Model {
        tenant_id: _,
        id,
        user_name,
        user_name_lower: _,
        external_id,
        display_name,
        nick_name,
        profile_url,
        title,
        user_type,
        preferred_language,
        locale,
        timezone,
        active,
        name_formatted,
        name_family_name,
        name_given_name,
        name_middle_name,
        name_honorific_prefix,
        name_honorific_suffix,
        employee_number,
        cost_center,
        organization,
        division,
        department,
        manager_value,
        manager_display_name,
        version,
        created_us,
        modified_us,
    } = row;
    let name = Name {
        formatted: name_formatted,
        family_name: name_family_name,
        given_name: name_given_name,
        middle_name: name_middle_name,
        honorific_prefix: name_honorific_prefix,
        honorific_suffix: name_honorific_suffix,
    };
    let manager = (manager_value.is_some() || manager_display_name.is_some())
        .then_some(Manager { value: manager_value, display_name: manager_display_name });
    let enterprise = EnterpriseUser { employee_number, cost_center, organization, division, department, manager };
    let mut by_attr: HashMap<String, Vec<user_values::Model>> = HashMap::new();
    for v in values {
        by_attr.entry(v.attr.clone()).or_default().push(v);
    }
    let mut take = |attr: &str| -> Vec<MultiValue> {
        by_attr
            .remove(attr)
            .unwrap_or_default()
            .into_iter()
            .map(|v| MultiValue {
                value: v.value.unwrap_or_default(),
                r#type: v.kind,
                display: v.display,
                primary: v.is_primary,
            })
            .collect()
    };
    let emails = take(EMAILS);
    let phone_numbers = take(PHONE_NUMBERS);
    let ims = take(IMS);
    let photos = take(PHOTOS);
    let entitlements = take(ENTITLEMENTS);
    let roles = take(ROLES);
    let x509_certificates = take(X509_CERTIFICATES);
    let addresses = by_attr
        .remove(ADDRESSES)
        .unwrap_or_default()
        .into_iter()
        .map(|v| Address {
            formatted: v.formatted,
            street_address: v.street_address,
            locality: v.locality,
            region: v.region,
            postal_code: v.postal_code,
            country: v.country,
            r#type: v.kind,
            primary: v.is_primary,
        })
        .collect();
    User {
        id,
        external_id,
        user_name,
        name: (name != Name::default()).then_some(name),
        display_name,
        nick_name,
        profile_url,
        title,
        user_type,
        preferred_language,
        locale,
        timezone,
        active,
        emails,
        phone_numbers,
        ims,
        photos,
        addresses,
        groups,
        entitlements,
        roles,
        x509_certificates,
        enterprise: (enterprise != EnterpriseUser::default()).then_some(enterprise),
        meta: Some(ResourceMeta {
            created: Some(time::to_proto(created_us)),
            last_modified: Some(time::to_proto(modified_us)),
            version: version_string(version),
        }),
        extensions,
    }
}
