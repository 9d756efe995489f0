//! `kcp.*`: the KubeadmControlPlane of a bare-metal cluster (and the versions of its
//! MachineDeployments), as the bare-metal provider needs it.

use std::collections::HashSet;

use super::describe;
use crate::lint::context::{Context, is_ip};
use crate::lint::object::Object;
use crate::lint::rule::{Rule, Sink};
use crate::lint::set::{self, Manifests};

pub fn is_baremetal(object: &Object) -> bool {
    object.kind == set::KCP
        && object.str(&["spec", "machineTemplate", "infrastructureRef", "kind"])
            == Some(set::BAREMETAL_MACHINE_TEMPLATE)
}

fn baremetal_kcps(set: &Manifests) -> impl Iterator<Item = &Object> {
    set.of_kind(set::KCP).filter(|object| is_baremetal(object))
}

pub struct Replicas;

impl Rule for Replicas {
    describe!(
        "kcp.replicas",
        "a bare-metal control plane has at least 3 replicas",
        why: "The bare-metal provider does not support single-node control planes: with fewer \
              than three replicas alive cannot arbitrate the VIP and etcd loses quorum when one \
              host fails (seed 001). Cluster API's default is 1.",
        example: "spec:\n  replicas: 3",
    );

    fn check(&self, set: &Manifests, _: &Context, sink: &mut Sink) {
        for object in baremetal_kcps(set) {
            let path = ["spec", "replicas"];
            match object.field(&path).map(|field| field.node.int()) {
                Some(Some(replicas)) if replicas >= 3 => {}
                Some(Some(replicas)) => sink.field(
                    object,
                    &path,
                    format!("{replicas} control-plane replica(s); bare metal needs at least 3"),
                    "set `spec.replicas: 3` and give the control-plane pool three inventories",
                ),
                Some(None) => sink.field(
                    object,
                    &path,
                    "replicas is not a number",
                    "set `spec.replicas: 3`",
                ),
                None => sink.field(
                    object,
                    &path,
                    "replicas is not set, so Cluster API creates 1",
                    "set `spec.replicas: 3`",
                ),
            }
        }
    }
}

pub struct MaxSurge;

impl Rule for MaxSurge {
    describe!(
        "kcp.max-surge",
        "a bare-metal control plane rolls out with `maxSurge: 0`",
        why: "Bare-metal pools cannot over-provision physical hosts (seed 000); the provider \
              replaces one machine at a time with delete-then-add from the same pool. With the \
              default maxSurge 1 a rollout waits forever for a fourth host.",
        example: "spec:\n  rolloutStrategy:\n    type: RollingUpdate\n    rollingUpdate:\n      maxSurge: 0",
    );

    fn check(&self, set: &Manifests, _: &Context, sink: &mut Sink) {
        for object in baremetal_kcps(set) {
            let path = ["spec", "rolloutStrategy", "rollingUpdate", "maxSurge"];
            let value = object.field(&path).and_then(|field| field.node.str());
            if !matches!(value, Some("0")) {
                let message = match value {
                    Some(value) => format!("maxSurge is {value}; bare metal cannot surge"),
                    None => "maxSurge is not set, so Cluster API surges by 1".to_owned(),
                };
                sink.field(
                    object,
                    &path,
                    message,
                    "set `spec.rolloutStrategy.rollingUpdate.maxSurge: 0`",
                );
            }
        }
    }
}

pub struct Format;

impl Rule for Format {
    describe!(
        "kcp.format",
        "a bare-metal control plane's bootstrap format is `cloud-init` or unset",
        why: "cloud-init is the provider path used by Bare Metal (seed 000); `ignition` is for \
              the DCS Alauda OS images and the bare-metal provider rejects it.",
        example: "spec:\n  kubeadmConfigSpec:\n    format: cloud-init",
    );

    fn check(&self, set: &Manifests, _: &Context, sink: &mut Sink) {
        for object in baremetal_kcps(set) {
            let path = ["spec", "kubeadmConfigSpec", "format"];
            if let Some(format) = object.str(&path)
                && format != "cloud-init"
            {
                sink.field(
                    object,
                    &path,
                    format!("format `{format}`; bare metal uses cloud-init"),
                    "set `format: cloud-init` or remove the field",
                );
            }
        }
    }
}

pub struct SkipKubeProxy;

impl Rule for SkipKubeProxy {
    describe!(
        "kcp.skip-kube-proxy",
        "the global control plane keeps `controlplane.cluster.x-k8s.io/skip-kube-proxy: \"\"` with kube-ovn",
        why: "With kube-ovn the release manifest replaces kube-proxy; seed 000 says to keep the \
              skip-kube-proxy annotation on the global KubeadmControlPlane. Without it kubeadm \
              installs kube-proxy next to kube-ovn's service handling.",
        example: "metadata:\n  annotations:\n    controlplane.cluster.x-k8s.io/skip-kube-proxy: \"\"",
    );

    fn check(&self, set: &Manifests, _: &Context, sink: &mut Sink) {
        if !uses_kube_ovn(set) {
            return;
        }
        for object in baremetal_kcps(set).filter(|object| set.is_global(object)) {
            let key = "controlplane.cluster.x-k8s.io/skip-kube-proxy";
            if object.annotation(key).is_none() {
                sink.field(
                    object,
                    &["metadata", "annotations", key],
                    "the skip-kube-proxy annotation is missing; kubeadm would install kube-proxy next to kube-ovn",
                    format!("add annotation `{key}: \"\"`"),
                );
            }
        }
    }
}

/// kube-ovn unless a `networkType` in the input says otherwise (it is ACP's default).
fn uses_kube_ovn(set: &Manifests) -> bool {
    !set.objects.iter().any(|object| {
        set::find_key(&object.root, "networkType", 8)
            .and_then(|node| node.str())
            .is_some_and(|network| network != "kube-ovn")
    })
}

pub struct EtcdSans;

impl Rule for EtcdSans {
    describe!(
        "kcp.etcd-sans",
        "the global control plane's etcd serverCertSANs contain the VIP and the platform host (DR: both VIPs)",
        why: "The DR etcd-sync and the platform reach etcd through the control-plane VIP and the \
              platform access address; seed 000 puts both into \
              etcd.local.serverCertSANs. For DR, seed 000 (Add DR Certificate SANs) wants \
              \"both the primary and standby control plane VIPs and the platform access \
              address\", the same list on both sides: etcd-sync on the standby reaches the \
              primary by its VIP. Give them with --primary-vip/--standby-vip. A missing SAN \
              fails TLS to etcd only when that path is first used.",
        example: "spec:\n  kubeadmConfigSpec:\n    clusterConfiguration:\n      etcd:\n        local:\n          serverCertSANs:\n          - 192.168.10.100         # primary VIP\n          - 192.168.20.100         # standby VIP (DR)\n          - platform.example.com",
    );

    fn check(&self, set: &Manifests, context: &Context, sink: &mut Sink) {
        let path = [
            "spec",
            "kubeadmConfigSpec",
            "clusterConfiguration",
            "etcd",
            "local",
            "serverCertSANs",
        ];
        for object in baremetal_kcps(set).filter(|object| set.is_global(object)) {
            let sans: Vec<&str> = object
                .field(&path)
                .map(|field| {
                    field
                        .node
                        .items()
                        .iter()
                        .filter_map(|item| item.str())
                        .collect()
                })
                .unwrap_or_default();
            for (name, known) in [
                ("control-plane VIP", &context.vip),
                ("platform host", &context.platform_host),
            ] {
                let Some(known) = known else {
                    sink.missing_context(
                        object,
                        "spec.kubeadmConfigSpec",
                        &format!("the {name} (--{})", flag(name)),
                    );
                    continue;
                };
                if !sans.contains(&known.value.as_str()) {
                    sink.field(
                        object,
                        &path,
                        format!(
                            "etcd serverCertSANs lack the {name} {} (from {})",
                            known.value, known.from
                        ),
                        format!("add `- {}` to serverCertSANs", known.value),
                    );
                }
            }
            if context.dr {
                dr_sans(object, &path, &sans, context, sink);
            }
        }
    }
}

/// DR: both sides' VIPs are SANs. Those given on the command line must be there; without
/// them, a list with a single IP address certainly lacks the other side's VIP.
fn dr_sans(object: &Object, path: &[&str], sans: &[&str], context: &Context, sink: &mut Sink) {
    for known in &context.dr_vips {
        if !sans.contains(&known.value.as_str()) {
            sink.field(
                object,
                path,
                format!(
                    "etcd serverCertSANs lack the DR VIP {} (from {}); both sides need both VIPs",
                    known.value, known.from
                ),
                format!(
                    "add `- {}` to serverCertSANs, on the primary and the standby",
                    known.value
                ),
            );
        }
    }
    if !context.dr_vips.is_empty() {
        return;
    }
    let addresses: HashSet<&str> = sans.iter().copied().filter(|san| is_ip(san)).collect();
    if addresses.len() < 2 && !sans.iter().any(|san| san.contains(['<', '$'])) {
        sink.field(
            object,
            path,
            "DR etcd serverCertSANs hold at most one VIP; they need the primary's and the \
             standby's",
            "add both control-plane VIPs (the same list on the primary and the standby)",
        );
    } else {
        sink.missing_context(
            object,
            "spec.kubeadmConfigSpec",
            "the other DR side's VIP (--primary-vip, --standby-vip)",
        );
    }
}

fn flag(name: &str) -> &'static str {
    if name.contains("VIP") {
        "vip"
    } else {
        "platform-host"
    }
}

pub struct VersionInCatalog;

impl Rule for VersionInCatalog {
    describe!(
        "kcp.version-in-catalog",
        "KubeadmControlPlane and MachineDeployment versions are keys of the elemental-image-catalog, leading `v` kept",
        why: "The provider resolves the OS image for a Machine's version from the \
              elemental-image-catalog ConfigMap at reprovision time. A missing version writes \
              no reprovision plan and the BaremetalMachine ends Failed / ImageCatalogMiss \
              (seed 001, Image Catalog Confirmed).",
        example: "spec:\n  version: v1.33.7-2   # a key of cpaas-system/elemental-image-catalog",
    );

    fn check(&self, set: &Manifests, context: &Context, sink: &mut Sink) {
        for object in &set.objects {
            let path: &[&str] = match object.kind.as_str() {
                set::KCP if is_baremetal(object) => &["spec", "version"],
                set::MACHINE_DEPLOYMENT
                    if object.str(&["spec", "template", "spec", "infrastructureRef", "kind"])
                        == Some(set::BAREMETAL_MACHINE_TEMPLATE) =>
                {
                    &["spec", "template", "spec", "version"]
                }
                _ => continue,
            };
            let Some(version) = object.str(path) else {
                sink.field(
                    object,
                    path,
                    "no Kubernetes version",
                    "set the version to a key of elemental-image-catalog",
                );
                continue;
            };
            if version.contains(['<', '$']) {
                continue;
            }
            if !version.starts_with('v') {
                sink.field(
                    object,
                    path,
                    format!("version `{version}` lacks the leading `v` the catalog keys keep"),
                    format!("write `v{version}`"),
                );
                continue;
            }
            let Some(catalog) = &context.catalog else {
                sink.missing_context(
                    object,
                    &path.join("."),
                    "the image catalog (--image-catalog or the elemental-image-catalog ConfigMap)",
                );
                continue;
            };
            if catalog.image(version).is_none() {
                let keys: Vec<&str> = catalog
                    .entries
                    .iter()
                    .map(|(key, _)| key.as_str())
                    .collect();
                sink.field(
                    object,
                    path,
                    format!(
                        "version `{version}` is not in the image catalog ({})",
                        catalog.from
                    ),
                    format!("use one of: {}", keys.join(", ")),
                );
            }
        }
    }
}

pub struct EncryptionFile;

impl Rule for EncryptionFile {
    describe!(
        "kcp.encryption-file",
        "a bare-metal control plane does not deliver /etc/kubernetes/encryption-provider.conf in kubeadmConfigSpec.files",
        why: "For Bare Metal the BaremetalCluster's encryptionProviderConfigRef is the source of \
              truth: the provider injects the file into the control-plane bootstrap data. \
              Adding it to files as well (as vSphere and HCS do) gives two sources that drift, \
              and for DR the standby can no longer decrypt the primary's Secrets (seed 000).",
        example: "kind: BaremetalCluster\nspec:\n  encryptionProviderConfigRef:\n    name: global-encryption-provider-config",
    );

    fn check(&self, set: &Manifests, _: &Context, sink: &mut Sink) {
        for object in baremetal_kcps(set) {
            let Some(files) = object.field(&["spec", "kubeadmConfigSpec", "files"]) else {
                continue;
            };
            for (index, file) in files.node.items().iter().enumerate() {
                if let Some(entry) = file.entry("path")
                    && entry.value.str() == Some("/etc/kubernetes/encryption-provider.conf")
                {
                    sink.at(
                        object,
                        entry.key_pos,
                        format!("spec.kubeadmConfigSpec.files[{index}].path"),
                        "encryption-provider.conf is delivered through kubeadmConfigSpec.files",
                        "remove this file entry and reference the Secret from \
                         BaremetalCluster.spec.encryptionProviderConfigRef instead",
                    );
                }
            }
        }
    }
}
