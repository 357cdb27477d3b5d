//! A served certificate that follows its files: [`ReloadingCert`] is the
//! rustls `ResolvesServerCert` of both services. On a handshake, at most
//! every [`CHECK_EVERY`], it compares the files' modification time and
//! size with what it loaded, and reads them again when they changed (a
//! renewal by cert-manager, certbot or a Kubernetes Secret update). A new
//! pair that does not load (half written, key not matching) is logged as
//! an error and the previous certificate stays in service; the next change
//! is tried again.
//!
//! The check runs inside the handshake (two `stat` calls every few
//! seconds, file reads only on a change), so there is no task to manage
//! and nothing happens while no one connects.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant, SystemTime};

use anyhow::Context;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::PrivateKeyDer;
use rustls::pki_types::pem::PemObject;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;

/// How often, at most, the files are looked at.
pub const CHECK_EVERY: Duration = Duration::from_secs(2);

/// What a file looked like when last read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    modified: Option<SystemTime>,
    len: u64,
}

fn stamp(path: &Path) -> Option<Stamp> {
    let meta = std::fs::metadata(path).ok()?;
    Some(Stamp { modified: meta.modified().ok(), len: meta.len() })
}

#[derive(Debug)]
struct Check {
    last: Instant,
    stamps: (Option<Stamp>, Option<Stamp>),
}

/// The certificate and key at two paths, reloaded when they change.
#[derive(Debug)]
pub struct ReloadingCert {
    cert_path: PathBuf,
    key_path: PathBuf,
    provider: Arc<CryptoProvider>,
    current: RwLock<Arc<CertifiedKey>>,
    check: Mutex<Check>,
}

impl ReloadingCert {
    /// Loads the pair once; an error names the file and what is wrong.
    pub fn load(cert: &Path, key: &Path, provider: Arc<CryptoProvider>) -> anyhow::Result<Self> {
        let stamps = (stamp(cert), stamp(key));
        let loaded = certified_key(cert, key, &provider)?;
        Ok(Self {
            cert_path: cert.to_owned(),
            key_path: key.to_owned(),
            provider,
            current: RwLock::new(Arc::new(loaded)),
            check: Mutex::new(Check { last: Instant::now(), stamps }),
        })
    }

    /// The certificate now in service.
    pub fn current(&self) -> Arc<CertifiedKey> {
        self.current.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Reads the files again if [`CHECK_EVERY`] has passed and they
    /// changed. One handshake checks while the others go on with the
    /// current certificate.
    fn refresh(&self) {
        let Ok(mut check) = self.check.try_lock() else { return };
        if check.last.elapsed() < CHECK_EVERY {
            return;
        }
        check.last = Instant::now();
        let stamps = (stamp(&self.cert_path), stamp(&self.key_path));
        if stamps == check.stamps {
            return;
        }
        // Remembered even when the new pair fails: it is tried again on
        // the next change, without an error on every handshake.
        check.stamps = stamps;
        match certified_key(&self.cert_path, &self.key_path, &self.provider) {
            Ok(loaded) => {
                *self.current.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(loaded);
                tracing::info!(cert = %self.cert_path.display(), "TLS certificate reloaded");
            }
            Err(e) => tracing::error!(
                cert = %self.cert_path.display(),
                error = format!("{e:#}"),
                "TLS certificate files changed but do not load; still serving the previous certificate"
            ),
        }
    }
}

impl ResolvesServerCert for ReloadingCert {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        self.refresh();
        Some(self.current())
    }
}

/// Reads a certificate chain and its private key (PEM: PKCS#8, PKCS#1 or
/// SEC1), checking that the key is the certificate's.
pub(crate) fn certified_key(cert: &Path, key: &Path, provider: &CryptoProvider) -> anyhow::Result<CertifiedKey> {
    let chain = crate::certificates(cert)?;
    let key_der = PrivateKeyDer::from_pem_file(key)
        .with_context(|| format!("cannot read a PEM private key from {}", key.display()))?;
    CertifiedKey::from_der(chain, key_der, provider)
        .with_context(|| format!("the key in {} does not fit the certificate in {}", key.display(), cert.display()))
}
