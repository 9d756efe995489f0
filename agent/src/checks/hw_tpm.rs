//! `hw.tpm`: elemental registers a machine by attesting with its TPM 2.0. Without one the
//! registration fails at boot of the live ISO, unless the MachineRegistration emulates a TPM
//! (`emulate-tpm: true`), which gives no hardware identity and is for a proof of concept only.

use crate::check::{Check, Context, Observation, Outcome, Scope};
use crate::hardware::{self, Tpm, TpmVersion};
use crate::host::{Host, HostError};

pub struct HwTpm;

impl Check for HwTpm {
    fn id(&self) -> &'static str {
        "hw.tpm"
    }

    fn title(&self) -> &'static str {
        "a TPM 2.0 is present"
    }

    fn hint(&self) -> &'static str {
        "enable the TPM 2.0 in the firmware setup (Intel PTT or AMD fTPM, or a discrete TPM module \
         set to 2.0 mode) and check that the kernel sees it (/dev/tpmrm0); for a VM add a vTPM \
         2.0, in libvirt `<tpm model='tpm-crb'><backend type='emulator' version='2.0'/></tpm>`"
    }

    fn scope(&self) -> Scope {
        Scope::IMMUTABLE
    }

    fn run(&self, host: &Host, context: &Context) -> Result<Outcome, HostError> {
        let tpm = hardware::tpm(host)?;
        let (found, version) = match &tpm {
            Tpm::Absent => ("no TPM (/sys/class/tpm/tpm0 absent)".to_owned(), None),
            Tpm::Present { version, evidence } => {
                let name = match version {
                    TpmVersion::V2 => "TPM 2.0",
                    TpmVersion::V1_2 => "TPM 1.2",
                    TpmVersion::Unknown => "a TPM of unknown version",
                };
                (format!("{name} ({evidence})"), Some(*version))
            }
        };
        let expected = "TPM 2.0 (emulate-tpm: true only for a proof of concept)";
        if context.emulated_tpm {
            let observed = if version == Some(TpmVersion::V2) {
                format!("{found}, but the registration emulates one (emulate-tpm: true): PoC only")
            } else {
                format!(
                    "{found}; no TPM 2.0; the registration emulates one (emulate-tpm: true): \
                     PoC only"
                )
            };
            return Ok(Observation::new(observed, expected)
                .warn_if(true)
                .with_hint(
                    "for production set emulate-tpm: false in the MachineRegistration and \
                     enable the TPM 2.0 in the firmware (Intel PTT or AMD fTPM)",
                )
                .into());
        }
        Ok(Observation::new(found, expected)
            .warn_if(version == Some(TpmVersion::Unknown))
            .fail_if(version.is_none() || version == Some(TpmVersion::V1_2))
            .into())
    }
}

#[cfg(test)]
mod tests {
    use ironprep_schema::{Cni, Profile, Role, Status};

    use super::*;
    use crate::testing::{Tree, assert_status, context};

    fn immutable(emulated_tpm: bool) -> Context {
        Context {
            emulated_tpm,
            ..context(Profile::Immutable, &[Role::Worker], Cni::KubeOvn)
        }
    }

    fn tpm20() -> Tree {
        Tree::new()
            .file("sys/class/tpm/tpm0/tpm_version_major", "2\n")
            .file("sys/class/tpm/tpm0/device/description", "TPM 2.0 Device\n")
            .dir("sys/class/tpmrm/tpmrm0")
    }

    #[test]
    fn a_tpm_2_passes() {
        let result = tpm20().run(&HwTpm, &immutable(false));
        assert_status(&result, Status::Pass);
        assert_eq!(result.observed, "TPM 2.0 (tpm_version_major 2)");
    }

    #[test]
    fn an_older_kernel_without_tpm_version_major_still_tells() {
        let result = Tree::new()
            .file("sys/class/tpm/tpm0/device/description", "TPM 2.0 Device\n")
            .run(&HwTpm, &immutable(false));
        assert_status(&result, Status::Pass);
        assert_eq!(result.observed, "TPM 2.0 (described as 'TPM 2.0 Device')");
    }

    #[test]
    fn a_tpm_1_2_fails() {
        let caps = "Manufacturer: 0x49465800\nTCG version: 1.2\nFirmware version: 6.40\n";
        let result = Tree::new()
            .file("sys/class/tpm/tpm0/device/caps", caps)
            .run(&HwTpm, &immutable(false));
        assert_status(&result, Status::Fail);
        assert_eq!(result.observed, "TPM 1.2 (caps: TCG version 1.2)");
    }

    #[test]
    fn no_tpm_fails() {
        let result = Tree::new().dir("sys/class").run(&HwTpm, &immutable(false));
        assert_status(&result, Status::Fail);
        assert_eq!(result.observed, "no TPM (/sys/class/tpm/tpm0 absent)");
    }

    #[test]
    fn an_unknown_version_warns() {
        let result = Tree::new()
            .dir("sys/class/tpm/tpm0")
            .run(&HwTpm, &immutable(false));
        assert_status(&result, Status::Warn);
        assert_eq!(
            result.observed,
            "a TPM of unknown version (/sys/class/tpm/tpm0 exists)"
        );
    }

    #[test]
    fn emulation_turns_a_missing_tpm_into_a_poc_warning() {
        let result = Tree::new().run(&HwTpm, &immutable(true));
        assert_status(&result, Status::Warn);
        assert_eq!(
            result.observed,
            "no TPM (/sys/class/tpm/tpm0 absent); no TPM 2.0; the registration emulates one \
             (emulate-tpm: true): PoC only"
        );
        let with_real = tpm20().run(&HwTpm, &immutable(true));
        assert_status(&with_real, Status::Warn);
        assert!(
            with_real.observed.starts_with("TPM 2.0"),
            "{}",
            with_real.observed
        );
    }

    #[test]
    fn a_malformed_version_is_an_error_naming_the_file() {
        let result = Tree::new()
            .file("sys/class/tpm/tpm0/tpm_version_major", "\n")
            .run(&HwTpm, &immutable(false));
        assert_status(&result, Status::Error);
        assert_eq!(
            result.reason.as_deref(),
            Some("/sys/class/tpm/tpm0/tpm_version_major: malformed version ''")
        );
    }

    #[test]
    fn the_traditional_profile_runs_it_only_when_asked() {
        assert_status(&tpm20().status(&HwTpm), Status::Skip);
    }
}
