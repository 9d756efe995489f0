//! `bmc.secure-boot` (advisory): with UEFI Secure Boot on, the firmware boots only loaders
//! signed by a key it trusts. The elemental ISO's shim is signed for the Microsoft UEFI CA;
//! firmware with only the vendor's keys, or an ISO rebuilt with an unsigned loader, stops at a
//! security violation on the console, which nobody sees when booting over virtual media. So
//! the state is shown, and "on" is a warning to confirm, not a failure.

use ironprep_schema::bmc::BmcFacts;

use crate::bmc::check::{BmcCheck, Context, Observation, Outcome, Scope, Severity, missing};

pub struct BmcSecureBoot;

impl BmcCheck for BmcSecureBoot {
    fn id(&self) -> &'static str {
        "bmc.secure-boot"
    }

    fn title(&self) -> &'static str {
        "UEFI Secure Boot will let the registration ISO boot"
    }

    fn hint(&self) -> &'static str {
        "with Secure Boot on, confirm that the firmware trusts the Microsoft UEFI CA (the \
         elemental ISO's shim is signed for it) by booting one host first; if it stops with a \
         security violation, enroll the key or turn Secure Boot off in the firmware setup"
    }

    fn scope(&self) -> Scope {
        Scope::IMMUTABLE
    }

    fn severity(&self) -> Severity {
        Severity::Advisory
    }

    fn run(&self, facts: &BmcFacts, _: &Context) -> Outcome {
        let Some(secure) = &facts.secure_boot else {
            return missing(facts, "SecureBoot", "Secure Boot state");
        };
        let Some(enabled) = secure.enabled else {
            return Outcome::Skip("the BMC does not say whether Secure Boot is enabled".to_owned());
        };
        let mut observed = format!(
            "Secure Boot {}",
            if enabled { "enabled" } else { "disabled" }
        );
        if let Some(mode) = &secure.mode {
            observed.push_str(&format!(", {mode}"));
        }
        if let Some(current) = &secure.current_boot {
            observed.push_str(&format!(", current boot {current}"));
        }
        Observation::new(
            observed,
            "disabled, or enabled with the Microsoft UEFI CA trusted",
        )
        .warn_if(enabled)
        .into()
    }
}

#[cfg(test)]
mod tests {
    use ironprep_schema::Status;
    use ironprep_schema::bmc::{BmcSecureBoot as Facts, BmcUnread};

    use super::*;
    use crate::bmc::check::testing::{assert_status, run, server};

    fn with(enabled: Option<bool>) -> BmcFacts {
        BmcFacts {
            secure_boot: Some(Facts {
                enabled,
                current_boot: Some("Disabled".to_owned()),
                mode: Some("DeployedMode".to_owned()),
            }),
            ..server()
        }
    }

    #[test]
    fn enabled_warns_disabled_passes() {
        let off = run(&BmcSecureBoot, &with(Some(false)));
        assert_status(&off, Status::Pass);
        assert_eq!(
            off.observed,
            "Secure Boot disabled, DeployedMode, current boot Disabled"
        );
        assert_status(&run(&BmcSecureBoot, &with(Some(true))), Status::Warn);
        assert_status(&run(&BmcSecureBoot, &with(None)), Status::Skip);
    }

    #[test]
    fn an_unreadable_resource_is_an_error() {
        let facts = BmcFacts {
            secure_boot: None,
            unread: vec![BmcUnread {
                resource: "SecureBoot".to_owned(),
                error: "HTTP 500".to_owned(),
            }],
            ..server()
        };
        assert_status(&run(&BmcSecureBoot, &facts), Status::Error);
    }
}
