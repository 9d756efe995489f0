//! Reading PEM certificates and keys from files, with errors that name the file, and the
//! SHA-256 fingerprints used everywhere instead of key material.

use std::path::Path;

#[cfg(feature = "generate")]
use rcgen::{KeyPair, PublicKeyData};
use rustls::pki_types::CertificateDer;
#[cfg(feature = "generate")]
use rustls::pki_types::PrivateKeyDer;
use rustls::pki_types::pem::{self, PemObject};

use crate::certificate::CertificateFacts;
use crate::{Error, InputProblem};

/// The most a certificate, key or Secret file may hold: a CA bundle of the whole web PKI is
/// a few hundred KiB.
pub const MAX_PEM_BYTES: u64 = 16 * 1024 * 1024;

/// Reads a whole file (a regular file, at most [`MAX_PEM_BYTES`]); the error names it.
pub fn read(path: &Path) -> Result<Vec<u8>, Error> {
    ironprep_input::read(path, MAX_PEM_BYTES).map_err(|error| match error {
        ironprep_input::ReadError::Io(source) => Error::Read {
            path: path.to_owned(),
            source,
        },
        other => Error::input(path, InputProblem::Unreadable(other)),
    })
}

/// Every `CERTIFICATE` block of a PEM text, parsed; at least one.
pub fn certificates(path: &Path, pem_text: &[u8]) -> Result<Vec<CertificateFacts>, Error> {
    let mut facts = Vec::new();
    for (index, der) in CertificateDer::pem_slice_iter(pem_text).enumerate() {
        let der = der.map_err(|error| Error::input(path, pem_problem(error, "CERTIFICATE")))?;
        let parsed = CertificateFacts::parse(der).map_err(|problem| {
            Error::input(
                path,
                InputProblem::MalformedCertificate {
                    index: index + 1,
                    problem,
                },
            )
        })?;
        facts.push(parsed);
    }
    if facts.is_empty() {
        return Err(Error::input(
            path,
            InputProblem::NoPem {
                expected: "CERTIFICATE",
            },
        ));
    }
    Ok(facts)
}

/// Reads and parses a certificate file (a leaf and any intermediates, or a CA bundle).
pub fn certificate_file(path: &Path) -> Result<Vec<CertificateFacts>, Error> {
    certificates(path, &read(path)?)
}

#[cfg(feature = "generate")]
/// The private key of a PEM text (PKCS#8, PKCS#1 or SEC1).
pub fn private_key(path: &Path, pem_text: &[u8]) -> Result<KeyPair, Error> {
    if is_encrypted_key(pem_text) {
        return Err(Error::input(path, InputProblem::EncryptedKey));
    }
    let der = PrivateKeyDer::from_pem_slice(pem_text)
        .map_err(|error| Error::input(path, pem_problem(error, "PRIVATE KEY")))?;
    KeyPair::try_from(&der)
        .map_err(|error| Error::input(path, InputProblem::UnusableKey(error.to_string())))
}

#[cfg(feature = "generate")]
/// Reads and parses a private key file.
pub fn private_key_file(path: &Path) -> Result<KeyPair, Error> {
    private_key(path, &read(path)?)
}

#[cfg(feature = "generate")]
/// Whether `key` is the private half of the certificate's public key.
pub fn key_matches(key: &KeyPair, certificate: &CertificateFacts) -> bool {
    key.der_bytes() == certificate.public_key_bits.as_slice()
}

/// `AB:CD:…`, as `openssl x509 -fingerprint -sha256` prints it.
pub fn sha256_fingerprint(bytes: &[u8]) -> String {
    crate::crypto::sha256(bytes)
        .iter()
        .map(|byte| format!("{byte:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// Lower-case hex without separators, as `sha256sum` prints it.
pub fn sha256_hex(bytes: &[u8]) -> String {
    crate::crypto::sha256(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// A PKCS#8 `ENCRYPTED PRIVATE KEY` block, or a legacy OpenSSL one with `Proc-Type:
/// 4,ENCRYPTED` headers: otherwise reported as "no PRIVATE KEY block" or a base64 error on the
/// header's `-`.
#[cfg(feature = "generate")]
fn is_encrypted_key(pem_text: &[u8]) -> bool {
    let contains = |needle: &[u8]| {
        pem_text
            .windows(needle.len())
            .any(|window| window == needle)
    };
    contains(b"-----BEGIN ENCRYPTED PRIVATE KEY-----") || contains(b"Proc-Type: 4,ENCRYPTED")
}

/// What is wrong, in words: the PEM parser's own messages print byte arrays and base64
/// decoder internals (`InvalidCharacter(45)`). Nothing of the text is echoed: it may be a key.
fn pem_problem(error: pem::Error, expected: &'static str) -> InputProblem {
    let problem = match error {
        pem::Error::NoItemsFound => return InputProblem::NoPem { expected },
        pem::Error::MissingSectionEnd { end_marker } => format!(
            "no `-----END {}-----` line: the file is cut short or two blocks are run together",
            String::from_utf8_lossy(&end_marker).trim()
        ),
        pem::Error::IllegalSectionStart { .. } => {
            "a `-----BEGIN` line is not of the form `-----BEGIN LABEL-----`".to_owned()
        }
        pem::Error::Base64Decode(_) => "the base64 between the BEGIN and END lines is damaged \
                                        (a character that is not base64, or a line cut short)"
            .to_owned(),
        pem::Error::SectionTooLarge => "a block is larger than any certificate or key".to_owned(),
        other => other.to_string(),
    };
    InputProblem::MalformedPem(problem)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_are_openssl_and_sha256sum_shaped() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(sha256_fingerprint(b"abc").starts_with("BA:78:16:BF:"));
    }

    #[test]
    fn garbage_is_reported_with_the_file_name() {
        let error = certificates(Path::new("x.crt"), b"hello").unwrap_err();
        assert_eq!(error.to_string(), "x.crt: holds no PEM CERTIFICATE block");
        let broken = b"-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n";
        let error = certificates(Path::new("x.crt"), broken).unwrap_err();
        assert!(
            error.to_string().starts_with("x.crt: malformed PEM"),
            "{error}"
        );
        let not_der = b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        let error = certificates(Path::new("x.crt"), not_der).unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("x.crt: certificate 1 is not a valid X.509 certificate"),
            "{error}"
        );
    }

    #[cfg(feature = "generate")]
    #[test]
    fn a_missing_key_is_reported_with_the_file_name() {
        let error = private_key(Path::new("x.key"), b"nothing").unwrap_err();
        assert_eq!(error.to_string(), "x.key: holds no PEM PRIVATE KEY block");
    }

    #[cfg(feature = "generate")]
    #[test]
    fn encrypted_keys_are_named_as_such() {
        let pkcs8 = b"-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIFHDBOBgkqhkiG9w0BBQ0wQTApBgkq\n\
                      -----END ENCRYPTED PRIVATE KEY-----\n";
        let legacy = b"-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n\
                       DEK-Info: AES-256-CBC,0123456789ABCDEF0123456789ABCDEF\n\nAAAA\n\
                       -----END RSA PRIVATE KEY-----\n";
        for text in [&pkcs8[..], &legacy[..]] {
            let error = private_key(Path::new("x.key"), text)
                .unwrap_err()
                .to_string();
            assert!(
                error.starts_with("x.key: holds an encrypted private key: give it unencrypted"),
                "{error}"
            );
        }
    }

    #[test]
    fn malformed_pem_is_described_in_words_not_bytes() {
        let cut = b"-----BEGIN CERTIFICATE-----\nAAAA\n";
        let error = certificates(Path::new("x.crt"), cut)
            .unwrap_err()
            .to_string();
        assert_eq!(
            error,
            "x.crt: malformed PEM: no `-----END CERTIFICATE-----` line: the file is cut short or \
             two blocks are run together"
        );
        let damaged = b"-----BEGIN CERTIFICATE-----\nA-A!\n-----END CERTIFICATE-----\n";
        let error = certificates(Path::new("x.crt"), damaged)
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("the base64 between the BEGIN and END lines"),
            "{error}"
        );
        assert!(!error.contains("InvalidCharacter"), "{error}");
    }
}
