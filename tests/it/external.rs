//! The public IBM accounts-receivable sample (tests/fixtures/external): every invoice was
//! settled on a known date, so the tool's payment-behaviour columns and open items must agree
//! with the file's own `DaysToSettle` and `DaysLate` at any as-of date.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::{Decimal, RoundingStrategy};

use crate::support::{col, read_csv, root, Arrears};

struct Row {
    customer: String,
    invoice: String,
    date: NaiveDate,
    amount: Decimal,
    settled: NaiveDate,
    days_to_settle: i64,
    days_late: i64,
}

fn source_rows() -> Vec<Row> {
    let path = root().join("tests/fixtures/external/ibm-accounts-receivable.csv");
    let mut reader = csv::Reader::from_path(&path).unwrap();
    let headers = reader.headers().unwrap().clone();
    let idx = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let date = |s: &str| NaiveDate::parse_from_str(s, "%m/%d/%Y").unwrap();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            Row {
                customer: r[idx("customerID")].to_string(),
                invoice: r[idx("invoiceNumber")].to_string(),
                date: date(&r[idx("InvoiceDate")]),
                amount: r[idx("InvoiceAmount")].parse().unwrap(),
                settled: date(&r[idx("SettledDate")]),
                days_to_settle: r[idx("DaysToSettle")].parse().unwrap(),
                days_late: r[idx("DaysLate")].parse().unwrap(),
            }
        })
        .collect()
}

fn mean(sum: i64, n: i64) -> String {
    let m = (Decimal::from(sum) / Decimal::from(n))
        .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    format!("{m:.2}")
}

fn check_as_of(as_of: &str) {
    let as_of_date = NaiveDate::parse_from_str(as_of, "%Y-%m-%d").unwrap();
    let rows = source_rows();
    assert_eq!(rows.len(), 2466);
    let out = tempfile::tempdir().unwrap();
    Arrears::new()
        .arg("run")
        .arg(root().join("tests/fixtures/external/ibm"))
        .args(["--as-of", as_of, "--out"])
        .arg(out.path())
        .expect_code(0);
    let run = out.path().join(as_of);

    // Payment behaviour per customer: invoices dated and settled on or before the as-of date.
    let mut expected: BTreeMap<&str, (i64, i64, i64)> = BTreeMap::new();
    for r in &rows {
        if r.date <= as_of_date && r.settled <= as_of_date {
            let e = expected.entry(&r.customer).or_default();
            e.0 += 1;
            e.1 += r.days_to_settle;
            e.2 += r.days_late;
        }
    }
    let (header, clients) = read_csv(&run.join("clients.csv"));
    let (id, settled, to_pay, late) = (
        col(&header, "client_id"),
        col(&header, "settled_count"),
        col(&header, "mean_days_to_pay"),
        col(&header, "mean_days_late"),
    );
    let mut seen = 0;
    for c in &clients {
        let Some(&(n, pay, lt)) = expected.get(c[id].as_str()) else {
            assert_eq!(c[settled], "0", "{}", c[id]);
            continue;
        };
        seen += 1;
        assert_eq!(c[settled], n.to_string(), "settled count of {}", c[id]);
        assert_eq!(c[to_pay], mean(pay, n), "mean days to pay of {}", c[id]);
        assert_eq!(c[late], mean(lt, n), "mean days late of {}", c[id]);
    }
    assert_eq!(
        seen,
        expected.len(),
        "every customer with settled invoices is in clients.csv"
    );

    // Open items: dated on or before as-of, settled after it.
    let mut open: BTreeMap<String, Decimal> = rows
        .iter()
        .filter(|r| r.date <= as_of_date && r.settled > as_of_date)
        .map(|r| (r.invoice.trim_start_matches('0').to_string(), r.amount))
        .collect();
    let (header, items) = read_csv(&run.join("open-items.csv"));
    let (inv, amount) = (col(&header, "invoice"), col(&header, "open"));
    for item in &items {
        let key = item[inv].trim_start_matches('0').to_string();
        let want = open
            .remove(&key)
            .unwrap_or_else(|| panic!("unexpected open item {}", item[inv]));
        assert_eq!(
            item[amount].parse::<Decimal>().unwrap(),
            want,
            "open amount of {}",
            item[inv]
        );
    }
    assert!(
        open.is_empty(),
        "open items missing from open-items.csv: {open:?}"
    );
}

#[test]
fn ibm_settlement_figures_match_at_year_end() {
    check_as_of("2013-12-31");
}

#[test]
fn ibm_settlement_figures_match_mid_history() {
    check_as_of("2013-03-31");
}
