//! The `ironprep` command line: one subcommand per job, each a thin call into its module.

use std::io::{self, Write};

use clap::{Parser, Subcommand};
use ironprep_schema::ExitCode;

use crate::{bmc, certs_cmd, iso, lint, local, merge, probe, registration, schema_cmd};

const AFTER_HELP: &str = "\
Exit codes: 0 nothing failed, 1 something failed, 2 usage or input error,
3 hosts unreachable or checks not evaluated (and nothing failed), 130 interrupted.

Start with `ironprep check` on one host; see `ironprep help <command>` for each job.";

#[derive(Debug, Parser)]
#[command(
    name = "ironprep",
    version,
    about = "Preflight for ACP on bare metal: hosts, certificates, manifests, endpoints",
    long_about = "Preflight for ACP on bare metal (Cluster API + Rancher Elemental).\n\n\
        Tells you, before a 60-minute install, what will break it and how to fix it: host \
        checks on this machine or a fleet, the bootstrap dex.tls certificates, the cluster \
        manifests and the handoff endpoints.",
    after_help = AFTER_HELP
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check hosts: this machine by default.
    Check(Box<local::CheckArgs>),
    /// Generate and verify the bootstrap dex.tls and the DR key material.
    #[command(subcommand)]
    Certs(certs_cmd::CertsCommand),
    /// Lint SeedImage, MachineRegistration and the other cluster manifests.
    Lint(lint::LintArgs),
    /// Probe the handoff endpoints (bootstrap, VIP, platform domain, registry) over verified TLS.
    Probe(probe::ProbeArgs),
    /// Check a SeedImage ISO before booting hosts from it.
    #[command(subcommand)]
    Iso(iso::IsoCommand),
    /// Predict the hosts' MachineInventory names and write their pools.
    #[command(subcommand)]
    Registration(registration::RegistrationCommand),
    /// Print the JSON Schema of a document ironprep writes with --format json.
    Schema(schema_cmd::SchemaArgs),
    /// Hosts without an OS, through their BMC (Redfish): check them, boot them from the ISO.
    #[command(subcommand)]
    Bmc(bmc::BmcCommand),
    /// Merge the fleet reports of several shards into one and rerun the cross-host checks.
    Merge(merge::MergeArgs),
}

pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return if error.use_stderr() {
                ExitCode::Usage
            } else {
                ExitCode::Success
            };
        }
    };
    let mut stdout = io::stdout().lock();
    let result = match &cli.command {
        Command::Check(args) => local::run(args, &mut stdout),
        Command::Certs(command) => certs_cmd::run(command, &mut stdout),
        Command::Lint(args) => lint::run(args, &mut stdout),
        Command::Probe(args) => probe::run(args, &mut stdout),
        Command::Iso(command) => iso::run(command, &mut stdout),
        Command::Registration(command) => registration::run(command, &mut stdout),
        Command::Schema(args) => schema_cmd::run(args, &mut stdout),
        Command::Bmc(command) => bmc::run(command, &mut stdout),
        Command::Merge(args) => merge::run(args, &mut stdout),
    };
    let _ = stdout.flush();
    match result {
        Ok(code) => code,
        Err(error) if is_broken_pipe(&error) => ExitCode::Success,
        Err(error) => {
            eprintln!("ironprep: {error:#}");
            ExitCode::Usage
        }
    }
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|error| error.kind() == io::ErrorKind::BrokenPipe)
    })
}
