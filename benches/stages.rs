//! Benchmarks of the hot stages of `arrears run`, on a synthetic month written once into a
//! temporary folder: value parsing, attribution with memo scanning (inside `reconcile`),
//! allocation (also with withholding and bank fees on, and one `exact-set` search at its
//! largest), aging and classification, and CSV writing.
//!
//! ```text
//! cargo bench --bench stages            # all, medians printed by divan
//! cargo bench --bench stages -- reconcile
//! ```
//!
//! The workbook and the letters are benchmarked on the same month: `write_xlsx`, and
//! `letters_html` / `letters_pdf` (with `--features pdf`, the default) with a letters-per-second
//! throughput.

use std::fmt::Write as _;
use std::path::Path;
use std::sync::OnceLock;

use arrears::config::{Config, Overrides};
use arrears::ingest::table::Cell;
use arrears::ingest::{self, value, Ledger};
use arrears::model::DateOrder;
use arrears::reconcile::{self, Reconciliation};
use chrono::NaiveDate;
use divan::Bencher;

const CLIENTS: usize = 2_000;
const INVOICES: usize = 20_000;
const PAYMENTS: usize = 20_000;

fn main() {
    divan::main();
}

fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 30).expect("date")
}

/// A small deterministic generator (splitmix64), so the bench data is the same every run.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) % n as u64) as usize
    }
}

/// Writes invoices.csv, payments.csv and clients.csv with the usual mess: a title row, text
/// amounts with thousands separators, day-first dates, memos naming invoices, payer names
/// without ids, partial payments.
fn write_month(dir: &Path) {
    let mut rng = Rng(7);
    let mut clients = String::from("Acme — clients\n\nClient ID,Client Name,Payment Terms\n");
    for c in 0..CLIENTS {
        let _ = writeln!(clients, "C-{c:05},Client {c} Trading Ltd,net 30");
    }
    let mut invoices = String::from(
        "Acme — invoices\n\nInvoice No,Invoice Date,Due Date,Client ID,Client Name,Amount,Currency\n",
    );
    let mut amounts = Vec::with_capacity(INVOICES);
    for i in 0..INVOICES {
        let c = rng.below(CLIENTS);
        let day = 1 + rng.below(28);
        let month = 6 + rng.below(6);
        let cents = 10_000 + rng.below(2_000_000);
        amounts.push((c, cents));
        let _ = writeln!(
            invoices,
            "INV-{i:07},{day:02}/{month:02}/2026,,C-{c:05},Client {c} Trading Ltd,\"{},{:03}.{:02}\",ILS",
            cents / 100_000,
            cents / 100 % 1000,
            cents % 100
        );
    }
    let mut payments = String::from("Bank\n\nDate,Reference,Description,Payer,Credit,Currency\n");
    for p in 0..PAYMENTS {
        let i = rng.below(INVOICES);
        let (c, cents) = amounts[i];
        let day = 1 + rng.below(28);
        let month = 6 + rng.below(6);
        let (memo, paid) = match p % 4 {
            0 => (format!("transfer inv {i} thanks"), cents),
            1 => (format!("INV-{i:07}"), cents / 2),
            2 => ("monthly payment".to_string(), cents),
            _ => ("".to_string(), cents + 100),
        };
        let _ = writeln!(
            payments,
            "{day:02}/{month:02}/2026,{},{memo},Client {c} Trading,{}.{:02},ILS",
            70_000_000 + p,
            paid / 100,
            paid % 100
        );
    }
    std::fs::write(dir.join("clients.csv"), clients).expect("write");
    std::fs::write(dir.join("invoices.csv"), invoices).expect("write");
    std::fs::write(dir.join("payments.csv"), payments).expect("write");
    std::fs::write(
        dir.join("arrears.toml"),
        "[inputs]\ninvoices = [\"invoices.csv\"]\npayments = [\"payments.csv\"]\nclients = [\"clients.csv\"]\n[discount]\npercent = 2\ndays = 10\n",
    )
    .expect("write");
}

struct Month {
    _dir: tempfile::TempDir,
    config: Config,
    ledger: Ledger,
    recon: Reconciliation,
}

fn month() -> &'static Month {
    static MONTH: OnceLock<Month> = OnceLock::new();
    MONTH.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        write_month(dir.path());
        let config =
            Config::load(Some(dir.path()), None, &Overrides::default()).expect("bench config");
        let ledger = ingest::ingest(&config).expect("bench ingest");
        let recon = reconcile::reconcile(&config, &ledger, as_of()).expect("bench reconcile");
        Month {
            _dir: dir,
            config,
            ledger,
            recon,
        }
    })
}

/// Text amounts in the shapes exports use.
#[divan::bench]
fn parse_amount_text(bencher: Bencher) {
    let cells: Vec<Cell> = [
        "1,234.56", "₪1,234", "$ 99", "(120.00)", "120.00-", "ILS 5000", "1.234,56", "5664.00",
    ]
    .iter()
    .cycle()
    .take(10_000)
    .map(|t| Cell::Text((*t).into()))
    .collect();
    bencher.bench(|| {
        cells
            .iter()
            .filter(|c| value::parse_amount(divan::black_box(c)).is_ok())
            .count()
    });
}

/// Day-first text dates and real spreadsheet numbers.
#[divan::bench]
fn parse_date_text(bencher: Bencher) {
    let cells: Vec<Cell> = (0..10_000)
        .map(|i| match i % 3 {
            0 => Cell::Text(format!("{:02}/{:02}/2026", 1 + i % 28, 1 + i % 12).into()),
            1 => Cell::Text(format!("{:02}.{:02}.2026", 1 + i % 28, 1 + i % 12).into()),
            _ => Cell::Number(f64::from(46_000 + i % 300)),
        })
        .collect();
    bencher.bench(|| {
        cells
            .iter()
            .filter(|c| value::parse_date(divan::black_box(c), DateOrder::DayFirst).is_ok())
            .count()
    });
}

/// Whole ingest of the synthetic month: read, decode, find headers, parse rows.
#[divan::bench(sample_count = 10)]
fn ingest_month() -> Ledger {
    ingest::ingest(&month().config).expect("ingest")
}

/// Attribution (client ids, memo scanning, names, fuzzy names) and allocation per client, with
/// the invariant checks.
#[divan::bench(sample_count = 10)]
fn reconcile_month() -> Reconciliation {
    let m = month();
    reconcile::reconcile(&m.config, &m.ledger, as_of()).expect("reconcile")
}

/// As `reconcile_month`, with the rules of SPEC section 11 that need configuring on as well
/// (withholding at 5 %, bank fees up to 50.00); `exact-set` runs in both.
#[divan::bench(sample_count = 10)]
fn reconcile_month_rules() -> Reconciliation {
    let m = month();
    let mut config = m.config.clone();
    config.allocation.withholding_rates = vec![rust_decimal::Decimal::from(5)];
    config.allocation.fee_max = rust_decimal::Decimal::from(50);
    reconcile::reconcile(&config, &m.ledger, as_of()).expect("reconcile")
}

/// One `exact-set` search at its largest: 25 open balances, a lump sum that many subsets stay
/// under, so both halves list thousands of subsets.
#[divan::bench]
fn exact_set_25_invoices(bencher: Bencher) {
    let values: Vec<i64> = (0..25).map(|i| 10_000 + i * 7_919 % 5_003).collect();
    let target: i64 = values.iter().skip(3).step_by(3).sum::<i64>() + 1;
    bencher.bench(|| reconcile::exact_sets_for_bench(divan::black_box(&values), target));
}

/// Aging, behaviour, levels, risk and the worklist.
#[divan::bench(sample_count = 10)]
fn classify_month() -> arrears::classify::Classification {
    let m = month();
    arrears::classify::classify(
        &m.config,
        &m.ledger,
        &m.recon,
        as_of(),
        &std::collections::BTreeMap::new(),
    )
}

/// The CSV files of the run folder.
#[divan::bench(sample_count = 10)]
fn write_csv(bencher: Bencher) {
    let m = month();
    let class = arrears::classify::classify(
        &m.config,
        &m.ledger,
        &m.recon,
        as_of(),
        &std::collections::BTreeMap::new(),
    );
    let out = tempfile::tempdir().expect("temp dir");
    bencher.bench(|| {
        use arrears::report::csv;
        let dir = out.path();
        csv::write_open_items(dir, &m.ledger, &class).expect("write");
        csv::write_clients(dir, &m.config, &class).expect("write");
        csv::write_allocations(dir, &m.ledger, &m.recon).expect("write");
        csv::write_unapplied(dir, &m.ledger, &m.recon).expect("write");
        csv::write_issues(dir, &m.ledger.issues).expect("write");
        csv::write_worklist(dir, &m.config, &m.ledger, &class).expect("write");
    });
}

/// The month as `arrears run` computes it, for the writers.
fn outcome() -> &'static arrears::report::Input {
    static OUTCOME: OnceLock<arrears::report::Input> = OnceLock::new();
    OUTCOME.get_or_init(|| {
        let history = arrears::history::History::default();
        arrears::app::compute(&month().config, as_of(), &history).expect("compute")
    })
}

/// `aging-report.xlsx`: seven sheets, charts, formulas.
#[divan::bench(sample_count = 5)]
fn write_xlsx(bencher: Bencher) {
    let o = outcome();
    let out = tempfile::tempdir().expect("temp dir");
    bencher.bench(|| arrears::report::xlsx::write(out.path(), &month().config, o).expect("write"));
}

/// Every letter of the month in one format, rendered on all threads and written; the
/// throughput is letters per second.
fn letters(bencher: Bencher, format: &str) {
    let o = outcome();
    let mut config = month().config.clone();
    config.letter_formats = vec![format.to_string()];
    let head = arrears::report::letters::Letterhead::load(&config).expect("templates");
    let out = tempfile::tempdir().expect("temp dir");
    bencher
        .counter(divan::counter::ItemsCount::new(o.class.letters.len()))
        .bench(|| {
            arrears::report::letters::write(
                out.path(),
                &config,
                &head,
                &o.ledger,
                &o.class,
                o.as_of,
            )
            .expect("letters");
        });
}

/// HTML letters (the target: at least 1,000 a second).
#[divan::bench(sample_count = 5)]
fn letters_html(bencher: Bencher) {
    letters(bencher, "html");
}

/// PDF letters, typeset by Typst, plus the combined print run (the target: 2,000 in under a
/// minute).
#[cfg(feature = "pdf")]
#[divan::bench(sample_count = 2)]
fn letters_pdf(bencher: Bencher) {
    letters(bencher, "pdf");
}
