//! Hand-checked reconciliation scenarios and property tests over random ledgers.

use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;

use chrono::NaiveDate;
use proptest::prelude::*;
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

// ---------------------------------------------------------------- properties

const NAMES: &[&str] = &[
    "Acme Widgets",
    "Acme Widget",
    "Beta Bros",
    "כהן ושות",
    "Delta Ltd",
];

#[derive(Clone, Debug)]
struct Spec {
    invoices: Vec<(usize, i64, u32, i64, i64, bool)>, // client, amount (cents), day, prepaid %, kind/currency selector, ref
    payments: Vec<(usize, i64, u32, u8, u8)>, // client, amount (cents), day, route, currency
    discount: bool,
    tolerance: i64,
    as_of: u32,
}

fn spec() -> impl Strategy<Value = Spec> {
    let invoice = (
        0..5usize,
        1..50_000i64,
        0..60u32,
        0..3i64,
        0..6i64,
        any::<bool>(),
    );
    let payment = (0..5usize, 1..60_000i64, 0..60u32, 0..6u8, 0..4u8);
    (
        proptest::collection::vec(invoice, 0..14),
        proptest::collection::vec(payment, 0..16),
        any::<bool>(),
        0..3i64,
        20..70u32,
    )
        .prop_map(|(invoices, payments, discount, tolerance, as_of)| Spec {
            invoices,
            payments,
            discount,
            tolerance,
            as_of,
        })
}

fn build(spec: &Spec) -> (Config, Ledger, NaiveDate) {
    let base = d("2026-01-01");
    let day = |n: u32| base + chrono::Days::new(u64::from(n));
    let clients: Vec<(String, &str)> = NAMES
        .iter()
        .enumerate()
        .map(|(i, n)| (format!("C{i}"), *n))
        .collect();
    let mut invoices = Vec::new();
    for (k, &(c, cents, dd, prepaid, sel, reference)) in spec.invoices.iter().enumerate() {
        let credit = sel == 0;
        let amount = Decimal::new(if credit { -cents / 4 } else { cents }, 2);
        let mut i = inv(&format!("{}", 1000 + k), &clients[c].0, "2026-01-01", "0");
        i.date = day(dd);
        i.due = day(dd + 30);
        i.amount = amount;
        i.kind = if credit {
            DocKind::CreditNote
        } else {
            DocKind::Invoice
        };
        i.currency = if sel == 5 { "USD" } else { "ILS" }.into();
        if !credit && prepaid == 1 {
            i.prepaid = (amount / Decimal::TWO).round_dp(2);
        }
        if credit && reference && k > 0 {
            i.reference = Some(format!("{}", 1000 + k - 1).into());
        }
        invoices.push(i);
    }
    let mut payments = Vec::new();
    for (k, &(c, cents, dd, route, cur)) in spec.payments.iter().enumerate() {
        let mut p = pay(&format!("P{k:02}"), "2026-01-01", "1");
        p.date = day(dd);
        p.amount = Decimal::new(cents, 2);
        p.currency = if cur == 0 { "USD" } else { "ILS" }.into();
        let n = invoices.len().max(1);
        match route {
            0 => p.client_id = Some(clients[c].0.as_str().into()),
            1 => {
                p.memo = Some(format!("inv {} and {}", 1000 + (k % n), 1000 + (k * 7 % n)).into());
                if k % 3 == 0 {
                    p.withheld = Some(Decimal::new(cents / 20, 2));
                }
            }
            2 => p.payer = Some(clients[c].1.into()),
            3 => p.payer = Some(format!("{}z", clients[c].1).into()),
            4 => p.memo = Some(format!("תשלום {} ו-{}", 1000 + (k % n), cents).into()),
            _ => p.payer = Some("nobody at all".into()),
        }
        payments.push(p);
    }
    let client_refs: Vec<(&str, &str)> = clients.iter().map(|(a, b)| (a.as_str(), *b)).collect();
    let ledger = ledger(&client_refs, invoices, payments);
    let mut cfg = config();
    if spec.discount {
        cfg.discount = Some(Discount {
            percent: m("2"),
            days: 10,
        });
    }
    cfg.write_off_tolerance = Decimal::new(spec.tolerance * 50, 2);
    if spec.tolerance == 1 {
        // The rules of SPEC section 11 on as well: withholding at 5 % and fees up to 3.00.
        cfg.allocation.withholding_rates = vec![m("5")];
        cfg.allocation.fee_max = m("3.00");
    }
    (cfg, ledger, day(spec.as_of))
}

fn in_pool(threads: usize, cfg: &Config, ledger: &Ledger, as_of: NaiveDate) -> String {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("thread pool");
    let rec = pool
        .install(|| reconcile(cfg, ledger, as_of))
        .expect("invariants hold");
    format!("{rec:?}")
}

/// The reconciliation with payment and invoice indices replaced by ids, so that runs over
/// differently ordered inputs can be compared.
fn by_ids(rec: &Reconciliation, ledger: &Ledger) -> String {
    let pid = |p: usize| ledger.payments[p].id.clone();
    let num = |i: usize| ledger.invoices[i].number.clone();
    let mut attributions: Vec<String> = rec
        .attributions
        .iter()
        .map(|a| {
            format!(
                "{} {:?} {:?} {:?} {}",
                pid(a.payment),
                a.client,
                a.rule,
                references(a, ledger),
                a.note
            )
        })
        .collect();
    attributions.sort();
    let mut unapplied: Vec<String> = rec
        .unapplied
        .iter()
        .map(|u| {
            format!(
                "{} {:?} {} {} {}",
                pid(u.payment),
                u.client,
                u.amount,
                u.currency,
                u.reason
            )
        })
        .collect();
    unapplied.sort();
    let open: Vec<String> = rec
        .open_items
        .iter()
        .map(|o| format!("{} {} {}", num(o.invoice), o.paid, o.open))
        .collect();
    let mut settlements: Vec<String> = rec
        .settlements
        .iter()
        .map(|s| format!("{} {}", num(s.invoice), s.paid_on))
        .collect();
    settlements.sort();
    // Sources and invoices by id and number: payment indices differ between the orders.
    let allocations: Vec<String> = rec
        .allocations
        .iter()
        .map(|a| {
            format!(
                "{:?} {} {} {:?} {} {} {}",
                a.date,
                a.source.id(ledger),
                a.client,
                a.invoice_number(ledger),
                a.amount,
                a.currency,
                a.rule
            )
        })
        .collect();
    format!(
        "{attributions:?}\n{allocations:?}\n{open:?}\n{unapplied:?}\n{settlements:?}\n{:?}\n{:?}",
        rec.balances, rec.left_out
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn invariants_hold_and_threads_do_not_matter(spec in spec()) {
        let (cfg, ledger, as_of) = build(&spec);
        let one = in_pool(1, &cfg, &ledger, as_of);
        let four = in_pool(4, &cfg, &ledger, as_of);
        prop_assert_eq!(one, four);
    }

    #[test]
    fn input_order_of_payments_does_not_matter(spec in spec(), seed in any::<u64>()) {
        let (cfg, ledger, as_of) = build(&spec);
        let rec = reconcile(&cfg, &ledger, as_of).expect("invariants hold");
        let mut shuffled = ledger.clone();
        // A deterministic shuffle from the seed (Fisher-Yates with an LCG).
        let mut state = seed | 1;
        for i in (1..shuffled.payments.len()).rev() {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            let j = usize::try_from(state >> 33).unwrap_or(0) % (i + 1);
            shuffled.payments.swap(i, j);
        }
        let again = reconcile(&cfg, &shuffled, as_of).expect("invariants hold");
        prop_assert_eq!(by_ids(&rec, &ledger), by_ids(&again, &shuffled));
    }

    #[test]
    fn every_payment_is_accounted_for(spec in spec()) {
        let (cfg, ledger, as_of) = build(&spec);
        let rec = reconcile(&cfg, &ledger, as_of).expect("invariants hold");
        for a in &rec.attributions {
            let p = &ledger.payments[a.payment];
            let applied: Decimal = rec
                .allocations
                .iter()
                .filter(|x| x.source == AllocationSource::Payment(a.payment))
                .map(|x| x.amount)
                .sum();
            if a.client.is_some() {
                prop_assert_eq!(applied, p.amount);
            } else {
                prop_assert_eq!(applied, Decimal::ZERO);
                prop_assert!(rec.unapplied.iter().any(|u| u.payment == a.payment && u.amount == p.amount));
            }
        }
        for item in &rec.open_items {
            prop_assert!(item.open.abs() > cfg.write_off_tolerance || cfg.write_off_tolerance.is_zero());
        }
    }
}

/// Scale check for the release build, run by hand:
/// `cargo test --release --lib scale_100k_clients_1m_payments -- --ignored --nocapture`.
/// It prints timings and asserts only results.
#[test]
#[ignore = "takes a release build and a few seconds; run by hand"]
fn scale_100k_clients_1m_payments() {
    // Low-entropy names (16 syllables): every bigram is common, the filter's worst case.
    if std::env::var_os("SCALE_SYLLABLES").is_some() {
        scale(company_name);
    }
    // Names of random letters: closer to real names in how rare their bigrams are.
    scale(letter_name);
}

/// Two or three words of 3–9 random letters.
fn letter_name(i: usize) -> String {
    let mut state = (i as u64).wrapping_mul(0x2545_F491_4F6C_DD1D) ^ 0x1234_5678;
    let mut next = |n: u64| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        usize::try_from((state >> 33) % n).unwrap_or(0)
    };
    let words = 2 + next(2);
    let mut name = String::new();
    for w in 0..words {
        if w > 0 {
            name.push(' ');
        }
        for _ in 0..3 + next(7) {
            name.push(char::from(b'a' + u8::try_from(next(26)).unwrap_or(0)));
        }
    }
    name
}

fn scale(make_name: fn(usize) -> String) {
    let n_clients = 100_000;
    let clients: Vec<(String, String)> = (0..n_clients)
        .map(|i| (format!("C{i:06}"), make_name(i)))
        .collect();
    let client_refs: Vec<(&str, &str)> = clients
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let invoices: Vec<Invoice> = (0..2 * n_clients)
        .map(|i| {
            inv(
                &format!("INV-{}", 1_000_000 + i),
                &clients[i % n_clients].0,
                "2026-01-01",
                "100",
            )
        })
        .collect();
    let payments: Vec<Payment> = (0..1_000_000)
        .map(|i| {
            let c = (i * 7) % n_clients;
            let p = pay(&format!("P{i:07}"), "2026-01-10", "30");
            match i % 20 {
                0..=5 => p.id(&clients[c].0),
                6..=11 => p.memo(&format!(
                    "transfer 1,250.00 for inv {} 10.01.2026",
                    1_000_000 + c
                )),
                12..=16 => p.payer(&clients[c].1.to_uppercase()),
                17..=18 => p.payer(&format!("{}x", clients[c].1)),
                _ => p.payer(&format!("unknown payer {i}")),
            }
        })
        .collect();
    let l = ledger(&client_refs, invoices, payments);
    let in_run = vec![true; l.invoices.len()];
    let all: Vec<usize> = (0..l.payments.len()).collect();
    let start = std::time::Instant::now();
    let attributed = super::attribute::attribute(&l, &in_run, &all);
    let attribution_time = start.elapsed();
    let matched = attributed.iter().filter(|a| a.client.is_some()).count();
    let start = std::time::Instant::now();
    let rec = run(&config(), &l, "2026-01-31");
    let total_time = start.elapsed();
    eprintln!(
        "attribution: {attribution_time:?} ({matched} of {} matched); full reconcile: {total_time:?}; {} allocations",
        attributed.len(),
        rec.allocations.len()
    );
    assert!(matched >= 930_000);
}

// ---------------------------------------------------------------- SPEC section 11

fn rules_config() -> Config {
    let mut cfg = config();
    cfg.allocation.withholding_rates = vec![m("5")];
    cfg.allocation.fee_max = m("50.00");
    cfg
}

#[test]
fn exact_set_settles_the_one_set_that_fits() {
    let l = ledger(
        &[("C1", "Acme")],
        vec![
            inv("1", "C1", "2026-01-01", "100.00"),
            inv("2", "C1", "2026-01-02", "250.50"),
            inv("3", "C1", "2026-01-03", "400.00"),
            inv("4", "C1", "2026-01-04", "75.25"),
        ],
        vec![pay("P1", "2026-02-10", "475.25").id("C1")],
    );
    let rec = run(&config(), &l, "2026-02-28");
    assert_eq!(
        allocs(&rec, &l),
        ["P1>3 400 exact-set", "P1>4 75.25 exact-set"]
    );
    assert_eq!(open(&rec, &l, "1"), m("100"));
    assert!(rec.issues.is_empty());
}

#[test]
fn two_sets_that_fit_are_reported_and_fifo_decides() {
    let l = ledger(
        &[("C1", "Acme")],
        vec![
            inv("1", "C1", "2026-01-01", "300.00"),
            inv("2", "C1", "2026-01-02", "300.00"),
            inv("3", "C1", "2026-01-03", "500.00"),
        ],
        vec![pay("P1", "2026-02-10", "800.00").id("C1")],
    );
    let rec = run(&config(), &l, "2026-02-28");
    assert_eq!(
        allocs(&rec, &l),
        ["P1>1 300 fifo", "P1>2 300 fifo", "P1>3 200 fifo"]
    );
    assert_eq!(rec.issues.len(), 1);
    let issue = &rec.issues[0];
    assert_eq!(issue.severity, crate::model::Severity::Info);
    assert!(
        issue
            .message
            .starts_with("several sets of invoices match this payment: 1 + 3; 2 + 3"),
        "{}",
        issue.message
    );
    assert_eq!(issue.row, Some(2));
}

#[test]
fn exact_set_can_be_skipped() {
    let mut cfg = config();
    cfg.allocation.skip = vec!["exact-set".to_string()];
    let l = ledger(
        &[("C1", "Acme")],
        vec![
            inv("1", "C1", "2026-01-01", "100"),
            inv("2", "C1", "2026-01-02", "200"),
            inv("3", "C1", "2026-01-03", "300"),
        ],
        vec![pay("P1", "2026-02-10", "400").id("C1")],
    );
    let rec = run(&cfg, &l, "2026-02-28");
    assert_eq!(
        allocs(&rec, &l),
        ["P1>1 100 fifo", "P1>2 200 fifo", "P1>3 100 fifo"]
    );
    let rec = run(&config(), &l, "2026-02-28");
    assert_eq!(
        allocs(&rec, &l),
        ["P1>1 100 exact-set", "P1>3 300 exact-set"]
    );
}

#[test]
fn withholding_on_named_invoices_within_a_minor_unit_each() {
    let l = ledger(
        &[("C1", "Acme")],
        vec![
            inv("1001", "C1", "2026-01-01", "1000.00"),
            inv("1002", "C1", "2026-01-02", "333.33"),
        ],
        // 950.00 + 316.66 = 1266.66; paid one minor unit more.
        vec![pay("P1", "2026-02-10", "1266.67")
            .id("C1")
            .memo("inv 1001, 1002")],
    );
    let rec = run(&rules_config(), &l, "2026-02-28");
    assert_eq!(
        allocs(&rec, &l),
        [
            "P1>1001 950.01 reference",
            "P1>1002 316.66 reference",
            "->1001 49.99 withholding",
            "->1002 16.67 withholding"
        ]
    );
    assert!(rec.open_items.is_empty());
    assert_eq!(rec.balances[0].withheld, m("66.66"));
    // Two minor units off on one invoice: not withholding; the fee rule closes the rest.
    let l = ledger(
        &[("C1", "Acme")],
        vec![inv("1001", "C1", "2026-01-01", "1000.00")],
        vec![pay("P1", "2026-02-10", "950.02").id("C1").memo("inv 1001")],
    );
    let mut cfg = rules_config();
    cfg.allocation.fee_max = Decimal::ZERO;
    let rec = run(&cfg, &l, "2026-02-28");
    assert_eq!(allocs(&rec, &l), ["P1>1001 950.02 reference"]);
    assert_eq!(open(&rec, &l, "1001"), m("49.98"));
    let l = ledger(
        &[("C1", "Acme")],
        vec![inv("1001", "C1", "2026-01-01", "1000.00")],
        vec![pay("P1", "2026-02-10", "949.99").id("C1").memo("inv 1001")],
    );
    let rec = run(&cfg, &l, "2026-02-28");
    assert_eq!(
        allocs(&rec, &l),
        ["P1>1001 949.99 reference", "->1001 50.01 withholding"]
    );
}

#[test]
fn withholding_on_an_unnamed_payment_after_exact_set() {
    let l = ledger(
        &[("C1", "Acme")],
        vec![
            inv("1", "C1", "2026-01-01", "2000.00"),
            inv("2", "C1", "2026-01-05", "1000.00"),
        ],
        vec![pay("P1", "2026-02-10", "950.00").id("C1")],
    );
    let rec = run(&rules_config(), &l, "2026-02-28");
    assert_eq!(
        allocs(&rec, &l),
        ["P1>2 950 exact-amount", "->2 50 withholding"]
    );
    assert_eq!(open(&rec, &l, "1"), m("2000"));
    // Withholding rows carry no payment id.
    assert!(rec
        .allocations
        .iter()
        .filter(|a| a.rule == AllocationRule::Withholding)
        .all(|a| a.source == AllocationSource::None));
}

#[test]
fn a_clients_own_rate_replaces_the_configured_ones() {
    let mut l = ledger(
        &[("C1", "Acme")],
        vec![inv("1", "C1", "2026-01-01", "1000.00")],
        vec![pay("P1", "2026-02-10", "970.00").id("C1")],
    );
    let mut cfg = rules_config();
    cfg.allocation.fee_max = Decimal::ZERO;
    let rec = run(&cfg, &l, "2026-02-28");
    assert_eq!(allocs(&rec, &l), ["P1>1 970 fifo"]);
    l.clients.get_mut("C1").expect("client").withholding = Some(m("3"));
    let rec = run(&cfg, &l, "2026-02-28");
    assert_eq!(
        allocs(&rec, &l),
        ["P1>1 970 exact-amount", "->1 30 withholding"]
    );
}

#[test]
fn a_stated_withheld_amount_wins_over_the_rates() {
    let mut p = pay("R1", "2026-02-10", "900.00").memo("receipt for 1001 1002");
    p.withheld = Some(m("100.00"));
    let l = ledger(
        &[("C1", "Acme")],
        vec![
            inv("1001", "C1", "2026-01-01", "600.00"),
            inv("1002", "C1", "2026-01-02", "400.00"),
        ],
        vec![p],
    );
    let rec = run(&rules_config(), &l, "2026-02-28");
    assert_eq!(
        allocs(&rec, &l),
        [
            "R1>1001 540 reference",
            "R1>1002 360 reference",
            "->1001 60 withholding",
            "->1002 40 withholding"
        ]
    );
    assert!(rec.open_items.is_empty());
    // Unnamed: the invoice it pays together with the withheld amount.
    let mut p = pay("R2", "2026-02-10", "900.00").id("C1");
    p.withheld = Some(m("100.00"));
    let l = ledger(
        &[("C1", "Acme")],
        vec![
            inv("1", "C1", "2026-01-01", "900.00"),
            inv("2", "C1", "2026-01-02", "1000.00"),
        ],
        vec![p],
    );
    let rec = run(&config(), &l, "2026-02-28");
    assert_eq!(
        allocs(&rec, &l),
        ["R2>2 900 exact-amount", "->2 100 withholding"]
    );
}

#[test]
fn bank_fee_just_below_and_just_above_the_maximum() {
    let named = |amount: &str| {
        ledger(
            &[("C1", "Acme")],
            vec![inv("1001", "C1", "2026-01-01", "1234.00")],
            vec![pay("P1", "2026-02-10", amount).id("C1").memo("INV 1001")],
        )
    };
    let mut cfg = config();
    cfg.allocation.fee_max = m("50.00");
    let l = named("1184.00");
    let rec = run(&cfg, &l, "2026-02-28");
    assert_eq!(
        allocs(&rec, &l),
        ["P1>1001 1184 reference", "->1001 50 bank-fee"]
    );
    assert_eq!(rec.balances[0].fees, m("50"));
    let l = named("1183.99");
    let rec = run(&cfg, &l, "2026-02-28");
    assert_eq!(allocs(&rec, &l), ["P1>1001 1183.99 reference"]);
    assert_eq!(open(&rec, &l, "1001"), m("50.01"));
    // Unnamed: the invoice it falls short of by the least.
    let unnamed = |amount: &str| {
        ledger(
            &[("C1", "Acme")],
            vec![
                inv("1", "C1", "2026-01-01", "1234.00"),
                inv("2", "C1", "2026-01-02", "1210.00"),
            ],
            vec![pay("P1", "2026-02-10", amount).id("C1")],
        )
    };
    let l = unnamed("1200.00");
    let rec = run(&cfg, &l, "2026-02-28");
    assert_eq!(
        allocs(&rec, &l),
        ["P1>2 1200 exact-amount", "->2 10 bank-fee"]
    );
    let l = unnamed("1159.99");
    let rec = run(&cfg, &l, "2026-02-28");
    assert_eq!(allocs(&rec, &l), ["P1>1 1159.99 fifo"]);
}

#[test]
fn rf_references_settle_and_wrong_check_digits_are_ignored() {
    let good = super::rf::grouped(&super::rf::reference("2026-0045").expect("reference"));
    let l = ledger(
        &[("C1", "Acme"), ("C2", "Beta")],
        vec![
            inv("2026-0045", "C1", "2026-01-01", "500"),
            inv("7788", "C2", "2026-01-01", "700"),
        ],
        vec![
            pay("P1", "2026-02-10", "500").memo(&format!("transfer {}", good.to_lowercase())),
            // Wrong check digits around invoice number 7788: ignored whole.
            pay("P2", "2026-02-11", "700").memo("RF00 7788"),
            pay("P3", "2026-02-12", "100").memo(&good.replace(' ', "")),
        ],
    );
    let rec = run(&config(), &l, "2026-02-28");
    let a = attribution(&rec, &l, "P1");
    assert_eq!(a.rule, Some(AttributionRule::Reference));
    assert_eq!(references(a, &l), ["2026-0045"]);
    let a = attribution(&rec, &l, "P2");
    assert_eq!(a.client, None);
    assert_eq!(attribution(&rec, &l, "P3").client.as_deref(), Some("C1"));
    // The rest of the memo still counts.
    let l2 = ledger(
        &[("C2", "Beta")],
        vec![inv("7788", "C2", "2026-01-01", "700")],
        vec![pay("P2", "2026-02-11", "700").memo("RF00 7788 - invoice 7788")],
    );
    let rec2 = run(&config(), &l2, "2026-02-28");
    assert_eq!(attribution(&rec2, &l2, "P2").client.as_deref(), Some("C2"));
    assert_eq!(allocs(&rec, &l)[0], "P1>2026-0045 500 reference");
}

#[test]
fn a_discount_inside_its_window_is_not_a_bank_fee() {
    let mut cfg = config();
    cfg.allocation.fee_max = m("50.00");
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
            // Outside the window the same shortfall is a fee.
            pay("P2", "2026-01-12", "980").id("C2"),
        ],
    );
    let rec = run(&cfg, &l, "2026-01-31");
    assert_eq!(
        allocs(&rec, &l),
        [
            "P1>1 980 discount",
            "->1 20 discount",
            "P2>2 980 exact-amount",
            "->2 20 bank-fee"
        ]
    );
}
