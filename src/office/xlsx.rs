//! `office-report.xlsx`: sheet `Companies` (the rows of `office.csv`, each company's folder a
//! link to its own `aging-report.xlsx`) then sheet `Summary` (failed companies first, then the
//! totals per currency over the companies that ran). The house style of the run's workbook:
//! Calibri 10, dark header row, frozen header, autofilter, money in the currency's format,
//! shares as percentages, the as-of date as the creation time so the bytes repeat.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{Datelike, NaiveDate};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use rust_xlsxwriter::{
    Color, DocProperties, ExcelDateTime, Format, FormatAlign, FormatBorder, Url, Workbook,
    Worksheet, XlsxError,
};

use super::figures::{self, Company, Status};
use super::write::columns;
use crate::classify::bucket_labels;
use crate::report::workbook_text;
use crate::report::xlsx::{money_format, ZIP_LEVEL};

/// The overview workbook's file name.
pub const FILE_NAME: &str = "office-report.xlsx";

const FONT: &str = "Calibri";
const HEADER_FILL: u32 = 0x1F_4E_79;
const SECTION_FILL: u32 = 0xDD_EB_F7;
const FAILED_FILL: u32 = 0xFF_C7_CE;

struct Styles {
    title: Format,
    header: Format,
    header_right: Format,
    section: Format,
    text: Format,
    failed: Format,
    link: Format,
    int: Format,
    percent: Format,
    days: Format,
    money: BTreeMap<String, Format>,
}

impl Styles {
    fn new(companies: &[Company]) -> Styles {
        let base = || Format::new().set_font_name(FONT).set_font_size(10);
        let header = base()
            .set_bold()
            .set_font_color(Color::White)
            .set_background_color(Color::RGB(HEADER_FILL))
            .set_text_wrap()
            .set_align(FormatAlign::VerticalCenter)
            .set_border_bottom(FormatBorder::Thin);
        let money = companies
            .iter()
            .flat_map(|c| &c.rows)
            .map(|r| {
                (
                    r.currency.clone(),
                    base().set_num_format(money_format(&r.currency)),
                )
            })
            .collect();
        Styles {
            title: base()
                .set_bold()
                .set_font_size(18)
                .set_font_color(Color::RGB(HEADER_FILL)),
            header_right: header.clone().set_align(FormatAlign::Right),
            header,
            section: base()
                .set_bold()
                .set_font_size(11)
                .set_background_color(Color::RGB(SECTION_FILL))
                .set_border_bottom(FormatBorder::Thin),
            text: base().set_align(FormatAlign::Left),
            failed: base()
                .set_align(FormatAlign::Left)
                .set_background_color(Color::RGB(FAILED_FILL))
                .set_font_color(Color::RGB(0x9C_00_06)),
            link: base()
                .set_font_color(Color::RGB(0x05_63_C1))
                .set_underline(rust_xlsxwriter::FormatUnderline::Single),
            int: base().set_num_format("#,##0"),
            percent: base().set_num_format("0.0%"),
            days: base().set_num_format("#,##0.0"),
            money,
        }
    }

    fn money(&self, currency: &str) -> &Format {
        self.money.get(currency).unwrap_or(&self.int)
    }
}

/// Writes `office-report.xlsx` into `dir` (the office's temporary run folder).
///
/// # Errors
/// When the file cannot be written.
pub fn write(
    dir: &Path,
    as_of: NaiveDate,
    companies: &[Company],
    bounds: &[u32],
    links: &[Option<String>],
) -> std::io::Result<()> {
    build(dir, as_of, companies, bounds, links).map_err(|e| match e {
        XlsxError::IoError(e) => e,
        other => std::io::Error::other(other),
    })
}

fn build(
    dir: &Path,
    as_of: NaiveDate,
    companies: &[Company],
    bounds: &[u32],
    links: &[Option<String>],
) -> Result<(), XlsxError> {
    let st = Styles::new(companies);
    let mut workbook = Workbook::new();
    let created = ExcelDateTime::from_ymd(
        u16::try_from(as_of.year()).unwrap_or(1900),
        u8::try_from(as_of.month()).unwrap_or(1),
        u8::try_from(as_of.day()).unwrap_or(1),
    )?;
    workbook.set_properties(
        &DocProperties::new()
            .set_title(format!("Office overview as of {as_of}"))
            .set_author("arrears")
            .set_creation_datetime(&created),
    );
    workbook.set_zip_compression_level(ZIP_LEVEL);
    write_companies(workbook.add_worksheet(), &st, companies, bounds, links)?;
    write_summary(workbook.add_worksheet(), &st, as_of, companies, bounds)?;
    workbook.save(dir.join(FILE_NAME))
}

fn write_companies(
    ws: &mut Worksheet,
    st: &Styles,
    companies: &[Company],
    bounds: &[u32],
    links: &[Option<String>],
) -> Result<(), XlsxError> {
    ws.set_name("Companies")?;
    let cols = columns(bounds);
    let last_col = u16::try_from(cols.len() - 1).unwrap_or(0);
    let first_number = 4;
    let message_col = last_col;
    for (c, title) in cols.iter().enumerate() {
        let c = u16::try_from(c).unwrap_or(0);
        let right = c >= first_number && c < message_col;
        let format = if right { &st.header_right } else { &st.header };
        ws.write_string_with_format(0, c, title, format)?;
        ws.set_column_width(c, if right { 14 } else { 12 })?;
    }
    ws.set_column_width(0, 28)?;
    ws.set_column_width(1, 20)?;
    ws.set_column_width(message_col, 60)?;
    ws.set_row_height(0, 30)?;
    ws.set_freeze_panes(1, 0)?;
    let mut row = 0u32;
    for (company, link) in companies.iter().zip(links) {
        let failed = company.status == Status::Failed;
        let text = if failed { &st.failed } else { &st.text };
        let mut put = |row: u32,
                       currency: Option<&figures::CurrencyRow>|
         -> Result<(), XlsxError> {
            ws.write_string_with_format(row, 0, workbook_text(&company.name), text)?;
            match link {
                Some(link) => {
                    let url = Url::new(format!("file:///{link}"))
                        .set_text(workbook_text(&company.folder));
                    ws.write_url_with_format(row, 1, url, &st.link)?;
                }
                None => {
                    ws.write_string_with_format(row, 1, workbook_text(&company.folder), text)?;
                }
            }
            ws.write_string_with_format(row, 2, company.status.as_str(), text)?;
            ws.write_string_with_format(row, message_col, workbook_text(&company.message), text)?;
            let Some(r) = currency else {
                return Ok(());
            };
            let money = st.money(&r.currency);
            ws.write_string_with_format(row, 3, workbook_text(&r.currency), text)?;
            let mut col = first_number;
            let mut amount = |ws: &mut Worksheet, value: Decimal| -> Result<(), XlsxError> {
                ws.write_number_with_format(row, col, value.to_f64().unwrap_or(0.0), money)?;
                col += 1;
                Ok(())
            };
            amount(ws, r.open_total)?;
            for b in &r.buckets {
                amount(ws, *b)?;
            }
            amount(ws, r.overdue)?;
            if let Some(share) = r.overdue_share {
                ws.write_number_with_format(row, col, share.to_f64().unwrap_or(0.0), &st.percent)?;
            }
            if let Some(dso) = r.dso {
                ws.write_number_with_format(row, col + 1, dso.to_f64().unwrap_or(0.0), &st.days)?;
            }
            let counts = [
                r.clients_overdue,
                r.letters,
                r.unmatched_payments,
                company.error_issues,
            ];
            for (i, n) in (col + 2..).zip(counts) {
                #[allow(clippy::cast_precision_loss)]
                ws.write_number_with_format(row, i, n as f64, &st.int)?;
            }
            Ok(())
        };
        if company.rows.is_empty() {
            row += 1;
            put(row, None)?;
        }
        for r in &company.rows {
            row += 1;
            put(row, Some(r))?;
        }
    }
    ws.autofilter(0, 0, row, last_col)?;
    Ok(())
}

fn write_summary(
    ws: &mut Worksheet,
    st: &Styles,
    as_of: NaiveDate,
    companies: &[Company],
    bounds: &[u32],
) -> Result<(), XlsxError> {
    ws.set_name("Summary")?;
    ws.set_column_width(0, 28)?;
    for c in 1..16 {
        ws.set_column_width(c, 15)?;
    }
    ws.write_string_with_format(0, 0, format!("Office overview as of {as_of}"), &st.title)?;
    let failed: Vec<&Company> = companies
        .iter()
        .filter(|c| c.status == Status::Failed)
        .collect();
    ws.write_string_with_format(
        1,
        0,
        format!(
            "{} companies: {} ran, {} failed",
            companies.len(),
            companies.len() - failed.len(),
            failed.len()
        ),
        &st.text,
    )?;
    let mut row = 3;
    if !failed.is_empty() {
        ws.write_string_with_format(row, 0, "Failed companies", &st.section)?;
        ws.write_string_with_format(row, 1, "", &st.section)?;
        ws.write_string_with_format(row, 2, "", &st.section)?;
        row += 1;
        for (c, title) in ["folder", "company", "message"].iter().enumerate() {
            ws.write_string_with_format(row, u16::try_from(c).unwrap_or(0), *title, &st.header)?;
        }
        for c in &failed {
            row += 1;
            ws.write_string_with_format(row, 0, workbook_text(&c.folder), &st.failed)?;
            ws.write_string_with_format(row, 1, workbook_text(&c.name), &st.failed)?;
            ws.write_string_with_format(row, 2, workbook_text(&c.message), &st.failed)?;
        }
        row += 2;
    }
    ws.write_string_with_format(
        row,
        0,
        "Totals per currency over the companies that ran (currencies are never added together)",
        &st.section,
    )?;
    row += 1;
    let labels = bucket_labels(bounds);
    let mut titles: Vec<String> = vec!["currency".into(), "companies".into(), "open_total".into()];
    titles.extend(labels);
    titles.extend(
        [
            "overdue",
            "overdue_share",
            "clients_overdue",
            "letters",
            "unmatched_payments",
        ]
        .iter()
        .map(ToString::to_string),
    );
    for (c, title) in titles.iter().enumerate() {
        let format = if c == 0 { &st.header } else { &st.header_right };
        ws.write_string_with_format(row, u16::try_from(c).unwrap_or(0), title, format)?;
    }
    ws.set_row_height(row, 30)?;
    let header = row;
    for t in figures::totals(companies, bounds.len() + 2) {
        row += 1;
        let money = st.money(&t.currency);
        ws.write_string_with_format(row, 0, workbook_text(&t.currency), &st.text)?;
        #[allow(clippy::cast_precision_loss)]
        ws.write_number_with_format(row, 1, t.companies as f64, &st.int)?;
        let amounts = std::iter::once(t.open_total)
            .chain(t.buckets.iter().copied())
            .chain(std::iter::once(t.overdue));
        let mut col = 2u16;
        for a in amounts {
            ws.write_number_with_format(row, col, a.to_f64().unwrap_or(0.0), money)?;
            col += 1;
        }
        if let Some(share) = t.overdue_share {
            ws.write_number_with_format(row, col, share.to_f64().unwrap_or(0.0), &st.percent)?;
        }
        for (i, n) in (col + 1..).zip([t.clients_overdue, t.letters, t.unmatched_payments]) {
            #[allow(clippy::cast_precision_loss)]
            ws.write_number_with_format(row, i, n as f64, &st.int)?;
        }
    }
    if row == header {
        ws.write_string_with_format(row + 1, 0, "No company ran.", &st.text)?;
    }
    Ok(())
}
