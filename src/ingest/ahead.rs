//! Spreadsheets read ahead of their turn, a few at a time.
//!
//! calamine reads a sheet on one thread from start to end, which at a million rows takes longer
//! than parsing it; so the workbooks are read on threads of their own while earlier kinds parse.
//! At most `window` of them are being read or wait, read, for their turn at any time (50
//! monthly workbooks are not 50 threads and all their cells at once). They start in the order
//! they are parsed: kind by kind (clients, invoices, payments), then in file order.
//!
//! A workbook that fails (damaged, password, scattered cells, no header row...) stops every
//! workbook after it in that order: the error the run reports is the first in file order, as
//! if the files were read one by one, and the workbooks before the failing one are still read
//! to the end (one of them may fail first in that order), but no longer parsed (see
//! `ingest_with`). A run that fails for any other reason stops them all.

use std::panic::AssertUnwindSafe;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

use crate::config::Config;

use super::field::TableKind;
use super::source::{self, SourceError};
use super::{display_name, locate, IngestError, Located};

/// The spreadsheets of a run, the readers working through them and what they have read.
pub(super) struct ReadAhead<'a> {
    config: &'a Config,
    /// Every spreadsheet of the run, in the order they are parsed.
    files: Vec<(TableKind, &'a Path)>,
    /// How many may be read or wait, read, at once.
    window: usize,
    state: Mutex<State>,
    changed: Condvar,
    /// The files from this index on are not needed: an earlier one failed, or the run did.
    stop_from: AtomicUsize,
}

struct State {
    /// The next file to start reading.
    next: usize,
    /// How many files their kind has taken (always the first ones).
    taken: usize,
    /// Reader threads still running.
    readers: usize,
    results: Vec<Option<Result<Located, IngestError>>>,
    /// A reader's panic, raised again on the thread that takes the files.
    panic: Option<Box<dyn std::any::Any + Send>>,
    stats: Stats,
}

/// What the read-ahead did, for tests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Stats {
    /// Reader threads started.
    pub readers: usize,
    /// The most files that were being read or waited, read, for their turn at one time.
    pub most_ahead: usize,
}

impl<'a> ReadAhead<'a> {
    /// The spreadsheets among the files of `kinds`, in that order; `window` is at least 1.
    pub(super) fn new(config: &'a Config, kinds: &[TableKind], window: usize) -> Self {
        let files: Vec<(TableKind, &Path)> = kinds
            .iter()
            .flat_map(|&kind| {
                config
                    .inputs
                    .files(kind)
                    .iter()
                    .filter(|path| is_spreadsheet(path))
                    .map(move |path| (kind, path.as_path()))
            })
            .collect();
        let results = files.iter().map(|_| None).collect();
        ReadAhead {
            config,
            files,
            window: window.max(1),
            state: Mutex::new(State {
                next: 0,
                taken: 0,
                readers: 0,
                results,
                panic: None,
                stats: Stats::default(),
            }),
            changed: Condvar::new(),
            stop_from: AtomicUsize::new(usize::MAX),
        }
    }

    /// Starts the reader threads in `scope`: `window` of them, fewer when there are fewer
    /// files. When the system refuses every thread, each file is read when its kind takes it.
    pub(super) fn start<'scope>(&'scope self, scope: &'scope std::thread::Scope<'scope, '_>) {
        for _ in 0..self.window.min(self.files.len()) {
            self.lock().readers += 1;
            let started = std::thread::Builder::new()
                .name("arrears-reader".into())
                .spawn_scoped(scope, move || self.read_in_turn());
            let mut state = self.lock();
            match started {
                Ok(_) => state.stats.readers += 1,
                Err(_) => state.readers -= 1,
            }
        }
    }

    /// The index of `kind`'s first spreadsheet: its spreadsheets follow it, in file order.
    pub(super) fn first_of(&self, kind: TableKind) -> usize {
        self.files
            .iter()
            .position(|(k, _)| *k == kind)
            .unwrap_or(self.files.len())
    }

    /// Whether a spreadsheet has failed (so the run will fail).
    pub(super) fn failed(&self) -> bool {
        self.stop_from.load(Ordering::Acquire) != usize::MAX
    }

    /// Stops every reader, at its next check.
    pub(super) fn stop_all(&self) {
        self.stop_from.store(0, Ordering::Release);
        let _state = self.lock();
        self.changed.notify_all();
    }

    pub(super) fn stats(&self) -> Stats {
        self.lock().stats
    }

    /// File `index`, read: waits for its reader, or reads it here when no reader thread runs.
    /// Files are taken in order, each once.
    pub(super) fn take(&self, index: usize) -> Result<Located, IngestError> {
        let mut state = self.lock();
        loop {
            if let Some(panic) = state.panic.take() {
                drop(state);
                std::panic::resume_unwind(panic);
            }
            if let Some(result) = state.results.get_mut(index).and_then(Option::take) {
                state.taken = state.taken.max(index + 1);
                self.changed.notify_all();
                return result;
            }
            if state.next <= index {
                if index >= self.stop_from.load(Ordering::Acquire) {
                    return Err(self.stopped(index));
                }
                if state.readers == 0 {
                    state.next = index + 1;
                    state.taken = state.taken.max(index + 1);
                    Self::count_ahead(&mut state);
                    drop(state);
                    return self.read(index);
                }
            }
            state = self
                .changed
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// A reader thread: reads the next file whenever the window has room, until every file is
    /// started or the rest are not needed.
    fn read_in_turn(&self) {
        let mut state = self.lock();
        loop {
            let next = state.next;
            if next >= self.files.len() || next >= self.stop_from.load(Ordering::Acquire) {
                state.readers -= 1;
                self.changed.notify_all();
                return;
            }
            if next >= state.taken + self.window {
                state = self
                    .changed
                    .wait(state)
                    .unwrap_or_else(PoisonError::into_inner);
                continue;
            }
            state.next += 1;
            Self::count_ahead(&mut state);
            drop(state);
            let result = std::panic::catch_unwind(AssertUnwindSafe(|| self.read(next)));
            if !matches!(result, Ok(Ok(_))) {
                self.stop_from.fetch_min(next + 1, Ordering::AcqRel);
            }
            state = self.lock();
            match result {
                Ok(result) => {
                    if let Some(slot) = state.results.get_mut(next) {
                        *slot = Some(result);
                    }
                }
                Err(panic) => state.panic = Some(panic),
            }
            self.changed.notify_all();
        }
    }

    fn read(&self, index: usize) -> Result<Located, IngestError> {
        let Some(&(kind, path)) = self.files.get(index) else {
            return Err(self.stopped(index));
        };
        let stop = || index >= self.stop_from.load(Ordering::Relaxed);
        locate(self.config, kind, path, &stop)
    }

    fn stopped(&self, index: usize) -> IngestError {
        let file = self
            .files
            .get(index)
            .map(|(_, path)| display_name(self.config, path))
            .unwrap_or_default();
        IngestError::Source(SourceError::Stopped { file })
    }

    fn count_ahead(state: &mut State) {
        let ahead = state.next - state.taken.min(state.next);
        state.stats.most_ahead = state.stats.most_ahead.max(ahead);
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Stops the readers when the run leaves ingest, by an error or a panic: the thread scope
/// waits for them, and a file no kind will take need not be read to its end.
pub(super) struct StopOnDrop<'r, 'a>(pub &'r ReadAhead<'a>);

impl Drop for StopOnDrop<'_, '_> {
    fn drop(&mut self) {
        self.0.stop_all();
    }
}

/// Whether `path` is read ahead: a workbook by its extension (its format is still decided by
/// its content).
pub(super) fn is_spreadsheet(path: &Path) -> bool {
    source::has_extension(path, &source::SPREADSHEET_EXTENSIONS)
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::*;
    use crate::config::Overrides;
    use crate::ingest::ingest_with;

    /// An invoices workbook of `rows` rows; the first row's amount is not a number, so every
    /// file gives one issue.
    fn invoices_workbook(path: &Path, tag: usize, rows: u32) {
        let mut workbook = rust_xlsxwriter::Workbook::new();
        let sheet = workbook.add_worksheet();
        for (c, h) in ["Invoice No", "Client", "Date", "Amount"]
            .iter()
            .enumerate()
        {
            sheet
                .write_string(0, u16::try_from(c).unwrap(), *h)
                .unwrap();
        }
        for r in 1..=rows {
            sheet
                .write_string(r, 0, format!("F{tag:02}{r:05}"))
                .unwrap();
            sheet
                .write_string(r, 1, format!("Client {}", r % 7))
                .unwrap();
            sheet.write_string(r, 2, "2026-10-05").unwrap();
            if r == 1 {
                sheet.write_string(r, 3, "twelve").unwrap();
            } else {
                sheet.write_number(r, 3, f64::from(r) + 0.25).unwrap();
            }
        }
        workbook.save(path).unwrap();
    }

    fn config(dir: &Path, invoices: Vec<PathBuf>) -> Config {
        let payments = dir.join("payments.csv");
        std::fs::write(&payments, "Date,Amount\n2026-10-31,1.00\n").unwrap();
        let overrides = Overrides {
            invoices,
            payments: vec![payments],
            ..Overrides::default()
        };
        Config::load(Some(dir), None, &overrides).unwrap()
    }

    /// Invoice numbers and issues, in the order ingest gives them.
    fn outcome(config: &Config, window: usize) -> (Vec<String>, Vec<String>, Stats) {
        let (ledger, _, stats) = ingest_with(config, window).unwrap();
        let invoices = ledger
            .invoices
            .iter()
            .map(|i| i.number.to_string())
            .collect();
        let issues = ledger
            .issues
            .iter()
            .map(|i| format!("{} {:?} {}", i.file, i.row, i.message))
            .collect();
        (invoices, issues, stats)
    }

    #[test]
    fn thirty_workbooks_are_read_a_few_at_a_time_and_give_the_same_run() {
        let dir = tempfile::tempdir().unwrap();
        let files: Vec<PathBuf> = (0..30)
            .map(|i| {
                let path = dir.path().join(format!("invoices-{i:02}.xlsx"));
                invoices_workbook(&path, i, 40);
                path
            })
            .collect();
        let config = config(dir.path(), files);
        let (invoices, issues, one) = outcome(&config, 1);
        assert_eq!(invoices.len(), 30 * 39, "{issues:#?}");
        // One issue a file, in file order.
        let named: Vec<&str> = issues
            .iter()
            .filter(|i| i.contains("twelve"))
            .map(|i| i.split(' ').next().unwrap())
            .collect();
        let expected: Vec<String> = (0..30).map(|i| format!("invoices-{i:02}.xlsx")).collect();
        assert_eq!(named, expected, "{issues:#?}");
        assert_eq!(one.readers, 1);
        assert_eq!(one.most_ahead, 1);
        for window in [2, 3, 8, 30] {
            let (again, again_issues, stats) = outcome(&config, window);
            assert_eq!(again, invoices, "window {window}");
            assert_eq!(again_issues, issues, "window {window}");
            assert_eq!(stats.readers, window, "window {window}");
            assert!(
                (1..=window).contains(&stats.most_ahead),
                "window {window}: {stats:?}"
            );
        }
        // Never more readers than files.
        let (_, _, stats) = outcome(&config, 64);
        assert_eq!(stats.readers, 30);
    }

    #[test]
    fn the_first_failing_workbook_in_file_order_is_the_error() {
        let dir = tempfile::tempdir().unwrap();
        let mut files = Vec::new();
        for i in 0..6 {
            let path = dir.path().join(format!("invoices-{i}.xlsx"));
            if i == 1 || i == 4 {
                // A truncated zip: fails at once.
                std::fs::write(&path, b"PK\x03\x04 not really a workbook").unwrap();
            } else {
                invoices_workbook(&path, i, 3000);
            }
            files.push(path);
        }
        let config = config(dir.path(), files.clone());
        for window in [1, 2, 3, 6] {
            for _ in 0..3 {
                let err = ingest_with(&config, window).map(|_| ()).unwrap_err();
                let message = err.to_string();
                assert!(
                    message.contains("invoices-1.xlsx"),
                    "window {window}: {message}"
                );
                assert!(!message.contains("stopped"), "{message}");
            }
        }
        // The damaged file first: the readers after it stop, the error names it.
        let config = self::config(dir.path(), files[1..].to_vec());
        for window in [1, 2, 4] {
            let message = ingest_with(&config, window)
                .map(|_| ())
                .unwrap_err()
                .to_string();
            assert!(message.contains("invoices-1.xlsx"), "{message}");
        }
    }

    #[test]
    fn a_stopped_reading_gives_up_within_a_few_thousand_cells() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.xlsx");
        invoices_workbook(&path, 0, 5000);
        let asked = std::sync::atomic::AtomicUsize::new(0);
        let stop = || asked.fetch_add(1, Ordering::Relaxed) >= 1;
        let err = source::read_file_until(&path, "big.xlsx", None, &stop)
            .map(|_| ())
            .unwrap_err();
        assert!(matches!(err, SourceError::Stopped { .. }), "{err}");
        // Asked once, let go on; asked again 4096 cells later, stopped.
        assert_eq!(asked.load(Ordering::Relaxed), 2);
        assert!(source::read_file(&path, "big.xlsx", None).is_ok());
    }
}
