//! The order in which an office's companies run, so that memory stays bounded.
//!
//! The rule:
//! - a company's *weight* is the size of its input files on disk, with compressed workbooks
//!   (`.xlsx`, `.xlsm`, `.xlsb`, `.ods`) counted [`COMPRESSED_FACTOR`] times, since their sheets
//!   unpack to several times their size; a run's peak memory grows with it (about 1 GiB for
//!   1,000,000 invoices and payments, some 150 MB of CSV);
//! - companies start largest first (then by folder name), so the long runs do not end up last
//!   with one thread busy and the others idle;
//! - a company of weight [`LARGE_WEIGHT`] or more is *large*, and two large companies never run
//!   at once: while one runs, a free worker takes the next company that is not large, and waits
//!   only when nothing but large companies is left.
//!
//! With N workers the peak is therefore at most one large run plus N − 1 runs below the
//! threshold (each under about 0.4 GiB).

use std::path::Path;

/// Compressed workbooks count this many times their size on disk.
pub const COMPRESSED_FACTOR: u64 = 5;

/// The weight from which a company is large: about 400,000 invoices and as many payments in
/// CSV, some 0.4 GiB at the run's peak.
pub const LARGE_WEIGHT: u64 = 64 << 20;

/// The weight of one input file.
#[must_use]
pub fn file_weight(path: &Path) -> u64 {
    let size = std::fs::metadata(path).map_or(0, |m| m.len());
    let compressed = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .is_some_and(|e| matches!(e.as_str(), "xlsx" | "xlsm" | "xlsb" | "ods"));
    if compressed {
        size.saturating_mul(COMPRESSED_FACTOR)
    } else {
        size
    }
}

/// Which company runs next. Companies are numbered by their place in the office (folder
/// order); the schedule hands them out by the rule above.
#[derive(Debug)]
pub struct Schedule {
    /// Waiting companies, in start order: (weight, index).
    waiting: Vec<(u64, usize)>,
    /// Large companies running now.
    large_running: usize,
    large: u64,
}

impl Schedule {
    /// A schedule for companies of `weights` (by index), with large from [`LARGE_WEIGHT`].
    #[must_use]
    pub fn new(weights: &[u64]) -> Schedule {
        Schedule::with_threshold(weights, LARGE_WEIGHT)
    }

    /// [`Schedule::new`] with another threshold (tests).
    #[must_use]
    pub fn with_threshold(weights: &[u64], large: u64) -> Schedule {
        let mut waiting: Vec<(u64, usize)> = weights.iter().copied().zip(0..).collect();
        // Largest first; ties in folder order.
        waiting.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        Schedule {
            waiting,
            large_running: 0,
            large,
        }
    }

    /// The next company to start now, if any may start.
    pub fn start_next(&mut self) -> Option<usize> {
        let pick = self
            .waiting
            .iter()
            .position(|&(w, _)| w < self.large || self.large_running == 0)?;
        let (weight, index) = self.waiting.remove(pick);
        if weight >= self.large {
            self.large_running += 1;
        }
        Some(index)
    }

    /// A company of `weight` finished.
    pub fn finished(&mut self, weight: u64) {
        if weight >= self.large {
            self.large_running = self.large_running.saturating_sub(1);
        }
    }

    /// Whether every company has been handed out.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.waiting.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn largest_first_and_ties_in_folder_order() {
        let mut s = Schedule::with_threshold(&[5, 30, 5, 20], 100);
        let order: Vec<usize> = std::iter::from_fn(|| s.start_next()).collect();
        assert_eq!(order, vec![1, 3, 0, 2]);
        assert!(s.is_empty());
    }

    #[test]
    fn two_large_companies_never_run_at_once() {
        // Weights: three large (100+), two small.
        let weights = [150, 10, 300, 200, 20];
        let mut s = Schedule::with_threshold(&weights, 100);
        // Worker 1 takes the largest; worker 2 skips the other large ones for the small.
        assert_eq!(s.start_next(), Some(2));
        assert_eq!(s.start_next(), Some(4));
        assert_eq!(s.start_next(), Some(1));
        // Only large ones are left while one runs: nobody may start.
        assert_eq!(s.start_next(), None);
        assert!(!s.is_empty());
        s.finished(weights[4]);
        assert_eq!(
            s.start_next(),
            None,
            "a small one ending frees no large slot"
        );
        s.finished(weights[2]);
        assert_eq!(s.start_next(), Some(3));
        assert_eq!(s.start_next(), None);
        s.finished(weights[3]);
        assert_eq!(s.start_next(), Some(0));
        assert!(s.is_empty());
    }

    #[test]
    fn compressed_workbooks_weigh_more_than_their_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let csv = dir.path().join("a.csv");
        let xlsx = dir.path().join("a.XLSX");
        std::fs::write(&csv, [0u8; 1000]).unwrap();
        std::fs::write(&xlsx, [0u8; 1000]).unwrap();
        assert_eq!(file_weight(&csv), 1000);
        assert_eq!(file_weight(&xlsx), 1000 * COMPRESSED_FACTOR);
        assert_eq!(file_weight(&dir.path().join("missing.csv")), 0);
    }
}
