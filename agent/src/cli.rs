//! The agent's command line: syntax with clap, then a resolved plan, then the run.

use std::io::{self, IsTerminal, Write};
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Instant;

use clap::builder::{PossibleValuesParser, TypedValueParser as _};
use clap::{Parser, Subcommand, ValueEnum};
use ironprep_report::sinks::{self, Document};
use ironprep_report::{ColorChoice, Format, RenderOptions, Verbosity, View, options};
use ironprep_schema::listing::{CheckList, ListedCheck};
use ironprep_schema::net::{Port, Protocol};
use ironprep_schema::stamp;
use ironprep_schema::{AgentReport, Cni, ExitCode, Profile, Role, SCHEMA_VERSION};

use crate::check::{Context, IpFamily, Reach, Storage, Topology};
use crate::checks;
use crate::facts;
use crate::host::Host;
use crate::runner::{self, Selection};

const AFTER_HELP: &str = "\
Exit codes: 0 nothing failed (warnings allowed), 1 a check failed, 2 usage error,
3 a check could not be evaluated and nothing failed.

Examples:
  ironprep-agent                                  check this host as a control-plane node
  ironprep-agent --role worker --cni calico       a Calico worker
  ironprep-agent --profile immutable              a host that will boot the elemental ISO
  ironprep-agent --only net.ports-free,cpu.isa-level --format json
  ironprep-agent --root /mnt/image --format json  read a mounted disk image or fixture tree
  ironprep-agent --list                           every check and when it applies
  ironprep-agent --explain access.root-or-sudo     why a check decides as it does";

/// This build's stamp (see `ironprep_schema::stamp`), set by scripts/build-agent.sh; the array
/// stays whole in the binary, where the controller looks for it.
#[used]
static BUILD_STAMP: [u8; stamp::BYTES] = stamp::embed(option_env!("IRONPREP_AGENT_BUILD"));

/// `--version`: the crate's version and, for the builds of build-agent.sh, the stamp that pairs
/// the full and lean agents of one build.
fn version_text() -> &'static str {
    static TEXT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    TEXT.get_or_init(|| {
        // black_box: read the array itself, so that it is in the binary, not folded away.
        match stamp::read(std::hint::black_box(&BUILD_STAMP)) {
            Some(build) => format!("{} (build {build})", env!("CARGO_PKG_VERSION")),
            None => env!("CARGO_PKG_VERSION").to_owned(),
        }
    })
}

#[derive(Debug, Parser)]
#[command(
    name = "ironprep-agent",
    version = version_text(),
    about = "Read-only preflight checks of this host for ACP on bare metal",
    long_about = "Read-only preflight checks of this host for ACP on bare metal.\n\n\
        Checks the OS, kernel, security settings, network, software, directories and hardware \
        against the ACP node-check list and prints what it saw, what it wants and the fix. It \
        never changes the host: it reads files and runs only a fixed list of read-only queries.",
    after_help = AFTER_HELP,
    args_conflicts_with_subcommands = true
)]
pub struct Args {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Output for people (table) or for machines (json: the agent report of the contract).
    #[arg(long, value_name = "FORMAT", default_value = "table",
          value_parser = PossibleValuesParser::new(["table", "json"])
              .map(|text| text.parse::<Format>().unwrap_or_default()))]
    pub format: Format,

    /// `traditional`: ACP on the installed OS. `immutable`: the host will be re-imaged from the
    /// elemental ISO, so only hardware, firmware, identity and network are checked.
    #[arg(long, default_value = "traditional", value_parser = parse_value::<Profile>)]
    pub profile: Profile,

    /// Role of this host; repeat for several [default: control-plane]
    #[arg(long = "role", value_name = "ROLE", value_parser = parse_value::<Role>)]
    pub roles: Vec<Role>,

    /// The CNI the cluster will use.
    #[arg(long, default_value = "kube-ovn", value_parser = parse_value::<Cni>)]
    pub cni: Cni,

    /// Run only these checks (comma-separated or repeated). Named checks run even outside
    /// their profile.
    #[arg(long, value_name = "ID", value_delimiter = ',')]
    pub only: Vec<String>,

    /// Report these checks as skipped (a waiver that stays visible).
    #[arg(long, value_name = "ID", value_delimiter = ',')]
    pub skip: Vec<String>,

    /// Also run these opt-in checks (such as disk.performance, or hw.tpm on the traditional
    /// profile).
    #[arg(long, value_name = "ID", value_delimiter = ',')]
    pub with: Vec<String>,

    /// List every check with its title and when it applies, then exit.
    #[arg(long)]
    pub list: bool,

    /// Explain one check: what it wants, when it applies, why it decides as it does, the fix.
    #[arg(long, value_name = "ID")]
    pub explain: Option<String>,

    /// Read files under DIR instead of `/` (a fixture tree or a mounted disk image). Checks
    /// that need the running system report `skip`.
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,

    /// Local storage the cluster will use; TopoLVM and Rook need lvm2.
    #[arg(long, value_enum)]
    pub storage: Option<StorageArg>,

    /// The cluster's IP family: dual and ipv6 need a global IPv6 address and an IPv6 default
    /// route on every host [default: not given; IPv4 is required, IPv6 needs are unknown].
    #[arg(long, value_enum)]
    pub ip_family: Option<IpFamilyArg>,

    /// The installation scenario: cluster (nodes sized by role) or single-node (the PoC, one
    /// node with 16 cores and 32 GB).
    #[arg(long, value_enum, default_value_t = TopologyArg::Cluster)]
    pub topology: TopologyArg,

    /// Where the installer package will be unpacked (the installer host needs 100 GB free).
    #[arg(long, value_name = "DIR", default_value = "/root")]
    pub package_dir: String,

    /// The address this host will use in the cluster (default: every global address).
    #[arg(long, value_name = "IP")]
    pub node_ip: Option<IpAddr>,

    /// The MachineRegistration emulates a TPM (`emulate-tpm: true`, PoC only): a host without
    /// TPM 2.0 is then a warning instead of a failure.
    #[arg(long)]
    pub emulated_tpm: bool,

    /// reach.platform: the platform URL (global.platformUrl) to probe from this host.
    #[arg(long, value_name = "URL")]
    pub platform_url: Option<String>,

    /// reach.registry: the registry (global.registry.address) to probe from this host.
    #[arg(long, value_name = "HOST:PORT")]
    pub registry: Option<String>,

    /// reach.bootstrap: the installer host, whose https://IP:12443 to probe from this host.
    #[arg(long, value_name = "IP")]
    pub bootstrap_host: Option<IpAddr>,

    /// The CA the reach.* checks verify against, and nothing else (strict agent TLS).
    #[arg(long, value_name = "FILE")]
    pub ca: Option<PathBuf>,

    /// Colour the table: auto (when writing to a terminal and NO_COLOR is unset or empty),
    /// always, never.
    #[arg(long, value_name = "WHEN", default_value = "auto",
          value_parser = PossibleValuesParser::new(["auto", "always", "never"])
              .map(|text| text.parse::<ColorChoice>().unwrap_or_default()))]
    pub color: ColorChoice,

    /// Show every check in the table, passes and skips included.
    #[arg(long, short = 'v')]
    pub verbose: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// This host's part of the network measurement between hosts (`ironprep check --network`):
    /// listen on the given ports while they are free, connect to the peers the controller
    /// names, report, and close everything when stdin ends. JSON lines on stdin and stdout.
    NetSession(NetSessionArgs),
}

#[derive(Debug, clap::Args)]
pub struct NetSessionArgs {
    /// Ports to listen on where nothing else does: tcp/6443, udp/6081, and `ipip` for IP-in-IP
    /// (IP protocol 4, a raw socket: root) (comma-separated).
    #[arg(long, value_name = "PROTO/PORT", value_delimiter = ',', value_parser = parse_port)]
    pub listen: Vec<Port>,

    /// Listen this many seconds for VRRP advertisements (IP protocol 112; needs root).
    #[arg(long, value_name = "SECS", default_value_t = 0)]
    pub vrrp_seconds: u32,

    /// End the session after this many seconds whatever happens, listeners closed.
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    pub max_seconds: u64,
}

fn parse_port(text: &str) -> Result<Port, String> {
    if text == "ipip" {
        return Ok(Port::IPIP);
    }
    let (protocol, port) = text
        .split_once('/')
        .ok_or_else(|| format!("'{text}' is not PROTO/PORT (tcp/6443, udp/6081) or ipip"))?;
    let protocol = match protocol {
        "tcp" => Protocol::Tcp,
        "udp" => Protocol::Udp,
        other => {
            return Err(format!(
                "unknown protocol '{other}' (valid: tcp, udp, ipip)"
            ));
        }
    };
    let port = port
        .parse::<u16>()
        .ok()
        .filter(|port| *port > 0)
        .ok_or_else(|| format!("'{port}' is not a port number"))?;
    Ok(Port { protocol, port })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum StorageArg {
    Topolvm,
    Rook,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum IpFamilyArg {
    Ipv4,
    Dual,
    Ipv6,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TopologyArg {
    Cluster,
    SingleNode,
}

fn parse_value<T: std::str::FromStr<Err = ironprep_schema::UnknownValue>>(
    text: &str,
) -> Result<T, String> {
    text.parse::<T>().map_err(|error| error.to_string())
}

/// Parses the process arguments and runs; usage errors print clap's message and give 2.
pub fn main() -> ExitCode {
    let args = match Args::try_parse() {
        Ok(args) => args,
        Err(error) => {
            let _ = error.print();
            return if error.use_stderr() {
                ExitCode::Usage
            } else {
                ExitCode::Success
            };
        }
    };
    if let Some(Command::NetSession(session)) = &args.command {
        let options = crate::net_session::SessionOptions {
            listen: session.listen.clone(),
            vrrp_seconds: session.vrrp_seconds,
            max_seconds: session.max_seconds,
        };
        return match crate::net_session::run(
            &options,
            &mut io::stdin().lock(),
            &mut io::stdout().lock(),
        ) {
            Ok(()) => ExitCode::Success,
            Err(error) if error.kind() == io::ErrorKind::BrokenPipe => ExitCode::Success,
            Err(error) => {
                eprintln!("ironprep-agent: net-session: {error}");
                ExitCode::Usage
            }
        };
    }
    match run(&args, &mut io::stdout().lock()) {
        Ok(code) => code,
        Err(error) if is_broken_pipe(&error) => ExitCode::Success,
        Err(error) => {
            eprintln!("ironprep-agent: {error:#}");
            ExitCode::Usage
        }
    }
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error
        .downcast_ref::<io::Error>()
        .is_some_and(|error| error.kind() == io::ErrorKind::BrokenPipe)
}

/// Runs with parsed arguments, writing the output to `out`.
pub fn run(args: &Args, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let unknown = runner::unknown_ids(args.only.iter().chain(&args.skip).chain(&args.with));
    if !unknown.is_empty() {
        eprintln!(
            "ironprep-agent: unknown check ID{} {} (see --list; valid IDs: {})",
            if unknown.len() > 1 { "s" } else { "" },
            unknown
                .iter()
                .map(|id| format!("'{id}'"))
                .collect::<Vec<_>>()
                .join(", "),
            checks::ALL
                .iter()
                .map(|check| check.id())
                .collect::<Vec<_>>()
                .join(", ")
        );
        return Ok(ExitCode::Usage);
    }
    if let Some(problem) = reach_input_problem(args) {
        eprintln!("ironprep-agent: {problem}");
        return Ok(ExitCode::Usage);
    }
    let context = Context {
        profile: args.profile,
        roles: if args.roles.is_empty() {
            vec![Role::ControlPlane]
        } else {
            dedup(&args.roles)
        },
        cni: args.cni,
        storage: args.storage.map(|storage| match storage {
            StorageArg::Topolvm => Storage::TopoLvm,
            StorageArg::Rook => Storage::Rook,
        }),
        package_dir: args.package_dir.clone(),
        node_ip: args.node_ip,
        emulated_tpm: args.emulated_tpm,
        reach: Reach {
            platform_url: args.platform_url.clone(),
            registry: args.registry.clone(),
            bootstrap_host: args.bootstrap_host,
            ca: args.ca.clone(),
        },
        ip_family: args.ip_family.map(|family| match family {
            IpFamilyArg::Ipv4 => IpFamily::Ipv4,
            IpFamilyArg::Dual => IpFamily::Dual,
            IpFamilyArg::Ipv6 => IpFamily::Ipv6,
        }),
        topology: match args.topology {
            TopologyArg::Cluster => Topology::Cluster,
            TopologyArg::SingleNode => Topology::SingleNode,
        },
    };
    let to_terminal = io::stdout().is_terminal();
    let options = RenderOptions {
        color: args.color.resolve_here(to_terminal),
        width: options::width_here(to_terminal),
        verbosity: if args.verbose {
            Verbosity::Verbose
        } else {
            Verbosity::Normal
        },
    };
    if let Some(id) = &args.explain {
        let Some(check) = checks::find(id) else {
            eprintln!("ironprep-agent: --explain: unknown check ID '{id}' (see --list)");
            return Ok(ExitCode::Usage);
        };
        write!(out, "{}", explanation(check))?;
        return Ok(ExitCode::Success);
    }
    if args.list {
        let list = check_list();
        write_document(
            args.format,
            options,
            &list,
            &View::of_check_list(&list),
            out,
        )?;
        return Ok(ExitCode::Success);
    }
    let host = match &args.root {
        Some(root) => {
            if !root.is_dir() {
                eprintln!("ironprep-agent: --root {}: not a directory", root.display());
                return Ok(ExitCode::Usage);
            }
            Host::rooted(root)
        }
        None => Host::live(),
    };
    let selection = Selection {
        only: args.only.clone(),
        skip: args.skip.clone(),
        with: args.with.clone(),
    };
    let host_facts = facts::gather(&host);
    let checks = runner::run(&host, &context, &selection);
    let report = AgentReport {
        schema_version: SCHEMA_VERSION,
        agent_version: env!("CARGO_PKG_VERSION").to_owned(),
        host: host_facts,
        profile: context.profile,
        roles: context.roles,
        cni: context.cni,
        duration_ms: started.elapsed().as_millis() as u64,
        peak_rss_kib: peak_rss_kib(),
        checks,
    };
    write_document(args.format, options, &report, &View::of_agent(&report), out)?;
    out.flush()?;
    Ok(report.exit_code())
}

/// `--explain ID`, for people: the check, when it applies, why it decides as it does, the fix.
fn explanation(check: &dyn crate::check::Check) -> String {
    let severity = match check.severity() {
        crate::check::Severity::Required => "required (✅): fails when it does not hold",
        crate::check::Severity::Advisory => "advisory (⚠️): warns, never fails",
    };
    let mut text = format!(
        "{} — {}
applies: {}
severity: {severity}
",
        check.id(),
        check.title(),
        check.scope().describe()
    );
    if !check.explain().is_empty() {
        text.push_str(&format!(
            "why: {}
",
            check.explain()
        ));
    }
    text.push_str(&format!(
        "fix: {}
",
        check.hint()
    ));
    text
}

/// The lean build cannot probe: a CA, which asks for the probes, is a usage error there.
#[cfg(not(feature = "reach"))]
fn reach_input_problem(args: &Args) -> Option<String> {
    args.ca.as_ref().map(|_| {
        "--ca: this is ironprep-agent-lean, built without the TLS probe of the reach.* checks; \
         run the full ironprep-agent"
            .to_owned()
    })
}

/// Unusable `reach.*` inputs (a URL that is not https, a CA that cannot be read): a usage
/// error before anything runs, not three checks in error.
#[cfg(feature = "reach")]
fn reach_input_problem(args: &Args) -> Option<String> {
    use ironprep_certs::endpoint::Target;
    if let Some(url) = &args.platform_url
        && let Err(error) = Target::ingress(url)
    {
        return Some(format!("--platform-url: {error}"));
    }
    if let Some(address) = &args.registry
        && let Err(error) = Target::registry(address)
    {
        return Some(format!("--registry: {error}"));
    }
    let ca = args.ca.as_ref()?;
    match ironprep_certs::material::certificate_file(ca) {
        Ok(_) => None,
        Err(error) => Some(format!("--ca {error}")),
    }
}

/// The agent's own high-water mark (children, such as `sshd -T`, are not counted).
fn peak_rss_kib() -> Option<u64> {
    let usage = nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_SELF).ok()?;
    // Linux reports ru_maxrss in KiB.
    u64::try_from(usage.max_rss()).ok()
}

fn dedup(roles: &[Role]) -> Vec<Role> {
    let mut unique: Vec<Role> = Vec::new();
    for role in roles {
        if !unique.contains(role) {
            unique.push(*role);
        }
    }
    unique
}

/// `--list`: every check of the registry, in order.
pub fn check_list() -> CheckList {
    CheckList {
        schema_version: SCHEMA_VERSION,
        checks: checks::ALL
            .iter()
            .map(|check| ListedCheck {
                id: check.id().to_owned(),
                title: check.title().to_owned(),
                when: check.scope().describe(),
                advisory: check.severity() == crate::check::Severity::Advisory,
                hint: check.hint().to_owned(),
                applies: Some(check.scope().applicability()),
            })
            .collect(),
    }
}

/// The agent's end of the output pipeline: the table or the JSON document on stdout.
fn write_document<T: serde::Serialize>(
    format: Format,
    options: RenderOptions,
    document: &T,
    view: &View,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let json = serde_json::to_string_pretty(document)?;
    let sink = sinks::for_format(
        format,
        sinks::Context {
            options,
            working_directory: None,
        },
    )?;
    sink.write(&Document { view, json: &json }, out)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explain_gives_the_verdict_and_its_reason() {
        let text = explanation(checks::find("access.root-or-sudo").unwrap());
        assert!(
            text.starts_with(
                "access.root-or-sudo — the SSH user has root rights and passwordless sudo\n\
                 applies: traditional profile\nseverity: required (✅): fails when it does not \
                 hold\nwhy: Seed 004:"
            ),
            "{text}"
        );
        assert!(
            text.contains("root passes when sudo is installed"),
            "{text}"
        );
        assert!(text.ends_with(&format!(
            "fix: {}\n",
            checks::find("access.root-or-sudo").unwrap().hint()
        )));
        // A check without an explanation still says when it applies and how to fix it.
        let swap = explanation(checks::find("memory.swap").unwrap());
        assert!(
            !swap.contains("why:") && swap.contains("fix: `swapoff -a`"),
            "{swap}"
        );
    }

    /// The controller lists each host's checks (`ironprep check --list-hosts`) without an
    /// agent to ask: from its copy of this catalogue, which must be this one.
    #[test]
    fn the_controller_s_copy_of_the_catalogue_is_current() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../controller/src/fleet/agent-checks.json"
        );
        let text = std::fs::read_to_string(path).unwrap();
        let copy: CheckList = serde_json::from_str(&text).unwrap();
        assert!(
            copy == check_list(),
            "{path} is stale: run `cargo run -q -p ironprep-agent -- --list --format json > \
             controller/src/fleet/agent-checks.json`"
        );
    }

    #[test]
    fn explain_of_an_unknown_check_is_a_usage_error() {
        let args = Args::try_parse_from(["ironprep-agent", "--explain", "no.such"]).unwrap();
        let mut out = Vec::new();
        assert_eq!(run(&args, &mut out).unwrap(), ExitCode::Usage);
        assert!(out.is_empty());
    }
}
