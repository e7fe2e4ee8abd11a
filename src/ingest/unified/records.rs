//! The documents of the file: each `C100` header read into a [`Doc`], and the `D110` and
//! `D120` lines added to the document they belong to.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::layout::{self, Spec};
use super::{issue, Line, Notes, Reading, INVOICE_TYPES, PAYMENT_TYPES};
use crate::ingest::field::TableKind;
use crate::model::Severity;

/// A field that could not be read.
pub(super) struct Problem {
    pub spec: Spec,
    pub value: String,
    pub message: String,
}

/// One document: its header `C100` and what its lines add.
pub(super) struct Doc {
    pub line: u32,
    pub kind: u16,
    pub number: String,
    pub date: Option<NaiveDate>,
    pub name: Option<String>,
    pub customer: Option<String>,
    pub total: Option<Decimal>,
    pub withheld: Option<Decimal>,
    pub foreign: Option<(Decimal, String)>,
    pub cancelled: bool,
    pub link: Option<u32>,
    pub problems: Vec<Problem>,
    /// Base documents named by its `D110` lines (type when given, number).
    pub bases: Vec<(Option<u16>, String)>,
    /// Payment method codes of its `D120` lines, in line order.
    pub methods: Vec<u8>,
    /// The sum of its `D120` line amounts, and how many there were.
    pub lines_total: Decimal,
    pub payment_lines: usize,
}

/// One `C100` as a document, or the problem that keeps its type or number from being known.
pub(super) fn read_header(reading: &Reading, line: &Line<'_>) -> Result<Doc, Problem> {
    let raw = |spec: Spec| reading.raw(line.bytes, spec);
    let problem = |spec: Spec, message: String| Problem {
        spec,
        value: raw(spec).trim().to_string(),
        message,
    };
    let kind = match layout::code(&raw(layout::C_TYPE)) {
        Ok(Some(kind)) => u16::try_from(kind).unwrap_or(u16::MAX),
        Ok(None) => {
            return Err(problem(
                layout::C_TYPE,
                "the document type is empty".to_string(),
            ))
        }
        Err(message) => return Err(problem(layout::C_TYPE, message)),
    };
    let Some(number) = layout::document_number(&raw(layout::C_NUMBER)) else {
        return Err(problem(
            layout::C_NUMBER,
            "the document number is empty".to_string(),
        ));
    };
    let mut problems = Vec::new();
    let mut read_date = |spec: Spec| match layout::date(&raw(spec)) {
        Ok(date) => date,
        Err(message) => {
            problems.push(problem(spec, message));
            None
        }
    };
    // 1230 is the date printed on the document; 1205, the day the system issued it, stands in
    // when a package leaves 1230 empty.
    let date = read_date(layout::C_DATE).or_else(|| read_date(layout::C_ISSUED));
    if date.is_none() && problems.is_empty() {
        problems.push(problem(
            layout::C_DATE,
            "the document date is empty (and so is the issue date, 1205)".to_string(),
        ));
    }
    let mut read_amount = |spec: Spec| match layout::amount(&raw(spec)) {
        Ok(amount) => amount,
        Err(message) => {
            problems.push(problem(spec, message));
            None
        }
    };
    let total = read_amount(layout::C_TOTAL);
    let withheld = if PAYMENT_TYPES.contains(&kind) {
        read_amount(layout::C_WITHHELD)
    } else {
        None
    };
    let foreign = match reading.text(line.bytes, layout::C_CURRENCY) {
        Some(code) => read_amount(layout::C_FOREIGN_AMOUNT)
            .filter(|a| !a.is_zero())
            .map(|a| (a, code.to_uppercase())),
        None => None,
    };
    // The customer's key in the seller's books (1225) is the id the package gives its client;
    // without it, the client's VAT number (1215) is as good an id.
    let customer = reading.text(line.bytes, layout::C_CUSTOMER).or_else(|| {
        layout::code(&raw(layout::C_VAT_ID))
            .ok()
            .flatten()
            .map(|id| id.to_string())
    });
    Ok(Doc {
        line: line.number,
        kind,
        number,
        date,
        name: reading.text(line.bytes, layout::C_NAME),
        customer,
        total,
        withheld,
        foreign,
        cancelled: raw(layout::C_CANCELLED).trim() == "1",
        link: layout::code(&raw(layout::C_LINK)).ok().flatten(),
        problems,
        bases: Vec::new(),
        methods: Vec::new(),
        lines_total: Decimal::ZERO,
        payment_lines: 0,
    })
}

/// Adds each `D110` and `D120` to its document: the base documents of the lines and the
/// payment lines. A line whose document is not in the file is a warning.
pub(super) fn attach_lines(
    lines: &[Line<'_>],
    reading: &Reading,
    docs: &mut [Doc],
    notes: &mut Notes,
    file: &Arc<str>,
) {
    let mut by_key: BTreeMap<(u16, String), Vec<usize>> = BTreeMap::new();
    for (index, doc) in docs.iter().enumerate() {
        by_key
            .entry((doc.kind, doc.number.clone()))
            .or_default()
            .push(index);
    }
    for line in lines {
        let (type_spec, number_spec, link_spec) = match line.code() {
            b"D110" => (layout::D110_TYPE, layout::D110_NUMBER, layout::D110_LINK),
            b"D120" => (layout::D120_TYPE, layout::D120_NUMBER, layout::D120_LINK),
            _ => continue,
        };
        let raw = |spec: Spec| reading.raw(line.bytes, spec);
        let kind = layout::code(&raw(type_spec))
            .ok()
            .flatten()
            .and_then(|k| u16::try_from(k).ok());
        let number = layout::document_number(&raw(number_spec));
        let link = layout::code(&raw(link_spec)).ok().flatten();
        let candidates = match (kind, &number) {
            (Some(kind), Some(number)) => by_key.get(&(kind, number.clone())),
            _ => None,
        };
        let Some(candidates) = candidates else {
            notes.warn(
                Some(line.number),
                Some(number_spec.label()),
                number.clone(),
                format!(
                    "a {} line of document {} {} that has no header record C100 in the file; \
                     the line is not read",
                    String::from_utf8_lossy(line.code()),
                    kind.map_or_else(|| "(no type)".to_string(), |k| k.to_string()),
                    number.as_deref().unwrap_or("(no number)")
                ),
            );
            continue;
        };
        // The header the link field names; else the nearest header above the line (exports
        // write a document's lines after it), else the first.
        let linked = link.and_then(|link| {
            candidates
                .iter()
                .copied()
                .find(|&i| docs[i].link == Some(link))
        });
        let above = candidates
            .iter()
            .copied()
            .rev()
            .find(|&i| docs[i].line < line.number);
        let Some(index) = linked.or(above).or(candidates.first().copied()) else {
            continue;
        };
        let doc = &mut docs[index];
        let to_doc_table = |doc: &Doc| {
            if PAYMENT_TYPES.contains(&doc.kind) && !INVOICE_TYPES.contains(&doc.kind) {
                TableKind::Payments
            } else {
                TableKind::Invoices
            }
        };
        let mut warn = |spec: Spec, value: String, message: String, table: TableKind| {
            let issue = issue(
                file,
                Severity::Warning,
                Some(line.number),
                Some(spec.label()),
                Some(value),
                message,
            );
            match table {
                TableKind::Payments => notes.payments.push(issue),
                _ => notes.invoices.push(issue),
            }
        };
        if line.code() == b"D110" {
            let base_type = match layout::code(&raw(layout::D110_BASE_TYPE)) {
                Ok(kind) => kind.and_then(|k| u16::try_from(k).ok()),
                Err(message) => {
                    let table = to_doc_table(doc);
                    warn(
                        layout::D110_BASE_TYPE,
                        raw(layout::D110_BASE_TYPE).trim().to_string(),
                        format!("{message}; the base document of this line is not read"),
                        table,
                    );
                    continue;
                }
            };
            if let Some(base) = layout::document_number(&raw(layout::D110_BASE_NUMBER)) {
                if !doc.bases.contains(&(base_type, base.clone())) {
                    doc.bases.push((base_type, base));
                }
            }
            continue;
        }
        let method = raw(layout::D120_METHOD);
        match method
            .trim()
            .parse::<u8>()
            .ok()
            .filter(|m| layout::method_name(*m).is_some())
        {
            Some(code) => doc.methods.push(code),
            None => warn(
                layout::D120_METHOD,
                method.trim().to_string(),
                "not a payment method code of the specification (1 cash, 2 cheque, 3 credit \
                 card, 4 bank transfer, 5 voucher, 6 exchange slip, 7 promissory note, \
                 8 standing order, 9 other); the method of this line is not read"
                    .to_string(),
                TableKind::Payments,
            ),
        }
        match layout::amount(&raw(layout::D120_AMOUNT)) {
            Ok(Some(amount)) => {
                doc.lines_total += amount;
                doc.payment_lines += 1;
            }
            Ok(None) => {}
            Err(message) => warn(
                layout::D120_AMOUNT,
                raw(layout::D120_AMOUNT).trim().to_string(),
                format!("{message}; the line is left out of the check of the receipt's total"),
                TableKind::Payments,
            ),
        }
    }
}
