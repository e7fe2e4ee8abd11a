//! Bank statements (CAMT.053, OFX, QFX) as the payments input of a run, through the real
//! binary: their credits are attributed and allocated like the rows of a bank CSV, by the
//! invoice number in the memo and by the payer's name; debits, pending entries and reversals
//! are warnings at the entry's ordinal; every entry is counted in run.json.

use std::path::Path;

use crate::support::{col, read_csv, root, run_month, Arrears};

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

fn run(dir: &Path) -> std::path::PathBuf {
    run_month(dir, &dir.join("out"))
}

const INVOICES: &str = "Invoice No,Client ID,Client Name,Invoice Date,Due Date,Amount,Currency\n\
    INV-101,E1,Brightside Design Ltd,01/10/2026,31/10/2026,1200.00,ILS\n\
    INV-102,E2,Northwind Traders,05/10/2026,04/11/2026,2340.50,ILS\n\
    INV-103,E3,Orchard Lane Cafe,10/10/2026,09/11/2026,800.00,ILS\n\
    INV-105,E4,Keystone Builders,12/10/2026,11/11/2026,5000.00,ILS\n\
    INV-201,H1,סטודיו אורן & שות',20/10/2026,19/11/2026,1200.00,ILS\n\
    INV-202,H2,\"מאפיית הגליל בע\"\"מ\",21/10/2026,20/11/2026,2340.50,ILS\n\
    INV-204,H4,נגרות עמית ובניו,22/10/2026,21/11/2026,5000.00,ILS\n";

/// (payment id, invoice, amount, rule) of every allocation.
fn allocations(run: &Path) -> Vec<(String, String, String, String)> {
    let (header, rows) = read_csv(&run.join("allocations.csv"));
    let (id, invoice, amount, rule) = (
        col(&header, "payment_id"),
        col(&header, "invoice"),
        col(&header, "amount"),
        col(&header, "rule"),
    );
    let mut seen: Vec<_> = rows
        .iter()
        .map(|r| {
            (
                r[id].clone(),
                r[invoice].clone(),
                r[amount].clone(),
                r[rule].clone(),
            )
        })
        .collect();
    seen.sort();
    seen
}

/// (severity, row, column) of every issue about `file`.
fn issues(run: &Path, file: &str) -> Vec<(String, String, String)> {
    let (header, rows) = read_csv(&run.join("issues.csv"));
    let (severity, in_file, row, column) = (
        col(&header, "severity"),
        col(&header, "file"),
        col(&header, "row"),
        col(&header, "column"),
    );
    rows.iter()
        .filter(|r| r[in_file] == file)
        .map(|r| (r[severity].clone(), r[row].clone(), r[column].clone()))
        .collect()
}

/// The payments input of run.json for `file`: rows, used, rejected, duplicates, ignored.
fn counts(run: &Path, file: &str) -> [u64; 5] {
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(run.join("run.json")).unwrap()).unwrap();
    let input = manifest["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["file"] == file)
        .unwrap_or_else(|| panic!("no input {file} in {manifest}"));
    ["rows", "used", "rejected", "duplicates", "ignored"].map(|k| input[k].as_u64().unwrap())
}

const CAMT: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">
 <BkToCstmrStmt>
  <GrpHdr><MsgId>LEUMI-20261130</MsgId><CreDtTm>2026-11-30T22:00:00+02:00</CreDtTm></GrpHdr>
  <Stmt>
   <Id>000123-20261130</Id>
   <CreDtTm>2026-11-30T22:00:00+02:00</CreDtTm>
   <Acct><Id><IBAN>IL620108000000099999999</IBAN></Id><Ccy>ILS</Ccy></Acct>
   <Ntry>
    <Amt Ccy="ILS">1200.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
    <BookgDt><Dt>2026-11-02</Dt></BookgDt><ValDt><Dt>2026-11-02</Dt></ValDt>
    <AcctSvcrRef>B-1</AcctSvcrRef>
    <NtryDtls><TxDtls>
     <RltdPties><Dbtr><Pty><Nm>A. Friend on behalf of a client</Nm></Pty></Dbtr></RltdPties>
     <RmtInf><Ustrd>Payment for INV-101</Ustrd></RmtInf>
    </TxDtls></NtryDtls>
   </Ntry>
   <Ntry>
    <NtryRef>BATCH-7</NtryRef>
    <Amt Ccy="ILS">2681.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
    <BookgDt><Dt>2026-11-05</Dt></BookgDt>
    <NtryDtls><Btch><NbOfTxs>2</NbOfTxs></Btch>
     <TxDtls>
      <Refs><EndToEndId>NOTPROVIDED</EndToEndId></Refs>
      <Amt Ccy="ILS">2340.50</Amt><CdtDbtInd>CRDT</CdtDbtInd>
      <RltdPties><Dbtr><Pty><Nm>Northwind Traders</Nm></Pty></Dbtr></RltdPties>
      <RmtInf><Ustrd>November</Ustrd></RmtInf>
     </TxDtls>
     <TxDtls>
      <Refs><EndToEndId>NOTPROVIDED</EndToEndId></Refs>
      <Amt Ccy="ILS">340.50</Amt><CdtDbtInd>CRDT</CdtDbtInd>
      <RltdPties><Dbtr><Pty><Nm>מאפיית הגליל בע"מ</Nm></Pty></Dbtr></RltdPties>
      <RmtInf><Ustrd>העברה</Ustrd></RmtInf>
     </TxDtls>
    </NtryDtls>
   </Ntry>
   <Ntry>
    <Amt Ccy="ILS">90.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
    <BookgDt><Dt>2026-11-06</Dt></BookgDt><AcctSvcrRef>B-3</AcctSvcrRef>
    <AddtlNtryInf>Account fees</AddtlNtryInf>
   </Ntry>
   <Ntry>
    <Amt Ccy="ILS">800.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>PDNG</Cd></Sts>
    <BookgDt><Dt>2026-11-30</Dt></BookgDt><AcctSvcrRef>B-4</AcctSvcrRef>
    <NtryDtls><TxDtls><RltdPties><Dbtr><Pty><Nm>Orchard Lane Cafe</Nm></Pty></Dbtr></RltdPties>
     <RmtInf><Ustrd>INV-103</Ustrd></RmtInf></TxDtls></NtryDtls>
   </Ntry>
   <Ntry>
    <Amt Ccy="ILS">5000.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
    <BookgDt><Dt>2026-11-10</Dt></BookgDt><AcctSvcrRef>B-5</AcctSvcrRef>
    <NtryDtls><TxDtls><Refs><EndToEndId>KB-1</EndToEndId></Refs>
     <RltdPties><Dbtr><Pty><Nm>Keystone Builders</Nm></Pty></Dbtr></RltdPties>
     <RmtInf><Ustrd>INV-105</Ustrd></RmtInf></TxDtls></NtryDtls>
   </Ntry>
   <Ntry>
    <Amt Ccy="ILS">5000.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><RvslInd>true</RvslInd>
    <Sts><Cd>BOOK</Cd></Sts>
    <BookgDt><Dt>2026-11-11</Dt></BookgDt><AcctSvcrRef>B-6</AcctSvcrRef>
    <NtryDtls><TxDtls><Refs><EndToEndId>KB-1</EndToEndId></Refs>
     <RltdPties><Dbtr><Pty><Nm>Keystone Builders</Nm></Pty></Dbtr></RltdPties>
     <RmtInf><Ustrd>INV-105</Ustrd></RmtInf></TxDtls></NtryDtls>
   </Ntry>
   <Ntry>
    <Amt Ccy="ILS">12,x</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
    <BookgDt><Dt>2026-11-12</Dt></BookgDt><AcctSvcrRef>B-7</AcctSvcrRef>
   </Ntry>
  </Stmt>
 </BkToCstmrStmt>
</Document>
"#;

#[test]
fn a_camt_statement_pays_invoices_by_reference_and_by_name() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "invoices.csv", INVOICES);
    // The extension says nothing: the content decides.
    write(dir.path(), "leumi-november.dat", CAMT);
    write(
        dir.path(),
        "arrears.toml",
        "default_currency = \"ILS\"\n[inputs]\ninvoices = [\"invoices.csv\"]\n\
         payments = [\"leumi-november.dat\"]\n",
    );
    let run = run(dir.path());
    let s = |v: &str| v.to_string();
    assert_eq!(
        allocations(&run),
        [
            (s("B-1"), s("INV-101"), s("1200.00"), s("reference")),
            (
                s("BATCH-7-1"),
                s("INV-102"),
                s("2340.50"),
                s("exact-amount")
            ),
            (s("BATCH-7-2"), s("INV-202"), s("340.50"), s("fifo")),
        ],
        "the memo's invoice number, then the payer's name (Hebrew too), one payment per \
         transaction of the batch"
    );
    let w = |row: &str| (s("warning"), s(row), s("Amt"));
    assert_eq!(
        issues(&run, "leumi-november.dat"),
        [
            w("4"),
            w("5"),
            w("6"),
            w("7"),
            (s("error"), s("8"), s("Amt"))
        ],
        "the debit, the pending credit, the reversed credit and its reversal, the broken amount"
    );
    let [rows, used, rejected, duplicates, ignored] = counts(&run, "leumi-november.dat");
    assert_eq!((rows, used, rejected, ignored), (8, 3, 1, 4));
    assert_eq!(rows, used + rejected + duplicates + ignored);
    let (header, open) = read_csv(&run.join("open-items.csv"));
    let (invoice, left) = (col(&header, "invoice"), col(&header, "open"));
    let keystone = open.iter().find(|r| r[invoice] == "INV-105").unwrap();
    assert_eq!(
        keystone[left], "5000.00",
        "the reversed payment paid nothing"
    );
    // What the statement covers, for the accountant (check) and for scripts (run.json).
    let (stdout, _) = Arrears::new()
        .current_dir(dir.path())
        .args(["check", "."])
        .expect_code(4);
    let line = stdout
        .lines()
        .find(|l| l.trim_start().starts_with("statement: "))
        .unwrap_or_else(|| panic!("no statement line in:\n{stdout}"));
    assert!(
        line.contains("; 4 credits, 1 debits (ignored), 1 reversals, 1 pending"),
        "{line}"
    );
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(run.join("run.json")).unwrap()).unwrap();
    let statement = manifest["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["file"] == "leumi-november.dat")
        .unwrap()["statement"]
        .clone();
    assert_eq!(statement["credits"], 4);
    assert_eq!(statement["currencies"], serde_json::json!(["ILS"]));
}

const OFX2: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<?OFX OFXHEADER="200" VERSION="220" SECURITY="NONE" OLDFILEUID="NONE" NEWFILEUID="NONE"?>
<OFX>
<BANKMSGSRSV1><STMTTRNRS><TRNUID>0</TRNUID>
<STATUS><CODE>0</CODE><SEVERITY>INFO</SEVERITY></STATUS>
<STMTRS>
<CURDEF>ILS</CURDEF>
<BANKACCTFROM><BANKID>10</BANKID><BRANCHID>800</BRANCHID><ACCTID>000123456789</ACCTID><ACCTTYPE>CHECKING</ACCTTYPE></BANKACCTFROM>
<BANKTRANLIST><DTSTART>20261101</DTSTART><DTEND>20261130</DTEND>
<STMTTRN><TRNTYPE>CREDIT</TRNTYPE><DTPOSTED>20261114</DTPOSTED><TRNAMT>800.00</TRNAMT>
<FITID>LEU-1</FITID><NAME>Orchard Lane Cafe</NAME></STMTTRN>
</BANKTRANLIST>
<LEDGERBAL><BALAMT>800.00</BALAMT><DTASOF>20261130</DTASOF></LEDGERBAL>
<BANKTRANLISTP><DTASOF>20261130</DTASOF>
<STMTTRNP><TRNTYPE>CREDIT</TRNTYPE><DTTRAN>20261130</DTTRAN><TRNAMT>2340.50</TRNAMT>
<NAME>Northwind Traders</NAME><MEMO>INV-102</MEMO></STMTTRNP>
</BANKTRANLISTP>
</STMTRS></STMTTRNRS></BANKMSGSRSV1>
</OFX>
"#;

#[test]
fn ofx_downloads_in_windows_1255_and_xml_pay_invoices() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "invoices.csv", INVOICES);
    std::fs::copy(
        root().join("tests/fixtures/statements/ofx1-sgml-windows1255.ofx"),
        dir.path().join("hapoalim.ofx"),
    )
    .unwrap();
    write(dir.path(), "leumi.ofx", OFX2);
    write(
        dir.path(),
        "arrears.toml",
        "default_currency = \"ILS\"\n[inputs]\ninvoices = [\"invoices.csv\"]\n\
         payments = [\"hapoalim.ofx\", \"leumi.ofx\"]\n",
    );
    let run = run(dir.path());
    let s = |v: &str| v.to_string();
    assert_eq!(
        allocations(&run),
        [
            (
                s("20261105-0001"),
                s("INV-202"),
                s("340.50"),
                s("reference")
            ),
            (
                s("20261108-0002"),
                s("INV-201"),
                s("1200.00"),
                s("reference")
            ),
            (
                s("20261112-0004"),
                s("INV-204"),
                s("5000.00"),
                s("reference")
            ),
            (s("LEU-1"), s("INV-103"), s("800.00"), s("exact-amount")),
        ]
    );
    assert_eq!(
        issues(&run, "hapoalim.ofx"),
        [(s("warning"), s("3"), s("TRNAMT"))],
        "the debit"
    );
    assert_eq!(
        issues(&run, "leumi.ofx"),
        [(s("warning"), s("2"), s("TRNAMT"))],
        "the pending credit"
    );
    assert_eq!(counts(&run, "hapoalim.ofx"), [4, 3, 0, 0, 1]);
    assert_eq!(counts(&run, "leumi.ofx"), [2, 1, 0, 0, 1]);
    let (header, unapplied) = read_csv(&run.join("unapplied.csv"));
    assert!(unapplied.is_empty(), "{header:?} {unapplied:?}");
}

#[test]
fn a_truncated_statement_stops_the_run_naming_the_file_and_the_place() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "invoices.csv", INVOICES);
    let marker = "<NtryRef>BATCH-7</NtryRef>";
    let cut = &CAMT[..CAMT.find(marker).unwrap() + marker.len()];
    write(dir.path(), "bank.xml", cut);
    let out = dir.path().join("out");
    let (_, stderr) = Arrears::new()
        .current_dir(dir.path())
        .args([
            "run",
            ".",
            "--invoices",
            "invoices.csv",
            "--payments",
            "bank.xml",
        ])
        .args(["--as-of", "2026-11-30", "--out"])
        .arg(&out)
        .expect_code(1);
    assert!(stderr.contains("bank.xml"), "{stderr}");
    assert!(stderr.contains("CAMT"), "{stderr}");
    assert!(
        stderr.contains("ends inside <Ntry>") && stderr.contains("truncated"),
        "{stderr}"
    );
    assert!(!out.join("2026-11-30").exists(), "no partial run folder");
}

/// The same month's payments: id, date, amount, payer, memo.
const SAME_PAYMENTS: [(&str, &str, &str, &str, &str); 5] = [
    (
        "P-1",
        "2026-11-02",
        "1200.00",
        "A. Friend",
        "Payment for INV-101",
    ),
    (
        "P-2",
        "2026-11-05",
        "2340.50",
        "Northwind Traders",
        "November",
    ),
    ("P-3", "2026-11-05", "340.50", "מאפיית הגליל בע\"מ", "העברה"),
    ("P-4", "2026-11-14", "800.00", "Orchard Lane Cafe", "thanks"),
    ("P-5", "2026-11-20", "75.00", "Unknown Person", "gift"),
];

fn same_as_csv() -> String {
    let mut csv = String::from("Payment ID,Date,Amount,Payer,Memo\n");
    for (id, date, amount, payer, memo) in SAME_PAYMENTS {
        let payer = payer.replace('"', "\"\"");
        csv.push_str(&format!("{id},{date},{amount},\"{payer}\",{memo}\n"));
    }
    csv
}

fn same_as_camt() -> String {
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.054.001.08\">\
         <BkToCstmrDbtCdtNtfctn><GrpHdr><MsgId>N1</MsgId>\
         <CreDtTm>2026-11-30T20:00:00</CreDtTm></GrpHdr><Ntfctn><Id>N1-1</Id>\
         <Acct><Id><IBAN>IL620108000000099999999</IBAN></Id><Ccy>ILS</Ccy></Acct>\n",
    );
    for (id, date, amount, payer, memo) in SAME_PAYMENTS {
        let payer = payer.replace('"', "&quot;");
        xml.push_str(&format!(
            "<Ntry><Amt Ccy=\"ILS\">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd>\
             <Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>{date}</Dt></BookgDt>\
             <AcctSvcrRef>{id}</AcctSvcrRef><NtryDtls><TxDtls>\
             <RltdPties><Dbtr><Pty><Nm>{payer}</Nm></Pty></Dbtr></RltdPties>\
             <RmtInf><Ustrd>{memo}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>\n"
        ));
    }
    xml.push_str("</Ntfctn></BkToCstmrDbtCdtNtfctn></Document>\n");
    xml
}

fn same_as_ofx() -> String {
    let mut sgml = String::from(
        "OFXHEADER:100\r\nDATA:OFXSGML\r\nVERSION:102\r\nSECURITY:NONE\r\nENCODING:UTF-8\r\n\
         CHARSET:NONE\r\nCOMPRESSION:NONE\r\nOLDFILEUID:NONE\r\nNEWFILEUID:NONE\r\n\r\n\
         <OFX>\r\n<BANKMSGSRSV1>\r\n<STMTTRNRS>\r\n<TRNUID>1\r\n<STMTRS>\r\n<CURDEF>ILS\r\n\
         <BANKACCTFROM>\r\n<BANKID>10\r\n<ACCTID>99999999\r\n<ACCTTYPE>CHECKING\r\n\
         </BANKACCTFROM>\r\n<BANKTRANLIST>\r\n",
    );
    for (id, date, amount, payer, memo) in SAME_PAYMENTS {
        sgml.push_str(&format!(
            "<STMTTRN>\r\n<TRNTYPE>CREDIT\r\n<DTPOSTED>{}\r\n<TRNAMT>{amount}\r\n\
             <FITID>{id}\r\n<NAME>{payer}\r\n<MEMO>{memo}\r\n</STMTTRN>\r\n",
            date.replace('-', "")
        ));
    }
    sgml.push_str("</BANKTRANLIST>\r\n</STMTRS>\r\n</STMTTRNRS>\r\n</BANKMSGSRSV1>\r\n</OFX>\r\n");
    sgml
}

/// The same payments given as a bank CSV, a CAMT.054 notification and an OFX download give
/// byte-identical clients, open items, allocations and unapplied payments.
#[test]
fn the_same_payments_as_csv_camt_and_ofx_give_the_same_results() {
    let outputs = [
        "clients.csv",
        "open-items.csv",
        "allocations.csv",
        "unapplied.csv",
    ];
    let mut results = Vec::new();
    for (name, text) in [
        ("bank.csv", same_as_csv()),
        ("bank.xml", same_as_camt()),
        ("bank.ofx", same_as_ofx()),
    ] {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "invoices.csv", INVOICES);
        write(dir.path(), name, &text);
        write(
            dir.path(),
            "arrears.toml",
            &format!(
                "default_currency = \"ILS\"\n[inputs]\ninvoices = [\"invoices.csv\"]\n\
                 payments = [\"{name}\"]\n"
            ),
        );
        let run = run(dir.path());
        let bytes: Vec<Vec<u8>> = outputs
            .iter()
            .map(|o| std::fs::read(run.join(o)).unwrap())
            .collect();
        assert_eq!(counts(&run, name)[..2], [5, 5], "{name}");
        results.push((name, bytes));
    }
    let (_, csv) = &results[0];
    let allocated = String::from_utf8_lossy(&csv[2]);
    assert_eq!(
        allocated.lines().count(),
        5,
        "a header and four allocations"
    );
    assert!(
        allocated.contains("P-3"),
        "the Hebrew payer's payment is allocated"
    );
    assert!(
        String::from_utf8_lossy(&csv[3]).contains("P-5"),
        "the unknown payer"
    );
    for (name, bytes) in &results[1..] {
        for (index, output) in outputs.iter().enumerate() {
            assert_eq!(
                String::from_utf8_lossy(&bytes[index]),
                String::from_utf8_lossy(&csv[index]),
                "{output} from {name}"
            );
        }
    }
}

/// The content decides: a CAMT statement named `.xls` and an OFX download named `.csv` are read
/// as statements, other XML is still refused as markup, and a damaged statement's error names
/// the file, the format and the place.
#[test]
fn statements_are_told_by_content_not_by_name() {
    use arrears::ingest::source::{read_bytes, SourceError};
    let camt = read_bytes(CAMT.as_bytes(), "export.xls", None).unwrap();
    assert!(camt.tables.is_empty());
    assert_eq!(camt.generated.len(), 1);
    assert_eq!(camt.generated[0].format, "CAMT.053 (camt.053.001.08)");
    let ofx = read_bytes(OFX2.as_bytes(), "download.csv", None).unwrap();
    assert_eq!(ofx.generated[0].format, "OFX 2.x XML");
    let other = read_bytes(b"<?xml version=\"1.0\"?><Workbook/>", "book.xls", None);
    assert!(matches!(
        other,
        Err(SourceError::Markup { what: "XML", .. })
    ));
    let cut = &OFX2[..OFX2.find("<STMTTRN>").unwrap() + 20];
    let err = read_bytes(cut.as_bytes(), "leumi.ofx", None).unwrap_err();
    assert_eq!(
        err.to_string(),
        "leumi.ofx looks like an OFX bank statement but cannot be read: the file ends inside \
         <STMTTRN> opened at line 10: it is truncated; download or export it again, or give \
         arrears the same data as CSV"
    );
}
