//! The MachineInventoryPools of seed 001 step 2 ("one pool per role"), written from the
//! predicted names instead of typed from `kubectl get`: named `<cluster>-control-plane-pool`
//! and `<cluster>-worker-pool` in `cpaas-system` with `spec.clusterName: <cluster>` (what
//! `naming.*`, `namespace.cpaas-system` and `pool.cluster-name` demand), members
//! `{name, hostname}` in the seed's shape. A host is in one pool only (`pool.inventory-unique`):
//! a control-plane host that is also a worker goes to the control-plane pool.

use anyhow::bail;
use ironprep_report::View;
use ironprep_report::view::ViewKind;
use ironprep_schema::registration::{Pool, PoolMember, PoolsReport};
use ironprep_schema::{CheckResult, FleetReport, Role, SCHEMA_VERSION, Status};

use super::names::{valid_label, valid_object_name as valid_hostname};
use super::{Registration, predict};

pub const NAMESPACE: &str = "cpaas-system";
pub const API_VERSION: &str = "infrastructure.cluster.x-k8s.io/v1beta1";

/// The pools for `cluster`, or — when a name cannot be trusted — the failed checks and no
/// pools. A cluster name that cannot prefix Kubernetes names is an input error.
pub fn build(
    registration: &Registration,
    fleet: &FleetReport,
    cluster: &str,
) -> anyhow::Result<PoolsReport> {
    if !valid_label(cluster) {
        bail!(
            "--cluster `{cluster}`: a cluster name is lowercase letters, digits and `-`, at most \
             63 characters, starting and ending with a letter or digit"
        );
    }
    let (hosts, mut checks) = predict(registration, fleet);
    let trusted = checks.iter().all(|check| check.status == Status::Pass);
    let mut control_plane = Vec::new();
    let mut workers = Vec::new();
    let mut unpooled = Vec::new();
    let mut bad_hostnames = Vec::new();
    for host in &hosts {
        let Some(name) = &host.name else { continue };
        let hostname = host.hostname.clone().filter(|hostname| {
            let valid = valid_hostname(hostname);
            if !valid {
                bad_hostnames.push(format!("{} (`{hostname}`)", host.host));
            }
            valid
        });
        let member = PoolMember {
            name: name.clone(),
            hostname,
        };
        if host.roles.contains(&Role::ControlPlane) {
            control_plane.push(member);
        } else if host.roles.contains(&Role::Worker) {
            workers.push(member);
        } else {
            unpooled.push(host.host.clone());
        }
    }
    let hostnames = CheckResult {
        id: "registration.pool-hostnames".to_owned(),
        title: "every member's hostname is a valid node name".to_owned(),
        status: Status::Pass,
        observed: "every host's hostname is a valid node name".to_owned(),
        expected: "lowercase letters, digits, `-` and `.` (RFC 1123)".to_owned(),
        hint: String::new(),
        reason: None,
    };
    checks.push(if bad_hostnames.is_empty() {
        hostnames
    } else {
        CheckResult {
            status: Status::Warn,
            observed: format!(
                "left out, so the node is named after its inventory: {}",
                bad_hostnames.join(", ")
            ),
            hint: "set a valid hostname on those hosts (hostnamectl set-hostname) if the nodes \
                   should carry it"
                .to_owned(),
            ..hostnames
        }
    });
    let mut pools = Vec::new();
    if trusted {
        for (role, members) in [(Role::ControlPlane, control_plane), (Role::Worker, workers)] {
            if members.is_empty() {
                continue;
            }
            pools.push(Pool {
                name: format!("{cluster}-{role}-pool"),
                namespace: NAMESPACE.to_owned(),
                cluster_name: cluster.to_owned(),
                role,
                members,
            });
        }
    }
    Ok(PoolsReport {
        schema_version: SCHEMA_VERSION,
        cluster: cluster.to_owned(),
        registration: registration.reference(),
        pools,
        unpooled,
        checks,
    })
}

/// The pools as YAML to `kubectl apply -f`, the notes as comments; when names cannot be
/// trusted, the failed checks and no YAML.
/// The pools as YAML to apply (the view's manifest), or, when a name cannot be trusted, the
/// checks that say why and nothing to apply.
pub fn view(report: &PoolsReport) -> View {
    let failed = report
        .checks
        .iter()
        .any(|check| matches!(check.status, Status::Fail | Status::Error));
    if failed {
        return View::of_checks(
            ViewKind::Checks,
            vec![format!(
                "pools of cluster {}: nothing written",
                report.cluster
            )],
            &report.registration.object,
            &report.checks,
        );
    }
    let mut text = format!(
        "# MachineInventoryPools of cluster {} from {} (machineName `{}`),\n# written by \
         ironprep registration pools: the members are the inventory names the hosts will \
         register as.\n",
        report.cluster, report.registration.object, report.registration.machine_name
    );
    for check in report
        .checks
        .iter()
        .filter(|check| check.status == Status::Warn)
    {
        text.push_str(&format!("# warning {}: {}\n", check.id, check.observed));
    }
    if !report.unpooled.is_empty() {
        text.push_str(&format!(
            "# in no pool (neither control plane nor worker): {}\n",
            report.unpooled.join(", ")
        ));
    }
    for pool in &report.pools {
        text.push_str(&format!(
            "---\napiVersion: {API_VERSION}\nkind: MachineInventoryPool\nmetadata:\n  name: {}\n  \
             namespace: {}\nspec:\n  clusterName: {}\n  machineInventories:\n",
            pool.name, pool.namespace, pool.cluster_name
        ));
        for member in &pool.members {
            // Quoted: a name of digits only must stay a string.
            text.push_str(&format!("  - name: \"{}\"\n", member.name));
            if let Some(hostname) = &member.hostname {
                text.push_str(&format!("    hostname: \"{hostname}\"\n"));
            }
        }
    }
    View::manifest(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_prefix_kubernetes_objects() {
        assert!(valid_label("global"));
        assert!(valid_label("prod-1"));
        assert!(!valid_label("Prod"));
        assert!(!valid_label("-a"));
        assert!(valid_hostname("cp-1.example.com"));
        assert!(!valid_hostname("CP_1"));
    }
}
