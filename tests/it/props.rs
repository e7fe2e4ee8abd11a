//! Property tests over random small ledgers, written as CSV and as xlsx and run through the
//! library (`Config::load` + `app::compute`, then the CSV writers):
//! - SPEC invariants, checked independently from the generated data and the written files:
//!   per currency, invoices − credit notes − payments + what stayed unapplied = the open items;
//!   the allocations of each payment plus its unapplied rest = the payment; per client row the
//!   buckets add up to `open_total` and `net_balance = open_total − unapplied_credit`; every
//!   invoice's open amount lies between 0 and its amount; no issue for clean data; the tool's
//!   own invariant checks pass;
//! - the same ledger read from xlsx and from csv gives identical files;
//! - the same ledger gives identical files whatever the row order within each file and whatever
//!   the number of threads.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use arrears::app::compute;
use arrears::config::{Config, Overrides};
use arrears::history::History;
use arrears::report::Input;
use chrono::{Days, NaiveDate};
use proptest::prelude::*;
use rust_decimal::Decimal;

use crate::support::{col, read_csv};

const CLIENTS: usize = 4;

#[derive(Clone, Debug)]
struct Doc {
    client: usize,
    day: u64,
    cents: i64,
    usd: bool,
}

#[derive(Clone, Debug)]
struct Pay {
    /// The invoice it is about (its client, currency and amount).
    invoice: usize,
    /// 0 memo names the invoice, 1 client id, 2 payer name, 3 unknown payer.
    how: u8,
    /// 0 the full amount, 1 half, 2 ten more.
    size: u8,
    day: u64,
}

#[derive(Clone, Debug)]
struct Ledger {
    docs: Vec<Doc>,
    credit_notes: Vec<Doc>,
    pays: Vec<Pay>,
    shuffle: u64,
}

fn start() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 5, 1).unwrap()
}

fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 30).unwrap()
}

fn doc() -> impl Strategy<Value = Doc> {
    // Days up to 240 after May 1st: a few documents fall after the as-of date.
    (0..CLIENTS, 0u64..240, 1i64..500_000, any::<bool>()).prop_map(|(client, day, cents, usd)| {
        Doc {
            client,
            day,
            cents,
            usd,
        }
    })
}

fn ledger() -> impl Strategy<Value = Ledger> {
    (
        prop::collection::vec(doc(), 1..10),
        prop::collection::vec(doc(), 0..3),
        prop::collection::vec(
            (any::<prop::sample::Index>(), 0u8..4, 0u8..3, 0u64..240),
            0..10,
        ),
        any::<u64>(),
    )
        .prop_map(|(docs, credit_notes, pays, shuffle)| {
            let pays = pays
                .into_iter()
                .map(|(i, how, size, day)| Pay {
                    invoice: i.index(docs.len()),
                    how,
                    size,
                    day,
                })
                .collect();
            Ledger {
                docs,
                credit_notes,
                pays,
                shuffle,
            }
        })
}

fn money(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", cents.abs() / 100, cents.abs() % 100)
}

fn currency(usd: bool) -> &'static str {
    if usd {
        "USD"
    } else {
        "ILS"
    }
}

/// One row of a table: text, a date, or an amount in cents.
#[derive(Clone)]
enum Val {
    Text(String),
    Date(NaiveDate),
    Cents(i64),
}

struct Tables {
    invoices: Vec<Vec<Val>>,
    payments: Vec<Vec<Val>>,
}

const INVOICE_HEADER: [&str; 7] = [
    "Invoice No",
    "Client ID",
    "Client Name",
    "Invoice Date",
    "Due Date",
    "Amount",
    "Currency",
];
const PAYMENT_HEADER: [&str; 7] = [
    "Payment ID",
    "Date",
    "Amount",
    "Currency",
    "Client ID",
    "Payer",
    "Memo",
];

impl Ledger {
    fn pay_cents(&self, p: &Pay) -> i64 {
        let cents = self.docs[p.invoice].cents;
        match p.size {
            0 => cents,
            1 => (cents / 2).max(1),
            _ => cents + 1000,
        }
    }

    fn tables(&self) -> Tables {
        let mut invoices = Vec::new();
        let docs = self
            .docs
            .iter()
            .map(|d| ("INV", d, 1))
            .chain(self.credit_notes.iter().map(|d| ("CN", d, -1)));
        for (i, (prefix, d, sign)) in docs.enumerate() {
            let date = start() + Days::new(d.day);
            invoices.push(vec![
                Val::Text(format!("{prefix}-{:03}", i + 1)),
                Val::Text(format!("C{}", d.client)),
                Val::Text(format!("Client {} Ltd", d.client)),
                Val::Date(date),
                Val::Date(date + Days::new(30)),
                Val::Cents(sign * d.cents),
                Val::Text(currency(d.usd).into()),
            ]);
        }
        let mut payments = Vec::new();
        for (j, p) in self.pays.iter().enumerate() {
            let inv = &self.docs[p.invoice];
            let (client, payer, memo) = match p.how {
                0 => (
                    String::new(),
                    "Somebody".to_string(),
                    format!("INV-{:03}", p.invoice + 1),
                ),
                1 => (format!("C{}", inv.client), String::new(), String::new()),
                2 => (
                    String::new(),
                    format!("Client {} Ltd", inv.client),
                    String::new(),
                ),
                _ => (
                    String::new(),
                    "Nobody Known".to_string(),
                    "transfer".to_string(),
                ),
            };
            payments.push(vec![
                Val::Text(format!("P{j:03}")),
                Val::Date(start() + Days::new(p.day)),
                Val::Cents(self.pay_cents(p)),
                Val::Text(currency(inv.usd).into()),
                Val::Text(client),
                Val::Text(payer),
                Val::Text(memo),
            ]);
        }
        Tables { invoices, payments }
    }
}

/// The rows in another order, decided by `seed` (a small LCG driving a Fisher-Yates shuffle).
fn shuffled(rows: &[Vec<Val>], seed: u64) -> Vec<Vec<Val>> {
    let mut rows = rows.to_vec();
    let mut state = seed | 1;
    for i in (1..rows.len()).rev() {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let j = usize::try_from((state >> 33) % (i as u64 + 1)).unwrap();
        rows.swap(i, j);
    }
    rows
}

fn write_csv(path: &Path, header: &[&str], rows: &[Vec<Val>]) {
    let mut writer = csv::Writer::from_path(path).unwrap();
    writer.write_record(header).unwrap();
    for row in rows {
        let cells: Vec<String> = row
            .iter()
            .map(|v| match v {
                Val::Text(t) => t.clone(),
                Val::Date(d) => d.format("%Y-%m-%d").to_string(),
                Val::Cents(c) => money(*c),
            })
            .collect();
        writer.write_record(&cells).unwrap();
    }
    writer.flush().unwrap();
}

fn write_xlsx(path: &Path, header: &[&str], rows: &[Vec<Val>]) {
    use chrono::Datelike;
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    let date_format = Format::new().set_num_format("yyyy-mm-dd");
    let money_format = Format::new().set_num_format("#,##0.00");
    for (c, h) in header.iter().enumerate() {
        sheet
            .write_string(0, u16::try_from(c).unwrap(), *h)
            .unwrap();
    }
    for (r, row) in rows.iter().enumerate() {
        let r = u32::try_from(r + 1).unwrap();
        for (c, v) in row.iter().enumerate() {
            let c = u16::try_from(c).unwrap();
            match v {
                Val::Text(t) if t.is_empty() => {}
                Val::Text(t) => {
                    sheet.write_string(r, c, t).unwrap();
                }
                Val::Date(d) => {
                    let date = ExcelDateTime::from_ymd(
                        u16::try_from(d.year()).unwrap(),
                        u8::try_from(d.month()).unwrap(),
                        u8::try_from(d.day()).unwrap(),
                    )
                    .unwrap();
                    sheet
                        .write_datetime_with_format(r, c, &date, &date_format)
                        .unwrap();
                }
                Val::Cents(cents) => {
                    #[allow(clippy::cast_precision_loss)]
                    let value = *cents as f64 / 100.0;
                    sheet
                        .write_number_with_format(r, c, value, &money_format)
                        .unwrap();
                }
            }
        }
    }
    workbook.save(path).unwrap();
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Form {
    Csv,
    Xlsx,
}

/// Writes the ledger in `form` (rows in file order, or shuffled), runs the library with
/// `threads` worker threads, writes the CSV outputs into `dir/out`, and returns them.
fn run(
    dir: &Path,
    tables: &Tables,
    form: Form,
    shuffle: Option<u64>,
    threads: usize,
) -> (Input, BTreeMap<String, String>) {
    std::fs::create_dir_all(dir).unwrap();
    let (invoices, payments) = match shuffle {
        Some(seed) => (
            shuffled(&tables.invoices, seed),
            shuffled(&tables.payments, seed.rotate_left(17)),
        ),
        None => (tables.invoices.clone(), tables.payments.clone()),
    };
    let ext = if form == Form::Csv { "csv" } else { "xlsx" };
    let inv = dir.join(format!("invoices.{ext}"));
    let pay = dir.join(format!("bank.{ext}"));
    let write = if form == Form::Csv {
        write_csv
    } else {
        write_xlsx
    };
    write(&inv, &INVOICE_HEADER, &invoices);
    write(&pay, &PAYMENT_HEADER, &payments);
    let overrides = Overrides {
        invoices: vec![inv],
        payments: vec![pay],
        clients: Vec::new(),
        out: Some(dir.join("out")),
        ..Overrides::default()
    };
    let config = Config::load(Some(dir), None, &overrides).unwrap();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    let outcome = pool
        .install(|| compute(&config, as_of(), &History::default()))
        .unwrap();
    let out = dir.join("out");
    std::fs::create_dir_all(&out).unwrap();
    use arrears::report::csv as w;
    w::write_open_items(&out, &outcome.ledger, &outcome.class).unwrap();
    w::write_clients(&out, &config, &outcome.class).unwrap();
    w::write_allocations(&out, &outcome.ledger, &outcome.recon).unwrap();
    w::write_unapplied(&out, &outcome.ledger, &outcome.recon).unwrap();
    w::write_worklist(&out, &config, &outcome.ledger, &outcome.class).unwrap();
    w::write_issues(&out, &outcome.ledger.issues).unwrap();
    let files = [
        "open-items.csv",
        "clients.csv",
        "allocations.csv",
        "unapplied.csv",
        "worklist.csv",
        "issues.csv",
    ]
    .into_iter()
    .map(|n| (n.to_string(), std::fs::read_to_string(out.join(n)).unwrap()))
    .collect();
    (outcome, files)
}

fn dec(text: &str) -> Decimal {
    text.parse()
        .unwrap_or_else(|_| panic!("{text:?} is not an amount"))
}

/// The SPEC's invariants, from the generated ledger and the files written.
fn check_invariants(ledger: &Ledger, tables: &Tables, out: &Path, outcome: &Input) {
    let cents = |c: i64| Decimal::new(c, 2);
    let in_run = |day: u64| start() + Days::new(day) <= as_of();
    // Per currency: documents and payments dated on or before the as-of date.
    let mut docs: BTreeMap<&str, Decimal> = BTreeMap::new();
    for d in &ledger.docs {
        if in_run(d.day) {
            *docs.entry(currency(d.usd)).or_default() += cents(d.cents);
        }
    }
    for d in &ledger.credit_notes {
        if in_run(d.day) {
            *docs.entry(currency(d.usd)).or_default() -= cents(d.cents);
        }
    }
    let mut pays: BTreeMap<&str, Decimal> = BTreeMap::new();
    let mut pay_amount: BTreeMap<String, Decimal> = BTreeMap::new();
    for (j, p) in ledger.pays.iter().enumerate() {
        if in_run(p.day) {
            let amount = cents(ledger.pay_cents(p));
            *pays
                .entry(currency(ledger.docs[p.invoice].usd))
                .or_default() += amount;
            pay_amount.insert(format!("P{j:03}"), amount);
        }
    }
    let sum_by = |file: &str, key: &str, value: &str| {
        let (header, rows) = read_csv(&out.join(file));
        let mut sums: BTreeMap<String, Decimal> = BTreeMap::new();
        for r in &rows {
            *sums.entry(r[col(&header, key)].clone()).or_default() += dec(&r[col(&header, value)]);
        }
        sums
    };
    let open = sum_by("open-items.csv", "currency", "open");
    let unapplied = sum_by("unapplied.csv", "currency", "amount");
    for c in ["ILS", "USD"] {
        let get = |m: &BTreeMap<String, Decimal>| m.get(c).copied().unwrap_or_default();
        let expected = docs.get(c).copied().unwrap_or_default()
            - pays.get(c).copied().unwrap_or_default()
            + get(&unapplied);
        assert_eq!(
            get(&open),
            expected,
            "{c}: open items vs documents and payments"
        );
    }
    // Each payment: its allocations plus its unapplied rest = its amount.
    // (Rule `credit` rows repeat what unapplied.csv lists; rows of credit notes start CN-.)
    let (header, rows) = read_csv(&out.join("allocations.csv"));
    let mut accounted: BTreeMap<String, Decimal> = BTreeMap::new();
    for r in &rows {
        let id = &r[col(&header, "payment_id")];
        if id.starts_with('P') && r[col(&header, "rule")] != "credit" {
            *accounted.entry(id.clone()).or_default() += dec(&r[col(&header, "amount")]);
        }
    }
    for (id, amount) in sum_by("unapplied.csv", "payment_id", "amount") {
        *accounted.entry(id).or_default() += amount;
    }
    assert_eq!(accounted, pay_amount, "payments vs allocations + unapplied");
    // Client rows: buckets and net balance.
    let (header, rows) = read_csv(&out.join("clients.csv"));
    let first = col(&header, "not_due");
    let total = col(&header, "open_total");
    let mut client_open: BTreeMap<String, Decimal> = BTreeMap::new();
    for r in &rows {
        let buckets: Decimal = (first..total).map(|k| dec(&r[k])).sum();
        assert_eq!(buckets, dec(&r[total]), "buckets of {r:?}");
        assert_eq!(
            dec(&r[total]) - dec(&r[col(&header, "unapplied_credit")]),
            dec(&r[col(&header, "net_balance")])
        );
        *client_open
            .entry(r[col(&header, "currency")].clone())
            .or_default() += dec(&r[total]);
    }
    client_open.retain(|_, v| !v.is_zero());
    let mut open = open;
    open.retain(|_, v| !v.is_zero());
    assert_eq!(client_open, open, "clients.csv vs open-items.csv");
    // Open amounts within the document's amount.
    let (header, rows) = read_csv(&out.join("open-items.csv"));
    for r in &rows {
        let (amount, left) = (
            dec(&r[col(&header, "amount")]),
            dec(&r[col(&header, "open")]),
        );
        assert!(
            (amount >= Decimal::ZERO && left > Decimal::ZERO && left <= amount)
                || (amount < Decimal::ZERO && left < Decimal::ZERO && left >= amount),
            "{r:?}"
        );
    }
    // Clean data raises no issue; every input row is accounted for; the tool's checks hold.
    // (An empty payments file is the one warning: a header with no rows below it.)
    let (_, issues) = read_csv(&out.join("issues.csv"));
    let expected = usize::from(tables.payments.is_empty());
    assert_eq!(issues.len(), expected, "{issues:?}");
    assert!(
        issues.iter().all(|i| i[6].contains("no data rows")),
        "{issues:?}"
    );
    let rows_in: usize = outcome.ledger.inputs.iter().map(|i| i.rows).sum();
    assert_eq!(rows_in, tables.invoices.len() + tables.payments.len());
    assert!(outcome.recon.invariants.iter().all(|c| c.passed));
    assert!(outcome.row_checks.iter().all(|c| c.passed));
}

fn scratch() -> PathBuf {
    let dir = tempfile::tempdir().unwrap();
    dir.keep()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn invariants_hold_and_format_order_and_threads_do_not_matter(ledger in ledger()) {
        let root = scratch();
        let tables = ledger.tables();
        let (outcome, csv) = run(&root.join("csv"), &tables, Form::Csv, None, 2);
        check_invariants(&ledger, &tables, &root.join("csv/out"), &outcome);

        let (_, xlsx) = run(&root.join("xlsx"), &tables, Form::Xlsx, None, 1);
        let (_, moved) = run(&root.join("shuffled"), &tables, Form::Csv, Some(ledger.shuffle), 3);
        let _ = std::fs::remove_dir_all(&root);
        for (name, text) in &csv {
            if name == "issues.csv" {
                continue; // row numbers and file names differ by construction
            }
            prop_assert_eq!(text, &xlsx[name], "{} differs between csv and xlsx inputs", name);
            prop_assert_eq!(text, &moved[name], "{} differs with rows reordered and 3 threads", name);
        }
    }
}
