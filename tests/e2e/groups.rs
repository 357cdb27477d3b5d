//! Okta Group Push (Okta's SCIM 2.0 guide) and Entra's group requests (Microsoft's
//! "develop a SCIM endpoint" guide).

use e2e_tests::{e2e, json};
use reqwest::StatusCode;

const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

e2e!(okta_group_push_lifecycle, |app| {
    let ann = app.create_user("ann@x.com").await;
    let bob = app.create_user("bob@x.com").await;

    let created = app
        .post(
            "/Groups",
            json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Sales", "members": []}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let gid = created.body["id"].as_str().unwrap().to_owned();
    assert_eq!(created.header("location"), created.body["meta"]["location"].as_str());
    assert_eq!(created.body["members"], json!([]));
    let path = format!("/Groups/{gid}");

    let found = app.get("/Groups?filter=displayName%20eq%20%22sales%22&startIndex=1&count=100").await;
    assert_eq!(found.body["totalResults"], 1);
    assert_eq!(found.body["Resources"][0]["id"], gid.as_str());

    // Add members, as Okta sends them (no type).
    let add = app.patch(&path, json!({"schemas": [PATCH_OP], "Operations": [
        {"op": "add", "path": "members", "value": [{"value": ann, "display": "ann@x.com"}, {"value": bob, "display": "bob@x.com"}]}
    ]})).await;
    assert_eq!(add.status, StatusCode::NO_CONTENT, "{}", add.body);
    let etag = add.header("etag").expect("a 204 PATCH still carries the new version").to_owned();
    let g = app.get(&path).await.body;
    assert_eq!(g["meta"]["version"], etag.as_str());
    let members: Vec<&str> = g["members"].as_array().unwrap().iter().map(|m| m["value"].as_str().unwrap()).collect();
    assert_eq!(members.len(), 2);
    assert!(members.contains(&ann.as_str()) && members.contains(&bob.as_str()));
    assert!(g["members"].as_array().unwrap().iter().all(|m| m["type"] == "User"));

    // User.groups is derived.
    let u = app.get(&format!("/Users/{ann}")).await.body;
    assert_eq!(u["groups"][0]["value"], gid.as_str());
    assert_eq!(u["groups"][0]["display"], "Sales");

    // Rename, carrying the id (Okta), after membership changes.
    let rename = app
        .patch(
            &path,
            json!({"schemas": [PATCH_OP], "Operations": [
                {"op": "replace", "value": {"id": gid, "displayName": "Sales EMEA"}}
            ]}),
        )
        .await;
    assert_eq!(rename.status, StatusCode::NO_CONTENT);
    assert_eq!(app.get(&path).await.body["displayName"], "Sales EMEA");

    // Filtered remove.
    let remove = app
        .patch(
            &path,
            json!({"schemas": [PATCH_OP], "Operations": [
                {"op": "remove", "path": format!("members[value eq \"{ann}\"]")}
            ]}),
        )
        .await;
    assert_eq!(remove.status, StatusCode::NO_CONTENT);
    let g = app.get(&path).await.body;
    assert_eq!(g["members"].as_array().unwrap().len(), 1);
    assert_eq!(g["members"][0]["value"], bob.as_str());
    assert!(app.get(&format!("/Users/{ann}")).await.body.get("groups").is_none());

    // Push now: replace, then replace with [] empties.
    let replace = app
        .patch(
            &path,
            json!({"schemas": [PATCH_OP], "Operations": [
                {"op": "replace", "path": "members", "value": [{"value": ann}]}
            ]}),
        )
        .await;
    assert_eq!(replace.status, StatusCode::NO_CONTENT);
    let g = app.get(&path).await.body;
    assert_eq!(g["members"], json!([{"value": ann, "$ref": format!("{}/Users/{ann}", app.base), "type": "User"}]));
    app.patch(&path, json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "members", "value": []}]}))
        .await;
    assert_eq!(app.get(&path).await.body["members"], json!([]));

    // PUT replaces name and members.
    let put = app.put(&path, json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "id": gid, "displayName": "Sales", "members": [{"value": bob}]})).await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.body);
    assert_eq!(put.body["displayName"], "Sales");
    assert_eq!(put.body["members"][0]["value"], bob.as_str());

    // Deleting a user removes its memberships.
    assert_eq!(app.delete(&format!("/Users/{bob}")).await.status, StatusCode::NO_CONTENT);
    assert_eq!(app.get(&path).await.body["members"], json!([]));

    // Unlink.
    assert_eq!(app.delete(&path).await.status, StatusCode::NO_CONTENT);
    assert_eq!(app.get(&path).await.status, StatusCode::NOT_FOUND);
    assert!(app.get(&format!("/Users/{ann}")).await.body.get("groups").is_none());
});

e2e!(entra_group_requests, |app| {
    let u1 = app.create_user("u1@x.com").await;
    let u2 = app.create_user("u2@x.com").await;
    let u3 = app.create_user("u3@x.com").await;
    let created = app.post("/Groups", json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group", "urn:ietf:params:scim:schemas:extension:unknown:2.0:Group"],
        "externalId": "e-1", "displayName": "Eng", "meta": {"resourceType": "Group"},
        "members": [{"value": u1}, {"value": u2}, {"value": u3}]
    })).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let gid = created.body["id"].as_str().unwrap().to_owned();

    // Membership check, cheap: only the id comes back.
    let check =
        app.get(&format!("/Groups?filter=id%20eq%20%22{gid}%22%20and%20members%20eq%20%22{u2}%22&attributes=id")).await;
    assert_eq!(check.body["totalResults"], 1);
    assert_eq!(
        check.body["Resources"][0],
        json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "id": gid})
    );
    let outsider = app.create_user("out@x.com").await;
    let check = app
        .get(&format!("/Groups?filter=id%20eq%20%22{gid}%22%20and%20members%20eq%20%22{outsider}%22&attributes=id"))
        .await;
    assert_eq!(check.body["totalResults"], 0);

    let no_members = app.get("/Groups?excludedAttributes=members").await;
    assert!(no_members.body["Resources"][0].get("members").is_none());
    assert_eq!(no_members.body["Resources"][0]["displayName"], "Eng");

    // Remove with a value list removes just those; capitalised op.
    let r = app
        .patch(
            &format!("/Groups/{gid}"),
            json!({"schemas": [PATCH_OP], "Operations": [
                {"op": "Remove", "path": "members", "value": [{"value": u1}, {"value": u3}]}
            ]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let g = app.get(&format!("/Groups/{gid}")).await.body;
    assert_eq!(g["members"].as_array().unwrap().len(), 1);
    assert_eq!(g["members"][0]["value"], u2.as_str());

    // A member that does not exist: 400, nothing changed.
    let bad = app.patch(&format!("/Groups/{gid}"), json!({"Operations": [
        {"op": "Add", "path": "members", "value": [{"value": u1}, {"value": "9f1c7b2e-0000-4000-8000-000000000000"}]}
    ]})).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.body["scimType"], "invalidValue");
    assert_eq!(app.get(&format!("/Groups/{gid}")).await.body["members"].as_array().unwrap().len(), 1);

    // 200 with a representation when attributes are asked for.
    let r = app
        .patch(
            &format!("/Groups/{gid}?attributes=displayName"),
            json!({"Operations": [{"op": "replace", "path": "displayName", "value": "Eng2"}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["displayName"], "Eng2");
    assert!(r.body.get("members").is_none());
});
