//! Checks across hosts (`fleet.*`), from the facts the agents reported and what the
//! controller measured. Each names the hosts involved so a person knows where to look.

use std::collections::BTreeMap;

use ironprep_schema::{CheckResult, FleetCheck, HostEntry, Role, Status};

/// The most two hosts' clocks may differ (SPEC: clock difference ≤ 10 s).
pub const MAX_CLOCK_SKEW_MS: i64 = 10_000;

/// What the controller knows about a host beyond its report.
#[derive(Clone, Debug, Default)]
pub struct Measured {
    /// Roles the inventory or `--role` gave the host; empty when nobody said.
    pub roles: Vec<Role>,
    /// Host clock minus controller clock, and the half-width of the measurement window.
    pub clock_offset_ms: Option<(i64, u64)>,
}

pub fn run(hosts: &[HostEntry], measured: &BTreeMap<String, Measured>) -> Vec<FleetCheck> {
    vec![
        hostname_unique(hosts),
        uuid_unique(hosts),
        timezone(hosts),
        clock_skew(hosts, measured),
        role_count(hosts, measured),
    ]
}

pub(super) fn check(id: &str, title: &str, status: Status, hosts: Vec<String>) -> FleetCheck {
    FleetCheck {
        result: CheckResult {
            id: id.to_owned(),
            title: title.to_owned(),
            status,
            observed: String::new(),
            expected: String::new(),
            hint: String::new(),
            reason: None,
        },
        hosts,
        pairs: Vec::new(),
    }
}

pub(super) fn skipped(id: &str, title: &str, reason: &str) -> FleetCheck {
    let mut check = check(id, title, Status::Skip, Vec::new());
    check.result.reason = Some(reason.to_owned());
    check
}

/// Reported hosts with one fact each (lower-cased, as Kubernetes node names and
/// MachineInventory names compare).
fn facts<'a>(
    hosts: &'a [HostEntry],
    fact: impl Fn(&'a HostEntry) -> Option<String>,
) -> BTreeMap<String, Vec<String>> {
    let mut by_value: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for host in hosts {
        if let Some(value) = fact(host) {
            by_value.entry(value).or_default().push(host.host.clone());
        }
    }
    by_value
}

fn duplicates_check(
    id: &str,
    title: &str,
    what: &str,
    by_value: BTreeMap<String, Vec<String>>,
    hint: &str,
) -> FleetCheck {
    let duplicates: Vec<(&String, &Vec<String>)> = by_value
        .iter()
        .filter(|(_, hosts)| hosts.len() > 1)
        .collect();
    let total: usize = by_value.values().map(Vec::len).sum();
    if duplicates.is_empty() {
        let mut result = check(
            id,
            title,
            Status::Pass,
            by_value.into_values().flatten().collect(),
        );
        result.result.observed = format!("{total} hosts, {total} distinct {what}s");
        result.result.expected = format!("every {what} unique");
        return result;
    }
    let involved: Vec<String> = duplicates
        .iter()
        .flat_map(|(_, hosts)| hosts.iter().cloned())
        .collect();
    let observed = duplicates
        .iter()
        .map(|(value, hosts)| format!("{what} {value} on {}", hosts.join(", ")))
        .collect::<Vec<_>>()
        .join("; ");
    let mut result = check(id, title, Status::Fail, involved);
    result.result.observed = observed;
    result.result.expected = format!("every {what} unique");
    result.result.hint = hint.to_owned();
    result
}

fn hostname_unique(hosts: &[HostEntry]) -> FleetCheck {
    let by_name = facts(hosts, |host| {
        let report = host.report.as_ref()?;
        Some(report.host.hostname.to_lowercase()).filter(|name| !name.is_empty())
    });
    if by_name.is_empty() {
        return skipped(
            "fleet.hostname-unique",
            "hostnames are unique",
            "no host reported a hostname",
        );
    }
    duplicates_check(
        "fleet.hostname-unique",
        "hostnames are unique",
        "hostname",
        by_name,
        "give every host its own name: hostnamectl set-hostname NAME (Kubernetes node names \
         come from it)",
    )
}

pub fn uuid_unique(hosts: &[HostEntry]) -> FleetCheck {
    let by_uuid = facts(hosts, |host| host.report.as_ref()?.host.system_uuid.clone());
    if by_uuid.is_empty() {
        return skipped(
            "fleet.uuid-unique",
            "SMBIOS UUIDs are unique",
            "no host reported an SMBIOS UUID (no DMI, or the agent did not run as root)",
        );
    }
    duplicates_check(
        "fleet.uuid-unique",
        "SMBIOS UUIDs are unique",
        "UUID",
        by_uuid,
        "cloned VMs share a UUID: give each a new one (hypervisor setting), or \
         MachineInventory names will collide",
    )
}

/// `fleet.serial-unique`: SMBIOS serial numbers (what `${System Information/Serial Number}`
/// names machines from). Run by `ironprep bmc check`, where placeholder and cloned serials are
/// seen before anything boots.
pub fn serial_unique(hosts: &[HostEntry]) -> FleetCheck {
    let by_serial = facts(hosts, |host| {
        let serial = host.report.as_ref()?.host.system_serial.clone()?;
        Some(serial.trim().to_lowercase()).filter(|serial| !serial.is_empty())
    });
    if by_serial.is_empty() {
        return skipped(
            "fleet.serial-unique",
            "SMBIOS serial numbers are unique",
            "no host reported an SMBIOS serial number",
        );
    }
    duplicates_check(
        "fleet.serial-unique",
        "SMBIOS serial numbers are unique",
        "serial",
        by_serial,
        "machines named from the serial number collide: set each board's serial in the \
         firmware or BMC, or name machines from ${System Information/UUID} in the \
         MachineRegistration",
    )
}

fn timezone(hosts: &[HostEntry]) -> FleetCheck {
    let by_zone = facts(hosts, |host| host.report.as_ref()?.host.timezone.clone());
    let title = "all hosts use the same time zone";
    if by_zone.is_empty() {
        return skipped("fleet.timezone", title, "no host reported its time zone");
    }
    let everyone: Vec<String> = by_zone.values().flatten().cloned().collect();
    if by_zone.len() == 1 {
        let mut result = check("fleet.timezone", title, Status::Pass, everyone);
        let zone = by_zone.keys().next().cloned().unwrap_or_default();
        result.result.observed = format!("{zone} on every host");
        result.result.expected = "one time zone".to_owned();
        return result;
    }
    // The hosts outside the most common zone are the ones to look at.
    let (common, _) = by_zone
        .iter()
        .max_by_key(|(_, hosts)| hosts.len())
        .map(|(zone, hosts)| (zone.clone(), hosts.len()))
        .unwrap_or_default();
    let involved: Vec<String> = by_zone
        .iter()
        .filter(|(zone, _)| **zone != common)
        .flat_map(|(_, hosts)| hosts.iter().cloned())
        .collect();
    let mut result = check("fleet.timezone", title, Status::Fail, involved);
    result.result.observed = by_zone
        .iter()
        .map(|(zone, hosts)| format!("{zone} on {}", hosts.join(", ")))
        .collect::<Vec<_>>()
        .join("; ");
    result.result.expected = "one time zone".to_owned();
    result.result.hint = format!("timedatectl set-timezone {common} on the others");
    result
}

fn clock_skew(hosts: &[HostEntry], measured: &BTreeMap<String, Measured>) -> FleetCheck {
    let title = "host clocks agree within 10 s";
    let offsets: Vec<(String, i64, u64)> = hosts
        .iter()
        .filter_map(|host| {
            let (offset, error) = measured.get(&host.host)?.clock_offset_ms?;
            Some((host.host.clone(), offset, error))
        })
        .collect();
    if offsets.is_empty() {
        return skipped("fleet.clock-skew", title, "no host reported its clock");
    }
    let mut sorted: Vec<i64> = offsets.iter().map(|(_, offset, _)| *offset).collect();
    sorted.sort();
    let median = sorted[sorted.len() / 2];
    let spread = sorted[sorted.len() - 1] - sorted[0];
    let worst_error = offsets
        .iter()
        .map(|(_, _, error)| *error)
        .max()
        .unwrap_or(0);
    // A host is off when it is further than the limit from the others (the median), beyond
    // what the measurement window could explain.
    let off: Vec<&(String, i64, u64)> = offsets
        .iter()
        .filter(|(_, offset, error)| (offset - median).abs() - *error as i64 > MAX_CLOCK_SKEW_MS)
        .collect();
    let describe = |list: &[&(String, i64, u64)]| {
        list.iter()
            .map(|(host, offset, _)| format!("{host} {:+.1} s", *offset as f64 / 1000.0))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let expected = "clocks within 10 s of each other (NTP/chrony on every host)".to_owned();
    if !off.is_empty() {
        let mut result = check(
            "fleet.clock-skew",
            title,
            Status::Fail,
            off.iter().map(|(host, _, _)| host.clone()).collect(),
        );
        result.result.observed = format!(
            "offset from the controller's clock: {} (the others around {:+.1} s)",
            describe(&off),
            median as f64 / 1000.0
        );
        result.result.expected = expected;
        result.result.hint =
            "synchronise the clocks: enable chronyd or systemd-timesyncd against the same NTP \
             servers"
                .to_owned();
        return result;
    }
    let everyone: Vec<String> = offsets.iter().map(|(host, _, _)| host.clone()).collect();
    if median.abs() > MAX_CLOCK_SKEW_MS {
        let mut result = check("fleet.clock-skew", title, Status::Warn, everyone);
        result.result.observed = format!(
            "the hosts agree (spread {:.1} s) but all are {:+.1} s from this machine",
            spread as f64 / 1000.0,
            median as f64 / 1000.0
        );
        result.result.expected = expected;
        result.result.hint = "check this machine's clock, or the hosts' NTP source".to_owned();
        return result;
    }
    let mut result = check("fleet.clock-skew", title, Status::Pass, everyone);
    result.result.observed = format!(
        "spread {:.1} s across {} hosts (measured to ±{:.1} s)",
        spread as f64 / 1000.0,
        offsets.len(),
        worst_error as f64 / 1000.0
    );
    result.result.expected = expected;
    result
}

/// Only roles someone stated (inventory groups, `--role`) count: a plain `--hosts a,b` run
/// checks each host as a control-plane node by default, which says nothing about the fleet.
pub fn role_count(hosts: &[HostEntry], measured: &BTreeMap<String, Measured>) -> FleetCheck {
    let title = "at least 3 control-plane hosts";
    let roles_of = |host: &HostEntry| -> Vec<Role> {
        measured
            .get(&host.host)
            .map(|known| known.roles.clone())
            .unwrap_or_default()
    };
    if hosts.iter().all(|host| roles_of(host).is_empty()) {
        return skipped(
            "fleet.role-count",
            title,
            "no roles given (inventory groups such as kube_control_plane, or --role)",
        );
    }
    let control: Vec<String> = hosts
        .iter()
        .filter(|host| roles_of(host).contains(&Role::ControlPlane))
        .map(|host| host.host.clone())
        .collect();
    let expected = "3 or 5 control-plane hosts (an odd number ≥ 3; bare metal has no \
                    single-node control plane)"
        .to_owned();
    if control.is_empty() {
        return skipped(
            "fleet.role-count",
            title,
            "no host has the control-plane role (workers only)",
        );
    }
    let count = control.len();
    let status = if count < 3 {
        Status::Fail
    } else if count.is_multiple_of(2) {
        Status::Warn
    } else {
        Status::Pass
    };
    let mut result = check("fleet.role-count", title, status, control);
    result.result.observed = format!("{count} control-plane host(s)");
    result.result.expected = expected;
    result.result.hint = match status {
        Status::Fail => "add control-plane hosts to the inventory until there are 3".to_owned(),
        Status::Warn => {
            "an even count tolerates no more failures than one less: use an odd number".to_owned()
        }
        _ => String::new(),
    };
    result
}

#[cfg(test)]
mod tests {
    use ironprep_schema::{Cni, HostFacts, HostOutcome, Profile, SCHEMA_VERSION};

    use super::*;

    fn host(
        name: &str,
        hostname: &str,
        uuid: Option<&str>,
        zone: &str,
        roles: &[Role],
    ) -> HostEntry {
        HostEntry {
            host: name.to_owned(),
            address: format!("{name}:22"),
            outcome: HostOutcome::Reported,
            error: None,
            // Through JSON, so fields the schema gains later take their defaults.
            report: Some(
                serde_json::from_value(serde_json::json!({
                    "schema_version": SCHEMA_VERSION,
                    "agent_version": "0",
                    "host": HostFacts {
                        hostname: hostname.to_owned(),
                        system_uuid: uuid.map(str::to_owned),
                        timezone: Some(zone.to_owned()),
                        ..HostFacts::default()
                    },
                    "profile": Profile::Traditional,
                    "roles": roles,
                    "cni": Cni::KubeOvn,
                    "duration_ms": 1,
                    "checks": [],
                }))
                .unwrap(),
            ),
        }
    }

    fn find<'a>(checks: &'a [FleetCheck], id: &str) -> &'a FleetCheck {
        checks.iter().find(|check| check.result.id == id).unwrap()
    }

    #[test]
    fn duplicates_and_zones_name_the_hosts() {
        let cp = [Role::ControlPlane];
        let hosts = vec![
            host("a", "node-1", Some("u1"), "Etc/UTC", &cp),
            host("b", "NODE-1", Some("u2"), "Etc/UTC", &cp),
            host("c", "node-3", Some("u1"), "Asia/Shanghai", &[Role::Worker]),
            HostEntry {
                outcome: HostOutcome::Timeout,
                report: None,
                ..host("d", "", None, "", &[])
            },
        ];
        let mut measured = BTreeMap::new();
        measured.insert(
            "a".to_owned(),
            Measured {
                roles: cp.to_vec(),
                clock_offset_ms: Some((100, 50)),
            },
        );
        measured.insert(
            "b".to_owned(),
            Measured {
                roles: cp.to_vec(),
                clock_offset_ms: Some((-200, 50)),
            },
        );
        measured.insert(
            "c".to_owned(),
            Measured {
                roles: vec![Role::Worker],
                clock_offset_ms: Some((25_000, 50)),
            },
        );
        measured.insert(
            "d".to_owned(),
            Measured {
                roles: vec![Role::ControlPlane],
                clock_offset_ms: None,
            },
        );
        let checks = run(&hosts, &measured);
        let names = find(&checks, "fleet.hostname-unique");
        assert_eq!(names.result.status, Status::Fail);
        assert_eq!(names.hosts, ["a", "b"]);
        let uuids = find(&checks, "fleet.uuid-unique");
        assert_eq!(uuids.hosts, ["a", "c"]);
        let zones = find(&checks, "fleet.timezone");
        assert_eq!(
            (zones.result.status, zones.hosts.clone()),
            (Status::Fail, vec!["c".to_owned()])
        );
        let clock = find(&checks, "fleet.clock-skew");
        assert_eq!(
            (clock.result.status, clock.hosts.clone()),
            (Status::Fail, vec!["c".to_owned()])
        );
        // d did not report but the inventory makes it a control-plane host: 3 in all.
        let roles = find(&checks, "fleet.role-count");
        assert_eq!(roles.result.status, Status::Pass);
        assert_eq!(roles.hosts, ["a", "b", "d"]);
    }

    #[test]
    fn agreeing_fleet_passes_and_few_control_planes_fail() {
        let hosts = vec![
            host("a", "a", None, "Etc/UTC", &[Role::ControlPlane]),
            host("b", "b", None, "Etc/UTC", &[Role::Worker]),
        ];
        let measured: BTreeMap<String, Measured> = [
            ("a", 20_000, Role::ControlPlane),
            ("b", 21_000, Role::Worker),
        ]
        .into_iter()
        .map(|(name, offset, role)| {
            (
                name.to_owned(),
                Measured {
                    roles: vec![role],
                    clock_offset_ms: Some((offset, 10)),
                },
            )
        })
        .collect();
        let checks = run(&hosts, &measured);
        assert_eq!(
            find(&checks, "fleet.hostname-unique").result.status,
            Status::Pass
        );
        assert_eq!(
            find(&checks, "fleet.uuid-unique").result.status,
            Status::Skip
        );
        assert_eq!(find(&checks, "fleet.timezone").result.status, Status::Pass);
        assert_eq!(
            find(&checks, "fleet.clock-skew").result.status,
            Status::Warn
        );
        assert_eq!(
            find(&checks, "fleet.role-count").result.status,
            Status::Fail
        );
        let nobody_said: BTreeMap<String, Measured> = BTreeMap::new();
        let checks = run(&hosts, &nobody_said);
        assert_eq!(
            find(&checks, "fleet.role-count").result.status,
            Status::Skip
        );
    }
}
