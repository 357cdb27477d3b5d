//! TLS on both services, through the real binaries, with certificates made
//! at test time (rcgen, ring): identity-core over TLS and mutual TLS (the
//! identity-client crate as the client), scim-edge over HTTPS, the edge
//! reaching identity-core over mutual TLS, certificates replaced on disk
//! and served without a restart, and bad TLS flags stopping the binaries
//! at start.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use identity_client::{Client, Credentials, proto::v1::User};
use rcgen::{BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use serde_json::{Value, json};
use support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const CORE_TLS_LISTENING: &str = "identity-core listening over TLS addr=";
const EDGE_HTTPS_LISTENING: &str = "scim-edge listening on https://";

/// A test certificate authority.
struct Ca {
    issuer: Issuer<'static, KeyPair>,
    pem: String,
}

/// A certificate issued by a [`Ca`], with its key.
struct Leaf {
    cert_pem: String,
    key_pem: String,
    der: CertificateDer<'static>,
}

impl Ca {
    fn new(name: &str) -> Self {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        let pem = params.self_signed(&key).unwrap().pem();
        Self { issuer: Issuer::new(params, key), pem }
    }

    /// A certificate for localhost and 127.0.0.1, good for servers and clients.
    fn leaf(&self, common_name: &str) -> Leaf {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()]).unwrap();
        params.distinguished_name.push(DnType::CommonName, common_name);
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth, ExtendedKeyUsagePurpose::ClientAuth];
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        Leaf { cert_pem: cert.pem(), key_pem: key.serialize_pem(), der: cert.der().clone() }
    }
}

/// Writes `name` under `dir`; returns its path.
fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// Writes a leaf as `<name>.crt` and `<name>.key`.
fn write_leaf(dir: &Path, name: &str, leaf: &Leaf) -> (PathBuf, PathBuf) {
    (write(dir, &format!("{name}.crt"), &leaf.cert_pem), write(dir, &format!("{name}.key"), &leaf.key_pem))
}

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// identity-client's TLS settings: trust `ca`, present `identity`.
fn client_tls(ca: &Ca, identity: Option<&Leaf>) -> identity_client::ClientTlsConfig {
    identity_client::tls_config(
        Some(ca.pem.as_bytes()),
        identity.map(|l| (l.cert_pem.as_bytes(), l.key_pem.as_bytes())),
    )
}

/// One authenticated call over TLS; the error text when anything fails.
async fn who_am_i_over_tls(url: &str, tls: identity_client::ClientTlsConfig, token: &str) -> Result<String, String> {
    let client = Client::connect_tls(url, tls, Credentials::bearer(token)).await.map_err(|e| e.to_string())?;
    client.with_deadline(Duration::from_secs(5)).who_am_i().await.map(|t| t.name).map_err(|e| e.to_string())
}

/// A rustls client (ring) trusting `ca`, offering `alpn`.
fn rustls_client(ca: &Ca, alpn: &[u8]) -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(CertificateDer::from_pem_slice(ca.pem.as_bytes()).unwrap()).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![alpn.to_vec()];
    Arc::new(config)
}

/// A TLS connection to `addr` checked against `ca` for "localhost".
async fn tls_connect(addr: SocketAddr, ca: &Ca, alpn: &[u8]) -> tokio_rustls::client::TlsStream<TcpStream> {
    let connector = tokio_rustls::TlsConnector::from(rustls_client(ca, alpn));
    let tcp = TcpStream::connect(addr).await.unwrap();
    let name = ServerName::try_from("localhost").unwrap();
    tokio::time::timeout(WAIT, connector.connect(name, tcp)).await.unwrap().expect("the TLS handshake")
}

/// The certificate `addr` serves now.
async fn served_cert(addr: SocketAddr, ca: &Ca, alpn: &[u8]) -> CertificateDer<'static> {
    let tls = tls_connect(addr, ca, alpn).await;
    tls.get_ref().1.peer_certificates().unwrap()[0].clone().into_owned()
}

/// Waits until `addr` serves `want` (certificates are looked at every 2 s).
async fn wait_served(addr: SocketAddr, ca: &Ca, alpn: &[u8], want: &CertificateDer<'static>) {
    let deadline = Instant::now() + WAIT;
    while served_cert(addr, ca, alpn).await != *want {
        assert!(Instant::now() < deadline, "{addr} still serves the old certificate after {WAIT:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The address logged after `prefix` in `line`.
fn addr_in(line: &str, prefix: &str) -> SocketAddr {
    let rest = &line[line.find(prefix).unwrap() + prefix.len()..];
    rest.split(|c: char| c.is_whitespace() || c == '/').next().unwrap().parse().unwrap()
}

/// One HTTP/1.1 request over TLS to the edge; status and JSON body.
async fn https(addr: SocketAddr, ca: &Ca, method: &str, path: &str, token: &str, body: Option<Value>) -> (u16, Value) {
    let mut tls = tls_connect(addr, ca, b"http/1.1").await;
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: localhost:{}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: {SCIM_JSON}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        addr.port(),
        body.len()
    );
    tls.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    tokio::time::timeout(WAIT, tls.read_to_end(&mut response)).await.unwrap().unwrap();
    let response = String::from_utf8(response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or_else(|| panic!("no HTTP response: {response:?}"));
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("status of {head:?}"));
    (status, serde_json::from_str(body).unwrap_or(Value::String(body.to_owned())))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn core_over_tls_serves_tls_clients_of_its_ca_and_refuses_plaintext() {
    let dir = TempDir::new();
    let url = dir.sqlite_url();
    let (ca, other_ca) = (Ca::new("test CA"), Ca::new("another CA"));
    let (cert, key) = write_leaf(&dir.0, "core", &ca.leaf("core"));
    let mut core = Service::core_with(&url, &["--tls-cert", s(&cert), "--tls-key", s(&key)]);
    let addr = core.wait_for_addr(CORE_TLS_LISTENING);
    let token = new_token(&url, "acme");
    let https_url = format!("https://localhost:{}", addr.port());

    assert_eq!(who_am_i_over_tls(&https_url, client_tls(&ca, None), &token).await, Ok("acme".to_owned()));
    // The calls are the real ones, over TLS.
    let client = Client::connect_tls(&https_url, client_tls(&ca, None), Credentials::bearer(&token)).await.unwrap();
    let created =
        client.create_user(User { user_name: "alice@example.com".into(), ..Default::default() }).await.unwrap();
    assert_eq!(client.get_user(&created.id).await.unwrap().user_name, "alice@example.com");

    // A plaintext client gets nothing.
    let plain = async {
        let client = Client::connect(&format!("http://{addr}"), Credentials::bearer(&token)).await?;
        client.with_deadline(Duration::from_secs(5)).who_am_i().await
    };
    assert!(plain.await.is_err(), "a plaintext client was served by a TLS identity-core");
    // Nor does a client that trusts another CA.
    let refused = who_am_i_over_tls(&https_url, client_tls(&other_ca, None), &token).await;
    assert!(refused.is_err(), "a client trusting another CA accepted the certificate: {refused:?}");
    assert!(core.log_text().contains("TLS handshake failed"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn core_with_a_client_ca_serves_only_clients_with_its_certificates() {
    let dir = TempDir::new();
    let url = dir.sqlite_url();
    let (ca, other_ca) = (Ca::new("test CA"), Ca::new("another CA"));
    let (cert, key) = write_leaf(&dir.0, "core", &ca.leaf("core"));
    let ca_file = write(&dir.0, "ca.crt", &ca.pem);
    let mut core =
        Service::core_with(&url, &["--tls-cert", s(&cert), "--tls-key", s(&key), "--tls-client-ca", s(&ca_file)]);
    let line = core.wait_for_line(CORE_TLS_LISTENING);
    assert!(line.contains("mutual=true"), "{line}");
    let token = new_token(&url, "acme");
    let https_url = format!("https://localhost:{}", addr_in(&line, CORE_TLS_LISTENING).port());

    let without = who_am_i_over_tls(&https_url, client_tls(&ca, None), &token).await;
    assert!(without.is_err(), "served a client without a certificate: {without:?}");
    let foreign = who_am_i_over_tls(&https_url, client_tls(&ca, Some(&other_ca.leaf("intruder"))), &token).await;
    assert!(foreign.is_err(), "served a client whose certificate another CA issued: {foreign:?}");
    let with = who_am_i_over_tls(&https_url, client_tls(&ca, Some(&ca.leaf("scim-edge"))), &token).await;
    assert_eq!(with, Ok("acme".to_owned()));
}

/// identity-core requiring client certificates, scim-edge serving HTTPS and
/// reaching it with its own client certificate: SCIM works end to end; an
/// edge without a client certificate gets 503s.
async fn edge_to_core_over_mutual_tls(url: &str) {
    let dir = TempDir::new();
    let ca = Ca::new("test CA");
    let (core_cert, core_key) = write_leaf(&dir.0, "core", &ca.leaf("identity-core"));
    let (edge_cert, edge_key) = write_leaf(&dir.0, "edge", &ca.leaf("scim-edge"));
    let (client_cert, client_key) = write_leaf(&dir.0, "edge-client", &ca.leaf("scim-edge client"));
    let ca_file = write(&dir.0, "ca.crt", &ca.pem);
    let mut core = Service::core_with(
        url,
        &["--tls-cert", s(&core_cert), "--tls-key", s(&core_key), "--tls-client-ca", s(&ca_file)],
    );
    let core_addr = core.wait_for_addr(CORE_TLS_LISTENING);
    let core_url = format!("https://localhost:{}", core_addr.port());
    let mut edge = Service::edge_with(
        &core_url,
        &[
            "--tls-cert",
            s(&edge_cert),
            "--tls-key",
            s(&edge_key),
            "--core-ca",
            s(&ca_file),
            "--core-client-cert",
            s(&client_cert),
            "--core-client-key",
            s(&client_key),
        ],
    );
    let edge_addr = edge.wait_for_addr(EDGE_HTTPS_LISTENING);
    let token = new_token(url, "acme");

    // As Okta sends it.
    let alice = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": "alice@example.com",
        "name": {"givenName": "Alice", "familyName": "Smith"},
        "emails": [{"primary": true, "value": "alice@example.com", "type": "work"}],
        "active": true
    });
    let (status, created) = https(edge_addr, &ca, "POST", "/scim/v2/Users", &token, Some(alice)).await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap();
    // Served over HTTPS: locations say so, without --public-url.
    let location = format!("https://localhost:{}/scim/v2/Users/{id}", edge_addr.port());
    assert_eq!(created["meta"]["location"], location.as_str());
    let (status, got) = https(edge_addr, &ca, "GET", &format!("/scim/v2/Users/{id}"), &token, None).await;
    assert_eq!(status, 200, "{got}");
    assert_eq!(got["userName"], "alice@example.com");
    let (status, _) = https(edge_addr, &ca, "GET", "/readyz", "", None).await;
    assert_eq!(status, 200);

    // The same edge without its client certificate: identity-core refuses it.
    let mut lost = Service::edge_with(
        &core_url,
        &["--tls-cert", s(&edge_cert), "--tls-key", s(&edge_key), "--core-ca", s(&ca_file)],
    );
    let lost_addr = lost.wait_for_addr(EDGE_HTTPS_LISTENING);
    let (status, body) = https(lost_addr, &ca, "GET", &format!("/scim/v2/Users/{id}"), &token, None).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["schemas"][0], SCIM_ERROR_SCHEMA);
    drop(edge);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edge_to_core_over_mutual_tls_on_sqlite() {
    let dir = TempDir::new();
    edge_to_core_over_mutual_tls(&dir.sqlite_url()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edge_to_core_over_mutual_tls_on_mariadb() {
    let Some(db) = MariaDb::create().await else { return };
    let mut migrate = command(core_bin());
    migrate.args(["migrate", "--database-url", &db.url()]);
    assert!(run(migrate).status.success());
    edge_to_core_over_mutual_tls(&db.url()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certificates_replaced_on_disk_are_served_without_a_restart() {
    let dir = TempDir::new();
    let url = dir.sqlite_url();
    let ca = Ca::new("test CA");
    let (first_core, first_edge) = (ca.leaf("core one"), ca.leaf("edge one"));
    let (core_cert, core_key) = write_leaf(&dir.0, "core", &first_core);
    let (edge_cert, edge_key) = write_leaf(&dir.0, "edge", &first_edge);
    let ca_file = write(&dir.0, "ca.crt", &ca.pem);
    let mut core = Service::core_with(&url, &["--tls-cert", s(&core_cert), "--tls-key", s(&core_key)]);
    let core_addr = core.wait_for_addr(CORE_TLS_LISTENING);
    let core_url = format!("https://localhost:{}", core_addr.port());
    let mut edge = Service::edge_with(
        &core_url,
        &["--tls-cert", s(&edge_cert), "--tls-key", s(&edge_key), "--core-ca", s(&ca_file)],
    );
    let edge_addr = edge.wait_for_addr(EDGE_HTTPS_LISTENING);
    let token = new_token(&url, "acme");
    assert_eq!(served_cert(core_addr, &ca, b"h2").await, first_core.der);
    assert_eq!(served_cert(edge_addr, &ca, b"http/1.1").await, first_edge.der);

    // Renewed: new keys, new names, new serials; same paths.
    let (second_core, second_edge) = (ca.leaf("core two"), ca.leaf("edge two"));
    write_leaf(&dir.0, "core", &second_core);
    write_leaf(&dir.0, "edge", &second_edge);
    wait_served(core_addr, &ca, b"h2", &second_core.der).await;
    wait_served(edge_addr, &ca, b"http/1.1", &second_edge.der).await;
    let (status, body) = https(edge_addr, &ca, "GET", "/scim/v2/Users", &token, None).await;
    assert_eq!(status, 200, "{body}");

    // A broken renewal (a key that is not the certificate's) is refused:
    // the previous certificate stays in service.
    let third = ca.leaf("edge three");
    write(&dir.0, "edge.crt", &third.cert_pem);
    let deadline = Instant::now() + WAIT;
    while !edge.log_text().contains("do not load") {
        assert!(Instant::now() < deadline, "no error logged for a key that does not fit");
        let _ = served_cert(edge_addr, &ca, b"http/1.1").await;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(served_cert(edge_addr, &ca, b"http/1.1").await, second_edge.der);
    // Its key arrives: served.
    write(&dir.0, "edge.key", &third.key_pem);
    wait_served(edge_addr, &ca, b"http/1.1", &third.der).await;
    drop(core);
}

/// Runs a binary that must refuse to start; returns its stderr.
fn refused(mut cmd: std::process::Command) -> String {
    let out = run(std::mem::replace(&mut cmd, std::process::Command::new("true")));
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success(), "started with bad TLS flags: {cmd:?}\n{stderr}");
    stderr
}

fn core_serve(dir: &TempDir, args: &[&str]) -> std::process::Command {
    let mut cmd = command(core_bin());
    cmd.args(["serve", "--database-url", &dir.sqlite_url(), "--listen", "127.0.0.1:0"]).args(args);
    cmd
}

fn edge_run(args: &[&str]) -> std::process::Command {
    let mut cmd = command(edge_bin());
    cmd.args(["--listen", "127.0.0.1:0"]).args(args);
    cmd
}

#[test]
fn bad_tls_flags_stop_the_binaries_at_start() {
    let dir = TempDir::new();
    let ca = Ca::new("test CA");
    let (one, two) = (ca.leaf("one"), ca.leaf("two"));
    let (cert, key) = write_leaf(&dir.0, "one", &one);
    let (_, other_key) = write_leaf(&dir.0, "two", &two);
    let ca_file = write(&dir.0, "ca.crt", &ca.pem);
    let missing = dir.0.join("missing.pem");
    let not_pem = write(&dir.0, "not.pem", "hello");

    // identity-core
    let err = refused(core_serve(&dir, &["--tls-cert", s(&cert)]));
    assert!(err.contains("--tls-key"), "{err}");
    let err = refused(core_serve(&dir, &["--tls-client-ca", s(&ca_file)]));
    assert!(err.contains("--tls-cert"), "{err}");
    let err = refused(core_serve(&dir, &["--tls-cert", s(&missing), "--tls-key", s(&key)]));
    assert!(err.contains("cannot read certificates from") && err.contains("missing.pem"), "{err}");
    let err = refused(core_serve(&dir, &["--tls-cert", s(&not_pem), "--tls-key", s(&key)]));
    assert!(err.contains("no PEM certificate"), "{err}");
    let err = refused(core_serve(&dir, &["--tls-cert", s(&cert), "--tls-key", s(&other_key)]));
    assert!(err.contains("does not fit the certificate"), "{err}");
    let err =
        refused(core_serve(&dir, &["--tls-cert", s(&cert), "--tls-key", s(&key), "--tls-client-ca", s(&not_pem)]));
    assert!(err.contains("no PEM certificate"), "{err}");

    // scim-edge
    let core_url = ["--core-url", "https://localhost:1"];
    let err = refused(edge_run(&[&core_url[..], &["--tls-key", s(&key)]].concat()));
    assert!(err.contains("--tls-cert"), "{err}");
    let err = refused(edge_run(&[&core_url[..], &["--tls-cert", s(&cert), "--tls-key", s(&other_key)]].concat()));
    assert!(err.contains("does not fit the certificate"), "{err}");
    let err = refused(edge_run(&[&core_url[..], &["--core-ca", s(&missing)]].concat()));
    assert!(err.contains("missing.pem"), "{err}");
    let err = refused(edge_run(&[&core_url[..], &["--core-client-cert", s(&cert)]].concat()));
    assert!(err.contains("--core-client-key"), "{err}");
    let err = refused(edge_run(
        &[&core_url[..], &["--core-client-cert", s(&cert), "--core-client-key", s(&other_key)]].concat(),
    ));
    assert!(err.contains("does not fit the certificate"), "{err}");
    let err = refused(edge_run(&["--core-url", "http://localhost:1", "--core-ca", s(&ca_file)]));
    assert!(err.contains("https://"), "{err}");
}
