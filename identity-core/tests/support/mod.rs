//! Helpers shared by the binary tests: bounded runs of the real binaries,
//! services whose log lines are read as they come, a temporary directory
//! and a fresh MariaDB database.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use sea_orm::{ConnectOptions, ConnectionTrait, Database};
use serde_json::Value;
use tokio::task::AbortHandle;

/// Upper bound of every wait on a child process, a log line or an HTTP answer.
pub const WAIT: Duration = Duration::from_secs(30);
/// Upper bound of the one-off `cargo build` of scim-edge (a cold build is slow).
pub const BUILD_WAIT: Duration = Duration::from_secs(20 * 60);
pub const CORE_LISTENING: &str = "identity-core listening addr=";
pub const EDGE_LISTENING: &str = "scim-edge listening on http://";
pub const SCIM_JSON: &str = "application/scim+json";
pub const SCIM_ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
/// Variables the binaries read: cleared so the caller's environment cannot leak in.
pub const CLEARED_ENV: &[&str] = &[
    "IDENTITY_DATABASE_URL",
    "IDENTITY_CORE_LISTEN",
    "IDENTITY_CORE_URL",
    "SCIM_EDGE_LISTEN",
    "SCIM_EDGE_PUBLIC_URL",
    "SCIM_EDGE_MAX_BODY_BYTES",
    "SCIM_EDGE_CORE_TIMEOUT_SECS",
    "SCIM_EDGE_GROUP_MEMBERS",
    "SCIM_EDGE_TENANT_CACHE_SECS",
    "SCIM_EDGE_LOG_FORMAT",
    "SCIM_EDGE_METRICS_LISTEN",
    "IDENTITY_CORE_LOG_FORMAT",
    "IDENTITY_CORE_METRICS_LISTEN",
    "IDENTITY_CORE_MIGRATE",
    "IDENTITY_CORE_REFLECTION",
    "IDENTITY_DB_MAX_CONNECTIONS",
    "IDENTITY_DB_ACQUIRE_TIMEOUT_SECS",
    "IDENTITY_DB_BUSY_TIMEOUT_SECS",
    "IDENTITY_CURSOR_TTL_SECS",
    "IDENTITY_AUDIT_RETENTION_DAYS",
    "IDENTITY_CORE_TLS_CERT",
    "IDENTITY_CORE_TLS_KEY",
    "IDENTITY_CORE_TLS_CLIENT_CA",
    "SCIM_EDGE_TLS_CERT",
    "SCIM_EDGE_TLS_KEY",
    "SCIM_EDGE_CORE_CA",
    "SCIM_EDGE_CORE_CLIENT_CERT",
    "SCIM_EDGE_CORE_CLIENT_KEY",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "RUST_LOG",
    "RUST_BACKTRACE",
    "RUST_LIB_BACKTRACE",
];

pub fn core_bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_identity-core"))
}

/// scim-edge next to identity-core in the same target dir, built once if missing.
pub fn edge_bin() -> &'static Path {
    static EDGE: OnceLock<PathBuf> = OnceLock::new();
    EDGE.get_or_init(|| {
        let path = core_bin().with_file_name(format!("scim-edge{}", std::env::consts::EXE_SUFFIX));
        if !path.exists() {
            let cargo = std::env::var_os("CARGO").unwrap_or_else(|| OsString::from(env!("CARGO")));
            let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the workspace root");
            let mut build = Command::new(cargo);
            build.current_dir(workspace).args(["build", "-p", "scim-edge", "--bin", "scim-edge"]);
            // Same profile as this test binary: target/<profile>/identity-core.
            match path.parent().and_then(Path::file_name).and_then(|p| p.to_str()) {
                Some("debug") | None => {}
                Some(profile) => {
                    build.args(["--profile", profile]);
                }
            }
            let out = run_within(build, BUILD_WAIT);
            assert!(out.status.success(), "cargo build of scim-edge failed:\n{}", String::from_utf8_lossy(&out.stderr));
        }
        assert!(path.exists(), "scim-edge is not at {} (even after cargo build)", path.display());
        path
    })
}

/// A command for `bin` with a clean environment for the variables the binaries read.
pub fn command(bin: &Path) -> Command {
    let mut cmd = Command::new(bin);
    for var in CLEARED_ENV {
        cmd.env_remove(var);
    }
    cmd.stdin(Stdio::null());
    cmd
}

/// Waits for `child` to exit, polling, for at most `timeout`.
pub fn wait_bounded(child: &mut Child, timeout: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait().expect("poll the child") {
            return Some(status);
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

pub fn read_to_end_on_thread(mut pipe: impl Read + Send + 'static) -> JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = pipe.read_to_end(&mut buf);
        buf
    })
}

/// Runs a command to completion within `timeout`, capturing stdout and stderr.
pub fn run_within(mut cmd: Command, timeout: Duration) -> Output {
    let desc = format!("{cmd:?}");
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("cannot start {desc}: {e}"));
    let stdout = read_to_end_on_thread(child.stdout.take().unwrap());
    let stderr = read_to_end_on_thread(child.stderr.take().unwrap());
    let Some(status) = wait_bounded(&mut child, timeout) else {
        let _ = child.kill();
        let _ = child.wait();
        let err = stderr.join().unwrap_or_default();
        panic!("{desc} did not finish within {timeout:?}; stderr:\n{}", String::from_utf8_lossy(&err));
    };
    Output { status, stdout: stdout.join().unwrap(), stderr: stderr.join().unwrap() }
}

pub fn run(cmd: Command) -> Output {
    run_within(cmd, WAIT)
}

/// Removes ANSI escape sequences (CSI `ESC [ ... final`) from a log line.
pub fn strip_ansi(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c != '\u{1b}' {
            out.push(c);
            continue;
        }
        if chars.next() == Some('[') {
            for c in chars.by_ref() {
                if ('@'..='~').contains(&c) {
                    break;
                }
            }
        }
    }
    out
}

/// A long-running child whose stderr lines arrive through a channel; killed on drop.
pub struct Service {
    pub name: &'static str,
    pub child: Child,
    lines: Receiver<String>,
    log: Vec<String>,
}

impl Service {
    pub fn spawn(name: &'static str, mut cmd: Command) -> Self {
        cmd.stdout(Stdio::null()).stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        let stderr = child.stderr.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if tx.send(strip_ansi(&line)).is_err() {
                    break;
                }
            }
        });
        Self { name, child, lines, log: Vec::new() }
    }

    /// Starts `identity-core serve` on `database_url` and an ephemeral port.
    pub fn core(database_url: &str) -> Self {
        Self::core_with(database_url, &[])
    }

    /// [`Service::core`] with more arguments.
    pub fn core_with(database_url: &str, extra: &[&str]) -> Self {
        let mut cmd = command(core_bin());
        cmd.args(["serve", "--database-url", database_url, "--listen", "127.0.0.1:0"]).args(extra);
        Self::spawn("identity-core", cmd)
    }

    /// Starts `scim-edge` in front of `core_url` on an ephemeral port.
    pub fn edge(core_url: &str) -> Self {
        Self::edge_with(core_url, &[])
    }

    /// [`Service::edge`] with more arguments.
    pub fn edge_with(core_url: &str, extra: &[&str]) -> Self {
        let mut cmd = command(edge_bin());
        cmd.args(["--core-url", core_url, "--listen", "127.0.0.1:0"]).args(extra);
        Self::spawn("scim-edge", cmd)
    }

    /// Reads log lines until one contains `needle`; returns that line.
    pub fn wait_for_line(&mut self, needle: &str) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.log.push(line.clone());
                    if line.contains(needle) {
                        return line;
                    }
                }
                Err(RecvTimeoutError::Timeout) => {
                    panic!("{}: no log line containing {needle:?} within {WAIT:?}", self.name)
                }
                Err(RecvTimeoutError::Disconnected) => {
                    panic!("{}: stderr closed before a line containing {needle:?}", self.name)
                }
            }
        }
    }

    /// Waits for the listening line; returns the address logged after `prefix`.
    pub fn wait_for_addr(&mut self, prefix: &str) -> SocketAddr {
        let line = self.wait_for_line(prefix);
        let rest = &line[line.find(prefix).unwrap() + prefix.len()..];
        let addr = rest.split(|c: char| c.is_whitespace() || c == '/').next().unwrap_or_default();
        addr.parse().unwrap_or_else(|e| panic!("{}: cannot parse an address from {line:?}: {e}", self.name))
    }

    /// Sends SIGTERM and waits (bounded) for the exit status.
    pub fn terminate(&mut self) -> ExitStatus {
        let pid = self.child.id().to_string();
        let kill = run({
            let mut cmd = Command::new("kill");
            cmd.args(["-TERM", &pid]);
            cmd
        });
        assert!(kill.status.success(), "kill -TERM {pid} failed: {}", String::from_utf8_lossy(&kill.stderr));
        wait_bounded(&mut self.child, WAIT)
            .unwrap_or_else(|| panic!("{}: still running {WAIT:?} after SIGTERM", self.name))
    }

    /// Everything logged so far.
    pub fn log_text(&mut self) -> String {
        while let Ok(line) = self.lines.try_recv() {
            self.log.push(line);
        }
        self.log.join("\n")
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        if std::thread::panicking() {
            let (name, log) = (self.name, self.log_text());
            eprintln!("---- {name} log ----\n{log}\n---- end of {name} log ----");
        }
    }
}

/// A fresh temporary directory, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new() -> Self {
        let dir = std::env::temp_dir().join(format!("identity-bin-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    pub fn sqlite_url(&self) -> String {
        format!("sqlite://{}?mode=rwc", self.0.join("identity.db").display())
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A fresh MariaDB database, dropped on drop (also when the test panics).
pub struct MariaDb {
    server: String,
    name: String,
}

impl MariaDb {
    /// `None` when MariaDB is unreachable and not required (CI unset).
    pub async fn create() -> Option<Self> {
        let server = std::env::var("MYSQL_TEST_URL").unwrap_or_else(|_| "mysql://root@127.0.0.1:3306".to_owned());
        let required = std::env::var_os("CI").is_some() || std::env::var("REQUIRE_MYSQL").is_ok_and(|v| v == "1");
        let mut options = ConnectOptions::new(server.clone());
        options.connect_timeout(Duration::from_secs(5)).acquire_timeout(Duration::from_secs(5));
        let admin = match tokio::time::timeout(WAIT, Database::connect(options)).await {
            Ok(Ok(admin)) => admin,
            failure => {
                let why = match failure {
                    Ok(Err(e)) => e.to_string(),
                    _ => format!("no answer within {WAIT:?}"),
                };
                assert!(!required, "MariaDB is required (CI is set) but {server} is unreachable: {why}");
                eprintln!("SKIPPED: MariaDB at {server} is unreachable ({why}); set CI=1 to fail instead");
                return None;
            }
        };
        let name = format!("bin_{}", uuid::Uuid::new_v4().simple());
        admin.execute_unprepared(&format!("CREATE DATABASE `{name}`")).await.expect("create the test database");
        let _ = admin.close().await;
        Some(Self { server, name })
    }

    pub fn url(&self) -> String {
        format!("{}/{}", self.server, self.name)
    }

    /// The server's `host:port`.
    pub fn host_port(&self) -> String {
        let rest = self.server.split_once("://").map_or(self.server.as_str(), |(_, r)| r);
        let rest = rest.rsplit_once('@').map_or(rest, |(_, r)| r);
        rest.split('/').next().unwrap_or(rest).to_owned()
    }

    /// The database's URL with `host:port` replaced by `addr` (a proxy).
    pub fn url_through(&self, addr: SocketAddr) -> String {
        self.url().replacen(&self.host_port(), &addr.to_string(), 1)
    }
}

impl Drop for MariaDb {
    fn drop(&mut self) {
        let (server, name) = (self.server.clone(), self.name.clone());
        // Drop may run inside the test's runtime: use a thread with its own.
        let dropped = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async {
                let admin = tokio::time::timeout(WAIT, Database::connect(server)).await.ok()?.ok()?;
                let sql = format!("DROP DATABASE IF EXISTS `{name}`");
                tokio::time::timeout(WAIT, admin.execute_unprepared(&sql)).await.ok()?.ok()
            })
        })
        .join();
        if !matches!(dropped, Ok(Some(_))) {
            eprintln!("could not drop the test database {}", self.name);
        }
    }
}

/// `identity-core tenant create NAME`; returns the whole output.
pub fn tenant_create(database_url: &str, name: &str) -> Output {
    let mut cmd = command(core_bin());
    cmd.args(["tenant", "create", name, "--database-url", database_url]);
    run(cmd)
}

/// Creates a tenant; returns the token printed alone on the last stdout line.
pub fn new_token(database_url: &str, name: &str) -> String {
    let out = tenant_create(database_url, name);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "tenant create {name}: {}\n{stdout}{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let token = stdout.lines().last().unwrap_or_default().to_owned();
    assert!(token.len() >= 64 && !token.contains(char::is_whitespace), "not a token: {token:?} in\n{stdout}");
    token
}

pub fn http() -> reqwest::Client {
    reqwest::Client::builder().timeout(WAIT).no_proxy().build().unwrap()
}

/// Sends a request; returns status, headers and the JSON body (a string when not JSON).
pub async fn answer(req: reqwest::RequestBuilder) -> (StatusCode, reqwest::header::HeaderMap, Value) {
    let resp = req.send().await.expect("the edge answers");
    let (status, headers) = (resp.status(), resp.headers().clone());
    let text = resp.text().await.expect("a body");
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, headers, body)
}

/// The trace id the tests send in `traceparent`.
pub const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
/// The client's span id in that `traceparent`.
pub const CLIENT_SPAN_ID: &str = "00f067aa0ba902b7";

/// POSTs `user` to `{base}/Users` with a `traceparent` of [`TRACE_ID`] and
/// any `extra` headers; returns the response.
pub async fn post_traced_user(base: &str, token: &str, user: Value, extra: &[(&str, &str)]) -> reqwest::Response {
    let mut req = http()
        .post(format!("{base}/Users"))
        .bearer_auth(token)
        .header("content-type", SCIM_JSON)
        .header("traceparent", format!("00-{TRACE_ID}-{CLIENT_SPAN_ID}-01"));
    for (name, value) in extra {
        req = req.header(*name, *value);
    }
    req.body(user.to_string()).send().await.expect("the edge answers")
}

/// A TCP proxy whose link can be cut (every connection dropped, new ones
/// refused) and restored: a database that becomes unreachable.
pub struct Proxy {
    pub addr: SocketAddr,
    cut: Arc<AtomicBool>,
    links: Arc<tokio::sync::Mutex<Vec<AbortHandle>>>,
    accept: AbortHandle,
}

impl Proxy {
    pub async fn to(upstream: String) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let cut = Arc::new(AtomicBool::new(false));
        let links: Arc<tokio::sync::Mutex<Vec<AbortHandle>>> = Arc::default();
        let (c, l) = (cut.clone(), links.clone());
        let accept = tokio::spawn(async move {
            while let Ok((mut down, _)) = listener.accept().await {
                if c.load(Ordering::SeqCst) {
                    continue; // dropped: refused
                }
                let upstream = upstream.clone();
                let link = tokio::spawn(async move {
                    if let Ok(mut up) = tokio::net::TcpStream::connect(&upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut down, &mut up).await;
                    }
                });
                l.lock().await.push(link.abort_handle());
            }
        })
        .abort_handle();
        Self { addr, cut, links, accept }
    }

    pub async fn cut(&self) {
        self.cut.store(true, Ordering::SeqCst);
        for link in self.links.lock().await.drain(..) {
            link.abort();
        }
    }

    pub fn restore(&self) {
        self.cut.store(false, Ordering::SeqCst);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.accept.abort();
    }
}
