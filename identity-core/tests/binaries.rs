//! Runs the real `identity-core` and `scim-edge` binaries the way an operator
//! does: help texts, `serve` + `tenant create` on one SQLite file, the same
//! flow on MariaDB, graceful SIGTERM, and the edge's 503 while the core is down.
//!
//! Every wait is bounded ([`WAIT`]); a child still running when a test ends
//! (or panics) is killed, and on failure its collected log is printed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::OnceLock;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use sea_orm::{ConnectOptions, ConnectionTrait, Database};
use serde_json::{Value, json};

/// Upper bound of every wait on a child process, a log line or an HTTP answer.
const WAIT: Duration = Duration::from_secs(30);
/// Upper bound of the one-off `cargo build` of scim-edge (a cold build is slow).
const BUILD_WAIT: Duration = Duration::from_secs(20 * 60);
const CORE_LISTENING: &str = "identity-core listening addr=";
const EDGE_LISTENING: &str = "scim-edge listening on http://";
const SCIM_JSON: &str = "application/scim+json";
const SCIM_ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
/// Variables the binaries read: cleared so the caller's environment cannot leak in.
const CLEARED_ENV: &[&str] = &[
    "IDENTITY_DATABASE_URL",
    "IDENTITY_CORE_LISTEN",
    "IDENTITY_CORE_URL",
    "SCIM_EDGE_LISTEN",
    "SCIM_EDGE_PUBLIC_URL",
    "SCIM_EDGE_MAX_BODY_BYTES",
    "SCIM_EDGE_CORE_TIMEOUT_SECS",
    "RUST_LOG",
    "RUST_BACKTRACE",
    "RUST_LIB_BACKTRACE",
];

fn core_bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_identity-core"))
}

/// scim-edge next to identity-core in the same target dir, built once if missing.
fn edge_bin() -> &'static Path {
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
fn command(bin: &Path) -> Command {
    let mut cmd = Command::new(bin);
    for var in CLEARED_ENV {
        cmd.env_remove(var);
    }
    cmd.stdin(Stdio::null());
    cmd
}

/// Waits for `child` to exit, polling, for at most `timeout`.
fn wait_bounded(child: &mut Child, timeout: Duration) -> Option<ExitStatus> {
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

fn read_to_end_on_thread(mut pipe: impl Read + Send + 'static) -> JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = pipe.read_to_end(&mut buf);
        buf
    })
}

/// Runs a command to completion within `timeout`, capturing stdout and stderr.
fn run_within(mut cmd: Command, timeout: Duration) -> Output {
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

fn run(cmd: Command) -> Output {
    run_within(cmd, WAIT)
}

/// Removes ANSI escape sequences (CSI `ESC [ ... final`) from a log line.
fn strip_ansi(line: &str) -> String {
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
struct Service {
    name: &'static str,
    child: Child,
    lines: Receiver<String>,
    log: Vec<String>,
}

impl Service {
    fn spawn(name: &'static str, mut cmd: Command) -> Self {
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
    fn core(database_url: &str) -> Self {
        let mut cmd = command(core_bin());
        cmd.args(["serve", "--database-url", database_url, "--listen", "127.0.0.1:0"]);
        Self::spawn("identity-core", cmd)
    }

    /// Starts `scim-edge` in front of `core_url` on an ephemeral port.
    fn edge(core_url: &str) -> Self {
        let mut cmd = command(edge_bin());
        cmd.args(["--core-url", core_url, "--listen", "127.0.0.1:0"]);
        Self::spawn("scim-edge", cmd)
    }

    /// Reads log lines until one contains `needle`; returns that line.
    fn wait_for_line(&mut self, needle: &str) -> String {
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
    fn wait_for_addr(&mut self, prefix: &str) -> SocketAddr {
        let line = self.wait_for_line(prefix);
        let rest = &line[line.find(prefix).unwrap() + prefix.len()..];
        let addr = rest.split(|c: char| c.is_whitespace() || c == '/').next().unwrap_or_default();
        addr.parse().unwrap_or_else(|e| panic!("{}: cannot parse an address from {line:?}: {e}", self.name))
    }

    /// Sends SIGTERM and waits (bounded) for the exit status.
    fn terminate(&mut self) -> ExitStatus {
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
    fn log_text(&mut self) -> String {
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
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        let dir = std::env::temp_dir().join(format!("identity-bin-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    fn sqlite_url(&self) -> String {
        format!("sqlite://{}?mode=rwc", self.0.join("identity.db").display())
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A fresh MariaDB database, dropped on drop (also when the test panics).
struct MariaDb {
    server: String,
    name: String,
}

impl MariaDb {
    /// `None` when MariaDB is unreachable and not required (CI unset).
    async fn create() -> Option<Self> {
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

    fn url(&self) -> String {
        format!("{}/{}", self.server, self.name)
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
fn tenant_create(database_url: &str, name: &str) -> Output {
    let mut cmd = command(core_bin());
    cmd.args(["tenant", "create", name, "--database-url", database_url]);
    run(cmd)
}

/// Creates a tenant; returns the token printed alone on the last stdout line.
fn new_token(database_url: &str, name: &str) -> String {
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

fn http() -> reqwest::Client {
    reqwest::Client::builder().timeout(WAIT).no_proxy().build().unwrap()
}

/// Sends a request; returns status, headers and the JSON body (a string when not JSON).
async fn answer(req: reqwest::RequestBuilder) -> (StatusCode, reqwest::header::HeaderMap, Value) {
    let resp = req.send().await.expect("the edge answers");
    let (status, headers) = (resp.status(), resp.headers().clone());
    let text = resp.text().await.expect("a body");
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, headers, body)
}

/// serve + two `tenant create` on the same database while it runs, then SCIM
/// through scim-edge with the printed token.
async fn serve_create_tenants_and_provision(database_url: &str) {
    let mut core = Service::core(database_url);
    let core_addr = core.wait_for_addr(CORE_LISTENING);
    assert_eq!(core_addr.ip().to_string(), "127.0.0.1");

    let acme = new_token(database_url, "acme");
    let globex = new_token(database_url, "globex");
    assert_ne!(acme, globex);

    let dup = tenant_create(database_url, "acme");
    let stderr = String::from_utf8_lossy(&dup.stderr);
    assert!(!dup.status.success(), "a second tenant named acme was created: {}", String::from_utf8_lossy(&dup.stdout));
    assert!(
        stderr.contains("already taken") && !stderr.contains("panicked"),
        "unclear error for a taken name:\n{stderr}"
    );

    let mut edge = Service::edge(&format!("http://{core_addr}"));
    let base = format!("http://{}/scim/v2", edge.wait_for_addr(EDGE_LISTENING));
    let client = http();

    let (status, _, body) = answer(client.get(format!("{base}/Users?startIndex=1&count=2")).bearer_auth(&acme)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["totalResults"], json!(0), "{body}");

    let create = client
        .post(format!("{base}/Users"))
        .bearer_auth(&acme)
        .header("content-type", SCIM_JSON)
        .body(json!({"userName": "a@x.com"}).to_string());
    let (status, _, body) = answer(create).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["userName"], json!("a@x.com"), "{body}");

    // The user is acme's: globex's token does not see it.
    let (_, _, body) = answer(client.get(format!("{base}/Users")).bearer_auth(&acme)).await;
    assert_eq!(body["totalResults"], json!(1), "{body}");
    let (_, _, body) = answer(client.get(format!("{base}/Users")).bearer_auth(&globex)).await;
    assert_eq!(body["totalResults"], json!(0), "{body}");
}

#[test]
fn both_binaries_document_their_interface_in_help() {
    let cases: [(&Path, &[&str], &[&str]); 4] = [
        (core_bin(), &["--help"], &["serve", "migrate", "tenant"]),
        (
            core_bin(),
            &["serve", "--help"],
            &["--database-url", "--listen", "IDENTITY_DATABASE_URL", "IDENTITY_CORE_LISTEN"],
        ),
        (core_bin(), &["tenant", "create", "--help"], &["--database-url", "IDENTITY_DATABASE_URL"]),
        (edge_bin(), &["--help"], &["--core-url", "--listen", "IDENTITY_CORE_URL", "SCIM_EDGE_LISTEN"]),
    ];
    for (bin, args, mentions) in cases {
        let mut cmd = command(bin);
        cmd.args(args);
        let out = run(cmd);
        let help = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{} {args:?}: {}\n{}",
            bin.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        for word in mentions {
            assert!(help.contains(word), "{} {args:?} does not mention {word}:\n{help}", bin.display());
        }
    }
}

#[tokio::test]
async fn tenant_create_works_while_serve_runs_on_the_same_sqlite_file() {
    let dir = TempDir::new();
    serve_create_tenants_and_provision(&dir.sqlite_url()).await;
}

#[tokio::test]
async fn the_same_flow_works_on_mariadb() {
    let Some(db) = MariaDb::create().await else { return };
    let mut migrate = command(core_bin());
    migrate.args(["migrate", "--database-url", &db.url()]);
    let out = run(migrate);
    assert!(out.status.success(), "migrate: {}\n{}", out.status, String::from_utf8_lossy(&out.stderr));
    serve_create_tenants_and_provision(&db.url()).await;
}

#[test]
fn sigterm_stops_both_services_gracefully() {
    let dir = TempDir::new();
    let mut core = Service::core(&dir.sqlite_url());
    let core_addr = core.wait_for_addr(CORE_LISTENING);
    let mut edge = Service::edge(&format!("http://{core_addr}"));
    edge.wait_for_addr(EDGE_LISTENING);

    let status = edge.terminate();
    assert!(status.success(), "scim-edge exited with {status} after SIGTERM");
    edge.wait_for_line("scim-edge stopped");

    let status = core.terminate();
    assert!(status.success(), "identity-core exited with {status} after SIGTERM");
    core.wait_for_line("identity-core stopped");
}

#[tokio::test]
async fn the_edge_answers_503_with_a_scim_error_while_the_core_is_down() {
    let dead = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let mut edge = Service::edge(&format!("http://{dead}"));
    let base = format!("http://{}/scim/v2", edge.wait_for_addr(EDGE_LISTENING));

    let (status, headers, body) = answer(http().get(format!("{base}/Users")).bearer_auth("any-token")).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    let content_type = headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default();
    assert!(content_type.starts_with(SCIM_JSON), "content-type {content_type:?}");
    assert_eq!(body["status"], json!("503"), "{body}");
    assert_eq!(body["schemas"], json!([SCIM_ERROR_SCHEMA]), "{body}");
    assert!(headers.contains_key("retry-after"), "no Retry-After in {headers:?}");
}

#[test]
fn operators_set_modes_and_declare_schemas_from_the_command_line() {
    let dir = TempDir::new();
    let url = dir.sqlite_url();
    new_token(&url, "acme");

    let mut set = command(core_bin());
    set.args(["tenant", "set-mode", "acme", "strict", "--database-url", &url]);
    let out = run(set);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut bad = command(core_bin());
    bad.args(["tenant", "set-mode", "acme", "sideways", "--database-url", &url]);
    assert!(!run(bad).status.success(), "an unknown mode is refused");
    let mut list = command(core_bin());
    list.args(["tenant", "list", "--database-url", &url]);
    let out = run(list);
    let listed = String::from_utf8_lossy(&out.stdout);
    assert!(listed.lines().any(|l| l.starts_with("acme\t") && l.ends_with("\tstrict")), "{listed}");

    let file = dir.0.join("acme.json");
    std::fs::write(
        &file,
        json!({
            "id": "urn:ietf:params:scim:schemas:extension:acme:2.0:User",
            "name": "AcmeUser",
            "attributes": [{"name": "badge", "type": "string"}, {"name": "level", "type": "integer", "multiValued": false}]
        })
        .to_string(),
    )
    .unwrap();
    let mut add = command(core_bin());
    add.args(["schema", "add", "--tenant", "acme"]).arg(&file).args(["--database-url", &url]);
    let out = run(add);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut again = command(core_bin());
    again.args(["schema", "add", "--tenant", "acme"]).arg(&file).args(["--database-url", &url]);
    assert!(!run(again).status.success(), "a schema is declared once");
    let mut list = command(core_bin());
    list.args(["schema", "list", "--tenant", "acme", "--database-url", &url]);
    let out = run(list);
    let listed = String::from_utf8_lossy(&out.stdout);
    assert!(listed.contains("urn:ietf:params:scim:schemas:extension:acme:2.0:User\tUser\tbadge,level"), "{listed}");
}
