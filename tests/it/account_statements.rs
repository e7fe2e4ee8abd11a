//! Statements of account through the real binary (SPEC section 14): golden open-item and
//! activity statements in English and Hebrew, the running balance of every activity statement
//! recomputed from its own lines, closing balances against `clients.csv`, a client with only
//! credits, a client with a movement in a second currency, flags that hold letters but not
//! statements, hostile names, the generated sample month and the public IBM sample.
//!
//! `ARREARS_BLESS=1 cargo test statements` rewrites the golden files in
//! `tests/golden/statements/` from the current output (review the diff before committing it).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::support::{col, read_csv, root, run_month, Arrears};

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

const CONFIG: &str = r#"
default_currency = "ILS"
write_off_tolerance = 1.00
[inputs]
invoices = ["invoices.csv"]
payments = ["bank.csv"]
clients = ["clients.csv"]

[discount]
percent = 2
days = 10

[company]
name = "Example Accounting Ltd"
address = "12 Harbour Road, Haifa"
phone = "04-1234567"
email = "billing@example.co.il"
vat_id = "514000001"

[company.he]
name = "דוגמה הנהלת חשבונות בע״מ"
address = "דרך הנמל 12, חיפה"

[letters]
language = "en"
formats = ["html", "txt", "eml"]

[statements]
kinds = ["open-item", "activity"]
period_days = 90
"#;

/// As of 2026-11-30, period 2026-09-02 … 2026-11-30.
/// - E1: an invoice and part-payment before the period (opening 600.00), a referenced payment,
///   an early-payment discount and an invoice already part-paid in the period;
/// - E2: only a credit note, no e-mail (print run);
/// - E3: an old ILS invoice still open and a USD invoice paid in the period (two sections);
/// - E4: a 0.50 rest written off;
/// - H1 (Hebrew, `do_not_remind`): payments over two invoices; still gets statements;
/// - H2: everything settled before the period: no statement.
fn month(dir: &Path) {
    write(dir, "arrears.toml", CONFIG);
    write(
        dir,
        "clients.csv",
        "Client ID,Client Name,Email,Language,Contact,Do Not Remind\n\
         E1,Brightside Design Ltd,accounts@brightside.example,en,Ms Dana Levin,\n\
         E2,Credit Only Co,,en,,\n\
         E3,Two Currency Ltd,ap@twocurrency.example,en,,\n\
         E4,Tiny Balance Ltd,ap@tiny.example,en,,\n\
         H1,סטודיו אורן,oren@studio.example,he,אורן כהן,yes\n\
         H2,\"מאפיית הגליל בע\"\"מ\",,he,,\n",
    );
    write(
        dir,
        "invoices.csv",
        "Invoice No,Client ID,Invoice Date,Due Date,Amount,Currency,Amount Paid\n\
         INV-1,E1,15/07/2026,14/08/2026,1000.00,ILS,\n\
         INV-2,E1,01/10/2026,31/10/2026,2500.00,ILS,\n\
         INV-3,E1,20/11/2026,20/12/2026,500.00,ILS,\n\
         INV-4,E1,15/09/2026,15/10/2026,800.00,ILS,300.00\n\
         CN-1,E2,10/10/2026,10/10/2026,-300.00,ILS,\n\
         INV-31,E3,01/06/2026,01/07/2026,1000.00,ILS,\n\
         INV-32,E3,15/10/2026,14/11/2026,200.00,USD,\n\
         INV-61,E4,05/10/2026,04/11/2026,100.50,ILS,\n\
         INV-41,H1,01/08/2026,31/08/2026,3000.00,ILS,\n\
         INV-42,H1,01/11/2026,01/12/2026,1200.00,ILS,\n\
         INV-51,H2,01/03/2026,31/03/2026,700.00,ILS,\n",
    );
    write(
        dir,
        "bank.csv",
        "Payment ID,Date,Amount,Currency,Client ID,Memo\n\
         P-1,10/08/2026,400.00,ILS,E1,INV-1\n\
         P-2,05/11/2026,1000.00,ILS,E1,INV-2\n\
         P-3,25/11/2026,490.00,ILS,E1,\n\
         P-4,10/11/2026,200.00,USD,E3,INV-32\n\
         P-5,20/10/2026,100.00,ILS,E4,INV-61\n\
         P-6,20/09/2026,1000.00,ILS,H1,INV-41\n\
         P-7,20/10/2026,2500.00,ILS,H1,INV-41\n\
         P-8,28/11/2026,500.00,ILS,H1,\n\
         P-9,01/04/2026,700.00,ILS,H2,INV-51\n",
    );
}

fn run(input: &Path, out: &Path) -> PathBuf {
    run_month(input, out)
}

/// An amount as the statements print it (`₪1,234.50`, `-$12.00`, `CHF 5.00`).
fn amount(text: &str) -> Decimal {
    let digits: String = text
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '.' || *c == '-')
        .collect();
    digits
        .parse()
        .unwrap_or_else(|e| panic!("not an amount: {text:?}: {e}"))
}

/// The text after `key` up to the next `, ` (or the line's end).
fn after<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let rest = &line[line.find(key)? + key.len()..];
    Some(rest.split(", ").next().unwrap_or(rest))
}

/// Checks the running balance of an activity statement in text form, line by line, and
/// returns (currency, opening, closing) per section.
fn running_balances(text: &str) -> Vec<(String, Decimal, Decimal)> {
    let mut out = Vec::new();
    let mut current: Option<(String, Decimal, Decimal)> = None;
    for line in text.lines() {
        if let Some(cur) = line.strip_prefix("== ").and_then(|l| l.strip_suffix(" ==")) {
            current = Some((cur.to_string(), Decimal::ZERO, Decimal::ZERO));
        } else if let Some(v) = after(line, "Opening balance: ").or(after(line, "יתרת פתיחה: "))
        {
            let c = current.as_mut().expect("a section");
            c.1 = amount(v);
            c.2 = c.1;
        } else if let Some(stated) = after(line, ", balance ").or(after(line, ", יתרה ")) {
            let c = current.as_mut().expect("a section");
            if let Some(v) = after(line, ": charge ").or(after(line, ": חובה ")) {
                c.2 += amount(v);
            } else if let Some(v) = after(line, ": credit ").or(after(line, ": זכות ")) {
                c.2 -= amount(v);
            } else {
                panic!("a movement without an amount: {line}");
            }
            assert_eq!(c.2, amount(stated), "running balance on: {line}");
        } else if line.starts_with("Closing balance") || line.starts_with("יתרת סגירה") {
            let c = current.take().expect("a section");
            let (_, v) = line.rsplit_once(": ").unwrap();
            assert_eq!(amount(v), c.2, "closing balance: {line}");
            out.push(c);
        }
    }
    assert!(current.is_none(), "a section without a closing balance");
    out
}

/// `clients.csv` net balances by (client, currency).
fn net_balances(run: &Path) -> BTreeMap<(String, String), Decimal> {
    let (h, rows) = read_csv(&run.join("clients.csv"));
    let (id, cur, net) = (
        col(&h, "client_id"),
        col(&h, "currency"),
        col(&h, "net_balance"),
    );
    rows.iter()
        .map(|r| ((r[id].clone(), r[cur].clone()), r[net].parse().unwrap()))
        .collect()
}

/// Every activity statement's running balance holds, its closing balance equals the index and
/// `clients.csv`, and run.json records the invariant as passed. Returns the index rows.
fn check_run(run: &Path) -> Vec<Vec<String>> {
    let (h, rows) = read_csv(&run.join("statements/index.csv"));
    assert_eq!(
        h,
        [
            "client_id",
            "client_name",
            "kind",
            "language",
            "email",
            "files",
            "currency",
            "closing_balance"
        ]
    );
    let net = net_balances(run);
    let (id, kind, files, cur, closing) = (
        col(&h, "client_id"),
        col(&h, "kind"),
        col(&h, "files"),
        col(&h, "currency"),
        col(&h, "closing_balance"),
    );
    for r in &rows {
        let want = net
            .get(&(r[id].clone(), r[cur].clone()))
            .copied()
            .unwrap_or_default();
        assert_eq!(r[closing].parse::<Decimal>().unwrap(), want, "{r:?}");
        let txt = r[files].split(';').find(|f| f.ends_with(".txt"));
        if let (Some(txt), "activity") = (txt, r[kind].as_str()) {
            let text = std::fs::read_to_string(run.join(txt)).unwrap();
            let sections = running_balances(&text);
            let (_, _, end) = sections
                .iter()
                .find(|(c, _, _)| *c == r[cur])
                .unwrap_or_else(|| panic!("{txt} has no {} section", r[cur]));
            assert_eq!(*end, want, "{txt}");
        }
    }
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(run.join("run.json")).unwrap()).unwrap();
    let text = manifest.to_string();
    assert!(
        text.contains("statement closing balances equal net balances"),
        "run.json names the invariant"
    );
    rows
}

fn golden_dir() -> PathBuf {
    root().join("tests/golden/statements")
}

#[test]
fn golden_statements_in_english_and_hebrew() {
    let input = tempfile::tempdir().unwrap();
    month(input.path());
    let out = tempfile::tempdir().unwrap();
    let run = run(input.path(), out.path());
    let rows = check_run(&run);
    let dir = run.join("statements");
    let bless = std::env::var_os("ARREARS_BLESS").is_some();
    let golden = golden_dir();
    let mut compared = 0;
    for stem in ["E1-Brightside_Design_Ltd", "H1-סטודיו_אורן"] {
        for kind in ["open-item", "activity"] {
            for ext in ["txt", "html"] {
                let name = format!("{stem}-{kind}.{ext}");
                let actual = std::fs::read_to_string(dir.join(&name)).unwrap();
                let path = golden.join(&name);
                if bless {
                    std::fs::write(&path, &actual).unwrap();
                    continue;
                }
                let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| {
                    panic!("no golden file {name}: run ARREARS_BLESS=1 cargo test statements")
                });
                assert!(
                    actual == expected,
                    "{name} differs from its golden file; if the change is intended, run \
                     ARREARS_BLESS=1 cargo test statements and review the diff\n{actual}"
                );
                compared += 1;
            }
        }
    }
    assert!(bless || compared == 8);

    // Who gets statements: everyone with an open item, a balance or a movement in the period;
    // H1's do_not_remind holds its letter back, not its statements; H2 settled long ago.
    let clients: std::collections::BTreeSet<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(
        clients.into_iter().collect::<Vec<_>>(),
        ["E1", "E2", "E3", "E4", "H1"]
    );
    // H1's courtesy note is held back (no letter folder at all: the others are at levels
    // that send none).
    assert!(!run.join("letters").exists());
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(run.join("run.json")).unwrap()).unwrap();
    assert!(
        summary.to_string().contains("\"H1\""),
        "H1 is listed as held back"
    );

    let e1 = std::fs::read_to_string(dir.join("E1-Brightside_Design_Ltd-activity.txt")).unwrap();
    let sections = running_balances(&e1);
    assert_eq!(
        sections,
        [(
            "ILS".to_string(),
            "600.00".parse().unwrap(),
            "2600.00".parse().unwrap()
        )]
    );
    assert!(
        !e1.contains("INV-1 of"),
        "INV-1 and P-1 are before the period"
    );
    for line in [
        "Early-payment discount, invoice INV-3: credit ₪10.00",
        "Paid before, invoice INV-4: credit ₪300.00",
        "Payment P-2, for INV-2: credit ₪1,000.00",
    ] {
        assert!(e1.contains(line), "{line}\n{e1}");
    }
    let h1 = std::fs::read_to_string(dir.join("H1-סטודיו_אורן-activity.txt")).unwrap();
    assert!(
        h1.contains("יתרת סגירה (ILS) ליום 30/11/2026: ₪200.00"),
        "{h1}"
    );
    let e4 = std::fs::read_to_string(dir.join("E4-Tiny_Balance_Ltd-activity.txt")).unwrap();
    assert!(
        e4.contains("30 November 2026  Small balance written off, INV-61: credit ₪0.50"),
        "{e4}"
    );
}

#[test]
fn a_client_with_only_credits_and_one_with_a_second_currency() {
    let input = tempfile::tempdir().unwrap();
    month(input.path());
    let out = tempfile::tempdir().unwrap();
    let run = run(input.path(), out.path());
    let rows = check_run(&run);
    let dir = run.join("statements");

    let e2: Vec<&Vec<String>> = rows.iter().filter(|r| r[0] == "E2").collect();
    assert_eq!(e2.len(), 2, "one row per kind: {e2:?}");
    assert!(e2
        .iter()
        .all(|r| r[6] == "ILS" && r[7] == "-300.00" && r[4].is_empty()));
    let open = std::fs::read_to_string(dir.join("E2-Credit_Only_Co-open-item.txt")).unwrap();
    assert!(
        open.contains("- Credit note CN-1 of 10 October 2026")
            && open.contains("open -₪300.00")
            && open.contains("Net balance (ILS): -₪300.00"),
        "{open}"
    );
    let activity = std::fs::read_to_string(dir.join("E2-Credit_Only_Co-activity.txt")).unwrap();
    assert!(activity.contains("Credit note CN-1: credit ₪300.00, balance -₪300.00"));
    assert!(
        !dir.join("E2-Credit_Only_Co-activity.eml").exists(),
        "no address, no draft"
    );

    let e3: Vec<(&str, &str, &str)> = rows
        .iter()
        .filter(|r| r[0] == "E3")
        .map(|r| (r[2].as_str(), r[6].as_str(), r[7].as_str()))
        .collect();
    assert_eq!(
        e3,
        [
            ("open-item", "ILS", "1000.00"),
            ("open-item", "USD", "0.00"),
            ("activity", "ILS", "1000.00"),
            ("activity", "USD", "0.00"),
        ]
    );
    let text = std::fs::read_to_string(dir.join("E3-Two_Currency_Ltd-activity.txt")).unwrap();
    let sections = running_balances(&text);
    assert_eq!(sections.len(), 2);
    assert_eq!(
        sections[0].1,
        "1000.00".parse::<Decimal>().unwrap(),
        "opening ILS"
    );
    assert!(text.contains("Payment P-4, for INV-32: credit $200.00, balance $0.00"));

    // The e-mail draft carries the statement and says what it is.
    let bytes = std::fs::read(dir.join("E3-Two_Currency_Ltd-activity.eml")).unwrap();
    let message = mail_parser::MessageParser::default().parse(&bytes).unwrap();
    assert_eq!(
        message.subject(),
        Some("Statement of account: activity · Example Accounting Ltd")
    );
    assert_eq!(
        message
            .to()
            .and_then(|a| a.first())
            .and_then(|a| a.address()),
        Some("ap@twocurrency.example")
    );
    assert!(message
        .body_text(0)
        .unwrap()
        .contains("Closing balance (USD)"));
}

const HOSTILE: &str =
    "<script>alert(\"x\")</script> 'Q' ../CON #read(\"/etc/passwd\") $x$ {{ x }} 😀 \u{202E}evil";

#[test]
fn hostile_client_names_are_inert_in_every_statement_format() {
    let input = tempfile::tempdir().unwrap();
    let dir = input.path();
    let formats = if cfg!(feature = "pdf") {
        r#"["html", "txt", "eml", "pdf"]"#
    } else {
        r#"["html", "txt", "eml"]"#
    };
    write(
        dir,
        "arrears.toml",
        &format!(
            "[inputs]\ninvoices = [\"invoices.csv\"]\npayments = [\"bank.csv\"]\nclients = [\"clients.csv\"]\n\
             [company]\nname = \"Example & Co <b>\"\nemail = \"billing@example.com\"\n\
             [letters]\nlanguage = \"en\"\nformats = {formats}\n\
             [statements]\nkinds = [\"activity\"]\n"
        ),
    );
    let quoted = HOSTILE.replace('"', "\"\"");
    write(
        dir,
        "clients.csv",
        &format!(
            "Client ID,Client Name,Email,Language\n\
             CON,\"{quoted}\",client@example.com,en\n\
             =1+1,\"{quoted}\",,he\n"
        ),
    );
    write(
        dir,
        "invoices.csv",
        "Invoice No,Client ID,Invoice Date,Due Date,Amount\n\
         <i>INV-1,CON,01/10/2026,20/11/2026,100.00\n\
         INV-2,=1+1,01/10/2026,20/11/2026,250.00\n",
    );
    write(
        dir,
        "bank.csv",
        "Date,Amount,Payer,Memo\n01/11/2026,1.00,Nobody,\n",
    );
    let out = tempfile::tempdir().unwrap();
    let run = run(dir, out.path());
    let statements = run.join("statements");
    let mut files: Vec<String> = std::fs::read_dir(&statements)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    files.sort();
    for name in &files {
        assert!(!name.starts_with('.') && !name.starts_with('='), "{name}");
        assert!(
            !name.chars().any(
                |c| matches!(c, '/' | '\\' | '<' | '>' | '"' | '\'' | '\u{202E}') || c.is_control()
            ),
            "{name}"
        );
        assert!(!name.to_uppercase().starts_with("CON."), "{name}");
    }
    let html: Vec<&String> = files.iter().filter(|f| f.ends_with(".html")).collect();
    assert_eq!(html.len(), 2, "{files:?}");
    for name in html {
        let text = std::fs::read_to_string(statements.join(name)).unwrap();
        assert!(
            !text.contains("<script>") && !text.contains("<i>"),
            "{name}"
        );
        assert!(text.contains("&lt;script&gt;"), "{name}");
        assert!(text.contains("Example &amp; Co &lt;b&gt;"), "{name}");
        assert!(
            text.contains("{{ x }}"),
            "{name}: template syntax is printed"
        );
    }
    for name in files.iter().filter(|f| f.ends_with(".txt")) {
        let text = std::fs::read_to_string(statements.join(name)).unwrap();
        assert!(text.contains(HOSTILE), "{name}: the text keeps the name");
    }
    let (h, rows) = read_csv(&statements.join("index.csv"));
    let (id, name) = (col(&h, "client_id"), col(&h, "client_name"));
    assert!(rows.iter().any(|r| r[id] == "'=1+1"), "{rows:?}");
    assert!(rows.iter().all(|r| r[name] == HOSTILE), "{rows:?}");
    let eml = files.iter().find(|f| f.ends_with(".eml")).unwrap();
    let bytes = std::fs::read(statements.join(eml)).unwrap();
    let message = mail_parser::MessageParser::default().parse(&bytes).unwrap();
    assert_eq!(
        message.to().and_then(|a| a.first()).and_then(|a| a.name()),
        Some(HOSTILE)
    );
    #[cfg(feature = "pdf")]
    {
        for name in files.iter().filter(|f| f.ends_with(".pdf")) {
            let pdf = std::fs::read(statements.join(name)).unwrap();
            let text = pdf_extract::extract_text_from_mem(&pdf).unwrap();
            assert!(text.contains("/etc/passwd"), "{name}: {text}");
            assert!(!text.contains("root:"), "{name}");
        }
        assert!(files.contains(&"print-run.pdf".to_string()), "{files:?}");
        assert_eq!(message.attachment_count(), 1, "the PDF is attached");
    }
}

/// The PDF statements read in logical order in both languages, and the clients without an
/// e-mail address are in the print run.
#[cfg(feature = "pdf")]
#[test]
fn pdf_statements_in_english_and_hebrew() {
    let input = tempfile::tempdir().unwrap();
    month(input.path());
    let config = CONFIG.replace(
        "formats = [\"html\", \"txt\", \"eml\"]",
        "formats = [\"txt\", \"eml\", \"pdf\"]",
    );
    write(input.path(), "arrears.toml", &config);
    let out = tempfile::tempdir().unwrap();
    let run = run(input.path(), out.path());
    let dir = run.join("statements");
    let text = |name: &str| crate::letters::pdf_text(&std::fs::read(dir.join(name)).unwrap());
    let en = text("E1-Brightside_Design_Ltd-activity.pdf");
    assert!(en.contains("Closing balance"), "{en}");
    assert!(en.contains("₪2,600.00"), "{en}");
    let he = text("H1-סטודיו_אורן-activity.pdf");
    assert!(he.contains("יתרת סגירה"), "{he}");
    assert!(he.contains("סטודיו אורן"), "{he}");
    let print = text("print-run.pdf");
    assert!(print.contains("Credit Only Co"), "{print}");
    assert!(
        !print.contains("Brightside"),
        "clients with e-mail are not printed"
    );
    let bytes = std::fs::read(dir.join("E1-Brightside_Design_Ltd-open-item.eml")).unwrap();
    let message = mail_parser::MessageParser::default().parse(&bytes).unwrap();
    use mail_parser::MimeHeaders as _;
    let pdf = message.attachment(0).unwrap();
    assert!(pdf.contents().starts_with(b"%PDF"));
    assert_eq!(
        pdf.attachment_name(),
        Some("E1-Brightside_Design_Ltd-open-item.pdf")
    );
}

/// The generated sample month, as a newcomer runs it (without PDF, to keep the test quick).
#[test]
fn the_sample_month_has_statements_whose_balances_run_and_close() {
    let input = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(root().join("sample-data")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), input.path().join(entry.file_name())).unwrap();
    }
    let config = std::fs::read_to_string(input.path().join("arrears.toml")).unwrap();
    assert!(config.contains("kinds = [\"open-item\", \"activity\"]"));
    let config = config.replace(
        "[letters]\nlanguage = \"he\"\n",
        "[letters]\nlanguage = \"he\"\nformats = [\"txt\"]\n",
    );
    write(input.path(), "arrears.toml", &config);
    let out = tempfile::tempdir().unwrap();
    let run = run(input.path(), out.path());
    let rows = check_run(&run);
    // Every client with an open item has both statements.
    let (h, items) = read_csv(&run.join("open-items.csv"));
    let id = col(&h, "client_id");
    for item in &items {
        for kind in ["open-item", "activity"] {
            assert!(
                rows.iter().any(|r| r[0] == item[id] && r[2] == kind),
                "{} has no {kind} statement",
                item[id]
            );
        }
    }
    assert!(rows.len() >= 2 * 30, "{} rows", rows.len());
    assert!(rows.iter().any(|r| r[3] == "he") && rows.iter().any(|r| r[3] == "en"));
}

/// The IBM sample: every payment names its customer, so each customer's opening balance is
/// every invoice before the period less every payment before it, and the closing balance the
/// same up to the as-of date — computed here from the source file, not by the tool.
#[test]
fn ibm_statements_open_and_close_on_the_source_figures() {
    let input = tempfile::tempdir().unwrap();
    let source = root().join("tests/fixtures/external/ibm");
    for name in ["invoices.csv", "payments.csv", "arrears.toml"] {
        std::fs::copy(source.join(name), input.path().join(name)).unwrap();
    }
    let mut config = std::fs::read_to_string(input.path().join("arrears.toml")).unwrap();
    config = config.replace(
        "[letters]\nlanguage = \"en\"\n",
        "[letters]\nlanguage = \"en\"\nformats = [\"txt\"]\n",
    );
    config.push_str("\n[statements]\nkinds = [\"activity\"]\nperiod_days = 120\n");
    write(input.path(), "arrears.toml", &config);
    let out = tempfile::tempdir().unwrap();
    Arrears::new()
        .current_dir(input.path())
        .args(["run", ".", "--as-of", "2013-12-31", "--out"])
        .arg(out.path())
        .expect_code(0);
    let run = out.path().join("2013-12-31");
    let rows = check_run(&run);

    let as_of = NaiveDate::from_ymd_opt(2013, 12, 31).unwrap();
    let from = NaiveDate::from_ymd_opt(2013, 9, 3).unwrap();
    let date = |s: &str| NaiveDate::parse_from_str(s, "%m/%d/%Y").unwrap();
    // customer -> (opening, closing)
    let mut want: BTreeMap<String, (Decimal, Decimal)> = BTreeMap::new();
    let source_csv = |name: &str| {
        let mut reader = csv::Reader::from_path(input.path().join(name)).unwrap();
        let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
        let rows: Vec<Vec<String>> = reader
            .records()
            .map(|r| r.unwrap().iter().map(String::from).collect())
            .collect();
        (header, rows)
    };
    let (h, invoices) = source_csv("invoices.csv");
    let (c, d, a) = (
        col(&h, "customerID"),
        col(&h, "InvoiceDate"),
        col(&h, "InvoiceAmount"),
    );
    for r in &invoices {
        let (day, amount) = (date(&r[d]), r[a].parse::<Decimal>().unwrap());
        let e = want.entry(r[c].clone()).or_default();
        if day < from {
            e.0 += amount;
        }
        if day <= as_of {
            e.1 += amount;
        }
    }
    let (h, payments) = source_csv("payments.csv");
    let (c, d, a) = (
        col(&h, "Customer ID"),
        col(&h, "Payment Date"),
        col(&h, "Amount"),
    );
    for r in &payments {
        let (day, amount) = (date(&r[d]), r[a].parse::<Decimal>().unwrap());
        let e = want.entry(r[c].clone()).or_default();
        if day < from {
            e.0 -= amount;
        }
        if day <= as_of {
            e.1 -= amount;
        }
    }
    assert!(rows.len() > 50, "{} statements", rows.len());
    for r in &rows {
        let text = std::fs::read_to_string(run.join(&r[5])).unwrap();
        let sections = running_balances(&text);
        let (opening, closing) = want[&r[0]];
        assert_eq!(
            sections,
            [("USD".to_string(), opening, closing)],
            "{}",
            r[0]
        );
    }
}

/// The invariant compares each closing balance with `clients.csv`: a net balance that is off
/// by a cent fails it.
#[test]
fn the_invariant_catches_a_balance_that_does_not_close() {
    let input = tempfile::tempdir().unwrap();
    month(input.path());
    let config = arrears::config::Config::load(
        Some(input.path()),
        None,
        &arrears::config::Overrides::default(),
    )
    .unwrap();
    let as_of = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
    let mut o =
        arrears::app::compute(&config, as_of, &arrears::history::History::default()).unwrap();
    let check = o.accounts.check(&o.ledger, &o.recon, &o.class);
    assert!(check.passed, "{}", check.detail);
    o.class.clients[0].net_balance += Decimal::new(1, 2);
    let check = o.accounts.check(&o.ledger, &o.recon, &o.class);
    assert!(!check.passed);
    assert!(check.detail.contains("client E1 ILS"), "{}", check.detail);
}
