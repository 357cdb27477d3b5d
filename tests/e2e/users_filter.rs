//! The lookups Okta and Entra make, executed as SQL, and index paging.

use e2e_tests::{TestApp, e2e, json, okta_user};
use reqwest::StatusCode;

/// `GET /Users?filter=...` with the filter URL-encoded; returns the userNames.
async fn names(app: &TestApp, filter: &str) -> Vec<String> {
    let enc: String = filter
        .bytes()
        .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect();
    let a = app.get(&format!("/Users?filter={enc}")).await;
    assert_eq!(a.status, StatusCode::OK, "{filter}: {}", a.body);
    let mut out: Vec<String> =
        a.body["Resources"].as_array().unwrap().iter().map(|r| r["userName"].as_str().unwrap().to_owned()).collect();
    assert_eq!(a.body["totalResults"], out.len(), "{filter}");
    out.sort();
    out
}

e2e!(okta_and_entra_lookups, |app| {
    app.create_user("ann@x.com").await;
    app.create_user("bob@x.com").await;
    let mut carol = okta_user("carol@x.com");
    carol["emails"] =
        json!([{"value": "carol@x.com", "type": "work", "primary": true}, {"value": "c@home.example", "type": "home"}]);
    carol["externalId"] = json!("ExtCarol");
    assert_eq!(app.post("/Users", carol).await.status, StatusCode::CREATED);

    assert_eq!(names(&app, r#"userName eq "BOB@X.COM""#).await, ["bob@x.com"]);
    assert_eq!(names(&app, r#"externalId eq "ExtCarol""#).await, ["carol@x.com"]);
    assert!(names(&app, r#"externalId eq "extcarol""#).await.is_empty(), "externalId is caseExact");
    assert_eq!(names(&app, r#"emails[type eq "work"].value eq "carol@x.com""#).await, ["carol@x.com"]);
    assert!(names(&app, r#"emails[type eq "work"].value eq "c@home.example""#).await.is_empty());
    assert_eq!(names(&app, r#"emails.value eq "C@HOME.example""#).await, ["carol@x.com"]);
    assert_eq!(names(&app, r#"userName eq "carol@x.com" and externalId eq "ExtCarol""#).await, ["carol@x.com"]);
    assert!(names(&app, r#"userName eq "carol@x.com" and externalId eq "nope""#).await.is_empty());
    assert!(names(&app, &format!(r#"userName eq "{}""#, uuid::Uuid::new_v4())).await.is_empty());
    assert_eq!(names(&app, r#"userName sw "b" or userName ew "l@x.com""#).await, ["bob@x.com", "carol@x.com"]);
    assert_eq!(names(&app, r#"not (userName co "bob")"#).await, ["ann@x.com", "carol@x.com"]);
    assert_eq!(names(&app, r#"not (title pr) and userName sw "A""#).await, ["ann@x.com"]);
    assert_eq!(names(&app, "emails pr").await.len(), 3);
});

e2e!(index_paging_is_stable_and_counts_everything, |app| {
    for i in 0..7 {
        app.create_user(&format!("u{i}@x.com")).await;
    }
    let mut seen = Vec::new();
    for start in [1, 4, 7] {
        let a = app.get(&format!("/Users?startIndex={start}&count=3")).await;
        assert_eq!(a.body["totalResults"], 7);
        assert_eq!(a.body["startIndex"], start);
        for r in a.body["Resources"].as_array().unwrap() {
            seen.push(r["id"].as_str().unwrap().to_owned());
        }
    }
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 7, "every user exactly once across pages");
    let totals = app.get("/Users?count=0").await;
    assert_eq!(totals.body["totalResults"], 7);
    assert_eq!(totals.body["Resources"], json!([]));
    let past = app.get("/Users?startIndex=100").await;
    assert_eq!(past.body["Resources"], json!([]));
    assert_eq!(past.body["totalResults"], 7);
    let clamp = app.get("/Users?startIndex=0&count=-1").await;
    assert_eq!(clamp.body["startIndex"], 1);
    assert_eq!(clamp.body["itemsPerPage"], 0);
    let search = app.post("/Users/.search", json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "filter": "userName sw \"u1\"", "startIndex": 1, "count": 10})).await;
    assert_eq!(search.status, StatusCode::OK);
    assert_eq!(search.body["totalResults"], 1);
});

e2e!(attributes_and_excluded_attributes_shape_responses, |app| {
    let id = app.create_user("proj@x.com").await;
    let a = app.get(&format!("/Users/{id}?attributes=userName,name.givenName")).await;
    assert_eq!(a.body["userName"], "proj@x.com");
    assert_eq!(a.body["id"], id.as_str());
    assert_eq!(a.body["name"], json!({"givenName": "proj"}));
    assert!(a.body.get("emails").is_none());
    let b = app.get(&format!("/Users/{id}?excludedAttributes=emails")).await;
    assert!(b.body.get("emails").is_none());
    assert_eq!(b.body["displayName"], "proj Doe");
    let bad = app.get(&format!("/Users/{id}?attributes=nope")).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
});
