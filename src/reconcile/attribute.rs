//! Attribution: which client each payment belongs to (SPEC section 3). The rules are tried in
//! order and the first that decides wins: `client-id`, `reference`, `name`, `fuzzy-name`;
//! otherwise the payment is unmatched with a reason, never guessed.
//!
//! Decisions a caller should know:
//! - `client-id`: the payment's client id, trimmed, equal to a client key (trimmed). Failing
//!   that, a *canonical* match is accepted when exactly one client has it: case, spaces,
//!   dashes, dots, slashes and leading zeros of digit runs ignored (`c-007` finds `C7`,
//!   `00123` finds `123`). An id that matches no client (or several canonically) does not
//!   stop the later rules; it is mentioned in the reason if the payment ends unmatched.
//! - `reference`: invoice numbers found in the memo by [`super::memo`] among the invoices (not
//!   credit notes) dated on or before the as-of date. When they belong to more than one client
//!   the payment is unmatched and the reason names the invoices and clients.
//! - Names a client is known by: its name in the clients table (or its key when it has no
//!   name) and every client name written on its invoices of this run.
//! - `name`: equal [`name_key`]s; a name shared by several clients decides nothing and the
//!   payment is unmatched (the fuzzy rule would tie anyway).
//! - `fuzzy-name`: see [`super::fuzzy`]; looked up once per distinct payer name key.
//!
//! Work is parallel over payments (rayon indexed collects keep payment order), then over
//! distinct payer names for the fuzzy rule; results do not depend on the thread count.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::sync::Arc;

use crate::hash::{address, HashMap, HashSet};
use std::fmt::Write as _;

use rayon::prelude::*;

use super::fuzzy::{FuzzyIndex, FuzzyOutcome};
use super::memo::{scan_memo_with, Number, NumberSet, Scratch};
use super::rf;
use super::{Attribution, AttributionRule};
use crate::model::Ledger;
use crate::model::{DocKind, Payment};
use crate::normalize::{invoice_key, name_key};

/// Lookup structures built once per run.
struct Index<'a> {
    ledger: &'a Ledger,
    /// The note of every payment that needs none.
    no_note: Arc<str>,
    /// Client key -> the shared copy its invoices hold, which attributions share too.
    keys: HashMap<&'a str, Arc<str>>,
    exact_ids: HashMap<&'a str, &'a str>,
    canonical_ids: HashMap<String, Vec<&'a str>>,
    names: HashMap<String, Vec<&'a str>>,
    fuzzy: FuzzyIndex,
    numbers: NumberSet,
    /// The name key of each payer, by the address of its shared text.
    payer_keys: HashMap<usize, String>,
    /// RF reference body -> the invoices with it (see [`super::rf`]); built only when a memo
    /// of the run may hold an RF reference.
    rf_bodies: Option<HashMap<String, Vec<usize>>>,
}

impl<'a> Index<'a> {
    fn new(ledger: &'a Ledger, invoice_in_run: &[bool]) -> Index<'a> {
        // The invoice numbers and the clients' lookups are each put in order on one thread
        // (their parallel parts share the threads): at a million invoices each takes about
        // half a second of hashing.
        let (numbers, mut index) = rayon::join(
            || invoice_numbers(ledger, invoice_in_run),
            || Index::of_clients(ledger, invoice_in_run),
        );
        index.numbers = numbers;
        index
    }

    /// The index without its invoice numbers.
    fn of_clients(ledger: &'a Ledger, invoice_in_run: &[bool]) -> Index<'a> {
        // Invoices share their client's key and name (ingest interns them): a text is looked
        // at once per shared copy, found by its address, not once per invoice.
        let mut keys: HashMap<&str, Arc<str>> = HashMap::default();
        let mut seen_keys: HashSet<usize> = HashSet::default();
        for inv in &ledger.invoices {
            if seen_keys.insert(address(&inv.client)) {
                keys.entry(&inv.client)
                    .or_insert_with(|| Arc::clone(&inv.client));
            }
        }
        // Each client's canonical id and name key, worked out on all threads.
        let derived: Vec<(String, String)> = ledger
            .clients
            .par_iter()
            .map(|(key, client)| {
                let name = if client.name.trim().is_empty() {
                    key
                } else {
                    &client.name
                };
                (invoice_key(key), name_key(name))
            })
            .collect();
        let mut exact_ids = HashMap::default();
        let mut canonical_ids: HashMap<String, Vec<&str>> = HashMap::default();
        // Every (name key, client) pair, sorted and without repeats once all are in: sorting
        // 200,000 pairs on all threads at the end costs a fraction of keeping them in order
        // one insertion at a time.
        let mut client_names: Vec<(String, &str)> = Vec::with_capacity(ledger.clients.len());
        for (key, (canonical, name)) in ledger.clients.keys().zip(derived) {
            keys.entry(key).or_insert_with(|| Arc::from(key.as_str()));
            exact_ids.insert(key.trim(), key.as_str());
            if !canonical.is_empty() {
                canonical_ids
                    .entry(canonical)
                    .or_default()
                    .push(key.as_str());
            }
            client_names.push((name, key.as_str()));
        }
        // A client's name repeats on each of its invoices; normalising it (NFKC, suffixes) once
        // per distinct (name, client) pair instead of once per invoice, on all threads.
        let mut pairs: Vec<(&str, &str)> = Vec::new();
        let mut seen: HashSet<(&str, &str)> = HashSet::default();
        let mut seen_copies: HashSet<(usize, usize)> = HashSet::default();
        for (i, inv) in ledger.invoices.iter().enumerate() {
            if !invoice_in_run[i]
                || !seen_copies.insert((address(&inv.client_name), address(&inv.client)))
            {
                continue;
            }
            if !inv.client_name.trim().is_empty() && seen.insert((&inv.client_name, &inv.client)) {
                pairs.push((&inv.client_name, &inv.client));
            }
        }
        client_names.par_extend(
            pairs
                .par_iter()
                .map(|&(name, client)| (name_key(name), client)),
        );
        client_names.par_sort_unstable();
        client_names.dedup();
        let mut names: HashMap<String, Vec<&str>> = HashMap::default();
        for (name, client) in &client_names {
            if !name.is_empty() {
                names.entry(name.clone()).or_default().push(client);
            }
        }
        let fuzzy = FuzzyIndex::new(
            client_names
                .iter()
                .map(|(name, client)| (*client, name.replace(' ', ""))),
        );
        Index {
            ledger,
            no_note: Arc::from(""),
            keys,
            exact_ids,
            canonical_ids,
            names,
            fuzzy,
            numbers: NumberSet::default(),
            payer_keys: HashMap::default(),
            rf_bodies: None,
        }
    }

    /// The `client-id` rule: `Ok(Some(client))`, or `Err(note)` when the id exists in the
    /// payment but finds no single client.
    fn by_client_id(&self, payment: &Payment) -> Result<Option<&'a str>, String> {
        let Some(id) = payment
            .client_id
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        else {
            return Ok(None);
        };
        if let Some(key) = self.exact_ids.get(id) {
            return Ok(Some(key));
        }
        match self.canonical_ids.get(&invoice_key(id)).map(Vec::as_slice) {
            Some([key]) => Ok(Some(key)),
            Some(many) => Err(format!(
                "client id \"{id}\" fits several clients ({}) when case and leading zeros are ignored",
                many.join(", ")
            )),
            None => Err(format!("client id \"{id}\" is not a known client")),
        }
    }

    /// The invoices a memo names, in memo order: by RF creditor reference and by number. An RF
    /// reference with wrong check digits is left out whole; the text around it still counts.
    fn memo_invoices(&self, memo: &str, scratch: &mut Scratch) -> Vec<usize> {
        let mut by_number = |text: &str, out: &mut Vec<usize>| {
            scan_memo_with(text, &self.numbers, scratch);
            for key in scratch.found() {
                out.extend(self.numbers.invoices(key));
            }
        };
        let mut out = Vec::new();
        let Some(bodies) = &self.rf_bodies else {
            by_number(memo, &mut out);
            return out;
        };
        let found = rf::find(memo);
        if found.is_empty() {
            by_number(memo, &mut out);
            return out;
        }
        let mut from = 0;
        for rf in found {
            by_number(&memo[from..rf.span.start], &mut out);
            if let Some(invoices) = rf.body.as_ref().and_then(|b| bodies.get(b)) {
                out.extend(invoices.iter().copied());
            }
            from = rf.span.end;
        }
        by_number(&memo[from..], &mut out);
        out
    }

    /// The rules up to `name` for one payment; `scratch` is the memo scan's.
    fn first_pass(&self, payment_index: usize, scratch: &mut Scratch) -> Step {
        let payment = &self.ledger.payments[payment_index];
        let mut notes: Vec<String> = Vec::new();
        let memo_invoices: Vec<usize> = payment
            .memo
            .as_deref()
            .map(|memo| self.memo_invoices(memo, scratch))
            .unwrap_or_default();
        let refs_of = |client: &str| -> Vec<usize> {
            let mut refs: Vec<usize> = Vec::new();
            for &i in &memo_invoices {
                if *self.ledger.invoices[i].client == *client && !refs.contains(&i) {
                    refs.push(i);
                }
            }
            refs
        };
        let done = |client: &str, rule: AttributionRule, note: String, refs: Vec<usize>| {
            Step::Done(self.attributed(payment_index, Some(client), Some(rule), note, refs))
        };

        // 1. client-id
        match self.by_client_id(payment) {
            Ok(Some(client)) => {
                return done(
                    client,
                    AttributionRule::ClientId,
                    String::new(),
                    refs_of(client),
                )
            }
            Ok(None) => {}
            Err(note) => notes.push(note),
        }
        // 2. reference
        let clients: BTreeSet<&str> = memo_invoices
            .iter()
            .map(|&i| &*self.ledger.invoices[i].client)
            .collect();
        match clients.len() {
            0 => {}
            1 => {
                let client = *clients.first().expect("one client");
                return done(
                    client,
                    AttributionRule::Reference,
                    String::new(),
                    refs_of(client),
                );
            }
            _ => {
                let named: Vec<String> = memo_invoices
                    .iter()
                    .map(|&i| {
                        let inv = &self.ledger.invoices[i];
                        format!("{} (client {})", inv.number, inv.client)
                    })
                    .collect();
                let reason = format!(
                    "the memo names invoices of more than one client: {}; not guessed",
                    named.join(", ")
                );
                return Step::Done(self.attributed(payment_index, None, None, reason, Vec::new()));
            }
        }
        // 3. name
        let payer = payment.payer.as_deref().map(str::trim).unwrap_or_default();
        let key = match payment
            .payer
            .as_ref()
            .and_then(|p| self.payer_keys.get(&address(p)))
        {
            Some(key) => Cow::Borrowed(key.as_str()),
            None => Cow::Owned(name_key(payer)),
        };
        if key.is_empty() {
            notes.push(if payer.is_empty() {
                "no payer name".to_string()
            } else {
                format!("payer \"{payer}\" has no usable name")
            });
            if payment.memo.as_deref().is_none_or(|m| m.trim().is_empty()) {
                notes.push("no memo".to_string());
            } else {
                notes.push("no invoice number of this run in the memo".to_string());
            }
            if payment
                .client_id
                .as_deref()
                .is_none_or(|c| c.trim().is_empty())
            {
                notes.insert(0, "no client id".to_string());
            }
            return Step::Done(self.attributed(
                payment_index,
                None,
                None,
                notes.join("; "),
                Vec::new(),
            ));
        }
        match self.names.get(key.as_ref()).map(Vec::as_slice) {
            Some([client]) => {
                return done(client, AttributionRule::Name, String::new(), Vec::new())
            }
            Some(many) => {
                notes.push(format!(
                    "payer \"{payer}\" matches the names of several clients ({}); not guessed",
                    many.join(", ")
                ));
                return Step::Done(self.attributed(
                    payment_index,
                    None,
                    None,
                    notes.join("; "),
                    Vec::new(),
                ));
            }
            None => {}
        }
        // 4. fuzzy-name, resolved later once per distinct name.
        Step::Fuzzy {
            payment: payment_index,
            key: key.replace(' ', ""),
            notes,
        }
    }

    fn attributed(
        &self,
        payment: usize,
        client: Option<&str>,
        rule: Option<AttributionRule>,
        note: String,
        refs: Vec<usize>,
    ) -> Attribution {
        Attribution {
            payment,
            client: client.map(|key| self.shared_key(key)),
            rule,
            references: refs,
            note: if note.is_empty() {
                Arc::clone(&self.no_note)
            } else {
                note.into()
            },
        }
    }

    /// The shared copy of a client key. Every key the rules return is one of `keys`.
    fn shared_key(&self, key: &str) -> Arc<str> {
        self.keys
            .get(key)
            .map_or_else(|| Arc::from(key), Arc::clone)
    }

    fn client_label(&self, key: &str) -> String {
        match self.ledger.clients.get(key) {
            Some(c) if !c.name.trim().is_empty() && c.name != key => format!("{} ({key})", c.name),
            _ => key.to_string(),
        }
    }

    fn finish_fuzzy(
        &self,
        payment: usize,
        mut notes: Vec<String>,
        outcome: &FuzzyOutcome,
    ) -> Attribution {
        let payer = self.ledger.payments[payment]
            .payer
            .as_deref()
            .unwrap_or_default()
            .trim();
        match outcome {
            FuzzyOutcome::Matched { client, similarity } => self.attributed(
                payment,
                Some(client),
                Some(AttributionRule::FuzzyName),
                format!(
                    "payer \"{payer}\" is similar to {} (similarity {:.3})",
                    self.client_label(client),
                    similarity.value()
                ),
                Vec::new(),
            ),
            FuzzyOutcome::Tie { best, second } => {
                notes.push(format!(
                    "payer \"{payer}\" is about as similar to {} ({:.3}) as to {} ({:.3}); not guessed",
                    self.client_label(&best.0),
                    best.1.value(),
                    self.client_label(&second.0),
                    second.1.value()
                ));
                self.attributed(payment, None, None, notes.join("; "), Vec::new())
            }
            FuzzyOutcome::TooFar { best } => {
                let mut reason = format!("payer \"{payer}\" matches no client name");
                if let Some((client, sim)) = best {
                    let _ = write!(
                        reason,
                        " (closest: {}, similarity {:.3}, below 0.90)",
                        self.client_label(client),
                        sim.value()
                    );
                }
                notes.push(reason);
                self.attributed(payment, None, None, notes.join("; "), Vec::new())
            }
        }
    }
}

enum Step {
    Done(Attribution),
    Fuzzy {
        payment: usize,
        key: String,
        notes: Vec<String>,
    },
}

/// Every invoice number of the run, by its key: the keys worked out on all threads, added in
/// invoice order.
fn invoice_numbers(ledger: &Ledger, invoice_in_run: &[bool]) -> NumberSet {
    let keyed: Vec<(usize, Number)> = (0..ledger.invoices.len())
        .into_par_iter()
        .filter_map(|i| {
            let inv = &ledger.invoices[i];
            if !invoice_in_run[i] || inv.kind != DocKind::Invoice {
                return None;
            }
            Number::new(&inv.number, invoice_key(&inv.number)).map(|n| (i, n))
        })
        .collect();
    let mut numbers = NumberSet::default();
    numbers.reserve(keyed.len());
    for (i, number) in keyed {
        numbers.add(number, i);
    }
    numbers
}

/// The invoices of the run by the body of their RF reference, when any memo of `payments` may
/// hold one (most months have none, and a million bodies cost a second).
fn rf_bodies(
    ledger: &Ledger,
    invoice_in_run: &[bool],
    payments: &[usize],
) -> Option<HashMap<String, Vec<usize>>> {
    let mut bodies: HashMap<String, Vec<usize>> = HashMap::default();
    let any = payments.par_iter().any(|&p| {
        ledger.payments[p]
            .memo
            .as_deref()
            .is_some_and(|m| !rf::find(m).is_empty())
    });
    if !any {
        return None;
    }
    let keyed: Vec<(usize, String)> = (0..ledger.invoices.len())
        .into_par_iter()
        .filter_map(|i| {
            let inv = &ledger.invoices[i];
            if !invoice_in_run[i] || inv.kind != DocKind::Invoice {
                return None;
            }
            rf::body(&inv.number).map(|b| (i, b))
        })
        .collect();
    for (i, body) in keyed {
        bodies.entry(body).or_default().push(i);
    }
    Some(bodies)
}

/// The name key of each payer that pays more than once among `payments`, by the address of its
/// shared text: worked out once per payer, on all threads (the generated month of a million
/// payments has 66,000 payers). A payer seen once has its key worked out where it is needed:
/// holding a key for each of a million payers spelt each their own way was 80 MB for nothing.
fn payer_keys(ledger: &Ledger, payments: &[usize]) -> HashMap<usize, String> {
    let mut times: HashMap<usize, u32> = HashMap::default();
    let payers: Vec<&Arc<str>> = payments
        .iter()
        .filter_map(|&p| ledger.payments[p].payer.as_ref())
        .filter(|payer| {
            let seen = times.entry(address(payer)).or_insert(0);
            *seen = seen.saturating_add(1);
            *seen == 2
        })
        .collect();
    drop(times);
    payers
        .par_iter()
        .map(|payer| (address(payer), name_key(payer.trim())))
        .collect()
}

/// Attributes the payments at `payments` (indices into `ledger.payments`, ascending) to
/// clients. `invoice_in_run[i]` says whether invoice `i` is dated on or before the as-of date.
/// The result has one entry per given payment, in the same order.
pub(crate) fn attribute(
    ledger: &Ledger,
    invoice_in_run: &[bool],
    payments: &[usize],
) -> Vec<Attribution> {
    // The payers' keys and the RF bodies need no index: made beside it, they fill the time
    // its parts spend in order on one thread.
    let (mut index, (payer_keys, rf_bodies)) = rayon::join(
        || Index::new(ledger, invoice_in_run),
        || {
            rayon::join(
                || payer_keys(ledger, payments),
                || rf_bodies(ledger, invoice_in_run, payments),
            )
        },
    );
    index.payer_keys = payer_keys;
    index.rf_bodies = rf_bodies;
    let steps: Vec<Step> = payments
        .par_iter()
        .map_init(Scratch::default, |scratch, &p| index.first_pass(p, scratch))
        .collect();
    // The payers' name keys are read by the first pass only.
    index.payer_keys = HashMap::default();
    // Each distinct name is looked up once. With a million payers each spelt its own way the
    // names are a million: they are borrowed from the steps and sorted with their steps' places
    // on all threads; each run of equal names is one lookup, and each step is given its
    // name's place in the list of distinct names, so that no second copy of the names or a
    // map of them is held.
    let mut keyed: Vec<(&str, usize)> = steps
        .par_iter()
        .enumerate()
        .filter_map(|(at, s)| match s {
            Step::Fuzzy { key, .. } => Some((key.as_str(), at)),
            Step::Done(_) => None,
        })
        .collect();
    keyed.par_sort_unstable();
    let mut names: Vec<&str> = Vec::new();
    let mut outcome_of: Vec<usize> = vec![0; steps.len()];
    for &(name, at) in &keyed {
        if names.last() != Some(&name) {
            names.push(name);
        }
        outcome_of[at] = names.len() - 1;
    }
    drop(keyed);
    let outcomes: Vec<FuzzyOutcome> = names
        .par_iter()
        .map_init(
            || index.fuzzy.scratch(),
            |scratch, name| index.fuzzy.lookup(name, scratch),
        )
        .collect();
    drop(names);
    // Finished in place, then turned into attributions in place: the steps' memory becomes the
    // attributions' instead of both being held at once.
    let mut steps = steps;
    steps.par_iter_mut().zip(outcome_of).for_each(|(step, at)| {
        if let Step::Fuzzy { payment, notes, .. } = step {
            let notes = std::mem::take(notes);
            *step = Step::Done(index.finish_fuzzy(*payment, notes, &outcomes[at]));
        }
    });
    steps
        .into_iter()
        .map(|step| match step {
            Step::Done(attribution) => attribution,
            // Every fuzzy step was finished above; this arm only keeps the match total.
            Step::Fuzzy { payment, notes, .. } => {
                index.attributed(payment, None, None, notes.join("; "), Vec::new())
            }
        })
        .collect()
}
