//! The gRPC call in progress, as the audit trail needs to know it: the
//! method (the operation), the caller's `x-request-id`, and, once
//! authentication succeeds, the tenant and credential id. A task-local set
//! by the tower layer around every call ([`crate::observe`]), like the
//! per-call statement count ([`super::super::stats`]), so the store's write
//! functions can name the caller without every signature carrying it. The
//! write functions note their resource here too ([`super::wrote`]): when
//! the transaction rolls back, the layer still knows what the failed
//! write was about.

use std::cell::RefCell;
use std::future::Future;

use super::super::Store;

tokio::task_local! {
    static CALL: Call;
}

/// What one call has told the audit trail so far.
#[derive(Debug, Default)]
pub struct Call {
    /// The gRPC method path without its leading `/`, e.g.
    /// "identity.v1.UserService/CreateUser".
    pub operation: String,
    pub request_id: String,
    state: RefCell<State>,
}

#[derive(Debug, Default)]
struct State {
    /// Set once the caller is known: where a failure is recorded.
    store: Option<Store>,
    tenant_id: String,
    credential_id: String,
    /// The resource a write function last named.
    target: Option<(&'static str, String)>,
}

/// The caller of a call, as an audit row names it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Caller {
    pub operation: String,
    pub request_id: String,
    pub credential_id: String,
}

impl Call {
    /// A call of `operation` carrying `request_id` ("" when none).
    pub fn new(operation: impl Into<String>, request_id: impl Into<String>) -> Self {
        Self { operation: operation.into(), request_id: request_id.into(), state: RefCell::default() }
    }

    /// The `identity-core` CLI running what `operation` (an AdminService
    /// method path) does; its credential id is `cli`.
    pub fn cli(operation: impl Into<String>) -> Self {
        let call = Self::new(operation, "");
        call.state.borrow_mut().credential_id = "cli".to_owned();
        call
    }
}

/// Runs `fut` as the call `call`.
pub async fn scope<F: Future>(call: Call, fut: F) -> F::Output {
    CALL.scope(call, fut).await
}

/// Notes the authenticated caller of the call in progress (no-op outside
/// a call): `store` is where a failure of the call will be recorded.
pub fn authenticated(store: &Store, tenant_id: &str, credential_id: &str) {
    let _ = CALL.try_with(|c| {
        let mut s = c.state.borrow_mut();
        s.store = Some(store.clone());
        s.tenant_id = tenant_id.to_owned();
        s.credential_id = credential_id.to_owned();
    });
}

/// The caller of the call in progress (all empty outside a call).
pub fn caller() -> Caller {
    CALL.try_with(|c| Caller {
        operation: c.operation.clone(),
        request_id: c.request_id.clone(),
        credential_id: c.state.borrow().credential_id.clone(),
    })
    .unwrap_or_default()
}

/// Notes the resource the call writes.
pub(super) fn target(resource_type: &'static str, resource_id: &str) {
    let _ = CALL.try_with(|c| c.state.borrow_mut().target = Some((resource_type, resource_id.to_owned())));
}

/// What a failed call needs recorded: where, the tenant, the caller and the
/// resource; None outside a call or before authentication succeeded.
pub(super) struct Failed {
    pub store: Store,
    pub tenant_id: String,
    pub caller: Caller,
    pub target: Option<(&'static str, String)>,
}

pub(super) fn failed() -> Option<Failed> {
    CALL.try_with(|c| {
        let s = c.state.borrow();
        Some(Failed {
            store: s.store.clone()?,
            tenant_id: s.tenant_id.clone(),
            caller: Caller {
                operation: c.operation.clone(),
                request_id: c.request_id.clone(),
                credential_id: s.credential_id.clone(),
            },
            target: s.target.clone(),
        })
    })
    .ok()
    .flatten()
}
