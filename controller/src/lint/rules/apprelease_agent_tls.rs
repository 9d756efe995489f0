//! `apprelease.agent-tls`: elemental-system-agent verifies the bootstrap endpoint with the CA
//! mounted from cpaas-system/dex.tls when agentTLSMode is strict (seed 000); a wrong Secret or
//! key leaves the agent with an empty CA, which strict mode treats as fatal.

use super::apprelease_common::{baremetal_releases, expect};
use super::describe;
use crate::lint::context::Context;
use crate::lint::rule::{Rule, Sink};
use crate::lint::set::Manifests;

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
        for object in baremetal_releases(set) {
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
