//! Bank statements and bank "Excel" downloads through the real binary: MT940/MT942 files and
//! HTML pages saved as `.xls`, given under `[inputs]` beside an invoices export, reconcile like
//! a bank CSV; debits, reversals and unreadable entries are issues at their line or row, and
//! `run.json` accounts for every entry.

use std::path::Path;

use crate::support::{col, read_csv, root, Arrears};

const AS_OF: &str = "2026-11-30";

/// The office's open invoices; the statements pay most of them.
const INVOICES: &str = "Invoice No,Client ID,Client Name,Invoice Date,Due Date,Amount,Currency\n\
    INV-1041,C1,\"כהן ובניו בע\"\"מ\",01/10/2026,31/10/2026,1200.00,ILS\n\
    INV-1042,C1,\"כהן ובניו בע\"\"מ\",15/10/2026,14/11/2026,640.00,ILS\n\
    INV-1043,C2,לוי הנדסה,20/10/2026,19/11/2026,2500.00,ILS\n\
    INV-1050,C3,מאפיית השכונה,01/11/2026,01/12/2026,780.25,ILS\n\
    INV-1002,C4,Acme Ltd,01/10/2026,31/10/2026,500.00,ILS\n";

fn copy_fixtures(dir: &Path, folder: &str, names: &[&str]) {
    for name in names {
        std::fs::copy(
            root().join("tests/fixtures").join(folder).join(name),
            dir.join(name),
        )
        .unwrap();
    }
}

fn config(dir: &Path, invoices: &str, payments: &[&str]) {
    let payments: Vec<String> = payments.iter().map(|p| format!("\"{p}\"")).collect();
    std::fs::write(
        dir.join("arrears.toml"),
        format!(
            "[inputs]\ninvoices = [\"{invoices}\"]\npayments = [{}]\n",
            payments.join(", ")
        ),
    )
    .unwrap();
}

fn run(dir: &Path, out: &Path) -> String {
    Arrears::new()
        .current_dir(dir)
        .args(["run", ".", "--as-of", AS_OF, "--out"])
        .arg(out)
        .expect_code(0)
        .0
}

/// `(payment_id, client_id, invoice, amount, rule)` of every allocation.
fn allocations(run: &Path) -> Vec<[String; 5]> {
    let (header, rows) = read_csv(&run.join("allocations.csv"));
    rows.iter()
        .map(|r| {
            ["payment_id", "client_id", "invoice", "amount", "rule"]
                .map(|c| r[col(&header, c)].clone())
        })
        .collect()
}

/// `(severity, file, row, column, message)` of every issue.
fn issues(run: &Path) -> Vec<[String; 5]> {
    let (header, rows) = read_csv(&run.join("issues.csv"));
    rows.iter()
        .map(|r| {
            ["severity", "file", "row", "column", "message"].map(|c| r[col(&header, c)].clone())
        })
        .collect()
}

fn strings<const N: usize>(items: [&str; N]) -> [String; N] {
    items.map(str::to_string)
}

#[test]
fn mt940_payments_are_attributed_and_every_entry_is_accounted_for() {
    let input = tempfile::tempdir().unwrap();
    let dir = input.path();
    std::fs::write(dir.join("invoices.csv"), INVOICES).unwrap();
    let statements = [
        "mt940-hebrew-86.sta",
        "mt942-interim.sta",
        "mt940-reversal-rc.sta",
    ];
    copy_fixtures(dir, "statements", &statements);
    config(dir, "invoices.csv", &statements);
    let out = tempfile::tempdir().unwrap();
    let stdout = run(dir, out.path());
    assert!(stdout.contains("invariants hold"), "{stdout}");
    let run = out.path().join(AS_OF);

    // By the invoice number in :86: (coded and free text), by the payer's Hebrew name in
    // /ORDP//NAME/ (its purpose names no invoice), and the credit left after a reversal.
    assert_eq!(
        allocations(&run),
        vec![
            strings(["LE26110500001", "C1", "INV-1041", "1200.00", "reference"]),
            strings(["LE26111200007", "C2", "INV-1043", "2500.00", "reference"]),
            strings(["LE26112000011", "C3", "INV-1050", "780.25", "exact-amount"]),
            strings(["BR261114005", "C4", "INV-1002", "500.00", "reference"]),
        ]
    );
    let (_, unapplied) = read_csv(&run.join("unapplied.csv"));
    assert!(unapplied.is_empty(), "{unapplied:?}");
    let (header, open) = read_csv(&run.join("open-items.csv"));
    let open: Vec<&str> = open
        .iter()
        .map(|r| r[col(&header, "invoice")].as_str())
        .collect();
    assert_eq!(open, ["INV-1042"]);

    // Debits, the reversed credit and its reversal, the reversal with nothing to reverse, and
    // the interim report's copy of a booked credit: warnings at their :61: lines.
    let found: Vec<[String; 4]> = issues(&run)
        .into_iter()
        .map(|[severity, file, row, column, _]| [severity, file, row, column])
        .collect();
    assert_eq!(
        found,
        vec![
            strings(["warning", "mt940-hebrew-86.sta", "10", ":61: amount"]),
            strings(["warning", "mt940-reversal-rc.sta", "5", ":61: amount"]),
            strings(["warning", "mt940-reversal-rc.sta", "7", ":61: amount"]),
            strings(["warning", "mt940-reversal-rc.sta", "9", ":61: amount"]),
            strings(["warning", "mt942-interim.sta", "7", ""]),
            strings(["warning", "mt942-interim.sta", "9", ":61: amount"]),
        ]
    );
    let messages: Vec<String> = issues(&run).into_iter().map(|i| i[4].clone()).collect();
    assert!(messages[0].contains("a debit"), "{messages:?}");
    assert!(
        messages[1].contains("reversed by the entry at row 7"),
        "{messages:?}"
    );
    assert!(messages[3].contains("no matching credit"), "{messages:?}");
    assert!(
        messages[4].contains("appears twice with identical content"),
        "{messages:?}"
    );

    // run.json: each statement's entries (its :61: lines) are used, ignored, rejected or
    // duplicates, and the format is named.
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(run.join("run.json")).unwrap()).unwrap();
    for name in statements {
        let input = manifest["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["file"] == name)
            .unwrap_or_else(|| panic!("{name} in run.json"));
        let bytes = std::fs::read(dir.join(name)).unwrap();
        let entries = bytes
            .split(|&b| b == b'\n')
            .filter(|line| line.starts_with(b":61:"))
            .count();
        let count = |key: &str| usize::try_from(input[key].as_u64().unwrap()).unwrap();
        assert_eq!(count("rows"), entries, "{name}: {input}");
        assert_eq!(
            count("used") + count("ignored") + count("rejected") + count("duplicates"),
            entries,
            "{name}: {input}"
        );
        assert_eq!(input["columns"]["payer"], ":86: name");
    }
    let formats: Vec<&str> = manifest["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["text_format"].as_str())
        .collect();
    assert_eq!(formats[1..], ["MT940", "MT942", "MT940"]);
}

#[test]
fn a_bad_entry_is_an_error_at_its_line_and_the_rest_is_read() {
    let input = tempfile::tempdir().unwrap();
    let dir = input.path();
    std::fs::write(
        dir.join("invoices.csv"),
        "Invoice No,Client ID,Client Name,Invoice Date,Amount\nINV-2,C9,Acme Ltd,01/11/2026,250.00\n",
    )
    .unwrap();
    copy_fixtures(dir, "statements", &["mt940-bad-entries-cut-short.sta"]);
    config(dir, "invoices.csv", &["mt940-bad-entries-cut-short.sta"]);
    let (stdout, _) = Arrears::new()
        .current_dir(dir)
        .args(["check", "."])
        .expect_code(4);
    for expected in [
        "mt940-bad-entries-cut-short.sta, row 5, column ':61:'",
        "261131 is not a date",
        "mt940-bad-entries-cut-short.sta, row 9, column ':61:'",
        "no amount after the mark",
        "mt940-bad-entries-cut-short.sta, row 1, column ':62F:'",
        "cut short",
        "rows: 4 read, 2 used, 2 left out with errors",
    ] {
        assert!(stdout.contains(expected), "{expected:?} in\n{stdout}");
    }
    let out = tempfile::tempdir().unwrap();
    run(dir, out.path());
    let run = out.path().join(AS_OF);
    assert_eq!(
        allocations(&run),
        vec![strings(["X2", "C9", "INV-2", "250.00", "reference"])]
    );
    // The entry without a bank reference is named after the statement and its line.
    let (header, unapplied) = read_csv(&run.join("unapplied.csv"));
    let ids: Vec<&str> = unapplied
        .iter()
        .map(|r| r[col(&header, "payment_id")].as_str())
        .collect();
    assert_eq!(ids, ["BAD-1-11"]);
}

#[test]
fn a_file_that_starts_like_mt940_but_is_not_text_is_refused_with_its_name() {
    let input = tempfile::tempdir().unwrap();
    let dir = input.path();
    std::fs::write(dir.join("invoices.csv"), INVOICES).unwrap();
    std::fs::write(dir.join("bank.sta"), b":20:X\r\n:25:Y\r\n\x00\x01\x02\x03").unwrap();
    config(dir, "invoices.csv", &["bank.sta"]);
    let out = Arrears::new()
        .current_dir(dir)
        .args(["check", "."])
        .output();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("bank.sta looks like an MT940 bank statement but cannot be read")
            && stderr.contains("binary"),
        "{stderr}"
    );
}

#[test]
fn html_tables_saved_as_xls_read_end_to_end() {
    let input = tempfile::tempdir().unwrap();
    let dir = input.path();
    let pages = ["invoices-html-saved-as.xls", "bank-html-saved-as.xls"];
    copy_fixtures(dir, "formats", &pages);
    config(dir, pages[0], &pages[1..]);
    let (stdout, _) = Arrears::new()
        .current_dir(dir)
        .args(["check", "."])
        .expect_code(0);
    for expected in [
        "invoices-html-saved-as.xls, sheet 'חשבוניות פתוחות', header on row 1 (HTML tables, UTF-8)",
        "number             <- מספר חשבונית",
        "bank-html-saved-as.xls, sheet 'movements', header on row 4 (HTML tables, windows-1255)",
        "amount             <- זכות",
        "memo               <- תיאור פעולה",
    ] {
        assert!(stdout.contains(expected), "{expected:?} in\n{stdout}");
    }
    let out = tempfile::tempdir().unwrap();
    run(dir, out.path());
    let run = out.path().join(AS_OF);
    assert_eq!(
        allocations(&run),
        vec![
            strings(["31876", "C1", "INV-1041", "1200.00", "reference"]),
            strings(["31877", "C2", "INV-1043", "2500.00", "reference"]),
            strings(["31879", "C3", "INV-1050", "780.25", "reference"]),
        ]
    );
    let (header, open) = read_csv(&run.join("open-items.csv"));
    let open: Vec<[&str; 2]> = open
        .iter()
        .map(|r| {
            [
                r[col(&header, "invoice")].as_str(),
                r[col(&header, "client_name")].as_str(),
            ]
        })
        .collect();
    assert_eq!(open, [["INV-1042", "כהן ובניו בע\"מ"]]);
    // The value-date column is not read (the date is the booking date) and the header row says
    // so; the fee (a debit only) is ignored at its row, named by its debit column, and so is
    // the totals row; the nested table of the totals cell has no header and is skipped, and
    // says so.
    let found: Vec<[String; 4]> = issues(&run)
        .into_iter()
        .map(|[severity, file, row, column, _]| [severity, file, row, column])
        .collect();
    assert_eq!(
        found,
        vec![
            strings(["warning", "bank-html-saved-as.xls", "4", "תאריך ערך"]),
            strings(["warning", "bank-html-saved-as.xls", "7", "חובה"]),
            strings(["warning", "invoices-html-saved-as.xls", "", ""]),
            strings(["warning", "invoices-html-saved-as.xls", "6", ""]),
        ]
    );
}

#[test]
fn the_same_payments_as_mt940_and_as_csv_give_the_same_results() {
    let results = |payments: &str, write: &dyn Fn(&Path)| {
        let input = tempfile::tempdir().unwrap();
        let dir = input.path();
        std::fs::write(dir.join("invoices.csv"), INVOICES).unwrap();
        write(dir);
        config(dir, "invoices.csv", &[payments]);
        let out = tempfile::tempdir().unwrap();
        run(dir, out.path());
        let run = out.path().join(AS_OF);
        [
            "clients.csv",
            "open-items.csv",
            "allocations.csv",
            "unapplied.csv",
        ]
        .map(|name| std::fs::read(run.join(name)).unwrap())
    };
    let statement = results("mt940-hebrew-86.sta", &|dir| {
        copy_fixtures(dir, "statements", &["mt940-hebrew-86.sta"]);
    });
    let csv = results("bank.csv", &|dir| {
        std::fs::write(
            dir.join("bank.csv"),
            "Payment ID,Date,Amount,Currency,Payer,Memo\n\
             LE26110500001,05/11/2026,1200.00,ILS,\"כהן ובניו בע\"\"מ\",תשלום חשבונית INV-1041\n\
             LE26111200007,12/11/2026,2500.00,ILS,,העברה בנקאית לוי הנדסה חשבונית INV-1043\n\
             LE26111500002,15/11/2026,-45.00,ILS,,עמלת העברה\n\
             LE26112000011,20/11/2026,780.25,ILS,מאפיית השכונה,הפקדה\n",
        )
        .unwrap();
    });
    for (name, (a, b)) in [
        "clients.csv",
        "open-items.csv",
        "allocations.csv",
        "unapplied.csv",
    ]
    .iter()
    .zip(statement.iter().zip(&csv))
    {
        assert!(
            a == b,
            "{name} differs:\n{}\n---\n{}",
            String::from_utf8_lossy(a),
            String::from_utf8_lossy(b)
        );
    }
}
