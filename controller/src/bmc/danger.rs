//! `--bmc-insecure`: BMC certificates are not verified at all. Everything that makes that
//! possible is in this one module, so a review of "where can ironprep talk to a BMC without
//! knowing who answers" has one place to look.
//!
//! Without verification anyone on the path to the BMC can pose as it and read the BMC password
//! sent with every request. It exists for labs and first contact; `bmc_known_hosts` with
//! `--bmc-host-key-policy accept-new` gives the same convenience without the risk after the
//! first run.

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};

/// Printed on stderr once per run, whatever the output format.
pub const WARNING: &str = "ironprep: WARNING: --bmc-insecure: BMC certificates are NOT \
    verified; anyone on the network path can pose as a BMC and read the BMC password. Pin the \
    BMCs instead: --bmc-host-key-policy accept-new (bmc_known_hosts), or give --bmc-ca.";

/// Accepts any certificate. The handshake signature is still checked, which proves only that
/// the peer holds the key of the certificate it sent, not who it is.
#[derive(Debug)]
struct AcceptAnyCertificate {
    algorithms: WebPkiSupportedAlgorithms,
}

pub(super) fn verifier(algorithms: WebPkiSupportedAlgorithms) -> Arc<dyn ServerCertVerifier> {
    Arc::new(AcceptAnyCertificate { algorithms })
}

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}
