//! `memory.size` from the BMC: the installed memory (`MemorySummary`), against the sizing
//! guide's figures for the node's role — the same figures as the agent's check
//! (`ironprep_schema::sizing`). The BMC counts installed DIMMs, so no allowance for the
//! kernel's reservations is needed, and there is no hypervisor to warn about.

use ironprep_schema::Role;
use ironprep_schema::bmc::BmcFacts;
use ironprep_schema::sizing;

use super::is_arm;
use crate::bmc::check::{BmcCheck, Context, Observation, Outcome, Scope, missing};

pub struct MemorySize;

impl BmcCheck for MemorySize {
    fn id(&self) -> &'static str {
        "memory.size"
    }

    fn title(&self) -> &'static str {
        "the node has the memory the sizing guide asks for its role (control plane 16 GB, worker 24 GB)"
    }

    fn hint(&self) -> &'static str {
        "give the node the memory of its role (control plane ≥ 16 GB, 32 GB recommended; worker \
         ≥ 24 GB, 48 GB recommended; single-node PoC ≥ 32 GB; ARM: 1.5× the minimum, 2× \
         recommended), without memory overcommit or ballooning on the hypervisor"
    }

    fn scope(&self) -> Scope {
        Scope::EVERY_PROFILE.for_roles(&[Role::ControlPlane, Role::Worker])
    }

    fn run(&self, facts: &BmcFacts, context: &Context) -> Outcome {
        let Some(mib) = facts.memory_mib else {
            return missing(facts, "System", "memory size (MemorySummary)");
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
        let gib = mib as f64 / 1024.0;
        let mut observed = format!("{gib:.1} GiB installed (MemorySummary)");
        if arm {
            observed.push_str(", ARM");
        }
        let below = |gigabytes: u64| mib < gigabytes * 1024;
        Observation::new(
            observed,
            requirement.describe(|tier| format!("{} GB", tier.memory_gb)),
        )
        .warn_if(below(requirement.recommended.memory_gb))
        .fail_if(below(requirement.minimum.memory_gb))
        .into()
    }
}

#[cfg(test)]
mod tests {
    use ironprep_schema::{Role, Status};

    use super::*;
    use crate::bmc::check::testing::{assert_status, context, run, run_in, server};

    #[test]
    fn sizes_against_the_minimum() {
        let result = run(&MemorySize, &server());
        assert_status(&result, Status::Pass);
        assert_eq!(result.observed, "512.0 GiB installed (MemorySummary)");
        let small = BmcFacts {
            memory_mib: Some(15872),
            ..server()
        };
        let result = run(&MemorySize, &small);
        assert_status(&result, Status::Fail);
        assert_eq!(
            result.expected,
            "≥ 16 GB for a control-plane node (32 GB recommended)"
        );
    }

    #[test]
    fn arm_needs_more_and_workers_are_sized_as_workers() {
        let mut arm = server();
        for processor in &mut arm.processors {
            processor.instruction_set = Some("ARM-A64".to_owned());
        }
        arm.memory_mib = Some(24 * 1024);
        assert_status(&run(&MemorySize, &arm), Status::Warn);
        let mut worker = server();
        worker.memory_mib = Some(32 * 1024);
        let worker = run_in(&MemorySize, &worker, &context(&[Role::Worker]));
        assert_status(&worker, Status::Warn);
        assert_eq!(
            worker.expected,
            "≥ 24 GB for a worker node (48 GB recommended)"
        );
    }

    #[test]
    fn an_unreported_size_is_skipped() {
        let facts = BmcFacts {
            memory_mib: None,
            ..server()
        };
        let result = run(&MemorySize, &facts);
        assert_status(&result, Status::Skip);
        assert_eq!(
            result.reason.as_deref(),
            Some("the BMC does not report its memory size (MemorySummary)")
        );
    }
}
