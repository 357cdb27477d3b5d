//! Internal services use identity-core's gRPC API directly.

use e2e_tests::e2e;
use proto::v1::{
    CreateUserRequest, Filter, GetUserRequest, ListUsersRequest, PageRequest, UpdateUserRequest, User, filter::Expr,
    filter_value::Kind,
};
use tonic::Code;
use tonic_types_reason::reason;

mod tonic_types_reason {
    /// The google.rpc.ErrorInfo reason of a status, from its details bytes.
    pub fn reason(status: &tonic::Status) -> String {
        // ErrorInfo's reason appears in the Status details; checking the raw
        // bytes keeps this test free of a tonic-types dependency.
        String::from_utf8_lossy(status.details()).to_string()
    }
}

e2e!(an_internal_service_manages_users_over_grpc, |app| {
    let mut users = app.user_client().await;
    let created = users
        .create_user(app.grpc(
            &app.token,
            CreateUserRequest {
                user: Some(User {
                    user_name: "svc@x.com".into(),
                    active: Some(true),
                    display_name: Some("Svc".into()),
                    ..Default::default()
                }),
                password: None,
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(!created.id.is_empty());
    assert_eq!(created.meta.as_ref().unwrap().version, "1");

    let read =
        users.get_user(app.grpc(&app.token, GetUserRequest { id: created.id.clone() })).await.unwrap().into_inner();
    assert_eq!(read.user_name, "svc@x.com");

    let filter = Filter {
        expr: Some(Expr::Compare(proto::v1::Comparison {
            attribute: "userName".into(),
            op: proto::v1::CompareOp::Eq as i32,
            value: Some(proto::v1::FilterValue { kind: Some(Kind::StringValue("SVC@x.com".into())) }),
        })),
    };
    let list = users
        .list_users(app.grpc(
            &app.token,
            ListUsersRequest {
                filter: Some(filter),
                page: Some(PageRequest { offset: 0, page_size: 10, page_token: None }),
                sort: None,
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(list.total_size, Some(1));

    // Deactivate with a field mask: nothing else changes.
    let off = users
        .update_user(app.grpc(
            &app.token,
            UpdateUserRequest {
                id: created.id.clone(),
                user: Some(User { active: Some(false), ..Default::default() }),
                update_mask: Some(prost_types_mask(&["active"])),
                expected_version: Some("1".into()),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(off.active, Some(false));
    assert_eq!(off.display_name.as_deref(), Some("Svc"));
    assert_eq!(off.meta.unwrap().version, "2");

    // Errors carry a machine-readable reason.
    let stale = users
        .update_user(app.grpc(
            &app.token,
            UpdateUserRequest {
                id: created.id.clone(),
                user: Some(User::default()),
                update_mask: Some(prost_types_mask(&["active"])),
                expected_version: Some("1".into()),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(stale.code(), Code::Aborted);
    assert!(reason(&stale).contains("VERSION_MISMATCH"));
    let dup = users
        .create_user(app.grpc(
            &app.token,
            CreateUserRequest {
                user: Some(User { user_name: "SVC@X.COM".into(), ..Default::default() }),
                password: None,
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(dup.code(), Code::AlreadyExists);
    assert!(reason(&dup).contains("UNIQUENESS_VIOLATION"));
    let unauth = users.get_user(app.grpc("nope", GetUserRequest { id: created.id.clone() })).await.unwrap_err();
    assert_eq!(unauth.code(), Code::Unauthenticated);
    let other = app.new_tenant("initech").await;
    let hidden = users.get_user(app.grpc(&other, GetUserRequest { id: created.id })).await.unwrap_err();
    assert_eq!(hidden.code(), Code::NotFound);
});

fn prost_types_mask(paths: &[&str]) -> proto::prost_types::FieldMask {
    proto::prost_types::FieldMask { paths: paths.iter().map(|p| (*p).to_owned()).collect() }
}
