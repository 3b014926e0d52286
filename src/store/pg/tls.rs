//! The link to PostgreSQL, over TLS when the URL asks (DESIGN.md §9: the villages'
//! ID-number keys cross it). `sslmode` follows libpq: `disable`; `prefer` (the default:
//! TLS when the server offers it, unverified); `require` (TLS, unverified — or, with
//! `sslrootcert`, its chain checked as for `verify-ca`); `verify-ca` (the chain checked
//! against `sslrootcert`, else the Mozilla roots); `verify-full` (chain and host name).
//! Both the URL form (`postgres://…?sslmode=verify-full&sslrootcert=/etc/jifen/ca.pem`)
//! and the key-value form (`host=db sslmode=require`) are read. A local socket
//! (`host=/run/postgresql`, `postgres://jifen@%2Frun%2Fpostgresql/jifen`) never uses TLS.

use std::path::PathBuf;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio_postgres::config::SslMode;
use tokio_postgres_rustls::MakeRustlsConnect;

use super::{PgError, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    Disable,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

/// A database URL as this program reads it: tokio-postgres's config, and what TLS it asks.
pub(super) struct DbUrl {
    pub config: tokio_postgres::Config,
    pub mode: Mode,
    pub root_cert: Option<PathBuf>,
}

/// Reads `sslmode` and `sslrootcert` out of the URL and the rest as tokio-postgres does.
pub(super) fn parse(url: &str) -> Result<DbUrl> {
    let mut mode = None;
    let mut root_cert = None;
    let mut take = |key: &str, value: &str| -> Result<bool> {
        match key {
            "sslmode" => {
                mode = Some(match value {
                    "disable" => Mode::Disable,
                    "allow" | "prefer" => Mode::Prefer,
                    "require" => Mode::Require,
                    "verify-ca" => Mode::VerifyCa,
                    "verify-full" => Mode::VerifyFull,
                    other => {
                        return Err(PgError::Url(format!(
                            "sslmode '{other}' is not one of disable, prefer, require, verify-ca, verify-full"
                        )))
                    }
                });
                Ok(true)
            }
            "sslrootcert" => {
                root_cert = Some(PathBuf::from(value));
                Ok(true)
            }
            _ => Ok(false),
        }
    };
    let rest = if url.contains("://") {
        match url.split_once('?') {
            Some((base, query)) => {
                let mut kept = Vec::new();
                for pair in query.split('&').filter(|p| !p.is_empty()) {
                    let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                    if !take(k, v)? {
                        kept.push(pair);
                    }
                }
                if kept.is_empty() {
                    base.to_string()
                } else {
                    format!("{base}?{}", kept.join("&"))
                }
            }
            None => url.to_string(),
        }
    } else {
        let mut kept = Vec::new();
        for word in url.split_whitespace() {
            let (k, v) = word.split_once('=').unwrap_or((word, ""));
            if !take(k.trim(), v.trim().trim_matches('\''))? {
                kept.push(word);
            }
        }
        kept.join(" ")
    };
    let mut config: tokio_postgres::Config = rest
        .parse()
        .map_err(|e: tokio_postgres::Error| PgError::Url(e.to_string()))?;
    let mut mode = mode.unwrap_or(Mode::Prefer);
    // As libpq: a local socket is not network, and `sslmode` is ignored on it.
    let all_local = config
        .get_hosts()
        .iter()
        .all(|h| !matches!(h, tokio_postgres::config::Host::Tcp(_)));
    if all_local && !config.get_hosts().is_empty() {
        mode = Mode::Disable;
    }
    config.ssl_mode(match mode {
        Mode::Disable => SslMode::Disable,
        Mode::Prefer => SslMode::Prefer,
        Mode::Require | Mode::VerifyCa | Mode::VerifyFull => SslMode::Require,
    });
    Ok(DbUrl {
        config,
        mode,
        root_cert,
    })
}

/// The TLS connector for the URL's mode.
pub(super) fn connector(url: &DbUrl) -> Result<Connector> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| PgError::Url(format!("TLS: {e}")))?;
    let mode = match (url.mode, &url.root_cert) {
        (Mode::Require, Some(_)) => Mode::VerifyCa,
        (m, _) => m,
    };
    let config = match mode {
        Mode::Disable | Mode::Prefer | Mode::Require => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(Unverified(provider)))
            .with_no_client_auth(),
        Mode::VerifyCa | Mode::VerifyFull => {
            let roots = Arc::new(roots(url.root_cert.as_ref())?);
            let webpki = WebPkiServerVerifier::builder_with_provider(roots, provider)
                .build()
                .map_err(|e| PgError::Url(format!("TLS: {e}")))?;
            if mode == Mode::VerifyFull {
                builder.with_webpki_verifier(webpki).with_no_client_auth()
            } else {
                builder
                    .dangerous()
                    .with_custom_certificate_verifier(Arc::new(ChainOnly(webpki)))
                    .with_no_client_auth()
            }
        }
    };
    Ok(Connector(MakeRustlsConnect::new(config)))
}

/// rustls for TCP hosts. tokio-postgres asks for a connector for a local socket too, by
/// the empty name, which rustls refuses although no TLS is ever spoken there; any valid
/// name serves.
#[derive(Clone)]
pub(super) struct Connector(MakeRustlsConnect);

impl<S> tokio_postgres::tls::MakeTlsConnect<S> for Connector
where
    MakeRustlsConnect: tokio_postgres::tls::MakeTlsConnect<S>,
{
    type Stream = <MakeRustlsConnect as tokio_postgres::tls::MakeTlsConnect<S>>::Stream;
    type TlsConnect = <MakeRustlsConnect as tokio_postgres::tls::MakeTlsConnect<S>>::TlsConnect;
    type Error = <MakeRustlsConnect as tokio_postgres::tls::MakeTlsConnect<S>>::Error;

    fn make_tls_connect(&mut self, domain: &str) -> std::result::Result<Self::TlsConnect, Self::Error> {
        let domain = if domain.is_empty() { "localhost" } else { domain };
        tokio_postgres::tls::MakeTlsConnect::<S>::make_tls_connect(&mut self.0, domain)
    }
}

fn roots(file: Option<&PathBuf>) -> Result<RootCertStore> {
    let mut store = RootCertStore::empty();
    match file {
        Some(path) => {
            let certs = CertificateDer::pem_file_iter(path)
                .map_err(|e| PgError::Url(format!("sslrootcert {}: {e}", path.display())))?;
            for cert in certs {
                let cert = cert.map_err(|e| PgError::Url(format!("sslrootcert {}: {e}", path.display())))?;
                store
                    .add(cert)
                    .map_err(|e| PgError::Url(format!("sslrootcert {}: {e}", path.display())))?;
            }
            if store.is_empty() {
                return Err(PgError::Url(format!(
                    "sslrootcert {} holds no certificate",
                    path.display()
                )));
            }
        }
        None => store.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    }
    Ok(store)
}

/// `prefer` and `require` without a root: the link is encrypted, the server unchecked
/// (as libpq does; use verify-full where the network is not trusted).
#[derive(Debug)]
struct Unverified(Arc<CryptoProvider>);

impl ServerCertVerifier for Unverified {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// `verify-ca`: the chain must lead to a trusted root; the host name is not compared.
#[derive(Debug)]
struct ChainOnly(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
        {
            Err(rustls::Error::InvalidCertificate(rustls::CertificateError::NotValidForName))
            | Err(rustls::Error::InvalidCertificate(rustls::CertificateError::NotValidForNameContext { .. })) => {
                Ok(ServerCertVerified::assertion())
            }
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ssl_settings_are_read_from_both_url_forms_and_the_rest_is_left_alone() {
        let u = parse(
            "postgres://jifen@db.example:5432/jifen?sslmode=verify-full&sslrootcert=/etc/ca.pem&application_name=x",
        )
        .unwrap();
        assert_eq!(u.mode, Mode::VerifyFull);
        assert_eq!(u.root_cert, Some(PathBuf::from("/etc/ca.pem")));
        assert_eq!(u.config.get_application_name(), Some("x"));
        assert_eq!(u.config.get_ssl_mode(), SslMode::Require);
        let u = parse("host=/run/postgresql user=jifen dbname=jifen sslmode=disable").unwrap();
        assert_eq!((u.mode, u.config.get_ssl_mode()), (Mode::Disable, SslMode::Disable));
        assert_eq!(parse("postgres://x@y/z").unwrap().mode, Mode::Prefer);
        let local = parse("postgres://jifen@%2Frun%2Fpostgresql:5432/jifen?sslmode=require").unwrap();
        assert_eq!(
            local.config.get_ssl_mode(),
            SslMode::Disable,
            "no TLS on a local socket"
        );
        let err = parse("postgres://x@y/z?sslmode=verify-all").err().unwrap();
        assert!(err.to_string().contains("verify-all"), "{err}");
    }
}
