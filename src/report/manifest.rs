//! `run.json`: the audit record of a run — as-of date, tool version, configuration, every input
//! with its SHA-256 and row counts, totals, invariant results, the SHA-256 of every file the
//! run wrote, and the stage timings. Everything but `timings_ms` is identical for identical
//! inputs, configuration and as-of date.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use rayon::prelude::*;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::classify::Classification;
use crate::config::Config;
use crate::ingest::source::hex;
use crate::model::Ledger;
use crate::model::{format_money, DocKind, Severity};
use crate::reconcile::{AllocationRule, InvariantCheck, Reconciliation};

/// The `counts` key of the allocations of one rule.
fn rule_count_key(rule: AllocationRule) -> &'static str {
    match rule {
        AllocationRule::Reference => "allocations_reference",
        AllocationRule::ExactAmount => "allocations_exact_amount",
        AllocationRule::ExactSet => "allocations_exact_set",
        AllocationRule::Withholding => "allocations_withholding",
        AllocationRule::BankFee => "allocations_bank_fee",
        AllocationRule::Discount => "allocations_discount",
        AllocationRule::Fifo => "allocations_fifo",
        AllocationRule::Credit => "allocations_credit",
        AllocationRule::WriteOff => "allocations_write_off",
    }
}

#[derive(Serialize)]
struct Manifest<'a> {
    tool: &'static str,
    version: &'static str,
    as_of: String,
    config: ConfigRecord<'a>,
    inputs: Vec<InputRecord<'a>>,
    counts: BTreeMap<&'static str, usize>,
    totals: BTreeMap<&'a str, CurrencyTotals>,
    invariants: Vec<InvariantRecord<'a>>,
    changes: &'a crate::history::Changes,
    letters: Vec<LetterRecord<'a>>,
    held: &'a [crate::classify::Held],
    files: Vec<FileRecord>,
    timings_ms: BTreeMap<&'a str, u128>,
}

#[derive(Serialize)]
struct ConfigRecord<'a> {
    file: Option<String>,
    sha256: Option<String>,
    default_currency: &'a str,
    date_order: &'static str,
    default_terms: String,
    write_off_tolerance: String,
    aging_basis: &'static str,
    buckets: &'a [u32],
    discount: Option<(String, u32)>,
    dunning_min_amount: String,
    repeat_after_days: u32,
    dunning_levels: &'a [crate::config::DunningLevel],
    letter_formats: &'a [String],
    language: &'a str,
    withholding_rates: Vec<String>,
    fees_max: String,
    allocation_skip: &'a [String],
    rf_references: bool,
    text: &'a str,
}

#[derive(Serialize)]
struct InputRecord<'a> {
    kind: &'static str,
    file: &'a str,
    sheet: Option<&'a str>,
    sha256: &'a str,
    text_format: Option<&'a str>,
    header_row: Option<u32>,
    columns: BTreeMap<&'static str, &'a str>,
    /// Headers that map to no field: those columns were not read (SPEC section 10).
    unmapped: &'a [String],
    /// For a bank statement: accounts, currencies, period and entry counts.
    #[serde(skip_serializing_if = "Option::is_none")]
    statement: Option<&'a crate::ingest::statement::StatementSummary>,
    date_orders: Vec<DateOrderRecord<'a>>,
    rows: usize,
    used: usize,
    rejected: usize,
    duplicates: usize,
    ignored: usize,
}

#[derive(Serialize)]
struct DateOrderRecord<'a> {
    column: &'a str,
    order: &'a str,
    decided_by_data: bool,
}

#[derive(Serialize)]
struct CurrencyTotals {
    buckets: BTreeMap<String, String>,
    open: String,
    overdue: String,
    unapplied_credit: String,
    /// Closed by rule `withholding` (certificates to collect).
    withheld: String,
    /// Closed by rule `bank-fee`.
    fees: String,
}

#[derive(Serialize)]
struct InvariantRecord<'a> {
    name: &'a str,
    passed: bool,
    detail: &'a str,
}

#[derive(Serialize)]
struct LetterRecord<'a> {
    client: &'a str,
    level: &'a str,
}

#[derive(Serialize)]
struct FileRecord {
    name: String,
    sha256: String,
}

/// Hex SHA-256 of a byte string.
#[must_use]
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// The inputs the manifest describes.
pub struct RunRecord<'a> {
    pub config: &'a Config,
    pub as_of: NaiveDate,
    pub ledger: &'a Ledger,
    pub recon: &'a Reconciliation,
    pub class: &'a Classification,
    /// Checks made outside reconciliation (row accounting).
    pub extra_invariants: &'a [InvariantCheck],
    pub changes: &'a crate::history::Changes,
    pub timings: &'a [(&'a str, u128)],
}

/// Writes `run.json` into `dir`, listing the SHA-256 of every other file already in `dir`
/// (recursively, sorted by path).
///
/// # Errors
/// When a file cannot be read or `run.json` cannot be written.
pub fn write(dir: &Path, record: &RunRecord<'_>) -> std::io::Result<()> {
    let config = record.config;
    let config_record = ConfigRecord {
        file: config.path.as_ref().map(|p| {
            p.file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().to_string())
        }),
        sha256: config
            .path
            .as_ref()
            .map(|_| sha256_hex(config.source_text.as_bytes())),
        default_currency: &config.default_currency,
        date_order: config.date_order.as_str(),
        default_terms: config.default_terms.to_string(),
        write_off_tolerance: config.write_off_tolerance.to_string(),
        aging_basis: config.aging_basis.as_str(),
        buckets: &config.buckets,
        discount: config.discount.map(|d| (d.percent.to_string(), d.days)),
        dunning_min_amount: config.dunning_min_amount.to_string(),
        repeat_after_days: config.repeat_after_days,
        dunning_levels: &config.dunning_levels,
        letter_formats: &config.letter_formats,
        language: &config.language,
        withholding_rates: config
            .allocation
            .withholding_rates
            .iter()
            .map(ToString::to_string)
            .collect(),
        fees_max: config.allocation.fee_max.to_string(),
        allocation_skip: &config.allocation.skip,
        rf_references: config.letters.rf_references,
        text: &config.source_text,
    };
    let inputs = record
        .ledger
        .inputs
        .iter()
        .map(|i| InputRecord {
            kind: i.kind.map_or("", |k| k.as_str()),
            file: &i.file,
            sheet: i.sheet.as_deref(),
            sha256: &i.sha256,
            text_format: i.text_format.as_deref(),
            header_row: i.header_row,
            columns: i
                .mapping
                .iter()
                .map(|(f, h)| (f.key(), h.as_str()))
                .collect(),
            unmapped: &i.unmapped,
            statement: i.statement.as_ref(),
            date_orders: i
                .date_orders
                .iter()
                .map(|(c, o, d)| DateOrderRecord {
                    column: c,
                    order: o,
                    decided_by_data: *d,
                })
                .collect(),
            rows: i.rows,
            used: i.used,
            rejected: i.rejected,
            duplicates: i.duplicates,
            ignored: i.ignored,
        })
        .collect();
    let ledger = record.ledger;
    let recon = record.recon;
    let mut counts = BTreeMap::new();
    counts.insert(
        "invoices",
        ledger
            .invoices
            .iter()
            .filter(|i| i.kind == DocKind::Invoice)
            .count(),
    );
    counts.insert(
        "credit_notes",
        ledger
            .invoices
            .iter()
            .filter(|i| i.kind == DocKind::CreditNote)
            .count(),
    );
    counts.insert("payments", ledger.payments.len());
    counts.insert("clients", ledger.clients.len());
    counts.insert("left_out_invoices_after_as_of", recon.left_out.invoices);
    counts.insert("left_out_payments_after_as_of", recon.left_out.payments);
    counts.insert("unmatched_payments", recon.unmatched_payments());
    counts.insert("open_items", recon.open_items.len());
    counts.insert("allocations", recon.allocations.len());
    // Allocations by rule, every rule named (`allocations_exact_set`, ...), zeros included.
    for rule in [
        AllocationRule::Reference,
        AllocationRule::ExactAmount,
        AllocationRule::ExactSet,
        AllocationRule::Withholding,
        AllocationRule::BankFee,
        AllocationRule::Discount,
        AllocationRule::Fifo,
        AllocationRule::Credit,
        AllocationRule::WriteOff,
    ] {
        counts.insert(rule_count_key(rule), 0);
    }
    for a in &recon.allocations {
        *counts.entry(rule_count_key(a.rule)).or_default() += 1;
    }
    counts.insert(
        "info_issues",
        ledger
            .issues
            .iter()
            .filter(|i| i.severity == Severity::Info)
            .count(),
    );
    counts.insert(
        "issues_error",
        ledger
            .issues
            .iter()
            .filter(|i| i.severity == Severity::Error)
            .count(),
    );
    counts.insert(
        "issues_warning",
        ledger
            .issues
            .iter()
            .filter(|i| i.severity == Severity::Warning)
            .count(),
    );

    let class = record.class;
    let mut totals = BTreeMap::new();
    for (currency, buckets) in &class.totals {
        let of = |f: &dyn Fn(&crate::classify::ClientSummary) -> rust_decimal::Decimal| {
            format_money(
                class
                    .clients
                    .iter()
                    .filter(|c| &c.currency == currency)
                    .map(f)
                    .sum(),
                currency,
            )
        };
        totals.insert(
            currency.as_str(),
            CurrencyTotals {
                buckets: class
                    .bucket_labels
                    .iter()
                    .zip(buckets)
                    .map(|(l, b)| (l.clone(), format_money(*b, currency)))
                    .collect(),
                open: of(&|c| c.open_total),
                overdue: of(&|c| c.overdue),
                unapplied_credit: of(&|c| c.unapplied_credit),
                withheld: of(&|c| c.withheld),
                fees: of(&|c| c.fees),
            },
        );
    }
    let invariants = recon
        .invariants
        .iter()
        .chain(record.extra_invariants)
        .map(|c| InvariantRecord {
            name: &c.name,
            passed: c.passed,
            detail: &c.detail,
        })
        .collect();
    let mut paths = Vec::new();
    collect_files(dir, dir, &mut paths)?;
    // Hashed side by side, each file streamed through the hasher: a million-row month writes
    // a 120 MB workbook and CSV files as large, which read whole would add to the run's peak.
    let mut files = paths
        .into_par_iter()
        .map(|(name, path)| {
            let mut hasher = Sha256::new();
            std::io::copy(&mut std::fs::File::open(&path)?, &mut hasher)?;
            Ok(FileRecord {
                name,
                sha256: hex(&hasher.finalize()),
            })
        })
        .collect::<std::io::Result<Vec<FileRecord>>>()?;
    files.sort_by(|a, b| a.name.cmp(&b.name));
    let manifest = Manifest {
        tool: "arrears",
        version: env!("CARGO_PKG_VERSION"),
        as_of: record.as_of.to_string(),
        config: config_record,
        inputs,
        counts,
        totals,
        invariants,
        changes: record.changes,
        letters: class
            .letters
            .iter()
            .map(|l| LetterRecord {
                client: &l.client,
                level: &config.dunning_levels[l.level].name,
            })
            .collect(),
        held: &class.held,
        files,
        timings_ms: record.timings.iter().copied().collect(),
    };
    let mut text = serde_json::to_string_pretty(&manifest).map_err(std::io::Error::other)?;
    text.push('\n');
    std::fs::write(dir.join("run.json"), text)
}

/// Every file under `dir` but `run.json`, as (name relative to `root`, path).
fn collect_files(root: &Path, dir: &Path, out: &mut Vec<(String, PathBuf)>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            collect_files(root, &path, out)?;
        } else if path.file_name().is_some_and(|n| n != "run.json") {
            let name = path
                .strip_prefix(root)
                .unwrap_or(&path)
                .to_string_lossy()
                .replace('\\', "/");
            out.push((name, path));
        }
    }
    Ok(())
}
