//! `apprelease.bootstrap-endpoint`: Before handoff the global cluster has no VIP yet: hosts
//! register and watch their plans through the bootstrap KIND host (seed 000, Bare Metal
//! Bootstrap Endpoint). A platform domain or VIP here makes the ISO register against an
//! endpoint that does not exist yet.

use super::apprelease_common::{BAREMETAL, Value, value};
use super::describe;
use crate::lint::context::{Context, Phase, is_ip, url_host};
use crate::lint::object::Object;
use crate::lint::rule::{Rule, Sink};
use crate::lint::set::{self, Manifests};
use crate::lint::tree::Node;

pub struct BootstrapEndpoint;

impl Rule for BootstrapEndpoint {
    describe!(
        "apprelease.bootstrap-endpoint",
        "during bootstrap, platformUrl is https://<HOST_IP> and elemental.server.url is https://<HOST_IP>:12443",
        why: "Before handoff the global cluster has no VIP yet: hosts register and watch their \
              plans through the bootstrap KIND host (seed 000, Bare Metal Bootstrap Endpoint). \
              A platform domain or VIP here makes the ISO register against an endpoint that \
              does not exist yet.",
        example: "spec:\n  values:\n    global:\n      platformUrl: https://192.168.10.5\n    elemental:\n      server:\n        url: https://192.168.10.5:12443",
    );

    fn check(&self, set: &Manifests, context: &Context, sink: &mut Sink) {
        for object in bootstrap_baremetal(set, context) {
            let platform = value(object, &["platformUrl"]);
            let server = value(object, &["elemental", "server", "url"]);
            let host_ip = context.host_ip.as_ref();
            for (found, port) in [(&platform, None), (&server, Some("12443"))] {
                let Some(url) = found.node.and_then(Node::str) else {
                    sink.at(
                        object,
                        found.pos,
                        found.field.clone(),
                        format!("{} is not set", found.field),
                        "set it to the bootstrap host's https URL",
                    );
                    continue;
                };
                if url.contains(['<', '$']) {
                    continue;
                }
                let wanted = |ip: &str| match port {
                    Some(port) => format!("https://{ip}:{port}"),
                    None => format!("https://{ip}"),
                };
                let host = url_host(url).unwrap_or("");
                let wrong = match host_ip {
                    Some(ip) => url.trim_end_matches('/') != wanted(&ip.value),
                    // Unknown IP: the exact form, with the URL's own host.
                    None => !is_ip(host) || url.trim_end_matches('/') != wanted(host),
                };
                if wrong {
                    let target =
                        host_ip.map_or_else(|| wanted("<HOST_IP>"), |ip| wanted(&ip.value));
                    sink.at(
                        object,
                        found.pos,
                        found.field.clone(),
                        format!("`{url}` is not the bootstrap endpoint {target}"),
                        format!("set it to `{target}` (the KIND host's IP) until the handoff"),
                    );
                }
            }
            if host_ip.is_none() {
                same_host(object, &platform, &server, context, sink);
                sink.missing_context(
                    object,
                    "spec",
                    "the installer host's IP (--host-ip or the installer request's hostIP)",
                );
            }
        }
    }
}

fn bootstrap_baremetal<'a>(
    set: &'a Manifests,
    context: &Context,
) -> impl Iterator<Item = &'a Object> {
    let bootstrap = context.phase == Phase::Bootstrap;
    set.of_kind(set::APP_RELEASE)
        .filter(move |object| bootstrap && object.name == BAREMETAL)
}

/// Without the host IP: both URLs name the same bootstrap host, and it is not the VIP (which
/// does not exist before the handoff).
fn same_host(
    object: &Object,
    platform: &Value<'_>,
    server: &Value<'_>,
    context: &Context,
    sink: &mut Sink,
) {
    fn host<'a>(found: &Value<'a>) -> Option<&'a str> {
        found
            .node
            .and_then(Node::str)
            .filter(|url| !url.contains(['<', '$']))
            .and_then(url_host)
            .filter(|host| is_ip(host))
    }
    let (Some(platform_host), Some(server_host)) = (host(platform), host(server)) else {
        return;
    };
    if platform_host != server_host {
        sink.at(
            object,
            server.pos,
            server.field.clone(),
            format!(
                "elemental.server.url names {server_host} but platformUrl names {platform_host}; \
                 both are the bootstrap KIND host"
            ),
            "use the KIND host's IP in both (https://<HOST_IP> and https://<HOST_IP>:12443)",
        );
    }
    let vips = [
        context.vip.as_ref().map(|vip| vip.value.as_str()),
        value(object, &["handoffHook", "controlPlaneVIP"])
            .node
            .and_then(Node::str),
    ];
    for (found, host) in [(platform, platform_host), (server, server_host)] {
        if vips.contains(&Some(host)) {
            sink.at(
                object,
                found.pos,
                found.field.clone(),
                format!("{host} is the control-plane VIP, which does not exist before the handoff"),
                "use the bootstrap KIND host's IP until the handoff",
            );
        }
    }
}
