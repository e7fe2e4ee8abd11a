//! Every input format, through the library's readers and header detection: the same invoice
//! table saved as xlsx, xlsm, xls, ods and eight kinds of delimited text must read to the same
//! header mapping and the same values, and every broken or hostile file must give its own
//! clear error without a panic. The fixtures are made by `tests/fixtures/make_fixtures.py`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use arrears::ingest::field::{Field, TableKind};
use arrears::ingest::header::{find_header, HeaderMatch};
use arrears::ingest::source::{read_file, SourceError, SourceFile};
use arrears::ingest::table::{Cell, RawTable};
use chrono::NaiveDate;

fn fixture(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(path)
}

fn read(path: &str) -> Result<SourceFile, SourceError> {
    let name = path.rsplit('/').next().unwrap();
    read_file(&fixture(path), name, None)
}

/// A cell as a comparable string: dates (real or written day-first) as ISO, numbers (real or
/// written with thousands commas) with two decimals, other text trimmed.
fn normalise(cell: &Cell) -> String {
    match cell {
        Cell::Date(d) => d.to_string(),
        Cell::Number(n) => format!("{n:.2}"),
        Cell::Text(t) => {
            let t = t.trim();
            for format in ["%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y"] {
                if let Ok(d) = NaiveDate::parse_from_str(t, format) {
                    return d.to_string();
                }
            }
            match t.replace(',', "").parse::<f64>() {
                Ok(n) if t.starts_with(|c: char| c == '-' || c.is_ascii_digit()) => {
                    format!("{n:.2}")
                }
                _ => t.to_string(),
            }
        }
        other => other.display(),
    }
}

/// The header match and the normalised data rows (mapped fields only, in field order).
fn invoice_rows(table: &RawTable) -> (HeaderMatch, Vec<Vec<String>>) {
    let header = find_header(table, TableKind::Invoices, &BTreeMap::new())
        .unwrap_or_else(|miss| panic!("{miss}"));
    let rows = table.rows[header.row_index + 1..]
        .iter()
        .filter(|row| row.iter().any(|c| !c.is_empty()))
        .map(|row| {
            header
                .columns
                .values()
                .map(|&col| row.get(col).map_or_else(String::new, normalise))
                .collect()
        })
        .collect();
    (header, rows)
}

fn expected_mapping() -> BTreeMap<Field, usize> {
    BTreeMap::from([
        (Field::Number, 0),
        (Field::ClientId, 1),
        (Field::ClientName, 2),
        (Field::InvoiceDate, 3),
        (Field::DueDate, 4),
        (Field::Amount, 5),
        (Field::Currency, 6),
    ])
}

fn reference() -> Vec<Vec<String>> {
    let file = read("formats/invoices.xlsx").unwrap();
    invoice_rows(&file.tables[0]).1
}

#[test]
fn reference_workbook_reads_as_written() {
    let file = read("formats/invoices.xlsx").unwrap();
    assert_eq!(file.text_format, None);
    assert_eq!(file.sha256.len(), 64);
    let names: Vec<_> = file
        .tables
        .iter()
        .map(|t| t.sheet.as_deref().unwrap())
        .collect();
    assert_eq!(names, ["Invoices", "Notes"]);
    let table = &file.tables[0];
    assert_eq!(&*table.file, "invoices.xlsx");
    assert_eq!(table.first_row, 1);
    let (header, rows) = invoice_rows(table);
    assert_eq!(
        table.row_number(header.row_index),
        3,
        "title block of two rows"
    );
    assert_eq!(header.columns, expected_mapping());
    assert_eq!(header.headers[0], "Invoice No");
    assert_eq!(rows.len(), 8);
    assert_eq!(
        rows[0],
        [
            "1001.00",
            "C001",
            "כהן ושות' בע\"מ",
            "2026-10-05",
            "1234.56",
            "2026-11-04",
            "ILS"
        ],
        "fields in Field order: number, client id, client name, date, amount, due date, currency"
    );
    assert_eq!(rows[5][0], "CN-1006");
    assert_eq!(rows[5][4], "-234.56", "credit note");
    // Real date cells, real numbers.
    let first = &table.rows[header.row_index + 1];
    assert_eq!(
        first[3],
        Cell::Date(NaiveDate::from_ymd_opt(2026, 10, 5).unwrap())
    );
    assert_eq!(first[5], Cell::Number(1234.56));
}

#[test]
fn every_format_reads_the_same_table() {
    let expected = reference();
    let cases: &[(&str, Option<&str>, u32)] = &[
        ("formats/invoices.xlsm", None, 3),
        ("formats/invoices.xls", None, 3),
        ("formats/invoices.ods", None, 3),
        ("formats/utf8.csv", Some("UTF-8, ','-separated"), 3),
        (
            "formats/utf8-bom.csv",
            Some("UTF-8 with BOM, ','-separated"),
            1,
        ),
        (
            "formats/utf16le-bom.csv",
            Some("UTF-16LE with BOM, tab-separated"),
            1,
        ),
        (
            "formats/windows-1255.csv",
            Some("windows-1255, ','-separated"),
            1,
        ),
        ("formats/semicolon.csv", Some("UTF-8, ';'-separated"), 1),
        ("formats/tab.tsv", Some("UTF-8, tab-separated"), 1),
        ("formats/pipe.txt", Some("UTF-8, '|'-separated"), 3),
        ("broken/wrong-extension.csv", None, 3),
        ("broken/date1904.xlsx", None, 3),
        ("broken/stray-xfd.xlsx", None, 3),
    ];
    for &(path, text_format, header_row) in cases {
        let file = read(path).unwrap_or_else(|e| panic!("{path}: {e}"));
        assert_eq!(file.text_format.as_deref(), text_format, "{path}");
        let table = &file.tables[0];
        let (header, rows) = invoice_rows(table);
        assert_eq!(table.row_number(header.row_index), header_row, "{path}");
        assert_eq!(header.columns, expected_mapping(), "{path}");
        let rows = if path.contains("stray") {
            rows[..8].to_vec()
        } else {
            rows
        };
        assert_eq!(rows, expected, "{path}");
    }
}

#[test]
fn windows_1252_reads_accented_names() {
    let file = read("formats/windows-1252.csv").unwrap();
    assert_eq!(
        file.text_format.as_deref(),
        Some("windows-1252, ';'-separated")
    );
    let (header, rows) = invoice_rows(&file.tables[0]);
    assert_eq!(header.columns, expected_mapping());
    let names: Vec<&str> = rows.iter().map(|r| r[2].as_str()).collect();
    assert_eq!(names[0], "Café Noir SARL");
    assert_eq!(names[2], "Müller & Söhne GmbH");
    assert_eq!(names[6], "Åsa Ñúñez");
    let expected = reference();
    for (row, want) in rows.iter().zip(&expected) {
        assert_eq!(row[0], want[0]);
        assert_eq!(row[3..], want[3..]);
    }
}

#[test]
fn hebrew_headers_map_like_english_ones() {
    let file = read("formats/windows-1255.csv").unwrap();
    let (header, _) = invoice_rows(&file.tables[0]);
    assert_eq!(header.headers[0], "מספר חשבונית");
    assert_eq!(header.headers[5], "סכום");
}

#[test]
fn wrong_extension_is_read_by_content() {
    let file = read("broken/wrong-extension.csv").unwrap();
    let xlsx = read("formats/invoices.xlsx").unwrap();
    assert_eq!(file.sha256, xlsx.sha256);
    assert_eq!(file.tables[0].sheet.as_deref(), Some("Invoices"));
    assert_eq!(&*file.tables[0].file, "wrong-extension.csv");
}

#[test]
fn stray_cell_at_xfd1048576_is_kept_without_a_dense_grid() {
    let file = read("broken/stray-xfd.xlsx").unwrap();
    let table = &file.tables[0];
    let last = table.rows.len() - 1;
    assert_eq!(table.row_number(last), 1_048_576);
    let row = &table.rows[last];
    assert_eq!(row.len(), 16_384, "column XFD");
    assert_eq!(row[16_383], Cell::Text("stray".into()));
    let slots: usize = table.rows.iter().map(Vec::len).sum();
    assert!(slots < 17_000 + 100, "allocated {slots} cells");
}

#[test]
fn long_cell_survives_intact() {
    let file = read("broken/long-cell.csv").unwrap();
    let table = &file.tables[0];
    let header = find_header(table, TableKind::Invoices, &BTreeMap::new()).unwrap();
    assert_eq!(header.row_index, 0);
    let Cell::Text(note) = &table.rows[1][4] else {
        panic!("not text")
    };
    assert_eq!(note.chars().count(), 100_000);
    assert!(note.starts_with("Long note, with \"quotes\", commas and עברית. "));
    assert_eq!(table.rows[2][4], Cell::Text("short".into()));
    assert_eq!(table.row_number(2), 3);
}

#[test]
fn header_only_file_has_a_header_and_no_rows() {
    let file = read("broken/header-only.csv").unwrap();
    let table = &file.tables[0];
    assert_eq!(table.rows.len(), 1);
    let header = find_header(table, TableKind::Invoices, &BTreeMap::new()).unwrap();
    assert_eq!(header.row_index, 0);
}

#[test]
fn broken_files_give_their_error() {
    let check = |path: &str, ok: fn(&SourceError) -> bool, text: &str| {
        let err = read(path).err().unwrap_or_else(|| panic!("{path} read"));
        assert!(ok(&err), "{path}: {err:?}");
        let message = err.to_string();
        assert!(message.contains(text), "{path}: {message}");
    };
    check(
        "broken/empty.csv",
        |e| matches!(e, SourceError::Empty { .. }),
        "empty.csv is empty (0 bytes)",
    );
    check(
        "broken/truncated.xlsx",
        |e| matches!(e, SourceError::Corrupt { .. }),
        "truncated.xlsx looks like an Excel or OpenDocument workbook but cannot be read",
    );
    check(
        "broken/zip-bomb.xlsx",
        |e| matches!(e, SourceError::TooLarge { .. }),
        "zip-bomb.xlsx would unpack to 64 MiB",
    );
    check(
        "broken/password.xlsx",
        |e| matches!(e, SourceError::PasswordProtected { .. }),
        "password.xlsx is password-protected: save an unprotected copy",
    );
    check(
        "broken/garbage.csv",
        |e| matches!(e, SourceError::NotText { .. }),
        "garbage.csv is not a text or spreadsheet file",
    );
    check(
        "broken/stray-far.ods",
        |e| matches!(e, SourceError::SheetTooSparse { .. }),
        "stray-far.ods, sheet 'Invoices': cells are scattered far outside the data \
         (for example AMJ1048576)",
    );
    check(
        "broken/scrambled.xls",
        |e| {
            matches!(
                e,
                SourceError::Corrupt { .. } | SourceError::ReaderCrashed { .. }
            )
        },
        "scrambled.xls",
    );
}

#[test]
fn missing_file_is_an_io_error() {
    let err = read("broken/no-such-file.csv").unwrap_err();
    assert!(matches!(err, SourceError::Io { .. }));
    assert!(err
        .to_string()
        .starts_with("cannot read no-such-file.csv: "));
}

#[test]
fn forced_encoding_is_used() {
    let file = read_file(
        &fixture("formats/windows-1255.csv"),
        "windows-1255.csv",
        Some(encoding_rs::WINDOWS_1255),
    )
    .unwrap();
    assert_eq!(
        file.text_format.as_deref(),
        Some("windows-1255 (set in config), ','-separated")
    );
}

/// `cargo test --test it -- --ignored --nocapture million` times a 1,000,000-row CSV.
#[test]
#[ignore = "slow; run by hand to time the CSV reader"]
fn million_row_csv() {
    use std::fmt::Write;
    let mut text = String::from("Invoice No,Client,Date,Amount\n");
    for i in 0..1_000_000 {
        let _ = writeln!(text, "{i},\"Client {i}, Ltd\",2026-10-05,\"1,234.56\"");
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.csv");
    std::fs::write(&path, &text).unwrap();
    let start = std::time::Instant::now();
    let file = read_file(&path, "big.csv", None).unwrap();
    println!("{} MB in {:?}", text.len() >> 20, start.elapsed());
    assert_eq!(file.tables[0].rows.len(), 1_000_001);
}

/// The typed invoices ingest makes of a fixture: every format must give the same ones.
fn typed_invoices(path: &str) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let payments = dir.path().join("payments.csv");
    std::fs::write(&payments, "Date,Amount\n2026-10-31,1.00\n").unwrap();
    let overrides = arrears::config::Overrides {
        invoices: vec![fixture(path)],
        payments: vec![payments],
        ..Default::default()
    };
    let config = arrears::config::Config::load(Some(dir.path()), None, &overrides).unwrap();
    let ledger = arrears::ingest::ingest(&config).unwrap_or_else(|e| panic!("{path}: {e}"));
    ledger
        .invoices
        .iter()
        .map(|i| {
            format!(
                "{} {} {} {} {} {} {} {:?}",
                i.number, i.client, i.client_name, i.date, i.due, i.amount, i.currency, i.kind
            )
        })
        .collect()
}

#[test]
fn every_format_reads_to_the_same_typed_invoices() {
    let expected = typed_invoices("formats/invoices.xlsx");
    assert_eq!(expected.len(), 8, "{expected:#?}");
    assert!(
        expected
            .iter()
            .any(|i| i.contains("CreditNote") && i.contains("-234.56")),
        "{expected:#?}"
    );
    for path in [
        "formats/invoices.xlsm",
        "formats/invoices.xls",
        "formats/invoices.ods",
        "formats/utf8.csv",
        "formats/utf8-bom.csv",
        "formats/utf16le-bom.csv",
        "formats/windows-1255.csv",
        "formats/semicolon.csv",
        "formats/tab.tsv",
        "formats/pipe.txt",
        "broken/wrong-extension.csv",
        "broken/date1904.xlsx",
        "broken/stray-xfd.xlsx",
    ] {
        assert_eq!(typed_invoices(path), expected, "{path}");
    }
}
