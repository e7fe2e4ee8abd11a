//! The checks of SPEC section 4, recomputed from the ledger and the finished reconciliation
//! rather than trusted from the allocation's own running totals. A failure is a bug in this
//! module's siblings, never a data problem, and stops the run with
//! [`ReconcileError::Invariant`] naming the client, currency and difference.

use std::sync::Arc;

use crate::hash::HashMap;

use rust_decimal::Decimal;

use super::allocate::prepaid_term;
use super::{AllocationSource, Balance, InvariantCheck, ReconcileError, Reconciliation};
use crate::model::DocKind;
use crate::model::Ledger;

fn fail(client: &str, currency: &str, detail: String) -> ReconcileError {
    ReconcileError::Invariant {
        client: client.to_string(),
        currency: currency.to_string(),
        detail,
    }
}

fn passed(name: &str, detail: String) -> InvariantCheck {
    InvariantCheck {
        name: name.to_string(),
        passed: true,
        detail,
    }
}

/// Runs every check; all returned checks passed, in SPEC's order.
///
/// # Errors
/// [`ReconcileError::Invariant`] for the first check that fails.
pub(crate) fn check(
    ledger: &Ledger,
    rec: &Reconciliation,
    invoice_in_run: &[bool],
    payment_in_run: &[bool],
) -> Result<Vec<InvariantCheck>, ReconcileError> {
    // The checks are independent; each walks every row, so they run side by side. Errors are
    // taken in the listed order, so the reported failure does not depend on the thread count.
    let ((attributed, balances), (documents, payments)) = rayon::join(
        || {
            (
                every_payment_attributed(rec, payment_in_run, invoice_in_run),
                balances(ledger, rec, invoice_in_run),
            )
        },
        || {
            rayon::join(
                || documents(ledger, rec, invoice_in_run),
                || payments(ledger, rec),
            )
        },
    );
    Ok(vec![attributed?, balances?, documents?, payments?])
}

/// The checks that read the attributions: every payment attributed once, and every payment
/// fully accounted for (in that order).
///
/// # Errors
/// [`ReconcileError::Invariant`] for the first check that fails.
pub(crate) fn check_attribution(
    ledger: &Ledger,
    rec: &Reconciliation,
    invoice_in_run: &[bool],
    payment_in_run: &[bool],
) -> Result<Vec<InvariantCheck>, ReconcileError> {
    let (attributed, payments) = rayon::join(
        || every_payment_attributed(rec, payment_in_run, invoice_in_run),
        || payments(ledger, rec),
    );
    Ok(vec![attributed?, payments?])
}

/// The checks that need neither the attributions nor the payments' memos: the balance per
/// client and currency, and every document accounted for (in that order). They are most of
/// the checking's work at a million rows.
///
/// # Errors
/// [`ReconcileError::Invariant`] for the first check that fails.
pub(crate) fn check_totals(
    ledger: &Ledger,
    rec: &Reconciliation,
    invoice_in_run: &[bool],
) -> Result<Vec<InvariantCheck>, ReconcileError> {
    let (balances, documents) = rayon::join(
        || balances(ledger, rec, invoice_in_run),
        || documents(ledger, rec, invoice_in_run),
    );
    Ok(vec![balances?, documents?])
}

/// The results of [`check_attribution`] and [`check_totals`] in SPEC's order: attribution,
/// balances, documents, payments.
pub(crate) fn in_order(
    mut attribution: Vec<InvariantCheck>,
    totals: Vec<InvariantCheck>,
) -> Vec<InvariantCheck> {
    let at = attribution.len().min(1);
    attribution.splice(at..at, totals);
    attribution
}

fn every_payment_attributed(
    rec: &Reconciliation,
    payment_in_run: &[bool],
    invoice_in_run: &[bool],
) -> Result<InvariantCheck, ReconcileError> {
    let expected: Vec<usize> = (0..payment_in_run.len())
        .filter(|&p| payment_in_run[p])
        .collect();
    let got: Vec<usize> = rec.attributions.iter().map(|a| a.payment).collect();
    if got != expected {
        return Err(fail(
            "(all)",
            "",
            format!(
                "{} payments of this run but {} attributions, or not one each",
                expected.len(),
                got.len()
            ),
        ));
    }
    let left_out_invoices = invoice_in_run.iter().filter(|x| !**x).count();
    if rec.left_out.payments + expected.len() != payment_in_run.len()
        || rec.left_out.invoices != left_out_invoices
    {
        return Err(fail(
            "(all)",
            "",
            "left-out counts do not add up".to_string(),
        ));
    }
    Ok(passed(
        "every payment attributed or unmatched",
        format!(
            "{} payments: {} attributed, {} unmatched; {} left out by the as-of date",
            expected.len(),
            rec.attributions
                .iter()
                .filter(|a| a.client.is_some())
                .count(),
            rec.attributions
                .iter()
                .filter(|a| a.client.is_none())
                .count(),
            rec.left_out.payments
        ),
    ))
}

/// invoiced − credited − prepaid − applied − discounts − withholding − fees − write-offs = open
/// = Σ open items,
/// per client and currency, each term recomputed from the ledger and the allocation list.
fn balances<'a>(
    ledger: &'a Ledger,
    rec: &'a Reconciliation,
    invoice_in_run: &[bool],
) -> Result<InvariantCheck, ReconcileError> {
    // One entry per client and currency, hashed (every allocation looks one up); checked in
    // key order below, so the first failure is the same every run.
    // Sized for the balances reported (one per client and currency when all is well): at
    // 100,000 clients the map is tens of MB, and it is made beside the workbook's save.
    let mut expect: HashMap<(&str, &str), Balance> =
        HashMap::with_capacity_and_hasher(rec.balances.len(), Default::default());
    let mut add = |client: &'a str, currency: &'a str, f: &dyn Fn(&mut Balance)| {
        f(expect.entry((client, currency)).or_default());
    };
    for (i, inv) in ledger.invoices.iter().enumerate() {
        if !invoice_in_run[i] {
            continue;
        }
        let amount = inv.amount;
        let prepaid = prepaid_term(inv);
        let kind = inv.kind;
        add(&inv.client, &inv.currency, &|b| {
            match kind {
                DocKind::Invoice => b.invoiced += amount,
                DocKind::CreditNote => b.credited += amount.abs(),
            }
            b.prepaid += prepaid;
        });
    }
    for a in &rec.allocations {
        let amount = a.amount;
        match (&a.source, a.rule, a.invoice.is_some()) {
            (AllocationSource::Payment(_), super::AllocationRule::Credit, _) => {
                add(&a.client, &a.currency, &|b| b.unapplied_credit += amount);
            }
            (AllocationSource::Payment(_), _, true) => {
                add(&a.client, &a.currency, &|b| b.applied += amount);
            }
            (AllocationSource::None, super::AllocationRule::Discount, _) => {
                add(&a.client, &a.currency, &|b| b.discounts += amount);
            }
            (AllocationSource::None, super::AllocationRule::WriteOff, _) => {
                add(&a.client, &a.currency, &|b| b.write_offs += amount);
            }
            (AllocationSource::None, super::AllocationRule::Withholding, _) => {
                add(&a.client, &a.currency, &|b| b.withheld += amount);
            }
            (AllocationSource::None, super::AllocationRule::BankFee, _) => {
                add(&a.client, &a.currency, &|b| b.fees += amount);
            }
            _ => add(&a.client, &a.currency, &|_| {}),
        }
    }
    for item in &rec.open_items {
        let inv = &ledger.invoices[item.invoice];
        let open = item.open;
        add(&inv.client, &inv.currency, &|b| b.open += open);
    }
    let got: HashMap<(&str, &str), &Balance> = rec
        .balances
        .iter()
        .map(|b| ((&*b.client, &*b.currency), b))
        .collect();
    let mut order: Vec<(&(&str, &str), &Balance)> = expect.iter().collect();
    order.sort_unstable_by_key(|(key, _)| **key);
    for (&(client, currency), e) in order {
        let rest = e.invoiced
            - e.credited
            - e.prepaid
            - e.applied
            - e.discounts
            - e.withheld
            - e.fees
            - e.write_offs;
        if rest != e.open {
            return Err(fail(
                client,
                currency,
                format!(
                    "invoiced {} − credited {} − prepaid {} − applied {} − discounts {} − withholding {} − bank fees {} − write-offs {} = {}, \
                     but the open items add up to {} (difference {})",
                    e.invoiced,
                    e.credited,
                    e.prepaid,
                    e.applied,
                    e.discounts,
                    e.withheld,
                    e.fees,
                    e.write_offs,
                    rest,
                    e.open,
                    rest - e.open
                ),
            ));
        }
        let Some(b) = got.get(&(client, currency)) else {
            return Err(fail(
                client,
                currency,
                "no balance was reported".to_string(),
            ));
        };
        // `b` was found under this client and currency.
        let mut expected = e.clone();
        expected.client = Arc::clone(&b.client);
        expected.currency = Arc::clone(&b.currency);
        let reported = (*b).clone();
        if reported != expected {
            return Err(fail(
                client,
                currency,
                format!(
                    "reported balance {reported:?} differs from the recomputed {expected:?} (open difference {})",
                    reported.open - expected.open
                ),
            ));
        }
    }
    if got.len() != expect.len() {
        return Err(fail(
            "(all)",
            "",
            format!("{} balances reported, {} expected", got.len(), expect.len()),
        ));
    }
    Ok(passed(
        "balance per client and currency",
        format!(
            "{} client-currency balances: invoiced − credit notes − prepaid − applied − discounts − withholding − bank fees − write-offs = open items",
            expect.len()
        ),
    ))
}

/// Each document's open balance equals its opening balance minus what was applied to it (plus,
/// for a credit note, what it gave away), and open items hold exactly the non-zero ones.
///
/// Tallied per document index rather than hashed by (client, currency, number): a month has a
/// million documents, and an allocation names its invoice by index. An allocation whose client
/// or currency is not its document's counts as a document of its own, as it would by key.
fn documents<'a>(
    ledger: &'a Ledger,
    rec: &'a Reconciliation,
    invoice_in_run: &[bool],
) -> Result<InvariantCheck, ReconcileError> {
    let mut expect: Vec<Decimal> = ledger
        .invoices
        .iter()
        .zip(invoice_in_run)
        .map(|(inv, &in_run)| {
            if in_run {
                inv.amount - prepaid_term(inv)
            } else {
                Decimal::ZERO
            }
        })
        .collect();
    // Allocations recorded under another client or currency than their document's.
    let mut foreign: HashMap<(&str, &str, &str), Decimal> = HashMap::default();
    let mut add = |i: usize, client: &'a str, currency: &'a str, amount: Decimal| {
        let inv = &ledger.invoices[i];
        if *inv.client == *client && *inv.currency == *currency {
            expect[i] += amount;
        } else {
            *foreign.entry((client, currency, &inv.number)).or_default() += amount;
        }
    };
    for a in &rec.allocations {
        if let Some(i) = a.invoice {
            add(i, &a.client, &a.currency, -a.amount);
        }
        if let AllocationSource::CreditNote(i) = a.source {
            add(i, &a.client, &a.currency, a.amount);
        }
    }
    let mut got = vec![Decimal::ZERO; ledger.invoices.len()];
    let mut open_total: HashMap<(&str, &str), Decimal> = HashMap::default();
    for item in &rec.open_items {
        let inv = &ledger.invoices[item.invoice];
        if item.open.is_zero() || item.paid + item.open != inv.amount {
            return Err(fail(
                &inv.client,
                &inv.currency,
                format!(
                    "open item {}: amount {} ≠ paid {} + open {}",
                    inv.number, inv.amount, item.paid, item.open
                ),
            ));
        }
        got[item.invoice] += item.open;
        *open_total.entry((&inv.client, &inv.currency)).or_default() += item.open;
    }
    // The failure reported is the one with the least key, the same on every run; finding it
    // needs no sort of every document.
    type Key<'k> = (&'k str, &'k str, &'k str);
    let mut first: Option<(Key<'a>, Decimal, Decimal)> = None;
    let mut consider = |key: Key<'a>, open: Decimal, actual: Decimal| {
        if open != actual && first.as_ref().is_none_or(|(least, _, _)| key < *least) {
            first = Some((key, open, actual));
        }
    };
    for (i, inv) in ledger.invoices.iter().enumerate() {
        consider((&inv.client, &inv.currency, &inv.number), expect[i], got[i]);
    }
    for (key, open) in &foreign {
        consider(*key, *open, Decimal::ZERO);
    }
    if let Some(((client, currency, number), open, actual)) = first {
        return Err(fail(
            client,
            currency,
            format!(
                "document {number}: opening balance minus allocations is {open}, but its open item says {actual} (difference {})",
                open - actual
            ),
        ));
    }
    for b in &rec.balances {
        let total = open_total
            .get(&(&*b.client, &*b.currency))
            .copied()
            .unwrap_or_default();
        if b.open != total {
            return Err(fail(
                &b.client,
                &b.currency,
                format!(
                    "open total {} ≠ sum of open items {total} (difference {})",
                    b.open,
                    b.open - total
                ),
            ));
        }
    }
    Ok(passed(
        "open total = sum of open items",
        format!(
            "{} documents, {} open items",
            invoice_in_run.iter().filter(|x| **x).count() + foreign.len(),
            rec.open_items.len()
        ),
    ))
}

/// Every payment amount = its applied parts + its unapplied credit, or it is unmatched and
/// listed whole.
///
/// Tallied per payment index; an allocation or credit recorded under another client or
/// currency than its payment's attribution fails the check, as it would when keyed by
/// (client, currency, id).
fn payments(ledger: &Ledger, rec: &Reconciliation) -> Result<InvariantCheck, ReconcileError> {
    let count = ledger.payments.len();
    // Per payment: the client it was attributed to (`None`: unmatched or not in this run).
    let mut client_of: Vec<Option<&str>> = vec![None; count];
    for a in &rec.attributions {
        client_of[a.payment] = a.client.as_deref();
    }
    let mut moved = vec![Decimal::ZERO; count];
    // Payments' rests kept as credit: few, so hashed.
    let mut credited: HashMap<usize, Decimal> = HashMap::default();
    let mut foreign = false;
    for a in &rec.allocations {
        if let AllocationSource::Payment(p) = a.source {
            if client_of[p] != Some(&*a.client) || ledger.payments[p].currency != a.currency {
                foreign = true;
                continue;
            }
            moved[p] += a.amount;
            if a.invoice.is_none() {
                *credited.entry(p).or_default() += a.amount;
            }
        }
    }
    let mut credit_listed: HashMap<usize, Decimal> = HashMap::default();
    // Both lists are sorted by payment index: walk them side by side.
    let mut unapplied = rec.unapplied.as_slice();
    let mut first: Option<((&str, &str, &str), Decimal, Decimal)> = None;
    for a in &rec.attributions {
        let p = &ledger.payments[a.payment];
        let skip = unapplied.partition_point(|u| u.payment < a.payment);
        unapplied = &unapplied[skip..];
        let listed = unapplied.partition_point(|u| u.payment == a.payment);
        let (listed, rest) = unapplied.split_at(listed);
        unapplied = rest;
        match &a.client {
            None => {
                if !matches!(listed, [u] if u.client.is_none() && u.amount == p.amount && u.currency == p.currency)
                {
                    return Err(fail(
                        "(unmatched)",
                        &p.currency,
                        format!(
                            "unmatched payment {} of {} is not listed whole as unapplied",
                            p.id, p.amount
                        ),
                    ));
                }
            }
            Some(client) => {
                for u in listed {
                    if u.client.as_deref() != Some(&**client) {
                        return Err(fail(
                            client,
                            &p.currency,
                            format!("payment {}: unapplied entry of another client", p.id),
                        ));
                    }
                    *credit_listed.entry(a.payment).or_default() += u.amount;
                }
                // The failure with the least key is reported, as a check in key order would.
                let key = (&**client, &*p.currency, &*p.id);
                let applied = moved[a.payment];
                if p.amount != applied && first.as_ref().is_none_or(|(least, _, _)| key < *least) {
                    first = Some((key, p.amount, applied));
                }
            }
        }
    }
    if let Some((key, amount, applied)) = first {
        return Err(fail(
            key.0,
            key.1,
            format!(
                "payment {}: amount {amount} ≠ applied parts + credit {applied} (difference {})",
                key.2,
                amount - applied
            ),
        ));
    }
    if foreign || credited != credit_listed {
        return Err(fail(
            "(all)",
            "",
            "allocations or unapplied credits without a matching attributed payment".to_string(),
        ));
    }
    Ok(passed(
        "payments fully accounted",
        format!(
            "{} payments: applied parts + unapplied credit = amount, or listed as unmatched",
            rec.attributions.len()
        ),
    ))
}
