//! The raw command line, parsed by clap. Nothing here is validated beyond its syntax; the
//! validated settings are built once in [`crate::config::Config`].

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Monthly collections batch for accountants: reads invoice and payment exports, reconciles
/// payments against invoices, ages what is still open, classifies every client and writes an
/// aging workbook, CSV files and reminder letters into a dated folder.
#[derive(Debug, Parser)]
#[command(
    name = "arrears",
    version,
    after_help = "Start here:\n  arrears check FOLDER     how your exports are understood\n  arrears run FOLDER       the monthly batch (see arrears help run)"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the monthly batch: ingest, reconcile, age, classify and write the run folder.
    #[command(
        after_help = "Examples:\n  arrears run sample-data --as-of 2026-11-30\n  arrears run exports/ --as-of 2026-10-31 --force\n  arrears run --invoices inv.xlsx --payments bank.csv --out reports\n  arrears run exports/ --dry-run"
    )]
    Run(RunArgs),
    /// Read the inputs and show how they were understood, without writing anything.
    ///
    /// Prints, for each input, the sheet and header row used, the column mapping, the date
    /// order decided, row counts and the issues. Exits 0 when no error-level issue was found.
    #[command(
        after_help = "Examples:\n  arrears check sample-data\n  arrears check --invoices inv.xlsx --payments bank.csv"
    )]
    Check(InputArgs),
    /// Print a shell completion script.
    #[command(
        after_help = "Examples:\n  arrears completions bash > /etc/bash_completion.d/arrears\n  arrears completions zsh > ~/.zfunc/_arrears\n  arrears completions powershell >> $PROFILE"
    )]
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff).
    #[command(after_help = "Example:\n  arrears man > /usr/local/share/man/man1/arrears.1")]
    Man,
    /// Re-check a finished run folder against its run.json: file hashes, no unlisted files,
    /// CSV totals consistent with each other and with the workbook. Exits 0 when all is well,
    /// 5 when a check failed.
    #[command(after_help = "Example:\n  arrears verify arrears-out/2026-11-30")]
    Verify {
        /// The run folder, OUT/<as-of>.
        dir: PathBuf,
    },
    /// Start an office folder: write an `arrears.toml` with every option explained (commented
    /// out), a README.txt with the monthly routine, and copy the built-in letter templates
    /// into `DIR/templates/` for branding and rewording. Existing files are left alone unless
    /// --force is given.
    #[command(
        after_help = "Examples:\n  arrears init office\n  arrears init . --language he\n  arrears init --office clients-office"
    )]
    Init(InitArgs),
    /// Run every company of an accounting office: each subfolder of DIR with an arrears.toml
    /// is run as `arrears run SUBFOLDER` would run it, several side by side, and an overview
    /// is written to DIR/office-out/<as-of>/. Exits 6 when a company failed.
    #[command(
        after_help = "Examples:\n  arrears office clients --as-of 2026-11-30\n  arrears office clients --as-of 2026-11-30 --force --jobs 2\n  arrears office clients --dry-run"
    )]
    Office(OfficeArgs),
    /// Send a run's e-mail drafts through the office's mail server (`[smtp]`), each exactly
    /// once: `OUT/sent.csv` records every message, and a message sent (or possibly sent) is
    /// never sent again. Shows what it would send and asks first. Exits 0 when every message
    /// is sent (or left for later by --limit), 7 when one failed or its fate is unknown.
    #[command(
        after_help = "Examples:\n  arrears send arrears-out/2026-11-30 --dry-run\n  arrears send arrears-out/2026-11-30 --test-to me@example.com --limit 3\n  arrears send arrears-out/2026-11-30\n  arrears send arrears-out/2026-11-30 --yes"
    )]
    Send(SendArgs),
}

#[derive(Debug, Args)]
pub struct OfficeArgs {
    /// The office folder: one subfolder per company, each with its arrears.toml.
    pub dir: PathBuf,
    /// The date the books are closed at, YYYY-MM-DD (default: today), for every company.
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,
    /// Replace existing run folders (each company's and the office's) for the same date.
    #[arg(long)]
    pub force: bool,
    /// Write every run as <as-of>-dry-run and the overview as office-out/<as-of>-dry-run;
    /// no history is touched.
    #[arg(long)]
    pub dry_run: bool,
    /// Companies run at once and worker threads (default: all cores). Outputs are identical
    /// for any value.
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,
}

#[derive(Debug, Args)]
pub struct SendArgs {
    /// The run folder, OUT/<as-of>.
    pub dir: PathBuf,
    /// Send without asking (for scripts); without it and without a terminal, nothing is sent.
    #[arg(long)]
    pub yes: bool,
    /// Only show what would be sent.
    #[arg(long)]
    pub dry_run: bool,
    /// Send every message to this address only (marked [TEST], logged to OUT/sent-test.csv).
    #[arg(long, value_name = "ADDRESS")]
    pub test_to: Option<String>,
    /// Send at most N messages this time (the rest stay for a later `send`).
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Send again the messages whose fate is unknown (the server may already have them).
    #[arg(long)]
    pub resend_unknown: bool,
    /// Configuration file with [smtp] (default: the one the run used).
    #[arg(long)]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// The folder to set up (created when missing).
    pub dir: PathBuf,
    /// Set DIR up as an accounting office: one example company folder inside it, ready for
    /// `arrears office DIR`.
    #[arg(long)]
    pub office: bool,
    /// Overwrite an existing arrears.toml and README.txt (templates already there are never
    /// overwritten).
    #[arg(long)]
    pub force: bool,
    /// The office's language: README.txt is written in it and it becomes the letters' default
    /// language (`[letters] language`).
    #[arg(long, value_enum, default_value_t = InitLanguage::En)]
    pub language: InitLanguage,
}

/// The languages `arrears init` writes its README.txt in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum InitLanguage {
    /// English.
    En,
    /// Hebrew.
    He,
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
    /// Currency of amounts that name none (replaces `default_currency`), e.g. ILS.
    #[arg(long, value_name = "CODE")]
    pub currency: Option<String>,
    /// How to read dates a column does not decide by itself: day-first or month-first
    /// (replaces `date_order`).
    #[arg(long, value_name = "ORDER", value_parser = ["day-first", "month-first"])]
    pub date_order: Option<String>,
    /// Payment terms for invoices without a due date (replaces `default_terms`), e.g.
    /// "net 30" or "שוטף+30".
    #[arg(long, value_name = "TERMS")]
    pub terms: Option<String>,
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
    /// Print nothing on success (errors still go to stderr).
    #[arg(long, conflicts_with = "json")]
    pub quiet: bool,
    /// Print the summary as JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// Worker threads (default: all cores). Output is identical for any value.
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,
}

#[cfg(test)]
mod tests {
    use clap::{CommandFactory, Parser};

    use super::Cli;

    /// `arrears help <command>` ends with examples, one per line, and each example is a
    /// command line the tool accepts.
    #[test]
    fn every_command_shows_examples_that_parse() {
        let mut cli = Cli::command();
        for command in cli.get_subcommands_mut() {
            let name = command.get_name().to_string();
            let help = command.render_long_help().to_string();
            let examples: Vec<&str> = help
                .lines()
                .skip_while(|line| !line.starts_with("Example"))
                .skip(1)
                .map(str::trim)
                .filter(|line| line.starts_with("arrears "))
                .collect();
            assert!(!examples.is_empty(), "`{name}` has no examples:\n{help}");
            for example in examples {
                let args = example.split('>').next().unwrap_or_default();
                assert!(
                    Cli::try_parse_from(args.split_whitespace()).is_ok(),
                    "`{name}`: the example `{example}` is rejected"
                );
            }
        }
    }
}
