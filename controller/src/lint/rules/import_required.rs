//! `import.required`: Each missing entry is an object the handed-off global cluster does not
//! have: without the inventories and plan Secrets the handoff job has no targets, and for DR
//! without the encryption-provider Secret the imported BaremetalCluster references a Secret
//! that does not exist (seed 000, Step 7). vSphere and HCS have import lists of their own, and
//! an entry that names its objects must name every one of them the input defines.

use super::describe;
use super::import_common::{KEY, config_maps, entries, names, provider_credentials, resource};
use super::pool_common::members;
use crate::lint::context::{Context, Provider};
use crate::lint::object::Object;
use crate::lint::rule::{Rule, Sink};
use crate::lint::set::{self, Manifests};
use crate::lint::tree::Node;

/// The seven CRDs Bare Metal imports so the new global cluster knows the API types.
const CRDS: &[&str] = &[
    "baremetalclusters.infrastructure.cluster.x-k8s.io",
    "baremetalmachines.infrastructure.cluster.x-k8s.io",
    "baremetalmachinetemplates.infrastructure.cluster.x-k8s.io",
    "machineinventorypools.infrastructure.cluster.x-k8s.io",
    "machineinventories.elemental.cattle.io",
    "machineregistrations.elemental.cattle.io",
    "seedimages.elemental.cattle.io",
];

/// Resources Bare Metal must list, with what they carry.
const REQUIRED: &[(&str, &str)] = &[
    (
        "baremetalclusters.infrastructure.cluster.x-k8s.io",
        "the BaremetalCluster `global`",
    ),
    (
        "baremetalmachinetemplates.infrastructure.cluster.x-k8s.io",
        "the machine templates",
    ),
    (
        "baremetalmachines.infrastructure.cluster.x-k8s.io",
        "the machines",
    ),
    (
        "machineinventorypools.infrastructure.cluster.x-k8s.io",
        "the pools",
    ),
    (
        "machineinventories.elemental.cattle.io",
        "the global hosts' inventories",
    ),
    (
        "machineregistrations.elemental.cattle.io",
        "the registration",
    ),
    ("secrets", "the plan and bootstrap-data Secrets"),
];

/// vSphere's list (seed 000, Step 7, VMware vSphere tab); `secrets` carries the credentials.
const VSPHERE: &[(&str, &str)] = &[
    (
        "vsphereclusters.infrastructure.cluster.x-k8s.io",
        "the VSphereCluster `global`",
    ),
    (
        "vspheremachinetemplates.infrastructure.cluster.x-k8s.io",
        "the machine templates",
    ),
    (
        "vspheremachines.infrastructure.cluster.x-k8s.io",
        "the machines",
    ),
    ("vspherevms.infrastructure.cluster.x-k8s.io", "the VMs"),
    (
        "vspheremachineconfigpools.infrastructure.cluster.x-k8s.io",
        "the machine config pools",
    ),
    ("secrets", "the vCenter credentials"),
];

/// HCS's list (seed 000, Step 7, Huawei Cloud Stack tab).
const HCS: &[(&str, &str)] = &[
    ("secrets", "the HCS credentials"),
    (
        "hcsclusters.infrastructure.cluster.x-k8s.io",
        "the HCSCluster `global`",
    ),
    (
        "hcsmachinetemplates.infrastructure.cluster.x-k8s.io",
        "the machine templates",
    ),
    (
        "hcsmachineconfigpools.infrastructure.cluster.x-k8s.io",
        "the machine config pools",
    ),
    (
        "hcsmachines.infrastructure.cluster.x-k8s.io",
        "the machines",
    ),
];

pub struct Required;

impl Rule for Required {
    describe!(
        "import.required",
        "resources.yaml lists what the provider needs imported (Bare Metal: the seven CRDs, BaremetalCluster `global`, templates, machines, pools, every inventory, the registration and the Secrets; vSphere and HCS: their own lists), every named object by name",
        why: "Each missing entry is an object the handed-off global cluster does not have: \
              without the inventories and plan Secrets the handoff job has no targets, and for DR \
              without the encryption-provider Secret the imported BaremetalCluster references a \
              Secret that does not exist (seed 000, Step 7). vSphere imports its cluster, \
              templates, machines, VMs, config pools and global-vsphere-credentials; HCS its \
              identity Secret, cluster, templates, config pools and machines. An entry with \
              `names` imports only those: an inventory left out is a host the handoff misses.",
        example: "resources:\n- resource: \"baremetalclusters.infrastructure.cluster.x-k8s.io\"\n  names: [\"global\"]\n  etcdKeyBase: \"/registry/infrastructure.cluster.x-k8s.io/baremetalclusters/cpaas-system/\"\n  method: etcdctl",
    );

    fn check(&self, set: &Manifests, context: &Context, sink: &mut Sink) {
        let (crds, required, cluster_resource): (&[&str], &[(&str, &str)], &str) =
            match context.provider {
                Provider::Baremetal => (CRDS, REQUIRED, REQUIRED[0].0),
                Provider::Vsphere => (&[], VSPHERE, VSPHERE[0].0),
                Provider::Hcs => (&[], HCS, HCS[1].0),
                Provider::Dcs => return,
            };
        for object in config_maps(set) {
            let Some(entries) = entries(object) else {
                continue;
            };
            let at = object
                .field(&["data", KEY])
                .map_or(object.pos, |field| field.pos);
            let imported_crds: Vec<&str> = entries
                .iter()
                .filter(|entry| resource(entry) == "customresourcedefinitions.apiextensions.k8s.io")
                .flat_map(|entry| names(entry).into_iter().map(|(name, _)| name))
                .collect();
            for crd in crds.iter().filter(|crd| !imported_crds.contains(crd)) {
                sink.at(
                    object,
                    at,
                    "data[resources.yaml].resources",
                    format!("the CRD {crd} is not imported"),
                    format!(
                        "add `- {crd}` to the customresourcedefinitions.apiextensions.k8s.io names"
                    ),
                );
            }
            for (wanted, what) in required {
                if !entries.iter().any(|entry| resource(entry) == *wanted) {
                    sink.at(
                        object,
                        at,
                        "data[resources.yaml].resources",
                        format!("{wanted} is not imported, so the new global cluster lacks {what}"),
                        format!(
                            "add an entry for `{wanted}` as in Step 7 of the installation guide"
                        ),
                    );
                }
            }
            // The infrastructure cluster is imported by name, exactly `global`.
            if let Some((index, entry)) = entries
                .iter()
                .enumerate()
                .find(|(_, entry)| resource(entry) == cluster_resource)
                && names(entry)
                    .iter()
                    .map(|(name, _)| *name)
                    .collect::<Vec<_>>()
                    != [set::GLOBAL]
            {
                sink.at(
                    object,
                    entry.pos,
                    format!("data[resources.yaml].resources[{index}].names"),
                    format!(
                        "{} must be imported by name, exactly [\"global\"]",
                        resource(entry)
                    ),
                    "set `names: [\"global\"]`",
                );
            }
            for (secret, why) in provider_credentials(set, context.provider) {
                if !secret_listed(&entries, &secret) {
                    sink.at(
                        object,
                        at,
                        "data[resources.yaml].resources",
                        format!("the Secret {secret} ({why}) is not imported"),
                        format!("add `{secret}` to a `secrets` entry"),
                    );
                }
            }
            if context.provider == Provider::Baremetal {
                baremetal_names(set, object, &entries, sink);
                encryption(set, context, object, &entries, at, sink);
            }
        }
    }
}

fn secret_listed(entries: &[Node], secret: &str) -> bool {
    entries
        .iter()
        .filter(|entry| resource(entry) == "secrets")
        .any(|entry| names(entry).iter().any(|(name, _)| *name == secret))
}

/// An entry that lists names imports only those: each global inventory (every pool member),
/// registration, template and pool of the input must be among them (seed 000, Step 7 lists
/// every inventory by name). An entry without names imports its whole etcd prefix.
fn baremetal_names(set: &Manifests, object: &Object, entries: &[Node], sink: &mut Sink) {
    let global = |kind: &'static str| {
        set.of_kind(kind)
            .filter(|object| set.is_global(object))
            .map(|object| object.name.as_str())
            .collect::<Vec<_>>()
    };
    let inventories: Vec<&str> = set
        .of_kind(set::POOL)
        .filter(|pool| set.is_global(pool))
        .flat_map(|pool| members(pool).into_iter().map(|member| member.name))
        .chain(global("MachineInventory"))
        .collect();
    let expected: [(&str, Vec<&str>, &str); 4] = [
        (
            "machineinventories.elemental.cattle.io",
            inventories,
            "inventory",
        ),
        (
            "machineregistrations.elemental.cattle.io",
            global(set::REGISTRATION),
            "registration",
        ),
        (
            "baremetalmachinetemplates.infrastructure.cluster.x-k8s.io",
            global(set::BAREMETAL_MACHINE_TEMPLATE),
            "machine template",
        ),
        (
            "machineinventorypools.infrastructure.cluster.x-k8s.io",
            global(set::POOL),
            "pool",
        ),
    ];
    for (wanted, objects, what) in expected {
        let listing: Vec<(usize, &Node)> = entries
            .iter()
            .enumerate()
            .filter(|(_, entry)| resource(entry) == wanted)
            .collect();
        if listing.is_empty()
            || listing
                .iter()
                .any(|(_, entry)| entry.get("names").is_none())
        {
            continue;
        }
        let listed: Vec<&str> = listing
            .iter()
            .flat_map(|(_, entry)| names(entry).into_iter().map(|(name, _)| name))
            .collect();
        let (index, entry) = listing[0];
        let pos = entry
            .entry("names")
            .map_or(entry.pos, |names| names.key_pos);
        let mut seen = Vec::new();
        for name in objects {
            if listed.contains(&name) || seen.contains(&name) || name.contains(['$', '<']) {
                continue;
            }
            seen.push(name);
            sink.at(
                object,
                pos,
                format!("data[resources.yaml].resources[{index}].names"),
                format!(
                    "the global {what} {name} is not among the imported names, so the handed-off \
                     cluster lacks it"
                ),
                format!("add `- \"{name}\"` to the names of `{wanted}`"),
            );
        }
    }
}

fn encryption(
    set: &Manifests,
    context: &Context,
    object: &Object,
    entries: &[Node],
    at: crate::lint::tree::Pos,
    sink: &mut Sink,
) {
    let secret = set
        .of_kind(set::BAREMETAL_CLUSTER)
        .filter(|cluster| cluster.name == set::GLOBAL)
        .find_map(|cluster| cluster.str(&["spec", "encryptionProviderConfigRef", "name"]));
    if let Some(secret) = secret {
        if !secret_listed(entries, secret) {
            sink.at(
                object,
                at,
                "data[resources.yaml].resources",
                format!("the encryption-provider Secret {secret} is not imported; the handed-off BaremetalCluster references it"),
                format!("add `{secret}` to a `secrets` entry"),
            );
        }
    } else if context.dr {
        sink.at(
            object,
            at,
            "data[resources.yaml].resources",
            "DR needs the encryption-provider Secret imported, but no BaremetalCluster `global` names one",
            "set BaremetalCluster.spec.encryptionProviderConfigRef and list that Secret here",
        );
    }
}
