//! `pool.*`: MachineInventoryPools — which cluster they serve, their members, and whether they
//! hold enough hosts for the replicas that draw from them.

use std::collections::{HashMap, HashSet};

use super::describe;
use crate::lint::context::Context;
use crate::lint::object::Object;
use crate::lint::rule::{Rule, Sink};
use crate::lint::set::{self, Manifests};
use crate::lint::tree::{Node, Pos};

/// A pool member: `- name` or `- {name, hostname}`.
struct Member<'a> {
    name: &'a str,
    hostname: Option<(&'a str, Pos)>,
    pos: Pos,
}

fn members(pool: &Object) -> Vec<Member<'_>> {
    let Some(list) = pool.field(&["spec", "machineInventories"]) else {
        return Vec::new();
    };
    list.node
        .items()
        .iter()
        .filter_map(|item| match item.str() {
            Some(name) => Some(Member {
                name,
                hostname: None,
                pos: item.pos,
            }),
            None => Some(Member {
                name: item.get("name")?.str()?,
                hostname: item
                    .entry("hostname")
                    .and_then(|entry| Some((entry.value.str()?, entry.key_pos))),
                pos: item.pos,
            }),
        })
        .collect()
}

/// A pool's identity for lookups: its address in the set.
fn key(pool: &Object) -> usize {
    std::ptr::from_ref(pool) as usize
}

/// The replicas drawing from each pool: `(pool, replicas, who, control plane)` by pool.
type Demand<'a> = HashMap<usize, Vec<(&'a Object, i64, &'a Object, bool)>>;

fn demand(set: &Manifests) -> Demand<'_> {
    let mut out: Demand<'_> = HashMap::new();
    for object in &set.objects {
        let (template_path, replicas_path, control_plane): (&[&str], &[&str], bool) =
            match object.kind.as_str() {
                set::KCP => (
                    &["spec", "machineTemplate", "infrastructureRef"],
                    &["spec", "replicas"],
                    true,
                ),
                set::MACHINE_DEPLOYMENT => (
                    &["spec", "template", "spec", "infrastructureRef"],
                    &["spec", "replicas"],
                    false,
                ),
                _ => continue,
            };
        let Some(template) = set.follow(object, template_path, set::BAREMETAL_MACHINE_TEMPLATE)
        else {
            continue;
        };
        let Some(pool) = set.follow(
            template,
            &["spec", "template", "spec", "machineInventoryPoolRef"],
            set::POOL,
        ) else {
            continue;
        };
        let replicas = object
            .field(replicas_path)
            .and_then(|field| field.node.int())
            .unwrap_or(1);
        out.entry(key(pool))
            .or_default()
            .push((pool, replicas, object, control_plane));
    }
    out
}

pub struct ClusterName;

impl Rule for ClusterName {
    describe!(
        "pool.cluster-name",
        "a MachineInventoryPool's clusterName is the cluster whose machines draw from it",
        why: "The pool reconciler only hands inventories to machines of the cluster named in \
              spec.clusterName; a pool referenced by another cluster's machine template never \
              allocates and the machines stay Pending.",
        example: "kind: MachineInventoryPool\nspec:\n  clusterName: global",
    );

    fn check(&self, set: &Manifests, _: &Context, sink: &mut Sink) {
        let users = demand(set);
        for pool in set.of_kind(set::POOL) {
            let path = ["spec", "clusterName"];
            let Some(name) = pool.str(&path) else {
                sink.field(
                    pool,
                    &path,
                    "no clusterName",
                    "set `clusterName` to the cluster that uses this pool",
                );
                continue;
            };
            for (_, _, user, _) in users.get(&key(pool)).into_iter().flatten() {
                if let Some(cluster) = user.cluster.as_deref()
                    && cluster != name
                    && !name.contains(['<', '$'])
                {
                    sink.field(
                        pool,
                        &path,
                        format!("clusterName is {name}, but {} of cluster {cluster} draws from this pool", user.label()),
                        format!("set `clusterName: {cluster}`"),
                    );
                }
            }
        }
    }
}

pub struct Members;

impl Rule for Members {
    describe!(
        "pool.members",
        "pool members are inventory names or {name, hostname} with a valid hostname, each listed once",
        why: "The pool validates that every member exists and the provider names the node after \
              `hostname` (falling back to the inventory name). A hostname that is not a valid \
              DNS label makes kubeadm refuse to join the node, late in the provisioning.",
        example: "spec:\n  machineInventories:\n  - name: global-4c4c4544-0042\n    hostname: cp-1\n  - global-4c4c4544-0043",
    );

    fn check(&self, set: &Manifests, _: &Context, sink: &mut Sink) {
        for pool in set.of_kind(set::POOL) {
            let Some(list) = pool.field(&["spec", "machineInventories"]) else {
                sink.field(
                    pool,
                    &["spec", "machineInventories"],
                    "no machineInventories",
                    "list the MachineInventory names of this pool",
                );
                continue;
            };
            for (index, item) in list.node.items().iter().enumerate() {
                if item.str().is_none() && item.get("name").and_then(Node::str).is_none() {
                    sink.at(
                        pool,
                        item.pos,
                        format!("spec.machineInventories[{index}]"),
                        "member without an inventory name",
                        "write `- <inventory-name>` or `- {name: <inventory-name>, hostname: <host>}`",
                    );
                }
            }
            // A set, not a scan of the earlier members: pools of thousands stay linear.
            let mut listed = HashSet::new();
            for (index, member) in members(pool).iter().enumerate() {
                if !listed.insert(member.name) {
                    sink.at(
                        pool,
                        member.pos,
                        format!("spec.machineInventories[{index}]"),
                        format!("{} is listed twice", member.name),
                        "list each inventory once",
                    );
                }
                if let Some((hostname, pos)) = member.hostname
                    && !hostname.contains(['<', '$'])
                    && !valid_hostname(hostname)
                {
                    sink.at(
                        pool,
                        pos,
                        format!("spec.machineInventories[{index}].hostname"),
                        format!("`{hostname}` is not a valid hostname"),
                        "use lowercase letters, digits, `-` and `.`; labels of 1–63 characters",
                    );
                }
            }
        }
    }
}

/// RFC 1123 as Kubernetes applies it to node names.
pub fn valid_hostname(name: &str) -> bool {
    name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

pub struct InventoryUnique;

impl Rule for InventoryUnique {
    describe!(
        "pool.inventory-unique",
        "no MachineInventory is a member of two pools",
        why: "The pool reconciler writes `baremetal.alauda.io/pool=<pool>` on each member \
              inventory; an inventory in two pools flips between them and can be allocated to \
              two machines (or two clusters) at once.",
        example: "# global-control-plane-pool: [global-cp-1, global-cp-2, global-cp-3]\n# global-worker-pool: [global-worker-1, global-worker-2]",
    );

    fn check(&self, set: &Manifests, _: &Context, sink: &mut Sink) {
        let mut seen: HashMap<&str, &Object> = HashMap::new();
        for pool in set.of_kind(set::POOL) {
            for (index, member) in members(pool).iter().enumerate() {
                if member.name.contains(['<', '$']) {
                    continue;
                }
                match seen.get(member.name) {
                    Some(other) if !std::ptr::eq(*other, pool) => sink.at(
                        pool,
                        member.pos,
                        format!("spec.machineInventories[{index}]"),
                        format!("{} is also a member of {}", member.name, other.label()),
                        "keep each inventory in one pool",
                    ),
                    _ => {
                        seen.insert(member.name, pool);
                    }
                }
            }
        }
    }
}

pub struct Capacity;

impl Rule for Capacity {
    describe!(
        "pool.capacity",
        "the control-plane pool holds at least the KCP replicas, a worker pool at least its MachineDeployments' replicas",
        why: "The provider uses delete-then-add from the same pool and never over-provisions; \
              a pool smaller than the replica count leaves machines Pending forever and blocks \
              rolling upgrades (seed 001, Step 2).",
        example: "# KubeadmControlPlane spec.replicas: 3\nspec:\n  machineInventories: [global-cp-1, global-cp-2, global-cp-3]",
    );

    fn check(&self, set: &Manifests, _: &Context, sink: &mut Sink) {
        let users = demand(set);
        for pool in set.of_kind(set::POOL) {
            let drawing: Vec<_> = users.get(&key(pool)).into_iter().flatten().collect();
            if drawing.is_empty() {
                continue;
            }
            // Saturating: replicas come from the input, and two huge ones must not overflow.
            let needed = drawing.iter().fold(0_i64, |sum, (_, replicas, ..)| {
                sum.saturating_add(*replicas)
            });
            let size = i64::try_from(members(pool).len()).unwrap_or(i64::MAX);
            if size < needed {
                let who: Vec<String> = drawing
                    .iter()
                    .map(|(_, replicas, user, _)| format!("{} ({replicas})", user.label()))
                    .collect();
                sink.field(
                    pool,
                    &["spec", "machineInventories"],
                    format!(
                        "{size} inventories for {needed} replicas of {}",
                        who.join(", ")
                    ),
                    format!(
                        "add {} more registered inventories to the pool, or lower the replicas",
                        needed.saturating_sub(size)
                    ),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostnames() {
        assert!(valid_hostname("cp-1.example.com"));
        assert!(!valid_hostname("CP_1"));
        assert!(!valid_hostname("-a"));
    }
}
