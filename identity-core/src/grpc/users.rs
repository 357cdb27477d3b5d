//! UserService: proto requests -> validated domain values -> user store.

use proto::v1::user_service_server::UserService;
use proto::v1::{
    CreateUserRequest, DeleteUserRequest, DeleteUserResponse, GetUserRequest, ImportUsersRequest, ImportUsersResponse,
    ListUsersRequest, ListUsersResponse, ReplaceUserRequest, UpdateUserRequest, User,
};
use tonic::{Request, Response, Status};

use super::{authenticate, expected_version};
use crate::domain::{ResourceId, ValidUser};
use crate::error::{Error, Result};
use crate::store::{ListRequest, Listed, Store, users as store};

const KIND: &str = "User";

pub struct Users {
    pub store: Store,
}

#[tonic::async_trait]
impl UserService for Users {
    async fn create_user(&self, req: Request<CreateUserRequest>) -> Result<Response<User>, Status> {
        let tenant = authenticate(&self.store, &req).await?;
        // The password is write-only and not stored by this version; it is
        // dropped here and never logged.
        let CreateUserRequest { user, password: _ } = req.into_inner();
        let mut user = user.ok_or(Error::MissingField { field: "user" })?;
        user.active = Some(user.active.unwrap_or(true));
        let user = ValidUser::parse(user)?;
        Ok(Response::new(store::create(&self.store, &tenant, user).await?))
    }

    async fn get_user(&self, req: Request<GetUserRequest>) -> Result<Response<User>, Status> {
        let tenant = authenticate(&self.store, &req).await?;
        let id = ResourceId::parse(KIND, &req.get_ref().id)?;
        Ok(Response::new(store::get(&self.store, &tenant, &id).await?))
    }

    async fn list_users(&self, req: Request<ListUsersRequest>) -> Result<Response<ListUsersResponse>, Status> {
        let tenant = authenticate(&self.store, &req).await?;
        let ListUsersRequest { filter, page, sort } = req.into_inner();
        let request = ListRequest { filter: filter.as_ref(), sort: sort.as_ref(), page: page.as_ref() };
        let Listed { items, total, next_token } = store::list(&self.store, &tenant, request).await?;
        Ok(Response::new(ListUsersResponse { users: items, total_size: total, next_page_token: next_token }))
    }

    async fn replace_user(&self, req: Request<ReplaceUserRequest>) -> Result<Response<User>, Status> {
        let tenant = authenticate(&self.store, &req).await?;
        let ReplaceUserRequest { id, user, expected_version: v } = req.into_inner();
        let id = ResourceId::parse(KIND, &id)?;
        let user = ValidUser::parse(user.ok_or(Error::MissingField { field: "user" })?)?;
        let expected = expected_version(v.as_deref())?;
        Ok(Response::new(store::replace(&self.store, &tenant, &id, user, expected).await?))
    }

    async fn update_user(&self, req: Request<UpdateUserRequest>) -> Result<Response<User>, Status> {
        let tenant = authenticate(&self.store, &req).await?;
        let UpdateUserRequest { id, user, update_mask, expected_version: v } = req.into_inner();
        let id = ResourceId::parse(KIND, &id)?;
        let from = user.unwrap_or_default();
        let paths = update_mask.map(|m| m.paths).unwrap_or_default();
        for p in &paths {
            if !FIELDS.contains(&p.as_str()) {
                return Err(Error::invalid("update_mask", format!("unknown User field {p:?}")).into());
            }
        }
        let expected = expected_version(v.as_deref())?;
        let updated = store::modify(&self.store, &tenant, &id, expected, move |mut current| {
            for p in &paths {
                merge(&mut current, &from, p);
            }
            ValidUser::parse(current)
        })
        .await?;
        Ok(Response::new(updated))
    }

    async fn import_users(&self, req: Request<ImportUsersRequest>) -> Result<Response<ImportUsersResponse>, Status> {
        let tenant = authenticate(&self.store, &req).await?;
        let users = req
            .into_inner()
            .users
            .into_iter()
            .map(|mut u| {
                u.active = Some(u.active.unwrap_or(true));
                ValidUser::parse(u)
            })
            .collect::<Result<Vec<_>>>()?;
        let ids = store::import(&self.store, &tenant, users).await?;
        Ok(Response::new(ImportUsersResponse { ids: ids.into_iter().map(|i| i.as_str().to_owned()).collect() }))
    }

    async fn delete_user(&self, req: Request<DeleteUserRequest>) -> Result<Response<DeleteUserResponse>, Status> {
        let tenant = authenticate(&self.store, &req).await?;
        let DeleteUserRequest { id, expected_version: v } = req.into_inner();
        let id = ResourceId::parse(KIND, &id)?;
        store::delete(&self.store, &tenant, &id, expected_version(v.as_deref())?).await?;
        Ok(Response::new(DeleteUserResponse {}))
    }
}

/// The User fields an update mask may name.
const FIELDS: &[&str] = &[
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
    "emails",
    "phone_numbers",
    "ims",
    "photos",
    "addresses",
    "entitlements",
    "roles",
    "x509_certificates",
    "enterprise",
    "extensions",
];

/// Copies field `path` (one of [`FIELDS`]) from `from` into `to`.
fn merge(to: &mut User, from: &User, path: &str) {
    let f = from.clone();
    match path {
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
        "emails" => to.emails = f.emails,
        "phone_numbers" => to.phone_numbers = f.phone_numbers,
        "ims" => to.ims = f.ims,
        "photos" => to.photos = f.photos,
        "addresses" => to.addresses = f.addresses,
        "entitlements" => to.entitlements = f.entitlements,
        "roles" => to.roles = f.roles,
        "x509_certificates" => to.x509_certificates = f.x509_certificates,
        "enterprise" => to.enterprise = f.enterprise,
        "extensions" => to.extensions = f.extensions,
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_mask_field_is_merged() {
        let from = User { active: Some(true), user_name: "a".into(), title: Some("t".into()), ..Default::default() };
        let mut to = User::default();
        for f in FIELDS {
            merge(&mut to, &from, f);
        }
        assert_eq!(to, from);
    }
}
