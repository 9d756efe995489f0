//! `kcp.etcd-sans`: The DR etcd-sync and the platform reach etcd through the control-plane VIP
//! and the platform access address; seed 000 puts both into etcd.local.serverCertSANs. For DR,
//! seed 000 (Add DR Certificate SANs) wants "both the primary and standby control plane VIPs
//! and the platform access address", the same list on both sides: etcd-sync on the standby
//! reaches the primary by its VIP. Give them with --primary-vip/--standby-vip. A missing SAN
//! fails TLS to etcd only when that path is first used.

use std::collections::HashSet;

use super::describe;
use super::kcp_common::baremetal_kcps;
use crate::lint::context::{Context, is_ip};
use crate::lint::object::Object;
use crate::lint::rule::{Rule, Sink};
use crate::lint::set::Manifests;

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
