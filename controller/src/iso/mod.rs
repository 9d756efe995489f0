//! `ironprep iso check`: the SeedImage ISO, checked before 50 servers boot it. Every host that
//! boots it registers with the URL and trusts the CA frozen into it; a URL wrong for the phase
//! or a CA that does not sign the live endpoint's chain makes every host hang or drop to an
//! emergency shell at boot, and the ISO has to be rebuilt.
//!
//! The command line is resolved into a [`Plan`] first (every input error is found before the
//! image is opened); [`execute`] then opens the image (a file, or a URL read with range
//! requests), reads only its directory records and the registration config ([`image`]), and
//! produces the `iso.*` checks in the common result shape ([`IsoReport`]). A missing or
//! unreadable image, or one without the config, is an input error (exit 2).

mod config;
mod image;
mod source;

use std::io::Write;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use clap::{Args, Subcommand};
use ironprep_certs::certificate::{CertificateFacts, format_time, now_unix};
use ironprep_certs::endpoint::{self, EndpointRequest, FailureKind, Target, Trust};
use ironprep_certs::material;
use ironprep_report::View;
use ironprep_report::view::ViewKind;
use ironprep_schema::iso::{EmbeddedCertificate, IsoImage, IsoReport, RegistrationConfig};
use ironprep_schema::{CheckResult, ExitCode, SCHEMA_VERSION, Status};

use crate::lint::Phase;
use crate::output::{Output, OutputArgs};
use config::{ConfigError, Registration, RegistrationUrl};
use source::{HttpTrust, Source};

pub use image::{CONFIG_ISO9660_NAME, CONFIG_NAME};

/// The bootstrap endpoint's port on the installer host.
const BOOTSTRAP_PORT: u16 = 12443;
/// Checksum files are one line; anything larger is not one.
const MAX_CHECKSUM_BYTES: u64 = 64 * 1024;

#[derive(Debug, Subcommand)]
pub enum IsoCommand {
    /// Check a SeedImage ISO: its registration URL, CA, TPM settings, live TLS and checksum.
    Check(IsoCheckArgs),
}

#[derive(Debug, Args)]
#[command(after_help = "\
Reads the ISO's volume descriptors, its root directory and the registration config that
elemental-operator maps to /livecd-cloud-config.yaml (LIVECD_CLOUD_CONFIG.YAML;1 without Rock
Ridge) — not the whole image, unless --checksum is given. A URL (the SeedImage's
status.downloadURL) is read with HTTP range requests, or sequentially when the server has none.

Checks: iso.registration-config (present, YAML, elemental.registration with an https URL),
iso.registration-url (the host for the phase: bootstrap https://<--bootstrap-host>:12443, after
handoff the --vip for new global hosts or the --platform-host for workload hosts), iso.ca (the
embedded CA is --ca), iso.tls (the live registration URL's chain verifies against the embedded
CA only: strict TLS, as the hosts will do it), iso.tpm (emulation needs emulated-tpm-seed: -1,
and is for PoC only), iso.checksum (the image's SHA-256 against --checksum).

Exit codes: 0 nothing failed, 1 a check failed, 2 not an ISO, unreadable, no registration config,
or unusable input, 3 a check could not be evaluated (and nothing failed).

Examples:
  ironprep iso check seed.iso --phase bootstrap --bootstrap-host 192.168.122.10 --ca dex-tls/ca.crt
  ironprep iso check \"$(kubectl -n cpaas-system get seedimage global-iso -o jsonpath='{.status.downloadURL}')\" \\
      --phase installed --vip 10.0.0.100 --ca platform-ca.crt \\
      --checksum \"$(kubectl -n cpaas-system get seedimage global-iso -o jsonpath='{.status.checksumURL}')\"")]
pub struct IsoCheckArgs {
    /// The ISO file, or its http(s) URL (the SeedImage's status.downloadURL).
    #[arg(value_name = "ISO_FILE_OR_URL")]
    pub image: String,

    /// bootstrap (global hosts register through the installer host) or installed (after
    /// handoff).
    #[arg(long, value_enum)]
    pub phase: Phase,

    /// The installer host during bootstrap: the URL must be https://IP:12443/….
    #[arg(long, value_name = "IP")]
    pub bootstrap_host: Option<IpAddr>,

    /// After handoff, an ISO for new global hosts: the URL's host must be this VIP.
    #[arg(long, value_name = "IP")]
    pub vip: Option<IpAddr>,

    /// After handoff, an ISO for workload hosts: the URL's host must be this platform domain.
    #[arg(long, value_name = "HOST")]
    pub platform_host: Option<String>,

    /// The CA the hosts must trust (dex.tls ca.crt during bootstrap, the platform CA after).
    #[arg(long, value_name = "FILE")]
    pub ca: Option<PathBuf>,

    /// The checksum file (sha256sum format) or its URL (the SeedImage's status.checksumURL);
    /// streams the whole image.
    #[arg(long, value_name = "FILE_OR_URL")]
    pub checksum: Option<String>,

    /// Do not contact the registration URL (iso.tls is skipped).
    #[arg(long)]
    pub offline: bool,

    /// Seconds for the TLS probe, and for each connect or read of a URL (1–3600).
    #[arg(long, value_name = "SECS", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout: u64,

    #[command(flatten)]
    pub output: OutputArgs,
}

/// A file or a URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    File(PathBuf),
    Url(String),
}

impl Location {
    fn from_argument(text: &str) -> Location {
        let lower = text.to_ascii_lowercase();
        if lower.starts_with("http://") || lower.starts_with("https://") {
            Location::Url(text.to_owned())
        } else {
            Location::File(PathBuf::from(text))
        }
    }
}

/// What the registration URL's host must be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expected {
    /// `https://<installer host>:12443`.
    Bootstrap(IpAddr),
    /// After handoff: the VIP (new global hosts), the platform host (workload hosts), or
    /// either when both are given.
    Installed {
        vip: Option<IpAddr>,
        platform_host: Option<String>,
    },
    /// Nothing given to compare with: `iso.registration-url` is skipped.
    Unknown(&'static str),
}

/// The resolved command line.
#[derive(Debug)]
pub struct Plan {
    pub image: Location,
    pub phase: Phase,
    pub expected: Expected,
    /// The `--ca` file and its certificates.
    pub ca: Option<(PathBuf, Vec<CertificateFacts>)>,
    pub checksum: Option<Location>,
    pub offline: bool,
    pub timeout: Duration,
    http_trust: HttpTrust,
}

/// Checks every input before the image is opened; errors are usage errors (exit 2).
pub fn plan(args: &IsoCheckArgs) -> anyhow::Result<Plan> {
    if args.timeout == 0 {
        bail!("--timeout must be at least 1 second");
    }
    let expected = match args.phase {
        Phase::Bootstrap => {
            if args.vip.is_some() || args.platform_host.is_some() {
                bail!(
                    "--vip and --platform-host are for --phase installed; during bootstrap \
                     the hosts register through --bootstrap-host"
                );
            }
            match args.bootstrap_host {
                Some(ip) => Expected::Bootstrap(ip),
                None => Expected::Unknown("give --bootstrap-host (the installer host's IP)"),
            }
        }
        Phase::Installed => {
            if args.bootstrap_host.is_some() {
                bail!(
                    "--bootstrap-host is for --phase bootstrap; after handoff give --vip (an \
                     ISO for new global hosts) or --platform-host (an ISO for workload hosts)"
                );
            }
            let platform_host = args
                .platform_host
                .as_deref()
                .map(platform_host)
                .transpose()?;
            if args.vip.is_none() && platform_host.is_none() {
                Expected::Unknown(
                    "give --vip (an ISO for new global hosts) or --platform-host (an ISO for \
                     workload hosts)",
                )
            } else {
                Expected::Installed {
                    vip: args.vip,
                    platform_host,
                }
            }
        }
    };
    let ca = match &args.ca {
        Some(path) => {
            let certificates = material::certificate_file(path)
                .map_err(|error| anyhow::anyhow!("--ca {error}"))?;
            Some((path.clone(), certificates))
        }
        None => None,
    };
    let http_trust = HttpTrust {
        roots: ca
            .iter()
            .flat_map(|(_, certificates)| certificates.iter().map(|c| c.der.to_vec()))
            .collect(),
    };
    for url in [Some(&args.image), args.checksum.as_ref()]
        .into_iter()
        .flatten()
    {
        if url.contains("://") && url.chars().any(|c| c.is_control() || c.is_whitespace()) {
            bail!("invalid URL {url:?}: control characters and spaces are not allowed in a URL");
        }
    }
    let image = Location::from_argument(&args.image);
    if let Location::File(path) = &image
        && !path.exists()
    {
        bail!("cannot read {}: no such file", path.display());
    }
    let checksum = args.checksum.as_deref().map(Location::from_argument);
    if let Some(Location::File(path)) = &checksum
        && !path.exists()
    {
        bail!("--checksum {}: no such file", path.display());
    }
    Ok(Plan {
        image,
        phase: args.phase,
        expected,
        ca,
        checksum,
        offline: args.offline,
        timeout: Duration::from_secs(args.timeout),
        http_trust,
    })
}

/// `platform.example` from `platform.example`, `https://platform.example/…`, or an IP.
fn platform_host(text: &str) -> anyhow::Result<String> {
    let host = match RegistrationUrl::parse(text) {
        Some(url) if text.contains("://") => url.host,
        _ => text.trim().trim_end_matches('/').to_ascii_lowercase(),
    };
    if host.is_empty() || host.contains(['/', ' ', '@']) {
        bail!("invalid --platform-host '{text}': expected a domain name or an IP address");
    }
    Ok(host)
}

/// Reads an image file as `execute` does up to the facts of its registration config (the
/// directory records, the config's YAML, its embedded CA) and contacts nothing: the entry point
/// of the `iso_image` fuzz target (controller/fuzz), where all of these are hostile bytes.
pub fn read_image_config(path: &Path) -> anyhow::Result<RegistrationConfig> {
    let mut source = Source::open_file(path)?;
    let found = image::read_config(&mut source)?;
    let registration = config::parse(&found.config)?;
    Ok(Facts::of(&registration).summary(&registration))
}

/// Opens the image and runs the checks. An image that cannot be opened, or holds no config,
/// is an error (exit 2); everything else is a check result.
pub fn execute(plan: &Plan) -> anyhow::Result<IsoReport> {
    let started = Instant::now();
    let path_or_url = match &plan.image {
        Location::File(path) => path.display().to_string(),
        Location::Url(url) => url.clone(),
    };
    let mut source = match &plan.image {
        Location::File(path) => Source::open_file(path)?,
        Location::Url(url) => Source::open_url(url, &plan.http_trust, plan.timeout)?,
    };
    let found = image::read_config(&mut source).with_context(|| path_or_url.clone())?;
    let parsed = config::parse(&found.config);
    let mut checks = Vec::new();
    let mut summary = None;
    match &parsed {
        Ok(registration) => {
            let facts = Facts::of(registration);
            checks.push(registration_config(
                &found.config_path,
                registration,
                &facts,
            ));
            checks.push(registration_url(plan, registration, &facts));
            checks.push(ca(plan, &facts));
            checks.push(tls(plan, &facts));
            checks.push(tpm(registration));
            summary = Some(facts.summary(registration));
        }
        Err(error) => {
            checks.push(unparsable(&found.config_path, error));
            for (id, title) in [
                ("iso.registration-url", URL_TITLE),
                ("iso.ca", CA_TITLE),
                ("iso.tls", TLS_TITLE),
                ("iso.tpm", TPM_TITLE),
            ] {
                checks.push(skipped(
                    id,
                    title,
                    format!("{} does not parse", found.config_path),
                ));
            }
        }
    }
    let bytes_before_checksum = source.bytes_read();
    let (check, sha256) = checksum(plan, &mut source, &path_or_url)?;
    checks.push(check);
    Ok(IsoReport {
        schema_version: SCHEMA_VERSION,
        duration_ms: started.elapsed().as_millis() as u64,
        image: IsoImage {
            path_or_url,
            size: source.size(),
            volume_id: found.volume_id,
            config_path: found.config_path,
            names: found.names.as_str().to_owned(),
            sha256,
            bytes_read: if plan.checksum.is_some() {
                source.bytes_read()
            } else {
                bytes_before_checksum
            },
        },
        config: summary,
        checks,
    })
}

const CONFIG_TITLE: &str = "the ISO carries elemental's registration config";
const URL_TITLE: &str = "the registration URL's host is right for the phase";
const CA_TITLE: &str = "the embedded CA is the CA the hosts must trust";
const TLS_TITLE: &str = "the live registration endpoint verifies against the embedded CA";
const TPM_TITLE: &str = "TPM emulation is off, or PoC-only with emulated-tpm-seed: -1";
const CHECKSUM_TITLE: &str = "the image matches its SHA-256 checksum";

/// What the checks derive from the config once.
struct Facts {
    url: Option<RegistrationUrl>,
    url_text: String,
    /// The embedded CA's certificates, or why there are none.
    ca: Result<Vec<CertificateFacts>, String>,
}

impl Facts {
    fn of(registration: &Registration) -> Facts {
        let url_text = registration.url.clone().unwrap_or_default();
        let ca = match registration.ca_cert.as_deref().map(str::trim) {
            None | Some("") => Err("the config has no ca-cert".to_owned()),
            Some(text) if !text.starts_with("-----BEGIN") => Err(format!(
                "ca-cert is `{}`, a path on the live system, not a PEM certificate",
                text.lines().next().unwrap_or_default()
            )),
            Some(text) => material::certificates(Path::new("ca-cert"), text.as_bytes())
                .map_err(|error| error.to_string()),
        };
        Facts {
            url: RegistrationUrl::parse(&url_text),
            url_text,
            ca,
        }
    }

    fn summary(&self, registration: &Registration) -> RegistrationConfig {
        RegistrationConfig {
            url: config::redact(&self.url_text),
            host: self.url.as_ref().map(|url| url.host.clone()),
            port: self.url.as_ref().map(|url| url.port),
            ca_certificates: self
                .ca
                .as_ref()
                .map(|certificates| certificates.iter().map(embedded).collect())
                .unwrap_or_default(),
            emulate_tpm: registration.emulate_tpm.unwrap_or(false),
            emulated_tpm_seed: registration.emulated_tpm_seed,
            no_smbios: registration.no_smbios.unwrap_or(false),
            auth: registration.auth.clone(),
        }
    }
}

fn embedded(certificate: &CertificateFacts) -> EmbeddedCertificate {
    EmbeddedCertificate {
        subject: certificate.subject.clone(),
        fingerprint: certificate.fingerprint.clone(),
        not_after: format_time(certificate.not_after),
    }
}

fn result(
    id: &str,
    title: &str,
    status: Status,
    observed: String,
    expected: String,
) -> CheckResult {
    CheckResult {
        id: id.to_owned(),
        title: title.to_owned(),
        status,
        observed,
        expected,
        hint: String::new(),
        reason: None,
    }
}

fn skipped(id: &str, title: &str, reason: String) -> CheckResult {
    CheckResult {
        reason: Some(reason),
        ..result(id, title, Status::Skip, String::new(), String::new())
    }
}

const REBUILD: &str = "fix the MachineRegistration (or the Rancher server-url and cacerts it is \
    built from), then rebuild the ISO: set spec.retriggerBuild: true on the SeedImage";

/// `iso.registration-config`, for a config that does not parse.
fn unparsable(path: &str, error: &ConfigError) -> CheckResult {
    CheckResult {
        hint: format!(
            "the hosts cannot register with this ISO; {REBUILD}, or rebuild it with \
             elemental-operator rather than by hand"
        ),
        ..result(
            "iso.registration-config",
            CONFIG_TITLE,
            Status::Fail,
            format!("{path}: {error}"),
            "YAML with elemental.registration.url (and ca-cert)".to_owned(),
        )
    }
}

const AUTH_VALUES: &[&str] = &["tpm", "mac", "sys-uuid"];

/// `iso.registration-config`: the config parses and names an https registration URL of
/// elemental's shape, with an authentication method the client knows.
fn registration_config(path: &str, registration: &Registration, facts: &Facts) -> CheckResult {
    let expected = "elemental.registration.url = https://<host>[:port]/elemental/registration/\
        <token>, auth tpm, mac or sys-uuid"
        .to_owned();
    let mut problems = Vec::new();
    match &facts.url {
        None if facts.url_text.is_empty() => problems.push("no url".to_owned()),
        None => problems.push(format!(
            "url `{}` is not a URL",
            config::redact(&facts.url_text)
        )),
        Some(url) => {
            if url.scheme != "https" {
                problems.push(format!("url scheme is {}, not https", url.scheme));
            }
            if url.token().is_none() {
                problems.push(format!(
                    "url path `{}` is not /elemental/registration/<token>",
                    url.path
                ));
            }
        }
    }
    if let Some(auth) = registration.auth.as_deref()
        && !auth.is_empty()
        && !AUTH_VALUES.contains(&auth)
    {
        problems.push(format!(
            "auth `{auth}` is not one of {} (elemental-register stops with `unsupported \
             authentication`)",
            AUTH_VALUES.join(", ")
        ));
    }
    if problems.is_empty() {
        result(
            "iso.registration-config",
            CONFIG_TITLE,
            Status::Pass,
            format!(
                "{path}: elemental.registration with url {}",
                config::redact(&facts.url_text)
            ),
            expected,
        )
    } else {
        CheckResult {
            hint: REBUILD.to_owned(),
            ..result(
                "iso.registration-config",
                CONFIG_TITLE,
                Status::Fail,
                format!("{path}: {}", problems.join("; ")),
                expected,
            )
        }
    }
}

fn same_host(url_host: &str, wanted: &str) -> bool {
    match (url_host.parse::<IpAddr>(), wanted.parse::<IpAddr>()) {
        (Ok(left), Ok(right)) => left == right,
        _ => url_host.eq_ignore_ascii_case(wanted),
    }
}

fn bracketed(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(ip) => ip.to_string(),
        IpAddr::V6(ip) => format!("[{ip}]"),
    }
}

/// `iso.registration-url` (SPEC §4): bootstrap global hosts register through
/// `https://<installer host>:12443`; after handoff, new global hosts through the VIP and
/// workload hosts through the platform domain; never the kube-apiserver's 6443.
fn registration_url(plan: &Plan, registration: &Registration, facts: &Facts) -> CheckResult {
    let id = "iso.registration-url";
    let Some(url) = &facts.url else {
        return skipped(id, URL_TITLE, "the config has no usable url".to_owned());
    };
    let _ = registration;
    let shown = config::redact(&facts.url_text);
    let (expected, ok, hint) = match &plan.expected {
        Expected::Unknown(what) => {
            let mut check = skipped(id, URL_TITLE, format!("{what} to check {shown}"));
            check.observed = shown;
            return check;
        }
        Expected::Bootstrap(ip) => (
            format!(
                "https://{}:{BOOTSTRAP_PORT}/elemental/registration/<token>: during bootstrap \
                 global hosts register through the installer host (seed 000)",
                bracketed(*ip)
            ),
            same_host(&url.host, &ip.to_string()) && url.port == BOOTSTRAP_PORT,
            format!(
                "build the bootstrap ISO from the MachineRegistration in the bootstrap cluster, \
                 whose server URL is https://{}:{BOOTSTRAP_PORT} (AppRelease \
                 elemental.server.url); {REBUILD}",
                bracketed(*ip)
            ),
        ),
        Expected::Installed { vip, platform_host } => {
            let mut wanted = Vec::new();
            if let Some(vip) = vip {
                wanted.push((
                    vip.to_string(),
                    format!("https://{}/… for new global hosts", bracketed(*vip)),
                ));
            }
            if let Some(host) = platform_host {
                wanted.push((host.clone(), format!("https://{host}/… for workload hosts")));
            }
            let ok = url.port != BOOTSTRAP_PORT
                && wanted.iter().any(|(host, _)| same_host(&url.host, host));
            (
                wanted
                    .iter()
                    .map(|(_, text)| text.clone())
                    .collect::<Vec<_>>()
                    .join(" or "),
                ok,
                "status.registrationURL is set once, when the MachineRegistration is first \
                 reconciled (elemental-operator): a registration carried over from the \
                 bootstrap cluster keeps the bootstrap URL. Create a new MachineRegistration \
                 and SeedImage on the active global cluster (seed 000), and build the ISO from \
                 them"
                    .to_owned(),
            )
        }
    };
    if url.port == endpoint::APISERVER_PORT {
        return CheckResult {
            hint: "hosts register through the platform ingress, never the kube-apiserver on \
                   6443 (SPEC §4)"
                .to_owned(),
            ..result(
                id,
                URL_TITLE,
                Status::Fail,
                format!("{shown}: port 6443 is the kube-apiserver"),
                expected,
            )
        };
    }
    if ok {
        result(id, URL_TITLE, Status::Pass, shown, expected)
    } else {
        let mut observed = shown;
        if plan.phase == Phase::Installed && url.port == BOOTSTRAP_PORT {
            observed.push_str(": port 12443 is the bootstrap endpoint of the installer host");
        }
        CheckResult {
            hint,
            ..result(id, URL_TITLE, Status::Fail, observed, expected)
        }
    }
}

fn describe(certificates: &[CertificateFacts]) -> String {
    certificates
        .iter()
        .map(|certificate| {
            format!(
                "{} ({})",
                certificate.subject,
                short(&certificate.fingerprint)
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The first eight bytes of a fingerprint: enough to tell two CAs apart on screen.
fn short(fingerprint: &str) -> String {
    let prefix: String = fingerprint.chars().take(23).collect();
    format!("SHA-256 {prefix}…")
}

/// `iso.ca`: the CA frozen into the ISO (and later into every host's agent kubeconfig) is the
/// one given, and still valid.
fn ca(plan: &Plan, facts: &Facts) -> CheckResult {
    let id = "iso.ca";
    let embedded = match &facts.ca {
        Ok(certificates) => certificates,
        Err(why) => {
            return CheckResult {
                hint: format!(
                    "strict agent TLS (the default) aborts the system-agent without a CA; set \
                     the CA the platform serves with (Rancher cacerts: dex.tls ca.crt during \
                     bootstrap) and {REBUILD}"
                ),
                ..result(
                    id,
                    CA_TITLE,
                    Status::Fail,
                    why.clone(),
                    "a PEM CA certificate in ca-cert".to_owned(),
                )
            };
        }
    };
    let now = now_unix();
    if let Some(expired) = embedded
        .iter()
        .find(|certificate| certificate.not_after < now)
    {
        return CheckResult {
            hint: format!("the CA has expired: renew it, then {REBUILD}"),
            ..result(
                id,
                CA_TITLE,
                Status::Fail,
                format!(
                    "{} expired on {}",
                    expired.subject,
                    format_time(expired.not_after)
                ),
                "a CA valid today".to_owned(),
            )
        };
    }
    let Some((path, given)) = &plan.ca else {
        let mut check = skipped(
            id,
            CA_TITLE,
            "give --ca FILE (the CA the hosts must trust) to compare".to_owned(),
        );
        check.observed = format!("embedded: {}", describe(embedded));
        return check;
    };
    let expected = format!("{} ({})", path.display(), describe(given));
    let has = |certificate: &CertificateFacts| {
        embedded
            .iter()
            .any(|other| other.fingerprint == certificate.fingerprint)
    };
    let extra: Vec<CertificateFacts> = embedded
        .iter()
        .filter(|certificate| {
            !given
                .iter()
                .any(|g| g.fingerprint == certificate.fingerprint)
        })
        .cloned()
        .collect();
    if !given.iter().all(has) {
        CheckResult {
            hint: format!(
                "the hosts would trust another CA than {}: the registration and every \
                 system-agent connection fail with `x509: certificate signed by unknown \
                 authority`; {REBUILD}",
                path.display()
            ),
            ..result(
                id,
                CA_TITLE,
                Status::Fail,
                format!("embedded: {}", describe(embedded)),
                expected,
            )
        }
    } else if !extra.is_empty() {
        CheckResult {
            hint: "the hosts also trust these certificates; keep only the platform's CA in \
                   Rancher's cacerts"
                .to_owned(),
            ..result(
                id,
                CA_TITLE,
                Status::Warn,
                format!("embedded: the given CA and {}", describe(&extra)),
                expected,
            )
        }
    } else {
        result(
            id,
            CA_TITLE,
            Status::Pass,
            format!("embedded: {}", describe(embedded)),
            expected,
        )
    }
}

/// `iso.tls`: strict TLS to the registration URL with the embedded CA as the only anchor —
/// what the system-agent will do — and a `GET` of the URL (200: the operator serves the
/// config; 404: the token is unknown).
fn tls(plan: &Plan, facts: &Facts) -> CheckResult {
    let id = "iso.tls";
    if plan.offline {
        return skipped(
            id,
            TLS_TITLE,
            "--offline: the endpoint was not contacted".to_owned(),
        );
    }
    let Some(url) = facts.url.as_ref().filter(|url| url.scheme == "https") else {
        return skipped(id, TLS_TITLE, "the config has no https url".to_owned());
    };
    let certificates = match &facts.ca {
        Ok(certificates) => certificates,
        Err(why) => return skipped(id, TLS_TITLE, format!("{why}: nothing to verify with")),
    };
    let trust = match Trust::from_certificates(certificates) {
        Ok(trust) => trust,
        Err(error) => return skipped(id, TLS_TITLE, format!("the embedded CA: {error}")),
    };
    let request = EndpointRequest {
        target: Target {
            host: url.host.clone(),
            port: url.port,
            path: url.path.clone(),
        },
        server_name: None,
        trust,
        timeout: plan.timeout,
        ingress: true,
    };
    let shown = config::redact(&facts.url_text);
    let expected = format!(
        "TLS verified for {} against the embedded CA only, and 200 to GET the URL",
        url.host
    );
    let outcome = match endpoint::probe(&request) {
        Ok(outcome) => outcome,
        Err(error) => {
            return CheckResult {
                reason: Some(error.to_string()),
                ..result(id, TLS_TITLE, Status::Error, String::new(), expected)
            };
        }
    };
    if outcome.passed() {
        let answer = outcome
            .response
            .as_ref()
            .map_or_else(String::new, |response| response.describe());
        return result(
            id,
            TLS_TITLE,
            Status::Pass,
            format!(
                "{shown}: {answer}, TLS verified for {}",
                outcome.verified_for
            ),
            expected,
        );
    }
    let not_found = outcome
        .response
        .as_ref()
        .is_some_and(|response| response.status == 404);
    let hint = match outcome.failure.as_ref().map(|failure| failure.kind) {
        Some(FailureKind::UnexpectedStatus) if not_found => {
            "the server does not know the registration token: the MachineRegistration was \
             deleted or recreated after this ISO was built; rebuild the SeedImage from the \
             current MachineRegistration"
                .to_owned()
        }
        Some(FailureKind::UnknownAuthority) => format!(
            "the endpoint serves a chain the ISO's CA does not sign: every host fails with \
             `x509: certificate signed by unknown authority`; {REBUILD}"
        ),
        _ => outcome.hint(),
    };
    CheckResult {
        hint,
        ..result(
            id,
            TLS_TITLE,
            Status::Fail,
            format!("{shown}: {}", outcome.observed()),
            expected,
        )
    }
}

/// `iso.tpm` (seed 001, TPM Decision): emulation is for PoC and VMs only, and then needs
/// `emulated-tpm-seed: -1`; any fixed seed (the client's default is 1) gives every host the
/// same TPM identity, so they overwrite each other's MachineInventory.
fn tpm(registration: &Registration) -> CheckResult {
    let id = "iso.tpm";
    let expected = "emulate-tpm absent or false on production hardware; for PoC: emulate-tpm: \
        true with emulated-tpm-seed: -1"
        .to_owned();
    let auth = registration.auth.as_deref().unwrap_or("tpm");
    if registration.emulate_tpm != Some(true) {
        let observed = if auth == "tpm" {
            "emulate-tpm is off: every host needs a real TPM 2.0".to_owned()
        } else {
            format!("emulate-tpm is off; auth {auth} identifies hosts without a TPM")
        };
        return result(id, TPM_TITLE, Status::Pass, observed, expected);
    }
    match registration.emulated_tpm_seed {
        Some(-1) => CheckResult {
            hint: "for production hardware with a TPM, remove emulate-tpm from the \
                   MachineRegistration and rebuild the ISO"
                .to_owned(),
            ..result(
                id,
                TPM_TITLE,
                Status::Warn,
                "emulate-tpm: true with emulated-tpm-seed: -1 (PoC only: registration is not \
                 bound to the host's TPM)"
                    .to_owned(),
                expected,
            )
        },
        seed => CheckResult {
            hint: format!("set emulated-tpm-seed: -1 in the MachineRegistration; {REBUILD}"),
            ..result(
                id,
                TPM_TITLE,
                Status::Fail,
                match seed {
                    Some(seed) => format!(
                        "emulate-tpm: true with emulated-tpm-seed: {seed}: every host gets the \
                         same TPM identity"
                    ),
                    None => "emulate-tpm: true without emulated-tpm-seed: the client uses seed \
                             1, so every host gets the same TPM identity"
                        .to_owned(),
                },
                expected,
            )
        },
    }
}

/// `iso.checksum`: the SHA-256 of the whole image, streamed, against the checksum file the
/// SeedImage builder wrote beside it (`sha256sum NAME > NAME.sha256`).
fn checksum(
    plan: &Plan,
    source: &mut Source,
    image: &str,
) -> anyhow::Result<(CheckResult, Option<String>)> {
    let id = "iso.checksum";
    let Some(location) = &plan.checksum else {
        return Ok((
            skipped(
                id,
                CHECKSUM_TITLE,
                "give --checksum FILE_OR_URL (the SeedImage's status.checksumURL) to stream and \
                 hash the image"
                    .to_owned(),
            ),
            None,
        ));
    };
    let (name, text) = match location {
        Location::File(path) => {
            let metadata = std::fs::metadata(path)
                .with_context(|| format!("--checksum {}", path.display()))?;
            if metadata.len() > MAX_CHECKSUM_BYTES {
                bail!(
                    "--checksum {}: {} bytes is not a checksum file",
                    path.display(),
                    metadata.len()
                );
            }
            let bytes = ironprep_input::read(path, MAX_CHECKSUM_BYTES)
                .with_context(|| format!("--checksum {}", path.display()))?;
            (path.display().to_string(), bytes)
        }
        Location::Url(url) => {
            let bytes =
                source::fetch_small(url, &plan.http_trust, plan.timeout, MAX_CHECKSUM_BYTES)
                    .map_err(|error| anyhow::anyhow!("--checksum {error}"))?;
            (url.clone(), bytes)
        }
    };
    let (wanted, file_name) =
        parse_checksum(&String::from_utf8_lossy(&text)).with_context(|| {
            format!("--checksum {name}: no SHA-256 (64 hex digits, as sha256sum writes it)")
        })?;
    // aws-lc-rs (the certs crate's provider): assembly SHA-256, so the hash keeps up with the
    // disk even in a debug build.
    let mut hasher = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
    source
        .stream_all(&mut |bytes| hasher.update(bytes))
        .with_context(|| format!("{image}: reading the whole image for --checksum"))?;
    let actual: String = hasher
        .finish()
        .as_ref()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    let named = file_name.map_or_else(String::new, |file| format!(" for {file}"));
    let expected = format!("{wanted}{named} (from {name})");
    let check = if actual == wanted {
        result(id, CHECKSUM_TITLE, Status::Pass, actual.clone(), expected)
    } else {
        CheckResult {
            hint: "the image is damaged or is another build: download it again (or the \
                   checksum of this build), and do not boot it until they match"
                .to_owned(),
            ..result(id, CHECKSUM_TITLE, Status::Fail, actual.clone(), expected)
        }
    };
    Ok((check, Some(actual)))
}

/// `HASH  NAME` or `HASH *NAME` (sha256sum), or a bare hash.
fn parse_checksum(text: &str) -> Option<(String, Option<String>)> {
    let line = text.lines().find(|line| !line.trim().is_empty())?;
    let mut parts = line.split_whitespace();
    let hash = parts.next()?.to_ascii_lowercase();
    if hash.len() != 64 || !hash.bytes().all(|byte| byte.is_ascii_hexdigit()) {
        return None;
    }
    let name = parts
        .next()
        .map(|name| name.trim_start_matches('*').to_owned());
    Some((hash, name))
}

pub fn run(command: &IsoCommand, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let IsoCommand::Check(args) = command;
    let output = Output::open(&args.output)?;
    let plan = plan(args)?;
    let report = execute(&plan)?;
    output.finish(&report, &view(&report), out)?;
    Ok(report.exit_code())
}

/// The image in one line, then the `iso.*` checks.
pub fn view(report: &IsoReport) -> View {
    let image = &report.image;
    let headline = format!(
        "{} — volume {}, {} bytes, config {} ({} names), {} bytes read",
        image.path_or_url,
        image.volume_id,
        image.size,
        image.config_path,
        image.names,
        image.bytes_read
    );
    let mut view = View::of_checks(
        ViewKind::Checks,
        vec![headline],
        &image.path_or_url,
        &report.checks,
    );
    view.summary = format!("{} (in {} ms)", view.summary, report.duration_ms);
    view
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registration(emulate: Option<bool>, seed: Option<i64>) -> Registration {
        Registration {
            emulate_tpm: emulate,
            emulated_tpm_seed: seed,
            ..Registration::default()
        }
    }

    #[test]
    fn tpm_emulation_needs_the_random_seed_and_is_poc_only() {
        assert_eq!(tpm(&registration(None, None)).status, Status::Pass);
        assert_eq!(
            tpm(&registration(Some(false), Some(5))).status,
            Status::Pass
        );
        assert_eq!(
            tpm(&registration(Some(true), Some(-1))).status,
            Status::Warn
        );
        let fixed = tpm(&registration(Some(true), Some(1)));
        assert_eq!(fixed.status, Status::Fail);
        assert!(fixed.observed.contains("seed: 1"), "{fixed:?}");
        let absent = tpm(&registration(Some(true), None));
        assert_eq!(absent.status, Status::Fail);
        assert!(absent.observed.contains("the client uses seed 1"));
    }

    #[test]
    fn checksum_files_in_sha256sum_format() {
        let hash = "a".repeat(64);
        assert_eq!(
            parse_checksum(&format!("{hash}  global-2026-06-09T10:00:00Z.iso\n")),
            Some((
                hash.clone(),
                Some("global-2026-06-09T10:00:00Z.iso".to_owned())
            ))
        );
        assert_eq!(
            parse_checksum(&format!("{}\n", hash.to_uppercase())),
            Some((hash.clone(), None))
        );
        assert_eq!(
            parse_checksum(&format!("{hash} *b.iso"))
                .unwrap()
                .1
                .as_deref(),
            Some("b.iso")
        );
        assert_eq!(parse_checksum("nope  b.iso"), None);
        assert_eq!(parse_checksum(""), None);
    }

    #[test]
    fn platform_hosts_are_names_or_urls() {
        assert_eq!(
            platform_host("Platform.Example").unwrap(),
            "platform.example"
        );
        assert_eq!(
            platform_host("https://platform.example/kubernetes/global").unwrap(),
            "platform.example"
        );
        assert!(platform_host("a b").is_err());
    }

    #[test]
    fn hosts_compare_as_addresses_or_names() {
        assert!(same_host("fd00::5", "fd00:0::5"));
        assert!(same_host("Platform.Example", "platform.example"));
        assert!(!same_host("10.0.0.5", "10.0.0.50"));
    }
}
