//! `installer.*`: the installer request JSON POSTed to `/cpaas-installer/api/config/dcs`, whose
//! body differs per provider.

use super::describe;
use crate::lint::context::{Context, Provider, is_ip};
use crate::lint::finding::Severity;
use crate::lint::object::{INSTALLER_REQUEST, Object};
use crate::lint::rule::{Rule, Sink};
use crate::lint::set::Manifests;
use crate::lint::tree::Node;

fn requests(set: &Manifests) -> impl Iterator<Item = &Object> {
    set.of_kind(INSTALLER_REQUEST)
}

/// Bare Metal and DCS use a VIP of their own; vSphere and HCS declare the endpoint elsewhere.
fn has_own_vip(provider: Provider) -> bool {
    matches!(provider, Provider::Baremetal | Provider::Dcs)
}

fn filled(value: &str) -> bool {
    !value.contains(['<', '$'])
}

pub struct Console;

impl Rule for Console {
    describe!(
        "installer.console",
        "console.host is [<VIP>] for Bare Metal and DCS, [] for vSphere and HCS; the platform domain goes only in console.globalHost",
        why: "console.host lists the local control-plane VIP the platform is served on; the \
              stable platform domain belongs in console.globalHost and never in console.host \
              (seed 000, Step 8). vSphere and HCS declare their endpoint in the manifest or the \
              ELB, so their console.host stays empty.",
        example: "\"console\": {\n  \"host\": [\"192.168.10.100\"],\n  \"globalHost\": \"platform.example.com\"\n}",
    );

    fn check(&self, set: &Manifests, context: &Context, sink: &mut Sink) {
        for request in requests(set) {
            let path = ["console", "host"];
            let hosts: Vec<&Node> = request
                .field(&path)
                .map(|field| field.node.items().iter().collect())
                .unwrap_or_default();
            if has_own_vip(context.provider) {
                if hosts.len() != 1 {
                    sink.field(
                        request,
                        &path,
                        format!(
                            "console.host has {} entries; {} needs exactly the control-plane VIP",
                            hosts.len(),
                            context.provider.name()
                        ),
                        "set `\"host\": [\"<VIP>\"]`",
                    );
                }
                for host in hosts
                    .iter()
                    .filter_map(|host| Some((host.str()?, host.pos)))
                {
                    let (value, pos) = host;
                    if !filled(value) {
                        continue;
                    }
                    if !is_ip(value) {
                        sink.at(
                            request,
                            pos,
                            "console.host",
                            format!("`{value}` is a domain; console.host takes the VIP"),
                            "move the domain to console.globalHost and put the VIP here",
                        );
                    } else if let Some(vip) = &context.vip
                        && vip.value != value
                    {
                        sink.at(
                            request,
                            pos,
                            "console.host",
                            format!(
                                "{value} is not the control-plane VIP {} (from {})",
                                vip.value, vip.from
                            ),
                            format!("set `\"host\": [\"{}\"]`", vip.value),
                        );
                    }
                }
            } else if !hosts.is_empty() {
                sink.field(
                    request,
                    &path,
                    format!(
                        "{} keeps console.host empty; the endpoint is declared elsewhere",
                        context.provider.name()
                    ),
                    "set `\"host\": []`",
                );
            }
            let global_path = ["console", "globalHost"];
            match request.str(&global_path) {
                None => sink.field(
                    request,
                    &global_path,
                    "console.globalHost is not set",
                    "set it to the platform access domain",
                ),
                Some(global) if filled(global) => {
                    if let Some(platform) = &context.platform_host
                        && platform.value != global
                        && platform.from != request.label()
                    {
                        sink.field(
                            request,
                            &global_path,
                            format!(
                                "globalHost {global} differs from the platform host {} (from {})",
                                platform.value, platform.from
                            ),
                            "use one platform access address everywhere",
                        );
                    }
                }
                Some(_) => {}
            }
        }
    }
}

pub struct HighAvailability;

impl Rule for HighAvailability {
    describe!(
        "installer.ha",
        "Bare Metal and DCS requests carry cluster.features.ha {vip: <VIP>, vport: 6443, isThirdParty: true}; vSphere and HCS none",
        why: "The Bare Metal global cluster is reached through the VIP that alive exposes after \
              handoff, which the installer treats as a third-party HA endpoint on 6443 (seed \
              000, Step 8). vSphere and HCS requests must not include cluster.features.ha.",
        example: "\"features\": {\"ha\": {\"vip\": \"192.168.10.100\", \"vport\": 6443, \"isThirdParty\": true}}",
    );

    fn check(&self, set: &Manifests, context: &Context, sink: &mut Sink) {
        let ha = ["cluster", "features", "ha"];
        for request in requests(set) {
            let present = request.field(&ha).is_some();
            if !has_own_vip(context.provider) {
                if present {
                    sink.field(
                        request,
                        &ha,
                        format!(
                            "{} requests do not include cluster.features.ha",
                            context.provider.name()
                        ),
                        "remove cluster.features.ha",
                    );
                }
                continue;
            }
            if !present {
                sink.field(
                    request,
                    &ha,
                    "cluster.features.ha is missing",
                    "add `\"ha\": {\"vip\": \"<VIP>\", \"vport\": 6443, \"isThirdParty\": true}`",
                );
                continue;
            }
            let vip_path = [&ha[..], &["vip"]].concat();
            match request.str(&vip_path) {
                None => sink.field(
                    request,
                    &vip_path,
                    "ha.vip is not set",
                    "set it to the control-plane VIP",
                ),
                Some(value) if filled(value) => {
                    if let Some(vip) = &context.vip
                        && vip.value != value
                    {
                        sink.field(
                            request,
                            &vip_path,
                            format!(
                                "ha.vip {value} is not the VIP {} (from {})",
                                vip.value, vip.from
                            ),
                            format!("set `\"vip\": \"{}\"`", vip.value),
                        );
                    }
                }
                Some(_) => {}
            }
            let port_path = [&ha[..], &["vport"]].concat();
            if request.field(&port_path).and_then(|field| field.node.int()) != Some(6443) {
                sink.field(
                    request,
                    &port_path,
                    "ha.vport is not 6443",
                    "set `\"vport\": 6443`",
                );
            }
            let third_path = [&ha[..], &["isThirdParty"]].concat();
            if request
                .field(&third_path)
                .and_then(|field| field.node.bool())
                != Some(true)
            {
                sink.field(
                    request,
                    &third_path,
                    "ha.isThirdParty is not true",
                    "set `\"isThirdParty\": true`",
                );
            }
        }
    }
}

pub struct Registry;

impl Rule for Registry {
    describe!(
        "installer.registry",
        "registry.domain is the final platform registry, not the bootstrap one",
        why: "The final global cluster pulls from registry.domain for its whole life; the \
              bootstrap registry disappears with the KIND host. For DR use \
              <platform host>:11443 on both sides so the registry follows the platform-domain \
              switch (seed 000, Step 8).",
        example: "\"registry\": {\"domain\": \"platform.example.com:11443\"}",
    );

    fn check(&self, set: &Manifests, context: &Context, sink: &mut Sink) {
        let path = ["registry", "domain"];
        for request in requests(set) {
            let Some(domain) = request.str(&path) else {
                sink.field(
                    request,
                    &path,
                    "registry.domain is not set",
                    "set it to <platform host>:11443",
                );
                continue;
            };
            if !filled(domain) {
                continue;
            }
            let host = domain.rsplit_once(':').map_or(domain, |(host, _)| host);
            let host_ip = context.host_ip.as_ref().map(|known| known.value.as_str());
            if host.starts_with("127.")
                || host == "localhost"
                || host == "172.18.0.1"
                || Some(host) == host_ip
            {
                sink.field(
                    request,
                    &path,
                    format!(
                        "`{domain}` is a bootstrap registry address, gone after the installation"
                    ),
                    "use <platform host>:11443 (or <VIP>:11443 without DR)",
                );
                continue;
            }
            if context.dr
                && let Some(platform) = &context.platform_host
                && host != platform.value
            {
                sink.with(
                    Severity::Warning,
                    request,
                    request.field(&path).map_or(request.pos, |field| field.pos),
                    "registry.domain",
                    format!(
                        "with DR the registry should follow the platform domain {}, not {host}",
                        platform.value
                    ),
                    format!(
                        "set `\"domain\": \"{}:11443\"` on both primary and standby",
                        platform.value
                    ),
                );
            }
        }
    }
}

pub struct DrCertificate;

impl Rule for DrCertificate {
    describe!(
        "installer.dr-certificate",
        "a DR installation uses a thirdParty console certificate, not a self-signed one",
        why: "With DR each side would otherwise generate an unrelated self-signed certificate, \
              and existing system-agents fail TLS verification after DNS switches to the \
              standby. The thirdParty chain must cover the platform domain and both VIPs \
              (seed 000, DR Certificate Requirement).",
        example: "\"cert\": {\"thirdParty\": {\"crt\": \"<base64 chain>\", \"key\": \"<base64 key>\"}}",
    );

    fn check(&self, set: &Manifests, context: &Context, sink: &mut Sink) {
        if !context.dr {
            return;
        }
        for request in requests(set) {
            let cert = ["console", "cert"];
            let third_party = request
                .field(&[&cert[..], &["thirdParty"]].concat())
                .is_some();
            if !third_party {
                sink.field(
                    request,
                    &[&cert[..], &["selfSigned"]].concat(),
                    "DR with a self-signed console certificate: agents fail TLS after failover",
                    "replace console.cert with a thirdParty block trusted by both sides",
                );
            }
        }
    }
}
