//! The one validated configuration, built once from `arrears.toml` and the command line before
//! any data is read. Every key of the file is optional; unknown keys are an error that names
//! them; paths are relative to the file's folder.
//!
//! The file as written (the `Raw*` sections serde reads), the validated [`Config`] and the
//! command line's [`Overrides`] are here; `load.rs` turns the one into the other. Sections that
//! need more than a line of checking have a file of their own: `company.rs` (letterhead, per
//! language), `settings.rs` (dunning ladder, aging, discount, allocation rules, letters,
//! statements), `smtp.rs` (the mail server) and `inputs.rs` (the input files, named or found).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::Deserialize;

use crate::model::{DateOrder, Terms};

pub use company::{Company, CompanyText};
pub use inputs::{discovery_words, Inputs, STATEMENT_EXTENSIONS};
pub use settings::{
    default_letter_formats, default_levels, AgingBasis, AllocationSettings, Discount, DunningLevel,
    LetterSettings, StatementSettings, STATEMENT_KINDS,
};
pub use smtp::{load_smtp, Security, Smtp};

mod company;
mod inputs;
mod load;
mod settings;
mod smtp;

/// The name of the configuration file looked for in the input folder.
pub const CONFIG_FILE: &str = "arrears.toml";

/// A configuration that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The file is not valid TOML or has an unknown key or a value of the wrong type.
    #[error("{path}: {message}")]
    Parse { path: PathBuf, message: String },
    /// A value is of the right type but not allowed.
    #[error("{path}: `{key}` = {value}: {message}")]
    Invalid {
        path: PathBuf,
        key: String,
        value: String,
        message: String,
    },
    /// An input pattern matched no file, or a required input kind has none.
    #[error("{0}")]
    Inputs(String),
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawConfig {
    default_currency: Option<String>,
    date_order: Option<String>,
    default_terms: Option<String>,
    write_off_tolerance: Option<toml::Value>,
    inputs: RawInputs,
    invoices: RawTable,
    payments: RawTable,
    clients: RawTable,
    discount: Option<RawDiscount>,
    aging: RawAging,
    dunning: RawDunning,
    company: RawCompany,
    letters: RawLetters,
    output: RawOutput,
    smtp: Option<RawSmtp>,
    withholding: RawWithholding,
    fees: RawFees,
    allocation: RawAllocation,
    statements: RawStatements,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawWithholding {
    rates: Vec<toml::Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawFees {
    max: Option<toml::Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawAllocation {
    skip: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawStatements {
    kinds: Vec<String>,
    period_days: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawInputs {
    invoices: Vec<String>,
    payments: Vec<String>,
    clients: Vec<String>,
    encoding: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawTable {
    columns: BTreeMap<String, String>,
    sheet: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDiscount {
    percent: toml::Value,
    days: u32,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawAging {
    basis: Option<String>,
    buckets: Option<Vec<u32>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawDunning {
    min_amount: Option<toml::Value>,
    repeat_after_days: Option<u32>,
    levels: Option<Vec<DunningLevel>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawLetters {
    formats: Option<Vec<String>>,
    language: Option<String>,
    templates: Option<String>,
    interest_rate: Option<toml::Value>,
    payment_plan_instalments: Option<u32>,
    deadline_days: Option<u32>,
    rf_references: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawOutput {
    dir: Option<String>,
    workbook_rtl: Option<bool>,
}

/// `[company]` as written: the known keys, and the rest, which must be language sub-tables.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawCompany {
    name: Option<String>,
    address: Option<String>,
    phone: Option<String>,
    email: Option<String>,
    website: Option<String>,
    vat_id: Option<String>,
    bank_details: Option<String>,
    payment_methods: Vec<String>,
    logo: Option<String>,
    signature: Option<String>,
    #[serde(flatten)]
    other: BTreeMap<String, toml::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSmtp {
    host: String,
    port: Option<u16>,
    security: Option<String>,
    username: Option<String>,
    password_env: Option<String>,
    per_minute: Option<u32>,
    bcc: Option<String>,
}

/// The validated settings of one run.
#[derive(Clone, Debug)]
pub struct Config {
    /// The file the settings came from, if any.
    pub path: Option<PathBuf>,
    /// The folder relative paths are resolved against.
    pub base_dir: PathBuf,
    pub default_currency: String,
    pub date_order: DateOrder,
    pub default_terms: Terms,
    pub write_off_tolerance: Decimal,
    pub inputs: Inputs,
    pub discount: Option<Discount>,
    pub aging_basis: AgingBasis,
    pub buckets: Vec<u32>,
    pub dunning_min_amount: Decimal,
    pub repeat_after_days: u32,
    pub dunning_levels: Vec<DunningLevel>,
    pub company: Company,
    pub letter_formats: Vec<String>,
    pub language: String,
    /// Letter settings beyond formats and language (`[letters]`).
    pub letters: LetterSettings,
    pub output_dir: PathBuf,
    /// `[output] workbook_rtl`: the sheets of `aging-report.xlsx` run right to left.
    pub workbook_rtl: bool,
    /// `[statements]`: the statements of account a run writes (SPEC section 14).
    pub statements: StatementSettings,
    /// The configuration file's text, recorded in `run.json`.
    pub source_text: String,
    /// `[smtp]`: how `arrears send` reaches the office's mail server.
    pub smtp: Option<Smtp>,
    /// `[withholding]`, `[fees]` and `[allocation]`: the optional allocation rules.
    pub allocation: AllocationSettings,
}

/// Command-line inputs that override the file.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    pub invoices: Vec<PathBuf>,
    pub payments: Vec<PathBuf>,
    pub clients: Vec<PathBuf>,
    pub out: Option<PathBuf>,
    /// `--currency`: replaces `default_currency`.
    pub currency: Option<String>,
    /// `--date-order`: replaces `date_order`.
    pub date_order: Option<String>,
    /// `--terms`: replaces `default_terms`.
    pub terms: Option<String>,
}

fn invalid(path: &Path, key: &str, value: impl std::fmt::Display, message: &str) -> ConfigError {
    ConfigError::Invalid {
        path: path.to_path_buf(),
        key: key.to_string(),
        value: value.to_string(),
        message: message.to_string(),
    }
}

fn decimal(path: &Path, key: &str, value: &toml::Value) -> Result<Decimal, ConfigError> {
    let text = match value {
        toml::Value::Integer(i) => i.to_string(),
        toml::Value::Float(f) => f.to_string(),
        toml::Value::String(s) => s.trim().to_string(),
        other => return Err(invalid(path, key, other, "expected a number")),
    };
    Decimal::from_str(&text).map_err(|_| invalid(path, key, value, "expected a number"))
}

#[cfg(test)]
mod tests {
    use super::{Config, ConfigError, Overrides};

    pub(super) fn load(text: &str) -> Result<Config, ConfigError> {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(super::CONFIG_FILE), text).unwrap();
        Config::load(Some(dir.path()), None, &Overrides::default())
    }

    pub(super) fn message(text: &str) -> String {
        match load(text) {
            Ok(_) => panic!("accepted:\n{text}"),
            Err(err) => err.to_string(),
        }
    }

    #[test]
    fn an_unknown_key_is_named() {
        let msg = message("[dunning]\nrepeat_after = 14\n");
        assert!(msg.contains("repeat_after"), "{msg}");
        let msg = message("[company]\nbank = \"x\"\n");
        assert!(msg.contains("company.bank"), "{msg}");
        assert!(msg.contains("bank_details"), "the allowed keys: {msg}");
    }

    #[test]
    fn a_bad_value_names_the_key_and_the_allowed_values() {
        let msg = message("[letters]\nformats = [\"docx\"]\n");
        assert!(msg.contains("letters.formats"), "{msg}");
        assert!(msg.contains("\"html\""), "{msg}");
        let msg = message("[letters]\nlanguage = \"\"\n");
        assert!(msg.contains("letters.language"), "{msg}");
        let msg = message("[statements]\nkinds = [\"balance\"]\n");
        assert!(msg.contains("statements.kinds"), "{msg}");
        let msg = message("[statements]\nperiod_days = 0\n");
        assert!(msg.contains("statements.period_days"), "{msg}");
    }
}
