//! `hw.smbios-identity`: elemental's MachineRegistration names each machine from its SMBIOS
//! System UUID and Serial Number. Missing or vendor-placeholder values make machines collide
//! (one MachineInventory for several hosts) or get names nobody can map back to a server.

use crate::check::{Check, Context, Observation, Outcome, Scope};
use crate::hardware::{self, DMI_DIR};
use crate::host::{Host, HostError};

const EXPECTED: &str = "System UUID and Serial Number set, not vendor placeholders";

pub struct HwSmbiosIdentity;

impl Check for HwSmbiosIdentity {
    fn id(&self) -> &'static str {
        "hw.smbios-identity"
    }

    fn title(&self) -> &'static str {
        "SMBIOS System UUID and Serial Number identify the machine"
    }

    fn hint(&self) -> &'static str {
        "MachineRegistration names machines from these values: set a unique System UUID and \
         Serial Number in the firmware or BMC (the vendor's DMI tool); for a VM give each VM \
         its own (libvirt <sysinfo type='smbios'> with a serial entry and a distinct <uuid>; \
         VMware: uuid.bios and serialNumber), or name machines from other values in the \
         MachineRegistration's machineName"
    }

    fn scope(&self) -> Scope {
        Scope::IMMUTABLE
    }

    fn run(&self, host: &Host, _: &Context) -> Result<Outcome, HostError> {
        if !host.is_dir(DMI_DIR)? {
            return Ok(Observation::new(
                format!(
                    "no SMBIOS ({DMI_DIR} absent): elemental cannot name the machine from its UUID"
                ),
                EXPECTED,
            )
            .fail_if(true)
            .into());
        }
        let mut usable = true;
        let mut parts = Vec::new();
        for (field, label) in [("product_uuid", "UUID"), ("product_serial", "serial")] {
            let (text, ok) = match hardware::dmi_field(host, field)? {
                None => (format!("{label} missing ({DMI_DIR}/{field})"), false),
                Some(value) if value.is_empty() => (format!("{label} empty"), false),
                Some(value) if hardware::is_dmi_placeholder(&value) => {
                    (format!("{label} '{value}' (a vendor placeholder)"), false)
                }
                Some(value) => (format!("{label} {value}"), true),
            };
            usable &= ok;
            parts.push(text);
        }
        Ok(Observation::new(parts.join(", "), EXPECTED)
            .fail_if(!usable)
            .into())
    }
}

#[cfg(test)]
mod tests {
    use ironprep_schema::{Cni, Profile, Role, Status};

    use super::*;
    use crate::testing::{Tree, assert_status, context};

    fn immutable() -> Context {
        context(Profile::Immutable, &[Role::ControlPlane], Cni::KubeOvn)
    }

    fn dmi(uuid: &str, serial: &str) -> Tree {
        Tree::new()
            .file("sys/class/dmi/id/sys_vendor", "Dell Inc.\n")
            .file("sys/class/dmi/id/product_name", "PowerEdge R640\n")
            .file("sys/class/dmi/id/product_uuid", &format!("{uuid}\n"))
            .file("sys/class/dmi/id/product_serial", &format!("{serial}\n"))
    }

    #[test]
    fn a_real_server_passes_and_reports_both_values() {
        let result = dmi("4c4c4544-0042-3510-8052-b4c04f395632", "5R2Y9Q2")
            .run(&HwSmbiosIdentity, &immutable());
        assert_status(&result, Status::Pass);
        assert_eq!(
            result.observed,
            "UUID 4c4c4544-0042-3510-8052-b4c04f395632, serial 5R2Y9Q2"
        );
    }

    #[test]
    fn placeholders_fail_and_are_named() {
        let result = dmi(
            "03000200-0400-0500-0006-000700080009",
            "To Be Filled By O.E.M.",
        )
        .run(&HwSmbiosIdentity, &immutable());
        assert_status(&result, Status::Fail);
        assert_eq!(
            result.observed,
            "UUID '03000200-0400-0500-0006-000700080009' (a vendor placeholder), \
             serial 'To Be Filled By O.E.M.' (a vendor placeholder)"
        );
        let zeros = dmi("00000000-0000-0000-0000-000000000000", "CZ29430F5K")
            .run(&HwSmbiosIdentity, &immutable());
        assert_status(&zeros, Status::Fail);
    }

    #[test]
    fn a_vm_without_a_serial_fails() {
        let result = Tree::new()
            .file("sys/class/dmi/id/sys_vendor", "QEMU\n")
            .file(
                "sys/class/dmi/id/product_uuid",
                "8d4e2b1c-6f3a-4e7d-9b2a-1c5f0e9d3a71\n",
            )
            .file("sys/class/dmi/id/product_serial", "\n")
            .run(&HwSmbiosIdentity, &immutable());
        assert_status(&result, Status::Fail);
        assert_eq!(
            result.observed,
            "UUID 8d4e2b1c-6f3a-4e7d-9b2a-1c5f0e9d3a71, serial empty"
        );
    }

    #[test]
    fn no_smbios_fails() {
        let result = Tree::new()
            .dir("sys/class")
            .run(&HwSmbiosIdentity, &immutable());
        assert_status(&result, Status::Fail);
        assert_eq!(
            result.observed,
            "no SMBIOS (/sys/class/dmi/id absent): elemental cannot name the machine from \
             its UUID"
        );
    }

    #[test]
    fn missing_files_are_named() {
        let result = Tree::new()
            .file("sys/class/dmi/id/sys_vendor", "Supermicro\n")
            .run(&HwSmbiosIdentity, &immutable());
        assert_status(&result, Status::Fail);
        assert_eq!(
            result.observed,
            "UUID missing (/sys/class/dmi/id/product_uuid), serial missing \
             (/sys/class/dmi/id/product_serial)"
        );
    }

    #[test]
    fn an_unreadable_value_is_an_error_naming_the_file() {
        // Without root the kernel's 0400 mode gives "permission denied (run as root)"; a
        // directory in the file's place fails the same way whoever runs the test.
        let result = Tree::new()
            .file("sys/class/dmi/id/product_serial", "5R2Y9Q2\n")
            .dir("sys/class/dmi/id/product_uuid")
            .run(&HwSmbiosIdentity, &immutable());
        assert_status(&result, Status::Error);
        let reason = result.reason.unwrap_or_default();
        assert!(
            reason.starts_with("/sys/class/dmi/id/product_uuid: "),
            "{reason}"
        );
    }

    #[test]
    fn the_traditional_profile_runs_it_only_when_asked() {
        let result =
            dmi("4c4c4544-0042-3510-8052-b4c04f395632", "5R2Y9Q2").status(&HwSmbiosIdentity);
        assert_status(&result, Status::Skip);
    }
}
