//! One `Ntry` read: its transactions as statement entries (SPEC section 10).

use std::borrow::Cow;
use std::sync::Arc;

use chrono::NaiveDate;
use quick_xml::events::BytesStart;
use quick_xml::XmlVersion;
use rust_decimal::Decimal;

use super::tree::Node;
use super::{date, local, within};
use crate::ingest::statement::{Direction, Entry, Status};
use crate::ingest::table::Text;

/// What reading one `Ntry` gave, in order: each transaction read (or not), and a warning
/// about the last one when a batch could not be split.
pub(super) enum Outcome {
    Transaction(Result<Draft, Miss>),
    /// A batch of this many transactions without amounts of their own, read as one.
    Unsplit(usize),
}

/// An entry per transaction of `ntry` (or the problem with it), in order, added to `out`.
pub(super) fn outcomes(ntry: Node<'_, '_>, shared: &Shared, out: &mut Vec<Outcome>) {
    let details: Vec<Node<'_, '_>> = ntry.all("NtryDtls").flat_map(|d| d.all("TxDtls")).collect();
    let own_amounts = details.iter().filter(|t| tx_amount(**t).is_some()).count();
    if details.len() > 1 && own_amounts == 0 {
        // A batch that lists its transactions without their amounts: it cannot be split,
        // so it stays one payment of the entry's total, and the memo names them all.
        out.push(Outcome::Transaction(transaction(
            ntry, &details, None, shared,
        )));
        out.push(Outcome::Unsplit(details.len()));
        return;
    }
    if details.is_empty() {
        out.push(Outcome::Transaction(transaction(ntry, &[], None, shared)));
        return;
    }
    out.extend(details.iter().enumerate().map(|(k, tx)| {
        let batch = (details.len() > 1).then_some(k + 1);
        Outcome::Transaction(transaction(ntry, std::slice::from_ref(tx), batch, shared))
    }));
}

/// A kept element as it opens: its local name (borrowed from the document when it can be)
/// and the `Ccy` attribute of an amount.
pub(super) fn start_of<'a>(
    start: &BytesStart<'_>,
    source: &'a str,
) -> (Cow<'a, str>, Option<Cow<'a, str>>) {
    let qname = start.name();
    let name = local(qname.as_ref());
    let ccy = start.attributes().flatten().find_map(|a| {
        (local(a.key.as_ref()) == "Ccy")
            .then(|| a.normalized_value(XmlVersion::Implicit1_0).ok())
            .flatten()
            .map(|v| Cow::Owned(v.trim().to_string()))
    });
    let name = within(source, name).map_or_else(|| Cow::Owned(name.to_string()), Cow::Borrowed);
    (name, ccy)
}

/// What a transaction takes from its statement.
pub(super) struct Shared {
    pub(super) account: Option<Arc<str>>,
    pub(super) currency: Option<String>,
    pub(super) created: Option<NaiveDate>,
}

/// A transaction read, before it has its position.
pub(super) struct Draft(Entry);

impl Draft {
    pub(super) fn at(mut self, position: u32) -> Entry {
        self.0.position = position;
        self.0
    }
}

/// Why a transaction could not be read.
pub(super) struct Miss {
    pub(super) column: &'static str,
    pub(super) value: Option<String>,
    pub(super) message: String,
}

fn miss(column: &'static str, value: Option<&str>, message: impl Into<String>) -> Miss {
    Miss {
        column,
        value: value.map(str::to_string),
        message: message.into(),
    }
}

/// The amount a transaction of an entry states for itself.
fn tx_amount<'t, 'a>(tx: Node<'t, 'a>) -> Option<Node<'t, 'a>> {
    tx.child("Amt")
        .or_else(|| tx.at(&["AmtDtls", "TxAmt", "Amt"]))
}

/// One transaction of `ntry`: `txs` holds its `TxDtls` (none, one, or all of a batch that has
/// no amounts per transaction), `batch` its ordinal when the entry has several.
fn transaction(
    ntry: Node<'_, '_>,
    txs: &[Node<'_, '_>],
    batch: Option<usize>,
    shared: &Shared,
) -> Result<Draft, Miss> {
    let single = txs.first().filter(|_| txs.len() == 1).copied();
    let status = status(ntry)?;
    let indicator = single
        .and_then(|t| t.text_at(&["CdtDbtInd"]))
        .or_else(|| ntry.text_at(&["CdtDbtInd"]));
    let direction =
        match indicator {
            Some("CRDT") => Direction::Credit,
            Some("DBIT") => Direction::Debit,
            other => return Err(miss(
                "CdtDbtInd",
                other,
                "the entry does not say whether it is a credit (CRDT) or a debit (DBIT); left out",
            )),
        };
    let amount_node = match (single.and_then(tx_amount), batch) {
        (Some(node), _) => node,
        (None, Some(_)) => {
            return Err(miss(
                "Amt",
                None,
                "a transaction of a batch booking without its own amount; left out (the other \
                 transactions of the entry state theirs)",
            ))
        }
        (None, None) => ntry
            .child("Amt")
            .ok_or_else(|| miss("Amt", None, "the entry has no amount; left out"))?,
    };
    let shown = amount_node.text().trim();
    let amount: Decimal = shown
        .parse()
        .map_err(|_| miss("Amt", Some(shown), "not an amount; left out"))?;
    if amount.is_sign_negative() {
        return Err(miss(
            "Amt",
            Some(shown),
            "a negative amount, which CAMT never has (CdtDbtInd gives the direction); left out",
        ));
    }
    let currency = amount_node
        .ccy()
        .filter(|c| !c.is_empty())
        .map(Text::from)
        .or_else(|| shared.currency.as_deref().map(Text::from));
    let written = |element: &'static str| {
        ntry.child(element)
            .and_then(|d| d.text_at(&["Dt"]).or_else(|| d.text_at(&["DtTm"])))
            .map(|text| (element, text))
    };
    let date = match written("ValDt").or_else(|| written("BookgDt")) {
        Some((element, text)) => date(text).ok_or_else(|| {
            miss(
                element,
                Some(text),
                "not a date (YYYY-MM-DD expected); left out",
            )
        })?,
        None => match (status, shared.created) {
            (Status::Pending | Status::Info, Some(created)) => created,
            _ => {
                return Err(miss(
                    "BookgDt",
                    None,
                    "the entry has neither a value date nor a booking date; left out",
                ))
            }
        },
    };
    let reversal = ntry
        .text_at(&["RvslInd"])
        .is_some_and(|v| v.eq_ignore_ascii_case("true") || v == "1");
    let end_to_end = single
        .and_then(|t| t.text_at(&["Refs", "EndToEndId"]))
        .filter(|v| !v.eq_ignore_ascii_case("NOTPROVIDED"));
    let bank_ref = single
        .and_then(|t| t.text_at(&["Refs", "AcctSvcrRef"]))
        .or_else(|| {
            batch
                .is_none()
                .then(|| ntry.text_at(&["AcctSvcrRef"]))
                .flatten()
        });
    let entry_ref = ntry
        .text_at(&["NtryRef"])
        .or_else(|| ntry.text_at(&["AcctSvcrRef"]));
    let id = bank_ref
        .or(end_to_end)
        .map(Text::from)
        .or_else(|| match batch {
            Some(k) => entry_ref.map(|r| Text::from(format!("{r}-{k}"))),
            None => entry_ref.map(Text::from),
        });
    let payer = payer(txs);
    let structured: Vec<&str> = txs
        .iter()
        .flat_map(|t| t.at(&["RmtInf"]).into_iter())
        .flat_map(|r| r.all("Strd"))
        .filter_map(|s| s.text_at(&["CdtrRefInf", "Ref"]))
        .collect();
    let mut parts: Vec<&str> = txs
        .iter()
        .flat_map(|t| t.at(&["RmtInf"]).into_iter())
        .flat_map(|r| r.all("Ustrd"))
        .map(|u| u.text().trim())
        .filter(|u| !u.is_empty())
        .collect();
    parts.extend(structured.iter().copied());
    parts.extend(
        txs.iter()
            .filter_map(|t| t.text_at(&["Refs", "EndToEndId"]))
            .filter(|v| !v.eq_ignore_ascii_case("NOTPROVIDED")),
    );
    if parts.is_empty() {
        parts.extend(txs.iter().filter_map(|t| t.text_at(&["AddtlTxInf"])));
    }
    if parts.is_empty() {
        parts.extend(ntry.text_at(&["AddtlNtryInf"]));
    }
    // Each text once, where it first stands.
    let mut at = 0;
    while at < parts.len() {
        if parts[..at].contains(&parts[at]) {
            parts.remove(at);
        } else {
            at += 1;
        }
    }
    let memo = match parts.as_slice() {
        [] => None,
        [one] => Some(Text::from(*one)),
        _ => Some(Text::from(parts.join(" "))),
    };
    let reference = end_to_end
        .or_else(|| structured.first().copied())
        .map(Text::from)
        .or_else(|| memo.clone());
    Ok(Draft(Entry {
        position: 0,
        id,
        date,
        amount,
        currency,
        direction,
        status,
        reversal,
        payer,
        memo,
        account: shared.account.clone(),
        reference,
    }))
}

/// `BOOK`, `PDNG`, `INFO` (and `FUTR`), written plainly (up to version 06) or as `Sts/Cd`.
fn status(ntry: Node<'_, '_>) -> Result<Status, Miss> {
    let code = ntry
        .text_at(&["Sts", "Cd"])
        .or_else(|| ntry.text_at(&["Sts", "Prtry"]))
        .or_else(|| ntry.text_at(&["Sts"]));
    match code.map(str::to_ascii_uppercase).as_deref() {
        Some("BOOK") => Ok(Status::Booked),
        Some("PDNG" | "FUTR") => Ok(Status::Pending),
        Some("INFO") => Ok(Status::Info),
        _ => Err(miss(
            "Sts",
            code,
            "the entry's status is not BOOK, PDNG, FUTR or INFO, so it is not known to be \
             booked; left out",
        )),
    }
}

/// The debtor's name (`Dbtr/Nm`, `Dbtr/Pty/Nm`), else the ultimate debtor's; for several
/// transactions read as one, the name they all share.
fn payer(txs: &[Node<'_, '_>]) -> Option<Text> {
    fn name_of<'t>(tx: Node<'t, '_>) -> Option<&'t str> {
        ["Dbtr", "UltmtDbtr"].iter().find_map(|party| {
            tx.text_at(&["RltdPties", party, "Nm"])
                .or_else(|| tx.text_at(&["RltdPties", party, "Pty", "Nm"]))
        })
    }
    let mut names = txs.iter().map(|t| name_of(*t));
    let first = names.next()??;
    names.all(|n| n == Some(first)).then(|| Text::from(first))
}
