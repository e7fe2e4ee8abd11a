//! The two tables of a reading: invoices and payments, each with its issues, and the info that
//! accounts for every record of the file.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use rust_decimal::Decimal;

use super::layout;
use super::records::Doc;
use super::{issue, Notes, INVOICE_TYPES, PAYMENT_TYPES};
use crate::ingest::field::{Field, TableKind};
use crate::ingest::header::HeaderMatch;
use crate::ingest::statement::Generated;
use crate::ingest::table::{Cell, RawTable};
use crate::model::{Issue, Severity};

/// The invoice number each document is read under. Each document type has its own numbering
/// in most packages, so a tax invoice 1043 and a credit invoice 1043 are two documents: the
/// first type of [`INVOICE_TYPES`] present keeps the plain number (the one customers quote in
/// their transfers), the others get their type in front (`330-1043`).
pub(super) struct Numbers {
    types: BTreeMap<String, BTreeSet<u16>>,
}

impl Numbers {
    pub(super) fn new(docs: &[Doc]) -> Numbers {
        let mut types: BTreeMap<String, BTreeSet<u16>> = BTreeMap::new();
        for doc in docs {
            if INVOICE_TYPES.contains(&doc.kind) && !doc.cancelled {
                types
                    .entry(crate::normalize::invoice_key(&doc.number))
                    .or_default()
                    .insert(doc.kind);
            }
        }
        Numbers { types }
    }

    /// The invoice number of document `number` of type `kind`, and the type that keeps the plain
    /// number when it is not this one.
    fn get(&self, kind: u16, number: &str) -> (String, Option<u16>) {
        let first = self
            .types
            .get(&crate::normalize::invoice_key(number))
            .and_then(|set| INVOICE_TYPES.iter().copied().find(|t| set.contains(t)));
        match first {
            Some(first) if first != kind => (format!("{kind}-{number}"), Some(first)),
            _ => (number.to_string(), None),
        }
    }

    /// The invoice number a base document stands for, when it is an invoice this reader reads.
    fn base(&self, base: &(Option<u16>, String)) -> Option<String> {
        match base {
            (Some(kind), number) if INVOICE_TYPES.contains(kind) => Some(self.get(*kind, number).0),
            (None, number) => Some(number.clone()),
            _ => None,
        }
    }
}

/// The amount, currency and withheld tax of a document. The amounts of `C100` are in the
/// leading currency (`INI.TXT` 1032, ILS by default); an export document also gives its final
/// amount in its own currency (1217, 1218), which is what the customer owes and pays, so that
/// one is read. The withheld tax (1224) is in the leading currency and so is read only for a
/// document in it.
fn money(doc: &Doc, leading: &str) -> (Option<Decimal>, String, Option<Decimal>) {
    match &doc.foreign {
        Some((amount, code)) if !code.eq_ignore_ascii_case(leading) => {
            (Some(*amount), code.clone(), None)
        }
        _ => (
            doc.total,
            leading.to_string(),
            doc.withheld.filter(|w| !w.is_zero()),
        ),
    }
}

/// A table with its header, empty rows up to the last document's line.
fn new_table(file: &Arc<str>, kind: TableKind, columns: &[(Field, String)]) -> Generated {
    let header = HeaderMatch {
        row_index: 0,
        columns: columns
            .iter()
            .zip(0..)
            .map(|((field, _), index)| (*field, index))
            .collect(),
        headers: columns.iter().map(|(_, name)| name.clone()).collect(),
    };
    let names = columns
        .iter()
        .map(|(_, name)| Cell::Text(name.as_str().into()))
        .collect();
    Generated {
        kind,
        table: RawTable {
            file: Arc::clone(file),
            sheet: None,
            first_row: 0,
            rows: vec![names],
        },
        header,
        issues: Vec::new(),
        ignored: 0,
        rejected: 0,
        format: String::new(),
        statement: None,
    }
}

fn put(table: &mut Generated, line: u32, row: Vec<Cell>) {
    let index = line as usize;
    let rows = &mut table.table.rows;
    if rows.len() <= index {
        rows.resize_with(index + 1, Vec::new);
    }
    rows[index] = row;
}

fn text_cell(text: Option<String>) -> Cell {
    text.map_or(Cell::Empty, |t| Cell::Text(t.into()))
}

fn amount_cell(amount: Option<Decimal>) -> Cell {
    amount.map_or(Cell::Empty, |a| Cell::Text(a.to_string().into()))
}

/// Whether the document is left out of `table`: cancelled (ignored, warning) or with fields that
/// could not be read (rejected, an error per field).
fn left_out(doc: &Doc, table: &mut Generated, file: &Arc<str>, part: &str) -> bool {
    if doc.cancelled {
        table.ignored += 1;
        table.issues.push(issue(
            file,
            Severity::Warning,
            Some(doc.line),
            Some(layout::C_CANCELLED.label()),
            Some("1".to_string()),
            format!(
                "{} {} is cancelled (field 1228 = 1); its {part} is ignored",
                layout::document_name(doc.kind),
                doc.number
            ),
        ));
        return true;
    }
    if doc.problems.is_empty() {
        return false;
    }
    table.rejected += 1;
    for problem in &doc.problems {
        table.issues.push(issue(
            file,
            Severity::Error,
            Some(doc.line),
            Some(problem.spec.label()),
            Some(problem.value.clone()),
            format!(
                "{}; {} {} is left out of the {part}s",
                problem.message,
                layout::document_name(doc.kind),
                doc.number
            ),
        ));
    }
    true
}

pub(super) fn invoices_table(
    docs: &[Doc],
    numbers: &Numbers,
    leading: &str,
    file: &Arc<str>,
    notes: &mut Notes,
) -> Generated {
    let columns = [
        (Field::Number, layout::C_NUMBER.label()),
        (Field::ClientId, layout::C_CUSTOMER.label()),
        (Field::ClientName, layout::C_NAME.label()),
        (Field::InvoiceDate, layout::C_DATE.label()),
        (Field::Amount, layout::C_TOTAL.label()),
        (Field::Currency, layout::C_CURRENCY.label()),
        (Field::DocType, layout::C_TYPE.label()),
        (Field::Reference, layout::D110_BASE_NUMBER.label()),
    ];
    let mut table = new_table(file, TableKind::Invoices, &columns);
    for doc in docs.iter().filter(|d| INVOICE_TYPES.contains(&d.kind)) {
        if left_out(doc, &mut table, file, "invoice") {
            continue;
        }
        let (number, keeps) = numbers.get(doc.kind, &doc.number);
        if let Some(keeps) = keeps {
            notes.invoices.push(issue(
                file,
                Severity::Info,
                Some(doc.line),
                Some(layout::C_NUMBER.label()),
                Some(doc.number.clone()),
                format!(
                    "a {} has the same number; this {} is read as invoice {number} so the two \
                     stay apart",
                    layout::document_name(keeps),
                    layout::document_name(doc.kind)
                ),
            ));
        }
        let (amount, currency, withheld) = money(doc, leading);
        // What the customer owes is the document's total with VAT (1223). On an
        // invoice-receipt, 1223 is what was received: the specification (clarification 4)
        // leaves the tax withheld at source (1224) out of it, yet the customer owed it too, and
        // the payment part carries it as withheld, so the invoice part is 1223 + 1224.
        let amount = match (doc.kind, withheld) {
            (320, Some(withheld)) => amount.map(|a| a + withheld),
            _ => amount,
        };
        let doc_type = match doc.kind {
            330 => "חשבונית מס זיכוי",
            320 => "חשבונית מס קבלה",
            _ => "חשבונית מס",
        };
        let mut references = doc.bases.iter().filter_map(|b| numbers.base(b));
        let reference = if doc.kind == 330 {
            let first = references.next();
            if let Some(other) = references.find(|r| Some(r) != first.as_ref()) {
                notes.invoices.push(issue(
                    file,
                    Severity::Info,
                    Some(doc.line),
                    Some(layout::D110_BASE_NUMBER.label()),
                    Some(other),
                    "the credit invoice names several base documents; the first is taken as \
                     the invoice it applies to"
                        .to_string(),
                ));
            }
            first
        } else {
            None
        };
        put(
            &mut table,
            doc.line,
            vec![
                Cell::Text(number.into()),
                text_cell(doc.customer.clone()),
                text_cell(doc.name.clone()),
                doc.date.map_or(Cell::Empty, Cell::Date),
                amount_cell(amount),
                Cell::Text(currency.into()),
                Cell::Text(doc_type.into()),
                text_cell(reference),
            ],
        );
    }
    table
}

pub(super) fn payments_table(
    docs: &[Doc],
    numbers: &Numbers,
    leading: &str,
    file: &Arc<str>,
    notes: &mut Notes,
) -> Generated {
    let columns = [
        (Field::PaymentId, "1203-1204 סוג ומספר מסמך".to_string()),
        (Field::PaymentDate, layout::C_DATE.label()),
        (Field::PaymentAmount, layout::C_TOTAL.label()),
        (Field::PaymentCurrency, layout::C_CURRENCY.label()),
        (Field::PaymentClientId, layout::C_CUSTOMER.label()),
        (Field::Payer, layout::C_NAME.label()),
        (Field::Memo, layout::D110_BASE_NUMBER.label()),
        (Field::Method, layout::D120_METHOD.label()),
        (Field::Withheld, layout::C_WITHHELD.label()),
    ];
    let mut table = new_table(file, TableKind::Payments, &columns);
    for doc in docs.iter().filter(|d| PAYMENT_TYPES.contains(&d.kind)) {
        if left_out(doc, &mut table, file, "payment") {
            continue;
        }
        let (mut amount, currency, withheld) = money(doc, leading);
        if doc.foreign.is_some()
            && currency != leading
            && doc.withheld.is_some_and(|w| !w.is_zero())
        {
            notes.payments.push(issue(
                file,
                Severity::Info,
                Some(doc.line),
                Some(layout::C_WITHHELD.label()),
                doc.withheld.map(|w| w.to_string()),
                format!(
                    "the withheld tax is in {leading} but the document is in {currency}; it is \
                     not read"
                ),
            ));
        }
        if doc.payment_lines > 0 && currency == leading {
            match amount {
                None => {
                    amount = Some(doc.lines_total);
                    notes.payments.push(issue(
                        file,
                        Severity::Info,
                        Some(doc.line),
                        Some(layout::C_TOTAL.label()),
                        None,
                        "the receipt's total is empty; the sum of its payment lines (1312) is \
                         read instead"
                            .to_string(),
                    ));
                }
                Some(total) if total != doc.lines_total => notes.payments.push(issue(
                    file,
                    Severity::Warning,
                    Some(doc.line),
                    Some(layout::C_TOTAL.label()),
                    Some(total.to_string()),
                    format!(
                        "the receipt's payment lines (D120, field 1312) add up to {}, not to its \
                         total; the total is read — check the receipt in the bookkeeping package",
                        doc.lines_total
                    ),
                )),
                Some(_) => {}
            }
        }
        // A receipt names the invoices it pays as the base documents of its lines (1256/1257);
        // an invoice-receipt pays itself.
        let memo: Vec<String> = if doc.kind == 320 {
            vec![numbers.get(doc.kind, &doc.number).0]
        } else {
            doc.bases.iter().filter_map(|b| numbers.base(b)).collect()
        };
        let mut methods: Vec<&str> = Vec::new();
        for name in doc.methods.iter().filter_map(|m| layout::method_name(*m)) {
            if !methods.contains(&name) {
                methods.push(name);
            }
        }
        put(
            &mut table,
            doc.line,
            vec![
                Cell::Text(format!("{}-{}", doc.kind, doc.number).into()),
                doc.date.map_or(Cell::Empty, Cell::Date),
                amount_cell(amount),
                Cell::Text(currency.into()),
                text_cell(doc.customer.clone()),
                text_cell(doc.name.clone()),
                text_cell((!memo.is_empty()).then(|| memo.join(" "))),
                text_cell((!methods.is_empty()).then(|| methods.join(", "))),
                amount_cell(withheld),
            ],
        );
    }
    table
}

/// The one info issue per table that accounts for every record of the file.
pub(super) fn summary(
    kind: TableKind,
    docs: &[Doc],
    records: &BTreeMap<String, usize>,
    file: &Arc<str>,
) -> Issue {
    let read: &[u16] = match kind {
        TableKind::Payments => &PAYMENT_TYPES,
        _ => &INVOICE_TYPES,
    };
    let mut by_type: BTreeMap<u16, usize> = BTreeMap::new();
    for doc in docs {
        *by_type.entry(doc.kind).or_default() += 1;
    }
    let list = |types: &mut dyn Iterator<Item = (&u16, &usize)>| {
        types
            .map(|(t, n)| format!("{n} × {t} ({})", layout::document_name(*t)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut parts = Vec::new();
    let taken = list(&mut by_type.iter().filter(|(t, _)| read.contains(t)));
    parts.push(format!(
        "documents read as {kind}: {}",
        if taken.is_empty() { "none" } else { &taken }
    ));
    let (elsewhere, also): (&[u16], TableKind) = match kind {
        TableKind::Payments => (&INVOICE_TYPES, TableKind::Invoices),
        _ => (&PAYMENT_TYPES, TableKind::Payments),
    };
    let there = list(
        &mut by_type
            .iter()
            .filter(|(t, _)| !read.contains(t) && elsewhere.contains(t)),
    );
    if !there.is_empty() {
        parts.push(format!(
            "read when the file is also given under `{also}`: {there}"
        ));
    }
    let other = list(
        &mut by_type
            .iter()
            .filter(|(t, _)| !read.contains(t) && !elsewhere.contains(t)),
    );
    if !other.is_empty() {
        parts.push(format!("other documents, not read: {other}"));
    }
    let kinds = |code: &str| match code {
        "A100" => "opening record",
        "Z900" => "closing record",
        "B100" => "ledger entry lines",
        "B110" => "ledger accounts",
        "M100" => "stock items",
        "D110" => "document lines, read with their documents",
        "D120" => "payment lines, read with their receipts",
        _ => "unknown lines",
    };
    let skipped = records
        .iter()
        .filter(|(code, _)| code.as_str() != "C100")
        .map(|(code, n)| format!("{n} × {code} ({})", kinds(code)))
        .collect::<Vec<_>>()
        .join(", ");
    if !skipped.is_empty() {
        parts.push(format!("records that are not documents: {skipped}"));
    }
    issue(
        file,
        Severity::Info,
        None,
        None,
        None,
        format!("unified file: {}", parts.join("; ")),
    )
}
