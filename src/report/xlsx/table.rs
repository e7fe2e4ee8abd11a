//! The table sheets' machinery: columns and cells, where a table's rows go ([`Layout`]: the
//! totals rows above the header, the rows per sheet, the sheets needed), and the writing of one
//! sheet of a table with its totals rows, formats and column widths.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use rust_xlsxwriter::{
    cell_range, column_number_to_name, ConditionalFormatFormula, Format, Formula, Url, Worksheet,
    XlsxError,
};

use super::styles::Styles;
use super::{excel_date, STAND_OUT_DAYS};
use crate::config::Config;
use crate::model::{format_money, round_money};
use crate::report::workbook_text;

/// What a column holds, which decides its format and width.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    Text,
    Date,
    Money,
    Int,
    Mean,
    Link,
}

pub(super) struct Col {
    pub(super) title: String,
    pub(super) kind: Kind,
}

pub(super) fn col(title: &str, kind: Kind) -> Col {
    Col {
        title: title.to_string(),
        kind,
    }
}

/// One cell of a table row.
pub(super) enum Cell<'a> {
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

pub(super) type Fill<'a> = Box<dyn Fn(usize, &mut Vec<Cell<'a>>) -> &'a str + Sync + 'a>;

/// A table sheet: columns and a row function that fills row `i` and returns its currency.
pub(super) struct Table<'a> {
    pub(super) name: &'static str,
    pub(super) cols: Vec<Col>,
    pub(super) len: usize,
    pub(super) fill: Fill<'a>,
    /// The column holding the currency code (the totals rows compare with it).
    pub(super) currency_col: Option<usize>,
    /// The column of days overdue whose 90+ rows stand out.
    pub(super) days_col: Option<usize>,
    /// Shown under the header when the table has no rows.
    pub(super) empty: &'static str,
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
pub(super) struct Layout {
    pub(super) currencies: Vec<String>,
    /// The currency of most rows, whose money format the money columns carry.
    pub(super) main_currency: Option<String>,
    pub(super) header: u32,
    pub(super) per_sheet: usize,
    pub(super) sheets: usize,
    /// Per currency, the sums of the money columns over the whole table: the totals rows of a
    /// table that fits one sheet, without reading its rows once more.
    pub(super) sums: BTreeMap<String, Vec<Decimal>>,
}

impl Layout {
    pub(super) fn new(table: &Table<'_>, max_rows: u32) -> Layout {
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
    pub(super) fn place(&self, name: &str, i: usize) -> (String, u32) {
        let part = i / self.per_sheet;
        let row = self.header + 1 + u32::try_from(i % self.per_sheet).unwrap_or(0);
        (sheet_name(name, part), row)
    }
}

pub(super) fn sheet_name(name: &str, part: usize) -> String {
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
pub(super) fn write_part(
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

pub(super) fn col_num(c: usize) -> u16 {
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

pub(super) fn write_text(
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
pub(super) struct Sheet;

impl Sheet {
    /// Money as an Excel number: the one place a `Decimal` becomes an `f64`.
    pub(super) fn money(
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
    pub(super) fn date(
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

#[cfg(test)]
mod tests {
    use super::{int_len, money_len};
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
}
