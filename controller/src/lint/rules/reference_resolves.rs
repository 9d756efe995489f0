//! `reference.resolves`: Cluster API waits silently for an object that does not exist: a
//! Cluster whose controlPlaneRef misses its KubeadmControlPlane never provisions, and seed 000
//! insists that `Cluster.spec.controlPlaneRef.name and any other cross-references must match
//! the prefixed names exactly`. Secrets are often created with `kubectl create secret`, so a
//! Secret missing from the input is a warning.

use super::describe;
use crate::lint::context::Context;
use crate::lint::finding::Severity;
use crate::lint::object::{self, Object};
use crate::lint::rule::{Rule, Sink};
use crate::lint::set::{self, Manifests, PLATFORM_KINDS};

/// `(kind that refers, path of the reference, kind referred to when the reference has no kind)`.
const REFERENCES: &[(&str, &[&str], &str)] = &[
    (set::CLUSTER, &["spec", "controlPlaneRef"], set::KCP),
    (
        set::CLUSTER,
        &["spec", "infrastructureRef"],
        set::BAREMETAL_CLUSTER,
    ),
    (
        set::KCP,
        &["spec", "machineTemplate", "infrastructureRef"],
        set::BAREMETAL_MACHINE_TEMPLATE,
    ),
    (
        set::MACHINE_DEPLOYMENT,
        &["spec", "template", "spec", "infrastructureRef"],
        set::BAREMETAL_MACHINE_TEMPLATE,
    ),
    (
        set::MACHINE_DEPLOYMENT,
        &["spec", "template", "spec", "bootstrap", "configRef"],
        set::KUBEADM_CONFIG_TEMPLATE,
    ),
    (
        set::BAREMETAL_MACHINE_TEMPLATE,
        &["spec", "template", "spec", "machineInventoryPoolRef"],
        set::POOL,
    ),
    (
        set::SEED_IMAGE,
        &["spec", "registrationRef"],
        set::REGISTRATION,
    ),
    (
        set::BAREMETAL_CLUSTER,
        &["spec", "encryptionProviderConfigRef"],
        set::SECRET,
    ),
];

pub struct Resolves;

impl Rule for Resolves {
    describe!(
        "reference.resolves",
        "controlPlaneRef, infrastructureRef, machineInventoryPoolRef, registrationRef and Secret references resolve",
        why: "Cluster API waits silently for an object that does not exist: a Cluster whose \
              controlPlaneRef misses its KubeadmControlPlane never provisions, and seed 000 \
              insists that `Cluster.spec.controlPlaneRef.name and any other cross-references \
              must match the prefixed names exactly`. Secrets are often created with `kubectl \
              create secret`, so a Secret missing from the input is a warning.",
        example: "spec:\n  controlPlaneRef:\n    kind: KubeadmControlPlane\n    name: global-kcp   # metadata.name of the KCP",
    );

    fn check(&self, set: &Manifests, _: &Context, sink: &mut Sink) {
        for object in &set.objects {
            for (kind, path, default_kind) in REFERENCES {
                if object.kind != *kind {
                    continue;
                }
                let Some(reference) = object.field(path) else {
                    continue;
                };
                let target = reference
                    .node
                    .get("kind")
                    .and_then(|n| n.str())
                    .unwrap_or(default_kind);
                if target != *default_kind && !PLATFORM_KINDS.contains(&target) {
                    continue; // another provider's kind: not ours to resolve
                }
                let Some(name_entry) = reference.node.entry("name") else {
                    sink.field(
                        object,
                        &[path, &["name"][..]].concat(),
                        "reference without a name",
                        "name the object",
                    );
                    continue;
                };
                let name = name_entry.value.str().unwrap_or("");
                let namespace = reference
                    .node
                    .get("namespace")
                    .and_then(|n| n.str())
                    .unwrap_or("");
                if set.resolve(object, target, name, namespace).is_none() {
                    report(
                        sink,
                        object,
                        &[path, &["name"][..]].concat(),
                        name_entry.key_pos,
                        target,
                        name,
                        set,
                    );
                }
            }
            if object.kind == set::MACHINE_DEPLOYMENT
                && let Some(cluster) = object.field(&["spec", "clusterName"])
                && let Some(name) = cluster.node.str()
                && set.resolve(object, set::CLUSTER, name, "").is_none()
            {
                report(
                    sink,
                    object,
                    &["spec", "clusterName"],
                    cluster.pos,
                    set::CLUSTER,
                    name,
                    set,
                );
            }
            self.file_secrets(set, object, sink);
        }
    }
}

impl Resolves {
    /// `files[].contentFrom.secret.name` of KubeadmControlPlane and KubeadmConfigTemplate.
    fn file_secrets(&self, set: &Manifests, object: &Object, sink: &mut Sink) {
        let base: &[&str] = match object.kind.as_str() {
            set::KCP => &["spec", "kubeadmConfigSpec", "files"],
            set::KUBEADM_CONFIG_TEMPLATE => &["spec", "template", "spec", "files"],
            _ => return,
        };
        let Some(files) = object.field(base) else {
            return;
        };
        for (index, file) in files.node.items().iter().enumerate() {
            let Some(secret) = file.get("contentFrom").and_then(|c| c.get("secret")) else {
                continue;
            };
            let Some(entry) = secret.entry("name") else {
                continue;
            };
            let name = entry.value.str().unwrap_or("");
            if set.resolve(object, set::SECRET, name, "").is_none() {
                let field = format!("{}[{index}].contentFrom.secret.name", object::path(base));
                sink.with(
                    Severity::Warning,
                    object,
                    entry.key_pos,
                    field,
                    format!("Secret `{name}` is not in the input"),
                    format!("create Secret {name} in cpaas-system before applying, or include it"),
                );
            }
        }
    }
}

fn report(
    sink: &mut Sink,
    object: &Object,
    path: &[&str],
    pos: crate::lint::tree::Pos,
    kind: &str,
    name: &str,
    set: &Manifests,
) {
    let similar: Vec<&str> = set.of_kind(kind).map(|o| o.name.as_str()).take(5).collect();
    let fix = if similar.is_empty() {
        format!("add the {kind} `{name}` to the manifests, or correct the name")
    } else {
        format!(
            "correct the name; the input has {kind} {}",
            similar.join(", ")
        )
    };
    let severity = if kind == set::SECRET {
        Severity::Warning
    } else {
        Severity::Error
    };
    sink.with(
        severity,
        object,
        pos,
        object::path(path),
        format!("{kind} `{name}` is not in the input"),
        fix,
    );
}
