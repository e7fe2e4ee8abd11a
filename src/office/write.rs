//! `office.csv` and `office.json` of the overview folder. The CSV follows SPEC section 7 (BOM,
//! ISO dates, amounts with the currency's minor digits, formula-safe text) through the run's
//! own [`CsvOut`]; rows are sorted by folder, then currency.

use std::path::Path;

use rust_decimal::Decimal;
use serde::Serialize;

use super::figures::Company;
use crate::classify::bucket_columns;
use crate::report::csv::CsvOut;

/// The overview's CSV file name.
pub const CSV_FILE: &str = "office.csv";
/// The overview's JSON file name.
pub const JSON_FILE: &str = "office.json";

/// The columns of `office.csv` (and of the workbook's `Companies` sheet) for bucket `bounds`.
#[must_use]
pub fn columns(bounds: &[u32]) -> Vec<String> {
    let mut header: Vec<String> = ["company", "folder", "status", "currency", "open_total"]
        .iter()
        .map(ToString::to_string)
        .collect();
    header.extend(bucket_columns(bounds));
    header.extend(
        [
            "overdue",
            "overdue_share",
            "dso",
            "clients_overdue",
            "letters",
            "unmatched_payments",
            "error_issues",
            "message",
        ]
        .iter()
        .map(ToString::to_string),
    );
    header
}

/// A fraction or day count written with fixed places, empty when `None`.
pub(crate) fn fixed(value: Option<Decimal>, places: usize) -> String {
    value.map_or_else(String::new, |v| format!("{v:.places$}"))
}

/// Writes `office.csv` into `dir`.
///
/// # Errors
/// When the file cannot be written.
pub fn write_csv(dir: &Path, companies: &[Company], bounds: &[u32]) -> std::io::Result<()> {
    let header = columns(bounds);
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    let mut out = CsvOut::create(&dir.join(CSV_FILE), &header)?;
    for c in companies {
        if c.rows.is_empty() {
            out.text(&c.name)
                .text(&c.folder)
                .text(c.status.as_str())
                .text("")
                .text("");
            for _ in 0..bounds.len() + 2 {
                out.text("");
            }
            for _ in 0..7 {
                out.text("");
            }
            out.text(&c.message);
            out.end()?;
            continue;
        }
        for r in &c.rows {
            out.text(&c.name)
                .text(&c.folder)
                .text(c.status.as_str())
                .text(&r.currency)
                .money(r.open_total, &r.currency);
            for b in &r.buckets {
                out.money(*b, &r.currency);
            }
            out.money(r.overdue, &r.currency)
                .raw(fixed(r.overdue_share, 4))
                .raw(fixed(r.dso, 1))
                .raw(r.clients_overdue)
                .raw(r.letters)
                .raw(r.unmatched_payments)
                .raw(c.error_issues)
                .text(&c.message);
            out.end()?;
        }
    }
    out.finish()
}

#[derive(Serialize)]
struct OfficeJson<'a> {
    as_of: String,
    companies: Vec<CompanyJson<'a>>,
}

#[derive(Serialize)]
struct CompanyJson<'a> {
    folder: &'a str,
    company: &'a str,
    status: &'static str,
    exit_code: u8,
    run_folder: Option<&'a str>,
    message: &'a str,
    timings_ms: serde_json::Map<String, serde_json::Value>,
}

/// Writes `office.json` into `dir`.
///
/// # Errors
/// When the file cannot be written.
pub fn write_json(
    dir: &Path,
    as_of: chrono::NaiveDate,
    companies: &[Company],
) -> std::io::Result<()> {
    let doc = OfficeJson {
        as_of: as_of.to_string(),
        companies: companies
            .iter()
            .map(|c| CompanyJson {
                folder: &c.folder,
                company: &c.name,
                status: c.status.as_str(),
                exit_code: c.exit_code,
                run_folder: c.run_folder.as_deref(),
                message: &c.message,
                timings_ms: c
                    .timings_ms
                    .iter()
                    .map(|(k, v)| {
                        (
                            k.clone(),
                            serde_json::Value::from(u64::try_from(*v).unwrap_or(u64::MAX)),
                        )
                    })
                    .collect(),
            })
            .collect(),
    };
    let mut text = serde_json::to_string_pretty(&doc).map_err(std::io::Error::other)?;
    text.push('\n');
    crate::output::write_atomic(&dir.join(JSON_FILE), text.as_bytes())
}
