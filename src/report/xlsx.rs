//! `aging-report.xlsx`: the run's results as a workbook for people. Sheets `Summary`,
//! `Clients`, `Open items`, `Allocations`, `Unapplied`, `Worklist`, `Issues`, in that order;
//! the table sheets list the same rows, in the same order, as the CSV files.
//!
//! Invariants:
//! - It renders; it decides nothing. Every figure comes from the ledger, the reconciliation
//!   and the classification. The only arithmetic of its own is summing columns for totals and
//!   the two key figures of the Summary (DSO and CEI, formulas in the README), all in exact
//!   decimals.
//! - Money stays `Decimal` up to the cell: it becomes an `f64` only in [`Sheet::money`],
//!   because Excel stores every number as an IEEE double (an amount with at most 15 significant
//!   digits shows its exact decimal value). Cached formula results are decimal strings.
//! - Text from the data is written with `write_string` after
//!   [`workbook_text`](super::workbook_text) (formula-safe, cut to 32,767 characters); no
//!   formula ever contains data (totals rows compare with a cell instead).
//! - Same input, same bytes: the document's creation time is the as-of date, every map is
//!   ordered, the sheets come in a fixed order.
//! - A table longer than one sheet continues on `Name (2)`, `Name (3)`, ... Table sheets are
//!   written in constant-memory mode, row after row, so memory does not grow with their rows.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use chrono::{Days, Months, NaiveDate};
use rayon::prelude::*;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use rust_xlsxwriter::{
    cell_range, column_number_to_name, Chart, ChartFont, ChartFormat, ChartPoint, ChartSolidFill,
    ChartType, Color, ConditionalFormatFormula, DocProperties, ExcelDateTime, Format, FormatAlign,
    FormatBorder, Formula, Url, Workbook, Worksheet, XlsxError,
};

use super::workbook_text;
use crate::classify::{join_reasons, Risk};
use crate::config::Config;
use crate::hash::HashMap;
use crate::model::Ledger;
use crate::model::{format_money, minor_digits, round_money};
use crate::reconcile::{AllocationSource, Reconciliation};
use crate::report::Input;

/// The workbook's file name inside the run folder.
pub const FILE_NAME: &str = "aging-report.xlsx";

/// Rows of one Excel worksheet.
pub const EXCEL_ROWS: u32 = 1_048_576;

/// Days of sales the DSO looks back over.
const DSO_DAYS: u32 = 90;

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

// ---------------------------------------------------------------------------------------------
// Formats

/// Cell formats, one money format per currency with the currency's minor digits.
struct Styles {
    title: Format,
    subtitle: Format,
    header: Format,
    header_right: Format,
    section: Format,
    section_right: Format,
    label: Format,
    indent: Format,
    bold: Format,
    total_label: Format,
    date: Format,
    date_left: Format,
    int: Format,
    int_bold: Format,
    mean: Format,
    days: Format,
    percent: Format,
    note: Format,
    text: Format,
    link: Format,
    stand_out: Format,
    money: BTreeMap<String, Format>,
    money_total: BTreeMap<String, Format>,
    money_bold: BTreeMap<String, Format>,
}

const FONT: &str = "Calibri";
const HEADER_FILL: u32 = 0x1F_4E_79;
const SECTION_FILL: u32 = 0xDD_EB_F7;
const TOTAL_FILL: u32 = 0xF2_F2_F2;

impl Styles {
    fn new(o: &Input, rtl: bool) -> Styles {
        let base = || Format::new().set_font_name(FONT).set_font_size(10);
        // Hebrew text would otherwise align to the right in a left-to-right sheet (LibreOffice).
        let text = || {
            if rtl {
                base()
            } else {
                base().set_align(FormatAlign::Left)
            }
        };
        let header = base()
            .set_bold()
            .set_font_color(Color::White)
            .set_background_color(Color::RGB(HEADER_FILL))
            .set_text_wrap()
            .set_align(FormatAlign::VerticalCenter)
            .set_border_bottom(FormatBorder::Thin);
        let section = base()
            .set_bold()
            .set_font_size(11)
            .set_background_color(Color::RGB(SECTION_FILL))
            .set_border_bottom(FormatBorder::Thin);
        let total = || {
            base()
                .set_bold()
                .set_background_color(Color::RGB(TOTAL_FILL))
                .set_border_top(FormatBorder::Thin)
                .set_border_bottom(FormatBorder::Thin)
        };
        let mut currencies: BTreeSet<&str> = BTreeSet::new();
        currencies.extend(o.ledger.invoices.iter().map(|i| &*i.currency));
        currencies.extend(o.ledger.payments.iter().map(|p| &*p.currency));
        currencies.extend(o.recon.allocations.iter().map(|a| &*a.currency));
        let mut money = BTreeMap::new();
        let mut money_total = BTreeMap::new();
        let mut money_bold = BTreeMap::new();
        for currency in currencies {
            let code = money_format(currency);
            money.insert(currency.to_string(), base().set_num_format(&code));
            money_total.insert(currency.to_string(), total().set_num_format(&code));
            money_bold.insert(
                currency.to_string(),
                base()
                    .set_bold()
                    .set_border_top(FormatBorder::Thin)
                    .set_num_format(&code),
            );
        }
        Styles {
            title: base()
                .set_bold()
                .set_font_size(18)
                .set_font_color(Color::RGB(HEADER_FILL)),
            subtitle: text().set_bold().set_font_size(12),
            header_right: header.clone().set_align(FormatAlign::Right),
            header,
            section_right: section.clone().set_align(FormatAlign::Right),
            section,
            label: base(),
            indent: base().set_indent(1).set_font_color(Color::RGB(0x59_59_59)),
            bold: base().set_bold().set_border_top(FormatBorder::Thin),
            total_label: total(),
            date: base().set_num_format("dd mmm yyyy"),
            date_left: base()
                .set_num_format("dd mmm yyyy")
                .set_align(FormatAlign::Left),
            int: base().set_num_format("#,##0"),
            int_bold: base()
                .set_bold()
                .set_border_top(FormatBorder::Thin)
                .set_num_format("#,##0"),
            mean: base().set_num_format("0.00"),
            days: base().set_num_format("#,##0.0"),
            percent: base().set_num_format("0.0%"),
            note: base().set_italic().set_font_color(Color::RGB(0x59_59_59)),
            text: text(),
            link: base()
                .set_font_color(Color::RGB(0x05_63_C1))
                .set_underline(rust_xlsxwriter::FormatUnderline::Single),
            stand_out: Format::new()
                .set_background_color(Color::RGB(0xFF_C7_CE))
                .set_font_color(Color::RGB(0x9C_00_06)),
            money,
            money_total,
            money_bold,
        }
    }

    /// Gives every format its number in the workbook, in a fixed order, before the table sheets
    /// are written side by side: the library numbers a format when a sheet first uses it, and
    /// sheets written at once would number them in a different order each run.
    fn register(&self, workbook: &mut Workbook) -> Result<(), XlsxError> {
        let mut sheet = workbook.new_worksheet_with_constant_memory()?;
        let fixed = [
            &self.title,
            &self.subtitle,
            &self.header,
            &self.header_right,
            &self.section,
            &self.section_right,
            &self.label,
            &self.indent,
            &self.bold,
            &self.total_label,
            &self.date,
            &self.date_left,
            &self.int,
            &self.int_bold,
            &self.mean,
            &self.days,
            &self.percent,
            &self.note,
            &self.text,
            &self.link,
        ];
        let money = [&self.money, &self.money_total, &self.money_bold]
            .into_iter()
            .flat_map(BTreeMap::values);
        for format in fixed.into_iter().chain(money) {
            sheet.write_blank(0, 0, format)?;
        }
        Ok(())
    }

    fn money(&self, currency: &str) -> &Format {
        self.money.get(currency).unwrap_or(&self.label)
    }

    fn money_total(&self, currency: &str) -> &Format {
        self.money_total.get(currency).unwrap_or(&self.total_label)
    }

    fn money_bold(&self, currency: &str) -> &Format {
        self.money_bold.get(currency).unwrap_or(&self.bold)
    }
}

/// The number format of a currency: its symbol where one is common, else its code, and exactly
/// its minor digits; negative amounts (credits) in red; zero as a dash.
pub(crate) fn money_format(currency: &str) -> String {
    let digits = minor_digits(currency) as usize;
    let number = if digits == 0 {
        "#,##0".to_string()
    } else {
        format!("#,##0.{}", "0".repeat(digits))
    };
    let symbol = match currency {
        "ILS" => Some("₪"),
        "USD" => Some("$"),
        "EUR" => Some("€"),
        "GBP" => Some("£"),
        _ => None,
    };
    // A code from the data goes into a format string only after keeping letters alone.
    let code: String = currency.chars().filter(char::is_ascii_alphabetic).collect();
    match symbol {
        Some(s) => format!("\"{s}\"{number};[Red]-\"{s}\"{number};\"–\""),
        None => format!("{number} \"{code}\";[Red]-{number} \"{code}\";\"–\""),
    }
}

// ---------------------------------------------------------------------------------------------
// Tables

/// What a column holds, which decides its format and width.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Text,
    Date,
    Money,
    Int,
    Mean,
    Link,
}

struct Col {
    title: String,
    kind: Kind,
}

fn col(title: &str, kind: Kind) -> Col {
    Col {
        title: title.to_string(),
        kind,
    }
}

/// One cell of a table row.
enum Cell<'a> {
    Text(&'a str),
    Owned(String),
    Date(NaiveDate),
    Money(Decimal),
    Int(i64),
    Mean(Option<Decimal>),
    /// An internal link: target sheet and row, and the text shown.
    Link(String, u32, String),
    Empty,
}

type Fill<'a> = Box<dyn Fn(usize, &mut Vec<Cell<'a>>) -> &'a str + Sync + 'a>;

/// A table sheet: columns and a row function that fills row `i` and returns its currency.
struct Table<'a> {
    name: &'static str,
    cols: Vec<Col>,
    len: usize,
    fill: Fill<'a>,
    /// The column holding the currency code (the totals rows compare with it).
    currency_col: Option<usize>,
    /// The column of days overdue whose 90+ rows stand out.
    days_col: Option<usize>,
    /// Shown under the header when the table has no rows.
    empty: &'static str,
}

impl Table<'_> {
    /// The indices of the money columns.
    fn money_cols(&self) -> Vec<usize> {
        (0..self.cols.len())
            .filter(|&c| self.cols[c].kind == Kind::Money)
            .collect()
    }
}

/// Adds the money cells of one row to `sums` (one per money column).
fn add_money(sums: &mut [Decimal], cells: &[Cell<'_>], money_cols: &[usize]) {
    for (sum, &c) in sums.iter_mut().zip(money_cols) {
        if let Some(Cell::Money(m)) = cells.get(c) {
            *sum += *m;
        }
    }
}

/// Where a table's rows go: how many totals rows sit above the header, rows per sheet and the
/// sheets needed.
struct Layout {
    currencies: Vec<String>,
    /// The currency of most rows, whose money format the money columns carry.
    main_currency: Option<String>,
    header: u32,
    per_sheet: usize,
    sheets: usize,
    /// Per currency, the sums of the money columns over the whole table: the totals rows of a
    /// table that fits one sheet, without reading its rows once more.
    sums: BTreeMap<String, Vec<Decimal>>,
}

impl Layout {
    fn new(table: &Table<'_>, max_rows: u32) -> Layout {
        let money_cols = table.money_cols();
        let mut currencies: BTreeMap<&str, (usize, Vec<Decimal>)> = BTreeMap::new();
        let mut cells = Vec::with_capacity(table.cols.len());
        for i in 0..table.len {
            cells.clear();
            let currency = (table.fill)(i, &mut cells);
            let (n, sums) = currencies
                .entry(currency)
                .or_insert_with(|| (0, vec![Decimal::ZERO; money_cols.len()]));
            *n += 1;
            add_money(sums, &cells, &money_cols);
        }
        let main_currency = currencies
            .iter()
            .filter(|(c, _)| !c.is_empty())
            .max_by_key(|&(c, (n, _))| (*n, std::cmp::Reverse(*c)))
            .map(|(c, _)| (*c).to_string());
        let sums: BTreeMap<String, Vec<Decimal>> = currencies
            .into_iter()
            .filter(|(c, _)| !c.is_empty())
            .map(|(c, (_, sums))| (c.to_string(), sums))
            .collect();
        let currencies: Vec<String> = sums.keys().cloned().collect();
        let header = if table.len == 0 {
            0
        } else if !money_cols.is_empty() {
            u32::try_from(currencies.len()).unwrap_or(1)
        } else {
            1
        };
        let per_sheet = (max_rows.saturating_sub(header + 1) as usize).max(1);
        let sheets = table.len.div_ceil(per_sheet).max(1);
        Layout {
            currencies,
            main_currency,
            header,
            per_sheet,
            sheets,
            sums,
        }
    }

    /// The sheet and 0-based row of table row `i`.
    fn place(&self, name: &str, i: usize) -> (String, u32) {
        let part = i / self.per_sheet;
        let row = self.header + 1 + u32::try_from(i % self.per_sheet).unwrap_or(0);
        (sheet_name(name, part), row)
    }
}

fn sheet_name(name: &str, part: usize) -> String {
    if part == 0 {
        name.to_string()
    } else {
        format!("{name} ({})", part + 1)
    }
}

/// Characters a cell needs to show in full.
fn cell_width(cell: &Cell<'_>, currency: &str) -> usize {
    match cell {
        Cell::Text(t) => text_width(t),
        Cell::Owned(t) | Cell::Link(_, _, t) => text_width(t),
        Cell::Date(_) => 12,
        Cell::Money(m) => {
            let digits = money_len(*m, currency);
            // Thousands separators, the symbol or code, the sign.
            digits + digits / 3 + 5
        }
        Cell::Int(n) => int_len(*n) + 2,
        Cell::Mean(_) => 8,
        Cell::Empty => 0,
    }
}

/// The widest a column gets, in characters.
const WIDEST: usize = 48;

/// Characters of a text cell, counted no further than a column can be wide (memos run long).
fn text_width(text: &str) -> usize {
    text.chars().take(WIDEST).count() + 1
}

/// `format_money(amount, currency).len()`, counted without building the text: laying out a
/// million-row table asks this for every money cell.
fn money_len(amount: Decimal, currency: &str) -> usize {
    let rounded = round_money(amount, currency);
    let scale = rounded.scale() as usize;
    let mantissa = rounded.mantissa().unsigned_abs();
    let digits = mantissa.checked_ilog10().map_or(1, |d| d as usize + 1);
    let point = usize::from(scale > 0);
    let sign = usize::from(rounded.is_sign_negative() && !rounded.is_zero());
    sign + digits.max(scale + 1) + point
}

/// `n.to_string().len()`, counted.
fn int_len(n: i64) -> usize {
    let digits = n
        .unsigned_abs()
        .checked_ilog10()
        .map_or(1, |d| d as usize + 1);
    digits + usize::from(n < 0)
}

/// Writes sheet `part` of a table (the rows that do not fit one sheet continue on the next).
fn write_part(
    ws: &mut Worksheet,
    styles: &Styles,
    config: &Config,
    table: &Table<'_>,
    layout: &Layout,
    part: usize,
) -> Result<(), XlsxError> {
    let mut cells = Vec::with_capacity(table.cols.len());
    // Each column's usual format, set on the column; money columns take the table's most
    // frequent currency, and cells of other currencies carry their own format.
    let col_formats: Vec<Option<&Format>> = table
        .cols
        .iter()
        .map(|column| match column.kind {
            Kind::Text => Some(&styles.text),
            Kind::Date => Some(&styles.date),
            Kind::Int => Some(&styles.int),
            Kind::Mean => Some(&styles.mean),
            Kind::Money => layout.main_currency.as_deref().map(|c| styles.money(c)),
            Kind::Link => None,
        })
        .collect();
    let first = part * layout.per_sheet;
    let end = (first + layout.per_sheet).min(table.len);
    ws.set_name(sheet_name(table.name, part))?;
    ws.set_right_to_left(config.workbook_rtl);
    for (c, format) in col_formats.iter().enumerate() {
        if let Some(format) = format {
            ws.set_column_format(col_num(c), format)?;
        }
    }
    let header = layout.header;
    let last_col = col_num(table.cols.len() - 1);
    ws.set_freeze_panes(header + 1, 0)?;
    ws.set_repeat_rows(header, header)?;
    ws.set_landscape();
    ws.set_print_fit_to_pages(1, 0);
    let rows = u32::try_from(end - first).unwrap_or(0);
    let (first_row, last_row) = (header + 1, header + rows);
    if rows > 0 {
        ws.autofilter(header, 0, last_row, last_col)?;
        if let Some(days) = table.days_col {
            let rule = format!(
                "={}{}>={STAND_OUT_DAYS}",
                format_args!("${}", column_number_to_name(col_num(days))),
                first_row + 1
            );
            let stand_out = ConditionalFormatFormula::new()
                .set_rule(rule.as_str())
                .set_format(&styles.stand_out);
            ws.add_conditional_format(first_row, 0, last_row, last_col, &stand_out)?;
        }
    } else {
        ws.autofilter(header, 0, header, last_col)?;
    }

    // Totals rows above the header, so they stay in view; their formulas count only the
    // rows a filter leaves visible, and carry the full totals as cached results.
    if rows > 0 {
        write_totals(ws, styles, table, layout, first, end, first_row, last_row)?;
    }
    ws.set_row_height(header, 30)?;
    for (c, column) in table.cols.iter().enumerate() {
        let format = if matches!(column.kind, Kind::Money | Kind::Int | Kind::Mean) {
            &styles.header_right
        } else {
            &styles.header
        };
        ws.write_string_with_format(header, col_num(c), &column.title, format)?;
    }
    if rows == 0 {
        ws.write_string_with_format(header + 1, 0, table.empty, &styles.note)?;
    }
    // Column widths fit the titles and the cells of this sheet. They are counted as the rows
    // are written and set afterwards: the workbook writes the columns' settings when it saves.
    let mut widths: Vec<usize> = table
        .cols
        .iter()
        .map(|c| c.title.chars().count() + 3)
        .collect();
    for i in first..end {
        cells.clear();
        let currency = (table.fill)(i, &mut cells);
        let row = first_row + u32::try_from(i - first).unwrap_or(0);
        for (c, cell) in cells.iter().enumerate() {
            let column = col_formats.get(c).copied().flatten();
            write_cell(ws, styles, row, col_num(c), cell, currency, column)?;
        }
        for (w, cell) in widths.iter_mut().zip(&cells) {
            *w = (*w).max(cell_width(cell, currency));
        }
    }
    for ((c, width), column) in widths.into_iter().enumerate().zip(&table.cols) {
        let max = if column.kind == Kind::Text {
            WIDEST
        } else {
            22
        };
        #[allow(clippy::cast_precision_loss)]
        ws.set_column_width(col_num(c), width.clamp(6, max) as f64)?;
    }
    Ok(())
}

/// The totals rows of one sheet of a table: one per currency (money columns), or a row count.
#[allow(clippy::too_many_arguments)]
fn write_totals(
    ws: &mut Worksheet,
    styles: &Styles,
    table: &Table<'_>,
    layout: &Layout,
    first: usize,
    end: usize,
    first_row: u32,
    last_row: u32,
) -> Result<(), XlsxError> {
    let money_cols = table.money_cols();
    let last_col = col_num(table.cols.len() - 1);
    if money_cols.is_empty() {
        ws.write_string_with_format(0, 0, "Rows shown", &styles.total_label)?;
        let range = cell_range(first_row, 0, last_row, 0);
        let formula =
            Formula::new(format!("SUBTOTAL(103,{range})")).set_result((end - first).to_string());
        ws.write_formula_with_format(0, 1, formula, &styles.total_label)?;
        for c in 2..=last_col {
            ws.write_blank(0, c, &styles.total_label)?;
        }
        return Ok(());
    }
    // A table on one sheet has the sums the layout made; the sheets of a longer one add up
    // their own rows.
    let whole = layout.sheets == 1;
    let mut sums: BTreeMap<&str, Vec<Decimal>> = layout
        .sums
        .iter()
        .map(|(c, sums)| {
            let sums = if whole {
                sums.clone()
            } else {
                vec![Decimal::ZERO; money_cols.len()]
            };
            (c.as_str(), sums)
        })
        .collect();
    if !whole {
        let mut cells = Vec::with_capacity(table.cols.len());
        for i in first..end {
            cells.clear();
            let currency = (table.fill)(i, &mut cells);
            if let Some(sums) = sums.get_mut(currency) {
                add_money(sums, &cells, &money_cols);
            }
        }
    }
    let single = layout.currencies.len() == 1;
    for (r, (currency, sum)) in sums.iter().enumerate() {
        let row = u32::try_from(r).unwrap_or(0);
        for c in 0..=last_col {
            ws.write_blank(row, c, &styles.total_label)?;
        }
        let label = if single {
            "Total (visible rows)"
        } else {
            "Total by currency (visible rows)"
        };
        ws.write_string_with_format(row, 0, label, &styles.total_label)?;
        let Some(cur_col) = table.currency_col.map(col_num) else {
            continue;
        };
        ws.write_string_with_format(row, cur_col, *currency, &styles.total_label)?;
        for (amount, &c) in sum.iter().zip(&money_cols) {
            let c = col_num(c);
            let range = cell_range(first_row, c, last_row, c);
            let text = if single {
                format!("SUBTOTAL(109,{range})")
            } else {
                // Visible rows of this currency: SUBTOTAL of each row, times the currency match.
                let top = rust_xlsxwriter::row_col_to_cell(first_row, c);
                let currencies = cell_range(first_row, cur_col, last_row, cur_col);
                let this = rust_xlsxwriter::row_col_to_cell_absolute(row, cur_col);
                format!(
                    "SUMPRODUCT(SUBTOTAL(109,OFFSET({top},ROW({range})-ROW({top}),0)),--({currencies}={this}))"
                )
            };
            let formula = Formula::new(text).set_result(format_money(*amount, currency));
            ws.write_formula_with_format(row, c, formula, styles.money_total(currency))?;
        }
    }
    Ok(())
}

fn col_num(c: usize) -> u16 {
    u16::try_from(c).unwrap_or(u16::MAX)
}

/// Writes one cell: text formula-safe as a string, dates and money as numbers with formats.
fn write_cell(
    ws: &mut Worksheet,
    styles: &Styles,
    row: u32,
    col: u16,
    cell: &Cell<'_>,
    currency: &str,
    column: Option<&Format>,
) -> Result<(), XlsxError> {
    match cell {
        Cell::Text(t) => write_text(ws, styles, row, col, t, column),
        Cell::Owned(t) => write_text(ws, styles, row, col, t, column),
        Cell::Date(d) => Sheet::date(ws, row, col, *d, &styles.date, column),
        Cell::Money(m) => Sheet::money(ws, row, col, *m, styles.money(currency), column),
        #[allow(clippy::cast_precision_loss)]
        Cell::Int(n) => Sheet::number(ws, row, col, *n as f64, &styles.int, column),
        Cell::Mean(Some(m)) => {
            let mean = m.to_f64().unwrap_or(0.0);
            Sheet::number(ws, row, col, mean, &styles.mean, column)
        }
        Cell::Mean(None) | Cell::Empty => Ok(()),
        Cell::Link(sheet, target_row, text) => {
            let target = format!(
                "internal:{}!A{}",
                rust_xlsxwriter::quote_sheet_name(sheet),
                target_row + 1
            );
            ws.write_url_with_format(row, col, Url::new(target).set_text(text), &styles.link)
                .map(|_| ())
        }
    }
}

fn write_text(
    ws: &mut Worksheet,
    styles: &Styles,
    row: u32,
    col: u16,
    text: &str,
    column: Option<&Format>,
) -> Result<(), XlsxError> {
    if text.is_empty() {
        return Ok(());
    }
    let text = workbook_text(text);
    if is_column_format(&styles.text, column) {
        ws.write_string(row, col, text)
    } else {
        ws.write_string_with_format(row, col, text, &styles.text)
    }
    .map(|_| ())
}

/// The two conversions at the cell boundary.
struct Sheet;

impl Sheet {
    /// Money as an Excel number: the one place a `Decimal` becomes an `f64`.
    fn money(
        ws: &mut Worksheet,
        row: u32,
        col: u16,
        amount: Decimal,
        format: &Format,
        column: Option<&Format>,
    ) -> Result<(), XlsxError> {
        let value = amount.to_f64().unwrap_or(0.0);
        Sheet::number(ws, row, col, value, format, column)
    }

    /// A number, bare when `format` is its column's.
    fn number(
        ws: &mut Worksheet,
        row: u32,
        col: u16,
        value: f64,
        format: &Format,
        column: Option<&Format>,
    ) -> Result<(), XlsxError> {
        if is_column_format(format, column) {
            ws.write_number(row, col, value)
        } else {
            ws.write_number_with_format(row, col, value, format)
        }
        .map(|_| ())
    }

    /// A date as an Excel date (a serial number with a date format).
    fn date(
        ws: &mut Worksheet,
        row: u32,
        col: u16,
        date: NaiveDate,
        format: &Format,
        column: Option<&Format>,
    ) -> Result<(), XlsxError> {
        let date = excel_date(date)?;
        if is_column_format(format, column) {
            ws.write_datetime(row, col, date)
        } else {
            ws.write_datetime_with_format(row, col, date, format)
        }
        .map(|_| ())
    }
}

/// Whether a cell's format is the one its column already carries ([`write_part`] sets one per
/// column). Such a cell is written bare and rust_xlsxwriter gives it the column's style, so the
/// file is the same, without a lookup of the whole format (hashed and compared field by field)
/// for every cell of a million-row sheet: that lookup was ~14% of a run's CPU.
fn is_column_format(format: &Format, column: Option<&Format>) -> bool {
    column.is_some_and(|c| std::ptr::eq(c, format))
}

// ---------------------------------------------------------------------------------------------
// The table sheets

/// Where each client's open items start on the `Open items` sheets, for links.
struct ItemLinks<'a> {
    /// (client, currency) -> (sheet, row, number of open items). Only looked up.
    first: HashMap<(&'a str, &'a str), (String, u32, usize)>,
}

impl<'a> ItemLinks<'a> {
    fn new(o: &'a Input, layout: &Layout, name: &str) -> ItemLinks<'a> {
        let mut first: HashMap<(&str, &str), (String, u32, usize)> = HashMap::default();
        for (i, item) in o.class.items.iter().enumerate() {
            let inv = &o.ledger.invoices[item.invoice];
            first
                .entry((&*inv.client, &*inv.currency))
                .and_modify(|e| e.2 += 1)
                .or_insert_with(|| {
                    let (sheet, row) = layout.place(name, i);
                    (sheet, row, 1)
                });
        }
        ItemLinks { first }
    }

    fn cell(&self, client: &str, currency: &str) -> Cell<'static> {
        match self.first.get(&(client, currency)) {
            Some((sheet, row, n)) => Cell::Link(
                sheet.clone(),
                *row,
                if *n == 1 {
                    "1 open item".to_string()
                } else {
                    format!("{n} open items")
                },
            ),
            None => Cell::Empty,
        }
    }
}

fn clients_table<'a>(config: &'a Config, o: &'a Input, links: &'a ItemLinks<'_>) -> Table<'a> {
    let mut cols = vec![
        col("Client id", Kind::Text),
        col("Client", Kind::Text),
        col("Currency", Kind::Text),
    ];
    for label in &o.class.bucket_labels {
        cols.push(col(label, Kind::Money));
    }
    let n = o.class.bucket_labels.len();
    cols.extend([
        col("Open total", Kind::Money),
        col("Unapplied credit", Kind::Money),
        col("Net balance", Kind::Money),
        col("Withheld", Kind::Money),
        col("Bank fees", Kind::Money),
        col("Oldest days overdue", Kind::Int),
        col("Level", Kind::Text),
        col("Risk", Kind::Text),
        col("Risk reasons", Kind::Text),
        col("Settled invoices", Kind::Int),
        col("Mean days to pay", Kind::Mean),
        col("Mean days late", Kind::Mean),
        col("Open items", Kind::Link),
    ]);
    Table {
        name: "Clients",
        cols,
        len: o.class.clients.len(),
        currency_col: Some(2),
        days_col: Some(3 + n + 5),
        empty: "No client has an open balance or a credit.",
        fill: Box::new(move |i, cells| {
            let c = &o.class.clients[i];
            cells.extend([
                Cell::Text(&c.client),
                Cell::Text(&c.name),
                Cell::Text(&c.currency),
            ]);
            cells.extend(c.buckets.iter().map(|b| Cell::Money(*b)));
            cells.extend([
                Cell::Money(c.open_total),
                Cell::Money(c.unapplied_credit),
                Cell::Money(c.net_balance),
                Cell::Money(c.withheld),
                Cell::Money(c.fees),
                Cell::Int(c.oldest_days_overdue),
                Cell::Text(c.level_name(config)),
                Cell::Text(c.risk.as_str()),
                Cell::Owned(join_reasons(&c.risk_reasons)),
                Cell::Int(i64::try_from(c.behaviour.settled).unwrap_or(i64::MAX)),
                Cell::Mean(c.behaviour.mean_days_to_pay()),
                Cell::Mean(c.behaviour.mean_days_late()),
                links.cell(&c.client, &c.currency),
            ]);
            &c.currency
        }),
    }
}

fn open_items_table(o: &Input) -> Table<'_> {
    Table {
        name: "Open items",
        cols: vec![
            col("Client id", Kind::Text),
            col("Client", Kind::Text),
            col("Invoice", Kind::Text),
            col("Invoice date", Kind::Date),
            col("Due date", Kind::Date),
            col("Currency", Kind::Text),
            col("Amount", Kind::Money),
            col("Paid", Kind::Money),
            col("Open", Kind::Money),
            col("Days overdue", Kind::Int),
            col("Bucket", Kind::Text),
            col("Disputed", Kind::Text),
        ],
        len: o.class.items.len(),
        currency_col: Some(5),
        days_col: Some(9),
        empty: "Nothing is open.",
        fill: Box::new(move |i, cells| {
            let item = &o.class.items[i];
            let inv = &o.ledger.invoices[item.invoice];
            cells.extend([
                Cell::Text(&inv.client),
                Cell::Text(&inv.client_name),
                Cell::Text(&inv.number),
                Cell::Date(inv.date),
                Cell::Date(inv.due),
                Cell::Text(&inv.currency),
                Cell::Money(inv.amount),
                Cell::Money(item.paid),
                Cell::Money(item.open),
                Cell::Int(item.days_overdue),
                Cell::Text(&o.class.bucket_labels[item.bucket]),
                Cell::Text(if inv.disputed { "yes" } else { "no" }),
            ]);
            &inv.currency
        }),
    }
}

fn allocations_table(o: &Input) -> Table<'_> {
    Table {
        name: "Allocations",
        cols: vec![
            col("Payment id", Kind::Text),
            col("Payment date", Kind::Date),
            col("Client id", Kind::Text),
            col("Invoice", Kind::Text),
            col("Currency", Kind::Text),
            col("Amount", Kind::Money),
            col("Rule", Kind::Text),
        ],
        len: o.recon.allocations.len(),
        currency_col: Some(4),
        days_col: None,
        empty: "No payment or credit note was allocated.",
        fill: Box::new(move |i, cells| {
            let a = &o.recon.allocations[i];
            cells.extend([
                Cell::Text(a.source.id(&o.ledger)),
                a.date.map_or(Cell::Empty, Cell::Date),
                Cell::Text(&a.client),
                a.invoice_number(&o.ledger).map_or(Cell::Empty, Cell::Text),
                Cell::Text(&a.currency),
                Cell::Money(a.amount),
                Cell::Text(a.rule.as_str()),
            ]);
            &a.currency
        }),
    }
}

fn unapplied_table(o: &Input) -> Table<'_> {
    // The order of unapplied.csv: payment date, then payment id.
    let mut order: Vec<usize> = (0..o.recon.unapplied.len()).collect();
    order.sort_by(|&a, &b| {
        let pa = &o.ledger.payments[o.recon.unapplied[a].payment];
        let pb = &o.ledger.payments[o.recon.unapplied[b].payment];
        (pa.date, &pa.id).cmp(&(pb.date, &pb.id))
    });
    Table {
        name: "Unapplied",
        cols: vec![
            col("Payment id", Kind::Text),
            col("Payment date", Kind::Date),
            col("Payer", Kind::Text),
            col("Client id", Kind::Text),
            col("Currency", Kind::Text),
            col("Amount", Kind::Money),
            col("Reason", Kind::Text),
        ],
        len: order.len(),
        currency_col: Some(4),
        days_col: None,
        empty: "Every payment was matched and fully applied.",
        fill: Box::new(move |i, cells| {
            let u = &o.recon.unapplied[order[i]];
            let p = &o.ledger.payments[u.payment];
            cells.extend([
                Cell::Text(&p.id),
                Cell::Date(p.date),
                p.payer.as_deref().map_or(Cell::Empty, Cell::Text),
                u.client.as_deref().map_or(Cell::Empty, Cell::Text),
                Cell::Text(&u.currency),
                Cell::Money(u.amount),
                Cell::Text(&u.reason),
            ]);
            &u.currency
        }),
    }
}

fn worklist_table<'a>(config: &'a Config, o: &'a Input, links: &'a ItemLinks<'_>) -> Table<'a> {
    Table {
        name: "Worklist",
        cols: vec![
            col("Rank", Kind::Int),
            col("Client id", Kind::Text),
            col("Client", Kind::Text),
            col("Currency", Kind::Text),
            col("Overdue", Kind::Money),
            col("Oldest days overdue", Kind::Int),
            col("Level", Kind::Text),
            col("Risk", Kind::Text),
            col("Last letter", Kind::Text),
            col("Collector", Kind::Text),
            col("Phone", Kind::Text),
            col("Email", Kind::Text),
            col("Action", Kind::Text),
            col("Open items", Kind::Link),
        ],
        len: o.class.worklist.len(),
        currency_col: Some(3),
        days_col: Some(5),
        empty: "Nothing is overdue.",
        fill: Box::new(move |rank, cells| {
            let c = &o.class.clients[o.class.worklist[rank]];
            let client = o.ledger.clients.get(&c.client);
            let opt = |v: Option<&'a String>| v.map_or(Cell::Empty, |s| Cell::Text(s.as_str()));
            cells.extend([
                Cell::Int(i64::try_from(rank + 1).unwrap_or(i64::MAX)),
                Cell::Text(&c.client),
                Cell::Text(&c.name),
                Cell::Text(&c.currency),
                Cell::Money(c.overdue),
                Cell::Int(c.oldest_days_overdue),
                Cell::Text(c.level_name(config)),
                Cell::Text(c.risk.as_str()),
                o.class
                    .last_letter
                    .get(&c.client)
                    .map_or(Cell::Empty, |(date, level)| {
                        Cell::Owned(format!("{date} {level}"))
                    }),
                opt(client.and_then(|c| c.collector.as_ref())),
                opt(client.and_then(|c| c.phone.as_ref())),
                opt(client.and_then(|c| c.email.as_ref())),
                Cell::Text(c.action()),
                links.cell(&c.client, &c.currency),
            ]);
            &c.currency
        }),
    }
}

fn issues_table(o: &Input) -> Table<'_> {
    let sorted = super::csv::sorted_issues(&o.ledger.issues);
    Table {
        name: "Issues",
        cols: vec![
            col("Severity", Kind::Text),
            col("File", Kind::Text),
            col("Sheet", Kind::Text),
            col("Row", Kind::Int),
            col("Column", Kind::Text),
            col("Value", Kind::Text),
            col("Message", Kind::Text),
        ],
        len: sorted.len(),
        currency_col: None,
        days_col: None,
        empty: "No issues: every input row was used.",
        fill: Box::new(move |i, cells| {
            let issue = sorted[i];
            cells.extend([
                Cell::Text(issue.severity.as_str()),
                Cell::Text(&issue.file),
                issue.sheet.as_deref().map_or(Cell::Empty, Cell::Text),
                issue.row.map_or(Cell::Empty, |r| Cell::Int(i64::from(r))),
                issue.column.as_deref().map_or(Cell::Empty, Cell::Text),
                issue.value.as_deref().map_or(Cell::Empty, Cell::Text),
                Cell::Text(&issue.message),
            ]);
            ""
        }),
    }
}

// ---------------------------------------------------------------------------------------------
// Key figures

/// DSO and CEI of one currency, with the figures they are computed from (README, "The
/// workbook").
#[derive(Clone, Debug, Default, PartialEq)]
pub struct KeyFigures {
    /// Open receivables at the as-of date (the sum of the aging buckets).
    pub open: Decimal,
    /// The `Not due` bucket at the as-of date.
    pub current: Decimal,
    /// Invoices net of credit notes dated in the 90 days up to the as-of date.
    pub sales_90: Decimal,
    /// `open / sales_90 * 90`, `None` without sales.
    pub dso: Option<Decimal>,
    /// The day before the CEI month starts: the as-of date one month earlier.
    pub month_start: NaiveDate,
    /// Receivables open at `month_start`, rebuilt from the documents and dated allocations.
    pub beginning: Decimal,
    /// Invoices net of credit notes dated after `month_start`, up to the as-of date.
    pub sales_month: Decimal,
    /// `(beginning + sales_month - open) / (beginning + sales_month - current)`, as a fraction.
    pub cei: Option<Decimal>,
}

/// The key figures per currency (every currency with open items, invoices or payments).
#[must_use]
pub fn key_figures(
    ledger: &Ledger,
    recon: &Reconciliation,
    totals: &BTreeMap<String, Vec<Decimal>>,
    as_of: NaiveDate,
) -> BTreeMap<String, KeyFigures> {
    let month_start = as_of.checked_sub_months(Months::new(1)).unwrap_or(as_of);
    let dso_start = as_of
        .checked_sub_days(Days::new(u64::from(DSO_DAYS)))
        .unwrap_or(as_of);
    let mut figures: BTreeMap<String, KeyFigures> = BTreeMap::new();
    let blank = KeyFigures {
        month_start,
        ..KeyFigures::default()
    };
    for inv in ledger.invoices.iter().filter(|i| i.date <= as_of) {
        if !figures.contains_key(&*inv.currency) {
            figures.insert(inv.currency.to_string(), blank.clone());
        }
        let Some(f) = figures.get_mut(&*inv.currency) else {
            continue;
        };
        if inv.date > dso_start {
            f.sales_90 += inv.amount;
        }
        if inv.date > month_start {
            f.sales_month += inv.amount;
        } else {
            f.beginning += inv.amount - inv.prepaid;
        }
    }
    // Money received on or before the month start, for documents that existed then. Credit
    // notes only move balances between documents of the same currency (their own amounts are
    // in the sums above); write-offs are undated and fall at the as-of date.
    for a in &recon.allocations {
        let (Some(date), Some(invoice)) = (a.date, a.invoice) else {
            continue;
        };
        if matches!(a.source, AllocationSource::CreditNote(_)) || date > month_start {
            continue;
        }
        if ledger.invoices[invoice].date <= month_start {
            if let Some(f) = figures.get_mut(&*a.currency) {
                f.beginning -= a.amount;
            }
        }
    }
    for (currency, buckets) in totals {
        let f = figures
            .entry(currency.clone())
            .or_insert_with(|| blank.clone());
        f.open = buckets.iter().copied().sum();
        f.current = buckets.first().copied().unwrap_or_default();
    }
    for f in figures.values_mut() {
        if f.sales_90 > Decimal::ZERO {
            f.dso = Some(f.open / f.sales_90 * Decimal::from(DSO_DAYS));
        }
        let denominator = f.beginning + f.sales_month - f.current;
        if denominator > Decimal::ZERO {
            f.cei = Some((f.beginning + f.sales_month - f.open) / denominator);
        }
    }
    figures
}

// ---------------------------------------------------------------------------------------------
// Summary

#[allow(clippy::too_many_lines)]
fn write_summary(
    ws: &mut Worksheet,
    st: &Styles,
    config: &Config,
    o: &Input,
    continued: &[(&str, usize)],
) -> Result<(), XlsxError> {
    ws.set_name("Summary")?;
    ws.set_right_to_left(config.workbook_rtl);
    ws.set_landscape();
    ws.set_print_fit_to_pages(1, 1);
    ws.set_screen_gridlines(false);
    let figures = key_figures(&o.ledger, &o.recon, &o.class.totals, o.as_of);
    let mut currencies: BTreeSet<&str> = o.class.totals.keys().map(String::as_str).collect();
    currencies.extend(o.recon.unapplied.iter().map(|u| &*u.currency));
    currencies.extend(figures.keys().map(String::as_str));
    let currencies: Vec<&str> = currencies.into_iter().collect();
    let wide = currencies.len().max(4);
    ws.set_column_width(0, 40)?;
    for c in 1..=wide {
        ws.set_column_width(col_num(c), 16)?;
    }

    ws.write_string_with_format(0, 0, "Receivables aging report", &st.title)?;
    ws.set_row_height(0, 26)?;
    let mut row = 1;
    if let Some(name) = &config.company.name {
        ws.write_string_with_format(row, 0, workbook_text(name), &st.subtitle)?;
        row += 1;
    }
    ws.write_string_with_format(row, 0, "As of", &st.label)?;
    Sheet::date(ws, row, 1, o.as_of, &st.date_left, None)?;
    row += 1;
    ws.write_string_with_format(row, 0, "Read", &st.label)?;
    ws.write_string_with_format(
        row,
        1,
        format!(
            "{} invoices and credit notes, {} payments, {} clients, from {} inputs",
            o.ledger.invoices.len(),
            o.ledger.payments.len(),
            o.ledger.clients.len(),
            o.ledger.inputs.len()
        ),
        &st.label,
    )?;
    row += 1;
    ws.write_string_with_format(row, 0, "Written by", &st.label)?;
    ws.write_string_with_format(
        row,
        1,
        format!("arrears {}", env!("CARGO_PKG_VERSION")),
        &st.label,
    )?;
    row += 2;

    // Open receivables by age, one column per currency.
    let section = |ws: &mut Worksheet, row: u32, title: &str, heads: &[&str]| {
        ws.write_string_with_format(row, 0, title, &st.section)?;
        for (c, h) in heads.iter().enumerate() {
            ws.write_string_with_format(row, col_num(c + 1), *h, &st.section_right)?;
        }
        for c in heads.len() + 1..=wide {
            ws.write_blank(row, col_num(c), &st.section)?;
        }
        Ok::<(), XlsxError>(())
    };
    let aging_top = row;
    section(ws, row, "Open receivables by age", &currencies)?;
    row += 1;
    let buckets_first = row;
    let labels = &o.class.bucket_labels;
    let zero = vec![Decimal::ZERO; labels.len()];
    for (b, label) in labels.iter().enumerate() {
        ws.write_string_with_format(row, 0, label, &st.label)?;
        for (c, cur) in currencies.iter().enumerate() {
            let amounts = o.class.totals.get(*cur).unwrap_or(&zero);
            Sheet::money(ws, row, col_num(c + 1), amounts[b], st.money(cur), None)?;
        }
        row += 1;
    }
    let buckets_last = row - 1;
    let per_currency =
        |f: &dyn Fn(&str) -> Decimal| -> Vec<Decimal> { currencies.iter().map(|c| f(c)).collect() };
    let open = per_currency(&|c| {
        o.class
            .totals
            .get(c)
            .map(|b| b.iter().copied().sum())
            .unwrap_or_default()
    });
    let overdue = per_currency(&|c| {
        o.class
            .totals
            .get(c)
            .map(|b| b.iter().skip(1).copied().sum())
            .unwrap_or_default()
    });
    let credits = per_currency(&|c| {
        o.class
            .clients
            .iter()
            .filter(|s| s.currency == c)
            .map(|s| s.unapplied_credit)
            .sum()
    });
    let net = per_currency(&|c| {
        o.class
            .clients
            .iter()
            .filter(|s| s.currency == c)
            .map(|s| s.net_balance)
            .sum()
    });
    let unmatched = per_currency(&|c| {
        o.recon
            .unapplied
            .iter()
            .filter(|u| u.client.is_none() && *u.currency == *c)
            .map(|u| u.amount)
            .sum()
    });
    let money_row = |ws: &mut Worksheet, row: u32, label: &str, values: &[Decimal], bold: bool| {
        ws.write_string_with_format(row, 0, label, if bold { &st.bold } else { &st.label })?;
        for (c, (cur, v)) in currencies.iter().zip(values).enumerate() {
            let format = if bold {
                st.money_bold(cur)
            } else {
                st.money(cur)
            };
            Sheet::money(ws, row, col_num(c + 1), *v, format, None)?;
        }
        Ok::<(), XlsxError>(())
    };
    money_row(ws, row, "Total open", &open, true)?;
    row += 1;
    money_row(ws, row, "Overdue (1 day or more)", &overdue, false)?;
    row += 1;
    ws.write_string_with_format(row, 0, "Share overdue", &st.label)?;
    for (c, (o_, d)) in open.iter().zip(&overdue).enumerate() {
        if *o_ > Decimal::ZERO {
            let share = (*d / *o_).to_f64().unwrap_or(0.0);
            ws.write_number_with_format(row, col_num(c + 1), share, &st.percent)?;
        }
    }
    row += 1;
    money_row(ws, row, "Client credits (unapplied)", &credits, false)?;
    row += 1;
    money_row(ws, row, "Net balance (open − credits)", &net, false)?;
    row += 1;
    money_row(
        ws,
        row,
        "Unmatched payments (sheet Unapplied)",
        &unmatched,
        false,
    )?;
    row += 1;
    let withheld = per_currency(&|c| {
        o.class
            .clients
            .iter()
            .filter(|s| s.currency == c)
            .map(|s| s.withheld)
            .sum()
    });
    let fees = per_currency(&|c| {
        o.class
            .clients
            .iter()
            .filter(|s| s.currency == c)
            .map(|s| s.fees)
            .sum()
    });
    money_row(
        ws,
        row,
        "Withheld at source (certificates to collect)",
        &withheld,
        false,
    )?;
    row += 1;
    money_row(ws, row, "Bank fees closed", &fees, false)?;
    row += 2;

    // Key figures.
    section(ws, row, "Key figures", &currencies)?;
    row += 1;
    let month_start = o
        .as_of
        .checked_sub_months(Months::new(1))
        .unwrap_or(o.as_of);
    let dso_start = o
        .as_of
        .checked_sub_days(Days::new(u64::from(DSO_DAYS)))
        .unwrap_or(o.as_of);
    let get = |c: &str| figures.get(c).cloned().unwrap_or_default();
    ws.write_string_with_format(row, 0, "DSO, days sales outstanding", &st.label)?;
    for (c, cur) in currencies.iter().enumerate() {
        if let Some(dso) = get(cur).dso {
            let v = dso.to_f64().unwrap_or(0.0);
            ws.write_number_with_format(row, col_num(c + 1), v, &st.days)?;
        } else {
            ws.write_string_with_format(row, col_num(c + 1), "n/a", &st.note)?;
        }
    }
    row += 1;
    let v = per_currency(&|c| get(c).open);
    money_row(ws, row, "   open receivables", &v, false)?;
    ws.set_cell_format(row, 0, &st.indent)?;
    row += 1;
    let v = per_currency(&|c| get(c).sales_90);
    let label = format!(
        "   ÷ sales {} to {} × {DSO_DAYS}",
        dso_start + Days::new(1),
        o.as_of
    );
    money_row(ws, row, &label, &v, false)?;
    ws.set_cell_format(row, 0, &st.indent)?;
    row += 1;
    ws.write_string_with_format(row, 0, "CEI, collection effectiveness (month)", &st.label)?;
    for (c, cur) in currencies.iter().enumerate() {
        if let Some(cei) = get(cur).cei {
            let v = cei.to_f64().unwrap_or(0.0);
            ws.write_number_with_format(row, col_num(c + 1), v, &st.percent)?;
        } else {
            ws.write_string_with_format(row, col_num(c + 1), "n/a", &st.note)?;
        }
    }
    row += 1;
    for (label, pick) in [
        (
            format!("   receivables at {month_start} (B)"),
            (|f: &KeyFigures| f.beginning) as fn(&KeyFigures) -> Decimal,
        ),
        (
            format!("   sales {} to {} (S)", month_start + Days::new(1), o.as_of),
            |f: &KeyFigures| f.sales_month,
        ),
        (
            format!("   receivables at {} (E)", o.as_of),
            |f: &KeyFigures| f.open,
        ),
        (
            "   of which not yet due (C)".to_string(),
            |f: &KeyFigures| f.current,
        ),
    ] {
        let v = per_currency(&|c| pick(&get(c)));
        money_row(ws, row, &label, &v, false)?;
        ws.set_cell_format(row, 0, &st.indent)?;
        row += 1;
    }
    ws.write_string_with_format(
        row,
        0,
        "   CEI = (B + S − E) ÷ (B + S − C); formulas in the README",
        &st.note,
    )?;
    row += 2;

    // Clients by level and risk.
    let risks = [Risk::Low, Risk::Medium, Risk::High];
    section(
        ws,
        row,
        "Clients by level and risk (client × currency)",
        &["low", "medium", "high", "total"],
    )?;
    row += 1;
    let mut levels: Vec<&str> = vec!["none"];
    levels.extend(config.dunning_levels.iter().map(|l| l.name.as_str()));
    let mut counts: BTreeMap<(&str, Risk), i64> = BTreeMap::new();
    for c in &o.class.clients {
        *counts.entry((c.level_name(config), c.risk)).or_default() += 1;
    }
    #[allow(clippy::cast_precision_loss)]
    let count_row = |ws: &mut Worksheet, row: u32, label: &str, n: &[i64], bold: bool| {
        ws.write_string_with_format(row, 0, label, if bold { &st.bold } else { &st.label })?;
        for (c, v) in n.iter().enumerate() {
            let f = if bold { &st.int_bold } else { &st.int };
            ws.write_number_with_format(row, col_num(c + 1), *v as f64, f)?;
        }
        Ok::<(), XlsxError>(())
    };
    let mut column_totals = [0i64; 4];
    for level in &levels {
        let mut n: Vec<i64> = risks
            .iter()
            .map(|r| counts.get(&(*level, *r)).copied().unwrap_or(0))
            .collect();
        n.push(n.iter().sum());
        for (t, v) in column_totals.iter_mut().zip(&n) {
            *t += v;
        }
        count_row(ws, row, level, &n, false)?;
        row += 1;
    }
    count_row(ws, row, "Total", &column_totals, true)?;
    row += 2;

    // Changes since the previous run.
    let changes = &o.changes;
    let title = match &changes.previous_run {
        Some(date) => format!("Changes since the run of {date}"),
        None => "Changes since the last run".to_string(),
    };
    section(ws, row, &title, &[])?;
    row += 1;
    if changes.previous_run.is_none() {
        ws.write_string_with_format(
            row,
            0,
            "First run in this output folder: nothing to compare with.",
            &st.note,
        )?;
        row += 1;
    } else {
        let name_of = |id: &String| -> String {
            match o.ledger.clients.get(id) {
                Some(c) if !c.name.is_empty() && c.name != *id => format!("{} ({id})", c.name),
                _ => id.clone(),
            }
        };
        for (label, list, payments) in [
            ("Newly overdue", &changes.newly_overdue, false),
            ("Escalated to a higher level", &changes.escalated, false),
            ("No longer overdue", &changes.cured, false),
            (
                "Promised payment date passed",
                &changes.promises_broken,
                false,
            ),
            ("New unmatched payments", &changes.new_unmatched, true),
        ] {
            ws.write_string_with_format(row, 0, label, &st.label)?;
            #[allow(clippy::cast_precision_loss)]
            ws.write_number_with_format(row, 1, list.len() as f64, &st.int)?;
            let shown: Vec<String> = list
                .iter()
                .take(8)
                .map(|id| if payments { id.clone() } else { name_of(id) })
                .collect();
            let mut text = shown.join(", ");
            if list.len() > shown.len() {
                text.push_str(&format!(" and {} more", list.len() - shown.len()));
            }
            write_text(ws, st, row, 2, &text, None)?;
            row += 1;
        }
    }
    row += 1;

    // Notes.
    section(ws, row, "Notes", &[])?;
    row += 1;
    let errors = o
        .ledger
        .issues
        .iter()
        .filter(|i| i.severity == crate::model::Severity::Error)
        .count();
    let mut notes = vec![
        format!(
            "Issues in the inputs: {errors} errors, {} warnings (sheet Issues).",
            o.ledger.issues.len() - errors
        ),
        "Amounts in different currencies are never added together.".to_string(),
        format!(
            "Rows with an item {STAND_OUT_DAYS} or more days overdue are shaded red; totals rows count the rows a filter shows."
        ),
    ];
    for (name, sheets) in continued {
        notes.push(format!(
            "{name} is longer than one sheet: it continues on {}.",
            (1..*sheets)
                .map(|p| format!("'{}'", sheet_name(name, p)))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    for note in notes {
        ws.write_string_with_format(row, 0, note, &st.note)?;
        row += 1;
    }

    // One chart per currency beside the aging table: the buckets at a glance.
    let chart_col = col_num(wide + 2);
    for (c, cur) in currencies.iter().enumerate() {
        let mut chart = Chart::new(ChartType::Column);
        let value_col = col_num(c + 1);
        let colors = bucket_colors(labels.len());
        let points: Vec<ChartPoint> = colors
            .iter()
            .map(|rgb| {
                ChartPoint::new().set_format(
                    ChartFormat::new()
                        .set_solid_fill(ChartSolidFill::new().set_color(Color::RGB(*rgb)))
                        .set_no_border(),
                )
            })
            .collect();
        chart
            .add_series()
            .set_categories(("Summary", buckets_first, 0, buckets_last, 0))
            .set_values(("Summary", buckets_first, value_col, buckets_last, value_col))
            .set_points(&points)
            .set_gap(60);
        let mut font = ChartFont::new();
        font.set_name(FONT).set_size(9);
        let mut title_font = ChartFont::new();
        title_font.set_name(FONT).set_size(12).set_bold();
        chart
            .title()
            .set_name(&format!("Open {cur} by days overdue"))
            .set_font(&title_font);
        chart.legend().set_hidden();
        chart
            .y_axis()
            .set_num_format("#,##0")
            .set_font(&font)
            .set_major_gridlines(true);
        chart.x_axis().set_font(&font);
        chart.set_width(520).set_height(300);
        let chart_row = aging_top + u32::try_from(c).unwrap_or(0) * 16;
        ws.insert_chart(chart_row, chart_col, &chart)?;
    }
    Ok(())
}

/// Bucket colours from green (not due) through amber to dark red (oldest).
fn bucket_colors(n: usize) -> Vec<u32> {
    const RAMP: [u32; 6] = [
        0x70_AD_47, 0xC9_D6_5B, 0xFF_C0_00, 0xF4_8C_1F, 0xE0_3C_31, 0x9C_00_06,
    ];
    (0..n)
        .map(|i| {
            if n <= 1 {
                RAMP[0]
            } else {
                RAMP[(i * (RAMP.len() - 1) + (n - 1) / 2) / (n - 1)]
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use calamine::{open_workbook, Data, Reader, Xlsx};

    use super::{bucket_colors, build_with_rows, int_len, money_format, money_len, FILE_NAME};
    use crate::config::{Config, Overrides};
    use crate::history::History;
    use crate::model::format_money;
    use proptest::prelude::*;
    use rust_decimal::Decimal;

    proptest! {
        /// The counted widths equal the lengths of the texts they stand for.
        #[test]
        fn counted_widths_match_the_text(
            mantissa in any::<i64>(),
            scale in 0u32..8,
            currency in prop::sample::select(vec!["ILS", "JPY", "KWD"]),
        ) {
            let amount = Decimal::new(mantissa, scale);
            prop_assert_eq!(money_len(amount, currency), format_money(amount, currency).len());
            prop_assert_eq!(int_len(mantissa), mantissa.to_string().len());
        }
    }

    #[test]
    fn counted_widths_at_the_edges() {
        for (text, currency) in [
            ("0", "ILS"),
            ("-0.004", "ILS"),
            ("9.995", "ILS"),
            ("-0.5", "JPY"),
            ("-99.9995", "KWD"),
            ("0.01", "ILS"),
            ("-1234567.891", "USD"),
        ] {
            let amount: Decimal = text.parse().unwrap();
            assert_eq!(
                money_len(amount, currency),
                format_money(amount, currency).len(),
                "{text}"
            );
        }
        for n in [0, 9, 10, -1, -10, i64::MIN, i64::MAX] {
            assert_eq!(int_len(n), n.to_string().len());
        }
    }

    #[test]
    fn money_formats_follow_the_minor_digits() {
        assert_eq!(
            money_format("ILS"),
            "\"₪\"#,##0.00;[Red]-\"₪\"#,##0.00;\"–\""
        );
        assert_eq!(
            money_format("JPY"),
            "#,##0 \"JPY\";[Red]-#,##0 \"JPY\";\"–\""
        );
        assert_eq!(
            money_format("KWD"),
            "#,##0.000 \"KWD\";[Red]-#,##0.000 \"KWD\";\"–\""
        );
        assert_eq!(
            money_format("X\"Y"),
            "#,##0.00 \"XY\";[Red]-#,##0.00 \"XY\";\"–\""
        );
    }

    #[test]
    fn bucket_colours_run_from_green_to_dark_red() {
        let c = bucket_colors(6);
        assert_eq!(c.first(), Some(&0x70_AD_47));
        assert_eq!(c.last(), Some(&0x9C_00_06));
        assert_eq!(bucket_colors(3).len(), 3);
    }

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
