//! `hw.smbios-identity` from the BMC: elemental names each machine from its SMBIOS System UUID
//! and Serial Number; missing or vendor-placeholder values make machines collide. The serial
//! judged is the one SMBIOS will show (on Dell the Service Tag, which Redfish calls `SKU`),
//! and the placeholder rule is the agent's (`ironprep_schema::identity`).

use ironprep_schema::bmc::BmcFacts;
use ironprep_schema::identity::is_placeholder;

use crate::bmc::check::{BmcCheck, Context, Observation, Outcome, Scope};

const EXPECTED: &str = "System UUID and Serial Number set, not vendor placeholders";

pub struct HwSmbiosIdentity;

impl BmcCheck for HwSmbiosIdentity {
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

    fn run(&self, facts: &BmcFacts, _: &Context) -> Outcome {
        let serial_label = if facts.smbios_serial.is_some()
            && facts.smbios_serial == facts.sku
            && facts.smbios_serial != facts.serial_number
        {
            "serial (Service Tag, Redfish SKU)"
        } else {
            "serial"
        };
        let mut usable = true;
        let mut parts = Vec::new();
        for (value, label) in [(&facts.uuid, "UUID"), (&facts.smbios_serial, serial_label)] {
            let text = match value.as_deref() {
                None => {
                    usable = false;
                    format!("{label} not reported by the BMC")
                }
                Some(value) if is_placeholder(value) => {
                    usable = false;
                    format!("{label} '{value}' (a vendor placeholder)")
                }
                Some(value) if label == "UUID" && value.starts_with("00000000-0000-0000-0000-") => {
                    // Supermicro: zeros and the board's MAC; unique per board, so usable.
                    format!("{label} {value} (zeros and the board's MAC: unique, not random)")
                }
                Some(value) => format!("{label} {value}"),
            };
            parts.push(text);
        }
        Observation::new(parts.join(", "), EXPECTED)
            .fail_if(!usable)
            .into()
    }
}

#[cfg(test)]
mod tests {
    use ironprep_schema::{Profile, Role, Status};

    use super::*;
    use crate::bmc::check::testing::{assert_status, context, run, run_in, server};

    #[test]
    fn dell_reports_the_service_tag_as_the_serial() {
        let result = run(&HwSmbiosIdentity, &server());
        assert_status(&result, Status::Pass);
        assert_eq!(
            result.observed,
            "UUID 4c4c4544-0035-3410-8050-c6c04f314733, serial (Service Tag, Redfish SKU) F54P1G3"
        );
    }

    #[test]
    fn placeholders_and_missing_values_fail() {
        let facts = BmcFacts {
            uuid: Some("03000200-0400-0500-0006-000700080009".to_owned()),
            serial_number: Some("To Be Filled By O.E.M.".to_owned()),
            smbios_serial: Some("To Be Filled By O.E.M.".to_owned()),
            sku: None,
            ..server()
        };
        let result = run(&HwSmbiosIdentity, &facts);
        assert_status(&result, Status::Fail);
        assert_eq!(
            result.observed,
            "UUID '03000200-0400-0500-0006-000700080009' (a vendor placeholder), \
             serial 'To Be Filled By O.E.M.' (a vendor placeholder)"
        );
        let missing = BmcFacts {
            uuid: None,
            ..server()
        };
        let result = run(&HwSmbiosIdentity, &missing);
        assert_status(&result, Status::Fail);
        assert!(result.observed.starts_with("UUID not reported by the BMC"));
    }

    #[test]
    fn the_traditional_profile_skips_it() {
        let mut traditional = context(&[Role::Worker]);
        traditional.profile = Profile::Traditional;
        assert_status(
            &run_in(&HwSmbiosIdentity, &server(), &traditional),
            Status::Skip,
        );
    }
}
