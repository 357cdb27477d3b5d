//! Per-tenant compatibility mode: lenient (the default, what Okta and Entra
//! send) and strict (draft-zollner-scim-interop-profile-01).

use e2e_tests::{TestApp, e2e, json};
use identity_core::store::tenants::{self, Mode};
use reqwest::{Method, StatusCode};

const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// A strict tenant beside `app`'s lenient one; returns its token.
async fn strict_tenant(app: &TestApp) -> String {
    let token = app.new_tenant("strict-co").await;
    tenants::set_mode(&app.store, "strict-co", Mode::Strict).await.unwrap();
    token
}

e2e!(strict_tenants_follow_the_interop_profile, |app| {
    let token = strict_tenant(&app).await;
    let auth = format!("Bearer {token}");
    let call = |method: Method, path: &str, body: Option<serde_json::Value>| {
        let (app, auth, path) = (&app, auth.clone(), path.to_owned());
        async move { app.call_as(Some(&auth), method, &path, body).await }
    };

    // Discovery tells the truth per tenant.
    assert_eq!(call(Method::GET, "/ServiceProviderConfig", None).await.body["interopProfileConformant"], true);
    assert!(app.get("/ServiceProviderConfig").await.body.get("interopProfileConformant").is_none());

    // Unknown attributes and schema URNs: 400 invalidSyntax (lenient: ignored).
    let unknown_attr = json!({"schemas": [USER], "userName": "a@x.com", "favouriteColour": "blue"});
    let unknown_urn =
        json!({"schemas": [USER, "urn:example:params:scim:schemas:extension:acme:2.0:User"], "userName": "a@x.com"});
    let no_schemas = json!({"userName": "a@x.com"});
    for body in [&unknown_attr, &unknown_urn, &no_schemas] {
        let a = call(Method::POST, "/Users", Some(body.clone())).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(a.body["scimType"], "invalidSyntax", "{body}");
    }
    assert_eq!(app.post("/Users", unknown_attr.clone()).await.status, StatusCode::CREATED, "lenient ignores it");
    let created = call(
        Method::POST,
        "/Users",
        Some(json!({"schemas": [USER], "userName": "s@x.com", "name": {"givenName": "S", "familyName": "T"},
                    "emails": [{"value": "s@x.com", "type": "work", "primary": true}]})),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id = created.body["id"].as_str().unwrap().to_owned();
    let path = format!("/Users/{id}");
    let mut put = created.body.clone();
    put["favouriteColour"] = json!("x");
    assert_eq!(call(Method::PUT, &path, Some(put)).await.body["scimType"], "invalidSyntax");

    // PATCH needs a path.
    let pathless = json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "value": {"active": false}}]});
    let a = call(Method::PATCH, &path, Some(pathless.clone())).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert_eq!(a.body["scimType"], "invalidSyntax");
    let lenient_id = app.create_user("l@x.com").await;
    assert_eq!(app.patch(&format!("/Users/{lenient_id}"), pathless).await.status, StatusCode::OK);

    // A filtered path ends in a sub-attribute.
    let no_sub =
        json!({"Operations": [{"op": "replace", "path": "emails[type eq \"work\"]", "value": {"value": "n@x.com"}}]});
    assert_eq!(call(Method::PATCH, &path, Some(no_sub)).await.body["scimType"], "invalidPath");
    let with_sub =
        json!({"Operations": [{"op": "replace", "path": "emails[type eq \"work\"].value", "value": "n@x.com"}]});
    assert_eq!(call(Method::PATCH, &path, Some(with_sub)).await.status, StatusCode::OK);

    // Replace on a complex attribute replaces it whole; add merges.
    let r = call(
        Method::PATCH,
        &path,
        Some(json!({"Operations": [{"op": "replace", "path": "name", "value": {"givenName": "Only"}}]})),
    )
    .await;
    assert_eq!(r.body["name"], json!({"givenName": "Only"}));
    let r = call(
        Method::PATCH,
        &path,
        Some(json!({"Operations": [{"op": "add", "path": "name", "value": {"familyName": "Added"}}]})),
    )
    .await;
    assert_eq!(r.body["name"], json!({"givenName": "Only", "familyName": "Added"}));
    // Lenient: replace on a complex attribute merges (RFC 7644 §3.5.2.3).
    let r = app
        .patch(
            &format!("/Users/{lenient_id}"),
            json!({"Operations": [{"op": "replace", "path": "name", "value": {"givenName": "Only"}}]}),
        )
        .await;
    assert_eq!(r.body["name"]["familyName"], "Doe");
    assert_eq!(r.body["name"]["givenName"], "Only");

    // Unknown sub-attributes inside a PATCH value.
    let bad = json!({"Operations": [{"op": "add", "path": "name", "value": {"nick": "x"}}]});
    assert_eq!(call(Method::PATCH, &path, Some(bad)).await.body["scimType"], "invalidSyntax");

    // Groups: path-less PATCH rejected, pathed member add accepted.
    let g = call(
        Method::POST,
        "/Groups",
        Some(json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "S"})),
    )
    .await;
    assert_eq!(g.status, StatusCode::CREATED, "{}", g.body);
    let gpath = format!("/Groups/{}", g.body["id"].as_str().unwrap());
    let a =
        call(Method::PATCH, &gpath, Some(json!({"Operations": [{"op": "replace", "value": {"displayName": "T"}}]})))
            .await;
    assert_eq!(a.body["scimType"], "invalidSyntax");
    let a = call(
        Method::PATCH,
        &gpath,
        Some(json!({"Operations": [{"op": "add", "path": "members", "value": [{"value": id}]}]})),
    )
    .await;
    assert_eq!(a.status, StatusCode::NO_CONTENT);

    // DELETE deletes (never deactivates): 404 after, userName free for reuse.
    assert_eq!(call(Method::DELETE, &path, None).await.status, StatusCode::NO_CONTENT);
    assert_eq!(call(Method::GET, &path, None).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        call(Method::GET, &format!("{gpath}?attributes=members"), None).await.body.get("members"),
        Some(&json!([]))
    );
    let again = call(Method::POST, "/Users", Some(json!({"schemas": [USER], "userName": "S@X.COM"}))).await;
    assert_eq!(again.status, StatusCode::CREATED);
    let dup = call(Method::POST, "/Users", Some(json!({"schemas": [USER], "userName": "s@x.com"}))).await;
    assert_eq!(dup.body["scimType"], "uniqueness", "the same case rules as filters");
});

e2e!(setting_a_primary_value_clears_the_others_and_entra_managers_are_ids, |app| {
    let id = app.create_user("prim@x.com").await;
    let path = format!("/Users/{id}");
    let r = app
        .patch(&path, json!({"Operations": [{"op": "add", "path": "emails", "value": [{"value": "new@x.com", "type": "home", "primary": true}]}]}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let emails = app.get(&path).await.body["emails"].clone();
    let primaries: Vec<&str> = emails
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["primary"] == true)
        .map(|e| e["value"].as_str().unwrap())
        .collect();
    assert_eq!(primaries, ["new@x.com"]);

    let manager = app.create_user("boss@x.com").await;
    for value in [json!(manager), json!([{"value": manager}])] {
        let r = app
            .patch(&path, json!({"Operations": [{"op": "Replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "value": value}]}))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(
            app.get(&path).await.body["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]["manager"]["value"],
            manager.as_str()
        );
    }
    // PUT without a required attribute: 400.
    let put = app.put(&path, json!({"schemas": [USER], "displayName": "no userName"})).await;
    assert_eq!(put.status, StatusCode::BAD_REQUEST);
});
