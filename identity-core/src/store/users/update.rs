//! Changing some of a user's attributes (UpdateUser, the target of every
//! SCIM PATCH): the row is locked, the named fields are merged into it, and
//! only what they name is written: the `users` row, the `user_values` rows
//! of the multi-valued attributes named, the `custom_values` rows of the
//! extension attributes named. Deactivating a user is six statements
//! (BEGIN, the audit event, lock, UPDATE, the read of the answer, COMMIT),
//! whatever the user holds.

use proto::v1::{Name, ResourceType, User};
use sea_orm::{ColumnTrait, QueryFilter, TryIntoModel};

use super::super::entities::user_values;
use super::super::scoped::Scoped;
use super::super::{Store, audit, in_tx, schemas, time};
use super::{KIND, assemble, lock, rows, write_row};
use crate::domain::{ResourceId, TenantId, ValidUser, check_version};
use crate::error::{Error, Result};

/// One field an update may name (AIP-134 field mask paths, snake_case).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Field {
    /// A column of the `users` row: a top-level singular field, a
    /// sub-field of `name` or of `enterprise`.
    Column(String),
    /// A multi-valued attribute (its SCIM name, as stored).
    Multi(&'static str),
    /// One extension attribute, `<schema URN>:<attribute>`.
    Extension(String),
    /// Every extension value.
    Extensions,
}

const SCALARS: &[&str] = &[
    "external_id",
    "user_name",
    "name",
    "display_name",
    "nick_name",
    "profile_url",
    "title",
    "user_type",
    "preferred_language",
    "locale",
    "timezone",
    "active",
    "enterprise",
];
const NAME: &[&str] =
    &["formatted", "family_name", "given_name", "middle_name", "honorific_prefix", "honorific_suffix"];
const ENTERPRISE: &[&str] = &["employee_number", "cost_center", "organization", "division", "department", "manager"];
const MULTI: &[(&str, &str)] = &[
    ("emails", rows::EMAILS),
    ("phone_numbers", rows::PHONE_NUMBERS),
    ("ims", rows::IMS),
    ("photos", rows::PHOTOS),
    ("addresses", rows::ADDRESSES),
    ("entitlements", rows::ENTITLEMENTS),
    ("roles", rows::ROLES),
    ("x509_certificates", rows::X509_CERTIFICATES),
];

impl Field {
    /// Parses a mask path: a top-level User field, `name.<field>`,
    /// `enterprise.<field>`, `extensions` or `extensions.<urn>:<attribute>`.
    pub fn parse(path: &str) -> Result<Self> {
        let unknown = || Error::invalid("update_mask", format!("unknown User field {path:?}"));
        if let Some(key) = path.strip_prefix("extensions.") {
            return match key.rsplit_once(':') {
                Some((urn, attr)) if !urn.is_empty() && !attr.is_empty() => Ok(Self::Extension(key.to_owned())),
                _ => Err(unknown()),
            };
        }
        if path == "extensions" {
            return Ok(Self::Extensions);
        }
        if let Some((_, stored)) = MULTI.iter().find(|(f, _)| *f == path) {
            return Ok(Self::Multi(stored));
        }
        let known = match path.split_once('.') {
            None => SCALARS.contains(&path),
            Some(("name", sub)) => NAME.contains(&sub),
            Some(("enterprise", sub)) => ENTERPRISE.contains(&sub),
            Some(_) => false,
        };
        if known { Ok(Self::Column(path.to_owned())) } else { Err(unknown()) }
    }
}

/// Sets the fields named in `mask` from `from`; the others keep their
/// stored values. `expected`: the caller's optimistic version check.
pub async fn update(
    store: &Store,
    tenant: &TenantId,
    id: &ResourceId,
    expected: Option<i64>,
    mask: Vec<Field>,
    from: User,
) -> Result<User> {
    let (mask, from) = (std::sync::Arc::new(mask), std::sync::Arc::new(from));
    in_tx(store, |txn| {
        let (tenant, id, mask, from) = (tenant.clone(), id.clone(), mask.clone(), from.clone());
        Box::pin(async move {
            audit::wrote(txn, &tenant, KIND, id.as_str()).await?;
            let row = lock(txn, &tenant, &id).await?;
            check_version(expected, row.version)?;
            let (version, created) = (row.version, row.created_us);
            // The stored singular fields; multi-valued ones stay empty
            // unless named (then they are rewritten from `from`).
            let mut merged = rows::to_proto(row, Vec::new(), Vec::new(), None);
            merged.extensions = None;
            let mut multi = Vec::new();
            let mut ext_keys = Vec::new();
            let mut all_ext = false;
            for field in mask.iter() {
                match field {
                    Field::Column(path) => merge_column(&mut merged, &from, path),
                    Field::Multi(attr) => {
                        merge_multi(&mut merged, &from, attr);
                        multi.push(*attr);
                    }
                    Field::Extension(key) => ext_keys.push(key.clone()),
                    Field::Extensions => all_ext = true,
                }
            }
            let next = ValidUser::parse(merged)?;
            let new_row = rows::user_row(tenant.as_str(), id.as_str(), &next, version + 1, created, time::now_us());
            write_row(txn, &tenant, &id, version, new_row.clone()).await?;
            if !multi.is_empty() {
                user_values::Entity::delete_in(&tenant)
                    .filter(user_values::Column::UserId.eq(id.as_str()))
                    .filter(user_values::Column::Attr.is_in(multi.iter().copied()))
                    .exec(txn)
                    .await?;
                super::insert_values(txn, tenant.as_str(), id.as_str(), &next).await?;
            }
            if all_ext {
                schemas::write(txn, &tenant, ResourceType::User, id.as_str(), from.extensions.as_ref()).await?;
            } else if !ext_keys.is_empty() {
                schemas::write_attrs(
                    txn,
                    &tenant,
                    ResourceType::User,
                    id.as_str(),
                    &ext_keys,
                    from.extensions.as_ref(),
                )
                .await?;
            }
            let row = new_row.try_into_model()?;
            assemble(txn, &tenant, vec![row]).await?.pop().ok_or(Error::Internal("an updated user vanished"))
        })
    })
    .await
}

/// Copies one column field (`active`, `name.given_name`, `enterprise`, …).
fn merge_column(to: &mut User, from: &User, path: &str) {
    let f = from.clone();
    let name = |u: &mut User| u.name.get_or_insert_with(Name::default).clone();
    match path.split_once('.') {
        Some(("name", sub)) => {
            let src = f.name.unwrap_or_default();
            let mut n = name(to);
            match sub {
                "formatted" => n.formatted = src.formatted,
                "family_name" => n.family_name = src.family_name,
                "given_name" => n.given_name = src.given_name,
                "middle_name" => n.middle_name = src.middle_name,
                "honorific_prefix" => n.honorific_prefix = src.honorific_prefix,
                "honorific_suffix" => n.honorific_suffix = src.honorific_suffix,
                _ => {}
            }
            to.name = Some(n);
        }
        Some(("enterprise", sub)) => {
            let src = f.enterprise.unwrap_or_default();
            let mut e = to.enterprise.clone().unwrap_or_default();
            match sub {
                "employee_number" => e.employee_number = src.employee_number,
                "cost_center" => e.cost_center = src.cost_center,
                "organization" => e.organization = src.organization,
                "division" => e.division = src.division,
                "department" => e.department = src.department,
                "manager" => e.manager = src.manager,
                _ => {}
            }
            to.enterprise = Some(e);
        }
        _ => match path {
            "external_id" => to.external_id = f.external_id,
            "user_name" => to.user_name = f.user_name,
            "name" => to.name = f.name,
            "display_name" => to.display_name = f.display_name,
            "nick_name" => to.nick_name = f.nick_name,
            "profile_url" => to.profile_url = f.profile_url,
            "title" => to.title = f.title,
            "user_type" => to.user_type = f.user_type,
            "preferred_language" => to.preferred_language = f.preferred_language,
            "locale" => to.locale = f.locale,
            "timezone" => to.timezone = f.timezone,
            "active" => to.active = f.active,
            "enterprise" => to.enterprise = f.enterprise,
            _ => {}
        },
    }
}

/// Copies one multi-valued attribute (named as stored).
fn merge_multi(to: &mut User, from: &User, attr: &str) {
    match attr {
        rows::EMAILS => to.emails.clone_from(&from.emails),
        rows::PHONE_NUMBERS => to.phone_numbers.clone_from(&from.phone_numbers),
        rows::IMS => to.ims.clone_from(&from.ims),
        rows::PHOTOS => to.photos.clone_from(&from.photos),
        rows::ADDRESSES => to.addresses.clone_from(&from.addresses),
        rows::ENTITLEMENTS => to.entitlements.clone_from(&from.entitlements),
        rows::ROLES => to.roles.clone_from(&from.roles),
        rows::X509_CERTIFICATES => to.x509_certificates.clone_from(&from.x509_certificates),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mask_paths_reach_columns_collections_and_extension_attributes() {
        assert_eq!(Field::parse("active").ok(), Some(Field::Column("active".into())));
        assert_eq!(Field::parse("name.given_name").ok(), Some(Field::Column("name.given_name".into())));
        assert_eq!(Field::parse("emails").ok(), Some(Field::Multi(rows::EMAILS)));
        assert_eq!(
            Field::parse("extensions.urn:acme:2.0:User:badge").ok(),
            Some(Field::Extension("urn:acme:2.0:User:badge".into()))
        );
        assert!(Field::parse("groups").is_err());
        assert!(Field::parse("name.nope").is_err());
    }

    #[test]
    fn a_sub_field_merge_keeps_the_other_sub_fields() {
        let mut to =
            User { name: Some(Name { family_name: Some("Doe".into()), ..Default::default() }), ..Default::default() };
        let from =
            User { name: Some(Name { given_name: Some("Ann".into()), ..Default::default() }), ..Default::default() };
        merge_column(&mut to, &from, "name.given_name");
        let n = to.name.unwrap_or_default();
        assert_eq!((n.given_name.as_deref(), n.family_name.as_deref()), (Some("Ann"), Some("Doe")));
    }
}
