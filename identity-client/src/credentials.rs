//! What a call is authenticated with: a tenant's bearer token, a service
//! account's credential ([`ServiceAccount`], with the `x-tenant-id` an
//! unbound account names its tenant in), or any other
//! [`CredentialSource`] (e.g. one that mints and refreshes short-lived
//! tokens and hands out the current one).

use std::fmt;
use std::sync::Arc;

use tonic::metadata::{Ascii, MetadataValue};

use crate::Error;

/// Something that yields the `authorization` header of a call. Called once
/// per attempt, so a source may rotate tokens between calls.
pub trait CredentialSource: Send + Sync + 'static {
    /// The header value, e.g. `Bearer <token>`; `None` sends no header.
    fn authorization(&self) -> Result<Option<MetadataValue<Ascii>>, Error>;

    /// The tenant the call acts on, sent as `x-tenant-id` (id or name):
    /// what a service account bound to no tenant must name. `None` (the
    /// default) sends none: the credential's own tenant.
    fn tenant(&self) -> Option<MetadataValue<Ascii>> {
        None
    }
}

/// A service account's credential (`identity-core service-account create`
/// prints one), and for an account bound to no tenant, the tenant its
/// calls act on.
///
/// ```
/// use identity_client::{Credentials, ServiceAccount};
///
/// let creds = Credentials::from_source(ServiceAccount::new("idsa_123").for_tenant("acme"));
/// assert!(!format!("{creds:?}").contains("idsa_123"), "never printed");
/// ```
pub struct ServiceAccount {
    authorization: Result<MetadataValue<Ascii>, ()>,
    tenant: Option<MetadataValue<Ascii>>,
}

impl ServiceAccount {
    /// The account's credential, for calls on its own tenant (a bound
    /// account) or on none (AdminService, for an unbound one).
    pub fn new(secret: &str) -> Self {
        Self { authorization: format!("Bearer {secret}").parse().map_err(|_| ()), tenant: None }
    }

    /// The same account acting on `tenant` (its id or name), sent as
    /// `x-tenant-id` with every call. A name that cannot be a header value
    /// is not sent (identity-core then asks for one).
    pub fn for_tenant(mut self, tenant: &str) -> Self {
        self.tenant = tenant.parse().ok();
        self
    }
}

impl CredentialSource for ServiceAccount {
    fn authorization(&self) -> Result<Option<MetadataValue<Ascii>>, Error> {
        match &self.authorization {
            Ok(v) => Ok(Some(v.clone())),
            Err(()) => Invalid.authorization(),
        }
    }

    fn tenant(&self) -> Option<MetadataValue<Ascii>> {
        self.tenant.clone()
    }
}

/// The credentials of a [`crate::Client`], cheap to clone.
///
/// ```
/// use identity_client::Credentials;
///
/// let creds = Credentials::bearer("tok_123");
/// assert!(format!("{creds:?}").contains("bearer"));
/// assert!(!format!("{creds:?}").contains("tok_123"), "never printed");
/// ```
#[derive(Clone)]
pub struct Credentials(Inner);

#[derive(Clone)]
enum Inner {
    None,
    Bearer(MetadataValue<Ascii>),
    Source(Arc<dyn CredentialSource>),
}

impl Credentials {
    /// A tenant's bearer token (`identity-core tenant create` prints one).
    /// A token that cannot be a header value fails every call with
    /// UNAUTHENTICATED.
    pub fn bearer(token: &str) -> Self {
        match format!("Bearer {token}").parse() {
            Ok(v) => Self(Inner::Bearer(v)),
            Err(_) => Self(Inner::Source(Arc::new(Invalid))),
        }
    }

    /// No credentials: every call must carry its own `authorization`
    /// metadata (a proxy forwarding its callers' tokens, like scim-edge).
    pub fn none() -> Self {
        Self(Inner::None)
    }

    /// Credentials from a custom source (e.g. service-account tokens).
    pub fn from_source(source: impl CredentialSource) -> Self {
        Self(Inner::Source(Arc::new(source)))
    }

    /// The `x-tenant-id` value for the next attempt, if any.
    pub(crate) fn tenant(&self) -> Option<MetadataValue<Ascii>> {
        match &self.0 {
            Inner::Source(s) => s.tenant(),
            Inner::None | Inner::Bearer(_) => None,
        }
    }

    /// The `authorization` value for the next attempt.
    pub(crate) fn header(&self) -> Result<Option<MetadataValue<Ascii>>, Error> {
        match &self.0 {
            Inner::None => Ok(None),
            Inner::Bearer(v) => Ok(Some(v.clone())),
            Inner::Source(s) => s.authorization(),
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.0 {
            Inner::None => "none",
            Inner::Bearer(_) => "bearer",
            Inner::Source(_) => "source",
        };
        f.debug_tuple("Credentials").field(&kind).finish()
    }
}

struct Invalid;

impl CredentialSource for Invalid {
    fn authorization(&self) -> Result<Option<MetadataValue<Ascii>>, Error> {
        Err(Error::local(tonic::Code::Unauthenticated, "the token has characters a header cannot carry"))
    }
}
