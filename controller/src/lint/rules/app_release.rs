//! `apprelease.*`: the provider AppReleases of the bootstrap KIND host — the values that point
//! hosts at the bootstrap endpoint, make the system-agent verify TLS, and drive the handoff.

use super::describe;
use crate::lint::context::{Context, Phase, is_ip, url_host};
use crate::lint::object::Object;
use crate::lint::rule::{Rule, Sink};
use crate::lint::set::{self, Manifests};
use crate::lint::tree::{Node, Pos};

const BAREMETAL: &str = "cluster-api-provider-baremetal";

fn providers(set: &Manifests) -> impl Iterator<Item = &Object> {
    set.of_kind(set::APP_RELEASE)
        .filter(|object| object.name.starts_with("cluster-api-provider-"))
}

/// The chart values: `spec.values`, or the first `values` mapping under `spec`.
fn values(object: &Object) -> Option<(String, &Node)> {
    fn search<'a>(
        node: &'a Node,
        path: &mut Vec<String>,
        depth: usize,
    ) -> Option<(String, &'a Node)> {
        if depth == 0 {
            return None;
        }
        for entry in node.entries() {
            if entry.key == "values" {
                path.push("values".to_owned());
                return Some((path.join("."), &entry.value));
            }
        }
        for entry in node.entries() {
            path.push(entry.key.clone());
            if let Some(found) = search(&entry.value, path, depth - 1) {
                return Some(found);
            }
            path.pop();
        }
        for (index, item) in node.items().iter().enumerate() {
            let last = path.pop().unwrap_or_default();
            path.push(format!("{last}[{index}]"));
            if let Some(found) = search(item, path, depth - 1) {
                return Some(found);
            }
            path.pop();
            path.push(last);
        }
        None
    }
    let spec = object.root.get("spec")?;
    search(spec, &mut vec!["spec".to_owned()], 4)
}

/// A value at `keys` under the chart values or under their `global`; with its dotted field and
/// the line of its key (or of the nearest parent when missing).
struct Value<'a> {
    node: Option<&'a Node>,
    field: String,
    pos: Pos,
}

fn value<'a>(object: &'a Object, keys: &[&str]) -> Value<'a> {
    let Some((prefix, values)) = values(object) else {
        return Value {
            node: None,
            field: format!("spec.values.{}", keys.join(".")),
            pos: object.pos,
        };
    };
    let roots = [
        (prefix.clone(), Some(values)),
        (format!("{prefix}.global"), values.get("global")),
    ];
    let mut nearest = None;
    for (root_field, root) in roots {
        let Some(mut node) = root else { continue };
        let mut pos = object.pos;
        let mut depth = 0;
        for key in keys {
            match node.entry(key) {
                Some(entry) => {
                    node = &entry.value;
                    pos = entry.key_pos;
                    depth += 1;
                }
                None => break,
            }
        }
        let field = format!("{root_field}.{}", keys.join("."));
        if depth == keys.len() {
            return Value {
                node: Some(node),
                field,
                pos,
            };
        }
        if nearest.as_ref().is_none_or(|(best, _, _)| depth > *best) && depth > 0 {
            nearest = Some((depth, field, pos));
        }
    }
    let (field, pos) = nearest.map_or_else(
        || (format!("{prefix}.{}", keys.join(".")), values.pos),
        |(_, field, pos)| (field, pos),
    );
    Value {
        node: None,
        field,
        pos,
    }
}

fn expect(sink: &mut Sink, object: &Object, keys: &[&str], wanted: &str, why: &str) {
    let found = value(object, keys);
    let actual = found.node.and_then(Node::str);
    if actual != Some(wanted) {
        let message = match actual {
            Some(actual) => format!("{} is `{actual}`; {why}", keys.join(".")),
            None => format!("{} is not set; {why}", keys.join(".")),
        };
        let fix = format!("set `{}: {wanted}`", keys.last().copied().unwrap_or(""));
        sink.at(object, found.pos, found.field, message, fix);
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

pub struct ClusterType;

impl Rule for ClusterType {
    describe!(
        "apprelease.cluster-type",
        "provider AppReleases of the global cluster set global.cluster.type: Baremetal",
        why: "`Baremetal` is a chart-internal classifier, not the IaaS name: it drives how the \
              platform configures node-level components and is Baremetal for every provider of \
              the immutable path (seed 000, \"Why cluster.type is Baremetal\").",
        example: "spec:\n  values:\n    global:\n      cluster:\n        type: Baremetal",
    );

    fn check(&self, set: &Manifests, _: &Context, sink: &mut Sink) {
        for object in providers(set) {
            expect(
                sink,
                object,
                &["cluster", "type"],
                "Baremetal",
                "it is Baremetal for every immutable-infrastructure provider",
            );
        }
    }
}

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

pub struct AgentTls;

impl Rule for AgentTls {
    describe!(
        "apprelease.agent-tls",
        "the bare-metal AppRelease sets elemental.tls.agentTLSMode: strict with caCertSecretName: dex.tls and caCertSecretKey: ca.crt",
        why: "elemental-system-agent verifies the bootstrap endpoint with the CA mounted from \
              cpaas-system/dex.tls when agentTLSMode is strict (seed 000); a wrong Secret or key \
              leaves the agent with an empty CA, which strict mode treats as fatal.",
        example: "spec:\n  values:\n    elemental:\n      tls:\n        agentTLSMode: strict\n        caCertSecretName: dex.tls\n        caCertSecretKey: ca.crt",
    );

    fn check(&self, set: &Manifests, _: &Context, sink: &mut Sink) {
        for object in set
            .of_kind(set::APP_RELEASE)
            .filter(|object| object.name == BAREMETAL)
        {
            expect(
                sink,
                object,
                &["elemental", "tls", "agentTLSMode"],
                "strict",
                "the agent must verify the endpoint",
            );
            expect(
                sink,
                object,
                &["elemental", "tls", "caCertSecretName"],
                "dex.tls",
                "the operator mounts the CA from dex.tls",
            );
            expect(
                sink,
                object,
                &["elemental", "tls", "caCertSecretKey"],
                "ca.crt",
                "the CA bundle is under ca.crt",
            );
        }
    }
}

pub struct Handoff;

impl Rule for Handoff {
    describe!(
        "apprelease.handoff",
        "the bare-metal AppRelease sets handoffHook.controlPlaneVIP and enables delivery",
        why: "After the installation the handoff job moves the global hosts to \
              https://<VIP>/kubernetes/global; without the VIP or with delivery disabled the \
              hosts keep watching the bootstrap host, which is then torn down (seed 000).",
        example: "spec:\n  values:\n    handoffHook:\n      controlPlaneVIP: 192.168.10.100\n      delivery:\n        enabled: true\n        mode: always",
    );

    fn check(&self, set: &Manifests, context: &Context, sink: &mut Sink) {
        for object in set
            .of_kind(set::APP_RELEASE)
            .filter(|object| object.name == BAREMETAL)
        {
            let vip = value(object, &["handoffHook", "controlPlaneVIP"]);
            match vip.node.and_then(Node::str) {
                None => sink.at(
                    object,
                    vip.pos,
                    vip.field,
                    "handoffHook.controlPlaneVIP is not set",
                    "set it to the control-plane VIP",
                ),
                Some(value) => {
                    if let Some(known) = &context.vip
                        && known.value != value
                        && !value.contains(['<', '$'])
                    {
                        sink.at(
                            object,
                            vip.pos,
                            vip.field,
                            format!(
                                "controlPlaneVIP {value} differs from the VIP {} (from {})",
                                known.value, known.from
                            ),
                            "use one VIP everywhere",
                        );
                    }
                }
            }
            let enabled = value(object, &["handoffHook", "delivery", "enabled"]);
            if enabled.node.and_then(Node::bool) != Some(true) {
                sink.at(
                    object,
                    enabled.pos,
                    enabled.field,
                    "handoff delivery is not enabled",
                    "set `delivery: {enabled: true, mode: always}`",
                );
            }
        }
    }
}

pub struct ChartRepo;

impl Rule for ChartRepo {
    describe!(
        "apprelease.chart-repo",
        "chart repoURL and registry address are the bootstrap registry, not the local 127.0.0.1 one",
        why: "Provider Pods read the chart repository from inside the bootstrap KIND network, \
              where 127.0.0.1:11443 is the Pod itself: use BOOTSTRAP_REGISTRY_ADDRESS \
              (172.18.0.1:11443), and LOCAL_REGISTRY_ADDRESS only to push packages from the \
              KIND host (seed 000, Step 1).",
        example: "spec:\n  source:\n    charts:\n    - repoURL: 172.18.0.1:11443",
    );

    fn check(&self, set: &Manifests, _: &Context, sink: &mut Sink) {
        for object in providers(set) {
            let mut path = Vec::new();
            object.root.walk_scalars(&mut path, &mut |path, pos, scalar| {
                let key = match path.last() {
                    Some(crate::lint::tree::PathPart::Key(key)) => *key,
                    _ => return,
                };
                let under_registry = path.len() >= 2
                    && matches!(path[path.len() - 2], crate::lint::tree::PathPart::Key("registry"));
                if key == "repoURL" || (key == "address" && under_registry) {
                    let text = scalar.text.trim_start_matches("oci://").trim_start_matches("https://");
                    if text.starts_with("127.") || text.starts_with("localhost") {
                        sink.at(
                            object,
                            pos,
                            crate::lint::tree::dotted(path),
                            format!("`{}` is the KIND host's local registry, unreachable from provider Pods", scalar.text),
                            "use the bootstrap registry address, normally 172.18.0.1:11443",
                        );
                    }
                }
            });
        }
    }
}
