//! The end-to-end harness: [`TestApp::spawn`] starts identity-core (gRPC)
//! and scim-edge (HTTP) on `127.0.0.1:0` against a fresh database (a new
//! SQLite file, or a new MariaDB database created and dropped here), and
//! gives tests a raw-JSON HTTP client and gRPC clients (from
//! `identity-client`, as internal services make them).
//!
//! MariaDB: `MYSQL_TEST_URL` (default `mysql://root@127.0.0.1:3306`). When
//! it cannot be reached, the MariaDB variant of each test is skipped with a
//! loud message, except under CI (`CI` set) or `REQUIRE_MYSQL=1`, where it
//! fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use identity_client::{Client, Credentials};
use identity_core::Store;
use proto::v1::group_service_client::GroupServiceClient;
use proto::v1::schema_service_client::SchemaServiceClient;
use proto::v1::user_service_client::UserServiceClient;
use reqwest::{Method, StatusCode};
use sea_orm::{ConnectionTrait, Database};
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tonic::transport::Channel;

pub use serde_json::json;

/// Which database a test runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    MariaDb,
}

/// What the database needs to be removed when the test ends.
enum Db {
    File(PathBuf),
    MySql { server: String, name: String },
}

/// A running stack for one test.
pub struct TestApp {
    /// `http://127.0.0.1:PORT/scim/v2`
    pub base: String,
    /// `http://127.0.0.1:PORT` of identity-core.
    pub core_url: String,
    /// Bearer token of the tenant created for the test.
    pub token: String,
    pub store: Store,
    pub backend: Backend,
    /// The test database's URL (for tests that inspect rows directly).
    pub database_url: String,
    http: reqwest::Client,
    stops: Vec<oneshot::Sender<()>>,
    db: Option<Db>,
}

/// An HTTP answer: status, headers, JSON body (Null when empty).
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

fn mysql_server() -> String {
    std::env::var("MYSQL_TEST_URL").unwrap_or_else(|_| "mysql://root@127.0.0.1:3306".to_owned())
}

fn mysql_required() -> bool {
    std::env::var_os("CI").is_some() || std::env::var("REQUIRE_MYSQL").is_ok_and(|v| v == "1")
}

impl TestApp {
    /// Starts the stack on `backend`; `None` when MariaDB is unreachable
    /// and not required.
    pub async fn spawn(backend: Backend) -> Option<Self> {
        Self::spawn_with(backend, |store| store).await
    }

    /// Like [`TestApp::spawn`], with identity-core's store adjusted by
    /// `configure` (e.g. a short page-token lifetime).
    pub async fn spawn_with(backend: Backend, configure: impl FnOnce(Store) -> Store) -> Option<Self> {
        let tag = uuid::Uuid::new_v4().simple().to_string();
        let (url, db) = match backend {
            Backend::Sqlite => {
                let path = std::env::temp_dir().join(format!("scim-e2e-{tag}.db"));
                (format!("sqlite://{}?mode=rwc", path.display()), Db::File(path))
            }
            Backend::MariaDb => {
                let server = mysql_server();
                let name = format!("e2e_{tag}");
                match Database::connect(server.clone()).await {
                    Ok(admin) => {
                        admin
                            .execute_unprepared(&format!("CREATE DATABASE `{name}`"))
                            .await
                            .expect("create the test database");
                        (format!("{server}/{name}"), Db::MySql { server, name })
                    }
                    Err(e) if !mysql_required() => {
                        eprintln!(
                            "SKIPPED on MariaDB: cannot connect to {server} ({e}); set MYSQL_TEST_URL, or CI=1 to fail instead"
                        );
                        return None;
                    }
                    Err(e) => panic!("MariaDB is required (CI or REQUIRE_MYSQL=1) but {server} is unreachable: {e}"),
                }
            }
        };
        identity_core::store::migrate(&identity_core::config::DbConfig::for_url(&url))
            .await
            .expect("migrate the test database");
        let store = configure(Store::connect(&url).await.expect("connect to the test database"));
        let mut app = Self {
            base: String::new(),
            core_url: String::new(),
            token: String::new(),
            store: store.clone(),
            backend,
            database_url: url.clone(),
            http: reqwest::Client::new(),
            stops: Vec::new(),
            db: Some(db),
        };

        let core = TcpListener::bind("127.0.0.1:0").await.unwrap();
        app.core_url = format!("http://{}", core.local_addr().unwrap());
        let (stop, stopped) = oneshot::channel::<()>();
        app.stops.push(stop);
        // Limits far above what any test sends from one tenant (some fire
        // dozens of calls at once to test other things); the limits tests
        // set their tenants' own (tests/e2e/limits.rs).
        let limits = identity_core::config::LimitsConfig {
            tenant_rps: 100_000,
            tenant_burst: 100_000,
            tenant_concurrency: 1_000,
            ..Default::default()
        };
        let options = identity_core::ServeOptions { limits, ..Default::default() };
        tokio::spawn(identity_core::run_with(core, store, options, async {
            let _ = stopped.await;
        }));

        let edge = TcpListener::bind("127.0.0.1:0").await.unwrap();
        app.base = format!("http://{}/scim/v2", edge.local_addr().unwrap());
        let (stop, stopped) = oneshot::channel::<()>();
        app.stops.push(stop);
        let config = scim_edge::Config::for_core(app.core_url.clone());
        tokio::spawn(scim_edge::run(edge, config, async {
            let _ = stopped.await;
        }));

        app.token = app.new_tenant("acme").await;
        Some(app)
    }

    /// The test database's URL, for a second connection of the test's own
    /// (e.g. one that holds a lock while requests wait on it).
    pub fn database_url(&self) -> String {
        match &self.db {
            Some(Db::File(path)) => format!("sqlite://{}", path.display()),
            Some(Db::MySql { server, name }) => format!("{server}/{name}"),
            None => String::new(),
        }
    }

    /// Creates another tenant; returns its bearer token.
    pub async fn new_tenant(&self, name: &str) -> String {
        identity_core::store::tenants::create(&self.store, name).await.expect("create tenant").1
    }

    /// A request with this test's tenant token.
    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Answer {
        self.call_as(Some(&format!("Bearer {}", self.token)), method, path, body).await
    }

    /// A request with any `Authorization` header (or none).
    pub async fn call_as(&self, auth: Option<&str>, method: Method, path: &str, body: Option<Value>) -> Answer {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(a) = auth {
            req = req.header("Authorization", a);
        }
        if let Some(b) = body {
            req = req.header("Content-Type", "application/scim+json; charset=utf-8").body(b.to_string());
        }
        Self::answer(req).await
    }

    /// A raw request: headers and body as given.
    pub async fn raw(&self, method: Method, path: &str, headers: &[(&str, &str)], body: Option<String>) -> Answer {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(b) = body {
            req = req.body(b);
        }
        Self::answer(req).await
    }

    async fn answer(req: reqwest::RequestBuilder) -> Answer {
        let resp = req.send().await.expect("the edge answers");
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp.bytes().await.expect("a body");
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
        };
        Answer { status, headers, body }
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.call(Method::GET, path, None).await
    }
    pub async fn post(&self, path: &str, body: Value) -> Answer {
        self.call(Method::POST, path, Some(body)).await
    }
    pub async fn put(&self, path: &str, body: Value) -> Answer {
        self.call(Method::PUT, path, Some(body)).await
    }
    pub async fn patch(&self, path: &str, body: Value) -> Answer {
        self.call(Method::PATCH, path, Some(body)).await
    }
    pub async fn delete(&self, path: &str) -> Answer {
        self.call(Method::DELETE, path, None).await
    }

    /// Creates a user from Okta's create body; returns its id.
    pub async fn create_user(&self, user_name: &str) -> String {
        let a = self.post("/Users", okta_user(user_name)).await;
        assert_eq!(a.status, StatusCode::CREATED, "{:?}", a.body);
        a.body["id"].as_str().unwrap().to_owned()
    }

    /// Creates an empty group (Okta Group Push); returns its id.
    pub async fn create_group(&self, name: &str) -> String {
        let a = self
            .post(
                "/Groups",
                json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": name, "members": []}),
            )
            .await;
        assert_eq!(a.status, StatusCode::CREATED, "{:?}", a.body);
        a.body["id"].as_str().unwrap().to_owned()
    }

    /// gRPC request with `token` in its metadata.
    pub fn grpc<T>(&self, token: &str, msg: T) -> tonic::Request<T> {
        let mut r = tonic::Request::new(msg);
        r.metadata_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
        r
    }

    /// An identity-client [`Client`] of identity-core with `token`.
    pub async fn client(&self, token: &str) -> Client {
        Client::connect(&self.core_url, Credentials::bearer(token)).await.expect("connect to identity-core")
    }

    /// The generated UserService stub (requests carry their token: see
    /// [`TestApp::grpc`]), over an identity-client channel.
    pub async fn user_client(&self) -> UserServiceClient<Channel> {
        self.client("").await.user_service()
    }

    /// The generated GroupService stub; see [`TestApp::user_client`].
    pub async fn group_client(&self) -> GroupServiceClient<Channel> {
        self.client("").await.group_service()
    }

    /// The generated SchemaService stub; see [`TestApp::user_client`].
    pub async fn schema_client(&self) -> SchemaServiceClient<Channel> {
        self.client("").await.schema_service()
    }
}

/// Percent-encodes a query parameter value (everything but ASCII letters
/// and digits).
pub fn enc(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

/// The body Okta sends to create a user.
pub fn okta_user(user_name: &str) -> Value {
    let local = user_name.split('@').next().unwrap_or(user_name);
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": user_name,
        "name": {"givenName": local, "familyName": "Doe"},
        "emails": [{"primary": true, "value": user_name, "type": "work"}],
        "displayName": format!("{local} Doe"),
        "locale": "en-US",
        "externalId": format!("00u{local}"),
        "groups": [],
        "password": "1mz050nq",
        "active": true
    })
}

impl Drop for TestApp {
    fn drop(&mut self) {
        for stop in self.stops.drain(..) {
            let _ = stop.send(());
        }
        match self.db.take() {
            Some(Db::File(path)) => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            Some(Db::MySql { server, name }) => {
                // Drop runs outside async context: use a thread with its own runtime.
                let _ = std::thread::spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
                    rt.block_on(async {
                        if let Ok(admin) = Database::connect(server).await {
                            let _ = admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS `{name}`")).await;
                        }
                    });
                })
                .join();
            }
            None => {}
        }
    }
}

/// Defines a test that runs on SQLite and on MariaDB:
/// `e2e!(name, |app| async move { ... })`.
#[macro_export]
macro_rules! e2e {
    ($name:ident, |$app:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                if let Some($app) = $crate::TestApp::spawn($crate::Backend::Sqlite).await {
                    $body
                }
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn mariadb() {
                if let Some($app) = $crate::TestApp::spawn($crate::Backend::MariaDb).await {
                    $body
                }
            }
        }
    };
}
