//! [`Config::load`]: finds and reads `arrears.toml`, applies the command line's [`Overrides`]
//! and checks every value into the one [`Config`]; a value that is not allowed is an error
//! that names its key.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use rust_decimal::Decimal;

use super::company::company;
use super::inputs::{discover, expand};
use super::settings::{allocation_settings, statement_settings};
use super::smtp::smtp;
use super::{
    decimal, default_letter_formats, default_levels, invalid, AgingBasis, Config, ConfigError,
    Discount, Inputs, LetterSettings, Overrides, RawConfig, CONFIG_FILE,
};
use crate::model::{DateOrder, TableKind, Terms};

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
