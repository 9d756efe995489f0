//! Generating the bootstrap `dex.tls` PKI (a CA and a serving certificate signed by it), the
//! ServiceAccount signing key and the etcd encryption configuration.
//!
//! The profile is SPEC §2's: v3; the CA with basicConstraints `CA:TRUE` critical, keyUsage
//! keyCertSign + cRLSign critical and a subject key identifier; the leaf with every name in the
//! SAN (IPs as `iPAddress`), an authority key identifier equal to the CA's, keyUsage
//! digitalSignature (+ keyEncipherment for RSA), extendedKeyUsage serverAuth, no `CA:TRUE`, a
//! validity inside the CA's that starts slightly in the past; SHA-256 signatures; random
//! positive 128-bit serial numbers.

use std::net::IpAddr;
use std::path::Path;
use std::str::FromStr;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, PKCS_ECDSA_P256_SHA256, PKCS_RSA_SHA256, RsaKeySize, SanType,
    SerialNumber,
};
use rustls::pki_types::CertificateDer;
use time::{Duration, OffsetDateTime};

use crate::certificate::CertificateFacts;
use crate::{Error, InputProblem, material};

/// The CA's common name in the seed's cert-manager example.
pub const BOOTSTRAP_CA_NAME: &str = "baremetal-bootstrap-ca";
/// The in-cluster names of the bootstrap ALB (seed 000).
pub const BOOTSTRAP_DNS_NAMES: [&str; 3] = [
    "global-alb2",
    "global-alb2.cpaas-system.svc",
    "global-alb2.cpaas-system.svc.cluster.local",
];
/// 87600h, the seed's `duration`.
pub const DEFAULT_DAYS: u32 = 3650;
/// How far notBefore is put in the past, so that a host whose clock is a little behind still
/// accepts a certificate made a moment ago.
pub const CLOCK_SKEW: Duration = Duration::minutes(5);

/// The key algorithm of generated certificates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyType {
    Rsa2048,
    Rsa3072,
    EcdsaP256,
}

impl KeyType {
    pub const ALL: [KeyType; 3] = [KeyType::Rsa2048, KeyType::Rsa3072, KeyType::EcdsaP256];

    pub fn as_str(self) -> &'static str {
        match self {
            KeyType::Rsa2048 => "rsa2048",
            KeyType::Rsa3072 => "rsa3072",
            KeyType::EcdsaP256 => "ecdsa-p256",
        }
    }

    /// A fresh key pair of this type.
    pub fn generate(self) -> Result<KeyPair, Error> {
        let generated = match self {
            KeyType::Rsa2048 => KeyPair::generate_rsa_for(&PKCS_RSA_SHA256, RsaKeySize::_2048),
            KeyType::Rsa3072 => KeyPair::generate_rsa_for(&PKCS_RSA_SHA256, RsaKeySize::_3072),
            KeyType::EcdsaP256 => KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256),
        };
        generated.map_err(|source| Error::Generate {
            what: "a key pair",
            source,
        })
    }
}

impl FromStr for KeyType {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        KeyType::ALL
            .into_iter()
            .find(|key_type| key_type.as_str() == text)
            .ok_or_else(|| {
                format!("unknown key type '{text}' (valid: rsa2048, rsa3072, ecdsa-p256)")
            })
    }
}

/// A CA that can sign serving certificates: freshly generated, or loaded from files.
pub struct Authority {
    pub certificate: CertificateFacts,
    pub certificate_pem: String,
    issuer: Issuer<'static, KeyPair>,
}

impl std::fmt::Debug for Authority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authority")
            .field("subject", &self.certificate.subject)
            .finish_non_exhaustive()
    }
}

impl Authority {
    /// A new self-signed root with the CA profile of SPEC §2.
    pub fn generate(
        common_name: &str,
        key_type: KeyType,
        not_before: OffsetDateTime,
        not_after: OffsetDateTime,
    ) -> Result<Authority, Error> {
        let key = key_type.generate()?;
        let mut params = CertificateParams::default();
        params.distinguished_name = DistinguishedName::new();
        params
            .distinguished_name
            .push(DnType::CommonName, common_name);
        // Writes basicConstraints CA:TRUE critical and the subject key identifier.
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        params.not_before = not_before;
        params.not_after = not_after;
        params.serial_number = Some(random_serial()?);
        let certificate = params.self_signed(&key).map_err(|source| Error::Generate {
            what: "the CA certificate",
            source,
        })?;
        let facts = CertificateFacts::parse(certificate.der().clone()).map_err(|problem| {
            Error::Argument {
                argument: "generated CA",
                value: common_name.to_owned(),
                problem: problem.to_string(),
            }
        })?;
        Ok(Authority {
            certificate: facts,
            certificate_pem: certificate.pem(),
            issuer: Issuer::new(params, key),
        })
    }

    /// An existing CA: one certificate that is a CA, and its private key.
    pub fn from_files(certificate_path: &Path, key_path: &Path) -> Result<Authority, Error> {
        let mut certificates = material::certificate_file(certificate_path)?;
        if certificates.len() != 1 {
            return Err(Error::input(
                certificate_path,
                InputProblem::SeveralCertificates {
                    count: certificates.len(),
                },
            ));
        }
        let certificate = certificates.remove(0);
        if !certificate.is_ca() {
            return Err(Error::input(
                certificate_path,
                InputProblem::NotCa(format!(
                    "{} has no basicConstraints CA:TRUE",
                    certificate.subject
                )),
            ));
        }
        if let Some(usage) = certificate.key_usage
            && !usage.key_cert_sign
        {
            return Err(Error::input(
                certificate_path,
                InputProblem::NotCa(format!(
                    "{} has a keyUsage without keyCertSign",
                    certificate.subject
                )),
            ));
        }
        let key = material::private_key_file(key_path)?;
        if !material::key_matches(&key, &certificate) {
            return Err(Error::input(
                key_path,
                InputProblem::KeyMismatch {
                    certificate: certificate_path.to_owned(),
                },
            ));
        }
        let issuer = Issuer::from_ca_cert_der(&certificate.der, key).map_err(|source| {
            Error::input(certificate_path, InputProblem::NotCa(source.to_string()))
        })?;
        let certificate_pem = pem_certificate(&certificate.der);
        Ok(Authority {
            certificate,
            certificate_pem,
            issuer,
        })
    }

    /// The CA's private key in PEM (PKCS#8). Secret: write it only to a 0600 file.
    pub fn key_pem(&self) -> String {
        self.issuer.key().serialize_pem()
    }

    /// A serving certificate signed by this CA.
    pub fn issue(&self, request: &ServerRequest) -> Result<Issued, Error> {
        let key = request.key_type.generate()?;
        let mut params = CertificateParams::default();
        params.distinguished_name = DistinguishedName::new();
        if let Some(common_name) = &request.common_name {
            params
                .distinguished_name
                .push(DnType::CommonName, common_name.as_str());
        }
        for ip in &request.ips {
            params.subject_alt_names.push(SanType::IpAddress(*ip));
        }
        for name in &request.dns_names {
            let name = name.clone().try_into().map_err(|_| Error::Argument {
                argument: "DNS name",
                value: name.clone(),
                problem: "not an IA5 (ASCII) string".to_owned(),
            })?;
            params.subject_alt_names.push(SanType::DnsName(name));
        }
        // keyEncipherment is for RSA key transport; an EC key cannot encrypt, and RFC 5480 §3
        // says it must not be asserted for id-ecPublicKey, so ECDSA leaves get
        // digitalSignature only (what step-ca and Go's own tooling do).
        params.key_usages = match request.key_type {
            KeyType::Rsa2048 | KeyType::Rsa3072 => vec![
                KeyUsagePurpose::DigitalSignature,
                KeyUsagePurpose::KeyEncipherment,
            ],
            KeyType::EcdsaP256 => vec![KeyUsagePurpose::DigitalSignature],
        };
        if request.server_auth {
            params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        }
        // rcgen leaves the authority key identifier out unless asked; OpenSSL strict mode
        // and Python 3.13 require it.
        params.use_authority_key_identifier_extension = true;
        params.is_ca = IsCa::ExplicitNoCa;
        params.not_before = request.not_before;
        params.not_after = request.not_after;
        params.serial_number = Some(random_serial()?);
        let certificate =
            params
                .signed_by(&key, &self.issuer)
                .map_err(|source| Error::Generate {
                    what: "the serving certificate",
                    source,
                })?;
        let facts = CertificateFacts::parse(certificate.der().clone()).map_err(|problem| {
            Error::Argument {
                argument: "generated certificate",
                value: request.common_name.clone().unwrap_or_default(),
                problem: problem.to_string(),
            }
        })?;
        Ok(Issued {
            certificate: facts,
            certificate_pem: certificate.pem(),
            key_pem: key.serialize_pem(),
        })
    }
}

/// What a serving certificate should say.
#[derive(Clone, Debug)]
pub struct ServerRequest {
    /// `None` leaves the subject empty (then rcgen marks the SAN critical, as RFC 5280 asks).
    pub common_name: Option<String>,
    pub ips: Vec<IpAddr>,
    pub dns_names: Vec<String>,
    pub key_type: KeyType,
    /// Whether to add extendedKeyUsage serverAuth (tests turn it off to make bad leaves).
    pub server_auth: bool,
    pub not_before: OffsetDateTime,
    pub not_after: OffsetDateTime,
}

/// A signed serving certificate and its key.
pub struct Issued {
    pub certificate: CertificateFacts,
    pub certificate_pem: String,
    /// PKCS#8 PEM. Secret: write it only to a 0600 file.
    pub key_pem: String,
}

/// `ironprep certs dex-tls` as values.
#[derive(Clone, Debug)]
pub struct DexTlsRequest {
    pub host_ip: IpAddr,
    pub extra_ips: Vec<IpAddr>,
    pub extra_dns: Vec<String>,
    pub days: u32,
    pub key_type: KeyType,
}

/// The bootstrap PKI, ready to be written.
pub struct DexTlsBundle {
    pub ca: CertificateFacts,
    pub ca_pem: String,
    /// `None` when an existing CA was reused: its key is not copied around.
    pub ca_key_pem: Option<String>,
    pub leaf: Issued,
    /// Things the user should know (a validity shortened to fit the CA, …).
    pub notes: Vec<String>,
}

impl DexTlsRequest {
    /// The IP SANs, host IP first, without duplicates.
    pub fn ips(&self) -> Vec<IpAddr> {
        let mut ips = vec![self.host_ip, IpAddr::from([127, 0, 0, 1])];
        for ip in &self.extra_ips {
            if !ips.contains(ip) {
                ips.push(*ip);
            }
        }
        ips.dedup();
        ips
    }

    /// The DNS SANs, the ALB's in-cluster names first, without duplicates.
    pub fn dns_names(&self) -> Vec<String> {
        let mut names: Vec<String> = BOOTSTRAP_DNS_NAMES
            .iter()
            .map(|n| (*n).to_owned())
            .collect();
        for name in &self.extra_dns {
            let name = name.to_ascii_lowercase();
            if !names.contains(&name) {
                names.push(name);
            }
        }
        names
    }

    /// Rejects what no client could use: an unspecified or multicast host IP, malformed names,
    /// a validity of zero days.
    pub fn validate(&self) -> Result<(), Error> {
        for ip in std::iter::once(&self.host_ip).chain(&self.extra_ips) {
            if ip.is_unspecified() || ip.is_multicast() || *ip == IpAddr::from([255, 255, 255, 255])
            {
                return Err(Error::Argument {
                    argument: "IP address",
                    value: ip.to_string(),
                    problem: "a server cannot be reached at an unspecified, multicast or \
                              broadcast address"
                        .to_owned(),
                });
            }
        }
        for name in &self.extra_dns {
            validate_dns_name(name)?;
        }
        if self.days == 0 || self.days > 36_500 {
            return Err(Error::Argument {
                argument: "validity in days",
                value: self.days.to_string(),
                problem: "must be between 1 and 36500".to_owned(),
            });
        }
        Ok(())
    }

    /// Generates the CA (unless one is given) and the serving certificate.
    pub fn generate(&self, existing_ca: Option<Authority>) -> Result<DexTlsBundle, Error> {
        self.validate()?;
        let now = OffsetDateTime::now_utc()
            .replace_nanosecond(0)
            .unwrap_or(OffsetDateTime::now_utc());
        let start = now - CLOCK_SKEW;
        let lifetime = Duration::days(i64::from(self.days));
        let mut notes = Vec::new();
        let (authority, generated) = match existing_ca {
            Some(authority) => (authority, false),
            None => (
                Authority::generate(BOOTSTRAP_CA_NAME, self.key_type, start, start + lifetime)?,
                true,
            ),
        };
        let mut not_before = start;
        let mut not_after = start + lifetime;
        let ca_not_before = unix_to_time(authority.certificate.not_before);
        let ca_not_after = unix_to_time(authority.certificate.not_after);
        if not_before < ca_not_before {
            not_before = ca_not_before;
        }
        if not_after > ca_not_after {
            not_after = ca_not_after;
            notes.push(format!(
                "the serving certificate ends with the CA, on {} (sooner than the {} days asked for)",
                crate::certificate::format_time(authority.certificate.not_after),
                self.days
            ));
        }
        if not_after <= now {
            return Err(Error::Argument {
                argument: "CA certificate",
                value: authority.certificate.subject.clone(),
                problem: "the CA has expired; it cannot sign a valid certificate".to_owned(),
            });
        }
        let leaf = authority.issue(&ServerRequest {
            common_name: Some(self.host_ip.to_string()),
            ips: self.ips(),
            dns_names: self.dns_names(),
            key_type: self.key_type,
            server_auth: true,
            not_before,
            not_after,
        })?;
        Ok(DexTlsBundle {
            ca_key_pem: generated.then(|| authority.key_pem()),
            ca: authority.certificate,
            ca_pem: authority.certificate_pem,
            leaf,
            notes,
        })
    }
}

/// A DNS name a certificate can carry: valid syntax (a leading `*.` wildcard allowed), and not
/// an IP address, which belongs in an `iPAddress` SAN.
pub fn validate_dns_name(name: &str) -> Result<(), Error> {
    let problem = if name.parse::<IpAddr>().is_ok() {
        Some(
            "an IP address in a DNS SAN never matches for Go or rustls: it belongs in an iPAddress SAN",
        )
    } else {
        let bare = name.strip_prefix("*.").unwrap_or(name);
        rustls::pki_types::DnsName::try_from(bare)
            .err()
            .map(|_| "not a valid DNS name")
    };
    match problem {
        Some(problem) => Err(Error::Argument {
            argument: "DNS name",
            value: name.to_owned(),
            problem: problem.to_owned(),
        }),
        None => Ok(()),
    }
}

/// A kube-apiserver ServiceAccount signing key pair, as `openssl genrsa 2048` and
/// `openssl rsa -pubout` make it.
pub struct ServiceAccountKey {
    /// PKCS#8 PEM (`BEGIN PRIVATE KEY`), which kube-apiserver and kube-controller-manager read
    /// like PKCS#1 (and which OpenSSL 3's `genrsa` writes too). Secret.
    pub private_pem: String,
    /// SubjectPublicKeyInfo PEM (`BEGIN PUBLIC KEY`), like `openssl rsa -pubout`.
    pub public_pem: String,
}

impl ServiceAccountKey {
    pub fn generate() -> Result<ServiceAccountKey, Error> {
        let key = KeyType::Rsa2048.generate()?;
        Ok(ServiceAccountKey {
            private_pem: key.serialize_pem(),
            public_pem: key.public_key_pem(),
        })
    }
}

/// The kube-apiserver `EncryptionConfiguration` with one random aescbc key.
pub struct EncryptionConfig {
    /// The YAML of `encryption-provider.conf`. Secret: it holds the key.
    pub text: String,
}

/// What follows the aescbc key in the provider list.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Fallback {
    /// aescbc only, the file of the installation guide (seed 000, "Prepare Shared DR
    /// Variables"): both DR sides must carry byte-identical files, provider order included, so
    /// a file made here must equal one written by hand from the guide. A new cluster written
    /// with this file from its first boot holds no plaintext Secret that would need identity.
    #[default]
    AescbcOnly,
    /// aescbc, then `identity: {}`: for a cluster that already holds Secrets written before
    /// encryption was turned on, which stay readable until rewritten. Both sides must then use
    /// this same form.
    Identity,
}

impl EncryptionConfig {
    /// aescbc with `key1` = 32 random bytes, followed by `fallback`.
    pub fn generate(fallback: Fallback) -> Result<EncryptionConfig, Error> {
        let mut key = [0u8; 32];
        aws_lc_rs::rand::fill(&mut key).map_err(|_| Error::Argument {
            argument: "random source",
            value: "aws-lc".to_owned(),
            problem: "no random bytes available".to_owned(),
        })?;
        Ok(EncryptionConfig {
            text: encryption_config_text(&BASE64.encode(key), fallback),
        })
    }
}

/// The configuration for a given base64 key (also used by tests).
pub fn encryption_config_text(secret_base64: &str, fallback: Fallback) -> String {
    let mut text = format!(
        "apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
  - resources:
      - secrets
    providers:
      - aescbc:
          keys:
            - name: key1
              secret: {secret_base64}
"
    );
    if fallback == Fallback::Identity {
        text.push_str("      - identity: {}\n");
    }
    text
}

/// A random, positive, 16-byte serial number (RFC 5280 allows up to 20 bytes; CA/B asks for at
/// least 64 random bits). The top bit is cleared so it stays positive and the next one set so
/// that the DER integer is always exactly 16 bytes.
pub fn random_serial() -> Result<SerialNumber, Error> {
    let mut bytes = [0u8; 16];
    aws_lc_rs::rand::fill(&mut bytes).map_err(|_| Error::Argument {
        argument: "random source",
        value: "aws-lc".to_owned(),
        problem: "no random bytes available".to_owned(),
    })?;
    bytes[0] = (bytes[0] & 0x7f) | 0x40;
    Ok(SerialNumber::from_slice(&bytes))
}

/// A DER certificate as PEM.
pub fn pem_certificate(der: &CertificateDer<'_>) -> String {
    let body = BASE64.encode(der.as_ref());
    let mut pem = String::from("-----BEGIN CERTIFICATE-----\n");
    for chunk in body.as_bytes().chunks(64) {
        pem.push_str(&String::from_utf8_lossy(chunk));
        pem.push('\n');
    }
    pem.push_str("-----END CERTIFICATE-----\n");
    pem
}

fn unix_to_time(unix: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(unix).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> DexTlsRequest {
        DexTlsRequest {
            host_ip: "192.168.122.10".parse().unwrap(),
            extra_ips: vec!["127.0.0.1".parse().unwrap(), "10.0.0.9".parse().unwrap()],
            extra_dns: vec!["Bootstrap.Example".to_owned()],
            days: DEFAULT_DAYS,
            key_type: KeyType::EcdsaP256,
        }
    }

    #[test]
    fn sans_follow_the_seed_and_have_no_duplicates() {
        let request = request();
        let ips: Vec<String> = request.ips().iter().map(IpAddr::to_string).collect();
        assert_eq!(ips, ["192.168.122.10", "127.0.0.1", "10.0.0.9"]);
        assert_eq!(
            request.dns_names(),
            [
                "global-alb2",
                "global-alb2.cpaas-system.svc",
                "global-alb2.cpaas-system.svc.cluster.local",
                "bootstrap.example"
            ]
        );
    }

    #[test]
    fn the_profile_is_the_one_of_the_spec() {
        let bundle = request().generate(None).unwrap();
        let ca = &bundle.ca;
        assert_eq!(ca.common_name.as_deref(), Some(BOOTSTRAP_CA_NAME));
        assert_eq!(ca.version, 3);
        assert_eq!(ca.basic_constraints, Some((true, true)));
        let usage = ca.key_usage.unwrap();
        assert!(usage.critical && usage.key_cert_sign && usage.crl_sign);
        assert!(ca.subject_key_id.is_some());
        let leaf = &bundle.leaf.certificate;
        assert_eq!(leaf.common_name.as_deref(), Some("192.168.122.10"));
        assert_eq!(leaf.authority_key_id, ca.subject_key_id);
        assert_eq!(leaf.basic_constraints, Some((false, true)));
        assert!(leaf.extended_key_usage.unwrap().server_auth);
        let usage = leaf.key_usage.unwrap();
        assert!(
            usage.digital_signature && !usage.key_encipherment,
            "ECDSA: no keyEncipherment"
        );
        assert_eq!(leaf.signature_algorithm, "ecdsa-with-SHA256");
        assert!(leaf.not_before >= ca.not_before && leaf.not_after <= ca.not_after);
        let now = crate::certificate::now_unix();
        assert!(leaf.not_before < now && leaf.not_before > now - 3600);
        assert_eq!(leaf.days_left(now), i64::from(DEFAULT_DAYS) - 1);
        // 16 bytes, positive: "4x:.." or "5x:..", "6x", "7x".
        assert_eq!(leaf.serial.split(':').count(), 16, "{}", leaf.serial);
        assert!(bundle.ca_key_pem.is_some());
    }

    #[test]
    fn bad_names_and_addresses_are_refused() {
        for name in ["10.0.0.1", "bad name", "-x..y"] {
            assert!(validate_dns_name(name).is_err(), "{name}");
        }
        for name in ["global-alb2", "*.example.com", "a.b.c"] {
            validate_dns_name(name).unwrap();
        }
        let mut request = request();
        request.host_ip = "0.0.0.0".parse().unwrap();
        assert!(request.validate().is_err());
        let mut request = self::tests::request();
        request.days = 0;
        assert!(request.validate().is_err());
    }

    #[test]
    fn encryption_config_holds_32_random_bytes() {
        let config = EncryptionConfig::generate(Fallback::AescbcOnly).unwrap();
        let secret = config
            .text
            .lines()
            .find_map(|line| line.trim().strip_prefix("secret: "))
            .unwrap();
        assert_eq!(BASE64.decode(secret).unwrap().len(), 32);
        assert_ne!(
            EncryptionConfig::generate(Fallback::AescbcOnly)
                .unwrap()
                .text,
            config.text
        );
    }

    #[test]
    fn encryption_config_is_the_guides_file_unless_identity_is_asked_for() {
        let providers = |fallback| {
            let text = encryption_config_text("S2V5", fallback);
            text.lines()
                .filter_map(|line| line.trim().strip_prefix("- ")?.split(':').next())
                .filter(|name| ["aescbc", "identity", "name"].contains(name))
                .map(str::to_owned)
                .collect::<Vec<_>>()
        };
        assert_eq!(providers(Fallback::AescbcOnly), ["aescbc", "name"]);
        assert_eq!(
            providers(Fallback::Identity),
            ["aescbc", "name", "identity"]
        );
        assert!(encryption_config_text("S2V5", Fallback::Identity).ends_with("- identity: {}\n"));
    }

    #[test]
    fn service_account_key_is_rsa_2048_pkcs8() {
        let key = ServiceAccountKey::generate().unwrap();
        assert!(key.private_pem.starts_with("-----BEGIN PRIVATE KEY-----"));
        assert!(key.public_pem.starts_with("-----BEGIN PUBLIC KEY-----"));
    }
}
