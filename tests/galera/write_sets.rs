//! Bounded write sets: what one large membership change replicates. A group
//! of 100,000 members is built (ten adds of 10,000), replaced whole by a
//! list of 90,000 (50,000 out, 40,000 in), and deleted, through
//! identity-core's gRPC API. A list of 100,000 members fits neither a SCIM
//! body (1 MiB) nor a gRPC message (tonic's 4 MiB default: 100,000 ids are
//! 4.2 MB), so no single request can replace 100,000 members. The write
//! sets are measured on core A's node (`wsrep_replicated_bytes`,
//! `wsrep_replicated`) and must stay within `wsrep_max_ws_size`.

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
        let mut users = UserServiceClient::connect(stack.cores[0].clone()).await.expect("core A");
        let mut groups = GroupServiceClient::connect(stack.cores[0].clone()).await.expect("core A");
        let max_size: u64 =
            cluster::variable(NODES[0], "wsrep_max_ws_size").await.and_then(|v| v.parse().ok()).unwrap_or(0);
        let mut ids = Vec::new();
        let started = Instant::now();
        for chunk in 0..15 {
            let batch = (chunk * 10_000..(chunk + 1) * 10_000)
                .map(|i| User { user_name: format!("member{i:06}@big.example"), ..Default::default() })
                .collect();
            let r = users
                .import_users(grpc(&token, ImportUsersRequest { users: batch, request_id: String::new() }))
                .await
                .expect("import");
            ids.extend(r.into_inner().ids);
        }
        eprintln!("write sets: 150,000 users imported in {:?}", started.elapsed());
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
            assert!(bytes < max_size, "{what} replicated {bytes} bytes, wsrep_max_ws_size is {max_size}");
            bytes
        };
        for (n, chunk) in ids[..100_000].chunks(10_000).enumerate() {
            let req = UpdateGroupRequest {
                id: gid.clone(),
                member_changes: vec![MemberChange { op: Op::Add as i32, members: members(chunk) }],
                ..Default::default()
            };
            measure(&format!("add 10,000 members (#{n})"), req).await;
        }
        let replace = UpdateGroupRequest {
            id: gid.clone(),
            member_changes: vec![MemberChange { op: Op::ReplaceAll as i32, members: members(&ids[50_000..140_000]) }],
            ..Default::default()
        };
        measure("replace 100,000 members by 90,000 (50,000 out, 40,000 in)", replace).await;
        let mut conn = cluster::connect(NODES[2], &stack.db).await;
        let rows =
            cluster::int(&mut conn, &format!("SELECT COUNT(*) FROM group_members WHERE group_id = '{gid}'")).await;
        assert_eq!(rows, 90_000, "members after the replace, on node 3");

        let (bytes0, sets0) = replicated().await;
        let t = Instant::now();
        groups
            .delete_group(grpc(&token, DeleteGroupRequest { id: gid.clone(), ..Default::default() }))
            .await
            .expect("delete group");
        let (bytes1, sets1) = replicated().await;
        eprintln!(
            "write sets: delete a 90,000-member group: {} bytes in {} write set(s), {:?}",
            bytes1 - bytes0,
            sets1 - sets0,
            t.elapsed()
        );
        assert!(bytes1 - bytes0 < max_size);
        let rows =
            cluster::int(&mut conn, &format!("SELECT COUNT(*) FROM group_members WHERE group_id = '{gid}'")).await;
        assert_eq!(rows, 0, "members after the delete, on node 3");
    }
);
