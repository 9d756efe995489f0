//! `--bmc-insecure`: BMC certificates are not verified at all. Everything that makes that
//! possible is in this one module, so a review of "where can ironprep talk to a BMC without
//! knowing who answers" has one place to look.
//!
//! Without verification anyone on the path to the BMC can pose as it and read the BMC password
//! sent with every request. It exists for labs and first contact; `bmc_known_hosts` with
//! `--bmc-host-key-policy accept-new` gives the same convenience without the risk after the
//! first run.

use std::sync::Arc;

use rustls::client::danger::ServerCertVerifier;
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::CertificateDer;

use super::tls::{Judge, key_verifier};

/// Printed on stderr once per run, whatever the output format.
pub const WARNING: &str = "ironprep: WARNING: --bmc-insecure: BMC certificates are NOT \
    verified; anyone on the network path can pose as a BMC and read the BMC password. Pin the \
    BMCs instead: --bmc-host-key-policy accept-new (bmc_known_hosts), or give --bmc-ca.";

/// Accepts any certificate. The handshake signature is still checked (by
/// [`key_verifier`]), which proves only that the peer holds the key of the certificate it sent,
/// not who it is.
#[derive(Debug)]
struct AcceptAnyCertificate;

impl Judge for AcceptAnyCertificate {
    fn judge(&self, _end_entity: &CertificateDer<'_>) -> Result<(), rustls::Error> {
        Ok(())
    }
}

pub(super) fn verifier(algorithms: WebPkiSupportedAlgorithms) -> Arc<dyn ServerCertVerifier> {
    key_verifier(AcceptAnyCertificate, algorithms)
}
