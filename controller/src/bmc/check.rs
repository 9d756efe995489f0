//! What a BMC check is, and how results come out of it: the same shape as the agent's checks
//! (`agent/src/check.rs`), over the facts a BMC reported instead of a host's files. A check
//! says what it saw and how bad it is; [`evaluate`] derives the status, applies scopes and
//! `--only`/`--skip`, and makes a check that lacks its facts `error` (the BMC did not answer
//! for them) or `skip` (the BMC does not offer them).
//!
//! Waivers are not decided here: a waived check runs and is evaluated like any other, and
//! `execute_check` turns its failure into `waived` over the whole report, fleet checks
//! included, with the same `crate::waivers::apply` as `ironprep check`.

use ironprep_schema::bmc::BmcFacts;
use ironprep_schema::listing::{Applicability, NotApplicable};
use ironprep_schema::{CheckResult, Cni, Profile, Role, Status};

pub trait BmcCheck: Sync {
    /// Stable ID; where the agent has the same check, the same ID, title and hint.
    fn id(&self) -> &'static str;

    fn title(&self) -> &'static str;

    fn hint(&self) -> &'static str;

    fn scope(&self) -> Scope;

    /// Advisory checks never fail: a failure is demoted to `warn`.
    fn severity(&self) -> Severity {
        Severity::Required
    }

    fn run(&self, facts: &BmcFacts, context: &Context) -> Outcome;
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    Required,
    Advisory,
}

/// Where a check applies, as the agent's scopes say it (`--list` shows the same words).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scope {
    pub profiles: &'static [Profile],
    /// Roles of which the host must have one; empty: every host.
    pub roles: &'static [Role],
}

impl Scope {
    pub const EVERY_PROFILE: Scope = Scope {
        profiles: &[Profile::Traditional, Profile::Immutable],
        roles: &[],
    };

    pub const IMMUTABLE: Scope = Scope {
        profiles: &[Profile::Immutable],
        roles: &[],
    };

    pub const fn for_roles(self, roles: &'static [Role]) -> Scope {
        Scope { roles, ..self }
    }

    /// The same conditions for machines (`--list --format json`).
    pub fn applicability(&self) -> Applicability {
        Applicability {
            profiles: self.profiles.to_vec(),
            roles: self.roles.to_vec(),
            cni: None,
            on_request: false,
        }
    }

    /// Why the check does not run here, in words, or `None` when it runs.
    fn skip_reason(&self, context: &Context, requested: bool) -> Option<String> {
        // A BMC check does not depend on the CNI: any value decides the same.
        let decided =
            self.applicability()
                .applies(context.profile, &context.roles, Cni::KubeOvn, requested);
        match decided.err()? {
            NotApplicable::Role => Some(format!("applies to {} hosts", join_or(self.roles))),
            NotApplicable::Profile | NotApplicable::OnRequest | NotApplicable::Cni => {
                Some(format!(
                    "not part of the {} profile (ask for it with --only ID)",
                    context.profile
                ))
            }
        }
    }

    /// When the check runs, in the agent's words (`--list`).
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if self.profiles.len() == 1 {
            parts.push(format!("{} profile", self.profiles[0]));
        }
        if !self.roles.is_empty() {
            parts.push(join_or(self.roles));
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

/// What a check may know besides the facts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Context {
    pub profile: Profile,
    pub roles: Vec<Role>,
    /// The MachineRegistration emulates a TPM (`emulate-tpm: true`, PoC only).
    pub emulated_tpm: bool,
}

impl Context {
    pub fn has_role(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Observed(Observation),
    /// The check does not apply, or the BMC does not offer the facts it needs.
    Skip(String),
    /// The facts it needs could not be read (the reason names the resource).
    Error(String),
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
    /// A fix for what was seen; the check's hint otherwise.
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

/// `--only` and `--skip`, validated against the registry before anything is contacted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selection {
    pub only: Vec<String>,
    pub skip: Vec<String>,
}

/// Why the facts of `resource` are missing: an `error` when it could not be read, a `skip`
/// when the BMC does not offer it.
pub fn missing(facts: &BmcFacts, resource: &str, what: &str) -> Outcome {
    match facts.unread(resource) {
        Some(error) => Outcome::Error(format!("the BMC did not give its {what}: {error}")),
        None => Outcome::Skip(format!("the BMC does not report its {what}")),
    }
}

/// The result of one check on one system.
pub fn evaluate(
    check: &dyn BmcCheck,
    facts: &BmcFacts,
    context: &Context,
    selection: &Selection,
) -> Option<CheckResult> {
    let id = check.id();
    if !selection.only.is_empty() && !selection.only.iter().any(|only| only == id) {
        return None;
    }
    let result =
        |status, observed: String, expected: String, hint: Option<String>, reason| CheckResult {
            id: id.to_owned(),
            title: check.title().to_owned(),
            status,
            observed,
            expected,
            hint: hint.unwrap_or_else(|| check.hint().to_owned()),
            reason,
        };
    if selection.skip.iter().any(|skip| skip == id) {
        let reason = Some("skipped with --skip".to_owned());
        return Some(result(
            Status::Skip,
            String::new(),
            String::new(),
            None,
            reason,
        ));
    }
    let requested = selection.only.iter().any(|only| only == id);
    if let Some(reason) = check.scope().skip_reason(context, requested) {
        return Some(result(
            Status::Skip,
            String::new(),
            String::new(),
            None,
            Some(reason),
        ));
    }
    Some(match check.run(facts, context) {
        Outcome::Observed(observation) => {
            let status = match (observation.level, check.severity()) {
                (Level::Ok, _) => Status::Pass,
                (Level::Warn, _) | (Level::Fail, Severity::Advisory) => Status::Warn,
                (Level::Fail, Severity::Required) => Status::Fail,
            };
            result(
                status,
                observation.observed,
                observation.expected,
                observation.hint,
                None,
            )
        }
        Outcome::Skip(reason) => result(
            Status::Skip,
            String::new(),
            String::new(),
            None,
            Some(reason),
        ),
        Outcome::Error(reason) => result(
            Status::Error,
            String::new(),
            String::new(),
            None,
            Some(reason),
        ),
    })
}

#[cfg(test)]
pub mod testing {
    //! Facts as the checks' tests build them.

    use ironprep_schema::bmc::{BmcFacts, BmcProcessor};
    use ironprep_schema::{CheckResult, Profile, Role, Status};

    use super::{BmcCheck, Context, Selection, evaluate};

    /// A healthy two-socket server as a BMC reports it.
    pub fn server() -> BmcFacts {
        let cpu = |id: &str| BmcProcessor {
            id: id.to_owned(),
            model: Some("Intel(R) Xeon(R) Gold 6354 CPU @ 3.00GHz".to_owned()),
            manufacturer: Some("Intel".to_owned()),
            processor_type: Some("CPU".to_owned()),
            instruction_set: Some("x86-64".to_owned()),
            vendor_id: Some("GenuineIntel".to_owned()),
            effective_family: Some("6".to_owned()),
            effective_model: Some("106".to_owned()),
            identification_registers: Some("0x000606A6".to_owned()),
            cores: Some(18),
            threads: Some(36),
            max_speed_mhz: Some(4000),
            operating_speed_mhz: Some(3000),
        };
        BmcFacts {
            url: "https://10.0.0.21".to_owned(),
            system_id: "System.Embedded.1".to_owned(),
            manufacturer: Some("Dell Inc.".to_owned()),
            model: Some("PowerEdge R750".to_owned()),
            serial_number: Some("CNIVC0014M0388".to_owned()),
            smbios_serial: Some("F54P1G3".to_owned()),
            sku: Some("F54P1G3".to_owned()),
            uuid: Some("4c4c4544-0035-3410-8050-c6c04f314733".to_owned()),
            power_state: Some("On".to_owned()),
            processors: vec![cpu("CPU.Socket.1"), cpu("CPU.Socket.2")],
            memory_mib: Some(512 * 1024),
            ..BmcFacts::default()
        }
    }

    pub fn context(roles: &[Role]) -> Context {
        Context {
            profile: Profile::Immutable,
            roles: roles.to_vec(),
            emulated_tpm: false,
        }
    }

    pub fn run(check: &dyn BmcCheck, facts: &BmcFacts) -> CheckResult {
        run_in(check, facts, &context(&[Role::ControlPlane]))
    }

    pub fn run_in(check: &dyn BmcCheck, facts: &BmcFacts, context: &Context) -> CheckResult {
        evaluate(check, facts, context, &Selection::default()).expect("selected")
    }

    pub fn assert_status(result: &CheckResult, status: Status) {
        assert_eq!(result.status, status, "{result:#?}");
    }
}
