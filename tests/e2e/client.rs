//! identity-client against a real identity-core: idempotent creates,
//! lookups, typed errors, deadlines and retries.

use std::time::Duration;

use e2e_tests::e2e;
use futures_util::TryStreamExt;
use identity_client::proto::v1::{CreateUserRequest, Group, Member, MemberType, UpdateUserRequest, User};
use identity_client::{Client, Credentials, ErrorReason, RetryPolicy};
use tonic::Code;

e2e!(the_client_creates_finds_and_deactivates_users, |app| {
    let client = app.client(&app.token).await;
    let who = client.who_am_i().await.unwrap();
    assert_eq!(who.name, "acme");

    let alice = User { user_name: "alice@x.com".into(), ..Default::default() };
    let created = client.create_user(alice.clone()).await.unwrap();
    assert_eq!(created.active, Some(true));
    // The same request id again (a retry after a lost answer): the first
    // user, not ALREADY_EXISTS.
    let req = CreateUserRequest { user: Some(alice), request_id: "retry-me".into(), ..Default::default() };
    let first = client.create_user_with(req.clone()).await;
    assert_eq!(first.unwrap_err().reason(), ErrorReason::UniquenessViolation, "a new id is a new create");
    let bob = CreateUserRequest { user: Some(User { user_name: "bob@x.com".into(), ..Default::default() }), ..req };
    let made = client.create_user_with(bob.clone()).await.unwrap();
    assert_eq!(client.create_user_with(bob).await.unwrap(), made);

    let found = client.find_user_by_user_name("ALICE@X.COM").await.unwrap().unwrap();
    assert_eq!(found.id, created.id);
    assert!(client.find_user_by_user_name("nobody@x.com").await.unwrap().is_none());

    let off = client
        .update_user(UpdateUserRequest {
            id: created.id.clone(),
            user: Some(User { active: Some(false), ..Default::default() }),
            update_mask: Some(identity_client::proto::prost_types::FieldMask { paths: vec!["active".into()] }),
            expected_version: Some(found.meta.unwrap().version),
        })
        .await
        .unwrap();
    assert_eq!(off.active, Some(false));

    // Typed errors.
    let stale = client
        .update_user(UpdateUserRequest {
            id: created.id.clone(),
            expected_version: Some("1".into()),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!((stale.code(), stale.reason()), (Code::Aborted, ErrorReason::VersionMismatch));
    assert_eq!(stale.metadata("current"), Some("2"));
    let gone = client.get_user("00000000-0000-0000-0000-000000000000").await.unwrap_err();
    assert!(gone.is_not_found());
    assert_eq!(gone.reason(), ErrorReason::ResourceNotFound);
    let stranger = client.with_credentials(Credentials::bearer("nope"));
    assert_eq!(stranger.get_user(&created.id).await.unwrap_err().reason(), ErrorReason::InvalidCredentials);
});

e2e!(the_client_pages_through_the_members_of_a_group, |app| {
    let client = app.client(&app.token).await;
    let mut members = Vec::new();
    for i in 0..7 {
        let u = client.create_user(User { user_name: format!("u{i}@x.com"), ..Default::default() }).await.unwrap();
        members.push(u.id);
    }
    let group = client.create_group(Group { display_name: "Seven".into(), ..Default::default() }).await.unwrap();
    for id in &members {
        let m = Member { value: id.clone(), display: String::new(), r#type: MemberType::User as i32 };
        client.add_member(&group.id, m).await.unwrap();
    }
    let paged: Vec<Member> = client.group_members(&group.id, 3).try_collect().await.unwrap();
    members.sort();
    assert_eq!(paged.iter().map(|m| m.value.clone()).collect::<Vec<_>>(), members);
    assert!(paged.iter().all(|m| m.display.ends_with("@x.com")));
    // A pager's error ends the stream with it.
    let missing: Result<Vec<Member>, _> =
        client.group_members("00000000-0000-0000-0000-000000000000", 3).try_collect().await;
    assert!(missing.unwrap_err().is_not_found());
});

e2e!(the_client_keeps_deadlines_and_retries_only_what_is_safe, |app| {
    let client = app.client(&app.token).await;
    // A deadline that has passed fails the call with DEADLINE_EXCEEDED.
    let err = client.with_deadline(Duration::ZERO).who_am_i().await.unwrap_err();
    assert_eq!(err.code(), Code::DeadlineExceeded);

    // Nothing listens: idempotent calls are retried with backoff until the
    // deadline, then fail UNAVAILABLE; the wait shows the retries happened.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let down = Client::connect_lazy(&url, Credentials::bearer(&app.token)).unwrap().with_retry(RetryPolicy {
        max_attempts: 3,
        initial_backoff: Duration::from_millis(500),
        max_backoff: Duration::from_millis(500),
    });
    let started = std::time::Instant::now();
    let err = down.who_am_i().await.unwrap_err();
    assert_eq!(err.code(), Code::Unavailable);
    assert!(started.elapsed() >= Duration::from_secs(1), "two retries, 500 ms apart");
    // An update is never retried.
    let started = std::time::Instant::now();
    let err = down.update_user(UpdateUserRequest::default()).await.unwrap_err();
    assert_eq!(err.code(), Code::Unavailable);
    assert!(started.elapsed() < Duration::from_millis(500), "no retry, so no backoff");
});

e2e!(concurrent_retries_of_one_create_make_one_group, |app| {
    use identity_client::proto::v1::{CreateGroupRequest, ListGroupsRequest};
    let client = app.client(&app.token).await;
    let req = CreateGroupRequest {
        group: Some(Group { display_name: "Once".into(), ..Default::default() }),
        request_id: "one-create".into(),
    };
    // Four copies at once: one creates, the others get its result (at once,
    // or after REQUEST_IN_PROGRESS and the RetryInfo wait, retried by the
    // client).
    let calls: Vec<_> = (0..4)
        .map(|_| {
            let (client, req) = (client.clone(), req.clone());
            tokio::spawn(async move { client.create_group_with(req).await })
        })
        .collect();
    let mut ids = Vec::new();
    for call in calls {
        ids.push(call.await.unwrap().unwrap().id);
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "{ids:?}");
    let listed =
        client.list_groups(ListGroupsRequest { include_total_size: true, ..Default::default() }).await.unwrap();
    assert_eq!(listed.total_size, Some(1));
});
