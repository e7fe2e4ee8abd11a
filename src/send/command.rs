//! The `send` command: read the run's drafts and the sent log, show the plan, ask, then send
//! one message after the other — throttled to `[smtp] per_minute`, temporary refusals retried
//! with backoff — and sum up. See the module above for the exactly-once rule.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::NaiveDate;

use super::log::{Log, Row, Status, SENT_LOG, TEST_LOG};
use super::message::Draft;
use super::transport::{Connection, Outcome, Server};
use super::{SendError, EXIT_NOT_ALL_SENT};
use crate::cli::SendArgs;
use crate::config::Smtp;

/// Retries of a temporary refusal (SPEC: at most 3 within 2 minutes).
const RETRIES: usize = 3;
/// Waits before retries 1, 2, 3, in units of the base delay: 10 s, 30 s, 60 s by default, 100 s
/// in all.
const BACKOFF: [u64; RETRIES] = [1, 3, 6];
/// The base delay in milliseconds, for tests that cannot wait 100 seconds.
const RETRY_BASE_ENV: &str = "ARREARS_SMTP_RETRY_MS";
const DEFAULT_RETRY_BASE_MS: u64 = 10_000;

/// One e-mail letter of the run, from `letters/index.csv`.
struct Letter {
    client: String,
    name: String,
    level: String,
    /// The draft, relative to the run folder.
    file: String,
    draft: Result<Draft, String>,
}

/// What this `send` does with a letter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Plan {
    Send,
    AlreadySent,
    /// Its last row is `sending`: becomes `unknown` now (or is sent with --resend-unknown).
    WasSending,
    /// Its last row is `unknown` (left alone without --resend-unknown).
    Unknown,
    /// Beyond `--limit`.
    Later,
    /// The draft cannot be sent as it is.
    Broken,
}

/// Sends the run's letters; returns the exit code.
///
/// # Errors
/// When the run folder, configuration or sent log cannot be used, the password is missing, or
/// the server cannot be reached or refuses the login (then nothing was sent or recorded).
pub fn send(args: &SendArgs) -> Result<u8, SendError> {
    let dir = args.dir.as_path();
    let run = dir
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let out = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let manifest = read_manifest(dir)?;
    let test_to = args.test_to.as_deref().map(str::trim);
    if let Some(address) = test_to {
        if !address.contains('@') || address.contains([',', ' ', '<', '>']) {
            return Err(SendError::RunFolder {
                path: PathBuf::from("--test-to"),
                message: format!("\"{address}\" is not one e-mail address"),
            });
        }
    }
    if run.ends_with("-dry-run") && test_to.is_none() {
        return Err(SendError::RunFolder {
            path: dir.to_path_buf(),
            message: "a --dry-run folder is a preview and is not recorded in the history: make \
                      the run without --dry-run to send its letters (--test-to sends a preview \
                      to yourself)"
                .to_string(),
        });
    }
    // The sent log and the history are shared with every command on this output folder: a
    // colleague's send of the same run, or a run rewriting the history, waits for this one.
    let _lock = crate::lock::OutputLock::acquire_for(&out, "arrears send")?;
    let (smtp, config_name) = settings(args, dir, &out, &manifest)?;
    let letters = read_letters(dir, &run)?;
    let log_path = out.join(if test_to.is_some() {
        TEST_LOG
    } else {
        SENT_LOG
    });
    let mut log = Log::open(&log_path).map_err(|message| SendError::Log {
        path: log_path.clone(),
        message,
    })?;
    for warning in &log.warnings {
        eprintln!("arrears: warning: {}: {warning}", log_path.display());
    }
    if letters.is_empty() {
        say(&format!(
            "Run {run} has no e-mail drafts: nothing to send (drafts are written for clients \
             with an e-mail address when [letters] formats has \"eml\").\n"
        ));
        return Ok(0);
    }
    let plans = plan(&letters, &log, args, test_to.is_some());
    say(&show_plan(
        &letters,
        &plans,
        &run,
        test_to,
        &smtp,
        &config_name,
    ));
    if args.dry_run {
        return Ok(0);
    }
    let to_send: Vec<usize> = (0..letters.len())
        .filter(|&i| plans[i] == Plan::Send)
        .collect();
    let was_sending: Vec<usize> = (0..letters.len())
        .filter(|&i| plans[i] == Plan::WasSending)
        .collect();
    if to_send.is_empty() && was_sending.is_empty() {
        return Ok(finish(
            &letters,
            &plans,
            &log,
            &out,
            &run,
            test_to.is_some(),
        ));
    }
    let server = if to_send.is_empty() {
        None
    } else {
        Some(Server::new(&smtp)?)
    };
    if !args.yes && !to_send.is_empty() {
        if !std::io::stdin().is_terminal() {
            eprintln!(
                "arrears: nothing was sent: there is no terminal to confirm on and --yes was not \
                 given. Check the list above, then run again with --yes."
            );
            return Ok(2);
        }
        if !confirm(to_send.len(), server.as_ref(), test_to)? {
            say("Nothing was sent.\n");
            return Ok(0);
        }
    }
    // Logged in before anything is recorded: a refused login sends and records nothing.
    let mut connection = match &server {
        Some(s) => Some(s.connect().map_err(SendError::Connect)?),
        None => None,
    };
    let now = || {
        chrono::Local::now()
            .format("%Y-%m-%dT%H:%M:%S%:z")
            .to_string()
    };
    for &i in &was_sending {
        let letter = &letters[i];
        let Ok(draft) = &letter.draft else { continue };
        append(
            &mut log,
            row(
                letter,
                draft,
                &run,
                draft.to.join("; "),
                Status::Unknown,
                now(),
                "the previous send stopped after `sending` was recorded: the server may \
                 have it; check the recipient or the sent items, then leave it, or send it \
                 again with --resend-unknown"
                    .to_string(),
            ),
        )?;
    }
    if let (Some(server), Some(conn)) = (&server, connection.take()) {
        let throttle = Duration::from_millis(60_000 / u64::from(smtp.per_minute.max(1)));
        let mut sender = Sender {
            server,
            conn: Some(conn),
            throttle,
            last_start: None,
            retry_base: retry_base(),
        };
        for &i in &to_send {
            let letter = &letters[i];
            let Ok(draft) = &letter.draft else { continue };
            match send_one(&mut sender, &mut log, letter, draft, &run, &smtp, test_to) {
                Ok(()) => {}
                Err(Stop::Log(e)) => return Err(e),
                Err(Stop::Server(message)) => {
                    eprintln!(
                        "arrears: {message}; the messages from {} on were not sent (a later \
                         `send` sends them)",
                        letter.file
                    );
                    break;
                }
            }
        }
        if let Some(conn) = sender.conn.take() {
            conn.quit();
        }
    }
    Ok(finish(
        &letters,
        &plans,
        &log,
        &out,
        &run,
        test_to.is_some(),
    ))
}

/// Why the sending loop stops before the end.
enum Stop {
    Log(SendError),
    Server(String),
}

struct Sender<'a> {
    server: &'a Server,
    conn: Option<Connection>,
    throttle: Duration,
    last_start: Option<Instant>,
    retry_base: u64,
}

impl Sender<'_> {
    /// A usable connection: the current one, or a new one when the server closed it.
    fn connection(&mut self) -> Result<&mut Connection, String> {
        if !self.conn.as_ref().is_some_and(Connection::is_usable) {
            if let Some(old) = self.conn.take() {
                old.quit();
            }
            self.conn = Some(self.server.connect().map_err(|e| e.to_string())?);
        }
        self.conn
            .as_mut()
            .ok_or_else(|| "no connection".to_string())
    }

    /// Waits until the next message may start (`[smtp] per_minute`).
    fn wait_turn(&mut self) {
        if let Some(last) = self.last_start {
            let next = last + self.throttle;
            let now = Instant::now();
            if next > now {
                std::thread::sleep(next - now);
            }
        }
        self.last_start = Some(Instant::now());
    }
}

fn retry_base() -> u64 {
    std::env::var(RETRY_BASE_ENV)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(DEFAULT_RETRY_BASE_MS)
}

#[allow(clippy::too_many_arguments)]
fn send_one(
    sender: &mut Sender<'_>,
    log: &mut Log,
    letter: &Letter,
    draft: &Draft,
    run: &str,
    smtp: &Smtp,
    test_to: Option<&str>,
) -> Result<(), Stop> {
    let (bytes, recipients, to_column, row_draft) = match test_to {
        Some(address) => {
            let id = draft.test_id(address);
            let mut test = draft.clone();
            test.message_id = id.clone();
            (
                draft.for_test(address, &id),
                vec![address.to_string()],
                address.to_string(),
                test,
            )
        }
        None => {
            let mut recipients = draft.to.clone();
            recipients.extend(draft.cc.iter().cloned());
            recipients.extend(smtp.bcc.iter().cloned());
            (
                draft.outgoing(),
                recipients,
                draft.to.join("; "),
                draft.clone(),
            )
        }
    };
    let now = || {
        chrono::Local::now()
            .format("%Y-%m-%dT%H:%M:%S%:z")
            .to_string()
    };
    let record = |log: &mut Log, status: Status, reply: String| {
        append(
            log,
            row(
                letter,
                &row_draft,
                run,
                to_column.clone(),
                status,
                now(),
                reply,
            ),
        )
        .map_err(Stop::Log)
    };
    // The connection is made (or remade) before `sending` is recorded, so a message is only
    // ever `sending` while the server is there to take it.
    sender.wait_turn();
    sender.connection().map_err(Stop::Server)?;
    record(log, Status::Sending, String::new())?;
    let mut retries = 0;
    loop {
        let conn = match sender.connection() {
            Ok(conn) => conn,
            Err(message) => {
                record(log, Status::Failed, format!("not sent: {message}"))?;
                return Err(Stop::Server(message));
            }
        };
        let outcome = conn.transaction(&draft.from, &recipients, &bytes);
        match outcome {
            Outcome::Accepted(reply) => return record(log, Status::Sent, reply),
            Outcome::Refused {
                temporary: false,
                reply,
            } => return record(log, Status::Failed, reply),
            Outcome::Unknown(reply) => {
                return record(
                    log,
                    Status::Unknown,
                    format!("the connection failed after the message was sent, before the server's reply: {reply}"),
                )
            }
            Outcome::Refused {
                temporary: true,
                reply,
            }
            | Outcome::NotSent(reply) => {
                if retries == RETRIES {
                    return record(
                        log,
                        Status::Failed,
                        format!("{reply} (still refused after {RETRIES} retries; a later `send` tries again)"),
                    );
                }
                let wait = sender.retry_base * BACKOFF[retries];
                retries += 1;
                std::thread::sleep(Duration::from_millis(wait));
            }
        }
    }
}

fn append(log: &mut Log, row: Row) -> Result<(), SendError> {
    log.append(row).map_err(|e| SendError::Log {
        path: log.path().to_path_buf(),
        message: format!("cannot record in the sent log: {e}; sending stopped"),
    })
}

fn row(
    letter: &Letter,
    draft: &Draft,
    run: &str,
    to: String,
    status: Status,
    time: String,
    reply: String,
) -> Row {
    Row {
        message_id: draft.message_id.clone(),
        run: run.to_string(),
        client_id: letter.client.clone(),
        to,
        file: letter.file.clone(),
        status,
        time,
        reply,
    }
}

/// What this `send` does with each letter, in the order of the index.
fn plan(letters: &[Letter], log: &Log, args: &SendArgs, test: bool) -> Vec<Plan> {
    let mut left = args.limit.unwrap_or(usize::MAX);
    letters
        .iter()
        .map(|letter| {
            let Ok(draft) = &letter.draft else {
                return Plan::Broken;
            };
            let state = if test {
                None
            } else {
                log.get_last(&draft.message_id).map(|r| r.status)
            };
            let wanted = match state {
                Some(Status::Sent) => return Plan::AlreadySent,
                Some(Status::Sending) if !args.resend_unknown => return Plan::WasSending,
                Some(Status::Unknown) if !args.resend_unknown => return Plan::Unknown,
                _ => Plan::Send,
            };
            if left == 0 {
                return Plan::Later;
            }
            left -= 1;
            wanted
        })
        .collect()
}

fn count(plans: &[Plan], which: Plan) -> usize {
    plans.iter().filter(|p| **p == which).count()
}

fn show_plan(
    letters: &[Letter],
    plans: &[Plan],
    run: &str,
    test_to: Option<&str>,
    smtp: &Smtp,
    config: &str,
) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Run {run}: {} e-mail letters. Server {}:{}{} (from {config}).",
        letters.len(),
        smtp.host,
        smtp.port,
        smtp.username
            .as_deref()
            .map(|u| format!(" as {u}"))
            .unwrap_or_default()
    );
    if let Some(address) = test_to {
        let _ = writeln!(
            s,
            "TEST: every message goes to {address} only, marked [TEST]."
        );
    }
    let mut levels: BTreeMap<&str, usize> = BTreeMap::new();
    for (letter, plan) in letters.iter().zip(plans) {
        if *plan == Plan::Send {
            *levels.entry(letter.level.as_str()).or_default() += 1;
        }
    }
    let per_level: Vec<String> = levels.iter().map(|(l, n)| format!("{l} {n}")).collect();
    let _ = writeln!(
        s,
        "To send now: {}{}",
        count(plans, Plan::Send),
        if per_level.is_empty() {
            String::new()
        } else {
            format!(" ({})", per_level.join(", "))
        }
    );
    for (letter, plan) in letters.iter().zip(plans) {
        if *plan == Plan::Send {
            if let Ok(draft) = &letter.draft {
                let _ = writeln!(
                    s,
                    "  {:<14} {:<32} {:<36} {}",
                    letter.client,
                    letter.name,
                    draft.to.join(", "),
                    letter.level
                );
            }
        }
    }
    for (which, what) in [
        (Plan::AlreadySent, "already sent (skipped)"),
        (
            Plan::WasSending,
            "interrupted while sending: recorded as unknown, not sent again",
        ),
        (
            Plan::Unknown,
            "unknown from an earlier send: not sent again (--resend-unknown sends them)",
        ),
        (Plan::Later, "left for a later send (--limit)"),
    ] {
        let n = count(plans, which);
        if n > 0 {
            let _ = writeln!(s, "{what}: {n}");
        }
    }
    for (letter, plan) in letters.iter().zip(plans) {
        if let (Plan::Broken, Err(why)) = (plan, &letter.draft) {
            let _ = writeln!(s, "cannot send {}: {why}", letter.file);
        }
    }
    if let Some(bcc) = smtp.bcc.as_deref().filter(|_| test_to.is_none()) {
        let _ = writeln!(s, "A copy of each goes to {bcc} (Bcc).");
    }
    s
}

fn confirm(n: usize, server: Option<&Server>, test_to: Option<&str>) -> Result<bool, SendError> {
    use std::io::Write as _;
    let through = server
        .map(|s| format!(" through {}", s.name()))
        .unwrap_or_default();
    let to = test_to.map(|a| format!(" to {a}")).unwrap_or_default();
    let mut err = std::io::stderr().lock();
    let _ = write!(err, "Send {n} e-mails{to}{through}? Type yes to send: ");
    let _ = err.flush();
    let mut answer = String::new();
    std::io::stdin()
        .read_line(&mut answer)
        .map_err(SendError::Prompt)?;
    Ok(matches!(answer.trim().to_lowercase().as_str(), "yes" | "y"))
}

/// Records the send dates in the history, prints the summary and returns the exit code: 0 when
/// every letter is sent or left for later by `--limit`, else 7.
fn finish(letters: &[Letter], plans: &[Plan], log: &Log, out: &Path, run: &str, test: bool) -> u8 {
    if !test {
        let mut sent: BTreeMap<String, NaiveDate> = BTreeMap::new();
        for row in log.rows() {
            if row.run == run && row.status == Status::Sent {
                if let Some(date) = row
                    .time
                    .get(..10)
                    .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
                {
                    sent.entry(format!("{run}/{}", row.file)).or_insert(date);
                }
            }
        }
        if !sent.is_empty() {
            if let Err(e) = crate::history::mark_sent(out, &sent) {
                eprintln!("arrears: warning: the send dates could not be written to the history ({e}); the next `send` tries again");
            }
        }
    }
    let mut tally: BTreeMap<&str, usize> = BTreeMap::new();
    let mut problems = String::new();
    let mut all_done = true;
    for (letter, plan) in letters.iter().zip(plans) {
        let state = match (&letter.draft, plan) {
            (_, Plan::Later) => "left for later",
            (Err(_), _) => "failed",
            (Ok(draft), _) => {
                let last = if test {
                    log.rows()
                        .iter()
                        .rev()
                        .find(|r| r.run == run && r.file == letter.file)
                        .filter(|_| *plan == Plan::Send)
                } else {
                    log.get_last(&draft.message_id)
                };
                match last.map(|r| (r.status, r)) {
                    Some((Status::Sent, _)) if *plan == Plan::AlreadySent => "already sent",
                    Some((Status::Sent, _)) => "sent",
                    Some((status, r)) => {
                        let _ = writeln!(
                            problems,
                            "  {} {} <{}>: {} — {}",
                            status.as_str(),
                            letter.client,
                            r.to,
                            letter.file,
                            r.reply
                        );
                        status.as_str()
                    }
                    None => "not sent",
                }
            }
        };
        if !matches!(state, "sent" | "already sent" | "left for later") {
            all_done = false;
        }
        *tally.entry(state).or_default() += 1;
    }
    let parts: Vec<String> = tally.iter().map(|(s, n)| format!("{n} {s}")).collect();
    let mut s = format!("Done: {}.\n", parts.join(", "));
    if !problems.is_empty() {
        s.push_str("Not sent for certain:\n");
        s.push_str(&problems);
        s.push_str(&format!(
            "`failed` ones are tried again by the next `send`; `unknown` ones may have reached the recipient and are never sent again automatically. See {}.\n",
            log.path().display()
        ));
    }
    say(&s);
    if all_done {
        0
    } else {
        EXIT_NOT_ALL_SENT
    }
}

/// The parts of `run.json` that `send` needs.
struct Manifest {
    config_file: Option<String>,
    config_text: String,
}

fn read_manifest(dir: &Path) -> Result<Manifest, SendError> {
    let path = dir.join("run.json");
    let bytes = std::fs::read(&path).map_err(|e| SendError::RunFolder {
        path: path.clone(),
        message: format!("{e}: give a run folder, OUT/<as-of>, made by `arrears run`"),
    })?;
    let value: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|e| SendError::RunFolder {
            path: path.clone(),
            message: format!("not a run record: {e}"),
        })?;
    Ok(Manifest {
        config_file: value["config"]["file"].as_str().map(str::to_string),
        config_text: value["config"]["text"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    })
}

/// `[smtp]` from `--config`, else the file the run used (found by its name beside the output
/// folder or in the current folder), else the configuration text recorded in `run.json`.
fn settings(
    args: &SendArgs,
    dir: &Path,
    out: &Path,
    manifest: &Manifest,
) -> Result<(Smtp, String), SendError> {
    let read = |path: &Path| {
        std::fs::read_to_string(path).map_err(|source| {
            SendError::Config(crate::config::ConfigError::Read {
                path: path.to_path_buf(),
                source,
            })
        })
    };
    let (path, text) = if let Some(path) = &args.config {
        (path.clone(), read(path)?)
    } else {
        let found = manifest.config_file.as_deref().and_then(|name| {
            let beside = out.parent().map(|p| {
                if p.as_os_str().is_empty() {
                    Path::new(".").join(name)
                } else {
                    p.join(name)
                }
            });
            beside
                .into_iter()
                .chain(std::iter::once(PathBuf::from(name)))
                .find(|p| p.is_file())
        });
        match found {
            Some(path) => {
                let text = read(&path)?;
                (path, text)
            }
            None => (dir.join("run.json"), manifest.config_text.clone()),
        }
    };
    let name = path.display().to_string();
    match crate::config::load_smtp(&path, &text)? {
        Some(smtp) => Ok((smtp, name)),
        None => Err(SendError::NoSmtp { config: name }),
    }
}

/// The run's e-mail drafts: the letters', then the statements' of account (SPEC section 14:
/// `send` sends statement drafts the same way as letters). A statement with sections in two
/// currencies has one row per currency in its index and is one message.
fn read_letters(dir: &Path, run: &str) -> Result<Vec<Letter>, SendError> {
    let mut letters = read_index(dir, run, crate::report::letters::FOLDER, "level")?;
    let statements = dir
        .join(crate::report::statements::FOLDER)
        .join("index.csv");
    if statements.exists() {
        let mut seen = std::collections::BTreeSet::new();
        letters.extend(
            read_index(dir, run, crate::report::statements::FOLDER, "kind")?
                .into_iter()
                .filter(|s| seen.insert(s.file.clone()))
                .map(|s| Letter {
                    level: format!("statement ({})", s.level),
                    ..s
                }),
        );
    }
    Ok(letters)
}

/// The drafts listed in `<folder>/index.csv`, each with the value of its `label` column (the
/// letter's level, the statement's kind).
fn read_index(dir: &Path, run: &str, folder: &str, label: &str) -> Result<Vec<Letter>, SendError> {
    let path = dir.join(folder).join("index.csv");
    let bytes = std::fs::read(&path).map_err(|e| SendError::RunFolder {
        path: path.clone(),
        message: format!("{e}: this run wrote no {folder}"),
    })?;
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(text);
    let header = reader
        .headers()
        .map_err(|e| SendError::RunFolder {
            path: path.clone(),
            message: e.to_string(),
        })?
        .clone();
    let column = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| SendError::RunFolder {
                path: path.clone(),
                message: format!("no column {name}"),
            })
    };
    let (client, name, level, files) = (
        column("client_id")?,
        column("client_name")?,
        column(label)?,
        column("files")?,
    );
    let mut letters = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| SendError::RunFolder {
            path: path.clone(),
            message: e.to_string(),
        })?;
        let get = |k: usize| unquote(record.get(k).unwrap_or_default());
        let Some(file) = get(files)
            .split(';')
            .map(str::trim)
            .find(|f| f.ends_with(".eml"))
            .map(str::to_string)
        else {
            continue;
        };
        let client_id = get(client);
        let draft = if file.contains("..") || Path::new(&file).is_absolute() {
            Err("the file is outside the run folder".to_string())
        } else {
            std::fs::read(dir.join(&file))
                .map_err(|e| format!("cannot read it: {e}"))
                .and_then(|bytes| Draft::parse(&bytes, run, &client_id))
        };
        letters.push(Letter {
            client: client_id,
            name: get(name),
            level: get(level),
            file,
            draft,
        });
    }
    Ok(letters)
}

/// A CSV cell as written, without the `'` that keeps a spreadsheet from running it.
fn unquote(text: &str) -> String {
    match text.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest.to_string(),
        _ => text.to_string(),
    }
}

/// Writes to stdout; a closed pipe is not an error.
fn say(text: &str) {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}
