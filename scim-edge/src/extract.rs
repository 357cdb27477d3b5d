//! Request extractors whose rejections are SCIM errors: the caller's
//! credential and base URL ([`Ctx`]), and a JSON body ([`ScimJson`]).

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRef, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use serde_json::Value;
use tonic::metadata::MetadataValue;

use std::sync::Arc;

use proto::v1::{CompatibilityMode, CredentialKind, WhoAmIRequest};

use crate::error::ScimError;
use crate::schema::{Registry, ResourceKind, Scope};
use crate::state::AppState;
use crate::strict::Mode;
use crate::tenant_cache::Tenant;

/// Who is calling: their bearer token (forwarded to identity-core, which
/// resolves the tenant), their tenant's mode and schemas, and the base URL
/// they reached us at.
#[derive(Clone, Debug)]
pub struct Ctx {
    token: MetadataValue<tonic::metadata::Ascii>,
    /// e.g. `https://app.example.com/scim/v2`, no trailing slash.
    pub base: String,
    tenant: Arc<Tenant>,
}

impl Ctx {
    /// The tenant's compatibility mode.
    pub fn mode(&self) -> Mode {
        self.tenant.mode
    }

    /// `kind` with the tenant's extension schemas.
    pub fn scope(&self, kind: ResourceKind) -> Scope<'_> {
        self.tenant.registry.scope(kind)
    }

    /// The tenant's schemas.
    pub fn registry(&self) -> &Registry {
        &self.tenant.registry
    }

    /// A gRPC request carrying the caller's credential.
    pub fn req<T>(&self, msg: T) -> tonic::Request<T> {
        let mut r = tonic::Request::new(msg);
        r.metadata_mut().insert("authorization", self.token.clone());
        crate::observe::propagate(r.metadata_mut());
        r
    }
}

impl<S> FromRequestParts<S> for Ctx
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ScimError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        let header = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| ScimError::unauthorized("missing Authorization header (expected: Bearer <token>)"))?;
        // Forwarded as sent: identity-core reads `Bearer <token>` and Okta's
        // bare token, and rejects anything else with UNAUTHENTICATED.
        let token =
            MetadataValue::try_from(header).map_err(|_| ScimError::unauthorized("malformed Authorization header"))?;
        let tenant = match state.tenant_cache.get(header) {
            Some(t) => t,
            None => {
                // One call learns the tenant (and checks the credential): its
                // mode and extension schemas shape how the request is read.
                let mut who = tonic::Request::new(WhoAmIRequest {});
                who.metadata_mut().insert("authorization", token.clone());
                crate::observe::propagate(who.metadata_mut());
                let t = state.tenants.clone().who_am_i(who).await?.into_inner();
                // Service accounts are for internal gRPC callers: a SCIM
                // client takes a tenant token or an OAuth token. 403, not
                // 401: the credential is valid, and asking again with it
                // (what a 401 challenge invites) cannot help. Not cached, so
                // the answer never outlives the credential.
                if t.caller.as_ref().is_some_and(|c| c.kind == CredentialKind::ServiceAccount as i32) {
                    return Err(ScimError::forbidden(
                        "service-account credentials are not accepted here; use a tenant token or an OAuth token",
                    ));
                }
                let mode = match CompatibilityMode::try_from(t.mode) {
                    Ok(CompatibilityMode::Strict) => Mode::Strict,
                    // Unspecified is never sent; a newer mode reads leniently.
                    Ok(CompatibilityMode::Lenient | CompatibilityMode::Unspecified) | Err(_) => Mode::Lenient,
                };
                let registry =
                    Registry::from_proto(&t.schemas, state.config.advertise_group_members).strict(mode.is_strict());
                let tenant = Arc::new(Tenant { id: t.id, mode, registry });
                state.tenant_cache.put(header, tenant.clone());
                tenant
            }
        };
        crate::observe::set_tenant(&tenant.id);
        let https = state.config.tls_cert.is_some();
        Ok(Self { token, base: base_url(parts, state.config.public_url.as_deref(), https), tenant })
    }
}

/// The SCIM base URL: the configured public URL, else scheme + Host of the
/// request + `/scim/v2`. The scheme is X-Forwarded-Proto's, else `https`
/// when the edge itself serves TLS (`https`), else `http`.
fn base_url(parts: &Parts, public: Option<&str>, https: bool) -> String {
    if let Some(p) = public {
        return p.trim_end_matches('/').to_owned();
    }
    let host = parts
        .headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| parts.uri.authority().map(|a| a.as_str()))
        .unwrap_or("localhost");
    let scheme = parts
        .headers
        .get("x-forwarded-proto")
        .and_then(|h| h.to_str().ok())
        .filter(|s| *s == "https" || *s == "http")
        .unwrap_or(if https { "https" } else { "http" });
    format!("{scheme}://{host}{}", crate::BASE_PATH)
}

/// A JSON request body, whatever its JSON media type (`application/json`,
/// `application/scim+json; charset=utf-8`). Too large: 413; not JSON: 400
/// `invalidSyntax`.
pub struct ScimJson(pub Value);

impl<S: Send + Sync> FromRequest<S> for ScimJson {
    type Rejection = ScimError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state).await.map_err(|e| match e {
            BytesRejection::FailedToBufferBody(b) if b.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                ScimError::new(StatusCode::PAYLOAD_TOO_LARGE, None, "the request body is too large")
            }
            other => ScimError::invalid_syntax(format!("cannot read the request body: {other}")),
        })?;
        let value: Value = serde_json::from_slice(&bytes)
            .map_err(|e| ScimError::invalid_syntax(format!("the request body is not valid JSON: {e}")))?;
        Ok(Self(value))
    }
}
