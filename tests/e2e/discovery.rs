//! Discovery endpoints (RFC 7644 §4).

use e2e_tests::{e2e, json};
use reqwest::{Method, StatusCode};

e2e!(discovery_documents_tell_the_truth, |app| {
    let spc = app.get("/ServiceProviderConfig").await;
    assert_eq!(spc.status, StatusCode::OK);
    assert_eq!(spc.body["schemas"], json!(["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"]));
    assert_eq!(spc.body["patch"]["supported"], true);
    assert_eq!(spc.body["filter"]["supported"], true);
    assert_eq!(spc.body["bulk"], json!({"supported": true, "maxOperations": 1000, "maxPayloadSize": 1_048_576}));
    assert_eq!(spc.body["sort"]["supported"], true);
    assert_eq!(spc.body["filter"]["maxResults"], 1000);
    assert_eq!(
        spc.body["pagination"],
        json!({"cursor": true, "index": true, "defaultPaginationMethod": "index", "defaultPageSize": 100, "maxPageSize": 1000, "cursorTimeout": 3600})
    );
    assert!(spc.body.get("interopProfileConformant").is_none(), "lenient tenants do not claim the profile");
    assert_eq!(spc.body["etag"]["supported"], true);
    assert_eq!(spc.body["changePassword"]["supported"], false);
    assert_eq!(spc.body["authenticationSchemes"][0]["type"], "oauthbearertoken");

    let types = app.get("/ResourceTypes").await;
    assert_eq!(types.body["totalResults"], 2, "User, Group (GroupMember only with --group-members)");
    let user = app.get("/ResourceTypes/User").await;
    assert_eq!(user.body["id"], "User");
    assert_eq!(user.body["endpoint"], "/Users");
    assert_eq!(
        user.body["schemaExtensions"][0]["schema"],
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
    );
    assert_eq!(app.get("/ResourceTypes/Nope").await.status, StatusCode::NOT_FOUND);

    let schemas = app.get("/Schemas").await;
    assert_eq!(schemas.body["totalResults"], 5);
    let user_schema = app.get("/Schemas/urn:ietf:params:scim:schemas:core:2.0:User").await;
    assert_eq!(user_schema.status, StatusCode::OK);
    let names: Vec<&str> =
        user_schema.body["attributes"].as_array().unwrap().iter().map(|a| a["name"].as_str().unwrap()).collect();
    for n in ["userName", "name", "emails", "groups", "active", "password", "x509Certificates"] {
        assert!(names.contains(&n), "{n} published");
    }
    assert_eq!(app.get("/Schemas/urn:nope").await.status, StatusCode::NOT_FOUND);

    for path in
        ["/ServiceProviderConfig", "/ResourceTypes", "/Schemas", "/Schemas/urn:ietf:params:scim:schemas:core:2.0:User"]
    {
        for method in [Method::POST, Method::PUT, Method::PATCH, Method::DELETE] {
            let a = app.call(method.clone(), path, Some(json!({}))).await;
            assert_eq!(a.status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
            assert_eq!(a.body["status"], "405");
        }
    }
});
