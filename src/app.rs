//! The pipeline, one call per stage — ingest -> reconcile -> classify -> report -> output —
//! and the mapping of its result to an exit code.
//!
//! Exit codes: 0 success; 1 the run could not be made (configuration, unreadable input,
//! missing column, existing run folder); 2 command-line usage; 3 an invariant failed (a bug:
//! nothing is written); 4 error-level issues were found (`check`, or `run --strict`, after the
//! outputs are written); 5 `verify` found a run folder that does not match its run.json; 6
//! `office` ran, but at least one company failed (the office outputs are written); 7 `send`: a
//! message failed or its fate is unknown.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use chrono::NaiveDate;
use rayon::prelude::*;
use rust_decimal::Decimal;

use crate::classify::{self, Classification};
use crate::cli::{Cli, Command, InputArgs, RunArgs};
use crate::config::{Config, Overrides};
use crate::history::{self, Changes, History};
use crate::ingest::{self, Ledger};
use crate::model::{format_money, Severity};
use crate::output::RunFolder;
use crate::progress;
use crate::reconcile::{self, InvariantCheck, PendingChecks, Reconciliation};
use crate::report::{self, manifest, Input};

/// Exit code when error-level issues were found.
pub const EXIT_DATA_ERRORS: u8 = 4;
/// Exit code when an invariant failed.
pub const EXIT_INVARIANT: u8 = 3;
/// Exit code when a company of an office failed.
pub const EXIT_COMPANY_FAILED: u8 = 6;

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
    Verify(#[from] crate::verify::VerifyError),
    #[error(transparent)]
    Letters(#[from] report::letters::LetterError),
    #[error(transparent)]
    Init(#[from] crate::init::InitError),
    #[error(transparent)]
    Lock(#[from] crate::lock::LockError),
    #[error(transparent)]
    Send(#[from] crate::send::SendError),
    #[error(transparent)]
    Statements(#[from] report::statements::StatementError),
}

impl AppError {
    /// The exit code of a command this error stopped: 3 for an invariant, else 1.
    #[must_use]
    pub fn exit_code(&self) -> u8 {
        if matches!(self, AppError::Invariant(_)) {
            EXIT_INVARIANT
        } else {
            1
        }
    }

    /// The message printed after `arrears: `, then one `caused by: ` line per cause.
    #[must_use]
    pub fn lines(&self) -> Vec<String> {
        let mut lines = vec![self.to_string()];
        let mut source = std::error::Error::source(self);
        while let Some(cause) = source {
            lines.push(format!("caused by: {cause}"));
            source = cause.source();
        }
        lines
    }
}

impl From<ingest::IngestError> for AppError {
    fn from(err: ingest::IngestError) -> AppError {
        AppError::Ingest(Box::new(err))
    }
}

/// Runs one command and returns the process exit code. The body of `main`: a batch run leaves
/// its data to the process exit instead of freeing it.
#[must_use]
pub fn run(cli: Cli) -> ExitCode {
    let result = match cli.command {
        Command::Run(args) => run_batch(&args),
        Command::Check(args) => check(&args),
        Command::Completions { shell } => {
            let mut command = <Cli as clap::CommandFactory>::command();
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut command, "arrears", &mut out);
            say(&String::from_utf8_lossy(&out));
            Ok(0)
        }
        Command::Man => {
            let mut out = Vec::new();
            match clap_mangen::Man::new(<Cli as clap::CommandFactory>::command()).render(&mut out) {
                Ok(()) => {
                    say(&String::from_utf8_lossy(&out));
                    Ok(0)
                }
                Err(source) => Err(AppError::Write {
                    path: "stdout".into(),
                    source,
                }),
            }
        }
        Command::Verify { dir } => verify(&dir),
        Command::Init(args) if args.office => {
            crate::init::init_office(&args.dir, args.language, args.force)
                .map(|()| 0)
                .map_err(AppError::from)
        }
        Command::Init(args) => crate::init::init(&args.dir, args.language, args.force)
            .map(|()| 0)
            .map_err(AppError::from),
        Command::Office(args) => crate::office::run(&args),
        Command::Send(args) => crate::send::send(&args).map_err(AppError::from),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            let lines = err.lines();
            eprintln!("arrears: {}", lines.join("\n  "));
            ExitCode::from(err.exit_code())
        }
    }
}

fn load_config(input: &InputArgs, out: Option<PathBuf>) -> Result<Config, AppError> {
    let overrides = Overrides {
        invoices: input.invoices.clone(),
        payments: input.payments.clone(),
        clients: input.clients.clone(),
        out,
        currency: input.currency.clone(),
        date_order: input.date_order.clone(),
        terms: input.terms.clone(),
    };
    Ok(Config::load(
        input.dir.as_deref(),
        input.config.as_deref(),
        &overrides,
    )?)
}

pub(crate) fn parse_as_of(text: Option<&str>) -> Result<NaiveDate, AppError> {
    match text {
        None => Ok(chrono::Local::now().date_naive()),
        Some(t) => NaiveDate::parse_from_str(t.trim(), "%Y-%m-%d")
            .map_err(|_| AppError::AsOf(t.to_string())),
    }
}

/// Ingest, reconcile and classify, with stage timings.
///
/// # Errors
/// When ingest stops or an invariant fails.
pub fn compute(config: &Config, as_of: NaiveDate, history: &History) -> Result<Input, AppError> {
    let (mut input, pending) = compute_checking_later(config, as_of, history)?;
    let checks = pending
        .run(&input.ledger, &input.recon)
        .map_err(invariant_failed)?;
    PendingChecks::complete(&mut input.recon, checks);
    Ok(input)
}

/// An invariant of reconciliation that does not hold, as the run reports it.
fn invariant_failed(e: reconcile::ReconcileError) -> AppError {
    AppError::Invariant(format!(
        "{e}. This is a bug in arrears, not in your data; nothing was written."
    ))
}

/// [`compute`] with reconciliation's balances and documents checks left to the caller
/// ([`reconcile::reconcile_releasing_memos`]).
fn compute_checking_later(
    config: &Config,
    as_of: NaiveDate,
    history: &History,
) -> Result<(Input, PendingChecks), AppError> {
    let mut timings = Vec::new();
    let started = Instant::now();
    let bar = progress::spinner("ingest");
    let (mut ledger, parts) = ingest::ingest_timed(config)?;
    bar.finish_and_clear();
    timings.push(("ingest", started.elapsed().as_millis()));
    timings.extend(parts);

    let started = Instant::now();
    let (mut recon, parts, pending) =
        reconcile::reconcile_releasing_memos(config, &mut ledger, as_of)
            .map_err(invariant_failed)?;
    // What allocation found worth telling is listed with the input's issues.
    ledger.issues.append(&mut recon.issues);
    timings.push(("reconcile", started.elapsed().as_millis()));
    timings.extend(parts);

    let row_checks = row_accounting(&ledger);
    if let Some(failed) = row_checks.iter().find(|c| !c.passed) {
        return Err(AppError::Invariant(format!(
            "invariant failed: {}: {}. This is a bug in arrears; nothing was written.",
            failed.name, failed.detail
        )));
    }

    let started = Instant::now();
    let bar = progress::spinner("classify");
    // The statements of account, built for their check against the clients' balances, need
    // only the reconciliation: they are built beside the classification (both run mostly on
    // one thread).
    let ((class, changes), accounts) = rayon::join(
        || {
            let class = classify::classify(config, &ledger, &recon, as_of, &history.before(as_of));
            let changes = changes(config, &ledger, &recon, &class, as_of);
            (class, changes)
        },
        || report::statements::Accounts::build(&ledger, &recon, as_of),
    );
    bar.finish_and_clear();
    timings.push(("classify", started.elapsed().as_millis()));
    let started = Instant::now();
    let mut row_checks = row_checks;
    row_checks.push(accounts.check(&ledger, &recon, &class));
    timings.push(("statements_check", started.elapsed().as_millis()));
    if let Some(failed) = row_checks.iter().find(|c| !c.passed) {
        return Err(AppError::Invariant(format!(
            "invariant failed: {}: {}. This is a bug in arrears; nothing was written.",
            failed.name, failed.detail
        )));
    }
    let input = Input {
        as_of,
        ledger,
        recon,
        class,
        accounts,
        row_checks,
        changes,
        timings,
    };
    Ok((input, pending))
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
        .map(|a| &*ledger.payments[a.payment].id)
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

/// The stack of each worker thread. Typesetting PDF letters recurses deeply (the PDF letters of
/// a 20,000-client month overflowed rayon's default 2 MiB); the size is reserved, not used,
/// until needed.
const WORKER_STACK: usize = 256 << 20;

fn run_batch(args: &RunArgs) -> Result<u8, AppError> {
    build_pool(args.jobs)?;
    let total = Instant::now();
    if args.quiet || args.json {
        progress::disable();
    }
    let config = load_config(&args.input, args.out.clone())?;
    let as_of = parse_as_of(args.as_of.as_deref())?;
    let options = RunOptions {
        force: args.force,
        dry_run: args.dry_run,
    };
    let done = run_one(&config, as_of, options, total, &|_| {})?;
    let facts =
        report::summary::facts(&config, &done.outcome, &done.target, done.recorded.as_ref());
    if args.json {
        let mut text = serde_json::to_string_pretty(&facts).unwrap_or_default();
        text.push('\n');
        say(&text);
    } else if !args.quiet {
        say(&report::summary::text(
            &config,
            &facts,
            report::summary::Style::detect(),
        ));
    }
    let errors = done
        .outcome
        .ledger
        .issues
        .iter()
        .filter(|i| i.severity == Severity::Error)
        .count();
    // The process ends next: freeing a million invoices and payments one by one took ~0.6 s
    // of a million-row run, for memory the system takes back at exit anyway.
    std::mem::forget(done);
    Ok(if args.strict && errors > 0 {
        EXIT_DATA_ERRORS
    } else {
        0
    })
}

/// Builds the global thread pool: `jobs` threads (default: all cores) with [`WORKER_STACK`].
pub(crate) fn build_pool(jobs: Option<usize>) -> Result<(), AppError> {
    let mut pool = rayon::ThreadPoolBuilder::new().stack_size(WORKER_STACK);
    if let Some(jobs) = jobs {
        pool = pool.num_threads(jobs.max(1));
    }
    pool.build_global()
        .map_err(|e| AppError::Jobs(e.to_string()))
}

/// The flags of one run that are not in its configuration.
#[derive(Clone, Copy, Debug, Default)]
pub struct RunOptions {
    /// Replace an existing run folder for the same date.
    pub force: bool,
    /// Write `<as-of>-dry-run` and leave the history alone.
    pub dry_run: bool,
}

/// A finished run: its folder, its results and what the history recorded.
pub struct Finished {
    /// The run folder, in place.
    pub target: PathBuf,
    pub outcome: Input,
    /// `None` for a dry run.
    pub recorded: Option<history::Recorded>,
}

/// One run of one configuration, as `arrears run` makes it and `arrears office` makes it for
/// each company: lock the output folder, read the history, build the run folder, compute,
/// write, record the letters in the history, release the lock. `stage` is told when the work
/// moves on (`compute`, `write`), for progress bars; `started` is when the command began (the
/// `total` timing).
///
/// # Errors
/// Whatever stops the run: configuration, templates, the lock, an existing run folder, ingest,
/// an invariant, a file that cannot be written. Nothing is left in the output folder then
/// but what was there (and, for an output folder this run created, not the folder).
pub fn run_one(
    config: &Config,
    as_of: NaiveDate,
    options: RunOptions,
    started: Instant,
    stage: &dyn Fn(&'static str),
) -> Result<Finished, AppError> {
    // Templates and logo are checked before any data is read.
    let head = report::letters::Letterhead::load(config)?;
    let made_out = !config.output_dir.exists();
    let result = crate::lock::OutputLock::acquire_for(&config.output_dir, "arrears run")
        .map_err(AppError::from)
        .and_then(|lock| {
            // The history is read, and appended to, under the lock: no update is lost.
            let done = run_locked(config, &head, as_of, options, started, stage);
            drop(lock);
            done
        });
    if result.is_err() && made_out {
        // Only when empty: nothing but this run was ever in it.
        let _ = std::fs::remove_dir(&config.output_dir);
    }
    result
}

fn run_locked(
    config: &Config,
    head: &report::letters::Letterhead,
    as_of: NaiveDate,
    options: RunOptions,
    total: Instant,
    stage: &dyn Fn(&'static str),
) -> Result<Finished, AppError> {
    let history = History::load(&config.output_dir)?;
    // Fail before the work when the run folder exists.
    let name = RunFolder::name(as_of, options.dry_run);
    let folder = RunFolder::begin(&config.output_dir, &name, options.force || options.dry_run)?;
    stage("compute");
    let (mut outcome, pending) = match compute_checking_later(config, as_of, &history) {
        Ok(o) => o,
        Err(e) => {
            folder.abandon();
            return Err(e);
        }
    };
    // No writer reads the attributions (the counts use `unmatched_payments`): freed before the
    // write stage, whose workbook holds the run's peak.
    drop(std::mem::take(&mut outcome.recon.attributions));
    stage("write");
    let started = Instant::now();
    let bar = progress::spinner("write");
    let (parts, checks) = match write_outputs(&folder.temp, config, head, &outcome, &pending) {
        Ok(done) => done,
        Err(e) => {
            folder.abandon();
            return Err(e);
        }
    };
    PendingChecks::complete(&mut outcome.recon, checks);
    bar.finish_and_clear();
    outcome
        .timings
        .push(("write", started.elapsed().as_millis()));
    outcome.timings.extend(parts);
    outcome.timings.push(("total", total.elapsed().as_millis()));
    let record = manifest::RunRecord {
        config,
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
    let recorded = if options.dry_run {
        None
    } else {
        Some(history::record(
            &config.output_dir,
            &history,
            as_of,
            letter_entries(config, head, &outcome, &name),
        )?)
    };
    if !options.dry_run && outcome.as_of >= latest_run(&config.output_dir).unwrap_or(outcome.as_of)
    {
        let latest = config.output_dir.join("latest.txt");
        crate::output::write_atomic(&latest, format!("{name}\r\n").as_bytes()).map_err(
            |source| AppError::Write {
                path: latest,
                source,
            },
        )?;
    }
    Ok(Finished {
        target,
        outcome,
        recorded,
    })
}

/// Writes the CSV files, the workbook and the letters side by side (each file is written by
/// one thread, so its bytes do not depend on the thread count), and runs reconciliation's
/// `pending` checks beside them. Returns the checks, and the wall time of each part:
/// `write_csv` (the six files), `write_xlsx`, `write_letters`, `write_statements` and
/// `reconcile_check_totals` (the pending checks).
///
/// # Errors
/// A file that cannot be written, or a pending check that fails (the caller then commits
/// nothing).
fn write_outputs(
    dir: &std::path::Path,
    config: &Config,
    head: &report::letters::Letterhead,
    o: &Input,
    pending: &PendingChecks,
) -> Result<(crate::model::Timings, Vec<InvariantCheck>), AppError> {
    type Job<'a> = &'a (dyn Fn() -> Result<(), AppError> + Sync);
    let wrap = |name: &str| {
        let path = dir.join(name);
        move |source| AppError::Write { path, source }
    };
    let timed = |job: Job| {
        let started = Instant::now();
        job().map(|()| started.elapsed().as_millis())
    };
    let csv_files: [Job; 6] = [
        &|| report::csv::write_open_items(dir, &o.ledger, &o.class).map_err(wrap("open-items.csv")),
        &|| report::csv::write_clients(dir, config, &o.class).map_err(wrap("clients.csv")),
        &|| {
            report::csv::write_allocations(dir, &o.ledger, &o.recon)
                .map_err(wrap("allocations.csv"))
        },
        &|| report::csv::write_unapplied(dir, &o.ledger, &o.recon).map_err(wrap("unapplied.csv")),
        &|| report::csv::write_issues(dir, &o.ledger.issues).map_err(wrap("issues.csv")),
        &|| {
            report::csv::write_worklist(dir, config, &o.ledger, &o.class)
                .map_err(wrap("worklist.csv"))
        },
    ];
    let csv = || {
        csv_files
            .par_iter()
            .map(|job| job())
            .collect::<Result<Vec<()>, AppError>>()
            .map(drop)
    };
    let checks = || {
        let started = Instant::now();
        let checks = pending.run(&o.ledger, &o.recon).map_err(invariant_failed)?;
        Ok::<_, AppError>((checks, started.elapsed().as_millis()))
    };
    // The workbook's sheets are written on all threads; saving then compresses them on one,
    // while the CSV files are written and the pending checks made beside it (at a million rows
    // the save takes 2.5 s, the CSV files 1.5 s and the checks 0.7 s of one thread).
    let files = || {
        let started = Instant::now();
        let mut workbook = report::xlsx::build(config, o).map_err(wrap(report::xlsx::FILE_NAME))?;
        let (saved, (csv, checks)) = rayon::join(
            || report::xlsx::save(&mut workbook, dir),
            || {
                // The checks first: their maps (one entry per client) are freed before the
                // end of the save, where the run's memory peaks.
                let checks = checks();
                (timed(&csv), checks)
            },
        );
        saved.map_err(wrap(report::xlsx::FILE_NAME))?;
        Ok::<_, AppError>((started.elapsed().as_millis(), csv?, checks?))
    };
    let letters = || {
        report::letters::write(dir, config, head, &o.ledger, &o.class, o.as_of)
            .map_err(AppError::from)
    };
    let statements = || report::statements::write(dir, config, head, o).map_err(AppError::from);
    let (files, (letters, statements)) = rayon::join(files, || {
        rayon::join(|| timed(&letters), || timed(&statements))
    });
    let (xlsx, csv, (checks, checks_ms)) = files?;
    let parts = vec![
        ("write_csv", csv),
        ("write_xlsx", xlsx),
        ("write_letters", letters?),
        ("write_statements", statements?),
        ("reconcile_check_totals", checks_ms),
    ];
    Ok((parts, checks))
}

/// Writes to stdout; a closed pipe (`arrears run ... | head`) is not an error.
pub(crate) fn say(text: &str) {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}

/// The latest dated run folder in `out`.
fn latest_run(out: &std::path::Path) -> Option<NaiveDate> {
    std::fs::read_dir(out)
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|e| {
            NaiveDate::parse_from_str(&e.file_name().to_string_lossy(), "%Y-%m-%d").ok()
        })
        .max()
}

/// The history rows for this run's letters; `files` are relative to the output folder (the
/// run folder is `run_name`).
fn letter_entries(
    config: &Config,
    head: &report::letters::Letterhead,
    o: &Input,
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
                .map(|&i| &*o.ledger.invoices[o.class.items[i].invoice].number)
                .collect();
            let mut per_currency: std::collections::BTreeMap<&str, Decimal> =
                std::collections::BTreeMap::new();
            for &i in &letter.items {
                let item = &o.class.items[i];
                *per_currency
                    .entry(&*o.ledger.invoices[item.invoice].currency)
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
                sent: None,
            }
        })
        .collect()
}

fn check(args: &InputArgs) -> Result<u8, AppError> {
    if let Some(dir) = args.dir.as_deref() {
        if args.config.is_none() && crate::office::is_office(dir) {
            return crate::office::check(dir);
        }
    }
    let config = load_config(args, None)?;
    let (text, errors) = check_report(&config)?;
    say(&text);
    Ok(if errors > 0 { EXIT_DATA_ERRORS } else { 0 })
}

/// What `arrears check` prints for one configuration, and its count of error-level issues.
///
/// # Errors
/// When ingest stops.
pub(crate) fn check_report(config: &Config) -> Result<(String, usize), AppError> {
    let ledger = ingest::ingest(config)?;
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
        if let Some(statement) = &input.statement {
            let _ = writeln!(s, "  statement: {statement}");
        }
        if !input.unmapped.is_empty() {
            let names: Vec<String> = input.unmapped.iter().map(|h| format!("\"{h}\"")).collect();
            let _ = writeln!(
                s,
                "  not read: {} (no field of arrears; map one under [{kind}.columns] in arrears.toml \
                 if it holds one)",
                names.join(", ")
            );
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
    Ok((s, errors))
}

/// `arrears verify DIR`: the report on stdout; exit 5 and a one-line error when a check failed.
fn verify(dir: &std::path::Path) -> Result<u8, AppError> {
    let report = crate::verify::verify(dir)?;
    say(&report.text());
    if report.passed() {
        Ok(0)
    } else {
        eprintln!(
            "arrears: {} failed verification: {} problems (listed above)",
            dir.display(),
            report.failures().len()
        );
        Ok(crate::verify::EXIT_VERIFY_FAILED)
    }
}
