//! Hand-checked reconciliation scenarios, with the builders the other parts share: property
//! tests over random ledgers ([`properties`]) and the rules of SPEC section 11 ([`rules`]).

mod properties;
mod rules;

use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::*;
use crate::config::{default_levels, AgingBasis, Company, Discount, Inputs};
use crate::model::{Client, DateOrder, DocKind, Invoice, Origin, Payment, Place, Terms};

// ---------------------------------------------------------------- builders

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("test date")
}

fn m(s: &str) -> Decimal {
    Decimal::from_str(s).expect("test amount")
}

fn config() -> Config {
    Config {
        path: None,
        base_dir: PathBuf::from("."),
        default_currency: "ILS".to_string(),
        date_order: DateOrder::DayFirst,
        default_terms: Terms::Net(30),
        write_off_tolerance: Decimal::ZERO,
        inputs: Inputs::default(),
        discount: None,
        aging_basis: AgingBasis::DueDate,
        buckets: vec![30, 60, 90, 120],
        dunning_min_amount: Decimal::ZERO,
        repeat_after_days: 14,
        dunning_levels: default_levels(),
        company: Company::default(),
        letter_formats: Vec::new(),
        language: "en".to_string(),
        letters: crate::config::LetterSettings::default(),
        output_dir: PathBuf::from("arrears-out"),
        workbook_rtl: false,
        statements: crate::config::StatementSettings::default(),
        source_text: String::new(),
        smtp: None,
        allocation: crate::config::AllocationSettings::default(),
    }
}

fn origin(row: u32) -> Origin {
    Origin {
        place: Arc::new(Place {
            file: Arc::from("test.csv"),
            sheet: None,
        }),
        row,
    }
}

/// An ILS invoice due 30 days after `date`; a negative amount makes a credit note.
fn inv(number: &str, client: &str, date: &str, amount: &str) -> Invoice {
    let date = d(date);
    let amount = m(amount);
    Invoice {
        number: number.into(),
        client: client.into(),
        client_name: "".into(),
        date,
        due: Terms::Net(30).due_date(date),
        amount,
        currency: "ILS".into(),
        kind: if amount.is_sign_negative() {
            DocKind::CreditNote
        } else {
            DocKind::Invoice
        },
        reference: None,
        disputed: false,
        prepaid: Decimal::ZERO,
        email: None,
        origin: origin(2),
    }
}

/// An ILS payment with nothing but id, date and amount.
fn pay(id: &str, date: &str, amount: &str) -> Payment {
    Payment {
        id: id.into(),
        date: d(date),
        amount: m(amount),
        currency: "ILS".into(),
        client_id: None,
        payer: None,
        memo: None,
        method: None,
        withheld: None,
        origin: origin(2),
    }
}

trait PaymentExt {
    fn id(self, client: &str) -> Self;
    fn payer(self, payer: &str) -> Self;
    fn memo(self, memo: &str) -> Self;
}

impl PaymentExt for Payment {
    fn id(mut self, client: &str) -> Self {
        self.client_id = Some(client.into());
        self
    }
    fn payer(mut self, payer: &str) -> Self {
        self.payer = Some(payer.into());
        self
    }
    fn memo(mut self, memo: &str) -> Self {
        self.memo = Some(memo.into());
        self
    }
}

fn ledger(clients: &[(&str, &str)], invoices: Vec<Invoice>, payments: Vec<Payment>) -> Ledger {
    let mut ledger = Ledger {
        invoices,
        payments,
        ..Ledger::default()
    };
    for (id, name) in clients {
        ledger.clients.insert(
            (*id).to_string(),
            Client {
                id: (*id).to_string(),
                name: (*name).to_string(),
                ..Client::default()
            },
        );
    }
    for i in &ledger.invoices {
        ledger
            .clients
            .entry(i.client.to_string())
            .or_insert_with(|| Client {
                id: i.client.to_string(),
                name: i.client.to_string(),
                ..Client::default()
            });
    }
    ledger
}

fn run(config: &Config, ledger: &Ledger, as_of: &str) -> Reconciliation {
    reconcile(config, ledger, d(as_of)).expect("invariants hold")
}

/// Open balance of a document by number (zero when it is not open).
fn open(rec: &Reconciliation, ledger: &Ledger, number: &str) -> Decimal {
    rec.open_items
        .iter()
        .filter(|o| &*ledger.invoices[o.invoice].number == number)
        .map(|o| o.open)
        .sum()
}

/// Allocations as `source>invoice amount rule` strings, in output order.
fn allocs(rec: &Reconciliation, ledger: &Ledger) -> Vec<String> {
    rec.allocations
        .iter()
        .map(|a| {
            let source = match a.source {
                AllocationSource::None => "-",
                _ => a.source.id(ledger),
            };
            format!(
                "{source}>{} {} {}",
                a.invoice_number(ledger).unwrap_or("credit"),
                a.amount.normalize(),
                a.rule
            )
        })
        .collect()
}

/// The invoice numbers an attribution's memo named.
fn references<'l>(a: &Attribution, ledger: &'l Ledger) -> Vec<&'l str> {
    a.references
        .iter()
        .map(|&i| &*ledger.invoices[i].number)
        .collect()
}

fn attribution<'r>(rec: &'r Reconciliation, ledger: &Ledger, payment_id: &str) -> &'r Attribution {
    rec.attributions
        .iter()
        .find(|a| &*ledger.payments[a.payment].id == payment_id)
        .expect("payment attributed")
}

fn settled(rec: &Reconciliation, ledger: &Ledger) -> Vec<(String, NaiveDate)> {
    rec.settlements
        .iter()
        .map(|s| (ledger.invoices[s.invoice].number.to_string(), s.paid_on))
        .collect()
}

// ---------------------------------------------------------------- scenarios

#[test]
fn partial_payment_leaves_the_rest_open() {
    let l = ledger(
        &[("C1", "Acme")],
        vec![inv("1001", "C1", "2026-01-05", "1000")],
        vec![pay("P1", "2026-01-20", "400").id("C1")],
    );
    let rec = run(&config(), &l, "2026-01-31");
    assert_eq!(allocs(&rec, &l), ["P1>1001 400 fifo"]);
    assert_eq!(open(&rec, &l, "1001"), m("600"));
    assert_eq!(rec.open_items[0].paid, m("400"));
    assert!(rec.settlements.is_empty());
    assert_eq!(
        attribution(&rec, &l, "P1").rule,
        Some(AttributionRule::ClientId)
    );
    let names: Vec<&str> = rec.invariants.iter().map(|c| c.name.as_str()).collect();
    assert!(names.contains(&"balance per client and currency"));
    assert!(names.contains(&"payments fully accounted"));
    assert!(rec.invariants.iter().all(|c| c.passed));
}

#[test]
fn statement_accounts_join_copies_of_one_client_made_apart() {
    // `inv` gives each invoice its own copy of the client's id, as no ingest would: the
    // statements' accounts, found by the copies' addresses, still hold one account per client.
    let l = ledger(
        &[("C1", "Acme"), ("C2", "Beta")],
        vec![
            inv("1001", "C1", "2026-01-05", "1000"),
            inv("1002", "C2", "2026-01-06", "300"),
            inv("1003", "C1", "2026-01-07", "200"),
        ],
        vec![
            pay("P1", "2026-01-20", "1000").id("C1"),
            pay("P2", "2026-01-21", "100").id("C1"),
        ],
    );
    let rec = run(&config(), &l, "2026-01-31");
    let accounts = crate::report::statements::Accounts::build(&l, &rec, d("2026-01-31"));
    let list: Vec<(&str, &[usize], usize)> = accounts
        .list
        .iter()
        .map(|a| (&*a.client, a.docs.as_slice(), a.allocations.len()))
        .collect();
    assert_eq!(list, [("C1", &[0, 2][..], 2), ("C2", &[1][..], 0)]);
    let c1 = &accounts.list[0];
    assert!(c1.allocations.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(c1.closing(&l, &rec), m("100"));
}

#[test]
fn checks_made_later_equal_the_full_check_and_still_catch_a_wrong_balance() {
    let ledger_now = || {
        ledger(
            &[("C1", "Acme"), ("C2", "Beta")],
            vec![
                inv("1001", "C1", "2026-01-05", "1000"),
                inv("1002", "C2", "2026-01-06", "300"),
            ],
            vec![
                pay("P1", "2026-01-20", "400").id("C1").memo("inv 1001"),
                pay("P2", "2026-01-21", "300").id("C2"),
            ],
        )
    };
    let full = run(&config(), &ledger_now(), "2026-01-31");
    let mut l = ledger_now();
    let (mut rec, _, pending) =
        reconcile_releasing_memos(&config(), &mut l, d("2026-01-31")).expect("checks hold");
    assert!(l.payments.iter().all(|p| p.memo.is_none()));
    assert_eq!(rec.invariants.len(), 2);
    let checks = pending.run(&l, &rec).expect("checks hold");
    PendingChecks::complete(&mut rec, checks);
    assert_eq!(rec.invariants, full.invariants);
    assert_eq!(rec.invariants.len(), 4);

    rec.open_items[0].open += m("1");
    assert!(matches!(
        pending.run(&l, &rec),
        Err(ReconcileError::Invariant { .. })
    ));
}

#[test]
fn one_payment_for_many_invoices_via_hebrew_memo() {
    let l = ledger(
        &[("C1", "כהן ושות' בע\"מ")],
        vec![
            inv("1001", "C1", "2026-01-01", "50"),
            inv("1043", "C1", "2026-01-10", "100"),
            inv("1044", "C1", "2026-01-11", "200"),
            inv("1045", "C1", "2026-01-12", "300"),
        ],
        vec![pay("P1", "2026-01-25", "600")
            .payer("someone")
            .memo("תשלום עבור חשבוניות 1045, 1043 ו-1044")],
    );
    let rec = run(&config(), &l, "2026-01-31");
    let a = attribution(&rec, &l, "P1");
    assert_eq!(a.rule, Some(AttributionRule::Reference));
    assert_eq!(references(a, &l), ["1045", "1043", "1044"]);
    assert_eq!(
        allocs(&rec, &l),
        [
            "P1>1043 100 reference",
            "P1>1044 200 reference",
            "P1>1045 300 reference"
        ]
    );
    assert_eq!(open(&rec, &l, "1001"), m("50"));
    assert_eq!(settled(&rec, &l).len(), 3);
}

#[test]
fn english_memo_with_prefixed_numbers() {
    let l = ledger(
        &[("C1", "Acme")],
        vec![
            inv("INV-1043", "C1", "2026-01-10", "100"),
            inv("INV-1044", "C1", "2026-01-11", "100"),
        ],
        vec![
            pay("P1", "2026-01-25", "100").memo("INV-1044/INV-1043"),
            pay("P2", "2026-01-26", "100").memo("inv 1043"),
        ],
    );
    let rec = run(&config(), &l, "2026-01-31");
    assert_eq!(
        references(attribution(&rec, &l, "P1"), &l),
        ["INV-1044", "INV-1043"]
    );
    assert_eq!(references(attribution(&rec, &l, "P2"), &l), ["INV-1043"]);
    assert_eq!(
        allocs(&rec, &l),
        ["P1>INV-1044 100 reference", "P2>INV-1043 100 reference"]
    );
}

#[test]
fn overpayment_becomes_client_credit() {
    let l = ledger(
        &[("C1", "Acme")],
        vec![inv("1001", "C1", "2026-01-05", "100")],
        vec![pay("P1", "2026-01-20", "350").id("C1")],
    );
    let rec = run(&config(), &l, "2026-01-31");
    assert_eq!(
        allocs(&rec, &l),
        ["P1>1001 100 fifo", "P1>credit 250 credit"]
    );
    assert_eq!(rec.unapplied.len(), 1);
    assert_eq!(rec.unapplied[0].client.as_deref(), Some("C1"));
    assert_eq!(rec.unapplied[0].amount, m("250"));
    assert_eq!(
        &*rec.unapplied[0].reason,
        "paid 250.00 more than the open invoices"
    );
    assert_eq!(rec.balances[0].unapplied_credit, m("250"));
    assert_eq!(rec.balances[0].open, Decimal::ZERO);
    assert_eq!(settled(&rec, &l), [("1001".to_string(), d("2026-01-20"))]);
}

#[test]
fn credit_note_with_reference_goes_to_its_invoice() {
    let mut note = inv("CN-1", "C1", "2026-01-15", "-200");
    note.reference = Some("b-2".into());
    let l = ledger(
        &[("C1", "Acme")],
        vec![
            inv("A-1", "C1", "2026-01-01", "1000"),
            inv("B-2", "C1", "2026-01-02", "500"),
            note,
        ],
        vec![],
    );
    let rec = run(&config(), &l, "2026-01-31");
    assert_eq!(allocs(&rec, &l), ["CN-1>B-2 200 reference"]);
    assert_eq!(open(&rec, &l, "B-2"), m("300"));
    assert_eq!(open(&rec, &l, "A-1"), m("1000"));
    assert_eq!(open(&rec, &l, "CN-1"), Decimal::ZERO);
    // Closed by a credit note alone: no settlement.
    assert!(rec.settlements.is_empty());
}

#[test]
fn credit_note_without_reference_exact_then_fifo_then_stays_open() {
    let l = ledger(
        &[("C1", "Acme"), ("C2", "Beta")],
        vec![
            inv("A-1", "C1", "2026-01-01", "1000"),
            inv("B-2", "C1", "2026-01-02", "500"),
            inv("CN-1", "C1", "2026-01-10", "-500"),
            inv("CN-2", "C1", "2026-01-11", "-300"),
            inv("X-1", "C2", "2026-01-01", "100"),
            inv("CN-9", "C2", "2026-01-05", "-250"),
        ],
        vec![],
    );
    let rec = run(&config(), &l, "2026-01-31");
    assert_eq!(
        allocs(&rec, &l),
        [
            "CN-1>B-2 500 exact-amount",
            "CN-2>A-1 300 fifo",
            "CN-9>X-1 100 fifo"
        ]
    );
    assert_eq!(open(&rec, &l, "A-1"), m("700"));
    assert_eq!(open(&rec, &l, "CN-9"), m("-150"));
    let c2 = rec
        .balances
        .iter()
        .find(|b| &*b.client == "C2")
        .expect("C2 balance");
    assert_eq!(
        (c2.invoiced, c2.credited, c2.open),
        (m("100"), m("250"), m("-150"))
    );
}

#[test]
fn exact_amount_beats_fifo() {
    let l = ledger(
        &[("C1", "Acme")],
        vec![
            inv("1", "C1", "2026-01-01", "300"),
            inv("2", "C1", "2026-01-10", "250"),
        ],
        vec![pay("P1", "2026-01-20", "250").id("C1")],
    );
    let rec = run(&config(), &l, "2026-01-31");
    assert_eq!(allocs(&rec, &l), ["P1>2 250 exact-amount"]);
    assert_eq!(open(&rec, &l, "1"), m("300"));
}

#[test]
fn exact_amount_picks_the_oldest_equal_invoice() {
    let l = ledger(
        &[("C1", "Acme")],
        vec![
            inv("B", "C1", "2026-01-05", "250"),
            inv("A", "C1", "2026-01-03", "250"),
        ],
        vec![pay("P1", "2026-01-20", "250").id("C1")],
    );
    let rec = run(&config(), &l, "2026-01-31");
    assert_eq!(allocs(&rec, &l), ["P1>A 250 exact-amount"]);
}

#[test]
fn discount_inside_and_outside_the_window() {
    let mut cfg = config();
    cfg.discount = Some(Discount {
        percent: m("2"),
        days: 10,
    });
    let l = ledger(
        &[("C1", "Acme"), ("C2", "Beta")],
        vec![
            inv("1", "C1", "2026-01-01", "1000"),
            inv("2", "C2", "2026-01-01", "1000"),
        ],
        vec![
            pay("P1", "2026-01-11", "980").id("C1"),
            pay("P2", "2026-01-12", "980").id("C2"),
        ],
    );
    let rec = run(&cfg, &l, "2026-01-31");
    assert_eq!(
        allocs(&rec, &l),
        ["P1>1 980 discount", "->1 20 discount", "P2>2 980 fifo"]
    );
    let discount = rec
        .allocations
        .iter()
        .find(|a| a.source == AllocationSource::None)
        .expect("discount granted");
    assert_eq!(discount.date, Some(d("2026-01-11")));
    assert_eq!(open(&rec, &l, "1"), Decimal::ZERO);
    assert_eq!(open(&rec, &l, "2"), m("20"));
    assert_eq!(settled(&rec, &l), [("1".to_string(), d("2026-01-11"))]);
    assert_eq!(rec.balances[0].discounts, m("20"));
}

#[test]
fn discount_rounds_half_away_from_zero() {
    let mut cfg = config();
    cfg.discount = Some(Discount {
        percent: m("2"),
        days: 10,
    });
    // 123.25 × 0.98 = 120.785 -> 120.79
    let l = ledger(
        &[("C1", "Acme")],
        vec![inv("1", "C1", "2026-01-01", "123.25")],
        vec![pay("P1", "2026-01-01", "120.79").id("C1")],
    );
    let rec = run(&cfg, &l, "2026-01-31");
    assert_eq!(
        allocs(&rec, &l),
        ["P1>1 120.79 discount", "->1 2.46 discount"]
    );
}

#[test]
fn payment_after_as_of_is_left_out() {
    let l = ledger(
        &[("C1", "Acme")],
        vec![
            inv("1", "C1", "2026-01-05", "100"),
            inv("2", "C1", "2026-02-03", "100"),
        ],
        vec![
            pay("P1", "2026-02-02", "100").id("C1"),
            pay("P2", "2026-01-30", "10").id("C1"),
        ],
    );
    let rec = run(&config(), &l, "2026-01-31");
    assert_eq!(
        rec.left_out,
        LeftOut {
            invoices: 1,
            payments: 1
        }
    );
    assert_eq!(rec.attributions.len(), 1);
    assert_eq!(allocs(&rec, &l), ["P2>1 10 fifo"]);
    assert_eq!(open(&rec, &l, "1"), m("90"));
    assert_eq!(open(&rec, &l, "2"), Decimal::ZERO);
    assert_eq!(rec.as_of, Some(d("2026-01-31")));
}

#[test]
fn back_dated_as_of_keeps_an_invoice_paid_later_open() {
    let l = ledger(
        &[("C1", "Acme")],
        vec![inv("1", "C1", "2026-01-05", "100")],
        vec![pay("P1", "2026-02-10", "100").id("C1").memo("1")],
    );
    let later = run(&config(), &l, "2026-02-28");
    assert_eq!(open(&later, &l, "1"), Decimal::ZERO);
    let month_end = run(&config(), &l, "2026-01-31");
    assert_eq!(open(&month_end, &l, "1"), m("100"));
    assert!(month_end.allocations.is_empty() && month_end.settlements.is_empty());
}

#[test]
fn two_currencies_are_kept_apart() {
    let mut usd = inv("2", "C1", "2026-01-05", "100");
    usd.currency = "USD".into();
    let mut usd_payment = pay("P1", "2026-01-10", "100").id("C1");
    usd_payment.currency = "USD".into();
    let l = ledger(
        &[("C1", "Acme")],
        vec![inv("1", "C1", "2026-01-01", "100"), usd],
        vec![usd_payment, pay("P2", "2026-01-11", "500").id("C1")],
    );
    let rec = run(&config(), &l, "2026-01-31");
    assert_eq!(
        allocs(&rec, &l),
        [
            "P1>2 100 exact-amount",
            "P2>1 100 fifo",
            "P2>credit 400 credit"
        ]
    );
    let currencies: Vec<(&str, Decimal)> = rec
        .balances
        .iter()
        .map(|b| (&*b.currency, b.unapplied_credit))
        .collect();
    assert_eq!(currencies, [("ILS", m("400")), ("USD", Decimal::ZERO)]);
}

#[test]
fn unknown_payer_is_unmatched_with_a_reason() {
    let l = ledger(
        &[("C1", "Acme Widgets")],
        vec![inv("1001", "C1", "2026-01-01", "100")],
        vec![
            pay("P1", "2026-01-10", "100").payer("Totally Unrelated Person"),
            pay("P2", "2026-01-10", "100").id("C9"),
            pay("P3", "2026-01-10", "100"),
        ],
    );
    let rec = run(&config(), &l, "2026-01-31");
    assert!(rec.allocations.is_empty());
    assert_eq!(rec.unapplied.len(), 3);
    assert!(rec
        .unapplied
        .iter()
        .all(|u| u.client.is_none() && u.amount == m("100")));
    assert!(
        rec.unapplied[0].reason.contains("matches no client name"),
        "{}",
        rec.unapplied[0].reason
    );
    assert!(rec.unapplied[1]
        .reason
        .contains("client id \"C9\" is not a known client"));
    assert!(
        rec.unapplied[2].reason.contains("no client id"),
        "{}",
        rec.unapplied[2].reason
    );
}

#[test]
fn client_id_is_matched_trimmed_then_canonically() {
    let l = ledger(
        &[("C007", "Acme"), ("X-1", "Beta"), ("x1", "Gamma")],
        vec![],
        vec![
            pay("P1", "2026-01-10", "1").id(" C007 "),
            pay("P2", "2026-01-10", "1").id("c-7"),
            pay("P3", "2026-01-10", "1").id("X1"),
        ],
    );
    let rec = run(&config(), &l, "2026-01-31");
    assert_eq!(rec.attributions[0].client.as_deref(), Some("C007"));
    assert_eq!(rec.attributions[1].client.as_deref(), Some("C007"));
    // `X1` fits both `X-1` and `x1` canonically: no guess.
    assert_eq!(rec.attributions[2].client, None);
    assert!(rec.attributions[2].note.contains("several clients"));
}

#[test]
fn payer_name_matches_after_normalisation() {
    let l = ledger(
        &[("C1", "ACME Widgets, Ltd."), ("C2", "כהן ושות' בע\"מ")],
        vec![],
        vec![
            pay("P1", "2026-01-10", "1").payer("acme widgets inc"),
            pay("P2", "2026-01-10", "1").payer("כהן ושות׳ בע״מ"),
        ],
    );
    let rec = run(&config(), &l, "2026-01-31");
    assert_eq!(rec.attributions[0].rule, Some(AttributionRule::Name));
    assert_eq!(rec.attributions[1].client.as_deref(), Some("C2"));
}

#[test]
fn fuzzy_payer_is_matched() {
    let l = ledger(
        &[("C1", "Acme Widgets Ltd"), ("C2", "Globex Corporation")],
        vec![inv("1001", "C1", "2026-01-01", "100")],
        vec![pay("P1", "2026-01-10", "100").payer("ACME WIDGETZ")],
    );
    let rec = run(&config(), &l, "2026-01-31");
    let a = attribution(&rec, &l, "P1");
    assert_eq!(a.rule, Some(AttributionRule::FuzzyName));
    assert_eq!(a.client.as_deref(), Some("C1"));
    assert!(a.note.contains("similarity 0.909"), "{}", a.note);
    assert_eq!(allocs(&rec, &l), ["P1>1001 100 exact-amount"]);
}

#[test]
fn fuzzy_tie_is_unmatched() {
    let l = ledger(
        &[("C1", "Levison Brothers"), ("C2", "Levinson Brothers")],
        vec![],
        vec![pay("P1", "2026-01-10", "100").payer("Levisson Brothers")],
    );
    let rec = run(&config(), &l, "2026-01-31");
    let a = attribution(&rec, &l, "P1");
    assert_eq!(a.client, None);
    assert!(a.note.contains("not guessed"), "{}", a.note);
    assert!(a.note.contains("Levison Brothers") && a.note.contains("Levinson Brothers"));
}

#[test]
fn memo_amounts_and_dates_are_not_invoice_numbers() {
    let l = ledger(
        &[("C1", "Acme"), ("C2", "Beta")],
        vec![
            inv("1043", "C2", "2026-01-01", "1043"),
            inv("2026", "C2", "2026-01-01", "1"),
            inv("1104", "C2", "2026-01-01", "1"),
            inv("9000", "C1", "2026-01-01", "1043"),
        ],
        vec![pay("P1", "2026-01-20", "1043")
            .payer("Acme")
            .memo("transfer 1,043.00 on 10.43.2026 (value 2026-11-04), tel 050-123-1043")],
    );
    let rec = run(&config(), &l, "2026-01-31");
    let a = attribution(&rec, &l, "P1");
    assert_eq!(a.rule, Some(AttributionRule::Name));
    assert!(a.references.is_empty());
    assert_eq!(allocs(&rec, &l), ["P1>9000 1043 exact-amount"]);
}

#[test]
fn memo_naming_invoices_of_two_clients_is_not_guessed() {
    let l = ledger(
        &[("C1", "Acme"), ("C2", "Beta")],
        vec![
            inv("1043", "C1", "2026-01-01", "10"),
            inv("2001", "C2", "2026-01-01", "10"),
        ],
        vec![pay("P1", "2026-01-20", "20")
            .payer("Acme")
            .memo("1043 + 2001")],
    );
    let rec = run(&config(), &l, "2026-01-31");
    let a = attribution(&rec, &l, "P1");
    assert_eq!(a.client, None);
    assert!(
        a.note.contains("1043 (client C1)") && a.note.contains("2001 (client C2)"),
        "{}",
        a.note
    );
    assert_eq!(rec.unapplied[0].amount, m("20"));
}

#[test]
fn client_id_keeps_only_its_own_references() {
    let l = ledger(
        &[("C1", "Acme"), ("C2", "Beta")],
        vec![
            inv("1043", "C1", "2026-01-01", "10"),
            inv("1050", "C1", "2026-01-02", "10"),
            inv("2001", "C2", "2026-01-01", "10"),
        ],
        vec![pay("P1", "2026-01-20", "10").id("C1").memo("2001, 1050")],
    );
    let rec = run(&config(), &l, "2026-01-31");
    assert_eq!(references(attribution(&rec, &l, "P1"), &l), ["1050"]);
    assert_eq!(allocs(&rec, &l), ["P1>1050 10 reference"]);
}

#[test]
fn write_off_tolerance_closes_small_rests() {
    let l = ledger(
        &[("C1", "Acme"), ("C2", "Beta")],
        vec![
            inv("1", "C1", "2026-01-01", "100"),
            inv("CN", "C2", "2026-01-01", "-0.40"),
        ],
        vec![pay("P1", "2026-01-10", "99.50").id("C1")],
    );
    let rec = run(&config(), &l, "2026-01-31");
    assert_eq!(open(&rec, &l, "1"), m("0.50"));

    let mut cfg = config();
    cfg.write_off_tolerance = m("1.00");
    let rec = run(&cfg, &l, "2026-01-31");
    assert_eq!(
        allocs(&rec, &l),
        ["P1>1 99.5 fifo", "->1 0.5 write-off", "->CN -0.4 write-off"]
    );
    assert!(rec.open_items.is_empty());
    let write_off = &rec.allocations[1];
    assert_eq!(
        (write_off.date, &write_off.source),
        (None, &AllocationSource::None)
    );
    // A payment plus a write-off settles; the payment's date counts.
    assert_eq!(settled(&rec, &l), [("1".to_string(), d("2026-01-10"))]);
}

#[test]
fn prepaid_invoices_open_at_the_rest() {
    let mut part = inv("1", "C1", "2026-01-01", "1000");
    part.prepaid = m("400");
    let mut whole = inv("2", "C1", "2026-01-02", "500");
    whole.prepaid = m("500");
    let l = ledger(
        &[("C1", "Acme")],
        vec![part, whole],
        vec![pay("P1", "2026-01-10", "600").id("C1")],
    );
    let rec = run(&config(), &l, "2026-01-31");
    assert_eq!(allocs(&rec, &l), ["P1>1 600 exact-amount"]);
    assert!(rec.open_items.is_empty());
    assert_eq!(settled(&rec, &l), [("1".to_string(), d("2026-01-10"))]);
    assert_eq!(rec.balances[0].prepaid, m("900"));
}

#[test]
fn payment_dated_before_its_invoice_settles_it() {
    let l = ledger(
        &[("C1", "Acme")],
        vec![inv("1", "C1", "2026-01-15", "300")],
        vec![pay("P1", "2026-01-01", "300").id("C1")],
    );
    let rec = run(&config(), &l, "2026-01-31");
    assert_eq!(allocs(&rec, &l), ["P1>1 300 exact-amount"]);
    assert_eq!(settled(&rec, &l), [("1".to_string(), d("2026-01-01"))]);
}

#[test]
fn payments_and_credit_notes_interleave_by_date_then_id() {
    let l = ledger(
        &[("C1", "Acme")],
        vec![
            inv("1", "C1", "2026-01-01", "100"),
            inv("2", "C1", "2026-01-02", "100"),
            inv("CN-1", "C1", "2026-01-05", "-60"),
        ],
        vec![
            pay("P2", "2026-01-05", "70").id("C1"),
            pay("P1", "2026-01-05", "30").id("C1"),
            pay("P0", "2026-01-04", "10").id("C1"),
        ],
    );
    let rec = run(&config(), &l, "2026-01-31");
    // Processed: P0 (Jan 4), then on Jan 5 by id "CN-1" < "P1" < "P2"; so CN-1 takes 60 of
    // invoice 1 before P1 finds exactly 30 open on it. Listed by date, then source (payments
    // before credit notes).
    assert_eq!(
        allocs(&rec, &l),
        [
            "P0>1 10 fifo",
            "P1>1 30 exact-amount",
            "P2>2 70 fifo",
            "CN-1>1 60 fifo"
        ]
    );
    assert_eq!(settled(&rec, &l), [("1".to_string(), d("2026-01-05"))]);
}

/// The checks catch a tampered reconciliation: an amount off by a cent, or an allocation
/// recorded under another client than its document's and payment's.
#[test]
fn invariant_checks_catch_tampering() {
    let l = ledger(
        &[("C1", "Acme"), ("C2", "Beta")],
        vec![
            inv("1", "C1", "2026-01-01", "100"),
            inv("2", "C2", "2026-01-01", "100"),
        ],
        vec![
            pay("P1", "2026-01-10", "40").id("C1"),
            pay("P2", "2026-01-10", "100").id("C2"),
        ],
    );
    let rec = run(&config(), &l, "2026-01-31");
    let all = |n: usize| vec![true; n];
    let check = |rec: &Reconciliation| {
        super::invariants::check(&l, rec, &all(l.invoices.len()), &all(l.payments.len()))
    };
    assert!(check(&rec).is_ok());

    let mut off = rec.clone();
    off.allocations[0].amount += m("0.01");
    let err = check(&off)
        .expect_err("an amount off by a cent")
        .to_string();
    assert!(err.contains("C1 (ILS)"), "{err}");

    let mut moved = rec.clone();
    let a = moved
        .allocations
        .iter_mut()
        .find(|a| &*a.client == "C2")
        .expect("an allocation of C2");
    a.client = "C1".into();
    assert!(check(&moved).is_err());
}

#[test]
fn error_text_names_client_currency_and_detail() {
    let e = ReconcileError::Invariant {
        client: "C1".to_string(),
        currency: "ILS".to_string(),
        detail: "difference 0.01".to_string(),
    };
    assert_eq!(
        e.to_string(),
        "invariant failed for client C1 (ILS): difference 0.01"
    );
}

/// A made-up company name, distinct enough that typos stay closest to their origin.
fn company_name(i: usize) -> String {
    const SYLLABLES: &[&str] = &[
        "ka", "lo", "mi", "ter", "van", "os", "bri", "del", "ux", "shan", "po", "rek", "ti", "gam",
        "ze", "nor",
    ];
    let mut state = (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x5851_F42D;
    let mut word = |len: usize| -> String {
        (0..len)
            .map(|_| {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1);
                SYLLABLES[usize::try_from(state >> 60).unwrap_or(0)]
            })
            .collect()
    };
    format!("{} {} {i}", word(3), word(3))
}

/// A larger run that exercises the indexes end to end; it asserts results only, never time.
#[test]
fn many_clients_and_payments_attribute_consistently() {
    let clients: Vec<(String, String)> = (0..3000)
        .map(|i| (format!("C{i:05}"), company_name(i)))
        .collect();
    let client_refs: Vec<(&str, &str)> = clients
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let invoices: Vec<Invoice> = (0..3000)
        .map(|i| {
            inv(
                &format!("INV-{}", 100_000 + i),
                &clients[i].0,
                "2026-01-01",
                "100",
            )
        })
        .collect();
    let payments: Vec<Payment> = (0..6000)
        .map(|i| {
            let c = i % 3000;
            let p = pay(&format!("P{i}"), "2026-01-10", "50");
            match i % 3 {
                0 => p.memo(&format!("inv {}", 100_000 + c)),
                1 => p.payer(&clients[c].1),
                _ => p.payer(&format!("{}x", clients[c].1)),
            }
        })
        .collect();
    let l = ledger(&client_refs, invoices, payments);
    let rec = run(&config(), &l, "2026-01-31");
    let mut fuzzy_matched = 0;
    for a in &rec.attributions {
        let expected = &clients[a.payment % 3000].0;
        if a.payment % 3 == 2 {
            // A typo may tie with a look-alike (then unmatched) but never picks the wrong client.
            assert!(
                a.client.is_none() || a.client.as_deref() == Some(expected.as_str()),
                "{}",
                a.note
            );
            fuzzy_matched += usize::from(a.client.is_some());
        } else {
            assert_eq!(a.client.as_deref(), Some(expected.as_str()), "{}", a.note);
        }
    }
    assert!(
        fuzzy_matched > 1900,
        "{fuzzy_matched} of 2000 typos matched"
    );
}
