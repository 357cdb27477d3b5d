//! AdminService: tenant tokens and service accounts, over
//! [`crate::admin::credentials`].

use std::time::Duration;

use proto::v1::*;
use tonic::{Request, Response, Status};

use super::super::principal;
use crate::admin::credentials as admin;
use crate::auth;
use crate::error::Error;
use crate::store::credentials::{AccountInfo, TokenInfo};
use crate::store::{Store, timestamp};

/// A token's metadata for the wire.
pub(super) fn token_message(t: &TokenInfo) -> Token {
    Token {
        id: t.id.clone(),
        tenant_id: t.tenant_id.to_string(),
        label: t.label.clone(),
        created: Some(timestamp(t.created_us)),
        expires: t.expires_us.map(timestamp),
        last_used: t.last_used_us.map(timestamp),
        revoked: t.revoked_us.map(timestamp),
    }
}

fn account_message(a: &AccountInfo) -> ServiceAccount {
    let scope = match auth::Scope::parse(&a.scope) {
        Ok(auth::Scope::Read) => Scope::Read,
        Ok(auth::Scope::Write) => Scope::Write,
        Ok(auth::Scope::Admin) => Scope::Admin,
        Err(_) => Scope::Unspecified,
    };
    ServiceAccount {
        id: a.id.clone(),
        name: a.name.clone(),
        scope: scope as i32,
        tenant_id: a.tenant_id.as_ref().map(ToString::to_string).unwrap_or_default(),
        created: Some(timestamp(a.created_us)),
        last_used: a.last_used_us.map(timestamp),
        revoked: a.revoked_us.map(timestamp),
    }
}

pub async fn issue_token(
    store: &Store,
    req: Request<IssueTokenRequest>,
) -> Result<Response<IssueTokenResponse>, Status> {
    let actor = principal(store, &req).await?;
    let r = req.get_ref();
    let expires_in = match u64::try_from(r.expires_in_seconds) {
        Ok(0) => None,
        Ok(s) => Some(Duration::from_secs(s)),
        Err(_) => return Err(Error::invalid("expires_in_seconds", "must not be negative").into()),
    };
    let (token, secret) = admin::issue_token(store, &actor, &r.tenant, &r.label, expires_in).await?;
    Ok(Response::new(IssueTokenResponse { token: Some(token_message(&token)), secret }))
}

pub async fn list_tokens(
    store: &Store,
    req: Request<ListTokensRequest>,
) -> Result<Response<ListTokensResponse>, Status> {
    let actor = principal(store, &req).await?;
    let tokens = admin::list_tokens(store, &actor, &req.get_ref().tenant).await?;
    Ok(Response::new(ListTokensResponse { tokens: tokens.iter().map(token_message).collect() }))
}

pub async fn revoke_token(store: &Store, req: Request<RevokeTokenRequest>) -> Result<Response<Token>, Status> {
    let actor = principal(store, &req).await?;
    let r = req.get_ref();
    let token = admin::revoke_token(store, &actor, &r.tenant, &r.token_id).await?;
    Ok(Response::new(token_message(&token)))
}

pub async fn create_service_account(
    store: &Store,
    req: Request<CreateServiceAccountRequest>,
) -> Result<Response<CreateServiceAccountResponse>, Status> {
    let actor = principal(store, &req).await?;
    let r = req.get_ref();
    let scope = match Scope::try_from(r.scope) {
        Ok(Scope::Read) => auth::Scope::Read,
        Ok(Scope::Write) => auth::Scope::Write,
        Ok(Scope::Admin) => auth::Scope::Admin,
        _ => return Err(Error::invalid("scope", "is READ, WRITE or ADMIN").into()),
    };
    let (account, secret) = admin::create_service_account(store, &actor, &r.name, scope, Some(&r.tenant)).await?;
    Ok(Response::new(CreateServiceAccountResponse { service_account: Some(account_message(&account)), secret }))
}

pub async fn list_service_accounts(
    store: &Store,
    req: Request<ListServiceAccountsRequest>,
) -> Result<Response<ListServiceAccountsResponse>, Status> {
    let actor = principal(store, &req).await?;
    let accounts = admin::list_service_accounts(store, &actor, Some(&req.get_ref().tenant)).await?;
    Ok(Response::new(ListServiceAccountsResponse { service_accounts: accounts.iter().map(account_message).collect() }))
}

pub async fn revoke_service_account(
    store: &Store,
    req: Request<RevokeServiceAccountRequest>,
) -> Result<Response<ServiceAccount>, Status> {
    let actor = principal(store, &req).await?;
    let account = admin::revoke_service_account(store, &actor, &req.get_ref().service_account_id).await?;
    Ok(Response::new(account_message(&account)))
}
