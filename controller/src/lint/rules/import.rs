//! `import.*`: the `dcs-import-extra-resources` ConfigMap, whose embedded `resources.yaml`
//! tells the installer what to carry from the bootstrap KIND cluster into the new global
//! cluster. Findings point into the embedded text.

use super::describe;
use crate::lint::context::{Context, Provider};
use crate::lint::object::{self, INSTALLER_REQUEST, Object};
use crate::lint::rule::{Rule, Sink};
use crate::lint::set::{self, Manifests};
use crate::lint::tree::{Node, Pos};

const KEY: &str = "resources.yaml";

fn config_maps(set: &Manifests) -> impl Iterator<Item = &Object> {
    set.of_kind(set::CONFIG_MAP)
        .filter(|object| object.name == set::IMPORT_CONFIG_MAP)
}

/// The parsed `resources:` list, or `None` when absent or unreadable (`import.resources` says so).
fn entries(object: &Object) -> Option<Vec<Node>> {
    let field = object.field(&["data", KEY])?;
    let root = object::embedded(field).ok()?;
    Some(root.get("resources")?.items().to_vec())
}

fn resource(entry: &Node) -> &str {
    entry.get("resource").and_then(Node::str).unwrap_or("")
}

fn names(entry: &Node) -> Vec<(&str, Pos)> {
    entry
        .get("names")
        .map(|names| {
            names
                .items()
                .iter()
                .filter_map(|name| Some((name.str()?, name.pos)))
                .collect()
        })
        .unwrap_or_default()
}

fn needs_import(provider: Provider) -> bool {
    matches!(
        provider,
        Provider::Baremetal | Provider::Vsphere | Provider::Hcs
    )
}

pub struct Present;

impl Rule for Present {
    describe!(
        "import.present",
        "the dcs-import-extra-resources ConfigMap exists before the installer request (Bare Metal, vSphere, HCS)",
        why: "The installer imports the provider objects created in the bootstrap KIND cluster \
              only through this ConfigMap. Without it the new global cluster lacks the \
              BaremetalMachine, MachineInventory, MachineRegistration and plan Secrets, and the \
              handoff job runs with an empty target list (seeds 000, 002).",
        example: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: dcs-import-extra-resources\n  namespace: cpaas-system\ndata:\n  resources.yaml: |\n    resources: []",
    );

    fn check(&self, set: &Manifests, context: &Context, sink: &mut Sink) {
        if !needs_import(context.provider) || config_maps(set).next().is_some() {
            return;
        }
        for request in set.of_kind(INSTALLER_REQUEST) {
            sink.at(
                request,
                request.pos,
                "",
                format!(
                    "no dcs-import-extra-resources ConfigMap in the input; {} needs it before this request",
                    context.provider.name()
                ),
                "create the ConfigMap of Step 7 and apply it before POSTing the installer request",
            );
        }
    }
}

pub struct Resources;

impl Rule for Resources {
    describe!(
        "import.resources",
        "resources.yaml parses, and each entry has a resource and a method (etcdctl with an etcdKeyBase)",
        why: "The installer reads resources.yaml at import time: a syntax error or an entry it \
              cannot use is discovered only after the global cluster is up, when the handoff \
              finds nothing to hand over.",
        example: "data:\n  resources.yaml: |\n    resources:\n    - resource: \"machineinventorypools.infrastructure.cluster.x-k8s.io\"\n      etcdKeyBase: \"/registry/infrastructure.cluster.x-k8s.io/machineinventorypools/cpaas-system/\"\n      method: etcdctl",
    );

    fn check(&self, set: &Manifests, _: &Context, sink: &mut Sink) {
        for object in config_maps(set) {
            let Some(field) = object.field(&["data", KEY]) else {
                sink.field(
                    object,
                    &["data", KEY],
                    "no resources.yaml key",
                    "add `resources.yaml: |` with a `resources:` list",
                );
                continue;
            };
            let root = match object::embedded(field) {
                Ok(root) => root,
                Err(error) => {
                    sink.at(
                        object,
                        error.pos,
                        "data[resources.yaml]",
                        format!("resources.yaml does not parse: {}", error.message),
                        "fix the YAML inside the block (indentation, quotes)",
                    );
                    continue;
                }
            };
            let Some(list) = root.entry("resources") else {
                sink.at(
                    object,
                    field.pos,
                    "data[resources.yaml]",
                    "resources.yaml has no `resources:` list",
                    "start it with `resources:`",
                );
                continue;
            };
            for (index, entry) in list.value.items().iter().enumerate() {
                let at = format!("data[resources.yaml].resources[{index}]");
                if resource(entry).is_empty() {
                    sink.at(
                        object,
                        entry.pos,
                        at.clone(),
                        "entry without `resource`",
                        "name the resource, such as `secrets`",
                    );
                }
                match entry.entry("method") {
                    None => sink.at(
                        object,
                        entry.pos,
                        format!("{at}.method"),
                        "entry without `method`",
                        "set `method: kubectl` or `method: etcdctl`",
                    ),
                    Some(method) => match method.value.str() {
                        Some("kubectl") => {}
                        Some("etcdctl") if entry.get("etcdKeyBase").is_none() => sink.at(
                            object,
                            method.key_pos,
                            format!("{at}.etcdKeyBase"),
                            "etcdctl entry without etcdKeyBase",
                            "add `etcdKeyBase: \"/registry/<group>/<plural>/cpaas-system/\"`",
                        ),
                        Some("etcdctl") => {}
                        other => sink.at(
                            object,
                            method.key_pos,
                            format!("{at}.method"),
                            format!("method `{}`", other.unwrap_or("")),
                            "use kubectl or etcdctl",
                        ),
                    },
                }
            }
        }
    }
}

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

pub struct Forbidden;

impl Rule for Forbidden {
    describe!(
        "import.forbidden",
        "resources.yaml never imports SeedImages, the registration token Secret, the bootstrap dex.tls or platform credentials",
        why: "A bootstrap SeedImage builds an ISO that points at the bootstrap environment and is \
              the wrong lifecycle object after handoff; the registration token and the \
              bootstrap dex.tls belong to the temporary KIND host; the final global cluster's \
              dex.tls comes from the installer's certificate flow (seed 000, Step 7). Only the \
              seedimages CRD is imported, so the API type is known.",
        example: "- resource: \"secrets\"\n  names:\n  - \"global-4c4c4544-0042\"   # plan Secrets only\n  method: kubectl",
    );

    fn check(&self, set: &Manifests, _: &Context, sink: &mut Sink) {
        let token_secrets: Vec<String> = set
            .of_kind(set::REGISTRATION)
            .map(|registration| format!("{}-token", registration.name))
            .collect();
        for object in config_maps(set) {
            let Some(entries) = entries(object) else {
                continue;
            };
            for (index, entry) in entries.iter().enumerate() {
                if resource(entry) == "seedimages.elemental.cattle.io" {
                    sink.at(
                        object,
                        entry.pos,
                        format!("data[resources.yaml].resources[{index}]"),
                        "SeedImage objects are imported; the bootstrap ISO must not outlive the bootstrap",
                        "remove this entry (keep only the seedimages CRD in the CRD list)",
                    );
                }
                if resource(entry) != "secrets" {
                    continue;
                }
                for (name, pos) in names(entry) {
                    let reason = if name == "dex.tls" {
                        Some(
                            "the bootstrap dex.tls (the final one comes from the installer's certificate flow)",
                        )
                    } else if token_secrets.iter().any(|token| token == name)
                        || name.ends_with("-token")
                    {
                        Some("a registration or service-account token Secret")
                    } else if name.contains("registry-auth") || name.contains("credential") {
                        Some("a platform credential Secret")
                    } else {
                        None
                    };
                    if let Some(reason) = reason {
                        sink.at(
                            object,
                            pos,
                            format!("data[resources.yaml].resources[{index}].names"),
                            format!("`{name}` is {reason}"),
                            "import only plan, bootstrap-data and encryption-provider Secrets",
                        );
                    }
                }
            }
        }
    }
}
