//! What a certificate says, read once with x509-parser into plain values, so that checks,
//! reports and tests never touch ASN.1.

use std::fmt::Write as _;
use std::net::IpAddr;

use rustls::pki_types::CertificateDer;
use x509_parser::prelude::*;

use crate::material::sha256_fingerprint;

/// The public key algorithm and size, as people name them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyAlgorithm {
    Rsa { bits: usize },
    Ecdsa { curve: String },
    Ed25519,
    Other(String),
}

impl std::fmt::Display for KeyAlgorithm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeyAlgorithm::Rsa { bits } => write!(f, "RSA {bits}"),
            KeyAlgorithm::Ecdsa { curve } => write!(f, "ECDSA {curve}"),
            KeyAlgorithm::Ed25519 => f.write_str("Ed25519"),
            KeyAlgorithm::Other(oid) => write!(f, "key algorithm {oid}"),
        }
    }
}

/// The keyUsage bits that matter for a TLS server and a CA.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KeyUsageBits {
    pub digital_signature: bool,
    pub key_encipherment: bool,
    pub key_agreement: bool,
    pub key_cert_sign: bool,
    pub crl_sign: bool,
    pub critical: bool,
}

impl KeyUsageBits {
    pub fn names(&self) -> Vec<&'static str> {
        let mut names = Vec::new();
        for (set, name) in [
            (self.digital_signature, "digitalSignature"),
            (self.key_encipherment, "keyEncipherment"),
            (self.key_agreement, "keyAgreement"),
            (self.key_cert_sign, "keyCertSign"),
            (self.crl_sign, "cRLSign"),
        ] {
            if set {
                names.push(name);
            }
        }
        names
    }
}

/// The extendedKeyUsage purposes that matter here.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExtendedKeyUsageBits {
    pub server_auth: bool,
    pub client_auth: bool,
    pub any: bool,
}

/// One parsed certificate. Times are Unix seconds.
#[derive(Clone, Debug)]
pub struct CertificateFacts {
    pub der: CertificateDer<'static>,
    /// `CN=…, O=…` in OpenSSL's one-line order.
    pub subject: String,
    pub issuer: String,
    pub common_name: Option<String>,
    /// 1, 2 or 3 (what people call v3).
    pub version: u32,
    /// Colon-separated hex, as OpenSSL prints it.
    pub serial: String,
    pub not_before: i64,
    pub not_after: i64,
    pub dns_names: Vec<String>,
    pub ip_addresses: Vec<IpAddr>,
    /// Whether a subjectAltName extension exists at all (it may hold other kinds of names).
    pub has_san_extension: bool,
    /// `None` when there is no basicConstraints extension; `Some((ca, critical))` otherwise.
    pub basic_constraints: Option<(bool, bool)>,
    pub key_usage: Option<KeyUsageBits>,
    pub extended_key_usage: Option<ExtendedKeyUsageBits>,
    pub subject_key_id: Option<Vec<u8>>,
    pub authority_key_id: Option<Vec<u8>>,
    pub key_algorithm: KeyAlgorithm,
    /// The subjectPublicKey BIT STRING contents (PKCS#1 for RSA, the point for EC), what a
    /// private key's public half is compared with.
    pub public_key_bits: Vec<u8>,
    /// `sha256WithRSAEncryption`, `ecdsa-with-SHA256`, … or the OID.
    pub signature_algorithm: String,
    /// The subject and issuer names are byte-identical (a root, or a self-issued certificate).
    pub self_issued: bool,
    /// SHA-256 of the DER, `AB:CD:…`.
    pub fingerprint: String,
}

/// Why bytes are not a usable X.509 certificate.
#[derive(Debug, thiserror::Error)]
pub enum CertificateError {
    /// The DER structure itself; x509-parser's error text says where.
    #[error("{0}")]
    Der(String),
    #[error("{0} bytes of trailing data after the certificate")]
    TrailingData(usize),
    #[error("{extension}: {problem}")]
    Extension {
        extension: &'static str,
        problem: String,
    },
}

impl CertificateError {
    fn extension(extension: &'static str, error: X509Error) -> CertificateError {
        CertificateError::Extension {
            extension,
            problem: error.to_string(),
        }
    }
}

impl CertificateFacts {
    /// Parses one DER certificate; the caller names the file or endpoint it came from.
    pub fn parse(der: CertificateDer<'static>) -> Result<CertificateFacts, CertificateError> {
        let (rest, cert) = X509Certificate::from_der(&der)
            .map_err(|error| CertificateError::Der(error.to_string()))?;
        if !rest.is_empty() {
            return Err(CertificateError::TrailingData(rest.len()));
        }
        let mut facts = CertificateFacts {
            subject: cert.subject().to_string(),
            issuer: cert.issuer().to_string(),
            common_name: cert
                .subject()
                .iter_common_name()
                .next()
                .and_then(|name| name.as_str().ok())
                .map(str::to_owned),
            version: cert.version().0 + 1,
            serial: cert.raw_serial_as_string(),
            not_before: cert.validity().not_before.timestamp(),
            not_after: cert.validity().not_after.timestamp(),
            dns_names: Vec::new(),
            ip_addresses: Vec::new(),
            has_san_extension: false,
            basic_constraints: None,
            key_usage: None,
            extended_key_usage: None,
            subject_key_id: None,
            authority_key_id: None,
            key_algorithm: key_algorithm(cert.public_key()),
            public_key_bits: cert.public_key().subject_public_key.data.to_vec(),
            signature_algorithm: signature_algorithm_name(
                &cert.signature_algorithm.algorithm.to_id_string(),
            ),
            self_issued: cert.subject().as_raw() == cert.issuer().as_raw(),
            fingerprint: sha256_fingerprint(&der),
            der: CertificateDer::from(Vec::new()),
        };
        if let Some(san) = cert
            .subject_alternative_name()
            .map_err(|error| CertificateError::extension("subjectAltName", error))?
        {
            facts.has_san_extension = true;
            for name in &san.value.general_names {
                match name {
                    GeneralName::DNSName(dns) => facts.dns_names.push((*dns).to_owned()),
                    GeneralName::IPAddress(bytes) => {
                        if let Some(ip) = ip_from_bytes(bytes) {
                            facts.ip_addresses.push(ip);
                        }
                    }
                    _ => {}
                }
            }
        }
        if let Some(constraints) = cert
            .basic_constraints()
            .map_err(|error| CertificateError::extension("basicConstraints", error))?
        {
            facts.basic_constraints = Some((constraints.value.ca, constraints.critical));
        }
        if let Some(usage) = cert
            .key_usage()
            .map_err(|error| CertificateError::extension("keyUsage", error))?
        {
            facts.key_usage = Some(KeyUsageBits {
                digital_signature: usage.value.digital_signature(),
                key_encipherment: usage.value.key_encipherment(),
                key_agreement: usage.value.key_agreement(),
                key_cert_sign: usage.value.key_cert_sign(),
                crl_sign: usage.value.crl_sign(),
                critical: usage.critical,
            });
        }
        if let Some(usage) = cert
            .extended_key_usage()
            .map_err(|error| CertificateError::extension("extendedKeyUsage", error))?
        {
            facts.extended_key_usage = Some(ExtendedKeyUsageBits {
                server_auth: usage.value.server_auth,
                client_auth: usage.value.client_auth,
                any: usage.value.any,
            });
        }
        for extension in cert.iter_extensions() {
            match extension.parsed_extension() {
                ParsedExtension::SubjectKeyIdentifier(id) => {
                    facts.subject_key_id = Some(id.0.to_vec());
                }
                ParsedExtension::AuthorityKeyIdentifier(aki) => {
                    facts.authority_key_id = aki.key_identifier.as_ref().map(|id| id.0.to_vec());
                }
                _ => {}
            }
        }
        facts.der = der;
        Ok(facts)
    }

    /// Whether basicConstraints says `CA:TRUE`.
    pub fn is_ca(&self) -> bool {
        matches!(self.basic_constraints, Some((true, _)))
    }

    /// Every name of the SAN, IPs first, as people write them.
    pub fn san_summary(&self) -> String {
        let mut names: Vec<String> = self
            .ip_addresses
            .iter()
            .map(|ip| format!("IP:{ip}"))
            .collect();
        names.extend(self.dns_names.iter().map(|dns| format!("DNS:{dns}")));
        if names.is_empty() {
            "(no DNS or IP SAN)".to_owned()
        } else {
            names.join(", ")
        }
    }

    /// DNS SAN entries that are really IP addresses (Go and webpki never match them to an IP).
    pub fn ips_written_as_dns(&self) -> Vec<&str> {
        self.dns_names
            .iter()
            .filter(|name| name.parse::<IpAddr>().is_ok())
            .map(String::as_str)
            .collect()
    }

    /// Whole days from `now` until notAfter (negative once expired).
    pub fn days_left(&self, now: i64) -> i64 {
        (self.not_after - now).div_euclid(86_400)
    }
}

/// `2035-11-21 04:35:00 UTC`.
pub fn format_time(unix: i64) -> String {
    match ::time::OffsetDateTime::from_unix_timestamp(unix) {
        Ok(time) => {
            let mut text = String::new();
            let _ = write!(
                text,
                "{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC",
                time.year(),
                u8::from(time.month()),
                time.day(),
                time.hour(),
                time.minute(),
                time.second()
            );
            text
        }
        Err(_) => format!("@{unix}"),
    }
}

/// The current time in Unix seconds.
pub fn now_unix() -> i64 {
    ::time::OffsetDateTime::now_utc().unix_timestamp()
}

fn ip_from_bytes(bytes: &[u8]) -> Option<IpAddr> {
    match bytes.len() {
        4 => <[u8; 4]>::try_from(bytes).ok().map(IpAddr::from),
        16 => <[u8; 16]>::try_from(bytes).ok().map(IpAddr::from),
        _ => None,
    }
}

fn key_algorithm(spki: &SubjectPublicKeyInfo<'_>) -> KeyAlgorithm {
    let oid = spki.algorithm.algorithm.to_id_string();
    match spki.parsed() {
        Ok(x509_parser::public_key::PublicKey::RSA(rsa)) => KeyAlgorithm::Rsa {
            bits: rsa_bits(rsa.modulus),
        },
        Ok(x509_parser::public_key::PublicKey::EC(_)) => {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|parameters| parameters.as_oid().ok())
                .map(|curve| match curve.to_id_string().as_str() {
                    "1.2.840.10045.3.1.7" => "P-256".to_owned(),
                    "1.3.132.0.34" => "P-384".to_owned(),
                    "1.3.132.0.35" => "P-521".to_owned(),
                    other => other.to_owned(),
                })
                .unwrap_or_else(|| "(unknown curve)".to_owned());
            KeyAlgorithm::Ecdsa { curve }
        }
        _ if oid == "1.3.101.112" => KeyAlgorithm::Ed25519,
        _ => KeyAlgorithm::Other(oid),
    }
}

/// The modulus length in bits, leading zero bytes and bits not counted.
fn rsa_bits(modulus: &[u8]) -> usize {
    let significant: Vec<u8> = modulus
        .iter()
        .copied()
        .skip_while(|byte| *byte == 0)
        .collect();
    match significant.first() {
        Some(first) => significant.len() * 8 - first.leading_zeros() as usize,
        None => 0,
    }
}

fn signature_algorithm_name(oid: &str) -> String {
    match oid {
        "1.2.840.113549.1.1.5" => "sha1WithRSAEncryption",
        "1.2.840.113549.1.1.11" => "sha256WithRSAEncryption",
        "1.2.840.113549.1.1.12" => "sha384WithRSAEncryption",
        "1.2.840.113549.1.1.13" => "sha512WithRSAEncryption",
        "1.2.840.113549.1.1.10" => "rsassaPss",
        "1.2.840.10045.4.1" => "ecdsa-with-SHA1",
        "1.2.840.10045.4.3.2" => "ecdsa-with-SHA256",
        "1.2.840.10045.4.3.3" => "ecdsa-with-SHA384",
        "1.2.840.10045.4.3.4" => "ecdsa-with-SHA512",
        "1.3.101.112" => "ED25519",
        other => other,
    }
    .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rsa_bits_ignores_the_sign_byte() {
        let mut modulus = vec![0u8];
        modulus.extend([0x80; 256]);
        assert_eq!(rsa_bits(&modulus), 2048);
        assert_eq!(rsa_bits(&[0x01, 0x00]), 9);
    }

    #[test]
    fn times_print_in_utc() {
        assert_eq!(format_time(0), "1970-01-01 00:00:00 UTC");
    }
}
