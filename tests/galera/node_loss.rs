//! Node loss: under a write load through both edges, node 1 (core A's
//! primary) is killed with SIGKILL. Core A fails over, requests in flight
//! may get 503 with Retry-After, nothing else fails; the node is restarted,
//! rejoins by IST, core A goes back to it, and every acknowledged write is
//! then read on every node, whole.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::json;

use crate::cluster::{self, Conflicts, NODES};
use crate::galera_test;
use crate::stack::{Edges, GROUP, PATCH_OP, USER};

/// Clients per edge.
const WRITERS: usize = 3;

/// What one writer saw.
#[derive(Default)]
struct Tally {
    /// userName -> id of every 201.
    users: BTreeMap<String, String>,
    /// Ids of users whose membership PATCH got 204.
    members: BTreeSet<String>,
    unavailable: usize,
    /// Anything but 201 / 204 / 503 with Retry-After.
    failures: Vec<String>,
}

/// Creates users (with two emails each: one user is three rows) and adds
/// each to the group, until `stop`.
async fn write(edges: Edges, edge: usize, writer: usize, gid: String, stop: Arc<AtomicBool>) -> Tally {
    let mut tally = Tally::default();
    let mut n = 0;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        let name = format!("w{edge}-{writer}-{n}@x.com");
        let body = json!({"schemas": [USER], "userName": name, "emails": [
            {"value": format!("work-{name}"), "type": "work", "primary": true},
            {"value": format!("home-{name}"), "type": "home"}
        ]});
        let created = edges.post(edge, "/Users", &body).await;
        let id = match created.status {
            StatusCode::CREATED => created.body["id"].as_str().unwrap_or_default().to_owned(),
            status => {
                tally.note(status, created.header("retry-after"), &format!("POST {name}: {}", created.body));
                continue;
            }
        };
        tally.users.insert(name.clone(), id.clone());
        let add =
            json!({"schemas": [PATCH_OP], "Operations": [{"op": "add", "path": "members", "value": [{"value": id}]}]});
        let added = edges.patch(edge, &format!("/Groups/{gid}"), &add).await;
        match added.status {
            StatusCode::NO_CONTENT => {
                tally.members.insert(id);
            }
            status => tally.note(status, added.header("retry-after"), &format!("PATCH add {name}: {}", added.body)),
        }
    }
    tally
}

impl Tally {
    fn note(&mut self, status: StatusCode, retry_after: Option<&str>, what: &str) {
        if status == StatusCode::SERVICE_UNAVAILABLE && retry_after.is_some_and(|s| s.parse::<u64>().is_ok()) {
            self.unavailable += 1;
        } else {
            self.failures.push(format!("{status} {what}"));
        }
    }
}

/// The lines node `n` logged since its last start.
fn since_last_start(n: usize) -> String {
    let path = cluster::workspace().join(format!("target/galera/node{n}/error.log"));
    // Conflict reports may hold raw key bytes: read lossily.
    let log = String::from_utf8_lossy(&std::fs::read(&path).unwrap_or_default()).into_owned();
    let start = log.rfind("Starting MariaDB").unwrap_or(0);
    log[start..].to_owned()
}

galera_test!(a_node_killed_under_write_load_loses_no_acknowledged_write, |stack| {
    let e = stack.edges.clone();
    let g = e.post(1, "/Groups", &json!({"schemas": [GROUP], "displayName": "Everyone"})).await;
    assert_eq!(g.status, StatusCode::CREATED, "{}", g.body);
    let gid = g.body["id"].as_str().unwrap().to_owned();
    let before = Conflicts::now().await;
    let started = Instant::now();

    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..2)
        .flat_map(|edge| (0..WRITERS).map(move |w| (edge, w)))
        .map(|(edge, w)| tokio::spawn(write(e.clone(), edge, w, gid.clone(), Arc::clone(&stop))))
        .collect();

    tokio::time::sleep(Duration::from_secs(3)).await;
    cluster::script(&["kill", "1"]).await;
    let killed = started.elapsed();
    tokio::time::sleep(Duration::from_secs(8)).await;
    let up = cluster::script(&["up"]).await;
    let rejoined = started.elapsed();
    // Long enough for core A to probe node 1 and take it back under load.
    tokio::time::sleep(Duration::from_secs(4)).await;
    stop.store(true, Ordering::Relaxed);

    let mut all = Tally::default();
    for w in writers {
        let t = w.await.expect("a writer");
        all.users.extend(t.users);
        all.members.extend(t.members);
        all.unavailable += t.unavailable;
        all.failures.extend(t.failures);
    }
    let conflicts = Conflicts::now().await.since(before);
    eprintln!(
        "node loss: killed node 1 at {killed:?}, Synced again at {rejoined:?}; {} users and {} memberships acknowledged, \
         {} answers 503 + Retry-After, {} other failures; {conflicts:?}, {} retries logged",
        all.users.len(),
        all.members.len(),
        all.unavailable,
        all.failures.len(),
        stack.retries()
    );
    assert!(all.failures.is_empty(), "answers other than 201/204/503+Retry-After:\n{}", all.failures.join("\n"));
    assert!(all.users.len() >= 50, "the load hardly ran: {} users", all.users.len());

    // The node came back by IST (not a full copy) and the cluster is whole.
    let restart = since_last_start(1);
    assert!(restart.contains("IST received"), "node 1 did not rejoin by IST:\n{up}");
    // (The rsync script handles IST too; only a full copy says "rsync SST".)
    assert!(!restart.contains("rsync SST completed"), "node 1 needed a full state transfer (SST)");
    cluster::wait_all_synced(Duration::from_secs(30)).await;
    let core_a = stack.log_text("core-a");
    assert!(core_a.contains("failed over"), "core A never failed over:\n{core_a}");
    assert!(core_a.contains("primary is back"), "core A never went back to node 1:\n{core_a}");

    let mut stored_everywhere: Option<BTreeMap<String, String>> = None;
    for port in NODES {
        let mut conn = cluster::connect(port, &stack.db).await;
        let users: BTreeMap<String, String> =
            cluster::pairs(&mut conn, "SELECT user_name, id FROM users").await.into_iter().collect();
        for (name, id) in &all.users {
            assert_eq!(users.get(name), Some(id), "acknowledged user {name} missing on node {port}");
        }
        cluster::assert_users_whole(&mut conn, port).await;
        let members: BTreeSet<String> = cluster::pairs(
            &mut conn,
            &format!("SELECT member_id, member_type FROM group_members WHERE group_id = '{gid}'"),
        )
        .await
        .into_iter()
        .map(|(id, _)| id)
        .collect();
        let lost: Vec<&String> = all.members.difference(&members).collect();
        assert!(lost.is_empty(), "acknowledged memberships missing on node {port}: {lost:?}");
        let kept = cluster::int(&mut conn, &format!("SELECT member_count FROM `groups` WHERE id = '{gid}'")).await;
        assert_eq!(kept, members.len() as i64, "groups.member_count on node {port}");
        match &stored_everywhere {
            None => stored_everywhere = Some(users),
            Some(first) => assert_eq!(first, &users, "node {port} holds other users than node {}", NODES[0]),
        }
    }
});

galera_test!(a_core_whose_primary_is_down_at_start_serves_through_a_fallback, |stack| {
    // Nothing listens on 3319: the primary is down from the start.
    let down = cluster::url(3319, &stack.db);
    let core = stack.start_core("core-c", &down, &[cluster::url(NODES[2], &stack.db)]).await;
    let base = stack.start_edge("edge-c", &core).await;
    assert!(
        stack.log_text("core-c").contains("primary database node unavailable; using a fallback"),
        "{}",
        stack.log_text("core-c")
    );
    let mut edges = stack.edges.clone();
    edges.base[0] = base;
    let id = edges.create_user(0, "fallback@x.com").await;
    let mut conn = cluster::connect(NODES[0], &stack.db).await;
    let stored = cluster::int(&mut conn, &format!("SELECT COUNT(*) FROM users WHERE id = '{id}'")).await;
    assert_eq!(stored, 1, "the user created through the fallback, read on node 1");
});
