//! The run folder `OUT/<as-of>/`: built under a temporary name beside it and renamed into
//! place only when complete, so a shared folder never shows a half-written run. An existing
//! run folder for the same date is replaced only with `--force`, and then the old one is moved
//! aside before the new one takes its name.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;

/// Why the run folder could not be prepared or completed.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// A run folder for this date exists and `--force` was not given.
    #[error("{0} already exists: a run for this date was made before; use --force to replace it, or --as-of for another date")]
    Exists(PathBuf),
    /// The file system refused.
    #[error("cannot write {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> OutputError + '_ {
    move |source| OutputError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// `--force` replaces a run folder in two renames (old aside, new in). A run killed between them
/// leaves no run folder, only the complete old one under `.<name>.old-<pid>`: put it back, so
/// the previous run is never lost and is again refused without `--force`.
fn restore_replaced(out: &Path, name: &str, target: &Path) -> Result<(), OutputError> {
    if target.exists() {
        return Ok(());
    }
    let Ok(entries) = std::fs::read_dir(out) else {
        return Ok(());
    };
    let prefix = format!(".{name}.old-");
    let mut aside: Vec<PathBuf> = entries
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
        .map(|e| e.path())
        .collect();
    aside.sort();
    if let Some(old) = aside.pop() {
        std::fs::rename(&old, target).map_err(io(target))?;
    }
    Ok(())
}

/// Replaces the small file `path` with `bytes` by writing a temporary file beside it and
/// renaming it into place, so a reader (or a killed run) never sees it half written.
///
/// # Errors
/// When the temporary file cannot be written or renamed.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let temp = path.with_file_name(format!(".{name}.partial-{}", std::process::id()));
    let result = (|| {
        let mut file = std::fs::File::create(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&temp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

/// A small file's temporary copy (`.history.csv.partial-<pid>`, `.latest.txt.partial-<pid>`)
/// that a killed run left behind: one older than an hour, since writing one takes
/// milliseconds and a younger one may belong to a run still going in the same folder.
fn is_stale_partial_file(file_name: &str, entry: &std::fs::DirEntry) -> bool {
    const STALE: std::time::Duration = std::time::Duration::from_secs(3600);
    file_name.starts_with('.')
        && file_name.contains(".partial-")
        && entry.metadata().is_ok_and(|m| {
            m.is_file()
                && m.modified()
                    .ok()
                    .and_then(|t| t.elapsed().ok())
                    .is_some_and(|age| age > STALE)
        })
}

/// A run folder under construction.
#[derive(Debug)]
pub struct RunFolder {
    /// Where files are written now.
    pub temp: PathBuf,
    /// Where the folder ends up.
    pub target: PathBuf,
    force: bool,
    /// The output folder did not exist before this run: a failed run removes it again.
    made_out: Option<PathBuf>,
}

impl RunFolder {
    /// The folder name of a run: its as-of date, with `-dry-run` for a preview.
    #[must_use]
    pub fn name(as_of: NaiveDate, dry_run: bool) -> String {
        let date = as_of.format("%Y-%m-%d");
        if dry_run {
            format!("{date}-dry-run")
        } else {
            date.to_string()
        }
    }

    /// Prepares `out/<name>` for a new run: refuses an existing one without `force`, removes
    /// what an interrupted run of the same date left behind, and creates the temporary folder.
    ///
    /// # Errors
    /// [`OutputError::Exists`] without `force`; [`OutputError::Io`] when folders cannot be made.
    pub fn begin(out: &Path, name: &str, force: bool) -> Result<RunFolder, OutputError> {
        let target = out.join(name);
        restore_replaced(out, name, &target)?;
        if target.exists() && !force {
            return Err(OutputError::Exists(target));
        }
        let made_out = (!out.exists()).then(|| out.to_path_buf());
        std::fs::create_dir_all(out).map_err(io(out))?;
        // Leftovers of an interrupted run for this date (never a completed run: a completed
        // run moved aside by --force was restored above when its replacement never arrived).
        if let Ok(entries) = std::fs::read_dir(out) {
            for entry in entries.flatten() {
                let file_name = entry.file_name().to_string_lossy().to_string();
                if file_name.starts_with(&format!(".{name}.partial-"))
                    || file_name.starts_with(&format!(".{name}.old-"))
                {
                    let _ = std::fs::remove_dir_all(entry.path());
                } else if is_stale_partial_file(&file_name, &entry) {
                    let _ = std::fs::remove_file(entry.path());
                }
            }
        }
        let temp = out.join(format!(".{name}.partial-{}", std::process::id()));
        std::fs::create_dir_all(&temp).map_err(io(&temp))?;
        Ok(RunFolder {
            temp,
            target,
            force,
            made_out,
        })
    }

    /// Moves the finished folder into place.
    ///
    /// # Errors
    /// When the rename fails; the temporary folder is left for inspection.
    pub fn commit(self) -> Result<PathBuf, OutputError> {
        if self.target.exists() {
            if !self.force {
                return Err(OutputError::Exists(self.target));
            }
            let parent = self.target.parent().unwrap_or(Path::new("."));
            let name = self
                .target
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default();
            let old = parent.join(format!(".{name}.old-{}", std::process::id()));
            std::fs::rename(&self.target, &old).map_err(io(&self.target))?;
            std::fs::rename(&self.temp, &self.target).map_err(io(&self.target))?;
            let _ = std::fs::remove_dir_all(&old);
        } else {
            std::fs::rename(&self.temp, &self.target).map_err(io(&self.target))?;
        }
        if let Some(parent) = self.target.parent() {
            if let Ok(dir) = std::fs::File::open(parent) {
                let _ = dir.sync_all();
            }
        }
        Ok(self.target)
    }

    /// Removes the temporary folder of a run that failed.
    pub fn abandon(self) {
        let _ = std::fs::remove_dir_all(&self.temp);
        if let Some(out) = &self.made_out {
            // Only when empty: nothing but this run was ever in it.
            let _ = std::fs::remove_dir(out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_to_overwrite_without_force_and_replaces_with_it() {
        let out = tempfile::tempdir().unwrap();
        let date = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        let name = RunFolder::name(date, false);
        let run = RunFolder::begin(out.path(), &name, false).unwrap();
        std::fs::write(run.temp.join("a.csv"), "1").unwrap();
        let target = run.commit().unwrap();
        assert_eq!(std::fs::read_to_string(target.join("a.csv")).unwrap(), "1");

        let err = RunFolder::begin(out.path(), &name, false).unwrap_err();
        assert!(matches!(err, OutputError::Exists(_)), "{err}");

        let run = RunFolder::begin(out.path(), &name, true).unwrap();
        std::fs::write(run.temp.join("b.csv"), "2").unwrap();
        let target = run.commit().unwrap();
        assert!(!target.join("a.csv").exists());
        assert_eq!(std::fs::read_to_string(target.join("b.csv")).unwrap(), "2");
        let names: Vec<_> = std::fs::read_dir(out.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("2026-11-30")]);
    }

    #[test]
    fn temporary_files_left_by_a_killed_run_are_removed_once_stale() {
        let out = tempfile::tempdir().unwrap();
        let stale = out.path().join(".history.csv.partial-4242");
        let fresh = out.path().join(".latest.txt.partial-4243");
        let file = std::fs::File::create(&stale).unwrap();
        let two_hours_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(7200);
        file.set_modified(two_hours_ago).unwrap();
        std::fs::write(&fresh, "2026-11-30").unwrap();
        RunFolder::begin(out.path(), "2026-11-30", false).unwrap();
        assert!(!stale.exists(), "an hour-old leftover is removed");
        assert!(
            fresh.exists(),
            "a fresh one may belong to a run still writing"
        );
    }

    #[test]
    fn a_run_moved_aside_by_an_interrupted_force_is_restored() {
        let out = tempfile::tempdir().unwrap();
        // A forced run killed between its two renames: the old run aside, no run folder.
        let aside = out.path().join(".2026-11-30.old-4242");
        std::fs::create_dir(&aside).unwrap();
        std::fs::write(aside.join("a.csv"), "old").unwrap();
        std::fs::create_dir(out.path().join(".2026-11-30.partial-4242")).unwrap();
        let err = RunFolder::begin(out.path(), "2026-11-30", false).unwrap_err();
        assert!(matches!(err, OutputError::Exists(_)), "{err}");
        let target = out.path().join("2026-11-30");
        assert_eq!(
            std::fs::read_to_string(target.join("a.csv")).unwrap(),
            "old"
        );
        assert!(!aside.exists());
    }

    #[test]
    fn atomic_writes_replace_whole_files() {
        let out = tempfile::tempdir().unwrap();
        let path = out.path().join("latest.txt");
        write_atomic(&path, b"2026-10-31\r\n").unwrap();
        write_atomic(&path, b"2026-11-30\r\n").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"2026-11-30\r\n");
        assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 1);
    }
}
