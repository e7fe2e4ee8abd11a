//! The reader on the fixtures of `tests/fixtures/unified/` (written per the specification by
//! `make_unified.py` there): every field read, the three character sets and both orders, bad
//! fields as issues at their line and field, and damaged input without a panic.

use super::*;
use crate::ingest::field::Field;
use crate::ingest::table::Cell;

const LOGICAL_1255: &[u8] =
    include_bytes!("../../../tests/fixtures/unified/hebrew-windows-1255-logical/BKMVDATA.TXT");
const LOGICAL_1255_INI: &[u8] =
    include_bytes!("../../../tests/fixtures/unified/hebrew-windows-1255-logical/INI.TXT");
const CP862: &[u8] = include_bytes!("../../../tests/fixtures/unified/cp862-dos/BKMVDATA.TXT");
const CP862_INI: &[u8] = include_bytes!("../../../tests/fixtures/unified/cp862-dos/INI.TXT");
const VISUAL: &[u8] =
    include_bytes!("../../../tests/fixtures/unified/visual-order-iso-8859-8/BKMVDATA.TXT");
const VISUAL_INI: &[u8] =
    include_bytes!("../../../tests/fixtures/unified/visual-order-iso-8859-8/INI.TXT");
const BROKEN: &[u8] =
    include_bytes!("../../../tests/fixtures/unified/cancelled-bad-fields-no-ini/BKMVDATA.TXT");

fn ini(bytes: &[u8]) -> Ini {
    Ini::Found {
        name: "INI.TXT".into(),
        bytes: bytes.to_vec(),
    }
}

fn tables(bytes: &[u8], ini: &Ini) -> (Generated, Generated) {
    let file: Arc<str> = Arc::from("BKMVDATA.TXT");
    let mut made = read(bytes, ini, &file).into_iter();
    let invoices = made.next().unwrap();
    let payments = made.next().unwrap();
    assert_eq!(invoices.kind, TableKind::Invoices);
    assert_eq!(payments.kind, TableKind::Payments);
    assert!(made.next().is_none());
    (invoices, payments)
}

/// The cell of `field` in the row of the document at `line`, as text.
fn get(table: &Generated, line: usize, field: Field) -> String {
    let column = table.header.columns[&field];
    match table.table.rows[line].get(column) {
        None | Some(Cell::Empty) => String::new(),
        Some(Cell::Date(d)) => d.to_string(),
        Some(cell) => cell.display(),
    }
}

/// The lines that hold a row.
fn filled(table: &Generated) -> Vec<usize> {
    (1..table.table.rows.len())
        .filter(|&i| !table.table.rows[i].is_empty())
        .collect()
}

#[test]
fn detects_the_file_and_its_ini_by_content() {
    assert!(is_unified(LOGICAL_1255));
    assert!(is_unified(CP862));
    assert!(!is_unified(LOGICAL_1255_INI));
    assert!(is_ini(LOGICAL_1255_INI));
    assert!(!is_ini(LOGICAL_1255));
    assert!(!is_unified(b"A100,Invoice,Amount\n1,2,3\n"));
    assert!(!is_unified(b"A10"));
    assert!(!is_unified(b""));
    assert!(is_unified(b"\xEF\xBB\xBFA100000000001514000001"));
    assert!(is_unified(b"\r\n\r\nA100000000001514000001"));
    // The opening record lost: two numbered records still say what the file is.
    let headless = &LOGICAL_1255[97..];
    assert!(headless.starts_with(b"B110"));
    assert!(is_unified(headless));
    assert!(!is_unified(b"C100000000001514000001\nInvoice,Amount\n"));
    let (invoices, _) = tables(headless, &ini(LOGICAL_1255_INI));
    assert_eq!(filled(&invoices).len(), 7);
    assert!(invoices.issues.iter().any(|i| i
        .message
        .contains("does not begin with its opening record A100")));
}

#[test]
fn every_invoice_field_is_read() {
    let (invoices, _) = tables(LOGICAL_1255, &ini(LOGICAL_1255_INI));
    // 305 1001, 305 1002, 330 1001, 320 501, 305 1003 at their C100 lines.
    assert_eq!(filled(&invoices), vec![5, 10, 12, 14, 17, 25, 27]);
    assert_eq!(get(&invoices, 5, Field::Number), "1001");
    assert_eq!(get(&invoices, 5, Field::ClientId), "20001");
    assert_eq!(get(&invoices, 5, Field::ClientName), "כהן ובניו בע\"מ");
    assert_eq!(get(&invoices, 5, Field::InvoiceDate), "2026-09-01");
    assert_eq!(get(&invoices, 5, Field::Amount), "11700.00");
    assert_eq!(get(&invoices, 5, Field::Currency), "ILS");
    assert_eq!(get(&invoices, 5, Field::DocType), "חשבונית מס");
    assert_eq!(get(&invoices, 5, Field::Reference), "");
    assert_eq!(
        get(&invoices, 10, Field::ClientName),
        "אלון טכנולוגיות (2020) בע\"מ"
    );
    // The credit invoice shares number 1001 with the tax invoice: read apart, naming it.
    assert_eq!(get(&invoices, 12, Field::Number), "330-1001");
    assert_eq!(get(&invoices, 12, Field::DocType), "חשבונית מס זיכוי");
    assert_eq!(get(&invoices, 12, Field::Reference), "1001");
    assert_eq!(get(&invoices, 12, Field::Amount), "1170.00");
    assert!(invoices.issues.iter().any(|i| i.row == Some(12)
        && i.severity == Severity::Info
        && i.message.contains("330-1001")));
    assert_eq!(get(&invoices, 14, Field::Number), "501");
    assert_eq!(get(&invoices, 14, Field::DocType), "חשבונית מס קבלה");
    assert_eq!(get(&invoices, 14, Field::Amount), "2340.00");
    // An export invoice: what the customer owes is its foreign-currency total (1217, 1218).
    assert_eq!(get(&invoices, 25, Field::Amount), "1000.00");
    assert_eq!(get(&invoices, 25, Field::Currency), "USD");
    assert_eq!(get(&invoices, 25, Field::ClientName), "Global Trade Inc");
    // An invoice-receipt with tax withheld: the customer owed 1223 + 1224.
    assert_eq!(get(&invoices, 27, Field::Amount), "1170.00");
    assert_eq!(invoices.ignored, 0);
    assert_eq!(invoices.rejected, 0);
    assert_eq!(invoices.header.headers[4], "1223 סכום המסמך כולל מע\"מ");
    assert!(invoices.format.contains("1.31"), "{}", invoices.format);
    assert!(
        invoices.format.contains("windows-1255"),
        "{}",
        invoices.format
    );
    assert!(!invoices.format.contains("visual"), "{}", invoices.format);
}

#[test]
fn every_payment_field_is_read() {
    let (_, payments) = tables(LOGICAL_1255, &ini(LOGICAL_1255_INI));
    assert_eq!(filled(&payments), vec![14, 19, 22, 27]);
    assert_eq!(get(&payments, 27, Field::PaymentAmount), "1111.50");
    assert_eq!(get(&payments, 27, Field::Withheld), "58.50");
    assert_eq!(get(&payments, 27, Field::Memo), "502");
    assert_eq!(get(&payments, 27, Field::Method), "מזומן");
    assert_eq!(get(&payments, 14, Field::PaymentId), "320-501");
    assert_eq!(get(&payments, 14, Field::Memo), "501");
    assert_eq!(get(&payments, 14, Field::PaymentAmount), "2340.00");
    assert_eq!(get(&payments, 14, Field::Method), "העברה בנקאית");
    assert_eq!(get(&payments, 19, Field::PaymentId), "400-7001");
    assert_eq!(get(&payments, 19, Field::PaymentDate), "2026-10-05");
    assert_eq!(get(&payments, 19, Field::PaymentAmount), "10530.00");
    assert_eq!(get(&payments, 19, Field::PaymentCurrency), "ILS");
    assert_eq!(get(&payments, 19, Field::PaymentClientId), "20001");
    assert_eq!(get(&payments, 19, Field::Payer), "כהן ובניו בע\"מ");
    assert_eq!(get(&payments, 19, Field::Memo), "1001");
    assert_eq!(get(&payments, 19, Field::Withheld), "");
    // The receipt with tax withheld at source: 1223 is what came in, 1224 what was withheld.
    assert_eq!(get(&payments, 22, Field::PaymentAmount), "5557.50");
    assert_eq!(get(&payments, 22, Field::Withheld), "292.50");
    assert_eq!(get(&payments, 22, Field::Method), "המחאה");
    assert_eq!(get(&payments, 22, Field::Memo), "1002");
    assert_eq!(payments.ignored + payments.rejected, 0);
    // No warning about a consistent file; one info accounting for its records.
    let mine: Vec<_> = payments
        .issues
        .iter()
        .filter(|i| i.severity != Severity::Info)
        .collect();
    assert!(mine.is_empty(), "{mine:?}");
    let info = payments.issues.last().unwrap();
    assert!(
        info.message.contains("2 × 400 (receipt)"),
        "{}",
        info.message
    );
    assert!(info.message.contains("3 × B100"), "{}", info.message);
    assert!(info.message.contains("1 × M100"), "{}", info.message);
    assert!(
        info.message
            .contains("also given under `invoices`: 4 × 305 (tax invoice), 1 × 330"),
        "{}",
        info.message
    );
    assert!(
        info.message
            .contains("other documents, not read: 1 × 200 (delivery note)"),
        "{}",
        info.message
    );
}

#[test]
fn cp862_reads_like_windows_1255() {
    let (invoices, payments) = tables(LOGICAL_1255, &ini(LOGICAL_1255_INI));
    let (dos_invoices, dos_payments) = tables(CP862, &ini(CP862_INI));
    assert_eq!(dos_invoices.table.rows, invoices.table.rows);
    assert_eq!(dos_payments.table.rows, payments.table.rows);
    assert!(
        dos_invoices.format.contains("CP-862"),
        "{}",
        dos_invoices.format
    );
    // Without INI.TXT the bytes still tell CP-862, and the run is told what was assumed.
    let (guessed, _) = tables(CP862, &Ini::Missing);
    assert_eq!(guessed.table.rows, invoices.table.rows);
    assert!(guessed
        .issues
        .iter()
        .any(|i| i.severity == Severity::Warning && i.message.contains("no INI.TXT")));
}

#[test]
fn utf8_is_read_by_characters() {
    let text = encoding_rs::WINDOWS_1255
        .decode(LOGICAL_1255)
        .0
        .into_owned();
    let (invoices, payments) = tables(LOGICAL_1255, &ini(LOGICAL_1255_INI));
    let (utf8_invoices, utf8_payments) = tables(text.as_bytes(), &Ini::Missing);
    assert_eq!(utf8_invoices.table.rows, invoices.table.rows);
    assert_eq!(utf8_payments.table.rows, payments.table.rows);
}

#[test]
fn visual_order_is_turned_to_logical() {
    let (invoices, payments) = tables(VISUAL, &ini(VISUAL_INI));
    assert!(
        invoices.format.contains("visual order"),
        "{}",
        invoices.format
    );
    assert_eq!(get(&invoices, 2, Field::ClientName), "חברת ABC Ltd ישראל");
    assert_eq!(
        get(&invoices, 4, Field::ClientName),
        "אלון טכנולוגיות (2020) בע\"מ"
    );
    assert_eq!(get(&payments, 6, Field::Payer), "חברת ABC Ltd ישראל");
    assert_eq!(get(&payments, 6, Field::Method), "כרטיס אשראי");
    assert_eq!(get(&payments, 6, Field::Memo), "2001");
    // The same bytes in logical order would read differently: the order was decided, not assumed.
    let (logical, _) = tables(LOGICAL_1255, &ini(LOGICAL_1255_INI));
    assert!(!logical.format.contains("visual"));
}

#[test]
fn cancelled_and_bad_documents_are_issues_at_their_line_and_field() {
    let (invoices, payments) = tables(BROKEN, &Ini::Missing);
    let at = |table: &Generated, line: u32| -> Vec<(Severity, Option<String>)> {
        table
            .issues
            .iter()
            .filter(|i| i.row == Some(line))
            .map(|i| (i.severity, i.column.clone()))
            .collect()
    };
    // Line 2: the cancelled tax invoice 3001 is an ignored row.
    assert_eq!(
        at(&invoices, 2),
        vec![(Severity::Warning, Some("1228 מסמך מבוטל".to_string()))]
    );
    // Line 4: month 13 in the document date.
    assert_eq!(
        at(&invoices, 4),
        vec![(Severity::Error, Some("1230 תאריך המסמך".to_string()))]
    );
    // Line 5: letters in the receipt's total.
    assert_eq!(
        at(&payments, 5),
        vec![(
            Severity::Error,
            Some("1223 סכום המסמך כולל מע\"מ".to_string())
        )]
    );
    assert_eq!(invoices.ignored, 1);
    assert_eq!(invoices.rejected, 1);
    assert_eq!(payments.rejected, 1);
    // The good invoice, and the line cut short (its amount is empty: the row reader says so).
    assert_eq!(filled(&invoices), vec![3, 6]);
    assert_eq!(get(&invoices, 6, Field::Amount), "");
    assert_eq!(get(&invoices, 6, Field::InvoiceDate), "2026-10-06");
    assert_eq!(filled(&payments), vec![9]);
    assert_eq!(get(&payments, 9, Field::Memo), "3002");
    assert_eq!(get(&payments, 9, Field::Method), "מזומן");
    // The stray line, the payment line of no document, the missing closing record and INI.TXT.
    for table in [&invoices, &payments] {
        let messages: Vec<&str> = table.issues.iter().map(|i| i.message.as_str()).collect();
        assert!(
            table.issues.iter().any(|i| i.row == Some(7)),
            "{messages:?}"
        );
        assert!(table
            .issues
            .iter()
            .any(|i| i.row == Some(6) && i.message.contains("cut short")));
        assert!(table
            .issues
            .iter()
            .any(|i| i.row == Some(8) && i.column.as_deref() == Some("1304 מספר מסמך")));
        assert!(messages
            .iter()
            .any(|m| m.contains("no closing record Z900")));
        assert!(messages.iter().any(|m| m.contains("no INI.TXT")));
    }
}

#[test]
fn damaged_files_never_panic() {
    let file: Arc<str> = Arc::from("BKMVDATA.TXT");
    for input in [LOGICAL_1255, CP862, VISUAL, BROKEN] {
        for end in (0..input.len()).step_by(13) {
            let _ = read(&input[..end], &Ini::Missing, &file);
        }
        let mut flipped = input.to_vec();
        for i in (0..flipped.len()).step_by(7) {
            flipped[i] = flipped[i].wrapping_mul(31).wrapping_add(0x85);
            let _ = read(
                &flipped[..i.min(flipped.len())],
                &ini(LOGICAL_1255_INI),
                &file,
            );
        }
        let _ = read(&flipped, &ini(&flipped), &file);
    }
    let _ = read(b"A100", &ini(b"A000"), &file);
    let _ = read(b"A100\nC100\nD110\nD120\n", &ini(b""), &file);
}

#[test]
fn finds_ini_beside_the_file_in_any_case() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("BKMVDATA.TXT");
    std::fs::write(&data, LOGICAL_1255).unwrap();
    assert_eq!(find_ini(&data), Ini::Missing);
    std::fs::write(dir.path().join("ini.txt"), LOGICAL_1255_INI).unwrap();
    match find_ini(&data) {
        Ini::Found { name, bytes } => {
            assert_eq!(name, "ini.txt");
            assert_eq!(bytes, LOGICAL_1255_INI);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_ini_of_another_export_is_not_used() {
    let mut other = LOGICAL_1255_INI.to_vec();
    other[33] = b'9';
    let (invoices, _) = tables(LOGICAL_1255, &ini(&other));
    assert!(invoices
        .issues
        .iter()
        .any(|i| i.message.contains("belongs to another export")));
}
