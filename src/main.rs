//! The `arrears` binary: parse the flags, run, map the result to an exit code.

use std::process::ExitCode;

use clap::Parser;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

// mimalloc's own option setter, linked in with the allocator (libmimalloc-sys 0.1.49 declares
// it only behind a feature whose option constants predate mimalloc v2/v3).
extern "C" {
    fn mi_option_set(option: std::os::raw::c_int, value: std::os::raw::c_long);
}

/// `mi_option_purge_delay` in mimalloc v2 and v3's `mi_option_e` (the sixteenth option; the
/// 0.1.49 sources build v3).
const MI_OPTION_PURGE_DELAY: std::os::raw::c_int = 15;

fn main() -> ExitCode {
    // Freed pages go back to the system after 10 ms instead of mimalloc v3's 1,000. Ingest frees
    // a million rows' cells chunk by chunk while it allocates the documents made from them; with
    // the default delay the freed pages were still counted at the run's peak (1M messy month:
    // 1,096,904 KiB at 100 ms, 1,005,284 at 10 ms). At 1 ms, memory given back was asked for
    // again at once and cleared by the system each time: 7.0 s of system time instead of 4.5,
    // and a CAMT statement's reading slowed by a fifth (BENCHMARKS.md).
    // SAFETY: a plain setter of an integer option, called before any other thread exists.
    unsafe { mi_option_set(MI_OPTION_PURGE_DELAY, 10) };
    arrears::app::run(arrears::cli::Cli::parse())
}
