//! The sent log: `OUT/sent.csv` (and `OUT/sent-test.csv` for `--test-to`), append-only,
//! `message_id,run,client_id,to,file,status,time,reply`. A message's state is its last row.
//!
//! Every row is one `write` of a whole CSV line followed by `fsync`, so after a crash the file
//! holds every row whose append returned. A row cut short by a crash of the machine itself
//! (no line end) is set apart by a line end before the next append and reported when read,
//! never taken for a state: the message it began was not yet handed to the server, because
//! the transaction only starts once the `sending` row is on disk.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{Read as _, Seek as _, SeekFrom, Write as _};
use std::path::{Path, PathBuf};

use crate::report::safe_text;

/// The sent log of real sends, in the output folder.
pub const SENT_LOG: &str = "sent.csv";
/// The log of `--test-to` sends, in the output folder.
pub const TEST_LOG: &str = "sent-test.csv";
const HEADER: [&str; 8] = [
    "message_id",
    "run",
    "client_id",
    "to",
    "file",
    "status",
    "time",
    "reply",
];

/// Where a message stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Handed to the server or about to be; the outcome is not yet written.
    Sending,
    /// Accepted by the server.
    Sent,
    /// Refused by the server (or never handed over); a later `send` tries again.
    Failed,
    /// Was `sending` when a `send` stopped: the server may or may not have it.
    Unknown,
}

impl Status {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Sending => "sending",
            Status::Sent => "sent",
            Status::Failed => "failed",
            Status::Unknown => "unknown",
        }
    }

    fn parse(text: &str) -> Option<Status> {
        Some(match text {
            "sending" => Status::Sending,
            "sent" => Status::Sent,
            "failed" => Status::Failed,
            "unknown" => Status::Unknown,
            _ => return None,
        })
    }
}

/// One row of the log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    pub message_id: String,
    /// The run folder's name (`2026-11-30`).
    pub run: String,
    pub client_id: String,
    pub to: String,
    /// The draft, relative to the run folder (`letters/C1-Name.eml`).
    pub file: String,
    pub status: Status,
    /// Local time with its offset, `2026-12-01T09:14:03+02:00`.
    pub time: String,
    /// The server's reply, or what happened instead.
    pub reply: String,
}

/// The log as read, open for appending.
pub struct Log {
    path: PathBuf,
    rows: Vec<Row>,
    last: HashMap<String, usize>,
    /// Lines that are not rows (cut short by a crash, or edited by hand), with why.
    pub warnings: Vec<String>,
    file: Option<File>,
}

impl Log {
    /// Reads the log at `path`; a missing file is an empty log.
    ///
    /// # Errors
    /// When the file exists but cannot be read.
    pub fn open(path: &Path) -> Result<Log, String> {
        let mut log = Log {
            path: path.to_path_buf(),
            rows: Vec::new(),
            last: HashMap::new(),
            warnings: Vec::new(),
            file: None,
        };
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(log),
            Err(e) => return Err(e.to_string()),
        };
        let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .has_headers(true)
            .from_reader(text);
        for record in reader.records() {
            let record = match record {
                Ok(r) => r,
                Err(e) => {
                    log.warnings.push(format!("{e}; ignored"));
                    continue;
                }
            };
            let line = record.position().map_or(0, csv::Position::line);
            let status = record.get(5).and_then(Status::parse);
            let (Some(status), 8) = (status, record.len()) else {
                log.warnings.push(format!(
                    "line {line} is not a complete row (cut short by a crash, or edited); \
                     ignored: a message it began was not yet handed to the server"
                ));
                continue;
            };
            let get = |k: usize| record.get(k).unwrap_or_default().to_string();
            log.push(Row {
                message_id: get(0),
                run: get(1),
                client_id: get(2),
                to: get(3),
                file: get(4),
                status,
                time: get(6),
                reply: get(7),
            });
        }
        Ok(log)
    }

    fn push(&mut self, row: Row) {
        self.last.insert(row.message_id.clone(), self.rows.len());
        self.rows.push(row);
    }

    /// The last row of a message, by its Message-ID.
    #[must_use]
    pub fn get_last(&self, message_id: &str) -> Option<&Row> {
        self.last
            .get(safe_text(message_id).as_ref())
            .and_then(|&i| self.rows.get(i))
    }

    /// Every row, oldest first.
    #[must_use]
    pub fn rows(&self) -> &[Row] {
        &self.rows
    }

    /// The file's path.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends a row and syncs it to disk before returning.
    ///
    /// # Errors
    /// When the file cannot be created, written or synced.
    pub fn append(&mut self, row: Row) -> std::io::Result<()> {
        let mut row = row;
        for text in [
            &mut row.message_id,
            &mut row.client_id,
            &mut row.to,
            &mut row.reply,
        ] {
            if let std::borrow::Cow::Owned(safe) = safe_text(text) {
                *text = safe;
            }
        }
        let mut line = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(Vec::new());
        line.write_record([
            row.message_id.as_str(),
            &row.run,
            &row.client_id,
            &row.to,
            &row.file,
            row.status.as_str(),
            &row.time,
            &row.reply,
        ])?;
        let line = line.into_inner().map_err(|e| e.into_error())?;
        let file = self.file()?;
        file.write_all(&line)?;
        file.sync_data()?;
        self.push(row);
        Ok(())
    }

    /// The file open for appending: created with its header (and the folder synced) when
    /// missing; a last line without its line end (a row cut short) is ended first.
    fn file(&mut self) -> std::io::Result<&mut File> {
        if self.file.is_none() {
            let mut file = OpenOptions::new()
                .read(true)
                .append(true)
                .create(true)
                .open(&self.path)?;
            let len = file.metadata()?.len();
            if len == 0 {
                let mut head = b"\xEF\xBB\xBF".to_vec();
                head.extend_from_slice(HEADER.join(",").as_bytes());
                head.extend_from_slice(b"\r\n");
                file.write_all(&head)?;
                file.sync_all()?;
                if let Some(dir) = self.path.parent() {
                    sync_dir(dir)?;
                }
            } else {
                let mut last = [0u8; 1];
                file.seek(SeekFrom::End(-1))?;
                file.read_exact(&mut last)?;
                if last[0] != b'\n' {
                    file.write_all(b"\r\n")?;
                }
            }
            self.file = Some(file);
        }
        self.file
            .as_mut()
            .ok_or_else(|| std::io::Error::other("the log is not open"))
    }
}

/// Makes a new file's name durable (a no-op where folders cannot be opened, as on Windows).
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    match File::open(dir) {
        Ok(handle) => handle.sync_all().or(Ok(())),
        Err(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: &str, status: Status) -> Row {
        Row {
            message_id: id.into(),
            run: "2026-11-30".into(),
            client_id: "C1".into(),
            to: "a@example.com".into(),
            file: "letters/C1.eml".into(),
            status,
            time: "2026-12-01T09:00:00+02:00".into(),
            reply: "250 2.0.0 Ok".into(),
        }
    }

    #[test]
    fn the_last_row_is_the_state_and_survives_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(SENT_LOG);
        let mut log = Log::open(&path).unwrap();
        log.append(row("m1", Status::Sending)).unwrap();
        log.append(row("m1", Status::Sent)).unwrap();
        log.append(row("m2", Status::Sending)).unwrap();
        let again = Log::open(&path).unwrap();
        assert_eq!(again.get_last("m1").unwrap().status, Status::Sent);
        assert_eq!(again.get_last("m2").unwrap().status, Status::Sending);
        assert!(again.get_last("m3").is_none());
        assert!(again.warnings.is_empty());
        let text = std::fs::read(&path).unwrap();
        assert!(
            text.starts_with(b"\xEF\xBB\xBFmessage_id,run,client_id,to,file,status,time,reply\r\n")
        );
    }

    #[test]
    fn a_row_cut_short_is_reported_and_set_apart() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(SENT_LOG);
        let mut log = Log::open(&path).unwrap();
        log.append(row("m1", Status::Sent)).unwrap();
        drop(log);
        let mut file = OpenOptions::new().append(true).open(&path).unwrap();
        file.write_all(b"m2,2026-11-30,C2,b@exa").unwrap();
        drop(file);
        let mut log = Log::open(&path).unwrap();
        assert_eq!(log.warnings.len(), 1, "{:?}", log.warnings);
        assert!(log.get_last("m2").is_none());
        log.append(row("m3", Status::Sending)).unwrap();
        let again = Log::open(&path).unwrap();
        assert_eq!(again.get_last("m3").unwrap().status, Status::Sending);
        assert_eq!(again.get_last("m1").unwrap().status, Status::Sent);
        assert_eq!(again.warnings.len(), 1);
    }

    #[test]
    fn text_that_a_spreadsheet_would_run_is_quoted_and_still_found() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(SENT_LOG);
        let mut log = Log::open(&path).unwrap();
        let mut r = row("=m1", Status::Failed);
        r.reply = "-550 no".into();
        log.append(r).unwrap();
        let again = Log::open(&path).unwrap();
        let last = again.get_last("=m1").unwrap();
        assert_eq!(last.reply, "'-550 no");
        assert_eq!(last.status, Status::Failed);
    }
}
