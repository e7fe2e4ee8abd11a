//! `arrears office DIR`: every company of an accounting office in one command (SPEC section
//! 12). Each immediate subfolder of `DIR` that holds an `arrears.toml` is a company, run by
//! [`app::run_one`] exactly as `arrears run SUBFOLDER` runs it; a company whose configuration
//! sets no `[output] dir` writes to `SUBFOLDER/arrears-out`. Companies run side by side on
//! `--jobs` workers in the order of [`schedule`], which bounds memory. Then the overview
//! `DIR/office-out/<as-of>/` is written like a run folder (temporary name, renamed when
//! complete, under the lock of `office-out`): `office-report.xlsx`, `office.csv`, `office.json`.
//!
//! Invariants:
//! - A company's failure is its own: it is recorded with the message and exit code `arrears
//!   run` would give, and the others go on. Exit code 6 when any failed (the overview is
//!   written anyway).
//! - An existing `office-out/<as-of>` without `--force` stops the command before any company
//!   runs.
//! - The overview's files depend on the companies' results only, listed in folder order, so
//!   they are the same bytes whatever `--jobs` (`office.json` but for its timings).

pub mod figures;
pub mod schedule;
pub mod write;
pub mod xlsx;

use std::io::IsTerminal as _;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::app::{self, AppError, RunOptions, EXIT_COMPANY_FAILED};
use crate::cli::OfficeArgs;
use crate::config::{Config, ConfigError, Overrides, CONFIG_FILE};
use crate::lock::OutputLock;
use crate::model::display_money;
use crate::output::RunFolder;
use figures::{Company, Status};

/// The overview's folder inside the office folder.
pub const OFFICE_OUT: &str = "office-out";

/// The output folder of a company whose configuration names none.
pub const COMPANY_OUT: &str = "arrears-out";

/// Whether `dir` is an office folder: no `arrears.toml` of its own, and at least one subfolder
/// with one.
#[must_use]
pub fn is_office(dir: &Path) -> bool {
    !dir.join(CONFIG_FILE).is_file() && !company_folders(dir).is_empty()
}

/// The companies of office `dir`: (subfolder name, path), in name order.
#[must_use]
pub fn company_folders(dir: &Path) -> Vec<(String, PathBuf)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut folders: Vec<(String, PathBuf)> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir() && p.join(CONFIG_FILE).is_file())
        .filter_map(|p| {
            let name = p.file_name()?.to_string_lossy().to_string();
            Some((name, p))
        })
        .collect();
    folders.sort();
    folders
}

/// Whether a configuration file sets `[output] dir` (a file that does not parse is left to
/// [`Config::load`] to report).
fn sets_output_dir(file: &Path) -> bool {
    std::fs::read_to_string(file)
        .ok()
        .and_then(|t| t.parse::<toml::Table>().ok())
        .is_some_and(|t| t.get("output").and_then(|o| o.get("dir")).is_some())
}

/// A company's configuration, as `arrears run SUBFOLDER` reads it, with `SUBFOLDER/arrears-out`
/// as the output folder when it names none.
///
/// # Errors
/// As [`Config::load`].
pub fn company_config(folder: &Path) -> Result<Config, ConfigError> {
    let out = (!sets_output_dir(&folder.join(CONFIG_FILE))).then(|| folder.join(COMPANY_OUT));
    Config::load(
        Some(folder),
        None,
        &Overrides {
            out,
            ..Overrides::default()
        },
    )
}

fn no_companies(dir: &Path) -> AppError {
    if dir.is_dir() {
        AppError::Config(ConfigError::Inputs(format!(
            "{} holds no company: no subfolder of it has an arrears.toml (`arrears init --office {}` sets one up)",
            dir.display(),
            dir.display()
        )))
    } else {
        AppError::Config(ConfigError::Inputs(format!(
            "{} is not a folder: give the office folder, whose subfolders are the companies",
            dir.display()
        )))
    }
}

/// One company's message: what `arrears run` prints after `arrears: `, causes after `; `.
fn message(err: &AppError) -> String {
    err.lines().join("; ")
}

/// `arrears office DIR`.
///
/// # Errors
/// When the office cannot run at all: no companies, `--as-of` not a date, the overview folder
/// locked or existing without `--force`, the overview not writable.
pub fn run(args: &OfficeArgs) -> Result<u8, AppError> {
    app::build_pool(args.jobs)?;
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from))
        .max(1);
    let as_of = app::parse_as_of(args.as_of.as_deref())?;
    let dir = args.dir.as_path();
    let folders = company_folders(dir);
    if folders.is_empty() {
        return Err(no_companies(dir));
    }
    let out = dir.join(OFFICE_OUT);
    let made_out = !out.exists();
    let result = OutputLock::acquire_for(&out, "arrears office")
        .map_err(AppError::from)
        .and_then(|lock| {
            let done = run_locked(args, dir, &out, as_of, &folders, jobs);
            drop(lock);
            done
        });
    if result.is_err() && made_out {
        let _ = std::fs::remove_dir(&out);
    }
    let (companies, target) = result?;
    app::say(&summary_text(as_of, &companies, &target));
    Ok(if companies.iter().any(|c| c.status == Status::Failed) {
        EXIT_COMPANY_FAILED
    } else {
        0
    })
}

fn run_locked(
    args: &OfficeArgs,
    dir: &Path,
    out: &Path,
    as_of: NaiveDate,
    folders: &[(String, PathBuf)],
    jobs: usize,
) -> Result<(Vec<Company>, PathBuf), AppError> {
    let name = RunFolder::name(as_of, args.dry_run);
    // Before any company runs: an existing overview for this date stops the command.
    let folder = RunFolder::begin(out, &name, args.force || args.dry_run)?;
    let configs: Vec<Result<Config, AppError>> = folders
        .iter()
        .map(|(_, path)| company_config(path).map_err(AppError::from))
        .collect();
    let bounds = office_bounds(&configs);
    let options = RunOptions {
        force: args.force,
        dry_run: args.dry_run,
    };
    let companies = run_companies(dir, folders, &configs, &bounds, as_of, options, jobs);
    let links: Vec<Option<String>> = companies
        .iter()
        .map(|c| {
            c.run_folder
                .as_ref()
                .map(|f| link_from_overview(f, crate::report::xlsx::FILE_NAME))
        })
        .collect();
    let written = write::write_csv(&folder.temp, &companies, &bounds)
        .map_err(|source| AppError::Write {
            path: folder.temp.join(write::CSV_FILE),
            source,
        })
        .and_then(|()| {
            xlsx::write(&folder.temp, as_of, &companies, &bounds, &links).map_err(|source| {
                AppError::Write {
                    path: folder.temp.join(xlsx::FILE_NAME),
                    source,
                }
            })
        })
        .and_then(|()| {
            write::write_json(&folder.temp, as_of, &companies).map_err(|source| AppError::Write {
                path: folder.temp.join(write::JSON_FILE),
                source,
            })
        });
    if let Err(e) = written {
        folder.abandon();
        return Err(e);
    }
    let target = folder.commit()?;
    Ok((companies, target))
}

/// The buckets of the overview: the companies' own when they all agree, else the default.
fn office_bounds(configs: &[Result<Config, AppError>]) -> Vec<u32> {
    let mut loaded = configs.iter().flatten().map(|c| &c.buckets);
    let default = vec![30, 60, 90, 120];
    match loaded.next() {
        Some(first) if loaded.all(|b| b == first) => first.clone(),
        _ => default,
    }
}

/// A link from `office-out/<name>/` to `file` in a company's run folder given relative to the
/// office folder (or absolute).
fn link_from_overview(run_folder: &str, file: &str) -> String {
    if Path::new(run_folder).is_absolute() {
        format!("{run_folder}/{file}")
    } else {
        format!("../../{run_folder}/{file}")
    }
}

/// `path` relative to `base`, `/`-separated, when inside it; else as it is.
fn relative(base: &Path, path: &Path) -> String {
    match path.strip_prefix(base) {
        Ok(rel) => rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().to_string())
            .collect::<Vec<_>>()
            .join("/"),
        Err(_) => path.display().to_string(),
    }
}

/// The shared state of the workers: the schedule and what is done.
struct Work {
    schedule: schedule::Schedule,
    done: Vec<Option<Company>>,
}

/// Runs every company on `jobs` workers and returns their results in folder order.
#[allow(clippy::too_many_arguments)]
fn run_companies(
    dir: &Path,
    folders: &[(String, PathBuf)],
    configs: &[Result<Config, AppError>],
    bounds: &[u32],
    as_of: NaiveDate,
    options: RunOptions,
    jobs: usize,
) -> Vec<Company> {
    let weights: Vec<u64> = configs
        .iter()
        .map(|c| c.as_ref().map_or(0, weight))
        .collect();
    let bars = Bars::new(folders.len());
    // The companies' own spinners would draw over the office's bars.
    crate::progress::disable();
    let state = Mutex::new(Work {
        schedule: schedule::Schedule::new(&weights),
        done: vec![None; folders.len()],
    });
    let wake = Condvar::new();
    std::thread::scope(|scope| {
        for _ in 0..jobs.min(folders.len()) {
            scope.spawn(|| loop {
                let next = {
                    let Ok(mut work) = state.lock() else { return };
                    loop {
                        if let Some(i) = work.schedule.start_next() {
                            break i;
                        }
                        if work.schedule.is_empty() {
                            return;
                        }
                        work = match wake.wait_timeout(work, Duration::from_millis(500)) {
                            Ok((w, _)) => w,
                            Err(_) => return,
                        };
                    }
                };
                let folder = &folders[next].0;
                let bar = bars.company(folder);
                let company =
                    run_company(dir, folder, &configs[next], bounds, as_of, options, &bar);
                bar.finish_and_clear();
                bars.overall.inc(1);
                if let Ok(mut work) = state.lock() {
                    work.schedule.finished(weights[next]);
                    work.done[next] = Some(company);
                }
                wake.notify_all();
            });
        }
    });
    bars.overall.finish_and_clear();
    let done = state.into_inner().map(|w| w.done).unwrap_or_default();
    folders
        .iter()
        .zip(done)
        .map(|((folder, _), company)| {
            company
                .unwrap_or_else(|| failed(folder, folder, "this company was not run".into(), 1, 0))
        })
        .collect()
}

/// The weight of a company's inputs (see [`schedule`]).
fn weight(config: &Config) -> u64 {
    [
        &config.inputs.invoices,
        &config.inputs.payments,
        &config.inputs.clients,
    ]
    .iter()
    .flat_map(|files| files.iter())
    .map(|f| schedule::file_weight(f))
    .sum()
}

fn failed(folder: &str, name: &str, message: String, exit_code: u8, millis: u128) -> Company {
    Company {
        folder: folder.to_string(),
        name: name.to_string(),
        status: Status::Failed,
        exit_code,
        run_folder: None,
        message,
        error_issues: 0,
        rows: Vec::new(),
        timings_ms: vec![("total".to_string(), millis)],
    }
}

#[allow(clippy::too_many_arguments)]
fn run_company(
    dir: &Path,
    folder: &str,
    config: &Result<Config, AppError>,
    bounds: &[u32],
    as_of: NaiveDate,
    options: RunOptions,
    bar: &ProgressBar,
) -> Company {
    let started = Instant::now();
    let config = match config {
        Ok(c) => c,
        Err(e) => return failed(folder, folder, message(e), e.exit_code(), 0),
    };
    let name = config
        .company
        .name
        .clone()
        .unwrap_or_else(|| folder.to_string());
    let stage = |stage: &'static str| {
        let (pos, what) = match stage {
            "compute" => (1, "reading, reconciling, classifying"),
            "write" => (2, "writing"),
            other => (0, other),
        };
        bar.set_position(pos);
        bar.set_message(what);
    };
    let result = catch_unwind(AssertUnwindSafe(|| {
        app::run_one(config, as_of, options, started, &stage).map(|done| {
            let rows = figures::rows(&done.outcome, bounds, &config.default_currency);
            let error_issues = figures::error_issues(&done.outcome);
            let timings: Vec<(String, u128)> = done
                .outcome
                .timings
                .iter()
                .map(|(k, v)| ((*k).to_string(), *v))
                .collect();
            (relative(dir, &done.target), rows, error_issues, timings)
        })
    }));
    match result {
        Ok(Ok((run_folder, rows, error_issues, timings_ms))) => Company {
            folder: folder.to_string(),
            name,
            status: Status::Ok,
            exit_code: 0,
            run_folder: Some(run_folder),
            message: String::new(),
            error_issues,
            rows,
            timings_ms,
        },
        Ok(Err(e)) => failed(
            folder,
            &name,
            message(&e),
            e.exit_code(),
            started.elapsed().as_millis(),
        ),
        Err(_) => failed(
            folder,
            &name,
            "arrears stopped on an internal error (a bug in arrears, not in your data); its run folder was not completed".into(),
            101,
            started.elapsed().as_millis(),
        ),
    }
}

/// A bar per company and one for the office, on stderr when it is a terminal.
struct Bars {
    multi: Option<MultiProgress>,
    overall: ProgressBar,
}

impl Bars {
    fn new(companies: usize) -> Bars {
        let len = u64::try_from(companies).unwrap_or(u64::MAX);
        if !std::io::stderr().is_terminal() {
            return Bars {
                multi: None,
                overall: ProgressBar::hidden(),
            };
        }
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
        let overall = multi.add(ProgressBar::new(len));
        if let Ok(style) = ProgressStyle::with_template(
            "{msg:>24} [{bar:32.cyan/blue}] {pos}/{len} companies {elapsed:>4} eta {eta}",
        ) {
            overall.set_style(style.progress_chars("=> "));
        }
        overall.set_message("office");
        overall.enable_steady_tick(Duration::from_millis(200));
        Bars {
            multi: Some(multi),
            overall,
        }
    }

    fn company(&self, folder: &str) -> ProgressBar {
        let Some(multi) = &self.multi else {
            return ProgressBar::hidden();
        };
        let bar = multi.insert_before(&self.overall, ProgressBar::new(3));
        if let Ok(style) =
            ProgressStyle::with_template("{prefix:>24} [{bar:32.green/blue}] {msg} {elapsed}")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        let prefix: String = folder.chars().take(24).collect();
        bar.set_prefix(prefix);
        bar.set_message("starting");
        bar.enable_steady_tick(Duration::from_millis(200));
        bar
    }
}

fn companies_count(n: usize) -> String {
    format!("{n} {}", if n == 1 { "company" } else { "companies" })
}

/// How many companies a line of the printed summary names.
const SUMMARY_NAMES: usize = 5;

/// The printed summary: failed companies first, then what to look at first, then the totals.
fn summary_text(as_of: NaiveDate, companies: &[Company], target: &Path) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let failed: Vec<&Company> = companies
        .iter()
        .filter(|c| c.status == Status::Failed)
        .collect();
    let _ = writeln!(
        s,
        "office as of {as_of}: {}, {} ran, {} failed",
        companies_count(companies.len()),
        companies.len() - failed.len(),
        failed.len()
    );
    let _ = writeln!(s, "overview: {}", target.display());
    if !failed.is_empty() {
        let _ = writeln!(
            s,
            "\nfailed (nothing of theirs was changed; fix and run again):"
        );
        for c in &failed {
            let _ = writeln!(s, "  {}: {}", c.folder, c.message);
        }
    }
    let ran: Vec<&Company> = companies
        .iter()
        .filter(|c| c.status == Status::Ok)
        .collect();
    let mut look = Vec::new();
    let totals = figures::totals(companies, 0);
    for t in &totals {
        let top = ran
            .iter()
            .filter_map(|c| c.overdue().get(t.currency.as_str()).map(|o| (*o, *c)))
            .filter(|(o, _)| *o > rust_decimal::Decimal::ZERO)
            .max_by(|a, b| a.0.cmp(&b.0).then(b.1.folder.cmp(&a.1.folder)));
        if let Some((overdue, c)) = top {
            look.push(format!(
                "largest overdue in {}: {} ({}) {} {} overdue",
                t.currency,
                c.name,
                c.folder,
                display_money(overdue, &t.currency),
                t.currency
            ));
        }
    }
    let unmatched = ran
        .iter()
        .map(|c| (c.unmatched_payments(), *c))
        .filter(|(n, _)| *n > 0)
        .max_by(|a, b| a.0.cmp(&b.0).then(b.1.folder.cmp(&a.1.folder)));
    if let Some((n, c)) = unmatched {
        look.push(format!(
            "most unmatched payments: {} ({}) {n} payments matched to no client: unapplied.csv",
            c.name, c.folder
        ));
    }
    let mut with_errors: Vec<&&Company> = ran.iter().filter(|c| c.error_issues > 0).collect();
    with_errors.sort_by(|a, b| {
        b.error_issues
            .cmp(&a.error_issues)
            .then(a.folder.cmp(&b.folder))
    });
    if !with_errors.is_empty() {
        // The most first; a long office names five and counts the rest (office.csv has all).
        let mut list: Vec<String> = with_errors
            .iter()
            .take(SUMMARY_NAMES)
            .map(|c| format!("{} ({})", c.folder, c.error_issues))
            .collect();
        if with_errors.len() > SUMMARY_NAMES {
            list.push(format!(
                "and {} more (office.csv)",
                with_errors.len() - SUMMARY_NAMES
            ));
        }
        look.push(format!(
            "{} with error issues (rows left out: issues.csv): {}",
            companies_count(with_errors.len()),
            list.join(", ")
        ));
    }
    if !look.is_empty() {
        let _ = writeln!(s, "\nlook at first:");
        for line in look {
            let _ = writeln!(s, "  {line}");
        }
    }
    if !totals.is_empty() {
        let _ = writeln!(s, "\nper currency, over the companies that ran:");
        for t in &totals {
            let share = t
                .overdue_share
                .map(|x| format!(" ({:.1}%)", x * rust_decimal::Decimal::from(100)))
                .unwrap_or_default();
            let _ = writeln!(
                s,
                "  {}: open {}, overdue {}{share}, {} companies, {} letters",
                t.currency,
                display_money(t.open_total, &t.currency),
                display_money(t.overdue, &t.currency),
                t.companies,
                t.letters
            );
        }
    }
    s
}

/// `arrears check DIR` on an office folder: every company checked, one after the other.
/// Exit 0 when all is well, 4 when a company has error-level issues, 6 when one cannot be
/// checked at all.
///
/// # Errors
/// When the folder holds no company.
pub fn check(dir: &Path) -> Result<u8, AppError> {
    use std::fmt::Write as _;
    let folders = company_folders(dir);
    if folders.is_empty() {
        return Err(no_companies(dir));
    }
    let (mut failed, mut with_errors) = (0, 0);
    for (folder, path) in &folders {
        let mut s = format!("== {folder} ==\n");
        match company_config(path)
            .map_err(AppError::from)
            .and_then(|c| app::check_report(&c))
        {
            Ok((text, errors)) => {
                s.push_str(&text);
                with_errors += usize::from(errors > 0);
            }
            Err(e) => {
                failed += 1;
                let _ = writeln!(s, "cannot be checked: {}", message(&e));
            }
        }
        s.push('\n');
        app::say(&s);
    }
    app::say(&format!(
        "{} companies: {} with error issues, {} that cannot be read\n",
        folders.len(),
        with_errors,
        failed
    ));
    Ok(if failed > 0 {
        EXIT_COMPANY_FAILED
    } else if with_errors > 0 {
        app::EXIT_DATA_ERRORS
    } else {
        0
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn companies_are_the_subfolders_with_a_configuration_in_name_order() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["zeta", "alpha", "no-config"] {
            std::fs::create_dir(dir.path().join(name)).unwrap();
        }
        std::fs::write(dir.path().join("zeta").join(CONFIG_FILE), "").unwrap();
        std::fs::write(dir.path().join("alpha").join(CONFIG_FILE), "").unwrap();
        std::fs::write(dir.path().join("loose.toml"), "").unwrap();
        let names: Vec<String> = company_folders(dir.path())
            .into_iter()
            .map(|f| f.0)
            .collect();
        assert_eq!(names, ["alpha", "zeta"]);
        assert!(is_office(dir.path()));
        std::fs::write(dir.path().join(CONFIG_FILE), "").unwrap();
        assert!(!is_office(dir.path()), "a company folder is not an office");
    }

    #[test]
    fn a_company_without_an_output_folder_writes_inside_its_own() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        let b = dir.path().join("b");
        std::fs::create_dir_all(&a).unwrap();
        std::fs::create_dir_all(&b).unwrap();
        std::fs::write(a.join(CONFIG_FILE), "default_currency = \"ILS\"\n").unwrap();
        std::fs::write(b.join(CONFIG_FILE), "[output]\ndir = \"runs\"\n").unwrap();
        assert_eq!(company_config(&a).unwrap().output_dir, a.join(COMPANY_OUT));
        assert_eq!(company_config(&b).unwrap().output_dir, b.join("runs"));
    }

    #[test]
    fn links_and_run_folders_are_relative_to_the_office() {
        let base = Path::new("/office");
        assert_eq!(
            relative(base, Path::new("/office/acme/arrears-out/2026-11-30")),
            "acme/arrears-out/2026-11-30"
        );
        assert_eq!(relative(base, Path::new("/elsewhere/x")), "/elsewhere/x");
        assert_eq!(
            link_from_overview("acme/arrears-out/2026-11-30", "aging-report.xlsx"),
            "../../acme/arrears-out/2026-11-30/aging-report.xlsx"
        );
    }
}
