//! Reconciliation: which client each payment belongs to (attribution), which documents each
//! payment and credit note settles (allocation), and the checks that prove nothing was lost.
//!
//! Clients reconcile independently and in parallel; every result is sorted before it leaves
//! this module, so the output is identical for any number of threads.
//!
//! Invariants (SPEC section 4), checked on every run:
//! - per client and currency: invoices − credit notes − prepaid − applied payments − discounts
//!   − withholding − bank fees − write-offs = open balance;
//! - every payment amount = its applied parts + its unapplied credit, or it is unmatched.
//!
//! The as-of date filters first: invoices, credit notes and payments dated after it are only
//! counted in [`LeftOut`]; they get no attribution, cannot be referenced and are not allocated.
//!
//! Files: [`memo`] finds invoice numbers in memos, [`rf`] RF creditor references, [`fuzzy`]
//! is the fuzzy name index, [`attribute`] decides each payment's client, [`allocate`] settles
//! one client's documents in the order of SPEC sections 4 and 11 ([`exact_set`] and
//! [`withholding`] hold two of its rules), [`invariants`] proves the arithmetic.

mod allocate;
mod attribute;
mod exact_set;
mod fuzzy;
mod invariants;
mod memo;
pub mod rf;
#[cfg(test)]
mod tests;
mod withholding;

use std::cmp::Ordering;
use std::fmt;
use std::sync::Arc;

use chrono::NaiveDate;
use rayon::prelude::*;
use rust_decimal::Decimal;

use crate::config::Config;
use crate::model::{Ledger, Timings};
use allocate::{allocate_client, ClientOutcome, ClientWork};

/// Memo scanning for fuzz targets and property tests outside the crate: the invoice keys that
/// [`memo`] finds in `memo` when the run's invoice numbers are `numbers`. Not part of the
/// supported API.
#[doc(hidden)]
#[must_use]
pub fn scan_memo_for_fuzzing(memo: &str, numbers: &[&str]) -> Vec<String> {
    memo::scan_memo(memo, &memo::NumberSet::of(numbers))
}

/// The `exact-set` search for benchmarks outside the crate: the sets (none, one, or the first
/// two) of at most 8 of `values` (open balances in minor units, at most 25) that add up to
/// `target`. Not part of the supported API.
#[doc(hidden)]
#[must_use]
pub fn exact_sets_for_bench(values: &[i64], target: i64) -> Vec<Vec<usize>> {
    exact_set::find(values, target, exact_set::MAX_SET)
}

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
    /// The client key (shared with the client's invoices), `None` when unmatched.
    pub client: Option<Arc<str>>,
    pub rule: Option<AttributionRule>,
    /// This client's invoices named in the memo, in memo order: indices into
    /// `Ledger::invoices`.
    pub references: Vec<usize>,
    /// For an unmatched payment, why; for a fuzzy match, the similarity. Shared with the
    /// payment's [`Unapplied`] entry; one empty note is shared by every other payment.
    pub note: Arc<str>,
}

/// The rule that applied a payment or credit note to a document (SPEC section 4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AllocationRule {
    Reference,
    ExactAmount,
    ExactSet,
    Withholding,
    BankFee,
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
            AllocationRule::ExactSet => "exact-set",
            AllocationRule::Withholding => "withholding",
            AllocationRule::BankFee => "bank-fee",
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

/// What an allocation moved money from. Sources refer to the ledger rather than copy its ids:
/// a month has about as many allocations as invoices.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AllocationSource {
    /// A payment: index into `Ledger::payments`.
    Payment(usize),
    /// A credit note: index into `Ledger::invoices`.
    CreditNote(usize),
    /// No money moved: a discount granted or a write-off.
    None,
}

impl AllocationSource {
    /// The payment id or credit-note number, as in the ledger; empty for `None`.
    #[must_use]
    pub fn id<'a>(&self, ledger: &'a Ledger) -> &'a str {
        match *self {
            AllocationSource::Payment(p) => &ledger.payments[p].id,
            AllocationSource::CreditNote(i) => &ledger.invoices[i].number,
            AllocationSource::None => "",
        }
    }
}

/// One recorded movement: part of a payment or credit note applied to a document, a discount
/// granted, a write-off, or (rule `credit`, no invoice) the rest of a payment kept as credit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Allocation {
    pub source: AllocationSource,
    /// The payment's (or credit note's) date; for a discount granted, the date of the payment
    /// that earned it; `None` for a write-off.
    pub date: Option<NaiveDate>,
    pub client: Arc<str>,
    /// The invoice (index into `Ledger::invoices`), `None` for rule `credit`.
    pub invoice: Option<usize>,
    pub amount: Decimal,
    pub currency: Arc<str>,
    pub rule: AllocationRule,
}

impl Allocation {
    /// The number of the invoice, `None` for rule `credit`.
    #[must_use]
    pub fn invoice_number<'a>(&self, ledger: &'a Ledger) -> Option<&'a str> {
        self.invoice.map(|i| &*ledger.invoices[i].number)
    }
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
    pub client: Option<Arc<str>>,
    pub amount: Decimal,
    pub currency: Arc<str>,
    pub reason: Arc<str>,
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
    pub client: Arc<str>,
    pub currency: Arc<str>,
    pub invoiced: Decimal,
    /// Credit notes, as a positive number.
    pub credited: Decimal,
    pub prepaid: Decimal,
    /// Payments applied to documents.
    pub applied: Decimal,
    pub discounts: Decimal,
    /// Withholding tax at source closed by rule `withholding`.
    pub withheld: Decimal,
    /// Bank fees closed by rule `bank-fee`.
    pub fees: Decimal,
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

/// Everything reconciliation produces. Every vector is sorted: attributions by payment index
/// (payments of this run only), allocations by (client, date, source, invoice, rule) with
/// undated write-offs after every dated allocation of the client and a payment's `credit` rest
/// (no invoice) after its applications (then amount and currency, so the order is total), open items by (client, currency, due date, invoice date, number, index),
/// unapplied by payment index, settlements by invoice index, balances by (client, currency).
#[derive(Clone, Debug, Default)]
pub struct Reconciliation {
    pub as_of: Option<NaiveDate>,
    /// Every payment of the run and its client. No output reads it: `arrears run` frees it
    /// before writing (tens of MB at a million payments). Count unmatched payments with
    /// [`Reconciliation::unmatched_payments`].
    pub attributions: Vec<Attribution>,
    pub allocations: Vec<Allocation>,
    pub open_items: Vec<OpenItem>,
    pub unapplied: Vec<Unapplied>,
    pub settlements: Vec<Settlement>,
    pub balances: Vec<Balance>,
    pub invariants: Vec<InvariantCheck>,
    pub left_out: LeftOut,
    /// What allocation found worth telling (lump sums several sets fit), sorted by file and
    /// row; `arrears run` moves them to the ledger's issues.
    pub issues: Vec<crate::model::Issue>,
}

impl Reconciliation {
    /// Payments attributed to no client: each is unapplied with no client (a client's credit
    /// names its client).
    #[must_use]
    pub fn unmatched_payments(&self) -> usize {
        self.unapplied.iter().filter(|u| u.client.is_none()).count()
    }
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

/// The index in `work` of the work of `client`, found by the address of its key in `slots`,
/// added when it is new.
fn work_slot<'a>(
    slots: &mut crate::hash::HashMap<usize, usize>,
    work: &mut Vec<ClientWork<'a>>,
    client: &'a Arc<str>,
) -> usize {
    *slots
        .entry(crate::hash::address(client))
        .or_insert_with(|| {
            work.push(ClientWork {
                client,
                docs: Vec::new(),
                payments: Vec::new(),
            });
            work.len() - 1
        })
}

/// Reconciles the ledger as of `as_of`: attributes every payment of the run to a client,
/// allocates each client's payments and credit notes (clients in parallel), and checks the
/// invariants of SPEC section 4. The result is identical for any number of rayon threads.
///
/// # Errors
/// [`ReconcileError::Invariant`] when an invariant does not hold: a bug, never bad data.
pub fn reconcile(
    config: &Config,
    ledger: &Ledger,
    as_of: NaiveDate,
) -> Result<Reconciliation, ReconcileError> {
    reconcile_timed(config, ledger, as_of).map(|(rec, _)| rec)
}

/// [`reconcile`], with the wall time of its parts: `reconcile_attribute`,
/// `reconcile_allocate` (allocation and sorting) and `reconcile_check` (the invariants).
///
/// # Errors
/// As [`reconcile`].
pub fn reconcile_timed(
    config: &Config,
    ledger: &Ledger,
    as_of: NaiveDate,
) -> Result<(Reconciliation, Timings), ReconcileError> {
    let (attributed, run) = attribute_run(ledger, as_of);
    let (mut rec, mut timings) = allocate_run(config, ledger, as_of, attributed, &run);
    let started = std::time::Instant::now();
    rec.invariants = invariants::check(ledger, &rec, &run.invoice_in_run, &run.payment_in_run)?;
    timings.push(("reconcile_check", started.elapsed().as_millis()));
    Ok((rec, timings))
}

/// [`reconcile_timed`] for a ledger the caller is done with the memos of, and a caller with
/// time to spare for most of the checking later: the payments' memos are read by attribution
/// and by nothing after it, so they are let go before allocation. At a million payments with
/// bank descriptions they are the largest text held, and allocation and the invariant checks
/// were the run's peak of memory (issue 23).
///
/// The checks that read the attributions are made here; the balances and documents checks are
/// returned as [`PendingChecks`], for the caller to run and put in place before it uses the
/// reconciliation as checked (`arrears run` runs them beside the workbook's save, which keeps
/// one thread busy while the other has little to do, and commits nothing if they fail).
///
/// # Errors
/// As [`reconcile`], for the checks made here.
pub fn reconcile_releasing_memos(
    config: &Config,
    ledger: &mut Ledger,
    as_of: NaiveDate,
) -> Result<(Reconciliation, Timings, PendingChecks), ReconcileError> {
    let (attributed, run) = attribute_run(ledger, as_of);
    ledger.payments.par_iter_mut().for_each(|p| p.memo = None);
    // The memos and the attribution's indexes, freed just now, are given back before
    // allocation asks for its memory (see `crate::memory`).
    crate::memory::give_back_freed();
    let (mut rec, mut timings) = allocate_run(config, ledger, as_of, attributed, &run);
    let started = std::time::Instant::now();
    rec.invariants =
        invariants::check_attribution(ledger, &rec, &run.invoice_in_run, &run.payment_in_run)?;
    timings.push(("reconcile_check", started.elapsed().as_millis()));
    Ok((
        rec,
        timings,
        PendingChecks {
            invoice_in_run: run.invoice_in_run,
        },
    ))
}

/// The invariant checks [`reconcile_releasing_memos`] leaves to its caller: the balance per
/// client and currency, and every document accounted for.
pub struct PendingChecks {
    invoice_in_run: Vec<bool>,
}

impl PendingChecks {
    /// Runs the checks (they only read).
    ///
    /// # Errors
    /// [`ReconcileError::Invariant`] for the first that fails: a bug, never bad data.
    pub fn run(
        &self,
        ledger: &Ledger,
        rec: &Reconciliation,
    ) -> Result<Vec<InvariantCheck>, ReconcileError> {
        invariants::check_totals(ledger, rec, &self.invoice_in_run)
    }

    /// Puts the checks [`PendingChecks::run`] made in `rec.invariants`, in SPEC's order.
    pub fn complete(rec: &mut Reconciliation, checks: Vec<InvariantCheck>) {
        rec.invariants = invariants::in_order(std::mem::take(&mut rec.invariants), checks);
    }
}

/// Which documents are in the run (dated on or before the as-of date), and how long
/// attribution took.
struct Run {
    invoice_in_run: Vec<bool>,
    payment_in_run: Vec<bool>,
    left_out: LeftOut,
    attribute_ms: u128,
}

fn attribute_run(ledger: &Ledger, as_of: NaiveDate) -> (Vec<Attribution>, Run) {
    let invoice_in_run: Vec<bool> = ledger.invoices.iter().map(|i| i.date <= as_of).collect();
    let payment_in_run: Vec<bool> = ledger.payments.iter().map(|p| p.date <= as_of).collect();
    let payments: Vec<usize> = (0..ledger.payments.len())
        .filter(|&p| payment_in_run[p])
        .collect();
    let left_out = LeftOut {
        invoices: invoice_in_run.iter().filter(|x| !**x).count(),
        payments: ledger.payments.len() - payments.len(),
    };

    let started = std::time::Instant::now();
    let bar = crate::progress::spinner("attribute");
    let attributed = attribute::attribute(ledger, &invoice_in_run, &payments);
    bar.finish_and_clear();
    let attribute_ms = started.elapsed().as_millis();
    let run = Run {
        invoice_in_run,
        payment_in_run,
        left_out,
        attribute_ms,
    };
    (attributed, run)
}

fn allocate_run(
    config: &Config,
    ledger: &Ledger,
    as_of: NaiveDate,
    attributed: Vec<Attribution>,
    run: &Run,
) -> (Reconciliation, Timings) {
    let (invoice_in_run, left_out, attribute_ms) =
        (&run.invoice_in_run, run.left_out, run.attribute_ms);
    let started = std::time::Instant::now();

    // Every invoice and payment is added to its client's work, found by the address of the
    // client's key: ingest shares one copy of each key among its invoices, and attribution
    // hands out the same copies. Hashing an address instead of the text spares a cache miss on
    // the text for each of two million documents. The invoices and the payments are grouped
    // side by side, each in its own list; the lists are put in client order and joined below.
    let (mut work, (payment_work, unapplied)) = rayon::join(
        || {
            let mut slots: crate::hash::HashMap<usize, usize> = crate::hash::HashMap::default();
            let mut work: Vec<ClientWork<'_>> = Vec::new();
            for (i, inv) in ledger.invoices.iter().enumerate() {
                if invoice_in_run[i] {
                    let w = work_slot(&mut slots, &mut work, &inv.client);
                    work[w].docs.push(i);
                }
            }
            work
        },
        || {
            let mut slots: crate::hash::HashMap<usize, usize> = crate::hash::HashMap::default();
            let mut work: Vec<ClientWork<'_>> = Vec::new();
            let mut unapplied = Vec::new();
            for a in &attributed {
                let payment = &ledger.payments[a.payment];
                match &a.client {
                    Some(client) => {
                        let w = work_slot(&mut slots, &mut work, client);
                        work[w].payments.push((a.payment, a.references.as_slice()));
                    }
                    None => unapplied.push(Unapplied {
                        payment: a.payment,
                        client: None,
                        amount: payment.amount,
                        currency: Arc::clone(&payment.currency),
                        reason: Arc::clone(&a.note),
                    }),
                }
            }
            (work, unapplied)
        },
    );
    work.extend(payment_work);
    work.par_sort_unstable_by(|a, b| a.client.cmp(b.client));
    // Two copies of one key (a ledger not built by ingest) still make one client, its
    // documents and payments in their order.
    work.dedup_by(|later, first| {
        if later.client != first.client {
            return false;
        }
        first.docs.append(&mut later.docs);
        first.payments.append(&mut later.payments);
        true
    });
    for w in &mut work {
        if !w.docs.is_sorted() {
            w.docs.sort_unstable();
        }
        if !w.payments.is_sorted_by_key(|&(payment, _)| payment) {
            w.payments.sort_unstable_by_key(|&(payment, _)| payment);
        }
    }

    // `work` is in client order, and every allocation, open item and balance of an outcome
    // belongs to its client: sorting each outcome on its own thread and concatenating gives
    // exactly the order a global sort would (the keys start with the client), without a serial
    // sort of millions of rows on the main thread.
    let bar = crate::progress::bar(work.len() as u64, "allocate");
    let mut rec = Reconciliation {
        as_of: Some(as_of),
        left_out,
        unapplied,
        ..Reconciliation::default()
    };
    // A chunk of clients at a time, each client on any thread, appended in client order. All
    // clients' outcomes at once were, beside the vectors they are appended to, a second copy
    // of every allocation and open item: at a million invoices the run's peak (+165 MB for
    // half a second). A chunk is appended while the next one is allocated (the appending, on
    // one thread, was a tenth of the stage at a million invoices), so two chunks' outcomes are
    // held at most; a chunk's vectors are freed before a later chunk reuses their memory.
    let allocate_chunk = |chunk: &[ClientWork<'_>]| -> Vec<ClientOutcome> {
        chunk
            .par_iter()
            .map(|w| {
                let mut outcome = allocate_client(config, ledger, w);
                sort_client(&mut outcome, ledger);
                bar.inc(1);
                outcome
            })
            .collect()
    };
    let mut chunks = work.chunks(ALLOCATE_CHUNK);
    let mut current = chunks.next().map(allocate_chunk);
    while let Some(outcomes) = current {
        let next = chunks.next();
        current = rayon::join(
            || {
                for mut outcome in outcomes {
                    rec.allocations.append(&mut outcome.allocations);
                    rec.open_items.append(&mut outcome.open_items);
                    rec.unapplied.append(&mut outcome.unapplied);
                    rec.settlements.append(&mut outcome.settlements);
                    rec.balances.append(&mut outcome.balances);
                    rec.issues.append(&mut outcome.issues);
                }
            },
            || next.map(allocate_chunk),
        )
        .1;
    }
    bar.finish_and_clear();
    rec.attributions = attributed;
    sort(&mut rec, ledger);
    let timings = vec![
        ("reconcile_attribute", attribute_ms),
        ("reconcile_allocate", started.elapsed().as_millis()),
    ];
    (rec, timings)
}

/// Clients allocated at once: enough to keep every thread busy.
const ALLOCATE_CHUNK: usize = 4096;

/// The documented order of every output vector; allocations, open items and balances are
/// already in order (see [`sort_client`]).
fn sort(rec: &mut Reconciliation, ledger: &Ledger) {
    rec.attributions.sort_by_key(|a| a.payment);
    debug_assert!(rec
        .allocations
        .windows(2)
        .all(|w| compare_allocations(ledger, &w[0], &w[1]).is_le()));
    rec.unapplied.sort_by_key(|u| u.payment);
    rec.settlements.sort_by_key(|s| s.invoice);
    rec.issues.sort();
}

/// The documented order of one client's allocations, open items and balances.
fn sort_client(outcome: &mut ClientOutcome, ledger: &Ledger) {
    outcome
        .allocations
        .sort_by(|a, b| compare_allocations(ledger, a, b));
    outcome.open_items.sort_by(|a, b| {
        let (x, y) = (&ledger.invoices[a.invoice], &ledger.invoices[b.invoice]);
        (&x.client, &x.currency, x.due, x.date)
            .cmp(&(&y.client, &y.currency, y.due, y.date))
            .then_with(|| allocate::natural_cmp(&x.number, &y.number))
            .then(a.invoice.cmp(&b.invoice))
    });
    outcome
        .balances
        .sort_by(|a, b| (&a.client, &a.currency).cmp(&(&b.client, &b.currency)));
}

/// Sources compare by kind (payments, credit notes, none), then by id or number as written;
/// invoices by number, with the `credit` rest (no invoice) last.
fn compare_allocations(ledger: &Ledger, a: &Allocation, b: &Allocation) -> Ordering {
    // Undated (write-offs) after dated ones: they happen after allocation.
    let date = |x: &Allocation| (x.date.is_none(), x.date);
    let source = |x: &Allocation| {
        let kind = match x.source {
            AllocationSource::Payment(_) => 0,
            AllocationSource::CreditNote(_) => 1,
            AllocationSource::None => 2,
        };
        (kind, x.source.id(ledger))
    };
    let invoice = |x: &Allocation| (x.invoice.is_none(), x.invoice_number(ledger));
    a.client
        .cmp(&b.client)
        .then_with(|| date(a).cmp(&date(b)))
        .then_with(|| source(a).cmp(&source(b)))
        .then_with(|| invoice(a).cmp(&invoice(b)))
        .then_with(|| a.rule.cmp(&b.rule))
        .then_with(|| a.amount.cmp(&b.amount))
        .then_with(|| a.currency.cmp(&b.currency))
}
