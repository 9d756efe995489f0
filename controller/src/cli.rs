//! The `ironprep` command line: one subcommand per job, each a thin call into its module.

use std::io::{self, Write};

use clap::{CommandFactory, Parser, Subcommand};
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
    /// Print a shell completion script: `source <(ironprep completions bash)`.
    Completions(CompletionsArgs),
    /// Print the man page (roff): `ironprep man | man -l -`.
    Man,
    /// Merge the fleet reports of several shards into one and rerun the cross-host checks.
    Merge(merge::MergeArgs),
}

#[derive(Debug, clap::Args)]
pub struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
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
        Command::Completions(args) => completions(args.shell, &mut stdout),
        Command::Man => man(&mut stdout),
        Command::Merge(args) => merge::run(args, &mut stdout),
    };
    let _ = stdout.flush();
    match result {
        Ok(code) => code,
        Err(error) if is_broken_pipe(&error) => ExitCode::Success,
        Err(error) => {
            eprintln!("ironprep: {}", error_text(&error));
            ExitCode::Usage
        }
    }
}

/// The error and its causes joined by ": ", each cause once: typed errors often show their
/// source in their own message too ("cannot write x: No space left on device"), and `{:#}`
/// would then repeat it.
fn error_text(error: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in error.chain() {
        let part = cause.to_string();
        if text.contains(&part) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&part);
    }
    text
}

fn completions(shell: clap_complete::Shell, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    // Generated into memory first: the generator panics on a write error (a closed pipe).
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "ironprep", &mut script);
    out.write_all(&script)?;
    Ok(ExitCode::Success)
}

/// The top page, then one section per subcommand (nested ones too), so `man -l` shows every
/// option of every job on one page.
fn man(out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let command = Cli::command();
    let mut page = Vec::new();
    let top = clap_mangen::Man::new(command.clone());
    top.render_title(&mut page)?;
    top.render_name_section(&mut page)?;
    top.render_synopsis_section(&mut page)?;
    top.render_description_section(&mut page)?;
    top.render_options_section(&mut page)?;
    top.render_subcommands_section(&mut page)?;
    render_subcommands(&command, "ironprep", &mut page)?;
    top.render_extra_section(&mut page)?;
    top.render_version_section(&mut page)?;
    out.write_all(&page)?;
    Ok(ExitCode::Success)
}

fn render_subcommands(command: &clap::Command, prefix: &str, page: &mut Vec<u8>) -> io::Result<()> {
    for sub in command.get_subcommands().filter(|sub| !sub.is_hide_set()) {
        let name = format!("{prefix} {}", sub.get_name());
        page.extend_from_slice(format!(".SH \"{}\"\n", name.to_uppercase()).as_bytes());
        let man = clap_mangen::Man::new(sub.clone().bin_name(name.clone()));
        man.render_synopsis_section(page)?;
        man.render_description_section(page)?;
        man.render_options_section(page)?;
        render_subcommands(sub, &name, page)?;
    }
    Ok(())
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|error| error.kind() == io::ErrorKind::BrokenPipe)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cause_already_in_the_message_is_not_repeated() {
        let full = ironprep_certs::Error::Write {
            path: "out/ca.key".into(),
            source: io::Error::from_raw_os_error(28),
        };
        let error = anyhow::Error::new(full).context("certs dex-tls");
        let text = error_text(&error);
        assert_eq!(text.matches("No space left on device").count(), 1, "{text}");
        assert!(
            text.starts_with("certs dex-tls: cannot write out/ca.key: "),
            "{text}"
        );
        // A cause the message does not show is still printed.
        let error = anyhow::Error::new(io::Error::other("disk gone")).context("cannot save");
        assert_eq!(error_text(&error), "cannot save: disk gone");
    }

    /// Every job that writes a report takes the shared output options, `-v` and `-q` included.
    #[test]
    fn every_report_command_takes_verbose_and_quiet() {
        fn leaves(command: &clap::Command, path: String, found: &mut Vec<(String, bool)>) {
            if command.has_subcommands() {
                for sub in command.get_subcommands() {
                    leaves(sub, format!("{path} {}", sub.get_name()), found);
                }
                return;
            }
            let has = |short: char| {
                command
                    .get_arguments()
                    .any(|arg| arg.get_short() == Some(short))
            };
            found.push((path, has('v') && has('q')));
        }
        let mut found = Vec::new();
        leaves(&Cli::command(), "ironprep".to_owned(), &mut found);
        let missing: Vec<&str> = found
            .iter()
            // These print a generated document (a script, a page, a JSON Schema), not a report.
            .filter(|(path, has)| {
                !has && !["completions", "man", "schema"]
                    .iter()
                    .any(|name| path.ends_with(&format!(" {name}")))
            })
            .map(|(path, _)| path.as_str())
            .collect();
        assert!(missing.is_empty(), "no -v/-q: {missing:?}");
    }
}
