//! `ironprep check --list-hosts`: the hosts of a fleet as a run would reach them — address,
//! port, user, roles, jump chain — and the checks each would run, from the inventory,
//! ssh_config and the command line alone. Nothing is contacted and no agent, key or
//! known_hosts is read: the agent's catalogue (which checks apply to which roles, profile
//! and CNI) is compiled in from `agent-checks.json`, the agent's own `--list --format json`
//! that an agent test keeps current.

use ironprep_schema::listing::{CheckList, HostList, JumpHop, ListedHost, Selection};
use ironprep_schema::{Cni, Profile, Role, SCHEMA_VERSION};

use super::plan::Targets;

/// What a host whose roles nobody stated (no inventory group, no `--role`) is checked as: the
/// agent's own default without `--role`.
const AGENT_DEFAULT_ROLE: Role = Role::ControlPlane;

/// `ironprep-agent --list --format json` of the agent built with this controller.
const CATALOGUE: &str = include_str!("agent-checks.json");

/// The agent's catalogue of checks.
pub fn catalogue() -> CheckList {
    // `agent-checks.json` is the agent's own output, read back by the agent's test
    // `the_controller_s_copy_of_the_catalogue_is_current` and by this module's tests: it
    // parses. The empty list is never reached.
    serde_json::from_str(CATALOGUE).unwrap_or(CheckList {
        schema_version: SCHEMA_VERSION,
        checks: Vec::new(),
    })
}

/// IDs of `--only`, `--skip` and `--with` that name no check, for a usage error.
pub fn unknown_ids(catalogue: &CheckList, selection: &Selection) -> Vec<String> {
    let mut unknown: Vec<String> = selection
        .only
        .iter()
        .chain(&selection.skip)
        .chain(&selection.with)
        .filter(|id| !catalogue.checks.iter().any(|check| &check.id == *id))
        .cloned()
        .collect();
    unknown.dedup();
    unknown
}

/// The document of `--list-hosts`.
pub fn host_list(
    targets: &Targets,
    catalogue: &CheckList,
    profile: Profile,
    cni: Cni,
    selection: &Selection,
) -> HostList {
    let hosts = targets
        .hosts
        .iter()
        .zip(&targets.groups)
        .map(|(host, groups)| {
            let roles = if host.roles.is_empty() {
                vec![AGENT_DEFAULT_ROLE]
            } else {
                host.roles.clone()
            };
            ListedHost {
                host: host.target.name.clone(),
                address: host.target.address.clone(),
                port: host.target.port,
                user: host.target.user.clone(),
                checks: catalogue.planned(profile, &roles, cni, selection),
                roles,
                groups: groups.clone(),
                jump: host
                    .target
                    .options
                    .jump
                    .iter()
                    .map(|hop| JumpHop {
                        name: hop.name.clone(),
                        address: hop.address.clone(),
                        port: hop.port,
                        user: hop.user.clone(),
                    })
                    .collect(),
            }
        })
        .collect();
    HostList {
        schema_version: SCHEMA_VERSION,
        profile,
        cni,
        hosts,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_compiled_in_catalogue_parses_and_decides_by_role() {
        let catalogue: CheckList = serde_json::from_str(CATALOGUE).unwrap();
        assert!(catalogue.checks.len() > 30);
        assert!(catalogue.checks.iter().all(|check| check.applies.is_some()));
        let plan = |roles: &[Role]| {
            catalogue.planned(
                Profile::Traditional,
                roles,
                Cni::KubeOvn,
                &Selection::default(),
            )
        };
        let etcd = plan(&[Role::Etcd]);
        let worker = plan(&[Role::Worker]);
        assert!(etcd.contains(&"disk.ssd".to_owned()), "{etcd:?}");
        assert!(!etcd.contains(&"memory.size".to_owned()), "{etcd:?}");
        assert!(worker.contains(&"memory.size".to_owned()), "{worker:?}");
        assert!(!worker.contains(&"disk.ssd".to_owned()), "{worker:?}");
        let unknown = unknown_ids(
            &catalogue,
            &Selection {
                only: vec!["net.hostname".into(), "net.hostnme".into()],
                ..Selection::default()
            },
        );
        assert_eq!(unknown, ["net.hostnme"]);
    }
}
