//! Credentials and tenant isolation.

use e2e_tests::{e2e, okta_user};
use reqwest::{Method, StatusCode};

e2e!(bearer_and_bare_tokens_work_and_bad_ones_get_a_scim_401, |app| {
    let bearer = app.call_as(Some(&format!("Bearer {}", app.token)), Method::GET, "/Users", None).await;
    assert_eq!(bearer.status, StatusCode::OK);
    let bare = app.call_as(Some(&app.token), Method::GET, "/Users", None).await;
    assert_eq!(bare.status, StatusCode::OK, "Okta's header mode sends the bare token");
    for auth in [None, Some("Bearer wrong"), Some("wrong"), Some("Basic dXNlcjpwYXNz"), Some("Bearer ")] {
        let a = app.call_as(auth, Method::GET, "/Users", None).await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{auth:?}");
        assert_eq!(a.body["status"], "401");
        assert_eq!(a.body["schemas"][0], "urn:ietf:params:scim:api:messages:2.0:Error");
        assert!(a.body["detail"].is_string());
        assert_eq!(a.header("content-type"), Some("application/scim+json"));
    }
    let a = app.call_as(Some("Bearer wrong"), Method::GET, "/ServiceProviderConfig", None).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
});

e2e!(tenants_never_see_each_other, |app| {
    let other = app.new_tenant("globex").await;
    let as_other = |method: Method, path: String, body: Option<serde_json::Value>| {
        let auth = format!("Bearer {other}");
        let app = &app;
        async move { app.call_as(Some(&auth), method, &path, body).await }
    };
    let mine = app.create_user("same@x.com").await;
    let theirs = as_other(Method::POST, "/Users".into(), Some(okta_user("same@x.com"))).await;
    assert_eq!(theirs.status, StatusCode::CREATED, "the same userName in another tenant");
    let theirs = theirs.body["id"].as_str().unwrap().to_owned();

    assert_eq!(as_other(Method::GET, format!("/Users/{mine}"), None).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get(&format!("/Users/{theirs}")).await.status, StatusCode::NOT_FOUND);
    assert_eq!(as_other(Method::DELETE, format!("/Users/{mine}"), None).await.status, StatusCode::NOT_FOUND);
    let list = as_other(Method::GET, "/Users".into(), None).await;
    assert_eq!(list.body["totalResults"], 1);
    assert_eq!(list.body["Resources"][0]["id"], theirs.as_str());

    // Groups and memberships stay inside the tenant too.
    let gid = app.create_group("Mine").await;
    assert_eq!(as_other(Method::GET, format!("/Groups/{gid}"), None).await.status, StatusCode::NOT_FOUND);
    let cross = app
        .patch(
            &format!("/Groups/{gid}"),
            e2e_tests::json!({"Operations": [{"op": "add", "path": "members", "value": [{"value": theirs}]}]}),
        )
        .await;
    assert_eq!(cross.status, StatusCode::BAD_REQUEST, "a user of another tenant is no member candidate");
    assert_eq!(as_other(Method::GET, "/Groups".into(), None).await.body["totalResults"], 0);
    assert_eq!(app.get("/Users").await.body["totalResults"], 1);
});
