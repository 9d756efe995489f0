//! The whole input as one manifest set: lookups by kind and name, references, and which
//! cluster each object belongs to — the naming and capacity rules need to know whether an
//! object is part of the `global` cluster or of a workload cluster.

use std::collections::{BTreeSet, HashMap};

use super::object::{INSTALLER_REQUEST, Object};

pub const CLUSTER: &str = "Cluster";
pub const KCP: &str = "KubeadmControlPlane";
pub const KUBEADM_CONFIG_TEMPLATE: &str = "KubeadmConfigTemplate";
pub const MACHINE_DEPLOYMENT: &str = "MachineDeployment";
pub const BAREMETAL_CLUSTER: &str = "BaremetalCluster";
pub const BAREMETAL_MACHINE_TEMPLATE: &str = "BaremetalMachineTemplate";
pub const POOL: &str = "MachineInventoryPool";
pub const REGISTRATION: &str = "MachineRegistration";
pub const SEED_IMAGE: &str = "SeedImage";
pub const CONFIG_MAP: &str = "ConfigMap";
pub const SECRET: &str = "Secret";
pub const APP_RELEASE: &str = "AppRelease";
pub const ROLE: &str = "Role";

pub const IMPORT_CONFIG_MAP: &str = "dcs-import-extra-resources";
pub const CATALOG_CONFIG_MAP: &str = "elemental-image-catalog";
pub const GLOBAL: &str = "global";
pub const NAMESPACE: &str = "cpaas-system";

/// Cluster API, bare-metal provider and elemental kinds: the ones that live in `cpaas-system`
/// and follow the naming convention.
pub const PLATFORM_KINDS: &[&str] = &[
    CLUSTER,
    KCP,
    KUBEADM_CONFIG_TEMPLATE,
    MACHINE_DEPLOYMENT,
    "MachineSet",
    "MachineHealthCheck",
    BAREMETAL_CLUSTER,
    BAREMETAL_MACHINE_TEMPLATE,
    "BaremetalMachine",
    POOL,
    REGISTRATION,
    SEED_IMAGE,
];

/// Kinds named exactly after their cluster; everything else in [`PLATFORM_KINDS`] is prefixed.
pub const CLUSTER_NAMED_KINDS: &[&str] = &[CLUSTER, BAREMETAL_CLUSTER];

#[derive(Debug, Default)]
pub struct Manifests {
    pub objects: Vec<Object>,
    /// The input installs or extends the `global` cluster.
    pub global: bool,
    index: HashMap<(String, String), Vec<usize>>,
    /// Object positions by kind, in input order.
    by_kind: HashMap<String, Vec<usize>>,
}

impl Manifests {
    pub fn new(objects: Vec<Object>) -> Manifests {
        let mut set = Manifests {
            objects,
            ..Manifests::default()
        };
        for (position, object) in set.objects.iter().enumerate() {
            set.index
                .entry((object.kind.clone(), object.name.clone()))
                .or_default()
                .push(position);
            set.by_kind
                .entry(object.kind.clone())
                .or_default()
                .push(position);
        }
        set.global = set.objects.iter().any(|object| {
            (CLUSTER_NAMED_KINDS.contains(&object.kind.as_str()) && object.name == GLOBAL)
                || object.kind == INSTALLER_REQUEST
                || (object.kind == CONFIG_MAP && object.name == IMPORT_CONFIG_MAP)
                || (object.kind == APP_RELEASE
                    && object
                        .field(&["spec"])
                        .and_then(|spec| find_key(spec.node, "isGlobal", 6))
                        .and_then(|node| node.bool())
                        == Some(true))
        });
        set.assign_clusters();
        set
    }

    pub fn of_kind<'a>(&'a self, kind: &str) -> impl Iterator<Item = &'a Object> + 'a {
        self.by_kind
            .get(kind)
            .map_or(&[][..], Vec::as_slice)
            .iter()
            .map(|&at| &self.objects[at])
    }

    pub fn count(&self, kind: &str) -> usize {
        self.by_kind.get(kind).map_or(0, Vec::len)
    }

    /// The object a reference from `from` names; namespaces must agree when both are given.
    pub fn resolve(
        &self,
        from: &Object,
        kind: &str,
        name: &str,
        namespace: &str,
    ) -> Option<&Object> {
        self.resolve_index(from, kind, name, namespace)
            .map(|at| &self.objects[at])
    }

    fn resolve_index(
        &self,
        from: &Object,
        kind: &str,
        name: &str,
        namespace: &str,
    ) -> Option<usize> {
        let namespace = if namespace.is_empty() {
            from.namespace.as_str()
        } else {
            namespace
        };
        self.index
            .get(&(kind.to_owned(), name.to_owned()))?
            .iter()
            .copied()
            .find(|&at| {
                let object = &self.objects[at];
                object.namespace.is_empty() || namespace.is_empty() || object.namespace == namespace
            })
    }

    /// Follows `{kind, name, namespace}` at `path` of `from`, if that kind is `kind`.
    pub fn follow(&self, from: &Object, path: &[&str], kind: &str) -> Option<&Object> {
        self.follow_index(from, path, kind)
            .map(|at| &self.objects[at])
    }

    fn follow_index(&self, from: &Object, path: &[&str], kind: &str) -> Option<usize> {
        let reference = from.field(path)?.node;
        let ref_kind = reference
            .get("kind")
            .and_then(|node| node.str())
            .unwrap_or(kind);
        if ref_kind != kind {
            return None;
        }
        let name = reference.get("name")?.str()?;
        let namespace = reference
            .get("namespace")
            .and_then(|node| node.str())
            .unwrap_or("");
        self.resolve_index(from, kind, name, namespace)
    }

    pub fn is_global(&self, object: &Object) -> bool {
        object.cluster.as_deref() == Some(GLOBAL)
    }

    /// Works out each platform object's cluster: along the references from each `Cluster`,
    /// from `spec.clusterName` and the CAPI cluster-name label, then — for registrations, seed
    /// images and anything left — from the name prefix or the only cluster of the input.
    fn assign_clusters(&mut self) {
        let mut owners: Vec<Option<String>> = vec![None; self.objects.len()];
        let claim = |owners: &mut Vec<Option<String>>, at: Option<usize>, cluster: &str| {
            if let Some(at) = at
                && owners[at].is_none()
            {
                owners[at] = Some(cluster.to_owned());
            }
        };
        for (at, object) in self.objects.iter().enumerate() {
            let cluster = if object.kind == CLUSTER {
                Some(object.name.clone())
            } else {
                object
                    .str(&["spec", "clusterName"])
                    .or_else(|| object.label_value("cluster.x-k8s.io/cluster-name"))
                    .map(str::to_owned)
            };
            let Some(cluster) = cluster else { continue };
            if !PLATFORM_KINDS.contains(&object.kind.as_str()) {
                continue;
            }
            claim(&mut owners, Some(at), &cluster);
            let templates: Vec<Option<usize>> = match object.kind.as_str() {
                CLUSTER => {
                    let kcp = self.follow_index(object, &["spec", "controlPlaneRef"], KCP);
                    claim(&mut owners, kcp, &cluster);
                    let infra = self.follow_index(
                        object,
                        &["spec", "infrastructureRef"],
                        BAREMETAL_CLUSTER,
                    );
                    claim(&mut owners, infra, &cluster);
                    vec![kcp.and_then(|kcp| {
                        self.follow_index(
                            &self.objects[kcp],
                            &["spec", "machineTemplate", "infrastructureRef"],
                            BAREMETAL_MACHINE_TEMPLATE,
                        )
                    })]
                }
                MACHINE_DEPLOYMENT => {
                    let bootstrap = self.follow_index(
                        object,
                        &["spec", "template", "spec", "bootstrap", "configRef"],
                        KUBEADM_CONFIG_TEMPLATE,
                    );
                    claim(&mut owners, bootstrap, &cluster);
                    vec![self.follow_index(
                        object,
                        &["spec", "template", "spec", "infrastructureRef"],
                        BAREMETAL_MACHINE_TEMPLATE,
                    )]
                }
                _ => Vec::new(),
            };
            for template in templates.into_iter().flatten() {
                claim(&mut owners, Some(template), &cluster);
                let pool = self.follow_index(
                    &self.objects[template],
                    &["spec", "template", "spec", "machineInventoryPoolRef"],
                    POOL,
                );
                claim(&mut owners, pool, &cluster);
            }
        }
        let clusters: BTreeSet<String> = self
            .objects
            .iter()
            .filter(|object| object.kind == CLUSTER)
            .map(|object| object.name.clone())
            .chain(owners.iter().flatten().cloned())
            .collect();
        // Seed images last: they take their registration's cluster.
        let order = (0..self.objects.len())
            .filter(|&at| self.objects[at].kind != SEED_IMAGE)
            .chain((0..self.objects.len()).filter(|&at| self.objects[at].kind == SEED_IMAGE));
        for at in order {
            let object = &self.objects[at];
            if owners[at].is_some() || !PLATFORM_KINDS.contains(&object.kind.as_str()) {
                continue;
            }
            if object.kind == SEED_IMAGE
                && let Some(registration) =
                    self.follow_index(object, &["spec", "registrationRef"], REGISTRATION)
                && owners[registration].is_some()
            {
                owners[at] = owners[registration].clone();
                continue;
            }
            let by_prefix = clusters
                .iter()
                .filter(|cluster| object.name.starts_with(&format!("{cluster}-")))
                .max_by_key(|cluster| cluster.len())
                .cloned();
            owners[at] = by_prefix.or_else(|| {
                if clusters.len() == 1 {
                    clusters.iter().next().cloned()
                } else if clusters.is_empty() && self.global {
                    Some(GLOBAL.to_owned())
                } else {
                    None
                }
            });
        }
        for (object, owner) in self.objects.iter_mut().zip(owners) {
            object.cluster = owner;
        }
    }
}

/// The first value of `key` anywhere under `node`, breadth first, at most `depth` levels down.
pub fn find_key<'a>(
    node: &'a super::tree::Node,
    key: &str,
    depth: usize,
) -> Option<&'a super::tree::Node> {
    find_entry(node, key, depth).map(|entry| &entry.value)
}

pub fn find_entry<'a>(
    node: &'a super::tree::Node,
    key: &str,
    depth: usize,
) -> Option<&'a super::tree::Entry> {
    let mut level = vec![node];
    for _ in 0..=depth {
        let mut next = Vec::new();
        for node in level {
            for entry in node.entries() {
                if entry.key == key {
                    return Some(entry);
                }
                next.push(&entry.value);
            }
            next.extend(node.items());
        }
        level = next;
    }
    None
}
