use super::split::{read_split, read_split_by, read_stream_by};
use super::*;
use crate::ingest::statement::{Direction, Status};
use rust_decimal::Decimal;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/tests/fixtures/statements/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
}

const FIXTURES: [&str; 7] = [
    "camt053-v02-batch-entry.xml",
    "camt053-v08-reversal.xml",
    "camt054-hebrew-debtor.xml",
    "camt053-pending-and-info.xml",
    "camt053-two-statements-two-currencies.xml",
    "camt053-windows1255-declared.xml",
    "camt053-prefixed-in-envelope.xml",
];

/// A minimal v08 statement around the given entries.
fn v08(entries: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">
<BkToCstmrStmt><GrpHdr><MsgId>M1</MsgId><CreDtTm>2026-11-30T18:00:00</CreDtTm></GrpHdr>
<Stmt><Id>S1</Id><CreDtTm>2026-11-30T18:00:00</CreDtTm>
<Acct><Id><IBAN>IL620108000000099999999</IBAN></Id><Ccy>ILS</Ccy></Acct>
{entries}
</Stmt></BkToCstmrStmt></Document>"#
    )
}

#[test]
fn batch_entry_is_one_payment_per_transaction() {
    let statement = read(&fixture("camt053-v02-batch-entry.xml")).unwrap();
    assert_eq!(statement.format, "CAMT.053 (camt.053.001.02)");
    assert!(statement.problems.is_empty(), "{:?}", statement.problems);
    let e = &statement.entries;
    assert_eq!(e.len(), 5);
    let positions: Vec<u32> = e.iter().map(|e| e.position).collect();
    assert_eq!(positions, [1, 2, 3, 4, 5]);
    // The single entry: the entry's own AcctSvcrRef, the value date over the booking date.
    assert_eq!(e[0].id.as_deref(), Some("2026110500123"));
    assert_eq!(e[0].date, day(6));
    assert_eq!(e[0].amount, "4100.00".parse().unwrap());
    assert_eq!(e[0].currency.as_deref(), Some("EUR"));
    assert_eq!(e[0].payer.as_deref(), Some("Brightside Design Ltd"));
    assert_eq!(
        e[0].memo.as_deref(),
        Some("Invoice INV-1001 E2E-BRIGHT-1001")
    );
    assert_eq!(e[0].reference.as_deref(), Some("E2E-BRIGHT-1001"));
    assert_eq!(
        e[0].account.as_deref(),
        Some("DE89370400440532013000"),
        "the statement's IBAN"
    );
    // The batch of three: each with its own amount, id and payer.
    let amounts: Vec<String> = e[1..4].iter().map(|e| e.amount.to_string()).collect();
    assert_eq!(amounts, ["1200.00", "800.50", "300.00"]);
    assert_eq!(e[1].id.as_deref(), Some("TX-7781-1"), "Refs/AcctSvcrRef");
    assert_eq!(e[2].id.as_deref(), Some("E2E-NORTH-77"), "EndToEndId");
    assert_eq!(
        e[3].id.as_deref(),
        Some("BATCH-20261107-3"),
        "NOTPROVIDED end-to-end: the entry reference and the ordinal"
    );
    assert_eq!(
        e[3].payer.as_deref(),
        Some("Orchard Lane Cafe"),
        "UltmtDbtr"
    );
    assert_eq!(
        e[3].memo.as_deref(),
        Some("RF18539007547034"),
        "structured ref"
    );
    assert_eq!(e[2].amount.to_string(), "800.50", "AmtDtls/TxAmt/Amt");
    // The debit.
    assert_eq!(e[4].direction, Direction::Debit);
    assert_eq!(e[4].memo.as_deref(), Some("Office rent November"));
}

#[test]
fn reversal_is_marked_and_carries_the_reference_of_the_credit() {
    let statement = read(&fixture("camt053-v08-reversal.xml")).unwrap();
    assert_eq!(statement.format, "CAMT.053 (camt.053.001.08)");
    let e = &statement.entries;
    assert_eq!(e.len(), 3);
    assert!(!e[0].reversal && e[1].reversal && !e[2].reversal);
    assert_eq!(e[1].direction, Direction::Debit);
    assert_eq!(e[0].reference, e[1].reference);
    assert_eq!(e[0].amount, e[1].amount);
    assert_eq!(
        e[0].payer.as_deref(),
        Some("Keystone Builders"),
        "Dbtr/Pty/Nm"
    );
    assert_eq!(e[0].status, Status::Booked, "<Sts><Cd>BOOK</Cd></Sts>");
    assert_eq!(e[0].date, day(3), "ValDt/DtTm");
}

#[test]
fn hebrew_debtor_comes_through_unchanged() {
    let statement = read(&fixture("camt054-hebrew-debtor.xml")).unwrap();
    assert!(statement.format.starts_with("CAMT.054 (camt.054.001.04)"));
    let e = &statement.entries;
    assert_eq!(e[0].payer.as_deref(), Some("מאפיית הגליל בע\"מ"));
    assert_eq!(
        e[0].memo.as_deref(),
        Some("תשלום חשבונית INV-202 עבור אוקטובר")
    );
    assert_eq!(e[0].currency.as_deref(), Some("ILS"));
    assert_eq!(
        e[1].payer.as_deref(),
        Some("סטודיו אורן & שות'"),
        "entities"
    );
}

#[test]
fn declared_windows_1255_is_honoured_when_the_bytes_are_not_utf8() {
    let bytes = fixture("camt053-windows1255-declared.xml");
    assert!(std::str::from_utf8(&bytes).is_err(), "the fixture is 1255");
    let statement = read(&bytes).unwrap();
    assert_eq!(
        statement.entries[0].payer.as_deref(),
        Some("נגרות עמית ובניו")
    );
    // The same text re-encoded as UTF-8 under the same declaration: the bytes decide.
    let (text, _, _) = encoding_rs::WINDOWS_1255.decode(&bytes);
    let again = read(text.as_bytes()).unwrap();
    assert_eq!(again.entries, statement.entries);
}

#[test]
fn pending_and_information_entries_keep_their_status() {
    let statement = read(&fixture("camt053-pending-and-info.xml")).unwrap();
    let status: Vec<Status> = statement.entries.iter().map(|e| e.status).collect();
    assert_eq!(
        status,
        [
            Status::Booked,
            Status::Pending,
            Status::Info,
            Status::Pending
        ]
    );
    // A pending entry without dates takes the statement's creation date.
    assert_eq!(statement.entries[3].date, day(30));
}

#[test]
fn every_statement_account_and_currency_is_read() {
    let statement = read(&fixture("camt053-two-statements-two-currencies.xml")).unwrap();
    let seen: Vec<(Option<&str>, Option<&str>, u32)> = statement
        .entries
        .iter()
        .map(|e| (e.account.as_deref(), e.currency.as_deref(), e.position))
        .collect();
    assert_eq!(
        seen,
        [
            (Some("IL620108000000099999999"), Some("ILS"), 1),
            (Some("IL620108000000099999999"), Some("ILS"), 2),
            (Some("1234567890"), Some("USD"), 3),
            (Some("1234567890"), Some("USD"), 4),
        ]
    );
}

#[test]
fn prefixed_documents_in_an_envelope_read_like_plain_ones() {
    let statement = read(&fixture("camt053-prefixed-in-envelope.xml")).unwrap();
    assert_eq!(statement.format, "CAMT.053 (camt.053.001.10)");
    assert_eq!(statement.entries.len(), 1);
    assert_eq!(statement.entries[0].id.as_deref(), Some("ZKB-88120"));
    assert_eq!(
        statement.entries[0].payer.as_deref(),
        Some("Harbor Freight Co")
    );
}

#[test]
fn a_batch_without_amounts_per_transaction_stays_one_payment() {
    let xml = v08(
        r"<Ntry><NtryRef>B7</NtryRef><Amt Ccy='ILS'>500.00</Amt><CdtDbtInd>CRDT</CdtDbtInd>
        <Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>2026-11-10</Dt></BookgDt>
        <NtryDtls><TxDtls><RmtInf><Ustrd>INV-1</Ustrd></RmtInf></TxDtls>
        <TxDtls><RmtInf><Ustrd>INV-2</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>",
    );
    let statement = read(xml.as_bytes()).unwrap();
    assert_eq!(statement.entries.len(), 1);
    assert_eq!(statement.entries[0].memo.as_deref(), Some("INV-1 INV-2"));
    assert_eq!(statement.entries[0].id.as_deref(), Some("B7"));
    assert_eq!(statement.problems.len(), 1);
    assert_eq!(statement.problems[0].severity, Severity::Warning);
}

#[test]
fn a_bad_transaction_is_a_problem_at_its_position_and_the_rest_is_read() {
    let xml = v08(
        r"<Ntry><Amt Ccy='ILS'>12,x</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>
          <BookgDt><Dt>2026-11-10</Dt></BookgDt></Ntry>
        <Ntry><Amt Ccy='ILS'>10</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts></Ntry>
        <Ntry><Amt Ccy='ILS'>10</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>WHAT</Sts>
          <BookgDt><Dt>2026-11-10</Dt></BookgDt></Ntry>
        <Ntry><Amt Ccy='ILS'>-3</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>
          <BookgDt><Dt>2026-11-10</Dt></BookgDt></Ntry>
        <Ntry><Amt Ccy='ILS'>7</Amt><Sts>BOOK</Sts><BookgDt><Dt>2026-11-10</Dt></BookgDt></Ntry>
        <Ntry><Amt>9.5</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>
          <BookgDt><Dt>10.11.2026</Dt></BookgDt></Ntry>
        <Ntry><Amt>9.5</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>
          <BookgDt><Dt>2026-11-10</Dt></BookgDt></Ntry>",
    );
    let statement = read(xml.as_bytes()).unwrap();
    let problems: Vec<(u32, &str)> = statement
        .problems
        .iter()
        .map(|p| (p.position, p.column.as_deref().unwrap()))
        .collect();
    assert_eq!(
        problems,
        [
            (1, "Amt"),
            (2, "BookgDt"),
            (3, "Sts"),
            (4, "Amt"),
            (5, "CdtDbtInd"),
            (6, "BookgDt")
        ]
    );
    assert_eq!(statement.problems[0].value.as_deref(), Some("12,x"));
    assert_eq!(statement.entries.len(), 1);
    assert_eq!(statement.entries[0].position, 7);
    assert_eq!(
        statement.entries[0].currency.as_deref(),
        Some("ILS"),
        "the account's currency"
    );
    assert!(statement
        .problems
        .iter()
        .all(|p| p.severity == Severity::Error));
}

#[test]
fn a_batch_transaction_without_an_amount_is_a_problem_the_others_are_read() {
    let xml = v08(
        r"<Ntry><NtryRef>B8</NtryRef><Amt Ccy='ILS'>500.00</Amt><CdtDbtInd>CRDT</CdtDbtInd>
        <Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>2026-11-10</Dt></BookgDt>
        <NtryDtls><TxDtls><Amt Ccy='ILS'>200</Amt></TxDtls>
        <TxDtls><RmtInf><Ustrd>INV-2</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>",
    );
    let statement = read(xml.as_bytes()).unwrap();
    assert_eq!(statement.entries.len(), 1);
    assert_eq!(statement.entries[0].id.as_deref(), Some("B8-1"));
    assert_eq!(statement.problems[0].position, 2);
    assert_eq!(statement.problems[0].column.as_deref(), Some("Amt"));
}

#[test]
fn malformed_truncated_and_hostile_files_are_errors_with_a_place() {
    let good = fixture("camt053-v08-reversal.xml");
    let cut = &good[..good.len() / 2];
    let err = read(cut).unwrap_err();
    assert!(err.contains("truncated") || err.contains("line"), "{err}");
    let err = read(b"<Document><BkToCstmrStmt><Stmt></Ntry></Stmt>").unwrap_err();
    assert!(err.contains("line 1"), "{err}");
    let bomb = "<?xml version=\"1.0\"?><!DOCTYPE d [<!ENTITY a \"aaaa\">]><Document>&a;</Document>";
    let err = read(bomb.as_bytes()).unwrap_err();
    assert!(err.contains("DOCTYPE"), "{err}");
    let deep = "<a>".repeat(10_000);
    let err = read(deep.as_bytes()).unwrap_err();
    assert!(err.contains("nested"), "{err}");
    let err = read(b"<Document><pain/></Document>").unwrap_err();
    assert!(err.contains("not a CAMT"), "{err}");
    let err = read(b"<Document>\n<BkToCstmrStmt>\xE0\xE1</BkToCstmrStmt></Document>").unwrap_err();
    assert!(err.contains("line 2 is not UTF-8"), "{err}");
}

#[test]
fn no_truncation_of_any_fixture_panics() {
    for name in FIXTURES {
        let bytes = fixture(name);
        assert!(sniff(&bytes), "{name}");
        // Whatever the damage, the split reading gives what the one-pass reading gives
        // (the same entries, or the same error).
        // Read from a file a few dozen bytes at a time, the same again where it reads at all.
        let same = |bytes: &[u8]| {
            let whole = decode(bytes).and_then(|text| read_whole(&text));
            assert_eq!(read(bytes), whole, "{name}");
            if let Some(streamed) = stream(bytes, 48) {
                assert_eq!(Ok(streamed), whole, "{name}, read from a file");
            }
        };
        for end in (0..bytes.len()).step_by(7) {
            same(&bytes[..end]);
        }
        // Markup characters and a non-UTF-8 byte dropped in anywhere.
        for (at, byte) in (0..bytes.len())
            .step_by(13)
            .zip([b'<', b'>', b'&', b'/', 0xE9].iter().cycle())
        {
            let mut changed = bytes.clone();
            changed[at] = *byte;
            same(&changed);
        }
        let statement = read(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!statement.entries.is_empty(), "{name}");
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
    /// Any statement of booked entries, each of one to three transactions with any payer
    /// and remittance text, reads back transaction for transaction.
    #[test]
    fn written_entries_read_back(
        entries in proptest::collection::vec(
            (
                proptest::bool::ANY,
                proptest::collection::vec(
                    (1u64..10_000_000, "[a-zA-Z0-9א-ת&<>\"' .-]{1,16}", "[a-zA-Z0-9א-ת&<> -]{0,20}"),
                    1..4,
                ),
            ),
            0..8,
        )
    ) {
        let mut xml = String::new();
        let mut expected = Vec::new();
        for (e, (credit, txs)) in entries.iter().enumerate() {
            let total: u64 = txs.iter().map(|t| t.0).sum();
            let indicator = if *credit { "CRDT" } else { "DBIT" };
            xml.push_str(&format!(
                "<Ntry><NtryRef>N{e}</NtryRef><Amt Ccy='ILS'>{}.{:02}</Amt>\
                 <CdtDbtInd>{indicator}</CdtDbtInd><Sts>BOOK</Sts>\
                 <BookgDt><Dt>2026-11-05</Dt></BookgDt><NtryDtls>",
                total / 100,
                total % 100
            ));
            for (k, (cents, payer, memo)) in txs.iter().enumerate() {
                let amount = if txs.len() > 1 {
                    format!("<Amt Ccy='ILS'>{}.{:02}</Amt>", cents / 100, cents % 100)
                } else {
                    String::new()
                };
                xml.push_str(&format!(
                    "<TxDtls>{amount}<RltdPties><Dbtr><Nm>{}</Nm></Dbtr></RltdPties>\
                     <RmtInf><Ustrd>{}</Ustrd></RmtInf></TxDtls>",
                    escape(payer),
                    escape(memo)
                ));
                let memo = memo.trim();
                expected.push((
                    if txs.len() > 1 { format!("N{e}-{}", k + 1) } else { format!("N{e}") },
                    Decimal::new(i64::try_from(*cents).unwrap(), 2),
                    *credit,
                    Some(payer.trim().to_string()).filter(|p| !p.is_empty()),
                    Some(memo.to_string()).filter(|m| !m.is_empty()),
                ));
            }
            xml.push_str("</NtryDtls></Ntry>\n");
        }
        let statement = read(v08(&xml).as_bytes()).unwrap();
        proptest::prop_assert_eq!(&statement, &read_whole(&v08(&xml)).unwrap());
        proptest::prop_assert!(statement.problems.is_empty(), "{:?}", statement.problems);
        let got: Vec<_> = statement
            .entries
            .iter()
            .map(|e| {
                (
                    e.id.as_deref().unwrap().to_string(),
                    e.amount,
                    e.direction == Direction::Credit,
                    e.payer.as_deref().map(str::to_string),
                    e.memo.as_deref().map(str::to_string),
                )
            })
            .collect();
        proptest::prop_assert_eq!(got, expected);
        let positions: Vec<u32> = statement.entries.iter().map(|e| e.position).collect();
        let want: Vec<u32> = (1..=u32::try_from(positions.len()).unwrap()).collect();
        proptest::prop_assert_eq!(positions, want);
    }
}

/// `bytes` read as from a file, `region` bytes at a time; every byte is seen once, in order
/// (a reading that gives up leaves the rest to the one-pass reader, which reads it all again).
fn stream(bytes: &[u8], region: usize) -> Option<Statement> {
    let mut seen = Vec::new();
    let read = read_stream_by(
        &mut std::io::Cursor::new(bytes),
        bytes.len() as u64,
        &mut |part| seen.extend_from_slice(part),
        region,
    )
    .unwrap();
    if read.is_some() {
        assert_eq!(seen, bytes);
    }
    read
}

/// The split reader gives what the one-pass reader gives, on every fixture, in memory and read
/// from a file in regions of any size (one that ends inside an entry is carried on).
#[test]
fn split_reading_equals_whole_reading() {
    for name in FIXTURES {
        let bytes = fixture(name);
        let text = decode(&bytes).unwrap();
        let whole = read_whole(&text).unwrap();
        let split = read_split(&text).unwrap_or_else(|| panic!("{name} not split"));
        assert_eq!(split, whole, "{name}");
        for region in [1, 7, 64, 300, 1000, 1 << 20] {
            assert_eq!(
                read_split_by(&text, region).as_ref(),
                Some(&whole),
                "{name} {region}"
            );
            match stream(&bytes, region) {
                Some(streamed) => assert_eq!(streamed, whole, "{name} {region}"),
                // Not UTF-8: the whole file is read by the one-pass reader.
                None => assert!(name.contains("windows1255"), "{name} {region}"),
            }
        }
    }
}

/// Over many regions, with batch bookings, bad entries and a second statement among them, the
/// results stay in file order, in memory and read from a file.
#[test]
fn many_regions_come_out_in_file_order() {
    const ENTRIES: usize = 3000;
    let mut entries = String::new();
    for k in 0..ENTRIES {
        let entry = match k % 97 {
            0 => format!(
                "<Ntry><NtryRef>B{k}</NtryRef><Amt Ccy='ILS'>30</Amt><CdtDbtInd>CRDT</CdtDbtInd>\
                 <Sts>BOOK</Sts><BookgDt><Dt>2026-11-10</Dt></BookgDt><NtryDtls>\
                 <TxDtls><Amt Ccy='ILS'>10</Amt></TxDtls><TxDtls><Amt Ccy='ILS'>20</Amt>\
                 </TxDtls></NtryDtls></Ntry>\n"
            ),
            1 => format!("<Ntry><Amt>x{k}</Amt><CdtDbtInd>CRDT</CdtDbtInd></Ntry>\n"),
            _ => format!(
                "<Ntry><Amt Ccy='ILS'>{k}.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>\
                 <BookgDt><Dt>2026-11-10</Dt></BookgDt><AcctSvcrRef>R{k}</AcctSvcrRef></Ntry>\n"
            ),
        };
        entries.push_str(&entry);
        if k == ENTRIES / 2 {
            entries.push_str("</Stmt><Stmt><Acct><Id><IBAN>IL2</IBAN></Id><Ccy>USD</Ccy></Acct>\n");
        }
    }
    let xml = v08(&entries);
    let whole = read_whole(&xml).unwrap();
    for region in [4096, 50_000] {
        let split = read_split_by(&xml, region).expect("read split");
        assert_eq!(split, whole);
        assert_eq!(stream(xml.as_bytes(), region), Some(whole.clone()));
    }
    assert!(whole.entries.len() > ENTRIES - 100);
    assert_eq!(
        whole.entries.last().unwrap().account.as_deref(),
        Some("IL2")
    );
    let positions: Vec<u32> = whole.entries.iter().map(|e| e.position).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]));
}

/// A closing tag inside a comment, a `CDATA` section or a processing instruction does not
/// end an entry; prefixed names and empty entries are found too.
#[test]
fn the_first_pass_finds_entry_ends_past_comments_and_cdata() {
    let xml = v08(
        r"<Ntry><!-- </Ntry> --><Amt Ccy='ILS'>10.00</Amt><CdtDbtInd>CRDT</CdtDbtInd>
          <Sts>BOOK</Sts><BookgDt><Dt>2026-11-10</Dt></BookgDt><?pi </Ntry> ?>
          <NtryDtls><TxDtls><RmtInf><Ustrd><![CDATA[a </Ntry> b]]> &amp; c</Ustrd></RmtInf>
          </TxDtls></NtryDtls></Ntry >
        <Ntry/>
        <Ntry><Amt Ccy='ILS'>5</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts>BOOK</Sts>
          <BookgDt><Dt>2026-11-11</Dt></BookgDt></Ntry>",
    );
    let text = decode(xml.as_bytes()).unwrap();
    let split = read_split(&text).expect("read in two passes");
    assert_eq!(split, read_whole(&text).unwrap());
    assert_eq!(split.entries.len(), 2);
    assert_eq!(split.entries[0].memo.as_deref(), Some("a </Ntry> b & c"));
    assert_eq!(split.entries[1].position, 3);
    assert_eq!(split.problems.len(), 1, "the empty entry");
    assert_eq!(split.problems[0].position, 2);
    let prefixed = xml
        .replace("<Ntry", "<c:Ntry")
        .replace("</Ntry", "</c:Ntry")
        .replace("<Document xmlns=", "<Document xmlns:c=\"urn:c\" xmlns=");
    let text = decode(prefixed.as_bytes()).unwrap();
    let again = read_split(&text).expect("prefixed, read in two passes");
    assert_eq!(again, read_whole(&text).unwrap());
    assert_eq!(again.entries.len(), 2);
    assert_eq!(again.entries[0].memo.as_deref(), Some("a </c:Ntry> b & c"));
}

/// What the split reader is not sure of goes to the one-pass reader, which says where the
/// problem is: deep nesting or a DOCTYPE inside an entry, a mismatched or missing end tag.
#[test]
fn trouble_inside_an_entry_is_reported_as_before() {
    let deep = v08(&format!(
        "<Ntry>{}{}</Ntry>",
        "<a>".repeat(70),
        "</a>".repeat(70)
    ));
    assert!(read_split(&deep).is_none());
    assert!(read(deep.as_bytes()).unwrap_err().contains("nested"));
    let mismatched = v08("<Ntry><Amt>1</Amt></Ntry></Stmt></Stmt>");
    assert!(read_split(&mismatched).is_none());
    assert!(read(mismatched.as_bytes()).is_err());
    let swapped = v08("<Ntry><Amt>1</Sts></Ntry>");
    assert!(read(swapped.as_bytes()).unwrap_err().contains("line"));
    let open = v08("<Ntry><Amt>1</Amt>");
    let err = read(open.as_bytes()).unwrap_err();
    assert!(err.contains("line"), "{err}");
    let bomb = v08("<Ntry><!DOCTYPE d [<!ENTITY a \"aaaa\">]></Ntry>");
    assert!(read_split(&bomb).is_none());
    assert!(read(bomb.as_bytes()).is_err());
}

#[test]
fn sniff_looks_at_content_only() {
    assert!(sniff(v08("").as_bytes()));
    assert!(!sniff(b"<html><table></table></html>"));
    assert!(!sniff(b"Date,Amount\n2026-11-05,BkToCstmr\n"));
    let utf16: Vec<u8> = b"\xFF\xFE"
        .iter()
        .copied()
        .chain(v08("").encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    assert!(sniff(&utf16));
    assert_eq!(read(&utf16).unwrap().entries.len(), 0);
}
