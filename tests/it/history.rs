//! Memory across runs (SPEC section 6 and 7): month-end runs in sequence hold back repeats,
//! climb the ladder one step at a time, escalate ignored letters, notice cures, survive a
//! missed month and a back-dated run.

use std::collections::BTreeMap;
use std::path::Path;

use crate::support::{col, read_csv, Arrears};

/// A: one invoice, never paid. B: paid in October. C: very late from the start. D: pays the
/// first invoice, then lets a new one go overdue.
fn ledger(dir: &Path) {
    std::fs::write(
        dir.join("invoices.csv"),
        "Invoice No,Client ID,Client Name,Invoice Date,Due Date,Amount\n\
         A-1,A,Alpha,21/08/2026,20/09/2026,1000.00\n\
         B-1,B,Beta,26/08/2026,25/09/2026,400.00\n\
         C-1,C,Gamma,02/08/2026,01/09/2026,700.00\n\
         D-1,D,Delta,16/08/2026,15/09/2026,500.00\n\
         D-2,D,Delta,24/09/2026,24/10/2026,300.00\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("payments.csv"),
        "Date,Amount,Client ID,Memo\n\
         15/10/2026,400.00,B,B-1\n\
         20/10/2026,500.00,D,D-1\n",
    )
    .unwrap();
}

fn run(input: &Path, out: &Path, as_of: &str) -> String {
    let (stdout, _) = Arrears::new()
        .current_dir(input)
        .args([
            "run",
            ".",
            "--invoices",
            "invoices.csv",
            "--payments",
            "payments.csv",
            "--as-of",
            as_of,
            "--out",
        ])
        .arg(out)
        .expect_code(0);
    stdout
}

fn levels(out: &Path, as_of: &str) -> BTreeMap<String, String> {
    let (header, rows) = read_csv(&out.join(as_of).join("clients.csv"));
    rows.iter()
        .map(|r| {
            (
                r[col(&header, "client_id")].clone(),
                r[col(&header, "level")].clone(),
            )
        })
        .collect()
}

fn letters(out: &Path) -> Vec<(String, String, String)> {
    let (header, rows) = read_csv(&out.join("history.csv"));
    rows.iter()
        .map(|r| {
            (
                r[col(&header, "date")].clone(),
                r[col(&header, "client")].clone(),
                r[col(&header, "level")].clone(),
            )
        })
        .collect()
}

fn of<'a>(list: &'a [(String, String, String)], date: &str) -> Vec<(&'a str, &'a str)> {
    list.iter()
        .filter(|(d, _, _)| d == date)
        .map(|(_, c, l)| (c.as_str(), l.as_str()))
        .collect()
}

#[test]
fn three_month_ends_escalate_hold_and_cure() {
    let input = tempfile::tempdir().unwrap();
    ledger(input.path());
    let out = tempfile::tempdir().unwrap();
    let out = out.path();

    run(input.path(), out, "2026-09-30");
    let l = levels(out, "2026-09-30");
    assert_eq!(l["A"], "reminder-1"); // 10 days
    assert_eq!(l["B"], "reminder-1"); // 5 days
    assert_eq!(l["C"], "reminder-1"); // 29 days
    assert_eq!(l["D"], "reminder-1"); // 15 days
    assert_eq!(
        of(&letters(out), "2026-09-30"),
        [
            ("A", "reminder-1"),
            ("B", "reminder-1"),
            ("C", "reminder-1"),
            ("D", "reminder-1")
        ]
    );

    // Ten days later: every letter is held back.
    let stdout = run(input.path(), out, "2026-10-10");
    assert!(stdout.contains("0 due"), "{stdout}");
    assert!(of(&letters(out), "2026-10-10").is_empty());

    let stdout = run(input.path(), out, "2026-10-31");
    let l = levels(out, "2026-10-31");
    assert_eq!(l["A"], "reminder-2"); // 41 days
    assert_eq!(l["B"], "none"); // paid
    assert_eq!(l["C"], "reminder-2"); // 60 days say final-notice: one step after reminder-1
    assert_eq!(l["D"], "reminder-2"); // D-2 7 days late after an unanswered reminder-1
    assert!(stdout.contains("cured"), "{stdout}");
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("2026-10-31/run.json")).unwrap()).unwrap();
    assert_eq!(manifest["changes"]["cured"], serde_json::json!(["B"]));
    assert_eq!(manifest["changes"]["previous_run"], "2026-10-10");

    run(input.path(), out, "2026-11-30");
    let l = levels(out, "2026-11-30");
    assert_eq!(l["A"], "final-notice"); // 71 days
    assert_eq!(l["C"], "final-notice"); // 90 days say collections: one step after reminder-2
    assert_eq!(
        of(&letters(out), "2026-11-30"),
        [
            ("A", "final-notice"),
            ("C", "final-notice"),
            ("D", "final-notice")
        ]
    );
    let (header, work) = read_csv(&out.join("2026-11-30/worklist.csv"));
    let a = work
        .iter()
        .find(|r| r[col(&header, "client_id")] == "A")
        .unwrap();
    assert_eq!(a[col(&header, "last_letter")], "2026-10-31 reminder-2");
}

#[test]
fn a_missed_month_does_not_skip_a_letter() {
    let input = tempfile::tempdir().unwrap();
    ledger(input.path());
    let out = tempfile::tempdir().unwrap();
    run(input.path(), out.path(), "2026-09-30");
    run(input.path(), out.path(), "2026-11-30");
    let l = levels(out.path(), "2026-11-30");
    // 71 days say final-notice, but the last letter was reminder-1.
    assert_eq!(l["A"], "reminder-2");
}

#[test]
fn a_back_dated_run_leaves_the_history_alone() {
    let input = tempfile::tempdir().unwrap();
    ledger(input.path());
    let out = tempfile::tempdir().unwrap();
    run(input.path(), out.path(), "2026-09-30");
    run(input.path(), out.path(), "2026-11-30");
    let before = std::fs::read(out.path().join("history.csv")).unwrap();
    let stdout = run(input.path(), out.path(), "2026-10-31");
    assert!(
        stdout.contains("not updated: it already holds letters of 2026-11-30"),
        "{stdout}"
    );
    assert_eq!(
        std::fs::read(out.path().join("history.csv")).unwrap(),
        before
    );
    // It sees the history as it was on 2026-10-31: only the September letters.
    assert_eq!(levels(out.path(), "2026-10-31")["A"], "reminder-2");
}

#[test]
fn a_dry_run_previews_without_recording() {
    let input = tempfile::tempdir().unwrap();
    ledger(input.path());
    let out = tempfile::tempdir().unwrap();
    let stdout = Arrears::new()
        .current_dir(input.path())
        .args([
            "run",
            ".",
            "--invoices",
            "invoices.csv",
            "--payments",
            "payments.csv",
        ])
        .args(["--as-of", "2026-09-30", "--dry-run", "--out"])
        .arg(out.path())
        .expect_code(0)
        .0;
    assert!(stdout.contains("not updated (dry run)"), "{stdout}");
    assert!(out.path().join("2026-09-30-dry-run/clients.csv").is_file());
    assert!(!out.path().join("history.csv").exists());
    assert!(!out.path().join("2026-09-30").exists());
}
