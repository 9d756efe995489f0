//! Certificates and keys for ACP on bare metal: the bootstrap `dex.tls` that elemental agents
//! verify in strict TLS mode, and the disaster-recovery key material that both sides of a DR
//! pair must share.
//!
//! Everything is generated with rcgen and checked with rustls-webpki and x509-parser, on one
//! crypto provider per binary ([`crypto`]: aws-lc-rs, which rcgen needs for RSA keys; ring in
//! the agent, which only verifies). The certificate profile is the one
//! that Go's crypto/x509, rustls-webpki, `openssl verify -x509_strict` and Python's strict
//! default all accept (SPEC §2).
//!
//! Nothing here prints or logs key material: keys are only ever written to files with mode 0600
//! and identified by SHA-256 fingerprints.

pub mod certificate;
#[cfg(feature = "generate")]
pub mod compare;
pub mod crypto;
#[cfg(feature = "generate")]
pub mod dr;
pub mod endpoint;
mod error;
#[cfg(feature = "generate")]
pub mod generate;
#[cfg(feature = "generate")]
pub mod manifest;
pub mod material;
#[cfg(feature = "generate")]
pub mod output;
pub mod probe;
#[cfg(feature = "generate")]
pub mod verify;

pub use error::{Error, InputProblem};

/// The namespace every bare-metal object lives in.
pub const NAMESPACE: &str = "cpaas-system";
