//! `hw.tpm` from the BMC (`TrustedModules`): elemental registers a machine by attesting with
//! its TPM 2.0. A TPM 1.2, a Chinese TCM, a disabled TPM or none fails unless the registration
//! emulates a TPM (PoC only). Some BMCs (Supermicro) do not report TPMs at all: that is
//! "unknown", not "none".

use ironprep_schema::bmc::{BmcFacts, BmcTrustedModule};

use crate::bmc::check::{BmcCheck, Context, Observation, Outcome, Scope};

const EXPECTED: &str = "TPM 2.0 (emulate-tpm: true only for a proof of concept)";

pub struct HwTpm;

impl BmcCheck for HwTpm {
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

    fn run(&self, facts: &BmcFacts, context: &Context) -> Outcome {
        let Some(modules) = &facts.trusted_modules else {
            let observed = "the BMC does not report TrustedModules: whether a TPM 2.0 is fitted \
                            and enabled is unknown";
            return Observation::new(observed, EXPECTED)
                .warn_if(true)
                .with_hint(
                    "check the firmware setup for a TPM 2.0 (Security → TPM), or run \
                     `ironprep check --with hw.tpm` on the host's live ISO",
                )
                .into();
        };
        let usable = modules.iter().any(is_enabled_tpm2);
        let found = if modules.is_empty() {
            "no TPM (TrustedModules is empty)".to_owned()
        } else {
            modules.iter().map(describe).collect::<Vec<_>>().join("; ")
        };
        if context.emulated_tpm {
            return Observation::new(
                format!("{found}; the registration emulates one (emulate-tpm: true): PoC only"),
                EXPECTED,
            )
            .warn_if(true)
            .with_hint(
                "for production set emulate-tpm: false in the MachineRegistration and enable \
                 the TPM 2.0 in the firmware (Intel PTT or AMD fTPM)",
            )
            .into();
        }
        let disabled_tpm2 = !usable
            && modules
                .iter()
                .any(|module| module.interface_type.as_deref() == Some("TPM2_0"));
        let observation = Observation::new(found, EXPECTED).fail_if(!usable);
        if disabled_tpm2 {
            return observation
                .with_hint(
                    "the TPM 2.0 is fitted but not enabled: enable it in the firmware setup \
                     (Security → TPM → Enabled)",
                )
                .into();
        }
        observation.into()
    }
}

fn is_enabled_tpm2(module: &BmcTrustedModule) -> bool {
    module.interface_type.as_deref() == Some("TPM2_0")
        && module
            .state
            .as_deref()
            .is_none_or(|state| state == "Enabled")
}

/// `TPM2_0 (firmware 7.2.2.0), Enabled`.
fn describe(module: &BmcTrustedModule) -> String {
    let mut text = module
        .interface_type
        .clone()
        .unwrap_or_else(|| "a TPM of unreported type".to_owned());
    if let Some(firmware) = &module.firmware_version {
        text.push_str(&format!(" (firmware {firmware})"));
    }
    if let Some(state) = &module.state {
        text.push_str(&format!(", {state}"));
    }
    text
}

#[cfg(test)]
mod tests {
    use ironprep_schema::{Role, Status};

    use super::*;
    use crate::bmc::check::testing::{assert_status, context, run, run_in, server};

    fn with(modules: Option<Vec<(&str, Option<&str>)>>) -> BmcFacts {
        BmcFacts {
            trusted_modules: modules.map(|modules| {
                modules
                    .into_iter()
                    .map(|(kind, state)| BmcTrustedModule {
                        interface_type: Some(kind.to_owned()),
                        firmware_version: Some("7.2.2.0".to_owned()),
                        state: state.map(str::to_owned),
                    })
                    .collect()
            }),
            ..server()
        }
    }

    #[test]
    fn an_enabled_tpm_2_passes() {
        let result = run(&HwTpm, &with(Some(vec![("TPM2_0", Some("Enabled"))])));
        assert_status(&result, Status::Pass);
        assert_eq!(result.observed, "TPM2_0 (firmware 7.2.2.0), Enabled");
    }

    #[test]
    fn tpm_1_2_disabled_and_none_fail() {
        assert_status(
            &run(&HwTpm, &with(Some(vec![("TPM1_2", Some("Enabled"))]))),
            Status::Fail,
        );
        let disabled = run(&HwTpm, &with(Some(vec![("TPM2_0", Some("Disabled"))])));
        assert_status(&disabled, Status::Fail);
        assert!(disabled.hint.contains("fitted but not enabled"));
        let none = run(&HwTpm, &with(Some(Vec::new())));
        assert_status(&none, Status::Fail);
        assert_eq!(none.observed, "no TPM (TrustedModules is empty)");
    }

    #[test]
    fn an_unreported_tpm_warns() {
        let result = run(&HwTpm, &with(None));
        assert_status(&result, Status::Warn);
        assert!(result.observed.contains("does not report TrustedModules"));
    }

    #[test]
    fn emulation_makes_it_a_poc_warning() {
        let mut emulated = context(&[Role::Worker]);
        emulated.emulated_tpm = true;
        let result = run_in(&HwTpm, &with(Some(vec![("TPM1_2", None)])), &emulated);
        assert_status(&result, Status::Warn);
        assert!(result.observed.ends_with("PoC only"));
    }
}
