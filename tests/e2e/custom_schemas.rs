//! Per-tenant extension schemas (Okta custom attributes): declared through
//! identity-core, published in discovery, validated, stored, filterable and
//! patchable like the built-in attributes.

use e2e_tests::{TestApp, e2e, enc, json};
use proto::v1::{AttributeDefinition, AttributeType, CreateSchemaRequest, ResourceType, Returned, Schema};
use reqwest::{Method, StatusCode};
use tonic::Code;

const ACME: &str = "urn:ietf:params:scim:schemas:extension:acme:2.0:User";
const ACME_GROUP: &str = "urn:ietf:params:scim:schemas:extension:acme:2.0:Group";

fn attr(name: &str, t: AttributeType) -> AttributeDefinition {
    AttributeDefinition { name: name.into(), r#type: t as i32, ..Default::default() }
}

/// Declares the acme User and Group schemas for the test's tenant.
async fn declare(app: &TestApp) {
    let mut client = app.schema_client().await;
    let user = Schema {
        id: ACME.into(),
        name: "AcmeUser".into(),
        description: "Acme's own user attributes".into(),
        resource_type: ResourceType::User as i32,
        attributes: vec![
            attr("badge", AttributeType::String),
            attr("level", AttributeType::Integer),
            attr("contractor", AttributeType::Boolean),
            attr("hired", AttributeType::DateTime),
            AttributeDefinition { multi_valued: true, ..attr("skills", AttributeType::String) },
            AttributeDefinition {
                canonical_values: vec!["low".into(), "high".into()],
                ..attr("clearance", AttributeType::String)
            },
            AttributeDefinition { returned: Returned::Never as i32, ..attr("pin", AttributeType::String) },
        ],
    };
    client
        .create_schema(
            app.grpc(&app.token, CreateSchemaRequest { schema: Some(user.clone()), request_id: String::new() }),
        )
        .await
        .unwrap();
    let dup = client
        .create_schema(app.grpc(&app.token, CreateSchemaRequest { schema: Some(user), request_id: String::new() }))
        .await
        .unwrap_err();
    assert_eq!(dup.code(), Code::AlreadyExists);
    let group = Schema {
        id: ACME_GROUP.into(),
        resource_type: ResourceType::Group as i32,
        attributes: vec![attr("costCode", AttributeType::String)],
        ..Default::default()
    };
    client
        .create_schema(app.grpc(&app.token, CreateSchemaRequest { schema: Some(group), request_id: String::new() }))
        .await
        .unwrap();
    let core = Schema {
        id: "urn:ietf:params:scim:schemas:core:2.0:User".into(),
        resource_type: ResourceType::User as i32,
        attributes: vec![attr("x", AttributeType::String)],
        ..Default::default()
    };
    let refused = client
        .create_schema(app.grpc(&app.token, CreateSchemaRequest { schema: Some(core), request_id: String::new() }))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
}

fn acme_user(user_name: &str, ext: serde_json::Value) -> serde_json::Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ACME],
        "userName": user_name,
        "active": true,
        (ACME): ext,
    })
}

async fn names(app: &TestApp, filter: &str) -> Vec<String> {
    let a = app.get(&format!("/Users?filter={}&sortBy=userName", enc(filter))).await;
    assert_eq!(a.status, StatusCode::OK, "{filter}: {}", a.body);
    a.body["Resources"].as_array().unwrap().iter().map(|r| r["userName"].as_str().unwrap().to_owned()).collect()
}

e2e!(custom_attributes_are_published_stored_filtered_and_patched, |app| {
    declare(&app).await;

    // Discovery: this tenant sees its schemas; another tenant does not.
    let schemas = app.get("/Schemas").await;
    assert_eq!(schemas.body["totalResults"], 7, "5 of RFC 7643 and the group-members draft, 2 of the tenant");
    let acme = app.get(&format!("/Schemas/{ACME}")).await;
    assert_eq!(acme.status, StatusCode::OK);
    let level = acme.body["attributes"].as_array().unwrap().iter().find(|a| a["name"] == "level").unwrap().clone();
    assert_eq!(level["type"], "integer");
    let rt = app.get("/ResourceTypes/User").await;
    assert!(rt.body["schemaExtensions"].as_array().unwrap().iter().any(|e| e["schema"] == ACME));
    let other = app.new_tenant("other").await;
    let theirs = app.call_as(Some(&format!("Bearer {other}")), Method::GET, &format!("/Schemas/{ACME}"), None).await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);

    // Create, as Okta sends custom attributes.
    let ann = app
        .post(
            "/Users",
            acme_user(
                "ann@x.com",
                json!({"badge": "B-7", "level": 3, "contractor": "False", "hired": "2021-03-01T00:00:00Z",
                                          "skills": ["rust", "sql"], "clearance": "high", "pin": "1234"}),
            ),
        )
        .await;
    assert_eq!(ann.status, StatusCode::CREATED, "{}", ann.body);
    assert!(ann.body["schemas"].as_array().unwrap().contains(&json!(ACME)));
    assert_eq!(
        ann.body[ACME],
        json!({"badge": "B-7", "level": 3, "contractor": false, "hired": "2021-03-01T00:00:00Z", "skills": ["rust", "sql"], "clearance": "high"})
    );
    let ann_id = ann.body["id"].as_str().unwrap().to_owned();
    let bob = app
        .post(
            "/Users",
            acme_user("bob@x.com", json!({"badge": "b-9", "level": 1, "contractor": true, "skills": ["go"]})),
        )
        .await;
    assert_eq!(bob.status, StatusCode::CREATED, "{}", bob.body);
    app.create_user("cy@x.com").await;
    assert_eq!(app.get(&format!("/Users/{ann_id}")).await.body[ACME]["level"], 3);

    // Validation against the declaration.
    for bad in [
        json!({"level": "three"}),
        json!({"level": 2.5}),
        json!({"clearance": "medium"}),
        json!({"contractor": 7}),
        json!({"badge": ["a", "b"]}),
    ] {
        let a = app.post("/Users", acme_user("bad@x.com", bad.clone())).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(a.body["scimType"], "invalidValue", "{bad}");
    }

    // Filters, compiled to SQL like built-in attributes.
    assert_eq!(names(&app, &format!("{ACME}:level gt 2")).await, ["ann@x.com"]);
    assert_eq!(names(&app, &format!("{ACME}:level le 3")).await, ["ann@x.com", "bob@x.com"]);
    assert_eq!(
        names(&app, &format!(r#"{ACME}:badge eq "b-7""#)).await,
        ["ann@x.com"],
        "strings compare case-insensitively"
    );
    assert_eq!(names(&app, &format!("{ACME}:contractor eq true")).await, ["bob@x.com"]);
    assert_eq!(names(&app, &format!(r#"{ACME}:skills eq "SQL""#)).await, ["ann@x.com"]);
    assert_eq!(names(&app, &format!(r#"{ACME}:hired gt "2020-01-01T00:00:00Z""#)).await, ["ann@x.com"]);
    assert_eq!(names(&app, &format!("{ACME}:badge pr")).await, ["ann@x.com", "bob@x.com"]);
    assert_eq!(names(&app, &format!("not ({ACME}:badge pr)")).await, ["cy@x.com"]);
    assert_eq!(names(&app, &format!(r#"{ACME}:badge sw "B" and userName sw "b""#)).await, ["bob@x.com"]);
    let bad = app.get(&format!("/Users?filter={}", enc(&format!(r#"{ACME}:nope eq "x""#)))).await;
    assert_eq!(bad.body["scimType"], "invalidFilter");

    // returned: never is stored but never shown; attributes= selects.
    let only = app.get(&format!("/Users/{ann_id}?attributes={}", enc(&format!("{ACME}:badge")))).await;
    assert_eq!(only.body[ACME], json!({"badge": "B-7"}));
    assert!(only.body.get("userName").is_none());

    // PATCH: a URN path, a path-less URN key, remove, add to a multi-valued one.
    let path = format!("/Users/{ann_id}");
    let r = app
        .patch(
            &path,
            json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [
                {"op": "replace", "path": format!("{ACME}:badge"), "value": "B-8"},
                {"op": "Replace", "value": {format!("{ACME}:clearance"): "low"}},
                {"op": "remove", "path": format!("{ACME}:level")},
                {"op": "add", "path": format!("{ACME}:skills"), "value": ["k8s"]}
            ]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let e = app.get(&path).await.body[ACME].clone();
    assert_eq!(e["badge"], "B-8");
    assert_eq!(e["clearance"], "low");
    assert!(e.get("level").is_none());
    assert_eq!(e["skills"], json!(["rust", "sql", "k8s"]));
    let r = app
        .patch(&path, json!({"Operations": [{"op": "replace", "path": format!("{ACME}:level"), "value": "x"}]}))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(app.get(&path).await.body[ACME]["badge"], "B-8", "nothing written");

    // A group's extension.
    let g = app
        .post("/Groups", json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group", ACME_GROUP], "displayName": "Ops", (ACME_GROUP): {"costCode": "CC-1"}}))
        .await;
    assert_eq!(g.status, StatusCode::CREATED, "{}", g.body);
    assert_eq!(g.body[ACME_GROUP]["costCode"], "CC-1");
    let gpath = format!("/Groups/{}", g.body["id"].as_str().unwrap());
    let r = app
        .patch(
            &gpath,
            json!({"Operations": [
                {"op": "replace", "path": format!("{ACME_GROUP}:costCode"), "value": "CC-2"},
                {"op": "add", "path": "members", "value": [{"value": ann_id}]}
            ]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let g = app.get(&gpath).await.body;
    assert_eq!(g[ACME_GROUP]["costCode"], "CC-2");
    assert_eq!(g["members"].as_array().unwrap().len(), 1);
    let found = app.get(&format!("/Groups?filter={}", enc(&format!(r#"{ACME_GROUP}:costCode eq "cc-2""#)))).await;
    assert_eq!(found.body["totalResults"], 1);

    // Deleting a user removes its values.
    assert_eq!(app.delete(&path).await.status, StatusCode::NO_CONTENT);
    assert_eq!(names(&app, &format!("{ACME}:badge pr")).await, ["bob@x.com"]);
});

e2e!(strict_tenants_reject_undeclared_custom_attributes, |app| {
    declare(&app).await;
    identity_core::store::tenants::set_mode(&app.store, "acme", identity_core::store::tenants::Mode::Strict)
        .await
        .unwrap();
    let ok = app.post("/Users", acme_user("s@x.com", json!({"badge": "B"}))).await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.body);
    let bad = app.post("/Users", acme_user("t@x.com", json!({"badge": "B", "shoeSize": 44}))).await;
    assert_eq!(bad.body["scimType"], "invalidSyntax");
});
