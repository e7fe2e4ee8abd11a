//! `arrears verify OUT/<date>`: re-checks a finished run folder against its own audit record,
//! so a folder copied, archived or left on a shared drive can be trusted (or not) later.
//!
//! Checks, each reported by name with every failure it found:
//! - `run.json`: present, parses, written by arrears; the recorded configuration text hashes to
//!   the recorded configuration SHA-256; every invariant recorded as passed.
//! - `files`: every file listed in `run.json` exists and hashes as recorded; no file in the
//!   folder is unlisted (nothing added, nothing left by an interrupted copy).
//! - `clients.csv`: per row, the bucket columns add up to `open_total`, and
//!   `net_balance = open_total - unapplied_credit`.
//! - `open-items.csv`: per client and currency, the `open` column adds up to the client's
//!   `open_total`; per currency, to the total of `clients.csv`.
//! - `unapplied.csv`: per client and currency, the client credits add up to the client's
//!   `unapplied_credit`.
//! - `allocations.csv`: every rule is one of SPEC sections 4 and 11; withholding and bank-fee
//!   rows carry no payment id; per client, the withholding rows add up to `withheld` in
//!   `clients.csv`; over all currencies, the withholding and bank-fee rows add up to the
//!   `withheld` and `fees` totals of `run.json`.
//! - `run.json totals`: per currency, the recorded buckets, open total and unapplied credit equal
//!   the sums of `clients.csv`.
//! - `aging-report.xlsx` (when the run wrote one): every open item and every client row of the
//!   CSV files is in the workbook with the same amounts.
//!
//! What it cannot see: a consistent forgery (files changed and `run.json` rewritten to match).
//! The hashes guard against accidents, truncation and edits by hand, not against an adversary.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use rust_decimal::Decimal;

use crate::classify::{bucket_columns, bucket_labels};
use crate::report::manifest::sha256_hex;

/// Exit code of `arrears verify` when a check failed.
pub const EXIT_VERIFY_FAILED: u8 = 5;

/// Why a folder could not be verified at all.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// The path is not a folder.
    #[error("{0} is not a folder; give the run folder, for example arrears-out/2026-11-30")]
    NotAFolder(PathBuf),
}

/// One named check and the problems it found (none when it passed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Check {
    pub name: &'static str,
    pub failures: Vec<String>,
    /// Whether the check could run (a workbook check is skipped when there is no workbook).
    pub ran: bool,
}

/// The result of verifying one run folder.
#[derive(Clone, Debug, Default)]
pub struct Report {
    pub dir: PathBuf,
    pub checks: Vec<Check>,
}

impl Report {
    /// Whether every check passed.
    #[must_use]
    pub fn passed(&self) -> bool {
        self.checks.iter().all(|c| c.failures.is_empty())
    }

    /// Every failure, prefixed with its check's name.
    #[must_use]
    pub fn failures(&self) -> Vec<String> {
        self.checks
            .iter()
            .flat_map(|c| c.failures.iter().map(move |f| format!("{}: {f}", c.name)))
            .collect()
    }

    /// The report for people: one line per check, then the failures.
    #[must_use]
    pub fn text(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "arrears verify {}", self.dir.display());
        for check in &self.checks {
            let state = match (check.ran, check.failures.len()) {
                (false, _) => "skipped".to_string(),
                (true, 0) => "ok".to_string(),
                (true, n) => format!("FAILED ({n})"),
            };
            let _ = writeln!(s, "  {:<18} {state}", check.name);
            for failure in &check.failures {
                let _ = writeln!(s, "    - {failure}");
            }
        }
        if self.passed() {
            let _ = writeln!(s, "all checks passed");
        } else {
            let _ = writeln!(s, "{} problems found", self.failures().len());
        }
        s
    }
}

/// A CSV file of the run: header and rows, BOM removed.
struct Csv {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Csv {
    fn read(path: &Path) -> Result<Csv, String> {
        let bytes = std::fs::read(path).map_err(|e| format!("cannot read it: {e}"))?;
        let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
        let mut reader = csv::ReaderBuilder::new().from_reader(text);
        let header = reader
            .headers()
            .map_err(|e| format!("cannot parse it: {e}"))?
            .iter()
            .map(str::to_string)
            .collect();
        let mut rows = Vec::new();
        for record in reader.records() {
            let record = record.map_err(|e| format!("cannot parse it: {e}"))?;
            rows.push(record.iter().map(str::to_string).collect());
        }
        Ok(Csv { header, rows })
    }

    fn col(&self, name: &str) -> Result<usize, String> {
        self.header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| format!("has no column '{name}'"))
    }
}

/// A money cell; `row` is the 1-based line in the file (header on line 1).
fn money(file: &str, row: usize, column: &str, text: &str) -> Result<Decimal, String> {
    if text.is_empty() {
        return Ok(Decimal::ZERO);
    }
    Decimal::from_str(text)
        .map_err(|_| format!("{file}, row {row}, column {column}: \"{text}\" is not an amount"))
}

/// Runs every check on the run folder `dir`.
///
/// # Errors
/// [`VerifyError::NotAFolder`] when `dir` is not a folder; every other problem is a failed
/// check in the report.
pub fn verify(dir: &Path) -> Result<Report, VerifyError> {
    if !dir.is_dir() {
        return Err(VerifyError::NotAFolder(dir.to_path_buf()));
    }
    let mut report = Report {
        dir: dir.to_path_buf(),
        checks: Vec::new(),
    };
    let mut manifest_check = Check {
        name: "run.json",
        failures: Vec::new(),
        ran: true,
    };
    let manifest = match std::fs::read(dir.join("run.json")) {
        Err(e) => {
            manifest_check.failures.push(format!(
                "run.json cannot be read ({e}): this is not a complete run folder"
            ));
            None
        }
        Ok(bytes) => match serde_json::from_slice::<serde_json::Value>(&bytes) {
            Err(e) => {
                manifest_check
                    .failures
                    .push(format!("run.json is not valid JSON ({e})"));
                None
            }
            Ok(value) => Some(value),
        },
    };
    if let Some(m) = &manifest {
        check_manifest(m, &mut manifest_check.failures);
    }
    report.checks.push(manifest_check);
    let Some(manifest) = manifest else {
        return Ok(report);
    };
    report.checks.push(Check {
        name: "files",
        failures: check_files(dir, &manifest),
        ran: true,
    });
    let buckets: Vec<u32> = manifest["config"]["buckets"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_u64().and_then(|n| u32::try_from(n).ok()))
                .collect()
        })
        .unwrap_or_default();
    let (csv_checks, clients) = check_csvs(dir, &buckets, &manifest);
    report.checks.extend(csv_checks);
    report.checks.push(Check {
        name: "allocations.csv",
        failures: check_allocations(dir, &manifest),
        ran: true,
    });
    let workbook = dir.join("aging-report.xlsx");
    report.checks.push(if workbook.is_file() {
        Check {
            name: "aging-report.xlsx",
            failures: check_workbook(dir, &workbook, clients.as_ref()),
            ran: true,
        }
    } else {
        Check {
            name: "aging-report.xlsx",
            failures: Vec::new(),
            ran: false,
        }
    });
    Ok(report)
}

fn check_manifest(m: &serde_json::Value, failures: &mut Vec<String>) {
    if m["tool"] != "arrears" {
        failures.push("run.json was not written by arrears (no \"tool\": \"arrears\")".into());
    }
    if !m["files"].is_array() {
        failures.push("run.json has no list of files".into());
    }
    if let (Some(text), Some(sha)) = (m["config"]["text"].as_str(), m["config"]["sha256"].as_str())
    {
        if sha256_hex(text.as_bytes()) != sha {
            failures.push(
                "run.json: the recorded configuration text does not hash to its recorded SHA-256"
                    .into(),
            );
        }
    }
    match m["invariants"].as_array() {
        None => failures.push("run.json records no invariant checks".into()),
        Some(list) => {
            for inv in list {
                if inv["passed"] != true {
                    failures.push(format!(
                        "run.json: invariant \"{}\" did not pass: {}",
                        inv["name"].as_str().unwrap_or("?"),
                        inv["detail"].as_str().unwrap_or("")
                    ));
                }
            }
        }
    }
}

/// Every file below `dir` except `run.json`, as `/`-separated relative paths.
fn walk(root: &Path, dir: &Path, out: &mut BTreeSet<String>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            walk(root, &path, out)?;
        } else {
            let rel = path
                .strip_prefix(root)
                .unwrap_or(&path)
                .to_string_lossy()
                .replace('\\', "/");
            if rel != "run.json" {
                out.insert(rel);
            }
        }
    }
    Ok(())
}

fn check_files(dir: &Path, manifest: &serde_json::Value) -> Vec<String> {
    let mut failures = Vec::new();
    let mut listed = BTreeSet::new();
    for file in manifest["files"].as_array().into_iter().flatten() {
        let (Some(name), Some(sha)) = (file["name"].as_str(), file["sha256"].as_str()) else {
            failures.push(format!(
                "run.json lists a file without name or sha256: {file}"
            ));
            continue;
        };
        listed.insert(name.to_string());
        // A listed name must stay inside the folder.
        if name.is_empty()
            || name.starts_with('/')
            || name.contains('\\')
            || name.split('/').any(|p| p == ".." || p.is_empty())
        {
            failures.push(format!("{name}: not a file name inside the run folder"));
            continue;
        }
        match std::fs::read(dir.join(name)) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                failures.push(format!("{name} is missing"));
            }
            Err(e) => failures.push(format!("{name} cannot be read: {e}")),
            Ok(bytes) => {
                if sha256_hex(&bytes) != sha {
                    failures.push(format!(
                        "{name} has changed since the run: its SHA-256 is not the one recorded"
                    ));
                }
            }
        }
    }
    let mut present = BTreeSet::new();
    if let Err(e) = walk(dir, dir, &mut present) {
        failures.push(format!("cannot list the folder: {e}"));
    }
    for name in present.difference(&listed) {
        failures.push(format!(
            "{name} is not listed in run.json (added after the run)"
        ));
    }
    failures
}

/// Per (client, currency) from `clients.csv`: open total and unapplied credit.
type ClientTotals = BTreeMap<(String, String), (Decimal, Decimal)>;

fn check_csvs(
    dir: &Path,
    bounds: &[u32],
    manifest: &serde_json::Value,
) -> (Vec<Check>, Option<ClientTotals>) {
    let mut clients_check = Check {
        name: "clients.csv",
        failures: Vec::new(),
        ran: true,
    };
    let clients = match read_clients(dir, bounds, &mut clients_check.failures) {
        Ok(c) => Some(c),
        Err(e) => {
            clients_check.failures.push(e);
            None
        }
    };
    let mut checks = vec![clients_check];
    let Some((clients, bucket_sums)) = clients else {
        return (checks, None);
    };
    checks.push(Check {
        name: "open-items.csv",
        failures: check_open_items(dir, &clients).err().unwrap_or_default(),
        ran: true,
    });
    checks.push(Check {
        name: "unapplied.csv",
        failures: check_unapplied(dir, &clients).err().unwrap_or_default(),
        ran: true,
    });
    checks.push(Check {
        name: "run.json totals",
        failures: check_totals(manifest, bounds, &clients, &bucket_sums),
        ran: true,
    });
    (checks, Some(clients))
}

/// Reads `clients.csv`, checking each row; returns the per-client totals and, per currency, the
/// sum of each bucket column.
fn read_clients(
    dir: &Path,
    bounds: &[u32],
    failures: &mut Vec<String>,
) -> Result<(ClientTotals, BTreeMap<String, Vec<Decimal>>), String> {
    const FILE: &str = "clients.csv";
    let csv = Csv::read(&dir.join(FILE)).map_err(|e| format!("{FILE} {e}"))?;
    let col = |n: &str| csv.col(n).map_err(|e| format!("{FILE} {e}"));
    let (id, currency) = (col("client_id")?, col("currency")?);
    let (open, credit, net) = (
        col("open_total")?,
        col("unapplied_credit")?,
        col("net_balance")?,
    );
    let bucket_cols = bucket_columns(bounds)
        .iter()
        .map(|c| col(c).map(|k| (c.clone(), k)))
        .collect::<Result<Vec<_>, _>>()?;
    let mut totals = ClientTotals::new();
    let mut bucket_sums: BTreeMap<String, Vec<Decimal>> = BTreeMap::new();
    for (i, row) in csv.rows.iter().enumerate() {
        let line = i + 2;
        let get = |k: usize, name: &str| money(FILE, line, name, row.get(k).map_or("", |s| s));
        let (open_total, unapplied, net_balance) = match (
            get(open, "open_total"),
            get(credit, "unapplied_credit"),
            get(net, "net_balance"),
        ) {
            (Ok(a), Ok(b), Ok(c)) => (a, b, c),
            (a, b, c) => {
                failures.extend([a.err(), b.err(), c.err()].into_iter().flatten());
                continue;
            }
        };
        let cur = row.get(currency).cloned().unwrap_or_default();
        let sums = bucket_sums
            .entry(cur.clone())
            .or_insert_with(|| vec![Decimal::ZERO; bucket_cols.len()]);
        let mut bucket_total = Decimal::ZERO;
        for (b, (name, k)) in bucket_cols.iter().enumerate() {
            match get(*k, name) {
                Ok(v) => {
                    bucket_total += v;
                    sums[b] += v;
                }
                Err(e) => failures.push(e),
            }
        }
        let client = row.get(id).cloned().unwrap_or_default();
        if bucket_total != open_total {
            failures.push(format!(
                "{FILE}, row {line} ({client} {cur}): the buckets add up to {bucket_total}, \
                 open_total is {open_total}"
            ));
        }
        if open_total - unapplied != net_balance {
            failures.push(format!(
                "{FILE}, row {line} ({client} {cur}): open_total {open_total} - unapplied_credit \
                 {unapplied} is not net_balance {net_balance}"
            ));
        }
        if totals
            .insert((client.clone(), cur.clone()), (open_total, unapplied))
            .is_some()
        {
            failures.push(format!("{FILE}, row {line}: {client} {cur} appears twice"));
        }
    }
    Ok((totals, bucket_sums))
}

fn check_open_items(dir: &Path, clients: &ClientTotals) -> Result<(), Vec<String>> {
    const FILE: &str = "open-items.csv";
    let csv = Csv::read(&dir.join(FILE)).map_err(|e| vec![format!("{FILE} {e}")])?;
    let col = |n: &str| csv.col(n).map_err(|e| vec![format!("{FILE} {e}")]);
    let (id, currency, open) = (col("client_id")?, col("currency")?, col("open")?);
    let mut failures = Vec::new();
    let mut sums: BTreeMap<(String, String), Decimal> = BTreeMap::new();
    for (i, row) in csv.rows.iter().enumerate() {
        match money(FILE, i + 2, "open", row.get(open).map_or("", |s| s)) {
            Ok(v) => {
                let key = (
                    row.get(id).cloned().unwrap_or_default(),
                    row.get(currency).cloned().unwrap_or_default(),
                );
                *sums.entry(key).or_default() += v;
            }
            Err(e) => failures.push(e),
        }
    }
    compare_per_client(FILE, "open", &sums, clients, |t| t.0, &mut failures);
    let per_currency = |it: &mut dyn Iterator<Item = (&String, Decimal)>| {
        let mut out: BTreeMap<String, Decimal> = BTreeMap::new();
        for (c, v) in it {
            *out.entry(c.clone()).or_default() += v;
        }
        out
    };
    let items = per_currency(&mut sums.iter().map(|((_, c), v)| (c, *v)));
    let listed = per_currency(&mut clients.iter().map(|((_, c), v)| (c, v.0)));
    for currency in items.keys().chain(listed.keys()).collect::<BTreeSet<_>>() {
        let (a, b) = (
            items.get(currency).copied().unwrap_or_default(),
            listed.get(currency).copied().unwrap_or_default(),
        );
        if a != b {
            failures.push(format!(
                "{FILE}: the open items in {currency} add up to {a}, clients.csv open_total to {b}"
            ));
        }
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures)
    }
}

/// Compares per-(client, currency) sums with the matching `clients.csv` figure; a client with
/// no row counts as zero on either side.
fn compare_per_client(
    file: &str,
    what: &str,
    sums: &BTreeMap<(String, String), Decimal>,
    clients: &ClientTotals,
    pick: impl Fn(&(Decimal, Decimal)) -> Decimal,
    failures: &mut Vec<String>,
) {
    let keys: BTreeSet<&(String, String)> = sums.keys().chain(clients.keys()).collect();
    for key in keys {
        let here = sums.get(key).copied().unwrap_or_default();
        let there = clients.get(key).map(&pick).unwrap_or_default();
        if here != there {
            failures.push(format!(
                "{file}: {} {}: {what} adds up to {here}, clients.csv says {there}",
                key.0, key.1
            ));
        }
    }
}

fn check_unapplied(dir: &Path, clients: &ClientTotals) -> Result<(), Vec<String>> {
    const FILE: &str = "unapplied.csv";
    let csv = Csv::read(&dir.join(FILE)).map_err(|e| vec![format!("{FILE} {e}")])?;
    let col = |n: &str| csv.col(n).map_err(|e| vec![format!("{FILE} {e}")]);
    let (id, currency, amount) = (col("client_id")?, col("currency")?, col("amount")?);
    let mut failures = Vec::new();
    let mut sums: BTreeMap<(String, String), Decimal> = BTreeMap::new();
    for (i, row) in csv.rows.iter().enumerate() {
        let client = row.get(id).cloned().unwrap_or_default();
        let value = match money(FILE, i + 2, "amount", row.get(amount).map_or("", |s| s)) {
            Ok(v) => v,
            Err(e) => {
                failures.push(e);
                continue;
            }
        };
        if value <= Decimal::ZERO {
            failures.push(format!(
                "{FILE}, row {}: amount {value} is not positive",
                i + 2
            ));
        }
        // Rows without a client are unmatched payments: no client's credit.
        if !client.is_empty() {
            let key = (client, row.get(currency).cloned().unwrap_or_default());
            *sums.entry(key).or_default() += value;
        }
    }
    compare_per_client(
        FILE,
        "the client credit",
        &sums,
        clients,
        |t| t.1,
        &mut failures,
    );
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures)
    }
}

fn check_totals(
    manifest: &serde_json::Value,
    bounds: &[u32],
    clients: &ClientTotals,
    bucket_sums: &BTreeMap<String, Vec<Decimal>>,
) -> Vec<String> {
    let mut failures = Vec::new();
    let labels = bucket_labels(bounds);
    let recorded = manifest["totals"].as_object().cloned().unwrap_or_default();
    let mut currencies: BTreeSet<String> = recorded.keys().cloned().collect();
    currencies.extend(bucket_sums.keys().cloned());
    let parse = |v: &serde_json::Value| v.as_str().and_then(|s| Decimal::from_str(s).ok());
    for currency in currencies {
        let (open, credit) = clients
            .iter()
            .filter(|((_, c), _)| *c == currency)
            .fold((Decimal::ZERO, Decimal::ZERO), |acc, (_, v)| {
                (acc.0 + v.0, acc.1 + v.1)
            });
        let Some(r) = recorded.get(&currency) else {
            failures.push(format!("run.json records no totals for {currency}"));
            continue;
        };
        let mut compare = |what: &str, recorded: Option<Decimal>, csv: Decimal| {
            if recorded != Some(csv) {
                failures.push(format!(
                    "run.json {currency} {what} is {}, clients.csv adds up to {csv}",
                    recorded.map_or_else(|| "missing".to_string(), |d| d.to_string())
                ));
            }
        };
        compare("open", parse(&r["open"]), open);
        compare("unapplied_credit", parse(&r["unapplied_credit"]), credit);
        let zero = vec![Decimal::ZERO; labels.len()];
        let sums = bucket_sums.get(&currency).unwrap_or(&zero);
        for (label, sum) in labels.iter().zip(sums) {
            compare(
                &format!("bucket {label}"),
                parse(&r["buckets"][label]),
                *sum,
            );
        }
    }
    failures
}

/// Header text as a key: lower case, letters and digits only.
fn header_key(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// A workbook sheet located by its header row: the data rows and the columns found.
struct Sheet {
    rows: Vec<Vec<calamine::Data>>,
    columns: BTreeMap<&'static str, usize>,
}

fn find_sheet(
    workbook: &mut calamine::Sheets<std::io::BufReader<std::fs::File>>,
    name: &str,
    wanted: &[&'static str],
) -> Result<Sheet, String> {
    use calamine::Reader;
    let range = workbook
        .worksheet_range(name)
        .map_err(|e| format!("aging-report.xlsx has no readable sheet '{name}' ({e})"))?;
    let rows: Vec<Vec<calamine::Data>> = range.rows().map(<[calamine::Data]>::to_vec).collect();
    for (i, row) in rows.iter().enumerate().take(30) {
        let keys: Vec<String> = row.iter().map(|c| header_key(&c.to_string())).collect();
        let columns: BTreeMap<&'static str, usize> = wanted
            .iter()
            .filter_map(|w| keys.iter().position(|k| k == w).map(|k| (*w, k)))
            .collect();
        if columns.len() == wanted.len() {
            return Ok(Sheet {
                rows: rows[i + 1..].to_vec(),
                columns,
            });
        }
    }
    Err(format!(
        "aging-report.xlsx, sheet '{name}': no header row with the columns {wanted:?}"
    ))
}

/// Text of a workbook cell as a key, with a formula-guard `'` removed (the CSV has it too).
fn cell_key(cell: &calamine::Data) -> String {
    let text = cell.to_string();
    text.strip_prefix('\'').unwrap_or(&text).to_string()
}

fn csv_key(text: &str) -> String {
    text.strip_prefix('\'').unwrap_or(text).to_string()
}

fn cell_money(cell: &calamine::Data) -> Option<Decimal> {
    match cell {
        calamine::Data::Float(f) => Decimal::from_f64_retain(*f).map(|d| d.round_dp(2)),
        calamine::Data::Int(i) => Some(Decimal::from(*i)),
        calamine::Data::String(s) => Decimal::from_str(s.trim()).ok(),
        calamine::Data::Empty => Some(Decimal::ZERO),
        _ => None,
    }
}

fn check_workbook(dir: &Path, path: &Path, clients: Option<&ClientTotals>) -> Vec<String> {
    let mut failures = Vec::new();
    let mut workbook = match calamine::open_workbook_auto(path) {
        Ok(w) => w,
        Err(e) => return vec![format!("aging-report.xlsx cannot be read: {e}")],
    };
    // Clients: every clients.csv row, same open total and credit.
    if let Some(clients) = clients {
        match find_sheet(
            &mut workbook,
            "Clients",
            &["clientid", "currency", "opentotal", "unappliedcredit"],
        ) {
            Err(e) => failures.push(e),
            Ok(sheet) => {
                let mut seen = BTreeMap::new();
                for row in &sheet.rows {
                    let get = |k: &str| row.get(sheet.columns[k]);
                    let key = (
                        get("clientid").map(cell_key).unwrap_or_default(),
                        get("currency").map(cell_key).unwrap_or_default(),
                    );
                    let values = (
                        get("opentotal").and_then(cell_money),
                        get("unappliedcredit").and_then(cell_money),
                    );
                    seen.insert(key, values);
                }
                for ((client, currency), (open, credit)) in clients {
                    let key = (csv_key(client), currency.clone());
                    match seen.get(&key) {
                        None => failures.push(format!(
                            "aging-report.xlsx, sheet 'Clients': no row for {client} {currency}"
                        )),
                        Some(v) if *v != (Some(*open), Some(*credit)) => failures.push(format!(
                            "aging-report.xlsx, sheet 'Clients', {client} {currency}: open total \
                             and credit {:?} / {:?}, clients.csv {open} / {credit}",
                            v.0, v.1
                        )),
                        Some(_) => {}
                    }
                }
            }
        }
    }
    // Open items: every open-items.csv row, same open amount.
    let items = match Csv::read(&dir.join("open-items.csv")) {
        Ok(csv) => csv,
        Err(_) => return failures, // reported by the open-items check
    };
    let (Ok(id), Ok(inv), Ok(open)) = (
        items.col("client_id"),
        items.col("invoice"),
        items.col("open"),
    ) else {
        return failures;
    };
    match find_sheet(
        &mut workbook,
        "Open items",
        &["clientid", "invoice", "open"],
    ) {
        Err(e) => failures.push(e),
        Ok(sheet) => {
            let mut seen: BTreeMap<(String, String), Vec<Option<Decimal>>> = BTreeMap::new();
            for row in &sheet.rows {
                let get = |k: &str| row.get(sheet.columns[k]);
                let key = (
                    get("clientid").map(cell_key).unwrap_or_default(),
                    get("invoice").map(cell_key).unwrap_or_default(),
                );
                seen.entry(key)
                    .or_default()
                    .push(get("open").and_then(cell_money));
            }
            for row in &items.rows {
                let key = (csv_key(&row[id]), csv_key(&row[inv]));
                let expected = Decimal::from_str(&row[open]).ok();
                let found = seen.get(&key).is_some_and(|v| v.contains(&expected));
                if !found {
                    failures.push(format!(
                        "aging-report.xlsx, sheet 'Open items': no row for {} {} with open {}",
                        row[id], row[inv], row[open]
                    ));
                }
            }
        }
    }
    failures
}

/// The allocation rules a run may write (SPEC sections 4 and 11).
const RULES: [&str; 9] = [
    "reference",
    "exact-amount",
    "exact-set",
    "withholding",
    "bank-fee",
    "discount",
    "fifo",
    "credit",
    "write-off",
];

/// `allocations.csv` against `clients.csv` and the totals of `run.json`: rule names,
/// withholding and bank fees.
fn check_allocations(dir: &Path, manifest: &serde_json::Value) -> Vec<String> {
    const FILE: &str = "allocations.csv";
    let mut failures = Vec::new();
    let csv = match Csv::read(&dir.join(FILE)) {
        Ok(csv) => csv,
        Err(e) => return vec![format!("{FILE} {e}")],
    };
    let (Ok(payment), Ok(client), Ok(amount), Ok(rule)) = (
        csv.col("payment_id"),
        csv.col("client_id"),
        csv.col("amount"),
        csv.col("rule"),
    ) else {
        return vec![format!(
            "{FILE} lacks one of the columns payment_id, client_id, amount, rule"
        )];
    };
    let mut withheld: BTreeMap<String, Decimal> = BTreeMap::new();
    let (mut withheld_total, mut fees_total) = (Decimal::ZERO, Decimal::ZERO);
    for (i, row) in csv.rows.iter().enumerate() {
        let line = i + 2;
        let cell = |k: usize| row.get(k).map_or("", String::as_str);
        let name = cell(rule);
        if !RULES.contains(&name) {
            failures.push(format!("{FILE}, row {line}: unknown rule \"{name}\""));
            continue;
        }
        if !matches!(name, "withholding" | "bank-fee") {
            continue;
        }
        if !cell(payment).is_empty() {
            failures.push(format!(
                "{FILE}, row {line}: a {name} row names payment {}; it moves no money",
                cell(payment)
            ));
        }
        match money(FILE, line, "amount", cell(amount)) {
            Ok(v) if name == "withholding" => {
                *withheld.entry(cell(client).to_string()).or_default() += v;
                withheld_total += v;
            }
            Ok(v) => fees_total += v,
            Err(e) => failures.push(e),
        }
    }
    if let Ok(clients) = Csv::read(&dir.join("clients.csv")) {
        if let (Ok(id), Ok(column)) = (clients.col("client_id"), clients.col("withheld")) {
            let mut listed: BTreeMap<String, Decimal> = BTreeMap::new();
            for (i, row) in clients.rows.iter().enumerate() {
                match money(
                    "clients.csv",
                    i + 2,
                    "withheld",
                    row.get(column).map_or("", |s| s),
                ) {
                    Ok(v) if !v.is_zero() => {
                        *listed
                            .entry(row.get(id).cloned().unwrap_or_default())
                            .or_default() += v;
                    }
                    Ok(_) => {}
                    Err(e) => failures.push(e),
                }
            }
            for key in withheld
                .keys()
                .chain(listed.keys())
                .collect::<BTreeSet<_>>()
            {
                let (a, b) = (
                    withheld.get(key).copied().unwrap_or_default(),
                    listed.get(key).copied().unwrap_or_default(),
                );
                if a != b {
                    failures.push(format!(
                        "client {key}: the withholding rows of {FILE} add up to {a}, \
                         clients.csv says withheld {b}"
                    ));
                }
            }
        }
    }
    let recorded = |field: &str| -> Option<Decimal> {
        let totals = manifest["totals"].as_object()?;
        let mut sum = Decimal::ZERO;
        for t in totals.values() {
            sum += Decimal::from_str(t[field].as_str()?).ok()?;
        }
        Some(sum)
    };
    for (field, total, what) in [
        ("withheld", withheld_total, "withholding"),
        ("fees", fees_total, "bank-fee"),
    ] {
        if let Some(r) = recorded(field) {
            if r != total {
                failures.push(format!(
                    "the {what} rows of {FILE} add up to {total}, run.json totals say {field} {r}"
                ));
            }
        }
    }
    failures
}
