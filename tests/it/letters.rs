//! Letters through the real binary: golden letters for every level in English and Hebrew,
//! hostile client names in every format and file name, the e-mail draft's structure, the PDF's
//! text, `arrears init`, and a custom ladder without templates.
//!
//! `ARREARS_BLESS=1 cargo test letters` rewrites the golden files in `tests/golden/letters/`
//! from the current output (review the diff before committing it).

use std::path::{Path, PathBuf};

use crate::support::{col, read_csv, root, run_month, Arrears};

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

const CONFIG: &str = r#"
default_currency = "ILS"
[inputs]
invoices = ["invoices.csv"]
payments = ["bank.csv"]
clients = ["clients.csv"]

[discount]
percent = 2
days = 10

[[dunning.levels]]
name = "courtesy"
days = -7
[[dunning.levels]]
name = "reminder-1"
days = 5
[[dunning.levels]]
name = "reminder-2"
days = 30
[[dunning.levels]]
name = "final-notice"
days = 60
[[dunning.levels]]
name = "collections"
days = 90
letter = true

[company]
name = "Example Accounting Ltd"
address = "12 Harbour Road, Haifa"
phone = "04-1234567"
email = "billing@example.co.il"
website = "https://example.co.il"
vat_id = "514000001"
bank_details = "Bank Leumi (10), branch 800, account 123456"
payment_methods = ["Bank transfer to the account above", "Credit card by phone 04-1234567", "Cheque to Example Accounting Ltd"]
signature = "Accounts department, Example Accounting Ltd"

[company.he]
name = "דוגמה הנהלת חשבונות בע״מ"
address = "דרך הנמל 12, חיפה"
bank_details = "בנק לאומי (10), סניף 800, חשבון 123456"
payment_methods = ["העברה בנקאית לחשבון שלמעלה", "כרטיס אשראי בטלפון 04-1234567", "המחאה לפקודת דוגמה הנהלת חשבונות בע״מ"]
signature = "מחלקת הנהלת חשבונות, דוגמה הנהלת חשבונות בע״מ"

[letters]
language = "en"
interest_rate = 4
payment_plan_instalments = 3
deadline_days = 14
"#;

/// One client per level and language (E1..E5 English, H1..H5 Hebrew): courtesy, reminder-1,
/// reminder-2, final-notice, collections. E3 and H3 have no e-mail address (post).
fn golden_month(dir: &Path) {
    write(dir, "arrears.toml", CONFIG);
    write(
        dir,
        "clients.csv",
        "Client ID,Client Name,Email,Phone,Address,Language,Contact,Collector\n\
         E1,Brightside Design Ltd,accounts@brightside.example,03-5550001,\"4 Rothschild Blvd, Tel Aviv\",en,Ms Dana Levin,Ruth Amir\n\
         E2,Northwind Traders,ap@northwind.example,,,en,Mr Tom Hale,\n\
         E3,Orchard Lane Cafe,,,\"9 Orchard Lane, Haifa\",en,,\n\
         E4,Keystone Builders,finance@keystone.example,,,en,Ms Maya Stern,Ruth Amir\n\
         E5,Harbor Freight Co,ap@harbor.example,,,en,,\n\
         H1,סטודיו אורן,oren@studio.example,,\"רחוב הרצל 10, חיפה\",he,אורן כהן,רות אמיר\n\
         H2,\"מאפיית הגליל בע\"\"מ\",office@galil.example,,,he,שרה לוי,\n\
         H3,קליניקת שקד,,,\"שדרות ירושלים 5, יפו\",he,,\n\
         H4,נגרות עמית ובניו,amit@wood.example,,,he,עמית ברק,רות אמיר\n\
         H5,מוסך הדרום,south@garage.example,,,he,,\n",
    );
    write(
        dir,
        "invoices.csv",
        "Invoice No,Client ID,Invoice Date,Due Date,Amount,Currency\n\
         INV-101,E1,25/11/2026,04/12/2026,1200.00,ILS\n\
         INV-102,E2,21/10/2026,20/11/2026,2340.50,ILS\n\
         INV-103,E3,21/09/2026,21/10/2026,800.00,ILS\n\
         INV-104,E3,25/09/2026,25/10/2026,150.00,USD\n\
         INV-105,E4,22/08/2026,21/09/2026,5000.00,ILS\n\
         INV-106,E5,28/07/2026,27/08/2026,3000.00,ILS\n\
         INV-201,H1,25/11/2026,04/12/2026,1200.00,ILS\n\
         INV-202,H2,21/10/2026,20/11/2026,2340.50,ILS\n\
         INV-203,H3,21/09/2026,21/10/2026,800.00,ILS\n\
         INV-204,H4,22/08/2026,21/09/2026,5000.00,ILS\n\
         INV-205,H4,01/09/2026,01/10/2026,1234.56,ILS\n\
         INV-206,H5,28/07/2026,27/08/2026,3000.00,ILS\n",
    );
    write(
        dir,
        "bank.csv",
        "Date,Amount,Payer,Memo\n\
         10/11/2026,340.50,Northwind Traders,INV-102\n\
         10/11/2026,340.50,מאפיית הגליל,INV-202\n",
    );
}

/// A reminder history with earlier letters for the reminder-2 and final-notice clients.
fn golden_history(out: &Path) {
    std::fs::create_dir_all(out).unwrap();
    write(
        out,
        "history.csv",
        "\u{feff}date,client,level,invoices,amount,files\r\n\
         2026-09-30,E4,reminder-1,INV-105,5000.00 ILS,\r\n\
         2026-10-31,E3,reminder-1,INV-103,800.00 ILS,\r\n\
         2026-10-31,E4,reminder-2,INV-105,5000.00 ILS,\r\n\
         2026-09-30,H4,reminder-1,INV-204,5000.00 ILS,\r\n\
         2026-10-31,H3,reminder-1,INV-203,800.00 ILS,\r\n\
         2026-10-31,H4,reminder-2,INV-204,5000.00 ILS,\r\n",
    );
}

fn run(input: &Path, out: &Path) -> PathBuf {
    run_month(input, out).join("letters")
}

fn golden_dir() -> PathBuf {
    root().join("tests/golden/letters")
}

#[test]
fn golden_letters_for_every_level_in_english_and_hebrew() {
    let input = tempfile::tempdir().unwrap();
    golden_month(input.path());
    let out = tempfile::tempdir().unwrap();
    golden_history(out.path());
    let letters = run(input.path(), out.path());

    let (header, rows) = read_csv(&letters.join("index.csv"));
    let level = col(&header, "level");
    let levels: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| (r[col(&header, "client_id")].as_str(), r[level].as_str()))
        .collect();
    assert_eq!(
        levels,
        [
            ("E1", "courtesy"),
            ("E2", "reminder-1"),
            ("E3", "reminder-2"),
            ("E4", "final-notice"),
            ("E5", "collections"),
            ("H1", "courtesy"),
            ("H2", "reminder-1"),
            ("H3", "reminder-2"),
            ("H4", "final-notice"),
            ("H5", "collections"),
        ]
    );
    let bless = std::env::var_os("ARREARS_BLESS").is_some();
    let golden = golden_dir();
    if bless {
        std::fs::create_dir_all(&golden).unwrap();
    }
    let mut compared = 0;
    let mut names: Vec<PathBuf> = std::fs::read_dir(&letters)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    for path in names {
        let ext = path.extension().unwrap().to_string_lossy().to_string();
        // The index lists the PDF files only in a build with PDF.
        if !["txt", "html", "csv"].contains(&ext.as_str())
            || (ext == "csv" && !cfg!(feature = "pdf"))
        {
            continue;
        }
        let name = path.file_name().unwrap();
        let actual = std::fs::read_to_string(&path).unwrap();
        let expected_path = golden.join(name);
        if bless {
            std::fs::write(&expected_path, &actual).unwrap();
        } else {
            let expected = std::fs::read_to_string(&expected_path).unwrap_or_else(|_| {
                panic!(
                    "no golden file {}: run ARREARS_BLESS=1 cargo test letters",
                    expected_path.display()
                )
            });
            assert!(
                actual == expected,
                "{} differs from its golden file {}; if the change is intended, run \
                 ARREARS_BLESS=1 cargo test letters and review the diff\n--- actual\n{actual}",
                path.display(),
                expected_path.display()
            );
        }
        compared += 1;
    }
    let index = usize::from(cfg!(feature = "pdf"));
    assert_eq!(
        compared,
        20 + index,
        "10 letters in txt and html, and the index"
    );
}

#[test]
fn letters_say_what_good_collection_practice_asks() {
    let input = tempfile::tempdir().unwrap();
    golden_month(input.path());
    let out = tempfile::tempdir().unwrap();
    golden_history(out.path());
    let letters = run(input.path(), out.path());
    let read = |name: &str| std::fs::read_to_string(letters.join(name)).unwrap();

    let courtesy = read("E1-Brightside_Design_Ltd.txt");
    assert!(courtesy.contains("Dear Ms Dana Levin,"), "{courtesy}");
    assert!(courtesy.contains("pay ₪1,176.00 instead of the full amount (a discount of ₪24.00) if paid by 5 December 2026"), "{courtesy}");
    let reminder = read("E2-Northwind_Traders.txt");
    assert!(
        reminder.contains("crossed with this letter in the post"),
        "{reminder}"
    );
    assert!(
        reminder.contains("are you satisfied with our service"),
        "{reminder}"
    );
    assert!(
        reminder.contains("paid ₪340.50, open ₪2,000.00, 10 days overdue"),
        "{reminder}"
    );
    let second = read("E3-Orchard_Lane_Cafe.txt");
    assert!(second.contains("of 31 October 2026"), "{second}");
    assert!(second.contains("within 30 days of its date"), "{second}");
    assert!(second.contains("Total open (ILS): ₪800.00"), "{second}");
    assert!(second.contains("Total open (USD): $150.00"), "{second}");
    assert!(
        second.contains("Bank transfer: Bank Leumi (10), branch 800, account 123456"),
        "{second}"
    );
    assert!(
        second.contains("- Cheque to Example Accounting Ltd"),
        "{second}"
    );
    let last = read("E4-Keystone_Builders.txt");
    assert!(
        last.contains("several times, most recently in our letter of 31 October 2026"),
        "{last}"
    );
    assert!(last.contains("by 14 December 2026"), "{last}");
    assert!(
        last.contains("Instalment 1, due by 14 December 2026: ₪1,666.66"),
        "{last}"
    );
    assert!(
        last.contains("Instalment 3, due by 14 February 2027: ₪1,666.68"),
        "{last}"
    );
    // 5000 × 4% × 70 / 365 = 38.356...
    assert!(
        last.contains("Interest accrued to 30 November 2026 at 4% a year (ILS): ₪38.36"),
        "{last}"
    );
    assert!(
        last.contains("please contact Ruth Amir on 04-1234567"),
        "{last}"
    );

    let hebrew = read("H4-נגרות_עמית_ובניו.html");
    assert!(
        hebrew.contains("<html lang=\"he\" dir=\"rtl\">"),
        "{hebrew}"
    );
    assert!(hebrew.contains("31/10/2026"), "{hebrew}");
    assert!(hebrew.contains("₪6,234.56"), "{hebrew}");
    assert!(hebrew.contains("עמית ברק</bdi> שלום רב,"), "{hebrew}");

    // E3 and H3 have no e-mail address: no draft, and their letters go to the print run.
    assert!(!letters.join("E3-Orchard_Lane_Cafe.eml").exists());
    assert!(letters.join("E2-Northwind_Traders.eml").exists());
    #[cfg(feature = "pdf")]
    {
        let print = std::fs::read(letters.join("print-run.pdf")).unwrap();
        let text = pdf_extract::extract_text_from_mem(&print).unwrap();
        assert!(text.contains("Orchard Lane Cafe"), "{text}");
        assert!(!text.contains("Keystone"), "only letters by post: {text}");
    }

    // The history records the files, relative to the output folder.
    let history = std::fs::read_to_string(out.path().join("history.csv")).unwrap();
    assert!(
        history.contains("2026-11-30/letters/E2-Northwind_Traders.html;2026-11-30/letters/E2-Northwind_Traders.txt"),
        "{history}"
    );
}

const HOSTILE: &str =
    "<script>alert(\"x\")</script> 'Q' ../CON #read(\"/etc/passwd\") $x$ 😀 \u{202E}evil\u{200F}";

fn hostile_month(dir: &Path) {
    write(
        dir,
        "arrears.toml",
        "[inputs]\ninvoices = [\"invoices.csv\"]\npayments = [\"bank.csv\"]\nclients = [\"clients.csv\"]\n\
         [company]\nname = \"Example & Co <b>\"\nemail = \"billing@example.com\"\n[letters]\nlanguage = \"en\"\n",
    );
    let quoted = HOSTILE.replace('"', "\"\"");
    write(
        dir,
        "clients.csv",
        &format!(
            "Client ID,Client Name,Email,Language\n\
             CON,\"{quoted}\",client@example.com,en\n\
             ../x,\"{quoted}\",,he\n"
        ),
    );
    write(
        dir,
        "invoices.csv",
        "Invoice No,Client ID,Invoice Date,Due Date,Amount\n\
         INV-1,CON,01/10/2026,20/11/2026,100.00\n\
         INV-2,../x,01/10/2026,20/11/2026,250.00\n",
    );
    write(
        dir,
        "bank.csv",
        "Date,Amount,Payer,Memo\n01/11/2026,1.00,Nobody,\n",
    );
}

#[test]
fn hostile_client_names_are_safe_in_every_format_and_file_name() {
    let input = tempfile::tempdir().unwrap();
    hostile_month(input.path());
    let out = tempfile::tempdir().unwrap();
    let letters = run(input.path(), out.path());
    let mut files: Vec<String> = std::fs::read_dir(&letters)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    files.sort();
    for name in &files {
        assert!(!name.starts_with('.'), "{name}");
        assert!(
            !name.chars().any(|c| matches!(
                c,
                '/' | '\\' | '<' | '>' | '"' | '\'' | '\u{202E}' | '\u{200F}' | '😀'
            ) || c.is_control()),
            "{name}"
        );
        assert!(name.chars().count() < 80, "{name}");
        let stem = name.split('.').next().unwrap().to_uppercase();
        assert!(
            !["CON", "NUL", "PRN", "AUX"].contains(&stem.as_str()),
            "{name}"
        );
    }
    let stems: std::collections::BTreeSet<&str> = files
        .iter()
        .filter_map(|f| f.split_once('.').map(|(s, _)| s))
        .collect();
    assert!(stems.len() >= 2, "two clients, two stems: {files:?}");

    for name in files.iter().filter(|f| f.ends_with(".html")) {
        let html = std::fs::read_to_string(letters.join(name)).unwrap();
        assert!(!html.contains("<script>"), "{name}: {html}");
        assert!(html.contains("&lt;script&gt;"), "{name}");
        assert!(html.contains("Example &amp; Co &lt;b&gt;"), "{name}");
    }
    for name in files.iter().filter(|f| f.ends_with(".txt")) {
        let text = std::fs::read_to_string(letters.join(name)).unwrap();
        assert!(
            text.contains(HOSTILE),
            "{name}: the text letter keeps the name as it is"
        );
    }
    #[cfg(feature = "pdf")]
    for name in files.iter().filter(|f| f.ends_with(".pdf")) {
        let pdf = std::fs::read(letters.join(name)).unwrap();
        let text = pdf_extract::extract_text_from_mem(&pdf).unwrap();
        assert!(
            text.contains("#read(\"/etc/passwd\")") || text.contains("#read(“/etc/passwd”)"),
            "{name}: {text}"
        );
        assert!(!text.contains("root:"), "{name}");
    }
    let eml = files
        .iter()
        .find(|f| f.ends_with(".eml"))
        .expect("an e-mail draft");
    let bytes = std::fs::read(letters.join(eml)).unwrap();
    let message = mail_parser::MessageParser::default().parse(&bytes).unwrap();
    assert_eq!(
        message.subject().map(|s| s.contains("Payment reminder")),
        Some(true)
    );
    assert_eq!(
        message.to().and_then(|a| a.first()).and_then(|a| a.name()),
        Some(HOSTILE),
        "the display name survives encoding"
    );
}

#[test]
fn the_email_draft_is_a_complete_message() {
    let input = tempfile::tempdir().unwrap();
    golden_month(input.path());
    let out = tempfile::tempdir().unwrap();
    let letters = run(input.path(), out.path());
    let bytes = std::fs::read(letters.join("H2-מאפיית_הגליל_בע_מ.eml")).unwrap();
    let message = mail_parser::MessageParser::default().parse(&bytes).unwrap();
    let to = message.to().and_then(|a| a.first()).unwrap();
    assert_eq!(to.address(), Some("office@galil.example"));
    let from = message.from().and_then(|a| a.first()).unwrap();
    assert_eq!(from.address(), Some("billing@example.co.il"));
    assert_eq!(
        from.name(),
        Some("דוגמה הנהלת חשבונות בע״מ"),
        "[company.he] names the sender of Hebrew letters"
    );
    assert!(message.subject().unwrap().starts_with("תזכורת לתשלום"));
    assert_eq!(message.header_raw("X-Unsent").map(str::trim), Some("1"));
    assert_eq!(
        message.date().map(|d| d.to_rfc3339()),
        Some("2026-11-30T09:00:00Z".to_string())
    );
    assert!(message.message_id().unwrap().ends_with("@example.co.il"));
    assert!(message.body_text(0).unwrap().contains("נשמח גם לשמוע מכם"));
    assert!(message.body_html(0).unwrap().contains("dir=\"rtl\""));
    #[cfg(feature = "pdf")]
    {
        use mail_parser::MimeHeaders as _;
        assert_eq!(message.attachment_count(), 1);
        let pdf = message.attachment(0).unwrap();
        assert_eq!(pdf.attachment_name(), Some("H2-מאפיית_הגליל_בע_מ.pdf"));
        assert!(pdf.contents().starts_with(b"%PDF"));
    }
    // Deterministic: a second run writes the same bytes.
    let again = tempfile::tempdir().unwrap();
    let letters2 = run(input.path(), again.path());
    assert_eq!(
        bytes,
        std::fs::read(letters2.join("H2-מאפיית_הגליל_בע_מ.eml")).unwrap()
    );
}

/// The text of a PDF in reading order. pdf-extract returns each line's glyphs in page order,
/// so a right-to-left line comes out reversed; the Unicode bidi algorithm (whose reordering
/// of a line's runs undoes itself) puts each line back into logical order. Runs of spaces
/// become one.
#[cfg(feature = "pdf")]
pub(crate) fn pdf_text(pdf: &[u8]) -> String {
    use unicode_bidi::{BidiInfo, Level};
    let text = pdf_extract::extract_text_from_mem(pdf).unwrap();
    text.lines()
        .map(|line| {
            let line = line.split_whitespace().collect::<Vec<_>>().join(" ");
            let rtl = line.chars().any(|c| ('\u{590}'..='\u{5FF}').contains(&c));
            if !rtl {
                return line;
            }
            let info = BidiInfo::new(&line, Some(Level::rtl()));
            info.paragraphs
                .iter()
                .map(|p| info.reorder_line(p, p.range.clone()).into_owned())
                .collect()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(feature = "pdf")]
#[test]
fn the_pdf_holds_the_letter_text_in_logical_order() {
    let input = tempfile::tempdir().unwrap();
    golden_month(input.path());
    let out = tempfile::tempdir().unwrap();
    let letters = run(input.path(), out.path());
    let english = pdf_extract::extract_text_from_mem(
        &std::fs::read(letters.join("E4-Keystone_Builders.pdf")).unwrap(),
    )
    .unwrap();
    for needle in ["Keystone Builders", "INV-105", "₪5,000.00", "Final notice"] {
        assert!(english.contains(needle), "{needle} in {english}");
    }
    let hebrew = pdf_text(&std::fs::read(letters.join("H4-נגרות_עמית_ובניו.pdf")).unwrap());
    for needle in [
        "נגרות עמית ובניו",
        "INV-204",
        "INV-205",
        "6,234.56",
        "התראה אחרונה",
    ] {
        assert!(hebrew.contains(needle), "{needle} in {hebrew}");
    }
}

#[test]
fn init_writes_a_config_and_templates_that_a_run_uses() {
    let dir = tempfile::tempdir().unwrap();
    let office = dir.path().join("office");
    let (stdout, _) = Arrears::new().arg("init").arg(&office).expect_code(0);
    assert!(stdout.contains("arrears.toml"), "{stdout}");
    let text = std::fs::read_to_string(office.join("arrears.toml")).unwrap();
    for key in [
        "interest_rate",
        "payment_plan_instalments",
        "payment_methods",
        "formats",
        "[[dunning.levels]]",
    ] {
        assert!(text.contains(key), "{key}");
    }
    let body = office.join("templates/en/reminder-1.body.tera");
    assert!(body.is_file());
    // An office rewords a template: the run uses it.
    std::fs::write(
        &body,
        "Our own reminder\n\nPlease pay {{ client.name }}.\n\n[[table]]\n",
    )
    .unwrap();
    assert!(text.contains("templates = \"templates\""));
    golden_month(&office);
    write(
        &office,
        "arrears.toml",
        &format!("{CONFIG}templates = \"templates\"\n"),
    );
    let out = dir.path().join("out");
    let letters = run(&office, &out);
    let text = std::fs::read_to_string(letters.join("E2-Northwind_Traders.txt")).unwrap();
    assert!(text.contains("Our own reminder"), "{text}");
    assert!(text.contains("Please pay Northwind Traders."), "{text}");
    // Running init again keeps the office's files.
    Arrears::new().arg("init").arg(&office).expect_code(1);
    Arrears::new()
        .arg("init")
        .arg(&office)
        .arg("--force")
        .expect_code(0);
    assert!(std::fs::read_to_string(&body)
        .unwrap()
        .starts_with("Our own reminder"));
}

#[test]
fn a_custom_level_without_a_template_stops_the_run_before_reading_data() {
    let input = tempfile::tempdir().unwrap();
    golden_month(input.path());
    write(
        input.path(),
        "arrears.toml",
        "[[dunning.levels]]\nname = \"gentle-nudge\"\ndays = 5\n[letters]\nlanguage = \"en\"\n",
    );
    let out = tempfile::tempdir().unwrap();
    let (_, stderr) = Arrears::new()
        .current_dir(input.path())
        .args(["run", ".", "--as-of", "2026-11-30", "--out"])
        .arg(out.path())
        .expect_code(1);
    assert!(
        stderr.contains("dunning level \"gentle-nudge\" sends letters but has no template en/gentle-nudge.body.tera"),
        "{stderr}"
    );
    assert!(!out.path().join("2026-11-30").exists());
}
