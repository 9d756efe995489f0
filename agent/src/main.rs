//! The `ironprep-agent` binary: parse, run, map to an exit code.

fn main() -> std::process::ExitCode {
    std::process::ExitCode::from(ironprep_agent::cli::main().code())
}
