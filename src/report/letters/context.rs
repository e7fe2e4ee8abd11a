//! What one letter says, as data: the context every template of the letter renders.
//!
//! Everything is computed here, once, in exact decimals; the templates only place it. Amounts
//! and dates arrive formatted for the letter's language ([`super::format`]), and each list is in
//! a fixed order (invoices by due date, date and number; currencies alphabetically).
//!
//! - **Discount** (courtesy note): for each listed invoice still inside its discount window
//!   (`as-of <= invoice date + [discount] days`), `percent` of the open amount, rounded to the
//!   currency's minor unit, and the last day it applies.
//! - **Interest** (`[letters] interest_rate`, annual percent): simple interest on each overdue
//!   invoice's open amount for its days overdue, `open × rate / 100 × days / 365`, summed per
//!   currency and rounded once.
//! - **Payment plan** (final notice): the open total per currency in
//!   `[letters] payment_plan_instalments` monthly instalments, the first on the deadline
//!   (`as-of + [letters] deadline_days`); each instalment is the total divided by their number,
//!   rounded down to the minor unit, and the last absorbs the remainder, so they add up exactly.

use std::collections::BTreeMap;

use chrono::{Days, Months, NaiveDate};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;

use crate::classify::{Classification, Letter};
use crate::config::Config;
use crate::model::Ledger;
use crate::model::{minor_digits, round_money, Terms};

use super::format::{date, money, short_date};

/// The letterhead: `[company]` as written, plus the logo as a data URI for HTML.
#[derive(Clone, Debug, Serialize)]
pub struct CompanyBlock {
    pub name: String,
    pub address: String,
    pub phone: String,
    pub email: String,
    pub website: String,
    pub vat_id: String,
    pub bank_details: String,
    pub payment_methods: Vec<String>,
    pub signature: String,
    /// `data:image/png;base64,...` or empty.
    pub logo_data_uri: String,
    /// The logo's path inside the Typst world (`/logo.png`) or empty.
    pub logo_file: String,
}

impl CompanyBlock {
    /// `[company]` as written, without a logo yet.
    pub fn new(c: &crate::config::Company) -> CompanyBlock {
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        CompanyBlock {
            name: text(&c.name),
            address: text(&c.address),
            phone: text(&c.phone),
            email: text(&c.email),
            website: text(&c.website),
            vat_id: text(&c.vat_id),
            bank_details: text(&c.bank_details),
            payment_methods: c.payment_methods.clone(),
            signature: text(&c.signature),
            logo_data_uri: String::new(),
            logo_file: String::new(),
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct ClientBlock {
    pub id: String,
    pub name: String,
    pub contact: String,
    pub email: String,
    pub phone: String,
    pub address: String,
    /// The person in the office who handles this client (`collector`), or empty.
    pub collector: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct InvoiceLine {
    pub number: String,
    pub date: String,
    pub due: String,
    /// `date` and `due` for the invoice table (`8 Sep 2026` in English).
    pub date_short: String,
    pub due_short: String,
    pub currency: String,
    pub amount: String,
    pub paid: String,
    pub open: String,
    pub days_overdue: i64,
    /// The invoice's RF creditor reference in groups of four (`[letters] rf_references`);
    /// empty when off or when the number has none.
    pub rf: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct Total {
    pub currency: String,
    pub open: String,
    pub overdue: String,
    /// The open total unformatted (`1340.50`), for the index and the history.
    pub plain: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct DiscountLine {
    pub number: String,
    pub discount: String,
    pub pay: String,
    pub last_date: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct DiscountOffer {
    pub percent: String,
    pub lines: Vec<DiscountLine>,
}

#[derive(Clone, Debug, Serialize)]
pub struct InterestLine {
    pub currency: String,
    pub amount: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct Interest {
    pub rate: String,
    pub lines: Vec<InterestLine>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Instalment {
    pub number: u32,
    pub date: String,
    pub amount: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct PlanCurrency {
    pub currency: String,
    pub total: String,
    pub instalments: Vec<Instalment>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Plan {
    pub count: u32,
    pub currencies: Vec<PlanCurrency>,
}

#[derive(Clone, Debug, Serialize)]
pub struct PreviousLetter {
    /// The date its e-mail went out when `arrears send` sent it, else the letter's date.
    pub date: String,
    pub level: String,
    /// The mail server accepted it (`arrears send`): the letters say "our e-mail of".
    pub emailed: bool,
}

/// The agreed payment terms: `net` (days after the invoice date) or `eom` (days after the end
/// of the invoice's month).
#[derive(Clone, Debug, Serialize)]
pub struct TermsBlock {
    pub kind: &'static str,
    pub days: u32,
}

/// Everything a letter's templates can use.
#[derive(Clone, Debug, Serialize)]
pub struct LetterContext {
    pub language: String,
    /// `rtl` for Hebrew (and Arabic), else `ltr`.
    pub dir: &'static str,
    pub level: String,
    /// The e-mail subject, rendered first from `subject.txt.tera`; the letters use it as their
    /// title.
    pub subject: String,
    pub date: String,
    pub deadline: String,
    pub company: CompanyBlock,
    pub client: ClientBlock,
    pub invoices: Vec<InvoiceLine>,
    pub totals: Vec<Total>,
    pub overdue_count: usize,
    pub oldest_days_overdue: i64,
    pub discount: Option<DiscountOffer>,
    pub interest: Option<Interest>,
    pub plan: Option<Plan>,
    pub previous: Vec<PreviousLetter>,
    pub last_letter: Option<PreviousLetter>,
    pub terms: TermsBlock,
}

/// Percent as written in prose: `2`, `1.5`.
fn percent_text(value: Decimal) -> String {
    value.normalize().to_string()
}

/// The most characters a letter shows of one value from the exports. A cell can hold 32,767
/// characters (or anything, in a csv); a name that long is a broken export, not a name, and
/// typesetting it would take minutes. The CSV files and the workbook keep the whole value.
const NAME_CHARS: usize = 200;

/// `text` cut to `max` characters, the cut marked with `…`.
fn bounded(text: String, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text,
        Some(_) => {
            let mut cut: String = text.chars().take(max - 1).collect();
            cut.push('…');
            cut
        }
    }
}

/// Builds the context of one letter in `language`.
#[must_use]
#[allow(clippy::too_many_lines)]
pub fn build(
    config: &Config,
    ledger: &Ledger,
    class: &Classification,
    letter: &Letter,
    as_of: NaiveDate,
    language: &str,
    company: &CompanyBlock,
) -> LetterContext {
    let client = ledger.clients.get(&letter.client);
    let name = client
        .map(|c| c.name.clone())
        .or_else(|| letter.rows.first().map(|&r| class.clients[r].name.clone()))
        .unwrap_or_else(|| letter.client.clone());
    let name = bounded(name, NAME_CHARS);
    let text = |f: fn(&crate::model::Client) -> Option<&String>| {
        bounded(client.and_then(f).cloned().unwrap_or_default(), NAME_CHARS)
    };
    let mut items: Vec<usize> = letter.items.clone();
    items.sort_by(|&a, &b| {
        let (ia, ib) = (
            &ledger.invoices[class.items[a].invoice],
            &ledger.invoices[class.items[b].invoice],
        );
        (ia.due, ia.date, &ia.number).cmp(&(ib.due, ib.date, &ib.number))
    });
    let email = client
        .and_then(|c| c.email.clone())
        .or_else(|| {
            items.iter().find_map(|&i| {
                ledger.invoices[class.items[i].invoice]
                    .email
                    .as_deref()
                    .map(str::to_string)
            })
        })
        .unwrap_or_default();

    let mut invoices = Vec::with_capacity(items.len());
    let mut open: BTreeMap<&str, Decimal> = BTreeMap::new();
    let mut overdue: BTreeMap<&str, Decimal> = BTreeMap::new();
    let mut interest: BTreeMap<&str, Decimal> = BTreeMap::new();
    let mut discount_lines = Vec::new();
    let mut oldest = i64::MIN;
    for &i in &items {
        let item = &class.items[i];
        let inv = &ledger.invoices[item.invoice];
        let cur: &str = &inv.currency;
        invoices.push(InvoiceLine {
            number: bounded(inv.number.to_string(), NAME_CHARS),
            date: date(inv.date, language),
            due: date(inv.due, language),
            date_short: short_date(inv.date, language),
            due_short: short_date(inv.due, language),
            currency: inv.currency.to_string(),
            amount: money(inv.amount, cur),
            paid: money(item.paid, cur),
            open: money(item.open, cur),
            days_overdue: item.days_overdue,
            rf: if config.letters.rf_references {
                crate::reconcile::rf::reference(&inv.number)
                    .map(|r| crate::reconcile::rf::grouped(&r))
                    .unwrap_or_default()
            } else {
                String::new()
            },
        });
        *open.entry(cur).or_default() += item.open;
        oldest = oldest.max(item.days_overdue);
        if item.days_overdue > 0 {
            *overdue.entry(cur).or_default() += item.open;
            if let Some(rate) = config.letters.interest_rate {
                *interest.entry(cur).or_default() += item.open * rate / Decimal::ONE_HUNDRED
                    * Decimal::from(item.days_overdue)
                    / Decimal::from(365);
            }
        }
        if let Some(d) = config.discount {
            let last = inv.date.checked_add_days(Days::new(u64::from(d.days)));
            if let Some(last) = last.filter(|l| as_of <= *l && item.open > Decimal::ZERO) {
                let off = round_money(item.open * d.percent / Decimal::ONE_HUNDRED, cur);
                discount_lines.push(DiscountLine {
                    number: inv.number.to_string(),
                    discount: money(off, cur),
                    pay: money(item.open - off, cur),
                    last_date: date(last, language),
                });
            }
        }
    }
    let totals = open
        .iter()
        .map(|(cur, amount)| Total {
            currency: (*cur).to_string(),
            open: money(*amount, cur),
            overdue: money(overdue.get(cur).copied().unwrap_or_default(), cur),
            plain: crate::model::format_money(*amount, cur),
        })
        .collect();
    let deadline = as_of
        .checked_add_days(Days::new(u64::from(config.letters.deadline_days)))
        .unwrap_or(as_of);
    let level = config.dunning_levels[letter.level].name.clone();
    let plan = (level == "final-notice").then(|| {
        let count = config.letters.payment_plan_instalments;
        Plan {
            count,
            currencies: open
                .iter()
                .filter(|(_, total)| **total > Decimal::ZERO)
                .map(|(cur, total)| PlanCurrency {
                    currency: (*cur).to_string(),
                    total: money(*total, cur),
                    instalments: instalments(*total, cur, count)
                        .into_iter()
                        .enumerate()
                        .map(|(n, amount)| Instalment {
                            number: u32::try_from(n + 1).unwrap_or(u32::MAX),
                            date: date(
                                deadline
                                    .checked_add_months(Months::new(u32::try_from(n).unwrap_or(0)))
                                    .unwrap_or(deadline),
                                language,
                            ),
                            amount: money(amount, cur),
                        })
                        .collect(),
                })
                .collect(),
        }
    });
    let interest = config.letters.interest_rate.map(|rate| Interest {
        rate: percent_text(rate),
        lines: interest
            .iter()
            .map(|(cur, amount)| InterestLine {
                currency: (*cur).to_string(),
                amount: money(round_money(*amount, cur), cur),
            })
            .collect(),
    });
    let previous: Vec<PreviousLetter> = letter
        .previous
        .iter()
        .map(|e| PreviousLetter {
            date: date(e.sent.unwrap_or(e.date), language),
            level: e.level.clone(),
            emailed: e.sent.is_some(),
        })
        .collect();
    let terms = match client.and_then(|c| c.terms).unwrap_or(config.default_terms) {
        Terms::Net(days) => TermsBlock { kind: "net", days },
        Terms::EndOfMonth(days) => TermsBlock { kind: "eom", days },
    };
    LetterContext {
        language: language.to_string(),
        dir: if matches!(language, "he" | "ar") {
            "rtl"
        } else {
            "ltr"
        },
        level,
        subject: String::new(),
        date: date(as_of, language),
        deadline: date(deadline, language),
        company: company.clone(),
        client: ClientBlock {
            id: bounded(letter.client.clone(), NAME_CHARS),
            name,
            contact: text(|c| c.contact.as_ref()),
            email,
            phone: text(|c| c.phone.as_ref()),
            address: text(|c| c.address.as_ref()),
            collector: text(|c| c.collector.as_ref()),
        },
        overdue_count: items
            .iter()
            .filter(|&&i| class.items[i].days_overdue > 0)
            .count(),
        oldest_days_overdue: if oldest == i64::MIN { 0 } else { oldest },
        invoices,
        totals,
        discount: (!discount_lines.is_empty()).then(|| DiscountOffer {
            percent: config
                .discount
                .map(|d| percent_text(d.percent))
                .unwrap_or_default(),
            lines: discount_lines,
        }),
        interest,
        plan,
        last_letter: previous.last().cloned(),
        previous,
        terms,
    }
}

/// `total` in `count` instalments: each rounded down to the minor unit, the last one takes
/// the remainder, so the instalments add up to the total exactly.
#[must_use]
pub fn instalments(total: Decimal, currency: &str, count: u32) -> Vec<Decimal> {
    let count = count.max(1);
    let each = (total / Decimal::from(count))
        .round_dp_with_strategy(minor_digits(currency), RoundingStrategy::ToZero);
    let mut out = vec![each; count as usize];
    let last = total - each * Decimal::from(count - 1);
    if let Some(l) = out.last_mut() {
        *l = last;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn instalments_add_up_exactly_and_the_last_absorbs_rounding() {
        let total = Decimal::from_str("1000.00").unwrap();
        let parts = instalments(total, "ILS", 3);
        assert_eq!(
            parts,
            ["333.33", "333.33", "333.34"].map(|s| Decimal::from_str(s).unwrap())
        );
        assert_eq!(parts.iter().copied().sum::<Decimal>(), total);
        let total = Decimal::from_str("0.05").unwrap();
        let parts = instalments(total, "USD", 6);
        assert_eq!(parts.iter().copied().sum::<Decimal>(), total);
        assert_eq!(instalments(total, "USD", 1), [total]);
        let yen = instalments(Decimal::from(1000), "JPY", 3);
        assert_eq!(yen, [333, 333, 334].map(Decimal::from));
    }

    #[test]
    fn long_values_are_cut_on_a_character_boundary() {
        assert_eq!(bounded("שלום".to_string(), 4), "שלום");
        assert_eq!(bounded("שלום עולם".to_string(), 5), "שלום…");
        let cut = bounded("א".repeat(100_000), NAME_CHARS);
        assert_eq!(cut.chars().count(), NAME_CHARS);
        assert!(cut.ends_with('…'));
    }
}
