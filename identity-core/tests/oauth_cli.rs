//! `identity-core tenant set-oauth` as an operator runs it: the real
//! binaries, a JWKS file, a JWT access token through scim-edge, bad flag
//! combinations, and `--disable` seen by a running `serve` within seconds.
//!
//! The test's P-256 key comes from the `openssl` command line (this test
//! crate has no key generator of its own; the e2e suite also generates keys
//! with ring). The token is signed with jsonwebtoken, the crate
//! identity-core verifies with.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use reqwest::StatusCode;
use serde_json::json;
use support::*;

const ISSUER: &str = "https://acme.okta.com/oauth2/default";
const AUDIENCE: &str = "api://scim";

/// A fresh P-256 key: (PKCS#8 DER private key, public JWK).
fn p256_key(dir: &Path, kid: &str) -> (Vec<u8>, serde_json::Value) {
    let key = dir.join(format!("{kid}.der"));
    let pem = dir.join(format!("{kid}.pem"));
    let sh = format!(
        "openssl ecparam -name prime256v1 -genkey -noout -out {pem} && \
         openssl pkcs8 -topk8 -nocrypt -in {pem} -outform DER -out {key}",
        pem = pem.display(),
        key = key.display()
    );
    let out = std::process::Command::new("sh").args(["-c", &sh]).output().expect("run openssl");
    assert!(out.status.success(), "openssl: {}", String::from_utf8_lossy(&out.stderr));
    let public = std::process::Command::new("openssl")
        .args(["ec", "-in"])
        .arg(&pem)
        .args(["-pubout", "-outform", "DER"])
        .output()
        .expect("run openssl");
    assert!(public.status.success());
    // A P-256 SubjectPublicKeyInfo ends with the 65-byte point 04 || x || y.
    let point = &public.stdout[public.stdout.len() - 65..];
    assert_eq!(point[0], 4);
    let jwk = json!({"kty": "EC", "crv": "P-256", "kid": kid, "use": "sig",
        "x": B64.encode(&point[1..33]), "y": B64.encode(&point[33..])});
    (std::fs::read(&key).unwrap(), jwk)
}

fn jwt(private_der: &[u8], kid: &str) -> String {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
    let claims = json!({"iss": ISSUER, "aud": AUDIENCE, "sub": "0oa1scim", "iat": now, "exp": now + 600});
    let header =
        jsonwebtoken::Header { kid: Some(kid.into()), ..jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256) };
    jsonwebtoken::encode(&header, &claims, &jsonwebtoken::EncodingKey::from_ec_der(private_der)).unwrap()
}

fn set_oauth(database_url: &str, args: &[&str]) -> std::process::Output {
    let mut cmd = command(core_bin());
    cmd.args(["tenant", "set-oauth"]).args(args).args(["--database-url", database_url]);
    run(cmd)
}

async fn set_oauth_through_the_binaries(database_url: &str, dir: &Path) {
    let mut core = Service::core(database_url);
    let core_addr = core.wait_for_addr(CORE_LISTENING);
    let _acme = new_token(database_url, "acme");
    let _globex = new_token(database_url, "globex");
    let (private, jwk) = p256_key(dir, "k1");
    let jwks = dir.join("jwks.json");
    std::fs::write(&jwks, json!({"keys": [jwk]}).to_string()).unwrap();
    let jwks = jwks.to_str().unwrap();

    let ok = set_oauth(database_url, &["acme", "--issuer", ISSUER, "--audience", AUDIENCE, "--jwks-file", jwks]);
    let stdout = String::from_utf8_lossy(&ok.stdout);
    assert!(ok.status.success(), "{stdout}{}", String::from_utf8_lossy(&ok.stderr));
    assert!(stdout.contains(ISSUER) && stdout.contains(AUDIENCE), "{stdout}");

    let mut edge = Service::edge(&format!("http://{core_addr}"));
    let base = format!("http://{}/scim/v2", edge.wait_for_addr(EDGE_LISTENING));
    let token = jwt(&private, "k1");
    let users = || http().get(format!("{base}/Users")).bearer_auth(&token);
    let (status, _, body) = answer(users()).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // Refused combinations: a clear message, no panic, nothing changed.
    let refused: &[&[&str]] = &[
        &["acme", "--issuer", ISSUER, "--audience", AUDIENCE, "--jwks-file", jwks, "--jwks-url", "https://x/keys"],
        &["acme", "--issuer", ISSUER, "--jwks-url", "https://x/keys"],
        &["acme", "--issuer", ISSUER, "--audience", AUDIENCE],
        &["acme", "--disable", "--issuer", ISSUER],
        &["acme", "--issuer", "not a url", "--audience", AUDIENCE, "--jwks-url", "https://x/keys"],
        &["acme", "--issuer", ISSUER, "--audience", AUDIENCE, "--jwks-url", "keys.json"],
        &["acme", "--issuer", ISSUER, "--audience", AUDIENCE, "--jwks-file", "/nonexistent/jwks.json"],
        &["nobody", "--issuer", ISSUER, "--audience", AUDIENCE, "--jwks-url", "https://x/keys"],
        // Another tenant cannot take acme's issuer and audience.
        &["globex", "--issuer", ISSUER, "--audience", AUDIENCE, "--jwks-url", "https://x/keys"],
    ];
    for args in refused {
        let out = set_oauth(database_url, args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} was accepted");
        assert!(!stderr.is_empty() && !stderr.contains("panicked"), "{args:?}: {stderr}");
    }
    std::fs::write(dir.join("bad.json"), r#"{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}"#).unwrap();
    let bad = dir.join("bad.json");
    let out = set_oauth(
        database_url,
        &["acme", "--issuer", ISSUER, "--audience", AUDIENCE, "--jwks-file", bad.to_str().unwrap()],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("jwks_json"), "{}", String::from_utf8_lossy(&out.stderr));
    let (status, _, _) = answer(users()).await;
    assert_eq!(status, StatusCode::OK, "the refused commands changed nothing");

    // --disable, from another process: the running server sees it within
    // its cache's few seconds.
    let off = set_oauth(database_url, &["acme", "--disable"]);
    assert!(off.status.success(), "{}", String::from_utf8_lossy(&off.stderr));
    assert!(String::from_utf8_lossy(&off.stdout).contains("no OAuth"));
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (status, _, body) = answer(users()).await;
        if status == StatusCode::UNAUTHORIZED {
            assert_eq!(body["schemas"][0], json!(SCIM_ERROR_SCHEMA));
            break;
        }
        assert!(Instant::now() < deadline, "the token still works 10 s after --disable");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn set_oauth_configures_a_tenant_on_sqlite() {
    let dir = TempDir::new();
    set_oauth_through_the_binaries(&dir.sqlite_url(), &dir.0).await;
}

#[tokio::test]
async fn set_oauth_configures_a_tenant_on_mariadb() {
    let Some(db) = MariaDb::create().await else { return };
    let dir = TempDir::new();
    let mut migrate = command(core_bin());
    migrate.args(["migrate", "--database-url", &db.url()]);
    assert!(run(migrate).status.success());
    set_oauth_through_the_binaries(&db.url(), &dir.0).await;
}

#[test]
fn set_oauth_documents_its_flags() {
    let mut cmd = command(core_bin());
    cmd.args(["tenant", "set-oauth", "--help"]);
    let help = String::from_utf8_lossy(&run(cmd).stdout).into_owned();
    for flag in ["--issuer", "--audience", "--jwks-url", "--jwks-file", "--disable"] {
        assert!(help.contains(flag), "{flag} missing from:\n{help}");
    }
}
