//! The clients table: one client per row, and the clients known only from invoices, each under
//! one key.

use super::*;

/// Clients by key, with a name index to resolve invoices that carry only a client name.
#[derive(Default)]
pub(super) struct Clients {
    /// Hashed while rows are read (a million invoices look their client up); sorted once into
    /// the ledger at the end. Beside each client, the shared copies of its key and name, made
    /// by its first invoice.
    pub(super) by_id: HashMap<String, (Client, Option<Shared>)>,
    /// Name key -> client id; `None` when two clients share the name.
    pub(super) by_name: HashMap<String, Option<String>>,
}

/// A client's key and name as `texts` shares them.
pub(super) type Shared = (Arc<str>, Arc<str>);

impl Clients {
    pub(super) fn get(&self, id: &str) -> Option<&Client> {
        self.by_id.get(id).map(|(client, _)| client)
    }

    /// Adds `client`, whose name's [`normalize::name_key`] is `key`.
    pub(super) fn insert(&mut self, client: Client, key: String) {
        if !key.is_empty() {
            self.by_name
                .entry(key)
                .and_modify(|id| {
                    if id.as_deref() != Some(client.id.as_str()) {
                        *id = None;
                    }
                })
                .or_insert_with(|| Some(client.id.clone()));
        }
        self.by_id.insert(client.id.clone(), (client, None));
    }

    /// The client key of an invoice row: its client id, else the id of the one client of that
    /// name, else the name itself (a client known only from invoices); and the client's name.
    /// Both are the shared copies of `texts`.
    pub(super) fn resolve(
        &mut self,
        id: Option<String>,
        name: Option<String>,
        email: Option<&String>,
        texts: &mut Interner,
    ) -> Shared {
        let key = match (id, &name) {
            (Some(id), _) => id,
            (None, Some(name)) => self
                .by_name
                .get(&normalize::name_key(name))
                .cloned()
                .flatten()
                .unwrap_or_else(|| name.clone()),
            (None, None) => String::new(),
        };
        if let Some((client, shared)) = self.by_id.get_mut(&key) {
            if client.email.is_none() {
                client.email = email.cloned();
            }
            return shared
                .get_or_insert_with(|| (texts.get(&key), texts.get(&client.name)))
                .clone();
        }
        let display = name.unwrap_or_else(|| key.clone());
        let shared = (texts.get(&key), texts.get(&display));
        let name_key = normalize::name_key(&display);
        self.insert(
            Client {
                id: key.clone(),
                name: display,
                email: email.cloned(),
                ..Client::default()
            },
            name_key,
        );
        if let Some((_, slot)) = self.by_id.get_mut(&key) {
            *slot = Some(shared.clone());
        }
        shared
    }
}

pub(super) fn read_clients(
    config: &Config,
    table: &RawTable,
    header: &HeaderMatch,
    report: &mut InputReport,
    clients: &mut Clients,
    issues: &mut Vec<Issue>,
) {
    use Field::*;
    let rows = data_rows(table, header, report, issues);
    let orders = date_orders(config, &rows, &[LastContact, PromisedDate], report, issues);
    // Rows parse on all threads (an indexed collect keeps row order), each with its name's
    // key; duplicates are decided afterwards in row order, so issues come out in the same order
    // for any thread count.
    let parsed: Vec<_> = rows
        .par_iter()
        .map(|row| {
            read_client(row, &orders).map(|(client, warnings)| {
                let name_key = normalize::name_key(&client.name);
                (client, warnings, name_key)
            })
        })
        .collect();
    // Sized once: grown step by step, a hundred thousand clients were moved into fresh memory
    // at each step.
    clients.by_id.reserve(rows.len());
    clients.by_name.reserve(rows.len());
    for (row, parsed) in rows.iter().zip(parsed) {
        match parsed {
            Ok((client, warnings, name_key)) => {
                issues.extend(warnings);
                if let Some(existing) = clients.get(&client.id) {
                    let mut same = existing.clone();
                    same.origin.clone_from(&client.origin);
                    if same == client {
                        issues.push(row.issue(
                            Severity::Warning,
                            Some(Id),
                            "the same client row appears twice; counted once",
                        ));
                        report.duplicates += 1;
                    } else {
                        let first = existing.origin.as_ref().map_or(0, |o| o.row);
                        issues.push(row.issue(
                            Severity::Error,
                            Some(Id),
                            format!("client id already used by row {first} with other details; this row is left out"),
                        ));
                        report.rejected += 1;
                    }
                    continue;
                }
                clients.insert(client, name_key);
                report.used += 1;
            }
            Err(issue) => {
                issues.push(issue);
                report.rejected += 1;
            }
        }
    }
}

pub(super) fn read_client(
    row: &Row<'_>,
    orders: &BTreeMap<Field, ColumnOrder>,
) -> Result<(Client, Vec<Issue>), Issue> {
    use Field::*;
    let id = row.text(Id);
    let name = row.text(Name);
    let (id, name) = match (id, name) {
        (Some(id), Some(name)) => (id, name),
        (Some(id), None) => (id.clone(), id),
        (None, Some(name)) => (name.clone(), name),
        (None, None) => {
            return Err(row.missing(
                if row.header.columns.contains_key(&Id) {
                    Id
                } else {
                    Name
                },
                "client id and name",
            ))
        }
    };
    let mut warnings = Vec::new();
    let kind = match row.text(Type) {
        None => None,
        Some(t) => {
            let kind = value::parse_client_kind(&t);
            if kind.is_none() {
                warnings.push(row.issue(
                    Severity::Warning,
                    Some(Type),
                    "unknown client type (expected private, company or freelancer); ignored",
                ));
            }
            kind
        }
    };
    let language = match row.text(Language) {
        None => None,
        Some(t) => {
            let lang = value::parse_language(&t);
            if lang.is_none() {
                warnings.push(row.issue(
                    Severity::Warning,
                    Some(Language),
                    "unknown language (expected he, en, ...); the default is used",
                ));
            }
            lang
        }
    };
    let terms = match row.text(Terms) {
        None => None,
        Some(t) => Some(value::parse_terms(&t).map_err(|m| row.error(Terms, m))?),
    };
    let withholding = match row.cell(Withholding) {
        None => None,
        Some(cell) => Some(value::parse_percent(cell).map_err(|m| row.error(Withholding, m))?),
    };
    let flags = ClientFlags {
        disputed: row.flag(FlagDisputed)?,
        do_not_remind: row.flag(DoNotRemind)?,
        financial_trouble: row.flag(FinancialTrouble)?,
        complaints: row.flag(Complaints)?,
    };
    Ok((
        Client {
            id,
            name,
            kind,
            email: row.text(ClientEmail),
            phone: row.text(Phone),
            address: row.text(Address),
            language,
            terms,
            contact: row.text(Contact),
            collector: row.text(Collector),
            flags,
            last_contact: row.date(LastContact, orders)?,
            promised: row.date(PromisedDate, orders)?,
            notes: row.text(Notes),
            withholding,
            origin: Some(row.origin.clone()),
        },
        warnings,
    ))
}
