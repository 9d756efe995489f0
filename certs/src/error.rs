//! Typed errors: every error names the file or argument it is about, so that the command line
//! can print it as is and exit 2 (unusable input).

use std::io;
use std::path::PathBuf;

/// Why a file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum InputProblem {
    #[error("holds no PEM {expected} block")]
    NoPem { expected: &'static str },
    #[error("malformed PEM: {0}")]
    MalformedPem(String),
    #[error(
        "holds an encrypted private key: give it unencrypted (`openssl pkey -in KEY -out \
         KEY.plain` asks for the passphrase), in a file only you can read"
    )]
    EncryptedKey,
    #[error("certificate {index} is not a valid X.509 certificate: {problem}")]
    MalformedCertificate {
        index: usize,
        problem: crate::certificate::CertificateError,
    },
    #[error("holds {count} certificates; give only the issuing CA certificate")]
    SeveralCertificates { count: usize },
    #[error("is not a CA certificate: {0}")]
    NotCa(String),
    #[error("is not a usable private key: {0}")]
    UnusableKey(String),
    #[error("does not match the certificate in {certificate}")]
    KeyMismatch { certificate: PathBuf },
    #[error("is not a Secret manifest: {0}")]
    NotSecret(String),
    /// Not a regular file, or larger than a PEM file can be.
    #[error("{0}")]
    Unreadable(ironprep_input::ReadError),
    #[error("{0}")]
    Other(String),
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: cannot read: {source}")]
    Read { path: PathBuf, source: io::Error },
    #[error("{path}: {problem}")]
    Input {
        path: PathBuf,
        problem: InputProblem,
    },
    #[error("invalid {argument} '{value}': {problem}")]
    Argument {
        argument: &'static str,
        value: String,
        problem: String,
    },
    /// The caller says how to consent to overwriting (the CLI names its flag).
    #[error("{path} already holds {files}")]
    Exists { path: PathBuf, files: String },
    #[error("cannot write {path}: {source}")]
    Write { path: PathBuf, source: io::Error },
    #[cfg(feature = "generate")]
    #[error("cannot generate {what}: {source}")]
    Generate {
        what: &'static str,
        source: rcgen::Error,
    },
}

impl Error {
    pub(crate) fn input(path: impl Into<PathBuf>, problem: InputProblem) -> Error {
        Error::Input {
            path: path.into(),
            problem,
        }
    }
}
