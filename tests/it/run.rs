//! `arrears run` and `arrears check` end to end on small hand-made exports.

use std::path::Path;

use crate::support::{col, manifest_without_timings, read_csv, root, snapshot, Arrears};

const SPEC_FILES: [(&str, &str); 6] = [
    (
        "open-items.csv",
        "client_id,client_name,invoice,invoice_date,due_date,currency,amount,paid,open,days_overdue,bucket,disputed",
    ),
    (
        "clients.csv",
        "client_id,client_name,currency,not_due,b1_30,b31_60,b61_90,b91_120,b120_plus,open_total,unapplied_credit,net_balance,withheld,oldest_days_overdue,level,risk,risk_reasons,settled_count,mean_days_to_pay,mean_days_late",
    ),
    ("allocations.csv", "payment_id,payment_date,client_id,invoice,amount,rule"),
    ("unapplied.csv", "payment_id,payment_date,payer,client_id,currency,amount,reason"),
    ("issues.csv", "severity,file,sheet,row,column,value,message"),
    (
        "worklist.csv",
        "rank,client_id,client_name,currency,overdue,oldest_days_overdue,level,risk,last_letter,collector,phone,email,action",
    ),
];

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

/// A small month: three clients, partial and full payments, a memo with two invoices, an
/// overpayment, a credit note, and an unknown payer.
fn small_month(dir: &Path) {
    write(
        dir,
        "invoices.csv",
        "Acme Accounting - open invoices\n\
         \n\
         Invoice No,Client ID,Client Name,Invoice Date,Due Date,Amount\n\
         INV-001,C1,Alpha Ltd,01/09/2026,01/10/2026,\"1,000.00\"\n\
         INV-002,C1,Alpha Ltd,15/09/2026,15/10/2026,500.00\n\
         INV-003,C2,בית הקפה בע\"מ,20/10/2026,19/11/2026,\"₪2,340.50\"\n\
         INV-004,C2,בית הקפה בע\"מ,25/11/2026,25/12/2026,100.00\n\
         INV-005,C3,=HYPERLINK(\"http://x\"),01/08/2026,31/08/2026,300.00\n\
         CN-001,C3,=HYPERLINK(\"http://x\"),05/08/2026,05/08/2026,-50.00\n",
    );
    write(
        dir,
        "bank.csv",
        "Date;Amount;Payer;Memo\n\
         20/10/2026;1.500,00;Alpha Ltd;INV-001 INV-002\n\
         21/11/2026;1.000,00;בית הקפה;תשלום חשבונית INV-003\n\
         22/11/2026;75,00;Unknown Person;\n",
    );
}

/// `arrears run .` inside `input` (so command-line file names are relative to it).
fn run_to(input: &Path, out: &Path, extra: &[&str]) -> (String, String) {
    Arrears::new()
        .current_dir(input)
        .args(["run", "."])
        .args(["--as-of", "2026-11-30", "--out"])
        .arg(out)
        .args(extra)
        .expect_code(0)
}

#[test]
fn small_month_reconciles_as_an_accountant_would() {
    let input = tempfile::tempdir().unwrap();
    small_month(input.path());
    let out = tempfile::tempdir().unwrap();
    let (stdout, _) = run_to(
        input.path(),
        out.path(),
        &["--invoices", "invoices.csv", "--payments", "bank.csv"],
    );
    assert!(stdout.contains("invariants hold"), "{stdout}");
    let run = out.path().join("2026-11-30");
    for (name, header) in SPEC_FILES {
        let text = std::fs::read_to_string(run.join(name)).unwrap();
        assert_eq!(
            text.trim_start_matches('\u{feff}').lines().next().unwrap(),
            header,
            "{name}"
        );
    }
    let (header, rows) = read_csv(&run.join("open-items.csv"));
    let open: Vec<(String, String, String, String)> = rows
        .iter()
        .map(|r| {
            (
                r[col(&header, "invoice")].clone(),
                r[col(&header, "open")].clone(),
                r[col(&header, "days_overdue")].clone(),
                r[col(&header, "bucket")].clone(),
            )
        })
        .collect();
    assert_eq!(
        open,
        vec![
            (
                "INV-003".into(),
                "1340.50".into(),
                "11".into(),
                "1-30".into()
            ),
            (
                "INV-004".into(),
                "100.00".into(),
                "-25".into(),
                "Not due".into()
            ),
            (
                "INV-005".into(),
                "250.00".into(),
                "91".into(),
                "91-120".into()
            ),
        ]
    );
    // The client name that looks like a formula is neutralised.
    let c3 = rows
        .iter()
        .find(|r| r[col(&header, "client_id")] == "C3")
        .unwrap();
    assert!(c3[col(&header, "client_name")].starts_with("'="), "{c3:?}");

    let (header, rows) = read_csv(&run.join("unapplied.csv"));
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0][col(&header, "payer")], "Unknown Person");
    assert_eq!(rows[0][col(&header, "amount")], "75.00");
}

#[test]
fn output_is_identical_for_any_thread_count_and_rerun() {
    let input = root().join("sample-data");
    let one = tempfile::tempdir().unwrap();
    let two = tempfile::tempdir().unwrap();
    run_to(&input, one.path(), &["--jobs", "1"]);
    run_to(&input, two.path(), &["--jobs", "2"]);
    let mut a = snapshot(&one.path().join("2026-11-30"));
    let mut b = snapshot(&two.path().join("2026-11-30"));
    let (ma, mb) = (a.remove("run.json").unwrap(), b.remove("run.json").unwrap());
    assert_eq!(manifest_without_timings(&ma), manifest_without_timings(&mb));
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (name, bytes) in &a {
        assert!(
            bytes == &b[name],
            "{name} differs between --jobs 1 and --jobs 2"
        );
    }
}

#[test]
fn sample_data_runs_clean() {
    let out = tempfile::tempdir().unwrap();
    let (stdout, _) = run_to(&root().join("sample-data"), out.path(), &[]);
    let run = out.path().join("2026-11-30");
    let (header, issues) = read_csv(&run.join("issues.csv"));
    let severity = col(&header, "severity");
    assert!(issues.iter().all(|i| i[severity] != "error"), "{issues:?}");
    let (_, open) = read_csv(&run.join("open-items.csv"));
    assert!(open.len() > 20, "sample data has a real aging: {stdout}");
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(run.join("run.json")).unwrap()).unwrap();
    for check in manifest["invariants"].as_array().unwrap() {
        assert_eq!(check["passed"], true, "{check}");
    }
    // The invoices, the clients, the bank's CSV export and its MT940 statement.
    assert_eq!(manifest["inputs"].as_array().unwrap().len(), 4);
    let (header, allocations) = read_csv(&run.join("allocations.csv"));
    let from_statement: Vec<(&str, &str, &str)> = allocations
        .iter()
        .filter(|r| r[col(&header, "payment_id")].starts_with("LU"))
        .map(|r| {
            (
                r[col(&header, "invoice")].as_str(),
                r[col(&header, "amount")].as_str(),
                r[col(&header, "rule")].as_str(),
            )
        })
        .collect();
    assert_eq!(
        from_statement,
        [
            ("INV-2026-00215", "18585.00", "exact-amount"),
            ("INV-2026-00156", "896.80", "reference")
        ]
    );
}

#[test]
fn an_existing_run_is_not_overwritten_without_force() {
    let input = tempfile::tempdir().unwrap();
    small_month(input.path());
    let out = tempfile::tempdir().unwrap();
    let args = ["--invoices", "invoices.csv", "--payments", "bank.csv"];
    run_to(input.path(), out.path(), &args);
    let (_, stderr) = Arrears::new()
        .current_dir(input.path())
        .args(["run", "."])
        .args(["--as-of", "2026-11-30", "--out"])
        .arg(out.path())
        .args(args)
        .expect_code(1);
    assert!(
        stderr.contains("already exists") && stderr.contains("--force"),
        "{stderr}"
    );
    run_to(
        input.path(),
        out.path(),
        &[
            "--invoices",
            "invoices.csv",
            "--payments",
            "bank.csv",
            "--force",
        ],
    );
}

#[test]
fn bad_rows_are_located_and_strict_fails_after_writing() {
    let input = tempfile::tempdir().unwrap();
    small_month(input.path());
    write(
        input.path(),
        "invoices.csv",
        "Invoice No,Client,Invoice Date,Amount\n\
         A-1,Alpha,01/10/2026,100\n\
         A-2,Alpha,31/02/2026,100\n\
         A-3,Alpha,01/10/2026,abc\n\
         A-4,Alpha,01/10/2026,1,200.00\n",
    );
    let args = ["--invoices", "invoices.csv", "--payments", "bank.csv"];
    let (stdout, _) = Arrears::new()
        .current_dir(input.path())
        .args(["check", "."])
        .args(args)
        .expect_code(4);
    assert!(
        stdout.contains("invoices.csv, row 3, column 'Invoice Date'"),
        "{stdout}"
    );
    assert!(
        stdout.contains("invoices.csv, row 4, column 'Amount'"),
        "{stdout}"
    );

    let out = tempfile::tempdir().unwrap();
    Arrears::new()
        .current_dir(input.path())
        .args(["run", ".", "--as-of", "2026-11-30", "--strict", "--out"])
        .arg(out.path())
        .args(args)
        .expect_code(4);
    let (header, rows) = read_csv(&out.path().join("2026-11-30/issues.csv"));
    let rows_col = col(&header, "row");
    let mut located: Vec<&str> = rows
        .iter()
        .filter(|r| {
            r[col(&header, "file")] == "invoices.csv" && r[col(&header, "severity")] == "error"
        })
        .map(|r| r[rows_col].as_str())
        .collect();
    located.sort_unstable();
    assert_eq!(located, ["3", "4"]);
}

#[test]
fn a_missing_column_names_the_headers_seen() {
    let input = tempfile::tempdir().unwrap();
    small_month(input.path());
    write(
        input.path(),
        "invoices.csv",
        "Invoice No,Client,Total Due Sometime\nA-1,Alpha,100\n",
    );
    let (_, stderr) = Arrears::new()
        .current_dir(input.path())
        .args([
            "check",
            ".",
            "--invoices",
            "invoices.csv",
            "--payments",
            "bank.csv",
        ])
        .expect_code(1);
    assert!(stderr.contains("Total Due Sometime"), "{stderr}");
    assert!(stderr.contains("[invoices.columns]"), "{stderr}");
}

#[test]
fn the_summary_speaks_to_people_and_to_scripts() {
    let input = tempfile::tempdir().unwrap();
    small_month(input.path());
    let out = tempfile::tempdir().unwrap();
    let args = ["--invoices", "invoices.csv", "--payments", "bank.csv"];
    let (text, _) = run_to(input.path(), out.path(), &args);
    // Aligned buckets in order, grouped amounts, a Hebrew client name intact, what to do first.
    let not_due = text.find("\n    Not due").unwrap();
    let b1 = text.find("\n    1-30").unwrap();
    assert!(not_due < b1, "{text}");
    assert!(text.contains("1,690.50"), "{text}");
    assert!(
        text.contains("look first:") && text.contains("1 payment matched to no client"),
        "{text}"
    );
    assert!(
        text.contains("first call: בית הקפה בע\"מ (1,340.50 ILS overdue, 11 days)"),
        "{text}"
    );
    assert!(
        !text.contains('\u{1b}'),
        "no colour codes outside a terminal: {text}"
    );
    assert_eq!(
        std::fs::read_to_string(out.path().join("latest.txt"))
            .unwrap()
            .trim(),
        "2026-11-30"
    );

    let mut with = args.to_vec();
    with.extend(["--force", "--json"]);
    let (json, _) = run_to(input.path(), out.path(), &with);
    let facts: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(facts["as_of"], "2026-11-30");
    assert_eq!(facts["unmatched_payments"], 1);
    assert_eq!(facts["open"][0]["currency"], "ILS");
    assert_eq!(facts["open"][0]["total"], "1690.50");
    assert_eq!(facts["open"][0]["buckets"][0]["bucket"], "Not due");

    with.pop();
    with.push("--quiet");
    let (quiet, _) = run_to(input.path(), out.path(), &with);
    assert_eq!(quiet, "");
}

#[test]
fn completions_and_manual_come_from_the_command_line_definition() {
    let (bash, _) = Arrears::new().args(["completions", "bash"]).expect_code(0);
    assert!(
        bash.contains("arrears") && bash.contains("--as-of"),
        "{bash}"
    );
    let (man, _) = Arrears::new().arg("man").expect_code(0);
    assert!(man.contains(".TH arrears"), "{man}");
    let (_, err) = Arrears::new()
        .args(["run", "--as-of", "yesterday", "."])
        .expect_code(1);
    assert!(err.contains("YYYY-MM-DD"), "{err}");
}

/// The README's "Your own exports, step by step", as a newcomer follows it: `init` in Hebrew,
/// the company filled in, the exports dropped in under their own names, `check`, then `run`
/// started from another folder. The run, its letters and the history land in the office folder.
#[test]
fn a_newcomer_follows_the_readme_from_init_to_letters() {
    let dir = tempfile::tempdir().unwrap();
    let office = dir.path().join("office");
    Arrears::new()
        .args(["init", "--language", "he"])
        .arg(&office)
        .expect_code(0);
    let readme = std::fs::read_to_string(office.join("README.txt")).unwrap();
    assert!(readme.contains("arrears check ."), "{readme}");
    let config = office.join("arrears.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    let text = text.replacen(
        "# name = \"Example Accounting Ltd\"",
        "name = \"משרד לדוגמה בע\\\"מ\"",
        1,
    );
    let text = text.replacen(
        "# email = \"billing@example.com\"",
        "email = \"billing@example.com\"",
        1,
    );
    std::fs::write(&config, text).unwrap();
    for file in ["invoices.xlsx", "bank-2026-11.csv", "clients.xlsx"] {
        std::fs::copy(root().join("sample-data").join(file), office.join(file)).unwrap();
    }
    let (stdout, _) = Arrears::new().arg("check").arg(&office).expect_code(0);
    assert!(stdout.contains("invoices.xlsx"), "{stdout}");
    let elsewhere = dir.path().join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    let (stdout, _) = Arrears::new()
        .current_dir(&elsewhere)
        .arg("run")
        .arg(&office)
        .args(["--as-of", "2026-11-30"])
        .expect_code(0);
    let run = office.join("arrears-out/2026-11-30");
    assert!(stdout.contains("look first"), "{stdout}");
    assert!(run.join("aging-report.xlsx").is_file());
    assert!(office.join("arrears-out/history.csv").is_file());
    assert!(!elsewhere.join("arrears-out").exists());
    let (header, rows) = read_csv(&run.join("letters/index.csv"));
    assert_eq!(rows.len(), 19, "the sample month's letters");
    let lang = col(&header, "language");
    let hebrew = rows.iter().find(|r| r[lang] == "he").unwrap();
    let files = &hebrew[col(&header, "files")];
    let html = files.split(';').find(|f| f.ends_with(".html")).unwrap();
    let html = std::fs::read_to_string(run.join(html)).unwrap();
    assert!(html.contains("משרד לדוגמה בע&quot;מ") || html.contains("משרד לדוגמה בע\"מ"));
    assert!(html.contains("dir=\"rtl\""));
}

/// A folder without a payments export: the message names the folder, the file names that are
/// recognised and the other ways to name the file, and nothing is written.
#[test]
fn a_missing_export_says_which_names_are_recognised() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        root().join("sample-data/invoices.xlsx"),
        dir.path().join("חשבוניות נובמבר.xlsx"),
    )
    .unwrap();
    let (_, stderr) = Arrears::new()
        .arg("run")
        .arg(dir.path())
        .arg("--out")
        .arg(dir.path().join("out"))
        .expect_code(1);
    assert!(stderr.contains("no payments file in"), "{stderr}");
    assert!(
        stderr.contains(&dir.path().display().to_string()),
        "{stderr}"
    );
    assert!(
        stderr.contains("\"bank\"") && stderr.contains("\"תקבול\""),
        "{stderr}"
    );
    assert!(stderr.contains("--payments"), "{stderr}");
    assert!(!dir.path().join("out").exists());
}

/// Spreadsheets start reading at once, each on a thread of its own, and text files are read in
/// their kind's turn; the inputs and their issues still come out in the order the files were
/// given. The same table given three times, as xlsx, csv and ods, makes the second and third
/// copies duplicates of the first, reported file by file and row by row.
#[test]
fn spreadsheets_read_ahead_keep_the_given_order() {
    let input = tempfile::tempdir().unwrap();
    let formats = root().join("tests/fixtures/formats");
    for (from, to) in [
        ("invoices.xlsx", "a.xlsx"),
        ("utf8.csv", "b.csv"),
        ("invoices.ods", "c.ods"),
    ] {
        std::fs::copy(formats.join(from), input.path().join(to)).unwrap();
    }
    write(
        input.path(),
        "bank.csv",
        "Date,Amount,Payer,Memo\n20/10/2026,100.00,Acme Ltd,1002\n",
    );
    let out = tempfile::tempdir().unwrap();
    let args = [
        "--invoices",
        "a.xlsx",
        "b.csv",
        "c.ods",
        "--payments",
        "bank.csv",
    ];
    run_to(input.path(), out.path(), &args);
    let run = out.path().join("2026-11-30");
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(run.join("run.json")).unwrap()).unwrap();
    let files: Vec<&str> = manifest["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|input| input["file"].as_str().unwrap())
        .collect();
    assert_eq!(files, ["a.xlsx", "b.csv", "c.ods", "bank.csv"]);
    let (header, issues) = read_csv(&run.join("issues.csv"));
    let (file, row) = (col(&header, "file"), col(&header, "row"));
    let duplicates: Vec<(&str, usize)> = issues
        .iter()
        .filter(|issue| issue[col(&header, "message")].contains("appears twice"))
        .map(|issue| (issue[file].as_str(), issue[row].parse().unwrap()))
        .collect();
    let copies = duplicates.iter().filter(|(f, _)| *f == "b.csv").count();
    assert!(copies >= 3, "{issues:?}");
    assert_eq!(
        duplicates.iter().filter(|(f, _)| *f == "c.ods").count(),
        copies,
        "{issues:?}"
    );
    let mut sorted = duplicates.clone();
    sorted.sort_by_key(|&(f, r)| (f != "b.csv", r));
    assert_eq!(duplicates, sorted);
}

/// The case that went wrong silently: a clients sheet whose terms column carries its unit in
/// the header. The terms are read (so the invoice is not yet due and gets no letter), an
/// unread column that looks like a field is a warning with the line that maps it, and every
/// unread header is listed by `check` and in run.json.
#[test]
fn a_header_with_its_unit_is_read_and_no_column_is_ignored_silently() {
    let input = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    write(
        input.path(),
        "invoices.csv",
        "Invoice No,Client ID,Client Name,Invoice Date,Amount,Project\n\
         INV-1,C1,Alpha Ltd,01/10/2026,1000.00,North\n\
         INV-2,C2,Beta Ltd,01/10/2026,400.00,South\n",
    );
    write(
        input.path(),
        "clients.csv",
        "Client ID,Client Name,Payment terms (days),Pay terms note,Region\n\
         C1,Alpha Ltd,90,,Center\n\
         C2,Beta Ltd,,,Center\n",
    );
    write(
        input.path(),
        "bank.csv",
        "תאריך,תיאור הפעולה,אסמכתא,חובה,זכות,יתרה בש\"ח\n\
         02/11/2026,העברה Beta Ltd INV-2,5501,,400.00,900\n\
         03/11/2026,עמלה,5502,12.50,,887.5\n",
    );
    let (stdout, _) = Arrears::new()
        .args(["check"])
        .arg(input.path())
        .expect_code(0);
    assert!(
        stdout.contains("terms              <- Payment terms (days)"),
        "{stdout}"
    );
    assert!(stdout.contains("debit              <- חובה"), "{stdout}");
    assert!(stdout.contains("not read: \"Project\""), "{stdout}");
    assert!(
        stdout.contains("not read: \"Pay terms note\", \"Region\""),
        "{stdout}"
    );
    assert!(stdout.contains("not read: \"יתרה בש\"ח\""), "{stdout}");

    run_to(input.path(), out.path(), &[]);
    let run = out.path().join("2026-11-30");
    // Net 90 from 1 October: not due on 30 November, so no level and no letter for Alpha.
    let (header, rows) = read_csv(&run.join("clients.csv"));
    let alpha = rows
        .iter()
        .find(|r| r[col(&header, "client_id")] == "C1")
        .unwrap();
    assert_eq!(alpha[col(&header, "level")], "none");
    let (header, rows) = read_csv(&run.join("open-items.csv"));
    let inv1 = rows
        .iter()
        .find(|r| r[col(&header, "invoice")] == "INV-1")
        .unwrap();
    assert_eq!(inv1[col(&header, "due_date")], "2026-12-30");
    assert_eq!(inv1[col(&header, "days_overdue")], "-30");
    // Beta paid by the credit column; the debit line is an ignored debit, not a payment.
    let (header, rows) = read_csv(&run.join("allocations.csv"));
    assert!(rows
        .iter()
        .any(|r| r[col(&header, "invoice")] == "INV-2" && r[col(&header, "amount")] == "400.00"));
    let (header, issues) = read_csv(&run.join("issues.csv"));
    let messages: Vec<String> = issues
        .iter()
        .map(|r| {
            format!(
                "{}|{}|{}|{}",
                r[col(&header, "file")],
                r[col(&header, "row")],
                r[col(&header, "column")],
                r[col(&header, "message")]
            )
        })
        .collect();
    assert!(
        messages
            .iter()
            .any(|m| m.starts_with("bank.csv|3|חובה|a debit (money out)")),
        "{messages:#?}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.starts_with("clients.csv|1|Pay terms note|")
                && m.contains("to read this column instead, put `terms = \"Pay terms note\"`")),
        "{messages:#?}"
    );
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(run.join("run.json")).unwrap()).unwrap();
    let clients = manifest["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["kind"] == "clients")
        .unwrap();
    assert_eq!(
        clients["unmapped"],
        serde_json::json!(["Pay terms note", "Region"])
    );
}
