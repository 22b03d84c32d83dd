//! TLS settings: the server certificate and key, ALPN (HTTP/2 and HTTP/1.1),
//! and a client-certificate verifier that asks every client for a
//! certificate but lets the request decide. Which CAs a certificate must
//! chain to depends on the tenant, which is only known once a request names
//! its credentials, so the chain is judged per request (service layer); the
//! handshake only proves the client holds the certificate's private key.

use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{DigitallySignedStruct, DistinguishedName, ServerConfig, SignatureScheme};
use std::io;
use std::path::Path;
use std::sync::Arc;

/// A ready server-side TLS configuration.
#[derive(Clone)]
pub struct TlsConfig(pub(crate) Arc<ServerConfig>);

impl std::fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TlsConfig")
    }
}

fn invalid(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg)
}

impl TlsConfig {
    /// From PEM files: the certificate chain (server certificate first) and its key.
    pub fn from_files(cert: &Path, key: &Path) -> io::Result<Self> {
        let chain = std::fs::read(cert)
            .map_err(|e| invalid(format!("cannot read {}: {e}", cert.display())))?;
        let key_pem = std::fs::read(key)
            .map_err(|e| invalid(format!("cannot read {}: {e}", key.display())))?;
        Self::from_pem(&chain, &key_pem)
    }

    /// From PEM text: the certificate chain (server certificate first) and its key.
    pub fn from_pem(chain_pem: &[u8], key_pem: &[u8]) -> io::Result<Self> {
        let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(chain_pem)
            .collect::<Result<_, _>>()
            .map_err(|e| invalid(format!("the TLS certificate file is not valid PEM: {e}")))?;
        if chain.is_empty() {
            return Err(invalid(
                "the TLS certificate file holds no certificate".into(),
            ));
        }
        let key = PrivateKeyDer::from_pem_slice(key_pem)
            .map_err(|e| invalid(format!("the TLS key file holds no usable key: {e}")))?;
        // The provider is named here rather than taken from the process
        // default: with both ring and aws-lc-rs in the build, rustls cannot
        // pick one by itself.
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let verifier = Arc::new(AnyClientCert {
            algs: provider.signature_verification_algorithms,
        });
        let mut cfg = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| invalid(format!("TLS set-up failed: {e}")))?
            .with_client_cert_verifier(verifier)
            .with_single_cert(chain, key)
            .map_err(|e| invalid(format!("the TLS certificate and key do not fit: {e}")))?;
        cfg.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(Self(Arc::new(cfg)))
    }
}

/// Asks for a client certificate, does not require one, and accepts any
/// chain at this layer; the handshake signature is still verified, so a
/// client cannot present a certificate whose key it does not hold.
#[derive(Debug)]
struct AnyClientCert {
    algs: WebPkiSupportedAlgorithms,
}

impl ClientCertVerifier for AnyClientCert {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        false
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        // Tenants' CAs are not known at the handshake; no hint lets a
        // browser offer every certificate it has.
        &[]
    }

    fn verify_client_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        Ok(ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algs)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algs)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algs.supported_schemes()
    }
}
