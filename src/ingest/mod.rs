//! Ingest: read every input file into typed invoices, payments and clients, and account for
//! every row. A row is either used, or listed as an issue (file, sheet, row, column, value,
//! message); nothing is dropped silently.

pub mod field;
pub mod header;
pub mod source;
pub mod table;
pub mod value;

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::model::{Client, DateOrder, Invoice, Issue, Payment};
use field::{Field, TableKind};

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
    /// Per date column: the order used and whether the data decided it (`false` = default).
    pub date_orders: Vec<(String, DateOrder, bool)>,
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
