//! The `arrears` binary: parse the flags, run, map the result to an exit code.

use std::process::ExitCode;

use clap::Parser;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    arrears::app::run(arrears::cli::Cli::parse())
}
