//! `arrears office` and the output-folder lock, through the binary: an office of a Hebrew and
//! an English company, one with a broken input and one with a run folder made before; the
//! overview's figures against each company's own `clients.csv`; the same bytes whatever
//! `--jobs`; two runs on one output folder; a stale lock taken over.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use rust_decimal::Decimal;

use crate::support::{col, manifest_without_timings, read_csv, root, snapshot, Arrears};

const AS_OF: &str = "2026-11-30";

/// The sample month as a company of a test office. These tests are about the batch, the
/// folders and the locks, not the typesetter: the copy writes its letters and statements
/// without PDF, which a debug build typesets slowly (the sample's statements alone are ~150).
fn sample_company(to: &Path) {
    copy_dir(&root().join("sample-data"), to);
    let path = to.join("arrears.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let light = text
        .replacen(
            "[letters]\n",
            "[letters]\nformats = [\"html\", \"txt\", \"eml\"]\n",
            1,
        )
        .replacen(
            "kinds = [\"open-item\", \"activity\"]",
            "kinds = [\"open-item\"]",
            1,
        );
    assert_ne!(
        light, text,
        "the sample's [letters] and [statements] tables moved"
    );
    std::fs::write(path, light).unwrap();
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// An office: `gilboa` (the Hebrew sample month), `ibm` (English, USD, no `[output] dir`),
/// `broken` (a password-protected workbook as its invoices) and `done-before` (the sample
/// month, already run for the date).
fn office() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    sample_company(&d.join("gilboa"));
    copy_dir(&root().join("tests/fixtures/external/ibm"), &d.join("ibm"));
    let broken = d.join("broken");
    std::fs::create_dir_all(&broken).unwrap();
    std::fs::copy(
        root().join("tests/fixtures/broken/password.xlsx"),
        broken.join("invoices.xlsx"),
    )
    .unwrap();
    std::fs::copy(
        root().join("sample-data/bank-2026-11.csv"),
        broken.join("bank.csv"),
    )
    .unwrap();
    std::fs::write(
        broken.join("arrears.toml"),
        "[inputs]\ninvoices = [\"invoices.xlsx\"]\npayments = [\"bank.csv\"]\n\n[company]\nname = \"Broken Books Ltd\"\n",
    )
    .unwrap();
    sample_company(&d.join("done-before"));
    std::fs::create_dir_all(d.join("not-a-company")).unwrap();
    Arrears::new()
        .arg("run")
        .arg(d.join("done-before"))
        .args(["--as-of", AS_OF, "--quiet", "--out"])
        .arg(d.join("done-before/arrears-out"))
        .expect_code(0);
    dir
}

fn office_out(dir: &Path) -> PathBuf {
    dir.join("office-out").join(AS_OF)
}

fn dec(text: &str) -> Decimal {
    text.parse()
        .unwrap_or_else(|_| panic!("{text:?} is not an amount"))
}

/// `arrears run`'s message for a folder (its stderr after `arrears: `, causes joined by `; `).
fn run_message(folder: &Path) -> String {
    let out = Arrears::new()
        .arg("run")
        .arg(folder)
        .args(["--as-of", AS_OF, "--quiet", "--out"])
        .arg(folder.join("arrears-out"))
        .output();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    stderr
        .trim_end()
        .strip_prefix("arrears: ")
        .unwrap()
        .lines()
        .map(str::trim)
        .collect::<Vec<_>>()
        .join("; ")
}

#[test]
fn an_office_runs_every_company_and_reports_the_failed_ones() {
    let dir = office();
    let d = dir.path();
    let before = snapshot(&d.join("done-before/arrears-out"));
    let (stdout, _) = Arrears::new()
        .arg("office")
        .arg(d)
        .args(["--as-of", AS_OF, "--jobs", "2"])
        .expect_code(6);

    // Failed companies first in the summary, each with the message `arrears run` gives.
    let failed_at = stdout.find("failed (").unwrap();
    let look_at = stdout.find("look at first").unwrap();
    assert!(failed_at < look_at, "{stdout}");
    let broken_message = run_message(&d.join("broken"));
    assert!(
        broken_message.contains("password"),
        "the broken company's message names the problem: {broken_message}"
    );
    assert!(
        stdout.contains(&format!("  broken: {broken_message}")),
        "{stdout}"
    );
    assert!(stdout.contains("  done-before: "), "{stdout}");
    assert!(stdout.contains("largest overdue in ILS"), "{stdout}");

    // The company run before is untouched, and nothing of the broken one was written.
    assert_eq!(snapshot(&d.join("done-before/arrears-out")), before);
    assert!(!d.join("broken/arrears-out").exists());
    // A company without `[output] dir` writes in its own folder; nothing in the office's.
    assert!(d
        .join("ibm/arrears-out")
        .join(AS_OF)
        .join("clients.csv")
        .is_file());
    assert!(d
        .join("gilboa/arrears-out")
        .join(AS_OF)
        .join("aging-report.xlsx")
        .is_file());
    assert!(!d.join("arrears-out").exists());
    assert!(!d.join("not-a-company/arrears-out").exists());

    // The overview: exactly three files.
    let overview = office_out(d);
    let mut files: Vec<String> = std::fs::read_dir(&overview)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    files.sort();
    assert_eq!(files, ["office-report.xlsx", "office.csv", "office.json"]);

    let (header, rows) = read_csv(&overview.join("office.csv"));
    assert_eq!(
        header.join(","),
        "company,folder,status,currency,open_total,not_due,b1_30,b31_60,b61_90,b91_120,b120_plus,overdue,overdue_share,dso,clients_overdue,letters,unmatched_payments,error_issues,message"
    );
    let folder = col(&header, "folder");
    let status = col(&header, "status");
    let message = col(&header, "message");
    let by_folder =
        |name: &str| -> Vec<&Vec<String>> { rows.iter().filter(|r| r[folder] == name).collect() };
    let broken = by_folder("broken");
    assert_eq!(broken.len(), 1);
    assert_eq!(broken[0][status], "failed");
    assert_eq!(broken[0][message], broken_message);
    assert_eq!(broken[0][col(&header, "open_total")], "");
    let done_before = by_folder("done-before");
    assert_eq!(done_before[0][status], "failed");
    assert!(
        done_before[0][message].contains("already exists"),
        "{done_before:?}"
    );
    let gilboa = by_folder("gilboa");
    assert_eq!(gilboa[0][col(&header, "company")], "גלבוע מערכות מידע בע״מ");
    assert!(gilboa.iter().all(|r| r[status] == "ok"));
    assert_eq!(by_folder("ibm")[0][col(&header, "company")], "ibm");
    assert_eq!(by_folder("ibm")[0][col(&header, "currency")], "USD");

    // Each company's figures are its own clients.csv's sums, per currency.
    for (name, run) in [
        ("gilboa", d.join("gilboa/arrears-out").join(AS_OF)),
        ("ibm", d.join("ibm/arrears-out").join(AS_OF)),
    ] {
        let (ch, crows) = read_csv(&run.join("clients.csv"));
        let mut sums: BTreeMap<(String, String), Decimal> = BTreeMap::new();
        for r in &crows {
            for column in [
                "open_total",
                "not_due",
                "b1_30",
                "b31_60",
                "b61_90",
                "b91_120",
                "b120_plus",
            ] {
                *sums
                    .entry((r[col(&ch, "currency")].clone(), column.to_string()))
                    .or_default() += dec(&r[col(&ch, column)]);
            }
        }
        let office_rows = by_folder(name);
        assert!(!office_rows.is_empty());
        for r in office_rows {
            let currency = &r[col(&header, "currency")];
            for column in [
                "open_total",
                "not_due",
                "b1_30",
                "b31_60",
                "b61_90",
                "b91_120",
                "b120_plus",
            ] {
                let own = sums
                    .get(&(currency.clone(), column.to_string()))
                    .copied()
                    .unwrap_or_default();
                assert_eq!(
                    dec(&r[col(&header, column)]),
                    own,
                    "{name} {currency} {column}"
                );
            }
            let overdue: Decimal = ["b1_30", "b31_60", "b61_90", "b91_120", "b120_plus"]
                .iter()
                .map(|c| dec(&r[col(&header, c)]))
                .sum();
            assert_eq!(dec(&r[col(&header, "overdue")]), overdue);
        }
    }

    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(overview.join("office.json")).unwrap()).unwrap();
    assert_eq!(json["as_of"], AS_OF);
    let companies = json["companies"].as_array().unwrap();
    let names: Vec<&str> = companies
        .iter()
        .map(|c| c["folder"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["broken", "done-before", "gilboa", "ibm"]);
    assert_eq!(companies[0]["exit_code"], 1);
    assert_eq!(companies[0]["status"], "failed");
    assert_eq!(companies[2]["status"], "ok");
    assert_eq!(
        companies[2]["run_folder"],
        format!("gilboa/arrears-out/{AS_OF}")
    );

    // The workbook: Companies then Summary, a link to the company's workbook.
    let xlsx = std::fs::read(overview.join("office-report.xlsx")).unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(xlsx)).unwrap();
    let mut workbook = String::new();
    std::io::Read::read_to_string(&mut zip.by_name("xl/workbook.xml").unwrap(), &mut workbook)
        .unwrap();
    let companies_at = workbook.find("name=\"Companies\"").unwrap();
    assert!(companies_at < workbook.find("name=\"Summary\"").unwrap());
    let mut rels = String::new();
    std::io::Read::read_to_string(
        &mut zip.by_name("xl/worksheets/_rels/sheet1.xml.rels").unwrap(),
        &mut rels,
    )
    .unwrap();
    assert!(
        rels.contains(&format!(
            "../../gilboa/arrears-out/{AS_OF}/aging-report.xlsx"
        )),
        "{rels}"
    );

    // A second office run for the date stops before any company runs.
    let gilboa_before = snapshot(&d.join("gilboa/arrears-out"));
    let (_, stderr) = Arrears::new()
        .arg("office")
        .arg(d)
        .args(["--as-of", AS_OF])
        .expect_code(1);
    assert!(stderr.contains("already exists"), "{stderr}");
    assert_eq!(snapshot(&d.join("gilboa/arrears-out")), gilboa_before);
}

/// Company run folders and the overview, with run.json's and office.json's timings left out.
fn comparable(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    for (name, bytes) in snapshot(dir) {
        if name.contains("history.csv") || name.ends_with(".arrears.lock") {
            continue;
        }
        let bytes = if name.ends_with("run.json") {
            manifest_without_timings(&bytes).to_string().into_bytes()
        } else if name.ends_with("office.json") {
            let mut v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
            for c in v["companies"].as_array_mut().unwrap() {
                c.as_object_mut().unwrap().remove("timings_ms");
            }
            v.to_string().into_bytes()
        } else {
            bytes
        };
        files.insert(name, bytes);
    }
    files
}

#[test]
fn the_same_bytes_whatever_the_jobs_and_as_arrears_run_writes_them() {
    let dir = office();
    let d = dir.path();
    Arrears::new()
        .arg("office")
        .arg(d)
        .args(["--as-of", AS_OF, "--force", "--jobs", "1"])
        .expect_code(6);
    let one = comparable(d);
    Arrears::new()
        .arg("office")
        .arg(d)
        .args(["--as-of", AS_OF, "--force", "--jobs", "2"])
        .expect_code(6);
    let two = comparable(d);
    assert_eq!(
        one.keys().collect::<Vec<_>>(),
        two.keys().collect::<Vec<_>>()
    );
    for (name, bytes) in &one {
        assert!(
            two[name] == *bytes,
            "{name} differs between --jobs 1 and --jobs 2"
        );
    }
    // `arrears run SUBFOLDER` makes the same run folder byte for byte.
    let office_run = comparable(&d.join("gilboa/arrears-out").join(AS_OF));
    Arrears::new()
        .arg("run")
        .arg(d.join("gilboa"))
        .args(["--as-of", AS_OF, "--force", "--quiet", "--out"])
        .arg(d.join("gilboa/arrears-out"))
        .expect_code(0);
    assert_eq!(
        comparable(&d.join("gilboa/arrears-out").join(AS_OF)),
        office_run
    );
}

fn host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .unwrap()
        .trim()
        .to_string()
}

#[test]
fn a_second_run_on_a_locked_folder_refuses_naming_the_holder_and_history_is_kept() {
    let input = tempfile::tempdir().unwrap();
    sample_company(input.path());
    let out = tempfile::tempdir().unwrap();
    let lock = out.path().join(".arrears.lock");
    // The first run is paused while it holds the lock, so the second surely meets it.
    let mut first = None;
    for _ in 0..20 {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_arrears"))
            .arg("run")
            .arg(input.path())
            .args(["--as-of", AS_OF, "--quiet", "--force", "--out"])
            .arg(out.path())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let started = Instant::now();
        while !lock.exists() && started.elapsed() < Duration::from_secs(20) {
            if child.try_wait().unwrap().is_some() {
                break;
            }
        }
        let stopped = std::process::Command::new("kill")
            .args(["-STOP", &child.id().to_string()])
            .status()
            .unwrap()
            .success();
        // Caught between creating the lock file and writing its lines, the run would hold an
        // empty lock: try again until it is stopped holding a whole one.
        let whole = std::fs::read_to_string(&lock).is_ok_and(|text| {
            text.contains(&format!("pid={}\n", child.id())) && text.contains("command=")
        });
        if stopped && whole && child.try_wait().unwrap().is_none() {
            first = Some(child);
            break;
        }
        let _ = std::process::Command::new("kill")
            .args(["-CONT", &child.id().to_string()])
            .status();
        child.wait().unwrap();
    }
    let mut first = first.expect("the first run was caught holding the lock");
    let (_, stderr) = Arrears::new()
        .arg("run")
        .arg(input.path())
        .args(["--as-of", AS_OF, "--quiet", "--force", "--out"])
        .arg(out.path())
        .expect_code(1);
    assert!(
        stderr.contains(&format!("process {}", first.id()))
            && stderr.contains(&host())
            && stderr.contains("in use by arrears run"),
        "{stderr}"
    );
    std::process::Command::new("kill")
        .args(["-CONT", &first.id().to_string()])
        .status()
        .unwrap();
    assert!(first.wait().unwrap().success());
    assert!(!lock.exists(), "the lock goes with its run");
    let history = std::fs::read_to_string(out.path().join("history.csv")).unwrap();
    let letters = history.lines().filter(|l| l.starts_with(AS_OF)).count();
    assert!(letters > 0, "{history}");

    // A later month adds to the history; nothing of the first is lost.
    Arrears::new()
        .arg("run")
        .arg(input.path())
        .args(["--as-of", "2026-12-31", "--quiet", "--out"])
        .arg(out.path())
        .expect_code(0);
    let after = std::fs::read_to_string(out.path().join("history.csv")).unwrap();
    assert_eq!(
        after.lines().filter(|l| l.starts_with(AS_OF)).count(),
        letters
    );
    assert!(
        after.lines().any(|l| l.starts_with("2026-12-31")),
        "{after}"
    );
}

#[test]
fn a_dead_process_lock_is_taken_over_and_another_computers_is_reported() {
    let input = tempfile::tempdir().unwrap();
    sample_company(input.path());
    let out = tempfile::tempdir().unwrap();
    let lock = out.path().join(".arrears.lock");
    // Above any process id Linux hands out: a process that is surely gone.
    std::fs::write(
        &lock,
        format!(
            "host={}\npid=4000000000\nstarted=2026-11-30T06:00:00Z\ncommand=arrears run\n",
            host()
        ),
    )
    .unwrap();
    Arrears::new()
        .arg("run")
        .arg(input.path())
        .args(["--as-of", AS_OF, "--quiet", "--out"])
        .arg(out.path())
        .expect_code(0);
    assert!(out.path().join(AS_OF).join("run.json").is_file());
    assert!(!lock.exists());

    std::fs::write(
        &lock,
        "host=colleague-laptop\npid=812\nstarted=2026-11-30T06:00:00Z\ncommand=arrears office\n",
    )
    .unwrap();
    let (_, stderr) = Arrears::new()
        .arg("run")
        .arg(input.path())
        .args(["--as-of", AS_OF, "--quiet", "--force", "--out"])
        .arg(out.path())
        .expect_code(1);
    assert!(
        stderr.contains("colleague-laptop")
            && stderr.contains("process 812")
            && stderr.contains("ago"),
        "{stderr}"
    );
    assert!(lock.exists(), "another computer's lock is left alone");
}

#[test]
fn init_office_sets_up_a_company_that_runs_and_checks() {
    let dir = tempfile::tempdir().unwrap();
    let office = dir.path().join("office");
    Arrears::new()
        .args(["init", "--office"])
        .arg(&office)
        .expect_code(0);
    assert!(office.join("example-company/arrears.toml").is_file());
    let out = Arrears::new().arg("check").arg(&office).output();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("== example-company =="), "{stdout}");
    assert!(matches!(out.status.code(), Some(0 | 4)), "{stdout}");
    let (stdout, _) = Arrears::new()
        .arg("office")
        .arg(&office)
        .args(["--as-of", AS_OF, "--dry-run"])
        .expect_code(0);
    assert!(stdout.contains("1 company, 1 ran, 0 failed"), "{stdout}");
    assert!(office
        .join("office-out")
        .join(format!("{AS_OF}-dry-run"))
        .join("office.csv")
        .is_file());
    assert!(office
        .join("example-company/arrears-out")
        .join(format!("{AS_OF}-dry-run"))
        .is_dir());
}

#[test]
fn the_bundled_sample_office_runs_in_one_command() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&root().join("sample-office"), dir.path());
    let (stdout, _) = Arrears::new()
        .arg("office")
        .arg(dir.path())
        .args(["--as-of", AS_OF])
        .expect_code(0);
    assert!(stdout.contains("3 companies, 3 ran, 0 failed"), "{stdout}");
    let (_, rows) = read_csv(&office_out(dir.path()).join("office.csv"));
    let companies: std::collections::BTreeSet<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(
        companies.into_iter().collect::<Vec<_>>(),
        [
            "Harbor Tools Ltd",
            "גלבוע מערכות מידע בע״מ",
            "מזון הנגב בע״מ"
        ]
    );
}

/// The state of one output folder after a kill: each run folder complete (with its run.json),
/// or absent.
fn complete_or_absent(run: &Path) {
    if run.exists() {
        assert!(
            run.join("run.json").is_file() || run.join("office.json").is_file(),
            "{} is half written",
            run.display()
        );
    }
}

#[test]
fn an_office_killed_at_any_moment_leaves_whole_folders_and_a_forced_rerun_completes() {
    for delay_ms in [30, 150, 400, 900] {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        for name in ["a", "b", "c"] {
            sample_company(&d.join(name));
        }
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_arrears"))
            .arg("office")
            .arg(d)
            .args(["--as-of", AS_OF, "--jobs", "2"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill();
        child.wait().unwrap();
        for name in ["a", "b", "c"] {
            complete_or_absent(&d.join(name).join("arrears-out").join(AS_OF));
        }
        complete_or_absent(&office_out(d));
        // The killed command's locks are stale now: the rerun takes them over.
        Arrears::new()
            .arg("office")
            .arg(d)
            .args(["--as-of", AS_OF, "--force", "--jobs", "2"])
            .expect_code(0);
        for name in ["a", "b", "c"] {
            let out = d.join(name).join("arrears-out");
            assert!(out.join(AS_OF).join("run.json").is_file());
            assert!(!out.join(".arrears.lock").exists());
        }
        assert!(office_out(d).join("office-report.xlsx").is_file());
        assert!(!d.join("office-out/.arrears.lock").exists());
    }
}

/// `arrears send` takes the output folder's lock too: while a colleague's command holds it,
/// a send refuses, naming the holder, and writes nothing to the sent log.
#[test]
fn a_send_on_a_locked_folder_refuses_and_logs_nothing() {
    let input = tempfile::tempdir().unwrap();
    sample_company(input.path());
    let out = tempfile::tempdir().unwrap();
    Arrears::new()
        .arg("run")
        .arg(input.path())
        .args(["--as-of", AS_OF, "--quiet", "--out"])
        .arg(out.path())
        .expect_code(0);
    let held = arrears::lock::OutputLock::acquire_for(out.path(), "arrears run").unwrap();
    let (_, stderr) = Arrears::new()
        .arg("send")
        .arg(out.path().join(AS_OF))
        .arg("--dry-run")
        .expect_code(1);
    assert!(stderr.contains("in use by arrears run"), "{stderr}");
    assert!(!out.path().join("sent.csv").exists());
    drop(held);
    assert!(!out.path().join(".arrears.lock").exists());
}
