//! `ironprep`: preflight for ACP on bare metal. Host checks (this machine, or a fleet over
//! SSH, or hosts without an OS through their BMC), certificates, manifest lint and endpoint
//! probes, rendered for people and machines.

pub mod bmc;
pub mod certs_cmd;
pub mod cli;
pub mod cluster_options;
pub mod fleet;
pub mod iso;
pub mod lint;
pub mod local;
pub mod merge;
pub mod output;
pub mod probe;
pub mod registration;
pub mod schema_cmd;
pub mod waivers;
