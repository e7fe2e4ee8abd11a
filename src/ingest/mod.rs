//! Ingest: read every input file into typed invoices, payments and clients, and account for
//! every row. A row is either used, or listed as an issue (file, sheet, row, column, value,
//! message); nothing is dropped silently.

// A bad row is the `Err` of the row readers; rows are many and bad ones few, so the issue is
// returned by value rather than boxed.
#![allow(clippy::result_large_err)]

mod ahead;
pub mod camt;
mod clients;
pub mod field;
pub mod header;
pub mod html;
mod invoices;
pub mod mt940;
pub mod ofx;
mod payments;
mod row;
pub mod source;
pub mod statement;
pub mod table;
pub mod unified;
pub mod value;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::NaiveDate;
use rayon::prelude::*;
use rust_decimal::Decimal;

use crate::config::Config;
pub use crate::model::{InputReport, Ledger};
// The fast hasher of reconciliation: ingest's maps are keyed by invoice numbers, payment ids and
// client names from the user's own files, and none is iterated in an order that reaches an
// output (issues are sorted before they are written).
use crate::hash::HashMap;
use crate::model::{
    round_money, Client, ClientFlags, DateOrder, DocKind, Interner, Invoice, Issue, Origin,
    Payment, Place, Severity, Timings,
};
use crate::normalize;
use field::{Field, TableKind};
use header::HeaderMatch;
use table::{Cell, RawTable};
use value::ParsedAmount;

use clients::*;
use invoices::*;
use payments::*;
use row::*;

/// What stops ingest: a file that cannot be read, or a table whose required columns are not
/// there. Problems in single rows are never errors; they are [`Issue`]s.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// No file of a required kind was given or found.
    #[error(
        "no {kind} file{}: put the export in the input folder under a name that contains {} \
         (xlsx, xls, ods or csv), or name it under [inputs] in arrears.toml or with --{kind}",
        dir.as_ref().map(|d| format!(" in {}", d.display())).unwrap_or_default(),
        crate::config::discovery_words(*kind)
            .iter()
            .map(|w| format!("\"{w}\""))
            .collect::<Vec<_>>()
            .join(", ")
    )]
    NoInput {
        kind: TableKind,
        /// The folder that was searched, when there was one.
        dir: Option<PathBuf>,
    },
    /// The file could not be read as a spreadsheet or text table.
    #[error(transparent)]
    Source(#[from] source::SourceError),
    /// No sheet of the file has the required columns.
    #[error("{miss}")]
    Header {
        file: String,
        sheet: Option<String>,
        miss: header::HeaderMiss,
    },
    /// The file holds no non-empty row at all.
    #[error("{file} holds no rows: export the {kind} again, with its header row")]
    NoRows { file: String, kind: TableKind },
    /// A structured file (a bank statement, the unified file) given as a kind it does not hold.
    #[error(
        "{file} is {format}, which holds {holds}, not {kind}: give it under `{holds}` \
         ([inputs] in arrears.toml, or --{holds})"
    )]
    WrongKind {
        file: String,
        format: String,
        kind: TableKind,
        holds: String,
    },
    /// The sheet named in the config is not in the workbook.
    #[error("{file}: no sheet named '{sheet}' (sheets: {available}); fix `sheet` under [{kind}] in arrears.toml")]
    NoSuchSheet {
        file: String,
        sheet: String,
        available: String,
        kind: TableKind,
    },
}

/// Reads every input named by the configuration.
///
/// # Errors
/// When a required input is missing, a file cannot be read, or no sheet of a file has the
/// required columns. Bad rows are not errors: they are returned as issues in the ledger.
pub fn ingest(config: &Config) -> Result<Ledger, IngestError> {
    ingest_timed(config).map(|(ledger, _)| ledger)
}

/// [`ingest`], with the wall time of its parts in ms: `ingest_read` (files read, tables and
/// headers found; for spreadsheets read ahead, the time their kind waited for them) and
/// `ingest_parse` (rows parsed into documents), each summed over the three kinds.
///
/// # Errors
/// As [`ingest`].
pub fn ingest_timed(config: &Config) -> Result<(Ledger, Timings), IngestError> {
    // As many workbooks read ahead as there are worker threads, and at least two: the sheet
    // parsed next and the one after it.
    let window = rayon::current_num_threads().max(2);
    ingest_with(config, window).map(|(ledger, timings, _)| (ledger, timings))
}

/// [`ingest_timed`], reading at most `window` spreadsheets ahead of their turn.
fn ingest_with(
    config: &Config,
    window: usize,
) -> Result<(Ledger, Timings, ahead::Stats), IngestError> {
    for kind in [TableKind::Invoices, TableKind::Payments] {
        if config.inputs.files(kind).is_empty() {
            return Err(IngestError::NoInput {
                kind,
                dir: config.inputs.searched.clone(),
            });
        }
    }
    // One kind at a time (clients, invoices, payments): its files are read and their tables
    // located concurrently, its rows parsed, and its raw tables dropped before the next kind is
    // parsed. Text files are read when their kind's turn comes, on all threads, so at most one
    // kind's cells are in memory next to the documents. Spreadsheets cannot be read that way:
    // calamine reads a sheet on one thread from start to end, which at a million rows takes
    // longer than parsing it. So the spreadsheets are read ahead on threads of their own, a
    // few at a time in the order they are parsed (`ahead`), and a kind's rows parse while the
    // later kinds' sheets are still being read; the price is that a workbook's cells may wait
    // in memory for their turn. Problems found while locating tables are listed before the row
    // issues, in file order, as when every file was read first. The error returned is the
    // first in that order; once a spreadsheet has failed nothing more is parsed, and the files
    // before it are only read to see whether one of them fails first.
    let mut read_ms = 0;
    let mut parse_ms = 0;
    let mut ledger = Ledger::default();
    let mut row_issues = Vec::new();
    let mut clients = Clients::default();
    // Client keys and names, currencies, payers: one shared copy of each, for the whole run.
    let mut texts = Interner::default();
    let kinds = [TableKind::Clients, TableKind::Invoices, TableKind::Payments];
    let ahead = ahead::ReadAhead::new(config, &kinds, window);
    std::thread::scope(|scope| -> Result<(), IngestError> {
        let _stop = ahead::StopOnDrop(&ahead);
        ahead.start(scope);
        for kind in kinds {
            let started = std::time::Instant::now();
            let located = located_in_order(config, kind, &ahead)?;
            read_ms += started.elapsed().as_millis();
            if ahead.failed() {
                // A later kind's spreadsheet failed: the run fails, so this kind is not parsed.
                continue;
            }
            let started = std::time::Instant::now();
            let mut invoices = Vec::new();
            let mut numbers = InvoiceNumbers::default();
            let mut payments = Vec::new();
            let mut payment_ids = PaymentIds::default();
            let mut spent = Vec::new();
            for located in located {
                ledger.issues.extend(located.issues);
                for (mut table, header, mut report) in located.tables {
                    report.sha256.clone_from(&located.sha256);
                    report.text_format.clone_from(&located.text_format);
                    let index = ledger.inputs.len();
                    ledger.inputs.push(report);
                    let report = &mut ledger.inputs[index];
                    match kind {
                        TableKind::Clients => read_clients(
                            config,
                            &table,
                            &header,
                            report,
                            &mut clients,
                            &mut row_issues,
                        ),
                        TableKind::Invoices => read_invoices(
                            config,
                            &mut table,
                            &header,
                            report,
                            index,
                            &mut clients,
                            &mut texts,
                            &mut invoices,
                            &mut numbers,
                            &mut row_issues,
                        ),
                        TableKind::Payments => read_payments(
                            config,
                            &mut table,
                            &header,
                            report,
                            &mut texts,
                            &mut payments,
                            &mut payment_ids,
                            &mut row_issues,
                        ),
                    }
                    spent.push(table);
                }
            }
            // The kind's tables, a million rows of cells, are freed on one thread while the
            // duplicates are settled (and their maps freed) on the other.
            let free = move || drop(spent);
            match kind {
                TableKind::Clients => free(),
                TableKind::Invoices => {
                    let inputs = &mut ledger.inputs;
                    let issues = &mut row_issues;
                    ledger.invoices =
                        rayon::join(free, || dedupe_invoices(invoices, numbers, inputs, issues)).1;
                }
                TableKind::Payments => {
                    // The duplicates among the payments were settled as they were read; their
                    // issues follow the row issues, as the invoices' do.
                    row_issues.append(&mut payment_ids.issues);
                    rayon::join(free, move || drop(payment_ids));
                    ledger.payments = payments;
                }
            }
            parse_ms += started.elapsed().as_millis();
        }
        Ok(())
    })?;
    ledger.issues.append(&mut row_issues);
    ledger.clients = clients
        .by_id
        .into_iter()
        .map(|(id, (client, _))| (id, client))
        .collect();
    let timings = vec![("ingest_read", read_ms), ("ingest_parse", parse_ms)];
    Ok((ledger, timings, ahead.stats()))
}

/// Every file of `kind`, located, in the order given, or the first error in that order: the
/// files not read ahead are read now on all threads, then the spreadsheets read ahead are taken.
fn located_in_order(
    config: &Config,
    kind: TableKind,
    ahead: &ahead::ReadAhead<'_>,
) -> Result<Vec<Located>, IngestError> {
    let files = config.inputs.files(kind);
    let mut read_now = files
        .par_iter()
        .filter(|path| !ahead::is_spreadsheet(path))
        .map(|path| locate(config, kind, path, &|| false))
        .collect::<Vec<_>>()
        .into_iter();
    let mut next_ahead = ahead.first_of(kind);
    files
        .iter()
        .map(|path| {
            if ahead::is_spreadsheet(path) {
                next_ahead += 1;
                ahead.take(next_ahead - 1)
            } else {
                read_now.next().unwrap_or_else(|| {
                    Err(IngestError::Source(source::SourceError::Stopped {
                        file: display_name(config, path),
                    }))
                })
            }
        })
        .collect()
}

/// The tables of one file that hold the wanted kind, with their header rows found.
struct Located {
    sha256: String,
    text_format: Option<String>,
    tables: Vec<(RawTable, HeaderMatch, InputReport)>,
    issues: Vec<Issue>,
}

fn display_name(config: &Config, path: &Path) -> String {
    path.strip_prefix(&config.base_dir)
        .unwrap_or(path)
        .to_string_lossy()
        .to_string()
}

fn locate(
    config: &Config,
    kind: TableKind,
    path: &Path,
    stop: source::Stop<'_>,
) -> Result<Located, IngestError> {
    let display = display_name(config, path);
    let file = source::read_file_until(path, &display, config.inputs.encoding, stop)?;
    let explicit = config
        .inputs
        .columns
        .get(&kind)
        .cloned()
        .unwrap_or_default();
    let mut located = Located {
        sha256: file.sha256,
        text_format: file.text_format,
        tables: Vec::new(),
        issues: Vec::new(),
    };
    if !file.generated.is_empty() {
        return located_generated(located, file.generated, kind, path, display);
    }
    let tables: Vec<RawTable> = match config.inputs.sheets.get(&kind) {
        Some(wanted) if file.tables.iter().any(|t| t.sheet.is_some()) => {
            let available: Vec<String> = file
                .tables
                .iter()
                .filter_map(|t| t.sheet.as_deref().map(str::to_string))
                .collect();
            let chosen: Vec<RawTable> = file
                .tables
                .into_iter()
                .filter(|t| {
                    t.sheet
                        .as_deref()
                        .is_some_and(|s| s.trim().eq_ignore_ascii_case(wanted.trim()))
                })
                .collect();
            if chosen.is_empty() {
                return Err(IngestError::NoSuchSheet {
                    file: display,
                    sheet: wanted.clone(),
                    available: available.join(", "),
                    kind,
                });
            }
            chosen
        }
        _ => file.tables,
    };
    let mut first_miss: Option<(Option<String>, header::HeaderMiss, usize)> = None;
    for table in tables {
        let filled = table
            .rows
            .iter()
            .filter(|r| r.iter().any(|c| !c.is_empty()))
            .count();
        match header::find_header(&table, kind, &explicit) {
            Ok(header) => {
                let unmapped = header::unmapped(&header);
                located.issues.extend(header::unmapped_hints(
                    &header,
                    &unmapped,
                    kind,
                    &display,
                    table.sheet.as_deref(),
                    table.row_number(header.row_index),
                ));
                let report = InputReport {
                    kind: Some(kind),
                    path: path.to_path_buf(),
                    file: display.clone(),
                    sheet: table.sheet.as_deref().map(str::to_string),
                    header_row: Some(table.row_number(header.row_index)),
                    mapping: header
                        .columns
                        .iter()
                        .map(|(field, col)| {
                            (
                                *field,
                                header.headers.get(*col).cloned().unwrap_or_default(),
                            )
                        })
                        .collect(),
                    unmapped: unmapped.into_iter().map(|(_, h)| h).collect(),
                    ..InputReport::default()
                };
                located.tables.push((table, header, report));
            }
            Err(miss) => {
                if filled > 0 {
                    let better = first_miss
                        .as_ref()
                        .is_none_or(|(_, _, rows)| filled > *rows);
                    if better {
                        first_miss =
                            Some((table.sheet.as_deref().map(str::to_string), miss, filled));
                    }
                }
                if let Some(sheet) = &table.sheet {
                    if filled > 0 {
                        located.issues.push(Issue::file(
                            Severity::Warning,
                            &display,
                            Some(sheet),
                            format!("sheet skipped: it has {filled} non-empty rows but no {kind} header row"),
                        ));
                    }
                }
            }
        }
    }
    if located.tables.is_empty() {
        let (sheet, miss) = match first_miss {
            Some((sheet, miss, _)) => (sheet, miss),
            None => {
                return Err(IngestError::NoRows {
                    file: display,
                    kind,
                });
            }
        };
        return Err(IngestError::Header {
            file: display,
            sheet,
            miss,
        });
    }
    // Sheets that were skipped are reported only when another sheet was used.
    Ok(located)
}

/// The tables a structured format's reader made for `kind`, with their headers as the reader
/// gave them: a file in such a format says what each value is, so no header is looked for and
/// no column named in `arrears.toml` applies.
fn located_generated(
    mut located: Located,
    generated: Vec<statement::Generated>,
    kind: TableKind,
    path: &Path,
    display: String,
) -> Result<Located, IngestError> {
    let format = generated[0].format.clone();
    let offered: Vec<TableKind> = generated.iter().map(|g| g.kind).collect();
    for made in generated.into_iter().filter(|g| g.kind == kind) {
        located.issues.extend(made.issues);
        let report = InputReport {
            kind: Some(kind),
            path: path.to_path_buf(),
            file: display.clone(),
            sheet: None,
            header_row: None,
            mapping: made
                .header
                .columns
                .iter()
                .map(|(field, col)| {
                    let header = made.header.headers.get(*col).cloned().unwrap_or_default();
                    (*field, header)
                })
                .collect(),
            statement: made.statement,
            rows: made.ignored + made.rejected,
            ignored: made.ignored,
            rejected: made.rejected,
            ..InputReport::default()
        };
        located.tables.push((made.table, made.header, report));
    }
    if located.tables.is_empty() {
        return Err(IngestError::WrongKind {
            file: display,
            format,
            kind,
            holds: offered
                .iter()
                .map(|k| k.as_str())
                .collect::<Vec<_>>()
                .join(" and "),
        });
    }
    located.text_format = Some(format);
    Ok(located)
}
