//! The lock of an output folder, `OUT/.arrears.lock`: every command that writes into an output
//! folder (`run`, `office`, `send`) takes it first, so two colleagues working on one shared
//! folder never interleave their runs or lose an update of `history.csv` (SPEC section 12).
//!
//! Invariants:
//! - The lock file is created with `create_new` (`O_EXCL`): of two commands racing for a folder,
//!   exactly one creates it. It holds four `key=value` lines — `host`, `pid`, `started` (UTC,
//!   RFC 3339) and `command` — and, on Linux, `proc_start` (the process's start in clock ticks
//!   since boot, read from `/proc/self/stat`) so a process id reused after a reboot or a crash
//!   is not taken for the holder.
//! - A lock is removed when its [`OutputLock`] is dropped, and only when the file still names
//!   this holder.
//! - A lock whose holder is a dead process on this host is stale and taken over; on Linux the
//!   process is looked up in `/proc`, elsewhere it is assumed alive. Taking over happens under a
//!   second file, `.arrears.lock.takeover` (also `create_new`), so two commands that find the
//!   same stale lock cannot both take it. A lock of another host is never taken over: the
//!   message names that host, the process and the lock's age.
//! - A lock file that cannot be read as a lock (a command killed between creating and writing
//!   it) is stale once it is older than [`UNREADABLE_GRACE`].

use std::fmt;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use chrono::{DateTime, SecondsFormat, SubsecRound as _, Utc};

/// The lock's file name inside the output folder.
pub const LOCK_FILE: &str = ".arrears.lock";

/// The file that makes taking over a stale lock a one-at-a-time affair.
const TAKEOVER_FILE: &str = ".arrears.lock.takeover";

/// How old an unreadable lock file (or a takeover file) must be before it is treated as left
/// behind: writing one takes microseconds.
pub const UNREADABLE_GRACE: Duration = Duration::from_secs(60);

/// Who holds a lock: the contents of the lock file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Holder {
    pub host: String,
    pub pid: u32,
    /// When the lock was taken (UTC).
    pub started: DateTime<Utc>,
    /// What the holder runs, for the message (`arrears run`, `arrears office`, ...).
    pub command: String,
    /// The process's start time in clock ticks since boot (Linux), to tell a reused pid apart.
    pub proc_start: Option<u64>,
}

impl Holder {
    /// This process, now, running `command`.
    #[must_use]
    pub fn current(command: &str) -> Holder {
        Holder {
            host: host_name(),
            pid: std::process::id(),
            // Whole seconds, as the file holds them: the holder read back equals this one.
            started: Utc::now().trunc_subsecs(0),
            command: command.to_string(),
            proc_start: process_start(std::process::id()),
        }
    }

    /// The lock file's text.
    #[must_use]
    pub fn to_text(&self) -> String {
        let mut text = format!(
            "host={}\npid={}\nstarted={}\ncommand={}\n",
            one_line(&self.host),
            self.pid,
            self.started.to_rfc3339_opts(SecondsFormat::Secs, true),
            one_line(&self.command)
        );
        if let Some(ticks) = self.proc_start {
            text.push_str(&format!("proc_start={ticks}\n"));
        }
        text
    }

    /// Reads a lock file's text; `None` when a required line is missing or malformed.
    #[must_use]
    pub fn parse(text: &str) -> Option<Holder> {
        let (mut host, mut pid, mut started, mut command, mut proc_start) =
            (None, None, None, String::new(), None);
        for line in text.lines() {
            let Some((key, value)) = line.split_once('=') else {
                continue;
            };
            match key.trim() {
                "host" => host = Some(value.trim().to_string()),
                "pid" => pid = value.trim().parse::<u32>().ok(),
                "started" => {
                    started = DateTime::parse_from_rfc3339(value.trim())
                        .ok()
                        .map(|d| d.with_timezone(&Utc));
                }
                "command" => command = value.trim().to_string(),
                "proc_start" => proc_start = value.trim().parse::<u64>().ok(),
                _ => {}
            }
        }
        Some(Holder {
            host: host.filter(|h| !h.is_empty())?,
            pid: pid?,
            started: started?,
            command,
            proc_start,
        })
    }

    /// How long ago the lock was taken (zero when the clocks disagree).
    #[must_use]
    pub fn age(&self) -> Duration {
        (Utc::now() - self.started).to_std().unwrap_or_default()
    }
}

impl fmt::Display for Holder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = if self.command.is_empty() {
            "arrears"
        } else {
            &self.command
        };
        write!(
            f,
            "{what} (process {} on {}), started {} ({} ago)",
            self.pid,
            self.host,
            self.started.to_rfc3339_opts(SecondsFormat::Secs, true),
            human_age(self.age())
        )
    }
}

/// Why a lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// A live process on this host holds the folder.
    #[error("{folder} is in use by {holder}; wait for it to finish (the lock is {path})")]
    Held {
        folder: PathBuf,
        path: PathBuf,
        holder: Box<Holder>,
    },
    /// A process on another host holds the folder; whether it still runs cannot be known here.
    #[error("{folder} is in use by {holder} on another computer; wait for it to finish, or, if that computer is no longer running arrears, delete {path}")]
    OtherHost {
        folder: PathBuf,
        path: PathBuf,
        holder: Box<Holder>,
    },
    /// The lock file exists but says nothing readable, and is younger than the grace period.
    #[error("{folder} is in use: {path} exists ({} old) but names no holder; wait a minute and try again, or delete it if no arrears command is running", human_age(*.age))]
    Unreadable {
        folder: PathBuf,
        path: PathBuf,
        age: Duration,
    },
    /// The file system refused.
    #[error("cannot lock {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// A held lock on an output folder; released (the file removed) when dropped.
#[derive(Debug)]
pub struct OutputLock {
    path: PathBuf,
    holder: Holder,
}

impl OutputLock {
    /// Takes the lock of output folder `dir` (created when missing) for `arrears run`.
    ///
    /// # Errors
    /// [`LockError::Held`], [`LockError::OtherHost`] or [`LockError::Unreadable`] when another
    /// command holds it; [`LockError::Io`] when the folder or file cannot be made.
    pub fn acquire(dir: &Path) -> Result<OutputLock, LockError> {
        OutputLock::acquire_for(dir, "arrears")
    }

    /// [`OutputLock::acquire`] naming the command (`arrears run`, `arrears send`) in the file,
    /// so a colleague's message says what holds the folder.
    ///
    /// # Errors
    /// As [`OutputLock::acquire`].
    pub fn acquire_for(dir: &Path, command: &str) -> Result<OutputLock, LockError> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| LockError::Io { path, source }
        };
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let path = dir.join(LOCK_FILE);
        let holder = Holder::current(command);
        // A stale lock taken over leaves the way free once; a second round that finds another
        // lock again reports it.
        for _ in 0..3 {
            match create(&path, &holder) {
                Ok(()) => return Ok(OutputLock { path, holder }),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(io(&path)(e)),
            }
            let found = read_lock(&path).map_err(io(&path))?;
            match found {
                // Removed between our attempt and our look: try again.
                Found::Gone => {}
                Found::Holder(other) if other.host != holder.host => {
                    return Err(LockError::OtherHost {
                        folder: dir.to_path_buf(),
                        path,
                        holder: Box::new(other),
                    });
                }
                Found::Holder(other) if is_alive(&other) => {
                    return Err(LockError::Held {
                        folder: dir.to_path_buf(),
                        path,
                        holder: Box::new(other),
                    });
                }
                Found::Unreadable(age) if age < UNREADABLE_GRACE => {
                    return Err(LockError::Unreadable {
                        folder: dir.to_path_buf(),
                        path,
                        age,
                    });
                }
                stale => take_over(dir, &path, &stale).map_err(io(&path))?,
            }
        }
        match read_lock(&path).map_err(io(&path))? {
            Found::Holder(other) => Err(LockError::Held {
                folder: dir.to_path_buf(),
                path,
                holder: Box::new(other),
            }),
            Found::Unreadable(age) => Err(LockError::Unreadable {
                folder: dir.to_path_buf(),
                path,
                age,
            }),
            Found::Gone => Err(LockError::Io {
                path,
                source: std::io::Error::other("the lock kept changing hands"),
            }),
        }
    }

    /// The lock file.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Who holds it (this process).
    #[must_use]
    pub fn holder(&self) -> &Holder {
        &self.holder
    }
}

impl Drop for OutputLock {
    fn drop(&mut self) {
        // Only our own lock: one taken over by a colleague (after a wrong stale verdict) stays.
        if let Ok(Found::Holder(h)) = read_lock(&self.path) {
            if h == self.holder {
                let _ = std::fs::remove_file(&self.path);
            }
        }
    }
}

/// What the lock file says.
#[derive(Debug, PartialEq)]
enum Found {
    Gone,
    Holder(Holder),
    /// Not a lock's text; its age from the file's modification time.
    Unreadable(Duration),
}

fn create(path: &Path, holder: &Holder) -> std::io::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?;
    let written = file
        .write_all(holder.to_text().as_bytes())
        .and_then(|()| file.sync_all());
    if let Err(e) = written {
        drop(file);
        let _ = std::fs::remove_file(path);
        return Err(e);
    }
    Ok(())
}

fn read_lock(path: &Path) -> std::io::Result<Found> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Found::Gone),
        Err(e) => return Err(e),
    };
    if let Some(holder) = Holder::parse(&String::from_utf8_lossy(&bytes)) {
        return Ok(Found::Holder(holder));
    }
    Ok(Found::Unreadable(file_age(path)))
}

fn file_age(path: &Path) -> Duration {
    std::fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| SystemTime::now().duration_since(t).ok())
        .unwrap_or_default()
}

/// Removes the stale lock `found`, under the takeover file, when the lock file still says the
/// same; the caller then tries to create its own.
fn take_over(dir: &Path, path: &Path, found: &Found) -> std::io::Result<()> {
    let guard = dir.join(TAKEOVER_FILE);
    let made = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&guard);
    match made {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            // Another command is taking over right now, or one died doing so.
            if file_age(&guard) > UNREADABLE_GRACE {
                let _ = std::fs::remove_file(&guard);
            }
            std::thread::sleep(Duration::from_millis(50));
            return Ok(());
        }
        Err(e) => return Err(e),
    }
    let result = (|| {
        let now = read_lock(path)?;
        let same = match (&now, found) {
            (Found::Holder(a), Found::Holder(b)) => a == b,
            (Found::Unreadable(_), Found::Unreadable(_)) => true,
            _ => false,
        };
        if same {
            match std::fs::remove_file(path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
        }
        Ok(())
    })();
    let _ = std::fs::remove_file(&guard);
    result
}

/// Whether the holder's process still runs (same host only). On Linux, by `/proc/<pid>` and
/// its start time; elsewhere a lock is taken for alive.
fn is_alive(holder: &Holder) -> bool {
    if cfg!(target_os = "linux") {
        if !Path::new(&format!("/proc/{}", holder.pid)).exists() {
            return false;
        }
        match (holder.proc_start, process_start(holder.pid)) {
            (Some(recorded), Some(now)) => recorded == now,
            _ => true,
        }
    } else {
        true
    }
}

/// The start time of process `pid` in clock ticks since boot (`/proc/<pid>/stat`, field 22).
fn process_start(pid: u32) -> Option<u64> {
    if !cfg!(target_os = "linux") {
        return None;
    }
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may hold spaces: count after it.
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(19)?.parse().ok()
}

/// This computer's name: the kernel's on Linux, else the usual environment variables.
fn host_name() -> String {
    let from_kernel = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_string());
    from_kernel
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map_or_else(|| "unknown-host".to_string(), |h| one_line(&h))
}

fn one_line(text: &str) -> String {
    text.replace(['\r', '\n'], " ")
}

/// `42 s`, `5 min`, `3 h 10 min`, `2 days`.
fn human_age(age: Duration) -> String {
    let s = age.as_secs();
    match s {
        0..=119 => format!("{s} s"),
        120..=7199 => format!("{} min", s / 60),
        7200..=172_799 => format!("{} h {} min", s / 3600, s % 3600 / 60),
        _ => format!("{} days", s / 86_400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lock_file_names_host_process_and_start_and_reads_back() {
        let holder = Holder {
            host: "office-pc".to_string(),
            pid: 4242,
            started: DateTime::parse_from_rfc3339("2026-11-30T08:15:00Z")
                .unwrap()
                .with_timezone(&Utc),
            command: "arrears run".to_string(),
            proc_start: Some(987_654),
        };
        let text = holder.to_text();
        assert_eq!(
            text,
            "host=office-pc\npid=4242\nstarted=2026-11-30T08:15:00Z\ncommand=arrears run\nproc_start=987654\n"
        );
        assert_eq!(Holder::parse(&text), Some(holder.clone()));
        // Windows line ends and unknown keys from a later version are read too.
        let crlf = text.replace('\n', "\r\n") + "note=x\r\n";
        assert_eq!(Holder::parse(&crlf), Some(holder));
        assert_eq!(Holder::parse(""), None);
        assert_eq!(
            Holder::parse("host=a\npid=x\nstarted=2026-11-30T08:15:00Z\n"),
            None
        );
    }

    #[test]
    fn a_second_lock_on_the_same_folder_is_refused_naming_the_holder() {
        let dir = tempfile::tempdir().unwrap();
        let first = OutputLock::acquire_for(dir.path(), "arrears run").unwrap();
        let err = OutputLock::acquire(dir.path()).unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, LockError::Held { .. }), "{text}");
        assert!(
            text.contains(&format!("process {}", std::process::id()))
                && text.contains("arrears run"),
            "{text}"
        );
        drop(first);
        assert!(!dir.path().join(LOCK_FILE).exists());
        let again = OutputLock::acquire(dir.path()).unwrap();
        assert!(again.path().exists());
    }

    #[test]
    fn a_dead_process_lock_is_taken_over_and_another_hosts_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(LOCK_FILE);
        let mut dead = Holder::current("arrears run");
        // Process ids are below 2^22 on Linux.
        dead.pid = 4_000_000_000;
        std::fs::write(&path, dead.to_text()).unwrap();
        let lock = OutputLock::acquire(dir.path()).unwrap();
        assert_eq!(
            Holder::parse(&std::fs::read_to_string(&path).unwrap())
                .unwrap()
                .pid,
            std::process::id()
        );
        drop(lock);

        let mut remote = Holder::current("arrears office");
        remote.host = "colleague-laptop".to_string();
        remote.pid = 4_000_000_000;
        std::fs::write(&path, remote.to_text()).unwrap();
        let err = OutputLock::acquire(dir.path()).unwrap_err();
        assert!(matches!(err, LockError::OtherHost { .. }), "{err}");
        assert!(err.to_string().contains("colleague-laptop"), "{err}");
        assert!(path.exists(), "another host's lock is left alone");
    }

    #[test]
    fn an_unreadable_lock_waits_out_its_grace_then_is_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(LOCK_FILE);
        std::fs::write(&path, "").unwrap();
        let err = OutputLock::acquire(dir.path()).unwrap_err();
        assert!(matches!(err, LockError::Unreadable { .. }), "{err}");
        let file = std::fs::File::options().write(true).open(&path).unwrap();
        file.set_modified(SystemTime::now() - Duration::from_secs(600))
            .unwrap();
        drop(file);
        let lock = OutputLock::acquire(dir.path()).unwrap();
        assert_eq!(lock.holder().pid, std::process::id());
    }

    #[test]
    fn ages_read_as_people_say_them() {
        assert_eq!(human_age(Duration::from_secs(42)), "42 s");
        assert_eq!(human_age(Duration::from_secs(600)), "10 min");
        assert_eq!(human_age(Duration::from_secs(3 * 3600 + 600)), "3 h 10 min");
        assert_eq!(human_age(Duration::from_secs(3 * 86_400)), "3 days");
    }
}
