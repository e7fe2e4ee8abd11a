//! The payments table (a bank export, or a statement's generated table): rows into payments,
//! debits and totals lines ignored, and a payment id seen twice counted once.

use super::*;
use crate::keys::KeyIndex;

#[allow(clippy::too_many_arguments)]
pub(super) fn read_payments(
    config: &Config,
    table: &mut RawTable,
    header: &HeaderMatch,
    report: &mut InputReport,
    texts: &mut Interner,
    payments: &mut Vec<Payment>,
    ids: &mut PaymentIds,
    issues: &mut Vec<Issue>,
) {
    use Field::*;
    let rows = data_rows(table, header, report, issues);
    let orders = date_orders(config, &rows, &[PaymentDate], report, issues);
    let stem = Path::new(&report.file).file_stem().map_or_else(
        || "payment".to_string(),
        |s| s.to_string_lossy().to_string(),
    );
    // Rows parse on all threads; sharing their texts and settling duplicate ids run in row
    // order.
    payments.reserve(rows.len());
    ids.seen.reserve(rows.len());
    // Room for a payer of its own on every row, as bank lines spelt each their own way have:
    // the shared texts grown step by step were copied at the last step, after 700,000
    // payments, on the one thread that finishes rows in order while the other waited.
    texts.reserve(rows.len());
    let parse = |row: &Row<'_>| {
        (!is_totals_row(row, PaymentDate)).then(|| read_payment(config, row, &orders, &stem))
    };
    let origins = rows.into_iter().map(|row| row.origin).collect();
    parse_rows(table, header, origins, parse, |row, parsed| {
        let Some(parsed) = parsed else {
            issues.push(row.issue(Severity::Warning, None, "totals row ignored"));
            report.ignored += 1;
            return;
        };
        match parsed {
            Ok(Some(draft)) => ids.push(payments, finish_payment(row, draft, texts), report),
            Ok(None) => {
                report.ignored += 1;
                issues.push(if row.cell(Debit).is_some() {
                    row.issue(
                        Severity::Warning,
                        Some(Debit),
                        "a debit (money out), not a client payment; ignored",
                    )
                } else {
                    row.issue(
                        Severity::Warning,
                        Some(PaymentAmount),
                        "no incoming amount (zero, empty or a debit); not a client payment, ignored",
                    )
                });
            }
            Err(issue) => {
                issues.push(issue);
                report.rejected += 1;
            }
        }
    });
}

/// A payment row with every field parsed; its repeated texts are not shared yet.
pub(super) struct PaymentDraft {
    pub(super) id: String,
    pub(super) date: NaiveDate,
    pub(super) amount: Decimal,
    pub(super) currency: String,
    pub(super) client_id: Option<String>,
    pub(super) payer: Option<String>,
    pub(super) memo: Option<String>,
    pub(super) method: Option<String>,
    pub(super) withheld: Option<Decimal>,
}

pub(super) fn read_payment(
    config: &Config,
    row: &Row<'_>,
    orders: &BTreeMap<Field, ColumnOrder>,
    stem: &str,
) -> Result<Option<PaymentDraft>, Issue> {
    use Field::*;
    let date = row
        .date(PaymentDate, orders)?
        .ok_or_else(|| row.missing(PaymentDate, "the payment date"))?;
    let Some(parsed) = row.amount(PaymentAmount)? else {
        return Ok(None);
    };
    let currency = row_currency(
        config,
        row,
        PaymentCurrency,
        PaymentAmount,
        parsed.currency.as_deref(),
    )?;
    let amount = round_money(parsed.value, &currency);
    if amount <= Decimal::ZERO {
        return Ok(None);
    }
    let withheld = match row.amount(Withheld)? {
        None => None,
        Some(parsed) if parsed.value < Decimal::ZERO => {
            return Err(row.error(
                Withheld,
                "the withheld tax is negative; write the amount withheld at source as a \
                 positive number",
            ))
        }
        Some(parsed) => Some(round_money(parsed.value, &currency)),
    };
    Ok(Some(PaymentDraft {
        id: row
            .text(PaymentId)
            .unwrap_or_else(|| format!("{stem}-{}", row.origin.row)),
        date,
        amount,
        currency,
        client_id: row.text(PaymentClientId),
        payer: row.text(Payer),
        memo: row.text(Memo),
        method: row.text(Method),
        withheld,
    }))
}

/// The payment of a draft, its repeated texts shared through `texts` (in row order, on one
/// thread).
pub(super) fn finish_payment(row: &Row<'_>, draft: PaymentDraft, texts: &mut Interner) -> Payment {
    Payment {
        id: draft.id.into(),
        date: draft.date,
        amount: draft.amount,
        currency: texts.get(&draft.currency),
        client_id: draft.client_id.map(|t| texts.get(&t)),
        payer: draft.payer.map(|t| texts.get(&t)),
        memo: draft.memo.map(String::into_boxed_str),
        method: draft.method.map(|t| texts.get(&t)),
        withheld: draft.withheld,
        origin: row.origin.clone(),
    }
}

/// The payment ids read so far. Payments with the same id: identical rows (an overlap of two
/// bank exports) count once (warning); different rows keep both, the later one with its row
/// number added to its id (and `.2`, `.3` ... while that id is taken too).
#[derive(Default)]
pub(super) struct PaymentIds {
    /// Id -> its index in the payments (renamed ids keep every id unique).
    pub(super) seen: KeyIndex,
    /// The warnings about repeated ids, in reading order.
    pub(super) issues: Vec<Issue>,
}

impl PaymentIds {
    /// Adds `payment`, read from the table of `report`, to `payments` unless it repeats one
    /// already there.
    pub(super) fn push(
        &mut self,
        payments: &mut Vec<Payment>,
        mut payment: Payment,
        report: &mut InputReport,
    ) {
        if let Some(first) = self.seen.get(&payment.id).next() {
            let existing = &payments[first];
            let identical = existing.date == payment.date
                && existing.amount == payment.amount
                && existing.currency == payment.currency
                && existing.client_id == payment.client_id
                && existing.payer == payment.payer
                && existing.memo == payment.memo;
            if identical {
                report.duplicates += 1;
                self.issues.push(Issue::at(
                    Severity::Warning,
                    &payment.origin,
                    None,
                    Some(&payment.id),
                    format!(
                        "payment {} appears twice with identical content ({}); counted once",
                        payment.id, existing.origin
                    ),
                ));
                return;
            }
            // The new id is unique too: an export may already hold an id like `100#4`.
            let base = format!("{}#{}", payment.id, payment.origin.row);
            let mut new_id = base.clone();
            let mut n = 1;
            while self.seen.contains(&new_id) {
                n += 1;
                new_id = format!("{base}.{n}");
            }
            self.issues.push(Issue::at(
                Severity::Warning,
                &payment.origin,
                None,
                Some(&payment.id),
                format!("payment id {} is already used by {} for another payment; this one is called {new_id}", payment.id, existing.origin),
            ));
            payment.id = new_id.into();
        }
        self.seen.push(&payment.id, payments.len());
        payments.push(payment);
        report.used += 1;
    }
}

#[cfg(test)]
mod tests {
    use crate::config::{Config, Overrides};

    /// An id seen again is compared with the payment that holds it: identical rows count once,
    /// a different row gets an id of its own, unique even where the export already holds the
    /// id its row number would give it.
    #[test]
    fn repeated_ids_count_once_or_get_an_id_of_their_own() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("invoices.csv"),
            "Invoice No,Client ID,Client Name,Invoice Date,Due Date,Amount\n\
             A-1,C1,Alpha,01/09/2026,01/10/2026,100.00\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("payments.csv"),
            "Payment ID,Date,Amount,Payer\n\
             100#4,01/11/2026,10.00,Zeta\n\
             100,01/11/2026,50.00,Alpha\n\
             100,02/11/2026,70.00,Beta\n\
             100#4,01/11/2026,10.00,Zeta\n\
             100#4.2,02/11/2026,70.00,Beta\n\
             100,03/11/2026,90.00,Gamma\n",
        )
        .unwrap();
        let config = Config::load(Some(dir.path()), None, &Overrides::default()).unwrap();
        let ledger = crate::ingest::ingest(&config).unwrap();
        let ids: Vec<&str> = ledger.payments.iter().map(|p| &*p.id).collect();
        assert_eq!(ids, ["100#4", "100", "100#4.2", "100#7"]);
        let report = ledger
            .inputs
            .iter()
            .find(|r| r.file == "payments.csv")
            .unwrap();
        assert_eq!((report.used, report.duplicates), (4, 2));
        let said = |text: &str| {
            ledger
                .issues
                .iter()
                .filter(|i| i.message.contains(text))
                .map(|i| i.row)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            said("appears twice with identical content"),
            [Some(5), Some(6)]
        );
        assert_eq!(said("for another payment"), [Some(4), Some(7)]);
    }
}
