//! A tenant's OAuth 2.0 issuer: `identity-core tenant set-oauth` and
//! AdminService.SetTenantOauth. The tenant then accepts JWT access tokens
//! (RFC 9068) whose `iss` is the issuer and whose `aud` holds the audience,
//! signed with a key of the issuer's JWKS (RFC 7517), as Okta's OIN apps
//! and Entra's gallery apps send them; its own bearer tokens keep working.

use crate::admin::tenants::visible;
use crate::auth::Principal;
use crate::auth::oauth::{KeySet, MAX_BYTES};
use crate::error::{Error, Result};
use crate::store::Store;
use crate::store::oauth::{self as store, Jwks, OauthConfig};
use crate::store::tenants::Tenant;

/// Longest issuer and audience (the unique key's bound).
const MAX_LEN: usize = 255;

/// What SetTenantOauthRequest asks for: an empty `issuer` turns OAuth off;
/// otherwise exactly one of `jwks_url` and `jwks_json`.
#[derive(Clone, Debug, Default)]
pub struct OauthChange {
    pub issuer: String,
    pub audience: String,
    pub jwks_url: String,
    pub jwks_json: String,
}

/// Applies `change` to the tenant whose id or name is `tenant`; returns the
/// tenant and the issuer it now accepts (None: OAuth off).
pub async fn set_tenant_oauth(
    store: &Store,
    actor: &Principal,
    tenant: &str,
    change: &OauthChange,
) -> Result<(Tenant, Option<OauthConfig>)> {
    // Another tenant than a bound admin's own is NOT_FOUND, exactly as an
    // unknown one: no oracle telling which tenants exist.
    let tenant = visible(store, actor, tenant).await?;
    let config = parse(change)?;
    match &config {
        Some(config) => store::set(store, &tenant.id, config).await?,
        None => {
            store::clear(store, &tenant.id).await?;
        }
    }
    tracing::info!(
        actor = %actor.credential_id,
        tenant = %tenant.id,
        issuer = config.as_ref().map_or("", |c| c.issuer.as_str()),
        "tenant OAuth issuer set"
    );
    Ok((tenant, config))
}

/// The issuer `tenant` accepts tokens from, if any.
pub async fn get_tenant_oauth(store: &Store, tenant: &Tenant) -> Result<Option<OauthConfig>> {
    store::get(store, &tenant.id).await
}

/// Checks a change: None turns OAuth off.
fn parse(change: &OauthChange) -> Result<Option<OauthConfig>> {
    let issuer = change.issuer.trim();
    if issuer.is_empty() {
        return Ok(None);
    }
    // RFC 8414 §2: the issuer is a URL; tokens must carry it verbatim.
    url("issuer", issuer)?;
    let audience = change.audience.trim();
    if audience.is_empty() {
        return Err(Error::MissingField { field: "audience" });
    }
    text("audience", audience)?;
    let (jwks_url, jwks_json) = (change.jwks_url.trim(), change.jwks_json.trim());
    let jwks = match (jwks_url.is_empty(), jwks_json.is_empty()) {
        (false, true) => {
            url("jwks_url", jwks_url)?;
            Jwks::Url(jwks_url.to_owned())
        }
        (true, false) => {
            if jwks_json.len() > MAX_BYTES {
                return Err(Error::invalid("jwks_json", format!("a JWKS has at most {MAX_BYTES} bytes")));
            }
            KeySet::parse(jwks_json.as_bytes()).map_err(|e| Error::invalid("jwks_json", e))?;
            Jwks::Json(jwks_json.to_owned())
        }
        _ => return Err(Error::invalid("jwks_url", "give exactly one of jwks_url and jwks_json")),
    };
    Ok(Some(OauthConfig { issuer: issuer.to_owned(), audience: audience.to_owned(), jwks }))
}

/// At most [`MAX_LEN`] characters, no control characters.
fn text(field: &str, value: &str) -> Result<()> {
    if value.chars().count() > MAX_LEN {
        return Err(Error::invalid(field, format!("at most {MAX_LEN} characters")));
    }
    if value.chars().any(char::is_control) {
        return Err(Error::invalid(field, "no control characters"));
    }
    Ok(())
}

/// An absolute http or https URL with a host.
fn url(field: &str, value: &str) -> Result<()> {
    text(field, value)?;
    let uri: http::Uri = value.parse().map_err(|_| Error::invalid(field, format!("{value:?} is not a URL")))?;
    let web = matches!(uri.scheme_str(), Some("https" | "http"));
    if !web || uri.host().is_none_or(str::is_empty) {
        return Err(Error::invalid(field, format!("{value:?} is not an http(s) URL")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(issuer: &str, audience: &str, url: &str, json: &str) -> OauthChange {
        OauthChange {
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
            jwks_url: url.to_owned(),
            jwks_json: json.to_owned(),
        }
    }

    const JWKS: &str = r#"{"keys":[{"kty":"EC","crv":"P-256","kid":"k",
        "x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]}"#;

    #[test]
    fn an_empty_issuer_turns_oauth_off() {
        assert!(matches!(parse(&change("", "", "", "")), Ok(None)));
    }

    #[test]
    fn exactly_one_jwks_source_is_required() {
        let i = "https://acme.okta.com/oauth2/default";
        assert!(parse(&change(i, "api://scim", "", "")).is_err());
        assert!(parse(&change(i, "api://scim", "https://acme.okta.com/keys", JWKS)).is_err());
        let url = parse(&change(i, "api://scim", "https://acme.okta.com/keys", "")).ok().flatten();
        assert_eq!(url.map(|c| c.jwks), Some(Jwks::Url("https://acme.okta.com/keys".to_owned())));
        let json = parse(&change(i, "api://scim", "", JWKS)).ok().flatten();
        assert!(matches!(json.map(|c| c.jwks), Some(Jwks::Json(_))));
    }

    #[test]
    fn bad_values_are_refused() {
        let i = "https://acme.okta.com/oauth2/default";
        assert!(parse(&change("acme", "a", "https://k", "")).is_err(), "issuer is no URL");
        assert!(parse(&change("ftp://x", "a", "https://k", "")).is_err());
        assert!(parse(&change(i, "", "https://k", "")).is_err(), "no audience");
        assert!(parse(&change(i, &"a".repeat(256), "https://k", "")).is_err());
        assert!(parse(&change(i, "a", "/keys", "")).is_err(), "relative JWKS URL");
        assert!(parse(&change(i, "a", "", r#"{"keys":[]}"#)).is_err(), "no usable key");
    }
}
