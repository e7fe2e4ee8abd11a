//! The allocation rules of SPEC section 11: exact sets, withholding tax at source, bank fees
//! and RF creditor references.

use super::*;
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
