//! The ordered registry of BMC checks. Where the agent has a check of the same fact the ID,
//! title, hint and scope are the agent's (the e2e suite compares them with
//! `ironprep-agent --list`), so a host reads the same whether it was checked over SSH or
//! through its BMC; the `bmc.*` checks exist only here.

use ironprep_schema::bmc::{BmcFacts, BmcProcessor};

use super::check::{BmcCheck, Outcome, missing};

mod bmc_boot_mode;
mod bmc_secure_boot;
mod bmc_virtual_media;
mod cpu_cores;
mod cpu_frequency;
mod cpu_isa_level;
mod disk_ssd;
mod hw_smbios_identity;
mod hw_tpm;
mod memory_size;
mod net_nics;

/// Every BMC check, in report order (the agent's order for the shared ones).
pub static ALL: &[&dyn BmcCheck] = &[
    &memory_size::MemorySize,
    &net_nics::NetNics,
    &cpu_isa_level::CpuIsaLevel,
    &cpu_cores::CpuCores,
    &cpu_frequency::CpuFrequency,
    &disk_ssd::DiskSsd,
    &hw_smbios_identity::HwSmbiosIdentity,
    &hw_tpm::HwTpm,
    &bmc_boot_mode::BmcBootMode,
    &bmc_secure_boot::BmcSecureBoot,
    &bmc_virtual_media::BmcVirtualMediaSlot,
];

pub fn find(id: &str) -> Option<&'static dyn BmcCheck> {
    ALL.iter().copied().find(|check| check.id() == id)
}

/// ARM processors (Kunpeng 920) need 1.5× the x86 figures.
fn is_arm(facts: &BmcFacts) -> bool {
    facts.processors.iter().any(|cpu| {
        cpu.instruction_set
            .as_deref()
            .is_some_and(|set| set.to_uppercase().starts_with("ARM"))
    })
}

/// The CPUs, or the outcome of a check that needs them when the BMC gave none.
fn cpus_or_missing(facts: &BmcFacts) -> Result<&[BmcProcessor], Outcome> {
    if facts.processors.is_empty() {
        return Err(missing(facts, "Processors", "processors"));
    }
    Ok(&facts.processors)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    /// The check IDs the SPEC gives BMC checks: the agent's hardware IDs and `bmc.*`.
    const SPEC_IDS: &[&str] = &[
        "memory.size",
        "net.nics",
        "cpu.isa-level",
        "cpu.cores",
        "cpu.frequency",
        "disk.ssd",
        "hw.smbios-identity",
        "hw.tpm",
        "bmc.boot-mode",
        "bmc.secure-boot",
        "bmc.virtual-media",
    ];

    #[test]
    fn the_registry_is_the_spec_list_with_unique_well_formed_ids() {
        let ids: Vec<&str> = ALL.iter().map(|check| check.id()).collect();
        assert_eq!(ids, SPEC_IDS);
        let unique: BTreeSet<&str> = ids.iter().copied().collect();
        assert_eq!(unique.len(), ids.len());
        for check in ALL {
            let (area, name) = check.id().split_once('.').expect("area.name");
            for part in [area, name] {
                assert!(
                    !part.is_empty()
                        && part
                            .chars()
                            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                    "{}",
                    check.id()
                );
            }
            assert!(
                !check.title().ends_with('.') && check.hint().len() > 10,
                "{}",
                check.id()
            );
        }
    }

    #[test]
    fn find_knows_every_check() {
        for check in ALL {
            assert_eq!(find(check.id()).map(|found| found.id()), Some(check.id()));
        }
        assert!(find("memory.swap").is_none());
    }
}
