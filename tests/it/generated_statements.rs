//! The generator's month written with its bank export as CSV, as a CAMT.053 statement, as an
//! MT940 statement and as an OFX download: the same payments (ids, dates, amounts, payers,
//! memos), so a run on each gives byte-identical clients, open items and allocations, while
//! the statements' own entries (bank fees, a transfer out, a returned transfer and its
//! reversal) are ignored with a warning and their unreadable entries rejected.

use std::path::{Path, PathBuf};

use arrears::report::manifest::sha256_hex;

use crate::support::run_month;

#[allow(dead_code, unreachable_pub)]
#[path = "../../examples/generate.rs"]
mod generate;

/// Generates the small month (300 invoices, 250 payments, seed 7) with its bank export in
/// `format` into `dir`.
fn month(dir: &Path, format: &str, messy: bool) {
    let mut args = vec![
        "generate",
        "--clients",
        "40",
        "--invoices",
        "300",
        "--payments",
        "250",
        "--seed",
        "7",
        "--payments-format",
        format,
        "--out",
    ];
    if messy {
        args.insert(1, "--messy");
    }
    let mut args: Vec<std::ffi::OsString> = args.into_iter().map(Into::into).collect();
    args.push(dir.as_os_str().to_owned());
    generate::run(args).unwrap();
}

fn run(dir: &Path) -> PathBuf {
    run_month(dir, &dir.join("out"))
}

/// The payments input of run.json.
fn payments_input(run: &Path) -> serde_json::Value {
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(run.join("run.json")).unwrap()).unwrap();
    manifest["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| {
            i["file"]
                .as_str()
                .unwrap_or_default()
                .starts_with("payments.")
        })
        .unwrap_or_else(|| panic!("no payments input in {manifest}"))
        .clone()
}

const COMPARED: [&str; 3] = ["clients.csv", "open-items.csv", "allocations.csv"];

fn same_month_in_every_format(messy: bool) {
    let mut results: Vec<(&str, Vec<Vec<u8>>)> = Vec::new();
    for (format, file) in [
        ("csv", "payments.csv"),
        ("camt", "payments.xml"),
        ("mt940", "payments.sta"),
        ("ofx", "payments.ofx"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        month(dir.path(), format, messy);
        let config = std::fs::read_to_string(dir.path().join("arrears.toml")).unwrap();
        assert!(
            config.contains(&format!("payments = [\"{file}\"]")),
            "{config}"
        );
        let run = run(dir.path());
        let input = payments_input(&run);
        assert_eq!(input["file"], file);
        // A statement is read from disk a region at a time and hashed on the way.
        let bytes = std::fs::read(dir.path().join(file)).unwrap();
        assert_eq!(input["sha256"], sha256_hex(&bytes), "{format}");
        // The generator's 250 payments and its two bad rows (a date, an amount).
        assert_eq!(input["rejected"], 2, "{format}: {input}");
        assert_eq!(input["used"], 250, "{format}: {input}");
        if format != "csv" {
            let statement = &input["statement"];
            let ignored = if format == "ofx" { 2 } else { 4 };
            assert_eq!(input["ignored"], ignored, "{format}: {input}");
            assert_eq!(statement["debits"], 2, "{format}: {statement}");
            let reversals = u64::from(format != "ofx");
            assert_eq!(statement["reversals"], reversals, "{format}: {statement}");
            assert_eq!(
                statement["currencies"],
                serde_json::json!(["ILS", "USD"]),
                "{format}: one statement per currency"
            );
        }
        let outputs = COMPARED
            .iter()
            .map(|o| std::fs::read(run.join(o)).unwrap())
            .collect();
        results.push((format, outputs));
    }
    let (_, csv) = &results[0];
    let allocations = String::from_utf8_lossy(&csv[2]);
    assert!(
        allocations.lines().count() > 150,
        "the month allocates most payments:\n{allocations}"
    );
    for rule in ["reference", "fifo"] {
        assert!(
            allocations.contains(&format!(",{rule}")),
            "{rule}: {allocations}"
        );
    }
    for (format, outputs) in &results[1..] {
        for (index, name) in COMPARED.iter().enumerate() {
            assert!(
                outputs[index] == csv[index],
                "{name} from {format} differs from csv (messy: {messy}):\n--- {format}\n{}\n--- csv\n{}",
                String::from_utf8_lossy(&outputs[index]),
                String::from_utf8_lossy(&csv[index])
            );
        }
    }
}

#[test]
fn the_generated_month_gives_the_same_results_from_csv_camt_mt940_and_ofx() {
    same_month_in_every_format(false);
}

#[test]
fn the_messy_month_gives_the_same_results_from_csv_camt_mt940_and_ofx() {
    same_month_in_every_format(true);
}

/// --messy keeps the month's plan and changes its text: every payer a spelling of its own,
/// memos of 60-140 characters, long invoice descriptions; the same arguments give the same
/// bytes.
#[test]
fn messy_text_is_long_varied_and_seeded() {
    let tidy = tempfile::tempdir().unwrap();
    let messy = tempfile::tempdir().unwrap();
    let again = tempfile::tempdir().unwrap();
    month(tidy.path(), "csv", false);
    month(messy.path(), "csv", true);
    month(again.path(), "camt", true);
    let read = |dir: &Path, name: &str| {
        let bytes = std::fs::read(dir.join(name)).unwrap();
        let text = String::from_utf8(bytes).unwrap();
        let body: String = text
            .trim_start_matches('\u{feff}')
            .lines()
            .skip(3)
            .collect::<Vec<_>>()
            .join("\n");
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .from_reader(body.as_bytes());
        reader
            .records()
            .map(|r| r.unwrap().iter().map(str::to_string).collect::<Vec<_>>())
            .collect::<Vec<_>>()
    };
    let (tidy_pay, messy_pay) = (
        read(tidy.path(), "payments.csv"),
        read(messy.path(), "payments.csv"),
    );
    assert_eq!(tidy_pay.len(), messy_pay.len());
    // Same dates, references and amounts; other payers and memos.
    for (t, m) in tidy_pay.iter().zip(&messy_pay) {
        assert_eq!((&t[0], &t[1], &t[4]), (&m[0], &m[1], &m[4]));
    }
    let payers: std::collections::HashSet<&str> = messy_pay.iter().map(|r| r[3].as_str()).collect();
    assert!(
        payers.len() * 10 >= messy_pay.len() * 7,
        "{} distinct payers in {} payments",
        payers.len(),
        messy_pay.len()
    );
    let tidy_payers: std::collections::HashSet<&str> =
        tidy_pay.iter().map(|r| r[3].as_str()).collect();
    assert!(payers.len() > 2 * tidy_payers.len());
    let long = messy_pay
        .iter()
        .filter(|r| (60..=140).contains(&r[2].chars().count()))
        .count();
    assert!(long * 10 >= messy_pay.len() * 9, "{long} memos of 60-140");
    assert!(messy_pay
        .iter()
        .all(|r| r[2].chars().count() <= 140 || r[2].contains("INV")));
    assert!(messy_pay
        .iter()
        .any(|r| r[2].contains("INV-") && r[2].contains(',')));
    let descriptions = read(messy.path(), "invoices.csv");
    let long = descriptions
        .iter()
        .filter(|r| r.len() > 6 && r[6].chars().count() >= 60)
        .count();
    assert!(
        long * 10 >= descriptions.len() * 8,
        "{long} long descriptions"
    );
    // Seeded: the same arguments, the same bytes, whatever the payments format.
    let twice = tempfile::tempdir().unwrap();
    month(twice.path(), "camt", true);
    assert_eq!(
        std::fs::read(again.path().join("payments.xml")).unwrap(),
        std::fs::read(twice.path().join("payments.xml")).unwrap()
    );
    assert_eq!(
        std::fs::read(messy.path().join("invoices.csv")).unwrap(),
        std::fs::read(again.path().join("invoices.csv")).unwrap()
    );
}
