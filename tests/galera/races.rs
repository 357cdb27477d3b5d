//! Races through both edges at once, so that the two cores write the same
//! rows through different Galera nodes: unique userName, membership counts,
//! If-Match, cursors signed on one node and read on another, and the
//! certification conflicts all of this causes (retried, never shown).

use e2e_tests::enc;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::cluster::{self, Conflicts, NODES};
use crate::galera_test;
use crate::stack::{Edges, GROUP, MEMBERS_EXT, PATCH_OP, Reply, USER};

/// One request: through edge 0 or 1, method, path, body.
type Job = (usize, Method, String, Value);

/// Runs every `(edge, method, path, body)` request with `workers` requests in
/// flight at a time per edge; returns the replies in the order given.
async fn all_at_once(edges: &Edges, jobs: Vec<Job>, workers: usize) -> Vec<Reply> {
    let mut lanes: Vec<Vec<(usize, Job)>> = vec![Vec::new(); workers * 2];
    for (i, job) in jobs.into_iter().enumerate() {
        let lane = (i % workers) * 2 + job.0;
        lanes[lane].push((i, job));
    }
    let tasks: Vec<_> = lanes
        .into_iter()
        .map(|lane| {
            let edges = edges.clone();
            tokio::spawn(async move {
                let mut out = Vec::new();
                for (i, (edge, method, path, body)) in lane {
                    out.push((i, edges.call(edge, method, &path, Some(&body), None).await));
                }
                out
            })
        })
        .collect();
    let mut replies = Vec::new();
    for task in tasks {
        replies.extend(task.await.expect("a request task"));
    }
    replies.sort_by_key(|(i, _)| *i);
    replies.into_iter().map(|(_, r)| r).collect()
}

/// `n` users (created through both edges in turn) and an empty group.
async fn users_and_group(e: &Edges, prefix: &str, n: usize, group: &str) -> (Vec<String>, String) {
    let mut users = Vec::new();
    for i in 0..n {
        users.push(e.create_user(i % 2, &format!("{prefix}{i}@x.com")).await);
    }
    let g = e.post(1, "/Groups", &json!({"schemas": [GROUP], "displayName": group})).await;
    assert_eq!(g.status, StatusCode::CREATED, "{}", g.body);
    (users, g.body["id"].as_str().unwrap().to_owned())
}

fn member_patch(op: &str, user: &str) -> Value {
    match op {
        "add" => {
            json!({"schemas": [PATCH_OP], "Operations": [{"op": "add", "path": "members", "value": [{"value": user}]}]})
        }
        _ => {
            json!({"schemas": [PATCH_OP], "Operations": [{"op": "remove", "path": format!("members[value eq \"{user}\"]")}]})
        }
    }
}

/// The group's members and memberCount as each edge shows them, and as
/// each node stores them (rows and the kept count).
async fn assert_members(edges: &Edges, db: &str, gid: &str, expected: &[String]) {
    let mut want = expected.to_vec();
    want.sort();
    for edge in 0..2 {
        let g = edges.get(edge, &format!("/Groups/{gid}")).await;
        assert_eq!(g.status, StatusCode::OK, "{}", g.body);
        let mut got: Vec<String> = g.body["members"]
            .as_array()
            .map(|m| m.iter().filter_map(|m| m["value"].as_str().map(str::to_owned)).collect())
            .unwrap_or_default();
        got.sort();
        assert_eq!(got, want, "members through edge {edge}");
        // membersMetadata shows when asked for (the extension is not
        // advertised by default).
        let g = edges.get(edge, &format!("/Groups/{gid}?attributes={MEMBERS_EXT}")).await;
        assert_eq!(
            g.body[MEMBERS_EXT]["membersMetadata"]["memberCount"],
            json!(want.len()),
            "memberCount through edge {edge}"
        );
    }
    for port in NODES {
        let mut conn = cluster::connect(port, db).await;
        let rows =
            cluster::int(&mut conn, &format!("SELECT COUNT(*) FROM group_members WHERE group_id = '{gid}'")).await;
        let kept = cluster::int(&mut conn, &format!("SELECT member_count FROM `groups` WHERE id = '{gid}'")).await;
        assert_eq!(rows, want.len() as i64, "membership rows on node {port}");
        assert_eq!(kept, want.len() as i64, "groups.member_count on node {port} (rows: {rows})");
    }
}

galera_test!(the_same_user_name_through_both_edges_is_created_once_in_each_of_100_races, |stack| {
    let e = &stack.edges;
    let before = Conflicts::now().await;
    let rounds: usize = std::env::var("GALERA_ROUNDS").ok().and_then(|r| r.parse().ok()).unwrap_or(100);
    for round in 0..rounds {
        let name = format!("race{round}@x.com");
        let body = json!({"schemas": [USER], "userName": name, "emails": [
            {"value": format!("work-{name}"), "type": "work"}, {"value": format!("home-{name}"), "type": "home"}
        ]});
        let (a1, b1, a2, b2) = tokio::join!(
            e.post(0, "/Users", &body),
            e.post(1, "/Users", &body),
            e.post(0, "/Users", &body),
            e.post(1, "/Users", &body)
        );
        let replies = [a1, b1, a2, b2];
        let created = replies.iter().filter(|r| r.status == StatusCode::CREATED).count();
        assert_eq!(created, 1, "round {round}: {replies:#?}");
        for r in replies.iter().filter(|r| r.status != StatusCode::CREATED) {
            assert_eq!(r.status, StatusCode::CONFLICT, "round {round}: {}", r.body);
            assert_eq!(r.body["scimType"], "uniqueness", "round {round}: {}", r.body);
        }
    }
    for port in NODES {
        let mut conn = cluster::connect(port, &stack.db).await;
        assert_eq!(cluster::int(&mut conn, "SELECT COUNT(*) FROM users").await, rounds as i64, "users on node {port}");
        let names = cluster::int(&mut conn, "SELECT COUNT(DISTINCT user_name_lower) FROM users").await;
        assert_eq!(names, rounds as i64, "distinct userNames on node {port}");
        cluster::assert_users_whole(&mut conn, port).await;
    }
    let conflicts = Conflicts::now().await.since(before);
    eprintln!(
        "userName races: {rounds} rounds of 4 POSTs, {conflicts:?}, {} retries logged by the cores",
        stack.retries()
    );
});

galera_test!(overlapping_membership_changes_through_both_edges_lose_nothing, |stack| {
    let e = &stack.edges;
    let (users, gid) = users_and_group(e, "member", 40, "Overlap").await;
    let path = format!("/Groups/{gid}");
    let before = Conflicts::now().await;

    // Edge A adds members 0-29, edge B 10-39: 10-29 are added through both.
    let mut adds = Vec::new();
    for (edge, range) in [(0, 0..30), (1, 10..40)] {
        adds.extend(range.map(|i| (edge, Method::PATCH, path.clone(), member_patch("add", &users[i]))));
    }
    for r in all_at_once(e, adds, 3).await {
        assert_eq!(r.status, StatusCode::NO_CONTENT, "an add: {}", r.body);
    }
    assert_members(e, &stack.db, &gid, &users).await;

    // Edge A removes 0-4 and 10-14, edge B 10-14 and 35-39.
    let mut removes = Vec::new();
    for (edge, ranges) in [(0, [0..5, 10..15]), (1, [10..15, 35..40])] {
        for i in ranges.into_iter().flatten() {
            removes.push((edge, Method::PATCH, path.clone(), member_patch("remove", &users[i])));
        }
    }
    for r in all_at_once(e, removes, 3).await {
        assert_eq!(r.status, StatusCode::NO_CONTENT, "a removal: {}", r.body);
    }
    let kept: Vec<String> = users
        .iter()
        .enumerate()
        .filter(|(i, _)| (5..10).contains(i) || (15..35).contains(i))
        .map(|(_, u)| u.clone())
        .collect();
    assert_members(e, &stack.db, &gid, &kept).await;
    let conflicts = Conflicts::now().await.since(before);
    eprintln!("membership races: 80 PATCHes, {conflicts:?}, {} retries logged by the cores", stack.retries());
});

galera_test!(the_same_if_match_through_both_edges_succeeds_once, |stack| {
    let e = &stack.edges;
    let id = e.create_user(0, "etag@x.com").await;
    let path = format!("/Users/{id}");
    let first = e.get(1, &path).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    let mut etag = first.header("etag").expect("an ETag").to_owned();
    for round in 0..50 {
        let body = |who: &str| json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "displayName", "value": format!("{who}{round}")}]});
        let (a, b) = (body("A"), body("B"));
        let (ra, rb) = tokio::join!(
            e.call(0, Method::PATCH, &path, Some(&a), Some(&etag)),
            e.call(1, Method::PATCH, &path, Some(&b), Some(&etag))
        );
        let (winner, name, loser) = match (ra.status, rb.status) {
            (StatusCode::OK, StatusCode::PRECONDITION_FAILED) => (ra, format!("A{round}"), 1),
            (StatusCode::PRECONDITION_FAILED, StatusCode::OK) => (rb, format!("B{round}"), 0),
            _ => panic!(
                "round {round}: want one 200 and one 412, got {} {} / {} {}",
                ra.status, ra.body, rb.status, rb.body
            ),
        };
        assert_eq!(winner.body["displayName"], json!(name), "round {round}");
        etag = winner.header("etag").expect("an ETag").to_owned();
        // The other edge, on another node, reads the winner's write at once.
        let read = e.get(loser, &path).await;
        assert_eq!(read.body["displayName"], json!(name), "round {round}: read through edge {loser}");
        assert_eq!(read.header("etag"), Some(etag.as_str()), "round {round}");
    }
});

galera_test!(a_cursor_walk_started_on_one_edge_continues_on_the_other, |stack| {
    let e = &stack.edges;
    let mut created = Vec::new();
    for i in 0..25 {
        created.push(e.create_user(i % 2, &format!("walker{i:02}@x.com")).await);
    }
    let (mut seen, mut cursor, mut edge, mut pages) = (Vec::new(), String::new(), 0, 0);
    loop {
        let page = e.get(edge, &format!("/Users?count=7&cursor={}", enc(&cursor))).await;
        assert_eq!(page.status, StatusCode::OK, "page {pages} through edge {edge}: {}", page.body);
        seen.extend(page.body["Resources"].as_array().unwrap().iter().map(|u| u["id"].as_str().unwrap().to_owned()));
        pages += 1;
        match page.body.get("nextCursor").and_then(Value::as_str) {
            Some(next) => cursor = next.to_owned(),
            None => break,
        }
        edge = 1 - edge;
        assert!(pages < 10, "the walk must end");
    }
    assert_eq!(pages, 4, "25 users in pages of 7");
    created.sort();
    let walked = seen.len();
    seen.sort();
    seen.dedup();
    assert_eq!(walked, seen.len(), "no user repeated");
    assert_eq!(seen, created, "every user seen once");
});

galera_test!(certification_conflicts_are_retried_invisibly_and_counted, |stack| {
    let e = &stack.edges;
    let (users, gid) = users_and_group(e, "hot", 60, "Hot").await;
    let path = format!("/Groups/{gid}");
    let (before, retries_before) = (Conflicts::now().await, stack.retries());

    // One hot row (the group's version and count) written through two nodes
    // by eight clients at once.
    let adds =
        users.iter().enumerate().map(|(i, u)| (i % 2, Method::PATCH, path.clone(), member_patch("add", u))).collect();
    for r in all_at_once(e, adds, 4).await {
        assert_eq!(r.status, StatusCode::NO_CONTENT, "an add: {}", r.body);
    }
    let renames = (0..40)
        .map(|i| (i % 2, Method::PATCH, path.clone(), json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "displayName", "value": format!("Hot {i}")}]})))
        .collect();
    for r in all_at_once(e, renames, 4).await {
        assert_eq!(r.status, StatusCode::NO_CONTENT, "a rename: {}", r.body);
    }
    assert_members(e, &stack.db, &gid, &users).await;

    let conflicts = Conflicts::now().await.since(before);
    let retries = stack.retries() - retries_before;
    eprintln!("hot group: 100 PATCHes through two nodes, {conflicts:?}, {retries} retries logged by the cores");
    assert!(conflicts.total() > 0, "no certification conflict happened: the race did not race");
    assert!(retries > 0, "conflicts happened ({conflicts:?}) but no core logged a retry");
});
