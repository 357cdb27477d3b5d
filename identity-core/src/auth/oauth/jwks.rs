//! Issuers' signing keys: JWK Sets (RFC 7517 §5), kept in memory per JWKS
//! URL (or inline document) for the whole process, since a JWKS is the same
//! whichever database asks.
//!
//! A URL is fetched on first use, again when a token names a `kid` the set
//! lacks (how issuers rotate keys: Okta and Entra publish the new key before
//! signing with it) and when the set is older than [`MAX_AGE`]; but at most
//! once every [`MIN_REFRESH`] per URL, so a flood of tokens with random kids
//! costs one fetch, not one per token. A fetch has a [`FETCH_TIMEOUT`] and
//! reads at most [`MAX_BYTES`]; when it fails, the keys already known stay.
//!
//! Only keys usable for RS256 (RSA) and ES256 (EC P-256) are kept (RFC 7518
//! §3.3, §3.4); others (encryption keys, other curves) are skipped, so one
//! odd key does not spoil the set.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Limited};
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey};
use sha2::{Digest, Sha256};

use crate::store::oauth::Jwks;

/// Least time between two fetches of one URL.
pub const MIN_REFRESH: Duration = Duration::from_secs(5);
/// A fetched set older than this is fetched again on use.
pub const MAX_AGE: Duration = Duration::from_secs(3600);
/// Longest a fetch may take, connection and TLS included.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// Largest JWKS document read.
pub const MAX_BYTES: usize = 256 * 1024;
/// Most keys kept from one set.
const MAX_KEYS: usize = 64;
/// Most sets remembered (one per configured JWKS: bounded by the tenants).
const CAPACITY: usize = 10_000;

/// One usable signing key.
pub struct Key {
    pub kid: Option<String>,
    pub alg: Algorithm,
    pub key: DecodingKey,
}

/// The usable keys of a JWKS.
pub struct KeySet {
    keys: Vec<Key>,
}

impl KeySet {
    /// Parses a JWKS document; an error when it is no JSON object with a
    /// `keys` array, or holds no RS256 / ES256 signing key.
    pub fn parse(json: &[u8]) -> Result<Self, String> {
        let doc: serde_json::Value = serde_json::from_slice(json).map_err(|e| format!("not JSON: {e}"))?;
        let Some(keys) = doc.get("keys").and_then(|k| k.as_array()) else {
            return Err("a JWKS is a JSON object with a \"keys\" array (RFC 7517 §5)".to_owned());
        };
        let keys: Vec<Key> = keys.iter().filter_map(usable).take(MAX_KEYS).collect();
        if keys.is_empty() {
            return Err("the JWKS has no RS256 (RSA) or ES256 (EC P-256) signing key".to_owned());
        }
        Ok(Self { keys })
    }

    /// The keys that may have signed a token with header `kid` and `alg`:
    /// the one with that kid, or, for a token without a kid, every key of
    /// the algorithm.
    pub fn candidates<'a>(&'a self, kid: Option<&'a str>, alg: Algorithm) -> impl Iterator<Item = &'a Key> + 'a {
        self.keys.iter().filter(move |k| k.alg == alg && (kid.is_none() || k.kid.as_deref() == kid))
    }

    fn has_kid(&self, kid: &str) -> bool {
        self.keys.iter().any(|k| k.kid.as_deref() == Some(kid))
    }
}

/// A JWK as a verification key, when it is an RSA or P-256 signing key
/// whose `alg`, if present, matches its type (RFC 7517 §4.2, §4.4).
fn usable(jwk: &serde_json::Value) -> Option<Key> {
    let jwk: Jwk = serde_json::from_value(jwk.clone()).ok()?;
    if matches!(jwk.common.public_key_use, Some(ref u) if *u != PublicKeyUse::Signature) {
        return None;
    }
    let alg = match &jwk.algorithm {
        AlgorithmParameters::RSA(_) => Algorithm::RS256,
        AlgorithmParameters::EllipticCurve(p) if p.curve == EllipticCurve::P256 => Algorithm::ES256,
        _ => return None,
    };
    let declared = jwk.common.key_algorithm;
    let expected = if alg == Algorithm::RS256 { KeyAlgorithm::RS256 } else { KeyAlgorithm::ES256 };
    if declared.is_some_and(|d| d != expected) {
        return None;
    }
    let key = DecodingKey::from_jwk(&jwk).ok()?;
    Some(Key { kid: jwk.common.key_id.clone(), alg, key })
}

/// What is known of one JWKS.
struct Entry {
    keys: Option<Arc<KeySet>>,
    fetched: Option<Instant>,
    attempted: Option<Instant>,
    /// Held while fetching, so concurrent misses wait for one fetch.
    fetching: Arc<tokio::sync::Mutex<()>>,
}

impl Entry {
    fn new() -> Self {
        Self { keys: None, fetched: None, attempted: None, fetching: Arc::default() }
    }

    /// The keys as they are, unless they should be (and may be) fetched
    /// again for a token with `kid`.
    fn settled(&self, kid: Option<&str>) -> Option<Option<Arc<KeySet>>> {
        let stale = match (&self.keys, self.fetched) {
            (Some(keys), Some(at)) => at.elapsed() >= MAX_AGE || kid.is_some_and(|k| !keys.has_kid(k)),
            _ => true,
        };
        let may_fetch = self.attempted.is_none_or(|at| at.elapsed() >= MIN_REFRESH);
        (!stale || !may_fetch).then(|| self.keys.clone())
    }
}

static CACHE: LazyLock<Mutex<HashMap<String, Entry>>> = LazyLock::new(Mutex::default);

/// The keys of `jwks` for a token whose header names `kid`; None when they
/// cannot be had (a fetch failed and none are known, or a bad document).
pub async fn keys(jwks: &Jwks, kid: Option<&str>) -> Option<Arc<KeySet>> {
    match jwks {
        Jwks::Json(json) => inline(json),
        Jwks::Url(url) => fetched(url, kid).await,
    }
}

/// A configured document, parsed once.
fn inline(json: &str) -> Option<Arc<KeySet>> {
    let id = format!("json:{}", hex::encode(Sha256::digest(json.as_bytes())));
    let mut cache = CACHE.lock().ok()?;
    if let Some(keys) = cache.get(&id).and_then(|e| e.keys.clone()) {
        return Some(keys);
    }
    let keys = Arc::new(KeySet::parse(json.as_bytes()).ok()?);
    bound(&mut cache);
    cache.insert(id, Entry { keys: Some(keys.clone()), ..Entry::new() });
    Some(keys)
}

async fn fetched(url: &str, kid: Option<&str>) -> Option<Arc<KeySet>> {
    let id = format!("url:{url}");
    let fetching = {
        let mut cache = CACHE.lock().ok()?;
        if !cache.contains_key(&id) {
            bound(&mut cache);
        }
        let entry = cache.entry(id.clone()).or_insert_with(Entry::new);
        if let Some(settled) = entry.settled(kid) {
            return settled;
        }
        entry.fetching.clone()
    };
    let _one_at_a_time = fetching.lock().await;
    {
        // Another call may have fetched while this one waited.
        let mut cache = CACHE.lock().ok()?;
        let entry = cache.entry(id.clone()).or_insert_with(Entry::new);
        if let Some(settled) = entry.settled(kid) {
            return settled;
        }
        entry.attempted = Some(Instant::now());
    }
    let outcome = fetch(url).await;
    let mut cache = CACHE.lock().ok()?;
    let entry = cache.entry(id).or_insert_with(Entry::new);
    match outcome {
        Ok(keys) => {
            entry.keys = Some(Arc::new(keys));
            entry.fetched = Some(Instant::now());
        }
        Err(e) => tracing::warn!(jwks_url = url, error = %e, "cannot fetch the JWKS; keeping the keys known"),
    }
    entry.keys.clone()
}

/// Drops every set when the cache is full (it holds one per configured
/// JWKS, so this happens only with more than [`CAPACITY`] of them).
fn bound(cache: &mut HashMap<String, Entry>) {
    if cache.len() >= CAPACITY {
        cache.clear();
    }
}

/// GETs a JWKS over HTTP or HTTPS (rustls on ring, the webpki roots).
pub async fn fetch(url: &str) -> Result<KeySet, String> {
    let uri: http::Uri = url.parse().map_err(|e| format!("bad URL: {e}"))?;
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_provider_and_webpki_roots(Arc::new(rustls::crypto::ring::default_provider()))
        .map_err(|e| format!("TLS setup: {e}"))?
        .https_or_http()
        .enable_http1()
        .build();
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build::<_, Empty<Bytes>>(https);
    let request = http::Request::get(uri)
        .header(http::header::ACCEPT, "application/json, application/jwk-set+json")
        .body(Empty::new())
        .map_err(|e| format!("bad request: {e}"))?;
    let body = tokio::time::timeout(FETCH_TIMEOUT, async {
        let response = client.request(request).await.map_err(|e| format!("request failed: {e}"))?;
        if !response.status().is_success() {
            return Err(format!("HTTP status {}", response.status()));
        }
        let body = Limited::new(response.into_body(), MAX_BYTES)
            .collect()
            .await
            .map_err(|e| format!("cannot read the body (at most {MAX_BYTES} bytes): {e}"))?;
        Ok(body.to_bytes())
    })
    .await
    .map_err(|_| format!("no answer within {FETCH_TIMEOUT:?}"))??;
    KeySet::parse(&body)
}

#[cfg(test)]
mod tests {
    use super::*;

    const EC: &str = r#"{"kty":"EC","crv":"P-256","kid":"ec1","use":"sig",
        "x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}"#;

    #[test]
    fn only_rs256_and_es256_signing_keys_are_kept() {
        let doc = format!(
            r#"{{"keys":[{EC},
            {{"kty":"oct","k":"c2VjcmV0","kid":"hmac"}},
            {{"kty":"EC","crv":"P-256","kid":"enc","use":"enc","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}},
            {{"kty":"RSA","kid":"oaep","alg":"RSA-OAEP","n":"sXch","e":"AQAB"}},
            {{"kty":"EC","crv":"P-256","kid":"wrongalg","alg":"RS256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}},
            {{"kty":"weird"}}]}}"#
        );
        let set = KeySet::parse(doc.as_bytes()).expect("one usable key");
        let kids: Vec<_> = set.keys.iter().map(|k| k.kid.clone()).collect();
        assert_eq!(kids, vec![Some("ec1".to_owned())]);
        assert_eq!(set.candidates(Some("ec1"), Algorithm::ES256).count(), 1);
        assert_eq!(set.candidates(Some("ec1"), Algorithm::RS256).count(), 0, "alg must match the key");
        assert_eq!(set.candidates(None, Algorithm::ES256).count(), 1);
        assert_eq!(set.candidates(Some("other"), Algorithm::ES256).count(), 0);
    }

    #[test]
    fn a_set_without_usable_keys_is_refused() {
        assert!(KeySet::parse(b"{}").is_err());
        assert!(KeySet::parse(b"[]").is_err());
        assert!(KeySet::parse(br#"{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}"#).is_err());
        assert!(KeySet::parse(b"not json").is_err());
    }

    #[test]
    fn a_known_kid_is_settled_and_an_unknown_one_is_refetched_at_most_every_few_seconds() {
        let set = KeySet::parse(format!(r#"{{"keys":[{EC}]}}"#).as_bytes()).expect("a key");
        let mut e = Entry::new();
        assert!(e.settled(None).is_none(), "nothing known yet: fetch");
        e.keys = Some(Arc::new(set));
        e.fetched = Some(Instant::now());
        e.attempted = e.fetched;
        assert!(e.settled(Some("ec1")).is_some_and(|k| k.is_some()));
        assert!(e.settled(Some("new")).is_some(), "just fetched: no second fetch");
        e.attempted = Instant::now().checked_sub(MIN_REFRESH);
        assert!(e.settled(Some("new")).is_none(), "an unknown kid after the pause: fetch");
    }

    /// Serves one raw HTTP answer per connection on loopback; gives the URL.
    async fn serve(answer: Option<Vec<u8>>) -> String {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}/keys", listener.local_addr().expect("addr"));
        tokio::spawn(async move {
            while let Ok((mut conn, _)) = listener.accept().await {
                let answer = answer.clone();
                tokio::spawn(async move {
                    let mut buf = [0u8; 4096];
                    let _ = conn.read(&mut buf).await;
                    match answer {
                        Some(a) => {
                            let _ = conn.write_all(&a).await;
                        }
                        // Never answers (held open until the test ends).
                        None => tokio::time::sleep(Duration::from_secs(60)).await,
                    }
                });
            }
        });
        url
    }

    fn http_answer(status: &str, body: &[u8]) -> Vec<u8> {
        let mut a = format!(
            "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
            body.len()
        )
        .into_bytes();
        a.extend_from_slice(body);
        a
    }

    #[tokio::test]
    async fn a_fetch_reads_a_jwks_and_refuses_errors_oversized_bodies_and_silence() {
        let good = format!(r#"{{"keys":[{EC}]}}"#);
        let url = serve(Some(http_answer("200 OK", good.as_bytes()))).await;
        assert!(fetch(&url).await.is_ok_and(|k| k.has_kid("ec1")));

        let url = serve(Some(http_answer("404 Not Found", b"{}"))).await;
        assert!(fetch(&url).await.is_err_and(|e| e.contains("404")));

        let mut huge = good.clone().into_bytes();
        huge.truncate(huge.len() - 1);
        huge.extend(std::iter::repeat_n(b' ', MAX_BYTES));
        huge.push(b'}');
        let url = serve(Some(http_answer("200 OK", &huge))).await;
        assert!(fetch(&url).await.is_err_and(|e| e.contains("at most")), "over the size cap");

        let url = serve(None).await;
        let started = Instant::now();
        assert!(fetch(&url).await.is_err_and(|e| e.contains("no answer")));
        assert!(started.elapsed() < FETCH_TIMEOUT + Duration::from_secs(2));
    }
}
