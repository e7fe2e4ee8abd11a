//! The settings of the smaller sections, checked and with their defaults: the dunning ladder,
//! the aging basis, the early-payment discount, the allocation rules (`[withholding]`,
//! `[fees]`, `[allocation]`), `[letters]` and `[statements]`.

use std::path::{Path, PathBuf};

use rust_decimal::Decimal;
use serde::Deserialize;

use super::{decimal, invalid, ConfigError, RawAllocation, RawFees, RawStatements, RawWithholding};

/// One step of the dunning ladder.
#[derive(Clone, Debug, Deserialize, serde::Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct DunningLevel {
    pub name: String,
    /// Days overdue that trigger the level; negative means "falls due within that many days".
    pub days: i64,
    #[serde(default = "yes")]
    pub letter: bool,
}

fn yes() -> bool {
    true
}

/// Early-payment discount: `percent` off when paid within `days` of the invoice date.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Discount {
    pub percent: Decimal,
    pub days: u32,
}

/// What days overdue are counted from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AgingBasis {
    DueDate,
    InvoiceDate,
}

impl AgingBasis {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            AgingBasis::DueDate => "due-date",
            AgingBasis::InvoiceDate => "invoice-date",
        }
    }
}

/// The allocation rules of SPEC section 11 that depend on the configuration.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AllocationSettings {
    /// `[withholding] rates`: the withholding-tax rates at source on the company's
    /// certificates, in percent (above 0, at most 100), tried in this order.
    pub withholding_rates: Vec<Decimal>,
    /// `[fees] max`: the largest shortfall closed as a bank fee; 0 turns the rule off.
    pub fee_max: Decimal,
    /// `[allocation] skip`: rules turned off by name.
    pub skip: Vec<String>,
}

impl AllocationSettings {
    /// The rules `[allocation] skip` may name: the ones that settle by a guess about the
    /// amount. `reference`, `fifo`, `credit` and `write-off` always apply.
    pub const SKIPPABLE: [&'static str; 5] = [
        "exact-amount",
        "exact-set",
        "withholding",
        "bank-fee",
        "discount",
    ];

    /// Whether the rule named `rule` runs (it is not in `[allocation] skip`).
    #[must_use]
    pub fn runs(&self, rule: &str) -> bool {
        !self.skip.iter().any(|s| s == rule)
    }
}

/// `[withholding]`, `[fees]` and `[allocation]`, checked.
pub(super) fn allocation_settings(
    cfg_path: &Path,
    withholding: &RawWithholding,
    fees: &RawFees,
    allocation: &RawAllocation,
) -> Result<AllocationSettings, ConfigError> {
    let mut withholding_rates = Vec::new();
    for value in &withholding.rates {
        let rate = decimal(cfg_path, "withholding.rates", value)?;
        if rate <= Decimal::ZERO || rate > Decimal::ONE_HUNDRED {
            return Err(invalid(
                cfg_path,
                "withholding.rates",
                rate,
                "expected the rate on a withholding certificate in percent, above 0 and at \
                 most 100, such as rates = [5]",
            ));
        }
        if !withholding_rates.contains(&rate) {
            withholding_rates.push(rate);
        }
    }
    let fee_max = match &fees.max {
        None => Decimal::ZERO,
        Some(v) => decimal(cfg_path, "fees.max", v)?,
    };
    if fee_max.is_sign_negative() {
        return Err(invalid(
            cfg_path,
            "fees.max",
            fee_max,
            "expected the largest bank fee to close, 0 or more, such as max = 50.00",
        ));
    }
    for rule in &allocation.skip {
        if !AllocationSettings::SKIPPABLE.contains(&rule.as_str()) {
            let always = ["reference", "fifo", "credit", "write-off"];
            let message = if always.contains(&rule.as_str()) {
                format!(
                    "the rule \"{rule}\" always applies and cannot be skipped; rules that can: {}",
                    AllocationSettings::SKIPPABLE.join(", ")
                )
            } else {
                format!(
                    "unknown rule name; rules that can be skipped: {}",
                    AllocationSettings::SKIPPABLE.join(", ")
                )
            };
            return Err(invalid(
                cfg_path,
                "allocation.skip",
                format!("\"{rule}\""),
                &message,
            ));
        }
    }
    Ok(AllocationSettings {
        withholding_rates,
        fee_max,
        skip: allocation.skip.clone(),
    })
}

/// `[letters]` settings that shape what the letters say.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LetterSettings {
    /// A folder of templates (`<language>/<level>.<format>.tera`) that override the built-in
    /// ones file by file.
    pub templates: Option<PathBuf>,
    /// Annual interest rate in percent, simple interest on the days overdue; `None` shows no
    /// interest.
    pub interest_rate: Option<Decimal>,
    /// Instalments of the payment plan offered in the final notice.
    pub payment_plan_instalments: u32,
    /// Days from the letter date to the deadline a final notice sets (and the first instalment).
    pub deadline_days: u32,
    /// `rf_references`: every invoice line shows its RF creditor reference (ISO 11649).
    pub rf_references: bool,
}

impl Default for LetterSettings {
    fn default() -> LetterSettings {
        LetterSettings {
            templates: None,
            interest_rate: None,
            payment_plan_instalments: 3,
            deadline_days: 14,
            rf_references: false,
        }
    }
}

/// `[statements]`: which statements of account to write and the activity period.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StatementSettings {
    /// `open-item` and/or `activity`, in that order, each once; empty writes none.
    pub kinds: Vec<String>,
    /// The activity period: the `period_days` days ending on the as-of date (default 90).
    pub period_days: u32,
}

/// The statement kinds of SPEC section 14, in the order they are written.
pub const STATEMENT_KINDS: [&str; 2] = ["open-item", "activity"];

pub(super) fn statement_settings(
    path: &Path,
    raw: RawStatements,
) -> Result<StatementSettings, ConfigError> {
    for kind in &raw.kinds {
        if !STATEMENT_KINDS.contains(&kind.as_str()) {
            return Err(invalid(
                path,
                "statements.kinds",
                kind,
                "allowed: \"open-item\", \"activity\"",
            ));
        }
    }
    let period_days = raw.period_days.unwrap_or(90);
    if !(1..=3660).contains(&period_days) {
        return Err(invalid(
            path,
            "statements.period_days",
            period_days,
            "expected 1 to 3660 days",
        ));
    }
    Ok(StatementSettings {
        kinds: STATEMENT_KINDS
            .iter()
            .filter(|k| raw.kinds.iter().any(|r| r == *k))
            .map(|k| (*k).to_string())
            .collect(),
        period_days,
    })
}

/// The letter formats written when `[letters] formats` is not set: every format this build
/// supports.
#[must_use]
pub fn default_letter_formats() -> Vec<String> {
    let mut formats = vec!["html".to_string(), "txt".to_string(), "eml".to_string()];
    if cfg!(feature = "pdf") {
        formats.push("pdf".to_string());
    }
    formats
}

/// The default ladder of SPEC section 6.
#[must_use]
pub fn default_levels() -> Vec<DunningLevel> {
    let level = |name: &str, days: i64, letter: bool| DunningLevel {
        name: name.to_string(),
        days,
        letter,
    };
    vec![
        level("courtesy", -7, true),
        level("reminder-1", 5, true),
        level("reminder-2", 30, true),
        level("final-notice", 60, true),
        level("collections", 90, false),
    ]
}
