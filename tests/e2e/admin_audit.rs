//! Every admin action, over AdminService or the CLI, leaves exactly one
//! audit event (operation, resource, tenant, credential id); ListAuditEvents
//! filters and pages them for an admin, a tenant-bound admin seeing only its
//! tenant; SetTenantOauth and SetTenantLimits answer with the tenant's
//! settings, and GetTenant / ListTenants show them.

use e2e_tests::{TestApp, e2e};
use identity_core::admin;
use identity_core::auth::{Principal, Scope as AuthScope};
use identity_core::store::audit::{self, Call};
use proto::v1::{
    AddSchemaRequest, AuditEvent, CompatibilityMode, CreateServiceAccountRequest, DeleteSchemaRequest,
    DeleteTenantRequest, GetTenantRequest, IssueTokenRequest, ListAuditEventsRequest, ListTenantsRequest,
    ResumeTenantRequest, RevokeServiceAccountRequest, RevokeTokenRequest, Scope, SetTenantLimitsRequest,
    SetTenantOauthRequest, SuspendTenantRequest, UpdateTenantRequest,
};
use tonic::Code;

use crate::admin::{ACME, acme_schema};
use crate::credentials::{admin_client, req};

const ISSUER: &str = "https://acme.okta.com/oauth2/default";

/// Okta's issuer for acme, its keys at a URL.
fn okta_oauth() -> SetTenantOauthRequest {
    SetTenantOauthRequest {
        tenant: "acme".into(),
        issuer: ISSUER.into(),
        audience: "api://scim".into(),
        jwks_url: format!("{ISSUER}/v1/keys"),
        jwks_json: String::new(),
    }
}

/// An admin service account (bound to `tenant` when given): its id and secret.
async fn admin_account(app: &TestApp, tenant: Option<&str>) -> (String, String) {
    let (a, secret) =
        admin::credentials::create_service_account(&app.store, &Principal::cli(), "auditor", AuthScope::Admin, tenant)
            .await
            .expect("create an admin account");
    (a.id, secret)
}

/// Every event `filter` selects, walking every page of `page_size`.
async fn events(app: &TestApp, secret: &str, filter: ListAuditEventsRequest, page_size: i32) -> Vec<AuditEvent> {
    let mut adm = admin_client(app).await;
    let mut out = Vec::new();
    let mut token = String::new();
    loop {
        let r = ListAuditEventsRequest { page_size, page_token: token.clone(), ..filter.clone() };
        let page = adm.list_audit_events(req(secret, None, r)).await.expect("list audit events").into_inner();
        assert!(page.events.len() <= page_size as usize);
        out.extend(page.events);
        if page.next_page_token.is_empty() {
            return out;
        }
        token = page.next_page_token;
    }
}

/// The events of operation AdminService/`method` among `all`.
fn of<'a>(all: &'a [AuditEvent], method: &str) -> Vec<&'a AuditEvent> {
    let op = format!("identity.v1.AdminService/{method}");
    all.iter().filter(|e| e.operation == op).collect()
}

/// Exactly one event of `method`, on `resource_type` `resource_id` of
/// `tenant_id`, by `credential`, that committed.
fn one(all: &[AuditEvent], method: &str, tenant_id: &str, resource_type: &str, resource_id: &str, credential: &str) {
    let found = of(all, method);
    assert_eq!(found.len(), 1, "{method}: {found:?}");
    let e = found[0];
    assert_eq!(
        (e.tenant_id.as_str(), e.resource_type.as_str(), e.resource_id.as_str(), e.credential_id.as_str()),
        (tenant_id, resource_type, resource_id, credential),
        "{method}"
    );
    assert_eq!(e.outcome, "OK", "{method}");
}

async fn tenant_id(app: &TestApp, name: &str) -> String {
    identity_core::store::tenants::find_by_name(&app.store, name).await.unwrap().id.to_string()
}

e2e!(every_admin_rpc_leaves_exactly_one_event_by_its_caller, |app| {
    let (sa, secret) = admin_account(&app, None).await;
    app.new_tenant("globex").await;
    let (acme, globex) = (tenant_id(&app, "acme").await, tenant_id(&app, "globex").await);
    let mut adm = admin_client(&app).await;

    let mask = proto::prost_types::FieldMask { paths: vec!["mode".into()] };
    let update = UpdateTenantRequest {
        tenant: "acme".into(),
        mode: CompatibilityMode::Strict as i32,
        update_mask: Some(mask),
        ..Default::default()
    };
    adm.update_tenant(req(&secret, None, update)).await.unwrap();
    adm.suspend_tenant(req(&secret, None, SuspendTenantRequest { tenant: "acme".into() })).await.unwrap();
    adm.resume_tenant(req(&secret, None, ResumeTenantRequest { tenant: "acme".into() })).await.unwrap();
    let issued = adm
        .issue_token(req(
            &secret,
            None,
            IssueTokenRequest { tenant: "acme".into(), label: "ci".into(), expires_in_seconds: 0 },
        ))
        .await
        .unwrap()
        .into_inner();
    let tok = issued.token.unwrap().id;
    assert!(tok.starts_with("tok_"), "{tok}");
    let revoke = RevokeTokenRequest { tenant: "acme".into(), token_id: tok.clone() };
    adm.revoke_token(req(&secret, None, revoke)).await.unwrap();
    let bound = CreateServiceAccountRequest { name: "okta".into(), scope: Scope::Write as i32, tenant: "acme".into() };
    let bound = adm.create_service_account(req(&secret, None, bound)).await.unwrap().into_inner();
    let bound = bound.service_account.unwrap().id;
    let unbound = CreateServiceAccountRequest { name: "ops".into(), scope: Scope::Read as i32, tenant: String::new() };
    let unbound = adm.create_service_account(req(&secret, None, unbound)).await.unwrap().into_inner();
    let unbound = unbound.service_account.unwrap().id;
    for id in [&bound, &unbound] {
        let revoke = RevokeServiceAccountRequest { service_account_id: id.clone() };
        adm.revoke_service_account(req(&secret, None, revoke)).await.unwrap();
    }
    let oauth = okta_oauth();
    adm.set_tenant_oauth(req(&secret, None, oauth)).await.unwrap();
    let limits = SetTenantLimitsRequest { tenant: "acme".into(), requests_per_second: 7, ..Default::default() };
    adm.set_tenant_limits(req(&secret, None, limits)).await.unwrap();
    adm.add_schema(req(&secret, None, AddSchemaRequest { tenant: "acme".into(), schema: Some(acme_schema()) }))
        .await
        .unwrap();
    let delete = DeleteSchemaRequest { tenant: "acme".into(), schema_id: ACME.into() };
    adm.delete_schema(req(&secret, None, delete)).await.unwrap();
    adm.delete_tenant(req(&secret, None, DeleteTenantRequest { tenant: "globex".into() })).await.unwrap();

    let all = events(&app, &secret, ListAuditEventsRequest::default(), 100).await;
    for m in ["UpdateTenant", "SuspendTenant", "ResumeTenant", "SetTenantOauth", "SetTenantLimits"] {
        one(&all, m, &acme, "Tenant", &acme, &sa);
    }
    one(&all, "IssueToken", &acme, "Token", &tok, &sa);
    one(&all, "RevokeToken", &acme, "Token", &tok, &sa);
    one(&all, "AddSchema", &acme, "Schema", ACME, &sa);
    one(&all, "DeleteSchema", &acme, "Schema", ACME, &sa);
    // The deleted tenant's event is kept.
    one(&all, "DeleteTenant", &globex, "Tenant", &globex, &sa);
    let created = of(&all, "CreateServiceAccount");
    let revoked = of(&all, "RevokeServiceAccount");
    for (id, tenant) in [(&bound, acme.as_str()), (&unbound, "")] {
        for list in [&created, &revoked] {
            let mine: Vec<_> = list.iter().filter(|e| &e.resource_id == id).collect();
            assert_eq!(mine.len(), 1, "{id}: {list:?}");
            assert_eq!((mine[0].tenant_id.as_str(), mine[0].resource_type.as_str()), (tenant, "ServiceAccount"));
            assert_eq!(mine[0].credential_id, sa);
        }
    }
    // No secret anywhere.
    let dump = format!("{all:?}");
    assert!(!dump.contains(&secret) && !dump.contains(&issued.secret));
});

e2e!(every_cli_admin_action_leaves_one_event_by_cli, |app| {
    let cli = Principal::cli();
    let s = &app.store;
    let acme = tenant_id(&app, "acme").await;
    let scope = |m: &str| Call::cli(format!("identity.v1.AdminService/{m}"));
    audit::scope(scope("UpdateTenant"), admin::tenants::update(s, &cli, "acme", None, None)).await.unwrap();
    let mode = Some(identity_core::store::tenants::Mode::Strict);
    audit::scope(scope("UpdateTenant"), admin::tenants::update(s, &cli, "acme", None, mode)).await.unwrap();
    audit::scope(scope("SuspendTenant"), admin::tenants::suspend(s, &cli, "acme")).await.unwrap();
    audit::scope(scope("ResumeTenant"), admin::tenants::resume(s, &cli, "acme")).await.unwrap();
    let (tok, _) =
        audit::scope(scope("IssueToken"), admin::credentials::issue_token(s, &cli, "acme", "x", None)).await.unwrap();
    audit::scope(scope("RevokeToken"), admin::credentials::revoke_token(s, &cli, "acme", &tok.id)).await.unwrap();
    let create = admin::credentials::create_service_account(s, &cli, "ops", AuthScope::Read, None);
    let (a, _) = audit::scope(scope("CreateServiceAccount"), create).await.unwrap();
    audit::scope(scope("RevokeServiceAccount"), admin::credentials::revoke_service_account(s, &cli, &a.id))
        .await
        .unwrap();
    let requested = admin::limits::Requested { rps: 3, burst: 0, concurrency: 0 };
    audit::scope(scope("SetTenantLimits"), admin::limits::set(s, &cli, "acme", requested)).await.unwrap();
    audit::scope(scope("AddSchema"), admin::schemas::add(s, &cli, "acme", acme_schema())).await.unwrap();
    audit::scope(scope("DeleteSchema"), admin::schemas::delete(s, &cli, "acme", ACME)).await.unwrap();
    // A failing action leaves no OK event (its write rolled back).
    let unknown = admin::credentials::revoke_token(s, &cli, "acme", "tok_unknown");
    assert!(audit::scope(scope("RevokeToken"), unknown).await.is_err());

    let (_, secret) = admin_account(&app, None).await;
    let all = events(&app, &secret, ListAuditEventsRequest::default(), 50).await;
    // An update changing nothing writes nothing.
    one(&all, "UpdateTenant", &acme, "Tenant", &acme, "cli");
    for m in ["SuspendTenant", "ResumeTenant", "SetTenantLimits"] {
        one(&all, m, &acme, "Tenant", &acme, "cli");
    }
    one(&all, "IssueToken", &acme, "Token", &tok.id, "cli");
    one(&all, "RevokeToken", &acme, "Token", &tok.id, "cli");
    one(&all, "CreateServiceAccount", "", "ServiceAccount", &a.id, "cli");
    one(&all, "RevokeServiceAccount", "", "ServiceAccount", &a.id, "cli");
    one(&all, "AddSchema", &acme, "Schema", ACME, "cli");
    one(&all, "DeleteSchema", &acme, "Schema", ACME, "cli");
});

e2e!(list_audit_events_filters_pages_and_keeps_tenants_apart, |app| {
    let (_, secret) = admin_account(&app, None).await;
    app.new_tenant("globex").await;
    let (acme, globex) = (tenant_id(&app, "acme").await, tenant_id(&app, "globex").await);
    let mut adm = admin_client(&app).await;
    let mut tokens = Vec::new();
    for t in ["acme", "acme", "acme", "globex"] {
        let issue = IssueTokenRequest { tenant: t.into(), label: "x".into(), expires_in_seconds: 0 };
        tokens.push(adm.issue_token(req(&secret, None, issue)).await.unwrap().into_inner().token.unwrap().id);
    }
    let tokens_of = |all: &[AuditEvent]| -> Vec<String> {
        all.iter().filter(|e| e.resource_type == "Token").map(|e| e.resource_id.clone()).collect()
    };

    // By tenant (name or id), paged one at a time, newest first.
    let by_name =
        events(&app, &secret, ListAuditEventsRequest { tenant: "acme".into(), ..Default::default() }, 1).await;
    assert!(by_name.iter().all(|e| e.tenant_id == acme));
    assert_eq!(tokens_of(&by_name), vec![tokens[2].clone(), tokens[1].clone(), tokens[0].clone()]);
    let by_id = events(&app, &secret, ListAuditEventsRequest { tenant: acme.clone(), ..Default::default() }, 2).await;
    assert_eq!(by_id, by_name);

    // By resource type and id.
    let filter =
        ListAuditEventsRequest { resource_type: "Token".into(), resource_id: tokens[1].clone(), ..Default::default() };
    let one_token = events(&app, &secret, filter, 10).await;
    assert_eq!(tokens_of(&one_token), vec![tokens[1].clone()]);
    let filter = ListAuditEventsRequest { resource_type: "Token".into(), ..Default::default() };
    assert_eq!(tokens_of(&events(&app, &secret, filter, 10).await).len(), 4);

    // Since: only what came at or after the given time.
    let last =
        events(&app, &secret, ListAuditEventsRequest { tenant: "globex".into(), ..Default::default() }, 10).await;
    let since = last.iter().find(|e| e.resource_id == tokens[3]).unwrap().time;
    let filter = ListAuditEventsRequest { since, resource_type: "Token".into(), ..Default::default() };
    let recent = tokens_of(&events(&app, &secret, filter, 10).await);
    assert!(recent.contains(&tokens[3]) && recent.len() < 4, "{recent:?}");

    // A tenant-bound admin sees its tenant; another tenant is NOT_FOUND,
    // as an unknown one is.
    let (_, bound) = admin_account(&app, Some("globex")).await;
    let own = events(&app, &bound, ListAuditEventsRequest { tenant: "globex".into(), ..Default::default() }, 10).await;
    assert!(!own.is_empty() && own.iter().all(|e| e.tenant_id == globex));
    for other in ["acme", "nobody"] {
        let r = ListAuditEventsRequest { tenant: other.into(), ..Default::default() };
        let err = adm.list_audit_events(req(&bound, None, r)).await.unwrap_err();
        assert_eq!(err.code(), Code::NotFound, "{other}");
    }
});

e2e!(tenant_oauth_and_limits_show_in_every_tenant_answer, |app| {
    let (_, secret) = admin_account(&app, None).await;
    let mut adm = admin_client(&app).await;
    let oauth = okta_oauth();
    let set = adm.set_tenant_oauth(req(&secret, None, oauth)).await.unwrap().into_inner();
    let o = set.oauth.expect("SetTenantOauth answers with oauth");
    assert_eq!((o.issuer.as_str(), o.audience.as_str()), (ISSUER, "api://scim"));
    assert_eq!(o.jwks_url, format!("{ISSUER}/v1/keys"));

    let limits =
        SetTenantLimitsRequest { tenant: "acme".into(), requests_per_second: 7, burst: 0, max_concurrent_requests: 3 };
    let set = adm.set_tenant_limits(req(&secret, None, limits)).await.unwrap().into_inner();
    let in_force = set.limits.expect("SetTenantLimits answers with limits");
    assert_eq!((in_force.requests_per_second, in_force.max_concurrent_requests), (7, 3));
    assert!(in_force.burst > 0, "the default burst is in force");

    let got =
        adm.get_tenant(req(&secret, None, GetTenantRequest { tenant: "acme".into() })).await.unwrap().into_inner();
    assert_eq!(got.limits, Some(in_force));
    assert_eq!(got.oauth, Some(o.clone()));
    let listed = adm.list_tenants(req(&secret, None, ListTenantsRequest::default())).await.unwrap().into_inner();
    let acme = listed.tenants.iter().find(|t| t.name == "acme").unwrap();
    assert_eq!((acme.limits, acme.oauth.as_ref()), (Some(in_force), Some(&o)));

    // Turning OAuth off shows no issuer.
    let off = SetTenantOauthRequest { tenant: "acme".into(), ..Default::default() };
    assert_eq!(adm.set_tenant_oauth(req(&secret, None, off)).await.unwrap().into_inner().oauth, None);
    let got =
        adm.get_tenant(req(&secret, None, GetTenantRequest { tenant: "acme".into() })).await.unwrap().into_inner();
    assert_eq!(got.oauth, None);
});
