//! `arrears send` against a real SMTP server on 127.0.0.1 (aiosmtpd, `tests/smtp_server.py`,
//! Debian's python3-aiosmtpd): every draft arrives once with its headers; a second send sends
//! nothing; SIGKILL in the middle of 100 letters never makes a letter arrive twice; permanent
//! and temporary refusals; a refused login; `--test-to`; STARTTLS, TLS, PLAIN and XOAUTH2.

use std::io::BufRead as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::support::{col, read_csv, root, Arrears};

/// A test SMTP server, stopped when dropped.
struct Server {
    child: Child,
    port: u16,
    maildir: tempfile::TempDir,
}

fn python() -> String {
    std::env::var("ARREARS_TEST_PYTHON").unwrap_or_else(|_| {
        if Path::new("/usr/bin/python3").exists() {
            "/usr/bin/python3".to_string()
        } else {
            "python3".to_string()
        }
    })
}

impl Server {
    fn start(args: &[&str]) -> Server {
        let maildir = tempfile::tempdir().unwrap();
        let certs = root().join("tests/fixtures/smtp");
        let mut child = Command::new(python())
            .arg(root().join("tests/smtp_server.py"))
            .arg("--maildir")
            .arg(maildir.path().join("mail"))
            .arg("--cert")
            .arg(certs.join("server.pem"))
            .arg("--key")
            .arg(certs.join("server.key"))
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("python3 runs");
        let mut line = String::new();
        let stdout = child.stdout.take().unwrap();
        std::io::BufReader::new(stdout)
            .read_line(&mut line)
            .unwrap();
        let Some(port) = line
            .trim()
            .strip_prefix("PORT ")
            .and_then(|p| p.parse().ok())
        else {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "the test SMTP server did not start; it needs Debian's python3-aiosmtpd \
                 (`apt-get install -y python3-aiosmtpd`, README \"Development\"):\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        Server {
            child,
            port,
            maildir,
        }
    }

    /// Every message the server accepted, parsed.
    fn messages(&self) -> Vec<Vec<u8>> {
        let new = self.maildir.path().join("mail/new");
        let mut names: Vec<PathBuf> = std::fs::read_dir(&new)
            .map(|d| d.map(|e| e.unwrap().path()).collect())
            .unwrap_or_default();
        names.sort();
        names.iter().map(|p| std::fs::read(p).unwrap()).collect()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn header(message: &[u8], name: &str) -> Option<String> {
    let parsed = mail_parser::MessageParser::default().parse(message)?;
    parsed.header_raw(name).map(|v| v.trim().to_string())
}

/// `n` clients, each with one invoice 46 days overdue and an e-mail address (but the third
/// one, which goes by post), `[smtp]` pointing at `smtp`.
fn month(dir: &Path, n: usize, smtp: &str, formats: &str) {
    let mut clients = String::from("Client ID,Client Name,Email,Language\n");
    let mut invoices = String::from("Invoice No,Client ID,Invoice Date,Due Date,Amount\n");
    for i in 0..n {
        let email = if i == 2 {
            String::new()
        } else {
            format!("client{i}@example.com")
        };
        clients.push_str(&format!("C{i:03},Client {i} Ltd,{email},en\n"));
        invoices.push_str(&format!(
            "INV-{i:04},C{i:03},15/09/2026,15/10/2026,{}.00\n",
            100 + i
        ));
    }
    std::fs::write(dir.join("clients.csv"), clients).unwrap();
    std::fs::write(dir.join("invoices.csv"), invoices).unwrap();
    std::fs::write(dir.join("payments.csv"), "Date,Amount,Client ID\n").unwrap();
    std::fs::write(
        dir.join("arrears.toml"),
        format!(
            "[inputs]\ninvoices = [\"invoices.csv\"]\npayments = [\"payments.csv\"]\n\
             clients = [\"clients.csv\"]\n\n[company]\nname = \"Example Books Ltd\"\n\
             email = \"billing@books.example\"\n\n[letters]\nlanguage = \"en\"\n\
             formats = {formats}\n\n[output]\ndir = \"out\"\n\n[smtp]\n{smtp}"
        ),
    )
    .unwrap();
    Arrears::new()
        .args(["run", "--as-of", "2026-11-30"])
        .arg(dir)
        .expect_code(0);
}

fn plain(port: u16) -> String {
    format!("host = \"127.0.0.1\"\nport = {port}\nsecurity = \"none\"\nper_minute = 60000\n")
}

fn send(dir: &Path) -> Arrears {
    Arrears::new()
        .arg("send")
        .arg(dir.join("out/2026-11-30"))
        .env("ARREARS_SMTP_RETRY_MS", "10")
}

/// (message_id, client_id, status, reply) of every row of a log.
fn log_rows(path: &Path) -> Vec<(String, String, String, String)> {
    let (h, rows) = read_csv(path);
    rows.iter()
        .map(|r| {
            (
                r[col(&h, "message_id")].clone(),
                r[col(&h, "client_id")].clone(),
                r[col(&h, "status")].clone(),
                r[col(&h, "reply")].clone(),
            )
        })
        .collect()
}

/// The last status of each message.
fn last_states(path: &Path) -> std::collections::BTreeMap<String, String> {
    log_rows(path)
        .into_iter()
        .map(|(id, _, status, _)| (id, status))
        .collect()
}

#[test]
fn every_draft_arrives_once_over_starttls_and_a_second_send_sends_nothing() {
    let server = Server::start(&[
        "--security",
        "starttls",
        "--user",
        "billing@books.example",
        "--password",
        "s3cret-pw",
    ]);
    let input = tempfile::tempdir().unwrap();
    let dir = input.path();
    let formats = if cfg!(feature = "pdf") {
        "[\"txt\", \"pdf\", \"eml\"]"
    } else {
        "[\"txt\", \"eml\"]"
    };
    month(
        dir,
        4,
        &format!(
            "host = \"127.0.0.1\"\nport = {}\nsecurity = \"starttls\"\n\
             username = \"billing@books.example\"\npassword_env = \"TEST_SMTP_PW\"\n\
             per_minute = 600\nbcc = \"office@books.example\"\n",
            server.port
        ),
        formats,
    );
    let ca = root().join("tests/fixtures/smtp/ca.pem");
    let (stdout, stderr) = send(dir)
        .arg("--yes")
        .env("TEST_SMTP_PW", "s3cret-pw")
        .env("ARREARS_SMTP_CA_FILE", &ca)
        .expect_code(0);
    assert!(!stdout.contains("s3cret-pw") && !stderr.contains("s3cret-pw"));
    assert!(stdout.contains("3 sent"), "{stdout}");
    let messages = server.messages();
    assert_eq!(messages.len(), 3, "{stdout}");
    let letters = dir.join("out/2026-11-30/letters");
    for message in &messages {
        let to = header(message, "To").unwrap();
        let client = to
            .split("client")
            .nth(1)
            .and_then(|r| r.split('@').next())
            .unwrap()
            .to_string();
        let eml = std::fs::read_dir(&letters)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| {
                p.extension().is_some_and(|e| e == "eml")
                    && p.file_name()
                        .unwrap()
                        .to_string_lossy()
                        .starts_with(&format!("C{:03}-", client.parse::<usize>().unwrap()))
            })
            .unwrap();
        let draft = std::fs::read(&eml).unwrap();
        for name in ["To", "From", "Subject", "Message-ID", "Date"] {
            assert_eq!(header(message, name), header(&draft, name), "{name}");
        }
        assert_eq!(header(message, "X-Unsent"), None);
        let rcpt = header(message, "X-Test-Rcpt-To").unwrap();
        assert!(
            rcpt.contains(&format!("client{client}@example.com")),
            "{rcpt}"
        );
        assert!(
            rcpt.contains("office@books.example"),
            "the Bcc copy: {rcpt}"
        );
        assert_eq!(
            header(message, "X-Test-Mail-From").unwrap(),
            "billing@books.example"
        );
        let parsed = mail_parser::MessageParser::default()
            .parse(message)
            .unwrap();
        let original = mail_parser::MessageParser::default().parse(&draft).unwrap();
        assert_eq!(parsed.body_text(0), original.body_text(0));
        if cfg!(feature = "pdf") {
            use mail_parser::MimeHeaders as _;
            assert_eq!(parsed.attachment_count(), 1);
            let pdf = parsed.attachment(0).unwrap();
            assert!(pdf.attachment_name().unwrap().ends_with(".pdf"));
            assert!(pdf.contents().starts_with(b"%PDF"));
            assert_eq!(pdf.contents(), original.attachment(0).unwrap().contents());
        }
    }
    let log = dir.join("out/sent.csv");
    let rows = log_rows(&log);
    assert_eq!(rows.len(), 6, "sending then sent for each: {rows:?}");
    assert!(
        rows.iter().all(|r| r.2 != "sent" || r.3.starts_with("250")),
        "{rows:?}"
    );
    let (h, history) = read_csv(&dir.join("out/history.csv"));
    let sent: Vec<&str> = history
        .iter()
        .map(|r| r[col(&h, "sent")].as_str())
        .collect();
    let today = chrono::Local::now().format("%Y-%m-%d").to_string();
    assert_eq!(sent.iter().filter(|s| **s == today).count(), 3, "{sent:?}");
    assert_eq!(
        sent.iter().filter(|s| s.is_empty()).count(),
        1,
        "the letter by post"
    );

    let (stdout, _) = send(dir)
        .arg("--yes")
        .env("TEST_SMTP_PW", "s3cret-pw")
        .env("ARREARS_SMTP_CA_FILE", &ca)
        .expect_code(0);
    assert!(stdout.contains("3 already sent"), "{stdout}");
    assert_eq!(server.messages().len(), 3, "nothing sent twice");
    assert_eq!(log_rows(&log).len(), 6, "nothing recorded");

    // Next month's letters speak of the e-mail, dated the day it went out, and of the letter
    // by post as a letter of its run's date.
    Arrears::new()
        .args(["run", "--as-of", "2026-12-31"])
        .arg(dir)
        .expect_code(0);
    let next = dir.join("out/2026-12-31/letters");
    let emailed = std::fs::read_to_string(next.join("C000-Client_0_Ltd.txt")).unwrap();
    let sent_on = chrono::Local::now().format("%-d %B %Y").to_string();
    assert!(
        emailed.contains(&format!("our e-mail of {sent_on}")),
        "{emailed}"
    );
    let posted = std::fs::read_to_string(next.join("C002-Client_2_Ltd.txt")).unwrap();
    assert!(
        posted.contains("our letter of 30 November 2026"),
        "{posted}"
    );
}

/// `send` killed (SIGKILL) at several points of a 100-letter send, then run to the end: the
/// server holds every letter at most once, every letter is `sent` or `unknown`, and every
/// `sent` one is on the server.
#[test]
fn killed_mid_send_no_letter_arrives_twice() {
    let server = Server::start(&[]);
    let input = tempfile::tempdir().unwrap();
    let dir = input.path();
    month(
        dir,
        101,
        &format!(
            "host = \"127.0.0.1\"\nport = {}\nsecurity = \"none\"\nper_minute = 3000\n",
            server.port
        ),
        "[\"eml\"]",
    );
    for wait_ms in [250, 600, 1000, 1500] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_arrears"))
            .arg("send")
            .arg(dir.join("out/2026-11-30"))
            .arg("--yes")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(wait_ms));
        child.kill().unwrap();
        child.wait().unwrap();
    }
    let out = send(dir).arg("--yes").output();
    let code = out.status.code();
    assert!(matches!(code, Some(0 | 7)), "{out:?}");
    let states = last_states(&dir.join("out/sent.csv"));
    assert_eq!(states.len(), 100, "every e-mail letter is in the log");
    let unknown = states.values().filter(|s| *s == "unknown").count();
    assert!(
        states.values().all(|s| s == "sent" || s == "unknown"),
        "{states:?}"
    );
    assert!(
        unknown <= 4,
        "at most one letter in flight per kill: {unknown}"
    );
    assert_eq!(code, Some(if unknown == 0 { 0 } else { 7 }));
    let mut ids: Vec<String> = server
        .messages()
        .iter()
        .map(|m| header(m, "Message-ID").unwrap())
        .map(|id| id.trim_matches(['<', '>']).to_string())
        .collect();
    ids.sort();
    let before = ids.len();
    ids.dedup();
    assert_eq!(before, ids.len(), "a letter arrived twice");
    for (id, state) in &states {
        if state == "sent" {
            assert!(
                ids.binary_search(id).is_ok(),
                "{id} is logged sent but not on the server"
            );
        }
    }
    assert!(ids.iter().all(|id| states.contains_key(id)));
    // The unknown ones stay unknown: never sent again without --resend-unknown.
    let again = send(dir).arg("--yes").output();
    assert_eq!(server.messages().len(), before, "{again:?}");
}

#[test]
fn one_recipient_refused_for_good_another_for_now_and_the_others_go_on() {
    let server = Server::start(&[
        "--reject-permanent",
        "client0@example.com",
        "--reject-temporary",
        "client1@example.com=0",
        "--reject-temporary",
        "client3@example.com=2",
    ]);
    let input = tempfile::tempdir().unwrap();
    let dir = input.path();
    month(dir, 5, &plain(server.port), "[\"eml\"]");
    let (stdout, _) = send(dir).arg("--yes").expect_code(7);
    let states = log_rows(&dir.join("out/sent.csv"));
    let last = |client: &str| {
        states
            .iter()
            .rev()
            .find(|r| r.1 == client)
            .map(|r| (r.2.clone(), r.3.clone()))
            .unwrap()
    };
    let (status, reply) = last("C000");
    assert_eq!(status, "failed");
    assert!(reply.starts_with("550"), "{reply}");
    let (status, reply) = last("C001");
    assert_eq!(status, "failed");
    assert!(
        reply.starts_with("451") && reply.contains("3 retries"),
        "{reply}"
    );
    assert_eq!(last("C003").0, "sent", "accepted on the third try");
    assert_eq!(last("C004").0, "sent");
    assert_eq!(server.messages().len(), 2);
    assert!(stdout.contains("2 failed"), "{stdout}");
    assert!(stdout.contains("550"), "{stdout}");
}

#[test]
fn a_refused_login_sends_and_records_nothing() {
    let server = Server::start(&["--user", "billing", "--password", "right"]);
    let input = tempfile::tempdir().unwrap();
    let dir = input.path();
    month(
        dir,
        3,
        &format!("{}username = \"billing\"\n", plain(server.port)),
        "[\"eml\"]",
    );
    let (_, stderr) = send(dir)
        .arg("--yes")
        .env("ARREARS_SMTP_PASSWORD", "wrong-one")
        .expect_code(1);
    assert!(stderr.contains("refused the login as billing"), "{stderr}");
    assert!(stderr.contains("535"), "{stderr}");
    assert!(stderr.contains("ARREARS_SMTP_PASSWORD"), "{stderr}");
    assert!(
        !stderr.contains("wrong-one"),
        "the password is never printed"
    );
    assert!(stderr.contains("nothing was sent"), "{stderr}");
    assert!(!dir.join("out/sent.csv").exists());
    assert!(server.messages().is_empty());
    // Without the variable: a clear message before any connection.
    let (_, stderr) = send(dir).arg("--yes").expect_code(1);
    assert!(
        stderr.contains("ARREARS_SMTP_PASSWORD is not set"),
        "{stderr}"
    );
}

#[test]
fn test_to_sends_only_to_the_test_address_and_leaves_the_sent_log_alone() {
    let server = Server::start(&[]);
    let input = tempfile::tempdir().unwrap();
    let dir = input.path();
    month(
        dir,
        4,
        &format!("{}bcc = \"office@books.example\"\n", plain(server.port)),
        "[\"eml\"]",
    );
    send(dir)
        .args(["--yes", "--test-to", "me@books.example", "--limit", "2"])
        .expect_code(0);
    let messages = server.messages();
    assert_eq!(messages.len(), 2, "--limit 2");
    for m in &messages {
        assert_eq!(header(m, "X-Test-Rcpt-To").unwrap(), "me@books.example");
        assert!(header(m, "Subject").unwrap().starts_with("[TEST] "));
        assert!(header(m, "X-Original-To").unwrap().contains("@example.com"));
        assert!(header(m, "To").unwrap().contains("me@books.example"));
        assert!(header(m, "Message-ID").unwrap().contains("arrears-test-"));
    }
    assert!(!dir.join("out/sent.csv").exists());
    assert_eq!(log_rows(&dir.join("out/sent-test.csv")).len(), 4);
    // The real send afterwards sends every letter: a test stands for none of them.
    send(dir).arg("--yes").expect_code(0);
    assert_eq!(server.messages().len(), 5);
}

#[test]
fn without_a_terminal_or_yes_nothing_is_sent_and_dry_run_only_shows() {
    let server = Server::start(&[]);
    let input = tempfile::tempdir().unwrap();
    let dir = input.path();
    month(dir, 4, &plain(server.port), "[\"eml\"]");
    let (stdout, _) = send(dir).arg("--dry-run").expect_code(0);
    assert!(stdout.contains("To send now: 3 (reminder-2 3)"), "{stdout}");
    assert!(stdout.contains("client0@example.com"), "{stdout}");
    let (_, stderr) = send(dir).expect_code(2);
    assert!(stderr.contains("--yes"), "{stderr}");
    assert!(server.messages().is_empty());
    assert!(!dir.join("out/sent.csv").exists());
    let (stdout, _) = send(dir).args(["--yes", "--limit", "1"]).expect_code(0);
    assert!(stdout.contains("2 left for later"), "{stdout}");
    assert_eq!(server.messages().len(), 1);
}

#[test]
fn implicit_tls_with_xoauth2() {
    let server = Server::start(&[
        "--security",
        "tls",
        "--user",
        "billing@books.example",
        "--token",
        "tok-123",
    ]);
    let input = tempfile::tempdir().unwrap();
    let dir = input.path();
    month(
        dir,
        2,
        &format!(
            "host = \"127.0.0.1\"\nport = {}\nsecurity = \"tls\"\nusername = \"billing@books.example\"\n",
            server.port
        ),
        "[\"eml\"]",
    );
    let ca = root().join("tests/fixtures/smtp/ca.pem");
    // Without the test authority the certificate is not trusted.
    let (_, stderr) = send(dir)
        .arg("--yes")
        .env("ARREARS_SMTP_PASSWORD", "Bearer tok-123")
        .expect_code(1);
    assert!(stderr.contains("no secure connection"), "{stderr}");
    send(dir)
        .arg("--yes")
        .env("ARREARS_SMTP_PASSWORD", "Bearer tok-123")
        .env("ARREARS_SMTP_CA_FILE", &ca)
        .expect_code(0);
    assert_eq!(server.messages().len(), 2);
}

#[test]
fn a_run_without_email_drafts_has_nothing_to_send() {
    let input = tempfile::tempdir().unwrap();
    let dir = input.path();
    month(dir, 2, &plain(1), "[\"txt\"]");
    let (stdout, _) = send(dir).arg("--yes").expect_code(0);
    assert!(stdout.contains("no e-mail drafts"), "{stdout}");
    assert!(!dir.join("out/sent.csv").exists());
}

/// On a terminal (a pseudo-terminal made by util-linux's `script`), `send` asks and sends only
/// on "yes".
#[test]
fn on_a_terminal_it_asks_and_sends_only_on_yes() {
    use std::io::Write as _;
    let server = Server::start(&[]);
    let input = tempfile::tempdir().unwrap();
    let dir = input.path();
    month(dir, 3, &plain(server.port), "[\"eml\"]");
    let answer = |text: &str| {
        let command = format!(
            "{} send {}",
            env!("CARGO_BIN_EXE_arrears"),
            dir.join("out/2026-11-30").display()
        );
        let mut child = Command::new("script")
            .args(["-qec", &command, "/dev/null"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("util-linux's script runs");
        let mut stdin = child.stdin.take().unwrap();
        std::thread::sleep(Duration::from_millis(500));
        stdin.write_all(text.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        drop(stdin);
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    let shown = answer("no\n");
    assert!(shown.contains("Type yes to send"), "{shown}");
    assert!(shown.contains("Nothing was sent"), "{shown}");
    assert!(server.messages().is_empty());
    let shown = answer("yes\n");
    assert!(shown.contains("Done: 2 sent"), "{shown}");
    assert_eq!(server.messages().len(), 2);
}

/// Statements of account are sent like letters (SPEC section 14): each statement draft of a
/// client with an e-mail address is one message, logged in the same sent log, once.
#[test]
fn statement_drafts_are_sent_with_the_letters_once() {
    let server = Server::start(&[]);
    let input = tempfile::tempdir().unwrap();
    let dir = input.path();
    month(dir, 3, &plain(server.port), "[\"eml\"]");
    let config = dir.join("arrears.toml");
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str("\n[statements]\nkinds = [\"open-item\"]\n");
    std::fs::write(&config, text).unwrap();
    Arrears::new()
        .args(["run", "--as-of", "2026-11-30", "--force"])
        .arg(dir)
        .expect_code(0);
    let (stdout, _) = send(dir).arg("--yes").expect_code(0);
    assert!(stdout.contains("statement (open-item)"), "{stdout}");
    // Two letters and two statements: the third client has no e-mail address.
    let messages = server.messages();
    assert_eq!(messages.len(), 4, "{stdout}");
    let statements = messages
        .iter()
        .filter(|m| header(m, "Subject").is_some_and(|s| s.to_lowercase().contains("statement")))
        .count();
    assert_eq!(statements, 2);
    let files: Vec<String> = {
        let (h, rows) = read_csv(&dir.join("out/sent.csv"));
        rows.iter().map(|r| r[col(&h, "file")].clone()).collect()
    };
    assert_eq!(
        files
            .iter()
            .filter(|f| f.starts_with("statements/"))
            .count(),
        4,
        "sending and sent for each: {files:?}"
    );
    send(dir).arg("--yes").expect_code(0);
    assert_eq!(server.messages().len(), 4, "a second send sends nothing");
}
