//! `aging-report.xlsx`: the run's results as a workbook for people. Sheets `Summary`,
//! `Clients`, `Open items`, `Allocations`, `Unapplied`, `Worklist`, `Issues`, in that order;
//! the table sheets list the same rows, in the same order, as the CSV files.
//!
//! Invariants:
//! - It renders; it decides nothing. Every figure comes from the ledger, the reconciliation
//!   and the classification. The only arithmetic of its own is summing columns for totals and
//!   the two key figures of the Summary (DSO and CEI, formulas in the README), all in exact
//!   decimals.
//! - Money stays `Decimal` up to the cell: it becomes an `f64` only in
//!   [`Sheet::money`](table::Sheet::money), because Excel stores every number as an IEEE double
//!   (an amount with at most 15 significant digits shows its exact decimal value). Cached
//!   formula results are decimal strings.
//! - Text from the data is written with `write_string` after
//!   [`workbook_text`](super::workbook_text) (formula-safe, cut to 32,767 characters); no
//!   formula ever contains data (totals rows compare with a cell instead).
//! - Same input, same bytes: the document's creation time is the as-of date, every map is
//!   ordered, the sheets come in a fixed order.
//! - A table longer than one sheet continues on `Name (2)`, `Name (3)`, ... Table sheets are
//!   written in constant-memory mode, row after row, so memory does not grow with their rows.
//!
//! The parts: [`styles`] (the cell formats), [`table`] (a table's columns, layout over one or
//! more sheets, totals and cells), [`sheets`] (the six table sheets) and [`summary`] (the
//! Summary sheet and the key figures).

use std::path::Path;

use chrono::NaiveDate;
use rayon::prelude::*;
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Workbook, Worksheet, XlsxError};

use crate::config::Config;
use crate::report::Input;

mod sheets;
mod styles;
mod summary;
mod table;

use sheets::{
    allocations_table, clients_table, issues_table, open_items_table, unapplied_table,
    worklist_table, ItemLinks,
};
pub(crate) use styles::money_format;
use styles::Styles;
use summary::write_summary;
pub use summary::{key_figures, KeyFigures};
use table::{write_part, Layout};

/// The workbook's file name inside the run folder.
pub const FILE_NAME: &str = "aging-report.xlsx";

/// Rows of one Excel worksheet.
pub const EXCEL_ROWS: u32 = 1_048_576;

/// Open items this many days overdue or more stand out (the `91-120` and `120+` buckets).
const STAND_OUT_DAYS: i64 = 91;

/// Writes `aging-report.xlsx` into `dir`.
///
/// # Errors
/// When the file cannot be written.
pub fn write(dir: &Path, config: &Config, outcome: &Input) -> std::io::Result<()> {
    save(&mut build(config, outcome)?, dir)
}

/// The workbook with every sheet written, not saved yet: saving compresses the sheets on one
/// thread, and the caller can do other work beside it.
///
/// # Errors
/// When a sheet cannot be written to its temporary file.
pub fn build(config: &Config, outcome: &Input) -> std::io::Result<Workbook> {
    build_with_rows(config, outcome, EXCEL_ROWS).map_err(io_error)
}

/// Saves a [`build`] workbook as `aging-report.xlsx` in `dir`.
///
/// # Errors
/// When the file cannot be written.
pub fn save(workbook: &mut Workbook, dir: &Path) -> std::io::Result<()> {
    workbook.save(dir.join(FILE_NAME)).map_err(io_error)
}

fn io_error(e: XlsxError) -> std::io::Error {
    match e {
        XlsxError::IoError(e) => e,
        other => std::io::Error::other(other),
    }
}

/// How hard the workbook is compressed (1–9). The save deflates every sheet on one thread, at
/// the end of the run. At 1M invoices the sheets hold 906 MB of XML; deflating it takes 4.5 s at
/// level 2 (124 MB), 6.2 s at 3 (115 MB), 13.7 s at the default 6 (102 MB) and 2.7 s at 1, whose
/// file is a third larger again (164 MB) (BENCHMARKS.md).
pub const ZIP_LEVEL: u8 = 2;

/// [`build`] with `max_rows` rows per sheet (Excel's limit, or fewer in tests of the
/// continuation sheets).
fn build_with_rows(config: &Config, o: &Input, max_rows: u32) -> Result<Workbook, XlsxError> {
    let styles = Styles::new(o, config.workbook_rtl);
    // Laying a table out reads every cell once. Where each client's open items land decides
    // the links of the Clients and Worklist sheets, so those two are laid out last; the other
    // tables meanwhile.
    let ((open_items, links), (allocations, (unapplied, issues))) = rayon::join(
        || {
            let open_items = open_items_table(o);
            let layout = Layout::new(&open_items, max_rows);
            let links = ItemLinks::new(o, &layout, open_items.name);
            (layout, links)
        },
        || {
            rayon::join(
                || Layout::new(&allocations_table(o), max_rows),
                || {
                    rayon::join(
                        || Layout::new(&unapplied_table(o), max_rows),
                        || Layout::new(&issues_table(o), max_rows),
                    )
                },
            )
        },
    );
    let tables = [
        clients_table(config, o, &links),
        open_items_table(o),
        allocations_table(o),
        unapplied_table(o),
        worklist_table(config, o, &links),
        issues_table(o),
    ];
    let (clients, worklist) = rayon::join(
        || Layout::new(&tables[0], max_rows),
        || Layout::new(&tables[4], max_rows),
    );
    let layouts = [
        clients,
        open_items,
        allocations,
        unapplied,
        worklist,
        issues,
    ];

    let mut workbook = Workbook::new();
    let created = excel_date(o.as_of)?;
    let mut properties = DocProperties::new()
        .set_title(format!("Receivables aging as of {}", o.as_of))
        .set_author("arrears")
        .set_creation_datetime(&created);
    if let Some(company) = &config.company.name {
        properties = properties.set_company(company.as_str());
    }
    workbook.set_properties(&properties);
    workbook.set_zip_compression_level(ZIP_LEVEL);

    let continued: Vec<(&str, usize)> = tables
        .iter()
        .zip(&layouts)
        .filter(|(_, l)| l.sheets > 1)
        .map(|(t, l)| (t.name, l.sheets))
        .collect();
    let summary = workbook.add_worksheet();
    write_summary(summary, &styles, config, o, &continued)?;
    styles.register(&mut workbook)?;
    // The table sheets are written side by side, each to its own temporary file, and added in
    // their fixed order. The largest are started first and each thread takes the next sheet
    // when it is done, so that no thread is left alone with a long sheet at the end (at a
    // million invoices the Allocations and Open items sheets hold most of the cells).
    let mut parts = Vec::new();
    for (table, layout) in tables.iter().zip(&layouts) {
        for part in 0..layout.sheets {
            let rows = layout
                .per_sheet
                .min(table.len - (part * layout.per_sheet).min(table.len));
            let cells = rows * table.cols.len();
            let ws = workbook.new_worksheet_with_constant_memory()?;
            parts.push((parts.len(), cells, table, layout, part, ws));
        }
    }
    parts.sort_by_key(|&(index, cells, ..)| (std::cmp::Reverse(cells), index));
    let mut sheets = parts
        .into_iter()
        .par_bridge()
        .map(|(index, _, table, layout, part, mut ws)| {
            write_part(&mut ws, &styles, config, table, layout, part).map(|()| (index, ws))
        })
        .collect::<Result<Vec<(usize, Worksheet)>, XlsxError>>()?;
    sheets.sort_by_key(|&(index, _)| index);
    for (_, ws) in sheets {
        workbook.push_worksheet(ws);
    }
    Ok(workbook)
}

/// The serial date Excel shows for `date`.
fn excel_date(date: NaiveDate) -> Result<ExcelDateTime, XlsxError> {
    use chrono::Datelike;
    // Years outside Excel's range cannot come from a run; the conversions only guard the types.
    let year = u16::try_from(date.year()).unwrap_or(1900);
    ExcelDateTime::from_ymd(year, date.month() as u8, date.day() as u8)
}

#[cfg(test)]
mod tests {
    use calamine::{open_workbook, Data, Reader, Xlsx};

    use super::{build_with_rows, FILE_NAME};
    use crate::config::{Config, Overrides};
    use crate::history::History;

    /// A table longer than a sheet continues on `Open items (2)`, ...; the Summary says so
    /// and the client links point into the right sheet.
    #[test]
    fn long_tables_continue_on_numbered_sheets() {
        let input = tempfile::tempdir().unwrap();
        std::fs::write(
            input.path().join("invoices.csv"),
            "Invoice No,Client ID,Client Name,Invoice Date,Due Date,Amount\n\
             A-1,C1,Alpha,01/09/2026,01/10/2026,100.00\n\
             A-2,C1,Alpha,02/09/2026,02/10/2026,200.00\n\
             B-1,C2,Beta,03/09/2026,03/10/2026,300.00\n\
             B-2,C2,Beta,04/09/2026,04/10/2026,400.00\n\
             B-3,C2,Beta,05/09/2026,05/10/2026,500.00\n",
        )
        .unwrap();
        std::fs::write(input.path().join("payments.csv"), "Date,Amount\n").unwrap();
        let config = Config::load(Some(input.path()), None, &Overrides::default()).unwrap();
        let as_of = chrono::NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        let outcome = crate::app::compute(&config, as_of, &History::default()).unwrap();
        let out = tempfile::tempdir().unwrap();
        // One totals row and the header leave two data rows per sheet.
        build_with_rows(&config, &outcome, 4)
            .unwrap()
            .save(out.path().join(FILE_NAME))
            .unwrap();
        let mut book: Xlsx<_> = open_workbook(out.path().join(FILE_NAME)).unwrap();
        let names = book.sheet_names();
        assert_eq!(
            names[..5],
            [
                "Summary",
                "Clients",
                "Open items",
                "Open items (2)",
                "Open items (3)"
            ]
        );
        let mut opens = Vec::new();
        for name in ["Open items", "Open items (2)", "Open items (3)"] {
            let range = book.worksheet_range(name).unwrap();
            assert_eq!(
                range.get_value((1, 0)),
                Some(&Data::String("Client id".into()))
            );
            for row in 2..4 {
                if let Some(Data::String(n)) = range.get_value((row, 2)) {
                    opens.push(n.clone());
                }
            }
            // Each sheet's totals row sums its own rows.
            let own: f64 = (2..4)
                .filter_map(|r| match range.get_value((r, 8)) {
                    Some(Data::Float(f)) => Some(*f),
                    _ => None,
                })
                .sum();
            assert_eq!(range.get_value((0, 8)), Some(&Data::Float(own)), "{name}");
        }
        assert_eq!(opens, ["A-1", "A-2", "B-1", "B-2", "B-3"]);
        let summary = book.worksheet_range("Summary").unwrap();
        assert!(summary.used_cells().any(|(_, _, v)| v
            == &Data::String(
                "Open items is longer than one sheet: it continues on 'Open items (2)', 'Open items (3)'."
                    .into()
            )));
        // C2's first open item (B-1) is the third row: sheet 2, row 3.
        let file = std::fs::File::open(out.path().join(FILE_NAME)).unwrap();
        let mut zip = zip::ZipArchive::new(file).unwrap();
        let mut xml = String::new();
        std::io::Read::read_to_string(
            &mut zip.by_name("xl/worksheets/sheet2.xml").unwrap(),
            &mut xml,
        )
        .unwrap();
        assert!(xml.contains("location=\"'Open items (2)'!A3\""), "{xml}");
    }
}
