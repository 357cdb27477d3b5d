//! The deployment under test, started the way an operator starts it: a fresh
//! database on the cluster, `identity-core migrate` once (through node 3),
//! two `identity-core serve` (core A on node 1, core B on node 2, each with
//! the other nodes as fallbacks) and two `scim-edge`, one in front of each
//! core. Logs go to target/<profile>/galera-logs/<database>/; they are
//! printed when a test fails.

use std::fs::File;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use sea_orm::sqlx::{AssertSqlSafe, Connection, Executor};
use serde_json::Value;

use crate::cluster::{self, NODES};

/// Bound of every wait for a process or an HTTP answer.
const WAIT: Duration = Duration::from_secs(30);
pub const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
pub const MEMBERS_EXT: &str = "urn:ietf:params:scim:schemas:extension:groupMembers:2.0:Group";

/// Two cores, two edges, one tenant, on a database of their own.
pub struct Stack {
    pub db: String,
    pub edges: Edges,
    /// `http://127.0.0.1:PORT` of core A (node 1) and core B (node 2), for gRPC.
    pub cores: [String; 2],
    logs: PathBuf,
    children: Vec<(&'static str, Child)>,
}

/// What a client needs to call both edges; cheap to clone into tasks.
#[derive(Clone)]
pub struct Edges {
    /// `http://127.0.0.1:PORT/scim/v2` of edge A (core A, node 1) and edge B (core B, node 2).
    pub base: [String; 2],
    pub token: String,
    http: reqwest::Client,
}

/// An HTTP answer.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

impl Stack {
    pub async fn start(test: &str) -> Self {
        let db = format!("galera_{}_{}", &test[..test.len().min(24)], &uuid::Uuid::new_v4().simple().to_string()[..8]);
        let logs = cluster::target_dir().join("galera-logs").join(&db);
        std::fs::create_dir_all(&logs).expect("create the log directory");
        let mut admin = cluster::connect(NODES[0], "mysql").await;
        // Galera's default write-set limits, whatever a failed test left.
        for sql in ["SET GLOBAL wsrep_max_ws_rows = 0", "SET GLOBAL wsrep_max_ws_size = 2147483647"] {
            admin.execute(sql).await.expect("reset a write-set limit");
        }
        admin.execute(AssertSqlSafe(format!("CREATE DATABASE `{db}`"))).await.expect("create the test database");
        let _ = admin.close().await;
        // DDL runs on each node in turn: wait until every node has the database.
        for port in NODES {
            let mut conn = cluster::connect(port, "mysql").await;
            let sql = format!("SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '{db}'");
            let deadline = Instant::now() + WAIT;
            while cluster::int(&mut conn, &sql).await == 0 {
                assert!(Instant::now() < deadline, "node {port} never saw database {db}");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            let _ = conn.close().await;
        }
        let mut stack = Self {
            db: db.clone(),
            edges: Edges { base: [String::new(), String::new()], token: String::new(), http: http() },
            cores: [String::new(), String::new()],
            logs,
            children: Vec::new(),
        };

        // Once, through a node no core uses: the schema replicates to all.
        let migrate = stack.run_core(&["migrate", "--database-url", &cluster::url(NODES[2], &db)], "migrate");
        assert!(migrate.success(), "identity-core migrate failed; see {}", stack.logs.display());
        let out = stack.logs.join("tenant.out");
        let tenant = core_command(&["tenant", "create", "galera", "--database-url", &cluster::url(NODES[0], &db)])
            .stdout(File::create(&out).expect("tenant.out"))
            .stderr(stack.log("tenant"))
            .status()
            .expect("run identity-core tenant create");
        assert!(tenant.success(), "tenant create failed; see {}", stack.logs.display());
        stack.edges.token =
            std::fs::read_to_string(&out).unwrap_or_default().lines().last().unwrap_or_default().to_owned();

        for (i, (name, edge_name)) in [("core-a", "edge-a"), ("core-b", "edge-b")].into_iter().enumerate() {
            let fallbacks: Vec<String> =
                (1..NODES.len()).map(|k| cluster::url(NODES[(i + k) % NODES.len()], &db)).collect();
            stack.cores[i] = stack.start_core(name, &cluster::url(NODES[i], &db), &fallbacks).await;
            let core = stack.cores[i].clone();
            stack.edges.base[i] = stack.start_edge(edge_name, &core).await;
        }
        stack
    }

    /// Starts `identity-core serve` on `primary` with `fallbacks`; returns its URL.
    pub async fn start_core(&mut self, name: &'static str, primary: &str, fallbacks: &[String]) -> String {
        let mut args = vec!["serve", "--database-url", primary, "--listen", "127.0.0.1:0"];
        for url in fallbacks {
            args.extend(["--database-fallback-url", url.as_str()]);
        }
        let mut core = core_command(&args);
        core.env("RUST_LOG", "info,identity_core::store::retry=debug");
        format!("http://{}", self.serve(name, core, "identity-core listening addr=").await)
    }

    /// Starts `scim-edge` in front of `core`; returns its SCIM base URL.
    pub async fn start_edge(&mut self, name: &'static str, core: &str) -> String {
        let mut edge = Command::new(bin("scim-edge"));
        edge.args(["--core-url", core, "--listen", "127.0.0.1:0"]).env("RUST_LOG", "info").stdin(Stdio::null());
        format!("http://{}/scim/v2", self.serve(name, edge, "scim-edge listening on http://").await)
    }

    /// Starts a long-running `cmd` logging to `name`.log; returns the
    /// address it logs after `ready`.
    async fn serve(&mut self, name: &'static str, mut cmd: Command, ready: &str) -> String {
        let child = cmd.stdout(Stdio::null()).stderr(self.log(name)).spawn().expect("start a service");
        self.children.push((name, child));
        self.wait_for(name, ready).await
    }

    fn log(&self, name: &str) -> File {
        File::create(self.logs.join(format!("{name}.log"))).expect("create a log file")
    }

    fn run_core(&self, args: &[&str], log: &str) -> std::process::ExitStatus {
        core_command(args).stdout(Stdio::null()).stderr(self.log(log)).status().expect("run identity-core")
    }

    /// Waits for a log line of `name` containing `prefix`; returns the
    /// address that follows it.
    async fn wait_for(&mut self, name: &str, prefix: &str) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(line) = self.log_text(name).lines().find(|l| l.contains(prefix)) {
                let rest = &line[line.find(prefix).unwrap_or(0) + prefix.len()..];
                return rest.split(|c: char| c.is_whitespace() || c == '/').next().unwrap_or_default().to_owned();
            }
            let exited = self.children.iter_mut().any(|(n, c)| *n == name && !matches!(c.try_wait(), Ok(None)));
            assert!(!exited && Instant::now() < deadline, "{name} did not start:\n{}", self.log_text(name));
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Everything `name` logged so far.
    pub fn log_text(&self, name: &str) -> String {
        std::fs::read_to_string(self.logs.join(format!("{name}.log"))).unwrap_or_default()
    }

    /// How many transactions the cores retried after a conflict (deadlock
    /// or certification failure), from their logs.
    pub fn retries(&self) -> usize {
        ["core-a", "core-b"].iter().map(|c| self.log_text(c).matches("transaction conflict, retrying").count()).sum()
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        for (_, child) in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
        if std::thread::panicking() {
            for (name, _) in &self.children {
                let log = self.log_text(name);
                let tail: Vec<&str> = log.lines().rev().take(60).collect::<Vec<_>>().into_iter().rev().collect();
                eprintln!("---- {name} (last lines of {}/{name}.log) ----\n{}", self.logs.display(), tail.join("\n"));
            }
            return;
        }
        // Dropped on a thread of its own: Drop may run inside a runtime.
        let db = self.db.clone();
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
            rt.block_on(async {
                for port in NODES {
                    if let Ok(mut c) =
                        sea_orm::sqlx::mysql::MySqlConnection::connect(&cluster::url(port, "mysql")).await
                    {
                        let _ = c.execute(AssertSqlSafe(format!("DROP DATABASE IF EXISTS `{db}`"))).await;
                        return Some(());
                    }
                }
                None
            })
        })
        .join();
    }
}

impl Edges {
    /// Sends `method path` to edge `edge` (0 or 1) with the tenant's token.
    pub async fn call(
        &self,
        edge: usize,
        method: Method,
        path: &str,
        body: Option<&Value>,
        if_match: Option<&str>,
    ) -> Reply {
        let mut req = self.http.request(method, format!("{}{path}", self.base[edge])).bearer_auth(&self.token);
        if let Some(body) = body {
            req = req.header("content-type", "application/scim+json").body(body.to_string());
        }
        if let Some(etag) = if_match {
            req = req.header("if-match", etag);
        }
        let resp = req.send().await.unwrap_or_else(|e| panic!("edge {edge} did not answer {path}: {e}"));
        let (status, headers) = (resp.status(), resp.headers().clone());
        let text = resp.text().await.unwrap_or_default();
        let body =
            if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or(Value::String(text)) };
        Reply { status, headers, body }
    }

    pub async fn get(&self, edge: usize, path: &str) -> Reply {
        self.call(edge, Method::GET, path, None, None).await
    }

    pub async fn post(&self, edge: usize, path: &str, body: &Value) -> Reply {
        self.call(edge, Method::POST, path, Some(body), None).await
    }

    pub async fn patch(&self, edge: usize, path: &str, body: &Value) -> Reply {
        self.call(edge, Method::PATCH, path, Some(body), None).await
    }

    /// Creates a user through `edge`; returns its id.
    pub async fn create_user(&self, edge: usize, user_name: &str) -> String {
        let r = self.post(edge, "/Users", &serde_json::json!({"schemas": [USER], "userName": user_name})).await;
        assert_eq!(r.status, StatusCode::CREATED, "create {user_name}: {}", r.body);
        r.body["id"].as_str().expect("an id").to_owned()
    }
}

fn http() -> reqwest::Client {
    reqwest::Client::builder().timeout(WAIT * 2).no_proxy().build().expect("an HTTP client")
}

/// target/<profile>/NAME: built by `cargo build --bins` (as .ci/galera.sh does).
fn bin(name: &str) -> PathBuf {
    let path = cluster::target_dir().join(name);
    assert!(path.exists(), "{} is missing: run cargo build --bins first", path.display());
    path
}

fn core_command(args: &[&str]) -> Command {
    let mut cmd = Command::new(bin("identity-core"));
    cmd.args(args).stdin(Stdio::null());
    for var in ["IDENTITY_DATABASE_URL", "IDENTITY_DATABASE_FALLBACK_URLS", "IDENTITY_CORE_LISTEN"] {
        cmd.env_remove(var);
    }
    cmd
}
