//! `net.nics` from the BMC: a host with no cabled NIC cannot register. The BMC knows each
//! NIC's MAC and link, not its addresses: whether an IPv4 address comes from DHCP is judged by
//! the agent once the host runs the live ISO.

use ironprep_schema::bmc::{BmcFacts, BmcNic};

use crate::bmc::check::{BmcCheck, Context, Observation, Outcome, Scope, missing};

/// NICs named in `observed`; a four-port card per socket must not make the line endless.
const SHOWN: usize = 6;

pub struct NetNics;

impl BmcCheck for NetNics {
    fn id(&self) -> &'static str {
        "net.nics"
    }

    fn title(&self) -> &'static str {
        "a NIC has link and an IPv4 address"
    }

    fn hint(&self) -> &'static str {
        "cable a NIC and give it an IPv4 address — RHEL/CentOS/Kylin: `nmcli connection up CONN`; \
         Ubuntu: `netplan apply`; for the immutable profile prefer DHCP (a reservation per MAC), \
         which the elemental live ISO uses without further setup"
    }

    fn scope(&self) -> Scope {
        Scope::EVERY_PROFILE
    }

    fn run(&self, facts: &BmcFacts, _: &Context) -> Outcome {
        if facts.nics.is_empty() {
            return missing(facts, "EthernetInterfaces", "NICs (EthernetInterfaces)");
        }
        let up = facts.nics.iter().filter(|nic| is_up(nic)).count();
        // A disabled port reports no link, and cannot have one.
        let unknown = facts
            .nics
            .iter()
            .filter(|nic| nic.link.is_none() && nic.enabled != Some(false))
            .count();
        let mut observed: Vec<String> = facts.nics.iter().take(SHOWN).map(describe).collect();
        if facts.nics.len() > SHOWN {
            observed.push(format!("and {} more", facts.nics.len() - SHOWN));
        }
        let mut observed = observed.join("; ");
        let expected = "a NIC with link (IPv4 and DHCP are judged by the agent on the live ISO)";
        if up > 0 {
            return Observation::new(observed, expected).into();
        }
        if unknown > 0 {
            observed.push_str("; the BMC does not report the link of every NIC");
            return Observation::new(observed, expected)
                .warn_if(true)
                .with_hint(
                    "this BMC does not publish NIC link state (HPE iLO does not): check the \
                     cabling and the switch port, or run `ironprep check` on the live ISO",
                )
                .into();
        }
        if facts.power_state.as_deref() != Some("On") {
            observed.push_str("; the host is powered off, and NICs may get link only at boot");
            return Observation::new(observed, expected)
                .warn_if(true)
                .with_hint(
                    "power the host on (or boot it with `ironprep bmc boot`) and check again; if \
                     links stay down, cable a NIC to a switch port in the cluster's network",
                )
                .into();
        }
        observed.push_str("; no NIC has link");
        Observation::new(observed, expected).fail_if(true).into()
    }
}

fn is_up(nic: &BmcNic) -> bool {
    nic.link.as_deref() == Some("LinkUp")
}

/// `NIC.Integrated.1-1-1 E4:3D:1A:13:27:F0 LinkUp 25 Gbit/s`.
fn describe(nic: &BmcNic) -> String {
    let mut parts = vec![nic.id.clone()];
    // Some BMCs (sushy, OpenBMC) name a NIC by its MAC: say it once.
    if let Some(mac) = nic
        .mac
        .as_ref()
        .filter(|mac| !mac.eq_ignore_ascii_case(&nic.id))
    {
        parts.push(mac.to_uppercase());
    }
    parts.push(
        nic.link
            .clone()
            .unwrap_or_else(|| "link not reported".to_owned()),
    );
    if let Some(speed) = nic.speed_mbps.filter(|_| is_up(nic)) {
        parts.push(if speed >= 1000 && speed % 1000 == 0 {
            format!("{} Gbit/s", speed / 1000)
        } else {
            format!("{speed} Mbit/s")
        });
    }
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use ironprep_schema::Status;

    use super::*;
    use crate::bmc::check::testing::{assert_status, run, server};

    fn nic(id: &str, link: Option<&str>, speed: Option<u64>) -> BmcNic {
        BmcNic {
            id: id.to_owned(),
            mac: Some("e4:3d:1a:13:27:f0".to_owned()),
            link: link.map(str::to_owned),
            speed_mbps: speed,
            enabled: Some(true),
        }
    }

    fn with(nics: Vec<BmcNic>) -> BmcFacts {
        BmcFacts { nics, ..server() }
    }

    #[test]
    fn a_nic_with_link_passes() {
        let result = run(
            &NetNics,
            &with(vec![
                nic("NIC.1", Some("LinkUp"), Some(25000)),
                nic("NIC.2", Some("LinkDown"), None),
            ]),
        );
        assert_status(&result, Status::Pass);
        assert_eq!(
            result.observed,
            "NIC.1 E4:3D:1A:13:27:F0 LinkUp 25 Gbit/s; NIC.2 E4:3D:1A:13:27:F0 LinkDown"
        );
    }

    #[test]
    fn no_link_fails_when_on_and_warns_when_off() {
        let down = with(vec![nic("NIC.1", Some("LinkDown"), None)]);
        let result = run(&NetNics, &down);
        assert_status(&result, Status::Fail);
        assert!(result.observed.ends_with("; no NIC has link"));
        let off = BmcFacts {
            power_state: Some("Off".to_owned()),
            ..down
        };
        assert_status(&run(&NetNics, &off), Status::Warn);
    }

    #[test]
    fn a_disabled_port_without_link_status_does_not_make_it_unknown() {
        let mut disabled = nic("NIC.Slot.5-1", None, None);
        disabled.enabled = Some(false);
        let result = run(
            &NetNics,
            &with(vec![nic("NIC.1", Some("LinkDown"), None), disabled]),
        );
        assert_status(&result, Status::Fail);
    }

    #[test]
    fn an_unreported_link_warns() {
        let result = run(&NetNics, &with(vec![nic("1", None, None); 7]));
        assert_status(&result, Status::Warn);
        assert!(
            result.observed.contains("; and 1 more;"),
            "{}",
            result.observed
        );
        assert!(result.hint.contains("HPE iLO"));
    }
}
