//! Hostile text in the inputs — formulas, HTML, template syntax, paths, device names, a
//! right-to-left override — must come out inert: in every CSV a text cell that starts with `=`,
//! `+`, `-`, `@`, tab or carriage return has a `'` in front while numbers stay plain numbers;
//! in the workbook (when a run writes one) text cells likewise and no formula carries input
//! text; in the letters (when a run writes them) HTML is escaped and template syntax is printed,
//! not run; and no file the run writes has a path separator, a reserved device name, a leading
//! dot or a bidirectional control character in its name, or lies outside the run folder.
//!
//! The workbook and letter checks are skipped while `aging-report.xlsx` / `letters/` are
//! absent and apply by themselves once a run writes them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rust_decimal::Decimal;

use crate::support::{col, read_csv, Arrears};

/// Hostile client names, each with its own client id and a marker invoice number. (A leading
/// tab or carriage return is trimmed on input; the CSV check still covers any that gets through.)
const NAMES: [&str; 13] = [
    "=HYPERLINK(\"http://evil\",\"x\")",
    "+1+1",
    "@SUM(A1)",
    "-2+3",
    "<img src=x onerror=alert(1)>",
    "{{ config }}",
    "{% raw %}",
    "../../etc/passwd",
    "CON",
    "NUL.txt",
    "Evil\u{202E}gpj.exe",
    "\tTabbed",
    "\rReturn",
];

/// Hostile client ids (they name letter files), with plain names.
const IDS: [&str; 6] = [
    "../../etc/passwd",
    "CON",
    "NUL.txt",
    "\u{202E}txt.exe",
    "=1+1",
    ".hidden",
];

/// Characters that make a spreadsheet read a cell as a formula.
fn formula_start(text: &str) -> bool {
    text.starts_with(['=', '+', '-', '@', '\t', '\r'])
}

/// The cell as the tool must write it.
fn escaped(text: &str) -> String {
    if formula_start(text) {
        format!("'{text}")
    } else {
        text.to_string()
    }
}

fn quote(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

/// Invoices (all overdue 45 days, so every client is at a letter level), a credit note left
/// open, a not-yet-due invoice, a bad amount cell holding a formula, and payments with hostile
/// ids, payers and memos that match nobody.
fn write_inputs(dir: &Path) {
    let mut inv =
        String::from("Invoice No,Client ID,Client Name,Email,Invoice Date,Due Date,Amount,Notes\n");
    for (i, name) in NAMES.iter().enumerate() {
        inv.push_str(&format!(
            "INV-H{i:02},H{i:02},{},h{i}@example.com,01/09/2026,16/10/2026,{}.50,{}\n",
            quote(name),
            100 + i,
            quote(name)
        ));
    }
    for (i, id) in IDS.iter().enumerate() {
        inv.push_str(&format!(
            "INV-I{i:02},{},Plain Client {i},i{i}@example.com,01/09/2026,16/10/2026,{}.00,\n",
            quote(id),
            200 + i
        ));
    }
    inv.push_str("CN-001,CN,Credit Only,c@example.com,01/09/2026,01/09/2026,-50.00,\n");
    inv.push_str("INV-F01,FUT,Future Ltd,f@example.com,20/11/2026,25/12/2026,75.00,\n");
    inv.push_str("INV-BAD,H00,x,x@example.com,01/09/2026,16/10/2026,\"=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")\",\n");
    std::fs::write(dir.join("@invoices.csv"), inv).unwrap();

    let mut pay = String::from("Payment ID,Date,Amount,Payer,Memo\n");
    let hostile_ids = ["=1+2", "+PAY", "@P", "-P-1", "<b>P</b>"];
    for (i, name) in NAMES.iter().enumerate() {
        pay.push_str(&format!(
            "{},05/11/2026,{}.00,{},{}\n",
            quote(hostile_ids[i % hostile_ids.len()]),
            10 + i,
            quote(&format!("{name} payer")),
            quote(name)
        ));
    }
    // Pays part of the first hostile client's invoice by reference, from a hostile payment id.
    pay.push_str("\"=SUM(9)\",06/11/2026,20.00,Somebody,INV-H00\n");
    std::fs::write(dir.join("bank.csv"), pay).unwrap();
}

struct Run {
    _input: tempfile::TempDir,
    input: PathBuf,
    out: tempfile::TempDir,
}

impl Run {
    fn dir(&self) -> PathBuf {
        self.out.path().join("2026-11-30")
    }
}

fn run() -> Run {
    let input = tempfile::tempdir().unwrap();
    write_inputs(input.path());
    let out = tempfile::tempdir().unwrap();
    let (_, stderr) = Arrears::new()
        .current_dir(input.path())
        .args(["run", ".", "--as-of", "2026-11-30"])
        .args([
            "--invoices",
            "@invoices.csv",
            "--payments",
            "bank.csv",
            "--out",
        ])
        .arg(out.path())
        .expect_code(0);
    assert!(!stderr.contains("panicked"), "{stderr}");
    Run {
        input: input.path().to_path_buf(),
        _input: input,
        out,
    }
}

/// Every file below `dir`, relative path -> full path.
fn files(dir: &Path) -> BTreeMap<String, PathBuf> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .to_string();
                out.insert(rel, path);
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// Every text cell of a CSV that would start a formula is escaped; what starts like one and
/// is not escaped must be a plain number.
fn assert_csv_inert(path: &Path) {
    let (header, rows) = read_csv(path);
    for cell in &header {
        assert!(!formula_start(cell), "{}: header {cell:?}", path.display());
    }
    for row in &rows {
        for (k, cell) in row.iter().enumerate() {
            if formula_start(cell) {
                assert!(
                    cell.parse::<Decimal>().is_ok(),
                    "{} column {}: {cell:?} starts a formula",
                    path.display(),
                    header[k]
                );
            }
        }
    }
}

#[test]
fn every_csv_cell_is_inert_and_numbers_stay_numbers() {
    let run = run();
    let mut checked = 0;
    for (name, path) in files(&run.dir()).into_iter().chain([(
        "history.csv".to_string(),
        run.out.path().join("history.csv"),
    )]) {
        if name.ends_with(".csv") {
            assert_csv_inert(&path);
            checked += 1;
        }
    }
    assert!(checked >= 7, "{checked} CSV files");

    // Each hostile name is there, escaped exactly when it must be, never altered otherwise.
    let (header, rows) = read_csv(&run.dir().join("clients.csv"));
    let (id, name) = (col(&header, "client_id"), col(&header, "client_name"));
    let by_id: BTreeMap<&str, &str> = rows
        .iter()
        .map(|r| (r[id].as_str(), r[name].as_str()))
        .collect();
    for (i, hostile) in NAMES.iter().enumerate() {
        let key = format!("H{i:02}");
        // Leading and trailing white space is trimmed on input.
        let expected = escaped(hostile.trim());
        assert_eq!(by_id.get(key.as_str()), Some(&expected.as_str()), "{key}");
    }
    for hostile in IDS {
        assert!(
            by_id.contains_key(escaped(hostile).as_str()),
            "client id {hostile:?} missing: {by_id:?}"
        );
    }

    // Numbers are plain: negative amounts and days keep their sign without a quote.
    let (header, rows) = read_csv(&run.dir().join("open-items.csv"));
    let credit = rows
        .iter()
        .find(|r| r[col(&header, "invoice")] == "CN-001")
        .expect("the open credit note");
    assert_eq!(credit[col(&header, "open")], "-50.00");
    let future = rows
        .iter()
        .find(|r| r[col(&header, "invoice")] == "INV-F01")
        .expect("the invoice not yet due");
    assert_eq!(future[col(&header, "days_overdue")], "-25");

    // Payers and payment ids of unmatched payments, and the payment id of an allocation.
    let (header, rows) = read_csv(&run.dir().join("unapplied.csv"));
    let payers: Vec<&str> = rows
        .iter()
        .map(|r| r[col(&header, "payer")].as_str())
        .collect();
    assert!(
        payers.contains(&"'=HYPERLINK(\"http://evil\",\"x\") payer"),
        "{payers:?}"
    );
    let ids: Vec<&str> = rows
        .iter()
        .map(|r| r[col(&header, "payment_id")].as_str())
        .collect();
    assert!(ids.contains(&"'=1+2") && ids.contains(&"'-P-1"), "{ids:?}");
    let (header, rows) = read_csv(&run.dir().join("allocations.csv"));
    assert!(
        rows.iter()
            .any(|r| r[col(&header, "payment_id")] == "'=SUM(9)"),
        "{rows:?}"
    );

    // The issue about the formula in an amount cell: file name and value escaped.
    let (header, rows) = read_csv(&run.dir().join("issues.csv"));
    let issue = rows
        .iter()
        .find(|r| r[col(&header, "value")].contains("HYPERLINK"))
        .expect("an issue for the formula amount");
    assert_eq!(issue[col(&header, "file")], "'@invoices.csv");
    assert!(issue[col(&header, "value")].starts_with("'="));
}

/// Windows device names, with or without an extension.
fn reserved(name: &str) -> bool {
    let stem = name
        .split('.')
        .next()
        .unwrap_or("")
        .trim_end()
        .to_ascii_uppercase();
    matches!(stem.as_str(), "CON" | "PRN" | "AUX" | "NUL")
        || ((stem.starts_with("COM") || stem.starts_with("LPT"))
            && stem.len() == 4
            && stem.as_bytes()[3].is_ascii_digit())
}

fn bidi_or_control(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

#[test]
fn no_file_name_is_a_path_a_device_or_hidden_and_nothing_escapes_the_run_folder() {
    let run = run();
    for rel in files(&run.dir()).keys() {
        for part in rel.split('/') {
            assert!(!part.is_empty() && !part.starts_with('.'), "{rel:?}");
            assert!(!reserved(part), "{rel:?} is a reserved device name");
            assert!(
                !part.contains(['\\', ':', '*', '?', '"', '<', '>', '|']),
                "{rel:?}"
            );
            assert!(!part.chars().any(bidi_or_control), "{rel:?}");
            assert!(part.chars().count() <= 150, "{rel:?} is too long");
        }
    }
    // OUT holds the run folder, the history and the latest-run pointer, nothing else; the input
    // folder is unchanged.
    let mut out: Vec<String> = std::fs::read_dir(run.out.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    out.sort();
    assert_eq!(out, ["2026-11-30", "history.csv", "latest.txt"]);
    let inputs: Vec<String> = files(&run.input).into_keys().collect();
    assert_eq!(inputs, ["@invoices.csv", "bank.csv"]);
    assert!(!run.out.path().parent().unwrap().join("etc").exists());
}

#[test]
fn workbook_text_is_inert_once_there_is_a_workbook() {
    use calamine::{open_workbook_auto, Data, Reader};
    let run = run();
    let path = run.dir().join("aging-report.xlsx");
    if !path.exists() {
        eprintln!("skipped: the run writes no aging-report.xlsx yet");
        return;
    }
    let mut workbook = open_workbook_auto(&path).unwrap();
    let mut names_seen = 0;
    for sheet in workbook.sheet_names() {
        let range = workbook.worksheet_range(&sheet).unwrap();
        for cell in range.used_cells() {
            if let (_, _, Data::String(text)) = cell {
                assert!(
                    !formula_start(text),
                    "sheet {sheet}: text {text:?} starts a formula"
                );
                if text == "'=HYPERLINK(\"http://evil\",\"x\")" {
                    names_seen += 1;
                }
            }
        }
        if let Ok(formulas) = workbook.worksheet_formula(&sheet) {
            for (_, _, formula) in formulas.used_cells() {
                for bad in ["evil", "HYPERLINK", "1+1", "2+3", "SUM(A1)", "SUM(9)"] {
                    assert!(!formula.contains(bad), "sheet {sheet}: formula {formula:?}");
                }
            }
        }
    }
    assert!(
        names_seen > 0,
        "the hostile name is not in the workbook, escaped"
    );
}

#[test]
fn letters_escape_html_and_print_template_syntax_once_there_are_letters() {
    let run = run();
    let letters = run.dir().join("letters");
    if !letters.is_dir() {
        eprintln!("skipped: the run writes no letters/ yet");
        return;
    }
    let marker = |name: &str| format!("INV-H{:02}", NAMES.iter().position(|n| *n == name).unwrap());
    let mut letters_checked = 0;
    for (rel, path) in files(&letters) {
        let bytes = std::fs::read(&path).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        let html = rel.ends_with(".html");
        if html || rel.ends_with(".eml") {
            // In a draft's headers the name is an RFC 5322 quoted display name, shown as text
            // by every mail program; the parts after the headers must carry no raw HTML.
            let body = if html {
                &text[..]
            } else {
                text.split_once("\r\n\r\n").map_or(&text[..], |(_, b)| b)
            };
            assert!(
                !body.contains("<img src=x"),
                "{rel}: raw HTML from the data"
            );
            assert!(
                !text.contains("href=\"http://evil"),
                "{rel}: a link from the data"
            );
        }
        if !(html || rel.ends_with(".txt")) {
            continue;
        }
        letters_checked += 1;
        if text.contains(&marker("<img src=x onerror=alert(1)>")) && html {
            assert!(text.contains("&lt;img src=x onerror=alert(1)&gt;"), "{rel}");
        }
        for template in ["{{ config }}", "{% raw %}"] {
            if text.contains(&marker(template)) {
                assert!(
                    text.contains(template),
                    "{rel}: {template} was not printed as is"
                );
            }
        }
    }
    assert!(letters_checked > 0, "letters/ holds no html or txt letter");
}
