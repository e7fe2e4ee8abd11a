//! Domain types shared by every stage: where a row came from, the issues found in the data,
//! the typed invoices, payments and clients that ingest produces for reconciliation, and the
//! ledger that carries them (with how each input was read) down the pipeline.
//!
//! Money is `rust_decimal::Decimal` paired with an ISO currency code on every document; amounts
//! of different currencies are never added together. Credit notes carry negative amounts.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use chrono::{Datelike, Days, NaiveDate};
use rust_decimal::{Decimal, RoundingStrategy};

use crate::hash::HashSet;

/// Digits after the decimal point for a currency. Every currency the tool meets in practice
/// here (ILS, USD, EUR, GBP, ...) has two; the few with none or three are listed.
#[must_use]
pub fn minor_digits(currency: &str) -> u32 {
    match currency {
        "JPY" | "KRW" | "CLP" | "ISK" | "VND" | "XAF" | "XOF" | "HUF_0" => 0,
        "BHD" | "JOD" | "KWD" | "OMR" | "TND" | "IQD" | "LYD" => 3,
        _ => 2,
    }
}

/// Rounds money to the currency's minor unit, half away from zero (2.345 -> 2.35), and gives
/// it exactly that many decimal places (500 -> 500.00), so equal amounts read the same
/// whichever file format they came from.
#[must_use]
pub fn round_money(value: Decimal, currency: &str) -> Decimal {
    let digits = minor_digits(currency);
    let mut rounded = value.round_dp_with_strategy(digits, RoundingStrategy::MidpointAwayFromZero);
    rounded.rescale(digits);
    rounded
}

/// Formats money with exactly the currency's minor digits and a `.` separator (CSV form).
#[must_use]
pub fn format_money(value: Decimal, currency: &str) -> String {
    let digits = minor_digits(currency);
    let mut rounded = round_money(value, currency);
    rounded.rescale(digits);
    if rounded.is_zero() {
        // Avoid "-0.00".
        rounded.set_sign_positive(true);
    }
    rounded.to_string()
}

/// Formats money for people: thousands grouped with `,`, the currency's minor digits
/// (`12400` ILS -> `12,400.00`).
#[must_use]
pub fn display_money(value: Decimal, currency: &str) -> String {
    let plain = format_money(value, currency);
    let (sign, digits) = plain
        .strip_prefix('-')
        .map_or(("", plain.as_str()), |d| ("-", d));
    let (int, frac) = digits
        .split_once('.')
        .map_or((digits, None), |(i, f)| (i, Some(f)));
    let mut grouped = String::with_capacity(plain.len() + int.len() / 3);
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    match frac {
        Some(f) => format!("{sign}{grouped}.{f}"),
        None => format!("{sign}{grouped}"),
    }
}

/// Where a row came from, as the user sees it: file name, sheet (spreadsheets only) and the
/// 1-based row number the spreadsheet or text editor shows, header and title rows counted.
///
/// 16 bytes: a million-row export keeps one per document, so the file and sheet are shared by
/// every row of a table.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Origin {
    pub place: Arc<Place>,
    pub row: u32,
}

/// The file, and sheet of a spreadsheet, that rows come from.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Place {
    pub file: Arc<str>,
    pub sheet: Option<Arc<str>>,
}

impl Origin {
    #[must_use]
    pub fn file(&self) -> &str {
        &self.place.file
    }

    #[must_use]
    pub fn sheet(&self) -> Option<&str> {
        self.place.sheet.as_deref()
    }
}

// ---------------------------------------------------------------------------------------------
// What ingest hands to the later stages

/// Which kind of table a file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TableKind {
    Invoices,
    Payments,
    Clients,
}

/// One column arrears understands. The config names it by [`Field::key`] under
/// `[invoices.columns]`, `[payments.columns]` or `[clients.columns]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Field {
    // invoices
    Number,
    ClientId,
    ClientName,
    InvoiceDate,
    Amount,
    DueDate,
    Currency,
    Email,
    DocType,
    Reference,
    Disputed,
    AmountPaid,
    // payments
    PaymentDate,
    PaymentAmount,
    PaymentId,
    PaymentClientId,
    Payer,
    Memo,
    Method,
    PaymentCurrency,
    /// Tax withheld at source from this payment (a receipt of the unified file, a bank export
    /// that shows it); SPEC section 11.
    Withheld,
    /// The money-out column of a bank export with separate credit and debit columns: mapped so
    /// that a debit line is told apart from an empty one, never read as a payment.
    Debit,
    // clients
    Id,
    Name,
    Type,
    ClientEmail,
    Phone,
    Address,
    Language,
    Terms,
    Contact,
    Collector,
    FlagDisputed,
    DoNotRemind,
    FinancialTrouble,
    Complaints,
    LastContact,
    PromisedDate,
    Notes,
    /// The client's withholding-tax rate at source, in percent (SPEC section 11).
    Withholding,
}

/// What one statement file covers, for `arrears check` and `run.json`: its accounts,
/// currencies, period and how many entries of each kind it holds.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct StatementSummary {
    pub accounts: Vec<String>,
    pub currencies: Vec<String>,
    /// The first and last entry dates.
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// Booked credits (the candidates for payments), booked debits (ignored), reversals, and
    /// pending or information-only entries (ignored).
    pub credits: usize,
    pub debits: usize,
    pub reversals: usize,
    pub pending: usize,
}

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
    pub statement: Option<StatementSummary>,
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

/// Wall time of a stage's parts in ms, for `run.json`'s `timings_ms` only.
pub type Timings = Vec<(&'static str, u128)>;

#[cfg(test)]
mod money_tests {
    use super::*;
    use crate::hash::HashMap;

    #[test]
    fn money_rounds_half_away_from_zero_and_groups_for_people() {
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        assert_eq!(format_money(d("2.345"), "ILS"), "2.35");
        assert_eq!(format_money(d("-2.345"), "ILS"), "-2.35");
        assert_eq!(format_money(d("-0.001"), "ILS"), "0.00");
        assert_eq!(format_money(d("7"), "JPY"), "7");
        assert_eq!(display_money(d("12400"), "ILS"), "12,400.00");
        assert_eq!(display_money(d("-1234567.891"), "ILS"), "-1,234,567.89");
        assert_eq!(display_money(d("999"), "USD"), "999.00");
        assert_eq!(display_money(d("1000"), "JPY"), "1,000");
    }

    #[test]
    fn a_row_origin_takes_sixteen_bytes() {
        // One per document: at a million rows each extra byte is a megabyte.
        assert_eq!(std::mem::size_of::<Origin>(), 16);
    }

    #[test]
    fn the_interner_shares_one_copy_of_each_text() {
        let mut texts = Interner::default();
        // Rows of a payments table: currency, client id, payer, method.
        let rows: Vec<[String; 4]> = (0..20)
            .map(|i| {
                [
                    if i % 7 == 0 { "USD" } else { "ILS" }.to_string(),
                    format!("C{}", i % 9),
                    format!("payer {i}"),
                    "Bank transfer".to_string(),
                ]
            })
            .collect();
        let mut first: HashMap<String, Arc<str>> = HashMap::default();
        for row in &rows {
            for text in row {
                let shared = texts.get(text);
                assert_eq!(&*shared, text.as_str());
                let seen = first.entry(text.clone()).or_insert_with(|| shared.clone());
                assert!(Arc::ptr_eq(seen, &shared), "{text} was copied twice");
            }
        }
        assert_eq!(texts.texts.len(), first.len());
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file())?;
        if let Some(sheet) = self.sheet() {
            write!(f, ", sheet '{sheet}'")?;
        }
        write!(f, ", row {}", self.row)
    }
}

/// How bad a problem in the data is. Errors leave the row out of the calculation; warnings
/// keep it (or, for an identical duplicate, count it once); an info only tells what was read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// A problem found in the input, located as precisely as the data allows.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Issue {
    pub severity: Severity,
    pub file: String,
    pub sheet: Option<String>,
    pub row: Option<u32>,
    pub column: Option<String>,
    pub value: Option<String>,
    pub message: String,
}

impl Issue {
    /// An issue about one cell (or, with `column` `None`, one row) of an input.
    #[must_use]
    pub fn at(
        severity: Severity,
        origin: &Origin,
        column: Option<&str>,
        value: Option<&str>,
        message: impl Into<String>,
    ) -> Issue {
        Issue {
            severity,
            file: origin.file().to_string(),
            sheet: origin.sheet().map(str::to_string),
            row: Some(origin.row),
            column: column.map(str::to_string),
            value: value.map(str::to_string),
            message: message.into(),
        }
    }

    /// An issue about a whole file (or sheet).
    #[must_use]
    pub fn file(
        severity: Severity,
        file: &str,
        sheet: Option<&str>,
        message: impl Into<String>,
    ) -> Issue {
        Issue {
            severity,
            file: file.to_string(),
            sheet: sheet.map(str::to_string),
            row: None,
            column: None,
            value: None,
            message: message.into(),
        }
    }
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.severity.as_str(), self.file)?;
        if let Some(sheet) = &self.sheet {
            write!(f, ", sheet '{sheet}'")?;
        }
        if let Some(row) = self.row {
            write!(f, ", row {row}")?;
        }
        if let Some(column) = &self.column {
            write!(f, ", column '{column}'")?;
        }
        if let Some(value) = &self.value {
            write!(f, ": \"{value}\"")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Day-first (`30/11/2026`) or month-first (`11/30/2026`) reading of ambiguous text dates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DateOrder {
    DayFirst,
    MonthFirst,
}

impl DateOrder {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            DateOrder::DayFirst => "day-first",
            DateOrder::MonthFirst => "month-first",
        }
    }
}

/// Payment terms: `net 30` (days after the invoice date) or `EOM+30` / `שוטף+30` (days after the
/// end of the invoice's month).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Terms {
    Net(u32),
    EndOfMonth(u32),
}

impl Terms {
    /// The due date of an invoice dated `date` under these terms.
    #[must_use]
    pub fn due_date(self, date: NaiveDate) -> NaiveDate {
        match self {
            Terms::Net(days) => date
                .checked_add_days(Days::new(u64::from(days)))
                .unwrap_or(NaiveDate::MAX),
            Terms::EndOfMonth(days) => {
                let (year, month) = if date.month() == 12 {
                    (date.year() + 1, 1)
                } else {
                    (date.year(), date.month() + 1)
                };
                let end_of_month = NaiveDate::from_ymd_opt(year, month, 1)
                    .and_then(|d| d.pred_opt())
                    .unwrap_or(NaiveDate::MAX);
                end_of_month
                    .checked_add_days(Days::new(u64::from(days)))
                    .unwrap_or(NaiveDate::MAX)
            }
        }
    }
}

impl fmt::Display for Terms {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Terms::Net(days) => write!(f, "net {days}"),
            Terms::EndOfMonth(days) => write!(f, "EOM+{days}"),
        }
    }
}

/// Invoice or credit note.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DocKind {
    Invoice,
    CreditNote,
}

/// One invoice or credit note as read from the invoices table. `amount` is signed: credit notes
/// are negative. `client` is the client key every later stage uses (see [`Client::id`]).
///
/// The client key, client name and currency repeat on many invoices; each distinct text is held
/// once (see [`Interner`]) and shared by every invoice, allocation and balance that names it.
///
/// A month holds a million of these, so the texts of their own are boxed strings: eight bytes
/// smaller than a `String` each, for room a finished document never uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invoice {
    pub number: Box<str>,
    pub client: Arc<str>,
    pub client_name: Arc<str>,
    pub date: NaiveDate,
    pub due: NaiveDate,
    pub amount: Decimal,
    pub currency: Arc<str>,
    pub kind: DocKind,
    /// For a credit note: the invoice it applies to, as written.
    pub reference: Option<Box<str>>,
    pub disputed: bool,
    /// "Amount already paid" according to the accounting system, settled before this run.
    pub prepaid: Decimal,
    pub email: Option<Box<str>>,
    pub origin: Origin,
}

/// One incoming payment as read from a bank or receipts export. `amount` is positive.
///
/// Currency, client id, payer and method repeat across payments and are shared (see
/// [`Interner`]); the id and the memo are the payment's own (boxed, as an invoice's).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Payment {
    /// From the export, or `<file stem>-<row>` when the export has no id column.
    pub id: Box<str>,
    pub date: NaiveDate,
    pub amount: Decimal,
    pub currency: Arc<str>,
    pub client_id: Option<Arc<str>>,
    pub payer: Option<Arc<str>>,
    /// Read by attribution only; `reconcile::reconcile_releasing_memos` lets it go after it.
    pub memo: Option<Box<str>>,
    pub method: Option<Arc<str>>,
    /// Tax withheld at source from this payment, as the export states it (SPEC section 11);
    /// never negative.
    pub withheld: Option<Decimal>,
    pub origin: Origin,
}

/// The English month names, January first: read in text dates and written in letters.
pub const MONTH_NAMES: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// One shared copy of each distinct text of a run: a million invoices of a hundred thousand
/// clients hold a hundred thousand client keys, and every currency once. Cloning the returned
/// `Arc` is a reference count, not a copy.
#[derive(Debug, Default)]
pub struct Interner {
    texts: HashSet<Arc<str>>,
    /// The texts asked for last, the latest first. A row's currency or payment method is
    /// usually the previous row's, with a few other fields asked for in between; comparing
    /// with these is cheaper than hashing.
    recent: [Option<Arc<str>>; 4],
}

impl Interner {
    /// Room for `n` more texts.
    pub fn reserve(&mut self, n: usize) {
        self.texts.reserve(n);
    }

    /// The shared copy of `text`, made on first use.
    pub fn get(&mut self, text: &str) -> Arc<str> {
        if let Some(at) = self
            .recent
            .iter()
            .position(|r| r.as_deref().is_some_and(|r| r == text))
        {
            self.recent[..=at].rotate_right(1);
            if let Some(shared) = &self.recent[0] {
                return Arc::clone(shared);
            }
        }
        let shared = match self.texts.get(text) {
            Some(shared) => Arc::clone(shared),
            None => {
                let shared: Arc<str> = Arc::from(text);
                self.texts.insert(Arc::clone(&shared));
                shared
            }
        };
        self.recent.rotate_right(1);
        self.recent[0] = Some(Arc::clone(&shared));
        shared
    }
}

/// `private`, `company` or `freelancer`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ClientKind {
    Private,
    Company,
    Freelancer,
}

/// Flags an office keeps on a client; they hold letters back and feed the risk, never the level.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct ClientFlags {
    pub disputed: bool,
    pub do_not_remind: bool,
    pub financial_trouble: bool,
    pub complaints: bool,
}

/// A client, from the clients table or, when it is absent there, from the invoices alone.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Client {
    /// The key: the client id from the data, or the client name when no id is known.
    pub id: String,
    pub name: String,
    pub kind: Option<ClientKind>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub language: Option<String>,
    pub terms: Option<Terms>,
    pub contact: Option<String>,
    pub collector: Option<String>,
    pub flags: ClientFlags,
    pub last_contact: Option<NaiveDate>,
    pub promised: Option<NaiveDate>,
    pub notes: Option<String>,
    /// The client's withholding-tax rate at source, in percent (0 to 100), from the clients
    /// table (SPEC section 11).
    pub withholding: Option<Decimal>,
    /// `None` for a client known only from invoices.
    pub origin: Option<Origin>,
}
