//! `cpu.cores` from the BMC: the logical CPUs of all sockets (`TotalThreads`, else
//! `TotalCores`), against the agent's minimum for control-plane nodes (8, 12 on ARM).

use ironprep_schema::Role;
use ironprep_schema::bmc::BmcFacts;

use super::{cpus_or_missing, is_arm};
use crate::bmc::check::{BmcCheck, Context, Observation, Outcome, Scope};

const X86_MINIMUM: u32 = 8;
const ARM_MINIMUM: u32 = 12;
const ARM_RECOMMENDED: u32 = 16;

pub struct CpuCores;

impl BmcCheck for CpuCores {
    fn id(&self) -> &'static str {
        "cpu.cores"
    }

    fn title(&self) -> &'static str {
        "control plane has at least 8 CPUs (12 on ARM)"
    }

    fn hint(&self) -> &'static str {
        "give the host at least 8 CPUs (ARM: at least 12, 16 recommended); on a hypervisor \
         reserve them for this VM (no CPU overcommit: dedicated or pinned vCPUs)"
    }

    fn scope(&self) -> Scope {
        Scope::EVERY_PROFILE.for_roles(&[Role::ControlPlane])
    }

    fn run(&self, facts: &BmcFacts, _: &Context) -> Outcome {
        let cpus = match cpus_or_missing(facts) {
            Ok(cpus) => cpus,
            Err(outcome) => return outcome,
        };
        let logical: u32 = cpus
            .iter()
            .map(|cpu| cpu.threads.or(cpu.cores).unwrap_or(0))
            .sum();
        let cores: u32 = cpus.iter().filter_map(|cpu| cpu.cores).sum();
        if logical == 0 {
            return Outcome::Skip(
                "the BMC reports neither TotalThreads nor TotalCores of its processors".to_owned(),
            );
        }
        let plural =
            |count: u32, word: &str| format!("{count} {word}{}", if count == 1 { "" } else { "s" });
        let mut observed = format!(
            "{} ({}",
            plural(logical, "logical CPU"),
            plural(cpus.len() as u32, "socket")
        );
        if cores > 0 {
            observed.push_str(&format!(", {}", plural(cores, "physical core")));
        }
        observed.push(')');
        if is_arm(facts) {
            return Observation::new(
                format!("{observed}, ARM"),
                format!("≥ {ARM_MINIMUM} on ARM ({ARM_RECOMMENDED} recommended)"),
            )
            .warn_if(logical < ARM_RECOMMENDED)
            .fail_if(logical < ARM_MINIMUM)
            .into();
        }
        Observation::new(observed, format!("≥ {X86_MINIMUM}"))
            .fail_if(logical < X86_MINIMUM)
            .into()
    }
}

#[cfg(test)]
mod tests {
    use ironprep_schema::Status;
    use ironprep_schema::bmc::BmcUnread;

    use super::*;
    use crate::bmc::check::testing::{assert_status, run, server};

    #[test]
    fn counts_threads_of_every_socket() {
        let result = run(&CpuCores, &server());
        assert_status(&result, Status::Pass);
        assert_eq!(
            result.observed,
            "72 logical CPUs (2 sockets, 36 physical cores)"
        );
    }

    #[test]
    fn a_small_cpu_fails_and_cores_stand_in_for_threads() {
        let mut facts = server();
        facts.processors.truncate(1);
        facts.processors[0].threads = None;
        facts.processors[0].cores = Some(4);
        let result = run(&CpuCores, &facts);
        assert_status(&result, Status::Fail);
        assert_eq!(
            result.observed,
            "4 logical CPUs (1 socket, 4 physical cores)"
        );
    }

    #[test]
    fn unreadable_processors_are_an_error_naming_why() {
        let facts = BmcFacts {
            processors: Vec::new(),
            unread: vec![BmcUnread {
                resource: "Processors".to_owned(),
                error: "/redfish/v1/Systems/1/Processors: HTTP 500".to_owned(),
            }],
            ..server()
        };
        let result = run(&CpuCores, &facts);
        assert_status(&result, Status::Error);
        assert_eq!(
            result.reason.as_deref(),
            Some("the BMC did not give its processors: /redfish/v1/Systems/1/Processors: HTTP 500")
        );
    }
}
