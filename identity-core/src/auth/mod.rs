//! Who is calling, and what they may do. A call carries one bearer
//! credential (RFC 6750 §2.1): a tenant's token, an OAuth 2.0 JWT access
//! token from the tenant's issuer (RFC 9068, [`oauth`]), or a service
//! account's credential. [`authenticate`] turns it into a [`Principal`];
//! the gRPC layer then checks the [`Scope`] a method needs.

pub mod oauth;

use tonic::metadata::MetadataMap;

use crate::error::{Error, Result};
use crate::store::Store;
use crate::store::tenants::{self, Tenant};

/// What a credential may do; each scope includes the ones before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    /// Get and List methods.
    Read,
    /// Every method of the user, group and schema services.
    Write,
    /// Write, plus AdminService.
    Admin,
}

/// Which kind of credential made a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CredentialKind {
    /// A tenant's bearer token.
    TenantToken,
    /// An OAuth 2.0 JWT access token from the tenant's issuer.
    OAuth,
    /// A service account (internal gRPC callers).
    ServiceAccount,
}

/// The authenticated caller of one call.
#[derive(Clone, Debug)]
pub struct Principal {
    /// The tenant the call acts on: the credential's own, or, for a service
    /// account bound to no tenant, the one named in `x-tenant-id` (None
    /// when it named none).
    pub tenant: Option<Tenant>,
    /// The credential's id as the audit trail records it; never a secret.
    pub credential_id: String,
    pub kind: CredentialKind,
    pub scope: Scope,
    /// Whether the credential belongs to one tenant (tokens, OAuth, bound
    /// service accounts) rather than naming one per call.
    pub bound: bool,
}

impl Principal {
    /// The tenant the call acts on; PERMISSION_DENIED for an unbound
    /// service account that named none.
    pub fn tenant(&self) -> Result<&Tenant> {
        self.tenant
            .as_ref()
            .ok_or_else(|| Error::PermissionDenied("name the tenant in the x-tenant-id metadata".to_owned()))
    }

    /// PERMISSION_DENIED unless the credential has `scope`.
    pub fn require(&self, scope: Scope) -> Result<()> {
        if self.scope >= scope {
            Ok(())
        } else {
            Err(Error::PermissionDenied(format!("this credential's scope does not allow {scope:?} calls")))
        }
    }

    /// The `identity-core` CLI: an unbound admin, recorded as `cli`.
    pub fn cli() -> Self {
        Self {
            tenant: None,
            credential_id: "cli".to_owned(),
            kind: CredentialKind::ServiceAccount,
            scope: Scope::Admin,
            bound: false,
        }
    }
}

/// The caller behind the `authorization` metadata.
pub async fn authenticate(store: &Store, metadata: &MetadataMap) -> Result<Principal> {
    let header = metadata.get("authorization").and_then(|v| v.to_str().ok()).ok_or(Error::Unauthenticated)?;
    let token = bearer_token(header).ok_or(Error::Unauthenticated)?;
    if oauth::looks_like_jwt(token) {
        return oauth::authenticate(store, token).await;
    }
    let tenant = tenants::authenticate(store, token).await?;
    Ok(Principal {
        tenant: Some(tenant),
        credential_id: tenants::token_id(token),
        kind: CredentialKind::TenantToken,
        scope: Scope::Write,
        bound: true,
    })
}

/// Accepts `Bearer <token>` (scheme case-insensitive) and a bare token.
pub fn bearer_token(header: &str) -> Option<&str> {
    let header = header.trim();
    let token = match header.split_once(' ') {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("bearer") => rest.trim(),
        Some(_) => return None,
        None if header.eq_ignore_ascii_case("bearer") => return None,
        None => header,
    };
    (!token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_and_bare_tokens_are_accepted() {
        assert_eq!(bearer_token("Bearer abc"), Some("abc"));
        assert_eq!(bearer_token("bearer  abc "), Some("abc"));
        assert_eq!(bearer_token("abc"), Some("abc"));
        assert_eq!(bearer_token("Basic abc"), None);
        assert_eq!(bearer_token("Bearer "), None);
    }
}
