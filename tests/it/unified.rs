//! The Israeli unified file through the binary (SPEC section 10): one `BKMVDATA.TXT`, with its
//! `INI.TXT` beside it, given as both the invoices and the payments of a run. The receipts
//! settle the invoices they name, Hebrew client names come out as written, and `run.json`
//! accounts for every document.

use std::path::Path;

use crate::support::{col, read_csv, root, Arrears};

const AS_OF: &str = "2026-11-30";

/// A folder holding one export of `fixture` and an `arrears.toml` naming its `BKMVDATA.TXT`
/// under both inputs; the `INI.TXT` is renamed to lower case, as a copy from a DOS disk may be.
fn folder(fixture: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let from = root().join("tests/fixtures/unified").join(fixture);
    std::fs::create_dir(dir.path().join("export")).unwrap();
    for (name, to) in [("BKMVDATA.TXT", "BKMVDATA.TXT"), ("INI.TXT", "ini.txt")] {
        if from.join(name).exists() {
            std::fs::copy(from.join(name), dir.path().join("export").join(to)).unwrap();
        }
    }
    std::fs::write(
        dir.path().join("arrears.toml"),
        "[inputs]\ninvoices = [\"export/BKMVDATA.TXT\"]\npayments = [\"export/BKMVDATA.TXT\"]\n\n\
         [letters]\nformats = []\n",
    )
    .unwrap();
    dir
}

fn run(dir: &Path, out: &Path) -> String {
    let (stdout, _) = Arrears::new()
        .current_dir(dir)
        .args(["run", ".", "--as-of", AS_OF, "--out"])
        .arg(out)
        .expect_code(0);
    stdout
}

#[test]
fn one_export_gives_invoices_and_receipts_that_settle_them() {
    let dir = folder("hebrew-windows-1255-logical");
    let out = tempfile::tempdir().unwrap();
    run(dir.path(), out.path());
    let run_dir = out.path().join(AS_OF);

    let (header, rows) = read_csv(&run_dir.join("allocations.csv"));
    let allocations: Vec<(String, String, String, String)> = rows
        .iter()
        .map(|r| {
            (
                r[col(&header, "payment_id")].clone(),
                r[col(&header, "invoice")].clone(),
                r[col(&header, "amount")].clone(),
                r[col(&header, "rule")].clone(),
            )
        })
        .collect();
    for expected in [
        ("400-7001", "1001", "10530.00", "reference"),
        ("400-7002", "1002", "5557.50", "reference"),
        ("320-501", "501", "2340.00", "reference"),
    ] {
        let expected = (
            expected.0.to_string(),
            expected.1.to_string(),
            expected.2.to_string(),
            expected.3.to_string(),
        );
        assert!(
            allocations.contains(&expected),
            "{expected:?} in {allocations:?}"
        );
    }

    // The withheld tax the receipts state (field 1224) closes the rest of their invoices as
    // `withholding` (SPEC section 11), and clients.csv says how much, for the certificates.
    let (header, rows) = read_csv(&run_dir.join("clients.csv"));
    let names: Vec<[String; 4]> = rows
        .iter()
        .map(|r| {
            ["client_id", "client_name", "open_total", "withheld"]
                .map(|c| r[col(&header, c)].clone())
        })
        .collect();
    let expected = [
        ["20001", "כהן ובניו בע\"מ", "0.00", "0.00"],
        ["20002", "אלון טכנולוגיות (2020) בע\"מ", "0.00", "292.50"],
        ["20003", "מאפיית לחם הארץ", "0.00", "58.50"],
        ["20004", "שירותי ניקיון הגליל", "3510.00", "0.00"],
        ["20005", "Global Trade Inc", "1000.00", "0.00"],
    ]
    .map(|row| row.map(String::from));
    assert_eq!(names, expected);

    let (header, rows) = read_csv(&run_dir.join("open-items.csv"));
    let open: Vec<String> = rows
        .iter()
        .map(|r| r[col(&header, "invoice")].clone())
        .collect();
    assert_eq!(open, vec!["1003", "1004"]);

    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(run_dir.join("run.json")).unwrap()).unwrap();
    let inputs = manifest["inputs"].as_array().unwrap();
    let of = |kind: &str| {
        inputs
            .iter()
            .find(|i| i["kind"] == kind)
            .unwrap_or_else(|| panic!("no {kind} input in {inputs:?}"))
    };
    // 305 ×4 (one in USD), 330 and 320 ×2 as invoices; 400 ×2 and 320 ×2 as payments: each
    // used.
    let invoices = of("invoices");
    assert_eq!(invoices["file"], "export/BKMVDATA.TXT");
    assert_eq!(
        (invoices["rows"].as_u64(), invoices["used"].as_u64()),
        (Some(7), Some(7))
    );
    let payments = of("payments");
    assert_eq!(
        (payments["rows"].as_u64(), payments["used"].as_u64()),
        (Some(4), Some(4))
    );
    let format = invoices["text_format"].as_str().unwrap();
    assert!(format.contains("מבנה אחיד 1.31"), "{format}");

    // The ledger and stock records are accounted for, not dropped unsaid.
    let (header, rows) = read_csv(&run_dir.join("issues.csv"));
    let messages: Vec<&str> = rows
        .iter()
        .map(|r| r[col(&header, "message")].as_str())
        .collect();
    assert!(
        messages
            .iter()
            .any(|m| m.contains("3 × B100") && m.contains("documents read as invoices")),
        "{messages:?}"
    );
    assert!(
        !messages.iter().any(|m| m.contains("no INI.TXT")),
        "{messages:?}"
    );
}

#[test]
fn a_dos_export_and_a_visual_order_export_read_right() {
    let dir = folder("cp862-dos");
    let out = tempfile::tempdir().unwrap();
    run(dir.path(), out.path());
    let (header, rows) = read_csv(&out.path().join(AS_OF).join("clients.csv"));
    let name = col(&header, "client_name");
    assert_eq!(rows[0][name], "כהן ובניו בע\"מ");
    assert_eq!(rows[1][name], "אלון טכנולוגיות (2020) בע\"מ");

    let dir = folder("visual-order-iso-8859-8");
    let out = tempfile::tempdir().unwrap();
    run(dir.path(), out.path());
    let (header, rows) = read_csv(&out.path().join(AS_OF).join("clients.csv"));
    let names: Vec<&str> = rows
        .iter()
        .map(|r| r[col(&header, "client_name")].as_str())
        .collect();
    assert_eq!(
        names,
        vec!["חברת ABC Ltd ישראל", "אלון טכנולוגיות (2020) בע\"מ"]
    );
}

#[test]
fn a_damaged_export_runs_and_lists_every_problem() {
    let dir = folder("cancelled-bad-fields-no-ini");
    let out = tempfile::tempdir().unwrap();
    run(dir.path(), out.path());
    let run_dir = out.path().join(AS_OF);
    let (header, rows) = read_csv(&run_dir.join("issues.csv"));
    let found = |row: &str, column: &str| {
        rows.iter().any(|r| {
            r[col(&header, "file")] == "export/BKMVDATA.TXT"
                && r[col(&header, "row")] == row
                && r[col(&header, "column")] == column
        })
    };
    assert!(found("2", "1228 מסמך מבוטל"));
    assert!(found("4", "1230 תאריך המסמך"));
    assert!(found("5", "1223 סכום המסמך כולל מע\"מ"));
    // The line cut short has no amount: the row reader rejects it under the spec's field.
    assert!(found("6", "1223 סכום המסמך כולל מע\"מ"));
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(run_dir.join("run.json")).unwrap()).unwrap();
    let invoices = manifest["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["kind"] == "invoices")
        .unwrap()
        .clone();
    // 3001 cancelled, 3002 read, 3003 bad date, 3004 cut short.
    assert_eq!(invoices["rows"].as_u64(), Some(4));
    assert_eq!(invoices["used"].as_u64(), Some(1));
    assert_eq!(invoices["ignored"].as_u64(), Some(1));
    assert_eq!(invoices["rejected"].as_u64(), Some(2));
    let (header, rows) = read_csv(&run_dir.join("allocations.csv"));
    assert!(rows.iter().any(
        |r| r[col(&header, "payment_id")] == "400-9002" && r[col(&header, "invoice")] == "3002"
    ));
}

#[test]
fn ini_given_instead_of_the_data_is_refused_with_advice() {
    let dir = folder("hebrew-windows-1255-logical");
    std::fs::write(
        dir.path().join("arrears.toml"),
        "[inputs]\ninvoices = [\"export/ini.txt\"]\npayments = [\"export/BKMVDATA.TXT\"]\n",
    )
    .unwrap();
    let out = tempfile::tempdir().unwrap();
    let (_, stderr) = Arrears::new()
        .current_dir(dir.path())
        .args(["run", ".", "--as-of", AS_OF, "--out"])
        .arg(out.path())
        .expect_code(1);
    assert!(stderr.contains("export/ini.txt is the INI.TXT"), "{stderr}");
    assert!(
        stderr.contains("give the BKMVDATA.TXT beside it"),
        "{stderr}"
    );
    assert!(!out.path().join(AS_OF).exists());
}

/// The typed documents ingest makes of the export: the withheld tax reaches the payment (SPEC
/// section 11 reads it), the credit invoice is a credit note on the invoice it names.
#[test]
fn ingest_types_the_documents_with_withheld_tax_and_credit_notes() {
    let dir = folder("hebrew-windows-1255-logical");
    let data = dir.path().join("export/BKMVDATA.TXT");
    let overrides = arrears::config::Overrides {
        invoices: vec![data.clone()],
        payments: vec![data],
        ..Default::default()
    };
    let config = arrears::config::Config::load(Some(dir.path()), None, &overrides).unwrap();
    let ledger = arrears::ingest::ingest(&config).unwrap();
    let payment = ledger
        .payments
        .iter()
        .find(|p| &*p.id == "400-7002")
        .unwrap();
    assert_eq!(payment.amount.to_string(), "5557.50");
    assert_eq!(
        payment.withheld.map(|w| w.to_string()).as_deref(),
        Some("292.50")
    );
    assert_eq!(payment.method.as_deref(), Some("המחאה"));
    assert_eq!(payment.memo.as_deref(), Some("1002"));
    assert_eq!(payment.client_id.as_deref(), Some("20002"));
    assert_eq!(payment.origin.row, 22);
    let credit = ledger
        .invoices
        .iter()
        .find(|i| &*i.number == "330-1001")
        .unwrap();
    assert_eq!(credit.kind, arrears::model::DocKind::CreditNote);
    assert_eq!(credit.amount.to_string(), "-1170.00");
    assert_eq!(credit.reference.as_deref(), Some("1001"));
    assert_eq!(&*credit.client_name, "כהן ובניו בע\"מ");
    // An invoice-receipt with no tax withheld: the invoice is the payment, both 2,340.00.
    let receipt = ledger
        .invoices
        .iter()
        .find(|i| &*i.number == "501")
        .unwrap();
    assert_eq!(receipt.amount.to_string(), "2340.00");
    assert!(ledger.clients.contains_key("20005"));
}
