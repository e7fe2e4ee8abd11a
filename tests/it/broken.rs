//! Broken and hostile inputs through the real binary: each gives a clear error or an issue
//! naming the file, never a panic; an unreadable input exits 1 (README, "Commands and exit
//! codes") and leaves no run folder and no `.partial-` folder behind. Also: every file under
//! `tests/fixtures/regressions/` (inputs that once crashed a reader, found by fuzzing) and every
//! fixture reads through `read_bytes` without a panic.

use std::path::{Path, PathBuf};

use arrears::ingest::source::read_bytes;

use crate::support::{col, read_csv, root, Arrears};

const AS_OF: &str = "2026-11-30";

/// A valid payments file, so that only the invoices file is broken.
const PAYMENTS: &str = "Date,Amount,Payer,Memo\n20/10/2026,100.00,Alpha Ltd,INV-001\n";

/// A valid invoices file, for tests where the payments file is the broken one.
const INVOICES: &str = "Invoice No,Client ID,Client Name,Invoice Date,Due Date,Amount\n\
                        INV-001,C1,Alpha Ltd,01/09/2026,01/10/2026,100.00\n";

struct Outcome {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    out: tempfile::TempDir,
}

impl Outcome {
    fn run_dir(&self) -> PathBuf {
        self.out.path().join(AS_OF)
    }

    /// Names in OUT (the run folder, history.csv, any leftover temporary folder).
    fn out_entries(&self) -> Vec<String> {
        match std::fs::read_dir(self.out.path()) {
            Ok(entries) => entries
                .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
                .collect(),
            Err(_) => Vec::new(),
        }
    }

    fn assert_no_panic(&self) {
        assert!(
            !self.stderr.contains("panicked") && !self.stdout.contains("panicked"),
            "a panic\n--- stderr\n{}",
            self.stderr
        );
    }

    /// Exit 1 with a message naming `file` and containing `text`; nothing in OUT.
    fn assert_refused(&self, file: &str, text: &str) {
        self.assert_no_panic();
        assert_eq!(self.code, Some(1), "exit code; stderr: {}", self.stderr);
        assert!(
            self.stderr.contains(file) && self.stderr.contains(text),
            "message should name {file} and say {text:?}: {}",
            self.stderr
        );
        assert!(self.stderr.starts_with("arrears: "), "{}", self.stderr);
        assert!(
            self.out_entries().is_empty(),
            "OUT must stay empty: {:?}",
            self.out_entries()
        );
    }

    /// Exit 0 with a complete run folder and no temporary folder left.
    fn assert_ran(&self) {
        self.assert_no_panic();
        assert_eq!(self.code, Some(0), "exit code; stderr: {}", self.stderr);
        assert!(self.run_dir().join("run.json").is_file());
        let leftovers: Vec<_> = self
            .out_entries()
            .into_iter()
            .filter(|n| n.starts_with('.'))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }

    /// The rows of issues.csv that name `file`.
    fn issues_of(&self, file: &str) -> Vec<Vec<String>> {
        let (header, rows) = read_csv(&self.run_dir().join("issues.csv"));
        let f = col(&header, "file");
        rows.into_iter().filter(|r| r[f] == file).collect()
    }
}

/// `arrears run` with `invoices` (name, bytes) and `payments` (name, bytes).
fn run_with(invoices: (&str, &[u8]), payments: (&str, &[u8])) -> Outcome {
    let input = tempfile::tempdir().unwrap();
    std::fs::write(input.path().join(invoices.0), invoices.1).unwrap();
    std::fs::write(input.path().join(payments.0), payments.1).unwrap();
    let out = tempfile::tempdir().unwrap();
    let output = Arrears::new()
        .current_dir(input.path())
        .args(["run", ".", "--as-of", AS_OF, "--invoices", invoices.0])
        .args(["--payments", payments.0, "--out"])
        .arg(out.path())
        .output();
    Outcome {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).to_string(),
        stderr: String::from_utf8_lossy(&output.stderr).to_string(),
        out,
    }
}

fn broken(name: &str) -> Vec<u8> {
    std::fs::read(root().join("tests/fixtures/broken").join(name)).unwrap()
}

/// A broken fixture as the invoices file.
fn run_invoices(name: &str) -> Outcome {
    run_with((name, &broken(name)), ("bank.csv", PAYMENTS.as_bytes()))
}

#[test]
fn unreadable_inputs_exit_1_naming_the_file_and_write_nothing() {
    let cases = [
        ("truncated.xlsx", "cannot be read"),
        ("zip-bomb.xlsx", "would unpack to"),
        ("password.xlsx", "is password-protected"),
        ("empty.csv", "is empty (0 bytes)"),
        ("garbage.csv", "is not a text or spreadsheet file"),
        ("scrambled.xls", "read"),
        ("stray-far.ods", "cells are scattered far outside the data"),
    ];
    for (name, text) in cases {
        run_invoices(name).assert_refused(name, text);
    }
    // The same files as payments: the kind of table does not matter.
    for (name, text) in [("truncated.xlsx", "cannot be read"), ("empty.csv", "empty")] {
        run_with(("inv.csv", INVOICES.as_bytes()), (name, &broken(name)))
            .assert_refused(name, text);
    }
}

#[test]
fn binary_garbage_named_csv_is_refused_even_when_mostly_text() {
    // Printable text with a NUL inside: a binary file, not a table with odd characters.
    let mut bytes = INVOICES.as_bytes().to_vec();
    bytes.extend_from_slice(b"INV-002,C1,Alpha\0Ltd,01/09/2026,01/10/2026,5.00\n");
    run_with(("inv.csv", &bytes), ("bank.csv", PAYMENTS.as_bytes()))
        .assert_refused("inv.csv", "is not a text or spreadsheet file");
}

#[test]
fn mixed_encodings_are_refused_not_turned_into_mojibake() {
    let mut bytes = INVOICES.as_bytes().to_vec();
    bytes.extend_from_slice("INV-002,C2,לקוח אחד,01/09/2026,01/10/2026,200.00\n".as_bytes());
    let (cp1255, _, _) =
        encoding_rs::WINDOWS_1255.encode("INV-003,C3,לקוח שני,01/09/2026,01/10/2026,300.00\n");
    bytes.extend_from_slice(&cp1255);
    let outcome = run_with(("mixed.csv", &bytes), ("bank.csv", PAYMENTS.as_bytes()));
    outcome.assert_refused(
        "mixed.csv",
        "mixes text encodings: line 3 is UTF-8 but line 4",
    );
}

#[test]
fn a_wrong_extension_is_read_by_content() {
    let outcome = run_invoices("wrong-extension.csv");
    outcome.assert_ran();
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(outcome.run_dir().join("run.json")).unwrap())
            .unwrap();
    let counts = &manifest["counts"];
    assert_eq!(
        counts["invoices"].as_u64().unwrap() + counts["credit_notes"].as_u64().unwrap(),
        8,
        "{counts}"
    );
}

#[test]
fn a_cell_at_xfd1048576_is_an_issue_naming_the_file_and_row() {
    let outcome = run_invoices("stray-xfd.xlsx");
    outcome.assert_ran();
    let issues = outcome.issues_of("stray-xfd.xlsx");
    assert!(
        issues.iter().any(|r| r[3] == "1048576"),
        "no issue at row 1048576: {issues:?}"
    );
}

#[test]
fn a_header_only_file_is_an_issue_naming_the_file() {
    let outcome = run_invoices("header-only.csv");
    outcome.assert_ran();
    let issues = outcome.issues_of("header-only.csv");
    assert_eq!(issues.len(), 1, "{issues:?}");
    assert_eq!(issues[0][0], "warning");
    assert!(issues[0][6].contains("no data rows"), "{issues:?}");
}

#[test]
fn a_100000_character_cell_passes_through_intact() {
    run_invoices("long-cell.csv").assert_ran();

    // A 100,000-character client name and memo reach clients.csv whole.
    let name = "Long name, with \"quotes\" and עברית. "
        .repeat(3000)
        .chars()
        .take(100_000)
        .collect::<String>();
    let invoices = format!(
        "Invoice No,Client ID,Client Name,Invoice Date,Due Date,Amount\n\
         INV-001,C1,\"{}\",01/09/2026,01/10/2026,100.00\n",
        name.replace('"', "\"\"")
    );
    let payments = format!(
        "Date,Amount,Payer,Memo\n20/10/2026,40.00,Someone,\"{}\"\n",
        name.replace('"', "\"\"")
    );
    let outcome = run_with(
        ("inv.csv", invoices.as_bytes()),
        ("bank.csv", payments.as_bytes()),
    );
    outcome.assert_ran();
    let (header, rows) = read_csv(&outcome.run_dir().join("clients.csv"));
    assert_eq!(rows[0][col(&header, "client_name")], name);
    // The letter shows the name cut to 200 characters (typesetting 100,000 took minutes).
    let (header, rows) = read_csv(&outcome.run_dir().join("letters/index.csv"));
    let files = &rows[0][col(&header, "files")];
    let txt = files.split(';').find(|f| f.ends_with(".txt")).unwrap();
    let letter = std::fs::read_to_string(outcome.run_dir().join(txt)).unwrap();
    let cut: String = name.chars().take(199).collect();
    assert!(letter.contains(&format!("{cut}…")), "{letter}");
    assert!(!letter.contains(&name));
}

#[test]
fn a_1904_workbook_runs_clean() {
    let outcome = run_invoices("date1904.xlsx");
    outcome.assert_ran();
    assert!(outcome
        .issues_of("date1904.xlsx")
        .iter()
        .all(|r| r[0] != "error"));
}

/// Every file under `dir`, recursively.
fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files_under(&path, out);
        } else {
            out.push(path);
        }
    }
}

#[test]
fn regressions_and_fixtures_read_without_a_panic() {
    let mut files = Vec::new();
    for dir in ["regressions", "broken", "formats"] {
        files_under(&root().join("tests/fixtures").join(dir), &mut files);
    }
    files.retain(|p| p.extension().is_none_or(|e| e != "md"));
    let regressions = files
        .iter()
        .filter(|p| p.starts_with(root().join("tests/fixtures/regressions")))
        .count();
    assert!(regressions > 0, "tests/fixtures/regressions is empty");
    for path in files {
        let bytes = std::fs::read(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let result = std::panic::catch_unwind(|| match read_bytes(&bytes, &name, None) {
            Ok(file) => {
                for table in &file.tables {
                    for (i, row) in table.rows.iter().enumerate() {
                        let _ = table.row_number(i);
                        row.iter().for_each(|c| drop(c.display()));
                    }
                }
                None
            }
            Err(e) => Some(e.to_string()),
        });
        match result {
            Ok(Some(message)) => assert!(message.contains(&name), "{message}"),
            Ok(None) => {}
            Err(_) => panic!("reading {} panicked", path.display()),
        }
    }
}
