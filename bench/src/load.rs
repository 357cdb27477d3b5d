//! `scim-bench load`: creates users `0..N` and the groups (the group of
//! `size` members holds users `0..size`), through identity-core's gRPC API
//! (`UserService.ImportUsers` in batches of [`IMPORT_BATCH`], or concurrent
//! `CreateUser` where the server has no ImportUsers;
//! `GroupService.UpdateGroup` with `MemberChange` ADD in chunks of
//! [`GRPC_MEMBER_CHUNK`]) or, for servers without one, through SCIM
//! (concurrent POST /Users; PATCH add in chunks of [`SCIM_MEMBER_CHUNK`]).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use proto::v1::group_service_client::GroupServiceClient;
use proto::v1::user_service_client::UserServiceClient;
use proto::v1::{
    CreateGroupRequest, CreateUserRequest, Group, ImportUsersRequest, Member, MemberChange, MemberType,
    UpdateGroupRequest,
};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tonic::metadata::{Ascii, MetadataValue};
use tonic::transport::Channel;

use crate::LoadArgs;
use crate::data::{self, GROUP_SCHEMA};
use crate::state::{GroupState, LoadStep, SPARE_USERS, State};

/// Users per `ImportUsers` call (the server takes up to 10,000).
pub const IMPORT_BATCH: usize = 2000;
/// `ImportUsers` calls in flight.
const IMPORT_IN_FLIGHT: usize = 2;
/// Members per `UpdateGroup` call.
pub const GRPC_MEMBER_CHUNK: usize = 5000;
/// Members per SCIM PATCH while loading a peer.
pub const SCIM_MEMBER_CHUNK: usize = 1000;
/// Attempts of one create call on a transient failure.
const ATTEMPTS: u32 = 5;

/// How users and groups are created.
#[derive(Clone)]
#[allow(clippy::large_enum_variant)] // one per loading task
enum Loader {
    Grpc {
        users: UserServiceClient<Channel>,
        groups: GroupServiceClient<Channel>,
        bearer: MetadataValue<Ascii>,
        /// Set when the server answered ImportUsers with UNIMPLEMENTED.
        no_import: Arc<AtomicBool>,
    },
    Scim {
        http: reqwest::Client,
        base: String,
        bearer: String,
    },
}

pub async fn load(args: LoadArgs) -> anyhow::Result<()> {
    let mut state = State::read_or_default(&args.state)?;
    let loader = Loader::connect(&args).await?;
    let in_flight = args.in_flight.max(1);

    if let Some(n) = args.users {
        loader.ensure_users(&mut state, n, in_flight).await?;
        state.lookup_users = n;
        state.write(&args.state)?;
    }

    let mut sizes = args.group_sizes.clone();
    sizes.sort_unstable();
    sizes.dedup();
    let (fit, skip): (Vec<usize>, Vec<usize>) =
        sizes.iter().partition(|&&s| args.max_group_size.is_none_or(|max| s <= max));
    for size in skip {
        let why = format!("not loaded: larger than --max-group-size {}", args.max_group_size.unwrap_or_default());
        eprintln!("group of {size}: {why}");
        state.groups.retain(|g| g.size != size);
        state.groups.push(GroupState { size, id: None, skipped: Some(why) });
    }
    if let Some(&largest) = fit.last() {
        // The group scenarios add and remove users that are not members.
        loader.ensure_users(&mut state, largest + SPARE_USERS, in_flight).await?;
        state.write(&args.state)?;
    }
    for size in fit {
        if state.group(size).is_ok() {
            continue;
        }
        let started = Instant::now();
        let id = loader.create_group(size, &state.user_ids[..size]).await?;
        let seconds = started.elapsed().as_secs_f64();
        eprintln!("group of {size}: {id} ({seconds:.1} s)");
        state.groups.retain(|g| g.size != size);
        state.groups.push(GroupState { size, id: Some(id), skipped: None });
        state.load_steps.push(LoadStep {
            what: format!("group of {size}"),
            count: size,
            seconds,
            via: loader.group_via(),
        });
        state.write(&args.state)?;
    }
    state.write(&args.state)
}

impl Loader {
    async fn connect(args: &LoadArgs) -> anyhow::Result<Self> {
        if let Some(url) = &args.core_url {
            let channel = Channel::from_shared(url.clone())?
                .connect()
                .await
                .with_context(|| format!("cannot connect to identity-core at {url}"))?;
            let bearer = format!("Bearer {}", args.token).parse().context("the token is not ASCII")?;
            return Ok(Self::Grpc {
                users: UserServiceClient::new(channel.clone()),
                groups: GroupServiceClient::new(channel),
                bearer,
                no_import: Arc::new(AtomicBool::new(false)),
            });
        }
        let base = args.scim_url.clone().context("--core-url or --scim-url is required")?;
        let http = reqwest::Client::builder().timeout(Duration::from_secs(300)).build()?;
        Ok(Self::Scim { http, base: base.trim_end_matches('/').to_owned(), bearer: format!("Bearer {}", args.token) })
    }

    fn user_via(&self) -> String {
        match self {
            Self::Grpc { no_import, .. } if no_import.load(Ordering::Relaxed) => {
                "gRPC UserService.CreateUser (no ImportUsers)".to_owned()
            }
            Self::Grpc { .. } => format!("gRPC UserService.ImportUsers x{IMPORT_BATCH}, {IMPORT_IN_FLIGHT} in flight"),
            Self::Scim { .. } => "SCIM POST /Users".to_owned(),
        }
    }

    /// Users per create call, and calls in flight.
    fn batching(&self, in_flight: usize) -> (usize, usize) {
        match self {
            Self::Grpc { no_import, .. } if !no_import.load(Ordering::Relaxed) => (IMPORT_BATCH, IMPORT_IN_FLIGHT),
            _ => (1, in_flight),
        }
    }

    fn group_via(&self) -> String {
        match self {
            Self::Grpc { .. } => format!("gRPC CreateGroup + UpdateGroup ADD x{GRPC_MEMBER_CHUNK}"),
            Self::Scim { .. } => format!("SCIM POST /Groups + PATCH add x{SCIM_MEMBER_CHUNK}"),
        }
    }

    /// Creates users until the state holds `target` of them.
    async fn ensure_users(&self, state: &mut State, target: usize, in_flight: usize) -> anyhow::Result<()> {
        let from = state.user_ids.len();
        if from >= target {
            return Ok(());
        }
        let started = Instant::now();
        // The first call alone: it tells whether the server has ImportUsers.
        let (batch, _) = self.batching(in_flight);
        let first_end = (from + batch).min(target);
        let mut created: Vec<(usize, String)> =
            (from..first_end).zip(self.create_users(from..first_end).await?).collect();
        let (batch, in_flight) = self.batching(in_flight);
        let next = Arc::new(AtomicUsize::new(first_end));
        let done = Arc::new(AtomicUsize::new(first_end - from));
        let total = target - from;
        let step = (total / 10).max(1);
        let mut tasks = Vec::new();
        for _ in 0..in_flight {
            let (loader, next, done) = (self.clone(), next.clone(), done.clone());
            tasks.push(tokio::spawn(async move {
                let mut created = Vec::new();
                loop {
                    let i = next.fetch_add(batch, Ordering::Relaxed);
                    if i >= target {
                        return anyhow::Ok(created);
                    }
                    let end = (i + batch).min(target);
                    let ids = loader.create_users(i..end).await?;
                    created.extend((i..end).zip(ids));
                    let before = done.fetch_add(end - i, Ordering::Relaxed);
                    let d = before + end - i;
                    if d / step > before / step {
                        let rate = d as f64 / started.elapsed().as_secs_f64();
                        eprintln!("users: {d}/{total} ({rate:.0}/s)");
                    }
                }
            }));
        }
        for task in tasks {
            created.extend(task.await??);
        }
        created.sort_unstable_by_key(|(i, _)| *i);
        state.user_ids.extend(created.into_iter().map(|(_, id)| id));
        let seconds = started.elapsed().as_secs_f64();
        eprintln!("users: {total} created in {seconds:.1} s ({:.0}/s) via {}", total as f64 / seconds, self.user_via());
        state.load_steps.push(LoadStep {
            what: format!("users {from}..{target}"),
            count: total,
            seconds,
            via: self.user_via(),
        });
        Ok(())
    }

    /// Creates users `range` (one ImportUsers call, or one create per user);
    /// returns their ids in order.
    async fn create_users(&self, range: std::ops::Range<usize>) -> anyhow::Result<Vec<String>> {
        if let Self::Grpc { users, bearer, no_import, .. } = self
            && !no_import.load(Ordering::Relaxed)
        {
            let req =
                ImportUsersRequest { users: range.clone().map(data::grpc_user).collect(), request_id: String::new() };
            let mut attempt = 0;
            loop {
                attempt += 1;
                match users.clone().import_users(authed(bearer, req.clone())).await {
                    Ok(r) => {
                        let ids = r.into_inner().ids;
                        if ids.len() != range.len() {
                            bail!("ImportUsers {range:?}: {} ids for {} users", ids.len(), range.len());
                        }
                        return Ok(ids);
                    }
                    Err(s) if s.code() == tonic::Code::Unimplemented => {
                        eprintln!("ImportUsers is not implemented by this server; falling back to CreateUser");
                        no_import.store(true, Ordering::Relaxed);
                        break;
                    }
                    Err(s) if transient_code(s.code()) && attempt < ATTEMPTS => {
                        eprintln!("retrying: ImportUsers {range:?}: {:?} {}", s.code(), s.message());
                        tokio::time::sleep(Duration::from_millis(200 * u64::from(attempt))).await;
                    }
                    Err(s) => bail!("ImportUsers {range:?}: {:?} {}", s.code(), s.message()),
                }
            }
        }
        let mut ids = Vec::with_capacity(range.len());
        for i in range {
            ids.push(self.create_user(i).await?);
        }
        Ok(ids)
    }

    /// Creates user `i`; returns its id.
    async fn create_user(&self, i: usize) -> anyhow::Result<String> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let result = match self {
                Self::Grpc { users, bearer, .. } => {
                    let req = authed(
                        bearer,
                        CreateUserRequest { user: Some(data::grpc_user(i)), password: None, request_id: String::new() },
                    );
                    match users.clone().create_user(req).await {
                        Ok(u) => Ok(u.into_inner().id),
                        Err(s) => {
                            Err((transient_code(s.code()), format!("CreateUser {i}: {:?} {}", s.code(), s.message())))
                        }
                    }
                }
                Self::Scim { http, base, bearer } => {
                    let body = data::okta_user(&data::user_name(i), data::family_name(i));
                    scim_send(http.post(format!("{base}/Users")).header("Authorization", bearer), Some(body))
                        .await
                        .map_err(|(t, e)| (t, format!("POST /Users {i}: {e}")))
                        .and_then(|v| id_of(&v).map_err(|e| (false, e)))
                }
            };
            match result {
                Ok(id) => return Ok(id),
                Err((true, e)) if attempt < ATTEMPTS => {
                    eprintln!("retrying: {e}");
                    tokio::time::sleep(Duration::from_millis(100 * u64::from(attempt))).await;
                }
                Err((_, e)) => bail!(e),
            }
        }
    }

    /// Creates the group of `size` members holding `members`; returns its id.
    async fn create_group(&self, size: usize, members: &[String]) -> anyhow::Result<String> {
        let name = data::group_name(size);
        match self {
            Self::Grpc { groups, bearer, .. } => {
                let mut client = groups.clone();
                let group = Group { display_name: name, ..Default::default() };
                let id = client
                    .create_group(authed(bearer, CreateGroupRequest { group: Some(group), request_id: String::new() }))
                    .await
                    .map_err(|s| anyhow::anyhow!("CreateGroup: {:?} {}", s.code(), s.message()))?
                    .into_inner()
                    .id;
                for chunk in members.chunks(GRPC_MEMBER_CHUNK) {
                    let change = MemberChange {
                        op: proto::v1::member_change::Op::Add as i32,
                        members: chunk
                            .iter()
                            .map(|m| Member {
                                value: m.clone(),
                                display: String::new(),
                                r#type: MemberType::User as i32,
                            })
                            .collect(),
                    };
                    let req = UpdateGroupRequest { id: id.clone(), member_changes: vec![change], ..Default::default() };
                    client
                        .update_group(authed(bearer, req))
                        .await
                        .map_err(|s| anyhow::anyhow!("UpdateGroup ADD: {:?} {}", s.code(), s.message()))?;
                }
                Ok(id)
            }
            Self::Scim { http, base, bearer } => {
                let body = json!({"schemas": [GROUP_SCHEMA], "displayName": name, "members": []});
                let created =
                    scim_send(http.post(format!("{base}/Groups")).header("Authorization", bearer), Some(body))
                        .await
                        .map_err(|(_, e)| anyhow::anyhow!("POST /Groups: {e}"))?;
                let id = id_of(&created).map_err(anyhow::Error::msg)?;
                for chunk in members.chunks(SCIM_MEMBER_CHUNK) {
                    let value: Vec<Value> = chunk.iter().map(|m| json!({"value": m})).collect();
                    let body = data::patch(json!([{"op": "add", "path": "members", "value": value}]));
                    let req = http.patch(format!("{base}/Groups/{id}")).header("Authorization", bearer);
                    scim_send(req, Some(body)).await.map_err(|(_, e)| anyhow::anyhow!("PATCH /Groups add: {e}"))?;
                }
                Ok(id)
            }
        }
    }
}

/// A gRPC request carrying the tenant's token.
fn authed<T>(bearer: &MetadataValue<Ascii>, msg: T) -> tonic::Request<T> {
    let mut req = tonic::Request::new(msg);
    req.metadata_mut().insert("authorization", bearer.clone());
    req
}

fn transient_code(code: tonic::Code) -> bool {
    matches!(code, tonic::Code::Unavailable | tonic::Code::Aborted | tonic::Code::ResourceExhausted)
}

/// Sends a SCIM request; the JSON body of a 2xx answer (Null when empty),
/// or (transient?, description).
async fn scim_send(req: reqwest::RequestBuilder, body: Option<Value>) -> Result<Value, (bool, String)> {
    let req = match body {
        Some(b) => req.header("Content-Type", "application/scim+json").body(b.to_string()),
        None => req,
    };
    let resp = req.send().await.map_err(|e| (true, format!("transport: {e}")))?;
    let status = resp.status();
    let bytes = resp.bytes().await.map_err(|e| (true, format!("transport: {e}")))?;
    if !status.is_success() {
        let transient = status == StatusCode::SERVICE_UNAVAILABLE || status == StatusCode::TOO_MANY_REQUESTS;
        return Err((transient, format!("{status}: {}", String::from_utf8_lossy(&bytes[..bytes.len().min(300)]))));
    }
    if bytes.is_empty() {
        return Ok(Value::Null);
    }
    serde_json::from_slice(&bytes).map_err(|e| (false, format!("{status} with a body that is not JSON: {e}")))
}

fn id_of(v: &Value) -> Result<String, String> {
    v["id"].as_str().map(str::to_owned).ok_or_else(|| format!("no id in {v}"))
}
