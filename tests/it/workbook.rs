//! `aging-report.xlsx` read back with calamine: sheet names, real dates and numbers, totals
//! that agree with the CSV files, formula-safe text, and specific cells of a small month.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use calamine::{open_workbook, Data, Reader, Xlsx};
use rust_decimal::Decimal;

use crate::support::{col, read_csv, root, Arrears};

const SHEETS: [&str; 7] = [
    "Summary",
    "Clients",
    "Open items",
    "Allocations",
    "Unapplied",
    "Worklist",
    "Issues",
];

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

/// Three clients in ILS and one in USD; a client whose name is a formula.
fn small_month(dir: &Path) {
    write(
        dir,
        "invoices.csv",
        "Invoice No,Client ID,Client Name,Invoice Date,Due Date,Amount,Currency\n\
         INV-001,C1,Alpha Ltd,01/09/2026,01/10/2026,\"1,000.00\",ILS\n\
         INV-002,C1,Alpha Ltd,15/09/2026,15/10/2026,500.00,ILS\n\
         INV-003,C2,בית הקפה בע\"מ,20/10/2026,19/11/2026,\"2,340.50\",ILS\n\
         INV-004,C2,בית הקפה בע\"מ,25/11/2026,25/12/2026,100.00,ILS\n\
         INV-005,C3,\"=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",01/08/2026,31/08/2026,300.00,ILS\n\
         CN-001,C3,\"=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",05/08/2026,05/08/2026,-50.00,ILS\n\
         INV-006,C4,Delta Inc,01/11/2026,16/11/2026,99.99,USD\n",
    );
    write(
        dir,
        "bank.csv",
        "Date;Amount;Payer;Memo;Currency\n\
         20/10/2026;1.500,00;Alpha Ltd;INV-001 INV-002;ILS\n\
         21/11/2026;1.000,00;בית הקפה;תשלום חשבונית INV-003;ILS\n\
         22/11/2026;75,00;Unknown Person;;ILS\n",
    );
}

/// Runs `arrears run` and returns the run folder.
fn run(input: &Path, out: &Path, extra: &[&str]) -> PathBuf {
    Arrears::new()
        .current_dir(input)
        .args(["run", "."])
        .args(["--as-of", "2026-11-30", "--out"])
        .arg(out)
        .args(extra)
        .expect_code(0);
    out.join("2026-11-30")
}

fn small_run(out: &Path, config: Option<&str>) -> PathBuf {
    let input = tempfile::tempdir().unwrap();
    small_month(input.path());
    if let Some(text) = config {
        write(input.path(), "arrears.toml", text);
    }
    let run_dir = run(
        input.path(),
        out,
        &["--invoices", "invoices.csv", "--payments", "bank.csv"],
    );
    run_dir
}

/// A sheet as rows of cells, with absolute (0-based) row and column numbers.
fn sheet(book: &mut Xlsx<std::io::BufReader<std::fs::File>>, name: &str) -> Vec<Vec<Data>> {
    let range = book
        .worksheet_range(name)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    let Some((r0, c0)) = range.start() else {
        return Vec::new();
    };
    let (r1, c1) = range.end().unwrap();
    (0..=r1)
        .map(|r| {
            (0..=c1)
                .map(|c| {
                    if r < r0 || c < c0 {
                        Data::Empty
                    } else {
                        range.get_value((r, c)).cloned().unwrap_or(Data::Empty)
                    }
                })
                .collect()
        })
        .collect()
}

fn open_book(run: &Path) -> Xlsx<std::io::BufReader<std::fs::File>> {
    open_workbook(run.join("aging-report.xlsx")).expect("the workbook opens")
}

/// The header row of a table sheet: the first row whose first cell is `first`.
fn header_row(rows: &[Vec<Data>], first: &str) -> usize {
    rows.iter()
        .position(|r| r.first() == Some(&Data::String(first.to_string())))
        .unwrap_or_else(|| panic!("no header starting with {first}"))
}

fn text(cell: &Data) -> String {
    match cell {
        Data::String(s) => s.clone(),
        Data::Empty => String::new(),
        other => panic!("expected text, found {other:?}"),
    }
}

fn number(cell: &Data) -> f64 {
    match cell {
        Data::Float(f) => *f,
        #[allow(clippy::cast_precision_loss)]
        Data::Int(i) => *i as f64,
        other => panic!("expected a number, found {other:?}"),
    }
}

/// A number cell as money with two decimals (the cell holds the decimal amount as a double).
fn money(cell: &Data) -> Decimal {
    Decimal::from_str(&format!("{:.2}", number(cell))).unwrap()
}

fn date(cell: &Data) -> chrono::NaiveDate {
    match cell {
        Data::DateTime(d) => d.as_datetime().unwrap().date(),
        other => panic!("expected a date, found {other:?}"),
    }
}

fn find<'r>(rows: &'r [Vec<Data>], first: &str) -> &'r Vec<Data> {
    rows.iter()
        .find(|r| r.first() == Some(&Data::String(first.to_string())))
        .unwrap_or_else(|| panic!("no row starting with {first}"))
}

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

#[test]
fn workbook_has_every_sheet_with_real_dates_numbers_and_csv_totals() {
    let out = tempfile::tempdir().unwrap();
    let run_dir = run(&root().join("sample-data"), out.path(), &[]);
    let mut book = open_book(&run_dir);
    assert_eq!(book.sheet_names(), SHEETS);

    let rows = sheet(&mut book, "Open items");
    let h = header_row(&rows, "Client id");
    let header: Vec<String> = rows[h].iter().map(text).collect();
    let (open_col, cur_col) = (
        header.iter().position(|c| c == "Open").unwrap(),
        header.iter().position(|c| c == "Currency").unwrap(),
    );
    let date_col = header.iter().position(|c| c == "Due date").unwrap();
    let (csv_header, csv_rows) = read_csv(&run_dir.join("open-items.csv"));
    assert_eq!(
        rows.len() - h - 1,
        csv_rows.len(),
        "one sheet row per CSV row"
    );
    let mut sheet_sums: BTreeMap<String, Decimal> = BTreeMap::new();
    let mut csv_sums: BTreeMap<String, Decimal> = BTreeMap::new();
    for (row, csv_row) in rows[h + 1..].iter().zip(&csv_rows) {
        *sheet_sums.entry(text(&row[cur_col])).or_default() += money(&row[open_col]);
        *csv_sums
            .entry(csv_row[col(&csv_header, "currency")].clone())
            .or_default() += dec(&csv_row[col(&csv_header, "open")]);
        assert_eq!(
            date(&row[date_col]).to_string(),
            csv_row[col(&csv_header, "due_date")],
            "dates are dates"
        );
        assert!(matches!(row[9], Data::Float(_)), "days overdue is a number");
    }
    assert_eq!(sheet_sums, csv_sums);
    assert!(csv_sums.len() >= 2, "the sample has ILS and USD");
    // The totals rows above the header: one per currency, cached results = the CSV sums.
    for total in &rows[..h] {
        let currency = text(&total[cur_col]);
        assert_eq!(money(&total[open_col]), csv_sums[&currency], "{currency}");
    }

    // Clients: the open total per client equals clients.csv; every amount is a number.
    let rows = sheet(&mut book, "Clients");
    let h = header_row(&rows, "Client id");
    let (csv_header, csv_rows) = read_csv(&run_dir.join("clients.csv"));
    let header: Vec<String> = rows[h].iter().map(text).collect();
    let open_total = header.iter().position(|c| c == "Open total").unwrap();
    assert_eq!(rows.len() - h - 1, csv_rows.len());
    for (row, csv_row) in rows[h + 1..].iter().zip(&csv_rows) {
        assert_eq!(text(&row[0]), csv_row[0]);
        assert_eq!(
            money(&row[open_total]),
            dec(&csv_row[col(&csv_header, "open_total")])
        );
    }

    // Allocations, Unapplied, Worklist: row counts and amounts agree with their CSV files.
    for (name, file, first, amount, csv_amount) in [
        (
            "Allocations",
            "allocations.csv",
            "Payment id",
            "Amount",
            "amount",
        ),
        (
            "Unapplied",
            "unapplied.csv",
            "Payment id",
            "Amount",
            "amount",
        ),
        ("Worklist", "worklist.csv", "Rank", "Overdue", "overdue"),
    ] {
        let rows = sheet(&mut book, name);
        let h = header_row(&rows, first);
        let header: Vec<String> = rows[h].iter().map(text).collect();
        let a = header.iter().position(|c| c == amount).unwrap();
        let (csv_header, csv_rows) = read_csv(&run_dir.join(file));
        assert_eq!(rows.len() - h - 1, csv_rows.len(), "{name}");
        let sheet_sum: Decimal = rows[h + 1..].iter().map(|r| money(&r[a])).sum();
        let csv_sum: Decimal = csv_rows
            .iter()
            .map(|r| dec(&r[col(&csv_header, csv_amount)]))
            .sum();
        assert_eq!(sheet_sum, csv_sum, "{name}");
    }

    // Summary: the as-of date is a date, and the totals per bucket are the CSV's.
    let rows = sheet(&mut book, "Summary");
    let as_of = find(&rows, "As of");
    assert_eq!(date(&as_of[1]).to_string(), "2026-11-30");
    let total = find(&rows, "Total open");
    let heads = rows
        .iter()
        .find(|r| r.first() == Some(&Data::String("Open receivables by age".into())))
        .unwrap();
    for (c, head) in heads.iter().enumerate().skip(1) {
        if let Data::String(currency) = head {
            assert_eq!(money(&total[c]), csv_sums[currency], "{currency}");
        }
    }
}

#[test]
fn workbook_text_is_formula_safe() {
    let out = tempfile::tempdir().unwrap();
    let run_dir = small_run(out.path(), None);
    let mut book = open_book(&run_dir);
    let rows = sheet(&mut book, "Open items");
    let h = header_row(&rows, "Client id");
    let c3 = rows[h + 1..]
        .iter()
        .find(|r| text(&r[0]) == "C3")
        .expect("C3 has an open item");
    assert_eq!(text(&c3[1]), "'=HYPERLINK(\"http://x\",\"y\")");
    // The only formulas in the workbook are the totals rows; none holds data.
    for name in book.sheet_names() {
        let formulas = book.worksheet_formula(&name).unwrap();
        for f in formulas.used_cells().map(|(_, _, f)| f) {
            assert!(
                f.starts_with("SUBTOTAL(") || f.starts_with("SUMPRODUCT(SUBTOTAL("),
                "{name}: {f}"
            );
            assert!(!f.contains("HYPERLINK") && !f.contains('"'), "{name}: {f}");
        }
    }
}

#[test]
fn workbook_small_month_cells() {
    let out = tempfile::tempdir().unwrap();
    let run_dir = small_run(out.path(), Some("[company]\nname = \"משרד רו\\\"ח כהן\"\n"));
    let mut book = open_book(&run_dir);

    let rows = sheet(&mut book, "Summary");
    assert_eq!(text(&rows[1][0]), "משרד רו\"ח כהן", "Hebrew survives");
    let heads = find(&rows, "Open receivables by age");
    assert_eq!(text(&heads[1]), "ILS");
    assert_eq!(text(&heads[2]), "USD");
    // Open: INV-003 1,340.50 (11 days), INV-004 100.00 (not due), INV-005 250.00 after the
    // credit note (91 days); USD INV-006 99.99 (14 days).
    assert_eq!(money(&find(&rows, "Not due")[1]), dec("100.00"));
    assert_eq!(money(&find(&rows, "1-30")[1]), dec("1340.50"));
    assert_eq!(money(&find(&rows, "91-120")[1]), dec("250.00"));
    assert_eq!(money(&find(&rows, "1-30")[2]), dec("99.99"));
    assert_eq!(money(&find(&rows, "Total open")[1]), dec("1690.50"));
    assert_eq!(
        money(&find(&rows, "Unmatched payments (sheet Unapplied)")[1]),
        dec("75.00")
    );
    let share = number(&find(&rows, "Share overdue")[1]);
    assert!((share - 1590.5 / 1690.5).abs() < 1e-9, "{share}");
    // DSO (ILS): 1,690.50 open ÷ sales dated 2 Sep - 30 Nov (INV-002, INV-003, INV-004) × 90.
    let dso = number(&find(&rows, "DSO, days sales outstanding")[1]);
    assert!((dso - 1690.5 / 2940.5 * 90.0).abs() < 1e-6, "{dso}");
    // CEI (ILS), month 31 Oct - 30 Nov: B = 2,340.50 + 250.00 open at 30 Oct (INV-003 and
    // INV-005 after the credit note; INV-001/002 were paid 20 Oct); S = 100.00 (INV-004);
    // E = 1,690.50; C = 100.00. (B + S − E) ÷ (B + S − C) = 1,000 ÷ 2,590.50.
    let cei = number(&find(&rows, "CEI, collection effectiveness (month)")[1]);
    assert!((cei - 1000.0 / 2590.5).abs() < 1e-9, "{cei}");
    let total = find(&rows, "Total");
    assert_eq!(number(&total[4]), 4.0, "four client rows: {total:?}");

    let rows = sheet(&mut book, "Open items");
    // Two currencies: two totals rows, then the header on row 3.
    assert_eq!(header_row(&rows, "Client id"), 2);
    assert_eq!(text(&rows[0][5]), "ILS");
    assert_eq!(money(&rows[0][8]), dec("1690.50"));
    assert_eq!(text(&rows[1][5]), "USD");
    assert_eq!(money(&rows[1][8]), dec("99.99"));
    let inv3 = &rows[3];
    assert_eq!(text(&inv3[2]), "INV-003");
    assert_eq!(text(&inv3[1]), "בית הקפה בע\"מ");
    assert_eq!(date(&inv3[3]).to_string(), "2026-10-20");
    assert_eq!(money(&inv3[6]), dec("2340.50"));
    assert_eq!(money(&inv3[7]), dec("1000.00"));
    assert_eq!(money(&inv3[8]), dec("1340.50"));
    assert_eq!(number(&inv3[9]), 11.0);
    assert_eq!(text(&inv3[10]), "1-30");

    let formulas = book.worksheet_formula("Open items").unwrap();
    let f = formulas.get_value((0, 8)).unwrap();
    assert_eq!(
        f,
        "SUMPRODUCT(SUBTOTAL(109,OFFSET(I4,ROW(I4:I7)-ROW(I4),0)),--(F4:F7=$F$1))"
    );

    let rows = sheet(&mut book, "Clients");
    let h = header_row(&rows, "Client id");
    let header: Vec<String> = rows[h].iter().map(text).collect();
    let c3 = rows[h + 1..].iter().find(|r| text(&r[0]) == "C3").unwrap();
    let at = |name: &str| header.iter().position(|c| c == name).unwrap();
    assert_eq!(text(&c3[at("Level")]), "collections");
    assert_eq!(number(&c3[at("Oldest days overdue")]), 91.0);
    assert_eq!(text(&c3[at("Open items")]), "1 open item");
    let c1 = rows[h + 1..].iter().find(|r| text(&r[0]) == "C1").unwrap();
    assert_eq!(number(&c1[at("Settled invoices")]), 2.0);
    assert_eq!(number(&c1[at("Mean days to pay")]), 42.0);

    let rows = sheet(&mut book, "Worklist");
    let h = header_row(&rows, "Rank");
    assert_eq!(number(&rows[h + 1][0]), 1.0);
    let rows = sheet(&mut book, "Unapplied");
    let h = header_row(&rows, "Payment id");
    assert_eq!(text(&rows[h + 1][2]), "Unknown Person");
    assert_eq!(date(&rows[h + 1][1]).to_string(), "2026-11-22");
    let rows = sheet(&mut book, "Issues");
    assert_eq!(text(&rows[1][0]), "No issues: every input row was used.");
}

#[test]
fn workbook_sheets_run_right_to_left_when_configured() {
    let rtl_of = |config: Option<&str>| {
        let out = tempfile::tempdir().unwrap();
        let run_dir = small_run(out.path(), config);
        let file = std::fs::File::open(run_dir.join("aging-report.xlsx")).unwrap();
        let mut zip = zip::ZipArchive::new(file).unwrap();
        (1..=7)
            .map(|i| {
                let mut xml = String::new();
                std::io::Read::read_to_string(
                    &mut zip.by_name(&format!("xl/worksheets/sheet{i}.xml")).unwrap(),
                    &mut xml,
                )
                .unwrap();
                xml.contains("rightToLeft=\"1\"")
            })
            .collect::<Vec<bool>>()
    };
    assert_eq!(rtl_of(None), vec![false; 7]);
    assert_eq!(
        rtl_of(Some("[output]\nworkbook_rtl = true\n")),
        vec![true; 7]
    );
}

/// The style of every cell of a sheet, as the format code Excel shows it with: cell reference
/// (`G5`) -> format code, read from the sheet's and the styles' XML.
fn cell_format_codes(run_dir: &Path, sheet_xml: &str) -> BTreeMap<String, String> {
    let file = std::fs::File::open(run_dir.join("aging-report.xlsx")).unwrap();
    let mut zip = zip::ZipArchive::new(file).unwrap();
    let mut read = |name: &str| {
        let mut xml = String::new();
        std::io::Read::read_to_string(&mut zip.by_name(name).unwrap(), &mut xml).unwrap();
        xml
    };
    let styles = read("xl/styles.xml");
    let sheet = read(sheet_xml);
    // `tag` is the text after `<element `: its first attribute has no space before it.
    let attr = |tag: &str, name: &str| -> Option<String> {
        let tag = format!(" {tag}");
        let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
        Some(tag[start..start + tag[start..].find('"')?].to_string())
    };
    let mut codes: BTreeMap<String, String> = BTreeMap::new();
    for tag in styles.split("<numFmt ").skip(1) {
        let code = attr(tag, "formatCode").unwrap().replace("&quot;", "\"");
        codes.insert(attr(tag, "numFmtId").unwrap(), code);
    }
    let xfs = &styles[styles.find("<cellXfs").unwrap()..styles.find("</cellXfs>").unwrap()];
    let xf_codes: Vec<String> = xfs
        .split("<xf ")
        .skip(1)
        .map(|tag| {
            let id = attr(tag, "numFmtId").unwrap_or_default();
            codes.get(&id).cloned().unwrap_or(id)
        })
        .collect();
    sheet
        .split("<c ")
        .skip(1)
        .map(|tag| {
            let s: usize = attr(tag, "s").map_or(0, |s| s.parse().unwrap());
            (attr(tag, "r").unwrap(), xf_codes[s].clone())
        })
        .collect()
}

#[test]
fn every_money_cell_shows_its_own_currency_and_dates_show_as_dates() {
    let out = tempfile::tempdir().unwrap();
    let run_dir = small_run(out.path(), None);
    let mut book = open_book(&run_dir);
    let rows = sheet(&mut book, "Open items");
    let h = header_row(&rows, "Client id");
    let codes = cell_format_codes(&run_dir, "xl/worksheets/sheet3.xml");
    let mut seen = BTreeMap::new();
    for (r, row) in rows.iter().enumerate().skip(h + 1) {
        let currency = text(&row[5]);
        let symbol = match currency.as_str() {
            "ILS" => "₪",
            "USD" => "$",
            other => panic!("unexpected currency {other}"),
        };
        for column in ["G", "H", "I"] {
            let code = &codes[&format!("{column}{}", r + 1)];
            assert!(code.contains(symbol), "{column}{}: {code}", r + 1);
        }
        for column in ["D", "E"] {
            assert_eq!(codes[&format!("{column}{}", r + 1)], "dd mmm yyyy");
        }
        *seen.entry(currency).or_insert(0) += 1;
    }
    // Both the table's usual currency and the other one are checked.
    assert_eq!(seen.len(), 2, "{seen:?}");
}
