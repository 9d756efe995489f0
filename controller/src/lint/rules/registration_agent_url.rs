//! `registration.agent-url`: During bootstrap global hosts register through the KIND host and
//! the handoff job later moves them to the VIP, so the annotation must not be set (seed 000).
//! New global hosts after handoff do not pass through that job: the annotation is what points
//! their system-agent at https://<current VIP>/kubernetes/global (the operator appends the
//! path). Workload hosts use the platform domain, which follows a DR failover (seed 002,
//! Endpoint Rules).

use super::describe;
use super::registration_common::AGENT_URL;
use crate::lint::context::{Context, Phase, is_ip, url_host};
use crate::lint::object::Object;
use crate::lint::rule::{Rule, Sink};
use crate::lint::set::{self, Manifests};

pub struct AgentUrl;

impl Rule for AgentUrl {
    describe!(
        "registration.agent-url",
        "the system-agent-server-url annotation fits the phase: absent at bootstrap, `https://<VIP>` after handoff, the platform domain for workloads",
        why: "During bootstrap global hosts register through the KIND host and the handoff job \
              later moves them to the VIP, so the annotation must not be set (seed 000). New \
              global hosts after handoff do not pass through that job: the annotation is what \
              points their system-agent at https://<current VIP>/kubernetes/global (the \
              operator appends the path). Workload hosts use the platform domain, which \
              follows a DR failover (seed 002, Endpoint Rules).",
        example: "metadata:\n  annotations:\n    baremetal.cluster.io/system-agent-server-url: https://192.168.10.100",
    );

    fn check(&self, set: &Manifests, context: &Context, sink: &mut Sink) {
        for object in set.of_kind(set::REGISTRATION) {
            let path = ["metadata", "annotations", AGENT_URL];
            let url = object.str(&path);
            if set.is_global(object) {
                match (context.phase, url) {
                    (Phase::Bootstrap, Some(_)) => sink.field(
                        object,
                        &path,
                        "bootstrap registrations of global hosts must not set the system-agent URL; \
                         the handoff job moves them to the VIP",
                        format!("remove the {AGENT_URL} annotation (or lint with --phase installed)"),
                    ),
                    (Phase::Installed, None) => sink.field(
                        object,
                        &path,
                        "new global hosts after handoff need the system-agent URL of the current VIP",
                        format!("add annotation `{AGENT_URL}: https://<current global control-plane VIP>`"),
                    ),
                    (Phase::Installed, Some(url)) => self.global_url(object, url, context, sink),
                    (Phase::Bootstrap, None) => {}
                }
            } else if let Some(url) = url
                && object.cluster.is_some()
            {
                self.workload_url(object, url, context, sink);
            }
        }
    }
}

impl AgentUrl {
    fn global_url(&self, object: &Object, url: &str, context: &Context, sink: &mut Sink) {
        let path = ["metadata", "annotations", AGENT_URL];
        let Some(host) = url_form(object, url, "VIP", sink) else {
            return;
        };
        match &context.vip {
            Some(vip) if vip.value != host => sink.field(
                object,
                &path,
                format!("{host} is not the current control-plane VIP {} (from {})", vip.value, vip.from),
                format!("write `https://{}`", vip.value),
            ),
            Some(_) => {}
            None if !is_ip(host) => sink.field(
                object,
                &path,
                format!("{host} is not an IP: global hosts use the control-plane VIP, not the platform domain"),
                "write `https://<current global control-plane VIP>`",
            ),
            None => sink.missing_context(object, "metadata.annotations", "the control-plane VIP (--vip)"),
        }
    }

    fn workload_url(&self, object: &Object, url: &str, context: &Context, sink: &mut Sink) {
        let path = ["metadata", "annotations", AGENT_URL];
        let Some(host) = url_form(object, url, "platform domain", sink) else {
            return;
        };
        let wrong = match &context.platform_host {
            Some(platform) => platform.value != host,
            None if context.vip.as_ref().is_some_and(|vip| vip.value == host) => true,
            None => {
                sink.missing_context(
                    object,
                    "metadata.annotations",
                    "the platform domain (--platform-host)",
                );
                false
            }
        };
        if wrong {
            sink.field(
                object,
                &path,
                format!("workload hosts must use the platform domain, not {host}; a VIP does not follow a DR failover"),
                match &context.platform_host {
                    Some(platform) => format!("write `https://{}` or remove the annotation", platform.value),
                    None => "use the platform domain, or remove the annotation".to_owned(),
                },
            );
        }
    }
}

/// `https://host:6443…`: the API server port, which the seed rules out for the system-agent.
fn has_api_server_port(url: &str) -> bool {
    let authority = url
        .strip_prefix("https://")
        .unwrap_or(url)
        .split('/')
        .next()
        .unwrap_or("");
    authority.ends_with(":6443")
}

/// The checks of the URL's form that hold for global and workload hosts alike; returns the host
/// when the rest of the rule can go on (not a template, and an https URL).
fn url_form<'u>(object: &Object, url: &'u str, example: &str, sink: &mut Sink) -> Option<&'u str> {
    let path = ["metadata", "annotations", AGENT_URL];
    if url.contains(['<', '$']) {
        return None;
    }
    let Some(host) = url_host(url).filter(|_| url.starts_with("https://")) else {
        sink.field(
            object,
            &path,
            format!("`{url}` is not an https URL"),
            format!("write `https://<{example}>`"),
        );
        return None;
    };
    if url.trim_end_matches('/').ends_with("/kubernetes/global") {
        sink.field(
            object,
            &path,
            "the URL already ends in /kubernetes/global; the operator appends it again",
            format!("write `https://{host}`"),
        );
    }
    if has_api_server_port(url) {
        sink.field(
            object,
            &path,
            "the system-agent endpoint is a platform ingress path, not the kube-apiserver \
             on :6443 (seed 002, Endpoint Rules)",
            format!("write `https://{host}`"),
        );
    }
    Some(host)
}
