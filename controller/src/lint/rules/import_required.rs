//! `import.required`: Each missing entry is an object the handed-off global cluster does not
//! have: without the inventories and plan Secrets the handoff job has no targets, and for DR
//! without the encryption-provider Secret the imported BaremetalCluster references a Secret
//! that does not exist (seed 000, Step 7).

use super::describe;
use super::import_common::{KEY, config_maps, entries, names, resource};
use crate::lint::context::{Context, Provider};
use crate::lint::rule::{Rule, Sink};
use crate::lint::set::{self, Manifests};

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

pub struct Required;

impl Rule for Required {
    describe!(
        "import.required",
        "for Bare Metal, resources.yaml lists the seven CRDs, BaremetalCluster `global`, templates, machines, pools, inventories, the registration and the Secrets",
        why: "Each missing entry is an object the handed-off global cluster does not have: \
              without the inventories and plan Secrets the handoff job has no targets, and for DR \
              without the encryption-provider Secret the imported BaremetalCluster references a \
              Secret that does not exist (seed 000, Step 7).",
        example: "resources:\n- resource: \"baremetalclusters.infrastructure.cluster.x-k8s.io\"\n  names: [\"global\"]\n  etcdKeyBase: \"/registry/infrastructure.cluster.x-k8s.io/baremetalclusters/cpaas-system/\"\n  method: etcdctl",
    );

    fn check(&self, set: &Manifests, context: &Context, sink: &mut Sink) {
        if context.provider != Provider::Baremetal {
            return;
        }
        for object in config_maps(set) {
            let Some(entries) = entries(object) else {
                continue;
            };
            let at = object
                .field(&["data", KEY])
                .map_or(object.pos, |field| field.pos);
            let crds: Vec<&str> = entries
                .iter()
                .filter(|entry| resource(entry) == "customresourcedefinitions.apiextensions.k8s.io")
                .flat_map(|entry| names(entry).into_iter().map(|(name, _)| name))
                .collect();
            for crd in CRDS.iter().filter(|crd| !crds.contains(crd)) {
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
            for (wanted, what) in REQUIRED {
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
            if let Some(entry) = entries
                .iter()
                .find(|entry| resource(entry) == REQUIRED[0].0)
                && names(entry)
                    .iter()
                    .map(|(name, _)| *name)
                    .collect::<Vec<_>>()
                    != [set::GLOBAL]
            {
                sink.at(
                    object,
                    entry.pos,
                    "data[resources.yaml].resources.names",
                    "baremetalclusters must be imported by name, exactly [\"global\"]",
                    "set `names: [\"global\"]`",
                );
            }
            let encryption = set
                .of_kind(set::BAREMETAL_CLUSTER)
                .filter(|cluster| cluster.name == set::GLOBAL)
                .find_map(|cluster| cluster.str(&["spec", "encryptionProviderConfigRef", "name"]));
            if let Some(secret) = encryption {
                let listed = entries
                    .iter()
                    .filter(|entry| resource(entry) == "secrets")
                    .any(|entry| names(entry).iter().any(|(name, _)| *name == secret));
                if !listed {
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
    }
}
