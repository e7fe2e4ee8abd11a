//! What one statement says, as data: the context every template of a statement renders.
//!
//! Amounts and dates arrive formatted for the statement's language (as in the letters); every
//! list is in a fixed order (sections by currency, open items as `open-items.csv` orders them,
//! activity lines by date). The templates only place what is here and word the line kinds.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use crate::classify::{Classification, ClientSummary};
use crate::model::DocKind;
use crate::model::Ledger;
use crate::reconcile::Reconciliation;
use crate::report::letters::context::{ClientBlock, CompanyBlock};
use crate::report::letters::format::{date, money, short_date};

use super::account::Account;

/// One open invoice or credit note.
#[derive(Clone, Debug, Serialize)]
pub struct Item {
    pub number: String,
    pub credit_note: bool,
    pub date: String,
    pub due: String,
    pub date_short: String,
    pub due_short: String,
    pub amount: String,
    pub paid: String,
    pub open: String,
    pub days_overdue: i64,
}

/// One aging bucket: `label` as `clients.csv` names it (`Not due`, `1-30`, ... `120+`).
#[derive(Clone, Debug, Serialize)]
pub struct Bucket {
    pub label: String,
    pub not_due: bool,
    pub amount: String,
}

/// One line of the activity: `kind` is `invoice`, `credit-note`, `prepaid`, `payment` or the
/// rule of an adjustment (`discount`, `write-off`, `withholding`, `bank-fee`, ...).
#[derive(Clone, Debug, Serialize)]
pub struct Line {
    pub date: String,
    pub date_short: String,
    pub kind: String,
    pub number: String,
    /// The invoices a payment settled, or the invoice a credit note applies to, `, `-joined.
    pub reference: String,
    /// What raised the balance, or empty.
    pub debit: String,
    /// What lowered it, or empty.
    pub credit: String,
    pub balance: String,
}

/// One currency of a statement.
#[derive(Clone, Debug, Serialize)]
pub struct Section {
    pub currency: String,
    pub items: Vec<Item>,
    pub buckets: Vec<Bucket>,
    pub open_total: String,
    pub unapplied_credit: String,
    pub has_credit: bool,
    pub net_balance: String,
    pub opening: String,
    pub lines: Vec<Line>,
    pub closing: String,
    /// The closing balance unformatted (`1340.50`), for the index.
    #[serde(skip)]
    pub closing_value: Decimal,
}

/// The context of one statement.
#[derive(Clone, Debug, Serialize)]
pub struct StatementContext {
    pub language: String,
    pub dir: &'static str,
    /// `open-item` or `activity`.
    pub kind: String,
    pub title: String,
    pub date: String,
    pub period_from: String,
    pub period_to: String,
    pub period_days: u32,
    pub company: CompanyBlock,
    pub client: ClientBlock,
    pub sections: Vec<Section>,
}

/// The title of a statement (also the e-mail subject): English unless the language is Hebrew.
#[must_use]
pub fn title(kind: &str, language: &str) -> &'static str {
    match (language, kind) {
        ("he", "activity") => "דף חשבון: תנועות בחשבון",
        ("he", _) => "דף חשבון: חשבוניות פתוחות",
        (_, "activity") => "Statement of account: activity",
        _ => "Statement of account: open items",
    }
}

/// What a section is built from.
pub struct SectionInput<'a> {
    pub account: &'a Account,
    /// The client's `clients.csv` row in this currency, if any.
    pub summary: Option<&'a ClientSummary>,
    /// Indices into `Classification::items`: the account's open items.
    pub items: &'a [usize],
}

/// The run's data a statement reads.
pub struct Sources<'a> {
    pub ledger: &'a Ledger,
    pub recon: &'a Reconciliation,
    pub class: &'a Classification,
    pub as_of: NaiveDate,
    pub period_from: NaiveDate,
}

/// Builds one section in `language`; `activity` adds the movements (the open-item statement
/// does not need them).
#[must_use]
pub fn section(
    src: &Sources<'_>,
    input: &SectionInput<'_>,
    language: &str,
    activity: bool,
) -> Section {
    let cur = &*input.account.currency;
    let items = input
        .items
        .iter()
        .map(|&i| {
            let item = &src.class.items[i];
            let inv = &src.ledger.invoices[item.invoice];
            Item {
                number: inv.number.to_string(),
                credit_note: inv.kind == DocKind::CreditNote,
                date: date(inv.date, language),
                due: date(inv.due, language),
                date_short: short_date(inv.date, language),
                due_short: short_date(inv.due, language),
                amount: money(inv.amount, cur),
                paid: money(item.paid, cur),
                open: money(item.open, cur),
                days_overdue: item.days_overdue,
            }
        })
        .collect();
    let zero = Decimal::ZERO;
    let buckets = src
        .class
        .bucket_labels
        .iter()
        .enumerate()
        .map(|(b, label)| Bucket {
            label: label.clone(),
            not_due: b == 0,
            amount: money(
                input
                    .summary
                    .and_then(|s| s.buckets.get(b).copied())
                    .unwrap_or(zero),
                cur,
            ),
        })
        .collect();
    let (open_total, credit, net) = input.summary.map_or((zero, zero, zero), |s| {
        (s.open_total, s.unapplied_credit, s.net_balance)
    });
    let mut opening = zero;
    let mut lines = Vec::new();
    let mut closing = net;
    if activity {
        let mut balance = zero;
        for m in input.account.movements(src.ledger, src.recon, src.as_of) {
            balance += m.amount;
            if m.date < src.period_from {
                opening = balance;
                continue;
            }
            let (debit, credit) = if m.amount < zero {
                (String::new(), money(-m.amount, cur))
            } else {
                (money(m.amount, cur), String::new())
            };
            lines.push(Line {
                date: date(m.date, language),
                date_short: short_date(m.date, language),
                kind: m.kind.as_str().to_string(),
                number: m.number,
                reference: m.reference.join(", "),
                debit,
                credit,
                balance: money(balance, cur),
            });
        }
        closing = balance;
    }
    Section {
        currency: cur.to_string(),
        items,
        buckets,
        open_total: money(open_total, cur),
        unapplied_credit: money(credit, cur),
        has_credit: !credit.is_zero(),
        net_balance: money(net, cur),
        opening: money(opening, cur),
        lines,
        closing: money(closing, cur),
        closing_value: closing,
    }
}
