//! A Rust client of identity-core's `identity.v1` gRPC API, for internal
//! services: connection setup, credentials, per-call deadlines, retries of
//! idempotent calls (honouring the server's `RetryInfo`), typed errors
//! ([`Error::reason`]) and pagers as async streams.
//!
//! ```no_run
//! use futures_util::TryStreamExt;
//! use identity_client::{Client, Credentials, proto::v1::User};
//!
//! # async fn demo() -> Result<(), identity_client::Error> {
//! let client = Client::connect("http://127.0.0.1:50051", Credentials::bearer("tok_...")).await?;
//! let alice = User { user_name: "alice@example.com".into(), ..Default::default() };
//! let created = client.create_user(alice).await?; // idempotent: retried safely
//! let found = client.find_user_by_user_name("ALICE@example.com").await?;
//! assert_eq!(found.map(|u| u.id), Some(created.id));
//! let everyone: Vec<User> = client.users(Default::default()).try_collect().await?;
//! # Ok(()) }
//! ```
//!
//! The client is cheap to clone (one HTTP/2 channel). How the channel is
//! made is the caller's choice: [`Client::connect`] for one address, or
//! [`Client::from_channel`] over any gRPC transport ([`Transport`]: a
//! `tonic` channel, a channel balanced over several replicas, TLS, ...).

mod credentials;
mod error;
mod pager;
mod retry;

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use futures_util::Stream;
use proto::v1::group_service_client::GroupServiceClient;
use proto::v1::schema_service_client::SchemaServiceClient;
use proto::v1::tenant_service_client::TenantServiceClient;
use proto::v1::user_service_client::UserServiceClient;
use proto::v1::{
    CompareOp, Comparison, CreateGroupRequest, CreateMembershipRequest, CreateUserRequest, DeleteGroupRequest,
    DeleteMembershipRequest, DeleteUserRequest, Filter, FilterValue, GetGroupRequest, GetUserRequest, Group,
    ListGroupMembersRequest, ListGroupsRequest, ListGroupsResponse, ListMembershipsRequest, ListUsersRequest,
    ListUsersResponse, Member, Membership, ReplaceUserRequest, Tenant, UpdateGroupRequest, UpdateUserRequest, User,
    WhoAmIRequest, filter, filter_value,
};
use tonic::codegen::{Body as HttpBody, Bytes, StdError};
use tonic::transport::{Channel, Endpoint};

pub use credentials::{CredentialSource, Credentials, ServiceAccount};
pub use error::Error;
pub use proto;
pub use proto::v1::ErrorReason;
pub use retry::RetryPolicy;
#[cfg(feature = "tls")]
pub use tonic::transport::{Certificate, ClientTlsConfig, Identity};

/// Deadline of a call when none is set ([`Client::with_deadline`]).
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(10);

/// What a [`Client`] sends its calls over: a `tonic` [`Channel`], or any
/// tower service that speaks gRPC (e.g. a channel balanced over replicas).
pub trait Transport:
    tonic::client::GrpcService<
        tonic::body::Body,
        Error: Into<StdError>,
        ResponseBody: HttpBody<Data = Bytes, Error: Into<StdError> + Send> + Send + 'static,
        Future: Send,
    > + Clone
    + Send
    + 'static
{
}

impl<T> Transport for T where
    T: tonic::client::GrpcService<
            tonic::body::Body,
            Error: Into<StdError>,
            ResponseBody: HttpBody<Data = Bytes, Error: Into<StdError> + Send> + Send + 'static,
            Future: Send,
        > + Clone
        + Send
        + 'static
{
}

/// A client of identity-core; see the crate documentation.
#[derive(Clone)]
pub struct Client<T = Channel> {
    channel: T,
    credentials: Credentials,
    deadline: Duration,
    retry: RetryPolicy,
}

impl<T> std::fmt::Debug for Client<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("credentials", &self.credentials)
            .field("deadline", &self.deadline)
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

type Sent<Resp> = Pin<Box<dyn Future<Output = Result<tonic::Response<Resp>, tonic::Status>> + Send>>;

impl Client<Channel> {
    /// Connects to one identity-core address (`http://host:port`; with the
    /// `tls` feature also `https://`), failing when it cannot be reached.
    pub async fn connect(url: &str, credentials: Credentials) -> Result<Self, Error> {
        Ok(Self::from_channel(Self::endpoint(url)?.connect().await?, credentials))
    }

    /// Like [`Client::connect`], connecting on the first call (a service
    /// can start while identity-core is down).
    pub fn connect_lazy(url: &str, credentials: Credentials) -> Result<Self, Error> {
        Ok(Self::from_channel(Self::endpoint(url)?.connect_lazy(), credentials))
    }

    /// The endpoint settings this crate connects with (a 5 s connect
    /// timeout, no Nagle delay, HTTP/2 keep-alive), for callers that build
    /// their own channel from it. `https://` URLs get TLS with the webpki
    /// roots when the `tls` feature is on, and are refused without it
    /// (see [`Client::endpoint_tls`] for another CA or a client certificate).
    ///
    /// ```
    /// let e = identity_client::Client::endpoint("http://core:50051").unwrap();
    /// assert_eq!(e.uri().port_u16(), Some(50051));
    /// assert!(identity_client::Client::endpoint("not a url").is_err());
    /// ```
    pub fn endpoint(url: &str) -> Result<Endpoint, Error> {
        let endpoint = Self::base_endpoint(url)?;
        match endpoint.uri().scheme_str() {
            Some("http") => Ok(endpoint),
            #[cfg(feature = "tls")]
            Some("https") => endpoint.tls_config(tls_config(None, None)).map_err(|e| bad_url(url, e.to_string())),
            _ => Err(bad_url(url, "use http:// (https:// needs the `tls` feature)".to_owned())),
        }
    }

    /// Connects to an `https://` identity-core with these TLS settings
    /// (see [`tls_config`]: a private CA, a client certificate for mutual
    /// TLS), failing when it cannot be reached or the handshake fails.
    #[cfg(feature = "tls")]
    pub async fn connect_tls(url: &str, tls: ClientTlsConfig, credentials: Credentials) -> Result<Self, Error> {
        Ok(Self::from_channel(Self::endpoint_tls(url, tls)?.connect().await?, credentials))
    }

    /// [`Client::endpoint`] for an `https://` URL with these TLS settings.
    #[cfg(feature = "tls")]
    pub fn endpoint_tls(url: &str, tls: ClientTlsConfig) -> Result<Endpoint, Error> {
        let endpoint = Self::base_endpoint(url)?;
        if endpoint.uri().scheme_str() != Some("https") {
            return Err(bad_url(url, "TLS settings need an https:// URL".to_owned()));
        }
        endpoint.tls_config(tls).map_err(|e| bad_url(url, e.to_string()))
    }

    fn base_endpoint(url: &str) -> Result<Endpoint, Error> {
        let endpoint = Endpoint::from_shared(url.to_owned()).map_err(|e| bad_url(url, e.to_string()))?;
        Ok(endpoint
            .connect_timeout(Duration::from_secs(5))
            .tcp_nodelay(true)
            .http2_keep_alive_interval(Duration::from_secs(30))
            .keep_alive_while_idle(true))
    }
}

fn bad_url(url: &str, why: String) -> Error {
    Error::local(tonic::Code::InvalidArgument, format!("identity-core URL {url:?}: {why}"))
}

/// TLS settings to reach identity-core (rustls with ring): trust `ca_pem`
/// (PEM certificates) or, without it, the webpki roots (Mozilla's CA
/// list); present `identity` (PEM certificate chain, PEM private key) when
/// the server asks for a client certificate (mutual TLS).
#[cfg(feature = "tls")]
pub fn tls_config(ca_pem: Option<&[u8]>, identity: Option<(&[u8], &[u8])>) -> ClientTlsConfig {
    let tls = ClientTlsConfig::new();
    let mut tls = match ca_pem {
        Some(ca) => tls.ca_certificate(Certificate::from_pem(ca)),
        None => tls.with_webpki_roots(),
    };
    if let Some((cert, key)) = identity {
        tls = tls.identity(Identity::from_pem(cert, key));
    }
    tls
}

impl<T: Transport> Client<T> {
    /// A client over an existing transport, e.g. a channel balanced over
    /// several identity-core replicas.
    pub fn from_channel(channel: T, credentials: Credentials) -> Self {
        Self { channel, credentials, deadline: DEFAULT_DEADLINE, retry: RetryPolicy::default() }
    }

    /// The same client with another deadline for each call (retries
    /// included): `client.with_deadline(d).get_user(id)` for one call.
    pub fn with_deadline(&self, deadline: Duration) -> Self {
        Self { deadline, ..self.clone() }
    }

    /// The same client with another retry policy.
    pub fn with_retry(&self, retry: RetryPolicy) -> Self {
        Self { retry, ..self.clone() }
    }

    /// The same client with other credentials (e.g. another tenant's token).
    pub fn with_credentials(&self, credentials: Credentials) -> Self {
        Self { credentials, ..self.clone() }
    }

    /// The channel, for calls this client does not wrap.
    pub fn channel(&self) -> T {
        self.channel.clone()
    }

    /// The generated `UserService` stub over this client's channel (no
    /// credentials, deadline or retries: the caller sets the metadata).
    pub fn user_service(&self) -> UserServiceClient<T> {
        UserServiceClient::new(self.channel.clone())
    }

    /// The generated `GroupService` stub; see [`Client::user_service`].
    pub fn group_service(&self) -> GroupServiceClient<T> {
        GroupServiceClient::new(self.channel.clone())
    }

    /// The generated `TenantService` stub; see [`Client::user_service`].
    pub fn tenant_service(&self) -> TenantServiceClient<T> {
        TenantServiceClient::new(self.channel.clone())
    }

    /// The generated `SchemaService` stub; see [`Client::user_service`].
    pub fn schema_service(&self) -> SchemaServiceClient<T> {
        SchemaServiceClient::new(self.channel.clone())
    }
}

/// The calls. They need a `Sync` transport (a `tonic` channel is): a call's
/// future holds the client across its awaits.
impl<T: Transport + Sync> Client<T> {
    // ------------------------------------------------------------ users

    /// Creates a user. Sends a fresh request id, so retries (after a lost
    /// response) return the first result instead of failing on the taken
    /// userName.
    pub async fn create_user(&self, user: User) -> Result<User, Error> {
        self.create_user_with(CreateUserRequest { user: Some(user), ..Default::default() }).await
    }

    /// Creates a user from a full request; an empty `request_id` gets a
    /// fresh one.
    pub async fn create_user_with(&self, mut req: CreateUserRequest) -> Result<User, Error> {
        if req.request_id.is_empty() {
            req.request_id = uuid::Uuid::new_v4().to_string();
        }
        self.unary(true, req, |ch, r| Box::pin(async move { UserServiceClient::new(ch).create_user(r).await })).await
    }

    /// Reads one user; [`Error::is_not_found`] when it does not exist.
    pub async fn get_user(&self, id: &str) -> Result<User, Error> {
        let req = GetUserRequest { id: id.to_owned() };
        self.unary(true, req, |ch, r| Box::pin(async move { UserServiceClient::new(ch).get_user(r).await })).await
    }

    /// The user with this userName (compared case-insensitively), if any.
    pub async fn find_user_by_user_name(&self, user_name: &str) -> Result<Option<User>, Error> {
        let req = ListUsersRequest { filter: Some(eq("userName", user_name)), page_size: 1, ..Default::default() };
        Ok(self.list_users(req).await?.users.into_iter().next())
    }

    /// One page of users.
    pub async fn list_users(&self, req: ListUsersRequest) -> Result<ListUsersResponse, Error> {
        self.unary(true, req, |ch, r| Box::pin(async move { UserServiceClient::new(ch).list_users(r).await })).await
    }

    /// Every user matching `req` (its filter and sort; `page_size` sets the
    /// page length), page after page.
    pub fn users(&self, req: ListUsersRequest) -> impl Stream<Item = Result<User, Error>> + Send + use<T> {
        let client = self.clone();
        pager::pages(move |token| {
            let (client, req) = (client.clone(), ListUsersRequest { page_token: token, ..req.clone() });
            async move { client.list_users(req).await.map(|p| (p.users, p.next_page_token)) }
        })
    }

    /// Replaces a user whole (retried: the same state again is harmless).
    pub async fn replace_user(&self, req: ReplaceUserRequest) -> Result<User, Error> {
        self.unary(true, req, |ch, r| Box::pin(async move { UserServiceClient::new(ch).replace_user(r).await })).await
    }

    /// Changes the fields named in `update_mask` (never retried).
    pub async fn update_user(&self, req: UpdateUserRequest) -> Result<User, Error> {
        self.unary(false, req, |ch, r| Box::pin(async move { UserServiceClient::new(ch).update_user(r).await })).await
    }

    /// Deletes a user (never retried).
    pub async fn delete_user(&self, id: &str, expected_version: Option<String>) -> Result<(), Error> {
        let req = DeleteUserRequest { id: id.to_owned(), expected_version };
        self.unary(false, req, |ch, r| Box::pin(async move { UserServiceClient::new(ch).delete_user(r).await }))
            .await
            .map(drop)
    }

    // ----------------------------------------------------------- groups

    /// Creates a group (with a fresh request id: retried safely, and a
    /// retry never makes a second group).
    pub async fn create_group(&self, group: Group) -> Result<Group, Error> {
        self.create_group_with(CreateGroupRequest { group: Some(group), request_id: String::new() }).await
    }

    /// Creates a group from a full request; an empty `request_id` gets a
    /// fresh one.
    pub async fn create_group_with(&self, mut req: CreateGroupRequest) -> Result<Group, Error> {
        if req.request_id.is_empty() {
            req.request_id = uuid::Uuid::new_v4().to_string();
        }
        self.unary(true, req, |ch, r| Box::pin(async move { GroupServiceClient::new(ch).create_group(r).await })).await
    }

    /// Reads one group, without its members.
    pub async fn get_group(&self, id: &str) -> Result<Group, Error> {
        let req = GetGroupRequest { id: id.to_owned(), include_members: false };
        self.unary(true, req, |ch, r| Box::pin(async move { GroupServiceClient::new(ch).get_group(r).await })).await
    }

    /// One page of groups.
    pub async fn list_groups(&self, req: ListGroupsRequest) -> Result<ListGroupsResponse, Error> {
        self.unary(true, req, |ch, r| Box::pin(async move { GroupServiceClient::new(ch).list_groups(r).await })).await
    }

    /// Every group matching `req`, page after page.
    pub fn groups(&self, req: ListGroupsRequest) -> impl Stream<Item = Result<Group, Error>> + Send + use<T> {
        let client = self.clone();
        pager::pages(move |token| {
            let (client, req) = (client.clone(), ListGroupsRequest { page_token: token, ..req.clone() });
            async move { client.list_groups(req).await.map(|p| (p.groups, p.next_page_token)) }
        })
    }

    /// Every direct member of a group, by member id, `page_size` at a time
    /// (0: the server default).
    pub fn group_members(
        &self,
        group_id: &str,
        page_size: i32,
    ) -> impl Stream<Item = Result<Member, Error>> + Send + use<T> {
        let (client, group_id) = (self.clone(), group_id.to_owned());
        pager::pages(move |page_token| {
            let client = client.clone();
            let req =
                ListGroupMembersRequest { group_id: group_id.clone(), page_size, page_token, ..Default::default() };
            async move {
                let page = client
                    .unary(true, req, |ch, r| {
                        Box::pin(async move { GroupServiceClient::new(ch).list_group_members(r).await })
                    })
                    .await?;
                Ok((page.members, page.next_page_token))
            }
        })
    }

    /// Every membership matching `req` (of a group, of a member, of a
    /// type), page after page.
    pub fn memberships(
        &self,
        req: ListMembershipsRequest,
    ) -> impl Stream<Item = Result<Membership, Error>> + Send + use<T> {
        let client = self.clone();
        pager::pages(move |token| {
            let (client, req) = (client.clone(), ListMembershipsRequest { page_token: token, ..req.clone() });
            async move {
                let page = client
                    .unary(true, req, |ch, r| {
                        Box::pin(async move { GroupServiceClient::new(ch).list_memberships(r).await })
                    })
                    .await?;
                Ok((page.memberships, page.next_page_token))
            }
        })
    }

    /// Changes a group's fields and members (never retried).
    pub async fn update_group(&self, req: UpdateGroupRequest) -> Result<Group, Error> {
        self.unary(false, req, |ch, r| Box::pin(async move { GroupServiceClient::new(ch).update_group(r).await })).await
    }

    /// Deletes a group (never retried).
    pub async fn delete_group(&self, id: &str, expected_version: Option<String>) -> Result<(), Error> {
        let req = DeleteGroupRequest { id: id.to_owned(), expected_version };
        self.unary(false, req, |ch, r| Box::pin(async move { GroupServiceClient::new(ch).delete_group(r).await }))
            .await
            .map(drop)
    }

    /// Adds one member to a group (with a fresh request id: retried safely).
    pub async fn add_member(&self, group_id: &str, member: Member) -> Result<Membership, Error> {
        let req = CreateMembershipRequest {
            group_id: group_id.to_owned(),
            member: Some(member),
            request_id: uuid::Uuid::new_v4().to_string(),
        };
        self.unary(true, req, |ch, r| Box::pin(async move { GroupServiceClient::new(ch).create_membership(r).await }))
            .await
    }

    /// Removes one member from a group (never retried).
    pub async fn remove_member(&self, group_id: &str, member_id: &str) -> Result<(), Error> {
        let req = DeleteMembershipRequest { group_id: group_id.to_owned(), member_id: member_id.to_owned() };
        self.unary(false, req, |ch, r| Box::pin(async move { GroupServiceClient::new(ch).delete_membership(r).await }))
            .await
            .map(drop)
    }

    // ---------------------------------------------------------- tenants

    /// The tenant these credentials belong to.
    pub async fn who_am_i(&self) -> Result<Tenant, Error> {
        self.unary(true, WhoAmIRequest {}, |ch, r| {
            Box::pin(async move { TenantServiceClient::new(ch).who_am_i(r).await })
        })
        .await
    }

    // ------------------------------------------------------------- core

    /// Sends one unary call: credentials, the deadline (sent as
    /// `grpc-timeout` and enforced here), and retries when `idempotent`.
    async fn unary<Req, Resp>(
        &self,
        idempotent: bool,
        msg: Req,
        send: impl Fn(T, tonic::Request<Req>) -> Sent<Resp>,
    ) -> Result<Resp, Error>
    where
        Req: Clone,
    {
        let until = tokio::time::Instant::now() + self.deadline;
        let policy = if idempotent { self.retry } else { RetryPolicy::none() };
        let mut attempt = 1;
        loop {
            let left = until.saturating_duration_since(tokio::time::Instant::now());
            let mut req = tonic::Request::new(msg.clone());
            if let Some(auth) = self.credentials.header()? {
                req.metadata_mut().insert("authorization", auth);
            }
            if let Some(tenant) = self.credentials.tenant() {
                req.metadata_mut().insert("x-tenant-id", tenant);
            }
            req.set_timeout(left);
            let err = match tokio::time::timeout(left, send(self.channel.clone(), req)).await {
                Ok(Ok(resp)) => return Ok(resp.into_inner()),
                // tonic's own timer (from grpc-timeout) reports CANCELLED.
                Ok(Err(status)) if status.code() == tonic::Code::Cancelled && tokio::time::Instant::now() >= until => {
                    Error::local(tonic::Code::DeadlineExceeded, "the call's deadline passed")
                }
                Ok(Err(status)) => Error::from(status),
                Err(_) => Error::local(tonic::Code::DeadlineExceeded, "the call's deadline passed"),
            };
            match policy.delay(attempt, &err) {
                Some(wait) if tokio::time::Instant::now() + wait < until => tokio::time::sleep(wait).await,
                _ => return Err(err),
            }
            attempt += 1;
        }
    }
}

/// `attribute eq "value"`, the filter of a lookup by one attribute.
///
/// ```
/// let f = identity_client::eq("userName", "bjensen");
/// assert!(matches!(f.expr, Some(identity_client::proto::v1::filter::Expr::Compare(_))));
/// ```
pub fn eq(attribute: &str, value: &str) -> Filter {
    Filter {
        expr: Some(filter::Expr::Compare(Comparison {
            attribute: attribute.to_owned(),
            op: CompareOp::Eq as i32,
            value: Some(FilterValue { kind: Some(filter_value::Kind::StringValue(value.to_owned())) }),
        })),
    }
}
