//! The six table sheets, `Clients` to `Issues`: each a [`Table`] of columns and a row function
//! over the run's results, listing the rows of the matching CSV file in its order; and the links
//! from a client's row to its first open item.

use super::table::{col, Cell, Kind, Layout, Table};
use crate::classify::join_reasons;
use crate::config::Config;
use crate::hash::HashMap;
use crate::report::Input;

/// Where each client's open items start on the `Open items` sheets, for links.
pub(super) struct ItemLinks<'a> {
    /// (client, currency) -> (sheet, row, number of open items). Only looked up.
    first: HashMap<(&'a str, &'a str), (String, u32, usize)>,
}

impl<'a> ItemLinks<'a> {
    pub(super) fn new(o: &'a Input, layout: &Layout, name: &str) -> ItemLinks<'a> {
        let mut first: HashMap<(&str, &str), (String, u32, usize)> = HashMap::default();
        for (i, item) in o.class.items.iter().enumerate() {
            let inv = &o.ledger.invoices[item.invoice];
            first
                .entry((&*inv.client, &*inv.currency))
                .and_modify(|e| e.2 += 1)
                .or_insert_with(|| {
                    let (sheet, row) = layout.place(name, i);
                    (sheet, row, 1)
                });
        }
        ItemLinks { first }
    }

    fn cell(&self, client: &str, currency: &str) -> Cell<'static> {
        match self.first.get(&(client, currency)) {
            Some((sheet, row, n)) => Cell::Link(
                sheet.clone(),
                *row,
                if *n == 1 {
                    "1 open item".to_string()
                } else {
                    format!("{n} open items")
                },
            ),
            None => Cell::Empty,
        }
    }
}

pub(super) fn clients_table<'a>(
    config: &'a Config,
    o: &'a Input,
    links: &'a ItemLinks<'_>,
) -> Table<'a> {
    let mut cols = vec![
        col("Client id", Kind::Text),
        col("Client", Kind::Text),
        col("Currency", Kind::Text),
    ];
    for label in &o.class.bucket_labels {
        cols.push(col(label, Kind::Money));
    }
    let n = o.class.bucket_labels.len();
    cols.extend([
        col("Open total", Kind::Money),
        col("Unapplied credit", Kind::Money),
        col("Net balance", Kind::Money),
        col("Withheld", Kind::Money),
        col("Bank fees", Kind::Money),
        col("Oldest days overdue", Kind::Int),
        col("Level", Kind::Text),
        col("Risk", Kind::Text),
        col("Risk reasons", Kind::Text),
        col("Settled invoices", Kind::Int),
        col("Mean days to pay", Kind::Mean),
        col("Mean days late", Kind::Mean),
        col("Open items", Kind::Link),
    ]);
    Table {
        name: "Clients",
        cols,
        len: o.class.clients.len(),
        currency_col: Some(2),
        days_col: Some(3 + n + 5),
        empty: "No client has an open balance or a credit.",
        fill: Box::new(move |i, cells| {
            let c = &o.class.clients[i];
            cells.extend([
                Cell::Text(&c.client),
                Cell::Text(&c.name),
                Cell::Text(&c.currency),
            ]);
            cells.extend(c.buckets.iter().map(|b| Cell::Money(*b)));
            cells.extend([
                Cell::Money(c.open_total),
                Cell::Money(c.unapplied_credit),
                Cell::Money(c.net_balance),
                Cell::Money(c.withheld),
                Cell::Money(c.fees),
                Cell::Int(c.oldest_days_overdue),
                Cell::Text(c.level_name(config)),
                Cell::Text(c.risk.as_str()),
                Cell::Owned(join_reasons(&c.risk_reasons)),
                Cell::Int(i64::try_from(c.behaviour.settled).unwrap_or(i64::MAX)),
                Cell::Mean(c.behaviour.mean_days_to_pay()),
                Cell::Mean(c.behaviour.mean_days_late()),
                links.cell(&c.client, &c.currency),
            ]);
            &c.currency
        }),
    }
}

pub(super) fn open_items_table(o: &Input) -> Table<'_> {
    Table {
        name: "Open items",
        cols: vec![
            col("Client id", Kind::Text),
            col("Client", Kind::Text),
            col("Invoice", Kind::Text),
            col("Invoice date", Kind::Date),
            col("Due date", Kind::Date),
            col("Currency", Kind::Text),
            col("Amount", Kind::Money),
            col("Paid", Kind::Money),
            col("Open", Kind::Money),
            col("Days overdue", Kind::Int),
            col("Bucket", Kind::Text),
            col("Disputed", Kind::Text),
        ],
        len: o.class.items.len(),
        currency_col: Some(5),
        days_col: Some(9),
        empty: "Nothing is open.",
        fill: Box::new(move |i, cells| {
            let item = &o.class.items[i];
            let inv = &o.ledger.invoices[item.invoice];
            cells.extend([
                Cell::Text(&inv.client),
                Cell::Text(&inv.client_name),
                Cell::Text(&inv.number),
                Cell::Date(inv.date),
                Cell::Date(inv.due),
                Cell::Text(&inv.currency),
                Cell::Money(inv.amount),
                Cell::Money(item.paid),
                Cell::Money(item.open),
                Cell::Int(item.days_overdue),
                Cell::Text(&o.class.bucket_labels[item.bucket]),
                Cell::Text(if inv.disputed { "yes" } else { "no" }),
            ]);
            &inv.currency
        }),
    }
}

pub(super) fn allocations_table(o: &Input) -> Table<'_> {
    Table {
        name: "Allocations",
        cols: vec![
            col("Payment id", Kind::Text),
            col("Payment date", Kind::Date),
            col("Client id", Kind::Text),
            col("Invoice", Kind::Text),
            col("Currency", Kind::Text),
            col("Amount", Kind::Money),
            col("Rule", Kind::Text),
        ],
        len: o.recon.allocations.len(),
        currency_col: Some(4),
        days_col: None,
        empty: "No payment or credit note was allocated.",
        fill: Box::new(move |i, cells| {
            let a = &o.recon.allocations[i];
            cells.extend([
                Cell::Text(a.source.id(&o.ledger)),
                a.date.map_or(Cell::Empty, Cell::Date),
                Cell::Text(&a.client),
                a.invoice_number(&o.ledger).map_or(Cell::Empty, Cell::Text),
                Cell::Text(&a.currency),
                Cell::Money(a.amount),
                Cell::Text(a.rule.as_str()),
            ]);
            &a.currency
        }),
    }
}

pub(super) fn unapplied_table(o: &Input) -> Table<'_> {
    // The order of unapplied.csv: payment date, then payment id.
    let mut order: Vec<usize> = (0..o.recon.unapplied.len()).collect();
    order.sort_by(|&a, &b| {
        let pa = &o.ledger.payments[o.recon.unapplied[a].payment];
        let pb = &o.ledger.payments[o.recon.unapplied[b].payment];
        (pa.date, &pa.id).cmp(&(pb.date, &pb.id))
    });
    Table {
        name: "Unapplied",
        cols: vec![
            col("Payment id", Kind::Text),
            col("Payment date", Kind::Date),
            col("Payer", Kind::Text),
            col("Client id", Kind::Text),
            col("Currency", Kind::Text),
            col("Amount", Kind::Money),
            col("Reason", Kind::Text),
        ],
        len: order.len(),
        currency_col: Some(4),
        days_col: None,
        empty: "Every payment was matched and fully applied.",
        fill: Box::new(move |i, cells| {
            let u = &o.recon.unapplied[order[i]];
            let p = &o.ledger.payments[u.payment];
            cells.extend([
                Cell::Text(&p.id),
                Cell::Date(p.date),
                p.payer.as_deref().map_or(Cell::Empty, Cell::Text),
                u.client.as_deref().map_or(Cell::Empty, Cell::Text),
                Cell::Text(&u.currency),
                Cell::Money(u.amount),
                Cell::Text(&u.reason),
            ]);
            &u.currency
        }),
    }
}

pub(super) fn worklist_table<'a>(
    config: &'a Config,
    o: &'a Input,
    links: &'a ItemLinks<'_>,
) -> Table<'a> {
    Table {
        name: "Worklist",
        cols: vec![
            col("Rank", Kind::Int),
            col("Client id", Kind::Text),
            col("Client", Kind::Text),
            col("Currency", Kind::Text),
            col("Overdue", Kind::Money),
            col("Oldest days overdue", Kind::Int),
            col("Level", Kind::Text),
            col("Risk", Kind::Text),
            col("Last letter", Kind::Text),
            col("Collector", Kind::Text),
            col("Phone", Kind::Text),
            col("Email", Kind::Text),
            col("Action", Kind::Text),
            col("Open items", Kind::Link),
        ],
        len: o.class.worklist.len(),
        currency_col: Some(3),
        days_col: Some(5),
        empty: "Nothing is overdue.",
        fill: Box::new(move |rank, cells| {
            let c = &o.class.clients[o.class.worklist[rank]];
            let client = o.ledger.clients.get(&c.client);
            let opt = |v: Option<&'a String>| v.map_or(Cell::Empty, |s| Cell::Text(s.as_str()));
            cells.extend([
                Cell::Int(i64::try_from(rank + 1).unwrap_or(i64::MAX)),
                Cell::Text(&c.client),
                Cell::Text(&c.name),
                Cell::Text(&c.currency),
                Cell::Money(c.overdue),
                Cell::Int(c.oldest_days_overdue),
                Cell::Text(c.level_name(config)),
                Cell::Text(c.risk.as_str()),
                o.class
                    .last_letter
                    .get(&c.client)
                    .map_or(Cell::Empty, |(date, level)| {
                        Cell::Owned(format!("{date} {level}"))
                    }),
                opt(client.and_then(|c| c.collector.as_ref())),
                opt(client.and_then(|c| c.phone.as_ref())),
                opt(client.and_then(|c| c.email.as_ref())),
                Cell::Text(c.action()),
                links.cell(&c.client, &c.currency),
            ]);
            &c.currency
        }),
    }
}

pub(super) fn issues_table(o: &Input) -> Table<'_> {
    let sorted = crate::report::csv::sorted_issues(&o.ledger.issues);
    Table {
        name: "Issues",
        cols: vec![
            col("Severity", Kind::Text),
            col("File", Kind::Text),
            col("Sheet", Kind::Text),
            col("Row", Kind::Int),
            col("Column", Kind::Text),
            col("Value", Kind::Text),
            col("Message", Kind::Text),
        ],
        len: sorted.len(),
        currency_col: None,
        days_col: None,
        empty: "No issues: every input row was used.",
        fill: Box::new(move |i, cells| {
            let issue = sorted[i];
            cells.extend([
                Cell::Text(issue.severity.as_str()),
                Cell::Text(&issue.file),
                issue.sheet.as_deref().map_or(Cell::Empty, Cell::Text),
                issue.row.map_or(Cell::Empty, |r| Cell::Int(i64::from(r))),
                issue.column.as_deref().map_or(Cell::Empty, Cell::Text),
                issue.value.as_deref().map_or(Cell::Empty, Cell::Text),
                Cell::Text(&issue.message),
            ]);
            ""
        }),
    }
}
