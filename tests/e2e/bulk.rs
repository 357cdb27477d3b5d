//! Bulk (RFC 7644 §3.7): bulkId references, per-operation results,
//! failOnErrors and the advertised limits, checked with later GETs.

use e2e_tests::{TestApp, e2e, enc, json, okta_user};
use reqwest::{Method, StatusCode};
use serde_json::Value;

const BULK_REQUEST: &str = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";
const BULK_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:BulkResponse";
const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// POSTs a BulkRequest; asserts 200 and returns its `Operations`.
async fn bulk(app: &TestApp, body: Value) -> Vec<Value> {
    let a = app.post("/Bulk", body).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(a.body["schemas"], json!([BULK_RESPONSE]));
    a.body["Operations"].as_array().unwrap().clone()
}

/// The id at the end of a `location`.
fn id_of(location: &Value) -> String {
    location.as_str().unwrap().rsplit('/').next().unwrap().to_owned()
}

async fn user_count(app: &TestApp, user_name: &str) -> u64 {
    let filter = enc(&format!("userName eq \"{user_name}\""));
    app.get(&format!("/Users?filter={filter}")).await.body["totalResults"].as_u64().unwrap()
}

e2e!(one_bulk_creates_users_and_a_group_that_refer_to_them, |app| {
    let ops = bulk(
        &app,
        json!({
            "schemas": [BULK_REQUEST],
            "Operations": [
                {"method": "POST", "path": "/Users", "bulkId": "qwerty", "data": okta_user("alice@x.com")},
                {"method": "POST", "path": "/Users", "bulkId": "bob", "data": {
                    "schemas": [
                        "urn:ietf:params:scim:schemas:core:2.0:User",
                        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
                    ],
                    "userName": "bob@x.com",
                    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
                        "employeeNumber": "11250",
                        "manager": {"value": "bulkId:qwerty"}
                    }
                }},
                {"method": "POST", "path": "/Groups", "bulkId": "ytrewq", "data": {
                    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                    "displayName": "Tour Guides",
                    "members": [{"type": "User", "value": "bulkId:qwerty"}, {"value": "bulkId:bob"}]
                }}
            ]
        }),
    )
    .await;
    assert_eq!(ops.len(), 3);
    for (op, bulk_id) in ops.iter().zip(["qwerty", "bob", "ytrewq"]) {
        assert_eq!(op["method"], "POST");
        assert_eq!(op["bulkId"], bulk_id);
        assert_eq!(op["status"], "201", "{op}");
        assert!(op.get("response").is_none(), "successes carry no body, as in RFC 7644 §3.7.3: {op}");
    }
    let alice = id_of(&ops[0]["location"]);
    let bob = id_of(&ops[1]["location"]);
    let group = id_of(&ops[2]["location"]);
    assert_eq!(ops[0]["location"], format!("{}/Users/{alice}", app.base));
    assert_eq!(ops[2]["location"], format!("{}/Groups/{group}", app.base));

    let a = app.get(&format!("/Users/{alice}")).await;
    assert_eq!(a.body["userName"], "alice@x.com");
    assert_eq!(ops[0]["version"].as_str(), a.header("etag"), "version is the ETag");
    assert_eq!(a.body["groups"][0]["value"], group.as_str());

    let b = app.get(&format!("/Users/{bob}")).await.body;
    assert_eq!(b["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]["manager"]["value"], alice.as_str());

    let g = app.get(&format!("/Groups/{group}")).await;
    assert_eq!(g.body["displayName"], "Tour Guides");
    assert_eq!(ops[2]["version"].as_str(), g.header("etag"));
    let mut members: Vec<&str> =
        g.body["members"].as_array().unwrap().iter().map(|m| m["value"].as_str().unwrap()).collect();
    members.sort_unstable();
    let mut expected = vec![alice.as_str(), bob.as_str()];
    expected.sort_unstable();
    assert_eq!(members, expected);
});

e2e!(bulk_patches_replaces_and_deletes_with_versions, |app| {
    let ann = app.create_user("ann@x.com").await;
    let gone = app.create_user("gone@x.com").await;
    let group = app.create_group("Sales").await;
    let etag = app.get(&format!("/Users/{ann}")).await.header("etag").unwrap().to_owned();

    let ops = bulk(
        &app,
        json!({
            "schemas": [BULK_REQUEST],
            "Operations": [
                {"method": "PATCH", "path": format!("/Users/{ann}"), "version": etag, "data": {
                    "schemas": [PATCH_OP],
                    "Operations": [{"op": "replace", "value": {"active": false}}]
                }},
                {"method": "PATCH", "path": format!("/Groups/{group}"), "data": {
                    "schemas": [PATCH_OP],
                    "Operations": [{"op": "add", "path": "members", "value": [{"value": ann}]}]
                }},
                {"method": "PUT", "path": format!("/Groups/{group}"), "data": {
                    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                    "displayName": "Sales EMEA",
                    "members": [{"value": ann}]
                }},
                {"method": "DELETE", "path": format!("/Users/{gone}")},
                // The ETag read above is stale by now: 412, and a location.
                {"method": "DELETE", "path": format!("/Users/{ann}"), "version": etag},
            ]
        }),
    )
    .await;
    assert_eq!(ops.len(), 5);
    let statuses: Vec<&str> = ops.iter().map(|o| o["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["200", "204", "200", "204", "412"], "{ops:?}");
    assert_eq!(ops[0]["method"], "PATCH");
    assert_eq!(ops[0]["location"], format!("{}/Users/{ann}", app.base));
    assert_ne!(ops[0]["version"], etag.as_str(), "the PATCH made a new version");
    assert_eq!(ops[1]["location"], format!("{}/Groups/{group}", app.base));
    assert_eq!(ops[3]["method"], "DELETE");
    assert_eq!(ops[3]["location"], format!("{}/Users/{gone}", app.base));
    assert!(ops[3].get("response").is_none());
    assert_eq!(ops[4]["location"], format!("{}/Users/{ann}", app.base));
    assert_eq!(ops[4]["response"]["status"], "412");
    assert_eq!(ops[4]["response"]["schemas"], json!(["urn:ietf:params:scim:api:messages:2.0:Error"]));

    let a = app.get(&format!("/Users/{ann}")).await;
    assert_eq!(a.status, StatusCode::OK, "the stale DELETE did nothing");
    assert_eq!(a.body["active"], false);
    assert_eq!(ops[0]["version"].as_str(), a.header("etag"));
    let g = app.get(&format!("/Groups/{group}")).await;
    assert_eq!(g.body["displayName"], "Sales EMEA");
    assert_eq!(g.body["members"][0]["value"], ann.as_str());
    assert_eq!(ops[2]["version"].as_str(), g.header("etag"));
    assert_eq!(app.get(&format!("/Users/{gone}")).await.status, StatusCode::NOT_FOUND);
});

e2e!(fail_on_errors_stops_after_that_many_failures, |app| {
    let body = |fail_on_errors: Value| {
        json!({
            "schemas": [BULK_REQUEST],
            "failOnErrors": fail_on_errors,
            "Operations": [
                {"method": "POST", "path": "/Users", "bulkId": "a", "data": okta_user("first@x.com")},
                {"method": "POST", "path": "/Users", "bulkId": "b", "data": {"displayName": "no userName"}},
                {"method": "DELETE", "path": "/Users/00000000-0000-0000-0000-000000000000"},
                {"method": "POST", "path": "/Users", "bulkId": "c", "data": okta_user("third@x.com")},
            ]
        })
    };
    let ops = bulk(&app, body(json!(1))).await;
    assert_eq!(ops.len(), 2, "the operations after the first failure are neither run nor listed: {ops:?}");
    assert_eq!(ops[0]["status"], "201");
    assert_eq!(ops[1]["status"], "400");
    assert_eq!(ops[1]["bulkId"], "b");
    assert_eq!(ops[1]["response"]["scimType"], "invalidValue");
    assert!(ops[1].get("location").is_none(), "a failed POST has no location");
    assert_eq!(user_count(&app, "first@x.com").await, 1);
    assert_eq!(user_count(&app, "third@x.com").await, 0);

    // failOnErrors 2: the second failure (a 404) stops it.
    app.delete(&format!("/Users/{}", id_of(&ops[0]["location"]))).await;
    let ops = bulk(&app, body(json!(2))).await;
    let statuses: Vec<&str> = ops.iter().map(|o| o["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["201", "400", "404"]);
    assert_eq!(ops[2]["response"]["status"], "404");
    assert_eq!(user_count(&app, "third@x.com").await, 0);

    // Without failOnErrors, everything runs.
    app.delete(&format!("/Users/{}", id_of(&ops[0]["location"]))).await;
    let ops = bulk(&app, body(Value::Null)).await;
    assert_eq!(ops.len(), 4);
    assert_eq!(ops[3]["status"], "201");
    assert_eq!(user_count(&app, "third@x.com").await, 1);
});

e2e!(a_duplicate_user_name_in_bulk_is_a_409_entry_and_the_rest_succeeds, |app| {
    let ops = bulk(
        &app,
        json!({
            "schemas": [BULK_REQUEST],
            "Operations": [
                {"method": "POST", "path": "/Users", "bulkId": "one", "data": okta_user("dup@x.com")},
                {"method": "POST", "path": "/Users", "bulkId": "two", "data": okta_user("DUP@x.com")},
                {"method": "POST", "path": "/Users", "bulkId": "three", "data": okta_user("other@x.com")},
            ]
        }),
    )
    .await;
    let statuses: Vec<&str> = ops.iter().map(|o| o["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["201", "409", "201"]);
    assert_eq!(ops[1]["bulkId"], "two");
    assert_eq!(ops[1]["response"]["scimType"], "uniqueness");
    assert_eq!(ops[1]["response"]["status"], "409");
    assert!(ops[1].get("location").is_none());
    assert_eq!(user_count(&app, "dup@x.com").await, 1);
    assert_eq!(user_count(&app, "other@x.com").await, 1);
});

e2e!(references_to_unknown_failed_or_later_bulk_ids_fail_their_operation, |app| {
    let ops = bulk(
        &app,
        json!({
            "schemas": [BULK_REQUEST],
            "Operations": [
                {"method": "POST", "path": "/Groups", "bulkId": "g1", "data": {
                    "displayName": "Unknown", "members": [{"value": "bulkId:nope"}]
                }},
                {"method": "POST", "path": "/Users", "bulkId": "bad", "data": {"userName": 42}},
                {"method": "POST", "path": "/Groups", "bulkId": "g2", "data": {
                    "displayName": "Failed", "members": [{"value": "bulkId:bad"}]
                }},
                {"method": "POST", "path": "/Groups", "bulkId": "g3", "data": {
                    "displayName": "Circular A", "members": [{"type": "Group", "value": "bulkId:g4"}]
                }},
                {"method": "POST", "path": "/Groups", "bulkId": "g4", "data": {
                    "displayName": "Circular B", "members": [{"type": "Group", "value": "bulkId:g3"}]
                }},
                {"method": "DELETE", "path": "/Users/bulkId:nope"},
                {"method": "POST", "path": "/Users", "bulkId": "ok", "data": okta_user("fine@x.com")},
            ]
        }),
    )
    .await;
    let statuses: Vec<&str> = ops.iter().map(|o| o["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["409", "400", "409", "409", "409", "409", "201"], "{ops:?}");
    for i in [0, 2, 3, 4, 5] {
        assert_eq!(ops[i]["response"]["scimType"], "invalidValue", "{}", ops[i]);
        assert_eq!(ops[i]["response"]["status"], "409");
    }
    assert!(ops[0]["response"]["detail"].as_str().unwrap().contains("no POST operation"));
    assert!(ops[2]["response"]["detail"].as_str().unwrap().contains("failed"));
    assert!(ops[3]["response"]["detail"].as_str().unwrap().contains("later operation"));
    assert!(ops[4]["response"]["detail"].as_str().unwrap().contains("failed"), "g3 failed, so g4 cannot refer to it");
    assert_eq!(ops[5]["location"], format!("{}/Users/bulkId:nope", app.base));

    let groups = app.get("/Groups").await;
    assert_eq!(groups.body["totalResults"], 0, "no group was created: {}", groups.body);
    assert_eq!(user_count(&app, "fine@x.com").await, 1);
});

e2e!(malformed_operations_fail_alone_and_malformed_documents_fail_whole, |app| {
    let ops = bulk(
        &app,
        json!({
            "schemas": [BULK_REQUEST],
            "Operations": [
                {"method": "POST", "path": "/Users", "data": okta_user("nobulkid@x.com")},
                {"method": "GET", "path": "/Users"},
                {"method": "POST", "path": "/Bulk", "bulkId": "nested", "data": {"Operations": []}},
                {"method": "PUT", "path": "/ServiceProviderConfig", "data": {}},
                {"method": "PATCH", "path": "/Users"},
                {"method": "POST", "bulkId": "nopath", "data": {}},
                {"method": "post", "path": "/Users", "bulkId": "lower", "data": okta_user("lower@x.com")},
                {"method": "POST", "path": "/Users", "bulkId": "lower", "data": okta_user("again@x.com")},
            ]
        }),
    )
    .await;
    let statuses: Vec<&str> = ops.iter().map(|o| o["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["400", "400", "400", "400", "400", "400", "201", "400"], "{ops:?}");
    assert_eq!(ops[0]["response"]["scimType"], "invalidSyntax");
    assert!(ops[0]["response"]["detail"].as_str().unwrap().contains("bulkId"));
    assert_eq!(ops[1]["method"], "GET");
    assert_eq!(ops[6]["method"], "POST");
    assert!(ops[7]["response"]["detail"].as_str().unwrap().contains("earlier operation"));
    assert_eq!(user_count(&app, "nobulkid@x.com").await, 0);
    assert_eq!(user_count(&app, "lower@x.com").await, 1);
    assert_eq!(user_count(&app, "again@x.com").await, 0);

    for body in [
        json!([]),
        json!({"schemas": [BULK_REQUEST]}),
        json!({"schemas": [BULK_REQUEST], "Operations": {"method": "DELETE"}}),
        json!({"schemas": [BULK_REQUEST], "Operations": ["DELETE /Users/1"]}),
        json!({"schemas": [BULK_REQUEST], "failOnErrors": 0, "Operations": []}),
    ] {
        let a = app.post("/Bulk", body.clone()).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(a.body["status"], "400");
    }
    let auth = format!("Bearer {}", app.token);
    let not_json = app
        .raw(
            Method::POST,
            "/Bulk",
            &[("Authorization", &auth), ("Content-Type", "application/scim+json")],
            Some("{".into()),
        )
        .await;
    assert_eq!(not_json.body["scimType"], "invalidSyntax");

    let empty = bulk(&app, json!({"schemas": [BULK_REQUEST], "Operations": []})).await;
    assert!(empty.is_empty());
    assert_eq!(app.get("/Bulk").await.status, StatusCode::METHOD_NOT_ALLOWED);
});

e2e!(bulk_needs_a_valid_credential_for_the_whole_request, |app| {
    let body = json!({"schemas": [BULK_REQUEST], "Operations": [
        {"method": "POST", "path": "/Users", "bulkId": "x", "data": okta_user("nobody@x.com")}
    ]});
    let none = app.call_as(None, Method::POST, "/Bulk", Some(body.clone())).await;
    assert_eq!(none.status, StatusCode::UNAUTHORIZED);
    assert_eq!(none.body["status"], "401");
    let wrong = app.call_as(Some("Bearer not-a-token"), Method::POST, "/Bulk", Some(body)).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.body["status"], "401");
    assert_eq!(user_count(&app, "nobody@x.com").await, 0);

    // Another tenant's bulk creates in that tenant only.
    let other = app.new_tenant("globex").await;
    let a = app
        .call_as(
            Some(&format!("Bearer {other}")),
            Method::POST,
            "/Bulk",
            Some(json!({"Operations": [{"method": "POST", "path": "/Users", "bulkId": "x", "data": okta_user("theirs@x.com")}]})),
        )
        .await;
    assert_eq!(a.body["Operations"][0]["status"], "201", "{}", a.body);
    assert_eq!(user_count(&app, "theirs@x.com").await, 0);
});

e2e!(bulk_limits_are_advertised_and_enforced_with_413, |app| {
    let spc = app.get("/ServiceProviderConfig").await.body;
    assert_eq!(spc["bulk"], json!({"supported": true, "maxOperations": 1000, "maxPayloadSize": 1_048_576}));

    let ops: Vec<Value> = (0..1001)
        .map(|i| json!({"method": "POST", "path": "/Users", "bulkId": format!("u{i}"), "data": {"userName": format!("u{i}@x.com")}}))
        .collect();
    let too_many = app.post("/Bulk", json!({"schemas": [BULK_REQUEST], "Operations": ops})).await;
    assert_eq!(too_many.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(too_many.body["status"], "413");
    assert!(too_many.body["detail"].as_str().unwrap().contains("maxOperations (1000)"), "{}", too_many.body);
    assert_eq!(user_count(&app, "u0@x.com").await, 0, "nothing ran");

    let big = json!({"schemas": [BULK_REQUEST], "Operations": [
        {"method": "POST", "path": "/Users", "bulkId": "big", "data": {"userName": "big@x.com", "displayName": "a".repeat(1024 * 1024)}}
    ]});
    let too_large = app.post("/Bulk", big).await;
    assert_eq!(too_large.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(too_large.body["status"], "413");
    assert!(too_large.body["detail"].as_str().unwrap().contains("maxPayloadSize (1048576"), "{}", too_large.body);
    assert_eq!(user_count(&app, "big@x.com").await, 0);

    // Just under the limit is accepted: 1000 operations.
    let ops: Vec<Value> = (0..1000)
        .map(|i| json!({"method": "DELETE", "path": format!("/Groups/00000000-0000-0000-0000-{i:012}")}))
        .collect();
    let a = app.post("/Bulk", json!({"schemas": [BULK_REQUEST], "failOnErrors": 3, "Operations": ops})).await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.body["Operations"].as_array().unwrap().len(), 3);
});
