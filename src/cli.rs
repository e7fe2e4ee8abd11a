//! The raw command line, parsed by clap. Nothing here is validated beyond its syntax; the
//! validated settings are built once in [`crate::config::Config`].

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Monthly collections batch for accountants: reads invoice and payment exports, reconciles
/// payments against invoices, ages what is still open, classifies every client and writes an
/// aging workbook, CSV files and reminder letters into a dated folder.
#[derive(Debug, Parser)]
#[command(name = "arrears", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the monthly batch: ingest, reconcile, age, classify and write the run folder.
    ///
    /// Examples:
    ///   arrears run sample-data
    ///   arrears run exports/ --as-of 2026-10-31
    ///   arrears run --invoices inv.xlsx --payments bank.csv --out reports
    Run(RunArgs),
    /// Read the inputs and show how they were understood, without writing anything.
    ///
    /// Prints, for each input, the sheet and header row used, the column mapping, the date
    /// order decided, row counts and the issues. Exits 0 when no error-level issue was found.
    ///
    /// Examples:
    ///   arrears check sample-data
    ///   arrears check --invoices inv.xlsx --payments bank.csv
    Check(InputArgs),
    /// Start an office folder: write an `arrears.toml` with every option explained (commented
    /// out) and copy the built-in letter templates into `DIR/templates/` for branding and
    /// rewording. Existing files are left alone unless --force is given.
    ///
    /// Examples:
    ///   arrears init office
    ///   arrears init .
    Init(InitArgs),
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// The folder to set up (created when missing).
    pub dir: PathBuf,
    /// Overwrite an existing arrears.toml (templates already there are never overwritten).
    #[arg(long)]
    pub force: bool,
}

/// Where the inputs and the configuration come from.
#[derive(Debug, Args)]
pub struct InputArgs {
    /// Folder holding `arrears.toml` and the exports it names.
    pub dir: Option<PathBuf>,
    /// Configuration file (default: DIR/arrears.toml when it exists).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Invoice exports (replaces `[inputs] invoices`).
    #[arg(long, num_args = 1..)]
    pub invoices: Vec<PathBuf>,
    /// Payment exports (replaces `[inputs] payments`).
    #[arg(long, num_args = 1..)]
    pub payments: Vec<PathBuf>,
    /// Client lists (replaces `[inputs] clients`).
    #[arg(long, num_args = 1..)]
    pub clients: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// The date the books are closed at, YYYY-MM-DD (default: today). Later invoices and
    /// payments are left out and counted.
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,
    /// Output folder; the run is written to OUT/<as-of>/ (default: `[output] dir`, else
    /// ./arrears-out).
    #[arg(long, value_name = "OUT")]
    pub out: Option<PathBuf>,
    /// Replace an existing run folder for the same date.
    #[arg(long)]
    pub force: bool,
    /// Exit with code 2 after writing the outputs when any error-level issue was found.
    #[arg(long)]
    pub strict: bool,
    /// Write the run to OUT/<as-of>-dry-run/ (replaced freely) and leave the reminder history
    /// untouched: a preview of this month's letters and reports.
    #[arg(long)]
    pub dry_run: bool,
    /// Worker threads (default: all cores). Output is identical for any value.
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,
}
