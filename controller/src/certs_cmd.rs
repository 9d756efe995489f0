//! `ironprep certs …`: the bootstrap dex.tls and the DR key material. Parses the command line
//! into the `ironprep-certs` library's requests and renders its results; every check result
//! has the shared `CheckResult` shape, so JSON output follows the contract.

use std::io::Write;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use clap::{Args, ValueEnum};
use ironprep_certs::certificate::{CertificateFacts, format_time, now_unix};
use ironprep_certs::compare::{self, Verdict};
use ironprep_certs::generate::{
    Authority, DEFAULT_DAYS, DexTlsRequest, EncryptionConfig, Fallback, KeyType, ServiceAccountKey,
};
use ironprep_certs::manifest::{
    self, DEX_TLS_SECRET, ENCRYPTION_KEY, ENCRYPTION_SECRET, SA_KEY_SECRET, SecretManifest,
};
use ironprep_certs::output::{self, OutputFile, PUBLIC_MODE, SECRET_MODE};
use ironprep_certs::probe::{self, ProbeRequest};
use ironprep_certs::{NAMESPACE, dr, material, verify};
use ironprep_report::View;
use ironprep_schema::certs::{
    CertificateReport, ComparedFile, Comparison, ComparisonReport, ServedCertificate, WrittenFile,
    WrittenFiles,
};
use ironprep_schema::{CheckResult, ExitCode, SCHEMA_VERSION, Status};

use crate::output::{Output, OutputArgs};

#[derive(Debug, clap::Subcommand)]
pub enum CertsCommand {
    /// Make the bootstrap dex.tls: a CA, a serving certificate for https://HOST_IP:12443 and
    /// the Secret elemental-operator mounts.
    #[command(after_help = "\
Writes ca.crt, ca.key, tls.crt, tls.key (keys mode 0600) and dex-tls-secret.yaml (Secret
cpaas-system/dex.tls with tls.crt, tls.key, ca.crt), all at once or not at all.

Defaults follow the installation guide: RSA 2048, 3650 days (87600h), CA CN
baremetal-bootstrap-ca, leaf CN HOST_IP, IP SANs HOST_IP and 127.0.0.1, DNS SANs global-alb2,
global-alb2.cpaas-system.svc and global-alb2.cpaas-system.svc.cluster.local.

Examples:
  ironprep certs dex-tls --host-ip 192.168.122.10 --out ./dex-tls
  kubectl apply -f ./dex-tls/dex-tls-secret.yaml
  ironprep certs dex-tls --host-ip 192.168.122.10 --dns bootstrap.example --out ./dex-tls \\
      --ca-cert ./dex-tls/ca.crt --ca-key ./dex-tls/ca.key --force     renew, same CA")]
    DexTls(DexTlsArgs),
    /// Verify a CA, a serving certificate, its key and the Secret, like the guide's openssl
    /// steps, and warn about what OpenSSL accepts but Go refuses.
    #[command(after_help = "\
Checks: cert.ca, cert.chain, cert.validity, cert.ip-san, cert.dns-san, cert.key-match,
cert.key-usage, cert.go-compat, cert.strict, and cert.secret with --secret.
Exit 1 when a check fails, 2 when a file cannot be read or parsed.

Examples:
  ironprep certs verify --ca ca.crt --cert tls.crt --key tls.key --host-ip 192.168.122.10
  ironprep certs verify --secret dex-tls-secret.yaml --host-ip 192.168.122.10
  kubectl -n cpaas-system get secret dex.tls -o yaml > s.yaml && \\
      ironprep certs verify --secret s.yaml --host-ip 192.168.122.10 --format json")]
    Verify(VerifyArgs),
    /// Connect to a TLS endpoint and verify what it serves against the CA only (the guide's
    /// openssl s_client -verify_return_error step); shows what is served either way.
    #[command(after_help = "\
The chain is verified with rustls against --ca alone (no system roots) for the target's IP
or name, or --server-name. With --cert, also tells whether the endpoint serves that very
certificate (an ALB that still serves an older one is the usual surprise).
Exit 1 when verification fails, 3 when the endpoint cannot be reached.

Examples:
  ironprep certs probe https://192.168.122.10:12443 --ca dex-tls/ca.crt
  ironprep certs probe https://192.168.122.10:12443 --ca dex-tls/ca.crt --cert dex-tls/tls.crt
  ironprep certs probe https://10.0.0.100/kubernetes/global --ca platform-ca.crt \\
      --server-name platform.example")]
    Probe(ProbeArgs),
    /// Check that the DR platform certificate covers the platform domain and both VIPs.
    #[command(after_help = "\
Examples:
  ironprep certs dr-check --cert platform.crt --platform-host platform.example \\
      --vip 10.0.0.100 --vip 10.1.0.100
  ironprep certs dr-check --cert platform.crt --ca platform-ca.crt --platform-host \\
      platform.example --vip 10.0.0.100 --vip 10.1.0.100 --dns global-alb2 --format json")]
    DrCheck(DrCheckArgs),
    /// Make the DR ServiceAccount signing key pair (sa.key, sa.pub) and its Secret.
    #[command(after_help = "\
Writes sa.key (RSA 2048, PKCS#8, mode 0600), sa.pub (mode 0644) and
global-sa-signing-key-secret.yaml (Secret cpaas-system/global-sa-signing-key). Make it once
and copy the same files to both sides; compare them with `ironprep certs compare`.

Example:
  ironprep certs sa-key --out /root/global-dr-sa")]
    SaKey(SaKeyArgs),
    /// Make the DR encryption-provider.conf (aescbc, key1, a random 32-byte key) and its Secret.
    #[command(after_help = "\
Writes encryption-provider.conf (EncryptionConfiguration: aescbc key1 only; mode 0600) and
global-encryption-provider-config-secret.yaml (Secret cpaas-system/
global-encryption-provider-config, key encryption-provider.conf). Make it once and use the
same file on both sides.

Why aescbc only: it is the installation guide's file, and both DR sides must hold
byte-identical files, provider order included; a file made here then equals one written by
hand from the guide. A new global cluster gets the file before its first Secret is written,
so it holds no plaintext Secret that would need the identity provider to stay readable.
--identity-fallback appends `identity: {}` for a cluster that already holds Secrets written
before encryption; use that same file on both sides then.

Examples:
  ironprep certs encryption-config --out /root/yamls
  ironprep certs encryption-config --out /root/yamls --identity-fallback")]
    EncryptionConfig(EncryptionConfigArgs),
    /// Tell whether two files or directories hold the same key material (by SHA-256 only).
    #[command(after_help = "\
Compares two files, or every file of two directories by name. Prints SHA-256 fingerprints,
never contents. Exit 1 when anything differs or is missing on one side.

Examples:
  ironprep certs compare primary/sa.key standby/sa.key
  ironprep certs compare /mnt/primary/global-dr-sa /root/global-dr-sa")]
    Compare(CompareArgs),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum KeyTypeArg {
    Rsa2048,
    Rsa3072,
    EcdsaP256,
}

impl From<KeyTypeArg> for KeyType {
    fn from(value: KeyTypeArg) -> Self {
        match value {
            KeyTypeArg::Rsa2048 => KeyType::Rsa2048,
            KeyTypeArg::Rsa3072 => KeyType::Rsa3072,
            KeyTypeArg::EcdsaP256 => KeyType::EcdsaP256,
        }
    }
}

#[derive(Debug, Args)]
pub struct DexTlsArgs {
    /// The bootstrap host's IP: the leaf's CN and first IP SAN (https://HOST_IP:12443).
    #[arg(long, value_name = "IP")]
    pub host_ip: IpAddr,
    /// An extra DNS SAN; repeat for several.
    #[arg(long = "dns", value_name = "NAME")]
    pub dns: Vec<String>,
    /// An extra IP SAN; repeat for several.
    #[arg(long = "ip", value_name = "IP")]
    pub ips: Vec<IpAddr>,
    /// Validity in days of the CA and the serving certificate (1–36500).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_DAYS,
          value_parser = clap::value_parser!(u32).range(1..=36_500))]
    pub days: u32,
    /// Key algorithm (ECDSA leaves carry digitalSignature only: an EC key cannot encrypt).
    #[arg(long, value_enum, default_value_t = KeyTypeArg::Rsa2048)]
    pub key_type: KeyTypeArg,
    /// Directory to write into (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Sign with this existing CA certificate instead of making a new CA.
    #[arg(long, value_name = "FILE", requires = "ca_key")]
    pub ca_cert: Option<PathBuf>,
    /// The existing CA's private key.
    #[arg(long, value_name = "FILE", requires = "ca_cert")]
    pub ca_key: Option<PathBuf>,
    /// Replace files that already exist in --out.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The CA certificate (ca.crt) [default: ca.crt of --secret].
    #[arg(long, value_name = "FILE")]
    pub ca: Option<PathBuf>,
    /// The serving certificate, then any intermediates (tls.crt) [default: from --secret].
    #[arg(long, value_name = "FILE")]
    pub cert: Option<PathBuf>,
    /// The private key (tls.key) [default: from --secret].
    #[arg(long, value_name = "FILE")]
    pub key: Option<PathBuf>,
    /// An IP the certificate must be valid for; repeat for several.
    #[arg(long = "host-ip", value_name = "IP")]
    pub host_ips: Vec<IpAddr>,
    /// A DNS name the certificate must be valid for; repeat for several.
    #[arg(long = "dns", value_name = "NAME")]
    pub dns: Vec<String>,
    /// The Secret manifest (YAML or JSON) to check and take missing files from.
    #[arg(long, value_name = "FILE")]
    pub secret: Option<PathBuf>,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct ProbeArgs {
    /// The endpoint: https://IP:PORT, https://NAME[:PORT][/path] or IP:PORT.
    #[arg(value_name = "URL")]
    pub target: String,
    /// The only CA to trust.
    #[arg(long, value_name = "FILE")]
    pub ca: PathBuf,
    /// The IP or name to verify for [default: the URL's host].
    #[arg(long, value_name = "NAME")]
    pub server_name: Option<String>,
    /// The certificate the endpoint should serve (tls.crt); reports an older one.
    #[arg(long, value_name = "FILE")]
    pub cert: Option<PathBuf>,
    /// Seconds to wait for the connection and each read (1–3600).
    #[arg(long, value_name = "SECS", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout: u64,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct DrCheckArgs {
    /// The platform certificate chain (leaf first).
    #[arg(long, value_name = "FILE")]
    pub cert: PathBuf,
    /// The CA both sides trust; verifies the chain against it.
    #[arg(long, value_name = "FILE")]
    pub ca: Option<PathBuf>,
    /// The platform domain (global.platformUrl's host).
    #[arg(long, value_name = "DOMAIN")]
    pub platform_host: String,
    /// A control-plane VIP: give the primary and the standby one.
    #[arg(long = "vip", value_name = "IP", required = true)]
    pub vips: Vec<IpAddr>,
    /// A platform ingress name the certificate must cover; repeat for several.
    #[arg(long = "dns", value_name = "NAME")]
    pub dns: Vec<String>,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct SaKeyArgs {
    /// Directory to write into (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Replace files that already exist in --out.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct EncryptionConfigArgs {
    /// Directory to write into (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// The Secret's name (DCS uses encryption-provider-config).
    #[arg(long, value_name = "NAME", default_value = ENCRYPTION_SECRET)]
    pub secret_name: String,
    /// Append `identity: {}` after aescbc, so Secrets written before encryption stay readable
    /// (an existing cluster only; not the guide's file, so both sides must use this form).
    #[arg(long)]
    pub identity_fallback: bool,
    /// Replace files that already exist in --out.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The first file or directory (e.g. the primary side's copy).
    #[arg(value_name = "A")]
    pub first: PathBuf,
    /// The second file or directory.
    #[arg(value_name = "B")]
    pub second: PathBuf,
    #[command(flatten)]
    pub output: OutputArgs,
}

pub fn run(command: &CertsCommand, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    remove_staging_on_signal();
    match command {
        CertsCommand::DexTls(args) => dex_tls(args, out),
        CertsCommand::Verify(args) => verify_command(args, out),
        CertsCommand::Probe(args) => probe_command(args, out),
        CertsCommand::DrCheck(args) => dr_check(args, out),
        CertsCommand::SaKey(args) => sa_key(args, out),
        CertsCommand::EncryptionConfig(args) => encryption_config(args, out),
        CertsCommand::Compare(args) => compare_command(args, out),
    }
}

fn dex_tls(args: &DexTlsArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let output = Output::open(&args.output)?;
    let request = DexTlsRequest {
        host_ip: args.host_ip,
        extra_ips: args.ips.clone(),
        extra_dns: args.dns.clone(),
        days: args.days,
        key_type: args.key_type.into(),
    };
    request.validate()?;
    let existing = match (&args.ca_cert, &args.ca_key) {
        (Some(cert), Some(key)) => Some(Authority::from_files(cert, key)?),
        _ => None,
    };
    let bundle = request.generate(existing)?;
    let leaf = &bundle.leaf.certificate;
    let secret_file = "dex-tls-secret.yaml";
    let secret = SecretManifest::tls(
        DEX_TLS_SECRET,
        vec![
            (
                "tls.crt".to_owned(),
                bundle.leaf.certificate_pem.clone().into_bytes(),
            ),
            (
                "tls.key".to_owned(),
                bundle.leaf.key_pem.clone().into_bytes(),
            ),
            ("ca.crt".to_owned(), bundle.ca_pem.clone().into_bytes()),
        ],
    );
    let mut files = vec![OutputFile {
        name: "ca.crt".to_owned(),
        contents: bundle.ca_pem.clone().into_bytes(),
        mode: PUBLIC_MODE,
        description: describe_certificate("CA", &bundle.ca),
    }];
    if let Some(key) = &bundle.ca_key_pem {
        files.push(OutputFile {
            name: "ca.key".to_owned(),
            contents: key.clone().into_bytes(),
            mode: SECRET_MODE,
            description: format!("the CA's private key ({})", bundle.ca.key_algorithm),
        });
    }
    files.extend([
        OutputFile {
            name: "tls.crt".to_owned(),
            contents: bundle.leaf.certificate_pem.clone().into_bytes(),
            mode: PUBLIC_MODE,
            description: format!(
                "{}; SAN {}",
                describe_certificate("serving certificate", leaf),
                leaf.san_summary()
            ),
        },
        OutputFile {
            name: "tls.key".to_owned(),
            contents: bundle.leaf.key_pem.clone().into_bytes(),
            mode: SECRET_MODE,
            description: format!(
                "the serving certificate's private key ({})",
                leaf.key_algorithm
            ),
        },
        OutputFile {
            name: secret_file.to_owned(),
            contents: secret
                .render("ironprep certs dex-tls", secret_file)
                .into_bytes(),
            mode: SECRET_MODE,
            description: format!("Secret {NAMESPACE}/{DEX_TLS_SECRET} (tls.crt, tls.key, ca.crt)"),
        },
    ]);
    let written = write_outputs(&args.out, &files, args.force)?;
    let mut notes = Vec::new();
    if bundle.ca_key_pem.is_none() {
        notes.push(format!(
            "The CA key was reused and not copied into {}.",
            args.out.display()
        ));
    }
    notes.extend(bundle.notes.iter().map(|note| format!("{note}.")));
    let dir = args.out.display();
    let next = vec![
        format!(
            "ironprep certs verify --ca {dir}/ca.crt --cert {dir}/tls.crt --key {dir}/tls.key --host-ip {}",
            args.host_ip
        ),
        format!("kubectl apply -f {dir}/{secret_file}"),
    ];
    finish_written(output, &written, &files, notes, next, out)
}

fn sa_key(args: &SaKeyArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let output = Output::open(&args.output)?;
    let key = ServiceAccountKey::generate()?;
    let secret_file = format!("{SA_KEY_SECRET}-secret.yaml");
    let secret = SecretManifest::opaque(
        SA_KEY_SECRET,
        vec![
            ("sa.key".to_owned(), key.private_pem.clone().into_bytes()),
            ("sa.pub".to_owned(), key.public_pem.clone().into_bytes()),
        ],
    );
    let files = vec![
        OutputFile {
            name: "sa.key".to_owned(),
            contents: key.private_pem.clone().into_bytes(),
            mode: SECRET_MODE,
            description: format!(
                "ServiceAccount signing key (RSA 2048, PKCS#8), SHA-256 {}",
                material::sha256_hex(key.private_pem.as_bytes())
            ),
        },
        OutputFile {
            name: "sa.pub".to_owned(),
            contents: key.public_pem.clone().into_bytes(),
            mode: PUBLIC_MODE,
            description: format!(
                "its public key, SHA-256 {}",
                material::sha256_hex(key.public_pem.as_bytes())
            ),
        },
        OutputFile {
            name: secret_file.clone(),
            contents: secret
                .render("ironprep certs sa-key", &secret_file)
                .into_bytes(),
            mode: SECRET_MODE,
            description: format!("Secret {NAMESPACE}/{SA_KEY_SECRET} (sa.key, sa.pub)"),
        },
    ];
    let written = write_outputs(&args.out, &files, args.force)?;
    let notes = vec![
        "Use the same files on the primary and the standby side; check with \
         `ironprep certs compare A B`."
            .to_owned(),
    ];
    finish_written(output, &written, &files, notes, Vec::new(), out)
}

fn encryption_config(args: &EncryptionConfigArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let output = Output::open(&args.output)?;
    let fallback = if args.identity_fallback {
        Fallback::Identity
    } else {
        Fallback::AescbcOnly
    };
    let config = EncryptionConfig::generate(fallback)?;
    let secret_file = format!("{}-secret.yaml", args.secret_name);
    let secret = SecretManifest::opaque(
        &args.secret_name,
        vec![(ENCRYPTION_KEY.to_owned(), config.text.clone().into_bytes())],
    );
    let files = vec![
        OutputFile {
            name: ENCRYPTION_KEY.to_owned(),
            contents: config.text.clone().into_bytes(),
            mode: SECRET_MODE,
            description: format!(
                "EncryptionConfiguration (aescbc key1{}), SHA-256 {}",
                match fallback {
                    Fallback::AescbcOnly => " only, as the installation guide",
                    Fallback::Identity => ", then identity",
                },
                material::sha256_hex(config.text.as_bytes())
            ),
        },
        OutputFile {
            name: secret_file.clone(),
            contents: secret
                .render("ironprep certs encryption-config", &secret_file)
                .into_bytes(),
            mode: SECRET_MODE,
            description: format!("Secret {NAMESPACE}/{} ({ENCRYPTION_KEY})", args.secret_name),
        },
    ];
    let written = write_outputs(&args.out, &files, args.force)?;
    let notes = vec![
        "Use the same file on the primary and the standby side, and reference the Secret from \
         BaremetalCluster.spec.encryptionProviderConfigRef."
            .to_owned(),
    ];
    finish_written(output, &written, &files, notes, Vec::new(), out)
}

/// The certificate or chain of a verify run, from files or from the Secret.
struct Loaded {
    facts: Vec<CertificateFacts>,
    name: String,
}

fn verify_command(args: &VerifyArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let output = Output::open(&args.output)?;
    let secret = match &args.secret {
        Some(path) => {
            let text = String::from_utf8(material::read(path)?)
                .map_err(|_| anyhow::anyhow!("{}: is not UTF-8 text", path.display()))?;
            Some((path.clone(), manifest::parse_secret(path, &text)?))
        }
        None => None,
    };
    let from_secret = |key: &str| -> Option<(String, Vec<u8>)> {
        let (path, secret) = secret.as_ref()?;
        let bytes = secret.data.get(key)?.clone();
        Some((format!("{}[{key}]", path.display()), bytes))
    };
    let load_certificates =
        |path: &Option<PathBuf>, key: &str, flag: &str| -> anyhow::Result<Loaded> {
            if let Some(path) = path {
                return Ok(Loaded {
                    facts: material::certificate_file(path)?,
                    name: path.display().to_string(),
                });
            }
            let (name, bytes) = from_secret(key)
                .with_context(|| format!("give {flag} FILE, or --secret FILE holding {key}"))?;
            Ok(Loaded {
                facts: material::certificates(Path::new(&name), &bytes)?,
                name,
            })
        };
    let ca = load_certificates(&args.ca, "ca.crt", "--ca")?;
    let chain = load_certificates(&args.cert, "tls.crt", "--cert")?;
    let key = match &args.key {
        Some(path) => Some((
            material::private_key_file(path)?,
            path.display().to_string(),
        )),
        None => match from_secret("tls.key") {
            Some((name, bytes)) => Some((material::private_key(Path::new(&name), &bytes)?, name)),
            None => None,
        },
    };
    for name in &args.dns {
        ironprep_certs::generate::validate_dns_name(name)?;
    }
    let input = verify::VerifyInput {
        ca: &ca.facts,
        ca_name: &ca.name,
        chain: &chain.facts,
        chain_name: &chain.name,
        key: key.as_ref().map(|(key, name)| (key, name.as_str())),
        host_ips: &args.host_ips,
        dns_names: &args.dns,
        now: now_unix(),
    };
    let mut checks = verify::verify(&input);
    if let Some((path, parsed)) = &secret {
        let differs = args.ca.is_some()
            && parsed.data.get("ca.crt").is_some_and(|bytes| {
                material::certificates(path, bytes)
                    .map(|certs| {
                        certs
                            .iter()
                            .map(|c| &c.fingerprint)
                            .ne(ca.facts.iter().map(|c| &c.fingerprint))
                    })
                    .unwrap_or(true)
            });
        checks.push(verify::check_secret(
            parsed,
            &path.display().to_string(),
            differs,
        ));
    }
    let leaf = &chain.facts[0];
    let header = format!(
        "{}: {} · SAN {} · until {} · SHA-256 {}",
        chain.name,
        leaf.subject,
        leaf.san_summary(),
        format_time(leaf.not_after),
        leaf.fingerprint
    );
    finish_checks(
        output,
        &header,
        certificate_report(&chain.name, None, checks),
        out,
    )
}

fn probe_command(args: &ProbeArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let output = Output::open(&args.output)?;
    let ca = material::certificate_file(&args.ca)?;
    let expected = match &args.cert {
        Some(path) => Some(material::certificate_file(path)?.remove(0)),
        None => None,
    };
    let request = ProbeRequest {
        target: args.target.clone(),
        ca,
        server_name: args.server_name.clone(),
        timeout: Duration::from_secs(args.timeout),
    };
    const ID: &str = "cert.probe";
    const TITLE: &str = "The endpoint serves a chain that verifies against the CA";
    let expected_text = format!("a chain that verifies against {} only", args.ca.display());
    let outcome = match probe::probe(&request) {
        Ok(outcome) => outcome,
        Err(
            error @ (probe::ProbeError::Target(_)
            | probe::ProbeError::ServerName(_)
            | probe::ProbeError::Anchor(_)),
        ) => {
            return Err(error.into());
        }
        Err(error) => {
            let check = CheckResult {
                reason: Some(error.to_string()),
                ..verify::result(
                    ID,
                    TITLE,
                    Status::Error,
                    String::new(),
                    &expected_text,
                    "check that the endpoint is up and reachable from here (firewall, port, address)",
                )
            };
            let report = certificate_report(&args.target, None, vec![check]);
            return finish_checks(output, &args.target, report, out);
        }
    };
    let served = outcome.served.first().map(served_certificate);
    let hint = "serve a certificate signed by this CA with the IP or name in its SAN; \
                if the ALB keeps an older one: kubectl -n cpaas-system rollout restart deploy/global-alb2";
    let mut checks = vec![match &outcome.verdict {
        Ok(()) => verify::result(
            ID,
            TITLE,
            Status::Pass,
            format!(
                "verified for {} ({})",
                outcome.verified_for,
                outcome.protocol.as_deref().unwrap_or("TLS")
            ),
            &expected_text,
            "",
        ),
        Err(reason) => verify::result(
            ID,
            TITLE,
            Status::Fail,
            reason.to_string(),
            &expected_text,
            hint,
        ),
    }];
    if let Some(expected) = &expected {
        let same = outcome
            .served
            .first()
            .is_some_and(|leaf| leaf.fingerprint == expected.fingerprint);
        let cert_name = args
            .cert
            .as_deref()
            .map(Path::display)
            .map(|d| d.to_string())
            .unwrap_or_default();
        checks.push(verify::result(
            "cert.probe-served",
            "The endpoint serves the expected certificate",
            if same { Status::Pass } else { Status::Fail },
            if same {
                format!("serves {cert_name}")
            } else {
                format!(
                    "serves another certificate (SHA-256 {}), not {cert_name} (SHA-256 {})",
                    served.as_ref().map(|s| s.fingerprint.as_str()).unwrap_or("none"),
                    expected.fingerprint
                )
            },
            &format!("the certificate of {cert_name}"),
            "restart the server so it loads the new certificate (kubectl -n cpaas-system rollout restart deploy/global-alb2)",
        ));
    }
    let header = match &served {
        Some(served) => format!(
            "{} ({}) serves: {} · SAN {} · until {} · SHA-256 {}",
            args.target,
            outcome.address,
            served.subject,
            served.san,
            served.not_after,
            served.fingerprint
        ),
        None => format!(
            "{} ({}) served no certificate",
            args.target, outcome.address
        ),
    };
    finish_checks(
        output,
        &header,
        certificate_report(&args.target, served, checks),
        out,
    )
}

fn dr_check(args: &DrCheckArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let output = Output::open(&args.output)?;
    let chain = material::certificate_file(&args.cert)?;
    let ca = match &args.ca {
        Some(path) => Some(material::certificate_file(path)?),
        None => None,
    };
    for name in &args.dns {
        ironprep_certs::generate::validate_dns_name(name)?;
    }
    if args.platform_host.parse::<IpAddr>().is_err() {
        ironprep_certs::generate::validate_dns_name(&args.platform_host)?;
    }
    let chain_name = args.cert.display().to_string();
    let checks = dr::check(&dr::DrInput {
        chain: &chain,
        chain_name: &chain_name,
        ca: ca.as_deref(),
        platform_host: &args.platform_host,
        vips: &args.vips,
        dns_names: &args.dns,
        now: now_unix(),
    });
    let leaf = &chain[0];
    let header = format!(
        "{chain_name}: {} · SAN {}",
        leaf.subject,
        leaf.san_summary()
    );
    finish_checks(
        output,
        &header,
        certificate_report(&chain_name, None, checks),
        out,
    )
}

fn compare_command(args: &CompareArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let output = Output::open(&args.output)?;
    let comparisons = compare::compare(&args.first, &args.second)?;
    let report = ComparisonReport {
        schema_version: SCHEMA_VERSION,
        first: args.first.display().to_string(),
        second: args.second.display().to_string(),
        files: comparisons
            .iter()
            .map(|comparison| ComparedFile {
                name: comparison.name.clone(),
                result: match comparison.verdict {
                    Verdict::Same => Comparison::Same,
                    Verdict::SameKeyDifferentEncoding => Comparison::SameKeyDifferentEncoding,
                    Verdict::Different => Comparison::Different,
                    Verdict::OnlyInFirst => Comparison::OnlyInFirst,
                    Verdict::OnlyInSecond => Comparison::OnlyInSecond,
                },
                first_sha256: comparison.first.clone(),
                second_sha256: comparison.second.clone(),
            })
            .collect(),
    };
    let differ = report.files.iter().any(|file| {
        !matches!(
            file.result,
            Comparison::Same | Comparison::SameKeyDifferentEncoding
        )
    });
    output.finish(&report, &View::of_comparison(&report), out)?;
    Ok(if differ {
        ExitCode::Failed
    } else {
        ExitCode::Success
    })
}

fn served_certificate(leaf: &CertificateFacts) -> ServedCertificate {
    ServedCertificate {
        subject: leaf.subject.clone(),
        san: leaf.san_summary(),
        not_after: format_time(leaf.not_after),
        fingerprint: leaf.fingerprint.clone(),
    }
}

/// `--format json` of verify, probe and dr-check.
fn certificate_report(
    subject: &str,
    served: Option<ServedCertificate>,
    checks: Vec<CheckResult>,
) -> CertificateReport {
    CertificateReport {
        schema_version: SCHEMA_VERSION,
        subject: subject.to_owned(),
        served,
        checks,
    }
}

fn finish_checks(
    output: Output,
    header: &str,
    report: CertificateReport,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    let code = ExitCode::from_statuses(report.checks.iter().map(|check| check.status));
    output.finish(&report, &View::of_certificate(&report, header), out)?;
    Ok(code)
}

/// SIGINT or SIGTERM while files are written: the staging directory (it may hold a CA key) is
/// removed before the process exits 130. The handlers are in place before this returns; a
/// signal that comes while no file is being written exits the same way.
fn remove_staging_on_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
    else {
        return;
    };
    let signals = {
        let _entered = runtime.enter();
        (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        )
    };
    let (Ok(mut interrupt), Ok(mut terminate)) = signals else {
        return;
    };
    std::thread::spawn(move || {
        runtime.block_on(async {
            tokio::select! {
                _ = interrupt.recv() => {}
                _ = terminate.recv() => {}
            }
        });
        output::remove_staging();
        std::process::exit(130);
    });
}

fn finish_written(
    output: Output,
    written: &output::Written,
    files: &[OutputFile],
    mut notes: Vec<String>,
    next: Vec<String>,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    notes.extend(written.removed_stale.iter().map(|path| {
        format!(
            "Removed {}, left by an interrupted run (it may have held a private key).",
            path.display()
        )
    }));
    let report = WrittenFiles {
        schema_version: SCHEMA_VERSION,
        directory: written.directory.display().to_string(),
        created: written.created,
        files: files
            .iter()
            .map(|file| WrittenFile {
                name: file.name.clone(),
                mode: file.mode,
                description: file.description.clone(),
            })
            .collect(),
        notes,
        next,
    };
    output.finish(&report, &View::of_written(&report), out)?;
    Ok(ExitCode::Success)
}

fn describe_certificate(what: &str, facts: &CertificateFacts) -> String {
    format!(
        "{what} {} ({}), until {}, SHA-256 {}",
        facts.subject,
        facts.key_algorithm,
        format_time(facts.not_after),
        facts.fingerprint
    )
}

/// [`output::write_all`], with the flag that consents to overwriting named in its refusal (the
/// certs library does not know the command line).
fn write_outputs(
    directory: &std::path::Path,
    files: &[OutputFile],
    force: bool,
) -> anyhow::Result<output::Written> {
    output::write_all(directory, files, force).map_err(|error| match error {
        ironprep_certs::Error::Exists { .. } => {
            anyhow::anyhow!("{error}; pass --force to overwrite")
        }
        other => other.into(),
    })
}
