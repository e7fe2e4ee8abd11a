//! The overview's figures of one company: one row per currency, taken from the finished run
//! before its data is freed. The workbook, `office.csv`, `office.json` and the printed summary
//! all read these rows.
//!
//! Invariants: amounts of different currencies are never added; each bucket is the sum of the
//! company's open items in it, which is the sum of that column of its `clients.csv` when the
//! office's buckets are the company's own (they are, unless the companies' `[aging] buckets`
//! differ; then the office uses the default buckets for every company).

use std::collections::{BTreeMap, BTreeSet};

use rust_decimal::Decimal;

use crate::classify::bucket_index;
use crate::model::Severity;
use crate::report::xlsx::key_figures;
use crate::report::Input;

/// Whether a company ran.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Ok,
    Failed,
}

impl Status {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Failed => "failed",
        }
    }
}

/// One currency of one company that ran.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CurrencyRow {
    pub currency: String,
    /// Open amount per office bucket.
    pub buckets: Vec<Decimal>,
    pub open_total: Decimal,
    /// The buckets after `not_due`.
    pub overdue: Decimal,
    /// `overdue / open_total`, four places; `None` when nothing is open.
    pub overdue_share: Option<Decimal>,
    /// Days sales outstanding (the company workbook's figure), one place; `None` without
    /// sales in the last 90 days.
    pub dso: Option<Decimal>,
    /// Clients with an overdue amount in this currency.
    pub clients_overdue: usize,
    /// Letters of this run that list an invoice in this currency.
    pub letters: usize,
    /// Payments in this currency matched to no client.
    pub unmatched_payments: usize,
}

/// What the office knows of one company after its turn.
#[derive(Clone, Debug)]
pub struct Company {
    /// The subfolder's name.
    pub folder: String,
    /// `[company] name`, else the folder's name.
    pub name: String,
    pub status: Status,
    /// The exit code `arrears run SUBFOLDER` would have given (0, 1 or 3).
    pub exit_code: u8,
    /// The run folder, relative to the office folder when inside it (`/`-separated).
    pub run_folder: Option<String>,
    /// Why it failed: the message `arrears run` prints, causes after `; caused by: `.
    pub message: String,
    /// Error-level issues of the run (the whole company, every currency).
    pub error_issues: usize,
    /// One row per currency, sorted; empty for a failed company.
    pub rows: Vec<CurrencyRow>,
    /// The run's stage timings (`run.json`), or the time until it failed.
    pub timings_ms: Vec<(String, u128)>,
}

impl Company {
    /// Overdue per currency, for "what to look at first".
    #[must_use]
    pub fn overdue(&self) -> BTreeMap<&str, Decimal> {
        self.rows
            .iter()
            .map(|r| (r.currency.as_str(), r.overdue))
            .collect()
    }

    /// Unmatched payments in every currency.
    #[must_use]
    pub fn unmatched_payments(&self) -> usize {
        self.rows.iter().map(|r| r.unmatched_payments).sum()
    }
}

/// The rows of a finished run with the office's bucket `bounds`. A company with nothing in
/// any currency gets one row of zeros in `default_currency`.
#[must_use]
pub fn rows(o: &Input, bounds: &[u32], default_currency: &str) -> Vec<CurrencyRow> {
    let mut currencies: BTreeSet<&str> = o.class.clients.iter().map(|c| &*c.currency).collect();
    let unmatched: Vec<&str> = o
        .recon
        .unapplied
        .iter()
        .filter(|u| u.client.is_none())
        .map(|u| &*u.currency)
        .collect();
    currencies.extend(unmatched.iter().copied());
    if currencies.is_empty() {
        currencies.insert(default_currency);
    }
    let figures = key_figures(&o.ledger, &o.recon, &o.class.totals, o.as_of);
    let mut rows: BTreeMap<&str, CurrencyRow> = currencies
        .iter()
        .map(|&c| {
            (
                c,
                CurrencyRow {
                    currency: c.to_string(),
                    buckets: vec![Decimal::ZERO; bounds.len() + 2],
                    dso: figures
                        .get(c)
                        .and_then(|f| f.dso)
                        .map(|d| d.round_dp_with_strategy(1, rounding())),
                    ..CurrencyRow::default()
                },
            )
        })
        .collect();
    for item in &o.class.items {
        let Some(invoice) = o.ledger.invoices.get(item.invoice) else {
            continue;
        };
        if let Some(row) = rows.get_mut(&*invoice.currency) {
            if let Some(b) = row.buckets.get_mut(bucket_index(item.days_overdue, bounds)) {
                *b += item.open;
            }
        }
    }
    for c in &o.class.clients {
        if c.overdue > Decimal::ZERO {
            if let Some(row) = rows.get_mut(&*c.currency) {
                row.clients_overdue += 1;
            }
        }
    }
    for letter in &o.class.letters {
        let in_letter: BTreeSet<&str> = letter
            .rows
            .iter()
            .filter_map(|&i| o.class.clients.get(i))
            .map(|c| &*c.currency)
            .collect();
        for currency in in_letter {
            if let Some(row) = rows.get_mut(currency) {
                row.letters += 1;
            }
        }
    }
    for currency in unmatched {
        if let Some(row) = rows.get_mut(currency) {
            row.unmatched_payments += 1;
        }
    }
    rows.into_values()
        .map(|mut row| {
            row.open_total = row.buckets.iter().copied().sum();
            row.overdue = row.buckets.iter().skip(1).copied().sum();
            row.overdue_share = share(row.overdue, row.open_total);
            row
        })
        .collect()
}

/// Error-level issues of a run.
#[must_use]
pub fn error_issues(o: &Input) -> usize {
    o.ledger
        .issues
        .iter()
        .filter(|i| i.severity == Severity::Error)
        .count()
}

/// `part / whole` to four places, `None` when `whole` is not positive.
#[must_use]
pub fn share(part: Decimal, whole: Decimal) -> Option<Decimal> {
    (whole > Decimal::ZERO).then(|| (part / whole).round_dp_with_strategy(4, rounding()))
}

fn rounding() -> rust_decimal::RoundingStrategy {
    rust_decimal::RoundingStrategy::MidpointAwayFromZero
}

/// Totals of one currency over the companies that ran.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CurrencyTotal {
    pub currency: String,
    pub companies: usize,
    pub buckets: Vec<Decimal>,
    pub open_total: Decimal,
    pub overdue: Decimal,
    pub overdue_share: Option<Decimal>,
    pub clients_overdue: usize,
    pub letters: usize,
    pub unmatched_payments: usize,
}

/// Per currency, the sums over every company that ran (sorted by currency).
#[must_use]
pub fn totals(companies: &[Company], buckets: usize) -> Vec<CurrencyTotal> {
    let mut out: BTreeMap<&str, CurrencyTotal> = BTreeMap::new();
    for row in companies.iter().flat_map(|c| &c.rows) {
        let t = out
            .entry(row.currency.as_str())
            .or_insert_with(|| CurrencyTotal {
                currency: row.currency.clone(),
                buckets: vec![Decimal::ZERO; buckets],
                ..CurrencyTotal::default()
            });
        t.companies += 1;
        for (sum, b) in t.buckets.iter_mut().zip(&row.buckets) {
            *sum += *b;
        }
        t.open_total += row.open_total;
        t.overdue += row.overdue;
        t.clients_overdue += row.clients_overdue;
        t.letters += row.letters;
        t.unmatched_payments += row.unmatched_payments;
    }
    out.into_values()
        .map(|mut t| {
            t.overdue_share = share(t.overdue, t.open_total);
            t
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    fn company(folder: &str, rows: Vec<CurrencyRow>) -> Company {
        Company {
            folder: folder.to_string(),
            name: folder.to_string(),
            status: Status::Ok,
            exit_code: 0,
            run_folder: None,
            message: String::new(),
            error_issues: 0,
            rows,
            timings_ms: Vec::new(),
        }
    }

    fn row(currency: &str, buckets: &[&str]) -> CurrencyRow {
        let buckets: Vec<Decimal> = buckets.iter().map(|b| dec(b)).collect();
        CurrencyRow {
            currency: currency.to_string(),
            open_total: buckets.iter().copied().sum(),
            overdue: buckets.iter().skip(1).copied().sum(),
            buckets,
            letters: 1,
            ..CurrencyRow::default()
        }
    }

    #[test]
    fn totals_are_per_currency_and_never_mix_currencies() {
        let companies = [
            company(
                "a",
                vec![row("ILS", &["100", "50"]), row("USD", &["10", "0"])],
            ),
            company("b", vec![row("ILS", &["0", "25.5"])]),
        ];
        let t = totals(&companies, 2);
        assert_eq!(t.len(), 2);
        assert_eq!(t[0].currency, "ILS");
        assert_eq!(t[0].companies, 2);
        assert_eq!(t[0].open_total, dec("175.5"));
        assert_eq!(t[0].overdue, dec("75.5"));
        assert_eq!(t[0].overdue_share, Some(dec("0.4302")));
        assert_eq!(t[0].letters, 2);
        assert_eq!(t[1].currency, "USD");
        assert_eq!(t[1].open_total, dec("10"));
        assert_eq!(t[1].overdue_share, Some(dec("0")));
    }

    #[test]
    fn a_share_of_nothing_is_empty() {
        assert_eq!(share(dec("5"), Decimal::ZERO), None);
        assert_eq!(share(dec("1"), dec("3")), Some(dec("0.3333")));
        assert_eq!(share(dec("2"), dec("3")), Some(dec("0.6667")));
    }
}
