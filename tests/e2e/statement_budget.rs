//! Statement budgets: how many statements identity-core sends the database
//! for each kind of request IdPs send most, in steady state (the token was
//! seen a moment ago). The count is real: every statement the store's pool
//! executes, plus BEGIN / COMMIT / ROLLBACK. A request over its budget fails
//! the test on the backend where it happens.

use e2e_tests::{Answer, TestApp, e2e, enc, json, okta_user};
use reqwest::StatusCode;

const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// A warm-up call, so the token and the tenant's settings are cached, as
/// in steady state.
async fn warm_up(app: &TestApp) {
    assert_eq!(app.get("/ServiceProviderConfig").await.status, StatusCode::OK);
    let _ = app.get("/Users?count=0").await;
}

/// Statements that refresh a short-lived per-credential cache (the
/// credential -> tenant lookup and a credential's coarse last-used time,
/// every 2 s and 60 s; a tenant's limit overrides, every 2 s). They are not
/// part of a request's cost in steady state, but one falls inside the
/// measured window whenever a cache expires during the test on a busy
/// machine, so they are counted apart.
fn cache_refresh(sql: &str) -> bool {
    ["api_tokens", "service_accounts", "tenant_limits"].iter().any(|t| sql.contains(t))
}

/// Runs the request after a warm-up and fails when it costs more
/// statements than its budget (cache refreshes aside); gives its answer.
macro_rules! within {
    ($app:expr, $budget:expr, $what:expr, $req:expr) => {{
        warm_up(&$app).await;
        $app.store.record_statements(true);
        let before = $app.store.statements();
        let answer: Answer = $req.await;
        let total = $app.store.statements() - before;
        let refreshes = $app.store.recorded().iter().filter(|s| cache_refresh(s)).count() as u64;
        $app.store.record_statements(false);
        let used = total - refreshes;
        eprintln!(
            "{:?} {}: {} statements (budget {}; {} cache refreshes apart)",
            $app.backend, $what, used, $budget, refreshes
        );
        assert!(answer.status.is_success(), "{}: {} {}", $what, answer.status, answer.body);
        assert!(used <= $budget, "{} used {} statements; its budget is {}", $what, used, $budget);
        answer
    }};
}

/// Okta's create body with the enterprise extension.
fn okta_enterprise_user(user_name: &str) -> serde_json::Value {
    let mut body = okta_user(user_name);
    body["schemas"] = json!(["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE]);
    body[ENTERPRISE] = json!({"employeeNumber": "42", "department": "Sales", "costCenter": "C1"});
    body
}

e2e!(lookups_and_reads_stay_within_two_statements, |app| {
    let ann = app.post("/Users", okta_enterprise_user("ann@x.com")).await.body["id"].as_str().unwrap().to_owned();
    let gid = app.create_group("Sales").await;
    let add =
        json!({"schemas": [PATCH_OP], "Operations": [{"op": "add", "path": "members", "value": [{"value": ann}]}]});
    assert_eq!(app.patch(&format!("/Groups/{gid}"), add).await.status, StatusCode::NO_CONTENT);

    for filter in [
        "userName eq \"ANN@x.com\"",
        "userName eq \"nobody@x.com\"",
        "externalId eq \"00uann\"",
        "emails[type eq \"work\"].value eq \"ann@x.com\"",
    ] {
        let path = format!("/Users?filter={}&startIndex=1&count=100", enc(filter));
        let found = within!(app, 2, filter, app.get(&path));
        assert!(found.body["totalResults"] == 1 || filter.contains("nobody"), "{filter}: {}", found.body);
    }
    let user = within!(app, 2, "GET /Users/{id}", app.get(&format!("/Users/{ann}")));
    assert_eq!(user.body["groups"][0]["value"], gid.as_str());
    within!(
        app,
        2,
        "GET /Groups/{id}?excludedAttributes=members",
        app.get(&format!("/Groups/{gid}?excludedAttributes=members"))
    );
});

/// A write's budget: BEGIN, its statements, COMMIT, plus one INSERT of its
/// audit event (the trail is written in the write's own transaction; see
/// identity-core's store::audit). Five before the audit trail.
const WRITE_BUDGET: u64 = 5 + 1;

e2e!(writes_stay_within_five_statements_and_their_audit_event, |app| {
    let created = within!(app, WRITE_BUDGET, "POST /Users", app.post("/Users", okta_enterprise_user("bob@x.com")));
    assert_eq!(created.status, StatusCode::CREATED);
    let bob = created.body["id"].as_str().unwrap().to_owned();
    assert_eq!(created.body[ENTERPRISE]["department"], "Sales");

    let deactivate = json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "value": {"active": false}}]});
    let patched = within!(app, WRITE_BUDGET, "PATCH active", app.patch(&format!("/Users/{bob}"), deactivate));
    assert_eq!(patched.body["active"], false);
    assert_eq!(patched.body["emails"][0]["value"], "bob@x.com", "the rest of the user is untouched");
    let title = json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "title", "value": "CTO"}]});
    let patched = within!(app, WRITE_BUDGET, "PATCH title", app.patch(&format!("/Users/{bob}"), title));
    assert_eq!(patched.body["title"], "CTO");
    let dept = json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": format!("{ENTERPRISE}:department"), "value": "Ops"}]});
    let patched = within!(app, WRITE_BUDGET, "PATCH department", app.patch(&format!("/Users/{bob}"), dept));
    assert_eq!(patched.body[ENTERPRISE]["department"], "Ops");
    assert_eq!(patched.body[ENTERPRISE]["employeeNumber"], "42");

    let ann = app.create_user("ann@x.com").await;
    let gid = app.create_group("Eng").await;
    let add =
        json!({"schemas": [PATCH_OP], "Operations": [{"op": "add", "path": "members", "value": [{"value": ann}]}]});
    within!(app, WRITE_BUDGET, "PATCH /Groups add a member", app.patch(&format!("/Groups/{gid}"), add));
    let remove = json!({"schemas": [PATCH_OP], "Operations": [{"op": "remove", "path": format!("members[value eq \"{ann}\"]")}]});
    within!(app, WRITE_BUDGET, "PATCH /Groups remove a member", app.patch(&format!("/Groups/{gid}"), remove));
});

e2e!(a_patch_on_one_email_rewrites_only_the_emails, |app| {
    let mut body = okta_user("cy@x.com");
    body["phoneNumbers"] = json!([{"value": "+1 555 0100", "type": "work"}]);
    let cy = app.post("/Users", body).await.body["id"].as_str().unwrap().to_owned();
    let patch = json!({"schemas": [PATCH_OP], "Operations": [
        {"op": "replace", "path": "emails[type eq \"work\"].value", "value": "cy@new.example"}
    ]});
    let _ = app.get("/Users?count=0").await;
    app.store.record_statements(true);
    let patched = app.patch(&format!("/Users/{cy}"), patch).await;
    let statements = app.store.recorded();
    app.store.record_statements(false);
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.body);
    assert_eq!(patched.body["emails"][0]["value"], "cy@new.example");
    assert_eq!(patched.body["phoneNumbers"][0]["value"], "+1 555 0100");
    let writes: Vec<&String> = statements
        .iter()
        .filter(|s| s.contains("user_values") && (s.starts_with("DELETE") || s.starts_with("INSERT")))
        .collect();
    assert_eq!(writes.len(), 2, "{writes:#?}");
    assert!(writes.iter().all(|s| s.contains("emails") && !s.contains("phoneNumbers")), "{writes:#?}");
});

e2e!(unfiltered_index_pages_stay_within_three_statements, |app| {
    for i in 0..25 {
        app.create_user(&format!("u{i:02}@x.com")).await;
    }
    let mut seen = Vec::new();
    for start in [1, 11, 21] {
        let page = within!(app, 3, format!("page at {start}"), app.get(&format!("/Users?startIndex={start}&count=10")));
        assert_eq!(page.body["totalResults"], 25);
        seen.extend(page.body["Resources"].as_array().unwrap().iter().map(|u| u["userName"].clone()));
    }
    assert_eq!(seen.len(), 25, "a walk neither repeats nor skips");
    seen.dedup();
    assert_eq!(seen.len(), 25);
    // Jumping into the middle (no remembered boundary) answers the same.
    let jump = within!(app, 3, "page at 16", app.get("/Users?startIndex=16&count=5"));
    assert_eq!(jump.body["Resources"][0]["userName"], seen[15]);
    within!(app, 3, "count=0", app.get("/Users?count=0"));
});
