//! Bad input gets a SCIM error with the right status and scimType, never a
//! 500, and never a partial write.

use e2e_tests::{e2e, json};
use reqwest::{Method, StatusCode};

e2e!(bad_input_gets_scim_errors, |app| {
    let auth = format!("Bearer {}", app.token);
    let invalid_json = app
        .raw(
            Method::POST,
            "/Users",
            &[("Authorization", &auth), ("Content-Type", "application/scim+json")],
            Some("{\"userName\":".into()),
        )
        .await;
    assert_eq!(invalid_json.status, StatusCode::BAD_REQUEST);
    assert_eq!(invalid_json.body["scimType"], "invalidSyntax");
    assert_eq!(invalid_json.body["status"], "400");

    let plain_json = app
        .raw(
            Method::POST,
            "/Users",
            &[("Authorization", &auth), ("Content-Type", "application/json")],
            Some(json!({"userName": "plain@x.com"}).to_string()),
        )
        .await;
    assert_eq!(plain_json.status, StatusCode::CREATED, "application/json is accepted");

    let missing = app
        .post("/Users", json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "displayName": "No Name"}))
        .await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    assert_eq!(missing.body["scimType"], "invalidValue");

    let wrong_type = app.post("/Users", json!({"userName": 42})).await;
    assert_eq!(wrong_type.status, StatusCode::BAD_REQUEST);
    let too_long = app.post("/Users", json!({"userName": "x".repeat(300)})).await;
    assert_eq!(too_long.status, StatusCode::BAD_REQUEST);
    assert_eq!(too_long.body["scimType"], "invalidValue");

    let huge = format!("{{\"userName\":\"big@x.com\",\"displayName\":\"{}\"}}", "a".repeat(1024 * 1024 + 100));
    let big = app
        .raw(Method::POST, "/Users", &[("Authorization", &auth), ("Content-Type", "application/scim+json")], Some(huge))
        .await;
    assert_eq!(big.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(big.body["status"], "413");

    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let nested = app
        .raw(Method::POST, "/Users", &[("Authorization", &auth), ("Content-Type", "application/scim+json")], Some(deep))
        .await;
    assert_eq!(nested.status, StatusCode::BAD_REQUEST);

    let unknown = app.get("/Nope").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown.body["status"], "404");
    let outside = app.raw(Method::GET, "/../../other", &[], None).await;
    assert_eq!(outside.status, StatusCode::NOT_FOUND);

    for filter in [
        "userName%20eqq%20%22x%22",
        "nope%20eq%20%22x%22",
        "active%20gt%20true",
        "meta.lastModified%20gt%20%22yesterday%22",
        "(userName%20eq%20%22x%22",
    ] {
        let a = app.get(&format!("/Users?filter={filter}")).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{filter}");
        assert_eq!(a.body["scimType"], "invalidFilter", "{filter}: {}", a.body);
    }
    let hostile = "(".repeat(5000) + "userName eq \"x\"" + &")".repeat(5000);
    let a = app.post("/Users/.search", json!({"filter": hostile})).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    let long_or = vec!["userName eq \"x\""; 40_000].join(" or ");
    let a = app.post("/Users/.search", json!({"filter": long_or})).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);

    let bad_count = app.get("/Users?count=abc").await;
    assert_eq!(bad_count.status, StatusCode::BAD_REQUEST);

    let id = app.create_user("err@x.com").await;
    let no_ops =
        app.patch(&format!("/Users/{id}"), json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"]})).await;
    assert_eq!(no_ops.body["scimType"], "invalidSyntax");
    let bad_op = app
        .patch(&format!("/Users/{id}"), json!({"Operations": [{"op": "move", "path": "title", "value": "x"}]}))
        .await;
    assert_eq!(bad_op.body["scimType"], "invalidSyntax");
    let read_only = app
        .patch(&format!("/Users/{id}"), json!({"Operations": [{"op": "replace", "path": "id", "value": "x"}]}))
        .await;
    assert_eq!(read_only.body["scimType"], "mutability");
    let bad_bool = app
        .patch(&format!("/Users/{id}"), json!({"Operations": [{"op": "replace", "path": "active", "value": "maybe"}]}))
        .await;
    assert_eq!(bad_bool.body["scimType"], "invalidValue");
    let two_primaries = app
        .patch(
            &format!("/Users/{id}"),
            json!({"Operations": [{"op": "add", "path": "emails", "value": [
                {"value": "b@x.com", "primary": true}, {"value": "c@x.com", "primary": true}
            ]}]}),
        )
        .await;
    assert_eq!(two_primaries.status, StatusCode::BAD_REQUEST);
    assert_eq!(app.get(&format!("/Users/{id}")).await.body["emails"].as_array().unwrap().len(), 1, "nothing written");
    assert_eq!(app.get("/Groups/not-a-uuid").await.status, StatusCode::NOT_FOUND);
    let empty_group = app.post("/Groups", json!({"displayName": ""})).await;
    assert_eq!(empty_group.status, StatusCode::BAD_REQUEST);
    let not_object = app.post("/Users", json!(["userName"])).await;
    assert_eq!(not_object.status, StatusCode::BAD_REQUEST);
});

// Found by hostile requests: group PATCH did not check the length that
// create checks, and MariaDB answered 500 ("Data too long").
e2e!(a_too_long_external_id_in_a_group_patch_is_invalid_value, |app| {
    let gid = app.create_group("Sales").await;
    let patch = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [
        {"op": "add", "path": "externalId", "value": "x".repeat(3000)}
    ]});
    let a = app.patch(&format!("/Groups/{gid}"), patch).await;
    assert_eq!(a.status, reqwest::StatusCode::BAD_REQUEST, "{}", a.body);
    assert_eq!(a.body["scimType"], "invalidValue");
});

// Found by hostile requests: 5,000 emails made one INSERT with more than
// MySQL's 65,535 placeholders (500); rows are now written in bounded batches.
e2e!(a_user_with_five_thousand_emails_is_not_a_server_error, |app| {
    let mut body = e2e_tests::okta_user("many@x.com");
    body["emails"] = json!((0..5000).map(|i| json!({"value": format!("m{i}@x.com")})).collect::<Vec<_>>());
    let a = app.post("/Users", body).await;
    assert!(a.status.is_success() || a.status == reqwest::StatusCode::BAD_REQUEST, "{} {}", a.status, a.body);
});
