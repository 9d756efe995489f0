//! How a BMC's certificate is trusted: verified against `--bmc-ca` (the BMCs carry certificates
//! from an organisation's CA), or pinned per BMC in `bmc_known_hosts` (the usual self-signed
//! BMC certificate). The verifier records why it refused a certificate, so the host's outcome
//! is `tls-untrusted` with the reason rather than a generic connection error.
//!
//! The opt-out (`--bmc-insecure`) is not here: it lives in [`super::danger`].

use std::sync::{Arc, Mutex};

use ironprep_certs::probe::Recorder;
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

use super::danger;
use super::known_hosts::{KnownHosts, Verdict, spki_fingerprint};

/// The trust chosen on the command line, shared by every host of a run.
#[derive(Clone, Debug)]
pub enum Trust {
    /// `--bmc-ca`: the chain must verify against these anchors, for the URL's host.
    Ca(Arc<RootCertStore>),
    /// `bmc_known_hosts`: the certificate's key must be the one pinned for the BMC.
    Pinned(Arc<KnownHosts>),
    /// `--bmc-insecure`: see [`danger`].
    Insecure,
}

/// What the verifier of one BMC decided, read after a failed request.
#[derive(Debug, Default)]
pub struct Observed {
    /// Why the pinned key was refused.
    pub refused: Mutex<Option<String>>,
    /// A pin learned for this BMC (accept-new), for the run's summary.
    pub learned: Mutex<Option<String>>,
    /// With `--bmc-ca`: the WebPKI verdict, and the host it was verified for.
    ca: Mutex<Option<(Arc<Recorder>, String)>>,
}

impl Observed {
    /// Why the BMC's certificate was refused, if it was.
    pub fn refusal(&self) -> Option<String> {
        let ca = self
            .ca
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some((recorder, host)) = ca.as_ref()
            && let Some(error) = recorder.refusal()
        {
            return Some(format!(
                "the certificate is not trusted by --bmc-ca: {}",
                ironprep_certs::probe::describe_rustls_error(&error, host)
            ));
        }
        self.refused
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    fn refuse(&self, reason: String) {
        *self
            .refused
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(reason);
    }
}

pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// The rustls configuration for one BMC: `host` is what its certificate must name (with
/// `--bmc-ca`), `pin_name` its `HOST:PORT` in bmc_known_hosts.
pub fn client_config(
    trust: &Trust,
    host: &str,
    pin_name: &str,
    observed: Arc<Observed>,
) -> Result<ClientConfig, rustls::Error> {
    let provider = provider();
    let algorithms = provider.signature_verification_algorithms;
    let verifier: Arc<dyn ServerCertVerifier> = match trust {
        Trust::Ca(roots) => {
            let inner =
                WebPkiServerVerifier::builder_with_provider(roots.clone(), provider.clone())
                    .build()
                    .map_err(|error| rustls::Error::General(error.to_string()))?;
            let recorder = Arc::new(Recorder::new(inner));
            *observed
                .ca
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()) =
                Some((recorder.clone(), host.to_owned()));
            recorder
        }
        Trust::Pinned(known_hosts) => key_verifier(
            PinJudge {
                known_hosts: known_hosts.clone(),
                pin_name: pin_name.to_owned(),
                observed,
            },
            algorithms,
        ),
        Trust::Insecure => danger::verifier(algorithms),
    };
    Ok(ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth())
}

/// Decides on the certificate a BMC presented; [`KeyVerifier`] checks the handshake signature
/// against it whatever the decision, so a peer must hold the key of the certificate it sent.
pub(super) trait Judge: std::fmt::Debug + Send + Sync {
    fn judge(&self, end_entity: &CertificateDer<'_>) -> Result<(), rustls::Error>;
}

/// A verifier made of a [`Judge`] of the certificate and rustls' signature checks.
#[derive(Debug)]
pub(super) struct KeyVerifier<J> {
    judge: J,
    algorithms: WebPkiSupportedAlgorithms,
}

pub(super) fn key_verifier<J: Judge + 'static>(
    judge: J,
    algorithms: WebPkiSupportedAlgorithms,
) -> Arc<dyn ServerCertVerifier> {
    Arc::new(KeyVerifier { judge, algorithms })
}

impl<J: Judge> ServerCertVerifier for KeyVerifier<J> {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        self.judge.judge(end_entity)?;
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

/// The certificate's key must be the one pinned for this BMC; names and dates are not judged
/// (a self-signed BMC certificate names whatever its firmware chose).
#[derive(Debug)]
struct PinJudge {
    known_hosts: Arc<KnownHosts>,
    pin_name: String,
    observed: Arc<Observed>,
}

impl Judge for PinJudge {
    fn judge(&self, end_entity: &CertificateDer<'_>) -> Result<(), rustls::Error> {
        let fingerprint = spki_fingerprint(end_entity.as_ref()).map_err(|problem| {
            self.observed
                .refuse(format!("the BMC's certificate cannot be read: {problem}"));
            rustls::Error::InvalidCertificate(rustls::CertificateError::BadEncoding)
        })?;
        let file = self.known_hosts.file().display();
        let refuse = |reason: String| {
            self.observed.refuse(reason);
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::ApplicationVerificationFailure,
            ))
        };
        match self.known_hosts.verify(&self.pin_name, &fingerprint) {
            Verdict::Known => Ok(()),
            Verdict::Learned => {
                *self
                    .observed
                    .learned
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(fingerprint);
                Ok(())
            }
            Verdict::Unknown => refuse(format!(
                "the BMC's key {fingerprint} is not in {file}: check it on the BMC's console, \
                 then rerun with --bmc-host-key-policy accept-new (or give --bmc-ca)"
            )),
            Verdict::Changed { pinned } => refuse(format!(
                "the BMC's key changed: {file} pins {pinned} for {}, the BMC presented \
                 {fingerprint}; if the BMC's certificate was replaced on purpose, remove its \
                 line from {file}",
                self.pin_name
            )),
        }
    }
}
