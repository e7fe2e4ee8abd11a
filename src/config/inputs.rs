//! The input files of a run: `[inputs]` entries expanded as file names or glob patterns
//! relative to the configuration's folder, or, without them, the exports found in the input
//! folder by their names and extensions.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::ConfigError;
use crate::ingest::source::{has_extension, SPREADSHEET_EXTENSIONS, TEXT_EXTENSIONS};
use crate::model::TableKind;

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

/// Expands one `[inputs]` entry: a file name or a glob pattern, relative to the config folder.
pub(super) fn expand(base: &Path, pattern: &str) -> Result<Vec<PathBuf>, ConfigError> {
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
pub(super) fn discover(dir: &Path, kind: TableKind) -> Vec<PathBuf> {
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
    use crate::config::{Config, Overrides};

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
}
