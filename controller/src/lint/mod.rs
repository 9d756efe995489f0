//! PLACEHOLDER owned by the lint work: `ironprep lint …`.

use std::io::Write;

use ironprep_schema::ExitCode;

#[derive(Debug, clap::Args)]
pub struct LintArgs {
    /// Files or directories to lint.
    pub paths: Vec<std::path::PathBuf>,
}

pub fn run(_args: &LintArgs, _out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not implemented yet")
}
