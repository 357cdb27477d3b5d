//! Request shapes from Microsoft's SCIMReferenceCode Postman collection
//! (Entra's own test set) that other servers accept: endpoint names in any
//! case and with a trailing slash, value-filtered and whole-extension
//! `attributes`, and unquoted filter values. Strict tenants keep RFC 7644's
//! quoted values.

use e2e_tests::{TestApp, e2e, enc, json};
use identity_core::store::tenants::{self, Mode};
use reqwest::{Method, StatusCode};
use serde_json::Value;

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// The collection's "Post EnterpriseUser" body (capitalised sub-attribute
/// names included); returns the id.
async fn post_enterprise_user(app: &TestApp, user_name: &str, work: &str, family: &str) -> String {
    let body = json!({
        "userName": user_name,
        "active": true,
        "displayName": "lennay",
        "schemas": [ENTERPRISE, "urn:ietf:params:scim:schemas:core:2.0:User"],
        "externalId": format!("ext-{user_name}"),
        "name": {"formatted": "Adrew Ryan", "familyName": family, "givenName": "Andrew"},
        "emails": [
            {"Primary": true, "type": "work", "value": work},
            {"Primary": false, "type": "home", "value": format!("home-{work}")}
        ],
        (ENTERPRISE): {"Department": "bob", "Manager": {"Value": "SuzzyQ"}}
    });
    let a = app.post("/Users", body).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    a.body["id"].as_str().unwrap().to_owned()
}

fn ids(list: &Value) -> Vec<&str> {
    list["Resources"].as_array().map(|r| r.iter().filter_map(|u| u["id"].as_str()).collect()).unwrap_or_default()
}

e2e!(endpoint_names_match_in_any_case_with_a_trailing_slash_on_every_method, |app| {
    let id = post_enterprise_user(&app, "UserName123", "testing@bob.com", "Leenay").await;

    // "Get empty Users" and "Get User Filters" of the collection.
    assert_eq!(app.get("/users").await.status, StatusCode::OK);
    assert_eq!(app.get("/GROUPS").await.status, StatusCode::OK);
    let found = app.get("/Users/?filter=DisplayName+eq+%22lennay%22").await;
    assert_eq!(found.status, StatusCode::OK, "{}", found.body);
    assert_eq!(ids(&found.body), [id.as_str()]);
    assert_eq!(app.get("/serviceproviderconfig/").await.status, StatusCode::OK);
    assert_eq!(app.get("/resourcetypes/User").await.body["endpoint"], "/Users");

    // Every method, and the canonical name in meta.location and Location.
    let one = app.get(&format!("/USERS/{id}/")).await;
    assert_eq!(one.status, StatusCode::OK);
    assert!(one.body["meta"]["location"].as_str().unwrap().ends_with(&format!("/scim/v2/Users/{id}")));
    let created = app.post("/groups/", json!({"displayName": "Group1DisplayName", "members": []})).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let gid = created.body["id"].as_str().unwrap().to_owned();
    assert!(created.header("location").unwrap().ends_with(&format!("/scim/v2/Groups/{gid}")));
    let patch = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "userName", "value": "ryan3"}]});
    assert_eq!(app.patch(&format!("/users/{id}"), patch).await.body["userName"], "ryan3");
    let mut put = app.get(&format!("/Users/{id}")).await.body;
    put["name"]["formatted"] = json!("NewName");
    assert_eq!(app.put(&format!("/Users/{id}/"), put).await.body["name"]["formatted"], "NewName");
    let search = app.post("/users/.SEARCH", json!({"filter": "userName eq \"ryan3\""})).await;
    assert_eq!(ids(&search.body), [id.as_str()]);
    assert_eq!(app.delete(&format!("/groups/{gid}/")).await.status, StatusCode::NO_CONTENT);
    assert_eq!(app.delete(&format!("/users/{id}")).await.status, StatusCode::NO_CONTENT);
    assert_eq!(app.get(&format!("/Users/{id}")).await.status, StatusCode::NOT_FOUND);
    // Bulk too, and the paths inside it.
    let bulk = app
        .post(
            "/bulk/",
            json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], "Operations": [
                {"method": "POST", "path": "/users/", "bulkId": "b1", "data": {"userName": "bulk@x.com"}}]}),
        )
        .await;
    assert_eq!(bulk.status, StatusCode::OK, "{}", bulk.body);
    assert_eq!(bulk.body["Operations"][0]["status"], "201", "{}", bulk.body);
    assert!(bulk.body["Operations"][0]["location"].as_str().unwrap().contains("/scim/v2/Users/"));
    // Ids keep their case; unknown endpoints are still 404.
    assert_eq!(app.get("/Nope").await.status, StatusCode::NOT_FOUND);
});

e2e!(value_filtered_and_extension_attributes_select_only_what_matches, |app| {
    let id = post_enterprise_user(&app, "UserName111", "emailName357", "Leenay").await;

    // "Get user attributes": attributes=emails[type eq "work"].
    let a = app.get(&format!("/Users/{id}?attributes=emails%5Btype+eq+%22work%22%5D")).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(a.body["emails"], json!([{"primary": true, "type": "work", "value": "emailName357"}]));
    assert!(a.body.get("userName").is_none() && a.body.get(ENTERPRISE).is_none());
    // "Get user via attributes filter", on a list.
    let list = app.get("/Users?attributes=emails%5Bvalue+eq+%22emailName357%22%5D").await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    assert_eq!(list.body["Resources"][0]["emails"].as_array().map(Vec::len), Some(1));
    let sub = app.get(&format!("/Users/{id}?attributes={}", enc("emails[type eq \"home\"].value"))).await;
    assert_eq!(sub.body["emails"], json!([{"value": "home-emailName357"}]));
    let dropped = app.get(&format!("/Users/{id}?excludedAttributes={}", enc("emails[type eq \"home\"]"))).await;
    assert_eq!(dropped.body["emails"].as_array().map(Vec::len), Some(1));

    // A whole extension, by its URN.
    let ext = app.get(&format!("/Users/{id}?attributes={}", enc(ENTERPRISE))).await;
    assert_eq!(ext.status, StatusCode::OK, "{}", ext.body);
    assert_eq!(ext.body[ENTERPRISE]["department"], "bob");
    assert!(ext.body.get("emails").is_none());
    let without = app.get(&format!("/Users?excludedAttributes={}", enc(ENTERPRISE))).await;
    assert_eq!(without.status, StatusCode::OK, "{}", without.body);
    assert!(without.body["Resources"][0].get(ENTERPRISE).is_none());
    assert_eq!(without.body["Resources"][0]["userName"], "UserName111");

    // Still refused: value filters on what has no such sub-attribute.
    let bad = app.get(&format!("/Users/{id}?attributes={}", enc("emails[nope eq \"x\"]"))).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
});

e2e!(lenient_tenants_accept_unquoted_filter_values_and_strict_ones_refuse_them, |app| {
    let omalley = post_enterprise_user(&app, "OMalley", "anna33@example.com", "OMalley").await;
    let emp = post_enterprise_user(&app, "emp1", "anna33@gmail.com", "Employee").await;

    for (filter, expected) in [
        ("userName+sw+O", vec![omalley.as_str()]),
        ("name.familyName+eq+Employee", vec![emp.as_str()]),
        ("userName%20eq%20emp1%20and%20active%20eq%20true", vec![emp.as_str()]),
        ("meta.created+gt+2015-10-10T14:38:21.8617979-07:00", vec![omalley.as_str(), emp.as_str()]),
        ("meta.created+lt+2015-10-10T14:38:21Z", vec![]),
    ] {
        let a = app.get(&format!("/Users?filter={filter}&sortBy=meta.created")).await;
        assert_eq!(a.status, StatusCode::OK, "{filter}: {}", a.body);
        assert_eq!(ids(&a.body), expected, "{filter}");
    }

    let token = app.new_tenant("strict-co").await;
    tenants::set_mode(&app.store, "strict-co", Mode::Strict).await.unwrap();
    let auth = format!("Bearer {token}");
    for filter in ["userName+sw+O", "meta.created+gt+2015-10-10T14:38:21Z"] {
        let a = app.call_as(Some(&auth), Method::GET, &format!("/Users?filter={filter}"), None).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{filter}");
        assert_eq!(a.body["scimType"], "invalidFilter", "{filter}");
    }
    let quoted = app.call_as(Some(&auth), Method::GET, "/Users?filter=userName+sw+%22O%22", None).await;
    assert_eq!(quoted.status, StatusCode::OK);
});

e2e!(the_openapi_description_is_served_without_a_token, |app| {
    let a = app.call_as(None, Method::GET, "/openapi.json", None).await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.header("content-type"), Some("application/json"));
    assert_eq!(a.body["openapi"], "3.1.0");
    assert!(a.body["paths"]["/Users/{id}"]["patch"].is_object());
    assert_eq!(a.body["components"]["securitySchemes"]["bearerAuth"]["scheme"], "bearer");
    // Everything else still needs one.
    assert_eq!(app.call_as(None, Method::GET, "/Users", None).await.status, StatusCode::UNAUTHORIZED);
});
