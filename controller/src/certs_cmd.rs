//! PLACEHOLDER owned by the certs work: `ironprep certs …`.

use std::io::Write;

use ironprep_schema::ExitCode;

#[derive(Debug, clap::Subcommand)]
pub enum CertsCommand {
    /// Not yet available.
    Placeholder,
}

pub fn run(_command: &CertsCommand, _out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not implemented yet")
}
