//! SPEC section 11 through the binary: `exact-set`, `withholding`, `bank-fee` and RF creditor
//! references, their rows in every output, `verify`, and the messages for bad settings.

use std::path::Path;

use crate::support::{col, read_csv, Arrears};

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

const CONFIG: &str = "\
[inputs]
invoices = [\"invoices.csv\"]
payments = [\"bank.csv\"]
clients = [\"clients.csv\"]

[withholding]
rates = [5]

[fees]
max = 50.00

[letters]
formats = [\"txt\"]
language = \"en\"
rf_references = true
";

/// One client per rule: withholding on named invoices (C1), a lump sum (C2), a bank fee on a
/// USD transfer (C3), a lump sum two sets fit (C4), a client's own withholding rate (C5), an
/// RF reference (C6) and one with wrong check digits (C7).
fn month(dir: &Path) {
    write(dir, "arrears.toml", CONFIG);
    write(
        dir,
        "invoices.csv",
        "Invoice No,Client ID,Invoice Date,Due Date,Amount,Currency\n\
         INV-101,C1,01/09/2026,01/10/2026,1000.00,ILS\n\
         INV-102,C1,02/09/2026,02/10/2026,333.33,ILS\n\
         INV-201,C2,01/09/2026,01/10/2026,100.00,ILS\n\
         INV-202,C2,02/09/2026,02/10/2026,250.50,ILS\n\
         INV-203,C2,03/09/2026,03/10/2026,400.00,ILS\n\
         INV-204,C2,04/09/2026,04/10/2026,75.25,ILS\n\
         INV-301,C3,01/09/2026,01/10/2026,1234.00,USD\n\
         INV-401,C4,01/09/2026,01/10/2026,300.00,ILS\n\
         INV-402,C4,02/09/2026,02/10/2026,300.00,ILS\n\
         INV-403,C4,03/09/2026,03/10/2026,500.00,ILS\n\
         INV-501,C5,01/09/2026,01/10/2026,1000.00,ILS\n\
         INV-601,C6,01/09/2026,01/10/2026,500.00,ILS\n\
         7788,C7,01/09/2026,01/10/2026,700.00,ILS\n",
    );
    write(
        dir,
        "clients.csv",
        "Client ID,Name,Withholding\n\
         C1,Alpha Ltd,\n\
         C2,Beta Ltd,\n\
         C3,Gamma Inc,\n\
         C4,Delta Ltd,\n\
         C5,Epsilon Ltd,3%\n\
         C6,Zeta Ltd,\n\
         C7,Eta Ltd,\n",
    );
    write(
        dir,
        "bank.csv",
        "Date,Payment ID,Amount,Currency,Client ID,Memo\n\
         10/11/2026,P1,1266.66,ILS,,inv INV-101 INV-102\n\
         11/11/2026,P2,475.25,ILS,C2,transfer\n\
         12/11/2026,P3,1184.00,USD,,Payment INV-301\n\
         13/11/2026,P4,800.00,ILS,C4,\n\
         14/11/2026,P5,970.00,ILS,C5,\n\
         15/11/2026,P6,500.00,ILS,,rf89inv601\n\
         16/11/2026,P7,700.00,ILS,,RF00 7788\n",
    );
}

fn run(input: &Path, out: &Path) -> std::path::PathBuf {
    Arrears::new()
        .arg("run")
        .arg(input)
        .args(["--as-of", "2026-11-30", "--quiet", "--out"])
        .arg(out)
        .expect_code(0);
    out.join("2026-11-30")
}

/// `allocations.csv` rows as `payment>invoice amount rule`.
fn allocations(dir: &Path) -> Vec<String> {
    let (h, rows) = read_csv(&dir.join("allocations.csv"));
    let (p, i, a, r) = (
        col(&h, "payment_id"),
        col(&h, "invoice"),
        col(&h, "amount"),
        col(&h, "rule"),
    );
    rows.iter()
        .map(|row| format!("{}>{} {} {}", row[p], row[i], row[a], row[r]))
        .collect()
}

#[test]
fn every_rule_of_section_11_runs_end_to_end() {
    let input = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    month(input.path());
    let dir = run(input.path(), out.path());
    let rows = allocations(&dir);
    for expected in [
        "P1>INV-101 950.00 reference",
        "P1>INV-102 316.66 reference",
        ">INV-101 50.00 withholding",
        ">INV-102 16.67 withholding",
        "P2>INV-203 400.00 exact-set",
        "P2>INV-204 75.25 exact-set",
        "P3>INV-301 1184.00 reference",
        ">INV-301 50.00 bank-fee",
        "P4>INV-401 300.00 fifo",
        "P4>INV-402 300.00 fifo",
        "P4>INV-403 200.00 fifo",
        "P5>INV-501 970.00 exact-amount",
        ">INV-501 30.00 withholding",
        "P6>INV-601 500.00 reference",
    ] {
        assert!(
            rows.contains(&expected.to_string()),
            "{expected} not in {rows:#?}"
        );
    }
    // The RF reference with wrong check digits names nothing: P7 is unmatched.
    let (h, unapplied) = read_csv(&dir.join("unapplied.csv"));
    assert_eq!(unapplied.len(), 1, "{unapplied:?}");
    assert_eq!(unapplied[0][col(&h, "payment_id")], "P7");

    // clients.csv: `withheld` after `net_balance`.
    let (h, clients) = read_csv(&dir.join("clients.csv"));
    assert_eq!(col(&h, "withheld"), col(&h, "net_balance") + 1);
    let withheld = |id: &str| {
        clients
            .iter()
            .find(|r| r[col(&h, "client_id")] == id)
            .map(|r| r[col(&h, "withheld")].clone())
            .unwrap()
    };
    assert_eq!(withheld("C1"), "66.67");
    assert_eq!(withheld("C5"), "30.00");
    assert_eq!(withheld("C2"), "0.00");

    // The ambiguous lump sum is reported, not guessed.
    let (h, issues) = read_csv(&dir.join("issues.csv"));
    let info: Vec<&Vec<String>> = issues
        .iter()
        .filter(|r| r[col(&h, "severity")] == "info")
        .collect();
    assert_eq!(info.len(), 1, "{issues:?}");
    let message = &info[0][col(&h, "message")];
    assert!(
        message.starts_with(
            "several sets of invoices match this payment: INV-401 + INV-403; INV-402 + INV-403"
        ),
        "{message}"
    );
    assert_eq!(info[0][col(&h, "file")], "bank.csv");
    assert_eq!(info[0][col(&h, "row")], "5");

    // The worklist asks for certificates where tax was withheld and nothing is owed.
    let (h, work) = read_csv(&dir.join("worklist.csv"));
    let action = |id: &str| {
        work.iter()
            .find(|r| r[col(&h, "client_id")] == id)
            .map(|r| r[col(&h, "action")].clone())
    };
    assert_eq!(action("C1").as_deref(), Some("withholding certificate"));
    assert_eq!(action("C5").as_deref(), Some("withholding certificate"));
    assert_eq!(action("C4").as_deref(), Some("collect"));
    assert_eq!(action("C2").as_deref(), Some("collect"));

    // Letters: none for clients whose only balance was withheld; RF references on the lines.
    let letters: Vec<String> = std::fs::read_dir(dir.join("letters"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    assert!(
        !letters
            .iter()
            .any(|n| n.starts_with("C1-") || n.starts_with("C5-")),
        "{letters:?}"
    );
    let c4 = letters
        .iter()
        .find(|n| n.starts_with("C4-"))
        .expect("a letter to C4");
    let text = std::fs::read_to_string(dir.join("letters").join(c4)).unwrap();
    assert!(
        text.contains("Invoice INV-403 (payment reference RF03 INV4 03)"),
        "{text}"
    );
    assert!(!text.contains("withh"), "{text}");

    // run.json counts the rules and totals withholding and fees.
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("run.json")).unwrap()).unwrap();
    assert_eq!(manifest["counts"]["allocations_exact_set"], 2);
    assert_eq!(manifest["counts"]["allocations_withholding"], 3);
    assert_eq!(manifest["counts"]["allocations_bank_fee"], 1);
    assert_eq!(manifest["counts"]["info_issues"], 1);
    assert_eq!(manifest["totals"]["ILS"]["withheld"], "96.67");
    assert_eq!(manifest["totals"]["USD"]["fees"], "50.00");
    assert!(manifest["invariants"][1]["detail"]
        .as_str()
        .unwrap()
        .contains("withholding − bank fees"));

    // verify checks the withholding and fee rows against clients.csv and run.json.
    let (stdout, _) = Arrears::new().arg("verify").arg(&dir).expect_code(0);
    assert!(stdout.contains("allocations.csv"), "{stdout}");
}

#[test]
fn verify_catches_a_withholding_row_that_changed() {
    let input = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    month(input.path());
    let dir = run(input.path(), out.path());
    let path = dir.join("allocations.csv");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        text.replacen("30.00,withholding", "31.00,withholding", 1),
    )
    .unwrap();
    let (stdout, _) = Arrears::new().arg("verify").arg(&dir).expect_code(5);
    assert!(
        stdout.contains("client C5: the withholding rows of allocations.csv add up to 31.00"),
        "{stdout}"
    );
}

/// A configuration error: exit 1 and a message naming the key.
fn config_error(extra: &str) -> String {
    let input = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    month(input.path());
    let config = format!("{CONFIG}{extra}");
    write(input.path(), "arrears.toml", &config);
    let (_, stderr) = Arrears::new()
        .arg("run")
        .arg(input.path())
        .args(["--as-of", "2026-11-30", "--quiet", "--out"])
        .arg(out.path())
        .expect_code(1);
    stderr
}

#[test]
fn bad_rates_and_rule_names_name_their_key() {
    let input = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    month(input.path());
    for (rates, value) in [("[-5]", "-5"), ("[101]", "101"), ("[0]", "0")] {
        write(
            input.path(),
            "arrears.toml",
            &CONFIG.replace("rates = [5]", &format!("rates = {rates}")),
        );
        let (_, stderr) = Arrears::new()
            .arg("run")
            .arg(input.path())
            .args(["--as-of", "2026-11-30", "--quiet", "--out"])
            .arg(out.path())
            .expect_code(1);
        assert!(
            stderr.contains(&format!("`withholding.rates` = {value}"))
                && stderr.contains("above 0 and at most 100"),
            "{stderr}"
        );
    }
    let stderr = config_error("\n[allocation]\nskip = [\"lump-sum\"]\n");
    assert!(
        stderr.contains("`allocation.skip` = \"lump-sum\": unknown rule name; rules that can be skipped: exact-amount, exact-set, withholding, bank-fee, discount"),
        "{stderr}"
    );
    let stderr = config_error("\n[allocation]\nskip = [\"fifo\"]\n");
    assert!(stderr.contains("always applies"), "{stderr}");
    let fees = CONFIG.replace("max = 50.00", "max = -1");
    write(input.path(), "arrears.toml", &fees);
    let (_, stderr) = Arrears::new()
        .arg("run")
        .arg(input.path())
        .args(["--as-of", "2026-11-30", "--quiet", "--out"])
        .arg(out.path())
        .expect_code(1);
    assert!(stderr.contains("`fees.max` = -1"), "{stderr}");
}

#[test]
fn a_withholding_column_with_text_is_an_issue_naming_file_row_and_column() {
    let input = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    month(input.path());
    let clients = std::fs::read_to_string(input.path().join("clients.csv")).unwrap();
    write(
        input.path(),
        "clients.csv",
        &clients.replace("C5,Epsilon Ltd,3%", "C5,Epsilon Ltd,five"),
    );
    run(input.path(), out.path());
    let (h, issues) = read_csv(&out.path().join("2026-11-30/issues.csv"));
    let row = issues
        .iter()
        .find(|r| r[col(&h, "file")] == "clients.csv")
        .expect("an issue for clients.csv");
    assert_eq!(row[col(&h, "severity")], "error");
    assert_eq!(row[col(&h, "row")], "6");
    assert_eq!(row[col(&h, "column")], "Withholding");
    assert_eq!(row[col(&h, "value")], "five");
    assert!(
        row[col(&h, "message")].contains("is not a rate in percent"),
        "{row:?}"
    );
}
