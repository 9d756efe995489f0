//! `bmc.boot-mode`: the host must boot in UEFI mode. The elemental ISO is booted once over
//! virtual media with a one-time UEFI override, and the installed OS boots through its EFI
//! partition; a host left in legacy (CSM) mode boots neither.

use ironprep_schema::bmc::BmcFacts;

use crate::bmc::check::{BmcCheck, Context, Observation, Outcome, Scope};

pub struct BmcBootMode;

impl BmcCheck for BmcBootMode {
    fn id(&self) -> &'static str {
        "bmc.boot-mode"
    }

    fn title(&self) -> &'static str {
        "the firmware boots in UEFI mode"
    }

    fn hint(&self) -> &'static str {
        "set the boot mode to UEFI in the firmware setup (Dell: System BIOS → Boot Settings → \
         Boot Mode; HPE: System Utilities → Boot Options → Boot Mode; Supermicro: Boot → Boot \
         Mode Select), or through the BMC's BIOS settings, then reboot"
    }

    fn scope(&self) -> Scope {
        Scope::IMMUTABLE
    }

    fn run(&self, facts: &BmcFacts, _: &Context) -> Outcome {
        let Some(mode) = &facts.boot.mode else {
            return Outcome::Skip(
                "the BMC reports no boot mode (no BootSourceOverrideMode, no BIOS BootMode \
                 attribute)"
                    .to_owned(),
            );
        };
        let source = facts.boot.mode_source.as_deref().unwrap_or("the BMC");
        Observation::new(format!("{mode} ({source})"), "UEFI")
            .fail_if(mode != "UEFI")
            .into()
    }
}

#[cfg(test)]
mod tests {
    use ironprep_schema::Status;
    use ironprep_schema::bmc::BmcBoot;

    use super::*;
    use crate::bmc::check::testing::{assert_status, run, server};

    fn with(mode: Option<&str>) -> BmcFacts {
        BmcFacts {
            boot: BmcBoot {
                mode: mode.map(str::to_owned),
                mode_source: Some("BIOS attribute BootMode".to_owned()),
                ..BmcBoot::default()
            },
            ..server()
        }
    }

    #[test]
    fn uefi_passes_and_legacy_fails() {
        let result = run(&BmcBootMode, &with(Some("UEFI")));
        assert_status(&result, Status::Pass);
        assert_eq!(result.observed, "UEFI (BIOS attribute BootMode)");
        assert_status(&run(&BmcBootMode, &with(Some("Legacy"))), Status::Fail);
        assert_status(&run(&BmcBootMode, &with(None)), Status::Skip);
    }
}
