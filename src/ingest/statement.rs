//! Bank statements (CAMT.053/054, MT940/942, OFX) as payments.
//!
//! Each statement reader is a small, closed thing: bytes in, a [`Statement`] out (its entries as
//! the bank booked them, and the problems it found, each at an entry's position). This module
//! applies the rules of SPEC section 10 that every statement format shares, and turns what is
//! left into a payments table the ordinary row reader parses, so attribution and allocation see
//! statement payments exactly like rows of a bank CSV:
//! - only booked credits are payments; a debit, a pending or information-only entry is an
//!   ignored row (warning);
//! - a reversal cancels the credit it reverses (same account, amount, currency and reference):
//!   both are ignored rows (warning); a reversal with no such credit is a warning and changes
//!   nothing;
//! - an entry the reader could not read (no amount, no date) is a rejected row (error).
//!
//! Every entry is accounted for: it becomes a payment row, an ignored row or a rejected row.
//! Row numbers are the entry's position as the reader gives it (the entry's ordinal in an XML
//! file, the line number in an MT940 file), and columns are named after the element or tag the
//! value came from.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::NaiveDate;
use rayon::prelude::*;
use rust_decimal::Decimal;

use super::field::{Field, TableKind};
use super::header::HeaderMatch;
use super::table::{Cell, RawTable, Text};
pub use crate::model::StatementSummary;
use crate::model::{Issue, Severity};

/// Whether money came in or went out of the account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    Credit,
    Debit,
}

/// Whether the bank has booked an entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Booked,
    /// Pending, future or otherwise not yet booked (CAMT `PDNG`/`FUTR`, MT942 entries not yet
    /// booked, OFX pending transactions).
    Pending,
    /// Information only (CAMT `INFO`).
    Info,
}

/// One transaction of a statement, as the bank wrote it. A batch booking is one entry per
/// transaction, each with its own amount. Texts are cells' texts (short ones held in place), so
/// a million entries cost few allocations and become rows without copying.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    /// Where the entry is, as shown in `issues.csv`'s `row`: its ordinal in an XML file
    /// (1-based, counted over the whole file), its first line in a text file.
    pub position: u32,
    /// The bank's own reference of the transaction (SPEC section 10 says which, per format).
    /// `None` when the file has none; the payment then gets `<file stem>-<position>`.
    pub id: Option<Text>,
    /// The value date, else the booking date.
    pub date: NaiveDate,
    /// The amount, never negative: the direction says which way it went.
    pub amount: Decimal,
    /// ISO 4217 code; `None` when the file does not say (the run's default currency applies).
    pub currency: Option<Text>,
    pub direction: Direction,
    pub status: Status,
    /// The entry reverses an earlier one (CAMT `RvslInd`, MT940 marks `RC`/`RD`).
    pub reversal: bool,
    /// The debtor's name, as written (Hebrew stays Hebrew).
    pub payer: Option<Text>,
    /// All remittance text joined with spaces.
    pub memo: Option<Text>,
    /// The statement's own account (IBAN or number), to pair a reversal with its credit.
    pub account: Option<Arc<str>>,
    /// The reference a reversal repeats (end-to-end id, customer reference ...), to pair it.
    pub reference: Option<Text>,
}

/// Something a reader could not read, at an entry's position: the entry is left out (error) or
/// only noted (warning, info).
#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    pub severity: Severity,
    pub position: u32,
    /// The element or tag concerned (`Amt`, `:61:`, `TRNAMT`).
    pub column: Option<String>,
    pub value: Option<String>,
    pub message: String,
}

/// What a statement reader returns for one file.
#[derive(Clone, Debug, PartialEq)]
pub struct Statement {
    /// The format as shown to the user, with its version (`CAMT.053 (camt.053.001.08)`).
    pub format: String,
    /// The element or tag each payment field is read from, for messages: id, date, amount,
    /// currency, payer, memo.
    pub columns: [&'static str; 6],
    pub entries: Vec<Entry>,
    /// Problems with entries the reader left out (errors) or only noted (warnings). Each
    /// error-level problem counts as one rejected row.
    pub problems: Vec<Problem>,
}

/// A table a reader of a structured format made, with its header already known: the ordinary
/// row reader parses it like a sheet.
#[derive(Clone, Debug)]
pub struct Generated {
    pub kind: TableKind,
    /// Row 0 holds the column names; every other row sits at the index of its position.
    pub table: RawTable,
    pub header: HeaderMatch,
    /// What the reader says about the file: the ignored and rejected entries and their reasons.
    pub issues: Vec<Issue>,
    /// Entries that hold no payment by design (debits, pending, reversed), each in `issues`.
    pub ignored: usize,
    /// Entries left out because of an error, each in `issues`.
    pub rejected: usize,
    /// The format as shown to the user.
    pub format: String,
    /// For a bank statement, what it covers; `None` for other structured files.
    pub statement: Option<StatementSummary>,
}

impl StatementSummary {
    fn of(entries: &[Entry]) -> StatementSummary {
        let mut summary = StatementSummary::default();
        for entry in entries {
            if let Some(account) = entry.account.as_deref() {
                if !summary.accounts.iter().any(|a| a == account) {
                    summary.accounts.push(account.to_string());
                }
            }
            if let Some(currency) = entry.currency.as_deref() {
                if !summary.currencies.iter().any(|c| c == currency) {
                    summary.currencies.push(currency.to_string());
                }
            }
            summary.from = Some(summary.from.map_or(entry.date, |d| d.min(entry.date)));
            summary.to = Some(summary.to.map_or(entry.date, |d| d.max(entry.date)));
            match (entry.status, entry.reversal, entry.direction) {
                (Status::Pending | Status::Info, _, _) => summary.pending += 1,
                (Status::Booked, true, _) => summary.reversals += 1,
                (Status::Booked, false, Direction::Credit) => summary.credits += 1,
                (Status::Booked, false, Direction::Debit) => summary.debits += 1,
            }
        }
        summary
    }
}

impl std::fmt::Display for StatementSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let list = |items: &[String]| {
            if items.is_empty() {
                "not stated".to_string()
            } else {
                items.join(", ")
            }
        };
        write!(
            f,
            "account {}; currency {}",
            list(&self.accounts),
            list(&self.currencies)
        )?;
        if let (Some(from), Some(to)) = (self.from, self.to) {
            write!(f, "; {from} to {to}")?;
        }
        write!(
            f,
            "; {} credits, {} debits (ignored), {} reversals, {} pending or information-only \
             (ignored)",
            self.credits, self.debits, self.reversals, self.pending
        )
    }
}

/// The payments table of a statement, after the shared rules.
#[must_use]
pub fn payments_table(statement: Statement, file: &Arc<str>) -> Generated {
    let Statement {
        format,
        columns,
        entries,
        problems,
    } = statement;
    let mut issues = Vec::new();
    let mut ignored = 0;
    let mut rejected = 0;
    let issue = |severity, position, column: Option<&str>, value: Option<String>, message| Issue {
        severity,
        file: file.to_string(),
        sheet: None,
        row: Some(position),
        column: column.map(str::to_string),
        value,
        message,
    };
    for problem in problems {
        if problem.severity == Severity::Error {
            rejected += 1;
        }
        issues.push(issue(
            problem.severity,
            problem.position,
            problem.column.as_deref(),
            problem.value,
            problem.message,
        ));
    }
    let summary = StatementSummary::of(&entries);
    let amount_column = columns[2];
    let cancelled = pair_reversals(&entries);
    // Which entries are payments; the others are ignored rows, each said why.
    let mut payment = vec![false; entries.len()];
    for (index, entry) in entries.iter().enumerate() {
        let why = if let Some(pair) = cancelled.get(&index) {
            Some(match pair {
                Some(other) if entry.reversal => {
                    format!("reversal of the credit at row {other}; both are ignored")
                }
                Some(other) => {
                    format!("credit reversed by the entry at row {other}; both are ignored")
                }
                None => "reversal with no matching credit in this file (same account, amount \
                         and reference); ignored, nothing changed"
                    .to_string(),
            })
        } else if entry.status == Status::Pending {
            Some("pending entry, not booked yet; ignored".to_string())
        } else if entry.status == Status::Info {
            Some("information-only entry, not a booking; ignored".to_string())
        } else if entry.direction == Direction::Debit {
            Some("a debit (money out), not a client payment; ignored".to_string())
        } else if entry.amount <= Decimal::ZERO {
            Some("no incoming amount (zero); ignored".to_string())
        } else {
            None
        };
        match why {
            Some(message) => {
                ignored += 1;
                issues.push(issue(
                    Severity::Warning,
                    entry.position,
                    Some(amount_column),
                    Some(entry.amount.to_string()),
                    message,
                ));
            }
            None => payment[index] = true,
        }
    }
    let names = columns.map(|c| Cell::Text(c.into()));
    let mut rows: Vec<Vec<Cell>> = vec![names.to_vec()];
    // A million entries' cells are made on all threads, then put in place in order.
    let built: Vec<(u32, Vec<Cell>)> = entries
        .into_par_iter()
        .zip(payment)
        .filter(|(_, payment)| *payment)
        .map(|(entry, _)| {
            let text = |t: Option<Text>| t.map_or(Cell::Empty, Cell::Text);
            let row = vec![
                text(entry.id),
                Cell::Date(entry.date),
                Cell::Text(entry.amount.to_string().into()),
                text(entry.currency),
                text(entry.payer),
                text(entry.memo),
            ];
            (entry.position, row)
        })
        .collect();
    if let Some(last) = built.iter().map(|(position, _)| *position as usize).max() {
        rows.resize_with(rows.len().max(last + 1), Vec::new);
    }
    for (position, row) in built {
        let index = position as usize;
        if rows[index].is_empty() {
            rows[index] = row;
        } else {
            // Two entries at one position (a reader's mistake): keep both, one row apart would
            // misname the row, so the second is a rejected row that says so.
            rejected += 1;
            issues.push(issue(
                Severity::Error,
                position,
                None,
                None,
                "two entries at the same position; the second is left out".to_string(),
            ));
        }
    }
    let header = HeaderMatch {
        row_index: 0,
        columns: [
            Field::PaymentId,
            Field::PaymentDate,
            Field::PaymentAmount,
            Field::PaymentCurrency,
            Field::Payer,
            Field::Memo,
        ]
        .into_iter()
        .zip(0..)
        .collect::<BTreeMap<_, _>>(),
        headers: columns.iter().map(|c| (*c).to_string()).collect(),
    };
    Generated {
        kind: TableKind::Payments,
        table: RawTable {
            file: Arc::clone(file),
            sheet: None,
            first_row: 0,
            rows,
        },
        header,
        issues,
        ignored,
        rejected,
        format,
        statement: Some(summary),
    }
}

/// The entries a reversal cancels, by index: each reversal and the entry it reverses (a credit
/// for a reversal booked as a debit, and the other way round) point at each other's position;
/// a reversal that found nothing to reverse maps to `None`. An entry is reversed at most once;
/// a reversal pairs with the earliest entry that fits.
fn pair_reversals(entries: &[Entry]) -> BTreeMap<usize, Option<u32>> {
    let mut cancelled = BTreeMap::new();
    for (index, reversal) in entries.iter().enumerate() {
        if !reversal.reversal || reversal.status != Status::Booked {
            continue;
        }
        let credit = entries.iter().enumerate().position(|(other, entry)| {
            !entry.reversal
                && entry.status == Status::Booked
                && entry.direction != reversal.direction
                && !cancelled.contains_key(&other)
                && entry.account == reversal.account
                && entry.amount == reversal.amount
                && entry.currency == reversal.currency
                && entry.reference == reversal.reference
        });
        match credit {
            Some(credit) => {
                cancelled.insert(credit, Some(reversal.position));
                cancelled.insert(index, Some(entries[credit].position));
            }
            None => {
                cancelled.insert(index, None);
            }
        }
    }
    cancelled
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(position: u32, amount: &str, direction: Direction) -> Entry {
        Entry {
            position,
            id: Some(format!("REF{position}").into()),
            date: NaiveDate::from_ymd_opt(2026, 11, 5).unwrap(),
            amount: amount.parse().unwrap(),
            currency: Some("ILS".into()),
            direction,
            status: Status::Booked,
            reversal: false,
            payer: Some("כהן ובניו".into()),
            memo: Some("INV-1043".into()),
            account: Some("IL620108000000099999999".into()),
            reference: Some("E2E-1".into()),
        }
    }

    fn statement(entries: Vec<Entry>) -> Statement {
        Statement {
            format: "test".into(),
            columns: ["Ref", "ValDt", "Amt", "Ccy", "Dbtr", "RmtInf"],
            entries,
            problems: vec![Problem {
                severity: Severity::Error,
                position: 9,
                column: Some("Amt".into()),
                value: Some("12,x".into()),
                message: "not an amount".into(),
            }],
        }
    }

    #[test]
    fn every_entry_is_a_payment_an_ignored_row_or_a_rejected_row() {
        let mut pending = entry(3, "50", Direction::Credit);
        pending.status = Status::Pending;
        let mut reversal = entry(5, "100", Direction::Debit);
        reversal.reversal = true;
        let mut orphan = entry(6, "7", Direction::Debit);
        orphan.reversal = true;
        let entries = vec![
            entry(1, "100", Direction::Credit),
            entry(2, "20", Direction::Debit),
            pending,
            entry(4, "300.50", Direction::Credit),
            reversal,
            orphan,
        ];
        let file: Arc<str> = Arc::from("bank.xml");
        let generated = payments_table(statement(entries), &file);
        assert_eq!(generated.rejected, 1);
        // the debit, the pending entry, the reversed credit, its reversal and the orphan
        assert_eq!(generated.ignored, 5);
        let rows: Vec<u32> = generated.issues.iter().filter_map(|i| i.row).collect();
        assert_eq!(rows, vec![9, 1, 2, 3, 5, 6]);
        assert!(generated.issues[1]
            .message
            .contains("reversed by the entry at row 5"));
        assert!(generated.issues[5].message.contains("no matching credit"));
        // Only entry 4 is a payment, at row 4 of the table, under the reader's column names.
        let table = &generated.table;
        let filled: Vec<u32> = (1..table.rows.len())
            .filter(|&i| !table.rows[i].is_empty())
            .map(|i| table.row_number(i))
            .collect();
        assert_eq!(filled, vec![4]);
        assert_eq!(table.rows[4][2], Cell::Text("300.50".into()));
        assert_eq!(generated.header.headers[2], "Amt");
        assert_eq!(generated.header.columns[&Field::Payer], 4);
        let summary = generated.statement.unwrap();
        assert_eq!(
            (
                summary.credits,
                summary.debits,
                summary.reversals,
                summary.pending
            ),
            (2, 1, 2, 1)
        );
        assert_eq!(
            summary.to_string(),
            "account IL620108000000099999999; currency ILS; 2026-11-05 to 2026-11-05; 2 \
             credits, 1 debits (ignored), 2 reversals, 1 pending or information-only (ignored)"
        );
    }
}
