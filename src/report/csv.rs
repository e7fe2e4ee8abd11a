//! The CSV files of SPEC section 7: UTF-8 with BOM, comma-separated, ISO dates, amounts with
//! `.` and exactly the currency's minor digits, formula-safe text, rows in a stated order.

use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;

use super::safe_text;
use crate::classify::{bucket_columns, join_reasons, Classification};
use crate::config::Config;
use crate::model::Ledger;
use crate::model::{format_money, Issue};
use crate::reconcile::Reconciliation;

/// A CSV file being written: BOM first, then the header. Cells are written as they are added,
/// without a string of their own; the first error is kept and returned by [`CsvOut::end`].
pub struct CsvOut {
    writer: csv::Writer<BufWriter<File>>,
    /// Scratch text for the cells that are formatted (numbers, dates).
    scratch: String,
    error: Option<csv::Error>,
}

impl CsvOut {
    /// Creates `path` and writes the BOM and the header row.
    ///
    /// # Errors
    /// When the file cannot be created or written.
    pub fn create(path: &Path, header: &[&str]) -> std::io::Result<CsvOut> {
        let mut file = BufWriter::with_capacity(1 << 16, File::create(path)?);
        file.write_all(b"\xEF\xBB\xBF")?;
        let mut writer = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(file);
        writer.write_record(header)?;
        Ok(CsvOut {
            writer,
            scratch: String::new(),
            error: None,
        })
    }

    fn field(&mut self, value: &str) {
        if self.error.is_none() {
            if let Err(e) = self.writer.write_field(value) {
                self.error = Some(e);
            }
        }
    }

    /// Writes the cell that `format` puts in the scratch text.
    fn formatted(&mut self, format: impl FnOnce(&mut String)) {
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.clear();
        format(&mut scratch);
        self.field(&scratch);
        self.scratch = scratch;
    }

    /// Adds a text cell (formula-safe).
    pub fn text(&mut self, value: &str) -> &mut Self {
        self.field(&safe_text(value));
        self
    }

    /// Adds an optional text cell, empty when `None`.
    pub fn opt(&mut self, value: Option<&str>) -> &mut Self {
        self.text(value.unwrap_or(""))
    }

    /// Adds a number or other value that is written as it is (never formula-escaped).
    pub fn raw(&mut self, value: impl std::fmt::Display) -> &mut Self {
        self.formatted(|out| {
            let _ = write!(out, "{value}");
        });
        self
    }

    pub fn money(&mut self, value: Decimal, currency: &str) -> &mut Self {
        self.field(&format_money(value, currency));
        self
    }

    /// Adds an ISO date (`2026-11-30`), empty when `None`.
    pub fn date(&mut self, value: Option<NaiveDate>) -> &mut Self {
        self.formatted(|out| match value {
            None => {}
            Some(d) if (0..=9999).contains(&d.year()) => {
                let _ = write!(out, "{:04}-{:02}-{:02}", d.year(), d.month(), d.day());
            }
            Some(d) => {
                let _ = write!(out, "{}", d.format("%Y-%m-%d"));
            }
        });
        self
    }

    /// Ends the current row.
    ///
    /// # Errors
    /// When the file cannot be written.
    pub fn end(&mut self) -> std::io::Result<()> {
        if let Some(e) = self.error.take() {
            return Err(e.into());
        }
        self.writer.write_record(std::iter::empty::<&[u8]>())?;
        Ok(())
    }

    /// Flushes and closes the file.
    ///
    /// # Errors
    /// When the file cannot be written.
    pub fn finish(mut self) -> std::io::Result<()> {
        self.writer.flush()?;
        let file = self.writer.into_inner().map_err(|e| e.into_error())?;
        file.into_inner()
            .map_err(std::io::IntoInnerError::into_error)?
            .sync_all()
    }
}

/// `open-items.csv`, sorted by client, currency, due date, invoice date and number.
///
/// # Errors
/// When the file cannot be written.
pub fn write_open_items(
    dir: &Path,
    ledger: &Ledger,
    class: &Classification,
) -> std::io::Result<()> {
    let mut out = CsvOut::create(
        &dir.join("open-items.csv"),
        &[
            "client_id",
            "client_name",
            "invoice",
            "invoice_date",
            "due_date",
            "currency",
            "amount",
            "paid",
            "open",
            "days_overdue",
            "bucket",
            "disputed",
        ],
    )?;
    for item in &class.items {
        let inv = &ledger.invoices[item.invoice];
        out.text(&inv.client)
            .text(&inv.client_name)
            .text(&inv.number)
            .date(Some(inv.date))
            .date(Some(inv.due))
            .text(&inv.currency)
            .money(inv.amount, &inv.currency)
            .money(item.paid, &inv.currency)
            .money(item.open, &inv.currency)
            .raw(item.days_overdue)
            .text(&class.bucket_labels[item.bucket])
            .raw(if inv.disputed { "yes" } else { "no" });
        out.end()?;
    }
    out.finish()
}

/// `clients.csv`, one row per client and currency, sorted by client id and currency.
///
/// # Errors
/// When the file cannot be written.
pub fn write_clients(dir: &Path, config: &Config, class: &Classification) -> std::io::Result<()> {
    let buckets = bucket_columns(&config.buckets);
    let mut header: Vec<&str> = vec!["client_id", "client_name", "currency"];
    header.extend(buckets.iter().map(String::as_str));
    header.extend([
        "open_total",
        "unapplied_credit",
        "net_balance",
        "withheld",
        "oldest_days_overdue",
        "level",
        "risk",
        "risk_reasons",
        "settled_count",
        "mean_days_to_pay",
        "mean_days_late",
    ]);
    let mut out = CsvOut::create(&dir.join("clients.csv"), &header)?;
    for c in &class.clients {
        out.text(&c.client).text(&c.name).text(&c.currency);
        for amount in &c.buckets {
            out.money(*amount, &c.currency);
        }
        out.money(c.open_total, &c.currency)
            .money(c.unapplied_credit, &c.currency)
            .money(c.net_balance, &c.currency)
            .money(c.withheld, &c.currency)
            .raw(c.oldest_days_overdue)
            .text(c.level_name(config))
            .text(c.risk.as_str())
            .text(&join_reasons(&c.risk_reasons))
            .raw(c.behaviour.settled)
            .raw(
                c.behaviour
                    .mean_days_to_pay()
                    .map(|d| format!("{d:.2}"))
                    .unwrap_or_default(),
            )
            .raw(
                c.behaviour
                    .mean_days_late()
                    .map(|d| format!("{d:.2}"))
                    .unwrap_or_default(),
            );
        out.end()?;
    }
    out.finish()
}

/// `allocations.csv`, sorted by client, date, payment id, invoice and rule. Rows with no
/// payment id are a discount granted, withholding, a bank fee or a write-off; a credit note's number stands in the
/// `payment_id` column when a credit note settled an invoice.
///
/// # Errors
/// When the file cannot be written.
pub fn write_allocations(
    dir: &Path,
    ledger: &Ledger,
    recon: &Reconciliation,
) -> std::io::Result<()> {
    let mut out = CsvOut::create(
        &dir.join("allocations.csv"),
        &[
            "payment_id",
            "payment_date",
            "client_id",
            "invoice",
            "amount",
            "rule",
        ],
    )?;
    for a in &recon.allocations {
        out.text(a.source.id(ledger))
            .date(a.date)
            .text(&a.client)
            .opt(a.invoice_number(ledger))
            .money(a.amount, &a.currency)
            .text(a.rule.as_str());
        out.end()?;
    }
    out.finish()
}

/// `unapplied.csv`: unmatched payments and client credits, sorted by payment date and id.
///
/// # Errors
/// When the file cannot be written.
pub fn write_unapplied(dir: &Path, ledger: &Ledger, recon: &Reconciliation) -> std::io::Result<()> {
    let mut out = CsvOut::create(
        &dir.join("unapplied.csv"),
        &[
            "payment_id",
            "payment_date",
            "payer",
            "client_id",
            "currency",
            "amount",
            "reason",
        ],
    )?;
    let mut rows: Vec<_> = recon.unapplied.iter().collect();
    rows.sort_by(|a, b| {
        let (pa, pb) = (&ledger.payments[a.payment], &ledger.payments[b.payment]);
        (pa.date, &pa.id).cmp(&(pb.date, &pb.id))
    });
    for u in rows {
        let p = &ledger.payments[u.payment];
        out.text(&p.id)
            .date(Some(p.date))
            .opt(p.payer.as_deref())
            .opt(u.client.as_deref())
            .text(&u.currency)
            .money(u.amount, &u.currency)
            .text(&u.reason);
        out.end()?;
    }
    out.finish()
}

/// `issues.csv`, sorted by file, sheet, row, column, severity and message.
///
/// # Errors
/// When the file cannot be written.
pub fn write_issues(dir: &Path, issues: &[Issue]) -> std::io::Result<()> {
    let mut out = CsvOut::create(
        &dir.join("issues.csv"),
        &[
            "severity", "file", "sheet", "row", "column", "value", "message",
        ],
    )?;
    for i in sorted_issues(issues) {
        out.text(i.severity.as_str())
            .text(&i.file)
            .opt(i.sheet.as_deref())
            .raw(i.row.map(|r| r.to_string()).unwrap_or_default())
            .opt(i.column.as_deref())
            .opt(i.value.as_deref())
            .text(&i.message);
        out.end()?;
    }
    out.finish()
}

/// Issues in the order every report lists them.
#[must_use]
pub fn sorted_issues(issues: &[Issue]) -> Vec<&Issue> {
    let mut sorted: Vec<&Issue> = issues.iter().collect();
    sorted.sort_by(|a, b| {
        (&a.file, &a.sheet, a.row, &a.column, a.severity, &a.message)
            .cmp(&(&b.file, &b.sheet, b.row, &b.column, b.severity, &b.message))
    });
    sorted
}

/// `worklist.csv`: clients with overdue amounts, highest priority first, then clients who owe
/// only a withholding certificate; `action` says which.
///
/// # Errors
/// When the file cannot be written.
pub fn write_worklist(
    dir: &Path,
    config: &Config,
    ledger: &Ledger,
    class: &Classification,
) -> std::io::Result<()> {
    let mut out = CsvOut::create(
        &dir.join("worklist.csv"),
        &[
            "rank",
            "client_id",
            "client_name",
            "currency",
            "overdue",
            "oldest_days_overdue",
            "level",
            "risk",
            "last_letter",
            "collector",
            "phone",
            "email",
            "action",
        ],
    )?;
    for (rank, &i) in class.worklist.iter().enumerate() {
        let c = &class.clients[i];
        let client = ledger.clients.get(&c.client);
        out.raw(rank + 1)
            .text(&c.client)
            .text(&c.name)
            .text(&c.currency)
            .money(c.overdue, &c.currency)
            .raw(c.oldest_days_overdue)
            .text(c.level_name(config))
            .text(c.risk.as_str())
            .text(
                &class
                    .last_letter
                    .get(&c.client)
                    .map(|(date, level)| format!("{date} {level}"))
                    .unwrap_or_default(),
            )
            .opt(client.and_then(|c| c.collector.as_deref()))
            .opt(client.and_then(|c| c.phone.as_deref()))
            .opt(client.and_then(|c| c.email.as_deref()))
            .text(c.action());
        out.end()?;
    }
    out.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_written_as_a_record_of_strings_would_be() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        let mut out = CsvOut::create(&path, &["a", "b", "c", "d", "e"]).unwrap();
        let date = |y, m, d| NaiveDate::from_ymd_opt(y, m, d);
        for (day, text) in [
            (date(2026, 11, 30), "plain"),
            (date(999, 1, 2), "=1+1"),
            (date(10_000, 12, 31), "a, \"quoted\" one"),
            (None, ""),
        ] {
            out.date(day)
                .text(text)
                .raw(42)
                .money(Decimal::new(-5, 1), "ILS")
                .opt(None);
            out.end().unwrap();
        }
        out.finish().unwrap();

        let mut expected = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(b"\xEF\xBB\xBF".to_vec());
        expected.write_record(["a", "b", "c", "d", "e"]).unwrap();
        for (day, text) in [
            ("2026-11-30", "plain"),
            ("0999-01-02", "'=1+1"),
            ("+10000-12-31", "a, \"quoted\" one"),
            ("", ""),
        ] {
            expected
                .write_record([day, text, "42", "-0.50", ""])
                .unwrap();
        }
        assert_eq!(
            String::from_utf8(std::fs::read(&path).unwrap()).unwrap(),
            String::from_utf8(expected.into_inner().unwrap()).unwrap()
        );
    }
}
