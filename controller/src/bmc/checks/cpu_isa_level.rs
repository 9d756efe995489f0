//! `cpu.isa-level` from the BMC: Alauda OS and the platform images need x86-64-v2. Redfish
//! publishes no feature flags, so the level is inferred from the processor's family and model
//! (`crate::bmc::isa`); a processor the table does not know warns, naming it, rather than
//! guessing.

use ironprep_schema::bmc::BmcFacts;

use super::cpus_or_missing;
use crate::bmc::check::{BmcCheck, Context, Observation, Outcome, Scope};
use crate::bmc::isa::{self, Inference};

pub struct CpuIsaLevel;

impl BmcCheck for CpuIsaLevel {
    fn id(&self) -> &'static str {
        "cpu.isa-level"
    }

    fn title(&self) -> &'static str {
        "CPU supports the x86-64-v2 baseline"
    }

    fn hint(&self) -> &'static str {
        "use a CPU with SSE4.2/POPCNT/CMPXCHG16B; for a VM, expose the host CPU to the guest — a \
         named model such as Nehalem or newer, never qemu64/kvm64, or libvirt's `<cpu \
         mode='host-passthrough'/>`"
    }

    fn scope(&self) -> Scope {
        Scope::EVERY_PROFILE
    }

    fn run(&self, facts: &BmcFacts, _: &Context) -> Outcome {
        let cpus = match cpus_or_missing(facts) {
            Ok(cpus) => cpus,
            Err(outcome) => return outcome,
        };
        let inferences: Vec<Inference> = cpus.iter().map(isa::infer).collect();
        if let Some(Inference::NotX86(text)) = inferences.first() {
            return Outcome::Skip(format!(
                "not an x86-64 CPU (the x86-64 levels do not apply): {text}"
            ));
        }
        let expected = "x86-64-v2 or higher";
        let unknown: Vec<&str> = inferences
            .iter()
            .filter_map(|inference| match inference {
                Inference::Unknown(text) | Inference::NotX86(text) => Some(text.as_str()),
                Inference::Known { .. } => None,
            })
            .collect();
        // The lowest known level decides; every socket usually says the same.
        let lowest = inferences
            .iter()
            .filter_map(|inference| match inference {
                Inference::Known {
                    level,
                    microarchitecture,
                    basis,
                } => Some((*level, *microarchitecture, basis.as_str())),
                _ => None,
            })
            .min_by_key(|(level, _, _)| *level);
        match lowest {
            Some((level, microarchitecture, basis)) => {
                let mut observed =
                    format!("x86-64-v{level} (inferred: {microarchitecture}; {basis})");
                if !unknown.is_empty() {
                    observed.push_str(&format!("; not inferred for {}", dedup(&unknown)));
                }
                Observation::new(observed, expected)
                    .warn_if(!unknown.is_empty())
                    .fail_if(level < 2)
                    .into()
            }
            None => Observation::new(format!("level unknown: {}", dedup(&unknown)), expected)
                .warn_if(true)
                .with_hint(
                    "look the processor up: x86-64-v2 needs SSE4.2, POPCNT and CMPXCHG16B (every \
                 Intel CPU since Nehalem, 2008, and AMD since Bulldozer, 2011); or run \
                 `ironprep check` on the host once it runs the live ISO, which reads CPUID",
                )
                .into(),
        }
    }
}

fn dedup(texts: &[&str]) -> String {
    let mut unique: Vec<&str> = Vec::new();
    for text in texts {
        if !unique.contains(text) {
            unique.push(text);
        }
    }
    unique.join("; ")
}

#[cfg(test)]
mod tests {
    use ironprep_schema::Status;

    use super::*;
    use crate::bmc::check::testing::{assert_status, run, server};

    #[test]
    fn a_known_server_passes_with_its_basis() {
        let result = run(&CpuIsaLevel, &server());
        assert_status(&result, Status::Pass);
        assert_eq!(
            result.observed,
            "x86-64-v4 (inferred: Ice Lake-SP; Intel family 0x6 model 0x6A, from \
             ProcessorId.EffectiveFamily/EffectiveModel)"
        );
    }

    #[test]
    fn an_old_cpu_fails() {
        let mut facts = server();
        for cpu in &mut facts.processors {
            cpu.model = Some("Intel(R) Xeon(R) CPU E5450 @ 3.00GHz".to_owned());
            cpu.effective_model = Some("23".to_owned());
        }
        let result = run(&CpuIsaLevel, &facts);
        assert_status(&result, Status::Fail);
        assert!(
            result.observed.starts_with("x86-64-v1 (inferred: Core 2"),
            "{}",
            result.observed
        );
    }

    #[test]
    fn an_unknown_model_warns_and_names_it() {
        let mut facts = server();
        for cpu in &mut facts.processors {
            cpu.model = Some("Intel(R) Xeon(R) 7999X".to_owned());
            cpu.effective_model = Some("0xFE".to_owned());
        }
        let result = run(&CpuIsaLevel, &facts);
        assert_status(&result, Status::Warn);
        assert_eq!(
            result.observed,
            "level unknown: 'Intel(R) Xeon(R) 7999X': Intel family 0x6 model 0xFE is not in \
             ironprep's table of microarchitectures"
        );
    }

    #[test]
    fn arm_is_skipped() {
        let mut facts = server();
        for cpu in &mut facts.processors {
            cpu.instruction_set = Some("ARM-A64".to_owned());
        }
        assert_status(&run(&CpuIsaLevel, &facts), Status::Skip);
    }
}
