//! The audit trail: `run.json` records the SHA-256 of every input and of the configuration, the
//! tool version and the invariant results; `arrears verify OUT/<date>` re-checks a run folder
//! and fails (exit 5), naming the file, when anything was changed, removed or added, or when the
//! CSV totals (and the workbook's, when there is one) disagree.

use std::path::{Path, PathBuf};

use arrears::report::manifest::sha256_hex;

use crate::support::{root, Arrears};

struct Run {
    out: tempfile::TempDir,
}

impl Run {
    fn dir(&self) -> PathBuf {
        self.out.path().join("2026-11-30")
    }
}

/// The sample month, run into a fresh OUT.
fn sample_run() -> Run {
    let out = tempfile::tempdir().unwrap();
    Arrears::new()
        .arg("run")
        .arg(root().join("sample-data"))
        .args(["--as-of", "2026-11-30", "--quiet", "--out"])
        .arg(out.path())
        .expect_code(0);
    Run { out }
}

fn verify(dir: &Path) -> (Option<i32>, String, String) {
    let out = Arrears::new().arg("verify").arg(dir).output();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

/// Asserts verify fails with exit 5 and a failure line containing every one of `needles`.
fn assert_fails(dir: &Path, needles: &[&str]) -> String {
    let (code, stdout, stderr) = verify(dir);
    assert_eq!(code, Some(5), "verify should fail\n{stdout}\n{stderr}");
    assert!(
        stdout
            .lines()
            .any(|l| l.trim_start().starts_with("- ") && needles.iter().all(|n| l.contains(n))),
        "no failure line with {needles:?}:\n{stdout}"
    );
    assert!(stderr.contains("failed verification"), "{stderr}");
    stdout
}

fn manifest(dir: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(dir.join("run.json")).unwrap()).unwrap()
}

/// Rewrites the hash of `name` in run.json to match the file as it is now: a consistent edit,
/// which only the cross-checks of the totals can catch.
fn rehash(dir: &Path, name: &str) {
    let mut m = manifest(dir);
    let sha = sha256_hex(&std::fs::read(dir.join(name)).unwrap());
    let files = m["files"].as_array_mut().unwrap();
    match files.iter_mut().find(|f| f["name"] == name) {
        Some(f) => f["sha256"] = sha.into(),
        None => files.push(serde_json::json!({ "name": name, "sha256": sha })),
    }
    std::fs::write(dir.join("run.json"), serde_json::to_vec_pretty(&m).unwrap()).unwrap();
}

/// Sets one cell of a CSV file of the run (row 0 is the first data row), then rehashes it.
fn set_cell(dir: &Path, name: &str, row: usize, column: &str, value: &str) {
    let (header, mut rows) = crate::support::read_csv(&dir.join(name));
    rows[row][crate::support::col(&header, column)] = value.to_string();
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    let mut writer = csv::Writer::from_writer(&mut bytes);
    writer.write_record(&header).unwrap();
    for r in &rows {
        writer.write_record(r).unwrap();
    }
    drop(writer);
    std::fs::write(dir.join(name), bytes).unwrap();
    rehash(dir, name);
}

/// A small month with a client credit: C1 pays 150.00 against one invoice of 100.00.
fn credit_run() -> Run {
    let input = tempfile::tempdir().unwrap();
    std::fs::write(
        input.path().join("invoices.csv"),
        "Invoice No,Client ID,Client Name,Invoice Date,Due Date,Amount\n\
         INV-001,C1,Alpha Ltd,01/09/2026,01/10/2026,100.00\n\
         INV-002,C2,Beta Ltd,01/10/2026,31/10/2026,250.00\n",
    )
    .unwrap();
    std::fs::write(
        input.path().join("bank.csv"),
        "Date,Amount,Client ID,Payer,Memo\n20/10/2026,150.00,C1,Alpha Ltd,\n",
    )
    .unwrap();
    let out = tempfile::tempdir().unwrap();
    Arrears::new()
        .current_dir(input.path())
        .args(["run", ".", "--as-of", "2026-11-30", "--quiet"])
        .args([
            "--invoices",
            "invoices.csv",
            "--payments",
            "bank.csv",
            "--out",
        ])
        .arg(out.path())
        .expect_code(0);
    Run { out }
}

#[test]
fn run_json_records_inputs_config_version_and_invariants() {
    let run = sample_run();
    let m = manifest(&run.dir());
    assert_eq!(m["tool"], "arrears");
    assert_eq!(m["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(m["as_of"], "2026-11-30");
    let config = std::fs::read(root().join("sample-data/arrears.toml")).unwrap();
    assert_eq!(m["config"]["sha256"], sha256_hex(&config));
    assert_eq!(m["config"]["text"], String::from_utf8(config).unwrap());
    let inputs = m["inputs"].as_array().unwrap();
    assert!(inputs.len() >= 3, "{inputs:?}");
    for input in inputs {
        let file = input["file"].as_str().unwrap();
        let bytes = std::fs::read(root().join("sample-data").join(file)).unwrap();
        assert_eq!(input["sha256"], sha256_hex(&bytes), "{file}");
    }
    let invariants = m["invariants"].as_array().unwrap();
    assert!(invariants.len() >= 3);
    assert!(
        invariants.iter().all(|i| i["passed"] == true),
        "{invariants:?}"
    );
    // Every file of the folder is listed with its hash.
    let files = m["files"].as_array().unwrap();
    for f in files {
        let bytes = std::fs::read(run.dir().join(f["name"].as_str().unwrap())).unwrap();
        assert_eq!(f["sha256"], sha256_hex(&bytes));
    }
    assert!(files.iter().any(|f| f["name"] == "clients.csv"));
}

#[test]
fn a_fresh_run_verifies() {
    let run = sample_run();
    let (code, stdout, stderr) = verify(&run.dir());
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("all checks passed"), "{stdout}");
    for check in [
        "run.json",
        "files",
        "clients.csv",
        "open-items.csv",
        "unapplied.csv",
    ] {
        assert!(
            stdout
                .lines()
                .any(|l| l.trim_start().starts_with(check) && l.ends_with(" ok")),
            "{check} not ok:\n{stdout}"
        );
    }
}

#[test]
fn a_changed_missing_or_added_file_fails_naming_it() {
    let run = sample_run();
    let dir = run.dir();
    // One amount changed by hand.
    let text = std::fs::read_to_string(dir.join("worklist.csv")).unwrap();
    std::fs::write(dir.join("worklist.csv"), text.replacen('1', "7", 1)).unwrap();
    assert_fails(&dir, &["worklist.csv", "has changed"]);
    // A file removed.
    std::fs::remove_file(dir.join("issues.csv")).unwrap();
    assert_fails(&dir, &["issues.csv", "is missing"]);
    // A file added, also in a subfolder.
    std::fs::create_dir_all(dir.join("letters")).unwrap();
    std::fs::write(dir.join("letters/extra.txt"), "hello").unwrap();
    assert_fails(&dir, &["letters/extra.txt", "not listed"]);
    // run.json itself gone.
    std::fs::remove_file(dir.join("run.json")).unwrap();
    assert_fails(&dir, &["run.json cannot be read"]);
}

#[test]
fn consistent_edits_are_caught_by_the_totals() {
    let run = sample_run();
    let dir = run.dir();
    // An open item changed and its hash updated: the open items no longer add up.
    set_cell(&dir, "open-items.csv", 0, "open", "0.01");
    assert_fails(&dir, &["open-items.csv", "clients.csv says"]);
}

#[test]
fn clients_rows_must_add_up() {
    let run = sample_run();
    let dir = run.dir();
    let (header, rows) = crate::support::read_csv(&dir.join("clients.csv"));
    let net = crate::support::col(&header, "net_balance");
    let row = rows
        .iter()
        .position(|r| r[net] != "0.00")
        .expect("a client with a balance");
    // The net balance of one client changed; rehashed, so only the arithmetic can tell.
    set_cell(&dir, "clients.csv", row, "net_balance", "1.00");
    let line = format!("row {}", row + 2);
    assert_fails(&dir, &["clients.csv", &line, "net_balance"]);
}

#[test]
fn unapplied_credit_must_match_unapplied_csv() {
    let run = credit_run();
    let dir = run.dir();
    assert_eq!(verify(&dir).0, Some(0));
    let (header, rows) = crate::support::read_csv(&dir.join("unapplied.csv"));
    let client = crate::support::col(&header, "client_id");
    let row = rows
        .iter()
        .position(|r| r[client] == "C1")
        .expect("the credit of C1");
    assert_eq!(rows[row][crate::support::col(&header, "amount")], "50.00");
    set_cell(&dir, "unapplied.csv", row, "amount", "60.00");
    assert_fails(
        &dir,
        &["unapplied.csv", "C1", "the client credit adds up to 60.00"],
    );
}

#[test]
fn a_folder_that_is_not_there_exits_1() {
    let out = tempfile::tempdir().unwrap();
    let (code, _, stderr) = verify(&out.path().join("2026-11-30"));
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("is not a folder"), "{stderr}");
}

/// A workbook with the two sheets verify compares, written from the CSV files (with a title
/// row and a totals row, as a real report has), or with one amount off.
fn write_workbook(dir: &Path, off_by: f64) {
    use rust_xlsxwriter::Workbook;
    let mut workbook = Workbook::new();
    for (sheet, file, columns) in [
        (
            "Clients",
            "clients.csv",
            &[
                ("Client id", "client_id"),
                ("Currency", "currency"),
                ("Open total", "open_total"),
                ("Unapplied credit", "unapplied_credit"),
            ][..],
        ),
        (
            "Open items",
            "open-items.csv",
            &[
                ("Client id", "client_id"),
                ("Invoice", "invoice"),
                ("Open", "open"),
            ][..],
        ),
    ] {
        let (header, rows) = crate::support::read_csv(&dir.join(file));
        let ws = workbook.add_worksheet();
        ws.set_name(sheet).unwrap();
        ws.write_string(0, 0, format!("{sheet} as of 2026-11-30"))
            .unwrap();
        for (c, (title, name)) in columns.iter().enumerate() {
            let c = u16::try_from(c).unwrap();
            ws.write_string(2, c, *title).unwrap();
            let k = crate::support::col(&header, name);
            for (r, row) in rows.iter().enumerate() {
                let r = u32::try_from(r).unwrap() + 3;
                match row[k].parse::<f64>() {
                    Ok(v) if !name.ends_with("_id") && *name != "invoice" => {
                        let v = if r == 3 && c == 2 { v + off_by } else { v };
                        ws.write_number(r, c, v).unwrap();
                    }
                    _ => {
                        ws.write_string(r, c, &row[k]).unwrap();
                    }
                }
            }
        }
        let total = u32::try_from(rows.len()).unwrap() + 3;
        ws.write_string(total, 0, "Total").unwrap();
    }
    workbook.save(dir.join("aging-report.xlsx")).unwrap();
    rehash(dir, "aging-report.xlsx");
}

#[test]
fn the_workbook_must_match_the_csv_files() {
    let run = sample_run();
    let dir = run.dir();
    write_workbook(&dir, 0.0);
    let (code, stdout, _) = verify(&dir);
    assert_eq!(code, Some(0), "{stdout}");
    assert!(
        stdout
            .lines()
            .any(|l| l.contains("aging-report.xlsx") && l.ends_with(" ok")),
        "{stdout}"
    );
    write_workbook(&dir, 10.0);
    assert_fails(&dir, &["aging-report.xlsx", "sheet 'Clients'"]);
}
