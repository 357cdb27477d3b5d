//! The OpenAPI 3.1 description of the SCIM HTTP API, kept in the repository
//! (`scim-edge/openapi.json`) and served at `GET /scim/v2/openapi.json`
//! without authentication. A test checks it against the router, both ways.

use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;

/// The document, as kept in the repository.
pub const DOCUMENT: &str = include_str!("../openapi.json");

/// GET /openapi.json.
pub async fn document() -> impl IntoResponse {
    ([(CONTENT_TYPE, "application/json")], DOCUMENT)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use axum::body::Body;
    use axum::http::{Method, Request, StatusCode};
    use serde_json::Value;
    use tower::ServiceExt;

    use super::*;
    use crate::routing::ENDPOINTS;
    use crate::{BASE_PATH, Config, router, state::AppState};

    const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

    fn document_routes() -> Result<BTreeSet<(String, String)>, String> {
        let doc: Value = serde_json::from_str(DOCUMENT).map_err(|e| e.to_string())?;
        let paths = doc["paths"].as_object().ok_or("no paths")?;
        Ok(paths
            .iter()
            .flat_map(|(p, item)| {
                METHODS.iter().filter(|m| item.get(**m).is_some()).map(|m| (p.clone(), (*m).to_owned()))
            })
            .collect())
    }

    /// Whether the router serves `method path` (an id stands for `{id}`):
    /// anything but the 404 of an unknown endpoint and 405.
    async fn routed(app: &axum::Router, method: &str, path: &str) -> Result<bool, String> {
        let uri = format!("{BASE_PATH}{}", path.replace("{id}", "some-id"));
        let method = Method::from_bytes(method.to_uppercase().as_bytes()).map_err(|e| e.to_string())?;
        let req = Request::builder().method(method).uri(uri).body(Body::empty()).map_err(|e| e.to_string())?;
        let resp = app.clone().oneshot(req).await.map_err(|e| e.to_string())?;
        let status = resp.status();
        let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20).await.map_err(|e| e.to_string())?;
        let unknown_endpoint =
            status == StatusCode::NOT_FOUND && String::from_utf8_lossy(&bytes).contains("no such endpoint");
        Ok(!unknown_endpoint && status != StatusCode::METHOD_NOT_ALLOWED)
    }

    #[tokio::test]
    async fn the_description_lists_exactly_the_routes_the_router_serves() -> Result<(), String> {
        // No identity-core: the channel connects lazily and requests without
        // a token stop at 401, which is enough to tell a route exists.
        let app = router(AppState::new(Config::for_core("http://127.0.0.1:9")).map_err(|e| e.to_string())?);
        let described = document_routes()?;
        let mut candidates: BTreeSet<String> = described.iter().map(|(p, _)| p.clone()).collect();
        for e in ENDPOINTS.iter().chain(&["openapi.json", "Me", "Token"]) {
            for p in [format!("/{e}"), format!("/{e}/{{id}}"), format!("/{e}/.search"), format!("/{e}/{{id}}/{{id}}")] {
                candidates.insert(p);
            }
        }
        let mut served = BTreeSet::new();
        for path in &candidates {
            for m in METHODS {
                if routed(&app, m, path).await? {
                    served.insert((path.clone(), m.to_owned()));
                }
            }
        }
        // `/Users/{id}` also matches `/Users/.search` for other methods (id ".search").
        let served: BTreeSet<_> = served
            .into_iter()
            .filter(|(p, m)| !(p.ends_with("/.search") && m != "post") || described.contains(&(p.clone(), m.clone())))
            .collect();
        let missing: Vec<_> = served.difference(&described).collect();
        let extra: Vec<_> = described.difference(&served).collect();
        assert!(missing.is_empty(), "served but not described: {missing:?}");
        assert!(extra.is_empty(), "described but not served: {extra:?}");
        Ok(())
    }

    #[test]
    fn the_description_is_openapi_3_1_with_a_bearer_scheme_and_every_body_schema() -> Result<(), String> {
        let doc: Value = serde_json::from_str(DOCUMENT).map_err(|e| e.to_string())?;
        assert_eq!(doc["openapi"], "3.1.0");
        assert_eq!(doc["components"]["securitySchemes"]["bearerAuth"]["scheme"], "bearer");
        for name in [
            "User",
            "EnterpriseUser",
            "Group",
            "GroupMembersExtension",
            "PatchOp",
            "BulkRequest",
            "SearchRequest",
            "ListResponse",
            "Error",
        ] {
            assert!(doc["components"]["schemas"].get(name).is_some(), "{name}");
        }
        assert_eq!(doc["paths"]["/openapi.json"]["get"]["security"], serde_json::json!([]));
        Ok(())
    }
}
