//! Server-side TLS shared by identity-core (gRPC) and scim-edge (SCIM over
//! HTTP/1.1): one stack, rustls with the *ring* provider (no aws-lc-rs, no
//! OpenSSL), configured from PEM files named by the services' flags.
//!
//! - [`ServerTls`]: the `--tls-cert`, `--tls-key` (and, for mutual TLS,
//!   `--tls-client-ca`) files, checked at start so a bad flag stops the
//!   process with a message instead of failing every handshake.
//! - [`reload::ReloadingCert`]: the served certificate, read again when its
//!   files change on disk (a renewed certificate needs no restart).
//! - [`listener::TlsListener`]: accepts TCP, runs each handshake on its own
//!   task, and hands over finished TLS streams to tonic or axum.
//!
//! Client certificates (RFC 8446 §4.3.2 CertificateRequest) are verified
//! against `--tls-client-ca` with rustls' `WebPkiClientVerifier`; that CA
//! file is read once, at start.

pub mod listener;
pub mod reload;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use rustls::RootCertStore;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use rustls::server::WebPkiClientVerifier;

pub use listener::TlsListener;
pub use reload::ReloadingCert;
pub use rustls::ServerConfig;

/// ALPN for gRPC: HTTP/2 only (RFC 7540 §3.3; tonic's client insists on it).
pub const ALPN_H2: &[&[u8]] = &[b"h2"];
/// ALPN for the SCIM edge, which speaks HTTP/1.1.
pub const ALPN_HTTP1: &[&[u8]] = &[b"http/1.1"];

/// The one crypto provider of both services: rustls' *ring* backend.
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A service's TLS files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerTls {
    pub cert: PathBuf,
    pub key: PathBuf,
    /// Require client certificates issued by this CA (mutual TLS).
    pub client_ca: Option<PathBuf>,
}

impl ServerTls {
    /// From the flags: `None` when TLS is off (no `--tls-cert`, no
    /// `--tls-key`); an error when only one of the pair is given, or a
    /// client CA without them.
    pub fn from_flags(
        cert: Option<&Path>,
        key: Option<&Path>,
        client_ca: Option<&Path>,
    ) -> anyhow::Result<Option<Self>> {
        match (cert, key) {
            (Some(cert), Some(key)) => {
                Ok(Some(Self { cert: cert.to_owned(), key: key.to_owned(), client_ca: client_ca.map(Path::to_owned) }))
            }
            (Some(_), None) => anyhow::bail!("--tls-cert needs --tls-key (the certificate's private key)"),
            (None, Some(_)) => anyhow::bail!("--tls-key needs --tls-cert (the certificate chain)"),
            (None, None) => {
                anyhow::ensure!(client_ca.is_none(), "--tls-client-ca needs --tls-cert and --tls-key");
                Ok(None)
            }
        }
    }

    /// The rustls server configuration: the reloading certificate, client
    /// certificates required when a client CA is set, and `alpn`. Fails
    /// when a file is unreadable, holds no usable PEM, or the key does not
    /// match the certificate.
    pub fn server_config(&self, alpn: &[&[u8]]) -> anyhow::Result<Arc<ServerConfig>> {
        let provider = provider();
        let cert = Arc::new(ReloadingCert::load(&self.cert, &self.key, provider.clone())?);
        let builder = ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .context("TLS protocol versions")?;
        let builder = match &self.client_ca {
            None => builder.with_no_client_auth(),
            Some(ca) => {
                let roots = Arc::new(root_store(ca)?);
                let verifier = WebPkiClientVerifier::builder_with_provider(roots, provider)
                    .build()
                    .with_context(|| format!("--tls-client-ca {}", ca.display()))?;
                builder.with_client_cert_verifier(verifier)
            }
        };
        let mut config = builder.with_cert_resolver(cert);
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        Ok(Arc::new(config))
    }
}

/// Every certificate of a PEM file, at least one.
pub fn certificates(path: &Path) -> anyhow::Result<Vec<CertificateDer<'static>>> {
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(Iterator::collect::<Result<Vec<_>, _>>)
        .with_context(|| format!("cannot read certificates from {}", path.display()))?;
    anyhow::ensure!(!certs.is_empty(), "no PEM certificate (BEGIN CERTIFICATE) in {}", path.display());
    Ok(certs)
}

/// The trust roots in a PEM file (a CA bundle).
pub fn root_store(path: &Path) -> anyhow::Result<RootCertStore> {
    let mut roots = RootCertStore::empty();
    for cert in certificates(path)? {
        roots.add(cert).with_context(|| format!("not a usable CA certificate in {}", path.display()))?;
    }
    Ok(roots)
}

/// Checks that `cert` and `key` are a certificate chain and its private
/// key (e.g. a client identity, before it is handed to a TLS client).
pub fn check_pair(cert: &Path, key: &Path) -> anyhow::Result<()> {
    reload::certified_key(cert, key, &provider()).map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_is_off_without_flags_and_needs_both_halves_of_the_pair() {
        let (c, k, ca) = (Path::new("c.pem"), Path::new("k.pem"), Path::new("ca.pem"));
        assert_eq!(ServerTls::from_flags(None, None, None).unwrap(), None);
        let on = ServerTls::from_flags(Some(c), Some(k), Some(ca)).unwrap().unwrap();
        assert_eq!((on.cert.as_path(), on.key.as_path(), on.client_ca.as_deref()), (c, k, Some(ca)));
        assert!(ServerTls::from_flags(Some(c), None, None).unwrap_err().to_string().contains("--tls-key"));
        assert!(ServerTls::from_flags(None, Some(k), None).unwrap_err().to_string().contains("--tls-cert"));
        assert!(ServerTls::from_flags(None, None, Some(ca)).is_err());
    }

    #[test]
    fn a_missing_file_is_named_in_the_error() {
        let tls = ServerTls::from_flags(Some(Path::new("/nonexistent/c.pem")), Some(Path::new("k.pem")), None)
            .unwrap()
            .unwrap();
        let err = format!("{:#}", tls.server_config(ALPN_H2).unwrap_err());
        assert!(err.contains("/nonexistent/c.pem"), "{err}");
    }
}
