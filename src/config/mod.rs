//! The one validated configuration, built once from `arrears.toml` and the command line before
//! any data is read. Every key of the file is optional; unknown keys are an error that names
//! them; paths are relative to the file's folder.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::Deserialize;

use crate::ingest::source::{has_extension, SPREADSHEET_EXTENSIONS, TEXT_EXTENSIONS};
use crate::model::TableKind;
use crate::model::{DateOrder, Terms};

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

/// Letterhead and payment details printed on letters.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Company {
    pub name: Option<String>,
    pub address: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub website: Option<String>,
    pub vat_id: Option<String>,
    pub bank_details: Option<String>,
    pub payment_methods: Vec<String>,
    pub logo: Option<String>,
    pub signature: Option<String>,
    /// `[company.<language>]`: the wording of letters in that language, over the keys above
    /// (a bilingual office writes its name, address, bank details, payment methods and
    /// signature in each language).
    pub languages: BTreeMap<String, CompanyText>,
}

/// `[company.<language>]`: what changes with the letter's language.
#[derive(Clone, Debug, Default, Deserialize, serde::Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct CompanyText {
    pub name: Option<String>,
    pub address: Option<String>,
    pub phone: Option<String>,
    pub website: Option<String>,
    pub bank_details: Option<String>,
    pub payment_methods: Option<Vec<String>>,
    pub signature: Option<String>,
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

/// The keys `[company]` takes, for the message about an unknown one.
const COMPANY_KEYS: &str = "name, address, phone, email, website, vat_id, bank_details, \
                            payment_methods, logo, signature, or a language table such as \
                            [company.en]";

fn company(path: &Path, raw: RawCompany) -> Result<Company, ConfigError> {
    let mut languages = BTreeMap::new();
    for (key, value) in raw.other {
        let name = format!("company.{key}");
        let code = crate::ingest::value::parse_language(&key).filter(|code| *code == key);
        let Some(code) = code else {
            return Err(ConfigError::Parse {
                path: path.to_path_buf(),
                message: format!("unknown key `{name}`; [company] takes {COMPANY_KEYS}"),
            });
        };
        let toml::Value::Table(_) = value else {
            return Err(invalid(
                path,
                &name,
                &value,
                "expected a table of the letter wording in that language, e.g. [company.en] \
                 with name = \"...\"",
            ));
        };
        let text: CompanyText =
            value
                .try_into()
                .map_err(|e: toml::de::Error| ConfigError::Parse {
                    path: path.to_path_buf(),
                    message: format!("[{name}]: {}", e.message()),
                })?;
        languages.insert(code, text);
    }
    Ok(Company {
        name: raw.name,
        address: raw.address,
        phone: raw.phone,
        email: raw.email,
        website: raw.website,
        vat_id: raw.vat_id,
        bank_details: raw.bank_details,
        payment_methods: raw.payment_methods,
        logo: raw.logo,
        signature: raw.signature,
        languages,
    })
}

impl Company {
    /// The company as letters in `language` show it: `[company.<language>]` over `[company]`.
    #[must_use]
    pub fn in_language(&self, language: &str) -> Company {
        let mut company = self.clone();
        company.languages.clear();
        if let Some(text) = self.languages.get(language) {
            let pick = |own: &Option<String>, base: &mut Option<String>| {
                if own.is_some() {
                    base.clone_from(own);
                }
            };
            pick(&text.name, &mut company.name);
            pick(&text.address, &mut company.address);
            pick(&text.phone, &mut company.phone);
            pick(&text.website, &mut company.website);
            pick(&text.bank_details, &mut company.bank_details);
            pick(&text.signature, &mut company.signature);
            if let Some(methods) = &text.payment_methods {
                company.payment_methods.clone_from(methods);
            }
        }
        company
    }
}

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

/// The input files of each kind, after glob expansion, plus explicit column names.
#[derive(Clone, Debug, Default)]
pub struct Inputs {
    pub invoices: Vec<PathBuf>,
    pub payments: Vec<PathBuf>,
    pub clients: Vec<PathBuf>,
    /// Forced text encoding for csv files (`windows-1255`, ...); detected when `None`.
    pub encoding: Option<&'static encoding_rs::Encoding>,
    pub columns: BTreeMap<TableKind, BTreeMap<String, String>>,
    pub sheets: BTreeMap<TableKind, String>,
    /// The folder searched for inputs by their names (`arrears run DIR`), for the message
    /// when a kind is not found.
    pub searched: Option<PathBuf>,
}

impl Inputs {
    #[must_use]
    pub fn files(&self, kind: TableKind) -> &[PathBuf] {
        match kind {
            TableKind::Invoices => &self.invoices,
            TableKind::Payments => &self.payments,
            TableKind::Clients => &self.clients,
        }
    }
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
fn allocation_settings(
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

fn statement_settings(path: &Path, raw: RawStatements) -> Result<StatementSettings, ConfigError> {
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

impl Config {
    /// Builds the configuration for input folder `dir` (or the current folder) and an optional
    /// explicit config file, then applies command-line overrides.
    ///
    /// # Errors
    /// When the file cannot be read or parsed, a value is not allowed, or an input pattern
    /// matches nothing.
    pub fn load(
        dir: Option<&Path>,
        file: Option<&Path>,
        overrides: &Overrides,
    ) -> Result<Config, ConfigError> {
        if let Some(d) = dir {
            if !d.is_dir() {
                return Err(ConfigError::Inputs(format!(
                    "{} is not a folder: give the folder that holds the exports (and arrears.toml)",
                    d.display()
                )));
            }
        }
        let path = match file {
            Some(f) => Some(f.to_path_buf()),
            None => {
                let candidate = dir.unwrap_or(Path::new(".")).join(CONFIG_FILE);
                candidate.is_file().then_some(candidate)
            }
        };
        let (raw, text) = match &path {
            Some(p) => {
                let text = std::fs::read_to_string(p).map_err(|source| ConfigError::Read {
                    path: p.clone(),
                    source,
                })?;
                let raw: RawConfig = toml::from_str(&text).map_err(|e| ConfigError::Parse {
                    path: p.clone(),
                    message: e.to_string().trim_end().to_string(),
                })?;
                (raw, text)
            }
            None => (RawConfig::default(), String::new()),
        };
        let base_dir = match (&path, dir) {
            (Some(p), _) => p
                .parent()
                .map_or_else(|| PathBuf::from("."), Path::to_path_buf),
            (None, Some(d)) => d.to_path_buf(),
            (None, None) => PathBuf::from("."),
        };
        let base_dir = if base_dir.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            base_dir
        };
        let cfg_path = path.clone().unwrap_or_else(|| PathBuf::from(CONFIG_FILE));
        build(raw, text, path, base_dir, &cfg_path, dir, overrides)
    }
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

#[allow(clippy::too_many_lines)]
fn build(
    mut raw: RawConfig,
    source_text: String,
    path: Option<PathBuf>,
    base_dir: PathBuf,
    cfg_path: &Path,
    dir: Option<&Path>,
    overrides: &Overrides,
) -> Result<Config, ConfigError> {
    if overrides.currency.is_some() {
        raw.default_currency.clone_from(&overrides.currency);
    }
    if overrides.date_order.is_some() {
        raw.date_order.clone_from(&overrides.date_order);
    }
    if overrides.terms.is_some() {
        raw.default_terms.clone_from(&overrides.terms);
    }
    let default_currency = match raw.default_currency {
        Some(c) => crate::ingest::value::parse_currency(&c).ok_or_else(|| {
            invalid(
                cfg_path,
                "default_currency",
                &c,
                "expected a currency code such as ILS, USD or EUR",
            )
        })?,
        None => "ILS".to_string(),
    };
    let date_order = match raw.date_order.as_deref() {
        None | Some("day-first") => DateOrder::DayFirst,
        Some("month-first") => DateOrder::MonthFirst,
        Some(other) => {
            return Err(invalid(
                cfg_path,
                "date_order",
                other,
                "allowed: \"day-first\", \"month-first\"",
            ))
        }
    };
    let default_terms = match raw.default_terms.as_deref() {
        None => Terms::Net(30),
        Some(t) => crate::ingest::value::parse_terms(t)
            .map_err(|m| invalid(cfg_path, "default_terms", t, &m))?,
    };
    let write_off_tolerance = match &raw.write_off_tolerance {
        None => Decimal::ZERO,
        Some(v) => decimal(cfg_path, "write_off_tolerance", v)?,
    };
    if write_off_tolerance.is_sign_negative() {
        return Err(invalid(
            cfg_path,
            "write_off_tolerance",
            write_off_tolerance,
            "must not be negative",
        ));
    }
    let discount = match &raw.discount {
        None => None,
        Some(d) => {
            let percent = decimal(cfg_path, "discount.percent", &d.percent)?;
            if percent <= Decimal::ZERO || percent >= Decimal::ONE_HUNDRED {
                return Err(invalid(
                    cfg_path,
                    "discount.percent",
                    percent,
                    "must be above 0 and below 100",
                ));
            }
            Some(Discount {
                percent,
                days: d.days,
            })
        }
    };
    let aging_basis = match raw.aging.basis.as_deref() {
        None | Some("due-date") => AgingBasis::DueDate,
        Some("invoice-date") => AgingBasis::InvoiceDate,
        Some(other) => {
            return Err(invalid(
                cfg_path,
                "aging.basis",
                other,
                "allowed: \"due-date\", \"invoice-date\"",
            ))
        }
    };
    let buckets = raw.aging.buckets.unwrap_or_else(|| vec![30, 60, 90, 120]);
    if buckets.is_empty() || buckets.windows(2).any(|w| w[0] >= w[1]) || buckets[0] == 0 {
        return Err(invalid(
            cfg_path,
            "aging.buckets",
            format!("{buckets:?}"),
            "expected increasing whole days above 0, such as [30, 60, 90, 120]",
        ));
    }
    let dunning_min_amount = match &raw.dunning.min_amount {
        None => Decimal::ZERO,
        Some(v) => decimal(cfg_path, "dunning.min_amount", v)?,
    };
    let dunning_levels = raw.dunning.levels.unwrap_or_else(default_levels);
    if dunning_levels.is_empty() || dunning_levels.windows(2).any(|w| w[0].days >= w[1].days) {
        return Err(invalid(
            cfg_path,
            "dunning.levels",
            dunning_levels.len(),
            "expected at least one level, in increasing order of days",
        ));
    }
    let letter_formats = raw.letters.formats.unwrap_or_else(default_letter_formats);
    for format in &letter_formats {
        if !["html", "txt", "eml", "pdf"].contains(&format.as_str()) {
            return Err(invalid(
                cfg_path,
                "letters.formats",
                format,
                "allowed: \"html\", \"txt\", \"eml\", \"pdf\"",
            ));
        }
        if format == "pdf" && !cfg!(feature = "pdf") {
            return Err(invalid(
                cfg_path,
                "letters.formats",
                format,
                "this build of arrears has no PDF support (built with --no-default-features); \
                 remove \"pdf\", or build arrears with `cargo build --release`",
            ));
        }
    }
    let company = company(cfg_path, raw.company)?;
    let language = match raw.letters.language {
        None => "he".to_string(),
        Some(text) => crate::ingest::value::parse_language(&text).ok_or_else(|| {
            invalid(
                cfg_path,
                "letters.language",
                &text,
                "expected a language code such as \"he\" or \"en\"",
            )
        })?,
    };
    let interest_rate = match &raw.letters.interest_rate {
        None => None,
        Some(v) => {
            let rate = decimal(cfg_path, "letters.interest_rate", v)?;
            if rate.is_sign_negative() || rate > Decimal::ONE_HUNDRED {
                return Err(invalid(
                    cfg_path,
                    "letters.interest_rate",
                    rate,
                    "expected an annual rate in percent, from 0 to 100",
                ));
            }
            Some(rate)
        }
    };
    let payment_plan_instalments = raw.letters.payment_plan_instalments.unwrap_or(3);
    if !(1..=60).contains(&payment_plan_instalments) {
        return Err(invalid(
            cfg_path,
            "letters.payment_plan_instalments",
            payment_plan_instalments,
            "expected 1 to 60 monthly instalments",
        ));
    }
    let letters = LetterSettings {
        templates: raw.letters.templates.as_deref().map(|t| base_dir.join(t)),
        interest_rate,
        payment_plan_instalments,
        deadline_days: raw.letters.deadline_days.unwrap_or(14),
        rf_references: raw.letters.rf_references.unwrap_or(false),
    };
    let allocation = allocation_settings(cfg_path, &raw.withholding, &raw.fees, &raw.allocation)?;
    let encoding = match &raw.inputs.encoding {
        None => None,
        Some(label) => Some(
            encoding_rs::Encoding::for_label(label.as_bytes()).ok_or_else(|| {
                invalid(
                    cfg_path,
                    "inputs.encoding",
                    label,
                    "allowed: \"utf-8\", \"utf-16\", \"windows-1255\", \"windows-1252\"",
                )
            })?,
        ),
    };

    let mut columns = BTreeMap::new();
    let mut sheets = BTreeMap::new();
    for (kind, table) in [
        (TableKind::Invoices, raw.invoices),
        (TableKind::Payments, raw.payments),
        (TableKind::Clients, raw.clients),
    ] {
        for key in table.columns.keys() {
            if !kind.fields().iter().any(|f| f.key() == key) {
                let mut allowed = String::new();
                for f in kind.fields() {
                    if !allowed.contains(f.key()) {
                        let _ = write!(
                            allowed,
                            "{}{}",
                            if allowed.is_empty() { "" } else { ", " },
                            f.key()
                        );
                    }
                }
                return Err(invalid(
                    cfg_path,
                    &format!("{kind}.columns.{key}"),
                    &table.columns[key],
                    &format!("unknown column; allowed: {allowed}"),
                ));
            }
        }
        columns.insert(kind, table.columns);
        if let Some(sheet) = table.sheet {
            sheets.insert(kind, sheet);
        }
    }

    let mut inputs = Inputs {
        encoding,
        columns,
        sheets,
        searched: dir.map(Path::to_path_buf),
        ..Inputs::default()
    };
    for (kind, patterns, given) in [
        (
            TableKind::Invoices,
            &raw.inputs.invoices,
            &overrides.invoices,
        ),
        (
            TableKind::Payments,
            &raw.inputs.payments,
            &overrides.payments,
        ),
        (TableKind::Clients, &raw.inputs.clients, &overrides.clients),
    ] {
        let files = if given.is_empty() {
            let mut files = Vec::new();
            for pattern in patterns {
                files.extend(expand(&base_dir, pattern)?);
            }
            if patterns.is_empty() {
                if let Some(d) = dir {
                    files = discover(d, kind);
                }
            }
            files
        } else {
            given.clone()
        };
        match kind {
            TableKind::Invoices => inputs.invoices = files,
            TableKind::Payments => inputs.payments = files,
            TableKind::Clients => inputs.clients = files,
        }
    }

    let smtp = raw.smtp.map(|s| smtp(cfg_path, s)).transpose()?;
    let workbook_rtl = raw.output.workbook_rtl.unwrap_or(false);
    let statements = statement_settings(cfg_path, raw.statements)?;
    let output_dir = match (&overrides.out, raw.output.dir) {
        (Some(out), _) => out.clone(),
        (None, Some(d)) => base_dir.join(d),
        (None, None) => PathBuf::from("arrears-out"),
    };

    Ok(Config {
        path,
        base_dir,
        default_currency,
        date_order,
        default_terms,
        write_off_tolerance,
        inputs,
        discount,
        aging_basis,
        buckets,
        dunning_min_amount,
        repeat_after_days: raw.dunning.repeat_after_days.unwrap_or(14),
        dunning_levels,
        company,
        letter_formats,
        language,
        letters,
        output_dir,
        workbook_rtl,
        statements,
        source_text,
        smtp,
        allocation,
    })
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

/// How the connection to the mail server is protected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Security {
    /// Plain connection upgraded with STARTTLS before anything else is said (port 587).
    StartTls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption: only for a server on this machine.
    None,
}

/// `[smtp]`, validated: the mail server `arrears send` hands the letters to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Smtp {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub username: Option<String>,
    /// The environment variable that holds the password (or `Bearer <token>` for XOAUTH2).
    pub password_env: String,
    /// At most this many messages a minute.
    pub per_minute: u32,
    /// A copy of every message to this address, in the envelope only.
    pub bcc: Option<String>,
}

fn smtp(path: &Path, raw: RawSmtp) -> Result<Smtp, ConfigError> {
    let host = raw.host.trim().to_string();
    if host.is_empty() {
        return Err(invalid(
            path,
            "smtp.host",
            "\"\"",
            "name the mail server, e.g. \"smtp.office365.com\"",
        ));
    }
    let security = match raw.security.as_deref() {
        None | Some("starttls") => Security::StartTls,
        Some("tls") => Security::Tls,
        Some("none") => Security::None,
        Some(other) => {
            return Err(invalid(
                path,
                "smtp.security",
                other,
                "allowed: \"starttls\", \"tls\", \"none\"",
            ))
        }
    };
    if security == Security::None && !["localhost", "127.0.0.1", "::1"].contains(&host.as_str()) {
        return Err(invalid(
            path,
            "smtp.security",
            "none",
            "an unencrypted connection is allowed only to this machine (localhost, 127.0.0.1); \
             use \"starttls\" (port 587) or \"tls\" (port 465)",
        ));
    }
    let port = raw.port.unwrap_or(match security {
        Security::StartTls => 587,
        Security::Tls => 465,
        Security::None => 25,
    });
    let per_minute = raw.per_minute.unwrap_or(20);
    if per_minute == 0 {
        return Err(invalid(
            path,
            "smtp.per_minute",
            0,
            "expected at least 1 message a minute",
        ));
    }
    let password_env = raw
        .password_env
        .unwrap_or_else(|| "ARREARS_SMTP_PASSWORD".to_string());
    if password_env.is_empty() || password_env.contains('=') {
        return Err(invalid(
            path,
            "smtp.password_env",
            &password_env,
            "expected the name of an environment variable",
        ));
    }
    let bcc = raw
        .bcc
        .map(|b| b.trim().to_string())
        .filter(|b| !b.is_empty());
    if let Some(b) = &bcc {
        if !b.contains('@') || b.contains(['<', '>', ' ', ',']) {
            return Err(invalid(path, "smtp.bcc", b, "expected one e-mail address"));
        }
    }
    Ok(Smtp {
        host,
        port,
        security,
        username: raw
            .username
            .map(|u| u.trim().to_string())
            .filter(|u| !u.is_empty()),
        password_env,
        per_minute,
        bcc,
    })
}

/// `[smtp]` of a configuration file's text, checked as a whole like [`Config::load`] checks it
/// (unknown keys anywhere are an error), without looking for the inputs it names: `arrears send`
/// reads the settings of a run that may be long done. `path` names the file in messages.
///
/// # Errors
/// When the text is not a valid configuration or `[smtp]` has a bad value.
pub fn load_smtp(path: &Path, text: &str) -> Result<Option<Smtp>, ConfigError> {
    let raw: RawConfig = toml::from_str(text).map_err(|e| ConfigError::Parse {
        path: path.to_path_buf(),
        message: e.to_string().trim_end().to_string(),
    })?;
    raw.smtp.map(|s| smtp(path, s)).transpose()
}

/// Expands one `[inputs]` entry: a file name or a glob pattern, relative to the config folder.
fn expand(base: &Path, pattern: &str) -> Result<Vec<PathBuf>, ConfigError> {
    let full = base.join(pattern);
    let text = full.to_string_lossy().to_string();
    let paths = glob::glob(&text)
        .map_err(|e| ConfigError::Inputs(format!("input pattern \"{pattern}\": {e}")))?;
    let mut files: Vec<PathBuf> = paths
        .filter_map(Result::ok)
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(ConfigError::Inputs(format!(
            "input \"{pattern}\" matches no file (looked for {text})"
        )));
    }
    Ok(files)
}

/// The words in a file name that make it an input of `kind` when `[inputs]` does not name one.
#[must_use]
pub fn discovery_words(kind: TableKind) -> &'static [&'static str] {
    match kind {
        // The unified file's data file holds both invoices and receipts.
        TableKind::Invoices => &["invoice", "חשבוניות", "חשבונית", "bkmvdata"],
        TableKind::Payments => &[
            "payment",
            "bank",
            "receipt",
            "statement",
            "camt",
            "תקבול",
            "תשלומ",
            "בנק",
            "קבלות",
            "תנועות",
            "bkmvdata",
        ],
        TableKind::Clients => &["client", "customer", "לקוחות"],
    }
}

/// The extensions of bank statement files (MT940/942, OFX, QFX): whatever their name, they
/// hold payments. CAMT files end in `.xml`, which says nothing, so they are found by name.
pub const STATEMENT_EXTENSIONS: [&str; 6] = ["sta", "mt940", "940", "942", "ofx", "qfx"];

/// Finds inputs in a folder without `[inputs]`: spreadsheet and text files whose names say
/// what they hold (`invoices`, `payments`/`bank`/`receipts`, `clients`/`customers`, in English
/// or Hebrew), CAMT statements (`.xml`) named like payments, and every bank statement file
/// (`.sta`, `.mt940`, `.ofx`, `.qfx` …) as payments.
fn discover(dir: &Path, kind: TableKind) -> Vec<PathBuf> {
    let words = discovery_words(kind);
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .filter(|p| {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().to_lowercase())
                .unwrap_or_default();
            if name.starts_with('~') {
                return false;
            }
            let payments = kind == TableKind::Payments;
            if payments && has_extension(p, &STATEMENT_EXTENSIONS) {
                return true;
            }
            let ext_ok = has_extension(p, &SPREADSHEET_EXTENSIONS)
                || has_extension(p, &TEXT_EXTENSIONS)
                || (payments && has_extension(p, &["xml"]));
            ext_ok && words.iter().any(|w| name.contains(w))
        })
        .collect();
    files.sort();
    files
}

#[cfg(test)]
mod tests {
    use super::{Config, ConfigError, Overrides};

    fn load(text: &str) -> Result<Config, ConfigError> {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(super::CONFIG_FILE), text).unwrap();
        Config::load(Some(dir.path()), None, &Overrides::default())
    }

    fn message(text: &str) -> String {
        match load(text) {
            Ok(_) => panic!("accepted:\n{text}"),
            Err(err) => err.to_string(),
        }
    }

    /// Without `[inputs]`, a folder's spreadsheets and text files are found by name, whatever
    /// the case of their extension; other files and Excel's lock files are not.
    #[test]
    fn inputs_are_discovered_by_name_and_extension() {
        let dir = tempfile::tempdir().unwrap();
        for name in [
            "Invoices-2026-11.XLSX",
            "invoices-old.ods",
            "~$invoices.xlsx",
            "invoices.pdf",
            "bank.csv",
            "payments.TXT",
            "payments.json",
            "clients.xls",
            "BKMVDATA.TXT",
            "camt053-november.xml",
            "settings.xml",
            "leumi-2026-11.sta",
            "export.OFX",
        ] {
            std::fs::write(dir.path().join(name), "x").unwrap();
        }
        let config = Config::load(Some(dir.path()), None, &Overrides::default()).unwrap();
        let names = |files: &[std::path::PathBuf]| -> Vec<String> {
            files
                .iter()
                .map(|f| f.file_name().unwrap().to_string_lossy().to_string())
                .collect()
        };
        assert_eq!(
            names(&config.inputs.invoices),
            ["BKMVDATA.TXT", "Invoices-2026-11.XLSX", "invoices-old.ods"]
        );
        assert_eq!(
            names(&config.inputs.payments),
            [
                "BKMVDATA.TXT",
                "bank.csv",
                "camt053-november.xml",
                "export.OFX",
                "leumi-2026-11.sta",
                "payments.TXT"
            ]
        );
        assert_eq!(names(&config.inputs.clients), ["clients.xls"]);
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

    #[test]
    fn company_wording_per_language_overrides_the_default() {
        let config = load(
            "[company]\nname = \"גלבוע בע״מ\"\nemail = \"billing@example.com\"\n\
             payment_methods = [\"העברה בנקאית\"]\n\
             [company.en]\nname = \"Gilboa Ltd\"\npayment_methods = [\"Bank transfer\"]\n",
        )
        .unwrap();
        let en = config.company.in_language("en");
        assert_eq!(en.name.as_deref(), Some("Gilboa Ltd"));
        assert_eq!(en.payment_methods, ["Bank transfer"]);
        assert_eq!(en.email.as_deref(), Some("billing@example.com"), "kept");
        let he = config.company.in_language("he");
        assert_eq!(he.name.as_deref(), Some("גלבוע בע״מ"));
        assert_eq!(he.payment_methods, ["העברה בנקאית"]);
    }

    #[test]
    fn smtp_settings_are_checked_and_defaulted() {
        let config =
            load("[smtp]\nhost = \"smtp.office365.com\"\nusername = \"b@x.com\"\n").unwrap();
        let smtp = config.smtp.unwrap();
        assert_eq!(smtp.port, 587);
        assert_eq!(smtp.security, super::Security::StartTls);
        assert_eq!(smtp.password_env, "ARREARS_SMTP_PASSWORD");
        assert_eq!(smtp.per_minute, 20);
        let msg = message("[smtp]\nhost = \"smtp.example.com\"\nsecurity = \"none\"\n");
        assert!(msg.contains("smtp.security"), "{msg}");
        let msg = message("[smtp]\nhost = \"x\"\npassword = \"secret\"\n");
        assert!(msg.contains("password"), "{msg}");
        let smtp = super::load_smtp(
            std::path::Path::new("a.toml"),
            "[smtp]\nhost = \"127.0.0.1\"\nsecurity = \"none\"\nport = 2525\n",
        )
        .unwrap()
        .unwrap();
        assert_eq!((smtp.port, smtp.security), (2525, super::Security::None));
    }

    #[test]
    fn a_language_table_takes_only_the_wording_keys() {
        let msg = message("[company.en]\nemail = \"x@example.com\"\n");
        assert!(msg.contains("company.en"), "{msg}");
        assert!(msg.contains("signature"), "the allowed keys: {msg}");
        let msg = message("[company]\nen = \"Gilboa\"\n");
        assert!(msg.contains("company.en"), "{msg}");
    }
}
