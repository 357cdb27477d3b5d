//! The synthetic population: user `i` is `user{i}@example.com` with a work
//! email of the same value and a family name from [`FAMILY_NAMES`] (3 of
//! the 16 start with "A", so `name.familyName sw "A"` matches ~19%).

use serde_json::{Value, json};

/// Family names, cycled by user index.
pub const FAMILY_NAMES: [&str; 16] = [
    "Adams", "Baker", "Clark", "Davis", "Allen", "Evans", "Garcia", "Harris", "Jones", "Khan", "Lopez", "Anderson",
    "Miller", "Nguyen", "Smith", "Young",
];

/// Schema URN of a SCIM User.
pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
/// Schema URN of a SCIM Group.
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
/// Schema URN of a PATCH request.
pub const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// userName (and work email) of user `i`.
pub fn user_name(i: usize) -> String {
    format!("user{i}@example.com")
}

/// Family name of user `i`.
pub fn family_name(i: usize) -> &'static str {
    FAMILY_NAMES[i % FAMILY_NAMES.len()]
}

/// Display name of the group of `size` members.
pub fn group_name(size: usize) -> String {
    format!("bench-group-{size}")
}

/// The SCIM body Okta sends to create a user (RFC 7644 §3.3), for
/// `user_name` with the given family name.
pub fn okta_user(user_name: &str, family: &str) -> Value {
    let local = user_name.split('@').next().unwrap_or(user_name);
    json!({
        "schemas": [USER_SCHEMA],
        "userName": user_name,
        "name": {"givenName": local, "familyName": family},
        "emails": [{"primary": true, "value": user_name, "type": "work"}],
        "displayName": format!("{local} {family}"),
        "locale": "en-US",
        "externalId": format!("00u{local}"),
        "groups": [],
        "password": "1mz050nq",
        "active": true
    })
}

/// The gRPC user equal to [`okta_user`] (password aside: not stored).
pub fn grpc_user(i: usize) -> proto::v1::User {
    use proto::v1::{MultiValue, Name, User};
    let user_name = user_name(i);
    let local = format!("user{i}");
    let family = family_name(i);
    User {
        external_id: Some(format!("00u{local}")),
        name: Some(Name {
            given_name: Some(local.clone()),
            family_name: Some(family.to_owned()),
            ..Default::default()
        }),
        display_name: Some(format!("{local} {family}")),
        locale: Some("en-US".to_owned()),
        active: Some(true),
        emails: vec![MultiValue {
            value: user_name.clone(),
            r#type: Some("work".to_owned()),
            display: None,
            primary: true,
        }],
        user_name,
        ..Default::default()
    }
}

/// A PATCH request body with the given operations.
pub fn patch(operations: Value) -> Value {
    json!({"schemas": [PATCH_OP], "Operations": operations})
}

/// Percent-encodes a query parameter value.
pub fn enc(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn about_a_fifth_of_the_users_have_a_family_name_starting_with_a() {
        let a = FAMILY_NAMES.iter().filter(|n| n.starts_with('A')).count();
        assert_eq!(a, 3);
    }

    #[test]
    fn a_filter_is_percent_encoded() {
        assert_eq!(enc(r#"userName eq "a@b""#), "userName%20eq%20%22a%40b%22");
    }
}
