//! The invoices table: rows into invoices and credit notes, and SPEC section 1's rule for an
//! invoice number seen twice.

use super::*;
use crate::keys::KeyIndex;

#[allow(clippy::too_many_arguments)]
pub(super) fn read_invoices(
    config: &Config,
    table: &mut RawTable,
    header: &HeaderMatch,
    report: &mut InputReport,
    report_index: usize,
    clients: &mut Clients,
    texts: &mut Interner,
    invoices: &mut Vec<Invoice>,
    numbers: &mut InvoiceNumbers,
    issues: &mut Vec<Issue>,
) {
    use Field::*;
    let rows = data_rows(table, header, report, issues);
    let orders = date_orders(config, &rows, &[InvoiceDate, DueDate], report, issues);
    // Everything row-local parses on all threads; resolving the client, which depends on the
    // rows before, runs in row order.
    invoices.reserve(rows.len());
    numbers.seen.reserve(rows.len());
    let parse =
        |row: &Row<'_>| (!is_totals_row(row, Number)).then(|| parse_invoice(config, row, &orders));
    let origins = rows.into_iter().map(|row| row.origin).collect();
    parse_rows(table, header, origins, parse, |row, parsed| {
        match parsed {
            None => {
                issues.push(row.issue(Severity::Warning, None, "totals row ignored"));
                report.ignored += 1;
            }
            Some(Ok((draft, key))) => {
                numbers.add(&key, report_index);
                invoices.push(finish_invoice(config, row, draft, clients, texts));
                report.used += 1;
            }
            Some(Err(LateError { issue, client })) => {
                // A row rejected for its due date or disputed flag still names its client,
                // as it did when rows were read one by one.
                if let Some((id, name, email)) = client {
                    clients.resolve(id, name, email.as_ref(), texts);
                }
                issues.push(issue);
                report.rejected += 1;
            }
        }
    });
}

/// An invoice row with every row-local field parsed; the client is not resolved yet.
pub(super) struct InvoiceDraft {
    pub(super) number: String,
    pub(super) client_id: Option<String>,
    pub(super) client_name: Option<String>,
    pub(super) email: Option<String>,
    pub(super) date: NaiveDate,
    pub(super) due: Option<NaiveDate>,
    pub(super) amount: Decimal,
    pub(super) currency: String,
    pub(super) kind: DocKind,
    pub(super) reference: Option<String>,
    pub(super) disputed: bool,
    pub(super) prepaid: Decimal,
}

/// A rejected invoice row; `client` is set when the error came after the point where the
/// client would have been resolved (id, name, email).
pub(super) struct LateError {
    pub(super) issue: Issue,
    pub(super) client: Option<(Option<String>, Option<String>, Option<String>)>,
}

impl From<Issue> for LateError {
    fn from(issue: Issue) -> LateError {
        LateError {
            issue,
            client: None,
        }
    }
}

pub(super) fn parse_invoice(
    config: &Config,
    row: &Row<'_>,
    orders: &BTreeMap<Field, ColumnOrder>,
) -> Result<(InvoiceDraft, String), LateError> {
    use Field::*;
    let number = row
        .text(Number)
        .ok_or_else(|| row.missing(Number, "the invoice number"))?;
    let client_id = row.text(ClientId);
    let client_name = row.text(ClientName);
    if client_id.is_none() && client_name.is_none() {
        let field = if row.header.columns.contains_key(&ClientId) {
            ClientId
        } else {
            ClientName
        };
        return Err(row.missing(field, "the client").into());
    }
    let date = row
        .date(InvoiceDate, orders)?
        .ok_or_else(|| row.missing(InvoiceDate, "the invoice date"))?;
    let parsed = row
        .amount(Amount)?
        .ok_or_else(|| row.missing(Amount, "the amount"))?;
    let currency = row_currency(config, row, Currency, Amount, parsed.currency.as_deref())?;
    let mut amount = round_money(parsed.value, &currency);
    let mut kind = if amount.is_sign_negative() && !amount.is_zero() {
        DocKind::CreditNote
    } else {
        DocKind::Invoice
    };
    if let Some(text) = row.text(DocType) {
        match value::parse_doc_kind(&text) {
            Some(DocKind::CreditNote) => kind = DocKind::CreditNote,
            Some(DocKind::Invoice) => {}
            None => {
                return Err(row.error(DocType, "unknown document type; expected invoice or credit note (חשבונית / חשבונית זיכוי)").into());
            }
        }
    }
    if kind == DocKind::CreditNote && amount.is_sign_positive() {
        amount = -amount;
    }
    let prepaid = match row.amount(AmountPaid)? {
        None => Decimal::ZERO,
        Some(p) => round_money(p.value, &currency),
    };
    if kind == DocKind::Invoice
        && (prepaid.is_sign_negative() && !prepaid.is_zero() || prepaid > amount)
    {
        return Err(row
            .error(
                AmountPaid,
                format!("amount already paid must be between 0 and the invoice amount {amount}"),
            )
            .into());
    }
    if kind == DocKind::CreditNote && !prepaid.is_zero() {
        return Err(row
            .error(
                AmountPaid,
                "a credit note cannot have an amount already paid",
            )
            .into());
    }
    let email = row.text(Email);
    let late = |issue: Issue| LateError {
        issue,
        client: Some((client_id.clone(), client_name.clone(), email.clone())),
    };
    let due = row.date(DueDate, orders).map_err(late)?;
    let reference = row.text(Reference);
    let disputed = row.flag(Disputed).map_err(late)?;
    let key = normalize::invoice_key(&number);
    Ok((
        InvoiceDraft {
            number,
            client_id,
            client_name,
            email,
            date,
            due,
            amount,
            currency,
            kind,
            reference,
            disputed,
            prepaid,
        },
        key,
    ))
}

/// Resolves the draft's client (in row order: it may register a client) and its due date.
pub(super) fn finish_invoice(
    config: &Config,
    row: &Row<'_>,
    draft: InvoiceDraft,
    clients: &mut Clients,
    texts: &mut Interner,
) -> Invoice {
    let (client, client_name) = clients.resolve(
        draft.client_id,
        draft.client_name,
        draft.email.as_ref(),
        texts,
    );
    let due = match draft.due {
        Some(due) => due,
        None => clients
            .get(&client)
            .and_then(|c| c.terms)
            .unwrap_or(config.default_terms)
            .due_date(draft.date),
    };
    Invoice {
        number: draft.number.into(),
        client,
        client_name,
        date: draft.date,
        due,
        amount: draft.amount,
        currency: texts.get(&draft.currency),
        kind: draft.kind,
        reference: draft.reference.map(String::into_boxed_str),
        disputed: draft.disputed,
        prepaid: draft.prepaid,
        email: draft.email.map(String::into_boxed_str),
        origin: row.origin.clone(),
    }
}

/// The invoice numbers read so far, by their key (SPEC section 1's duplicate rule), each with
/// the invoices (in reading order) numbered so.
#[derive(Default)]
pub(super) struct InvoiceNumbers {
    pub(super) seen: KeyIndex,
    /// The input each invoice was read from (its index in the ledger's inputs).
    pub(super) reports: Vec<usize>,
}

impl InvoiceNumbers {
    /// Notes the next invoice in reading order: its number's key and the input it is from.
    pub(super) fn add(&mut self, key: &str, report: usize) {
        self.seen.push(key, self.reports.len());
        self.reports.push(report);
    }
}

/// Applies the duplicate rule of SPEC section 1 to the invoices `numbers` found sharing a
/// number: identical content counts once (warning); with different content every row of that
/// number is left out (error).
pub(super) fn dedupe_invoices(
    mut invoices: Vec<Invoice>,
    numbers: InvoiceNumbers,
    reports: &mut [InputReport],
    issues: &mut Vec<Issue>,
) -> Vec<Invoice> {
    let InvoiceNumbers {
        seen,
        reports: report_of,
    } = numbers;
    let groups: Vec<&[usize]> = seen.repeated().collect();
    if groups.is_empty() {
        return invoices;
    }
    let same = |a: &Invoice, b: &Invoice| {
        a.client == b.client
            && a.date == b.date
            && a.due == b.due
            && a.amount == b.amount
            && a.currency == b.currency
            && a.kind == b.kind
            && a.reference == b.reference
            && a.disputed == b.disputed
            && a.prepaid == b.prepaid
    };
    let mut keep = vec![true; invoices.len()];
    for &members in &groups {
        let first = &invoices[members[0]];
        if members.iter().all(|&i| same(&invoices[i], first)) {
            for &i in &members[1..] {
                keep[i] = false;
                let inv = &invoices[i];
                reports[report_of[i]].used -= 1;
                reports[report_of[i]].duplicates += 1;
                issues.push(Issue::at(
                    Severity::Warning,
                    &inv.origin,
                    None,
                    Some(&inv.number),
                    format!(
                        "invoice {} appears twice with identical content ({}); counted once",
                        inv.number, first.origin
                    ),
                ));
            }
        } else {
            let places: Vec<String> = members
                .iter()
                .map(|&i| invoices[i].origin.to_string())
                .collect();
            for &i in members {
                keep[i] = false;
                let inv = &invoices[i];
                reports[report_of[i]].used -= 1;
                reports[report_of[i]].rejected += 1;
                issues.push(Issue::at(
                    Severity::Error,
                    &inv.origin,
                    None,
                    Some(&inv.number),
                    format!(
                        "invoice number {} is used by {} rows with different content ({}); all are left out until the export is corrected",
                        inv.number,
                        members.len(),
                        places.join("; ")
                    ),
                ));
            }
        }
    }
    // In place: a second vector of a million invoices would be held beside the first.
    let mut keep = keep.into_iter();
    invoices.retain(|_| keep.next().unwrap_or(true));
    invoices
}
