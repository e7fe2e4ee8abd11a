//! Classification: ages every open item into buckets, measures each client's payment
//! behaviour, and gives every client a dunning level, a risk with its reasons, and a place on
//! the worklist.
//!
//! Invariant: for every client and currency, the bucket amounts add up to the open total.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::NaiveDate;
use rayon::prelude::*;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

use crate::config::{AgingBasis, Config};
use crate::hash::HashMap;
use crate::history::Entry;
use crate::model::Ledger;
use crate::model::{display_money, Client, DocKind};
use crate::reconcile::Reconciliation;

/// Labels of the aging buckets for boundaries such as `[30, 60, 90, 120]`:
/// `Not due`, `1-30`, `31-60`, `61-90`, `91-120`, `120+`.
#[must_use]
pub fn bucket_labels(bounds: &[u32]) -> Vec<String> {
    let mut labels = vec!["Not due".to_string()];
    let mut low = 1;
    for &high in bounds {
        labels.push(format!("{low}-{high}"));
        low = high + 1;
    }
    labels.push(format!("{}+", bounds.last().copied().unwrap_or(0)));
    labels
}

/// CSV column names of the buckets: `not_due`, `b1_30`, ..., `b120_plus`.
#[must_use]
pub fn bucket_columns(bounds: &[u32]) -> Vec<String> {
    let mut columns = vec!["not_due".to_string()];
    let mut low = 1;
    for &high in bounds {
        columns.push(format!("b{low}_{high}"));
        low = high + 1;
    }
    columns.push(format!("b{}_plus", bounds.last().copied().unwrap_or(0)));
    columns
}

/// The bucket of an item `days` overdue: 0 for not due (`days <= 0`), then one per boundary.
#[must_use]
pub fn bucket_index(days: i64, bounds: &[u32]) -> usize {
    if days <= 0 {
        return 0;
    }
    bounds
        .iter()
        .position(|&b| days <= i64::from(b))
        .map_or(bounds.len() + 1, |i| i + 1)
}

/// One open invoice or credit note, aged.
#[derive(Clone, Debug)]
pub struct AgedItem {
    /// Index into `Ledger::invoices`.
    pub invoice: usize,
    pub paid: Decimal,
    pub open: Decimal,
    pub days_overdue: i64,
    pub bucket: usize,
}

/// Payment behaviour from the invoices a client settled in full by payment.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Behaviour {
    pub settled: usize,
    /// Sum of days from invoice date to the settling payment.
    pub days_to_pay: i64,
    /// Sum of days late (0 when on time).
    pub days_late: i64,
    pub paid_late: usize,
}

impl Behaviour {
    /// Mean days to pay, to two decimals, exact (no floating point in the rounding).
    #[must_use]
    pub fn mean_days_to_pay(&self) -> Option<Decimal> {
        mean(self.days_to_pay, self.settled)
    }

    #[must_use]
    pub fn mean_days_late(&self) -> Option<Decimal> {
        mean(self.days_late, self.settled)
    }

    /// Share of settled invoices paid after their due date, 0..=1.
    #[must_use]
    pub fn share_late(&self) -> Option<Decimal> {
        (self.settled > 0).then(|| {
            (Decimal::from(self.paid_late) / Decimal::from(self.settled))
                .round_dp_with_strategy(4, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
        })
    }
}

fn mean(sum: i64, count: usize) -> Option<Decimal> {
    (count > 0).then(|| {
        (Decimal::from(sum) / Decimal::from(count))
            .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
    })
}

/// Risk of not being paid.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Risk {
    Low,
    Medium,
    High,
}

impl Risk {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Risk::Low => "low",
            Risk::Medium => "medium",
            Risk::High => "high",
        }
    }

    fn weight(self) -> f64 {
        match self {
            Risk::Low => 1.0,
            Risk::Medium => 1.5,
            Risk::High => 2.0,
        }
    }
}

/// One client in one currency: aging, behaviour, level and risk.
#[derive(Clone, Debug)]
pub struct ClientSummary {
    pub client: String,
    pub name: String,
    pub currency: String,
    /// Open amount per bucket.
    pub buckets: Vec<Decimal>,
    pub open_total: Decimal,
    pub overdue: Decimal,
    pub unapplied_credit: Decimal,
    pub net_balance: Decimal,
    /// Withholding tax at source this run's allocations closed (rule `withholding`): not debt,
    /// but a certificate the client owes.
    pub withheld: Decimal,
    /// Bank fees this run's allocations closed (rule `bank-fee`).
    pub fees: Decimal,
    /// Days overdue of the oldest overdue open invoice (0 when nothing is overdue).
    pub oldest_days_overdue: i64,
    /// Index into `Config::dunning_levels`, after the history's escalation or step rule;
    /// `None` for level `none`.
    pub level: Option<usize>,
    /// The level from the days alone.
    pub days_level: Option<usize>,
    /// Why the level differs from `days_level`, if it does.
    pub level_note: Option<String>,
    pub risk: Risk,
    pub risk_reasons: Vec<String>,
    pub behaviour: Behaviour,
    /// Worklist priority (see README): overdue amounts weighted by age and risk.
    pub priority: f64,
}

impl ClientSummary {
    /// The level's name, `none` when no level applies.
    #[must_use]
    pub fn level_name<'c>(&self, config: &'c Config) -> &'c str {
        self.level
            .and_then(|i| config.dunning_levels.get(i))
            .map_or("none", |l| l.name.as_str())
    }

    /// What the worklist asks of the people who phone: `collect` overdue money, and/or get the
    /// `withholding certificate` for tax withheld at source.
    #[must_use]
    pub fn action(&self) -> &'static str {
        match (self.overdue > Decimal::ZERO, self.withheld > Decimal::ZERO) {
            (true, true) => "collect; withholding certificate",
            (false, true) => "withholding certificate",
            _ => "collect",
        }
    }
}

/// A letter decided for one client (all its currencies).
#[derive(Clone, Debug)]
pub struct Letter {
    pub client: String,
    /// Index into `Config::dunning_levels`.
    pub level: usize,
    /// Indexes into `Classification::clients` (one per currency).
    pub rows: Vec<usize>,
    /// Indexes into `Classification::items`: the open invoices the letter lists.
    pub items: Vec<usize>,
    /// Earlier letters to this client, oldest first.
    pub previous: Vec<Entry>,
}

/// A client whose level calls for a letter that is held back, and why.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Held {
    pub client: String,
    pub level: String,
    pub reason: String,
}

/// Everything classification produces. `items` follow `Reconciliation::open_items`; `clients`
/// are sorted by (client, currency); `worklist` holds indexes into `clients`, highest priority
/// first; `letters` and `held` are sorted by client.
#[derive(Clone, Debug, Default)]
pub struct Classification {
    pub bucket_labels: Vec<String>,
    pub items: Vec<AgedItem>,
    pub clients: Vec<ClientSummary>,
    pub worklist: Vec<usize>,
    pub letters: Vec<Letter>,
    pub held: Vec<Held>,
    /// Indexes into `clients` of rows with a net credit balance (credit above open total).
    pub net_credit: Vec<usize>,
    /// The last letter of each client before this run: (date, level).
    pub last_letter: BTreeMap<String, (NaiveDate, String)>,
    /// Per currency: open amount per bucket.
    pub totals: BTreeMap<String, Vec<Decimal>>,
}

/// Days overdue of a document at `as_of` under the configured basis.
#[must_use]
pub fn days_overdue(config: &Config, as_of: NaiveDate, date: NaiveDate, due: NaiveDate) -> i64 {
    let from = match config.aging_basis {
        AgingBasis::DueDate => due,
        AgingBasis::InvoiceDate => date,
    };
    (as_of - from).num_days()
}

/// Ages the open items and classifies every client and currency. `history` holds each
/// client's earlier letters (dated before `as_of`, oldest first).
#[must_use]
#[allow(clippy::too_many_lines)]
pub fn classify(
    config: &Config,
    ledger: &Ledger,
    recon: &Reconciliation,
    as_of: NaiveDate,
    history: &BTreeMap<&str, Vec<&Entry>>,
) -> Classification {
    let labels = bucket_labels(&config.buckets);
    let width = labels.len();
    let items: Vec<AgedItem> = recon
        .open_items
        .par_iter()
        .map(|item| {
            let inv = &ledger.invoices[item.invoice];
            let days = days_overdue(config, as_of, inv.date, inv.due);
            AgedItem {
                invoice: item.invoice,
                paid: item.paid,
                open: item.open,
                days_overdue: days,
                bucket: bucket_index(days, &config.buckets),
            }
        })
        .collect();

    // Looked up per balance, never iterated: hashed rather than ordered. The two maps are each
    // filled in order on one thread, side by side.
    let (behaviour, by_client) = rayon::join(
        || {
            let mut behaviour: HashMap<(&str, &str), Behaviour> = HashMap::default();
            for s in &recon.settlements {
                let inv = &ledger.invoices[s.invoice];
                if inv.kind != DocKind::Invoice {
                    continue;
                }
                let b = behaviour.entry((&*inv.client, &*inv.currency)).or_default();
                b.settled += 1;
                b.days_to_pay += (s.paid_on - inv.date).num_days();
                let late = (s.paid_on - inv.due).num_days().max(0);
                b.days_late += late;
                if late > 0 {
                    b.paid_late += 1;
                }
            }
            behaviour
        },
        || {
            crate::hash::group(items.iter().map(|item| {
                let inv = &ledger.invoices[item.invoice];
                ((&*inv.client, &*inv.currency), item)
            }))
        },
    );

    // Each balance is classified on its own, on all threads (an indexed collect keeps their
    // order).
    let mut clients: Vec<ClientSummary> = recon
        .balances
        .par_iter()
        .map(|balance| {
            let key = (&*balance.client, &*balance.currency);
            let open_items = by_client.get(&key).map_or(&[][..], Vec::as_slice);
            let mut buckets = vec![Decimal::ZERO; width];
            for item in open_items {
                buckets[item.bucket] += item.open;
            }
            let client = ledger.clients.get(&*balance.client);
            let overdue: Decimal = open_items
                .iter()
                .filter(|i| i.days_overdue > 0 && i.open > Decimal::ZERO)
                .map(|i| i.open)
                .sum();
            let oldest = open_items
                .iter()
                .filter(|i| i.open > Decimal::ZERO)
                .map(|i| i.days_overdue)
                .max()
                .unwrap_or(0)
                .max(0);
            let days_level = dunning_level(config, ledger, open_items);
            let last = history
                .get(&*balance.client)
                .and_then(|h| h.last().copied());
            let (level, level_note) = remembered_level(config, days_level, last, as_of);
            let behaviour = behaviour.get(&key).cloned().unwrap_or_default();
            let (risk, risk_reasons) = risk(
                client,
                balance.open,
                overdue,
                oldest,
                &behaviour,
                &balance.currency,
                as_of,
            );
            let priority = open_items
                .iter()
                .filter(|i| i.days_overdue > 0 && i.open > Decimal::ZERO)
                .map(|i| i.open.to_f64().unwrap_or(0.0) * (1.0 + i.days_overdue as f64 / 30.0))
                .sum::<f64>()
                * risk.weight();
            ClientSummary {
                client: balance.client.to_string(),
                name: client.map_or_else(|| balance.client.to_string(), |c| c.name.clone()),
                currency: balance.currency.to_string(),
                buckets,
                open_total: balance.open,
                overdue,
                unapplied_credit: balance.unapplied_credit,
                net_balance: balance.open - balance.unapplied_credit,
                withheld: balance.withheld,
                fees: balance.fees,
                oldest_days_overdue: oldest,
                level,
                days_level,
                level_note,
                risk,
                risk_reasons,
                behaviour,
                priority,
            }
        })
        .collect();
    let mut totals: BTreeMap<String, Vec<Decimal>> = BTreeMap::new();
    for client in &clients {
        let total = totals
            .entry(client.currency.clone())
            .or_insert_with(|| vec![Decimal::ZERO; width]);
        for (t, b) in total.iter_mut().zip(&client.buckets) {
            *t += *b;
        }
    }
    clients.sort_by(|a, b| (&a.client, &a.currency).cmp(&(&b.client, &b.currency)));
    // Clients who owe money, then (priority 0) clients who owe only a withholding certificate.
    let mut worklist: Vec<usize> = (0..clients.len())
        .filter(|&i| clients[i].overdue > Decimal::ZERO || clients[i].withheld > Decimal::ZERO)
        .collect();
    worklist.sort_by(|&a, &b| {
        clients[b]
            .priority
            .total_cmp(&clients[a].priority)
            .then_with(|| {
                (&clients[a].client, &clients[a].currency)
                    .cmp(&(&clients[b].client, &clients[b].currency))
            })
    });
    let net_credit = (0..clients.len())
        .filter(|&i| clients[i].net_balance < Decimal::ZERO)
        .collect();
    let (letters, held) = decide_letters(config, ledger, &items, &clients, as_of, history);
    let last_letter = history
        .iter()
        .filter_map(|(c, h)| {
            h.last()
                .map(|e| ((*c).to_string(), (e.date, e.level.clone())))
        })
        .collect();
    Classification {
        bucket_labels: labels,
        items,
        clients,
        worklist,
        letters,
        held,
        net_credit,
        last_letter,
        totals,
    }
}

/// The level after the client's letter history (SPEC section 6, README "levels"):
/// - within `repeat_after_days` of the last letter the level stays as the days say (the letter
///   is held back elsewhere);
/// - when the last letter was at the same or a higher overdue level, the level goes up one
///   step (the letter was ignored);
/// - once overdue reminders have started, the ladder climbs one step at a time: a level more
///   than one step above the last letter's is lowered to the next step, so a missed month
///   never skips a letter.
fn remembered_level(
    config: &Config,
    days_level: Option<usize>,
    last: Option<&Entry>,
    as_of: NaiveDate,
) -> (Option<usize>, Option<String>) {
    let levels = &config.dunning_levels;
    let (Some(base), Some(last)) = (days_level, last) else {
        return (days_level, None);
    };
    if levels[base].days <= 0 {
        return (days_level, None);
    }
    let Some(previous) = levels.iter().position(|l| l.name == last.level) else {
        return (days_level, None);
    };
    if levels[previous].days <= 0 {
        return (days_level, None);
    }
    let since = (as_of - last.date).num_days();
    if since < i64::from(config.repeat_after_days) {
        return (days_level, None);
    }
    if previous >= base {
        let up = (base + 1).min(levels.len() - 1);
        if up != base {
            return (
                Some(up),
                Some(format!(
                    "escalated: the {} letter of {} was not answered by payment",
                    last.level, last.date
                )),
            );
        }
        return (days_level, None);
    }
    if base > previous + 1 {
        return (
            Some(previous + 1),
            Some(format!(
                "one step after the {} letter of {} (the days alone say {})",
                last.level, last.date, levels[base].name
            )),
        );
    }
    (days_level, None)
}

/// Which clients get a letter this run, and which are held back and why.
fn decide_letters(
    config: &Config,
    ledger: &Ledger,
    items: &[AgedItem],
    clients: &[ClientSummary],
    as_of: NaiveDate,
    history: &BTreeMap<&str, Vec<&Entry>>,
) -> (Vec<Letter>, Vec<Held>) {
    let levels = &config.dunning_levels;
    let mut rows_by_client: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, c) in clients.iter().enumerate() {
        rows_by_client.entry(c.client.as_str()).or_default().push(i);
    }
    let items_by_client = crate::hash::group(
        items
            .iter()
            .enumerate()
            .map(|(i, item)| (&*ledger.invoices[item.invoice].client, i)),
    );
    let mut letters = Vec::new();
    let mut held = Vec::new();
    for (client, rows) in rows_by_client {
        let Some(level) = rows.iter().filter_map(|&r| clients[r].level).max() else {
            continue;
        };
        if !levels[level].letter {
            continue;
        }
        let name = levels[level].name.clone();
        let hold = |reason: String| Held {
            client: client.to_string(),
            level: name.clone(),
            reason,
        };
        let record = ledger.clients.get(client);
        let flags = record.map(|c| c.flags).unwrap_or_default();
        let previous = history.get(client).cloned().unwrap_or_default();
        if flags.do_not_remind {
            held.push(hold("flagged: do not remind".to_string()));
            continue;
        }
        if flags.disputed {
            held.push(hold("flagged: the client disputes the account".to_string()));
            continue;
        }
        if let Some(last) = previous.last() {
            let since = (as_of - last.date).num_days();
            if since < i64::from(config.repeat_after_days) {
                held.push(hold(format!(
                    "a {} letter went out {since} days ago ({}); the next one is due after {} days",
                    last.level, last.date, config.repeat_after_days
                )));
                continue;
            }
        }
        if rows
            .iter()
            .all(|&r| clients[r].net_balance <= Decimal::ZERO)
        {
            held.push(hold(
                "the client's credit covers the open invoices".to_string(),
            ));
            continue;
        }
        let pre_due = levels[level].days <= 0;
        let listed: Vec<usize> = items_by_client
            .get(client)
            .map(|list| {
                list.iter()
                    .copied()
                    .filter(|&i| {
                        let item = &items[i];
                        let inv = &ledger.invoices[item.invoice];
                        inv.kind == DocKind::Invoice
                            && !inv.disputed
                            && item.open > Decimal::ZERO
                            && (!pre_due || item.days_overdue >= levels[level].days)
                    })
                    .collect()
            })
            .unwrap_or_default();
        if listed.is_empty() {
            continue;
        }
        letters.push(Letter {
            client: client.to_string(),
            level,
            rows,
            items: listed,
            previous: previous.into_iter().cloned().collect(),
        });
    }
    (letters, held)
}

/// The dunning level from the days alone (SPEC section 6): the oldest overdue open invoice
/// that is not disputed and whose open balance is at least `dunning.min_amount`. Levels with
/// positive days trigger at that many days overdue; a level with days `-N` (courtesy) triggers
/// when no later level does and an eligible invoice falls due within the next N days.
fn dunning_level(config: &Config, ledger: &Ledger, items: &[&AgedItem]) -> Option<usize> {
    let eligible = || {
        items.iter().filter(|i| {
            let inv = &ledger.invoices[i.invoice];
            inv.kind == DocKind::Invoice
                && !inv.disputed
                && i.open > Decimal::ZERO
                && i.open >= config.dunning_min_amount
        })
    };
    let oldest = eligible().map(|i| i.days_overdue).max()?;
    let levels = &config.dunning_levels;
    if let Some(i) = levels.iter().rposition(|l| l.days > 0 && oldest >= l.days) {
        return Some(i);
    }
    levels.iter().rposition(|l| {
        l.days <= 0 && eligible().any(|i| i.days_overdue <= 0 && i.days_overdue >= l.days)
    })
}

/// Risk and its reasons, in words that can be read aloud on the phone. Points: overdue share
/// of half or more +1; oldest overdue 60+ days +1, 90+ days +2; mean days late 30+ +1;
/// no contact for 60+ days while overdue +1; a broken promise +2; financial trouble +2;
/// complaints +1. 0–1 low, 2–3 medium, 4+ high.
fn risk(
    client: Option<&Client>,
    open: Decimal,
    overdue: Decimal,
    oldest: i64,
    behaviour: &Behaviour,
    currency: &str,
    as_of: NaiveDate,
) -> (Risk, Vec<String>) {
    let mut points = 0;
    let mut reasons = Vec::new();
    if overdue > Decimal::ZERO && open > Decimal::ZERO && overdue * Decimal::TWO >= open {
        points += 1;
        let share = (overdue * Decimal::ONE_HUNDRED / open).round();
        reasons.push(format!("{share}% of the open balance is overdue"));
    }
    if oldest >= 90 {
        points += 2;
        reasons.push(format!("oldest unpaid invoice is {oldest} days overdue"));
    } else if oldest >= 60 {
        points += 1;
        reasons.push(format!("oldest unpaid invoice is {oldest} days overdue"));
    }
    if let Some(late) = behaviour.mean_days_late() {
        if late >= Decimal::from(30) {
            points += 1;
            reasons.push(format!("pays {} days late on average", late.normalize()));
        }
    }
    if let Some(client) = client {
        if overdue > Decimal::ZERO {
            if let Some(last) = client.last_contact {
                let days = (as_of - last).num_days();
                if days >= 60 {
                    points += 1;
                    reasons.push(format!(
                        "no contact for {days} days while {} {currency} overdue",
                        display_money(overdue, currency)
                    ));
                }
            }
            if let Some(promised) = client.promised {
                if promised < as_of {
                    points += 2;
                    reasons.push(format!("promised to pay by {promised}, still unpaid"));
                }
            }
        }
        if client.flags.financial_trouble {
            points += 2;
            reasons.push("flagged: financial trouble".to_string());
        }
        if client.flags.complaints {
            points += 1;
            reasons.push("flagged: complaints".to_string());
        }
    }
    let risk = match points {
        0 | 1 => Risk::Low,
        2 | 3 => Risk::Medium,
        _ => Risk::High,
    };
    (risk, reasons)
}

/// Joins risk reasons for one CSV cell.
#[must_use]
pub fn join_reasons(reasons: &[String]) -> String {
    let mut out = String::new();
    for (i, r) in reasons.iter().enumerate() {
        if i > 0 {
            out.push_str("; ");
        }
        let _ = write!(out, "{r}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_follow_the_boundaries() {
        let b = [30, 60, 90, 120];
        assert_eq!(
            bucket_labels(&b),
            ["Not due", "1-30", "31-60", "61-90", "91-120", "120+"]
        );
        assert_eq!(
            bucket_columns(&b),
            [
                "not_due",
                "b1_30",
                "b31_60",
                "b61_90",
                "b91_120",
                "b120_plus"
            ]
        );
        assert_eq!(bucket_index(-5, &b), 0);
        assert_eq!(bucket_index(0, &b), 0);
        assert_eq!(bucket_index(1, &b), 1);
        assert_eq!(bucket_index(30, &b), 1);
        assert_eq!(bucket_index(31, &b), 2);
        assert_eq!(bucket_index(120, &b), 4);
        assert_eq!(bucket_index(121, &b), 5);
    }

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn every_risk_signal_gives_a_reason_that_can_be_read_aloud() {
        let as_of = day("2026-11-30");
        let quiet = Behaviour::default();
        // Nothing overdue, no flags: low, no reasons.
        let (r, reasons) = risk(
            None,
            Decimal::from(1000),
            Decimal::ZERO,
            0,
            &quiet,
            "ILS",
            as_of,
        );
        assert_eq!((r, reasons.len()), (Risk::Low, 0));

        let client = Client {
            id: "C1".into(),
            name: "Alpha".into(),
            last_contact: Some(day("2026-08-28")),
            promised: Some(day("2026-11-10")),
            flags: crate::model::ClientFlags {
                financial_trouble: true,
                complaints: true,
                ..Default::default()
            },
            ..Client::default()
        };
        let late = Behaviour {
            settled: 2,
            days_to_pay: 140,
            days_late: 80,
            paid_late: 2,
        };
        let (r, reasons) = risk(
            Some(&client),
            Decimal::from(20000),
            Decimal::from(12400),
            94,
            &late,
            "ILS",
            as_of,
        );
        assert_eq!(r, Risk::High);
        assert_eq!(
            reasons,
            [
                "62% of the open balance is overdue",
                "oldest unpaid invoice is 94 days overdue",
                "pays 40 days late on average",
                "no contact for 94 days while 12,400.00 ILS overdue",
                "promised to pay by 2026-11-10, still unpaid",
                "flagged: financial trouble",
                "flagged: complaints",
            ]
        );
        // 60-89 days is one point, medium with a broken promise only when overdue.
        let (r, reasons) = risk(
            None,
            Decimal::from(100),
            Decimal::from(10),
            61,
            &quiet,
            "ILS",
            as_of,
        );
        assert_eq!((r, reasons.len()), (Risk::Low, 1));
    }

    #[test]
    fn means_round_half_away_from_zero() {
        let b = Behaviour {
            settled: 8,
            days_to_pay: 1,
            days_late: 0,
            paid_late: 0,
        };
        // 1/8 = 0.125 -> 0.13
        assert_eq!(b.mean_days_to_pay(), Some(Decimal::new(13, 2)));
        assert_eq!(Behaviour::default().mean_days_to_pay(), None);
    }
}
