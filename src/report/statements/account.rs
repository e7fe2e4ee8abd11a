//! A client's account in one currency as a statement tells it: every movement that changed
//! what the client owes, from the same inputs as the rest of the run.
//!
//! The movements are the documents of the run (dated on or before the as-of date; an invoice
//! raises the balance, a credit note lowers it), the part of a document already paid before
//! this run (`amount already paid`, on the document's date), each payment of the client (all its
//! allocations together: what it settled and what it left as credit), and every allocation
//! that moved no money — discounts, write-offs, and whatever other rule records one
//! (`withholding`, `bank-fee`) — labelled by its rule. A credit note applied to an invoice moves
//! nothing: the credit note already counted on its own date.
//!
//! So the balance after the last movement is `documents − already paid − allocations` (every
//! allocation but a credit note's), which is `open items − unapplied credit`: the client's
//! `net_balance`. [`Accounts::check`] holds every run to that.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::NaiveDate;
use rayon::prelude::*;
use rust_decimal::Decimal;

use crate::classify::Classification;
use crate::hash::address;
use crate::model::Ledger;
use crate::model::{format_money, DocKind, Invoice};
use crate::reconcile::{Allocation, AllocationSource, InvariantCheck, Reconciliation};

/// The name of the invariant in `run.json`.
pub const INVARIANT: &str = "statement closing balances equal net balances";

/// One client's documents and balance-moving allocations in one currency.
#[derive(Clone, Debug)]
pub struct Account {
    pub client: Arc<str>,
    pub currency: Arc<str>,
    /// Indices into `Ledger::invoices`: the documents of the run, in ledger order.
    pub docs: Vec<usize>,
    /// Indices into `Reconciliation::allocations`: every one but a credit note's, in order.
    pub allocations: Vec<usize>,
}

/// What a movement is; the templates word it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MovementKind {
    Invoice,
    CreditNote,
    /// The part of a document paid before this run, as the invoices export states it.
    Prepaid,
    Payment,
    /// An allocation that moved no money, by its rule (`discount`, `write-off`, ...).
    Adjustment(&'static str),
}

impl MovementKind {
    /// The name templates see: `invoice`, `credit-note`, `prepaid`, `payment`, or the rule.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            MovementKind::Invoice => "invoice",
            MovementKind::CreditNote => "credit-note",
            MovementKind::Prepaid => "prepaid",
            MovementKind::Payment => "payment",
            MovementKind::Adjustment(rule) => rule,
        }
    }

    /// Documents first on a day, then what was paid, then adjustments.
    fn rank(self) -> u8 {
        match self {
            MovementKind::Invoice | MovementKind::CreditNote => 0,
            MovementKind::Prepaid => 1,
            MovementKind::Payment => 2,
            MovementKind::Adjustment(_) => 3,
        }
    }
}

/// One line of an activity statement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Movement {
    pub date: NaiveDate,
    pub kind: MovementKind,
    /// The document number, or the payment id; for an adjustment the invoice it closed.
    pub number: String,
    /// For a payment: the invoices it settled, in allocation order; for a credit note: the
    /// invoice it applies to, as written; else empty.
    pub reference: Vec<String>,
    /// The change of the balance: positive raises what the client owes.
    pub amount: Decimal,
}

/// The signed prepaid term of a document: what was paid of it before this run (an invoice's
/// `amount already paid`; for a credit note the part already used, moving it toward zero).
fn prepaid_term(doc: &Invoice) -> Decimal {
    match doc.kind {
        DocKind::Invoice => doc.prepaid,
        DocKind::CreditNote => -doc.prepaid.abs(),
    }
}

/// The date an allocation counts on: its own, or (a write-off, made by this run) the as-of date.
fn allocation_date(a: &Allocation, as_of: NaiveDate) -> NaiveDate {
    a.date.unwrap_or(as_of)
}

impl Account {
    /// The balance after every movement: `documents − already paid − allocations`.
    #[must_use]
    pub fn closing(&self, ledger: &Ledger, recon: &Reconciliation) -> Decimal {
        let docs: Decimal = self
            .docs
            .iter()
            .map(|&d| {
                let doc = &ledger.invoices[d];
                doc.amount - prepaid_term(doc)
            })
            .sum();
        let allocated: Decimal = self
            .allocations
            .iter()
            .map(|&a| recon.allocations[a].amount)
            .sum();
        docs - allocated
    }

    /// Whether an invoice, credit note or payment of the account is dated in `from..=to`.
    #[must_use]
    pub fn moved_in(
        &self,
        ledger: &Ledger,
        recon: &Reconciliation,
        from: NaiveDate,
        to: NaiveDate,
    ) -> bool {
        let within = |d: NaiveDate| from <= d && d <= to;
        self.docs.iter().any(|&d| within(ledger.invoices[d].date))
            || self.allocations.iter().any(|&a| {
                let a = &recon.allocations[a];
                matches!(a.source, AllocationSource::Payment(_)) && a.date.is_some_and(within)
            })
    }

    /// Every movement in date order (then documents, payments, adjustments; then number).
    #[must_use]
    pub fn movements(
        &self,
        ledger: &Ledger,
        recon: &Reconciliation,
        as_of: NaiveDate,
    ) -> Vec<Movement> {
        let mut out = Vec::with_capacity(self.docs.len() + self.allocations.len());
        for &d in &self.docs {
            let doc = &ledger.invoices[d];
            let (kind, reference) = match doc.kind {
                DocKind::Invoice => (MovementKind::Invoice, Vec::new()),
                DocKind::CreditNote => (
                    MovementKind::CreditNote,
                    doc.reference.iter().map(ToString::to_string).collect(),
                ),
            };
            out.push(Movement {
                date: doc.date,
                kind,
                number: doc.number.to_string(),
                reference,
                amount: doc.amount,
            });
            let prepaid = prepaid_term(doc);
            if !prepaid.is_zero() {
                out.push(Movement {
                    date: doc.date,
                    kind: MovementKind::Prepaid,
                    number: doc.number.to_string(),
                    reference: Vec::new(),
                    amount: -prepaid,
                });
            }
        }
        // A payment's allocations are one line; they are contiguous in the sorted allocations
        // of a client but for a discount granted beside them, so they are gathered by payment.
        let mut payments: BTreeMap<usize, usize> = BTreeMap::new();
        for &i in &self.allocations {
            let a = &recon.allocations[i];
            match a.source {
                AllocationSource::Payment(p) => {
                    let at = *payments.entry(p).or_insert_with(|| {
                        out.push(Movement {
                            date: ledger.payments[p].date,
                            kind: MovementKind::Payment,
                            number: ledger.payments[p].id.to_string(),
                            reference: Vec::new(),
                            amount: Decimal::ZERO,
                        });
                        out.len() - 1
                    });
                    let line = &mut out[at];
                    line.amount -= a.amount;
                    if let Some(number) = a.invoice_number(ledger) {
                        if !line.reference.iter().any(|r| r == number) {
                            line.reference.push(number.to_string());
                        }
                    }
                }
                AllocationSource::None => out.push(Movement {
                    date: allocation_date(a, as_of),
                    kind: MovementKind::Adjustment(a.rule.as_str()),
                    number: a.invoice_number(ledger).unwrap_or_default().to_string(),
                    reference: Vec::new(),
                    amount: -a.amount,
                }),
                AllocationSource::CreditNote(_) => {}
            }
        }
        out.sort_by(|a, b| {
            (a.date, a.kind.rank())
                .cmp(&(b.date, b.kind.rank()))
                .then_with(|| natural(&a.number, &b.number))
                .then_with(|| a.kind.as_str().cmp(b.kind.as_str()))
                .then_with(|| a.amount.cmp(&b.amount))
        });
        out
    }
}

/// Numbers compare with their digit runs as numbers (`INV-9` before `INV-10`).
fn natural(a: &str, b: &str) -> Ordering {
    let key = |s: &str| {
        let digits: String = s.chars().filter(char::is_ascii_digit).collect();
        let trimmed = digits.trim_start_matches('0').to_string();
        (trimmed.len(), trimmed)
    };
    key(a).cmp(&key(b)).then_with(|| a.cmp(b))
}

/// Every client's accounts, sorted by client and currency.
#[derive(Clone, Debug, Default)]
pub struct Accounts {
    pub list: Vec<Account>,
}

impl Accounts {
    /// Groups the run's documents and balance-moving allocations by client and currency.
    #[must_use]
    pub fn build(ledger: &Ledger, recon: &Reconciliation, as_of: NaiveDate) -> Accounts {
        // Accounts are found by the addresses of the client's and currency's shared texts
        // (ingest shares one copy of each): hashing an address spares reading the text, a
        // cache miss at a million rows. Copies of one text made apart, should there be any,
        // give accounts of the same client and currency; they are merged once sorted.
        let mut at: crate::hash::HashMap<(usize, usize), usize> = crate::hash::HashMap::default();
        let mut list: Vec<Account> = Vec::new();
        let mut slot = |client: &Arc<str>, currency: &Arc<str>, list: &mut Vec<Account>| {
            *at.entry((address(client), address(currency)))
                .or_insert_with(|| {
                    list.push(Account {
                        client: Arc::clone(client),
                        currency: Arc::clone(currency),
                        docs: Vec::new(),
                        allocations: Vec::new(),
                    });
                    list.len() - 1
                })
        };
        for (i, doc) in ledger.invoices.iter().enumerate() {
            if doc.date <= as_of {
                let s = slot(&doc.client, &doc.currency, &mut list);
                list[s].docs.push(i);
            }
        }
        for (i, a) in recon.allocations.iter().enumerate() {
            if !matches!(a.source, AllocationSource::CreditNote(_)) {
                let s = slot(&a.client, &a.currency, &mut list);
                list[s].allocations.push(i);
            }
        }
        list.sort_by(|a, b| (&a.client, &a.currency).cmp(&(&b.client, &b.currency)));
        let mut merged: Vec<Account> = Vec::with_capacity(list.len());
        for account in list {
            match merged.last_mut() {
                Some(last)
                    if (&last.client, &last.currency) == (&account.client, &account.currency) =>
                {
                    last.docs.extend(account.docs);
                    last.docs.sort_unstable();
                    last.allocations.extend(account.allocations);
                    last.allocations.sort_unstable();
                }
                _ => merged.push(account),
            }
        }
        Accounts { list: merged }
    }

    /// The invariant: every account's closing balance equals its `clients.csv` net balance
    /// (an account with no row there must close at zero, and a row with no account must be
    /// zero).
    #[must_use]
    pub fn check(
        &self,
        ledger: &Ledger,
        recon: &Reconciliation,
        class: &Classification,
    ) -> InvariantCheck {
        let mut net: BTreeMap<(&str, &str), Decimal> = class
            .clients
            .iter()
            .map(|c| ((c.client.as_str(), c.currency.as_str()), c.net_balance))
            .collect();
        // Each closing balance reads the account's documents and allocations across the whole
        // run (a cache miss each at a million rows): summed on all threads.
        let closings: Vec<Decimal> = self
            .list
            .par_iter()
            .map(|account| account.closing(ledger, recon))
            .collect();
        let mut failures = Vec::new();
        for (account, closing) in self.list.iter().zip(closings) {
            let expected = net
                .remove(&(&*account.client, &*account.currency))
                .unwrap_or_default();
            if closing != expected {
                failures.push(format!(
                    "client {} {}: statement closes at {} but net_balance is {}",
                    account.client,
                    account.currency,
                    format_money(closing, &account.currency),
                    format_money(expected, &account.currency)
                ));
            }
        }
        for ((client, currency), balance) in net {
            if !balance.is_zero() {
                failures.push(format!(
                    "client {client} {currency}: no movements but net_balance is {}",
                    format_money(balance, currency)
                ));
            }
        }
        let passed = failures.is_empty();
        let detail = if passed {
            format!(
                "{} accounts: opening balance plus every movement equals net_balance",
                self.list.len()
            )
        } else {
            let shown: Vec<&str> = failures.iter().take(5).map(String::as_str).collect();
            format!("{} accounts differ: {}", failures.len(), shown.join("; "))
        };
        InvariantCheck {
            name: INVARIANT.to_string(),
            passed,
            detail,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::natural;
    use std::cmp::Ordering;

    #[test]
    fn numbers_on_one_day_compare_by_their_digits() {
        assert_eq!(natural("INV-9", "INV-10"), Ordering::Less);
        assert_eq!(natural("P-2", "P-10"), Ordering::Less);
        assert_eq!(natural("A-007", "A-7"), Ordering::Less);
        assert_eq!(natural("", "1"), Ordering::Less);
    }
}
