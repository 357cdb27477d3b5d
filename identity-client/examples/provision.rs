//! The flow of an internal service, end to end: create a user, find it by
//! userName, deactivate it, and page through the members of a group.
//!
//! ```sh
//! identity-core serve &                       # 127.0.0.1:50051
//! export IDENTITY_TOKEN=$(identity-core tenant create acme | tail -n1)
//! cargo run -p identity-client --example provision
//! ```
//!
//! `IDENTITY_CORE_URL` (default `http://127.0.0.1:50051`) and
//! `IDENTITY_TOKEN` (a tenant's bearer token) say where and as whom.

use futures_util::TryStreamExt;
use identity_client::proto::prost_types::FieldMask;
use identity_client::proto::v1::{Group, Member, MemberType, UpdateUserRequest, User};
use identity_client::{Client, Credentials, ErrorReason};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let url = std::env::var("IDENTITY_CORE_URL").unwrap_or_else(|_| "http://127.0.0.1:50051".to_owned());
    let token = std::env::var("IDENTITY_TOKEN")?;
    let client = Client::connect(&url, Credentials::bearer(&token)).await?;
    let suffix = uuid::Uuid::new_v4().simple().to_string();

    // Create (the client sends a request id: retrying it is safe).
    let user_name = format!("ada.{suffix}@example.com");
    let ada = client.create_user(User { user_name: user_name.clone(), ..Default::default() }).await?;
    println!("created {} ({})", ada.user_name, ada.id);

    // Find by userName (case-insensitive).
    let found = client.find_user_by_user_name(&user_name.to_uppercase()).await?;
    let found = found.ok_or_else(|| anyhow::anyhow!("{user_name} not found"))?;
    assert_eq!(found.id, ada.id);
    println!("found {} by userName", found.id);

    // Deactivate: only the field the mask names changes; expected_version
    // makes it fail instead of overwriting a concurrent change.
    let version = found.meta.map(|m| m.version);
    let off = client
        .update_user(UpdateUserRequest {
            id: ada.id.clone(),
            user: Some(User { active: Some(false), ..Default::default() }),
            update_mask: Some(FieldMask { paths: vec!["active".to_owned()] }),
            expected_version: version.clone(),
        })
        .await?;
    println!("deactivated: active = {:?}", off.active);
    // The same version again is stale now: a typed error says so.
    let stale = UpdateUserRequest { id: ada.id.clone(), expected_version: version, ..Default::default() };
    match client.update_user(stale).await {
        Err(e) if e.reason() == ErrorReason::VersionMismatch => {
            println!("stale update refused: {}", e.reason().as_str_name())
        }
        other => anyhow::bail!("expected a version mismatch, got {other:?}"),
    }

    // A group of five, paged two members at a time.
    let group = client.create_group(Group { display_name: format!("team-{suffix}"), ..Default::default() }).await?;
    for i in 0..5 {
        let u =
            client.create_user(User { user_name: format!("m{i}.{suffix}@example.com"), ..Default::default() }).await?;
        let member = Member { value: u.id, display: String::new(), r#type: MemberType::User as i32 };
        client.add_member(&group.id, member).await?;
    }
    let members: Vec<Member> = client.group_members(&group.id, 2).try_collect().await?;
    for m in &members {
        println!("member {} {}", m.value, m.display);
    }
    anyhow::ensure!(members.len() == 5, "expected 5 members, paged {}", members.len());
    println!("paged {} members of {}", members.len(), group.display_name);
    Ok(())
}
