//! Memory across runs: the reminder history `OUT/history.csv` (one row per letter decided:
//! date, client, level, invoices, amount, files) and the previous run folder, read to hold back
//! repeats, escalate ignored letters, mention earlier letters and report what changed.
//!
//! `arrears send` fills in the `sent` column: the date the mail server accepted the letter's
//! e-mail, so a later letter says "our e-mail of …" only for an e-mail that went out (a file
//! written before the column existed reads as never sent).
//!
//! The history file is only ever replaced whole (written beside it, then renamed), so an
//! interrupted run leaves the previous file intact. Entries dated on or after a run's as-of
//! date are never used by that run, so a back-dated run sees the history as it was then.

use std::collections::{BTreeMap, HashMap};
use std::io::Write as _;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;

/// The file name of the reminder history inside the output folder.
pub const HISTORY_FILE: &str = "history.csv";
const HEADER: [&str; 7] = [
    "date", "client", "level", "invoices", "amount", "files", "sent",
];

/// One letter recorded in the history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub date: NaiveDate,
    pub client: String,
    pub level: String,
    /// Invoice numbers, separated by `;`.
    pub invoices: String,
    /// Amounts per currency, such as `1340.50 ILS; 20.00 USD`.
    pub amount: String,
    /// Letter files, relative to the output folder, separated by `;`.
    pub files: String,
    /// The date `arrears send` handed the letter's e-mail to the mail server, if it did.
    pub sent: Option<NaiveDate>,
}

/// A problem with the history file.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error("cannot read {path}: {message}; fix or move the file (it is the reminder history) and run again")]
    Read { path: PathBuf, message: String },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The reminder history as read at the start of a run.
#[derive(Clone, Debug, Default)]
pub struct History {
    pub entries: Vec<Entry>,
}

impl History {
    /// Reads `OUT/history.csv`; a missing file is an empty history.
    ///
    /// # Errors
    /// When the file exists but cannot be read or a row is malformed.
    pub fn load(out: &Path) -> Result<History, HistoryError> {
        let path = out.join(HISTORY_FILE);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(History::default()),
            Err(e) => {
                return Err(HistoryError::Read {
                    path,
                    message: e.to_string(),
                })
            }
        };
        let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
        let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(text);
        let sent_column = reader
            .headers()
            .ok()
            .and_then(|h| h.iter().position(|name| name == "sent"));
        let mut entries = Vec::new();
        for (i, record) in reader.records().enumerate() {
            let row = i + 2;
            let record = record.map_err(|e| HistoryError::Read {
                path: path.clone(),
                message: format!("row {row}: {e}"),
            })?;
            let get = |k: usize| record.get(k).unwrap_or("").to_string();
            let date =
                NaiveDate::parse_from_str(&get(0), "%Y-%m-%d").map_err(|_| HistoryError::Read {
                    path: path.clone(),
                    message: format!("row {row}: \"{}\" is not a date", get(0)),
                })?;
            let sent = match sent_column.map(get).filter(|s| !s.is_empty()) {
                None => None,
                Some(text) => Some(NaiveDate::parse_from_str(&text, "%Y-%m-%d").map_err(|_| {
                    HistoryError::Read {
                        path: path.clone(),
                        message: format!("row {row}: sent \"{text}\" is not a date"),
                    }
                })?),
            };
            entries.push(Entry {
                date,
                client: get(1),
                level: get(2),
                invoices: get(3),
                amount: get(4),
                files: get(5),
                sent,
            });
        }
        Ok(History { entries })
    }

    /// The latest date in the history.
    #[must_use]
    pub fn last_date(&self) -> Option<NaiveDate> {
        self.entries.iter().map(|e| e.date).max()
    }

    /// Letters of each client dated before `as_of`, oldest first.
    #[must_use]
    pub fn before(&self, as_of: NaiveDate) -> BTreeMap<&str, Vec<&Entry>> {
        let mut by_client: BTreeMap<&str, Vec<&Entry>> = BTreeMap::new();
        for e in self.entries.iter().filter(|e| e.date < as_of) {
            by_client.entry(e.client.as_str()).or_default().push(e);
        }
        for list in by_client.values_mut() {
            list.sort_by_key(|e| e.date);
        }
        by_client
    }
}

/// What recording a run did to the history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Recorded {
    /// The run's letters were added (replacing earlier rows of the same date, from a run that
    /// was made again with `--force`).
    Added { letters: usize, replaced: usize },
    /// The history already holds letters after this as-of date: this run reproduces a past
    /// month and is not recorded, so the history stays as it was.
    BackDated { last: NaiveDate },
}

/// Records a run's letters: rows of the same date are replaced, the file is rewritten whole
/// and renamed into place. A run older than the latest history date records nothing.
///
/// # Errors
/// When the new file cannot be written or renamed.
pub fn record(
    out: &Path,
    history: &History,
    as_of: NaiveDate,
    letters: Vec<Entry>,
) -> Result<Recorded, HistoryError> {
    if let Some(last) = history.last_date() {
        if last > as_of {
            return Ok(Recorded::BackDated { last });
        }
    }
    let replaced = history.entries.iter().filter(|e| e.date == as_of).count();
    let mut letters = letters;
    // A run made again keeps the date its e-mail went out: the client did get that e-mail.
    // The first entry of the day for a client and its files decides (looked up, not searched
    // for each of a hundred thousand letters).
    let mut earlier: HashMap<(&str, &str), Option<NaiveDate>> = HashMap::new();
    for e in history.entries.iter().filter(|e| e.date == as_of) {
        earlier.entry((&e.client, &e.files)).or_insert(e.sent);
    }
    for letter in &mut letters {
        letter.sent = letter.sent.or_else(|| {
            earlier
                .get(&(letter.client.as_str(), letter.files.as_str()))
                .copied()
                .flatten()
        });
    }
    let mut entries: Vec<&Entry> = history.entries.iter().filter(|e| e.date != as_of).collect();
    let count = letters.len();
    entries.extend(letters.iter());
    write_entries(out, entries)?;
    Ok(Recorded::Added {
        letters: count,
        replaced,
    })
}

/// Records the date each letter's e-mail was accepted by the mail server: `sent` maps a letter
/// file (relative to the output folder, as in the `files` column) to that date. Returns how
/// many entries changed; the file is rewritten only when one did.
///
/// # Errors
/// When the history cannot be read or the new file cannot be written.
pub fn mark_sent(out: &Path, sent: &BTreeMap<String, NaiveDate>) -> Result<usize, HistoryError> {
    let mut history = History::load(out)?;
    let mut changed = 0;
    for entry in &mut history.entries {
        let date = entry.files.split(';').find_map(|f| sent.get(f.trim()));
        if let Some(date) = date {
            if entry.sent != Some(*date) {
                entry.sent = Some(*date);
                changed += 1;
            }
        }
    }
    if changed > 0 {
        write_entries(out, history.entries.iter().collect())?;
    }
    Ok(changed)
}

/// Writes the history sorted by date and client, beside the file, then renames it into place.
fn write_entries(out: &Path, mut entries: Vec<&Entry>) -> Result<(), HistoryError> {
    entries.sort_by(|a, b| (a.date, &a.client).cmp(&(b.date, &b.client)));
    let path = out.join(HISTORY_FILE);
    let temp = out.join(format!(".{HISTORY_FILE}.partial-{}", std::process::id()));
    let write = || -> std::io::Result<()> {
        let mut file = std::fs::File::create(&temp)?;
        file.write_all(b"\xEF\xBB\xBF")?;
        let mut writer = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(file);
        writer.write_record(HEADER)?;
        for e in entries {
            let date = e.date.format("%Y-%m-%d").to_string();
            let sent = e.sent.map(|d| d.format("%Y-%m-%d").to_string());
            writer.write_record([
                date.as_str(),
                &crate::report::safe_text(&e.client),
                &e.level,
                &crate::report::safe_text(&e.invoices),
                &e.amount,
                &e.files,
                sent.as_deref().unwrap_or_default(),
            ])?;
        }
        let file = writer.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        std::fs::rename(&temp, &path)
    };
    write().map_err(|source| {
        let _ = std::fs::remove_file(&temp);
        HistoryError::Write {
            path: path.clone(),
            source,
        }
    })
}

/// The latest earlier run folder `OUT/YYYY-MM-DD` before `as_of`, if any.
#[must_use]
pub fn previous_run(out: &Path, as_of: NaiveDate) -> Option<(NaiveDate, PathBuf)> {
    std::fs::read_dir(out)
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().to_string();
            let date = NaiveDate::parse_from_str(&name, "%Y-%m-%d").ok()?;
            (date < as_of && e.path().join("clients.csv").is_file()).then(|| (date, e.path()))
        })
        .max_by_key(|(d, _)| *d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(date: &str, client: &str, level: &str) -> Entry {
        Entry {
            date: NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap(),
            client: client.into(),
            level: level.into(),
            invoices: "INV-1".into(),
            amount: "100.00 ILS".into(),
            files: String::new(),
            sent: None,
        }
    }

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn records_replace_same_date_and_refuse_back_dated_runs() {
        let out = tempfile::tempdir().unwrap();
        let h = History::load(out.path()).unwrap();
        assert!(h.entries.is_empty());
        let r = record(
            out.path(),
            &h,
            date("2026-10-31"),
            vec![entry("2026-10-31", "C1", "reminder-1")],
        )
        .unwrap();
        assert_eq!(
            r,
            Recorded::Added {
                letters: 1,
                replaced: 0
            }
        );
        let h = History::load(out.path()).unwrap();
        let r = record(
            out.path(),
            &h,
            date("2026-10-31"),
            vec![entry("2026-10-31", "C2", "reminder-1")],
        )
        .unwrap();
        assert_eq!(
            r,
            Recorded::Added {
                letters: 1,
                replaced: 1
            }
        );
        let h = History::load(out.path()).unwrap();
        assert_eq!(h.entries, vec![entry("2026-10-31", "C2", "reminder-1")]);
        let before = std::fs::read(out.path().join(HISTORY_FILE)).unwrap();
        let r = record(
            out.path(),
            &h,
            date("2026-09-30"),
            vec![entry("2026-09-30", "C1", "courtesy")],
        )
        .unwrap();
        assert_eq!(
            r,
            Recorded::BackDated {
                last: date("2026-10-31")
            }
        );
        assert_eq!(
            std::fs::read(out.path().join(HISTORY_FILE)).unwrap(),
            before
        );
        // A back-dated run sees only the letters before its date.
        assert!(h.before(date("2026-10-31")).is_empty());
        assert_eq!(h.before(date("2026-11-30"))["C2"].len(), 1);
    }

    #[test]
    fn send_dates_are_recorded_by_file_and_kept_when_a_run_is_made_again() {
        let out = tempfile::tempdir().unwrap();
        // A history written before the `sent` column existed.
        std::fs::write(
            out.path().join(HISTORY_FILE),
            "date,client,level,invoices,amount,files\n\
             2026-10-31,C1,reminder-1,INV-1,100.00 ILS,2026-10-31/letters/C1.txt;2026-10-31/letters/C1.eml\n\
             2026-10-31,C2,reminder-1,INV-2,100.00 ILS,2026-10-31/letters/C2.txt\n",
        )
        .unwrap();
        let h = History::load(out.path()).unwrap();
        assert!(h.entries.iter().all(|e| e.sent.is_none()));
        let sent: BTreeMap<String, NaiveDate> =
            [("2026-10-31/letters/C1.eml".to_string(), date("2026-11-02"))].into();
        assert_eq!(mark_sent(out.path(), &sent).unwrap(), 1);
        assert_eq!(mark_sent(out.path(), &sent).unwrap(), 0, "already recorded");
        let h = History::load(out.path()).unwrap();
        assert_eq!(h.entries[0].sent, Some(date("2026-11-02")));
        assert_eq!(h.entries[1].sent, None);
        // The same run made again keeps the date of the same letter.
        let again = h
            .entries
            .iter()
            .map(|e| Entry {
                sent: None,
                ..e.clone()
            })
            .collect();
        record(out.path(), &h, date("2026-10-31"), again).unwrap();
        let h = History::load(out.path()).unwrap();
        assert_eq!(h.entries[0].sent, Some(date("2026-11-02")));
        let text = std::fs::read_to_string(out.path().join(HISTORY_FILE)).unwrap();
        assert!(
            text.contains("date,client,level,invoices,amount,files,sent\r\n"),
            "{text}"
        );
    }

    #[test]
    fn a_malformed_history_is_an_error_not_a_reset() {
        let out = tempfile::tempdir().unwrap();
        std::fs::write(
            out.path().join(HISTORY_FILE),
            "date,client,level,invoices,amount,files\nyesterday,C1,x,,,\n",
        )
        .unwrap();
        let err = History::load(out.path()).unwrap_err();
        assert!(err.to_string().contains("row 2"), "{err}");
    }
}

/// What changed since the previous run folder (month over month).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Changes {
    /// The as-of date of the run compared with; `None` when this is the first run.
    pub previous_run: Option<String>,
    /// Clients overdue now and not overdue (or unknown) then.
    pub newly_overdue: Vec<String>,
    /// Clients at a higher level than then.
    pub escalated: Vec<String>,
    /// Clients overdue then and not now.
    pub cured: Vec<String>,
    /// Clients whose promised payment date passed since then while still overdue.
    pub promises_broken: Vec<String>,
    /// Unmatched payments not listed then.
    pub new_unmatched: Vec<String>,
}

/// Per client, from a `clients.csv`: overdue (any row with an amount in an overdue bucket) and
/// the highest level rank.
fn read_previous_clients(
    path: &Path,
    levels: &[String],
) -> Option<BTreeMap<String, (bool, Option<usize>)>> {
    let bytes = std::fs::read(path).ok()?;
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    let mut reader = csv::Reader::from_reader(text);
    let header = reader.headers().ok()?.clone();
    let idx = |name: &str| header.iter().position(|h| h == name);
    let (id, level, not_due, open_total) = (
        idx("client_id")?,
        idx("level")?,
        idx("not_due")?,
        idx("open_total")?,
    );
    let mut out: BTreeMap<String, (bool, Option<usize>)> = BTreeMap::new();
    for record in reader.records().filter_map(Result::ok) {
        let parse = |k: usize| {
            record
                .get(k)
                .and_then(|v| v.parse::<rust_decimal::Decimal>().ok())
                .unwrap_or_default()
        };
        // Bucket columns sit between not_due and open_total; any positive one is overdue.
        let overdue = (not_due + 1..open_total).any(|k| parse(k) > rust_decimal::Decimal::ZERO);
        let client = record.get(id).unwrap_or("").to_string();
        let rank = record
            .get(level)
            .and_then(|l| levels.iter().position(|n| n == l));
        let entry = out.entry(client).or_insert((false, None));
        entry.0 |= overdue;
        entry.1 = entry.1.max(rank);
    }
    Some(out)
}

fn read_previous_unmatched(path: &Path) -> std::collections::BTreeSet<String> {
    let Ok(bytes) = std::fs::read(path) else {
        return std::collections::BTreeSet::new();
    };
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    let mut reader = csv::Reader::from_reader(text);
    let Ok(header) = reader.headers().cloned() else {
        return std::collections::BTreeSet::new();
    };
    let id = header.iter().position(|h| h == "payment_id");
    let client = header.iter().position(|h| h == "client_id");
    reader
        .records()
        .filter_map(Result::ok)
        .filter(|r| client.and_then(|c| r.get(c)).is_some_and(str::is_empty))
        .filter_map(|r| id.and_then(|i| r.get(i)).map(str::to_string))
        .collect()
}

/// The state of this run that [`changes`] compares.
pub struct Now<'a> {
    /// Client -> (overdue now, level rank now).
    pub clients: BTreeMap<&'a str, (bool, Option<usize>)>,
    /// Client -> promised payment date.
    pub promised: BTreeMap<&'a str, NaiveDate>,
    /// Ids of payments matched to no client.
    pub unmatched: Vec<&'a str>,
}

/// Compares this run with the previous run folder.
#[must_use]
pub fn changes(
    previous: Option<(NaiveDate, PathBuf)>,
    now: &Now<'_>,
    level_names: &[String],
) -> Changes {
    let mut out = Changes::default();
    let (before, prev_unmatched, prev_date) = match &previous {
        Some((date, dir)) => (
            read_previous_clients(&dir.join("clients.csv"), level_names).unwrap_or_default(),
            read_previous_unmatched(&dir.join("unapplied.csv")),
            Some(*date),
        ),
        None => Default::default(),
    };
    out.previous_run = prev_date.map(|d| d.to_string());
    for (client, (overdue, rank)) in &now.clients {
        let then = before.get(*client);
        if *overdue && !then.is_some_and(|t| t.0) && prev_date.is_some() {
            out.newly_overdue.push((*client).to_string());
        }
        if let (Some(t), Some(r)) = (then, rank) {
            if t.1.is_none_or(|p| *r > p) && prev_date.is_some() {
                out.escalated.push((*client).to_string());
            }
        }
        if let Some(promised) = now.promised.get(client) {
            let since_then = prev_date.is_none_or(|p| *promised >= p);
            if *overdue && since_then {
                out.promises_broken.push((*client).to_string());
            }
        }
    }
    for (client, (overdue, _)) in &before {
        if *overdue && !now.clients.get(client.as_str()).is_some_and(|c| c.0) {
            out.cured.push(client.clone());
        }
    }
    if prev_date.is_some() {
        out.new_unmatched = now
            .unmatched
            .iter()
            .filter(|id| !prev_unmatched.contains(**id))
            .map(|id| (*id).to_string())
            .collect();
    }
    out
}
