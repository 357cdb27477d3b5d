//! Who is calling, and what they may do. A call carries one bearer
//! credential (RFC 6750 §2.1): a tenant's token, an OAuth 2.0 JWT access
//! token from the tenant's issuer (RFC 9068, [`oauth`]), or a service
//! account's credential. [`authenticate`] turns it into a [`Principal`];
//! the gRPC layer then checks the [`Scope`] a method needs.

pub mod oauth;

use tonic::metadata::MetadataMap;

use crate::error::{Error, Result};
use crate::store::Store;
use crate::store::credentials::{self, HolderKind};
use crate::store::tenants::{self, State, Tenant};

/// The metadata an unbound service account names its call's tenant in
/// (the tenant's id or name).
pub const TENANT_HEADER: &str = "x-tenant-id";

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

impl Scope {
    /// `read`, `write` or `admin`, as stored and as the CLI takes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Write => "write",
            Self::Admin => "admin",
        }
    }

    /// Parses [`Scope::as_str`] (case-insensitive).
    pub fn parse(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "read" => Ok(Self::Read),
            "write" => Ok(Self::Write),
            "admin" => Ok(Self::Admin),
            other => Err(Error::invalid("scope", format!("{other:?} is not one of read, write, admin"))),
        }
    }
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
    /// The `identity-core` CLI: an operator on the database host, with
    /// admin scope over every tenant; the audit trail names it "cli".
    pub fn cli() -> Self {
        Self {
            tenant: None,
            credential_id: "cli".to_owned(),
            kind: CredentialKind::ServiceAccount,
            scope: Scope::Admin,
            bound: false,
        }
    }

    /// The tenant the call acts on: PERMISSION_DENIED for an unbound
    /// service account that named none, TENANT_SUSPENDED (PERMISSION_DENIED)
    /// when it is suspended.
    pub fn tenant(&self) -> Result<&Tenant> {
        let t = self
            .tenant
            .as_ref()
            .ok_or_else(|| Error::PermissionDenied("name the tenant in the x-tenant-id metadata".to_owned()))?;
        match t.state {
            State::Active => Ok(t),
            State::Suspended => Err(Error::TenantSuspended),
            // Being deleted: its own credentials are as good as unknown, and
            // to anyone else it is gone.
            State::Deleting if self.bound => Err(Error::Unauthenticated),
            State::Deleting => Err(Error::NotFound { kind: "Tenant", id: t.name.clone() }),
        }
    }

    /// PERMISSION_DENIED unless the credential has `scope`.
    pub fn require(&self, scope: Scope) -> Result<()> {
        if self.scope >= scope {
            Ok(())
        } else {
            Err(Error::PermissionDenied(format!("this credential's scope does not allow {scope:?} calls")))
        }
    }
}

/// The caller behind the `authorization` metadata. UNAUTHENTICATED for a
/// missing, unknown, revoked or expired credential; PERMISSION_DENIED
/// (TENANT_SUSPENDED) when the tenant the call acts on is suspended.
pub async fn authenticate(store: &Store, metadata: &MetadataMap) -> Result<Principal> {
    let header = metadata.get("authorization").and_then(|v| v.to_str().ok()).ok_or(Error::Unauthenticated)?;
    let token = bearer_token(header).ok_or(Error::Unauthenticated)?;
    let principal = if oauth::looks_like_jwt(token) {
        oauth::authenticate(store, token).await?
    } else {
        credential(store, metadata, token).await?
    };
    // A credential of a suspended or deleted tenant is refused on every
    // call; an unbound account is refused only the calls on such a tenant
    // (see [`Principal::tenant`]), so it can still resume it.
    if principal.bound {
        principal.tenant()?;
    }
    Ok(principal)
}

/// A tenant token or a service account's secret.
async fn credential(store: &Store, metadata: &MetadataMap, secret: &str) -> Result<Principal> {
    let holder = credentials::authenticate(store, secret).await?;
    let named = named_tenant(metadata);
    match holder.kind {
        HolderKind::Token => Ok(Principal {
            tenant: holder.tenant,
            credential_id: holder.id,
            kind: CredentialKind::TenantToken,
            scope: Scope::Write,
            bound: true,
        }),
        HolderKind::ServiceAccount { scope } => {
            let scope =
                Scope::parse(&scope).map_err(|_| Error::Internal("a stored service-account scope is unknown"))?;
            let (tenant, bound) = match (holder.tenant, named) {
                // A bound account may repeat its tenant, never name another
                // (the same answer whether that other one exists or not).
                (Some(own), Some(n)) if n != own.id.as_str() && n != own.name => {
                    return Err(Error::PermissionDenied("this credential is bound to another tenant".to_owned()));
                }
                (Some(own), _) => (Some(own), true),
                (None, Some(n)) => (Some(tenants::resolve_cached(store, n).await?), false),
                (None, None) => (None, false),
            };
            Ok(Principal { tenant, credential_id: holder.id, kind: CredentialKind::ServiceAccount, scope, bound })
        }
    }
}

/// The tenant an unbound service account names (`x-tenant-id`).
fn named_tenant(metadata: &MetadataMap) -> Option<&str> {
    metadata.get(TENANT_HEADER).and_then(|v| v.to_str().ok()).map(str::trim).filter(|s| !s.is_empty())
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
