//! Domain types: values that are valid by construction. Protobuf input is
//! turned into these at the gRPC border (`grpc`), and storage accepts only
//! these.

use std::fmt;

use proto::v1::{Group, Member, MemberType, User};
use uuid::Uuid;

use crate::error::{Error, Result};

pub mod limits;

pub use limits::MAX_KEY_CHARS;

/// The tenant a request acts for, resolved from its bearer token.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TenantId(String);

impl TenantId {
    /// Wraps an id read from the database.
    pub(crate) fn from_db(id: String) -> Self {
        Self(id)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The id of a user or group: a UUID in canonical lower-case form. Anything
/// else cannot name a stored resource, so parsing fails as NOT_FOUND.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResourceId(String);

impl ResourceId {
    /// A fresh, time-ordered id (UUIDv7): listing by id is creation order.
    pub fn generate() -> Self {
        Self(Uuid::now_v7().to_string())
    }

    /// Parses a client-supplied id of a resource of `kind`.
    pub fn parse(kind: &'static str, raw: &str) -> Result<Self> {
        match Uuid::try_parse(raw) {
            Ok(u) => Ok(Self(u.to_string())),
            Err(_) => Err(Error::NotFound { kind, id: raw.to_owned() }),
        }
    }

    /// Parses an id used as a reference (a member); bad ones are
    /// MEMBER_NOT_FOUND.
    pub fn parse_member(raw: &str) -> Result<Self> {
        Uuid::try_parse(raw).map(|u| Self(u.to_string())).map_err(|_| Error::MemberNotFound { id: raw.to_owned() })
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// An id read back from the database (stored ids are canonical).
    pub(crate) fn from_db(id: String) -> Self {
        Self(id)
    }
}

/// Checks a key-like string: non-empty and within [`MAX_KEY_CHARS`].
fn key(field: &'static str, value: &str) -> Result<()> {
    if value.trim().is_empty() {
        return Err(Error::MissingField { field });
    }
    if value.chars().count() > MAX_KEY_CHARS || value.to_lowercase().chars().count() > MAX_KEY_CHARS {
        return Err(Error::invalid(field, format!("longer than {MAX_KEY_CHARS} characters")));
    }
    Ok(())
}

/// A user whose attributes passed validation; the only user type storage
/// writes.
#[derive(Clone, Debug)]
pub struct ValidUser(User);

impl ValidUser {
    /// Validates `user`: userName present, and every attribute within
    /// [`limits`].
    pub fn parse(user: User) -> Result<Self> {
        key("userName", &user.user_name)?;
        limits::user(&user)?;
        if let Some(ext) = &user.external_id {
            key("externalId", ext)?;
        }
        if let Some(v) = user.enterprise.as_ref().and_then(|e| e.manager.as_ref()).and_then(|m| m.value.as_ref()) {
            key("manager.value", v)?;
        }
        Ok(Self(user))
    }

    pub fn get(&self) -> &User {
        &self.0
    }

    /// The case-folded userName, the uniqueness key.
    pub fn user_name_lower(&self) -> String {
        self.0.user_name.to_lowercase()
    }
}

/// A group's own attributes, validated.
#[derive(Clone, Debug)]
pub struct ValidGroup {
    pub display_name: String,
    pub external_id: Option<String>,
    /// Extension values; checked by the store against the tenant's schemas.
    pub extensions: Option<prost_types::Struct>,
}

impl ValidGroup {
    pub fn parse(group: &Group) -> Result<Self> {
        key("displayName", &group.display_name)?;
        if let Some(ext) = &group.external_id {
            key("externalId", ext)?;
        }
        Ok(Self {
            display_name: group.display_name.clone(),
            external_id: group.external_id.clone(),
            extensions: group.extensions.clone(),
        })
    }
}

/// Whether a member is a user or a group.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemberKind {
    User,
    Group,
}

impl MemberKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "User",
            Self::Group => "Group",
        }
    }
    pub fn from_db(s: &str) -> Self {
        if s == "Group" { Self::Group } else { Self::User }
    }
}

/// A reference to a prospective member.
#[derive(Clone, Debug)]
pub struct MemberRef {
    pub id: ResourceId,
    pub kind: MemberKind,
}

impl MemberRef {
    /// Parses a proto member; its type is required.
    pub fn parse(m: &Member) -> Result<Self> {
        let kind = match MemberType::try_from(m.r#type).unwrap_or(MemberType::Unspecified) {
            MemberType::Group => MemberKind::Group,
            MemberType::User => MemberKind::User,
            MemberType::Unspecified => {
                return Err(Error::invalid("member.type", "must be MEMBER_TYPE_USER or MEMBER_TYPE_GROUP"));
            }
        };
        Ok(Self { id: ResourceId::parse_member(&m.value)?, kind })
    }
}

/// The opaque version string of a stored resource.
pub fn version_string(v: i64) -> String {
    v.to_string()
}

/// Fails with VERSION_MISMATCH when the caller expected another version.
pub fn check_version(expected: Option<i64>, current: i64) -> Result<()> {
    match expected {
        Some(exp) if exp != current => {
            Err(Error::VersionMismatch { expected: exp.to_string(), current: current.to_string() })
        }
        _ => Ok(()),
    }
}

/// Parses an `expected_version`; anything unparsable can never match.
pub fn parse_version(v: &str) -> Option<i64> {
    v.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_non_uuid_id_is_not_found() {
        assert!(matches!(ResourceId::parse("User", "010101001010101011001010101011"), Err(Error::NotFound { .. })));
    }

    #[test]
    fn an_upper_case_uuid_is_normalised() {
        let id = ResourceId::parse("User", "0190A3C2-0000-7000-8000-000000000000").ok();
        assert_eq!(id.map(|i| i.0), Some("0190a3c2-0000-7000-8000-000000000000".to_owned()));
    }

    #[test]
    fn an_empty_user_name_is_missing() {
        let u = User { user_name: "  ".into(), ..Default::default() };
        assert!(matches!(ValidUser::parse(u), Err(Error::MissingField { field: "userName" })));
    }

    #[test]
    fn a_user_name_over_255_characters_is_invalid() {
        let u = User { user_name: "é".repeat(256), ..Default::default() };
        assert!(matches!(ValidUser::parse(u), Err(Error::InvalidValue { .. })));
    }
}
