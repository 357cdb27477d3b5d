//! The edge's TLS, both ways, from its flags (see `config`):
//!
//! - Serving: `--tls-cert`/`--tls-key` make the SCIM port HTTPS (HTTP/1.1
//!   over rustls with ring). The certificate reloads from disk without a
//!   restart (`identity_tls::ReloadingCert`). Connections come from
//!   `identity_tls::TlsListener`, which implements `axum::serve::Listener`:
//!   `axum::serve` keeps its connection handling and graceful shutdown, and
//!   no HTTP server code is written here or pulled from another crate
//!   (axum-server would bring its own TLS plumbing for the same job).
//!   `/healthz` and `/readyz` are on that port, so over HTTPS too; the
//!   `--metrics-listen` port stays plain HTTP.
//! - To identity-core: an `https://` `--core-url` is reached over TLS,
//!   trusting `--core-ca` (else the webpki roots) and presenting
//!   `--core-client-cert`/`--core-client-key` when identity-core requires
//!   client certificates (its `--tls-client-ca`).
//!
//! Every file is read and checked at start: a bad flag stops the edge with
//! a message naming the file.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use identity_client::ClientTlsConfig;
use identity_tls::{ServerConfig, ServerTls};

use crate::config::Config;

/// The server side: `None` when `--tls-cert` is not set.
pub fn server(config: &Config) -> anyhow::Result<Option<Arc<ServerConfig>>> {
    let Some(tls) = ServerTls::from_flags(config.tls_cert.as_deref(), config.tls_key.as_deref(), None)? else {
        return Ok(None);
    };
    Ok(Some(tls.server_config(identity_tls::ALPN_HTTP1).context("cannot set up TLS")?))
}

/// The client side towards identity-core: `None` when no `--core-ca` or
/// client certificate is set (an `https://` core URL then trusts the
/// webpki roots).
pub fn to_core(config: &Config) -> anyhow::Result<Option<ClientTlsConfig>> {
    let identity = match (&config.core_client_cert, &config.core_client_key) {
        (Some(cert), Some(key)) => {
            identity_tls::check_pair(cert, key).context("--core-client-cert/--core-client-key")?;
            Some((read(cert)?, read(key)?))
        }
        (None, None) => None,
        (Some(_), None) => anyhow::bail!("--core-client-cert needs --core-client-key"),
        (None, Some(_)) => anyhow::bail!("--core-client-key needs --core-client-cert"),
    };
    let ca = match &config.core_ca {
        Some(ca) => {
            identity_tls::root_store(ca).context("--core-ca")?;
            Some(read(ca)?)
        }
        None => None,
    };
    if ca.is_none() && identity.is_none() {
        return Ok(None);
    }
    let identity = identity.as_ref().map(|(c, k)| (c.as_slice(), k.as_slice()));
    Ok(Some(identity_client::tls_config(ca.as_deref(), identity)))
}

fn read(path: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}
