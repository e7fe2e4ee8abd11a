//! Reconciliation: which client each payment belongs to (attribution), which documents each
//! payment and credit note settles (allocation), and the checks that prove nothing was lost.
//!
//! Clients reconcile independently and in parallel; every result is sorted before it leaves
//! this module, so the output is identical for any number of threads.
//!
//! Invariants (SPEC section 4), checked on every run:
//! - per client and currency: invoices − credit notes − prepaid − applied payments − discounts
//!   − write-offs = open balance;
//! - every payment amount = its applied parts + its unapplied credit, or it is unmatched.

use std::fmt;

use chrono::NaiveDate;
use rust_decimal::Decimal;

/// The rule that decided which client a payment belongs to (SPEC section 3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AttributionRule {
    ClientId,
    Reference,
    Name,
    FuzzyName,
}

impl AttributionRule {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            AttributionRule::ClientId => "client-id",
            AttributionRule::Reference => "reference",
            AttributionRule::Name => "name",
            AttributionRule::FuzzyName => "fuzzy-name",
        }
    }
}

/// The client of one payment, or why none was found.
#[derive(Clone, Debug, PartialEq)]
pub struct Attribution {
    /// Index into `Ledger::payments`.
    pub payment: usize,
    /// The client key, `None` when unmatched.
    pub client: Option<String>,
    pub rule: Option<AttributionRule>,
    /// Invoice numbers (as written on the invoices) found in the memo, in memo order.
    pub references: Vec<String>,
    /// For an unmatched payment, why; for a fuzzy match, the similarity.
    pub note: String,
}

/// The rule that applied a payment or credit note to a document (SPEC section 4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AllocationRule {
    Reference,
    ExactAmount,
    Discount,
    Fifo,
    Credit,
    WriteOff,
}

impl AllocationRule {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            AllocationRule::Reference => "reference",
            AllocationRule::ExactAmount => "exact-amount",
            AllocationRule::Discount => "discount",
            AllocationRule::Fifo => "fifo",
            AllocationRule::Credit => "credit",
            AllocationRule::WriteOff => "write-off",
        }
    }
}

impl fmt::Display for AllocationRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an allocation moved money from.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum AllocationSource {
    /// A payment, by id.
    Payment(String),
    /// A credit note, by number.
    CreditNote(String),
    /// No money moved: a discount granted or a write-off.
    None,
}

/// One recorded movement: part of a payment or credit note applied to a document, a discount
/// granted, a write-off, or (rule `credit`, no invoice) the rest of a payment kept as credit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Allocation {
    pub source: AllocationSource,
    /// The payment's (or credit note's) date; for a discount granted, the date of the payment
    /// that earned it; `None` for a write-off.
    pub date: Option<NaiveDate>,
    pub client: String,
    /// The invoice number, `None` for rule `credit`.
    pub invoice: Option<String>,
    pub amount: Decimal,
    pub currency: String,
    pub rule: AllocationRule,
}

/// A document (invoice or credit note) still open after allocation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenItem {
    /// Index into `Ledger::invoices`.
    pub invoice: usize,
    /// Everything that reduced the document: prepaid, payments, credit notes, discounts.
    pub paid: Decimal,
    /// What is still open (negative for an unused credit note).
    pub open: Decimal,
}

/// A payment, or the part of one, that settles no document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unapplied {
    /// Index into `Ledger::payments`.
    pub payment: usize,
    pub client: Option<String>,
    pub amount: Decimal,
    pub currency: String,
    pub reason: String,
}

/// An invoice fully settled by payments on or before the as-of date.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settlement {
    /// Index into `Ledger::invoices`.
    pub invoice: usize,
    /// Date of the payment that brought the open balance to zero.
    pub paid_on: NaiveDate,
}

/// Per client and currency: the terms of the balance invariant.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Balance {
    pub client: String,
    pub currency: String,
    pub invoiced: Decimal,
    /// Credit notes, as a positive number.
    pub credited: Decimal,
    pub prepaid: Decimal,
    /// Payments applied to documents.
    pub applied: Decimal,
    pub discounts: Decimal,
    pub write_offs: Decimal,
    /// Sum of open items (credit notes negative).
    pub open: Decimal,
    /// Payments of this client kept as credit.
    pub unapplied_credit: Decimal,
}

/// One invariant and whether it held.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvariantCheck {
    pub name: String,
    pub passed: bool,
    pub detail: String,
}

/// Documents and payments dated after the as-of date, left out of this run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LeftOut {
    pub invoices: usize,
    pub payments: usize,
}

/// Everything reconciliation produces. Every vector is sorted: attributions by payment index,
/// allocations by (client, date, source, invoice, rule), open items by (client, currency,
/// due date, invoice date, number), unapplied by payment index, settlements by invoice index,
/// balances by (client, currency).
#[derive(Clone, Debug, Default)]
pub struct Reconciliation {
    pub as_of: Option<NaiveDate>,
    pub attributions: Vec<Attribution>,
    pub allocations: Vec<Allocation>,
    pub open_items: Vec<OpenItem>,
    pub unapplied: Vec<Unapplied>,
    pub settlements: Vec<Settlement>,
    pub balances: Vec<Balance>,
    pub invariants: Vec<InvariantCheck>,
    pub left_out: LeftOut,
}

/// Reconciliation found a contradiction in its own arithmetic: a bug, never a data problem.
#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    /// An invariant of SPEC section 4 did not hold.
    #[error("invariant failed for client {client} ({currency}): {detail}")]
    Invariant {
        client: String,
        currency: String,
        detail: String,
    },
}
