//! `baremetalcluster.*`: the control-plane load balancer (alive VIP) and the DR encryption
//! Secret of a BaremetalCluster.

use super::describe;
use crate::lint::context::{Context, is_ip};
use crate::lint::object::Object;
use crate::lint::rule::{Rule, Sink};
use crate::lint::set::{self, Manifests};

const LB: [&str; 2] = ["spec", "controlPlaneLoadBalancer"];

fn lb(key: &'static str) -> [&'static str; 3] {
    [LB[0], LB[1], key]
}

fn filled(value: &str) -> bool {
    !value.contains(['<', '$'])
}

pub struct Vip;

impl Rule for Vip {
    describe!(
        "baremetalcluster.vip",
        "controlPlaneLoadBalancer.host is the control-plane VIP",
        why: "alive announces this address as the control-plane VIP; the installer request's \
              console.host and cluster.features.ha.vip and the AppRelease's \
              handoffHook.controlPlaneVIP must name the same address (seed 000), or the \
              handoff moves the hosts to an address nobody answers on.",
        example: "spec:\n  controlPlaneLoadBalancer:\n    type: Internal\n    host: 192.168.10.100\n    port: 6443\n    vrid: 51",
    );

    fn check(&self, set: &Manifests, context: &Context, sink: &mut Sink) {
        for object in set.of_kind(set::BAREMETAL_CLUSTER) {
            let path = lb("host");
            let Some(host) = object.str(&path) else {
                sink.field(
                    object,
                    &path,
                    "no control-plane VIP",
                    "set `host` to the control-plane VIP",
                );
                continue;
            };
            if !filled(host) {
                continue;
            }
            if object.str(&lb("type")) != Some("External") && !is_ip(host) {
                sink.field(
                    object,
                    &path,
                    format!("`{host}` is not an IP address; alive can only announce an address"),
                    "set `host` to the VIP's IP address",
                );
                continue;
            }
            if let Some(vip) = &context.vip
                && vip.value != host
                && (set.is_global(object) || set.count(set::BAREMETAL_CLUSTER) == 1)
            {
                sink.field(
                    object,
                    &path,
                    format!(
                        "host {host} differs from the VIP {} (from {})",
                        vip.value, vip.from
                    ),
                    "use one VIP everywhere: BaremetalCluster, installer request, AppRelease",
                );
            }
        }
    }
}

pub struct Port;

impl Rule for Port {
    describe!(
        "baremetalcluster.port",
        "the global cluster's controlPlaneLoadBalancer.port is 6443",
        why: "The installer request declares `cluster.features.ha.vport: 6443` and the platform \
              reaches the global apiserver there (seed 000, \"port to 6443\").",
        example: "spec:\n  controlPlaneLoadBalancer:\n    port: 6443",
    );

    fn check(&self, set: &Manifests, _: &Context, sink: &mut Sink) {
        for object in set.of_kind(set::BAREMETAL_CLUSTER) {
            let path = lb("port");
            let port = object.field(&path);
            let text = port.and_then(|field| field.node.str()).unwrap_or("");
            if !filled(text) {
                continue;
            }
            match port.and_then(|field| field.node.int()) {
                None => sink.field(object, &path, "no valid port", "set `port: 6443`"),
                Some(port) if !(1..=65535).contains(&port) => sink.field(
                    object,
                    &path,
                    format!("port {port} is out of range"),
                    "set `port: 6443`",
                ),
                Some(port) if port != 6443 && set.is_global(object) => sink.field(
                    object,
                    &path,
                    format!("port {port}; the global cluster's VIP port is 6443"),
                    "set `port: 6443`",
                ),
                Some(_) => {}
            }
        }
    }
}

pub struct Vrid;

impl Rule for Vrid {
    describe!(
        "baremetalcluster.vrid",
        "controlPlaneLoadBalancer.vrid is an integer from 1 to 255",
        why: "The VRRP virtual router ID is one byte and must be unique in the control-plane \
              Layer-2 domain (seeds 000, 001); alive refuses anything else and the VIP never \
              comes up, which shows as EndpointReady never turning true.",
        example: "spec:\n  controlPlaneLoadBalancer:\n    vrid: 51",
    );

    fn check(&self, set: &Manifests, _: &Context, sink: &mut Sink) {
        for object in set.of_kind(set::BAREMETAL_CLUSTER) {
            if object.str(&lb("type")) == Some("External") {
                continue;
            }
            let path = lb("vrid");
            let field = object.field(&path);
            if field
                .and_then(|f| f.node.str())
                .is_some_and(|text| !filled(text))
            {
                continue;
            }
            match field.and_then(|f| f.node.int()) {
                Some(1..=255) => {}
                Some(vrid) => sink.field(
                    object,
                    &path,
                    format!("vrid {vrid} is outside 1–255"),
                    "choose a vrid from 1 to 255, unique in the L2 domain",
                ),
                None => sink.field(
                    object,
                    &path,
                    "no valid vrid",
                    "set `vrid` to a number from 1 to 255, unique in the L2 domain",
                ),
            }
        }
        // Two clusters of the input sharing a vrid share a VRRP group if they share the L2 domain.
        let mut seen: std::collections::HashMap<i64, &Object> = std::collections::HashMap::new();
        for object in set.of_kind(set::BAREMETAL_CLUSTER) {
            let Some(vrid) = object.field(&lb("vrid")).and_then(|f| f.node.int()) else {
                continue;
            };
            if let Some(other) = seen.get(&vrid) {
                sink.field(
                    object,
                    &lb("vrid"),
                    format!("vrid {vrid} is also used by {}", other.label()),
                    "give each cluster's VIP its own vrid",
                );
            }
            seen.entry(vrid).or_insert(object);
        }
    }
}

pub struct LoadBalancerType;

impl Rule for LoadBalancerType {
    describe!(
        "baremetalcluster.lb-type",
        "controlPlaneLoadBalancer.type is Internal or External",
        why: "Internal deploys alive to hold the VIP; External skips it and expects your own load \
              balancer (seed 001). Any other value is rejected by the provider.",
        example: "spec:\n  controlPlaneLoadBalancer:\n    type: Internal",
    );

    fn check(&self, set: &Manifests, _: &Context, sink: &mut Sink) {
        for object in set.of_kind(set::BAREMETAL_CLUSTER) {
            let path = lb("type");
            if let Some(kind) = object.str(&path)
                && !matches!(kind, "Internal" | "External")
            {
                sink.field(
                    object,
                    &path,
                    format!("type `{kind}`"),
                    "set `type: Internal` (alive holds the VIP) or `External`",
                );
            }
        }
    }
}

pub struct EncryptionSecret;

impl Rule for EncryptionSecret {
    describe!(
        "baremetalcluster.encryption-secret",
        "for DR, encryptionProviderConfigRef names a Secret with key encryption-provider.conf",
        why: "Primary and standby must share the apiserver encryption configuration, or the \
              standby cannot decrypt Secrets written on the primary. For Bare Metal the \
              BaremetalCluster's encryptionProviderConfigRef is the source of truth; the Secret \
              must be in cpaas-system with the key encryption-provider.conf (seed 000).",
        example: "spec:\n  encryptionProviderConfigRef:\n    name: global-encryption-provider-config",
    );

    fn check(&self, set: &Manifests, context: &Context, sink: &mut Sink) {
        for object in set.of_kind(set::BAREMETAL_CLUSTER) {
            let path = ["spec", "encryptionProviderConfigRef", "name"];
            let Some(name) = object.str(&path) else {
                if context.dr && set.is_global(object) {
                    sink.field(
                        object,
                        &path,
                        "DR needs an encryptionProviderConfigRef shared by primary and standby",
                        "create the Secret with key encryption-provider.conf and reference it here",
                    );
                }
                continue;
            };
            let Some(secret) = set.resolve(object, set::SECRET, name, "") else {
                continue;
            };
            let has_key = ["data", "stringData"]
                .iter()
                .any(|data| secret.field(&[data, "encryption-provider.conf"]).is_some());
            if !has_key {
                sink.field(
                    secret,
                    &["data"],
                    format!("Secret {name} has no key encryption-provider.conf"),
                    "create it with `--from-file=encryption-provider.conf=…`",
                );
            }
        }
    }
}
