//! AdminService: tenant tokens and service accounts.

use proto::v1::*;
use tonic::{Request, Response, Status};

use crate::error::Error;
use crate::store::Store;

pub async fn issue_token(
    _store: &Store,
    _req: Request<IssueTokenRequest>,
) -> Result<Response<IssueTokenResponse>, Status> {
    Err(Error::Unimplemented("AdminService.IssueToken").into())
}

pub async fn list_tokens(
    _store: &Store,
    _req: Request<ListTokensRequest>,
) -> Result<Response<ListTokensResponse>, Status> {
    Err(Error::Unimplemented("AdminService.ListTokens").into())
}

pub async fn revoke_token(_store: &Store, _req: Request<RevokeTokenRequest>) -> Result<Response<Token>, Status> {
    Err(Error::Unimplemented("AdminService.RevokeToken").into())
}

pub async fn create_service_account(
    _store: &Store,
    _req: Request<CreateServiceAccountRequest>,
) -> Result<Response<CreateServiceAccountResponse>, Status> {
    Err(Error::Unimplemented("AdminService.CreateServiceAccount").into())
}

pub async fn list_service_accounts(
    _store: &Store,
    _req: Request<ListServiceAccountsRequest>,
) -> Result<Response<ListServiceAccountsResponse>, Status> {
    Err(Error::Unimplemented("AdminService.ListServiceAccounts").into())
}

pub async fn revoke_service_account(
    _store: &Store,
    _req: Request<RevokeServiceAccountRequest>,
) -> Result<Response<ServiceAccount>, Status> {
    Err(Error::Unimplemented("AdminService.RevokeServiceAccount").into())
}
