//! `ironprep-agent`: read-only preflight checks of one Linux host for ACP on bare metal.
//!
//! The binary is thin: [`cli::run`] parses the command line, builds a [`host::Host`] (the live
//! system or a tree given with `--root`), runs the registered [`checks`] through the
//! [`runner`] and renders the report.

pub mod check;
pub mod checks;
pub mod cli;
pub mod cpuid;
pub mod facts;
pub mod firewall;
pub mod hardware;
pub mod host;
pub mod net_session;
pub mod network;
pub mod reach;
pub mod runner;
pub mod sizing;
pub mod sock_diag;
pub mod system;

#[cfg(test)]
pub mod testing;
