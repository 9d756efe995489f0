//! The `ironprep` binary: parse, run, map to an exit code.

fn main() -> std::process::ExitCode {
    std::process::ExitCode::from(ironprep::cli::main().code())
}
