//! The machine-readable contract between `ironprep-agent` and the `ironprep` controller.
//!
//! This crate is deliberately serde-only: the controller must build on macOS and the agent must
//! not pull in an async runtime or SSH just to describe its report. Everything here is part of
//! the versioned JSON contract (`SCHEMA_VERSION`); renaming a variant is a breaking change.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

pub mod bmc;
pub mod certs;
pub mod identity;
pub mod iso;
pub mod lint;
pub mod listing;
pub mod net;
pub mod registration;
pub mod sizing;
pub mod stamp;

#[cfg(feature = "json-schema")]
pub mod json_schema;

/// Bumped on any incompatible change of the JSON shapes below. Additions do not bump it: new
/// fields, and new values of an enum (`waived` of a status, `host-key-unknown` of an outcome),
/// which consumers must tolerate.
pub const SCHEMA_VERSION: u32 = 1;

/// The outcome of one check. Ordered from best to worst so that `max()` gives the worst.
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// The check did not apply (role, CNI, profile, OS) or lacked an input; `reason` says why.
    #[default]
    Skip,
    Pass,
    /// It failed (or warned, or could not be evaluated) and a waiver accepts that: `reason`
    /// says what it was and why it is accepted. A new value under schema_version 1 (an
    /// addition: consumers treat a status they do not know as needing a look), so a consumer
    /// counting `status == "fail"` counts exactly what fails the run. Ordered just above
    /// `pass`: accepted, never the worst of a host.
    Waived,
    /// Advisory: the install can go on, but a person should look.
    Warn,
    Fail,
    /// The check could not be evaluated (unreadable file, command that failed).
    Error,
}

impl Status {
    pub const ALL: [Status; 6] = [
        Status::Pass,
        Status::Warn,
        Status::Fail,
        Status::Skip,
        Status::Error,
        Status::Waived,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Warn => "warn",
            Status::Fail => "fail",
            Status::Skip => "skip",
            Status::Error => "error",
            Status::Waived => "waived",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One evaluated check, as it travels in every report (host checks, fleet checks, probes).
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckResult {
    /// Stable ID such as `net.ports-free`; people skip and waive checks by it.
    pub id: String,
    pub title: String,
    pub status: Status,
    /// What the check saw, in words a person can act on.
    pub observed: String,
    /// What the check wants to see.
    pub expected: String,
    /// How to fix it; present for every status so a machine can show it next to a waiver.
    pub hint: String,
    /// Why the check was skipped or could not be evaluated; absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Macro-level facts about a host, gathered once by the agent and used by the controller's
/// cross-host checks (unique hostnames and UUIDs, time zone, clock skew, addresses).
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostFacts {
    pub hostname: String,
    /// `PRETTY_NAME` of os-release, or what could be learned instead.
    pub os: String,
    /// `ID` of os-release (`centos`, `rhel`, `ubuntu`, `kylin`, …).
    #[serde(default)]
    pub os_id: String,
    /// `VERSION_ID` of os-release.
    #[serde(default)]
    pub os_version: String,
    pub kernel: String,
    pub arch: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logical_cpus: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_bytes: Option<u64>,
    /// SMBIOS system UUID, lower-cased; absent when unreadable (not root, no DMI).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_uuid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_serial: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    /// The agent's wall clock when it collected the facts, in milliseconds since the epoch;
    /// the controller compares it with its own clock, corrected for the round trip.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clock_unix_ms: Option<u64>,
    /// Every global unicast address on an interface, not just the first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub addresses: Vec<InterfaceAddress>,
    /// The hardware facts of a host checked through its BMC (`ironprep bmc check`), which
    /// has no OS to run the agent on; absent in agent reports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bmc: Option<Box<bmc::BmcFacts>>,
}

#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InterfaceAddress {
    pub interface: String,
    /// The address in its usual text form (`10.0.0.5`, `fd00::5`).
    pub address: String,
    pub prefix_len: u8,
    /// The interface's MTU; absent when unreadable (and from agents before it was reported).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mtu: Option<u32>,
}

/// What the agent prints with `--format json`.
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentReport {
    pub schema_version: u32,
    pub agent_version: String,
    pub host: HostFacts,
    pub profile: Profile,
    pub roles: Vec<Role>,
    pub cni: Cni,
    pub duration_ms: u64,
    /// The agent's own peak resident memory, so its footprint on production hosts is known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peak_rss_kib: Option<u64>,
    pub checks: Vec<CheckResult>,
}

impl AgentReport {
    pub fn count(&self, status: Status) -> usize {
        self.checks
            .iter()
            .filter(|check| check.status == status)
            .count()
    }

    /// The exit code the agent's own process uses for this report.
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from_statuses(self.checks.iter().map(|check| check.status))
    }
}

/// How collecting one host's report ended. Values, never strings: the controller decides on
/// them and machines read them.
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HostOutcome {
    Reported,
    Unreachable,
    AuthFailed,
    HostKeyMismatch,
    AgentFailed,
    InvalidReport,
    Timeout,
    /// A BMC's TLS certificate could not be trusted: not signed by `--bmc-ca`, or its key is
    /// not (or no longer) the one pinned in `bmc_known_hosts`. Added with `ironprep bmc`.
    TlsUntrusted,
    /// Under `--host-key-policy strict`, known_hosts lists no key for the host: first contact,
    /// not an attack. `host-key-mismatch` is kept for a key that differs from the one listed.
    /// Added in schema 1.1 (before it, an unknown key was reported as `host-key-mismatch`).
    HostKeyUnknown,
}

/// One host of a fleet report.
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostEntry {
    /// The name the user gave (inventory name, or `localhost`).
    pub host: String,
    /// Where it was reached (`10.0.0.5:22`, or `local` for this machine).
    pub address: String,
    pub outcome: HostOutcome,
    /// What went wrong, in words, when `outcome` is not `reported`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report: Option<AgentReport>,
}

/// A check across hosts (`fleet.*`); `hosts` names the hosts involved.
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FleetCheck {
    #[serde(flatten)]
    pub result: CheckResult,
    pub hosts: Vec<String>,
    /// `fleet.connectivity`: every pair and port that failed, for machines (`observed` says
    /// the same for people).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pairs: Vec<net::FailingPair>,
}

#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub hosts: usize,
    /// Hosts whose outcome is `reported`.
    pub reported: usize,
    /// Hosts with at least one failed check.
    pub hosts_failed: usize,
    pub pass: usize,
    pub warn: usize,
    pub fail: usize,
    pub skip: usize,
    pub error: usize,
    /// Checks a waiver accepted (`--waivers`); absent in reports of older releases.
    #[serde(default)]
    pub waived: usize,
}

/// What `ironprep check --format json` prints, for one host or a fleet.
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FleetReport {
    pub schema_version: u32,
    pub hosts: Vec<HostEntry>,
    pub fleet: Vec<FleetCheck>,
    pub summary: Summary,
}

impl FleetReport {
    pub fn new(hosts: Vec<HostEntry>, fleet: Vec<FleetCheck>) -> FleetReport {
        let mut summary = Summary {
            hosts: hosts.len(),
            ..Summary::default()
        };
        let reports = hosts.iter().filter_map(|host| host.report.as_ref());
        for report in reports {
            summary.reported += 1;
            if report
                .checks
                .iter()
                .any(|check| check.status == Status::Fail)
            {
                summary.hosts_failed += 1;
            }
        }
        let statuses = hosts
            .iter()
            .filter_map(|host| host.report.as_ref())
            .flat_map(|report| report.checks.iter().map(|check| check.status))
            .chain(fleet.iter().map(|check| check.result.status));
        for status in statuses {
            match status {
                Status::Pass => summary.pass += 1,
                Status::Warn => summary.warn += 1,
                Status::Fail => summary.fail += 1,
                Status::Skip => summary.skip += 1,
                Status::Error => summary.error += 1,
                Status::Waived => summary.waived += 1,
            }
        }
        FleetReport {
            schema_version: SCHEMA_VERSION,
            hosts,
            fleet,
            summary,
        }
    }

    /// 1 when any check failed; else 3 when a host was not reported or a check not evaluated.
    pub fn exit_code(&self) -> ExitCode {
        let unreachable = self
            .hosts
            .iter()
            .any(|host| host.outcome != HostOutcome::Reported);
        let checks = self
            .hosts
            .iter()
            .filter_map(|host| host.report.as_ref())
            .flat_map(|report| report.checks.iter().map(|check| check.status))
            .chain(self.fleet.iter().map(|check| check.result.status));
        let code = ExitCode::from_statuses(checks);
        if unreachable {
            code.merge(ExitCode::Unreachable)
        } else {
            code
        }
    }
}

/// One timed step of an endpoint probe (`dns`, `tcp`, `tls`, `http`).
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProbeStep {
    pub step: String,
    pub ms: u64,
    pub ok: bool,
    /// What the step saw, or why it failed.
    pub detail: String,
}

/// One endpoint of `ironprep probe`: the shared result shape, the URL and the steps taken
/// (empty for a check that connects nowhere, such as `endpoint.dns`).
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProbeEndpoint {
    #[serde(flatten)]
    pub result: CheckResult,
    /// The URL requested; absent for `endpoint.dns`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default)]
    pub steps: Vec<ProbeStep>,
}

/// What `ironprep probe --format json` prints.
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProbeReport {
    pub schema_version: u32,
    pub duration_ms: u64,
    pub endpoints: Vec<ProbeEndpoint>,
}

impl ProbeReport {
    /// 1 when an endpoint failed; an endpoint that cannot be reached is a failure, not 3.
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from_statuses(self.endpoints.iter().map(|endpoint| endpoint.result.status))
    }
}

/// Declares a closed set of kebab-case values with `FromStr`, `Display` and a list of all of
/// them, so command lines can name the valid values in their errors without a clap dependency.
macro_rules! value_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = UnknownValue;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                $name::ALL.iter().copied().find(|value| value.as_str() == text).ok_or_else(|| {
                    UnknownValue {
                        kind: stringify!($name),
                        value: text.to_owned(),
                        valid: $name::ALL.iter().map(|value| value.as_str()).collect(),
                    }
                })
            }
        }
    };
}

value_enum! {
    /// How ACP will be put on the host.
    Profile {
        /// ACP on an existing RHEL/CentOS/Ubuntu/Kylin installation: every check.
        Traditional = "traditional",
        /// The host will boot the elemental ISO and be re-imaged: hardware, firmware, identity
        /// and network only; checks of the current OS are skipped.
        Immutable = "immutable",
    }
}

value_enum! {
    /// What the host will be in the cluster; a host may have several roles.
    Role {
        ControlPlane = "control-plane",
        Worker = "worker",
        /// The host that runs the installer and the bootstrap cluster.
        Installer = "installer",
        /// A member of the etcd cluster that is no control-plane node (Kubespray's `[etcd]`
        /// group beside `kube_control_plane`): etcd's ports and disk are checked, not the API
        /// server's. A control-plane node runs etcd anyway. Added in schema 1.2.
        Etcd = "etcd",
    }
}

impl Role {
    /// Whether a host with these roles runs etcd: every control-plane node does (stacked
    /// etcd, as kubeadm and the installer set it up), and so does an `etcd` host.
    pub fn runs_etcd(roles: &[Role]) -> bool {
        roles.contains(&Role::ControlPlane) || roles.contains(&Role::Etcd)
    }

    /// Whether a host with these roles is a Kubernetes node (kubelet, kube-proxy, the CNI):
    /// any role but `etcd` alone.
    pub fn is_node(roles: &[Role]) -> bool {
        roles.iter().any(|role| *role != Role::Etcd)
    }
}

value_enum! {
    /// The cluster network plugin the platform will use.
    Cni {
        KubeOvn = "kube-ovn",
        Calico = "calico",
    }
}

/// A value that is not one of a closed set; the message names the valid ones.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownValue {
    pub kind: &'static str,
    pub value: String,
    pub valid: Vec<&'static str>,
}

impl fmt::Display for UnknownValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown {} '{}' (valid: {})",
            self.kind.to_lowercase(),
            self.value,
            self.valid.join(", ")
        )
    }
}

impl std::error::Error for UnknownValue {}

/// Process exit codes of both binaries. The numbers are part of the user contract.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ExitCode {
    /// Nothing failed (warnings and skips allowed).
    Success,
    /// Hosts unreachable or agent errors, and no check failed.
    Unreachable,
    /// At least one check failed.
    Failed,
    /// Usage or input error: nothing was checked.
    Usage,
    /// Interrupted (Ctrl-C); what was known was still printed.
    Interrupted,
}

impl ExitCode {
    pub fn code(self) -> u8 {
        match self {
            ExitCode::Success => 0,
            ExitCode::Failed => 1,
            ExitCode::Usage => 2,
            ExitCode::Unreachable => 3,
            ExitCode::Interrupted => 130,
        }
    }

    /// Combines two outcomes: the enum is ordered so the more important one wins
    /// (interrupted > usage > failed > unreachable > success).
    pub fn merge(self, other: ExitCode) -> ExitCode {
        self.max(other)
    }

    /// A failed check means exit 1; a check that could not be evaluated, with nothing failed,
    /// means 3 (the run could not tell), as an unreachable host does for the fleet.
    pub fn from_statuses(statuses: impl IntoIterator<Item = Status>) -> ExitCode {
        statuses
            .into_iter()
            .fold(ExitCode::Success, |code, status| {
                code.merge(match status {
                    Status::Fail => ExitCode::Failed,
                    Status::Error => ExitCode::Unreachable,
                    Status::Pass | Status::Warn | Status::Skip | Status::Waived => {
                        ExitCode::Success
                    }
                })
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_code_merge_prefers_the_more_important_outcome() {
        use ExitCode::*;
        assert_eq!(Success.merge(Unreachable), Unreachable);
        assert_eq!(Unreachable.merge(Failed), Failed);
        assert_eq!(Failed.merge(Unreachable), Failed);
        assert_eq!(Failed.merge(Usage), Usage);
        assert_eq!(Usage.merge(Interrupted), Interrupted);
        assert_eq!(Interrupted.merge(Success), Interrupted);
        let codes: Vec<u8> = [Success, Failed, Usage, Unreachable, Interrupted]
            .iter()
            .map(|code| code.code())
            .collect();
        assert_eq!(codes, [0, 1, 2, 3, 130]);
    }

    #[test]
    fn exit_code_from_statuses() {
        assert_eq!(
            ExitCode::from_statuses([Status::Pass, Status::Warn]),
            ExitCode::Success
        );
        assert_eq!(ExitCode::from_statuses([Status::Skip]), ExitCode::Success);
        assert_eq!(
            ExitCode::from_statuses([Status::Pass, Status::Error]),
            ExitCode::Unreachable
        );
        assert_eq!(
            ExitCode::from_statuses([Status::Error, Status::Fail]),
            ExitCode::Failed
        );
        assert_eq!(ExitCode::from_statuses([]), ExitCode::Success);
    }

    #[test]
    fn value_enums_round_trip_and_name_valid_values() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>().unwrap(), *role);
            assert_eq!(serde_json::to_string(role).unwrap(), format!("\"{role}\""));
        }
        let error = "master".parse::<Role>().unwrap_err();
        assert_eq!(
            error.to_string(),
            "unknown role 'master' (valid: control-plane, worker, installer, etcd)"
        );
        assert_eq!("kube-ovn".parse::<Cni>().unwrap(), Cni::KubeOvn);
        assert!(
            "flannel"
                .parse::<Cni>()
                .unwrap_err()
                .to_string()
                .contains("kube-ovn, calico")
        );
    }

    #[test]
    fn status_serialises_lowercase_and_orders_worst_last() {
        assert_eq!(serde_json::to_string(&Status::Warn).unwrap(), "\"warn\"");
        assert!(Status::Error > Status::Fail && Status::Fail > Status::Warn);
        assert!(Status::Warn > Status::Pass && Status::Pass > Status::Skip);
        // A waived failure is accepted: the worst of a host with a waiver and passes is
        // `waived`, never above a real warning.
        assert!(Status::Warn > Status::Waived && Status::Waived > Status::Pass);
        assert_eq!(
            [Status::Pass, Status::Waived].into_iter().max(),
            Some(Status::Waived)
        );
    }

    #[test]
    fn fleet_exit_code_and_summary() {
        let report = |status| AgentReport {
            schema_version: SCHEMA_VERSION,
            agent_version: "0.1.0".into(),
            host: HostFacts::default(),
            profile: Profile::Traditional,
            roles: vec![Role::Worker],
            cni: Cni::Calico,
            duration_ms: 1,
            peak_rss_kib: Some(2048),
            checks: vec![CheckResult {
                id: "net.hostname".into(),
                title: "t".into(),
                status,
                observed: String::new(),
                expected: String::new(),
                hint: String::new(),
                reason: None,
            }],
        };
        let entry = |outcome, status: Option<Status>| HostEntry {
            host: "h".into(),
            address: "10.0.0.1:22".into(),
            outcome,
            error: None,
            report: status.map(report),
        };
        let fleet = FleetReport::new(
            vec![
                entry(HostOutcome::Reported, Some(Status::Pass)),
                entry(HostOutcome::Timeout, None),
            ],
            vec![],
        );
        assert_eq!(fleet.exit_code(), ExitCode::Unreachable);
        assert_eq!(
            (
                fleet.summary.hosts,
                fleet.summary.reported,
                fleet.summary.pass
            ),
            (2, 1, 1)
        );
        let failed = FleetReport::new(
            vec![
                entry(HostOutcome::Reported, Some(Status::Fail)),
                entry(HostOutcome::AuthFailed, None),
            ],
            vec![],
        );
        assert_eq!(failed.exit_code(), ExitCode::Failed);
        assert_eq!(failed.summary.hosts_failed, 1);
        let text = serde_json::to_string(&HostOutcome::HostKeyMismatch).unwrap();
        assert_eq!(text, "\"host-key-mismatch\"");
        let text = serde_json::to_string(&HostOutcome::HostKeyUnknown).unwrap();
        assert_eq!(text, "\"host-key-unknown\"");
    }

    #[test]
    fn probe_endpoints_flatten_the_result_shape() {
        let endpoint = ProbeEndpoint {
            result: CheckResult {
                id: "endpoint.vip".to_owned(),
                title: "t".to_owned(),
                status: Status::Fail,
                observed: "o".to_owned(),
                expected: "e".to_owned(),
                hint: "h".to_owned(),
                reason: None,
            },
            url: Some("https://10.0.0.5/kubernetes/global/version".to_owned()),
            steps: vec![ProbeStep {
                step: "tcp".to_owned(),
                ms: 3,
                ok: false,
                detail: "refused".to_owned(),
            }],
        };
        let json = serde_json::to_value(&endpoint).unwrap();
        assert_eq!(json["id"], "endpoint.vip");
        assert_eq!(json["status"], "fail");
        assert_eq!(json["steps"][0]["ms"], 3);
        let report = ProbeReport {
            schema_version: SCHEMA_VERSION,
            duration_ms: 5,
            endpoints: vec![endpoint],
        };
        assert_eq!(report.exit_code(), ExitCode::Failed);
        let back: ProbeReport =
            serde_json::from_str(&serde_json::to_string(&report).unwrap()).unwrap();
        assert_eq!(back, report);
    }

    #[test]
    fn report_round_trips_through_json() {
        let report = AgentReport {
            schema_version: SCHEMA_VERSION,
            agent_version: "0.1.0".into(),
            host: HostFacts {
                hostname: "node-1".into(),
                ..HostFacts::default()
            },
            profile: Profile::Traditional,
            roles: vec![Role::ControlPlane],
            cni: Cni::KubeOvn,
            duration_ms: 12,
            peak_rss_kib: None,
            checks: vec![CheckResult {
                id: "memory.swap".into(),
                title: "swap is off".into(),
                status: Status::Fail,
                observed: "1 swap area".into(),
                expected: "no swap".into(),
                hint: "swapoff -a".into(),
                reason: None,
            }],
        };
        let text = serde_json::to_string(&report).unwrap();
        assert!(
            !text.contains("\"reason\""),
            "absent reason is omitted: {text}"
        );
        let back: AgentReport = serde_json::from_str(&text).unwrap();
        assert_eq!(back, report);
        assert_eq!(back.exit_code(), ExitCode::Failed);
    }
}
