//! What a check is: a tiny type that looks at the host and says what it saw and what it wanted.
//!
//! A check never decides its final status itself. It reports an [`Observation`] with a level
//! (ok, warn, fail) or a skip; the runner turns that into `pass`/`warn`/`fail`/`skip`/`error`,
//! demotes advisory checks, applies scopes and turns read errors into `error`. That keeps every
//! check's rules in one place and every status rule in another.

use ironprep_schema::listing::{Applicability, NotApplicable};
use ironprep_schema::{Cni, Profile, Role};

use crate::host::{Host, HostError};

pub trait Check: Sync {
    /// Stable ID (`area.name`), part of the user contract.
    fn id(&self) -> &'static str;

    /// One line saying what must hold, such as "swap is off".
    fn title(&self) -> &'static str;

    /// The fix, in commands a platform engineer can run.
    fn hint(&self) -> &'static str;

    /// Why the verdict is what it is, from the guide, for `--explain ID`: where the check reads
    /// the guide narrowly or strictly, or decides what the guide leaves open. Empty when the
    /// title and the module's reason say it all.
    fn explain(&self) -> &'static str {
        ""
    }

    /// Where the check applies; outside it the runner reports `skip` with the reason.
    fn scope(&self) -> Scope {
        Scope::TRADITIONAL
    }

    /// Advisory checks (⚠️ in the node-check list) never fail: a failure is demoted to `warn`.
    fn severity(&self) -> Severity {
        Severity::Required
    }

    fn run(&self, host: &Host, context: &Context) -> Result<Outcome, HostError>;
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    Required,
    Advisory,
}

/// The static conditions under which a check applies. Conditions that need the host itself
/// (kernel version, OS family) are decided in `run` with [`Outcome::skip`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scope {
    /// Profiles the check belongs to.
    pub profiles: &'static [Profile],
    /// Roles of which the host must have at least one; empty means every host.
    pub roles: &'static [Role],
    pub cni: Option<Cni>,
    /// Runs only when named with `--only`/`--with` (slow, intrusive in time, or situational).
    pub on_request: bool,
}

impl Scope {
    /// Checks of the current OS installation.
    pub const TRADITIONAL: Scope = Scope {
        profiles: &[Profile::Traditional],
        roles: &[],
        cni: None,
        on_request: false,
    };

    /// Hardware, firmware, identity and network: true whatever OS the host will run.
    pub const EVERY_PROFILE: Scope = Scope {
        profiles: &[Profile::Traditional, Profile::Immutable],
        roles: &[],
        cni: None,
        on_request: false,
    };

    /// Bare-metal identity and firmware: the immutable profile, or when asked for by name.
    pub const IMMUTABLE: Scope = Scope {
        profiles: &[Profile::Immutable],
        roles: &[],
        cni: None,
        on_request: false,
    };

    pub const fn for_roles(self, roles: &'static [Role]) -> Scope {
        Scope { roles, ..self }
    }

    pub const fn for_cni(self, cni: Cni) -> Scope {
        Scope {
            cni: Some(cni),
            ..self
        }
    }

    pub const fn on_request(self) -> Scope {
        Scope {
            on_request: true,
            ..self
        }
    }

    /// The same conditions for machines (`--list --format json`, the controller's
    /// `--list-hosts`).
    pub fn applicability(&self) -> Applicability {
        Applicability {
            profiles: self.profiles.to_vec(),
            roles: self.roles.to_vec(),
            cni: self.cni,
            on_request: self.on_request,
        }
    }

    /// Why the check does not run here, in words for the skipped result's observation, or
    /// `None` when it runs. `requested` means the user named it.
    pub fn skip_reason(&self, context: &Context, requested: bool) -> Option<String> {
        let decided =
            self.applicability()
                .applies(context.profile, &context.roles, context.cni, requested);
        match decided.err()? {
            NotApplicable::OnRequest => {
                Some("runs only when asked for (--with ID or --only ID)".to_owned())
            }
            NotApplicable::Profile => Some(format!(
                "not part of the {} profile{}",
                context.profile,
                if self.profiles == Scope::IMMUTABLE.profiles {
                    " (ask for it with --with ID)"
                } else {
                    ""
                }
            )),
            NotApplicable::Role => Some(format!("applies to {} hosts", join_or(self.roles))),
            NotApplicable::Cni => Some(format!(
                "applies with the {} CNI",
                self.cni.unwrap_or(context.cni)
            )),
        }
    }

    /// When the check runs, in words, for `--list` and the README.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if self.profiles.len() == 1 {
            parts.push(format!("{} profile", self.profiles[0]));
        }
        if !self.roles.is_empty() {
            parts.push(join_or(self.roles));
        }
        if let Some(cni) = self.cni {
            parts.push(cni.to_string());
        }
        if self.on_request {
            parts.push("when asked".to_owned());
        }
        if parts.is_empty() {
            "always".to_owned()
        } else {
            parts.join(", ")
        }
    }
}

fn join_or(roles: &[Role]) -> String {
    roles
        .iter()
        .map(|role| role.as_str())
        .collect::<Vec<_>>()
        .join(" or ")
}

/// Local storage the cluster is planned to use; decides whether `lvm2` is needed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Storage {
    TopoLvm,
    Rook,
}

/// The cluster's IP family (the installer's `--ip-family`; seed 004: IPv4 single stack, IPv6
/// single stack, or dual stack).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IpFamily {
    Ipv4,
    Dual,
    Ipv6,
}

impl IpFamily {
    /// Every host then needs a global IPv6 address and an IPv6 default route.
    pub fn needs_ipv6(self) -> bool {
        matches!(self, IpFamily::Dual | IpFamily::Ipv6)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            IpFamily::Ipv4 => "ipv4",
            IpFamily::Dual => "dual",
            IpFamily::Ipv6 => "ipv6",
        }
    }
}

/// The installation scenario of the sizing guide (seed 004, "Планирование емкости").
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Topology {
    /// A cluster of control-plane and worker nodes: each node is sized by its role.
    #[default]
    Cluster,
    /// The single-node PoC: one node runs everything and needs 16 cores and 32 GB.
    SingleNode,
}

/// Everything a check may know about the run besides the host itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Context {
    pub profile: Profile,
    pub roles: Vec<Role>,
    pub cni: Cni,
    pub storage: Option<Storage>,
    /// Where the installer package will be unpacked (installer host free space).
    pub package_dir: String,
    /// The IP the host will use in the cluster, when the controller knows it.
    pub node_ip: Option<std::net::IpAddr>,
    /// The MachineRegistration sets `emulate-tpm: true`: a missing TPM is then a warning.
    pub emulated_tpm: bool,
    /// The endpoints the `reach.*` checks probe from this host, and the CA they trust.
    pub reach: Reach,
    /// `None` when not given: IPv4 is then required, and what only IPv6 needs is unknown.
    pub ip_family: Option<IpFamily>,
    pub topology: Topology,
}

/// Inputs of the `reach.*` checks, passed by the controller; a check without its input skips.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reach {
    /// `global.platformUrl` (https only; a URL without a path means `/kubernetes/global`).
    pub platform_url: Option<String>,
    /// `global.registry.address`, `HOST:PORT`.
    pub registry: Option<String>,
    /// The installer host during bootstrap (`https://IP:12443`).
    pub bootstrap_host: Option<std::net::IpAddr>,
    /// The CA shipped with the agent; the only trust anchor (strict agent TLS). Checked by the
    /// command line before any check runs.
    pub ca: Option<std::path::PathBuf>,
}

impl Default for Context {
    fn default() -> Self {
        Context {
            profile: Profile::Traditional,
            roles: vec![Role::ControlPlane],
            cni: Cni::KubeOvn,
            storage: None,
            package_dir: "/root".to_owned(),
            node_ip: None,
            emulated_tpm: false,
            reach: Reach::default(),
            ip_family: None,
            topology: Topology::Cluster,
        }
    }
}

impl Context {
    pub fn has_role(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
}

/// What a check found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Observed(Observation),
    /// The check does not apply to this host (OS family, kernel) or lacks an input.
    Skip(String),
}

impl Outcome {
    pub fn skip(reason: impl Into<String>) -> Outcome {
        Outcome::Skip(reason.into())
    }
}

impl From<Observation> for Outcome {
    fn from(observation: Observation) -> Outcome {
        Outcome::Observed(observation)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Ok,
    Warn,
    Fail,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Observation {
    pub observed: String,
    pub expected: String,
    pub level: Level,
    /// A fix specific to what was seen; the check's general hint is used otherwise.
    pub hint: Option<String>,
}

impl Observation {
    pub fn new(observed: impl Into<String>, expected: impl Into<String>) -> Observation {
        Observation {
            observed: observed.into(),
            expected: expected.into(),
            level: Level::Ok,
            hint: None,
        }
    }

    pub fn fail_if(self, condition: bool) -> Observation {
        self.raise_if(condition, Level::Fail)
    }

    pub fn warn_if(self, condition: bool) -> Observation {
        self.raise_if(condition, Level::Warn)
    }

    pub fn with_hint(self, hint: impl Into<String>) -> Observation {
        Observation {
            hint: Some(hint.into()),
            ..self
        }
    }

    fn raise_if(self, condition: bool, level: Level) -> Observation {
        if condition {
            Observation {
                level: self.level.max(level),
                ..self
            }
        } else {
            self
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_only_ever_rise() {
        let observation = Observation::new("a", "b").fail_if(true).warn_if(true);
        assert_eq!(observation.level, Level::Fail);
        assert_eq!(Observation::new("a", "b").warn_if(false).level, Level::Ok);
    }

    #[test]
    fn scope_reasons_name_what_is_missing() {
        let context = Context::default();
        let workers = Scope::TRADITIONAL.for_roles(&[Role::Worker, Role::Installer]);
        assert_eq!(
            workers.skip_reason(&context, false).unwrap(),
            "applies to worker or installer hosts"
        );
        let calico = Scope::TRADITIONAL.for_cni(Cni::Calico);
        assert_eq!(
            calico.skip_reason(&context, false).unwrap(),
            "applies with the calico CNI"
        );
        assert!(
            Scope::IMMUTABLE
                .skip_reason(&context, false)
                .unwrap()
                .contains("--with")
        );
        assert_eq!(Scope::IMMUTABLE.skip_reason(&context, true), None);
        assert!(
            Scope::EVERY_PROFILE
                .on_request()
                .skip_reason(&context, false)
                .is_some()
        );
        assert_eq!(
            Scope::TRADITIONAL.for_roles(&[Role::Installer]).describe(),
            "traditional profile, installer"
        );
        assert_eq!(Scope::EVERY_PROFILE.describe(), "always");
    }
}
