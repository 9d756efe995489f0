//! `installer.console`: console.host lists the local control-plane VIP the platform is served
//! on; the stable platform domain belongs in console.globalHost and never in console.host (seed
//! 000, Step 8). vSphere and HCS declare their endpoint in the manifest or the ELB, so their
//! console.host stays empty.

use super::describe;
use super::installer_common::{filled, has_own_vip, requests};
use crate::lint::context::{Context, is_ip};
use crate::lint::rule::{Rule, Sink};
use crate::lint::set::Manifests;
use crate::lint::tree::Node;

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
