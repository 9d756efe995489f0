//! `apprelease.system-agent-auth`: the hosts' system-agents authenticate with one shared
//! ServiceAccount token, `baremetal-system-agent`, whose Role the DR RBAC rule restricts to plan
//! Secrets and whose token both DR sides accept (seed 000, Step 3 and "Optional Disaster
//! Recovery Deployment").

use super::apprelease_common::{baremetal_releases, expect};
use super::describe;
use crate::lint::context::Context;
use crate::lint::rule::{Rule, Sink};
use crate::lint::set::Manifests;

pub struct SystemAgentAuth;

impl Rule for SystemAgentAuth {
    describe!(
        "apprelease.system-agent-auth",
        "the bare-metal AppRelease sets elemental.systemAgent.authMode: shared with serviceAccountName: baremetal-system-agent",
        why: "Seed 000 (Step 3, and for both DR sides) runs the hosts' system-agents in shared \
              auth mode with the baremetal-system-agent ServiceAccount: the one token the hosts \
              keep across the handoff and a DR failover, and the one whose Role is limited to \
              plan Secrets. Another mode or account gives the hosts credentials the standby \
              does not know and the RBAC rule does not cover.",
        example: "spec:\n  values:\n    elemental:\n      systemAgent:\n        authMode: shared\n        serviceAccountName: baremetal-system-agent",
    );

    fn check(&self, set: &Manifests, _: &Context, sink: &mut Sink) {
        for object in baremetal_releases(set) {
            expect(
                sink,
                object,
                &["elemental", "systemAgent", "authMode"],
                "shared",
                "the hosts must share the baremetal-system-agent token",
            );
            expect(
                sink,
                object,
                &["elemental", "systemAgent", "serviceAccountName"],
                "baremetal-system-agent",
                "the shared token and its Role belong to that ServiceAccount",
            );
        }
    }
}
