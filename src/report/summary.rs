//! The closing summary of `arrears run`: a short, aligned text for the terminal (colours only
//! on a terminal, never when `NO_COLOR` is set), or the same facts as JSON for scripts.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use rust_decimal::Decimal;
use serde::Serialize;

use crate::config::Config;
use crate::history::{Changes, Recorded};
use crate::model::{display_money, format_money, Severity};
use crate::report::Input;

/// Whether to colour the text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    Plain,
    Colour,
}

impl Style {
    /// Colour when stdout is a terminal and `NO_COLOR` is not set.
    #[must_use]
    pub fn detect() -> Style {
        use std::io::IsTerminal;
        if std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none() {
            Style::Colour
        } else {
            Style::Plain
        }
    }

    fn paint(self, code: &str, text: &str) -> String {
        match self {
            Style::Plain => text.to_string(),
            Style::Colour => format!("\x1b[{code}m{text}\x1b[0m"),
        }
    }

    fn bold(self, text: &str) -> String {
        self.paint("1", text)
    }

    fn warn(self, text: &str) -> String {
        self.paint("33", text)
    }

    fn bad(self, text: &str) -> String {
        self.paint("31;1", text)
    }

    fn good(self, text: &str) -> String {
        self.paint("32", text)
    }
}

/// Open amounts of one currency. Amounts are plain (`1234.50`) for scripts; the text form
/// groups thousands.
#[derive(Serialize)]
pub struct CurrencyOpen<'a> {
    pub currency: &'a str,
    pub total: String,
    pub overdue: String,
    pub buckets: Vec<BucketAmount<'a>>,
    #[serde(skip)]
    amounts: Vec<Decimal>,
    #[serde(skip)]
    totals: (Decimal, Decimal),
}

/// One bucket's open amount.
#[derive(Serialize)]
pub struct BucketAmount<'a> {
    pub bucket: &'a str,
    pub amount: String,
}

/// The facts every form of the summary shows.
#[derive(Serialize)]
pub struct Facts<'a> {
    pub as_of: String,
    pub folder: String,
    pub invoices: usize,
    pub payments: usize,
    pub clients: usize,
    pub left_out_invoices: usize,
    pub left_out_payments: usize,
    /// Per currency: open and overdue totals and the buckets, in bucket order.
    pub open: Vec<CurrencyOpen<'a>>,
    pub levels: BTreeMap<&'a str, usize>,
    pub risks: BTreeMap<&'static str, usize>,
    pub letters: usize,
    pub held: usize,
    pub unmatched_payments: usize,
    pub client_credits: usize,
    /// Clients (and currencies) whose credit exceeds what they owe.
    pub net_credit: Vec<String>,
    pub errors: usize,
    pub warnings: usize,
    pub invariants_passed: usize,
    pub invariants: usize,
    pub history: String,
    pub changes: &'a Changes,
    pub look_first: Vec<String>,
}

/// Collects the facts of a finished run.
#[must_use]
pub fn facts<'a>(
    config: &'a Config,
    o: &'a Input,
    folder: &Path,
    recorded: Option<&Recorded>,
) -> Facts<'a> {
    let class = &o.class;
    let open = class
        .totals
        .iter()
        .map(|(currency, buckets)| {
            let total: Decimal = buckets.iter().copied().sum();
            let overdue: Decimal = buckets.iter().skip(1).copied().sum();
            CurrencyOpen {
                currency,
                total: format_money(total, currency),
                overdue: format_money(overdue, currency),
                buckets: class
                    .bucket_labels
                    .iter()
                    .zip(buckets)
                    .map(|(l, a)| BucketAmount {
                        bucket: l,
                        amount: format_money(*a, currency),
                    })
                    .collect(),
                amounts: buckets.clone(),
                totals: (total, overdue),
            }
        })
        .collect();
    // Levels and risks count clients (the highest of their currencies).
    let mut per_client: BTreeMap<&str, (Option<usize>, crate::classify::Risk)> = BTreeMap::new();
    for c in &class.clients {
        let e = per_client
            .entry(c.client.as_str())
            .or_insert((None, c.risk));
        e.0 = e.0.max(c.level);
        e.1 = e.1.max(c.risk);
    }
    let mut levels = BTreeMap::new();
    let mut risks = BTreeMap::new();
    for (level, risk) in per_client.values() {
        let name = level.map_or("none", |l| config.dunning_levels[l].name.as_str());
        *levels.entry(name).or_default() += 1;
        *risks.entry(risk.as_str()).or_default() += 1;
    }
    let unmatched = o.recon.unmatched_payments();
    let client_credits = o
        .recon
        .unapplied
        .iter()
        .filter(|u| u.client.is_some())
        .count();
    let errors = o
        .ledger
        .issues
        .iter()
        .filter(|i| i.severity == Severity::Error)
        .count();
    let warnings = o
        .ledger
        .issues
        .iter()
        .filter(|i| i.severity == Severity::Warning)
        .count();
    let checks: Vec<_> = o.recon.invariants.iter().chain(&o.row_checks).collect();
    let history = match recorded {
        Some(Recorded::Added { letters, replaced: 0 }) => format!("{letters} letters recorded"),
        Some(Recorded::Added { letters, replaced }) => {
            format!("{letters} letters recorded, replacing {replaced} of an earlier run for the same date")
        }
        Some(Recorded::BackDated { last }) => format!(
            "not updated: it already holds letters of {last}, later than this as-of date (a past month reproduced)"
        ),
        None => "not updated (dry run)".to_string(),
    };
    let mut look_first = Vec::new();
    if errors > 0 {
        look_first.push(format!(
            "{}: issues.csv",
            count(
                errors,
                "row left out with an error",
                "rows left out with errors"
            )
        ));
    }
    if unmatched > 0 {
        look_first.push(format!(
            "{} matched to no client: unapplied.csv",
            count(unmatched, "payment", "payments")
        ));
    }
    let collections = config
        .dunning_levels
        .iter()
        .filter(|l| !l.letter)
        .map(|l| l.name.as_str());
    for name in collections {
        if let Some(n) = levels.get(name).filter(|n| **n > 0) {
            look_first.push(format!(
                "{} at {name}: hand over (worklist.csv)",
                count(*n, "client", "clients")
            ));
        }
    }
    let certificates: BTreeMap<&str, Decimal> = class
        .clients
        .iter()
        .filter(|c| c.withheld > Decimal::ZERO)
        .fold(BTreeMap::new(), |mut m, c| {
            *m.entry(c.currency.as_str()).or_default() += c.withheld;
            m
        });
    if !certificates.is_empty() {
        let clients = class
            .clients
            .iter()
            .filter(|c| c.withheld > Decimal::ZERO)
            .map(|c| c.client.as_str())
            .collect::<std::collections::BTreeSet<_>>()
            .len();
        let amounts: Vec<String> = certificates
            .iter()
            .map(|(cur, amount)| format!("{} {cur}", display_money(*amount, cur)))
            .collect();
        look_first.push(format!(
            "withholding certificates to collect: {} withheld at source by {}: worklist.csv",
            amounts.join(", "),
            count(clients, "client", "clients")
        ));
    }
    if let Some(&top) = class
        .worklist
        .first()
        .filter(|&&top| class.clients[top].overdue > Decimal::ZERO)
    {
        let c = &class.clients[top];
        look_first.push(format!(
            "first call: {} ({} {} overdue, {} days): worklist.csv",
            c.name,
            display_money(c.overdue, &c.currency),
            c.currency,
            c.oldest_days_overdue
        ));
    }
    Facts {
        as_of: o.as_of.to_string(),
        folder: folder.display().to_string(),
        invoices: o.ledger.invoices.len(),
        payments: o.ledger.payments.len(),
        clients: o.ledger.clients.len(),
        left_out_invoices: o.recon.left_out.invoices,
        left_out_payments: o.recon.left_out.payments,
        open,
        levels,
        risks,
        letters: class.letters.len(),
        held: class.held.len(),
        unmatched_payments: unmatched,
        client_credits,
        net_credit: class
            .net_credit
            .iter()
            .map(|&i| format!("{} {}", class.clients[i].client, class.clients[i].currency))
            .collect(),
        errors,
        warnings,
        invariants_passed: checks.iter().filter(|c| c.passed).count(),
        invariants: checks.len(),
        history,
        changes: &o.changes,
        look_first,
    }
}

fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The summary as aligned text.
#[must_use]
pub fn text(config: &Config, f: &Facts<'_>, style: Style) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{}",
        style.bold(&format!("arrears — run as of {}", f.as_of))
    );
    let _ = writeln!(
        s,
        "  read       {} invoices and credit notes, {} payments, {} clients",
        f.invoices, f.payments, f.clients
    );
    if f.left_out_invoices + f.left_out_payments > 0 {
        let _ = writeln!(
            s,
            "  left out   {} invoices and {} payments dated after {}",
            f.left_out_invoices, f.left_out_payments, f.as_of
        );
    }
    for open in &f.open {
        let currency = open.currency;
        let shown: Vec<String> = open
            .amounts
            .iter()
            .map(|a| display_money(*a, currency))
            .collect();
        let total = display_money(open.totals.0, currency);
        let width = shown
            .iter()
            .map(String::len)
            .chain([total.len()])
            .max()
            .unwrap_or(0);
        let _ = writeln!(s);
        let _ = writeln!(
            s,
            "  {}  {total:>width$}   overdue {}",
            style.bold(&format!("open {currency:<4}")),
            display_money(open.totals.1, currency)
        );
        for (bucket, amount) in open.buckets.iter().zip(&shown) {
            let _ = writeln!(s, "    {:<9} {amount:>width$}", bucket.bucket);
        }
    }
    let _ = writeln!(s);
    let levels: Vec<String> = std::iter::once("none")
        .chain(config.dunning_levels.iter().map(|l| l.name.as_str()))
        .filter_map(|name| f.levels.get(name).map(|n| format!("{name} {n}")))
        .collect();
    let _ = writeln!(s, "  levels     {}", levels.join(", "));
    let risks: Vec<String> = ["high", "medium", "low"]
        .iter()
        .filter_map(|r| f.risks.get(r).map(|n| format!("{r} {n}")))
        .collect();
    let _ = writeln!(s, "  risk       {}", risks.join(", "));
    let _ = writeln!(s, "  letters    {} due, {} held back", f.letters, f.held);
    let unmatched = format!("{} unmatched", f.unmatched_payments);
    let unmatched = if f.unmatched_payments > 0 {
        style.warn(&unmatched)
    } else {
        unmatched
    };
    let _ = writeln!(
        s,
        "  payments   {unmatched}, {} client credits (unapplied.csv)",
        f.client_credits
    );
    if !f.net_credit.is_empty() {
        let _ = writeln!(
            s,
            "  in credit  {} (we owe them: net_balance below 0 in clients.csv)",
            f.net_credit.join(", ")
        );
    }
    let errors = format!("{} errors", f.errors);
    let errors = if f.errors > 0 {
        style.bad(&errors)
    } else {
        errors
    };
    let _ = writeln!(
        s,
        "  issues     {errors}, {} warnings (issues.csv)",
        f.warnings
    );
    let checks = format!(
        "{} of {} invariants hold",
        f.invariants_passed, f.invariants
    );
    let checks = if f.invariants_passed == f.invariants {
        style.good(&checks)
    } else {
        style.bad(&checks)
    };
    let _ = writeln!(s, "  checks     {checks}");
    let ch = f.changes;
    if let Some(prev) = &ch.previous_run {
        let _ = writeln!(
            s,
            "  since {prev}: {} newly overdue, {} escalated, {} cured, {} promises broken, {} new unmatched payments",
            ch.newly_overdue.len(),
            ch.escalated.len(),
            ch.cured.len(),
            ch.promises_broken.len(),
            ch.new_unmatched.len()
        );
    }
    let _ = writeln!(s, "  history    {}", f.history);
    let _ = writeln!(s, "  written    {}", style.bold(&f.folder));
    if !f.look_first.is_empty() {
        let _ = writeln!(s, "\n  look first:");
        for line in &f.look_first {
            let _ = writeln!(s, "    - {line}");
        }
    }
    s
}
