//! Many workbooks through the real binary: they are read a few at a time, and one that cannot
//! be read fails the run at once, naming it, with nothing written (README, "Inputs").

use std::path::Path;

use crate::support::{read_csv, Arrears};

const AS_OF: &str = "2026-11-30";

fn invoices_workbook(path: &Path, tag: usize, rows: u32) {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    for (c, h) in ["Invoice No", "Client", "Date", "Amount"]
        .iter()
        .enumerate()
    {
        sheet
            .write_string(0, u16::try_from(c).unwrap(), *h)
            .unwrap();
    }
    for r in 1..=rows {
        sheet
            .write_string(r, 0, format!("M{tag:02}{r:05}"))
            .unwrap();
        sheet
            .write_string(r, 1, format!("Client {}", r % 5))
            .unwrap();
        sheet.write_string(r, 2, "2026-10-05").unwrap();
        sheet.write_number(r, 3, f64::from(r) + 0.5).unwrap();
    }
    workbook.save(path).unwrap();
}

fn run(dir: &Path, invoices: &[String], out: &Path) -> (Option<i32>, String) {
    let output = Arrears::new()
        .current_dir(dir)
        .args(["run", ".", "--as-of", AS_OF, "--jobs", "2", "--invoices"])
        .args(invoices)
        .args(["--payments", "payments.csv", "--out"])
        .arg(out)
        .output();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).to_string(),
    )
}

#[test]
fn thirty_monthly_workbooks_run_as_one_month() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("payments.csv"),
        "Date,Amount,Payer\n2026-10-31,0.01,Somebody Else\n",
    )
    .unwrap();
    let names: Vec<String> = (0..30).map(|i| format!("invoices-{i:02}.xlsx")).collect();
    for (i, name) in names.iter().enumerate() {
        invoices_workbook(&dir.path().join(name), i, 20);
    }
    let out = tempfile::tempdir().unwrap();
    let (code, stderr) = run(dir.path(), &names, out.path());
    assert_eq!(code, Some(0), "{stderr}");
    let (header, rows) = read_csv(&out.path().join(AS_OF).join("open-items.csv"));
    let number = header.iter().position(|h| h == "invoice").unwrap();
    let mut numbers: Vec<&str> = rows.iter().map(|r| r[number].as_str()).collect();
    numbers.sort_unstable();
    let mut expected: Vec<String> = (0..30)
        .flat_map(|i| (1..=20).map(move |r| format!("M{i:02}{r:05}")))
        .collect();
    expected.sort_unstable();
    assert_eq!(numbers, expected);
}

#[test]
fn a_damaged_workbook_first_stops_the_run_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("payments.csv"),
        "Date,Amount\n2026-10-31,1.00\n",
    )
    .unwrap();
    let mut names = vec!["damaged.xlsx".to_string()];
    std::fs::write(
        dir.path().join("damaged.xlsx"),
        b"PK\x03\x04\x14\x00 cut short",
    )
    .unwrap();
    for i in 0..3 {
        let name = format!("large-{i}.xlsx");
        invoices_workbook(&dir.path().join(&name), i, 30_000);
        names.push(name);
    }
    let out = tempfile::tempdir().unwrap();
    let (code, stderr) = run(dir.path(), &names, out.path());
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("damaged.xlsx"), "{stderr}");
    assert!(!stderr.contains("large-"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let left: Vec<_> = std::fs::read_dir(out.path()).unwrap().collect();
    assert!(left.is_empty(), "OUT must stay empty: {left:?}");
}
