//! The pipeline, one call per stage, and the mapping of its result to an exit code.

use std::process::ExitCode;

use crate::cli::{Cli, Command};

/// Runs one command and returns the process exit code.
#[must_use]
pub fn run(cli: Cli) -> ExitCode {
    match cli.command {
        Command::Run(_) | Command::Check(_) => {
            eprintln!("arrears: not wired yet");
            ExitCode::from(1)
        }
    }
}
