//! Cursor paging (RFC 9865): keyset walks that neither repeat nor skip,
//! tamper-evident cursors bound to tenant and query, and their errors.

use std::collections::BTreeSet;
use std::time::Duration;

use e2e_tests::{TestApp, e2e, enc, json};
use reqwest::StatusCode;
use serde_json::Value;

/// Walks `/Users?{query}&cursor=...&count={count}` to the end; returns the
/// ids in order and the number of pages.
async fn walk(
    app: &TestApp,
    query: &str,
    count: u32,
    mut between_pages: impl AsyncFnMut(usize),
) -> (Vec<String>, usize) {
    let mut cursor = String::new();
    let mut ids = Vec::new();
    let mut pages = 0;
    loop {
        let a = app.get(&format!("/Users?{query}&count={count}&cursor={}", enc(&cursor))).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        assert!(a.body.get("startIndex").is_none(), "cursor pages carry no startIndex");
        let page = a.body["Resources"].as_array().unwrap();
        assert!(page.len() <= count as usize);
        assert_eq!(a.body["itemsPerPage"], page.len());
        ids.extend(page.iter().map(|r| r["id"].as_str().unwrap().to_owned()));
        pages += 1;
        between_pages(pages).await;
        match a.body.get("nextCursor").and_then(Value::as_str) {
            Some(next) => cursor = next.to_owned(),
            None => break,
        }
        assert!(pages < 100, "the walk must end");
    }
    (ids, pages)
}

e2e!(a_cursor_walk_sees_every_existing_user_once_despite_inserts, |app| {
    let mut existing = Vec::new();
    for i in 0..10 {
        existing.push(app.create_user(&format!("u{i:02}@x.com")).await);
    }
    let (ids, pages) = walk(&app, "", 3, async |page| {
        // Inserts while the walk is under way.
        app.create_user(&format!("late{page}@x.com")).await;
    })
    .await;
    assert!(pages >= 4);
    let unique: BTreeSet<&String> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "no user twice");
    for id in &existing {
        assert!(ids.contains(id), "user {id} seen");
    }

    // A sorted walk (with NULL keys) matches the index listing order.
    for (i, id) in existing.iter().enumerate().take(6) {
        let title = if i % 3 == 0 { json!(null) } else { json!(format!("T{}", i % 2)) };
        let r = app
            .patch(&format!("/Users/{id}"), json!({"Operations": [{"op": "replace", "path": "title", "value": title}]}))
            .await;
        assert_eq!(r.status, StatusCode::OK);
    }
    for order in ["ascending", "descending"] {
        let query = format!("sortBy=title&sortOrder={order}&filter={}", enc("userName sw \"u\""));
        let index = app.get(&format!("/Users?{query}&count=1000")).await;
        let expected: Vec<String> =
            index.body["Resources"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap().to_owned()).collect();
        assert_eq!(expected.len(), 10);
        let (walked, _) = walk(&app, &query, 2, async |_| {}).await;
        assert_eq!(walked, expected, "{order}");
    }
});

e2e!(cursors_are_bound_to_tenant_and_query_and_tamper_evident, |app| {
    for i in 0..5 {
        app.create_user(&format!("c{i}@x.com")).await;
    }
    let first = app.get("/Users?count=2&cursor=").await;
    assert!(first.body.get("totalResults").is_none(), "cursor pages do not count (RFC 9865 allows it)");
    assert_eq!(first.body["itemsPerPage"], 2);
    let next = first.body["nextCursor"].as_str().unwrap().to_owned();
    let second = app.get(&format!("/Users?count=2&cursor={}", enc(&next))).await;
    assert_eq!(second.status, StatusCode::OK);

    let mut tampered = next.clone().into_bytes();
    let last = tampered.len() - 1;
    tampered[last] = if tampered[last] == b'0' { b'1' } else { b'0' };
    let tampered = String::from_utf8(tampered).unwrap();
    for bad in [tampered.as_str(), "garbage", "00.00", &next[..next.len() / 2]] {
        let a = app.get(&format!("/Users?count=2&cursor={}", enc(bad))).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(a.body["scimType"], "invalidCursor", "{bad}");
    }
    // Another query, another tenant: the cursor is worthless there.
    let other_query = app.get(&format!("/Users?count=2&filter={}&cursor={}", enc("userName pr"), enc(&next))).await;
    assert_eq!(other_query.body["scimType"], "invalidCursor");
    let sorted = app.get(&format!("/Users?count=2&sortBy=userName&cursor={}", enc(&next))).await;
    assert_eq!(sorted.body["scimType"], "invalidCursor");
    let other = app.new_tenant("umbrella").await;
    let a = app
        .call_as(
            Some(&format!("Bearer {other}")),
            reqwest::Method::GET,
            &format!("/Users?count=2&cursor={}", enc(&next)),
            None,
        )
        .await;
    assert_eq!(a.body["scimType"], "invalidCursor");

    let negative = app.get("/Users?count=-1&cursor=").await;
    assert_eq!(negative.body["scimType"], "invalidCount");
    let both = app.get("/Users?startIndex=2&cursor=").await;
    assert_eq!(both.status, StatusCode::BAD_REQUEST);
    let clamped = app.get("/Users?count=5000&cursor=").await;
    assert_eq!(clamped.status, StatusCode::OK, "counts over the maximum return fewer");
    let search = app.post("/Users/.search", json!({"count": 2, "cursor": ""})).await;
    assert!(search.body["nextCursor"].is_string());

    // Groups page by cursor too.
    for i in 0..3 {
        app.create_group(&format!("g{i}")).await;
    }
    let g = app.get("/Groups?count=2&cursor=&excludedAttributes=members").await;
    let next = g.body["nextCursor"].as_str().unwrap();
    let g2 = app.get(&format!("/Groups?count=2&cursor={}&excludedAttributes=members", enc(next))).await;
    assert_eq!(g2.body["Resources"].as_array().unwrap().len(), 1);
    assert!(g2.body.get("nextCursor").is_none(), "no nextCursor on the last page");
});

e2e!(an_old_cursor_has_expired, |app| {
    let short = TestApp::spawn_with(app.backend, |s| s.with_cursor_ttl(Duration::ZERO)).await.unwrap();
    for i in 0..3 {
        short.create_user(&format!("x{i}@x.com")).await;
    }
    let first = short.get("/Users?count=1&cursor=").await;
    let next = first.body["nextCursor"].as_str().unwrap();
    let a = short.get(&format!("/Users?count=1&cursor={}", enc(next))).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert_eq!(a.body["scimType"], "expiredCursor");
    // The app with the default lifetime accepts its own cursors.
    app.create_user("y@x.com").await;
    app.create_user("z@x.com").await;
    let first = app.get("/Users?count=1&cursor=").await;
    let next = first.body["nextCursor"].as_str().unwrap();
    assert_eq!(app.get(&format!("/Users?count=1&cursor={}", enc(next))).await.status, StatusCode::OK);
});

/// A filtered total is counted up to a bound; past it, index paging is
/// refused with `tooMany` (RFC 7644 §3.4.2.2) and cursor paging, which does
/// not count (RFC 9865), still works. The bound is 3 here (100,000 by
/// default).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filtered_totals_are_bounded_and_too_many_is_a_clear_error() {
    for backend in [e2e_tests::Backend::Sqlite, e2e_tests::Backend::MariaDb] {
        let Some(app) = e2e_tests::TestApp::spawn_with(backend, |s| s.with_max_counted(3)).await else { continue };
        for i in 0..5 {
            app.create_user(&format!("a{i}@x.com")).await;
        }
        let filter = e2e_tests::enc("userName sw \"a\"");
        let three = app.get(&format!("/Users?filter={}&count=2", e2e_tests::enc("userName sw \"a1\""))).await;
        assert_eq!(three.body["totalResults"], 1, "{backend:?}: a page that is not full tells its total");
        let many = app.get(&format!("/Users?filter={filter}&count=2")).await;
        assert_eq!(many.status, StatusCode::BAD_REQUEST, "{backend:?}: {}", many.body);
        assert_eq!(many.body["scimType"], "tooMany");
        let cursor = app.get(&format!("/Users?filter={filter}&count=2&cursor=")).await;
        assert_eq!(cursor.status, StatusCode::OK, "{backend:?}: {}", cursor.body);
        assert!(cursor.body["nextCursor"].is_string());
        let all = app.get("/Users?count=2").await;
        assert_eq!(all.body["totalResults"], 5, "{backend:?}: unfiltered totals come from the counter");
    }
}
