//! Ingest: read every input file into typed invoices, payments and clients, and account for
//! every row. A row is either used, or listed as an issue (file, sheet, row, column, value,
//! message); nothing is dropped silently.

// A bad row is the `Err` of the row readers; rows are many and bad ones few, so the issue is
// returned by value rather than boxed.
#![allow(clippy::result_large_err)]

pub mod camt;
pub mod field;
pub mod header;
pub mod html;
pub mod mt940;
pub mod ofx;
pub mod source;
pub mod statement;
pub mod table;
pub mod unified;
pub mod value;

use std::collections::hash_map::Entry;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::NaiveDate;
use rayon::prelude::*;
use rust_decimal::Decimal;

use crate::config::Config;
// The fast hasher of reconciliation: ingest's maps are keyed by invoice numbers, payment ids and
// client names from the user's own files, and none is iterated in an order that reaches an
// output (issues are sorted before they are written).
use crate::model::{
    round_money, Client, ClientFlags, DateOrder, DocKind, Interner, Invoice, Issue, Origin,
    Payment, Place, Severity,
};
use crate::normalize;
use crate::reconcile::hash::HashMap;
use field::{Field, TableKind};
use header::HeaderMatch;
use table::{Cell, RawTable};
use value::ParsedAmount;

/// How one input file (or one sheet of it) was understood.
#[derive(Clone, Debug, Default)]
pub struct InputReport {
    pub kind: Option<TableKind>,
    pub path: PathBuf,
    /// File name as shown in messages.
    pub file: String,
    pub sheet: Option<String>,
    /// Hex SHA-256 of the file's bytes.
    pub sha256: String,
    /// 1-based row number of the header row; `None` when no header was found.
    pub header_row: Option<u32>,
    /// Which header each field was read from.
    pub mapping: Vec<(Field, String)>,
    /// The headers of the header row that map to no field: their columns are not read.
    pub unmapped: Vec<String>,
    /// For a bank statement: its accounts, currencies, period and entries of each kind.
    pub statement: Option<statement::StatementSummary>,
    /// Per date column: the order used (`day-first`, `month-first`, or `mixed` for a column
    /// that proves both) and whether the data decided it (`false` = the configured default).
    pub date_orders: Vec<(String, String, bool)>,
    /// Encoding and delimiter of a text file.
    pub text_format: Option<String>,
    /// Non-blank data rows below the header.
    pub rows: usize,
    /// Rows that became an invoice, payment or client.
    pub used: usize,
    /// Rows left out because of an error-level issue.
    pub rejected: usize,
    /// Identical duplicate rows counted once.
    pub duplicates: usize,
    /// Rows that hold no document by design (a totals line, a debit line of a bank export),
    /// each listed as a warning.
    pub ignored: usize,
}

/// Everything ingest produces: typed rows, the issues found, and how each input was read.
#[derive(Clone, Debug, Default)]
pub struct Ledger {
    pub invoices: Vec<Invoice>,
    pub payments: Vec<Payment>,
    /// Every client by key: from the clients table, plus those known only from invoices.
    pub clients: BTreeMap<String, Client>,
    pub issues: Vec<Issue>,
    pub inputs: Vec<InputReport>,
}

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
pub fn ingest_timed(config: &Config) -> Result<(Ledger, crate::reconcile::Timings), IngestError> {
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
    // longer than parsing it. So every spreadsheet starts reading at once, each on a thread of
    // its own, and a kind's rows parse while the later kinds' sheets are still being read; the
    // price is that a workbook's cells wait in memory for their turn. Problems found while
    // locating tables are listed before the row issues, in file order, as when every file was
    // read first.
    let mut read_ms = 0;
    let mut parse_ms = 0;
    let mut ledger = Ledger::default();
    let mut row_issues = Vec::new();
    let mut clients = Clients::default();
    // Client keys and names, currencies, payers: one shared copy of each, for the whole run.
    let mut texts = Interner::default();
    let kinds = [TableKind::Clients, TableKind::Invoices, TableKind::Payments];
    std::thread::scope(|scope| -> Result<(), IngestError> {
        let ahead: Vec<Vec<Ahead<'_>>> = kinds
            .iter()
            .map(|&kind| start_spreadsheets(scope, config, kind))
            .collect();
        for (kind, ahead) in kinds.into_iter().zip(ahead) {
            let started = std::time::Instant::now();
            let located = located_in_order(config, kind, ahead);
            read_ms += started.elapsed().as_millis();
            let started = std::time::Instant::now();
            let mut invoices = Vec::new();
            let mut numbers = InvoiceNumbers::default();
            let mut payments = Vec::new();
            let mut payment_ids = PaymentIds::default();
            let mut spent = Vec::new();
            for result in located {
                let located = result?;
                ledger.issues.extend(located.issues);
                for (table, header, mut report) in located.tables {
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
                            &table,
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
                            &table,
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
    Ok((ledger, timings))
}

/// A spreadsheet being read on a thread of its own; `None` for a file read in its kind's turn.
type Ahead<'scope> = Option<std::thread::ScopedJoinHandle<'scope, Result<Located, IngestError>>>;

/// Starts reading each of `kind`'s spreadsheets on a thread of its own, one entry per file in
/// the order given. A thread the system refuses to start leaves its file to be read in turn.
fn start_spreadsheets<'scope>(
    scope: &'scope std::thread::Scope<'scope, '_>,
    config: &'scope Config,
    kind: TableKind,
) -> Vec<Ahead<'scope>> {
    config
        .inputs
        .files(kind)
        .iter()
        .map(|path| {
            source::has_extension(path, &source::SPREADSHEET_EXTENSIONS)
                .then(|| {
                    std::thread::Builder::new()
                        .spawn_scoped(scope, move || locate(config, kind, path))
                        .ok()
                })
                .flatten()
        })
        .collect()
}

/// Every file of `kind`, located, in the order given: the files not read ahead are read now on
/// all threads, then the spreadsheets read ahead are waited for.
fn located_in_order(
    config: &Config,
    kind: TableKind,
    ahead: Vec<Ahead<'_>>,
) -> Vec<Result<Located, IngestError>> {
    let is_ahead: Vec<bool> = ahead.iter().map(Option::is_some).collect();
    let mut read_now = config
        .inputs
        .files(kind)
        .par_iter()
        .zip(is_ahead)
        .filter(|(_, is_ahead)| !is_ahead)
        .map(|(path, _)| locate(config, kind, path))
        .collect::<Vec<_>>()
        .into_iter();
    ahead
        .into_iter()
        .filter_map(|handle| match handle {
            Some(handle) => Some(
                handle
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            ),
            None => read_now.next(),
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

fn locate(config: &Config, kind: TableKind, path: &Path) -> Result<Located, IngestError> {
    let display = display_name(config, path);
    let file = source::read_file(path, &display, config.inputs.encoding)?;
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

/// One data row of a located table, with the means to read its fields and report on them.
struct Row<'a> {
    cells: &'a [Cell],
    header: &'a HeaderMatch,
    origin: Origin,
}

impl<'a> Row<'a> {
    fn cell(&self, field: Field) -> Option<&'a Cell> {
        let col = *self.header.columns.get(&field)?;
        self.cells.get(col).filter(|c| !c.is_empty())
    }

    fn column(&self, field: Field) -> &str {
        self.header
            .columns
            .get(&field)
            .and_then(|c| self.header.headers.get(*c))
            .map_or(field.key(), String::as_str)
    }

    fn text(&self, field: Field) -> Option<String> {
        self.cell(field).and_then(value::cell_text)
    }

    fn issue(&self, severity: Severity, field: Option<Field>, message: impl Into<String>) -> Issue {
        let value = field.and_then(|f| self.cell(f)).map(Cell::display);
        Issue::at(
            severity,
            &self.origin,
            field.map(|f| self.column(f)),
            value.as_deref(),
            message,
        )
    }

    fn error(&self, field: Field, message: impl Into<String>) -> Issue {
        self.issue(Severity::Error, Some(field), message)
    }

    fn missing(&self, field: Field, what: &str) -> Issue {
        Issue::at(
            Severity::Error,
            &self.origin,
            Some(self.column(field)),
            Some(""),
            format!("{what} is empty; the row is left out"),
        )
    }

    fn date(
        &self,
        field: Field,
        orders: &BTreeMap<Field, ColumnOrder>,
    ) -> Result<Option<NaiveDate>, Issue> {
        let Some(cell) = self.cell(field) else {
            return Ok(None);
        };
        match orders.get(&field) {
            Some(ColumnOrder::Fixed(order)) => value::parse_date(cell, *order),
            None => value::parse_date(cell, DateOrder::DayFirst),
            Some(ColumnOrder::Mixed) => match value::date_hint(cell) {
                value::DateHint::DayFirst => value::parse_date(cell, DateOrder::DayFirst),
                value::DateHint::MonthFirst => value::parse_date(cell, DateOrder::MonthFirst),
                value::DateHint::NoHint => {
                    let day = value::parse_date(cell, DateOrder::DayFirst);
                    let month = value::parse_date(cell, DateOrder::MonthFirst);
                    match (day, month) {
                        (Ok(a), Ok(b)) if a != b => Err(format!(
                            "reads as {a} or {b}, and this column mixes day-first and month-first dates"
                        )),
                        (Ok(a), _) => Ok(a),
                        (Err(e), _) => Err(e),
                    }
                }
            },
        }
        .map(Some)
        .map_err(|m| self.error(field, m))
    }

    fn amount(&self, field: Field) -> Result<Option<ParsedAmount>, Issue> {
        let Some(cell) = self.cell(field) else {
            return Ok(None);
        };
        value::parse_amount(cell)
            .map(Some)
            .map_err(|m| self.error(field, m))
    }

    fn flag(&self, field: Field) -> Result<bool, Issue> {
        match self.cell(field) {
            None => Ok(false),
            Some(cell) => value::parse_bool(cell).map_err(|m| self.error(field, m)),
        }
    }
}

/// The data rows of a table (below its header), skipping blank rows, with a running report.
fn data_rows<'a>(
    table: &'a RawTable,
    header: &'a HeaderMatch,
    report: &mut InputReport,
    issues: &mut Vec<Issue>,
) -> Vec<Row<'a>> {
    let mut rows = Vec::new();
    let place = Arc::new(Place {
        file: Arc::clone(&table.file),
        sheet: table.sheet.clone(),
    });
    for (index, cells) in table.rows.iter().enumerate().skip(header.row_index + 1) {
        if cells.iter().all(Cell::is_empty) {
            continue;
        }
        let row = Row {
            cells,
            header,
            origin: Origin {
                place: Arc::clone(&place),
                row: table.row_number(index),
            },
        };
        // Cells right of the last header: in a text export this is almost always an amount
        // with a thousands comma that was not quoted, which shifts every later column.
        if let Some(extra) = cells
            .iter()
            .skip(header.headers.len())
            .find(|c| !c.is_empty())
        {
            issues.push(Issue::at(
                Severity::Warning,
                &row.origin,
                None,
                Some(&extra.display()),
                format!(
                    "the row has cells beyond the {} header columns; they are ignored — check for \
                     an unquoted comma in an amount or name",
                    header.headers.len()
                ),
            ));
        }
        rows.push(row);
    }
    if rows.is_empty() {
        // A header with nothing below it is almost always a failed or filtered export; say so
        // rather than run silently on nothing.
        issues.push(Issue {
            severity: Severity::Warning,
            file: report.file.clone(),
            sheet: report.sheet.clone(),
            row: Some(table.row_number(header.row_index)),
            column: None,
            value: None,
            message: "the table has a header row but no data rows below it; nothing was read \
                      from it — check the export"
                .to_string(),
        });
    }
    report.rows += rows.len();
    rows
}

/// A totals line at the bottom of an export ("Total", "סה"כ"): a row whose key column is empty
/// or holds the totals word itself, with the word somewhere in the row.
fn is_totals_row(row: &Row<'_>, key_field: Field) -> bool {
    let is_total = |c: &Cell| {
        let key = field::header_key(&c.display());
        matches!(
            key.as_str(),
            "total" | "totals" | "grandtotal" | "סהכ" | "סךהכל" | "סיכום"
        )
    };
    match row.cell(key_field) {
        None => row.cells.iter().any(is_total),
        Some(key) => is_total(key),
    }
}

/// How the dates of one column are read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ColumnOrder {
    Fixed(DateOrder),
    /// The column proves both orders: each date is read in the order it proves itself.
    Mixed,
}

/// Decides the day/month order of every date column of a table from its data.
fn date_orders<'a>(
    config: &Config,
    rows: &[Row<'a>],
    fields: &[Field],
    report: &mut InputReport,
    issues: &mut Vec<Issue>,
) -> BTreeMap<Field, ColumnOrder> {
    let mut orders = BTreeMap::new();
    for &field in fields {
        if !rows
            .first()
            .is_some_and(|r| r.header.columns.contains_key(&field))
        {
            continue;
        }
        // A column of real dates (a spreadsheet's, a bank statement's) has no order to decide;
        // saying it fell back to the default would only be noise.
        if !rows
            .par_iter()
            .any(|r| matches!(r.cell(field), Some(Cell::Text(_))))
        {
            continue;
        }
        let column = rows[0].column(field).to_string();
        // The first cell that proves each order, found on all threads: deciding on those two
        // alone, in row order, is what a scan of the whole column decides.
        type First<'c> = Option<(usize, &'c Cell)>;
        let earlier = |a: First<'a>, b: First<'a>| match (a, b) {
            (Some(x), Some(y)) => Some(if x.0 <= y.0 { x } else { y }),
            (x, y) => x.or(y),
        };
        let (day_first, month_first) = rows
            .par_iter()
            .enumerate()
            .filter_map(|(i, r)| r.cell(field).map(|c| (i, c)))
            .fold(
                || (None, None),
                |(day, month): (First<'a>, First<'a>), (i, cell)| match value::date_hint(cell) {
                    value::DateHint::DayFirst => (day.or(Some((i, cell))), month),
                    value::DateHint::MonthFirst => (day, month.or(Some((i, cell)))),
                    value::DateHint::NoHint => (day, month),
                },
            )
            .reduce(
                || (None, None),
                |(d1, m1), (d2, m2)| (earlier(d1, d2), earlier(m1, m2)),
            );
        let mut proving: Vec<(usize, &Cell)> =
            [day_first, month_first].into_iter().flatten().collect();
        proving.sort_by_key(|&(i, _)| i);
        let cells = proving.into_iter().map(|(_, cell)| cell);
        match value::decide_date_order(cells, config.date_order) {
            Ok((order, decided)) => {
                orders.insert(field, ColumnOrder::Fixed(order));
                report
                    .date_orders
                    .push((column, order.as_str().to_string(), decided));
            }
            Err(conflict) => {
                issues.push(Issue {
                    severity: Severity::Error,
                    file: report.file.clone(),
                    sheet: report.sheet.clone(),
                    row: None,
                    column: Some(column.clone()),
                    value: None,
                    message: format!(
                        "{conflict}; each date is read in the order it proves, and rows whose \
                         date reads both ways are left out — export the column as real dates"
                    ),
                });
                orders.insert(field, ColumnOrder::Mixed);
                report.date_orders.push((column, "mixed".to_string(), true));
            }
        }
    }
    orders
}

/// Clients by key, with a name index to resolve invoices that carry only a client name.
#[derive(Default)]
struct Clients {
    /// Hashed while rows are read (a million invoices look their client up); sorted once into
    /// the ledger at the end. Beside each client, the shared copies of its key and name, made
    /// by its first invoice.
    by_id: HashMap<String, (Client, Option<Shared>)>,
    /// Name key -> client id; `None` when two clients share the name.
    by_name: HashMap<String, Option<String>>,
}

/// A client's key and name as `texts` shares them.
type Shared = (Arc<str>, Arc<str>);

impl Clients {
    fn get(&self, id: &str) -> Option<&Client> {
        self.by_id.get(id).map(|(client, _)| client)
    }

    /// Adds `client`, whose name's [`normalize::name_key`] is `key`.
    fn insert(&mut self, client: Client, key: String) {
        if !key.is_empty() {
            self.by_name
                .entry(key)
                .and_modify(|id| {
                    if id.as_deref() != Some(client.id.as_str()) {
                        *id = None;
                    }
                })
                .or_insert_with(|| Some(client.id.clone()));
        }
        self.by_id.insert(client.id.clone(), (client, None));
    }

    /// The client key of an invoice row: its client id, else the id of the one client of that
    /// name, else the name itself (a client known only from invoices); and the client's name.
    /// Both are the shared copies of `texts`.
    fn resolve(
        &mut self,
        id: Option<String>,
        name: Option<String>,
        email: Option<&String>,
        texts: &mut Interner,
    ) -> Shared {
        let key = match (id, &name) {
            (Some(id), _) => id,
            (None, Some(name)) => self
                .by_name
                .get(&normalize::name_key(name))
                .cloned()
                .flatten()
                .unwrap_or_else(|| name.clone()),
            (None, None) => String::new(),
        };
        if let Some((client, shared)) = self.by_id.get_mut(&key) {
            if client.email.is_none() {
                client.email = email.cloned();
            }
            return shared
                .get_or_insert_with(|| (texts.get(&key), texts.get(&client.name)))
                .clone();
        }
        let display = name.unwrap_or_else(|| key.clone());
        let shared = (texts.get(&key), texts.get(&display));
        let name_key = normalize::name_key(&display);
        self.insert(
            Client {
                id: key.clone(),
                name: display,
                email: email.cloned(),
                ..Client::default()
            },
            name_key,
        );
        if let Some((_, slot)) = self.by_id.get_mut(&key) {
            *slot = Some(shared.clone());
        }
        shared
    }
}

fn read_clients(
    config: &Config,
    table: &RawTable,
    header: &HeaderMatch,
    report: &mut InputReport,
    clients: &mut Clients,
    issues: &mut Vec<Issue>,
) {
    use Field::*;
    let rows = data_rows(table, header, report, issues);
    let orders = date_orders(config, &rows, &[LastContact, PromisedDate], report, issues);
    // Rows parse on all threads (an indexed collect keeps row order), each with its name's
    // key; duplicates are decided afterwards in row order, so issues come out in the same order
    // for any thread count.
    let parsed: Vec<_> = rows
        .par_iter()
        .map(|row| {
            read_client(row, &orders).map(|(client, warnings)| {
                let name_key = normalize::name_key(&client.name);
                (client, warnings, name_key)
            })
        })
        .collect();
    for (row, parsed) in rows.iter().zip(parsed) {
        match parsed {
            Ok((client, warnings, name_key)) => {
                issues.extend(warnings);
                if let Some(existing) = clients.get(&client.id) {
                    let mut same = existing.clone();
                    same.origin.clone_from(&client.origin);
                    if same == client {
                        issues.push(row.issue(
                            Severity::Warning,
                            Some(Id),
                            "the same client row appears twice; counted once",
                        ));
                        report.duplicates += 1;
                    } else {
                        let first = existing.origin.as_ref().map_or(0, |o| o.row);
                        issues.push(row.issue(
                            Severity::Error,
                            Some(Id),
                            format!("client id already used by row {first} with other details; this row is left out"),
                        ));
                        report.rejected += 1;
                    }
                    continue;
                }
                clients.insert(client, name_key);
                report.used += 1;
            }
            Err(issue) => {
                issues.push(issue);
                report.rejected += 1;
            }
        }
    }
}

fn read_client(
    row: &Row<'_>,
    orders: &BTreeMap<Field, ColumnOrder>,
) -> Result<(Client, Vec<Issue>), Issue> {
    use Field::*;
    let id = row.text(Id);
    let name = row.text(Name);
    let (id, name) = match (id, name) {
        (Some(id), Some(name)) => (id, name),
        (Some(id), None) => (id.clone(), id),
        (None, Some(name)) => (name.clone(), name),
        (None, None) => {
            return Err(row.missing(
                if row.header.columns.contains_key(&Id) {
                    Id
                } else {
                    Name
                },
                "client id and name",
            ))
        }
    };
    let mut warnings = Vec::new();
    let kind = match row.text(Type) {
        None => None,
        Some(t) => {
            let kind = value::parse_client_kind(&t);
            if kind.is_none() {
                warnings.push(row.issue(
                    Severity::Warning,
                    Some(Type),
                    "unknown client type (expected private, company or freelancer); ignored",
                ));
            }
            kind
        }
    };
    let language = match row.text(Language) {
        None => None,
        Some(t) => {
            let lang = value::parse_language(&t);
            if lang.is_none() {
                warnings.push(row.issue(
                    Severity::Warning,
                    Some(Language),
                    "unknown language (expected he, en, ...); the default is used",
                ));
            }
            lang
        }
    };
    let terms = match row.text(Terms) {
        None => None,
        Some(t) => Some(value::parse_terms(&t).map_err(|m| row.error(Terms, m))?),
    };
    let withholding = match row.cell(Withholding) {
        None => None,
        Some(cell) => Some(value::parse_percent(cell).map_err(|m| row.error(Withholding, m))?),
    };
    let flags = ClientFlags {
        disputed: row.flag(FlagDisputed)?,
        do_not_remind: row.flag(DoNotRemind)?,
        financial_trouble: row.flag(FinancialTrouble)?,
        complaints: row.flag(Complaints)?,
    };
    Ok((
        Client {
            id,
            name,
            kind,
            email: row.text(ClientEmail),
            phone: row.text(Phone),
            address: row.text(Address),
            language,
            terms,
            contact: row.text(Contact),
            collector: row.text(Collector),
            flags,
            last_contact: row.date(LastContact, orders)?,
            promised: row.date(PromisedDate, orders)?,
            notes: row.text(Notes),
            withholding,
            origin: Some(row.origin.clone()),
        },
        warnings,
    ))
}

/// The currency of a row: its currency column, else a sign or code in the amount, else the
/// configured default. A column and an amount that disagree are an error.
fn row_currency(
    config: &Config,
    row: &Row<'_>,
    field: Field,
    amount_field: Field,
    from_amount: Option<&str>,
) -> Result<String, Issue> {
    let column = match row.text(field) {
        None => None,
        Some(text) => Some(value::parse_currency(&text).ok_or_else(|| {
            row.error(
                field,
                "not a currency; write an ISO code such as ILS, USD or EUR",
            )
        })?),
    };
    match (column, from_amount) {
        (Some(c), Some(a)) if c != a => Err(row.error(
            amount_field,
            format!("the amount says {a} but the currency column says {c}"),
        )),
        (Some(c), _) => Ok(c),
        (None, Some(a)) => Ok(a.to_string()),
        (None, None) => Ok(config.default_currency.clone()),
    }
}

#[allow(clippy::too_many_arguments)]
fn read_invoices(
    config: &Config,
    table: &RawTable,
    header: &HeaderMatch,
    report: &mut InputReport,
    report_index: usize,
    clients: &mut Clients,
    texts: &mut Interner,
    invoices: &mut Vec<Invoice>,
    numbers: &mut InvoiceNumbers,
    issues: &mut Vec<Issue>,
) {
    use Field::*;
    let rows = data_rows(table, header, report, issues);
    let orders = date_orders(config, &rows, &[InvoiceDate, DueDate], report, issues);
    // Everything row-local parses on all threads; resolving the client, which depends on the
    // rows before, runs in row order.
    invoices.reserve(rows.len());
    numbers.seen.reserve(rows.len());
    let parse =
        |row: &Row<'_>| (!is_totals_row(row, Number)).then(|| parse_invoice(config, row, &orders));
    parse_in_order(&rows, parse, |row, parsed| {
        match parsed {
            None => {
                issues.push(row.issue(Severity::Warning, None, "totals row ignored"));
                report.ignored += 1;
            }
            Some(Ok((draft, key))) => {
                numbers.add(key, report_index);
                invoices.push(finish_invoice(config, row, draft, clients, texts));
                report.used += 1;
            }
            Some(Err(LateError { issue, client })) => {
                // A row rejected for its due date or disputed flag still names its client,
                // as it did when rows were read one by one.
                if let Some((id, name, email)) = client {
                    clients.resolve(id, name, email.as_ref(), texts);
                }
                issues.push(issue);
                report.rejected += 1;
            }
        }
    });
}

/// Rows parsed in parallel at once: enough to keep every thread busy, few enough that the
/// parsed drafts of a million-row table are not all held at the same time.
const PARSE_CHUNK: usize = 1 << 16;

/// Parses `rows` on all threads and hands each result to `finish` in row order. A chunk at a
/// time: `finish` takes one chunk on this thread while the next chunk is being parsed, so the
/// work that must follow row order (clients, shared texts, duplicates) overlaps the parsing,
/// and only two chunks' drafts are held at once.
fn parse_in_order<'r, R: Sync, D: Send>(
    rows: &'r [R],
    parse: impl Fn(&R) -> D + Sync,
    mut finish: impl FnMut(&'r R, D) + Send,
) {
    let parse_chunk = |chunk: &'r [R]| (chunk, chunk.par_iter().map(&parse).collect::<Vec<D>>());
    let mut chunks = rows.chunks(PARSE_CHUNK);
    let mut current = chunks.next().map(parse_chunk);
    while let Some((chunk, parsed)) = current {
        let next = chunks.next();
        current = rayon::join(
            || {
                for (row, draft) in chunk.iter().zip(parsed) {
                    finish(row, draft);
                }
            },
            || next.map(parse_chunk),
        )
        .1;
    }
}

/// An invoice row with every row-local field parsed; the client is not resolved yet.
struct InvoiceDraft {
    number: String,
    client_id: Option<String>,
    client_name: Option<String>,
    email: Option<String>,
    date: NaiveDate,
    due: Option<NaiveDate>,
    amount: Decimal,
    currency: String,
    kind: DocKind,
    reference: Option<String>,
    disputed: bool,
    prepaid: Decimal,
}

/// A rejected invoice row; `client` is set when the error came after the point where the
/// client would have been resolved (id, name, email).
struct LateError {
    issue: Issue,
    client: Option<(Option<String>, Option<String>, Option<String>)>,
}

impl From<Issue> for LateError {
    fn from(issue: Issue) -> LateError {
        LateError {
            issue,
            client: None,
        }
    }
}

fn parse_invoice(
    config: &Config,
    row: &Row<'_>,
    orders: &BTreeMap<Field, ColumnOrder>,
) -> Result<(InvoiceDraft, String), LateError> {
    use Field::*;
    let number = row
        .text(Number)
        .ok_or_else(|| row.missing(Number, "the invoice number"))?;
    let client_id = row.text(ClientId);
    let client_name = row.text(ClientName);
    if client_id.is_none() && client_name.is_none() {
        let field = if row.header.columns.contains_key(&ClientId) {
            ClientId
        } else {
            ClientName
        };
        return Err(row.missing(field, "the client").into());
    }
    let date = row
        .date(InvoiceDate, orders)?
        .ok_or_else(|| row.missing(InvoiceDate, "the invoice date"))?;
    let parsed = row
        .amount(Amount)?
        .ok_or_else(|| row.missing(Amount, "the amount"))?;
    let currency = row_currency(config, row, Currency, Amount, parsed.currency.as_deref())?;
    let mut amount = round_money(parsed.value, &currency);
    let mut kind = if amount.is_sign_negative() && !amount.is_zero() {
        DocKind::CreditNote
    } else {
        DocKind::Invoice
    };
    if let Some(text) = row.text(DocType) {
        match value::parse_doc_kind(&text) {
            Some(DocKind::CreditNote) => kind = DocKind::CreditNote,
            Some(DocKind::Invoice) => {}
            None => {
                return Err(row.error(DocType, "unknown document type; expected invoice or credit note (חשבונית / חשבונית זיכוי)").into());
            }
        }
    }
    if kind == DocKind::CreditNote && amount.is_sign_positive() {
        amount = -amount;
    }
    let prepaid = match row.amount(AmountPaid)? {
        None => Decimal::ZERO,
        Some(p) => round_money(p.value, &currency),
    };
    if kind == DocKind::Invoice
        && (prepaid.is_sign_negative() && !prepaid.is_zero() || prepaid > amount)
    {
        return Err(row
            .error(
                AmountPaid,
                format!("amount already paid must be between 0 and the invoice amount {amount}"),
            )
            .into());
    }
    if kind == DocKind::CreditNote && !prepaid.is_zero() {
        return Err(row
            .error(
                AmountPaid,
                "a credit note cannot have an amount already paid",
            )
            .into());
    }
    let email = row.text(Email);
    let late = |issue: Issue| LateError {
        issue,
        client: Some((client_id.clone(), client_name.clone(), email.clone())),
    };
    let due = row.date(DueDate, orders).map_err(late)?;
    let reference = row.text(Reference);
    let disputed = row.flag(Disputed).map_err(late)?;
    let key = normalize::invoice_key(&number);
    Ok((
        InvoiceDraft {
            number,
            client_id,
            client_name,
            email,
            date,
            due,
            amount,
            currency,
            kind,
            reference,
            disputed,
            prepaid,
        },
        key,
    ))
}

/// Resolves the draft's client (in row order: it may register a client) and its due date.
fn finish_invoice(
    config: &Config,
    row: &Row<'_>,
    draft: InvoiceDraft,
    clients: &mut Clients,
    texts: &mut Interner,
) -> Invoice {
    let (client, client_name) = clients.resolve(
        draft.client_id,
        draft.client_name,
        draft.email.as_ref(),
        texts,
    );
    let due = match draft.due {
        Some(due) => due,
        None => clients
            .get(&client)
            .and_then(|c| c.terms)
            .unwrap_or(config.default_terms)
            .due_date(draft.date),
    };
    Invoice {
        number: draft.number.into(),
        client,
        client_name,
        date: draft.date,
        due,
        amount: draft.amount,
        currency: texts.get(&draft.currency),
        kind: draft.kind,
        reference: draft.reference.map(String::into_boxed_str),
        disputed: draft.disputed,
        prepaid: draft.prepaid,
        email: draft.email.map(String::into_boxed_str),
        origin: row.origin.clone(),
    }
}

#[allow(clippy::too_many_arguments)]
fn read_payments(
    config: &Config,
    table: &RawTable,
    header: &HeaderMatch,
    report: &mut InputReport,
    texts: &mut Interner,
    payments: &mut Vec<Payment>,
    ids: &mut PaymentIds,
    issues: &mut Vec<Issue>,
) {
    use Field::*;
    let rows = data_rows(table, header, report, issues);
    let orders = date_orders(config, &rows, &[PaymentDate], report, issues);
    let stem = Path::new(&report.file).file_stem().map_or_else(
        || "payment".to_string(),
        |s| s.to_string_lossy().to_string(),
    );
    // Rows parse on all threads; sharing their texts and settling duplicate ids run in row
    // order.
    payments.reserve(rows.len());
    ids.seen.reserve(rows.len());
    let parse = |row: &Row<'_>| {
        (!is_totals_row(row, PaymentDate)).then(|| read_payment(config, row, &orders, &stem))
    };
    parse_in_order(&rows, parse, |row, parsed| {
        let Some(parsed) = parsed else {
            issues.push(row.issue(Severity::Warning, None, "totals row ignored"));
            report.ignored += 1;
            return;
        };
        match parsed {
            Ok(Some(draft)) => ids.push(payments, finish_payment(row, draft, texts), report),
            Ok(None) => {
                report.ignored += 1;
                issues.push(if row.cell(Debit).is_some() {
                    row.issue(
                        Severity::Warning,
                        Some(Debit),
                        "a debit (money out), not a client payment; ignored",
                    )
                } else {
                    row.issue(
                        Severity::Warning,
                        Some(PaymentAmount),
                        "no incoming amount (zero, empty or a debit); not a client payment, ignored",
                    )
                });
            }
            Err(issue) => {
                issues.push(issue);
                report.rejected += 1;
            }
        }
    });
}

/// A payment row with every field parsed; its repeated texts are not shared yet.
struct PaymentDraft {
    id: String,
    date: NaiveDate,
    amount: Decimal,
    currency: String,
    client_id: Option<String>,
    payer: Option<String>,
    memo: Option<String>,
    method: Option<String>,
    withheld: Option<Decimal>,
}

fn read_payment(
    config: &Config,
    row: &Row<'_>,
    orders: &BTreeMap<Field, ColumnOrder>,
    stem: &str,
) -> Result<Option<PaymentDraft>, Issue> {
    use Field::*;
    let date = row
        .date(PaymentDate, orders)?
        .ok_or_else(|| row.missing(PaymentDate, "the payment date"))?;
    let Some(parsed) = row.amount(PaymentAmount)? else {
        return Ok(None);
    };
    let currency = row_currency(
        config,
        row,
        PaymentCurrency,
        PaymentAmount,
        parsed.currency.as_deref(),
    )?;
    let amount = round_money(parsed.value, &currency);
    if amount <= Decimal::ZERO {
        return Ok(None);
    }
    let withheld = match row.amount(Withheld)? {
        None => None,
        Some(parsed) if parsed.value < Decimal::ZERO => {
            return Err(row.error(
                Withheld,
                "the withheld tax is negative; write the amount withheld at source as a \
                 positive number",
            ))
        }
        Some(parsed) => Some(round_money(parsed.value, &currency)),
    };
    Ok(Some(PaymentDraft {
        id: row
            .text(PaymentId)
            .unwrap_or_else(|| format!("{stem}-{}", row.origin.row)),
        date,
        amount,
        currency,
        client_id: row.text(PaymentClientId),
        payer: row.text(Payer),
        memo: row.text(Memo),
        method: row.text(Method),
        withheld,
    }))
}

/// The payment of a draft, its repeated texts shared through `texts` (in row order, on one
/// thread).
fn finish_payment(row: &Row<'_>, draft: PaymentDraft, texts: &mut Interner) -> Payment {
    Payment {
        id: draft.id.into(),
        date: draft.date,
        amount: draft.amount,
        currency: texts.get(&draft.currency),
        client_id: draft.client_id.map(|t| texts.get(&t)),
        payer: draft.payer.map(|t| texts.get(&t)),
        memo: draft.memo.map(String::into_boxed_str),
        method: draft.method.map(|t| texts.get(&t)),
        withheld: draft.withheld,
        origin: row.origin.clone(),
    }
}

/// The invoice numbers read so far, by their key (SPEC section 1's duplicate rule): the one
/// invoice with each, or the group of invoices sharing it. A list is made only for numbers
/// that repeat, not for each of a million invoices.
#[derive(Default)]
struct InvoiceNumbers {
    seen: HashMap<String, Seen>,
    groups: Vec<Vec<usize>>,
    /// The input each invoice was read from (its index in the ledger's inputs).
    reports: Vec<usize>,
}

/// Where an invoice key was seen: the index of its one invoice, or of its group.
enum Seen {
    Once(usize),
    Group(usize),
}

impl InvoiceNumbers {
    /// Notes the next invoice in reading order: its number's key and the input it is from.
    fn add(&mut self, key: String, report: usize) {
        let index = self.reports.len();
        self.reports.push(report);
        match self.seen.entry(key) {
            Entry::Vacant(slot) => {
                slot.insert(Seen::Once(index));
            }
            Entry::Occupied(mut slot) => match *slot.get() {
                Seen::Once(first) => {
                    slot.insert(Seen::Group(self.groups.len()));
                    self.groups.push(vec![first, index]);
                }
                Seen::Group(g) => self.groups[g].push(index),
            },
        }
    }
}

/// Applies the duplicate rule of SPEC section 1 to the invoices `numbers` found sharing a
/// number: identical content counts once (warning); with different content every row of that
/// number is left out (error).
fn dedupe_invoices(
    mut invoices: Vec<Invoice>,
    numbers: InvoiceNumbers,
    reports: &mut [InputReport],
    issues: &mut Vec<Issue>,
) -> Vec<Invoice> {
    let InvoiceNumbers {
        seen,
        groups,
        reports: report_of,
    } = numbers;
    drop(seen);
    if groups.is_empty() {
        return invoices;
    }
    let same = |a: &Invoice, b: &Invoice| {
        a.client == b.client
            && a.date == b.date
            && a.due == b.due
            && a.amount == b.amount
            && a.currency == b.currency
            && a.kind == b.kind
            && a.reference == b.reference
            && a.disputed == b.disputed
            && a.prepaid == b.prepaid
    };
    let mut keep = vec![true; invoices.len()];
    for members in &groups {
        let first = &invoices[members[0]];
        if members.iter().all(|&i| same(&invoices[i], first)) {
            for &i in &members[1..] {
                keep[i] = false;
                let inv = &invoices[i];
                reports[report_of[i]].used -= 1;
                reports[report_of[i]].duplicates += 1;
                issues.push(Issue::at(
                    Severity::Warning,
                    &inv.origin,
                    None,
                    Some(&inv.number),
                    format!(
                        "invoice {} appears twice with identical content ({}); counted once",
                        inv.number, first.origin
                    ),
                ));
            }
        } else {
            let places: Vec<String> = members
                .iter()
                .map(|&i| invoices[i].origin.to_string())
                .collect();
            for &i in members {
                keep[i] = false;
                let inv = &invoices[i];
                reports[report_of[i]].used -= 1;
                reports[report_of[i]].rejected += 1;
                issues.push(Issue::at(
                    Severity::Error,
                    &inv.origin,
                    None,
                    Some(&inv.number),
                    format!(
                        "invoice number {} is used by {} rows with different content ({}); all are left out until the export is corrected",
                        inv.number,
                        members.len(),
                        places.join("; ")
                    ),
                ));
            }
        }
    }
    // In place: a second vector of a million invoices would be held beside the first.
    let mut keep = keep.into_iter();
    invoices.retain(|_| keep.next().unwrap_or(true));
    invoices
}

/// The payment ids read so far. Payments with the same id: identical rows (an overlap of two
/// bank exports) count once (warning); different rows keep both, the later one with its row
/// number added to its id.
#[derive(Default)]
struct PaymentIds {
    /// Id -> index in the payments.
    seen: HashMap<Box<str>, usize>,
    /// The warnings about repeated ids, in reading order.
    issues: Vec<Issue>,
}

impl PaymentIds {
    /// Adds `payment`, read from the table of `report`, to `payments` unless it repeats one
    /// already there.
    fn push(
        &mut self,
        payments: &mut Vec<Payment>,
        mut payment: Payment,
        report: &mut InputReport,
    ) {
        if let Some(&first) = self.seen.get(&payment.id) {
            let existing = &payments[first];
            let identical = existing.date == payment.date
                && existing.amount == payment.amount
                && existing.currency == payment.currency
                && existing.client_id == payment.client_id
                && existing.payer == payment.payer
                && existing.memo == payment.memo;
            if identical {
                report.duplicates += 1;
                self.issues.push(Issue::at(
                    Severity::Warning,
                    &payment.origin,
                    None,
                    Some(&payment.id),
                    format!(
                        "payment {} appears twice with identical content ({}); counted once",
                        payment.id, existing.origin
                    ),
                ));
                return;
            }
            let new_id = format!("{}#{}", payment.id, payment.origin.row);
            self.issues.push(Issue::at(
                Severity::Warning,
                &payment.origin,
                None,
                Some(&payment.id),
                format!("payment id {} is already used by {} for another payment; this one is called {new_id}", payment.id, existing.origin),
            ));
            payment.id = new_id.into();
        }
        self.seen.insert(payment.id.clone(), payments.len());
        payments.push(payment);
        report.used += 1;
    }
}
