//! UserService: proto requests -> validated domain values -> user store.

use prost::Message;
use proto::v1::user_service_server::UserService;
use proto::v1::{
    CreateUserRequest, DeleteUserRequest, DeleteUserResponse, GetUserRequest, ImportUsersRequest, ImportUsersResponse,
    ListUsersRequest, ListUsersResponse, ReplaceUserRequest, UpdateUserRequest, User,
};
use tonic::{Request, Response, Status};

use super::{authenticate, expected_version, once, page, total};
use crate::auth::Scope;
use crate::domain::{ResourceId, ValidUser};
use crate::error::{Error, Result};
use crate::store::{ListRequest, Listed, Store, request_ids, users as store};

const KIND: &str = "User";

pub struct Users {
    pub store: Store,
}

#[tonic::async_trait]
impl UserService for Users {
    async fn create_user(&self, req: Request<CreateUserRequest>) -> Result<Response<User>, Status> {
        let tenant = authenticate(&self.store, &req, Scope::Write).await?;
        // The password is write-only and not stored by this version; it is
        // dropped here and never logged.
        let CreateUserRequest { user, password: _, request_id } = req.into_inner();
        let mut user = user.ok_or(Error::MissingField { field: "user" })?;
        user.active = Some(user.active.unwrap_or(true));
        let key = CreateUserRequest { user: Some(user.clone()), password: None, request_id: String::new() };
        let key = key.encode_to_vec();
        let user = ValidUser::parse(user)?;
        let created = request_ids::once(&self.store, once(&tenant, &request_id, "CreateUser", &key), || {
            store::create(&self.store, &tenant, user)
        })
        .await?;
        Ok(Response::new(created))
    }

    async fn get_user(&self, req: Request<GetUserRequest>) -> Result<Response<User>, Status> {
        let tenant = authenticate(&self.store, &req, Scope::Read).await?;
        let id = ResourceId::parse(KIND, &req.get_ref().id)?;
        Ok(Response::new(store::get(&self.store, &tenant, &id).await?))
    }

    async fn list_users(&self, req: Request<ListUsersRequest>) -> Result<Response<ListUsersResponse>, Status> {
        let tenant = authenticate(&self.store, &req, Scope::Read).await?;
        let ListUsersRequest { filter, sort, page_size, page_token, skip, include_total_size } = req.into_inner();
        let page = page(page_size, &page_token, skip, include_total_size)?;
        let request = ListRequest { filter: filter.as_ref(), sort: sort.as_ref(), page };
        let Listed { items, total: n, next_token } = store::list(&self.store, &tenant, request).await?;
        Ok(Response::new(ListUsersResponse { users: items, total_size: total(n), next_page_token: next_token }))
    }

    async fn replace_user(&self, req: Request<ReplaceUserRequest>) -> Result<Response<User>, Status> {
        let tenant = authenticate(&self.store, &req, Scope::Write).await?;
        let ReplaceUserRequest { id, user, expected_version: v } = req.into_inner();
        let id = ResourceId::parse(KIND, &id)?;
        let user = ValidUser::parse(user.ok_or(Error::MissingField { field: "user" })?)?;
        let expected = expected_version(v.as_deref())?;
        Ok(Response::new(store::replace(&self.store, &tenant, &id, user, expected).await?))
    }

    async fn update_user(&self, req: Request<UpdateUserRequest>) -> Result<Response<User>, Status> {
        let tenant = authenticate(&self.store, &req, Scope::Write).await?;
        let UpdateUserRequest { id, user, update_mask, expected_version: v } = req.into_inner();
        let id = ResourceId::parse(KIND, &id)?;
        let from = user.unwrap_or_default();
        let mask = update_mask
            .map(|m| m.paths)
            .unwrap_or_default()
            .iter()
            .map(|p| store::Field::parse(p))
            .collect::<Result<Vec<_>>>()?;
        let expected = expected_version(v.as_deref())?;
        let updated = store::update(&self.store, &tenant, &id, expected, mask, from).await?;
        Ok(Response::new(updated))
    }

    async fn import_users(&self, req: Request<ImportUsersRequest>) -> Result<Response<ImportUsersResponse>, Status> {
        let tenant = authenticate(&self.store, &req, Scope::Write).await?;
        let ImportUsersRequest { users, request_id } = req.into_inner();
        let key = ImportUsersRequest { users, request_id: String::new() };
        let bytes = key.encode_to_vec();
        let users = key
            .users
            .into_iter()
            .map(|mut u| {
                u.active = Some(u.active.unwrap_or(true));
                ValidUser::parse(u)
            })
            .collect::<Result<Vec<_>>>()?;
        let imported = request_ids::once(&self.store, once(&tenant, &request_id, "ImportUsers", &bytes), || async {
            let ids = store::import(&self.store, &tenant, users).await?;
            Ok(ImportUsersResponse { ids: ids.into_iter().map(|i| i.as_str().to_owned()).collect() })
        })
        .await?;
        Ok(Response::new(imported))
    }

    async fn delete_user(&self, req: Request<DeleteUserRequest>) -> Result<Response<DeleteUserResponse>, Status> {
        let tenant = authenticate(&self.store, &req, Scope::Write).await?;
        let DeleteUserRequest { id, expected_version: v } = req.into_inner();
        let id = ResourceId::parse(KIND, &id)?;
        store::delete(&self.store, &tenant, &id, expected_version(v.as_deref())?).await?;
        Ok(Response::new(DeleteUserResponse {}))
    }
}
