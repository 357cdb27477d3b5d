//! `POST /Bulk` (RFC 7644 §3.7): the operations of a BulkRequest, run one
//! after the other in document order, each as the ordinary request it
//! stands for.
//!
//! How: `lib.rs` builds the SCIM router without `/Bulk`, then adds the
//! `/Bulk` route with a [`Bulk`] state that holds a clone of that router.
//! Each operation becomes an internal `http::Request` (method, `/scim/v2` +
//! `path`, the caller's `Authorization`, `Host` and `X-Forwarded-Proto`,
//! `version` as `If-Match`, `data` as an `application/scim+json` body)
//! answered by the router through `tower::ServiceExt::oneshot`. Handlers,
//! validation, errors, authentication and body limits therefore stay one
//! implementation, and each operation gets exactly the status the same
//! request alone would get (§3.7.3). The inner router has no `/Bulk`, so
//! bulk requests cannot nest; nothing outlives the request, so the edge
//! stays stateless.
//!
//! References (§3.7.2): a string `"bulkId:<id>"` in `path` or anywhere in
//! `data` is replaced by the id of the resource that an earlier POST of the
//! same request created. Operations are not reordered, so a reference to a
//! failed, later (circular) or unknown bulkId fails its operation with 409
//! (§3.7.1 allows 409 for cross-references the server does not resolve).
//!
//! Errors: a body that is not a BulkRequest (not an object, no `Operations`
//! array, an operation that is not an object, a bad `failOnErrors`) is a 400
//! for the whole request; more than [`MAX_OPERATIONS`] operations or more
//! than [`MAX_PAYLOAD_SIZE`] bytes is a 413 naming the limit (§3.7.4).
//! Anything wrong inside one operation (method, path, bulkId, data) fails
//! that operation only and counts towards `failOnErrors`: the server
//! "MUST continue performing as many changes as possible" (§3.7).

use std::collections::{HashMap, HashSet};

use axum::Router;
use axum::body::{Body, Bytes, to_bytes};
use axum::extract::{FromRef, State};
use axum::http::header::{self, HeaderName};
use axum::http::{HeaderMap, HeaderValue, Method, Request, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use proto::v1::WhoAmIRequest;
use serde_json::{Map, Value, json};
use tower::ServiceExt;

use crate::BASE_PATH;
use crate::convert::json::get;
use crate::error::{ScimError, ScimResult, ScimType};
use crate::extract::{Ctx, ScimJson};
use crate::response::{SCIM_CONTENT_TYPE, Scim};
use crate::schema::BULK_RESPONSE;
use crate::state::AppState;

/// Most operations one BulkRequest may carry (advertised as
/// `bulk.maxOperations`).
pub const MAX_OPERATIONS: u32 = 1000;
/// Largest BulkRequest body, in bytes (advertised as `bulk.maxPayloadSize`;
/// enforced by the `/Bulk` route's body limit).
pub const MAX_PAYLOAD_SIZE: u64 = 1024 * 1024;

/// The literal that marks a bulkId reference (RFC 7644 §3.7.2).
const REFERENCE: &str = "bulkId:";
/// Request headers an operation inherits from the BulkRequest: the
/// credential, and what the base URL of `meta.location` is built from.
const INHERITED: [HeaderName; 3] = [header::AUTHORIZATION, header::HOST, HeaderName::from_static("x-forwarded-proto")];

/// State of the `/Bulk` route: the edge's state and the SCIM router that
/// runs the operations.
#[derive(Clone)]
pub struct Bulk {
    state: AppState,
    api: Router,
}

impl Bulk {
    /// `api` is the SCIM router (with its state, without `/Bulk`).
    pub fn new(state: AppState, api: Router) -> Self {
        Self { state, api }
    }
}

impl FromRef<Bulk> for AppState {
    fn from_ref(b: &Bulk) -> Self {
        b.state.clone()
    }
}

/// POST /Bulk (RFC 7644 §3.7): 200 with one result per operation run.
pub async fn bulk(
    State(b): State<Bulk>,
    ctx: Ctx,
    headers: HeaderMap,
    body: Result<ScimJson, ScimError>,
) -> ScimResult<Scim> {
    let ScimJson(body) = body.map_err(|e| {
        if e.status == StatusCode::PAYLOAD_TOO_LARGE {
            // RFC 7644 §3.7.4: the error names the limit exceeded.
            ScimError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                None,
                format!("the size of the bulk request exceeds maxPayloadSize ({MAX_PAYLOAD_SIZE} bytes)"),
            )
        } else {
            e
        }
    })?;
    let request = BulkRequest::parse(&body)?;
    // One credential check: a bad token is a 401 for the request, not one
    // per operation.
    b.state.tenants.clone().who_am_i(ctx.req(WhoAmIRequest {})).await?;

    let inherited = INHERITED.iter().filter_map(|n| Some((n.clone(), headers.get(n)?.clone()))).collect();
    let mut job = Job { api: b.api, inherited, base: ctx.base, declared: request.declared(), created: HashMap::new() };
    let mut results = Vec::with_capacity(request.operations.len());
    let mut errors = 0;
    for op in &request.operations {
        let outcome = job.run(op).await;
        if outcome.status.is_client_error() || outcome.status.is_server_error() {
            errors += 1;
        }
        results.push(outcome.into_json());
        // §3.7: stop after `failOnErrors` errors; the rest is neither run
        // nor listed.
        if request.fail_on_errors.is_some_and(|limit| errors >= limit) {
            break;
        }
    }
    tracing::debug!(operations = results.len(), errors, "bulk request processed");
    Ok(Scim::ok(json!({ "schemas": [BULK_RESPONSE], "Operations": results })))
}

/// A BulkRequest document, checked as a whole.
#[derive(Debug)]
struct BulkRequest<'a> {
    fail_on_errors: Option<u64>,
    operations: Vec<&'a Map<String, Value>>,
}

impl<'a> BulkRequest<'a> {
    /// The document's shape; the operations themselves are checked as they
    /// run. `schemas` is not required, like everywhere else in the edge.
    fn parse(body: &'a Value) -> ScimResult<Self> {
        let obj = body.as_object().ok_or_else(|| ScimError::invalid_syntax("a BulkRequest must be a JSON object"))?;
        let Some(Value::Array(ops)) = get(obj, "Operations") else {
            return Err(ScimError::invalid_syntax("a BulkRequest needs an \"Operations\" array"));
        };
        if ops.len() > MAX_OPERATIONS as usize {
            return Err(ScimError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                None,
                format!("the bulk request has {} operations, more than maxOperations ({MAX_OPERATIONS})", ops.len()),
            ));
        }
        let operations = ops
            .iter()
            .enumerate()
            .map(|(i, op)| {
                op.as_object().ok_or_else(|| ScimError::invalid_syntax(format!("operation {i} must be a JSON object")))
            })
            .collect::<ScimResult<_>>()?;
        let fail_on_errors = match get(obj, "failOnErrors") {
            None => None,
            Some(v) => Some(
                positive_integer(v)
                    .ok_or_else(|| ScimError::invalid_value("failOnErrors must be a positive integer"))?,
            ),
        };
        Ok(Self { fail_on_errors, operations })
    }

    /// The bulkIds of the POST operations, so that a reference to a later
    /// operation can be told from one to nothing.
    fn declared(&self) -> HashSet<String> {
        self.operations
            .iter()
            .filter(|op| get(op, "method").and_then(Value::as_str).is_some_and(|m| m.eq_ignore_ascii_case("POST")))
            .filter_map(|op| get(op, "bulkId").and_then(Value::as_str).map(str::to_owned))
            .collect()
    }
}

/// A JSON integer >= 1, or a string spelling one.
fn positive_integer(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
    .filter(|n| *n > 0)
}

/// One bulk job in progress.
struct Job {
    api: Router,
    /// Headers of the BulkRequest that every operation carries.
    inherited: Vec<(HeaderName, HeaderValue)>,
    /// The SCIM base URL, for the `location` of operations without a body.
    base: String,
    /// bulkIds of all POST operations of the request.
    declared: HashSet<String>,
    /// bulkIds of the POST operations run so far: the id created, or `None`
    /// when the operation failed.
    created: HashMap<String, Option<String>>,
}

/// An operation ready to be sent: checked, references resolved.
struct Call {
    method: Method,
    path: String,
    version: Option<HeaderValue>,
    data: Option<Value>,
}

/// The result of one operation (RFC 7644 §3.7.3).
#[derive(Debug)]
struct Outcome {
    method: Option<String>,
    bulk_id: Option<String>,
    version: Option<String>,
    location: Option<String>,
    status: StatusCode,
    /// The error body of a failed operation.
    response: Option<Value>,
}

impl Outcome {
    fn into_json(self) -> Value {
        let Self { method, bulk_id, version, location, status, response } = self;
        let mut o = Map::new();
        let mut put = |k: &str, v: Option<Value>| {
            if let Some(v) = v {
                o.insert(k.to_owned(), v);
            }
        };
        put("method", method.map(Value::String));
        put("bulkId", bulk_id.map(Value::String));
        put("version", version.map(Value::String));
        put("location", location.map(Value::String));
        put("status", Some(Value::String(status.as_u16().to_string())));
        put("response", response);
        Value::Object(o)
    }
}

impl Job {
    /// Runs one operation: a mistake in it, or the router's answer to it.
    async fn run(&mut self, op: &Map<String, Value>) -> Outcome {
        let method = get(op, "method").and_then(Value::as_str).map(str::to_ascii_uppercase);
        let bulk_id = get(op, "bulkId").and_then(Value::as_str).map(str::to_owned);
        let is_post = method.as_deref() == Some("POST");
        let call = self.prepare(op);
        let target = match &call {
            Ok(c) => Some(c.path.clone()),
            Err(_) => get(op, "path").and_then(Value::as_str).filter(|p| p.starts_with('/')).map(str::to_owned),
        };
        let response = match call {
            Ok(call) => self.send(call).await,
            Err(e) => e.into_response(),
        };
        let (status, headers, body) = read(response).await;
        let failed = status.is_client_error() || status.is_server_error();
        if is_post && let Some(b) = &bulk_id {
            // The first POST with a bulkId owns it (a duplicate fails).
            let id = body.as_ref().and_then(|b| b.get("id")).and_then(Value::as_str).filter(|_| !failed);
            self.created.entry(b.clone()).or_insert(id.map(str::to_owned));
        }
        // §3.7.3: `location` for every operation but a failed POST; the
        // resource's own `meta.location` when there is one.
        let meta_location =
            body.as_ref().and_then(|b| b.pointer("/meta/location")).and_then(Value::as_str).map(str::to_owned);
        let location = match (is_post, failed) {
            (true, true) => None,
            (true, false) => meta_location.or_else(|| header_text(&headers, header::LOCATION)),
            (false, _) => meta_location.or_else(|| target.map(|t| format!("{}{t}", self.base))),
        };
        let version = (!failed)
            .then(|| {
                header_text(&headers, header::ETAG).or_else(|| {
                    body.as_ref().and_then(|b| b.pointer("/meta/version")).and_then(Value::as_str).map(str::to_owned)
                })
            })
            .flatten();
        let response = if failed { Some(error_body(status, body)) } else { None };
        Outcome { method, bulk_id, version, location, status, response }
    }

    /// Checks one operation and resolves its references.
    fn prepare(&self, op: &Map<String, Value>) -> ScimResult<Call> {
        let method = match get(op, "method") {
            None => return Err(ScimError::invalid_syntax("\"method\" is required")),
            Some(Value::String(m)) => match m.to_ascii_uppercase().as_str() {
                "POST" => Method::POST,
                "PUT" => Method::PUT,
                "PATCH" => Method::PATCH,
                "DELETE" => Method::DELETE,
                _ => {
                    return Err(ScimError::invalid_value(format!(
                        "method {m:?} is not supported in a bulk request (expected POST, PUT, PATCH or DELETE)"
                    )));
                }
            },
            Some(_) => return Err(ScimError::invalid_syntax("\"method\" must be a string")),
        };
        let bulk_id = match get(op, "bulkId") {
            None => None,
            Some(Value::String(s)) if !s.is_empty() => Some(s),
            Some(_) => return Err(ScimError::invalid_syntax("\"bulkId\" must be a non-empty string")),
        };
        if method == Method::POST {
            match bulk_id {
                None => return Err(ScimError::invalid_syntax("\"bulkId\" is required for POST (RFC 7644 §3.7)")),
                Some(id) if self.created.contains_key(id) => {
                    return Err(ScimError::invalid_value(format!("bulkId {id:?} is used by an earlier operation")));
                }
                Some(_) => {}
            }
        }
        let path = match get(op, "path") {
            None => return Err(ScimError::invalid_syntax("\"path\" is required")),
            Some(Value::String(p)) => self.resolve_path(&method, p)?,
            Some(_) => return Err(ScimError::invalid_syntax("\"path\" must be a string")),
        };
        let version = match get(op, "version") {
            None => None,
            Some(Value::String(v)) => Some(
                HeaderValue::from_str(v)
                    .map_err(|_| ScimError::invalid_value("\"version\" is not a valid entity tag"))?,
            ),
            Some(_) => return Err(ScimError::invalid_syntax("\"version\" must be a string")),
        };
        let data = match (&method, get(op, "data")) {
            (&Method::DELETE, _) => None,
            (_, None) => return Err(ScimError::invalid_syntax("\"data\" is required for POST, PUT and PATCH")),
            (_, Some(d)) => {
                let mut d = d.clone();
                self.resolve_data(&mut d)?;
                Some(d)
            }
        };
        Ok(Call { method, path, version, data })
    }

    /// `/Users` or `/Groups` for POST, `/Users/{id}` or `/Groups/{id}` for
    /// the others, with a `bulkId:` id resolved.
    fn resolve_path(&self, method: &Method, path: &str) -> ScimResult<String> {
        let bad = || {
            ScimError::invalid_value(format!(
                "path {path:?} must be /Users or /Groups for POST, /Users/{{id}} or /Groups/{{id}} otherwise"
            ))
        };
        // Endpoint names in any case, one trailing `/` tolerated, as on
        // single requests (`crate::routing`).
        let trimmed = path.strip_prefix('/').ok_or_else(bad)?;
        let mut segments = trimmed.strip_suffix('/').unwrap_or(trimmed).split('/');
        let endpoint = segments
            .next()
            .and_then(crate::routing::canonical_endpoint)
            .filter(|e| *e == "Users" || *e == "Groups")
            .ok_or_else(bad)?;
        let id = segments.next();
        if segments.next().is_some() {
            return Err(bad());
        }
        let resolved = match (*method == Method::POST, id) {
            (true, None) => format!("/{endpoint}"),
            (false, Some(id)) if !id.is_empty() && !id.contains(['?', '#']) => {
                format!("/{endpoint}/{}", self.resolve(id)?)
            }
            _ => return Err(bad()),
        };
        Uri::try_from(format!("{BASE_PATH}{resolved}"))
            .map_err(|_| ScimError::invalid_value(format!("path {path:?} is not a valid URI path")))?;
        Ok(resolved)
    }

    /// Replaces every `"bulkId:<id>"` string in `data` (RFC 7644 §3.7.2:
    /// members, the enterprise manager, any other reference).
    fn resolve_data(&self, data: &mut Value) -> ScimResult<()> {
        match data {
            Value::String(s) if s.starts_with(REFERENCE) => *s = self.resolve(s)?,
            Value::Array(items) => items.iter_mut().try_for_each(|v| self.resolve_data(v))?,
            Value::Object(o) => o.values_mut().try_for_each(|v| self.resolve_data(v))?,
            _ => {}
        }
        Ok(())
    }

    /// The id a `bulkId:<id>` reference stands for; other text unchanged.
    fn resolve(&self, text: &str) -> ScimResult<String> {
        let Some(bulk_id) = text.strip_prefix(REFERENCE) else {
            return Ok(text.to_owned());
        };
        let unresolved = |why: &str| {
            ScimError::new(
                StatusCode::CONFLICT,
                Some(ScimType::InvalidValue),
                format!("cannot resolve \"{REFERENCE}{bulk_id}\": {why}"),
            )
        };
        match self.created.get(bulk_id) {
            Some(Some(id)) => Ok(id.clone()),
            Some(None) => Err(unresolved("the operation with that bulkId failed")),
            None if self.declared.contains(bulk_id) => Err(unresolved(
                "that bulkId belongs to this or a later operation, and operations run in document order",
            )),
            None => Err(unresolved("no POST operation of this request has that bulkId")),
        }
    }

    /// Serves one operation with the SCIM router, as the request it stands
    /// for.
    async fn send(&self, call: Call) -> Response {
        let Call { method, path, version, data } = call;
        let mut req = Request::builder().method(method).uri(format!("{BASE_PATH}{path}"));
        for (name, value) in &self.inherited {
            req = req.header(name, value);
        }
        if let Some(v) = version {
            req = req.header(header::IF_MATCH, v);
        }
        let body = match data {
            Some(d) => {
                req = req.header(header::CONTENT_TYPE, SCIM_CONTENT_TYPE);
                Body::from(d.to_string())
            }
            None => Body::empty(),
        };
        match req.body(body) {
            Ok(req) => match self.api.clone().oneshot(req).await {
                Ok(resp) => resp,
                Err(never) => match never {},
            },
            Err(e) => {
                tracing::error!(error = %e, "cannot build the request of a bulk operation");
                ScimError::new(StatusCode::INTERNAL_SERVER_ERROR, None, "internal error").into_response()
            }
        }
    }
}

/// Status, headers and JSON body (if any) of a response.
async fn read(resp: Response) -> (StatusCode, HeaderMap, Option<Value>) {
    let (parts, body) = resp.into_parts();
    let bytes = read_body(body).await;
    (parts.status, parts.headers, serde_json::from_slice(&bytes).ok())
}

async fn read_body(body: Body) -> Bytes {
    // The router's own answer, already in memory: no limit needed.
    to_bytes(body, usize::MAX).await.unwrap_or_else(|e| {
        tracing::error!(error = %e, "cannot read the response of a bulk operation");
        Bytes::new()
    })
}

/// The RFC 7644 §3.12 body of a failed operation: the router's, or one
/// rendered by [`ScimError`] when the answer carried none.
fn error_body(status: StatusCode, body: Option<Value>) -> Value {
    match body {
        Some(body @ Value::Object(_)) => body,
        _ => ScimError::new(status, None, status.canonical_reason().unwrap_or("error")).body(),
    }
}

fn header_text(headers: &HeaderMap, name: HeaderName) -> Option<String> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job() -> Job {
        Job {
            api: Router::new(),
            inherited: Vec::new(),
            base: "http://h/scim/v2".to_owned(),
            declared: ["done", "broken", "later"].into_iter().map(str::to_owned).collect(),
            created: HashMap::from([("done".to_owned(), Some("u1".to_owned())), ("broken".to_owned(), None)]),
        }
    }

    fn scim_type(e: &ScimError) -> Option<&'static str> {
        e.scim_type.map(|t| t.as_str())
    }

    #[test]
    fn a_document_without_operations_is_invalid_syntax() {
        for body in [json!([]), json!({"schemas": [crate::schema::BULK_REQUEST]}), json!({"Operations": {}})] {
            let e = BulkRequest::parse(&body).err().map(|e| (e.status, scim_type(&e)));
            assert_eq!(e, Some((StatusCode::BAD_REQUEST, Some("invalidSyntax"))), "{body}");
        }
        let e = BulkRequest::parse(&json!({"Operations": [42]})).err().map(|e| e.status);
        assert_eq!(e, Some(StatusCode::BAD_REQUEST));
    }

    #[test]
    fn more_operations_than_max_operations_is_413_naming_the_limit() {
        let ops = vec![json!({"method": "DELETE", "path": "/Users/x"}); MAX_OPERATIONS as usize + 1];
        let e = BulkRequest::parse(&json!({ "Operations": ops })).err();
        assert_eq!(e.as_ref().map(|e| e.status), Some(StatusCode::PAYLOAD_TOO_LARGE));
        assert!(e.is_some_and(|e| e.detail.contains("maxOperations (1000)")));
    }

    #[test]
    fn fail_on_errors_must_be_a_positive_integer() {
        let parse =
            |v: Value| BulkRequest::parse(&json!({"failOnErrors": v, "Operations": []})).map(|r| r.fail_on_errors);
        assert_eq!(parse(json!(2)).ok(), Some(Some(2)));
        assert_eq!(parse(json!("3")).ok(), Some(Some(3)));
        assert_eq!(parse(Value::Null).ok(), Some(None));
        for bad in [json!(0), json!(-1), json!(1.5), json!("x"), json!(true)] {
            assert!(parse(bad.clone()).is_err(), "{bad}");
        }
    }

    #[test]
    fn only_post_bulk_ids_are_declared() {
        let body = json!({"Operations": [
            {"method": "post", "bulkId": "a", "path": "/Users", "data": {}},
            {"method": "PUT", "bulkId": "b", "path": "/Users/1", "data": {}},
        ]});
        let declared = BulkRequest::parse(&body).map(|r| r.declared()).unwrap_or_default();
        assert_eq!(declared, HashSet::from(["a".to_owned()]));
    }

    #[test]
    fn paths_must_name_a_collection_for_post_and_a_resource_otherwise() {
        let j = job();
        assert_eq!(j.resolve_path(&Method::POST, "/Users").ok().as_deref(), Some("/Users"));
        assert_eq!(j.resolve_path(&Method::POST, "/users/").ok().as_deref(), Some("/Users"));
        assert_eq!(j.resolve_path(&Method::PUT, "/GROUPS/g1").ok().as_deref(), Some("/Groups/g1"));
        assert_eq!(j.resolve_path(&Method::PATCH, "/Groups/g1").ok().as_deref(), Some("/Groups/g1"));
        assert_eq!(j.resolve_path(&Method::DELETE, "/Users/bulkId:done").ok().as_deref(), Some("/Users/u1"));
        for (method, path) in [
            (Method::POST, "/Users/u1"),
            (Method::PUT, "/Users"),
            (Method::PUT, "/Users/"),
            (Method::POST, "Users"),
            (Method::POST, "/Bulk"),
            (Method::POST, "/ServiceProviderConfig"),
            (Method::DELETE, "/Users/u1/extra"),
            (Method::DELETE, "/Users/u1?x=1"),
            (Method::DELETE, "/Users/a b"),
        ] {
            let e = j.resolve_path(&method, path).err();
            assert_eq!(e.map(|e| e.status), Some(StatusCode::BAD_REQUEST), "{method} {path}");
        }
    }

    #[test]
    fn references_anywhere_in_data_are_replaced() -> Result<(), String> {
        let mut data = json!({
            "displayName": "Tour Guides",
            "members": [{"type": "User", "value": "bulkId:done"}, {"value": "u9"}],
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"manager": {"value": "bulkId:done"}},
        });
        job().resolve_data(&mut data).map_err(|e| e.detail)?;
        assert_eq!(data["members"][0]["value"], "u1");
        assert_eq!(data["members"][1]["value"], "u9");
        assert_eq!(data["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]["manager"]["value"], "u1");
        Ok(())
    }

    #[test]
    fn unresolved_references_are_409_with_a_reason() {
        let j = job();
        for (reference, reason) in
            [("bulkId:broken", "failed"), ("bulkId:later", "later operation"), ("bulkId:nope", "no POST")]
        {
            let e = j.resolve_data(&mut json!({"members": [{"value": reference}]})).err();
            assert_eq!(
                e.as_ref().map(|e| (e.status, scim_type(e))),
                Some((StatusCode::CONFLICT, Some("invalidValue")))
            );
            assert!(e.is_some_and(|e| e.detail.contains(reason)), "{reference}");
        }
    }

    #[test]
    fn a_post_needs_a_fresh_bulk_id_and_data() {
        let j = job();
        for (op, scim) in [
            (json!({"method": "POST", "path": "/Users", "data": {}}), "invalidSyntax"),
            (json!({"method": "POST", "bulkId": "done", "path": "/Users", "data": {}}), "invalidValue"),
            (json!({"method": "POST", "bulkId": "new", "path": "/Users"}), "invalidSyntax"),
            (json!({"method": "GET", "path": "/Users/u1"}), "invalidValue"),
            (json!({"path": "/Users/u1"}), "invalidSyntax"),
            (json!({"method": "DELETE"}), "invalidSyntax"),
        ] {
            let e = op.as_object().and_then(|o| j.prepare(o).err());
            assert_eq!(e.as_ref().and_then(scim_type), Some(scim), "{op}");
        }
        let delete = json!({"method": "delete", "path": "/Users/bulkId:done", "version": "W/\"3\""});
        let call = delete.as_object().map(|o| j.prepare(o));
        assert!(matches!(call, Some(Ok(Call { ref method, ref path, data: None, version: Some(_) }))
            if *method == Method::DELETE && path == "/Users/u1"));
    }
}
