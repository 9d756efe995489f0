//! `ironprep probe`: the handoff endpoints of SPEC §4 from this machine, all at once — the
//! bootstrap endpoint, the control-plane VIP, the platform domain (and which VIP it resolves
//! to), the registry, or any URL — each through DNS, TCP, TLS verified against the CA the hosts
//! will trust, and an HTTP `GET` whose 401 proves the platform ingress answered.
//!
//! The command line is resolved into a [`Plan`] first (every input error is found before
//! anything is contacted); the probes then run in parallel, each within the one `--timeout`,
//! and become the shared result shape ([`ProbeReport`]).

use std::io::Write;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use clap::Args;
use ironprep_certs::endpoint::{self, EndpointOutcome, EndpointRequest, Target, Trust};
use ironprep_certs::material;
use ironprep_report::View;
use ironprep_schema::{
    CheckResult, ExitCode, ProbeEndpoint, ProbeReport, ProbeStep, SCHEMA_VERSION, Status,
};

use crate::output::{Output, OutputArgs};

#[derive(Debug, Args)]
#[command(after_help = "\
Each endpoint: DNS (what the name resolves to), TCP, TLS verified with rustls against --ca
only (no system roots unless --system-roots) for the URL's IP or name, then HTTP/1.1
GET <path>/version (the registry: GET /v2/). 200 or 401 passes: it proves the request reached
the platform ingress. A URL without a path means /kubernetes/global. Port 6443 fails: it is
the kube-apiserver, never a handoff endpoint. All probes run in parallel; the command takes
at most --timeout (plus a moment).

Exit codes: 0 every endpoint passed, 1 one failed (unreachable, refused, timed out, TLS
refused, a wrong answer, or a name that does not resolve: that is a failed endpoint, not bad
input), 2 unusable input (a URL that is not https, a missing or malformed CA file, nothing to
probe).

Examples:
  ironprep probe --bootstrap-host 192.168.122.10 --ca dex-tls/ca.crt      during bootstrap
  ironprep probe --vip 10.0.0.100 --platform-domain platform.example --ca platform-ca.crt
  ironprep probe --platform-domain platform.example --expect-vip 10.0.1.100 --ca ca.crt \\
      --registry 10.0.0.100:11443                                         after a failover
  ironprep probe --endpoint https://10.0.0.5:12443 --ca ca.crt --format json")]
pub struct ProbeArgs {
    /// An endpoint URL (https only); repeat for several.
    #[arg(long = "endpoint", value_name = "URL")]
    pub endpoints: Vec<String>,

    /// The installer host during bootstrap: probes https://IP:12443/kubernetes/global.
    #[arg(long, value_name = "IP")]
    pub bootstrap_host: Option<IpAddr>,

    /// The current global control-plane VIP: probes https://VIP/kubernetes/global.
    #[arg(long, value_name = "IP")]
    pub vip: Option<IpAddr>,

    /// The platform domain: probes https://DOMAIN/kubernetes/global and checks which VIP it
    /// resolves to.
    #[arg(long, value_name = "DOMAIN")]
    pub platform_domain: Option<String>,

    /// The VIP the platform domain must resolve to (the active one) [default: --vip].
    #[arg(long, value_name = "IP", requires = "platform_domain")]
    pub expect_vip: Option<IpAddr>,

    /// The registry (global.registry.address): probes https://HOST:PORT/v2/.
    #[arg(long, value_name = "HOST:PORT")]
    pub registry: Option<String>,

    /// The CA the hosts will trust (dex.tls ca.crt, or the platform CA); the only trust anchor.
    #[arg(long, value_name = "FILE")]
    pub ca: Option<PathBuf>,

    /// Also trust the operating system's root certificates.
    #[arg(long)]
    pub system_roots: bool,

    /// Verify the --endpoint URLs' certificates for this IP or name instead of their host.
    #[arg(long, value_name = "NAME")]
    pub server_name: Option<String>,

    /// Seconds each probe may take, all steps together (1–3600).
    #[arg(long, value_name = "SECS", default_value_t = 5,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout: u64,

    #[command(flatten)]
    pub output: OutputArgs,
}

/// What the arguments resolve to: the probes to run and the DNS expectation.
#[derive(Debug)]
pub struct Plan {
    pub probes: Vec<Planned>,
    /// The platform domain and the VIP it must resolve to (`None`: no VIP given).
    pub dns: Option<(String, Option<IpAddr>)>,
    /// How the trust anchors were given, for the expected text.
    pub trust_text: String,
}

#[derive(Debug)]
pub struct Planned {
    pub id: &'static str,
    pub title: &'static str,
    pub request: EndpointRequest,
}

/// Checks every input before anything is contacted; errors are usage errors (exit 2).
pub fn plan(args: &ProbeArgs) -> anyhow::Result<Plan> {
    let timeout = Duration::from_secs(args.timeout);
    let mut targets: Vec<(&'static str, &'static str, Target, bool)> = Vec::new();
    if let Some(ip) = args.bootstrap_host {
        targets.push((
            "endpoint.bootstrap",
            "the bootstrap endpoint answers over verified TLS",
            Target::bootstrap(ip),
            false,
        ));
    }
    if let Some(vip) = args.vip {
        targets.push((
            "endpoint.vip",
            "the control-plane VIP's platform ingress answers over verified TLS",
            Target::ingress(&format!("https://{}", bracketed(vip)))?,
            false,
        ));
    }
    if let Some(domain) = &args.platform_domain {
        let url = if domain.contains("://") {
            domain.clone()
        } else {
            format!("https://{domain}")
        };
        let target =
            Target::ingress(&url).with_context(|| format!("--platform-domain {domain}"))?;
        targets.push((
            "endpoint.platform-domain",
            "the platform domain's ingress answers over verified TLS",
            target,
            false,
        ));
    }
    if let Some(registry) = &args.registry {
        targets.push((
            "endpoint.registry",
            "the registry answers /v2/ over verified TLS",
            Target::registry(registry)?,
            false,
        ));
    }
    for url in &args.endpoints {
        targets.push((
            "endpoint.url",
            "the endpoint answers over verified TLS",
            Target::ingress(url)?,
            true,
        ));
    }
    if targets.is_empty() {
        bail!(
            "nothing to probe: give --endpoint URL, or --bootstrap-host, --vip, \
             --platform-domain or --registry"
        );
    }
    let (trust, trust_text) = trust(args)?;
    if let Some(name) = &args.server_name {
        ironprep_certs::probe::server_name(name).map_err(|_| {
            anyhow::anyhow!("invalid --server-name '{name}': not an IP or DNS name")
        })?;
    }
    let probes = targets
        .into_iter()
        .map(|(id, title, target, custom)| Planned {
            id,
            title,
            request: EndpointRequest {
                ingress: id != "endpoint.registry",
                server_name: if custom {
                    args.server_name.clone()
                } else {
                    None
                },
                target,
                trust: trust.clone(),
                timeout,
            },
        })
        .collect::<Vec<_>>();
    let dns = probes
        .iter()
        .find(|planned| planned.id == "endpoint.platform-domain")
        .map(|planned| {
            (
                planned.request.target.host.clone(),
                args.expect_vip.or(args.vip),
            )
        });
    Ok(Plan {
        probes,
        dns,
        trust_text,
    })
}

fn trust(args: &ProbeArgs) -> anyhow::Result<(Trust, String)> {
    let (mut trust, mut text) = match &args.ca {
        Some(path) => {
            // The error already names the file and its cause; anyhow must not repeat it.
            let certificates = material::certificate_file(path)
                .map_err(|error| anyhow::anyhow!("--ca {error}"))?;
            let trust = Trust::from_certificates(&certificates)
                .with_context(|| format!("--ca {}", path.display()))?;
            (trust, format!("{} only", path.display()))
        }
        None if args.system_roots => (Trust::from_certificates(&[])?, String::new()),
        None => bail!(
            "give --ca FILE (the CA the hosts will trust in strict TLS mode), or --system-roots"
        ),
    };
    if args.system_roots {
        let added = trust.add_system_roots();
        if trust.is_empty() {
            bail!("--system-roots: no usable root certificates found on this machine");
        }
        text = match &args.ca {
            Some(path) => format!("{} and {added} system roots", path.display()),
            None => format!("{added} system roots"),
        };
    }
    Ok((trust, text))
}

fn bracketed(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(ip) => ip.to_string(),
        IpAddr::V6(ip) => format!("[{ip}]"),
    }
}

/// Runs every probe of the plan in parallel; each keeps its own deadline, so this returns
/// within the timeout.
pub fn execute(plan: &Plan) -> ProbeReport {
    let started = Instant::now();
    let outcomes: Vec<Result<EndpointOutcome, ProbeFailure>> = std::thread::scope(|scope| {
        let handles: Vec<_> = plan
            .probes
            .iter()
            .map(|planned| {
                scope.spawn(move || {
                    endpoint::probe(&planned.request).map_err(ProbeFailure::Endpoint)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| handle.join().unwrap_or(Err(ProbeFailure::Panicked)))
            .collect()
    });
    let mut endpoints: Vec<ProbeEndpoint> = plan
        .probes
        .iter()
        .zip(&outcomes)
        .map(|(planned, outcome)| endpoint_result(planned, outcome, &plan.trust_text))
        .collect();
    if let Some((domain, expected)) = &plan.dns {
        let outcome = plan
            .probes
            .iter()
            .zip(&outcomes)
            .find(|(planned, _)| planned.id == "endpoint.platform-domain")
            .and_then(|(_, outcome)| outcome.as_ref().ok());
        endpoints.push(dns_result(domain, *expected, outcome));
    }
    ProbeReport {
        schema_version: SCHEMA_VERSION,
        duration_ms: started.elapsed().as_millis() as u64,
        endpoints,
    }
}

/// Why a probe has no outcome: the endpoint could not be probed at all, or a bug.
#[derive(Debug, thiserror::Error)]
enum ProbeFailure {
    #[error(transparent)]
    Endpoint(endpoint::EndpointError),
    #[error("internal error: the probe panicked")]
    Panicked,
}

fn endpoint_result(
    planned: &Planned,
    outcome: &Result<EndpointOutcome, ProbeFailure>,
    trust_text: &str,
) -> ProbeEndpoint {
    let target = &planned.request.target;
    let verified_for = match &planned.request.server_name {
        Some(name) => name.clone(),
        None => target.host.clone(),
    };
    let expected = format!(
        "200 or 401 to GET {} over TLS verified for {verified_for} against {trust_text}",
        target.path
    );
    let result = |status, observed: String, hint: String, reason| CheckResult {
        id: planned.id.to_owned(),
        title: planned.title.to_owned(),
        status,
        observed,
        expected: expected.clone(),
        hint,
        reason,
    };
    match outcome {
        Ok(outcome) => ProbeEndpoint {
            result: if outcome.passed() {
                result(Status::Pass, outcome.observed(), String::new(), None)
            } else {
                result(Status::Fail, outcome.observed(), outcome.hint(), None)
            },
            url: Some(target.url()),
            steps: outcome
                .steps
                .iter()
                .map(|step| ProbeStep {
                    step: step.step.as_str().to_owned(),
                    ms: step.elapsed.as_millis() as u64,
                    ok: step.ok,
                    detail: step.detail.clone(),
                })
                .collect(),
        },
        Err(error) => ProbeEndpoint {
            result: result(
                Status::Error,
                String::new(),
                "report this as a bug of ironprep".to_owned(),
                Some(error.to_string()),
            ),
            url: Some(target.url()),
            steps: Vec::new(),
        },
    }
}

/// `endpoint.dns`: the platform domain resolves to the active VIP, and only to it.
fn dns_result(
    domain: &str,
    expected: Option<IpAddr>,
    outcome: Option<&EndpointOutcome>,
) -> ProbeEndpoint {
    let steps: Vec<ProbeStep> = outcome
        .and_then(|outcome| outcome.steps.first())
        .map(|step| ProbeStep {
            step: step.step.as_str().to_owned(),
            ms: step.elapsed.as_millis() as u64,
            ok: step.ok,
            detail: step.detail.clone(),
        })
        .into_iter()
        .collect();
    let resolved: Vec<IpAddr> = outcome.map(|o| o.resolved.clone()).unwrap_or_default();
    let resolved_text = resolved
        .iter()
        .map(IpAddr::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    let hint = match expected {
        Some(vip) => format!(
            "point the DNS record of {domain} at {vip} (after a failover: the standby VIP), \
             and nothing else; check with: dig +short {domain}"
        ),
        None => format!("check with: dig +short {domain}"),
    };
    let mut result = CheckResult {
        id: "endpoint.dns".to_owned(),
        title: "the platform domain resolves to the active VIP".to_owned(),
        status: Status::Pass,
        observed: String::new(),
        expected: match expected {
            Some(vip) => format!("{domain} resolves to {vip} only"),
            None => format!("{domain} resolves to the active control-plane VIP"),
        },
        hint,
        reason: None,
    };
    if domain.parse::<IpAddr>().is_ok() {
        result.status = Status::Skip;
        result.reason = Some("the platform domain is an IP address: nothing to resolve".to_owned());
    } else if resolved.is_empty() {
        result.status = Status::Fail;
        result.observed = outcome
            .and_then(|outcome| outcome.failure.as_ref())
            .map_or_else(
                || format!("{domain} does not resolve"),
                |f| f.message.clone(),
            );
    } else {
        match expected {
            None => {
                result.status = Status::Skip;
                result.observed = format!("{domain} resolves to {resolved_text}");
                result.reason = Some(format!(
                    "{domain} resolves to {resolved_text}; give --expect-vip (or --vip) to \
                     check that it is the active VIP"
                ));
            }
            Some(vip) if resolved == [vip] => {
                result.observed = format!("{domain} resolves to {vip}");
            }
            Some(vip) if resolved.contains(&vip) => {
                result.status = Status::Warn;
                result.observed = format!(
                    "{domain} resolves to {resolved_text}: hosts may reach an address other \
                     than {vip}"
                );
            }
            Some(vip) => {
                result.status = Status::Fail;
                result.observed =
                    format!("{domain} resolves to {resolved_text}, not the active VIP {vip}");
            }
        }
    }
    ProbeEndpoint {
        result,
        url: None,
        steps,
    }
}

pub fn run(args: &ProbeArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let output = Output::open(&args.output)?;
    let plan = plan(args)?;
    let report = execute(&plan);
    output.finish(&report, &View::of_probe(&report), out)?;
    Ok(report.exit_code())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolved_to(ips: &[&str]) -> EndpointOutcome {
        EndpointOutcome {
            target: Target::ingress("https://platform.example").unwrap(),
            resolved: ips.iter().map(|ip| ip.parse().unwrap()).collect(),
            address: None,
            verified_for: "name platform.example".to_owned(),
            server_name: "platform.example".to_owned(),
            served: Vec::new(),
            protocol: None,
            response: None,
            steps: Vec::new(),
            failure: None,
        }
    }

    fn dns(expected: Option<&str>, ips: &[&str]) -> CheckResult {
        let outcome = resolved_to(ips);
        let expected = expected.map(|ip| ip.parse().unwrap());
        dns_result("platform.example", expected, Some(&outcome)).result
    }

    #[test]
    fn the_domain_must_resolve_to_the_active_vip_only() {
        let vip = Some("10.0.0.100");
        assert_eq!(dns(vip, &["10.0.0.100"]).status, Status::Pass);
        let both = dns(vip, &["10.0.0.100", "10.0.1.100"]);
        assert_eq!(both.status, Status::Warn);
        assert!(both.observed.contains("10.0.0.100, 10.0.1.100"), "{both:?}");
        let other = dns(vip, &["10.0.1.100"]);
        assert_eq!(other.status, Status::Fail);
        assert_eq!(
            other.observed,
            "platform.example resolves to 10.0.1.100, not the active VIP 10.0.0.100"
        );
        let unknown = dns(None, &["10.0.1.100"]);
        assert_eq!(unknown.status, Status::Skip);
        assert!(unknown.reason.unwrap().contains("--expect-vip"));
        assert_eq!(dns(vip, &[]).status, Status::Fail);
    }

    #[test]
    fn input_errors_are_found_before_anything_is_contacted() {
        let args = |extra: &[&str]| {
            use clap::Parser;
            #[derive(Parser)]
            struct Wrapper {
                #[command(flatten)]
                probe: ProbeArgs,
            }
            let mut argv = vec!["probe"];
            argv.extend_from_slice(extra);
            Wrapper::try_parse_from(argv).unwrap().probe
        };
        let error = plan(&args(&["--vip", "10.0.0.100"])).unwrap_err();
        assert!(error.to_string().starts_with("give --ca FILE"), "{error}");
        let error = plan(&args(&["--platform-domain", "http://platform.example"])).unwrap_err();
        assert!(
            format!("{error:#}").contains("is not an https URL"),
            "{error:#}"
        );
    }
}
