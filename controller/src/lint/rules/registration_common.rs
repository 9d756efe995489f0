//! The system-agent URL annotation of a MachineRegistration: `registration.agent-url` checks
//! its value by phase, and `seedimage.bootstrap-reuse` looks for it on the registration a
//! SeedImage is built from.

pub(super) const AGENT_URL: &str = "baremetal.cluster.io/system-agent-server-url";
