//! Allocation of one client's payments and credit notes to its documents (SPEC section 4).
//!
//! Each currency of the client is allocated on its own: documents and payments of different
//! currencies never interact. Payments and credit notes are processed together by date, then
//! id (payment id or credit-note number), then payments before credit notes, then input order.
//! For each one:
//! 1. `reference`: the invoices it names, in memo order, each up to its open balance. For a
//!    payment, "names" means the memo names at least one invoice of this client in this
//!    currency (even one already settled: such a payment never falls back to steps 2–3). A
//!    credit note names the invoice of its `reference` field; a reference that finds no invoice
//!    of the client in the currency counts as no reference.
//! 2. `exact-amount` (nothing named): the oldest open invoice (invoice date, due date, number)
//!    whose open balance equals the amount exactly.
//! 3. `discount` (payments naming nothing, discount configured): the oldest open invoice with
//!    `round(open × (1 − percent/100)) == amount`, paid 0..=days days after the invoice date.
//!    Two allocations share rule `discount`: the payment's money, and the granted difference
//!    with source `None` dated on the payment's date.
//! 4. `fifo`: the rest to open invoices by due date, invoice date, number.
//! 5. `credit`: the rest of a payment is the client's credit (allocation without invoice, plus an
//!    [`Unapplied`]); the rest of a credit note stays open as a negative item.
//!
//! Afterwards every open balance with `0 < |open| ≤ write_off_tolerance` is written off
//! (`write-off`, source `None`, no date; the amount is the open balance, so negative for the
//! rest of a credit note).
//!
//! Opening balances: an invoice opens at `amount − prepaid`; a credit note at
//! `amount + |prepaid|` (its prepaid is the part already used, so it moves toward zero). The
//! signed prepaid term (`prepaid` for invoices, `−|prepaid|` for credit notes) is what
//! [`Balance::prepaid`] adds up, so the balance invariant reads the same for both.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound::{Excluded, Included};
use std::sync::Arc;

use crate::hash::HashMap;

use chrono::NaiveDate;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

use super::{exact_set, withholding};
use super::{
    Allocation, AllocationRule, AllocationSource, Balance, OpenItem, Settlement, Unapplied,
};
use crate::config::Config;
use crate::model::Ledger;
use crate::model::{
    format_money, minor_digits, round_money, DocKind, Invoice, Issue, Payment, Severity,
};
use crate::normalize::invoice_key;

/// The source of what no money moved: discounts, withholding, bank fees, write-offs.
const NO_SOURCE: AllocationSource = AllocationSource::None;

/// A payment (index into `Ledger::payments`) with the invoices its memo names, memo order.
pub(crate) type PaymentRefs<'a> = (usize, &'a [usize]);

/// One client's share of the run: its documents and its attributed payments.
#[derive(Debug)]
pub(crate) struct ClientWork<'a> {
    /// The client key, shared with its invoices (and so with every allocation made here).
    pub client: &'a Arc<str>,
    /// Indices into `Ledger::invoices` (invoices and credit notes of this run).
    pub docs: Vec<usize>,
    /// Indices into `Ledger::payments`, each with the invoices its memo names (memo order).
    pub payments: Vec<PaymentRefs<'a>>,
}

/// What allocating one client produced, unsorted.
#[derive(Debug, Default)]
pub(crate) struct ClientOutcome {
    pub allocations: Vec<Allocation>,
    pub open_items: Vec<OpenItem>,
    pub unapplied: Vec<Unapplied>,
    pub settlements: Vec<Settlement>,
    pub balances: Vec<Balance>,
    pub issues: Vec<Issue>,
}

/// The prepaid term of a document in the balance invariant: `open = amount − prepaid_term`
/// before any allocation.
pub(crate) fn prepaid_term(doc: &Invoice) -> Decimal {
    match doc.kind {
        DocKind::Invoice => doc.prepaid,
        DocKind::CreditNote => -doc.prepaid.abs(),
    }
}

/// Compares invoice numbers the way people read them: digit runs by value (`INV-9` before
/// `INV-10`), the rest as text; ties by the raw text.
pub(crate) fn natural_cmp(a: &str, b: &str) -> Ordering {
    fn chunks(s: &str) -> Vec<(bool, &str)> {
        let mut out = Vec::new();
        let mut start = 0;
        let mut last: Option<bool> = None;
        for (i, c) in s.char_indices() {
            let digit = c.is_ascii_digit();
            if last.is_some_and(|l| l != digit) {
                out.push((last.unwrap_or(false), &s[start..i]));
                start = i;
            }
            last = Some(digit);
        }
        if let Some(l) = last {
            out.push((l, &s[start..]));
        }
        out
    }
    let (ca, cb) = (chunks(a), chunks(b));
    for (x, y) in ca.iter().zip(&cb) {
        let ord = match (x, y) {
            ((true, x), (true, y)) => {
                let (x, y) = (x.trim_start_matches('0'), y.trim_start_matches('0'));
                x.len().cmp(&y.len()).then_with(|| x.cmp(y))
            }
            ((_, x), (_, y)) => x.cmp(y),
        };
        if ord != Ordering::Equal {
            return ord;
        }
    }
    ca.len().cmp(&cb.len()).then_with(|| a.cmp(b))
}

struct Doc<'a> {
    inv: &'a Invoice,
    /// Index into `Ledger::invoices`.
    index: usize,
    open: Decimal,
    /// Rank in "oldest" order (invoice date, due date, number); invoices only.
    rank: u32,
    paid_by_payment: bool,
    last_payment: Option<NaiveDate>,
}

/// Allocation state of one client in one currency.
struct Book<'a> {
    client: &'a Arc<str>,
    currency: &'a Arc<str>,
    docs: Vec<Doc<'a>>,
    /// Invoice positions in `docs`, FIFO order; everything before `cursor` is closed.
    fifo: Vec<usize>,
    cursor: usize,
    /// Rank -> position in `docs`.
    by_rank: Vec<usize>,
    /// Open balance -> ranks of open invoices with it.
    by_open: HashMap<Decimal, BTreeSet<u32>>,
    /// Discounted open balance -> ranks, when a discount is configured.
    by_discounted: HashMap<Decimal, BTreeSet<u32>>,
    discount_factor: Option<Decimal>,
    discount_days: Option<u32>,
    /// Rule `withholding`: the rates tried for this client, in order, each with its factor and
    /// the index of open balances × factor -> ranks (case (b)).
    withholding: Vec<(Decimal, HashMap<Decimal, BTreeSet<u32>>)>,
    /// Rule `withholding` for stated amounts (`Payment::withheld`); off only when skipped.
    stated_withholding: bool,
    /// Rule `bank-fee`: the largest shortfall closed as a fee (0: off), and the open balances
    /// in order of amount (unreferenced payments).
    fee_max: Decimal,
    by_open_sorted: BTreeMap<Decimal, BTreeSet<u32>>,
    exact_amount: bool,
    exact_set: bool,
    allocations: Vec<Allocation>,
    /// Lump sums that several sets of invoices fit (rule `exact-set`), for `issues.csv`.
    issues: Vec<Issue>,
}

impl<'a> Book<'a> {
    /// `docs`: the client's documents in this currency, as indices into `ledger.invoices`.
    fn new(
        client: &'a Arc<str>,
        currency: &'a Arc<str>,
        ledger: &'a Ledger,
        docs: &[usize],
        config: &Config,
    ) -> Book<'a> {
        let rules = &config.allocation;
        // A client's own rate replaces the configured ones; a rate of 0 turns the rule off.
        let rates: Vec<Decimal> = if rules.runs("withholding") {
            match ledger.clients.get(&**client).and_then(|c| c.withholding) {
                Some(rate) if rate > Decimal::ZERO => vec![rate],
                Some(_) => Vec::new(),
                None => rules.withholding_rates.clone(),
            }
        } else {
            Vec::new()
        };
        let mut docs: Vec<Doc<'a>> = docs
            .iter()
            .map(|&index| (index, &ledger.invoices[index]))
            .map(|(index, inv)| Doc {
                inv,
                index,
                open: inv.amount - prepaid_term(inv),
                rank: u32::MAX,
                paid_by_payment: false,
                last_payment: None,
            })
            .collect();
        let invoices: Vec<usize> = (0..docs.len())
            .filter(|&i| docs[i].inv.kind == DocKind::Invoice)
            .collect();
        let mut by_rank = invoices.clone();
        by_rank.sort_by(|&x, &y| {
            let (a, b) = (docs[x].inv, docs[y].inv);
            (a.date, a.due)
                .cmp(&(b.date, b.due))
                .then_with(|| natural_cmp(&a.number, &b.number))
                .then(x.cmp(&y))
        });
        for (rank, &pos) in by_rank.iter().enumerate() {
            docs[pos].rank = u32::try_from(rank).expect("fewer than 2^32 invoices per client");
        }
        let mut fifo = invoices;
        fifo.sort_by(|&x, &y| {
            let (a, b) = (docs[x].inv, docs[y].inv);
            (a.due, a.date)
                .cmp(&(b.due, b.date))
                .then_with(|| natural_cmp(&a.number, &b.number))
                .then(x.cmp(&y))
        });
        let mut book = Book {
            client,
            currency,
            docs,
            fifo,
            cursor: 0,
            by_rank,
            by_open: HashMap::default(),
            by_discounted: HashMap::default(),
            discount_factor: config
                .discount
                .filter(|_| rules.runs("discount"))
                .map(|d| Decimal::ONE - d.percent / Decimal::ONE_HUNDRED),
            discount_days: config.discount.map(|d| d.days),
            withholding: rates
                .iter()
                .map(|&r| (withholding::factor(r), HashMap::default()))
                .collect(),
            stated_withholding: rules.runs("withholding"),
            fee_max: if rules.runs("bank-fee") {
                rules.fee_max
            } else {
                Decimal::ZERO
            },
            by_open_sorted: BTreeMap::new(),
            exact_amount: rules.runs("exact-amount"),
            exact_set: rules.runs("exact-set"),
            allocations: Vec::new(),
            issues: Vec::new(),
        };
        for pos in 0..book.docs.len() {
            book.index(pos, true);
        }
        book
    }

    /// Adds (or removes) an open invoice to (from) the amount lookups.
    fn index(&mut self, pos: usize, add: bool) {
        let doc = &self.docs[pos];
        if doc.inv.kind != DocKind::Invoice || doc.open <= Decimal::ZERO {
            return;
        }
        let mut keys = vec![(false, doc.open.normalize())];
        if let Some(f) = self.discount_factor {
            keys.push((true, round_money(doc.open * f, self.currency).normalize()));
        }
        let rank = doc.rank;
        let open = doc.open;
        for (f, map) in &mut self.withholding {
            let key = round_money(open * *f, self.currency).normalize();
            if add {
                map.entry(key).or_default().insert(rank);
            } else if let Some(set) = map.get_mut(&key) {
                set.remove(&rank);
                if set.is_empty() {
                    map.remove(&key);
                }
            }
        }
        if self.fee_max > Decimal::ZERO {
            let key = open.normalize();
            if add {
                self.by_open_sorted.entry(key).or_default().insert(rank);
            } else if let Some(set) = self.by_open_sorted.get_mut(&key) {
                set.remove(&rank);
                if set.is_empty() {
                    self.by_open_sorted.remove(&key);
                }
            }
        }
        for (discounted, key) in keys {
            let map = if discounted {
                &mut self.by_discounted
            } else {
                &mut self.by_open
            };
            if add {
                map.entry(key).or_default().insert(rank);
            } else if let Some(set) = map.get_mut(&key) {
                set.remove(&rank);
                if set.is_empty() {
                    map.remove(&key);
                }
            }
        }
    }

    fn apply(
        &mut self,
        pos: usize,
        amount: Decimal,
        source: AllocationSource,
        date: Option<NaiveDate>,
        rule: AllocationRule,
    ) {
        self.index(pos, false);
        let doc = &mut self.docs[pos];
        doc.open -= amount;
        if let (AllocationSource::Payment(_), Some(date)) = (source, date) {
            doc.paid_by_payment = true;
            doc.last_payment = doc.last_payment.max(Some(date));
        }
        let invoice = doc.index;
        self.index(pos, true);
        self.allocations.push(Allocation {
            source,
            date,
            client: Arc::clone(self.client),
            invoice: Some(invoice),
            amount,
            currency: Arc::clone(self.currency),
            rule,
        });
    }

    /// Applies up to `remaining` to each of `targets` in turn; returns what is left.
    fn apply_in_turn(
        &mut self,
        targets: &[usize],
        mut remaining: Decimal,
        source: AllocationSource,
        date: NaiveDate,
        rule: AllocationRule,
    ) -> Decimal {
        for &pos in targets {
            if remaining <= Decimal::ZERO {
                break;
            }
            let open = self.docs[pos].open;
            if open > Decimal::ZERO {
                let x = open.min(remaining);
                self.apply(pos, x, source, Some(date), rule);
                remaining -= x;
            }
        }
        remaining
    }

    fn oldest_with_open(&self, amount: Decimal) -> Option<usize> {
        let rank = *self.by_open.get(&amount.normalize())?.first()?;
        Some(self.by_rank[rank as usize])
    }

    fn fifo(
        &mut self,
        mut remaining: Decimal,
        source: AllocationSource,
        date: NaiveDate,
    ) -> Decimal {
        while remaining > Decimal::ZERO && self.cursor < self.fifo.len() {
            let pos = self.fifo[self.cursor];
            let open = self.docs[pos].open;
            if open <= Decimal::ZERO {
                // Open balances never grow, so a closed invoice stays behind the cursor.
                self.cursor += 1;
                continue;
            }
            let x = open.min(remaining);
            self.apply(pos, x, source, Some(date), AllocationRule::Fifo);
            remaining -= x;
        }
        remaining
    }

    /// Every rule of SPEC sections 4 and 11 but `credit` for the payment at `payment` (index
    /// into `Ledger::payments`); returns what is left for `credit`.
    fn pay(&mut self, payment: usize, pay: &Payment, refs: &[usize]) -> Decimal {
        let (date, amount) = (pay.date, pay.amount);
        let source = AllocationSource::Payment(payment);
        if amount <= Decimal::ZERO {
            return amount;
        }
        let withheld = pay
            .withheld
            .filter(|w| *w > Decimal::ZERO && self.stated_withholding);
        if !refs.is_empty() {
            return self.pay_referenced(source, date, amount, withheld, refs);
        }
        if let Some(w) = withheld {
            // A receipt that states its withholding: the invoice it pays with it, exactly.
            if let Some(pos) = self.oldest_with_open(amount + w) {
                self.apply(pos, amount, source, Some(date), AllocationRule::ExactAmount);
                self.apply(pos, w, NO_SOURCE, Some(date), AllocationRule::Withholding);
                return Decimal::ZERO;
            }
        }
        if self.exact_amount {
            if let Some(pos) = self.oldest_with_open(amount) {
                self.apply(pos, amount, source, Some(date), AllocationRule::ExactAmount);
                return Decimal::ZERO;
            }
        }
        if self.exact_set && self.settle_set(payment, pay) {
            return Decimal::ZERO;
        }
        if let Some(pos) = self.withholding_target(amount) {
            let rest = self.docs[pos].open - amount;
            self.apply(pos, amount, source, Some(date), AllocationRule::ExactAmount);
            self.apply(
                pos,
                rest,
                NO_SOURCE,
                Some(date),
                AllocationRule::Withholding,
            );
            return Decimal::ZERO;
        }
        // A payment the discount rule settles exactly (the configured percent, inside its
        // window) is a discount, not a fee: the stricter rule knows more (README).
        let discount = self.discount_target(date, amount);
        if let Some(pos) = self.fee_target(amount).filter(|_| discount.is_none()) {
            let fee = self.docs[pos].open - amount;
            self.apply(pos, amount, source, Some(date), AllocationRule::ExactAmount);
            self.apply(pos, fee, NO_SOURCE, Some(date), AllocationRule::BankFee);
            return Decimal::ZERO;
        }
        if let Some(pos) = discount {
            let granted = self.docs[pos].open - amount;
            self.apply(pos, amount, source, Some(date), AllocationRule::Discount);
            self.apply(
                pos,
                granted,
                NO_SOURCE,
                Some(date),
                AllocationRule::Discount,
            );
            return Decimal::ZERO;
        }
        self.fifo(amount, source, date)
    }

    /// A payment that named invoices: a stated withholding shared over them, else a
    /// withholding rate that explains the shortfall (case (a)); then `reference` in memo
    /// order; a shortfall of at most `[fees] max` closed as `bank-fee`; the rest by `fifo`.
    fn pay_referenced(
        &mut self,
        source: AllocationSource,
        date: NaiveDate,
        amount: Decimal,
        withheld: Option<Decimal>,
        refs: &[usize],
    ) -> Decimal {
        let targets: Vec<usize> = refs
            .iter()
            .copied()
            .filter(|&pos| self.docs[pos].open > Decimal::ZERO)
            .collect();
        let opens: Vec<Decimal> = targets.iter().map(|&pos| self.docs[pos].open).collect();
        let total: Decimal = opens.iter().sum();
        if let Some(w) = withheld {
            let shares = withholding::share(w, &opens, self.currency);
            for (&pos, share) in targets.iter().zip(shares) {
                if share > Decimal::ZERO {
                    self.apply(
                        pos,
                        share,
                        NO_SOURCE,
                        Some(date),
                        AllocationRule::Withholding,
                    );
                }
            }
        } else if amount < total && !self.withholding.is_empty() {
            let rates: Vec<Decimal> = self
                .withholding
                .iter()
                .map(|(f, _)| (Decimal::ONE - *f) * Decimal::ONE_HUNDRED)
                .collect();
            if let Some(paid) = withholding::split(&opens, amount, &rates, self.currency) {
                for ((&pos, open), part) in targets.iter().zip(&opens).zip(paid) {
                    if part > Decimal::ZERO {
                        self.apply(pos, part, source, Some(date), AllocationRule::Reference);
                    }
                    if *open > part {
                        let rest = *open - part;
                        self.apply(
                            pos,
                            rest,
                            NO_SOURCE,
                            Some(date),
                            AllocationRule::Withholding,
                        );
                    }
                }
                return Decimal::ZERO;
            }
        }
        let left = self.apply_in_turn(refs, amount, source, date, AllocationRule::Reference);
        if left.is_zero() && self.fee_max > Decimal::ZERO {
            let short: Decimal = targets.iter().map(|&pos| self.docs[pos].open).sum();
            if short > Decimal::ZERO && short <= self.fee_max {
                for &pos in &targets {
                    let open = self.docs[pos].open;
                    if open > Decimal::ZERO {
                        self.apply(pos, open, NO_SOURCE, Some(date), AllocationRule::BankFee);
                    }
                }
            }
        }
        self.fifo(left, source, date)
    }

    /// Case (b) of `withholding`: the oldest open invoice whose balance less a rate is the
    /// amount, give or take one minor unit; the rates in order.
    fn withholding_target(&self, amount: Decimal) -> Option<usize> {
        let one = withholding::unit(self.currency);
        self.withholding.iter().find_map(|(_, map)| {
            [amount - one, amount, amount + one]
                .iter()
                .filter_map(|key| map.get(&key.normalize()))
                .flat_map(|ranks| ranks.iter().copied())
                .map(|r| self.by_rank[r as usize])
                .filter(|&pos| self.docs[pos].open > amount)
                .min_by_key(|&pos| self.docs[pos].rank)
        })
    }

    /// `bank-fee` for a payment that named nothing: the open invoice whose balance exceeds the
    /// amount by the least, at most `[fees] max`; the oldest of equal balances.
    fn fee_target(&self, amount: Decimal) -> Option<usize> {
        if self.fee_max <= Decimal::ZERO {
            return None;
        }
        let (_, ranks) = self
            .by_open_sorted
            .range((Excluded(amount), Included(amount + self.fee_max)))
            .next()?;
        ranks.first().map(|&r| self.by_rank[r as usize])
    }

    /// `exact-set`: settles the one set of the client's oldest open invoices whose balances
    /// add up to the payment; when several fit, records an issue and settles nothing.
    fn settle_set(&mut self, payment: usize, pay: &Payment) -> bool {
        let scale = Decimal::from(10i64.pow(minor_digits(self.currency)));
        let whole = |x: Decimal| {
            let units = x * scale;
            units.fract().is_zero().then(|| units.to_i64()).flatten()
        };
        let Some(target) = whole(pay.amount) else {
            return false;
        };
        // Closed invoices stay closed (open balances never grow): the cursor may pass them.
        while self
            .fifo
            .get(self.cursor)
            .is_some_and(|&pos| self.docs[pos].open <= Decimal::ZERO)
        {
            self.cursor += 1;
        }
        let mut candidates: Vec<usize> = Vec::with_capacity(exact_set::CANDIDATES);
        let mut values: Vec<i64> = Vec::with_capacity(exact_set::CANDIDATES);
        for &pos in &self.fifo[self.cursor..] {
            if values.len() == exact_set::CANDIDATES {
                break;
            }
            let open = self.docs[pos].open;
            if open <= Decimal::ZERO {
                continue;
            }
            let Some(units) = whole(open) else {
                return false;
            };
            candidates.push(pos);
            values.push(units);
        }
        let sets = exact_set::find(&values, target, exact_set::MAX_SET);
        match sets.as_slice() {
            [set] => {
                let source = AllocationSource::Payment(payment);
                for &k in set {
                    let pos = candidates[k];
                    let open = self.docs[pos].open;
                    self.apply(pos, open, source, Some(pay.date), AllocationRule::ExactSet);
                }
                true
            }
            [] => false,
            several => {
                let mut several = several.to_vec();
                several.sort();
                let named: Vec<String> = several
                    .iter()
                    .map(|set| {
                        set.iter()
                            .map(|&k| &*self.docs[candidates[k]].inv.number)
                            .collect::<Vec<_>>()
                            .join(" + ")
                    })
                    .collect();
                self.issues.push(Issue::at(
                    Severity::Info,
                    &pay.origin,
                    None,
                    Some(&format_money(pay.amount, self.currency)),
                    format!(
                        "several sets of invoices match this payment: {} (perhaps more); not \
                         guessed: payment {} went on to the next rules",
                        named.join("; "),
                        pay.id
                    ),
                ));
                false
            }
        }
    }

    fn discount_target(&self, date: NaiveDate, amount: Decimal) -> Option<usize> {
        let ranks = self.by_discounted.get(&amount.normalize())?;
        ranks
            .iter()
            .map(|&r| self.by_rank[r as usize])
            .find(|&pos| {
                let days = (date - self.docs[pos].inv.date).num_days();
                days >= 0 && self.discount_days.is_some_and(|max| days <= i64::from(max))
            })
    }

    /// Steps 1, 2 and 4 for a credit note at `pos`; what is left stays open on it.
    fn credit(&mut self, pos: usize, target: Option<usize>) {
        let note = self.docs[pos].inv;
        let available = -self.docs[pos].open;
        if available <= Decimal::ZERO {
            return;
        }
        let source = AllocationSource::CreditNote(self.docs[pos].index);
        let left = if let Some(target) = target {
            self.apply_in_turn(
                &[target],
                available,
                source,
                note.date,
                AllocationRule::Reference,
            )
        } else if let Some(target) = self.oldest_with_open(available) {
            self.apply(
                target,
                available,
                source,
                Some(note.date),
                AllocationRule::ExactAmount,
            );
            Decimal::ZERO
        } else {
            available
        };
        let left = self.fifo(left, source, note.date);
        self.docs[pos].open = -left;
    }
}

/// Allocates one client, every currency on its own. Results are unsorted.
pub(crate) fn allocate_client(
    config: &Config,
    ledger: &Ledger,
    work: &ClientWork<'_>,
) -> ClientOutcome {
    let mut per_currency: BTreeMap<&Arc<str>, (Vec<usize>, Vec<PaymentRefs<'_>>)> = BTreeMap::new();
    for &d in &work.docs {
        per_currency
            .entry(&ledger.invoices[d].currency)
            .or_default()
            .0
            .push(d);
    }
    for &(p, refs) in &work.payments {
        per_currency
            .entry(&ledger.payments[p].currency)
            .or_default()
            .1
            .push((p, refs));
    }
    let mut out = ClientOutcome::default();
    for (currency, (docs, payments)) in per_currency {
        allocate_currency(
            config,
            ledger,
            work.client,
            currency,
            &docs,
            &payments,
            &mut out,
        );
    }
    out
}

#[derive(PartialEq, Eq, PartialOrd, Ord)]
enum EventKind {
    Payment,
    CreditNote,
}

/// The positions of a book's documents by invoice key, in the book's rank order.
fn invoices_by_key(book: &Book<'_>) -> HashMap<String, Vec<usize>> {
    let mut by_key: HashMap<String, Vec<usize>> = HashMap::default();
    for &pos in &book.by_rank {
        by_key
            .entry(invoice_key(&book.docs[pos].inv.number))
            .or_default()
            .push(pos);
    }
    by_key
}

fn allocate_currency(
    config: &Config,
    ledger: &Ledger,
    client: &Arc<str>,
    currency: &Arc<str>,
    docs: &[usize],
    payments: &[PaymentRefs<'_>],
    out: &mut ClientOutcome,
) {
    let mut book = Book::new(client, currency, ledger, docs, config);
    let position: HashMap<usize, usize> =
        docs.iter().enumerate().map(|(pos, &d)| (d, pos)).collect();
    // The invoices by key, for the credit notes that name the invoice they credit: made when
    // the first such credit note comes. Most clients have none, and a key for each of a
    // million invoices was a sixth of allocation.
    let mut by_key: Option<HashMap<String, Vec<usize>>> = None;

    // (date, id, kind, index into payments or docs)
    let mut events: Vec<(NaiveDate, &str, EventKind, usize)> = Vec::new();
    for (k, &(p, _)) in payments.iter().enumerate() {
        let pay = &ledger.payments[p];
        events.push((pay.date, &*pay.id, EventKind::Payment, k));
    }
    for (pos, doc) in book.docs.iter().enumerate() {
        if doc.inv.kind == DocKind::CreditNote {
            events.push((doc.inv.date, &doc.inv.number, EventKind::CreditNote, pos));
        }
    }
    events.sort();
    let events: Vec<(EventKind, usize)> = events
        .into_iter()
        .map(|(_, _, kind, k)| (kind, k))
        .collect();

    for (kind, k) in events {
        match kind {
            EventKind::Payment => {
                let (p, refs) = payments[k];
                let pay = &ledger.payments[p];
                let refs: Vec<usize> = refs
                    .iter()
                    .filter_map(|i| position.get(i).copied())
                    .collect();
                let left = book.pay(p, pay, &refs);
                if !left.is_zero() {
                    book.allocations.push(Allocation {
                        source: AllocationSource::Payment(p),
                        date: Some(pay.date),
                        client: Arc::clone(client),
                        invoice: None,
                        amount: left,
                        currency: Arc::clone(currency),
                        rule: AllocationRule::Credit,
                    });
                    let reason = if pay.amount <= Decimal::ZERO {
                        format!(
                            "a payment of {} is not positive; kept for review",
                            format_money(pay.amount, currency)
                        )
                    } else {
                        format!(
                            "paid {} more than the open invoices",
                            format_money(left, currency)
                        )
                    };
                    out.unapplied.push(Unapplied {
                        payment: p,
                        client: Some(Arc::clone(client)),
                        amount: left,
                        currency: Arc::clone(currency),
                        reason: reason.into(),
                    });
                }
            }
            EventKind::CreditNote => {
                let target = book.docs[k].inv.reference.as_deref().and_then(|r| {
                    by_key
                        .get_or_insert_with(|| invoices_by_key(&book))
                        .get(&invoice_key(r))
                        .and_then(|positions| positions.first().copied())
                });
                book.credit(k, target);
            }
        }
    }
    write_off_and_summarise(book, config.write_off_tolerance, docs, out);
}

/// Step 6 (write-offs), then open items, settlements and the balance of one currency.
fn write_off_and_summarise(
    mut book: Book<'_>,
    tolerance: Decimal,
    docs: &[usize],
    out: &mut ClientOutcome,
) {
    let (client, currency) = (book.client, book.currency);
    if tolerance > Decimal::ZERO {
        for pos in 0..book.docs.len() {
            let open = book.docs[pos].open;
            if !open.is_zero() && open.abs() <= tolerance {
                book.apply(
                    pos,
                    open,
                    AllocationSource::None,
                    None,
                    AllocationRule::WriteOff,
                );
            }
        }
    }

    let mut balance = Balance {
        client: Arc::clone(client),
        currency: Arc::clone(currency),
        ..Balance::default()
    };
    for (pos, doc) in book.docs.iter().enumerate() {
        match doc.inv.kind {
            DocKind::Invoice => balance.invoiced += doc.inv.amount,
            DocKind::CreditNote => balance.credited += doc.inv.amount.abs(),
        }
        balance.prepaid += prepaid_term(doc.inv);
        balance.open += doc.open;
        if !doc.open.is_zero() {
            out.open_items.push(OpenItem {
                invoice: docs[pos],
                paid: doc.inv.amount - doc.open,
                open: doc.open,
            });
        } else if doc.inv.kind == DocKind::Invoice && doc.paid_by_payment {
            if let Some(paid_on) = doc.last_payment {
                out.settlements.push(Settlement {
                    invoice: docs[pos],
                    paid_on,
                });
            }
        }
    }
    for a in &book.allocations {
        match (&a.source, a.rule, &a.invoice) {
            (AllocationSource::Payment(_), AllocationRule::Credit, _) => {
                balance.unapplied_credit += a.amount;
            }
            (AllocationSource::Payment(_), _, Some(_)) => balance.applied += a.amount,
            (AllocationSource::None, AllocationRule::Discount, _) => balance.discounts += a.amount,
            (AllocationSource::None, AllocationRule::WriteOff, _) => balance.write_offs += a.amount,
            (AllocationSource::None, AllocationRule::Withholding, _) => {
                balance.withheld += a.amount
            }
            (AllocationSource::None, AllocationRule::BankFee, _) => balance.fees += a.amount,
            _ => {}
        }
    }
    out.balances.push(balance);
    out.allocations.append(&mut book.allocations);
    out.issues.append(&mut book.issues);
}

#[cfg(test)]
mod tests {
    use super::natural_cmp;
    use std::cmp::Ordering;

    #[test]
    fn numbers_compare_naturally() {
        assert_eq!(natural_cmp("INV-9", "INV-10"), Ordering::Less);
        assert_eq!(natural_cmp("1043", "1044"), Ordering::Less);
        assert_eq!(natural_cmp("A-007", "A-7"), Ordering::Less);
        assert_eq!(natural_cmp("B1", "A2"), Ordering::Greater);
        assert_eq!(natural_cmp("", "1"), Ordering::Less);
    }
}
