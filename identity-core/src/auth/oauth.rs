//! OAuth 2.0 bearer tokens (RFC 6750) that are JWT access tokens (RFC 9068),
//! as Okta's OIN apps and Entra's gallery apps send them: checked against the
//! tenant's issuer, audience and JWKS (RFC 7517).
//!
//! The token's own `iss` and `aud` are read first, unverified, only to find
//! the one tenant configured with that issuer and audience
//! ([`crate::store::oauth::trust`]); then the signature is verified with
//! that tenant's keys ([`jwks`]), and `exp` (required), `nbf`, `iss` and
//! `aud` are checked (RFC 7519 §4.1) with [`LEEWAY`] for clock skew. Only
//! RS256 and ES256 are accepted (RFC 9068 §4 requires RS256 support), never
//! `none` or an HMAC algorithm, and the key must be of the token's `alg`.
//! Every failure is the same UNAUTHENTICATED, whichever check failed, so a
//! caller learns nothing about which tenants or issuers exist.

mod jwks;

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::Value;

use super::{CredentialKind, Principal, Scope};
use crate::error::{Error, Result};
use crate::store::Store;
use crate::store::oauth::{self as store, MAX_AUDIENCES};

pub use jwks::{FETCH_TIMEOUT, KeySet, MAX_BYTES, MIN_REFRESH};

/// Clock skew allowed on `exp` and `nbf`, in seconds.
pub const LEEWAY: u64 = 60;
/// Longest token looked at.
const MAX_TOKEN_LEN: usize = 16 * 1024;
/// Longest credential id (what the audit trail records).
const MAX_CREDENTIAL_ID: usize = 255;

/// Whether a bearer credential has a JWS compact serialization's shape
/// (RFC 7515 §7.1: three base64url parts, the header a JSON object).
pub fn looks_like_jwt(token: &str) -> bool {
    token.starts_with("eyJ") && token.split('.').count() == 3
}

/// The caller behind a JWT access token.
pub async fn authenticate(store: &Store, token: &str) -> Result<Principal> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(Error::Unauthenticated);
    }
    // An unknown `alg` (such as "none") fails to parse here.
    let header = jsonwebtoken::decode_header(token).map_err(|_| Error::Unauthenticated)?;
    if !matches!(header.alg, Algorithm::RS256 | Algorithm::ES256) {
        return Err(Error::Unauthenticated);
    }
    let (issuer, audiences) = unverified_issuer(token).ok_or(Error::Unauthenticated)?;
    let trust = store::trust(store, &issuer, &audiences).await?.ok_or(Error::Unauthenticated)?;
    let keys = jwks::keys(&trust.config.jwks, header.kid.as_deref()).await.ok_or(Error::Unauthenticated)?;

    let mut validation = Validation::new(header.alg);
    validation.leeway = LEEWAY;
    validation.validate_nbf = true;
    validation.set_required_spec_claims(&["exp", "iss", "aud"]);
    validation.set_issuer(&[&trust.config.issuer]);
    validation.set_audience(&[&trust.config.audience]);
    let claims = keys
        .candidates(header.kid.as_deref(), header.alg)
        .find_map(|k| jsonwebtoken::decode::<Value>(token, &k.key, &validation).ok())
        .ok_or(Error::Unauthenticated)?
        .claims;
    // `exp` and `nbf` are NumericDates (RFC 7519 §2). jsonwebtoken 9 skips
    // its time checks for a claim of another type (CVE-2026-25537, fixed in
    // 10.3), so a string `exp` or `nbf` is refused here.
    if !claims.get("exp").is_some_and(Value::is_number) || claims.get("nbf").is_some_and(|n| !n.is_number()) {
        return Err(Error::Unauthenticated);
    }

    // RFC 9068 §2.2: `sub` names the resource owner, or the client for a
    // client-credentials grant (Okta also sends `cid`, Entra `appid`).
    let subject = ["sub", "client_id", "cid", "appid", "azp"]
        .iter()
        .find_map(|c| claims.get(*c).and_then(Value::as_str))
        .unwrap_or("");
    Ok(Principal {
        tenant: Some(trust.tenant),
        credential_id: credential_id(&trust.config.issuer, subject),
        kind: CredentialKind::OAuth,
        scope: Scope::Write,
        bound: true,
    })
}

/// `oauth:<iss>#<sub>`, cut to [`MAX_CREDENTIAL_ID`] characters.
fn credential_id(issuer: &str, subject: &str) -> String {
    format!("oauth:{issuer}#{subject}").chars().take(MAX_CREDENTIAL_ID).collect()
}

/// The token's `iss` and `aud` (a string or an array, RFC 7519 §4.1.3),
/// read WITHOUT verifying anything: only to find whose keys to verify with.
fn unverified_issuer(token: &str) -> Option<(String, Vec<String>)> {
    let mut peek = Validation::new(Algorithm::RS256);
    peek.insecure_disable_signature_validation();
    peek.validate_exp = false;
    peek.validate_aud = false;
    peek.required_spec_claims.clear();
    let claims = jsonwebtoken::decode::<Value>(token, &DecodingKey::from_secret(&[]), &peek).ok()?.claims;
    let issuer = claims.get("iss")?.as_str()?.to_owned();
    let audiences = match claims.get("aud")? {
        Value::String(a) => vec![a.clone()],
        Value::Array(list) if list.len() <= MAX_AUDIENCES => {
            list.iter().map(|a| a.as_str().map(str::to_owned)).collect::<Option<Vec<_>>>()?
        }
        _ => return None,
    };
    Some((issuer, audiences))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// base64url of a JSON value, as a JWT part.
    fn part(v: &str) -> String {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v)
    }

    #[test]
    fn iss_and_aud_are_read_as_string_or_array() {
        let h = part(r#"{"alg":"RS256"}"#);
        let t = format!("{h}.{}.sig", part(r#"{"iss":"https://idp","aud":"api"}"#));
        assert_eq!(unverified_issuer(&t), Some(("https://idp".into(), vec!["api".into()])));
        let t = format!("{h}.{}.sig", part(r#"{"iss":"https://idp","aud":["a","b"]}"#));
        assert_eq!(unverified_issuer(&t), Some(("https://idp".into(), vec!["a".into(), "b".into()])));
        let t = format!("{h}.{}.sig", part(r#"{"iss":"https://idp"}"#));
        assert_eq!(unverified_issuer(&t), None, "no aud");
        let t = format!("{h}.{}.sig", part(r#"{"iss":7,"aud":"a"}"#));
        assert_eq!(unverified_issuer(&t), None);
    }

    #[test]
    fn credential_ids_are_bounded() {
        assert_eq!(credential_id("https://idp", "app"), "oauth:https://idp#app");
        assert_eq!(credential_id(&"i".repeat(300), "s").chars().count(), MAX_CREDENTIAL_ID);
    }
}
