//! The pipeline, one call per stage — ingest -> reconcile -> classify -> report -> output —
//! and the mapping of its result to an exit code.
//!
//! Exit codes: 0 success; 1 the run could not be made (configuration, unreadable input,
//! missing column, existing run folder); 2 command-line usage; 3 an invariant failed (a bug:
//! nothing is written); 4 error-level issues were found (`check`, or `run --strict`, after the
//! outputs are written).

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::classify::{self, Classification};
use crate::cli::{Cli, Command, InputArgs, RunArgs};
use crate::config::{Config, Overrides};
use crate::history::{self, Changes, History};
use crate::ingest::{self, Ledger};
use crate::model::{format_money, Severity};
use crate::output::RunFolder;
use crate::reconcile::{self, InvariantCheck, Reconciliation};
use crate::report::{self, manifest};

/// Exit code when error-level issues were found.
pub const EXIT_DATA_ERRORS: u8 = 4;
/// Exit code when an invariant failed.
pub const EXIT_INVARIANT: u8 = 3;

/// What stops a command.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error(transparent)]
    Ingest(Box<ingest::IngestError>),
    #[error("{0}")]
    Invariant(String),
    #[error(transparent)]
    Output(#[from] crate::output::OutputError),
    #[error("--as-of \"{0}\" is not a date; write it as YYYY-MM-DD, for example 2026-11-30")]
    AsOf(String),
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("--jobs: {0}")]
    Jobs(String),
    #[error(transparent)]
    History(#[from] history::HistoryError),
    #[error(transparent)]
    Letters(#[from] report::letters::LetterError),
    #[error(transparent)]
    Init(#[from] crate::init::InitError),
}

impl From<ingest::IngestError> for AppError {
    fn from(err: ingest::IngestError) -> AppError {
        AppError::Ingest(Box::new(err))
    }
}

/// Runs one command and returns the process exit code.
#[must_use]
pub fn run(cli: Cli) -> ExitCode {
    let result = match cli.command {
        Command::Run(args) => run_batch(&args),
        Command::Check(args) => check(&args),
        Command::Init(args) => crate::init::init(&args.dir, args.force)
            .map(|()| 0)
            .map_err(AppError::from),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            eprintln!("arrears: {err}");
            let mut source = std::error::Error::source(&err);
            while let Some(cause) = source {
                eprintln!("  caused by: {cause}");
                source = cause.source();
            }
            ExitCode::from(if matches!(err, AppError::Invariant(_)) {
                EXIT_INVARIANT
            } else {
                1
            })
        }
    }
}

fn load_config(input: &InputArgs, out: Option<PathBuf>) -> Result<Config, AppError> {
    let overrides = Overrides {
        invoices: input.invoices.clone(),
        payments: input.payments.clone(),
        clients: input.clients.clone(),
        out,
    };
    Ok(Config::load(
        input.dir.as_deref(),
        input.config.as_deref(),
        &overrides,
    )?)
}

fn parse_as_of(text: Option<&str>) -> Result<NaiveDate, AppError> {
    match text {
        None => Ok(chrono::Local::now().date_naive()),
        Some(t) => NaiveDate::parse_from_str(t.trim(), "%Y-%m-%d")
            .map_err(|_| AppError::AsOf(t.to_string())),
    }
}

/// The results of the computing stages of one run.
pub struct Outcome {
    pub as_of: NaiveDate,
    pub ledger: Ledger,
    pub recon: Reconciliation,
    pub class: Classification,
    pub row_checks: Vec<InvariantCheck>,
    pub changes: Changes,
    pub timings: Vec<(&'static str, u128)>,
}

/// Ingest, reconcile and classify, with stage timings.
///
/// # Errors
/// When ingest stops or an invariant fails.
pub fn compute(config: &Config, as_of: NaiveDate, history: &History) -> Result<Outcome, AppError> {
    let mut timings = Vec::new();
    let started = Instant::now();
    let ledger = ingest::ingest(config)?;
    timings.push(("ingest", started.elapsed().as_millis()));

    let started = Instant::now();
    let recon = reconcile::reconcile(config, &ledger, as_of).map_err(|e| {
        AppError::Invariant(format!(
            "{e}. This is a bug in arrears, not in your data; nothing was written."
        ))
    })?;
    timings.push(("reconcile", started.elapsed().as_millis()));

    let row_checks = row_accounting(&ledger);
    if let Some(failed) = row_checks.iter().find(|c| !c.passed) {
        return Err(AppError::Invariant(format!(
            "invariant failed: {}: {}. This is a bug in arrears; nothing was written.",
            failed.name, failed.detail
        )));
    }

    let started = Instant::now();
    let class = classify::classify(config, &ledger, &recon, as_of, &history.before(as_of));
    let changes = changes(config, &ledger, &recon, &class, as_of);
    timings.push(("classify", started.elapsed().as_millis()));
    Ok(Outcome {
        as_of,
        ledger,
        recon,
        class,
        row_checks,
        changes,
        timings,
    })
}

/// What changed since the previous run folder in the output folder.
fn changes(
    config: &Config,
    ledger: &Ledger,
    recon: &Reconciliation,
    class: &Classification,
    as_of: NaiveDate,
) -> Changes {
    let mut clients: std::collections::BTreeMap<&str, (bool, Option<usize>)> =
        std::collections::BTreeMap::new();
    for c in &class.clients {
        let entry = clients.entry(c.client.as_str()).or_insert((false, None));
        entry.0 |= c.overdue > Decimal::ZERO;
        entry.1 = entry.1.max(c.level);
    }
    let promised = ledger
        .clients
        .iter()
        .filter_map(|(id, c)| c.promised.filter(|p| *p < as_of).map(|p| (id.as_str(), p)))
        .collect();
    let unmatched = recon
        .attributions
        .iter()
        .filter(|a| a.client.is_none())
        .map(|a| ledger.payments[a.payment].id.as_str())
        .collect();
    let names: Vec<String> = config
        .dunning_levels
        .iter()
        .map(|l| l.name.clone())
        .collect();
    let now = history::Now {
        clients,
        promised,
        unmatched,
    };
    history::changes(
        history::previous_run(&config.output_dir, as_of),
        &now,
        &names,
    )
}

/// Every input row is used, or listed as an issue (rejected, duplicate or ignored).
fn row_accounting(ledger: &Ledger) -> Vec<InvariantCheck> {
    let mut detail = String::new();
    let mut passed = true;
    let mut rows = 0;
    for input in &ledger.inputs {
        rows += input.rows;
        let accounted = input.used + input.rejected + input.duplicates + input.ignored;
        if accounted != input.rows {
            passed = false;
            let _ = write!(
                detail,
                "{}: {} rows but {} accounted for; ",
                input.file, input.rows, accounted
            );
        }
    }
    if passed {
        detail = format!("{rows} data rows: each used, or listed in issues");
    }
    vec![InvariantCheck {
        name: "every input row accounted for".to_string(),
        passed,
        detail,
    }]
}

fn run_batch(args: &RunArgs) -> Result<u8, AppError> {
    if let Some(jobs) = args.jobs {
        rayon::ThreadPoolBuilder::new()
            .num_threads(jobs.max(1))
            .build_global()
            .map_err(|e| AppError::Jobs(e.to_string()))?;
    }
    let total = Instant::now();
    let config = load_config(&args.input, args.out.clone())?;
    let as_of = parse_as_of(args.as_of.as_deref())?;
    // Templates and logo are checked before any data is read.
    let head = report::letters::Letterhead::load(&config)?;
    let history = History::load(&config.output_dir)?;
    // Fail before the work when the run folder exists.
    let name = RunFolder::name(as_of, args.dry_run);
    let folder = RunFolder::begin(&config.output_dir, &name, args.force || args.dry_run)?;
    let mut outcome = match compute(&config, as_of, &history) {
        Ok(o) => o,
        Err(e) => {
            folder.abandon();
            return Err(e);
        }
    };
    let started = Instant::now();
    if let Err(e) = write_outputs(&folder.temp, &config, &head, &outcome) {
        folder.abandon();
        return Err(e);
    }
    outcome
        .timings
        .push(("write", started.elapsed().as_millis()));
    outcome.timings.push(("total", total.elapsed().as_millis()));
    let record = manifest::RunRecord {
        config: &config,
        as_of,
        ledger: &outcome.ledger,
        recon: &outcome.recon,
        class: &outcome.class,
        extra_invariants: &outcome.row_checks,
        changes: &outcome.changes,
        timings: &outcome.timings,
    };
    if let Err(source) = manifest::write(&folder.temp, &record) {
        let path = folder.temp.join("run.json");
        folder.abandon();
        return Err(AppError::Write { path, source });
    }
    let target = folder.commit()?;
    let recorded = if args.dry_run {
        None
    } else {
        Some(history::record(
            &config.output_dir,
            &history,
            as_of,
            letter_entries(&config, &head, &outcome, &name),
        )?)
    };
    print!("{}", summary(&config, &outcome, &target, recorded.as_ref()));
    let errors = outcome
        .ledger
        .issues
        .iter()
        .filter(|i| i.severity == Severity::Error)
        .count();
    Ok(if args.strict && errors > 0 {
        EXIT_DATA_ERRORS
    } else {
        0
    })
}

fn write_outputs(
    dir: &std::path::Path,
    config: &Config,
    head: &report::letters::Letterhead,
    o: &Outcome,
) -> Result<(), AppError> {
    let wrap = |name: &str| {
        let path = dir.join(name);
        move |source| AppError::Write { path, source }
    };
    report::csv::write_open_items(dir, &o.ledger, &o.class).map_err(wrap("open-items.csv"))?;
    report::csv::write_clients(dir, config, &o.class).map_err(wrap("clients.csv"))?;
    report::csv::write_allocations(dir, &o.recon).map_err(wrap("allocations.csv"))?;
    report::csv::write_unapplied(dir, &o.ledger, &o.recon).map_err(wrap("unapplied.csv"))?;
    report::csv::write_issues(dir, &o.ledger.issues).map_err(wrap("issues.csv"))?;
    report::csv::write_worklist(dir, config, &o.ledger, &o.class).map_err(wrap("worklist.csv"))?;
    report::letters::write(dir, config, head, &o.ledger, &o.class, o.as_of)?;
    Ok(())
}

/// The history rows for this run's letters; `files` are relative to the output folder (the
/// run folder is `run_name`).
fn letter_entries(
    config: &Config,
    head: &report::letters::Letterhead,
    o: &Outcome,
    run_name: &str,
) -> Vec<history::Entry> {
    let plans = report::letters::plan(config, &head.templates, &o.ledger, &o.class);
    o.class
        .letters
        .iter()
        .zip(&plans)
        .map(|(letter, planned)| {
            let invoices: Vec<&str> = letter
                .items
                .iter()
                .map(|&i| o.ledger.invoices[o.class.items[i].invoice].number.as_str())
                .collect();
            let mut per_currency: std::collections::BTreeMap<&str, Decimal> =
                std::collections::BTreeMap::new();
            for &i in &letter.items {
                let item = &o.class.items[i];
                *per_currency
                    .entry(o.ledger.invoices[item.invoice].currency.as_str())
                    .or_default() += item.open;
            }
            let amount: Vec<String> = per_currency
                .iter()
                .map(|(c, a)| format!("{} {c}", format_money(*a, c)))
                .collect();
            history::Entry {
                date: o.as_of,
                client: letter.client.clone(),
                level: config.dunning_levels[letter.level].name.clone(),
                invoices: invoices.join("; "),
                amount: amount.join("; "),
                files: planned
                    .files
                    .iter()
                    .map(|f| format!("{run_name}/{f}"))
                    .collect::<Vec<_>>()
                    .join(";"),
            }
        })
        .collect()
}

/// The closing summary of `arrears run`.
fn summary(
    config: &Config,
    o: &Outcome,
    target: &std::path::Path,
    recorded: Option<&history::Recorded>,
) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "arrears run as of {}", o.as_of);
    let ledger = &o.ledger;
    let _ = writeln!(
        s,
        "  read      {} invoices and credit notes, {} payments, {} clients from {} inputs",
        ledger.invoices.len(),
        ledger.payments.len(),
        ledger.clients.len(),
        ledger.inputs.len()
    );
    if o.recon.left_out.invoices + o.recon.left_out.payments > 0 {
        let _ = writeln!(
            s,
            "  left out  {} invoices and {} payments dated after {}",
            o.recon.left_out.invoices, o.recon.left_out.payments, o.as_of
        );
    }
    let labels = &o.class.bucket_labels;
    for (currency, buckets) in &o.class.totals {
        let total: Decimal = buckets.iter().copied().sum();
        let _ = writeln!(
            s,
            "\n  open {currency:<4} {:>16}",
            format_money(total, currency)
        );
        for (label, amount) in labels.iter().zip(buckets) {
            let _ = writeln!(s, "    {label:<9} {:>16}", format_money(*amount, currency));
        }
    }
    let unmatched: Vec<_> = o
        .recon
        .attributions
        .iter()
        .filter(|a| a.client.is_none())
        .collect();
    let credits = o.recon.unapplied.len() - unmatched.len().min(o.recon.unapplied.len());
    let errors = ledger
        .issues
        .iter()
        .filter(|i| i.severity == Severity::Error)
        .count();
    let warnings = ledger.issues.len() - errors;
    let _ = writeln!(s);
    let mut levels: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for c in &o.class.clients {
        *levels.entry(c.level_name(config)).or_default() += 1;
    }
    let level_text: Vec<String> = config
        .dunning_levels
        .iter()
        .filter_map(|l| {
            levels
                .get(l.name.as_str())
                .map(|n| format!("{} {n}", l.name))
        })
        .collect();
    if !level_text.is_empty() {
        let _ = writeln!(s, "  levels    {}", level_text.join(", "));
    }
    let _ = writeln!(
        s,
        "  payments  {} unmatched, {} client credits (unapplied.csv)",
        unmatched.len(),
        credits
    );
    let _ = writeln!(
        s,
        "  issues    {errors} errors, {warnings} warnings (issues.csv)"
    );
    let failed = o
        .recon
        .invariants
        .iter()
        .chain(&o.row_checks)
        .filter(|c| !c.passed)
        .count();
    let checks = o.recon.invariants.len() + o.row_checks.len();
    let _ = writeln!(
        s,
        "  checks    {} of {checks} invariants hold",
        checks - failed
    );
    let _ = writeln!(s, "  written   {}", target.display());
    match recorded {
        Some(history::Recorded::Added { letters, replaced }) if *replaced > 0 => {
            let _ = writeln!(s, "  history   {letters} letters recorded, replacing {replaced} of an earlier run for the same date");
        }
        Some(history::Recorded::Added { letters, .. }) => {
            let _ = writeln!(s, "  history   {letters} letters recorded");
        }
        Some(history::Recorded::BackDated { last }) => {
            let _ = writeln!(
                s,
                "  history   not updated: it already holds letters of {last}, later than this as-of date (a past month reproduced)"
            );
        }
        None => {
            let _ = writeln!(s, "  history   not updated (dry run)");
        }
    }
    s
}

fn check(args: &InputArgs) -> Result<u8, AppError> {
    let config = load_config(args, None)?;
    let ledger = ingest::ingest(&config)?;
    let mut s = String::new();
    for input in &ledger.inputs {
        let kind = input.kind.map_or("", |k| k.as_str());
        let _ = write!(s, "{kind}: {}", input.file);
        if let Some(sheet) = &input.sheet {
            let _ = write!(s, ", sheet '{sheet}'");
        }
        if let Some(row) = input.header_row {
            let _ = write!(s, ", header on row {row}");
        }
        if let Some(format) = &input.text_format {
            let _ = write!(s, " ({format})");
        }
        let _ = writeln!(s);
        for (field, header) in &input.mapping {
            let _ = writeln!(s, "  {:<18} <- {header}", field.key());
        }
        for (column, order, decided) in &input.date_orders {
            let how = if *decided {
                "decided by the data"
            } else {
                "not decided by the data: the configured default"
            };
            let _ = writeln!(s, "  dates in '{column}': {order} ({how})");
        }
        let _ = writeln!(
            s,
            "  rows: {} read, {} used, {} left out with errors, {} duplicates, {} ignored\n",
            input.rows, input.used, input.rejected, input.duplicates, input.ignored
        );
    }
    let errors = ledger
        .issues
        .iter()
        .filter(|i| i.severity == Severity::Error)
        .count();
    let sorted = report::csv::sorted_issues(&ledger.issues);
    if sorted.is_empty() {
        let _ = writeln!(s, "no issues");
    } else {
        let _ = writeln!(s, "{} issues ({errors} errors):", sorted.len());
        for issue in sorted {
            let _ = writeln!(s, "  {issue}");
        }
    }
    print!("{s}");
    Ok(if errors > 0 { EXIT_DATA_ERRORS } else { 0 })
}
