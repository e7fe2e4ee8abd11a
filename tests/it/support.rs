//! A small builder for running the real binary in a scratch folder and reading its outputs.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// `arrears run .` in `input` for 2026-11-30 into `out`, which must succeed: the run folder.
pub fn run_month(input: &Path, out: &Path) -> PathBuf {
    Arrears::new()
        .current_dir(input)
        .args(["run", ".", "--as-of", "2026-11-30", "--out"])
        .arg(out)
        .expect_code(0);
    out.join("2026-11-30")
}

/// The repository root (for fixtures and sample-data).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// One invocation of `arrears`.
pub struct Arrears {
    command: Command,
}

impl Arrears {
    pub fn new() -> Arrears {
        let mut command = Command::new(env!("CARGO_BIN_EXE_arrears"));
        command.env("NO_COLOR", "1");
        Arrears { command }
    }

    pub fn args<I, S>(mut self, args: I) -> Arrears
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        self.command.args(args);
        self
    }

    pub fn arg(mut self, arg: impl AsRef<std::ffi::OsStr>) -> Arrears {
        self.command.arg(arg);
        self
    }

    pub fn env(mut self, key: &str, value: impl AsRef<std::ffi::OsStr>) -> Arrears {
        self.command.env(key, value);
        self
    }

    pub fn current_dir(mut self, dir: &Path) -> Arrears {
        self.command.current_dir(dir);
        self
    }

    /// Runs and returns the output, whatever the exit code.
    pub fn output(mut self) -> Output {
        self.command.output().expect("the arrears binary runs")
    }

    /// Runs, asserts the exit code, and returns stdout.
    pub fn expect_code(self, code: i32) -> (String, String) {
        let out = self.output();
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        assert_eq!(
            out.status.code(),
            Some(code),
            "exit code\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
        );
        (stdout, stderr)
    }
}

/// Reads a CSV the tool wrote: checks the BOM, returns header and rows.
pub fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(
        bytes.starts_with(b"\xEF\xBB\xBF"),
        "{} has no UTF-8 BOM",
        path.display()
    );
    let mut reader = csv::ReaderBuilder::new().from_reader(&bytes[3..]);
    let header = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    let rows = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect();
    (header, rows)
}

/// Index of a column by name.
pub fn col(header: &[String], name: &str) -> usize {
    header
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name} in {header:?}"))
}

/// Every file below `dir`, relative path -> bytes.
pub fn snapshot(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut std::collections::BTreeMap<String, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let name = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .to_string();
                out.insert(name, std::fs::read(&path).unwrap());
            }
        }
    }
    let mut out = std::collections::BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// `run.json` without its timings, which are the one part allowed to differ between runs.
pub fn manifest_without_timings(bytes: &[u8]) -> serde_json::Value {
    let mut value: serde_json::Value = serde_json::from_slice(bytes).unwrap();
    value.as_object_mut().unwrap().remove("timings_ms");
    value
}
