//! Bounded write sets: what one large membership change replicates. A group
//! of 100,000 members is built (ten adds of 10,000, the most one request
//! may carry), replaced whole by a list of 10,000 (95,000 out, 5,000 kept,
//! 5,000 in), and deleted, through identity-core's gRPC API.
//!
//! Bounded: while the group is changed, node 1 refuses any write set over
//! [`MAX_WS_ROWS`] rows or [`MAX_WS_BYTES`] bytes (`wsrep_max_ws_rows`,
//! `wsrep_max_ws_size`, set for the connections of a core started for
//! this), so one unbounded transaction fails the test. The write sets are
//! measured on node 1 (`wsrep_replicated_bytes`, `wsrep_replicated`).
//! `GALERA_BIG_GROUP=N` builds a group of N members instead (the 1,000,000
//! member delete of the README was measured so).

use proto::v1::group_service_client::GroupServiceClient;
use proto::v1::member_change::Op;
use proto::v1::user_service_client::UserServiceClient;
use proto::v1::{
    CreateGroupRequest, DeleteGroupRequest, Group, ImportUsersRequest, Member, MemberChange, MemberType,
    UpdateGroupRequest, User,
};
use std::time::Instant;

use crate::cluster::{self, NODES};
use crate::galera_test;

/// The most rows node 1 accepts in one write set during the test: a bounded
/// transaction writes at most 10,000 membership rows and its group's row.
const MAX_WS_ROWS: u64 = 12_000;
/// The most bytes node 1 accepts in one write set during the test.
const MAX_WS_BYTES: u64 = 4 << 20;

/// Sets node 1's write-set limits for connections opened from now on.
async fn limit_write_sets(rows: u64, bytes: u64) {
    let mut conn = cluster::connect(NODES[0], "mysql").await;
    for sql in [format!("SET GLOBAL wsrep_max_ws_rows = {rows}"), format!("SET GLOBAL wsrep_max_ws_size = {bytes}")] {
        sea_orm::sqlx::Executor::execute(&mut conn, sea_orm::sqlx::AssertSqlSafe(sql))
            .await
            .expect("set a write-set limit");
    }
}

/// Bytes and write sets node 1 has replicated so far.
async fn replicated() -> (u64, u64) {
    let read = async |name| cluster::status(NODES[0], name).await.and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    (read("wsrep_replicated_bytes").await, read("wsrep_replicated").await)
}

fn grpc<T>(token: &str, msg: T) -> tonic::Request<T> {
    let mut r = tonic::Request::new(msg);
    r.metadata_mut().insert("authorization", format!("Bearer {token}").parse().expect("ascii token"));
    r
}

fn members(ids: &[String]) -> Vec<Member> {
    ids.iter().map(|id| Member { value: id.clone(), display: String::new(), r#type: MemberType::User as i32 }).collect()
}

galera_test!(
    replacing_and_deleting_a_group_of_about_a_hundred_thousand_members_stay_within_write_set_limits,
    |stack| {
        let token = stack.edges.token.clone();
        let size: usize = std::env::var("GALERA_BIG_GROUP").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
        let mut users = UserServiceClient::connect(stack.cores[0].clone()).await.expect("core A");
        let mut ids = Vec::new();
        let started = Instant::now();
        for chunk in 0..(size + 5_000).div_ceil(10_000) {
            let batch = (chunk * 10_000..(chunk + 1) * 10_000)
                .map(|i| User { user_name: format!("member{i:07}@big.example"), ..Default::default() })
                .collect();
            let r = users
                .import_users(grpc(&token, ImportUsersRequest { users: batch, request_id: String::new() }))
                .await
                .expect("import");
            ids.extend(r.into_inner().ids);
        }
        eprintln!("write sets: {} users imported in {:?}", ids.len(), started.elapsed());

        // From here on, through a core whose connections node 1 holds to
        // the limits.
        limit_write_sets(MAX_WS_ROWS, MAX_WS_BYTES).await;
        let bounded = stack.start_core("core-bounded", &cluster::url(NODES[0], &stack.db), &[]).await;
        let mut groups = GroupServiceClient::connect(bounded).await.expect("the bounded core");
        let g = groups
            .create_group(grpc(
                &token,
                CreateGroupRequest {
                    group: Some(Group { display_name: "Everyone".into(), ..Default::default() }),
                    request_id: String::new(),
                },
            ))
            .await
            .expect("create group")
            .into_inner();
        let gid = g.id;
        let mut measure = async |what: &str, req: UpdateGroupRequest| {
            let (bytes0, sets0) = replicated().await;
            let t = Instant::now();
            groups.update_group(grpc(&token, req)).await.unwrap_or_else(|e| panic!("{what}: {e}"));
            let (bytes1, sets1) = replicated().await;
            let (bytes, sets) = (bytes1 - bytes0, sets1 - sets0);
            eprintln!("write sets: {what}: {bytes} bytes in {sets} write set(s), {:?}", t.elapsed());
        };
        for (n, chunk) in ids[..size].chunks(10_000).enumerate() {
            let req = UpdateGroupRequest {
                id: gid.clone(),
                member_changes: vec![MemberChange { op: Op::Add as i32, members: members(chunk) }],
                ..Default::default()
            };
            measure(&format!("add {} members in one call (#{n})", chunk.len()), req).await;
        }
        let mut conn = cluster::connect(NODES[2], &stack.db).await;
        // The replace only at the default size (a larger group is measured
        // by its delete).
        let mut left = size;
        if size == 100_000 {
            let replace = UpdateGroupRequest {
                id: gid.clone(),
                member_changes: vec![MemberChange {
                    op: Op::ReplaceAll as i32,
                    members: members(&ids[size - 5_000..size + 5_000]),
                }],
                ..Default::default()
            };
            measure(&format!("replace {size} members by 10,000 ({} out, 5,000 in)", size - 5_000), replace).await;
            let rows =
                cluster::int(&mut conn, &format!("SELECT COUNT(*) FROM group_members WHERE group_id = '{gid}'")).await;
            assert_eq!(rows, 10_000, "members after the replace, on node 3");
            let count = cluster::int(&mut conn, &format!("SELECT member_count FROM `groups` WHERE id = '{gid}'")).await;
            assert_eq!(count, 10_000, "the member count after the replace, on node 3");
            left = 10_000;
        }

        let (bytes0, sets0) = replicated().await;
        let t = Instant::now();
        groups
            .delete_group(grpc(&token, DeleteGroupRequest { id: gid.clone(), ..Default::default() }))
            .await
            .expect("delete group");
        let (bytes1, sets1) = replicated().await;
        eprintln!(
            "write sets: delete a {left}-member group: {} bytes in {} write set(s), {:?}",
            bytes1 - bytes0,
            sets1 - sets0,
            t.elapsed()
        );
        let rows =
            cluster::int(&mut conn, &format!("SELECT COUNT(*) FROM group_members WHERE group_id = '{gid}'")).await;
        assert_eq!(rows, 0, "members after the delete, on node 3");
        limit_write_sets(0, 2_147_483_647).await;
    }
);
