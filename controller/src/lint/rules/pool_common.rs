//! Shared by `pool.*`: MachineInventoryPools — which cluster they serve, their members, and
//! whether they hold enough hosts for the replicas that draw from them.

use std::collections::HashMap;

use crate::lint::object::Object;
use crate::lint::set::{self, Manifests};
use crate::lint::tree::Pos;

/// A pool member: `- name` or `- {name, hostname}`.
pub(super) struct Member<'a> {
    pub(super) name: &'a str,
    pub(super) hostname: Option<(&'a str, Pos)>,
    pub(super) pos: Pos,
}

pub(super) fn members(pool: &Object) -> Vec<Member<'_>> {
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
pub(super) fn key(pool: &Object) -> usize {
    std::ptr::from_ref(pool) as usize
}

/// The replicas drawing from each pool: `(pool, replicas, who, control plane)` by pool.
pub(super) type Demand<'a> = HashMap<usize, Vec<(&'a Object, i64, &'a Object, bool)>>;

pub(super) fn demand(set: &Manifests) -> Demand<'_> {
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
