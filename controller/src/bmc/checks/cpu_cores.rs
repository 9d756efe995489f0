//! `cpu.cores` from the BMC: the physical cores of all sockets (`TotalCores`; `TotalThreads`
//! only when the BMC gives no cores, saying so), against the sizing guide's figures for the
//! node's role — the same figures as the agent's check (`ironprep_schema::sizing`). A BMC
//! speaks for the physical machine, so there is no hypervisor to warn about.

use ironprep_schema::Role;
use ironprep_schema::bmc::BmcFacts;
use ironprep_schema::sizing;

use super::{cpus_or_missing, is_arm};
use crate::bmc::check::{BmcCheck, Context, Observation, Outcome, Scope};

pub struct CpuCores;

impl BmcCheck for CpuCores {
    fn id(&self) -> &'static str {
        "cpu.cores"
    }

    fn title(&self) -> &'static str {
        "the node has the cores the sizing guide asks for its role (control plane 8, worker 12)"
    }

    fn hint(&self) -> &'static str {
        "give the node the cores of its role (control plane ≥ 8, 16 recommended; worker ≥ 12, \
         24 recommended; single-node PoC ≥ 16; ARM: 1.5× the minimum, 2× recommended); on a \
         hypervisor reserve them for this VM (no CPU overcommit: dedicated or pinned vCPUs)"
    }

    fn scope(&self) -> Scope {
        Scope::EVERY_PROFILE.for_roles(&[Role::ControlPlane, Role::Worker])
    }

    fn run(&self, facts: &BmcFacts, context: &Context) -> Outcome {
        let cpus = match cpus_or_missing(facts) {
            Ok(cpus) => cpus,
            Err(outcome) => return outcome,
        };
        let arm = is_arm(facts);
        let Some(requirement) = sizing::requirement(
            context.has_role(Role::ControlPlane),
            context.has_role(Role::Worker),
            false,
            arm,
        ) else {
            return Outcome::Skip("neither a control-plane nor a worker node".to_owned());
        };
        let cores: u32 = cpus.iter().filter_map(|cpu| cpu.cores).sum();
        let threads: u32 = cpus.iter().filter_map(|cpu| cpu.threads).sum();
        let plural =
            |count: u32, word: &str| format!("{count} {word}{}", if count == 1 { "" } else { "s" });
        let sockets = plural(cpus.len() as u32, "socket");
        let (counted, mut observed) = match (cores, threads) {
            (0, 0) => {
                return Outcome::Skip(
                    "the BMC reports neither TotalCores nor TotalThreads of its processors"
                        .to_owned(),
                );
            }
            (0, threads) => (
                threads,
                format!(
                    "{} ({sockets}; no core count: threads counted)",
                    plural(threads, "thread")
                ),
            ),
            (cores, threads) => (
                cores,
                format!(
                    "{} counted ({sockets}, {})",
                    plural(cores, "physical core"),
                    plural(threads.max(cores), "thread")
                ),
            ),
        };
        if arm {
            observed.push_str(", ARM");
        }
        let counted = counted as usize;
        Observation::new(
            observed,
            requirement.describe(|tier| format!("{} cores", tier.cores)),
        )
        .warn_if(counted < requirement.recommended.cores)
        .fail_if(counted < requirement.minimum.cores)
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
            "36 physical cores counted (2 sockets, 72 threads)"
        );
        assert_eq!(
            result.expected,
            "≥ 8 cores for a control-plane node (16 cores recommended)"
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
            "4 physical cores counted (1 socket, 4 threads)"
        );
    }

    #[test]
    fn workers_are_sized_too_and_threads_stand_in_for_missing_cores() {
        use crate::bmc::check::testing::{context, run_in};
        let mut facts = server();
        for cpu in &mut facts.processors {
            cpu.cores = Some(8);
        }
        // 16 cores: a control-plane node passes, a worker needs 24 recommended (warn).
        let worker = run_in(&CpuCores, &facts, &context(&[Role::Worker]));
        assert_status(&worker, Status::Warn);
        for cpu in &mut facts.processors {
            cpu.cores = None;
            cpu.threads = Some(2);
        }
        let result = run(&CpuCores, &facts);
        assert_status(&result, Status::Fail);
        assert!(
            result.observed.contains("threads counted"),
            "{}",
            result.observed
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
