//! `memory.size` from the BMC: the installed memory (`MemorySummary`), against the same sizing
//! minimum as the agent's check (16 GB for x86 control-plane nodes, 24 GB on ARM). The BMC
//! counts installed DIMMs, so no allowance for the kernel's reservations is needed here.

use ironprep_schema::Role;
use ironprep_schema::bmc::BmcFacts;

use super::is_arm;
use crate::bmc::check::{BmcCheck, Context, Observation, Outcome, Scope, missing};

const X86_MINIMUM_GIB: u64 = 16;
const ARM_MINIMUM_GIB: u64 = 24;
const ARM_RECOMMENDED_GIB: u64 = 32;

pub struct MemorySize;

impl BmcCheck for MemorySize {
    fn id(&self) -> &'static str {
        "memory.size"
    }

    fn title(&self) -> &'static str {
        "control-plane memory is at least 16 GB (24 GB on ARM)"
    }

    fn hint(&self) -> &'static str {
        "give the node at least 16 GB of RAM (ARM/Kunpeng 920: at least 24 GB, 32 GB \
         recommended), without memory overcommit on the hypervisor"
    }

    fn scope(&self) -> Scope {
        Scope::EVERY_PROFILE.for_roles(&[Role::ControlPlane])
    }

    fn run(&self, facts: &BmcFacts, _: &Context) -> Outcome {
        let Some(mib) = facts.memory_mib else {
            return missing(facts, "System", "memory size (MemorySummary)");
        };
        let gib = mib as f64 / 1024.0;
        let observed = format!("{gib:.1} GiB installed (MemorySummary)");
        let below = |minimum: u64| mib < minimum * 1024;
        if is_arm(facts) {
            return Observation::new(
                format!("{observed}, ARM"),
                format!("≥ {ARM_MINIMUM_GIB} GB on ARM ({ARM_RECOMMENDED_GIB} GB recommended)"),
            )
            .warn_if(below(ARM_RECOMMENDED_GIB))
            .fail_if(below(ARM_MINIMUM_GIB))
            .into();
        }
        Observation::new(observed, format!("≥ {X86_MINIMUM_GIB} GB"))
            .fail_if(below(X86_MINIMUM_GIB))
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
        assert_eq!(result.expected, "≥ 16 GB");
    }

    #[test]
    fn arm_needs_more_and_workers_are_out_of_scope() {
        let mut arm = server();
        for processor in &mut arm.processors {
            processor.instruction_set = Some("ARM-A64".to_owned());
        }
        arm.memory_mib = Some(24 * 1024);
        assert_status(&run(&MemorySize, &arm), Status::Warn);
        let worker = run_in(&MemorySize, &server(), &context(&[Role::Worker]));
        assert_status(&worker, Status::Skip);
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
